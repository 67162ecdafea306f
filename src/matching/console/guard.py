"""What stands between the network and the console's pages, outermost first.

1. :class:`SecurityHeaders`: every response carries a Content-Security-Policy with no inline
   script, ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff`` and
   ``Referrer-Policy: same-origin``; personal pages are not cached.
2. :class:`HostGuard`: the console answers only the host names it serves (on loopback,
   ``127.0.0.1``, ``localhost`` and ``[::1]`` with its port; elsewhere the names given by
   ``--allowed-host``). A page elsewhere on the internet that points its own name at this
   computer (DNS rebinding) gets 400.
3. :class:`BodyLimit`: a request body over the limit is refused from its
   ``Content-Length``, or while it streams, before it is read whole.
4. :class:`Authenticate`: a request that changes something from another site's page is
   refused; the session (:mod:`~matching.console.sessions`), HTTP Basic credentials or, on
   this computer, the console's start secret say who is asking; password attempts are
   throttled (:class:`~matching.console.accounts.Throttle`); without a credential nothing
   but the login page (and the volunteers' links) is open, on every address.

The start secret is what Jupyter does for the same problem: every account on a computer
can reach its loopback address, so a console there answers only whoever opens the address
``matching serve`` printed (``/?token=SECRET``, a new secret at each start). Opening it
makes a session (a cookie) and drops the secret from the address; scripts may send it as
``Authorization: token SECRET``, or log in with an account.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import math
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from matching.analysis.webmap import map_script_hashes
from matching.console.accounts import Accounts, Throttle
from matching.console.sessions import FormTokens, Session, Sessions
from matching.outputs.printing import PRINT_SCRIPT_HASH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The cookie holding a browser's session id.
SESSION_COOKIE = "matching_session"

#: The cookie holding the nonce of a visitor without a session (:class:`FormTokens`).
FORM_COOKIE = "matching_form"

#: The query parameter, and the ``Authorization`` scheme, of the console's start secret.
START_SECRET_PARAMETER = "token"

#: Who holds the start secret, in sessions and as a visitor (no account name has a colon).
LOCAL_ACCOUNT = ":local"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The personal links, a volunteer's and an elder's or family's: open without a login (the
#: token in the path is the credential, see :mod:`matching.console.volunteer` and
#: :mod:`matching.console.exchange_routes`), and without a session.
VOLUNTEER_PATHS = ("/v/", "/f/")

#: The JSON routes of a personal link, by the end of their path.
VOLUNTEER_JSON_PATHS = ("/marks", "/activities", "/accept", "/done", "/confirm", "/visits")

#: Paths anyone may open without logging in (the login page and the files it needs, and
#: the volunteers' links).
OPEN_PATHS = ("/login", "/static/", "/leaflet/", "/swagger/", "/lang/", *VOLUNTEER_PATHS)

#: Paths of files that are the same for everyone (they may be cached).
SHARED_FILE_PATHS = ("/static/", "/leaflet/", "/swagger/")

#: Paths answered in JSON (every other path is a page for a person).
API_PATHS = ("/api/", "/openapi.json")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as given to ``--host``) is this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def served_hosts(host: str, port: int, allowed: tuple[str, ...] = ()) -> frozenset[str]:
    """The ``Host`` headers the console answers: on a loopback address the three loopback
    names with ``port`` (alone too on port 80); elsewhere each ``allowed`` name (as given,
    and with ``port``), and a specific address it listens on."""
    names = ["127.0.0.1", "localhost", "[::1]"] if is_loopback(host) else list(allowed)
    if not is_loopback(host) and host not in ("0.0.0.0", "::", ""):
        names.append(f"[{host}]" if ":" in host else host)
    out = set()
    for name in names:
        name = name.lower()
        if ":" in name.strip("[]") and not name.startswith("["):  # a bare IPv6 address
            name = f"[{name}]"
        if name.rsplit(":", 1)[-1].isdigit() and not name.endswith("]"):
            out.add(name)  # given with its port already
            continue
        out.add(f"{name}:{port}")
        if port == 80 or not is_loopback(host):
            out.add(name)  # a browser leaves out port 80, a proxy its own port
    return frozenset(out)


def content_security_policy(tiles: str | None = None) -> str:
    """The console's Content-Security-Policy: scripts, styles and everything else from the
    console itself, and the print button's one script by its hash (styles may be inline:
    the rota pages and reports carry their own);
    pictures also from ``data:`` (the report's figures) and the tile server, if any."""
    images = ["'self'", "data:", "blob:"]
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "*"))
        if parts.scheme in ("http", "https") and parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        # the hand-outs' print button is the one inline script allowed, by its hash
        # and so are the report's map scripts (Leaflet and the one that draws the plan)
        "default-src 'none'",
        f"script-src 'self' {PRINT_SCRIPT_HASH} {' '.join(map_script_hashes())}",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(images)}", "connect-src 'self'", "font-src 'self' data:",
        "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
    ])


