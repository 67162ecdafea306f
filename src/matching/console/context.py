"""What every page and API route of the console works with: the settings it was started
with, the data folder, the run queue, the accounts and sessions, and the page renderer."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matching.catalogue import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, known, say, table
from matching.console import service
from matching.console.accounts import Accounts, Throttle
from matching.console.guard import (
    LOCAL_ACCOUNT,
    AuthSettings,
    Visitor,
    is_loopback,
    same_token,
    visitor_of,
)
from matching.console.links import DEFAULT_LINK_DAYS, Links, RateLimit
from matching.console.runs import RunQueue
from matching.console.sessions import DEFAULT_IDLE_SECONDS, Sessions
from matching.console.store import NotFound, Store, read_json
from matching.outputs.folder import Run, load_run
from matching.programme.audit import AUDIT_FILE, AuditLog
from matching.rules.errors import InputIssue
from matching.world.columns import ALIASES, VOLUNTEER_ID

HERE = Path(__file__).parent

#: Plans kept in memory for the results pages (each is read back from its folder).
CACHED_RUNS = 4

#: The console's own settings, kept in its data folder.
SETTINGS_FILE = "settings.json"

#: The language cookie.
LANGUAGE_COOKIE = "lang"

#: Bytes of randomness in a console's start secret.
START_SECRET_BYTES = 32


@dataclass(frozen=True)
class ConsoleSettings:
    """How the console was started (``matching serve``'s options).

    Attributes
    ----------
    host, port
        Where it listens; any host but a loopback one needs an account.
    allowed_hosts
        The names people type to reach a console on a network address (``--allowed-host``).
    tiles
        A map tile URL template; without one the map has a blank background.
    secure_cookies
        Mark cookies ``Secure``: ``True``, ``False``, or ``None`` to follow each request's
        scheme (HTTPS, directly or as a trusted proxy's ``X-Forwarded-Proto`` says).
    idle_seconds
        A session unused for this long ends.
    link_days
        Days a volunteer's personal link keeps working after its run's horizon.
    phone_address
        The address phones reach the console by (``--phone-address``), unless the links
        page sets another.
    alliance
        The alliance the programmes form (``--alliance``): one time-bank ledger for all of
        them (通存通兑); empty, each programme keeps its own.
    database
        The PostgreSQL address the time-bank ledgers live at (``--database``); empty, in
        SQLite files in the data folder.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: tuple[str, ...] = ()
    tiles: str | None = None
    secure_cookies: bool | None = None
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    link_days: int = DEFAULT_LINK_DAYS
    phone_address: str | None = None
    alliance: str = ""
    database: str = ""

    @property
    def needs_login(self) -> bool:
        """Whether pages need an account (any address but a loopback one)."""
        return not is_loopback(self.host)


class Console:
    """The console's state, shared by its routes (``request.app.state.console``)."""

    def __init__(self, data: str | Path, settings: ConsoleSettings,
                 command: tuple[str, ...] | None = None, start_secret: str | None = None
                 ) -> None:
        self.settings = settings
        self.store = Store(data, settings.alliance, settings.database)
        self.accounts = Accounts(self.store.root)
        self.sessions = Sessions(self.store.root, settings.idle_seconds)
        self.sessions.end_account(LOCAL_ACCOUNT)  # an earlier start's secret is void
        self.throttle = Throttle()
        #: The secret that opens a console on this computer (``None`` elsewhere).
        self.start_secret = start_secret or (
            secrets.token_urlsafe(START_SECRET_BYTES) if not settings.needs_login else None)
        self.auth = AuthSettings(self.accounts, self.sessions, self.throttle,
                                 settings.needs_login, settings.secure_cookies,
                                 start_secret=self.start_secret)
        self.runs = RunQueue(self.store, command,
                             finish=lambda run_id: service.finish_run(self.store, run_id))
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.plan_of = functools.lru_cache(maxsize=CACHED_RUNS)(self._load_plan)
        #: A finished run's schedule (text), read once: every phone's page and mark asks.
        self.schedule_of = functools.lru_cache(maxsize=CACHED_RUNS)(
            lambda run_id: service.run_schedule(self.store, run_id))
        #: A finished run's schedule by volunteer (each phone reads only its own rows).
        self.activities_of = functools.lru_cache(maxsize=CACHED_RUNS)(self._by_volunteer)
        self.links = Links(self.store.root)
        self.audit = AuditLog(self.store.root / AUDIT_FILE, database=settings.database)
        self.link_limit = RateLimit()

    def _by_volunteer(self, run_id: str) -> dict[str, pd.DataFrame]:
        schedule = self.schedule_of(run_id)
        return {str(v): rows.reset_index(drop=True)
                for v, rows in schedule.groupby(VOLUNTEER_ID, sort=False)}

    def _load_plan(self, run_id: str) -> Run:
        return load_run(self.store.run_dir(run_id) / "out")

    # --- pages -----------------------------------------------------------------------------

    def page(self, request: Request, template: str, status_code: int = 200,
             **context: object) -> HTMLResponse:
        """A page in the visitor's language, with what every page shows."""
        lang = language(request)
        name = context.get("name")
        if isinstance(name, str) and "latest" not in context:
            context["latest"] = service.latest_run(self.store, name)
        visitor = visitor_of(request)
        return self.templates.TemplateResponse(request, template, {
            "t": words(lang), "s": functools.partial(say_in, lang), "lang": lang,
            "csrf": csrf_token(visitor),
            "column_label": functools.partial(column_label, lang=lang),
            "problem_text": functools.partial(problem_text, lang=lang),
            "saved_when": saved_when,
            "user": None if visitor.local else visitor.account,
            "needs_login": self.settings.needs_login,
            "programmes": visible_programmes(request), "admin": is_admin(request),
            "may": functools.partial(visitor_may, request),
            **context}, status_code=status_code)

    def log(self, request: Request | str, action: str, programme: str = "",
            subject: str = "", before: object = None, after: object = None) -> None:
        """Log an act in the audit log, with who did it (a request's visitor, or an actor
        given as text: ``link:V00001``)."""
        actor = request if isinstance(request, str) else actor_of(request)
        self.audit.append(actor, action, programme, subject, before, after)

    def phone_address(self) -> str | None:
        """The address phones open the console by: the links page's setting, else
        ``--phone-address``; ``None`` when none is known."""
        path = self.store.root / SETTINGS_FILE
        saved = read_json(path).get("phone_address") if path.is_file() else None
        return saved or self.settings.phone_address

    def phone_base(self, request: Request) -> str | None:
        """Where a volunteer's link starts: the phone address, else the address this
        request came by; ``None`` when that is this computer only (no phone can open
        it, so no link is printed for phones)."""
        base = self.phone_address() or str(request.base_url).rstrip("/")
        host = urlsplit(base).hostname or ""
        return None if is_loopback(host) else base.rstrip("/")

    # --- lookups that answer 404 -----------------------------------------------------------

    def programme_or_404(self, name: str) -> str:
        """A programme that exists (its name), else 404."""
        try:
            self.store.programme_dir(name)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        return name

    def run_or_404(self, run_id: str) -> dict:
        """A run's status, else 404."""
        try:
            return read_json(self.store.run_dir(run_id) / "status.json")
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    def finished_run(self, run_id: str) -> dict:
        """A finished run's status: 404 if there is no such run, 409 while it is queued or
        running (or when it failed: it has no plan to hand out)."""
        status = self.run_or_404(run_id)
        if status.get("status") != "done":
            raise HTTPException(409, f"run {run_id} has no plan: it is "
                                     f"{status.get('status', 'unknown')}")
        return status


def words(lang: str) -> dict[str, str]:
    """The console's fixed words in ``lang``, by short key (``t.plan``), with the words of
    a run's state (``t.done``), a plan's status (``t.optimal``) and a mark (``t.missed``)."""
    return {**table("mark", lang), **table("status", lang), **table("run", lang),
            **table("console", lang)}


def say_in(lang: str, code: str, **params: object) -> str:
    """A text of the catalogue in ``lang`` (``s("console.recorded", done=3, ...)`` in a
    template)."""
    return say(code, lang, **params)


def saved_when(path: Path) -> str:
    """When a saved file was last saved, to the minute (a page shows that, not the name
    the file is kept under)."""
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return ""
    return f"{stamp:%Y-%m-%d %H:%M}"


def live_status(status: dict) -> dict:
    """A run's status with ``elapsed`` counted to now while it runs (the worker writes it
    only when a stage reports, and a long stage reports seldom)."""
    if status.get("status") != "running" or not status.get("started_at"):
        return status
    try:
        started = dt.datetime.fromisoformat(str(status["started_at"]))
    except ValueError:
        return status
    now = round((dt.datetime.now() - started).total_seconds(), 1)
    return {**status, "elapsed": max(float(status.get("elapsed") or 0.0), now)}


def stage_text(status: dict, lang: str) -> str:
    """What a run is doing, in ``lang``, from its stage's code and figures."""
    code = f"stage.{status.get('stage') or ''}"
    if not status.get("stage") or not known(code):
        return ""
    try:
        return say(code, lang, **(status.get("stage_params") or {}))
    except (KeyError, IndexError, ValueError):  # figures the words do not expect
        return say(code, lang) if "{" not in MESSAGES[code][0] else ""


def console_of(request: Request) -> Console:
    """The console a request reached (a FastAPI dependency)."""
    return request.app.state.console


def language(request: Request) -> str:
    """The visitor's language (the ``lang`` cookie; Chinese by default)."""
    lang = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def csrf_token(visitor: Visitor) -> str:
    """The CSRF token forms carry (the session's, else the signed cookie nonce's)."""
    return visitor.csrf


def check_form_token(request: Request, given: str) -> None:
    """A form must carry its session's CSRF token (403 otherwise)."""
    visitor = visitor_of(request)
    if not same_token(given, csrf_token(visitor)):
        raise HTTPException(403, "the form's security token is missing or stale: reload "
                                 "the page and try again")


def actor_of(request: Request) -> str:
    """Who acts, for the audit log: ``account:NAME``, or ``local`` for the person at this
    computer (who opened the console with its start secret)."""
    visitor = visitor_of(request)
    return f"account:{visitor.account}" if visitor.account and not visitor.local else "local"


#: What only an admin (or the person at the console's computer) may do: make programmes,
#: grant roles.
ADMIN = "admin"


def visible_programmes(request: Request) -> list[str]:
    """The programmes the visitor may see: every one for an admin or the person at the
    console's computer, else those granted to the account."""
    console, visitor = console_of(request), visitor_of(request)
    every = console.store.programmes()
    if is_admin(request):
        return every
    granted = console.accounts.roles(visitor.account or "")
    return [name for name in every if name in granted]


def is_admin(request: Request) -> bool:
    """Whether the visitor may do everything: the start secret's holder, or an admin."""
    visitor = visitor_of(request)
    return visitor.local or (visitor.account is not None and
                             console_of(request).accounts.is_admin(visitor.account))


def visitor_may(request: Request, programme: str, action: str) -> bool:
    """Whether the visitor may do ``action`` in ``programme`` (what pages show)."""
    if is_admin(request):
        return True
    account = visitor_of(request).account
    return account is not None and console_of(request).accounts.may(account, programme, action)


def programme_of(request: Request) -> str | None:
    """The programme a request is about: its ``{name}``, or its ``{run_id}``'s programme
    (``None`` when it names neither, or a run that is not there)."""
    params = request.path_params
    if "name" in params:
        return unicodedata.normalize("NFC", str(params["name"]))
    if "run_id" in params:
        try:
            return read_json(console_of(request).store.run_dir(str(params["run_id"])) /
                             "status.json").get("programme")
        except (NotFound, OSError, ValueError):
            return None
    return None


def permission(action: str) -> Callable[[Request], None]:
    """A route's dependency: the visitor may do ``action`` (``read``, ``plan``,
    ``audit``, or :data:`ADMIN`) in the programme the request is about.

    A programme not granted to the visitor at all answers 404, as if it were not there;
    one granted with a role that may not do this answers 403.
    """

    def check(request: Request) -> None:
        if is_admin(request):
            return
        if action == ADMIN:
            raise HTTPException(403, "only an admin may do this")
        console, visitor = console_of(request), visitor_of(request)
        programme, account = programme_of(request), visitor.account or ""
        if programme is None or not console.accounts.sees(account, programme):
            raise HTTPException(404, "no such programme")
        if not visitor_may(request, programme, action):
            raise HTTPException(403, f"your role in {programme} may not do this "
                                     f"({console.accounts.role(account, programme)})")

    check.action = action  # type: ignore[attr-defined]  # read by the route census test
    return check


def permission_somewhere(action: str) -> Callable[[Request], None]:
    """A route's dependency for what spans programmes (the alliance's page): the visitor
    may do ``action`` in at least one programme (each route shows only those)."""

    def check(request: Request) -> None:
        if is_admin(request) or programmes_where(request, action):
            return
        raise HTTPException(403, "your roles may not do this in any programme")

    check.action = action  # type: ignore[attr-defined]  # read by the route census test
    return check


def programmes_where(request: Request, action: str) -> list[str]:
    """The programmes the visitor sees and may do ``action`` in."""
    return [p for p in visible_programmes(request)
            if is_admin(request) or visitor_may(request, p, action)]


#: The dependencies routes declare (``dependencies=[MAY_READ]``).
MAY_READ = Depends(permission("read"))
MAY_PLAN = Depends(permission("plan"))
MAY_AUDIT = Depends(permission("audit"))
ADMIN_ONLY = Depends(permission(ADMIN))
MAY_AUDIT_SOMEWHERE = Depends(permission_somewhere("audit"))


def check_api_token(request: Request, given: str | None) -> None:
    """A script riding on the session cookie must show that it read the token from a page
    (the ``X-CSRF-Token`` header); one with Basic credentials or no session cannot be a
    forged browser request."""
    visitor = visitor_of(request)
    if visitor.basic or visitor.session is None:
        return
    if not same_token(given, visitor.session.csrf):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header")


def column_label(column: str | None, lang: str) -> str:
    """A problem's column as a coordinator knows it: in Chinese, its Chinese header
    (``age`` -> ``年龄``), or the console's word for a form's field (``weeks`` -> ``周数``)."""
    if not column:
        return ""
    if lang != "zh":
        return column
    chinese = next((a for a in ALIASES.get(column, ()) if not a.isascii()), None)
    field = f"console.{column}"
    return chinese or (say(field, lang) if known(field) and "{" not in MESSAGES[field][0]
                       else column)


#: Files whose problems name the file (a form's or a setting's do not).
FILE_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm", ".ods", ".tsv", ".txt")


def problem_text(issue: InputIssue, lang: str) -> str:
    """A problem as a coordinator reads it: the file (if it is one), the row and the column
    as they know them, the value, and what is wrong, in ``lang``."""
    if lang != "zh":
        return issue.text(lang)
    where = [issue.file if issue.file.lower().endswith(FILE_SUFFIXES) else "",
             f"第 {issue.row} 行" if issue.row is not None else "",
             column_label(issue.column, lang)]
    head = "，".join(w for w in where if w)
    value = f"“{issue.value}”" if issue.value not in (None, "") else ""
    return f"{head}：{value}{issue.words(lang)}" if head else f"{value}{issue.words(lang)}"


def phone_address_problem(text: str) -> InputIssue | None:
    """Why ``text`` cannot be the address phones use (``None``: it can): it must be
    ``http(s)://`` and a host (with a port, if any), nothing after, and not this computer
    only."""
    parts = urlsplit(text.strip())
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or \
            parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return InputIssue("phone_address", "console.phone_address_bad", value=text)
    if is_loopback(parts.hostname):
        return InputIssue("phone_address", "console.phone_address_loopback", value=text)
    return None
