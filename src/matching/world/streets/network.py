"""A walkable street network as a graph: nodes with coordinates, edges with lengths in km.

The graph is a symmetric :class:`scipy.sparse.csr_matrix` for :mod:`scipy.sparse.csgraph`.
It is built once from an OpenStreetMap extract (:mod:`matching.world.streets.osm`) and cached
beside it as ``.npz``, keyed by the extract's SHA-256 and the walkable rule, so that a
second plan on the same streets reads a few arrays instead of parsing the extract (and
needs no ``osmium``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from matching.rules.distance import CLOSED_ACCESS, WALKABLE_HIGHWAYS
from matching.world import geo

#: Bumped whenever the cache's arrays change meaning: an old cache is then rebuilt.
CACHE_FORMAT = 1

#: Bytes read at a time when an extract is hashed.
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class StreetGraph:
    """Walkable streets: node coordinates and a symmetric sparse matrix of edge lengths.

    Attributes
    ----------
    lat, lon
        Node coordinates, WGS-84 degrees.
    edges
        ``csr_matrix`` of shape ``(n, n)``: ``edges[a, b]`` is the length in km of the
        street between nodes ``a`` and ``b`` (the shortest, where two ways join them), both
        ways round.
    """

    lat: np.ndarray
    lon: np.ndarray
    edges: sparse.csr_matrix

    @classmethod
    def from_segments(cls, lat: np.ndarray, lon: np.ndarray, a: np.ndarray,
                      b: np.ndarray) -> StreetGraph:
        """The graph of some street segments between nodes ``a[k]`` and ``b[k]``.

        Lengths are great-circle distances between the nodes; nodes no segment touches are
        dropped, so that a person is never snapped to a lone point.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        keep = a != b
        a, b = a[keep], b[keep]
        used = np.unique(np.concatenate((a, b)))
        lat, lon = np.asarray(lat, float)[used], np.asarray(lon, float)[used]
        a, b = np.searchsorted(used, a), np.searchsorted(used, b)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        km = geo.haversine_km(lat[lo], lon[lo], lat[hi], lon[hi])
        # one edge per pair of nodes, the shortest (two ways may share two nodes)
        n = len(used)
        order = np.lexsort((km, hi, lo))
        lo, hi, km = lo[order], hi[order], km[order]
        first = np.ones(len(lo), dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        lo, hi, km = lo[first], hi[first], km[first]
        # a zero length would read as "no edge" in a sparse matrix
        km = np.maximum(km, np.finfo(float).tiny)
        edges = sparse.csr_matrix((np.concatenate((km, km)),
                                   (np.concatenate((lo, hi)), np.concatenate((hi, lo)))),
                                  shape=(n, n))
        edges.sort_indices()
        return cls(lat, lon, edges)

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.lat)

    @property
    def num_edges(self) -> int:
        """Number of street segments (each counted once)."""
        return self.edges.nnz // 2

    def snap(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nearest node to each point, and its great-circle distance in km.

        Points without coordinates (NaN) get node ``-1`` and distance NaN.
        """
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        node = np.full(len(lat), -1, dtype=np.int64)
        km = np.full(len(lat), np.nan)
        ok = ~(np.isnan(lat) | np.isnan(lon))
        if ok.any() and self.num_nodes:
            _, found = self._tree.query(geo.unit_vectors(lat[ok], lon[ok]))
            node[ok] = found
            km[ok] = geo.haversine_km(lat[ok], lon[ok], self.lat[found], self.lon[found])
        return node, km

    @functools.cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(geo.unit_vectors(self.lat, self.lon))

    def save(self, path: Path, key: str) -> None:
        """Write the graph to ``path`` (``.npz``), whole or not at all, tagged with ``key``."""
        coo = sparse.triu(self.edges, format="coo")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".streets-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez_compressed(out, key=np.array(key), lat=self.lat, lon=self.lon,
                                    a=coo.row.astype(np.int64), b=coo.col.astype(np.int64),
                                    km=coo.data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, key: str) -> StreetGraph | None:
        """The graph cached at ``path`` if it was made with ``key``, else ``None``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != key:
                    return None
                lat, lon = data["lat"], data["lon"]
                a, b, km = data["a"], data["b"], data["km"]
        except (OSError, KeyError, ValueError):
            return None
        n = len(lat)
        edges = sparse.csr_matrix((np.concatenate((km, km)),
                                   (np.concatenate((a, b)), np.concatenate((b, a)))),
                                  shape=(n, n))
        edges.sort_indices()
        return cls(lat, lon, edges)


def cache_path(extract: Path) -> Path:
    """Where the graph of ``extract`` is cached: beside it, ``NAME.walk.npz``."""
    return extract.with_name(extract.name + ".walk.npz")


def cache_key(extract: Path) -> str:
    """What a cached graph must have been made from: the extract's SHA-256, the cache's
    format and the walkable rule (a change to either rebuilds it)."""
    digest = hashlib.sha256()
    with extract.open("rb") as f:
        while chunk := f.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    rule = ",".join(sorted(WALKABLE_HIGHWAYS)) + "|" + ",".join(sorted(CLOSED_ACCESS))
    ruled = hashlib.sha256(rule.encode()).hexdigest()[:16]
    return f"{digest.hexdigest()}:{CACHE_FORMAT}:{ruled}"
