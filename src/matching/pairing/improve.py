"""Improving a plan that CP-SAT's full search left unproven: HiGHS's branch-and-cut on the
whole component, and large-neighbourhood search (CP-SAT on small pieces of the plan).

Both serve :func:`matching.pairing.cpsat.solve_cpsat` where weekly minutes bind hard, as in the
OR-Library generalized assignment types D and E.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix

from matching.pairing.highs import silent_highs
from matching.pairing.sat import new_solver
from matching.runtime.budget import NEVER, Stop

if TYPE_CHECKING:
    from matching.pairing.arcmodel import ArcModel

#: Each neighbourhood frees the elders of this many volunteers (drawn anew each round).
LNS_VOLUNTEERS = (3, 4, 5, 6, 7, 8)

#: Or this many elders drawn at random, free to go to anyone with room.
LNS_ELDERS = (6, 10, 15, 20)

#: Neighbourhoods in a row without a better plan before a kick moves the search elsewhere.
LNS_STALL_STEPS = 60

#: CP-SAT's deterministic time for one neighbourhood: small ones are proven well within it.
LNS_STEP_DETERMINISTIC_TIME = 1.0


class SharedPlan:
    """The cheapest plan that searches running side by side have found (thread-safe).

    HiGHS (in its own thread) offers each improving plan it finds; large-neighbourhood
    search offers its own and carries on from HiGHS's whenever that is cheaper.
    """

    def __init__(self, cost: np.ndarray, plan: np.ndarray) -> None:
        self._cost_of_arc = cost
        self._lock = threading.Lock()
        self._plan = plan.astype(bool).copy()
        self._cost = int(cost[self._plan].sum())
        self._latest: np.ndarray | None = None
        self._arrivals = 0

    def arrive(self, plan: np.ndarray) -> None:
        """A plan from HiGHS: kept as its latest, and offered."""
        with self._lock:
            self._latest, self._arrivals = plan.astype(bool).copy(), self._arrivals + 1
        self.offer(plan)

    def latest(self, seen: int) -> tuple[np.ndarray | None, int]:
        """HiGHS's latest plan if it has found one since arrival number ``seen`` (else
        ``None``), and the number of arrivals so far."""
        with self._lock:
            latest = self._latest
            fresh = latest is not None and self._arrivals > seen
            return (latest.copy() if latest is not None and fresh else None), self._arrivals

    def offer(self, plan: np.ndarray) -> None:
        """Keep ``plan`` if it is cheaper than the best so far (the caller vouches that it
        keeps every rule and serves no less priority)."""
        cost = int(self._cost_of_arc[plan].sum())
        with self._lock:
            if cost < self._cost:
                self._plan, self._cost = plan.astype(bool).copy(), cost

    def best(self) -> tuple[np.ndarray, int]:
        """The best plan so far and its cost."""
        with self._lock:
            return self._plan.copy(), self._cost


def highs_plan(data: ArcModel, priority: int, deadline: float, start: np.ndarray | None = None,
               shared: SharedPlan | None = None, stop: Stop = NEVER
               ) -> tuple[np.ndarray | None, int | None, bool]:
    """The cheapest plan serving at least ``priority`` by HiGHS's MIP within ``deadline``.

    Parameters
    ----------
    start
        A plan (arc mask) serving at least ``priority``, handed to HiGHS as its first
        incumbent: its branch-and-bound prunes by it from the first node.
    shared
        Where a search running alongside looks for HiGHS's plans: HiGHS offers each
        improving plan it finds.
    stop
        A request to end the search early (HiGHS looks a few times a second).

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
    nv = len(data.cap_count)
    elders, elder_row = np.unique(data.arc_e, return_inverse=True)
    blocks: list[tuple[csr_matrix, np.ndarray, np.ndarray]] = []
    one = csr_matrix((np.ones(n), (elder_row, rows)), shape=(len(elders), n))
    if priority >= int(data.priority[elders].sum()):
        # everyone served: "exactly one volunteer each" says it all, and presolves far better
        blocks.append((one, np.ones(len(elders)), np.ones(len(elders))))
    else:
        served = csr_matrix((data.priority[data.arc_e].astype(float),
                             (np.zeros(n, dtype=np.int64), rows)), shape=(1, n))
        blocks += [(one, np.full(len(elders), -INF), np.ones(len(elders))),
                   (served, np.array([float(priority)]), np.array([INF]))]
    # the elder limit only where it can bind
    binding = np.flatnonzero(np.bincount(data.arc_v, minlength=nv) > data.cap_count)
    if len(binding):
        count = csr_matrix((np.ones(n), (data.arc_v, rows)), shape=(nv, n))[binding]
        blocks.append((count, np.full(len(binding), -INF),
                       data.cap_count[binding].astype(float)))
    load = csr_matrix((data.arc_load.astype(float), (data.arc_v, rows)), shape=(nv, n))
    blocks.append((load, np.full(nv, -INF), data.cap_load.astype(float)))

    highs = silent_highs()
    highs.setOptionValue("time_limit", float(seconds))
    # HiGHS calls a plan optimal within 0.01% by default; costs are integers, so only a gap
    # under one unit proves anything
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", INTEGER_GAP)
    highs.addCols(n, data.arc_cost.astype(float), np.zeros(n), np.ones(n), 0,
                  np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.full(n, highspy.HighsVarType.kInteger))
    for matrix, lower, upper in blocks:
        highs.addRows(matrix.shape[0], lower, upper, matrix.nnz,
                      matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32),
                      matrix.data.astype(float))
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.astype(float).tolist()
        highs.setSolution(solution)
    if shared is not None:
        _exchange_plans(highs, shared)
    # a stop ends the search at HiGHS's next look up (a few times a second)
    highs.cbMipInterrupt.subscribe(lambda event: event.interrupt() if stop.requested
                                   else None)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    plan = None
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        plan = np.round(np.asarray(highs.getSolution().col_value)).astype(bool)
    dual = float(info.mip_dual_bound)
    bound = None if not np.isfinite(dual) or abs(dual) >= INF else int(np.ceil(dual - 1e-6))
    # proven by the bound itself, never by HiGHS's status alone
    optimal = status == highspy.HighsModelStatus.kOptimal and plan is not None and \
        bound is not None and int(data.arc_cost[plan].sum()) <= bound
    return plan, bound, bool(optimal)


