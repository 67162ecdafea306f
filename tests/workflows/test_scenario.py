"""Scenario files: parsing, inheritance, errors, what-if edits, the output folder, compare."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import matching
from matching import analysis, checker
from matching.cli import main
from matching.rules.errors import InputError
from matching.workflows.scenario import load_scenario
from matching.workflows.whatif import apply_whatif, read_tables
from matching.world.generate import PRESETS, generate_world
from tests.conftest import nothing_dropped_silently


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A small generated world in tmp_path/data."""
    w = generate_world(PRESETS["minle"].replace(volunteers=24, elders=50), seed=11)
    folder = tmp_path / "data"
    folder.mkdir()
    w.volunteers.to_csv(folder / "volunteers.csv", index=False)
    w.elders.to_csv(folder / "elders.csv", index=False)
    w.relations.to_csv(folder / "relations.csv", index=False)
    return folder


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
name = "small"
[inputs]
volunteers = "data/volunteers.csv"
elders = "data/elders.csv"
relations = "data/relations.csv"
[schedule]
start = 2026-03-30
weeks = 5
[solver]
time_limit = 30
seed = 3
"""


def test_parse_and_defaults(tmp_path, world):
    """Paths resolve against the file; unset rules keep the contract's defaults."""
    sc = load_scenario(write(tmp_path / "s.toml", BASE + "[rules]\nmax_km = 2.5\n"))
    assert sc.inputs["volunteers"] == (tmp_path / "data" / "volunteers.csv").resolve()
    assert sc.rules.max_km == 2.5 and sc.rules.max_kin_km == 10.0
    assert (sc.weeks, sc.seed, sc.steps["schedule"]) == (5, 3, True)


def test_inheritance(tmp_path, world):
    """A what-if is a few lines: base settings hold unless overridden, tables merge."""
    write(tmp_path / "base.toml", BASE)
    (tmp_path / "whatif").mkdir()
    sc = load_scenario(write(tmp_path / "whatif" / "w.toml",
                             'base = "../base.toml"\nname = "w"\n[solver]\nseed = 9\n'
                             "[whatif]\nleaving_share = 0.2\n"))
    assert sc.name == "w" and sc.seed == 9 and sc.time_limit == 30
    assert sc.inputs["elders"] == (tmp_path / "data" / "elders.csv").resolve()
    assert sc.whatif == {"leaving_share": 0.2}


@pytest.mark.parametrize(("text", "message"), [
    (BASE.replace("seed = 3", "seed = 3\nspeed = 3"), "key solver.speed (line 13) is unknown"),
    (BASE.replace("weeks = 5", 'weeks = "five"'), "key schedule.weeks (line 9) must be a "
                                                   "whole number"),
    ("colour = 1\n" + BASE, "key colour (line 1) is not a scenario setting"),
    (BASE.replace("data/elders.csv", "data/nope.csv"), "key inputs.elders (line 5): "
                                                       "data/nope.csv does not exist"),
    ('base = "missing.toml"\n' + BASE, "key base (line 1): missing.toml does not exist"),
    (BASE + "[rules\n", "is not valid TOML"),
    (BASE + "[rules]\nmax_km = true\n", "key rules.max_km (line"),
    (BASE.replace("weeks = 5", "weeks = 5\nrota_block_weeks = 0"),
     "key schedule.rota_block_weeks (line 10) must be at least 1, not 0"),
    (BASE.replace("weeks = 5", "weeks = 5\nelders_per_organiser = 0"),
     "key schedule.elders_per_organiser (line 10) must be at least 1, not 0"),
    (BASE.replace("weeks = 5", "weeks = 5\nbackup_visits_per_block = 4"),
     "key schedule.backup_visits_per_block (line 10) (4) leaves the primary volunteer no "
     "visit in a block of rota_block_weeks 4; the backup may make at most 3 of them"),
    (BASE.replace("weeks = 5", "weeks = 5\nday_end = 400"),
     "key schedule.day_end (line 10) (06:40) is not after day_start (08:00): there is no "
     "time in the day for any activity"),
    (BASE.replace("weeks = 5", "weeks = 5\nfrom = 2026-06-01"),
     "key schedule.from (line 10) contradicts key schedule.start (line 8) and key "
     "schedule.weeks (line 9): (2026-06-01) lies outside the horizon 2026-03-30 to 2026-05-03"),
    # two settings that contradict each other are both named, with their lines
    (BASE.replace("weeks = 5", "weeks = 5\ngroup_start = 1080\ngroup_minutes = 180"),
     "key schedule.group_start (line 10) contradicts key schedule.group_minutes (line 11): "
     "(18:00) with group_minutes 180 ends a group activity at 21:00, after day_end (20:00); "
     "start it earlier, shorten it, or end the day later"),
    (BASE.replace("weeks = 5", "weeks = 5\nservice_minutes = 45.5"),
     "key schedule.service_minutes (line 10) must be a whole number, not 45.5"),
    (BASE.replace("weeks = 5", 'weeks = 5\nlang = "fr"'),
     "key schedule.lang (line 10) must be one of zh, en, not 'fr'"),
    (BASE.replace("weeks = 5", "weeks = 0"), "key schedule.weeks (line 9) must be at least 1"),
    (BASE + "[rules]\nmax_km = 3.0\nmax_kin_km = 2.0\n",
     "key rules.max_kin_km (line 15) contradicts key rules.max_km (line 14): (2 km) is "
     "shorter than max_km (3 km): kin would have to live closer than anyone else"),
    (BASE.replace("weeks = 5", "weeks = 5\nfestivals = [{ name = \"X\", month = 13, day = 1 }]"),
     "key schedule.festivals (line 10) entry ('X', 'X', 13, 1) needs a name"),
])
def test_errors_name_file_key_and_line(tmp_path, world, capsys, text, message):
    """Unknown keys, wrong types, missing paths and bad TOML: exit 2 with file, key, line."""
    path = write(tmp_path / "bad.toml", text)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and message in err
    assert not (tmp_path / "out").exists()


