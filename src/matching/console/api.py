"""The console's JSON API under ``/api/``: the same actions as the pages, for scripts
(documented at ``/docs``)."""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from matching.console import service
from matching.console.context import Console, check_api_token, console_of, language, stage_text
from matching.console.pages import (
    check_off_the_loop,
    explanation,
    file_or_404,
    problems_of,
    read_uploads,
    rota_with_links,
    run_links,
    workbook_response,
    zip_response,
)
from matching.console.store import BadName
from matching.rules.errors import InputError, InputIssue
from matching.world.read import read_world

router = APIRouter(prefix="/api")

#: Most marks one approval may name.
MOST_APPROVED = 10_000
ConsoleDep = Annotated[Console, Depends(console_of)]
CsrfHeader = Annotated[str | None, Header()]


def problem_json(p: InputIssue) -> dict:
    """A problem as JSON: where it is, and what is wrong."""
    return p.as_json()


@router.get("/programmes", tags=["programmes"])
def api_programmes(console: ConsoleDep) -> list[dict]:
    """Every programme, with its saved input files and its runs' ids."""
    store = console.store
    return [{"name": n, "inputs": sorted(store.inputs(n)),
             "runs": [r["id"] for r in store.runs(n)]} for n in store.programmes()]


@router.post("/programmes/{name}/inputs", tags=["programmes"])
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
    return JSONResponse({"saved": sorted(uploads), "inputs": sorted(console.store.inputs(name)),
                         "warnings": [problem_json(p)
                                      for p in found.warnings]})  # type: ignore[attr-defined]


@router.post("/programmes/{name}/runs", status_code=202, tags=["runs"])
def api_start(request: Request, console: ConsoleDep, name: str, options: service.RunOptions,
              x_csrf_token: CsrfHeader = None) -> dict:
    """Queue a run: a pairing and (unless ``schedule`` is false) a schedule. Returns its
    ``id``; a second run of the same programme waits for the first."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        run_id = service.start_run(console.store, console.runs, name,
                                   options)
    except (service.UploadRefused, InputError) as exc:
        raise HTTPException(422, [problem_json(p) for p in problems_of(exc)]) from exc
    return {"id": run_id}


@router.get("/programmes/{name}/runs", tags=["runs"])
def api_runs(console: ConsoleDep, name: str) -> list[dict]:
    """The programme's runs, newest first."""
    console.programme_or_404(name)
    return console.store.runs(name)


@router.get("/programmes/{name}/map", tags=["programmes"])
def api_map(console: ConsoleDep, name: str) -> dict:
    """Volunteers and elders with their places, and the pairs of the latest finished
    run (none before the first)."""
    console.programme_or_404(name)
    done = service.latest_run(console.store, name)
    if done is not None:
        plan = console.plan_of(done["id"])
        world, assigned = plan.world, dict(zip(plan.assignments["elder_id"],
                                               plan.assignments["volunteer_id"], strict=True))
    else:
        inputs = console.store.inputs(name)
        if "volunteers" not in inputs or "elders" not in inputs:
            return {"run": None, "volunteers": [], "elders": [], "pairs": []}
        world, assigned = read_world(inputs["volunteers"], inputs["elders"],
                                     inputs.get("relations")), {}
    volunteers = _people(world.volunteers, "volunteer_id")
    elders = _people(world.elders, "elder_id")
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


@router.get("/runs/{run_id}", tags=["runs"])
def api_run(request: Request, console: ConsoleDep, run_id: str) -> dict:
    """A run's ``status`` (``queued``, ``running``, ``done`` or ``failed``), its
    ``progress`` (0 to 1) and stage (``stage``, a code, with ``stage_params``; and
    ``stage_text``, in the visitor's language), and once done its ``summary``."""
    status = console.run_or_404(run_id)
    return {**status, "stage_text": stage_text(status, language(request))}


@router.get("/runs/{run_id}/files/{path:path}", tags=["runs"])
def api_file(request: Request, console: ConsoleDep, run_id: str, path: str) -> Response:
    """Any output file of a finished run, such as ``assignments.csv`` or
    ``rota/V00001.html`` (rota pages carry the volunteers' personal links as QR codes)."""
    return rota_with_links(request, console, run_id, path) or \
        file_or_404(console, run_id, path)


