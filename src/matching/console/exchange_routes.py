"""The exchange's routes: requests through the API (the coordinator's), accepted and marked
on a volunteer's link (``/v/{token}/requests/...``), confirmed on the elder's or family's link
(``/f/{token}``), and the alliance's balances.

A refusal (out of turn, a rule) is 409 with the sentence that says why; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from matching.catalogue import say
from matching.console import exchange, service
from matching.console.bodies import BoundedRoute
from matching.console.context import (
    MAY_AUDIT,
    MAY_AUDIT_SOMEWHERE,
    MAY_PLAN,
    MAY_READ,
    Console,
    actor_of,
    check_api_token,
    console_of,
    language,
    programmes_where,
)
from matching.console.guard import client_address
from matching.console.pages import XLSX, programme_form, programme_names
from matching.console.refusals import REFUSALS
from matching.console.store import NotFound
from matching.console.volunteer import PHONE_LANGUAGE, LinkGone, open_link, people_names
from matching.outputs.rota import qr_png
from matching.outputs.write import csv_bytes
from matching.rules.errors import InputError
from matching.rules.exchange import CONFIRMED_ACTIVITIES, SERVICES, service_words
from matching.rules.ids import MAX_ID_LENGTH
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

router = APIRouter(route_class=BoundedRoute, responses=REFUSALS)
ConsoleDep = Annotated[Console, Depends(console_of)]
RequestId = Annotated[int, Field(ge=1, le=2**63 - 1)]
CsrfHeader = Annotated[str | None, Header()]
#: Most hours one donation may give (a lifetime of service, above any cap).
MOST_DONATION_HOURS = 100_000
#: The longest refusal a phone page is sent back with (in its address).
MOST_REFUSAL_CHARS = 300


class RequestBody(BaseModel):
    """A requested service: for whom, what, when (a day, or a window ``from``-``to``), how
    long; ``member_id`` when a member's hours pay (else the elder's own, or the pool)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    member_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    elder_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    service: str = Field(max_length=32, description=", ".join(SERVICES))
    date: dt.date | None = None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    minutes: int = Field(ge=1, le=exchange.MOST_REQUEST_MINUTES)


class Step(BaseModel):
    """What a coordinator's step needs: the volunteer assigned, a rating and how a
    confirmation was taken, or a reason to cancel."""

    model_config = ConfigDict(extra="forbid")
    volunteer_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    rating: int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=200)
    reason: str = Field("", max_length=200)


class Done(BaseModel):
    """A volunteer's mark of a request: the day (today when left out) and the minutes (the
    request's when left out)."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None
    minutes: int | None = Field(None, ge=1, le=24 * 60)


class Confirmation(BaseModel):
    """The elder's or family's confirmation, with a rating of 1-5 if they give one."""

    model_config = ConfigDict(extra="forbid")
    rating: int | None = Field(None, ge=1, le=5)


def _refused(exc: InputError) -> JSONResponse:
    return JSONResponse({"problems": [p.as_json() for p in exc.problems]}, 409)


@router.post("/api/programmes/{name}/requests", status_code=201, tags=["exchange"],
             dependencies=[MAY_PLAN])
def api_post_request(request: Request, console: ConsoleDep, name: str, body: RequestBody,
                     x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Post a request: 201 with its ``id`` and the volunteers it is ``offered_to`` (best
    first, by the pairing's rules), why the others were not (``excluded``, a count per
    rule) and who pays; 409 naming the rule that refuses (nothing posted)."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    fields = body.model_dump(by_alias=True)
    try:
        posted = exchange.post(console, name, fields, actor_of(request))
    except InputError as exc:
        return _refused(exc)
    console.log(request, "request", name, f"request {posted.request_id}", None,
                {"offered_to": posted.offered_to, "payer": posted.payer})
    return JSONResponse({"id": posted.request_id, "offered_to": posted.offered_to,
                         "excluded": dict(posted.excluded), "payer": posted.payer}, 201)


@router.get("/api/programmes/{name}/requests", tags=["exchange"], dependencies=[MAY_READ])
def api_requests(console: ConsoleDep, name: str) -> list[dict]:
    """Every request of the programme, newest first, each with its state and history."""
    console.programme_or_404(name)
    return exchange.requests(console, name)


@router.post("/api/programmes/{name}/requests/{request_id}/{what}", tags=["exchange"],
             dependencies=[MAY_PLAN])
def api_request_step(request: Request, console: ConsoleDep, name: str, request_id: RequestId,
                     what: str, body: Step, x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """A coordinator's step: ``assign`` (``volunteer_id``), ``confirm`` (a confirmation
    taken by phone: ``rating``, ``note``), ``approve`` (into the time bank) or ``cancel``
    (``reason``). 200 with the request after it; 409 when out of turn or refused."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    if what not in ("assign", "confirm", "approve", "cancel"):
        return JSONResponse({"detail": "no such step"}, 404)
    if what == "assign" and not body.volunteer_id:
        return JSONResponse({"detail": "volunteer_id is needed"}, 422)
    values: dict[str, Any] = {"volunteer_id": body.volunteer_id, "rating": body.rating,
                              "note": body.note or ("by phone" if what == "confirm" else ""),
                              "reason": body.reason}
    try:
        state = exchange.step(console, name, request_id, what, actor_of(request), **values)
    except NotFound:
        return JSONResponse({"detail": "no such request"}, 404)
    except InputError as exc:
        return _refused(exc)
    console.log(request, f"request {what}", name, f"request {request_id}", None,
                {"state": state.state, "tx": state.tx_id})
    return JSONResponse(state.as_json())


