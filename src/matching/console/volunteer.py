"""The volunteer's own page, opened from their personal link (``/v/{token}``) on a phone:
this week and next, each elder with address and phone, and done / missed / someone else in
a tap. No account: the token is the credential (see :mod:`matching.console.links`); a
token that opens nothing gets 404, and a client that guesses is slowed down."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from matching.catalogue import say
from matching.console import exchange, service
from matching.console.bodies import BoundedRoute
from matching.console.context import Console, console_of
from matching.console.guard import client_address
from matching.console.links import COMMENT_CHARS, RATINGS, STATUSES, Link, MarkFinal
from matching.console.refusals import REFUSALS
from matching.rules.errors import InputError
from matching.rules.exchange import service_words
from matching.rules.ids import MAX_ID_LENGTH
from matching.schedule.horizon import monday_of
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

router = APIRouter(route_class=BoundedRoute, tags=["volunteer links"], responses=REFUSALS)


class MarkBody(BaseModel):
    """A mark as a phone sends it (documented for the API's schema; the one check of its
    fields is :func:`matching.console.service.check_mark`)."""

    date: dt.date
    activity: str = Field(max_length=32, description="visit, call, service, group, "
                                                      "festival or birthday")
    elder_id: str = Field(max_length=MAX_ID_LENGTH)
    status: Literal[STATUSES]  # type: ignore[valid-type]  # pydantic reads the tuple
    done_by: str | None = Field(None, max_length=MAX_ID_LENGTH,
                                description="who did it instead (status replaced)")
    minutes: int | None = Field(None, ge=0, le=24 * 60)
    rating: int | None = Field(None, ge=RATINGS[0], le=RATINGS[1])
    comment: str | None = Field(None, max_length=COMMENT_CHARS)


#: The marks route's body, as the schema states it (the route parses it itself, off the
#: event loop, and says 422 naming the field).
MARK_SCHEMA = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": MarkBody.model_json_schema()}}}}
ConsoleDep = Annotated[Console, Depends(console_of)]

#: The phone page is in Chinese: the volunteers read it.
PHONE_LANGUAGE = "zh"

#: Weeks the page shows: this one and the next.
WEEKS_SHOWN = 2

#: Lines of the passbook the phone page shows (the passbook page has them all).
PASSBOOK_ROWS_ON_PHONE = 8

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class LinkGone(Exception):
    """A token that opens nothing (or a client made to wait)."""

    def __init__(self, status: int) -> None:
        self.status = status


def open_link(request: Request, console: Console, token: str) -> Link:
    """The link a token opens, counted against the client's limits.

    Raises
    ------
    LinkGone
        404 for an unknown, tampered, revoked or expired token; 429 for a client that got
        too many tokens wrong, or a link used too often.
    """
    client = client_address(request.scope)
    if console.link_limit.guessing(client):
        raise LinkGone(429)
    link = console.links.find(token)
    current = service.latest_run(console.store, link.programme, scheduled=True) \
        if link else None
    if link is None or current is None:
        console.link_limit.missed(client)
        raise LinkGone(404)
    if not console.link_limit.allow(f"{link.programme}/{link.volunteer_id}"):
        raise LinkGone(429)
    # the link shows the programme's current plan, until some days after its horizon
    if dt.date.today() > service.link_expiry(console.store, str(current["id"]),
                                             console.settings.link_days):
        raise LinkGone(404)
    return dataclasses.replace(link, run_id=str(current["id"]))


def _own(console: Console, link: Link) -> pd.DataFrame:
    own = console.activities_of(link.run_id).get(link.volunteer_id)
    return own if own is not None else console.schedule_of(link.run_id).iloc[0:0]


def _helpers(console: Console, link: Link) -> list[tuple[str, str]]:
    """Who may have done it instead: the plan's other volunteers of the same community
    (all of them where the volunteer has none), by name: the one list the page offers and
    a mark is checked against."""
    return _helpers_in(console, link.run_id, link.volunteer_id)


@functools.lru_cache(maxsize=4096)
def _helpers_in(console: Console, run_id: str, volunteer_id: str) -> list[tuple[str, str]]:
    vols = console.plan_of(run_id).world.volunteers.frame()
    mine = vols[vols[VOLUNTEER_ID] == volunteer_id]
    community = str(mine["community"].iloc[0]) if len(mine) else ""
    near = vols[(vols["community"] == community) & (vols[VOLUNTEER_ID] != volunteer_id)]
    pool = near if len(near) and community else vols[vols[VOLUNTEER_ID] != volunteer_id]
    return sorted(((str(v), str(n) or str(v)) for v, n in
                   zip(pool[VOLUNTEER_ID], pool["name"], strict=True)), key=lambda x: x[1])


def _marks_by_key(console: Console, link: Link) -> dict[tuple[str, str, str], dict]:
    return {(str(m["date"]), str(m["activity"]), str(m[ELDER_ID])): m for m in
            console.links.marks(programme=link.programme, volunteer_id=link.volunteer_id)}


def _weeks(own: pd.DataFrame, today: dt.date) -> list[dt.date]:
    """This week and the next, kept inside the schedule's weeks."""
    if own.empty:
        return [monday_of(today) + dt.timedelta(weeks=k) for k in range(WEEKS_SHOWN)]
    first = monday_of(dt.date.fromisoformat(own["date"].min()))
    last = monday_of(dt.date.fromisoformat(own["date"].max()))
    monday = min(max(monday_of(today), first), max(first, last - dt.timedelta(
        weeks=WEEKS_SHOWN - 1)))
    return [monday + dt.timedelta(weeks=k) for k in range(WEEKS_SHOWN)]


