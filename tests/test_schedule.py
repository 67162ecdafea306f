"""The "six ones" schedule: each rule on the smallest world that shows it, always checked by
the independent checker; what cannot be done must appear in unmet.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import matching
from matching import checker
from matching.cli import main
from matching.schedule import ScheduleRules, make_schedule
from matching.write import write_pairing, write_schedule
from tests.conftest import elders, relations, volunteers


def run(tmp_path: Path, vols: pd.DataFrame, elds: pd.DataFrame, start: dt.date, weeks: int,
        rels: pd.DataFrame | None = None, rules: ScheduleRules | None = None):
    """Pair, schedule, write, and check; returns (result, report, folder)."""
    files = {}
    for name, frame in (("volunteers", vols), ("elders", elds), ("relations", rels)):
        if frame is not None:
            files[name] = tmp_path / f"{name}.csv"
            frame.to_csv(files[name], index=False)
    world = matching.read_world(files["volunteers"], files["elders"], files.get("relations"))
    problem = matching.build_problem(world)
    pairing = matching.solve(problem)
    write_pairing(pairing, tmp_path / "pairing")
    primary = matching.schedule.read_assignments(str(tmp_path / "pairing" / "assignments.csv"),
                                                 problem)
    result = make_schedule(problem, primary, start, weeks, rules)
    out = tmp_path / "plan"
    write_schedule(result, out)
    report = checker.check_schedule_files(files["volunteers"], files["elders"],
                                          files.get("relations"), None, out, start, weeks)
    _nothing_dropped_silently(report, result)
    return result, report, out


def _nothing_dropped_silently(report: checker.Report, result) -> None:
    """Every broken obligation the checker finds is listed in unmet.csv."""
    unmet_elders = set(result.unmet["elder_id"])
    for kind in ("visit", "service", "birthday", "call"):
        for text in report.broken.get(kind, []):
            elder = text.split()[1].rstrip(":")
            assert elder in unmet_elders, f"{text} is not in unmet.csv"
    for kind in ("overlap", "weekly_minutes", "hours", "duration", "horizon", "backup",
                 "organiser"):
        assert not report.broken.get(kind), report.text()


def two_pairs(**elder_extra):
    vols = volunteers({"x": 0, "gender": "F"}, {"x": 0.3, "gender": "F"})
    elds = elders({"x": 0.1, "age": 85, **elder_extra}, {"x": 0.2, "age": 88})
    return vols, elds


MONDAY = dt.date(2026, 1, 5)


def test_eight_weeks_every_rule_holds(tmp_path):
    """Two volunteers, two elders, eight weeks from a Monday: calls every day, one visit a
    week, the backup in one week of each 4-week block, nothing broken."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, MONDAY, 8)
    assert report.ok, report.text()
    s = result.schedule
    assert (s["activity"] == "call").sum() == 2 * 56
    assert (s["activity"] == "visit").sum() == 2 * 8
    assert report.figures["rotation_share"] == 1.0
    assert set(result.backups["backup_id"]) == {"V1", "V2"}


def test_backup_must_be_eligible(tmp_path):
    """An elder who refuses the only other volunteer has no backup; the primary visits
    every week."""
    vols, elds = two_pairs()
    rels = relations(("V2", "E1", "refuses"), ("V1", "E1", "kin"))
    result, report, _ = run(tmp_path, vols, elds, MONDAY, 4, rels)
    assert report.ok, report.text()
    e1 = result.backups.set_index("elder_id").loc["E1"]
    assert e1["backup_id"] == ""
    visits = result.schedule[(result.schedule["activity"] == "visit")
                             & (result.schedule["elder_id"] == "E1")]
    assert set(visits["volunteer_id"]) == {"V1"}


