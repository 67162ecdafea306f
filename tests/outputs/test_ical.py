"""The calendars are written as text here: an independent reader (``icalendar``) must read
back exactly what the schedule says, with awkward addresses escaped and long lines folded."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from icalendar import Calendar

from matching.outputs.rota import ICAL_LINE_OCTETS, icalendars

COLUMNS = ["date", "start", "end", "activity", "volunteer_id", "elder_id", "community",
           "service", "minutes", "title", "elder_name", "volunteer_name"]
ADDRESS = "民乐社区 3 栋, 二单元; 后门\\旁\n(东侧)" + "很长的地址" * 20


def schedule() -> pd.DataFrame:
    rows = [["2027-03-0" + str(d), "08:30", "08:35", "call", "V1", "E1", "民乐", "", "5", "",
             "张桂兰", "王芳"] for d in range(1, 8)]
    rows += [["2027-03-02", "09:30", "10:30", "visit", "V1", "E1", "民乐", "", "60", "",
              "张桂兰", "王芳"],
             ["2027-03-04", "14:00", "15:00", "service", "V1", "E1", "民乐", "haircut", "60",
              "", "张桂兰", "王芳"],
             ["2027-03-06", "14:30", "16:30", "festival", "V1", "", "民乐", "", "120",
              "春节", "", "王芳"]]
    return pd.DataFrame(rows, columns=COLUMNS)


def test_calendars_read_back_exactly():
    """7 daily calls at one time are one event repeating 7 times; the visit, the service and
    the festival are events of their own: 4 events. Every line is within 75 octets."""
    contacts = pd.DataFrame({"elder_id": ["E1"], "name": ["张桂兰"], "address": [ADDRESS],
                             "phone": ["13900000001"], "primary_id": ["V1"],
                             "backup_id": [""]})
    text = icalendars(schedule(), "zh", contacts)["V1.ics"]
    assert all(len(line) <= ICAL_LINE_OCTETS for line in text.split(b"\r\n"))
    assert text.endswith(b"END:VCALENDAR\r\n") and b"\n" not in text.replace(b"\r\n", b"")
    events = Calendar.from_ical(text).walk("VEVENT")
    got = [(str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt, str(e.get("LOCATION", "")),
            str(e.get("DESCRIPTION", "")), dict(e.get("RRULE", {}))) for e in events]
    assert got == [
        ("上门探访 张桂兰", dt.datetime(2027, 3, 2, 9, 30), dt.datetime(2027, 3, 2, 10, 30),
         ADDRESS, "电话: 13900000001", {}),
        ("专业服务 张桂兰 (理发)", dt.datetime(2027, 3, 4, 14), dt.datetime(2027, 3, 4, 15),
         ADDRESS, "电话: 13900000001", {}),
        ("节日活动 春节", dt.datetime(2027, 3, 6, 14, 30), dt.datetime(2027, 3, 6, 16, 30),
         "民乐", "", {}),
        ("问候电话 张桂兰", dt.datetime(2027, 3, 1, 8, 30), dt.datetime(2027, 3, 1, 8, 35),
         ADDRESS, "电话: 13900000001", {"FREQ": ["DAILY"], "COUNT": [7]}),
    ]
    assert len({str(e["UID"]) for e in events}) == 4