def _banked(console: Console, link: Link) -> float:
    balances = service.balances(console.store, link.programme)
    if balances.empty:
        return 0.0
    mine = balances[balances["member_id"] == link.volunteer_id]
    return float(mine["balance_hours"].iloc[0]) if len(mine) else 0.0


def _page(request: Request, console: Console, token: str, link: Link, status: int = 200,
          notice: str = "", bad: str = "") -> HTMLResponse:
    lang = PHONE_LANGUAGE
    run = console.plan_of(link.run_id)
    elders = run.world.elders.frame().set_index(ELDER_ID)
    vols = run.world.volunteers.frame().set_index(VOLUNTEER_ID)
    own = _own(console, link)
    marks = _marks_by_key(console, link)
    helpers = _helpers(console, link)
    names = dict(helpers)
    weeks = []
    today = dt.date.today().isoformat()
    for monday in _weeks(own, dt.date.today()):
        end = monday + dt.timedelta(days=7)
        rows = own[(own["date"] >= monday.isoformat()) & (own["date"] < end.isoformat())]
        items: list[dict[str, Any]] = []
        calls: dict[str, dict[str, Any]] = {}
        for r in rows.to_dict("records"):
            elder = elders.loc[r[ELDER_ID]] if r[ELDER_ID] in elders.index else None
            if r["activity"] == "call":
                c = calls.setdefault(r[ELDER_ID], {"n": 0, "done": 0, "name": (
                    str(elder["name"]) if elder is not None else r[ELDER_ID]),
                    "phone": str(elder["phone"]) if elder is not None and "phone" in
                    elders.columns else ""})
                c["n"] += 1
                c["due"] = c.get("due", 0) + (r["date"] <= today)
                mark = marks.get((r["date"], "call", r[ELDER_ID]))
                c["done"] += bool(mark and mark["status"] == "done")
                if mark and mark["state"] == "rejected":
                    c.setdefault("rejected", []).append(
                        f"{mark['rejected_reason']}（{r['date'][5:]}）")
                continue
            mark = marks.get((r["date"], r["activity"], r[ELDER_ID]))
            items.append(_item(r, elder, mark, names, today))
        this = monday_of(dt.date.today())
        label = {this: "phone.this_week", this + dt.timedelta(weeks=1): "phone.next_week"}
        weeks.append({"monday": monday, "items": items, "label": label.get(monday, ""),
                      "calls": [{ELDER_ID: e, **c} for e, c in calls.items()]})
    # marks sent back, from any week: first, to be put right
    sent_back = []
    for r in own.to_dict("records"):
        mark = marks.get((r["date"], r["activity"], r[ELDER_ID]))
        if mark and mark["state"] == "rejected":
            elder = elders.loc[r[ELDER_ID]] if r[ELDER_ID] in elders.index else None
            sent_back.append(_item(r, elder, mark, names, today))
    pending = sum(1 for m in marks.values() if m["state"] == "pending")
    requests = _requests(console, link, elders)
    name = str(vols.loc[link.volunteer_id, "name"]) if link.volunteer_id in vols.index \
        else link.volunteer_id
    return console.templates.TemplateResponse(request, "phone.html", {
        "s": lambda code, **p: say(code, lang, **p), "token": token, "name": name,
        "weeks": weeks, "sent_back": sent_back, "helpers": helpers,
        "hours": f"{_banked(console, link):.1f}", "requests": requests,
        "passbook": passbook_rows(console, link.programme, link.volunteer_id,
                                  PASSBOOK_ROWS_ON_PHONE, people_names(run.world)),
        "pending": pending, "notice": notice, "bad": bad, "gone": False},
        status_code=status)


