"""Solve a pairing problem exactly, exploiting its structure.

1. **Flow.** Drop the weekly-minute limits and the problem is a min-cost flow, solved exactly
   in well under a second at county scale (:mod:`matching.pairing.flow`). Each volunteer's
   elder limit is tightened first to the most elders whose smallest loads fit the week,
   which keeps it a relaxation but a closer one.
2. **Check.** If no volunteer's week overflows in that flow, it is optimal for the real
   problem too, and the proof is complete.
3. **Bounds.** Otherwise an upper bound comes from feasible plans: flows in which each
   overflowing volunteer's elder limit is lowered until nobody overflows, and greedy repairs.
   The lower bound comes from an LP with the weekly-minute rows the flow dropped and
   knapsack cover cuts (:mod:`matching.pairing.cuts`), whose duals become prices on the flow's arcs:
   that flow's cost bounds the optimum exactly. If no LP is solved in time, branch-and-bound
   over flows, then Lagrangian prices found by subgradient steps, take its place.
4. **Prune and prove.** A pair whose reduced cost (under the best prices) exceeds the gap
   between the bounds is in no optimal plan and is removed. CP-SAT solves what remains
   lexicographically (:mod:`matching.pairing.cpsat`), which proves the optimum.
5. **Fill.** If the time limit stopped the proof early, any elder that an eligible volunteer
   still has room for is added, so no one is left out who could be served.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.pairing import cpsat, cuts
from matching.pairing.arcmodel import ArcModel
from matching.pairing.arrays import grouped_order, renumber
from matching.pairing.flow import FlowNetwork, FlowSolution, lexicographic_weight
from matching.pairing.options import SolveOptions
from matching.pairing.problem import PairingProblem
from matching.pairing.result import PairingResult, Status
from matching.rules.errors import InputError
from matching.runtime.budget import NEVER, Stop
from matching.runtime.progress import SILENT, Progress

if TYPE_CHECKING:
    from matching.runtime.cluster import Cluster

#: Largest magnitude a flow arc cost may take so that OR-Tools' cost scaling cannot overflow.
_COST_LIMIT = 2**62


#: Largest pruned component CP-SAT is asked to prove; above it, a restricted model over each
#: elder's cheapest pairs improves the plan and the result reports its gap.
MAX_PROOF_PAIRS = 150_000
RESTRICTED_PAIRS_PER_ELDER = 8

#: Branching needs a level per overloaded volunteer at least: beyond this many it would not
#: finish within its flows, so the Lagrangian and CP-SAT route is taken at once.
BRANCH_MAX_OVERLOADED = 12

#: Share of the time limit the LP with cover cuts may use (:mod:`matching.pairing.cuts`); at city
#: size it needs about a second.
RELAX_SHARE = 0.25

#: Share of the time limit the flow branch-and-bound may use before the Lagrangian and CP-SAT
#: route takes over.
BRANCHING_SHARE = 0.2

#: Relative room left for floating-point error when a float price sum enters a bound.
FLOAT_MARGIN = 1e-9

#: Subgradient steps stop once the step factor has been halved this far: the bound has
#: stopped rising.
MIN_STEP = 1 / 16


#: The solve strategies, each a module of its own, in the order a part meets them. The
#: min-cost flow always runs; the others run where the flow's plan overfills a week, and
#: where :class:`~matching.pairing.options.SolveOptions` allows them (which is how a test
#: forces a route).
STRATEGIES: dict[str, str] = {
    "flow": "min-cost flow without the weekly minutes (matching.pairing.flow); optimal when "
            "no week overflows",
    "cuts": "LP with the weekly rows and knapsack cover cuts (matching.pairing.cuts, HiGHS): "
            "prices whose flow bounds the optimum",
    "branch-and-bound": "flows that forbid an overfull volunteer's pairs one at a time, when "
                        "the LP settles nothing and few volunteers overflow",
    "lagrangian": "subgradient prices on the weekly rows, when neither settles the bound",
    "cp-sat": "CP-SAT on the pairs the bounds cannot rule out (matching.pairing.cpsat), "
              "which proves the optimum; HiGHS searches beside it (matching.pairing.improve)",
}

class Method(enum.IntEnum):
    """How a part was solved, from the simplest to the most involved: a plan made of
    several parts reports the most involved (the largest)."""

    FLOW = 0
    BRANCH_AND_BOUND = 1
    CUTS = 2
    LAGRANGIAN = 3
    CUTS_AND_CP_SAT = 4
    LAGRANGIAN_AND_CP_SAT = 5

    @property
    def label(self) -> str:
        """The words written in the run's records (``summary.json``, ``run.json``)."""
        return METHOD_LABELS[self]

    @classmethod
    def of(cls, label: str) -> Method:
        """The method a record's words name.

        Raises
        ------
        ValueError
            If no method is worded so.
        """
        for method, words in METHOD_LABELS.items():
            if words == label:
                return method
        raise ValueError(f"no solve method is called {label!r}")


