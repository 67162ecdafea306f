"""Why an obligation went unmet, in a planner's terms: who could have done it, and what
filled their weeks instead; a code of the catalogue with its figures
(:mod:`matching.catalogue`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from matching.catalogue import Reason
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import monday_of
from matching.schedule.result import Activity, Missed, Unmet

#: Candidates named in a reason; the rest are counted.
NAMED_CANDIDATES = 3


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

    def describe(self, v: int, mondays: tuple[dt.date, ...]) -> dict[str, object]:
        """A volunteer's weeks as a part of a cause: ``V00010 (3 visits, 1 festival
        activity; 290 of 300 min)``."""
        kinds: Counter = Counter()
        for m in mondays:
            kinds.update(self.kinds.get((v, m), Counter()))
        used = [self.minutes.get((v, m), 0.0) for m in mondays]
        what = [Reason(f"count.{k}.{'one' if n == 1 else 'many'}", {"n": n}).part()
                for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))] or \
            [Reason("load.nothing").part()]
        weekly = float(self.data.weekly[v])
        name = str(self.data.problem.volunteer_ids[v])
        if len(mondays) == 1:
            return Reason("load.week", {"volunteer": name, "kinds": what,
                                        "used": round(used[0]), "weekly": weekly}).part()
        return Reason("load.weeks", {"volunteer": name, "kinds": what, "low": round(min(used)),
                                     "high": round(max(used)), "weekly": weekly}).part()


def reason(data: ScheduleData, loads: Loads, m: Missed) -> Unmet:
    """The unmet row of a missed obligation."""
    ids = data.problem.volunteer_ids
    window = f"{data.rules.day_start // 60:02d}:{data.rules.day_start % 60:02d}-" \
             f"{data.rules.day_end // 60:02d}:{data.rules.day_end % 60:02d}"
    listed = [loads.describe(v, m.mondays) for v in m.candidates[:NAMED_CANDIDATES]]
    more = len(m.candidates) - NAMED_CANDIDATES
    if more > 0:
        listed.append(Reason("load.more", {"n": more}).part())
    service_km = float(data.rules.service_km)
    if m.note == "before":
        why = Reason("unmet.before_from", {"from_date": str(data.horizon.from_date)})
    elif m.note == "no time":
        why = Reason("unmet.no_time", {"volunteer": str(ids[m.candidates[0]]),
                                       "window": window, "listed": listed})
    elif m.kind == "visit" and m.note == "no shared day":
        why = Reason("unmet.visit_no_shared_day",
                     {"candidates": [str(ids[v]) for v in m.candidates]})
    elif m.kind == "visit":
        why = Reason("unmet.visit_no_room_both" if len(m.candidates) > 1
                     else "unmet.visit_no_room_primary", {"listed": listed})
    elif m.kind == "birthday":
        why = Reason("unmet.birthday_neither" if len(m.candidates) > 1
                     else "unmet.birthday_primary", {"listed": listed})
    elif m.kind == "service":
        skill = f"service.{m.note}"
        if not m.candidates:
            why = Reason("unmet.service_nobody", {"service_km": service_km, "skill": skill})
        elif len(m.candidates) == 1:
            why = Reason("unmet.service_booked_one", {"service_km": service_km,
                                                      "skill": skill, "listed": listed})
        else:
            why = Reason("unmet.service_booked_all", {"service_km": service_km,
                                                      "skill": skill, "n": len(m.candidates),
                                                      "listed": listed})
    else:
        got, need_on = m.note.split(" of ")
        if not m.candidates:
            why = Reason("unmet.event_no_volunteer")
        elif got == "0":
            why = Reason("unmet.event_none_could", {"n": len(m.candidates), "listed": listed})
        else:
            why = Reason("unmet.event_too_few", {"got": int(got), "need": int(need_on.split()[0]),
                                                 "day": need_on.split(" on ")[-1],
                                                 "listed": listed})
    return Unmet(m.elder, m.when, m.kind, why, m.community)
