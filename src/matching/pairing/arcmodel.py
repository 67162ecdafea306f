"""A part of a pairing as the search models see it: plain arrays in local indices.

CP-SAT (:mod:`~matching.pairing.cpsat`) and the neighbourhood and HiGHS searches
(:mod:`~matching.pairing.improve`) both take one; neither needs the other's module for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArcModel:
    """A component in local indices: arcs sorted by elder, capacities per volunteer; and
    what a set of its arcs (a boolean mask, or indices) loads and earns."""

    arc_v: np.ndarray
    arc_e: np.ndarray
    arc_cost: np.ndarray
    arc_load: np.ndarray
    cap_count: np.ndarray
    cap_load: np.ndarray
    priority: np.ndarray

    @property
    def num_volunteers(self) -> int:
        """Volunteers of the component."""
        return len(self.cap_count)

    def loads(self, used: np.ndarray) -> np.ndarray:
        """Each volunteer's weekly load under ``used``."""
        return np.bincount(self.arc_v[used], weights=self.arc_load[used],
                           minlength=self.num_volunteers)

    def counts(self, used: np.ndarray) -> np.ndarray:
        """Each volunteer's number of elders under ``used``."""
        return np.bincount(self.arc_v[used], minlength=self.num_volunteers)

    def overfull(self, used: np.ndarray) -> np.ndarray:
        """The volunteers whose week ``used`` overfills."""
        return np.flatnonzero(self.loads(used) > self.cap_load)

    def priority_of(self, used: np.ndarray) -> int:
        """Total priority of the elders ``used`` serves."""
        return int(self.priority[self.arc_e[used]].sum())

    def combined(self, used: np.ndarray, weight: int) -> int:
        """Cost minus ``weight`` times priority: the flow's one objective."""
        return int(self.arc_cost[used].sum()) - weight * self.priority_of(used)
