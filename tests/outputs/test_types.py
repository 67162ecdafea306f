"""A run read back has typed tables: numbers as numbers, dates as datetime64, booleans as
booleans, ids as strings; so an analyst's ``mean()`` works."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import matching
from matching import analysis
from matching.cli import main
from matching.ledger import open_ledger

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
INPUTS = ["--volunteers", str(MINLE / "volunteers.csv"), "--elders", str(MINLE / "elders.csv"),
          "--relations", str(MINLE / "relations.csv")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("minle")
    assert main(["pair", *INPUTS, "--out", str(out / "pair"), "--quiet"]) == 0
    assert main(["schedule", *INPUTS, "--assignments", str(out / "pair" / "assignments.csv"),
                 "--start", "2026-03-30", "--weeks", "2", "--out", str(out / "plan"),
                 "--quiet"]) == 0
    leaving = out / "leaving.csv"
    leaving.write_text("volunteer_id\nV00000\nV00001\n", encoding="utf-8")
    assert main(["replan", *INPUTS, "--previous", str(out / "pair" / "assignments.csv"),
                 "--leaving", str(leaving), "--out", str(out / "replan"), "--quiet"]) == 0
    return out


def test_every_table_is_typed(run):
    plan = matching.load_run(run / "plan")
    a = plan.assignments
    assert a["distance_km"].dtype == "float64" and a["weekly_minutes"].dtype == "float64"
    assert str(a["priority"].dtype) == "Int64"
    assert pd.api.types.is_string_dtype(a["elder_id"])
    # the means an analyst takes first: Minle's 155 pairs average 0.35 km (summary.json)
    assert round(a["distance_km"].mean(), 2) == 0.35
    assert a["weekly_minutes"].mean() > 0
    s = plan.schedule
    assert pd.api.types.is_datetime64_any_dtype(s["date"])
    assert s["date"].min() == pd.Timestamp("2026-03-30")
    assert s["minutes"].dtype == "float64" and s["minutes"].mean() > 0
    assert str(plan.backups["backup_week"].dtype) == "Int64"
    assert plan.credits["hours"].dtype == "float64"
    assert plan.credits["hours"].sum() > 0
    replan = matching.load_run(run / "replan")
    assert replan.assignments["kept"].dtype == bool
    # every elder who kept their volunteer is marked kept: 155 less the leavers' elders
    moved = replan.changes["elder_id"].nunique()
    assert int(replan.assignments["kept"].sum()) == len(replan.assignments) - moved


def test_the_elders_view_joins_everything(run):
    plan = matching.load_run(run / "replan")
    view = analysis.elders_table(plan)
    assert list(view.columns) == [
        "elder_id", "name", "community", "lat", "lon", "age", "age_band", "gender",
        "lives_alone", "low_income", "priority", "served", "volunteer_id", "distance_km",
        "weekly_minutes", "tie", "reason_code", "reason"]
    assert view["served"].dtype == bool and view["lat"].dtype == "float64"
    served = view[view["served"]]
    assert served["distance_km"].notna().all()
    assert (view.loc[~view["served"], "reason_code"] != "").all()
    # coverage by any column of the view
    by_alone = analysis.coverage(plan, "lives_alone")
    assert int(by_alone["elders"].sum()) == len(view)
    by_gender = analysis.coverage(plan, "gender")
    assert set(by_gender.index) <= {"F", "M", ""}
    with pytest.raises(ValueError, match="expected columns of elders_table"):
        analysis.coverage(plan, "shoe_size")


def test_the_ledger_gives_dates_as_dates(run, tmp_path):
    done = tmp_path / "done.csv"
    schedule = str(run / "plan" / "schedule.csv")
    assert main(["ledger", "simulate", "--schedule", schedule, "--out", str(done)]) == 0
    db = tmp_path / "ledger.sqlite"
    assert main(["ledger", "record", "--db", str(db), "--schedule", schedule, "--done",
                 str(done)]) == 0
    with open_ledger(db, create=False) as ledger:
        acts = ledger.activities()
        balances = ledger.balances()
    assert pd.api.types.is_datetime64_any_dtype(acts["date"])
    assert balances["balance_hours"].dtype == "float64"
    assert balances["balance_hours"].sum() > 0
