"""Times of day: preferred times on both files, visits spread over the programme's times when
nobody says, one volunteer's visits of a day one after another with the walk between homes,
and calls spread out. Distances are km east of a base point; walking is 15 min/km."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.cli import main
from matching.rules.errors import RuleError
from matching.rules.schedule import ScheduleRules, parse_times
from matching.schedule.layout import spread_start
from tests.conftest import elders, volunteers
from tests.schedule.test_plan import rows, run

#: Monday 1 March 2027: no festival, no birthday, March wholly inside.
MARCH_2027 = dt.date(2027, 3, 1)


@pytest.mark.parametrize(("text", "spans"), [
    ("上午", ((480, 720),)),
    ("下午 晚上", ((840, 1260),)),  # touching: merged
    ("09:00-10:30，15:00-16:00", ((540, 630), (900, 960))),
    ("９：００－１０：００", ((540, 600),)),  # full-width, as a phone types it
    ("morning 08:30-13:00", ((480, 780),)),  # overlapping: merged
    ("", ()),
])
def test_preferred_times_are_read(text, spans):
    assert parse_times(text) == spans


def test_a_bad_times_cell_is_bad_input(tmp_path, capsys):
    """A cell that is no time of day names the file, row and column, exit 2, nothing
    written."""
    volunteers({"x": 0}).to_csv(tmp_path / "v.csv", index=False)
    elders({"x": 0.1, "age": 85, "偏好时段": "上午"},
           {"x": 0.2, "age": 85, "偏好时段": "中午"}).to_csv(tmp_path / "e.csv", index=False)
    code = main(["pair", "--volunteers", str(tmp_path / "v.csv"), "--elders",
                 str(tmp_path / "e.csv"), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "e.csv, row 3, column preferred_times: \"中午\" is not times of day" in err
    assert not (tmp_path / "out").exists()


def test_the_programme_times_are_a_checked_setting():
    assert ScheduleRules(visit_times="09:00-11:00").visit_windows == ((540, 660),)
    with pytest.raises(RuleError) as bad:
        ScheduleRules(visit_times="lunch")
    assert bad.value.field == "visit_times"
    with pytest.raises(RuleError) as outside:
        ScheduleRules(visit_times="05:00-07:00")
    assert outside.value.code == "rule.times_outside_day"


def test_spread_start_shares_out_the_times():
    """上午 下午 (08:00-12:00, 14:00-18:00) and a 60-minute visit: starts 08:00-11:00 and
    14:00-17:00, 360 minutes in all; three elders take the middles of thirds: 60, 180 and
    300 minutes in, 09:00, 11:00 and 14:00 + 120 = 16:00."""
    windows = ((480, 720), (840, 1080))
    assert [spread_start(windows, 60, k, 3) for k in range(3)] == [540, 660, 960]
    assert spread_start(windows, 60, 0, 1) == 660  # 180 in: 11:00
    assert spread_start(((540, 570),), 60, 0, 1) is None  # no room for an hour


def test_visits_keep_inside_the_elders_preferred_times(tmp_path):
    """E1 wants 下午, E2 09:00-10:00 (an hour: exactly her 60-minute visit). Every visit of
    the 4 weeks is inside, and the independent checker agrees."""
    vols = volunteers({"x": 0}, {"x": 0.3})
    elds = elders({"x": 0.1, "age": 85, "preferred_times": "下午"},
                  {"x": 0.2, "age": 88, "preferred_times": "09:00-10:00"})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 4)
    assert report.ok, report.text()
    e1, e2 = rows(result, "visit", "E1"), rows(result, "visit", "E2")
    assert len(e1) == len(e2) == 4
    assert all(s >= "14:00" and e <= "18:00"
               for s, e in zip(e1["start"], e1["end"], strict=True))
    assert set(e2["start"]) == {"09:00"} and set(e2["end"]) == {"10:00"}


def test_the_volunteers_times_hold_too(tmp_path):
    """V1 can only do 晚上 (18:00-21:00, cut to 20:00 by the day): E1, wanting nothing, is
    visited then."""
    vols = volunteers({"x": 0, "preferred_times": "晚上"})
    elds = elders({"x": 0.1, "age": 85})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 2)
    assert report.ok, report.text()
    visits = rows(result, "visit", "E1")
    assert len(visits) == 2
    assert all(s >= "18:00" and e <= "20:00"
               for s, e in zip(visits["start"], visits["end"], strict=True))


def test_a_days_visits_follow_one_another_with_the_walk_between(tmp_path):
    """V1 (at 0) visits E1 (0.2 km) and E2 (0.5 km), both free only on Mondays: one day,
    two visits. Spread: 09:30 for E1 (90 of 360 minutes in) and 15:30 for E2. Put one after
    the other, E1 first (the same walk either way, and done sooner): 09:30-10:30, then the
    0.3 km between the homes (4.5 min) and the 5-minute gap, 9.5 -> 10 minutes on the
    five-minute marks: E2 10:40-11:40, still in the morning."""
    vols = volunteers({"x": 0, "weekly_minutes": 600})
    elds = elders({"x": 0.2, "age": 85, "available_days": "mon"},
                  {"x": 0.5, "age": 85, "available_days": "mon"})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 2)
    assert report.ok, report.text()
    visits = rows(result, "visit").sort_values(["date", "start"])
    assert visits[["date", "start", "end", "elder_id"]].values.tolist() == [
        ["2027-03-01", "09:30", "10:30", "E1"], ["2027-03-01", "10:40", "11:40", "E2"],
        ["2027-03-08", "09:30", "10:30", "E1"], ["2027-03-08", "10:40", "11:40", "E2"]]


def test_calls_are_spread_out(tmp_path):
    """V1 calls E1 and E2: from 08:30, 15 minutes apart (call_spacing_minutes)."""
    vols = volunteers({"x": 0})
    elds = elders({"x": 0.1, "age": 85}, {"x": 0.2, "age": 85})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 1)
    assert report.ok, report.text()
    calls = rows(result, "call")
    assert set(zip(calls["elder_id"], calls["start"], strict=True)) == {
        ("E1", "08:30"), ("E2", "08:45")}
    assert len(calls) == 14  # 2 elders x 7 days


def test_times_that_do_not_meet_are_the_reason(tmp_path):
    """E1 wants 上午, her volunteer V1 can only come 晚上: her visits go unmet, each saying
    so with both times, and the checker agrees nothing else is broken."""
    vols = volunteers({"x": 0, "preferred_times": "晚上"})
    elds = elders({"x": 0.1, "age": 85, "preferred_times": "上午"})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 2)
    assert len(rows(result, "visit")) == 0
    unmet = result.unmet[result.unmet["activity"] == "visit"]
    assert unmet["reason"].tolist() == [
        "the elder's times (08:00-12:00) and those V1 can come (18:00-21:00) do not meet"] * 2
    assert set(report.broken) == {"visit"}
