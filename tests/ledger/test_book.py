"""The time bank's ledger: exact credits, refusals with the row named, double entry on random
operation sequences, a killed recording, migrations, and each feedback rule binding or not."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching
from matching import checker
from matching.cli import main
from matching.ledger import (
    POOL,
    Ledger,
    TimebankRules,
    apply_feedback,
    even_out,
    member_accounts,
    open_ledger,
    read_done,
    read_members,
    statement_html,
)
from matching.ledger.done import Recording
from matching.ledger.feedback import banked_bonus, low_rated_pairs
from matching.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from matching.outputs.runfolder import RunFolder
from matching.pairing.replan import replan
from matching.rules.errors import InputError
from tests.conftest import elders, relations, volunteers

SCHEDULE_COLUMNS = ["date", "activity", "volunteer_id", "elder_id", "minutes"]
DONE_COLUMNS = ["date", "activity", "volunteer_id", "elder_id", "status", "done_by", "minutes",
                "rating", "comment"]
#: Four rota rows, and how they went (spreadsheet rows 2-5 of done.csv).
PLAN = [("2026-04-01", "visit", "V1", "E1", 60),
        ("2026-04-01", "call", "V1", "E1", 5),
        ("2026-04-02", "visit", "V1", "E2", 60),
        ("2026-04-03", "service", "V2", "E2", 90)]
MARKED = [("2026-04-01", "visit", "V1", "E1", "done", "", "", "5", ""),
          ("2026-04-01", "call", "V1", "E1", "missed", "", "", "", ""),
          ("2026-04-02", "visit", "V1", "E2", "replaced", "V2", "45", "2", "迟到了"),
          ("2026-04-03", "service", "V2", "E2", "done", "", "100", "", "")]
BALANCE_COLUMNS = ["member_id", "earned_hours", "spent_hours", "transferred_hours",
                   "donated_hours", "balance_hours", "expired_hours", "services"]


def write_rota(folder: Path, plan=PLAN, marked=MARKED) -> tuple[Path, Path]:
    """schedule.csv and done.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(plan, columns=SCHEDULE_COLUMNS).to_csv(folder / "schedule.csv", index=False)
    pd.DataFrame(marked, columns=DONE_COLUMNS).to_csv(folder / "done.csv", index=False)
    return folder / "schedule.csv", folder / "done.csv"


def record(db: Path, schedule: Path, done: Path) -> int:
    """``matching ledger record`` into ``db``; its exit status."""
    return main(["ledger", "record", "--db", str(db), "--schedule", str(schedule), "--done",
                 str(done)])


_keys = itertools.count()


def served(*rows: tuple) -> Recording:
    """A checked recording straight from ``(date, volunteer, elder, minutes, rating)`` rows,
    every one done (for feedback tests, without files)."""
    table = pd.DataFrame([{
        "activity_key": f"{d}|visit|{v}|{e}|{next(_keys)}", "date": d, "activity": "visit",
        "volunteer_id": v, "elder_id": e, "status": "done", "credited_to": v, "minutes": m,
        "credit": m, "rating": r, "comment": ""} for d, v, e, m, r in rows])
    table["rating"] = table["rating"].astype(object).where(table["rating"].notna(), None)
    return Recording("served.csv", table)


def snapshot(ledger: Ledger) -> dict[str, pd.DataFrame]:
    return ledger.tables()


def same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> bool:
    return a.keys() == b.keys() and all(a[k].equals(b[k]) for k in a)


# -- recording ---------------------------------------------------------------------------------

