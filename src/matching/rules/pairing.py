"""The numbers behind the pairing rules, in one immutable place.

Every default of the contract (``CONTRACT.md``) is a field here, so that a scenario can change
any of them with :meth:`Rules.replace` and nothing in the engine hides a literal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.rules.errors import RuleError, check_numbers_at_least_zero

#: Integer units the solvers work in. Costs are kept in centimetres, loads in thousandths of a
#: minute: fine enough that rounding never changes which plan is best in practice, coarse enough
#: that a city-size objective fits comfortably in 64 bits.
COST_UNITS_PER_KM = 100_000
LOAD_UNITS_PER_MINUTE = 1_000


@dataclass(frozen=True)
class Rules:
    """Pairing rules and input defaults.

    Attributes
    ----------
    max_km
        Largest distance between a volunteer and an elder who are not kin.
    max_kin_km
        Largest distance between kin.
    walking_min_per_km
        Minutes of walking per km (15 = 4 km/h); a weekly visit costs ``2 * travel``.
    kin_bonus_km, familiar_bonus_km
        What a kin or familiar tie is worth, in km of distance, in the objective
        ``distance_km - kin_bonus_km*[kin] - familiar_bonus_km*[familiar]``.
    default_max_elders, default_weekly_minutes, default_visit_minutes
        Defaults for the optional input columns of the same names.
    priority_age_high, priority_age_mid
        Ages at which the default priority becomes 3 and 2.
    volunteer_age_limit
        The oldest a volunteer serves at (the programme's "low-age elders", 60 to 75): a
        projection (:mod:`matching.analysis.projection`) retires volunteers past it.
    elder_age
        The age from which a person the programme knows (a retired volunteer) is one of
        its elders, in a projection.
    """

    max_km: float = 2.0
    max_kin_km: float = 10.0
    walking_min_per_km: float = 15.0
    kin_bonus_km: float = 3.0
    familiar_bonus_km: float = 1.0
    default_max_elders: int = 3
    default_weekly_minutes: float = 300.0
    default_visit_minutes: float = 60.0
    priority_age_high: float = 90.0
    priority_age_mid: float = 80.0
    volunteer_age_limit: float = 75.0
    elder_age: float = 80.0

    def __post_init__(self) -> None:
        check_numbers_at_least_zero(self)
        for name in ("default_max_elders",):
            if not float(getattr(self, name)).is_integer():
                raise RuleError(name, "rule.whole_number", value=getattr(self, name))
        if self.default_visit_minutes <= 0:
            raise RuleError("default_visit_minutes", "rule.more_than_zero",
                            value=self.default_visit_minutes)
        if self.max_kin_km < self.max_km:
            raise RuleError("max_kin_km", "rule.kin_shorter", ("max_km",),
                            kin=self.max_kin_km, km=self.max_km)

    def default_priority(self, age: np.ndarray, lives_alone: np.ndarray,
                         low_income: np.ndarray) -> np.ndarray:
        """The priority of elders whose file gives none: 3 from ``priority_age_high``, 2
        from ``priority_age_mid`` or when living alone or on a low income, else 1 (an
        unknown age counts as 0)."""
        years = np.nan_to_num(np.asarray(age, dtype=float), nan=0.0)
        return np.where(years >= self.priority_age_high, 3,
                        np.where((years >= self.priority_age_mid) | np.asarray(lives_alone, bool)
                                 | np.asarray(low_income, bool), 2, 1)).astype(np.int64)

    def pair_cost_units(self, km: np.ndarray, kin: np.ndarray,
                        familiar: np.ndarray) -> np.ndarray:
        """What serving costs, in :data:`COST_UNITS_PER_KM`: ``km - kin_bonus_km*[kin] -
        familiar_bonus_km*[familiar]`` ("kin, nearby, familiar"), the one measure the
        pairing minimises and a requested service's volunteers are ranked by."""
        return (np.rint(np.asarray(km, dtype=float) * COST_UNITS_PER_KM).astype(np.int64)
                - round(self.kin_bonus_km * COST_UNITS_PER_KM) * np.asarray(kin, dtype=np.int64)
                - round(self.familiar_bonus_km * COST_UNITS_PER_KM)
                * np.asarray(familiar, dtype=np.int64))

    def load_minutes(self, minutes: np.ndarray | float, km: np.ndarray | float) -> np.ndarray:
        """A volunteer's minutes for one visit or service of ``minutes`` at ``km``: the
        time there and the walk both ways."""
        return np.asarray(minutes, dtype=float) + 2 * self.walking_min_per_km * np.asarray(
            km, dtype=float)

    def replace(self, **changes: Any) -> Rules:
        """Return a copy with some rules changed (unknown names raise ``TypeError``)."""
        return dataclasses.replace(self, **changes)

    @property
    def search_km(self) -> float:
        """Radius of the spatial search for candidate pairs (kin pairs are found by id)."""
        return self.max_km
