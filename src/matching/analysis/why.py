"""Why this volunteer, and who came next: explanations in the objective's own terms.

A pair's terms are its distance, whether they are kin or familiar, and its cost
``distance_km - kin_bonus*[kin] - familiar_bonus*[familiar]`` (the pairing's objective after
priority). Every alternative comes with the reason it was not chosen:

* a rule rules it out (too far, refused, not the preferred gender, no shared day);
* it has room, and is no better by the objective (an optimal plan never has a better one);
* it is full, with whom, and what taking this elder would cost: which of its elders would
  move (and to whom, and how much the total would rise) or be left without a volunteer.

The same reasoning gives suggestions for a new elder and the stability audit: the pairs that
would both rather be together, and why the plan still keeps them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matching.catalogue import Reason, reworded, say
from matching.outputs.folder import Run
from matching.pairing.eligibility import ELIGIBLE, GENDER, REFUSES, TOO_FAR
from matching.pairing.problem import PairingProblem
from matching.pairing.reasons import unassigned_reasons
from matching.rules.errors import InputError, InputIssue
from matching.rules.pairing import COST_UNITS_PER_KM, LOAD_UNITS_PER_MINUTE
from matching.world import geo
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.distances import STRAIGHT, WALKED
from matching.world.parse import day_codes
from matching.world.read import read_world

#: Cost differences smaller than this (km) are ties.
TIE_KM = 1e-6


class _Plan:
    """The plan as arrays over the problem: who serves whom, and each volunteer's load."""

    def __init__(self, run: Run) -> None:
        p = self.p = run.problem
        self.run = run
        chosen = run.chosen
        self.elder_arc = np.full(p.num_elders, -1, dtype=np.int64)
        self.elder_arc[p.arc_e[chosen]] = np.flatnonzero(chosen)
        self.count = np.bincount(p.arc_v[chosen], minlength=p.num_volunteers)
        self.load = np.bincount(p.arc_v[chosen], weights=p.arc_load[chosen],
                                minlength=p.num_volunteers).astype(np.int64)
        self.arcs_of_v: dict[int, list[int]] = {}
        for k in np.flatnonzero(chosen).tolist():
            self.arcs_of_v.setdefault(int(p.arc_v[k]), []).append(k)
        self.arc_key = p.arc_e.astype(np.int64) * p.num_volunteers + p.arc_v
        self.vid = {v: i for i, v in enumerate(p.volunteer_ids)}
        self.eid = {e: i for i, e in enumerate(p.elder_ids)}

    def arc(self, v: int, e: int) -> int | None:
        key = e * self.p.num_volunteers + v
        k = int(np.searchsorted(self.arc_key, key))
        return k if k < len(self.arc_key) and self.arc_key[k] == key else None

    def cost(self, k: int) -> float:
        return float(self.p.arc_cost[k]) / COST_UNITS_PER_KM

    def has_room(self, v: int, k: int) -> bool:
        """Whether volunteer ``v`` could take pair ``k`` without giving anyone up."""
        p = self.p
        return bool(self.count[v] < p.cap_count[v] and
                    self.load[v] + p.arc_load[k] <= p.cap_load[v])

    def elders_of(self, v: int) -> list[int]:
        return [int(self.p.arc_e[k]) for k in self.arcs_of_v.get(v, [])]

    def best_elsewhere(self, e: int, exclude: int, freed: int = -1,
                       freed_load: int = 0) -> int | None:
        """The cheapest pair of elder ``e`` with a volunteer (not ``exclude``) who has room,
        counting the place volunteer ``freed`` gives up (``freed_load`` load units); ``None``
        if there is none."""
        p = self.p
        lo = int(np.searchsorted(p.arc_e, e))
        hi = int(np.searchsorted(p.arc_e, e + 1))
        best = None
        for k in range(lo, hi):
            v = int(p.arc_v[k])
            if v == exclude:
                continue
            count, load = self.count[v], self.load[v]
            if v == freed:
                count, load = count - 1, load - freed_load
            if count < p.cap_count[v] and load + p.arc_load[k] <= p.cap_load[v] and \
                    (best is None or p.arc_cost[k] < p.arc_cost[best]):
                best = k
        return best

    def swap(self, v: int, k_new: int, e: int) -> tuple[Reason, float | None, int]:
        """What giving volunteer ``v`` to elder ``e`` (pair ``k_new``) would cost when ``v`` is
        full: the elder of ``v`` to move out that costs least, where they would go, and the
        total change. Returns ``(what happens, change in km or None if someone is left out,
        the elder moved out)``."""
        p = self.p
        ids = p.elder_ids
        old = int(self.elder_arc[e])
        freed = int(p.arc_v[old]) if old >= 0 else -1
        freed_load = int(p.arc_load[old]) if old >= 0 else 0
        options: list[tuple[int, int, float, int, int | None, float]] = []
        for k in self.arcs_of_v.get(v, []):
            out = int(p.arc_e[k])
            fits = self.count[v] - 1 < p.cap_count[v] and \
                self.load[v] - p.arc_load[k] + p.arc_load[k_new] <= p.cap_load[v]
            if not fits:
                continue
            alt = self.best_elsewhere(out, exclude=v, freed=freed, freed_load=freed_load)
            gain = (self.cost(k_new) - (self.cost(old) if old >= 0 else 0.0))
            if alt is None:
                options.append((1, -int(p.priority[out]), 0.0, out, None, gain))
            else:
                change = gain + self.cost(alt) - self.cost(k)
                options.append((0, 0, change, out, alt, gain))
        if not options:
            return Reason("swap.no_room"), None, -1
        options.sort(key=lambda o: (o[0], o[1], o[2], ids[o[3]]))
        left_out, _, change, out, alt, _ = options[0]
        return _moved(p, out, alt, change), (None if left_out else change), out


