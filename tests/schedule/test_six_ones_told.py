"""The six ones told truly: every one of them in every table (planned, unmet, or not due in
this horizon and why), one unmet count read everywhere, and every promise kept in a horizon
that covers months and quarters only in part."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from matching.analysis import report
from matching.analysis.compare import compare
from matching.cli import main
from matching.outputs.folder import load_run
from matching.outputs.runfolder import RunFolder
from tests.conftest import elders, volunteers
from tests.schedule.test_plan import rows, run


def test_the_county_spring_plans_its_group_activity_and_june_service(tmp_path):
    """13 weeks from Monday 2026-03-30 (the bundled county scenario's horizon) meet Q2 for 89
    days and June for 28: the group activity is planned between 04-01 and 06-28, a service
    in each of April, May and June, and none in March (2 days)."""
    vols = volunteers({"x": 0, "skills": "haircut", "weekly_minutes": 600})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut"}, {"x": 0.2, "age": 85})
    result, report_, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 30), 13)
    assert report_.ok, report_.text()
    group = rows(result, "group")
    assert len(group) == 1 and "2026-04-01" <= group["date"].iloc[0] <= "2026-06-28"
    assert rows(result, "service")["date"].str[:7].tolist() == ["2026-04", "2026-05", "2026-06"]
    six = result.six_ones()
    assert [six[k]["due"] for k in six] == [
        2 * 91,  # calls: 2 elders x 91 days
        2 * 13,  # visits: 2 x 13 whole weeks
        3,       # services: E1 x April, May, June
        1,       # group: 1 community x Q2
        1,       # festival: Dragon Boat, 2026-06-19, 1 community
        0]       # birthdays: none given


def swap_scenario(tmp_path):
    """Eight weeks from 2027-02-01 for a haircut-and-laundry elder whose laundry nobody
    offers: in February haircut is due and given; in March (28 of its days inside, due)
    laundry is due, nobody near offers it, and haircut is given instead: one row of
    unmet.csv, a rotation swap, and nothing else unmet."""
    return scenario(tmp_path, volunteers({"x": 0, "skills": "haircut", "weekly_minutes": 600}),
                    elders({"x": 0.1, "age": 85, "needs": "haircut;laundry"}), "2027-02-01", 8)


def scenario(tmp_path, vols, elds, start: str, weeks: int):
    """A scenario file planning ``vols`` and ``elds`` for ``weeks`` weeks from ``start``."""
    for name, frame in (("volunteers", vols), ("elders", elds)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "s.toml").write_text(
        '[inputs]\nvolunteers = "volunteers.csv"\nelders = "elders.csv"\n'
        f"[schedule]\nstart = {start}\nweeks = {weeks}\n", encoding="utf-8")
    return tmp_path / "s.toml"


def test_one_unmet_count_everywhere(tmp_path, capsys):
    """The swap is counted once and read alike by the command's summary, summary.json,
    compare, the report and the console's table."""
    assert main(["run", str(swap_scenario(tmp_path)), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "  another need                       1" in printed
    assert "  unmet in all                       1  (the rows of unmet.csv)" in printed
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["schedule"]["unmet"] == 1 and summary["schedule"]["rotation_swaps"] == 1
    assert compare([tmp_path / "out"])["unmet"].tolist() == [1.0]
    plan = load_run(tmp_path / "out")
    said = report.findings(plan, "zh")
    assert any("1 项未能安排" in line for line in said)
    assert any("其中 1 个月应做的服务项目附近无人能做" in line for line in said)
    assert not any("所有应有的服务都已安排" in line for line in said)


def test_a_kind_not_due_is_told_with_its_reason(tmp_path, capsys):
    """3 weeks from 2026-03-30 meet Q2 for 13 days (< 28) and no festival: group and
    festival are not due, and every table says so with the reason; nothing says "all
    planned" without it."""
    path = scenario(tmp_path, volunteers({"x": 0}),
                    elders({"x": 0.1, "age": 85, "birthday": "1940-04-02"}), "2026-03-30", 3)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "  group                not due  no quarter has 28 days or more in 2026-03-30 to " \
           "2026-04-19" in printed
    assert "  festival             not due  no festival falls in 2026-03-30 to 2026-04-19" \
        in printed
    assert "  service              not due  no elder has a service need" in printed
    plan = load_run(tmp_path / "out")
    table = report.six_ones_table(plan, "zh")
    assert table.index.tolist() == ["call", "visit", "service", "group", "festival",
                                    "birthday"]
    assert table.loc["group", "note"] == \
        "本期不需要：2026-03-30 至 2026-04-19 没有哪个季度有至少 28 天在计划期内"
    assert table.loc["birthday"].tolist() == [1, 1, 0, 0, "全部安排"]
    said = " ".join(report.findings(plan, "zh"))
    assert "所有应有的服务都已安排" in said
    assert "本期不需要安排：专业服务（没有老人登记服务需求）、" \
        "集体活动（2026-03-30 至 2026-04-19 没有哪个季度有至少 28 天在计划期内）、节日活动" in said


def test_an_event_is_counted_once_however_many_organise_it(tmp_path):
    """Eleven elders need ceil(11 / 10) = 2 organisers at Q2's group activity and at the
    Dragon Boat festival (2026-06-19): 2 rows each, 1 event each, as due."""
    vols = volunteers(*({"x": 0.1 * i, "weekly_minutes": 900, "max_elders": 6}
                        for i in range(2)))
    elds = elders(*({"x": 0.05 * i, "age": 85} for i in range(11)))
    result, report_, _ = run(tmp_path, vols, elds, dt.date(2026, 3, 30), 13)
    assert report_.ok, report_.text()
    assert len(rows(result, "group")) == len(rows(result, "festival")) == 2
    six = result.six_ones()
    assert [(six[k]["due"], six[k]["planned"]) for k in ("group", "festival")] == [(1, 1),
                                                                                 (1, 1)]


def test_event_titles_are_in_the_readers_language(tmp_path):
    """February 2027 holds Spring Festival (02-06) and Lantern Festival (02-20): a Chinese
    folder names them 春节 and 元宵节 only, an English one Spring Festival and Lantern
    Festival only; Q1's group activity likewise."""
    vols, elds = volunteers({"x": 0}), elders({"x": 0.1, "age": 85})
    result, report_, zh = run(tmp_path, vols, elds, dt.date(2027, 2, 1), 4)
    assert report_.ok, report_.text()
    RunFolder.for_schedule(result, "en").write(tmp_path / "en")
    titles = {lang: set(pd.read_csv(folder / "schedule.csv", dtype=str,
                                    keep_default_na=False)["title"]) - {""}
              for lang, folder in (("zh", zh), ("en", tmp_path / "en"))}
    assert titles == {"zh": {"春节", "元宵节", "2027年第1季度集体活动"},
                      "en": {"Spring Festival", "Lantern Festival", "2027 Q1 group activity"}}
    page = (zh / "rota" / "V1.html").read_text(encoding="utf-8")
    assert "春节" in page and "Spring" not in page
