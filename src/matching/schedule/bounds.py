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

from ortools.graph.python import max_flow

from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, day_mask
from matching.schedule.events import EventNeed
from matching.schedule.horizon import monday_of
from matching.schedule.model import Birthday
from matching.schedule.past import Past


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


def _max_matching(options: list[list[int]], capacity: dict[int, int]) -> int:
    """Most requests served when request ``i`` may go to any of ``options[i]`` and volunteer
    ``v`` takes at most ``capacity[v]``."""
    flow = max_flow.SimpleMaxFlow()
    volunteers = sorted({v for opts in options for v in opts})
    node = {v: 1 + len(options) + k for k, v in enumerate(volunteers)}
    source, sink = 0, 1 + len(options) + len(volunteers)
    for i, opts in enumerate(options):
        if not opts:
            continue
        flow.add_arc_with_capacity(source, 1 + i, 1)
        for v in opts:
            flow.add_arc_with_capacity(1 + i, node[v], 1)
    for v in volunteers:
        if capacity.get(v, 0) > 0:
            flow.add_arc_with_capacity(node[v], sink, capacity[v])
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
        options, loads = [], {}
        for e in data.assigned.tolist():
            if (e, week.monday) in past.visited:
                continue
            who = [int(data.primary[e])]
            if backups.backup[e] >= 0 and data.rules.backup_visits_per_block > 0:
                who.append(int(backups.backup[e]))
            who = [v for v in who if data.shares_day(v, e, mask)]
            options.append(who)
            for v in who:
                loads.setdefault(v, []).append(data.visit_minutes[e] + 2 * data.trip(v, e))
        capacity = {v: _fitting(ls, _left(data, past, v, week.monday)) for v, ls in loads.items()}
        total += len(options) - _max_matching(options, capacity)
    return total


def service_bound(data: ScheduleData, past: Past,
                  providers: dict[int, list[tuple[int, list[int]]]]) -> int:
    """Fewest monthly services any schedule must miss (``providers`` from
    :func:`matching.schedule.services.providers_by_month`)."""
    total = 0
    for m, requests in providers.items():
        first, nxt = data.horizon.months[m]
        mondays = sorted({monday_of(d) for d in (first + dt.timedelta(days=i)
                                                 for i in range((nxt - first).days))
                          if d >= data.horizon.from_date})
        cheapest: dict[int, float] = {}
        for e, who in requests:
            for v in who:
                load = data.rules.service_minutes + 2 * data.trip(v, e)
                cheapest[v] = min(cheapest.get(v, load), load)
        capacity = {v: sum(max(0, int(_left(data, past, v, m_) // load)) for m_ in mondays)
                    for v, load in cheapest.items()}
        total += len(requests) - _max_matching([who for _, who in requests], capacity)
    return total


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
