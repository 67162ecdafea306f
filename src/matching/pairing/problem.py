"""The pairing problem as immutable arrays: who may be paired with whom, at what cost and load.

Every figure the model needs is computed here once, vectorised, and converted once to the
integer units of :mod:`matching.rules.pairing` (cost in centimetres, load in thousandths of
a minute).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.pairing.arrays import grouped_order
from matching.pairing.eligibility import (
    ELIGIBLE,
    GENDER,
    NO_SHARED_DAY,
    REFUSES,
    TOO_FAR,
    Eligibility,
    nearby_pairs,
)
from matching.rules.pairing import LOAD_UNITS_PER_MINUTE, Rules
from matching.world import geo
from matching.world.model import World

__all__ = ["ELIGIBLE", "GENDER", "NO_SHARED_DAY", "REFUSES", "TOO_FAR", "PairingProblem",
           "build_problem"]


@dataclass(frozen=True)
class PairingProblem:
    """Candidate pairs and capacities, ready for a solver.

    Arrays named ``arc_*`` describe the eligible pairs, sorted by elder then volunteer.
    Arrays named ``near_*`` describe every pair that was looked at (eligible or not), with
    ``near_code`` saying which rule, if any, rules it out: they explain unassigned elders.
    ``eligibility`` answers the same question for any other pair and distance limit (a
    monthly service's, say): every stage asks it, so that there is one copy of the rules.

    Attributes
    ----------
    cap_count
        Most elders per volunteer (``max_elders``).
    cap_load
        Weekly minutes per volunteer, in load units (rounded down).
    priority
        Priority of each elder.
    arc_cost
        ``distance - kin_bonus*[kin] - familiar_bonus*[familiar]`` in cost units.
    arc_load
        Weekly minutes of the pair (visit plus walking both ways) in load units (rounded up).
    total_arcs
        The world's number of eligible pairs when the arrays keep only some of them (a plan
        put together from regions, :mod:`matching.pairing.regions`); ``None`` when they keep all.
    """

    world: World
    rules: Rules
    eligibility: Eligibility
    volunteer_ids: np.ndarray
    elder_ids: np.ndarray
    cap_count: np.ndarray
    cap_load: np.ndarray
    priority: np.ndarray
    arc_v: np.ndarray
    arc_e: np.ndarray
    arc_km: np.ndarray
    arc_minutes: np.ndarray
    arc_kin: np.ndarray
    arc_familiar: np.ndarray
    arc_cost: np.ndarray
    arc_load: np.ndarray
    near_v: np.ndarray
    near_e: np.ndarray
    near_km: np.ndarray
    near_code: np.ndarray
    nearest_km: np.ndarray
    total_arcs: int | None = None

    def __post_init__(self) -> None:
        # immutable through and through: a solver or a report cannot change the problem
        # another stage reads (arrays are shared, not copied)
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def num_volunteers(self) -> int:
        """Number of volunteers."""
        return len(self.volunteer_ids)

    @property
    def num_elders(self) -> int:
        """Number of elders."""
        return len(self.elder_ids)

    @property
    def num_arcs(self) -> int:
        """Number of eligible pairs in the arrays."""
        return len(self.arc_v)

    @property
    def candidate_pairs(self) -> int:
        """Number of eligible pairs in the world (``total_arcs`` when the arrays keep only
        some of them, as in a plan put together from regions)."""
        return self.num_arcs if self.total_arcs is None else self.total_arcs

    def arc_tie(self) -> np.ndarray:
        """``kin``, ``familiar`` or ``none`` for each eligible pair (kin wins over familiar)."""
        return np.where(self.arc_kin, "kin", np.where(self.arc_familiar, "familiar", "none"))


def capacities(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each volunteer's elder limit and weekly minutes (in load units, rounded down), and
    each elder's priority."""
    cap_load = np.floor(world.volunteers.weekly_minutes
                        * LOAD_UNITS_PER_MINUTE + 1e-6).astype(np.int64)
    return world.volunteers.max_elders, cap_load, world.elders.priority


def build_problem(world: World, *, nearest_km: np.ndarray | None = None) -> PairingProblem:
    """Apply the pairing rules to a world and compute every pair's cost and load.

    A volunteer and an elder may be paired only if
    :class:`~matching.pairing.eligibility.Eligibility` allows it at the pairing's distance
    limit: ``max_km`` (``max_kin_km`` for kin), no refusal, the elder's gender preference, a
    shared day. Distances are the world's (walked on its streets, else the straight line
    times its detour factor) unless pairs.csv measured them; a side without coordinates is
    paired only through pairs.csv.

    ``nearest_km`` gives each elder's distance to the nearest volunteer when the world is a
    region of a larger one (whose nearest volunteer may be outside it).
    """
    rules = world.rules
    vols, elds = world.volunteers, world.elders
    eligibility = Eligibility.from_world(world)

    # 1. pairs near enough to look at: the spatial search, relations, and measured pairs
    pv_idx, pe_idx, dist, given_minutes = nearby_pairs(world, rules.search_km)

    # 2. ties, and the eligibility rules (the first that fails names the reason)
    kin = eligibility.kin(pv_idx, pe_idx)
    familiar = eligibility.familiar(pv_idx, pe_idx)
    limit = eligibility.pairing_limit(pv_idx, pe_idx, rules.max_km, rules.max_kin_km)
    code = eligibility.codes(pv_idx, pe_idx, dist, limit)

    visit = elds.visit_minutes[pe_idx]
    # a walk beyond the search is inf: never eligible, so its figures are never used
    walked = np.where(np.isfinite(dist), dist, 0.0)
    minutes = np.where(np.isnan(given_minutes), rules.load_minutes(visit, walked),
                       given_minutes)
    cost = rules.pair_cost_units(walked, kin, familiar)
    load = np.ceil(minutes * LOAD_UNITS_PER_MINUTE - 1e-6).astype(np.int64)

    el = code == ELIGIBLE
    order = grouped_order(pe_idx[el], pv_idx[el])
    cap_count, cap_load, priority = capacities(world)
    if nearest_km is None:
        nearest_km = geo.nearest_km(vols.lat, vols.lon, elds.lat, elds.lon)
    return PairingProblem(
        world=world,
        rules=rules,
        eligibility=eligibility,
        volunteer_ids=vols.volunteer_id.astype(str).astype(object),
        elder_ids=elds.elder_id.astype(str).astype(object),
        cap_count=cap_count,
        cap_load=cap_load,
        priority=priority,
        arc_v=pv_idx[el][order],
        arc_e=pe_idx[el][order],
        arc_km=dist[el][order],
        arc_minutes=minutes[el][order],
        arc_kin=kin[el][order],
        arc_familiar=familiar[el][order],
        arc_cost=cost[el][order],
        arc_load=load[el][order],
        near_v=pv_idx,
        near_e=pe_idx,
        near_km=dist,
        near_code=code,
        nearest_km=nearest_km,
    )