def test_record_credits_exactly_the_rows_done(tmp_path, capsys):
    """V1 did the visit (60 planned minutes); the call was missed; V2 did V1's visit to E2 in
    45 minutes and the service in 100. V1: 60 min = 1 h. V2: 45 + 100 = 145 min = 2.42 h.
    The pool gave 205 minutes, and all accounts sum to zero."""
    schedule, done = write_rota(tmp_path)
    db = tmp_path / "ledger.sqlite"
    assert main(["ledger", "record", "--schedule", str(schedule), "--done", str(done)]) == 0
    assert capsys.readouterr().out == (f"recorded 4 rows in {db}: 2 done, 1 replaced, 1 "
                                       "missed; 3.42 hours credited\n")  # 205 min
    with open_ledger(db, create=False) as ledger:  # default: beside the schedule
        balances = ledger.balances().set_index("member_id")
        assert balances["earned_hours"].to_dict() == {"V1": 1.0, "V2": 2.42}
        assert balances["services"].to_dict() == {"V1": 1, "V2": 2}
        assert ledger.balances_minutes() == {"V1": 60, "V2": 145, POOL: -205}
        assert ledger.total() == 0
        acts = ledger.activities().set_index("activity_key")
        assert acts.loc["2026-04-02|visit|V1|E2", ["done_by", "minutes", "rating"]].tolist() \
            == ["V2", 45, 2]
        assert pd.isna(acts.loc["2026-04-01|call|V1|E1", "tx_id"])  # a missed row banks nothing
        missed = ledger.missed("elder").set_index(["elder_id", "activity"])
        assert missed.loc[("E1", "call"), ["done", "replaced", "missed"]].tolist() == [0, 0, 1]
        assert missed.loc[("E1", "call"), "missed_share"] == 1.0
        assert missed.loc[("E2", "visit"), ["done", "replaced", "missed"]].tolist() == [0, 1, 0]
        by_volunteer = ledger.missed("volunteer").groupby("volunteer_id")["missed"].sum()
        assert by_volunteer.to_dict() == {"V1": 1, "V2": 0}


def test_balance_csv_has_the_contract_columns(tmp_path, ledgers):
    schedule, done = write_rota(tmp_path)
    assert main(["ledger", "record", *ledgers.cli(), "--schedule", str(schedule), "--done",
                 str(done)]) == 0
    assert main(["ledger", "balance", *ledgers.cli(), "--csv", str(tmp_path / "b.csv")]) == 0
    table = pd.read_csv(tmp_path / "b.csv", dtype=str)
    assert table.columns.tolist() == BALANCE_COLUMNS
    assert table.values.tolist() == [["V1", "1.0", "0.0", "0.0", "0.0", "1.0", "0.0", "1"],
                                     ["V2", "2.42", "0.0", "0.0", "0.0", "2.42", "0.0", "2"]]


def test_recording_twice_is_refused_with_each_row_named(tmp_path, capsys, ledgers):
    schedule, done = write_rota(tmp_path)
    args = ["ledger", "record", *ledgers.cli(), "--schedule", str(schedule), "--done",
            str(done)]
    assert main(args) == 0
    with ledgers.open() as ledger:
        before = snapshot(ledger)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    for row in (2, 3, 4, 5):
        assert f"done.csv, row {row}, column date: was recorded already (batch 1)" in err
    with ledgers.open() as ledger:
        assert same(snapshot(ledger), before)


def test_unknown_and_bad_rows_are_refused_all_at_once_and_nothing_is_written(tmp_path,
                                                                             capsys, ledgers):
    """Row 3 names a volunteer who had no such call, row 4 repeats row 2, row 5 has a rating of
    7 and a replaced row without who did it. Every problem is listed, exit 2, and no ledger
    file is left behind."""
    marked = [MARKED[0], ("2026-04-01", "call", "V9", "E1", "done", "", "", "", ""), MARKED[0],
              ("2026-04-02", "visit", "V1", "E2", "replaced", "", "", "7", "")]
    schedule, done = write_rota(tmp_path, marked=marked)
    assert main(["ledger", "record", *ledgers.cli(), "--schedule", str(schedule), "--done",
                 str(done)]) == 2
    err = capsys.readouterr().err
    assert 'done.csv, row 3, column activity: "call" matches no row of schedule.csv' in err
    assert 'done.csv, row 4, column activity: "visit" is the same activity as row 2' in err
    assert "done.csv, row 5, column done_by: is empty" in err
    assert 'done.csv, row 5, column rating: "7" is not a rating (1 to 5)' in err
    if ledgers.kind == "sqlite":  # no file is left behind
        assert not ledgers.exists()
    else:  # the database's ledger, if made, holds nothing
        with ledgers.open() as ledger:
            assert ledger.balances().empty and ledger.activities().empty


def test_a_credit_above_the_cap_is_refused_with_its_row(tmp_path, capsys, ledgers):
    """Cap 1 h = 60 min. V1's 60 minutes reach it exactly (allowed); V2's 45 then 100 would
    make 145 minutes = 2.42 h: row 5 is refused, and nothing of the file is recorded."""
    (tmp_path / "s.toml").write_text('[inputs]\nvolunteers = "v.csv"\nelders = "e.csv"\n'
                                     "[timebank]\nbalance_cap_hours = 1\n", encoding="utf-8")
    (tmp_path / "v.csv").write_text("volunteer_id\n")
    (tmp_path / "e.csv").write_text("elder_id\n")
    assert main(["ledger", "init", *ledgers.cli(), "--scenario",
                 str(tmp_path / "s.toml")]) == 0
    schedule, done = write_rota(tmp_path)
    assert main(["ledger", "record", *ledgers.cli(), "--schedule", str(schedule), "--done",
                 str(done)]) == 2
    err = capsys.readouterr().err
    assert "done.csv, row 5, column minutes: would take V2's balance to 2.42 h, above the " \
           "cap of 1 h" in err
    assert err.count("cap") == 1
    with ledgers.open() as ledger:
        assert ledger.balances().empty and ledger.activities().empty