class SecurityHeaders:
    """Add the security headers to every response, whoever made it."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not scope["path"].startswith(SHARED_FILE_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {name for name, _ in self.headers}]
                headers += self.headers
                if private:  # names, addresses and phones: never kept in a shared cache
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostGuard:
    """Answer 400 to any ``Host`` the console does not serve."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                response = PlainTextResponse("unknown host", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """A request body went past the limit while it streamed."""


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413, without reading it whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        megabytes = self.limit / 2**20
        response = JSONResponse({"detail": f"the request is larger than {megabytes:.0f} MB"},
                                status_code=413, headers={"connection": "close"})
        await response(scope, receive, send)


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
        name, _, password = base64.b64decode(header[6:], validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return name, password


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a request's CSRF token is the session's (compared in constant time)."""
    return bool(given) and bool(expected) and hmac.compare_digest(
        str(given).encode(), str(expected).encode())


@dataclass
class Visitor:
    """Who a request comes from, as :class:`Authenticate` found out (``request.state``)."""

    account: str | None = None
    session: Session | None = None
    basic: bool = False
    form_token: str = field(default="", repr=False)
    new_form_nonce: str | None = field(default=None, repr=False)

    @property
    def local(self) -> bool:
        """Whether this is the person at the console's computer (its start secret)."""
        return self.account == LOCAL_ACCOUNT

    @property
    def csrf(self) -> str:
        """The CSRF token this visitor's forms carry: the session's, else the signed
        nonce's."""
        return self.session.csrf if self.session is not None else self.form_token


def client_address(scope: Scope) -> str:
    """The client's address (the proxy's ``X-Forwarded-For`` where uvicorn trusts it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class AuthSettings:
    """What :class:`Authenticate` needs to know."""

    accounts: Accounts
    sessions: Sessions
    throttle: Throttle
    needs_login: bool
    secure_cookies: bool | None = None  # None: when the request came over HTTPS
    start_secret: str | None = field(default=None, repr=False)  # loopback consoles only
    forms: FormTokens = field(default_factory=FormTokens, repr=False)


def session_cookie(token: str, secure: bool, name: str = SESSION_COOKIE) -> str:
    """The ``Set-Cookie`` value for a session id (or a form nonce, by ``name``): not
    readable by scripts, never sent by another site's page, and only over HTTPS where the
    console is served so."""
    return (f"{name}={token}; Path=/; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def start_secret_given(request: Request) -> tuple[str, bool] | None:
    """The start secret a request carries, and whether in its address (``?token=``)
    rather than its ``Authorization: token`` header."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == f"{START_SECRET_PARAMETER} ":
        return header[6:].strip(), False
    given = request.query_params.get(START_SECRET_PARAMETER)
    return (given, True) if given is not None else None


def without_start_secret(request: Request) -> str:
    """The request's path and query without the start secret (where to go once it is
    in a cookie)."""
    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k != START_SECRET_PARAMETER]
    query = urlencode(kept)
    return request.url.path + (f"?{query}" if query else "")


