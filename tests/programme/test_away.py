"""Someone away for a while stays on the roster and nobody is re-paired: an away
volunteer's weeks go to the backup, an away elder is owed no visit in her weeks, and the
independent checker holds the schedule to the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from matching import checker
from matching.cli import main
from matching.programme.roster import check_change, roster_as_of
from matching.rules.errors import InputError
from matching.world.parse import parse_periods

MINLE = Path(__file__).resolve().parents[2] / "scenarios" / "minle"
#: V00022 (primary of E00000, E00018 and E00071 in Minle's plan) is ill for two full
#: weeks; E00001 is in hospital three days of the third week.
ILL, HOSPITAL = ("2026-04-06", "2026-04-19"), ("2026-04-13", "2026-04-15")


def test_the_roster_writes_every_period_away():
    changes = [check_change({"kind": "away", "person": "volunteer", "id": "V00022",
                             "date": ILL[0], "until": ILL[1]}),
               check_change({"kind": "away", "person": "elder", "id": "E00001",
                             "date": HOSPITAL[0], "until": HOSPITAL[1]}),
               check_change({"kind": "away", "person": "volunteer", "id": "V00022",
                             "date": "2026-06-01", "until": "2026-06-03"})]
    # taken as of before any of them: the periods are known all the same
    roster = roster_as_of(MINLE / "volunteers.csv", MINLE / "elders.csv",
                          MINLE / "relations.csv", changes, dt.date(2026, 3, 30))
    away = dict(zip(roster.volunteers["volunteer_id"], roster.volunteers["away"],
                    strict=True))
    assert parse_periods(away["V00022"]) == (
        (dt.date(2026, 4, 6), dt.date(2026, 4, 19)), (dt.date(2026, 6, 1), dt.date(2026, 6, 3)))
    assert away["V00001"] == "" and roster.away == []
    assert len(roster.ids("volunteer")) == 63  # away is not gone
    on = roster_as_of(MINLE / "volunteers.csv", MINLE / "elders.csv", None, changes,
                      dt.date(2026, 4, 14))
    assert sorted((c.person, c.id) for c in on.away) == [("elder", "E00001"),
                                                       ("volunteer", "V00022")]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Minle with the two periods away, paired and scheduled for four weeks."""
    folder = tmp_path_factory.mktemp("away")
    volunteers = pd.read_csv(MINLE / "volunteers.csv", dtype=str, keep_default_na=False)
    elders = pd.read_csv(MINLE / "elders.csv", dtype=str, keep_default_na=False)
    volunteers["away"] = [f"{ILL[0]}/{ILL[1]}" if v == "V00022" else ""
                          for v in volunteers["volunteer_id"]]
    elders["away"] = [f"{HOSPITAL[0]}/{HOSPITAL[1]}" if e == "E00001" else ""
                      for e in elders["elder_id"]]
    volunteers.to_csv(folder / "volunteers.csv", index=False)
    elders.to_csv(folder / "elders.csv", index=False)
    inputs = ["--volunteers", str(folder / "volunteers.csv"), "--elders",
              str(folder / "elders.csv"), "--relations", str(MINLE / "relations.csv")]
    out = folder / "plan"
    assert main(["pair", *inputs, "--out", str(out), "--quiet"]) == 0
    assert main(["schedule", *inputs, "--assignments", str(out / "assignments.csv"),
                 "--start", "2026-03-30", "--weeks", "4", "--out", str(out), "--quiet"]) == 0
    return folder, out


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_an_away_volunteers_weeks_go_to_the_backup(planned):
    """V00022 has no activity, not even a call, in the two weeks; each of their elders has
    exactly one visit in each of those weeks, by the backup; nothing goes unmet."""
    _, out = planned
    schedule, backups = read(out / "schedule.csv"), read(out / "backups.csv")
    assignments = read(out / "assignments.csv")
    during = schedule[(schedule["date"] >= ILL[0]) & (schedule["date"] <= ILL[1])]
    assert during[during["volunteer_id"] == "V00022"].empty
    mine = assignments[assignments["volunteer_id"] == "V00022"]["elder_id"].tolist()
    assert len(mine) == 3
    backup = dict(zip(backups["elder_id"], backups["backup_id"], strict=True))
    for e in mine:
        visits = during[(during["elder_id"] == e) & (during["activity"] == "visit")]
        assert len(visits) == 2 and set(visits["volunteer_id"]) == {backup[e]}
        calls = during[(during["elder_id"] == e) & (during["activity"] == "call")]
        assert len(calls) == 14 and set(calls["volunteer_id"]) == {backup[e]}
    assert read(out / "unmet.csv").empty


