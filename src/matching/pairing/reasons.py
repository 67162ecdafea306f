"""Why an elder is left without a volunteer, in words a planner can act on."""

from __future__ import annotations

import numpy as np

from matching.pairing.problem import GENDER, NO_SHARED_DAY, REFUSES, TOO_FAR, PairingProblem
from matching.world.parse import format_days

_GENDER_WORD = {"F": "female", "M": "male"}


def unassigned_reasons(problem: PairingProblem, chosen: np.ndarray) -> dict[int, str]:
    """A reason for each elder the plan leaves unassigned, keyed by elder index."""
    p = problem
    covered = np.zeros(p.num_elders, dtype=bool)
    covered[p.arc_e[chosen]] = True
    count = np.bincount(p.arc_v[chosen], minlength=p.num_volunteers)
    load = np.bincount(p.arc_v[chosen], weights=p.arc_load[chosen], minlength=p.num_volunteers)
    arc_start = np.searchsorted(p.arc_e, np.arange(p.num_elders + 1))
    order = np.argsort(p.near_e, kind="stable")
    near_e = p.near_e[order]
    near_start = np.searchsorted(near_e, np.arange(p.num_elders + 1))
    reasons: dict[int, str] = {}
    for e in np.flatnonzero(~covered).tolist():
        arcs = np.arange(arc_start[e], arc_start[e + 1])
        if len(arcs):
            reasons[e] = _full(p, arcs, count, load)
        else:
            near = order[near_start[e]:near_start[e + 1]]
            reasons[e] = _ineligible(p, e, near)
    return reasons


def _full(p: PairingProblem, arcs: np.ndarray, count: np.ndarray, load: np.ndarray) -> str:
    v = p.arc_v[arcs]
    none_taken = p.cap_count[v] == 0
    at_limit = ~none_taken & (count[v] >= p.cap_count[v])
    too_long = ~none_taken & ~at_limit & (p.arc_load[arcs] > p.cap_load[v])
    no_time = ~none_taken & ~at_limit & ~too_long
    n = len(arcs)
    parts = []
    if at_limit.any():
        parts.append(f"{int(at_limit.sum())} already have their most elders")
    if no_time.any():
        need = p.arc_minutes[arcs][no_time]
        parts.append(f"{int(no_time.sum())} lack the {need.min():.0f} free weekly minutes "
                     "the visit needs")
    if too_long.any():
        parts.append(f"{int(too_long.sum())} have fewer weekly minutes in all than the visit "
                     "needs")
    if none_taken.any():
        parts.append(f"{int(none_taken.sum())} take no elders (max_elders 0)")
    who = "the only eligible volunteer is" if n == 1 else f"all {n} eligible volunteers are"
    detail = "; ".join(parts)
    if n == 1:
        detail = detail.replace("1 already have their", "they already have their").replace(
            "1 lack", "they lack").replace("1 have", "they have").replace("1 take", "they take")
    return f"{who} at capacity ({detail})"


def _ineligible(p: PairingProblem, e: int, near: np.ndarray) -> str:
    rules = p.rules
    radius = f"{rules.max_km:g} km"
    elder = p.world.elders.iloc[e]
    codes = p.near_code[near]
    far = near[codes == TOO_FAR]
    close = near[codes != TOO_FAR]
    if len(close) == 0:
        if np.isnan(elder["lat"]):
            return "has no coordinates (lat/lon) and no eligible measured pair in pairs.csv"
        nearest = p.nearest_km[e]
        text = f"no volunteer within {radius}"
        if np.isfinite(nearest):
            text += f" (the nearest lives {nearest:.1f} km away)"
        kin_far = [k for k in far.tolist() if p.near_km[k] > rules.max_km]
        if kin_far:
            text += f"; {len(kin_far)} known or related volunteer(s) live further away"
        return text
    refused = int((p.near_code[close] == REFUSES).sum())
    gender = int((p.near_code[close] == GENDER).sum())
    days = int((p.near_code[close] == NO_SHARED_DAY).sum())
    n = len(close)
    want = _GENDER_WORD.get(str(elder["gender_preference"]), "")
    elder_days = format_days(int(elder["day_mask"]))
    if refused == n:
        only = p.volunteer_ids[p.near_v[close[0]]]
        return (f"refuses the only eligible volunteer ({only})" if n == 1
                else f"refuses all {n} volunteers within {radius}")
    if gender == n:
        return (f"wants a {want} volunteer; none of the {n} volunteers within {radius} is "
                f"{want}" if n > 1 else f"wants a {want} volunteer; the only volunteer within "
                f"{radius} is not {want}")
    if days == n:
        return (f"no volunteer within {radius} shares an available day (the elder can do "
                f"{elder_days})")
    parts = []
    if refused:
        parts.append(f"{refused} refused by the elder")
    if gender:
        parts.append(f"{gender} not {want} as the elder prefers")
    if days:
        parts.append(f"{days} share no available day with the elder ({elder_days})")
    return f"none of the {n} volunteers within {radius} is eligible: " + ", ".join(parts)
