"""``--time-limit`` bounds the whole command: a limit shorter than the proof gives a checked,
maximal, feasible plan with its bound; a limit shorter than any plan gives a clear message."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matching import checker
from matching.cli import main
from matching.pairing import regions
from matching.runtime.budget import WRITE_RESERVE_SHARE, Budget, too_short
from matching.world.read import read_world
from tests.conftest import small_world

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"


@pytest.mark.slow
def test_a_limit_shorter_than_the_proof_gives_a_checked_feasible_plan(tmp_path):
    """This world's full proof takes about 4 s (CP-SAT after the flow's bounds); with a
    one-second limit for the whole command the plan is feasible, carries its bound and gap,
    and passes the independent checker, maximality included."""
    vols, elds, rels = small_world(2, 30, 90, weekly=[100, 130, 160])
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


def _hard_world(tmp_path: Path) -> list[str]:
    """A world whose proof takes about a minute (60 volunteers whose weeks overflow)."""
    vols, elds, rels = small_world(3, 60, 200, weekly=[100, 130, 160])
    for name, frame in (("v", vols), ("e", elds), ("r", rels)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    return ["--volunteers", str(tmp_path / "v.csv"), "--elders", str(tmp_path / "e.csv"),
            "--relations", str(tmp_path / "r.csv")]


def _start(args: list[str]) -> subprocess.Popen:
    """``matching`` in a process of its own, once it is solving (its progress says so)."""
    process = subprocess.Popen([sys.executable, "-m", "matching.cli", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # type: ignore[union-attr]
        if "left to prove" in line:  # CP-SAT and HiGHS are at work from here on
            break
    time.sleep(SOLVING_SECONDS)
    return process


#: How long the search runs before the signal.
SOLVING_SECONDS = 1.0


@pytest.mark.slow
def test_ctrl_c_keeps_the_best_plan_marked_interrupted(tmp_path):
    inputs = _hard_world(tmp_path)
    process = _start(["pair", *inputs, "--out", str(tmp_path / "plan")])
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    stopped_after = time.perf_counter() - sent
    assert process.returncode == 0, err
    assert "stopping the search; writing the best plan so far" in err
    assert stopped_after < 20  # the proof alone would take about a minute
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["priority_bound"] >= summary["priority"]
    report = checker.check_pairing(*inputs[1::2], None, tmp_path / "plan")
    assert report.ok, report.text()  # every rule, maximality included


@pytest.mark.slow
def test_a_second_ctrl_c_quits_at_once_and_keeps_the_earlier_outputs(tmp_path):
    inputs = _hard_world(tmp_path)
    out = tmp_path / "plan"
    assert main(["pair", *inputs, "--time-limit", "2", "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    process = _start(["pair", *inputs, "--out", str(out)])
    process.send_signal(signal.SIGINT)
    # the first one is taken: the search stops, then writes...
    for line in process.stderr:  # type: ignore[union-attr]
        if "stopping the search" in line:
            break
    process.send_signal(signal.SIGINT)  # ... and the second ends it before it has written
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "the outputs are as they were before" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_large_world_is_told_at_once_when_its_search_would_not_fit(tmp_path, capsys,
                                                                       monkeypatch):
    """Before a large world's candidate search, a sample of it is timed; when that says the
    search alone would outlast the limit, the command says so at once. (Minle stands in
    for a large world here, and the sample's figure is set: 100 s.)"""
    monkeypatch.setattr(regions, "ESTIMATE_MIN_ELDERS", 10)
    monkeypatch.setattr(regions, "search_seconds", lambda world: 100.0)
    code = main(["pair", "--volunteers", str(MINLE / "volunteers.csv"), "--elders",
                 str(MINLE / "elders.csv"), "--time-limit", "30", "--out",
                 str(tmp_path / "plan")])
    assert code == 2
    err = capsys.readouterr().err
    # 2 x (under a second spent + 100 s) + 1
    assert ("30 s is too short for any plan at this size: finding the candidate pairs would "
            "take at least 100 s here") in err
    assert "give --time-limit 201 or more" in err or "give --time-limit 202 or more" in err
    assert not (tmp_path / "plan").exists()


def test_the_sample_times_the_search_of_a_fiftieth_of_the_elders(monkeypatch):
    world = read_world(MINLE / "volunteers.csv", MINLE / "elders.csv")
    sampled = []
    ticks = iter([10.0, 10.4])  # the sample's search takes 0.4 s by this clock

    def search(part):
        sampled.append((len(part.volunteers), list(part.elders.elder_id)))

    monkeypatch.setattr(regions, "build_problem", search)
    monkeypatch.setattr(regions.time, "perf_counter", lambda: next(ticks))
    seconds = regions.search_seconds(world)
    # Minle's 155 elders: the sample is elders 0, 50, 100 and 150 with all 63 volunteers,
    # and its 0.4 s is scaled by 155 / 4
    assert sampled == [(63, ["E00000", "E00050", "E00100", "E00150"])]
    assert seconds == pytest.approx(0.4 * 155 / 4)


def _pair_minle(out: Path, *extra: str, terminal: bool = False) -> str:
    """Standard error of ``matching pair`` on Minle, from a terminal or from a pipe."""
    args = [sys.executable, "-m", "matching.cli", "pair", "--volunteers",
            str(MINLE / "volunteers.csv"), "--elders", str(MINLE / "elders.csv"),
            "--out", str(out), *extra]
    if not terminal:
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr
    main_end, other_end = pty.openpty()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=other_end)
    os.close(other_end)
    seen = b""
    while True:
        try:
            chunk = os.read(main_end, 4096)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(main_end)
    assert process.wait(timeout=120) == 0
    return seen.decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere(tmp_path):
    on_terminal = _pair_minle(tmp_path / "a", "--time-limit", "60", terminal=True)
    assert "of 60 s," in on_terminal and "s left" in on_terminal  # the time bar's words
    assert "\x1b[" in on_terminal  # drawn (and redrawn) with terminal codes
    in_a_log = _pair_minle(tmp_path / "b")
    # the seconds count from the process's start: its imports come first
    assert re.match(r"\[\s+\d+\.\ds\] reading inputs\n", in_a_log), in_a_log
    assert "s left" not in in_a_log and "\x1b[" not in in_a_log
    assert _pair_minle(tmp_path / "c", "--quiet") == ""


