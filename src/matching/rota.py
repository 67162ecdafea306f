"""What volunteers carry: one iCalendar file each, and a printable rota (HTML)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

import pandas as pd
from icalendar import Calendar, Event

LABELS = {
    "zh": {"call": "问候电话", "visit": "上门探访", "service": "专业服务", "group": "集体活动",
           "festival": "节日活动", "birthday": "生日问候", "title": "志愿者排班表",
           "date": "日期", "time": "时间", "activity": "活动", "elder": "老人",
           "service_col": "服务", "community": "社区", "calls": "每日问候电话",
           "minutes": "分钟", "hours": "计划服务时长", "weekday": "一二三四五六日",
           "weekday_prefix": "周"},
    "en": {"call": "Greeting call", "visit": "Home visit", "service": "Service",
           "group": "Group activity", "festival": "Festival activity",
           "birthday": "Birthday greeting", "title": "Volunteer rota", "date": "Date",
           "time": "Time", "activity": "Activity", "elder": "Elder", "service_col": "Service",
           "community": "Community", "calls": "Daily greeting calls", "minutes": "min",
           "hours": "Planned hours", "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                 "Sun"], "weekday_prefix": ""},
}


def _by_volunteer(schedule: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    for vid, rows in schedule.groupby("volunteer_id", sort=True):
        yield str(vid), rows


def icalendars(schedule: pd.DataFrame, lang: str = "zh") -> dict[str, bytes]:
    """One ``.ics`` per volunteer with only that volunteer's activities (calls included).

    Event identifiers are derived from the row, so the same plan gives the same files.
    """
    labels = LABELS[lang]
    out: dict[str, bytes] = {}
    for vid, rows in _by_volunteer(schedule):
        cal = Calendar()
        cal.add("prodid", "-//matching//elder mutual-aid rota//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"{labels['title']} {vid}")
        for r in rows.itertuples(index=False):
            day = dt.date.fromisoformat(r.date)
            h1, m1 = (int(x) for x in r.start.split(":"))
            h2, m2 = (int(x) for x in r.end.split(":"))
            event = Event()
            what = labels.get(r.activity, r.activity)
            who = f" {r.elder_name or r.elder_id}" if r.elder_id else ""
            extra = f" ({r.service})" if r.service else f" {r.title}" if r.title else ""
            event.add("summary", f"{what}{who}{extra}")
            event.add("dtstart", dt.datetime(day.year, day.month, day.day, h1, m1))
            event.add("dtend", dt.datetime(day.year, day.month, day.day, h2, m2))
            event.add("dtstamp", dt.datetime(day.year, day.month, day.day, 0, 0))
            event.add("uid", f"{r.date}-{r.start}-{r.activity}-{vid}-{r.elder_id}@matching")
            if r.community:
                event.add("location", r.community)
            cal.add_component(event)
        out[f"{vid}.ics"] = cal.to_ical()
    return out


def html_rota(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str = "zh") -> str:
    """A printable rota: one page per volunteer, large type; calls are summarised."""
    labels = LABELS[lang]
    hours = dict(zip(credits["volunteer_id"], credits["hours"], strict=True)) \
        if len(credits) else {}
    pages = []
    for vid, rows in _by_volunteer(schedule):
        name = rows["volunteer_name"].iloc[0]
        calls = rows[rows["activity"] == "call"]
        body = rows[rows["activity"] != "call"]
        lines = []
        for r in body.itertuples(index=False):
            day = dt.date.fromisoformat(r.date)
            wd = labels["weekday_prefix"] + labels["weekday"][day.weekday()]
            who = html.escape(str(r.elder_name or r.elder_id)) if r.elder_id else ""
            what = html.escape(labels.get(r.activity, r.activity))
            extra = html.escape(str(r.service or r.title or ""))
            lines.append(f"<tr><td>{r.date} {wd}</td><td>{r.start}-{r.end}</td>"
                         f"<td>{what}</td><td>{who}</td><td>{extra}</td></tr>")
        callees = sorted({str(n or e) for e, n in zip(calls["elder_id"], calls["elder_name"],
                                                       strict=True)})
        pages.append(
            f'<section class="page"><h1>{html.escape(labels["title"])}: '
            f"{html.escape(str(name))} ({html.escape(vid)})</h1>"
            f"<p>{html.escape(labels['hours'])}: {hours.get(vid, 0):g} h</p>"
            f"<p>{html.escape(labels['calls'])}: {html.escape('、'.join(callees))}</p>"
            f"<table><tr><th>{labels['date']}</th><th>{labels['time']}</th>"
            f"<th>{labels['activity']}</th><th>{labels['elder']}</th>"
            f"<th>{labels['service_col']}</th></tr>{''.join(lines)}</table></section>")
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;font-size:20pt}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;"
             "padding:6px;text-align:left}.page{page-break-after:always}h1{font-size:26pt}")
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(labels['title'])}</title><style>{style}</style></head>"
            f"<body>{''.join(pages)}</body></html>\n")
