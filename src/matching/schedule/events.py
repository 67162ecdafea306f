"""Community events: a group activity each quarter and an activity at every festival.

Each event needs ``ceil(elders / elders_per_organiser)`` organisers from the community's
volunteers (those living there, and every primary and backup of its elders), all on the same
day, each on a day they are available. The day and the organisers are chosen by the model,
together with everyone's visits; here each event gets its candidate days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import ONE_DAY, Horizon, monday_of
from matching.schedule.past import Past
from matching.schedule.result import Missed

#: A quarter's group activity is held within this many days of the quarter's middle (or, when
#: a re-schedule starts after the middle, in the first days left): enough choice to find a day
#: that suits the organisers, few enough to keep the model small.
GROUP_DAYS_AROUND_MIDDLE = 7
GROUP_CANDIDATE_DAYS = 2 * GROUP_DAYS_AROUND_MIDDLE + 1


@dataclass(frozen=True)
class EventNeed:
    """One community event to hold.

    Attributes
    ----------
    days
        The days offered to the model; ``closeness`` scores each (higher is better: the
        festival's own day, or the middle of the quarter).
    allowed
        Every day the rules allow (a festival's days; the whole quarter), for the bound.
    pool
        The volunteers who may organise it.
    """

    kind: str
    community: str
    title: str
    when: str
    days: tuple[dt.date, ...]
    closeness: tuple[int, ...]
    start: int
    minutes: int
    need: int
    pool: tuple[int, ...]
    allowed: tuple[dt.date, ...] = ()


def community_events(data: ScheduleData, backups: Backups, past: Past
                     ) -> tuple[list[EventNeed], list[Missed]]:
    """Every group and festival activity of the horizon still to hold, with its candidates;
    and those due wholly before a re-schedule date that the published past does not hold."""
    r, h = data.rules, data.horizon
    members: dict[str, list[int]] = defaultdict(list)
    for e in data.assigned.tolist():
        members[str(data.elder_community[e])].append(e)
    out: list[EventNeed] = []
    gaps: list[Missed] = []
    for community in sorted(members):
        elders = members[community]
        need = math.ceil(len(elders) / r.elders_per_organiser)
        pool = {int(data.primary[e]) for e in elders}
        pool |= {int(backups.backup[e]) for e in elders if backups.backup[e] >= 0}
        pool |= {v for v in range(data.num_volunteers)
                 if str(data.volunteer_community[v]) == community}
        members_pool = tuple(sorted(pool))
        for first, nxt in h.quarters:
            if past.event_held("group", community, first, nxt):
                continue
            days, score = _group_days(first, nxt, h.from_date)
            q = (first.month - 1) // 3 + 1
            if not days:
                gaps.append(Missed("group", -1, f"{first.year}-Q{q}", community, members_pool,
                                   (monday_of(first),), "before"))
                continue
            allowed = tuple(first + dt.timedelta(days=i) for i in range((nxt - first).days)
                            if first + dt.timedelta(days=i) >= h.from_date)
            out.append(EventNeed("group", community, group_title(first)[0],
                                 f"{first.year}-Q{q}", days, score, r.group_start,
                                 r.group_minutes, need, members_pool, allowed))
        for fest in h.festivals:
            earliest = fest.date - dt.timedelta(days=r.festival_days_before)
            if past.event_held("festival", community, earliest, fest.date + ONE_DAY):
                continue
            days = tuple(d for d in (fest.date - dt.timedelta(days=k)
                                     for k in range(r.festival_days_before, -1, -1))
                         if max(h.start, h.from_date) <= d < h.end)
            if not days:
                gaps.append(Missed("festival", -1, fest.date.isoformat(), community,
                                   members_pool, (monday_of(fest.date),), "before"))
                continue
            out.append(EventNeed("festival", community, fest.name_zh,
                                 fest.date.isoformat(), days,
                                 tuple(-(fest.date - d).days for d in days), r.festival_start,
                                 r.festival_minutes, need, members_pool, days))
    return out, gaps


def group_title(first: dt.date) -> tuple[str, str]:
    """A quarter's group activity, named in Chinese and in English (the quarter of its
    first day): ``2026年第2季度集体活动``, ``2026 Q2 group activity``."""
    q = (first.month - 1) // 3 + 1
    return f"{first.year}年第{q}季度集体活动", f"{first.year} Q{q} group activity"


def event_titles(horizon: Horizon) -> dict[str, str]:
    """The English name of each Chinese event title a horizon's schedule may hold."""
    titles = dict(group_title(first) for first, _ in horizon.quarters)
    titles.update({f.name_zh: f.name for f in horizon.festivals})
    return titles


def _group_days(first: dt.date, nxt: dt.date, from_date: dt.date
                ) -> tuple[tuple[dt.date, ...], tuple[int, ...]]:
    """Candidate days of a quarter's group activity, and how close each is to the middle."""
    middle = first + (nxt - first) / 2
    lo = max(first, from_date, middle - dt.timedelta(days=GROUP_DAYS_AROUND_MIDDLE))
    hi = min(nxt, lo + dt.timedelta(days=GROUP_CANDIDATE_DAYS))
    days = tuple(lo + dt.timedelta(days=i) for i in range((hi - lo).days))
    return days, tuple(-abs((d - middle).days) for d in days)
