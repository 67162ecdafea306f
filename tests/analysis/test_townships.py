"""Townships (乡镇/街道): read from either roster, checked, and every roll-up by them.

Three villages: A in 甲镇 (named only in the volunteers' file), B and C in 乙镇; one
volunteer each in A and B, with room for one elder; C has nobody within reach.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import matching
from matching.analysis import coverage, sweep
from matching.analysis.projection import project
from matching.cli import main
from matching.outputs.folder import Run
from matching.rules.errors import InputError

#: A village every 11 km north of the first (0.1 degrees of latitude).
LAT, LON, STEP = 35.6, 111.0, 0.1


def rosters() -> tuple[pd.DataFrame, pd.DataFrame]:
    vols = pd.DataFrame({"volunteer_id": ["V1", "V2"], "community": ["A", "B"],
                         "乡镇": ["甲镇", ""], "lat": [LAT, LAT + STEP], "lon": LON,
                         "max_elders": 1, "age": 65})
    elds = pd.DataFrame({"elder_id": ["E1", "E2", "E3", "E4"],
                         "community": ["A", "B", "C", "C"],
                         "township": ["", "乙镇", "乙镇", ""],
                         "lat": [LAT, LAT + STEP, LAT + 2 * STEP, LAT + 2 * STEP],
                         "lon": LON, "age": 85})
    return vols, elds


def world() -> matching.World:
    vols, elds = rosters()
    return matching.read_world(vols.astype(str), elds.astype(str))


def test_a_blank_township_is_its_communitys():
    w = world()
    assert w.volunteers.other["township"].tolist() == ["甲镇", "乙镇"]
    assert w.elders.other["township"].tolist() == ["甲镇", "乙镇", "乙镇", "乙镇"]


def test_a_community_in_two_townships_is_bad_input():
    vols, elds = rosters()
    elds.loc[3, "township"] = "丙镇"  # C is in 乙镇 on row 4
    with pytest.raises(InputError) as caught:
        matching.read_world(vols.astype(str), elds.astype(str))
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("elders.csv", 5, "township")
    assert problem.params["first"] == 4


def test_coverage_by_township_and_by_several_columns():
    w = world()
    run = Run.from_results(w, matching.solve(matching.build_problem(w)))
    # E1 (A) and E2 (B) are served; C's two have nobody within reach
    by_township = coverage(run, by="township")
    assert by_township[["elders", "assigned"]].to_dict("index") == {
        "乙镇": {"elders": 3, "assigned": 1}, "甲镇": {"elders": 1, "assigned": 1}}
    both = coverage(run, by=["township", "community"])
    assert both.index.tolist() == [("乙镇", "B"), ("乙镇", "C"), ("甲镇", "A")]
    assert both["assigned"].tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="expected columns"):
        coverage(run, by=["township", "nothing"])


def test_sweeps_and_projections_roll_up_to_townships():
    w = world()
    rolled = sweep(w, [0, 1]).townships
    assert rolled.values.tolist() == [[0.0, "乙镇", 3, 1, 1 / 3], [0.0, "甲镇", 1, 1, 1.0],
                                      [1.0, "乙镇", 3, 0, 0.0], [1.0, "甲镇", 1, 0, 0.0]]
    years = project(w, 1, dt.date(2026, 3, 30)).by_township
    assert years[["year", "township", "elders", "volunteers", "assigned"]].values.tolist() == [
        [2026, "乙镇", 3, 1, 1], [2026, "甲镇", 1, 1, 1], [2027, "乙镇", 3, 1, 1],
        [2027, "甲镇", 1, 1, 1]]


def test_the_sweep_command_writes_townships(tmp_path):
    vols, elds = rosters()
    vols.to_csv(tmp_path / "volunteers.csv", index=False)
    elds.to_csv(tmp_path / "elders.csv", index=False)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "townships"\n[inputs]\nvolunteers = "volunteers.csv"\n'
                        'elders = "elders.csv"\n', encoding="utf-8")
    assert main(["sweep", str(scenario), "--leave", "0", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "o" / "sweep_townships.csv")
    assert table[["township", "elders", "assigned"]].values.tolist() == [["乙镇", 3, 1],
                                                                         ["甲镇", 1, 1]]
    assert "township" in pd.read_csv(tmp_path / "o" / "sweep_communities.csv").columns
