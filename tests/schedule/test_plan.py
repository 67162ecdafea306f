"""The "six ones" schedule, end to end: each rule on the smallest world that shows it, always
checked by the independent checker; what cannot be done must appear in unmet.csv.

Distances in the worlds below are east of a base point (``x`` km); walking is 15 min/km, so a
volunteer 0.2 km from an elder walks 3 minutes each way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching
from matching import checker
from matching.cli import main
from matching.outputs.runfolder import RunFolder
from matching.schedule import ScheduleRules, schedule_world
from matching.schedule.milp import LinearModel, MilpSolution
from matching.world.read import read_table
from tests.conftest import elders, nothing_dropped_silently, relations, volunteers


def checker_rules(rules: ScheduleRules | None) -> dict[str, object] | None:
    """The schedule rules as the checker names them (a scenario's keys)."""
    if rules is None:
        return None
    out: dict[str, object] = dataclasses.asdict(rules)
    out["festivals"] = tuple((m, d) for _n, _z, m, d in rules.festivals)
    return out


def run(tmp_path: Path, vols: pd.DataFrame, elds: pd.DataFrame, start: dt.date, weeks: int,
        rels: pd.DataFrame | None = None, rules: ScheduleRules | None = None,
        **schedule_kw: object):
    """Pair, schedule, write, and check; returns (result, report, folder)."""
    files = {}
    for name, frame in (("volunteers", vols), ("elders", elds), ("relations", rels)):
        if frame is not None:
            files[name] = tmp_path / f"{name}.csv"
            frame.to_csv(files[name], index=False)
    world = matching.read_world(files["volunteers"], files["elders"], files.get("relations"))
    pairing = matching.solve(matching.build_problem(world))
    RunFolder.for_pairing(pairing).write(tmp_path / "pairing")
    assignments = read_table(tmp_path / "pairing" / "assignments.csv")
    result = schedule_world(world, assignments, start, weeks, rules, **schedule_kw)  # type: ignore[arg-type]
    out = tmp_path / "plan"
    RunFolder.for_schedule(result).write(out)
    report = checker.check_schedule_files(files["volunteers"], files["elders"],
                                          files.get("relations"), None, out, start, weeks,
                                          rules=checker_rules(rules))
    nothing_dropped_silently(report, result)
    return result, report, out


def rows(result, activity: str, elder: str | None = None) -> pd.DataFrame:
    """The schedule's rows of one activity (and elder)."""
    s = result.schedule
    pick = s["activity"] == activity
    if elder is not None:
        pick &= s["elder_id"] == elder
    return s[pick]


def two_pairs(**elder_extra):
    vols = volunteers({"x": 0, "gender": "F"}, {"x": 0.3, "gender": "F"})
    elds = elders({"x": 0.1, "age": 85, **elder_extra}, {"x": 0.2, "age": 88})
    return vols, elds


MONDAY = dt.date(2026, 1, 5)
#: February 2027 is exactly four Monday-Sunday weeks (1-28 February): one full month, one
#: rota block. Spring Festival is Saturday 6 February, Lantern Festival Saturday 20 February.
FEB_2027 = dt.date(2027, 2, 1)
#: March 2027 from Monday the 1st: no festival until June, no whole quarter in 8 weeks.
MARCH_2027 = dt.date(2027, 3, 1)


def test_eight_weeks_every_rule_holds(tmp_path):
    """Two volunteers, two elders, eight weeks from a Monday: a call every day (2 x 56), one
    visit a week (2 x 8), the backup in one week of each 4-week block, nothing unmet."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, MONDAY, 8)
    assert report.ok, report.text()
    assert len(rows(result, "call")) == 2 * 56
    assert len(rows(result, "visit")) == 2 * 8
    assert report.figures["rotation_share"] == 1.0
    assert set(result.backups["backup_id"]) == {"V1", "V2"}
    assert result.unmet.empty
    assert result.stats["unmet_by_kind"]["visit"] == {"unmet": 0, "lower_bound": 0}


def test_backup_must_be_eligible(tmp_path):
    """An elder who refuses the only other volunteer has no backup; the primary makes all
    four visits and every call."""
    vols, elds = two_pairs()
    rels = relations(("V2", "E1", "refuses"), ("V1", "E1", "kin"))
    result, report, _ = run(tmp_path, vols, elds, MONDAY, 4, rels)
    assert report.ok, report.text()
    assert result.backups.set_index("elder_id").loc["E1", "backup_id"] == ""
    assert set(rows(result, "visit", "E1")["volunteer_id"]) == {"V1"}
    assert len(rows(result, "visit", "E1")) == 4
    assert set(rows(result, "call", "E1")["volunteer_id"]) == {"V1"}


def test_mid_week_start(tmp_path):
    """Starting on a Wednesday: the partial first week needs no visit, calls still start on
    the first day; three full weeks follow, one visit each."""
    vols, elds = two_pairs()
    start = dt.date(2026, 1, 7)
    result, report, _ = run(tmp_path, vols, elds, start, 3)
    assert report.ok, report.text()
    assert rows(result, "call")["date"].min() == "2026-01-07"
    visits = rows(result, "visit", "E1")
    assert visits["date"].min() >= "2026-01-12"
    # 7 Jan + 21 days = 28 Jan: full weeks of 12 and 19 Jan only
    assert len(visits) == 2


def test_festival_inside_the_horizon(tmp_path):
    """Spring Festival 2026-02-17: an activity on the day or up to 3 days before, with
    ceil(2/10) = 1 organiser."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    fest = rows(result, "festival")
    assert len(fest) == 1
    day = dt.date.fromisoformat(fest["date"].iloc[0])
    assert dt.date(2026, 2, 14) <= day <= dt.date(2026, 2, 17)
    assert "春节" in fest["title"].iloc[0]


def test_festival_at_the_start_edge(tmp_path):
    """A horizon starting the day before the festival holds the activity inside it."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 16), 1)
    assert report.ok, report.text()
    fest = rows(result, "festival")
    assert len(fest) == 1
    assert fest["date"].iloc[0] in {"2026-02-16", "2026-02-17"}


def test_festival_outside_the_horizon(tmp_path):
    """A horizon ending the day before the festival has no festival activity."""
    vols, elds = two_pairs()
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 1)
    assert len(rows(result, "festival")) == 0


def test_organisers_scale_with_elders(tmp_path):
    """Eleven elders in one community need ceil(11/10) = 2 organisers at the same event."""
    vols = volunteers(*({"x": 0.1 * i, "max_elders": 4, "weekly_minutes": 600}
                        for i in range(4)))
    elds = elders(*({"x": 0.05 * i, "age": 85, "community": "民乐社区"} for i in range(11)))
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    fest = rows(result, "festival")
    assert len(fest) == 2
    assert fest.groupby(["date", "start"])["volunteer_id"].nunique().tolist() == [2]


def test_group_activity_each_quarter(tmp_path):
    """A horizon holding all of Q2 2026 has one group activity for the community, in the
    middle of the quarter (within a week of 16 May)."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 30), 14)
    assert report.ok, report.text()
    groups = rows(result, "group")
    assert len(groups) == 1
    assert "2026-05-09" <= groups["date"].iloc[0] <= "2026-05-23"


@pytest.mark.parametrize(("start", "groups"), [
    (dt.date(2026, 3, 9), 0),   # 4 weeks to 04-06: Q1 has 23 days (9..31) and Q2 5, < 28
    (dt.date(2026, 3, 2), 1),   # 4 weeks to 03-30: Q1 has 28 days (2..29), due
    (dt.date(2026, 1, 12), 1),  # 8 weeks to 03-09: Q1 has 56 days, though none whole
])
def test_a_group_activity_in_each_quarter_with_four_weeks_inside(tmp_path, start, groups):
    """A quarter gets its group activity when at least 28 of its days are in the horizon,
    on one of those days."""
    vols, elds = two_pairs()
    result, report, _ = run(tmp_path, vols, elds, start, 4 if start.month == 3 else 8)
    assert report.ok, report.text()
    got = rows(result, "group")
    assert len(set(got["date"])) == groups
    end = start + dt.timedelta(weeks=4 if start.month == 3 else 8)
    assert all(start.isoformat() <= d < end.isoformat() for d in got["date"])


@pytest.mark.parametrize(("start", "greeted"), [
    (dt.date(2027, 2, 22), "2027-02-28"),
    (dt.date(2028, 2, 21), "2028-02-29"),
])
def test_29_february_birthday(tmp_path, start, greeted):
    """Born on 29 February: greeted on 28 February in 2027, on 29 February in 2028."""
    vols, elds = two_pairs(birthday="1940-02-29")
    result, report, _ = run(tmp_path, vols, elds, start, 2)
    assert report.ok, report.text()
    b = rows(result, "birthday", "E1")
    assert b["date"].tolist() == [greeted]
    assert b["minutes"].tolist() == [30]


def test_monthly_service_rotates_through_needs(tmp_path):
    """An elder needing haircut and laundry gets them in alternate months from the volunteer
    with both skills; an elder with no needs gets no service."""
    vols = volunteers({"x": 0, "skills": "haircut;laundry", "weekly_minutes": 600},
                      {"x": 0.3, "weekly_minutes": 600})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut;laundry"}, {"x": 0.2, "age": 88})
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 1), 13)
    assert report.ok, report.text()
    s = rows(result, "service").sort_values("date")
    assert set(s["elder_id"]) == {"E1"}
    assert s["date"].str[:7].tolist() == ["2026-02", "2026-03", "2026-04"]
    assert s["service"].tolist() == ["haircut", "laundry", "haircut"]
    assert set(s["volunteer_id"]) == {"V1"}
    assert s["minutes"].tolist() == [60, 60, 60]


