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

Times of day: a visit lies inside the elder's preferred times (and the volunteer's, when
given); an elder without any gets the programme's ``visit_times``, tried first. A pair's
first visit is placed at its spread time: a volunteer's elders are spread over those
times (``上午 下午`` and three elders: 09:00, 11:00, 16:00), and later weeks keep the time.
When a volunteer has several home activities on one day, they follow one another in the
order that walks least (home, each home in turn, home), each after the walk from the last
home, as early as their times allow.

Start times fall on five-minute marks, with the walk between two places and at least
``GAP_MINUTES`` kept free between two activities.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

from matching.schedule.data import ScheduleData
from matching.schedule.past import Past
from matching.schedule.result import Activity, Booking, Missed

#: Start times fall on multiples of this many minutes.
TIME_STEP_MINUTES = 5
#: A pair's spread time falls on multiples of this many minutes (a time people say).
SPREAD_STEP_MINUTES = 15
#: Least time between two activities of a volunteer, besides the walk.
GAP_MINUTES = 5
#: Most home activities of one day put in the order that walks least by trying every order
#: (6! = 720); a longer day keeps the order it was laid out in.
MOST_ORDERED = 6

_FIRST = {"group": 0, "festival": 0, "birthday": 1}
#: Kinds that happen at the elder's home and follow the elder's preferred times.
_AT_HOME = ("visit", "service", "birthday")
Windows = tuple[tuple[int, int], ...]


def _step_up(minutes: float) -> int:
    return int(math.ceil(minutes / TIME_STEP_MINUTES - 1e-9) * TIME_STEP_MINUTES)


def _step_down(minutes: float) -> int:
    return int(math.floor(minutes / TIME_STEP_MINUTES + 1e-9) * TIME_STEP_MINUTES)


