"""What volunteers and their coordinator carry: one iCalendar file per volunteer, each
volunteer's printable rota, and the coordinator's weekly overview.

A volunteer's page holds only their own activities and their own elders, with each elder's
address and phone where the inputs have them, the services named in the reader's language
(``理发``, not ``haircut``), and the coordinator's contact. It is cut into blocks of four
weeks, each sized to one A4 sheet (portrait). The coordinator's overview has one table per
week (A4 landscape): each volunteer with their phone, the elders they go to with address and
phone, and the day and time.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Iterator

import numpy as np
import pandas as pd

from matching.catalogue import LIST_SEPARATOR, say, word
from matching.outputs.printing import PRINT_STYLE, print_button
from matching.runtime.extras import optional_module
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: Weeks on one volunteer's printed page.
BLOCK_WEEKS = 4

#: Every activity of a schedule row.
ACTIVITY_CODES = ("call", "visit", "service", "group", "festival", "birthday")

#: Activities at an elder's home: the coordinator's overview lists these.
HOME_ACTIVITIES = ("visit", "service", "birthday")

_ROLE_ORDER = {"primary": 0, "backup": 1, "other": 2}

_FONTS = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"

#: A volunteer's page: large enough to read, four weeks on one A4 sheet.
_VOLUNTEER_STYLE = (
    f"@page{{size:A4 portrait;margin:11mm}}body{{font-family:{_FONTS};font-size:10.5pt;"
    "color:#111;margin:1.2em auto;max-width:188mm;line-height:1.35}"
    "table{border-collapse:collapse;width:100%;margin:.3em 0 .7em}"
    "td,th{border:1px solid #666;padding:2px 5px;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}th{background:#eee}"
    ".page{break-after:page;page-break-after:always}.page:last-of-type{break-after:auto}"
    "h1{font-size:15pt;margin:0 0 .1em}h2{font-size:11.5pt;margin:.5em 0 .1em}"
    ".facts{margin:.1em 0}.contact{font-weight:bold}.phone,.nowrap{white-space:nowrap}"
    "@media print{body{margin:0}}" + PRINT_STYLE)

#: The coordinator's overview: a week a table, A4 landscape.
_OVERVIEW_STYLE = (
    f"@page{{size:A4 landscape;margin:8mm}}body{{font-family:{_FONTS};font-size:8pt;"
    "color:#111;margin:1em auto;max-width:281mm;line-height:1.2}"
    "table{border-collapse:collapse;width:100%;margin:.3em 0}"
    "thead{display:table-header-group}tr{break-inside:avoid}"
    "td,th{border:1px solid #777;padding:0 3px;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}th{background:#e8ecef}"
    "td.v{font-weight:bold;background:#f6f7f8}"
    ".week{break-before:page;page-break-before:always}.week:first-of-type{break-before:auto}"
    "h1{font-size:14pt;margin:0}h2{font-size:12pt;margin:.2em 0}"
    ".phone,.nowrap{white-space:nowrap}.note{color:#444}"
    "nav.weeks{margin:.3em 0 .8em;line-height:1.9}nav.weeks a{margin-right:.6em}"
    "h2 button.print{font-size:9pt;padding:.1em .8em;margin:0 0 0 1em;vertical-align:middle}"
    # a chosen week (the address ends #week-3) prints alone
    "@media print{body{margin:0}body:has(.week:target) .week:not(:target){display:none}"
    "body:has(.week:target) .week:target{break-before:auto}}" + PRINT_STYLE)


def service_name(tag: str, lang: str = "zh") -> str:
    """A service tag in the reader's language (the tag itself when it is not known)."""
    return word(f"service.{str(tag).strip().lower()}", lang)


@functools.lru_cache(maxsize=4096)
def _weekday(date: str, lang: str) -> str:
    return say(f"day.{dt.date.fromisoformat(date):%a}", lang)


