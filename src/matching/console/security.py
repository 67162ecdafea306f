"""Who may use the console, and protection against requests forged by other web pages.

On a loopback address the console serves the one person at that computer and asks for no
password. On any other address it refuses to start without an account: passwords are kept
only as Argon2 hashes (``argon2-cffi``), and a signed session cookie says who is logged in.

Every request that changes something must come from the console itself: a browser's
``Origin`` (or ``Referer``) naming another site is refused, and a form or a script running
with the session cookie must carry the session's CSRF token (a form field ``csrf`` or the
header ``X-CSRF-Token``). Scripts may instead log in with HTTP Basic credentials, which a
browser never sends on its own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from matching.console.store import write_json

#: Account names: letters, digits, ".", "-" and "_".
ACCOUNT_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-_")
#: A password shorter than this is refused.
MIN_PASSWORD_LENGTH = 10

#: Bytes of randomness in the key that signs session cookies, and in a CSRF token.
SECRET_BYTES = 32

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_HASHER = PasswordHasher()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as given to ``--host``) is this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Accounts:
    """The console's accounts, kept in ``DATA/accounts.json`` as name -> Argon2 hash."""

    def __init__(self, data: Path) -> None:
        self.path = Path(data) / "accounts.json"

    def _all(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def names(self) -> list[str]:
        """Every account's name."""
        return sorted(self._all())

    def add(self, name: str, password: str) -> None:
        """Add an account (or set its password).

        Raises
        ------
        ValueError
            If the name has other characters than letters, digits, ".", "-" and "_", or
            the password is shorter than :data:`MIN_PASSWORD_LENGTH`.
        """
        if not name or not set(name) <= ACCOUNT_NAME_CHARACTERS:
            raise ValueError(f"account name {name!r}: use letters, digits, '.', '-' and '_'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        accounts = self._all()
        accounts[name] = _HASHER.hash(password)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, accounts)
        os.chmod(self.path, 0o600)

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s (in the same time whether or not it exists)."""
        stored = self._all().get(name)
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None


_DUMMY_HASH = _HASHER.hash("no such account")


def session_key(data: Path) -> str:
    """The key signing session cookies: made once per data folder and kept private."""
    path = Path(data) / "session.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(SECRET_BYTES))
    return path.read_text().strip()


def new_csrf_token() -> str:
    """A fresh CSRF token for a session."""
    return secrets.token_urlsafe(SECRET_BYTES)


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a request's CSRF token is the session's (compared in constant time)."""
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


def foreign_origin(headers: dict[str, str], host: str) -> bool:
    """Whether a request says it comes from a page of another site (``Origin``, else
    ``Referer``, naming another host and port than the one asked)."""
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return False
    if source == "null":
        return True
    return urlsplit(source).netloc.lower() != host.lower()


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Name and password of an ``Authorization: Basic`` header, if it is one."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return name, password
