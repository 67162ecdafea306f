"""Pairing on foot: a pair the river puts out of reach is refused with its reason, kin are
paired at their walking distance, the estimate without streets, and the written pairs.csv
lets the project's independent checker re-check the plan."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from matching import checker
from matching.catalogue import Reason
from matching.cli import main
from tests.world.test_streets import EAST_HOME, WEST_HOME, river_village, the_walk_over_the_bridge

#: The walk over the bridge (2.524448 km, worked in tests/world/test_streets.py) and the
#: straight line across the river (0.300583 km).
WALK_KM, STRAIGHT_KM = 2.524448, 0.300583


@pytest.fixture
def village(tmp_path):
    """One volunteer on the west bank, one elder on the east bank, and their streets."""
    river_village(tmp_path / "streets.osm.pbf")
    (tmp_path / "volunteers.csv").write_text(
        f"volunteer_id,name,lat,lon\nV1,张云,{WEST_HOME[0]},{WEST_HOME[1]}\n", encoding="utf-8")
    (tmp_path / "elders.csv").write_text(
        f"elder_id,name,age,lat,lon\nE1,王奶奶,91,{EAST_HOME[0]},{EAST_HOME[1]}\n",
        encoding="utf-8")
    return tmp_path


def pair(folder, out, *more: str) -> int:
    return main(["pair", "--volunteers", str(folder / "volunteers.csv"), "--elders",
                 str(folder / "elders.csv"), "--out", str(out), "--quiet", *more])


def test_the_hand_worked_walk_is_the_one_written(village):
    assert the_walk_over_the_bridge() == pytest.approx(WALK_KM, abs=1e-6)


def test_a_pair_300_m_apart_across_the_river_is_refused_for_its_walk(village):
    out = village / "out"
    assert pair(village, out, "--streets", str(village / "streets.osm.pbf")) == 0
    assert len(pd.read_csv(out / "assignments.csv")) == 0
    unassigned = pd.read_csv(out / "unassigned.csv", dtype=str)
    reason = Reason.of(unassigned["reason_code"][0], unassigned["reason_params"][0])
    # within 2 km in a straight line, 2.5 km on foot: refused for the walk, both figures said
    assert reason.code == "unassigned.walk_too_far"
    assert reason.params == {"n": 1, "radius_km": 2.0, "walk_km": 2.524, "straight_km": 0.301}
    assert reason.text("zh") == ("直线 2 公里内有 1 位志愿者，但步行都超过 2 公里"
                                 "（最近的一位步行 2.5 公里，直线 0.3）")
    # pairs.csv lists the pair the walk puts out of reach, with its walking figures:
    # 60 + 2 * 15 * 2.524448 = 135.73344 minutes a week
    pairs = pd.read_csv(out / "pairs.csv", dtype={"volunteer_id": str, "elder_id": str})
    assert list(pairs.columns) == ["volunteer_id", "elder_id", "distance_km",
                                   "weekly_minutes", "straight_km"]
    assert pairs.to_dict("records") == [{
        "volunteer_id": "V1", "elder_id": "E1", "distance_km": WALK_KM,
        "weekly_minutes": 135.7334, "straight_km": STRAIGHT_KM}]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["distance"]["kind"] == "walked"
    # the independent checker agrees from the files alone: nobody could be paired
    inputs = out / "inputs"
    report = checker.check_pairing(inputs / "volunteers.csv", inputs / "elders.csv", None,
                                   out / "pairs.csv", out)
    assert report.ok, report.text()
    # and without pairs.csv it would have expected the pair (0.3 km in a straight line)
    straight_report = checker.check_pairing(inputs / "volunteers.csv",
                                            inputs / "elders.csv", None, None, out)
    assert not straight_report.ok


def test_kin_are_paired_at_their_walking_distance(village):
    (village / "relations.csv").write_text("volunteer_id,elder_id,relation\nV1,E1,kin\n",
                                           encoding="utf-8")
    out = village / "out"
    assert pair(village, out, "--relations", str(village / "relations.csv"), "--streets",
                str(village / "streets.osm.pbf")) == 0
    assigned = pd.read_csv(out / "assignments.csv", dtype={"volunteer_id": str,
                                                           "elder_id": str})
    # kin may live 10 km apart: paired, at 2.524448 km and 135.73344 minutes a week (written
    # to the metre and the tenth of a minute)
    assert assigned[["volunteer_id", "elder_id", "tie"]].values.tolist() == [["V1", "E1",
                                                                              "kin"]]
    assert assigned["distance_km"][0] == 2.524
    assert assigned["weekly_minutes"][0] == pytest.approx(135.73344, abs=0.05)
    inputs = out / "inputs"
    report = checker.check_pairing(inputs / "volunteers.csv", inputs / "elders.csv",
                                   inputs / "relations.csv", out / "pairs.csv", out)
    assert report.ok, report.text()


def test_without_streets_a_detour_factor_estimates_and_says_so(village):
    out = village / "out"
    assert pair(village, out, "--detour-factor", "1.3") == 0
    assigned = pd.read_csv(out / "assignments.csv")
    # 0.300583 km x 1.3 = 0.390758 km; 60 + 2 * 15 * 0.390758 = 71.72 minutes
    assert assigned["distance_km"][0] == 0.391
    assert assigned["weekly_minutes"][0] == pytest.approx(71.7227, abs=0.05)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["distance"] == {"kind": "estimated", "detour_factor": 1.3, "snap_km": 0.5}
    pairs = pd.read_csv(out / "pairs.csv")
    assert pairs["distance_km"].tolist() == [0.390758]
    # the straight line itself (the contract's default) writes no pairs.csv
    plain = village / "plain"
    assert pair(village, plain) == 0
    assert not (plain / "pairs.csv").exists()
    assert pd.read_csv(plain / "assignments.csv")["distance_km"][0] == 0.301


def test_a_detour_factor_under_one_is_refused_naming_the_option(village, capsys):
    assert pair(village, village / "out", "--detour-factor", "0.8") == 2
    assert "--detour-factor" in capsys.readouterr().err
    assert not (village / "out").exists()


def test_a_scenario_walks_on_its_streets_and_refuses_a_bad_distance_rule(village, capsys):
    (village / "village.toml").write_text(
        '[inputs]\nvolunteers = "volunteers.csv"\nelders = "elders.csv"\n'
        '[distance]\nstreets = "streets.osm.pbf"\nsnap_km = 0.2\n', encoding="utf-8")
    out = village / "run"
    assert main(["run", str(village / "village.toml"), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["distance"] == {"kind": "walked", "far_from_streets": []}
    assert "[distance]" in (out / "scenario.toml").read_text(encoding="utf-8")
    assert len(pd.read_csv(out / "pairs.csv")) == 1
    (village / "bad.toml").write_text(
        '[inputs]\nvolunteers = "volunteers.csv"\nelders = "elders.csv"\n'
        '[distance]\ndetour_factor = 0.5\n', encoding="utf-8")
    assert main(["run", str(village / "bad.toml"), "--out", str(village / "bad"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "distance.detour_factor" in err
    assert not (village / "bad").exists()
