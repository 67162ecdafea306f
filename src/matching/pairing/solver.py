"""Solve a pairing problem exactly, exploiting its structure.

1. **Flow.** Drop the weekly-minute limits and the problem is a min-cost flow, solved exactly
   in well under a second at county scale (:mod:`matching.pairing.flow`). Each volunteer's
   elder limit is tightened first to the most elders whose smallest loads fit the week,
   which keeps it a relaxation but a closer one.
2. **Check.** If no volunteer's week overflows in that flow, it is optimal for the real
   problem too, and the proof is complete.
3. **Bounds** (:mod:`matching.pairing.bounds`). Otherwise an upper bound comes from feasible
   plans: flows in which each overflowing volunteer's elder limit is lowered until nobody
   overflows, and repairs (:mod:`matching.pairing.plans`). The lower bound comes from an LP
   with the weekly-minute rows the flow dropped and knapsack cover cuts
   (:mod:`matching.pairing.cuts`), whose duals become prices on the flow's arcs: that flow's
   cost bounds the optimum exactly. If no LP is solved in time, branch-and-bound over flows
   (:mod:`matching.pairing.branching`), then Lagrangian prices, take its place. The order is
   the table :data:`ROUTE`; the strategies, :data:`STRATEGIES`.
4. **Prune and prove** (:mod:`matching.pairing.proof`). A pair whose reduced cost (under the
   best prices) exceeds the gap between the bounds is in no optimal plan and is removed.
   CP-SAT solves what remains lexicographically (:mod:`matching.pairing.cpsat`), which
   proves the optimum.
5. **Fill.** If the time limit stopped the proof early, any elder that an eligible volunteer
   still has room for is added, so no one is left out who could be served.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from matching.pairing.arcmodel import ArcModel
from matching.pairing.arrays import renumber
from matching.pairing.bounds import Bounds
from matching.pairing.branching import branch_and_bound
from matching.pairing.flow import FlowNetwork, FlowSolution, lexicographic_weight
from matching.pairing.options import SolveOptions
from matching.pairing.plans import count_fitting_week, fill
from matching.pairing.problem import PairingProblem
from matching.pairing.proof import Proof, components, prove, reduce_by_cost
from matching.pairing.result import PairingResult, Status
from matching.rules.errors import InputError
from matching.runtime.budget import NEVER, Stop
from matching.runtime.progress import SILENT, Progress

if TYPE_CHECKING:
    from matching.runtime.cluster import Cluster

#: Largest magnitude a flow arc cost may take so that OR-Tools' cost scaling cannot overflow.
_COST_LIMIT = 2**62



#: Branching needs a level per overloaded volunteer at least: beyond this many it would not
#: finish within its flows, so the Lagrangian and CP-SAT route is taken at once.
BRANCH_MAX_OVERLOADED = 12

#: Share of the time limit the LP with cover cuts may use (:mod:`matching.pairing.cuts`); at city
#: size it needs about a second.
RELAX_SHARE = 0.25

#: Share of the time limit the flow branch-and-bound may use before the Lagrangian and CP-SAT
#: route takes over.
BRANCHING_SHARE = 0.2



#: The solve strategies, each a module of its own. The min-cost flow always runs; the
#: others follow :data:`ROUTE` where the flow's plan overfills a week, if
#: :class:`~matching.pairing.options.SolveOptions` allows them (which is how a test forces
#: a route).
STRATEGIES: dict[str, str] = {
    "flow": "min-cost flow without the weekly minutes (matching.pairing.flow); optimal when "
            "no week overflows",
    "cuts": "LP with the weekly rows and knapsack cover cuts (matching.pairing.cuts, HiGHS), "
            "whose prices on the flow bound the optimum (matching.pairing.bounds)",
    "branch-and-bound": "flows that forbid an overfull volunteer's pairs one at a time "
                        "(matching.pairing.branching), when the LP settles nothing and few "
                        "volunteers overflow",
    "lagrangian": "subgradient prices on the weekly rows (matching.pairing.bounds), when the "
                  "LP settles nothing",
    "cp-sat": "CP-SAT on the pairs the bounds cannot rule out (matching.pairing.proof, "
              "matching.pairing.cpsat), which proves the optimum; HiGHS searches beside it "
              "(matching.pairing.improve)",
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
    n_labels, label = components(p.arc_v[idx], p.arc_e[idx], p.num_volunteers, p.num_elders)
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
    """Solve one part exactly (or as well as its time limit allows): the flow, then, where
    a week overflows, the steps of :data:`ROUTE` that ``options`` allows, then the proof
    (see the module docstring). A plain function of arrays, so that a Dask worker can run
    it. Under a deterministic time the clock bounds nothing; ``stop`` ends every search
    early."""
    started = time.perf_counter()
    deadline = started + options.time_limit if options.deterministic_time is None \
        else float("inf")
    nv, ne = len(part.cap_count), len(part.priority)
    arcs = ArcModel(part.arc_v, part.arc_e, part.arc_cost, part.arc_load, part.cap_count,
                    part.cap_load, part.priority)
    progress("flow", f"min-cost flow over {part.num_pairs:,} pairs", pairs=part.num_pairs)
    weight = lexicographic_weight(arcs.arc_e, arcs.arc_cost, ne)
    if weight * max(1, int(part.priority.max(initial=1))) * (nv + ne + 3) >= _COST_LIMIT:
        raise InputError.one("elders", "input.priorities_too_large")
    net = FlowNetwork(nv, ne, arcs.arc_v, arcs.arc_e, weight * part.priority)
    cap = count_fitting_week(arcs.arc_v, arcs.arc_load, part.cap_count, part.cap_load)
    flow = net.solve(arcs.arc_cost, cap)
    seconds = {"flow": time.perf_counter() - started}
    over = arcs.overfull(flow.used)
    stats: dict[str, int] = {"overfull": len(over)}
    if not len(over):  # the flow keeps every week: it is optimal
        return PartResult(used=flow.used, proven=True,
                          priority_bound=arcs.priority_of(flow.used),
                          cost_bound=int(arcs.arc_cost[flow.used].sum()), method=Method.FLOW,
                          stats=stats, seconds=seconds)
    progress("bounding", f"{len(over)} volunteers over their weekly minutes in the flow; "
             "bounding", overfull=len(over))
    bounds = Bounds(arcs, net, weight, flow, cap, stop)
    bounds.tighten(deadline)
    route = _Route(arcs, net, weight, cap, flow, over, bounds, options, started, deadline,
                   stop, progress, stats)
    for step in ROUTE:
        if options.uses(step.strategy) and step.when(route):
            step.run(route)
            stats.update(bounds.stats)
            if route.branched is not None:  # branching settled the part: no proof needed
                used = route.branched
                return PartResult(used=used, proven=True, priority_bound=arcs.priority_of(used),
                                  cost_bound=int(arcs.arc_cost[used].sum()),
                                  method=Method.BRANCH_AND_BOUND, stats=stats, seconds=seconds)
    seconds["bounds"] = time.perf_counter() - started - seconds["flow"]
    return _proven(route, seconds)


@dataclass
class _Route:
    """A part on its way through :data:`ROUTE`: its arrays and flow, the bounds so far, and
    what the steps settled."""

    arcs: ArcModel
    net: FlowNetwork
    weight: int
    cap: np.ndarray
    flow: FlowSolution
    over: np.ndarray
    bounds: Bounds
    options: SolveOptions
    started: float
    deadline: float
    stop: Stop
    progress: Progress
    stats: dict[str, int]
    cut: bool = False
    branched: np.ndarray | None = None

    def until(self, share: float) -> float:
        """The deadline of a step that may use ``share`` of the time limit (none under a
        deterministic time)."""
        if self.options.deterministic_time is not None:
            return self.deadline
        return min(self.deadline, self.started + share * self.options.time_limit)


def _cut(route: _Route) -> None:
    route.cut = route.bounds.relax_and_cut(route.until(RELAX_SHARE))


def _branch(route: _Route) -> None:
    route.progress("branching", f"{len(route.over)} volunteers over their weekly minutes in "
                   "the flow; branching", overfull=len(route.over))
    route.branched = branch_and_bound(route.arcs, route.net, route.cap, route.weight,
                                      route.flow, route.until(BRANCHING_SHARE), route.stats,
                                      route.stop)


def _lagrange(route: _Route) -> None:
    route.bounds.lagrangian(route.deadline)


@dataclass(frozen=True)
class Step:
    """One step of a part's route: the strategy it is (a key of :data:`STRATEGIES`, which
    :class:`~matching.pairing.options.SolveOptions` may switch off), when it is worth
    taking, and what it does."""

    strategy: str
    when: Callable[[_Route], bool]
    run: Callable[[_Route], None]


#: The route of a part whose flow overfills a week, in order. The cuts' prices settle the
#: bound, or else branching may settle the plan (few overfull volunteers), or else Lagrangian
#: prices bound it; then the proof (:func:`_proven`, the **cp-sat** strategy) closes the gap.
ROUTE: tuple[Step, ...] = (
    Step("cuts", lambda route: True, _cut),
    Step("branch-and-bound",
         lambda route: not route.cut and len(route.over) <= BRANCH_MAX_OVERLOADED, _branch),
    Step("lagrangian", lambda route: not route.cut, _lagrange),
)


def _proven(route: _Route, seconds: dict[str, float]) -> PartResult:
    """Close the gap the bounds leave: prune by reduced cost and prove what is left with
    CP-SAT; out of time, or with CP-SAT switched off, the best plan so far and its bounds."""
    arcs, bounds, stats = route.arcs, route.bounds, route.stats
    used = bounds.best_used
    priority_bound = arcs.priority_of(route.flow.used)
    proven = True
    proof: Proof | None = None
    cost_bound: int | None
    if bounds.gap() > 0 and (route.stop.out_of_time(route.deadline)
                             or not route.options.uses("cp-sat")):
        stats["pairs_after_pruning"] = 0
        proven = False
        cost_bound = bounds.lower + route.weight * priority_bound
    elif bounds.gap() > 0:
        keep, fixed, rest = reduce_by_cost(arcs, bounds.reduced, bounds.gap(), used)
        stats["pairs_after_pruning"] = int(keep.sum())
        stats["pairs_fixed"] = int(fixed.sum())
        route.progress("proving", f"gap {bounds.gap():,} units; {int(fixed.sum()):,} pairs "
                       f"fixed, {int(keep.sum()):,} of {len(keep):,} left to prove",
                       left=int(keep.sum()))
        options = route.options
        proof = prove(rest, keep, used & keep, route.weight, route.deadline, options.seed,
                      options.search_workers, options.deterministic_time, route.stop)
        stats.update(proof.stats)
        used, proven = proof.used | fixed, proof.proven
        priority_bound = min(priority_bound, proof.priority_bound + arcs.priority_of(fixed))
        cost_bound = (None if proof.cost_bound is None
                      else proof.cost_bound + int(arcs.arc_cost[fixed].sum()))
        if cost_bound is not None:  # the relaxation's bound may be the better one
            cost_bound = max(cost_bound, bounds.lower + route.weight * priority_bound)
    else:
        stats["pairs_after_pruning"] = 0
        cost_bound = int(arcs.arc_cost[used].sum())
    with_cpsat = proof is not None and proof.stats["cpsat_components"] > 0
    # the words name what ran: CP-SAT only where it was given pairs to prove
    if route.cut:
        method = Method.CUTS_AND_CP_SAT if with_cpsat else Method.CUTS
    else:
        method = Method.LAGRANGIAN_AND_CP_SAT if with_cpsat else Method.LAGRANGIAN
    if not proven:
        used = fill(arcs, used)
    return PartResult(used=used, proven=proven, priority_bound=priority_bound,
                      cost_bound=cost_bound, method=method, stats=stats, seconds=seconds)
