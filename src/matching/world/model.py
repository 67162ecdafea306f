"""The world a plan is made for: the volunteers, the elders, the relations between them and
any measured pairs, validated and with the contract's defaults filled in."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from matching.rules.errors import InputIssue
from matching.rules.pairing import Rules
from matching.world.distances import Distances
from matching.world.tables import Elders, Pairs, Relations, Volunteers

_WithVolunteer = TypeVar("_WithVolunteer", Volunteers, Relations, Pairs)
_WithElder = TypeVar("_WithElder", Elders, Relations, Pairs)


@dataclass(frozen=True)
class World:
    """Validated inputs, with the contract's defaults filled in.

    Attributes
    ----------
    volunteers
        One row per volunteer, in file order, typed (:class:`~matching.world.tables.Volunteers`),
        plus the file's other columns as text.
    elders
        One row per elder, in file order (:class:`~matching.world.tables.Elders`).
    relations
        Kin, familiar and refusals, without repeats (:class:`~matching.world.tables.Relations`).
    pairs
        Measured pairs (:class:`~matching.world.tables.Pairs`), or ``None``.
    rules
        The rules and defaults the world was read with.
    names
        The file name each table came from, for messages.
    sources
        The tables as read (text cells, geocoded coordinates filled in): what an output
        folder keeps in ``inputs/`` so that it can be checked and repeated.
    distances
        How far apart two homes are (:class:`~matching.world.distances.Distances`): the
        straight line, an estimate, or a walk on the streets. Every stage asks it there.
    notices
        What reading let pass but a planner should hear (relations naming someone the
        rosters do not have, skipped), for the commands to say as warnings.
    """

    volunteers: Volunteers
    elders: Elders
    relations: Relations
    pairs: Pairs | None
    rules: Rules
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    distances: Distances = field(default_factory=Distances, repr=False)
    notices: tuple[InputIssue, ...] = ()


def without_volunteers(world: World, gone: set[str]) -> World:
    """The world without some volunteers, and without their relations and measured pairs."""
    def keep(table: _WithVolunteer) -> _WithVolunteer:
        return table.take(np.array([v not in gone for v in table.volunteer_id], dtype=bool))

    return dataclasses.replace(
        world, volunteers=keep(world.volunteers), relations=keep(world.relations),
        pairs=None if world.pairs is None else keep(world.pairs))


def only_elders(world: World, kept: set[str]) -> World:
    """The world with only some elders, and only their relations and measured pairs."""
    def keep(table: _WithElder) -> _WithElder:
        return table.take(np.array([e in kept for e in table.elder_id], dtype=bool))

    return dataclasses.replace(
        world, elders=keep(world.elders), relations=keep(world.relations),
        pairs=None if world.pairs is None else keep(world.pairs))


def far_from_streets(world: World) -> list[InputIssue]:
    """Everyone whose home is farther than ``snap_km`` from every street of the world's
    network, as notices naming the file, the row and the distance (an empty list without
    a network). Their walks still count the straight stretch to the street."""
    notices: list[InputIssue] = []
    for key, table in (("volunteers", world.volunteers), ("elders", world.elders)):
        far, km = world.distances.far_from_streets(table.lat, table.lon)
        source = world.sources.get(key)
        rows = source.index.to_numpy() if source is not None and len(source) == len(table) \
            else np.arange(len(table)) + 2
        for i, d in zip(far.tolist(), km.tolist(), strict=True):
            # no coordinates in the notice: it goes to logs, and homes stay out of them
            notices.append(InputIssue(world.names.get(key, f"{key}.csv"),
                                      "input.far_from_streets", int(rows[i]), "lat, lon",
                                      km=round(d, 3), most=world.distances.rules.snap_km))
    return notices


def street_figures(world: World) -> dict[str, Any]:
    """What a run's summary says of its distances: the kind, and who lives far from every
    street (file, row, km, and the sentence)."""
    return {"kind": world.distances.kind,
            "far_from_streets": [{**notice_figures([n])[0], "km": n.params["km"]}
                                 for n in far_from_streets(world)]}


def notice_figures(notices: Sequence[InputIssue]) -> list[dict[str, Any]]:
    """Notices as a summary keeps them: file, row, code and the sentence (in English)."""
    return [{"file": n.file, "row": n.row, "code": n.code, "text": n.text()}
            for n in notices]
