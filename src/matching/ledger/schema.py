"""The ledger's tables in SQLite, and the migrations that bring an older file forward.

Double entry: every transaction has entries whose minutes sum to zero, so the sum over all
accounts is always zero. Minutes are whole numbers (an hour is 60); hours are only shown.

Version 1 holds the accounts, the transactions and their entries; version 2 adds the rota
rows recorded (done, missed, replaced, with their ratings) and the batches they came in;
version 3 makes the ledger append-only (the database refuses an UPDATE or DELETE of a
recorded row), lets a batch be reversed by a later one, and seals every write in a hash
chain (:mod:`matching.ledger.seal`) so that an edit made around the triggers is found.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from matching.ledger.seal import seal_existing
from matching.outputs.write import private_folders
from matching.rules.errors import InputError
from matching.runtime.database import (
    Connection,
    PostgresConnection,
    has_table,
    is_database_url,
    safe_url,
)

#: The schema this version of matching writes; older files are migrated forward on opening.
SCHEMA_VERSION = 4

#: The tables whose rows, once written, are never changed or removed.
APPEND_ONLY = ("accounts", "transactions", "entries", "batches", "activities", "seals")
#: The exchange's tables (version 4), append-only too: a request's life is its events.
EXCHANGE_TABLES = ("requests", "request_events")


def _append_only(tables: tuple[str, ...]) -> str:
    return "".join(f"""
    CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {table} rows are never changed'); END;
    CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {table} rows are never removed'); END;
    """ for table in tables)


MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('member', 'pool')),
        name TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE transactions (
        tx_id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('service', 'redeem', 'transfer', 'donation',
                                           'expiry')),
        source TEXT NOT NULL DEFAULT '',
        memo TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE entries (
        entry_id INTEGER PRIMARY KEY,
        tx_id INTEGER NOT NULL REFERENCES transactions (tx_id),
        account_id TEXT NOT NULL REFERENCES accounts (account_id),
        minutes INTEGER NOT NULL
    );
    CREATE INDEX entries_by_account ON entries (account_id);
    INSERT INTO accounts (account_id, kind, name) VALUES ('pool', 'pool', 'programme pool');
    """,
    2: """
    CREATE TABLE batches (
        batch_id INTEGER PRIMARY KEY,
        recorded_at TEXT NOT NULL,
        source TEXT NOT NULL,
        rows INTEGER NOT NULL
    );
    CREATE TABLE activities (
        activity_key TEXT PRIMARY KEY,
        date TEXT NOT NULL,
        activity TEXT NOT NULL,
        volunteer_id TEXT NOT NULL,
        elder_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'missed', 'replaced')),
        done_by TEXT NOT NULL,
        minutes INTEGER NOT NULL,
        rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
        comment TEXT NOT NULL DEFAULT '',
        tx_id INTEGER REFERENCES transactions (tx_id),
        batch_id INTEGER NOT NULL REFERENCES batches (batch_id)
    );
    CREATE INDEX activities_by_pair ON activities (volunteer_id, elder_id);
    """,
    # a recorded rota row is no longer unique by its key: a reversed batch frees its rows
    # to be recorded again (the activity's row id is the new key); transactions know
    # their batch, and what they reverse
    3: """
    CREATE TABLE activities_v3 (
        row_id INTEGER PRIMARY KEY,
        activity_key TEXT NOT NULL,
        date TEXT NOT NULL,
        activity TEXT NOT NULL,
        volunteer_id TEXT NOT NULL,
        elder_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'missed', 'replaced')),
        done_by TEXT NOT NULL,
        minutes INTEGER NOT NULL,
        rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
        comment TEXT NOT NULL DEFAULT '',
        tx_id INTEGER REFERENCES transactions (tx_id),
        batch_id INTEGER NOT NULL REFERENCES batches (batch_id)
    );
    INSERT INTO activities_v3 (activity_key, date, activity, volunteer_id, elder_id, status,
        done_by, minutes, rating, comment, tx_id, batch_id)
        SELECT activity_key, date, activity, volunteer_id, elder_id, status, done_by, minutes,
               rating, comment, tx_id, batch_id FROM activities ORDER BY batch_id, rowid;
    DROP TABLE activities;
    ALTER TABLE activities_v3 RENAME TO activities;
    CREATE INDEX activities_by_pair ON activities (volunteer_id, elder_id);
    CREATE INDEX activities_by_key ON activities (activity_key);
    CREATE INDEX activities_by_batch ON activities (batch_id);
    ALTER TABLE batches ADD COLUMN reverses INTEGER REFERENCES batches (batch_id);
    ALTER TABLE batches ADD COLUMN actor TEXT NOT NULL DEFAULT '';
    CREATE UNIQUE INDEX batches_reversed_once ON batches (reverses);
    ALTER TABLE transactions ADD COLUMN batch_id INTEGER REFERENCES batches (batch_id);
    ALTER TABLE transactions ADD COLUMN reverses INTEGER REFERENCES transactions (tx_id);
    UPDATE transactions SET batch_id = (SELECT a.batch_id FROM activities a
        WHERE a.activity_key = transactions.source) WHERE source != '';
    CREATE INDEX transactions_by_batch ON transactions (batch_id);
    CREATE TABLE seals (
        seal_id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        what TEXT NOT NULL,
        first_tx INTEGER NOT NULL,
        last_tx INTEGER NOT NULL,
        first_batch INTEGER NOT NULL,
        last_batch INTEGER NOT NULL,
        previous TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    """ + _append_only(APPEND_ONLY),
    # the exchange (requests, offers, acceptances, confirmations: each an event), the
    # programme each transaction happened in and each member's home programme (one ledger
    # may serve an alliance of programmes), and seals that cover the programme
    4: """
    ALTER TABLE accounts ADD COLUMN programme TEXT NOT NULL DEFAULT '';
    ALTER TABLE transactions ADD COLUMN programme TEXT NOT NULL DEFAULT '';
    ALTER TABLE seals ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE requests (
        request_id INTEGER PRIMARY KEY,
        programme TEXT NOT NULL,
        posted_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        member_id TEXT NOT NULL,
        payer TEXT NOT NULL,
        elder_id TEXT NOT NULL,
        service TEXT NOT NULL,
        first_date TEXT NOT NULL,
        last_date TEXT NOT NULL,
        minutes INTEGER NOT NULL CHECK (minutes > 0)
    );
    CREATE TABLE request_events (
        event_id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL REFERENCES requests (request_id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('offered', 'accepted', 'assigned', 'done',
                                           'confirmed', 'approved', 'cancelled')),
        volunteer_id TEXT NOT NULL DEFAULT '',
        rank INTEGER,
        date TEXT NOT NULL DEFAULT '',
        minutes INTEGER,
        rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
        note TEXT NOT NULL DEFAULT '',
        tx_id INTEGER REFERENCES transactions (tx_id)
    );
    CREATE INDEX request_events_by_request ON request_events (request_id);
    CREATE INDEX requests_by_programme ON requests (programme);
    """ + _append_only(EXCHANGE_TABLES),
}


