"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``): the walkable ways read into a graph, and
street networks written (for the generated worlds).

Both need ``osmium`` (pyosmium), the optional part ``streets``; a graph already cached
beside its extract does not.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.rules.distance import CLOSED_ACCESS, WALKABLE_HIGHWAYS
from matching.runtime.extras import optional_module
from matching.world.streets.network import StreetGraph

#: ``foot`` values that open a way to people on foot whatever its ``access``.
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})


def walkable(tags: Mapping[str, str]) -> bool:
    """Whether people walk on a way with these tags (:data:`WALKABLE_HIGHWAYS`, not closed
    to them by ``foot=no`` or ``access=no``)."""
    if tags.get("highway") not in WALKABLE_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot in FOOT_ALLOWED:
        return True
    return foot not in CLOSED_ACCESS and tags.get("access") not in CLOSED_ACCESS


def read_extract(path: Path, what: str = "--streets") -> StreetGraph:
    """The walkable graph of an OpenStreetMap extract (needs the ``streets`` extra).

    Raises
    ------
    MissingExtra
        Without ``osmium``.
    RuntimeError
        From ``osmium``, when the file is not an extract it can read.
    """
    osmium = optional_module("osmium", what)
    refs: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    starts: list[int] = []
    processor = osmium.FileProcessor(str(path), osmium.osm.WAY | osmium.osm.NODE) \
        .with_locations().with_filter(osmium.filter.KeyFilter("highway"))
    for way in processor:
        if not way.is_way() or not walkable(way.tags):
            continue
        starts.append(len(refs))
        for node in way.nodes:
            location = node.location
            if not location.valid():
                continue
            refs.append(node.ref)
            lats.append(location.lat)
            lons.append(location.lon)
    starts.append(len(refs))
    ids = np.asarray(refs, dtype=np.int64)
    lat, lon = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    # consecutive nodes of one way are a segment; the last of a way and the first of the
    # next are not
    same_way = np.ones(max(len(ids) - 1, 0), dtype=bool)
    bounds = np.asarray(starts[1:-1], dtype=np.int64)
    same_way[bounds[(bounds > 0) & (bounds < len(ids))] - 1] = False
    _, first, index = np.unique(ids, return_index=True, return_inverse=True)
    a, b = index[:-1][same_way], index[1:][same_way]
    return StreetGraph.from_segments(lat[first], lon[first], a, b)


@dataclass(frozen=True)
class Way:
    """A way to write: its id, its nodes' ids in order, and its tags."""

    id: int
    nodes: tuple[int, ...]
    tags: Mapping[str, str]


def write_extract(path: Path, nodes: Iterable[tuple[int, float, float]],
                  ways: Iterable[Way], what: str = "matching generate") -> None:
    """Write an extract (``.osm.pbf``) of nodes ``(id, lat, lon)`` and ways, whole or not
    at all (needs the ``streets`` extra)."""
    osmium = optional_module("osmium", what)
    mutable = osmium.osm.mutable
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".streets-", suffix=".osm.pbf")
    os.close(fd)
    try:
        header = osmium.io.Header()
        header.set("generator", "matching")
        writer = osmium.SimpleWriter(tmp, header=header, overwrite=True)
        try:
            for node_id, lat, lon in nodes:
                writer.add_node(mutable.Node(id=node_id, location=(lon, lat), tags={}))
            for way in ways:
                writer.add_way(mutable.Way(id=way.id, nodes=list(way.nodes),
                                           tags=dict(way.tags)))
        finally:
            writer.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
