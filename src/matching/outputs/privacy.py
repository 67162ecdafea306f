"""Pseudonymised outputs: plans that can be shared with analysts.

With ``--pseudonymise`` every output (tables, the rota page, the calendars, the report)
carries a stable pseudonym in place of each person's name, phone and address, and
coordinates rounded to about 100 m. Ids are kept: they are what joins the tables, and
they are the office's own numbers, not the person's (the doctor warns when an id looks
like a phone or an identity-card number). A key file, written apart from the outputs,
maps every pseudonym back to the person.

Planning always uses the true data; only what is written is changed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from matching.world.columns import ALIASES, ELDER_ID, VOLUNTEER_ID
from matching.world.model import World
from matching.world.tables import Elders, Volunteers

if TYPE_CHECKING:
    from matching.outputs.folder import Run

#: Decimal places coordinates are rounded to: 0.001 degree is 111 m of latitude and 91 m
#: of longitude at 35 N.
COORD_DECIMALS = 3

#: Columns holding a person's name, and the id column of the person they name (``None``:
#: the table's own subject, see :func:`_subject`).
NAME_COLUMNS: dict[str, str | None] = {"name": None, "elder_name": ELDER_ID,
                                       "volunteer_name": VOLUNTEER_ID}
#: Columns holding contact details of the table's subject.
CONTACT_COLUMNS = ("phone", "address")
COORD_COLUMNS = ("lat", "lon")

#: How a pseudonym reads: the kind of person, then their id.
LABELS = {ELDER_ID: "elder", VOLUNTEER_ID: "volunteer"}



def pseudonym(kind: str, person_id: str, what: str = "name") -> str:
    """The stable pseudonym of one person's ``what`` (name, phone or address)."""
    label = LABELS.get(kind, "person")
    return f"{label} {person_id}" if what == "name" else f"{what} of {label} {person_id}"


def _subject(columns: Iterable[str]) -> str | None:
    """Whose row it is: the elder's where there is an elder id, else the volunteer's."""
    columns = set(columns)
    if ELDER_ID in columns:
        return ELDER_ID
    if VOLUNTEER_ID in columns:
        return VOLUNTEER_ID
    return None


def pseudonymise_frame(frame: pd.DataFrame, input_table: bool = False) -> pd.DataFrame:
    """One table with names, phones and addresses replaced and coordinates rounded. Blank
    cells stay blank.

    ``input_table`` marks a copy of an office's file (``inputs/``): its columns outside the
    contract (identity numbers, next of kin, notes) are left out, since only the office
    knows what they hold.
    """
    subject = _subject(frame.columns)
    keep = [c for c in frame.columns if not input_table or c in ALIASES]
    out = frame[keep].copy()
    for column in out.columns:
        owner = (NAME_COLUMNS[column] or subject) if column in NAME_COLUMNS else (
            subject if column in CONTACT_COLUMNS else None)
        if column == "birthday":
            out[column] = out[column].astype(str).str[-5:]  # the day, not the year of birth
        elif column in COORD_COLUMNS:
            out[column] = _round(out[column])
        elif owner is not None and owner in out.columns and (
                column in NAME_COLUMNS or column in CONTACT_COLUMNS):
            what = "name" if column in NAME_COLUMNS else column
            ids = out[owner].astype(str).to_numpy(dtype=object)
            given = out[column].astype(str).to_numpy(dtype=object) != ""
            out[column] = [pseudonym(owner, i, what) if g else ""
                           for i, g in zip(ids, given, strict=True)]
        elif column in NAME_COLUMNS or column in CONTACT_COLUMNS:
            out[column] = ""  # no id to hang a pseudonym on: leave nothing
    return out


def _round(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float).round(COORD_DECIMALS)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return pd.Series([("" if np.isnan(x) else f"{x:.{COORD_DECIMALS}f}") for x in numbers],
                     index=values.index, dtype=object)


def pseudonymise_world(world: World) -> World:
    """The world with every table pseudonymised (for reports built from it)."""
    return dataclasses.replace(
        world, volunteers=Volunteers.of(pseudonymise_frame(world.volunteers.frame())),
        elders=Elders.of(pseudonymise_frame(world.elders.frame())),
        sources={k: pseudonymise_frame(v, input_table=True) for k, v in world.sources.items()})


def pseudonymise_run(run: Run) -> Run:
    """A loaded plan folder with every table and its world pseudonymised (for a report)."""
    changes: dict[str, Any] = {"world": pseudonymise_world(run.world)}
    for f in dataclasses.fields(run):
        value = getattr(run, f.name)
        if isinstance(value, pd.DataFrame):
            changes[f.name] = pseudonymise_frame(value)
    return dataclasses.replace(run, **changes)


def key_table(world: World) -> pd.DataFrame:
    """The key: each person's pseudonym beside their true name, phone, address and
    coordinates (as read). Kept apart from the outputs."""
    parts = []
    for id_column, key in ((VOLUNTEER_ID, "volunteers"), (ELDER_ID, "elders")):
        people: Volunteers | Elders = world.volunteers if key == "volunteers" else world.elders
        frame = world.sources[key] if key in world.sources else people.frame()
        ids = frame[id_column].astype(str)
        part = pd.DataFrame({"kind": LABELS[id_column], "id": ids,
                             "pseudonym": [pseudonym(id_column, i) for i in ids]})
        for column in ("name", "phone", "address", "lat", "lon"):
            part[column] = frame[column].to_numpy() if column in frame.columns else ""
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def key_path(out: Path) -> Path:
    """Where the key of the outputs in folder ``out`` goes by default: beside the folder,
    never inside it (``out/minle`` -> ``out/minle.key.csv``)."""
    out = Path(out).absolute()
    return out.parent / f"{out.name}.key.csv"


#: Ids that look like a mainland identity-card number or a mobile phone number.
PERSONAL_ID = re.compile(r"^(\d{17}[\dXx]|1[3-9]\d{9})$")
