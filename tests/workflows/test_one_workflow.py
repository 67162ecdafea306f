"""One pairing workflow: ``matching pair``, a pairing-only ``matching run`` and the console
plan the same world alike, down to the bytes of assignments.csv."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from matching import checker
from matching.cli import main
from matching.console import create_app
from tests.conftest import input_args, write_towns
from tests.console.test_app import local

#: What differs between the ways in: how long they took, and the folder's own name; and
#: where the summary keeps its distances and notices (a run's summary holds them beside the
#: pairing's figures, pair's among them).
NOT_COMPARED = ("seconds", "solve_seconds", "time", "timings", "distance", "notices")


def pairing_summary(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in NOT_COMPARED}


def scenario(folder: Path, seed: int) -> Path:
    path = folder / "scenario.toml"
    path.write_text("\n".join([
        'name = "two towns"', "[inputs]", *(f'{k} = "{k}.csv"' for k in
                                            ("volunteers", "elders", "relations")),
        "[solver]", "time_limit = 60", f"seed = {seed}",
        "[run]", "pair = true", "schedule = false"]) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_pair_run_and_console_make_the_same_plan(tmp_path, capsys):
    # two towns 33 km apart, so two independent parts (the summaries' decomposition agrees)
    world = write_towns(tmp_path / "world", 2)
    assert main(["pair", *input_args(world), "--out", str(tmp_path / "pair"), "--quiet"]) == 0
    assert main(["run", str(scenario(world, 0)), "--out", str(tmp_path / "run"),
                 "--quiet"]) == 0

    app = create_app(tmp_path / "data")
    files = {k: (f"{k}.csv", (world / f"{k}.csv").read_bytes(), "text/csv")
             for k in ("volunteers", "elders", "relations")}
    with local(app) as client:
        assert client.post("/api/programmes/towns/inputs", files=files).status_code == 200
        started = client.post("/api/programmes/towns/runs",
                              json={"schedule": False, "time_limit": 60, "seed": 0})
        run_id = started.json()["id"]
        deadline = time.monotonic() + 120
        while (status := client.get(f"/api/runs/{run_id}").json())["status"] not in (
                "done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status["status"] == "done", status.get("error")
        console_bytes = client.get(f"/api/runs/{run_id}/files/assignments.csv").content
        console_summary = status["summary"]["pairing"]

    pair_bytes = (tmp_path / "pair" / "assignments.csv").read_bytes()
    assert (tmp_path / "run" / "assignments.csv").read_bytes() == pair_bytes
    assert console_bytes == pair_bytes
    assert (tmp_path / "run" / "unassigned.csv").read_bytes() == \
        (tmp_path / "pair" / "unassigned.csv").read_bytes()

    pair_summary = json.loads((tmp_path / "pair" / "summary.json").read_text("utf-8"))
    run_summary = json.loads((tmp_path / "run" / "summary.json").read_text("utf-8"))
    assert pairing_summary(run_summary["pairing"]) == pairing_summary(pair_summary)
    assert pairing_summary(console_summary) == pairing_summary(pair_summary)
    # the towns are two independent parts, and their 2 x 90 elders all paired
    assert (pair_summary["decomposition"]["parts"], pair_summary["assigned"]) == (2, 180)
    report = checker.check_pairing(world / "volunteers.csv", world / "elders.csv",
                                   world / "relations.csv", None, tmp_path / "pair")
    assert report.ok, report.text()
    assert report.figures["assigned"] == pair_summary["assigned"]
