"""The console as a FastAPI application: server-rendered pages for the coordinator
(:mod:`~matching.console.pages`), a JSON API under ``/api/`` for the same actions
(:mod:`~matching.console.api`), and the guards every request passes
(:mod:`~matching.console.guard`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching import __version__
from matching.assets import LEAFLET, SWAGGER_UI
from matching.catalogue import known, say
from matching.console import api, exchange_routes, pages, volunteer
from matching.console.bodies import UPLOAD_BYTES
from matching.console.context import Console, ConsoleSettings, language
from matching.console.guard import (
    Authenticate,
    BodyLimit,
    HostGuard,
    SecurityHeaders,
    content_security_policy,
    served_hosts,
    wants_json,
)
from matching.console.links import DEFAULT_LINK_DAYS

HERE = Path(__file__).parent

#: The largest request body: three rosters at the upload limit, and a form around them.
MAX_REQUEST_BYTES = UPLOAD_BYTES

#: The API's page: the console's own copy of Swagger UI, started by a script file (the
#: Content-Security-Policy allows no inline script).
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>matching console API</title>
<link rel="stylesheet" href="/swagger/swagger-ui.css">
<link rel="icon" href="/swagger/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>
"""


def create_app(data: str | Path, *, host: str = "127.0.0.1", port: int = 8000,
               allowed_hosts: tuple[str, ...] = (), tiles: str | None = None,
               secure_cookies: bool | None = None, idle_minutes: float | None = None,
               command: tuple[str, ...] | None = None,
               link_days: int = DEFAULT_LINK_DAYS, phone_address: str | None = None,
               start_secret: str | None = None, alliance: str = "",
               database: str = "") -> FastAPI:
    """The console over the data folder ``data``.

    Parameters
    ----------
    host, port
        Where it will listen: any host but a loopback one needs an account (see
        :class:`matching.console.accounts.Accounts`). Requests must name it (or one of
        ``allowed_hosts``) in their ``Host`` header.
    allowed_hosts
        The names people use to reach a console served on a network address.
    tiles
        A map tile URL template (``https://.../{z}/{x}/{y}.png``); without one the map
        draws people and pairs on a blank background.
    secure_cookies
        Mark cookies ``Secure`` always (``True``), never (``False``), or when the request
        came over HTTPS (``None``).
    idle_minutes
        A session unused for this long ends (default 30).
    command
        How to run ``matching`` for a run (default: this Python).
    link_days
        Days a volunteer's personal link keeps working after its run's horizon.
    phone_address
        The address phones open the console by (``http://192.168.1.20:8000``), printed in
        the volunteers' links; the links page can set it too.
    start_secret
        On a loopback address, the secret that opens the console (default: a new random
        one, ``app.state.console.start_secret``); see :mod:`matching.console.guard`.
    alliance
        The name of the alliance the programmes form: they share one time-bank ledger
        (hours earned in one community are spent in another); empty, each keeps its own.
    database
        A ``postgresql://`` address: the time-bank ledgers live there (several console
        processes may then serve one county); empty, in SQLite files in ``data``.

    Raises
    ------
    PermissionError
        If ``host`` is not a loopback address and the data folder has no account, or no
        name people could reach it by.
    """
    settings = ConsoleSettings(host=host, port=port, allowed_hosts=tuple(allowed_hosts),
                               tiles=tiles, secure_cookies=secure_cookies, link_days=link_days,
                               phone_address=phone_address, alliance=alliance,
                               database=database,
                               **({"idle_seconds": idle_minutes * 60} if idle_minutes else {}))
    console = Console(data, settings, command, start_secret)
    if settings.needs_login and not console.accounts.names():
        raise PermissionError(
            f"refusing to serve on {host} without an account: add one with "
            f"`matching account add NAME --data {console.store.root}`, or serve on 127.0.0.1")
    hosts = served_hosts(host, port, settings.allowed_hosts)
    if not hosts:
        raise PermissionError(
            f"serving on {host}, give the name people will type to reach the console: "
            "--allowed-host NAME (an address such as 192.168.1.20, or a host name)")
    app = FastAPI(title="matching console", summary="Plan a “60 helps 90” programme: upload "
                  "rosters, pair, schedule, hand out rotas.", on_shutdown=[console.runs.stop],
                  version=__version__, docs_url=None, redoc_url=None)
    app.state.console = console
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/leaflet", StaticFiles(directory=str(LEAFLET)), name="leaflet")
    app.mount("/swagger", StaticFiles(directory=str(SWAGGER_UI)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(volunteer.router)
    app.include_router(exchange_routes.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, exc.detail,
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, jsonable_encoder(exc.errors()))

    # added innermost first: a request meets the headers, then the host, the body's size
    # and who is asking, in that order
    app.add_middleware(Authenticate, settings=console.auth)
    app.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)
    app.add_middleware(HostGuard, hosts=hosts)
    app.add_middleware(SecurityHeaders, policy=content_security_policy(tiles))
    return app


def error_response(request: Request, status: int, detail: object,
                   headers: dict[str, str] | None = None) -> Response:
    """An error as JSON for the API, and as a page for a person."""
    if wants_json(request.url.path):
        return JSONResponse({"detail": detail}, status, headers=headers)
    console: Console = request.app.state.console
    code = f"console.error_{status}"
    message = say(code if known(code) else "console.error_500", language(request))
    return console.page(request, "error.html", status, code=status, message=message)
