"""Who should give a requested service: the eligible volunteers, best first, by the pairing's
own rules.

Every rule is asked where it lives:

* who may serve whom (distance, refusals, gender, a shared day):
  :class:`matching.pairing.eligibility.Eligibility`, with the pairing's distance limit for a
  visit (kin further) and the schedule's ``service_km`` for a professional service, as the
  schedule gives its monthly services;
* the skill a service needs: :func:`matching.rules.exchange.skill_of`;
* the day: a date of the request on one of the volunteer's days and not in a period away;
  the time: the volunteer's preferred times meet the elder's, when both are given;
* capacity left that week: the volunteer's ``weekly_minutes`` less what the plan and the
  requests they took already give them that week, for the service and the walk both ways
  (:meth:`matching.rules.pairing.Rules.load_minutes`);
* the order: the pairing's cost (:meth:`matching.rules.pairing.Rules.pair_cost_units`:
  distance less the kin and familiar bonuses, so kin before familiar before nearby at like
  distances), then fewest hours served lately (the time bank's ``fairness``), then the id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from matching.pairing.eligibility import (
    ELIGIBLE,
    GENDER,
    NO_SHARED_DAY,
    REFUSES,
    TOO_FAR,
    Eligibility,
    nearby_pairs,
)
from matching.rules.exchange import skill_of
from matching.rules.pairing import COST_UNITS_PER_KM
from matching.schedule.horizon import monday_of
from matching.world.model import World

#: Why a volunteer was not offered a request, by the rule that failed first.
EXCLUDED = {TOO_FAR: "too_far", REFUSES: "refuses", GENDER: "gender",
            NO_SHARED_DAY: "no_shared_day"}


@dataclass(frozen=True)
class Candidate:
    """A volunteer who may give the service, with what ranks them.

    Attributes
    ----------
    volunteer_id
        Who.
    tie
        ``kin``, ``familiar`` or ``nearby``.
    distance_km
        From the volunteer's home to the elder's (walked where the world walks).
    cost_km
        The pairing's cost of the pair, in km (distance less the tie's bonus).
    date
        The first date of the request the volunteer can do (ISO).
    free_minutes
        Minutes left of the volunteer's week on that date, before this service.
    recent_hours
        Hours the volunteer served lately (the fairness window).
    """

    volunteer_id: str
    tie: str
    distance_km: float
    cost_km: float
    date: str
    free_minutes: float
    recent_hours: float


@dataclass(frozen=True)
class Ranking:
    """The volunteers who may give a service, best first, and how many each rule left out."""

    candidates: tuple[Candidate, ...]
    excluded: Mapping[str, int] = field(default_factory=dict)

    def best(self, count: int) -> list[str]:
        """The ids of the best ``count``."""
        return [c.volunteer_id for c in self.candidates[:count]]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def _meet(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> bool:
    b = tuple(b)
    return any(min(a1, b1) > max(a0, b0) for a0, a1 in a for b0, b1 in b)


def rank_volunteers(world: World, elder_id: str, service: str, first: dt.date, last: dt.date,
                    minutes: float, *, service_km: float,
                    busy: Mapping[tuple[str, str], float] | None = None,
                    recent: Mapping[str, float] | None = None,
                    present: set[str] | None = None) -> Ranking:
    """Rank the volunteers who may give ``service`` to an elder on a day in ``[first, last]``.

    Parameters
    ----------
    world
        The programme's world, with the time bank's refusals applied
        (:func:`matching.ledger.feedback.apply_feedback`).
    elder_id, service
        Whom, and what (:data:`matching.rules.exchange.SERVICES`).
    first, last
        The window (one day when equal).
    minutes
        How long the service takes.
    service_km
        The farthest a volunteer may live to give a professional service.
    busy
        Minutes each volunteer already gives in a week (``(volunteer_id, monday ISO)``): the
        plan's activities and the requests they took.
    recent
        Hours each volunteer served lately (fewest first among equals).
    present
        The volunteers in the programme on the day (everyone in the world when ``None``).

    Raises
    ------
    KeyError
        For an elder not in the world, or an unknown service.
    """
    skill = skill_of(service)
    rules = world.rules
    e = int(world.elders.rows([elder_id])[0])
    if e < 0:
        raise KeyError(elder_id)
    busy, recent = busy or {}, recent or {}
    search = max(rules.max_km, service_km) if skill is None else service_km
    v, _, km, _ = nearby_pairs(world, search, elders=np.array([e]))
    eligibility = Eligibility.from_world(world)
    ee = np.full(len(v), e, dtype=np.int64)
    limit = eligibility.pairing_limit(v, ee, rules.max_km, rules.max_kin_km) \
        if skill is None else service_km
    codes = eligibility.codes(v, ee, km, limit)
    excluded: dict[str, int] = {}
    for code, name in EXCLUDED.items():
        if (count := int((codes == code).sum())):
            excluded[name] = count
    kin, familiar = eligibility.kin(v, ee), eligibility.familiar(v, ee)
    cost = rules.pair_cost_units(np.where(np.isfinite(km), km, 0.0), kin, familiar)
    load = rules.load_minutes(minutes, np.where(np.isfinite(km), km, 0.0))
    vols = world.volunteers
    elder_times = world.elders.preferred_times[e]
    days = _days(first, last)
    found: list[tuple[int, float, str, Candidate]] = []

    def leave_out(why: str) -> None:
        excluded[why] = excluded.get(why, 0) + 1

    for k in np.flatnonzero(codes == ELIGIBLE):
        who = int(v[k])
        vid = str(vols.volunteer_id[who])
        if present is not None and vid not in present:
            leave_out("not_in_programme")
            continue
        if skill is not None and skill not in vols.skills[who]:
            leave_out("no_skill")
            continue
        times = vols.preferred_times[who]
        if times and elder_times and not _meet(times, elder_times):
            leave_out("no_time")
            continue
        on_day = [d for d in days if int(vols.day_mask[who]) >> d.weekday() & 1
                  and not any(a <= d <= b for a, b in vols.away[who])]
        if not on_day:
            leave_out("not_on_date")
            continue
        week = float(vols.weekly_minutes[who])
        fits = [(d, week - busy.get((vid, monday_of(d).isoformat()), 0.0)) for d in on_day]
        fits = [(d, free) for d, free in fits if free >= float(load[k]) - 1e-9]
        if not fits:
            leave_out("no_capacity")
            continue
        day, free = fits[0]
        tie = "kin" if kin[k] else "familiar" if familiar[k] else "nearby"
        hours = float(recent.get(vid, 0.0))
        found.append((int(cost[k]), hours, vid, Candidate(
            vid, tie, round(float(km[k]), 3), round(int(cost[k]) / COST_UNITS_PER_KM, 3),
            day.isoformat(), round(free, 1), round(hours, 2))))
    found.sort(key=lambda item: item[:3])
    return Ranking(tuple(c for *_, c in found), dict(sorted(excluded.items())))