def _exchange_plans(highs: highspy.Highs, shared: SharedPlan) -> None:
    """Subscribe HiGHS to ``shared``: it offers each improving plan it finds. (It takes none
    back: its own search, and so any plan it proves optimal, stays the same from run to
    run.)"""

    def offer(event: Any) -> None:  # highspy's HighsCallbackEvent
        shared.arrive(np.asarray(event.data_out.mip_solution) > PLAN_ROUNDING)

    highs.cbMipImprovingSolution.subscribe(offer)


#: A 0-1 value above this is taken as 1 (HiGHS's integral solutions carry round-off).
PLAN_ROUNDING = 0.5

#: HiGHS's absolute gap at which it stops: under one unit of an integer cost.
INTEGER_GAP = 1.0 - 1e-6

#: HiGHS's infinity (a bound at or beyond it is none).
INF = highspy.kHighsInf


def improve_by_neighbourhoods(data: ArcModel, plan: np.ndarray, deadline: float,
                              seed: int, *, shared: SharedPlan | None = None,
                              until: Callable[[], bool] | None = None,
                              steps: int | None = None, stop: Stop = NEVER) -> np.ndarray:
    """Large-neighbourhood search: free some elders, re-assign them optimally within what
    the rest of the plan leaves of everyone's week (CP-SAT, one worker), keep the plan if
    no dearer (a level move walks along a plateau).

    Neighbourhoods alternate between the elders of a few volunteers (who may then swap among
    themselves) and a random handful of elders (who may go to anyone with room). The
    priority served never falls (each neighbourhood must serve at least the priority it
    freed), so the plan only gets better. Neighbourhoods are drawn from ``seed``; each step
    is bounded in CP-SAT's deterministic time, so how far the search gets depends only on
    the wall clock at ``deadline``.

    With ``shared``, the search runs beside HiGHS: it offers every better plan it finds,
    carries on from HiGHS's whenever that is cheaper than its own best, and after a long
    stall moves to HiGHS's latest plan (another basin) rather than kicking; ``until`` ends it
    early (when HiGHS has proven its plan optimal). ``steps`` bounds the neighbourhoods
    tried (``--deterministic-time``: each is bounded in deterministic time, so the search
    then ends where it ends on any machine). ``stop`` ends it at once.
    """
    best = plan.astype(bool).copy()
    current = best.copy()
    best_cost = int(data.arc_cost[best].sum())
    rng = np.random.default_rng(seed)
    nv, ne = len(data.cap_count), len(data.priority)
    if nv < 2 or not best.any():
        return best
    by_elder_start = np.searchsorted(data.arc_e, np.arange(ne + 1))
    step, stalled, seen = 0, 0, 0
    while time.monotonic() < deadline - 0.05 and not (until is not None and until()) \
            and not stop.requested and (steps is None or step < steps):
        step += 1
        if shared is not None:
            theirs, cost = shared.best()
            if cost < best_cost:
                best, best_cost, current, stalled = theirs, cost, theirs.copy(), 0
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
        # after a long stall, HiGHS's latest plan if it found one since (another basin,
        # even if dearer), else a kick: the freed elders must all move, even at a loss
        kick = stalled >= LNS_STALL_STEPS
        if kick and shared is not None:
            latest, seen = shared.latest(seen)
            if latest is not None:
                current, stalled = latest, 0
                continue
        found = _neighbourhood(data, arcs, current[arcs], count_left, load_left, deadline,
                               seed + step, kick=kick, stop=stop)
        stalled = 0 if kick else stalled + 1
        if found is None:
            continue
        current = kept
        current[arcs[found]] = True
        cost = int(data.arc_cost[current].sum())
        if cost < best_cost:
            best, best_cost, stalled = current.copy(), cost, 0
            if shared is not None:
                shared.offer(best)
    return best


def _neighbourhood(data: ArcModel, arcs: np.ndarray, current: np.ndarray,
                   count_left: np.ndarray, load_left: np.ndarray, deadline: float,
                   seed: int, kick: bool = False, stop: Stop = NEVER) -> np.ndarray | None:
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
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = LNS_STEP_DETERMINISTIC_TIME
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    with stop.stopping(solver.stop_search):
        status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    cost = data.arc_cost[arcs]
    # an equally good but different plan is taken too: it moves the search along a plateau
    better_or_level = kick or int(cost[found].sum()) <= int(cost[current].sum())
    return found if better_or_level and not np.array_equal(found, current) else None
