"""The next years: ages from birthdays, tiers entered, volunteers retiring and becoming
elders, and the first year each community runs short, worked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import matching
from matching.analysis.projection import age_on, project, world_in
from matching.cli import main
from tests.analysis.test_sweep import LAT, LON, scenario_file

START = dt.date(2026, 3, 30)


#: The programme's rules in these worlds: volunteers serve to 70 (the default is 75).
RULES = matching.Rules(volunteer_age_limit=70.0)


def two_villages() -> matching.World:
    """Village A (E1, born 1937-06-01, and V1, 69) and village B, 5 km north (E2, 79, no
    birthday; V2, 60; V3, 79), every volunteer with room for one elder; volunteers serve to
    70."""
    vols = pd.DataFrame({"volunteer_id": ["V1", "V2", "V3"], "age": [69, 60, 79],
                         "community": ["A", "B", "B"],
                         "lat": [LAT, LAT + 0.045, LAT + 0.0451], "lon": LON, "max_elders": 1})
    elds = pd.DataFrame({"elder_id": ["E1", "E2"], "age": [88, 79], "community": ["A", "B"],
                         "birthday": ["1937-06-01", ""], "lat": [LAT + 0.0002, LAT + 0.0452],
                         "lon": LON})
    return matching.read_world(vols.astype(str), elds.astype(str), rules=RULES)


def test_ages_count_from_full_birthdays_only():
    assert age_on(dt.date(2028, 3, 30), "1937-06-01") == 90  # 91 in June
    assert age_on(dt.date(2028, 6, 1), "1937-06-01") == 91
    assert np.isnan(age_on(START, "06-01"))


def test_the_roster_ages_and_villages_run_short_in_turn():
    # year 0 (2026): the roster as it stands: V3 (79, past the limit) still serves; E1 88
    #   (priority 2), E2 79 (1); V1 serves E1, V2 serves E2.
    # year 1 (2027): V3 retires (80 > 70) and, 80, is an elder of B; E2 turns 80 (priority
    #   2): B has two elders and V2 room for one -> B runs short.
    # year 2 (2028): E1 turns 90 (priority 3, born in June 1937: 90 on 30 March 2028); V1
    #   turns 71 and retires -> A runs short too.
    result = project(two_villages(), 2, START)
    years = result.years
    assert years["year"].tolist() == [2026, 2027, 2028]
    assert years["elders"].tolist() == [2, 3, 3]
    assert years["volunteers"].tolist() == [3, 2, 1]
    assert years["volunteers_retired"].tolist() == [0, 1, 2]
    assert years["new_elders"].tolist() == [0, 1, 1]
    assert years["assigned"].tolist() == [2, 2, 1]
    # the top tier: priority 2 (E1) in 2026; 2 (E1, E2, V3) in 2027; 3 (E1) in 2028
    assert years["top_tier_elders"].tolist() == [1, 3, 1]
    assert years["status"].tolist() == ["optimal"] * 3
    table = result.by_community.set_index(["year", "community"])
    assert table.loc[(2027, "B"), ["elders", "volunteers", "assigned"]].tolist() == [2, 1, 1]
    assert table.loc[(2028, "A"), ["elders", "volunteers", "assigned"]].tolist() == [1, 0, 0]
    assert result.first_short[["community", "first_short_year"]].values.tolist() == [
        ["B", 2027], ["A", 2028]]


def test_a_priority_the_file_gives_is_kept():
    world = two_villages()
    given = world.elders.with_columns(priority=np.array([7, 1]))  # E1's 7 is not the default
    later, _, _ = world_in(matching.World(world.volunteers, given, world.relations, None,
                                          world.rules), START, 2)
    assert later.elders.priority.tolist()[:2] == [7, 2]  # E2 at 81 follows the rule


def test_the_limits_are_rules():
    assert matching.Rules().volunteer_age_limit == 75.0  # the default: 60 to 75 serve
    world = two_villages()
    rules = world.rules.replace(volunteer_age_limit=80.0, elder_age=90.0)
    later, retired, joined = world_in(matching.World(world.volunteers, world.elders,
                                                     world.relations, None, rules), START, 2)
    # V3 at 81 is past 80 but not yet 90: retired, not an elder
    assert (retired, joined, len(later.volunteers)) == (1, 0, 2)


def test_the_project_command_writes_the_contract_table(tmp_path):
    scenario = scenario_file(two_villages(), tmp_path, "two villages",
                             "[rules]\nvolunteer_age_limit = 70\n")
    out = tmp_path / "out"
    assert main(["project", str(scenario), "--years", "2", "--from", "2026-03-30", "--out",
                 str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "projection.csv")
    assert table.columns.tolist()[:6] == ["year", "community", "elders", "volunteers",
                                          "assigned", "coverage"]
    assert table[["year", "community", "assigned"]].values.tolist() == [
        [2026, "A", 1], [2026, "B", 1], [2027, "A", 1], [2027, "B", 1], [2028, "A", 0],
        [2028, "B", 1]]
    assert sorted(p.name for p in out.iterdir()) == [
        "first_short.csv", "projection.csv", "projection.png", "projection_years.csv",
        "run.json"]


@pytest.mark.parametrize("years", ["0", "31", "x"])
def test_bad_years_exit_2(tmp_path, years):
    with pytest.raises(SystemExit) as stop:
        main(["project", "s.toml", "--years", years, "--out", str(tmp_path / "o")])
    assert stop.value.code == 2


def test_a_budget_is_shared_evenly_by_the_years(monkeypatch):
    # 3 years of a 30-second budget: the first pairing gets a third of what is left
    from matching.analysis import projection
    from matching.runtime.budget import Budget
    seen: list[float] = []
    solve = projection.solve_world

    def spy(world, options):
        seen.append(options.time_limit)
        return solve(world, options)
    monkeypatch.setattr(projection, "solve_world", spy)
    project(two_villages(), 2, START, budget=Budget(30.0), time_limit=100.0)
    assert len(seen) == 3
    assert 8.0 < seen[0] <= 30.0 / 3  # the write reserve aside
    assert seen[0] <= seen[1] <= seen[2]  # a year that ends early leaves its time