def test_scarce_skill_is_reported_against_its_bound(tmp_path):
    """One barber (V2, 70 weekly minutes, no elders of their own) and five elders needing a
    haircut in February 2027. A haircut 0.01-0.05 km away costs 60 + 2 * 0.75 or less = 61.5
    minutes, so one fits a week and two (>= 120) never do: 4 weeks give 4 haircuts, and the
    fifth is unmet. The lower bound proves it: at most floor(70 / 60.3) = 1 a week."""
    vols = volunteers({"x": 0.1, "weekly_minutes": 600, "max_elders": 5},
                      {"x": 0.1, "skills": "haircut", "weekly_minutes": 70, "max_elders": 0})
    elds = elders(*({"x": 0.1 + 0.01 * i, "age": 85, "needs": "haircut"} for i in range(1, 6)))
    result, report, _ = run(tmp_path, vols, elds, FEB_2027, 4)
    assert len(rows(result, "service")) == 4
    unmet = result.unmet[result.unmet["activity"] == "service"]
    assert len(unmet) == 1
    assert result.stats["unmet_by_kind"]["service"] == {"unmet": 1, "lower_bound": 1}
    assert "fully booked" in unmet["reason"].iloc[0] and "V2" in unmet["reason"].iloc[0]
    assert len(report.broken["service"]) == 1


