"""Exact pairing by min-cost flow, with the dual potentials that bound every other plan.

Network::

    source --(max_elders, 0)--> volunteer --(1, cost)--> elder --(1, -gain)--> sink
    source --------------------(elders, 0)-----------------------------------> sink

``gain = M * priority`` with ``M`` larger than any difference in total cost, so a cheapest
flow first covers the largest total priority, then has the least cost: the contract's
lexicographic objective as one integer cost. Without the weekly-minute limits this *is* the
pairing problem, and network simplex solves it exactly; with them, it is a relaxation whose
optimum bounds the true one from below.

Pricing keeps the network small: the flow is solved over each elder's cheapest pairs only,
then every other pair is priced with the optimal potentials. If none has a negative reduced
cost, the potentials are dual feasible for the whole network and the flow is optimal for it
(LP duality); otherwise the offending pairs join and the flow is solved again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.pairing.arrays import grouped_order

#: Pairs per elder in the first pricing round.
FIRST_ROUND_PAIRS = 24


@dataclass(frozen=True)
class FlowSolution:
    """An optimal flow over all pairs.

    Attributes
    ----------
    used
        For each pair arc, whether the flow uses it.
    cost
        Total cost of the flow (the lexicographic objective as one integer).
    reduced_cost
        For each pair arc, its reduced cost under optimal potentials. Any plan that uses an
        unused arc costs at least ``cost + reduced_cost``.
    active
        The pairs the last round of pricing solved over (a warm start for the next solve).
    """

    used: np.ndarray
    cost: int
    reduced_cost: np.ndarray
    active: np.ndarray


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


@dataclass(frozen=True)
class FlowNetwork:
    """The static part of the network: pair arcs (sorted by elder) and elder gains."""

    num_volunteers: int
    num_elders: int
    arc_v: np.ndarray
    arc_e: np.ndarray
    gain: np.ndarray

    def first_round(self, cost: np.ndarray, per_elder: int = FIRST_ROUND_PAIRS) -> np.ndarray:
        """Each elder's ``per_elder`` cheapest pairs."""
        order = grouped_order(self.arc_e, cost)
        e = self.arc_e[order]
        starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]]) if len(e) else np.empty(0, int)
        rank = np.arange(len(e)) - np.repeat(starts, np.diff(np.r_[starts, len(e)]))
        active = np.zeros(len(e), dtype=bool)
        active[order[rank < per_elder]] = True
        return active

    def solve(self, cost: np.ndarray, cap_count: np.ndarray,
              active: np.ndarray | None = None) -> FlowSolution:
        """Optimal flow for these pair costs and volunteer capacities, by pricing."""
        active = self.first_round(cost) if active is None else active.copy()
        while True:
            idx = np.flatnonzero(active)
            used_sub, total, dist = self._solve_subset(idx, cost, cap_count)
            reduced = (cost + dist[1 + self.arc_v]
                       - dist[1 + self.num_volunteers + self.arc_e])
            entering = ~active & (reduced < 0)
            if not entering.any():
                used = np.zeros(len(cost), dtype=bool)
                used[idx[used_sub]] = True
                return FlowSolution(used=used, cost=total, reduced_cost=reduced, active=active)
            active |= entering

    def _solve_subset(self, idx: np.ndarray, cost: np.ndarray,
                      cap_count: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
        nv, ne = self.num_volunteers, self.num_elders
        source, sink = 0, 1 + nv + ne
        v_node = 1 + np.arange(nv, dtype=np.int64)
        e_node = 1 + nv + np.arange(ne, dtype=np.int64)
        tails = np.concatenate([np.zeros(nv, np.int64), v_node[self.arc_v[idx]], e_node,
                                [source]])
        heads = np.concatenate([v_node, e_node[self.arc_e[idx]], np.full(ne, sink), [sink]])
        caps = np.concatenate([cap_count, np.ones(len(idx), np.int64), np.ones(ne, np.int64),
                               [ne]]).astype(np.int64)
        costs = np.concatenate([np.zeros(nv, np.int64), cost[idx], -self.gain,
                                [0]]).astype(np.int64)
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[source], supplies[sink] = ne, -ne
        smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            raise ArithmeticError(f"min-cost flow failed with status {status}")
        flows = smcf.flows(np.arange(len(tails), dtype=np.int64))
        dist = _shortest_residual(tails, heads, caps, costs, flows, sink + 1)
        used = flows[nv:nv + len(idx)] > 0
        return used, int(smcf.optimal_cost()), dist


def _shortest_residual(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray,
                       flows: np.ndarray, num_nodes: int) -> np.ndarray:
    """Shortest distances in the residual graph from a virtual root joined to every node.

    At an optimal flow the residual graph has no negative cycle, so Bellman-Ford converges;
    the distances are optimal potentials (every residual arc has reduced cost >= 0). The
    relaxation is vectorised over all arcs and stops when nothing changes.
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
    raise ArithmeticError("negative cycle in an optimal flow's residual graph")
