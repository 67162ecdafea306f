"""The day layout: which day of its week each decided activity takes, and at what time.

Each volunteer's week is laid out on its own, in date order so that a pair's weekday can be
kept from week to week:

1. community events keep their day and time;
2. birthday greetings go on the birthday; a visit that shares the greeting's walk goes just
   before it, on the same trip;
3. the other visits and services, the most constrained first (fewest days to choose from),
   each on the first day that has room for it and its walk there and back: for a visit,
   the weekday of the published schedule (re-scheduling), then the weekday of its earlier
   weeks (a steady rhythm), then the day with the most free time.

Within a day an activity starts at the first free time, on a five-minute mark, with the walk
before and after it kept free and at least ``GAP_MINUTES`` between two activities.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from matching.schedule.data import ScheduleData
from matching.schedule.past import Past
from matching.schedule.result import Activity, Booking, Missed

#: Start times fall on multiples of this many minutes.
TIME_STEP_MINUTES = 5
#: Least time between two activities of a volunteer, besides the walk.
GAP_MINUTES = 5

_FIRST = {"group": 0, "festival": 0, "birthday": 1}


def _step_up(minutes: float) -> int:
    return int(math.ceil(minutes / TIME_STEP_MINUTES - 1e-9) * TIME_STEP_MINUTES)


class _Day:
    """One volunteer's day: the stretches taken, walking included."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.taken: list[tuple[int, int]] = []

    def free_minutes(self) -> int:
        return self.end - self.start - sum(b - a for a, b in self.taken)

    def fits(self, begin: int, length: int, walk: int) -> bool:
        lo, hi = begin - walk, begin + length + walk
        if lo < self.start or hi > self.end:
            return False
        return all(hi + GAP_MINUTES <= a or b + GAP_MINUTES <= lo for a, b in self.taken)

    def earliest(self, length: int, walk: int, wish: int | None = None) -> int | None:
        """The first start at which ``length`` minutes and the walk around them are free
        (``wish`` first, if given)."""
        if wish is not None and self.fits(wish, length, walk):
            return wish
        candidates = [self.start + walk] + [b + GAP_MINUTES + walk for _, b in self.taken]
        for t in sorted(_step_up(c) for c in candidates):
            if self.fits(t, length, walk):
                return t
        return None

    def take(self, begin: int, length: int, walk: int) -> None:
        self.taken.append((begin - walk, begin + length + walk))


class _Week:
    """One volunteer's days of one week, made as they are first asked for."""

    def __init__(self, data: ScheduleData, v: int,
                 fixed: dict[tuple[int, dt.date], list[tuple[int, int]]]) -> None:
        self.data, self.v, self.fixed = data, v, fixed
        self.days: dict[dt.date, _Day] = {}

    def __call__(self, d: dt.date) -> _Day:
        if d not in self.days:
            self.days[d] = _Day(self.data.rules.day_start, self.data.rules.day_end)
            self.days[d].taken += self.fixed.get((self.v, d), [])
        return self.days[d]


def lay_out(data: ScheduleData, bookings: list[Booking], past: Past
            ) -> tuple[list[Activity], list[Missed]]:
    """Days and times for every booking; what finds no room is returned as missed."""
    groups: dict[tuple[dt.date, int], list[Booking]] = defaultdict(list)
    for b in bookings:
        groups[b.monday, b.volunteer].append(b)
    fixed: dict[tuple[int, dt.date], list[tuple[int, int]]] = defaultdict(list)
    for a in past.activities:
        if a.activity != "call":
            fixed[a.volunteer, a.date].append((a.start, a.end))
    usual: dict[tuple, tuple[int, int]] = dict(past.keep_slot)
    placed: list[Activity] = []
    missed: list[Missed] = []
    for (monday, v), items in sorted(groups.items()):
        # first with each pair at its usual weekday and time; if that leaves something out,
        # again with the most constrained first, and the better of the two is kept
        week = _lay_out_week(data, v, monday, items, fixed, usual, keep_times=True)
        if week[1]:
            again = _lay_out_week(data, v, monday, items, fixed, usual, keep_times=False)
            if len(again[1]) < len(week[1]):
                week = again
        placed += week[0]
        missed += week[1]
        for a in week[0]:
            if a.activity == "visit":
                usual.setdefault((v, a.elder), (a.date.weekday(), a.start))
    return placed, missed


