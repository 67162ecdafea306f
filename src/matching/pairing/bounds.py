"""Bounds on a part's optimum when its flow overfills a week: the **cuts** strategy (an LP
with the weekly rows and knapsack cover cuts, :mod:`matching.pairing.cuts`) and the
**lagrangian** strategy (subgradient prices on the weekly rows). Both price the flow's arcs,
so that the priced flow's cost bounds the optimum, and both offer the plans they meet as
incumbents (the upper bound).
"""

from __future__ import annotations

import numpy as np

from matching.pairing import cuts
from matching.pairing.arcmodel import ArcModel
from matching.pairing.arrays import grouped_order
from matching.pairing.flow import FlowNetwork, FlowSolution
from matching.pairing.plans import repair
from matching.runtime.budget import NEVER, Stop

#: Relative room left for floating-point error when a float price sum enters a bound.
FLOAT_MARGIN = 1e-9

#: Subgradient steps stop once the step factor has been halved this far: the bound has
#: stopped rising.
MIN_STEP = 1 / 16


class Bounds:
    """Upper bounds from feasible plans, lower bounds from Lagrangian relaxation."""

    def __init__(self, arcs: ArcModel, net: FlowNetwork, weight: int, flow: FlowSolution,
                 cap: np.ndarray, stop: Stop = NEVER) -> None:
        self.arcs, self.net, self.weight, self.cap = arcs, net, weight, cap
        self.stop = stop
        self.flow = flow
        self.lower = flow.cost
        self.reduced = flow.reduced_cost
        self.best_used = repair(arcs, flow.used)
        self.upper = arcs.combined(self.best_used, weight)
        self.stats: dict[str, int] = {"flows": 1}

    def gap(self) -> int:
        return max(0, self.upper - self.lower)

    def _offer(self, used: np.ndarray) -> None:
        """Keep a plan as the incumbent if it is feasible and better."""
        if len(self.arcs.overfull(used)):
            used = repair(self.arcs, used)
        value = self.arcs.combined(used, self.weight)
        if value < self.upper:
            self.best_used, self.upper = used, value

    def tighten(self, deadline: float, rounds: int = 8) -> None:
        """Lower each overfull volunteer's elder limit to one less than the flow gave them,
        and solve again, until no one overflows (or ``deadline``): a good feasible plan."""
        cap = self.cap.copy()
        used, active = self.flow.used, self.flow.active
        for _ in range(rounds):
            over = self.arcs.overfull(used)
            if not len(over) or self.stop.out_of_time(deadline):
                break
            cap[over] = np.maximum(0, self.arcs.counts(used)[over] - 1)
            sol = self.net.solve(self.arcs.arc_cost, cap, active)
            self.stats["flows"] += 1
            used, active = sol.used, sol.active
            self._offer(used)
        self._offer(used)

    def relax_and_cut(self, deadline: float) -> bool:
        """Prices from the LP with weekly-minute rows and cover cuts (:mod:`matching.pairing.cuts`),
        put on the flow's arcs (rounded down, so the bound stays valid whatever HiGHS's
        tolerances): the bound and reduced costs of that flow, and any plan it or the LP
        finds. Returns whether the LP gave prices."""
        a = self.arcs
        # the flow's tight pairs (reduced cost 0: each elder's pair and its best alternative)
        first = (self.flow.reduced_cost <= 0) | self.flow.used | self.best_used
        prices = cuts.cover_cut_prices(a.arc_v, a.arc_e, a.arc_cost, a.arc_load, self.cap,
                                       a.cap_load, a.priority, first, a.priority_of(self.flow.used),
                                       float(self.weight), deadline)
        if prices is None:
            return False
        self.stats.update(prices.stats)
        if prices.plan is not None:
            self._offer(prices.plan)
        extra = np.floor(np.minimum(prices.arc_price, self.weight)).astype(np.int64)
        sol = self.net.solve(a.arc_cost + extra, self.cap, self.flow.active)
        self.stats["flows"] += 1
        # the constant is subtracted, so it is rounded up (with room for float error)
        constant = prices.constant * (1 + FLOAT_MARGIN) + FLOAT_MARGIN
        value = int(np.ceil(sol.cost - constant))
        if value > self.lower:
            self.lower, self.reduced = value, sol.reduced_cost
        self._offer(sol.used)
        return True

    def lagrangian(self, deadline: float, rounds: int = 60) -> None:
        """Subgradient ascent on prices for weekly minutes; keeps the best lower bound and
        the reduced costs under its prices."""
        a = self.arcs
        binding = binding_volunteers(a)
        if not binding.any():
            return
        price = np.zeros(a.num_volunteers)
        theta, stall = 1.0, 0
        used, active = self.flow.used, self.flow.active
        done = 0
        for done in range(1, rounds + 1):
            if self.gap() == 0 or self.stop.out_of_time(deadline) or theta < MIN_STEP:
                break
            excess = np.where(binding, a.loads(used) - a.cap_load, 0.0)
            excess[(price <= 0) & (excess < 0)] = 0.0
            norm = float((excess**2).sum())
            if norm == 0:
                break
            step = theta * min(self.gap(), self.weight) / norm
            # a price above weight/load would trade priority for minutes: never useful
            price = np.minimum(np.maximum(0.0, price + step * excess),
                               self.weight / max(1, int(a.arc_load.max())))
            extra = np.floor(price[a.arc_v] * a.arc_load).astype(np.int64)
            sol = self.net.solve(a.arc_cost + extra, self.cap, active)
            self.stats["flows"] += 1
            used, active = sol.used, sol.active
            value = int(np.ceil(sol.cost - float((price * a.cap_load).sum()) - 1e-6))
            if value > self.lower:
                self.lower, self.reduced, stall = value, sol.reduced_cost, 0
                self.stats["lagrangian_best_round"] = done
            else:
                stall += 1
                if stall >= 3:
                    theta, stall = theta / 2, 0
            self._offer(used)
        self.stats["lagrangian_rounds"] = done


def binding_volunteers(a: ArcModel) -> np.ndarray:
    """Volunteers whose weekly minutes can bind: their ``max_elders`` largest loads overflow."""
    order = grouped_order(a.arc_v, -a.arc_load)
    v, load = a.arc_v[order], a.arc_load[order]
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]]) if len(v) else np.empty(0, int)
    rank = np.arange(len(v)) - np.repeat(starts, np.diff(np.r_[starts, len(v)]))
    top = rank < a.cap_count[v]
    heaviest = np.bincount(v[top], weights=load[top], minlength=a.num_volunteers)
    return heaviest > a.cap_load
