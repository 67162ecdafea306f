"""The time bank's rules: every number a setting (a scenario's ``[timebank]`` table)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from matching.rules.errors import RuleError

#: Who may receive a transfer (:attr:`TimebankRules.transfer_to`).
TRANSFER_TO = ("family", "anyone")


@dataclass(frozen=True)
class TimebankRules:
    """How hours are banked, spent and fed back into planning.

    Attributes
    ----------
    credits_per_hour
        Credits banked for an hour served (1: an hour is a credit).
    balance_cap_hours
        Largest balance a member may hold; a credit above it is refused (0: no cap).
    daily_cap_hours
        Most hours a member may bank for the services of one day (Shanghai Changning banks
        at most two a day); a credit above it is refused (0: no cap).
    expiry_years
        Credits older than this many years expire, oldest first (0: never).
    transfers, donations
        Whether members may give hours to a relative, and to the programme's pool.
    spend_from_age
        The youngest a member may be to spend hours on care they receive (Nanjing: 60); 0:
        any age. A spend whose member's age is not given is refused when it is set.
    transfer_to
        Who may receive a transfer: ``anyone`` (another member), or only ``family`` (a
        relative the coordinator vouches for: the transfer says so).
    low_rating, low_ratings_to_refuse, rating_window_days
        A pair rated ``low_rating`` or less at least ``low_ratings_to_refuse`` times within
        ``rating_window_days`` (before the last day recorded) counts as ``refuses`` at the next
        plan.
    bonus_hours, bonus_max
        An elder who banked hours as a volunteer gets +1 priority per ``bonus_hours`` hours
        earned, at most ``bonus_max`` ("today I serve, tomorrow I am served").
    fairness, fairness_window_days
        Among volunteers equally good for a pair, prefer the one who served fewer hours in the
        last ``fairness_window_days`` days (it never changes priority or cost).
    least_minutes, most_minutes_share
        The minutes a volunteer may say an activity took: at least ``least_minutes``, at
        most ``most_minutes_share`` times the planned minutes (a 60-minute visit: 1 to 120).
    offer_to
        A requested service is offered to this many of the best volunteers at once (the
        first to accept takes it).
    free_from_age
        Elders this old or older are served free: a service they request is paid by the
        programme's pool (the seed programme's 90+; 0: nobody is served free by age).
    confirm_before_banking
        Whether hours bank only once the elder or family confirms a visit or a requested
        service (on their link, or by phone to the coordinator), besides the volunteer's
        mark and the coordinator's approval; false: mark and approval are enough.
    """

    credits_per_hour: float = 1.0
    balance_cap_hours: float = 1500.0
    daily_cap_hours: float = 0.0
    expiry_years: float = 0.0
    transfers: bool = True
    donations: bool = True
    spend_from_age: float = 0.0
    transfer_to: str = "anyone"
    low_rating: int = 2
    low_ratings_to_refuse: int = 2
    rating_window_days: int = 91
    bonus_hours: float = 100.0
    bonus_max: int = 2
    fairness: bool = True
    fairness_window_days: int = 91
    least_minutes: float = 1.0
    most_minutes_share: float = 2.0
    offer_to: int = 3
    free_from_age: float = 90.0
    confirm_before_banking: bool = False

    def credit_minutes(self, served: float) -> int:
        """The minutes banked for ``served`` minutes of service (``credits_per_hour``)."""
        return round(served * self.credits_per_hour)

    def minutes_allowed(self, planned: float) -> tuple[float, float]:
        """The least and most minutes an activity planned for ``planned`` minutes may be
        said to have taken (the one rule the phone, the week form and the ledger ask)."""
        return self.least_minutes, max(self.least_minutes, self.most_minutes_share * planned)

    def __post_init__(self) -> None:
        if self.transfer_to not in TRANSFER_TO:
            raise RuleError("transfer_to", "rule.one_of", value=self.transfer_to,
                            choices=", ".join(TRANSFER_TO))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "transfer_to":
                continue
            if field.type in ("bool", bool):
                if not isinstance(value, bool):
                    raise RuleError(field.name, "rule.true_or_false", value=value)
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not value >= 0:
                raise RuleError(field.name, "rule.number_at_least_zero", value=value)
        for name in ("low_rating", "low_ratings_to_refuse", "rating_window_days", "bonus_max",
                     "fairness_window_days", "offer_to"):
            if not float(getattr(self, name)).is_integer():
                raise RuleError(name, "rule.whole_number", value=getattr(self, name))
        if not 1 <= self.low_rating <= 5:
            raise RuleError("low_rating", "rule.one_to_five", value=self.low_rating)
        if self.credits_per_hour == 0:
            raise RuleError("credits_per_hour", "rule.more_than_zero_plain")
        if self.bonus_hours == 0:
            raise RuleError("bonus_hours", "rule.more_than_zero_plain")
        if self.offer_to < 1:
            raise RuleError("offer_to", "rule.at_least_one", value=self.offer_to)
        if self.most_minutes_share < 1:
            raise RuleError("most_minutes_share", "rule.at_least_one",
                            value=self.most_minutes_share)

    def replace(self, **changes: Any) -> TimebankRules:
        """A copy with some rules changed (checked again)."""
        return dataclasses.replace(self, **changes)
