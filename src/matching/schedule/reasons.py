"""Why an obligation went unmet, in a planner's words: who could have done it, and what
filled their weeks instead."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from matching.schedule.data import ScheduleData
from matching.schedule.horizon import monday_of
from matching.schedule.result import Activity, Missed, Unmet

#: Candidates named in a reason; the rest are counted.
NAMED_CANDIDATES = 3

_PLURAL = {"visit": "visits", "service": "services", "birthday": "birthday greetings",
           "group": "group activities", "festival": "festival activities"}
_SINGULAR = {"visit": "visit", "service": "service", "birthday": "birthday greeting",
             "group": "group activity", "festival": "festival activity"}


class Loads:
    """Each volunteer's weeks as finally planned: minutes taken and activities by kind."""

    def __init__(self, data: ScheduleData, activities: list[Activity]) -> None:
        self.data = data
        self.minutes: dict[tuple[int, dt.date], float] = defaultdict(float)
        self.kinds: dict[tuple[int, dt.date], Counter] = defaultdict(Counter)
        for a in activities:
            if a.activity == "call":
                continue
            key = a.volunteer, monday_of(a.date)
            self.minutes[key] += a.minutes + 2 * a.walk
            self.kinds[key][a.activity] += 1

    def describe(self, v: int, mondays: tuple[dt.date, ...]) -> str:
        """``V00010 (3 visits, 1 festival activity; 290 of 300 min)`` over some weeks."""
        kinds: Counter = Counter()
        for m in mondays:
            kinds.update(self.kinds.get((v, m), Counter()))
        used = [self.minutes.get((v, m), 0.0) for m in mondays]
        what = ", ".join(f"{n} {_SINGULAR[k] if n == 1 else _PLURAL[k]}"
                         for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        weekly = self.data.weekly[v]
        if len(mondays) == 1:
            room = f"{used[0]:.0f} of {weekly:g} min"
        else:
            room = f"its weeks {min(used):.0f}-{max(used):.0f} of {weekly:g} min"
        name = self.data.problem.volunteer_ids[v]
        return f"{name} ({what or 'nothing else'}; {room})"


def reason(data: ScheduleData, loads: Loads, m: Missed) -> Unmet:
    """The unmet row of a missed obligation."""
    ids = data.problem.volunteer_ids
    window = f"{data.rules.day_start // 60:02d}:{data.rules.day_start % 60:02d}-" \
             f"{data.rules.day_end // 60:02d}:{data.rules.day_end % 60:02d}"
    named = [loads.describe(v, m.mondays) for v in m.candidates[:NAMED_CANDIDATES]]
    more = len(m.candidates) - NAMED_CANDIDATES
    listed = "; ".join(named) + (f"; and {more} more" if more > 0 else "")
    if m.note == "before":
        text = (f"due before the re-schedule date {data.horizon.from_date}, and not in the "
                "published schedule kept before it")
    elif m.note == "no time":
        text = (f"{ids[m.candidates[0]]} had no free time left on a shared day of that week "
                f"({window}, walking included): {listed}")
    elif m.kind == "visit" and m.note == "no shared day":
        text = ("no one who may visit shares an available day with the elder in the days "
                f"left of that week ({', '.join(ids[v] for v in m.candidates)})")
    elif m.kind == "visit":
        who = "the primary and the backup" if len(m.candidates) > 1 else "the primary (no " \
            "eligible backup)"
        text = f"{who} had no room that week after other visits: {listed}"
    elif m.kind == "birthday":
        who = "neither the primary nor the backup" if len(m.candidates) > 1 else \
            "the primary (no eligible backup) did not"
        text = f"{who} had the minutes left that week: {listed}"
    elif m.kind == "service":
        if not m.candidates:
            text = (f"no volunteer within {data.rules.service_km:g} km has the skill {m.note} "
                    "and a shared day (and is not refused)")
        else:
            n = len(m.candidates)
            text = (f"{'the only volunteer' if n == 1 else f'all {n} volunteers'} with the "
                    f"skill {m.note} within {data.rules.service_km:g} km "
                    f"{'was' if n == 1 else 'were'} fully booked on the days they share with "
                    f"the elder that month: {listed}")
    else:
        got, need_on = m.note.split(" of ")
        need = need_on.split()[0]
        if not m.candidates:
            text = "the community has no volunteer to organise it"
        elif got == "0":
            text = (f"none of the community's {len(m.candidates)} volunteers could organise it "
                    f"on any of its days (unavailable, or full those weeks): {listed}")
        else:
            text = (f"only {got} of the {need} organisers needed ({need_on.split(' on ')[-1]}): "
                    "the community's other volunteers were unavailable that day or full that "
                    f"week, for example {listed}")
    return Unmet(m.elder, m.when, m.kind, text, m.community)
