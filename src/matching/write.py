"""Write output files whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from matching.schedule.result import CONTRACT_COLUMNS

if TYPE_CHECKING:
    from matching.read import World
    from matching.result import PairingResult
    from matching.schedule import ScheduleResult


def write_outputs(out_dir: str | Path, tables: Mapping[str, pd.DataFrame],
                  texts: Mapping[str, str | bytes] | None = None) -> list[Path]:
    """Write CSV tables (UTF-8) and text (or bytes) files into ``out_dir``.

    Everything is first written to a temporary folder beside ``out_dir`` and only then moved
    into place, so an error part-way leaves no half-written output behind.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    written: list[Path] = []
    try:
        for name, frame in tables.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
        for name, text in (texts or {}).items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(text, encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            final = out / path.relative_to(tmp)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
            written.append(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def versions() -> dict[str, str]:
    """The versions of matching and the libraries that decide a plan."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("matching", "ortools", "scipy", "pandas", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "unknown"
    return out


def run_json(command: str, **fields: object) -> str:
    """``run.json``: what ran, with which settings, and the versions, so that anyone can
    repeat it (``matching.load_run`` reads it back)."""
    info = {"command": command, **fields, "versions": versions()}
    return json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n"


def input_tables(world: World, leaving: set[str] | frozenset[str] = frozenset(),
                 relations: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """``inputs/*.csv``: the tables a plan was made for, as read (text cells), without the
    volunteers who left, whose rows go to ``inputs/leaving.csv``. ``relations`` replaces the
    relations table when the plan used more (acquaintances from an earlier schedule)."""
    tables = dict(world.sources)
    if relations is not None:
        tables["relations"] = relations
    out = {}
    for name, table in tables.items():
        if "volunteer_id" in table.columns and leaving:
            staying = ~table["volunteer_id"].astype(str).isin(leaving)
            if name == "volunteers":
                out["inputs/leaving.csv"] = table[~staying]
            table = table[staying]
        out[f"inputs/{name}.csv"] = table
    return out


ASSIGNMENT_COLUMNS = ["elder_id", "volunteer_id", "distance_km", "weekly_minutes", "tie"]


def write_pairing(result: PairingResult, out_dir: str | Path,
                  extra_figures: Mapping[str, object] | None = None,
                  tables: Mapping[str, pd.DataFrame] | None = None,
                  texts: Mapping[str, str | bytes] | None = None) -> list[Path]:
    """Write ``assignments.csv``, ``unassigned.csv`` and ``summary.json`` for a pairing (and
    any further ``tables`` and ``texts``, such as ``inputs/`` and ``run.json``).

    The contract's columns come first, then the extras (priority, cost_km, names).
    """
    assignments = result.assignments
    extra = [c for c in assignments.columns if c not in ASSIGNMENT_COLUMNS]
    figures = result.figures()
    figures.update(extra_figures or {})
    return write_outputs(out_dir, {
        "assignments.csv": assignments[ASSIGNMENT_COLUMNS + extra],
        "unassigned.csv": result.unassigned, **(tables or {}),
    }, {"summary.json": json.dumps(figures, indent=2, ensure_ascii=False) + "\n",
        **(texts or {})})




def write_schedule(result: ScheduleResult, out_dir: str | Path, lang: str = "zh",
                   extra_figures: Mapping[str, object] | None = None,
                   tables: Mapping[str, pd.DataFrame] | None = None,
                   texts: Mapping[str, str | bytes] | None = None) -> list[Path]:
    """Write ``schedule.csv``, ``unmet.csv``, ``backups.csv``, ``credits.csv``, ``rota.html``,
    ``ical/VOLUNTEER.ics`` and ``schedule.json`` (and any further ``tables`` and ``texts``),
    whole or not at all."""
    own, files = schedule_files(result, lang, extra_figures)
    return write_outputs(out_dir, {**own, **(tables or {})}, {**files, **(texts or {})})


def schedule_files(result: ScheduleResult, lang: str = "zh",
                   extra_figures: Mapping[str, object] | None = None
                   ) -> tuple[dict[str, pd.DataFrame], dict[str, str | bytes]]:
    """The tables and files of a schedule's output folder (see :func:`write_schedule`)."""
    from matching import rota

    schedule = result.schedule
    extra = [c for c in schedule.columns if c not in CONTRACT_COLUMNS]
    credits = result.credits()
    contacts = result.contacts
    files: dict[str, str | bytes] = {
        f"ical/{name}": data
        for name, data in rota.icalendars(schedule, lang, contacts).items()}
    files["rota.html"] = rota.html_rota(schedule, credits, lang, contacts)
    figures = {"start": result.start.isoformat(), "weeks": result.weeks, **result.stats,
               **(extra_figures or {})}
    files["schedule.json"] = json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    return {
        "assignments.csv": result.assignments,
        "schedule.csv": schedule[CONTRACT_COLUMNS + extra],
        "unmet.csv": result.unmet,
        "backups.csv": result.backups,
        "credits.csv": credits,
    }, files
