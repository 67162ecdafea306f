"""Where the console's records live: SQLite files (the embedded default), or schemas of a
PostgreSQL database (``postgresql://...``) for a county or city served by several console
processes: the time-bank ledger, a programme's changes, the audit log.

They speak one SQL: SQLite's ``?`` placeholders, ``BEGIN IMMEDIATE`` for a write,
``INSERT ... ON CONFLICT``, ``RETURNING``, ``GROUP_CONCAT`` and ``instr``.
:class:`PostgresConnection` takes that SQL and runs it on PostgreSQL: the placeholders
become ``%s``, ``GROUP_CONCAT`` ``string_agg``, ``instr`` ``strpos``, and ``BEGIN
IMMEDIATE`` a transaction that first takes the schema's advisory lock, so that writers queue
one after another exactly as SQLite's write lock makes them (a ledger's caps, a balance, a
request's state are read under it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from matching.runtime.extras import optional_module

#: How a PostgreSQL address starts.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

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


def schema_for(name: str, kind: str = "ledger") -> str:
    """A schema name for ``kind`` (``ledger``, ``changes``) of ``name`` (a programme's, or
    an alliance's): ``kind_name`` when the name is plain ASCII that fits, else ``kind_`` and
    a digest of it (a programme's name may be Chinese and long)."""
    if re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", name):
        return f"{kind}_{name}"
    return f"{kind}_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def safe_url(url: str) -> str:
    """The address without its password, to name in a message."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def translate(sql: str) -> str:
    """The ledger's SQL as PostgreSQL reads it."""
    text = _GROUP_CONCAT.sub(r"string_agg(\1, ',')", sql).replace("instr(", "strpos(")
    return text.replace("%", "%%").replace("?", "%s")


class PostgresConnection:
    """A PostgreSQL connection to one schema that runs the SQLite-flavoured SQL (see the
    module's docstring). Autocommit: transactions are begun and ended by the caller, as on
    SQLite with ``isolation_level=None``."""

    dialect = "postgresql"

    def __init__(self, url: str, schema: str) -> None:
        psycopg = optional_module("psycopg", "records in PostgreSQL (--database)")
        self._conn = psycopg.connect(url, autocommit=True)
        _numbers_as_python(self._conn)
        identifier = psycopg.sql.Identifier(schema)
        self.schema = schema
        # one lock per schema, whatever process holds it
        self.lock_key = int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big",
                                       signed=True)
        # two processes making the schema at once would collide: one after the other
        self._conn.execute("SELECT pg_advisory_lock(%s)", (self.lock_key,))
        try:
            self._conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}")
                               .format(identifier))
        finally:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.lock_key,))
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
    psycopg = optional_module("psycopg", "records in PostgreSQL (--database)")

    class NumberLoader(psycopg.adapt.Loader):  # type: ignore[name-defined]  # an optional module
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode("ascii")
            return float(text) if any(c in text for c in ".eEN") else int(text)

    conn.adapters.register_loader("numeric", NumberLoader)




def has_table(conn: PostgresConnection, table: str) -> bool:
    """Whether the schema has ``table``: read from the catalog as of this statement (a name
    lookup might still see the catalog as it was before another process made it)."""
    return conn.execute("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
                        "current_schema() AND tablename = ?", (table,)).fetchone() is not None


def ensure_tables(conn: PostgresConnection, script: str, first_table: str) -> bool:
    """Make the tables of ``script`` unless ``first_table`` is there (under the schema's
    lock: two processes starting at once make them once); whether they were made."""
    if has_table(conn, first_table):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        made = not has_table(conn, first_table)
        if made:
            conn.run_script(script)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return made
