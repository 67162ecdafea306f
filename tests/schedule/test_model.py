"""The window model, rule by rule, on one or two weeks, with each optimum worked out by hand.

Worlds are placed ``x`` km east of a base point; walking is 15 min/km, so an elder 0.2 km away
costs 3 minutes each way: a 60-minute visit takes 66 minutes of the week, a 30-minute
birthday greeting 36 (30 + 3 + 3 when it shares the visit's trip: 96 for both), a 60-minute
service 66.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import matching
from matching.schedule import ScheduleRules
from matching.schedule.backups import Backups, choose_backups
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import Horizon
from matching.schedule.milp import LinearModel, MilpSolution
from matching.schedule.model import Birthday, Booked, WindowModel
from matching.schedule.past import Past
from matching.schedule.services import ServiceRequest
from tests.conftest import elders, volunteers

MARCH_2027 = dt.date(2027, 3, 1)  # a Monday


def world_data(vols, elds, pairs: dict[str, str], weeks: int) -> tuple[ScheduleData, Backups]:
    """Schedule data for a world in memory, with the given primaries, from 1 March 2027."""
    world = matching.read_world(vols, elds)
    problem = matching.build_problem(world)
    index_v = {v: i for i, v in enumerate(problem.volunteer_ids)}
    index_e = {e: i for i, e in enumerate(problem.elder_ids)}
    primary = np.full(problem.num_elders, -1)
    for e, v in pairs.items():
        primary[index_e[e]] = index_v[v]
    rules = ScheduleRules()
    horizon = Horizon.build(MARCH_2027, weeks, None, rules)
    data = ScheduleData.build(problem, primary, rules, horizon)
    return data, choose_backups(data, Past())


def nothing_booked() -> Booked:
    return Booked({}, {}, set(), {})


@pytest.mark.parametrize(("weekly", "kept"), [
    (70, {"visit"}),  # 66 fits; 66 + 36 (or 96 on one trip) and 66 + 66 do not
    (110, {"visit", "birthday"}),  # one trip 96 <= 110; visit + service 132 > 110
    (170, {"visit", "birthday", "service"}),  # 96 + 66 = 162 <= 170
])
def test_visit_before_birthday_before_service(weekly, kept):
    """One volunteer, one elder, one week holding a visit, a birthday (Wednesday) and a
    service that can only be this week: what the week keeps goes visit, birthday, service."""
    vols = volunteers({"x": 0, "weekly_minutes": weekly, "skills": "haircut"})
    elds = elders({"x": 0.2, "age": 85})
    data, backups = world_data(vols, elds, {"E1": "V1"}, 1)
    week = list(data.horizon.weeks)
    birthday = Birthday(0, dt.date(2027, 3, 3))
    service = ServiceRequest(0, 0, week[0].days, "haircut", (0,), (data.trip(0, 0),))
    model = WindowModel(data, backups, week, {week[0].monday}, [birthday], [service], [],
                        nothing_booked(), frozenset())
    plan = model.solve(10)
    got = {"visit"} if plan.visits else set()
    got |= {"birthday"} if plan.birthdays else set()
    got |= {"service"} if plan.services else set()
    assert got == kept
    assert plan.status == "optimal"
    if "birthday" in kept:  # on the visit's day, so the walk is shared
        assert plan.birthdays[0][2] is True


def test_the_backup_stands_in_when_the_primary_has_no_room():
    """V1's first week is already full (a published past of 295 of 300 minutes): E1's visit
    that week is made by the backup V2, which is the backup's one turn of the block, so the
    primary makes the second week's visit."""
    vols = volunteers({"x": 0}, {"x": 0.4})
    elds = elders({"x": 0.2, "age": 85})
    data, backups = world_data(vols, elds, {"E1": "V1"}, 4)
    assert backups.backup.tolist() == [1]
    weeks = list(data.horizon.weeks)[:2]
    booked = Booked({(0, weeks[0].monday): 295.0}, {}, set(), {})
    model = WindowModel(data, backups, weeks, {w.monday for w in weeks}, [], [], [], booked,
                        frozenset())
    plan = model.solve(10)
    assert sorted(plan.visits) == [(0, weeks[0].monday, 1), (0, weeks[1].monday, 0)]


def test_the_backup_takes_one_turn_per_block_where_there_is_room():
    """With room everywhere, the four weeks of a block hold three visits by the primary and
    one by the backup, in the backup's usual week of the block."""
    vols = volunteers({"x": 0}, {"x": 0.4})
    elds = elders({"x": 0.2, "age": 85})
    data, backups = world_data(vols, elds, {"E1": "V1"}, 4)
    weeks = list(data.horizon.weeks)
    model = WindowModel(data, backups, weeks, {w.monday for w in weeks}, [], [], [],
                        nothing_booked(), frozenset())
    plan = model.solve(10)
    by = {monday: who for _e, monday, who in plan.visits}
    assert sorted(by.values()) == [0, 0, 0, 1]
    usual = weeks[int(backups.usual_week[0])].monday
    assert by[usual] == 1


def test_the_greedy_fallback_keeps_every_row_and_the_visits():
    """When the solver has no plan in time, the greedy plan satisfies every row of the model
    and keeps what fits in the order of the weights: here both visits of a two-week window
    (66 minutes of 300 a week each)."""
    vols = volunteers({"x": 0}, {"x": 0.4})
    elds = elders({"x": 0.2, "age": 85}, {"x": 0.3, "age": 90})
    data, backups = world_data(vols, elds, {"E1": "V1", "E2": "V2"}, 2)
    weeks = list(data.horizon.weeks)
    model = WindowModel(data, backups, weeks, {w.monday for w in weeks}, [], [], [],
                        nothing_booked(), frozenset())
    chosen = model.greedy()
    assert model.lp.feasible(chosen)
    plan = model.read(MilpSolution("greedy", chosen, 0.0, 0.0))
    assert len(plan.visits) == 4


def test_linear_model_solves_a_knapsack_exactly():
    """max 5a + 4b + 3c subject to 2a + 3b + c <= 4 and a + b <= 1: a and c (8), proven."""
    lp = LinearModel()
    a, b, c = lp.binary("a", 5), lp.binary("b", 4), lp.binary("c", 3)
    lp.add([(a, 2), (b, 3), (c, 1)], hi=4)
    lp.at_most_one([a, b])
    found = lp.solve(10)
    assert (found.status, found.objective, found.chosen.tolist()) == ("optimal", 8.0,
                                                                      [True, False, True])


def test_linear_model_holds_columns_and_a_floor():
    """Holding a at 0 leaves b + c (7); a floor of 9 on the weights is infeasible under the
    knapsack (at most 8), so no plan is found; other weights (2, 1, 10) choose a + c (12)."""
    lp = LinearModel()
    a, b, c = lp.binary("a", 5), lp.binary("b", 4), lp.binary("c", 3)
    lp.add([(a, 2), (b, 3), (c, 1)], hi=4)
    held = lp.solve(10, hold=(np.array([a]), np.array([False])))
    assert (held.objective, held.chosen.tolist()) == (7.0, [False, True, True])
    assert lp.solve(10, at_least=(np.array([5.0, 4.0, 3.0]), 9.0)).status == "none"
    other = lp.solve(10, weights=np.array([2.0, 1.0, 10.0]))
    assert (other.objective, other.chosen.tolist()) == (12.0, [True, False, True])
