"""A programme's changes as the console keeps them: one append-only SQLite table of dated
changes (:class:`~matching.programme.roster.Change`), each with who entered it and when.

A change is never taken back by removing it: the database refuses an UPDATE or DELETE, and
a mistake is put right by a later change.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from matching.outputs.write import PrivateDatabase
from matching.programme.roster import Change

_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    entered_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    id TEXT NOT NULL,
    date TEXT NOT NULL,
    until TEXT,
    reason TEXT NOT NULL DEFAULT '',
    row TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER IF NOT EXISTS changes_no_update BEFORE UPDATE ON changes
    BEGIN SELECT RAISE(ABORT, 'changes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS changes_no_delete BEFORE DELETE ON changes
    BEGIN SELECT RAISE(ABORT, 'changes are append-only'); END;
"""

#: The same table in PostgreSQL (``matching serve --database``).
_PG_TABLES = """
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    entered_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    id TEXT NOT NULL,
    date TEXT NOT NULL,
    until TEXT,
    reason TEXT NOT NULL DEFAULT '',
    row TEXT NOT NULL DEFAULT '{}'
);
CREATE FUNCTION changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'changes are append-only'; END $$;
CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_append_only();
"""


@dataclass(frozen=True)
class Entered:
    """A change as entered: its number, when, by whom."""

    seq: int
    entered_at: str
    actor: str
    change: Change

    def as_json(self) -> dict[str, object]:
        """As the API gives it."""
        return {"seq": self.seq, "entered_at": self.entered_at, "actor": self.actor,
                **self.change.as_json()}


class Journal(PrivateDatabase):
    """The changes of one programme (``roster.sqlite`` in its folder, owner-only; or the
    schema ``pg_schema`` of the PostgreSQL database at ``database``)."""

    def __init__(self, path: str | Path, *, database: str = "", pg_schema: str = "") -> None:
        super().__init__(path, _SCHEMA, database=database, pg_schema=pg_schema,
                         pg_tables=_PG_TABLES)

    def add(self, change: Change, actor: str) -> Entered:
        """Keep a checked change; as entered."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            # numbered under the write lock: two consoles adding at once take turns
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                seq = int(self._conn.execute(
                    "INSERT INTO changes (seq, entered_at, actor, kind, person, id, date, "
                    "until, reason, row) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM "
                    "changes), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (now, actor, change.kind, change.person, change.id,
                     change.date.isoformat(),
                     change.until.isoformat() if change.until else None, change.reason,
                     json.dumps(dict(change.row), ensure_ascii=False, sort_keys=True)),
                ).fetchone()[0])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return Entered(seq, now, actor, change)

    def entered(self, after: int = 0) -> list[Entered]:
        """Every change entered after number ``after``, in the order entered."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, entered_at, actor, kind, person, id, date, until, reason, row "
                "FROM changes WHERE seq > ? ORDER BY seq", (after,)).fetchall()
        return [Entered(seq, at, actor, Change(
            kind, person, pid, dt.date.fromisoformat(date),
            dt.date.fromisoformat(until) if until else None, reason, json.loads(row),
            "change", seq)) for seq, at, actor, kind, person, pid, date, until, reason, row
            in rows]

    def changes(self) -> list[Change]:
        """Every change, in the order entered."""
        return [e.change for e in self.entered()]

    def last(self) -> int:
        """The number of the latest change (0 before any)."""
        with self._lock:
            return int(self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes")
                       .fetchone()[0])
