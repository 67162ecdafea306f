"""A re-plan from a later date never contradicts itself: what unmet.csv says did not happen
is not in the same run's schedule.csv, and what schedule.csv keeps from before the date is
not listed as unmet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from matching.cli import main

MINLE = Path(__file__).parents[2] / "scenarios" / "minle"


def scenario(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.slow
@pytest.mark.parametrize("leaving", [["V00000", "V00001", "V00002"],
                                     [f"V000{k:02d}" for k in range(0, 60, 4)]])
def test_unmet_never_lists_a_visit_the_schedule_keeps(tmp_path, leaving):
    first = scenario(tmp_path / "a.toml", [
        'name = "a"', "[inputs]", *(f'{k} = "{MINLE / (k + ".csv")}"'
                                    for k in ("volunteers", "elders", "relations")),
        "[schedule]", "start = 2026-03-30", "weeks = 4"])
    assert main(["run", str(first), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    second = scenario(tmp_path / "b.toml", [
        'base = "a.toml"', 'name = "b"', "[schedule]",
        f'previous = "{tmp_path / "a" / "schedule.csv"}"', "from = 2026-04-13",
        "[whatif]", "leaving = [" + ", ".join(f'"{v}"' for v in leaving) + "]"])
    assert main(["run", str(second), "--out", str(tmp_path / "b"), "--quiet"]) == 0

    schedule, unmet = read(tmp_path / "b" / "schedule.csv"), read(tmp_path / "b" / "unmet.csv")
    dates = pd.to_datetime(schedule["date"])
    mondays = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date.astype(str)
    visited = set(zip(schedule.loc[schedule["activity"] == "visit", "elder_id"],
                      mondays[schedule["activity"] == "visit"], strict=True))
    unmet_visits = unmet[unmet["activity"] == "visit"]
    said_missing = set(zip(unmet_visits["elder_id"],
                           unmet_visits["when"].str.removeprefix("week of "), strict=True))
    assert said_missing & visited == set()
    # the two weeks before 13 April were published whole: the leavers' visits in them
    # happened, so nothing before the date is unmet
    assert (unmet["reason_code"] == "unmet.before_from").sum() == 0
    kept = schedule[pd.to_datetime(schedule["date"]).dt.date < dt.date(2026, 4, 13)]
    earlier = read(tmp_path / "a" / "schedule.csv")
    earlier = earlier[pd.to_datetime(earlier["date"]).dt.date < dt.date(2026, 4, 13)]
    assert len(kept) == len(earlier)
