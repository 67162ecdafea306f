"""The elder's or family's link confirms this fortnight's visits with one tap; with
``confirm_before_banking`` a visit marked done on a phone banks only once confirmed, and the
family's rating is the one recorded."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from matching.console import create_app, service
from matching.console.store import Store
from matching.ledger import TimebankRules, open_ledger
from tests.console.conftest import fortnight_copy
from tests.console.test_app import local, wait

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("links")]

TODAY = dt.date.today()
#: A plan from last Monday: last week's visits are in the past, to be confirmed.
LAST_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday() + 7)


@pytest.fixture(scope="module")
def confirming(tmp_path_factory, fortnight_source):
    data, _ = fortnight_copy(fortnight_source, tmp_path_factory.mktemp("confirm") / "data")
    store = Store(data)
    # the programme's rules: a visit banks once the elder or family confirmed it
    with open_ledger(service.ledger_path(store, "minle"),
                     TimebankRules(confirm_before_banking=True), programme="minle"):
        pass
    with local(create_app(data)) as client:
        run = client.post("/api/programmes/minle/runs", json={
            "start": LAST_MONDAY.isoformat(), "weeks": 2, "time_limit": 20}).json()["id"]
        assert wait(client, run)["status"] == "done"
        links = {r["volunteer_id"]: r["url"]
                 for r in client.get(f"/api/runs/{run}/links").json()}
        family = {r["elder_id"]: r["url"]
                  for r in client.get("/api/programmes/minle/family-links").json()}
        schedule = client.get(f"/api/runs/{run}/files/schedule.csv").text.splitlines()
        yield client, links, family, schedule


def _past_visit(schedule: list[str]) -> dict[str, str]:
    """A visit of last week (the schedule's CSV rows)."""
    header = schedule[0].split(",")
    for line in schedule[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row["activity"] == "visit" and row["date"] < TODAY.isoformat():
            return row
    raise AssertionError("no visit last week")


def test_a_visit_banks_once_the_family_confirms_it_with_their_rating(confirming):
    client, links, family, schedule = confirming
    visit = _past_visit(schedule)
    elder, volunteer, day = visit["elder_id"], visit["volunteer_id"], visit["date"]
    mark = client.post(f"{links[volunteer]}/marks", json={
        "date": day, "activity": "visit", "elder_id": elder, "status": "done", "rating": 2})
    assert mark.status_code == 201, mark.text
    # not confirmed yet: the approval leaves it pending, saying why
    held = client.post("/api/programmes/minle/timebank/approve", json={"ids": [
        mark.json()["id"]]})
    assert held.status_code == 409
    assert held.json()["problems"][0]["code"] == "exchange.visit_not_confirmed"
    # the family's page lists it; one tap on five stars
    page = client.get(family[elder]).text
    assert f'id="v-{day}-visit"' in page
    confirmed = client.post(f"{family[elder]}/visits",
                            json={"date": day, "activity": "visit", "rating": 5})
    assert confirmed.status_code == 200, confirmed.text
    again = client.post(f"{family[elder]}/visits", json={"date": day, "activity": "visit"})
    assert again.status_code == 409
    assert again.json()["problems"][0]["code"] == "exchange.confirmed_already"
    approved = client.post("/api/programmes/minle/timebank/approve", json={"ids": [
        mark.json()["id"]]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["done"] == 1
    # the family's five stars are recorded, not the two the phone sent
    with open_ledger(service.ledger_path(client.app.state.console.store, "minle"),
                     create=False) as ledger:
        rows = ledger.activities()
    row = rows[(rows["elder_id"] == elder) & (rows["activity"] == "visit")]
    assert row["rating"].tolist() == [5]


def test_a_day_not_planned_or_to_come_is_refused_and_the_coordinator_confirms_by_phone(
        confirming):
    client, _, family, schedule = confirming
    visit = _past_visit(schedule)
    elder = visit["elder_id"]
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    for day in (later, "2026-01-05"):
        refused = client.post(f"{family[elder]}/visits",
                              json={"date": day, "activity": "visit"})
        assert refused.status_code == 409
        assert refused.json()["problems"][0]["code"] == "exchange.not_planned"
    rows = [dict(zip(schedule[0].split(","), line.split(","), strict=False))
            for line in schedule[1:]]
    # another elder's link cannot confirm a visit they had no part in
    visited = {r["elder_id"] for r in rows if r["date"] == visit["date"]
               and r["activity"] == "visit"}
    other = next(e for e in family if e not in visited)
    assert client.post(f"{family[other]}/visits", json={
        "date": visit["date"], "activity": "visit"}).status_code == 409
    second = next(r for r in rows if r["activity"] == "visit"
                  and r["date"] < TODAY.isoformat() and r["elder_id"] != elder)
    phoned = client.post("/api/programmes/minle/confirmations", json={
        "elder_id": second["elder_id"], "date": second["date"], "activity": "visit",
        "rating": 4})
    assert phoned.status_code == 200, phoned.text
    page = client.get(family[second["elder_id"]]).text
    assert "已确认 ★★★★" in page
    if os.environ.get("MATCHING_SCREENSHOTS"):  # self-contained: looked at in Chromium
        Path(os.environ["MATCHING_SCREENSHOTS"], "family-visits.html").write_text(
            page, encoding="utf-8")
