"""Walking distances between many pairs of nodes: tiled shortest paths with a limit.

No walk is shorter than the straight line, so a walk of at most ``limit`` km from a source
never leaves the box of ``limit`` km around it. The sources are put in square tiles of
about ``limit`` km; each tile's shortest paths run on the part of the graph inside its box
grown by ``limit`` (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``), in chunks whose
distance table stays small. They start from whichever side of the pairs has fewer distinct
nodes (the graph is symmetric).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from matching.world import geo
from matching.world.streets.network import StreetGraph

#: Most cells in one chunk's distance table (sources x nodes of the tile): 32 MB of floats.
MAX_TABLE_CELLS = 4_000_000

#: Slack on a tile's box, as a share of the limit: the box is drawn in degrees, the limit is
#: on the sphere.
BOX_SLACK = 0.02

#: Smallest tile side in km (a short limit would make tiles of a few nodes each).
MIN_TILE_KM = 1.0


class WalkRows:
    """Walks already found, kept for the next question with the same limit: every node
    within ``limit_km`` of each source walked from, as sorted keys ``source * n + node``.

    A run asks about the same people more than once (each region for its pairing, then
    the whole world for ``pairs.csv``); the second time reads instead of walking.
    """

    def __init__(self, num_nodes: int, limit_km: float) -> None:
        self.num_nodes, self.limit_km = num_nodes, limit_km
        self.walked = np.zeros(num_nodes, dtype=bool)
        self._keys: list[np.ndarray] = []
        self._km: list[np.ndarray] = []
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, sources: np.ndarray, nodes: np.ndarray, table: np.ndarray) -> None:
        """Keep the rows of a distance table (``table[i, j]``: from ``sources[i]`` to
        ``nodes[j]``), where finite."""
        i, j = np.nonzero(np.isfinite(table))
        self._keys.append(sources[i] * self.num_nodes + nodes[j])
        self._km.append(table[i, j])
        self.walked[sources] = True
        self._sorted = None

    def look_up(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The kept walk from ``a[k]`` (walked from) to ``b[k]``; ``inf`` if not within
        the limit."""
        if self._sorted is None:
            keys = np.concatenate(self._keys) if self._keys else np.empty(0, np.int64)
            km = np.concatenate(self._km) if self._km else np.empty(0)
            order = np.argsort(keys, kind="stable")
            self._sorted = keys[order], km[order]
            self._keys, self._km = [self._sorted[0]], [self._sorted[1]]
        keys, km = self._sorted
        out = np.full(len(a), np.inf)
        if len(keys):
            wanted = a * self.num_nodes + b
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            found = keys[at] == wanted
            out[found] = km[at[found]]
        return out


