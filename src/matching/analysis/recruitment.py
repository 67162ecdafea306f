"""Where to recruit: the fewest new volunteers, and where they live, with whom every elder
who can be served is served, the whole pairing free to change.

The candidates are recruits who would live either at each unserved elder's home (``near``:
a neighbour of that elder) or at each community's centre (``centres``: the mean position of
its elders), each with the rules' default capacity, free every day, and of either gender.
Who may serve whom is asked of the pairing's own rules (:func:`matching.build_problem` over
the world with the candidates added), so a recruit is eligible exactly when a volunteer
living there would be.

The model decides the pairing too: a recruit may take an elder some volunteer serves today,
so that the volunteer can serve an elder nobody reaches. Two CP-SAT models over the parts of
the world that some candidate reaches (parts connected by who may serve whom; the rest keep
their plan) find first how many elders can be served at all, then the fewest candidates
with whom that many are. What is proven is exactly that: the fewest among these candidates,
re-pairing allowed (:attr:`Recruitment.claim`). The choice is checked by pairing the world
again with the recruits in it (:attr:`Recruitment.served_after`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.sparse.csgraph import connected_components

from matching.pairing.options import SolveOptions
from matching.pairing.problem import PairingProblem, build_problem
from matching.pairing.regions import solve_world
from matching.pairing.result import PairingResult
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import World
from matching.world.tables import Volunteers

#: Where candidates may live.
PLACES = ("near", "centres")

#: Genders a recruit may have (an elder may prefer one).
RECRUIT_GENDERS = ("F", "M")

#: Seconds for each of the two covering models (most served, then fewest recruits).
RECRUIT_SECONDS = 30.0

#: CP-SAT workers for the covering models (interleaved, so that the choice is the same from
#: run to run).
RECRUIT_WORKERS = 2

#: Columns of :attr:`Recruitment.recruits`.
RECRUIT_COLUMNS = (VOLUNTEER_ID, "gender", "community", "lat", "lon", "elders", "elder_ids")

#: Slack when rounding a solver's fractional bound up to whole recruits.
BOUND_TOLERANCE = 1e-6

#: What the candidate places are, for :attr:`Recruitment.claim`.
PLACE_WORDS = {"near": "living at an unserved elder's home",
               "centres": "living at a community's centre"}

#: Id prefix of the recruits (never an id of the inputs: checked when they are made).
RECRUIT_PREFIX = "R"


@dataclass(frozen=True)
class Recruitment:
    """The recruits a plan needs.

    Attributes
    ----------
    recruits
        One row per recruit: ``volunteer_id, gender, community, lat, lon, elders`` (how many
        elders they take in the model's pairing: unserved ones, or ones they take over so
        that a volunteer is freed) and ``elder_ids`` (those elders, ``;``-separated).
    unreachable
        Elders the plan leaves unserved whom no choice of candidates gets served (no
        coordinates, or a need or preference no recruit meets), by ``elder_id``.
    optimal
        Whether both models were solved to optimality: then no choice of fewer candidates
        (of the places asked) serves as many elders, whatever the pairing.
    served_after
        Elders served when the world is paired again with the recruits in it.
    elders
        Elders in the world.
    lower_bound
        The fewest recruits any choice of these candidates could need (equal to
        :attr:`needed` when ``optimal``).
    places
        Where the candidates lived (:data:`PLACES`).
    """

    recruits: pd.DataFrame
    unreachable: list[str]
    optimal: bool
    served_after: int
    elders: int
    lower_bound: int = 0
    places: str = "near"

    @property
    def needed(self) -> int:
        """Number of recruits."""
        return len(self.recruits)

    @property
    def claim(self) -> str:
        """What is proven about :attr:`needed`, in words that say no more than that."""
        where = PLACE_WORDS[self.places]
        recruits = "recruit" if self.needed == 1 else "recruits"
        if self.optimal:
            return (f"{self.needed} {recruits}: the fewest, proven, of the candidates "
                    f"{where}, with every pair free to change")
        return (f"{self.needed} {recruits} found; at least {self.lower_bound} are needed "
                f"(not proven the fewest) of the candidates {where}, with every pair free to "
                f"change")


def candidates(world: World, unserved: pd.DataFrame, places: str) -> Volunteers:
    """Candidate recruits as volunteers (with the world's volunteer columns).

    ``places`` is ``near`` (one candidate of each gender at each unserved elder's home) or
    ``centres`` (at each community's centre of its elders, as many of each gender as its
    unserved elders could need).
    """
    if places not in PLACES:
        raise ValueError(f"places must be one of {PLACES}, not {places!r}")
    rules = world.rules
    located = unserved[unserved["lat"].notna() & unserved["lon"].notna()]
    if places == "near":
        sites = located[["community", "lat", "lon"]].assign(copies=1)
    else:
        elders = world.elders.frame()
        elders = elders[elders["lat"].notna()]
        centres = elders.groupby("community", sort=True)[["lat", "lon"]].mean()
        wanted = located.groupby("community").size()
        centres = centres.loc[centres.index.intersection(wanted.index)]
        sites = centres.reset_index().assign(copies=[
            math.ceil(wanted[c] / max(1, rules.default_max_elders)) for c in centres.index])
    taken = set(world.volunteers.volunteer_id)
    rows: list[dict[str, object]] = []
    for site in sites.itertuples(index=False):
        for gender in RECRUIT_GENDERS:
            for _ in range(int(site.copies)):
                number = len(rows) + 1
                while f"{RECRUIT_PREFIX}{number:05d}" in taken:
                    number += 1
                vid = f"{RECRUIT_PREFIX}{number:05d}"
                taken.add(vid)
                rows.append({VOLUNTEER_ID: vid, "gender": gender,
                             "community": site.community, "lat": float(site.lat),
                             "lon": float(site.lon)})
    frame = pd.DataFrame(rows, columns=[VOLUNTEER_ID, "gender", "community", "lat", "lon"])
    return _as_volunteers(world, frame)


def _as_volunteers(world: World, frame: pd.DataFrame) -> Volunteers:
    """Recruits as volunteers shaped as the world's own: default capacity, every day its
    elders have, no skills, nothing else known."""
    rules = world.rules
    all_days = int(np.bitwise_or.reduce(world.elders.day_mask)) if len(world.elders) else 0
    n = len(frame)
    blank = np.full(n, "", dtype=object)
    nothing = np.empty(n, dtype=object)
    nothing[:] = [()] * n
    ids = frame[VOLUNTEER_ID].to_numpy(dtype=object)
    return Volunteers(
        volunteer_id=ids, name=ids, gender=frame["gender"].to_numpy(dtype=object),
        community=frame["community"].to_numpy(dtype=object), phone=blank,
        lat=frame["lat"].to_numpy(float), lon=frame["lon"].to_numpy(float),
        age=np.full(n, np.nan), max_elders=np.full(n, int(rules.default_max_elders)),
        weekly_minutes=np.full(n, float(rules.default_weekly_minutes)),
        day_mask=np.full(n, all_days or 0b1111111), skills=nothing, away=nothing,
        preferred_times=nothing, other={c: blank for c in world.volunteers.other},
        order=world.volunteers.order)


def with_volunteers(world: World, extra: Volunteers) -> World:
    """The world with more volunteers (shaped as its own)."""
    return dataclasses.replace(world, volunteers=world.volunteers.concat(extra))


def recruit(world: World, plan: PairingResult, places: str = "near", *, seed: int = 0,
            time_limit: float = RECRUIT_SECONDS) -> Recruitment:
    """The fewest recruits, placed at ``places`` (see :func:`candidates`), with whom every
    elder who can be served is served, every pair free to change.

    When every candidate joining serves every elder someone may serve (the usual case), the
    fewest is found from the candidates outward: a CP-SAT model asks for the fewest
    candidates that serve the elders within a few steps of them (steps of who may serve
    whom), letting the volunteers there give all their time to those elders. That is a
    relaxation, so its optimum is a lower bound; the engine's own pairing of the world with
    those recruits then shows whether it is reached. If not, the circle widens, up to the
    whole part of the world the candidates reach, where the model is exact. Otherwise two
    models over that whole part find the most elders that can be served, then the fewest
    candidates that serve that many.

    Parameters
    ----------
    world
        The world ``plan`` was made for.
    plan
        Its pairing: who is unserved decides where candidates live; its pairs are a start.
    seed, time_limit
        For each model and for the pairings that check the choice.
    """
    served = set(plan.assignments[ELDER_ID])
    elders = world.elders
    unserved = elders.take(np.array([e not in served for e in elders.elder_id], dtype=bool))
    if not len(unserved):
        return Recruitment(_empty(), [], True, len(served), len(elders), 0, places)
    options = SolveOptions(time_limit=time_limit, seed=seed)
    pool = candidates(world, unserved.frame(), places)
    first_recruit = len(world.volunteers)
    everyone = with_volunteers(world, pool)
    problem = build_problem(everyone)
    servable = np.zeros(problem.num_elders, dtype=bool)
    servable[problem.arc_e] = True
    target = int(servable.sum())
    model = _CoverModel(problem, first_recruit, plan, seed, time_limit)

    def pair_with(opened: list[int]) -> PairingResult:
        return solve_world(with_volunteers(world, _as_volunteers(
            world, _candidate_rows(world, pool, [v - first_recruit for v in opened]))),
            options)

    chosen: tuple[list[int], int, bool, PairingResult] | None = None
    if len(solve_world(everyone, options).assignments) == target:
        chosen = _fewest_from_candidates(problem, first_recruit, model, pair_with, target)
    if chosen is None:  # not everyone reachable can be served at once: the whole part
        part = _reached_part(problem, first_recruit)
        most = model.solve(part.elders, must_serve=False, open_all=True)
        fewest = (model.solve(part.elders, must_serve=False, open_all=False,
                              served_at_least=most.served) if most is not None else None)
        if fewest is None:  # not even a first solution within the time: nothing is claimed
            return Recruitment(_empty(), sorted(str(e) for e in unserved.elder_id), False,
                               len(served), len(elders), 0, places)
        chosen = (fewest.opened, fewest.bound,
                  most is not None and most.optimal and fewest.optimal,
                  pair_with(fewest.opened))
    opened, bound, proven, pairing = chosen
    recruits = _recruit_rows(world, pool, [v - first_recruit for v in opened], pairing)
    now_served = set(pairing.assignments[ELDER_ID])
    unreachable = sorted(str(e) for e in unserved.elder_id if e not in now_served)
    return Recruitment(recruits, unreachable, proven and len(recruits) == bound,
                       len(pairing.assignments), len(elders), bound, places)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(RECRUIT_COLUMNS))


def _fewest_from_candidates(problem: PairingProblem, first_recruit: int, model: _CoverModel,
                            pair_with: Callable[[list[int]], PairingResult], target: int
                            ) -> tuple[list[int], int, bool, PairingResult] | None:
    """The widening relaxation (see :func:`recruit`): the fewest candidates, a lower bound,
    whether the model was solved to optimality, and the pairing with those candidates;
    ``None`` if a model found nothing in its time."""
    n_v, n_e = problem.num_volunteers, problem.num_elders
    ones = np.ones(problem.num_arcs, dtype=np.int8)
    serves = sp.csr_matrix((ones, (problem.arc_v, problem.arc_e)), shape=(n_v, n_e))
    volunteers = np.zeros(n_v, dtype=bool)
    volunteers[first_recruit:] = True
    elders = np.zeros(n_e, dtype=bool)
    steps = 1
    while True:
        whole = False
        for _ in range(steps):  # a step: the elders the volunteers reach, then their volunteers
            grown = elders | (serves.T @ volunteers.astype(np.int8) > 0)
            volunteers = volunteers | (serves @ grown.astype(np.int8) > 0)
            whole = bool((grown == elders).all())
            elders = grown
        cover = model.solve(elders, must_serve=True, open_all=False)
        if cover is None:
            return None
        pairing = pair_with(cover.opened)
        if len(pairing.assignments) == target:
            return cover.opened, cover.bound, cover.optimal, pairing
        if whole:  # the model was exact and its choice still failed: leave it to the caller
            return None
        steps *= 2


@dataclass(frozen=True)
class _Part:
    """The part of a problem that some candidate reaches: whole connected parts of the
    graph of who may serve whom, so that nothing outside can change inside."""

    volunteers: np.ndarray
    elders: np.ndarray


def _reached_part(problem: PairingProblem, first_recruit: int) -> _Part:
    n_v, n_e = problem.num_volunteers, problem.num_elders
    ones = np.ones(problem.num_arcs, dtype=np.int8)
    graph = sp.csr_matrix((ones, (problem.arc_v, n_v + problem.arc_e)),
                          shape=(n_v + n_e, n_v + n_e))
    _, label = connected_components(graph, directed=False)
    inside = np.isin(label, np.unique(label[first_recruit:n_v]))
    return _Part(inside[:n_v], inside[n_v:])


@dataclass(frozen=True)
class _Cover:
    """A covering model's answer: the candidates it opens (problem indices), how many
    elders it serves, whether that is proven, and a lower bound on the candidates."""

    opened: list[int]
    served: int
    optimal: bool
    bound: int


class _CoverModel:
    """Covering models over some elders and every volunteer who may serve them."""

    def __init__(self, problem: PairingProblem, first_recruit: int, plan: PairingResult,
                 seed: int, time_limit: float) -> None:
        self.problem = problem
        self.first_recruit, self.seed, self.time_limit = first_recruit, seed, time_limit
        self.planned = np.zeros(problem.num_arcs, dtype=bool)
        index = pd.MultiIndex.from_arrays([problem.volunteer_ids[problem.arc_v],
                                           problem.elder_ids[problem.arc_e]])
        found = index.get_indexer(pd.MultiIndex.from_arrays(
            [plan.assignments[VOLUNTEER_ID].astype(str).to_numpy(),
             plan.assignments[ELDER_ID].astype(str).to_numpy()]))
        self.planned[found[found >= 0]] = True

    def solve(self, elders: np.ndarray, *, must_serve: bool, open_all: bool,
              served_at_least: int = 0) -> _Cover | None:
        """The fewest candidates (with ``open_all``: all of them, and the most elders
        served) for the elders marked in ``elders``: each served when ``must_serve``, at
        least ``served_at_least`` of them otherwise. The volunteers' whole time goes to
        these elders, so on a part of the world the answer is a lower bound."""
        problem = self.problem
        arcs = np.flatnonzero(elders[problem.arc_e])
        model = cp_model.CpModel()
        take = {int(a): model.new_bool_var(f"take{a}") for a in arcs}
        by_elder: dict[int, list[int]] = {}
        by_volunteer: dict[int, list[int]] = {}
        for a in arcs:
            by_elder.setdefault(int(problem.arc_e[a]), []).append(int(a))
            by_volunteer.setdefault(int(problem.arc_v[a]), []).append(int(a))
        for group in by_elder.values():
            if must_serve:
                model.add_exactly_one(take[a] for a in group)
            else:
                model.add_at_most_one(take[a] for a in group)
        served = sum(take.values())
        if served_at_least:
            model.add(served >= served_at_least)
        use: dict[int, cp_model.IntVar] = {}
        for v, group in by_volunteer.items():
            count, load = int(problem.cap_count[v]), int(problem.cap_load[v])
            if v >= self.first_recruit and not open_all:
                use[v] = model.new_bool_var(f"open{v}")
                model.add(sum(take[a] for a in group) <= count * use[v])
                model.add(sum(int(problem.arc_load[a]) * take[a] for a in group)
                          <= load * use[v])
            else:
                model.add(sum(take[a] for a in group) <= count)
                model.add(sum(int(problem.arc_load[a]) * take[a] for a in group) <= load)
        # copies of a candidate at one place are alike: open them in order
        people = problem.world.volunteers
        previous = None
        for v in sorted(use):
            if previous is not None and (people.lat[v], people.lon[v], people.gender[v]) == (
                    people.lat[previous], people.lon[previous], people.gender[previous]):
                model.add_implication(use[v], use[previous])
            previous = v
        for a in arcs[self.planned[arcs]]:
            model.add_hint(take[int(a)], 1)
        if open_all:
            model.maximize(served)
        else:
            model.minimize(sum(use.values()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = self.time_limit
        solver.parameters.random_seed = self.seed
        solver.parameters.num_workers = RECRUIT_WORKERS
        solver.parameters.interleave_search = True
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        chosen = [a for a, x in take.items() if solver.value(x)]
        opened = sorted({int(problem.arc_v[a]) for a in chosen
                         if problem.arc_v[a] >= self.first_recruit})
        bound = 0 if open_all else math.ceil(solver.best_objective_bound - BOUND_TOLERANCE)
        return _Cover(opened, len(chosen), status == cp_model.OPTIMAL, bound)


def _candidate_rows(world: World, pool: Volunteers, chosen: list[int]) -> pd.DataFrame:
    """The chosen candidates (rows of ``pool``), numbered ``R00001``... in candidate order
    (so that ids do not depend on how many candidates there were)."""
    taken = set(world.volunteers.volunteer_id)
    rows, number = [], 0
    for c in sorted(chosen):
        number += 1
        while f"{RECRUIT_PREFIX}{number:05d}" in taken:
            number += 1
        rows.append({VOLUNTEER_ID: f"{RECRUIT_PREFIX}{number:05d}", "gender": pool.gender[c],
                     "community": pool.community[c], "lat": float(pool.lat[c]),
                     "lon": float(pool.lon[c])})
    return pd.DataFrame(rows, columns=[VOLUNTEER_ID, "gender", "community", "lat", "lon"])


def _recruit_rows(world: World, pool: Volunteers, chosen: list[int],
                  pairing: PairingResult) -> pd.DataFrame:
    """The recruits with the elders ``pairing`` gives them (a recruit it leaves idle is not
    needed, and is dropped)."""
    rows = _candidate_rows(world, pool, chosen)
    theirs = pairing.assignments.groupby(VOLUNTEER_ID)[ELDER_ID].agg(
        lambda ids: ";".join(sorted(map(str, ids))))
    rows["elder_ids"] = rows[VOLUNTEER_ID].map(theirs).fillna("")
    rows["elders"] = [len(x.split(";")) if x else 0 for x in rows["elder_ids"]]
    rows = rows[rows["elders"] > 0].reset_index(drop=True)
    return rows[list(RECRUIT_COLUMNS)]
