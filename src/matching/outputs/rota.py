"""What volunteers carry: one iCalendar file each, and a printable rota (HTML).

A volunteer's page and calendar hold only their own activities and their own elders, with
each elder's address and phone number where the inputs have them, and the service named in
the reader's language (``理发``, not ``haircut``).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

import numpy as np
import pandas as pd
from icalendar import Calendar, Event

LABELS = {
    "zh": {"call": "问候电话", "visit": "上门探访", "service": "专业服务", "group": "集体活动",
           "festival": "节日活动", "birthday": "生日问候", "title": "志愿者排班表",
           "date": "日期", "time": "时间", "activity": "活动", "elder": "老人",
           "service_col": "服务", "community": "社区", "calls": "每日问候电话",
           "calls_from": " ({time} 起)", "minutes": "分钟", "hours": "计划服务时长",
           "hours_unit": "小时", "weekday": "一二三四五六日", "weekday_prefix": "周",
           "my_elders": "我服务的老人", "address": "住址", "phone": "电话",
           "where": "地点", "name": "姓名", "role": "关系", "primary": "结对（每周探访）",
           "backup": "备用（轮换探访）", "other": "专业服务"},
    "en": {"call": "Greeting call", "visit": "Home visit", "service": "Service",
           "group": "Group activity", "festival": "Festival activity",
           "birthday": "Birthday greeting", "title": "Volunteer rota", "date": "Date",
           "time": "Time", "activity": "Activity", "elder": "Elder", "service_col": "Service",
           "community": "Community", "calls": "Daily greeting calls",
           "calls_from": " (from {time})", "minutes": "min", "hours": "Planned hours",
           "hours_unit": "h",
           "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
           "weekday_prefix": "", "my_elders": "My elders", "address": "Address",
           "phone": "Phone", "where": "Where", "name": "Name", "role": "As",
           "primary": "paired (weekly visits)", "backup": "backup (visits in turn)",
           "other": "services"},
}

#: Service tags and their names for the reader; a tag not listed is shown as written.
SERVICE_NAMES: dict[str, dict[str, str]] = {
    "haircut": {"zh": "理发", "en": "haircut"},
    "shave": {"zh": "剃须", "en": "shave"},
    "foot_massage": {"zh": "足部按摩", "en": "foot massage"},
    "massage": {"zh": "按摩", "en": "massage"},
    "meal_delivery": {"zh": "送餐", "en": "meal delivery"},
    "cooking": {"zh": "做饭", "en": "cooking"},
    "cleaning": {"zh": "打扫卫生", "en": "cleaning"},
    "laundry": {"zh": "洗衣", "en": "laundry"},
    "bathing": {"zh": "助浴", "en": "help with bathing"},
    "medicine_delivery": {"zh": "送药", "en": "medicine delivery"},
    "escort": {"zh": "陪同就医", "en": "escort to the doctor"},
    "shopping": {"zh": "代购", "en": "shopping"},
    "repair": {"zh": "家电维修", "en": "repairs"},
    "smartphone": {"zh": "智能手机教学", "en": "smartphone lessons"},
    "first_aid": {"zh": "急救", "en": "first aid"},
    "health_check": {"zh": "健康检查", "en": "health check"},
    "companionship": {"zh": "陪伴聊天", "en": "companionship"},
}


def service_name(tag: str, lang: str = "zh") -> str:
    """A service tag in the reader's language (the tag itself when it is not known)."""
    names = SERVICE_NAMES.get(str(tag).strip().lower())
    if names is None:
        return str(tag).replace("_", " ") if lang == "en" else str(tag)
    return names[lang]


