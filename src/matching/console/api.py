"""The console's JSON API under ``/api/``: the same actions as the pages, for scripts
(documented at ``/docs``)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from matching.console import service
from matching.console.bodies import BoundedRoute
from matching.console.context import (
    MAY_AUDIT,
    MAY_PLAN,
    MAY_READ,
    Console,
    actor_of,
    check_api_token,
    console_of,
    language,
    live_status,
    stage_text,
    visible_programmes,
)
from matching.console.pages import (
    XLSX,
    check_off_the_loop,
    explanation,
    file_or_404,
    problems_of,
    read_uploads,
    rota_with_links,
    run_links,
    upload_chunks,
    workbook_response,
    zip_response,
)
from matching.console.refusals import REFUSALS
from matching.console.store import BadName
from matching.rules.errors import InputError, InputIssue
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.read import read_world

router = APIRouter(prefix="/api", route_class=BoundedRoute, responses=REFUSALS)

#: Most marks one approval may name.
MOST_APPROVED = 10_000
#: Most hours one transfer may move (a lifetime of service, well above any cap).
MOST_TRANSFER_HOURS = 100_000
ConsoleDep = Annotated[Console, Depends(console_of)]
#: A phone mark's number, as the links database keeps it (a positive SQLite integer).
MarkId = Annotated[int, Field(ge=1, le=2**63 - 1)]
CsrfHeader = Annotated[str | None, Header()]


def link_to(operation: str, method: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to the operation ``method operation`` (its whole path), filling
    its ``parameters`` from runtime expressions (``$response.body#/id``): how a client,
    or a fuzzer, goes from one answer to the next call."""
    return {"operationRef": "#/paths/" + operation.replace("~", "~0").replace("/", "~1") +
            f"/{method}", "parameters": parameters}