def is_secure(scope: Scope, settings: AuthSettings) -> bool:
    """Whether cookies must be ``Secure``: by the setting, else by the request's scheme."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return scope.get("scheme") == "https"


def wants_json(path: str) -> bool:
    """Whether a path is answered in JSON (an API path, or a volunteer link's JSON), not
    as a page."""
    return path.startswith(API_PATHS) or path == "/docs" or (
        path.startswith(VOLUNTEER_PATHS) and path.endswith(VOLUNTEER_JSON_PATHS))


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(seconds))


def too_many_attempts(path: str, seconds: float) -> Response:
    """429 with ``Retry-After`` for throttled credentials."""
    wait = retry_after(seconds)
    detail = f"too many wrong passwords: try again in {wait} s"
    if wants_json(path):
        return JSONResponse({"detail": detail}, status_code=429,
                            headers={"retry-after": str(wait)})
    return PlainTextResponse(detail, status_code=429, headers={"retry-after": str(wait)})


class Authenticate:
    """Find out who is asking, and refuse what they may not do."""

    def __init__(self, app: ASGIApp, settings: AuthSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path, method = scope["path"], scope["method"]
        headers = {k: v for k, v in request.headers.items()}
        if method not in SAFE_METHODS and foreign_origin(headers, headers.get("host", "")):
            await self._deny(scope, receive, send, 403, "request from another site refused")
            return
        settings = self.settings
        visitor = Visitor()
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:  # a visitor without the cookie never touches the sessions' table
            session = await run_in_threadpool(settings.sessions.get, cookie)
            if session is not None and self._holds(session.account):
                visitor.session, visitor.account = session, session.account
        secret = start_secret_given(request) if visitor.account is None else None
        given = basic_credentials(headers.get("authorization"))
        if secret is not None:
            if not settings.start_secret or not same_token(secret[0], settings.start_secret):
                await self._deny(scope, receive, send, 403, "wrong or stale start secret: "
                                 "open the address `matching serve` printed")
                return
            visitor.account = LOCAL_ACCOUNT
            if secret[1] and method == "GET" and not wants_json(path):
                # the secret goes into a session cookie and out of the address bar
                session = await run_in_threadpool(settings.sessions.create, LOCAL_ACCOUNT)
                response = RedirectResponse(without_start_secret(request), 303)
                response.headers.append("set-cookie", session_cookie(
                    session.token, is_secure(scope, settings)))
                await response(scope, receive, send)
                return
        elif visitor.account is None and given is not None:
            keys = settings.throttle.keys(given[0], client_address(scope))
            wait = settings.throttle.attempt(keys)  # counted before the password is checked
            if wait > 0:
                await too_many_attempts(path, wait)(scope, receive, send)
                return
            if await run_in_threadpool(settings.accounts.verify, *given):
                settings.throttle.succeeded(keys)
                visitor.account, visitor.basic = given[0], True
        if visitor.account is None and not path.startswith(OPEN_PATHS):
            if wants_json(path):
                status = 401 if settings.needs_login else 403
                await self._deny(scope, receive, send, status, "log in first" if status == 401
                                 else "open the address `matching serve` printed, or send "
                                      "an account's credentials")
            else:
                await RedirectResponse("/login", 303)(scope, receive, send)
            return
        if visitor.session is None and not path.startswith(SHARED_FILE_PATHS + VOLUNTEER_PATHS):
            # forms need a CSRF token: a signed cookie nonce, no server-side row
            nonce = request.cookies.get(FORM_COOKIE)
            if not settings.forms.token(nonce):
                nonce = visitor.new_form_nonce = settings.forms.nonce()
            visitor.form_token = settings.forms.token(nonce)
        scope.setdefault("state", {})["visitor"] = visitor
        secure = is_secure(scope, settings)

        async def send_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and visitor.new_form_nonce:
                message.setdefault("headers", []).append((b"set-cookie", session_cookie(
                    visitor.new_form_nonce, secure, FORM_COOKIE).encode()))
            await send(message)

        await self.app(scope, receive, send_cookie)

    def _holds(self, account: str) -> bool:
        """Whether a session of ``account`` still stands: the start secret's while this
        console runs on this computer, an account's while the account is there."""
        if account == LOCAL_ACCOUNT:
            return self.settings.start_secret is not None
        return bool(account) and account in self.settings.accounts.names()

    async def _deny(self, scope: Scope, receive: Receive, send: Send, status: int,
                    detail: str) -> None:
        extra = {"www-authenticate": 'Basic realm="matching"'} if status == 401 else {}
        if wants_json(scope["path"]):
            response: Response = JSONResponse({"detail": detail}, status, headers=extra)
        else:
            response = PlainTextResponse(detail, status, headers=extra)
        await response(scope, receive, send)


def visitor_of(request: Request) -> Visitor:
    """Who is asking (set by :class:`Authenticate`)."""
    return request.scope.get("state", {}).get("visitor") or Visitor()