#: The schema a ledger lives in when none is named (``matching ledger --database``).
DEFAULT_SCHEMA = "matching_ledger"

#: The ledger's tables in PostgreSQL, at schema version 4, all at once (a PostgreSQL ledger
#: starts there: nothing older to migrate). The same tables, columns and rules as the SQLite
#: migrations; ids that the ledger gives itself (transactions, batches, seals, requests)
#: are plain keys, the others count by themselves.
POSTGRES_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('member', 'pool')),
    name TEXT NOT NULL DEFAULT '',
    programme TEXT NOT NULL DEFAULT ''
);
CREATE TABLE batches (
    batch_id BIGINT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    rows BIGINT NOT NULL,
    reverses BIGINT REFERENCES batches (batch_id),
    actor TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX batches_reversed_once ON batches (reverses);
CREATE TABLE transactions (
    tx_id BIGINT PRIMARY KEY,
    date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('service', 'redeem', 'transfer', 'donation', 'expiry')),
    source TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    batch_id BIGINT REFERENCES batches (batch_id),
    reverses BIGINT REFERENCES transactions (tx_id),
    programme TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transactions_by_batch ON transactions (batch_id);
CREATE TABLE entries (
    entry_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tx_id BIGINT NOT NULL REFERENCES transactions (tx_id),
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    minutes BIGINT NOT NULL
);
CREATE INDEX entries_by_account ON entries (account_id);
CREATE INDEX entries_by_tx ON entries (tx_id);
CREATE TABLE activities (
    row_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    activity_key TEXT NOT NULL,
    date TEXT NOT NULL,
    activity TEXT NOT NULL,
    volunteer_id TEXT NOT NULL,
    elder_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'missed', 'replaced')),
    done_by TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    rating BIGINT CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    tx_id BIGINT REFERENCES transactions (tx_id),
    batch_id BIGINT NOT NULL REFERENCES batches (batch_id)
);
CREATE INDEX activities_by_pair ON activities (volunteer_id, elder_id);
CREATE INDEX activities_by_key ON activities (activity_key);
CREATE INDEX activities_by_batch ON activities (batch_id);
CREATE TABLE seals (
    seal_id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    what TEXT NOT NULL,
    first_tx BIGINT NOT NULL,
    last_tx BIGINT NOT NULL,
    first_batch BIGINT NOT NULL,
    last_batch BIGINT NOT NULL,
    previous TEXT NOT NULL,
    hash TEXT NOT NULL,
    form BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE requests (
    request_id BIGINT PRIMARY KEY,
    programme TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    member_id TEXT NOT NULL,
    payer TEXT NOT NULL,
    elder_id TEXT NOT NULL,
    service TEXT NOT NULL,
    first_date TEXT NOT NULL,
    last_date TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes > 0)
);
CREATE INDEX requests_by_programme ON requests (programme);
CREATE TABLE request_events (
    event_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (request_id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('offered', 'accepted', 'assigned', 'done', 'confirmed',
                                       'approved', 'cancelled')),
    volunteer_id TEXT NOT NULL DEFAULT '',
    rank BIGINT,
    date TEXT NOT NULL DEFAULT '',
    minutes BIGINT,
    rating BIGINT CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    note TEXT NOT NULL DEFAULT '',
    tx_id BIGINT REFERENCES transactions (tx_id)
);
CREATE INDEX request_events_by_request ON request_events (request_id);
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % rows are never changed or removed',
        TG_TABLE_NAME;