def links(status: int, targets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ``openapi_extra`` that declares ``targets`` as the links of a ``status``
    answer."""
    return {"responses": {str(status): {"links": targets}}}


#: From a run's answer (``{"id": ...}``) to what it makes.
RUN_LINKS = {
    "status": link_to("/api/runs/{run_id}", "get", run_id="$response.body#/id"),
    "files": link_to("/api/runs/{run_id}/files/{path}", "get", run_id="$response.body#/id",
                     path="assignments.csv"),
    "links": link_to("/api/runs/{run_id}/links", "get", run_id="$response.body#/id"),
    "workbook": link_to("/api/runs/{run_id}/workbook", "get", run_id="$response.body#/id"),
}


def problem_json(p: InputIssue) -> dict:
    """A problem as JSON: where it is, and what is wrong."""
    return p.as_json()


@router.get("/programmes", tags=["programmes"])
def api_programmes(request: Request, console: ConsoleDep) -> list[dict]:
    """The programmes the asker may see, with their saved input files and runs' ids."""
    store = console.store
    return [{"name": n, "inputs": sorted(store.inputs(n)),
             "runs": [r["id"] for r in store.runs(n)]} for n in visible_programmes(request)]


@router.post("/programmes/{name}/inputs", tags=["programmes"], dependencies=[MAY_PLAN],
             openapi_extra=links(200, {"plan": link_to("/api/programmes/{name}/runs", "post",
                                                             name="$request.path.name")}))
async def api_inputs(request: Request, console: ConsoleDep, name: str,
                     volunteers: Annotated[UploadFile | None, File()] = None,
                     elders: Annotated[UploadFile | None, File()] = None,
                     relations: Annotated[UploadFile | None, File()] = None,
                     x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Upload rosters (multipart fields ``volunteers``, ``elders``, ``relations``; CSV or
    .xlsx). They are checked with the programme's saved files and saved only if clean:
    200 with the warnings, or 422 with the problems by file, row and column (the first
    200, and ``problem_count``). A new programme is made only when its files are saved."""
    check_api_token(request, x_csrf_token)
    name = unicodedata.normalize("NFC", name)
    if name not in console.store.programmes():
        try:
            console.store.check_new_name(name)
        except BadName as exc:
            return JSONResponse({"problems": [problem_json(exc.issue)], "problem_count": 1},
                                422)
    uploads = await read_uploads({"volunteers": volunteers, "elders": elders,
                                  "relations": relations})
    if not uploads:
        return JSONResponse({"problems": [problem_json(InputIssue("request",
                                                                  "upload.no_files"))],
                             "problem_count": 1}, 422)
    try:
        found = await check_off_the_loop(console, name, uploads)
    except service.UploadRefused as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems],
                             "problem_count": exc.count}, 422)
    console.log(request, "upload", name, ", ".join(sorted(uploads)), None,
                {"files": service.fingerprints(uploads)})
    return JSONResponse({"saved": sorted(uploads), "inputs": sorted(console.store.inputs(name)),
                         "warnings": [problem_json(p)
                                      for p in found.warnings]})


@router.post("/programmes/{name}/streets", tags=["programmes"], dependencies=[MAY_PLAN])
async def api_streets(request: Request, console: ConsoleDep, name: str,
                      streets: Annotated[UploadFile, File()],
                      x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Upload the programme's streets (multipart field ``streets``: an OpenStreetMap
    extract, ``.osm.pbf``). Read whole and saved only if it has streets to walk on: 200 with
    its ``nodes`` and ``streets``, or 422 with the problem. The next runs walk on it."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        figures = await run_in_threadpool(service.save_streets, console.store, name,
                                          upload_chunks(streets))
    except service.UploadRefused as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems],
                             "problem_count": exc.count}, 422)
    console.log(request, "streets", name, service.STREETS_NAME, None, figures)
    return JSONResponse(figures)


@router.post("/programmes/{name}/runs", status_code=202, tags=["runs"], dependencies=[MAY_PLAN],
             openapi_extra=links(202, RUN_LINKS))
def api_start(request: Request, console: ConsoleDep, name: str, options: service.RunOptions,
              x_csrf_token: CsrfHeader = None) -> dict:
    """Queue a run: a pairing and (unless ``schedule`` is false) a schedule. Returns its
    ``id``; a second run of the same programme waits for the first."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        run_id = service.start_run(console.store, console.runs, name,
                                   options, actor=actor_of(request))
    except (service.UploadRefused, InputError) as exc:
        raise HTTPException(422, [problem_json(p) for p in problems_of(exc)]) from exc
    console.log(request, "run", name, f"run {run_id}", None, options.model_dump(mode="json"))
    return {"id": run_id}


@router.get("/programmes/{name}/runs", tags=["runs"], dependencies=[MAY_READ])
def api_runs(console: ConsoleDep, name: str) -> list[dict]:
    """The programme's runs, newest first."""
    console.programme_or_404(name)
    return console.store.runs(name)


@router.get("/programmes/{name}/map", tags=["programmes"], dependencies=[MAY_READ])
def api_map(console: ConsoleDep, name: str) -> dict:
    """Volunteers and elders with their places, and the pairs of the latest finished
    run (none before the first)."""
    console.programme_or_404(name)
    done = service.latest_run(console.store, name)
    if done is not None:
        plan = console.plan_of(done["id"])
        world, assigned = plan.world, dict(zip(plan.assignments[ELDER_ID],
                                               plan.assignments[VOLUNTEER_ID], strict=True))
    else:
        inputs = console.store.inputs(name)
        if "volunteers" not in inputs or "elders" not in inputs:
            return {"run": None, "volunteers": [], "elders": [], "pairs": []}
        world, assigned = read_world(inputs["volunteers"], inputs["elders"],
                                     inputs.get("relations")), {}
    volunteers = _people(world.volunteers.frame(), VOLUNTEER_ID)
    elders = _people(world.elders.frame(), ELDER_ID)
    where = {v["id"]: (v["lat"], v["lon"]) for v in volunteers}
    for elder in elders:
        elder["volunteer"] = assigned.get(elder["id"], "")
    return {"run": done["id"] if done else None, "volunteers": volunteers, "elders": elders,
            "pairs": [[*where[e["volunteer"]], e["lat"], e["lon"]] for e in elders
                      if e["volunteer"] in where]}


def _people(frame: pd.DataFrame, key: str) -> list[dict]:
    """Id, name, community and place of each person, for the map."""
    names = frame["name"] if "name" in frame else frame[key]
    return [{"id": str(i), "name": str(n), "community": str(c), "lat": float(a),
             "lon": float(b)}
            for i, n, c, a, b in zip(frame[key], names, frame["community"], frame["lat"],
                                     frame["lon"], strict=True)]


@router.get("/runs/{run_id}", tags=["runs"], dependencies=[MAY_READ])
def api_run(request: Request, console: ConsoleDep, run_id: str) -> dict:
    """A run's ``status`` (``queued``, ``running``, ``done`` or ``failed``), its
    ``progress`` (0 to 1) and stage (``stage``, a code, with ``stage_params``; and
    ``stage_text``, in the visitor's language), and once done its ``summary``."""
    status = live_status(console.run_or_404(run_id))
    return {**status, "stage_text": stage_text(status, language(request))}


#: What a run's files are: tables, pages, calendars, the summary, the scenario.
FILE_TYPES: dict[int | str, dict[str, Any]] = {200: {"description": "the file", "content": {
    kind: {"schema": {"type": "string", "format": "binary"}} for kind in (
        "text/csv", "text/html", "text/calendar", "application/json", "text/plain",
        "application/toml", "application/octet-stream")}}}


@router.get("/runs/{run_id}/files/{path:path}", tags=["runs"], dependencies=[MAY_READ],
            response_class=Response, responses=FILE_TYPES)
def api_file(request: Request, console: ConsoleDep, run_id: str, path: str) -> Response:
    """Any output file of a finished run, such as ``assignments.csv`` or
    ``rota/V00001.html`` (rota pages carry the volunteers' personal links as QR codes)."""
    return rota_with_links(request, console, run_id, path) or \
        file_or_404(console, run_id, path)


@router.get("/runs/{run_id}/workbook", tags=["runs"], dependencies=[MAY_READ],
            response_class=Response, responses={200: {"description": "the workbook", "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def api_workbook(console: ConsoleDep, run_id: str,
                 lang: Literal["zh", "en"] = "zh") -> Response:
    """The hand-out workbook (``lang``: its sheet names and headers, Chinese by default):
    the pairs, the schedule, each week's visits, what is unmet and who is unpaired."""
    console.finished_run(run_id)
    return workbook_response(console, run_id, lang)


@router.get("/runs/{run_id}/zip", tags=["runs"], dependencies=[MAY_READ],
            response_class=Response, responses={200: {"description": "the zip", "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
def api_zip(console: ConsoleDep, run_id: str, lang: Literal["zh", "en"] = "zh") -> Response:
    """Every output file of a run and its workbook (in ``lang``), as a zip."""
    console.finished_run(run_id)
    return zip_response(console, run_id, lang)


@router.get("/runs/{run_id}/explain/{elder_id}", tags=["runs"], dependencies=[MAY_READ])
def api_explain(console: ConsoleDep, run_id: str, elder_id: str) -> dict:
    """Why this elder has their volunteer, and who came next."""
    console.finished_run(run_id)
    return {ELDER_ID: elder_id, "text": explanation(console.plan_of(run_id), elder_id)[0]}


# --- the programme's roster, its changes and the audit log ---------------------------------

class ChangeBody(BaseModel):
    """A dated change to the roster (see :mod:`matching.programme.roster`)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["leave", "away", "return", "join", "edit"]
    person: Literal["volunteer", "elder"]
    id: str = Field(max_length=200)
    date: str = Field(max_length=40)
    until: str | None = Field(None, max_length=40)
    reason: str | None = Field(None, max_length=200)
    row: dict[str, str | int | float | bool | None] | None = Field(None, max_length=64)


class ReplanBody(BaseModel):
    """The day a re-plan starts from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_date: str = Field(alias="from", max_length=40)


@router.post("/programmes/{name}/changes", status_code=201, tags=["roster"],
             dependencies=[MAY_PLAN])
def api_change(request: Request, console: ConsoleDep, name: str, body: ChangeBody,
               x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Enter a dated change: someone leaves, is away (``until``), returns, joins (``row``:
    their file's columns) or has details edited (``row``). It holds for every later plan.
    201 with the change as kept, or 422 naming each bad field."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    actor = actor_of(request)
    try:
        entered = service.add_change(console.store, name, body.model_dump(exclude_none=True),
                                     actor)
    except InputError as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems]}, 422)
    console.log(actor, "change", name, f"{body.person} {body.id}", None, entered.as_json())
    return JSONResponse(entered.as_json(), 201)


@router.get("/programmes/{name}/changes", tags=["roster"], dependencies=[MAY_READ])
def api_changes(console: ConsoleDep, name: str) -> list[dict]:
    """Every change entered, in order, with who entered it and when."""
    console.programme_or_404(name)
    with service.journal(console.store, name) as journal:
        return [e.as_json() for e in journal.entered()]


@router.get("/programmes/{name}/roster", tags=["roster"], dependencies=[MAY_READ])
def api_roster(console: ConsoleDep, name: str, date: str = "") -> dict:
    """Who is in the programme on ``date`` (today by default): ``volunteers`` and
    ``elders`` (ids), and ``away`` (who is away that day)."""
    console.programme_or_404(name)
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError as exc:
        raise HTTPException(422, "date: not a date (YYYY-MM-DD)") from exc
    try:
        members = service.roster(console.store, name, day)
    except service.UploadRefused as exc:
        raise HTTPException(409, [problem_json(p) for p in exc.problems]) from exc
    return {"date": day.isoformat(), "volunteers": members.ids("volunteer"),
            "elders": members.ids("elder"),
            "away": [c.as_json() for c in members.away]}


@router.post("/programmes/{name}/replans", status_code=202, tags=["roster"],
             openapi_extra=links(202, RUN_LINKS),
             dependencies=[MAY_PLAN])
def api_replan(request: Request, console: ConsoleDep, name: str, body: ReplanBody,
               x_csrf_token: CsrfHeader = None) -> dict:
    """Re-plan the latest finished run from the roster as of ``from``, keeping its pairs
    where they may stay and what it published before that day. Returns the new run's
    ``id``."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        day = dt.date.fromisoformat(body.from_date)
    except ValueError as exc:
        raise HTTPException(422, "from: not a date (YYYY-MM-DD)") from exc
    actor = actor_of(request)
    try:
        run_id = service.start_replan(console.store, console.runs, name, day, actor)
    except (service.UploadRefused, InputError) as exc:
        raise HTTPException(422, [problem_json(p) for p in problems_of(exc)]) from exc
    console.log(actor, "replan", name, f"run {run_id}", None,
                {"from": day.isoformat(), "run": run_id})
    return {"id": run_id}


@router.get("/programmes/{name}/audit", tags=["audit"], dependencies=[MAY_AUDIT])
def api_audit(console: ConsoleDep, name: str, actor: str = "", action: str = "",
              since: str = "", until: str = "") -> list[dict]:
    """The programme's audit log, oldest first: ``seq, at, actor, action, subject,
    before, after, hash``, filtered by a part of the actor or action and by dates."""
    console.programme_or_404(name)
    return [e.as_json() for e in console.audit.entries(
        programme=name, actor=actor or None, action=action or None, since=since or None,
        until=until or None)]


# --- volunteers' links and the marks from their phones ------------------------------------

@router.get("/runs/{run_id}/links", tags=["links"], dependencies=[MAY_PLAN],
            openapi_extra=links(200, {"activities": link_to(
                "/v/{token}/activities", "get", token="$response.body#/0/token")}))
def api_links(console: ConsoleDep, run_id: str) -> list[dict]:
    """One personal link per volunteer with activities in the run (made where there is
    none): ``volunteer_id``, ``name`` and ``url`` (``/v/...``, on this console). A link
    shows its volunteer's own activities and takes their marks, with no account."""
    _, urls = run_links(console, run_id)
    vols = console.plan_of(run_id).world.volunteers
    names = dict(zip(vols.volunteer_id, vols.name, strict=True))
    return [{VOLUNTEER_ID: vid, "name": names.get(vid, ""), "url": url,
             "token": url.rsplit("/", 1)[-1]} for vid, url in urls.items()]


@router.post("/runs/{run_id}/links/{volunteer_id}/revoke", tags=["links"], dependencies=[MAY_PLAN])
def api_revoke(request: Request, console: ConsoleDep, run_id: str, volunteer_id: str,
               x_csrf_token: CsrfHeader = None) -> dict:
    """End a volunteer's link for the run (it answers 404 from now on); the next
    ``GET /api/runs/{id}/links`` gives them a new one."""
    check_api_token(request, x_csrf_token)
    programme = str(console.run_or_404(run_id).get("programme", ""))
    if not console.links.revoke(programme, volunteer_id):
        raise HTTPException(404, "no working link for that volunteer")
    console.log(request, "link_revoke", programme, volunteer_id, {"state": "working"},
                {"state": "revoked"})
    return {"revoked": volunteer_id}


@router.get("/programmes/{name}/links", tags=["links"], dependencies=[MAY_PLAN])
def api_programme_links(console: ConsoleDep, name: str) -> list[dict]:
    """One personal link per volunteer of the programme's current plan: ``volunteer_id``,
    ``name`` and ``url`` (``/v/...``). A link stays the same across re-plans and always
    shows the current plan; revoking it (``POST /api/runs/{id}/links/{volunteer}/revoke``)
    makes the next one new."""
    console.programme_or_404(name)
    latest = service.latest_run(console.store, name, scheduled=True)
    if latest is None:
        return []
    return api_links(console, str(latest["id"]))


class Rejection(BaseModel):
    """Marks to send back to their volunteers, and why (shown on their phones)."""

    model_config = ConfigDict(extra="forbid")
    ids: list[MarkId] = Field(max_length=MOST_APPROVED)
    reason: str = Field(max_length=1000)


@router.post("/programmes/{name}/timebank/reject", tags=["time bank"], dependencies=[MAY_PLAN])
def api_reject(request: Request, console: ConsoleDep, name: str, rejection: Rejection,
               x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Send pending marks back with a reason: 200 with the ids sent back, or 409 with the
    problems (no reason, a mark approved already or unknown) and nothing changed."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        done = service.reject_marks(console.links, name, rejection.ids, rejection.reason)
    except InputError as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems]}, 409)
    console.log(request, "reject", name, f"marks {', '.join(map(str, done))}",
                {"state": "pending"}, {"state": "rejected", "reason": rejection.reason})
    return JSONResponse({"rejected": done})


class Approval(BaseModel):
    """Marks to record in the time bank, with any minutes changed first."""

    model_config = ConfigDict(extra="forbid")
    ids: list[MarkId] = Field(max_length=MOST_APPROVED)
    minutes: dict[int, str] = Field(default_factory=dict, max_length=MOST_APPROVED)


@router.get("/programmes/{name}/timebank/pending", tags=["time bank"], dependencies=[MAY_AUDIT])
def api_pending(console: ConsoleDep, name: str) -> list[dict]:
    """Marks sent from phones and not yet approved: ``id, volunteer_id, elder_id, date,
    activity, status, minutes`` (and ``run_id, done_by, rating, comment``)."""
    console.programme_or_404(name)
    return [{k: m[k] for k in ("id", "run_id", VOLUNTEER_ID, ELDER_ID, "date",
                               "activity", "status", "done_by", "minutes", "rating",
                               "comment")}
            for m in console.links.marks(programme=name, pending=True)]


@router.post("/programmes/{name}/timebank/approve", tags=["time bank"], dependencies=[MAY_PLAN])
def api_approve(request: Request, console: ConsoleDep, name: str, approval: Approval,
                x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Record pending marks in the time bank as one batch, by the same path as a marked
    rota: 200 with the counts, or 409 with the problems (a mark approved already, a row
    the ledger has or the schedule lacks...) and nothing recorded."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        counts = service.approve_marks(console.store, console.links, name, approval.ids,
                                       approval.minutes, actor=actor_of(request))
    except InputError as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems]}, 409)
    console.log(request, "approve", name, f"marks {', '.join(map(str, approval.ids))}",
                {"state": "pending"}, counts)
    return JSONResponse(counts)


