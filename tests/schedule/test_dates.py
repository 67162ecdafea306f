"""Dates of the horizon: festivals from the lunar calendar, full weeks, months, quarters."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.schedule import dates

# An independent oracle: festival dates as published in the Chinese almanac.
ALMANAC = {
    2025: ["2025-01-29", "2025-02-12", "2025-05-31", "2025-10-06", "2025-10-29"],
    2026: ["2026-02-17", "2026-03-03", "2026-06-19", "2026-09-25", "2026-10-18"],
    2027: ["2027-02-06", "2027-02-20", "2027-06-09", "2027-09-15", "2027-10-08"],
    2028: ["2028-01-26", "2028-02-09", "2028-05-28", "2028-10-03", "2028-10-26"],
}


@pytest.mark.parametrize("year", sorted(ALMANAC))
def test_festivals_match_the_almanac(year):
    """Spring, Lantern, Dragon Boat, Mid-Autumn and Double Ninth fall on the almanac's days."""
    got = dates.festivals_between(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    assert [f.date.isoformat() for f in got] == ALMANAC[year]
    assert [f.name_zh for f in got] == ["春节", "元宵节", "端午节", "中秋节", "重阳节"]


def test_festival_on_the_horizon_edges():
    """A festival on the first day is in; one on the day after the last day is out."""
    spring = dt.date(2026, 2, 17)
    assert [f.date for f in dates.festivals_between(spring, spring + dt.timedelta(1))] \
        == [spring]
    assert dates.festivals_between(spring - dt.timedelta(7), spring) == []


def test_full_weeks_from_mid_week():
    """A horizon starting on a Wednesday has its first full week from the next Monday."""
    weeks = dates.full_weeks(dt.date(2026, 1, 7), dt.date(2026, 1, 7) + dt.timedelta(21))
    assert weeks == [dt.date(2026, 1, 12), dt.date(2026, 1, 19)]


def test_full_months_and_quarters():
    """Only whole calendar months and quarters count."""
    start, end = dt.date(2026, 1, 5), dt.date(2026, 7, 1)
    assert [m[0].month for m in dates.full_months(start, end)] == [2, 3, 4, 5, 6]
    assert dates.full_quarters(start, end) == [(dt.date(2026, 4, 1), dt.date(2026, 7, 1))]


@pytest.mark.parametrize(("birthday", "year", "day"), [
    ("1936-02-29", 2027, dt.date(2027, 2, 28)),
    ("1936-02-29", 2028, dt.date(2028, 2, 29)),
    ("02-29", 2100, dt.date(2100, 2, 28)),
    ("1940-07-01", 2026, dt.date(2026, 7, 1)),
])
def test_birthdays(birthday, year, day):
    """29 February is greeted on 28 February in common years."""
    assert dates.birthday_in(birthday, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)) == [day]
