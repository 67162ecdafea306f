"""Proven lower bounds on what any schedule must leave unmet, kind by kind.

Each bound comes from a relaxation that every schedule under the rules satisfies, so no
schedule can do better than it; where the schedule's count equals the bound, it is optimal
for that kind.

* **Visits**, week by week: each elder's visit can go only to the primary or the backup, and a
  volunteer can make at most as many visits as the smallest of them that fit their week (what
  the published past leaves). A maximum flow over that bounds the visits of the week (the
  minutes enter only through those counts, and every other activity is ignored).
* **Services**, month by month: each request can go to any volunteer who could serve any of
  the elder's needs (the rotation relaxed), who can give at most as many services as fit
  each week of the month; a maximum flow bounds the services of the month.
* **Birthdays**: a greeting is lost for sure if neither the primary nor the backup has its
  minutes left in that week.
* **Events**: an event is short of organisers for sure if on none of its days enough of the
  community's volunteers are available, free at its time and have its minutes left.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from ortools.graph.python import max_flow

from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, day_mask
from matching.schedule.events import EventNeed
from matching.schedule.horizon import monday_of
from matching.schedule.model import Birthday
from matching.schedule.past import Past
from matching.schedule.services import ServiceReach


def _left(data: ScheduleData, past: Past, v: int, monday: dt.date) -> float:
    return float(data.weekly[v]) - past.week_load.get((v, monday), 0.0)


def _fitting(loads: Iterable[float], room: float) -> int:
    """How many of the smallest loads fit in ``room``."""
    count, used = 0, 0.0
    for load in sorted(loads):
        if used + load > room + 1e-9:
            break
        used += load
        count += 1
    return count


def _max_matching(request: np.ndarray, volunteer: np.ndarray, capacity: np.ndarray) -> int:
    """Most requests served when request ``request[k]`` may go to volunteer ``volunteer[k]``
    (one option per entry) and volunteer ``v`` takes at most ``capacity[v]``."""
    if not len(request):
        return 0
    requests, request_node = np.unique(request, return_inverse=True)
    volunteers, volunteer_node = np.unique(volunteer, return_inverse=True)
    source = 0
    first_volunteer = 1 + len(requests)
    sink = first_volunteer + len(volunteers)
    room = np.asarray(capacity, dtype=np.int64)[volunteers]
    tails = np.concatenate([np.full(len(requests), source), 1 + request_node,
                            first_volunteer + np.arange(len(volunteers))])
    heads = np.concatenate([1 + np.arange(len(requests)), first_volunteer + volunteer_node,
                            np.full(len(volunteers), sink)])
    caps = np.concatenate([np.ones(len(requests) + len(request), dtype=np.int64),
                           np.maximum(room, 0)])
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, caps)
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise ArithmeticError("maximum flow failed")
    return int(flow.optimal_flow())


def visit_bound(data: ScheduleData, backups: Backups, past: Past) -> int:
    """Fewest visits any schedule must miss."""
    total = 0
    for week in data.horizon.weeks:
        if week.full < 0:
            continue
        mask = day_mask(week.days)
        requests = 0
        request: list[int] = []
        volunteer: list[int] = []
        loads: dict[int, list[float]] = {}
        for e in data.assigned.tolist():
            if (e, week.monday) in past.visited:
                continue
            who = [int(data.primary[e])]
            if backups.backup[e] >= 0 and data.rules.backup_visits_per_block > 0:
                who.append(int(backups.backup[e]))
            for v in who:
                if data.shares_day(v, e, mask):
                    request.append(requests)
                    volunteer.append(v)
                    loads.setdefault(v, []).append(data.visit_minutes[e] + 2 * data.trip(v, e))
            requests += 1
        capacity = np.zeros(data.num_volunteers, dtype=np.int64)
        for v, ls in loads.items():
            capacity[v] = _fitting(ls, _left(data, past, v, week.monday))
        total += requests - _max_matching(np.array(request, dtype=np.int64),
                                          np.array(volunteer, dtype=np.int64), capacity)
    return total


def service_bound(data: ScheduleData, past: Past, reach: ServiceReach,
                  providers: dict[int, list[tuple[int, np.ndarray]]]) -> int:
    """Fewest monthly services any schedule must miss (``providers`` from
    :func:`matching.schedule.services.providers_by_month`, positions in ``reach``)."""
    total = 0
    for m, requests in providers.items():
        first, nxt = data.horizon.months[m]
        mondays = sorted({monday_of(d) for d in (first + dt.timedelta(days=i)
                                                 for i in range((nxt - first).days))
                          if d >= data.horizon.from_date})
        at = np.concatenate([pos for _, pos in requests]) if requests else \
            np.empty(0, dtype=np.int64)
        volunteer = reach.volunteer[at]
        load = data.rules.service_minutes + 2 * reach.trip[at]
        cheapest = np.full(data.num_volunteers, np.inf)
        np.minimum.at(cheapest, volunteer, load)
        capacity = np.zeros(data.num_volunteers, dtype=np.int64)
        for v in np.unique(volunteer).tolist():
            capacity[v] = sum(max(0, int(_left(data, past, v, m_) // cheapest[v]))
                              for m_ in mondays)
        # the nearest few providers of each request usually serve them all, and then so
        # does everyone (a graph with fewer options matches no more): the flow over every
        # provider, millions of arcs in a city, is needed only when they do not
        nearest = [pos[:NEAREST_PROVIDERS] for _, pos in requests]
        served = _max_matching(*_options(nearest, reach), capacity)
        if served < len(requests):
            served = _max_matching(*_options([pos for _, pos in requests], reach), capacity)
        total += len(requests) - served
    return total


#: Providers per request in the service bound's first, small flow (see :func:`service_bound`).
NEAREST_PROVIDERS = 8


def _options(positions: list[np.ndarray], reach: ServiceReach) -> tuple[np.ndarray, np.ndarray]:
    """Request number and volunteer of each option, from positions in ``reach``."""
    at = np.concatenate(positions) if positions else np.empty(0, dtype=np.int64)
    request = np.repeat(np.arange(len(positions)), [len(pos) for pos in positions])
    return request, reach.volunteer[at]


def birthday_bound(data: ScheduleData, backups: Backups, past: Past,
                   birthdays: list[Birthday]) -> int:
    """Birthday greetings that neither the primary nor the backup has the minutes for."""
    lost = 0
    for b in birthdays:
        who = [int(data.primary[b.elder])]
        if backups.backup[b.elder] >= 0 and data.rules.backup_visits_per_block > 0:
            who.append(int(backups.backup[b.elder]))
        need = [data.rules.birthday_minutes + 2 * data.trip(v, b.elder) for v in who]
        if all(_left(data, past, v, monday_of(b.day)) < n - 1e-9
               for v, n in zip(who, need, strict=True)):
            lost += 1
    return lost


def event_bound(data: ScheduleData, past: Past, events: list[EventNeed], kind: str) -> int:
    """Events of a kind that cannot get all their organisers on any of their days."""
    taken: dict[tuple[int, dt.date], list[tuple[int, int]]] = defaultdict(list)
    for x in past.activities:
        if x.activity != "call":
            taken[x.volunteer, x.date].append((x.start, x.end))
    short = 0
    for ev in events:
        if ev.kind != kind:
            continue
        best = 0
        end = ev.start + ev.minutes
        for d in ev.allowed or ev.days:
            ready = [v for v in ev.pool if data.available(v, d.weekday())
                     and _left(data, past, v, monday_of(d)) >= ev.minutes - 1e-9
                     and all(not (a < end and ev.start < b) for a, b in taken[v, d])]
            best = max(best, len(ready))
        short += best < ev.need
    return short