METHOD_LABELS: dict[Method, str] = {
    Method.FLOW: "min-cost flow",
    Method.BRANCH_AND_BOUND: "min-cost flow + branch-and-bound",
    Method.CUTS: "min-cost flow + cover cuts",
    Method.LAGRANGIAN: "min-cost flow + Lagrangian bounds",
    Method.CUTS_AND_CP_SAT: "min-cost flow + cover cuts + CP-SAT",
    Method.LAGRANGIAN_AND_CP_SAT: "min-cost flow + Lagrangian bounds + CP-SAT",
}


def most_involved(labels: Iterable[str]) -> str:
    """The most involved of several plans' methods, by their records' words (the flow
    when there is none)."""
    return max((Method.of(label) for label in labels), default=Method.FLOW).label


@dataclass(frozen=True)
class Part(ArcModel):
    """One independent part of a pairing problem: a connected component of the graph of
    usable pairs, renumbered locally (the arrays of :class:`matching.pairing.arcmodel.ArcModel`).
    Nothing in one part bears on another, so the best plan of the whole is the best plan of
    each part put together.

    Attributes
    ----------
    arc_index
        Each arc's position among the problem's arcs (``problem.arc_*``).
    """

    arc_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def num_pairs(self) -> int:
        """Number of usable pairs in the part."""
        return len(self.arc_index)


@dataclass
class PartResult:
    """How one part was solved: the pairs used, and the proof or bounds."""

    used: np.ndarray
    proven: bool
    priority_bound: int
    cost_bound: int | None
    method: Method
    stats: dict[str, int]
    seconds: dict[str, float]


def split(problem: PairingProblem) -> list[Part]:
    """The independent parts of ``problem``: the connected components of its usable pairs
    (a pair is usable when its visit fits the volunteer's week and elder limit), in the
    order of their first pair. Elders with no usable pair belong to no part."""
    p = problem
    usable = (p.arc_load <= p.cap_load[p.arc_v]) & (p.cap_count[p.arc_v] > 0)
    idx = np.flatnonzero(usable)
    if not len(idx):
        return []
    n_labels, label = _components(p.arc_v[idx], p.arc_e[idx], p.num_volunteers, p.num_elders)
    labels, arc_label = renumber(label[p.arc_v[idx]], n_labels)
    first = np.empty(len(labels), dtype=np.int64)
    first[arc_label[::-1]] = np.arange(len(idx) - 1, -1, -1)  # the last write is the first
    # parts in the order of their first pair; arcs keep their order (by elder) inside
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(labels))
    arc_rank = rank[arc_label]
    order = (np.arange(len(idx)) if len(labels) == 1
             else np.argsort(arc_rank, kind="stable"))
    bounds = np.r_[0, np.cumsum(np.bincount(arc_rank, minlength=len(labels)))]
    parts = []
    for k in range(len(first)):
        g = idx[order[bounds[k]:bounds[k + 1]]]
        vs, lv = renumber(p.arc_v[g], p.num_volunteers)
        es, le = renumber(p.arc_e[g], p.num_elders)
        parts.append(Part(arc_v=lv, arc_e=le,
                          arc_cost=p.arc_cost[g], arc_load=p.arc_load[g],
                          cap_count=p.cap_count[vs], cap_load=p.cap_load[vs],
                          priority=p.priority[es], arc_index=g))
    return parts


