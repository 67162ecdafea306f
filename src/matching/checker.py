"""An independent checker of pairing plans.

It reads the inputs and a plan folder on its own and checks every rule of the contract. It
shares no code with the engine (it imports nothing from the rest of ``matching``): distances
come from geopy, cells are parsed here, and the reference optimum is a plain CP-SAT model over
every eligible pair. The tests run it on every plan the engine produces; ``matching check``
offers it to planners.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import pandas as pd
from geopy.distance import great_circle

#: The contract's rules, named as a scenario's ``[rules]`` and ``[schedule]`` keys name them, so
#: that a run made under other rules can be checked under the same ones.
CONTRACT: dict[str, Any] = {
    "max_km": 2.0, "max_kin_km": 10.0, "walking_min_per_km": 15.0, "kin_bonus_km": 3.0,
    "familiar_bonus_km": 1.0, "default_max_elders": 3, "default_weekly_minutes": 300.0,
    "default_visit_minutes": 60.0, "priority_age_high": 90.0, "priority_age_mid": 80.0,
    "call_minutes": 5, "service_minutes": 60, "group_minutes": 120, "festival_minutes": 120,
    "birthday_minutes": 30, "day_start": 480, "day_end": 1200, "rota_block_weeks": 4,
    "backup_visits_per_block": 1, "service_km": 5.0, "elders_per_organiser": 10,
    "festival_days_before": 3, "month_min_days": 14, "quarter_min_days": 28,
    # Spring, Lantern, Dragon Boat, Mid-Autumn and Double Ninth (lunar month, day)
    "festivals": ((1, 1), (1, 15), (5, 5), (8, 15), (9, 9)),
}
#: Scenario keys the checker accepts but has no rule about (they say when, not what; or, for
#: the two ages, only how a projection ages the roster).
_TIMES_ONLY = {"call_start", "group_start", "festival_start", "volunteer_age_limit",
               "elder_age"}
_EARTH_KM = 6371.0088
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ZH = "一二三四五六日"


@overload
def _table(path: Path | str) -> pd.DataFrame: ...
@overload
def _table(path: None) -> None: ...
@overload
def _table(path: Path | str | None) -> pd.DataFrame | None: ...
def _table(path: Path | str | None) -> pd.DataFrame | None:
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
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


def _away(text: str) -> list[tuple[dt.date, dt.date]]:
    """Periods away, ``first/last`` separated by ``;`` (a single day alone)."""
    out = []
    for part in (text or "").replace("；", ";").split(";"):
        if part.strip():
            first, _, last = part.strip().partition("/")
            out.append((dt.date.fromisoformat(first.strip()),
                        dt.date.fromisoformat((last or first).strip())))
    return out


#: The named times of day of the contract, as minutes (the checker's own copy, by design).
_NAMED_TIMES = {"上午": (480, 720), "下午": (840, 1080), "晚上": (1080, 1260),
                "morning": (480, 720), "afternoon": (840, 1080), "evening": (1080, 1260)}


def _times(text: str) -> list[tuple[int, int]]:
    """Preferred times of day: named ones, or ``hh:mm-hh:mm``, separated by spaces (also
    commas and the like)."""
    out = []
    for part in re.split(r"[\s,，;；、/]+", unicodedata.normalize("NFKC", text or "")):
        if not part:
            continue
        if part.lower() in _NAMED_TIMES:
            out.append(_NAMED_TIMES[part.lower()])
            continue
        h1, m1, h2, m2 = (int(x) for x in re.findall(r"\d+", part)[:4])
        out.append((60 * h1 + m1, 60 * h2 + m2))
    return out


def _away_in_week(periods: list[tuple[dt.date, dt.date]], monday: dt.date) -> bool:
    return any(a <= monday + dt.timedelta(days=6) and monday <= b for a, b in periods)


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "t", "是", "对", "有", "x", "✓")


def _gender(text: str) -> str:
    word = text.strip().lower()
    if word in ("f", "female", "woman", "w", "女"):
        return "F"
    if word in ("m", "male", "man", "男"):
        return "M"
    return ""


def _num(text: object, default: Any) -> float:
    return float(str(text)) if str(text).strip() not in ("", "nan") else float(default)


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
    rules: dict[str, Any]

    @classmethod
    def read(cls, volunteers: Path | str, elders: Path | str, relations: Path | str | None = None,
             pairs: Path | str | None = None,
             rules: dict[str, Any] | None = None) -> CheckWorld:
        """Read the four input files."""
        r = dict(CONTRACT, **(rules or {}))
        unknown = sorted(set(r) - set(CONTRACT) - _TIMES_ONLY)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(unknown)}")
        vols: dict[str, dict] = {}
        for row in _table(volunteers).to_dict("records"):
            vols[row["volunteer_id"]] = {
                "lat": _num(row.get("lat", ""), math.nan),
                "lon": _num(row.get("lon", ""), math.nan),
                "gender": _gender(row.get("gender", "")),
                "max_elders": int(_num(row.get("max_elders", ""), r["default_max_elders"])),
                "weekly": _num(row.get("weekly_minutes", ""), r["default_weekly_minutes"]),
                "days": _days(row.get("available_days", "")),
                "skills": {t.strip().lower().replace(" ", "_")
                           for t in row.get("skills", "").split(";") if t.strip()},
                "away": _away(row.get("away", "")),
                "times": _times(row.get("preferred_times", ""))}
        elds: dict[str, dict] = {}
        for row in _table(elders).to_dict("records"):
            age = _num(row.get("age", ""), 0)
            high, mid = float(r["priority_age_high"]), float(r["priority_age_mid"])
            default = 3 if age >= high else 2 if (age >= mid or _truthy(row.get("lives_alone", ""))
                                                 or _truthy(row.get("low_income", ""))) else 1
            elds[row["elder_id"]] = {
                "lat": _num(row.get("lat", ""), math.nan),
                "lon": _num(row.get("lon", ""), math.nan),
                "priority": int(_num(row.get("priority", ""), default)),
                "visit": _num(row.get("visit_minutes", ""), r["default_visit_minutes"]),
                "days": _days(row.get("available_days", "")),
                "wants": _gender(row.get("gender_preference", "")),
                "community": row.get("community", ""), "birthday": row.get("birthday", ""),
                "needs": [t.strip().lower() for t in row.get("needs", "").split(";")
                          if t.strip()],
                "away": _away(row.get("away", "")),
                "times": _times(row.get("preferred_times", ""))}
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
        pace = float(self.rules["walking_min_per_km"])
        return self.elders[e]["visit"] + 2 * pace * self.distance(v, e)

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
        limit = float(self.rules["max_kin_km" if "kin" in rel else "max_km"])
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
        kin = float(self.rules["kin_bonus_km"])
        familiar = float(self.rules["familiar_bonus_km"])
        return self.distance(v, e) - kin * ("kin" in rel) - familiar * ("familiar" in rel)

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
    figures: dict[str, float | None] = field(default_factory=dict)

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
                  rules: dict[str, Any] | None = None) -> Report:
    """Check ``plan/assignments.csv`` and ``plan/unassigned.csv`` against the contract (or
    against ``rules``, a scenario's)."""
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
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            rep.add("columns", f"{name} lacks {missing}")
            return rep
    plan_map: dict[str, str] = {}
    for row in assigned.to_dict("records"):
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
    listed = [e for e in unassigned["elder_id"]]
    for e in listed:
        if e in plan_map:
            rep.add("unassigned.csv", f"elder {e} is both assigned and unassigned")
        if e not in world.elders:
            rep.add("unassigned.csv", f"unknown elder {e}")
    for e, reason in zip(unassigned["elder_id"], unassigned["reason"], strict=True):
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


def _hm(text: str) -> int:
    h, m = str(text).strip().split(":")[:2]
    return int(h) * 60 + int(m)


def _mondays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays of the Monday-Sunday weeks wholly in ``[start, end)``."""
    out = []
    day = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    while day + dt.timedelta(days=7) <= end:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def _serves(world: CheckWorld, v: str, e: str) -> str | None:
    """Why volunteer ``v`` may not come to elder ``e`` for any activity, or ``None``: the
    elder refuses them, or they are not of the elder's preferred gender."""
    if "refuses" in world.relations.get((v, e), set()):
        return "refused"
    wants = world.elders[e]["wants"]
    if wants and world.volunteers[v]["gender"] != wants:
        return "gender"
    return None


def check_schedule(world: CheckWorld, plan: Path, start: dt.date, weeks: int,
                   festivals: list[dt.date]) -> Report:
    """Check ``plan/schedule.csv`` against the "six ones" rules, under ``world.rules``.

    ``festivals`` are the festival dates to expect (see :func:`festival_dates`).
    """
    rep = Report()
    r_ = world.rules
    plan_map = {r["elder_id"]: r["volunteer_id"]
                for r in _table(plan / "assignments.csv").to_dict("records")
                if r["volunteer_id"]}
    durations = {k: int(r_[f"{k}_minutes"]) for k in
                 ("call", "service", "group", "festival", "birthday")}
    day_start, day_end = int(r_["day_start"]), int(r_["day_end"])
    rows = []
    end = start + dt.timedelta(days=7 * weeks)
    for i, r in enumerate(_table(plan / "schedule.csv").to_dict("records")):
        day = dt.date.fromisoformat(r["date"])
        a, b = _hm(r["start"]), _hm(r["end"])
        row = {"date": day, "start": a, "end": b, "act": r["activity"], "v": r["volunteer_id"],
               "e": r.get("elder_id", ""), "c": r.get("community", ""),
               "service": r.get("service", "").lower(), "minutes": float(r["minutes"])}
        rows.append(row)
        where = f"row {i + 2}"
        if not start <= day < end:
            rep.add("horizon", f"{where}: {day} outside the horizon")
        if abs(row["minutes"] - (b - a)) > 1e-6:
            rep.add("minutes", f"{where}: minutes != end - start")
        if not day_start <= a < b <= day_end:
            rep.add("hours", f"{where}: outside {day_start // 60:02d}:{day_start % 60:02d}-"
                             f"{day_end // 60:02d}:{day_end % 60:02d}")
        want = durations.get(row["act"])
        if want is not None and b - a != want:
            rep.add("duration", f"{where}: {row['act']} lasts {b - a} min, not {want}")
        if row["v"] not in world.volunteers:
            rep.add("unknown", f"{where}: unknown volunteer {row['v']}")
        elif row["act"] in ("visit", "service", "birthday") and row["e"] in world.elders:
            why = _serves(world, row["v"], row["e"])
            if why:
                rep.add(why, f"elder {row['e']} on {day}: {row['act']} by {row['v']}")
        if row["v"] in world.volunteers and row["act"] != "call" and any(
                a <= day <= b for a, b in world.volunteers[row["v"]]["away"]):
            rep.add("away", f"{where}: {row['v']} is away on {day}")
        if row["act"] in ("visit", "birthday") and row["e"] in world.elders and any(
                a <= day <= b for a, b in world.elders[row["e"]]["away"]):
            rep.add("away", f"{where}: elder {row['e']} is away on {day}")
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by[r["act"], r["e"]].append(r)
    mondays = _mondays(start, end)
    block = int(r_["rota_block_weeks"])
    primary_turns = block - int(r_["backup_visits_per_block"])
    backups: dict[str, set[str]] = defaultdict(set)
    blocks_ok = blocks = 0
    for e, v in plan_map.items():
        elder = world.elders[e]
        visits = by["visit", e]
        week_of: dict[dt.date, list[dict]] = defaultdict(list)
        for r in visits:
            if r["v"] != v:
                backups[e].add(r["v"])
                why = world.why_not(r["v"], e)
                if why:
                    rep.add("visit", f"elder {e}: backup {r['v']} not eligible ({why})")
            wd = r["date"].weekday()
            if wd not in elder["days"] or (r["v"] in world.volunteers
                                           and wd not in world.volunteers[r["v"]]["days"]):
                rep.add("visit", f"elder {e} on {r['date']}: not a shared day")
            if abs((r["end"] - r["start"]) - elder["visit"]) > 1e-6:
                rep.add("visit", f"elder {e} on {r['date']}: wrong length")
            theirs = world.volunteers.get(r["v"], {}).get("times", [])
            for who, times in (("elder", elder["times"]), ("volunteer", theirs)):
                if times and not any(a <= r["start"] and r["end"] <= b for a, b in times):
                    rep.add("preferred_times", f"elder {e} on {r['date']}: the visit at "
                                               f"{r['start'] // 60:02d}:{r['start'] % 60:02d} "
                                               f"is outside the {who}'s preferred times")
            week_of[r["date"] - dt.timedelta(days=wd)].append(r)
        primary_away = world.volunteers.get(v, {}).get("away", [])
        for monday in mondays:
            owed = 0 if _away_in_week(elder["away"], monday) else 1
            if len(week_of[monday]) != owed:
                rep.add("visit", f"elder {e}: {len(week_of[monday])} visits in week of {monday}")
        for k in range(0, len(mondays) - block + 1, block):
            made = [r for m in mondays[k:k + block] for r in week_of[m]]
            # a week the primary is away is the backup's to make
            away = sum(_away_in_week(primary_away, m) for m in mondays[k:k + block])
            if len(made) == block:
                blocks += 1
                by_primary = sum(r["v"] == v for r in made)
                blocks_ok += by_primary == primary_turns
                if by_primary < primary_turns - away:
                    rep.add("rotation", f"elder {e}: the primary makes {by_primary} of {block} "
                                        f"visits from week {mondays[k]}")
        if len(backups[e]) > 1:
            rep.add("backup", f"elder {e}: {len(backups[e])} backups")
        callers = {v} | backups[e]
        called = {r["date"] for r in by["call", e] if r["v"] in callers}
        missing = [d for d in (start + dt.timedelta(days=i) for i in range((end - start).days))
                   if d not in called]
        if missing:
            rep.add("call", f"elder {e}: no call on {len(missing)} days, first {missing[0]}")
        _birthdays(world, e, v, backups[e], by["birthday", e], start, end, rep)
        _services(world, e, by["service", e], start, end, rep)
    rep.figures = {"rows": len(rows), "rotation_share": round(blocks_ok / blocks, 4)
                   if blocks else None, "festivals": len(festivals)}
    _events(world, plan_map, rows, start, end, festivals, rep)
    _overlaps_and_weeks(world, rows, rep)
    return rep


def _events(world: CheckWorld, plan_map: dict[str, str], rows: list[dict], start: dt.date,
            end: dt.date, festivals: list[dt.date], rep: Report) -> None:
    """Group activities each quarter and festival activities, with enough organisers on one
    day and time, each available that day."""
    r_ = world.rules
    per = int(r_["elders_per_organiser"])
    before = int(r_["festival_days_before"])
    communities: dict[str, int] = defaultdict(int)
    for e in plan_map:
        communities[str(_community(world, e))] += 1
    for r in rows:
        if r["act"] in ("group", "festival") and r["v"] in world.volunteers and \
                r["date"].weekday() not in world.volunteers[r["v"]]["days"]:
            rep.add("organiser", f"volunteer {r['v']} organises on an unavailable day")

    def most(got: list[dict]) -> int:
        return max((len({x["v"] for x in got if (x["date"], x["start"]) ==
                         (g["date"], g["start"])}) for g in got), default=0)

    for c, n in communities.items():
        need = math.ceil(n / per)
        for f in festivals:
            got = [r for r in rows if r["act"] == "festival" and r["c"] == c
                   and 0 <= (f - r["date"]).days <= before]
            if most(got) < need:
                rep.add("festival", f"community {c!r} festival {f}: {most(got)} organisers < "
                                    f"{need}")
        quarter_days = int(r_["quarter_min_days"])
        for (year, q), days in _days_by(start, end, lambda d: (d.year, (d.month - 1) // 3)):
            if len(days) < quarter_days:
                continue
            got = [r for r in rows if r["act"] == "group" and r["c"] == c and r["date"] in days]
            if most(got) < need:
                rep.add("group", f"community {c!r} {year}-Q{q + 1}: {most(got)} organisers")


def _overlaps_and_weeks(world: CheckWorld, rows: list[dict], rep: Report) -> None:
    """No volunteer has two overlapping activities (calls aside) or a week over their
    weekly minutes (activity minutes only)."""
    per_day: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
    per_week: dict[tuple[str, dt.date], float] = defaultdict(float)
    for r in rows:
        if r["act"] == "call":
            continue
        per_day[r["v"], r["date"]].append(r)
        monday = r["date"] - dt.timedelta(days=r["date"].weekday())
        per_week[r["v"], monday] += r["end"] - r["start"]
    for (v, d), items in per_day.items():
        items.sort(key=lambda r: r["start"])
        for x, y in itertools.pairwise(items):
            if y["start"] < x["end"]:
                rep.add("overlap", f"volunteer {v} on {d}: {x['act']} and {y['act']} overlap")
    for (v, monday), total in per_week.items():
        if v in world.volunteers and total > world.volunteers[v]["weekly"] + 1e-6:
            rep.add("weekly_minutes", f"volunteer {v} week of {monday}: {total:.0f} min")


def _community(world: CheckWorld, e: str) -> str:
    return world.elders[e].get("community", "")


def _birthdays(world: CheckWorld, e: str, v: str, backups: set[str], rows: list[dict],
               start: dt.date, end: dt.date, rep: Report) -> None:
    text = world.elders[e]["birthday"]
    if not text:
        return
    month, day = (int(x) for x in text[-5:].split("-"))
    for year in range(start.year, end.year + 1):
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        when = dt.date(year, 2, 28) if (month, day) == (2, 29) and not leap else \
            dt.date(year, month, day)
        away = any(a <= when <= b for a, b in world.elders[e]["away"])
        if start <= when < end and not away and not any(
                r["date"] == when and r["v"] in {v} | backups for r in rows):
            rep.add("birthday", f"elder {e}: no greeting on {when}")


def _services(world: CheckWorld, e: str, rows: list[dict], start: dt.date, end: dt.date,
              rep: Report) -> None:
    needs = world.elders[e]["needs"]
    if not needs:
        return
    reach = float(world.rules["service_km"])
    served = []
    month_days = int(world.rules["month_min_days"])
    for (year, month), days in _days_by(start, end, lambda d: (d.year, d.month)):
        if len(days) < month_days:
            continue
        ok = [r for r in rows if r["date"] in days and r["service"] in needs
              and r["v"] in world.volunteers and r["service"] in world.volunteers[r["v"]]["skills"]
              and world.distance(r["v"], e) <= reach + 1e-6 and _serves(world, r["v"], e) is None
              and r["date"].weekday() in world.volunteers[r["v"]]["days"] & world.elders[e]["days"]]
        if not ok:
            rep.add("service", f"elder {e}: no valid service in {year}-{month:02d}")
        served.append({r["service"] for r in ok})
    # only a need someone may serve counts: the skill within reach, a shared day, not
    # refused, of the preferred gender (a need nobody can serve gives way in the rotation)
    wanted = {n for n in needs if any(
        n in y["skills"] and world.distance(u, e) <= reach + 1e-6
        and y["days"] & world.elders[e]["days"] and _serves(world, u, e) is None
        for u, y in world.volunteers.items())}
    k = len(wanted)
    for i in range(len(served) - k + 1):
        if k and set().union(*served[i:i + k]) < wanted:
            rep.add("service-rotation", f"elder {e}: months {i + 1}..{i + k} miss a need")
            break


def _days_by(start: dt.date, end: dt.date, key) -> list[tuple[tuple[int, int], set[dt.date]]]:
    """The days of ``[start, end)`` grouped by ``key`` (a month, a quarter), in order: a
    month or quarter is due when enough of its days are in the horizon."""
    groups: dict[tuple[int, int], set[dt.date]] = {}
    for i in range((end - start).days):
        day = start + dt.timedelta(days=i)
        groups.setdefault(key(day), set()).add(day)
    return list(groups.items())


def festival_dates(start: dt.date, end: dt.date,
                   lunar: tuple[tuple[int, int], ...] = CONTRACT["festivals"]
                   ) -> list[dt.date]:
    """The solar dates in ``[start, end)`` of festivals given by lunar month and day,
    straight from the ``lunardate`` library."""
    from lunardate import LunarDate

    out = []
    for year in range(start.year - 1, end.year + 1):
        for month, day in lunar:
            try:
                solar = LunarDate(year, month, day).to_solar_date()
            except ValueError:
                continue
            if start <= solar < end:
                out.append(solar)
    return sorted(out)


def check_schedule_files(volunteers: Path | str, elders: Path | str,
                         relations: Path | str | None, pairs: Path | str | None,
                         plan: Path | str, start: dt.date, weeks: int,
                         rules: dict[str, Any] | None = None) -> Report:
    """Check a schedule folder (with its assignments.csv) against the contract's rules, or
    against ``rules`` (a scenario's, see :func:`rules_from_scenario`)."""
    world = CheckWorld.read(volunteers, elders, relations, pairs, rules)
    end = start + dt.timedelta(days=7 * weeks)
    return check_schedule(world, Path(plan), start, weeks,
                          festival_dates(start, end, world.rules["festivals"]))


def rules_from_scenario(path: Path | str) -> tuple[dict[str, object], dt.date | None,
                                                   int | None]:
    """The rules of a resolved ``scenario.toml`` (as ``matching run`` writes it), and its
    schedule's start and weeks, read here on their own."""
    import tomllib

    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    rules: dict[str, Any] = {}
    for section in ("rules", "schedule"):
        for key, value in data.get(section, {}).items():
            if key == "festivals":
                rules[key] = tuple((int(f["month"]), int(f["day"])) for f in value)
            elif key in CONTRACT or key in _TIMES_ONLY:
                rules[key] = value
    schedule = data.get("schedule", {})
    return rules, schedule.get("start"), schedule.get("weeks")


def rules_from_options(options: list[str]) -> dict[str, object]:
    """Rules given as ``KEY=VALUE`` (for example ``service_km=3``), the scenario's keys."""
    rules: dict[str, Any] = {}
    for option in options:
        key, sep, value = option.partition("=")
        key = key.strip()
        if not sep or key not in CONTRACT or key == "festivals":
            known = ", ".join(k for k in CONTRACT if k != "festivals")
            raise ValueError(f"--rule {option!r}: expected KEY=VALUE with KEY one of {known}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--rule {option!r}: {value!r} is not a number") from None
        rules[key] = int(number) if isinstance(CONTRACT[key], int) else number
    return rules


def check_replan(volunteers: Path | str, elders: Path | str, relations: Path | str | None,
                 pairs: Path | str | None, previous: Path | str, leaving: Path | str,
                 plan: Path | str, history: Path | str | None = None,
                 rules: dict[str, Any] | None = None) -> Report:
    """Check a re-plan: the pairing rules over the volunteers who stay (maximality included),
    that every elder whose primary stays keeps them (unless that volunteer's capacity fell
    below the old load), and that ``changes.csv`` lists exactly the elders whose primary
    changed, lost or gained."""
    world = CheckWorld.read(volunteers, elders, relations, pairs, rules)
    gone = {r["volunteer_id"] for r in _table(leaving).to_dict("records")}
    if history is not None:
        for r in _table(history).to_dict("records"):
            if r["activity"].lower() == "visit" and r.get("elder_id"):
                world.relations[r["volunteer_id"], r["elder_id"]].add("familiar")
    world.volunteers = {v: x for v, x in world.volunteers.items() if v not in gone}
    plan = Path(plan)
    rep = check_plan(world, plan)
    before = {r["elder_id"]: r["volunteer_id"]
              for r in _table(previous).to_dict("records")
              if r["volunteer_id"]}
    after = {r["elder_id"]: r["volunteer_id"]
             for r in _table(plan / "assignments.csv").to_dict("records")}
    old_load: dict[str, list[str]] = defaultdict(list)
    for e, v in before.items():
        if v in world.volunteers and e in world.elders and world.why_not(v, e) is None:
            old_load[v].append(e)
    shrunk = {v for v, es in old_load.items()
              if len(es) > world.volunteers[v]["max_elders"]
              or sum(world.minutes(v, e) for e in es) > world.volunteers[v]["weekly"] + 1e-6}
    for v, es in old_load.items():
        if v not in shrunk:
            for e in es:
                if after.get(e) != v:
                    rep.add("stability", f"elder {e} lost {v}, who stays (now {after.get(e)})")
    changes = _table(plan / "changes.csv")
    listed = [r["elder_id"] for r in changes.to_dict("records")]
    truly = {e for e in set(before) | set(after) if before.get(e) != after.get(e)}
    if len(listed) != len(set(listed)) or set(listed) != truly:
        rep.add("changes.csv", f"lists {len(set(listed))} elders, {len(truly)} changed")
    for r in changes.to_dict("records"):
        e = r["elder_id"]
        if (r["old_volunteer_id"], r["new_volunteer_id"]) != (before.get(e, ""),
                                                               after.get(e, "")):
            rep.add("changes.csv", f"elder {e}: row does not match the two plans")
        if not r.get("reason"):
            rep.add("changes.csv", f"elder {e}: no reason")
    return rep