def test_service_bound_looks_past_the_nearest_providers_when_they_are_full(tmp_path,
                                                                          monkeypatch):
    """The service bound first matches each request to its nearest providers only; when
    they cannot serve every request it must look at every provider. Five elders need a
    haircut in February 2027; two barbers each give one a week (70 minutes, and a haircut
    0.01-0.19 km away costs at most 60 + 2 * 0.19 * 15 = 65.7), so 2 x 4 = 8 >= 5: nothing
    need go unmet. With only the nearest provider of each request (V2 for all five: V2 at
    0.1, the elders at 0.11-0.15, V3 at 0.3), the small flow serves 4 < 5, and the flow over
    every provider finds 5: bound 0, from two flows."""
    from matching.schedule import bounds

    vols = volunteers({"x": 0.1, "weekly_minutes": 600, "max_elders": 5},
                      {"x": 0.1, "skills": "haircut", "weekly_minutes": 70, "max_elders": 0},
                      {"x": 0.3, "skills": "haircut", "weekly_minutes": 70, "max_elders": 0})
    elds = elders(*({"x": 0.1 + 0.01 * i, "age": 85, "needs": "haircut"} for i in range(1, 6)))
    matched = []
    solve = bounds._max_matching

    def spy(request, volunteer, capacity):
        matched.append(solve(request, volunteer, capacity))
        return matched[-1]

    monkeypatch.setattr(bounds, "_max_matching", spy)
    monkeypatch.setattr(bounds, "NEAREST_PROVIDERS", 1)
    result, report, _ = run(tmp_path, vols, elds, FEB_2027, 4)
    assert report.ok, report.text()
    assert result.stats["unmet_by_kind"]["service"] == {"unmet": 0, "lower_bound": 0}
    assert len(rows(result, "service")) == 5
    # 4 visit weeks (one flow each), then February's services: nearest 4, everyone 5
    assert matched[-2:] == [4, 5]