def _contact_book(contacts: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    if contacts is None or contacts.empty:
        return {}
    return {str(r[ELDER_ID]): {k: str(r.get(k, "") or "") for k in (
        "name", "address", "phone", "primary_id", "backup_id")}
            for r in contacts.to_dict("records")}


def _phone_book(volunteers: pd.DataFrame | None) -> dict[str, str]:
    if volunteers is None or volunteers.empty or "phone" not in volunteers:
        return {}
    return dict(zip(volunteers[VOLUNTEER_ID].astype(str),
                    volunteers["phone"].fillna("").astype(str), strict=True))


def _call_runs(calls: list[dict[str, object]]) -> list[tuple[dict[str, object], int]]:
    """Daily calls to the same elder at the same time on consecutive days, as
    ``(first row, number of days)``: one repeating calendar event each."""
    runs = []
    calls = sorted(calls, key=lambda r: (r[ELDER_ID], r["start"], r["date"]))
    first = 0
    for i in range(1, len(calls) + 1):
        if i < len(calls):
            a, b = calls[i - 1], calls[i]
            if (a[ELDER_ID], a["start"]) == (b[ELDER_ID], b["start"]) and \
                    (dt.date.fromisoformat(str(b["date"]))
                     - dt.date.fromisoformat(str(a["date"]))).days == 1:
                continue
        runs.append((calls[first], i - first))
        first = i
    return runs


#: A content line is folded before it passes this many octets (RFC 5545, 3.1).
ICAL_LINE_OCTETS = 75
_ICAL_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n",
                               "\r": ""})


