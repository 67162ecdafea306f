"""The orchestrator: the schedule's stages in order, and the one entry point for every caller.

:func:`make_schedule` plans a horizon for a pairing; :func:`schedule_world` is what the
command line and scenario files call: it takes the inputs as read, the pairs to plan for,
volunteers who left and an earlier schedule to keep, and returns the result.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from matching.pairing.eligibility import ELIGIBLE, GENDER, NO_SHARED_DAY, REFUSES, TOO_FAR
from matching.pairing.problem import PairingProblem, build_problem
from matching.pairing.result import assignment_table
from matching.rules.errors import InputError, InputIssue
from matching.rules.schedule import SIX_ONES, ScheduleRules
from matching.runtime.budget import NEVER, Stop
from matching.runtime.progress import SILENT, Progress
from matching.schedule import bounds, dates
from matching.schedule.backups import Backups, choose_backups
from matching.schedule.calls import daily_calls
from matching.schedule.data import ScheduleData
from matching.schedule.events import community_events, event_titles
from matching.schedule.horizon import Horizon
from matching.schedule.layout import lay_out
from matching.schedule.past import Past
from matching.schedule.reasons import Loads, reason
from matching.schedule.result import (
    KINDS,
    ROTATION_SWAP,
    SCHEDULE_COLUMNS,
    UNMET_COLUMNS,
    Activity,
    Missed,
    ScheduleResult,
    Unmet,
)
from matching.schedule.services import providers_by_month, service_reach, service_requests
from matching.schedule.windows import due_birthdays, plan_windows
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import World, without_volunteers

#: The share of a schedule's progress its windows take (the data and backups before, the
#: layout, calls and bounds after), and where the bounds begin.
WINDOWS_SPAN = (0.05, 0.9)
BOUNDS_AT = 0.95


def make_schedule(problem: PairingProblem, primary: np.ndarray, start: dt.date, weeks: int,
                  rules: ScheduleRules | None = None, *, time_limit: float = 60.0,
                  seed: int = 0, from_date: dt.date | None = None,
                  previous: pd.DataFrame | None = None,
                  previous_primary: dict[str, str] | None = None,
                  progress: Progress = SILENT, stop: Stop = NEVER) -> ScheduleResult:
    """Plan the "six ones" for every elder with a primary volunteer.

    Parameters
    ----------
    problem
        The pairing problem of the world (eligibility, distances, capacities).
    primary
        Primary volunteer index per elder, -1 for none (see :func:`primaries`).
    start, weeks
        The horizon ``[start, start + 7*weeks)``.
    time_limit
        Seconds for the whole schedule from this call on (each window gets its share of
        what is left once the data and backups are made).
    seed
        Recorded with the run; the schedule's solver (HiGHS) needs none, as the same inputs
        give the same schedule.
    from_date, previous, previous_primary
        Re-scheduling: ``previous`` (an earlier ``schedule.csv`` as text cells) is kept exactly
        before ``from_date``; from it on the horizon is planned for the current pairing, and
        pairs that did not change (``previous_primary``: elder -> old primary) keep their
        visit weekday and time wherever still feasible.
    progress
        Told of each stage as it starts (the windows take the span from 5% to 90%).
    stop
        A request to end the search: the windows left are filled greedily, and the
        schedule is marked interrupted.
    """
    say = progress
    started = time.perf_counter()
    rules = rules or ScheduleRules()
    if weeks < 1:
        raise InputError.one("--weeks", "input.weeks_at_least_one", weeks=weeks)
    horizon = Horizon.build(start, weeks, from_date, rules)
    data = ScheduleData.build(problem, primary, rules, horizon)
    past = Past() if previous is None else Past.load(data, previous, previous_primary or {})
    past = past.with_absences(data)  # the roster's periods away
    say("backups", "choosing backups")
    backups = choose_backups(data, past)
    events, events_before = community_events(data, backups, past)
    reach = service_reach(data)
    services, rotation_gaps, services_before = service_requests(data, backups, past, reach)
    # the budget counts from the call: what the data and backups took is spent
    rolling = plan_windows(data, backups, past, services, events,
                           time_limit=max(0.0, time_limit - (time.perf_counter() - started)),
                           progress=say.span(WINDOWS_SPAN[0], WINDOWS_SPAN[1]), stop=stop)
    say("layout", "laying out the days", done=WINDOWS_SPAN[1])
    placed, no_time = lay_out(data, rolling.bookings, past)
    activities = [*past.activities, *placed]
    activities += daily_calls(data, backups, activities)
    say("bounds", "bounding what must go unmet", done=BOUNDS_AT)
    lower = {
        "visit": bounds.visit_bound(data, backups, past),
        "group": bounds.event_bound(data, past, events, "group"),
        "festival": bounds.event_bound(data, past, events, "festival"),
        "birthday": bounds.birthday_bound(data, backups, past, due_birthdays(data, past)),
        "service": bounds.service_bound(data, past, reach,
                                        providers_by_month(data, past, reach)),
    }
    missed = past.gaps(data, backups.backup) + events_before + services_before + \
        rolling.missed + no_time
    stats = {"windows": rolling.windows, "window_status": dict(rolling.statuses),
             # a stop changes the windows after it, even those it lets be proven
             "status": ("interrupted" if stop.requested else
                        "optimal" if set(rolling.statuses) <= {"optimal"} else "feasible"),
             "seconds": round(time.perf_counter() - started, 3)}
    return _result(data, backups, activities, missed, rotation_gaps, lower, past, stats)


def schedule_world(world: World, assignments: pd.DataFrame, start: dt.date, weeks: int,
                   rules: ScheduleRules | None = None, *, leaving: set[str] | None = None,
                   from_date: dt.date | None = None, previous: pd.DataFrame | None = None,
                   time_limit: float = 60.0, seed: int = 0, progress: Progress = SILENT,
                   assignments_name: str = "assignments.csv",
                   stop: Stop = NEVER) -> ScheduleResult:
    """Schedule a world for a pairing: what ``matching schedule`` and scenarios both run.

    Parameters
    ----------
    world
        The inputs as read (see :func:`matching.read_world`).
    assignments
        ``elder_id, volunteer_id`` of the pairs to plan for (text cells; the index holds the
        spreadsheet rows for error messages).
    leaving
        Volunteers who have left: they get no new activities (their published past stays).
    from_date, previous
        Re-schedule from this date, keeping ``previous`` (an earlier schedule) before it.

    Raises
    ------
    InputError
        For an assignment that names nobody, an elder listed twice, or a pair the rules do
        not allow.
    """
    started = time.perf_counter()
    if leaving:
        world = without_volunteers(world, set(leaving))
    problem = build_problem(world)
    primary = primaries(assignments, problem, assignments_name)
    old_primary = primaries_from_schedule(previous) if previous is not None else None
    left = max(0.0, time_limit - (time.perf_counter() - started))
    return make_schedule(problem, primary, start, weeks, rules, time_limit=left,
                         seed=seed, from_date=from_date, previous=previous,
                         previous_primary=old_primary, progress=progress, stop=stop)


#: Why the rules forbid a pair, by eligibility code (the catalogue's words).
_WHY_NOT = {TOO_FAR: "pair.too_far", REFUSES: "pair.refused", GENDER: "pair.gender",
            NO_SHARED_DAY: "pair.no_shared_day"}


def primaries(table: pd.DataFrame, problem: PairingProblem,
              name: str = "assignments.csv") -> np.ndarray:
    """Primary volunteer index per elder (-1 if none) from an assignments table.

    Every pair must be one the pairing rules allow: the same rule every stage asks.

    Raises
    ------
    InputError
        For missing columns, unknown ids, elders listed twice and pairs the rules forbid.
    """
    problems = [InputIssue(name, "input.column_missing", name=c)
                for c in (ELDER_ID, VOLUNTEER_ID) if c not in table.columns]
    if problems:
        raise InputError(problems)
    vid = {v: i for i, v in enumerate(problem.volunteer_ids)}
    eid = {e: i for i, e in enumerate(problem.elder_ids)}
    arc_key = problem.arc_e.astype(np.int64) * problem.num_volunteers + problem.arc_v
    # pairs looked at come sorted by volunteer, then elder
    near_key = problem.near_v.astype(np.int64) * problem.num_elders + problem.near_e
    primary = np.full(problem.num_elders, -1, dtype=np.int64)
    for row, e, v in zip(table.index, table[ELDER_ID], table[VOLUNTEER_ID], strict=True):
        if e not in eid:
            problems.append(InputIssue(name, "input.no_such_elder", int(row), ELDER_ID, e))
        elif v and v not in vid:
            problems.append(InputIssue(name, "input.no_such_volunteer", int(row),
                                       VOLUNTEER_ID, v))
        elif v:
            key = eid[e] * problem.num_volunteers + vid[v]
            k = int(np.searchsorted(arc_key, key))
            if primary[eid[e]] >= 0:
                problems.append(InputIssue(name, "input.elder_twice", int(row), ELDER_ID, e))
            elif k >= len(arc_key) or arc_key[k] != key:
                looked = vid[v] * problem.num_elders + eid[e]
                j = int(np.searchsorted(near_key, looked))
                code = int(problem.near_code[j]) if j < len(near_key) and \
                    near_key[j] == looked else TOO_FAR
                why = _WHY_NOT.get(code, "pair.not_allowed") if code != ELIGIBLE \
                    else "pair.not_allowed"
                problems.append(InputIssue(name, "input.may_not_serve", int(row),
                                           VOLUNTEER_ID, v, elder=e,
                                           why={"code": why, "params": {}}))
            else:
                primary[eid[e]] = vid[v]
    if problems:
        raise InputError(problems)
    return primary


def primaries_from_schedule(schedule: pd.DataFrame) -> dict[str, str]:
    """Each elder's primary in an earlier schedule: whoever made most of their visits."""
    visits = schedule[schedule["activity"] == "visit"]
    if visits.empty:
        return {}
    counts = visits.groupby([ELDER_ID, VOLUNTEER_ID]).size().reset_index(name="n")
    counts = counts.sort_values([ELDER_ID, "n", VOLUNTEER_ID], ascending=[True, False, True])
    return dict(counts.drop_duplicates(ELDER_ID)[[ELDER_ID, VOLUNTEER_ID]]
                .itertuples(index=False, name=None))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def six_ones_figures(data: ScheduleData, schedule: pd.DataFrame, unmet: pd.Series,
                     lower: dict[str, int]) -> dict[str, dict[str, object]]:
    """Each of the six ones, in order: ``due`` (how many the horizon asks for), ``planned``
    (rows of the schedule; for group and festival activities, the events, by community and
    day, not their organisers), ``unmet`` (rows of unmet.csv), ``lower_bound`` (the proven
    fewest unmet; ``None`` for calls, never unmet) and, where none is due, ``reason``
    (``{"code", "params"}``: why not, in this horizon). Every table of the six ones (the
    command's summary, summary.json, the report, the console) reads these figures."""
    h, r = data.horizon, data.rules
    assigned = data.assigned.tolist()
    communities = len({str(data.elder_community[e]) for e in assigned})
    with_needs = sum(1 for e in assigned if data.needs[e])
    birthdays = sum(len(dates.birthday_in(data.birthdays[e], h.start, h.end)) for e in assigned)
    last = (h.end - dt.timedelta(days=1)).isoformat()
    span = {"first": h.start.isoformat(), "last": last}
    due = {"call": (len(h.days) * len(assigned), "six.none_assigned", {}),
           "visit": (len(h.full_weeks) * len(assigned), "six.no_full_week", span),
           "service": (len(h.months) * with_needs,
                       "six.no_needs" if not with_needs else "six.no_month",
                       {"days": r.month_min_days, **span}),
           "group": (len(h.quarters) * communities, "six.no_quarter",
                     {"days": r.quarter_min_days, **span}),
           "festival": (len(h.festivals) * communities, "six.no_festival", span),
           "birthday": (birthdays, "six.no_birthday", span)}
    planned = schedule["activity"].value_counts()
    # a community's event is one however many organise it: counted by community and day
    for kind in ("group", "festival"):
        held = schedule[schedule["activity"] == kind]
        planned[kind] = len(held[["community", "date"]].drop_duplicates())
    out: dict[str, dict[str, object]] = {}
    for kind in SIX_ONES:
        count, code, params = due[kind]
        if not assigned:
            code, params = "six.none_assigned", {}
        out[kind] = {"due": int(count), "planned": int(planned.get(kind, 0)),
                     "unmet": int(unmet.get(kind, 0)), "lower_bound": lower.get(kind),
                     "reason": None if count else {"code": code, "params": params}}
    return out