class Transfer(BaseModel):
    """Hours one member gives another (转赠): ``family`` says the coordinator vouches that
    the receiver is the giver's family (needed when the rules give to family only)."""

    model_config = ConfigDict(extra="forbid")
    from_member: str = Field(min_length=1, max_length=200)
    to_member: str = Field(min_length=1, max_length=200)
    hours: float = Field(gt=0, le=MOST_TRANSFER_HOURS)
    family: bool = False
    memo: str = Field(default="", max_length=1000)


@router.post("/programmes/{name}/transfers", tags=["time bank"], dependencies=[MAY_PLAN])
def api_transfer(request: Request, console: ConsoleDep, name: str, transfer: Transfer,
                 x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Move hours from one member to another as one balanced ledger entry, under the
    programme's exchange rules: 200 with the transaction and both balances, or 409 with
    the rule that refuses (an overdraft, a cap, transfers off or to family only) and
    nothing moved."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        done = service.transfer_hours(console.store, name, transfer.from_member,
                                      transfer.to_member, transfer.hours, transfer.family,
                                      transfer.memo)
    except InputError as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems]}, 409)
    console.log(request, "transfer", name,
                f"{transfer.hours:g} h from {transfer.from_member} to {transfer.to_member}",
                None, done)
    return JSONResponse(done)


@router.get("/programmes/{name}/timebank/balances", tags=["time bank"], dependencies=[MAY_AUDIT])
def api_balances(console: ConsoleDep, name: str) -> list[dict]:
    """Each member's hours: ``member_id``, ``balance_hours``, ``earned_hours``..."""
    console.programme_or_404(name)
    table = service.balances(console.store, name)
    return [] if table.empty else json.loads(table.to_json(orient="records"))
