"""The world as the schedule sees it: arrays built once, and the walk between two homes."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np

from matching.pairing.eligibility import measured_pairs, nearby_pairs
from matching.pairing.problem import PairingProblem
from matching.rules.schedule import ScheduleRules, within_day
from matching.schedule.horizon import Horizon
from matching.world import geo
from matching.world.model import World
from matching.world.tables import Elders, Volunteers

#: The solver counts minutes in tenths, as integers; loads round up, budgets round down.
LOAD_UNITS_PER_MINUTE = 10


def load_units(minutes: float) -> int:
    """Minutes as a load, rounded up to the next unit."""
    return math.ceil(minutes * LOAD_UNITS_PER_MINUTE - 1e-6)


def _periods(table: Volunteers | Elders) -> tuple[tuple[tuple[dt.date, dt.date], ...], ...]:
    """Each person's periods away (none where nobody is away)."""
    periods = tuple(tuple(p) if isinstance(p, tuple) else () for p in table.away)
    return periods if any(periods) else ()  # nobody away: nothing to look at


def _overlap(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]
             ) -> tuple[tuple[int, int], ...]:
    """The times in both ``a`` and ``b``."""
    return tuple(sorted((max(x, z), min(y, w)) for x, y in a for z, w in b
                        if min(y, w) > max(x, z)))


def _times(table: Volunteers | Elders) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Each person's preferred times of day (none where the world gives none)."""
    times = tuple(tuple(t) if isinstance(t, tuple) else () for t in table.preferred_times)
    return times if any(times) else ()


def budget_units(minutes: float) -> int:
    """Minutes as a budget, rounded down (never below zero)."""
    return max(0, math.floor(minutes * LOAD_UNITS_PER_MINUTE + 1e-6))


