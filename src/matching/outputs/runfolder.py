"""A run's folder, assembled in one place: what each stage adds, written whole or not at
all (:func:`matching.outputs.write.write_outputs`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matching.outputs.pairs import pairs_table
from matching.outputs.write import (
    ASSIGNMENT_COLUMNS,
    input_tables,
    schedule_files,
    versions,
    write_key,
    write_outputs,
)
from matching.pairing.replan import ReplanResult
from matching.pairing.result import PairingResult
from matching.rules.ids import ELDER_ID, VOLUNTEER_ID
from matching.schedule import ScheduleResult
from matching.world.model import World


@dataclass
class RunFolder:
    """What one run writes, gathered stage by stage and written whole at the end
    (:func:`matching.outputs.write.write_outputs`: the previous folder, or this one, never
    a mix). Every run folder is assembled here: by the commands, by a scenario run, and by
    scripts (:meth:`for_pairing`, :meth:`for_schedule`)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str | bytes] = field(default_factory=dict)

    @classmethod
    def for_pairing(cls, result: PairingResult,
                    figures: Mapping[str, object] | None = None) -> RunFolder:
        """A pairing's folder: ``assignments.csv``, ``unassigned.csv`` and ``summary.json``
        (its figures, and ``figures``)."""
        folder = cls()
        folder.add_pairing(result)
        folder.add_summary({**result.figures(), **(figures or {})})
        return folder

    @classmethod
    def for_schedule(cls, result: ScheduleResult, lang: str = "zh",
                     pseudonymise: bool = False, contact: str = "") -> RunFolder:
        """A schedule's folder (see :meth:`add_schedule`)."""
        folder = cls()
        folder.add_schedule(result, lang, pseudonymise, contact=contact)
        return folder

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

    def add_pairs(self, world: World, assignments: pd.DataFrame | None = None,
                  service_km: float | None = None) -> None:
        """``pairs.csv`` when the world's distances are walked or estimated: every pair
        within reach in a straight line, with the figures the plan used
        (:func:`~matching.outputs.pairs.pairs_table`); with ``assignments`` and
        ``service_km``, the monthly services' pairs too."""
        primary = None
        if assignments is not None and service_km is not None:
            primary = np.full(len(world.elders), -1, dtype=np.int64)
            rows_e = world.elders.rows(assignments[ELDER_ID].astype(str).to_numpy())
            rows_v = world.volunteers.rows(assignments[VOLUNTEER_ID].astype(str).to_numpy())
            known = (rows_e >= 0) & (rows_v >= 0)
            primary[rows_e[known]] = rows_v[known]
        table = pairs_table(world, primary, service_km)
        if table is not None:
            self.tables["pairs.csv"] = table

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
