"""The published past of a re-schedule: kept exactly, and counted in everything planned after.

Re-scheduling from a date keeps every row of the earlier schedule before that date as it was
published. Those rows still use the volunteers' weeks, still count as the elder's visit of
their week, the backup's turn of their block, the month's service, the quarter's group
activity; the visits planned after the date for pairs that did not change give the weekday
and time to keep.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.schedule import dates
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import monday_of
from matching.schedule.result import Activity, Missed
from matching.world.columns import ELDER_ID, VOLUNTEER_ID


def clock_minutes(text: str) -> int:
    """``HH:MM`` as minutes after midnight."""
    hours, minutes = str(text).strip().split(":")[:2]
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Past:
    """The published rows before the re-schedule date, and what they settle.

    Attributes
    ----------
    activities
        Rows whose volunteer (and elder) are still in the world.
    raw
        Rows naming someone no longer in the inputs, kept as text.
    keep_slot
        ``(volunteer, elder) -> (weekday, start)`` most often published for pairs that did
        not change, and ``(volunteer, elder, monday) -> (weekday, start)`` of each week.
    keep_backup
        ``elder -> volunteer`` who stood in for the same primary before.
    published
        ``(elder, monday, volunteer)`` of the visits the earlier schedule planned from the
        re-schedule date on for pairs that did not change: kept where they still fit.
    callers
        ``(elder, monday) -> volunteer`` who made the published calls of a week: in a week
        cut by the re-schedule date, the week's visit stays theirs (the caller is the
        visitor).
    """

    activities: tuple[Activity, ...] = ()
    raw: pd.DataFrame = field(default_factory=pd.DataFrame)
    keep_slot: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keep_backup: dict[int, int] = field(default_factory=dict)
    published: frozenset[tuple[int, dt.date, int]] = frozenset()
    week_load: dict[tuple[int, dt.date], float] = field(default_factory=dict)
    visited: frozenset[tuple[int, dt.date]] = frozenset()
    callers: dict[tuple[int, dt.date], int] = field(default_factory=dict)
    backup_turns: dict[tuple[int, int], int] = field(default_factory=dict)
    visitors: dict[int, frozenset[int]] = field(default_factory=dict)
    services: frozenset[tuple[int, int]] = frozenset()
    events: frozenset[tuple[str, str, dt.date]] = frozenset()
    birthdays: frozenset[tuple[int, dt.date]] = frozenset()

    @classmethod
    def load(cls, data: ScheduleData, previous: pd.DataFrame,
             old_primary: dict[str, str]) -> Past:
        """Read an earlier schedule (text cells) for a re-schedule from ``from_date``."""
        p, h = data.problem, data.horizon
        vid = {v: i for i, v in enumerate(p.volunteer_ids)}
        eid = {e: i for i, e in enumerate(p.elder_ids)}
        kept: list[Activity] = []
        raw: list[dict] = []
        slots: dict[tuple[int, int], Counter] = defaultdict(Counter)
        keep_slot: dict[tuple, tuple[int, int]] = {}
        keep_backup: dict[int, int] = {}
        published: set[tuple[int, dt.date, int]] = set()
        gone: list[tuple[str, int, dt.date, str, bool]] = []
        for r in previous.to_dict("records"):
            day = dt.date.fromisoformat(r["date"])
            v = vid.get(r[VOLUNTEER_ID], -1)
            e = eid.get(r.get(ELDER_ID, ""), -1)
            named_elder = bool(r.get(ELDER_ID))
            start, end = clock_minutes(r["start"]), clock_minutes(r["end"])
            unchanged = e >= 0 and data.primary[e] >= 0 and old_primary.get(
                r[ELDER_ID]) == p.volunteer_ids[data.primary[e]]
            if day < h.from_date:
                if v < 0 or (named_elder and e < 0):
                    raw.append(r)  # someone who has since left: kept as text
                    if e >= 0 or not named_elder:  # ... and what they did still happened
                        # (a visit by whoever was not the elder's primary was the backup's
                        # turn in its block)
                        turn = named_elder and old_primary.get(r[ELDER_ID]) != \
                            r[VOLUNTEER_ID]
                        gone.append((r["activity"], e, day, r.get("community", ""), turn))
                    continue
                kept.append(Activity(day, start, end, r["activity"], v, e,
                                     r.get("community", ""), r.get("service", ""),
                                     r.get("title", ""), data.trip(v, e) if e >= 0 else 0.0))
            elif r["activity"] == "visit" and unchanged and v >= 0:
                published.add((e, monday_of(day), v))
                if v == data.primary[e]:
                    slots[v, e][day.weekday(), start] += 1
                    keep_slot[v, e, monday_of(day)] = (day.weekday(), start)
            if r["activity"] == "visit" and unchanged and v >= 0 and v != data.primary[e]:
                keep_backup.setdefault(e, v)
        for pair, seen in slots.items():  # the most usual, the earliest of equals
            keep_slot[pair] = min(seen, key=lambda slot: (-seen[slot], slot))
        past = cls.of(data, kept, pd.DataFrame(raw), keep_slot, keep_backup)
        # a visit, greeting, service or event published before the date by a volunteer who
        # has since left was made all the same: it settles its obligation like any other,
        # and a backup's visit takes its block's turn
        turns = dict(past.backup_turns)
        for k, e, d, _, turn in gone:
            number = h.full_number(d)
            if k == "visit" and turn and number >= 0:
                key = (e, number // h.block_weeks)
                turns[key] = turns.get(key, 0) + 1
        # nothing was due to an elder before she joined: not before the day the roster
        # says (``joined``), nor, for one the earlier schedule never named, before this
        # re-schedule (she is not listed as unmet for it)
        due = joined_days(data, set(previous[ELDER_ID]) if ELDER_ID in previous
                          else set())
        owed_none = {(e, m) for e, day in due.items() for m in h.full_weeks
                     if m < day and m + dt.timedelta(days=6) < h.from_date}
        return dataclasses.replace(
            past, published=frozenset(published), backup_turns=turns,
            visited=past.visited | {(e, monday_of(d)) for k, e, d, _, _ in gone
                                    if k == "visit"} | owed_none,
            birthdays=past.birthdays | {(e, d) for k, e, d, _, _ in gone if k == "birthday"}
            | {(e, d) for e, day in due.items()
               for d in dates.birthday_in(data.birthdays[e], h.start, min(day, h.from_date))},
            services=past.services | {(e, h.month_of(d)) for k, e, d, _, _ in gone
                                      if k == "service"}
            | {(e, m) for e, day in due.items() for m, (first, nxt) in enumerate(h.months)
               if first < day and nxt <= h.from_date},
            events=past.events | {(k, c, d) for k, e, d, c, _ in gone
                                  if k in ("group", "festival")})

    def with_absences(self, data: ScheduleData) -> Past:
        """What the roster's periods away settle: a volunteer away any day of a week plans
        nothing that week (their week is full; the backup may make the week's visit, one
        more turn of the block for each such week), and an elder away any day of a week is
        owed no visit that week, nor a greeting on a birthday she is away."""
        if not data.volunteer_away and not data.elder_away:
            return self
        week_load = dict(self.week_load)
        for v in range(data.num_volunteers):
            for monday in data.volunteer_away_weeks(v):
                week_load[v, monday] = max(week_load.get((v, monday), 0.0),
                                           float(data.weekly[v]))
        h = data.horizon
        visited, birthdays, turns = set(self.visited), set(self.birthdays), \
            dict(self.backup_turns)
        away_turns: dict[tuple[int, int], int] = {}
        for e in data.assigned.tolist():
            mine = data.elder_away_weeks(e)
            visited |= {(e, monday) for monday in mine}
            birthdays |= {(e, d) for d in dates.birthday_in(data.birthdays[e], h.start, h.end)
                          if data.elder_away_on(e, d)}
            for monday in data.volunteer_away_weeks(int(data.primary[e])):
                number = h.full_number(monday)
                if number >= 0 and monday not in mine:
                    block = (e, number // h.block_weeks)
                    away_turns[block] = away_turns.get(block, 0) + 1
        # a turn the backup takes for an away primary is not the block's own turn
        for block, extra in away_turns.items():
            turns[block] = turns.get(block, 0) - extra
        return dataclasses.replace(self, week_load=week_load, visited=frozenset(visited),
                                   birthdays=frozenset(birthdays), backup_turns=turns)

    @classmethod
    def of(cls, data: ScheduleData, activities: list[Activity], raw: pd.DataFrame,
           keep_slot: dict[tuple, tuple[int, int]],
           keep_backup: dict[int, int]) -> Past:
        """What a list of published activities settles."""
        h = data.horizon
        week_load: dict[tuple[int, dt.date], float] = defaultdict(float)
        visited, services, events, birthdays = set(), set(), set(), set()
        turns: dict[tuple[int, int], int] = defaultdict(int)
        visitors: dict[int, set[int]] = defaultdict(set)
        callers: dict[tuple[int, dt.date], int] = {}
        for a in activities:
            if a.activity == "call":
                callers[a.elder, monday_of(a.date)] = a.volunteer
                continue
            week_load[a.volunteer, monday_of(a.date)] += a.minutes + 2 * a.walk
            if a.activity == "visit":
                visited.add((a.elder, monday_of(a.date)))
                visitors[a.elder].add(a.volunteer)
                number = h.full_number(a.date)
                if number >= 0 and a.volunteer != data.primary[a.elder]:
                    turns[a.elder, number // h.block_weeks] += 1
            elif a.activity == "service":
                services.add((a.elder, h.month_of(a.date)))
            elif a.activity in ("group", "festival"):
                events.add((a.activity, a.community, a.date))
            elif a.activity == "birthday":
                birthdays.add((a.elder, a.date))
        return cls(activities=tuple(activities), raw=raw, keep_slot=keep_slot,
                   keep_backup=keep_backup, week_load=dict(week_load),
                   visited=frozenset(visited), callers=callers, backup_turns=dict(turns),
                   visitors={e: frozenset(vs) for e, vs in visitors.items()},
                   services=frozenset(services), events=frozenset(events),
                   birthdays=frozenset(birthdays))

    def gaps(self, data: ScheduleData, backups: np.ndarray) -> list[Missed]:
        """Visits and birthday greetings due wholly before the re-schedule date that the
        published past does not hold (nothing may go unmet silently, not even before it)."""
        h = data.horizon
        if h.from_date <= h.start:
            return []
        out = []
        for monday in h.full_weeks:
            if monday + dt.timedelta(days=6) >= h.from_date:
                break
            for e in data.assigned.tolist():
                if (e, monday) not in self.visited:
                    out.append(Missed("visit", e, f"week of {monday}",
                                      str(data.elder_community[e]),
                                      _visitors(data, backups, e), (monday,), "before"))
        for e in data.assigned.tolist():
            for day in dates.birthday_in(data.birthdays[e], h.start, h.from_date):
                if (e, day) not in self.birthdays:
                    out.append(Missed("birthday", e, day.isoformat(),
                                      str(data.elder_community[e]),
                                      _visitors(data, backups, e), (monday_of(day),),
                                      "before"))
        return out

    def event_held(self, kind: str, community: str, first: dt.date, nxt: dt.date) -> bool:
        """Whether the past already holds this community's event in ``[first, nxt)``."""
        return any(k == kind and c == community and first <= d < nxt
                   for k, c, d in self.events)


def joined_days(data: ScheduleData, named: set[str]) -> dict[int, dt.date]:
    """The day each elder who joined during the horizon began to be owed anything: the
    elders file's ``joined`` date (the roster writes it), and for an elder the earlier
    schedule never named, the re-schedule date at the earliest. Elders owed everything
    from the start are left out."""
    h = data.horizon
    elders = data.problem.world.elders
    joined = [str(d) for d in elders.column("joined")] if elders.has("joined") \
        else [""] * len(elders)
    out = {}
    for e, (elder_id, text) in enumerate(zip(data.problem.elder_ids, joined, strict=True)):
        day = h.start if elder_id in named else h.from_date
        with contextlib.suppress(ValueError):
            day = max(day, dt.date.fromisoformat(text.strip()))
        if day > h.start:
            out[e] = day
    return out


def _visitors(data: ScheduleData, backups: np.ndarray, e: int) -> tuple[int, ...]:
    return tuple(int(v) for v in (data.primary[e], backups[e]) if v >= 0)
