"""The window model: who does what in which week, for every obligation of a stretch of weeks.

One 0-1 program decides, together, for every week of the window:

* each elder's weekly visit: by the primary or the backup (the backup's turn of the rota
  block, or standing in when the primary has no room);
* each birthday greeting: by the primary or the backup, sharing the visit's walk when it
  falls on the visit's day;
* each monthly service: the provider and the week of the month;
* each community event: its day and its organisers;

so that no volunteer's week holds more minutes (walking included) than they give. What
cannot be kept is left out in this order: services first, then birthday greetings, then
organisers, and visits last; within a kind, lower priorities first. Which day of the week
and what time each activity takes is decided afterwards (:mod:`matching.schedule.layout`).

Weights (named constants below) make the order strict in practice: one item of a kind
outweighs every item of the kinds below it that a volunteer's week can hold. The program is
solved by HiGHS (:mod:`matching.schedule.milp`); if the time limit leaves it without a plan,
:meth:`WindowModel.greedy` fills the window kind by kind in the same order.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, budget_units, day_mask, load_units
from matching.schedule.events import GROUP_CANDIDATE_DAYS, EventNeed
from matching.schedule.horizon import Week, monday_of
from matching.schedule.milp import LinearModel, MilpSolution
from matching.schedule.services import ServiceRequest

#: Reward per unit of the elder's priority for a weekly visit kept.
VISIT_WEIGHT = 1_000_000
#: Reward per organiser an event gets, up to the number it needs.
ORGANISER_WEIGHT = 100_000
#: Reward per unit of priority for a birthday greeting.
BIRTHDAY_WEIGHT = 10_000
#: Reward per unit of priority for a monthly service.
SERVICE_WEIGHT = 1_000
#: Reward for the backup's visit in a complete rota block (the rotation), and a little more
#: in the backup's usual week of the block (a steady rhythm).
BACKUP_TURN_WEIGHT = 500
BACKUP_USUAL_WEEK_WEIGHT = 20
#: Reward for a visit in the week and by the person the published schedule had (a
#: re-schedule changes as little as it can).
PUBLISHED_VISIT_WEIGHT = 50
#: Reward for the visit of a week cut by the re-schedule date going to whoever made the
#: week's published calls (the caller is the week's visitor): below any visit, above the rest.
CALLER_VISIT_WEIGHT = ORGANISER_WEIGHT
#: Reward per day of closeness of an event to its festival (or to the quarter's middle).
EVENT_DAY_WEIGHT = 5
#: Cost per minute of walking: among plans that keep as much, the one that walks least.
WALK_WEIGHT = 1
#: The search may stop once no plan can be better by this much: half the least service, so
#: no service that fits is given up, while ties in walking need no proof.
SOLVE_GAP = SERVICE_WEIGHT / 2
#: Seconds the services get around step 1's decisions when the full solve found no plan in
#: its time (a small, quick problem).
FALLBACK_SECONDS = 5.0


@dataclass(frozen=True)
class Booked:
    """What the past and the weeks already committed hold.

    Attributes
    ----------
    week_load
        ``(volunteer, monday) -> minutes`` taken (walking included).
    turns
        ``(elder, block) -> backup visits`` already made.
    backup_visited
        Elders whose backup has visited them already (so may greet their birthday).
    fixed
        ``(volunteer, day) -> [(start, end)]`` of activities at fixed times.
    """

    week_load: dict[tuple[int, dt.date], float]
    turns: dict[tuple[int, int], int]
    backup_visited: set[int]
    fixed: dict[tuple[int, dt.date], list[tuple[int, int]]]


@dataclass(frozen=True)
class Birthday:
    """A birthday greeting due on a day."""

    elder: int
    day: dt.date


@dataclass
class WindowPlan:
    """The model's decisions for a window (week-level; days and times come later)."""

    visits: list[tuple[int, dt.date, int]] = field(default_factory=list)
    birthdays: list[tuple[Birthday, int, bool]] = field(default_factory=list)
    services: list[tuple[ServiceRequest, int, dt.date]] = field(default_factory=list)
    events: list[tuple[EventNeed, dt.date, list[int]]] = field(default_factory=list)
    status: str = "optimal"
    objective: float = 0.0
    bound: float = 0.0


Capacity = tuple[str, int, dt.date]  # ("week" | "days", volunteer, monday)


