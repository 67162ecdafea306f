"""The outcome of a pairing solve, as plain data that explains itself."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from matching.catalogue import Reason
from matching.pairing.problem import PairingProblem
from matching.pairing.reasons import unassigned_reasons
from matching.rules.pairing import COST_UNITS_PER_KM
from matching.world.columns import ELDER_ID, VOLUNTEER_ID


def assignment_table(p: PairingProblem, chosen: np.ndarray,
                     extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The chosen pairs as ``assignments.csv`` rows, in the elders file's order.

    ``extra`` columns (one value per pair of the problem) go before the names.
    """
    k = np.flatnonzero(chosen)
    k = k[np.argsort(p.arc_e[k], kind="stable")]
    vols, elds = p.world.volunteers, p.world.elders
    table = {
        ELDER_ID: p.elder_ids[p.arc_e[k]],
        VOLUNTEER_ID: p.volunteer_ids[p.arc_v[k]],
        "distance_km": np.round(p.arc_km[k], 3),
        "weekly_minutes": np.round(p.arc_minutes[k], 1),
        "tie": p.arc_tie()[k],
        "priority": p.priority[p.arc_e[k]],
        "cost_km": np.round(p.arc_cost[k] / COST_UNITS_PER_KM, 3),
    }
    for name, values in (extra or {}).items():
        table[name] = values[k]
    table["elder_name"] = elds.name[p.arc_e[k]]
    table["volunteer_name"] = vols.name[p.arc_v[k]]
    return pd.DataFrame(table)


def unassigned_table(p: PairingProblem, reasons: dict[int, Reason]) -> pd.DataFrame:
    """``unassigned.csv``: each elder left out with the reason in words (English; the code
    and its figures beside it, to word it in Chinese), priority and name."""
    idx = np.array(sorted(reasons), dtype=np.int64)
    chosen = [reasons[i] for i in idx.tolist()]
    return pd.DataFrame({
        ELDER_ID: p.elder_ids[idx],
        "reason": [r.text("en") for r in chosen],
        "reason_code": [r.code for r in chosen],
        "priority": p.priority[idx],
        "elder_name": p.world.elders.name[idx],
        "reason_params": [r.params_json() for r in chosen],
    })


class Status(enum.StrEnum):
    """How good a plan is known to be."""

    OPTIMAL = "optimal"
    """Proven best under the lexicographic objective."""
    FEASIBLE = "feasible"
    """Obeys every rule, but the time limit stopped the proof; see the bound and gap."""
    INTERRUPTED = "interrupted"
    """Obeys every rule; a stop (Ctrl-C, SIGTERM) ended the search before the proof."""

    @classmethod
    def of(cls, proven: bool, interrupted: bool = False) -> Status:
        """The status of a plan: optimal when proven, else interrupted if a stop ended the
        search, else feasible."""
        if proven:
            return cls.OPTIMAL
        return cls.INTERRUPTED if interrupted else cls.FEASIBLE


