"""One test where each pairing rule binds and one where it does not, on the smallest world
that shows it. Distances are along an east-west line, in km from the base point."""

from __future__ import annotations

import pytest

import matching
from tests.conftest import elders, relations, volunteers


def test_distance_limit_binds(plan):
    """An elder 2.1 km from the only volunteer cannot be paired (limit 2 km)."""
    p = plan(volunteers({"x": 0}), elders({"x": 2.1}))
    assert p.volunteer_of("E1") is None
    assert "no volunteer within 2 km" in p.reason("E1")
    assert "2.1 km away" in p.reason("E1")


def test_distance_limit_does_not_bind(plan):
    """At 1.9 km the pair is allowed: visit 60 + 2*15*1.9 = 117 min fits 300."""
    p = plan(volunteers({"x": 0}), elders({"x": 1.9}))
    assert p.volunteer_of("E1") == "V1"
    assert p.assignments["weekly_minutes"].astype(float).iloc[0] == pytest.approx(117.0, abs=0.1)


def test_kin_limit_binds(plan):
    """Kin may live up to 10 km apart, not 11."""
    p = plan(volunteers({"x": 0}), elders({"x": 11}), relations(("V1", "E1", "kin")),
             )
    assert p.volunteer_of("E1") is None


def test_kin_limit_does_not_bind(plan):
    """Kin at 5 km: allowed (60 + 150 = 210 minutes fit 300), tie reported as kin."""
    p = plan(volunteers({"x": 0}), elders({"x": 5}), relations(("V1", "E1", "kin")))
    assert p.volunteer_of("E1") == "V1"
    assert p.assignments["tie"].iloc[0] == "kin"


def test_refuses_binds(plan):
    """An elder who refuses the only nearby volunteer stays unassigned, and says so."""
    p = plan(volunteers({"x": 0}), elders({"x": 0.5}), relations(("V1", "E1", "refuses")))
    assert p.volunteer_of("E1") is None
    assert p.reason("E1") == "refuses the only eligible volunteer (V1)"


def test_refuses_does_not_bind(plan):
    """Refusing V1 leaves V2 (further away, 1.5 km) as the partner."""
    p = plan(volunteers({"x": 0}, {"x": 2.0}), elders({"x": 0.5}),
             relations(("V1", "E1", "refuses")))
    assert p.volunteer_of("E1") == "V2"


def test_gender_preference_binds(plan):
    """An elder who wants a woman is not paired with the nearer man."""
    p = plan(volunteers({"x": 0, "gender": "M"}, {"x": 1.5, "gender": "F"}),
             elders({"x": 0.1, "gender_preference": "F"}))
    assert p.volunteer_of("E1") == "V2"


def test_gender_preference_does_not_bind(plan):
    """Without a preference the nearer man is chosen."""
    p = plan(volunteers({"x": 0, "gender": "M"}, {"x": 1.5, "gender": "F"}),
             elders({"x": 0.1}))
    assert p.volunteer_of("E1") == "V1"


def test_gender_preference_unknown_volunteer_gender(plan):
    """A volunteer whose gender is not given cannot meet a preference."""
    p = plan(volunteers({"x": 0}), elders({"x": 0.1, "gender_preference": "女"}))
    assert "wants a female volunteer" in p.reason("E1")


def test_shared_day_binds(plan):
    """No shared available day: no pair."""
    p = plan(volunteers({"x": 0, "available_days": "Mon Tue"}),
             elders({"x": 0.2, "available_days": "周三 周四"}))
    assert p.volunteer_of("E1") is None
    assert "shares an available day" in p.reason("E1")


def test_shared_day_does_not_bind(plan):
    """One shared day (Tuesday) is enough."""
    p = plan(volunteers({"x": 0, "available_days": "Mon Tue"}),
             elders({"x": 0.2, "available_days": "二 四"}))
    assert p.volunteer_of("E1") == "V1"


def test_max_elders_binds(plan):
    """max_elders 1 and two elders: the higher priority (age 92 -> 3) is served."""
    p = plan(volunteers({"x": 0, "max_elders": 1}),
             elders({"x": 0.1, "age": 75}, {"x": 0.5, "age": 92}))
    assert p.volunteer_of("E2") == "V1"
    assert p.volunteer_of("E1") is None
    assert "the only eligible volunteer is at capacity" in p.reason("E1")
    assert "most elders" in p.reason("E1")


def test_max_elders_does_not_bind(plan):
    """max_elders 2: both are served."""
    p = plan(volunteers({"x": 0, "max_elders": 2}),
             elders({"x": 0.1, "age": 75}, {"x": 0.5, "age": 92}))
    assert len(p.assignments) == 2


def test_weekly_minutes_bind(plan):
    """Loads 60 + 30*0.2 = 66 and 60 + 30*0.5 = 75 minutes: 140 weekly minutes hold one
    elder, not both. Priorities tie (1 each), so the nearer E1 wins on cost."""
    p = plan(volunteers({"x": 0, "weekly_minutes": 140}),
             elders({"x": 0.2, "age": 70}, {"x": 0.5, "age": 70}))
    assert p.volunteer_of("E1") == "V1"
    assert p.volunteer_of("E2") is None
    assert "free weekly minutes" in p.reason("E2")


def test_weekly_minutes_do_not_bind(plan):
    """With 150 minutes both fit: 66 + 75 = 141."""
    p = plan(volunteers({"x": 0, "weekly_minutes": 150}),
             elders({"x": 0.2, "age": 70}, {"x": 0.5, "age": 70}))
    assert len(p.assignments) == 2


