"""One ledger for an alliance (通存通兑): hours earned in one community are spent in another,
and the flows and the monthly settlement say so."""

from __future__ import annotations

import datetime as dt

from matching.cli import main
from matching.console.service import alliance_ledger_path, ledger_path
from matching.console.store import Store
from matching.exchange import accept, approve, mark_done, post_request
from matching.ledger import POOL, open_ledger
from matching.ledger.alliance import flows, homes, settlement
from matching.ledger.statement import passbook_html, statement_lines
from tests.ledger.test_book import served

DAY = dt.date(2026, 12, 7)


def spend_across(open_county) -> None:
    """V1 banks 2 h in Minle in November; in December V1 needs care in Fangdui: W1 of
    Fangdui gives an hour, V1 pays (``open_county(programme)`` opens the one ledger)."""
    with open_county("minle") as minle:
        minle.record(served(("2026-11-03", "V1", "E5", 120, None)))
    with open_county("fangdui") as fangdui:
        request = post_request(fangdui, elder_id="F1", service="visit", first=DAY, last=DAY,
                               minutes=60, member_id="V1", payer="V1", offered=["W1"],
                               actor="coordinator")
        accept(fangdui, request, "W1")
        mark_done(fangdui, request, "W1", DAY, None, DAY)
        approve(fangdui, request, "coordinator")


def test_an_alliance_spend_across_two_programmes(ledgers):
    spend_across(lambda programme: ledgers.open("county", programme=programme))
    with ledgers.open("county", programme="fangdui") as fangdui:
        assert fangdui.balances_minutes() == {"V1": 60, "W1": 60, POOL: -120}
        assert homes(fangdui) == {"V1": "minle", "W1": "fangdui"}
        # one hour of Minle's member spent in Fangdui, in December
        assert flows(fangdui).to_dict("records") == [
            {"month": "2026-12", "from": "minle", "to": "fangdui", "hours": 1.0}]
        table = settlement(fangdui).set_index(["month", "programme"])
        # November: Minle issued 2 h; December: Fangdui issued 1 h and received 1 h of
        # Minle's spending; Minle's members spent 1 h elsewhere: Minle owes 1 h, Fangdui -1
        assert table.loc[("2026-11", "minle")].tolist() == [2.0, 0.0, 0.0, 0.0, 0.0]
        assert table.loc[("2026-12", "fangdui")].tolist() == [1.0, 1.0, 1.0, 0.0, -1.0]
        assert table.loc[("2026-12", "minle")].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
        assert settlement(fangdui, "2026-12")["net_hours"].sum() == 0.0
        assert fangdui.verify()[0] == []


def test_a_console_alliance_shares_one_ledger(tmp_path):
    store = Store(tmp_path / "data", alliance="稷山县")
    for name in ("minle", "fangdui"):
        store.programme_dir(name, create=True)
    assert ledger_path(store, "minle") == ledger_path(store, "fangdui") == \
        alliance_ledger_path(store)
    alone = Store(tmp_path / "other")
    for name in ("minle", "fangdui"):
        alone.programme_dir(name, create=True)
    assert ledger_path(alone, "minle") != ledger_path(alone, "fangdui")


def test_the_passbook_pages_carry_the_balance_forward(tmp_path):
    with open_ledger(tmp_path / "L.sqlite", programme="minle") as ledger:
        # 23 visits of 30 minutes: 20 lines on page 1, 3 on page 2 after the 10 h carried
        ledger.record(served(*[(f"2026-11-{d:02d}", "V1", "E5", 30, None)
                               for d in range(1, 24)]))
        lines = statement_lines(ledger, "V1", "zh", {"E5": "唐云"})
        assert len(lines) == 23 and lines[-1].balance == 11.5
        assert lines[0].what == "上门探访 唐云 (E5)"
        page = passbook_html(ledger, "V1", "zh", "蒋金", {"E5": "唐云"})
    assert page.count('class="page"') == 2
    assert "第 1 页，共 2 页" in page and "第 2 页，共 2 页" in page
    assert "承前页" in page and ">10</td>" in page  # 20 x 0.5 h brought forward
    assert "户名：蒋金（V1）" in page


def test_the_commands_print_the_settlement_and_a_passbook(tmp_path):
    db = tmp_path / "county.sqlite"
    spend_across(lambda programme: open_ledger(db, programme=programme))
    out = tmp_path / "settle.csv"
    assert main(["ledger", "settle", "--db", str(db), "--month", "2026-12", "--out",
                 str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "month,programme,earned_hours,spent_hours,spent_here_by_others_hours,"
        "spent_elsewhere_by_members_hours,net_hours",
        "2026-12,fangdui,1.0,1.0,1.0,0.0,-1.0",
        "2026-12,minle,0.0,0.0,0.0,1.0,1.0"]
    assert main(["ledger", "settle", "--db", str(db), "--month", "2026-13", "--out",
                 str(out)]) == 2
    book = tmp_path / "V1.html"
    assert main(["ledger", "passbook", "--db", str(db), "--member", "V1", "--out",
                 str(book)]) == 0
    assert "承前页" not in book.read_text(encoding="utf-8")  # one page: 2 lines
    assert book.read_text(encoding="utf-8").count("<tr><td>2026-") == 2
