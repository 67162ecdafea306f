"""The console's side of the exchange: a request posted by the coordinator or through the API
is ranked on the programme's current plan and offered on the best volunteers' phone links;
volunteers accept and mark it there, the elder or family confirms it on their own link, and
the coordinator approves it into the time bank (:mod:`matching.exchange`).

Every function here is one step a person takes; each opens the programme's ledger (the
alliance's, when the console serves one) and returns the request as the API gives it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matching.console import service
from matching.console.context import Console
from matching.console.store import NotFound
from matching.exchange import (
    SERVICES,
    RequestState,
    accept,
    approve,
    assign,
    cancel,
    confirm,
    mark_done,
    payer_of,
    post_request,
    rank_volunteers,
    request_states,
)
from matching.ledger.book import Ledger
from matching.ledger.feedback import apply_feedback
from matching.rules.errors import InputError
from matching.schedule.horizon import monday_of
from matching.world.columns import VOLUNTEER_ID

#: The longest window a request may give (days, first and last included).
MOST_WINDOW_DAYS = 31
#: The longest service a request may ask for (minutes).
MOST_REQUEST_MINUTES = 8 * 60


@dataclass(frozen=True)
class Posted:
    """A request posted: its id, whom it was offered to (best first), and why the others
    were not (a count per rule)."""

    request_id: int
    offered_to: list[str]
    excluded: Mapping[str, int]
    payer: str


def _ledger(console: Console, programme: str, *, create: bool = True) -> Ledger:
    place = service.ledger_place(console.store, programme)
    if not create and not place.exists():
        raise NotFound("nothing is recorded in the time bank yet")
    return place.open(create=create, programme=programme)


def _window(fields: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    try:
        if fields.get("date") is not None:
            first = last = dt.date.fromisoformat(str(fields["date"]))
        else:
            first = dt.date.fromisoformat(str(fields["from"]))
            last = dt.date.fromisoformat(str(fields["to"]))
    except (KeyError, ValueError):
        raise InputError.one("date", "exchange.window", days=MOST_WINDOW_DAYS) from None
    if last < first or (last - first).days >= MOST_WINDOW_DAYS:
        raise InputError.one("to", "exchange.window", days=MOST_WINDOW_DAYS)
    return first, last


def _busy(console: Console, run_id: str, ledger: Ledger, programme: str
          ) -> dict[tuple[str, str], float]:
    """Minutes each volunteer gives each week: the plan's activities and the requests they
    have taken and not cancelled."""
    busy: dict[tuple[str, str], float] = defaultdict(float)
    schedule = console.schedule_of(run_id)
    if len(schedule):
        weeks = [monday_of(dt.date.fromisoformat(d)).isoformat() for d in schedule["date"]]
        for who, week, minutes in zip(schedule[VOLUNTEER_ID], weeks,
                                      schedule["minutes"].astype(float), strict=True):
            busy[(who, week)] += minutes
    for state in request_states(ledger, programme=programme):
        if state.taken_by and state.state not in ("cancelled",):
            day = state.done_date or state.first_date
            busy[(state.taken_by, monday_of(dt.date.fromisoformat(day)).isoformat())] += \
                float(state.done_minutes or state.minutes)
    return busy


def post(console: Console, programme: str, fields: Mapping[str, Any], actor: str) -> Posted:
    """Post a request (``elder_id``, ``service``, ``date`` or ``from`` and ``to``,
    ``minutes``, and ``member_id`` when a member pays), ranked on the programme's current
    plan and offered to the best ``offer_to`` volunteers.

    Raises
    ------
    InputError
        For an unknown elder, service or member, a bad window, a programme with no plan, or
        hours that do not cover it; nothing is posted.
    """
    service_name = str(fields.get("service", ""))
    if service_name not in SERVICES:
        raise InputError.one("service", "exchange.unknown_service", service=service_name,
                             choices=", ".join(SERVICES))
    first, last = _window(fields)
    minutes = int(fields["minutes"])
    run = service.latest_run(console.store, programme, scheduled=True)
    if run is None:
        raise InputError.one("elder_id", "exchange.no_plan")
    plan = console.plan_of(str(run["id"]))
    elder_id = str(fields.get("elder_id", ""))
    with _ledger(console, programme) as ledger:
        world, feedback = apply_feedback(plan.world, ledger)
        row = int(world.elders.rows([elder_id])[0])
        if row < 0:
            raise InputError.one("elder_id", "exchange.unknown_elder", elder=elder_id)
        member = str(fields.get("member_id") or "")
        payer = payer_of(ledger, world, row, member, minutes)
        try:
            present = set(service.roster(console.store, programme, first)
                          .volunteers[VOLUNTEER_ID])
        except service.UploadRefused:
            present = None
        ranking = rank_volunteers(
            world, elder_id, service_name, first, last, minutes,
            service_km=_service_km(console, programme),
            busy=_busy(console, str(run["id"]), ledger, programme),
            recent=feedback.recent_hours if ledger.rules.fairness else {}, present=present)
        offered = ranking.best(int(ledger.rules.offer_to))
        request = post_request(ledger, elder_id=elder_id, service=service_name, first=first,
                               last=last, minutes=minutes, member_id=member, payer=payer,
                               offered=offered, actor=actor)
    return Posted(request, offered, ranking.excluded, payer)


def _service_km(console: Console, programme: str) -> float:
    """How far a professional service may come from: the plan's schedule rules."""
    return float(service.plan_defaults(console.store, programme).schedule_rules().service_km)


