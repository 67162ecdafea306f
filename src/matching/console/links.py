"""Volunteers' personal links, and the marks they send from their phones.

A link is ``/v/{token}``: one per volunteer and programme, the same across re-plans, always
showing the programme's current plan. The token is an HMAC of the programme, the volunteer
and the link's generation under a secret kept in the data folder (owner-only), so the
console can print it again on a rota page without storing it. The store keeps only its
SHA-256; a request's token is hashed, looked up, and compared in constant time. Revoking a
link ends its generation; the next link for that volunteer is a new one. A link stops
working a setting's number of days after the current plan's horizon.

A mark is one activity said done, missed or replaced: it belongs to the activity (its day,
kind, volunteer and elder), not to a run, so a re-plan that keeps the activity keeps the
mark. The same activity marked again replaces the mark (a phone on a flaky connection sends
it twice: it is one mark), until the coordinator approves it into the time bank (then it is
final) or rejects it with a reason (which the phone shows; marking it again sends it anew).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matching.outputs.write import write_private
from matching.world.columns import VOLUNTEER_ID

#: Bytes of the secret the tokens are made from.
SECRET_BYTES = 32

#: Characters of a token (base64url of the HMAC, 192 bits).
TOKEN_CHARS = 32

#: Days a link keeps working after its run's horizon, unless the console is told otherwise.
DEFAULT_LINK_DAYS = 30

#: What a volunteer may say of an activity.
STATUSES = ("done", "missed", "replaced")

#: Bounds of a mark's rating, and of its comment (its minutes are the time bank's rule:
#: :meth:`matching.rules.timebank.TimebankRules.minutes_allowed`).
RATINGS = (1, 5)
COMMENT_CHARS = 200

#: Requests one volunteer's link may take in a minute, and tokens one client address may
#: get wrong in ten minutes, before it is made to wait. (Requests are counted per link, not
#: per address: a hundred phones on an office's wifi share one address.)
REQUESTS_PER_MINUTE = 120
MISSES_PER_TEN_MINUTES = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    run_id TEXT NOT NULL, volunteer_id TEXT NOT NULL, generation INTEGER NOT NULL,
    programme TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, expires TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, volunteer_id, generation));
CREATE TABLE IF NOT EXISTS programme_links (
    programme TEXT NOT NULL, volunteer_id TEXT NOT NULL, generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (programme, volunteer_id, generation));
CREATE TABLE IF NOT EXISTS family_links (
    programme TEXT NOT NULL, elder_id TEXT NOT NULL, generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (programme, elder_id, generation));
CREATE TABLE IF NOT EXISTS confirmations (
    programme TEXT NOT NULL, date TEXT NOT NULL, activity TEXT NOT NULL,
    elder_id TEXT NOT NULL, rating INTEGER, actor TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (programme, date, activity, elder_id));
CREATE TRIGGER IF NOT EXISTS confirmations_no_update BEFORE UPDATE ON confirmations
    BEGIN SELECT RAISE(ABORT, 'a confirmation is never changed'); END;
CREATE TRIGGER IF NOT EXISTS confirmations_no_delete BEFORE DELETE ON confirmations
    BEGIN SELECT RAISE(ABORT, 'a confirmation is never removed'); END;
CREATE TABLE IF NOT EXISTS marks (
    id INTEGER PRIMARY KEY, programme TEXT NOT NULL, run_id TEXT NOT NULL,
    volunteer_id TEXT NOT NULL, date TEXT NOT NULL, activity TEXT NOT NULL,
    elder_id TEXT NOT NULL, status TEXT NOT NULL, done_by TEXT NOT NULL DEFAULT '',
    minutes TEXT NOT NULL DEFAULT '', rating TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,
    approved_batch INTEGER,
    UNIQUE (run_id, volunteer_id, date, activity, elder_id));
CREATE INDEX IF NOT EXISTS marks_by_activity
    ON marks (programme, volunteer_id, date, activity, elder_id);
"""

#: Columns later versions added to ``marks``: a rejection's reason and time.
_ADDED_COLUMNS = {"rejected_reason": "TEXT", "rejected_at": "TEXT"}

#: A rejection's longest reason.
REASON_CHARS = 200


class MarkFinal(ValueError):
    """The activity's mark was approved into the time bank already."""


