"""How coverage falls as volunteers leave: the world paired again at each share leaving.

The volunteers who leave are drawn once, as one seeded order of all the volunteers (or of
those the full world's plan uses: ``among="paired"``); the first ``round(share * n)`` of
that order leave at ``share``. So the
set leaving at a share is inside the set leaving at every larger share, and since each
point is paired from scratch to the optimum (the same objective: the largest total
priority served first), the priority served never rises along the curve. The number of
elders served follows it in practice (and always when every elder has the same tier); the
table keeps each point's solver status, so a point that was not proven optimal shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matching.analysis.recruitment import PLACES, recruit
from matching.pairing.options import SolveOptions
from matching.pairing.regions import solve_world
from matching.pairing.result import PairingResult
from matching.runtime.cluster import Cluster
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import World, without_volunteers

#: The columns of :attr:`Sweep.points` that every sweep has (tiers add
#: ``coverage_priority_N``, recruiting adds ``recruits`` and ``unreachable``).
POINT_COLUMNS = ("leave_share", "leaving", "volunteers", "elders", "assigned", "unassigned",
                 "coverage", "priority_coverage", "mean_distance_km", "max_distance_km",
                 "mean_load_minutes", "max_load_minutes", "status")

#: Shares are rounded to this many decimals in tables and file names.
SHARE_DECIMALS = 4


@dataclass(frozen=True)
class Sweep:
    """A sweep's results.

    Attributes
    ----------
    points
        One row per share leaving, in rising order: ``leave_share`` (0-1), ``leaving`` and
        ``volunteers`` (who leave, who stay), ``elders``, ``assigned``, ``unassigned``,
        ``coverage`` (fraction of elders served), ``coverage_priority_N`` per tier,
        ``priority_coverage`` (fraction of the total priority served: the pairing's
        objective, which never rises), ``mean_distance_km``, ``max_distance_km``,
        ``mean_load_minutes`` and ``max_load_minutes`` (weekly minutes of the volunteers who
        have elders), ``status`` (the pairing's), and with recruiting ``recruits`` (how many
        new volunteers serve every elder who can be served, re-pairing allowed),
        ``recruits_proven`` (whether that number is proven the fewest of the candidates, see
        :attr:`matching.analysis.recruitment.Recruitment.claim`), ``recruits_lower_bound``
        and ``unreachable``.
    communities
        One row per share and community: ``leave_share, community, elders, assigned,
        coverage``.
    leaving_order
        The order volunteers leave in (ids).
    recruits
        With recruiting: one row per share and recruit (``leave_share`` then the columns
        of :attr:`matching.analysis.recruitment.Recruitment.recruits`).
    """

    points: pd.DataFrame
    communities: pd.DataFrame
    leaving_order: list[str]
    recruits: pd.DataFrame | None = None

    def last_full(self, tier: int | None = None) -> float | None:
        """The largest share leaving at which every elder (of ``tier``, if given) is still
        served, among the shares swept (``None`` if not even at the first)."""
        column = "coverage" if tier is None else f"coverage_priority_{tier}"
        if column not in self.points.columns:
            return None
        full = self.points[self.points[column] >= 1.0]["leave_share"]
        # the first share below full ends the run (the curve may touch 1.0 again only if a
        # point was not proven optimal)
        below = self.points[self.points[column] < 1.0]["leave_share"]
        if below.empty:
            return float(full.max()) if len(full) else None
        full = full[full < below.min()]
        return float(full.max()) if len(full) else None


#: Who may leave: every volunteer, or those the full plan pairs.
AMONG = ("all", "paired")


def leaving_order(world: World, plan: PairingResult, seed: int,
                  among: str = "all") -> list[str]:
    """The seeded order in which volunteers leave (nested by design): all of them, or
    those ``plan`` pairs."""
    pool = plan.assignments[VOLUNTEER_ID] if among == "paired" else \
        world.volunteers.volunteer_id
    ids = sorted({str(v) for v in pool})
    return [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))]


def check_shares(shares: Sequence[float]) -> list[float]:
    """The shares sorted and without repeats; each must lie in [0, 1]."""
    out = sorted({round(float(s), SHARE_DECIMALS) for s in shares})
    if not out or any(not 0.0 <= s <= 1.0 or s != s for s in out):
        raise ValueError("every share leaving lies between 0 and 1")
    return out


def _point(world: World, time_limit: float, seed: int, workers: int | None,
           places: str | None) -> dict[str, Any]:
    """One point: pair the world, and with ``places`` the recruits it needs (small data
    back, so that it is cheap from a Dask worker)."""
    plan = solve_world(world, SolveOptions(time_limit=time_limit, seed=seed, workers=workers))
    out: dict[str, Any] = {"assignments": plan.assignments[
        [ELDER_ID, VOLUNTEER_ID, "distance_km", "weekly_minutes"]].copy(),
        "status": str(plan.status)}
    if places is not None:
        found = recruit(world, plan, places, seed=seed)
        out["recruits"] = found.recruits
        out["unreachable"] = len(found.unreachable)
        out["recruits_proven"] = found.optimal
        out["recruits_lower_bound"] = found.lower_bound
    return out


def sweep(world: World, leave: Sequence[float], *, seed: int = 0,
          time_limit: float = 60.0, workers: int | None = None,
          recruit_at: str | None = None, among: str = "all",
          cluster: Cluster | None = None,
          progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Pair ``world`` again with each share ``leave`` of its paired volunteers gone.

    Parameters
    ----------
    world
        The world (:func:`matching.read_world`, or a scenario's).
    leave
        Shares of the volunteers who leave, each in [0, 1].
    seed
        Draws the order of leaving, and seeds each pairing.
    time_limit
        Seconds for each point's pairing.
    among
        ``all``: the shares are of all the volunteers; ``paired``: of those the full plan
        pairs (a harder test of a world with many volunteers to spare).
    recruit_at
        ``near`` or ``centres``: also find the fewest recruits who serve everyone at each
        point (:func:`matching.analysis.recruitment.recruit`).
    cluster
        Solve the points on this Dask cluster (:func:`matching.runtime.cluster.open_cluster`)
        instead of here; the results are the same.
    progress
        Called with (points done, points) as points finish here.
    """
    shares = check_shares(leave)
    if among not in AMONG:
        raise ValueError(f"among must be one of {AMONG}, not {among!r}")
    if recruit_at is not None and recruit_at not in PLACES:
        raise ValueError(f"recruit_at must be one of {PLACES}, not {recruit_at!r}")
    full = solve_world(world, SolveOptions(time_limit=time_limit, seed=seed, workers=workers))
    order = leaving_order(world, full, seed, among)
    worlds = [without_volunteers(world, set(order[:round(s * len(order))])) for s in shares]
    if cluster is not None:
        results = cluster.map_calls(_point, [(w, time_limit, seed, workers, recruit_at)
                                             for w in worlds])
    else:
        results = []
        for i, w in enumerate(worlds):
            results.append(_point(w, time_limit, seed, workers, recruit_at))
            if progress is not None:
                progress(i + 1, len(worlds))
    return _tables(world, shares, order, results, recruit_at is not None)


