"""Tables as people read them: headers in their language, people by name beside their id,
reasons worded from their codes, codes of the catalogue as words, and figures rounded alike
(one decimal for kilometres and hours, whole minutes). The console's pages, the report and
the hand-out workbook all show their tables through here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matching.catalogue import Reason, known, say, word
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: Columns that are for programs, never shown: a reason's (or a note's) code and figures.
FOR_PROGRAMS = ("reason_code", "reason_params", "cause_code", "note_code", "note_params")

#: Text columns worded again from a code and figures beside them.
REWORDED = {"reason": ("reason_code", "reason_params"), "note": ("note_code", "note_params")}

#: How each column people may read is shown: the code of its header, and the kind of value.
#: Kinds: a person (``elder``, ``volunteer``, ``member``: the name beside the id), ``km``,
#: ``minutes``, ``hours``, ``share`` (a fraction shown as a percentage), ``yes`` (a flag),
#: ``when`` (a week, month or quarter), a prefix of the catalogue (``activity.``: the value
#: is worded as a code under it), or ``text``.
COLUMNS: dict[str, tuple[str, str]] = {
    ELDER_ID: ("column.elder", "elder"),
    VOLUNTEER_ID: ("column.volunteer", "volunteer"),
    "old_volunteer_id": ("column.old_volunteer", "volunteer"),
    "new_volunteer_id": ("column.new_volunteer", "volunteer"),
    "elder_now": ("column.elder_now", "volunteer"),
    "volunteer_gives_up": ("column.volunteer_gives_up", "elder"),
    "done_by": ("column.done_by", "volunteer"),
    "backup": ("column.backup", "volunteer"),
    "member_id": ("column.member", "member"),
    "distance_km": ("column.distance_km", "km"),
    "cost_km": ("column.cost_km", "km"),
    "worse_by_km": ("column.worse_by_km", "km"),
    "elder_gain_km": ("column.elder_gain_km", "km"),
    "volunteer_gain_km": ("column.volunteer_gain_km", "km"),
    "weekly_minutes": ("column.weekly_minutes", "minutes"),
    "minutes": ("column.minutes", "minutes"),
    "kin": ("column.kin", "yes"),
    "familiar": ("column.familiar", "yes"),
    "fits": ("column.fits", "yes"),
    "tie": ("column.tie", "tie."),
    "activity": ("column.activity", "activity."),
    "status": ("column.status", "mark."),
    "service": ("column.service", "service."),
    "when": ("column.when", "when"),
    "reason": ("column.reason", "text"),
    "note": ("column.note", "text"),
    "priority": ("column.priority", "text"),
    "community": ("column.community", "text"),
    "date": ("column.date", "text"),
    "start": ("column.start", "text"),
    "end": ("column.end", "text"),
    "phone": ("column.phone", "text"),
    "address": ("column.address", "text"),
    "age": ("column.age", "text"),
    "rating": ("column.rating", "text"),
    "comment": ("column.comment", "text"),
    "elders": ("column.elders", "text"),
    "assigned": ("column.assigned", "text"),
    "unassigned": ("column.unassigned", "text"),
    "coverage": ("column.coverage", "share"),
    "earned_hours": ("column.earned_hours", "hours"),
    "spent_hours": ("column.spent_hours", "hours"),
    "transferred_hours": ("column.transferred_hours", "hours"),
    "donated_hours": ("column.donated_hours", "hours"),
    "balance_hours": ("column.balance_hours", "hours"),
    "hours": ("column.hours", "hours"),
}

#: The figures of a reason that name people, by kind: worded with their names.
PEOPLE_PARAMS = {"volunteer": "volunteer", "candidates": "volunteer", "elder": "elder"}

#: Name columns that a table's id columns already show.
NAME_COLUMNS = ("elder_name", "volunteer_name", "member_name", "name")

_WEEK = re.compile(r"^week of (\d{4}-\d{2}-\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Names:
    """Who is who: each id's name, by kind (``volunteer``, ``elder``, ``member``)."""

    volunteer: Mapping[str, str] = field(default_factory=dict)
    elder: Mapping[str, str] = field(default_factory=dict)
    member: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, *tables: tuple[str, pd.DataFrame | None]) -> Names:
        """Names from tables of people: ``("volunteer", volunteers)``, ``("elder",
        elders)``... (each with an id column ``KIND_id`` and a ``name`` column)."""
        found: dict[str, dict[str, str]] = {"volunteer": {}, "elder": {}, "member": {}}
        for kind, table in tables:
            if table is None or "name" not in table.columns or f"{kind}_id" not in table:
                continue
            for key, name in zip(table[f"{kind}_id"].astype(str), table["name"].astype(str),
                                 strict=True):
                if name and name != "nan":
                    found[kind].setdefault(key, name)
        return cls(**found)

    @classmethod
    def of_run(cls, run: Any) -> Names:
        """Who is who in a run (a :class:`matching.outputs.folder.Run`): its volunteers and
        elders, and those who have left it, by their rows or by the names the pairing it
        re-planned gave them."""
        tables: list[tuple[str, pd.DataFrame | None]] = [
            ("volunteer", run.world.volunteers.frame()), ("elder", run.world.elders.frame()),
            ("volunteer", run.leaving)]
        base = run.baseline
        for kind in ("volunteer", "elder"):
            if base is not None and f"{kind}_name" in base.columns:
                tables.append((kind, base[[f"{kind}_id", f"{kind}_name"]].rename(
                    columns={f"{kind}_name": "name"})))
        return cls.of(*tables)

    def show(self, kind: str, key: object) -> str:
        """A person as people know them: ``唐云 (E00001)``; the id alone if nameless."""
        key = "" if key is None or (isinstance(key, float) and pd.isna(key)) else str(key)
        name = getattr(self, kind).get(key, "")
        return f"{name} ({key})" if name and key else key