def test_overdraft_and_transfer_above_the_balance_are_refused(tmp_path, capsys, ledgers):
    """V1 has 1 h: redeeming 1.5 h or giving 2 h would overdraw; 0.5 h then 0.5 h is fine."""
    schedule, done = write_rota(tmp_path)
    assert main(["ledger", "record", *ledgers.cli(), "--schedule", str(schedule), "--done",
                 str(done)]) == 0
    move = [*ledgers.cli(), "--member", "V1", "--date", "2026-04-10"]
    capsys.readouterr()
    assert main(["ledger", "redeem", *move, "--hours", "1.5", "--memo", "haircut"]) == 2
    assert "V1 has 1 h; 1.5 h would overdraw the balance" in capsys.readouterr().err
    assert main(["ledger", "transfer", *move, "--to", "M7", "--hours", "2"]) == 2
    assert "V1 has 1 h; 2 h would overdraw the balance" in capsys.readouterr().err
    assert main(["ledger", "redeem", *move, "--hours", "0.5", "--memo", "haircut"]) == 0
    assert main(["ledger", "transfer", *move, "--to", "M7", "--hours", "0.25"]) == 0
    assert main(["ledger", "donate", *move, "--hours", "0.25"]) == 0
    with ledgers.open() as ledger:
        row = ledger.balances().set_index("member_id").loc["V1"]
        assert row[["earned_hours", "spent_hours", "transferred_hours", "donated_hours",
                    "balance_hours"]].tolist() == [1.0, 0.5, -0.25, 0.25, 0.0]
        assert ledger.balances_minutes()["M7"] == 15
        assert ledger.total() == 0
        history = ledger.history("V1")
        assert history["kind"].tolist() == ["service", "redeem", "transfer", "donation"]
        assert history["balance_hours"].tolist() == [1.0, 0.5, 0.25, 0.0]


def test_elders_who_are_members_pay_for_care_as_far_as_their_balance_goes(tmp_path,
                                                                           ledgers):
    """E2 is member M1, who banked hours as V1. V1 earns 60 min on 1 April; E2 receives V2's
    45-minute visit on 2 April (V1 pays 45, 15 left) and a 100-minute service on 3 April (V1
    pays the 15 left; the programme gives the other 85)."""
    schedule, done = write_rota(tmp_path)
    pd.DataFrame({"member_id": ["M1", "M1"], "volunteer_id": ["V1", ""],
                  "elder_id": ["", "E2"]}).to_csv(tmp_path / "members.csv", index=False)
    accounts = member_accounts(read_members(tmp_path / "members.csv"))
    assert accounts == {"E2": "V1"}
    with ledgers.open() as ledger:
        counts = ledger.record(read_done(schedule, done), accounts=accounts)
        assert counts["redeemed_minutes"] == 45 + 15
        assert ledger.balances_minutes() == {"V1": 0, "V2": 145, POOL: -145}
        history = ledger.history("V1")
        assert history[["kind", "minutes", "activity", "done_by"]].values.tolist() == [
            ["service", 60, "visit", "V1"], ["redeem", -45, "visit", "V2"],
            ["redeem", -15, "service", "V2"]]
        page = statement_html(ledger, "V1", "en")
    assert "Home visit by V2" in page and "As of</td><td>2026-04-03" in page


