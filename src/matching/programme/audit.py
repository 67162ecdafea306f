"""The audit log: every act on a programme, who did it, when, and the state before and
after, append-only and hash-chained.

Each entry holds the SHA-256 of the one before it and of its own fields, so that an entry
changed, removed or slipped in behind the database's back breaks the chain at that entry;
the database itself refuses an UPDATE or DELETE (triggers). :func:`verify_data` checks the
chain and every programme's time-bank ledger, and gives the head hash to copy into a monthly
report: the same head later proves that nothing before it changed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from matching.ledger import open_ledger
from matching.ledger.schema import statements
from matching.ledger.seal import GENESIS, Breach
from matching.outputs.write import PrivateDatabase

#: The log's file in a console's data folder.
AUDIT_FILE = "audit.sqlite"

#: Where each programme's ledger lies under the data folder, and an alliance's one ledger.
LEDGER_GLOB = "programmes/*/timebank/ledger.sqlite"
ALLIANCE_LEDGER = "alliance/ledger.sqlite"

#: The most entries one read returns.
MOST_ENTRIES = 10_000

#: The columns of an entry, in the order they are hashed.
FIELDS = ("at", "actor", "action", "programme", "subject", "before", "after")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    programme TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    before TEXT NOT NULL DEFAULT 'null',
    after TEXT NOT NULL DEFAULT 'null',
    previous TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_programme ON entries (programme, at);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

#: The schema the audit log lives in, in PostgreSQL (``matching serve --database``).
AUDIT_SCHEMA = "matching_audit"

#: The same table in PostgreSQL.
_PG_TABLES = """
CREATE TABLE entries (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    programme TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    before TEXT NOT NULL DEFAULT 'null',
    after TEXT NOT NULL DEFAULT 'null',
    previous TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX entries_by_programme ON entries (programme, at);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""


def command_line_actor() -> str:
    """Who acts from the command line: ``cli:`` and the system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def entry_hash(previous: str, values: tuple[str, ...]) -> str:
    """An entry's hash: of the one before it and of its fields, in :data:`FIELDS` order."""
    text = json.dumps([previous, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class Entry:
    """One act: its number, when (UTC), who, what, on which programme and subject, and the
    state before and after (JSON values)."""

    seq: int
    at: str
    actor: str
    action: str
    programme: str = ""
    subject: str = ""
    before: object = None
    after: object = None
    hash: str = field(default="", repr=False)

    def as_json(self) -> dict[str, object]:
        """The entry as the API gives it."""
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
                "programme": self.programme, "subject": self.subject,
                "before": self.before, "after": self.after, "hash": self.hash}


class AuditLog(PrivateDatabase):
    """The audit log of one data folder (an SQLite file, owner-only, in WAL mode so that
    a backup reads it while it is written), or of a PostgreSQL database.

    Parameters
    ----------
    path
        The file; made (0600) if missing.
    database
        A ``postgresql://`` address instead: the log is its schema :data:`AUDIT_SCHEMA`.
    """

    def __init__(self, path: str | Path, *, database: str = "") -> None:
        super().__init__(path, database=database, pg_schema=AUDIT_SCHEMA,
                         pg_tables=_PG_TABLES)
        if not database:
            self._conn.execute("PRAGMA journal_mode = WAL")
            for statement in statements(_SCHEMA):
                self._conn.execute(statement)

    def append(self, actor: str, action: str, programme: str = "", subject: str = "",
               before: object = None, after: object = None) -> Entry:
        """Log one act; the entry written."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        values = (at, actor, action, programme, subject, _json(before), _json(after))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
                previous = row[0] if row else GENESIS
                value = entry_hash(previous, values)
                seq = int(self._conn.execute(
                    "INSERT INTO entries (seq, at, actor, action, programme, subject, before, "
                    "after, previous, hash) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM "
                    "entries), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (*values, previous, value)).fetchone()[0])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return Entry(seq, at, actor, action, programme, subject, before, after, value)

    def entries(self, *, programme: str | None = None, actor: str | None = None,
                action: str | None = None, since: str | None = None,
                until: str | None = None, limit: int = MOST_ENTRIES) -> list[Entry]:
        """Entries, oldest first, filtered: ``actor`` and ``action`` match a part of the
        text; ``since`` and ``until`` are ISO dates (inclusive)."""
        where, args = [], []
        if programme is not None:
            where.append("programme = ?")
            args.append(programme)
        for column, value in (("actor", actor), ("action", action)):
            if value:
                where.append(f"instr({column}, ?) > 0")
                args.append(value)
        if since:
            where.append("at >= ?")
            args.append(since)
        if until:
            where.append("substr(at, 1, 10) <= ?")
            args.append(until)
        sql = ("SELECT seq, at, actor, action, programme, subject, before, after, hash FROM "
               "entries" + (" WHERE " + " AND ".join(where) if where else "") +
               " ORDER BY seq LIMIT ?")
        with self._lock:
            rows = self._conn.execute(sql, [*args, min(limit, MOST_ENTRIES)]).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]),
                      r[8]) for r in rows]

    def count(self) -> int:
        """How many entries the log holds."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def verify(self) -> tuple[list[Breach], str]:
        """Check the chain from the first entry: the breaches (the first bad entry
        first), and the head hash."""
        breaches = []
        previous = GENESIS
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, at, actor, action, programme, subject, before, after, previous, "
                "hash FROM entries ORDER BY seq").fetchall()
        expected_seq = 1
        for seq, *values, prev, value in rows:
            if seq != expected_seq:
                breaches.append(Breach(f"audit entry {expected_seq}", "is missing"))
            expected_seq = seq + 1
            if prev != previous:
                breaches.append(Breach(f"audit entry {seq}",
                                       "does not follow the entry before it"))
            if entry_hash(prev, tuple(values)) != value:
                breaches.append(Breach(f"audit entry {seq}", "was changed after it was "
                                                             "written"))
            previous = value
        return breaches, previous


@dataclass
class Verification:
    """What :func:`verify_data` found: the breaches, the audit log's head hash and entry
    count, and each ledger's head hash and total (always zero when whole)."""

    breaches: list[Breach]
    head: str
    entries: int
    ledgers: dict[str, tuple[str, int]]

    @property
    def whole(self) -> bool:
        """Whether nothing is wrong."""
        return not self.breaches


def verify_data(data: str | Path) -> Verification:
    """Check a console data folder: the audit log's chain, and each programme's ledger
    (its seals, every row sealed, every transaction balanced, the total zero).

    ``data`` may also be one ledger file."""
    data = Path(data)
    breaches: list[Breach] = []
    ledgers: dict[str, tuple[str, int]] = {}
    head, count = GENESIS, 0
    files = [data] if data.is_file() else sorted(data.glob(LEDGER_GLOB)) + (
        [data / ALLIANCE_LEDGER] if (data / ALLIANCE_LEDGER).is_file() else [])
    if data.is_dir() and (data / AUDIT_FILE).is_file():
        with AuditLog(data / AUDIT_FILE) as log:
            found, head = log.verify()
            breaches += found
            count = log.count()
    for path in files:
        label = path.parent.parent.name if data.is_dir() else path.name
        with open_ledger(path, create=False) as ledger:
            found, ledger_head = ledger.verify()
            total = ledger.total()
        breaches += [Breach(f"{label}: {b.where}", b.what) for b in found]
        if total:
            breaches.append(Breach(f"{label}: ledger", f"its accounts sum to {total} minutes, "
                                                       "not zero"))
        ledgers[label] = (ledger_head, total)
    return Verification(breaches, head, count, ledgers)
