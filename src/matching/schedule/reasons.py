"""Why an obligation went unmet, in a planner's terms: who could have done it, and what
filled their weeks instead; a code of the catalogue with its figures
(:mod:`matching.catalogue`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import numpy as np

from matching.catalogue import Reason
from matching.pairing.eligibility import ELIGIBLE, GENDER, NO_SHARED_DAY, REFUSES, TOO_FAR
from matching.rules.schedule import times_text
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


def unservable(data: ScheduleData, e: int, tag: str, day_mask: int = 0b1111111) -> Reason:
    """Why nobody may give elder ``e`` the service ``tag`` on the weekdays of ``day_mask``:
    the rules in the order the one rule tests them (:mod:`matching.pairing.eligibility`:
    distance, refusal, gender, a shared day), then the days left of the month, and the
    first that turns away everyone left, with how many it turned away.

    ``需要理发：5 公里内会理发的 4 位志愿者都是男性，老人希望女性``."""
    params: dict[str, object] = {"skill": f"service.{tag}",
                                 "service_km": float(data.rules.service_km)}
    skilled = np.array([v for v, tags in enumerate(data.skills) if tag in tags], dtype=np.int64)
    if not len(skilled):
        return Reason("service.nobody_skilled", params)
    keys = skilled * data.num_elders + e
    at = np.searchsorted(data.service_keys, keys)
    at = np.minimum(at, max(0, len(data.service_keys) - 1))
    known = (data.service_keys[at] == keys) if len(data.service_keys) else \
        np.zeros(len(keys), dtype=bool)
    km = np.where(known, data.service_km[at] if len(data.service_keys) else 0.0, np.inf)
    codes = data.problem.eligibility.codes(skilled, np.full(len(skilled), e), km,
                                           data.rules.service_km)
    left = len(skilled)
    for code, words in ((TOO_FAR, "service.all_too_far"), (REFUSES, "service.all_refused"),
                        (GENDER, "service.all_other_gender"),
                        (NO_SHARED_DAY, "service.no_shared_day")):
        turned = int((codes == code).sum())
        if turned == left:
            if code == GENDER:
                wants = int(data.problem.eligibility.wants[e])
                theirs = set(data.problem.eligibility.gender[skilled[codes == code]].tolist())
                params["wants"] = f"gender.{'F' if wants == 1 else 'M'}"
                if len(theirs) == 1 and 0 not in theirs:
                    params["theirs"] = f"gender.{'F' if theirs.pop() == 1 else 'M'}"
                    words = "service.all_the_other_gender"
            return Reason(words + (".one" if left == 1 else ""), {**params, "n": left})
        left -= turned
    able = skilled[codes == ELIGIBLE]
    if not (data.volunteer_days[able] & data.elder_days[e] & day_mask).any():
        return Reason("service.no_day_left" + (".one" if len(able) == 1 else ""),
                      {**params, "n": len(able)})
    return Reason("service.nobody_in_reach", params)


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
    elif m.note == "no common time":
        why = Reason("unmet.no_common_time", {
            "volunteer": str(ids[m.candidates[0]]),
            "elder_times": times_text(data.elder_times[m.elder]) if data.elder_times
            and data.elder_times[m.elder] else data.rules.visit_times,
            "volunteer_times": times_text(data.volunteer_times[m.candidates[0]])
            if data.volunteer_times else ""})
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
            why = unservable(data, m.elder, m.note)
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