def _ical_line(name: str, value: str) -> str:
    """One content line, folded at :data:`ICAL_LINE_OCTETS` octets between characters."""
    line = f"{name}:{value}"
    if len(line.encode()) <= ICAL_LINE_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, ICAL_LINE_OCTETS
    for ch in line:
        width = len(ch.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, ICAL_LINE_OCTETS - 1  # the fold's space counts
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _ical_text(value: str) -> str:
    return value.translate(_ICAL_ESCAPES)


def _ical_time(day: str, clock: str) -> str:
    """``2026-03-30`` and ``08:30`` as a floating local time, ``20260330T083000``."""
    return f"{day[:4]}{day[5:7]}{day[8:10]}T{clock[:2]}{clock[3:5]}00"


def icalendars(schedule: pd.DataFrame, lang: str = "zh",
               contacts: pd.DataFrame | None = None) -> dict[str, bytes]:
    """One ``.ics`` per volunteer with only that volunteer's activities.

    The daily calls to one elder at one time are a single event repeating every day (a
    phone shows them as such); every other activity is an event of its own. An activity at
    an elder's home is located at their address and carries their phone. Event identifiers
    are derived from the row, so the same plan gives the same files. The text is written
    here, line by line (RFC 5545: escaped, folded at 75 octets, CRLF), which a county's
    year of 2,000 calendars needs: a library's event objects took most of a minute.
    """
    book = _contact_book(contacts)
    names = {code: word(f"activity.{code}", lang) for code in ACTIVITY_CODES}
    phone_label = say("column.phone", lang)
    calendar_name = say("rota.calendar", lang)
    out: dict[str, bytes] = {}
    for vid, columns in _volunteer_rows(schedule):
        lines = [_ical_line("BEGIN", "VCALENDAR"), _ical_line("VERSION", "2.0"),
                 _ical_line("PRODID", "-//matching//elder mutual-aid rota//EN"),
                 _ical_line("X-WR-CALNAME", _ical_text(f"{calendar_name} {vid}"))]
        rows = [dict(zip(columns, values, strict=True))
                for values in zip(*columns.values(), strict=True)]
        items = [(r, 1) for r in rows if r["activity"] != "call"] + \
            _call_runs([r for r in rows if r["activity"] == "call"])
        for r, days in items:
            lines += _event_lines(r, days, vid, lang, book, names, phone_label)
        lines.append(_ical_line("END", "VCALENDAR"))
        out[f"{vid}.ics"] = "".join(lines).encode()
    return out


def _event_lines(r: dict[str, object], days: int, vid: str, lang: str,
                 book: dict[str, dict[str, str]], names: dict[str, str],
                 phone_label: str) -> list[str]:
    date, activity = str(r["date"]), str(r["activity"])
    what = names.get(activity) or word(f"activity.{activity}", lang)
    who = f" {r['elder_name'] or r[ELDER_ID]}" if r[ELDER_ID] else ""
    extra = f" ({service_name(str(r['service']), lang)})" if r["service"] else \
        f" {r['title']}" if r["title"] else ""
    lines = [_ical_line("BEGIN", "VEVENT"),
             _ical_line("SUMMARY", _ical_text(f"{what}{who}{extra}")),
             _ical_line("DTSTART", _ical_time(date, str(r["start"]))),
             _ical_line("DTEND", _ical_time(date, str(r["end"]))),
             _ical_line("DTSTAMP", _ical_time(date, "00:00") + "Z"),
             _ical_line("UID", _ical_text(f"{date}-{r['start']}-{activity}-{vid}-"
                                          f"{r[ELDER_ID]}@matching"))]
    if days > 1:
        lines.append(_ical_line("RRULE", f"FREQ=DAILY;COUNT={days}"))
    person = book.get(str(r[ELDER_ID]), {}) if r[ELDER_ID] else {}
    if person.get("address"):
        lines.append(_ical_line("LOCATION", _ical_text(person["address"])))
    elif r["community"]:
        lines.append(_ical_line("LOCATION", _ical_text(str(r["community"]))))
    if person.get("phone"):
        lines.append(_ical_line("DESCRIPTION", _ical_text(f"{phone_label}: {person['phone']}")))
    lines.append(_ical_line("END", "VEVENT"))
    return lines


def _role(person: dict[str, str], volunteer: str) -> str:
    """``primary``, ``backup`` or ``other``: what the volunteer is to the elder."""
    if person.get("primary_id") == volunteer:
        return "primary"
    if person.get("backup_id") == volunteer:
        return "backup"
    return "other"


def rota_documents(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str = "zh",
                   contacts: pd.DataFrame | None = None,
                   volunteers: pd.DataFrame | None = None, contact: str = ""
                   ) -> tuple[str, dict[str, str]]:
    """The coordinator's weekly overview, and each volunteer's own rota (by id), from one
    pass over the schedule.

    Parameters
    ----------
    schedule, credits
        The schedule's rows (``schedule.csv`` with names) and the planned hours.
    contacts
        The elders' ``elder_id, name, address, phone, primary_id, backup_id``.
    volunteers
        The volunteers' ``volunteer_id, phone`` (for the overview).
    contact
        The coordinator's name and phone, printed on every volunteer's page.
    """
    book = _contact_book(contacts)
    phones = _phone_book(volunteers)
    first_monday = _first_monday(schedule)
    pages = {vid: _volunteer_document(vid, rows, lang, book, contact, first_monday)
             for vid, rows in _volunteer_rows(schedule)}
    return _overview(schedule, lang, book, phones, first_monday), pages


def _first_monday(schedule: pd.DataFrame) -> dt.date | None:
    if schedule.empty:
        return None
    first = dt.date.fromisoformat(str(schedule["date"].min()))
    return first - dt.timedelta(days=first.weekday())


def _volunteer_rows(schedule: pd.DataFrame) -> Iterator[tuple[str, dict[str, list]]]:
    """Each volunteer's rows (by id, in the schedule's order) as lists per column: a city's
    quarter has tens of thousands of volunteers, too many for a pandas group each."""
    ids = schedule[VOLUNTEER_ID].astype(str).to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    columns = {c: schedule[c].to_numpy(dtype=object)[order].tolist()
               for c in schedule.columns}
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) \
        if len(ids) else np.empty(0, dtype=np.int64)
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(ids)], strict=True):
        yield str(sorted_ids[a]), {c: values[a:b] for c, values in columns.items()}


