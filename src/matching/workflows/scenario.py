"""Scenario files: a whole plan in a few lines of TOML, repeatable and comparable.

A scenario names the inputs, overrides any rule or default, sets the horizon and the solver,
and applies what-if edits; :func:`run_scenario` turns it into a self-contained output folder.
See the README for the complete, annotated format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from matching.rules.errors import InputError, InputIssue, RuleError
from matching.runtime.budget import Budget
from matching.runtime.cluster import check_spec, open_cluster
from matching.world.coords import SYSTEMS

if TYPE_CHECKING:
    from matching.runtime.cluster import Cluster
from matching.rules.pairing import Rules
from matching.rules.timebank import TimebankRules
from matching.schedule import ScheduleRules

_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "inputs": {"volunteers": str, "elders": str, "relations": str, "pairs": str,
               "coords": (str, dict)},
    "rules": {f.name: (int, float) for f in dataclasses.fields(Rules)},
    "schedule": {"start": dt.date, "weeks": int, "lang": str, "festivals": list,
                 "from": dt.date, "previous": str,
                 **{f.name: (int, float) for f in dataclasses.fields(ScheduleRules)
                    if f.name != "festivals"}},
    "solver": {"time_limit": (int, float), "deterministic_time": (int, float), "seed": int,
               "workers": int, "cluster": str},
    "run": {"pair": bool, "schedule": bool, "replan": bool},
    "whatif": {"leaving": list, "leaving_share": (int, float), "leaving_seed": int,
               "leaving_from": str, "extra_volunteers": str, "joining_elders": str,
               "capacity": list, "available_days": list},
    "timebank": {"ledger": str, "members": str,
                 **{f.name: (bool,) if f.type in ("bool", bool) else (int, float)
                    for f in dataclasses.fields(TimebankRules)}},
}
_TOP = {"name": str, "description": str, "base": str}
_PATH_KEYS = {("inputs", k) for k in _SECTIONS["inputs"] if k != "coords"} | {
    ("whatif", "extra_volunteers"), ("whatif", "joining_elders"), ("schedule", "previous"),
    ("timebank", "ledger"), ("timebank", "members")}
#: Languages of the rota and calendars.
LANGUAGES = ("zh", "en")


@dataclass
class Scenario:
    """A resolved scenario: the base merged in, paths absolute, types checked."""

    path: Path
    name: str
    description: str
    inputs: dict[str, Path]
    rules: Rules
    schedule_rules: ScheduleRules
    start: dt.date | None
    weeks: int | None
    lang: str
    from_date: dt.date | None
    previous: Path | None
    time_limit: float
    seed: int
    workers: int | None
    steps: dict[str, bool]
    whatif: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    timebank_rules: TimebankRules = field(default_factory=TimebankRules)
    ledger: Path | None = None
    members: Path | None = None
    #: The [timebank] rules the scenario sets; these override the ledger's own rules.
    timebank_keys: tuple[str, ...] = ()
    #: The coordinate system of the input files: one for all, or one per file.
    coords: str | dict[str, str] = "wgs84"
    #: Where the pairing's parts are solved (``local:N`` or a Dask scheduler's address).
    cluster: str | None = None
    #: Bound the searches by counted work instead of the clock (``--deterministic-time``).
    deterministic_time: float | None = None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (and the ones it extends).

    Raises
    ------
    InputError
        For a file that does not exist or is not TOML, an unknown key, a wrong type, a path
        that does not exist or a loop of ``base`` files; each names the file, key and line.
    """
    path = Path(path).resolve()
    texts: list[tuple[str, str]] = []
    merged = _load(path, seen=(), texts=texts)
    return _resolve(path, merged, texts)


