"""Exact thresholds along a leaving order, the kinds of order, and bands across orders.

* a hand-worked street: both thresholds exact, each proven either side of the cut;
* each way a step is decided (the flow's witness, its bound, the CP-SAT model) is forced;
* the bisection agrees with a step-by-step walk along the order (hypothesis);
* oldest-first and one-community-at-a-time orders, worked by hand;
* several orders give a band whose median lies between its least and most;
* ``matching sweep --find --orders`` writes the contract's ``thresholds.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching
from matching.analysis import leave_sweep, thresholds
from matching.analysis.leaving_orders import leaving_order, leaving_orders
from matching.analysis.thresholds import find_thresholds, serve_all
from matching.cli import main
from matching.world.model import without_volunteers
from tests.analysis.test_sweep import LAT, LON, scenario_file, street


def plan_of(world: matching.World) -> matching.PairingResult:
    return matching.solve(matching.build_problem(world))


def test_a_street_has_exact_thresholds_proven_either_side():
    # 4 volunteers with room for one elder each; elders aged 95, 85, 70, 70. Everyone is
    # served only while all 4 stay: 0 may leave (with 1 gone, 3 of 4 are served). The
    # 95-year-old (the only priority 3) is served while anyone stays: 3 may leave (with 4
    # gone, 0 of 1).
    world = street([95, 85, 70, 70], volunteers=4)
    order = leaving_order(world, plan_of(world), seed=0)
    table = find_thresholds(world, order)
    assert table["what"].tolist() == ["top_tier", "all"]
    assert table["leavers"].tolist() == [3, 0]
    assert table["share"].tolist() == [0.75, 0.0]
    assert table["volunteers_left"].tolist() == [1, 4]
    assert table["elders"].tolist() == [1, 4]
    assert table["served_at_leavers"].tolist() == [1, 4]
    assert table["served_one_more"].tolist() == [0, 3]
    assert table["proven"].tolist() == [True, True]


def test_nobody_served_even_at_the_start_has_no_threshold():
    world = street([95, 95], volunteers=1)  # room for one of the two
    table = find_thresholds(world, leaving_order(world, plan_of(world), seed=0))
    assert table["leavers"].isna().tolist() == [True, True]
    assert table["served_one_more"].tolist() == [1, 1]


def test_one_elder_is_served_until_the_last_volunteer_leaves():
    # 2 volunteers, 1 elder of 95: she is served while one stays, so 1 may leave (with
    # both gone, 0 of 1 served), for both questions (she is the whole top tier)
    world = street([95], volunteers=2)
    table = find_thresholds(world, leaving_order(world, plan_of(world), seed=0))
    assert table["leavers"].tolist() == [1, 1]
    assert table["served_one_more"].tolist() == [0, 0]


def weeks_world() -> matching.World:
    """Two volunteers (200 minutes a week, room for two) and four elders at their door:
    three whose visits take 150 minutes and one of 40. Counting elders (the flow), all
    four fit; counting minutes, each volunteer holds one 150-minute visit at most."""
    vols = pd.DataFrame({"volunteer_id": ["V1", "V2"], "lat": [LAT, LAT + 0.0001],
                         "lon": LON, "max_elders": 2, "weekly_minutes": 200})
    elds = pd.DataFrame({"elder_id": ["A", "B", "C", "D"],
                         "lat": [LAT + 0.0001 * i for i in range(4)], "lon": LON, "age": 85,
                         "visit_minutes": [150, 150, 150, 40]})
    return matching.read_world(vols.astype(str), elds.astype(str))


def test_each_way_a_step_is_decided(monkeypatch):
    calls: list[str] = []
    by_model = thresholds._serve_all_by_model

    def counted(world, seed, time_limit):
        calls.append("model")
        return by_model(world, seed, time_limit)
    monkeypatch.setattr(thresholds, "_serve_all_by_model", counted)
    # the flow's plan serves both: a witness, no model
    assert serve_all(street([95, 85], volunteers=2)) == (True, True)
    # the flow's priority bound is below the whole priority (2 elders, room for 1)
    assert serve_all(street([95, 85], volunteers=1)) == (False, True)
    assert calls == []
    # the flow fits all four by count, but no pairing fits them by minutes (150 + 150 >
    # 200): only the CP-SAT model proves it
    assert serve_all(weeks_world()) == (False, True)
    assert calls == ["model"]
    # and with the third long visit gone, the model finds all three served: 150 + 40 on
    # one volunteer, 150 on the other
    world = weeks_world()
    fits = matching.World(world.volunteers, world.elders.take(np.array([1, 1, 0, 1], bool)),
                          world.relations, None, world.rules)
    assert serve_all(fits) == (True, True)


def test_a_model_out_of_time_proves_nothing(monkeypatch):
    monkeypatch.setattr(thresholds.cp_model.CpSolver, "solve",
                        lambda self, model: thresholds.cp_model.UNKNOWN)
    assert serve_all(weeks_world()) == (False, False)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ages=st.lists(st.sampled_from([70, 85, 95]), min_size=1, max_size=6),
       volunteers=st.integers(1, 6), room=st.integers(1, 2), seed=st.integers(0, 5))
def test_the_bisection_agrees_with_walking_the_whole_order(ages, volunteers, room, seed):
    world = street(ages, volunteers, max_elders=room)
    order = leaving_order(world, plan_of(world), seed)
    table = find_thresholds(world, order, seed=seed).set_index("what")
    top = max(world.elders.priority)
    for what, asked in (("all", world), ("top_tier", matching.World(
            world.volunteers, world.elders.take(world.elders.priority == top),
            world.relations, None, world.rules))):
        served_all = [serve_all(without_volunteers(asked, set(order[:k])))[0]
                      for k in range(len(order) + 1)]
        # fewer volunteers never serve more: true up to a point, then false
        assert served_all == sorted(served_all, reverse=True)
        expected = max((k for k, ok in enumerate(served_all) if ok), default=None)
        got = table.at[what, "leavers"]
        assert (None if pd.isna(got) else int(got)) == expected


def people_world() -> matching.World:
    vols = pd.DataFrame({"volunteer_id": ["V1", "V2", "V3", "V4", "V5"],
                         "age": [61, 69, 65, 69, ""],
                         "community": ["东村", "西村", "东村", "西村", "东村"],
                         "lat": LAT, "lon": LON})
    elds = pd.DataFrame({"elder_id": ["E1"], "age": [90], "lat": LAT, "lon": LON})
    return matching.read_world(vols.astype(str), elds.astype(str))


def test_oldest_first_and_one_community_at_a_time():
    world = people_world()
    plan = plan_of(world)
    oldest = leaving_order(world, plan, seed=0, kind="oldest")
    # 69, 69 (in a seeded order), 65, 61, then the unknown age
    assert sorted(oldest[:2]) == ["V2", "V4"] and oldest[2:] == ["V3", "V1", "V5"]
    for seed in range(4):
        by_community = leaving_order(world, plan, seed=seed, kind="community")
        villages = [{"V1": "东", "V3": "东", "V5": "东"}.get(v, "西") for v in by_community]
        # one village wholly, then the other
        assert villages in (["东"] * 3 + ["西"] * 2, ["西"] * 2 + ["东"] * 3)
    orders = leaving_orders(world, plan, seed=3, count=2)
    assert orders == [leaving_order(world, plan, 3), leaving_order(world, plan, 4)]
    with pytest.raises(ValueError, match="between 1 and"):
        leaving_orders(world, plan, 0, count=0)


def test_several_orders_give_a_band():
    # 4 volunteers of room 1 for 4 elders aged 95, 85, 70, 70: every order loses one elder
    # per volunteer gone, so the counts agree across orders
    world = street([95, 85, 70, 70], volunteers=4)
    result = leave_sweep.sweep(world, [0, 0.5], orders=3, find=True)
    assert result.by_order["order"].tolist() == [1, 1, 2, 2, 3, 3]
    assert result.points["assigned"].tolist() == [4, 2]
    assert result.points["assigned_min"].tolist() == [4, 2]
    assert result.points["assigned_max"].tolist() == [4, 2]
    assert len(result.leaving_orders) == 3
    assert result.thresholds["order"].tolist() == [1, 1, 2, 2, 3, 3]
    band = result.threshold_band
    assert band.values.tolist() == [["top_tier", 3, 3, 3, 3], ["all", 0, 0, 0, 3]]


def test_a_band_where_orders_differ():
    # V0 serves nobody (nobody within reach); V1 serves E0. Leaving one of the two: the
    # orders that take V1 first lose E0, those that take V0 first do not.
    vols = pd.DataFrame({"volunteer_id": ["V0", "V1"], "lat": [LAT + 0.5, LAT], "lon": LON})
    elds = pd.DataFrame({"elder_id": ["E0"], "age": [85], "lat": LAT, "lon": LON})
    world = matching.read_world(vols.astype(str), elds.astype(str))
    result = leave_sweep.sweep(world, [0.5], orders=6, seed=0)
    firsts = [order[0] for order in result.leaving_orders]
    assert set(firsts) == {"V0", "V1"}  # both happen among seeds 0..5
    assert result.points["assigned_min"].tolist() == [0]
    assert result.points["assigned_max"].tolist() == [1]
    # the lower median of six 0/1 values: the 3rd smallest
    served = sorted(int(first == "V0") for first in firsts)
    assert result.points["assigned"].tolist() == [served[2]]


def test_the_sweep_command_finds_thresholds(tmp_path):
    scenario = scenario_file(street([95, 85, 70, 70], volunteers=4), tmp_path, "street")
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), "--leave", "0,0.5", "--find", "--out", str(out),
                 "--quiet"]) == 0
    table = pd.read_csv(out / "thresholds.csv")
    assert table[["what", "leavers", "share"]].values.tolist() == [
        ["top_tier", 3, 0.75], ["all", 0, 0.0]]
    out2 = tmp_path / "out2"
    assert main(["sweep", str(scenario), "--leave", "0,0.5", "--find", "--orders", "2",
                 "--order", "oldest", "--out", str(out2), "--quiet"]) == 0
    assert pd.read_csv(out2 / "thresholds.csv")["order"].tolist() == [1, 1, 2, 2]
    assert len(pd.read_csv(out2 / "sweep_orders.csv")) == 4
    assert len(pd.read_csv(out2 / "leaving_orders.csv")) == 8
    assert pd.read_csv(out2 / "sweep.csv")["assigned_min"].tolist() == [4, 2]


@pytest.mark.parametrize("orders", ["0", "x", "101"])
def test_bad_order_counts_exit_2(tmp_path, orders):
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "s.toml", "--leave", "0", "--orders", orders, "--out",
              str(tmp_path / "o")])
    assert stop.value.code == 2
