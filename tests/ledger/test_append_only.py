"""Nothing recorded is edited away: the database refuses an UPDATE or DELETE, a mistake is
undone by a reversing batch shown as one on the statement, bounds on minutes and dates are
asked of one rule, and an edit made around the triggers is found by the seals."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.cli import main
from matching.ledger import POOL, TimebankRules, open_ledger, read_done, statement_html
from matching.ledger.schema import APPEND_ONLY, DEFAULT_SCHEMA
from matching.rules.errors import InputError
from tests.helpers.databases import fresh_database
from tests.ledger.test_book import PLAN, write_rota
from tests.programme.test_audit import behind_the_back


def recorded(tmp_path, ledgers=None):
    """The four rows of test_book's rota recorded: V1 60 min (visit done), V2 45 + 100 (in
    a file beside them, or in ``ledgers``' ledger)."""
    schedule, done = write_rota(tmp_path)
    ledger = ledgers.open() if ledgers else open_ledger(tmp_path / "ledger.sqlite")
    ledger.record(read_done(schedule, done), actor="cli:tester")
    return ledger, schedule, done


#: Each append-only table's first column, to write an UPDATE of it.
FIRST_COLUMN = {"accounts": "account_id", "transactions": "tx_id", "entries": "entry_id",
                "batches": "batch_id", "activities": "row_id", "seals": "seal_id"}


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_change_or_remove_a_recorded_row(tmp_path, table, ledgers):
    ledger, *_ = recorded(tmp_path, ledgers)
    column = FIRST_COLUMN[table]
    with ledger:
        for change in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
            ledger.conn.execute("BEGIN IMMEDIATE")
            # SQLite's trigger and PostgreSQL's refuse, each in its own exception
            with pytest.raises(Exception, match="append-only"):
                ledger.conn.execute(change)
            ledger.conn.execute("ROLLBACK")
        assert ledger.verify()[0] == []


def test_a_reversal_undoes_a_batch_and_frees_its_rows(tmp_path, ledgers):
    """Batch 1 credits V1 60 and V2 45 + 100 = 145 minutes; reversing it takes both back
    (balances 0) in a new batch 2 that names batch 1; the same rows record again as batch
    3 (V1 60, V2 145 again), and the statement shows the reversal as one line."""
    ledger, schedule, done = recorded(tmp_path, ledgers)
    with ledger:
        assert ledger.balances_minutes() == {"V1": 60, "V2": 145, POOL: -205}
        assert ledger.reverse(1, "2026-04-10", "marked on the wrong week", "console:li") == 2
        assert ledger.balances_minutes() == {"V1": 0, "V2": 0, POOL: 0}
        with pytest.raises(InputError, match="was reversed by batch 2"):
            ledger.reverse(1, "2026-04-10")
        with pytest.raises(InputError, match="reverses batch 1"):
            ledger.reverse(2, "2026-04-10")
        assert ledger.record(read_done(schedule, done))["batch"] == 3
        assert ledger.balances_minutes() == {"V1": 60, "V2": 145, POOL: -205}
        batches = ledger.batches().set_index("batch_id")
        assert batches.loc[1, "reversed_by"] == 2 and batches.loc[2, "reverses"] == 1
        assert batches.loc[1, "actor"] == "cli:tester"
        assert batches.loc[2, "actor"] == "console:li"
        history = ledger.history("V2")
        # by date: 04-02 and 04-03 each twice (batches 1 and 3), the reversal on 04-10
        assert history["minutes"].tolist() == [45, 45, 100, 100, -45, -100]
        assert history["reverses"].notna().sum() == 2
        page = statement_html(ledger, "V2", "zh")
        assert page.count("冲正") == 2
        assert ledger.verify()[0] == []


def test_a_reversal_that_would_overdraw_is_refused(tmp_path, ledgers):
    """V2 banked 145 minutes and spent 120 of them (25 left): taking the 145 back would
    leave 25 - 145 = -120 minutes, -2 h."""
    ledger, *_ = recorded(tmp_path, ledgers)
    with ledger:
        ledger.redeem("V2", 120, "2026-04-05")
        with pytest.raises(InputError, match="would leave V2 at -2 h"):
            ledger.reverse(1, "2026-04-10")
        assert ledger.balances_minutes()["V2"] == 25