def _load(path: Path, seen: tuple[Path, ...], texts: list[tuple[str, str]]) -> dict[str, Any]:
    name = path.name
    if path in seen:
        raise InputError.one(name, "extends itself (a loop of base files)")
    if not path.is_file():
        raise InputError.one(name, f"file not found ({path})")
    text = path.read_text(encoding="utf-8")
    texts.append((name, text))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(name, f"is not valid TOML: {exc}") from None
    problems = _check(data, path, text)
    if problems:
        raise InputError(problems)
    _absolute_paths(data, path.parent)
    if "base" in data:
        base_path = Path(data["base"])
        base = _load(base_path, (*seen, path), texts)
        data = _merge(base, {k: v for k, v in data.items() if k != "base"})
    return data


def _line(text: str, key: str, section: str | None) -> int | None:
    """Line number of ``key`` (in ``section``) in the file's text, for error messages."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if m := re.match(r"^\[+\s*([\w.-]+)\s*\]+", stripped):
            current = m.group(1)
            if section is None and current == key:
                return number
            continue
        if re.match(rf"^{re.escape(key)}\s*=", stripped) and (current == section or
                                                               (section is None and
                                                                current is None)):
            return number
        if section is not None and current is None and \
                re.match(rf"^{re.escape(section)}\.{re.escape(key)}\s*=", stripped):
            return number
    return None


def _check(data: dict[str, Any], path: Path, text: str) -> list[InputIssue]:
    problems = []

    def where(key: str, section: str | None) -> str:
        line = _line(text, key, section)
        full = f"{section}.{key}" if section else key
        return f"key {full}" + (f" (line {line})" if line else "")

    for key, value in data.items():
        if key in _TOP:
            if not isinstance(value, str):
                problems.append(InputIssue(path.name, f"{where(key, None)} must be text"))
            continue
        if key not in _SECTIONS:
            expected = ", ".join(sorted(_TOP | _SECTIONS))
            problems.append(InputIssue(path.name, f"{where(key, None)} is not a scenario "
                                               f"setting (expected one of {expected})"))
            continue
        if not isinstance(value, dict):
            problems.append(InputIssue(path.name, f"{where(key, None)} must be a table [{key}]"))
            continue
        allowed = _SECTIONS[key]
        for sub, item in value.items():
            if sub not in allowed:
                problems.append(InputIssue(path.name, f"{where(sub, key)} is unknown (expected "
                                                   f"one of {', '.join(sorted(allowed))})"))
                continue
            want = allowed[sub]
            kinds = want if isinstance(want, tuple) else (want,)
            ok = isinstance(item, kinds) and not (isinstance(item, bool) and bool not in kinds)
            if not ok:
                names = " or ".join(_type_name(k) for k in kinds)
                problems.append(InputIssue(path.name, f"{where(sub, key)} must be {names}, not "
                                                   f"{item!r}"))
    if "base" in data and isinstance(data["base"], str):
        base = (path.parent / data["base"]).resolve()
        if not base.is_file():
            problems.append(InputIssue(path.name, f"{where('base', None)}: {data['base']} does "
                                               "not exist"))
    for section, key in _PATH_KEYS:
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(value, str) and not (path.parent / value).exists():
            problems.append(InputIssue(path.name, f"{where(key, section)}: {value} does not "
                                               "exist"))
    return problems


def _type_name(kind: type) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false",
            list: "a list", dt.date: "a date (YYYY-MM-DD)", dict: "a table"
            }.get(kind, kind.__name__)


def _absolute_paths(data: dict[str, Any], folder: Path) -> None:
    if isinstance(data.get("base"), str):
        data["base"] = str((folder / data["base"]).resolve())
    for section, key in _PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str):
            table[key] = str((folder / table[key]).resolve())


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _resolve(path: Path, data: dict[str, Any], texts: list[tuple[str, str]]) -> Scenario:
    inputs = {k: Path(v) for k, v in data.get("inputs", {}).items() if k != "coords"}
    problems = [InputIssue(path.name, f"[inputs] needs {k}") for k in ("volunteers", "elders")
                if k not in inputs]

    def where(section: str, key: str) -> tuple[str, str]:
        """The file (the first of the chain that sets the key) and ``key s.k (line N)``."""
        for name, text in texts:
            line = _line(text, key, section)
            if line is not None:
                return name, f"key {section}.{key} (line {line})"
        return path.name, f"key {section}.{key}"

    def bad(section: str, key: str, message: str, others: tuple[str, ...] = ()) -> None:
        name, first = where(section, key)
        if others:  # settings that contradict each other: name every one that is set
            set_too = [where(section, k)[1] for k in others
                       if any(_line(t, k, section) is not None for _, t in texts)]
            if set_too:
                first = f"{first} contradicts {' and '.join(set_too)}:"
        problems.append(InputIssue(name, f"{first} {message}"))

    coords = data.get("inputs", {}).get("coords", "wgs84")
    for file, system in (coords.items() if isinstance(coords, dict) else [("", coords)]):
        if file and file not in ("volunteers", "elders"):
            bad("inputs", "coords", f"names {file!r}; coordinates are in the volunteers and "
                                    "elders files only")
        elif system not in SYSTEMS:
            bad("inputs", "coords", f"must be one of {', '.join(SYSTEMS)}, not {system!r} "
                                    "(wgs84: GPS; gcj02: Amap, Tencent; bd09: Baidu)")
    sched = dict(data.get("schedule", {}))
    start = sched.pop("start", None)
    weeks = sched.pop("weeks", None)
    lang = sched.pop("lang", "zh")
    from_date = sched.pop("from", None)
    previous = sched.pop("previous", None)
    festivals = sched.pop("festivals", None)
    if lang not in LANGUAGES:
        bad("schedule", "lang", f"must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if weeks is not None and weeks < 1:
        bad("schedule", "weeks", f"must be at least 1, not {weeks}")
    elif from_date is not None and start is not None and weeks is not None and not (
            start <= from_date < start + dt.timedelta(weeks=weeks)):
        end = start + dt.timedelta(weeks=weeks, days=-1)
        bad("schedule", "from", f"({from_date}) lies outside the horizon {start} to {end} "
                                "set by start and weeks: there is nothing to re-schedule from "
                                "that day; choose a day in the horizon, or move the horizon",
            ("start", "weeks"))
    rules, srules = Rules(), ScheduleRules()
    try:
        rules = Rules(**data.get("rules", {}))
    except RuleError as exc:
        bad("rules", exc.field, exc.message, exc.others)
    try:
        srules = ScheduleRules(**sched)
        if festivals is not None:
            srules = srules.replace(festivals=tuple(_festival(f) for f in festivals))
    except RuleError as exc:
        bad("schedule", exc.field, exc.message, exc.others)
    bank = dict(data.get("timebank", {}))
    ledger, members = bank.pop("ledger", None), bank.pop("members", None)
    timebank = TimebankRules()
    try:
        timebank = TimebankRules(**bank)
    except RuleError as exc:
        bad("timebank", exc.field, exc.message)
    steps = {"pair": True, "schedule": start is not None and weeks is not None,
             "replan": False, **data.get("run", {})}
    if steps["schedule"] and (start is None or weeks is None):
        problems.append(InputIssue(path.name, "[run] schedule needs [schedule] start and weeks"))
    if problems:
        raise InputError(problems)
    solver = data.get("solver", {})
    if isinstance(solver.get("cluster"), str):
        try:
            check_spec(solver["cluster"])
        except InputError as exc:
            bad("solver", "cluster", exc.problems[0].message)
            raise InputError(problems) from None
    return Scenario(path=path, name=data.get("name", path.stem),
                    description=data.get("description", ""), inputs=inputs, rules=rules,
                    schedule_rules=srules, start=start, weeks=weeks, lang=lang,
                    from_date=from_date, previous=Path(previous) if previous else None,
                    time_limit=float(solver.get("time_limit", 60.0)),
                    deterministic_time=(float(solver["deterministic_time"])
                                        if "deterministic_time" in solver else None),
                    seed=int(solver.get("seed", 0)), workers=solver.get("workers"),
                    steps=steps, whatif=dict(data.get("whatif", {})), raw=data,
                    timebank_rules=timebank, ledger=Path(ledger) if ledger else None,
                    members=Path(members) if members else None,
                    timebank_keys=tuple(sorted(bank)), coords=coords,
                    cluster=solver.get("cluster"))


def _festival(entry: object) -> tuple[str, str, int, int]:
    """A festival table entry ``{ name, name_zh, month, day }`` (lunar month and day)."""
    if not isinstance(entry, dict) or not {"name", "month", "day"} <= set(entry) \
            or not all(isinstance(entry[k], int) and not isinstance(entry[k], bool)
                       for k in ("month", "day")):
        raise RuleError("festivals", f"entry {entry!r} needs name, month and day (whole "
                                     "numbers: the lunar month and day)")
    return (str(entry["name"]), str(entry.get("name_zh", entry["name"])), entry["month"],
            entry["day"])


# -- what-if edits, on the input tables as text ---------------------------------------------

@dataclass
class Tables:
    """The input tables as text cells, before and after the scenario's edits."""

    volunteers: pd.DataFrame
    elders: pd.DataFrame
    relations: pd.DataFrame | None
    pairs: pd.DataFrame | None
    leaving: list[str] = field(default_factory=list)


