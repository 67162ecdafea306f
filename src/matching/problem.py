"""The pairing problem as immutable arrays: who may be paired with whom, at what cost and load.

Every figure the model needs is computed here once, vectorised, and converted once to the
integer units of :mod:`matching.rules` (cost in centimetres, load in thousandths of a minute).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching import geo
from matching.read import World
from matching.rules import COST_UNITS_PER_KM, LOAD_UNITS_PER_MINUTE, Rules

#: Why a nearby pair is not a candidate, in the order the rules are applied.
ELIGIBLE, TOO_FAR, REFUSES, GENDER, NO_SHARED_DAY = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class PairingProblem:
    """Candidate pairs and capacities, ready for a solver.

    Arrays named ``arc_*`` describe the eligible pairs, sorted by elder then volunteer.
    Arrays named ``near_*`` describe every pair that was looked at (eligible or not), with
    ``near_code`` saying which rule, if any, rules it out: they explain unassigned elders.

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
    """

    world: World
    rules: Rules
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
        """Number of eligible pairs."""
        return len(self.arc_v)

    def arc_tie(self) -> np.ndarray:
        """``kin``, ``familiar`` or ``none`` for each eligible pair (kin wins over familiar)."""
        return np.where(self.arc_kin, "kin", np.where(self.arc_familiar, "familiar", "none"))


def _gender_codes(column: pd.Series) -> np.ndarray:
    """``""``, ``F``, ``M`` as 0, 1, 2 (comparing small integers beats comparing strings)."""
    text = column.to_numpy(dtype=object)
    return np.where(text == "F", 1, np.where(text == "M", 2, 0)).astype(np.int8)


def build_problem(world: World) -> PairingProblem:
    """Apply the pairing rules to a world and compute every pair's cost and load.

    A volunteer and an elder may be paired only if they are at most ``max_km`` apart
    (``max_kin_km`` for kin), the elder does not refuse the volunteer, the elder's gender
    preference holds, and they share an available day. Distances are great-circle unless
    pairs.csv measured them; a side without coordinates is paired only through pairs.csv.
    """
    rules = world.rules
    vols, elds = world.volunteers, world.elders
    vid = pd.Index(vols["volunteer_id"].astype(str))
    eid = pd.Index(elds["elder_id"].astype(str))
    _nv, ne = len(vid), len(eid)
    vlat, vlon = vols["lat"].to_numpy(float), vols["lon"].to_numpy(float)
    elat, elon = elds["lat"].to_numpy(float), elds["lon"].to_numpy(float)

    # 1. pairs near enough to look at: the spatial search, relations, and measured pairs
    gi, gj, gd = geo.pairs_within(vlat, vlon, elat, elon, rules.search_km)
    rel_v = vid.get_indexer(world.relations["volunteer_id"].astype(str))
    rel_e = eid.get_indexer(world.relations["elder_id"].astype(str))
    rel_kind = world.relations["relation"].to_numpy(dtype=object)
    rel_d = geo.haversine_km(vlat[rel_v], vlon[rel_v], elat[rel_e], elon[rel_e]) if len(rel_v) \
        else np.empty(0)
    keys = [gi * ne + gj, rel_v * ne + rel_e]
    dists = [gd, rel_d]
    minutes_given = [np.full(len(gi), np.nan), np.full(len(rel_v), np.nan)]
    if world.pairs is not None and len(world.pairs):
        pv = vid.get_indexer(world.pairs["volunteer_id"].astype(str))
        pe = eid.get_indexer(world.pairs["elder_id"].astype(str))
        pd_km = world.pairs["distance_km"].to_numpy(float)
        computed = geo.haversine_km(vlat[pv], vlon[pv], elat[pe], elon[pe])
        # measured pairs go first so that they win the de-duplication below
        keys.insert(0, pv * ne + pe)
        dists.insert(0, np.where(np.isnan(pd_km), computed, pd_km))
        minutes_given.insert(0, world.pairs["weekly_minutes"].to_numpy(float))
    key_all = np.concatenate(keys).astype(np.int64)
    d_all = np.concatenate(dists)
    m_all = np.concatenate(minutes_given)
    key, first = np.unique(key_all, return_index=True)
    dist, given_minutes = d_all[first], m_all[first]
    # pairs without a distance (relations between people without coordinates) are dropped
    ok = ~np.isnan(dist)
    key, dist, given_minutes = key[ok], dist[ok], given_minutes[ok]
    pv_idx, pe_idx = key // ne, key % ne

    # 2. ties from relations.csv
    def has(kind: str) -> np.ndarray:
        sel = rel_kind == kind
        return np.isin(key, (rel_v[sel] * ne + rel_e[sel]).astype(np.int64))

    kin, familiar, refuses = has("kin"), has("familiar"), has("refuses")

    # 3. the eligibility rules, in order; the first that fails names the reason
    limit = np.where(kin, rules.max_kin_km, rules.max_km)
    gender = _gender_codes(vols["gender"])[pv_idx]
    want = _gender_codes(elds["gender_preference"])[pe_idx]
    day_v = vols["day_mask"].to_numpy(np.int64)[pv_idx]
    day_e = elds["day_mask"].to_numpy(np.int64)[pe_idx]
    code = np.full(len(key), ELIGIBLE, dtype=np.int8)
    code[(day_v & day_e) == 0] = NO_SHARED_DAY
    code[(want != 0) & (gender != want)] = GENDER
    code[refuses] = REFUSES
    code[dist > limit + 1e-9] = TOO_FAR

    visit = elds["visit_minutes"].to_numpy(float)[pe_idx]
    minutes = np.where(np.isnan(given_minutes), visit + 2 * rules.walking_min_per_km * dist,
                       given_minutes)
    cost = (np.rint(dist * COST_UNITS_PER_KM).astype(np.int64)
            - round(rules.kin_bonus_km * COST_UNITS_PER_KM) * kin
            - round(rules.familiar_bonus_km * COST_UNITS_PER_KM) * familiar)
    load = np.ceil(minutes * LOAD_UNITS_PER_MINUTE - 1e-6).astype(np.int64)

    el = code == ELIGIBLE
    order = np.lexsort((pv_idx[el], pe_idx[el]))
    cap_load = np.floor(vols["weekly_minutes"].to_numpy(float) * LOAD_UNITS_PER_MINUTE
                        + 1e-6).astype(np.int64)
    return PairingProblem(
        world=world,
        rules=rules,
        volunteer_ids=vid.to_numpy(dtype=object),
        elder_ids=eid.to_numpy(dtype=object),
        cap_count=vols["max_elders"].to_numpy(np.int64),
        cap_load=cap_load,
        priority=elds["priority"].to_numpy(np.int64),
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
        nearest_km=geo.nearest_km(vlat, vlon, elat, elon),
    )
