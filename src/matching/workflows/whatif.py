"""What-if edits of a scenario, made on the input tables as text before they are read:
volunteers who leave (by id, or a seeded share), extra volunteers, joining elders, changed
capacities and available days."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matching.rules.errors import InputError
from matching.workflows.scenario import Scenario, load_scenario
from matching.world.columns import VOLUNTEER_ID
from matching.world.model import World
from matching.world.parse import format_days, parse_days
from matching.world.read import read_table, read_world


@dataclass
class Tables:
    """The input tables as text cells, before and after the scenario's edits."""

    volunteers: pd.DataFrame
    elders: pd.DataFrame
    relations: pd.DataFrame | None
    pairs: pd.DataFrame | None
    leaving: list[str] = field(default_factory=list)


def read_tables(sc: Scenario) -> Tables:
    """Read the scenario's input files as text tables."""
    relations, pairs = sc.inputs.get("relations"), sc.inputs.get("pairs")
    return Tables(read_table(sc.inputs["volunteers"]), read_table(sc.inputs["elders"]),
                  read_table(relations) if relations else None,
                  read_table(pairs) if pairs else None)


def apply_whatif(sc: Scenario, t: Tables, paired: set[str] | None = None) -> Tables:
    """Apply the what-if edits; ``leaving`` is decided here (by id and by seeded share)."""
    w = sc.whatif
    vols, elds = t.volunteers.copy(), t.elders.copy()
    if "extra_volunteers" in w:
        vols = pd.concat([vols, read_table(w["extra_volunteers"])], ignore_index=True)
    if "joining_elders" in w:
        elds = pd.concat([elds, read_table(w["joining_elders"])], ignore_index=True)
    vols = vols.fillna("")
    elds = elds.fillna("")
    for change in w.get("capacity", []):
        _edit(vols, change, ("max_elders", "weekly_minutes"), sc.path.name, "capacity")
    for change in w.get("available_days", []):
        _edit(vols, change, ("available_days",), sc.path.name, "available_days")
    leaving = [str(v) for v in w.get("leaving", [])]
    share = float(w.get("leaving_share", 0.0))
    if share > 0:
        pool = sorted(paired if (paired and w.get("leaving_from", "paired") == "paired")
                      else set(vols[VOLUNTEER_ID]))
        rng = np.random.default_rng(int(w.get("leaving_seed", 0)))
        k = round(share * len(pool))
        leaving += [str(v) for v in rng.choice(pool, size=k, replace=False)]
    unknown = sorted(set(leaving) - set(vols[VOLUNTEER_ID]))
    if unknown:
        raise InputError.one(sc.path.name, "scenario.leaving_unknown", who=unknown)
    return Tables(vols, elds, t.relations, t.pairs, sorted(set(leaving)))


def _edit(frame: pd.DataFrame, change: dict[str, Any], columns: tuple[str, ...], file: str,
          key: str) -> None:
    if not isinstance(change, dict) or VOLUNTEER_ID not in change:
        raise InputError.one(file, "scenario.whatif_needs_volunteer", key=key)
    who = str(change[VOLUNTEER_ID])
    rows = frame.index if who == "*" else frame.index[frame[VOLUNTEER_ID] == who]
    if not len(rows):
        raise InputError.one(file, "scenario.whatif_no_volunteer", key=key, who=who)
    for column in columns:
        if column in change:
            if column not in frame.columns:
                frame[column] = ""
            frame.loc[rows, column] = str(change[column])
    if "remove_days" in change:  # e.g. winter: nobody visits on Sundays
        drop = parse_days(str(change["remove_days"]))
        if "available_days" not in frame.columns:
            frame["available_days"] = ""
        for row in rows:
            left = parse_days(frame.at[row, "available_days"]) & ~drop
            frame.at[row, "available_days"] = format_days(left) if left else \
                frame.at[row, "available_days"]


#: The scenario's what-if keys that a sweep replaces with its own leaving volunteers.
LEAVING_KEYS = ("leaving", "leaving_share", "leaving_seed", "leaving_from")


def scenario_world(sc: Scenario | str | Path) -> World:
    """The scenario's world (a :class:`Scenario` or its file) after its what-if edits,
    except who leaves (a sweep decides that): what ``matching sweep`` and ``matching
    project`` read, with the scenario's distances (walked on its streets, if it names
    some). A notebook asks it here to get the command's answers."""
    if not isinstance(sc, Scenario):
        sc = load_scenario(sc)
    kept = {k: v for k, v in sc.whatif.items() if k not in LEAVING_KEYS}
    edited = apply_whatif(dataclasses.replace(sc, whatif=kept), read_tables(sc))
    return read_world(edited.volunteers, edited.elders, edited.relations, edited.pairs,
                      rules=sc.rules, coords=sc.coords, streets=sc.streets,
                      distance=sc.distance)
