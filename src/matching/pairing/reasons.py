"""Why an elder is left without a volunteer: a cause a planner can act on, as a code of the
catalogue with its figures (worded in Chinese or English by :mod:`matching.catalogue`)."""

from __future__ import annotations

import numpy as np

from matching.catalogue import Reason
from matching.pairing.problem import GENDER, NO_SHARED_DAY, REFUSES, TOO_FAR, PairingProblem
from matching.world import geo
from matching.world.distances import STRAIGHT, search_km
from matching.world.parse import day_codes


def unassigned_reasons(problem: PairingProblem, chosen: np.ndarray) -> dict[int, Reason]:
    """A reason for each elder the plan leaves unassigned, keyed by elder index.

    ``chosen`` is the whole plan over ``problem``'s pairs: a volunteer is full with every
    elder the plan gives them.
    """
    p = problem
    covered = np.zeros(p.num_elders, dtype=bool)
    covered[p.arc_e[chosen]] = True
    count = np.bincount(p.arc_v[chosen], minlength=p.num_volunteers)
    load = np.bincount(p.arc_v[chosen], weights=p.arc_load[chosen], minlength=p.num_volunteers)
    arc_start = np.searchsorted(p.arc_e, np.arange(p.num_elders + 1))
    order = np.argsort(p.near_e, kind="stable")
    near_e = p.near_e[order]
    near_start = np.searchsorted(near_e, np.arange(p.num_elders + 1))
    reasons: dict[int, Reason] = {}
    for e in np.flatnonzero(~covered).tolist():
        arcs = np.arange(arc_start[e], arc_start[e + 1])
        if len(arcs):
            reasons[e] = _full(p, arcs, count, load)
        else:
            near = order[near_start[e]:near_start[e + 1]]
            reasons[e] = _ineligible(p, e, near)
    return reasons


def _part(code: str, n: int, only: bool, **params: object) -> dict[str, object]:
    """A part of a cause about ``n`` volunteers (worded for one when there is only one)."""
    return Reason(f"{code}.one" if only else code, {"n": n, **params}).part()


def _full(p: PairingProblem, arcs: np.ndarray, count: np.ndarray, load: np.ndarray) -> Reason:
    """Every eligible volunteer is at capacity: by elders, by minutes, or takes none."""
    v = p.arc_v[arcs]
    none_taken = p.cap_count[v] == 0
    at_limit = ~none_taken & (count[v] >= p.cap_count[v])
    too_long = ~none_taken & ~at_limit & (p.arc_load[arcs] > p.cap_load[v])
    no_time = ~none_taken & ~at_limit & ~too_long
    only = len(arcs) == 1
    parts = []
    if at_limit.any():
        parts.append(_part("full.most_elders", int(at_limit.sum()), only))
    if no_time.any():
        parts.append(_part("full.no_time", int(no_time.sum()), only,
                           need=round(float(p.arc_minutes[arcs][no_time].min()))))
    if too_long.any():
        parts.append(_part("full.too_long", int(too_long.sum()), only))
    if none_taken.any():
        parts.append(_part("full.takes_none", int(none_taken.sum()), only))
    if only:
        return Reason("unassigned.only_full", {"parts": parts})
    return Reason("unassigned.all_full", {"eligible": len(arcs), "parts": parts})


def _ineligible(p: PairingProblem, e: int, near: np.ndarray) -> Reason:
    """No volunteer may be paired with the elder: too far, refused, gender, days."""
    rules = p.rules
    radius = float(rules.max_km)
    elders = p.world.elders
    codes = p.near_code[near]
    far = near[codes == TOO_FAR]
    close = near[codes != TOO_FAR]
    if len(close) == 0:
        if np.isnan(elders.lat[e]):
            return Reason("unassigned.no_coordinates")
        walked_far = _walked_too_far(p, e, far)
        if walked_far is not None:
            return walked_far
        nearest = float(p.nearest_km[e])
        if not np.isfinite(nearest):
            return Reason("unassigned.none_at_all", {"radius_km": radius})
        known_far = sum(1 for k in far.tolist() if p.near_km[k] > rules.max_km)
        if known_far:
            return Reason("unassigned.none_within_reach_known_far",
                          {"radius_km": radius, "nearest_km": round(nearest, 3),
                           "known": known_far})
        return Reason("unassigned.none_within_reach",
                      {"radius_km": radius, "nearest_km": round(nearest, 3)})
    refused = int((p.near_code[close] == REFUSES).sum())
    gender = int((p.near_code[close] == GENDER).sum())
    days = int((p.near_code[close] == NO_SHARED_DAY).sum())
    n = len(close)
    preference = elders.gender_preference[e]
    want = f"gender.{preference}" if preference else ""
    elder_days = day_codes(int(elders.day_mask[e]))
    if refused == n:
        if n == 1:
            return Reason("unassigned.refuses_only",
                          {"volunteer": str(p.volunteer_ids[p.near_v[close[0]]])})
        return Reason("unassigned.refuses_all", {"count": n, "radius_km": radius})
    if gender == n:
        if n == 1:
            return Reason("unassigned.gender_only", {"want": want, "radius_km": radius})
        return Reason("unassigned.gender_all", {"want": want, "count": n, "radius_km": radius})
    if days == n:
        return Reason("unassigned.no_shared_day", {"radius_km": radius, "days": elder_days})
    parts = []
    if refused:
        parts.append(Reason("ineligible.refused", {"n": refused}).part())
    if gender:
        parts.append(Reason("ineligible.gender", {"n": gender, "want": want}).part())
    if days:
        parts.append(Reason("ineligible.no_day", {"n": days, "days": elder_days}).part())
    return Reason("unassigned.none_eligible", {"count": n, "radius_km": radius, "parts": parts})


def _walked_too_far(p: PairingProblem, e: int, far: np.ndarray) -> Reason | None:
    """The volunteers within reach in a straight line whom the walk puts out of reach (a
    river, a railway), when the world's distances are not the straight line."""
    world, rules = p.world, p.rules
    if world.distances.kind == STRAIGHT or not len(far):
        return None
    vols, elders = world.volunteers, world.elders
    v = p.near_v[far]
    straight = geo.haversine_km(vols.lat[v], vols.lon[v], elders.lat[e], elders.lon[e])
    # kin pairs have their own, longer limit: only the pairing's plain limit is meant here
    plain = (straight <= rules.max_km) & ~p.eligibility.kin(v, np.full(len(v), e))
    if not plain.any():
        return None
    walks, straight = p.near_km[far][plain], straight[plain]
    n = int(plain.sum())
    if not np.isfinite(walks).any():
        return Reason("unassigned.walk_too_far_unknown",
                      {"n": n, "radius_km": float(rules.max_km),
                       "search_km": search_km(float(rules.max_km))})
    best = int(np.argmin(walks))
    return Reason("unassigned.walk_too_far",
                  {"n": n, "radius_km": float(rules.max_km),
                   "walk_km": round(float(walks[best]), 3),
                   "straight_km": round(float(straight[best]), 3)})
