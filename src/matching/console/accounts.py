"""The console's accounts: names, passwords kept only as Argon2 hashes, what a password must
be, and how wrong guesses are slowed down.

* An account name is letters, digits, ``.``, ``-`` and ``_``.
* A password has at least :data:`MIN_PASSWORD_LENGTH` characters and is not easy to guess:
  ``zxcvbn`` (the estimator behind many sign-up forms, with its lists of the most common
  passwords, words and keyboard patterns) must score it at least
  :data:`MIN_PASSWORD_SCORE` of 4. ``aaaaaaaaaa`` and ``1234567890`` score 0.
* Setting a password ends every session of the account (:mod:`~matching.console.sessions`).
* After :data:`FREE_FAILURES` wrong passwords for an account, or from one address, every
  attempt (the right password too) is refused for :data:`FIRST_LOCK_SECONDS`, doubling
  with each further failure up to :data:`MAX_LOCK_SECONDS` (:class:`Throttle`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from matching.console.sessions import Sessions

#: Account names: letters, digits, ".", "-" and "_".
ACCOUNT_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-_")
#: Longest account name.
MAX_ACCOUNT_NAME = 64

#: A password shorter than this is refused.
MIN_PASSWORD_LENGTH = 10
#: Longest password checked (Argon2 takes any length; the estimator slows on very long ones).
MAX_PASSWORD_LENGTH = 256
#: Lowest zxcvbn score (0-4) a password may have: 3 is "safely unguessable" against an
#: attacker who can try many guesses offline.
MIN_PASSWORD_SCORE = 3

#: Wrong passwords let through before attempts are refused.
FREE_FAILURES = 5
#: The first refusal lasts this long; each further failure doubles it, up to the maximum.
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 3600.0
#: Failures are forgotten after this long without another.
FORGET_SECONDS = 24 * 3600.0
#: The most accounts and addresses remembered at once (the oldest are forgotten first).
MAX_REMEMBERED = 10_000

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no such account")


def password_problem(password: str, account: str = "") -> str | None:
    """Why ``password`` may not be used (``None``: it may)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    judged = zxcvbn(password, user_inputs=[account, "matching", "console"])
    if judged["score"] < MIN_PASSWORD_SCORE:
        warning = judged["feedback"].get("warning") or "it is easy to guess"
        return (f"this password is too easy to guess ({warning.rstrip('.')}); use a few "
                "unrelated words, or a longer mix of letters and digits")
    return None


class Accounts:
    """The console's accounts, kept in ``DATA/accounts.json`` (owner-only) as name -> Argon2
    hash."""

    def __init__(self, data: str | Path) -> None:
        self.data = Path(data)
        self.path = self.data / "accounts.json"

    def _all(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def names(self) -> list[str]:
        """Every account's name."""
        return sorted(self._all())

    def add(self, name: str, password: str) -> None:
        """Add an account, or set its password (which ends every session it has).

        Raises
        ------
        ValueError
            If the name has other characters than letters, digits, ".", "-" and "_", or
            the password is refused by :func:`password_problem`.
        """
        if not name or len(name) > MAX_ACCOUNT_NAME or not set(name) <= ACCOUNT_NAME_CHARACTERS:
            raise ValueError(f"account name {name!r}: use letters, digits, '.', '-' and '_' "
                             f"(at most {MAX_ACCOUNT_NAME})")
        problem = password_problem(password, name)
        if problem is not None:
            raise ValueError(problem)
        accounts = self._all()
        accounts[name] = _HASHER.hash(password)
        self.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(accounts, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
        Sessions(self.data).end_account(name)

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s (in the same time whether or not it exists)."""
        stored = self._all().get(name)
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None


class Throttle:
    """Failed logins, counted per account and per client address.

    Parameters
    ----------
    clock
        Seconds, monotonic (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)
        self._lock = threading.Lock()

    @staticmethod
    def keys(account: str, address: str) -> tuple[str, str]:
        """The two counters a login attempt belongs to."""
        return f"account:{account.casefold()}", f"address:{address}"

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until an attempt on ``keys`` is let through (0: now)."""
        now = self.clock()
        with self._lock:
            return max([0.0, *(self._locked_until(k) - now for k in keys)])

    def _locked_until(self, key: str) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if count < FREE_FAILURES:
            return 0.0
        return last + min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (count - FREE_FAILURES))

    def failed(self, keys: Iterable[str]) -> None:
        """An attempt on ``keys`` failed."""
        now = self.clock()
        with self._lock:
            for key in keys:
                count, last = self._failures.pop(key, (0, now))
                if now - last > FORGET_SECONDS:
                    count = 0
                self._failures[key] = (count + 1, now)  # re-inserted: newest last
            while len(self._failures) > MAX_REMEMBERED:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, keys: Iterable[str]) -> None:
        """An attempt on ``keys`` succeeded: their failures are forgotten."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