def test_rules_are_checked_where_they_are_set(tmp_path, world, capsys):
    """A bad rule in a base file is reported against the base file and its line."""
    write(tmp_path / "base.toml", BASE.replace("weeks = 5", "weeks = 5\nrota_block_weeks = 0"))
    child = write(tmp_path / "child.toml", 'base = "base.toml"\n[solver]\nseed = 1\n')
    assert main(["run", str(child), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "base.toml: key schedule.rota_block_weeks (line 10) must be at least 1, not 0" in \
        capsys.readouterr().err


@pytest.mark.slow
def test_a_run_is_checked_under_its_own_rules(tmp_path, world, capsys):
    """A scenario that changes rules (a 3 km pairing limit, 45-minute services within 3 km)
    is checked by 'matching check --plan DIR' under the rules in DIR/scenario.toml, with the
    inputs and horizon of the folder: nothing is broken but the services listed as unmet.
    The contract's 60-minute services, given with --rule, find every service too short."""
    path = write(tmp_path / "s.toml", BASE + "[rules]\nmax_km = 3.0\n" +
                 "".join(f"{line}\n" for line in ("[run]", "schedule = true"))
                 ).read_text(encoding="utf-8")
    path = write(tmp_path / "s.toml", path.replace("weeks = 5", "weeks = 5\n"
                                                    "service_minutes = 45\nservice_km = 3.0"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    services = pd.read_csv(out / "schedule.csv").query("activity == 'service'")
    assert len(services) > 0 and set(services["minutes"]) == {45}
    unmet = pd.read_csv(out / "unmet.csv").query("activity == 'service'")
    capsys.readouterr()
    code = main(["check", "--plan", str(out)])
    printed = capsys.readouterr().out
    broken = {line.split(":")[0][7:]: int(line.split(":")[1])
              for line in printed.splitlines() if line.startswith("BROKEN")}
    # a month without its service breaks the rotation too where someone could have given
    # the need (they were booked); a need nobody within 3 km offers gives way instead
    booked = unmet[unmet["reason_code"].str.startswith("unmet.service_booked")]["elder_id"]
    assert broken == ({"service": len(unmet)} if len(unmet) else {}) | (
        {"service-rotation": booked.nunique()} if len(booked) else {})
    assert code == (1 if len(unmet) else 0)
    assert main(["check", "--plan", str(out), "--rule", "service_minutes=60"]) == 1
    assert f"BROKEN duration: {len(services)}" in capsys.readouterr().out
    assert main(["check", "--plan", str(out), "--rule", "speed=3"]) == 2


@pytest.mark.slow
def test_a_scenario_reschedules_from_a_date(tmp_path, world):
    """[schedule] from and previous re-plan a published schedule from a date, as
    'matching schedule --from --previous' does: every row before the date is kept."""
    first = write(tmp_path / "first.toml", BASE)
    assert main(["run", str(first), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    again = write(tmp_path / "again.toml", BASE.replace(
        "weeks = 5", 'weeks = 5\nfrom = 2026-04-15\nprevious = "a/schedule.csv"'))
    assert main(["run", str(again), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    a = pd.read_csv(tmp_path / "a" / "schedule.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(tmp_path / "b" / "schedule.csv", dtype=str, keep_default_na=False)
    before = "date < '2026-04-15'"
    pd.testing.assert_frame_equal(a.query(before).reset_index(drop=True),
                                  b.query(before).reset_index(drop=True))
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["from"] == "2026-04-15"


def test_base_loop_is_an_error(tmp_path, world):
    """Two files that extend each other are refused."""
    write(tmp_path / "a.toml", 'base = "b.toml"\n' + BASE)
    write(tmp_path / "b.toml", 'base = "a.toml"\n')
    with pytest.raises(InputError, match="loop"):
        load_scenario(tmp_path / "a.toml")


def test_whatif_edits(tmp_path, world):
    """Leaving by id and by seeded share, extra volunteers, capacities, days, new elders."""
    extra = pd.DataFrame({"volunteer_id": ["X1"], "lat": ["35.601"], "lon": ["110.968"]})
    extra.to_csv(tmp_path / "extra.csv", index=False)
    joining = pd.DataFrame({"elder_id": ["N1"], "lat": ["35.6012"], "lon": ["110.9681"]})
    joining.to_csv(tmp_path / "joining.csv", index=False)
    sc = load_scenario(write(tmp_path / "s.toml", BASE + """
[whatif]
leaving = ["V00001"]
leaving_share = 0.25
leaving_seed = 7
leaving_from = "all"
extra_volunteers = "extra.csv"
joining_elders = "joining.csv"
capacity = [{ volunteer_id = "V00002", max_elders = 1, weekly_minutes = 90 }]
available_days = [{ volunteer_id = "*", remove_days = "Sun" }]
"""))
    t = apply_whatif(sc, read_tables(sc))
    again = apply_whatif(sc, read_tables(sc))
    assert t.leaving == again.leaving  # seeded
    assert "V00001" in t.leaving and len(t.leaving) in (7, 8)
    assert "X1" in set(t.volunteers["volunteer_id"]) and "N1" in set(t.elders["elder_id"])
    row = t.volunteers.set_index("volunteer_id").loc["V00002"]
    assert (row["max_elders"], row["weekly_minutes"]) == ("1", "90")
    assert not t.volunteers["available_days"].str.contains("Sun").any()


@pytest.mark.slow
def test_run_folder_is_self_contained_and_repeatable(tmp_path, world):
    """matching run writes the outputs, inputs/, scenario.toml, run.json and summary.json;
    the folder passes the independent checks from its own inputs/; a second run is
    byte-identical."""
    path = write(tmp_path / "s.toml", BASE + "[whatif]\nleaving_share = 0.1\nleaving_seed = 2\n")
    for name in ("a", "b"):
        assert main(["run", str(path), "--out", str(tmp_path / name), "--quiet"]) == 0
    out = tmp_path / "a"
    for f in ("assignments.csv", "unassigned.csv", "changes.csv", "schedule.csv", "unmet.csv",
              "credits.csv", "rota.html", "scenario.toml", "run.json", "summary.json",
              "inputs/volunteers.csv", "inputs/elders.csv", "inputs/relations.csv",
              "inputs/leaving.csv", "baseline/assignments.csv"):
        assert (out / f).is_file(), f
        if not f.endswith(".json"):
            assert (out / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    run = json.loads((out / "run.json").read_text())
    assert run["start"] == "2026-03-30" and run["weeks"] == 5 and run["seed"] == 3
    assert set(run["versions"]) >= {"matching", "ortools"}
    leaving = set(pd.read_csv(out / "inputs" / "leaving.csv", dtype=str)["volunteer_id"])
    planned = set(pd.read_csv(out / "inputs" / "volunteers.csv", dtype=str)["volunteer_id"])
    assert leaving and not leaving & planned
    inputs = [out / "inputs" / f for f in ("volunteers.csv", "elders.csv", "relations.csv")]
    assert checker.check_pairing(*inputs, None, out).ok
    report = checker.check_schedule_files(*inputs, None, out, __import__("datetime").date(
        2026, 3, 30), 5)
    unmet = pd.read_csv(out / "unmet.csv", dtype=str, keep_default_na=False)
    nothing_dropped_silently(report, SimpleNamespace(unmet=unmet))
    resolved = load_scenario(out / "scenario.toml")
    assert resolved.seed == 3 and resolved.whatif["leaving_share"] == 0.1


@pytest.mark.slow
def test_compare(tmp_path, world, capsys):
    """compare prints the figures side by side and writes them as CSV."""
    a = write(tmp_path / "a.toml", BASE)
    b = write(tmp_path / "b.toml", 'base = "a.toml"\nname = "fewer"\n[whatif]\n'
                                   'leaving_share = 0.3\n')
    for path, name in ((a, "A"), (b, "B")):
        assert main(["run", str(path), "--out", str(tmp_path / name), "--quiet"]) == 0
    assert main(["compare", str(tmp_path / "A"), str(tmp_path / "B"), "--csv",
                 str(tmp_path / "cmp.csv")]) == 0
    printed = capsys.readouterr().out
    for figure in ("coverage_priority_", "mean_distance_km", "load_jain", "unmet",
                   "credit_hours", "pairs_changed"):
        assert figure in printed
    # one row per run, labelled by its folder, its scenario's name beside
    table = pd.read_csv(tmp_path / "cmp.csv", index_col="run")
    assert list(table.index) == ["A", "B"]
    assert table["scenario"].tolist() == ["small", "fewer"]
    assert all(pd.api.types.is_numeric_dtype(t) for t in table.drop(columns="scenario").dtypes)
    # the first run changed nothing (no re-plan): missing; the second re-paired some
    assert pd.isna(table.loc["A", "pairs_changed"])
    assert table.loc["B", "pairs_changed"] > 0
    frame = analysis.compare([tmp_path / "A", matching.load_run(tmp_path / "B")])
    # counts are whole numbers (missing where there is no such thing), the rest floats
    assert str(frame["assigned"].dtype) == "Int64" and str(frame["coverage"].dtype) == "float64"
    assert frame.loc["A", "elders"] == table.loc["A", "elders"]
    assert frame["pairs_changed"].isna().tolist() == [True, False]
    assert 0 < frame.loc["B", "coverage"] <= frame.loc["A", "coverage"] <= 1
    # load means one thing everywhere: among those who serve, the idle counted apart, as the
    # report's fairness measures it
    run = matching.load_run(tmp_path / "A")
    fair = analysis.fairness(run).loc["minutes"]
    assert frame.loc["A", "idle_volunteers"] == fair["idle"]
    assert frame.loc["A", "serving_volunteers"] == fair["serving"]
    assert frame.loc["A", "load_mean_minutes"] == pytest.approx(fair["mean"], abs=1e-3)
    assert frame.loc["A", "load_jain"] == pytest.approx(fair["jain"], abs=1e-4)
    # two runs of one scenario stay two rows, told apart by their paths
    (tmp_path / "again").mkdir()
    assert main(["run", str(a), "--out", str(tmp_path / "again" / "A"), "--quiet"]) == 0
    twice = analysis.compare([tmp_path / "A", tmp_path / "again" / "A"])
    assert list(twice.index) == [f"{tmp_path.name}/A", "again/A"]
    assert twice["scenario"].tolist() == ["small", "small"]


def test_bundled_scenarios_parse():
    """Every file in scenarios/ loads."""
    folder = Path(__file__).resolve().parents[2] / "scenarios"
    files = sorted(folder.glob("*.toml"))
    assert len(files) >= 5
    for path in files:
        sc = load_scenario(path)
        assert sc.inputs["volunteers"].is_file()


@pytest.mark.slow
def test_minle_scenario_runs_clean(tmp_path):
    """The README's first command: minle.toml runs, walking on Minle's streets, and its
    folder passes the independent pairing and schedule checks from its own inputs/ and the
    pairs.csv of its walks with nothing broken."""
    folder = Path(__file__).resolve().parents[2] / "scenarios"
    out = tmp_path / "minle"
    assert main(["run", str(folder / "minle.toml"), "--out", str(out), "--quiet"]) == 0
    inputs = [out / "inputs" / f for f in ("volunteers.csv", "elders.csv", "relations.csv")]
    run = json.loads((out / "run.json").read_text())
    assert run["distance"]["kind"] == "walked"
    pairing = checker.check_pairing(*inputs, out / "pairs.csv", out)
    assert pairing.ok, pairing.text()
    report = checker.check_schedule_files(*inputs, out / "pairs.csv", out,
                                          dt.date.fromisoformat(run["start"]), run["weeks"])
    assert report.ok, report.text()


@pytest.mark.slow
def test_a_shorter_horizon_is_planned_checked_and_recorded(tmp_path, capsys):
    """``run_scenario(..., weeks=1)`` (``matching run --weeks 1``) plans Minle's first
    week (30 March to 5 April 2026) instead of its 13: the schedule holds only that week,
    the folder's own records say 1 week, and the independent checker finds nothing broken.
    A horizon under a week is one sentence naming ``--weeks``."""
    folder = Path(__file__).resolve().parents[2] / "scenarios"
    out = tmp_path / "minle-week"
    matching.run_scenario(folder / "minle.toml", out, weeks=1)
    run = json.loads((out / "run.json").read_text())
    assert run["weeks"] == 1
    assert "weeks = 1" in (out / "scenario.toml").read_text(encoding="utf-8")
    dates = pd.read_csv(out / "schedule.csv", dtype=str)["date"]
    assert (dates.min(), dates.max()) >= ("2026-03-30", "2026-03-30")
    assert dates.max() <= "2026-04-05"
    inputs = [out / "inputs" / f for f in ("volunteers.csv", "elders.csv", "relations.csv")]
    report = checker.check_schedule_files(*inputs, None, out, dt.date(2026, 3, 30), 1)
    assert report.ok, report.text()
    with pytest.raises(InputError) as caught:
        matching.run_scenario(folder / "minle.toml", tmp_path / "none", weeks=0)
    assert caught.value.problems[0].code == "input.weeks_at_least_one"
    assert not (tmp_path / "none").exists()
    # the command line, with the report written by the same process
    assert main(["run", str(folder / "minle.toml"), "--weeks", "1", "--report", "zh",
                 "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    page = (tmp_path / "cli" / "report.html").read_text(encoding="utf-8")
    assert "<html" in page and "民乐" in page
    # on the command line: one sentence naming --weeks, exit 2, nothing written
    assert main(["run", str(folder / "minle.toml"), "--weeks", "0", "--out",
                 str(tmp_path / "none"), "--quiet"]) == 2
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_the_county_scenario_plans_its_quarter(tmp_path):
    """jishan-county.toml's 13 weeks from 2026-03-30 hold no whole quarter, yet Q2 has 89
    days in it: every community gets its group activity (one day, its organisers), every
    elder with needs a service in April, May and June (28 days in it), and the independent
    checker finds nothing broken."""
    folder = Path(__file__).resolve().parents[2] / "scenarios"
    out = tmp_path / "county"
    assert main(["run", str(folder / "jishan-county.toml"), "--out", str(out), "--quiet"]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    elders = pd.read_csv(out / "inputs" / "elders.csv", dtype=str, keep_default_na=False)
    assigned = pd.read_csv(out / "assignments.csv", dtype=str)["elder_id"]
    communities = set(elders.loc[elders["elder_id"].isin(assigned), "community"])
    group = schedule[schedule["activity"] == "group"]
    assert set(group["community"]) == communities
    assert group.groupby("community")["date"].nunique().eq(1).all()
    assert group["date"].between("2026-04-01", "2026-06-28").all()
    needy = set(elders.loc[elders["elder_id"].isin(assigned) & (elders["needs"] != ""),
                           "elder_id"])
    services = schedule[schedule["activity"] == "service"]
    for month in ("2026-04", "2026-05", "2026-06"):
        assert set(services.loc[services["date"].str[:7] == month, "elder_id"]) == needy
    inputs = [out / "inputs" / f for f in ("volunteers.csv", "elders.csv", "relations.csv")]
    report = checker.check_schedule_files(*inputs, None, out, dt.date(2026, 3, 30), 13)
    assert report.ok, report.text()