def solve(problem: PairingProblem, options: SolveOptions | None = None, stop: Stop = NEVER,
          *, progress: Progress | None = None, cluster: Cluster | None = None
          ) -> PairingResult:
    """Find the best pairing: largest total priority, then least cost.

    The problem is split into its independent parts (:func:`split`); each is solved on its
    own (:func:`solve_part`), here or on a Dask cluster, and the plans are put together.
    Each part's budget is its share of the pairs (:meth:`SolveOptions.shares`), so a part
    gets the same budget wherever it runs and the plan is the same, byte for byte.

    Parameters
    ----------
    problem
        From :func:`matching.build_problem`.
    options
        The time limit (or deterministic time), seed, workers and strategies
        (:class:`~matching.pairing.options.SolveOptions`; its defaults when not given).
    stop
        A request to end the search early (the plan found so far is returned, marked
        interrupted). Parts solved on a cluster run to their budgets.
    progress
        Told of each phase as it starts.
    cluster
        Where to solve the parts (:func:`matching.runtime.cluster.open_cluster`); here by
        default, and always here under a deterministic time.
    """
    options = options or SolveOptions()
    say = progress or SILENT
    started = time.perf_counter()
    p = problem
    parts = split(p)
    shares = options.shares([part.num_pairs for part in parts])
    if len(parts) > 1:
        say("parts", f"{len(parts):,} independent parts (largest "
            f"{max(q.num_pairs for q in parts):,} pairs)", parts=len(parts))
    if cluster is not None and len(parts) > 1 and options.timed:
        say("cluster", f"solving the parts on {cluster.name}")
        results = cluster.map_parts(solve_part, parts, shares)
    else:
        quiet = say if len(parts) == 1 else SILENT
        results = [solve_part(part, share, quiet, stop)
                   for part, share in zip(parts, shares, strict=True)]
    chosen = np.zeros(p.num_arcs, dtype=bool)
    stats: dict[str, int] = {}
    seconds: dict[str, float] = {}
    priority_bound, proven = 0, True
    cost_bound: int | None = 0
    method = Method.FLOW
    for part, result in zip(parts, results, strict=True):
        chosen[part.arc_index[result.used]] = True
        proven &= result.proven
        priority_bound += result.priority_bound
        cost_bound = (None if cost_bound is None or result.cost_bound is None
                      else cost_bound + result.cost_bound)
        method = max(method, result.method)
        for key, value in result.stats.items():
            stats[key] = stats.get(key, 0) + value
        for key, value in result.seconds.items():
            seconds[key] = seconds.get(key, 0.0) + value
    stats["parts"] = len(parts)
    stats["largest_part_pairs"] = max((q.num_pairs for q in parts), default=0)
    priority = int(p.priority[p.arc_e[chosen]].sum())
    cost = int(p.arc_cost[chosen].sum())
    seconds["total"] = time.perf_counter() - started
    return PairingResult(
        problem=p,
        chosen=chosen,
        status=Status.of(proven, interrupted=stop.requested),
        priority=priority,
        priority_bound=max(priority_bound, priority),
        cost_units=cost,
        cost_bound_units=(None if cost_bound is None or priority < priority_bound
                          else min(cost_bound, cost)),
        method=method.label,
        stats=stats,
        # a plan not proven and not stopped by hand is one the budget cut short, even if
        # it ended a moment before the limit (a stage too short to start is skipped)
        time_limit_reached=not proven and not stop.requested and options.uses("cp-sat"),
        seconds=seconds,
        seed=options.seed,
    )


