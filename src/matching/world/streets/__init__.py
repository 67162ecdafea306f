"""Walking on real streets: an OpenStreetMap extract read into a graph (:mod:`.osm`), cached
beside it (:mod:`.network`), and walks between many homes at once (:mod:`.walk`)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from matching.world.streets.network import StreetGraph, cache_key, cache_path
from matching.world.streets.osm import read_extract

__all__ = ["StreetGraph", "load_streets"]


def load_streets(extract: Path, what: str = "--streets") -> StreetGraph:
    """The walkable graph of ``extract``: from its cache beside it when that was made from
    this very file, else read (needs the ``streets`` extra) and cached there.

    A folder that cannot be written to only means the next run reads the extract again.
    """
    key = cache_key(extract)
    cached = StreetGraph.load(cache_path(extract), key)
    if cached is not None:
        return cached
    graph = read_extract(extract, what)
    with contextlib.suppress(OSError):
        graph.save(cache_path(extract), key)
    return graph