def _requests(console: Console, link: Link, elders: pd.DataFrame) -> list[dict[str, Any]]:
    """The requests this volunteer's page shows: offered to them, or taken and not yet
    banked, each with whom, where, when and what to tap."""
    lang = PHONE_LANGUAGE
    out = []
    for state in exchange.offered_to(console, link.programme, link.volunteer_id):
        elder = elders.loc[state.elder_id] if state.elder_id in elders.index else None
        first = dt.date.fromisoformat(state.first_date)
        last = dt.date.fromisoformat(state.last_date)
        when = say("phone.day", lang, month=first.month, day=first.day,
                   weekday=f"day.{_WEEKDAYS[first.weekday()]}")
        if last != first:
            when += " – " + say("phone.day", lang, month=last.month, day=last.day,
                                weekday=f"day.{_WEEKDAYS[last.weekday()]}")
        out.append({"id": state.request_id, "state": state.state, "when": when,
                    "what": say(service_words(state.service), lang),
                    "minutes": state.minutes,
                    "elder_name": str(elder["name"]) if elder is not None else "",
                    "address": str(elder.get("address", "")) if elder is not None else "",
                    "phone": str(elder.get("phone", "")) if elder is not None else ""})
    return out


def passbook_rows(console: Console, programme: str, member: str, count: int,
                  names: dict[str, str]) -> list[dict[str, Any]]:
    """A member's latest ``count`` passbook lines, newest first: the date, what it was (the
    people in it by name), the hours in or out, and the balance after."""
    return service.passbook(console.store, programme, member, names)[-count:][::-1]


def people_names(world: Any) -> dict[str, str]:
    """Everyone's name by id (volunteers and elders), for lines that mention them."""
    out = {str(v): str(n) for v, n in zip(world.volunteers.volunteer_id,
                                          world.volunteers.name, strict=True) if str(n)}
    out.update({str(e): str(n) for e, n in zip(world.elders.elder_id, world.elders.name,
                                               strict=True) if str(n)})
    return out