def node_walks(graph: StreetGraph, a: np.ndarray, b: np.ndarray, limit_km: float,
               rows: WalkRows | None = None) -> np.ndarray:
    """Shortest walk in km between nodes ``a[k]`` and ``b[k]`` of ``graph``, for each ``k``;
    ``inf`` where it is longer than ``limit_km`` (or there is none). With ``rows`` (of the
    same limit), walks from nodes walked from before are read there, and new ones kept."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    out = np.full(len(a), np.inf)
    same = a == b
    out[same] = 0.0
    if rows is not None:
        # the graph is symmetric: a walk is known if either end was walked from
        from_a = ~same & rows.walked[a]
        from_b = ~same & ~from_a & rows.walked[b]
        out[from_a] = rows.look_up(a[from_a], b[from_a])
        out[from_b] = rows.look_up(b[from_b], a[from_b])
        same |= from_a | from_b
    todo = np.flatnonzero(~same)
    if not len(todo):
        return out
    if len(np.unique(b[todo])) < len(np.unique(a[todo])):
        a, b = b, a
    lat, lon = graph.lat, graph.lon
    tile_deg = max(limit_km, MIN_TILE_KM) / geo.EARTH_RADIUS_KM * 180 / np.pi
    row = np.floor(lat[a[todo]] / tile_deg).astype(np.int64)
    col = np.floor(lon[a[todo]] / tile_deg).astype(np.int64)
    order = np.lexsort((a[todo], col, row))
    todo, row, col = todo[order], row[order], col[order]
    new_tile = np.ones(len(todo), dtype=bool)
    new_tile[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    starts = np.append(np.flatnonzero(new_tile), len(todo))
    margin_lat = limit_km * (1 + BOX_SLACK) / geo.EARTH_RADIUS_KM * 180 / np.pi
    for s, e in itertools.pairwise(starts.tolist()):
        pairs = todo[s:e]
        src = a[pairs]
        lat0, lat1 = lat[src].min() - margin_lat, lat[src].max() + margin_lat
        widest = np.cos(np.radians(min(max(abs(lat0), abs(lat1)), 89.0)))
        margin_lon = margin_lat / widest
        lon0, lon1 = lon[src].min() - margin_lon, lon[src].max() + margin_lon
        inside = np.flatnonzero((lat >= lat0) & (lat <= lat1) & (lon >= lon0) & (lon <= lon1))
        sub = graph.edges[inside][:, inside]
        _walk_tile(sub, inside, src, b[pairs], pairs, limit_km, out, rows)
    return out


def _walk_tile(sub: sparse.csr_matrix, inside: np.ndarray, src: np.ndarray, dst: np.ndarray,
               pairs: np.ndarray, limit_km: float, out: np.ndarray,
               rows: WalkRows | None) -> None:
    """The walks of one tile's pairs (sorted by source), on the sub-graph of nodes
    ``inside`` (sorted), written into ``out[pairs]``; each chunk's rows kept in ``rows``."""
    sources, first = np.unique(src, return_index=True)
    local_src = np.searchsorted(inside, sources)
    at = np.minimum(np.searchsorted(inside, dst), len(inside) - 1)
    local_dst = np.where(inside[at] == dst, at, -1)
    per_chunk = max(1, MAX_TABLE_CELLS // max(len(inside), 1))
    bounds = np.append(first, len(src))
    for c in range(0, len(sources), per_chunk):
        chunk = local_src[c:c + per_chunk]
        table = dijkstra(sub, directed=True, indices=chunk, limit=limit_km)
        if rows is not None:
            rows.add(inside[chunk], inside, table)
        lo, hi = bounds[c], bounds[min(c + per_chunk, len(sources))]
        which = np.searchsorted(first, np.arange(lo, hi), side="right") - 1 - c
        there = local_dst[lo:hi]
        found = np.full(hi - lo, np.inf)
        ok = there >= 0
        found[ok] = table[which[ok], there[ok]]
        out[pairs[lo:hi]] = found


def walks_km(graph: StreetGraph, lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray,
             lon_b: np.ndarray, limit_km: float) -> np.ndarray:
    """Walking distance in km between points ``a[k]`` and ``b[k]``: to the nearest street,
    along the streets, and from the nearest street; never shorter than the straight line.

    ``inf`` where the walk is longer than ``limit_km`` (or the streets do not join the
    two), NaN where a point has no coordinates.
    """
    node_a, snap_a = graph.snap(lat_a, lon_a)
    node_b, snap_b = graph.snap(lat_b, lon_b)
    straight = geo.haversine_km(lat_a, lon_a, lat_b, lon_b)
    return snapped_walks_km(graph, node_a, snap_a, node_b, snap_b, straight, limit_km)


def snapped_walks_km(graph: StreetGraph, node_a: np.ndarray, snap_a: np.ndarray,
                     node_b: np.ndarray, snap_b: np.ndarray, straight: np.ndarray,
                     limit_km: float, rows: WalkRows | None = None) -> np.ndarray:
    """:func:`walks_km` of points already snapped (:meth:`StreetGraph.snap`: node ``-1``
    for a point without coordinates), with their straight lines; ``rows`` as in
    :func:`node_walks`."""
    out = np.full(len(node_a), np.nan)
    ok = (node_a >= 0) & (node_b >= 0)
    if ok.any():
        along = node_walks(graph, node_a[ok], node_b[ok], limit_km, rows)
        walk = np.maximum(snap_a[ok] + along + snap_b[ok], np.asarray(straight)[ok])
        out[ok] = np.where(walk <= limit_km, walk, np.inf)
    return out
