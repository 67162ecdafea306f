"""matching: planning engine for community elder mutual-aid programmes ("60 helps 90").

The pipeline, for scripts and notebooks::

    import matching
    world = matching.read_world("volunteers.csv", "elders.csv", "relations.csv")
    problem = matching.build_problem(world)
    result = matching.solve(problem, matching.SolveOptions(time_limit=60, seed=0))
    result.assignments, result.unassigned, print(result.summary())
    world.elders.priority, world.volunteers.frame()   # typed columns; a DataFrame at the edge

    run = matching.load_run("out/minle")      # any output folder, read back
    matching.analysis.coverage(run)           # and studied (matching.analysis)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Where each public name lives. They are imported on first use, so that the command line
#: starts (and answers Ctrl-C) before pandas and OR-Tools are loaded.
_LAZY = {
    "InputError": "matching.rules.errors", "InputIssue": "matching.rules.errors",
    "PairingProblem": "matching.pairing.problem", "build_problem": "matching.pairing.problem",
    "World": "matching.world.model", "read_table": "matching.world.read",
    "read_world": "matching.world.read",
    "PairingResult": "matching.pairing.result", "Status": "matching.pairing.result",
    "Rules": "matching.rules.pairing", "Run": "matching.outputs.folder",
    "load_run": "matching.outputs.folder", "solve": "matching.pairing.solver",
    "SolveOptions": "matching.pairing.options",
    "load_scenario": "matching.workflows.scenario", "run_scenario": "matching.workflows.run",
    "RunOutcome": "matching.workflows.run",
    "find_scenarios": "matching.workflows.scenario",
    "scenario_world": "matching.workflows.whatif",
    "Volunteers": "matching.world.tables", "Elders": "matching.world.tables",
    "Relations": "matching.world.tables", "Pairs": "matching.world.tables",
}

if TYPE_CHECKING:
    from matching.outputs.folder import Run, load_run
    from matching.pairing.options import SolveOptions
    from matching.pairing.problem import PairingProblem, build_problem
    from matching.pairing.result import PairingResult, Status
    from matching.pairing.solver import solve
    from matching.rules.errors import InputError, InputIssue
    from matching.rules.pairing import Rules
    from matching.workflows.run import RunOutcome, run_scenario
    from matching.workflows.scenario import find_scenarios, load_scenario
    from matching.workflows.whatif import scenario_world
    from matching.world.model import World
    from matching.world.read import read_table, read_world
    from matching.world.tables import Elders, Pairs, Relations, Volunteers


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    try:  # a subpackage (matching.analysis, matching.ledger...)
        return importlib.import_module(f"matching.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"matching.{name}":
            raise
        raise AttributeError(f"module 'matching' has no attribute {name!r}") from None


__all__ = [
    "Elders",
    "InputError",
    "InputIssue",
    "PairingProblem",
    "PairingResult",
    "Pairs",
    "Relations",
    "Rules",
    "Run",
    "RunOutcome",
    "SolveOptions",
    "Status",
    "Volunteers",
    "World",
    "__version__",
    "build_problem",
    "find_scenarios",
    "load_run",
    "load_scenario",
    "read_table",
    "read_world",
    "run_scenario",
    "scenario_world",
    "solve",
]
