"""A plan read back: any output folder (a pairing, a schedule, a re-plan or a scenario run), or
results still in memory, as one object the analysis, the explanations and the report read.

A folder is enough on its own: every command keeps the inputs it planned for in
``DIR/inputs/`` and what it ran in ``DIR/run.json``; a scenario run adds ``scenario.toml``,
whose ``[rules]`` the world is read with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matching.pairing.problem import PairingProblem, build_problem
from matching.pairing.result import PairingResult
from matching.rules.distance import DistanceRules
from matching.rules.errors import InputError, RuleError
from matching.rules.pairing import Rules
from matching.rules.schedule import ScheduleRules
from matching.runtime.extras import MissingExtra
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.distances import KINDS, WALKED, Distances
from matching.world.model import World
from matching.world.read import read_table, read_world
from matching.world.streets import load_streets

#: The type of each column of a run's tables: ``id`` and ``text`` are strings (``""`` where
#: blank), ``float`` and ``int`` numbers (``NaN`` and ``<NA>`` where blank), ``date``
#: ``datetime64`` (``NaT`` where blank), ``bool`` booleans. A column not listed is text.
#: docs/analysis.md lists them for analysts.
COLUMN_TYPES: dict[str, str] = {
    ELDER_ID: "id", VOLUNTEER_ID: "id", "primary_id": "id", "backup_id": "id",
    "old_volunteer_id": "id", "new_volunteer_id": "id", "done_by": "id", "member_id": "id",
    "distance_km": "float", "weekly_minutes": "float", "cost_km": "float", "minutes": "float",
    "hours": "float", "worse_by_km": "float",
    "priority": "int", "backup_week": "int",
    "date": "date",
    "kept": "bool",
}

#: Columns of ``credits.csv`` that are not hours (every other one is).
CREDIT_TEXT = (VOLUNTEER_ID, "volunteer_name")


def typed(frame: pd.DataFrame, table: str = "") -> pd.DataFrame:
    """A table read as text, with each column as :data:`COLUMN_TYPES` says (for
    ``credits``, every column but the volunteer's id and name is hours)."""
    out = frame.copy()
    for column in out.columns:
        kind = COLUMN_TYPES.get(column, "text")
        if table == "credits" and column not in CREDIT_TEXT:
            kind = "float"
        values = out[column]
        if kind == "float":
            out[column] = pd.to_numeric(values.replace("", np.nan), errors="coerce") \
                .astype("float64")
        elif kind == "int":
            out[column] = pd.to_numeric(values.replace("", np.nan), errors="coerce") \
                .astype("Int64")
        elif kind == "date":
            out[column] = pd.to_datetime(values.replace("", None), errors="coerce")
        elif kind == "bool":
            out[column] = values.astype(str).str.lower().isin(("true", "1", "yes"))
        else:
            out[column] = values.astype(object).where(values.notna(), "").astype(str)
    return out.reset_index(drop=True)


@dataclass
class Run:
    """A plan and the world it was made for.

    Attributes
    ----------
    world
        The inputs planned for (after the edits of a scenario, without volunteers who left).
    assignments, unassigned
        The pairing (as in ``assignments.csv`` and ``unassigned.csv``, text cells).
    schedule, unmet, backups, credits
        The schedule's tables, when the run made one.
    changes
        A re-plan's ``changes.csv``.
    baseline
        A re-plan's earlier pairing (``elder_id, volunteer_id``), and ``leaving``: the rows of
        the volunteers who left.
    info, summary
        ``run.json`` and ``summary.json`` (with ``schedule.json`` under ``"schedule"``).
    schedule_rules
        The rules the schedule was made under (a scenario's, else the defaults).
    """

    world: World
    assignments: pd.DataFrame
    unassigned: pd.DataFrame
    schedule: pd.DataFrame | None = None
    unmet: pd.DataFrame | None = None
    backups: pd.DataFrame | None = None
    credits: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None
    baseline: pd.DataFrame | None = None
    leaving: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None
    schedule_rules: ScheduleRules = field(default_factory=ScheduleRules)

    @classmethod
    def from_results(cls, world: World, pairing: PairingResult,
                     schedule: Any | None = None,
                     schedule_rules: ScheduleRules | None = None) -> Run:
        """A run of results still in memory (a :class:`~matching.pairing.result.PairingResult` and
        optionally a :class:`~matching.schedule.ScheduleResult` made under
        ``schedule_rules``)."""
        run = cls(world=world, assignments=typed(_text(pairing.assignments)),
                  unassigned=typed(_text(pairing.unassigned)), summary=pairing.figures())
        if schedule is not None:
            run.schedule = typed(_text(schedule.schedule))
            run.unmet = typed(_text(schedule.unmet))
            run.backups = typed(_text(schedule.backups))
            run.credits = typed(_text(schedule.credits()), "credits")
            run.info = {"start": schedule.start.isoformat(), "weeks": schedule.weeks}
            run.summary["schedule"] = dict(schedule.stats)
            if schedule_rules is not None:
                run.schedule_rules = schedule_rules
        return run

    # -- what the run covers ---------------------------------------------------------------
    @property
    def start(self) -> dt.date | None:
        """First day of the schedule's horizon, if there is a schedule."""
        start = self.info.get("start")
        return dt.date.fromisoformat(start) if start else None

    @property
    def weeks(self) -> int | None:
        """Length of the schedule's horizon in weeks."""
        weeks = self.info.get("weeks")
        return int(weeks) if weeks else None

    @cached_property
    def problem(self) -> PairingProblem:
        """The pairing problem of the world (candidate pairs, costs and loads)."""
        return build_problem(self.world)

    @cached_property
    def chosen(self) -> np.ndarray:
        """For each of the problem's eligible pairs, whether the plan uses it."""
        p = self.problem
        key = p.arc_e.astype(np.int64) * p.num_volunteers + p.arc_v
        vid = {v: i for i, v in enumerate(p.volunteer_ids)}
        eid = {e: i for i, e in enumerate(p.elder_ids)}
        chosen = np.zeros(p.num_arcs, dtype=bool)
        for e, v in zip(self.assignments[ELDER_ID], self.assignments[VOLUNTEER_ID],
                        strict=True):
            if e in eid and v in vid:
                k = int(np.searchsorted(key, eid[e] * p.num_volunteers + vid[v]))
                if k < len(key) and key[k] == eid[e] * p.num_volunteers + vid[v]:
                    chosen[k] = True
        return chosen

    def before(self) -> Run | None:
        """A re-plan's earlier pairing as a run of its own (on the world with the volunteers
        who left put back), or ``None``."""
        if self.baseline is None:
            return None
        world = self.world
        if self.leaving is not None and len(self.leaving) and \
                {"lat", "lon"} <= set(self.leaving.columns):
            volunteers = pd.concat([world.sources["volunteers"], self.leaving],
                                   ignore_index=True).fillna("")
            world = read_world(volunteers, world.sources["elders"],
                               world.sources.get("relations"), world.sources.get("pairs"),
                               rules=world.rules, streets=world.distances.streets,
                               distance=world.distances.rules)
        known = set(world.volunteers.volunteer_id)
        base = self.baseline[self.baseline[VOLUNTEER_ID].isin(known)]
        assigned = set(base[ELDER_ID])
        unassigned = pd.DataFrame({ELDER_ID: [e for e in world.elders.elder_id
                                                if e not in assigned]})
        unassigned["reason"] = "no volunteer in the earlier plan"
        return Run(world=world, assignments=base.reset_index(drop=True),
                   unassigned=unassigned, info={"command": "baseline"})


def load_run(folder: str | Path) -> Run:
    """Read an output folder of ``pair``, ``schedule``, ``replan`` or ``run``.

    Raises
    ------
    InputError
        If the folder has no ``assignments.csv`` or no ``inputs/`` to read the world from.
    """
    folder = Path(folder)
    name = folder.name or str(folder)
    if not (folder / "assignments.csv").is_file():
        raise InputError.one(name, "input.not_a_plan_folder")
    inputs = folder / "inputs"
    if not (inputs / "volunteers.csv").is_file() or not (inputs / "elders.csv").is_file():
        raise InputError.one(name, "input.no_kept_inputs")
    rules, schedule_rules = _rules(folder)
    # a run walked on streets keeps every pair within reach in pairs.csv, with its figures
    pairs = _optional(folder / "pairs.csv") or _optional(inputs / "pairs.csv")
    world = read_world(inputs / "volunteers.csv", inputs / "elders.csv",
                       _optional(inputs / "relations.csv"), pairs, rules=rules)
    world = dataclasses.replace(world, distances=_distances(folder))
    run = Run(world=world, assignments=typed(read_table(folder / "assignments.csv")),
              unassigned=typed(_read(folder / "unassigned.csv")) if
              (folder / "unassigned.csv").is_file() else pd.DataFrame(
                  {ELDER_ID: pd.Series(dtype=str), "reason": pd.Series(dtype=str)}),
              folder=folder, schedule_rules=schedule_rules)
    for attribute, file in (("schedule", "schedule.csv"), ("unmet", "unmet.csv"),
                            ("backups", "backups.csv"), ("credits", "credits.csv"),
                            ("changes", "changes.csv"), ("baseline", "baseline/assignments.csv"),
                            ("leaving", "inputs/leaving.csv")):
        if (folder / file).is_file():
            setattr(run, attribute, typed(_read(folder / file), attribute))
    for file, key in (("run.json", None), ("summary.json", None), ("schedule.json", "schedule")):
        path = folder / file
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if file == "run.json":
                run.info = data
            elif key is None:
                run.summary.update(data)
            else:
                run.summary[key] = data
                run.info.setdefault("start", data.get("start"))
                run.info.setdefault("weeks", data.get("weeks"))
    return run


def _optional(path: Path) -> Path | None:
    return path if path.is_file() else None


def _read(path: Path) -> pd.DataFrame:
    """A table as text cells, with a clean index (empty files give an empty table)."""
    try:
        return read_table(path).reset_index(drop=True)
    except InputError:
        return pd.DataFrame()


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), "").astype(str).reset_index(drop=True)


