"""What happened feeds the next plan: low ratings, banked hours, and who served most lately.

* A pair rated low again and again counts as ``refuses`` at the next plan (the one rule that
  decides eligibility then excludes it everywhere, and a re-plan says why it moved).
* "Today I serve, tomorrow I am served": an elder who banked hours as a volunteer gets a
  priority bonus.
* Fairness: among volunteers equally good for a pair (same priority covered, same cost), the
  one who served fewer hours lately takes it.

Members are linked across the volunteers and elders files by a ``member_id`` column in both,
or by a mapping file with ``member_id, volunteer_id, elder_id``: a volunteer's account is
their ``volunteer_id`` (as in the rota the ledger records).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matching.catalogue import Reason
from matching.ledger.book import MINUTES_PER_HOUR, Ledger
from matching.pairing.result import PairingResult
from matching.rules.errors import InputError, InputIssue
from matching.rules.timebank import TimebankRules
from matching.world.columns import ELDER_ID, VOLUNTEER_ID
from matching.world.model import World
from matching.world.read import read_table


@dataclass(frozen=True)
class Feedback:
    """What the ledger changed in a world.

    Attributes
    ----------
    refused
        ``volunteer_id, elder_id, low_ratings, since``: pairs now counted as ``refuses``.
    bonus
        ``elder_id, account, earned_hours, bonus``: elders whose priority rose.
    recent_hours
        Hours each volunteer served in the last ``fairness_window_days`` days recorded.
    low_rating
        The rating at or below which a rating counts as low.
    """

    refused: pd.DataFrame
    bonus: pd.DataFrame
    recent_hours: dict[str, float] = field(default_factory=dict)
    low_rating: int = TimebankRules.low_rating

    def reasons(self) -> dict[tuple[str, str], Reason]:
        """Why each refused pair is no longer eligible."""
        return {(v, e): Reason("change.rated_low", {"low": self.low_rating, "n": int(n),
                                                    "since": str(since)})
                for v, e, n, since in self.refused.itertuples(index=False)}

    def figures(self) -> dict[str, int]:
        """Counts for a summary."""
        return {"pairs_refused_for_ratings": len(self.refused),
                "elders_with_banked_hours_bonus": len(self.bonus)}


def low_rated_pairs(ledger: Ledger, rules: TimebankRules | None = None) -> pd.DataFrame:
    """Pairs (who did the activity, elder) rated ``low_rating`` or less at least
    ``low_ratings_to_refuse`` times in the last ``rating_window_days`` days recorded
    (``rules`` default to the ledger's)."""
    rules = rules or ledger.rules
    acts = ledger.activities()
    columns = [VOLUNTEER_ID, ELDER_ID, "low_ratings", "since"]
    rated = acts[acts["rating"].notna() & (acts[ELDER_ID] != "")]
    if rated.empty:
        return pd.DataFrame(columns=columns)
    last = acts["date"].max().date()
    since = (last - dt.timedelta(days=int(rules.rating_window_days))).isoformat()
    low = rated[(rated["rating"] <= rules.low_rating) & (rated["date"] >= pd.Timestamp(since))]
    counts = low.groupby(["done_by", ELDER_ID]).size().reset_index(name="low_ratings")
    counts = counts[counts["low_ratings"] >= rules.low_ratings_to_refuse]
    return pd.DataFrame({VOLUNTEER_ID: counts["done_by"], ELDER_ID: counts[ELDER_ID],
                         "low_ratings": counts["low_ratings"], "since": since},
                        columns=columns).reset_index(drop=True)


def recent_hours(ledger: Ledger, rules: TimebankRules | None = None) -> dict[str, float]:
    """Hours each member served in the last ``fairness_window_days`` days recorded: the rota
    rows done or replaced, and the requested services done (and not cancelled)."""
    rules = rules or ledger.rules
    acts = ledger.activities()
    served = acts.loc[acts["status"] != "missed", ["date", "done_by", "minutes"]] \
        if not acts.empty else pd.DataFrame(columns=["date", "done_by", "minutes"])
    asked = pd.DataFrame(ledger.conn.execute(
        "SELECT e.date, e.volunteer_id, e.minutes FROM request_events e WHERE e.kind = 'done' "
        "AND NOT EXISTS (SELECT 1 FROM request_events c WHERE c.request_id = e.request_id "
        "AND c.kind = 'cancelled')").fetchall(), columns=["date", "done_by", "minutes"])
    asked["date"] = pd.to_datetime(asked["date"])
    done = pd.concat([frame for frame in (served, asked) if len(frame)], ignore_index=True) \
        if len(served) or len(asked) else served
    if done.empty:
        return {}
    last = done["date"].max().date()
    since = pd.Timestamp(last - dt.timedelta(days=int(rules.fairness_window_days)))
    recent = done[done["date"] >= since]
    return (recent.groupby("done_by")["minutes"].sum() / MINUTES_PER_HOUR).round(2).to_dict()


def read_members(path: str | Path) -> pd.DataFrame:
    """A members file: ``member_id, volunteer_id, elder_id`` (either id may be blank),
    linking an elder to the account they banked hours in as a volunteer.

    Raises
    ------
    InputError
        For a missing ``member_id`` column, a row without an id, or an elder or volunteer
        linked to two members; every problem at once, with its row.
    """
    table = read_table(path)
    name = Path(path).name
    if "member_id" not in table.columns:
        raise InputError.one(name, "input.column_missing", name="member_id")
    for column in (VOLUNTEER_ID, ELDER_ID):
        if column not in table.columns:
            table[column] = ""
    problems = []
    for column in (VOLUNTEER_ID, ELDER_ID):
        first: dict[str, tuple[int, str]] = {}
        for row, who, member in zip(table.index, table[column], table["member_id"],
                                    strict=True):
            if who and who in first and first[who][1] != member:
                problems.append(InputIssue(name, "input.member_twice", int(row), column, who,
                                           first=first[who][1], row_first=first[who][0],
                                           member=member))
            first.setdefault(who, (int(row), member))
    for row, member, vol, eld in table[["member_id", VOLUNTEER_ID, ELDER_ID]].itertuples():
        if not member:
            problems.append(InputIssue(name, "input.empty", int(row), "member_id"))
        elif not vol and not eld:
            problems.append(InputIssue(name, "input.member_links_nobody", int(row), "member_id",
                                       member))
    if problems:
        raise InputError(problems)
    return table[["member_id", VOLUNTEER_ID, ELDER_ID]]


def member_accounts(members: pd.DataFrame) -> dict[str, str]:
    """Each elder's account from a members table: the ``volunteer_id`` they banked hours
    under (on their row or another row of the same member), else their ``member_id`` (an
    account that has only received transfers)."""
    cells = members.fillna("").astype(str)
    volunteer_of = {m: v for m, v in zip(cells["member_id"], cells[VOLUNTEER_ID],
                                         strict=True) if m and v}
    return {e: v or volunteer_of.get(m) or m
            for m, v, e in zip(cells["member_id"], cells[VOLUNTEER_ID], cells[ELDER_ID],
                               strict=True) if e and m}


def elder_accounts(world: World, members: pd.DataFrame | None = None) -> dict[str, str]:
    """Each elder who is also a member, with their account: linked by a ``member_id``
    column in both the volunteers and elders files, or by a members table (which wins)."""
    out: dict[str, str] = {}
    vols, elds = world.volunteers, world.elders
    if vols.has("member_id") and elds.has("member_id"):
        by_member = {m: v for m, v in zip(vols.column("member_id"), vols.volunteer_id,
                                          strict=True) if m}
        out.update({e: by_member[m] for e, m in zip(elds.elder_id, elds.column("member_id"),
                                                    strict=True) if m in by_member})
    if members is not None and len(members):
        out.update(member_accounts(members))
    return out


def banked_bonus(ledger: Ledger, world: World, members: pd.DataFrame | None = None,
                 rules: TimebankRules | None = None) -> pd.DataFrame:
    """The priority bonus of each elder who banked hours as a volunteer: +1 per
    ``bonus_hours`` hours earned, at most ``bonus_max``."""
    rules = rules or ledger.rules
    earned = ledger.balances().set_index("member_id")["earned_hours"].to_dict()
    rows = []
    for elder, account in sorted(elder_accounts(world, members).items()):
        hours = float(earned.get(account, 0.0))
        bonus = min(int(rules.bonus_max), math.floor(hours / rules.bonus_hours))
        if bonus > 0:
            rows.append({ELDER_ID: elder, "account": account, "earned_hours": hours,
                         "bonus": bonus})
    return pd.DataFrame(rows, columns=[ELDER_ID, "account", "earned_hours", "bonus"])


def apply_feedback(world: World, ledger: Ledger, members: pd.DataFrame | None = None,
                   rules: TimebankRules | None = None) -> tuple[World, Feedback]:
    """The world the next plan is made for: low-rated pairs refuse, banked hours raise
    priority.

    Parameters
    ----------
    world
        The world as read.
    ledger
        The time bank's ledger: what was done, rated and banked.
    members
        A members table (:func:`read_members`) linking elders to the accounts they banked
        hours in; else ``member_id`` columns in the volunteers and elders files.
    rules
        The rules to apply (default: the ledger's own; a scenario may change some).
    """
    rules = rules or ledger.rules
    known_v, known_e = set(world.volunteers.volunteer_id), set(world.elders.elder_id)
    refused = low_rated_pairs(ledger, rules)
    refused = refused[refused[VOLUNTEER_ID].isin(known_v) & refused[ELDER_ID].isin(known_e)]
    relations = world.relations
    if len(refused):
        relations = relations.plus(refused[VOLUNTEER_ID].to_numpy(object),
                                   refused[ELDER_ID].to_numpy(object), "refuses")
    bonus = banked_bonus(ledger, world, members, rules)
    elders = world.elders
    sources = dict(world.sources)
    if len(bonus):
        add = dict(zip(bonus[ELDER_ID], bonus["bonus"], strict=True))
        elders = elders.with_columns(priority=elders.priority + np.array(
            [add.get(e, 0) for e in elders.elder_id], dtype=np.int64))
        if "elders" in sources:  # the inputs kept with the plan say the priority it used
            table = sources["elders"].copy()
            if "priority" not in table.columns:
                table["priority"] = ""
            raised = table[ELDER_ID].isin(set(bonus[ELDER_ID])).to_numpy()
            table.loc[raised, "priority"] = elders.priority[raised].astype(str)
            sources["elders"] = table
    if len(refused):
        sources["relations"] = relations.frame()
    changed = dataclasses.replace(world, relations=relations, elders=elders, sources=sources)
    return changed, Feedback(refused.reset_index(drop=True), bonus, recent_hours(ledger, rules),
                             int(rules.low_rating))


def even_out(result: PairingResult, recent: dict[str, float]) -> PairingResult:
    """Among volunteers equally good for a pair, the one who served fewer hours lately.

    An elder moves from their volunteer to another eligible one only when the pair costs
    exactly the same and the other has room: priority and cost are unchanged, only who
    carries the load.
    """
    p = result.problem
    chosen = result.chosen.copy()
    count = np.bincount(p.arc_v[chosen], minlength=p.num_volunteers)
    load = np.bincount(p.arc_v[chosen], weights=p.arc_load[chosen],
                       minlength=p.num_volunteers).astype(np.int64)
    served = np.array([recent.get(v, 0.0) for v in p.volunteer_ids])
    starts = np.searchsorted(p.arc_e, np.arange(p.num_elders + 1))
    order = sorted(np.flatnonzero(chosen).tolist(),
                   key=lambda k: (-int(p.priority[p.arc_e[k]]), str(p.elder_ids[p.arc_e[k]])))
    moved = 0
    for k in order:
        e, v = int(p.arc_e[k]), int(p.arc_v[k])
        best = None
        for j in range(starts[e], starts[e + 1]):
            u = int(p.arc_v[j])
            if u == v or p.arc_cost[j] != p.arc_cost[k] or served[u] >= served[v]:
                continue
            if count[u] < p.cap_count[u] and load[u] + p.arc_load[j] <= p.cap_load[u] and \
                    (best is None or (served[u], str(p.volunteer_ids[u])) <
                     (served[int(p.arc_v[best])], str(p.volunteer_ids[int(p.arc_v[best])]))):
                best = j
        if best is not None:
            u = int(p.arc_v[best])
            chosen[k], chosen[best] = False, True
            count[v] -= 1
            count[u] += 1
            load[v] -= p.arc_load[k]
            load[u] += p.arc_load[best]
            moved += 1
    if not moved:
        return result
    return dataclasses.replace(result, chosen=chosen,
                               stats={**result.stats, "moved_for_fairness": moved})
