"""Where to recruit: the fewest new volunteers, and where they live, so that every elder the
plan leaves unserved gets a volunteer.

The candidates are recruits who would live either at each unserved elder's home (``near``:
a neighbour of that elder) or at each community's centre (``centres``: the mean position of
its elders), each with the rules' default capacity, free every day, and of either gender.
Who may serve whom is asked of the pairing's own rules (:func:`matching.build_problem` over
the world with the candidates added), so a recruit is eligible exactly when a volunteer
living there would be. The existing plan is kept; a small CP-SAT model chooses the fewest
candidates that can take every unserved elder within their counts and weekly minutes, then
the shortest walks. The choice is checked by pairing the world again with the recruits in
it (:func:`recruit`'s ``served_after``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from matching.pairing.options import SolveOptions
from matching.pairing.problem import build_problem
from matching.pairing.regions import solve_world
from matching.pairing.result import PairingResult
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import World
from matching.world.tables import Volunteers

#: Where candidates may live.
PLACES = ("near", "centres")

#: Genders a recruit may have (an elder may prefer one).
RECRUIT_GENDERS = ("F", "M")

#: Seconds for the covering model (it is small: only the unserved elders and their
#: candidates).
RECRUIT_SECONDS = 30.0

#: CP-SAT workers for the covering model.
RECRUIT_WORKERS = 2

#: Id prefix of the recruits (never an id of the inputs: checked when they are made).
RECRUIT_PREFIX = "R"


@dataclass(frozen=True)
class Recruitment:
    """The recruits a plan needs.

    Attributes
    ----------
    recruits
        One row per recruit: ``volunteer_id, gender, community, lat, lon, elders`` (how many
        of the unserved they would take) and ``elder_ids`` (those elders, ``;``-separated).
    unreachable
        Unserved elders no candidate can serve (no coordinates, or a preference no recruit
        meets), with their ``elder_id``.
    optimal
        Whether the number of recruits is proven the least.
    served_after
        Elders served when the world is paired again with the recruits in it.
    elders
        Elders in the world.
    """

    recruits: pd.DataFrame
    unreachable: list[str]
    optimal: bool
    served_after: int
    elders: int

    @property
    def needed(self) -> int:
        """Number of recruits."""
        return len(self.recruits)


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
    """The fewest recruits, placed at ``places`` (see :func:`candidates`), who serve every
    elder ``plan`` leaves unserved (those no candidate can reach are listed apart).

    Parameters
    ----------
    world
        The world ``plan`` was made for.
    plan
        Its pairing; its pairs are kept.
    seed, time_limit
        For the covering model and for the pairing that checks the choice.
    """
    served = set(plan.assignments[ELDER_ID])
    elders = world.elders
    unserved = elders.take(np.array([e not in served for e in elders.elder_id], dtype=bool))
    empty = pd.DataFrame(columns=[VOLUNTEER_ID, "gender", "community", "lat", "lon",
                                  "elders", "elder_ids"])
    if not len(unserved):
        return Recruitment(empty, [], True, len(served), len(elders))
    pool = candidates(world, unserved.frame(), places)
    only_unserved = dataclasses.replace(world, elders=unserved,
                                        volunteers=pool, pairs=None)
    problem = build_problem(only_unserved)
    reach = np.zeros(problem.num_elders, dtype=bool)
    reach[problem.arc_e] = True
    unreachable = [str(e) for e in problem.elder_ids[~reach]]

    model = cp_model.CpModel()
    use = [model.new_bool_var(f"open{v}") for v in range(problem.num_volunteers)]
    take = [model.new_bool_var(f"take{a}") for a in range(problem.num_arcs)]
    by_elder: dict[int, list[int]] = {}
    by_volunteer: dict[int, list[int]] = {}
    for a, (v, e) in enumerate(zip(problem.arc_v, problem.arc_e, strict=True)):
        by_elder.setdefault(int(e), []).append(a)
        by_volunteer.setdefault(int(v), []).append(a)
    for arcs in by_elder.values():
        model.add_exactly_one(take[a] for a in arcs)
    for v, arcs in by_volunteer.items():
        model.add(sum(take[a] for a in arcs) <= int(problem.cap_count[v]) * use[v])
        model.add(sum(int(problem.arc_load[a]) * take[a] for a in arcs)
                  <= int(problem.cap_load[v]) * use[v])
    # lower bounds the search cannot see at once: by count and by weekly minutes
    if by_elder and len(use):
        most_elders = int(problem.cap_count.max())
        most_load = int(problem.cap_load.max())
        least_load = sum(min(int(problem.arc_load[a]) for a in arcs)
                         for arcs in by_elder.values())
        model.add(sum(use) >= max(math.ceil(len(by_elder) / max(1, most_elders)),
                                  math.ceil(least_load / max(1, most_load))))
    # copies at one place are alike: open them in order
    site = [f"{lat}|{lon}|{gender}" for lat, lon, gender in zip(pool.lat, pool.lon, pool.gender,
                                                                strict=True)]
    for v in range(1, len(use)):
        if site[v] == site[v - 1]:
            model.add_implication(use[v], use[v - 1])
    # only the count: where each recruit's elders go is the pairing's job when the choice
    # is checked (which minimises the walks); weighing walks here makes the proof slow
    model.minimize(sum(use))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = seed
    # a fixed number of workers and a seed keep the choice the same from run to run
    solver.parameters.num_workers = RECRUIT_WORKERS
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Recruitment(empty, unreachable + [str(e) for e in problem.elder_ids[reach]],
                           False, len(served), len(elders))
    chosen_arcs = [a for a in range(problem.num_arcs) if solver.value(take[a])]
    opened = sorted({int(problem.arc_v[a]) for a in chosen_arcs})
    rows = []
    for v in opened:
        theirs = sorted(str(problem.elder_ids[problem.arc_e[a]]) for a in chosen_arcs
                        if problem.arc_v[a] == v)
        row = {VOLUNTEER_ID: pool.volunteer_id[v], "gender": pool.gender[v],
               "community": pool.community[v], "lat": pool.lat[v], "lon": pool.lon[v]}
        rows.append({VOLUNTEER_ID: row[VOLUNTEER_ID], "gender": row["gender"],
                     "community": row["community"], "lat": float(row["lat"]),
                     "lon": float(row["lon"]), "elders": len(theirs),
                     "elder_ids": ";".join(theirs)})
    recruits = pd.DataFrame(rows, columns=empty.columns)
    # renumber R00001.. in order, so that ids do not depend on the candidates' count
    taken = set(world.volunteers.volunteer_id)
    names, number = [], 0
    for _ in range(len(recruits)):
        number += 1
        while f"{RECRUIT_PREFIX}{number:05d}" in taken:
            number += 1
        names.append(f"{RECRUIT_PREFIX}{number:05d}")
    recruits[VOLUNTEER_ID] = names
    recruits["elders"] = recruits["elders"].astype(int)
    checked = solve_world(with_volunteers(world, _as_volunteers(world, recruits)),
                          SolveOptions(time_limit=time_limit, seed=seed))
    return Recruitment(recruits, unreachable, status == cp_model.OPTIMAL,
                       len(checked.assignments), len(elders))
