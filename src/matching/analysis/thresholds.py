"""Exact thresholds: how many volunteers may leave, along an order, before an elder goes
unserved.

Two questions, each answered for one leaving order (:mod:`matching.analysis.leaving_orders`):

* ``top_tier``: the largest number leaving with every elder of the highest priority still
  served (the others may go without);
* ``all``: the largest number leaving with every elder served.

Fewer volunteers never serve more, so each answer is a cut along the order, found by
bisection. Each step asks whether those elders can all be served at once under the pairing's
own rules (:func:`serve_all`: the engine's min-cost flow, then if needed a CP-SAT model).
The cut is proven by the two steps either side of it: at ``leavers`` a pairing serves them
all (a witness), at ``leavers + 1`` a bound proves that no pairing does (``proven``).
Nothing depends on the other steps the bisection tried. How many are served one past the
cut is the engine's own pairing's count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.sparse.csgraph import connected_components

from matching.pairing.options import SolveOptions
from matching.pairing.problem import build_problem
from matching.pairing.regions import solve_world
from matching.world.columns import ELDER_ID
from matching.world.model import World, only_elders, without_volunteers

#: The two questions, in the order of ``thresholds.csv``.
THRESHOLD_KINDS = ("top_tier", "all")

#: Columns of :func:`find_thresholds`'s table.
THRESHOLD_COLUMNS = ("what", "leavers", "share", "volunteers_left", "elders", "tier",
                     "served_at_leavers", "served_one_more", "proven", "pairings")


#: The engine's strategies a step asks for: none, so only its min-cost flow runs.
FLOW_ONLY: frozenset[str] = frozenset()

#: Fewest seconds any connected part's model gets.
MIN_PART_SECONDS = 1.0

#: CP-SAT workers for each step's model.
STEP_WORKERS = 2


@dataclass(frozen=True)
class _Trial:
    """One step along the order: can all the elders asked about be served, and is a "no"
    proven."""

    all_served: bool
    proven: bool


def serve_all(world: World, *, seed: int = 0, time_limit: float = 60.0) -> tuple[bool, bool]:
    """Whether every elder of ``world`` can be served at once, and whether a "no" is
    proven (a "yes" always is: a pairing serving them all is its witness).

    The engine's min-cost flow (its first step, :mod:`matching.pairing.solver`) answers
    most steps at once: its plan serving everyone is a witness, and its priority bound
    below the whole priority proves that no plan does. Only when neither settles it, a
    CP-SAT model per connected part of who may serve whom (every elder of the part served
    once, within each volunteer's count and weekly minutes) decides; the time limit is
    shared by the parts in proportion to their elders.
    """
    quick = solve_world(world, SolveOptions(time_limit=time_limit, seed=seed,
                                            strategies=FLOW_ONLY))
    if quick.assignments[ELDER_ID].nunique() == len(world.elders):
        return True, True
    if quick.priority_bound < int(world.elders.priority.sum()):
        return False, True
    return _serve_all_by_model(world, seed, time_limit)


def _serve_all_by_model(world: World, seed: int, time_limit: float) -> tuple[bool, bool]:
    problem = build_problem(world)
    reached = np.zeros(problem.num_elders, dtype=bool)
    reached[problem.arc_e] = True
    if not reached.all():
        return False, True
    n_v, n_e = problem.num_volunteers, problem.num_elders
    if n_e == 0:
        return True, True
    graph = sp.csr_matrix((np.ones(problem.num_arcs, dtype=np.int8),
                           (problem.arc_v, n_v + problem.arc_e)), shape=(n_v + n_e, n_v + n_e))
    _, label = connected_components(graph, directed=False)
    arc_part = label[problem.arc_v]
    order = np.argsort(arc_part, kind="stable")
    bounds = np.flatnonzero(np.diff(arc_part[order])) + 1
    for arcs in np.split(order, bounds):
        elders = np.unique(problem.arc_e[arcs])
        model = cp_model.CpModel()
        take = [model.new_bool_var("") for _ in arcs]
        by_elder: dict[int, list[int]] = {}
        by_volunteer: dict[int, list[int]] = {}
        for i, a in enumerate(arcs):
            by_elder.setdefault(int(problem.arc_e[a]), []).append(i)
            by_volunteer.setdefault(int(problem.arc_v[a]), []).append(i)
        for group in by_elder.values():
            model.add_exactly_one(take[i] for i in group)
        for v, group in by_volunteer.items():
            if len(group) > problem.cap_count[v]:
                model.add(sum(take[i] for i in group) <= int(problem.cap_count[v]))
            loads = [int(problem.arc_load[arcs[i]]) for i in group]
            if sum(sorted(loads)[-int(problem.cap_count[v]):] if problem.cap_count[v] else
                   [0]) > problem.cap_load[v]:
                model.add(sum(w * take[i] for w, i in zip(loads, group, strict=True))
                          <= int(problem.cap_load[v]))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(
            MIN_PART_SECONDS, time_limit * len(elders) / n_e)
        solver.parameters.random_seed = seed
        # the answer (feasible or not) does not depend on which worker finds it
        solver.parameters.num_workers = STEP_WORKERS
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return False, True
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, False
    return True, True


def find_thresholds(world: World, order: list[str], *, seed: int = 0,
                    time_limit: float = 60.0, workers: int | None = None,
                    progress: Callable[[str, int], None] | None = None) -> pd.DataFrame:
    """The largest number of volunteers leaving along ``order`` with every top-tier elder,
    and with every elder, still served.

    Parameters
    ----------
    world
        The world before anyone leaves.
    order
        Volunteer ids in the order they leave (all of ``order[:k]`` leave when ``k`` do).
    seed, time_limit, workers
        For each pairing.
    progress
        Called with (question, pairings so far) after each pairing.

    Returns
    -------
    pandas.DataFrame
        One row per question (:data:`THRESHOLD_KINDS`): ``what``, ``leavers`` (``<NA>``
        when not even nobody leaving serves them all), ``share`` (of ``order``),
        ``volunteers_left``, ``elders`` (how many the question is about), ``tier`` (the
        top tier's priority), ``served_at_leavers`` and ``served_one_more`` (of those
        elders), ``proven`` (the pairing one past the cut is proven to serve fewer) and
        ``pairings`` (how many the bisection ran).
    """
    options = SolveOptions(time_limit=time_limit, seed=seed, workers=workers)
    priority = world.elders.priority.astype(int)
    top = int(priority.max()) if len(priority) else 0
    rows = []
    for what in THRESHOLD_KINDS:
        asked = world if what == "all" else only_elders(
            world, {str(e) for e, p in zip(world.elders.elder_id, priority, strict=True)
                    if p == top})
        size = len(asked.elders)
        trials: dict[int, _Trial] = {}

        def trial(k: int, asked: World = asked, trials: dict[int, _Trial] = trials,
                  what: str = what) -> _Trial:
            if k not in trials:
                trials[k] = _Trial(*serve_all(without_volunteers(asked, set(order[:k])),
                                              seed=seed, time_limit=time_limit))
                if progress is not None:
                    progress(what, len(trials))
            return trials[k]

        def served(k: int, asked: World = asked) -> int:
            plan = solve_world(without_volunteers(asked, set(order[:k])), options)
            return int(plan.assignments[ELDER_ID].nunique())

        leavers = _largest_true(len(order), lambda k: trial(k).all_served)
        row: dict[str, object] = {"what": what, "elders": size,
                                  "tier": top if what == "top_tier" else pd.NA}
        if leavers is None:
            row.update(leavers=pd.NA, share=pd.NA, volunteers_left=pd.NA,
                       served_at_leavers=pd.NA, served_one_more=served(0),
                       proven=trial(0).proven)
        else:
            beyond = trials.get(leavers + 1)
            row.update(leavers=leavers, share=leavers / len(order) if order else 0.0,
                       volunteers_left=len(world.volunteers) - leavers,
                       served_at_leavers=size,
                       served_one_more=pd.NA if beyond is None else served(leavers + 1),
                       proven=True if beyond is None else beyond.proven)
        row["pairings"] = len(trials)
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(THRESHOLD_COLUMNS))
    for column in ("leavers", "volunteers_left", "elders", "tier", "served_at_leavers",
                   "served_one_more", "pairings"):
        table[column] = table[column].astype("Int64")
    table["share"] = table["share"].astype("Float64")
    table["proven"] = table["proven"].astype(bool)
    return table


def _largest_true(n: int, holds: Callable[[int], bool]) -> int | None:
    """The largest ``k`` in ``0..n`` for which ``holds`` (true up to some point, then
    false), or ``None`` if not even at 0."""
    if not holds(0):
        return None
    if holds(n):
        return n
    low, high = 0, n  # holds(low), not holds(high)
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            low = middle
        else:
            high = middle
    return low


def thresholds_of_orders(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Several orders' thresholds as one table, an ``order`` column (1, 2, ...) first."""
    return pd.concat([t.assign(order=k + 1) for k, t in enumerate(tables)],
                     ignore_index=True)[["order", *THRESHOLD_COLUMNS]]


def threshold_band(table: pd.DataFrame) -> pd.DataFrame:
    """Per question, the least, (lower) median and most ``leavers`` across orders."""
    rows = []
    for what in THRESHOLD_KINDS:
        values = np.sort(table.loc[table["what"] == what, "leavers"].dropna().to_numpy(int))
        if len(values):
            rows.append({"what": what, "min": int(values[0]),
                         "median": int(values[(len(values) - 1) // 2]),
                         "max": int(values[-1]), "orders": len(values)})
    return pd.DataFrame(rows, columns=["what", "min", "median", "max", "orders"])


__all__ = ["THRESHOLD_COLUMNS", "THRESHOLD_KINDS", "find_thresholds", "threshold_band",
           "thresholds_of_orders"]