def test_mid_week_start(tmp_path):
    """Starting on a Wednesday: the partial first week needs no visit, calls still start on
    the first day."""
    vols, elds = two_pairs()
    start = dt.date(2026, 1, 7)
    result, report, _ = run(tmp_path, vols, elds, start, 3)
    assert report.ok, report.text()
    s = result.schedule
    assert s.loc[s["activity"] == "call", "date"].min() == "2026-01-07"
    visits = pd.to_datetime(s.loc[s["activity"] == "visit", "date"])
    assert visits.min() >= pd.Timestamp("2026-01-12")


def test_festival_inside_the_horizon(tmp_path):
    """Spring Festival 2026-02-17: an activity on the day or up to 3 days before, with
    ceil(2/10) = 1 organiser."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    fest = result.schedule[result.schedule["activity"] == "festival"]
    assert len(fest) == 1
    day = dt.date.fromisoformat(fest["date"].iloc[0])
    assert dt.date(2026, 2, 14) <= day <= dt.date(2026, 2, 17)
    assert "春节" in fest["title"].iloc[0]


def test_festival_at_the_start_edge(tmp_path):
    """A horizon starting the day before the festival holds the activity inside it."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 16), 1)
    assert report.ok, report.text()
    fest = result.schedule[result.schedule["activity"] == "festival"]
    assert set(fest["date"]) <= {"2026-02-16", "2026-02-17"}
    assert len(fest) == 1


def test_festival_outside_the_horizon(tmp_path):
    """A horizon ending the day before the festival has no festival activity."""
    vols, elds = two_pairs()
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 1)
    assert not (result.schedule["activity"] == "festival").any()


def test_organisers_scale_with_elders(tmp_path):
    """Eleven elders in one community need ceil(11/10) = 2 organisers at the same event."""
    vols = volunteers(*({"x": 0.1 * i, "max_elders": 4, "weekly_minutes": 600}
                        for i in range(4)))
    elds = elders(*({"x": 0.05 * i, "age": 85, "community": "民乐社区"} for i in range(11)))
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    fest = result.schedule[result.schedule["activity"] == "festival"]
    assert fest.groupby(["date", "start"])["volunteer_id"].nunique().max() == 2