def test_members_file_problems_are_named(tmp_path):
    pd.DataFrame({"member_id": ["M1", "M2", ""], "volunteer_id": ["V1", "V1", "V3"],
                  "elder_id": ["", "E2", ""]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputError) as caught:
        read_members(tmp_path / "m.csv")
    text = str(caught.value)
    assert 'm.csv, row 3, column volunteer_id: "V1" is linked to members M1 (row 2) and M2' \
        in text
    assert "m.csv, row 4, column member_id: is empty" in text


# -- double entry on random operation sequences ---------------------------------------------

MEMBERS = ("A", "B", "C")
member = st.sampled_from(MEMBERS)
minutes = st.integers(1, 400)
operation = st.one_of(
    st.tuples(st.just("serve"), member, minutes, st.integers(0, 900)),
    st.tuples(st.just("receive"), member, member, minutes, st.integers(0, 900)),
    st.tuples(st.just("redeem"), member, minutes),
    st.tuples(st.just("transfer"), member, member, minutes),
    st.tuples(st.just("donate"), member, minutes),
    st.tuples(st.just("expire"), st.integers(0, 1200)),
)
START = dt.date(2026, 1, 1)
CAP_HOURS = 10  # 600 minutes: the cap binds often


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=25))
def test_the_ledger_balances_to_zero_after_every_operation(ops):
    """Whatever is done, accepted or refused: the accounts sum to zero, every seal holds, no
    member is below zero or above the cap, and each accepted move changes exactly the two
    balances it names."""
    rules = TimebankRules(balance_cap_hours=CAP_HOURS, expiry_years=1)
    with tempfile.TemporaryDirectory() as folder, \
            open_ledger(Path(folder) / "L.sqlite", rules) as ledger:
        every_operation_balances(ledger, ops)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(operation, min_size=1, max_size=25))
def test_the_ledger_balances_to_zero_after_every_operation_in_postgresql(postgres_url, ops):
    """The same property with the ledger in PostgreSQL (a schema of its own each time)."""
    rules = TimebankRules(balance_cap_hours=CAP_HOURS, expiry_years=1)
    with open_ledger(postgres_url, rules, schema=f"p{uuid.uuid4().hex[:16]}") as ledger:
        every_operation_balances(ledger, ops)


def every_operation_balances(ledger: Ledger, ops: list[tuple]) -> None:
    """Do ``ops`` one by one, checking after each what the property says."""
    for op in ops:
        before = ledger.balances_minutes()
        day = START.isoformat()
        kind, moved = op[0], None
        try:
            if kind == "serve":
                day = (START + dt.timedelta(days=op[3])).isoformat()
                ledger.record(served((day, op[1], "E0", op[2], None)))
                moved = {op[1]: op[2]}
            elif kind == "receive":  # op[1] serves an elder whose account is op[2]'s
                day = (START + dt.timedelta(days=op[4])).isoformat()
                ledger.record(served((day, op[1], "E-" + op[2], op[3], None)),
                              accounts={"E-" + op[2]: op[2]})
            elif kind == "redeem":
                ledger.redeem(op[1], op[2], day)
                moved = {op[1]: -op[2]}
            elif kind == "transfer":
                ledger.transfer(op[1], op[2], op[3], day)
                moved = {op[1]: -op[3], op[2]: op[3]}
            elif kind == "donate":
                ledger.donate(op[1], op[2], day)
                moved = {op[1]: -op[2]}
            else:
                ledger.expire(START + dt.timedelta(days=op[1]))
        except InputError:
            assert ledger.balances_minutes() == before  # refused: nothing changed
            continue
        after = ledger.balances_minutes()
        assert ledger.total() == 0
        # every write sealed: the seals made from the rows as written are the seals of
        # the rows read back
        assert ledger.verify()[0] == []
        assert all(0 <= after[m] <= CAP_HOURS * 60 for m in after if m != POOL)
        if moved is not None:
            for m in MEMBERS:
                assert after.get(m, 0) == before.get(m, 0) + moved.get(m, 0)


# -- a process killed in the middle of a large recording ------------------------------------

KILLED_RECORDING = """
import sys
import pandas as pd
from matching.ledger import open_ledger
from matching.ledger.done import Recording
n = int(sys.argv[2])
rows = pd.DataFrame({
    "activity_key": [f"big|{i}" for i in range(n)], "date": "2026-05-01", "activity": "visit",
    "volunteer_id": [f"V{i % 5000}" for i in range(n)],
    "elder_id": [f"E{i % 9000}" for i in range(n)], "status": "done",
    "credited_to": [f"V{i % 5000}" for i in range(n)], "minutes": 60,
    "credit": 60, "rating": None, "comment": ""})
with open_ledger(sys.argv[1]) as ledger:
    # a small page cache spills the transaction's pages into the file before it commits
    ledger.conn.execute("PRAGMA cache_size = 64")
    ledger.record(Recording("big.csv", rows))
print("finished")
"""
#: Rows in the recording that is killed: enough that it runs for several seconds.
KILLED_ROWS = 300_000
#: How long the recording runs, after its pages began reaching the file, before it is killed.
KILL_AFTER_SECONDS = 0.5