class WindowModel:
    """The 0-1 program of one window; one method per rule.

    Parameters
    ----------
    data, backups
        The world and the backups.
    weeks
        The weeks of the window, in order.
    commit
        Mondays of the weeks whose decisions will be kept (the rest is look-ahead).
    birthdays, services, events
        The obligations with a day in the window.
    booked
        What the past and earlier windows hold.
    visited
        ``(elder, monday)`` of the visits the published past already made.
    published
        ``(elder, monday, volunteer)`` of visits an earlier schedule planned (re-scheduling).
    callers
        ``(elder, monday) -> volunteer`` who made the published calls of a week cut by the
        re-schedule date: they make its visit if they can.
    """

    def __init__(self, data: ScheduleData, backups: Backups, weeks: list[Week],
                 commit: set[dt.date], birthdays: list[Birthday],
                 services: list[ServiceRequest], events: list[EventNeed], booked: Booked,
                 visited: frozenset[tuple[int, dt.date]],
                 published: frozenset[tuple[int, dt.date, int]] = frozenset(),
                 callers: dict[tuple[int, dt.date], int] | None = None) -> None:
        self.data, self.backups, self.weeks, self.commit = data, backups, weeks, commit
        self.birthdays, self.services, self.events = birthdays, services, events
        self.booked = booked
        self.lp = LinearModel()
        self.week_of = {w.monday: w for w in weeks}
        self.loads: dict[Capacity, list[tuple[int, int]]] = defaultdict(list)
        self.caps: dict[Capacity, int] = {}
        self.visit: dict[tuple[int, dt.date, int], int] = {}
        self.greet: dict[tuple[int, int], int] = {}
        self.shared: dict[tuple[int, int], int] = {}
        self.serve: dict[tuple[int, int, dt.date], int] = {}
        self.event_day: dict[tuple[int, dt.date], int] = {}
        self.organise: dict[tuple[int, int, dt.date], int] = {}
        self.backup_turns: dict[tuple[int, int], int] = {}
        self.must_keep: dict[int, int] = {}
        self._visits(visited, published, callers or {})
        self._one_visit_per_week()
        self._backup_turns_per_block()
        self._birthday_greetings()
        self._backup_greets_only_once_they_visit()
        self._one_trip_for_birthday_and_visit()
        self._services()
        self._community_events()
        self._weekly_minutes()
        self._working_days()

    # -- variables ---------------------------------------------------------------------------
    def _visitors(self, e: int) -> list[int]:
        d = self.data
        out = [int(d.primary[e])]
        if self.backups.backup[e] >= 0 and d.rules.backup_visits_per_block > 0:
            out.append(int(self.backups.backup[e]))
        return out

    def _add_load(self, v: int, monday: dt.date, column: int, minutes: float,
                  on_available_day: bool = True) -> None:
        units = load_units(minutes)
        self.loads["week", v, monday].append((column, units))
        if on_available_day:
            self.loads["days", v, monday].append((column, units))

    def _visits(self, visited: frozenset[tuple[int, dt.date]],
                published: frozenset[tuple[int, dt.date, int]],
                callers: dict[tuple[int, dt.date], int]) -> None:
        """A column per elder, full week and visitor who shares a day with them that week;
        a kept visit earns ``VISIT_WEIGHT * priority`` less the walk, the backup's visit in a
        complete block earns its turn, and a visit as published earns a little more."""
        d = self.data
        h = d.horizon
        for week in self.weeks:
            if week.full < 0:
                continue
            mask = day_mask(week.days)
            complete = h.complete_block(week.block)
            for e in d.assigned.tolist():
                if (e, week.monday) in visited:
                    continue
                caller = callers.get((e, week.monday))
                for who in self._visitors(e):
                    if not d.shares_day(who, e, mask):
                        continue
                    walk = 2 * d.trip(who, e)
                    weight = VISIT_WEIGHT * int(d.priority[e]) - WALK_WEIGHT * round(walk)
                    if who != d.primary[e] and complete:
                        weight += BACKUP_TURN_WEIGHT
                        if week.full % h.block_weeks == self.backups.usual_week[e]:
                            weight += BACKUP_USUAL_WEEK_WEIGHT
                    if (e, week.monday, who) in published:
                        weight += PUBLISHED_VISIT_WEIGHT
                    if who == caller:  # the week's published calls were theirs
                        weight += CALLER_VISIT_WEIGHT
                    x = self.lp.binary(f"visit e{e} {week.monday} v{who}", weight)
                    self.must_keep[x] = VISIT_WEIGHT * int(d.priority[e])
                    self.visit[e, week.monday, who] = x
                    self._add_load(who, week.monday, x, d.visit_minutes[e] + walk)

    # -- rules -------------------------------------------------------------------------------
    def _one_visit_per_week(self) -> None:
        """At most one visit per elder and week: ``sum_u visit[e, w, u] <= 1``."""
        by_week: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
        for (e, monday, _who), x in self.visit.items():
            by_week[e, monday].append(x)
        for xs in by_week.values():
            if len(xs) > 1:
                self.lp.at_most_one(xs)

    def _backup_turns_per_block(self) -> None:
        """The backup makes at most ``backup_visits_per_block`` of a block's visits, counting
        those already made: ``sum_{w in block} visit[e, w, backup] <= turns - done``. The
        rotation itself (the backup's visit) is a reward, as it holds "where the backup has
        room"."""
        d = self.data
        by_block: dict[tuple[int, int], list[int]] = defaultdict(list)
        for (e, monday, who), x in self.visit.items():
            if who != d.primary[e]:
                by_block[e, self.week_of[monday].block].append(x)
        for (e, block), xs in by_block.items():
            left = max(0, d.rules.backup_visits_per_block - self.booked.turns.get((e, block), 0))
            self.backup_turns[e, block] = left
            self.lp.at_most(xs, left)

    def _birthday_greetings(self) -> None:
        """One greeting per birthday, by the primary or the backup, on the day itself whatever
        their available days: ``sum_u greet[b, u] <= 1``; it earns
        ``BIRTHDAY_WEIGHT * priority`` less the walk."""
        d = self.data
        for i, b in enumerate(self.birthdays):
            xs = []
            for who in self._visitors(b.elder):
                walk = 2 * d.trip(who, b.elder)
                x = self.lp.binary(f"birthday e{b.elder} {b.day} v{who}",
                                   BIRTHDAY_WEIGHT * int(d.priority[b.elder])
                                   - WALK_WEIGHT * round(walk))
                self.greet[i, who] = x
                self.must_keep[x] = BIRTHDAY_WEIGHT * int(d.priority[b.elder])
                xs.append(x)
                self._add_load(who, monday_of(b.day), x, d.rules.birthday_minutes + walk,
                               on_available_day=False)
            if len(xs) > 1:
                self.lp.at_most_one(xs)

    def _backup_greets_only_once_they_visit(self) -> None:
        """A backup greets an elder only once they visit them in this horizon (a visitor the
        elder knows): ``greet[b, backup] <= visited_before + sum_w visit[e, w, backup]``,
        counting only committed weeks for a greeting in a committed week."""
        d = self.data
        by_pair: dict[tuple[int, int], list[tuple[dt.date, int]]] = defaultdict(list)
        for (e, monday, who), y in self.visit.items():
            by_pair[e, who].append((monday, y))
        for (i, who), x in self.greet.items():
            b = self.birthdays[i]
            if who == d.primary[b.elder] or b.elder in self.booked.backup_visited:
                continue
            committed = monday_of(b.day) in self.commit
            visits = [y for monday, y in by_pair[b.elder, who]
                      if monday in self.commit or not committed]
            self.lp.add([(x, 1.0), *((y, -1.0) for y in visits)], hi=0.0)

    def _one_trip_for_birthday_and_visit(self) -> None:
        """A greeting on the day of the same person's visit shares its walk:
        ``shared <= greet``, ``shared <= visit`` and the walk there and back (``2 * trip``)
        is counted once. The visit is then laid out on the birthday, which must be a day
        both can do."""
        d = self.data
        for (i, who), greet in self.greet.items():
            b = self.birthdays[i]
            monday = monday_of(b.day)
            visit = self.visit.get((b.elder, monday, who))
            if visit is None or not d.shares_day(who, b.elder, day_mask((b.day,))):
                continue
            walk = 2 * d.trip(who, b.elder)
            both = self.lp.binary(f"shared walk e{b.elder} {b.day} v{who}",
                                  WALK_WEIGHT * round(walk) + 1)
            self.lp.implies(both, greet)
            self.lp.implies(both, visit)
            self.shared[i, who] = both
            self.loads["week", who, monday].append((both, -budget_units(walk)))

    def _services(self) -> None:
        """Each request is served at most once, by one of its providers, in a week of its
        month in which both share a day: ``sum_{v, w} serve[r, v, w] <= 1``; it earns
        ``SERVICE_WEIGHT * priority`` less the walk."""
        d = self.data
        for i, r in enumerate(self.services):
            xs = []
            for week in self.weeks:
                days = tuple(x for x in week.days if x in r.days)
                if not days:
                    continue
                mask = day_mask(days)
                for v, trip in zip(r.providers, r.trips, strict=True):
                    if not d.shares_day(v, r.elder, mask):
                        continue
                    x = self.lp.binary(f"service e{r.elder} m{r.month} v{v} {week.monday}",
                                       SERVICE_WEIGHT * int(d.priority[r.elder])
                                       - WALK_WEIGHT * round(2 * trip))
                    self.serve[i, v, week.monday] = x
                    xs.append(x)
                    self._add_load(v, week.monday, x, d.rules.service_minutes + 2 * trip)
            if len(xs) > 1:
                self.lp.at_most_one(xs)

    def _community_events(self) -> None:
        """Each event is held on at most one of its days, with at most ``need`` organisers,
        each available that day and free at its time:
        ``organise[ev, v, w] <= sum_{d in w, v free on d} day[ev, d]``. Every organiser earns
        ``ORGANISER_WEIGHT``, a day closer to the festival (or the quarter's middle) a little
        more. No volunteer organises two events at overlapping times in a week."""
        d = self.data
        window_days = {x for w in self.weeks for x in w.days}
        slots: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
        for i, ev in enumerate(self.events):
            days = [x for x in ev.days if x in window_days]
            if not days:
                continue
            for x, close in zip(ev.days, ev.closeness, strict=True):
                if x in window_days:
                    self.event_day[i, x] = self.lp.binary(
                        f"{ev.kind} {ev.community} {x}",
                        EVENT_DAY_WEIGHT * (close + GROUP_CANDIDATE_DAYS))
            self.lp.at_most_one(self.event_day[i, x] for x in days)
            chosen = []
            for monday in sorted({monday_of(x) for x in days}):
                for v in ev.pool:
                    can = [self.event_day[i, x] for x in days
                           if monday_of(x) == monday and d.available(v, x.weekday())
                           and self._free(v, x, ev.start, ev.start + ev.minutes)]
                    if not can:
                        continue
                    o = self.lp.binary(f"organise {ev.kind} {ev.community} v{v} {monday}",
                                       ORGANISER_WEIGHT)
                    self.organise[i, v, monday] = o
                    self.must_keep[o] = ORGANISER_WEIGHT
                    self.lp.add([(o, 1.0), *((y, -1.0) for y in can)], hi=0.0)
                    chosen.append(o)
                    self._add_load(v, monday, o, ev.minutes)
                    slots[v].append((i, monday, o))
            if chosen:
                self.lp.at_most(chosen, ev.need)
        for items in slots.values():
            for k, (i, m1, o1) in enumerate(items):
                for j, m2, o2 in items[k + 1:]:
                    if m1 == m2 and _overlap(self.events[i], self.events[j]):
                        self.lp.at_most_one([o1, o2])

    def _free(self, v: int, day: dt.date, start: int, end: int) -> bool:
        return all(not (a < end and start < b) for a, b in self.booked.fixed.get((v, day), []))

    def _weekly_minutes(self) -> None:
        """In no week does a volunteer's load exceed their weekly minutes, less what the past
        and committed weeks hold: ``sum load * x <= weekly - booked`` (in tenths of a
        minute; loads round up, budgets round down)."""
        d = self.data
        for (kind, v, monday), terms in self.loads.items():
            if kind == "week":
                cap = budget_units(d.weekly[v] - self.booked.week_load.get((v, monday), 0.0))
                self.caps[kind, v, monday] = cap
                self.lp.add(terms, hi=cap)

    def _working_days(self) -> None:
        """What must happen on a volunteer's available days fits in those days' working
        hours: ``sum load * x <= (day_end - day_start) * available days - booked``. It binds
        only when the weekly minutes exceed it (a volunteer free one day a week, say)."""
        d = self.data
        for (kind, v, monday), terms in self.loads.items():
            if kind != "days":
                continue
            days = sum(d.available(v, x.weekday()) for x in self.week_of[monday].days)
            cap_minutes = d.day_window * days - self.booked.week_load.get((v, monday), 0.0)
            if d.weekly[v] > cap_minutes:
                self.caps[kind, v, monday] = budget_units(cap_minutes)
                self.lp.add(terms, hi=budget_units(cap_minutes))

    # -- solving -----------------------------------------------------------------------------
    def solve(self, seconds: float) -> WindowPlan:
        """Solve within ``seconds``, lexicographically where it is cheap:

        1. what must be kept (visits, organisers, greetings, by priority), exactly; this
           takes a fraction of a second;
        2. everything at once, with that value held as a floor, until proven within half a
           service or out of time: whatever it returns keeps what step 1 kept;
        3. if step 2 found no plan in time: step 1's decisions held, the services that fit
           around them.

        Without even step 1 in time, :meth:`greedy` fills the window.
        """
        clock = time.perf_counter()

        def left() -> float:
            return max(0.0, seconds - (time.perf_counter() - clock))

        n = self.lp.num_columns
        must = np.zeros(n)
        for column, weight in self.must_keep.items():
            must[column] = weight
        first = self.lp.solve(left(), weights=must)
        if first.status == "none":
            return self.read(MilpSolution("greedy", self.greedy(), 0.0, first.bound))
        floor = float(must[first.chosen].sum())
        found = self.lp.solve(left(), at_least=(must, floor - 0.5), gap=SOLVE_GAP)
        if found.status != "none":
            return self.read(found)
        others = np.array(sorted(set(range(n)) - set(self.serve.values())), dtype=np.int64)
        around = self.lp.solve(max(left(), FALLBACK_SECONDS),
                               hold=(others, first.chosen[others]), gap=SOLVE_GAP)
        best = around if around.status != "none" else first
        return self.read(MilpSolution("feasible", best.chosen, best.objective, found.bound))

    def greedy(self) -> np.ndarray:
        """A plan built kind by kind in the order of the weights, each item taking the first
        option that keeps every row satisfied: the time limit's fallback."""
        chosen = np.zeros(self.lp.num_columns, dtype=bool)
        used: dict[Capacity, int] = defaultdict(int)
        by_column: dict[int, list[tuple[Capacity, int]]] = defaultdict(list)
        for key, terms in self.loads.items():
            for column, units in terms:
                by_column[column].append((key, units))

        def take(column: int) -> bool:
            if any(used[key] + units > self.caps.get(key, 1 << 60)
                   for key, units in by_column[column]):
                return False
            chosen[column] = True
            for key, units in by_column[column]:
                used[key] += units
            return True

        d = self.data
        turns = dict(self.backup_turns)
        visits = sorted(self.visit.items(), key=lambda kv: (-int(d.priority[kv[0][0]]),
                                                             kv[0][1], kv[0][0],
                                                             kv[0][2] != d.primary[kv[0][0]]))
        done: set[tuple[int, dt.date]] = set()
        for (e, monday, who), x in visits:
            block = self.week_of[monday].block
            backup = who != d.primary[e]
            if (e, monday) in done or (backup and turns.get((e, block), 0) <= 0):
                continue
            if take(x):
                done.add((e, monday))
                turns[e, block] = turns.get((e, block), 0) - backup
        organisers: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
        for (i, v, monday), o in sorted(self.organise.items()):
            organisers[i].append((v, monday, o))
        busy: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
        for i, ev in enumerate(self.events):
            days = [x for _, x in sorted((-self.lp.weights[self.event_day[i, x]], x)
                                         for (j, x) in self.event_day if j == i)]
            if not days:
                continue
            day = days[0]
            chosen[self.event_day[i, day]] = True
            count = 0
            for v, monday, o in organisers[i]:
                if count == ev.need or monday != monday_of(day):
                    continue
                clash = any(_overlap(ev, self.events[j]) for j in busy[v, monday])
                if clash or not d.available(v, day.weekday()) or \
                        not self._free(v, day, ev.start, ev.start + ev.minutes):
                    continue
                if take(o):
                    busy[v, monday].append(i)
                    count += 1
        for (i, who), x in sorted(self.greet.items()):
            b = self.birthdays[i]
            if any(chosen[self.greet[i, u]] for u in self._visitors(b.elder)
                   if (i, u) in self.greet):
                continue
            if who == d.primary[b.elder] or b.elder in self.booked.backup_visited:
                take(x)
        served: set[int] = set()
        for (i, _v, _monday), x in sorted(self.serve.items()):
            if i not in served and take(x):
                served.add(i)
        return chosen

    def read(self, found: MilpSolution) -> WindowPlan:
        """The decisions of a solution."""
        plan = WindowPlan(status=found.status, objective=found.objective, bound=found.bound)
        on = found.chosen
        plan.visits = [(e, monday, who) for (e, monday, who), x in self.visit.items() if on[x]]
        for (i, who), x in self.greet.items():
            if on[x]:
                shared = self.shared.get((i, who))
                plan.birthdays.append((self.birthdays[i], who,
                                       bool(shared is not None and on[shared])))
        plan.services = [(self.services[i], v, monday)
                         for (i, v, monday), x in self.serve.items() if on[x]]
        for (i, day), y in self.event_day.items():
            if on[y]:
                monday = monday_of(day)
                organisers = sorted(v for (j, v, m), o in self.organise.items()
                                    if j == i and m == monday and on[o])
                plan.events.append((self.events[i], day, organisers))
        return plan


def _overlap(a: EventNeed, b: EventNeed) -> bool:
    return a.start < b.start + b.minutes and b.start < a.start + a.minutes