def _item(r: dict, elder: pd.Series | None, mark: dict | None, names: dict[str, str],
          today: str) -> dict[str, object]:
    """One activity as the phone shows it: when, what, whom (address and phone), its mark,
    and whether its day has come."""
    lang = PHONE_LANGUAGE
    day = dt.date.fromisoformat(r["date"])
    return {**r, "key": f"{r['date']}-{r['activity']}-{r[ELDER_ID]}",
            "day": say("phone.day", lang, month=day.month, day=day.day,
                       weekday=f"day.{_WEEKDAYS[day.weekday()]}"),
            "what": say(f"activity.{r['activity']}", lang),
            "elder_name": str(elder["name"]) if elder is not None else "",
            "address": str(elder.get("address", "")) if elder is not None else "",
            "phone": str(elder.get("phone", "")) if elder is not None else "",
            "mark": mark, "marked": _marked_text(mark, names, lang),
            "later": r["date"] > today}


def _marked_text(mark: dict | None, names: dict[str, str], lang: str) -> str:
    if not mark:
        return ""
    if mark["status"] == "replaced":
        who = str(mark["done_by"])
        return say("phone.marked_replaced", lang, who=names.get(who, who))
    return say(f"phone.marked_{mark['status']}", lang)


def _gone(request: Request, console: Console, status: int) -> HTMLResponse:
    return console.templates.TemplateResponse(request, "phone.html", {
        "s": lambda code, **p: say(code, PHONE_LANGUAGE, **p), "gone": True,
        "status": status}, status_code=status)


@router.get("/v/{token}", response_class=HTMLResponse, include_in_schema=False)
def phone_page(request: Request, console: ConsoleDep, token: str,
               saved: str = "", refused: str = "") -> HTMLResponse:
    """The volunteer's page."""
    try:
        link = open_link(request, console, token)
    except LinkGone as exc:
        return _gone(request, console, exc.status)
    notice = say("phone.saved", PHONE_LANGUAGE) if saved else ""
    bad = say("phone.refused", PHONE_LANGUAGE, reason=refused[:300]) if refused else ""
    return _page(request, console, token, link, notice=notice, bad=bad)


@router.get("/v/{token}/activities")
def phone_activities(request: Request, console: ConsoleDep, token: str) -> JSONResponse:
    """The volunteer's activities in the run, each with its mark if any."""
    try:
        link = open_link(request, console, token)
    except LinkGone as exc:
        return JSONResponse({"detail": "no such link"}, exc.status)
    marks = _marks_by_key(console, link)
    out = []
    for r in _own(console, link).to_dict("records"):
        mark = marks.get((r["date"], r["activity"], r[ELDER_ID]))
        out.append({k: r.get(k, "") for k in ("date", "start", "end", "activity", ELDER_ID,
                                              "community", "service", "minutes")}
                   | {"mark": None if mark is None else
                      {k: mark[k] for k in ("id", "status", "done_by", "minutes", "rating",
                                            "comment", "state")}})
    return JSONResponse(out)


def _save(console: Console, link: Link, fields: dict[str, Any]) -> tuple[int, bool]:
    """Check and save one mark (LookupError, InputError or MarkFinal when refused), and
    log it with the link as who did it."""
    helpers = {vid for vid, _ in _helpers(console, link)}
    mark = service.check_mark(fields, _own(console, link), helpers, link.volunteer_id,
                              dt.date.today(), service.bank_rules(console.store,
                                                                  link.programme))
    mark_id, new = console.links.mark(link, **mark)
    console.log(f"link:{link.volunteer_id}", "mark", link.programme,
                f"{mark['date']} {mark['activity']} {mark[ELDER_ID]}", None,
                {**{k: mark[k] for k in ("status", "done_by", "minutes")}, "mark": mark_id})
    return mark_id, new


@router.post("/v/{token}/marks", status_code=201, openapi_extra=MARK_SCHEMA, responses={
    200: {"description": "the same mark again: one mark"}})