def test_service_needs_skill_within_reach(tmp_path):
    """A barber 6 km away is out of reach (limit 5 km): the need is unmet, with the reason,
    and the bound agrees that no plan could serve it."""
    vols = volunteers({"x": 0}, {"x": 6.1, "skills": "haircut"})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut"})
    result, _, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 1), 5)
    reasons = result.unmet.loc[result.unmet["activity"] == "service", "reason"].tolist()
    # the rule that binds is the distance: 6.1 km > 5 km
    assert reasons == ["the only volunteer who offers haircut lives more than 5 km away"]
    assert result.stats["unmet_by_kind"]["service"] == {"unmet": 1, "lower_bound": 1}


@pytest.mark.parametrize("km", [1.0, 3.0, 8.0])
@pytest.mark.parametrize("rule", ["refuses", "gender"])
def test_nobody_the_elder_refuses_comes_for_any_activity(tmp_path, km, rule):
    """E1 needs a haircut and has a birthday in February; V2, the only barber, lives ``km``
    away and is refused by E1 (or is a man while E1 wants a woman). V2 never comes to E1 for
    anything, at any distance: not as primary, backup, barber or birthday guest. The haircut
    is unmet, and the checker finds no 'refused' or 'gender' row."""
    vols = volunteers({"x": 0, "gender": "F"},
                      {"x": km, "gender": "M" if rule == "gender" else "F",
                       "skills": "haircut"})
    extra = {"gender_preference": "F"} if rule == "gender" else {}
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut", "birthday": "1940-02-10",
                   **extra})
    rels = relations(("V2", "E1", "refuses")) if rule == "refuses" else None
    result, report, _ = run(tmp_path, vols, elds, FEB_2027, 4, rels)
    assert len(result.schedule[(result.schedule["volunteer_id"] == "V2")
                               & (result.schedule["elder_id"] == "E1")]) == 0
    assert result.unmet["activity"].tolist() == ["service"]
    assert "refused" not in report.broken and "gender" not in report.broken
    assert len(rows(result, "birthday", "E1")) == 1


def test_a_service_moves_within_its_month_to_keep_a_visit(tmp_path):
    """V1 is E1's only volunteer (190 weekly minutes, a barber) and the community's only
    organiser. Weeks 1 and 3 of February 2027 hold a festival (Spring on the 6th, Lantern on
    the 20th): visit 60 + 2*3 walk + festival 120 = 186 <= 190, so no 66-minute haircut fits
    beside them. The haircut goes to week 2 or 4 (66 + 66 = 132), and nothing is unmet."""
    vols = volunteers({"x": 0, "weekly_minutes": 190, "skills": "haircut"})
    elds = elders({"x": 0.2, "age": 85, "needs": "haircut"})
    result, report, _ = run(tmp_path, vols, elds, FEB_2027, 4)
    assert result.unmet.empty
    assert len(rows(result, "visit")) == 4
    assert len(rows(result, "festival")) == 2
    haircut = rows(result, "service")["date"].tolist()
    assert len(haircut) == 1
    assert "2027-02-08" <= haircut[0] <= "2027-02-14" or haircut[0] >= "2027-02-22"
    assert set(report.broken) == set()


def test_a_birthday_on_the_visit_day_shares_the_walk(tmp_path):
    """V1 lives 1 km from E1 (15 minutes each way) and gives 130 minutes a week. Visit and
    greeting on separate trips take 60 + 30 + 2 * (30) = 150 > 130; on one trip 60 + 30 + 30
    = 120 <= 130. So the week of the birthday (Wednesday 3 March) holds both, the visit on
    the birthday, the greeting straight after it."""
    vols = volunteers({"x": 0, "weekly_minutes": 130})
    elds = elders({"x": 1.0, "age": 85, "birthday": "1941-03-03"})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 1)
    assert report.ok, report.text()
    visit, greeting = rows(result, "visit").iloc[0], rows(result, "birthday").iloc[0]
    assert visit["date"] == greeting["date"] == "2027-03-03"
    assert greeting["start"] == visit["end"]


def test_a_pair_keeps_its_weekday(tmp_path):
    """An elder and a volunteer who can both do any day: the first visit goes on the first
    day with the most room (Monday), and every later week keeps Monday at the same time."""
    vols = volunteers({"x": 0})
    elds = elders({"x": 0.2, "age": 85})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 8)
    assert report.ok, report.text()
    visits = rows(result, "visit")
    days = [dt.date.fromisoformat(d).weekday() for d in visits["date"]]
    assert days == [0] * 8
    assert visits["start"].nunique() == 1


