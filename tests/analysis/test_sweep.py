"""The sweep (coverage as volunteers leave) and the recruitment what-if.

* a hand-worked street: exact figures at each share;
* the leaving sets are nested, and the objective never rises (hypothesis, random worlds);
* a world built to need exactly k recruits gets k, and everyone is served with them;
* ``matching sweep`` writes the contract's table, the same on a Dask cluster.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import matching
from matching.analysis import recruit, recruitment, sweep
from matching.cli import main
from matching.world.generate import WorldSpec, generate_world
from tests.conftest import snapshot

#: A street at (35.6, 111.0); 0.001 degrees of latitude is 111 m.
LAT, LON = 35.6, 111.0


def street(ages: list[int], volunteers: int, max_elders: int = 1) -> matching.World:
    """``volunteers`` volunteers and one elder per age, all within 100 m of each other."""
    vols = pd.DataFrame({"volunteer_id": [f"V{i}" for i in range(volunteers)],
                         "lat": [LAT + 0.0001 * i for i in range(volunteers)],
                         "lon": LON, "max_elders": max_elders})
    elds = pd.DataFrame({"elder_id": [f"E{i}" for i in range(len(ages))],
                         "age": ages, "lat": [LAT + 0.0001 * i for i in range(len(ages))],
                         "lon": LON + 0.0005})
    return matching.read_world(vols.astype(str), elds.astype(str))


def test_a_street_loses_one_elder_per_volunteer_and_the_lowest_tier_first():
    # 4 volunteers with room for one elder each; elders aged 95, 85, 70, 70: priorities
    # 3, 2, 1, 1 (total 7). A quarter of the 4 paired volunteers is one more leaving.
    world = street([95, 85, 70, 70], volunteers=4)
    result = sweep(world, [0.5, 0, 1, 0.25, 0.75])
    points = result.points
    assert points["leave_share"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert points["leaving"].tolist() == [0, 1, 2, 3, 4]
    assert points["volunteers"].tolist() == [4, 3, 2, 1, 0]
    assert points["assigned"].tolist() == [4, 3, 2, 1, 0]
    assert points["coverage"].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    # the 95-year-old is served while anyone is left
    assert points["coverage_priority_3"].tolist() == [1, 1, 1, 1, 0]
    assert points["coverage_priority_2"].tolist() == [1, 1, 1, 0, 0]
    # served priority: 7, 3+2+1 = 6, 3+2 = 5, 3, 0 out of 7
    assert points["priority_coverage"].tolist() == pytest.approx([1, 6 / 7, 5 / 7, 3 / 7, 0])
    assert points["status"].tolist() == ["optimal"] * 5
    assert math.isnan(points["mean_distance_km"].iat[-1])
    assert result.last_full() == 0.0
    assert result.last_full(tier=3) == 0.75
    assert result.communities["coverage"].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    # numbers are numbers
    assert points["coverage"].dtype == float and points["assigned"].dtype == np.int64


def test_shares_of_all_volunteers_or_of_the_paired():
    # one elder (aged 95) and 4 volunteers: the plan pairs one of them
    world = street([95], volunteers=4)
    paired = sweep(world, [0, 1], among="paired").points
    # when the one paired volunteer leaves, one of the 3 to spare takes the elder
    assert paired["leaving"].tolist() == [0, 1] and paired["assigned"].tolist() == [1, 1]
    every = sweep(world, [0, 0.5, 1]).points  # half of 4 leave, then all 4
    assert every["leaving"].tolist() == [0, 2, 4]
    assert every["assigned"].tolist() == [1, 1, 0]  # the 2 left are 100 m away at most


def test_shares_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        sweep(street([95], 1), [0, 1.5])


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow])
SHARES = [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def random_world(seed: int, volunteers: int, elders: int, one_tier: bool) -> matching.World:
    spec = WorldSpec(volunteers, elders, lat_range=(35.596, 35.606),
                     lon_range=(110.962, 110.975), communities=2, spread_km=0.4)
    made = generate_world(spec, seed=seed)
    vols = made.volunteers.copy()
    rng = np.random.default_rng(seed)
    vols["max_elders"] = rng.choice([1, 2, 3], len(vols)).astype(str)
    vols["weekly_minutes"] = rng.choice([90, 150, 300], len(vols)).astype(str)
    elds = made.elders.copy()
    if one_tier:
        elds["priority"] = "1"
    return matching.read_world(vols, elds, made.relations)


@SETTINGS
@given(seed=st.integers(0, 10_000), volunteers=st.integers(2, 10),
       elders=st.integers(1, 20), one_tier=st.booleans(),
       among=st.sampled_from(["all", "paired"]))
@pytest.mark.slow
def test_the_curve_never_rises_and_the_leaving_sets_are_nested(seed, volunteers, elders,
                                                               one_tier, among):
    world = random_world(seed, volunteers, elders, one_tier)
    result = sweep(world, SHARES, seed=seed, among=among)
    points = result.points
    assert (points["status"] == "optimal").all()
    # the objective: the priority served never rises (nested sets, each point optimal)
    served = points["priority_coverage"].to_numpy()
    assert (np.diff(served) <= 1e-12).all(), served
    if one_tier:  # one tier: the objective is the count
        assert (np.diff(points["assigned"].to_numpy()) <= 0).all()
    order = result.leaving_order
    gone = [set(order[:k]) for k in points["leaving"]]
    assert all(a <= b for a, b in itertools.pairwise(gone))
    assert points["leaving"].iat[-1] == len(order)  # the whole pool leaves at 1.0
    assert points["assigned"].iat[-1] == 0 or among == "paired"
    if among == "all":
        assert sorted(order) == sorted(world.volunteers.volunteer_id)


def hamlets(k: int, big: int = 0) -> matching.World:
    """A town of 3 volunteers and 3 elders, and k hamlets of 2 elders each (plus one of
    ``big`` elders), every hamlet 5 km from the town and the others: out of every
    volunteer's reach (2 km)."""
    vols = pd.DataFrame({"volunteer_id": ["V0", "V1", "V2"], "lat": LAT,
                         "lon": [LON, LON + 0.0005, LON + 0.001], "max_elders": 1})
    rows = [("T0", LAT, LON), ("T1", LAT, LON + 0.0005), ("T2", LAT, LON + 0.001)]
    sizes = [2] * k + ([big] if big else [])
    for h, size in enumerate(sizes):
        # hamlets on a ring of radius ~5 km, 5+ km apart from each other
        lat = LAT + 0.045 * (h + 1)
        rows += [(f"H{h}-{i}", lat, LON + 0.0002 * i) for i in range(size)]
    elds = pd.DataFrame(rows, columns=["elder_id", "lat", "lon"]).assign(age=85)
    return matching.read_world(vols.astype(str), elds.astype(str))


