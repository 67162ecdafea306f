"""``pairs.csv`` of a run whose distances are not the straight line: every pair within reach
as the crow flies, with the distance and weekly minutes the plan used (walked on the
streets, or estimated), so that an outside checker re-checks the plan from the files alone
(the contract's optional ``pairs.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.pairing.eligibility import nearby_pairs
from matching.rules.ids import ELDER_ID, VOLUNTEER_ID
from matching.schedule.data import service_pairs_within
from matching.world import geo
from matching.world.distances import STRAIGHT
from matching.world.model import World

#: The columns of ``pairs.csv``: the contract's four, then the straight line beside.
PAIRS_COLUMNS = [VOLUNTEER_ID, ELDER_ID, "distance_km", "weekly_minutes", "straight_km"]

#: Decimal places written: a millimetre, so that no pair changes side of a limit on the way.
KM_DECIMALS = 6
MINUTE_DECIMALS = 4


def pairs_table(world: World, primary: np.ndarray | None = None,
                service_km: float | None = None) -> pd.DataFrame | None:
    """Every pair of the pairing's reach (within ``max_km`` in a straight line, related, or
    measured) and, with ``primary`` and ``service_km``, of the monthly services' (a skill
    for a need of an elder with a primary, within ``service_km``), with the world's
    distance, weekly minutes and straight line; sorted by volunteer then elder.

    A walk longer than the search is ``inf`` (no walk joins them within reach). ``None``
    when the world's distances are the straight line: the contract computes those itself.
    """
    if world.distances.kind == STRAIGHT:
        return None
    vols, elds = world.volunteers, world.elders
    v, e, km, given = nearby_pairs(world, world.rules.max_km)
    if primary is not None and service_km is not None:
        needs = tuple(tuple(n) for n in elds.needs)
        skills = tuple(tuple(s) for s in vols.skills)
        sv, se, skm, sgiven = service_pairs_within(world, primary, needs, skills, service_km)
        ne = len(elds)
        keys = np.concatenate((v * ne + e, sv * ne + se))
        keys, first = np.unique(keys, return_index=True)
        km = np.concatenate((km, skm))[first]
        given = np.concatenate((given, sgiven))[first]
        v, e = keys // ne, keys % ne
    pace = world.rules.walking_min_per_km
    minutes = np.where(np.isnan(given), elds.visit_minutes[e] + 2 * pace * km, given)
    straight = geo.haversine_km(vols.lat[v], vols.lon[v], elds.lat[e], elds.lon[e])
    # the ids as categories: ten million rows name a few thousand people
    return pd.DataFrame({
        VOLUNTEER_ID: pd.Categorical.from_codes(v, categories=_names(vols.volunteer_id)),
        ELDER_ID: pd.Categorical.from_codes(e, categories=_names(elds.elder_id)),
        "distance_km": np.round(km, KM_DECIMALS),
        "weekly_minutes": np.round(minutes, MINUTE_DECIMALS),
        "straight_km": np.round(straight, KM_DECIMALS),
    }, columns=PAIRS_COLUMNS)


def _names(ids: np.ndarray) -> pd.Index:
    """Ids as categories (unique within a file, so each row's code is its index)."""
    return pd.Index(ids.astype(str), dtype=object)