def _contact_book(contacts: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    if contacts is None or contacts.empty:
        return {}
    return {str(r["elder_id"]): {k: str(r.get(k, "") or "") for k in (
        "name", "address", "phone", "primary_id", "backup_id")}
            for r in contacts.to_dict("records")}


def _call_runs(calls: list[dict[str, object]]) -> list[tuple[dict[str, object], int]]:
    """Daily calls to the same elder at the same time on consecutive days, as
    ``(first row, number of days)``: one repeating calendar event each."""
    runs = []
    calls = sorted(calls, key=lambda r: (r["elder_id"], r["start"], r["date"]))
    first = 0
    for i in range(1, len(calls) + 1):
        if i < len(calls):
            a, b = calls[i - 1], calls[i]
            if (a["elder_id"], a["start"]) == (b["elder_id"], b["start"]) and \
                    (dt.date.fromisoformat(b["date"]) - dt.date.fromisoformat(a["date"])).days == 1:
                continue
        runs.append((calls[first], i - first))
        first = i
    return runs


def icalendars(schedule: pd.DataFrame, lang: str = "zh",
               contacts: pd.DataFrame | None = None) -> dict[str, bytes]:
    """One ``.ics`` per volunteer with only that volunteer's activities.

    The daily calls to one elder at one time are a single event repeating every day (a
    phone shows them as such); every other activity is an event of its own. An activity at
    an elder's home is located at their address and carries their phone. Event identifiers
    are derived from the row, so the same plan gives the same files.
    """
    labels = LABELS[lang]
    book = _contact_book(contacts)
    out: dict[str, bytes] = {}
    for vid, columns in _volunteer_rows(schedule):
        cal = Calendar()
        cal.add("prodid", "-//matching//elder mutual-aid rota//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"{labels['title']} {vid}")
        rows = [dict(zip(columns, values, strict=True))
                for values in zip(*columns.values(), strict=True)]
        items = [(r, 1) for r in rows if r["activity"] != "call"] + \
            _call_runs([r for r in rows if r["activity"] == "call"])
        for r, days in items:
            cal.add_component(_event(r, days, vid, labels, lang, book))
        out[f"{vid}.ics"] = cal.to_ical()
    return out


def _event(r: dict[str, object], days: int, vid: str, labels: dict, lang: str,
           book: dict[str, dict[str, str]]) -> Event:
    day = dt.date.fromisoformat(r["date"])
    h1, m1 = (int(x) for x in r["start"].split(":"))
    h2, m2 = (int(x) for x in r["end"].split(":"))
    event = Event()
    what = labels.get(r["activity"], r["activity"])
    who = f" {r['elder_name'] or r['elder_id']}" if r["elder_id"] else ""
    extra = f" ({service_name(r['service'], lang)})" if r["service"] else \
        f" {r['title']}" if r["title"] else ""
    event.add("summary", f"{what}{who}{extra}")
    event.add("dtstart", dt.datetime(day.year, day.month, day.day, h1, m1))
    event.add("dtend", dt.datetime(day.year, day.month, day.day, h2, m2))
    event.add("dtstamp", dt.datetime(day.year, day.month, day.day, 0, 0))
    event.add("uid", f"{r['date']}-{r['start']}-{r['activity']}-{vid}-{r['elder_id']}@matching")
    if days > 1:
        event.add("rrule", {"freq": "daily", "count": days})
    person = book.get(str(r["elder_id"]), {}) if r["elder_id"] else {}
    if person.get("address"):
        event.add("location", person["address"])
    elif r["community"]:
        event.add("location", r["community"])
    if person.get("phone"):
        event.add("description", f"{labels['phone']}: {person['phone']}")
    return event


_ROLE_ORDER = {"primary": 0, "backup": 1, "other": 2}


def _role(person: dict[str, str], volunteer: str) -> str:
    """``primary``, ``backup`` or ``other``: what the volunteer is to the elder."""
    if person.get("primary_id") == volunteer:
        return "primary"
    if person.get("backup_id") == volunteer:
        return "backup"
    return "other"


_STYLE = ("body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',"
          "sans-serif;font-size:18pt;margin:1.5em;color:#111}"
          "table{border-collapse:collapse;width:100%;margin-bottom:1em}"
          "td,th{border:1px solid #444;padding:6px 8px;text-align:left;vertical-align:top}"
          "th{background:#eee}.page{page-break-after:always;break-after:page}"
          "h1{font-size:24pt;margin:0 0 .3em}h2{font-size:20pt;margin:.6em 0 .3em}"
          ".facts{font-size:16pt}.phone{white-space:nowrap}"
          "@media print{body{margin:0}}")


def html_rota(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str = "zh",
              contacts: pd.DataFrame | None = None) -> str:
    """A printable rota: one page per volunteer, large type; calls are summarised.

    Each page lists the volunteer's own elders (name, address, phone) and every activity
    with where it happens. This is the coordinator's copy with every volunteer in it; to
    hand to one volunteer, use :func:`html_rota_pages`.
    """
    return rota_documents(schedule, credits, lang, contacts)[0]


def html_rota_pages(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str = "zh",
                    contacts: pd.DataFrame | None = None) -> dict[str, str]:
    """One document per volunteer (by id) holding only that volunteer's page: their own
    elders and activities, nobody else's."""
    return rota_documents(schedule, credits, lang, contacts)[1]


def rota_documents(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str = "zh",
                   contacts: pd.DataFrame | None = None) -> tuple[str, dict[str, str]]:
    """The coordinator's rota (:func:`html_rota`) and each volunteer's own page
    (:func:`html_rota_pages`), from one pass over the schedule."""
    pages = _pages(schedule, credits, lang, contacts)
    return (_document(list(pages.values()), lang),
            {vid: _document([page], lang) for vid, page in pages.items()})


def _volunteer_rows(schedule: pd.DataFrame) -> Iterator[tuple[str, dict[str, list]]]:
    """Each volunteer's rows (by id, in the schedule's order) as lists per column: a city's
    quarter has tens of thousands of volunteers, too many for a pandas group each."""
    ids = schedule["volunteer_id"].astype(str).to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    columns = {c: schedule[c].to_numpy(dtype=object)[order].tolist()
               for c in schedule.columns}
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) \
        if len(ids) else np.empty(0, dtype=np.int64)
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(ids)], strict=True):
        yield str(sorted_ids[a]), {c: values[a:b] for c, values in columns.items()}


