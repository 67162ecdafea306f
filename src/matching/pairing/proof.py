"""Prune and prove: reduced-cost fixing against the best bounds, then the pruned problem
solved one connected component at a time, by a flow where no week can overflow and by the
**cp-sat** strategy (:mod:`matching.pairing.cpsat`) where one can."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.pairing import cpsat
from matching.pairing.arcmodel import ArcModel
from matching.pairing.arrays import grouped_order, renumber
from matching.pairing.flow import FlowNetwork
from matching.pairing.plans import count_fitting_week
from matching.runtime.budget import NEVER, Stop

#: Largest pruned component CP-SAT is asked to prove; above it, a restricted model over each
#: elder's cheapest pairs improves the plan and the result reports its gap.
MAX_PROOF_PAIRS = 150_000
RESTRICTED_PAIRS_PER_ELDER = 8


def reduce_by_cost(arcs: ArcModel, reduced: np.ndarray, gap: int,
            incumbent: np.ndarray) -> tuple[np.ndarray, np.ndarray, ArcModel]:
    """Reduced-cost fixing: what an optimal plan must and cannot contain.

    A plan that uses a pair of reduced cost ``rc > gap``, or leaves out a pair of reduced cost
    ``rc < -gap``, costs more than the incumbent, so it is not optimal. Pairs of the first kind
    are dropped; pairs of the second kind are fixed, which takes their elder out of the
    problem and their elder and minutes off their volunteer's capacity.

    Returns
    -------
    keep, fixed, rest
        Pairs still to decide, pairs fixed in the plan, and the arcs with capacities net of
        the fixed pairs.
    """
    fixed = (reduced < -gap) & incumbent
    if (incumbent & (reduced < -gap)).sum() != (reduced < -gap).sum():
        fixed[:] = False  # cannot happen in exact arithmetic; then fix nothing
    settled = np.zeros(len(arcs.priority), dtype=bool)
    settled[arcs.arc_e[fixed]] = True
    keep = ((reduced <= gap) | incumbent) & ~settled[arcs.arc_e]
    cap_count = arcs.cap_count - np.bincount(arcs.arc_v[fixed], minlength=arcs.num_volunteers)
    cap_load = arcs.cap_load - np.bincount(arcs.arc_v[fixed], weights=arcs.arc_load[fixed],
                                           minlength=arcs.num_volunteers).astype(np.int64)
    rest = dataclasses.replace(arcs, cap_count=cap_count, cap_load=cap_load)
    return keep, fixed, rest


@dataclass
class Proof:
    used: np.ndarray
    proven: bool
    priority_bound: int
    cost_bound: int | None
    stats: dict[str, int]


def prove(arcs: ArcModel, keep: np.ndarray, incumbent: np.ndarray, weight: int, deadline: float,
           seed: int, workers: int, deterministic_time: float | None = None,
           stop: Stop = NEVER) -> Proof:
    """Solve the pruned problem exactly, one connected component at a time.

    The pruned problem holds an optimal plan and falls apart into components that share
    nobody, so each is solved alone: by a min-cost flow when no week can overflow in it or
    its flow relaxation already fits, and by CP-SAT (started from the incumbent) otherwise.
    """
    k = np.flatnonzero(keep)
    used = incumbent.copy()
    n_comp, label = components(arcs.arc_v[k], arcs.arc_e[k], arcs.num_volunteers,
                                len(arcs.priority))
    comp = label[arcs.arc_v[k]]
    order = np.argsort(comp, kind="stable")
    bounds = np.searchsorted(comp[order], np.arange(n_comp + 1))
    groups = [k[order[bounds[c]:bounds[c + 1]]] for c in range(n_comp)]
    groups = [g for g in groups if len(g)]
    stats = {"components": len(groups), "cpsat_components": 0, "cpsat_pairs": 0}
    proven, priority_bound, cost_bound = True, 0, 0
    hard: list[tuple[np.ndarray, int, int]] = []
    for g in groups:
        sub = _local(arcs, g)
        cap = count_fitting_week(sub.arc_v, sub.arc_load, sub.cap_count, sub.cap_load)
        net = FlowNetwork(sub.num_volunteers, len(sub.priority), sub.arc_v, sub.arc_e,
                          weight * sub.priority)
        flow = net.solve(sub.arc_cost, cap)
        p_up, c_low = sub.priority_of(flow.used), int(sub.arc_cost[flow.used].sum())
        if not len(sub.overfull(flow.used)):
            used[g] = flow.used
            priority_bound += p_up
            cost_bound += c_low
        else:
            hard.append((g, p_up, c_low))
    remaining = sum(len(g) for g, _, _ in hard)
    hard_pairs = max(1, remaining)
    for g, p_up, c_low in hard:
        budget = (deadline - time.perf_counter()) * len(g) / max(1, remaining)
        work = (None if deterministic_time is None else
                deterministic_time * len(g) / hard_pairs)
        remaining -= len(g)
        exact = len(g) <= MAX_PROOF_PAIRS
        if not exact:
            # Too big to prove in reasonable time and memory: improve the incumbent over each
            # elder's cheapest pairs instead, and report the Lagrangian bound and gap.
            g = _cheapest_per_elder(arcs, g, incumbent, RESTRICTED_PAIRS_PER_ELDER)
            stats["restricted_components"] = stats.get("restricted_components", 0) + 1
        sub = _local(arcs, g)
        out = cpsat.solve_cpsat(sub, incumbent[g], p_up, c_low, time_limit=budget, seed=seed,
                                workers=workers, deterministic_time=work, stop=stop)
        used[g] = out.used
        proven &= out.proven and exact
        if exact:
            priority_bound += out.priority_bound
            cost_bound += out.cost_bound if out.priority >= out.priority_bound else -(2**62)
        else:  # the restricted model bounds nothing: keep the component's flow bounds
            priority_bound += p_up
            cost_bound += c_low if out.priority >= p_up else -(2**62)
        stats["cpsat_components"] += 1
        stats["cpsat_pairs"] += len(g)
    return Proof(used=used, proven=proven, priority_bound=priority_bound,
                  cost_bound=cost_bound if cost_bound > -(2**61) else None, stats=stats)


def _cheapest_per_elder(arcs: ArcModel, g: np.ndarray, incumbent: np.ndarray, k: int) -> np.ndarray:
    """The arcs of ``g`` among each elder's ``k`` cheapest, plus the incumbent's."""
    order = grouped_order(arcs.arc_e[g], arcs.arc_cost[g])
    e = arcs.arc_e[g][order]
    starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]])
    rank = np.arange(len(e)) - np.repeat(starts, np.diff(np.r_[starts, len(e)]))
    keep = np.zeros(len(g), dtype=bool)
    keep[order[rank < k]] = True
    keep |= incumbent[g]
    return g[keep]


def _local(arcs: ArcModel, g: np.ndarray) -> ArcModel:
    """The arcs ``g`` renumbered: volunteers and elders of the component only."""
    vs, lv = renumber(arcs.arc_v[g], arcs.num_volunteers)
    es, le = renumber(arcs.arc_e[g], len(arcs.priority))
    key = le * len(vs) + lv
    if np.any(key[1:] < key[:-1]):
        raise AssertionError("component arcs must stay sorted by elder")
    return ArcModel(lv, le, arcs.arc_cost[g], arcs.arc_load[g], arcs.cap_count[vs],
                    arcs.cap_load[vs], arcs.priority[es])


def components(arc_v: np.ndarray, arc_e: np.ndarray, nv: int, ne: int) -> tuple[int, np.ndarray]:
    """Connected components of the pair graph; ``label`` is indexed by volunteer."""
    graph = coo_matrix((np.ones(len(arc_v)), (arc_v, nv + arc_e)), shape=(nv + ne, nv + ne))
    n, label = connected_components(graph, directed=False)
    return n, label[:nv]
