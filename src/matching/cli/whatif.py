"""The what-if commands: ``sweep``, coverage as a growing share of the volunteers leaves,
and ``project``, the next years (their own module: they draw figures, and ``pair`` should
not load matplotlib)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path

from matching.analysis.leave_sweep import format_points, format_thresholds
from matching.analysis.leaving_orders import AMONG, MOST_ORDERS, ORDER_KINDS
from matching.analysis.projection import MOST_YEARS, format_projection
from matching.analysis.recruitment import PLACES
from matching.cli.common import (
    add_coords,
    add_distance,
    add_report,
    date,
    distance_of,
    finish,
    frame_json,
    progress_of,
)
from matching.runtime.budget import Budget
from matching.runtime.cluster import check_spec
from matching.workflows.plan import Context
from matching.workflows.projection import project_scenario
from matching.workflows.scenario import Scenario, load_scenario
from matching.workflows.sweep import sweep_scenario

#: Most points a sweep may ask for (each is a whole pairing).
MOST_SWEEP_POINTS = 200


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``sweep`` and ``project``."""
    p.add_argument("scenario", type=Path, help="a scenario .toml file")
    if command == "project":
        configure_project(p)
        return
    p.add_argument("--leave", required=True, type=shares, metavar="0,0.05,0.1,...",
                   help="shares (0-1) of the volunteers who leave, comma-separated")
    p.add_argument("--among", choices=AMONG, default="all",
                   help="the shares are of all the volunteers (default), or only of "
                        "those the full plan pairs")
    p.add_argument("--orders", type=count_up_to(MOST_ORDERS), default=1, metavar="N",
                   help="draw N leaving orders (seeds seed, seed+1, ...): every curve gets "
                        "its least, median and most (default 1)")
    p.add_argument("--order", choices=ORDER_KINDS, default="random", dest="order_kind",
                   help="who leaves first: at random (default), the oldest, or one "
                        "community at a time")
    p.add_argument("--find", action="store_true",
                   help="also find the exact thresholds along each order (thresholds.csv): "
                        "the most leaving with every top-tier elder, and every elder, "
                        "still served")
    p.add_argument("--recruit", choices=PLACES,
                   help="also find, at each share, the fewest new volunteers who would "
                        "serve every elder left unserved: living near the unserved, or "
                        "at the communities' centres")
    p.add_argument("--out", required=True, type=Path,
                   help="folder for sweep.csv, sweep_communities.csv, leaving_order.csv, "
                        "recruits.csv, thresholds.csv, sweep_orders.csv and sweep.png")
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                   help="seconds for each point's pairing (default: the scenario's "
                        "[solver] time_limit)")
    p.add_argument("--cluster", metavar="local:N | ADDRESS",
                   help="solve the points on a Dask cluster: the results are the same")
    add_common(p)


def configure_project(p: argparse.ArgumentParser) -> None:
    """The options of ``project``."""
    p.add_argument("--years", required=True, type=count_up_to(MOST_YEARS), metavar="N",
                   help=f"how many years ahead (1 to {MOST_YEARS})")
    p.add_argument("--from", type=date, dest="start", metavar="YYYY-MM-DD",
                   help="the day year 0 stands on (default: the scenario's [schedule] start, "
                        "else today)")
    p.add_argument("--out", required=True, type=Path,
                   help="folder for projection.csv, projection_years.csv, first_short.csv "
                        "and projection.png")
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                   help="seconds for the whole command, shared evenly by the years' "
                        "pairings (default: the scenario's [solver] time_limit)")
    add_common(p)


def add_common(p: argparse.ArgumentParser) -> None:
    """What both what-if commands take: the figure's language, the inputs' coordinates
    and distances, and how they report."""
    p.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="language of the figure (default zh)")
    add_coords(p)
    add_distance(p)
    add_report(p)


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``command``."""
    return project_file(args) if command == "project" else sweep_file(args)


def seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def count_up_to(most: int) -> Callable[[str], int]:
    """An option's type: a whole number from 1 to ``most`` (``--orders``, ``--years``)."""
    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"between 1 and {most}: {text!r}")
        return value
    return count


def shares(text: str) -> list[float]:
    """``--leave``: comma-separated shares, each between 0 and 1."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"each share lies between 0 and 1: {text!r}")
    if len(values) > MOST_SWEEP_POINTS:
        raise argparse.ArgumentTypeError(f"at most {MOST_SWEEP_POINTS} shares")
    return values


def scenario_of(args: argparse.Namespace) -> Scenario:
    """The scenario file with the command line's coordinates and distances over its own."""
    scenario = load_scenario(args.scenario)
    if args.coords is not None:
        scenario = dataclasses.replace(scenario, coords=args.coords)
    if args.streets is not None:  # the command line wins over the scenario's [distance]
        scenario = dataclasses.replace(scenario, streets=args.streets)
    distance = distance_of(args)
    if distance is not None:
        scenario = dataclasses.replace(scenario, distance=distance)
    return scenario


def project_file(args: argparse.Namespace) -> int:
    """``matching project``: the roster aged year by year, paired each year."""
    scenario = scenario_of(args)
    budget = args.budget = Budget(None, args.started, args.stop)
    progress, stages = progress_of(args, budget)
    result = project_scenario(scenario, args.years, args.out, Context(budget, progress),
                              start=args.start, time_limit=args.time_limit, lang=args.lang)
    summary = {"scenario": scenario.name, "out": str(args.out),
               "years": frame_json(result.years), "first_short": frame_json(result.first_short)}
    ran = f"  {'command':<18}{budget.elapsed():.2f} s in all; wrote {args.out}"
    return finish(args, stages, summary, f"{format_projection(result)}\n\n{ran}")


def sweep_file(args: argparse.Namespace) -> int:
    """``matching sweep``: coverage as a growing share of the volunteers leaves."""
    scenario = scenario_of(args)
    if args.cluster is not None:
        check_spec(args.cluster)
        scenario = dataclasses.replace(scenario, cluster=args.cluster)
    budget = args.budget = Budget(None, args.started, args.stop)
    progress, stages = progress_of(args, budget)
    result = sweep_scenario(scenario, args.leave, args.out, Context(budget, progress),
                            recruit_at=args.recruit, among=args.among,
                            orders=args.orders, kind=args.order_kind, find=args.find,
                            time_limit=args.time_limit,
                            lang=args.lang)
    points = result.points
    text = format_points(points)
    summary = {"scenario": scenario.name, "out": str(args.out),
               "points": frame_json(points)}
    if result.thresholds is not None:
        summary["thresholds"] = frame_json(result.thresholds)
        text += "\n\n" + format_thresholds(result)
    ran = f"  {'command':<18}{budget.elapsed():.2f} s in all; wrote {args.out}"
    return finish(args, stages, summary, f"{text}\n\n{ran}")


