"""One source of eligibility, and the schedule's rules checked where they are made."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import matching
from matching.pairing.eligibility import (
    ELIGIBLE,
    GENDER,
    NO_SHARED_DAY,
    REFUSES,
    TOO_FAR,
    Eligibility,
    nearby_pairs,
)
from matching.rules.errors import RuleError
from matching.schedule import ScheduleRules
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import Horizon
from matching.schedule.services import service_reach
from matching.world.geo import haversine_km
from matching.world.read import read_world
from tests.conftest import elders, relations, volunteers


def eligibility(vols, elds, rels=None) -> Eligibility:
    return Eligibility.from_world(matching.read_world(vols, elds, rels))


@pytest.mark.parametrize(("km", "limit", "code"), [
    (1.0, 2.0, REFUSES),  # within reach, refused
    (3.0, 5.0, REFUSES),  # a service's reach: still refused
    (8.0, 10.0, REFUSES),  # a kin's reach: still refused
    (3.0, 2.0, TOO_FAR),  # beyond the limit, distance is named first
])
def test_a_refusal_holds_at_every_distance(km, limit, code):
    """The elder's refusal rules a volunteer out whatever the activity's distance limit."""
    e = eligibility(volunteers({"x": 0}), elders({"x": km}), relations(("V1", "E1", "refuses")))
    assert e.codes(np.array([0]), np.array([0]), np.array([km]), limit).tolist() == [code]
    assert e.refuses(np.array([0]), np.array([0])).tolist() == [True]


def test_each_rule_names_itself():
    """Gender preference, shared days, and a pair that passes every rule."""
    vols = volunteers({"x": 0, "gender": "M"}, {"x": 0, "gender": "F", "available_days": "Sat"},
                      {"x": 0, "gender": "F"})
    elds = elders({"x": 0.5, "gender_preference": "F", "available_days": "Mon Tue"})
    e = eligibility(vols, elds)
    codes = e.codes(np.arange(3), np.zeros(3, dtype=int), np.full(3, 0.5), 2.0)
    assert codes.tolist() == [GENDER, NO_SHARED_DAY, ELIGIBLE]


def test_every_stage_asks_the_same_rule(monkeypatch):
    """With the one rule changed to forbid every pair, the pairing finds no candidate and
    the schedule no service provider: neither keeps a copy of its own."""
    vols = volunteers({"x": 0, "skills": "haircut"}, {"x": 0.3, "skills": "haircut"})
    elds = elders({"x": 0.1, "age": 85, "needs": "haircut"})
    world = matching.read_world(vols, elds)
    problem = matching.build_problem(world)
    assert problem.num_arcs == 2
    rules = ScheduleRules()
    horizon = Horizon.build(dt.date(2027, 2, 1), 4, None, rules)
    data = ScheduleData.build(problem, np.array([0]), rules, horizon)
    assert service_reach(data).of(0).tolist() == [0, 1]
    monkeypatch.setattr(Eligibility, "codes",
                        lambda self, v, e, km, limit: np.full(len(v), GENDER, dtype=np.int8))
    assert matching.build_problem(world).num_arcs == 0
    assert service_reach(data).of(0).tolist() == []


def test_nearby_pairs_of_some_people_are_those_of_everyone_among_them():
    """Asking for some volunteers and elders gives exactly the pairs of the whole search
    between them, relations and measured pairs included (and their measured figures)."""
    vols = volunteers({"x": 0}, {"x": 0.5}, {"x": 9.0}, {"x": 1.2})
    elds = elders({"x": 0.2}, {"x": 1.0}, {"x": 8.0})
    rels = relations(("V3", "E1", "kin"), ("V2", "E3", "familiar"))
    measured = pd.DataFrame({"volunteer_id": ["V4", "V1"], "elder_id": ["E2", "E2"],
                             "distance_km": ["0.3", "4.0"], "weekly_minutes": ["75", ""]})
    world = matching.read_world(vols, elds, rels, measured)
    everyone = nearby_pairs(world, 1.5)
    some_v, some_e = np.array([0, 2, 3]), np.array([0, 1])
    some = nearby_pairs(world, 1.5, volunteers=some_v, elders=some_e)
    among = np.isin(everyone[0], some_v) & np.isin(everyone[1], some_e)
    for whole, part in zip(everyone, some, strict=True):
        np.testing.assert_array_equal(whole[among], part)
    # V1-E1 0.2 km, V1-E2 measured 4 km, V3-E1 kin (9 km), V4-E1 1.0 km, V4-E2 measured
    # 0.3 km (75 minutes); nothing of V2 or E3
    assert list(zip(some[0].tolist(), some[1].tolist(), strict=True)) == \
        [(0, 0), (0, 1), (2, 0), (3, 0), (3, 1)]
    assert some[2][1] == 4.0 and some[2][4] == 0.3 and some[3][4] == 75.0


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"rota_block_weeks": 0}, "rota_block_weeks", "must be at least 1, not 0"),
    ({"elders_per_organiser": 0}, "elders_per_organiser", "must be at least 1, not 0"),
    ({"backup_visits_per_block": 4}, "backup_visits_per_block",
     "(4) leaves the primary volunteer no visit in a block of rota_block_weeks 4"),
    ({"service_minutes": 0}, "service_minutes", "must be at least 1, not 0"),
    ({"service_minutes": 721}, "service_minutes",
     "(721 min) is longer than the day from day_start 08:00 to day_end 20:00 (720 min)"),
    ({"service_minutes": 45.5}, "service_minutes", "must be a whole number, not 45.5"),
    ({"day_start": 1300}, "day_end", "(20:00) is not after day_start (21:40)"),
    ({"call_start": 400}, "call_start", "(06:40) is before day_start (08:00)"),
    ({"festival_start": 1150}, "festival_start",
     "(19:10) with festival_minutes 120 ends a festival activity at 21:10, after day_end "
     "(20:00); start it earlier, shorten it, or end the day later"),
    ({"service_km": -1.0}, "service_km", "must be a number >= 0, not -1.0"),
    ({"festival_days_before": 40}, "festival_days_before", "must be 0 to 29, not 40"),
    ({"festivals": (("X", "X", 13, 1),)}, "festivals", "lunar month 1-12"),
    ({"group_minutes": True}, "group_minutes", "must be a whole number, not True"),
])
def test_schedule_rules_are_checked(change, field, text):
    """A rule that cannot hold is refused at once, naming the rule."""
    with pytest.raises(RuleError) as caught:
        ScheduleRules(**change)
    assert caught.value.field == field and text in str(caught.value)


def test_schedule_rules_accept_whole_floats():
    """A scenario's ``45.0`` is 45 minutes."""
    assert ScheduleRules(service_minutes=45.0).service_minutes == 45


