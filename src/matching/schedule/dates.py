"""Dates of the horizon: weeks, due months and quarters, festivals (lunar) and birthdays.

Festival dates come from the lunar calendar through ``lunardate`` (no hand-made tables).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lunardate import LunarDate

from matching.rules.schedule import FESTIVALS


@dataclass(frozen=True)
class Festival:
    """One festival on one solar date."""

    name: str
    name_zh: str
    date: dt.date


def festivals_between(start: dt.date, end: dt.date,
                      table: tuple[tuple[str, str, int, int], ...] = FESTIVALS) -> list[Festival]:
    """Festivals whose solar date lies in ``[start, end)``, in date order."""
    out = []
    for lunar_year in range(start.year - 1, end.year + 1):
        for name, name_zh, month, day in table:
            try:
                solar = LunarDate(lunar_year, month, day).to_solar_date()
            except ValueError:  # outside the library's range
                continue
            if start <= solar < end:
                out.append(Festival(name, name_zh, solar))
    return sorted(out, key=lambda f: (f.date, f.name))


def full_weeks(start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays of the Monday-Sunday weeks that lie wholly in ``[start, end)``."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    out = []
    monday = first
    while monday + dt.timedelta(days=7) <= end:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _quarter_after(day: dt.date) -> dt.date:
    """The first day of the calendar quarter after the one holding ``day``."""
    month = 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year + (month == 10), (month + 2) % 12 + 1, 1)


def _covered(start: dt.date, end: dt.date, min_days: int, following
             ) -> list[tuple[dt.date, dt.date]]:
    """The periods (months or quarters, ``following`` gives the next one's first day) that
    have at least ``min_days`` days in ``[start, end)``, each cut to the horizon."""
    out = []
    first = start
    while first < end:
        nxt = following(first)
        cut = min(nxt, end)
        if (cut - first).days >= min_days:
            out.append((first, cut))
        first = nxt
    return out


def due_months(start: dt.date, end: dt.date, min_days: int) -> list[tuple[dt.date, dt.date]]:
    """``(first day, day after)`` of the part in ``[start, end)`` of each calendar month with
    at least ``min_days`` days there: the months whose service is due in this horizon (every
    month wholly inside is, as ``min_days`` is at most 28)."""
    return _covered(start, end, min_days, _next_month)


def due_quarters(start: dt.date, end: dt.date, min_days: int) -> list[tuple[dt.date, dt.date]]:
    """``(first day, day after)`` of the part in ``[start, end)`` of each calendar quarter with
    at least ``min_days`` days there: the quarters whose group activity is due."""
    return _covered(start, end, min_days, _quarter_after)


def birthday_in(birthday: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in ``[start, end)`` on which a birthday (``YYYY-MM-DD`` or ``MM-DD``) is greeted.

    A 29 February birthday is greeted on 28 February in common years.
    """
    if not birthday:
        return []
    month, day = (int(x) for x in birthday[-5:].split("-"))
    out = []
    for year in range(start.year, end.year + 1):
        if (month, day) == (2, 29) and not _leap(year):
            when = dt.date(year, 2, 28)
        else:
            when = dt.date(year, month, day)
        if start <= when < end:
            out.append(when)
    return out


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
