"""How far apart two people are: the rules of distance, in one place.

A distance is walked on a street network when the plan has one (an OpenStreetMap extract,
:mod:`matching.world.streets`); without one it is the straight line (great-circle) times
:attr:`DistanceRules.detour_factor`. The contract's default is the straight line itself
(factor 1), so a plain ``matching pair`` measures what an outside checker measures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from matching.rules.errors import RuleError, check_numbers_at_least_zero

#: The OpenStreetMap ``highway`` values people walk on: footways and paths, steps and
#: crossings, residential and service roads, tracks and the ordinary roads of a town (which in
#: China have pavements or verges). Not motorways or expressways (``motorway``, ``trunk`` and
#: their links), nor roads being built. A bridge or a level crossing is one of these ways with
#: ``bridge`` or ``railway`` tags, so it is walked like any other.
WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "crossing", "living_street", "residential",
    "service", "track", "unclassified", "road", "tertiary", "tertiary_link", "secondary",
    "secondary_link", "primary", "primary_link", "cycleway", "bridleway", "corridor",
})

#: Tags that close a way to people on foot (``foot=no``), unless ``foot`` opens it again.
CLOSED_ACCESS = frozenset({"no", "private"})

#: A pair's walk is searched up to its distance limit plus this many km, so that most pairs
#: the walk puts out of reach are written with their real figure (a river's detour of 3 km
#: between homes 300 m apart, say); a walk longer still is written as ``inf``.
WALK_SEARCH_MARGIN_KM = 2.0


@dataclass(frozen=True)
class DistanceRules:
    """The rules of distance (a scenario's ``[distance]`` section).

    Attributes
    ----------
    detour_factor
        Without a street network, a walk is estimated as the straight line times this
        (1 = the straight line, the contract's default; 1.2 to 1.4 is usual in towns).
        Outputs then say the distance is estimated.
    snap_km
        A person whose home is farther than this from every walkable street is reported
        (file, row and distance): their coordinates are probably wrong, or the extract does
        not cover them. Their walks start with that straight stretch.
    """

    detour_factor: float = 1.0
    snap_km: float = 0.5

    def __post_init__(self) -> None:
        check_numbers_at_least_zero(self)
        if self.detour_factor < 1:
            raise RuleError("detour_factor", "rule.detour_at_least_one",
                            value=self.detour_factor)

    def replace(self, **changes: Any) -> DistanceRules:
        """Return a copy with some rules changed."""
        return dataclasses.replace(self, **changes)
