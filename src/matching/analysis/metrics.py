"""Coverage, walking, load and fairness, six-ones fulfilment, credit hours and gaps of a plan.

Every function takes a :class:`~matching.outputs.folder.Run` (a folder read back, or
results in memory) and returns a DataFrame (or a Series of headline figures).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching.catalogue import say
from matching.outputs.folder import Run
from matching.rules.schedule import SIX_ONES
from matching.schedule import dates
from matching.world import geo
from matching.world.columns import ELDER_ID, TOWNSHIP, VOLUNTEER_ID
from matching.world.distances import STRAIGHT
from matching.world.model import World

#: Age bands of elders: under the first, between each two, and the last and over.
AGE_BANDS = (80, 85, 90, 95)


def age_band(age: float) -> str:
    """``<80``, ``80-84``, ``85-89``, ``90-94``, ``95+`` (or ``unknown``)."""
    if age != age:  # NaN: no age given
        return "unknown"
    if age < AGE_BANDS[0]:
        return f"<{AGE_BANDS[0]}"
    for low, high in itertools.pairwise(AGE_BANDS):
        if age < high:
            return f"{low}-{high - 1}"
    return f"{AGE_BANDS[-1]}+"


def elders_table(run: Run) -> pd.DataFrame:
    """One row per elder planned for, joined with their pair: the analyst's view.

    Columns: ``elder_id, name, community, lat, lon, age, age_band, gender, lives_alone,
    low_income, priority`` (the elder), ``served`` (a bool), ``volunteer_id`` (``""`` if
    none), ``distance_km, weekly_minutes, tie`` (the pair's, ``NaN``/``""`` if none) and
    ``reason_code, reason`` (why not, if unserved). Coordinates are WGS-84.
    """
    elds = run.world.elders.frame()
    pairs = run.assignments.set_index(ELDER_ID)
    why = run.unassigned.set_index(ELDER_ID) if ELDER_ID in run.unassigned else \
        pd.DataFrame()
    ids = elds[ELDER_ID].astype(str)

    def pick(table: pd.DataFrame, column: str, blank: object) -> list[object]:
        if column not in table.columns:
            return [blank] * len(ids)
        found = table[column][~table.index.duplicated()]
        return [found.get(e, blank) for e in ids]

    def flag(column: str) -> np.ndarray:
        return elds[column].to_numpy(bool) if column in elds else np.zeros(len(elds), bool)

    volunteer = pick(pairs, VOLUNTEER_ID, "")
    return pd.DataFrame({
        ELDER_ID: ids.to_numpy(dtype=object),
        "name": elds["name"].astype(str).to_numpy(dtype=object),
        "community": elds["community"].astype(str).to_numpy(dtype=object),
        "lat": elds["lat"].to_numpy(float), "lon": elds["lon"].to_numpy(float),
        "age": elds["age"].to_numpy(float),
        "age_band": [age_band(a) for a in elds["age"].to_numpy(float)],
        "gender": elds["gender"].astype(str).to_numpy(dtype=object) if "gender" in elds
        else "",
        "lives_alone": flag("lives_alone"), "low_income": flag("low_income"),
        "priority": elds["priority"].to_numpy(np.int64),
        "served": np.array([v != "" for v in volunteer], dtype=bool),
        VOLUNTEER_ID: volunteer,
        "distance_km": np.array(pick(pairs, "distance_km", np.nan), dtype=float),
        "weekly_minutes": np.array(pick(pairs, "weekly_minutes", np.nan), dtype=float),
        "tie": pick(pairs, "tie", ""),
        "reason_code": pick(why, "reason_code", ""),
        "reason": pick(why, "reason", ""),
    } | ({TOWNSHIP: elds[TOWNSHIP].astype(str).to_numpy(dtype=object)}
         if TOWNSHIP in elds.columns else {}))


def coverage(run: Run, by: str | Sequence[str] = "priority") -> pd.DataFrame:
    """Elders, assigned, unassigned and the share covered, by any column of
    :func:`elders_table` (``priority``, ``community``, ``township``, ``age_band``,
    ``gender``, ``lives_alone``, ``tie``...) or several (``["township", "community"]``:
    one row per pair of values, indexed by both); highest priority first, other groups in
    order."""
    table = elders_table(run)
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in table.columns]
    if not keys or missing:
        raise ValueError(f"coverage by {missing or keys!r}: expected columns of elders_table "
                         f"({', '.join(table.columns)})")
    out = table.groupby(keys if len(keys) > 1 else keys[0]).agg(
        elders=(ELDER_ID, "size"), assigned=("served", "sum"))
    out["unassigned"] = out["elders"] - out["assigned"]
    out["coverage"] = (out["assigned"] / out["elders"]).round(4)
    if keys == ["priority"]:
        out = out.sort_index(ascending=False)
    return out.astype({"elders": int, "assigned": int, "unassigned": int})


def distances(run: Run) -> pd.DataFrame:
    """Each pair's distance (as the plan measured it: walked, estimated or straight), its
    straight line, tie and walking minutes per visit (there and back)."""
    a = run.assignments
    km = pd.to_numeric(a["distance_km"], errors="coerce")
    vols, elds = run.world.volunteers, run.world.elders
    community = dict(zip(elds.elder_id, elds.community, strict=True))
    v = vols.rows(a[VOLUNTEER_ID].astype(str).to_numpy())
    e = elds.rows(a[ELDER_ID].astype(str).to_numpy())
    known = (v >= 0) & (e >= 0)
    straight = np.full(len(a), np.nan)
    straight[known] = geo.haversine_km(vols.lat[v[known]], vols.lon[v[known]],
                                       elds.lat[e[known]], elds.lon[e[known]])
    return pd.DataFrame({ELDER_ID: a[ELDER_ID], VOLUNTEER_ID: a[VOLUNTEER_ID],
                         "community": [community.get(e, "") for e in a[ELDER_ID]],
                         "distance_km": km, "straight_km": straight.round(3), "tie": a["tie"],
                         "walk_minutes": (2 * run.world.rules.walking_min_per_km * km).round(1)})


def distance_summary(run: Run) -> pd.Series:
    """Pairs, mean, median, 90th percentile and longest distance (km), and the share of
    pairs within 1 km."""
    km = distances(run)["distance_km"].dropna()
    if km.empty:
        return pd.Series({"pairs": 0, "mean_km": 0.0, "median_km": 0.0, "p90_km": 0.0,
                          "max_km": 0.0, "within_1km": 0.0})
    return pd.Series({"pairs": len(km), "mean_km": round(float(km.mean()), 3),
                      "median_km": round(float(km.median()), 3),
                      "p90_km": round(float(km.quantile(0.9)), 3),
                      "max_km": round(float(km.max()), 3),
                      "within_1km": round(float((km <= 1.0).mean()), 4)})


def load(run: Run) -> pd.DataFrame:
    """Every volunteer planned for: elders, the pairs' weekly minutes against the weekly
    budget, and, with a schedule, the mean and largest minutes of activity a week (calls
    aside, over the weeks wholly in the horizon)."""
    vols = run.world.volunteers.frame()
    a = run.assignments
    minutes = pd.to_numeric(a["weekly_minutes"], errors="coerce").groupby(a[VOLUNTEER_ID]).sum()
    count = a.groupby(VOLUNTEER_ID).size()
    ids = vols[VOLUNTEER_ID]
    out = pd.DataFrame({
        VOLUNTEER_ID: ids.to_numpy(dtype=object),
        "name": vols["name"].to_numpy(dtype=object),
        "community": vols["community"].to_numpy(dtype=object),
        "elders": count.reindex(ids, fill_value=0).to_numpy(np.int64),
        "max_elders": vols["max_elders"].to_numpy(np.int64),
        "pair_minutes": minutes.reindex(ids, fill_value=0.0).to_numpy(float).round(1),
        "weekly_minutes": vols["weekly_minutes"].to_numpy(float),
    })
    budget = out["weekly_minutes"].replace(0, np.nan)
    out["use"] = (out["pair_minutes"] / budget).fillna(0.0).round(4)
    weekly = _weekly_activity(run)
    if weekly is not None:
        mean = weekly.mean(axis=1).reindex(ids, fill_value=0.0)
        top = weekly.max(axis=1).reindex(ids, fill_value=0.0)
        out["planned_minutes_mean"] = mean.to_numpy(float).round(1)
        out["planned_minutes_max"] = top.to_numpy(float).round(1)
    return out


def _weekly_activity(run: Run) -> pd.DataFrame | None:
    """Minutes of activity (calls aside) per volunteer and full week of the horizon."""
    if run.schedule is None or run.start is None or run.weeks is None:
        return None
    mondays = dates.full_weeks(run.start, run.start + dt.timedelta(days=7 * run.weeks))
    s = run.schedule[run.schedule["activity"] != "call"]
    days = pd.to_datetime(s["date"])
    monday = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date
    table = pd.DataFrame({VOLUNTEER_ID: s[VOLUNTEER_ID], "monday": monday,
                          "minutes": pd.to_numeric(s["minutes"]).astype(float)})
    table = table[table["monday"].isin(mondays)]
    wide = table.pivot_table(index=VOLUNTEER_ID, columns="monday", values="minutes",
                             aggfunc="sum", fill_value=0.0)
    return wide.astype(float).reindex(columns=mondays, fill_value=0.0)


def gini(values: np.ndarray) -> float:
    """Gini coefficient: 0 when everyone carries the same, towards 1 when one carries all.
    ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)``."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    x = np.sort(x)
    n = len(x)
    # the sorted form of the double sum: sum_i (2i - n - 1) x_i over i = 1..n
    return float(np.dot(2 * np.arange(1, n + 1) - n - 1, x) / (n * x.sum()))


