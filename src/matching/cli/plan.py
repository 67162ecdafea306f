"""The planning commands: ``pair``, ``schedule``, ``replan`` and ``run``. Each reads its
inputs, plans through :mod:`matching.workflows.plan` and writes one run's folder."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
from pathlib import Path

from matching.cli.common import (
    add_coords,
    add_distance,
    add_inputs,
    add_ledger,
    add_outputs,
    add_report,
    add_solver,
    date,
    distance_of,
    finish,
    progress_of,
    warn,
)
from matching.ledger import Feedback
from matching.outputs.runfolder import RunFolder
from matching.pairing.options import SolveOptions
from matching.pairing.replan import history_acquaintances, read_leaving, read_previous
from matching.programme.roster import read_changes, roster_as_of
from matching.rules.errors import InputError
from matching.rules.limits import CONTACT_CHARS, fit_contact
from matching.runtime.budget import Budget
from matching.runtime.cluster import check_spec, open_cluster
from matching.runtime.extras import require
from matching.schedule import ScheduleRules
from matching.workflows.plan import (
    Context,
    pair_world,
    read_ledger,
    replan_world,
    schedule_pairs,
)
from matching.workflows.run import run_scenario, shorter
from matching.workflows.scenario import load_scenario
from matching.world.model import World, notice_figures, street_figures, without_volunteers
from matching.world.read import read_table, read_world

#: Where a schedule command's stages end, as shares of the whole command.
SCHEDULE_END = 0.95
#: Share of ``matching run --report``'s progress the plan takes (the rest is the report,
#: which draws its figures in about a second and a half on Minle).
PLAN_SHARE = 0.9



def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``command``."""
    if command == "pair":
        add_inputs(p)
        p.add_argument("--out", required=True, type=Path,
                       help="folder for assignments.csv, unassigned.csv and summary.json")
        p.add_argument("--geocode", action="store_true",
                       help="fill missing elder/volunteer coordinates from the address column "
                            "with OpenStreetMap (uses the network; off by default)")
        p.add_argument("--geocode-cache", type=Path, default=Path(".matching-geocode.json"),
                       help="on-disk cache of geocoded addresses (default "
                            ".matching-geocode.json)")
        add_ledger(p)
    elif command == "schedule":
        add_inputs(p)
        p.add_argument("--assignments", required=True, type=Path,
                       help="assignments.csv from matching pair (elder_id, volunteer_id)")
        p.add_argument("--start", required=True, type=date, help="first day, YYYY-MM-DD")
        p.add_argument("--weeks", required=True, type=int,
                       help="length of the horizon in weeks")
        p.add_argument("--out", required=True, type=Path,
                       help="folder for schedule.csv, unmet.csv, credits.csv, rota.html, "
                            "ical/")
        p.add_argument("--lang", choices=("zh", "en"), default="zh",
                       help="language of the rota and calendars (default zh)")
        p.add_argument("--contact", default="", metavar="TEXT",
                       help="the coordinator's name and phone, printed on every volunteer's "
                            "rota (at most 80 characters)")
        p.add_argument("--from", dest="from_date", type=date,
                       help="re-schedule from this date: with --previous, every activity "
                            "before it is kept exactly as published")
        p.add_argument("--leaving", type=Path,
                       help="CSV with a volunteer_id column: volunteers who have left get no "
                            "new activities (their published past is kept)")
        p.add_argument("--previous", type=Path,
                       help="the earlier schedule.csv to keep before --from (and whose visit "
                            "days and times unchanged pairs keep)")
        add_ledger(p)
    elif command == "replan":
        add_inputs(p)
        p.add_argument("--previous", required=True, type=Path,
                       help="the earlier assignments.csv")
        p.add_argument("--leaving", type=Path,
                       help="CSV with a volunteer_id column: the volunteers who leave "
                            "(needed unless --changes says who)")
        p.add_argument("--changes", type=Path,
                       help="CSV of dated changes to the roster (date, kind, person, id, "
                            "until, reason, and new details): the re-plan starts from the "
                            "roster as of --as-of, and whoever has left by then stays gone")
        p.add_argument("--as-of", type=date,
                       help="the day the roster is taken as of (default: today)")
        p.add_argument("--history", type=Path,
                       help="an earlier schedule.csv: whoever visited an elder counts as "
                            "familiar")
        p.add_argument("--out", required=True, type=Path,
                       help="folder for assignments.csv, unassigned.csv, changes.csv")
        add_ledger(p)
    elif command == "run":
        p.add_argument("scenario", type=Path, help="a scenario .toml file")
        p.add_argument("--out", type=Path,
                       help="output folder (default out/<scenario file name>)")
        p.add_argument("--weeks", type=int,
                       help="plan this many weeks from the scenario's start instead of its "
                            "own horizon (a quick look)")
        p.add_argument("--report", choices=("zh", "en"), metavar="LANG",
                       help="also write the folder's report.html in this language (zh or "
                            "en), as matching report does, in the same process (the "
                            "figures extra)")
        add_ledger(p)
        add_coords(p)
        add_distance(p)
        add_outputs(p)
        add_solver(p, limit=False)
        add_report(p)
        return
    add_solver(p)
    add_outputs(p)
    add_report(p)


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``command``."""
    return {"pair": pair, "schedule": schedule, "replan": replan, "run": run_file}[command](args)


def _options(args: argparse.Namespace) -> SolveOptions:
    return SolveOptions(time_limit=args.time_limit, deterministic_time=args.deterministic_time,
                        seed=args.seed, workers=args.workers)


def _begin(args: argparse.Namespace, limit: float | None) -> Budget:
    """The command's budget, counted from when the command started (see
    :func:`matching.cli.main`), kept in ``args`` for the error that says a limit is too
    short."""
    args.budget = Budget(limit, args.started, args.stop)
    return args.budget


def _read(args: argparse.Namespace, geocode: bool = False) -> World:
    return read_world(args.volunteers, args.elders, args.relations, args.pairs,
                      geocode_cache=args.geocode_cache if geocode else None,
                      coords=args.coords or "wgs84", streets=args.streets,
                      distance=distance_of(args))


def _feedback(world: World, args: argparse.Namespace
              ) -> tuple[World, Feedback | None, bool]:
    """The world as the ledger changes it (with ``--ledger``), its feedback and whether the
    hours are evened out."""
    if args.ledger is None:
        return world, None, False
    read = read_ledger(world, args.ledger, args.members)
    return read.world, read.feedback, read.rules.fairness


def _ran(budget: Budget, out: Path) -> str:
    return f"  {'command':<18}{budget.elapsed():.2f} s in all; wrote {out}"


def pair(args: argparse.Namespace) -> int:
    """``matching pair``: the best pairing, written with its inputs and record."""
    if args.cluster is not None:
        check_spec(args.cluster)
    budget = _begin(args, None if args.deterministic_time is not None else args.time_limit)
    progress, stages = progress_of(args, budget)
    progress("reading", "reading inputs")
    world = _read(args, geocode=args.geocode)
    streets = street_figures(world)
    warn([*notice_figures(world.notices), *streets["far_from_streets"]])
    world, feedback, fairness = _feedback(world, args)
    progress("candidates", f"{len(world.volunteers):,} volunteers, {len(world.elders):,} "
                           "elders; finding candidate pairs", volunteers=len(world.volunteers),
             elders=len(world.elders))
    options = _options(args)
    with open_cluster(args.cluster) as cluster:
        result = pair_world(world, options, Context(budget, progress.span(0.0, 0.95), cluster),
                            feedback=feedback, fairness=fairness)
    progress("writing", "writing outputs", done=0.95)
    folder = RunFolder()
    folder.add_pairing(result)
    folder.add_inputs(world)
    folder.add_pairs(world)
    figures = result.figures()
    figures.update(feedback.figures() if feedback else {})
    figures["distance"] = streets
    figures["notices"] = notice_figures(world.notices)
    folder.add_summary(figures)
    folder.add_record("pair", seed=args.seed, time_limit=args.time_limit,
                      deterministic_time=args.deterministic_time, status=str(result.status),
                      pseudonymised=args.pseudonymise, distance=world.distances.record())
    folder.write(args.out, args.headers, args.pseudonymise, world=world, key=args.key)
    return finish(args, stages, figures, f"{result.summary()}\n{_ran(budget, args.out)}")


def schedule(args: argparse.Namespace) -> int:
    """``matching schedule``: the six ones for a pairing."""
    if args.cluster is not None:  # the windows depend on each other: solved here, in order
        check_spec(args.cluster)
    if not fit_contact(args.contact):
        raise InputError.one("--contact", "scenario.contact", most=CONTACT_CHARS)
    budget = _begin(args, args.time_limit)
    progress, stages = progress_of(args, budget)
    progress("reading", "reading inputs")
    world = _read(args)
    warn([*notice_figures(world.notices), *street_figures(world)["far_from_streets"]])
    world, _, _ = _feedback(world, args)  # pairs rated low again and again refuse here too
    leaving = read_leaving(args.leaving, set(world.volunteers.volunteer_id)) \
        if args.leaving is not None else set()
    assignments = read_table(args.assignments)
    previous = read_table(args.previous) if args.previous is not None else None
    result = schedule_pairs(world, assignments, args.start, args.weeks, _options(args),
                            Context(budget, progress.span(0.0, SCHEDULE_END)), leaving=leaving,
                            from_date=args.from_date, previous=previous,
                            assignments_name=args.assignments.name)
    progress("writing", "writing outputs", done=SCHEDULE_END)
    folder = RunFolder()
    folder.add_schedule(result, args.lang, args.pseudonymise, contact=args.contact)
    folder.add_inputs(world, leaving)
    folder.add_pairs(without_volunteers(world, leaving) if leaving else world, assignments,
                     ScheduleRules().service_km)
    folder.add_record("schedule", start=args.start.isoformat(), weeks=args.weeks,
                      **{"from": args.from_date.isoformat() if args.from_date else None},
                      seed=args.seed, time_limit=args.time_limit,
                      deterministic_time=args.deterministic_time,
                      status=result.stats["status"], pseudonymised=args.pseudonymise,
                      distance=world.distances.record())
    folder.write(args.out, args.headers, args.pseudonymise, world=world, key=args.key)
    figures = {"start": result.start.isoformat(), "weeks": result.weeks, **result.stats}
    return finish(args, stages, figures, f"{result.summary()}\n{_ran(budget, args.out)}")


def replan(args: argparse.Namespace) -> int:
    """``matching replan``: volunteers leave; keep every pair that may stay."""
    budget = _begin(args, args.time_limit)
    progress, stages = progress_of(args, budget)
    progress("reading", "reading inputs")
    previous = read_previous(args.previous)
    if args.leaving is None and args.changes is None:
        raise InputError.one("--leaving", "input.leaving_or_changes")
    roster = None
    if args.changes is not None:
        roster = roster_as_of(args.volunteers, args.elders, args.relations,
                              read_changes(args.changes), args.as_of or dt.date.today())
        world = read_world(roster.volunteers, roster.elders, roster.relations, args.pairs,
                           coords=args.coords or "wgs84", streets=args.streets,
                           distance=distance_of(args))
        # whoever has left by then leaves the plan: they are not on the roster any more
        gone = {v for v in previous.values() if v not in set(roster.ids("volunteer"))}
    else:
        world = _read(args)
        gone = set()
    leaving = gone | (read_leaving(args.leaving, set(world.volunteers.volunteer_id))
                      if args.leaving is not None else set())
    warn([*notice_figures(world.notices), *street_figures(world)["far_from_streets"]])
    history = history_acquaintances(args.history) if args.history else None
    world, feedback, _ = _feedback(world, args)
    with open_cluster(args.cluster) as cluster:
        result = replan_world(world, previous, leaving, _options(args),
                              Context(budget, progress.span(0.0, 0.95), cluster),
                              history=history,
                              reasons=feedback.reasons() if feedback else None)
    if feedback is not None:
        result.figures.update(feedback.figures())
    progress("writing", "writing outputs", done=0.95)
    folder = RunFolder()
    folder.add_replan(result, read_table(args.previous))
    # with a history, the relations planned with hold the acquaintances it added
    planned_with = result.residual.problem.world.relations.frame() if history is not None \
        else None
    folder.add_inputs(world, leaving, planned_with)
    folder.add_pairs(without_volunteers(world, leaving) if leaving else world)
    folder.add_summary(result.figures)
    if roster is not None:
        folder.add_text("inputs/changes.csv", args.changes.read_bytes())
    folder.add_record("replan", seed=args.seed, time_limit=args.time_limit,
                      status=result.figures["status"], pseudonymised=args.pseudonymise,
                      distance=world.distances.record(),
                      as_of=roster.date.isoformat() if roster is not None else None)
    folder.write(args.out, args.headers, args.pseudonymise, world=world, key=args.key)
    figures = {k: v for k, v in result.figures.items() if k != "residual"}
    return finish(args, stages, figures, f"{result.summary()}\n{_ran(budget, args.out)}")


def run_file(args: argparse.Namespace) -> int:
    """``matching run``: what a scenario file names, into one self-contained folder (and,
    with ``--report``, its report)."""
    if args.report is not None:  # before any work: nothing is written without it
        require("figures", "matching run --report")
    scenario = load_scenario(args.scenario)
    if args.coords is not None:  # the command line wins over the scenario's [inputs] coords
        scenario = dataclasses.replace(scenario, coords=args.coords)
    if args.cluster is not None:  # and over its [solver] cluster
        check_spec(args.cluster)
        scenario = dataclasses.replace(scenario, cluster=args.cluster)
    if args.ledger is not None:  # the command line's ledger wins over the scenario's
        scenario = dataclasses.replace(scenario, ledger=args.ledger,
                                       members=args.members or scenario.members)
    if args.deterministic_time is not None:
        scenario = dataclasses.replace(scenario, deterministic_time=args.deterministic_time)
    if args.streets is not None:  # and over its [distance]
        scenario = dataclasses.replace(scenario, streets=args.streets)
    distance = distance_of(args)
    if distance is not None:
        scenario = dataclasses.replace(scenario, distance=distance)
    if args.weeks is not None and scenario.weeks is not None:
        scenario = shorter(scenario, args.weeks)
    budget = _begin(args, None if scenario.deterministic_time is not None
                    else scenario.time_limit)
    progress, stages = progress_of(args, budget)
    out = args.out or Path("out") / args.scenario.stem
    progress("scenario", f"scenario {scenario.name!r}", name=scenario.name)
    planning = progress.span(0.0, PLAN_SHARE) if args.report is not None else progress
    outcome = run_scenario(scenario, out, Context(budget, planning), headers=args.headers,
                           pseudonymise=args.pseudonymise, key=args.key)
    warn([*outcome.figures["notices"], *outcome.figures["distance"]["far_from_streets"]])
    if args.report is not None:
        progress("report", "writing the report", PLAN_SHARE)
        importlib.import_module("matching.cli.report").write_report(
            out, args.report, pseudonymise=args.pseudonymise, key=args.key)
    return finish(args, stages, outcome.figures, f"{outcome.summary()}\n\n{_ran(budget, out)}")

