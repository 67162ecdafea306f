"""The **branch-and-bound** strategy: best-first branching over min-cost flows, for a part
whose flow overfills the weeks of a few volunteers and whose LP settled nothing."""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from matching.pairing.arcmodel import ArcModel
from matching.pairing.flow import FlowNetwork, FlowSolution
from matching.runtime.budget import NEVER, Stop


def branch_and_bound(arcs: ArcModel, net: FlowNetwork, cap: np.ndarray, weight: int,
                      root: FlowSolution, deadline: float, stats: dict[str, int],
                      stop: Stop = NEVER, max_nodes: int = 120) -> np.ndarray | None:
    """Exact best-first branch-and-bound with min-cost flows as relaxations.

    When the flow overloads a volunteer ``v`` with elders ``S``, no feasible plan holds all of
    ``S`` at ``v``, so the plans split into ``|S|`` branches, each forbidding one pair
    ``(v, s)``. Each branch's flow (weekly minutes dropped, forbidden pairs priced out of
    reach) bounds it from below; the first branch whose flow overloads no one is optimal.
    This settles in a handful of flows the common case of a few overloaded volunteers, and
    gives up (returns ``None``) after ``max_nodes`` flows or at ``deadline``. Open nodes keep
    only index arrays (the pairs used and the pricing set), never full-size arrays.
    """
    n = len(arcs.arc_cost)
    forbid_cost = weight * (int(arcs.priority.max(initial=1)) + 1)
    counter = itertools.count()
    heap: list[tuple[int, int, frozenset[int], np.ndarray, np.ndarray]] = [
        (root.cost, next(counter), frozenset(), np.flatnonzero(root.used),
         np.flatnonzero(root.active))]
    nodes = 0
    while heap:
        _, _, forbidden, used_idx, active_idx = heapq.heappop(heap)
        used = _mask(n, used_idx)
        over = arcs.overfull(used)
        if not len(over):
            stats["branch_nodes"] = nodes
            return used
        loads = arcs.loads(used)
        v = int(over[np.argmax(loads[over] - arcs.cap_load[over])])
        for k in np.flatnonzero(used & (arcs.arc_v == v)).tolist():
            nodes += 1
            if nodes > max_nodes or stop.out_of_time(deadline):
                stats["branch_nodes"] = nodes
                return None
            child = forbidden | {k}
            cost = arcs.arc_cost.copy()
            cost[list(child)] = forbid_cost
            active = _mask(n, active_idx)
            active[list(child)] = False
            solved = net.solve(cost, cap, active)
            heapq.heappush(heap, (solved.cost, next(counter), child,
                                  np.flatnonzero(solved.used), np.flatnonzero(solved.active)))
    return None


def _mask(n: int, indices: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[indices] = True
    return out
