"""GeoJSON and GeoDataFrame exports: every person a point (WGS-84, longitude first), every
pair a line, whatever coordinate system the inputs were in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching
from matching.analysis import geojson, to_geodataframe
from matching.cli import main
from matching.world import coords
from tests.conftest import small_world

#: One ten-millionth of a degree (1 cm) more than the file's 6 decimals can hold.
TOLERANCE_DEG = 5e-7 + 1e-7


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, Path]:
    """The same 8 volunteers and 12 elders, written in WGS-84 and in GCJ-02, each paired
    into a folder."""
    root = tmp_path_factory.mktemp("gis")
    vols, elds, rels = small_world(5, 8, 12)
    vols, elds = vols.copy(), elds.copy()
    out = {}
    for system in ("wgs84", "gcj02"):
        folder = root / system
        folder.mkdir()
        v, e = vols.copy(), elds.copy()
        if system == "gcj02":
            for frame in (v, e):
                has = frame["lat"] != ""
                lat, lon = coords.wgs84_to_gcj02(frame.loc[has, "lat"].astype(float).to_numpy(),
                                                 frame.loc[has, "lon"].astype(float).to_numpy())
                frame.loc[has, "lat"] = [f"{x:.9f}" for x in lat]
                frame.loc[has, "lon"] = [f"{x:.9f}" for x in lon]
        v.to_csv(folder / "volunteers.csv", index=False)
        e.to_csv(folder / "elders.csv", index=False)
        rels.to_csv(folder / "relations.csv", index=False)
        assert main(["pair", "--volunteers", str(folder / "volunteers.csv"), "--elders",
                     str(folder / "elders.csv"), "--relations", str(folder / "relations.csv"),
                     "--coords", system, "--out", str(folder / "plan"), "--quiet"]) == 0
        out[system] = folder
    out["truth"] = root / "truth"
    out["truth"].mkdir()
    vols.to_csv(out["truth"] / "volunteers.csv", index=False)
    elds.to_csv(out["truth"] / "elders.csv", index=False)
    return out


def features(path: Path) -> list[dict]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


@pytest.mark.parametrize("system", ["wgs84", "gcj02"])
def test_points_and_lines_in_wgs84_longitude_first(worlds, system, tmp_path):
    target = tmp_path / "plan.geojson"
    assert main(["export", str(worlds[system] / "plan"), "--geojson", str(target)]) == 0
    found = features(target)
    plan = pd.read_csv(worlds[system] / "plan" / "assignments.csv", dtype=str)
    kinds = pd.Series([f["properties"]["kind"] for f in found]).value_counts().to_dict()
    # 8 volunteers, 12 elders, a line per pair
    assert kinds == {"volunteer": 8, "elder": 12, "pair": len(plan)}
    assert len(plan) == 12  # all served (3 elders each fit 8 volunteers with room)
    truth_v = pd.read_csv(worlds["truth"] / "volunteers.csv", dtype=str).set_index(
        "volunteer_id")
    truth_e = pd.read_csv(worlds["truth"] / "elders.csv", dtype=str).set_index("elder_id")
    for feature in found:
        p, geometry = feature["properties"], feature["geometry"]
        if p["kind"] == "pair":
            assert geometry["type"] == "LineString"
            start, end = geometry["coordinates"]
            assert start == next(f["geometry"]["coordinates"] for f in found
                                 if f["properties"].get("volunteer_id") == p["volunteer_id"]
                                 and f["properties"]["kind"] == "volunteer")
            assert end == next(f["geometry"]["coordinates"] for f in found
                               if f["properties"].get("elder_id") == p["elder_id"]
                               and f["properties"]["kind"] == "elder")
            continue
        assert geometry["type"] == "Point"
        lon, lat = geometry["coordinates"]
        truth = truth_v.loc[p["volunteer_id"]] if p["kind"] == "volunteer" \
            else truth_e.loc[p["elder_id"]]
        # longitude first: Shanxi's longitude (~111) is never a latitude
        assert 100 < lon < 120 and 30 < lat < 40
        assert abs(lon - float(truth["lon"])) < TOLERANCE_DEG
        assert abs(lat - float(truth["lat"])) < TOLERANCE_DEG
        assert p["name"] == truth["name"]


def test_pseudonymised_export_has_no_names_and_rounded_points(worlds, tmp_path):
    target = tmp_path / "p.geojson"
    assert main(["export", str(worlds["wgs84"] / "plan"), "--geojson", str(target),
                 "--pseudonymise"]) == 0
    found = features(target)
    assert all("name" not in f["properties"] for f in found)
    names = set(pd.read_csv(worlds["truth"] / "elders.csv", dtype=str)["name"])
    assert not any(name in target.read_text(encoding="utf-8") for name in names)
    points = [f["geometry"]["coordinates"] for f in found if f["geometry"]["type"] == "Point"]
    assert all(round(x, 3) == x for point in points for x in point)


def test_elder_properties_are_typed(worlds):
    run = matching.load_run(worlds["wgs84"] / "plan")
    elders = [f["properties"] for f in geojson(run)["features"]
              if f["properties"]["kind"] == "elder"]
    assert all(isinstance(p["served"], bool) and isinstance(p["priority"], int)
               for p in elders)
    served = [p for p in elders if p["served"]]
    assert all(isinstance(p["distance_km"], float) for p in served)
    assert all(p["distance_km"] is None for p in elders if not p["served"])


def test_geodataframe(worlds):
    pytest.importorskip("geopandas")
    run = matching.load_run(worlds["wgs84"] / "plan")
    frame = to_geodataframe(run)
    assert frame.crs.to_epsg() == 4326
    kinds = frame["kind"].value_counts().to_dict()
    assert kinds["volunteer"] == 8 and kinds["elder"] == 12
    lines = frame[frame["kind"] == "pair"]
    assert (lines.geom_type == "LineString").all()
    points = frame[frame["kind"] == "volunteer"]
    vols = run.world.volunteers.frame().set_index("volunteer_id")
    assert np.allclose(points.geometry.x, vols.loc[points["volunteer_id"], "lon"], atol=1e-6)


def test_typed_layers_and_a_geopackage(worlds, tmp_path):
    """Points and lines apart, each layer typed: ``served`` reads back as true/false, not
    1.0/0.0; the GeoPackage holds the same three layers, and the same bytes twice."""
    geopandas = pytest.importorskip("geopandas")
    layers, package = tmp_path / "layers", tmp_path / "plan.gpkg"
    assert main(["export", str(worlds["wgs84"] / "plan"), "--layers", str(layers),
                 "--gpkg", str(package)]) == 0
    assert sorted(p.name for p in layers.iterdir()) == [
        "elders.geojson", "pairs.geojson", "volunteers.geojson"]
    elders = geopandas.read_file(layers / "elders.geojson")
    assert str(elders["served"].dtype) == "bool" and len(elders) == 12
    assert (geopandas.read_file(layers / "pairs.geojson").geom_type == "LineString").all()
    import pyogrio
    assert [name for name, _ in pyogrio.list_layers(package)] == [
        "volunteers", "elders", "pairs"]
    from_package = geopandas.read_file(package, layer="elders")
    assert str(from_package["served"].dtype) == "bool"
    assert from_package["elder_id"].tolist() == elders["elder_id"].tolist()
    again = tmp_path / "again.gpkg"
    assert main(["export", str(worlds["wgs84"] / "plan"), "--gpkg", str(again)]) == 0
    assert again.read_bytes() == package.read_bytes()


@pytest.mark.parametrize("options", [[], ["--gpkg", "plan.geojson"]])
def test_export_without_a_target_or_with_a_wrong_one_exits_2(worlds, options, capsys):
    assert main(["export", str(worlds["wgs84"] / "plan"), *options]) == 2
    assert "--g" in capsys.readouterr().err