def _volunteer_document(vid: str, rows: dict[str, list], lang: str,
                        book: dict[str, dict[str, str]], contact: str,
                        first_monday: dt.date | None) -> str:
    """One volunteer's rota: a page for each block of :data:`BLOCK_WEEKS` weeks."""
    esc = html.escape
    name = str(rows["volunteer_name"][0] or vid)
    mine = dict.fromkeys(str(e) for e in rows[ELDER_ID] if e != "")
    people = []
    for e in sorted(mine, key=lambda e: (_ROLE_ORDER[_role(book.get(e, {}), vid)], e)):
        person = book.get(e, {})
        people.append(f"<tr><td>{esc(person.get('name') or e)}</td>"
                      f"<td>{esc(say('rota.' + _role(person, vid), lang))}</td>"
                      f"<td>{esc(person.get('address', ''))}</td>"
                      f"<td class=\"phone\">{esc(person.get('phone', ''))}</td></tr>")
    elders_table = (f"<h2>{esc(say('rota.my_elders', lang))}</h2><table><tr>"
                    f"<th>{esc(say('column.name', lang))}</th>"
                    f"<th>{esc(say('rota.role', lang))}</th>"
                    f"<th>{esc(say('column.address', lang))}</th>"
                    f"<th>{esc(say('column.phone', lang))}</th></tr>{''.join(people)}</table>"
                    if people else "")
    blocks: dict[int, list[int]] = {}
    for k, date in enumerate(rows["date"]):
        day = dt.date.fromisoformat(str(date))
        number = (day - first_monday).days // (7 * BLOCK_WEEKS) if first_monday else 0
        blocks.setdefault(number, []).append(k)
    sections = []
    for number, ks in sorted(blocks.items()):
        first = (first_monday or dt.date.fromisoformat(str(rows["date"][ks[0]]))) + \
            dt.timedelta(weeks=BLOCK_WEEKS * number)
        last = first + dt.timedelta(weeks=BLOCK_WEEKS, days=-1)
        minutes = sum(float(rows["minutes"][k] or 0) for k in ks)
        calls = _calls_table([k for k in ks if rows["activity"][k] == "call"], rows, lang)

        lines = []
        for k in ks:
            if rows["activity"][k] == "call":
                continue
            elder_id = str(rows[ELDER_ID][k] or "")
            person = book.get(elder_id, {}) if elder_id else {}
            who = esc(str(rows["elder_name"][k] or elder_id)) if elder_id else ""
            where = esc(person.get("address") or str(rows["community"][k] or ""))
            service = rows["service"][k]
            extra = esc(service_name(str(service), lang) if service else
                        str(rows["title"][k] or ""))
            date = str(rows["date"][k])
            lines.append(f'<tr><td class="nowrap">{date[5:]} {_weekday(date, lang)}</td>'
                         f'<td class="nowrap">{rows["start"][k]}-{rows["end"][k]}</td>'
                         f"<td>{esc(word('activity.' + str(rows['activity'][k]), lang))}</td>"
                         f"<td>{who}</td><td>{where}</td><td>{extra}</td></tr>")
        activities = (f"<table><tr><th>{esc(say('column.date', lang))}</th>"
                      f"<th>{esc(say('column.time', lang))}</th>"
                      f"<th>{esc(say('column.activity', lang))}</th>"
                      f"<th>{esc(say('column.elder', lang))}</th>"
                      f"<th>{esc(say('rota.where', lang))}</th>"
                      f"<th>{esc(say('rota.what', lang))}</th></tr>{''.join(lines)}</table>"
                      if lines else "")
        contact_line = (f'<p class="facts contact">'
                        f'{esc(say("rota.contact", lang, contact=contact))}</p>'
                        if contact else "")
        block = say("rota.block", lang, first=first.isoformat(), last=last.isoformat())
        planned = say("rota.hours", lang, hours=f"{minutes / 60:.1f}")
        sections.append(
            f'<section class="page">{LINK_SLOT}<h1>{esc(say("rota.title", lang))}：{esc(name)} '
            f"({esc(vid)})</h1>"
            f'<p class="facts">{esc(block)} · {esc(planned)}</p>'
            f"{contact_line}{elders_table}{calls}{activities}</section>")
    return _document(say("rota.title", lang) + f" {name}", sections, lang, _VOLUNTEER_STYLE)


