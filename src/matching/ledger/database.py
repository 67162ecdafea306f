"""Where a ledger lives: an SQLite file (the embedded default), or a schema in a PostgreSQL
database (``postgresql://...``) for a county or city served by several console processes.

The ledger speaks one SQL: SQLite's ``?`` placeholders, ``BEGIN IMMEDIATE`` for a write,
``INSERT ... ON CONFLICT``, ``RETURNING`` and ``GROUP_CONCAT``. :class:`PostgresConnection`
takes that SQL and runs it on PostgreSQL: the placeholders become ``%s``, ``GROUP_CONCAT``
``string_agg``, and ``BEGIN IMMEDIATE`` a transaction that first takes the ledger's
advisory lock, so that writers queue one after another exactly as SQLite's write lock
makes them (the caps, a balance, a request's state are read under it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from matching.runtime.extras import optional_module

#: How a PostgreSQL address starts.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

#: The schema a ledger lives in when none is named (``matching ledger --database``).
DEFAULT_SCHEMA = "matching_ledger"

#: The longest name PostgreSQL keeps for a schema (bytes).
MOST_SCHEMA_BYTES = 63

_GROUP_CONCAT = re.compile(r"GROUP_CONCAT\(([^()]*)\)")


class Connection(Protocol):
    """What the ledger asks of a connection: an SQLite one, or :class:`PostgresConnection`."""

    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> Any:
        """Run one statement; a cursor."""

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any:
        """Run one statement for each row."""

    def close(self) -> None:
        """Close it."""


def is_database_url(location: object) -> bool:
    """Whether a ledger's location is a PostgreSQL address rather than a file."""
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def schema_for(name: str) -> str:
    """A schema name for a ledger named ``name`` (a programme's, or an alliance's): the
    name itself when it is plain ASCII that fits, else ``ledger_`` and a digest of it (a
    programme's name may be Chinese and long)."""
    if re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", name):
        return f"ledger_{name}"
    return "ledger_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def safe_url(url: str) -> str:
    """The address without its password, to name in a message."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def translate(sql: str) -> str:
    """The ledger's SQL as PostgreSQL reads it."""
    text = _GROUP_CONCAT.sub(r"string_agg(\1, ',')", sql)
    return text.replace("%", "%%").replace("?", "%s")


class PostgresConnection:
    """A PostgreSQL connection to one ledger's schema that runs the ledger's SQL (see the
    module's docstring). Autocommit: transactions are begun and ended by the ledger, as on
    SQLite with ``isolation_level=None``."""

    dialect = "postgresql"

    def __init__(self, url: str, schema: str) -> None:
        psycopg = optional_module("psycopg", "a ledger in PostgreSQL")
        self._conn = psycopg.connect(url, autocommit=True)
        _numbers_as_python(self._conn)
        identifier = psycopg.sql.Identifier(schema)
        self.schema = schema
        # one lock per ledger, whatever process holds it
        self.lock_key = int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big",
                                       signed=True)
        self._conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(identifier))
        self._conn.execute(psycopg.sql.SQL("SET search_path TO {}").format(identifier))

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Any:
        """Run one statement of the ledger's SQL; the cursor."""
        if sql.strip().upper() == "BEGIN IMMEDIATE":
            cursor = self._conn.execute("BEGIN")
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
            return cursor
        return self._conn.execute(translate(sql), tuple(args) or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any:
        """Run one statement for each of ``rows``."""
        cursor = self._conn.cursor()
        rows = [tuple(r) for r in rows]
        if rows:
            cursor.executemany(translate(sql), rows)
        return cursor

    def run_script(self, script: str) -> None:
        """Run statements as they are written (PostgreSQL's own SQL, no parameters)."""
        self._conn.execute(script)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _numbers_as_python(conn: Any) -> None:
    """Sums come back as whole numbers (``int``) or ``float``, as SQLite gives them, not
    as ``Decimal``: the seals hash what is read, and the figures are added to ints."""
    psycopg = optional_module("psycopg", "a ledger in PostgreSQL")

    class NumberLoader(psycopg.adapt.Loader):  # type: ignore[name-defined]
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode("ascii")
            return float(text) if any(c in text for c in ".eEN") else int(text)

    conn.adapters.register_loader("numeric", NumberLoader)


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