def _lay_out_week(data: ScheduleData, v: int, monday: dt.date, items: list[Booking],
                  fixed: dict[tuple[int, dt.date], list[tuple[int, int]]],
                  usual: dict[tuple, tuple[int, int]], *, keep_times: bool
                  ) -> tuple[list[Activity], list[Missed]]:
    """One volunteer's week. With ``keep_times``, visits that have a usual weekday and time
    (published, or from earlier weeks) are placed first, at that time if it is free."""
    day = _Week(data, v, fixed)
    ids = data.problem.elder_ids

    def wanted(b: Booking) -> tuple[int, int] | None:
        """The published slot of this week, else the pair's usual one."""
        if b.kind != "visit":
            return None
        return usual.get((v, b.elder, monday), usual.get((v, b.elder)))

    def order(b: Booking) -> tuple:
        wish = wanted(b)
        steady = keep_times and wish is not None and any(d.weekday() == wish[0]
                                                         for d in b.days)
        return (_FIRST.get(b.kind, 2), not steady, len(b.days), b.kind != "visit",
                str(ids[b.elder]) if b.elder >= 0 else "", b.days)

    placed: list[Activity] = []
    missed: list[Missed] = []
    for b in sorted(items, key=order):
        walk = _step_up(b.walk) if b.elder >= 0 else 0
        if b.start >= 0:  # an event: its time is fixed
            day(b.days[0]).take(b.start, b.minutes, 0)
            placed.append(_activity(data, b, b.days[0], b.start))
            continue
        if b.kind == "birthday" and b.shares_walk:
            continue  # placed with its visit below
        greeting = _greeting_of(b, items) if b.shares_walk else None
        length = b.minutes + (greeting.minutes if greeting else 0)
        wish = wanted(b)
        done = False
        for d in _preferred_days(b, day, wish):
            want = wish[1] if wish is not None and wish[0] == d.weekday() else None
            begin = day(d).earliest(length, walk, want)
            if begin is None:
                continue
            day(d).take(begin, length, walk)
            placed.append(_activity(data, b, d, begin))
            if greeting is not None:
                placed.append(_activity(data, greeting, d, begin + b.minutes))
            done = True
            break
        if not done:
            missed.append(Missed(b.kind, b.elder, _when(b), b.community, (v,), (monday,),
                                 "no time"))
            if greeting is not None:
                missed.append(Missed("birthday", b.elder, _when(greeting), b.community, (v,),
                                     (monday,), "no time"))
    return placed, missed


def _preferred_days(b: Booking, day: _Week, wish: tuple[int, int] | None) -> list[dt.date]:
    """Days to try, best first: the usual weekday, then the days with the most free time."""
    first = [d for d in b.days if wish is not None and d.weekday() == wish[0]]
    rest = sorted((d for d in b.days if d not in first),
                  key=lambda d: (-day(d).free_minutes(), d))
    return first + rest


def _greeting_of(visit: Booking, items: list[Booking]) -> Booking | None:
    for b in items:
        if b.kind == "birthday" and b.shares_walk and b.elder == visit.elder \
                and b.days == visit.days:
            return b
    return None


def _when(b: Booking) -> str:
    if b.kind == "visit":
        return f"week of {b.monday}"
    if b.kind == "service":
        return f"{b.days[0]:%Y-%m}" if b.days else ""
    return b.days[0].isoformat()


def _activity(data: ScheduleData, b: Booking, d: dt.date, begin: int) -> Activity:
    return Activity(d, begin, begin + b.minutes, b.kind, b.volunteer, b.elder, b.community,
                    b.service, b.title, 0.0 if b.shares_walk and b.kind == "birthday"
                    else b.walk)