@dataclass(frozen=True)
class Link:
    """A working link: whose, of which programme (it shows the programme's current plan,
    ``run_id``, filled in by the console when the link is opened)."""

    programme: str
    volunteer_id: str
    run_id: str = ""


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Links:
    """The links and marks of one console (a SQLite file in its data folder)."""

    def __init__(self, root: Path) -> None:
        secret_file = root / "link-secret"
        if not secret_file.is_file():
            write_private(secret_file, secrets.token_bytes(SECRET_BYTES))
        self._secret = secret_file.read_bytes()
        database = root / "links.sqlite"
        if not database.exists():
            write_private(database, b"")
        self._conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._conn.executescript(_SCHEMA)
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(marks)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in have:
                self._conn.execute(f"ALTER TABLE marks ADD COLUMN {column} {kind}")
        self._lock = threading.Lock()

    def _token(self, programme: str, volunteer_id: str, generation: int,
               kind: str = "programme") -> str:
        message = f"{kind}\x1f{programme}\x1f{volunteer_id}\x1f{generation}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]

    # --- links ---------------------------------------------------------------------------

    def issue(self, programme: str, volunteer_ids: list[str]) -> dict[str, str]:
        """The working token of each volunteer of the programme, made where there is
        none."""
        out = {}
        with self._lock:
            for vid in volunteer_ids:
                row = self._conn.execute(
                    "SELECT generation, revoked FROM programme_links WHERE programme=? AND "
                    "volunteer_id=? ORDER BY generation DESC LIMIT 1",
                    (programme, vid)).fetchone()
                if row is not None and not row[1]:
                    out[vid] = self._token(programme, vid, int(row[0]))
                    continue
                generation = 0 if row is None else int(row[0]) + 1
                token = self._token(programme, vid, generation)
                self._conn.execute(
                    "INSERT INTO programme_links (programme, volunteer_id, generation, "
                    "token_hash) VALUES (?, ?, ?, ?)",
                    (programme, vid, generation, token_hash(token)))
                out[vid] = token
        return out

    def find(self, token: str) -> Link | None:
        """The link a token opens, or ``None`` (unknown, tampered or revoked; the console
        tells whether it has expired)."""
        if len(token) != TOKEN_CHARS:
            return None
        wanted = token_hash(token)
        with self._lock:
            row = self._conn.execute(
                "SELECT programme, volunteer_id, revoked, token_hash FROM programme_links "
                "WHERE token_hash=?", (wanted,)).fetchone()
        if row is None or not hmac.compare_digest(row[3], wanted) or row[2]:
            return None
        return Link(row[0], row[1])

    # --- the elder's and family's links ----------------------------------------------------

    def issue_family(self, programme: str, elder_ids: list[str]) -> dict[str, str]:
        """The working family link token of each elder (``/f/{token}``: the elder or family
        confirms visits and services with it), made where there is none."""
        out = {}
        with self._lock:
            for eid in elder_ids:
                row = self._conn.execute(
                    "SELECT generation, revoked FROM family_links WHERE programme=? AND "
                    "elder_id=? ORDER BY generation DESC LIMIT 1", (programme, eid)).fetchone()
                generation = 0 if row is None else int(row[0]) + bool(row[1])
                token = self._token(programme, eid, generation, "family")
                if row is None or row[1]:
                    self._conn.execute(
                        "INSERT INTO family_links (programme, elder_id, generation, "
                        "token_hash) VALUES (?, ?, ?, ?)",
                        (programme, eid, generation, token_hash(token)))
                out[eid] = token
        return out

    def find_family(self, token: str) -> tuple[str, str] | None:
        """The programme and elder a family token opens, or ``None``."""
        if len(token) != TOKEN_CHARS:
            return None
        wanted = token_hash(token)
        with self._lock:
            row = self._conn.execute(
                "SELECT programme, elder_id, revoked, token_hash FROM family_links "
                "WHERE token_hash=?", (wanted,)).fetchone()
        if row is None or not hmac.compare_digest(row[3], wanted) or row[2]:
            return None
        return str(row[0]), str(row[1])

    def confirm(self, programme: str, date: str, activity: str, elder_id: str,
                rating: int | None, actor: str) -> bool:
        """Keep the elder's or family's confirmation of a planned activity (by ``actor``:
        their link, or the coordinator who took it by phone); whether it is new (an
        activity is confirmed once)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            done = self._conn.execute(
                "INSERT INTO confirmations (programme, date, activity, elder_id, rating, "
                "actor, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (programme, date, activity, elder_id, rating, actor, now))
        return done.rowcount > 0

    def confirmations(self, programme: str, elder_id: str | None = None
                      ) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The confirmations of a programme (of one elder): by ``(date, activity,
        elder_id)``, each with its ``rating``, ``actor`` and ``at``."""
        sql = ("SELECT date, activity, elder_id, rating, actor, at FROM confirmations WHERE "
               "programme = ?" + (" AND elder_id = ?" if elder_id is not None else ""))
        args = (programme,) if elder_id is None else (programme, elder_id)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return {(d, a, e): {"rating": r, "actor": who, "at": at}
                for d, a, e, r, who, at in rows}

    def revoke(self, programme: str, volunteer_id: str) -> bool:
        """End the volunteer's link; whether there was one."""
        with self._lock:
            done = self._conn.execute(
                "UPDATE programme_links SET revoked=1 WHERE programme=? AND volunteer_id=? "
                "AND revoked=0", (programme, volunteer_id))
        return done.rowcount > 0

    # --- marks ---------------------------------------------------------------------------

    def mark(self, link: Link, date: str, activity: str, elder_id: str, status: str,
             done_by: str = "", minutes: str = "", rating: str = "",
             comment: str = "") -> tuple[int, bool]:
        """Save a mark of one of the link's activities (checked by the caller): its id, and
        whether it is new (the same activity marked again replaces the pending mark).

        Raises
        ------
        MarkFinal
            If that activity's mark was approved already.
        """
        activity_of = (link.programme, link.volunteer_id, date, activity, elder_id)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            row = self._conn.execute(
                "SELECT id, approved_batch FROM marks WHERE programme=? AND volunteer_id=? "
                "AND date=? AND activity=? AND elder_id=? ORDER BY id LIMIT 1",
                activity_of).fetchone()
            if row is not None and row[1] is not None:
                raise MarkFinal(f"mark {row[0]} is in the time bank already")
            if row is not None:  # the same activity again: one mark, sent anew
                self._conn.execute(
                    "UPDATE marks SET status=?, done_by=?, minutes=?, rating=?, comment=?, "
                    "updated=?, run_id=?, rejected_reason=NULL, rejected_at=NULL WHERE id=?",
                    (status, done_by, minutes, rating, comment, now, link.run_id, row[0]))
                return int(row[0]), False
            cursor = self._conn.execute(
                "INSERT INTO marks (programme, run_id, volunteer_id, date, activity, "
                "elder_id, status, done_by, minutes, rating, comment, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (link.programme, link.run_id, *activity_of[1:], status, done_by, minutes,
                 rating, comment, now))
            return int(cursor.lastrowid or 0), True

    def marks(self, *, programme: str | None = None, run_id: str | None = None,
              volunteer_id: str | None = None, pending: bool | None = None,
              ids: list[int] | None = None) -> list[dict[str, Any]]:
        """Marks, filtered; each a dict of the table's columns, ``state`` (``pending``,
        ``rejected`` or ``approved``) added, in date order. ``pending=True`` gives those
        waiting for the coordinator (not rejected)."""
        where: list[str] = []
        args: list[object] = []
        for column, value in (("programme", programme), ("run_id", run_id),
                              (VOLUNTEER_ID, volunteer_id)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if pending is not None:
            where.append("approved_batch IS NULL AND rejected_reason IS NULL" if pending
                         else "approved_batch IS NOT NULL")
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})" if ids else "0")
            args.extend(ids)
        sql = "SELECT * FROM marks" + (" WHERE " + " AND ".join(where) if where else "") + \
            " ORDER BY date, volunteer_id, activity, elder_id, id"
        with self._lock:
            cursor = self._conn.execute(sql, args)
            columns = [c[0] for c in cursor.description]
            rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        for row in rows:
            row["state"] = "approved" if row["approved_batch"] is not None else \
                "rejected" if row["rejected_reason"] is not None else "pending"
        return rows

    def edit(self, mark_id: int, minutes: str) -> None:
        """Change a pending mark's minutes (the coordinator, before approving)."""
        with self._lock:
            self._conn.execute("UPDATE marks SET minutes=? WHERE id=? AND "
                               "approved_batch IS NULL", (minutes, mark_id))

    def reject(self, ids: list[int], reason: str) -> list[int]:
        """Send pending marks back with a reason (the phone shows it); the ids rejected."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        done = []
        with self._lock:
            for mark_id in ids:
                cursor = self._conn.execute(
                    "UPDATE marks SET rejected_reason=?, rejected_at=? WHERE id=? AND "
                    "approved_batch IS NULL", (reason, now, mark_id))
                if cursor.rowcount:
                    done.append(mark_id)
        return done

    def unapproved(self, batch: int) -> list[int]:
        """The marks approved in ``batch`` (reversed since) wait for approval again."""
        with self._lock:
            ids = [int(r[0]) for r in self._conn.execute(
                "SELECT id FROM marks WHERE approved_batch=?", (batch,))]
            self._conn.execute("UPDATE marks SET approved_batch=NULL WHERE approved_batch=?",
                               (batch,))
        return ids

    def approved(self, ids: list[int], batch: int) -> None:
        """Say that these marks were recorded in the time bank as ``batch``."""
        with self._lock:
            self._conn.executemany("UPDATE marks SET approved_batch=? WHERE id=?",
                                   [(batch, i) for i in ids])

    def close(self) -> None:
        """Close the database."""
        self._conn.close()


class RateLimit:
    """How often one client may use volunteer links, and get a token wrong."""

    def __init__(self, per_minute: int = REQUESTS_PER_MINUTE,
                 misses: int = MISSES_PER_TEN_MINUTES) -> None:
        self.per_minute, self.most_misses = per_minute, misses
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._misses: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    @staticmethod
    def _count(seen: deque[float], window: float, now: float) -> int:
        while seen and seen[0] < now - window:
            seen.popleft()
        return len(seen)

    def allow(self, client: str) -> bool:
        """Count a request; whether it may go on."""
        now = time.monotonic()
        with self._lock:
            if self._count(self._misses[client], 600.0, now) >= self.most_misses:
                return False
            seen = self._requests[client]
            if self._count(seen, 60.0, now) >= self.per_minute:
                return False
            seen.append(now)
            return True

    def guessing(self, client: str) -> bool:
        """Whether ``client`` got too many tokens wrong lately (it must wait)."""
        now = time.monotonic()
        with self._lock:
            return self._count(self._misses[client], 600.0, now) >= self.most_misses

    def missed(self, client: str) -> None:
        """Count a token that opened nothing."""
        with self._lock:
            self._misses[client].append(time.monotonic())
