"""A part of a pairing as the search models see it: plain arrays in local indices.

CP-SAT (:mod:`~matching.pairing.cpsat`) and the neighbourhood and HiGHS searches
(:mod:`~matching.pairing.improve`) both take one; neither needs the other's module for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArcModel:
    """A component in local indices: arcs sorted by elder, capacities per volunteer."""

    arc_v: np.ndarray
    arc_e: np.ndarray
    arc_cost: np.ndarray
    arc_load: np.ndarray
    cap_count: np.ndarray
    cap_load: np.ndarray
    priority: np.ndarray