@pytest.mark.parametrize("places", ["near", "centres"])
def test_a_world_built_to_need_k_recruits_gets_k_and_serves_everyone(places):
    # 3 hamlets of 2 (one recruit each: 2 <= 3 elders, and 2 visits of 60 minutes plus a
    # walk of a few metres fit in 300 minutes) and one of 5 (two recruits: 5 > 3 elders)
    world = hamlets(3, big=5)
    if places == "centres":  # a community per hamlet, so that each has its own centre
        elders = world.elders.with_columns(
            community=[e.split("-")[0] for e in world.elders.elder_id])
        world = matching.World(world.volunteers, elders, world.relations, None, world.rules)
    plan = matching.solve(matching.build_problem(world))
    assert len(plan.unassigned) == 3 * 2 + 5
    found = recruit(world, plan, places)
    assert found.needed == 3 + 2
    assert found.optimal
    assert found.unreachable == []
    assert found.served_after == found.elders == 3 + 11
    assert found.recruits["elders"].sum() == 11
    assert found.recruits["volunteer_id"].tolist() == [f"R{i:05d}" for i in range(1, 6)]


#: Kilometres per degree of latitude (the great circle of the engine's sphere).
KM_PER_DEGREE = 111.195


def line_world() -> matching.World:
    """Four elders and one volunteer on a meridian, positions in km from U1:
    U1 at 0, the volunteer V1 at 1.1 (room for one elder), S at 2.1 and U2 at 3.5."""
    def at(km: float) -> float:
        return LAT + km / KM_PER_DEGREE
    vols = pd.DataFrame({"volunteer_id": ["V1"], "lat": [at(1.1)], "lon": LON,
                         "max_elders": 1, "gender": "F"})
    elds = pd.DataFrame({"elder_id": ["U1", "S", "U2"], "lat": [at(0), at(2.1), at(3.5)],
                         "lon": LON, "age": 85, "gender": "F"})
    return matching.read_world(vols.astype(str), elds.astype(str))


