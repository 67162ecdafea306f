"""Requested services in the ledger: posted, offered, accepted, done, confirmed, approved.

A request is a row that never changes; everything that happens to it is a new event
(``request_events``), with who did it and when, so a request's state is read from its
events and nothing is edited away. Each step is one ledger transaction under its write
lock (``BEGIN IMMEDIATE``): of two volunteers accepting at once exactly one takes the
request, and of two requests posted at once against the same hours at most what the
balance holds is promised.

Who pays: the member who asks (``member_id``: a volunteer now in need, an elder who holds
hours, a relative holding hours given them), or, when the coordinator asks for an elder,
the elder's own account if they hold hours; an elder who holds none, and every elder of
``free_from_age`` or more, is served from the programme's pool. Hours promised to an open
request are held: a second request cannot spend them.

On approval the server is credited for the minutes served (the time bank's caps apply)
and the payer debited in the same balanced transaction; what the payer no longer holds the
pool gives (care is never refused for want of credits).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from matching.ledger.book import MINUTES_PER_HOUR, POOL, Ledger, hours
from matching.ledger.seal import seal
from matching.rules.errors import InputError

#: The states a request passes through, in order (or ``cancelled`` at any point before
#: approval).
STATES = ("open", "offered", "taken", "done", "confirmed", "approved", "cancelled")

#: What each event makes of the state.
_NEXT = {"offered": "offered", "accepted": "taken", "assigned": "taken", "done": "done",
         "confirmed": "confirmed", "approved": "approved", "cancelled": "cancelled"}

#: The memo of a request's ledger transaction points back at it.
SOURCE_PREFIX = "request/"


@dataclass(frozen=True)
class RequestState:
    """A request as its events leave it."""

    request_id: int
    programme: str
    posted_at: str
    actor: str
    member_id: str
    payer: str
    elder_id: str
    service: str
    first_date: str
    last_date: str
    minutes: int
    state: str = "open"
    offered_to: tuple[str, ...] = ()
    taken_by: str = ""
    done_date: str = ""
    done_minutes: int | None = None
    rating: int | None = None
    confirmed_by: str = ""
    tx_id: int | None = None
    history: tuple[dict, ...] = field(default=(), repr=False)

    def as_json(self) -> dict:
        """The request as the API gives it."""
        out = asdict(self)
        out["id"] = out.pop("request_id")
        out["offered_to"] = list(self.offered_to)
        out["history"] = list(self.history)
        out["paid_by_pool"] = self.payer == POOL
        return out


_REQUEST_COLUMNS = ("request_id, programme, posted_at, actor, member_id, payer, elder_id, "
                    "service, first_date, last_date, minutes")
_EVENT_COLUMNS = ("request_id, at, actor, kind, volunteer_id, rank, date, minutes, rating, "
                  "note, tx_id")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def request_states(ledger: Ledger, *, programme: str | None = None,
                   ids: Sequence[int] | None = None) -> list[RequestState]:
    """Every request (of a programme, or with these ids) as its events leave it, newest
    first."""
    where: list[str] = []
    args: list[object] = []
    if programme is not None:
        where.append("programme = ?")
        args.append(programme)
    if ids is not None:
        where.append(f"request_id IN ({', '.join('?' * len(ids))})")
        args += list(ids)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = ledger.conn.execute(f"SELECT {_REQUEST_COLUMNS} FROM requests{clause} "
                               "ORDER BY request_id DESC", args).fetchall()
    if not rows:
        return []
    found = [r[0] for r in rows]
    events: dict[int, list[tuple]] = {r: [] for r in found}
    for event in ledger.conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM request_events WHERE request_id IN "
            f"({', '.join('?' * len(found))}) ORDER BY event_id", found):
        events[event[0]].append(event)
    return [_state(row, events[row[0]]) for row in rows]


def _state(row: tuple, events: list[tuple]) -> RequestState:
    state = "open"
    offered: list[str] = []
    taken = confirmed_by = done_date = ""
    done_minutes = rating = tx = None
    history = []
    for _, at, actor, kind, volunteer, _rank, date, minutes, rate, note, tx_id in events:
        history.append({"at": at, "actor": actor, "kind": kind, "volunteer_id": volunteer,
                        "note": note})
        if kind == "offered":
            offered.append(volunteer)
        elif kind in ("accepted", "assigned"):
            taken = volunteer
        elif kind == "done":
            done_date, done_minutes = date, minutes
        elif kind == "confirmed":
            rating, confirmed_by = rate, actor
        elif kind == "approved":
            tx = tx_id
        state = _NEXT[kind]
    posted = dict(zip(_REQUEST_COLUMNS.split(", "), row, strict=True))
    return RequestState(**posted, state=state, offered_to=tuple(offered), taken_by=taken,
                        done_date=done_date, done_minutes=done_minutes, rating=rating,
                        confirmed_by=confirmed_by, tx_id=tx, history=tuple(history))


def held_minutes(ledger: Ledger, payer: str) -> int:
    """Minutes a payer has promised to requests not yet approved or cancelled."""
    return int(ledger.conn.execute(
        "SELECT COALESCE(SUM(minutes), 0) FROM requests r WHERE payer = ? AND NOT EXISTS "
        "(SELECT 1 FROM request_events e WHERE e.request_id = r.request_id AND e.kind IN "
        "('approved', 'cancelled'))", (payer,)).fetchone()[0])


def post_request(ledger: Ledger, *, elder_id: str, service: str, first: dt.date,
                 last: dt.date, minutes: int, member_id: str, payer: str,
                 offered: Sequence[str], actor: str) -> int:
    """Post a request and offer it to ``offered`` (best first), in one transaction; its id.

    Raises
    ------
    InputError
        When the payer's hours, less what their open requests hold, do not cover it.
    """
    ledger.conn.execute("BEGIN IMMEDIATE")
    try:
        if payer != POOL:
            have = ledger._balance(payer) - held_minutes(ledger, payer)
            if minutes > have:
                raise InputError.one("member_id", "exchange.not_enough_hours", who=payer,
                                     have=hours(max(have, 0)), hours=hours(minutes))
        at = _now()
        request = int(ledger.conn.execute(
            "INSERT INTO requests (request_id, programme, posted_at, actor, member_id, payer, "
            "elder_id, service, first_date, last_date, minutes) VALUES ((SELECT "
            "COALESCE(MAX(request_id), 0) + 1 FROM requests), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING request_id",
            (ledger.programme, at, actor, member_id, payer, elder_id, service,
             first.isoformat(), last.isoformat(), int(minutes))).fetchone()[0])
        ledger.conn.executemany(
            "INSERT INTO request_events (request_id, at, actor, kind, volunteer_id, rank) "
            "VALUES (?, ?, ?, 'offered', ?, ?)",
            [(request, at, actor, who, rank) for rank, who in enumerate(offered, 1)])
        ledger.conn.execute("COMMIT")
    except BaseException:
        ledger.conn.execute("ROLLBACK")
        raise
    return request


def _one(ledger: Ledger, request: int) -> RequestState:
    found = request_states(ledger, ids=[request])
    if not found:
        raise InputError.one("request", "exchange.no_such_request", request=request)
    return found[0]


def _event(ledger: Ledger, request: int, kind: str, actor: str, **values: object) -> None:
    columns = ["request_id", "at", "actor", "kind", *values]
    ledger.conn.execute(
        f"INSERT INTO request_events ({', '.join(columns)}) VALUES "
        f"({', '.join('?' * len(columns))})", (request, _now(), actor, kind, *values.values()))


def _step(ledger: Ledger, request: int, allowed: tuple[str, ...], kind: str, actor: str,
          check: object = None, **values: object) -> RequestState:
    """Add one event under the write lock when the request is in an ``allowed`` state (and
    ``check(state)`` passes); the request after it."""
    ledger.conn.execute("BEGIN IMMEDIATE")
    try:
        state = _one(ledger, request)
        if state.state not in allowed:
            raise InputError.one("request", f"exchange.state_{state.state}", request=request,
                                 who=state.taken_by, what=kind)
        if callable(check):
            check(state)
        _event(ledger, request, kind, actor, **values)
        ledger.conn.execute("COMMIT")
    except BaseException:
        ledger.conn.execute("ROLLBACK")
        raise
    return _one(ledger, request)


def accept(ledger: Ledger, request: int, volunteer_id: str) -> RequestState:
    """A volunteer it was offered to takes the request: the first to accept has it.

    Raises
    ------
    InputError
        When it was not offered to them, or is taken, done or cancelled already.
    """
    def offered_to_them(state: RequestState) -> None:
        if volunteer_id not in state.offered_to:
            raise InputError.one("request", "exchange.not_offered", request=request,
                                 who=volunteer_id)
    return _step(ledger, request, ("offered",), "accepted", volunteer_id, offered_to_them,
                 volunteer_id=volunteer_id)


def assign(ledger: Ledger, request: int, volunteer_id: str, actor: str) -> RequestState:
    """The coordinator gives the request to a volunteer (before it is done)."""
    return _step(ledger, request, ("open", "offered", "taken"), "assigned", actor,
                 volunteer_id=volunteer_id)


def mark_done(ledger: Ledger, request: int, volunteer_id: str, date: dt.date,
              minutes: int | None, today: dt.date) -> RequestState:
    """The volunteer who took it says it is done, on ``date`` (not after ``today``), taking
    ``minutes`` (the request's when ``None``; within the time bank's rule)."""
    def theirs(state: RequestState) -> None:
        if state.taken_by != volunteer_id:
            raise InputError.one("request", "exchange.not_theirs", request=request,
                                 who=volunteer_id)
        if date > today:
            raise InputError.one("date", "exchange.done_later", request=request,
                                 date=date.isoformat())
        least, most = ledger.rules.minutes_allowed(state.minutes)
        if minutes is not None and not least <= minutes <= most:
            raise InputError.one("minutes", "exchange.minutes_outside", least=least,
                                 most=most, minutes=minutes)
    current = _one(ledger, request)
    return _step(ledger, request, ("taken",), "done", volunteer_id, theirs,
                 volunteer_id=volunteer_id, date=date.isoformat(),
                 minutes=int(current.minutes if minutes is None else minutes))


def confirm(ledger: Ledger, request: int, actor: str, rating: int | None = None,
            note: str = "") -> RequestState:
    """The elder or family confirms the service was given (on their link, or by phone to
    the coordinator: ``note`` says how), with a rating of 1-5 or none."""
    return _step(ledger, request, ("done",), "confirmed", actor, rating=rating, note=note)


def cancel(ledger: Ledger, request: int, actor: str, reason: str) -> RequestState:
    """Withdraw a request before it is approved (its held hours are free again)."""
    return _step(ledger, request, ("open", "offered", "taken", "done", "confirmed"),
                 "cancelled", actor, note=reason)


def approve(ledger: Ledger, request: int, actor: str) -> RequestState:
    """Bank a done request (confirmed too, when the rules want it): the server credited and
    the payer debited in one balanced transaction, dated the day it was done.

    Raises
    ------
    InputError
        When it is not done (or not confirmed and the rules want confirmation), or the
        credit would pass the server's balance or daily cap.
    """
    needs = ("confirmed",) if ledger.rules.confirm_before_banking else ("done", "confirmed")
    ledger.conn.execute("BEGIN IMMEDIATE")
    try:
        state = _one(ledger, request)
        if state.state not in needs:
            code = "exchange.needs_confirmation" if state.state == "done" \
                else f"exchange.state_{state.state}"
            raise InputError.one("request", code, request=request, who=state.taken_by,
                                 what="approved")
        served = int(state.done_minutes or state.minutes)
        credit = ledger.rules.credit_minutes(served)
        server = state.taken_by
        _check_caps(ledger, server, credit, state.done_date)
        pay = 0 if state.payer == POOL else max(0, min(credit, ledger._balance(state.payer)))
        source, memo = f"{SOURCE_PREFIX}{request}", f"{state.service} {state.elder_id}"
        # one balanced entry: the server credited, the payer debited what they hold, the
        # pool the rest (all of it when the pool pays)
        entries: dict[str, int] = defaultdict(int)
        entries[server] += credit
        if pay:
            entries[state.payer] -= pay
        if credit - pay:
            entries[POOL] -= credit - pay
        tx = ledger._transaction(state.done_date, "service", dict(entries), source, memo)
        seal(ledger.conn, f"request {request}", actor, (tx, tx))
        _event(ledger, request, "approved", actor, tx_id=tx, minutes=credit)
        ledger.conn.execute("COMMIT")
    except BaseException:
        ledger.conn.execute("ROLLBACK")
        raise
    return _one(ledger, request)


def _check_caps(ledger: Ledger, who: str, credit: int, date: str) -> None:
    rules = ledger.rules
    cap = rules.balance_cap_hours * MINUTES_PER_HOUR
    if cap and ledger._balance(who) + credit > cap:
        raise InputError.one("request", "input.over_cap", who=who, cap=rules.balance_cap_hours)
    daily = rules.daily_cap_hours * MINUTES_PER_HOUR
    if daily:
        banked = ledger._banked_by_day([date]).get((who, date), 0)
        if banked + credit > daily:
            raise InputError.one("request", "exchange.daily_over_cap", who=who, date=date,
                                 hours=hours(banked + credit), cap=rules.daily_cap_hours)
