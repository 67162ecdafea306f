"""Reading a marked rota (``DONE.csv``) against the schedule it came from.

``DONE.csv`` has the columns ``date, activity, volunteer_id, elder_id, status, done_by,
minutes, rating, comment``. ``status`` is ``done``, ``missed`` or ``replaced``; ``done_by`` is
who actually did a replaced activity; ``minutes`` is blank for the planned length, or the
actual length; ``rating`` is 1-5 or blank. Each row must match a row of ``schedule.csv`` by
date, activity, volunteer and elder, and appear once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matching.catalogue import LANGUAGES, say
from matching.rules.errors import CellError, InputError, InputIssue
from matching.rules.schedule import SIX_ONES
from matching.rules.timebank import TimebankRules
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.parse import parse_date, parse_status
from matching.world.read import read_table

STATUSES = ("done", "missed", "replaced")
#: An activity as the rota names it, in either language, to its code in schedule.csv.
ACTIVITY_CODES = {say(f"activity.{code}", lang).lower(): code for lang in LANGUAGES
                  for code in SIX_ONES} | {code: code for code in SIX_ONES}
REQUIRED = ("date", "activity", VOLUNTEER_ID, ELDER_ID, "status")
#: Longest an activity can have lasted (a whole working day).
MAX_MINUTES = 12 * 60


def activity_key(date: str, activity: str, volunteer: str, elder: str) -> str:
    """The identity of a rota row: date, activity, the volunteer it was planned for, elder."""
    return f"{date}|{activity}|{volunteer}|{elder}"


@dataclass
class Recording:
    """The rows of a marked rota, checked against the schedule, ready to record.

    ``rows`` (indexed by spreadsheet row): ``activity_key, date, activity, volunteer_id,
    elder_id, status, credited_to, minutes, credit, rating, comment``; ``credit`` is the
    minutes banked (0 for a missed row). ``problems`` are what is wrong with the file itself.
    """

    name: str
    rows: pd.DataFrame
    problems: list[InputIssue] = field(default_factory=list)


def _records(table: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of a table of text cells as dicts (faster than ``to_dict`` on text
    columns)."""
    columns = list(table.columns)
    arrays = [table[c].to_numpy(dtype=object) for c in columns]
    return [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]


class _Spellings:
    """A parser that reads each distinct spelling once (a rota repeats a few dates and
    statuses many thousand times)."""

    def __init__(self, parse: Callable[[str], str]) -> None:
        self.parse = parse
        self.known: dict[str, str | ValueError] = {}

    def __call__(self, text: str) -> str:
        if text not in self.known:
            try:
                self.known[text] = self.parse(text)
            except ValueError as exc:
                self.known[text] = exc
        value = self.known[text]
        if isinstance(value, ValueError):
            raise value
        return value


