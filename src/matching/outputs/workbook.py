"""The hand-out workbook of a run: one Excel file a coordinator can print or pass on.

Sheets, named in the reader's language: the pairs (each elder with their volunteer and
backup, with names, addresses and phones), the whole schedule, one sheet per week of who
visits whom, what went unmet and who is unpaired, each with its reason. Numbers are
numbers and dates are dates; text from the data stays text (a name ``=HYPERLINK(...)`` is
shown, never run)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from matching.catalogue import say
from matching.outputs.folder import Run
from matching.outputs.tables import Names, cell, header, reason_text, tier_name

#: xlsxwriter's options for cells from the data: text stays text, never a formula or a link.
SAFE_XLSX = {"strings_to_formulas": False, "strings_to_urls": False}

#: Column widths (characters) by kind of column, so that a printed sheet is readable.
WIDTHS = {"name": 16, "phone": 14, "address": 26, "reason": 60, "date": 12, "text": 12}

#: Activities at an elder's home, listed in the week sheets.
HOME_ACTIVITIES = ("visit", "service", "birthday")


def _people(run: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Volunteers and elders by id, with name, phone and (elders) address, as text."""
    def table(frame: pd.DataFrame | None, key: str, columns: tuple[str, ...]) -> pd.DataFrame:
        if frame is None or frame.empty:
            return pd.DataFrame(columns=list(columns)).rename_axis(key)
        out = frame.astype(str).set_index(key)
        for column in columns:
            if column not in out:
                out[column] = ""
        return out[list(columns)].replace("nan", "")

    volunteers = pd.concat([table(run.world.volunteers, "volunteer_id", ("name", "phone")),
                            table(run.leaving, "volunteer_id", ("name", "phone"))])
    volunteers = volunteers[~volunteers.index.duplicated()]
    elders = table(run.world.elders, "elder_id", ("name", "phone", "address", "community"))
    return volunteers, elders


def _lookup(keys: pd.Series | list, table: pd.Series,
            fallback: pd.Series | None = None) -> list[str]:
    """``table[key]`` for each key as text; where the table has none, the fallback's cell
    (or blank)."""
    found = table.to_dict()
    others = list(fallback) if fallback is not None else [""] * len(keys)
    return [str(found.get(k, "") or other or "") for k, other in zip(keys, others, strict=True)]


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _pairs(run: Run, lang: str, volunteers: pd.DataFrame, elders: pd.DataFrame
           ) -> pd.DataFrame:
    a = run.assignments.astype(str)
    backups = (run.backups.astype(str).set_index("elder_id")["backup_id"]
               if run.backups is not None and len(run.backups) else pd.Series(dtype=str))
    backup = _lookup(a["elder_id"], backups)
    out = pd.DataFrame({
        say("column.elder_name", lang): _lookup(a["elder_id"], elders["name"]),
        say("column.elder_id", lang): a["elder_id"],
        say("column.priority", lang): [tier_name(p, run.world.rules, lang)
                                       for p in a.get("priority", "")],
        say("column.phone", lang): _lookup(a["elder_id"], elders["phone"]),
        say("column.address", lang): _lookup(a["elder_id"], elders["address"]),
        say("column.community", lang): _lookup(a["elder_id"], elders["community"]),
        say("column.volunteer_name", lang): _lookup(a["volunteer_id"], volunteers["name"]),
        say("column.volunteer_id", lang): a["volunteer_id"],
        say("column.volunteer_phone", lang): _lookup(a["volunteer_id"], volunteers["phone"]),
        say("column.distance_km", lang): _number(a["distance_km"]).round(1),
        say("column.weekly_minutes", lang): _number(a["weekly_minutes"]).round(0),
        say("column.tie", lang): [cell(t, "tie.", lang, Names()) for t in a["tie"]],
        say("column.backup", lang): _lookup(backup, volunteers["name"]),
        say("column.backup_phone", lang): _lookup(backup, volunteers["phone"]),
    })
    return out


