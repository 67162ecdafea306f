"""The independent checker catches each kind of broken plan."""

from __future__ import annotations

import pandas as pd
import pytest

from matching import checker
from tests.conftest import elders, relations, volunteers


@pytest.fixture
def world_files(tmp_path):
    vols = volunteers({"x": 0, "max_elders": 1, "gender": "F"}, {"x": 1.0, "gender": "M"})
    elds = elders({"x": 0.1}, {"x": 0.2}, {"x": 3.5}, {"x": 0.3, "gender_preference": "F"})
    rels = relations(("V2", "E2", "refuses"))
    paths = {}
    for name, frame in (("v", vols), ("e", elds), ("r", rels)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def plan_dir(tmp_path, rows, unassigned):
    out = tmp_path / "plan"
    out.mkdir(exist_ok=True)
    world = checker.CheckWorld.read(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")
    table = []
    for e, v in rows:
        rel = world.relations.get((v, e), set())
        table.append({"elder_id": e, "volunteer_id": v,
                      "distance_km": round(world.distance(v, e), 3),
                      "weekly_minutes": round(world.minutes(v, e), 1),
                      "tie": "kin" if "kin" in rel else "familiar" if "familiar" in rel
                      else "none"})
    pd.DataFrame(table, columns=["elder_id", "volunteer_id", "distance_km", "weekly_minutes",
                                 "tie"]).to_csv(out / "assignments.csv", index=False)
    pd.DataFrame({"elder_id": unassigned, "reason": ["x"] * len(unassigned)}).to_csv(
        out / "unassigned.csv", index=False)
    return checker.check_pairing(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                                 None, out)


def test_valid_plan_passes(tmp_path, world_files):
    """V1 (max 1) takes E4 who wants a woman; V2 takes E1; E2 refuses V2; E3 is too far."""
    rep = plan_dir(tmp_path, [("E4", "V1"), ("E1", "V2")], ["E2", "E3"])
    assert rep.ok, rep.text()


@pytest.mark.parametrize(("rows", "unassigned", "kind"), [
    ([("E4", "V1"), ("E1", "V2"), ("E3", "V2")], ["E2"], "eligibility"),
    ([("E4", "V1"), ("E2", "V2")], ["E1", "E3"], "eligibility"),
    ([("E4", "V2"), ("E1", "V1")], ["E2", "E3"], "eligibility"),
    ([("E4", "V1"), ("E1", "V1")], ["E2", "E3"], "max_elders"),
    ([("E4", "V1")], ["E2", "E3"], "unassigned.csv"),
    ([("E4", "V1")], ["E1", "E2", "E3"], "maximality"),
    ([("E4", "V1"), ("E1", "V2")], ["E1", "E2", "E3"], "unassigned.csv"),
])
def test_broken_plans_are_caught(tmp_path, world_files, rows, unassigned, kind):
    """Too far, refused, wrong gender, too many elders, a forgotten elder, a servable elder
    left out, an elder both assigned and unassigned."""
    rep = plan_dir(tmp_path, rows, unassigned)
    assert not rep.ok
    assert kind in rep.broken, rep.text()


def test_weekly_minutes_are_checked(tmp_path):
    """Two visits of 63 minutes overflow a 120-minute week."""
    vols = volunteers({"x": 0, "weekly_minutes": 120})
    elds = elders({"x": 0.1}, {"x": 0.1, "y": 0.05})
    vols.to_csv(tmp_path / "v.csv", index=False)
    elds.to_csv(tmp_path / "e.csv", index=False)
    relations().to_csv(tmp_path / "r.csv", index=False)
    rep = plan_dir(tmp_path, [("E1", "V1"), ("E2", "V1")], [])
    assert "weekly_minutes" in rep.broken