def jain(values: np.ndarray) -> float:
    """Jain's fairness index: ``(sum x)^2 / (n sum x^2)``, 1 when all are equal, 1/n when one
    carries all."""
    x = np.asarray(values, dtype=float)
    square = float((x**2).sum())
    return float(x.sum() ** 2 / (len(x) * square)) if square else 1.0


def load_summary(minutes: npt.ArrayLike) -> dict[str, float]:
    """The one meaning of load, which every table asks here (the report's fairness,
    ``compare`` and the sweep): the weekly minutes of pairs of each volunteer planned for
    (0 for one without elders), measured among the volunteers who serve, with the idle
    counted apart. So a county with many volunteers to spare is not called unfair.

    Returns ``serving`` and ``idle`` (volunteers), and among those serving the ``mean``
    and ``max`` minutes, the ``gini`` and Jain's index (``jain``).
    """
    x = np.asarray(minutes, dtype=float)
    serving = x[x > 0]
    return {"serving": len(serving), "idle": int(len(x) - len(serving)),
            "mean": float(serving.mean()) if len(serving) else float("nan"),
            "max": float(serving.max()) if len(serving) else float("nan"),
            "gini": gini(serving), "jain": jain(serving)}


def fairness(run: Run) -> pd.DataFrame:
    """Mean, maximum, Gini and Jain's index of the weekly minutes and of the elders each
    volunteer carries, among the volunteers who serve (:func:`load_summary`; how many:
    ``serving``); ``idle`` counts those planned for who serve nobody."""
    table = load(run)
    serving = table["pair_minutes"].to_numpy(float) > 0
    rows = {}
    for figure, column in (("minutes", "pair_minutes"), ("elders", "elders")):
        x = np.where(serving, table[column].to_numpy(float), 0.0)
        summary = load_summary(x)
        rows[figure] = {"serving": summary["serving"], "idle": summary["idle"],
                        "mean": round(summary["mean"], 3), "max": summary["max"],
                        "gini": round(summary["gini"], 4), "jain": round(summary["jain"], 4)}
    return pd.DataFrame(rows).T


