"""The console's pages for the coordinator, server-rendered, in the order of the work:
programmes, upload, map, plan, results and hand-outs, changes, the time bank, logging in."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from matching.analysis.doctor import Diagnosis
from matching.analysis.metrics import coverage
from matching.analysis.report import six_ones_table
from matching.analysis.why import explain_elder
from matching.catalogue import LANGUAGES, known, say, table
from matching.console import service
from matching.console.accounts import ROLES
from matching.console.bodies import BoundedRoute
from matching.console.context import (
    ADMIN_ONLY,
    LANGUAGE_COOKIE,
    MAY_AUDIT,
    MAY_PLAN,
    MAY_READ,
    SETTINGS_FILE,
    Console,
    actor_of,
    check_form_token,
    console_of,
    language,
    live_status,
    phone_address_problem,
    stage_text,
    visible_programmes,
)
from matching.console.guard import (
    SESSION_COOKIE,
    client_address,
    foreign_origin,
    is_secure,
    retry_after,
    session_cookie,
    visitor_of,
)
from matching.console.store import (
    INPUT_KINDS,
    BadName,
    NotFound,
    Store,
    read_json,
    write_json,
)
from matching.outputs.folder import Run
from matching.outputs.rota import with_link, with_links
from matching.outputs.tables import Names, rows, tier_name
from matching.outputs.write import csv_bytes
from matching.programme.audit import Entry as AuditEntry
from matching.programme.notify import notify_html, notify_sheet
from matching.programme.roster import LEAVE_REASONS
from matching.rules.errors import InputError, InputIssue
from matching.world.columns import ALIASES, ELDER_ID, VOLUNTEER_ID
from matching.world.places import KnownPlaces

router = APIRouter(include_in_schema=False, route_class=BoundedRoute)
ConsoleDep = Annotated[Console, Depends(console_of)]

#: How long the language choice is remembered, in seconds (a year).
LANGUAGE_COOKIE_SECONDS = 365 * 86400


@router.get("/", response_class=HTMLResponse)
def home(request: Request, console: ConsoleDep) -> HTMLResponse:
    """Every programme, with its saved rosters and latest plan."""
    store = console.store
    listed = [(name, store.inputs(name), service.latest_run(store, name))
              for name in visible_programmes(request)]
    return console.page(request, "home.html", listed=listed)


@router.post("/programmes", dependencies=[ADMIN_ONLY])
def new_programme(request: Request, console: ConsoleDep, name: Annotated[str, Form()],
                  csrf: Annotated[str, Form()] = "") -> Response:
    """Create a programme (its name checked against the others')."""
    check_form_token(request, csrf)
    name = unicodedata.normalize("NFC", name.strip())
    try:
        console.store.programme_dir(name, create=True)
    except (NotFound, BadName) as exc:
        listed = [(n, console.store.inputs(n), service.latest_run(console.store, n))
                  for n in visible_programmes(request)]
        issue = exc.issue if isinstance(exc, BadName) else InputIssue("name", "name.pattern")
        return console.page(request, "home.html", 422, listed=listed, problems=[issue])
    return RedirectResponse(f"/p/{name}/upload", 303)


@router.get("/p/{name}/upload", response_class=HTMLResponse, dependencies=[MAY_PLAN])
def upload_page(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """The upload form, with the rosters saved so far."""
    console.programme_or_404(name)
    return console.page(request, "upload.html", name=name, saved=console.store.inputs(name),
                        kinds=INPUT_KINDS, step="upload", streets=console.store.streets(name))


#: One upload is checked at a time: checking holds a whole roster in memory.
_CHECKING = asyncio.Semaphore(1)


async def read_uploads(files: dict[str, UploadFile | None]) -> dict[str, tuple[str, bytes]]:
    """The uploaded files' names and contents by kind (the body's size is bounded before)."""
    out = {}
    for kind, upload in files.items():
        if upload is not None and upload.filename:
            out[kind] = (upload.filename, await upload.read(service.MAX_UPLOAD_BYTES + 1))
    return out


#: Bytes read at a time from an uploaded street extract.
UPLOAD_CHUNK_BYTES = 1 << 20


def upload_chunks(upload: UploadFile) -> Iterator[bytes]:
    """An uploaded file's contents a piece at a time (read in a worker thread: the upload
    is spooled to disk, and a street extract may be large)."""
    return iter(lambda: upload.file.read(UPLOAD_CHUNK_BYTES), b"")


async def check_off_the_loop(console: Console, name: str,
                             uploads: dict[str, tuple[str, bytes]]) -> Diagnosis:
    """Check an upload in a worker thread, one at a time, so that the other pages answer
    meanwhile."""
    async with _CHECKING:
        return await run_in_threadpool(service.check_upload, console.store, name, uploads)


@router.post("/p/{name}/upload", response_class=HTMLResponse, dependencies=[MAY_PLAN])
async def upload_form(request: Request, console: ConsoleDep, name: str,
                      csrf: Annotated[str, Form()] = "",
                      volunteers: UploadFile | None = None, elders: UploadFile | None = None,
                      relations: UploadFile | None = None) -> HTMLResponse:
    """Check the uploaded rosters with the saved ones. The first rosters are saved when
    clean; later ones are kept aside and their differences shown, to be taken or not."""
    check_form_token(request, csrf)
    console.programme_or_404(name)
    uploads = await read_uploads({"volunteers": volunteers, "elders": elders,
                                  "relations": relations})
    context: dict[str, Any] = {"name": name, "kinds": INPUT_KINDS, "step": "upload",
                               "streets": console.store.streets(name)}
    saved = console.store.inputs(name)
    first = not {"volunteers", "elders"} <= set(saved)
    try:
        if first:
            found = await check_off_the_loop(console, name, uploads)
        else:
            async with _CHECKING:
                found, token, changes = await run_in_threadpool(
                    service.stage_upload, console.store, name, uploads)
    except service.UploadRefused as exc:
        return console.page(request, "upload.html", 422, saved=saved,
                            problems=exc.problems, problem_count=exc.count,
                            warnings=exc.diagnosis.warnings if exc.diagnosis else [],
                            **context)
    if first:
        console.log(request, "upload", name, ", ".join(sorted(uploads)), None,
                    {"files": service.fingerprints(uploads)})
        return console.page(request, "upload.html", saved=console.store.inputs(name),
                            accepted=True, warnings=found.warnings, **context)
    return console.page(request, "upload.html", saved=saved, warnings=found.warnings,
                        staged=token, differences=difference_rows(
                            changes, language(request), console, name),
                        fingerprints=service.fingerprints(uploads), **context)


@router.post("/p/{name}/streets", response_class=HTMLResponse, dependencies=[MAY_PLAN])
async def streets_form(request: Request, console: ConsoleDep, name: str,
                       csrf: Annotated[str, Form()] = "",
                       streets: UploadFile | None = None) -> HTMLResponse:
    """Check an uploaded street extract and save it as the programme's: its next runs
    walk on it."""
    check_form_token(request, csrf)
    console.programme_or_404(name)
    context: dict[str, Any] = {"name": name, "kinds": INPUT_KINDS, "step": "upload",
                               "saved": console.store.inputs(name),
                               "streets": console.store.streets(name)}
    if streets is None or not streets.filename:
        return console.page(request, "upload.html", 422, problems=[
            InputIssue("request", "upload.no_files")], problem_count=1, **context)
    try:
        async with _CHECKING:
            figures = await run_in_threadpool(service.save_streets, console.store, name,
                                              upload_chunks(streets))
    except service.UploadRefused as exc:
        return console.page(request, "upload.html", 422, problems=exc.problems,
                            problem_count=exc.count, **context)
    console.log(request, "streets", name, service.STREETS_NAME, None, figures)
    context["streets"] = console.store.streets(name)
    return console.page(request, "upload.html", streets_saved=figures, **context)


def difference_rows(changes: dict[str, dict[str, list]], lang: str, console: Console,
                    name: str) -> list[dict[str, Any]]:
    """An upload's differences as the page shows them: per file, who comes, who goes and
    whose details change (with the columns as the coordinator knows them)."""
    members = service.roster(console.store, name, dt.date.today())
    names = Names.of(("volunteer", members.volunteers), ("elder", members.elders))
    out = []
    for kind, found in changes.items():
        who = {"volunteers": "volunteer", "elders": "elder"}.get(kind)
        if who is None:
            out.append({"kind": kind, "added": [" ".join(r) for r in found["added"]],
                        "removed": [" ".join(r) for r in found["removed"]], "changed": []})
            continue
        out.append({"kind": kind,
                    "added": [names.show(who, i) for i in found["added"]],
                    "removed": [names.show(who, i) for i in found["removed"]],
                    "changed": [f"{names.show(who, i)}：" + "、".join(
                        say_column(c, lang) for c in columns)
                        for i, columns in found["changed"]]})
    return out


@router.post("/p/{name}/upload/{token}", response_class=HTMLResponse, dependencies=[MAY_PLAN])
async def upload_take(request: Request, console: ConsoleDep, name: str, token: str,
                      csrf: Annotated[str, Form()] = "",
                      action: Annotated[str, Form()] = "") -> Response:
    """Take an upload kept aside (its differences seen), or give it up."""
    check_form_token(request, csrf)
    console.programme_or_404(name)
    try:
        files = console.store.staged(name, token)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    if action == "take":
        before = {k: {"name": p.name, "bytes": p.stat().st_size}
                  for k, p in console.store.inputs(name).items() if k in files}
        uploads = {k: (p.name, p.read_bytes()) for k, p in files.items()}
        console.store.replace_inputs(name, files)
        console.log(request, "upload", name, ", ".join(sorted(files)), before,
                    {"files": service.fingerprints(uploads)})
    console.store.drop_staged(name, token)
    if action != "take":
        return RedirectResponse(f"/p/{name}/upload", 303)
    return console.page(request, "upload.html", name=name, kinds=INPUT_KINDS, step="upload",
                        saved=console.store.inputs(name), accepted=True)


@router.get("/p/{name}/map", response_class=HTMLResponse, dependencies=[MAY_READ])
def map_page(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """People and pairs on a map, coverage by community beside it."""
    console.programme_or_404(name)
    done = service.latest_run(console.store, name)
    table = None
    if done is not None:
        table = coverage_rows(coverage(console.plan_of(done["id"]), by="community"))
    return console.page(request, "map.html", name=name, tiles=console.settings.tiles,
                        done=done, table=table, saved=console.store.inputs(name), step="map")


@router.get("/p/{name}/plan", response_class=HTMLResponse, dependencies=[MAY_READ])
def plan_page(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """The run form and the programme's runs."""
    console.programme_or_404(name)
    start = service.RunOptions().first_day(dt.date.today())
    return console.page(request, "plan.html", name=name, start=start,
                        saved=console.store.inputs(name), runs=console.store.runs(name),
                        defaults=service.plan_defaults(console.store, name), step="plan")


@router.post("/p/{name}/plan", dependencies=[MAY_PLAN])
def plan_form(request: Request, console: ConsoleDep, name: str,
              csrf: Annotated[str, Form()] = "", start: Annotated[str, Form()] = "",
              weeks: Annotated[str, Form()] = "", time_limit: Annotated[str, Form()] = "",
              contact: Annotated[str, Form()] = "", visit_times: Annotated[str, Form()] = "",
              call_start: Annotated[str, Form()] = "",
              call_spacing_minutes: Annotated[str, Form()] = "") -> Response:
    """Queue a run and show it (or the form again, with what is wrong in it). The times of
    day it sets are kept as the programme's own for its next runs."""
    check_form_token(request, csrf)
    console.programme_or_404(name)
    options = service.RunOptions(lang=language(request))
    try:
        options = service.run_options({"start": start, "weeks": weeks,
                                       "time_limit": time_limit, "lang": language(request),
                                       "contact": contact.strip(),
                                       "visit_times": visit_times.strip(),
                                       "call_start": call_start.strip(),
                                       "call_spacing_minutes": call_spacing_minutes})
        run_id = service.start_run(console.store, console.runs, name, options,
                                   actor=actor_of(request))
    except (service.UploadRefused, InputError) as exc:
        return console.page(request, "plan.html", 422, name=name,
                            saved=console.store.inputs(name), runs=console.store.runs(name),
                            defaults=options, start=options.first_day(dt.date.today()),
                            problems=problems_of(exc), step="plan")
    console.log(request, "run", name, f"run {run_id}", None, options.model_dump(mode="json"))
    return RedirectResponse(f"/runs/{run_id}", 303)


def people_of(table: pd.DataFrame, key: str) -> list[tuple[str, str]]:
    """A roster table's people as ``(id, name)``, by name, for the forms."""
    names = table["name"] if "name" in table else table[key]
    return sorted(zip(table[key].astype(str), names.astype(str), strict=True),
                  key=lambda pair: (pair[1], pair[0]))


#: The details an edit form offers, by person (all optional).
EDIT_FIELDS = {"volunteer": ("phone", "address", "lat", "lon", "available_days",
                             "max_elders", "weekly_minutes", "skills"),
               "elder": ("phone", "address", "lat", "lon", "available_days", "needs",
                         "visit_minutes", "refuses")}


def change_rows(entered: list, names: dict[str, str], lang: str) -> list[dict[str, str]]:
    """Entered changes as a table's rows, in the coordinator's words and names."""
    out = []
    for e in entered:
        c = e.change
        who = names.get(c.id) or str(c.row.get("name", ""))
        reason = say(f"console.reason_{c.reason}", lang) \
            if c.reason and c.kind == "leave" else c.reason
        details = "，".join(f"{say_column(k, lang)}：{v}" for k, v in c.row.items()
                           if k != "name")
        out.append({"seq": e.seq, "date": c.date.isoformat(),
                    "kind": say(f"console.kind_{c.kind}", lang),
                    "person": f"{say(f'person.{c.person}', lang)} "
                              f"{who + ' (' + c.id + ')' if who else c.id}",
                    "until": c.until.isoformat() if c.until else "",
                    "reason": reason, "details": details,
                    "by": actor_words(e.actor, lang, Names(volunteer=names)),
                    "undo": c.kind in ("leave", "join")})
    return out


def say_column(column: str, lang: str) -> str:
    """A file's column as a coordinator knows it (its Chinese header in Chinese)."""
    if known(f"console.field_{column}"):
        return say(f"console.field_{column}", lang)
    if lang != "zh":
        return column
    return next((a for a in ALIASES.get(column, ()) if not a.isascii()), column)


def changes_page_of(request: Request, console: ConsoleDep, name: str, status_code: int = 200,
                    **context: object) -> HTMLResponse:
    """The changes page: every dated change to the roster, forms for new ones, and the
    re-plan."""
    lang = language(request)
    done = service.latest_run(console.store, name)
    today = dt.date.today()
    start = service.RunOptions().first_day(today)
    if done is not None:  # a day inside the plan's horizon: the next Monday, if it is
        asked = read_json(console.store.run_dir(done["id"]) / "request.json")
        first = dt.date.fromisoformat(asked["start"])
        last = first + dt.timedelta(weeks=int(asked["weeks"]) - 1)
        start = min(max(start, first), last)
    members = service.roster(console.store, name, today)
    places = KnownPlaces(members.elders)
    volunteers = people_of(members.volunteers, VOLUNTEER_ID)
    elders = people_of(members.elders, ELDER_ID)
    with service.journal(console.store, name) as journal:
        every = journal.entered()
    names = members.names()  # those who left are named by their last details
    for e in every:
        names.setdefault(e.change.id, str(e.change.row.get("name", "")))
    since = service.changes_since(console.store, name, done)
    gone = sorted(((f"{who}|{pid}", f"{say(f'person.{who}', lang)} {names.get(pid) or pid} "
                                    f"({pid})")
                   for (who, pid) in members.left), key=lambda pair: pair[1])
    return console.page(request, "changes.html", status_code, name=name, step="changes",
                        since=change_rows(since, names, lang),
                        every=change_rows(every, names, lang), done=done,
                        volunteers=volunteers, elders=elders, gone=gone,
                        reasons=LEAVE_REASONS,
                        field=functools.partial(say_column, lang=lang),
                        communities=sorted({str(c) for c in members.elders.get(
                            "community", pd.Series(dtype=str)) if str(c).strip()}),
                        addresses=places.addresses(),
                        points=json.dumps(sorted(places.exact.values())),
                        tiles=console.settings.tiles,
                        services=sorted(((tag, say(f"service.{tag}", lang))
                                         for tag in table("service", "en")),
                                        key=lambda pair: pair[1]),
                        edit_fields={p: [(f, say_column(f, lang)) for f in fs]
                                     for p, fs in EDIT_FIELDS.items()},
                        today=today, from_date=start,
                        counts=say("console.roster_counts", lang, day=today.isoformat(),
                                   volunteers=len(volunteers), elders=len(elders)),
                        **context)


@router.get("/p/{name}/changes", response_class=HTMLResponse, dependencies=[MAY_READ])
def changes_page(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """The changes page."""
    console.programme_or_404(name)
    return changes_page_of(request, console, name)


def change_of_form(form: dict[str, str]) -> dict[str, object]:
    """A change's fields from one of the changes page's forms."""
    action = form.get("action", "")
    person = form.get("person", "volunteer")
    base: dict[str, object] = {"date": form.get("date", ""), "person": person,
                               "id": form.get("id", ""), "reason": form.get("reason", "")}
    if action == "leave":
        return {**base, "kind": "leave"}
    if action == "away":
        return {**base, "kind": "away", "until": form.get("until", "")}
    if action == "return":
        person, _, pid = form.get("who", "").partition("|")
        return {**base, "kind": "return", "person": person, "id": pid}
    if action == "join":
        row = {k: form.get(k, "") for k in service.ELDER_FORM_FIELDS if k != ELDER_ID}
        return {**base, "kind": "join", "person": "elder", "id": form.get(ELDER_ID, ""),
                "row": {k: v for k, v in row.items() if v}}
    if action == "edit":
        row = {k: form.get(f"edit_{k}", "") for k in EDIT_FIELDS.get(person, ())}
        return {**base, "kind": "edit", "row": {k: v for k, v in row.items() if v}}
    raise InputError.one("form", "upload.bad_option")


@router.post("/p/{name}/changes", dependencies=[MAY_PLAN])
async def changes_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Enter a dated change (leave, away, return, join, edit), put one right, or re-plan."""
    console.programme_or_404(name)
    raw = await request.form()
    form = {k: str(v).strip() for k, v in raw.items()}
    # the new-elder form's ticks: one value each
    if "day" in raw:
        form["available_days"] = " ".join(str(d) for d in raw.getlist("day"))
    if "need" in raw:
        form["needs"] = ";".join(str(n) for n in raw.getlist("need"))
    check_form_token(request, form.get("csrf", ""))
    action = form.get("action", "")
    store = console.store
    actor = actor_of(request)
    try:
        if action == "replan":
            day = dt.date.fromisoformat(form.get("from_date", ""))
            run_id = service.start_replan(store, console.runs, name, day, actor)
            console.log(actor, "replan", name, f"run {run_id}", None,
                        {"from": day.isoformat(), "run": run_id})
            return RedirectResponse(f"/runs/{run_id}", 303)
        if action.startswith("undo:"):
            entered = service.undo_change(store, name, int(action.split(":", 1)[1]), actor)
        else:
            entered = service.add_change(store, name, change_of_form(form), actor)
        console.log(actor, "change", name, f"{entered.change.person} {entered.change.id}",
                    None, entered.as_json())
    except (service.UploadRefused, InputError) as exc:
        return changes_page_of(request, console, name, 422, problems=problems_of(exc))
    except ValueError:
        return changes_page_of(request, console, name, 422, problems=[
            InputIssue("form", "upload.bad_date", given=form.get("from_date", ""))])
    return RedirectResponse(f"/p/{name}/changes", 303)


@router.get("/p/{name}/roster.xlsx", dependencies=[MAY_READ])
def roster_workbook(console: ConsoleDep, name: str, date: str = "") -> Response:
    """The roster as of a day (today by default) as a workbook: volunteers, elders,
    relations and every change up to that day, with Chinese headers."""
    console.programme_or_404(name)
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError as exc:
        raise HTTPException(422, "not a date (YYYY-MM-DD)") from exc
    content = service.roster_workbook(console.store, name, day)
    filename = quote(f"{name}-名册-{day.isoformat()}.xlsx")
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


@router.get("/p/{name}/timebank", response_class=HTMLResponse, dependencies=[MAY_AUDIT])
def timebank_page(request: Request, console: ConsoleDep, name: str,
                  week: dt.date | None = None, recorded: str | None = None,
                  approved: str | None = None,
                  pending_page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                  balance_page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """Approve the marks sent from phones (first: they wait on the coordinator), mark a
    week; balances and statements. Long lists come a page at a time."""
    console.programme_or_404(name)
    return timebank_page_of(request, console, name, week, recorded=recorded,
                            approved=approved, pending_page=pending_page,
                            balance_page=balance_page)


def timebank_page_of(request: Request, console: Console, name: str, week: dt.date | None,
                     status_code: int = 200, pending_page: int = 1, balance_page: int = 1,
                     **context: object) -> HTMLResponse:
    """The time-bank page for ``week`` (the plan's first week by default): the week's
    activities to mark (unmarked), whether it is recorded already, and the balances."""
    store = console.store
    lang = language(request)
    done = service.latest_run(store, name, scheduled=True)
    activities, weeks, names, helpers = [], [], Names(), []
    if done is not None and done["summary"].get("schedule") is not None:
        plan = console.plan_of(done["id"])
        names = names_of(plan)
        asked = read_json(store.run_dir(done["id"]) / "request.json")
        first = dt.date.fromisoformat(asked["start"])
        weeks = [first + dt.timedelta(days=7 * k) for k in range(asked["weeks"])]
        week = week if week in weeks else weeks[0]
        table = service.week_activities(store, done["id"], week)
        activities = [(i, r) for i, r in enumerate(table.to_dict("records"))
                      if r["activity"] != "call"]
        today = dt.date.today().isoformat()
        recorded = service.recorded_already(store, name, table)
        later = {i for i, d in enumerate(table["date"]) if d > today}
        context["calls"] = int(((table["activity"] == "call") & (table["date"] <= today)).sum())
        context["from_phones"] = recorded
        context["later"] = later
        context["open_rows"] = len(table) - len(recorded) - len(later - recorded)
        context["batches"] = service.week_batches(store, name, week)
        helpers = [(v, helper_text(names.show("volunteer", v), v))
                   for v in plan.world.volunteers.volunteer_id]
        context.update(phone_marks(console, name, done["id"], plan, names, weeks, week,
                                   table, lang, pending_page))
    balances = service.balances(store, name)
    balance_pages = max(1, -(-len(balances) // BALANCES_SHOWN))
    balance_page = min(balance_page, balance_pages)
    balances = balances.iloc[(balance_page - 1) * BALANCES_SHOWN:balance_page * BALANCES_SHOWN]
    context.update(balance_page=balance_page, balance_pages=balance_pages,
                   mark_rows_shown=MARK_ROWS_SHOWN, helper_names=dict(helpers))
    members = Names(member={**names.elder, **names.volunteer})
    return console.page(request, "timebank.html", status_code, name=name, step="timebank",
                        done=done, weeks=weeks, week=week, activities=activities,
                        marks=service.MARKS, helpers=helpers,
                        balances=rows(balances, lang, members,
                                      ("member_id", "earned_hours", "spent_hours",
                                       "transferred_hours", "donated_hours",
                                       "balance_hours")),
                        member_ids=balances["member_id"].astype(str).tolist()
                        if len(balances) else [],
                        recorded_batches=batch_rows(store, name, lang), **context)


#: The most batches the time-bank page lists.
BATCHES_SHOWN = 20


def helper_text(shown: str, volunteer: str) -> str:
    """A volunteer as the "done by" box offers them: the name with the id after it, which
    tells two people of one name apart and which :func:`helper_id` reads back."""
    ends = (f"（{volunteer}）", f"({volunteer})")
    return shown if shown.endswith(ends) or shown == volunteer else f"{shown}（{volunteer}）"


def helper_id(text: str) -> str:
    """The volunteer id of a "done by" box: its id in brackets at the end, or the id as
    typed."""
    found = re.search(r"[（(]([^（）()]+)[）)]\s*$", text)
    return found.group(1).strip() if found else text.strip()


def batch_rows(store: Store, name: str, lang: str) -> list[dict[str, object]]:
    """The latest batches of the time bank, as the page lists them to undo."""
    table = service.batches(store, name).head(BATCHES_SHOWN)
    out = []
    for r in table.to_dict("records"):
        reverses, by = r["reverses"], r["reversed_by"]
        out.append({"batch": int(r["batch_id"]), "at": local_time(str(r["recorded_at"])),
                    "rows": int(r["rows"]), "by": actor_words(str(r["actor"]), lang, Names()),
                    "reverses": "" if pd.isna(reverses) else int(reverses),
                    "reversed_by": "" if pd.isna(by) else int(by)})
    return out


@router.post("/p/{name}/timebank/reverse", dependencies=[MAY_PLAN])
async def reverse_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Undo a recorded batch by one reversing batch (its marks from phones wait again)."""
    form = await programme_form(request, console, name)
    batch = str(form.get("batch", ""))
    reason = str(form.get("reason", ""))
    try:
        new = service.reverse_batch(console.store, name, int(batch) if batch.isdigit()
                                    else -1, reason, actor_of(request))
    except InputError as exc:
        return timebank_page_of(request, console, name, None, 422, problems=exc.problems)
    back = console.links.unapproved(int(batch))
    console.log(request, "reverse", name, f"batch {batch}", {"batch": int(batch)},
                {"reversed_by": new, "reason": reason, "marks_pending_again": back})
    return timebank_page_of(request, console, name, None, reversed_batch=f"{batch}-{new}")


#: Marks from phones listed on one page of the time-bank page, oldest first (approving all
#: approves every pending one; a page of thousands of rows takes seconds to make and read).
MAX_SHOWN_MARKS = 50
#: Members' balances listed on one page of the time-bank page.
BALANCES_SHOWN = 50
#: Rows of the week's marking table shown at once (the rest are a click away; the form
#: sends them all).
MARK_ROWS_SHOWN = 40


def phone_marks(console: Console, name: str, run_id: str, plan: Run, names: Names,
                weeks: list[dt.date], week: dt.date, table: pd.DataFrame,
                lang: str, page: int = 1) -> dict[str, object]:
    """What the time-bank page shows of the marks sent from phones: those waiting for
    approval (by name), the pending and approved counts of each week, and who has marked
    nothing of the chosen week yet, with their phones."""
    marks = console.links.marks(programme=name)
    waiting = [m for m in marks if m["state"] == "pending"]
    pages = max(1, -(-len(waiting) // MAX_SHOWN_MARKS))
    page = min(max(1, page), pages)
    first = (page - 1) * MAX_SHOWN_MARKS
    pending = [{**m, "what": say(f"activity.{m['activity']}", lang),
                "volunteer": names.show("volunteer", str(m[VOLUNTEER_ID])),
                "elder": names.show("elder", str(m[ELDER_ID])) if m[ELDER_ID] else "",
                "status_text": say(f"mark.{m['status']}", lang),
                "done_by_text": names.show("volunteer", str(m["done_by"]))
                if m["done_by"] else ""}
               for m in waiting[first:first + MAX_SHOWN_MARKS]]
    tally: dict[tuple[dt.date, str], int] = {}
    for m in marks:  # one pass: a programme's year holds tens of thousands of marks
        day = dt.date.fromisoformat(str(m["date"])[:10])
        key = (day - dt.timedelta(days=day.weekday()), str(m["state"]))
        tally[key] = tally.get(key, 0) + 1
    counts = [(monday, tally.get((monday, "pending"), 0), tally.get((monday, "approved"), 0))
              for monday in weeks]
    end = (week + dt.timedelta(days=7)).isoformat()
    marked = {str(m[VOLUNTEER_ID]) for m in marks if week.isoformat() <= str(m["date"]) < end}
    vols = plan.world.volunteers
    silent = [(names.show("volunteer", v), str(vols.phone[vols.row_of[v]])
               if v in vols.row_of else "")
              for v in sorted(set(table[VOLUNTEER_ID]) - marked - {""})]
    return {"pending_marks": pending, "pending_total": len(waiting), "week_counts": counts,
            "silent": silent, "pending_page": page, "pending_pages": pages,
            "pending_first": first}


@router.get("/runs/{run_id}/links", response_class=HTMLResponse, dependencies=[MAY_PLAN])
def links_page(request: Request, console: ConsoleDep, run_id: str,
               revoked: str = "") -> HTMLResponse:
    """Each volunteer's personal link as text to send, with a revoke button, and the
    address phones open the console by (without one, links are not handed out)."""
    return links_page_of(request, console, run_id, revoked)


def links_page_of(request: Request, console: Console, run_id: str, revoked: str = "",
                  status_code: int = 200, problems: list[InputIssue] | None = None
                  ) -> HTMLResponse:
    """The links page (with ``problems`` of a refused address)."""
    status, urls = run_links(console, run_id)
    names = names_of(console.plan_of(run_id))
    base = console.phone_base(request)
    return console.page(request, "links.html", status_code, name=status["programme"],
                        step="results", status=status,
                        links=[(vid, names.show("volunteer", vid), base + url if base else "")
                               for vid, url in urls.items()],
                        phone_address=console.phone_address() or "",
                        here=str(request.base_url).rstrip("/"), problems=problems or [],
                        expires=service.link_expiry(console.store, run_id,
                                                    console.settings.link_days),
                        revoked=names.show("volunteer", revoked) if revoked else "")


@router.post("/runs/{run_id}/phone-address", dependencies=[MAY_PLAN])
async def phone_address_form(request: Request, console: ConsoleDep, run_id: str) -> Response:
    """Set the address phones open the console by (kept in the data folder)."""
    form = await request.form()
    check_form_token(request, str(form.get("csrf", "")))
    status = console.run_or_404(run_id)
    given = str(form.get("phone_address", "")).strip()
    problem = phone_address_problem(given) if given else None  # blank: no address set
    if problem is not None:
        return links_page_of(request, console, run_id, status_code=422, problems=[problem])
    before = console.phone_address()
    path = console.store.root / SETTINGS_FILE
    settings = read_json(path) if path.is_file() else {}
    write_json(path, {**settings, "phone_address": given.rstrip("/")})
    console.log(request, "setting", str(status.get("programme", "")), "phone_address",
                {"phone_address": before}, {"phone_address": given.rstrip("/")})
    return RedirectResponse(f"/runs/{run_id}/links", 303)


@router.post("/runs/{run_id}/links/{volunteer_id}/revoke", dependencies=[MAY_PLAN])
async def revoke_form(request: Request, console: ConsoleDep, run_id: str,
                      volunteer_id: str) -> Response:
    """End a volunteer's link; the links page then shows their new one."""
    form = await request.form()
    check_form_token(request, str(form.get("csrf", "")))
    programme = str(console.run_or_404(run_id).get("programme", ""))
    if not console.links.revoke(programme, volunteer_id):
        raise HTTPException(404, "no working link for that volunteer")
    console.log(request, "link_revoke", programme, volunteer_id, {"state": "working"},
                {"state": "revoked"})
    return RedirectResponse(f"/runs/{run_id}/links?revoked={quote(volunteer_id)}", 303)


async def programme_form(request: Request, console: Console, name: str) -> FormData:
    """A programme's posted form, once the programme is known (404) and the form carries
    its session's token (403)."""
    console.programme_or_404(name)
    form = await request.form()
    check_form_token(request, str(form.get("csrf", "")))
    return form


@router.post("/p/{name}/timebank/approve", dependencies=[MAY_PLAN])
async def approve_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Approve marks sent from phones into the time bank: the ticked ones (with any
    minutes changed) or all of them, as one batch."""
    form = await programme_form(request, console, name)
    done = service.latest_run(console.store, name, scheduled=True)
    if done is None:
        raise HTTPException(409, "plan first")
    pending = console.links.marks(programme=name, pending=True)
    ids = [int(str(m["id"])) for m in pending] if form.get("all") == "1" else \
        [int(str(v)) for v in form.getlist("approve") if str(v).isdigit()]
    minutes = {int(k.split(":", 1)[1]): str(v) for k, v in form.items()
               if k.startswith("minutes:") and k.split(":", 1)[1].isdigit() and str(v).strip()}
    try:
        counts = service.approve_marks(console.store, console.links, name, ids,
                                       {i: m for i, m in minutes.items() if i in ids},
                                       actor=actor_of(request))
    except InputError as exc:
        return timebank_page_of(request, console, name, None, 422, problems=exc.problems)
    console.log(request, "approve", name, f"marks {', '.join(map(str, ids))}",
                {"state": "pending"}, counts)
    if counts["left"]:  # those that could not be approved stay, each with its reason
        return timebank_page_of(request, console, name, None,
                                approved=f"{counts['approved']}-{counts['batch']}",
                                left=left_rows(console, name, counts["left"], language(request)))
    return RedirectResponse(f"/p/{name}/timebank?approved={counts['approved']}-"
                            f"{counts['batch']}", 303)


def left_rows(console: Console, name: str, left: list, lang: str) -> list[str]:
    """The marks an approval left pending, each as one sentence: who, what, when, why."""
    names = programme_names(console, name)
    marks = {int(m["id"]): m for m in console.links.marks(
        programme=name, ids=[int(x["id"]) for x in left])}
    out = []
    for item in left:
        m = marks.get(int(item["id"]))
        if m is None:
            continue
        why = "；".join(InputIssue.from_json(p).words(lang) for p in item["problems"])
        out.append(f"{m['date']} {say('activity.' + str(m['activity']), lang)} "
                   f"{names.show('elder', str(m[ELDER_ID])) if m[ELDER_ID] else ''}"
                   f"（{names.show('volunteer', str(m[VOLUNTEER_ID]))}）：{why}")
    return out


@router.post("/p/{name}/timebank/reject", dependencies=[MAY_PLAN])
async def reject_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Send the ticked marks back to their volunteers with a reason."""
    form = await programme_form(request, console, name)
    ids = [int(str(v)) for v in form.getlist("approve") if str(v).isdigit()]
    reason = str(form.get("reason", ""))
    try:
        done = service.reject_marks(console.links, name, ids, reason)
    except InputError as exc:
        return timebank_page_of(request, console, name, None, 422, problems=exc.problems)
    console.log(request, "reject", name, f"marks {', '.join(map(str, done))}",
                {"state": "pending"}, {"state": "rejected", "reason": reason})
    return timebank_page_of(request, console, name, None, rejected=len(done))


@router.post("/p/{name}/timebank", dependencies=[MAY_PLAN])
async def timebank_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Record the marked week in the ledger (refused whole if a row has no mark and "mark
    all done" was not pressed, or if the week is recorded already)."""
    form = await programme_form(request, console, name)
    done = service.latest_run(console.store, name, scheduled=True)
    if done is None:
        raise HTTPException(409, "plan first")
    try:
        week = dt.date.fromisoformat(str(form.get("week", "")))
    except ValueError:
        raise HTTPException(422, "no such week") from None
    marks: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        field, _, row = key.partition(":")
        if row.isdigit() and field in ("status", "done_by", "minutes", "rating", "comment"):
            marks.setdefault(int(row), {})[field] = \
                helper_id(str(value)) if field == "done_by" else str(value)
    asked_all = form.get("all_done") in ("1", "confirm")
    try:
        if form.get("all_done") == "1":  # "mark all done" asks first, saying how many
            dry = service.record_week(console.store, name, done["id"], week, marks,
                                      calls_done=form.get("calls_done") == "on",
                                      all_done=True, dry_run=True)
            return timebank_page_of(request, console, name, week, marked=marks,
                                    confirm_rows=dry["rows"],
                                    calls_checked=form.get("calls_done") == "on")
        counts = service.record_week(console.store, name, done["id"], week, marks,
                                     calls_done=form.get("calls_done") == "on",
                                     all_done=asked_all, actor=actor_of(request))
    except InputError as exc:
        return timebank_page_of(request, console, name, week, 422, problems=exc.problems,
                                marked=marks)
    console.log(request, "record_week", name, f"week {week}", None, counts)
    return RedirectResponse(f"/p/{name}/timebank?week={week}&recorded="
                            f"{counts['done']}-{counts['replaced']}-{counts['missed']}", 303)


@router.get("/p/{name}/timebank/statement/{member}", response_class=HTMLResponse,
            dependencies=[MAY_AUDIT])
def statement_page(request: Request, console: ConsoleDep, name: str,
                   member: str) -> HTMLResponse:
    """A member's printable statement."""
    console.programme_or_404(name)
    done = service.latest_run(console.store, name)
    people: dict[str, str] = {}
    if done is not None:
        names = names_of(console.plan_of(done["id"]))
        people = {**names.elder, **names.volunteer}
    try:
        return HTMLResponse(service.statement(console.store, name, member, language(request),
                                              people))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


#: The kinds of act the audit log holds, in the order the filter lists them.
AUDIT_ACTIONS = ("upload", "change", "run", "replan", "mark", "approve", "reject",
                 "record_week", "reverse", "link_revoke", "setting", "account")


def programme_names(console: Console, name: str) -> Names:
    """Everyone the programme ever had, by name: today's roster, those who left, and the
    latest plan's people."""
    everyone: dict[str, str] = {}
    done = service.latest_run(console.store, name)
    if done is not None:
        plan_names = names_of(console.plan_of(done["id"]))
        everyone.update({**plan_names.volunteer, **plan_names.elder})
    with contextlib.suppress(service.UploadRefused):
        everyone.update(service.roster(console.store, name, dt.date.today()).names())
    return Names(volunteer=everyone, elder=everyone)


def actor_words(actor: str, lang: str, names: Names) -> str:
    """Who acted, as people say it: an account, a volunteer's phone link, the command line
    or this computer."""
    kind, _, who = actor.partition(":")
    if kind == "link":
        return say("audit.actor_link", lang, who=names.show("volunteer", who))
    if kind in ("account", "cli"):
        return say(f"audit.actor_{kind}", lang, who=who)
    return say("audit.actor_local", lang)


def act_words(entry: AuditEntry, lang: str, names: Names) -> str:
    """What an act did, in the coordinator's words and names."""
    after = entry.after if isinstance(entry.after, dict) else {}
    action = entry.action
    try:
        if action == "upload":
            files = [str(f.get("name", k)) for k, f in (after.get("files") or {}).items()]
            return "、".join(files) if lang == "zh" else ", ".join(files)
        if action == "change":
            return say("audit.change_what", lang,
                       person=names.show(str(after["person"]), str(after["id"])),
                       kind=say(f"console.kind_{after['kind']}", lang), date=after["date"])
        if action == "run":
            return say("audit.run_what", lang, run=entry.subject.split()[-1],
                       start=after.get("start") or "", weeks=after.get("weeks", ""))
        if action == "replan":
            return say("audit.replan_what", lang, run=after["run"], day=after["from"])
        if action == "mark":
            date, activity, elder = [*entry.subject.split(), "", "", ""][:3]
            return say("audit.mark_what", lang, date=date,
                       activity=say(f"activity.{activity}", lang),
                       elder=names.show("elder", elder), status=say(
                           f"mark.{after.get('status', 'done')}", lang))
        if action == "approve":
            return say("audit.approve_what", lang, n=after.get("approved", 0),
                       batch=after.get("batch", 0), left=len(after.get("left") or []))
        if action == "reject":
            return say("audit.reject_what", lang, n=len(entry.subject.split(",")),
                       reason=after.get("reason", ""))
        if action == "record_week":
            return say("audit.record_week_what", lang, week=entry.subject.split()[-1],
                       **{k: after.get(k, 0) for k in ("done", "replaced", "missed",
                                                       "batch")})
        if action == "reverse":
            return say("audit.reverse_what", lang, batch=entry.subject.split()[-1],
                       by=after.get("reversed_by", ""), reason=after.get("reason", ""))
        if action == "link_revoke":
            return say("audit.link_revoke_what", lang,
                       who=names.show("volunteer", entry.subject))
        if action == "setting":
            before = entry.before if isinstance(entry.before, dict) else {}
            return say("audit.setting_what", lang,
                       before=before.get("phone_address") or say("notify.nobody", lang),
                       after=after.get("phone_address") or say("notify.nobody", lang))
    except (KeyError, IndexError, ValueError):
        pass
    return entry.subject


def audit_entries(console: Console, name: str, who: str, since: str, until: str,
                  kind: str) -> list[AuditEntry]:
    """The programme's log, filtered: ``who`` a part of the actor or the subject (an id),
    ``since`` and ``until`` dates, ``kind`` one of :data:`AUDIT_ACTIONS`."""
    entries = console.audit.entries(programme=name, action=kind if kind in AUDIT_ACTIONS
                                    else None, since=since or None, until=until or None)
    if who:
        entries = [e for e in entries if who in e.actor or who in e.subject or
                   who in json.dumps(e.after, ensure_ascii=False)]
    return [e for e in entries if not kind or e.action == kind]


@router.get("/p/{name}/audit", response_class=HTMLResponse, dependencies=[MAY_AUDIT])
def audit_page(request: Request, console: ConsoleDep, name: str, who: str = "",
               since: str = "", until: str = "", kind: str = "") -> HTMLResponse:
    """The 记录 page: every act on the programme, newest first, filtered by person, dates
    and kind, with an export."""
    console.programme_or_404(name)
    lang = language(request)
    names = programme_names(console, name)
    entries = audit_entries(console, name, who.strip(), since, until, kind)
    shown = [{"at": local_time(e.at), "actor": actor_words(e.actor, lang, names),
              "action": say(f"audit.{e.action}", lang) if known(f"audit.{e.action}")
              else e.action, "what": act_words(e, lang, names)}
             for e in reversed(entries)]
    return console.page(request, "audit.html", name=name, step="audit", entries=shown,
                        who=who, since=since, until=until, kind=kind,
                        kinds=[(a, say(f"audit.{a}", lang)) for a in AUDIT_ACTIONS])


@router.get("/p/{name}/audit.csv", dependencies=[MAY_AUDIT])
def audit_export(console: ConsoleDep, name: str, who: str = "", since: str = "",
                 until: str = "", kind: str = "") -> Response:
    """The filtered log as CSV (UTF-8 with BOM, for Excel): every field as kept, with each
    entry's hash to check against ``matching audit verify``."""
    console.programme_or_404(name)
    entries = audit_entries(console, name, who.strip(), since, until, kind)
    table = pd.DataFrame([{**e.as_json(), "before": json.dumps(e.before, ensure_ascii=False),
                           "after": json.dumps(e.after, ensure_ascii=False)}
                          for e in entries],
                         columns=["seq", "at", "actor", "action", "programme", "subject",
                                  "before", "after", "hash"])
    content = csv_bytes(table, bom=True)
    filename = quote(f"{name}-记录.csv")
    return Response(content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


def local_time(at: str) -> str:
    """A UTC time of the log as this computer's local time, to the minute."""
    try:
        return dt.datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


@router.get("/runs/{run_id}", response_class=HTMLResponse, dependencies=[MAY_READ])
def run_page(request: Request, console: ConsoleDep, run_id: str,
             elder: str | None = None) -> HTMLResponse:
    """A run: its progress, or its results and hand-outs, and "why this volunteer?" for the
    elder asked about (by name, id or the last digits of a phone)."""
    status = live_status(console.run_or_404(run_id))
    lang = language(request)
    context: dict[str, Any] = {"status": status, "name": status["programme"],
                                  "stage": stage_text(status, lang)}
    if status["status"] == "done":
        plan = console.plan_of(run_id)
        out = console.store.run_dir(run_id) / "out"
        names = names_of(plan)
        unassigned = plan.unassigned
        context.update(
            tiers=tier_cards(plan, lang),
            communities=rows(coverage(plan, by="community").reset_index(names="community"),
                             lang, names),
            unassigned=rows(unassigned, lang, names, (ELDER_ID, "reason")),
            unassigned_ids=unassigned[ELDER_ID].astype(str).tolist(),
            unmet=rows(plan.unmet, lang, names, (ELDER_ID, "when", "activity", "reason"))
            if plan.unmet is not None else ([], []),
            six=six_ones_rows(plan, lang),
            changes=rows(plan.changes, lang, names, (ELDER_ID, "old_volunteer_id",
                                                     "new_volunteer_id", "reason"))
            if plan.changes is not None else None,
            replan=status.get("summary", {}).get("replan"),
            told=told_table(console, run_id, lang),
            rota=[(vid, names.show("volunteer", vid))
                  for vid in sorted(p.stem for p in (out / "rota").glob("*.html"))],
            report=(out / "report.html").is_file(), elder=elder,
            search=search(plan, elder, lang, names) if elder else None)
    return console.page(request, "run.html", **context)


def six_ones_rows(plan: Run, lang: str) -> tuple[list[str], list[list[str]]] | None:
    """The six ones of a run with a schedule, as the report has them: due, planned, unmet,
    the fewest that must be, and a note (why one is not due in this horizon)."""
    if plan.schedule is None or plan.start is None:
        return None
    table = six_ones_table(plan, lang)
    head = [say("report.col_activity", lang)] + [
        say(f"report.col_{c}", lang) for c in table.columns]
    body = [[say(f"activity.{kind}", lang), *(str(v) for v in row)]
            for kind, row in zip(table.index, table.to_numpy().tolist(), strict=True)]
    return head, body


def told_table(console: Console, run_id: str, lang: str) -> dict[str, object] | None:
    """A re-plan's list of whom to tell, for the results page: how many people, and the
    table's head and rows (``None``: the run re-planned nothing)."""
    told = service.whom_to_tell(console.store, run_id)
    if told is None:
        return None
    sheet = notify_sheet(told[0], lang, told[1])
    return {"people": len(set(zip(told[0]["person"], told[0]["person_id"], strict=True))),
            "head": list(sheet.columns), "body": sheet.values.tolist()}


@router.get("/runs/{run_id}/notify", response_class=HTMLResponse, dependencies=[MAY_PLAN])
def notify_page(request: Request, console: ConsoleDep, run_id: str) -> HTMLResponse:
    """A re-plan's printable list of whom to tell (通知清单), one A4 sheet of calls."""
    status = console.run_or_404(run_id)
    if status["status"] != "done":
        raise HTTPException(409, "the run has not finished")
    told = service.whom_to_tell(console.store, run_id)
    if told is None:
        raise HTTPException(404, "this run re-planned nothing")
    asked = read_json(console.store.run_dir(run_id) / "request.json")
    lang = language(request)
    heading = say("console.replan_heading", lang, programme=status["programme"],
                  day=asked.get("from") or asked.get("start", ""))
    return HTMLResponse(notify_html(told[0], lang, told[1], heading))


def names_of(plan: Run) -> Names:
    """Who is who in a run (those who left too)."""
    return Names.of_run(plan)


def tier_cards(plan: Run, lang: str) -> list[dict[str, object]]:
    """Coverage by priority tier, highest first, each tier named from the rules."""
    table = coverage(plan, by="priority")
    return [{"tier": tier_name(index, plan.world.rules, lang), "assigned": int(row["assigned"]),
             "elders": int(row["elders"]), "coverage": f"{row['coverage']:.1%}"}
            for index, row in table.sort_index(ascending=False).iterrows()]


def search(plan: Run, query: str, lang: str, names: Names) -> dict[str, object]:
    """"Why this volunteer?" for the elder meant by ``query``: their explanation when one
    elder matches, the choice when several do, and a sentence when none does."""
    found = service.find_elders(plan.world.elders.frame(), query)
    if len(found) != 1:
        return {"query": query, "choices": [(e, names.show("elder", e)) for e in found]}
    explained = explain_elder(plan, found[0])
    return {"query": query, "choices": [],
            "subject": explained.subject.text(lang),
            "note": explained.note.text(lang) if explained.note is not None else "",
            "chosen": rows(explained.chosen, lang, names,
                           (VOLUNTEER_ID, "distance_km", "kin", "familiar", "cost_km",
                            "weekly_minutes")),
            "alternatives": rows(explained.alternatives, lang, names,
                                 (VOLUNTEER_ID, "distance_km", "kin", "familiar",
                                  "cost_km", "worse_by_km", "reason"))}


@router.get("/runs/{run_id}/files/{path:path}", dependencies=[MAY_READ])
def run_file_page(request: Request, console: ConsoleDep, run_id: str,
                  path: str) -> Response:
    """An output file of a run (rota pages with the volunteers' personal links)."""
    return rota_with_links(request, console, run_id, path) or \
        file_or_404(console, run_id, path)


def run_links(console: Console, run_id: str) -> tuple[dict, dict[str, str]]:
    """A finished run's status and its volunteers' link paths (made where there are none);
    409 before it finishes, 404 without a schedule."""
    status = console.finished_run(run_id)
    try:
        urls = service.volunteer_links(console.store, console.links, status["programme"],
                                       run_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return status, urls


def rota_with_links(request: Request, console: Console, run_id: str,
                    path: str) -> Response | None:
    """A rota page (a volunteer's, or the coordinator's overview) with the personal links
    printed as QR codes on it; ``None`` for any other file."""
    match = ROTA_PAGE.fullmatch(path)
    if match is None:
        return None
    try:
        page = console.store.run_file(run_id, path).read_text(encoding="utf-8")
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    _, urls = run_links(console, run_id)
    lang = "en" if "<html lang=\"en\"" in page else "zh"
    base = console.phone_base(request)
    if base is None:  # no phone can open this computer's own address: no QR codes
        return HTMLResponse(page)
    vid = match.group("vid")
    if vid is None:
        vols = console.plan_of(run_id).world.volunteers
        names = dict(zip(vols.volunteer_id, vols.name, strict=True))
        page = with_links(page, [(names.get(v) or v, base + url) for v, url in urls.items()],
                          lang)
    elif vid in urls:
        page = with_link(page, base + urls[vid], lang)
    return HTMLResponse(page)


@router.get("/runs/{run_id}/plan.xlsx", dependencies=[MAY_READ])
def workbook_page(request: Request, console: ConsoleDep, run_id: str) -> Response:
    """The hand-out workbook, in the visitor's language."""
    console.finished_run(run_id)
    return workbook_response(console, run_id, language(request))


@router.get("/runs/{run_id}/everything.zip", dependencies=[MAY_READ])
def zip_page(request: Request, console: ConsoleDep, run_id: str) -> Response:
    """Every output of the run as a zip."""
    console.finished_run(run_id)
    return zip_response(console, run_id, language(request))


@router.get("/accounts", response_class=HTMLResponse, dependencies=[ADMIN_ONLY])
def accounts_page(request: Request, console: ConsoleDep, done: str = "") -> HTMLResponse:
    """The admin's page: every account, its roles, and a form to grant or take one away."""
    accounts = console.accounts
    rows = [(n, accounts.is_admin(n), accounts.roles(n)) for n in accounts.names()]
    return console.page(request, "accounts.html", rows=rows, roles=list(ROLES),
                        every=console.store.programmes(), done=done[:200])


@router.post("/accounts", dependencies=[ADMIN_ONLY])
def grant_role(request: Request, console: ConsoleDep, account: Annotated[str, Form()],
               programme: Annotated[str, Form()], role: Annotated[str, Form()],
               csrf: Annotated[str, Form()] = "") -> Response:
    """Grant ``account`` a role in ``programme`` (``none`` takes it away); logged."""
    check_form_token(request, csrf)
    programme = unicodedata.normalize("NFC", programme)
    if programme not in console.store.programmes() or (role != "none" and role not in ROLES):
        raise HTTPException(422, "no such programme or role")
    try:
        before = console.accounts.grant(account, programme, None if role == "none" else role)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    console.log(request, "grant", programme, account, {"role": before} if before else None,
                {"role": role} if role != "none" else None)
    return RedirectResponse(f"/accounts?{urlencode({'done': account})}", 303)


@router.get("/lang/{code}")
def choose_language(request: Request, code: str) -> Response:
    """Switch the language and go back to the page."""
    back = request.headers.get("referer") or "/"
    if foreign_origin({"referer": back}, request.headers.get("host", "")):
        back = "/"
    response = RedirectResponse(back, 303)
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_SECONDS,
                            samesite="strict")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, console: ConsoleDep) -> HTMLResponse:
    """The login form."""
    return console.page(request, "login.html")


@router.post("/login")
def login(request: Request, console: ConsoleDep, account: Annotated[str, Form()],
          password: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> Response:
    """Log in: throttled per account and address; a new session on success."""
    check_form_token(request, csrf)
    keys = console.throttle.keys(account, client_address(request.scope))
    wait = console.throttle.attempt(keys)  # counted before the password is checked
    if wait > 0:
        seconds = retry_after(wait)
        response: Response = console.page(request, "login.html", 429, wait=seconds)
        response.headers["retry-after"] = str(seconds)
        return response
    if not console.accounts.verify(account, password):
        return console.page(request, "login.html", 401, failed=True)
    console.throttle.succeeded(keys)
    visitor = visitor_of(request)
    if visitor.session is not None:  # the session before logging in ends with it
        console.sessions.end(visitor.session.token)
    session = console.sessions.create(account)
    response = RedirectResponse("/", 303)
    response.headers.append("set-cookie", session_cookie(
        session.token, is_secure(request.scope, console.auth)))
    return response


@router.post("/logout")
def logout(request: Request, console: ConsoleDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Log out: the session ends on the server, so a copied cookie is worth nothing."""
    check_form_token(request, csrf)
    visitor = visitor_of(request)
    if visitor.session is not None:
        console.sessions.end(visitor.session.token)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- shared with the API -------------------------------------------------------------------

def file_or_404(console: Console, run_id: str, path: str) -> FileResponse:
    """An output file of a run, else 404."""
    try:
        return FileResponse(console.store.run_file(run_id, path))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


#: The rota pages that carry personal links: the overview, and each volunteer's.
ROTA_PAGE = re.compile(r"rota(?:/(?P<vid>[^/]+))?\.html")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(console: Console, run_id: str, what: str, suffix: str, lang: str) -> str:
    """A download's ``Content-Disposition``: the programme and the run in the reader's words
    (``民乐社区-第3次排班-排班表.xlsx``), with a plain ASCII name for old browsers."""
    programme = str(console.run_or_404(run_id).get("programme", ""))
    words = say(f"download.{what}", lang, programme=programme, run=run_id)
    return (f'attachment; filename="{what}-{run_id}{suffix}"; '
            f"filename*=UTF-8''{quote(words + suffix)}")


def workbook_response(console: Console, run_id: str, lang: str = "zh") -> Response:
    """The hand-out workbook as a download."""
    return Response(service.workbook(console.store, run_id, lang), media_type=XLSX, headers={
        "Content-Disposition": download_name(console, run_id, "plan", ".xlsx", lang)})


def zip_response(console: Console, run_id: str, lang: str = "zh") -> Response:
    """Every output of a run as a zip download."""
    try:
        content = service.everything(console.store, run_id, lang)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": download_name(console, run_id, "run", ".zip", lang)})


def coverage_rows(frame: pd.DataFrame) -> list[dict]:
    """Coverage rows for a table."""
    return [{"group": str(index),
             **{k: int(row[k]) for k in ("elders", "assigned", "unassigned")},
             "coverage": f"{row['coverage']:.1%}"} for index, row in frame.iterrows()]


def explanation(plan: Run, elder_id: str) -> tuple[str, dict[str, list[dict]]]:
    """The text of ``matching explain`` and its tables (chosen, alternatives) as rows, for
    the API."""
    try:
        found = explain_elder(plan, elder_id)
    except (InputError, KeyError, ValueError) as exc:
        return str(exc), {}
    tables = {name: frame.astype(str).to_dict("records")
              for name, frame in (("chosen", found.chosen),
                                  ("alternatives", found.alternatives))}
    return found.text(), {"note": [{"text": found.note.text()}] if found.note else [],
                          **tables}


def problems_of(exc: Exception) -> list[InputIssue]:
    """The problems an error carries (one made of its message otherwise)."""
    return list(getattr(exc, "problems", []))
