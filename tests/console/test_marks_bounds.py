"""Marks are facts about the past: nothing later than today is marked or recorded, minutes
are bounded by the time bank's rule, a rejected mark shows its reason on the phone, and
"approve all" approves every mark it can while the stuck ones wait with their reasons."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from matching.console import create_app, service
from matching.console.service import check_mark
from matching.ledger import TimebankRules, open_ledger
from matching.rules.errors import InputError
from matching.schedule.horizon import monday_of
from tests.console.test_app import local, minle_files, wait

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bounds")]

#: A fortnight from this week's Monday: some of it past, some to come.
THIS_MONDAY = monday_of(dt.date.today())


def own_rows() -> pd.DataFrame:
    return pd.DataFrame([{"date": "2026-04-01", "activity": "visit", "elder_id": "E1",
                          "minutes": "60"},
                         {"date": "2026-04-09", "activity": "visit", "elder_id": "E1",
                          "minutes": "60"}])


def test_a_mark_is_checked_against_the_day_and_the_rule():
    """On 2026-04-05 the 04-01 visit may be marked, the 04-09 one not; a 60-minute visit
    takes 1 to 120 minutes (600 and 0.0001 refused); a stand-in must be of the helpers."""
    today, rules = dt.date(2026, 4, 5), TimebankRules()
    ok = check_mark({"date": "2026-04-01", "activity": "visit", "elder_id": "E1",
                     "status": "done", "minutes": "120"}, own_rows(), {"V2"}, "V1",
                    today, rules)
    assert ok["minutes"] == "120"
    for fields, code in (({"date": "2026-04-09"}, "input.mark_not_yet"),
                         ({"minutes": "600"}, "input.mark_minutes"),
                         ({"minutes": "0.0001"}, "input.mark_minutes"),
                         ({"status": "replaced", "done_by": "V9"}, "input.mark_done_by")):
        mark = {"date": "2026-04-01", "activity": "visit", "elder_id": "E1",
                "status": "done", **fields}
        with pytest.raises(InputError) as caught:
            check_mark(mark, own_rows(), {"V2"}, "V1", today, rules)
        assert [p.code for p in caught.value.problems] == [code]
    with pytest.raises(InputError) as caught:
        check_mark({"date": "2026-04-09", "activity": "visit", "elder_id": "E1",
                    "status": "done"}, own_rows(), {"V2"}, "V1", today, rules)
    assert "还没到" in caught.value.problems[0].words("zh")


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    """Minle planned for two weeks from this week's Monday, with its links on the phones'
    address."""
    data = tmp_path_factory.mktemp("bounds")
    with local(create_app(data, phone_address="http://192.168.1.20:8000")) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        run_id = client.post("/api/programmes/minle/runs", json={
            "start": THIS_MONDAY.isoformat(), "weeks": 2, "time_limit": 30}).json()["id"]
        assert wait(client, run_id)["status"] == "done"
        links = {r["volunteer_id"]: r["url"]
                 for r in client.get("/api/programmes/minle/links").json()}
        yield client, run_id, links


def activity_of(client, links, when: str, kind: str = "visit") -> tuple[str, dict]:
    """A volunteer and one of their activities of ``kind`` dated ``when`` ("past" is up
    to today, "later" after it)."""
    today = dt.date.today().isoformat()
    for vid, url in sorted(links.items()):
        for a in client.get(f"{url}/activities").json():
            if a["activity"] == kind and (a["date"] <= today) == (when == "past"):
                return vid, a
    pytest.skip(f"no {kind} {when} in this fortnight")


def test_a_mark_for_a_day_to_come_is_refused_in_one_chinese_sentence(current):
    client, _, links = current
    vid, later = activity_of(client, links, "later", "call")
    url = links[vid]
    answer = client.post(f"{url}/marks", json={
        "date": later["date"], "activity": later["activity"], "elder_id": later["elder_id"],
        "status": "done"})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "input.mark_not_yet"
    form = client.post(f"{url}/mark", data={
        "date": later["date"], "activity": later["activity"], "elder_id": later["elder_id"],
        "status": "done"})
    assert form.status_code == 422 and "还没到" in form.text
    assert all(m["date"] <= dt.date.today().isoformat()
               for m in client.get("/api/programmes/minle/timebank/pending").json())


def csrf(client) -> dict[str, str]:
    page = client.get("/p/minle/timebank").text
    return {"X-CSRF-Token": page.split('name="csrf-token" content="')[1].split('"')[0]}


def test_minutes_rejections_and_a_stuck_mark(current):
    """600 minutes on a 60-minute visit: refused, naming the bounds. A mark rejected with
    a reason shows it on the phone. With one mark stuck (its activity recorded already
    by the week form), approve-all records the others and leaves it, with its reason."""
    client, run_id, links = current
    vid, visit = activity_of(client, links, "past", "call")
    url = links[vid]
    base = {"date": visit["date"], "activity": visit["activity"],
            "elder_id": visit["elder_id"]}
    planned = float(visit["minutes"])
    answer = client.post(f"{url}/marks", json={**base, "status": "done",
                                               "minutes": str(planned * 10)})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["params"] == {"least": 1.0, "most": 2 * planned}
    # marked, then sent back with a reason: the phone shows the reason
    mark = client.post(f"{url}/marks", json={**base, "status": "done"}).json()["id"]
    sent_back = client.post("/api/programmes/minle/timebank/reject",
                            json={"ids": [mark], "reason": "那天老人住院了"},
                            headers=csrf(client))
    assert sent_back.status_code == 200 and sent_back.json() == {"rejected": [mark]}
    assert "退回原因：那天老人住院了" in client.get(url).text
    assert client.get("/api/programmes/minle/timebank/pending").json() == []
    # marked again: pending again; another volunteer's past call marked too
    client.post(f"{url}/marks", json={**base, "status": "done"})
    others = [(v, a) for v, u in sorted(links.items()) if v != vid
              for a in client.get(f"{u}/activities").json()
              if a["activity"] == "call" and a["date"] <= dt.date.today().isoformat()]
    other, call = others[0]
    client.post(f"{links[other]}/marks", json={
        "date": call["date"], "activity": "call", "elder_id": call["elder_id"],
        "status": "done"})
    # the coordinator records the first call through the ledger already (the week form)
    console = client.app.state.console
    service.record_rows(console.store, "minle", run_id, [{
        **base, "volunteer_id": vid, "status": "done", "done_by": "", "minutes": "",
        "rating": "", "comment": ""}], "marked-by-hand.csv", "account:test")
    pending = client.get("/api/programmes/minle/timebank/pending").json()
    assert len(pending) == 2
    approved = client.post("/api/programmes/minle/timebank/approve",
                           json={"ids": [m["id"] for m in pending]}, headers=csrf(client))
    assert approved.status_code == 200, approved.text
    result = approved.json()
    assert result["approved"] == 1 and len(result["left"]) == 1
    assert result["left"][0]["problems"][0]["code"] == "input.recorded_already"
    assert result["left"][0]["problems"][0]["file"] == "mark"  # never a file name
    still = client.get("/api/programmes/minle/timebank/pending").json()
    assert [m["volunteer_id"] for m in still] == [vid]


def test_the_week_form_greys_the_days_to_come(current):
    """This week's form offers a result for each activity up to today, none for the days
    to come (they say so), and counts only today's calls and before."""
    client, run_id, _ = current
    table = pd.read_csv(io.StringIO(client.get(f"/api/runs/{run_id}/files/schedule.csv")
                                    .text), dtype=str, keep_default_na=False)
    week = table[(table["date"] >= THIS_MONDAY.isoformat()) &
                 (table["date"] < (THIS_MONDAY + dt.timedelta(days=7)).isoformat())]
    today = dt.date.today().isoformat()
    visits = week[week["activity"] != "call"]
    page = client.get(f"/p/minle/timebank?week={THIS_MONDAY}").text
    assert page.count('aria-label="状态"') == int((visits["date"] <= today).sum())
    assert page.count("还没到，做完以后再记录") == int((visits["date"] > today).sum())
    calls_due = int(((week["activity"] == "call") & (week["date"] <= today)).sum())
    assert f"({calls_due})" in page