def requests(console: Console, programme: str) -> list[dict]:
    """Every request of the programme, newest first, as the API gives them."""
    place = service.ledger_place(console.store, programme)
    if not place.exists():
        return []
    with place.open(create=False, programme=programme) as ledger:
        return [s.as_json() for s in request_states(ledger, programme=programme)]


def one(console: Console, programme: str, request: int) -> RequestState:
    """One request of the programme.

    Raises
    ------
    NotFound
        When the programme has no such request.
    """
    with _ledger(console, programme, create=False) as ledger:
        found = request_states(ledger, programme=programme, ids=[request])
    if not found:
        raise NotFound(f"no request {request}")
    return found[0]


def step(console: Console, programme: str, request: int, what: str, actor: str,
         **values: Any) -> RequestState:
    """One step of a request's life: ``accept`` (by ``volunteer_id``), ``assign``, ``done``
    (``volunteer_id``, ``date``, ``minutes``), ``confirm`` (``rating``, ``note``),
    ``approve`` or ``cancel`` (``reason``).

    Raises
    ------
    NotFound
        When the programme has no such request.
    InputError
        When the step is out of turn or a rule refuses it (nothing changes).
    """
    one(console, programme, request)
    with _ledger(console, programme, create=False) as ledger:
        if what == "accept":
            return accept(ledger, request, values["volunteer_id"])
        if what == "assign":
            return assign(ledger, request, values["volunteer_id"], actor)
        if what == "done":
            return mark_done(ledger, request, values["volunteer_id"], values["date"],
                             values.get("minutes"), dt.date.today())
        if what == "confirm":
            return confirm(ledger, request, actor, values.get("rating"),
                           values.get("note", ""))
        if what == "approve":
            return approve(ledger, request, actor)
        if what == "cancel":
            return cancel(ledger, request, actor, values.get("reason", ""))
    raise ValueError(what)


def offered_to(console: Console, programme: str, volunteer_id: str) -> list[RequestState]:
    """The requests a volunteer's phone shows: offered to them and not taken, or taken by
    them and not yet banked."""
    place = service.ledger_place(console.store, programme)
    if not place.exists():
        return []
    with place.open(create=False, programme=programme) as ledger:
        states = request_states(ledger, programme=programme)
    return [s for s in states
            if (s.state == "offered" and volunteer_id in s.offered_to)
            or (s.taken_by == volunteer_id and s.state in ("taken", "done", "confirmed"))]


def of_elder(console: Console, programme: str, elder_id: str) -> list[RequestState]:
    """The requests for an elder, newest first (the family's page)."""
    place = service.ledger_place(console.store, programme)
    if not place.exists():
        return []
    with place.open(create=False, programme=programme) as ledger:
        return [s for s in request_states(ledger, programme=programme)
                if s.elder_id == elder_id]