def test_minutes_are_bounded_by_the_rule(tmp_path):
    """The rule: 1 to twice the planned minutes. The 60-minute visit of row 2 said to take
    600 is refused, 120 is taken; the 5-minute call at 11 is refused (most 10); 0.0001 is
    refused; with the share set to 10, 600 is taken."""
    plan = PLAN
    marks = [("2026-04-01", "visit", "V1", "E1", "done", "", "600", "", ""),
             ("2026-04-01", "call", "V1", "E1", "done", "", "11", "", ""),
             ("2026-04-02", "visit", "V1", "E2", "done", "", "0.0001", "", ""),
             ("2026-04-03", "service", "V2", "E2", "done", "", "180", "", "")]
    schedule, done = write_rota(tmp_path, plan, marks)
    with pytest.raises(InputError) as caught:
        found = read_done(schedule, done)
        if found.problems:
            raise InputError(found.problems)
    problems = [(p.row, p.column, p.code) for p in caught.value.problems]
    assert problems == [(2, "minutes", "input.minutes_bounds"),
                        (3, "minutes", "input.minutes_bounds"),
                        (4, "minutes", "input.minutes_bounds")]
    assert "1 到 120 分钟" in caught.value.problems[0].text("zh")
    loose = read_done(schedule, done, TimebankRules(most_minutes_share=10))
    assert [(p.row, p.code) for p in loose.problems] == [(4, "input.minutes_bounds")]


def test_nothing_later_than_today_is_recorded(tmp_path, capsys):
    """On 2026-04-01 the two rows of that day may be recorded, the 04-02 and 04-03 rows not
    (rows 4 and 5); the whole file is refused and nothing is written."""
    schedule, done = write_rota(tmp_path)
    db = tmp_path / "ledger.sqlite"
    assert main(["ledger", "record", "--db", str(db), "--schedule", str(schedule), "--done",
                 str(done), "--today", "2026-04-01"]) == 2
    err = capsys.readouterr().err
    assert "done.csv, row 4, column date" in err and "done.csv, row 5, column date" in err
    assert "row 2," not in err and "row 3," not in err
    assert not db.exists()
    found = read_done(schedule, done, today=dt.date(2026, 4, 3))
    assert found.problems == []


def test_an_edit_around_the_triggers_is_found_by_the_seals(tmp_path, capsys):
    """With the triggers dropped, one entry's minutes edited: ``audit verify`` on the
    ledger exits 1 naming seal 1; a row slipped in unsealed is named too."""
    ledger, *_ = recorded(tmp_path)
    ledger.close()
    db = tmp_path / "ledger.sqlite"
    assert main(["audit", "verify", str(db)]) == 0
    head = capsys.readouterr().out
    assert "whole" in head
    behind_the_back(db, "DROP TRIGGER activities_no_update",
                    "UPDATE activities SET comment = 'edited' WHERE row_id = 3")
    assert main(["audit", "verify", str(db)]) == 1
    out = capsys.readouterr().out
    assert "first bad entry: ledger.sqlite: seal 1" in out
    behind_the_back(db, "INSERT INTO transactions (date, kind) VALUES ('2026-04-09', "
                        "'service')")
    assert main(["audit", "verify", str(db)]) == 1
    assert "transaction 4: is not sealed" in capsys.readouterr().out



def test_an_edit_around_postgresql_s_triggers_is_found_by_the_seals(tmp_path, postgres_url):
    """In PostgreSQL too: with the triggers switched off, one activity's comment edited, the
    seals name the first bad one."""
    psycopg = pytest.importorskip("psycopg")
    url = fresh_database(postgres_url)
    schedule, done = write_rota(tmp_path)
    with open_ledger(url, schema=DEFAULT_SCHEMA) as ledger:
        ledger.record(read_done(schedule, done), actor="cli:tester")
        assert ledger.verify()[0] == []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {DEFAULT_SCHEMA}.activities DISABLE TRIGGER USER")
        conn.execute(f"UPDATE {DEFAULT_SCHEMA}.activities SET comment = 'edited' "
                     "WHERE row_id = 3")
    with open_ledger(url, schema=DEFAULT_SCHEMA, create=False) as ledger:
        breaches, _ = ledger.verify()
    assert [str(b) for b in breaches][:1] == [
        "seal 1: the rows it sealed (record: transactions 1-3, batches 1-1) "
        "were changed"]
