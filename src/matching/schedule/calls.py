"""Daily greeting calls: every elder, every day, by the week's visitor.

A call takes ``call_minutes``, does not count against the weekly minutes and may overlap
other activities. The caller is whoever visits the elder that week (the backup in the
backup's week, so that the elder hears from the person who will come), otherwise the primary.

Each volunteer has a fixed slot for each elder they may call, from ``call_start`` on, one
every ``call_spacing_minutes``: first their own elders, then those they back up. So a call to
an elder is at the same time every day, and a phone calendar shows it as one repeating
event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from matching.schedule.backups import Backups
from matching.schedule.data import ScheduleData
from matching.schedule.horizon import monday_of
from matching.schedule.result import Activity


def call_slots(data: ScheduleData, backups: Backups) -> dict[tuple[int, int], int]:
    """``(volunteer, elder) -> slot``: the volunteer's own elders first, then the elders they
    back up, each in id order."""
    ids = data.problem.elder_ids
    own: dict[int, list[int]] = defaultdict(list)
    backed: dict[int, list[int]] = defaultdict(list)
    for e in data.assigned.tolist():
        own[int(data.primary[e])].append(e)
        if backups.backup[e] >= 0:
            backed[int(backups.backup[e])].append(e)
    slots = {}
    for v in set(own) | set(backed):
        order = sorted(own[v], key=lambda e: ids[e]) + sorted(backed[v], key=lambda e: ids[e])
        for k, e in enumerate(order):
            slots[v, e] = k
    return slots


def daily_calls(data: ScheduleData, backups: Backups,
                activities: list[Activity]) -> list[Activity]:
    """One call per assigned elder per day to plan."""
    r = data.rules
    visitor: dict[tuple[int, dt.date], int] = {}
    for a in activities:
        if a.activity == "visit":
            visitor[a.elder, monday_of(a.date)] = a.volunteer
    slots = call_slots(data, backups)
    last_start = r.day_end - r.call_minutes
    # in a week the primary is away, the backup calls (where there is one)
    away = {(v, monday) for v in set(data.primary[data.assigned].tolist())
            for monday in data.volunteer_away_weeks(int(v))}
    calls = []
    for day in data.horizon.days:
        monday = monday_of(day)
        for e in data.assigned.tolist():
            v = visitor.get((e, monday), int(data.primary[e]))
            if (v, monday) in away and backups.backup[e] >= 0:
                v = int(backups.backup[e])
            if (v, e) not in slots:  # a visitor of the published past who is no backup now
                v = int(data.primary[e])
            begin = min(last_start, r.call_start + slots[v, e] * max(r.call_minutes,
                                                                     r.call_spacing_minutes))
            calls.append(Activity(day, begin, begin + r.call_minutes, "call", v, e,
                                  str(data.elder_community[e])))
    return calls
