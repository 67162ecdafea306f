"""The solver against an independent reference optimum, on worlds where each path is taken."""

from __future__ import annotations

import time

import numpy as np
import pytest

import matching
from matching import checker
from matching.outputs.runfolder import RunFolder
from matching.pairing.arcmodel import ArcModel
from tests.conftest import elders, small_world, volunteers


def solve_checked(tmp_path, vols, elds, rels, **kw):
    """Solve through files, check the plan independently, and return result and report."""
    for name, frame in (("v", vols), ("e", elds), ("r", rels)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")
    result = matching.solve(matching.build_problem(world), matching.SolveOptions(**kw))
    RunFolder.for_pairing(result).write(tmp_path / "plan")
    report = checker.check_pairing(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                                   None, tmp_path / "plan")
    assert report.ok, report.text()
    cworld = checker.CheckWorld.read(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")
    return result, report, cworld


#: Seed -> volunteers over their week in the flow.
OVERFULL_BY_SEED = {0: 7, 1: 7, 2: 8, 3: 5, 4: 7, 5: 5}


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_matches_reference_when_minutes_bind(tmp_path, seed):
    """Tight weekly minutes (elders are left out) take the cover-cut LP, then CP-SAT on
    what its prices leave; the optimum equals an independent CP-SAT model's."""
    vols, elds, rels = small_world(seed, 12, 40, weekly=[90, 120, 150, 200])
    result, report, cworld = solve_checked(tmp_path, vols, elds, rels)
    assert result.status == matching.Status.OPTIMAL
    assert result.stats["overfull"] == OVERFULL_BY_SEED[seed]
    assert result.method == "min-cost flow + cover cuts + CP-SAT"
    priority, cost = checker.reference_optimum(cworld)
    assert report.figures["priority"] == priority
    assert report.figures["cost"] == pytest.approx(cost, abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_lagrangian_route_matches_reference(tmp_path, seed):
    """Without the LP and with branching ruled out, subgradient prices bound the plan and
    CP-SAT proves it: the same optimum as the independent model's."""
    vols, elds, rels = small_world(seed, 12, 40, weekly=[90, 120, 150, 200])
    result, report, cworld = solve_checked(tmp_path, vols, elds, rels,
                                           strategies=frozenset({"lagrangian", "cp-sat"}))
    assert result.status == matching.Status.OPTIMAL
    assert result.method == "min-cost flow + Lagrangian bounds + CP-SAT"
    priority, cost = checker.reference_optimum(cworld)
    assert report.figures["priority"] == priority
    assert report.figures["cost"] == pytest.approx(cost, abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_matches_reference_when_only_flow_is_needed(tmp_path, seed):
    """With weeks too long to bind, the min-cost flow alone is optimal."""
    vols, elds, rels = small_world(seed, 10, 30, weekly=[2000])
    result, report, cworld = solve_checked(tmp_path, vols, elds, rels)
    assert result.method == "min-cost flow"
    assert result.is_optimal()
    priority, cost = checker.reference_optimum(cworld)
    assert report.figures["priority"] == priority
    assert report.figures["cost"] == pytest.approx(cost, abs=1e-3)


@pytest.mark.slow
def test_overfull_flow_is_repaired(tmp_path):
    """A world where the flow relaxation overloads someone still ends optimal and valid."""
    vols, elds, rels = small_world(11, 15, 45, weekly=[100, 130])
    result, _, _ = solve_checked(tmp_path, vols, elds, rels)
    assert result.stats["overfull"] > 0
    assert result.is_optimal()


def test_time_limit_keeps_plan_valid_and_maximal(tmp_path):
    """With almost no time (the full proof takes CP-SAT) the plan is marked feasible, with
    its bound, and is still valid and maximal: no elder who could be served is left out
    (the checker's maximality rule, asserted in solve_checked)."""
    vols, elds, rels = small_world(3, 30, 90, weekly=[100, 130, 160])
    result, report, _ = solve_checked(tmp_path, vols, elds, rels, time_limit=0.01)
    assert result.status == matching.Status.FEASIBLE
    assert result.priority_bound >= report.figures["priority"]
    assert result.figures()["status"] == "feasible"


@pytest.mark.slow
def test_same_seed_same_plan(tmp_path):
    """Two solves of the same world with the same seed give identical plans (seed 0's
    world, which needs the cuts and CP-SAT: see above)."""
    vols, elds, rels = small_world(0, 12, 40, weekly=[90, 120, 150, 200])
    a, _, _ = solve_checked(tmp_path / "a", vols, elds, rels, seed=3) if (tmp_path / "a").mkdir() \
        is None else None
    b, _, _ = solve_checked(tmp_path / "b", vols, elds, rels, seed=3) if (tmp_path / "b").mkdir() \
        is None else None
    assert a.assignments.equals(b.assignments)
    assert (tmp_path / "a" / "plan" / "assignments.csv").read_bytes() == \
        (tmp_path / "b" / "plan" / "assignments.csv").read_bytes()


def test_result_explains_itself(tmp_path):
    """Summary, coverage by tier and figures agree with the tables."""
    vols, elds, rels = small_world(2, 8, 40, weekly=[150])
    result, report, _ = solve_checked(tmp_path, vols, elds, rels)
    figures = result.figures()
    assert figures["assigned"] == len(result.assignments) == report.figures["assigned"]
    assert figures["unassigned"] == len(result.unassigned) > 0
    cov = result.coverage()
    assert int(cov["assigned"].sum()) == figures["assigned"]
    assert "priority" in result.summary() and "status" in result.summary()
    assert all(result.unassigned["reason"].str.len() > 10)


def test_independent_components_are_solved_together(tmp_path):
    """Two towns 50 km apart: each is served by its own volunteers."""
    vols = volunteers({"x": 0}, {"x": 50})
    elds = elders({"x": 0.3}, {"x": 50.3})
    for name, frame in (("v", vols), ("e", elds)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv")
    result = matching.solve(matching.build_problem(world))
    assert dict(zip(result.assignments["elder_id"], result.assignments["volunteer_id"],
                    strict=True)) == {"E1": "V1", "E2": "V2"}


def _one_week_too_full(plan, **solve_kw):
    """V1 has 150 weekly minutes. The flow (which ignores minutes) takes the two nearest,
    E3 (0.1 km, a 90-minute visit: 93 min) and E1 (0.2 km: 66 min) = 159 min, too many.
    {E1, E2} = 66 + 75 = 141 min fits, cost 0.7 km; {E3, E2} = 168 min does not; so the
    optimum is {E1, E2}."""
    return plan(volunteers({"x": 0, "weekly_minutes": 150}),
                elders({"x": 0.2, "age": 70}, {"x": 0.5, "age": 70},
                       {"x": 0.1, "age": 70, "visit_minutes": 90}), **solve_kw)


def test_cover_cuts_settle_a_small_overload(plan):
    """The LP with V1's minute row, 66 x1 + 75 x2 + 93 x3 <= 150, and two elders served,
    x1 + x2 + x3 >= 2, is fractional: x2 = 1, x1 = 2/3, x3 = 1/3 (0.667 km). The cover
    {E2, E3} (75 + 93 > 150) cuts it: x2 + x3 <= 1. Then x1 = 1, x2 = x3 = 1/2 (0.5 km);
    the cover {E1, E3} (66 + 93 > 150): x1 + x3 <= 1. With both, x3 = 0 and x1 = x2 = 1:
    integral, 0.7 km, proven in four LP rounds (a minute row, two cuts, nothing)."""
    p = _one_week_too_full(plan)
    assert p.result.method == "min-cost flow + cover cuts"
    assert p.result.is_optimal()
    assert sorted(p.assignments["elder_id"]) == ["E1", "E2"]
    assert p.result.stats["cover_cuts"] == 2
    assert p.result.stats["lp_week_rows"] == 1
    assert p.result.stats["lp_rounds"] == 4


def test_branch_and_bound_settles_a_small_overload(plan):
    """Without the LP (as when its columns cannot serve what the flow serves), branching
    forbids one of V1's pairs at a time and finds {E1, E2} by flows alone."""
    p = _one_week_too_full(plan, strategies=frozenset({"branch-and-bound", "cp-sat"}))
    assert p.result.method == "min-cost flow + branch-and-bound"
    assert p.result.is_optimal()
    assert sorted(p.assignments["elder_id"]) == ["E1", "E2"]


def _four_elders():
    """Two volunteers of 100 minutes, four elders of 50 minutes each, every pair allowed;
    costs (V1, V2) per elder: E1 (1, 9), E2 (9, 1), E3 (1, 9), E4 (9, 1)."""

    return ArcModel(arc_v=np.array([0, 1] * 4), arc_e=np.repeat(np.arange(4), 2),
                          arc_cost=np.array([1, 9, 9, 1, 1, 9, 9, 1]),
                          arc_load=np.full(8, 50), cap_count=np.array([2, 2]),
                          cap_load=np.array([100, 100]), priority=np.ones(4, dtype=np.int64))


#: Plans of :func:`_four_elders`: V1 {E1, E2}, V2 {E3, E4} (cost 20), and the optimum
#: V1 {E1, E3}, V2 {E2, E4} (cost 4).
FOUR_ELDERS_DEAR = np.array([True, False, True, False, False, True, False, True])
FOUR_ELDERS_BEST = np.array([True, False, False, True, True, False, False, True])


@pytest.mark.slow
def test_neighbourhood_search_finds_the_swap():
    """Two volunteers of 100 minutes, four elders of 50 minutes each, every pair allowed.
    Costs (V1, V2) per elder: E1 (1, 9), E2 (9, 1), E3 (1, 9), E4 (9, 1). The plan
    V1 {E1, E2}, V2 {E3, E4} costs 1 + 9 + 9 + 1 = 20; the optimum swaps E2 and E3:
    V1 {E1, E3}, V2 {E2, E4} = 1 + 1 + 1 + 1 = 4. A neighbourhood holding both volunteers
    (every one, with two volunteers) finds it; the priority served stays 4."""
    from matching.pairing import improve

    data = _four_elders()
    cost = data.arc_cost
    plan = FOUR_ELDERS_DEAR
    assert int(cost[plan].sum()) == 20
    better = improve.improve_by_neighbourhoods(data, plan, time.monotonic() + 2.0, seed=0)
    assert int(cost[better].sum()) == 4
    assert better.sum() == 4
    assert np.array_equal(np.flatnonzero(better), [0, 3, 4, 7])


@pytest.mark.parametrize(("week_of_v1", "priority", "start", "cost"), [
    # V1's week holds one elder (60 <= 100 < 120) and V0 takes one (elder limit 1): two
    # of three are served. Priority 3 needs E2 (priority 2) and one more: V0-E2 + V1-E0 =
    # 3 + 5 = 8, V0-E0 + V1-E2 = 1 + 5 = 6, V0-E1 + V1-E2 = 2 + 5 = 7: the optimum is 6.
    (100, 3, None, 6),
    # V1's week holds all three (180 <= 200): everyone served, V0 takes the cheapest to it,
    # V0-E0 + V1-E1 + V1-E2 = 1 + 5 + 5 = 11 (V0-E1: 12, V0-E2: 13, V0 none: 15); started
    # from the 13 plan, HiGHS still ends at 11.
    (200, 4, [False, True, False, True, True, False], 11),
])
def test_highs_plan_is_exact_on_a_hand_worked_component(week_of_v1, priority, start, cost):
    """HiGHS on a component: the priority row (some left out) or "exactly one each"
    (everyone served), the elder limit where it binds, and a starting plan."""
    from matching.pairing import improve

    data = ArcModel(arc_v=np.array([0, 1] * 3), arc_e=np.repeat(np.arange(3), 2),
                          arc_cost=np.array([1, 5, 2, 5, 3, 5]), arc_load=np.full(6, 60),
                          cap_count=np.array([1, 3]), cap_load=np.array([100, week_of_v1]),
                          priority=np.array([1, 1, 2]))
    shared = None if start is None else improve.SharedPlan(data.arc_cost, np.array(start))
    plan, bound, optimal = improve.highs_plan(
        data, priority, time.monotonic() + 10.0,
        start=None if start is None else np.array(start), shared=shared)
    assert optimal
    assert int(data.arc_cost[plan].sum()) == cost == bound
    assert int(data.priority[data.arc_e[plan]].sum()) >= priority
    if shared is not None:  # HiGHS handed its improving plan to whoever runs beside it
        assert shared.best()[1] == cost


@pytest.mark.parametrize("seed", range(3))
def test_highs_plan_is_optimal_to_the_unit_when_costs_are_large(seed):
    """Costs of a million units apart by at most 60: HiGHS's default relative gap (0.01%,
    100 units here) would stop at a dearer plan and call it optimal (it did on every one of
    30 such worlds tried, by 100-230 units). The plan must equal the optimum of an
    independent CP-SAT model, and be proven by its bound."""
    from ortools.sat.python import cp_model

    from matching.pairing import improve

    rng = np.random.default_rng(seed)
    m, n = 4, 12
    cost = 1_000_000 + rng.integers(0, 60, size=(m, n))
    load = rng.integers(10, 31, size=(m, n))
    cap = (load.mean(axis=1) * n / m * 1.05).astype(np.int64)
    e, v = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    data = ArcModel(arc_v=v.ravel(), arc_e=e.ravel(), arc_cost=cost.T.ravel(),
                          arc_load=load.T.ravel(), cap_count=np.full(m, n), cap_load=cap,
                          priority=np.ones(n, dtype=np.int64))
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(sum(int(load[i, j]) * x[i][j] for j in range(n)) <= int(cap[i]))
    model.minimize(sum(int(cost[i, j]) * x[i][j] for i in range(m) for j in range(n)))
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    plan, bound, optimal = improve.highs_plan(data, n, time.monotonic() + 30.0)
    assert optimal
    assert int(data.arc_cost[plan].sum()) == round(solver.objective_value) == bound


def test_neighbourhoods_carry_on_from_the_plan_highs_shares():
    """Beside HiGHS, the neighbourhood search takes a cheaper plan from the shared one. In
    the four-elder world above, started from the plan of cost 20 with the optimum (4) on
    offer and stopped after one step, it returns the optimum; a dearer offer is not kept."""
    from matching.pairing import improve

    data = _four_elders()
    cost = data.arc_cost
    dear, best = FOUR_ELDERS_DEAR, FOUR_ELDERS_BEST
    shared = improve.SharedPlan(cost, best)
    shared.offer(dear)
    assert shared.best()[1] == 4
    steps = []
    found = improve.improve_by_neighbourhoods(
        data, dear, time.monotonic() + 10.0, seed=0, shared=shared,
        until=lambda: steps.append(1) or len(steps) > 1)
    assert int(cost[found].sum()) == 4
    assert np.array_equal(found, best)


def test_a_stalled_neighbourhood_search_moves_to_the_latest_highs_plan(monkeypatch):
    """After a stall the search goes on from HiGHS's latest plan, even a dearer one (another
    basin), rather than kicking its own. With every step a stall (threshold 0), the first
    neighbourhood it solves starts from HiGHS's plan of cost 20, not its own optimum of 4,
    and the optimum is still what it returns."""
    from matching.pairing import improve

    data = _four_elders()
    cost = data.arc_cost
    dear, best = FOUR_ELDERS_DEAR, FOUR_ELDERS_BEST
    seen = []
    real = improve._neighbourhood

    def spy(data, arcs, current, *args, **kwargs):
        seen.append((arcs.copy(), current.copy()))
        return real(data, arcs, current, *args, **kwargs)

    monkeypatch.setattr(improve, "_neighbourhood", spy)
    monkeypatch.setattr(improve, "LNS_STALL_STEPS", 0)
    shared = improve.SharedPlan(cost, best)
    shared.arrive(dear)
    assert shared.best()[1] == 4  # HiGHS's dearer plan does not replace the best
    found = improve.improve_by_neighbourhoods(data, best, time.monotonic() + 10.0, seed=0,
                                              shared=shared, until=lambda: len(seen) >= 1)
    arcs, current = seen[0]
    assert np.array_equal(current, dear[arcs]) and not np.array_equal(current, best[arcs])
    assert int(cost[found].sum()) == 4


@pytest.mark.slow
def test_an_unproven_search_hands_over_to_neighbourhoods(tmp_path, monkeypatch):
    """With no time for the full search to prove a tight world, the neighbourhood search
    takes over, and the plan it leaves keeps every rule (the independent checker)."""
    from matching.pairing import cpsat, improve

    calls = []
    real = improve.improve_by_neighbourhoods

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(improve, "improve_by_neighbourhoods", spy)
    monkeypatch.setattr(cpsat, "LNS_MAIN_SHARE", 0.0)  # the full search stops at once
    monkeypatch.setattr(cpsat, "HIGHS_MAX_PAIRS", 0)  # and no component goes to HiGHS
    vols, elds, rels = small_world(3, 12, 40, weekly=[90, 120, 150, 200])
    result, report, _ = solve_checked(tmp_path, vols, elds, rels, time_limit=5)
    assert calls  # the hand-over happened
    assert report.ok
    # (the bound before it, cover cuts or Lagrangian, depends on how fast the LP runs on a
    # loaded machine: each has a test of its own)
    assert result.method.endswith(" + CP-SAT")


@pytest.mark.slow
def test_highs_closes_what_cp_sat_leaves_open(tmp_path, monkeypatch):
    """With no time for the full CP-SAT search, HiGHS gets the component: on a tight world
    it proves the optimum, which equals the independent reference's."""
    from matching.pairing import cpsat

    monkeypatch.setattr(cpsat, "SEARCH_SHARE_BEFORE_HIGHS", 0.0)
    vols, elds, rels = small_world(3, 12, 40, weekly=[90, 120, 150, 200])
    result, report, cworld = solve_checked(tmp_path, vols, elds, rels, time_limit=20)
    assert result.status == matching.Status.OPTIMAL
    priority, cost = checker.reference_optimum(cworld)
    assert report.figures["priority"] == priority
    assert report.figures["cost"] == pytest.approx(cost, abs=1e-3)


def test_the_cuts_hold_after_another_highs_solve_in_the_process(tmp_path):
    """HiGHS keeps one thread scheduler per process: once the neighbourhood search's MIP had
    started it, the cuts' LP asked for one thread and failed, and its prices were lost (the
    route fell back to Lagrangian bounds). A MIP first, then the cuts: still the cuts."""
    from matching.pairing import improve

    data = ArcModel(arc_v=np.array([0, 1] * 3), arc_e=np.repeat(np.arange(3), 2),
                    arc_cost=np.array([1, 5, 2, 5, 3, 5]), arc_load=np.full(6, 60),
                    cap_count=np.array([1, 3]), cap_load=np.array([100, 100]),
                    priority=np.array([1, 1, 2]))
    assert improve.highs_plan(data, 3, time.monotonic() + 10.0)[2]
    vols, elds, rels = small_world(0, 12, 40, weekly=[90, 120, 150, 200])
    result, _, _ = solve_checked(tmp_path, vols, elds, rels, strategies=frozenset({"cuts"}))
    assert result.method == "min-cost flow + cover cuts"


def test_without_cp_sat_the_plan_keeps_the_rules_and_claims_no_proof(tmp_path):
    """Seed 0's world needs CP-SAT to close its gap (see above). With the cuts alone, the
    best plan the bounds give is written and checked (the checker in solve_checked), and it
    claims no proof: priority 44 against the cuts' bound of 46, which is the optimum's
    priority (the reference model's 46), so the bound is tight and the plan is not."""
    vols, elds, rels = small_world(0, 12, 40, weekly=[90, 120, 150, 200])
    result, report, cworld = solve_checked(tmp_path, vols, elds, rels,
                                           strategies=frozenset({"cuts"}))
    optimum_priority, _ = checker.reference_optimum(cworld)
    assert (result.status, result.method) == (matching.Status.FEASIBLE,
                                              "min-cost flow + cover cuts")
    assert (report.figures["priority"], result.priority_bound, optimum_priority) == (44, 46, 46)
    assert result.cost_bound_units is None  # no cost is claimed below a priority not proven
    assert not result.time_limit_reached  # no proof was asked for: not the clock's doing
    assert "priority not proven" in result.summary()
    with pytest.raises(ValueError, match="unknown solve strategies"):
        matching.SolveOptions(strategies=frozenset({"guessing"}))


def test_the_method_names_what_ran(tmp_path):
    """With Lagrangian prices and no CP-SAT allowed, the record says so, without "+ CP-SAT";
    several parts report the most involved method (cover cuts over branching)."""
    from matching.pairing.solver import Method, most_involved

    vols, elds, rels = small_world(0, 12, 40, weekly=[90, 120, 150, 200])
    result, _, _ = solve_checked(tmp_path, vols, elds, rels,
                                 strategies=frozenset({"lagrangian"}))
    assert (result.status, result.method) == (matching.Status.FEASIBLE,
                                              "min-cost flow + Lagrangian bounds")
    assert most_involved(["min-cost flow + branch-and-bound", "min-cost flow + cover cuts",
                          "min-cost flow"]) == Method.CUTS.label == "min-cost flow + cover cuts"
    assert most_involved([]) == "min-cost flow"
    with pytest.raises(ValueError, match="no solve method is called 'guessing'"):
        Method.of("guessing")


def test_the_route_is_a_table_of_the_strategies():
    """Every step of a part's route is one of the strategies the options may switch off,
    in the order the module describes: cuts, then branching, then Lagrangian prices."""
    from matching.pairing.solver import ROUTE, STRATEGIES

    assert [step.strategy for step in ROUTE] == ["cuts", "branch-and-bound", "lagrangian"]
    assert {step.strategy for step in ROUTE} | {"flow", "cp-sat"} == set(STRATEGIES)
