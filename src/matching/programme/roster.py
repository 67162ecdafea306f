"""The programme's roster as of any date: the rosters as uploaded, and every dated change.

A change is one of:

* ``leave``: a volunteer or an elder leaves from ``date`` (with a reason: a volunteer ill,
  moved, quit, died or other; an elder died, moved, care_home or other);
* ``away``: someone is away from ``date`` to ``until`` (a volunteer ill for three weeks, an
  elder in hospital); they stay on the roster and nobody is re-paired: the roster writes
  the period in their ``away`` column, and a schedule gives an away volunteer's weeks to
  the backup and owes an away elder no visit in those weeks;
* ``return``: someone who left comes back from ``date`` (with their last details);
* ``join``: someone new from ``date``, with their ``row`` (the columns of their file);
* ``edit``: someone's details change from ``date`` (``row`` holds the new values: phone,
  address with its coordinates, days, capacity, needs; ``refuses`` lists volunteers an
  elder refuses).

The roster as of a day is the uploaded files with every change dated on or before it
applied, in date order (and in the order entered, for one day). A change is never taken
back: a mistake is put right by a later change (a ``return`` after a wrong ``leave``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matching.outputs.write import write_file
from matching.rules.errors import InputError, InputIssue
from matching.rules.ids import id_problem, normalise_id
from matching.world.columns import ELDER_ID, VOLUNTEER_ID, canonical
from matching.world.parse import format_periods, parse_periods
from matching.world.read import read_table

#: What may happen to someone on the roster.
KINDS = ("leave", "away", "return", "join", "edit")

#: Who it happens to, and the id column of their file.
PEOPLE = {"volunteer": VOLUNTEER_ID, "elder": ELDER_ID}

#: Why someone leaves (the first reasons of each are the usual ones).
LEAVE_REASONS = {"volunteer": ("ill", "moved", "quit", "died", "other"),
                 "elder": ("died", "moved", "care_home", "other")}

#: The columns a change file has besides the new details of a ``join`` or ``edit``.
CHANGE_COLUMNS = ("date", "kind", "person", "id", "until", "reason")

#: The details an ``edit`` may change (the id never changes).
EDITABLE = {
    "volunteer": ("name", "age", "gender", "community", "phone", "address", "lat", "lon",
                  "max_elders", "weekly_minutes", "available_days", "skills", "township",
                  "preferred_times"),
    "elder": ("name", "age", "gender", "community", "phone", "address", "lat", "lon",
              "birthday", "lives_alone", "low_income", "priority", "visit_minutes", "needs",
              "available_days", "gender_preference", "township", "preferred_times",
              "refuses"),
}

#: The longest a person may be away in one change (a year).
LONGEST_AWAY = dt.timedelta(days=366)


@dataclass(frozen=True)
class Change:
    """One dated change to the roster (see the module's text).

    Attributes
    ----------
    where, line
        Where it was given (a file and its row, or ``"change"``), for messages.
    """

    kind: str
    person: str
    id: str
    date: dt.date
    until: dt.date | None = None
    reason: str = ""
    row: Mapping[str, str] = field(default_factory=dict)
    where: str = "change"
    line: int | None = None

    def as_json(self) -> dict[str, object]:
        """The change as the API and the audit log give it."""
        return {"kind": self.kind, "person": self.person, "id": self.id,
                "date": self.date.isoformat(),
                "until": self.until.isoformat() if self.until else None,
                "reason": self.reason, "row": dict(self.row)}

    def covers(self, day: dt.date) -> bool:
        """Whether an ``away`` change holds on ``day``."""
        return self.kind == "away" and self.until is not None and \
            self.date <= day <= self.until


def _date(text: object) -> dt.date | None:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return None


def check_change(fields: Mapping[str, object], where: str = "change",
                 line: int | None = None) -> Change:
    """A change given as fields (an API body, a row of a change file), checked.

    Raises
    ------
    InputError
        Naming ``where``, ``line`` and each bad field.
    """
    text = {k: "" if v is None else v for k, v in fields.items()}
    problems: list[InputIssue] = []

    def bad(at: str, code: str, **params: object) -> None:
        problems.append(InputIssue(where, code, line, at, str(text.get(at, "")), **params))

    kind = str(text.get("kind", "")).strip()
    person = str(text.get("person", "")).strip()
    if kind not in KINDS:
        bad("kind", "roster.kind", kinds=list(KINDS))
    if person not in PEOPLE:
        bad("person", "roster.person", people=list(PEOPLE))
    pid = normalise_id(str(text.get("id", "")).strip())
    wrong_id = id_problem(pid) if pid else ("roster.id", {})
    if wrong_id:
        bad("id", wrong_id[0], **wrong_id[1])
    day = _date(text.get("date", ""))
    if day is None:
        bad("date", "roster.date")
    until = None
    if str(text.get("until", "")).strip():
        until = _date(text["until"])
        if until is None:
            bad("until", "roster.date")
    if kind == "away":
        if until is None and not any(p.column == "until" for p in problems):
            bad("until", "roster.away_until")
        elif until is not None and day is not None and \
                not day <= until <= day + LONGEST_AWAY:
            bad("until", "roster.away_span", first=str(day), days=LONGEST_AWAY.days)
    reason = str(text.get("reason", "")).strip()
    if kind == "leave" and person in PEOPLE:
        reason = reason or "other"
        if reason not in LEAVE_REASONS[person]:
            bad("reason", "roster.reason", reasons=list(LEAVE_REASONS[person]))
    raw_row = text.get("row") or {}
    row: dict[str, str] = {}
    if not isinstance(raw_row, Mapping):
        bad("row", "roster.row")
    elif kind in ("join", "edit") and person in PEOPLE:
        for key, value in raw_row.items():
            column = canonical(key, PEOPLE[person])
            if column == PEOPLE[person]:
                continue
            if kind == "edit" and column not in EDITABLE[person]:
                bad("row", "roster.not_editable", field=str(key))
                continue
            row[column] = str(value if value is not None else "").strip()
        if not row:
            bad("row", "roster.row_empty")
    if problems or day is None:  # a missing or bad date is one of the problems
        raise InputError(problems)
    return Change(kind, person, pid, day, until, reason, row, where, line)


def read_changes(path: str | Path) -> list[Change]:
    """A file of dated changes: the columns ``date, kind, person, id`` (``until`` and
    ``reason`` where they apply), and for a ``join`` or an ``edit`` any columns of the
    person's file holding the new details (blank cells are left as they were).

    Raises
    ------
    InputError
        Naming the file, row and column of every problem.
    """
    path = Path(path)
    table = read_table(path)
    missing = [c for c in ("date", "kind", "person", "id") if c not in table.columns]
    if missing:
        raise InputError([InputIssue(path.name, "input.column_missing", name=c)
                          for c in missing])
    changes, problems = [], []
    for row, cells in zip(table.index, table.to_dict("records"), strict=True):
        details = {k: v for k, v in cells.items() if k not in CHANGE_COLUMNS and v != ""}
        try:
            changes.append(check_change({**{k: cells.get(k, "") for k in CHANGE_COLUMNS},
                                         "row": details}, path.name, int(row)))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return changes


@dataclass
class Roster:
    """Who is in the programme on ``date``, with their details as of that day.

    Attributes
    ----------
    volunteers, elders, relations
        Text tables with the contract's headers (as :func:`matching.world.read.read_table`
        gives them), ready to plan with.
    away
        The ``away`` changes that hold on ``date``.
    left, joined
        ``(person, id) -> change`` of everyone who left (and has not come back) and
        everyone who joined, on or before ``date``.
    departed
        ``(person, id) -> row``: the last details of everyone who left.
    """

    date: dt.date
    volunteers: pd.DataFrame
    elders: pd.DataFrame
    relations: pd.DataFrame
    away: list[Change] = field(default_factory=list)
    left: dict[tuple[str, str], Change] = field(default_factory=dict)
    joined: dict[tuple[str, str], Change] = field(default_factory=dict)
    departed: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        """Everyone's name by id, those who left too."""
        out = {pid: str(row.get("name", "")) for (_, pid), row in self.departed.items()}
        for table, key in ((self.volunteers, VOLUNTEER_ID), (self.elders, ELDER_ID)):
            if "name" in table.columns:
                out.update(zip(table[key].astype(str), table["name"].astype(str),
                               strict=True))
        return {k: v for k, v in out.items() if v}

    def ids(self, person: str) -> list[str]:
        """The ids of one kind of person on the roster, in file order."""
        table = self.volunteers if person == "volunteer" else self.elders
        return table[PEOPLE[person]].astype(str).tolist()

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write the roster as ``volunteers.csv``, ``elders.csv`` and ``relations.csv``
        (UTF-8, the contract's headers) in ``folder``; their paths by kind."""
        folder = Path(folder)
        out = {}
        for kind, table in (("volunteers", self.volunteers), ("elders", self.elders),
                            ("relations", self.relations)):
            out[kind] = write_file(folder / f"{kind}.csv", table.reset_index(drop=True))
        return out


def _table(source: pd.DataFrame | str | Path | None, own_id: str | None) -> pd.DataFrame:
    if source is None:
        return pd.DataFrame(columns=[VOLUNTEER_ID, ELDER_ID, "relation"])
    if isinstance(source, pd.DataFrame):
        return source.astype(str).reset_index(drop=True)
    return read_table(source, own_id).reset_index(drop=True)


def roster_as_of(volunteers: pd.DataFrame | str | Path, elders: pd.DataFrame | str | Path,
                 relations: pd.DataFrame | str | Path | None, changes: Sequence[Change],
                 day: dt.date) -> Roster:
    """The roster on ``day``: the files with every change dated on or before it applied.

    Raises
    ------
    InputError
        For a change about someone never on the roster (an id in no file and no ``join``),
        someone joining under an id already on it, or a ``return`` of someone who never
        left; each naming where the change was given.
    """
    tables = {"volunteer": _table(volunteers, VOLUNTEER_ID),
              "elder": _table(elders, ELDER_ID)}
    rels = _table(relations, None)
    rows: dict[str, dict[str, dict[str, str]]] = {
        p: {str(r[PEOPLE[p]]): r for r in t.to_dict("records")} for p, t in tables.items()}
    gone: dict[str, dict[str, dict[str, str]]] = {p: {} for p in PEOPLE}
    away: list[Change] = []
    left: dict[tuple[str, str], Change] = {}
    joined: dict[tuple[str, str], Change] = {}
    extra_relations: list[dict[str, str]] = []
    problems: list[InputIssue] = []
    ordered = sorted(enumerate(changes), key=lambda pair: (pair[1].date, pair[0]))
    for _, change in ordered:
        if change.date > day:
            continue
        here, out = rows[change.person], gone[change.person]
        key = (change.person, change.id)

        def refuse(code: str, c: Change = change, **params: object) -> None:
            problems.append(InputIssue(c.where, code, c.line, "id", c.id,
                                       person=f"person.{c.person}", **params))
        if change.kind == "join":
            if change.id in here:
                refuse("roster.already_on_roster")
                continue
            twin = next((i for i in (*here, *out) if i != change.id
                         and i.casefold() == change.id.casefold()), None)
            if twin is not None:  # their files would be one on a disk that ignores case
                refuse("roster.case_twin", other=twin)
                continue
            base = out.pop(change.id, {})
            here[change.id] = {**base, **change.row, PEOPLE[change.person]: change.id}
            if change.person == "elder":  # nothing is owed her before she joined
                here[change.id].setdefault("joined", change.date.isoformat())
            joined[key] = change
            left.pop(key, None)
        elif change.kind == "return":
            if change.id not in out:
                refuse("roster.never_left" if change.id in here else "roster.unknown")
                continue
            here[change.id] = out.pop(change.id)
            left.pop(key, None)
        elif change.id not in here:
            # a change about someone who has left already changes nothing; one about
            # someone never on the roster is a mistake
            if change.id not in out:
                refuse("roster.unknown")
        elif change.kind == "leave":
            out[change.id] = here.pop(change.id)
            left[key] = change
        elif change.kind == "away":
            if change.covers(day):
                away.append(change)
        else:  # edit
            row = dict(here[change.id])
            for column, value in change.row.items():
                if column == "refuses":
                    extra_relations += [{VOLUNTEER_ID: v.strip(), ELDER_ID: change.id,
                                         "relation": "refuses"}
                                        for v in value.replace("；", ";").split(";")
                                        if v.strip()]
                else:
                    row[column] = value
            here[change.id] = row
    if problems:
        raise InputError(problems)
    # every known absence, of this day or to come: a plan over weeks needs them all
    periods: dict[tuple[str, str], list[tuple[dt.date, dt.date]]] = {}
    for change in changes:
        if change.kind == "away" and change.until is not None:
            periods.setdefault((change.person, change.id), []).append(
                (change.date, change.until))
    for (person, pid), spans in periods.items():
        if pid in rows[person]:
            try:
                known = parse_periods(rows[person][pid].get("away", "") or "")
            except ValueError:  # the file's own cell is checked when the world is read
                known = ()
            rows[person][pid] = {**rows[person][pid],
                                 "away": format_periods([*known, *spans])}
    out_tables = {}
    for person, table in tables.items():
        columns = list(dict.fromkeys([*table.columns, *(c for r in rows[person].values()
                                                       for c in r)]))
        out_tables[person] = pd.DataFrame(list(rows[person].values()),
                                          columns=columns).fillna("")
    vids, eids = set(rows["volunteer"]), set(rows["elder"])
    rels = pd.concat([rels, pd.DataFrame(extra_relations, columns=rels.columns
                                         if len(rels.columns) else None)],
                     ignore_index=True).fillna("")
    if len(rels) and {VOLUNTEER_ID, ELDER_ID} <= set(rels.columns):
        rels = rels[rels[VOLUNTEER_ID].isin(vids) & rels[ELDER_ID].isin(eids)]
        rels = rels.drop_duplicates().reset_index(drop=True)
    departed = {(person, pid): row for person, rows_out in gone.items()
                for pid, row in rows_out.items()}
    return Roster(day, out_tables["volunteer"], out_tables["elder"], rels, away, left,
                  joined, departed)