def test_a_batch_recorded_by_mistake_is_reversed_from_the_page(current):
    """A call recorded by hand as one batch is reversed on the time-bank page with a
    reason: a new batch names it, the volunteer's balance goes back by the call's 5
    minutes, the row may be recorded again, and the log says who did it and why."""
    client, run_id, _ = current
    console = client.app.state.console
    schedule = service.run_schedule(console.store, run_id)
    with open_ledger(service.ledger_path(console.store, "minle")) as ledger:
        done = set(ledger.activities()["activity_key"]) if len(ledger.activities()) else set()
    today = dt.date.today().isoformat()
    calls = schedule[(schedule["activity"] == "call") & (schedule["date"] <= today)]
    # the last volunteers' calls: the other tests mark the first ones'
    calls = calls.sort_values(["volunteer_id", "date"], ascending=[False, True])
    row = next(r for r in calls.to_dict("records") if "|".join(
        (r["date"], "call", r["volunteer_id"], r["elder_id"])) not in done)
    marked = [{"date": row["date"], "activity": "call", "volunteer_id": row["volunteer_id"],
               "elder_id": row["elder_id"], "status": "done", "done_by": "", "minutes": "",
               "rating": "", "comment": ""}]
    by_hand = service.record_rows(console.store, "minle", run_id, marked,
                                  "marked-by-mistake.csv", "account:test")["batch"]
    member = row["volunteer_id"]

    def balance() -> int:  # in minutes, as the ledger keeps it
        with open_ledger(service.ledger_path(console.store, "minle")) as ledger:
            return ledger.balances_minutes().get(member, 0)
    before = balance()
    page = client.get("/p/minle/timebank").text
    assert 'id="batch-table"' in page
    token = page.split('name="csrf" value="')[1].split('"')[0]
    refused = client.post("/p/minle/timebank/reverse", data={"csrf": token,
                                                             "batch": str(by_hand)})
    assert refused.status_code == 422  # a reason is needed
    answer = client.post("/p/minle/timebank/reverse", data={
        "csrf": token, "batch": str(by_hand), "reason": "记错了人"})
    assert answer.status_code == 200 and 'id="reversed"' in answer.text
    table = service.batches(console.store, "minle").set_index("batch_id")
    new = int(table.loc[by_hand, "reversed_by"])
    assert int(table.loc[new, "reverses"]) == by_hand
    assert before - balance() == 5  # the call's 5 minutes

    log = client.get("/api/programmes/minle/audit?action=reverse").json()
    assert [(e["actor"], e["after"]["reason"]) for e in log] == [("local", "记错了人")]
    # the row is free again: recorded anew, it is one row done
    again = service.record_rows(console.store, "minle", run_id, marked, "marked-again.csv",
                                "account:test")
    assert again["done"] == 1 and balance() == before
