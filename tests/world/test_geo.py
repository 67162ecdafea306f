"""Distances and the spatial search."""

from __future__ import annotations

import numpy as np
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.world import geo

coords = st.tuples(st.floats(35.0, 36.0), st.floats(110.0, 111.5))


@given(coords, coords)
def test_haversine_matches_geopy(a, b):
    """The vectorised haversine equals geopy's great-circle distance."""
    ours = float(geo.haversine_km(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]),
                                  np.array([b[1]]))[0])
    assert abs(ours - great_circle(a, b, radius=geo.EARTH_RADIUS_KM).km) < 1e-6


@settings(max_examples=30, deadline=None)
@given(st.lists(coords, min_size=1, max_size=25), st.lists(coords, min_size=1, max_size=25),
       st.floats(0.5, 40.0))
def test_pairs_within_equals_brute_force(a, b, km):
    """The k-d tree finds exactly the pairs a double loop finds."""
    la, lo = np.array([p[0] for p in a]), np.array([p[1] for p in a])
    lb, lob = np.array([p[0] for p in b]), np.array([p[1] for p in b])
    i, j, d = geo.pairs_within(la, lo, lb, lob, km)
    found = set(zip(i.tolist(), j.tolist(), strict=True))
    want = {(x, y) for x in range(len(a)) for y in range(len(b))
            if geo.haversine_km(la[x], lo[x], lb[y], lob[y]) <= km}
    assert found == want
    assert np.all(d <= km)


def test_missing_coordinates_are_skipped():
    """NaN points take part in no pair and have no nearest neighbour."""
    i, j, _ = geo.pairs_within(np.array([35.6, np.nan]), np.array([110.9, np.nan]),
                               np.array([35.6]), np.array([110.9]), 1.0)
    assert (i.tolist(), j.tolist()) == ([0], [0])
    near = geo.nearest_km(np.array([np.nan]), np.array([np.nan]), np.array([35.6]),
                          np.array([110.9]))
    assert np.isinf(near[0])


def test_geocoding_uses_the_cache(tmp_path):
    """Addresses are looked up once; the second call is answered from the cache on disk."""
    calls = []

    def fake(address):
        calls.append(address)
        return (35.6, 110.97) if "民乐" in address else None

    cache = tmp_path / "geo.json"
    first = geo.geocode_addresses(["民乐社区1号", "nowhere", ""], cache, fake)
    second = geo.geocode_addresses(["民乐社区1号", "nowhere"], cache, fake)
    assert first == [(35.6, 110.97), None, None]
    assert second == [(35.6, 110.97), None]
    assert sorted(calls) == ["nowhere", "民乐社区1号"]


def test_read_world_geocodes_missing_coordinates(tmp_path):
    """With a geocoding cache, an elder with only an address gets coordinates."""
    import pandas as pd

    import matching

    vols = pd.DataFrame({"volunteer_id": ["V1"], "lat": ["35.6"], "lon": ["110.97"]})
    elds = pd.DataFrame({"elder_id": ["E1"], "lat": [""], "lon": [""],
                         "address": ["民乐社区3号楼"]})
    world = matching.read_world(vols, elds, geocode_cache=tmp_path / "c.json",
                                geocoder=lambda a: (35.601, 110.971))
    assert world.elders.lat[0] == 35.601