@router.get("/runs/{run_id}/workbook", tags=["runs"])
def api_workbook(console: ConsoleDep, run_id: str,
                 lang: Literal["zh", "en"] = "zh") -> Response:
    """The hand-out workbook (``lang``: its sheet names and headers, Chinese by default):
    the pairs, the schedule, each week's visits, what is unmet and who is unpaired."""
    console.run_or_404(run_id)
    return workbook_response(console, run_id, lang)


@router.get("/runs/{run_id}/zip", tags=["runs"])
def api_zip(console: ConsoleDep, run_id: str, lang: Literal["zh", "en"] = "zh") -> Response:
    """Every output file of a run and its workbook (in ``lang``), as a zip."""
    console.run_or_404(run_id)
    return zip_response(console, run_id, lang)


@router.get("/runs/{run_id}/explain/{elder_id}", tags=["runs"])
def api_explain(console: ConsoleDep, run_id: str, elder_id: str) -> dict:
    """Why this elder has their volunteer, and who came next."""
    if console.run_or_404(run_id)["status"] != "done":
        raise HTTPException(409, "the run has not finished")
    return {"elder_id": elder_id, "text": explanation(console.plan_of(run_id), elder_id)[0]}


# --- volunteers' links and the marks from their phones ------------------------------------

@router.get("/runs/{run_id}/links", tags=["links"])
def api_links(console: ConsoleDep, run_id: str) -> list[dict]:
    """One personal link per volunteer with activities in the run (made where there is
    none): ``volunteer_id``, ``name`` and ``url`` (``/v/...``, on this console). A link
    shows its volunteer's own activities and takes their marks, with no account."""
    _, urls = run_links(console, run_id)
    vols = console.plan_of(run_id).world.volunteers
    names = dict(zip(vols["volunteer_id"].astype(str), vols["name"].astype(str), strict=True))
    return [{"volunteer_id": vid, "name": names.get(vid, ""), "url": url}
            for vid, url in urls.items()]


@router.post("/runs/{run_id}/links/{volunteer_id}/revoke", tags=["links"])
def api_revoke(request: Request, console: ConsoleDep, run_id: str, volunteer_id: str,
               x_csrf_token: CsrfHeader = None) -> dict:
    """End a volunteer's link for the run (it answers 404 from now on); the next
    ``GET /api/runs/{id}/links`` gives them a new one."""
    check_api_token(request, x_csrf_token)
    console.run_or_404(run_id)
    if not console.links.revoke(run_id, volunteer_id):
        raise HTTPException(404, "no working link for that volunteer and run")
    return {"revoked": volunteer_id}


class Approval(BaseModel):
    """Marks to record in the time bank, with any minutes changed first."""

    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(max_length=MOST_APPROVED)
    minutes: dict[int, str] = Field(default_factory=dict, max_length=MOST_APPROVED)


@router.get("/programmes/{name}/timebank/pending", tags=["time bank"])
def api_pending(console: ConsoleDep, name: str) -> list[dict]:
    """Marks sent from phones and not yet approved: ``id, volunteer_id, elder_id, date,
    activity, status, minutes`` (and ``run_id, done_by, rating, comment``)."""
    console.programme_or_404(name)
    return [{k: m[k] for k in ("id", "run_id", "volunteer_id", "elder_id", "date",
                               "activity", "status", "done_by", "minutes", "rating",
                               "comment")}
            for m in console.links.marks(programme=name, pending=True)]


@router.post("/programmes/{name}/timebank/approve", tags=["time bank"])
def api_approve(request: Request, console: ConsoleDep, name: str, approval: Approval,
                x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Record pending marks in the time bank as one batch, by the same path as a marked
    rota: 200 with the counts, or 409 with the problems (a mark approved already, a row
    the ledger has or the schedule lacks...) and nothing recorded."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        counts = service.approve_marks(console.store, console.links, name, approval.ids,
                                       approval.minutes)
    except InputError as exc:
        return JSONResponse({"problems": [problem_json(p) for p in exc.problems]}, 409)
    return JSONResponse(counts)


@router.get("/programmes/{name}/timebank/balances", tags=["time bank"])
def api_balances(console: ConsoleDep, name: str) -> list[dict]:
    """Each member's hours: ``member_id``, ``balance_hours``, ``earned_hours``..."""
    console.programme_or_404(name)
    table = service.balances(console.store, name)
    return [] if table.empty else json.loads(table.to_json(orient="records"))
