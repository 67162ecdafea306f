"""The pairing model in CP-SAT, for the parts of a world where weekly minutes bind.

The model is solved lexicographically in two stages, each proven on its own:

1. maximise the total priority of the elders covered;
2. keep that total and minimise ``sum(cost)``.

Stage 1 is skipped when the hint already reaches the flow relaxation's priority, which is then
proven optimal. Solver objects never leave this module: it takes and returns numpy arrays.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matching.pairing import improve
from matching.pairing.arcmodel import ArcModel
from matching.pairing.sat import new_solver
from matching.runtime.budget import NEVER, Stop


@dataclass(frozen=True)
class CpOutcome:
    """What CP-SAT found for one component.

    Attributes
    ----------
    used
        For each arc given, whether the plan uses it.
    proven
        Whether both stages were proven optimal.
    priority, priority_bound
        Total priority covered, and the best upper bound known for it.
    cost, cost_bound
        Total cost, and a lower bound on the cost of any plan with the same priority
        (meaningful when the priority is proven).
    """

    used: np.ndarray
    proven: bool
    priority: int
    priority_bound: int
    cost: int
    cost_bound: int


def solve_cpsat(model_data: ArcModel, hint: np.ndarray, priority_upper: int,
                cost_lower: int, *, time_limit: float, seed: int, workers: int,
                deterministic_time: float | None = None, stop: Stop = NEVER) -> CpOutcome:
    """Solve one component exactly, or as well as the time limit allows.

    Parameters
    ----------
    hint
        A feasible plan (arc mask) to start from; returned if nothing better is found.
    priority_upper, cost_lower
        Bounds known from the flow relaxation.
    deterministic_time
        Instead of ``time_limit``: CP-SAT's deterministic time for the whole component, so
        that the plan is the same on any machine and with any ``workers`` (no HiGHS, whose
        search is bounded by the clock; large-neighbourhood steps counted, not timed).
    stop
        A request to end every search of the component at once.
    """
    work = None if deterministic_time is None else WorkLeft(deterministic_time)
    deadline = time.monotonic() + (float("inf") if work is not None else max(time_limit, 0.0))
    data = model_data
    weights = data.priority[data.arc_e]
    everyone = int(data.priority[np.unique(data.arc_e)].sum())
    best = hint.astype(bool).copy()
    best_priority = int(weights[best].sum())
    priority_upper = min(priority_upper, everyone)
    priority_bound = priority_upper
    proven_priority = best_priority >= priority_upper
    if not proven_priority:
        m, x = _model(data)
        m.maximize(cp_model.LinearExpr.weighted_sum(x, weights.tolist()))
        status, found, bound = _search(m, x, best, deadline, seed, workers,
                                       work.share(PRIORITY_WORK_SHARE) if work else None, stop)
        if found is not None:
            if int(weights[found].sum()) >= best_priority:
                best, best_priority = found, int(weights[found].sum())
            priority_bound = min(priority_upper, int(np.floor(bound + 1e-6)))
        proven_priority = status == cp_model.OPTIMAL or best_priority >= priority_bound
        priority_bound = max(priority_bound, best_priority)
    # Stage 2. When few are left out, "exactly one of (a volunteer, left out) per elder, and
    # the priority left out at most everyone - P" says the same as "total priority >= P" and
    # gives CP-SAT a far stronger model (several times faster); when many are left out, the
    # out-variables only add symmetry and the plain constraint is better.
    left_out = everyone - best_priority
    if left_out <= FEW_LEFT_OUT * everyone:
        m, x = _model(data, left_out=left_out)
    else:
        m, x = _model(data)
        m.add(cp_model.LinearExpr.weighted_sum(x, weights.tolist()) >= best_priority)
    m.minimize(cp_model.LinearExpr.weighted_sum(x, data.arc_cost.tolist()))
    remaining = deadline - time.monotonic()
    best_cost = int(data.arc_cost[best].sum())
    # the flow's cost bounds only plans that reach the flow's priority
    cost_bound = (cost_lower if best_priority >= priority_upper
                  else int(np.minimum(data.arc_cost, 0).sum()))
    proven = False
    if work is not None:
        status, found, bound = _search(m, x, best, deadline, seed, workers,
                                       work.share(MAIN_WORK_SHARE), stop)
        if found is not None:
            if int(data.arc_cost[found].sum()) <= best_cost:
                best, best_cost = found, int(data.arc_cost[found].sum())
            cost_bound = max(cost_bound, int(np.ceil(bound - 1e-6)))
        proven = proven_priority and (status == cp_model.OPTIMAL or best_cost <= cost_bound)
        steps = int(work.left / improve.LNS_STEP_DETERMINISTIC_TIME)
        if not proven and steps > 0:
            best = improve.improve_by_neighbourhoods(data, best, deadline, seed, steps=steps,
                                                     stop=stop)
            best_cost = int(data.arc_cost[best].sum())
            proven = proven_priority and best_cost <= cost_bound
    elif remaining > 0.01:
        # CP-SAT first; what it leaves unproven, HiGHS (on components small enough for it)
        # with large-neighbourhood search beside it, or the search alone, take on. Where
        # HiGHS follows, CP-SAT gets only its quick single-worker phase: on the hardest small
        # components (OR-Library types D and E) HiGHS's branch-and-cut does far more with
        # the time than the portfolio.
        highs_next = len(data.arc_v) <= HIGHS_MAX_PAIRS
        search_until = time.monotonic() + remaining * (
            SEARCH_SHARE_BEFORE_HIGHS if highs_next else LNS_MAIN_SHARE)
        status, found, bound = _search(m, x, best, search_until, seed,
                                       1 if highs_next else workers, stop=stop)
        if found is not None:
            if int(data.arc_cost[found].sum()) <= best_cost:
                best, best_cost = found, int(data.arc_cost[found].sum())
            cost_bound = max(cost_bound, int(np.ceil(bound - 1e-6)))
        proven = proven_priority and (status == cp_model.OPTIMAL or best_cost <= cost_bound)
        if not proven and deadline - time.monotonic() > LNS_MIN_SECONDS and highs_next:
            # HiGHS next, in its own thread to the deadline: its branch-and-cut often closes
            # what CP-SAT's search leaves open where weeks bind hard, and its dual bound is a
            # bound. Beside it, on the other core, large-neighbourhood search improves the
            # best plan either has found. A plan HiGHS proves optimal is the one kept: its
            # search takes nothing from the other, so that plan is the same in every run.
            shared = improve.SharedPlan(data.arc_cost, best)
            with ThreadPoolExecutor(max_workers=1) as pool:
                job = pool.submit(improve.highs_plan, data, best_priority, deadline,
                                  start=best, shared=shared, stop=stop)
                improve.improve_by_neighbourhoods(data, best, deadline, seed, shared=shared,
                                                  until=job.done, stop=stop)
                found, highs_bound, optimal = job.result()
            if found is not None:
                shared.offer(found)
            best, best_cost = (found, int(data.arc_cost[found].sum())) \
                if optimal and found is not None else shared.best()
            if highs_bound is not None:
                cost_bound = max(cost_bound, highs_bound)
            proven = proven_priority and (optimal or best_cost <= cost_bound)
        if not proven and deadline - time.monotonic() > LNS_MIN_SECONDS:
            best = improve.improve_by_neighbourhoods(data, best, deadline, seed, stop=stop)
            best_cost = int(data.arc_cost[best].sum())
            proven = proven_priority and best_cost <= cost_bound
    return CpOutcome(used=best, proven=proven, priority=best_priority,
                     priority_bound=priority_bound, cost=best_cost,
                     cost_bound=min(cost_bound, best_cost))


class WorkLeft:
    """CP-SAT's deterministic time left for a component (``--deterministic-time``), or for
    one stage of it (:meth:`share`), whose spending counts against the whole too."""

    def __init__(self, seconds: float, whole: WorkLeft | None = None) -> None:
        self.left = seconds
        self._whole = whole

    def spend(self, seconds: float) -> None:
        """Count what a solve used."""
        self.left = max(0.0, self.left - seconds)
        if self._whole is not None:
            self._whole.spend(seconds)

    def share(self, fraction: float) -> WorkLeft:
        """A part of what is left, for one stage; what it does not use stays for later."""
        return WorkLeft(self.left * fraction, self)


#: Under ``--deterministic-time``: the share of a component's work for stage 1 (the
#: priority) and for stage 2's CP-SAT search; large-neighbourhood steps use the rest.
PRIORITY_WORK_SHARE = 0.5
MAIN_WORK_SHARE = 0.5

#: CP-SAT subsolvers interleaved under ``--deterministic-time``, whatever ``--workers``
#: says: the plan must not depend on the number of threads.
DETERMINISTIC_LANES = 8

#: Deterministic time below which a CP-SAT solve is not started.
MIN_DETERMINISTIC_TIME = 0.01


#: Share of stage 2's time the full CP-SAT search gets before HiGHS and large-neighbourhood
#: search (:mod:`matching.pairing.improve`) take the rest (when it has not proven the optimum).
LNS_MAIN_SHARE = 0.25

#: Share of stage 2's time CP-SAT's quick single-worker search gets where HiGHS follows.
SEARCH_SHARE_BEFORE_HIGHS = 0.05

#: Largest component HiGHS is handed: its branch-and-cut closes small, tight components
#: (the OR-Library's have up to 4,000 pairs); on a city's restricted component its presolve
#: alone can outlast the budget, which the time limit does not interrupt.
HIGHS_MAX_PAIRS = 20_000

#: Least time worth starting a large-neighbourhood search with.
LNS_MIN_SECONDS = 0.5


def _model(data: ArcModel,
           left_out: int | None = None) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """Variables ``x[k]`` (pair k is in the plan) and the capacity rules.

    With ``left_out`` set, the priority of the elders left without a volunteer is at most
    that much.
    """
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{k}") for k in range(len(data.arc_v))]
    _one_volunteer_per_elder(m, x, data, left_out)
    _volunteer_capacity(m, x, data)
    return m, x


#: Whether the parallel phase interleaves its workers deterministically (slower, but the same
#: inputs and seed then give the same plan even when that phase has to prove the optimum).
DETERMINISTIC_PORTFOLIO = True

#: Share of the total priority that may be left out for stage 2 to use explicit out-variables.
FEW_LEFT_OUT = 0.05

#: Deterministic time (CP-SAT's own, machine-independent units) given to a single worker
#: before the parallel portfolio takes over. Small models are proven within it.
QUICK_DETERMINISTIC_TIME = 30.0


def _search(m: cp_model.CpModel, x: list[cp_model.IntVar], hint: np.ndarray, deadline: float,
            seed: int, workers: int, work: WorkLeft | None = None, stop: Stop = NEVER
            ) -> tuple[cp_model.CpSolverStatus, np.ndarray | None, float]:
    """Solve ``m`` from ``hint``: first one worker for a short deterministic budget, then, if
    that did not prove the optimum, the interleaved parallel portfolio.

    Both phases are deterministic (``interleave_search``), so the same inputs and seed give the
    same plan unless the wall-clock limit cuts a search short.

    Returns
    -------
    status, values (or ``None`` if nothing was found), objective bound
    """
    found: np.ndarray | None = None
    status, bound = cp_model.UNKNOWN, 0.0
    if work is not None:  # the same lanes whatever the threads, so the same plan
        workers = DETERMINISTIC_LANES
    phases = [(1, QUICK_DETERMINISTIC_TIME)]
    if workers > 1:
        phases.append((workers, float("inf")))
    for n_workers, det_time in phases:
        remaining = deadline - time.monotonic()
        if work is not None:
            det_time = min(det_time, work.left)
            if det_time <= MIN_DETERMINISTIC_TIME:
                break
        if remaining <= 0.01 or stop.requested:
            break
        m.clear_hints()
        _hint(m, x, hint if found is None else found)
        solver = new_solver()
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = n_workers
        solver.parameters.interleave_search = n_workers > 1 and DETERMINISTIC_PORTFOLIO
        if np.isfinite(remaining):
            solver.parameters.max_time_in_seconds = remaining
        if det_time != float("inf"):
            solver.parameters.max_deterministic_time = det_time
        with stop.stopping(solver.stop_search):
            status = solver.solve(m)
        if work is not None:
            work.spend(solver.deterministic_time)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
            bound = solver.best_objective_bound
        if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
            break
    return status, found, bound


def _hint(m: cp_model.CpModel, x: list[cp_model.IntVar], used: np.ndarray) -> None:
    for var, value in zip(x, used.tolist(), strict=True):
        m.add_hint(var, value)


def _one_volunteer_per_elder(m: cp_model.CpModel, x: list[cp_model.IntVar], data: ArcModel,
                             left_out: int | None = None) -> None:
    """Each elder has at most one primary volunteer: ``sum_v x[v, e] <= 1``.

    With a budget ``B`` for the priority left out: ``sum_v x[v, e] + out[e] = 1`` and
    ``sum_e priority[e] * out[e] <= B`` (no ``out`` variables at all when ``B`` is 0).
    """
    starts = np.flatnonzero(np.r_[True, data.arc_e[1:] != data.arc_e[:-1]])
    ends = np.r_[starts[1:], len(data.arc_e)]
    out_vars, out_weights = [], []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if left_out is None:
            if b - a > 1:
                m.add_at_most_one(x[a:b])
        elif left_out == 0:
            m.add_exactly_one(x[a:b])
        else:
            out = m.new_bool_var(f"out{int(data.arc_e[a])}")
            m.add_exactly_one([*x[a:b], out])
            out_vars.append(out)
            out_weights.append(int(data.priority[data.arc_e[a]]))
    if out_vars:
        m.add(cp_model.LinearExpr.weighted_sum(out_vars, out_weights) <= int(left_out or 0))


def _volunteer_capacity(m: cp_model.CpModel, x: list[cp_model.IntVar], data: ArcModel) -> None:
    """Each volunteer: ``sum_e x[v, e] <= max_elders`` and ``sum_e load[v, e] x[v, e] <= W_v``.

    Each constraint is added only where it can bind.
    """
    order = np.argsort(data.arc_v, kind="stable")
    vs = data.arc_v[order]
    starts = np.flatnonzero(np.r_[True, vs[1:] != vs[:-1]])
    ends = np.r_[starts[1:], len(vs)]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        arcs = order[a:b]
        v = int(vs[a])
        xs = [x[k] for k in arcs.tolist()]
        if len(xs) > data.cap_count[v]:
            m.add(cp_model.LinearExpr.sum(xs) <= int(data.cap_count[v]))
        loads = data.arc_load[arcs]
        top = np.sort(loads)[::-1][: int(data.cap_count[v])].sum()
        if top > data.cap_load[v]:
            m.add(cp_model.LinearExpr.weighted_sum(xs, loads.tolist()) <= int(data.cap_load[v]))
