"""What the schedule produces: activities, unmet obligations, and the tables a planner reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matching.catalogue import Reason
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: The kinds of obligation in the order they are weighed (calls are never unmet).
KINDS = ("visit", "group", "festival", "birthday", "service")

#: An unmet.csv row of this activity is a month whose due need gave way to another in the
#: rotation: the service was given, but not of the need that was due.
ROTATION_SWAP = "service rotation"

#: The contract's columns of schedule.csv, then the extras a reader wants.
CONTRACT_COLUMNS = ["date", "start", "end", "activity", VOLUNTEER_ID, ELDER_ID, "community",
                    "service", "minutes"]
SCHEDULE_COLUMNS = [*CONTRACT_COLUMNS, "title", "elder_name", "volunteer_name"]
UNMET_COLUMNS = [ELDER_ID, "when", "activity", "reason", "community", "priority",
                 "reason_code", "reason_params"]


@dataclass
class Activity:
    """One row of the schedule.

    ``walk`` is the one-way walk to the elder's home: the activity costs the volunteer's week
    ``minutes + 2 * walk`` (less when a birthday greeting shares the visit's walk).
    """

    date: dt.date
    start: int
    end: int
    activity: str
    volunteer: int
    elder: int = -1
    community: str = ""
    service: str = ""
    title: str = ""
    walk: float = 0.0

    @property
    def minutes(self) -> int:
        """Length in minutes."""
        return self.end - self.start


@dataclass(frozen=True)
class Booking:
    """A decided activity before its day and time are laid out.

    ``days`` are the days it may go on (one day for birthdays and events); ``start`` is fixed
    for events and -1 otherwise. A visit that shares its walk with a birthday greeting has
    ``days`` set to the birthday.
    """

    kind: str
    volunteer: int
    elder: int
    monday: dt.date
    days: tuple[dt.date, ...]
    minutes: int
    walk: float
    community: str
    service: str = ""
    title: str = ""
    start: int = -1
    shares_walk: bool = False


@dataclass(frozen=True)
class Missed:
    """An obligation the model could not keep: who could have done it, and when."""

    kind: str
    elder: int
    when: str
    community: str
    candidates: tuple[int, ...]
    mondays: tuple[dt.date, ...]
    note: str = ""


@dataclass(frozen=True)
class Unmet:
    """An obligation the schedule could not meet, with the reason (a code and its figures,
    :class:`matching.catalogue.Reason`)."""

    elder: int
    when: str
    activity: str
    reason: Reason
    community: str = ""


@dataclass
class ScheduleResult:
    """A schedule with what it could not do.

    Attributes
    ----------
    schedule
        ``date, start, end, activity, volunteer_id, elder_id, community, service, minutes``
        plus ``title``, ``elder_name``, ``volunteer_name``, sorted by date, volunteer, time.
    unmet
        ``elder_id, when, activity, reason, community, priority, reason_code,
        reason_params`` (the reason in English, its code and figures as JSON).
    backups
        ``elder_id, primary_id, backup_id, backup_week`` (the usual week of each rota block).
    assignments
        The pairs planned for, with their terms, as ``matching pair`` writes them.
    contacts
        ``elder_id, name, address, phone, primary_id, backup_id`` of the elders planned for,
        for the rota.
    volunteer_contacts
        ``volunteer_id, name, phone`` of the volunteers, for the coordinator's overview.
    titles
        The English name of each event title (the schedule names events in Chinese).
    stats
        Counts, unmet obligations by kind against their lower bounds, solver figures.
    """

    schedule: pd.DataFrame
    unmet: pd.DataFrame
    backups: pd.DataFrame
    assignments: pd.DataFrame
    start: dt.date
    weeks: int
    stats: dict[str, Any] = field(default_factory=dict)
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    volunteer_contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    titles: dict[str, str] = field(default_factory=dict)

    def in_language(self, lang: str) -> ScheduleResult:
        """The result with its events' titles in ``lang`` (they are made in Chinese;
        :attr:`titles` gives each one's English)."""
        if lang == "zh" or not self.titles or self.schedule.empty:
            return self
        schedule = self.schedule.assign(title=self.schedule["title"].map(
            lambda t: self.titles.get(t, t)))
        return dataclasses.replace(self, schedule=schedule)

    def credits(self) -> pd.DataFrame:
        """Planned time-bank hours per volunteer, by activity (calls included)."""
        s = self.schedule
        if s.empty:
            return pd.DataFrame(columns=[VOLUNTEER_ID, "volunteer_name", "hours"])
        table = s.pivot_table(index=[VOLUNTEER_ID, "volunteer_name"], columns="activity",
                              values="minutes", aggfunc="sum", fill_value=0)
        table = (table / 60).round(2)
        table.columns = [f"{c}_hours" for c in table.columns]
        table["hours"] = table.sum(axis=1).round(2)
        return table.reset_index()

    def unmet_by_kind(self) -> dict[str, dict[str, int]]:
        """For each kind, the unmet count and the proven lower bound on it."""
        return dict(self.stats.get("unmet_by_kind", {}))

    def six_ones(self) -> dict[str, dict[str, Any]]:
        """Each of the six ones: how many are due, planned and unmet, the proven lower bound,
        and why none is due where none is (see :func:`six_ones_figures`)."""
        return dict(self.stats.get("six_ones", {}))

    def summary(self) -> str:
        """A fixed-width summary for the terminal: each of the six ones planned, unmet against
        the bound, or not due in this horizon and why; the unmet count is unmet.csv's rows."""
        lines = ["Schedule", "--------",
                 f"  {'':<18}{'planned':>10}{'unmet':>8}{'at least':>10}"]
        for kind, row in self.six_ones().items():
            if not row["due"]:
                why = Reason(row["reason"]["code"], row["reason"]["params"]).text("en")
                lines.append(f"  {kind:<18}{'not due':>10}  {why}")
                continue
            bound = row["lower_bound"] if row["lower_bound"] is not None else "-"
            lines.append(f"  {kind:<18}{row['planned']:>10,}{row['unmet']:>8,}{bound:>10}")
        swaps = int(self.stats.get("rotation_swaps", 0))
        if swaps:
            lines.append(f"  {'another need':<18}{'':>10}{swaps:>8,}  months whose due need "
                         "gave way to another in the rotation")
        lines.append(f"  {'unmet in all':<18}{'':>10}{int(self.stats.get('unmet', 0)):>8,}"
                     "  (the rows of unmet.csv)")
        share = self.stats.get("rotation_share")
        lines.append(f"  {'rotation share':<18}{share if share is not None else '-':>10}")
        lines.append(f"  {'status':<18}{self.stats.get('status', '')} "
                     f"({self.stats.get('windows', 0)} windows)")
        return "\n".join(lines)