def _schedule(run: Run, lang: str, volunteers: pd.DataFrame, elders: pd.DataFrame,
              rows: pd.DataFrame | None = None) -> pd.DataFrame:
    s = (run.schedule if rows is None else rows).astype(str)
    dates = pd.to_datetime(s["date"], errors="coerce")
    weekdays = [say(f"day.{d:%a}", lang) if not pd.isna(d) else "" for d in dates]
    return pd.DataFrame({
        say("column.date", lang): dates.dt.date,
        say("column.day", lang): weekdays,
        say("column.start", lang): s["start"],
        say("column.end", lang): s["end"],
        say("column.activity", lang): [cell(x, "activity.", lang, Names()) for x in
                                       s["activity"]],
        say("column.volunteer_name", lang): _lookup(s["volunteer_id"], volunteers["name"],
                                                    s.get("volunteer_name")),
        say("column.volunteer_phone", lang): _lookup(s["volunteer_id"], volunteers["phone"]),
        say("column.elder_name", lang): _lookup(s["elder_id"], elders["name"],
                                                s.get("elder_name")),
        # an event has no elder: its place is the community's
        say("column.address", lang): _lookup(s["elder_id"], elders["address"],
                                             s.get("community")),
        say("column.phone", lang): _lookup(s["elder_id"], elders["phone"]),
        say("column.service", lang): [cell(x, "service.", lang, Names()) if x else t
                                      for x, t in zip(s["service"], s.get("title", ""),
                                                      strict=False)],
        say("column.minutes", lang): _number(s["minutes"]),
    })


def _reasons(frame: pd.DataFrame | None, lang: str, names: Names,
             columns: tuple[str, ...]) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[header(c, lang) for c in columns])
    f = frame.astype(str)
    out = pd.DataFrame()
    for column in columns:
        if column == "reason" and "reason_code" in f:
            out[header(column, lang)] = [
                reason_text(c, p, lang, names) for c, p in
                zip(f["reason_code"], f.get("reason_params", [""] * len(f)), strict=False)]
        elif column in f:
            kind = {"elder_id": "elder", "activity": "activity.", "when": "when"}.get(
                column, "text")
            out[header(column, lang)] = [cell(v, kind, lang, names) for v in f[column]]
    return out


def sheets(run: Run, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The workbook's sheets, by their names in ``lang``, in order."""
    volunteers, elders = _people(run)
    names = Names(volunteer=volunteers["name"].to_dict(), elder=elders["name"].to_dict())
    out = {say("workbook.pairs", lang): _pairs(run, lang, volunteers, elders)}
    if run.schedule is not None and len(run.schedule):
        out[say("workbook.schedule", lang)] = _schedule(run, lang, volunteers, elders)
        s = run.schedule.astype(str)
        dates = pd.to_datetime(s["date"], errors="coerce")
        mondays = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date
        home = s["activity"].isin(HOME_ACTIVITIES)
        for number, monday in enumerate(sorted(set(mondays[home])), start=1):
            week = s[home & (mondays == monday)].sort_values(["volunteer_id", "date", "start"])
            out[say("workbook.week", lang, n=number, monday=f"{monday:%m-%d}")] = _schedule(
                run, lang, volunteers, elders, week)
    out[say("workbook.unmet", lang)] = _reasons(run.unmet, lang, names,
                                                ("elder_id", "when", "activity", "reason"))
    out[say("workbook.unassigned", lang)] = _reasons(run.unassigned, lang, names,
                                                     ("elder_id", "reason"))
    return out


def workbook_bytes(run: Run, lang: str = "zh",
                   more: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The hand-out workbook of ``run`` as ``.xlsx`` bytes (see the module's text), with
    ``more`` sheets first (a re-plan's list of whom to tell)."""
    return xlsx({**(more or {}), **sheets(run, lang)})


def xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """Sheets as an ``.xlsx`` file: a frozen header row repeated on every printed page, A4
    landscape one page wide, columns wide enough to read."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": SAFE_XLSX},
                        date_format="yyyy-mm-dd") as book:
        for name, table in tables.items():
            table.to_excel(book, sheet_name=name[:31], index=False)
            sheet = book.sheets[name[:31]]
            sheet.freeze_panes(1, 0)
            sheet.set_landscape()
            sheet.set_paper(9)  # A4
            sheet.fit_to_pages(1, 0)
            sheet.repeat_rows(0)
            for k, column in enumerate(table.columns):
                sheet.set_column(k, k, _width(str(column), table[column]))
    return buffer.getvalue()


def _width(column: str, values: pd.Series) -> int:
    if len(values) and isinstance(values.iloc[0], dt.date):
        return WIDTHS["date"]
    longest = values.astype(str).str.len().quantile(0.9) if len(values) else 0
    return int(min(max(len(column) * 2, longest * 1.6, 8), WIDTHS["reason"]))
