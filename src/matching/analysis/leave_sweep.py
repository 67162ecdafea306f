"""How coverage falls as volunteers leave: the world paired again at each share leaving.

The volunteers who leave follow an order of all the volunteers (or of those the full world's
plan uses: ``among="paired"``), of a kind (:mod:`matching.analysis.leaving_orders`: random,
oldest first, one community at a time); the first ``round(share * n)`` of that order leave at
``share``. So the set leaving at a share is inside the set leaving at every larger share,
and since each point is paired from scratch to the optimum (the same objective: the largest
total priority served first), the priority served never rises along the curve. The number
of elders served follows it in practice (and always when every elder has the same tier); the
table keeps each point's solver status, so a point that was not proven optimal shows.

Several orders (``orders=N``) give a band on every curve: each point's least, (lower) median
and most across the orders. ``find=True`` adds the exact thresholds of each order
(:mod:`matching.analysis.thresholds`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matching.analysis.leaving_orders import AMONG, ORDER_KINDS, leaving_orders
from matching.analysis.metrics import load_summary
from matching.analysis.recruitment import PLACES, recruit
from matching.analysis.thresholds import find_thresholds, threshold_band, thresholds_of_orders
from matching.pairing.options import SolveOptions
from matching.pairing.regions import solve_world
from matching.runtime.cluster import Cluster
from matching.world.columns import ELDER_ID, TOWNSHIP, VOLUNTEER_ID
from matching.world.model import World, without_volunteers

#: The columns of :attr:`Sweep.points` that every sweep has (tiers add
#: ``coverage_priority_N``, recruiting adds ``recruits`` and ``unreachable``).
POINT_COLUMNS = ("leave_share", "leaving", "volunteers", "elders", "assigned", "unassigned",
                 "coverage", "priority_coverage", "mean_distance_km", "max_distance_km",
                 "mean_load_minutes", "max_load_minutes", "load_jain", "idle_volunteers",
                 "status")

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
        ``mean_load_minutes``, ``max_load_minutes`` and ``load_jain`` (weekly minutes
        among the volunteers who serve: :func:`matching.analysis.metrics.load_summary`),
        ``idle_volunteers``, ``status`` (the pairing's), and with recruiting ``recruits`` (how many
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
        of :attr:`matching.analysis.recruitment.Recruitment.recruits`; ``order`` first when
        there are several orders).
    by_order
        With several orders: every order's points (``order`` 1, 2, ... first); ``points``
        then holds each column's (lower) median across them, with ``_min`` and ``_max``
        beside every curve.
    thresholds
        With ``find``: each order's exact thresholds
        (:func:`matching.analysis.thresholds.find_thresholds`, ``order`` first).
    leaving_orders
        Every order drawn (the first is :attr:`leaving_order`).
    kind
        The kind of order (:data:`matching.analysis.leaving_orders.ORDER_KINDS`).
    """

    points: pd.DataFrame
    communities: pd.DataFrame
    leaving_order: list[str]
    recruits: pd.DataFrame | None = None
    by_order: pd.DataFrame | None = None
    thresholds: pd.DataFrame | None = None
    leaving_orders: tuple[tuple[str, ...], ...] = ()
    kind: str = "random"

    @property
    def townships(self) -> pd.DataFrame | None:
        """When the rosters name townships: one row per share and township, its
        communities rolled up (``leave_share, township, elders, assigned, coverage``; the
        median order's counts with several orders)."""
        if TOWNSHIP not in self.communities.columns:
            return None
        rolled = self.communities.groupby(["leave_share", TOWNSHIP], sort=True)[
            ["elders", "assigned"]].sum().reset_index()
        rolled["coverage"] = rolled["assigned"] / rolled["elders"]
        return rolled

    @property
    def threshold_band(self) -> pd.DataFrame | None:
        """With ``find``: per question, the least, median and most leavers across the
        orders."""
        return None if self.thresholds is None else threshold_band(self.thresholds)

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
          recruit_at: str | None = None, among: str = "all", orders: int = 1,
          kind: str = "random", find: bool = False, cluster: Cluster | None = None,
          progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Pair ``world`` again with each share ``leave`` of its volunteers gone.

    Parameters
    ----------
    world
        The world (:func:`matching.read_world`, or a scenario's).
    leave
        Shares of the volunteers who leave, each in [0, 1].
    seed
        Draws the orders of leaving (``seed``, ``seed + 1``, ... for several), and seeds
        each pairing.
    time_limit
        Seconds for each point's pairing.
    among
        ``all``: the shares are of all the volunteers; ``paired``: of those the full plan
        pairs (a harder test of a world with many volunteers to spare).
    orders, kind
        How many leaving orders, of which kind (``random``, ``oldest``, ``community``).
    find
        Also find each order's exact thresholds (top tier, and everyone, served).
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
    if kind not in ORDER_KINDS:
        raise ValueError(f"kind must be one of {ORDER_KINDS}, not {kind!r}")
    if recruit_at is not None and recruit_at not in PLACES:
        raise ValueError(f"recruit_at must be one of {PLACES}, not {recruit_at!r}")
    full = solve_world(world, SolveOptions(time_limit=time_limit, seed=seed, workers=workers))
    drawn = leaving_orders(world, full, seed, orders, among, kind)
    calls = [(without_volunteers(world, set(order[:round(s * len(order))])), time_limit, seed,
              workers, recruit_at) for order in drawn for s in shares]
    if cluster is not None:
        results = cluster.map_calls(_point, calls)
    else:
        results = []
        for i, call in enumerate(calls):
            results.append(_point(*call))
            if progress is not None:
                progress(i + 1, len(calls))
    tables = [_tables(world, shares, order, results[k * len(shares):(k + 1) * len(shares)],
                      recruit_at is not None) for k, order in enumerate(drawn)]
    thresholds = None
    if find:
        thresholds = thresholds_of_orders([
            find_thresholds(world, order, seed=seed, time_limit=time_limit, workers=workers)
            for order in drawn])
    if len(tables) == 1:
        return dataclasses.replace(tables[0], thresholds=thresholds,
                                   leaving_orders=tuple(tuple(o) for o in drawn), kind=kind)
    return _banded(tables, thresholds, drawn, kind)


#: Columns of the points that are no curve (the same for every order).
NOT_CURVES = ("leave_share", "leaving", "volunteers", "elders", "status", "recruits_proven")


def _lower_median(values: pd.Series) -> float:
    """The middle value, the lower of two (a value some order had)."""
    ordered = np.sort(values.dropna().to_numpy())
    return ordered[(len(ordered) - 1) // 2] if len(ordered) else math.nan


def _band(frame: pd.DataFrame, keys: list[str], curves: list[str]) -> pd.DataFrame:
    """Per ``keys``, each curve's lower median, with ``_min`` and ``_max`` beside it."""
    grouped = frame.groupby(keys, sort=False)
    out = grouped[curves].agg(_lower_median)
    low, high = grouped[curves].min(), grouped[curves].max()
    columns = []
    for c in curves:
        out[f"{c}_min"], out[f"{c}_max"] = low[c], high[c]
        columns += [c, f"{c}_min", f"{c}_max"]
    return out[columns].reset_index()


def _banded(tables: list[Sweep], thresholds: pd.DataFrame | None,
            drawn: list[list[str]], kind: str) -> Sweep:
    """Several orders' sweeps as one: every curve's band (see :class:`Sweep`)."""
    by_order = pd.concat([t.points.assign(order=k + 1) for k, t in enumerate(tables)],
                         ignore_index=True)
    by_order = by_order[["order", *tables[0].points.columns]]
    curves = [c for c in tables[0].points.columns if c not in NOT_CURVES]
    points = _band(by_order, ["leave_share", "leaving", "volunteers", "elders"], curves)
    statuses = by_order.groupby("leave_share", sort=False)["status"].agg(
        lambda s: "optimal" if (s == "optimal").all() else str(s[s != "optimal"].iloc[0]))
    points["status"] = statuses.to_numpy()
    if "recruits_proven" in by_order.columns:
        points["recruits_proven"] = by_order.groupby("leave_share", sort=False)[
            "recruits_proven"].all().to_numpy()
    for c in points.columns:  # counts stay whole numbers
        curve = c[:-4] if c.endswith(("_min", "_max")) else c
        if curve in by_order.columns and pd.api.types.is_integer_dtype(by_order[curve]):
            points[c] = points[c].astype(int)
    communities = pd.concat([t.communities.assign(order=k + 1) for k, t in enumerate(tables)],
                            ignore_index=True)
    community_band = _band(communities, ["leave_share", "community"], ["assigned", "coverage"])
    elders = tables[0].communities[["leave_share", "community", "elders"]]
    community_band = elders.merge(community_band, on=["leave_share", "community"])
    if TOWNSHIP in tables[0].communities.columns:
        township = tables[0].communities.drop_duplicates("community").set_index(
            "community")[TOWNSHIP]
        community_band[TOWNSHIP] = community_band["community"].map(township)
    for c in ("assigned", "assigned_min", "assigned_max"):
        community_band[c] = community_band[c].astype(int)
    recruits = None
    if tables[0].recruits is not None:
        recruits = pd.concat([t.recruits.assign(order=k + 1) for k, t in enumerate(tables)
                              if t.recruits is not None], ignore_index=True)
        recruits = recruits[["order", *[c for c in recruits.columns if c != "order"]]]
    return Sweep(points, community_band, drawn[0], recruits, by_order, thresholds,
                 tuple(tuple(o) for o in drawn), kind)


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
        minutes = pairs.groupby(VOLUNTEER_ID)["weekly_minutes"].sum()
        load = load_summary(np.concatenate([minutes.to_numpy(float),
                                            np.zeros(len(world.volunteers) - gone
                                                     - len(minutes))]))
        row["mean_distance_km"] = float(km.mean()) if len(km) else math.nan
        row["max_distance_km"] = float(km.max()) if len(km) else math.nan
        row["mean_load_minutes"] = load["mean"]
        row["max_load_minutes"] = load["max"]
        row["load_jain"] = load["jain"]
        row["idle_volunteers"] = load["idle"]
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
        table = pd.DataFrame({
            "leave_share": share, "community": grouped.size().index,
            "elders": grouped.size().to_numpy(), "assigned": grouped.sum().to_numpy(),
            "coverage": grouped.mean().to_numpy()})
        if TOWNSHIP in elders.columns:
            township = dict(zip(elders["community"], elders[TOWNSHIP], strict=True))
            table[TOWNSHIP] = table["community"].map(township)
        communities.append(table)
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
    decimal, whole minutes. With several orders, the counts and coverages as
    ``median (least-most)`` and the other curves left to ``sweep.csv``."""
    banded = "coverage_min" in points.columns
    shown = pd.DataFrame(index=points.index)

    def text(column: str, value: float) -> str:
        if value != value:
            return "-"
        if column == "leave_share" or "coverage" in column:
            return f"{value:.1%}"
        if column.endswith("_km"):
            return f"{value:.1f}"
        if column.endswith("_minutes"):
            return f"{value:.0f}"
        return str(value)

    for column in points.columns:
        if column.endswith(("_min", "_max")):
            continue
        if f"{column}_min" in points.columns:
            if banded and not (column in ("assigned", "unassigned", "recruits")
                               or "coverage" in column):
                continue
            shown[column] = [f"{text(column, m)} ({text(column, lo)}-{text(column, hi)})"
                             for m, lo, hi in zip(points[column], points[f"{column}_min"],
                                                  points[f"{column}_max"], strict=True)]
        else:
            shown[column] = [text(column, v) for v in points[column]]
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        return shown.to_string(index=False)


#: How :func:`format_thresholds` names each question.
THRESHOLD_WORDS = {"top_tier": "every top-tier elder served", "all": "every elder served"}


def format_thresholds(result: Sweep) -> str:
    """The exact thresholds as lines for people: per question, the cut along the first
    order and what proves it, and with several orders the band across them."""
    table = result.thresholds
    if table is None:
        return ""
    first = table[table["order"] == 1]
    orders = int(table["order"].max())
    n = len(result.leaving_order)
    lines = [f"thresholds along the leaving order ({result.kind}"
             + (f", the first of {orders}" if orders > 1 else "") + "):"]
    for row in first.itertuples(index=False):
        what = THRESHOLD_WORDS[row.what] + (
            f" (priority {row.tier})" if row.what == "top_tier" else "")
        if pd.isna(row.leavers):
            lines.append(f"  {what}: not even with nobody leaving "
                         f"({row.served_one_more} of {row.elders} served)")
            continue
        cut = f"  {what}: up to {row.leavers:,} of {n:,} leaving ({row.share:.1%})"
        if pd.isna(row.served_one_more):
            cut += ", that is everyone"
        else:
            cut += (f"; with {row.leavers + 1:,} leaving {row.served_one_more} of "
                    f"{row.elders} are served"
                    + (" (proven the most)" if row.proven else " (not proven the most)"))
        lines.append(cut)
    band = result.threshold_band
    if orders > 1 and band is not None:
        for row in band.itertuples(index=False):
            lines.append(f"  across {row.orders} orders, {THRESHOLD_WORDS[row.what]}: "
                         f"least {row.min:,}, median {row.median:,}, most {row.max:,} leaving")
    return "\n".join(lines)
