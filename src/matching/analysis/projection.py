"""The next years: the roster aged year by year and paired again each year.

Year 0 is the roster as it stands on the start date (as the files say, whatever the rules);
year ``k`` is the same people ``k`` years older:

* an elder's age is counted from a full birthday (``YYYY-MM-DD``) when the file gives one,
  else it is the file's age plus ``k``; the priority follows the rules' default
  (:meth:`matching.Rules.default_priority`: elders pass 80 and 90 and enter the tiers),
  unless the file gave a priority other than the default, which is kept;
* a volunteer past the programme's ``volunteer_age_limit`` (a rule) no longer serves, and
  from ``elder_age`` (a rule) is one of the programme's elders, at home, with the rules'
  defaults ("today I serve, tomorrow I am served"); a volunteer of unknown age keeps serving.

Nobody else joins, moves or dies: the projection shows what ageing alone does to the
programme as it is, so that a leader sees where recruiting must start. Each year is paired
by the engine (:func:`matching.pairing.regions.solve_world`), with its status kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.pairing.options import SolveOptions
from matching.pairing.regions import solve_world
from matching.runtime.budget import Budget
from matching.world.columns import ELDER_ID, TOWNSHIP
from matching.world.model import World, without_volunteers
from matching.world.tables import Elders

#: Most years a projection may run (each is a whole pairing).
MOST_YEARS = 30

#: The columns of :attr:`Projection.by_community` that the contract names, in its order.
PROJECTION_COLUMNS = ("year", "community", "elders", "volunteers", "assigned", "coverage")


@dataclass(frozen=True)
class Projection:
    """A projection's results.

    Attributes
    ----------
    by_community
        One row per year and community (of the elders): ``year`` (calendar), ``community``,
        ``elders``, ``volunteers`` (living there and serving that year), ``assigned``,
        ``coverage`` (0-1), then ``years_ahead``, ``top_tier_elders``, ``top_tier_assigned``
        and, when the files have one, ``township``.
    years
        One row per year: ``year, date, years_ahead, elders, volunteers, assigned,
        coverage, top_tier_elders, top_tier_assigned, volunteers_retired`` (past the age
        limit), ``new_elders`` (retired volunteers now elders) and ``status`` (the
        pairing's).
    first_short
        One row per community: the first ``year`` in which some elder there goes unserved
        (``<NA>`` if none within the projection), and that year's ``elders``,
        ``assigned`` and ``coverage``; the soonest first.
    """

    by_community: pd.DataFrame
    years: pd.DataFrame
    first_short: pd.DataFrame
    by_township: pd.DataFrame | None = None


def age_on(day: dt.date, birthday: str) -> float:
    """Whole years completed on ``day`` by someone born on ``birthday`` (``YYYY-MM-DD``);
    ``nan`` for a birthday without its year."""
    if len(birthday) != len("YYYY-MM-DD"):
        return float("nan")
    born = dt.date.fromisoformat(birthday)
    return float(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


def year_ahead(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _elder_ages(elders: Elders, start: dt.date, years: int) -> np.ndarray:
    day = year_ahead(start, years)
    exact = np.array([age_on(day, str(b)) for b in elders.birthday], dtype=float)
    counted = elders.age.astype(float) + years
    return np.where(np.isnan(exact), counted, exact)


def world_in(world: World, start: dt.date, years: int) -> tuple[World, int, int]:
    """The world ``years`` after ``start`` (see the module), with how many volunteers are
    past the age limit and how many of them are now elders. Year 0 is the roster as it
    stands: a volunteer older than the limit today serves today, and retires in year 1."""
    if years == 0:
        return world, 0, 0
    rules = world.rules
    elders = world.elders
    age0 = _elder_ages(elders, start, 0)
    given = elders.priority != rules.default_priority(age0, elders.lives_alone,
                                                      elders.low_income)
    ages = _elder_ages(elders, start, years)
    priority = np.where(given, elders.priority,
                        rules.default_priority(ages, elders.lives_alone, elders.low_income))
    aged = elders.with_columns(age=ages, priority=priority.astype(np.int64))
    volunteer_age = world.volunteers.age.astype(float) + years
    retired = volunteer_age > rules.volunteer_age_limit  # unknown ages (nan) keep serving
    gone = {str(v) for v in world.volunteers.volunteer_id[retired]}
    becoming = retired & (volunteer_age >= rules.elder_age)
    joined = _as_elders(world, becoming, volunteer_age)
    later = without_volunteers(dataclasses.replace(world, elders=aged.concat(joined)), gone)
    return later, int(retired.sum()), len(joined)


def _as_elders(world: World, rows: np.ndarray, ages: np.ndarray) -> Elders:
    """Volunteers ``rows`` as elders at home, with the rules' defaults; an id an elder
    already has gets ``.1`` (then ``.2``...)."""
    people = world.volunteers
    taken = set(map(str, world.elders.elder_id))
    ids = []
    for vid in people.volunteer_id[rows]:
        name, k = str(vid), 0
        while name in taken:
            k += 1
            name = f"{vid}.{k}"
        taken.add(name)
        ids.append(name)
    n = len(ids)
    rules = world.rules
    age = ages[rows]
    no = np.zeros(n, dtype=bool)
    blank = np.full(n, "", dtype=object)
    nothing = np.empty(n, dtype=object)
    nothing[:] = [()] * n
    return Elders(
        elder_id=np.array(ids, dtype=object), name=people.name[rows],
        gender=people.gender[rows], community=people.community[rows],
        phone=people.phone[rows], address=blank, lat=people.lat[rows], lon=people.lon[rows],
        age=age, lives_alone=no, low_income=no,
        priority=rules.default_priority(age, no, no),
        visit_minutes=np.full(n, float(rules.default_visit_minutes)), needs=nothing,
        day_mask=np.full(n, int(people.day_mask[rows].max(initial=0b1111111)) or 0b1111111),
        gender_preference=blank, birthday=blank, away=nothing, preferred_times=nothing,
        other={c: people.other[c][rows] if c in people.other else blank
               for c in world.elders.other}, order=world.elders.order)


def project(world: World, years: int, start: dt.date, *, seed: int = 0,
            time_limit: float = 60.0, workers: int | None = None,
            budget: Budget | None = None,
            progress: Callable[[int, int], None] | None = None) -> Projection:
    """Age ``world`` from ``start`` one year at a time for ``years`` years, and pair each
    year (see the module).

    Parameters
    ----------
    world
        The world as it stands on ``start``.
    years
        How many years ahead (1 to :data:`MOST_YEARS`); year 0 is included.
    seed, time_limit, workers
        For each year's pairing.
    budget
        When given, the whole projection's time: each year's pairing gets an even share of
        what is left (:meth:`matching.runtime.budget.Budget.even_shares`) instead of
        ``time_limit``.
    progress
        Called with (years done, years) after each year.
    """
    if not 1 <= years <= MOST_YEARS:
        raise ValueError(f"the years lie between 1 and {MOST_YEARS}")
    options = SolveOptions(time_limit=time_limit, seed=seed, workers=workers)
    shares = budget.even_shares(years + 1) if budget is not None else None
    township = TOWNSHIP in world.elders.other
    rows, totals = [], []
    for k in range(years + 1):
        later, retired, joined = world_in(world, start, k)
        seconds = time_limit if shares is None else min(next(shares), time_limit)
        plan = solve_world(later, options.with_time(seconds))
        served = np.isin(later.elders.elder_id.astype(str),
                         plan.assignments[ELDER_ID].astype(str).to_numpy())
        top = int(later.elders.priority.max()) if len(later.elders) else 0
        elders = pd.DataFrame({"community": later.elders.community.astype(str),
                               "served": served, "top": later.elders.priority == top})
        if township:
            elders[TOWNSHIP] = later.elders.other[TOWNSHIP].astype(str)
        keys = [TOWNSHIP, "community"] if township else ["community"]
        volunteers = pd.Series(later.volunteers.community.astype(str)).value_counts()
        grouped = elders.groupby(keys, sort=True)
        table = pd.DataFrame({
            "elders": grouped.size(), "assigned": grouped["served"].sum(),
            "top_tier_elders": grouped["top"].sum(),
            "top_tier_assigned": grouped.apply(lambda g: int((g["served"] & g["top"]).sum()),
                                               include_groups=False)}).reset_index()
        table["volunteers"] = table["community"].map(volunteers).fillna(0).astype(int)
        table["coverage"] = table["assigned"] / table["elders"]
        table["year"] = start.year + k
        table["years_ahead"] = k
        rows.append(table)
        totals.append({"year": start.year + k, "date": year_ahead(start, k).isoformat(),
                       "years_ahead": k, "elders": len(later.elders),
                       "volunteers": len(later.volunteers), "assigned": int(served.sum()),
                       "coverage": float(served.mean()) if len(served) else float("nan"),
                       "top_tier_elders": int(elders["top"].sum()),
                       "top_tier_assigned": int((elders["served"] & elders["top"]).sum()),
                       "volunteers_retired": retired, "new_elders": joined,
                       "status": str(plan.status)})
        if progress is not None:
            progress(k + 1, years + 1)
    by_community = pd.concat(rows, ignore_index=True)
    extra = ["years_ahead", "top_tier_elders", "top_tier_assigned"] + (
        [TOWNSHIP] if township else [])
    by_community = by_community[list(PROJECTION_COLUMNS) + extra]
    for column in ("elders", "assigned", "top_tier_elders", "top_tier_assigned"):
        by_community[column] = by_community[column].astype(int)
    by_township = None
    if township:
        grouped = by_community.groupby(["year", TOWNSHIP], sort=True)
        by_township = grouped[["elders", "volunteers", "assigned", "top_tier_elders",
                               "top_tier_assigned"]].sum().reset_index()
        by_township["coverage"] = by_township["assigned"] / by_township["elders"]
    return Projection(by_community, pd.DataFrame(totals), _first_short(by_community),
                      by_township)


def _first_short(by_community: pd.DataFrame) -> pd.DataFrame:
    """Per community, the first year some elder goes unserved, soonest first."""
    short = by_community[by_community["coverage"] < 1]
    first = short.sort_values("year").groupby("community", sort=False).head(1)
    communities = pd.DataFrame({"community": sorted(by_community["community"].unique())})
    out = communities.merge(first[["community", "year", "elders", "assigned", "coverage"]],
                            on="community", how="left")
    out = out.rename(columns={"year": "first_short_year"})
    for column in ("first_short_year", "elders", "assigned"):
        out[column] = out[column].astype("Int64")
    return out.sort_values(["first_short_year", "coverage", "community"],
                           na_position="last", kind="stable").reset_index(drop=True)


__all__ = ["MOST_YEARS", "PROJECTION_COLUMNS", "Projection", "age_on", "format_projection",
           "project", "world_in"]


def format_projection(result: Projection) -> str:
    """The projection for people: a line per year, then the communities that run short,
    soonest first."""
    years = result.years
    shown = pd.DataFrame({
        "year": years["year"], "elders": years["elders"],
        "top_tier": years["top_tier_elders"], "volunteers": years["volunteers"],
        "retired": years["volunteers_retired"], "new_elders": years["new_elders"],
        "assigned": years["assigned"],
        "coverage": [f"{v:.1%}" if v == v else "-" for v in years["coverage"]],
        "status": years["status"]})
    lines = [shown.to_string(index=False), ""]
    short = result.first_short.dropna(subset=["first_short_year"])
    if short.empty:
        lines.append(f"no community runs short by {int(years['year'].max())}")
    else:
        lines.append("first year short of volunteers:")
        lines += [f"  {row.first_short_year}  {row.community}: {row.assigned} of {row.elders} "
                  f"served" for row in short.itertuples(index=False)]
    return "\n".join(lines)