def read_tables(sc: Scenario) -> Tables:
    """Read the scenario's input files as text tables."""
    from matching.world.read import read_table

    get = sc.inputs.get
    return Tables(read_table(sc.inputs["volunteers"]), read_table(sc.inputs["elders"]),
                  read_table(get("relations")) if get("relations") else None,
                  read_table(get("pairs")) if get("pairs") else None)


def apply_whatif(sc: Scenario, t: Tables, paired: set[str] | None = None) -> Tables:
    """Apply the what-if edits; ``leaving`` is decided here (by id and by seeded share)."""
    from matching.world.read import read_table

    w = sc.whatif
    vols, elds = t.volunteers.copy(), t.elders.copy()
    if "extra_volunteers" in w:
        vols = pd.concat([vols, read_table(w["extra_volunteers"])], ignore_index=True)
    if "joining_elders" in w:
        elds = pd.concat([elds, read_table(w["joining_elders"])], ignore_index=True)
    vols = vols.fillna("")
    elds = elds.fillna("")
    for change in w.get("capacity", []):
        _edit(vols, change, ("max_elders", "weekly_minutes"), sc.path.name, "capacity")
    for change in w.get("available_days", []):
        _edit(vols, change, ("available_days",), sc.path.name, "available_days")
    leaving = [str(v) for v in w.get("leaving", [])]
    share = float(w.get("leaving_share", 0.0))
    if share > 0:
        pool = sorted(paired if (paired and w.get("leaving_from", "paired") == "paired")
                      else set(vols["volunteer_id"]))
        rng = np.random.default_rng(int(w.get("leaving_seed", 0)))
        k = round(share * len(pool))
        leaving += [str(v) for v in rng.choice(pool, size=k, replace=False)]
    unknown = sorted(set(leaving) - set(vols["volunteer_id"]))
    if unknown:
        raise InputError.one(sc.path.name, f"[whatif] leaving names no volunteer: "
                                           f"{', '.join(unknown)}")
    return Tables(vols, elds, t.relations, t.pairs, sorted(set(leaving)))