def _terms(p: PairingProblem, v: int, e: int, km: float) -> dict[str, Any]:
    """A pair's terms: its distance (and, unless that is the straight line, the straight
    line beside it), its ties and its cost in the objective."""
    eligibility = p.eligibility
    rules = p.rules
    kin = bool(eligibility.kin(np.array([v]), np.array([e]))[0])
    familiar = bool(eligibility.familiar(np.array([v]), np.array([e]))[0])
    cost = km - rules.kin_bonus_km * kin - rules.familiar_bonus_km * familiar
    terms: dict[str, Any] = {"distance_km": round(km, 3)}
    if p.world.distances.kind != STRAIGHT:
        terms["straight_km"] = round(_straight(p, v, e), 3)
    return {**terms, "kin": kin, "familiar": familiar, "cost_km": round(cost, 3)}


def _straight(p: PairingProblem, v: int, e: int) -> float:
    vols, elds = p.world.volunteers, p.world.elders
    return float(geo.haversine_km(vols.lat[v], vols.lon[v], elds.lat[e], elds.lon[e]))


def _moved(p: PairingProblem, out: int, alt: int | None, change: float) -> Reason:
    """What happens to elder ``out`` made to give up their volunteer: they move to pair
    ``alt`` (the total rising by ``change`` km), or are left without anyone."""
    elder = person(p, "elder", out)
    priority = int(p.priority[out])
    if alt is None:
        return Reason("swap.left_out", {"elder": elder, "priority": priority})
    volunteer = person(p, "volunteer", int(p.arc_v[alt]))
    # worded by its sign: "0.6 km more", "0.2 km less" or "no change", never "-0.00 km"
    shown = round(change, 2)
    code = "swap.moves" if shown > 0 else "swap.moves_less" if shown < 0 else "swap.moves_same"
    return Reason(code, {"elder": elder, "priority": priority, "change": abs(shown),
                         "volunteer": volunteer})


def person(p: PairingProblem, kind: str, i: int) -> str:
    """A person as people know them: their name, and their id beside it (``王秀英 (E00012)``;
    the id alone when the files give no name)."""
    world = p.world
    table = world.volunteers if kind == "volunteer" else world.elders
    ident = str(table.ids[i])
    name = str(table.name[i])
    return f"{name} ({ident})" if name and name != ident else ident


def _rule_reason(p: PairingProblem, code: int, v: int, e: int, km: float) -> Reason:
    """Why a pair is not allowed by the rules."""
    rules = p.rules
    elds = p.world.elders
    vols = p.world.volunteers
    if code == TOO_FAR:
        limits = {"max_km": rules.max_km, "max_kin_km": rules.max_kin_km}
        kind = p.world.distances.kind
        if kind == STRAIGHT:
            return Reason("candidate.too_far", {"km": round(km, 3), **limits})
        return Reason(f"candidate.too_far_{kind}",
                      {"km": round(km, 3), "straight_km": round(_straight(p, v, e), 3),
                       **limits})
    if code == REFUSES:
        return Reason("candidate.refused")
    if code == GENDER:
        return Reason("candidate.gender", {"want": f"gender.{elds.gender_preference[e]}"})
    return Reason("candidate.no_shared_day",
                  {"elder_days": day_codes(int(elds.day_mask[e])),
                   "volunteer_days": day_codes(int(vols.day_mask[v]))})