def test_group_activity_each_quarter(tmp_path):
    """A horizon holding all of Q2 2026 has one group activity for the community."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 30), 14)
    assert report.ok, report.text()
    groups = result.schedule[result.schedule["activity"] == "group"]
    assert len(groups) == 1
    assert "2026-04-01" <= groups["date"].iloc[0] < "2026-07-01"


def test_no_group_activity_without_a_full_quarter(tmp_path):
    """Eight weeks from mid-January hold no whole quarter."""
    vols, elds = two_pairs()
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 1, 12), 8)
    assert not (result.schedule["activity"] == "group").any()


@pytest.mark.parametrize(("start", "greeted"), [
    (dt.date(2027, 2, 22), "2027-02-28"),
    (dt.date(2028, 2, 21), "2028-02-29"),
])
def test_29_february_birthday(tmp_path, start, greeted):
    """Born on 29 February: greeted on 28 February in 2027, on 29 February in 2028."""
    vols, elds = two_pairs(birthday="1940-02-29")
    result, report, _ = run(tmp_path, vols, elds, start, 2)
    assert report.ok, report.text()
    b = result.schedule[result.schedule["activity"] == "birthday"]
    assert b.loc[b["elder_id"] == "E1", "date"].tolist() == [greeted]
    assert (b["minutes"] == 30).all()


def test_monthly_service_rotates_through_needs(tmp_path):
    """An elder needing haircut and laundry gets them in alternate months from volunteers
    with the skill within 5 km; an elder with no needs gets no service."""
    vols = volunteers({"x": 0, "skills": "haircut;laundry", "weekly_minutes": 600},
                      {"x": 0.3, "weekly_minutes": 600})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut;laundry"}, {"x": 0.2, "age": 88})
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 1), 13)
    assert report.ok, report.text()
    s = result.schedule[result.schedule["activity"] == "service"]
    assert set(s["elder_id"]) == {"E1"}
    months = s.assign(month=s["date"].str[:7]).sort_values("date")
    assert months["month"].tolist() == ["2026-02", "2026-03", "2026-04"]
    assert months["service"].tolist() == ["haircut", "laundry", "haircut"]
    assert (s["volunteer_id"] == "V1").all() and (s["minutes"] == 60).all()


def test_scarce_skills_are_reported_not_dropped(tmp_path):
    """One barber with 70 minutes a week and five elders needing haircuts: at most one haircut
    a week fits, so some are unmet, each listed in unmet.csv with a reason."""
    vols = volunteers({"x": 0, "weekly_minutes": 600, "max_elders": 5},
                      {"x": 0.4, "skills": "haircut", "weekly_minutes": 70, "max_elders": 0})
    elds = elders(*({"x": 0.05 * i, "age": 85, "needs": "haircut"} for i in range(5)))
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 1), 5)
    unmet = result.unmet[result.unmet["activity"] == "service"]
    assert len(unmet) >= 1
    assert unmet["reason"].str.contains("haircut|room").all()


def test_service_needs_skill_within_reach(tmp_path):
    """A barber 6 km away is out of reach (limit 5 km): the need is unmet, with the reason."""
    vols = volunteers({"x": 0}, {"x": 6.1, "skills": "haircut"})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut"})
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 1), 5)
    reasons = result.unmet.loc[result.unmet["activity"] == "service", "reason"]
    assert reasons.str.contains("no volunteer within 5 km has the skill haircut").any()


def test_weekly_minutes_bind(tmp_path):
    """A volunteer with 100 weekly minutes: visits (60 + walk) fit, the 120-minute festival
    does not, so another volunteer organises it."""
    vols = volunteers({"x": 0, "weekly_minutes": 100}, {"x": 0.5, "weekly_minutes": 600,
                                                        "max_elders": 0})
    elds = elders({"x": 0.1, "age": 85})
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    fest = result.schedule[result.schedule["activity"] == "festival"]
    assert fest["volunteer_id"].tolist() == ["V2"]


def test_times_never_overlap_and_stay_in_the_day(tmp_path):
    """A busy volunteer's day is laid out without overlaps between 08:00 and 20:00."""
    vols = volunteers({"x": 0, "max_elders": 4, "weekly_minutes": 2000, "available_days": "Mon"},
                      {"x": 0.2, "weekly_minutes": 2000, "available_days": "Mon"})
    elds = elders(*({"x": 0.05 * i, "age": 85, "available_days": "Mon"} for i in range(6)))
    _, report, _ = run(tmp_path, vols, elds, MONDAY, 2)
    assert report.ok, report.text()


def test_outputs_for_volunteers(tmp_path):
    """Each volunteer's calendar holds only their activities; the rota is in Chinese by
    default; credits add up the minutes."""
    vols, elds = two_pairs()
    result, _, out = run(tmp_path, vols, elds, MONDAY, 4)
    v1 = (out / "ical" / "V1.ics").read_text()
    mine = result.schedule[result.schedule["volunteer_id"] == "V1"]
    assert v1.count("BEGIN:VEVENT") == len(mine)
    html = (out / "rota.html").read_text(encoding="utf-8")
    assert "志愿者排班表" in html and "上门探访" in html
    credits = pd.read_csv(out / "credits.csv")
    total = result.schedule.groupby("volunteer_id")["minutes"].sum() / 60
    assert dict(zip(credits["volunteer_id"], credits["hours"], strict=True)) == \
        pytest.approx(total.round(2).to_dict(), abs=0.02)