END $$;
""" + "".join(f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION append_only();
""" for table in ("accounts", "transactions", "entries", "batches", "activities", "seals",
                  "requests", "request_events"))


def connect(path: str | Path, *, create: bool = True,
            schema: str = DEFAULT_SCHEMA) -> Connection:
    """Open the ledger, creating it or migrating it forward as needed: an SQLite file, or
    ``schema`` in the PostgreSQL database at a ``postgresql://`` address.

    Raises
    ------
    InputError
        If the file is not a ledger, or was written by a newer version of matching, or the
        database cannot be reached.
    """
    if is_database_url(path):
        return _connect_postgres(str(path), schema, create)
    path = Path(path)
    name = path.name
    if not path.exists() and not create:
        raise InputError.one(name, "input.no_ledger", path=str(path))
    if path.exists() and path.is_dir():
        raise InputError.one(name, "input.ledger_is_folder")
    private_folders(path.parent)
    if not path.exists():  # members' names and hours: the file is its owner's only
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    # isolation_level=None: transactions are begun and ended explicitly (BEGIN IMMEDIATE)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        version = _version(conn)
    except sqlite3.DatabaseError:
        conn.close()
        raise InputError.one(name, "input.not_a_ledger") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise InputError.one(name, "input.newer_ledger", version=version, most=SCHEMA_VERSION)
    if version < SCHEMA_VERSION:
        migrate(conn, version, SCHEMA_VERSION)
    return conn


def _connect_postgres(url: str, schema: str, create: bool) -> PostgresConnection:
    """The ledger in ``schema`` of a PostgreSQL database, made at the latest version when
    it is not there yet (under the ledger's lock: two consoles starting at once make it
    once)."""
    shown = safe_url(url)
    try:
        conn = PostgresConnection(url, schema)
    except Exception as exc:  # psycopg's errors, and a bad address
        if type(exc).__module__.startswith("psycopg") or isinstance(exc, ValueError):
            raise InputError.one(shown, "input.cannot_open",
                                 detail=str(exc).splitlines()[0] if str(exc) else
                                 type(exc).__name__) from None
        raise
    if not has_table(conn, "meta"):
        if not create:
            conn.close()
            raise InputError.one(shown, "input.no_ledger", path=f"{shown} ({schema})")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not has_table(conn, "meta"):
                conn.run_script(POSTGRES_SCHEMA)
                conn.execute("INSERT INTO accounts (account_id, kind, name) VALUES "
                             "('pool', 'pool', 'programme pool')")
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        conn.close()
        raise InputError.one(shown, "input.newer_ledger", version=int(row[0]),
                             most=SCHEMA_VERSION)
    return conn


def _version(conn: sqlite3.Connection) -> int:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return 0
    if "meta" not in tables:
        raise sqlite3.DatabaseError("no meta table")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def statements(script: str) -> list[str]:
    """The SQL statements of a script, whole (a trigger's body holds semicolons)."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out


def migrate(conn: sqlite3.Connection, start: int, end: int) -> None:
    """Apply the migrations after ``start`` up to ``end``, all in one transaction. The
    version is read again once the write lock is held: another connection may have made
    or migrated the file meanwhile (two pages opening a new ledger at once)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        start = max(start, _version(conn))
        for version in range(start + 1, end + 1):
            for statement in statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES "
                         "('schema_version', ?)", (str(version),))
        if start < 3 <= end:  # sealed in the latest form, once its columns are there
            seal_existing(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