def fulfilment(run: Run) -> pd.DataFrame:
    """The six ones per elder and month: what the rules require and what the schedule
    delivers (``elder_id, month, activity, required, delivered``).

    Required, for each elder with a volunteer: a call each day of the horizon; a visit each
    week wholly in it (counted in the month of its Monday); a service each month due in it
    (``ScheduleRules.month_min_days``), if the elder has needs; a birthday greeting on the
    birthday; the community's group activity each quarter due in it (counted in the last
    month of its part in the horizon) and its activity
    at each festival (counted in the festival's month).
    """
    if run.schedule is None or run.start is None or run.weeks is None:
        raise ValueError("the run has no schedule to measure")
    rules = run.schedule_rules
    start, end = run.start, run.start + dt.timedelta(days=7 * run.weeks)
    elders = elders_table(run)
    elders = elders[elders[VOLUNTEER_ID] != ""]
    needs = dict(zip(run.world.elders.elder_id, run.world.elders.needs, strict=True))
    birthdays = dict(zip(run.world.elders.elder_id, run.world.elders.birthday,
                         strict=True))
    s = run.schedule.assign(date=iso_dates(run.schedule["date"]))
    done = {kind: s[s["activity"] == kind] for kind in SIX_ONES}
    called = set(zip(done["call"][ELDER_ID], done["call"]["date"], strict=True))
    visited = {(e, _monday(d)) for e, d in zip(done["visit"][ELDER_ID],
                                               done["visit"]["date"], strict=True)}
    served = {(e, d[:7]) for e, d in zip(done["service"][ELDER_ID], done["service"]["date"],
                                         strict=True)}
    greeted = set(zip(done["birthday"][ELDER_ID], done["birthday"]["date"], strict=True))
    held = {kind: list(zip(done[kind]["community"], done[kind]["date"], strict=True))
            for kind in ("group", "festival")}
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    mondays = dates.full_weeks(start, end)
    months = [f"{first:%Y-%m}" for first, _ in dates.due_months(start, end,
                                                                 rules.month_min_days)]
    quarters = dates.due_quarters(start, end, rules.quarter_min_days)
    festivals = dates.festivals_between(start, end, rules.festivals)
    rows = []
    for e, community in zip(elders[ELDER_ID], elders["community"], strict=True):
        for day in days:
            rows.append((e, f"{day:%Y-%m}", "call", 1, int((e, day.isoformat()) in called)))
        for monday in mondays:
            rows.append((e, f"{monday:%Y-%m}", "visit", 1, int((e, monday) in visited)))
        if needs.get(e):
            rows += [(e, m, "service", 1, int((e, m) in served)) for m in months]
        for day in dates.birthday_in(birthdays.get(e, ""), start, end):
            rows.append((e, f"{day:%Y-%m}", "birthday", 1,
                         int((e, day.isoformat()) in greeted)))
        for first, nxt in quarters:
            last = nxt - dt.timedelta(days=1)
            rows.append((e, f"{last:%Y-%m}", "group", 1, int(any(
                c == community and first.isoformat() <= d < nxt.isoformat()
                for c, d in held["group"]))))
        for fest in festivals:
            earliest = fest.date - dt.timedelta(days=rules.festival_days_before)
            rows.append((e, f"{fest.date:%Y-%m}", "festival", 1, int(any(
                c == community and earliest.isoformat() <= d <= fest.date.isoformat()
                for c, d in held["festival"]))))
    table = pd.DataFrame(rows, columns=[ELDER_ID, "month", "activity", "required",
                                        "delivered"])
    return table.groupby([ELDER_ID, "month", "activity"], sort=False,
                         as_index=False)[["required", "delivered"]].sum()


