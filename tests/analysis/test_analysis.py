"""Coverage, load, fairness and fulfilment on a small plan worked by hand; explanations
consistent with the model; the stability audit; figures; load_run on every kind of folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import matching
from matching import analysis
from matching.analysis import figures
from matching.analysis.leave_sweep import sweep
from matching.analysis.webmap import leaflet_js
from matching.cli import main
from matching.outputs.folder import Run
from matching.outputs.printing import PRINT_SCRIPT
from matching.schedule import schedule_world
from matching.world.generate import WorldSpec, generate_world
from matching.world.read import read_table
from tests.conftest import elders, volunteers


def hand_world():
    """V1 (at 0 km, 2 elders at most) takes E1 (0.1 km, aged 92: priority 3) and E2 (0.3 km);
    V2 (at 1 km, 1 elder) takes E3 (0.1 km from them); V3 lives 5 km out in community B and
    E4, 8 km out, has nobody within 2 km."""
    vols = volunteers({"x": 0, "max_elders": 2, "community": "A"},
                      {"x": 1.0, "max_elders": 1, "community": "A"},
                      {"x": 5.0, "max_elders": 1, "community": "B"})
    elds = elders({"x": 0.1, "age": 92, "community": "A", "birthday": "1935-03-03"},
                  {"x": 0.3, "age": 85, "community": "A"},
                  {"x": 1.1, "age": 81, "community": "A"},
                  {"x": 8.0, "age": 83, "community": "B"})
    return vols, elds


@pytest.fixture
def hand_run() -> Run:
    vols, elds = hand_world()
    world = matching.read_world(vols, elds)
    pairing = matching.solve(matching.build_problem(world))
    plan = schedule_world(world, pairing.assignments, dt.date(2027, 3, 1), 1)
    return Run.from_results(world, pairing, plan)


def test_the_plan_worked_by_hand(hand_run):
    """V1 has E1 and E2, V2 has E3, E4 has nobody."""
    pairs = dict(zip(hand_run.assignments["elder_id"], hand_run.assignments["volunteer_id"],
                     strict=True))
    assert pairs == {"E1": "V1", "E2": "V1", "E3": "V2"}
    assert hand_run.unassigned["elder_id"].tolist() == ["E4"]


def test_coverage_by_tier_community_and_age_band(hand_run):
    """Tier 3: E1 of E1; tier 2: E2, E3 of E2, E3, E4. Community A 3 of 3, B 0 of 1.
    Ages 92 | 85 | 81, 83."""
    by_tier = analysis.coverage(hand_run)
    assert by_tier.index.tolist() == [3, 2]
    assert by_tier[["elders", "assigned", "unassigned"]].to_numpy().tolist() == [[1, 1, 0],
                                                                                 [3, 2, 1]]
    assert by_tier["coverage"].tolist() == [1.0, 0.6667]
    by_community = analysis.coverage(hand_run, "community")
    assert by_community["assigned"].to_dict() == {"A": 3, "B": 0}
    by_age = analysis.coverage(hand_run, "age_band")
    assert by_age[["elders", "assigned"]].to_dict("index") == {
        "80-84": {"elders": 2, "assigned": 1}, "85-89": {"elders": 1, "assigned": 1},
        "90-94": {"elders": 1, "assigned": 1}}


def test_walking_distances(hand_run):
    """0.1, 0.3 and 0.1 km: mean 0.5/3, median 0.1, all within 1 km; walking there and back
    at 15 min/km is 3, 9 and 3 minutes."""
    assert analysis.distances(hand_run)["walk_minutes"].tolist() == [3.0, 9.0, 3.0]
    summary = analysis.distance_summary(hand_run)
    assert summary.to_dict() == {"pairs": 3, "mean_km": 0.167, "median_km": 0.1,
                                 "p90_km": 0.26, "max_km": 0.3, "within_1km": 1.0}


def test_load_and_fairness(hand_run):
    """Weekly minutes of the pairs: V1 63 + 69 = 132, V2 63, V3 0 (idle, counted apart).
    Among the two who serve: mean 97.5; Gini of (63, 132): (-63 + 132) / (2 * 195) =
    69/390 = 0.1769; Jain: 195^2 / (2 * (63^2 + 132^2)) = 38025 / 42786 = 0.8887.
    Elders (1, 2): mean 1.5, Gini 1/6 = 0.1667, Jain 9/10 = 0.9."""
    load = analysis.load(hand_run).set_index("volunteer_id")
    assert load["pair_minutes"].to_dict() == {"V1": 132.0, "V2": 63.0, "V3": 0.0}
    assert load["elders"].to_dict() == {"V1": 2, "V2": 1, "V3": 0}
    fair = analysis.fairness(hand_run)
    assert fair.loc["minutes", ["serving", "idle", "mean", "max", "gini", "jain"]
                    ].tolist() == [2, 1, 97.5, 132.0, 0.1769, 0.8887]
    assert fair.loc["elders", ["serving", "idle", "mean", "max", "gini", "jain"]
                    ].tolist() == [2, 1, 1.5, 2.0, 0.1667, 0.9]


def test_the_sweep_and_the_report_mean_one_load(hand_run):
    """The report's fairness and the sweep give the same figures: 97.5 minutes among the
    two who serve, one idle (``compare`` is held to them in tests/workflows)."""
    fair = analysis.fairness(hand_run).loc["minutes"]
    point = sweep(hand_run.world, [0]).points.iloc[0]
    assert (point["mean_load_minutes"], point["idle_volunteers"]) == (fair["mean"],
                                                                       fair["idle"])
    assert point["load_jain"] == pytest.approx(fair["jain"], abs=1e-4)


def test_gini_and_jain_edges():
    """Equal loads: Gini 0, Jain 1; one carries all of n = 4: Gini 3/4, Jain 1/4."""
    assert (analysis.gini(np.array([5, 5, 5])), analysis.jain(np.array([5, 5, 5]))) == (0, 1)
    assert (analysis.gini(np.array([0, 0, 0, 8])), analysis.jain(np.array([0, 0, 0, 8]))) == \
        (0.75, 0.25)


def test_six_ones_fulfilment(hand_run):
    """One week from Monday 1 March 2027 for E1-E3: 3 x 7 calls, 3 visits, E1's birthday on
    the 3rd; no whole month, quarter or festival. All delivered."""
    summary = analysis.fulfilment_summary(hand_run)
    assert summary.to_dict("index") == {
        "call": {"required": 21, "delivered": 21, "rate": 1.0},
        "visit": {"required": 3, "delivered": 3, "rate": 1.0},
        "birthday": {"required": 1, "delivered": 1, "rate": 1.0}}
    monthly = analysis.monthly_fulfilment(hand_run)
    assert monthly.columns.tolist() == ["2027-03"]


def test_credit_hours_and_gaps(hand_run):
    """V1's week: 7 x 2 calls of 5 min, 2 visits of 60, a 30-minute greeting = 220 min; the
    gaps are E4, unassigned, with the reason."""
    hours = analysis.credit_hours(hand_run).set_index("volunteer_id")["hours"]
    assert hours["V1"] == pytest.approx(220 / 60, abs=0.01)
    gaps = analysis.gaps(hand_run)
    assert gaps[["elder_id", "kind"]].to_numpy().tolist() == [["E4", "unassigned"]]
    assert gaps["reason"].iloc[0].startswith("no volunteer within 2 km")


def one_blocking_pair():
    """V1 (a woman, at 0) and V2 (a man, 1.5 km east) take one elder each. E1 lives 0.2 km
    from V1 and 1.3 km from V2; E2, 0.5 km from V1, wants a woman. Covering both, the only
    plan is V1-E2 and V2-E1 (cost 0.5 + 1.3). V1 and E1 would both rather be together
    (0.2 km), but then E2 would have nobody: exactly one blocking pair."""
    vols = volunteers({"x": 0, "max_elders": 1, "gender": "F"},
                      {"x": 1.5, "max_elders": 1, "gender": "M"})
    elds = elders({"x": 0.2, "age": 85}, {"x": 0.5, "age": 85, "gender_preference": "F"})
    world = matching.read_world(vols, elds)
    return Run.from_results(world, matching.solve(matching.build_problem(world)))


def test_stability_audit_finds_the_one_blocking_pair():
    """The audit lists V1-E1, and why the plan keeps them apart."""
    audit = analysis.blocking_pairs(one_blocking_pair())
    assert audit[["elder_id", "volunteer_id", "elder_now", "volunteer_gives_up"]] \
        .to_numpy().tolist() == [["E1", "V1", "V2", "E2"]]
    assert audit["elder_gain_km"].iloc[0] == pytest.approx(1.1, abs=0.002)
    assert audit["volunteer_gain_km"].iloc[0] == pytest.approx(0.3, abs=0.002)
    assert audit["reason"].iloc[0] == "E2 (priority 2) would be left without a volunteer"


def test_explain_an_elder_and_a_volunteer():
    """E1's volunteer is V2 (1.3 km); V1 comes next (0.2 km) but is full with E2, who would
    be left without a volunteer. V1's side: E1 is with V2, and V1 is full."""
    run = one_blocking_pair()
    found = analysis.explain_elder(run, "E1")
    assert found.chosen["volunteer_id"].tolist() == ["V2"]
    assert found.chosen["distance_km"].iloc[0] == pytest.approx(1.3, abs=0.002)
    assert found.alternatives["volunteer_id"].tolist() == ["V1"]
    assert found.alternatives["reason"].iloc[0] == (
        "full: 1 of 1 elders (E2); to take E1, E2 (priority 2) would be left without a "
        "volunteer")
    side = analysis.explain_volunteer(run, "V1")
    assert side.chosen["elder_id"].tolist() == ["E2"]
    assert side.alternatives["elder_id"].tolist() == ["E1"]
    assert side.alternatives["reason"].iloc[0].startswith(
        "with V2; this volunteer is full: 1 of 1 elders (E2)")
    assert "V1" in found.text() and "why not" in found.text()