class Donation(BaseModel):
    """Hours a member gives the programme's pool (for elders without hours of their own)."""

    model_config = ConfigDict(extra="forbid")
    member_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    hours: float = Field(gt=0, le=MOST_DONATION_HOURS)
    memo: str = Field(default="", max_length=200)


@router.post("/api/programmes/{name}/donations", tags=["exchange"], dependencies=[MAY_PLAN])
def api_donate(request: Request, console: ConsoleDep, name: str, donation: Donation,
               x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """A member gives hours to the pool as one balanced entry: 200 with the transaction
    and the balance after; 409 naming the rule that refuses (an overdraft, donations off)."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        done = service.donate_hours(console.store, name, donation.member_id, donation.hours,
                                    donation.memo)
    except InputError as exc:
        return _refused(exc)
    console.log(request, "donation", name, f"{donation.hours:g} h from {donation.member_id}",
                None, done)
    return JSONResponse(done)


@router.get("/api/alliance/balances", tags=["exchange"], dependencies=[MAY_AUDIT_SOMEWHERE])
def api_alliance_balances(request: Request, console: ConsoleDep) -> list[dict]:
    """Every member's balance across the programmes this account may audit: ``member_id``,
    ``programme`` (the member's home), ``balance_hours``."""
    return service.alliance_balances(console.store, programmes_where(request, "audit"))


# --- on a volunteer's link ---------------------------------------------------------------

async def _link_step(request: Request, console: Console, token: str, request_id: int,
                     what: str, values: dict[str, Any]) -> Response:
    try:
        link = await run_in_threadpool(open_link, request, console, token)
    except LinkGone as exc:
        return JSONResponse({"detail": "no such link"}, exc.status)
    form = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
    try:
        state = await run_in_threadpool(exchange.step, console, link.programme, request_id,
                                        what, f"link:{link.volunteer_id}",
                                        volunteer_id=link.volunteer_id, **values)
    except NotFound:
        return JSONResponse({"detail": "no such request"}, 404)
    except InputError as exc:
        if form:
            reason = "；".join(p.text(PHONE_LANGUAGE) for p in exc.problems)
            return RedirectResponse(f"/v/{token}?refused={_quote(reason)}#requests", 303)
        return _refused(exc)
    console.log(f"link:{link.volunteer_id}", f"request {what}", link.programme,
                f"request {request_id}", None, {"state": state.state})
    if form:
        return RedirectResponse(f"/v/{token}?saved=1#requests", 303)
    return JSONResponse(state.as_json())


def _quote(text: str) -> str:
    return quote(text[:MOST_REFUSAL_CHARS])


@router.post("/v/{token}/requests/{request_id}/accept", tags=["volunteer links"])
async def phone_accept(request: Request, console: ConsoleDep, token: str,
                       request_id: RequestId) -> Response:
    """Take a request offered to this volunteer: the first to accept has it (200); 409 when
    someone took it first, or it was not offered to them."""
    return await _link_step(request, console, token, request_id, "accept", {})


@router.post("/v/{token}/requests/{request_id}/done", tags=["volunteer links"])
async def phone_request_done(request: Request, console: ConsoleDep, token: str,
                             request_id: RequestId) -> Response:
    """Say a request this volunteer took is done (JSON ``date``, ``minutes``, both
    optional; or the page's form): 200, or 409 when out of turn or refused."""
    values: dict[str, Any] = {"date": dt.date.today(), "minutes": None}
    if "application/json" in request.headers.get("content-type", ""):
        try:
            done = Done.model_validate(await request.json())
        except ValueError:
            return JSONResponse({"detail": "the body is not a mark of a request"}, 422)
        values = {"date": done.date or dt.date.today(), "minutes": done.minutes}
    else:
        form = await request.form()
        text = str(form.get("minutes", "")).strip()
        if text:
            if not text.isdigit() or not 1 <= int(text) <= 24 * 60:
                return RedirectResponse(f"/v/{token}?refused="
                                        f"{_quote(say('phone.bad_minutes', PHONE_LANGUAGE))}"
                                        "#requests", 303)
            values["minutes"] = int(text)
    return await _link_step(request, console, token, request_id, "done", values)


# --- the elder's and family's link -------------------------------------------------------

def _family(request: Request, console: Console, token: str) -> tuple[str, str] | None:
    client = client_address(request.scope)
    if console.link_limit.guessing(client):
        return None
    found = console.links.find_family(token)
    if found is None:
        console.link_limit.missed(client)
    elif not console.link_limit.allow(f"family/{found[0]}/{found[1]}"):
        return None  # a link used too often waits, as a volunteer's does
    return found


def _family_page(request: Request, console: Console, token: str, programme: str, elder: str,
                 notice: str = "", status: int = 200) -> HTMLResponse:
    lang = PHONE_LANGUAGE
    run = service.latest_run(console.store, programme, scheduled=True)
    name = elder
    volunteers: dict[str, str] = {}
    if run is not None:
        world = console.plan_of(str(run["id"])).world
        row = int(world.elders.rows([elder])[0])
        if row >= 0 and str(world.elders.name[row]):
            name = str(world.elders.name[row])
        volunteers = {str(v): str(n) or str(v) for v, n in
                      zip(world.volunteers.volunteer_id, world.volunteers.name, strict=True)}
    items = []
    for state in exchange.of_elder(console, programme, elder):
        items.append({"id": state.request_id, "state": state.state,
                      "what": say(service_words(state.service), lang),
                      "day": state.done_date or state.first_date,
                      "who": volunteers.get(state.taken_by, "") if state.taken_by else "",
                      "minutes": state.done_minutes or state.minutes,
                      "rating": state.rating})
    visits = []
    if run is not None:
        confirmed = console.links.confirmations(programme, elder)
        for r in planned_for(console, str(run["id"]), elder, dt.date.today()):
            given = confirmed.get((r["date"], r["activity"], elder))
            visits.append({"date": r["date"], "activity": r["activity"],
                           "what": say(f"activity.{r['activity']}", lang),
                           "who": volunteers.get(r[VOLUNTEER_ID], ""),
                           "key": f"{r['date']}-{r['activity']}",
                           "confirmed": given is not None,
                           "rating": given["rating"] if given else None})
    return console.templates.TemplateResponse(request, "family.html", {
        "s": lambda code, **p: say(code, lang, **p), "token": token, "name": name,
        "items": items, "visits": visits, "notice": notice, "gone": False},
        status_code=status)


#: Days back the family's page shows planned visits and services to confirm.
CONFIRM_DAYS = 14


def planned_for(console: Console, run_id: str, elder: str, today: dt.date) -> list[dict]:
    """The elder's planned visits and services of the last :data:`CONFIRM_DAYS` days up to
    ``today``, newest first (what the elder or family may confirm)."""
    schedule = console.schedule_of(run_id)
    first = (today - dt.timedelta(days=CONFIRM_DAYS)).isoformat()
    mine = schedule[(schedule[ELDER_ID] == elder)
                    & schedule["activity"].isin(CONFIRMED_ACTIVITIES)
                    & (schedule["date"] >= first) & (schedule["date"] <= today.isoformat())]
    return mine.sort_values(["date", "activity"], ascending=False).to_dict("records")


def confirm_visit(console: Console, programme: str, elder: str, date: str, activity: str,
                  rating: int | None, actor: str) -> None:
    """Keep a confirmation of a planned visit or service.

    Raises
    ------
    InputError
        For an activity not planned for the elder that day (or not yet come), a bad
        rating, or one confirmed already.
    """
    run = service.latest_run(console.store, programme, scheduled=True)
    planned = planned_for(console, str(run["id"]), elder, dt.date.today()) if run else []
    if not any(r["date"] == date and r["activity"] == activity for r in planned):
        raise InputError.one("date", "exchange.not_planned", date=date, activity=activity)
    if rating is not None and not 1 <= rating <= 5:
        raise InputError.one("rating", "exchange.not_rated")
    if not console.links.confirm(programme, date, activity, elder, rating, actor):
        raise InputError.one("date", "exchange.confirmed_already")


@router.get("/f/{token}", response_class=HTMLResponse, include_in_schema=False)
def family_page(request: Request, console: ConsoleDep, token: str,
                saved: str = "") -> HTMLResponse:
    """The elder's or family's page: the services given, each confirmed with one tap."""
    found = _family(request, console, token)
    if found is None:
        return console.templates.TemplateResponse(request, "family.html", {
            "s": lambda code, **p: say(code, PHONE_LANGUAGE, **p), "gone": True},
            status_code=404)
    notice = say("family.thanks", PHONE_LANGUAGE) if saved else ""
    return _family_page(request, console, token, *found, notice=notice)


@router.post("/f/{token}/requests/{request_id}/confirm", tags=["family links"])
async def family_confirm(request: Request, console: ConsoleDep, token: str,
                         request_id: RequestId) -> Response:
    """Confirm a service given to this elder, with a rating of 1-5 or none (JSON, or the
    page's one-tap form): 200, or 409 when it is not done yet or confirmed already."""
    found = _family(request, console, token)
    if found is None:
        return JSONResponse({"detail": "no such link"}, 404)
    programme, elder = found
    form = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
    rating: int | None = None
    if form:
        text = str((await request.form()).get("rating", "")).strip()
        rating = int(text) if text in {"1", "2", "3", "4", "5"} else None
    else:
        try:
            rating = Confirmation.model_validate(await request.json()).rating
        except ValueError:
            return JSONResponse({"detail": "the body is not a confirmation"}, 422)
    try:
        state = await run_in_threadpool(exchange.one, console, programme, request_id)
        if state.elder_id != elder:
            raise NotFound("not this elder's")
        state = await run_in_threadpool(exchange.step, console, programme, request_id,
                                        "confirm", f"family:{elder}", rating=rating,
                                        note="family link")
    except NotFound:
        return JSONResponse({"detail": "no such request"}, 404)
    except InputError as exc:
        if form:
            reason = "；".join(p.text(PHONE_LANGUAGE) for p in exc.problems)
            return _family_page(request, console, token, programme, elder, reason, 409)
        return _refused(exc)
    console.log(f"family:{elder}", "request confirm", programme, f"request {request_id}",
                None, {"rating": rating})
    if form:
        return RedirectResponse(f"/f/{token}?saved=1", 303)
    return JSONResponse(state.as_json())



class VisitConfirmation(BaseModel):
    """A planned visit or service confirmed: its day and activity, a rating if given."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date
    activity: str = Field(max_length=32, description=", ".join(CONFIRMED_ACTIVITIES))
    rating: int | None = Field(None, ge=1, le=5)


@router.post("/f/{token}/visits", tags=["family links"])
async def family_confirm_visit(request: Request, console: ConsoleDep, token: str) -> Response:
    """Confirm a planned visit or service of this elder's (JSON ``date``, ``activity``,
    ``rating``; or the page's one-tap form): 200, 409 when confirmed already or not
    planned that day."""
    found = _family(request, console, token)
    if found is None:
        return JSONResponse({"detail": "no such link"}, 404)
    programme, elder = found
    form = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
    try:
        if form:
            posted = await request.form()
            text = str(posted.get("rating", "")).strip()
            body = VisitConfirmation(date=str(posted.get("date", "")),
                                     activity=str(posted.get("activity", "")),
                                     rating=int(text) if text in {"1", "2", "3", "4", "5"}
                                     else None)
        else:
            body = VisitConfirmation.model_validate(await request.json())
    except ValueError:
        return JSONResponse({"detail": "the body is not a confirmation"}, 422)
    try:
        await run_in_threadpool(confirm_visit, console, programme, elder,
                                body.date.isoformat(), body.activity, body.rating,
                                f"family:{elder}")
    except InputError as exc:
        if form:
            reason = "；".join(p.text(PHONE_LANGUAGE) for p in exc.problems)
            return _family_page(request, console, token, programme, elder, reason, 409)
        return _refused(exc)
    console.log(f"family:{elder}", "visit confirm", programme,
                f"{body.date} {body.activity} {elder}", None, {"rating": body.rating})
    if form:
        return RedirectResponse(f"/f/{token}?saved=1", 303)
    return JSONResponse({"elder_id": elder, "date": body.date.isoformat(),
                         "activity": body.activity, "rating": body.rating})


class PhoneConfirmation(VisitConfirmation):
    """A confirmation the coordinator took by phone, for an elder."""

    elder_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


@router.post("/api/programmes/{name}/confirmations", tags=["exchange"],
             dependencies=[MAY_PLAN])
def api_confirm_visit(request: Request, console: ConsoleDep, name: str,
                      body: PhoneConfirmation, x_csrf_token: CsrfHeader = None) -> JSONResponse:
    """Record an elder's or family's confirmation of a planned visit or service taken by
    phone: 200, 409 when confirmed already or not planned that day."""
    check_api_token(request, x_csrf_token)
    console.programme_or_404(name)
    try:
        confirm_visit(console, name, body.elder_id, body.date.isoformat(), body.activity,
                      body.rating, actor_of(request))
    except InputError as exc:
        return _refused(exc)
    console.log(request, "visit confirm", name, f"{body.date} {body.activity} {body.elder_id}",
                None, {"rating": body.rating, "by": "phone"})
    return JSONResponse({"elder_id": body.elder_id, "date": body.date.isoformat(),
                         "activity": body.activity, "rating": body.rating})


# --- printed passbooks, confirmation cards, balances, and the alliance ----------------------

@router.get("/v/{token}/passbook", response_class=HTMLResponse, include_in_schema=False)
def phone_passbook(request: Request, console: ConsoleDep, token: str) -> HTMLResponse:
    """The volunteer's whole passbook (printable), from their link."""
    try:
        link = open_link(request, console, token)
    except LinkGone as exc:
        return HTMLResponse(say("phone.gone", PHONE_LANGUAGE), exc.status)
    names = people_names(console.plan_of(link.run_id).world)
    try:
        return HTMLResponse(service.passbook_page(console.store, link.programme,
                                                  link.volunteer_id, PHONE_LANGUAGE, names))
    except NotFound:
        return HTMLResponse(say("phone.passbook_empty", PHONE_LANGUAGE))


@router.get("/p/{name}/timebank/passbook/{member}", include_in_schema=False,
            response_class=HTMLResponse,
            dependencies=[MAY_AUDIT])
def passbook_print(request: Request, console: ConsoleDep, name: str,
                   member: str) -> HTMLResponse:
    """A member's passbook pages to print, for members without a smartphone."""
    console.programme_or_404(name)
    names = programme_names(console, name)
    try:
        return HTMLResponse(service.passbook_page(console.store, name, member,
                                                  language(request), dict(names.volunteer)))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/p/{name}/timebank/balances.xlsx", dependencies=[MAY_AUDIT], include_in_schema=False)
def balances_workbook(request: Request, console: ConsoleDep, name: str) -> Response:
    """Every member's balance as a workbook for the office: name, home programme, earned,
    spent, transferred, donated, expired and balance hours."""
    console.programme_or_404(name)
    content = service.balances_workbook(console.store, name, language(request),
                                        dict(programme_names(console, name).volunteer))
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}-balances.xlsx"})


@router.get("/api/programmes/{name}/family-links", tags=["exchange"], dependencies=[MAY_PLAN])
def api_family_links(console: ConsoleDep, name: str) -> list[dict]:
    """One link per elder of the current plan for the elder or family to confirm services
    with (``/f/...``): ``elder_id``, ``name``, ``url``."""
    console.programme_or_404(name)
    names = programme_names(console, name).elder
    return [{"elder_id": e, "name": names.get(e, ""), "url": u}
            for e, u in service.family_links(console.store, console.links, name).items()]


@router.get("/p/{name}/family-cards", include_in_schema=False,
            response_class=HTMLResponse, dependencies=[MAY_PLAN])
def family_cards(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """A card per elder to print and leave at home: their name and the QR code of their
    family link (printed with the phone address; without one, the path to type)."""
    console.programme_or_404(name)
    lang = language(request)
    base = console.phone_base(request)
    cards = []
    names = programme_names(console, name).elder
    for elder, url in service.family_links(console.store, console.links, name).items():
        cards.append({"elder_id": elder, "name": names.get(elder) or elder,
                      "qr": qr_png(base + url) if base else "",
                      "url": (base or "") + url})
    return console.page(request, "family_cards.html", name=name, cards=cards,
                        title=say("family.cards_title", lang))


@router.get("/alliance", include_in_schema=False,
            response_class=HTMLResponse, dependencies=[MAY_AUDIT_SOMEWHERE])
def alliance_page(request: Request, console: ConsoleDep) -> HTMLResponse:
    """The county's page: each member's balance by programme, the hours spent across
    programmes month by month, and the monthly settlement."""
    seen = programmes_where(request, "audit")
    names: dict[str, str] = {}
    for programme in seen:
        names.update(programme_names(console, programme).volunteer)
    balances = service.alliance_balances(console.store, seen)
    flows, settlement = service.alliance_flows(console.store, seen)
    return console.page(request, "alliance.html", alliance=console.store.alliance,
                        balances=balances, people=names, flows=flows, settlement=settlement,
                        title=say("alliance.title", language(request)))


@router.get("/alliance/settlement.csv", dependencies=[MAY_AUDIT_SOMEWHERE],
            include_in_schema=False)
def alliance_settlement(request: Request, console: ConsoleDep, month: str = "") -> Response:
    """The monthly settlement as CSV (one month with ``?month=YYYY-MM``)."""
    _, settlement = service.alliance_flows(console.store, programmes_where(request, "audit"),
                                           month or None)
    return Response(csv_bytes(settlement), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             "attachment; filename=settlement.csv"})


# --- the coordinator's page --------------------------------------------------------------

#: Requests listed on the coordinator's page (newest first).
REQUESTS_SHOWN = 100


def requests_page_of(request: Request, console: Console, name: str, status: int = 200,
                     notice: str = "", problems: list | None = None) -> HTMLResponse:
    """The programme's requests: a form to post one, and each request with its state and
    the step it waits for."""
    lang = language(request)
    names = programme_names(console, name)
    listed = []
    for r in exchange.requests(console, name)[:REQUESTS_SHOWN]:
        listed.append({**r, "elder": names.show("elder", r["elder_id"]),
                       "what": say(service_words(r["service"]), lang),
                       "state_text": say(f"request.{r['state']}", lang),
                       "offered": "、".join(names.show("volunteer", v) for v in r["offered_to"]),
                       "taker": names.show("volunteer", r["taken_by"]) if r["taken_by"] else "",
                       "payer_text": say("request.pool", lang) if r["paid_by_pool"]
                       else names.show("volunteer", r["payer"])})
    latest = service.latest_run(console.store, name, scheduled=True)
    elders: list[tuple[str, str]] = []
    volunteers: list[tuple[str, str]] = []
    if latest is not None:
        world = console.plan_of(str(latest["id"])).world
        elders = sorted(((str(e), str(n) or str(e)) for e, n in
                         zip(world.elders.elder_id, world.elders.name, strict=True)),
                        key=lambda x: x[1])
        volunteers = sorted(((str(v), str(n) or str(v)) for v, n in
                             zip(world.volunteers.volunteer_id, world.volunteers.name,
                                 strict=True)), key=lambda x: x[1])
    services = [(code, say(service_words(code), lang)) for code in SERVICES]
    return console.page(request, "requests.html", status_code=status, name=name,
                        step="timebank", requests=listed, elders=elders,
                        volunteers=volunteers, services=services, notice=notice,
                        problems=problems or [], today=dt.date.today().isoformat())


@router.get("/p/{name}/requests", include_in_schema=False,
            response_class=HTMLResponse, dependencies=[MAY_READ])
def requests_page(request: Request, console: ConsoleDep, name: str) -> HTMLResponse:
    """The coordinator's requests page."""
    console.programme_or_404(name)
    return requests_page_of(request, console, name)


@router.post("/p/{name}/requests", include_in_schema=False,
             response_class=HTMLResponse, dependencies=[MAY_PLAN])
async def requests_post_form(request: Request, console: ConsoleDep, name: str) -> Response:
    """Post a request from the page's form."""
    form = await programme_form(request, console, name)
    fields: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in (
        "elder_id", "service", "from", "to", "minutes", "member_id")}
    fields["date"] = None
    if not fields["to"]:
        fields["to"] = fields["from"]
    if not fields["minutes"].isdigit() or not 1 <= int(fields["minutes"]) <= \
            exchange.MOST_REQUEST_MINUTES:
        problems = InputError.one("minutes", "exchange.minutes_outside", least=1,
                                  most=exchange.MOST_REQUEST_MINUTES,
                                  minutes=fields["minutes"]).problems
        return requests_page_of(request, console, name, 422, problems=problems)
    try:
        posted = await run_in_threadpool(exchange.post, console, name, fields,
                                         actor_of(request))
    except InputError as exc:
        return requests_page_of(request, console, name, 422, problems=exc.problems)
    console.log(request, "request", name, f"request {posted.request_id}", None,
                {"offered_to": posted.offered_to, "payer": posted.payer})
    return RedirectResponse(f"/p/{quote(name)}/requests?posted={posted.request_id}", 303)


