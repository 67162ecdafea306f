"""Regions: a world split before any pair is looked at, solved group by group, here or on
a Dask cluster, giving the plan of the whole world.

Three towns like Minle, 33 km apart, are three regions; a kin relation from a volunteer of
the first town to an elder of the third joins those two into one. An elder alone in the
hills, 11 km from anyone, is a region of her own and is left out with the same reason as
when the world is solved whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching
from matching import checker
from matching.cli import main
from matching.pairing import regions
from tests.conftest import input_args, snapshot, write_towns

TOWNS = 3

#: 0.1 degrees of latitude (11.1 km) north of the first town's box: no one within 2 km.
LONELY = {"elder_id": "HILL-1", "name": "山上", "age": "91", "gender": "F",
          "lat": "35.706000", "lon": "110.968000"}


def _world_files(folder: Path, kin_across: bool) -> Path:
    kin = None
    if kin_across:  # the first town's first volunteer is kin to the third town's first elder
        kin = pd.DataFrame([{"volunteer_id": "T0-V00000", "elder_id": "T2-E00000",
                             "relation": "kin"}])
    return write_towns(folder, TOWNS, extra_elders=pd.DataFrame([LONELY]), extra_relations=kin)


@pytest.fixture(scope="module")
def towns(tmp_path_factory) -> Path:
    return _world_files(tmp_path_factory.mktemp("towns"), kin_across=False)


def _read(folder: Path) -> matching.World:
    return matching.read_world(folder / "volunteers.csv", folder / "elders.csv",
                               folder / "relations.csv")


def test_towns_and_a_lonely_elder_are_four_regions(towns):
    found = regions.find_regions(_read(towns))
    # three towns of 90 elders and 40 volunteers, then the lonely elder with nobody
    assert [(len(r.elders), len(r.volunteers)) for r in found] == [
        (90, 40), (90, 40), (90, 40), (1, 0)]
    every = np.sort(np.concatenate([r.elders for r in found]))
    assert np.array_equal(every, np.arange(3 * 90 + 1))  # each elder in exactly one


def test_kin_across_towns_joins_their_regions(tmp_path):
    found = regions.find_regions(_read(_world_files(tmp_path / "kin", kin_across=True)))
    # the first and third towns are one region now (90 + 90 elders, 80 volunteers)
    assert [(len(r.elders), len(r.volunteers)) for r in found] == [
        (180, 80), (90, 40), (1, 0)]


def test_packing_keeps_regions_whole_and_in_order(towns):
    found = regions.find_regions(_read(towns))
    # up to 100 elders a group: each town alone, the lonely elder joins the third town
    packed = regions.pack(found, most_elders=100)
    assert [len(g.elders) for g in packed] == [90, 90, 91]
    assert len(regions.pack(found, most_elders=10_000)) == 1


@pytest.mark.slow
@pytest.mark.parametrize(("group_elders", "groups"), [(100, 3), (90, 4)])
def test_region_by_region_is_the_whole_worlds_plan(towns, tmp_path, monkeypatch,
                                                   group_elders, groups):
    """Solved whole (one group) and in groups (with 90 a group, the lonely elder is a group
    with no volunteer at all), the files are the same, apart from the count of groups in
    summary.json; the plan passes the independent checker."""
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main(["pair", *input_args(towns), "--out", str(whole), "--quiet"]) == 0
    monkeypatch.setattr(regions, "GROUP_ELDERS", group_elders)
    assert main(["pair", *input_args(towns), "--out", str(split), "--quiet"]) == 0
    for name in ("assignments.csv", "unassigned.csv"):
        assert (whole / name).read_bytes() == (split / name).read_bytes()
    unassigned = pd.read_csv(split / "unassigned.csv")
    assert "HILL-1" in set(unassigned["elder_id"])
    a = pd.read_json(whole / "summary.json", typ="series")
    b = pd.read_json(split / "summary.json", typ="series")
    assert b["decomposition"]["regions"] == groups and a["decomposition"]["regions"] == 1
    for key in ("priority", "cost_km", "candidate_pairs", "assigned", "status"):
        assert a[key] == b[key]
    report = checker.check_pairing(towns / "volunteers.csv", towns / "elders.csv",
                                   towns / "relations.csv", None, split)
    assert report.ok, report.text()


@pytest.mark.slow
def test_regions_on_a_local_cluster_give_the_same_bytes(towns, tmp_path, monkeypatch):
    monkeypatch.setattr(regions, "GROUP_ELDERS", 100)
    here, there = tmp_path / "here", tmp_path / "there"
    assert main(["pair", *input_args(towns), "--out", str(here), "--quiet"]) == 0
    assert main(["pair", *input_args(towns), "--out", str(there), "--quiet",
                 "--cluster", "local:2"]) == 0
    assert snapshot(here) == snapshot(there)