@pytest.mark.parametrize("seed", range(4))
def test_nearby_pairs_are_those_a_brute_force_finds(tmp_path, seed):
    """Every pair within reach, every pair named in the relations and every measured pair,
    each once and sorted by key; a measured distance or minutes wins over the computed ones
    (hand-checkable brute force over every pair of a small world)."""
    rng = np.random.default_rng(seed)
    n_v, n_e, km = 12, 20, 1.0
    vols = pd.DataFrame({"volunteer_id": [f"V{i}" for i in range(n_v)],
                         "lat": 35.60 + rng.random(n_v) * 0.03,
                         "lon": 110.96 + rng.random(n_v) * 0.03})
    elds = pd.DataFrame({"elder_id": [f"E{j}" for j in range(n_e)],
                         "lat": 35.60 + rng.random(n_e) * 0.03,
                         "lon": 110.96 + rng.random(n_e) * 0.03})
    rels = pd.DataFrame({"volunteer_id": rng.choice(vols.volunteer_id, 8),
                         "elder_id": rng.choice(elds.elder_id, 8), "relation": "kin"}
                        ).drop_duplicates(["volunteer_id", "elder_id"])
    measured = pd.DataFrame({"volunteer_id": rng.choice(vols.volunteer_id, 15),
                             "elder_id": rng.choice(elds.elder_id, 15)}
                            ).drop_duplicates().reset_index(drop=True)
    measured["distance_km"] = np.round(rng.random(len(measured)) * 3, 3)
    measured["weekly_minutes"] = rng.integers(30, 200, len(measured))
    for name, frame in (("v", vols), ("e", elds), ("r", rels), ("p", measured)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    world = read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                       tmp_path / "p.csv")
    v, e, dist, minutes = nearby_pairs(world, km)

    expected = {}
    for i, (vla, vlo) in enumerate(zip(vols.lat, vols.lon, strict=True)):
        for j, (ela, elo) in enumerate(zip(elds.lat, elds.lon, strict=True)):
            d = float(haversine_km(np.array([vla]), np.array([vlo]), np.array([ela]),
                                   np.array([elo]))[0])
            if d <= km:
                expected[i, j] = (d, None)
    for a, b in zip(rels.volunteer_id, rels.elder_id, strict=True):
        i, j = int(a[1:]), int(b[1:])
        if (i, j) not in expected:
            expected[i, j] = (float(haversine_km(vols.lat.to_numpy()[[i]], vols.lon.to_numpy()[[i]],
                                                 elds.lat.to_numpy()[[j]],
                                                 elds.lon.to_numpy()[[j]])[0]), None)
    for a, b, d, m in zip(measured.volunteer_id, measured.elder_id, measured.distance_km,
                          measured.weekly_minutes, strict=True):
        expected[int(a[1:]), int(b[1:])] = (float(d), float(m))
    keys = sorted(expected, key=lambda k: k[0] * n_e + k[1])
    assert list(zip(v.tolist(), e.tolist(), strict=True)) == keys
    assert dist == pytest.approx([expected[k][0] for k in keys], abs=1e-9)
    assert [None if np.isnan(m) else m for m in minutes] == [expected[k][1] for k in keys]
