"""``--time-limit`` bounds the whole command: a limit shorter than the proof gives a checked,
maximal, feasible plan with its bound; a limit shorter than any plan gives a clear message."""

from __future__ import annotations

import json
from pathlib import Path

from test_solve import small_world

from matching import checker
from matching.budget import WRITE_RESERVE_SHARE, Budget
from matching.cli import main

MINLE = Path(__file__).parent.parent / "scenarios" / "minle"


def test_a_limit_shorter_than_the_proof_gives_a_checked_feasible_plan(tmp_path):
    """This world's full proof takes about 4 s (CP-SAT after the flow's bounds); with a
    one-second limit for the whole command the plan is feasible, carries its bound and gap,
    and passes the independent checker, maximality included."""
    vols, elds, rels = small_world(3, 30, 90, weekly=[100, 130, 160])
    for name, frame in (("v", vols), ("e", elds), ("r", rels)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    inputs = [str(tmp_path / f"{n}.csv") for n in ("v", "e", "r")]
    assert main(["pair", "--volunteers", inputs[0], "--elders", inputs[1], "--relations",
                 inputs[2], "--time-limit", "1", "--out", str(tmp_path / "plan"),
                 "--quiet"]) == 0
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert (summary["status"], summary["time_limit_reached"]) == ("feasible", True)
    # the bound is there: on the priority (when that is not proven) or else on the cost
    assert summary["priority_bound"] > summary["priority"] or (
        summary["cost_bound_km"] is not None and summary["gap"] is not None)
    report = checker.check_pairing(*inputs, None, tmp_path / "plan")
    assert report.ok, report.text()


def test_a_limit_too_short_for_any_plan_says_how_long_it_takes(tmp_path, capsys):
    out = tmp_path / "plan"
    code = main(["pair", "--volunteers", str(MINLE / "volunteers.csv"), "--elders",
                 str(MINLE / "elders.csv"), "--time-limit", "0.0001", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--time-limit: 0.0001 s is too short for any plan at this size" in err
    assert "give --time-limit 2 or more" in err  # reading Minle takes well under half a second
    assert "Traceback" not in err
    assert not out.exists()


def test_the_budget_keeps_a_share_for_writing():
    budget = Budget(100.0, started=0.0)
    # 100 s less the writing reserve (5%), less the time spent since "started" (the clock
    # is far past 0, so nothing is left)
    assert WRITE_RESERVE_SHARE == 0.05
    assert budget.left() == 0.0
    fresh = Budget(100.0)
    assert 94.9 < fresh.left() <= 95.0