def _calls_table(ks: list[int], rows: dict[str, list], lang: str) -> str:
    """A block's calls as they happen: for each run of days with the same calls, the days
    and each call's time and elder (who is called changes in the weeks a backup visits)."""
    if not ks:
        return ""
    esc = html.escape
    by_day: dict[str, list[tuple[str, str]]] = {}
    for k in ks:
        by_day.setdefault(str(rows["date"][k]), []).append(
            (str(rows["start"][k]), str(rows["elder_name"][k] or rows[ELDER_ID][k])))
    runs: list[tuple[str, str, tuple]] = []
    for day in sorted(by_day):
        calls = tuple(sorted(by_day[day]))
        if runs and runs[-1][2] == calls and (dt.date.fromisoformat(day) - dt.date.fromisoformat(
                runs[-1][1])).days == 1:
            runs[-1] = (runs[-1][0], day, calls)
        else:
            runs.append((day, day, calls))
    lines = []
    for first, last, calls in runs:
        days = (f"{first[5:]} {_weekday(first, lang)}" if first == last else
                say("rota.days", lang, first=f"{first[5:]} {_weekday(first, lang)}",
                    last=f"{last[5:]} {_weekday(last, lang)}"))
        said = LIST_SEPARATOR[lang].join(f"{start} {who}" for start, who in calls)
        lines.append(f'<tr><td class="nowrap">{esc(days)}</td><td>{esc(said)}</td></tr>')
    return (f"<table class=\"calls\"><tr><th>{esc(say('column.date', lang))}</th>"
            f"<th>{esc(say('rota.calls_title', lang))}</th></tr>{''.join(lines)}</table>")


def _overview(schedule: pd.DataFrame, lang: str, book: dict[str, dict[str, str]],
              phones: dict[str, str], first_monday: dt.date | None) -> str:
    """The coordinator's overview: for each week, each volunteer's home activities; a list
    of the weeks at the top, and a button on each week that prints that week alone.

    Built from the schedule's columns sorted once (a county's year has 40,000 such rows in
    52 weeks: a pandas group per week and volunteer took most of a minute)."""
    esc = html.escape
    if first_monday is None:
        return _document(say("rota.overview", lang), [], lang, _OVERVIEW_STYLE)
    home = schedule["activity"].isin(HOME_ACTIVITIES).to_numpy()
    col = {c: schedule[c].to_numpy(dtype=object)[home].astype(str) for c in (
        "date", "start", "activity", VOLUNTEER_ID, "volunteer_name", ELDER_ID,
        "elder_name", "service")}
    days = (col["date"].astype("datetime64[D]") - np.datetime64(first_monday, "D")).astype(
        np.int64)
    weeks = days // 7
    order = np.lexsort((col["start"], col["date"], col[VOLUNTEER_ID],
                        col["volunteer_name"], weeks))
    weekday = {d: _weekday(d, lang) for d in set(col["date"].tolist())}
    doing = {code: word(f"activity.{code}", lang) for code in HOME_ACTIVITIES}
    services = {t: service_name(t, lang) for t in set(col["service"].tolist()) if t}
    head = "".join(f"<th>{esc(say(code, lang))}</th>" for code in (
        "column.volunteer", "column.volunteer_phone", "column.elder", "column.address",
        "column.phone", "rota.when"))
    print_week = esc(say("rota.print_week", lang))
    rows_of = {c: col[c][order].tolist() for c in col}
    week_of = weeks[order].tolist()
    sections, chooser = [], []
    k, n = 0, len(week_of)
    while k < n:
        number = week_of[k]
        end = k
        while end < n and week_of[end] == number:
            end += 1
        body, volunteers = [], 0
        first_row = k
        while first_row < end:
            vid = rows_of[VOLUNTEER_ID][first_row]
            last_row = first_row
            while last_row < end and rows_of[VOLUNTEER_ID][last_row] == vid:
                last_row += 1
            volunteers += 1
            span = last_row - first_row
            who = esc(f"{rows_of['volunteer_name'][first_row] or vid}")
            phone = esc(phones.get(vid, ""))
            for i in range(first_row, last_row):
                elder = rows_of[ELDER_ID][i]
                person = book.get(elder, {})
                what = doing[rows_of["activity"][i]]
                if rows_of["service"][i]:
                    what += f"（{services[rows_of['service'][i]]}）"
                lead = (f'<td class="v" rowspan="{span}">{who}</td>'
                        f'<td class="v phone" rowspan="{span}">{phone}</td>'
                        if i == first_row else "")
                body.append(f"<tr>{lead}<td>{esc(rows_of['elder_name'][i] or elder)}</td>"
                            f"<td>{esc(person.get('address', ''))}</td>"
                            f'<td class="phone">{esc(person.get("phone", ""))}</td>'
                            f'<td class="nowrap">{weekday[rows_of["date"][i]]} '
                            f"{esc(rows_of['start'][i])} {esc(what)}</td></tr>")
            first_row = last_row
        first = first_monday + dt.timedelta(weeks=number)
        last = first + dt.timedelta(days=6)
        title = say("rota.week", lang, n=number + 1, first=first.isoformat(),
                    last=last.isoformat())
        count = say("rota.week_count", lang, volunteers=volunteers, visits=end - k)
        anchor = f"week-{number + 1}"
        short = say("rota.week_short", lang, n=number + 1, first=first.isoformat()[5:])
        chooser.append(f'<a href="#{anchor}">{esc(short)}</a>')
        sections.append(f'<section class="week" id="{anchor}"><h2>{esc(title)} '
                        f'<button class="print noprint" type="button" data-print="{anchor}">'
                        f"{print_week}</button></h2>"
                        f'<p class="note">{esc(count)}</p><table><thead><tr>{head}</tr>'
                        f"</thead><tbody>{''.join(body)}</tbody></table></section>")
        k = end
    nav = (f'<nav class="weeks noprint"><b>{esc(say("rota.choose_week", lang))}</b> '
           + " ".join(chooser) + "</nav>")
    return _document(say("rota.overview", lang), [nav, *sections, LINKS_SLOT], lang,
                     _OVERVIEW_STYLE, heading=say("rota.overview", lang))


