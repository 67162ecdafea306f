"""Dates of the horizon: festivals from the lunar calendar, full weeks, months, quarters."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.schedule import dates

ONE_DAY = dt.timedelta(days=1)

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


def test_due_months_and_quarters_of_the_county_spring():
    """2026-03-30 + 13 weeks ends 06-28 (exclusive 06-29): March has 2 days in it (< 14, not
    due), April and May are whole, June has 28 (>= 14, due, cut to 06-01..06-29); Q1 has 2
    days (< 28), Q2 has 30 + 31 + 28 = 89 (>= 28, due within 04-01..06-29)."""
    start, end = dt.date(2026, 3, 30), dt.date(2026, 6, 29)
    assert dates.due_months(start, end, 14) == [
        (dt.date(2026, 4, 1), dt.date(2026, 5, 1)), (dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
        (dt.date(2026, 6, 1), dt.date(2026, 6, 29))]
    assert dates.due_quarters(start, end, 28) == [(dt.date(2026, 4, 1), dt.date(2026, 6, 29))]


def test_due_periods_at_the_thresholds():
    """A month with exactly 14 days inside is due, with 13 it is not; the same at 28 days for
    a quarter. 2026-01-18 to 2026-04-15: January 14 days (18..31), April 14 (1..14); a day
    less at each end leaves 13 and 13. To 2026-04-29: Q1 has 14 + 28 + 31 = 73 days, Q2 28."""
    start, end = dt.date(2026, 1, 18), dt.date(2026, 4, 15)
    assert [f.isoformat() for f, _ in dates.due_months(start, end, 14)] == [
        "2026-01-18", "2026-02-01", "2026-03-01", "2026-04-01"]
    assert [f.isoformat() for f, _ in dates.due_months(start + ONE_DAY, end - ONE_DAY, 14)] \
        == ["2026-02-01", "2026-03-01"]
    end = dt.date(2026, 4, 29)
    assert dates.due_quarters(start, end, 28) == [
        (dt.date(2026, 1, 18), dt.date(2026, 4, 1)), (dt.date(2026, 4, 1), dt.date(2026, 4, 29))]
    assert dates.due_quarters(start, end - ONE_DAY, 28) == [
        (dt.date(2026, 1, 18), dt.date(2026, 4, 1))]


@settings(max_examples=200, deadline=None)
@given(monday=st.integers(0, 5200), weeks=st.integers(1, 60))
def test_every_horizon_keeps_its_promises(monday, weeks):
    """From any Monday of 2000-2099: every month with at least 14 days in the horizon is due
    and every whole month is; a horizon of 13 weeks or more always holds a due quarter (its
    91 days meet at most two quarters, so one of them has at least 46); every due period lies
    in the horizon."""
    start = dt.date(2000, 1, 3) + dt.timedelta(weeks=monday)
    end = start + dt.timedelta(weeks=weeks)
    months = dates.due_months(start, end, 14)
    quarters = dates.due_quarters(start, end, 28)
    for first, nxt in months + quarters:
        assert start <= first < nxt <= end
    days_in, days_in_quarter = defaultdict(int), defaultdict(int)
    for i in range((end - start).days):
        day = start + dt.timedelta(days=i)
        days_in[day.year, day.month] += 1
        days_in_quarter[day.year, (day.month - 1) // 3] += 1
    assert [(f.year, f.month) for f, _ in months] == [m for m, n in days_in.items() if n >= 14]
    due = [q for q, n in days_in_quarter.items() if n >= 28]
    assert [(f.year, (f.month - 1) // 3) for f, _ in quarters] == due
    if weeks == 13:  # 91 days over one quarter or two: one has 46 or more, so it is due
        assert len(days_in_quarter) in (1, 2) and max(days_in_quarter.values()) >= 46
        assert len(due) in (1, 2)


@pytest.mark.parametrize(("birthday", "year", "day"), [
    ("1936-02-29", 2027, dt.date(2027, 2, 28)),
    ("1936-02-29", 2028, dt.date(2028, 2, 29)),
    ("02-29", 2100, dt.date(2100, 2, 28)),
    ("1940-07-01", 2026, dt.date(2026, 7, 1)),
])
def test_birthdays(birthday, year, day):
    """29 February is greeted on 28 February in common years."""
    assert dates.birthday_in(birthday, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)) == [day]
