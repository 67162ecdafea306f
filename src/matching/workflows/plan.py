"""One way to plan: pair a world, re-plan it, schedule it, and write the run's folder.

``matching pair``, ``schedule``, ``replan`` and ``run``, scenario runs and the web console
(which starts ``matching run``) all go through these functions, so that the same world
gives the same plan, byte for byte, whichever door it came in by:

read -> candidate pairs -> problem -> solve (regions, parts, cluster) -> result
     -> ``inputs/``, ``run.json``, ``summary.json`` and the plan's own tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matching.catalogue import Reason
from matching.ledger import Feedback, even_out
from matching.outputs.write import (
    ASSIGNMENT_COLUMNS,
    input_tables,
    schedule_files,
    versions,
    write_key,
    write_outputs,
)
from matching.pairing.options import SolveOptions
from matching.pairing.problem import build_problem
from matching.pairing.regions import solve_world
from matching.pairing.replan import ReplanResult, replan
from matching.pairing.result import PairingResult
from matching.pairing.solver import solve
from matching.rules.schedule import ScheduleRules
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


@dataclass
class RunFolder:
    """What one run writes, gathered stage by stage and written whole at the end
    (:func:`matching.outputs.write.write_outputs`: the previous folder, or this one, never
    a mix)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str | bytes] = field(default_factory=dict)

    def add_pairing(self, result: PairingResult) -> None:
        """``assignments.csv`` (the contract's columns first) and ``unassigned.csv``."""
        assignments = result.assignments
        extra = [c for c in assignments.columns if c not in ASSIGNMENT_COLUMNS]
        self.tables["assignments.csv"] = assignments[ASSIGNMENT_COLUMNS + extra]
        self.tables["unassigned.csv"] = result.unassigned

    def add_replan(self, result: ReplanResult, baseline: pd.DataFrame,
                   baseline_unassigned: pd.DataFrame | None = None) -> None:
        """A re-plan's ``assignments.csv``, ``unassigned.csv``, ``changes.csv`` and the
        earlier pairing under ``baseline/``."""
        extra = [c for c in result.assignments.columns if c not in ASSIGNMENT_COLUMNS]
        self.tables["assignments.csv"] = result.assignments[ASSIGNMENT_COLUMNS + extra]
        self.tables["unassigned.csv"] = result.unassigned
        self.tables["changes.csv"] = result.changes
        self.tables["baseline/assignments.csv"] = baseline
        if baseline_unassigned is not None:
            self.tables["baseline/unassigned.csv"] = baseline_unassigned

    def add_schedule(self, result: ScheduleResult, lang: str, pseudonymise: bool,
                     with_assignments: bool = True, contact: str = "") -> None:
        """The schedule's tables, rota pages (with the coordinator's ``contact``),
        calendars and ``schedule.json``."""
        tables, texts = schedule_files(result, lang, pseudonymise=pseudonymise,
                                       contact=contact)
        if not with_assignments:  # the pairing's own, with every column, is written
            tables.pop("assignments.csv")
        self.tables.update(tables)
        self.texts.update(texts)

    def add_inputs(self, world: World, leaving: set[str] | frozenset[str] = frozenset(),
                   relations: pd.DataFrame | None = None) -> None:
        """``inputs/``: the tables planned for, so that the folder is enough on its own."""
        self.tables.update(input_tables(world, leaving, relations))

    def add_record(self, command: str, **fields: object) -> None:
        """``run.json``: what ran, with which settings, and the versions."""
        info = {"command": command, **fields, "versions": versions()}
        self.texts["run.json"] = _json(info)

    def add_summary(self, figures: Mapping[str, object]) -> None:
        """``summary.json``: the run's headline figures."""
        self.texts["summary.json"] = _json(figures)

    def add_text(self, name: str, text: str | bytes) -> None:
        """Any other file of the run (``scenario.toml``)."""
        self.texts[name] = text

    def write(self, out: Path, headers: str = "en", pseudonymise: bool = False,
              world: World | None = None, key: Path | None = None) -> list[Path]:
        """Write the folder whole; with ``pseudonymise``, the key apart from it first.

        Raises
        ------
        InputError
            If the key would land inside the folder it unlocks.
        """
        if pseudonymise and world is not None:
            write_key(world, out, key)
        return write_outputs(out, self.tables, self.texts, headers=headers,
                             pseudonymise=pseudonymise)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