def fulfilment_summary(run: Run) -> pd.DataFrame:
    """Required, delivered and the share delivered, for each of the six ones."""
    table = fulfilment(run)
    out = table.groupby("activity")[["required", "delivered"]].sum()
    out = out.reindex([k for k in SIX_ONES if k in out.index])
    out["rate"] = (out["delivered"] / out["required"]).round(4)
    return out


def six_ones(run: Run) -> pd.DataFrame:
    """Each of the six ones, in order (rows), as the schedule counted them once
    (:func:`matching.schedule.plan.six_ones_figures`, kept in summary.json): ``required``
    (due in the horizon), ``planned``, ``count`` (unmet), ``bound`` (the proven fewest
    unmet; NaN for calls), and ``reason_code``/``reason_params`` of a kind not due. A run
    made before those figures were kept gets them from its schedule (:func:`fulfilment`)."""
    figures = run.summary.get("schedule", {}).get("six_ones")
    rows = []
    if figures:
        for kind in SIX_ONES:
            f = figures.get(kind, {})
            why = f.get("reason") or {}
            rows.append({"activity": kind, "required": int(f.get("due", 0)),
                         "planned": int(f.get("planned", 0)), "count": int(f.get("unmet", 0)),
                         "bound": f.get("lower_bound"), "reason_code": why.get("code", ""),
                         "reason_params": why.get("params", {})})
    else:
        done = fulfilment_summary(run)
        for kind in SIX_ONES:
            due = int(done["required"].get(kind, 0)) if kind in done.index else 0
            got = int(done["delivered"].get(kind, 0)) if kind in done.index else 0
            rows.append({"activity": kind, "required": due, "planned": got,
                         "count": due - got, "bound": None,
                         "reason_code": "" if due else "six.not_due", "reason_params": {}})
    out = pd.DataFrame(rows).set_index("activity")
    out["bound"] = pd.to_numeric(out["bound"], errors="coerce")
    return out


