"""The console's accounts: names, passwords kept only as Argon2 hashes, what a password must
be, and how wrong guesses are slowed down.

* An account name is letters and digits (of any script: 王芳), ``.``, ``-`` and ``_``.
* A password has at least :data:`MIN_PASSWORD_LENGTH` characters and is not easy to guess:
  ``zxcvbn`` (the estimator behind many sign-up forms, with its lists of the most common
  passwords, words and keyboard patterns) must score it at least
  :data:`MIN_PASSWORD_SCORE` of 4. ``aaaaaaaaaa`` and ``1234567890`` score 0.
* Setting a password ends every session of the account (:mod:`~matching.console.sessions`).
* After :data:`FREE_FAILURES` wrong passwords for an account, or from one address, every
  attempt (the right password too) is refused for :data:`FIRST_LOCK_SECONDS`, doubling
  with each further failure up to :data:`MAX_LOCK_SECONDS` (:class:`Throttle`). An attempt
  counts as a failure *before* its password is checked, and is forgiven only when it
  proves right, so guesses sent all at once get no more checks than guesses sent in turn.
* Each account has a role in each programme granted to it (:data:`ROLES`); the first
  account is the admin, who sees every programme and grants the roles (:class:`Accounts`).
"""

from __future__ import annotations

import json
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from matching.console.sessions import Sessions

#: Besides letters and digits of any script (王芳, wang.fang), an account name may hold these.
ACCOUNT_NAME_MARKS = frozenset(".-_")
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

#: What each role may do in a programme granted to it: ``read`` its plans, reports and
#: roster; ``plan`` (upload, plan, re-plan, enter changes, hand out links, record and
#: approve hours); ``audit`` (read the audit log, the time bank's balances and statements).
ROLES: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"read", "plan", "audit"}),
    "viewer": frozenset({"read"}),
    "auditor": frozenset({"audit"}),
}

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no such account")


def valid_account_name(name: str) -> bool:
    """Letters and digits of any script (NFKC-folded already: no full-width forms), ``.``,
    ``-`` and ``_``, at most :data:`MAX_ACCOUNT_NAME` of them."""
    return (0 < len(name) <= MAX_ACCOUNT_NAME and name == unicodedata.normalize("NFKC", name)
            and all(c.isalnum() or c in ACCOUNT_NAME_MARKS for c in name))


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
    hash, and what each may do, in ``DATA/grants.json``: the admin's name and each
    account's role by programme.

    A data folder whose accounts were made before roles existed has no grants file: every
    account in it keeps what it had, and is an admin.
    """

    def __init__(self, data: str | Path) -> None:
        self.data = Path(data)
        self.path = self.data / "accounts.json"
        self.grants_path = self.data / "grants.json"

    def _all(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _write(self, path: Path, content: dict) -> None:
        self.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, sort_keys=True, ensure_ascii=False)
        os.replace(tmp, path)

    def _grants(self) -> dict:
        if not self.grants_path.is_file():
            return {"admins": self.names(), "roles": {}}
        return json.loads(self.grants_path.read_text(encoding="utf-8"))

    def is_admin(self, name: str) -> bool:
        """Whether ``name`` is an admin (sees every programme, grants roles)."""
        return name in self._grants()["admins"] and name in self.names()

    def roles(self, name: str) -> dict[str, str]:
        """The programmes granted to ``name``, with its role in each."""
        return dict(self._grants()["roles"].get(name, {}))

    def role(self, name: str, programme: str) -> str | None:
        """``name``'s role in ``programme`` (``None``: not granted)."""
        return self.roles(name).get(programme)

    def may(self, name: str, programme: str, action: str) -> bool:
        """Whether ``name`` may do ``action`` (``read``, ``plan``, ``audit``) in
        ``programme``: an admin may do everything."""
        if self.is_admin(name):
            return True
        role = self.role(name, programme)
        return role is not None and action in ROLES[role]

    def sees(self, name: str, programme: str) -> bool:
        """Whether ``programme`` is shown to ``name`` at all."""
        return self.is_admin(name) or self.role(name, programme) is not None

    def grant(self, name: str, programme: str, role: str | None) -> str | None:
        """Give ``name`` ``role`` in ``programme`` (``None`` takes the programme away);
        the role it had before.

        Raises
        ------
        ValueError
            If there is no such account or role.
        """
        if name not in self.names():
            raise ValueError(f"no account {name!r}")
        if role is not None and role not in ROLES:
            raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
        grants = self._grants()
        mine = grants["roles"].setdefault(name, {})
        before = mine.pop(programme, None)
        if role is not None:
            mine[programme] = role
        self._write(self.grants_path, grants)
        return before

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
        if not valid_account_name(name):
            raise ValueError(f"account name {name!r}: use letters (王芳 or wang), digits, '.', "
                             f"'-' and '_' (at most {MAX_ACCOUNT_NAME})")
        problem = password_problem(password, name)
        if problem is not None:
            raise ValueError(problem)
        grants = self._grants()  # read before the account is added: who was there first
        accounts = self._all()
        accounts[name] = _HASHER.hash(password)
        self._write(self.path, accounts)
        if not self.grants_path.is_file():
            self._write(self.grants_path, {"admins": grants["admins"] or [name],
                                           "roles": grants["roles"]})
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

    def attempt(self, keys: Iterable[str]) -> float:
        """Let an attempt on ``keys`` through (0), counting it as failed until
        :meth:`succeeded` says otherwise, or say how many seconds it must wait. Counted in
        the same step as it is let through, so a burst of concurrent guesses gets at most
        :data:`FREE_FAILURES` password checks."""
        keys = tuple(keys)
        now = self.clock()
        with self._lock:
            wait = max([0.0, *(self._locked_until(k) - now for k in keys)])
            if wait <= 0:
                self._count_failure(keys, now)
        return wait

    def _locked_until(self, key: str) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if count < FREE_FAILURES:
            return 0.0
        return last + min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (count - FREE_FAILURES))

    def failed(self, keys: Iterable[str]) -> None:
        """An attempt on ``keys`` failed (one not let through by :meth:`attempt`)."""
        now = self.clock()
        with self._lock:
            self._count_failure(tuple(keys), now)

    def _count_failure(self, keys: tuple[str, ...], now: float) -> None:
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
