"""Side-by-side figures of several plan folders, for planners weighing scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from matching.rules.errors import InputError


def _csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def plan_figures(folder: str | Path) -> dict[str, object]:
    """The figures a planner weighs, from one output folder."""
    folder = Path(folder)
    a, u = _csv(folder / "assignments.csv"), _csv(folder / "unassigned.csv")
    if a is None or u is None:
        raise InputError.one(folder.name, "input.not_a_plan_folder_compare")
    run = json.loads((folder / "run.json").read_text()) if (folder / "run.json").is_file() \
        else {}
    out: dict[str, object] = {"plan": run.get("scenario", folder.name),
                              "status": run.get("status", "")}
    prio = pd.concat([pd.to_numeric(a.get("priority", pd.Series(dtype=str)), errors="coerce"),
                      pd.to_numeric(u.get("priority", pd.Series(dtype=str)), errors="coerce")])
    served = pd.Series([True] * len(a) + [False] * len(u), index=prio.index)
    out["elders"] = len(a) + len(u)
    out["assigned"] = len(a)
    for tier in sorted(prio.dropna().unique(), reverse=True):
        mask = prio == tier
        out[f"coverage priority {int(tier)}"] = f"{served[mask].mean():.1%}"
    out["unassigned"] = len(u)
    km = pd.to_numeric(a["distance_km"], errors="coerce")
    out["mean distance km"] = round(float(km.mean()), 3) if len(a) else 0.0
    out["max distance km"] = round(float(km.max()), 3) if len(a) else 0.0
    out["kin pairs"] = int((a["tie"] == "kin").sum())
    out["familiar pairs"] = int((a["tie"] == "familiar").sum())
    minutes = pd.to_numeric(a["weekly_minutes"], errors="coerce").groupby(a["volunteer_id"]).sum()
    vols = _csv(folder / "inputs" / "volunteers.csv")
    if vols is not None:
        minutes = minutes.reindex(vols["volunteer_id"], fill_value=0.0)
    out["volunteers"] = len(minutes)
    out["load mean min/week"] = round(float(minutes.mean()), 1) if len(minutes) else 0.0
    out["load max min/week"] = round(float(minutes.max()), 1) if len(minutes) else 0.0
    square = float((minutes**2).sum())
    out["load fairness (Jain)"] = round(float(minutes.sum()) ** 2 / (len(minutes) * square), 3) \
        if square else 1.0
    unmet = _csv(folder / "unmet.csv")
    out["unmet obligations"] = len(unmet) if unmet is not None else "-"
    credits = _csv(folder / "credits.csv")
    out["planned credit hours"] = round(float(pd.to_numeric(credits["hours"]).sum()), 1) \
        if credits is not None else "-"
    changes = _csv(folder / "changes.csv")
    out["pairs changed"] = len(changes) if changes is not None else "-"
    return out


def compare(folders: list[str | Path]) -> pd.DataFrame:
    """One column per folder, one row per figure."""
    table = pd.DataFrame([plan_figures(f) for f in folders]).set_index("plan").T
    return table.fillna("-")


def format_table(table: pd.DataFrame) -> str:
    """Fixed-width text."""
    width = max(len(str(i)) for i in table.index) + 2
    cols = [max(12, len(str(c)) + 2) for c in table.columns]
    head = " " * width + "".join(f"{c!s:>{w}}" for c, w in zip(table.columns, cols,
                                                                  strict=True))
    lines = [head, "-" * len(head)]
    for name, row in table.iterrows():
        lines.append(f"{name!s:<{width}}" + "".join(f"{v!s:>{w}}" for v, w in
                                                     zip(row, cols, strict=True)))
    return "\n".join(lines)