def named(params: Any, names: Names, kind: str | None = None) -> Any:
    """A reason's figures with every person in them shown by name (``V00031`` ->
    ``陈红文 (V00031)``), however deep in its parts."""
    if isinstance(params, dict):
        return {k: named(v, names, PEOPLE_PARAMS.get(k)) for k, v in params.items()}
    if isinstance(params, list):
        return [named(v, names, kind) for v in params]
    if kind is not None and isinstance(params, str):
        return names.show(kind, params)
    return params


def reason_text(code: object, params: object, lang: str, names: Names) -> str:
    """A file's reason worded again from its code and figures, people by name."""
    reason = Reason.of(str(code), params if isinstance(params, str) else None)
    return Reason(reason.code, named(dict(reason.params), names)).text(lang)


def when(value: object, lang: str) -> str:
    """A week, month or quarter as written in a file (``week of 2026-03-30``, ``2026-04``,
    ``2026-Q2``) in ``lang``; a date as it is."""
    text = str(value)
    if found := _WEEK.match(text):
        return say("when.week", lang, monday=found.group(1))
    if found := _QUARTER.match(text):
        return say("when.quarter", lang, year=found.group(1), quarter=int(found.group(2)))
    if found := _MONTH.match(text):
        return say("when.month", lang, year=found.group(1), month=int(found.group(2)))
    return text


def _number(value: Any, digits: int) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if pd.isna(number):
        return ""
    return f"{number:.{digits}f}" if digits else f"{round(number):d}"


def cell(value: object, kind: str, lang: str, names: Names) -> str:
    """One value as people read it."""
    if kind in ("elder", "volunteer", "member"):
        return names.show(kind, value)
    if kind in ("km", "hours"):
        return _number(value, 1)
    if kind == "minutes":
        return _number(value, 0)
    if kind == "share":
        number = _number(value, 3)
        return f"{float(number):.1%}" if number else ""
    if kind == "yes":
        return say("yes", lang) if str(value).lower() in ("true", "1", "yes") else ""
    if kind == "when":
        return when(value, lang)
    if kind.endswith("."):
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) \
            else str(value)
        return word(kind + text, lang) if text else ""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def header(column: str, lang: str) -> str:
    """A column's header in ``lang`` (its own name where the catalogue has none)."""
    code = COLUMNS.get(column, (f"column.{column}", ""))[0]
    return say(code, lang) if known(code) else column


def for_people(frame: pd.DataFrame, lang: str, names: Names | None = None,
               columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``frame`` as people read it, every cell text: the reason worded in ``lang``, people
    by name beside their id (their name columns then left out), codes as words, figures
    rounded, headers in ``lang``; the columns for programs left out. ``columns`` picks and
    orders the columns (default: all but those)."""
    names = names or Names()
    table = frame
    for column, (codes, figures) in REWORDED.items():
        if codes in frame.columns and column in frame.columns:
            table = table.copy()
            params = frame[figures] if figures in frame.columns else [""] * len(frame)
            table[column] = [reason_text(code, p, lang, names) if known(str(code)) else text
                             for code, p, text in zip(frame[codes], params, frame[column],
                                                      strict=True)]
    merged = bool(names.volunteer or names.elder or names.member)
    chosen = [c for c in (columns or table.columns) if c in table.columns
              and c not in FOR_PROGRAMS and not (merged and c in NAME_COLUMNS)]
    shown = pd.DataFrame(index=table.index)
    for column in chosen:
        kind = COLUMNS.get(column, ("", "text"))[1]
        shown[header(column, lang)] = [cell(v, kind, lang, names) for v in table[column]]
    return shown.reset_index(drop=True)


def rows(frame: pd.DataFrame | None, lang: str, names: Names | None = None,
         columns: Iterable[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """:func:`for_people` as a page's table: its headers, and its rows of cells."""
    if frame is None or frame.empty:
        return [], []
    shown = for_people(frame, lang, names, columns)
    return list(shown.columns), shown.to_numpy().tolist()


def tier_name(priority: Any, rules: object, lang: str) -> str:
    """A priority tier as the rules define it: ``3`` is "aged 90 or more" under the default
    rules; a priority an office gave by hand is named by its number."""
    try:
        number = int(float(priority))
    except (TypeError, ValueError):
        return str(priority)
    high = getattr(rules, "priority_age_high", None)
    mid = getattr(rules, "priority_age_mid", None)
    if number == 3 and high is not None:
        return say("tier.high", lang, age=f"{float(high):g}")
    if number == 2 and mid is not None:
        return say("tier.mid", lang, age=f"{float(mid):g}")
    if number == 1:
        return say("tier.low", lang)
    return say("tier.other", lang, n=number)