def spread_start(windows: Windows, length: int, k: int, n: int) -> int | None:
    """The start of the ``k``-th of ``n`` activities of ``length`` minutes spread evenly over
    the times of ``windows`` (the middle of the ``k``-th equal share of the start times
    that fit), on a :data:`SPREAD_STEP_MINUTES` mark; ``None`` where no window holds it."""
    usable = [(a, b - length) for a, b in windows if b - a >= length]
    total = sum(hi - lo for lo, hi in usable)
    if not usable:
        return None
    x = total * (k + 0.5) / max(n, 1)
    for lo, hi in usable:
        if x <= hi - lo or (lo, hi) == usable[-1]:
            mark = int((lo + min(x, hi - lo)) // SPREAD_STEP_MINUTES * SPREAD_STEP_MINUTES)
            return max(_step_up(lo), min(mark, _step_down(hi)))
        x -= hi - lo
    return None  # pragma: no cover - the last window always answers


@dataclass
class _Slot:
    """A stretch of a volunteer's day: an activity, where it is (an elder, or -1 for a
    community event) and the walk from the volunteer's home to it."""

    begin: int
    end: int
    place: int
    walk: int


class _Day:
    """One volunteer's day: what is placed, and the walks between."""

    def __init__(self, data: ScheduleData, start: int, end: int) -> None:
        self.data, self.start, self.end = data, start, end
        self.slots: list[_Slot] = []

    def free_minutes(self) -> int:
        return self.end - self.start - sum(s.end - s.begin + 2 * s.walk for s in self.slots)

    def between(self, a: _Slot, b: _Slot) -> int:
        """Least minutes from the end of ``a`` to the start of ``b``: the walk from one
        place to the other (by way of home when a place is unknown), and the gap."""
        walk = None
        if a.place >= 0 and b.place >= 0:
            walk = 0.0 if a.place == b.place else self.data.walk_between(a.place, b.place)
            if walk is not None:
                walk = min(walk, a.walk + b.walk)
        return _step_up((a.walk + b.walk if walk is None else walk) + GAP_MINUTES)

    def fits(self, slot: _Slot) -> bool:
        if slot.begin - slot.walk < self.start or slot.end + slot.walk > self.end:
            return False
        for other in self.slots:
            if other.end <= slot.begin:
                if slot.begin < other.end + self.between(other, slot):
                    return False
            elif slot.end <= other.begin:
                if other.begin < slot.end + self.between(slot, other):
                    return False
            else:
                return False
        return True

    def earliest(self, length: int, walk: int, wish: int | None = None, place: int = -1,
                 windows: Windows | None = None) -> int | None:
        """The start inside ``windows`` (the whole day if none) nearest ``wish`` (the first
        one if no wish) at which ``length`` minutes, with the walks around them, are free."""
        windows = windows or ((self.start, self.end),)

        def inside(t: int) -> bool:
            return any(a <= t and t + length <= b for a, b in windows)

        def ok(t: int) -> bool:
            return inside(t) and self.fits(_Slot(t, t + length, place, walk))

        if wish is not None and ok(wish):
            return wish
        probe = _Slot(0, length, place, walk)
        times = {self.start + walk}
        for a, b in windows:
            times |= {a, b - length}
            if wish is not None:
                times.add(min(max(wish, a), b - length))
        for other in self.slots:
            times.add(other.end + self.between(other, probe))
            times.add(other.begin - self.between(probe, other) - length)
        found = sorted(t for t in ({_step_up(t) for t in times} | {_step_down(t) for t in times})
                       if ok(t))
        if not found:
            return None
        if wish is None:
            return found[0]
        return min(found, key=lambda t: (abs(t - wish), t))

    def take(self, begin: int, length: int, walk: int, place: int = -1) -> None:
        self.slots.append(_Slot(begin, begin + length, place, walk))


class _Week:
    """One volunteer's days of one week, made as they are first asked for."""

    def __init__(self, data: ScheduleData, v: int,
                 fixed: dict[tuple[int, dt.date], list[_Slot]]) -> None:
        self.data, self.v, self.fixed = data, v, fixed
        self.days: dict[dt.date, _Day] = {}

    def __call__(self, d: dt.date) -> _Day:
        if d not in self.days:
            self.days[d] = _Day(self.data, self.data.rules.day_start, self.data.rules.day_end)
            self.days[d].slots += [_Slot(s.begin, s.end, s.place, s.walk)
                                   for s in self.fixed.get((self.v, d), [])]
        return self.days[d]


class _Spread:
    """Each pair's spread time (see :func:`spread_start`): a volunteer's own elders in id
    order share out the times; anyone else they go to comes after them."""

    def __init__(self, data: ScheduleData) -> None:
        self.data = data
        ids = data.problem.elder_ids
        own: dict[int, list[int]] = defaultdict(list)
        for e in sorted(data.assigned.tolist(), key=lambda e: str(ids[e])):
            own[int(data.primary[e])].append(e)
        self.rank = {(v, e): (k, len(es)) for v, es in own.items() for k, e in enumerate(es)}
        self.count = {v: len(es) for v, es in own.items()}

    def __call__(self, v: int, e: int, length: int, windows: Windows) -> int | None:
        k, n = self.rank.get((v, e), (self.count.get(v, 0), self.count.get(v, 0) + 1))
        return spread_start(windows, length, k, n)


def lay_out(data: ScheduleData, bookings: list[Booking], past: Past
            ) -> tuple[list[Activity], list[Missed]]:
    """Days and times for every booking; what finds no room is returned as missed."""
    groups: dict[tuple[dt.date, int], list[Booking]] = defaultdict(list)
    for b in bookings:
        groups[b.monday, b.volunteer].append(b)
    fixed: dict[tuple[int, dt.date], list[_Slot]] = defaultdict(list)
    for a in past.activities:
        if a.activity != "call":
            fixed[a.volunteer, a.date].append(_Slot(a.start, a.end, a.elder,
                                                    _step_up(a.walk)))
    usual: dict[tuple, tuple[int, int]] = dict(past.keep_slot)
    spread = _Spread(data)
    placed: list[Activity] = []
    missed: list[Missed] = []
    for (monday, v), items in sorted(groups.items()):
        # first with each pair at its usual weekday and time; if that leaves something out,
        # again with the most constrained first, and the better of the two is kept
        week = _lay_out_week(data, v, monday, items, fixed, usual, spread, keep_times=True)
        if week[1]:
            again = _lay_out_week(data, v, monday, items, fixed, usual, spread,
                                  keep_times=False)
            if len(again[1]) < len(week[1]):
                week = again
        placed += week[0]
        missed += week[1]
        for a in week[0]:
            if a.activity == "visit":
                usual.setdefault((v, a.elder), (a.date.weekday(), a.start))
    return placed, missed


def _lay_out_week(data: ScheduleData, v: int, monday: dt.date, items: list[Booking],
                  fixed: dict[tuple[int, dt.date], list[_Slot]],
                  usual: dict[tuple, tuple[int, int]], spread: _Spread, *, keep_times: bool
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
    movable: dict[dt.date, list[tuple[Booking, Booking | None, int]]] = defaultdict(list)
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
        tries = data.visit_windows(v, b.elder) if b.kind in _AT_HOME else (None,)
        wish = wanted(b)
        published = wish is not None and (v, b.elder, monday) in usual
        first_time = spread(v, b.elder, length, tries[0]) if tries[0] else None
        done = False
        apart = tries[-1] == ()  # no time of day they share
        for within in tries:
            if within == ():
                break
            for d in _preferred_days(b, day, wish):
                want = wish[1] if wish is not None and wish[0] == d.weekday() else first_time
                begin = day(d).earliest(length, walk, want, b.elder, within)
                if begin is None:
                    continue
                day(d).take(begin, length, walk, b.elder)
                if not published or begin != want:
                    movable[d].append((b, greeting, len(placed)))
                placed.append(_activity(data, b, d, begin))
                if greeting is not None:
                    placed.append(_activity(data, greeting, d, begin + b.minutes))
                done = True
                break
            if done:
                break
        if not done:
            missed.append(Missed(b.kind, b.elder, _when(b), b.community, (v,), (monday,),
                                 "no common time" if apart else "no time"))
            if greeting is not None:
                missed.append(Missed("birthday", b.elder, _when(greeting), b.community, (v,),
                                     (monday,), "no time"))
    for d, trip in movable.items():
        if len(trip) > 1:
            _one_after_another(data, day(d), trip, placed)
    return placed, missed


def _one_after_another(data: ScheduleData, today: _Day,
                       trip: list[tuple[Booking, Booking | None, int]],
                       placed: list[Activity]) -> None:
    """Put a day's movable home activities (``placed[k]`` for each, and its greeting after
    it) one after another in the order that walks least, each as early as its times allow
    after the walk from the last home; the day is left as it is if no order fits."""
    if len(trip) > MOST_ORDERED:
        return
    v = trip[0][0].volunteer
    current = {k: placed[k] for _, _, k in trip}
    moving = {(x.start, x.elder) for x in current.values()}
    rest = [s for s in today.slots if (s.begin, s.place) not in moving]
    best: tuple | None = None
    for order in itertools.permutations(range(len(trip))):
        plan = _Day(data, today.start, today.end)
        plan.slots = list(rest)
        times, last = [], None
        for i in order:
            b, greeting, k = trip[i]
            length = b.minutes + (greeting.minutes if greeting else 0)
            walk = _step_up(b.walk)
            tries = data.visit_windows(v, b.elder)
            after = current[k].start if last is None else last.end + plan.between(
                last, _Slot(0, 0, b.elder, walk))
            begin = None
            for windows in tries:
                within = tuple((max(a, after), e) for a, e in windows
                               if e - max(a, after) >= length)
                begin = plan.earliest(length, walk, None, b.elder, within) if within else None
                if begin is not None:
                    break
            if begin is None:
                break
            last = _Slot(begin, begin + length, b.elder, walk)
            plan.slots.append(last)
            times.append((k, begin))
        else:
            walked = _step_up(trip[order[0]][0].walk) + _step_up(trip[order[-1]][0].walk) + sum(
                plan.between(_Slot(0, 0, trip[a][0].elder, _step_up(trip[a][0].walk)),
                             _Slot(0, 0, trip[b][0].elder, _step_up(trip[b][0].walk)))
                for a, b in itertools.pairwise(order))
            key = (walked, max(t for _, t in times), order)
            if best is None or key < best[0]:
                best = (key, times, plan.slots)
    if best is None:
        return
    for k, begin in best[1]:
        a = placed[k]
        shift = begin - a.start
        placed[k] = _moved(a, shift)
        if k + 1 < len(placed) and placed[k + 1].activity == "birthday" and \
                placed[k + 1].elder == a.elder and placed[k + 1].date == a.date and \
                placed[k + 1].start == a.end:
            placed[k + 1] = _moved(placed[k + 1], shift)
    today.slots = best[2]


def _moved(a: Activity, shift: int) -> Activity:
    return Activity(a.date, a.start + shift, a.end + shift, a.activity, a.volunteer, a.elder,
                    a.community, a.service, a.title, a.walk)


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