def test_an_away_elder_is_owed_no_visit_that_week(planned):
    """E00001 has a visit in weeks 1, 2 and 4, none in week 3 (the hospital's), and no
    unmet row for it; her calls go on."""
    _, out = planned
    schedule = read(out / "schedule.csv")
    visits = schedule[(schedule["elder_id"] == "E00001") & (schedule["activity"] == "visit")]
    mondays = sorted({(dt.date.fromisoformat(d) - dt.timedelta(
        days=dt.date.fromisoformat(d).weekday())).isoformat() for d in visits["date"]})
    assert mondays == ["2026-03-30", "2026-04-06", "2026-04-20"]
    calls = schedule[(schedule["elder_id"] == "E00001") & (schedule["activity"] == "call")]
    assert len(calls) == 28


def test_the_independent_checker_holds_the_plan_to_the_periods(planned):
    """The plan passes; the same plan with a visit put on a day the elder is away, or by
    the volunteer while away, is caught."""
    folder, out = planned
    world = checker.CheckWorld.read(folder / "volunteers.csv", folder / "elders.csv",
                                    MINLE / "relations.csv")
    start = dt.date(2026, 3, 30)
    festivals = checker.festival_dates(start, start + dt.timedelta(weeks=4))
    assert checker.check_schedule(world, out, start, 4, festivals).ok
    schedule = read(out / "schedule.csv")
    wrong = schedule.copy()
    first = wrong.index[(wrong["activity"] == "visit") & (wrong["date"] >= ILL[0]) &
                        (wrong["date"] <= ILL[1])][0]
    wrong.loc[first, "volunteer_id"] = "V00022"
    bad = folder / "bad"
    bad.mkdir()
    wrong.to_csv(bad / "schedule.csv", index=False)
    (bad / "assignments.csv").write_bytes((out / "assignments.csv").read_bytes())
    report = checker.check_schedule(world, bad, start, 4, festivals)
    assert not report.ok and any("V00022 is away" in p for p in report.broken["away"])


def test_a_join_under_an_id_that_differs_only_in_case_is_refused():
    """Issue 30, attack 8: v00001 joining beside V00001 would share her rota file on a
    disk that ignores case."""
    join = check_change({"kind": "join", "person": "volunteer", "id": "v00001",
                         "date": "2026-04-06", "row": {"name": "新人", "phone": "13900000000"}},
                        where="changes.csv", line=2)
    with pytest.raises(InputError) as refused:
        roster_as_of(MINLE / "volunteers.csv", MINLE / "elders.csv", None, [join],
                     dt.date(2026, 4, 6))
    (problem,) = refused.value.problems
    assert (problem.file, problem.row, problem.code) == ("changes.csv", 2, "roster.case_twin")
    assert "'V00001'" in problem.text("en")


def test_an_edit_of_a_column_that_never_changes_is_refused_by_name():
    """Found by the type checker: the refusal passed ``column`` twice and raised TypeError
    instead of saying which column cannot be edited."""
    with pytest.raises(InputError) as refused:
        check_change({"kind": "edit", "person": "volunteer", "id": "V00022",
                      "date": "2026-04-06", "row": {"skills": "haircut", "banked": "9"}})
    (issue,) = refused.value.problems
    assert (issue.code, issue.column, issue.params["field"]) == (
        "roster.not_editable", "row", "banked")
    assert issue.words("en") == ("'banked' cannot be edited (the id never changes; "
                                 "phone, address, coordinates, days, capacity and needs can)")