def solve_part(part: Part, options: SolveOptions, progress: Progress = SILENT,
               stop: Stop = NEVER) -> PartResult:
    """Solve one part exactly (or as well as its time limit allows): flow, then the
    strategies of :data:`STRATEGIES` that ``options`` allows where weeks overflow (see the
    module docstring). A plain function of arrays, so that a Dask worker can run it. Under
    a deterministic time the clock bounds nothing; ``stop`` ends every search early."""
    time_limit, deterministic_time = options.time_limit, options.deterministic_time
    seed, workers = options.seed, options.search_workers
    say = progress
    started = time.perf_counter()
    deadline = started + time_limit if deterministic_time is None else float("inf")
    nv, ne = len(part.cap_count), len(part.priority)
    arcs = ArcModel(part.arc_v, part.arc_e, part.arc_cost, part.arc_load, part.cap_count,
                 part.cap_load, part.priority)
    say("flow", f"min-cost flow over {part.num_pairs:,} pairs", pairs=part.num_pairs)
    weight = lexicographic_weight(arcs.arc_e, arcs.arc_cost, ne)
    if weight * max(1, int(part.priority.max(initial=1))) * (nv + ne + 3) >= _COST_LIMIT:
        raise InputError.one("elders", "input.priorities_too_large")
    net = FlowNetwork(nv, ne, arcs.arc_v, arcs.arc_e, weight * part.priority)
    cap = _count_fitting_week(arcs.arc_v, arcs.arc_load, part.cap_count, part.cap_load)
    flow = net.solve(arcs.arc_cost, cap)
    seconds = {"flow": time.perf_counter() - started}
    over = arcs.overfull(flow.used)
    stats: dict[str, int] = {"overfull": len(over)}
    used = flow.used
    proven = True
    priority_bound = arcs.priority_of(flow.used)
    cost_bound: int | None = int(arcs.arc_cost[flow.used].sum())
    method = Method.FLOW
    if len(over):
        say("bounding", f"{len(over)} volunteers over their weekly minutes in the flow; "
            "bounding", overfull=len(over))
        bounds = _Bounds(arcs, net, weight, flow, cap, stop)
        bounds.tighten(deadline)
        cut = options.uses("cuts") and bounds.relax_and_cut(
            min(deadline, started + RELAX_SHARE * time_limit)
            if deterministic_time is None else deadline)
        stats.update(bounds.stats)
        settled = cut  # the LP's prices bound the plan; else the older routes
        branched = None
        if not settled and len(over) <= BRANCH_MAX_OVERLOADED and \
                options.uses("branch-and-bound"):
            say("branching", f"{len(over)} volunteers over their weekly minutes in the flow; "
                "branching", overfull=len(over))
            branched = _branch_and_bound(arcs, net, cap, weight, flow,
                                         min(deadline, started + BRANCHING_SHARE * time_limit)
                                         if deterministic_time is None else deadline, stats,
                                         stop)
        if branched is not None:
            method = Method.BRANCH_AND_BOUND
            used = branched
            priority_bound = arcs.priority_of(used)
            cost_bound = int(arcs.arc_cost[used].sum())
        else:
            if not settled and options.uses("lagrangian"):
                bounds.lagrangian(deadline)
                stats.update(bounds.stats)
            seconds["bounds"] = time.perf_counter() - started - seconds["flow"]
            used = bounds.best_used
            proof = None
            if bounds.gap() > 0 and (stop.out_of_time(deadline) or not options.uses("cp-sat")):
                # out of time (or no proof asked for): the best plan so far, with the
                # bounds as they stand
                stats["pairs_after_pruning"] = 0
                proven = False
                cost_bound = bounds.lower + weight * priority_bound
            elif bounds.gap() > 0:
                keep, fixed, rest = _reduce(arcs, bounds.reduced, bounds.gap(), used)
                stats["pairs_after_pruning"] = int(keep.sum())
                stats["pairs_fixed"] = int(fixed.sum())
                say("proving", f"gap {bounds.gap():,} units; {int(fixed.sum()):,} pairs "
                    f"fixed, {int(keep.sum()):,} of {len(keep):,} left to prove",
                    left=int(keep.sum()))
                proof = _prove(rest, keep, used & keep, weight, deadline, seed, workers,
                               deterministic_time, stop)
                stats.update(proof.stats)
                used, proven = proof.used | fixed, proof.proven
                priority_bound = min(priority_bound,
                                     proof.priority_bound + arcs.priority_of(fixed))
                cost_bound = (None if proof.cost_bound is None
                              else proof.cost_bound + int(arcs.arc_cost[fixed].sum()))
                if cost_bound is not None:  # the relaxation's bound may be the better one
                    cost_bound = max(cost_bound, bounds.lower + weight * priority_bound)
            else:
                stats["pairs_after_pruning"] = 0
                cost_bound = int(arcs.arc_cost[used].sum())
            with_cpsat = proof is not None and proof.stats["cpsat_components"] > 0
            # the words name what ran: CP-SAT only where it was given pairs to prove
            if settled:
                method = Method.CUTS_AND_CP_SAT if with_cpsat else Method.CUTS
            else:
                method = Method.LAGRANGIAN_AND_CP_SAT if with_cpsat else Method.LAGRANGIAN
    if not proven:
        used = _fill(arcs, used)
    return PartResult(used=used, proven=proven, priority_bound=priority_bound,
                      cost_bound=cost_bound, method=method, stats=stats, seconds=seconds)


