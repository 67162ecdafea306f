"""Where an address is, from the addresses a programme already knows.

A coordinator adding an elder types an address, not latitude and longitude. The elders
already in the programme give the places: the same address (compared after NFKC folding,
without spaces) is at the same point; an address in a building the programme knows
(``民乐社区5号楼3单元`` when ``民乐社区5号楼1单元`` is known) is at the middle of that
building's known homes. Anything else is not guessed: the coordinator clicks the map.
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

#: A unit, room or floor at the end of an address: taken off to find the building.
_WITHIN_BUILDING = re.compile(r"(\d+\s*(单元|室|层|楼层|户)|[-—]\d+)$")


def address_key(address: str) -> str:
    """An address as compared: NFKC-folded, without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(address)))


def building_of(address: str) -> str:
    """The building part of an address (``民乐社区5号楼1单元`` -> ``民乐社区5号楼``); the
    address itself when it names no unit, room or floor."""
    key, previous = address_key(address), None
    while key != previous:
        previous, key = key, _WITHIN_BUILDING.sub("", key)
    return key


class KnownPlaces:
    """The places of a table's addresses (``address``, ``lat``, ``lon`` columns)."""

    def __init__(self, people: pd.DataFrame) -> None:
        self.exact: dict[str, tuple[float, float]] = {}
        buildings: dict[str, list[tuple[float, float]]] = {}
        if not {"address", "lat", "lon"} <= set(people.columns):
            self.buildings: dict[str, tuple[float, float]] = {}
            return
        for address, lat, lon in zip(people["address"], people["lat"], people["lon"],
                                     strict=True):
            point = (_number(lat), _number(lon))
            if not str(address).strip() or not all(math.isfinite(x) for x in point):
                continue
            self.exact.setdefault(address_key(address), point)
            buildings.setdefault(building_of(address), []).append(point)
        self.buildings = {b: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps))
                          for b, ps in buildings.items()}

    def find(self, address: str) -> tuple[float, float] | None:
        """The point of ``address``: the same address's, else its building's middle, else
        ``None``."""
        if not str(address).strip():
            return None
        found = self.exact.get(address_key(address))
        if found is None:
            found = self.buildings.get(building_of(address))
        return None if found is None else (round(found[0], 6), round(found[1], 6))

    def addresses(self) -> list[str]:
        """Every known address, in order (for a form's list of suggestions)."""
        return sorted(self.exact)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]  # a cell of any type; bad ones raise
    except (TypeError, ValueError):
        return math.nan
