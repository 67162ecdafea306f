"""matching: planning engine for community elder mutual-aid programmes ("60 helps 90").

The pipeline, for scripts and notebooks::

    import matching
    world = matching.read_world("volunteers.csv", "elders.csv", "relations.csv")
    problem = matching.build_problem(world)
    result = matching.solve(problem, time_limit=60, seed=0)
    result.assignments, result.unassigned, print(result.summary())

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
    "InputError": "matching.errors", "Problem": "matching.errors",
    "PairingProblem": "matching.problem", "build_problem": "matching.problem",
    "World": "matching.read", "read_table": "matching.read", "read_world": "matching.read",
    "PairingResult": "matching.result", "Status": "matching.result",
    "Rules": "matching.rules", "Run": "matching.run", "load_run": "matching.run",
    "solve": "matching.pairing",
}

if TYPE_CHECKING:
    from matching.errors import InputError, Problem
    from matching.pairing import solve
    from matching.problem import PairingProblem, build_problem
    from matching.read import World, read_table, read_world
    from matching.result import PairingResult, Status
    from matching.rules import Rules
    from matching.run import Run, load_run


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
    "InputError",
    "PairingProblem",
    "PairingResult",
    "Problem",
    "Rules",
    "Run",
    "Status",
    "World",
    "__version__",
    "build_problem",
    "load_run",
    "read_table",
    "read_world",
    "solve",
]