def test_walking_counts_in_the_week(plan):
    """At 1 km a 60-minute visit costs 60 + 2*15 = 90 minutes: 89 is too few, 90 enough."""
    short = plan(volunteers({"x": 0, "weekly_minutes": 89}), elders({"x": 1.0}))
    assert short.volunteer_of("E1") is None
    assert "fewer weekly minutes in all" in short.reason("E1")
    enough = plan(volunteers({"x": 0, "weekly_minutes": 90.01}), elders({"x": 1.0}))
    assert enough.volunteer_of("E1") == "V1"


def test_priority_comes_before_distance(plan):
    """One place, two elders: priority 3 at 1.8 km beats priority 1 at 0.1 km."""
    p = plan(volunteers({"x": 0, "max_elders": 1}),
             elders({"x": 0.1, "age": 70}, {"x": 1.8, "age": 95}))
    assert p.volunteer_of("E2") == "V1"
    assert p.result.priority == 3


def test_total_priority_beats_single_priority(plan):
    """max_elders 2 and elders of priority 2, 2 and 3: the best total is 3 + 2 = 5, so the
    95-year-old is served even though the two 85-year-olds live nearer."""
    p = plan(volunteers({"x": 0, "max_elders": 2}),
             elders({"x": 0.1, "age": 85}, {"x": 0.2, "age": 85}, {"x": 0.3, "age": 95}))
    assert p.result.priority == 5
    assert p.volunteer_of("E3") == "V1"


def test_kin_beats_a_nearer_stranger(plan):
    """Kin at 1.5 km costs 1.5 - 3 = -1.5 < 0.2 for a stranger at 0.2 km."""
    p = plan(volunteers({"x": 0.2, "max_elders": 1}, {"x": 1.5, "max_elders": 1}),
             elders({"x": 0}), relations(("V2", "E1", "kin")))
    assert p.volunteer_of("E1") == "V2"


def test_kin_bonus_does_not_bind(plan):
    """Kin at 3.5 km costs 0.5 > 0.2: the stranger is chosen."""
    p = plan(volunteers({"x": 0.2}, {"x": 3.5}), elders({"x": 0}),
             relations(("V2", "E1", "kin")))
    assert p.volunteer_of("E1") == "V1"


def test_familiar_beats_a_nearer_stranger(plan):
    """Familiar at 0.9 km costs -0.1 < 0.2."""
    p = plan(volunteers({"x": 0.2}, {"x": -0.9}), elders({"x": 0}),
             relations(("V2", "E1", "familiar")))
    assert p.volunteer_of("E1") == "V2"
    assert p.assignments["tie"].iloc[0] == "familiar"


def test_familiar_bonus_does_not_bind(plan):
    """Familiar at 1.5 km costs 0.5 > 0.2."""
    p = plan(volunteers({"x": 0.2}, {"x": -1.5}), elders({"x": 0}),
             relations(("V2", "E1", "familiar")))
    assert p.volunteer_of("E1") == "V1"


def test_measured_pairs_replace_computed_figures(plan):
    """pairs.csv says V1-E1 is 2.5 km by road (over the limit) although 0.5 km apart, and
    V2-E1 takes 200 minutes a week: V2 has 180, so E1 is unassigned."""
    import pandas as pd

    pairs = pd.DataFrame({"volunteer_id": ["V1", "V2"], "elder_id": ["E1", "E1"],
                          "distance_km": ["2.5", "0.7"], "weekly_minutes": ["", "200"]})
    p = plan(volunteers({"x": 0}, {"x": 1, "weekly_minutes": 180}), elders({"x": 0.5}),
             pairs=pairs)
    assert p.volunteer_of("E1") is None


def test_pairs_only_world_without_coordinates(plan):
    """Without coordinates, pairs.csv alone defines the candidates."""
    import pandas as pd

    vols = pd.DataFrame({"volunteer_id": ["A", "B"], "weekly_minutes": ["100", "100"]})
    elds = pd.DataFrame({"elder_id": ["J1", "J2"]})
    pairs = pd.DataFrame({"volunteer_id": ["A", "A", "B"], "elder_id": ["J1", "J2", "J2"],
                          "distance_km": ["0.01", "0.02", "0.05"],
                          "weekly_minutes": ["60", "60", "60"]})
    p = plan(vols, elds, pairs=pairs)
    # A can take one (60 of 100 min): J1 to A, J2 to B covers both (total 0.06)
    assert p.volunteer_of("J1") == "A" and p.volunteer_of("J2") == "B"


def test_default_priorities():
    """Priority 3 at 90+, 2 at 80+ or alone or low income, else 1; a given value wins."""
    world = matching.read_world(
        volunteers({"x": 0}),
        elders({"x": 0, "age": 90}, {"x": 0, "age": 80}, {"x": 0, "age": 70, "lives_alone": "是"},
               {"x": 0, "age": 70, "low_income": "yes"}, {"x": 0, "age": 70},
               {"x": 0, "age": 95, "priority": 1}))
    assert world.elders.priority.tolist() == [3, 2, 2, 2, 1, 1]


def test_rules_are_settings(plan):
    """A scenario's wider radius (3 km) admits the 2.5 km pair."""
    rules = matching.Rules(max_km=3.0)
    p = plan(volunteers({"x": 0}), elders({"x": 2.5}), rules=rules)
    assert p.volunteer_of("E1") == "V1"