def _edit(frame: pd.DataFrame, change: dict[str, Any], columns: tuple[str, ...], file: str,
          key: str) -> None:
    if not isinstance(change, dict) or "volunteer_id" not in change:
        raise InputError.one(file, f"[whatif] {key} entries need a volunteer_id "
                                   "(or \"*\" for everyone)")
    who = str(change["volunteer_id"])
    rows = frame.index if who == "*" else frame.index[frame["volunteer_id"] == who]
    if not len(rows):
        raise InputError.one(file, f"[whatif] {key}: no volunteer {who}")
    for column in columns:
        if column in change:
            if column not in frame.columns:
                frame[column] = ""
            frame.loc[rows, column] = str(change[column])
    if "remove_days" in change:  # e.g. winter: nobody visits on Sundays
        from matching.world.parse import format_days, parse_days

        drop = parse_days(str(change["remove_days"]))
        if "available_days" not in frame.columns:
            frame["available_days"] = ""
        for row in rows:
            left = parse_days(frame.at[row, "available_days"]) & ~drop
            frame.at[row, "available_days"] = format_days(left) if left else \
                frame.at[row, "available_days"]


# -- running -----------------------------------------------------------------------------------

def run_scenario(sc: Scenario, out: Path, progress: Callable[[str], None] | None = None,
                 *, headers: str = "en", pseudonymise: bool = False,
                 key: Path | None = None) -> dict[str, Any]:
    """Run what the scenario asks for and write the self-contained output folder.

    ``headers`` and ``pseudonymise`` are as in :func:`matching.outputs.write.write_outputs`; with
    ``pseudonymise`` the key is written to ``key`` (default: beside the folder, see
    :func:`matching.outputs.privacy.key_path`).

    Returns the figures written to ``summary.json``.
    """
    with open_cluster(sc.cluster) as cluster:
        return _run(sc, out, progress, headers, pseudonymise, key, cluster)


