"""Independent parts, solved here or on a Dask cluster that the test starts and stops.

Three towns 33 km apart share no candidate pair: the pairing splits into exactly three
parts, each solved on its own, and the plan is the same, byte for byte, whether the parts
are solved one after another here or on a local cluster of two worker processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import matching
from matching import checker
from matching.cli import main
from matching.pairing.solver import split
from matching.runtime import cluster
from tests.conftest import input_args, snapshot, write_towns

TOWNS = 3


@pytest.fixture(scope="module")
def towns(tmp_path_factory) -> Path:
    return write_towns(tmp_path_factory.mktemp("towns"), TOWNS)


def test_three_towns_are_three_parts_and_their_plans_put_together_are_optimal(towns):
    world = matching.read_world(towns / "volunteers.csv", towns / "elders.csv",
                                towns / "relations.csv")
    problem = matching.build_problem(world)
    parts = split(problem)
    assert len(parts) == TOWNS
    assert sum(part.num_pairs for part in parts) == problem.num_arcs  # no pair left out
    whole = matching.solve(problem)
    assert whole.is_optimal()
    # each town solved as a world of its own gives the same priority and cost in sum
    priority, cost = 0, 0
    for k in range(TOWNS):
        def mine(ids, k=k):
            return [i.startswith(f"T{k}-") for i in ids]

        town = matching.read_world(
            world.sources["volunteers"][mine(world.volunteers.volunteer_id)],
            world.sources["elders"][mine(world.elders.elder_id)],
            world.sources["relations"][mine(world.relations.volunteer_id)])
        alone = matching.solve(matching.build_problem(town))
        priority, cost = priority + alone.priority, cost + alone.cost_units
    assert (whole.priority, whole.cost_units) == (priority, cost)
    figures = whole.figures()
    assert figures["decomposition"] == {"regions": 1, "parts": 3, "largest_part_pairs": max(
        p.num_pairs for p in parts), "independent": True, "global_optimum": True}


@pytest.mark.slow
def test_a_local_cluster_gives_the_same_bytes(towns, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    assert main(["pair", *input_args(towns), "--out", str(here), "--quiet"]) == 0
    assert main(["pair", *input_args(towns), "--out", str(there), "--quiet",
                 "--cluster", "local:2"]) == 0
    assert snapshot(here) == snapshot(there)
    summary = json.loads((there / "summary.json").read_text())
    assert summary["decomposition"]["parts"] == 3
    report = checker.check_pairing(towns / "volunteers.csv", towns / "elders.csv",
                                   towns / "relations.csv", None, there)
    assert report.ok, report.text()


@pytest.mark.slow
def test_a_scenario_on_a_cluster_replans_the_same(towns, tmp_path):
    """[solver] cluster in a scenario: the baseline and the re-plan after a tenth leave."""
    text = (f'[inputs]\nvolunteers = "{towns / "volunteers.csv"}"\n'
            f'elders = "{towns / "elders.csv"}"\nrelations = "{towns / "relations.csv"}"\n'
            "[whatif]\nleaving_share = 0.1\nleaving_seed = 4\n")
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    plain, spread = tmp_path / "here" / "s.toml", tmp_path / "there" / "s.toml"
    plain.write_text(text, encoding="utf-8")
    spread.write_text(text + '[solver]\ncluster = "local:2"\n', encoding="utf-8")
    assert main(["run", str(plain), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert main(["run", str(spread), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a.pop("scenario.toml") != b.pop("scenario.toml")  # it records the cluster
    assert a == b
    assert len(pd.read_csv(tmp_path / "a" / "changes.csv")) > 0


@pytest.mark.parametrize(("spec", "message"), [
    ("local:0", '"local:0" asks for no workers'),
    ("local:two", '"local:two" is not local:N'),
    ("my laptop", '"my laptop" is neither local:N nor a Dask scheduler address'),
])
def test_a_bad_cluster_is_bad_input(towns, tmp_path, capsys, spec, message):
    code = main(["pair", *input_args(towns), "--out", str(tmp_path / "o"), "--quiet",
                 "--cluster", spec])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_clear_line(towns, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    code = main(["pair", *input_args(towns), "--out", str(tmp_path / "o"), "--quiet",
                 "--cluster", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()
