"""Running a scenario: read its inputs, apply its what-if edits, pair (or pair, then
re-plan), schedule, and write one self-contained folder, through the same functions as
``matching pair``, ``replan`` and ``schedule`` (:mod:`matching.workflows.plan`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matching.outputs.runfolder import RunFolder
from matching.pairing.options import SolveOptions
from matching.pairing.replan import ReplanResult, read_previous
from matching.pairing.result import PairingResult
from matching.rules.errors import InputError
from matching.rules.timebank import TimebankRules
from matching.runtime.budget import Budget
from matching.runtime.cluster import open_cluster
from matching.schedule import ScheduleResult
from matching.workflows.plan import (
    Context,
    pair_world,
    read_ledger,
    replan_world,
    schedule_pairs,
)
from matching.workflows.scenario import Scenario, dump_toml, load_scenario
from matching.workflows.whatif import apply_whatif, read_tables
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import notice_figures, street_figures, without_volunteers
from matching.world.read import read_table, read_world

#: Where a scenario run's stages end, as shares of the whole run: the pairing (before and
#: after the what-if, when re-planning), the schedule, then writing.
PAIRING_END_WITH_SCHEDULE = 0.25
PAIRING_END_ALONE = 0.9
SCHEDULE_END = 0.92


def solve_options(sc: Scenario) -> SolveOptions:
    """The scenario's ``[solver]`` table as options."""
    return SolveOptions(time_limit=sc.time_limit, deterministic_time=sc.deterministic_time,
                        seed=sc.seed, workers=sc.workers)


@dataclass
class RunOutcome:
    """What a scenario run made.

    Attributes
    ----------
    figures
        What ``summary.json`` holds: the scenario's name, and ``pairing`` (or ``replan``),
        ``schedule`` and ``timebank`` as the run made them.
    pairing, replan, schedule
        The results themselves (``pairing`` is the plan before the what-if when the run
        re-planned).
    folder
        Where the run was written.
    """

    figures: dict[str, Any]
    folder: Path
    pairing: PairingResult | None = None
    replan: ReplanResult | None = None
    schedule: ScheduleResult | None = None

    def summary(self) -> str:
        """The run for people: the pairing's (or re-plan's) summary and the schedule's."""
        parts = [f"Scenario {self.figures['scenario']}", ""]
        if self.replan is not None:
            parts.append(self.replan.summary())
        elif self.pairing is not None:
            parts.append(self.pairing.summary())
        if self.schedule is not None:
            parts += ["", self.schedule.summary()]
        return "\n".join(parts)


def shorter(sc: Scenario, weeks: int) -> Scenario:
    """The scenario planned for ``weeks`` weeks from its start.

    Raises
    ------
    InputError
        If ``weeks`` is under 1, or the scenario re-schedules from a day past the new end
        (the command line says it and exits 2).
    """
    if weeks < 1:
        raise InputError.one("--weeks", "input.weeks_at_least_one", weeks=weeks)
    if sc.start is not None and sc.from_date is not None and \
            sc.from_date >= sc.start + dt.timedelta(weeks=weeks):
        end = sc.start + dt.timedelta(weeks=weeks, days=-1)
        raise InputError.one("--weeks", "scenario.from_outside", from_date=str(sc.from_date),
                             start=str(sc.start), end=str(end))
    return dataclasses.replace(sc, weeks=weeks)