def test_re_pairing_saves_a_recruit():
    # V1 reaches U1 (1.1 km) and S (1.0 km) but not U2 (2.4 km > 2); the plan gives V1 the
    # nearer S. Keeping that pair, U1 and U2 each need a recruit at their homes: U1 to S is
    # 2.1 km and U1 to U2 3.5 km, out of reach. Re-pairing, one recruit at U2's home takes S
    # (1.4 km) and U2 (0 km), and V1 takes U1: 1 recruit, and none serves all three (V1 has
    # room for one). Its week: two 60-minute visits and 2 x 1.4 km x 15 min = 42 minutes of
    # walking, 162 <= 300 minutes.
    world = line_world()
    plan = matching.solve(matching.build_problem(world))
    assert plan.assignments[["volunteer_id", "elder_id"]].values.tolist() == [["V1", "S"]]
    found = recruit(world, plan, "near")
    assert (found.needed, found.optimal, found.lower_bound) == (1, True, 1)
    assert found.recruits[["volunteer_id", "elders", "elder_ids"]].values.tolist() == [
        ["R00001", 2, "S;U2"]]
    assert found.recruits["lat"].tolist() == pytest.approx([LAT + 3.5 / KM_PER_DEGREE])
    assert found.served_after == found.elders == 3
    assert found.claim.startswith("1 recruit: the fewest, proven, of the candidates "
                                  "living at an unserved elder's home")
    after = matching.solve(matching.build_problem(
        recruitment.with_volunteers(world, recruitment._as_volunteers(world,
                                                                      found.recruits))))
    assert sorted(after.assignments[["volunteer_id", "elder_id"]].values.tolist()) == [
        ["R00001", "S"], ["R00001", "U2"], ["V1", "U1"]]


def test_a_relaxation_too_loose_widens_until_the_bound_is_met(monkeypatch):
    # on a meridian: F at 0 km, V1 at 1.0 (room for one), U at 2.1. The plan gives V1 the
    # nearer F; U is unserved and a recruit at U's home cannot reach F (2.1 km > 2). The
    # first circle (U and the volunteers who may serve U) lets V1 give U all its time: 0
    # recruits, a bound the pairing cannot meet (F or U unserved). Widened, it holds F too:
    # V1 takes F, one recruit takes U, and 1 is proven the fewest.
    def at(km: float) -> float:
        return LAT + km / KM_PER_DEGREE
    vols = pd.DataFrame({"volunteer_id": ["V1"], "lat": [at(1.0)], "lon": LON,
                         "max_elders": 1})
    elds = pd.DataFrame({"elder_id": ["F", "U"], "lat": [at(0), at(2.1)], "lon": LON,
                         "age": 85})
    world = matching.read_world(vols.astype(str), elds.astype(str))
    plan = matching.solve(matching.build_problem(world))
    assert plan.assignments["elder_id"].tolist() == ["F"]
    circles = []
    solve = recruitment._CoverModel.solve

    def counted(self, elders, **how):
        circles.append(int(elders.sum()))
        return solve(self, elders, **how)
    monkeypatch.setattr(recruitment._CoverModel, "solve", counted)
    found = recruit(world, plan, "near")
    assert circles == [1, 2]  # U alone, then F and U
    assert (found.needed, found.optimal, found.lower_bound) == (1, True, 1)
    assert found.recruits["elder_ids"].tolist() == ["U"]


