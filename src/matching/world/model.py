"""The world a plan is made for: the volunteers, the elders, the relations between them and
any measured pairs, validated and with the contract's defaults filled in."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from matching.rules.pairing import Rules
from matching.world.tables import Elders, Pairs, Relations, Volunteers

_WithVolunteer = TypeVar("_WithVolunteer", Volunteers, Relations, Pairs)


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
    """

    volunteers: Volunteers
    elders: Elders
    relations: Relations
    pairs: Pairs | None
    rules: Rules
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


def without_volunteers(world: World, gone: set[str]) -> World:
    """The world without some volunteers, and without their relations and measured pairs."""
    def keep(table: _WithVolunteer) -> _WithVolunteer:
        return table.take(np.array([v not in gone for v in table.volunteer_id], dtype=bool))

    return dataclasses.replace(
        world, volunteers=keep(world.volunteers), relations=keep(world.relations),
        pairs=None if world.pairs is None else keep(world.pairs))
