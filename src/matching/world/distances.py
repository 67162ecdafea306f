"""How far apart two homes are, for everyone who asks: the world's one source of distance.

Three kinds, one interface (:class:`Distances`):

- ``straight``: the great-circle distance (the contract's default);
- ``estimated``: the straight line times a detour factor, when there is no street network;
- ``walked``: the shortest walk on a street network (:mod:`matching.world.streets`).

The straight line is always the pre-filter: a walk is never shorter, so the pairs within
``km`` on foot are among the pairs within ``km`` as the crow flies. Distances are asked by
coordinates, so a part of the world (a region, a roster without leavers) asks the same
source without re-indexing it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matching.rules.distance import WALK_SEARCH_MARGIN_KM, DistanceRules
from matching.world import geo
from matching.world.streets.network import StreetGraph
from matching.world.streets.walk import WalkRows, snapped_walks_km

#: The kinds of distance, as outputs name them.
STRAIGHT, ESTIMATED, WALKED = "straight", "estimated", "walked"
KINDS = (STRAIGHT, ESTIMATED, WALKED)


@dataclass(frozen=True)
class Distances:
    """The world's distances: straight, estimated with a detour factor, or walked.

    Attributes
    ----------
    rules
        The distance rules (detour factor, snapping distance).
    graph
        The street network walked on, or ``None``.
    streets
        The extract the graph came from (for the run's record), or ``None``.
    recorded
        The kind a run folder's ``pairs.csv`` was made with, when the world is read back
        from the folder without its extract: the pairs within reach carry those figures.
    """

    rules: DistanceRules = field(default_factory=DistanceRules)
    graph: StreetGraph | None = None
    streets: Path | None = None
    recorded: str | None = None
    _walked: dict[float, WalkRows] = field(default_factory=dict, init=False, compare=False,
                                           repr=False)

    @property
    def kind(self) -> str:
        """``walked``, ``estimated`` or ``straight``."""
        if self.graph is not None:
            return WALKED
        if self.recorded is not None:
            return self.recorded
        return ESTIMATED if self.rules.detour_factor != 1 else STRAIGHT

    def record(self) -> dict[str, object]:
        """What a run's ``run.json`` says of its distances: the kind, the rules and the
        extract walked on."""
        out: dict[str, object] = {"kind": self.kind, **dataclasses.asdict(self.rules)}
        if self.streets is not None:
            out["streets"] = str(self.streets)
        return out

    def between(self, lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray,
                lon_b: np.ndarray, reach_km: float, *, keep: bool = True) -> np.ndarray:
        """Distance in km between points ``a[k]`` and ``b[k]``, elementwise.

        A walk is searched up to ``reach_km + WALK_SEARCH_MARGIN_KM`` and is ``inf``
        beyond; NaN where a point has no coordinates. ``keep=False`` for a question asked
        one pair at a time (a day's walk between two homes): its answer is not kept with
        the run's walks, which are sorted again after each addition.
        """
        if self.graph is None:
            straight = geo.haversine_km(lat_a, lon_a, lat_b, lon_b)
            return np.asarray(straight * self.rules.detour_factor, dtype=float)
        limit = search_km(reach_km)
        node_a, snap_a = self.graph.snap(lat_a, lon_a)
        node_b, snap_b = self.graph.snap(lat_b, lon_b)
        straight = geo.haversine_km(lat_a, lon_a, lat_b, lon_b)
        return snapped_walks_km(self.graph, node_a, snap_a, node_b, snap_b, straight, limit,
                                self._rows(limit) if keep else None)

    def _rows(self, limit_km: float) -> WalkRows | None:
        """The walks found so far with this limit (a run asks about the same people
        several times: each region, then the whole world)."""
        if self.graph is None:
            return None
        if limit_km not in self._walked:
            self._walked[limit_km] = WalkRows(self.graph.num_nodes, limit_km)
        return self._walked[limit_km]

    def near(self, lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray,
             lon_b: np.ndarray, km: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every pair ``(i, j)`` of a point of A and one of B at most ``km`` apart in a
        straight line, with its distance (walked or estimated: it may be more than ``km``)
        and its straight line, in no set order."""
        i, j, straight = geo.pairs_within(lat_a, lon_a, lat_b, lon_b, km)
        if self.graph is None:
            return i, j, straight * self.rules.detour_factor, straight
        # each person snapped once, not once per pair
        node_a, snap_a = self.graph.snap(lat_a, lon_a)
        node_b, snap_b = self.graph.snap(lat_b, lon_b)
        limit = search_km(km)
        walked = snapped_walks_km(self.graph, node_a[i], snap_a[i], node_b[j], snap_b[j],
                                  straight, limit, self._rows(limit))
        return i, j, walked, straight

    def far_from_streets(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray,
                                                                         np.ndarray]:
        """The points farther than ``rules.snap_km`` from every street, and how far (km)."""
        if self.graph is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        _, km = self.graph.snap(lat, lon)
        far = np.flatnonzero(km > self.rules.snap_km)
        return far, km[far]


def search_km(reach_km: float) -> float:
    """How far a walk is searched for a pair whose limit is ``reach_km``."""
    return reach_km + WALK_SEARCH_MARGIN_KM

