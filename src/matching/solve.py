"""Solve a pairing problem exactly, exploiting its structure.

1. **Flow.** Drop the weekly-minute limits and the problem is a min-cost flow, solved exactly
   in well under a second at county scale (:mod:`matching.flow`). Each volunteer's elder limit
   is tightened first to the most elders whose smallest loads fit the week, which keeps it a
   relaxation but a closer one.
2. **Check.** If no volunteer's week overflows in that flow, it is optimal for the real
   problem too, and the proof is complete.
3. **Repair and prove.** Otherwise only the connected components that hold an overflowing
   volunteer need more work. For each: a greedy repair gives a feasible plan (an upper
   bound), the flow gives a lower bound, and every pair whose reduced cost exceeds the gap
   between them is provably absent from every optimal plan, so it is removed. CP-SAT then
   solves the much smaller model lexicographically (:mod:`matching.cpsat`).
4. **Fill.** If the time limit stopped a component early, any elder that an eligible volunteer
   still has room for is added, so no one is left out who could be served.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching import cpsat
from matching.flow import lexicographic_weight, solve_flow
from matching.problem import PairingProblem
from matching.result import PairingResult, Status

#: Largest magnitude a flow arc cost may take so that OR-Tools' cost scaling cannot overflow.
_COST_LIMIT = 2**62

Progress = Callable[[str], None]


def solve(problem: PairingProblem, *, time_limit: float = 60.0, seed: int = 0,
          workers: int | None = None, progress: Progress | None = None) -> PairingResult:
    """Find the best pairing: largest total priority, then least cost.

    Parameters
    ----------
    problem
        From :func:`matching.build_problem`.
    time_limit
        Seconds for the whole solve; the best plan found by then is returned with its status.
    seed
        Seed of CP-SAT's search (the flow is deterministic).
    workers
        CP-SAT workers (default: the machine's cores, at most 8).
    progress
        Called with a short message as each phase starts.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    workers = workers or min(8, os.cpu_count() or 1)
    p = problem
    usable = (p.arc_load <= p.cap_load[p.arc_v]) & (p.cap_count[p.arc_v] > 0)
    idx = np.flatnonzero(usable)
    av, ae, ac, al = p.arc_v[idx], p.arc_e[idx], p.arc_cost[idx], p.arc_load[idx]

    say(f"min-cost flow over {len(idx):,} pairs")
    cap = _count_fitting_week(av, al, p.cap_count, p.cap_load)
    weight = lexicographic_weight(ae, ac, p.num_elders)
    if weight * max(1, int(p.priority.max(initial=1))) * (p.num_volunteers + p.num_elders + 3) \
            >= _COST_LIMIT:
        raise OverflowError("priorities too large for an exact flow; use priorities <= 1000")
    flow = solve_flow(p.num_volunteers, p.num_elders, av, ae, ac, cap, weight * p.priority)
    used = flow.used.copy()
    t_flow = time.perf_counter() - started

    load = np.bincount(av[used], weights=al[used], minlength=p.num_volunteers)
    over = np.flatnonzero(load > p.cap_load)
    priority_bound = int(p.priority[ae[used]].sum())
    cost_bound = int(ac[used].sum())
    proven = True
    components = repaired = 0
    if len(over):
        n_comp, label = _components(av, ae, p.num_volunteers, p.num_elders)
        arc_comp = label[av]
        todo = np.unique(arc_comp[np.isin(av, over)])
        components = len(todo)
        say(f"{len(over)} volunteers over their weekly minutes in the flow; "
            f"CP-SAT on {components} component(s)")
        deadline = started + time_limit
        for k, comp in enumerate(todo.tolist()):
            arcs = np.flatnonzero(arc_comp == comp)
            budget = (deadline - time.perf_counter()) / (len(todo) - k)
            outcome = _solve_component(p, arcs, av, ae, ac, al, used, flow.reduced_cost,
                                       weight, budget, seed, workers)
            used[arcs] = outcome.used
            priority_bound += outcome.priority_bound - int(p.priority[ae[arcs][flow.used[arcs]]]
                                                            .sum())
            cost_bound += outcome.cost_bound - int(ac[arcs][flow.used[arcs]].sum())
            proven &= outcome.proven
            repaired += 1
    if not proven:
        used = _fill(av, ae, ac, al, p.cap_count, p.cap_load, p.priority, used)
    chosen = np.zeros(p.num_arcs, dtype=bool)
    chosen[idx[used]] = True
    priority = int(p.priority[p.arc_e[chosen]].sum())
    cost = int(p.arc_cost[chosen].sum())
    return PairingResult(
        problem=p,
        chosen=chosen,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        priority=priority,
        priority_bound=max(priority_bound, priority),
        cost_units=cost,
        cost_bound_units=min(cost_bound, cost) if priority >= priority_bound else None,
        method="min-cost flow" if not len(over) else "min-cost flow + CP-SAT",
        cpsat_components=components,
        seconds={"flow": t_flow, "total": time.perf_counter() - started},
        seed=seed,
    )


def _count_fitting_week(arc_v: np.ndarray, arc_load: np.ndarray, cap_count: np.ndarray,
                        cap_load: np.ndarray) -> np.ndarray:
    """Per volunteer, ``min(max_elders, most elders whose smallest loads fit the week)``."""
    order = np.lexsort((arc_load, arc_v))
    v, load = arc_v[order], arc_load[order]
    cum = np.cumsum(load)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    base = np.repeat(cum[starts] - load[starts], np.diff(np.r_[starts, len(v)]))
    fits = (cum - base) <= cap_load[v]
    fitting = np.bincount(v[fits], minlength=len(cap_count))
    return np.minimum(cap_count, fitting).astype(np.int64)


def _components(arc_v: np.ndarray, arc_e: np.ndarray, nv: int, ne: int) -> tuple[int, np.ndarray]:
    """Connected components of the pair graph; ``label`` is indexed by volunteer."""
    graph = coo_matrix((np.ones(len(arc_v)), (arc_v, nv + arc_e)), shape=(nv + ne, nv + ne))
    n, label = connected_components(graph, directed=False)
    return n, label[:nv]


def _solve_component(p: PairingProblem, arcs: np.ndarray, av: np.ndarray, ae: np.ndarray,
                     ac: np.ndarray, al: np.ndarray, used: np.ndarray,
                     reduced: np.ndarray | None, weight: int, budget: float, seed: int,
                     workers: int) -> cpsat.CpOutcome:
    """Repair, prune by reduced costs, and solve one component with CP-SAT."""
    vs, lv = np.unique(av[arcs], return_inverse=True)
    es, le = np.unique(ae[arcs], return_inverse=True)
    cap_count, cap_load, prio = p.cap_count[vs], p.cap_load[vs], p.priority[es]
    lc, ll = ac[arcs], al[arcs]
    relaxed = used[arcs]
    hint = _repair(lv, le, lc, ll, cap_count, cap_load, prio, relaxed)
    upper_priority = int(prio[le[relaxed]].sum())
    lower = -weight * upper_priority + int(lc[relaxed].sum())
    upper = -weight * int(prio[le[hint]].sum()) + int(lc[hint].sum())
    keep = np.ones(len(arcs), dtype=bool)
    if reduced is not None:
        keep = (reduced[arcs] <= upper - lower) | hint
    k = np.flatnonzero(keep)
    data = cpsat.ArcModel(arc_v=lv[k], arc_e=le[k], arc_cost=lc[k], arc_load=ll[k],
                          cap_count=cap_count, cap_load=cap_load, priority=prio)
    out = cpsat.solve_cpsat(data, hint[k], upper_priority, int(lc[relaxed].sum()),
                            time_limit=budget, seed=seed, workers=workers)
    full = np.zeros(len(arcs), dtype=bool)
    full[k[out.used]] = True
    return cpsat.CpOutcome(used=full, proven=out.proven, priority=out.priority,
                           priority_bound=out.priority_bound, cost=out.cost,
                           cost_bound=out.cost_bound)


def _repair(av: np.ndarray, ae: np.ndarray, ac: np.ndarray, al: np.ndarray,
            cap_count: np.ndarray, cap_load: np.ndarray, prio: np.ndarray,
            used: np.ndarray) -> np.ndarray:
    """Make a relaxed plan feasible: overfull volunteers drop their least valuable elders
    (lowest priority, then largest load) until their week fits; then :func:`_fill`."""
    used = used.copy()
    load = np.bincount(av[used], weights=al[used], minlength=len(cap_load))
    for v in np.flatnonzero(load > cap_load).tolist():
        mine = np.flatnonzero(used & (av == v))
        for a in mine[np.lexsort((-al[mine], prio[ae[mine]]))].tolist():
            if load[v] <= cap_load[v]:
                break
            used[a] = False
            load[v] -= al[a]
    return _fill(av, ae, ac, al, cap_count, cap_load, prio, used)


def _fill(av: np.ndarray, ae: np.ndarray, ac: np.ndarray, al: np.ndarray, cap_count: np.ndarray,
          cap_load: np.ndarray, prio: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Give every uncovered elder (highest priority first) the cheapest eligible volunteer
    who still has room, if there is one. Arcs must be sorted by elder."""
    used = used.copy()
    count = np.bincount(av[used], minlength=len(cap_count))
    load = np.bincount(av[used], weights=al[used], minlength=len(cap_load))
    covered = np.zeros(int(ae.max(initial=-1)) + 1, dtype=bool)
    covered[ae[used]] = True
    starts = np.flatnonzero(np.r_[True, ae[1:] != ae[:-1]]) if len(ae) else np.empty(0, int)
    ends = np.r_[starts[1:], len(ae)]
    elders = ae[starts]
    open_ = np.flatnonzero(~covered[elders])
    for i in open_[np.argsort(-prio[elders[open_]], kind="stable")].tolist():
        a, b = starts[i], ends[i]
        v = av[a:b]
        ok = (count[v] < cap_count[v]) & (load[v] + al[a:b] <= cap_load[v])
        if ok.any():
            pick = a + np.flatnonzero(ok)[np.argmin(ac[a:b][ok])]
            used[pick] = True
            count[av[pick]] += 1
            load[av[pick]] += al[pick]
    return used