def test_suggest_a_new_elder():
    """A newcomer 0.3 km east: V2 (1.2 km away) has room after all? No: both are full (one
    elder each), so nobody fits without moving anyone, and V1 (0.3 km) ranks first."""
    table = analysis.suggest(one_blocking_pair(), {"elder_id": "N1", "lat": "35.6",
                                                   "lon": "110.97331", "age": "88"})
    assert table["volunteer_id"].tolist() == ["V1", "V2"]
    assert table["fits"].tolist() == [False, False]
    with pytest.raises(matching.InputError, match="already in the plan"):
        analysis.suggest(one_blocking_pair(), {"elder_id": "E1", "lat": "35.6",
                                               "lon": "110.97"})


small_worlds = st.fixed_dictionaries({"seed": st.integers(0, 5_000),
                                      "volunteers": st.integers(3, 12),
                                      "elders": st.integers(3, 30),
                                      "weekly": st.sampled_from([90, 150, 300])})


@settings(max_examples=15, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(case=small_worlds)
@pytest.mark.slow
def test_explanations_never_contradict_the_model(case):
    """On an optimal plan, no alternative with room to spare is better than the chosen
    volunteer, no unassigned elder has one with room, and no pair the audit lists could
    simply move: every reason is one the objective supports."""
    spec = WorldSpec(case["volunteers"], case["elders"], lat_range=(35.596, 35.606),
                     lon_range=(110.962, 110.975), communities=2, spread_km=0.4)
    tables = generate_world(spec, seed=case["seed"])
    vols = tables.volunteers.assign(weekly_minutes=str(case["weekly"]))
    world = matching.read_world(vols, tables.elders, tables.relations)
    pairing = matching.solve(matching.build_problem(world))
    assert pairing.is_optimal()
    run = Run.from_results(world, pairing)
    for e in world.elders.elder_id:
        found = analysis.explain_elder(run, e, top=len(world.volunteers))
        reasons = found.alternatives["reason"].tolist() if len(found.alternatives) else []
        assert not any("not optimal" in r or "not maximal" in r for r in reasons), reasons
        roomy = found.alternatives[found.alternatives["reason"].str.startswith("has room")] \
            if reasons else pd.DataFrame()
        if len(roomy) and len(found.chosen):
            assert (roomy["worse_by_km"] >= -1e-6).all()
    assert not analysis.blocking_pairs(run)["reason"].str.contains("missed").any()


@pytest.mark.slow
def test_figures_are_returned(hand_run, tmp_path):
    """Every plot function returns a figure, drawn on the axes given or its own."""
    made = [figures.pair_map(hand_run), figures.load_histogram(hand_run),
            figures.distance_histogram(hand_run), figures.coverage_bars(hand_run, "community"),
            figures.six_ones_heatmap(hand_run), figures.community_maps(hand_run)]
    for figure in made:
        assert isinstance(figure, Figure) and figure.axes
        assert figure._repr_png_()[:4] == b"\x89PNG"
    own = Figure()
    ax = own.subplots()
    assert figures.coverage_bars(hand_run, ax=ax) is own


@pytest.mark.slow
def test_every_folder_is_enough_on_its_own(tmp_path, capsys):
    """pair, schedule and replan keep their inputs; load_run, explain, suggest, audit and
    report then need nothing but the folder. The re-plan's before-and-after draws the
    volunteer who left."""
    vols, elds = hand_world()
    for name, frame in (("v", vols), ("e", elds)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    common = ["--volunteers", str(tmp_path / "v.csv"), "--elders", str(tmp_path / "e.csv")]
    assert main(["pair", *common, "--out", str(tmp_path / "p"), "--quiet"]) == 0
    assert main(["schedule", *common, "--assignments", str(tmp_path / "p" / "assignments.csv"),
                 "--start", "2027-03-01", "--weeks", "2", "--out", str(tmp_path / "s"),
                 "--quiet"]) == 0
    pd.DataFrame({"volunteer_id": ["V2"]}).to_csv(tmp_path / "leaving.csv", index=False)
    assert main(["replan", *common, "--previous", str(tmp_path / "p" / "assignments.csv"),
                 "--leaving", str(tmp_path / "leaving.csv"), "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    for folder in ("p", "s", "r"):
        run = matching.load_run(tmp_path / folder)
        assert len(run.world.elders) == 4
        assert main(["explain", str(tmp_path / folder), "--elder", "E2"]) == 0
        assert main(["report", str(tmp_path / folder), "--lang", "en"]) == 0
        page = (tmp_path / folder / "report.html").read_text(encoding="utf-8")
        assert page.count('<img alt="" src="data:image/png;base64,') == {
            "p": 5, "s": 6, "r": 6}[folder]
        # the one script is the print button's; nothing is fetched from the network
        # the print button's script, and the interactive map's data, Leaflet and drawing
        # script; nothing remote (Leaflet's own text names the SVG namespace's address)
        assert page.count("<script") == 4 and PRINT_SCRIPT in page
        assert "http" not in page.replace(leaflet_js(), "")
    replan = matching.load_run(tmp_path / "r")
    assert replan.leaving["volunteer_id"].tolist() == ["V2"]
    assert set(replan.world.volunteers.volunteer_id) == {"V1", "V3"}
    assert "V2" in set(replan.before().world.volunteers.volunteer_id)
    assert isinstance(figures.replan_comparison(replan), Figure)
    assert matching.load_run(tmp_path / "s").weeks == 2
    capsys.readouterr()
    assert main(["suggest", str(tmp_path / "p"), "--elder-row",
                 "elder_id=N1; lat=35.6; lon=110.97; age=86"]) == 0
    assert "V1" in capsys.readouterr().out
    assert main(["suggest", str(tmp_path / "p"), "--elder-row", "elder_id=N1; lat=35,6"]) == 2
    assert main(["explain", str(tmp_path / "p"), "--elder", "E99"]) == 2
    assert main(["audit", str(tmp_path / "p"), "--csv", str(tmp_path / "audit.csv")]) == 0
    assert list(read_table(tmp_path / "audit.csv").columns)[:2] == ["elder_id", "volunteer_id"]


def test_a_folder_without_inputs_is_refused(tmp_path):
    """A folder made before folders kept their inputs is named, with what to do."""
    (tmp_path / "old").mkdir()
    pd.DataFrame({"elder_id": ["E1"], "volunteer_id": ["V1"]}).to_csv(
        tmp_path / "old" / "assignments.csv", index=False)
    with pytest.raises(matching.InputError, match="keeps no inputs"):
        matching.load_run(tmp_path / "old")


@pytest.mark.slow
def test_scenario_rules_are_read_back(tmp_path):
    """A run made under a 3 km limit is explained under it: its world has max_km 3."""
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "minle.toml"
    text = scenario.read_text(encoding="utf-8").replace(
        'volunteers = "minle/', f'volunteers = "{scenario.parent}/minle/').replace(
        'elders = "minle/', f'elders = "{scenario.parent}/minle/').replace(
        'relations = "minle/', f'relations = "{scenario.parent}/minle/').replace(
        'streets = "minle/', f'streets = "{scenario.parent}/minle/')
    text = text.replace("max_km = 2.0 ", "max_km = 3.0 ")
    (tmp_path / "s.toml").write_text(text.replace("weeks = 13", "weeks = 1"), encoding="utf-8")
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    assert matching.load_run(tmp_path / "out").world.rules.max_km == 3.0
