"""One way to plan: pair a world, re-plan it, schedule it, and write the run's folder.

``matching pair``, ``schedule``, ``replan`` and ``run``, scenario runs and the web console
(which starts ``matching run``) all go through these functions, so that the same world
gives the same plan, byte for byte, whichever door it came in by:

read -> candidate pairs -> problem -> solve (regions, parts, cluster) -> result
     -> ``inputs/``, ``run.json``, ``summary.json`` and the plan's own tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matching.catalogue import Reason
from matching.ledger import Feedback, apply_feedback, even_out, open_ledger, read_members
from matching.pairing.options import SolveOptions
from matching.pairing.problem import build_problem
from matching.pairing.regions import solve_world
from matching.pairing.replan import ReplanResult, replan
from matching.pairing.result import PairingResult
from matching.pairing.solver import solve
from matching.rules.schedule import ScheduleRules
from matching.rules.timebank import TimebankRules
from matching.runtime.budget import Budget, TooShort
from matching.runtime.cluster import Cluster
from matching.runtime.progress import SILENT, Progress
from matching.schedule import ScheduleResult, schedule_world
from matching.world.model import World


@dataclass
class Context:
    """What a run carries from stage to stage: the clock, the stop request (inside the
    budget), where progress goes, and the Dask cluster if one is open."""

    budget: Budget
    progress: Progress = SILENT
    cluster: Cluster | None = None


@dataclass(frozen=True)
class LedgerFeedback:
    """The world as the time bank's ledger changes it, and what changed it.

    Attributes
    ----------
    world
        Low-rated pairs refuse; banked hours raise priority.
    feedback
        What was applied (its figures go into the run's summary).
    rules
        The time-bank rules in effect: the ledger's, with any a scenario changed.
    """

    world: World
    feedback: Feedback
    rules: TimebankRules


def read_ledger(world: World, ledger: Path, members: Path | None = None,
                changes: Mapping[str, object] | None = None) -> LedgerFeedback:
    """Apply the time bank's feedback to ``world`` (:func:`matching.ledger.apply_feedback`):
    the one place the commands and scenario runs read a ledger for a plan.

    Parameters
    ----------
    ledger
        The ledger file (it must exist).
    members
        A members table linking elders to their accounts.
    changes
        Time-bank rules a scenario sets over the ledger's own.
    """
    table = read_members(members) if members is not None else None
    with open_ledger(ledger, create=False) as book:
        rules = book.rules.replace(**dict(changes or {}))
        changed, feedback = apply_feedback(world, book, table, rules)
    return LedgerFeedback(changed, feedback, rules)


def pair_world(world: World, options: SolveOptions, context: Context, *,
               time_limit: float | None = None,
               feedback: Feedback | None = None, fairness: bool = False) -> PairingResult:
    """The best pairing of ``world``: region by region, with the candidate search timed
    against the limit (:func:`matching.pairing.regions.solve_world`).

    Parameters
    ----------
    time_limit
        Seconds for this stage (default: what is left of the budget).
    feedback, fairness
        The time bank's feedback; with ``fairness``, among equally good volunteers the one
        who served fewer hours lately is chosen (which looks at the whole world's pairs).

    Raises
    ------
    TooShort
        If the budget is spent before any plan could be made.
    """
    left = context.budget.left() if time_limit is None else time_limit
    if options.timed and context.budget.spent():
        raise TooShort("work.reading")
    say = context.progress
    if feedback is not None and fairness:
        problem = build_problem(world)
        left = context.budget.left() if time_limit is None else left
        if options.timed and context.budget.spent():
            raise TooShort("work.reading_and_candidates")
        say("solving", f"{problem.num_arcs:,} eligible pairs; solving", pairs=problem.num_arcs)
        result = solve(problem, options.with_time(left), context.budget.stop, progress=say,
                       cluster=context.cluster)
        return even_out(result, feedback.recent_hours)
    return solve_world(world, options.with_time(left), context.budget.stop, progress=say,
                       cluster=context.cluster)


def replan_world(world: World, previous: Mapping[str, str], leaving: set[str],
                 options: SolveOptions, context: Context, *,
                 history: pd.DataFrame | None = None,
                 reasons: dict[tuple[str, str], Reason] | None = None,
                 time_limit: float | None = None) -> ReplanResult:
    """Re-plan when volunteers leave: keep every pair that may stay, re-pair the rest
    (:func:`matching.pairing.replan.replan`)."""
    left = context.budget.left() if time_limit is None else time_limit
    context.progress("replanning", f"{len(leaving):,} volunteers leave; re-planning",
                     leaving=len(leaving))
    return replan(world, dict(previous), leaving, history, options.with_time(left),
                  context.budget.stop, reasons=reasons, cluster=context.cluster)


def schedule_pairs(world: World, assignments: pd.DataFrame, start: dt.date, weeks: int,
                   options: SolveOptions, context: Context, *,
                   rules: ScheduleRules | None = None, leaving: set[str] | None = None,
                   from_date: dt.date | None = None, previous: pd.DataFrame | None = None,
                   time_limit: float | None = None,
                   assignments_name: str = "assignments.csv") -> ScheduleResult:
    """The six ones over ``weeks`` weeks from ``start`` for the pairs of ``assignments``
    (:func:`matching.schedule.schedule_world`). With a deterministic time the schedule runs
    to its own counted end (it needs no clock to be the same everywhere)."""
    left = context.budget.left() if time_limit is None else time_limit
    context.progress("scheduling", f"scheduling {weeks} weeks from {start}", weeks=weeks,
                     start=start.isoformat())
    return schedule_world(world, assignments, start, weeks, rules, leaving=leaving,
                          from_date=from_date, previous=previous,
                          time_limit=float("inf") if not options.timed else left,
                          seed=options.seed, progress=context.progress,
                          assignments_name=assignments_name, stop=context.budget.stop)