def run_scenario(scenario: Scenario | str | Path, out: str | Path,
                 context: Context | None = None, *, headers: str = "en",
                 pseudonymise: bool = False, key: Path | None = None,
                 weeks: int | None = None, streets: Path | None = None) -> RunOutcome:
    """Run what the scenario asks for and write the self-contained output folder ``out``.

    Parameters
    ----------
    scenario
        A scenario file (``scenarios/minle.toml``), or one loaded already.
    context
        The clock, stop request and progress (default: the scenario's time limit from now,
        reporting nowhere). The scenario's cluster is opened here unless ``context`` has
        one.
    headers, pseudonymise, key
        As in :func:`matching.outputs.write.write_outputs`; with ``pseudonymise`` the key is
        written to ``key`` (default: beside the folder, see
        :func:`matching.outputs.privacy.key_path`).
    weeks
        Plan this many weeks from the scenario's start instead of its own horizon (a quick
        look; a notebook's tests use it). ``None`` keeps the scenario's.

    Raises
    ------
    InputError
        If ``weeks`` is under 1, or the scenario re-schedules from a day the shorter
        horizon leaves out.
    streets
        Walk on this OpenStreetMap extract instead of the scenario's ``[distance] streets``.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if streets is not None:
        sc = dataclasses.replace(sc, streets=Path(streets))
    if weeks is not None and sc.weeks is not None:
        sc = shorter(sc, weeks)
    out = Path(out)
    context = context or Context(Budget(sc.time_limit))
    if context.cluster is None and sc.cluster is not None:
        with open_cluster(sc.cluster) as cluster:
            return _run(sc, out, dataclasses.replace(context, cluster=cluster), headers,
                        pseudonymise, key)
    return _run(sc, out, context, headers, pseudonymise, key)


def _run(sc: Scenario, out: Path, context: Context, headers: str, pseudonymise: bool,
         key: Path | None) -> RunOutcome:
    clock = time.perf_counter()
    budget, progress = context.budget, context.progress
    options = solve_options(sc)
    # a published pairing to re-plan from ([inputs] assignments), else one made here
    published = sc.inputs.get("assignments")
    replanning = bool(sc.steps.get("replan") or sc.whatif.get("leaving")
                      or sc.whatif.get("leaving_share") or published)
    scheduling = bool(sc.steps.get("schedule") and sc.start is not None
                      and sc.weeks is not None)
    # one budget for the whole run: each solving step gets an equal share of what is left,
    # so that a step that finishes early leaves its time to the next
    shares = budget.even_shares(1 + replanning + scheduling)

    if options.deterministic_time is not None:  # shared by the pairing steps alike
        options = dataclasses.replace(options, deterministic_time=options.deterministic_time
                                      / (1 + replanning))
    pairing_end = PAIRING_END_WITH_SCHEDULE if scheduling else PAIRING_END_ALONE
    timings: dict[str, float] = {}
    progress("reading", "reading inputs")
    tables = read_tables(sc)
    figures: dict[str, Any] = {"scenario": sc.name}
    folder = RunFolder()
    baseline = None
    previous: dict[str, str] | None = None
    if published is not None:
        previous = read_previous(published)
        baseline_tables = (read_table(published), None)
    elif replanning:
        before = apply_whatif(dataclasses.replace(sc, whatif={}), tables)
        world0 = read_world(before.volunteers, before.elders, before.relations, before.pairs,
                            rules=sc.rules, coords=sc.coords, streets=sc.streets,
                            distance=sc.distance)
        progress("baseline", "pairing the world before the what-if")
        baseline = pair_world(world0, options, dataclasses.replace(
            context, progress=progress.span(0.0, pairing_end / 2)), time_limit=next(shares))
        timings["baseline_pair"] = time.perf_counter() - clock
        previous = dict(zip(baseline.assignments[ELDER_ID],
                            baseline.assignments[VOLUNTEER_ID], strict=True))
        baseline_tables = (baseline.assignments, baseline.unassigned)
    paired = set(previous.values()) if previous is not None else None
    edited = apply_whatif(sc, tables, paired)
    world = read_world(edited.volunteers, edited.elders, edited.relations, edited.pairs,
                       rules=sc.rules, coords=sc.coords, streets=sc.streets,
                       distance=sc.distance)
    figures["distance"] = street_figures(world)
    figures["notices"] = notice_figures(world.notices)
    feedback, fairness = None, False
    if sc.ledger is not None:
        progress("ledger", "reading the time bank's ledger")
        read = read_ledger(world, sc.ledger, sc.members,
                           {k: getattr(sc.timebank_rules, k) for k in sc.timebank_keys})
        world, feedback, bank_rules = read.world, read.feedback, read.rules
        fairness = bank_rules.fairness
        # the rules in effect go into the scenario kept with the plan, to run it again
        sc = dataclasses.replace(sc, timebank_rules=bank_rules,
                                 timebank_keys=tuple(f.name for f in
                                                     dataclasses.fields(TimebankRules)))
        figures["timebank"] = feedback.figures()
    gone = set(edited.leaving)
    if published is not None and previous is not None:  # whoever the published plan had
        gone |= set(previous.values()) - set(world.volunteers.volunteer_id)  # and not now
    stay = without_volunteers(world, gone) if gone else world
    pairing_progress = progress.span(pairing_end / 2 if replanning else 0.0, pairing_end)
    pairing = result = None
    if previous is not None:
        result = replan_world(world, previous, gone, options,
                              dataclasses.replace(context, progress=pairing_progress),
                              reasons=feedback.reasons() if feedback else None,
                              time_limit=next(shares))
        folder.add_replan(result, *baseline_tables)
        figures["replan"] = {k: v for k, v in result.figures.items() if k != "residual"}
        status = str(result.figures["status"])
        assignments = result.assignments
        timings["replan"] = time.perf_counter() - clock - sum(timings.values())
    else:
        progress("pairing", "pairing")
        pairing = pair_world(stay, options,
                             dataclasses.replace(context, progress=pairing_progress),
                             time_limit=next(shares), feedback=feedback, fairness=fairness)
        folder.add_pairing(pairing)
        figures["pairing"] = pairing.figures()
        status = str(pairing.status)
        assignments = pairing.assignments
        timings["pair"] = time.perf_counter() - clock
    schedule_result = None
    if scheduling:
        t0 = time.perf_counter()
        schedule_result = schedule_pairs(
            stay, assignments, sc.start, sc.weeks,  # type: ignore[arg-type]  # set: scheduling
            options,
            dataclasses.replace(context, progress=progress.span(pairing_end, SCHEDULE_END)),
            rules=sc.schedule_rules, from_date=sc.from_date,
            previous=read_table(sc.previous) if sc.previous is not None else None,
            time_limit=next(shares))
        timings["schedule"] = time.perf_counter() - t0
        figures["schedule"] = dict(schedule_result.stats)
    # the inputs actually planned for: after the edits, without those who left (as read:
    # WGS-84 coordinates, contract headers; with a ledger, the priorities and refusals it
    # added are part of what was planned for)
    folder.add_inputs(world, gone)
    folder.add_pairs(stay, assignments if scheduling else None,
                     sc.schedule_rules.service_km if scheduling else None)
    timings["total"] = time.perf_counter() - clock
    folder.add_record("run", scenario=sc.name, scenario_file=sc.path.name,
                      start=sc.start.isoformat() if sc.start else None, weeks=sc.weeks,
                      **{"from": sc.from_date.isoformat() if sc.from_date else None},
                      seed=sc.seed, time_limit=sc.time_limit,
                      deterministic_time=sc.deterministic_time, workers=sc.workers,
                      status=status, pseudonymised=pseudonymise,
                      distance=world.distances.record(),
                      seconds={k: round(v, 3) for k, v in timings.items()})
    folder.add_text("scenario.toml", dump_toml(sc))
    folder.add_summary(figures)
    progress("writing", "writing outputs", done=SCHEDULE_END if scheduling else pairing_end)
    if schedule_result is not None:
        folder.add_schedule(schedule_result, sc.lang, pseudonymise, with_assignments=False,
                            contact=sc.contact)
    folder.write(out, headers, pseudonymise, world=world, key=key)
    return RunOutcome(figures, out, pairing=pairing if previous is None else baseline,
                      replan=result if previous is not None else None,
                      schedule=schedule_result)