def _distances(folder: Path) -> Distances:
    """The distances a run was made with, as its ``run.json`` records them: the rules, the
    kind its ``pairs.csv`` figures are of, and the streets when the extract is still where
    it was (its cached graph is read: a new elder's walks can then be found too)."""
    try:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))["distance"]
        rules = DistanceRules(detour_factor=float(record["detour_factor"]),
                              snap_km=float(record["snap_km"]))
        kind = str(record["kind"])
    except (OSError, ValueError, KeyError, TypeError, RuleError):
        return Distances()
    recorded = Distances(rules, recorded=kind if kind in KINDS else None)
    extract = Path(str(record.get("streets", "")))
    if kind != WALKED or not record.get("streets") or not extract.is_file():
        return recorded
    try:
        return Distances(rules, load_streets(extract), extract)
    except (MissingExtra, RuntimeError, OSError):
        return recorded


def _rules(folder: Path) -> tuple[Rules, ScheduleRules]:
    """The pairing and schedule rules of a scenario run (``scenario.toml``), else the
    defaults."""
    path = folder / "scenario.toml"
    if not path.is_file():
        return Rules(), ScheduleRules()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    section = "rules"
    try:
        known = {f.name for f in dataclasses.fields(Rules)}
        rules = Rules(**{k: v for k, v in data.get("rules", {}).items() if k in known})
        section = "schedule"
        known = {f.name for f in dataclasses.fields(ScheduleRules)} - {"festivals"}
        schedule = data.get("schedule", {})
        srules = ScheduleRules(**{k: v for k, v in schedule.items() if k in known})
        if "festivals" in schedule:
            srules = srules.replace(festivals=tuple(
                (f["name"], f.get("name_zh", f["name"]), f["month"], f["day"])
                for f in schedule["festivals"]))
    except RuleError as exc:
        raise InputError.one(path.name, "scenario.setting", key=f"key {section}.{exc.field}",
                             what=exc.part()) from None
    return rules, srules
