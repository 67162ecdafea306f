"""The hand-out workbook: Chinese sheet names and headers by default, numbers as numbers and
dates as dates, the names, addresses and phones of elders and volunteers, a sheet per week
of who visits whom; the same from the command line and the console."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from matching.cli import main
from matching.outputs.folder import load_run
from matching.outputs.workbook import workbook_bytes

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"
INPUTS = ["--volunteers", str(MINLE / "volunteers.csv"), "--elders", str(MINLE / "elders.csv"),
          "--relations", str(MINLE / "relations.csv")]

SHEETS_ZH = ["结对", "排班", "问候电话", "第1周（03-30起）", "第2周（04-06起）", "未能安排",
             "未结对"]
PAIRS_ZH = ["老人姓名", "老人编号", "优先级", "电话", "住址", "社区", "志愿者姓名",
            "志愿者编号", "志愿者电话", "距离（公里）", "每周用时（分钟）", "关系", "备用志愿者",
            "备用志愿者电话"]
SCHEDULE_ZH = ["日期", "星期", "开始", "结束", "活动", "志愿者姓名", "志愿者电话", "老人姓名",
               "住址", "电话", "服务项目", "分钟"]


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("minle")
    assert main(["pair", *INPUTS, "--out", str(out / "pair"), "--quiet"]) == 0
    assert main(["schedule", *INPUTS, "--assignments", str(out / "pair" / "assignments.csv"),
                 "--start", "2026-03-30", "--weeks", "2", "--out", str(out / "plan"),
                 "--quiet"]) == 0
    return out / "plan"


@pytest.mark.slow
def test_sheets_headers_and_types(two_weeks, tmp_path):
    target = tmp_path / "计划.xlsx"
    assert main(["workbook", str(two_weeks), "--out", str(target)]) == 0
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == SHEETS_ZH
    pairs = book["结对"]
    assert [c.value for c in pairs[1]] == PAIRS_ZH
    assert [c.value for c in book["排班"][1]] == SCHEDULE_ZH
    assert [c.value for c in book["第1周（03-30起）"][1]] == SCHEDULE_ZH
    assert [c.value for c in book["未结对"][1]] == ["老人", "原因"]
    assert [c.value for c in book["未能安排"][1]] == ["老人", "时段", "活动", "原因"]
    # Minle's 155 elders are all paired: a header and 155 rows
    assert pairs.max_row == 156
    first = {h: c.value for h, c in zip(PAIRS_ZH, pairs[2], strict=True)}
    assignments = pd.read_csv(two_weeks / "assignments.csv", dtype=str)
    elders = pd.read_csv(MINLE / "elders.csv", dtype=str).set_index("elder_id")
    row = assignments.iloc[0]
    assert first["老人编号"] == row["elder_id"]
    assert first["老人姓名"] == elders.loc[row["elder_id"], "name"]
    assert first["电话"] == elders.loc[row["elder_id"], "phone"]  # a phone stays text
    assert first["住址"] == elders.loc[row["elder_id"], "address"]
    assert isinstance(first["距离（公里）"], float)
    assert first["距离（公里）"] == round(float(row["distance_km"]), 1)
    schedule = book["排班"]
    assert isinstance(schedule["A2"].value, dt.datetime)  # a date cell, shown as a date
    assert schedule["A2"].number_format == "yyyy-mm-dd"
    assert isinstance(schedule["L2"].value, int | float)
    # the calls are runs of days: as many days in all as the schedule has calls, and none
    # in the schedule sheet
    plan = pd.read_csv(two_weeks / "schedule.csv", dtype=str)
    calls = pd.read_excel(target, sheet_name="问候电话", engine="openpyxl")
    assert list(calls.columns) == ["志愿者姓名", "志愿者电话", "老人姓名", "电话", "时间", "从",
                                   "到", "天数"]
    assert calls["天数"].sum() == (plan["activity"] == "call").sum() == 155 * 14
    assert ((calls["到"] - calls["从"]).dt.days + 1 == calls["天数"]).all()
    assert schedule.max_row - 1 == (plan["activity"] != "call").sum()
    # the week sheets hold the home activities of their week only
    week = pd.read_excel(target, sheet_name="第1周（03-30起）", engine="openpyxl")
    assert set(week["活动"]) <= {"上门探访", "专业服务", "生日问候"}
    assert week["日期"].between("2026-03-30", "2026-04-05").all()


@pytest.mark.slow
def test_english_on_request_and_the_console_gives_the_same(two_weeks, tmp_path):
    target = tmp_path / "plan.xlsx"
    assert main(["workbook", str(two_weeks), "--out", str(target), "--lang", "en"]) == 0
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["Pairs", "Schedule", "Calls", "Week 1 (from 03-30)",
                               "Week 2 (from 04-06)", "Unmet", "Unpaired"]
    # the console's is made by the same function
    assert openpyxl.load_workbook(io.BytesIO(workbook_bytes(load_run(two_weeks), "en")),
                                  read_only=True).sheetnames == book.sheetnames


def test_a_workbook_must_be_an_xlsx(two_weeks, tmp_path, capsys):
    assert main(["workbook", str(two_weeks), "--out", str(tmp_path / "plan.xls")]) == 2
    assert "must be an .xlsx file" in capsys.readouterr().err
    assert not (tmp_path / "plan.xls").exists()
