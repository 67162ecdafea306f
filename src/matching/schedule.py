"""The "six ones" schedule: calls, visits, services, group and festival activities, birthdays.

The horizon is planned by a decomposition around CP-SAT, because one model over a year of
days, times and people would be large and slow while the structure splits naturally:

1. **Backups** (min-cost flow): each elder gets one backup volunteer, eligible under the
   pairing rules, preferably one who knows them, and each volunteer backs up at most as many
   elders as their ``max_elders``, so nobody is everyone's backup. The backup's visit week in
   each 4-week block is staggered so that no backup takes two extra visits in one week.
2. **Community events**: one group activity per community per quarter and one activity per
   festival (on the day or up to 3 days before), each on the day when most of the community's
   volunteers are free, with ``ceil(elders / 10)`` organisers who have the most room.
3. **Monthly services** (min-cost flow per month): requests (each elder's need for the month,
   rotating through their needs) are matched to skilled volunteers within 5 km as one shared
   capacity, then each is given the week of the month where its provider has most room.
4. **Each week** (CP-SAT): every visit, service and birthday greeting of the week gets a day
   (and, for backup weeks and birthdays, a visitor) so that no volunteer exceeds their weekly
   minutes (travel included) or the 08:00-20:00 day; as much as possible is scheduled,
   weighted by the elder's priority, and a pair keeps the same weekday from week to week.
5. **Times**: each volunteer's day is laid out in order, events at their fixed times, with the
   walk between homes left free. Daily calls are made by the week's visitor.

What cannot be done is never dropped silently: it goes to ``unmet`` with a reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from matching import calendar, geo
from matching.errors import InputError, Problem
from matching.flow import FlowNetwork, lexicographic_weight
from matching.problem import PairingProblem
from matching.rules import COST_UNITS_PER_KM

DAY = 24 * 60
_KIND_WEIGHT = {"visit": 5, "birthday": 4, "service": 3}
#: CP-SAT's deterministic time per week (about a second): weeks are small, and a proof of
#: optimality among near-equal day choices is not worth more.
WEEK_DETERMINISTIC_TIME = 1.0


@dataclass(frozen=True)
class ScheduleRules:
    """The cadence rules and durations of the "six ones"; every number is a setting.

    Times are minutes after midnight.
    """

    call_minutes: int = 5
    service_minutes: int = 60
    group_minutes: int = 120
    festival_minutes: int = 120
    birthday_minutes: int = 30
    day_start: int = 8 * 60
    day_end: int = 20 * 60
    call_start: int = 8 * 60 + 30
    group_start: int = 9 * 60 + 30
    festival_start: int = 14 * 60 + 30
    rota_block_weeks: int = 4
    backup_visits_per_block: int = 1
    service_km: float = 5.0
    elders_per_organiser: int = 10
    festival_days_before: int = 3
    festivals: tuple[tuple[str, str, int, int], ...] = calendar.FESTIVALS

    def replace(self, **changes: object) -> ScheduleRules:
        """A copy with some rules changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class Activity:
    """One row of the schedule."""

    date: dt.date
    start: int
    end: int
    activity: str
    volunteer: int
    elder: int = -1
    community: str = ""
    service: str = ""
    title: str = ""
    budget: float = 0.0  # minutes counted against the weekly budget (activity + walking)


@dataclass
class Unmet:
    """An obligation the schedule could not meet."""

    elder: int
    when: str
    activity: str
    reason: str
    community: str = ""


@dataclass
class ScheduleResult:
    """A schedule with what it could not do.

    Attributes
    ----------
    schedule
        ``date, start, end, activity, volunteer_id, elder_id, community, service, minutes``
        plus ``title``, ``elder_name``, ``volunteer_name``, sorted by date, volunteer, time.
    unmet
        ``elder_id, when, activity, reason, community``.
    backups
        ``elder_id, primary_id, backup_id, backup_week`` (the week of each 4-week block).
    """

    schedule: pd.DataFrame
    unmet: pd.DataFrame
    backups: pd.DataFrame
    assignments: pd.DataFrame
    start: dt.date
    weeks: int
    stats: dict[str, object] = field(default_factory=dict)

    def credits(self) -> pd.DataFrame:
        """Planned time-bank hours per volunteer, by activity (calls included)."""
        s = self.schedule
        if s.empty:
            return pd.DataFrame(columns=["volunteer_id", "volunteer_name", "hours"])
        table = s.pivot_table(index=["volunteer_id", "volunteer_name"], columns="activity",
                              values="minutes", aggfunc="sum", fill_value=0)
        table = (table / 60).round(2)
        table.columns = [f"{c}_hours" for c in table.columns]
        table["hours"] = table.sum(axis=1).round(2)
        return table.reset_index()