@pytest.mark.slow
def test_a_recording_killed_midway_leaves_the_ledger_as_it_was(tmp_path):
    """SIGKILL a 300,000-row recording half a second after its pages began reaching the file
    (the rollback journal on disk): the next open rolls the hot journal back, and every table
    is exactly as before."""
    db = tmp_path / "ledger.sqlite"
    schedule, done = write_rota(tmp_path)
    with open_ledger(db) as ledger:
        ledger.record(read_done(schedule, done))
        ledger.redeem("V2", 30, "2026-04-05", "haircut")
        before = snapshot(ledger)
    journal = db.with_name(db.name + "-journal")
    untouched = db.read_bytes()
    process = subprocess.Popen([sys.executable, "-c", KILLED_RECORDING, str(db),
                                str(KILLED_ROWS)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.monotonic() + 120
    # wait until the transaction's pages reach the file itself, then cut it a little later
    while (not journal.exists() or db.stat().st_size == len(untouched)) and \
            process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the recording ended before it could be killed"
    time.sleep(KILL_AFTER_SECONDS)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    assert journal.exists()  # a hot journal: the transaction was cut in the middle
    assert db.read_bytes() != untouched  # and pages of it had already reached the file
    with open_ledger(db, create=False) as ledger:
        assert same(snapshot(ledger), before)
        assert ledger.total() == 0
    assert not journal.exists()


# -- the file itself ----------------------------------------------------------------------------

def test_a_version_1_ledger_is_migrated_forward_with_its_entries(tmp_path):
    """A file of schema 1 (accounts, transactions, entries) holding one 60-minute service for
    V1 opens as the newest schema with the same balance, sealed, and takes a recording."""
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[1])
    conn.executescript(
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "INSERT INTO accounts (account_id, kind) VALUES ('V1', 'member');"
        "INSERT INTO transactions (tx_id, date, kind) VALUES (1, '2025-12-01', 'service');"
        "INSERT INTO entries (tx_id, account_id, minutes) VALUES (1, 'V1', 60), (1, 'pool', -60);")
    conn.close()
    schedule, done = write_rota(tmp_path)
    with open_ledger(db, create=False) as ledger:
        version = ledger.conn.execute("SELECT value FROM meta WHERE key = "
                                      "'schema_version'").fetchone()[0]
        assert int(version) == SCHEMA_VERSION == 4
        assert ledger.balances_minutes() == {"V1": 60, POOL: -60}
        # the migration sealed the old transaction, and the recording seals its own
        assert ledger.verify()[0] == []
        ledger.record(read_done(schedule, done))
        assert ledger.balances_minutes() == {"V1": 120, "V2": 145, POOL: -265}
        assert ledger.verify()[0] == []
        assert ledger.conn.execute("SELECT COUNT(*) FROM seals").fetchone()[0] == 2


def test_files_that_are_not_ledgers_are_refused(tmp_path, capsys):
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                       "INSERT INTO meta VALUES ('schema_version', '5');")
    conn.close()
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, just some words " * 40)
    assert main(["ledger", "balance", "--db", str(newer)]) == 2
    assert "newer.sqlite: was written by a newer matching (schema 5" in capsys.readouterr().err
    assert main(["ledger", "balance", "--db", str(text)]) == 2
    assert "notes.sqlite: is not a ledger" in capsys.readouterr().err
    assert main(["ledger", "balance", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "none.sqlite: no ledger here" in capsys.readouterr().err


def test_export_writes_every_table_as_csv_and_as_a_workbook(tmp_path):
    schedule, done = write_rota(tmp_path)
    db = tmp_path / "L.sqlite"
    assert record(db, schedule, done) == 0
    assert main(["ledger", "export", "--db", str(db), "--out", str(tmp_path / "x")]) == 0
    assert main(["ledger", "export", "--db", str(db), "--out", str(tmp_path / "x.xlsx")]) == 0
    entries = pd.read_csv(tmp_path / "x" / "entries.csv")
    assert len(entries) == 6 and entries["minutes"].sum() == 0  # 3 services, 2 entries each
    book = pd.read_excel(tmp_path / "x.xlsx", sheet_name=None, engine="openpyxl")
    assert set(book) == {"accounts", "transactions", "entries", "activities", "batches",
                         "balances"}
    assert len(book["activities"]) == 4


def test_a_formula_in_a_comment_stays_text_in_the_workbook(tmp_path):
    """A comment typed as =HYPERLINK(...) is exported as text, never as a formula."""
    marked = [(*MARKED[0][:8], '=HYPERLINK("http://evil.example","x")'), *MARKED[1:]]
    schedule, done = write_rota(tmp_path, marked=marked)
    db = tmp_path / "L.sqlite"
    assert record(db, schedule, done) == 0
    assert main(["ledger", "export", "--db", str(db), "--out", str(tmp_path / "x.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx")["activities"]
    cells = [c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert len(cells) == 1
    assert cells[0].data_type == "s" and cells[0].value.startswith("'=HYPERLINK")


def test_expiry_takes_the_oldest_credits_left(ledgers):
    """Expiry after 1 year. V1 earned 60 min on 2026-04-01 and spent 20. On 2027-04-02 the
    2026 credit is over a year old: the 40 minutes left of it expire."""
    with ledgers.open("L", TimebankRules(expiry_years=1)) as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))
        ledger.redeem("V1", 20, "2026-06-01")
        assert ledger.expire(dt.date(2027, 3, 31)) == {}  # 364 days on: not yet
        assert ledger.expire(dt.date(2027, 4, 2)) == {"V1": 40}
        assert ledger.balances().set_index("member_id").loc["V1", "expired_hours"] == 0.67
        assert ledger.total() == 0


# -- feedback into planning: each rule binds, and does not -------------------------------------

def ledger_with(path: Path, *rows: tuple, rules: TimebankRules | None = None) -> Ledger:
    ledger = open_ledger(path, rules)
    ledger.record(served(*rows))
    return ledger


def test_two_low_ratings_in_a_quarter_refuse_and_one_does_not(tmp_path):
    """Ratings of 2 and 1 for V1 at E1 within 91 days: the pair refuses. A single 2 (with a
    4) does not, and two lows more than 91 days before the last day recorded do not."""
    two = ledger_with(tmp_path / "a.sqlite", ("2026-04-01", "V1", "E1", 60, 2),
                      ("2026-05-01", "V1", "E1", 60, 1), ("2026-05-02", "V2", "E2", 60, 2))
    assert low_rated_pairs(two)[["volunteer_id", "elder_id", "low_ratings"]].values.tolist() \
        == [["V1", "E1", 2]]
    one = ledger_with(tmp_path / "b.sqlite", ("2026-04-01", "V1", "E1", 60, 2),
                      ("2026-05-01", "V1", "E1", 60, 4))
    assert low_rated_pairs(one).empty
    old = ledger_with(tmp_path / "c.sqlite", ("2026-01-01", "V1", "E1", 60, 2),
                      ("2026-01-02", "V1", "E1", 60, 2), ("2026-06-01", "V3", "E3", 60, 5))
    assert low_rated_pairs(old).empty  # 2026-06-01 less 91 days is 2026-03-02
    for ledger in (two, one, old):
        ledger.close()


def _replan_world(tmp_path: Path):
    """V1 0.4 km east and V2 0.5 km west of E1; E1 was with V1 before."""
    vols = volunteers({"x": 0.4}, {"x": -0.5})
    elds = elders({"x": 0.0})
    vols.to_csv(tmp_path / "v.csv", index=False)
    elds.to_csv(tmp_path / "e.csv", index=False)
    relations().to_csv(tmp_path / "r.csv", index=False)
    return matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")


@pytest.mark.parametrize("low_ratings, expected", [(2, "V2"), (1, "V1")])
def test_the_next_replan_moves_a_pair_rated_low_twice(tmp_path, low_ratings, expected):
    """E1 rated V1 at 2 twice: at the re-plan the pair refuses and E1 goes to V2, with the
    reason in changes.csv. Rated low once: E1 stays with V1. The independent checker reads
    the relations the ledger made."""
    world = _replan_world(tmp_path)
    ratings = [2] * low_ratings + [5] * (2 - low_ratings)
    ledger = ledger_with(tmp_path / "L.sqlite", ("2026-04-01", "V1", "E1", 60, ratings[0]),
                         ("2026-04-08", "V1", "E1", 60, ratings[1]))
    changed, feedback = apply_feedback(world, ledger)
    ledger.close()
    result = replan(changed, {"E1": "V1"}, set(), reasons=feedback.reasons())
    assert result.assignments["volunteer_id"].tolist() == [expected]
    if expected == "V2":
        assert result.changes["reason"].tolist() == [
            "the pair with V1 is no longer eligible: the elder rated it 2 or lower 2 times "
            "since 2026-01-07; now with V2"]
        # counting causes counts the ratings, not the bare ineligibility
        assert result.changes["cause_code"].tolist() == ["change.rated_low"]
    else:
        assert result.changes.empty
    rels = changed.sources.get("relations", relations())
    rels.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "plan"
    out.mkdir()
    for name in ("assignments", "unassigned", "changes"):
        getattr(result, name).to_csv(out / f"{name}.csv", index=False)
    pd.DataFrame({"elder_id": ["E1"], "volunteer_id": ["V1"]}).to_csv(tmp_path / "prev.csv",
                                                                      index=False)
    pd.DataFrame({"volunteer_id": []}).to_csv(tmp_path / "leaving.csv", index=False)
    report = checker.check_replan(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv",
                                  None, tmp_path / "prev.csv", tmp_path / "leaving.csv", out)
    assert report.ok, report.text()


@pytest.mark.parametrize("earned_hours, bonus, covered", [
    (99, 0, "E1"),    # 99 / 100 rounds down to no bonus: the nearer E1 is covered
    (100, 1, "E2"),   # +1: E2's priority 2 beats E1's 1
    (300, 2, "E2"),   # 3 per 100 h, but at most +2
])
def test_banked_hours_raise_an_elders_priority(plan, tmp_path, earned_hours, bonus, covered):
    """One volunteer with room for one elder; E1 at 0.5 km, E2 at 1 km, both priority 1. E2
    is member M1, who banked ``earned_hours`` as volunteer V9 years ago."""
    vols = volunteers({"x": 0, "max_elders": 1})
    elds = elders({"x": 0.5, "priority": 1}, {"x": 1.0, "priority": 1})
    vols.to_csv(tmp_path / "v.csv", index=False)
    elds.to_csv(tmp_path / "e.csv", index=False)
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv")
    members = pd.DataFrame({"member_id": ["M1", "M1"], "volunteer_id": ["V9", ""],
                            "elder_id": ["", "E2"]})
    ledger = ledger_with(tmp_path / "L.sqlite",
                         *[("2020-01-01", "V9", "", 60, None)] * earned_hours)
    assert banked_bonus(ledger, world, members)["bonus"].tolist() == ([bonus] if bonus else [])
    changed, _ = apply_feedback(world, ledger, members)
    ledger.close()
    result = plan(vols, changed.sources["elders"])
    assert result.assignments["elder_id"].tolist() == [covered]
    assert changed.sources["elders"].set_index("elder_id").loc["E2", "priority"] == \
        str(1 + bonus)


@pytest.mark.parametrize("recent, expected", [
    ({"V1": 10.0, "V2": 2.0}, "V2"),  # V2 served less lately: E1 goes to V2
    ({"V1": 2.0, "V2": 10.0}, "V1"),  # V1 served less lately: E1 goes to V1
])
def test_fairness_picks_the_volunteer_who_served_less_when_equally_good(tmp_path, recent,
                                                                        expected):
    """V1 1 km east and V2 1 km west of E1: equally good. The one who served fewer hours
    lately takes E1; priority and cost are unchanged."""
    vols = volunteers({"x": 1.0}, {"x": -1.0})
    check_fairness(tmp_path, vols, recent, expected)


def test_fairness_never_changes_the_cost(tmp_path):
    """V2 at 1.2 km is worse than V1 at 1 km: although V1 served more lately, E1 stays."""
    vols = volunteers({"x": 1.0}, {"x": -1.2})
    check_fairness(tmp_path, vols, {"V1": 10.0, "V2": 2.0}, "V1")


def check_fairness(tmp_path: Path, vols: pd.DataFrame, recent: dict[str, float],
                   expected: str) -> None:
    elds = elders({"x": 0.0})
    vols.to_csv(tmp_path / "v.csv", index=False)
    elds.to_csv(tmp_path / "e.csv", index=False)
    world = matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv")
    result = matching.solve(matching.build_problem(world))
    fair = even_out(result, recent)
    assert fair.assignments["volunteer_id"].tolist() == [expected]
    before, after = result.assignments, fair.assignments
    assert after["priority"].sum() == before["priority"].sum()
    assert after["cost_km"].sum() == pytest.approx(before["cost_km"].sum(), abs=1e-9)
    RunFolder.for_pairing(fair).write(tmp_path / "plan")
    report = checker.check_pairing(tmp_path / "v.csv", tmp_path / "e.csv", None, None,
                                   tmp_path / "plan")
    assert report.ok, report.text()


def test_timebank_settings_in_a_scenario_are_checked(tmp_path, capsys):
    """A bad [timebank] rule is named with its file and line, exit 2."""
    (tmp_path / "v.csv").write_text("volunteer_id\n")
    (tmp_path / "e.csv").write_text("elder_id\n")
    (tmp_path / "s.toml").write_text('[inputs]\nvolunteers = "v.csv"\nelders = "e.csv"\n\n'
                                     "[timebank]\nlow_rating = 7\n", encoding="utf-8")
    assert main(["ledger", "init", "--db", str(tmp_path / "L.sqlite"), "--scenario",
                 str(tmp_path / "s.toml")]) == 2
    assert "s.toml: key timebank.low_rating (line 6) must be 1 to 5, not 7" in \
        capsys.readouterr().err
    assert not (tmp_path / "L.sqlite").exists()


def test_a_marked_rota_as_an_office_spreadsheet(tmp_path):
    """The same four rows as an Excel workbook marked in Chinese: 完成/缺席/代替, activities by
    their rota names, dates as 2026/4/1 or a spreadsheet's midnight. The credits are the same
    as from the CSV: V1 60 min, V2 145 min."""
    schedule, _ = write_rota(tmp_path)
    marked = pd.DataFrame([
        ("2026/4/1", "上门探访", "V1", "E1", "完成", "", "", "5", ""),
        ("2026-04-01 00:00:00", "问候电话", "V1", "E1", "缺席", "", "", "", ""),
        ("2026年4月2日", "Home visit", "V1", "E2", "代替", "V2", "45", "2", "迟到了"),
        ("2026.4.3", "service", "V2", "E2", "Done", "", "100", "", "")], columns=DONE_COLUMNS)
    marked.to_excel(tmp_path / "marked.xlsx", index=False)
    with open_ledger(tmp_path / "L.sqlite") as ledger:
        counts = ledger.record(read_done(schedule, tmp_path / "marked.xlsx"))
        assert (counts["done"], counts["missed"], counts["replaced"]) == (2, 1, 1)
        assert ledger.balances_minutes() == {"V1": 60, "V2": 145, POOL: -205}


def test_schedule_with_the_ledger_refuses_a_pair_rated_low_twice(tmp_path, capsys):
    """The assignments still pair E1 with V1, whom E1 rated 2 twice: the schedule names the row
    and writes nothing; without the ledger it plans."""
    _replan_world(tmp_path)
    pd.DataFrame({"elder_id": ["E1"], "volunteer_id": ["V1"]}).to_csv(tmp_path / "a.csv",
                                                                      index=False)
    ledger_with(tmp_path / "L.sqlite", ("2026-04-01", "V1", "E1", 60, 2),
                ("2026-04-08", "V1", "E1", 60, 2)).close()
    args = ["schedule", "--volunteers", str(tmp_path / "v.csv"), "--elders",
            str(tmp_path / "e.csv"), "--assignments", str(tmp_path / "a.csv"), "--start",
            "2026-06-29", "--weeks", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "s1"), "--ledger",
                 str(tmp_path / "L.sqlite")]) == 2
    assert 'a.csv, row 2, column volunteer_id: "V1" may not serve elder E1: the elder ' \
           "refuses this volunteer" in capsys.readouterr().err
    assert not (tmp_path / "s1").exists()
    assert main([*args, "--out", str(tmp_path / "s2")]) == 0


def test_transfers_and_donations_can_be_switched_off(ledgers):
    rules = TimebankRules(transfers=False, donations=False)
    with ledgers.open("L", rules) as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))
        with pytest.raises(InputError, match="transfers are off"):
            ledger.transfer("V1", "M2", 30, "2026-04-02")
        with pytest.raises(InputError, match="donations are off"):
            ledger.donate("V1", 30, "2026-04-02")
        assert ledger.balances_minutes() == {"V1": 60, POOL: -60}
    with ledgers.open("L") as ledger:  # the rules stay with the ledger
        assert ledger.rules.transfers is False


def test_a_new_ledger_opened_by_many_at_once_is_made_once(ledgers):
    """Issue 30's load benchmark found it: two pages opening a ledger that did not exist
    yet both made its tables ("table meta already exists", a 500). The version is read
    again under the write lock (PostgreSQL: the tables are made under the schema's lock)."""
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def open_it() -> None:
        barrier.wait()
        try:
            with ledgers.open("L") as ledger:
                ledger.balances()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