def test_a_week_in_which_every_visit_fails_then_the_next_block(tmp_path):
    """Everyone is free on Mondays only, and the schedule starts from Tuesday 2 March: the
    first week has no shared day left, so both of its visits fail (and the bound agrees).
    The rotation goes on: in the rest of block 1 (weeks 2-4) and in block 2 (weeks 5-8)
    each elder's backup makes exactly one visit."""
    vols = volunteers({"x": 0, "available_days": "Mon"}, {"x": 0.3, "available_days": "Mon"})
    elds = elders({"x": 0.1, "age": 85, "available_days": "Mon"},
                  {"x": 0.2, "age": 85, "available_days": "Mon"})
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 8,
                            from_date=dt.date(2027, 3, 2))
    assert result.unmet["when"].tolist() == ["week of 2027-03-01"] * 2
    assert result.stats["unmet_by_kind"]["visit"] == {"unmet": 2, "lower_bound": 2}
    primary = dict(zip(result.backups["elder_id"], result.backups["primary_id"], strict=True))
    for elder in ("E1", "E2"):
        visits = rows(result, "visit", elder)
        by_backup = visits[visits["volunteer_id"] != primary[elder]]["date"].tolist()
        assert sum("2027-03-08" <= d < "2027-03-29" for d in by_backup) == 1
        assert sum("2027-03-29" <= d < "2027-04-26" for d in by_backup) == 1
        assert len(visits) == 7
    # the checker sees the two missed visits and the calls of 1 March, nothing else
    assert {k: len(v) for k, v in report.broken.items()} == {"visit": 2, "call": 2}
    assert report.figures["rotation_share"] == 1.0


def test_weekly_minutes_bind(tmp_path):
    """A volunteer with 100 weekly minutes: visits (60 + walk) fit, the 120-minute festival
    does not, so another volunteer organises it."""
    vols = volunteers({"x": 0, "weekly_minutes": 100}, {"x": 0.5, "weekly_minutes": 600,
                                                        "max_elders": 0})
    elds = elders({"x": 0.1, "age": 85})
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    assert report.ok, report.text()
    assert rows(result, "festival")["volunteer_id"].tolist() == ["V2"]


def test_times_never_overlap_and_stay_in_the_day(tmp_path):
    """A busy volunteer free only on Mondays: their day is laid out without overlaps between
    08:00 and 20:00 (the checker would say)."""
    vols = volunteers({"x": 0, "max_elders": 4, "weekly_minutes": 2000, "available_days": "Mon"},
                      {"x": 0.2, "weekly_minutes": 2000, "available_days": "Mon"})
    elds = elders(*({"x": 0.05 * i, "age": 85, "available_days": "Mon"} for i in range(6)))
    result, report, _ = run(tmp_path, vols, elds, MONDAY, 2)
    assert report.ok, report.text()
    assert len(rows(result, "visit")) == 12


def test_the_rota_a_volunteer_carries(tmp_path):
    """Each volunteer's rota holds only their elders, with address and phone, names the
    service in Chinese (理发) and is one page per block of four weeks; the English rota
    says 'haircut'. The coordinator's overview has a table per week with each volunteer's
    phone and the elders they go to. A calendar holds only its volunteer's activities,
    with the daily calls as repeating events."""
    vols = volunteers({"x": 0, "skills": "haircut", "name": "王秀英", "phone": "13900000001"},
                      {"x": 0.3, "name": "李明", "phone": "13900000002"})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut", "name": "张桂兰",
                   "address": "民乐社区5号楼1单元", "phone": "03595593752"},
                  {"x": 0.2, "age": 88, "name": "刘福", "address": "民乐社区7号楼",
                   "phone": "03597699345"})
    result, _, out = run(tmp_path, vols, elds, FEB_2027, 4)
    own = {vid: (out / "rota" / f"{vid}.html").read_text(encoding="utf-8")
           for vid in ("V1", "V2")}
    # 4 weeks from a Monday: one block, one page each
    assert [page.count('<section class="page">') for page in own.values()] == [1, 1]
    elders_of_v1 = set(result.schedule.loc[result.schedule["volunteer_id"] == "V1",
                                           "elder_id"]) - {""}
    for name, address in (("张桂兰", "民乐社区5号楼1单元"), ("刘福", "民乐社区7号楼")):
        elder = "E1" if name == "张桂兰" else "E2"
        assert (address in own["V1"]) == (elder in elders_of_v1)
    assert "理发" in own["V1"] and "haircut" not in own["V1"]
    overview = (out / "rota.html").read_text(encoding="utf-8")
    # one table per week, each listing the volunteers' phones, each printable alone
    assert overview.count('<section class="week" id="week-') == 4
    assert [f'data-print="week-{n}"' in overview for n in range(1, 6)] == [True] * 4 + [False]
    assert "13900000001" in overview and "民乐社区5号楼1单元" in overview
    RunFolder.for_schedule(result, "en", contact="Wang Fang 0359-5551234").write(tmp_path / "en")
    english = (tmp_path / "en" / "rota" / "V1.html").read_text(encoding="utf-8")
    assert "haircut" in english and "Wang Fang 0359-5551234" in english
    ics = (out / "ical" / "V1.ics").read_text()
    mine = result.schedule[result.schedule["volunteer_id"] == "V1"]
    others = mine[mine["activity"] != "call"]
    assert ics.count("BEGIN:VEVENT") == len(others) + ics.count("RRULE:FREQ=DAILY")
    assert "V2" not in ics.replace("V2.ics", "")
    credits = pd.read_csv(out / "credits.csv")
    total = result.schedule.groupby("volunteer_id")["minutes"].sum() / 60
    assert dict(zip(credits["volunteer_id"], credits["hours"], strict=True)) == \
        pytest.approx(total.round(2).to_dict(), abs=0.02)


