"""The cadences and durations of the "six ones": every number a setting, each checked once."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from matching.rules.errors import RuleError

#: The festivals of the "six ones", as (name, Chinese name, lunar month, lunar day).
FESTIVALS: tuple[tuple[str, str, int, int], ...] = (
    ("Spring Festival", "春节", 1, 1),
    ("Lantern Festival", "元宵节", 1, 15),
    ("Dragon Boat Festival", "端午节", 5, 5),
    ("Mid-Autumn Festival", "中秋节", 8, 15),
    ("Double Ninth Festival", "重阳节", 9, 9),
)

#: Minutes in a day; every time of day is a number of minutes after midnight.
MINUTES_PER_DAY = 24 * 60
#: The six ones, as schedule.csv names them, in the order a programme lists them.
SIX_ONES = ("call", "visit", "service", "group", "festival", "birthday")
#: February in a common year: a month may not ask for more days than every month has.
DAYS_IN_SHORTEST_MONTH = 28
#: January to March in a common year.
DAYS_IN_SHORTEST_QUARTER = 90
#: Longest lead time a festival activity may have (a lunar month).
MAX_FESTIVAL_DAYS_BEFORE = 29

#: Named times of day, as ``(start, end)`` minutes after midnight: the words a coordinator
#: writes in a ``preferred_times`` cell (an activity there also lies inside the day).
TIMES_OF_DAY: dict[str, tuple[int, int]] = {
    "上午": (8 * 60, 12 * 60), "下午": (14 * 60, 18 * 60), "晚上": (18 * 60, 21 * 60),
    "morning": (8 * 60, 12 * 60), "afternoon": (14 * 60, 18 * 60),
    "evening": (18 * 60, 21 * 60),
}
#: What separates several times in one cell.
TIMES_SEPARATORS = r"[\s,，;；、/]+"
_CLOCK_SPAN = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-–~～至到]\s*(\d{1,2})[:：](\d{2})$")


class TimesError(ValueError):
    """A preferred-times text that is not ``上午``, ``下午``, ``晚上`` or ``hh:mm-hh:mm``."""


def parse_times(text: str) -> tuple[tuple[int, int], ...]:
    """``"上午 15:00-17:30"`` -> ``((480, 720), (900, 1050))``: the times of day a text names,
    in order, overlapping ones merged; ``()`` for a blank text (no preference).

    Raises
    ------
    TimesError
        For a part that is neither a named time (:data:`TIMES_OF_DAY`) nor ``hh:mm-hh:mm``
        with the end after the start, within the day's 24 hours.
    """
    spans = []
    for part in re.split(TIMES_SEPARATORS, unicodedata.normalize("NFKC", text).strip()):
        if not part:
            continue
        if part.lower() in TIMES_OF_DAY:
            spans.append(TIMES_OF_DAY[part.lower()])
            continue
        m = _CLOCK_SPAN.match(part)
        if not m:
            raise TimesError(part)
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        begin, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or not 0 <= begin < end <= MINUTES_PER_DAY:
            raise TimesError(part)
        spans.append((begin, end))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return tuple(merged)


def times_text(spans: tuple[tuple[int, int], ...]) -> str:
    """``((480, 720),)`` -> ``"08:00-12:00"``: times of day as a cell would give them."""
    return " ".join(f"{_clock(a)}-{_clock(b)}" for a, b in spans)


_DURATIONS = ("call_minutes", "service_minutes", "group_minutes", "festival_minutes",
              "birthday_minutes")
_TIMES = ("day_start", "day_end", "call_start", "group_start", "festival_start")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class ScheduleRules:
    """The cadence rules and durations of the "six ones"; every number is a setting.

    Times are minutes after midnight; durations are whole minutes.

    Attributes
    ----------
    call_minutes, service_minutes, group_minutes, festival_minutes, birthday_minutes
        Lengths of a greeting call, a professional service, a group activity, a festival
        activity and a birthday greeting (a visit lasts the elder's ``visit_minutes``).
    day_start, day_end
        Every activity lies in ``[day_start, day_end]``.
    call_start, group_start, festival_start
        When the calls begin, and when group and festival activities start.
    rota_block_weeks, backup_visits_per_block
        In each block of this many full weeks the backup makes this many of the visits.
    service_km
        Farthest a volunteer may live from the elder to give a professional service.
    elders_per_organiser
        A community event needs ``ceil(elders / elders_per_organiser)`` organisers.
    festival_days_before
        A festival activity is held on the day or up to this many days before.
    visit_times
        When visits go for an elder without preferred times of their own: named times of
        day or ``hh:mm-hh:mm`` (see :func:`parse_times`). A volunteer's visits are spread
        over them.
    call_spacing_minutes
        Minutes between the starts of one volunteer's calls.
    month_min_days, quarter_min_days
        A calendar month with at least ``month_min_days`` days in the horizon gets its
        service within them, and a quarter with at least ``quarter_min_days`` days in it gets
        its group activity within them (the default: 14 days, and 4 weeks). A month or
        quarter the horizon covers less is not due in this horizon.
    festivals
        ``(name, Chinese name, lunar month, lunar day)`` of each festival.

    Raises
    ------
    RuleError
        For a value the rule cannot take, naming the rule.
    """

    call_minutes: int = 5
    service_minutes: int = 60
    group_minutes: int = 120
    festival_minutes: int = 120
    birthday_minutes: int = 30
    day_start: int = 8 * 60
    day_end: int = 20 * 60
    call_start: int = 8 * 60 + 30
    group_start: int = 9 * 60 + 30
    festival_start: int = 14 * 60 + 30
    rota_block_weeks: int = 4
    backup_visits_per_block: int = 1
    service_km: float = 5.0
    elders_per_organiser: int = 10
    festival_days_before: int = 3
    visit_times: str = "上午 下午"
    call_spacing_minutes: int = 15
    month_min_days: int = 14
    quarter_min_days: int = 28
    festivals: tuple[tuple[str, str, int, int], ...] = FESTIVALS

    def __post_init__(self) -> None:
        for name in (*_DURATIONS, *_TIMES, "rota_block_weeks", "backup_visits_per_block",
                     "elders_per_organiser", "festival_days_before", "month_min_days",
                     "quarter_min_days", "call_spacing_minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not float(value).is_integer():
                raise RuleError(name, "rule.whole_number", value=value)
            object.__setattr__(self, name, int(value))
        self._check_range("day_start", 0, MINUTES_PER_DAY - 1)
        self._check_range("day_end", 1, MINUTES_PER_DAY)
        if self.day_end <= self.day_start:
            raise RuleError("day_end", "rule.day_end_before_start", ("day_start",),
                            end=_clock(self.day_end), start=_clock(self.day_start))
        window = self.day_end - self.day_start
        for name in _DURATIONS:
            self._check_range(name, 1, None)
            if getattr(self, name) > window:
                raise RuleError(name, "rule.longer_than_day", ("day_start", "day_end"),
                                minutes=getattr(self, name), start=_clock(self.day_start),
                                end=_clock(self.day_end), window=window)
        for start, length, what in (("call_start", "call_minutes", "event.call"),
                                    ("group_start", "group_minutes", "event.group"),
                                    ("festival_start", "festival_minutes", "event.festival")):
            begin, end = getattr(self, start), getattr(self, start) + getattr(self, length)
            if begin < self.day_start:
                raise RuleError(start, "rule.starts_before_day", ("day_start",),
                                begin=_clock(begin), start=_clock(self.day_start), what=what)
            if end > self.day_end:
                raise RuleError(start, "rule.ends_after_day", (length, "day_end"),
                                begin=_clock(begin), length=length,
                                minutes=getattr(self, length), what=what, end=_clock(end),
                                day_end=_clock(self.day_end))
        self._check_range("rota_block_weeks", 1, None)
        self._check_range("backup_visits_per_block", 0, None)
        if self.backup_visits_per_block >= self.rota_block_weeks:
            raise RuleError("backup_visits_per_block", "rule.backup_takes_all",
                            ("rota_block_weeks",), backup=self.backup_visits_per_block,
                            block=self.rota_block_weeks, most=self.rota_block_weeks - 1)
        self._check_range("elders_per_organiser", 1, None)
        self._check_range("festival_days_before", 0, MAX_FESTIVAL_DAYS_BEFORE)
        self._check_range("call_spacing_minutes", 0, MINUTES_PER_DAY)
        if not isinstance(self.visit_times, str):
            raise RuleError("visit_times", "rule.times", value=self.visit_times)
        try:
            spans = parse_times(self.visit_times)
        except TimesError:
            raise RuleError("visit_times", "rule.times", value=self.visit_times) from None
        if not any(min(b, self.day_end) > max(a, self.day_start) for a, b in spans):
            raise RuleError("visit_times", "rule.times_outside_day", ("day_start", "day_end"),
                            value=self.visit_times, start=_clock(self.day_start),
                            end=_clock(self.day_end))
        self._check_range("month_min_days", 1, DAYS_IN_SHORTEST_MONTH)
        self._check_range("quarter_min_days", 1, DAYS_IN_SHORTEST_QUARTER)
        km = self.service_km
        if isinstance(km, bool) or not isinstance(km, int | float) or not km >= 0:
            raise RuleError("service_km", "rule.number_at_least_zero", value=km)
        for festival in self.festivals:
            if len(festival) != 4 or not 1 <= int(festival[2]) <= 12 \
                    or not 1 <= int(festival[3]) <= 30:
                raise RuleError("festivals", "rule.festival_entry", entry=repr(festival))

    def _check_range(self, name: str, low: int, high: int | None) -> None:
        value = getattr(self, name)
        if value < low or (high is not None and value > high):
            if high is not None:
                raise RuleError(name, "rule.in_range", low=low, high=high, value=value)
            raise RuleError(name, "rule.at_least", low=low, value=value)

    @property
    def visit_windows(self) -> tuple[tuple[int, int], ...]:
        """:attr:`visit_times` as ``(start, end)`` minutes, cut to the day."""
        return within_day(parse_times(self.visit_times), self.day_start, self.day_end)

    def replace(self, **changes: Any) -> ScheduleRules:
        """A copy with some rules changed (checked again)."""
        return dataclasses.replace(self, **changes)


def within_day(spans: tuple[tuple[int, int], ...], day_start: int, day_end: int
               ) -> tuple[tuple[int, int], ...]:
    """The parts of ``spans`` inside ``[day_start, day_end]`` (empty ones dropped)."""
    return tuple((max(a, day_start), min(b, day_end)) for a, b in spans
                 if min(b, day_end) > max(a, day_start))
