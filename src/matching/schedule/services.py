"""Monthly professional services: which need is due, and who could give it.

In every calendar month wholly in the horizon, an elder with needs gets one service of the
need that is due, rotating through their needs in order (so any ``k`` consecutive months
cover all ``k`` needs). A need that no volunteer within reach offers on a shared day gives
way to the next in the rotation, and the gap is reported. A provider has the skill, lives
within ``service_km`` and is eligible by the one rule everyone asks
(:class:`~matching.pairing.eligibility.Eligibility`): never someone the elder refuses, always of
the preferred gender, sharing a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from matching.catalogue import Reason
from matching.pairing.eligibility import ELIGIBLE
from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData, day_mask
from matching.schedule.horizon import monday_of
from matching.schedule.past import Past
from matching.schedule.reasons import unservable
from matching.schedule.result import ROTATION_SWAP, Missed, Unmet

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


@dataclass(frozen=True)
class ServiceReach:
    """For each elder with a primary and needs, every volunteer eligible to serve them within
    ``service_km`` who has at least one of their needs as a skill, nearest first (ties by
    volunteer id), as arrays: elder ``e``'s providers are ``volunteer[start[e]:start[e+1]]``.

    Attributes
    ----------
    start
        Offsets per elder (``num_elders + 1`` of them).
    volunteer, trip
        The providers, and their one-way walks in minutes.
    tags
        Column of each skill in ``skilled``.
    skilled
        Whether each volunteer (row) has each skill (column).
    """

    start: np.ndarray
    volunteer: np.ndarray
    trip: np.ndarray
    tags: dict[str, int]
    skilled: np.ndarray

    def of(self, e: int) -> np.ndarray:
        """Elder ``e``'s providers, nearest first."""
        return self.volunteer[self.start[e]:self.start[e + 1]]

    def positions(self, e: int) -> np.ndarray:
        """Where elder ``e``'s providers are in ``volunteer`` and ``trip``."""
        return np.arange(self.start[e], self.start[e + 1])

    def has(self, volunteers: np.ndarray, tag: str) -> np.ndarray:
        """Whether each of ``volunteers`` has the skill."""
        column = self.tags.get(tag)
        if column is None:
            return np.zeros(len(volunteers), dtype=bool)
        return self.skilled[volunteers, column]


def service_reach(data: ScheduleData) -> ServiceReach:
    """Every provider of every elder with needs (see :class:`ServiceReach`)."""
    p = data.problem
    v, e, km, trip = data.service_pairs()
    ok = p.eligibility.codes(v, e, km, data.rules.service_km) == ELIGIBLE
    v, e, km, trip = v[ok], e[ok], km[ok], trip[ok]
    id_rank = np.empty(data.num_volunteers, dtype=np.int64)
    id_rank[np.argsort(p.volunteer_ids.astype(str), kind="stable")] = \
        np.arange(data.num_volunteers)
    order = np.lexsort((id_rank[v], km, e))
    e_sorted = e[order]
    start = np.searchsorted(e_sorted, np.arange(data.num_elders + 1))
    tags = {t: k for k, t in enumerate(sorted({t for ts in data.skills for t in ts}))}
    skilled = np.zeros((data.num_volunteers, max(1, len(tags))), dtype=bool)
    for who, ts in enumerate(data.skills):
        for t in ts:
            skilled[who, tags[t]] = True
    return ServiceReach(start=start, volunteer=v[order], trip=trip[order], tags=tags,
                        skilled=skilled)


def service_requests(data: ScheduleData, backups: Backups, past: Past, reach: ServiceReach
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
                            tuple(reach.of(e).tolist()), (monday_of(first),), "before")
                     for e in data.assigned.tolist()
                     if data.needs[e] and (e, m) not in past.services]
            continue
        mask = day_mask(days)
        for e in data.assigned.tolist():
            needs = data.needs[e]
            if not needs or (e, m) in past.services:
                continue
            order = [needs[(m + i) % len(needs)] for i in range(len(needs))]
            able = _sharing_day(data, reach.of(e), e, mask)
            servable = [t for t in order if reach.has(able, t).any()]
            tag = servable[0] if servable else order[0]
            if servable and tag != order[0]:
                why = unservable(data, e, order[0], mask).part()
                notes.append(Unmet(e, f"{first:%Y-%m}", ROTATION_SWAP, Reason(
                    "unmet.service_rotation", {"due": f"service.{order[0]}",
                                               "instead": f"service.{tag}", "why": why}),
                                   str(data.elder_community[e])))
            skilled = able[reach.has(able, tag)].tolist()
            own = [int(x) for x in (data.primary[e], backups.backup[e]) if x in skilled]
            chosen = list(dict.fromkeys(skilled[:PROVIDERS_PER_REQUEST] + own))
            requests.append(ServiceRequest(e, m, days, tag, tuple(chosen),
                                           tuple(data.trip(v, e) for v in chosen)))
    return requests, notes, gaps


def providers_by_month(data: ScheduleData, past: Past, reach: ServiceReach
                       ) -> dict[int, list[tuple[int, np.ndarray]]]:
    """For the lower bound: each month's requests with every provider who could serve any
    of the elder's needs (the rotation relaxed) on a day of the month they share, as
    positions in ``reach``'s arrays."""
    h = data.horizon
    out: dict[int, list[tuple[int, np.ndarray]]] = {}
    for m, (first, nxt) in enumerate(h.months):
        days = [d for d in (first + dt.timedelta(days=i) for i in range((nxt - first).days))
                if d >= h.from_date]
        if not days:
            continue
        mask = day_mask(tuple(days))
        out[m] = []
        for e in data.assigned.tolist():
            if data.needs[e] and (e, m) not in past.services:
                at = reach.positions(e)
                out[m].append((e, at[_shares(data, reach.volunteer[at], e, mask)]))
    return out


def _shares(data: ScheduleData, volunteers: np.ndarray, e: int, mask: int) -> np.ndarray:
    """Whether each volunteer shares a day of ``mask`` with elder ``e``."""
    return (data.volunteer_days[volunteers] & (int(data.elder_days[e]) & mask)) != 0


def _sharing_day(data: ScheduleData, volunteers: np.ndarray, e: int, mask: int) -> np.ndarray:
    """The volunteers who share a day of ``mask`` with elder ``e``, in order."""
    return volunteers[_shares(data, volunteers, e, mask)]
