"""The "six ones" schedule: calls, visits, services, group and festival activities, birthdays.

The stages, in the order :func:`make_schedule` runs them (one module each):

1. ``horizon`` and ``data``: the days, weeks, rota blocks, months, quarters and festivals of
   the horizon; the world's arrays and the walk between two homes.
2. ``past``: re-scheduling keeps the published past exactly and counts it in what follows.
3. ``backups``: each elder's backup, eligible under the pairing rules (one min-cost flow).
4. ``events`` and ``services``: each community event's candidate days and organisers; each
   month's service request, its due need and its possible providers.
5. ``windows`` and ``model``: one CP-SAT model per window of rota blocks decides, together,
   every visit (primary or backup), birthday greeting, service (provider and week) and
   event (day and organisers) within the volunteers' weekly minutes; visits come first.
6. ``layout``: each activity's day of the week and time of day, keeping a pair's weekday.
7. ``calls``: a greeting call every day by the week's visitor.
8. ``bounds`` and ``reasons``: a proven lower bound on what must go unmet, kind by kind, and
   for every unmet obligation what filled the volunteers who could have done it.

Eligibility is never decided here: every stage asks
:class:`matching.pairing.eligibility.Eligibility` (through the pairing problem).
"""

from matching.rules.schedule import ScheduleRules
from matching.schedule.plan import (
    make_schedule,
    primaries,
    primaries_from_schedule,
    schedule_world,
)
from matching.schedule.result import Activity, ScheduleResult, Unmet

__all__ = [
    "Activity",
    "ScheduleResult",
    "ScheduleRules",
    "Unmet",
    "make_schedule",
    "primaries",
    "primaries_from_schedule",
    "schedule_world",
]