def _branch_and_bound(arcs: ArcModel, net: FlowNetwork, cap: np.ndarray, weight: int,
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


class _Bounds:
    """Upper bounds from feasible plans, lower bounds from Lagrangian relaxation."""

    def __init__(self, arcs: ArcModel, net: FlowNetwork, weight: int, flow: FlowSolution,
                 cap: np.ndarray, stop: Stop = NEVER) -> None:
        self.arcs, self.net, self.weight, self.cap = arcs, net, weight, cap
        self.stop = stop
        self.flow = flow
        self.lower = flow.cost
        self.reduced = flow.reduced_cost
        self.best_used = _repair(arcs, flow.used)
        self.upper = arcs.combined(self.best_used, weight)
        self.stats: dict[str, int] = {"flows": 1}

    def gap(self) -> int:
        return max(0, self.upper - self.lower)

    def _offer(self, used: np.ndarray) -> None:
        """Keep a plan as the incumbent if it is feasible and better."""
        if len(self.arcs.overfull(used)):
            used = _repair(self.arcs, used)
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
        binding = _binding(a)
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


def _binding(a: ArcModel) -> np.ndarray:
    """Volunteers whose weekly minutes can bind: their ``max_elders`` largest loads overflow."""
    order = grouped_order(a.arc_v, -a.arc_load)
    v, load = a.arc_v[order], a.arc_load[order]
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]]) if len(v) else np.empty(0, int)
    rank = np.arange(len(v)) - np.repeat(starts, np.diff(np.r_[starts, len(v)]))
    top = rank < a.cap_count[v]
    heaviest = np.bincount(v[top], weights=load[top], minlength=a.num_volunteers)
    return heaviest > a.cap_load


