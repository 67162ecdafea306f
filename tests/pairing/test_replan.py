"""Re-planning in one batch: each rule on the smallest world where it binds, checked by the
independent checker (stability, maximality, exact changes)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import matching
from matching import checker
from matching.cli import main
from matching.pairing.replan import replan
from tests.conftest import elders, relations, volunteers


def run(tmp_path: Path, vols, elds, previous: dict[str, str], leaving: set[str], rels=None,
        history=None):
    """Re-plan through the API, write the files, and check them independently."""
    for name, frame in (("v", vols), ("e", elds), ("r", rels if rels is not None
                                                   else relations())):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")
    result = replan(world, previous, leaving, history)
    out = tmp_path / "plan"
    out.mkdir(exist_ok=True)
    result.assignments.to_csv(out / "assignments.csv", index=False)
    result.unassigned.to_csv(out / "unassigned.csv", index=False)
    result.changes.to_csv(out / "changes.csv", index=False)
    report = check_replan(tmp_path, previous, leaving, result, history)
    assert report.ok, report.text()
    return result


def check_replan(tmp_path, previous, leaving, result, history) -> checker.Report:
    """The independent re-plan check: pairing rules over those who stay (maximality too),
    stability of staying pairs, and changes.csv exact."""
    pd.DataFrame({"elder_id": list(previous), "volunteer_id": list(previous.values())}) \
        .to_csv(tmp_path / "previous.csv", index=False)
    pd.DataFrame({"volunteer_id": sorted(leaving)}, dtype=str) \
        .to_csv(tmp_path / "leaving.csv", index=False)
    hist = None
    if history is not None:  # as a schedule: whoever visited counts as familiar
        hist = tmp_path / "history.csv"
        history.assign(activity="visit").to_csv(hist, index=False)
    return checker.check_replan(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                                None, tmp_path / "previous.csv", tmp_path / "leaving.csv",
                                tmp_path / "plan", hist)


def test_orphans_are_re_paired_and_others_stay(tmp_path):
    """V1 leaves: E1 goes to the nearest volunteer with room (V2), E2 and E3 keep theirs."""
    vols = volunteers({"x": 0}, {"x": 0.5}, {"x": 1.0})
    elds = elders({"x": 0.1}, {"x": 0.6}, {"x": 1.1})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V2", "E3": "V3"}, {"V1"})
    plan = dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                    strict=True))
    assert plan == {"E1": "V2", "E2": "V2", "E3": "V3"}
    assert result.changes["elder_id"].tolist() == ["E1"]
    assert "V1 left the programme" in result.changes["reason"].iloc[0]
    assert result.figures["kept"] == 2 and result.figures["moved"] == 1


def test_staying_pairs_are_kept_even_when_worse(tmp_path):
    """E2 keeps V3 although V2 is nearer now: stability wins over distance."""
    vols = volunteers({"x": 0}, {"x": 0.5}, {"x": 1.5})
    elds = elders({"x": 0.1}, {"x": 0.6})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V3"}, set())
    assert dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                    strict=True)) == {"E1": "V1", "E2": "V3"}
    assert result.changes.empty


def test_someone_who_knows_them_is_preferred(tmp_path):
    """The orphan goes to V3, who visited them before (history), over the nearer V2."""
    vols = volunteers({"x": 0}, {"x": 0.2}, {"x": 0.8})
    elds = elders({"x": 0.1})
    history = pd.DataFrame({"volunteer_id": ["V3"], "elder_id": ["E1"],
                            "relation": ["familiar"]})
    result = run(tmp_path, vols, elds, {"E1": "V1"}, {"V1"}, history=history)
    assert result.assignments["volunteer_id"].tolist() == ["V3"]
    assert "who knows them" in result.changes["reason"].iloc[0]
    assert result.figures["orphans_to_known"] == 1


def test_shrunk_capacity_moves_the_fewest(tmp_path):
    """V1 now takes one elder but had three: two move, the highest priority one stays."""
    vols = volunteers({"x": 0, "max_elders": 1}, {"x": 0.3, "max_elders": 3})
    elds = elders({"x": 0.1, "age": 81}, {"x": 0.1, "y": 0.1, "age": 95}, {"x": 0.2, "age": 82})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V1", "E3": "V1"}, set())
    plan = dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                    strict=True))
    assert plan["E2"] == "V1"
    assert plan["E1"] == plan["E3"] == "V2"
    assert result.changes["reason"].str.contains("capacity of V1 fell").all()


def test_shrunk_minutes_move_the_fewest(tmp_path):
    """V1's week shrank to 130 minutes: of three elders (about 63 minutes each), two stay."""
    vols = volunteers({"x": 0, "weekly_minutes": 130}, {"x": 0.3, "max_elders": 3})
    elds = elders({"x": 0.1, "age": 85}, {"x": 0.1, "y": 0.05, "age": 85},
                  {"x": 0.1, "y": -0.05, "age": 85})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V1", "E3": "V1"}, set())
    assert (result.assignments["volunteer_id"] == "V1").sum() == 2
    assert len(result.changes) == 1


def test_new_elders_and_elders_who_left(tmp_path):
    """E9 left the programme (not in elders.csv); E2 is new and gets a volunteer."""
    vols = volunteers({"x": 0}, {"x": 0.5})
    elds = elders({"x": 0.1}, {"x": 0.6})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E9": "V2"}, set())
    changes = result.changes.set_index("elder_id")
    assert changes.loc["E9", "new_volunteer_id"] == ""
    assert "no longer in the elders file" in changes.loc["E9", "reason"]
    assert changes.loc["E2", "old_volunteer_id"] == ""
    assert "new to the plan" in changes.loc["E2", "reason"]