def monthly_fulfilment(run: Run) -> pd.DataFrame:
    """The share delivered of each activity in each month (rows: activities, columns:
    months): what the calendar heatmap draws."""
    table = fulfilment(run).groupby(["activity", "month"])[["required", "delivered"]].sum()
    rate = (table["delivered"] / table["required"]).unstack("month")
    # a kind not due in the horizon keeps its row, empty: it is not planned, and says so
    return rate.reindex(list(SIX_ONES))


def credit_hours(run: Run) -> pd.DataFrame:
    """Planned time-bank hours per volunteer, by activity and in total (from the schedule)."""
    if run.credits is not None and len(run.credits):
        out = run.credits.copy()
        for column in out.columns:
            if column.endswith("hours"):
                out[column] = pd.to_numeric(out[column])
        return out
    if run.schedule is None:
        return pd.DataFrame(columns=[VOLUNTEER_ID, "hours"])
    s = run.schedule.assign(minutes=pd.to_numeric(run.schedule["minutes"]))
    table = s.pivot_table(index=VOLUNTEER_ID, columns="activity", values="minutes",
                          aggfunc="sum", fill_value=0) / 60
    table.columns = [f"{c}_hours" for c in table.columns]
    table["hours"] = table.sum(axis=1)
    return table.round(2).reset_index()


def gaps(run: Run) -> pd.DataFrame:
    """Everything not done, with its reason: the unassigned elders, then the unmet
    obligations (``elder_id, kind, when, reason, priority, community``)."""
    elders = elders_table(run).set_index(ELDER_ID)
    rows = [{ELDER_ID: e, "kind": "unassigned", "when": "", "reason": r,
             "priority": int(elders.at[e, "priority"]) if e in elders.index else "",
             "community": elders.at[e, "community"] if e in elders.index else ""}
            for e, r in zip(run.unassigned.get(ELDER_ID, []),
                            run.unassigned.get("reason", []), strict=True)]
    if run.unmet is not None:
        for r in run.unmet.to_dict("records"):
            rows.append({ELDER_ID: r.get(ELDER_ID, ""), "kind": r["activity"],
                         "when": r["when"], "reason": r["reason"],
                         "priority": r.get("priority", ""), "community": r.get("community", "")})
    return pd.DataFrame(rows, columns=[ELDER_ID, "kind", "when", "reason", "priority",
                                       "community"])


def iso_dates(values: pd.Series) -> pd.Series:
    """Dates (``datetime64``, or text as a file holds them) as ``YYYY-MM-DD`` text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    return values.astype(str)


def _monday(text: str) -> dt.date:
    day = dt.date.fromisoformat(text)
    return day - dt.timedelta(days=day.weekday())


def distance_title(world: World, lang: str = "en") -> str:
    """What the world's distances are, as a title: walked along the streets, estimated
    (the straight line times a detour factor) or the straight line."""
    distances = world.distances
    return say(f"distance.kind.{distances.kind}", lang,
               factor=distances.rules.detour_factor)


def distance_label(world: World, km: float, straight_km: float, lang: str = "en") -> str:
    """A pair's distance in words, the straight line beside a walk (``步行 1.2 公里（直线
    0.3）``)."""
    return say(f"distance.label.{world.distances.kind}", lang, km=km, straight_km=straight_km)


def detour(run: Run) -> tuple[float, float] | None:
    """The pairs' mean straight line (km) and how many times longer their distance is on
    average (total over total), unless the plan's distances are the straight line."""
    if run.world.distances.kind == STRAIGHT:
        return None
    table = distances(run).dropna(subset=["distance_km", "straight_km"])
    if table.empty or not table["straight_km"].sum() > 0:
        return None
    return (round(float(table["straight_km"].mean()), 3),
            round(float(table["distance_km"].sum() / table["straight_km"].sum()), 2))
