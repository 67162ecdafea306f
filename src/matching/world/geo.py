"""Geography: great-circle distances, a spatial index for candidate pairs, optional geocoding.

Points are put on the unit sphere, where the straight-line (chord) distance grows with the
great-circle distance, so a k-d tree over 3-D points answers "who lies within r km" exactly
and in C. Nothing here loops over pairs in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

#: Mean Earth radius (IUGG), the radius of the great-circle distance.
EARTH_RADIUS_KM = 6371.0088


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape ``(n, 3)``, from degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike,
                 lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance in km, elementwise (haversine formula)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def _chord(km: float) -> float:
    return 2.0 * np.sin(km / (2.0 * EARTH_RADIUS_KM))


def pairs_within(lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray, lon_b: np.ndarray,
                 km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` with point ``i`` of A and ``j`` of B at most ``km`` apart.

    Points with NaN coordinates are skipped. Returns index arrays and great-circle distances
    in km (from the chord: ``2 R asin(chord / 2)``, exact on the sphere), in no set order.
    """
    ok_a = np.flatnonzero(~(np.isnan(lat_a) | np.isnan(lon_a)))
    ok_b = np.flatnonzero(~(np.isnan(lat_b) | np.isnan(lon_b)))
    empty = np.empty(0, dtype=np.int64)
    if len(ok_a) == 0 or len(ok_b) == 0:
        return empty, empty, np.empty(0)
    tree_a = cKDTree(unit_vectors(lat_a[ok_a], lon_a[ok_a]))
    tree_b = cKDTree(unit_vectors(lat_b[ok_b], lon_b[ok_b]))
    # a little slack on the chord, then the exact great-circle test below
    found = tree_a.sparse_distance_matrix(tree_b, _chord(km) * (1 + 1e-9) + 1e-12,
                                          output_type="ndarray")
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, found["v"] / 2.0))
    keep = d <= km
    return ok_a[found["i"][keep].astype(np.int64)], ok_b[found["j"][keep].astype(np.int64)], \
        d[keep]


def nearest_km(lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray,
               lon_b: np.ndarray) -> np.ndarray:
    """For each point of B, the distance in km to the nearest point of A (inf if none)."""
    ok_a = ~(np.isnan(lat_a) | np.isnan(lon_a))
    out = np.full(len(lat_b), np.inf)
    ok_b = ~(np.isnan(lat_b) | np.isnan(lon_b))
    if not ok_a.any() or not ok_b.any():
        return out
    tree = cKDTree(unit_vectors(lat_a[ok_a], lon_a[ok_a]))
    _, idx = tree.query(unit_vectors(lat_b[ok_b], lon_b[ok_b]))
    la, lo = lat_a[ok_a][idx], lon_a[ok_a][idx]
    out[ok_b] = haversine_km(la, lo, lat_b[ok_b], lon_b[ok_b])
    return out


Geocoder = Callable[[str], tuple[float, float] | None]


def geocode_addresses(addresses: list[str], cache_path: Path,
                      geocoder: Geocoder | None = None) -> list[tuple[float, float] | None]:
    """Coordinates for addresses, through an on-disk JSON cache.

    Only called when the user asks for geocoding: this is the one place that may touch the
    network. ``geocoder`` defaults to OpenStreetMap's Nominatim through geopy, throttled to
    one request a second as its usage policy asks.
    """
    cache: dict[str, list[float] | None] = {}
    if cache_path.is_file():
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    missing = sorted({a for a in addresses if a and a not in cache})
    if missing:
        lookup = geocoder or _nominatim()
        for address in missing:
            found = lookup(address)
            cache[address] = list(found) if found else None
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, ensure_ascii=False, indent=1, sort_keys=True),
                       encoding="utf-8")
        tmp.replace(cache_path)
    out: list[tuple[float, float] | None] = []
    for a in addresses:
        hit = cache.get(a) if a else None
        out.append((float(hit[0]), float(hit[1])) if hit else None)
    return out


def _nominatim() -> Geocoder:  # pragma: no cover - needs the network
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    locator = Nominatim(user_agent="matching-elder-mutual-aid")
    limited = RateLimiter(locator.geocode, min_delay_seconds=1.0)

    def lookup(address: str) -> tuple[float, float] | None:
        place = limited(address)
        return (place.latitude, place.longitude) if place else None

    return lookup
