"""Properties of the pairing over random small worlds (hypothesis).

* every plan respects every rule, and the independent checker agrees;
* the pairing equals the independent ``reference_optimum`` exactly;
* the optimum never gets worse when a volunteer is added or a capacity is raised;
* re-planning with nobody leaving changes nothing;
* reading a file that ``matching`` wrote gives back the same data.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import matching
from matching import checker
from matching.outputs.runfolder import RunFolder
from matching.outputs.write import write_outputs
from matching.pairing.replan import replan
from matching.world.generate import WorldSpec, generate_world
from matching.world.read import read_table

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

worlds = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "volunteers": st.integers(2, 14),
    "elders": st.integers(1, 30),
    # tight weeks make the solver branch and bound; loose ones leave it to the flow
    "weekly": st.sampled_from([[90, 120, 150], [100, 200, 300], [2000]]),
    "max_elders": st.sampled_from([[1, 2], [2, 3, 4], [3]]),
})

#: Where each case is written (hypothesis runs many cases in one test's tmp_path).
_counter = itertools.count()


def tables(case: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    spec = WorldSpec(case["volunteers"], case["elders"], lat_range=(35.596, 35.606),
                     lon_range=(110.962, 110.975), communities=2, spread_km=0.4)
    world = generate_world(spec, seed=case["seed"])
    rng = np.random.default_rng(case["seed"])
    vols = world.volunteers.copy()
    vols["weekly_minutes"] = rng.choice(case["weekly"], len(vols)).astype(str)
    vols["max_elders"] = rng.choice(case["max_elders"], len(vols)).astype(str)
    return vols, world.elders, world.relations


def solve_files(folder: Path, vols: pd.DataFrame, elds: pd.DataFrame, rels: pd.DataFrame
                ) -> tuple[matching.PairingResult, list[Path]]:
    folder.mkdir(parents=True)
    paths = [folder / "v.csv", folder / "e.csv", folder / "r.csv"]
    for path, frame in zip(paths, (vols, elds, rels), strict=True):
        frame.to_csv(path, index=False)
    world = matching.read_world(*paths)
    result = matching.solve(matching.build_problem(world), matching.SolveOptions(time_limit=30))
    assert result.is_optimal()
    RunFolder.for_pairing(result).write(folder / "plan")
    return result, paths


def objective(result: matching.PairingResult) -> tuple[int, float]:
    """(priority, cost) of a plan, in the contract's strict order."""
    figures = result.figures()
    return int(figures["priority"]), float(figures["cost_km"])


@SETTINGS
@given(case=worlds)
@pytest.mark.slow
def test_every_plan_keeps_every_rule_and_is_the_reference_optimum(tmp_path, case):
    folder = tmp_path / f"case{next(_counter)}"
    _, paths = solve_files(folder, *tables(case))
    report = checker.check_pairing(*paths, None, folder / "plan")
    assert report.ok, report.text()
    priority, cost = checker.reference_optimum(checker.CheckWorld.read(*paths))
    assert report.figures["priority"] == priority
    assert report.figures["cost"] == pytest.approx(cost, abs=1e-3)


@SETTINGS
@given(case=worlds, which=st.sampled_from(["add", "max_elders", "weekly_minutes"]),
       pick=st.integers(0, 10_000))
@pytest.mark.slow
def test_more_room_never_makes_the_optimum_worse(tmp_path, case, which, pick):
    """Adding a volunteer (a copy of one, moved 300 m), or raising one volunteer's
    max_elders by 1 or weekly minutes by 60, never lowers the priority served nor, at equal
    priority, raises the cost."""
    vols, elds, rels = tables(case)
    before, _ = solve_files(tmp_path / f"case{next(_counter)}", vols, elds, rels)
    more = vols.copy()
    i = pick % len(vols)
    if which == "add":
        extra = more.iloc[[i]].copy()
        extra["volunteer_id"] = "NEW"
        extra["lat"] = f"{float(extra['lat'].iloc[0]) + 0.0027:.6f}"  # 300 m north
        more = pd.concat([more, extra], ignore_index=True)
    elif which == "max_elders":
        more.loc[i, "max_elders"] = str(int(more.loc[i, "max_elders"]) + 1)
    else:
        more.loc[i, "weekly_minutes"] = str(int(more.loc[i, "weekly_minutes"]) + 60)
    after, _ = solve_files(tmp_path / f"case{next(_counter)}", more, elds, rels)
    (p0, c0), (p1, c1) = objective(before), objective(after)
    assert p1 >= p0
    if p1 == p0:
        assert c1 <= c0 + 1e-6


@SETTINGS
@given(case=worlds)
@pytest.mark.slow
def test_replanning_with_nobody_leaving_changes_nothing(tmp_path, case):
    folder = tmp_path / f"case{next(_counter)}"
    result, paths = solve_files(folder, *tables(case))
    world = matching.read_world(*paths)
    previous = dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                        strict=True))
    again = replan(world, previous, set())
    assert len(again.changes) == 0
    kept = dict(zip(again.assignments["elder_id"], again.assignments["volunteer_id"],
                    strict=True))
    assert kept == previous


#: Cells as offices type them: Chinese, commas, quotes, semicolons, tabs and line breaks
#: inside, leading zeros, and cells a spreadsheet would run as formulas.
cells = st.text(alphabet=st.sampled_from(list("0123abcXYZ 王秀英,;\t\"'\n=+-@.")),
                max_size=12).map(str.strip)


@SETTINGS
@given(rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=8),
       headers=st.sampled_from(["en", "zh"]))
def test_reading_what_matching_wrote_gives_the_same_data(tmp_path, rows, headers):
    frame = pd.DataFrame({"elder_id": [f"0{i}" for i in range(len(rows))],
                          "name": [a for a, _ in rows], "comment": [b for _, b in rows]})
    out = tmp_path / f"case{next(_counter)}"
    write_outputs(out, {"table.csv": frame}, headers=headers)
    back = read_table(out / "table.csv")
    assert back.reset_index(drop=True).equals(frame), (frame, back)
