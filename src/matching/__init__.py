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

from matching.errors import InputError, Problem
from matching.problem import PairingProblem, build_problem
from matching.read import World, read_table, read_world
from matching.result import PairingResult, Status
from matching.rules import Rules
from matching.run import Run, load_run
from matching.solve import solve

__version__ = "0.1.0"

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
