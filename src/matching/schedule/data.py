"""The world as the schedule sees it: arrays built once, and the walk between two homes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching import geo
from matching.eligibility import nearby_pairs
from matching.problem import PairingProblem
from matching.schedule.horizon import Horizon
from matching.schedule.rules import ScheduleRules

#: The solver counts minutes in tenths, as integers; loads round up, budgets round down.
LOAD_UNITS_PER_MINUTE = 10


def load_units(minutes: float) -> int:
    """Minutes as a load, rounded up to the next unit."""
    return math.ceil(minutes * LOAD_UNITS_PER_MINUTE - 1e-6)


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
    trip_keys, trip_minutes, trip_km
        Every pair within reach of a visit or a service (sorted keys ``v * num_elders + e``,
        found by one spatial search), its one-way walk and its distance. The walk comes from
        a measured ``weekly_minutes`` when pairs.csv gives one, else from the distance
        (measured or great-circle) at the walking pace. Other pairs are computed when asked.
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
    trip_keys: np.ndarray
    trip_minutes: np.ndarray
    trip_km: np.ndarray

    @classmethod
    def build(cls, problem: PairingProblem, primary: np.ndarray, rules: ScheduleRules,
              horizon: Horizon) -> ScheduleData:
        """Gather the arrays of a world for a horizon."""
        world = problem.world
        vols, elds = world.volunteers, world.elders
        visit = elds["visit_minutes"].to_numpy(float)
        # every pair a stage may ask about: pairing candidates and service providers
        reach = max(rules.service_km, problem.rules.search_km)
        v, e, km, given = nearby_pairs(world, reach)
        pace = problem.rules.walking_min_per_km
        trip = np.where(np.isnan(given), pace * km, np.maximum(0.0, (given - visit[e]) / 2))
        return cls(
            problem=problem, rules=rules, horizon=horizon,
            primary=np.asarray(primary, dtype=np.int64),
            assigned=np.flatnonzero(np.asarray(primary) >= 0),
            weekly=vols["weekly_minutes"].to_numpy(float),
            volunteer_days=vols["day_mask"].to_numpy(np.int64),
            elder_days=elds["day_mask"].to_numpy(np.int64),
            visit_minutes=visit,
            priority=problem.priority,
            elder_community=elds["community"].to_numpy(dtype=object),
            volunteer_community=vols["community"].to_numpy(dtype=object),
            birthdays=tuple(str(b) for b in elds["birthday"]),
            needs=tuple(tuple(n) for n in elds["needs"]),
            skills=tuple(tuple(s) for s in vols["skills"]),
            trip_keys=v.astype(np.int64) * problem.num_elders + e,
            trip_minutes=trip,
            trip_km=km,
        )

    @property
    def num_volunteers(self) -> int:
        """Number of volunteers."""
        return self.problem.num_volunteers

    @property
    def num_elders(self) -> int:
        """Number of elders."""
        return self.problem.num_elders

    def pairs_within(self, km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Volunteer, elder and distance of every pair at most ``km`` apart (``km`` no more
        than the reach the data was built with)."""
        near = self.trip_km <= km + 1e-9
        keys = self.trip_keys[near]
        return keys // self.num_elders, keys % self.num_elders, self.trip_km[near]

    @property
    def day_window(self) -> int:
        """Minutes in a working day (``day_end - day_start``)."""
        return self.rules.day_end - self.rules.day_start

    def trip(self, v: int, e: int) -> float:
        """One-way walking minutes between a volunteer's and an elder's homes."""
        key = v * self.num_elders + e
        k = int(np.searchsorted(self.trip_keys, key))
        if k < len(self.trip_keys) and self.trip_keys[k] == key:
            return float(self.trip_minutes[k])
        vols, elds = self.problem.world.volunteers, self.problem.world.elders
        km = geo.haversine_km(vols["lat"].iat[v], vols["lon"].iat[v], elds["lat"].iat[e],
                              elds["lon"].iat[e])
        return float(self.problem.rules.walking_min_per_km * km) if np.isfinite(km) else 0.0

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
