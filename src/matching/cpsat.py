"""The pairing model in CP-SAT, for the parts of a world where weekly minutes bind.

The model is solved lexicographically in two stages, each proven on its own:

1. maximise the total priority of the elders covered;
2. keep that total and minimise ``sum(cost)``.

Stage 1 is skipped when the hint already reaches the flow relaxation's priority, which is then
proven optimal. Solver objects never leave this module: it takes and returns numpy arrays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix


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


@dataclass(frozen=True)
class ArcModel:
    """A component in local indices: arcs sorted by elder, capacities per volunteer."""

    arc_v: np.ndarray
    arc_e: np.ndarray
    arc_cost: np.ndarray
    arc_load: np.ndarray
    cap_count: np.ndarray
    cap_load: np.ndarray
    priority: np.ndarray


def solve_cpsat(model_data: ArcModel, hint: np.ndarray, priority_upper: int,
                cost_lower: int, *, time_limit: float, seed: int, workers: int) -> CpOutcome:
    """Solve one component exactly, or as well as the time limit allows.

    Parameters
    ----------
    hint
        A feasible plan (arc mask) to start from; returned if nothing better is found.
    priority_upper, cost_lower
        Bounds known from the flow relaxation.
    """
    deadline = time.monotonic() + max(time_limit, 0.0)
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
        status, found, bound = _search(m, x, best, deadline, seed, workers)
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
    if remaining > 0.01:
        # the full search first; what it leaves unproven, large-neighbourhood search improves
        search_until = time.monotonic() + LNS_MAIN_SHARE * remaining
        status, found, bound = _search(m, x, best, search_until, seed, workers)
        if found is not None:
            if int(data.arc_cost[found].sum()) <= best_cost:
                best, best_cost = found, int(data.arc_cost[found].sum())
            cost_bound = max(cost_bound, int(np.ceil(bound - 1e-6)))
        proven = proven_priority and (status == cp_model.OPTIMAL or best_cost <= cost_bound)
        if not proven and deadline - time.monotonic() > LNS_MIN_SECONDS:
            # HiGHS next: its branch-and-cut often closes what CP-SAT's search leaves open
            # where weeks bind hard, and its dual bound is a bound
            highs_until = time.monotonic() + HIGHS_SHARE * (deadline - time.monotonic())
            found, highs_bound, optimal = _highs(data, best_priority, highs_until)
            if found is not None and int(data.arc_cost[found].sum()) < best_cost:
                best, best_cost = found, int(data.arc_cost[found].sum())
            if highs_bound is not None:
                cost_bound = max(cost_bound, highs_bound)
            proven = proven_priority and (optimal or best_cost <= cost_bound)
        if not proven and deadline - time.monotonic() > LNS_MIN_SECONDS:
            best = improve_by_neighbourhoods(data, best, deadline, seed)
            best_cost = int(data.arc_cost[best].sum())
            proven = proven_priority and best_cost <= cost_bound
    return CpOutcome(used=best, proven=proven, priority=best_priority,
                     priority_bound=priority_bound, cost=best_cost,
                     cost_bound=min(cost_bound, best_cost))


#: Share of stage 2's time the full CP-SAT search gets before large-neighbourhood search
#: takes the rest (when the full search has not proven the optimum by then).
LNS_MAIN_SHARE = 0.25

#: Least time worth starting a large-neighbourhood search with.
LNS_MIN_SECONDS = 0.5

#: Each neighbourhood frees the elders of this many volunteers (drawn anew each round).
LNS_VOLUNTEERS = (3, 4, 5, 6, 7, 8)

#: Or this many elders drawn at random, free to go to anyone with room.
LNS_ELDERS = (6, 10, 15, 20)

#: Neighbourhoods in a row without a better plan before a kick moves the search elsewhere.
LNS_STALL_STEPS = 60

#: CP-SAT's deterministic time for one neighbourhood: small ones are proven well within it.
LNS_STEP_DETERMINISTIC_TIME = 1.0


#: Share of the time left after the full CP-SAT search that HiGHS gets (the rest goes to
#: large-neighbourhood search from the best plan of either).
HIGHS_SHARE = 0.7


def _highs(data: ArcModel, priority: int, deadline: float
           ) -> tuple[np.ndarray | None, int | None, bool]:
    """The cheapest plan serving at least ``priority`` by HiGHS's MIP within ``deadline``.

    Returns
    -------
    plan, cost bound, optimal
        The plan found (or ``None``), HiGHS's dual bound on the cost (rounded up), and
        whether it proved the plan optimal.
    """
    n = len(data.arc_v)
    seconds = deadline - time.monotonic()
    if n == 0 or seconds <= 0.05:
        return None, None, False
    rows = np.arange(n)
    ne, nv = len(data.priority), len(data.cap_count)
    one = csr_matrix((np.ones(n), (data.arc_e, rows)), shape=(ne, n))
    count = csr_matrix((np.ones(n), (data.arc_v, rows)), shape=(nv, n))
    load = csr_matrix((data.arc_load.astype(float), (data.arc_v, rows)), shape=(nv, n))
    served = csr_matrix((data.priority[data.arc_e].astype(float),
                         (np.zeros(n, dtype=np.int64), rows)), shape=(1, n))
    done = milp(data.arc_cost.astype(float), integrality=np.ones(n), bounds=Bounds(0, 1),
                constraints=[LinearConstraint(one, -np.inf, 1),
                             LinearConstraint(count, -np.inf, data.cap_count.astype(float)),
                             LinearConstraint(load, -np.inf, data.cap_load.astype(float)),
                             LinearConstraint(served, priority, np.inf)],
                options={"time_limit": seconds})
    plan = None if done.x is None else np.round(done.x).astype(bool)
    bound = getattr(done, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else int(np.ceil(bound - 1e-6))
    return plan, bound, bool(done.status == 0 and plan is not None)


def improve_by_neighbourhoods(data: ArcModel, plan: np.ndarray, deadline: float,
                              seed: int) -> np.ndarray:
    """Large-neighbourhood search: free some elders, re-assign them optimally within what
    the rest of the plan leaves of everyone's week (CP-SAT, one worker), keep the plan if
    no dearer (a level move walks along a plateau).

    Neighbourhoods alternate between the elders of a few volunteers (who may then swap among
    themselves) and a random handful of elders (who may go to anyone with room). The
    priority served never falls (each neighbourhood must serve at least the priority it
    freed), so the plan only gets better. Neighbourhoods are drawn from ``seed``; each step
    is bounded in CP-SAT's deterministic time, so how far the search gets depends only on
    the wall clock at ``deadline``.
    """
    best = plan.astype(bool).copy()
    current = best.copy()
    best_cost = int(data.arc_cost[best].sum())
    rng = np.random.default_rng(seed)
    nv, ne = len(data.cap_count), len(data.priority)
    if nv < 2 or not best.any():
        return best
    by_elder_start = np.searchsorted(data.arc_e, np.arange(ne + 1))
    step, stalled = 0, 0
    while time.monotonic() < deadline - 0.05:
        step += 1
        assigned = np.flatnonzero(current)
        if step % 2:
            size = int(rng.choice(LNS_VOLUNTEERS))
            chosen = rng.choice(nv, size=min(size, nv), replace=False)
            freed = data.arc_e[assigned[np.isin(data.arc_v[assigned], chosen)]]
        else:
            size = min(len(assigned), int(rng.choice(LNS_ELDERS)))
            freed = data.arc_e[rng.choice(assigned, size=size, replace=False)]
            chosen = None
        if not len(freed):
            continue
        arcs = np.concatenate([np.arange(by_elder_start[e], by_elder_start[e + 1])
                               for e in freed.tolist()])
        if chosen is not None:
            arcs = arcs[np.isin(data.arc_v[arcs], chosen)]
        kept = current.copy()
        kept[arcs] = False
        count_left = data.cap_count - np.bincount(data.arc_v[kept], minlength=nv)
        load_left = data.cap_load - np.bincount(data.arc_v[kept], weights=data.arc_load[kept],
                                                minlength=nv).astype(np.int64)
        # after a long stall, a kick: the freed elders must all move, even at a loss
        kick = stalled >= LNS_STALL_STEPS
        found = _neighbourhood(data, arcs, current[arcs], count_left, load_left, deadline,
                               seed + step, kick=kick)
        stalled = 0 if kick else stalled + 1
        if found is None:
            continue
        current = kept
        current[arcs[found]] = True
        cost = int(data.arc_cost[current].sum())
        if cost < best_cost:
            best, best_cost, stalled = current.copy(), cost, 0
    return best


def _neighbourhood(data: ArcModel, arcs: np.ndarray, current: np.ndarray,
                   count_left: np.ndarray, load_left: np.ndarray, deadline: float,
                   seed: int, kick: bool = False) -> np.ndarray | None:
    """The best choice among ``arcs`` (a mask over them) within what is left of each
    volunteer's week, if it is no dearer than ``current`` and differs, at no loss of
    priority; with ``kick``, the best choice in which every freed elder moves, at any cost."""
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{k}") for k in range(len(arcs))]
    e_of = data.arc_e[arcs]
    v_of = data.arc_v[arcs]
    starts = np.flatnonzero(np.r_[True, e_of[1:] != e_of[:-1]])
    for a, b in zip(starts.tolist(), np.r_[starts[1:], len(arcs)].tolist(), strict=True):
        if b - a > 1:
            m.add_at_most_one(x[a:b])
    order = np.argsort(v_of, kind="stable")
    v_starts = np.flatnonzero(np.r_[True, v_of[order][1:] != v_of[order][:-1]])
    for a, b in zip(v_starts.tolist(), np.r_[v_starts[1:], len(arcs)].tolist(), strict=True):
        ks = order[a:b].tolist()
        v = int(v_of[ks[0]])
        m.add(sum(x[k] for k in ks) <= int(count_left[v]))
        m.add(cp_model.LinearExpr.weighted_sum([x[k] for k in ks],
                                               data.arc_load[arcs[ks]].tolist())
              <= int(load_left[v]))
    weights = data.priority[e_of]
    m.add(cp_model.LinearExpr.weighted_sum(x, weights.tolist()) >= int(weights[current].sum()))
    m.minimize(cp_model.LinearExpr.weighted_sum(x, data.arc_cost[arcs].tolist()))
    if kick:
        for k in np.flatnonzero(current).tolist():
            m.add(x[k] == 0)
    else:
        for var, value in zip(x, current.tolist(), strict=True):
            m.add_hint(var, value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = LNS_STEP_DETERMINISTIC_TIME
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    cost = data.arc_cost[arcs]
    # an equally good but different plan is taken too: it moves the search along a plateau
    better_or_level = kick or int(cost[found].sum()) <= int(cost[current].sum())
    return found if better_or_level and not np.array_equal(found, current) else None


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
            seed: int, workers: int) -> tuple[int, np.ndarray | None, float]:
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
    phases = [(1, QUICK_DETERMINISTIC_TIME)]
    if workers > 1:
        phases.append((workers, float("inf")))
    for n_workers, det_time in phases:
        remaining = deadline - time.monotonic()
        if remaining <= 0.01:
            break
        m.clear_hints()
        _hint(m, x, hint if found is None else found)
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = n_workers
        solver.parameters.interleave_search = n_workers > 1 and DETERMINISTIC_PORTFOLIO
        solver.parameters.max_time_in_seconds = remaining
        if det_time != float("inf"):
            solver.parameters.max_deterministic_time = det_time
        status = solver.solve(m)
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