def _distances_to(p: PairingProblem, e: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance from every volunteer to elder ``e`` as the plan measured it (measured,
    walked or estimated; NaN without coordinates), and the straight line.

    Beyond the plan's candidates (too far in a straight line, so too far on foot as well)
    a walk is asked only of the ``top`` nearest, to show them; the others stay NaN.
    """
    world = p.world
    vols, elds = world.volunteers, world.elders
    straight = geo.haversine_km(vols.lat, vols.lon, elds.lat[e], elds.lon[e])
    km = straight * world.distances.rules.detour_factor
    near = p.near_e == e
    if world.distances.kind == WALKED:
        known = np.zeros(len(km), dtype=bool)
        known[p.near_v[near]] = True
        km = np.full(len(km), np.nan)
        rest = np.flatnonzero(~known & np.isfinite(straight))
        rest = rest[np.argsort(straight[rest], kind="stable")[:top]]
        # read back from a folder, the streets are not at hand: those stay unknown
        if len(rest) and world.distances.graph is not None:
            km[rest] = world.distances.between(
                vols.lat[rest], vols.lon[rest], np.full(len(rest), elds.lat[e]),
                np.full(len(rest), elds.lon[e]), p.rules.max_kin_km)
            km[rest[~np.isfinite(km[rest])]] = np.nan
    km[p.near_v[near]] = p.near_km[near]
    return km, straight


@dataclass(frozen=True)
class Explanation:
    """Why a plan is as it is around one elder or one volunteer.

    Attributes
    ----------
    subject
        Who it is about (``explain.elder``: the elder's name and id, and priority).
    chosen
        The pairs the plan made (one row for an elder, one per elder for a volunteer) with
        their terms and the other side's name.
    alternatives
        The next-best pairs by the objective, with their terms and why they were not chosen
        (``reason`` in English, ``reason_code`` and ``reason_params`` to word it again).
    note
        About the subject (for an unassigned elder, the reason), if anything.
    """

    subject: Reason
    chosen: pd.DataFrame
    alternatives: pd.DataFrame
    note: Reason | None = None

    def text(self, lang: str = "en") -> str:
        """A fixed-width explanation for the terminal."""
        title = self.subject.text(lang)
        lines = [title, "-" * len(title)]
        if self.note is not None:
            lines.append(self.note.text(lang))
        if len(self.chosen):
            lines.append(say("explain.chosen", lang))
            lines += _table_lines(self.chosen, lang)
        if len(self.alternatives):
            lines.append(say("explain.next_best", lang))
            lines += _table_lines(reworded(self.alternatives, lang), lang)
        return "\n".join(lines)


def _table_lines(frame: pd.DataFrame, lang: str) -> list[str]:
    shown = frame.drop(columns=[c for c in ("reason_code", "reason_params")
                                if c in frame.columns])
    for column in ("kin", "familiar"):
        if column in shown.columns:
            shown[column] = shown[column].map({True: say("yes", lang), False: ""})
    return ["  " + line for line in shown.to_string(index=False).splitlines()]


def _with_reason(row: dict[str, object], reason: Reason) -> dict[str, object]:
    """A table row with its reason in English, code and figures."""
    return {**row, "reason": reason.text("en"), "reason_code": reason.code,
            "reason_params": reason.params_json()}


def explain_elder(run: Run, elder_id: str, top: int = 5) -> Explanation:
    """The elder's volunteer and terms, and the ``top`` next-best volunteers by the objective
    (eligible or not), each with the reason it was not chosen."""
    plan = _Plan(run)
    p = plan.p
    if elder_id not in plan.eid:
        raise InputError.one("--elder", "input.no_such_elder_in_plan", elder=elder_id)
    e = plan.eid[elder_id]
    km, _ = _distances_to(p, e, top)
    limit = p.eligibility.pairing_limit(np.arange(p.num_volunteers),
                                        np.full(p.num_volunteers, e), p.rules.max_km,
                                        p.rules.max_kin_km)
    codes = p.eligibility.codes(np.arange(p.num_volunteers), np.full(p.num_volunteers, e),
                                km, limit)
    k_now = int(plan.elder_arc[e])
    v_now = int(p.arc_v[k_now]) if k_now >= 0 else -1
    chosen = pd.DataFrame()
    note = None
    if v_now >= 0:
        chosen = pd.DataFrame([{VOLUNTEER_ID: p.volunteer_ids[v_now],
                                "volunteer_name": _name(p, "volunteer", v_now),
                                **_terms(p, v_now, e, float(p.arc_km[k_now])),
                                "weekly_minutes": round(float(p.arc_minutes[k_now]), 1)}])
    else:
        why = unassigned_reasons(p, run.chosen).get(e)
        note = Reason("explain.no_volunteer", {"why": why.part()}) if why is not None else \
            Reason("explain.no_volunteer_at_all")
    every = np.arange(p.num_volunteers)
    ties = (p.rules.kin_bonus_km * p.eligibility.kin(every, np.full(len(every), e))
            + p.rules.familiar_bonus_km * p.eligibility.familiar(every, np.full(len(every), e)))
    others = np.flatnonzero(np.isfinite(km) & (every != v_now))
    order = others[np.lexsort((p.volunteer_ids[others].astype(str), (km - ties)[others]))]
    out = []
    for v in order[:top].tolist():
        terms = _terms(p, v, e, float(km[v]))
        cost, vid = terms["cost_km"], p.volunteer_ids[v]
        k = plan.arc(v, e)
        if codes[v] != ELIGIBLE or k is None:
            reason = _rule_reason(p, int(codes[v]), v, e, float(km[v]))
        else:
            reason = _why_not(plan, v, k, e, k_now)
        delta = round(cost - float(chosen["cost_km"].iat[0]), 3) if len(chosen) else None
        out.append(_with_reason({VOLUNTEER_ID: vid,
                                 "volunteer_name": _name(p, "volunteer", v), **terms,
                                 "worse_by_km": delta}, reason))
    return Explanation(Reason("explain.elder", {"elder": person(p, "elder", e),
                                                "priority": int(p.priority[e])}),
                       chosen, pd.DataFrame(out), note)


def _name(p: PairingProblem, kind: str, i: int) -> str:
    """A person's name as the files give it ("" if they give none)."""
    table = p.world.volunteers if kind == "volunteer" else p.world.elders
    return str(table.name[i])


def _why_not(plan: _Plan, v: int, k: int, e: int, k_now: int,
             who: str = "candidate.who_none") -> Reason:
    """Why an eligible volunteer ``v`` (pair ``k``) is not elder ``e``'s; ``who`` names the
    volunteer (``candidate.who_this``) when the sentence is not about them already."""
    p = plan.p
    if plan.has_room(v, k):
        if k_now < 0:
            return Reason("candidate.room_not_maximal", {"who": who})
        delta = plan.cost(k) - plan.cost(k_now)
        if delta < -TIE_KM:
            return Reason("candidate.room_better", {"who": who, "delta": round(-delta, 3)})
        return Reason("candidate.room_no_better", {"who": who})
    theirs = [person(p, "elder", x) for x in plan.elders_of(v)]
    swap, _change, _out = plan.swap(v, k, e)
    if plan.count[v] >= p.cap_count[v]:
        return Reason("candidate.full_count", {
            "who": who, "count": int(plan.count[v]), "cap": int(p.cap_count[v]),
            "theirs": theirs, "elder": person(p, "elder", e), "swap": swap.part()})
    return Reason("candidate.full_minutes", {
        "who": who, "used": round(plan.load[v] / LOAD_UNITS_PER_MINUTE),
        "cap": round(p.cap_load[v] / LOAD_UNITS_PER_MINUTE), "theirs": theirs,
        "elder": person(p, "elder", e), "need": round(float(p.arc_minutes[k])),
        "swap": swap.part()})


def explain_volunteer(run: Run, volunteer_id: str, top: int = 5) -> Explanation:
    """The volunteer's elders and terms, and the ``top`` nearest elders they do not serve,
    each with the reason."""
    plan = _Plan(run)
    p = plan.p
    if volunteer_id not in plan.vid:
        raise InputError.one("--volunteer", "input.no_such_volunteer_in_plan",
                             volunteer=volunteer_id)
    v = plan.vid[volunteer_id]
    mine = plan.elders_of(v)
    chosen = pd.DataFrame([{ELDER_ID: p.elder_ids[e], "elder_name": _name(p, "elder", e),
                            "priority": int(p.priority[e]),
                            **_terms(p, v, e, float(p.arc_km[plan.elder_arc[e]])),
                            "weekly_minutes": round(float(p.arc_minutes[plan.elder_arc[e]]),
                                                    1)} for e in mine])
    near = np.flatnonzero(p.near_v == v)
    rows = []
    for n in near.tolist():
        e = int(p.near_e[n])
        if e in mine:
            continue
        terms = _terms(p, v, e, float(p.near_km[n]))
        rows.append((terms["cost_km"], p.elder_ids[e], e, int(p.near_code[n]), terms))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    for _cost, eid, e, code, terms in rows[:top]:
        k = plan.arc(v, e)
        if code != ELIGIBLE or k is None:
            reason = _rule_reason(p, code, v, e, float(terms["distance_km"]))
        else:
            k_now = int(plan.elder_arc[e])
            if k_now < 0:
                reason = Reason("candidate.unassigned_full" if not plan.has_room(v, k)
                                else "candidate.unassigned_room")
            else:
                other = person(p, "volunteer", int(p.arc_v[k_now]))
                delta = plan.cost(k) - plan.cost(k_now)
                if delta >= -TIE_KM:
                    reason = Reason("candidate.with_better", {"other": other,
                                                              "delta": round(delta, 3)})
                else:
                    reason = Reason("candidate.with_other", {
                        "other": other, "why": _why_not(plan, v, k, e, k_now,
                                                        who="candidate.who_this").part()})
        out.append(_with_reason({ELDER_ID: eid, "elder_name": _name(p, "elder", e),
                                 "priority": int(p.priority[e]), **terms}, reason))
    note = Reason("explain.volunteer_load", {
        "count": len(mine), "cap": int(p.cap_count[v]),
        "used": round(plan.load[v] / LOAD_UNITS_PER_MINUTE),
        "weekly": round(p.cap_load[v] / LOAD_UNITS_PER_MINUTE)})
    return Explanation(Reason("explain.volunteer", {"volunteer": person(p, "volunteer", v)}),
                       chosen, pd.DataFrame(out), note)


def suggest(run: Run, elder: dict[str, str] | pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Rank volunteers for a new elder who is not in the plan, without re-solving.

    ``elder`` is one row of elders.csv (a dict of its cells, or a one-row table). Returns the
    ``top`` eligible volunteers, best first: those who can take the elder without moving
    anyone (``fits``), then by the objective's cost; each with its terms and a note.

    Raises
    ------
    InputError
        For a row that is not a valid elder (named as in an elders file), or an id already in
        the plan.
    """
    row = pd.DataFrame([elder]) if isinstance(elder, dict) else elder.reset_index(drop=True)
    if len(row) != 1:
        raise InputError.one("--elder-row", "input.one_elder", rows=len(row))
    sources = run.world.sources
    new_id = str(row[ELDER_ID].iat[0]).strip() if ELDER_ID in row.columns else ""
    if new_id in set(run.world.elders.elder_id):
        raise InputError.one("--elder-row", "input.elder_in_plan", elder=new_id)
    elders = pd.concat([sources["elders"], row.astype(str)], ignore_index=True).fillna("")
    try:
        world = read_world(sources["volunteers"], elders, sources.get("relations"),
                           sources.get("pairs"), rules=run.world.rules,
                           streets=run.world.distances.streets,
                           distance=run.world.distances.rules)
    except InputError as exc:  # only the new row can be wrong: name it, not a row number
        raise InputError([InputIssue("--elder-row", q.code, None, q.column, q.value, **q.params)
                          for q in exc.problems]) from None
    p = Run(world=world, assignments=run.assignments, unassigned=run.unassigned).problem
    plan = _Plan(run)
    e = p.num_elders - 1
    lo, hi = int(np.searchsorted(p.arc_e, e)), int(np.searchsorted(p.arc_e, e + 1))
    out = []
    for k in range(lo, hi):
        v = int(p.arc_v[k])
        terms = _terms(p, v, e, float(p.arc_km[k]))
        fits = bool(plan.count[v] < p.cap_count[v] and
                    plan.load[v] + p.arc_load[k] <= p.cap_load[v])
        note = Reason("suggest.load", {
            "count": int(plan.count[v]), "cap": int(p.cap_count[v]),
            "used": round(float(plan.load[v] / LOAD_UNITS_PER_MINUTE)),
            "weekly": round(float(p.cap_load[v] / LOAD_UNITS_PER_MINUTE))})
        out.append({VOLUNTEER_ID: p.volunteer_ids[v], **terms,
                    "weekly_minutes": round(float(p.arc_minutes[k]), 1), "fits": fits,
                    "note": note.text("en"), "note_code": note.code,
                    "note_params": note.params_json()})
    straight = ["straight_km"] if world.distances.kind != STRAIGHT else []
    table = pd.DataFrame(out, columns=[VOLUNTEER_ID, "distance_km", *straight, "kin",
                                       "familiar", "cost_km", "weekly_minutes", "fits",
                                       "note", "note_code", "note_params"])
    table = table.sort_values(["fits", "cost_km", VOLUNTEER_ID],
                              ascending=[False, True, True], kind="stable")
    return table.head(top).reset_index(drop=True)


def blocking_pairs(run: Run) -> pd.DataFrame:
    """The stability audit: every eligible elder and volunteer not paired who would both be
    better off together, by the objective's terms, than with their partners now.

    The elder would be: they have no volunteer, or this one costs less. The volunteer would
    be: they have room for the elder, or one of their elders costs more and giving that elder
    up makes room. An optimal plan may keep such pairs apart because it optimises the whole;
    ``reason`` says what pairing them would do to the others.
    """
    plan = _Plan(run)
    p = plan.p
    cost = p.arc_cost.astype(float) / COST_UNITS_PER_KM
    now = plan.elder_arc[p.arc_e]
    elder_cost_now = np.where(now >= 0, cost[np.maximum(now, 0)], np.inf)
    candidates = np.flatnonzero(~run.chosen & (cost < elder_cost_now - TIE_KM))
    rows = []
    for k in candidates.tolist():
        v, e = int(p.arc_v[k]), int(p.arc_e[k])
        k_now = int(plan.elder_arc[e])
        if plan.has_room(v, k):
            displaced = ""
            volunteer_gain = None
            reason = Reason("audit.room")
        else:
            worse = [x for x in plan.arcs_of_v.get(v, []) if cost[x] > cost[k] + TIE_KM and
                     plan.load[v] - p.arc_load[x] + p.arc_load[k] <= p.cap_load[v]]
            if not worse:
                continue
            x = max(worse, key=lambda j: (cost[j], p.elder_ids[p.arc_e[j]]))
            displaced = p.elder_ids[p.arc_e[x]]
            volunteer_gain = round(float(cost[x] - cost[k]), 3)
            reason = _consequence(plan, v, k, e, int(p.arc_e[x]))
        rows.append({
            ELDER_ID: p.elder_ids[e], VOLUNTEER_ID: p.volunteer_ids[v],
            "elder_now": p.volunteer_ids[p.arc_v[k_now]] if k_now >= 0 else "",
            "elder_gain_km": round(float(cost[k_now] - cost[k]), 3) if k_now >= 0 else None,
            "volunteer_gives_up": displaced, "volunteer_gain_km": volunteer_gain,
            "reason": reason.text("en"), "reason_code": reason.code,
            "reason_params": reason.params_json()})
    return pd.DataFrame(rows, columns=[ELDER_ID, VOLUNTEER_ID, "elder_now", "elder_gain_km",
                                       "volunteer_gives_up", "volunteer_gain_km", "reason",
                                       "reason_code", "reason_params"])


def _consequence(plan: _Plan, v: int, k: int, e: int, out: int) -> Reason:
    """What happens to elder ``out`` when volunteer ``v`` takes elder ``e`` instead."""
    p = plan.p
    old = int(plan.elder_arc[e])
    alt = plan.best_elsewhere(out, exclude=v, freed=int(p.arc_v[old]) if old >= 0 else -1,
                              freed_load=int(p.arc_load[old]) if old >= 0 else 0)
    if alt is None:
        return _moved(p, out, None, 0.0)
    k_out = int(plan.elder_arc[out])
    change = (plan.cost(k) - (plan.cost(old) if old >= 0 else 0.0)
              + plan.cost(alt) - plan.cost(k_out))
    return _moved(p, out, alt, round(change, 3))