#: Where a volunteer's page takes their personal link (the console fills it in: a rota
#: written by the command line has no link to give), and where the overview takes all.
LINK_SLOT = "<!--phone-link-->"
LINKS_SLOT = "<!--phone-links-->"

#: Size of a QR code's module (pixels) and its quiet border (modules).
QR_SCALE = 3
QR_BORDER = 2

_LINK_STYLE = ("<style>.phone-link{float:right;display:flex;gap:2mm;align-items:center;"
               "width:72mm;font-size:8pt;border:1px solid #999;padding:1.5mm;margin:0 0 2mm 3mm}"
               ".phone-link img{width:22mm;height:22mm;image-rendering:pixelated}"
               ".phone-link .url{font-family:monospace;font-size:6.5pt;overflow-wrap:anywhere}"
               ".phone-links{display:grid;grid-template-columns:repeat(4,1fr);gap:2mm;"
               "break-before:page}.phone-links .phone-link{float:none;width:auto;margin:0}"
               "</style>")


def qr_png(url: str) -> str:
    """A QR code of ``url`` as a PNG ``data:`` URI (made here: no network)."""
    segno = optional_module("segno", "the QR codes of phone links")
    return segno.make(url, error="m").png_data_uri(scale=QR_SCALE, border=QR_BORDER)


def link_block(url: str, lang: str, name: str = "") -> str:
    """A volunteer's personal link as a QR code with its address and a line of help."""
    esc = html.escape
    title = f"{esc(name)} · " if name else ""
    return (f'<div class="phone-link"><img alt="{esc(say("phone.qr", lang))}" '
            f'src="{qr_png(url)}"><div>'
            f'<b>{title}{esc(say("phone.link_title", lang))}</b><br>'
            f'{esc(say("phone.link_help", lang))}<br><span class="url">{esc(url)}</span>'
            "</div></div>")


def with_link(page: str, url: str, lang: str) -> str:
    """A volunteer's rota page with their link on each of its printed pages."""
    return page.replace("</head>", _LINK_STYLE + "</head>", 1).replace(
        LINK_SLOT, link_block(url, lang))


def with_links(overview: str, links: list[tuple[str, str]], lang: str) -> str:
    """The coordinator's overview with every volunteer's link (``(name, url)``) on pages of
    their own at the end, to cut out and hand round."""
    esc = html.escape
    grid = (f'<section class="phone-links-page"><h2>{esc(say("phone.links_title", lang))}</h2>'
            '<div class="phone-links">' + "".join(link_block(url, lang, name)
                                                  for name, url in links) + "</div></section>")
    return overview.replace("</head>", _LINK_STYLE + "</head>", 1).replace(LINKS_SLOT, grid)


def _document(title: str, sections: list[str], lang: str, style: str,
              heading: str = "") -> str:
    esc = html.escape
    top = f"<h1>{esc(heading)}</h1>" if heading else ""
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{esc(title)}</title><style>{style}</style></head>'
            f"<body>{print_button(lang)}{top}{''.join(sections)}</body></html>\n")