def read_done(schedule: str | Path, done: str | Path,
              rules: TimebankRules | None = None, today: dt.date | None = None) -> Recording:
    """Check a marked rota against its schedule: each row one of the schedule's, once,
    dated no later than ``today`` (when given: hours are banked only once served), its
    minutes within :meth:`TimebankRules.minutes_allowed` of the planned ones.

    Raises
    ------
    InputError
        When a file is missing or lacks its columns (row-level problems are collected in the
        recording, so that the ledger can add its own and report all at once).
    """
    rules = rules or TimebankRules()
    name = Path(done).name
    plan = read_table(schedule)
    marks = read_table(done)
    missing = [InputIssue(Path(schedule).name, "input.column_missing", name=c) for c in
               ("date", "activity", VOLUNTEER_ID, ELDER_ID, "minutes")
               if c not in plan.columns]
    missing += [InputIssue(name, "input.column_missing", name=c) for c in REQUIRED
                if c not in marks.columns]
    if missing:
        raise InputError(missing)
    planned: Counter[str] = Counter()
    length: dict[str, int] = {}
    for r in _records(plan):
        key = activity_key(r["date"], r["activity"], r[VOLUNTEER_ID], r[ELDER_ID])
        planned[key] += 1
        length[key] = int(float(r["minutes"] or 0))
    problems: list[InputIssue] = []
    seen: dict[str, int] = {}
    rows = []
    dates, statuses = _Spellings(parse_date), _Spellings(parse_status)
    for row, cell in zip(marks.index, _records(marks), strict=True):
        row = int(row)
        bad = len(problems)
        try:
            cell["date"] = dates(cell["date"])
        except CellError as exc:
            problems.append(InputIssue(name, exc.code, row, "date", cell["date"], **exc.params))
        status = ""
        try:
            status = statuses(cell["status"])
        except CellError as exc:
            problems.append(InputIssue(name, exc.code, row, "status", cell["status"],
                                       **exc.params))
        cell["activity"] = ACTIVITY_CODES.get(cell["activity"].lower(), cell["activity"])
        done_by = cell.get("done_by", "")
        if status == "replaced" and not done_by:
            problems.append(InputIssue(name, "input.replaced_needs_who", row, "done_by"))
        if status in ("done", "missed") and done_by and done_by != cell[VOLUNTEER_ID]:
            problems.append(InputIssue(name, "input.done_by_only_replaced", row, "done_by",
                                       done_by, status=f"mark.{status}"))
        if today is not None and len(problems) == bad and cell["date"] > today.isoformat():
            problems.append(InputIssue(name, "input.not_yet", row, "date", cell["date"],
                                       today=today.isoformat()))
        key = activity_key(cell["date"], cell["activity"], cell[VOLUNTEER_ID],
                           cell[ELDER_ID])
        minutes = None
        if cell.get("minutes"):
            try:
                minutes = float(cell["minutes"])
                if not 0 < minutes <= MAX_MINUTES:
                    raise ValueError
            except ValueError:
                problems.append(InputIssue(name, "input.not_minutes", row, "minutes",
                                           cell["minutes"], most=MAX_MINUTES))
                minutes = None
            if minutes is not None and planned.get(key):
                least, most = rules.minutes_allowed(length[key])
                if not least <= minutes <= most:
                    problems.append(InputIssue(name, "input.minutes_bounds", row, "minutes",
                                               cell["minutes"], least=least, most=most,
                                               planned=length[key]))
        rating = None
        if cell.get("rating"):
            if cell["rating"] not in ("1", "2", "3", "4", "5"):
                problems.append(InputIssue(name, "input.not_rating", row, "rating",
                                           cell["rating"]))
            else:
                rating = int(cell["rating"])
        if not planned.get(key):
            problems.append(InputIssue(name, "input.no_such_activity", row, "activity",
                                       cell["activity"], schedule=Path(schedule).name))
        elif key in seen:
            problems.append(InputIssue(name, "input.same_activity", row, "activity",
                                       cell["activity"], first=seen[key]))
        seen.setdefault(key, row)
        if len(problems) > bad:
            continue
        served = 0 if status == "missed" else round(minutes if minutes else length[key])
        rows.append({"row": row, "activity_key": key, "date": cell["date"],
                     "activity": cell["activity"], VOLUNTEER_ID: cell[VOLUNTEER_ID],
                     ELDER_ID: cell[ELDER_ID], "status": status,
                     "credited_to": done_by if status == "replaced" else cell[VOLUNTEER_ID],
                     "minutes": served, "credit": rules.credit_minutes(served),
                     "rating": rating, "comment": cell.get("comment", "")})
    table = pd.DataFrame(rows, columns=["row", "activity_key", "date", "activity",
                                        VOLUNTEER_ID, ELDER_ID, "status", "credited_to",
                                        "minutes", "credit", "rating", "comment"])
    table = table.set_index("row")
    table["rating"] = table["rating"].astype(object).where(table["rating"].notna(), None)
    return Recording(name, table, problems)