async def phone_marks(request: Request, console: ConsoleDep, token: str) -> JSONResponse:
    """Mark one activity (JSON): 201 for a new mark, 200 for the same activity marked
    again (one mark); 404 for an activity that is not the volunteer's, 409 once approved,
    422 for a bad field."""
    try:  # the lookups and the saving run beside the event loop, never on it
        link = await run_in_threadpool(open_link, request, console, token)
    except LinkGone as exc:
        return JSONResponse({"detail": "no such link"}, exc.status)
    try:
        fields = await request.json()
    except ValueError:
        return JSONResponse({"detail": "the body is not JSON"}, 422)
    if not isinstance(fields, dict):
        return JSONResponse({"detail": "the body is not a JSON object"}, 422)
    try:
        mark_id, new = await run_in_threadpool(_save, console, link, fields)
    except LookupError:
        return JSONResponse({"detail": say("input.mark_gone", PHONE_LANGUAGE)}, 404)
    except MarkFinal as exc:
        return JSONResponse({"detail": str(exc)}, 409)
    except InputError as exc:
        return JSONResponse({"problems": [p.as_json() for p in exc.problems]}, 422)
    return JSONResponse({"id": mark_id, "new": new}, 201 if new else 200)


async def _form_of(request: Request, console: Console, token: str
                   ) -> tuple[Link, dict[str, Any]] | HTMLResponse:
    """The link and the posted form of one of the page's forms (or the page saying the
    link is gone)."""
    try:
        link = await run_in_threadpool(open_link, request, console, token)
    except LinkGone as exc:
        return _gone(request, console, exc.status)
    return link, dict(await request.form())


@router.post("/v/{token}/mark", include_in_schema=False)
async def phone_mark_form(request: Request, console: ConsoleDep, token: str) -> Response:
    """The page's form: mark one activity, then back to the page."""
    posted = await _form_of(request, console, token)
    if isinstance(posted, Response):
        return posted
    link, form = posted
    try:
        await run_in_threadpool(_save, console, link, {k: form.get(k, "") for k in (
            "date", "activity", ELDER_ID, "status", "done_by", "minutes", "rating",
            "comment")})
    except LookupError:
        return _page(request, console, token, link, 404,
                     bad=say("input.mark_gone", PHONE_LANGUAGE))
    except MarkFinal:
        return _page(request, console, token, link, 409,
                     bad=say("phone.final", PHONE_LANGUAGE))
    except InputError as exc:
        reason = "；".join(p.text(PHONE_LANGUAGE) for p in exc.problems)
        return _page(request, console, token, link, 422,
                     bad=say("phone.refused", PHONE_LANGUAGE, reason=reason))
    anchor = html.escape(f"{form.get('date', '')}-{form.get('activity', '')}-"
                         f"{form.get(ELDER_ID, '')}", quote=True)
    return RedirectResponse(f"/v/{token}?saved=1#a-{anchor}", 303)


@router.post("/v/{token}/calls", include_in_schema=False)
async def phone_calls_form(request: Request, console: ConsoleDep, token: str) -> Response:
    """The page's form: every call to one elder in one week made."""
    posted = await _form_of(request, console, token)
    if isinstance(posted, Response):
        return posted
    link, form = posted
    try:
        monday = dt.date.fromisoformat(str(form.get("week", "")))
    except ValueError as exc:
        raise HTTPException(422, "no such week") from exc
    own = _own(console, link)
    end = (monday + dt.timedelta(days=7)).isoformat()
    calls = own[(own["activity"] == "call") & (own[ELDER_ID] == str(form.get(ELDER_ID)))
                & (own["date"] >= monday.isoformat()) & (own["date"] < end)]
    today = dt.date.today().isoformat()
    for r in calls[calls["date"] <= today].to_dict("records"):  # calls to come: not yet
        try:
            await run_in_threadpool(_save, console, link, {
                "date": r["date"], "activity": "call", ELDER_ID: r[ELDER_ID],
                "status": "done"})
        except MarkFinal:
            continue
    return RedirectResponse(f"/v/{token}?saved=1", 303)