def _result(data: ScheduleData, backups: Backups, activities: list[Activity],
            missed: list[Missed], rotation_gaps: list[Unmet], lower: dict[str, int],
            past: Past, stats: dict[str, object]) -> ScheduleResult:
    p = data.problem
    schedule = _schedule_table(p, activities)
    if len(past.raw):
        raw = past.raw.reindex(columns=schedule.columns).fillna("")
        raw["minutes"] = raw["minutes"].astype(int)
        schedule = pd.concat([schedule, raw], ignore_index=True)
    schedule = schedule.sort_values(["date", VOLUNTEER_ID, "start", "activity", ELDER_ID],
                                    kind="stable").reset_index(drop=True)
    loads = Loads(data, activities)
    unmet_rows = [reason(data, loads, m) for m in missed] + rotation_gaps
    unmet = pd.DataFrame([{
        ELDER_ID: p.elder_ids[u.elder] if u.elder >= 0 else "",
        "when": u.when, "activity": u.activity, "reason": u.reason.text("en"),
        "community": u.community, "priority": int(p.priority[u.elder]) if u.elder >= 0 else "",
        "reason_code": u.reason.code, "reason_params": u.reason.params_json(),
    } for u in unmet_rows], columns=UNMET_COLUMNS)
    unmet = unmet.sort_values(["when", "activity", ELDER_ID], kind="stable") \
        .reset_index(drop=True)
    assigned = data.assigned
    backup_table = pd.DataFrame({
        ELDER_ID: p.elder_ids[assigned],
        "primary_id": p.volunteer_ids[data.primary[assigned]],
        "backup_id": [p.volunteer_ids[b] if b >= 0 else "" for b in backups.backup[assigned]],
        "backup_week": [int(w) + 1 if b >= 0 else "" for w, b in
                        zip(backups.usual_week[assigned], backups.backup[assigned],
                            strict=True)],
    })
    counts = unmet["activity"].value_counts()
    h = data.horizon
    stats = {"activities": len(schedule), "unmet": len(unmet), "festivals": len(h.festivals),
             "full_weeks": len(h.full_weeks),
             "unmet_by_kind": {k: {"unmet": int(counts.get(k, 0)), "lower_bound": lower[k]}
                               for k in KINDS},
             "rotation_swaps": int(counts.get(ROTATION_SWAP, 0)),
             "six_ones": six_ones_figures(data, schedule, counts, lower),
             "rotation_share": _rotation_share(data, activities), **stats}
    # every elder's contact: one without a volunteer now may still be in the kept past
    elders = p.world.elders
    roles = backup_table.set_index(ELDER_ID)
    contacts = pd.DataFrame({ELDER_ID: p.elder_ids,
                             "name": elders.name, "address": elders.address,
                             "phone": elders.phone})
    contacts["primary_id"] = contacts[ELDER_ID].map(roles["primary_id"]).astype(object) \
        .where(contacts[ELDER_ID].isin(roles.index), "")
    contacts["backup_id"] = contacts[ELDER_ID].map(roles["backup_id"]).astype(object) \
        .where(contacts[ELDER_ID].isin(roles.index), "")
    # the pairs planned for, with their terms, as pair writes them (they are eligible pairs)
    key = p.arc_e.astype(np.int64) * p.num_volunteers + p.arc_v
    wanted = assigned.astype(np.int64) * p.num_volunteers + data.primary[assigned]
    pair_of = np.minimum(np.searchsorted(key, wanted), max(0, p.num_arcs - 1))
    chosen = np.zeros(p.num_arcs, dtype=bool)
    if p.num_arcs:
        chosen[pair_of[key[pair_of] == wanted]] = True
    pairs = assignment_table(p, chosen)
    volunteers = p.world.volunteers
    volunteer_contacts = pd.DataFrame({VOLUNTEER_ID: p.volunteer_ids, "name": volunteers.name,
                                       "phone": volunteers.phone})
    return ScheduleResult(schedule, unmet, backup_table, pairs, h.start, h.num_weeks, stats,
                          contacts, volunteer_contacts, event_titles(h))


