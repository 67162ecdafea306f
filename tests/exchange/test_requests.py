"""A request's life in the ledger: posted, offered, accepted, done, confirmed, approved; the
hours move by exactly its minutes in balanced entries, and every step refuses out of turn."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from matching.exchange import (
    accept,
    approve,
    assign,
    cancel,
    confirm,
    held_minutes,
    mark_done,
    post_request,
    request_states,
)
from matching.ledger import POOL, TimebankRules
from matching.ledger.feedback import recent_hours
from matching.rules.errors import InputError
from tests.ledger.test_book import served

TODAY = dt.date(2026, 12, 7)


def _ledger(ledgers, **rules):
    ledger = ledgers.open("L", TimebankRules(**rules), programme="minle")
    # V9 banked 3 h serving earlier: the member who now asks for a visit
    ledger.record(served(("2026-11-02", "V9", "E5", 180, None)))
    return ledger


def _post(ledger, minutes=90, payer="V9", offered=("V1", "V2", "V3")):
    return post_request(ledger, elder_id="E1", service="visit", first=TODAY, last=TODAY,
                        minutes=minutes, member_id=payer if payer != POOL else "",
                        payer=payer, offered=list(offered), actor="coordinator")


def test_a_request_end_to_end_moves_exactly_its_minutes(ledgers):
    with _ledger(ledgers, confirm_before_banking=True) as ledger:
        request = _post(ledger)
        assert held_minutes(ledger, "V9") == 90
        [state] = request_states(ledger)
        assert (state.state, state.offered_to) == ("offered", ("V1", "V2", "V3"))
        assert accept(ledger, request, "V2").taken_by == "V2"
        with pytest.raises(InputError, match="taken by V2 already"):
            accept(ledger, request, "V1")
        with pytest.raises(InputError, match="not taken by V1"):
            mark_done(ledger, request, "V1", TODAY, None, TODAY)
        with pytest.raises(InputError, match="still to come"):
            mark_done(ledger, request, "V2", TODAY + dt.timedelta(1), None, TODAY)
        done = mark_done(ledger, request, "V2", TODAY, 75, TODAY)
        assert (done.state, done.done_minutes) == ("done", 75)
        with pytest.raises(InputError, match="needs the elder's or family's confirmation"):
            approve(ledger, request, "coordinator")
        assert confirm(ledger, request, "family:E1", 5).rating == 5
        before = ledger.balances_minutes()
        final = approve(ledger, request, "coordinator")
        after = ledger.balances_minutes()
        # 75 minutes served: V2 +75, V9 -75 (it held 180), the pool even (-75 + 75)
        assert after["V2"] - before.get("V2", 0) == 75
        assert after["V9"] - before["V9"] == -75
        assert after[POOL] == before[POOL]
        assert ledger.total() == 0 and ledger.verify()[0] == []
        # V9's recording was transaction 1; the approval is transaction 2
        assert final.state == "approved" and final.tx_id == 2
        assert held_minutes(ledger, "V9") == 0
        assert [h["kind"] for h in final.history] == [
            "offered", "offered", "offered", "accepted", "done", "confirmed", "approved"]
        with pytest.raises(InputError, match="banked already"):
            approve(ledger, request, "coordinator")
        # the server's and the payer's balances, as the statements read them
        table = ledger.balances().set_index("member_id")
        assert table.loc["V2", "earned_hours"] == 1.25
        assert table.loc["V9", "spent_hours"] == 1.25


def test_without_confirmation_mark_and_approval_bank(ledgers):
    with _ledger(ledgers) as ledger:
        request = _post(ledger, payer=POOL)
        assign(ledger, request, "V7", "coordinator")  # not among those offered: may assign
        mark_done(ledger, request, "V7", TODAY, None, TODAY)
        approve(ledger, request, "coordinator")
        # the pool pays the whole 90 minutes: V9's 180 untouched
        assert ledger.balances_minutes() == {"V9": 180, "V7": 90, POOL: -270}


def test_hours_held_by_an_open_request_cannot_be_promised_twice(ledgers):
    with _ledger(ledgers) as ledger:
        _post(ledger, minutes=120)
        # 180 - 120 = 60 free; 90 more is refused, naming what is free
        with pytest.raises(InputError, match=r"V9 has 1 h free .* this needs 1\.5 h"):
            _post(ledger, minutes=90)
        request = _post(ledger, minutes=60)
        cancel(ledger, request, "coordinator", "not needed")
        assert held_minutes(ledger, "V9") == 120


def test_the_server_s_caps_refuse_an_approval(ledgers):
    with _ledger(ledgers, daily_cap_hours=3) as ledger:
        request = _post(ledger)
        accept(ledger, request, "V1")
        # V1 banked 2 h on the day already: 1.5 h more is 3.5 h, above the 3 h cap
        ledger.record(served(("2026-12-07", "V1", "E5", 120, None)))
        mark_done(ledger, request, "V1", TODAY, None, TODAY)
        with pytest.raises(InputError, match=r"would bank 3\.5 h for V1 on 2026-12-07"):
            approve(ledger, request, "coordinator")
        assert request_states(ledger)[0].state == "done"


def test_of_two_volunteers_accepting_at_once_exactly_one_takes_it(ledgers):
    with _ledger(ledgers) as ledger:
        request = _post(ledger)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def take(who: str) -> None:
        with ledgers.open("L") as own:
            barrier.wait()
            try:
                outcome[who] = accept(own, request, who).taken_by
            except InputError as exc:
                outcome[who] = exc

    threads = [threading.Thread(target=take, args=(w,)) for w in ("V1", "V2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [w for w, o in outcome.items() if o == w]
    losers = [o for o in outcome.values() if isinstance(o, InputError)]
    assert len(winners) == 1 and len(losers) == 1
    with ledgers.open("L") as ledger:
        assert request_states(ledger)[0].taken_by == winners[0]


def test_the_request_tables_are_append_only(ledgers):
    with _ledger(ledgers) as ledger:
        _post(ledger)
        # SQLite's trigger and PostgreSQL's both refuse, each in its own exception
        with pytest.raises(Exception, match="append-only"):
            ledger.conn.execute("UPDATE requests SET minutes = 1")
        with pytest.raises(Exception, match="append-only"):
            ledger.conn.execute("DELETE FROM request_events")


def test_a_requested_service_counts_as_hours_served_lately(ledgers):
    # V2 served a 90-minute rota visit in November; then 75 minutes of a request: 2.75 h
    with _ledger(ledgers) as ledger:
        ledger.record(served(("2026-11-20", "V2", "E5", 90, None)))
        request = _post(ledger)
        accept(ledger, request, "V2")
        mark_done(ledger, request, "V2", TODAY, 75, TODAY)
        hours = recent_hours(ledger)
        assert hours["V2"] == 2.75 and hours["V9"] == 3.0
        # a cancelled request's service does not count
        cancel(ledger, request, "coordinator", "the elder was out")
        assert recent_hours(ledger)["V2"] == 1.5
