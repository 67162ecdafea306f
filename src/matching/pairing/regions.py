"""A world split into regions before any pair is looked at, for province-sized pairings.

Candidate pairs are found within ``max_km`` of each other, or through a kin or familiar
relation, or a measured pair. Put every point in a cube of side ``max_km`` (as a chord on
the unit sphere): two points that can pair lie in the same cube or in touching ones. The
*regions* are the groups of touching occupied cubes, joined further by relations and
measured pairs. No pair can join two regions, so each region is a world of its own: its
candidate pairs are found, its plan is solved (:func:`matching.pairing.solver.solve`) and only what
the outputs need comes back. Nothing the size of the whole province's pairs is ever held in
one place, and the regions can go to the workers of a Dask cluster.

The plan put together is the one the whole world would have (the parts of a region are the
parts of the whole), up to the choice among equally good plans; it is the same on one
machine and on a cluster, byte for byte, because each region has the same budget wherever
it runs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.pairing.eligibility import Eligibility
from matching.pairing.options import SolveOptions
from matching.pairing.problem import PairingProblem, build_problem, capacities
from matching.pairing.result import PairingResult, Status
from matching.pairing.solver import most_involved, solve
from matching.runtime.budget import NEVER, Stop, TooShort
from matching.runtime.progress import SILENT, Progress
from matching.world import geo
from matching.world.model import World
from matching.world.tables import Pairs, Relations

if TYPE_CHECKING:
    from matching.runtime.cluster import Cluster

#: Smallest cube side, in chord units (about 64 m): keeps the cube numbers within int64
#: however small ``max_km`` is (larger cubes only join more points into one region).
MIN_CUBE = 1e-5

#: The 13 neighbouring cubes "after" a cube; with the cube itself, every touching pair of
#: occupied cubes is met once.
_FORWARD = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)
            if (dx, dy, dz) > (0, 0, 0)]

#: Regions are packed, in order, into groups of up to this many elders: one build and solve
#: per group keeps thousands of hamlets from costing thousands of calls, and a group's pairs
#: (about 700 per elder in a dense town) stay well within a worker's memory.
GROUP_ELDERS = 5_000



_Linking = TypeVar("_Linking", Relations, Pairs)


@dataclass(frozen=True)
class Region:
    """Rows of the volunteers and elders tables that only pair among themselves."""

    volunteers: np.ndarray
    elders: np.ndarray


def find_regions(world: World) -> list[Region]:
    """The regions of ``world`` that hold at least one elder, in the order of their first
    elder. Volunteers in no such region can serve nobody and belong to none."""
    vols, elds = world.volunteers, world.elders
    nv, ne = len(vols), len(elds)
    lat = np.r_[vols.lat, elds.lat]
    lon = np.r_[vols.lon, elds.lon]
    placed = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    side = max(float(2.0 * np.sin(world.rules.search_km / (2.0 * geo.EARTH_RADIUS_KM))),
               MIN_CUBE)
    cube = np.floor(geo.unit_vectors(lat[placed], lon[placed]) / side).astype(np.int64)
    span = int(np.ceil(1.0 / side)) + 2
    key = ((cube[:, 0] + span) * (2 * span + 1) + cube[:, 1] + span) * (2 * span + 1) \
        + cube[:, 2] + span
    cubes, point_cube = np.unique(key, return_inverse=True)
    # edges: a point and its cube; touching occupied cubes; relations and measured pairs
    n = nv + ne + len(cubes)
    tails = [placed]
    heads = [nv + ne + point_cube]
    step = (2 * span + 1)
    for dx, dy, dz in _FORWARD:
        other = cubes + (dx * step + dy) * step + dz
        at = np.searchsorted(cubes, other)
        found = (at < len(cubes)) & (cubes[np.minimum(at, len(cubes) - 1)] == other)
        tails.append(nv + ne + np.flatnonzero(found))
        heads.append(nv + ne + at[found])
    relations = world.relations
    joining = relations.take(np.isin(relations.relation, ("kin", "familiar")))
    links: list[Relations | Pairs] = [joining]
    if world.pairs is not None:
        links.append(world.pairs)
    for table in links:
        v = vols.rows(table.volunteer_id)
        e = elds.rows(table.elder_id)
        ok = (v >= 0) & (e >= 0)
        tails.append(v[ok])
        heads.append(nv + e[ok])
    t, h = np.concatenate(tails), np.concatenate(heads)
    graph = coo_matrix((np.ones(len(t), dtype=np.int8), (t, h)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    elder_label = label[nv:nv + ne]
    labels, first = np.unique(elder_label, return_index=True)
    regions = []
    volunteer_label = label[:nv]
    for k in np.argsort(first, kind="stable").tolist():
        regions.append(Region(volunteers=np.flatnonzero(volunteer_label == labels[k]),
                              elders=np.flatnonzero(elder_label == labels[k])))
    return regions


def pack(regions: Sequence[Region], most_elders: int | None = None) -> list[Region]:
    """Neighbouring regions (in order) put together up to ``most_elders`` elders a group
    (default :data:`GROUP_ELDERS`); a larger region is a group of its own. Regions share no
    pair, so a group is solved exactly as its regions would be."""
    most_elders = GROUP_ELDERS if most_elders is None else most_elders
    groups: list[list[Region]] = []
    size = 0
    for region in regions:
        if not groups or size + len(region.elders) > most_elders:
            groups.append([])
            size = 0
        groups[-1].append(region)
        size += len(region.elders)
    return [Region(volunteers=np.sort(np.concatenate([r.volunteers for r in group])),
                   elders=np.sort(np.concatenate([r.elders for r in group])))
            for group in groups]


def region_world(world: World, region: Region) -> World:
    """The part of ``world`` in ``region``: its people, and the relations and measured
    pairs among them (and not the tables as read, which only outputs need)."""
    vols = world.volunteers.take(region.volunteers)
    elds = world.elders.take(region.elders)

    def among(table: _Linking) -> _Linking:
        return table.take((vols.rows(table.volunteer_id) >= 0)
                          & (elds.rows(table.elder_id) >= 0))

    # without the tables as read: they are the whole world's, and only outputs need them
    return dataclasses.replace(
        world, volunteers=vols, elders=elds, relations=among(world.relations),
        pairs=None if world.pairs is None else among(world.pairs), sources={})


_ARC_FIELDS = ("arc_v", "arc_e", "arc_km", "arc_minutes", "arc_kin", "arc_familiar",
               "arc_cost", "arc_load")
_NEAR_FIELDS = ("near_v", "near_e", "near_km", "near_code")


def pair_region(world: World, nearest_km: np.ndarray, options: SolveOptions,
                stop: Stop = NEVER) -> PairingResult:
    """Find a region's candidate pairs and its best plan. The result's problem keeps only
    what the outputs need (the chosen pairs, and every pair and looked-at pair of the elders
    left out, for their reasons), so that little travels back from a worker."""
    started = time.perf_counter()
    problem = build_problem(world, nearest_km=nearest_km)
    # the region's budget covers finding its pairs too (a flow plan whatever is left)
    result = solve(problem, options.with_time(
        options.time_limit - (time.perf_counter() - started)), stop)
    covered = np.zeros(problem.num_elders, dtype=bool)
    covered[problem.arc_e[result.chosen]] = True
    keep = result.chosen | ~covered[problem.arc_e]
    keep_near = ~covered[problem.near_e]
    thin = dataclasses.replace(
        problem, total_arcs=problem.candidate_pairs,
        **{name: getattr(problem, name)[keep] for name in _ARC_FIELDS},
        **{name: getattr(problem, name)[keep_near] for name in _NEAR_FIELDS})
    return dataclasses.replace(result, problem=thin, chosen=result.chosen[keep])


#: Worlds with more elders than this first time the candidate search on a sample, so that a
#: limit too short for it is told at once (a city's search takes many seconds).
ESTIMATE_MIN_ELDERS = 2_000

#: The sample: every this-many-th elder, with every volunteer.
ESTIMATE_SAMPLE_STEP = 50

#: The limit is called too short when the estimate is this many times what is left. The
#: sample under-estimates a city's search (4 s for 17 s measured: sorting millions of pairs
#: costs more per pair than thousands), so the estimate is a floor and the margin is 1.
ESTIMATE_MARGIN = 1.0


def search_seconds(world: World) -> float:
    """Seconds the candidate search (:func:`matching.build_problem`) would take on
    ``world`` here, from timing it on a sample of the elders (1 in
    :data:`ESTIMATE_SAMPLE_STEP`) with every volunteer."""
    sample = Region(volunteers=np.arange(len(world.volunteers)),
                    elders=np.arange(0, len(world.elders), ESTIMATE_SAMPLE_STEP))
    clock = time.perf_counter()
    build_problem(region_world(world, sample))
    return (time.perf_counter() - clock) * len(world.elders) / len(sample.elders)


def _search_within(world: World, deadline: float, needs: float | None,
                   stop: Stop = NEVER) -> PairingProblem:
    """:func:`matching.build_problem` if it ends by ``deadline``; else
    :class:`matching.runtime.budget.TooShort` at the deadline. The search cannot be cut short, so
    it runs in a thread of its own that is left to finish in the background (the command
    line exits as soon as it has said so)."""
    found: dict[str, Any] = {}

    def search() -> None:
        try:
            found["problem"] = build_problem(world)
        except BaseException as exc:  # handed back below
            found["error"] = exc

    thread = threading.Thread(target=search, name="candidate-search", daemon=True)
    thread.start()
    while thread.is_alive() and time.perf_counter() < deadline and not stop.requested:
        thread.join(min(SEARCH_POLL_SECONDS, max(0.0, deadline - time.perf_counter())))
    if thread.is_alive() and stop.requested:
        thread.join()  # a stop wants the fastest plan: it needs these pairs
    if thread.is_alive():
        raise TooShort("work.candidates", needs, unfinished=True)
    if "error" in found:
        raise found["error"]
    return found["problem"]


#: How often the wait for the candidate search looks at the clock and for a stop.
SEARCH_POLL_SECONDS = 0.1


def solve_world(world: World, options: SolveOptions | None = None, stop: Stop = NEVER, *,
                progress: Progress = SILENT, cluster: Cluster | None = None) -> PairingResult:
    """The best pairing of ``world``, region by region (here or on a Dask cluster).

    A world of one region is built and solved whole, as :func:`matching.build_problem` and
    :func:`matching.solve` do; the time limit counts from the call, finding the candidate
    pairs included (:class:`matching.runtime.budget.TooShort` if that alone uses it up). Each
    region's budget is its share of the elders (:meth:`SolveOptions.shares`, the rule the
    parts of a problem follow too), so it is the same wherever it runs. Under a
    deterministic time the clock bounds nothing, and the regions are solved here. ``stop``
    ends the search early (regions sent to a cluster run to their budgets).
    """
    options = options or SolveOptions()
    time_limit = options.time_limit
    say = progress
    started = time.perf_counter()
    regions = pack(find_regions(world))
    timed = options.timed
    if len(regions) <= 1:
        needs = None
        if timed and len(world.elders) > ESTIMATE_MIN_ELDERS and not stop.requested:
            needs = search_seconds(world)
            if needs > ESTIMATE_MARGIN * (time_limit - (time.perf_counter() - started)):
                raise TooShort("work.candidates", needs)
        if timed:
            problem = _search_within(world, started + time_limit, needs, stop)
        else:
            problem = build_problem(world)
        left = time_limit - (time.perf_counter() - started)
        if timed and left <= 0 and not stop.requested:
            raise TooShort("work.reading_and_candidates")
        say("solving", f"{problem.num_arcs:,} eligible pairs; solving", pairs=problem.num_arcs)
        return solve(problem, options.with_time(left), stop, progress=say, cluster=cluster)
    say("regions", f"{len(regions):,} groups of regions (largest "
        f"{max(len(r.elders) for r in regions):,} elders); finding pairs and solving each",
        regions=len(regions))
    vols, elds = world.volunteers, world.elders
    nearest = geo.nearest_km(vols.lat, vols.lon, elds.lat, elds.lon)
    shares = options.shares([len(r.elders) for r in regions])
    worlds = [region_world(world, r) for r in regions]
    nearests = [nearest[r.elders] for r in regions]
    if cluster is not None and timed:
        say("cluster", f"solving the regions on {cluster.name}")
        plans = cluster.map_regions(pair_region, worlds, nearests, shares)
    else:
        plans = [pair_region(w, n, share, stop)
                 for w, n, share in zip(worlds, nearests, shares, strict=True)]
    return _merge(world, regions, plans, nearest, time.perf_counter() - started,
                  options.seed, stop.requested)


def _merge(world: World, regions: Sequence[Region], plans: Sequence[PairingResult],
           nearest_km: np.ndarray, seconds: float, seed: int,
           interrupted: bool = False) -> PairingResult:
    """One result from the regions' plans, over a problem that keeps only their chosen
    pairs and what explains the elders left out."""
    arcs: dict[str, list[np.ndarray]] = {name: [] for name in _ARC_FIELDS}
    near: dict[str, list[np.ndarray]] = {name: [] for name in _NEAR_FIELDS}
    chosen = []
    for region, plan in zip(regions, plans, strict=True):
        for names, into in ((_ARC_FIELDS, arcs), (_NEAR_FIELDS, near)):
            for name in names:
                values = getattr(plan.problem, name)
                if name.endswith("_v"):
                    values = region.volunteers[values]
                elif name.endswith("_e"):
                    values = region.elders[values]
                into[name].append(values)
        chosen.append(plan.chosen)
    arc = {name: np.concatenate(parts) for name, parts in arcs.items()}
    order = np.lexsort((arc["arc_v"], arc["arc_e"]))
    arc = {name: values[order] for name, values in arc.items()}
    cap_count, cap_load, priority = capacities(world)
    vols, elds = world.volunteers, world.elders
    problem = PairingProblem(
        world=world, rules=world.rules, eligibility=Eligibility.from_world(world),
        volunteer_ids=vols.volunteer_id.astype(str).astype(object),
        elder_ids=elds.elder_id.astype(str).astype(object),
        cap_count=cap_count, cap_load=cap_load, priority=priority, **arc,
        **{name: np.concatenate(parts) for name, parts in near.items()},
        nearest_km=nearest_km, total_arcs=sum(p.problem.candidate_pairs for p in plans))
    stats: dict[str, int] = {}
    for plan in plans:
        for key, value in plan.stats.items():
            stats[key] = (max(stats.get(key, 0), value) if key == "largest_part_pairs"
                          else stats.get(key, 0) + value)
    stats["regions"] = len(plans)  # groups of regions, as solved
    proven = all(p.status is Status.OPTIMAL for p in plans)
    bounds = [p.cost_bound_units for p in plans]
    return PairingResult(
        problem=problem, chosen=np.concatenate(chosen)[order],
        status=Status.of(proven, interrupted=interrupted),
        priority=sum(p.priority for p in plans),
        priority_bound=sum(p.priority_bound for p in plans),
        cost_units=sum(p.cost_units for p in plans),
        cost_bound_units=None if None in bounds else sum(b for b in bounds if b is not None),
        method=most_involved(p.method for p in plans),
        stats=stats, time_limit_reached=any(p.time_limit_reached for p in plans),
        seconds={"total": seconds}, seed=seed)
