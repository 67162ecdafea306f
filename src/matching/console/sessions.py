"""Sessions kept by the server, so that the server can end them.

A browser holds only a random session id in its cookie; the server keeps, in
``DATA/sessions.sqlite`` (owner-only), the SHA-256 of that id with who it belongs to, its
CSRF token and when it was last used. Logging out deletes the row, a password change
deletes every row of that account, and a session unused for longer than the idle timeout
(or older than :data:`MAX_AGE_SECONDS`) is refused and swept. A copied cookie is worth
nothing once its row is gone.

A row is made only for someone who proved who they are (a login, or the console's start
secret): an anonymous visitor's login form is protected by a signed cookie instead
(:class:`FormTokens`), so that no number of visits grows the table. An account keeps at
most :data:`MAX_SESSIONS_PER_ACCOUNT` sessions (its oldest end first), and the table at
most :data:`MAX_SESSIONS`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: Bytes of randomness in a session id and in a CSRF token.
TOKEN_BYTES = 32

#: A session ends after this long, however busy (twelve hours: a working day).
MAX_AGE_SECONDS = 12 * 3600

#: A session unused for this long ends (``matching serve --idle-minutes``).
DEFAULT_IDLE_SECONDS = 30 * 60

#: How stale a session's last-use time may grow before it is written again.
TOUCH_EVERY_SECONDS = 60

#: Sessions one account may hold at once (browsers, phones); the oldest ends first.
MAX_SESSIONS_PER_ACCOUNT = 20
#: Sessions kept at once over all accounts; the least recently used end first.
MAX_SESSIONS = 2_000

_SCHEMA = """CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, account TEXT NOT NULL, csrf TEXT NOT NULL,
    created REAL NOT NULL, seen REAL NOT NULL)"""


@dataclass(frozen=True)
class Session:
    """One browser's session: whose it is (``""`` before logging in, or on a console that
    needs no login) and its CSRF token."""

    token: str
    account: str
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    """The sessions of one data folder.

    Parameters
    ----------
    data
        The console's data folder.
    idle_seconds
        A session unused for this long ends.
    clock
        Seconds since the epoch (tests pass their own).
    """

    def __init__(self, data: str | Path, idle_seconds: float = DEFAULT_IDLE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(data) / "sessions.sqlite"
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._lock = threading.Lock()
        with self._connect():
            pass

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        fresh = not self.path.exists()
        if fresh:  # made owner-only before sqlite writes anything into it
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                with conn:
                    conn.execute(_SCHEMA)
                    yield conn
            finally:
                conn.close()

    def create(self, account: str = "") -> Session:
        """A new session for ``account`` (with a fresh id and CSRF token)."""
        now = self.clock()
        session = Session(secrets.token_urlsafe(TOKEN_BYTES), account,
                          secrets.token_urlsafe(TOKEN_BYTES))
        with self._connect() as conn:
            conn.execute("DELETE FROM sessions WHERE seen < ? OR created < ?",
                         (now - self.idle_seconds, now - MAX_AGE_SECONDS))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                         (_hash(session.token), account, session.csrf, now, now))
            conn.execute("DELETE FROM sessions WHERE account = ? AND id_hash NOT IN (SELECT "
                         "id_hash FROM sessions WHERE account = ? ORDER BY created DESC "
                         "LIMIT ?)", (account, account, MAX_SESSIONS_PER_ACCOUNT))
            conn.execute("DELETE FROM sessions WHERE id_hash NOT IN (SELECT id_hash FROM "
                         "sessions ORDER BY seen DESC LIMIT ?)", (MAX_SESSIONS,))
        return session

    def count(self) -> int:
        """How many sessions are kept."""
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's id, if there is one (and note its use)."""
        if not token or len(token) > 2 * TOKEN_BYTES:
            return None
        now = self.clock()
        key = _hash(token)
        with self._connect() as conn:
            row = conn.execute("SELECT account, csrf, created, seen FROM sessions "
                               "WHERE id_hash = ?", (key,)).fetchone()
            if row is None:
                return None
            account, csrf, created, seen = row
            if now - seen > self.idle_seconds or now - created > MAX_AGE_SECONDS:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
            if now - seen > TOUCH_EVERY_SECONDS:
                conn.execute("UPDATE sessions SET seen = ? WHERE id_hash = ?", (now, key))
        return Session(token, account, csrf)

    def end(self, token: str | None) -> None:
        """End one session (logging out)."""
        if token:
            with self._connect() as conn:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(token),))

    def end_account(self, account: str) -> int:
        """End every session of ``account`` (its password changed); how many ended."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM sessions WHERE account = ?", (account,)).rowcount


class FormTokens:
    """CSRF tokens for visitors without a session (the login form; scripts with Basic
    credentials), kept by no one: the browser holds a random nonce in a cookie, and a
    form's token is the nonce signed with a key the console makes at each start. A page of
    another site can neither read the cookie nor sign a nonce of its own.

    Parameters
    ----------
    key
        The signing key (random bytes; tests pass their own).
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(TOKEN_BYTES)

    @staticmethod
    def nonce() -> str:
        """A fresh nonce for the cookie."""
        return secrets.token_urlsafe(TOKEN_BYTES)

    def token(self, nonce: str | None) -> str:
        """The token forms carry for the cookie's ``nonce`` (``""`` without one)."""
        if not nonce or len(nonce) > 2 * TOKEN_BYTES:
            return ""
        return hmac.new(self.key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()
