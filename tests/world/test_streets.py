"""Walking on streets: an extract read into a graph, cached beside it, people snapped to it,
and walks between many homes at once, checked against hand-worked distances and against
plain Dijkstra over the whole graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

import matching
from matching.rules.distance import DistanceRules
from matching.rules.errors import InputError
from matching.runtime.extras import MissingExtra
from matching.world import geo
from matching.world.distances import Distances
from matching.world.model import far_from_streets
from matching.world.streets import StreetGraph, load_streets
from matching.world.streets import osm as osm_module
from matching.world.streets.generate import street_network
from matching.world.streets.network import cache_path
from matching.world.streets.osm import Way, write_extract
from matching.world.streets.walk import WalkRows, node_walks, walks_km

#: The river village: a road on each bank, running north from the two homes, and one
#: bridge 0.01 degrees (1.11 km) to the north. The river runs between the banks.
WEST_HOME, EAST_HOME = (35.000, 110.000), (35.000, 110.0033)
WEST_BRIDGE, EAST_BRIDGE = (35.010, 110.000), (35.010, 110.0033)


def river_village(path, *, bridge: bool = True, motorway_across: bool = True) -> None:
    """The village's extract: west bank road, the bridge, east bank road; the river itself
    and a motorway straight across it, which nobody walks on."""
    nodes = [(1, *WEST_HOME), (2, *WEST_BRIDGE), (3, *EAST_BRIDGE), (4, *EAST_HOME),
             (5, 35.005, 110.0016)]
    ways = [Way(1, (1, 2), {"highway": "residential"}),
            Way(3, (3, 4), {"highway": "footway"}),
            Way(4, (2, 5, 3), {"waterway": "river"})]
    if bridge:
        ways.append(Way(2, (2, 3), {"highway": "tertiary", "bridge": "yes"}))
    if motorway_across:
        ways.append(Way(5, (1, 4), {"highway": "motorway"}))
    write_extract(path, nodes, ways)


def the_walk_over_the_bridge() -> float:
    # up the west road, over the bridge, down the east road: 1.111951 + 0.300546 + 1.111951
    # = 2.524448 km, each stretch a great-circle distance (a road along a meridian is
    # R * 0.01 degrees in radians = 6371.0088 * 0.000174533 = 1.111951 km; the bridge is
    # 0.0033 degrees of longitude at 35.01 N: 0.0033 * 111.195 * cos 35.01 = 0.300546 km)
    up = geo.haversine_km(*WEST_HOME, *WEST_BRIDGE)
    over = geo.haversine_km(*WEST_BRIDGE, *EAST_BRIDGE)
    down = geo.haversine_km(*EAST_BRIDGE, *EAST_HOME)
    return float(up + over + down)


def test_the_river_village_is_walked_over_its_one_bridge(tmp_path):
    river_village(tmp_path / "village.osm.pbf")
    graph = load_streets(tmp_path / "village.osm.pbf")
    # four street nodes, three streets (the river's and the motorway's ways are left out)
    assert (graph.num_nodes, graph.num_edges) == (4, 3)
    walked = walks_km(graph, np.array([WEST_HOME[0]]), np.array([WEST_HOME[1]]),
                      np.array([EAST_HOME[0]]), np.array([EAST_HOME[1]]), 10.0)
    assert walked[0] == pytest.approx(2.524448, abs=1e-6)
    assert walked[0] == pytest.approx(the_walk_over_the_bridge(), abs=1e-12)
    straight = geo.haversine_km(*WEST_HOME, *EAST_HOME)
    assert straight == pytest.approx(0.300583, abs=1e-6)  # 300 m as the crow flies
    # a walk searched no further than 2 km is not found at all
    assert walks_km(graph, np.array([WEST_HOME[0]]), np.array([WEST_HOME[1]]),
                    np.array([EAST_HOME[0]]), np.array([EAST_HOME[1]]), 2.0)[0] == np.inf


def test_without_the_bridge_the_banks_are_not_joined(tmp_path):
    river_village(tmp_path / "village.osm.pbf", bridge=False)
    graph = load_streets(tmp_path / "village.osm.pbf")
    assert (graph.num_nodes, graph.num_edges) == (4, 2)
    assert node_walks(graph, np.array([0]), np.array([3]), 100.0)[0] == np.inf


def test_a_person_is_snapped_to_the_nearest_street_and_one_far_away_is_reported(tmp_path):
    river_village(tmp_path / "village.osm.pbf")
    (tmp_path / "v.csv").write_text(
        "volunteer_id,lat,lon\nV1,35.0000,110.0001\nV2,35.1000,110.0000\n",
        encoding="utf-8")
    (tmp_path / "e.csv").write_text(f"elder_id,lat,lon\nE1,{EAST_HOME[0]},{EAST_HOME[1]}\n",
                                    encoding="utf-8")
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv",
                                streets=tmp_path / "village.osm.pbf")
    node, km = world.distances.graph.snap(world.volunteers.lat, world.volunteers.lon)
    # V1 is 0.0001 degrees of longitude (9.1 m) east of the west home's node; V2 is
    # 0.09 degrees (10.0 km) north of the bridge; a point without coordinates is not
    # snapped
    graph = world.distances.graph
    west = int(np.argmin(graph.lon + graph.lat))
    assert node[0] == west and km[0] == pytest.approx(
        geo.haversine_km(35.0, 110.0001, *WEST_HOME), abs=1e-9)
    assert km[1] == pytest.approx(geo.haversine_km(35.1, 110.0, *WEST_BRIDGE), abs=1e-9)
    nowhere, unknown = graph.snap(np.array([np.nan]), np.array([110.0]))
    assert nowhere[0] == -1 and np.isnan(unknown[0])
    notices = far_from_streets(world)
    assert [(n.file, n.row, n.column) for n in notices] == [("v.csv", 3, "lat, lon")]
    assert notices[0].params["km"] == 10.008  # 10.007557 km, to the metre
    assert "35.1" not in notices[0].text()  # no coordinates in a notice that goes to logs


def test_the_cache_is_used_and_made_again_when_the_extract_changes(tmp_path, monkeypatch):
    extract = tmp_path / "village.osm.pbf"
    river_village(extract)
    first = load_streets(extract)
    assert cache_path(extract).is_file()

    # read from the cache: osmium is not touched (as on a plain install)
    def no_osmium(*args, **kwargs):
        raise MissingExtra("streets", "--streets")

    monkeypatch.setattr(osm_module, "optional_module", no_osmium)
    again = load_streets(extract)
    assert (again.num_nodes, again.num_edges) == (first.num_nodes, first.num_edges)
    assert np.array_equal(again.edges.toarray(), first.edges.toarray())
    # the extract changes (the bridge is gone): its cache no longer answers, so the
    # extract is read again, which needs osmium
    monkeypatch.undo()
    river_village(extract, bridge=False)
    monkeypatch.setattr(osm_module, "optional_module", no_osmium)
    with pytest.raises(MissingExtra):
        load_streets(extract)
    monkeypatch.undo()
    changed = load_streets(extract)
    assert changed.num_edges == 2
    # and the new cache answers for the new extract
    assert StreetGraph.load(cache_path(extract), "not its key") is None


def test_a_bad_extract_is_an_input_error_naming_the_file(tmp_path):
    (tmp_path / "v.csv").write_text("volunteer_id,lat,lon\nV1,35,110\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("elder_id,lat,lon\nE1,35,110\n", encoding="utf-8")
    (tmp_path / "streets.osm.pbf").write_bytes(b"not an extract at all")
    with pytest.raises(InputError) as bad:
        matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv",
                            streets=tmp_path / "streets.osm.pbf")
    assert [(p.file, p.code) for p in bad.value.problems] == [
        ("streets.osm.pbf", "input.streets_unreadable")]
    with pytest.raises(InputError) as missing:
        matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv",
                            streets=tmp_path / "none.osm.pbf")
    assert [p.code for p in missing.value.problems] == ["input.streets_missing"]


def test_without_streets_the_detour_factor_estimates_the_walk():
    lat_a, lon_a = np.array([35.0]), np.array([110.0])
    lat_b, lon_b = np.array([35.0]), np.array([110.0033])
    straight = float(geo.haversine_km(lat_a, lon_a, lat_b, lon_b)[0])
    plain, estimated = Distances(), Distances(DistanceRules(detour_factor=1.3))
    assert (plain.kind, estimated.kind) == ("straight", "estimated")
    assert plain.between(lat_a, lon_a, lat_b, lon_b, 2.0)[0] == straight
    # 0.300583 km x 1.3 = 0.390758 km
    assert estimated.between(lat_a, lon_a, lat_b, lon_b, 2.0)[0] == pytest.approx(
        0.390758, abs=1e-6)
    i, j, km, line = estimated.near(lat_a, lon_a, lat_b, lon_b, 0.35)
    assert (list(i), list(j)) == ([0], [0]) and km[0] == pytest.approx(1.3 * line[0])
    with pytest.raises(matching.rules.errors.RuleError):
        DistanceRules(detour_factor=0.9)


def _grid(size: int, cut: list[bool]) -> StreetGraph:
    """A size x size grid 0.001 degrees apart, some links left out."""
    lat = np.repeat(35 + 0.001 * np.arange(size), size)
    lon = np.tile(110 + 0.001 * np.arange(size), size)
    node = np.arange(size * size).reshape(size, size)
    links = np.concatenate((np.column_stack((node[:, :-1].ravel(), node[:, 1:].ravel())),
                            np.column_stack((node[:-1, :].ravel(), node[1:, :].ravel()))))
    keep = ~np.resize(np.array(cut, dtype=bool), len(links))
    return StreetGraph.from_segments(lat, lon, links[keep, 0], links[keep, 1])


@settings(max_examples=25, deadline=None)
@given(size=st.integers(3, 9), cut=st.lists(st.booleans(), min_size=1, max_size=40),
       pairs=st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80)), min_size=1,
                      max_size=30),
       limit=st.sampled_from([0.05, 0.3, 1.0, 50.0]))
def test_tiled_walks_are_dijkstras_over_the_whole_graph(size, cut, pairs, limit):
    graph = _grid(size, cut)
    n = graph.num_nodes
    if n == 0:  # every link cut: no street at all
        return
    a = np.array([p[0] % n for p in pairs])
    b = np.array([p[1] % n for p in pairs])
    whole = dijkstra(graph.edges, directed=False, indices=np.unique(a))
    expected = whole[np.searchsorted(np.unique(a), a), b]
    expected[expected > limit] = np.inf
    assert np.allclose(node_walks(graph, a, b, limit), expected, rtol=0, atol=1e-9)
    # kept rows answer the same, asked either way round, a second time
    rows = WalkRows(n, limit)
    first = node_walks(graph, a, b, limit, rows)
    assert np.allclose(first, expected, rtol=0, atol=1e-9)
    assert np.allclose(node_walks(graph, b, a, limit, rows), expected, rtol=0, atol=1e-9)


def test_a_generated_street_network_has_its_river_bridges_and_crossings(tmp_path):
    rng = np.random.default_rng(3)
    lat = 35.6 + rng.normal(0, 0.02, 200)
    lon = 110.9 + rng.normal(0, 0.02, 200)
    net = street_network(lat, lon, seed=5)
    again = street_network(lat, lon, seed=5)
    assert net == again
    # homes over 13.7 km north-south and 10.8 km east-west, and 0.6 km of streets beyond
    # on each side: 12.0 / 3 = 4 bridges (one per 3 km of river) and 14.9 / 2.5 = 5.96,
    # so 6 level crossings (one per 2.5 km of railway)
    assert (net.bridges, net.crossings) == (4, 6)
    write_extract(tmp_path / "a.osm.pbf", net.nodes, net.ways)
    write_extract(tmp_path / "b.osm.pbf", again.nodes, again.ways)
    assert (tmp_path / "a.osm.pbf").read_bytes() == (tmp_path / "b.osm.pbf").read_bytes()
    graph = load_streets(tmp_path / "a.osm.pbf")
    # every node of the written graph is in one piece (the generator keeps the largest)
    reach = dijkstra(graph.edges, directed=False, indices=[0])
    assert np.isfinite(reach).all()
