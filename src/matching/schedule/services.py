"""Monthly professional services: which need is due, and who could give it.

In every calendar month wholly in the horizon, an elder with needs gets one service of the
need that is due, rotating through their needs in order (so any ``k`` consecutive months
cover all ``k`` needs). A need that no volunteer within reach offers on a shared day gives
way to the next in the rotation, and the gap is reported. A provider has the skill, lives
within ``service_km`` and is eligible by the one rule everyone asks
(:class:`~matching.eligibility.Eligibility`): never someone the elder refuses, always of
the preferred gender, sharing a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from matching.eligibility import ELIGIBLE
from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, day_mask
from matching.schedule.horizon import monday_of
from matching.schedule.past import Past
from matching.schedule.result import Missed, Unmet

#: Providers offered to the model for one request: the nearest, plus the elder's own primary
#: and backup when they have the skill. More would add little but variables: the nearest are
#: also the cheapest in walking.
PROVIDERS_PER_REQUEST = 8


@dataclass(frozen=True)
class ServiceRequest:
    """One month's service for one elder.

    Attributes
    ----------
    month
        Index of the month among the horizon's full months.
    days
        The month's days still to plan.
    providers, trips
        Candidate providers (nearest first) and their one-way walks.
    """

    elder: int
    month: int
    days: tuple[dt.date, ...]
    tag: str
    providers: tuple[int, ...]
    trips: tuple[float, ...]

    @property
    def when(self) -> str:
        """The month as ``YYYY-MM``."""
        return f"{self.days[0]:%Y-%m}"


def service_reach(data: ScheduleData) -> dict[int, list[int]]:
    """For each elder with needs, every volunteer eligible to serve them within ``service_km``
    who has at least one of their needs as a skill, nearest first."""
    p = data.problem
    v, e, km = data.pairs_within(data.rules.service_km)
    code = p.eligibility.codes(v, e, km, data.rules.service_km)
    ok = code == ELIGIBLE
    reach: dict[int, list[tuple[float, str, int]]] = defaultdict(list)
    for vi, ej, d in zip(v[ok].tolist(), e[ok].tolist(), km[ok].tolist(), strict=True):
        if data.primary[ej] >= 0 and set(data.needs[ej]) & set(data.skills[vi]):
            reach[ej].append((d, str(p.volunteer_ids[vi]), vi))
    return {x: [vi for _, _, vi in sorted(items)] for x, items in reach.items()}


def service_requests(data: ScheduleData, backups: Backups, past: Past,
                     reach: dict[int, list[int]]
                     ) -> tuple[list[ServiceRequest], list[Unmet], list[Missed]]:
    """Every month's service request still to plan, the rotation gaps found on the way, and
    the services of months wholly before a re-schedule date that the past does not hold.

    ``reach`` is :func:`service_reach` of the same data.
    """
    h = data.horizon
    requests: list[ServiceRequest] = []
    notes: list[Unmet] = []
    gaps: list[Missed] = []
    for m, (first, nxt) in enumerate(h.months):
        days = tuple(d for d in (first + dt.timedelta(days=i) for i in range((nxt - first).days))
                     if d >= h.from_date)
        if not days:
            gaps += [Missed("service", e, f"{first:%Y-%m}", str(data.elder_community[e]),
                            tuple(reach.get(e, [])), (monday_of(first),), "before")
                     for e in data.assigned.tolist()
                     if data.needs[e] and (e, m) not in past.services]
            continue
        mask = day_mask(days)
        for e in data.assigned.tolist():
            needs = data.needs[e]
            if not needs or (e, m) in past.services:
                continue
            order = [needs[(m + i) % len(needs)] for i in range(len(needs))]
            able = [v for v in reach.get(e, []) if data.shares_day(v, e, mask)]
            servable = [t for t in order if any(t in data.skills[v] for v in able)]
            tag = servable[0] if servable else order[0]
            if servable and tag != order[0]:
                notes.append(Unmet(e, f"{first:%Y-%m}", "service rotation",
                                   f"{order[0]} was due, but no volunteer within "
                                   f"{data.rules.service_km:g} km offers it on a shared day; "
                                   f"{tag} instead", str(data.elder_community[e])))
            skilled = [v for v in able if tag in data.skills[v]]
            own = [int(x) for x in (data.primary[e], backups.backup[e]) if x in skilled]
            chosen = list(dict.fromkeys(skilled[:PROVIDERS_PER_REQUEST] + own))
            requests.append(ServiceRequest(e, m, days, tag, tuple(chosen),
                                           tuple(data.trip(v, e) for v in chosen)))
    return requests, notes, gaps


def providers_by_month(data: ScheduleData, past: Past, reach: dict[int, list[int]]
                       ) -> dict[int, list[tuple[int, list[int]]]]:
    """For the lower bound: each month's requests with every volunteer who could serve any of
    the elder's needs (the rotation relaxed), sharing a day in the month."""
    h = data.horizon
    out: dict[int, list[tuple[int, list[int]]]] = {}
    for m, (first, nxt) in enumerate(h.months):
        days = [d for d in (first + dt.timedelta(days=i) for i in range((nxt - first).days))
                if d >= h.from_date]
        if not days:
            continue
        mask = day_mask(tuple(days))
        out[m] = [(e, [v for v in reach.get(e, []) if data.shares_day(v, e, mask)])
                  for e in data.assigned.tolist()
                  if data.needs[e] and (e, m) not in past.services]
    return out
