"""``--json``: every command that reports something prints one JSON document on standard
output and nothing else; progress and messages go to standard error."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from matching.cli import main

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
INPUTS = ["--volunteers", str(MINLE / "volunteers.csv"), "--elders", str(MINLE / "elders.csv"),
          "--relations", str(MINLE / "relations.csv")]


def one_document(capsys: pytest.CaptureFixture[str], argv: list[str], status: int = 0
                 ) -> dict:
    """Run ``matching ARGV --json``; standard output must be exactly one JSON document."""
    assert main([*argv, "--json"]) == status
    out = capsys.readouterr().out
    # json.loads refuses anything after the document ("Extra data"), so this is the whole
    return json.loads(out)


@pytest.fixture(scope="module")
def minle_week(tmp_path_factory) -> Path:
    """Minle paired, scheduled for one week (30 March 2026), and re-paired without
    V00000."""
    out = tmp_path_factory.mktemp("minle")
    assert main(["pair", *INPUTS, "--out", str(out / "pair"), "--quiet"]) == 0
    assert main(["schedule", *INPUTS, "--assignments", str(out / "pair" / "assignments.csv"),
                 "--start", "2026-03-30", "--weeks", "1", "--out", str(out / "plan"),
                 "--quiet"]) == 0
    leaving = out / "leaving.csv"
    leaving.write_text("volunteer_id\nV00000\n", encoding="utf-8")
    assert main(["replan", *INPUTS, "--previous", str(out / "pair" / "assignments.csv"),
                 "--leaving", str(leaving), "--out", str(out / "replan"), "--quiet"]) == 0
    return out


def test_planning_commands(tmp_path, capsys, minle_week):
    pair = one_document(capsys, ["pair", *INPUTS, "--out", str(tmp_path / "p")])
    # Minle: all 155 elders paired, proven optimal (priority 3 x 8 + 2 x 147 = 318)
    assert (pair["assigned"], pair["unassigned"], pair["priority"], pair["status"]) == \
        (155, 0, 318, "optimal")
    leaving = tmp_path / "leaving.csv"
    leaving.write_text("volunteer_id\nV00000\n", encoding="utf-8")
    replan = one_document(capsys, ["replan", *INPUTS, "--previous",
                                   str(minle_week / "pair" / "assignments.csv"),
                                   "--leaving", str(leaving), "--out", str(tmp_path / "r")])
    # V00000 looked after 3 elders: they move, the other 152 pairs stay
    assert (replan["kept"], replan["moved"], replan["lost"]) == (152, 3, 0)


@pytest.mark.slow
def test_study_commands(tmp_path, capsys, minle_week):
    plan = str(minle_week / "plan")
    assert one_document(capsys, ["report", plan, "--lang", "en"])["report"].endswith(
        "report.html")
    elder = one_document(capsys, ["explain", plan, "--elder", "E00000"])
    assert elder["subject_code"] == "explain.elder" and len(elder["chosen"]) == 1
    paired = pd.read_csv(minle_week / "plan" / "assignments.csv", dtype=str)
    assert elder["chosen"][0]["volunteer_id"] == \
        paired.set_index("elder_id").loc["E00000", "volunteer_id"]
    assert isinstance(elder["alternatives"][0]["reason_params"], dict)
    audit = one_document(capsys, ["audit", plan])
    assert audit["blocking_pairs"] == len(audit["pairs"])
    found = one_document(capsys, ["suggest", plan, "--top", "3", "--elder-row",
                                  "elder_id=N1; lat=35.6014; lon=110.9675; age=86"])
    assert len(found["volunteers"]) == 3
    assert isinstance(found["volunteers"][0]["distance_km"], float)
    compared = one_document(capsys, ["compare", str(minle_week / "pair"),
                                     str(minle_week / "replan")])
    assert [run["run"] for run in compared["runs"]] == ["pair", "replan"]
    checked = one_document(capsys, ["check", "--plan", str(minle_week / "pair"), *INPUTS])
    assert checked["ok"] is True and checked["broken"] == {}
    assert checked["figures"]["assigned"] == 155


def test_world_and_ledger_commands(tmp_path, capsys, minle_week):
    made = one_document(capsys, ["generate", "--volunteers", "5", "--elders", "9",
                                 "--out", str(tmp_path / "w")])
    assert (made["volunteers"], made["elders"]) == (5, 9)
    clean = one_document(capsys, ["doctor", *(str(MINLE / f"{k}.csv") for k in
                                              ("volunteers", "elders", "relations"))])
    assert clean["ok"] is True and clean["problems"] == []
    db, done = tmp_path / "ledger.sqlite", tmp_path / "done.csv"
    schedule = str(minle_week / "plan" / "schedule.csv")
    marked = one_document(capsys, ["ledger", "simulate", "--schedule", schedule,
                                   "--out", str(done)])
    recorded = one_document(capsys, ["ledger", "record", "--db", str(db),
                                     "--schedule", schedule, "--done", str(done)])
    assert recorded["rows"] == marked["rows"]
    assert recorded["done"] + recorded["replaced"] + recorded["missed"] == marked["rows"]
    members = one_document(capsys, ["ledger", "balance", "--db", str(db)])["members"]
    assert all(isinstance(m["balance_hours"], float) for m in members)


def test_bad_input_is_one_document_naming_file_row_and_column(tmp_path, capsys):
    """A bad cell: exit 2, and standard output still holds one document, with the problem's
    place and code (and nothing written)."""
    elders = tmp_path / "elders.csv"
    text = (MINLE / "elders.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    first = text[1].split(",")
    first[header.index("lat")] = "35,61"  # a decimal comma: the row's cells shift
    elders.write_text("\n".join([text[0], ",".join(first).replace("35,61", '"35,61"'),
                                 *text[2:]]) + "\n", encoding="utf-8")
    found = one_document(capsys, ["pair", "--volunteers", str(MINLE / "volunteers.csv"),
                                  "--elders", str(elders), "--out", str(tmp_path / "out")],
                         status=2)
    assert found["error"] == "bad_input"
    problem = found["problems"][0]
    # the header is row 1, so the first elder is row 2
    assert (problem["file"], problem["row"], problem["column"], problem["value"]) == \
        ("elders.csv", 2, "lat", "35,61")
    assert problem["code"] == "input.not_a_number"
    assert not (tmp_path / "out").exists()