def read_assignments(path: str, problem: PairingProblem) -> np.ndarray:
    """Primary volunteer index per elder (-1 if none) from an ``assignments.csv``.

    Raises
    ------
    InputError
        For unknown ids and elders listed twice.
    """
    from matching.read import read_table

    table = read_table(path)
    name = str(path).rsplit("/", 1)[-1]
    problems = []
    for column in ("elder_id", "volunteer_id"):
        if column not in table.columns:
            problems.append(Problem(name, f"column {column} is missing"))
    if problems:
        raise InputError(problems)
    vid = {v: i for i, v in enumerate(problem.volunteer_ids)}
    eid = {e: i for i, e in enumerate(problem.elder_ids)}
    primary = np.full(problem.num_elders, -1, dtype=np.int64)
    for row, e, v in zip(table.index, table["elder_id"], table["volunteer_id"], strict=True):
        if e not in eid:
            problems.append(Problem(name, "names no elder in the elders file", int(row),
                                    "elder_id", e))
        elif v and v not in vid:
            problems.append(Problem(name, "names no volunteer in the volunteers file",
                                    int(row), "volunteer_id", v))
        elif v:
            if primary[eid[e]] >= 0:
                problems.append(Problem(name, "lists this elder twice", int(row), "elder_id", e))
            primary[eid[e]] = vid[v]
    if problems:
        raise InputError(problems)
    return primary


