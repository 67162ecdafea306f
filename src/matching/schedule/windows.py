"""The rolling horizon: the window model solved block after block, each decision kept once made.

A window is the rota blocks of at least a month (``COMMIT_WEEKS``) to decide, plus a few
weeks after them to look ahead (``LOOKAHEAD_WEEKS``): services may move within their month
and events within their days across the boundary, so a block is decided knowing what the
next weeks must hold. The decisions of the first part are kept; the window then moves on.

Visits are never traded against anything in another window: a rota block lies in one window,
and every other weekly load is decided together with the block's visits. So a visit is missed
only when no plan of its block could keep it (the solver permitting).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from matching.runtime.budget import NEVER, Stop
from matching.runtime.progress import SILENT, Progress
from matching.schedule import dates
from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, day_mask
from matching.schedule.events import EventNeed
from matching.schedule.horizon import Week, monday_of
from matching.schedule.model import Birthday, Booked, WindowModel
from matching.schedule.past import Past
from matching.schedule.result import Booking, Missed
from matching.schedule.services import ServiceRequest

#: Each window decides at least this many weeks (whole rota blocks): at least a month ...
COMMIT_WEEKS = 4
#: ... looking this many weeks further ahead, so that a month's service or an event's day can
#: move across the boundary. Longer look-ahead slows the model more than it helps: it only
#: concerns services and events (visits never cross a block). Measured on a Minle year: one
#: week ahead 12.9 s, two weeks 23.9 s, for the same unmet services (11, the lower bound).
LOOKAHEAD_WEEKS = 1
#: Seconds of the time limit kept back for each window still to solve (most prove in less).
WINDOW_RESERVE_SECONDS = 2.0


@dataclass
class RollingPlan:
    """Everything the windows decided."""

    bookings: list[Booking] = field(default_factory=list)
    missed: list[Missed] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    windows: int = 0


def windows_of(data: ScheduleData) -> list[tuple[list[Week], list[Week]]]:
    """The windows: ``(weeks to decide, weeks to look ahead)``, made of whole rota blocks."""
    h = data.horizon
    blocks: dict[int, list[Week]] = defaultdict(list)
    for w in h.weeks:
        blocks[w.block].append(w)
    order = [blocks[b] for b in sorted(blocks)]
    per = max(1, math.ceil(COMMIT_WEEKS / h.block_weeks))
    out = []
    for k in range(0, len(order), per):
        commit = [w for b in order[k:k + per] for w in b]
        ahead = [w for b in order[k + per:] for w in b][:LOOKAHEAD_WEEKS]
        out.append((commit, ahead))
    return out


def plan_windows(data: ScheduleData, backups: Backups, past: Past,
                 services: list[ServiceRequest], events: list[EventNeed], *,
                 time_limit: float, progress: Progress = SILENT,
                 stop: Stop = NEVER) -> RollingPlan:
    """Decide every visit, greeting, service and event, window after window (after a
    ``stop``, each window left is filled greedily)."""
    say = progress
    started = time.perf_counter()
    out = RollingPlan()
    week_load: dict[tuple[int, dt.date], float] = defaultdict(float, past.week_load)
    turns: dict[tuple[int, int], int] = defaultdict(int, past.backup_turns)
    backup_visited = {e for e, vs in past.visitors.items()
                      if backups.backup[e] >= 0 and int(backups.backup[e]) in vs}
    fixed: dict[tuple[int, dt.date], list[tuple[int, int]]] = defaultdict(list)
    for a in past.activities:
        if a.activity != "call":
            fixed[a.volunteer, a.date].append((a.start, a.end))
    open_services = list(services)
    open_events = list(events)
    birthdays = due_birthdays(data, past)
    windows = windows_of(data)
    for k, (commit, ahead) in enumerate(windows):
        weeks = commit + ahead
        days = {d for w in weeks for d in w.days}
        last_committed = max(d for w in commit for d in w.days)
        say("window", f"window {k + 1} of {len(windows)}: {commit[0].days[0]} to "
            f"{last_committed}", done=k / len(windows), window=k + 1, windows=len(windows),
            first=commit[0].days[0].isoformat(), last=last_committed.isoformat())
        booked = Booked(week_load, turns, backup_visited, fixed)
        todo_b = [b for b in birthdays if b.day in days]
        todo_s = [r for r in open_services if days.intersection(r.days)]
        todo_e = [ev for ev in open_events if days.intersection(ev.days)]
        model = WindowModel(data, backups, weeks, {w.monday for w in commit}, todo_b, todo_s,
                            todo_e, booked, past.visited, past.published, past.callers)
        # after a stop, each window left is filled greedily (no time to solve)
        plan = model.solve(0.0 if stop.requested else
                           _share(time_limit - (time.perf_counter() - started),
                                  len(windows) - k - 1))
        out.statuses[plan.status] += 1
        out.windows += 1
        kept = {w.monday for w in commit}
        made = _commit_visits(data, backups, commit, plan.visits, kept, past, out, week_load,
                              turns, backup_visited)
        greeted = _commit_birthdays(data, plan.birthdays, kept, made, out, week_load)
        for b in todo_b:
            if monday_of(b.day) in kept and b not in greeted:
                candidates = [int(data.primary[b.elder])]
                if backups.backup[b.elder] >= 0:
                    candidates.append(int(backups.backup[b.elder]))
                out.missed.append(Missed("birthday", b.elder, b.day.isoformat(),
                                         str(data.elder_community[b.elder]),
                                         tuple(candidates), (monday_of(b.day),)))
        served = _commit_services(data, plan.services, kept, out, week_load)
        open_services = [r for r in open_services if id(r) not in served]
        for r in list(open_services):
            if max(r.days) <= last_committed:
                open_services.remove(r)
                out.missed.append(Missed(
                    "service", r.elder, r.when, str(data.elder_community[r.elder]),
                    r.providers, tuple(sorted({monday_of(d) for d in r.days})), r.tag))
        held = _commit_events(data, plan.events, kept, out, week_load, fixed)
        open_events = [ev for ev in open_events if id(ev) not in held]
        for ev in list(open_events):
            if max(ev.days) <= last_committed:
                open_events.remove(ev)
                out.missed.append(Missed(ev.kind, -1, ev.when, ev.community, ev.pool,
                                         tuple(sorted({monday_of(d) for d in ev.days})),
                                         f"0 of {ev.need}"))
    return out


def _share(remaining: float, later: int) -> float:
    """Seconds for this window: all that is left but ``WINDOW_RESERVE_SECONDS`` for each later
    window, and never less than an equal share. A hard window takes what easy ones leave."""
    remaining = max(0.0, remaining)
    return max(remaining / (later + 1), remaining - WINDOW_RESERVE_SECONDS * later)


def due_birthdays(data: ScheduleData, past: Past) -> list[Birthday]:
    """Every birthday greeting due from the re-schedule date on."""
    h = data.horizon
    out = []
    for e in data.assigned.tolist():
        for day in dates.birthday_in(data.birthdays[e], h.from_date, h.end):
            if (e, day) not in past.birthdays:
                out.append(Birthday(e, day))
    return sorted(out, key=lambda b: (b.day, b.elder))


def _commit_visits(data: ScheduleData, backups: Backups, commit: list[Week],
                   visits: list[tuple[int, dt.date, int]], kept: set[dt.date], past: Past,
                   out: RollingPlan, week_load: dict, turns: dict, backup_visited: set
                   ) -> dict[tuple[int, dt.date, int], int]:
    """Book the visits of the committed weeks and record the missed ones; returns where each
    booked visit ``(elder, monday, visitor)`` stands in ``out.bookings``."""
    made = {(e, monday): who for e, monday, who in visits if monday in kept}
    where: dict[tuple[int, dt.date, int], int] = {}
    for week in commit:
        if week.full < 0:
            continue
        mask = day_mask(week.days)
        for e in data.assigned.tolist():
            if (e, week.monday) in past.visited:
                continue
            who = made.get((e, week.monday))
            if who is None:
                candidates = [int(data.primary[e])]
                if backups.backup[e] >= 0 and data.rules.backup_visits_per_block > 0:
                    candidates.append(int(backups.backup[e]))
                sharing = [v for v in candidates if data.shares_day(v, e, mask)]
                note = "" if sharing else "no shared day"
                out.missed.append(Missed("visit", e, f"week of {week.monday}",
                                         str(data.elder_community[e]), tuple(candidates),
                                         (week.monday,), note))
                continue
            walk = data.trip(who, e)
            shared = tuple(d for d in week.days if data.shares_day(who, e, 1 << d.weekday()))
            where[e, week.monday, who] = len(out.bookings)
            out.bookings.append(Booking("visit", who, e, week.monday, shared,
                                        math.ceil(data.visit_minutes[e]), walk,
                                        str(data.elder_community[e])))
            week_load[who, week.monday] += data.visit_minutes[e] + 2 * walk
            if who != data.primary[e]:
                turns[e, week.block] += 1
                backup_visited.add(e)
    return where


def _commit_birthdays(data: ScheduleData, birthdays: list[tuple[Birthday, int, bool]],
                      kept: set[dt.date], visits: dict[tuple[int, dt.date, int], int],
                      out: RollingPlan, week_load: dict) -> set[Birthday]:
    greeted = set()
    for b, who, shared in birthdays:
        monday = monday_of(b.day)
        if monday not in kept:
            continue
        greeted.add(b)
        walk = data.trip(who, b.elder)
        out.bookings.append(Booking("birthday", who, b.elder, monday, (b.day,),
                                    data.rules.birthday_minutes, walk,
                                    str(data.elder_community[b.elder]), shares_walk=shared))
        week_load[who, monday] += data.rules.birthday_minutes + (0 if shared else 2 * walk)
        if shared:  # the visit goes on the birthday, and the walk is the visit's
            i = visits[b.elder, monday, who]
            out.bookings[i] = dataclasses.replace(out.bookings[i], days=(b.day,),
                                                  shares_walk=True)
    return greeted


def _commit_services(data: ScheduleData, services: list[tuple[ServiceRequest, int, dt.date]],
                     kept: set[dt.date], out: RollingPlan, week_load: dict) -> set[int]:
    served = set()
    for r, v, monday in services:
        if monday not in kept:
            continue
        served.add(id(r))
        trip = dict(zip(r.providers, r.trips, strict=True))[v]
        days = tuple(d for d in r.days if monday_of(d) == monday
                     and data.shares_day(v, r.elder, 1 << d.weekday()))
        out.bookings.append(Booking("service", v, r.elder, monday, days,
                                    data.rules.service_minutes, trip,
                                    str(data.elder_community[r.elder]), service=r.tag))
        week_load[v, monday] += data.rules.service_minutes + 2 * trip
    return served


def _commit_events(data: ScheduleData, events: list[tuple[EventNeed, dt.date, list[int]]],
                   kept: set[dt.date], out: RollingPlan, week_load: dict,
                   fixed: dict) -> set[int]:
    held = set()
    for ev, day, organisers in events:
        monday = monday_of(day)
        if monday not in kept or not organisers:
            continue
        held.add(id(ev))
        for v in organisers:
            out.bookings.append(Booking(ev.kind, v, -1, monday, (day,), ev.minutes, 0.0,
                                        ev.community, title=ev.title, start=ev.start))
            week_load[v, monday] += ev.minutes
            fixed[v, day].append((ev.start, ev.start + ev.minutes))
        if len(organisers) < ev.need:
            others = tuple(v for v in ev.pool if v not in organisers)
            out.missed.append(Missed(ev.kind, -1, ev.when, ev.community, others, (monday,),
                                     f"{len(organisers)} of {ev.need} on {day}"))
    return held
