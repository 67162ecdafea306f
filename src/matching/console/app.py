"""The console as a FastAPI application: server-rendered pages for the coordinator, and a
JSON API under ``/api/`` for the same actions (documented at ``/docs``)."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from fastapi import FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.middleware.sessions import SessionMiddleware

from matching import __version__
from matching.analysis.metrics import coverage
from matching.analysis.why import explain_elder
from matching.columns import ALIASES
from matching.console import security, service
from matching.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, words
from matching.console.runs import RunQueue
from matching.console.store import INPUT_KINDS, NotFound, Store, read_json
from matching.errors import InputError, Problem
from matching.read import read_table, read_world
from matching.rota import LABELS as ROTA_LABELS
from matching.run import Run, load_run

HERE = Path(__file__).parent

#: Where Leaflet's files are (the ``django-js-lib-leaflet`` package ships them; only its
#: static files are used, never Django).
LEAFLET = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"

#: Where Swagger UI's files are, for the API's page at /docs (``fastapi-offline`` ships
#: them; only its static files are used).
SWAGGER_UI = importlib.resources.files("fastapi_offline") / "static"

#: Plans kept in memory for the results pages (each is read back from its folder).
CACHED_RUNS = 4

#: Paths anyone may open without logging in.
OPEN_PATHS = ("/login", "/static/", "/leaflet/", "/swagger/", "/lang/")


class RunRequest(BaseModel):
    """Options of a run; ``{}`` gives a pairing and a 13-week schedule from next Monday."""

    start: dt.date | None = Field(None, description="the schedule's first day, a Monday")
    weeks: int = Field(service.DEFAULT_WEEKS, ge=1, le=53)
    time_limit: float = Field(service.DEFAULT_TIME_LIMIT, gt=0, le=3600)
    seed: int = Field(0, ge=0)
    lang: Literal["zh", "en"] = "zh"
    schedule: bool = True
    leaving: list[str] = Field(default_factory=list,
                               description="ids of volunteers who leave (a re-plan)")


def create_app(data: str | Path, *, host: str = "127.0.0.1", tiles: str | None = None,
               command: tuple[str, ...] | None = None) -> FastAPI:
    """The console over the data folder ``data``.

    Parameters
    ----------
    host
        The address it will listen on: any but a loopback one needs an account (see
        :class:`matching.console.security.Accounts`).
    tiles
        A map tile URL template (``https://.../{z}/{x}/{y}.png``); without one the map
        draws people and pairs on a blank background.
    command
        How to run ``matching`` for a run (default: this Python).

    Raises
    ------
    PermissionError
        If ``host`` is not a loopback address and the data folder has no account.
    """
    store = Store(data)
    accounts = security.Accounts(store.root)
    needs_login = not security.is_loopback(host)
    if needs_login and not accounts.names():
        raise PermissionError(
            f"refusing to serve on {host} without an account: add one with "
            f"`matching account add NAME --data {store.root}`, or serve on 127.0.0.1")
    runs = RunQueue(store, command, finish=lambda run_id: service.workbook(store, run_id))
    app = FastAPI(title="matching console", summary="Plan a “60 helps 90” programme: upload "
                  "rosters, pair, schedule, hand out rotas.", on_shutdown=[runs.stop],
                  version=__version__, docs_url=None, redoc_url=None)
    app.state.store, app.state.runs = store, runs
    templates = Jinja2Templates(directory=HERE / "templates")

    @functools.lru_cache(maxsize=CACHED_RUNS)
    def plan_of(run_id: str) -> Run:
        return load_run(store.run_dir(run_id) / "out")

    # --- guards -----------------------------------------------------------------------

    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        if request.method not in security.SAFE_METHODS and security.foreign_origin(
                dict(request.headers.items()), request.headers.get("host", "")):
            return JSONResponse({"detail": "request from another site refused"}, 403)
        request.state.user, request.state.basic = None, False
        if not needs_login:
            request.state.user = "local"
        elif request.session.get("user") in accounts.names():
            request.state.user = request.session["user"]
        else:
            given = security.basic_credentials(request.headers.get("authorization"))
            if given and accounts.verify(*given):
                request.state.user, request.state.basic = given[0], True
        if request.state.user is None and not path.startswith(OPEN_PATHS):
            if path.startswith("/api/") or path in ("/openapi.json", "/docs"):
                return JSONResponse({"detail": "log in first"}, 401,
                                    headers={"WWW-Authenticate": 'Basic realm="matching"'})
            return RedirectResponse("/login", 303)
        return await call_next(request)

    app.add_middleware(SessionMiddleware, secret_key=security.session_key(store.root),
                       session_cookie="matching_session", same_site="strict",
                       https_only=False, max_age=12 * 3600)

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = security.new_csrf_token()
        return request.session["csrf"]

    def check_form_token(request: Request, given: str) -> None:
        if not security.same_token(given, request.session.get("csrf")):
            raise HTTPException(403, "the form's security token is missing or stale: reload "
                                     "the page and try again")

    def check_api_token(request: Request, given: str | None) -> None:
        # a script without the session cookie (curl) cannot be a forged browser request;
        # a request riding on the cookie must show it read the token from a page
        if request.state.basic or "csrf" not in request.session:
            return
        if not security.same_token(given, request.session.get("csrf")):
            raise HTTPException(403, "missing or wrong X-CSRF-Token header")

    def lang_of(request: Request) -> str:
        lang = request.cookies.get("lang", DEFAULT_LANGUAGE)
        return lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def page(request: Request, template: str, status_code: int = 200, **context: object
             ) -> HTMLResponse:
        lang = lang_of(request)
        name = context.get("name")
        if isinstance(name, str) and "latest" not in context:
            context["latest"] = service.latest_run(store, name)
        return templates.TemplateResponse(request, template, {
            "t": words(lang), "lang": lang, "csrf": csrf_token(request),
            "column_label": functools.partial(_column_label, lang=lang),
            "user": request.state.user, "needs_login": needs_login,
            "programmes": store.programmes(), **context}, status_code=status_code)

    def programme_or_404(name: str) -> str:
        try:
            store.programme_dir(name)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        return name

    def run_or_404(run_id: str) -> dict:
        try:
            return read_json(store.run_dir(run_id) / "status.json")
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    def file_or_404(run_id: str, path: str) -> FileResponse:
        try:
            return FileResponse(store.run_file(run_id, path))
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    async def read_uploads(files: dict[str, UploadFile | None]) -> dict[str, tuple[str, bytes]]:
        out = {}
        for kind, upload in files.items():
            if upload is not None and upload.filename:
                content = await upload.read(service.MAX_UPLOAD_BYTES + 1)
                out[kind] = (upload.filename, content)
        return out

    # --- static files -------------------------------------------------------------------

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/leaflet", StaticFiles(directory=str(LEAFLET)), name="leaflet")
    app.mount("/swagger", StaticFiles(directory=str(SWAGGER_UI)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # the API's page from the console's own copy of Swagger UI, never from a CDN
        return get_swagger_ui_html(openapi_url="/openapi.json", title="matching console API",
                                   swagger_js_url="/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/swagger/swagger-ui.css",
                                   swagger_favicon_url="/swagger/favicon.png")

    # --- pages --------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        listed = [(name, store.inputs(name), service.latest_run(store, name))
                  for name in store.programmes()]
        return page(request, "home.html", listed=listed)

    @app.post("/programmes", include_in_schema=False)
    def new_programme(request: Request, name: Annotated[str, Form()],
                      csrf: Annotated[str, Form()] = "") -> Response:
        check_form_token(request, csrf)
        try:
            store.programme_dir(name.strip(), create=True)
        except NotFound as exc:
            raise HTTPException(422, str(exc)) from exc
        return RedirectResponse(f"/p/{name.strip()}/upload", 303)

    @app.get("/p/{name}/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_page(request: Request, name: str) -> HTMLResponse:
        programme_or_404(name)
        return page(request, "upload.html", name=name, saved=store.inputs(name),
                    kinds=INPUT_KINDS)

    @app.post("/p/{name}/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload_form(request: Request, name: str, csrf: Annotated[str, Form()] = "",
                          volunteers: UploadFile | None = None,
                          elders: UploadFile | None = None,
                          relations: UploadFile | None = None) -> HTMLResponse:
        check_form_token(request, csrf)
        programme_or_404(name)
        uploads = await read_uploads({"volunteers": volunteers, "elders": elders,
                                      "relations": relations})
        try:
            found = service.check_upload(store, name, uploads)
        except service.UploadRefused as exc:
            return page(request, "upload.html", 422, name=name, saved=store.inputs(name),
                        kinds=INPUT_KINDS, problems=exc.problems,
                        warnings=exc.diagnosis.warnings if exc.diagnosis else [])
        return page(request, "upload.html", name=name, saved=store.inputs(name),
                    kinds=INPUT_KINDS, accepted=True, warnings=found.warnings)

    @app.get("/p/{name}/map", response_class=HTMLResponse, include_in_schema=False)
    def map_page(request: Request, name: str) -> HTMLResponse:
        programme_or_404(name)
        done = service.latest_run(store, name)
        table = None
        if done is not None:
            table = _coverage_rows(coverage(plan_of(done["id"]), by="community"))
        return page(request, "map.html", name=name, tiles=tiles, done=done, table=table,
                    saved=store.inputs(name))

    @app.get("/p/{name}/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(request: Request, name: str) -> HTMLResponse:
        programme_or_404(name)
        start = service.RunOptions().first_day(dt.date.today())
        return page(request, "plan.html", name=name, start=start, saved=store.inputs(name),
                    runs=store.runs(name), defaults=service.RunOptions())

    @app.post("/p/{name}/plan", include_in_schema=False)
    def plan_form(request: Request, name: str, csrf: Annotated[str, Form()] = "",
                  start: Annotated[dt.date | None, Form()] = None,
                  weeks: Annotated[int, Form(ge=1, le=53)] = service.DEFAULT_WEEKS,
                  time_limit: Annotated[float, Form(gt=0, le=3600)] = service.DEFAULT_TIME_LIMIT
                  ) -> Response:
        check_form_token(request, csrf)
        programme_or_404(name)
        options = service.RunOptions(start=start, weeks=weeks, time_limit=time_limit,
                                     lang=lang_of(request))
        try:
            run_id = service.start_run(store, runs, name, options)
        except (service.UploadRefused, InputError) as exc:
            return page(request, "plan.html", 422, name=name, saved=store.inputs(name),
                        runs=store.runs(name), defaults=options,
                        start=options.first_day(dt.date.today()),
                        problems=_problems(exc))
        return RedirectResponse(f"/runs/{run_id}", 303)

    def volunteers_of(name: str) -> list[tuple[str, str]]:
        inputs = store.inputs(name)
        if "volunteers" not in inputs:
            return []
        table = read_table(inputs["volunteers"])
        names = table["name"] if "name" in table else table["volunteer_id"]
        return sorted(zip(table["volunteer_id"].astype(str), names.astype(str), strict=True))

    def changes_page_of(request: Request, name: str, status_code: int = 200,
                        **context: object) -> HTMLResponse:
        done = service.latest_run(store, name)
        start = service.RunOptions().first_day(dt.date.today())
        return page(request, "changes.html", status_code, name=name, step="changes",
                    changes=service.pending_changes(store, name), done=done,
                    volunteers=volunteers_of(name),
                    fields=[(f, ALIASES[f][0] if lang_of(request) == "zh" else f)
                            for f in service.ELDER_FORM_FIELDS],
                    from_date=start, **context)

    @app.get("/p/{name}/changes", response_class=HTMLResponse, include_in_schema=False)
    def changes_page(request: Request, name: str) -> HTMLResponse:
        programme_or_404(name)
        return changes_page_of(request, name)

    @app.post("/p/{name}/changes", include_in_schema=False)
    async def changes_form(request: Request, name: str) -> Response:
        programme_or_404(name)
        form = await request.form()
        check_form_token(request, str(form.get("csrf", "")))
        action = str(form.get("action", ""))
        try:
            if action == "leaving":
                service.mark_leaving(store, name, str(form.get("volunteer_id", "")))
            elif action == "joining":
                service.add_elder(store, name, {k: str(form.get(k, ""))
                                                for k in service.ELDER_FORM_FIELDS})
            elif action.startswith("drop:"):
                _, kind, key = action.split(":", 2)
                service.drop_change(store, name, kind, key)
            elif action == "replan":
                day = dt.date.fromisoformat(str(form.get("from_date", "")))
                run_id = service.start_replan(store, runs, name, day)
                return RedirectResponse(f"/runs/{run_id}", 303)
        except (service.UploadRefused, InputError) as exc:
            return changes_page_of(request, name, 422, problems=_problems(exc))
        except ValueError as exc:
            return changes_page_of(request, name, 422,
                                   problems=[Problem("form", str(exc))])
        return RedirectResponse(f"/p/{name}/changes", 303)

    @app.get("/p/{name}/timebank", response_class=HTMLResponse, include_in_schema=False)
    def timebank_page(request: Request, name: str, week: dt.date | None = None,
                      recorded: str | None = None) -> HTMLResponse:
        programme_or_404(name)
        return timebank_page_of(request, name, week, recorded=recorded)

    def timebank_page_of(request: Request, name: str, week: dt.date | None,
                         status_code: int = 200, **context: object) -> HTMLResponse:
        done = service.latest_run(store, name)
        activities, weeks = [], []
        if done is not None and done["summary"].get("schedule") is not None:
            asked = read_json(store.run_dir(done["id"]) / "request.json")
            first = dt.date.fromisoformat(asked["start"])
            weeks = [first + dt.timedelta(days=7 * k) for k in range(asked["weeks"])]
            week = week if week in weeks else weeks[0]
            table = service.week_activities(store, done["id"], week)
            activities = [(i, r) for i, r in enumerate(table.to_dict("records"))
                          if r["activity"] != "call"]
            context["calls"] = int((table["activity"] == "call").sum())
        balances = service.balances(store, name)
        return page(request, "timebank.html", status_code, name=name, step="timebank",
                    done=done, weeks=weeks, week=week, activities=activities,
                    activity_names=ROTA_LABELS[lang_of(request)],
                    marks=service.MARKS, balances=_records(balances, None), **context)

    @app.post("/p/{name}/timebank", include_in_schema=False)
    async def timebank_form(request: Request, name: str) -> Response:
        programme_or_404(name)
        form = await request.form()
        check_form_token(request, str(form.get("csrf", "")))
        done = service.latest_run(store, name)
        if done is None:
            raise HTTPException(409, "plan first")
        week = dt.date.fromisoformat(str(form.get("week", "")))
        marks = {}
        for key, value in form.items():
            field, _, row = key.partition(":")
            if row.isdigit() and field in ("status", "done_by", "minutes", "rating",
                                           "comment"):
                marks.setdefault(int(row), {})[field] = str(value)
        try:
            counts = service.record_week(store, name, done["id"], week, marks,
                                         calls_done=form.get("calls_done") == "on")
        except InputError as exc:
            return timebank_page_of(request, name, week, 422, problems=exc.problems)
        return RedirectResponse(f"/p/{name}/timebank?week={week}&recorded="
                                f"{counts['done']}-{counts['replaced']}-{counts['missed']}",
                                303)

    @app.get("/p/{name}/timebank/statement/{member}", response_class=HTMLResponse,
             include_in_schema=False)
    def statement_page(request: Request, name: str, member: str) -> HTMLResponse:
        programme_or_404(name)
        try:
            return HTMLResponse(service.statement(store, name, member, lang_of(request)))
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str, elder: str | None = None) -> HTMLResponse:
        status = run_or_404(run_id)
        context: dict[str, object] = {"status": status, "name": status["programme"]}
        if status["status"] == "done":
            plan = plan_of(run_id)
            out = store.run_dir(run_id) / "out"
            context.update(
                tiers=_coverage_rows(coverage(plan, by="priority")),
                communities=_coverage_rows(coverage(plan, by="community")),
                unassigned=_records(plan.unassigned, ("elder_id", "reason")),
                unmet=_records(plan.unmet, None) if plan.unmet is not None else [],
                rota=sorted(p.stem for p in (out / "rota").glob("*.html")),
                volunteer_names=dict(zip(plan.world.volunteers["volunteer_id"],
                                         plan.world.volunteers["name"], strict=True))
                if "name" in plan.world.volunteers else {},
                report=(out / "report.html").is_file(), elder=elder,
                changes=_records(plan.changes, None) if plan.changes is not None else [],
                explanation=_explanation(plan, elder) if elder else None)
        return page(request, "run.html", **context)

    @app.get("/runs/{run_id}/files/{path:path}", include_in_schema=False)
    def run_file_page(run_id: str, path: str) -> FileResponse:
        return file_or_404(run_id, path)

    @app.get("/runs/{run_id}/plan.xlsx", include_in_schema=False)
    def workbook_page(run_id: str) -> Response:
        return api_workbook(run_id)

    @app.get("/runs/{run_id}/everything.zip", include_in_schema=False)
    def zip_page(run_id: str) -> Response:
        return api_zip(run_id)

    @app.get("/lang/{code}", include_in_schema=False)
    def choose_language(request: Request, code: str) -> Response:
        back = request.headers.get("referer") or "/"
        if security.foreign_origin({"referer": back}, request.headers.get("host", "")):
            back = "/"
        response = RedirectResponse(back, 303)
        if code in LANGUAGES:
            response.set_cookie("lang", code, max_age=365 * 86400, samesite="strict")
        return response

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        return page(request, "login.html")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, account: Annotated[str, Form()],
              password: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> Response:
        check_form_token(request, csrf)
        if not accounts.verify(account, password):
            return page(request, "login.html", 401, failed=True)
        request.session.clear()
        request.session.update(user=account, csrf=security.new_csrf_token())
        return RedirectResponse("/", 303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        check_form_token(request, csrf)
        request.session.clear()
        return RedirectResponse("/login" if needs_login else "/", 303)

    # --- API ----------------------------------------------------------------------------

    @app.get("/api/programmes", tags=["programmes"])
    def api_programmes() -> list[dict]:
        """Every programme, with its saved input files and its runs' ids."""
        return [{"name": n, "inputs": sorted(store.inputs(n)),
                 "runs": [r["id"] for r in store.runs(n)]} for n in store.programmes()]

    @app.post("/api/programmes/{name}/inputs", tags=["programmes"])
    async def api_inputs(request: Request, name: str,
                         volunteers: Annotated[UploadFile | None, File()] = None,
                         elders: Annotated[UploadFile | None, File()] = None,
                         relations: Annotated[UploadFile | None, File()] = None,
                         x_csrf_token: Annotated[str | None, Header()] = None) -> JSONResponse:
        """Upload rosters (multipart fields ``volunteers``, ``elders``, ``relations``; CSV or
        .xlsx). They are checked with the programme's saved files and saved only if clean:
        200 with the warnings, or 422 with every problem by file, row and column."""
        check_api_token(request, x_csrf_token)
        try:
            store.programme_dir(name, create=True)
        except NotFound as exc:
            raise HTTPException(422, str(exc)) from exc
        uploads = await read_uploads({"volunteers": volunteers, "elders": elders,
                                      "relations": relations})
        if not uploads:
            return JSONResponse({"problems": [_problem(Problem("request", "has no files"))]},
                                422)
        try:
            found = service.check_upload(store, name, uploads)
        except service.UploadRefused as exc:
            return JSONResponse({"problems": [_problem(p) for p in exc.problems]}, 422)
        return JSONResponse({"saved": sorted(uploads), "inputs": sorted(store.inputs(name)),
                             "warnings": [_problem(p) for p in found.warnings]})

    @app.post("/api/programmes/{name}/runs", status_code=202, tags=["runs"])
    def api_start(request: Request, name: str, options: RunRequest,
                  x_csrf_token: Annotated[str | None, Header()] = None) -> dict:
        """Queue a run: a pairing and (unless ``schedule`` is false) a schedule. Returns its
        ``id``; a second run of the same programme waits for the first."""
        check_api_token(request, x_csrf_token)
        programme_or_404(name)
        try:
            run_id = service.start_run(store, runs, name,
                                       service.RunOptions(**options.model_dump()))
        except (service.UploadRefused, InputError) as exc:
            raise HTTPException(422, [_problem(p) for p in _problems(exc)]) from exc
        return {"id": run_id}

    @app.get("/api/programmes/{name}/runs", tags=["runs"])
    def api_runs(name: str) -> list[dict]:
        """The programme's runs, newest first."""
        programme_or_404(name)
        return store.runs(name)

    @app.get("/api/programmes/{name}/map", tags=["programmes"])
    def api_map(name: str) -> dict:
        """Volunteers and elders with their places, and the pairs of the latest finished
        run (none before the first)."""
        programme_or_404(name)
        done = service.latest_run(store, name)
        if done is not None:
            plan = plan_of(done["id"])
            world, assigned = plan.world, dict(zip(plan.assignments["elder_id"],
                                                   plan.assignments["volunteer_id"],
                                                   strict=True))
        else:
            inputs = store.inputs(name)
            if "volunteers" not in inputs or "elders" not in inputs:
                return {"run": None, "volunteers": [], "elders": [], "pairs": []}
            world, assigned = read_world(inputs["volunteers"], inputs["elders"],
                                         inputs.get("relations")), {}
        volunteers = _people(world.volunteers, "volunteer_id")
        elders = _people(world.elders, "elder_id")
        where = {v["id"]: (v["lat"], v["lon"]) for v in volunteers}
        for elder in elders:
            elder["volunteer"] = assigned.get(elder["id"], "")
        return {"run": done["id"] if done else None, "volunteers": volunteers,
                "elders": elders,
                "pairs": [[*where[e["volunteer"]], e["lat"], e["lon"]] for e in elders
                          if e["volunteer"] in where]}

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def api_run(run_id: str) -> dict:
        """A run's ``status`` (``queued``, ``running``, ``done`` or ``failed``), its
        ``progress`` (0 to 1) and stage, and once done its ``summary``."""
        return run_or_404(run_id)

    @app.get("/api/runs/{run_id}/files/{path:path}", tags=["runs"])
    def api_file(run_id: str, path: str) -> FileResponse:
        """Any output file of a finished run, such as ``assignments.csv`` or
        ``rota/V00001.html``."""
        return file_or_404(run_id, path)

    @app.get("/api/runs/{run_id}/workbook", tags=["runs"])
    def api_workbook(run_id: str) -> Response:
        """One Excel workbook: the assignments, the schedule and the unmet list."""
        run_or_404(run_id)
        return Response(service.workbook(store, run_id), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="plan-{run_id}.xlsx"'})

    @app.get("/api/runs/{run_id}/zip", tags=["runs"])
    def api_zip(run_id: str) -> Response:
        """Every output file of a run and its workbook, as a zip."""
        run_or_404(run_id)
        try:
            content = service.everything(store, run_id)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        return Response(content, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="run-{run_id}.zip"'})

    @app.get("/api/runs/{run_id}/explain/{elder_id}", tags=["runs"])
    def api_explain(run_id: str, elder_id: str) -> dict:
        """Why this elder has their volunteer, and who came next."""
        if run_or_404(run_id)["status"] != "done":
            raise HTTPException(409, "the run has not finished")
        return {"elder_id": elder_id, "text": _explain(plan_of(run_id), elder_id)}

    return app


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _coverage_rows(frame: pd.DataFrame) -> list[dict]:
    return [{"group": str(index), **{k: int(row[k]) for k in ("elders", "assigned", "unassigned")},
             "coverage": f"{row['coverage']:.1%}"} for index, row in frame.iterrows()]


def _column_label(column: str | None, lang: str) -> str:
    """A problem's column as a coordinator knows it: in Chinese, with its Chinese header
    (``age`` -> ``age（年龄）``)."""
    if not column:
        return ""
    chinese = next((a for a in ALIASES.get(column, ()) if not a.isascii()), None)
    return f"{column}（{chinese}）" if lang == "zh" and chinese else column


def _people(frame: pd.DataFrame, key: str) -> list[dict]:
    """Id, name, community and place of each person, for the map."""
    names = frame["name"] if "name" in frame else frame[key]
    return [{"id": str(i), "name": str(n), "community": str(c), "lat": float(a),
             "lon": float(b)}
            for i, n, c, a, b in zip(frame[key], names, frame["community"], frame["lat"],
                                     frame["lon"], strict=True)]


def _records(frame: pd.DataFrame | None, columns: tuple[str, ...] | None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    chosen = [c for c in (columns or frame.columns) if c in frame.columns]
    return frame[chosen].astype(str).to_dict("records")


def _explain(plan: Run, elder_id: str) -> str:
    return _explanation(plan, elder_id)[0]


def _explanation(plan: Run, elder_id: str) -> tuple[str, dict[str, list[dict]]]:
    """The text of ``matching explain`` and its tables (chosen, alternatives) as rows."""
    try:
        found = explain_elder(plan, elder_id)
    except (InputError, KeyError, ValueError) as exc:
        return str(exc), {}
    tables = {name: _records(frame.map(lambda v: "✓" if v is True else "" if v is False
                                       else v), None)
              for name, frame in (("chosen", found.chosen),
                                  ("alternatives", found.alternatives))}
    return found.text(), {"note": [{"text": found.note}] if found.note else [], **tables}


def _problems(exc: Exception) -> list[Problem]:
    return list(getattr(exc, "problems", [])) or [Problem("request", str(exc))]


def _problem(p: Problem) -> dict:
    return {"file": p.file, "row": p.row, "column": p.column, "value": p.value,
            "message": p.message, "text": str(p)}