def _pages(schedule: pd.DataFrame, credits: pd.DataFrame, lang: str,
           contacts: pd.DataFrame | None) -> dict[str, str]:
    labels = LABELS[lang]
    esc = html.escape
    book = _contact_book(contacts)
    hours = dict(zip(credits["volunteer_id"], credits["hours"], strict=True)) \
        if len(credits) else {}
    weekdays = {}
    pages: dict[str, str] = {}
    for vid, rows in _volunteer_rows(schedule):
        name = rows["volunteer_name"][0]
        is_call = [a == "call" for a in rows["activity"]]
        mine = dict.fromkeys(e for e in rows["elder_id"] if e != "")
        people = []
        for e in sorted(mine, key=lambda e: (_ROLE_ORDER[_role(book.get(str(e), {}), vid)], e)):
            person = book.get(str(e), {})
            people.append(f"<tr><td>{esc(person.get('name') or str(e))}</td>"
                          f"<td>{esc(labels[_role(person, vid)])}</td>"
                          f"<td>{esc(person.get('address', ''))}</td>"
                          f"<td class=\"phone\">{esc(person.get('phone', ''))}</td></tr>")
        lines = []
        callees, call_starts = set(), []
        for k, call in enumerate(is_call):
            elder_id, elder_name = rows["elder_id"][k], rows["elder_name"][k]
            if call:
                callees.add(str(elder_name or elder_id))
                call_starts.append(rows["start"][k])
                continue
            date = rows["date"][k]
            wd = weekdays.get(date)
            if wd is None:
                wd = weekdays[date] = labels["weekday_prefix"] + \
                    labels["weekday"][dt.date.fromisoformat(date).weekday()]
            person = book.get(str(elder_id), {}) if elder_id else {}
            who = esc(str(elder_name or elder_id)) if elder_id else ""
            where = esc(person.get("address") or rows["community"][k] or "")
            activity = rows["activity"][k]
            what = esc(labels.get(activity, activity))
            service = rows["service"][k]
            extra = esc(service_name(service, lang) if service else str(rows["title"][k] or ""))
            lines.append(f"<tr><td>{date} {wd}</td><td>{rows['start'][k]}-{rows['end'][k]}"
                         f"</td><td>{what}</td><td>{who}</td><td>{where}</td>"
                         f"<td>{extra}</td></tr>")
        callees = sorted(callees)
        call_time = labels["calls_from"].format(time=min(call_starts)) if call_starts else ""
        # a volunteer who calls nobody (a service provider only) gets no empty calls line
        calls_line = (f"<p class=\"facts\">{esc(labels['calls'])}{esc(call_time)}: "
                      f"{esc('、'.join(callees) if lang == 'zh' else ', '.join(callees))}</p>"
                      if callees else "")
        people_table = (f"<h2>{esc(labels['my_elders'])}</h2><table><tr>"
                        f"<th>{labels['name']}</th><th>{labels['role']}</th>"
                        f"<th>{labels['address']}</th><th>{labels['phone']}</th></tr>"
                        f"{''.join(people)}</table>" if people else "")
        pages[vid] = (
            f'<section class="page"><h1>{esc(labels["title"])}: '
            f"{esc(str(name or vid))} ({esc(vid)})</h1>"
            f"<p class=\"facts\">{esc(labels['hours'])}: {hours.get(vid, 0):g} "
            f"{esc(labels['hours_unit'])}</p>{people_table}"
            f"{calls_line}<table><tr><th>{labels['date']}</th><th>{labels['time']}</th>"
            f"<th>{labels['activity']}</th><th>{labels['elder']}</th>"
            f"<th>{labels['where']}</th><th>{labels['service_col']}</th></tr>"
            f"{''.join(lines)}</table></section>")
    return pages


def _document(pages: list[str], lang: str) -> str:
    labels = LABELS[lang]
    esc = html.escape
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{esc(labels['title'])}</title><style>{_STYLE}</style></head>"
            f"<body>{''.join(pages)}</body></html>\n")