def test_schedule_command_is_repeatable(tmp_path):
    """The CLI writes the same files twice for the same inputs and seed."""
    world = tmp_path / "w"
    main(["generate", "--preset", "minle", "--volunteers", "20", "--elders", "40", "--seed",
          "3", "--out", str(world)])
    common = ["--volunteers", str(world / "volunteers.csv"), "--elders",
              str(world / "elders.csv"), "--relations", str(world / "relations.csv")]
    assert main(["pair", *common, "--out", str(tmp_path / "p"), "--quiet"]) == 0
    for name in ("a", "b"):
        assert main(["schedule", *common, "--assignments", str(tmp_path / "p" /
                                                                "assignments.csv"),
                     "--start", "2026-02-02", "--weeks", "6", "--out", str(tmp_path / name),
                     "--quiet"]) == 0
    for f in ("schedule.csv", "unmet.csv", "credits.csv", "rota.html", "ical/V00001.ics"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    code = main(["check", *common, "--plan", str(tmp_path / "a"), "--start", "2026-02-02",
                 "--weeks", "6"])
    assert code in (0, 1)


def test_reschedule_keeps_the_past_exactly(tmp_path):
    """Re-scheduling from a date after a volunteer leaves: every row before the date is kept
    byte for byte; from the date the orphan is visited by the new primary; unchanged pairs
    keep their weekday and time."""
    world = tmp_path / "w"
    main(["generate", "--preset", "minle", "--volunteers", "20", "--elders", "40", "--seed",
          "5", "--out", str(world)])
    common = ["--volunteers", str(world / "volunteers.csv"), "--elders",
              str(world / "elders.csv"), "--relations", str(world / "relations.csv")]
    assert main(["pair", *common, "--out", str(tmp_path / "p"), "--quiet"]) == 0
    first = ["--start", "2026-02-02", "--weeks", "8"]
    assert main(["schedule", *common, "--assignments", str(tmp_path / "p" / "assignments.csv"),
                 *first, "--out", str(tmp_path / "s1"), "--quiet"]) == 0
    old = pd.read_csv(tmp_path / "p" / "assignments.csv", dtype=str)
    leaving = old["volunteer_id"].iloc[0]
    pd.DataFrame({"volunteer_id": [leaving]}).to_csv(tmp_path / "leaving.csv", index=False)
    assert main(["replan", *common, "--previous", str(tmp_path / "p" / "assignments.csv"),
                 "--leaving", str(tmp_path / "leaving.csv"), "--history",
                 str(tmp_path / "s1" / "schedule.csv"), "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    assert main(["schedule", *common, "--assignments", str(tmp_path / "r" / "assignments.csv"),
                 *first, "--from", "2026-03-04", "--leaving", str(tmp_path / "leaving.csv"),
                 "--previous",
                 str(tmp_path / "s1" / "schedule.csv"), "--out", str(tmp_path / "s2"),
                 "--quiet"]) == 0
    cols = ["date", "start", "end", "activity", "volunteer_id", "elder_id", "community",
            "service", "minutes"]
    a = pd.read_csv(tmp_path / "s1" / "schedule.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(tmp_path / "s2" / "schedule.csv", dtype=str, keep_default_na=False)
    past_a = a[a["date"] < "2026-03-04"][cols].sort_values(cols).reset_index(drop=True)
    past_b = b[b["date"] < "2026-03-04"][cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(past_a, past_b)
    # from the date on, the leaving volunteer has nothing
    assert not ((b["date"] >= "2026-03-04") & (b["volunteer_id"] == leaving)).any()
    # orphans are visited by their new primary every full week after the date
    new = pd.read_csv(tmp_path / "r" / "assignments.csv", dtype=str)
    orphans = set(old.loc[old["volunteer_id"] == leaving, "elder_id"])
    future = b[(b["date"] >= "2026-03-09") & (b["activity"] == "visit")]
    for e in orphans & set(new["elder_id"]):
        assert len(future[future["elder_id"] == e]) == 3  # weeks of 9, 16 and 23 March
    # unchanged pairs mostly keep their visit weekday and time
    stay = old[old["volunteer_id"] != leaving]
    fa = a[(a["date"] >= "2026-03-04") & (a["activity"] == "visit")].merge(stay)
    fb = b[(b["date"] >= "2026-03-04") & (b["activity"] == "visit")].merge(stay)
    same = fa.merge(fb, on=["date", "start", "elder_id", "volunteer_id"])
    assert len(same) >= 0.6 * len(fa)