@dataclass(frozen=True)
class ScheduleData:
    """Everything the schedule's stages read, computed once.

    Attributes
    ----------
    primary
        Primary volunteer of each elder (-1 for none).
    assigned
        Indices of the elders with a primary, in file order.
    weekly
        Weekly minutes of each volunteer (visits, services, events, birthdays and walking).
    volunteer_days, elder_days
        Available days as bit masks (bit 0 = Monday).
    service_keys, service_minutes, service_km
        Every pair that could give a monthly service: an elder with a primary and needs, and
        a volunteer within ``service_km`` with one of those needs as a skill (sorted keys
        ``v * num_elders + e``, found skill by skill), its one-way walk and its distance.
    measured_keys, measured_km, measured_minutes
        The pairs pairs.csv measures (sorted keys), with the distance and weekly minutes it
        gives (NaN where it gives none).

    A walk comes from a measured ``weekly_minutes`` when pairs.csv gives one, else from the
    distance (measured or great-circle) at the walking pace: :meth:`trip` finds it for a
    service pair, then for an eligible pair of the pairing, then computes it.
    """

    problem: PairingProblem
    rules: ScheduleRules
    horizon: Horizon
    primary: np.ndarray
    assigned: np.ndarray
    weekly: np.ndarray
    volunteer_days: np.ndarray
    elder_days: np.ndarray
    visit_minutes: np.ndarray
    priority: np.ndarray
    elder_community: np.ndarray
    volunteer_community: np.ndarray
    birthdays: tuple[str, ...]
    needs: tuple[tuple[str, ...], ...]
    skills: tuple[tuple[str, ...], ...]
    service_keys: np.ndarray
    service_minutes: np.ndarray
    service_km: np.ndarray
    measured_keys: np.ndarray
    measured_km: np.ndarray
    measured_minutes: np.ndarray
    volunteer_away: tuple[tuple[tuple[dt.date, dt.date], ...], ...] = ()
    elder_away: tuple[tuple[tuple[dt.date, dt.date], ...], ...] = ()
    volunteer_times: tuple[tuple[tuple[int, int], ...], ...] = ()
    elder_times: tuple[tuple[tuple[int, int], ...], ...] = ()

    def visit_windows(self, v: int, e: int) -> tuple[tuple[tuple[int, int], ...], ...]:
        """When volunteer ``v`` may be at elder ``e``'s home, to try in order, each as
        ``(start, end)`` minutes inside the day: where the elder gives no preferred times,
        first within the programme's ``visit_times``; then within the elder's preferred
        times and the volunteer's (each the whole day when not given). An empty last entry
        means the two have no time in common."""
        r = self.rules
        whole = ((r.day_start, r.day_end),)
        own = self.elder_times[e] if self.elder_times else ()
        theirs = self.volunteer_times[v] if self.volunteer_times else ()
        allowed = _overlap(within_day(own, r.day_start, r.day_end) if own else whole,
                           theirs or whole)
        if own:
            return (allowed,)
        usual = _overlap(allowed, r.visit_windows)
        return (usual, allowed) if usual and usual != allowed else (allowed,)

    @functools.cached_property
    def _walks_between(self) -> dict[tuple[int, int], float | None]:
        return {}

    def walk_between(self, a: int, b: int) -> float | None:
        """Walking minutes between two elders' homes, by the world's distances (``None``
        where either has no coordinates, or the streets give no walk within reach: a walk
        then goes by way of the volunteer's home)."""
        key = (min(a, b), max(a, b))
        known = self._walks_between
        if key not in known:
            world = self.problem.world
            elds = world.elders
            # two homes one volunteer visits in a day lie within twice the pairing's reach,
            # or within a service's
            reach = max(2 * world.rules.max_km, self.rules.service_km)
            km = float(world.distances.between(elds.lat[[a]], elds.lon[[a]], elds.lat[[b]],
                                               elds.lon[[b]], reach, keep=False)[0])
            known[key] = float(self.problem.rules.walking_min_per_km * km) \
                if np.isfinite(km) else None
        return known[key]

    def away_weeks(self, periods: tuple[tuple[dt.date, dt.date], ...]) -> list[dt.date]:
        """The Mondays of the horizon's weeks that a person's periods away touch."""
        return [w.monday for w in self.horizon.weeks
                if any(first <= w.monday + dt.timedelta(days=6) and w.monday <= last
                       for first, last in periods)]

    def volunteer_away_weeks(self, v: int) -> list[dt.date]:
        """The weeks a volunteer is away in (any day of them): they plan nothing then."""
        return self.away_weeks(self.volunteer_away[v]) if self.volunteer_away else []

    def elder_away_weeks(self, e: int) -> list[dt.date]:
        """The weeks an elder is away in (any day of them): no visit is due then."""
        return self.away_weeks(self.elder_away[e]) if self.elder_away else []

    def elder_away_on(self, e: int, day: dt.date) -> bool:
        """Whether the elder is away that day."""
        return bool(self.elder_away) and any(a <= day <= b for a, b in self.elder_away[e])

    @classmethod
    def build(cls, problem: PairingProblem, primary: np.ndarray, rules: ScheduleRules,
              horizon: Horizon) -> ScheduleData:
        """Gather the arrays of a world for a horizon."""
        world = problem.world
        vols, elds = world.volunteers, world.elders
        visit = elds.visit_minutes
        primary = np.asarray(primary, dtype=np.int64)
        needs = tuple(tuple(n) for n in elds.needs)
        skills = tuple(tuple(s) for s in vols.skills)
        v, e, km, given = service_pairs_within(world, primary, needs, skills, rules.service_km)
        pace = problem.rules.walking_min_per_km
        trip = np.where(np.isnan(given), pace * km, np.maximum(0.0, (given - visit[e]) / 2))
        measured_keys, measured_km, measured_minutes = measured_pairs(world)
        return cls(
            problem=problem, rules=rules, horizon=horizon,
            primary=primary,
            assigned=np.flatnonzero(primary >= 0),
            weekly=vols.weekly_minutes,
            volunteer_days=vols.day_mask,
            elder_days=elds.day_mask,
            visit_minutes=visit,
            priority=problem.priority,
            elder_community=elds.community,
            volunteer_community=vols.community,
            birthdays=tuple(str(b) for b in elds.birthday),
            needs=needs,
            skills=skills,
            service_keys=v.astype(np.int64) * problem.num_elders + e,
            service_minutes=trip,
            service_km=km,
            measured_keys=measured_keys,
            measured_km=measured_km,
            measured_minutes=measured_minutes,
            volunteer_away=_periods(vols), elder_away=_periods(elds),
            volunteer_times=_times(vols), elder_times=_times(elds),
        )

    @property
    def num_volunteers(self) -> int:
        """Number of volunteers."""
        return self.problem.num_volunteers

    @property
    def num_elders(self) -> int:
        """Number of elders."""
        return self.problem.num_elders

    def service_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Volunteer, elder, distance and one-way walk of every pair that could give a monthly
        service (a skill for a need, within ``service_km``), sorted by volunteer then elder."""
        keys = self.service_keys
        return keys // self.num_elders, keys % self.num_elders, self.service_km, \
            self.service_minutes

    @property
    def day_window(self) -> int:
        """Minutes in a working day (``day_end - day_start``)."""
        return self.rules.day_end - self.rules.day_start

    def trip(self, v: int, e: int) -> float:
        """One-way walking minutes between a volunteer's and an elder's homes."""
        key = v * self.num_elders + e
        k = int(np.searchsorted(self.service_keys, key))
        if k < len(self.service_keys) and self.service_keys[k] == key:
            return float(self.service_minutes[k])
        p = self.problem
        pace = p.rules.walking_min_per_km
        k = int(np.searchsorted(self.measured_keys, key))
        if k < len(self.measured_keys) and self.measured_keys[k] == key:
            if not np.isnan(self.measured_minutes[k]):
                return float(max(0.0, (self.measured_minutes[k] - self.visit_minutes[e]) / 2))
            if not np.isnan(self.measured_km[k]):
                return float(pace * self.measured_km[k])
        eligible_km = _eligible_pair_km(p, v, e)
        if eligible_km is None:
            world = p.world
            vols, elds = world.volunteers, world.elders
            km = float(world.distances.between(vols.lat[[v]], vols.lon[[v]], elds.lat[[e]],
                                               elds.lon[[e]], world.rules.max_kin_km,
                                               keep=False)[0])
            if km == np.inf:  # no walk within the search: the straight line, at least
                km = float(geo.haversine_km(vols.lat[v], vols.lon[v], elds.lat[e], elds.lon[e]))
        else:
            km = eligible_km
        return float(pace * km) if np.isfinite(km) else 0.0

    def shares_day(self, v: int, e: int, day_mask: int) -> bool:
        """Whether volunteer and elder can both do one of the days in ``day_mask``."""
        return bool(self.volunteer_days[v] & self.elder_days[e] & day_mask)

    def available(self, v: int, weekday: int) -> bool:
        """Whether the volunteer can work on that weekday (0 = Monday)."""
        return bool(self.volunteer_days[v] >> weekday & 1)


def day_mask(days: tuple) -> int:
    """Bit mask of the weekdays of some dates."""
    mask = 0
    for d in days:
        mask |= 1 << d.weekday()
    return mask


def _eligible_pair_km(problem: PairingProblem, v: int, e: int) -> float | None:
    """The distance of an eligible pair of the pairing (``None`` if it is not one)."""
    first = int(np.searchsorted(problem.arc_e, e))
    end = int(np.searchsorted(problem.arc_e, e, side="right"))
    k = first + int(np.searchsorted(problem.arc_v[first:end], v))
    return float(problem.arc_km[k]) if k < end and problem.arc_v[k] == v else None


def service_pairs_within(world: World, primary: np.ndarray, needs: tuple[tuple[str, ...], ...],
                   skills: tuple[tuple[str, ...], ...], km: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair within ``km`` (or related, or measured) of an elder with a primary and a
    volunteer who has one of the elder's needs as a skill, sorted by key: one spatial search
    per skill, so that no stage holds the pairs of everyone within reach."""
    tags = sorted({t for e, ts in enumerate(needs) if primary[e] >= 0 for t in ts})
    parts = []
    for tag in tags:
        elders = np.array([e for e, ts in enumerate(needs) if primary[e] >= 0 and tag in ts],
                          dtype=np.int64)
        volunteers = np.array([v for v, ts in enumerate(skills) if tag in ts], dtype=np.int64)
        if len(elders) and len(volunteers):
            parts.append(nearby_pairs(world, km, volunteers=volunteers, elders=elders))
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.empty(0)
    ne = len(needs)
    keys = np.concatenate([v.astype(np.int64) * ne + e for v, e, _, _ in parts])
    keys, first = np.unique(keys, return_index=True)
    dist = np.concatenate([d for _, _, d, _ in parts])[first]
    given = np.concatenate([g for _, _, _, g in parts])[first]
    # a walk longer than the search (inf) is out of reach: as if it were not near at all
    walkable = np.isfinite(dist)
    keys, dist, given = keys[walkable], dist[walkable], given[walkable]
    return keys // ne, keys % ne, dist, given
