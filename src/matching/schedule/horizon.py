"""The horizon: its days, Monday-Sunday weeks, rota blocks, months, quarters and festivals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from matching.rules.schedule import ScheduleRules
from matching.schedule import dates

ONE_DAY = dt.timedelta(days=1)
ONE_WEEK = dt.timedelta(days=7)


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the day's Monday-Sunday week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Week:
    """One Monday-Sunday week that holds days to plan.

    Attributes
    ----------
    monday
        Its Monday (which may lie before the horizon).
    days
        The days of the week to plan: inside the horizon and not before the re-schedule date.
    full
        Its number among the weeks wholly in the horizon, or -1 (a partial first or last week,
        which needs no visit).
    block
        Its rota block: ``full // rota_block_weeks`` for a full week; a partial week belongs to
        the block next to it.
    """

    monday: dt.date
    days: tuple[dt.date, ...]
    full: int
    block: int


@dataclass(frozen=True)
class Horizon:
    """``[start, end)`` and everything counted in it.

    Rota blocks are counted from the first full week of the whole horizon, also when a
    re-schedule plans only the days from ``from_date`` on, so that the rotation goes on as
    published.
    """

    start: dt.date
    end: dt.date
    from_date: dt.date
    block_weeks: int
    full_weeks: tuple[dt.date, ...]
    weeks: tuple[Week, ...]
    months: tuple[tuple[dt.date, dt.date], ...]
    quarters: tuple[tuple[dt.date, dt.date], ...]  # due ones, cut to the horizon
    festivals: tuple[dates.Festival, ...]

    @classmethod
    def build(cls, start: dt.date, weeks: int, from_date: dt.date | None,
              rules: ScheduleRules) -> Horizon:
        """The horizon of ``weeks`` weeks from ``start``, to plan from ``from_date`` on, with
        the months and quarters that are due in it under ``rules``."""
        block_weeks = rules.rota_block_weeks
        end = start + dt.timedelta(days=7 * weeks)
        first = min(max(start, from_date or start), end)
        full = tuple(dates.full_weeks(start, end))
        index = {m: i for i, m in enumerate(full)}
        last_block = max(0, (len(full) - 1) // block_weeks)
        slots = []
        monday = monday_of(first)
        while monday < end:
            days = tuple(d for d in (monday + dt.timedelta(days=i) for i in range(7))
                         if first <= d < end)
            if days:
                number = index.get(monday, -1)
                if number >= 0:
                    block = number // block_weeks
                else:  # a partial week joins the block beside it
                    block = 0 if not full or monday < full[0] else last_block
                slots.append(Week(monday, days, number, block))
            monday += ONE_WEEK
        return cls(start=start, end=end, from_date=first, block_weeks=block_weeks,
                   full_weeks=full, weeks=tuple(slots),
                   months=tuple(dates.due_months(start, end, rules.month_min_days)),
                   quarters=tuple(dates.due_quarters(start, end, rules.quarter_min_days)),
                   festivals=tuple(dates.festivals_between(start, end, rules.festivals)))

    @property
    def num_weeks(self) -> int:
        """Length of the horizon in weeks."""
        return (self.end - self.start).days // 7

    @property
    def days(self) -> list[dt.date]:
        """Every day to plan, in order."""
        return [d for w in self.weeks for d in w.days]

    def complete_block(self, block: int) -> bool:
        """Whether all ``block_weeks`` weeks of the block lie wholly in the horizon."""
        return (block + 1) * self.block_weeks <= len(self.full_weeks)

    def full_number(self, day: dt.date) -> int:
        """The number of the full week holding the day, or -1."""
        monday = monday_of(day)
        if not self.full_weeks or monday < self.full_weeks[0] or monday > self.full_weeks[-1]:
            return -1
        return (monday - self.full_weeks[0]).days // 7

    def month_of(self, day: dt.date) -> int:
        """Index of the due month holding the day, or -1."""
        for i, (first, nxt) in enumerate(self.months):
            if first <= day < nxt:
                return i
        return -1