@router.post("/p/{name}/requests/{request_id}/{what}", include_in_schema=False,
             response_class=HTMLResponse,
             dependencies=[MAY_PLAN])
async def requests_step_form(request: Request, console: ConsoleDep, name: str,
                             request_id: RequestId, what: str) -> Response:
    """A coordinator's step from the page: assign, confirm (by phone), approve, cancel."""
    form = await programme_form(request, console, name)
    if what not in ("assign", "confirm", "approve", "cancel"):
        raise HTTPException(404, "no such step")
    rating = str(form.get("rating", ""))
    values: dict[str, Any] = {"volunteer_id": str(form.get("volunteer_id", "")),
                              "rating": int(rating) if rating in {"1", "2", "3", "4", "5"}
                              else None, "note": "by phone" if what == "confirm" else "",
                              "reason": str(form.get("reason", ""))[:200]}
    try:
        state = await run_in_threadpool(exchange.step, console, name, request_id, what,
                                        actor_of(request), **values)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except InputError as exc:
        return requests_page_of(request, console, name, 409, problems=exc.problems)
    console.log(request, f"request {what}", name, f"request {request_id}", None,
                {"state": state.state, "tx": state.tx_id})
    return RedirectResponse(f"/p/{quote(name)}/requests#r-{request_id}", 303)
