"""A street network for a generated world: a grid of roads over its homes, with a river that
only a few bridges cross and a railway that only a few level crossings cross.

Seeded and reproducible: the same homes and seed give the same extract, byte for byte. The
river and the railway are what make walking differ from the straight line, as they do in
Jishan's villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from matching.world.streets.osm import Way

#: Distance between neighbouring streets of the grid, in km: a town's blocks; a small world
#: (one community) gets at least this many streets across its longer side.
STREET_SPACING_KM = 0.2
MIN_STREETS_ACROSS = 20
#: Streets of the grid beyond the outermost homes, in km.
MARGIN_KM = 0.6
#: Share of the grid's blocks crossed by a lane or footpath from corner to corner.
SHARE_BLOCKS_CROSSED = 0.5
#: Share of the grid's links left out (a lane that does not go through), at random.
SHARE_LINKS_CUT = 0.05
#: One bridge over the river for about this many km of its length (two at least).
BRIDGE_EVERY_KM = 3.0
#: One level crossing of the railway for about this many km of its length (one at least).
CROSSING_EVERY_KM = 2.5
#: How far the river winds to either side of its course, in grid spacings.
RIVER_WINDING_SPACINGS = 1.5
#: Where the river runs, as a share of the box's height from its south edge; the railway, as
#: a share of its width from the west edge. A small world (a community within one
#: town) has them near its edges, as a town's river and railway skirt its blocks.
RIVER_AT, RAILWAY_AT = 0.38, 0.7
SMALL_RIVER_AT, SMALL_RAILWAY_AT = 0.1, 0.9
#: A world no wider than this (km) is small.
SMALL_ACROSS_KM = 3.0
#: The file a generated world's streets are written to.
STREETS_FILE = "streets.osm.pbf"
#: The seed stream of the streets, apart from the people's (which stay as they were).
STREETS_STREAM = 7_331

_KM_PER_DEG_LAT = 111.195
_ROAD_TAGS = {"highway": "residential"}
_BRIDGE_TAGS = {"highway": "tertiary", "bridge": "yes", "layer": "1", "name": "桥"}
_CROSSING_TAGS = {"highway": "tertiary"}


@dataclass(frozen=True)
class StreetNetwork:
    """Nodes ``(id, lat, lon)`` and ways to write as an extract, and what they hold."""

    nodes: list[tuple[int, float, float]]
    ways: list[Way]
    bridges: int
    crossings: int


def street_network(lat: np.ndarray, lon: np.ndarray, seed: int = 0) -> StreetNetwork:
    """The streets of a world whose homes are at ``lat``, ``lon``."""
    rng = np.random.default_rng([seed, STREETS_STREAM])
    lat0, lat1 = float(np.nanmin(lat)), float(np.nanmax(lat))
    lon0, lon1 = float(np.nanmin(lon)), float(np.nanmax(lon))
    km_lon = _KM_PER_DEG_LAT * np.cos(np.radians((lat0 + lat1) / 2))
    across_km = max((lat1 - lat0) * _KM_PER_DEG_LAT, (lon1 - lon0) * km_lon)
    spacing_km = min(STREET_SPACING_KM, across_km / MIN_STREETS_ACROSS)
    d_lat, d_lon = spacing_km / _KM_PER_DEG_LAT, spacing_km / km_lon
    m_lat, m_lon = MARGIN_KM / _KM_PER_DEG_LAT, MARGIN_KM / km_lon
    rows = np.arange(lat0 - m_lat, lat1 + m_lat + d_lat / 2, d_lat)
    cols = np.arange(lon0 - m_lon, lon1 + m_lon + d_lon / 2, d_lon)
    nr, nc = len(rows), len(cols)
    grid_lat = np.repeat(rows, nc)
    grid_lon = np.tile(cols, nr)
    node = np.arange(nr * nc).reshape(nr, nc)

    # the river: a winding line from west to east; the railway: a slanting one north-south
    phase = rng.uniform(0, 2 * np.pi)
    small = across_km <= SMALL_ACROSS_KM
    river_base = rows[0] + (SMALL_RIVER_AT if small else RIVER_AT) * (rows[-1] - rows[0])
    winding = RIVER_WINDING_SPACINGS * d_lat
    period = max(cols[-1] - cols[0], d_lon) / 1.5

    def river_lat(x: np.ndarray) -> np.ndarray:
        return river_base + winding * np.sin(2 * np.pi * (x - cols[0]) / period + phase)

    rail_base = cols[0] + (SMALL_RAILWAY_AT if small else RAILWAY_AT) * (cols[-1] - cols[0])
    slant = 0.15 * (cols[-1] - cols[0]) / max(rows[-1] - rows[0], d_lat)

    def rail_lon(y: np.ndarray) -> np.ndarray:
        return rail_base + slant * (y - rows[0])

    north = grid_lat > river_lat(grid_lon)
    east = grid_lon > rail_lon(grid_lat)

    # the grid's links: east-west, then north-south
    ew = np.column_stack((node[:, :-1].ravel(), node[:, 1:].ravel()))
    ns = np.column_stack((node[:-1, :].ravel(), node[1:, :].ravel()))
    # lanes and footpaths across some blocks, one way or the other: a town is not a perfect
    # grid (on a grid a walk is 4/pi = 1.27 times the straight line; in towns 1.1 to 1.3)
    across = rng.random((nr - 1, nc - 1)) < SHARE_BLOCKS_CROSSED
    rising = rng.random((nr - 1, nc - 1)) < 0.5
    diagonal = np.where(rising[..., None],
                        np.stack((node[:-1, :-1], node[1:, 1:]), axis=-1),
                        np.stack((node[:-1, 1:], node[1:, :-1]), axis=-1))[across]
    links = np.concatenate((ew, ns, diagonal))
    kept = rng.random(len(links)) >= SHARE_LINKS_CUT
    over_river = north[links[:, 0]] != north[links[:, 1]]
    over_rail = east[links[:, 0]] != east[links[:, 1]]
    # bridges: north-south links over the river, spread along it; crossings likewise
    width_km = (cols[-1] - cols[0]) * km_lon
    height_km = (rows[-1] - rows[0]) * _KM_PER_DEG_LAT
    kind = np.repeat(np.arange(3), (len(ew), len(ns), len(diagonal)))  # ew, ns, diagonal
    bridges = _spread(links, over_river & ~over_rail & (kind == 1),
                      grid_lon, max(2, round(width_km / BRIDGE_EVERY_KM)))
    crossings = _spread(links, over_rail & ~over_river & (kind == 0),
                        grid_lat, max(1, round(height_km / CROSSING_EVERY_KM)))
    plain = kept & ~over_river & ~over_rail
    plain[bridges] = plain[crossings] = False

    # the walkable part people can reach: the largest piece the cuts leave
    walk = np.concatenate((np.flatnonzero(plain), bridges, crossings))
    n = nr * nc
    graph = sparse.coo_matrix((np.ones(len(walk)), (links[walk, 0], links[walk, 1])),
                              shape=(n, n))
    _, piece = connected_components(graph, directed=False)
    biggest = np.bincount(piece[links[walk, 0]]).argmax()
    inside = piece == biggest

    nodes = [(int(i) + 1, round(float(grid_lat[i]), 7), round(float(grid_lon[i]), 7))
             for i in np.flatnonzero(inside)]
    ways: list[Way] = []
    for a, b in links[np.flatnonzero(plain)]:
        if inside[a]:
            ways.append(Way(0, (int(a) + 1, int(b) + 1), _ROAD_TAGS))
    for k in bridges:
        a, b = links[k]
        if inside[a]:
            ways.append(Way(0, (int(a) + 1, int(b) + 1), _BRIDGE_TAGS))
    next_id = n + 1
    level_crossings: list[tuple[float, int]] = []
    for k in crossings:
        a, b = links[k]
        if not inside[a]:
            continue
        y = float(grid_lat[a])
        nodes.append((next_id, round(y, 7), round(float(rail_lon(np.array([y]))[0]), 7)))
        level_crossings.append((y, next_id))
        ways.append(Way(0, (int(a) + 1, next_id), _CROSSING_TAGS))
        ways.append(Way(0, (next_id, int(b) + 1), _CROSSING_TAGS))
        next_id += 1
    # the river and the railway as ways of their own nodes (the railway's level crossings
    # shared with the roads), which nobody walks on
    river_x = np.linspace(cols[0], cols[-1], 4 * nc)
    river_nodes = []
    for x, y in zip(river_x, river_lat(river_x), strict=True):
        nodes.append((next_id, round(float(y), 7), round(float(x), 7)))
        river_nodes.append(next_id)
        next_id += 1
    ways.append(Way(0, tuple(river_nodes), {"waterway": "river", "name": "汾河"}))
    rail_points: list[tuple[float, int]] = list(level_crossings)
    for y in (rows[0], rows[-1]):
        nodes.append((next_id, round(float(y), 7), round(float(rail_lon(np.array([y]))[0]), 7)))
        rail_points.append((float(y), next_id))
        next_id += 1
    ways.append(Way(0, tuple(i for _, i in sorted(rail_points)), {"railway": "rail"}))
    numbered = [Way(k + 1, w.nodes, w.tags) for k, w in enumerate(ways)]
    nodes.sort()
    return StreetNetwork(nodes, numbered, len(bridges), len(level_crossings))


def _spread(links: np.ndarray, candidates: np.ndarray, along: np.ndarray,
            count: int) -> np.ndarray:
    """``count`` of the candidate links, evenly spread by the coordinate ``along``."""
    found = np.flatnonzero(candidates)
    if not len(found):
        return found
    position = along[links[found, 0]]
    order = found[np.argsort(position, kind="stable")]
    picks = np.linspace(0, len(order) - 1, count + 2)[1:-1].round().astype(int)
    return np.unique(order[picks])