@pytest.mark.slow
def test_deterministic_time_gives_the_same_outputs_with_any_number_of_workers(tmp_path):
    """Bounded by CP-SAT's deterministic time instead of the clock, a search that stops
    unproven stops at the same plan with 2 workers and with 8 (every file but timings.json,
    whose wall-clock figures differ by nature)."""
    inputs = _hard_world(tmp_path)
    outputs = []
    for workers in (2, 8):
        out = tmp_path / f"plan-{workers}"
        assert main(["pair", *inputs, "--deterministic-time", "2", "--workers", str(workers),
                     "--out", str(out), "--quiet"]) == 0
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                        if p.is_file() and p.name != "timings.json"})
    assert outputs[0] == outputs[1]
    summary = json.loads(outputs[0][Path("summary.json")])
    assert summary["status"] == "feasible"  # the budget, not a proof, ended the search
    run = json.loads(outputs[0][Path("run.json")])
    assert run["deterministic_time"] == 2.0


def test_a_search_that_outlasts_the_limit_is_left_behind_at_the_deadline(monkeypatch):
    """The candidate search cannot be cut short; at the deadline the command stops waiting
    for it and says so, rather than waiting for it to end."""
    world = read_world(MINLE / "volunteers.csv", MINLE / "elders.csv")
    real = regions.build_problem

    def slow(part, **kwargs):
        time.sleep(3.0)
        return real(part, **kwargs)

    monkeypatch.setattr(regions, "build_problem", slow)
    started = time.perf_counter()
    with pytest.raises(regions.TooShort) as refused:
        regions._search_within(world, started + 0.3, needs=None)
    assert time.perf_counter() - started < 2.0  # not the 3 s the search takes
    assert refused.value.unfinished
    message = str(too_short(1.0, 0.8, refused.value))
    assert "finding the candidate pairs had not finished after 0.8 s" in message
    # in time, the search's own result comes back
    monkeypatch.setattr(regions, "build_problem", real)
    assert regions._search_within(world, time.perf_counter() + 60, None).num_elders == 155


@pytest.mark.slow
def test_a_schedule_under_deterministic_time_repeats_and_says_so(tmp_path):
    minle = [str(MINLE / f"{k}.csv") for k in ("volunteers", "elders", "relations")]
    assert main(["pair", "--volunteers", minle[0], "--elders", minle[1], "--relations",
                 minle[2], "--out", str(tmp_path / "p"), "--quiet"]) == 0
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["schedule", "--volunteers", minle[0], "--elders", minle[1],
                     "--relations", minle[2], "--assignments",
                     str(tmp_path / "p" / "assignments.csv"), "--start", "2026-03-30",
                     "--weeks", "1", "--deterministic-time", "5", "--out", str(out),
                     "--quiet"]) == 0
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                        if p.is_file() and p.name != "timings.json"})
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][Path("run.json")])["deterministic_time"] == 5.0


@pytest.mark.slow
def test_a_scenario_takes_deterministic_time_from_its_solver_table(tmp_path):
    inputs = _hard_world(tmp_path)
    outputs = []
    for workers in (2, 8):
        scenario = tmp_path / f"s{workers}.toml"
        scenario.write_text(
            f'name = "hard"\n[inputs]\nvolunteers = "{inputs[1]}"\nelders = "{inputs[3]}"\n'
            f'relations = "{inputs[5]}"\n[solver]\ndeterministic_time = 2\n'
            f"workers = {workers}\n", encoding="utf-8")
        out = tmp_path / f"run-{workers}"
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
        outputs.append({name: (out / name).read_bytes()
                        for name in ("assignments.csv", "unassigned.csv", "summary.json")})
        kept = (out / "scenario.toml").read_text(encoding="utf-8")
        assert "deterministic_time = 2" in kept  # the run can be repeated from its folder
    assert outputs[0] == outputs[1]