class _Planner:
    """Holds the world and the growing schedule; one method per stage."""

    def __init__(self, problem: PairingProblem, primary: np.ndarray, start: dt.date, weeks: int,
                 rules: ScheduleRules, time_limit: float, seed: int,
                 from_date: dt.date | None = None) -> None:
        self.p, self.primary, self.rules = problem, primary, rules
        self.start, self.end = start, start + dt.timedelta(days=7 * weeks)
        self.from_date = max(start, from_date or start)
        # the days still to plan (everything before from_date is already published)
        self.days = [self.from_date + dt.timedelta(days=i)
                     for i in range((self.end - self.from_date).days)]
        self.past: list[Activity] = []
        self.say: Callable[[str], None] = lambda _m: None
        self.past_raw = pd.DataFrame()
        self.keep_slot: dict[tuple[int, int], tuple[int, int]] = {}
        self.keep_backup: dict[int, int] = {}
        self.time_limit, self.seed = time_limit, seed
        vols, elds = problem.world.volunteers, problem.world.elders
        self.vday = vols["day_mask"].to_numpy(np.int64)
        self.eday = elds["day_mask"].to_numpy(np.int64)
        self.weekly = vols["weekly_minutes"].to_numpy(float)
        self.vcomm = vols["community"].to_numpy(dtype=object)
        self.ecomm = elds["community"].to_numpy(dtype=object)
        self.priority = problem.priority
        self.walk = problem.rules.walking_min_per_km
        self.assigned = np.flatnonzero(primary >= 0)
        self.activities: list[Activity] = []
        self.unmet: list[Unmet] = []
        self.backup = np.full(problem.num_elders, -1, dtype=np.int64)
        self.backup_offset = np.zeros(problem.num_elders, dtype=np.int64)
        # pair figures from the problem: eligible pairs with their distances
        self.pair_km: dict[tuple[int, int], float] = {}
        for v, e, km in zip(problem.arc_v.tolist(), problem.arc_e.tolist(),
                            problem.arc_km.tolist(), strict=True):
            self.pair_km[v, e] = km
        self.visit_load = np.zeros(problem.num_volunteers)
        for e in self.assigned.tolist():
            v = int(primary[e])
            self.visit_load[v] += elds["visit_minutes"].iat[e] + 2 * self.travel(v, e)
        self.full_weeks = calendar.full_weeks(start, self.end)
        self.week_of = {m: i for i, m in enumerate(self.full_weeks)}

    # -- re-scheduling ---------------------------------------------------------------------
    def load_previous(self, previous: pd.DataFrame, old_primary: dict[str, str]) -> None:
        """Take an earlier schedule: rows before ``from_date`` are kept exactly as published;
        later visits of pairs that did not change give the weekday and time to keep."""
        vid = {v: i for i, v in enumerate(self.p.volunteer_ids)}
        eid = {e: i for i, e in enumerate(self.p.elder_ids)}
        raw = []
        for r in previous.to_dict("records"):
            day = dt.date.fromisoformat(r["date"])
            v, e = vid.get(r["volunteer_id"], -1), eid.get(r.get("elder_id", ""), -1)
            start, end = _minutes(r["start"]), _minutes(r["end"])
            if day < self.from_date:
                if v < 0 or (r.get("elder_id") and e < 0):
                    raw.append(r)  # a volunteer or elder who has since left: kept as text
                    continue
                act = Activity(day, start, end, r["activity"], v, e, r.get("community", ""),
                               r.get("service", ""), r.get("title", ""), float(end - start))
                self.past.append(act)
            elif r["activity"] == "visit" and e >= 0 and v >= 0:
                same_pair = old_primary.get(r["elder_id"]) == self.p.volunteer_ids[
                    self.primary[e]] if self.primary[e] >= 0 else False
                if same_pair and v == self.primary[e]:
                    self.keep_slot.setdefault((v, e), (day.weekday(), start))
            if r["activity"] == "visit" and e >= 0 and v >= 0 and self.primary[e] >= 0 \
                    and v != self.primary[e] and old_primary.get(r["elder_id"]) == \
                    self.p.volunteer_ids[self.primary[e]]:
                self.keep_backup.setdefault(e, v)
        self.past_raw = pd.DataFrame(raw)
        self.activities = list(self.past)

    def _done_before(self, kind: str, e: int, first: dt.date, nxt: dt.date,
                     community: str = "") -> bool:
        """Whether the published past already holds this obligation."""
        return any(a.activity == kind and first <= a.date < nxt and
                   (a.elder == e if e >= 0 else a.community == community) for a in self.past)

    # -- helpers ---------------------------------------------------------------------------
    def travel(self, v: int, e: int) -> float:
        """Walking minutes one way between volunteer and elder."""
        km = self.pair_km.get((v, e))
        if km is None:
            km = self._km(v, e)
        return self.walk * km

    def _km(self, v: int, e: int) -> float:
        vols, elds = self.p.world.volunteers, self.p.world.elders
        d = geo.haversine_km(vols["lat"].iat[v], vols["lon"].iat[v], elds["lat"].iat[e],
                             elds["lon"].iat[e])
        return float(d) if np.isfinite(d) else 0.0

    def available(self, v: int, day: dt.date) -> bool:
        """Whether the volunteer can visit on that day."""
        return bool(self.vday[v] >> day.weekday() & 1)

    def both(self, v: int, e: int, day: dt.date) -> bool:
        """Whether volunteer and elder share that day."""
        return bool((self.vday[v] & self.eday[e]) >> day.weekday() & 1)

    # -- 1. backups --------------------------------------------------------------------------
    def choose_backups(self) -> None:
        """Each elder's backup: eligible under the pairing rules, preferably known (the
        pairing objective, kin and familiar first), at most ``max_elders`` elders per backup;
        by one min-cost flow over all elders.

        The backup's week in each block is then chosen so that every volunteer's week stays
        balanced: a backup visit adds to the backup's week and frees the primary's.
        """
        p = self.p
        keep = (self.primary[p.arc_e] >= 0) & (p.arc_v != self.primary[p.arc_e]) & \
            (p.arc_minutes <= self.weekly[p.arc_v] + 1e-9)
        av, ae, ac = p.arc_v[keep], p.arc_e[keep], p.arc_cost[keep].copy()
        if not len(av):
            return
        if self.keep_backup:  # a re-schedule keeps the backups elders already know
            same = np.array([self.keep_backup.get(int(e)) == int(v)
                             for v, e in zip(av.tolist(), ae.tolist(), strict=True)])
            ac[same] -= 10 * COST_UNITS_PER_KM
        weight = lexicographic_weight(ae, ac, p.num_elders)
        net = FlowNetwork(p.num_volunteers, p.num_elders, av, ae, weight * p.priority)
        cap = np.maximum(1, p.cap_count).astype(np.int64)
        flow = net.solve(ac, cap)
        self.backup[ae[flow.used]] = av[flow.used]
        block = self.rules.rota_block_weeks
        visit = p.world.elders["visit_minutes"].to_numpy(float)
        change = np.zeros((p.num_volunteers, block))
        for e in sorted(np.flatnonzero(self.backup >= 0).tolist(), key=lambda x: p.elder_ids[x]):
            v, b = int(self.primary[e]), int(self.backup[e])
            score = change[b] - change[v]
            w = int(np.argmin(score))
            self.backup_offset[e] = w
            change[b, w] += visit[e] + 2 * self.travel(b, e)
            change[v, w] -= visit[e] + 2 * self.travel(v, e)

    # -- 2. community events -----------------------------------------------------------------
    def community_events(self) -> None:
        """Group activities each quarter and festival activities, with enough organisers."""
        r = self.rules
        members: dict[str, list[int]] = defaultdict(list)
        for e in self.assigned.tolist():
            members[str(self.ecomm[e])].append(e)
        for community in sorted(members):
            elders = members[community]
            need = math.ceil(len(elders) / r.elders_per_organiser)
            pool = {int(self.primary[e]) for e in elders} | \
                {int(self.backup[e]) for e in elders if self.backup[e] >= 0} | \
                {int(v) for v in np.flatnonzero(self.vcomm == community)}
            pool_list = sorted(pool)
            for first, nxt in calendar.full_quarters(self.start, self.end):
                q = (first.month - 1) // 3 + 1
                if self._done_before("group", -1, first, nxt, community):
                    continue
                days = [first + dt.timedelta(days=i) for i in range((nxt - first).days)]
                days = [d for d in days if d >= self.from_date]
                self._event(community, pool_list, need, days, "group", r.group_start,
                            r.group_minutes,
                            f"{first.year} Q{q} group activity / 第{q}季度集体活动",
                            f"{first.year}-Q{q}")
            for fest in calendar.festivals_between(self.start, self.end, r.festivals):
                days = [fest.date - dt.timedelta(days=k) for k in range(r.festival_days_before + 1)]
                if self._done_before("festival", -1, days[-1], fest.date + dt.timedelta(1),
                                     community):
                    continue
                days = [d for d in days if d >= self.from_date]
                self._event(community, pool_list, need, days, "festival", r.festival_start,
                            r.festival_minutes, f"{fest.name_zh} {fest.name}",
                            fest.date.isoformat())

    def _event(self, community: str, pool: list[int], need: int, days: list[dt.date],
               kind: str, start: int, minutes: int, title: str, when: str) -> None:
        def score(day: dt.date) -> tuple[int, int]:
            free = sum(self.available(v, day) and self._free_at(v, day, start, start + minutes)
                       for v in pool)
            # festivals prefer the day itself; quarters prefer the middle of the quarter
            closeness = -abs((day - days[len(days) // 2]).days) if kind == "group" else \
                -(days[0] - day).days
            return free, closeness

        best = max(days, key=score) if days else None
        if best is None:
            return
        ready = [v for v in pool if self.available(v, best)
                 and self._free_at(v, best, start, start + minutes)]
        # organisers with the most room that week go first
        ready.sort(key=lambda v: (self._week_used(v, best) + self.visit_load[v] - self.weekly[v],
                                  self.p.volunteer_ids[v]))
        chosen = ready[:need]
        for v in chosen:
            self.activities.append(Activity(best, start, start + minutes, kind, v,
                                            community=community, title=title, budget=minutes))
        if len(chosen) < need:
            self.unmet.append(Unmet(-1, when, kind, f"only {len(chosen)} of the {need} "
                                    f"organisers needed are free on {best}", community))

    def _free_at(self, v: int, day: dt.date, a: int, b: int) -> bool:
        return all(not (x.volunteer == v and x.date == day and x.start < b and a < x.end)
                   for x in self.activities)

    def _week_used(self, v: int, day: dt.date) -> float:
        monday = day - dt.timedelta(days=day.weekday())
        return sum(x.budget for x in self.activities if x.volunteer == v
                   and monday <= x.date < monday + dt.timedelta(days=7))

    # -- 3. services ---------------------------------------------------------------------------
    def plan_services(self) -> list[tuple[int, int, str, list[dt.date], float]]:
        """Match each month's service requests to skilled volunteers within reach.

        Returns ``(elder, provider, tag, candidate days, travel)`` for each matched request.
        """
        p, r = self.p, self.rules
        vols, elds = p.world.volunteers, p.world.elders
        skills = vols["skills"].tolist()
        needs = elds["needs"].tolist()
        vi, ej, km = geo.pairs_within(vols["lat"].to_numpy(float), vols["lon"].to_numpy(float),
                                      elds["lat"].to_numpy(float), elds["lon"].to_numpy(float),
                                      r.service_km)
        refused = {(v, e) for v, e, k in zip(p.near_v.tolist(), p.near_e.tolist(),
                                             p.near_code.tolist(), strict=True) if k == 2}
        gender = vols["gender"].tolist()
        want = elds["gender_preference"].tolist()
        reach: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for v, e, d in zip(vi.tolist(), ej.tolist(), km.tolist(), strict=True):
            if self.primary[e] >= 0 and needs[e] and skills[v] and (v, e) not in refused \
                    and (not want[e] or gender[v] == want[e]):
                reach[e].append((v, d))
        out = []
        months = calendar.full_months(self.start, self.end)
        # how many services each volunteer can give a month: their spare weekly minutes
        spare = self.weekly.copy()
        for e in self.assigned.tolist():
            v = int(self.primary[e])
            spare[v] -= elds["visit_minutes"].iat[e] + 2 * self.travel(v, e)
        for m, (first, nxt) in enumerate(months):
            days = [first + dt.timedelta(days=i) for i in range((nxt - first).days)]
            days = [d for d in days if d >= self.from_date]
            if not days:
                continue
            req_e, req_tag, arc_v, arc_e, arc_c = [], [], [], [], []
            for e in self.assigned.tolist():
                if not needs[e] or self._done_before("service", e, first, nxt):
                    continue
                # rotate through the needs; a need nobody nearby can serve gives way to the
                # next one in the rotation, and the gap is reported
                order = [needs[e][(m + i) % len(needs[e])] for i in range(len(needs[e]))]
                servable = [t for t in order if any(
                    t in skills[v] and self.vday[v] & self.eday[e] for v, _ in reach.get(e, []))]
                tag = servable[0] if servable else order[0]
                if servable and tag != order[0]:
                    self.unmet.append(Unmet(e, f"{first:%Y-%m}", "service rotation",
                                            f"{order[0]} was due, but no volunteer within "
                                            f"{r.service_km:g} km offers it on a shared day; "
                                            f"{tag} instead", str(self.ecomm[e])))
                k = len(req_e)
                req_e.append(e)
                req_tag.append(tag)
                for v, d in reach.get(e, []):
                    if tag in skills[v] and self.vday[v] & self.eday[e]:
                        arc_v.append(v)
                        arc_e.append(k)
                        arc_c.append(round(d * 1000))
            if not req_e:
                continue
            served = np.full(len(req_e), -1)
            if arc_v:
                av, ae, ac = (np.array(arc_v), np.array(arc_e), np.array(arc_c, dtype=np.int64))
                order = np.lexsort((av, ae))
                av, ae, ac = av[order], ae[order], ac[order]
                weeks_in_month = len(days) / 7
                # a service with a walk of about a kilometre each way
                per_service = r.service_minutes + 2 * self.walk
                cap = np.floor(np.maximum(0.0, spare) * weeks_in_month / per_service)
                # anyone with an hour to spare in a week can take at least one
                cap = np.where(spare >= r.service_minutes, np.maximum(cap, 1), cap)
                cap = np.minimum(cap, len(days)).astype(np.int64)
                pr = self.priority[np.array(req_e)]
                net = FlowNetwork(p.num_volunteers, len(req_e), av, ae,
                                  lexicographic_weight(ae, ac, len(req_e)) * pr)
                flow = net.solve(ac, cap)
                served[ae[flow.used]] = av[flow.used]
            for k, e in enumerate(req_e):
                v = int(served[k])
                if v < 0:
                    why = ("no volunteer within "
                           f"{r.service_km:g} km has the skill {req_tag[k]} and a shared day"
                           if not any(req_tag[k] in skills[u] and self.vday[u] & self.eday[e]
                                      for u, _ in reach.get(e, []))
                           else f"every volunteer with the skill {req_tag[k]} within "
                                f"{r.service_km:g} km is fully booked this month")
                    self.unmet.append(Unmet(e, f"{first:%Y-%m}", "service", why,
                                            str(self.ecomm[e])))
                    continue
                out.append((e, v, req_tag[k], days, self.walk * dict(reach[e])[v]))
        return out

    # -- 4. weeks ------------------------------------------------------------------------------
    def plan_weeks(self, services: list[tuple[int, int, str, list[dt.date], float]]) -> None:
        """Give every visit, service and birthday of each week a day (and a visitor), by one
        CP-SAT model per week."""
        elds = self.p.world.elders
        visit_min = elds["visit_minutes"].to_numpy(float)
        # services go to the week of their month in which the provider has most room
        service_week: dict[dt.date, list] = defaultdict(list)
        for e, v, tag, days, walk in services:
            mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in days})
            ok = [m for m in mondays if any(self.both(v, e, d) for d in days
                                            if m <= d < m + dt.timedelta(days=7))]
            if not ok:
                continue
            pick = min(ok, key=lambda m: (sum(1 for it in service_week[m] if it[1] == v), m))
            service_week[pick].append((e, v, tag, days, walk))
        mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in self.days})
        usual_day: dict[int, int] = {}
        # (elder, block) pairs whose backup visit is done; a backup visit that does not fit
        # in its week moves to the next week of the block
        backup_done: set[tuple[int, int]] = set()
        block = self.rules.rota_block_weeks
        for a in self.past:  # backup visits already made in the published past
            monday = a.date - dt.timedelta(days=a.date.weekday())
            if a.activity == "visit" and monday in self.week_of and \
                    a.volunteer != self.primary[a.elder]:
                backup_done.add((a.elder, self.week_of[monday] // block))
        for number, monday in enumerate(mondays, start=1):
            if number == 1 or number % 13 == 0:
                self.say(f"week {number} of {len(mondays)}")
            week_days = [monday + dt.timedelta(days=i) for i in range(7)]
            week_days = [d for d in week_days if self.from_date <= d < self.end]
            if not week_days:
                continue
            visited = {a.elder for a in self.past if a.activity == "visit"
                       and monday <= a.date < monday + dt.timedelta(days=7)}
            items = []
            full = monday in self.week_of
            block_pos = self.week_of.get(monday, -1)
            block = self.rules.rota_block_weeks
            complete_block = full and (block_pos // block + 1) * block <= len(self.full_weeks)
            # how much each volunteer is asked to do this week, to see who may need help
            pressure = self.visit_load.copy()
            for a in self.activities:
                if monday <= a.date < monday + dt.timedelta(days=7):
                    pressure[a.volunteer] += a.budget
            for _e, sv, _t, _d, walk in service_week.get(monday, []):
                pressure[sv] += self.rules.service_minutes + 2 * walk
            for e in (self.assigned.tolist() if full else []):
                if e in visited:
                    continue
                v, b = int(self.primary[e]), int(self.backup[e])
                # the backup visits once per complete block: in its turn (or the first week
                # after it that has room), or earlier if the primary has no room
                free_turn = b >= 0 and (not complete_block
                                        or (e, block_pos // block) not in backup_done)
                if complete_block and free_turn and block_pos % block >= self.backup_offset[e]:
                    visitors = ((b, 3), (v, 0))
                elif free_turn and pressure[v] > self.weekly[v]:
                    visitors = ((v, 2), (b, 0))
                else:
                    visitors = ((v, 0),)
                options = []
                for who, pref in visitors:
                    for d in week_days:
                        if self.both(who, e, d):
                            options.append((who, d, pref))
                items.append(("visit", e, options, visit_min[e], "", f"week of {monday}"))
            services_here = service_week.get(monday, [])
            for e, v, tag, month_days, _walk in services_here:
                options = [(v, d, 0) for d in month_days
                           if monday <= d < monday + dt.timedelta(days=7) and self.both(v, e, d)]
                items.append(("service", e, options, self.rules.service_minutes, tag,
                              f"{month_days[0]:%Y-%m}"))
            # the backup may greet only where they also visit (so that they know the elder)
            backups_visit = len(self.full_weeks) >= block
            n_before_birthdays = len(items)
            for e in self.assigned.tolist():
                for d in calendar.birthday_in(str(elds["birthday"].iat[e]), week_days[0],
                                              week_days[-1] + dt.timedelta(days=1)):
                    v, b = int(self.primary[e]), int(self.backup[e])
                    options = [(v, d, 1)] + ([(b, d, 0)] if b >= 0 and backups_visit else [])
                    items.append(("birthday", e, options, self.rules.birthday_minutes, "",
                                  d.isoformat()))
            n_birthdays = len(items) - n_before_birthdays
            failed = self._solve_week(monday, items, usual_day) if items else []
            if complete_block:
                for a in self.activities[-len(items) + len(failed):] if items else []:
                    if a.activity == "visit" and a.volunteer != self.primary[a.elder]:
                        backup_done.add((a.elder, block_pos // block))
            for i in failed:
                kind, e, options, _minutes, tag, when = items[i]
                if kind == "service":
                    # a service that did not fit tries the next week of its month
                    k = i - (len(items) - len(services_here) - n_birthdays)
                    e2, v, tag2, month_days, walk = services_here[k]
                    later = [d for d in month_days if d >= monday + dt.timedelta(days=7)]
                    if later:
                        nxt = later[0] - dt.timedelta(days=later[0].weekday())
                        service_week[nxt].append((e2, v, tag2, month_days, walk))
                        continue
                self.unmet.append(Unmet(e, when, kind, self._why(kind, e, options),
                                        str(self.ecomm[e])))

    def _solve_week(self, monday: dt.date, items: list, usual_day: dict[int, int]) -> list[int]:
        """Schedule what fits of one week's items; returns the indices of those that did not."""
        r = self.rules
        m = cp_model.CpModel()
        fixed_week: dict[int, float] = defaultdict(float)
        fixed_day: dict[tuple[int, dt.date], float] = defaultdict(float)
        for a in self.activities:
            if monday <= a.date < monday + dt.timedelta(days=7) and a.activity != "call":
                fixed_week[a.volunteer] += a.budget
                fixed_day[a.volunteer, a.date] += a.end - a.start
        choice = []  # (item index, option index, var, budget, day minutes)
        week_terms: dict[int, list] = defaultdict(list)
        day_terms: dict[tuple[int, dt.date], list] = defaultdict(list)
        objective = []
        for i, (kind, e, options, minutes, _tag, _when) in enumerate(items):
            vars_i = []
            for j, (v, d, pref) in enumerate(options):
                walk = self.travel(v, e)
                budget = minutes + 2 * walk
                x = m.new_bool_var(f"{kind}{i}_{j}")
                vars_i.append(x)
                choice.append((i, j, x, budget))
                week_terms[v].append((x, math.ceil(budget * 10)))
                day_terms[v, d].append((x, math.ceil((minutes + walk) * 10)))
                # visits first, then birthdays, then services (which can move to another
                # week of their month); then the backup's turn and a steady weekday
                weight = 1000 * int(self.priority[e]) * _KIND_WEIGHT[kind]
                weight += 100 * pref
                if kind == "visit" and usual_day.get(e) == d.weekday():
                    weight += 5
                if kind == "visit" and self.keep_slot.get((v, e), (-1,))[0] == d.weekday():
                    weight += 50  # the published weekday of a pair that did not change
                objective.append((x, weight))
            if vars_i:
                m.add_at_most_one(vars_i)
        self._one_trip_for_birthday_and_visit(m, items, choice, week_terms, objective)
        for v, terms in week_terms.items():
            cap = math.floor((self.weekly[v] - fixed_week[v]) * 10 + 1e-6)
            m.add(sum(c * x for x, c in terms) <= max(0, cap))
        window = r.day_end - r.day_start
        for (v, d), terms in day_terms.items():
            cap = math.floor((window - fixed_day[v, d]) * 10)
            m.add(sum(c * x for x, c in terms) <= max(0, cap))
        m.maximize(sum(w * x for x, w in objective))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.seed
        solver.parameters.max_time_in_seconds = max(1.0, self.time_limit)
        solver.parameters.max_deterministic_time = WEEK_DETERMINISTIC_TIME
        status = solver.solve(m)
        picked: dict[int, tuple[int, int]] = {}
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for i, j, x, _budget in choice:
                if solver.boolean_value(x):
                    picked[i] = (j, 0)
        failed = []
        for i, (kind, e, options, minutes, tag, _when) in enumerate(items):
            if i not in picked:
                failed.append(i)
                continue
            v, d, _pref = options[picked[i][0]]
            if kind == "visit":
                usual_day.setdefault(e, d.weekday())
            walk = self.travel(v, e)
            # start -1: the day is chosen, the time is laid out later
            self.activities.append(Activity(d, -1, math.ceil(minutes), kind, v, e,
                                            str(self.ecomm[e]), tag, budget=minutes + 2 * walk))
        return failed

    def _one_trip_for_birthday_and_visit(self, m: cp_model.CpModel, items: list, choice: list,
                                         week_terms: dict[int, list], objective: list) -> None:
        """A birthday greeting by the elder's visitor on the visit's day shares the walk:
        ``both[v, d] <= visit[v, d]``, ``both[v, d] <= birthday[v, d]``, and the walk there and
        back (``2 * travel``) is counted once, not twice."""
        var = {(items[i][0], items[i][1], items[i][2][j][0], items[i][2][j][1]): x
               for i, j, x, _ in choice}
        for (kind, e, v, d), greet in var.items():
            if kind != "birthday" or ("visit", e, v, d) not in var:
                continue
            both = m.new_bool_var(f"trip_{e}_{v}_{d}")
            m.add_implication(both, greet)
            m.add_implication(both, var["visit", e, v, d])
            week_terms[v].append((both, -math.floor(2 * self.travel(v, e) * 10)))
            objective.append((both, 1))

    def _why(self, kind: str, e: int, options: list) -> str:
        if not options:
            return ("the elder and the volunteer share no available day this week"
                    if kind != "birthday" else "no volunteer to greet")
        who = sorted({self.p.volunteer_ids[v] for v, _, _ in options})
        return (f"{', '.join(who)} had no room this week (weekly minutes or a full day) "
                "after higher-priority obligations")

    # -- 5. times ------------------------------------------------------------------------------
    def place_times(self) -> None:
        """Lay out each volunteer's day: events keep their times; other activities go in the
        free gaps in order, with the walk there left free."""
        r = self.rules
        by_day: dict[tuple[int, dt.date], list[Activity]] = defaultdict(list)
        for a in self.activities:
            by_day[a.volunteer, a.date].append(a)
        placed: list[Activity] = []
        for (v, day), acts in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            busy = sorted((a.start, a.end) for a in acts if a.start >= 0)
            placed += [a for a in acts if a.start >= 0]
            todo = sorted((a for a in acts if a.start < 0),
                          key=lambda a: (a.activity != "birthday", self.p.elder_ids[a.elder]))
            t = r.day_start
            for a in todo:
                duration = a.end
                walk = int(math.ceil(self.travel(v, a.elder) / 5) * 5)
                begin = None
                kept = self.keep_slot.get((v, a.elder))
                if a.activity == "visit" and kept and kept[0] == day.weekday():
                    begin = self._fit(busy, kept[1], duration)
                    if begin != kept[1]:
                        begin = None
                if begin is None:
                    begin = self._fit(busy, t + walk, duration)
                if begin is None or begin + duration > r.day_end:
                    begin = self._fit(busy, r.day_start + walk, duration)
                if begin is None or begin + duration > r.day_end:
                    self.unmet.append(Unmet(a.elder, day.isoformat(), a.activity,
                                            "no free time left that day between 08:00 and 20:00",
                                            a.community))
                    continue
                a.start, a.end = begin, begin + duration
                busy.append((a.start, a.end))
                busy.sort()
                t = a.end
                placed.append(a)
        self.activities = placed

    def _fit(self, busy: list[tuple[int, int]], earliest: int, duration: int) -> int | None:
        """Earliest start >= ``earliest`` of a free stretch of ``duration`` minutes."""
        t = earliest
        for a, b in sorted(busy):
            if b <= t:
                continue
            if t + duration <= a:
                return t
            t = b + 5
        return t if t + duration <= self.rules.day_end else None

    def calls(self) -> None:
        """A greeting call every day by the week's visitor (primary, or backup in a backup
        week), one after another from the call hour."""
        r = self.rules
        visitor: dict[tuple[int, dt.date], int] = {}
        for a in self.activities:
            if a.activity == "visit":
                monday = a.date - dt.timedelta(days=a.date.weekday())
                visitor[a.elder, monday] = a.volunteer
        count: dict[tuple[int, dt.date], int] = defaultdict(int)
        for day in self.days:
            monday = day - dt.timedelta(days=day.weekday())
            for e in self.assigned.tolist():
                v = visitor.get((e, monday), int(self.primary[e]))
                k = count[v, day]
                begin = r.call_start + k * r.call_minutes
                if begin + r.call_minutes > r.day_end:
                    v = int(self.primary[e])
                    k = count[v, day]
                    begin = r.call_start + k * r.call_minutes
                count[v, day] += 1
                self.activities.append(Activity(day, begin, begin + r.call_minutes, "call", v,
                                                e, str(self.ecomm[e])))


def make_schedule(problem: PairingProblem, primary: np.ndarray, start: dt.date, weeks: int,
                  rules: ScheduleRules | None = None, *, time_limit: float = 60.0,
                  seed: int = 0, from_date: dt.date | None = None,
                  previous: pd.DataFrame | None = None,
                  previous_primary: dict[str, str] | None = None,
                  progress: Callable[[str], None] | None = None) -> ScheduleResult:
    """Plan the "six ones" for every elder with a primary volunteer.

    Parameters
    ----------
    problem
        The pairing problem of the world (eligibility, distances, capacities).
    primary
        Primary volunteer index per elder, -1 for none (see :func:`read_assignments`).
    start, weeks
        The horizon ``[start, start + 7*weeks)``.
    from_date, previous, previous_primary
        Re-scheduling: ``previous`` (an earlier ``schedule.csv`` as text cells) is kept exactly
        before ``from_date``; from it on the horizon is planned for the current pairing, and
        pairs that did not change (``previous_primary``: elder -> old primary) keep their
        visit weekday and time wherever still feasible.
    """
    if weeks < 1:
        raise InputError.one("--weeks", f"must be at least 1, not {weeks}")
    planner = _Planner(problem, primary, start, weeks, rules or ScheduleRules(), time_limit,
                       seed, from_date)
    if previous is not None:
        planner.load_previous(previous, previous_primary or {})
    say = progress or (lambda _m: None)
    planner.say = say
    say("choosing backups")
    planner.choose_backups()
    say("placing group and festival activities")
    planner.community_events()
    say("matching monthly services to skilled volunteers")
    services = planner.plan_services()
    planner.plan_weeks(services)
    say("laying out the days")
    planner.place_times()
    planner.calls()
    return _result(planner)


def primaries_from_schedule(schedule: pd.DataFrame) -> dict[str, str]:
    """Each elder's primary in an earlier schedule: whoever made most of their visits."""
    visits = schedule[schedule["activity"] == "visit"]
    if visits.empty:
        return {}
    counts = visits.groupby(["elder_id", "volunteer_id"]).size().reset_index(name="n")
    counts = counts.sort_values(["elder_id", "n", "volunteer_id"], ascending=[True, False, True])
    return dict(counts.drop_duplicates("elder_id")[["elder_id", "volunteer_id"]]
                .itertuples(index=False, name=None))


def _minutes(text: str) -> int:
    hours, minutes = str(text).strip().split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _result(pl: _Planner) -> ScheduleResult:
    p = pl.p
    names_v = p.world.volunteers["name"].to_numpy(dtype=object)
    names_e = p.world.elders["name"].to_numpy(dtype=object)
    rows = []
    for a in pl.activities:
        rows.append({
            "date": a.date.isoformat(),
            "start": f"{a.start // 60:02d}:{a.start % 60:02d}",
            "end": f"{a.end // 60:02d}:{a.end % 60:02d}",
            "activity": a.activity,
            "volunteer_id": p.volunteer_ids[a.volunteer],
            "elder_id": p.elder_ids[a.elder] if a.elder >= 0 else "",
            "community": a.community,
            "service": a.service,
            "minutes": a.end - a.start,
            "title": a.title,
            "elder_name": names_e[a.elder] if a.elder >= 0 else "",
            "volunteer_name": names_v[a.volunteer],
        })
    schedule = pd.DataFrame(rows, columns=["date", "start", "end", "activity", "volunteer_id",
                                           "elder_id", "community", "service", "minutes",
                                           "title", "elder_name", "volunteer_name"])
    if len(pl.past_raw):
        raw = pl.past_raw.reindex(columns=schedule.columns).fillna("")
        raw["minutes"] = raw["minutes"].astype(int)
        schedule = pd.concat([schedule, raw], ignore_index=True)
    schedule = schedule.sort_values(["date", "volunteer_id", "start", "activity", "elder_id"],
                                    kind="stable").reset_index(drop=True)
    unmet = pd.DataFrame([{
        "elder_id": p.elder_ids[u.elder] if u.elder >= 0 else "",
        "when": u.when, "activity": u.activity, "reason": u.reason, "community": u.community,
        "priority": int(p.priority[u.elder]) if u.elder >= 0 else "",
    } for u in pl.unmet], columns=["elder_id", "when", "activity", "reason", "community",
                                   "priority"])
    unmet = unmet.sort_values(["when", "activity", "elder_id"], kind="stable") \
        .reset_index(drop=True)
    backups = pd.DataFrame({
        "elder_id": p.elder_ids[pl.assigned],
        "primary_id": p.volunteer_ids[pl.primary[pl.assigned]],
        "backup_id": [p.volunteer_ids[b] if b >= 0 else "" for b in pl.backup[pl.assigned]],
        "backup_week": [int(o) + 1 if b >= 0 else "" for o, b in
                        zip(pl.backup_offset[pl.assigned], pl.backup[pl.assigned], strict=True)],
    })
    stats = {"activities": len(schedule), "unmet": len(unmet),
             "festivals": len(calendar.festivals_between(pl.start, pl.end, pl.rules.festivals)),
             "full_weeks": len(pl.full_weeks)}
    assignments = pd.DataFrame({"elder_id": p.elder_ids[pl.assigned],
                                "volunteer_id": p.volunteer_ids[pl.primary[pl.assigned]]})
    return ScheduleResult(schedule, unmet, backups, assignments, pl.start,
                          (pl.end - pl.start).days // 7,
                          stats)
