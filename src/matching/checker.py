"""An independent checker of pairing plans.

It reads the inputs and a plan folder on its own and checks every rule of the contract. It
shares no code with the engine (it imports nothing from the rest of ``matching``): distances
come from geopy, cells are parsed here, and the reference optimum is a plain CP-SAT model over
every eligible pair. The tests run it on every plan the engine produces; ``matching check``
offers it to planners.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from geopy.distance import great_circle

CONTRACT = {
    "max_km": 2.0, "max_kin_km": 10.0, "minutes_per_km": 15.0, "kin_bonus": 3.0,
    "familiar_bonus": 1.0, "max_elders": 3, "weekly_minutes": 300.0, "visit_minutes": 60.0,
}
_EARTH_KM = 6371.0088
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ZH = "一二三四五六日"


def _table(path: Path | str | None) -> pd.DataFrame | None:
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str).fillna("")
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        import io

        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.map(lambda v: str(v).strip())


def _days(text: str) -> set[int]:
    """Day numbers 0-6 from the spellings the contract and README allow."""
    text = text.strip().lower()
    if text in ("", "every day", "everyday", "daily", "all", "每天", "天天", "*"):
        return set(range(7))
    text = text.replace("星期", "周").replace("礼拜", "周").replace("天", "日")
    for word in ("至", "到", "~", " to "):
        text = text.replace(word, "-")
    out: set[int] = set()
    for token in re.split(r"[\s,，、;；/]+", text.replace(" - ", "-")):
        if not token:
            continue
        if token in ("weekdays", "weekday", "工作日"):
            out |= {0, 1, 2, 3, 4}
            continue
        if token in ("weekends", "weekend", "周末"):
            out |= {5, 6}
            continue
        ends = token.split("-")
        nums = []
        for end in ends:
            end = end.removeprefix("周")
            if end[:3] in _DAYS:
                nums.append([_DAYS[end[:3]]])
            elif end.isdigit():
                nums.append([int(end) - 1])
            else:
                nums.append([_ZH.index(ch) for ch in end if ch in _ZH])
        if len(ends) == 2:
            a, b = nums[0][0], nums[1][0]
            while True:
                out.add(a)
                if a == b:
                    break
                a = (a + 1) % 7
        else:
            out.update(nums[0])
    return out


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "t", "是", "对", "有", "x", "✓")


def _gender(text: str) -> str:
    word = text.strip().lower()
    if word in ("f", "female", "woman", "w", "女"):
        return "F"
    if word in ("m", "male", "man", "男"):
        return "M"
    return ""


def _num(text: str, default: float) -> float:
    return float(text) if str(text).strip() not in ("", "nan") else float(default)


def _relation(text: str) -> str:
    word = text.strip().lower()
    return {"亲属": "kin", "亲戚": "kin", "家人": "kin", "relative": "kin", "family": "kin",
            "熟人": "familiar", "认识": "familiar", "邻居": "familiar", "friend": "familiar",
            "neighbour": "familiar", "neighbor": "familiar", "拒绝": "refuses",
            "refuse": "refuses"}.get(word, word)


@dataclass
class CheckWorld:
    """The inputs as the checker understands them."""

    volunteers: dict[str, dict]
    elders: dict[str, dict]
    relations: dict[tuple[str, str], set[str]]
    measured: dict[tuple[str, str], tuple[float | None, float | None]]
    rules: dict[str, float]

    @classmethod
    def read(cls, volunteers: Path | str, elders: Path | str, relations: Path | str | None = None,
             pairs: Path | str | None = None, rules: dict[str, float] | None = None) -> CheckWorld:
        """Read the four input files."""
        r = dict(CONTRACT, **(rules or {}))
        vols: dict[str, dict] = {}
        for row in _table(volunteers).to_dict("records"):  # type: ignore[union-attr]
            vols[row["volunteer_id"]] = {
                "lat": _num(row.get("lat", ""), math.nan),
                "lon": _num(row.get("lon", ""), math.nan),
                "gender": _gender(row.get("gender", "")),
                "max_elders": int(_num(row.get("max_elders", ""), r["max_elders"])),
                "weekly": _num(row.get("weekly_minutes", ""), r["weekly_minutes"]),
                "days": _days(row.get("available_days", ""))}
        elds: dict[str, dict] = {}
        for row in _table(elders).to_dict("records"):  # type: ignore[union-attr]
            age = _num(row.get("age", ""), 0)
            default = 3 if age >= 90 else 2 if (age >= 80 or _truthy(row.get("lives_alone", ""))
                                                 or _truthy(row.get("low_income", ""))) else 1
            elds[row["elder_id"]] = {
                "lat": _num(row.get("lat", ""), math.nan),
                "lon": _num(row.get("lon", ""), math.nan),
                "priority": int(_num(row.get("priority", ""), default)),
                "visit": _num(row.get("visit_minutes", ""), r["visit_minutes"]),
                "days": _days(row.get("available_days", "")),
                "wants": _gender(row.get("gender_preference", ""))}
        rels: dict[tuple[str, str], set[str]] = defaultdict(set)
        table = _table(relations)
        if table is not None:
            for row in table.to_dict("records"):
                rels[row["volunteer_id"], row["elder_id"]].add(_relation(row["relation"]))
        measured: dict[tuple[str, str], tuple[float | None, float | None]] = {}
        table = _table(pairs)
        if table is not None:
            for row in table.to_dict("records"):
                d, m = row.get("distance_km", ""), row.get("weekly_minutes", "")
                measured[row["volunteer_id"], row["elder_id"]] = (
                    float(d) if d else None, float(m) if m else None)
        return cls(vols, elds, rels, measured, r)

    def distance(self, v: str, e: str) -> float:
        """Measured distance, else great-circle (NaN without coordinates)."""
        given = self.measured.get((v, e), (None, None))[0]
        if given is not None:
            return given
        a, b = self.volunteers[v], self.elders[e]
        if any(math.isnan(x) for x in (a["lat"], a["lon"], b["lat"], b["lon"])):
            return math.nan
        return great_circle((a["lat"], a["lon"]), (b["lat"], b["lon"]), radius=_EARTH_KM).km

    def minutes(self, v: str, e: str) -> float:
        """Weekly minutes of the pair: measured, else visit plus walking both ways."""
        given = self.measured.get((v, e), (None, None))[1]
        if given is not None:
            return given
        return self.elders[e]["visit"] + 2 * self.rules["minutes_per_km"] * self.distance(v, e)

    def why_not(self, v: str, e: str) -> str | None:
        """The first pairing rule that forbids the pair, or ``None``."""
        if v not in self.volunteers:
            return f"unknown volunteer {v}"
        if e not in self.elders:
            return f"unknown elder {e}"
        rel = self.relations.get((v, e), set())
        d = self.distance(v, e)
        if math.isnan(d):
            return "no distance (no coordinates and no measured pair)"
        limit = self.rules["max_kin_km"] if "kin" in rel else self.rules["max_km"]
        if d > limit + 1e-6:
            return f"{d:.3f} km apart, limit {limit:g} km"
        if "refuses" in rel:
            return "the elder refuses this volunteer"
        wants = self.elders[e]["wants"]
        if wants and self.volunteers[v]["gender"] != wants:
            return "gender preference"
        if not self.volunteers[v]["days"] & self.elders[e]["days"]:
            return "no shared available day"
        return None

    def cost(self, v: str, e: str) -> float:
        """``distance - kin_bonus*[kin] - familiar_bonus*[familiar]``."""
        rel = self.relations.get((v, e), set())
        return (self.distance(v, e) - self.rules["kin_bonus"] * ("kin" in rel)
                - self.rules["familiar_bonus"] * ("familiar" in rel))

    def candidates(self) -> list[tuple[str, str]]:
        """Every eligible pair, by brute force (meant for small worlds)."""
        out = []
        for e in self.elders:
            for v in self.volunteers:
                if self.why_not(v, e) is None:
                    out.append((v, e))
        return out


@dataclass
class Report:
    """Broken rules by kind, and the plan's figures."""

    broken: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every rule holds."""
        return not any(self.broken.values())

    def add(self, kind: str, text: str) -> None:
        """Record a broken rule."""
        self.broken[kind].append(text)

    def text(self) -> str:
        """Human-readable report."""
        lines = []
        for kind, items in self.broken.items():
            lines.append(f"BROKEN {kind}: {len(items)}")
            lines += [f"  - {t}" for t in items[:20]]
        lines.append(("OK " if self.ok else "") + json.dumps(self.figures, ensure_ascii=False))
        return "\n".join(lines)


def check_pairing(volunteers: Path | str, elders: Path | str, relations: Path | str | None,
                  pairs: Path | str | None, plan: Path | str,
                  rules: dict[str, float] | None = None) -> Report:
    """Check ``plan/assignments.csv`` and ``plan/unassigned.csv`` against the contract."""
    world = CheckWorld.read(volunteers, elders, relations, pairs, rules)
    return check_plan(world, Path(plan))


def check_plan(world: CheckWorld, plan: Path) -> Report:
    """Check a plan folder against an already-read world."""
    rep = Report()
    assigned = _table(plan / "assignments.csv")
    unassigned = _table(plan / "unassigned.csv")
    for name, frame, cols in (("assignments.csv", assigned, ["elder_id", "volunteer_id",
                                                             "distance_km", "weekly_minutes",
                                                             "tie"]),
                              ("unassigned.csv", unassigned, ["elder_id", "reason"])):
        missing = [c for c in cols if c not in frame.columns]  # type: ignore[union-attr]
        if missing:
            rep.add("columns", f"{name} lacks {missing}")
            return rep
    plan_map: dict[str, str] = {}
    for row in assigned.to_dict("records"):  # type: ignore[union-attr]
        e, v = row["elder_id"], row["volunteer_id"]
        if e in plan_map:
            rep.add("one volunteer per elder", f"elder {e} appears twice")
        plan_map[e] = v
        why = world.why_not(v, e)
        if why:
            rep.add("eligibility", f"elder {e} - volunteer {v}: {why}")
            continue
        if abs(float(row["distance_km"]) - world.distance(v, e)) > 0.0015:
            rep.add("reported figures", f"elder {e}: distance_km {row['distance_km']} != "
                                        f"{world.distance(v, e):.3f}")
        if abs(float(row["weekly_minutes"]) - world.minutes(v, e)) > 0.06:
            rep.add("reported figures", f"elder {e}: weekly_minutes {row['weekly_minutes']} != "
                                        f"{world.minutes(v, e):.1f}")
        rel = world.relations.get((v, e), set())
        tie = "kin" if "kin" in rel else "familiar" if "familiar" in rel else "none"
        if row["tie"] != tie:
            rep.add("reported figures", f"elder {e}: tie {row['tie']} != {tie}")
    listed = [e for e in unassigned["elder_id"]]  # type: ignore[index]
    for e in listed:
        if e in plan_map:
            rep.add("unassigned.csv", f"elder {e} is both assigned and unassigned")
        if e not in world.elders:
            rep.add("unassigned.csv", f"unknown elder {e}")
    for e, reason in zip(unassigned["elder_id"], unassigned["reason"], strict=True):  # type: ignore[index]
        if not reason:
            rep.add("unassigned.csv", f"elder {e} has no reason")
    for e in sorted(set(world.elders) - set(plan_map) - set(listed)):
        rep.add("unassigned.csv", f"elder {e} is neither assigned nor listed as unassigned")
    count: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    for e, v in plan_map.items():
        if world.why_not(v, e) is None:
            count[v] += 1
            minutes[v] += world.minutes(v, e)
    for v, n in count.items():
        if n > world.volunteers[v]["max_elders"]:
            rep.add("max_elders",
                    f"volunteer {v}: {n} elders > {world.volunteers[v]['max_elders']}")
        if minutes[v] > world.volunteers[v]["weekly"] + 1e-6:
            rep.add("weekly_minutes", f"volunteer {v}: {minutes[v]:.1f} min > "
                                      f"{world.volunteers[v]['weekly']:g}")
    _maximal(world, plan_map, count, minutes, rep)
    ok_pairs = [(v, e) for e, v in plan_map.items() if world.why_not(v, e) is None]
    rep.figures = {
        "assigned": len(ok_pairs),
        "priority": sum(world.elders[e]["priority"] for _, e in ok_pairs),
        "cost": round(sum(world.cost(v, e) for v, e in ok_pairs), 6),
        "distance_km": round(sum(world.distance(v, e) for v, e in ok_pairs), 6),
    }
    return rep


def _maximal(world: CheckWorld, plan: dict[str, str], count: dict[str, int],
             minutes: dict[str, float], rep: Report) -> None:
    """No unassigned elder may have an eligible volunteer with room to spare."""
    free = [v for v, x in world.volunteers.items()
            if count[v] < x["max_elders"] and minutes[v] < x["weekly"]]
    for e in world.elders:
        if e in plan:
            continue
        for v in free:
            if world.why_not(v, e) is None and (
                    minutes[v] + world.minutes(v, e) <= world.volunteers[v]["weekly"] + 1e-6):
                rep.add("maximality", f"elder {e} is unassigned although volunteer {v} has room")
                break


def reference_optimum(world: CheckWorld, time_limit: float = 60.0) -> tuple[int, float]:
    """The contract's optimum (largest priority, then least cost) by a plain CP-SAT model.

    Meant for small worlds: it enumerates pairs by brute force.
    """
    from ortools.sat.python import cp_model

    pairs = world.candidates()
    model = cp_model.CpModel()
    x = {p: model.new_bool_var(f"{p[0]}-{p[1]}") for p in pairs}
    by_e: dict[str, list] = defaultdict(list)
    by_v: dict[str, list] = defaultdict(list)
    for (v, e), var in x.items():
        by_e[e].append(var)
        by_v[v].append(((v, e), var))
    for vars_ in by_e.values():
        model.add_at_most_one(vars_)
    for v, items in by_v.items():
        model.add(sum(var for _, var in items) <= world.volunteers[v]["max_elders"])
        model.add(sum(math.ceil(world.minutes(*p) * 1000 - 1e-6) * var for p, var in items)
                  <= math.floor(world.volunteers[v]["weekly"] * 1000 + 1e-6))
    covered = sum(world.elders[e]["priority"] * var for (_, e), var in x.items())
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 8
    model.maximize(covered)
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        raise RuntimeError("reference priority not proven")
    best = round(solver.objective_value)
    model.add(covered >= best)
    model.minimize(sum(round(world.cost(*p) * 100_000) * var for p, var in x.items()))
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        raise RuntimeError("reference cost not proven")
    return best, solver.objective_value / 100_000
