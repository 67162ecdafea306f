"""Exact pairing by min-cost flow, with the dual potentials that bound every other plan.

Network::

    source --(max_elders, 0)--> volunteer --(1, cost)--> elder --(1, -gain)--> sink
    source --------------------(elders, 0)-----------------------------------> sink

``gain = M * priority`` with ``M`` larger than any difference in total cost, so a cheapest
flow first covers the largest total priority, then has the least cost: the contract's
lexicographic objective as one integer cost. Without the weekly-minute limits this *is* the
pairing problem, and network simplex solves it exactly; with them, it is a relaxation whose
optimum bounds the true one from below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow


@dataclass(frozen=True)
class FlowSolution:
    """An optimal flow.

    Attributes
    ----------
    used
        For each pair arc, whether the flow uses it.
    cost
        Total cost of the flow (the lexicographic objective as one integer).
    reduced_cost
        For each pair arc, its reduced cost under optimal potentials, or ``None`` if they
        could not be computed. Any plan that uses an unused arc costs at least
        ``cost + reduced_cost``; any plan that drops a used arc costs at least
        ``cost - reduced_cost``.
    """

    used: np.ndarray
    cost: int
    reduced_cost: np.ndarray | None


def lexicographic_weight(arc_e: np.ndarray, arc_cost: np.ndarray, num_elders: int) -> int:
    """Smallest ``M`` for which one more unit of priority beats any saving in cost.

    Two plans differ in cost by at most ``sum_e (max(0, max c_e) - min(0, min c_e))``.
    """
    if len(arc_cost) == 0:
        return 1
    hi = np.zeros(num_elders, dtype=np.int64)
    lo = np.zeros(num_elders, dtype=np.int64)
    np.maximum.at(hi, arc_e, arc_cost)
    np.minimum.at(lo, arc_e, arc_cost)
    return int(hi.sum() - lo.sum()) + 1


def solve_flow(
    num_volunteers: int,
    num_elders: int,
    arc_v: np.ndarray,
    arc_e: np.ndarray,
    arc_cost: np.ndarray,
    cap_count: np.ndarray,
    gain: np.ndarray,
    *,
    potentials: bool = True,
) -> FlowSolution:
    """Solve the flow above exactly.

    Parameters
    ----------
    arc_v, arc_e, arc_cost
        Pair arcs: volunteer index, elder index, integer cost.
    cap_count
        Most elders per volunteer.
    gain
        Integer gain of covering each elder.
    potentials
        Also compute the reduced costs of the pair arcs.
    """
    source, sink = 0, 1 + num_volunteers + num_elders
    v_node = 1 + np.arange(num_volunteers, dtype=np.int64)
    e_node = 1 + num_volunteers + np.arange(num_elders, dtype=np.int64)
    tails = np.concatenate([np.zeros(num_volunteers, np.int64), v_node[arc_v], e_node, [source]])
    heads = np.concatenate([v_node, e_node[arc_e], np.full(num_elders, sink), [sink]])
    caps = np.concatenate([cap_count, np.ones(len(arc_v), np.int64), np.ones(num_elders, np.int64),
                           [num_elders]]).astype(np.int64)
    costs = np.concatenate([np.zeros(num_volunteers, np.int64), arc_cost, -gain,
                            [0]]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source], supplies[sink] = num_elders, -num_elders
    smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise ArithmeticError(f"min-cost flow failed with status {status}")
    flows = smcf.flows(np.arange(len(tails), dtype=np.int64))
    first, last = num_volunteers, num_volunteers + len(arc_v)
    used = flows[first:last] > 0
    reduced = None
    if potentials:
        dist = _shortest_residual(tails, heads, caps, costs, flows, sink + 1)
        if dist is not None:
            reduced = (arc_cost + dist[tails[first:last]] - dist[heads[first:last]])
    return FlowSolution(used=used, cost=int(smcf.optimal_cost()), reduced_cost=reduced)


def _shortest_residual(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray,
                       flows: np.ndarray, num_nodes: int) -> np.ndarray | None:
    """Shortest distances in the residual graph from a virtual root joined to every node.

    At an optimal flow the residual graph has no negative cycle, so Bellman-Ford converges;
    the distances are optimal potentials (every residual arc has reduced cost >= 0). The
    relaxation is vectorised over all arcs; it stops when nothing changes.
    """
    fwd = flows < caps
    bwd = flows > 0
    t = np.concatenate([tails[fwd], heads[bwd]])
    h = np.concatenate([heads[fwd], tails[bwd]])
    c = np.concatenate([costs[fwd], -costs[bwd]])
    dist = np.zeros(num_nodes, dtype=np.int64)
    for _ in range(num_nodes + 1):
        candidate = dist[t] + c
        better = candidate < dist[h]
        if not better.any():
            return dist
        np.minimum.at(dist, h[better], candidate[better])
    return None