def _run(sc: Scenario, out: Path, progress: Callable[[str], None] | None, headers: str,
         pseudonymise: bool, key: Path | None, cluster: Cluster | None) -> dict[str, Any]:
    import matching
    from matching.ledger import apply_feedback, even_out, open_ledger, read_members
    from matching.outputs.write import schedule_files, versions, write_outputs
    from matching.pairing import replan as rp
    from matching.schedule import schedule_world
    from matching.world.read import read_table, read_world

    say = progress or (lambda _m: None)
    clock = time.perf_counter()
    # one budget for the whole run: each solving step gets an equal share of what is left,
    # so a step that finishes early leaves its time to the next
    budget = Budget(sc.time_limit, clock)
    replanning = bool(sc.steps.get("replan") or sc.whatif.get("leaving")
                      or sc.whatif.get("leaving_share"))
    scheduling = bool(sc.steps.get("schedule") and sc.start is not None
                      and sc.weeks is not None)
    steps_left = [1 + replanning + scheduling]

    def share() -> float:
        seconds = budget.left() / max(1, steps_left[0])
        steps_left[0] -= 1
        return seconds

    pairing_steps = 1 + replanning

    def work_share() -> float | None:
        # the deterministic time goes to the pairing steps alike (a schedule needs none)
        return (None if sc.deterministic_time is None
                else sc.deterministic_time / pairing_steps)

    timings: dict[str, float] = {}
    tables = read_tables(sc)
    figures: dict[str, Any] = {"scenario": sc.name}
    baseline = None
    if replanning:
        say("pairing the world before the what-if")
        before = apply_whatif(dataclasses.replace(sc, whatif={}), tables)
        world0 = read_world(before.volunteers, before.elders, before.relations, before.pairs,
                            rules=sc.rules, coords=sc.coords)
        baseline = matching.solve(matching.build_problem(world0), time_limit=share(),
                                  deterministic_time=work_share(),
                                  seed=sc.seed, workers=sc.workers, cluster=cluster)
        timings["baseline_pair"] = time.perf_counter() - clock
    paired = set(baseline.assignments["volunteer_id"]) if baseline is not None else None
    edited = apply_whatif(sc, tables, paired)
    world = read_world(edited.volunteers, edited.elders, edited.relations, edited.pairs,
                       rules=sc.rules, coords=sc.coords)
    feedback, fairness = None, False
    if sc.ledger is not None:
        say("reading the time bank's ledger")
        members = read_members(sc.members) if sc.members is not None else None
        with open_ledger(sc.ledger, create=False) as ledger:
            bank_rules = ledger.rules.replace(**{k: getattr(sc.timebank_rules, k)
                                                 for k in sc.timebank_keys})
            world, feedback = apply_feedback(world, ledger, members, bank_rules)
            fairness = bank_rules.fairness
        # the rules in effect go into the scenario kept with the plan, to run it again
        sc = dataclasses.replace(sc, timebank_rules=bank_rules,
                                 timebank_keys=tuple(f.name for f in
                                                     dataclasses.fields(TimebankRules)))
        figures["timebank"] = feedback.figures()
    stay = world
    if edited.leaving:
        stay = rp.without_volunteers(world, set(edited.leaving))
    files: dict[str, pd.DataFrame] = {}
    texts: dict[str, str | bytes] = {}
    status = None
    if baseline is not None:
        say(f"{len(edited.leaving)} volunteers leave; re-planning")
        previous = dict(zip(baseline.assignments["elder_id"],
                            baseline.assignments["volunteer_id"], strict=True))
        result = rp.replan(world, previous, set(edited.leaving), time_limit=share(),
                           deterministic_time=work_share(),
                           seed=sc.seed, workers=sc.workers, cluster=cluster,
                           reasons=feedback.reasons() if feedback else None)
        files.update({"assignments.csv": result.assignments,
                      "unassigned.csv": result.unassigned, "changes.csv": result.changes,
                      "baseline/assignments.csv": baseline.assignments,
                      "baseline/unassigned.csv": baseline.unassigned})
        figures["replan"] = {k: v for k, v in result.figures.items() if k != "residual"}
        status = result.figures["status"]
        assignments = result.assignments
        timings["replan"] = time.perf_counter() - clock - sum(timings.values())
    else:
        say("pairing")
        pairing = matching.solve(matching.build_problem(stay), time_limit=share(),
                                 deterministic_time=work_share(),
                                 seed=sc.seed, workers=sc.workers, progress=say,
                                 cluster=cluster)
        if feedback is not None and fairness:
            pairing = even_out(pairing, feedback.recent_hours)
        files.update({"assignments.csv": pairing.assignments,
                      "unassigned.csv": pairing.unassigned})
        figures["pairing"] = pairing.figures()
        status = str(pairing.status)
        assignments = pairing.assignments
        timings["pair"] = time.perf_counter() - clock
    schedule_result = None
    if scheduling:
        say(f"scheduling {sc.weeks} weeks from {sc.start}")
        t0 = time.perf_counter()
        schedule_result = schedule_world(
            stay, assignments, sc.start, sc.weeks, sc.schedule_rules, from_date=sc.from_date,
            previous=read_table(sc.previous) if sc.previous is not None else None,
            time_limit=float("inf") if sc.deterministic_time is not None else share(),
            seed=sc.seed, progress=say)
        timings["schedule"] = time.perf_counter() - t0
        figures["schedule"] = dict(schedule_result.stats)
    # the inputs actually planned for: after the edits, without those who left
    gone = set(edited.leaving)
    # (as read: WGS-84 coordinates, contract headers; with a ledger, the priorities and
    # refusals it added are part of what was planned for)
    volunteers = world.sources["volunteers"]
    files["inputs/volunteers.csv"] = volunteers[~volunteers["volunteer_id"].isin(gone)]
    files["inputs/elders.csv"] = world.sources["elders"]
    relations = world.sources.get("relations") if feedback else edited.relations
    if relations is not None:
        files["inputs/relations.csv"] = relations[~relations["volunteer_id"].isin(gone)]
    if edited.pairs is not None:
        files["inputs/pairs.csv"] = edited.pairs[~edited.pairs["volunteer_id"].isin(gone)]
    if gone:  # the whole rows, so that a before-and-after can still place them
        files["inputs/leaving.csv"] = volunteers[volunteers["volunteer_id"].isin(gone)]
    timings["total"] = time.perf_counter() - clock
    run_info = {
        "command": "run", "scenario": sc.name, "scenario_file": sc.path.name,
        "start": sc.start.isoformat() if sc.start else None, "weeks": sc.weeks,
        "from": sc.from_date.isoformat() if sc.from_date else None,
        "seed": sc.seed, "time_limit": sc.time_limit,
        "deterministic_time": sc.deterministic_time, "workers": sc.workers,
        "status": status, "pseudonymised": pseudonymise, "versions": versions(),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    texts["run.json"] = json.dumps(run_info, indent=2, ensure_ascii=False) + "\n"
    texts["scenario.toml"] = dump_toml(sc)
    texts["summary.json"] = json.dumps(figures, indent=2, ensure_ascii=False,
                                       default=str) + "\n"
    say("writing outputs")
    if schedule_result is not None:
        tables, extra = schedule_files(schedule_result, sc.lang, pseudonymise=pseudonymise)
        tables.pop("assignments.csv")  # the pairing's own, with every column, is written
        files.update(tables)
        texts.update(extra)
    if pseudonymise:
        from matching.outputs.privacy import key_path, write_key

        write_key(world, key or key_path(out))
    write_outputs(out, files, texts, headers=headers, pseudonymise=pseudonymise)
    return figures


def dump_toml(sc: Scenario) -> str:
    """The resolved scenario as TOML (base merged in, paths absolute, defaults filled)."""
    lines = [f"# resolved from {sc.path.name}", f"name = {_toml(sc.name)}"]
    if sc.description:
        lines.append(f"description = {_toml(sc.description)}")
    lines += ["", "[inputs]"] + [f"{k} = {_toml(str(v))}" for k, v in sc.inputs.items()]
    lines.append(f"coords = {_toml(sc.coords)}")
    lines += ["", "[rules]"] + [f"{f.name} = {_toml(getattr(sc.rules, f.name))}"
                                for f in dataclasses.fields(Rules)]
    lines += ["", "[schedule]"]
    if sc.start is not None:
        lines += [f"start = {sc.start.isoformat()}", f"weeks = {sc.weeks}"]
    if sc.from_date is not None:
        lines.append(f"from = {sc.from_date.isoformat()}")
    if sc.previous is not None:
        lines.append(f"previous = {_toml(str(sc.previous))}")
    lines.append(f"lang = {_toml(sc.lang)}")
    for f in dataclasses.fields(ScheduleRules):
        value = getattr(sc.schedule_rules, f.name)
        if f.name == "festivals":
            items = ", ".join(f"{{ name = {_toml(n)}, name_zh = {_toml(z)}, month = {m}, "
                              f"day = {d} }}" for n, z, m, d in value)
            lines.append(f"festivals = [{items}]")
        else:
            lines.append(f"{f.name} = {_toml(value)}")
    lines += ["", "[solver]", f"time_limit = {_toml(sc.time_limit)}", f"seed = {sc.seed}"]
    if sc.deterministic_time is not None:
        lines.append(f"deterministic_time = {_toml(sc.deterministic_time)}")
    if sc.workers is not None:
        lines.append(f"workers = {sc.workers}")
    if sc.cluster is not None:
        lines.append(f"cluster = {_toml(sc.cluster)}")
    lines += ["", "[run]"] + [f"{k} = {_toml(v)}" for k, v in sc.steps.items()]
    if sc.whatif:
        lines += ["", "[whatif]"] + [f"{k} = {_toml(v)}" for k, v in sc.whatif.items()]
    if sc.ledger is not None or sc.timebank_keys:
        lines += ["", "[timebank]"]
        if sc.ledger is not None:
            lines.append(f"ledger = {_toml(str(sc.ledger))}")
        if sc.members is not None:
            lines.append(f"members = {_toml(str(sc.members))}")
        lines += [f"{key} = {_toml(getattr(sc.timebank_rules, key))}"
                  for key in sc.timebank_keys]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)
