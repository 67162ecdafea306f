"""Properties every schedule keeps, over random small worlds (hypothesis).

Whatever the world and the horizon: the independent checker finds nothing broken but the
obligations listed in unmet.csv; nobody the elder refuses, or of the wrong gender, comes;
no kind of obligation goes unmet less often than its proven lower bound allows (the bound is
a bound); and no visit is missed where the bound says none must be.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import matching
from matching import checker
from matching.outputs.runfolder import RunFolder
from matching.schedule import schedule_world
from matching.world.generate import WorldSpec, generate_world
from matching.world.read import read_table
from tests.conftest import nothing_dropped_silently

worlds = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "volunteers": st.integers(6, 24),
    "elders": st.integers(6, 40),
    "start": st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 1)),
    "weeks": st.integers(1, 9),
    "from_days": st.sampled_from([0, 0, 0, 3, 10]),
})


@settings(max_examples=12, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate, Phase.target],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=worlds)
@pytest.mark.slow
def test_any_world_keeps_every_promise_it_can(tmp_path: Path, case: dict) -> None:
    """Random world, random horizon; sometimes the schedule is then re-planned from a later
    date, keeping what it published before that date."""
    spec = WorldSpec(case["volunteers"], case["elders"], lat_range=(35.596, 35.606),
                     lon_range=(110.962, 110.975), communities=2, spread_km=0.5)
    world_tables = generate_world(spec, seed=case["seed"])
    folder = tmp_path / f"w{case['seed']}-{case['volunteers']}-{case['elders']}"
    folder.mkdir(exist_ok=True)
    files = {}
    for name in ("volunteers", "elders", "relations"):
        files[name] = folder / f"{name}.csv"
        getattr(world_tables, name).to_csv(files[name], index=False)
    world = matching.read_world(files["volunteers"], files["elders"], files["relations"])
    RunFolder.for_pairing(matching.solve(matching.build_problem(world))).write(folder / "pairing")
    start, weeks = case["start"], case["weeks"]
    assignments = read_table(folder / "pairing" / "assignments.csv")
    result = schedule_world(world, assignments, start, weeks)
    if case["from_days"]:
        RunFolder.for_schedule(result).write(folder / "first")
        result = schedule_world(world, assignments, start, weeks,
                                from_date=start + dt.timedelta(days=case["from_days"]),
                                previous=read_table(folder / "first" / "schedule.csv"))
    RunFolder.for_schedule(result).write(folder / "plan")
    report = checker.check_schedule_files(files["volunteers"], files["elders"],
                                          files["relations"], None, folder / "plan", start,
                                          weeks)
    nothing_dropped_silently(report, result)
    assert "call" not in report.broken, report.text()
    for kind, figures in result.unmet_by_kind().items():
        assert figures["unmet"] >= figures["lower_bound"], (kind, figures)
    visits = result.unmet_by_kind()["visit"]
    if visits["lower_bound"] == 0:
        assert visits["unmet"] == 0