def _schedule_table(p: PairingProblem, activities: list[Activity]) -> pd.DataFrame:
    """The schedule's rows, built column by column: a city's quarter has millions of
    activities, and a dictionary per row would hold gigabytes at once."""
    n = len(activities)
    volunteer = np.fromiter((a.volunteer for a in activities), dtype=np.int64, count=n)
    elder = np.fromiter((a.elder for a in activities), dtype=np.int64, count=n)
    start = np.fromiter((a.start for a in activities), dtype=np.int64, count=n)
    end = np.fromiter((a.end for a in activities), dtype=np.int64, count=n)
    dates: dict[dt.date, str] = {}
    clocks: dict[int, str] = {}
    has_elder = elder >= 0
    no_one = np.full(n, "", dtype=object)

    def of_elder(values: np.ndarray) -> np.ndarray:
        out = no_one.copy()
        out[has_elder] = values[elder[has_elder]]
        return out

    def clock(minutes: np.ndarray) -> list[str]:
        return [clocks.get(m) or clocks.setdefault(m, _clock(m)) for m in minutes.tolist()]

    return pd.DataFrame({
        "date": [dates.get(a.date) or dates.setdefault(a.date, a.date.isoformat())
                 for a in activities],
        "start": clock(start), "end": clock(end),
        "activity": [a.activity for a in activities],
        VOLUNTEER_ID: p.volunteer_ids[volunteer],
        ELDER_ID: of_elder(p.elder_ids),
        "community": [a.community for a in activities],
        "service": [a.service for a in activities],
        "minutes": end - start,
        "title": [a.title for a in activities],
        "elder_name": of_elder(p.world.elders.name),
        "volunteer_name": p.world.volunteers.name[volunteer],
    }, columns=SCHEDULE_COLUMNS)


def _rotation_share(data: ScheduleData, activities: list[Activity]) -> float | None:
    """Share of complete rota blocks with every visit made in which the primary made exactly
    ``rota_block_weeks - backup_visits_per_block`` of them."""
    h = data.horizon
    visits: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a in activities:
        if a.activity == "visit":
            number = h.full_number(a.date)
            if number >= 0:
                visits[a.elder, number // h.block_weeks].append(a.volunteer)
    want = h.block_weeks - data.rules.backup_visits_per_block
    blocks = ok = 0
    for (e, block), who in visits.items():
        if h.complete_block(block) and len(who) == h.block_weeks:
            blocks += 1
            ok += int(sum(v == data.primary[e] for v in who) == want)
    return round(float(ok / blocks), 4) if blocks else None