@dataclass(frozen=True)
class PairingResult:
    """A pairing plan with its status, objective terms and bounds.

    Attributes
    ----------
    chosen
        For each eligible pair of the problem (``problem.arc_*``), whether it is in the plan.
    priority, priority_bound
        Total priority of the elders covered, and the best upper bound proven for it.
    cost_units, cost_bound_units
        ``sum(distance - kin bonus - familiar bonus)`` in cost units, and a proven lower bound
        on it among plans of the same priority (``None`` if the priority is not proven).
    """

    problem: PairingProblem
    chosen: np.ndarray
    status: Status
    priority: int
    priority_bound: int
    cost_units: int
    cost_bound_units: int | None
    method: str
    stats: dict[str, int] = field(default_factory=dict)
    time_limit_reached: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    seed: int = 0

    @property
    def cost_km(self) -> float:
        """The objective's second term, ``sum(distance_km - 3*kin - 1*familiar)``."""
        return self.cost_units / COST_UNITS_PER_KM

    @property
    def cost_bound_km(self) -> float | None:
        """Lower bound on :attr:`cost_km` among plans of the same priority."""
        if self.cost_bound_units is None:
            return None
        return self.cost_bound_units / COST_UNITS_PER_KM

    @property
    def gap(self) -> float | None:
        """Relative gap of the cost term (0 when optimal, ``None`` if priority is unproven)."""
        if self.status is Status.OPTIMAL:
            return 0.0
        if self.cost_bound_units is None:
            return None
        return abs(self.cost_units - self.cost_bound_units) / max(1, abs(self.cost_units))

    def is_optimal(self) -> bool:
        """Whether the plan is proven best."""
        return self.status is Status.OPTIMAL

    @cached_property
    def reasons(self) -> dict[int, Reason]:
        """Reason for each unassigned elder, by elder index."""
        return unassigned_reasons(self.problem, self.chosen)

    @cached_property
    def assignments(self) -> pd.DataFrame:
        """``elder_id, volunteer_id, distance_km, weekly_minutes, tie`` plus ``priority``,
        ``cost_km`` and names, one row per assigned elder in the elders file's order."""
        return assignment_table(self.problem, self.chosen)

    @cached_property
    def unassigned(self) -> pd.DataFrame:
        """``elder_id, reason`` (in English) plus ``reason_code``, ``reason_params``,
        ``priority`` and name, for every elder left out."""
        return unassigned_table(self.problem, self.reasons)

    def coverage(self) -> pd.DataFrame:
        """Elders and assigned elders by priority tier, highest first."""
        p = self.problem
        covered = np.zeros(p.num_elders, dtype=bool)
        covered[p.arc_e[self.chosen]] = True
        frame = pd.DataFrame({"priority": p.priority, "assigned": covered})
        table = frame.groupby("priority")["assigned"].agg(elders="size", assigned="sum")
        table["share"] = table["assigned"] / table["elders"]
        return table.sort_index(ascending=False)

    def figures(self) -> dict[str, object]:
        """The plan's headline figures, for summaries and ``summary.json``."""
        a = self.assignments
        return {
            "status": str(self.status),
            "time_limit_reached": self.time_limit_reached,
            "method": self.method,
            "elders": self.problem.num_elders,
            "volunteers": self.problem.num_volunteers,
            "candidate_pairs": self.problem.candidate_pairs,
            "assigned": len(a),
            "unassigned": self.problem.num_elders - len(a),
            "priority": self.priority,
            "priority_bound": self.priority_bound,
            "cost_km": round(self.cost_km, 3),
            "cost_bound_km": None if self.cost_bound_km is None else round(self.cost_bound_km, 3),
            "gap": self.gap,
            "distance_km": round(float(a["distance_km"].sum()), 3),
            "mean_distance_km": round(float(a["distance_km"].mean()), 3) if len(a) else 0.0,
            "kin_pairs": int((a["tie"] == "kin").sum()),
            "familiar_pairs": int((a["tie"] == "familiar").sum()),
            "decomposition": self.decomposition(),
            "solver_stats": {k: v for k, v in self.stats.items()
                             if k not in ("parts", "largest_part_pairs")},
            "seed": self.seed,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }

    def decomposition(self) -> dict[str, object]:
        """How the problem was split: into groups of regions that no candidate pair joins
        (:mod:`matching.pairing.regions`), and into independent parts (connected components of the
        usable pairs), so the plan is the global optimum when every part is proven; no
        part's plan carries a bound across a border, since no pair crosses one."""
        return {"regions": int(self.stats.get("regions", 1)),
                "parts": int(self.stats.get("parts", 1)),
                "largest_part_pairs": int(self.stats.get("largest_part_pairs",
                                                         self.problem.candidate_pairs)),
                "independent": True,
                "global_optimum": self.status == Status.OPTIMAL}

    def summary(self) -> str:
        """A fixed-width summary for the terminal."""
        f = self.figures()
        lines = ["Pairing", "-------"]
        cov = self.coverage()
        for prio, row in cov.iterrows():
            lines.append(f"  priority {prio:<3} {int(row['assigned']):>7,} / "
                         f"{int(row['elders']):<7,} assigned ({row['share']:6.1%})")
        lines += [
            f"  {'unassigned':<18}{f['unassigned']:>10,}",
            f"  {'total distance':<18}{f['distance_km']:>10,.2f} km"
            f" (mean {f['mean_distance_km']:.2f} km)",
            f"  {'kin pairs':<18}{f['kin_pairs']:>10,}",
            f"  {'familiar pairs':<18}{f['familiar_pairs']:>10,}",
            f"  {'objective':<18}priority {f['priority']:,} (bound {f['priority_bound']:,}), "
            f"cost {f['cost_km']:,.3f} km",
        ]
        bound = f["cost_bound_km"]
        gap = f["gap"]
        status = f"{f['status']} by {f['method']}"
        if self.status is not Status.OPTIMAL:
            if self.time_limit_reached:
                status += ", stopped at the time limit"
            status += (f", cost bound {bound:,.3f} km, gap {gap:.2%}" if gap is not None
                       else ", priority not proven")
        lines.append(f"  {'status':<18}{status}")
        lines.append(f"  {'seed':<18}{self.seed}")
        lines.append(f"  {'time':<18}{self.seconds.get('total', 0.0):.2f} s solve")
        return "\n".join(lines)
