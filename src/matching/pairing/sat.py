"""CP-SAT solvers as the engine makes them."""

from __future__ import annotations

from ortools.sat.python import cp_model


def new_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves signals to the command line: its own Ctrl-C handler
    aborts the process when a solve runs outside the main thread, and the command line
    stops searches itself (:func:`matching.runtime.budget.request_stop`)."""
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    return solver
