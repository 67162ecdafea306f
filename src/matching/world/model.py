"""The world a plan is made for: the volunteers, the elders, the relations between them and
any measured pairs, validated and with the contract's defaults filled in."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from matching.rules.pairing import Rules
from matching.world.columns import VOLUNTEER_ID


@dataclass(frozen=True)
class World:
    """Validated inputs, with the contract's defaults filled in.

    Attributes
    ----------
    volunteers
        One row per volunteer, in file order: ``volunteer_id, name, gender, community, lat,
        lon, max_elders, weekly_minutes, day_mask, skills`` plus the file's other columns.
    elders
        One row per elder: ``elder_id, name, age, gender, community, lat, lon, birthday,
        lives_alone, low_income, priority, visit_minutes, needs, day_mask,
        gender_preference`` plus the file's other columns.
    relations
        ``volunteer_id, elder_id, relation`` without repeats.
    pairs
        Measured ``volunteer_id, elder_id, distance_km, weekly_minutes`` (NaN where the file
        left a figure blank), or ``None``.
    rules
        The rules and defaults the world was read with.
    names
        The file name each table came from, for messages.
    sources
        The tables as read (text cells, geocoded coordinates filled in): what an output
        folder keeps in ``inputs/`` so that it can be checked and repeated.
    """

    volunteers: pd.DataFrame
    elders: pd.DataFrame
    relations: pd.DataFrame
    pairs: pd.DataFrame | None
    rules: Rules
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


def without_volunteers(world: World, gone: set[str]) -> World:
    """The world without some volunteers, and without their relations and measured pairs."""
    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame[VOLUNTEER_ID].isin(gone)].reset_index(drop=True)

    return dataclasses.replace(
        world, volunteers=keep(world.volunteers), relations=keep(world.relations),
        pairs=None if world.pairs is None else keep(world.pairs))
