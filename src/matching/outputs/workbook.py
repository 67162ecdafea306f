"""The hand-out workbook of a run: one Excel file a coordinator can print or pass on.

Sheets, named in the reader's language: the pairs (each elder with their volunteer and
backup, with names, addresses and phones), the schedule but its calls, the calls (a line for
each run of days a volunteer calls an elder at one time), one sheet per week of who
visits whom, what went unmet and who is unpaired, each with its reason. Numbers are
numbers and dates are dates; text from the data stays text (a name ``=HYPERLINK(...)`` is
shown, never run)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import xlsxwriter

from matching.catalogue import say
from matching.outputs.folder import Run
from matching.outputs.tables import Names, cell, header, reason_text, tier_name
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

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

    volunteers = pd.concat([table(run.world.volunteers.frame(), VOLUNTEER_ID, ("name", "phone")),
                            table(run.leaving, VOLUNTEER_ID, ("name", "phone"))])
    volunteers = volunteers[~volunteers.index.duplicated()]
    elders = table(run.world.elders.frame(), ELDER_ID, ("name", "phone", "address", "community"))
    return volunteers, elders


def _lookup(keys: pd.Series | list, table: pd.Series,
            fallback: pd.Series | None = None) -> list[str]:
    """``table[key]`` for each key as text; where the table has none, the fallback's cell
    (or blank)."""
    found = table.to_dict()
    keys = keys.tolist() if isinstance(keys, pd.Series) else list(keys)
    others = fallback.tolist() if fallback is not None else [""] * len(keys)
    return [str(found.get(k, "") or other or "") for k, other in zip(keys, others, strict=True)]


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _pairs(run: Run, lang: str, volunteers: pd.DataFrame, elders: pd.DataFrame
           ) -> pd.DataFrame:
    a = run.assignments.astype(str)
    backups = (run.backups.astype(str).set_index(ELDER_ID)["backup_id"]
               if run.backups is not None and len(run.backups) else pd.Series(dtype=str))
    backup = _lookup(a[ELDER_ID], backups)
    out = pd.DataFrame({
        say("column.elder_name", lang): _lookup(a[ELDER_ID], elders["name"]),
        say("column.elder_id", lang): a[ELDER_ID],
        say("column.priority", lang): [tier_name(p, run.world.rules, lang)
                                       for p in a.get("priority", "")],
        say("column.phone", lang): _lookup(a[ELDER_ID], elders["phone"]),
        say("column.address", lang): _lookup(a[ELDER_ID], elders["address"]),
        say("column.community", lang): _lookup(a[ELDER_ID], elders["community"]),
        say("column.volunteer_name", lang): _lookup(a[VOLUNTEER_ID], volunteers["name"]),
        say("column.volunteer_id", lang): a[VOLUNTEER_ID],
        say("column.volunteer_phone", lang): _lookup(a[VOLUNTEER_ID], volunteers["phone"]),
        say("column.distance_km", lang): _number(a["distance_km"]).round(1),
        say("column.weekly_minutes", lang): _number(a["weekly_minutes"]).round(0),
        say("column.tie", lang): [cell(t, "tie.", lang, Names()) for t in a["tie"]],
        say("column.backup", lang): _lookup(backup, volunteers["name"]),
        say("column.backup_phone", lang): _lookup(backup, volunteers["phone"]),
    })
    return out


def _each(values: pd.Series, words) -> list:
    """``words(value)`` for each value, worked out once per distinct value."""
    said = {v: words(v) for v in pd.unique(values)}
    return [said[v] for v in values]


def _schedule_of(run: Run) -> pd.DataFrame:
    if run.schedule is None:
        raise ValueError("the run has no schedule")
    return run.schedule


def _schedule(run: Run, lang: str, volunteers: pd.DataFrame, elders: pd.DataFrame,
              rows: pd.DataFrame | None = None) -> pd.DataFrame:
    s = (_schedule_of(run) if rows is None else rows).astype(str)
    dates = pd.to_datetime(s["date"], errors="coerce", format="%Y-%m-%d")
    weekdays = _each(s["date"], lambda d: say(f"day.{pd.Timestamp(d):%a}", lang)
                     if not pd.isna(pd.to_datetime(d, errors="coerce")) else "")
    what = s["service"].where(s["service"] != "", "\0" + s.get("title", ""))
    return pd.DataFrame({
        say("column.date", lang): dates.dt.date,
        say("column.day", lang): weekdays,
        say("column.start", lang): s["start"],
        say("column.end", lang): s["end"],
        say("column.activity", lang): _each(s["activity"],
                                            lambda x: cell(x, "activity.", lang, Names())),
        say("column.volunteer_name", lang): _lookup(s[VOLUNTEER_ID], volunteers["name"],
                                                    s.get("volunteer_name")),
        say("column.volunteer_phone", lang): _lookup(s[VOLUNTEER_ID], volunteers["phone"]),
        say("column.elder_name", lang): _lookup(s[ELDER_ID], elders["name"],
                                                s.get("elder_name")),
        # an event has no elder: its place is the community's
        say("column.address", lang): _lookup(s[ELDER_ID], elders["address"],
                                             s.get("community")),
        say("column.phone", lang): _lookup(s[ELDER_ID], elders["phone"]),
        # a service is named in the reader's words; an event by its title
        say("column.service", lang): _each(what, lambda x: x[1:] if x.startswith("\0")
                                           else cell(x, "service.", lang, Names())),
        say("column.minutes", lang): _number(s["minutes"]),
    })


def _calls(run: Run, lang: str, volunteers: pd.DataFrame, elders: pd.DataFrame
           ) -> pd.DataFrame:
    """The daily calls, one row for each run of days on which a volunteer calls an elder at
    one time: a year's 240,000 calls of a county are a few thousand lines to read."""
    s = _schedule_of(run).astype(str)
    s = s[s["activity"] == "call"].sort_values([VOLUNTEER_ID, ELDER_ID, "start", "date"])
    day = pd.to_datetime(s["date"], errors="coerce")
    same = (s[[VOLUNTEER_ID, ELDER_ID, "start"]] ==
            s[[VOLUNTEER_ID, ELDER_ID, "start"]].shift()).all(axis=1)
    run_of = (~(same & (day.diff() == pd.Timedelta(days=1)))).cumsum()
    runs = s.assign(day=day, run=run_of.to_numpy()).groupby("run", sort=False).agg(
        volunteer_id=(VOLUNTEER_ID, "first"), elder_id=(ELDER_ID, "first"),
        start=("start", "first"), first=("day", "min"), last=("day", "max"),
        days=("day", "size"), volunteer_name=("volunteer_name", "first"),
        elder_name=("elder_name", "first"))
    runs = runs.sort_values(["first", "volunteer_name", VOLUNTEER_ID, "start"],
                            kind="stable")
    return pd.DataFrame({
        say("column.volunteer_name", lang): _lookup(runs[VOLUNTEER_ID], volunteers["name"],
                                                    runs["volunteer_name"]),
        say("column.volunteer_phone", lang): _lookup(runs[VOLUNTEER_ID], volunteers["phone"]),
        say("column.elder_name", lang): _lookup(runs[ELDER_ID], elders["name"],
                                                runs["elder_name"]),
        say("column.phone", lang): _lookup(runs[ELDER_ID], elders["phone"]),
        say("column.time", lang): runs["start"].to_numpy(),
        say("column.from_date", lang): runs["first"].dt.date.to_numpy(),
        say("column.to_date", lang): runs["last"].dt.date.to_numpy(),
        say("column.days", lang): runs["days"].to_numpy(),
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
            kind = {ELDER_ID: "elder", "activity": "activity.", "when": "when"}.get(
                column, "text")
            out[header(column, lang)] = [cell(v, kind, lang, names) for v in f[column]]
    return out


def sheets(run: Run, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The workbook's sheets, by their names in ``lang``, in order."""
    volunteers, elders = _people(run)
    names = Names(volunteer=volunteers["name"].to_dict(), elder=elders["name"].to_dict())
    out = {say("workbook.pairs", lang): _pairs(run, lang, volunteers, elders)}
    if run.schedule is not None and len(run.schedule):
        s = run.schedule.astype(str)
        out[say("workbook.schedule", lang)] = _schedule(run, lang, volunteers, elders,
                                                        s[s["activity"] != "call"])
        out[say("workbook.calls", lang)] = _calls(run, lang, volunteers, elders)
        home = s[s["activity"].isin(HOME_ACTIVITIES)]
        dates = pd.to_datetime(home["date"], errors="coerce", format="%Y-%m-%d")
        mondays = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date
        home = home.assign(monday=mondays.to_numpy()).sort_values(
            ["monday", VOLUNTEER_ID, "date", "start"], kind="stable")
        for number, (monday, week) in enumerate(home.groupby("monday", sort=True), start=1):
            out[say("workbook.week", lang, n=number, monday=f"{monday:%m-%d}")] = _schedule(
                run, lang, volunteers, elders, week.drop(columns="monday"))
    out[say("workbook.unmet", lang)] = _reasons(run.unmet, lang, names,
                                                (ELDER_ID, "when", "activity", "reason"))
    out[say("workbook.unassigned", lang)] = _reasons(run.unassigned, lang, names,
                                                     (ELDER_ID, "reason"))
    return out


def workbook_bytes(run: Run, lang: str = "zh",
                   more: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The hand-out workbook of ``run`` as ``.xlsx`` bytes (see the module's text), with
    ``more`` sheets first (a re-plan's list of whom to tell)."""
    return xlsx({**(more or {}), **sheets(run, lang)})


def xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """Sheets as an ``.xlsx`` file: a frozen header row repeated on every printed page, A4
    landscape one page wide, columns wide enough to read.

    Cells are written by type, column by column (dates as dates, numbers as numbers, the
    rest as text, never a formula): pandas' own writer styles each of a county year's
    million cells on its own, which took most of the time."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**SAFE_XLSX, "in_memory": True})
    bold = book.add_format({"bold": True, "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, table in tables.items():
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, [str(c) for c in table.columns], bold)
        for k, column in enumerate(table.columns):
            _write_column(sheet, k, table[column], date)
            sheet.set_column(k, k, _width(str(column), table[column]))
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
    book.close()
    return buffer.getvalue()


def _write_column(sheet: xlsxwriter.worksheet.Worksheet, k: int, values: pd.Series,
                  date: xlsxwriter.format.Format) -> None:
    """One column's cells below its header, each as what it is."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        for row, number in enumerate(values.to_numpy(dtype=float).tolist(), start=1):
            if number == number:  # a blank for NaN
                sheet.write_number(row, k, number)
        return
    cells = values.tolist()
    if cells and isinstance(cells[0], dt.date):
        for row, day in enumerate(cells, start=1):
            if isinstance(day, dt.date):
                sheet.write_datetime(row, k, dt.datetime(day.year, day.month, day.day), date)
        return
    for row, text in enumerate(cells, start=1):
        if text is not None and text == text and text != "":
            sheet.write_string(row, k, str(text))


def _width(column: str, values: pd.Series) -> int:
    if len(values) and isinstance(values.iloc[0], dt.date):
        return WIDTHS["date"]
    longest = values.astype(str).str.len().quantile(0.9) if len(values) else 0
    return int(min(max(len(column) * 2, longest * 1.6, 8), WIDTHS["reason"]))