def test_new_volunteer_takes_an_orphan(tmp_path):
    """V1 leaves; V3 is new (not in the old plan) and nearest: E1 goes to V3."""
    vols = volunteers({"x": 0}, {"x": 1.5}, {"x": 0.2})
    elds = elders({"x": 0.1})
    result = run(tmp_path, vols, elds, {"E1": "V1"}, {"V1"})
    assert result.assignments["volunteer_id"].tolist() == ["V3"]


def test_orphan_with_nobody_is_explained(tmp_path):
    """V1 leaves and the only other volunteer is full: E1 is lost, with the reason."""
    vols = volunteers({"x": 0}, {"x": 0.3, "max_elders": 1})
    elds = elders({"x": 0.1}, {"x": 0.35})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V2"}, {"V1"})
    row = result.changes.set_index("elder_id").loc["E1"]
    assert row["new_volunteer_id"] == ""
    assert "at capacity" in row["reason"]
    assert result.figures["lost"] == 1


def test_replan_command(tmp_path, capsys):
    """The CLI writes the three files; an unknown leaving id is bad input (exit 2)."""
    world = tmp_path / "w"
    assert main(["generate", "--preset", "minle", "--seed", "4", "--out", str(world)]) == 0
    common = ["--volunteers", str(world / "volunteers.csv"), "--elders",
              str(world / "elders.csv"), "--relations", str(world / "relations.csv")]
    assert main(["pair", *common, "--out", str(tmp_path / "p"), "--quiet"]) == 0
    a = pd.read_csv(tmp_path / "p" / "assignments.csv", dtype=str)
    leaving = sorted(a["volunteer_id"].unique())[:6]
    pd.DataFrame({"volunteer_id": leaving}).to_csv(tmp_path / "leaving.csv", index=False)
    assert main(["replan", *common, "--previous", str(tmp_path / "p" / "assignments.csv"),
                 "--leaving", str(tmp_path / "leaving.csv"), "--out", str(tmp_path / "r")]) == 0
    assert "orphans re-paired" in capsys.readouterr().out
    changes = pd.read_csv(tmp_path / "r" / "changes.csv", dtype=str, keep_default_na=False)
    assert set(changes["old_volunteer_id"]) <= set(leaving)
    pd.DataFrame({"volunteer_id": ["NOBODY"]}).to_csv(tmp_path / "bad.csv", index=False)
    code = main(["replan", *common, "--previous", str(tmp_path / "p" / "assignments.csv"),
                 "--leaving", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "r2")])
    assert code == 2
    assert 'bad.csv, row 2, column volunteer_id: "NOBODY"' in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


@pytest.mark.parametrize("seed", range(3))
def test_generated_worlds_stay_valid(tmp_path, seed):
    """A tenth of the paired volunteers leave a generated world: valid, stable, exact."""
    from matching.world.generate import PRESETS, generate_world

    w = generate_world(PRESETS["minle"].replace(volunteers=40, elders=90), seed=seed)
    world = matching.read_world(w.volunteers, w.elders, w.relations)
    first = matching.solve(matching.build_problem(world))
    previous = dict(zip(first.assignments["elder_id"], first.assignments["volunteer_id"],
                        strict=True))
    paired = sorted(set(previous.values()))
    leaving = set(paired[:: max(1, len(paired) // max(1, len(paired) // 10))][: len(paired) // 10])
    run(tmp_path, w.volunteers, w.elders, previous, leaving, rels=w.relations)


def test_measured_pairs_of_a_leaving_volunteer(tmp_path):
    """A world given only by pairs.csv: the leaving volunteer's measured pairs go with them."""
    vols = pd.DataFrame({"volunteer_id": ["A", "B"]})
    elds = pd.DataFrame({"elder_id": ["J1", "J2"]})
    pairs = pd.DataFrame({"volunteer_id": ["A", "A", "B"], "elder_id": ["J1", "J2", "J2"],
                          "distance_km": ["0.1", "0.2", "0.3"], "weekly_minutes": ["60"] * 3})
    world = matching.read_world(vols, elds, pairs=pairs)
    result = replan(world, {"J1": "A", "J2": "A"}, {"A"})
    assert dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                    strict=True)) == {"J2": "B"}
    assert result.changes.set_index("elder_id").loc["J1", "new_volunteer_id"] == ""


def test_checker_catches_a_broken_replan(tmp_path):
    """The re-plan checker flags a staying pair that was moved and a changes.csv that lies."""
    vols = volunteers({"x": 0}, {"x": 0.5})
    elds = elders({"x": 0.1}, {"x": 0.6})
    result = run(tmp_path, vols, elds, {"E1": "V1", "E2": "V2"}, set())
    out = tmp_path / "plan"
    moved = result.assignments.copy()
    moved.loc[moved["elder_id"] == "E1", "volunteer_id"] = "V2"
    moved.to_csv(out / "assignments.csv", index=False)
    report = checker.check_replan(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                                  None, tmp_path / "previous.csv", tmp_path / "leaving.csv",
                                  out)
    assert "stability" in report.broken and "changes.csv" in report.broken
