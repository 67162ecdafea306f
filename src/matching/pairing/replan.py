"""Re-planning in one batch: volunteers leave, elders join or leave, capacities change.

The plan changes as little as it must:

1. Every elder whose primary stays, and whose pair is still eligible, keeps that primary. A
   staying volunteer whose capacity has fallen below their load keeps the largest set of their
   elders that fits (fewest moved; then the highest priority kept; then the nearest).
2. Everyone else (orphans of leaving volunteers, elders moved off a shrunk volunteer, pairs
   no longer eligible, new elders, elders who had no volunteer) is paired by the contract's
   objective over the capacity that is left, where a volunteer who already knows the elder
   counts as familiar: kin, familiar, or anyone who visited them (``--history``).

Step 2 is the ordinary exact solve (:func:`matching.solve`) on the residual problem, so it is
optimal, and no unassigned elder has an eligible volunteer with room to spare.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from matching.catalogue import Reason
from matching.rules.errors import InputError, InputIssue
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

if TYPE_CHECKING:
    from matching.runtime.cluster import Cluster
from matching.pairing.options import SolveOptions
from matching.pairing.problem import PairingProblem, build_problem
from matching.pairing.reasons import unassigned_reasons
from matching.pairing.result import PairingResult, assignment_table, unassigned_table
from matching.pairing.solver import solve
from matching.runtime.budget import NEVER, Stop
from matching.world.model import World, without_volunteers
from matching.world.read import PathLike, read_table


@dataclass
class ReplanResult:
    """The new plan and what changed.

    Attributes
    ----------
    assignments, unassigned
        As from ``matching pair`` (``assignments`` adds ``kept``: whether the pair is old).
    changes
        ``elder_id, old_volunteer_id, new_volunteer_id, reason`` for exactly the elders whose
        primary changed, or who lost or gained a volunteer.
    figures
        ``kept``, ``moved``, ``newly_covered``, ``still_uncovered``, ``left`` and the residual
        solve's figures.
    """

    assignments: pd.DataFrame
    unassigned: pd.DataFrame
    changes: pd.DataFrame
    figures: dict[str, object]
    residual: PairingResult = field(repr=False)

    def summary(self) -> str:
        """A fixed-width summary for the terminal."""
        f = self.figures
        lines = ["Re-plan", "-------"]
        for key, label in (("kept", "kept their primary"), ("moved", "moved to another"),
                           ("newly_covered", "newly covered"),
                           ("still_uncovered", "still uncovered"),
                           ("lost", "lost their volunteer"),
                           ("elders_left", "elders who left"),
                           ("volunteers_left", "volunteers who left")):
            lines.append(f"  {label:<22}{f[key]:>8,}")
        lines.append(f"  {'orphans re-paired':<22}{f['orphans_repaired']:>8,} "
                     f"({f['orphans_to_known']:,} to someone who knew them)")
        lines.append(f"  {'status':<22}{f['status']} by {f['method']}")
        return "\n".join(lines)


def read_leaving(path: PathLike, volunteer_ids: set[str]) -> set[str]:
    """Volunteer ids from a file with a ``volunteer_id`` column; unknown ids are an error."""
    table = read_table(path)
    name = str(path).rsplit("/", 1)[-1]
    if VOLUNTEER_ID not in table.columns:
        raise InputError.one(name, "input.column_missing", name=VOLUNTEER_ID)
    problems = [InputIssue(name, "input.no_such_volunteer", int(row), VOLUNTEER_ID, v)
                for row, v in table[VOLUNTEER_ID].items() if v and v not in volunteer_ids]
    if problems:
        raise InputError(problems)
    return {v for v in table[VOLUNTEER_ID] if v}


def read_previous(path: PathLike) -> dict[str, str]:
    """``elder_id -> volunteer_id`` from an earlier ``assignments.csv``."""
    table = read_table(path)
    name = str(path).rsplit("/", 1)[-1]
    missing = [c for c in (ELDER_ID, VOLUNTEER_ID) if c not in table.columns]
    if missing:
        raise InputError([InputIssue(name, "input.column_missing", name=c) for c in missing])
    out: dict[str, str] = {}
    problems = []
    for row, e, v in zip(table.index, table[ELDER_ID], table[VOLUNTEER_ID], strict=True):
        if not v:
            continue
        if e in out:
            problems.append(InputIssue(name, "input.elder_twice", int(row), ELDER_ID, e))
        out[e] = v
    if problems:
        raise InputError(problems)
    return out


def history_acquaintances(path: PathLike) -> pd.DataFrame:
    """``volunteer_id, elder_id, relation=familiar`` for everyone who visited an elder in an
    earlier ``schedule.csv``."""
    table = read_table(path)
    name = str(path).rsplit("/", 1)[-1]
    missing = [c for c in ("activity", VOLUNTEER_ID, ELDER_ID) if c not in table.columns]
    if missing:
        raise InputError([InputIssue(name, "input.column_missing", name=c) for c in missing])
    visits = table[(table["activity"].str.lower().isin(["visit", "birthday", "service"]))
                   & (table[ELDER_ID] != "")]
    pairs = visits[[VOLUNTEER_ID, ELDER_ID]].drop_duplicates()
    return pairs.assign(relation="familiar").reset_index(drop=True)


def replan(world: World, previous: dict[str, str], leaving: set[str],
           history: pd.DataFrame | None = None, options: SolveOptions | None = None,
           stop: Stop = NEVER, *, reasons: dict[tuple[str, str], Reason] | None = None,
           cluster: Cluster | None = None) -> ReplanResult:
    """Re-plan in one batch.

    Parameters
    ----------
    world
        The current inputs (leaving volunteers may still be in it; they are removed).
    previous
        ``elder_id -> volunteer_id`` of the earlier plan.
    leaving
        Ids of volunteers who leave.
    history
        Pairs who know each other from an earlier schedule (familiar).
    reasons
        ``(volunteer_id, elder_id) -> why`` of pairs no longer eligible for a known reason
        (rated low in the time bank's ledger, say), for changes.csv.
    options
        How hard to search the re-pairing (:class:`~matching.pairing.options.SolveOptions`).
    stop
        A request to end the search early.
    cluster
        Where the re-pairing's parts are solved, if not here.
    """
    current = without_volunteers(world, leaving)
    if history is not None and len(history):
        known_v = set(current.volunteers.volunteer_id)
        known_e = set(world.elders.elder_id)
        extra = history[history[VOLUNTEER_ID].isin(known_v)
                        & history[ELDER_ID].isin(known_e)]
        rels = current.relations.plus(extra[VOLUNTEER_ID].to_numpy(object),
                                      extra[ELDER_ID].to_numpy(object),
                                      extra["relation"].to_numpy(object))
        current = dataclasses.replace(current, relations=rels)
    problem = build_problem(current)
    vindex = {v: i for i, v in enumerate(problem.volunteer_ids)}
    eindex = {e: i for i, e in enumerate(problem.elder_ids)}

    # 1. who keeps their primary
    # pairs are sorted by (elder, volunteer): a pair's index is found by binary search
    arc_key = problem.arc_e.astype(np.int64) * problem.num_volunteers + problem.arc_v

    def arc_of(v: int, e: int) -> int | None:
        key = e * problem.num_volunteers + v
        k = int(np.searchsorted(arc_key, key))
        return k if k < len(arc_key) and arc_key[k] == key else None

    by_volunteer: dict[int, list[int]] = {}
    why_moved: dict[str, Reason] = {}
    for e_id, v_id in previous.items():
        if e_id not in eindex:
            continue
        if v_id not in vindex:
            why_moved[e_id] = Reason("change.volunteer_left" if v_id in leaving
                                     else "change.volunteer_gone", {"volunteer": v_id})
            continue
        k = arc_of(vindex[v_id], eindex[e_id])
        if k is None:
            why = (reasons or {}).get((v_id, e_id))
            why_moved[e_id] = Reason("change.pair_ineligible", {"volunteer": v_id}) \
                if why is None else Reason("change.pair_ineligible_because",
                                           {"volunteer": v_id, "why": why.part()})
            continue
        by_volunteer.setdefault(vindex[v_id], []).append(k)
    kept_arcs: list[int] = []
    for v, arcs in sorted(by_volunteer.items()):
        keep = _keep_most(problem, v, arcs)
        kept_arcs += keep
        for k in set(arcs) - set(keep):
            why_moved[str(problem.elder_ids[problem.arc_e[k]])] = Reason(
                "change.capacity_fell", {"volunteer": str(problem.volunteer_ids[v])})
    kept = np.zeros(problem.num_arcs, dtype=bool)
    kept[kept_arcs] = True

    # 2. everyone else over what is left
    residual, arcs_left = _residual(problem, kept)
    result = solve(residual, options, stop, cluster=cluster)
    chosen = kept.copy()
    chosen[arcs_left[result.chosen]] = True
    return _report(problem, chosen, kept, result, previous, leaving, why_moved, world)


def _keep_most(p: PairingProblem, v: int, arcs: list[int]) -> list[int]:
    """The largest subset of a volunteer's old pairs that fits their capacity now
    (fewest moved; ties: highest priority kept, then least cost)."""
    cap_n, cap_l = int(p.cap_count[v]), int(p.cap_load[v])
    loads = p.arc_load[arcs]
    if len(arcs) <= cap_n and int(loads.sum()) <= cap_l:
        return list(arcs)
    order = sorted(arcs, key=lambda k: (-int(p.priority[p.arc_e[k]]), int(p.arc_cost[k])))
    if len(arcs) <= 16:
        for size in range(min(len(arcs), cap_n), -1, -1):
            best = None
            for combo in itertools.combinations(order, size):
                if int(p.arc_load[list(combo)].sum()) <= cap_l:
                    key = (-int(p.priority[p.arc_e[list(combo)]].sum()),
                           int(p.arc_cost[list(combo)].sum()))
                    if best is None or key < best[0]:
                        best = (key, list(combo))
            if best is not None:
                return best[1]
        return []
    out: list[int] = []
    load = 0  # many old pairs (unusual): keep the lightest first
    for k in sorted(order, key=lambda k: int(p.arc_load[k])):
        if len(out) < cap_n and load + int(p.arc_load[k]) <= cap_l:
            out.append(k)
            load += int(p.arc_load[k])
    return out


def _residual(p: PairingProblem, kept: np.ndarray) -> tuple[PairingProblem, np.ndarray]:
    """The problem without the kept elders, on the capacity their volunteers have left, and
    the indices of its pairs among the problem's."""
    done = np.zeros(p.num_elders, dtype=bool)
    done[p.arc_e[kept]] = True
    cap_count = p.cap_count - np.bincount(p.arc_v[kept], minlength=p.num_volunteers)
    cap_load = p.cap_load - np.bincount(p.arc_v[kept], weights=p.arc_load[kept],
                                        minlength=p.num_volunteers).astype(np.int64)
    a = ~done[p.arc_e]
    n = ~done[p.near_e]
    return (np.flatnonzero(a), dataclasses.replace(
        p, cap_count=cap_count, cap_load=cap_load,
        arc_v=p.arc_v[a], arc_e=p.arc_e[a], arc_km=p.arc_km[a], arc_minutes=p.arc_minutes[a],
        arc_kin=p.arc_kin[a], arc_familiar=p.arc_familiar[a], arc_cost=p.arc_cost[a],
        arc_load=p.arc_load[a], near_v=p.near_v[n], near_e=p.near_e[n], near_km=p.near_km[n],
        near_code=p.near_code[n]))[::-1]


def _report(p: PairingProblem, chosen: np.ndarray, kept: np.ndarray, result: PairingResult,
            previous: dict[str, str], leaving: set[str], why_moved: dict[str, Reason],
            world: World) -> ReplanResult:
    assignments = assignment_table(p, chosen, {"kept": kept})
    # against the whole problem and the whole plan: a volunteer full with the elders they
    # kept is full, not one who "takes no elders" (the residual's capacity left is 0)
    reasons = unassigned_reasons(p, chosen)
    unassigned = unassigned_table(p, reasons)
    idx = {e: i for i, e in enumerate(p.elder_ids)}
    new = dict(zip(assignments[ELDER_ID], assignments[VOLUNTEER_ID], strict=True))
    knows = {(v, e) for v, e, r in p.world.relations.triples() if r in ("kin", "familiar")}
    rows: list[tuple[str, str, str, Reason]] = []
    stats = {"kept": 0, "moved": 0, "newly_covered": 0, "still_uncovered": 0, "lost": 0,
             "elders_left": 0, "orphans_repaired": 0, "orphans_to_known": 0}
    for e in [*p.elder_ids.tolist(), *sorted(set(previous) - set(p.elder_ids))]:
        old, now = previous.get(e, ""), new.get(e, "")
        if old and e not in idx:
            stats["elders_left"] += 1
            rows.append((e, old, "", Reason("change.elder_left")))
            continue
        if old == now:
            stats["kept" if old else "still_uncovered"] += 1
            continue
        cause = why_moved.get(e)
        if old and now:
            stats["moved"] += 1
            known = (now, e) in knows
            if old in leaving:
                stats["orphans_repaired"] += 1
                stats["orphans_to_known"] += known
            why = Reason("change.moved_known" if known else "change.moved",
                         {"cause": _part(cause), "volunteer": now})
        elif old:
            stats["lost"] += 1
            why = Reason("change.lost", {"cause": _part(cause),
                                         "why": reasons[idx[e]].part()})
        else:
            stats["newly_covered"] += 1
            why = Reason("change.new_elder", {"volunteer": now}) if e not in previous else \
                Reason("change.covered", {"cause": _part(cause), "volunteer": now})
        rows.append((e, old, now, why))
    changes = pd.DataFrame({
        ELDER_ID: [r[0] for r in rows], "old_volunteer_id": [r[1] for r in rows],
        "new_volunteer_id": [r[2] for r in rows], "reason": [r[3].text("en") for r in rows],
        "reason_code": [r[3].code for r in rows],
        "reason_params": [r[3].params_json() for r in rows],
        "cause_code": [_cause_code(r[3]) for r in rows]})
    figures: dict[str, object] = {**stats, "volunteers_left": len(leaving),
                                  "status": str(result.status), "method": result.method,
                                  "residual": result.figures()}
    return ReplanResult(assignments, unassigned, changes, figures, result)


def _part(cause: Reason | None) -> list[dict[str, object]]:
    """A change's cause as parts of its reason (none for an elder who had no volunteer)."""
    return [cause.part()] if cause is not None else []


def _cause_code(reason: Reason) -> str:
    """What set a change off (``change.volunteer_left``), where something did, so that
    counting these counts the causes; else the change's own code (``change.new_elder``).
    A pair no longer eligible for a known reason counts as that reason
    (``change.rated_low``: rated low in the time bank), not as the bare ineligibility."""
    cause = reason.params.get("cause")
    if not (isinstance(cause, list) and cause):
        return reason.code
    why = cause[0].get("params", {}).get("why")
    return str(why["code"]) if isinstance(why, dict) and "code" in why else str(cause[0]["code"])