def _reduce(arcs: ArcModel, reduced: np.ndarray, gap: int,
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
class _Proof:
    used: np.ndarray
    proven: bool
    priority_bound: int
    cost_bound: int | None
    stats: dict[str, int]


def _prove(arcs: ArcModel, keep: np.ndarray, incumbent: np.ndarray, weight: int, deadline: float,
           seed: int, workers: int, deterministic_time: float | None = None,
           stop: Stop = NEVER) -> _Proof:
    """Solve the pruned problem exactly, one connected component at a time.

    The pruned problem holds an optimal plan and falls apart into components that share
    nobody, so each is solved alone: by a min-cost flow when no week can overflow in it or
    its flow relaxation already fits, and by CP-SAT (started from the incumbent) otherwise.
    """
    k = np.flatnonzero(keep)
    used = incumbent.copy()
    n_comp, label = _components(arcs.arc_v[k], arcs.arc_e[k], arcs.num_volunteers,
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
        cap = _count_fitting_week(sub.arc_v, sub.arc_load, sub.cap_count, sub.cap_load)
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
    return _Proof(used=used, proven=proven, priority_bound=priority_bound,
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


def _components(arc_v: np.ndarray, arc_e: np.ndarray, nv: int, ne: int) -> tuple[int, np.ndarray]:
    """Connected components of the pair graph; ``label`` is indexed by volunteer."""
    graph = coo_matrix((np.ones(len(arc_v)), (arc_v, nv + arc_e)), shape=(nv + ne, nv + ne))
    n, label = connected_components(graph, directed=False)
    return n, label[:nv]


def _count_fitting_week(arc_v: np.ndarray, arc_load: np.ndarray, cap_count: np.ndarray,
                        cap_load: np.ndarray) -> np.ndarray:
    """Per volunteer, ``min(max_elders, most elders whose smallest loads fit the week)``."""
    order = grouped_order(arc_v, arc_load)
    v, load = arc_v[order], arc_load[order]
    if not len(v):
        return np.zeros(len(cap_count), dtype=np.int64)
    cum = np.cumsum(load)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    base = np.repeat(cum[starts] - load[starts], np.diff(np.r_[starts, len(v)]))
    fits = (cum - base) <= cap_load[v]
    fitting = np.bincount(v[fits], minlength=len(cap_count))
    return np.minimum(cap_count, fitting).astype(np.int64)


def _repair(a: ArcModel, used: np.ndarray) -> np.ndarray:
    """Make a relaxed plan feasible: overfull volunteers drop their least valuable elders
    (lowest priority, then largest load) until their week fits; then :func:`_fill`."""
    used = used.copy()
    load = a.loads(used)
    count = a.counts(used)
    over = (load > a.cap_load) | (count > a.cap_count)
    # every overfull volunteer's pairs at once (a scan per volunteer is quadratic when a
    # priced flow overloads thousands), each volunteer's least valuable first
    mine = np.flatnonzero(used & over[a.arc_v])
    order = np.lexsort((-a.arc_load[mine], a.priority[a.arc_e[mine]], a.arc_v[mine]))
    for k in mine[order].tolist():
        v = a.arc_v[k]
        if load[v] <= a.cap_load[v] and count[v] <= a.cap_count[v]:
            continue
        used[k] = False
        load[v] -= a.arc_load[k]
        count[v] -= 1
    return _fill(a, used)


def _fill(a: ArcModel, used: np.ndarray) -> np.ndarray:
    """Give every uncovered elder (highest priority first) the cheapest eligible volunteer
    who still has room, if there is one. Arcs must be sorted by elder."""
    used = used.copy()
    count = a.counts(used)
    load = a.loads(used)
    if not len(a.arc_e):
        return used
    covered = np.zeros(int(a.arc_e.max()) + 1, dtype=bool)
    covered[a.arc_e[used]] = True
    starts = np.flatnonzero(np.r_[True, a.arc_e[1:] != a.arc_e[:-1]])
    ends = np.r_[starts[1:], len(a.arc_e)]
    elders = a.arc_e[starts]
    open_ = np.flatnonzero(~covered[elders])
    for i in open_[np.argsort(-a.priority[elders[open_]], kind="stable")].tolist():
        lo, hi = starts[i], ends[i]
        v = a.arc_v[lo:hi]
        ok = (count[v] < a.cap_count[v]) & (load[v] + a.arc_load[lo:hi] <= a.cap_load[v])
        if ok.any():
            pick = lo + np.flatnonzero(ok)[np.argmin(a.arc_cost[lo:hi][ok])]
            used[pick] = True
            count[a.arc_v[pick]] += 1
            load[a.arc_v[pick]] += a.arc_load[pick]
    return used