def paired_world(tmp_path: Path, seed: int) -> list[str]:
    """A generated world of 20 volunteers and 40 elders in tmp_path/w, paired by the CLI into
    tmp_path/p; returns the input options."""
    world = tmp_path / "w"
    assert main(["generate", "--preset", "minle", "--volunteers", "20", "--elders", "40",
                 "--seed", str(seed), "--out", str(world)]) == 0
    common = ["--volunteers", str(world / "volunteers.csv"), "--elders",
              str(world / "elders.csv"), "--relations", str(world / "relations.csv")]
    assert main(["pair", *common, "--out", str(tmp_path / "p"), "--quiet"]) == 0
    return common


@pytest.mark.slow
def test_schedule_command_is_repeatable(tmp_path):
    """The CLI writes the same files twice for the same inputs and seed, and the independent
    check of them passes."""
    common = paired_world(tmp_path, seed=3)
    for name in ("a", "b"):
        assert main(["schedule", *common, "--assignments", str(tmp_path / "p" /
                                                                "assignments.csv"),
                     "--start", "2026-02-02", "--weeks", "5", "--out", str(tmp_path / name),
                     "--quiet"]) == 0
    for f in ("schedule.csv", "unmet.csv", "credits.csv", "rota.html", "ical/V00001.ics"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    # (to 03-09: March's 8 days are not due; with 6 weeks its 15 are, and V00002, the only
    # provider of E00000's need, is full then: an unmet service the checker would list)
    assert main(["check", *common, "--plan", str(tmp_path / "a"), "--start", "2026-02-02",
                 "--weeks", "5"]) == 0


def test_an_assignment_the_rules_forbid_is_bad_input(tmp_path, capsys):
    """An assignments file pairing an elder with a volunteer they refuse is refused with the
    file, row and column named, exit status 2, and nothing written."""
    vols, elds = two_pairs()
    vols.to_csv(tmp_path / "v.csv", index=False)
    elds.to_csv(tmp_path / "e.csv", index=False)
    relations(("V2", "E1", "refuses")).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"elder_id": ["E1"], "volunteer_id": ["V2"]}).to_csv(
        tmp_path / "assignments.csv", index=False)
    code = main(["schedule", "--volunteers", str(tmp_path / "v.csv"), "--elders",
                 str(tmp_path / "e.csv"), "--relations", str(tmp_path / "r.csv"),
                 "--assignments", str(tmp_path / "assignments.csv"), "--start", "2027-03-01",
                 "--weeks", "2", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    assert 'assignments.csv, row 2, column volunteer_id: "V2" may not serve elder E1: the ' \
           'elder refuses this volunteer' in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_reschedule_keeps_the_past_exactly(tmp_path):
    """Re-scheduling from a date after a volunteer leaves: every row before the date is kept
    byte for byte; from the date the orphans are visited by their new primary; pairs that did
    not change keep their weekday and time."""
    common = paired_world(tmp_path, seed=5)
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
                 "--previous", str(tmp_path / "s1" / "schedule.csv"), "--out",
                 str(tmp_path / "s2"), "--quiet"]) == 0
    cols = ["date", "start", "end", "activity", "volunteer_id", "elder_id", "community",
            "service", "minutes"]
    a = pd.read_csv(tmp_path / "s1" / "schedule.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(tmp_path / "s2" / "schedule.csv", dtype=str, keep_default_na=False)
    past_a = a[a["date"] < "2026-03-04"][cols].sort_values(cols).reset_index(drop=True)
    past_b = b[b["date"] < "2026-03-04"][cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(past_a, past_b)
    assert not ((b["date"] >= "2026-03-04") & (b["volunteer_id"] == leaving)).any()
    new = pd.read_csv(tmp_path / "r" / "assignments.csv", dtype=str)
    orphans = set(old.loc[old["volunteer_id"] == leaving, "elder_id"])
    future = b[(b["date"] >= "2026-03-09") & (b["activity"] == "visit")]
    for e in orphans & set(new["elder_id"]):
        assert len(future[future["elder_id"] == e]) == 3  # weeks of 9, 16 and 23 March
    # every unchanged pair's primary visit after the date keeps its published day and time
    stay = old[old["volunteer_id"] != leaving]
    fa = a[(a["date"] >= "2026-03-04") & (a["activity"] == "visit")].merge(stay)
    fb = b[(b["date"] >= "2026-03-04") & (b["activity"] == "visit")].merge(stay)
    same = fa.merge(fb, on=["date", "start", "elder_id", "volunteer_id"])
    assert len(same) == len(fa) == len(fb)


@pytest.mark.parametrize("stage", ["full", "both"])
def test_without_a_plan_in_time_the_fallbacks_still_keep_every_rule(tmp_path, monkeypatch,
                                                                     stage):
    """If the full solve finds no plan in its time, the must-keep plan with the services
    fitted around it is used; if even the must-keep solve finds none, the greedy plan. Both
    keep every rule, and here (room to spare) every visit: 2 elders x 8 weeks."""
    real = LinearModel.solve

    def out_of_time(self, seconds, **kw):
        floor = kw.get("at_least") is not None
        first = kw.get("weights") is not None
        if floor or (stage == "both" and first):
            return MilpSolution("none", np.zeros(self.num_columns, dtype=bool), 0.0,
                                float("inf"))
        return real(self, seconds, **kw)

    monkeypatch.setattr(LinearModel, "solve", out_of_time)
    vols, elds = two_pairs(needs="haircut")
    vols["skills"] = ["haircut", ""]
    result, report, _ = run(tmp_path, vols, elds, MARCH_2027, 8)
    assert report.ok, report.text()
    assert len(rows(result, "visit")) == 16
    assert len(rows(result, "service")) == 2  # March, and April (25 days inside, >= 14)
    status = "greedy" if stage == "both" else "feasible"
    assert result.stats["window_status"] == {status: 2}


def test_an_event_short_of_organisers_says_who_could_have_come(tmp_path):
    """Eleven elders need ceil(11/10) = 2 organisers at the Spring Festival (17 February
    2026, or the three days before: Saturday to Tuesday). Only V1 works those days; V2-V4
    work Wednesday to Friday. So 1 of 2 organisers comes, the festival is listed as unmet
    with the others named, and the bound proves no schedule could do better."""
    vols = volunteers({"x": 0.0, "max_elders": 4, "weekly_minutes": 600},
                      *({"x": 0.1 * i, "max_elders": 4, "weekly_minutes": 600,
                         "available_days": "Wed Thu Fri"} for i in range(1, 4)))
    elds = elders(*({"x": 0.05 * i, "age": 85, "community": "民乐社区"} for i in range(11)))
    result, report, _ = run(tmp_path, vols, elds, dt.date(2026, 2, 9), 2)
    fest = rows(result, "festival")
    assert fest["volunteer_id"].tolist() == ["V1"]
    unmet = result.unmet[result.unmet["activity"] == "festival"]
    assert len(unmet) == 1
    assert unmet["reason"].iloc[0].startswith("only 1 of the 2 organisers needed (2026-02-1")
    assert "V2 (" in unmet["reason"].iloc[0]
    assert result.stats["unmet_by_kind"]["festival"] == {"unmet": 1, "lower_bound": 1}
    assert list(report.broken) == ["festival"]