def _tables(world: World, shares: list[float], order: list[str],
            results: list[dict[str, Any]], recruiting: bool) -> Sweep:
    elders = world.elders.frame().set_index(ELDER_ID)
    priority = elders["priority"].astype(int)
    tiers = sorted(priority.unique(), reverse=True)
    points, communities, recruits = [], [], []
    for share, result in zip(shares, results, strict=True):
        pairs: pd.DataFrame = result["assignments"]
        served = elders.index.isin(pairs[ELDER_ID])
        gone = round(share * len(order))
        row: dict[str, Any] = {
            "leave_share": share, "leaving": gone,
            "volunteers": len(world.volunteers) - gone, "elders": len(elders),
            "assigned": int(served.sum()), "unassigned": int((~served).sum()),
            "coverage": float(served.mean()) if len(elders) else math.nan,
        }
        for tier in tiers:
            row[f"coverage_priority_{tier}"] = float(served[(priority == tier).to_numpy()]
                                                     .mean())
        total = int(priority.sum())
        row["priority_coverage"] = float(priority[served].sum()) / total if total else math.nan
        km = pairs["distance_km"].astype(float)
        load = pairs.groupby(VOLUNTEER_ID)["weekly_minutes"].sum()
        row["mean_distance_km"] = float(km.mean()) if len(km) else math.nan
        row["max_distance_km"] = float(km.max()) if len(km) else math.nan
        row["mean_load_minutes"] = float(load.mean()) if len(load) else math.nan
        row["max_load_minutes"] = float(load.max()) if len(load) else math.nan
        row["status"] = result["status"]
        if recruiting:
            row["recruits"] = len(result["recruits"])
            row["unreachable"] = int(result["unreachable"])
            row["recruits_proven"] = bool(result["recruits_proven"])
            row["recruits_lower_bound"] = int(result["recruits_lower_bound"])
            recruits.append(result["recruits"].assign(leave_share=share))
        points.append(row)
        by = pd.DataFrame({"community": elders["community"].to_numpy(), "served": served})
        grouped = by.groupby("community", sort=True)["served"]
        communities.append(pd.DataFrame({
            "leave_share": share, "community": grouped.size().index,
            "elders": grouped.size().to_numpy(), "assigned": grouped.sum().to_numpy(),
            "coverage": grouped.mean().to_numpy()}))
    point_table = pd.DataFrame(points)
    front = [c for c in POINT_COLUMNS if c != "status"]
    tier_columns = [c for c in point_table.columns if c.startswith("coverage_priority_")]
    rest = ["status"] + (["recruits", "recruits_proven", "recruits_lower_bound",
                          "unreachable"] if recruiting else [])
    point_table = point_table[front[:7] + tier_columns + front[7:] + rest]
    community_table = pd.concat(communities, ignore_index=True)
    community_table["assigned"] = community_table["assigned"].astype(int)
    recruit_table = None
    if recruiting:
        recruit_table = pd.concat(recruits, ignore_index=True)
        recruit_table = recruit_table[["leave_share"] + [c for c in recruit_table.columns
                                                         if c != "leave_share"]]
    return Sweep(point_table, community_table, order, recruit_table)


def format_points(points: pd.DataFrame) -> str:
    """The sweep's points as fixed-width text for people: shares as percentages, km to one
    decimal, whole minutes."""
    shown = pd.DataFrame(index=points.index)
    for column in points.columns:
        values = points[column]
        if column == "leave_share" or "coverage" in column:
            shown[column] = [f"{v:.1%}" if v == v else "-" for v in values]
        elif column.endswith("_km"):
            shown[column] = [f"{v:.1f}" if v == v else "-" for v in values]
        elif column.endswith("_minutes"):
            shown[column] = [f"{v:.0f}" if v == v else "-" for v in values]
        else:
            shown[column] = values.astype(str)
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        return shown.to_string(index=False)