def test_when_not_everyone_can_be_served_the_whole_part_decides():
    # V1 (1,000 minutes a week, room for one) is the only one who may visit N1 and N2,
    # whose visits take 400 minutes: more than a recruit's 300. U, 5 km away, is reachable
    # only by a recruit at home. With every candidate, 2 of the 3 are served, so the two
    # models over the whole part decide: 1 recruit (for U), N2 unreachable, proven.
    vols = pd.DataFrame({"volunteer_id": ["V1"], "lat": [LAT], "lon": LON,
                         "max_elders": 1, "weekly_minutes": 1000})
    elds = pd.DataFrame({"elder_id": ["N1", "N2", "U"],
                         "lat": [LAT + 0.001, LAT + 0.002, LAT + 0.045], "lon": LON,
                         "age": 85, "visit_minutes": [400, 400, 60]})
    world = matching.read_world(vols.astype(str), elds.astype(str))
    plan = matching.solve(matching.build_problem(world))
    assert plan.assignments["elder_id"].tolist() == ["N1"]
    found = recruit(world, plan, "near")
    assert (found.needed, found.optimal, found.lower_bound) == (1, True, 1)
    assert found.unreachable == ["N2"]
    assert found.recruits["elder_ids"].tolist() == ["U"]
    assert found.served_after == 2


def test_models_out_of_time_claim_nothing(monkeypatch):
    # a model that finds nothing within its time (CP-SAT's UNKNOWN): the plan's unserved
    # are listed, no recruit is proposed and nothing is called proven
    world = line_world()
    plan = matching.solve(matching.build_problem(world))
    monkeypatch.setattr(recruitment._CoverModel, "solve", lambda self, elders, **how: None)
    found = recruit(world, plan, "near")
    assert (found.needed, found.optimal) == (0, False)
    assert found.unreachable == ["U1", "U2"]
    assert "not proven" in found.claim


def test_nobody_unserved_needs_nobody():
    world = street([95, 85], volunteers=2)
    found = recruit(world, matching.solve(matching.build_problem(world)))
    assert (found.needed, found.served_after, found.optimal) == (0, 2, True)


def scenario_file(world: matching.World, folder: Path, name: str, more: str = "") -> Path:
    """``folder/s.toml``: a scenario of ``world``'s rosters (written to ``folder/in``),
    named ``name``, with ``more`` TOML after its inputs."""
    (folder / "in").mkdir()
    world.sources["volunteers"].to_csv(folder / "in" / "volunteers.csv", index=False)
    world.sources["elders"].to_csv(folder / "in" / "elders.csv", index=False)
    path = folder / "s.toml"
    path.write_text(f'name = "{name}"\n[inputs]\nvolunteers = "in/volunteers.csv"\n'
                    f'elders = "in/elders.csv"\n{more}', encoding="utf-8")
    return path


@pytest.fixture
def scenario(tmp_path) -> Path:
    return scenario_file(hamlets(2), tmp_path, "hamlets", "[solver]\ntime_limit = 20\n")


@pytest.mark.slow
def test_the_sweep_command_writes_the_contract_table(scenario, tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), "--leave", "0,0.34,0.67,1", "--recruit", "near",
                 "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "sweep.csv")
    # 3 volunteers serve the town's 3 elders; the hamlets' 4 are out of reach:
    # 1, 2 and 3 leave at 0.34, 0.67 and 1 (round(share * 3))
    assert table[["leave_share", "volunteers", "assigned", "unassigned"]].values.tolist() == [
        [0, 3, 3, 4], [0.34, 2, 2, 5], [0.67, 1, 1, 6], [1, 0, 0, 7]]
    assert table["coverage"].tolist() == pytest.approx([3 / 7, 2 / 7, 1 / 7, 0])
    # each hamlet needs one recruit, and each town elder left alone another
    assert table["recruits"].tolist() == [2, 3, 3, 3]
    assert sorted(p.name for p in out.iterdir()) == [
        "leaving_order.csv", "recruits.csv", "run.json", "sweep.csv", "sweep.png",
        "sweep_communities.csv"]
    assert json.loads((out / "run.json").read_text())["recruit"] == "near"
    order = pd.read_csv(out / "leaving_order.csv")["volunteer_id"].tolist()
    assert sorted(order) == ["V0", "V1", "V2"]


@pytest.mark.parametrize("leave", ["0,2", "a,b", ""])
def test_bad_shares_exit_2(scenario, tmp_path, leave, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["sweep", str(scenario), "--leave", leave, "--out", str(tmp_path / "o")])
    assert stop.value.code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_a_sweep_on_a_cluster_is_the_same(scenario, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    args = ["sweep", str(scenario), "--leave", "0,0.5,1", "--quiet"]
    assert main([*args, "--out", str(here)]) == 0
    assert main([*args, "--out", str(there), "--cluster", "local:2"]) == 0
    assert snapshot(here) == snapshot(there)
