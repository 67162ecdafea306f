"""Runs side by side, for planners weighing scenarios: one row of numbers per run."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from matching.analysis.metrics import load_summary
from matching.outputs.folder import Run, typed
from matching.rules.errors import InputError
from matching.world.columns import VOLUNTEER_ID


def _csv(path: Path, table: str = "") -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return typed(pd.read_csv(path, dtype=str, keep_default_na=False), table)


def plan_figures(folder: str | Path) -> dict[str, float | str]:
    """The figures a planner weighs, from one run's folder: ``scenario`` (its scenario's
    name, or empty) and numbers (shares as fractions 0-1; ``NaN`` where the run has no such
    thing, such as unmet obligations without a schedule)."""
    folder = Path(folder)
    a, u = _csv(folder / "assignments.csv"), _csv(folder / "unassigned.csv")
    if a is None or u is None:
        raise InputError.one(folder.name, "input.not_a_plan_folder_compare")
    info = json.loads((folder / "run.json").read_text(encoding="utf-8")) \
        if (folder / "run.json").is_file() else {}
    out: dict[str, float | str] = {"scenario": str(info.get("scenario") or "")}
    priority = pd.concat([a.get("priority", pd.Series(dtype="Int64")),
                          u.get("priority", pd.Series(dtype="Int64"))], ignore_index=True)
    served = pd.Series([True] * len(a) + [False] * len(u))
    out["elders"] = float(len(a) + len(u))
    out["assigned"] = float(len(a))
    out["unassigned"] = float(len(u))
    out["coverage"] = float(served.mean()) if len(served) else np.nan
    for tier in sorted(priority.dropna().unique(), reverse=True):
        out[f"coverage_priority_{int(tier)}"] = float(served[priority == tier].mean())
    km = a["distance_km"] if len(a) else pd.Series(dtype=float)
    out["mean_distance_km"] = float(km.mean()) if len(km) else np.nan
    out["max_distance_km"] = float(km.max()) if len(km) else np.nan
    out["kin_pairs"] = float((a["tie"] == "kin").sum()) if len(a) else 0.0
    out["familiar_pairs"] = float((a["tie"] == "familiar").sum()) if len(a) else 0.0
    minutes = a["weekly_minutes"].groupby(a[VOLUNTEER_ID]).sum() if len(a) else \
        pd.Series(dtype=float)
    volunteers = _csv(folder / "inputs" / "volunteers.csv")
    if volunteers is not None:
        minutes = minutes.reindex(volunteers[VOLUNTEER_ID], fill_value=0.0)
    load = load_summary(minutes.to_numpy(float))
    out["volunteers"] = float(len(minutes))
    out["serving_volunteers"] = float(load["serving"])
    out["idle_volunteers"] = float(load["idle"])
    out["load_mean_minutes"] = load["mean"]
    out["load_max_minutes"] = load["max"]
    out["load_gini"] = load["gini"]
    out["load_jain"] = load["jain"]
    unmet = _csv(folder / "unmet.csv")
    out["unmet"] = float(len(unmet)) if unmet is not None else np.nan
    credits = _csv(folder / "credits.csv", "credits")
    out["credit_hours"] = float(credits["hours"].sum()) if credits is not None else np.nan
    changes = _csv(folder / "changes.csv")
    out["pairs_changed"] = float(len(changes)) if changes is not None else np.nan
    return out


#: The figures that count something: whole numbers (missing where the run has no such
#: thing); the others are shares, distances and minutes.
COUNTS = ("elders", "assigned", "unassigned", "kin_pairs", "familiar_pairs", "volunteers",
          "serving_volunteers", "idle_volunteers", "unmet", "pairs_changed")


def compare(runs: Iterable[str | Path | Run]) -> pd.DataFrame:
    """One row per run (its folder, or a :class:`~matching.outputs.folder.Run` read from
    one), indexed by the folder (its name, or as much of its path as tells it apart from the
    others: two runs of one scenario stay two rows): the scenario's name, then elders,
    assigned, unassigned, coverage and coverage by priority tier (fractions), mean and
    longest distance (km), kin and familiar pairs, volunteers, their weekly minutes (mean,
    most, Jain's index), unmet obligations, planned credit hours and pairs changed. Counts
    are whole numbers (:data:`COUNTS`, ``<NA>`` where the run has no such thing)."""
    rows, folders = [], []
    for run in runs:
        folder = run.folder if isinstance(run, Run) else Path(run)
        if folder is None:
            raise ValueError("a run in memory has no folder to compare: write it first")
        rows.append(plan_figures(folder))
        folders.append(folder)
    table = pd.DataFrame(rows, index=pd.Index(folder_labels(folders), name="run"))
    numbers = [c for c in table.columns if c != "scenario"]
    table[numbers] = table[numbers].astype(float)
    for column in COUNTS:
        if column in table.columns:
            table[column] = table[column].round().astype("Int64")
    return table


def folder_labels(folders: list[Path]) -> list[str]:
    """Each folder's shortest ending of its path that no other folder shares (``out/minle``
    and ``old/minle`` for two folders named ``minle``; the whole path if it takes that)."""
    parts = [Path(f).absolute().parts for f in folders]
    labels = []
    for mine in parts:
        for length in range(1, len(mine) + 1):
            ending = mine[-length:]
            if sum(1 for other in parts if other[-length:] == ending) == 1 \
                    or length == len(mine):
                labels.append("/".join(ending).replace("//", "/"))
                break
    return labels


#: How the command line shows each figure: as a percentage, or with these decimals.
_SHOWN = {"coverage": "share", "load_jain": 2, "load_gini": 2, "mean_distance_km": 1,
          "max_distance_km": 1, "load_mean_minutes": 0, "load_max_minutes": 0, "credit_hours": 1}


def format_table(table: pd.DataFrame) -> str:
    """Runs side by side as fixed-width text: one column per run, one row per figure."""
    def shown(column: str, value: float) -> str:
        if value != value:
            return "-"
        how = _SHOWN.get(column, "share" if column.startswith("coverage") else 0)
        if how == "share":
            return f"{value:.1%}"
        return f"{value:,.{how}f}"

    columns = [str(c) for c in table.index]
    width = max(len(str(c)) for c in table.columns) + 2
    cells = [max(12, len(c) + 2, *(len(str(v)) + 2 for v in table.get("scenario", [])))
             for c in columns]
    head = " " * width + "".join(f"{c:>{w}}" for c, w in zip(columns, cells, strict=True))
    lines = [head, "-" * len(head)]
    for figure in table.columns:
        if figure == "scenario":
            lines.append(f"{figure:<{width}}" + "".join(
                f"{v!s:>{w}}" for v, w in zip(table[figure], cells, strict=True)))
            continue
        lines.append(f"{figure:<{width}}" + "".join(
            f"{shown(figure, float(v) if not pd.isna(v) else float('nan')):>{w}}"
            for v, w in zip(table[figure], cells, strict=True)))
    return "\n".join(lines)
