"""Scenario files: a whole plan in a few lines of TOML, repeatable and comparable.

A scenario names the inputs, overrides any rule or default, sets the horizon and the solver,
and applies what-if edits; :func:`run_scenario` turns it into a self-contained output folder.
See the README for the complete, annotated format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.rules.distance import DistanceRules
from matching.rules.errors import InputError, InputIssue, RuleError
from matching.rules.limits import CONTACT_CHARS, fit_contact
from matching.rules.pairing import Rules
from matching.rules.timebank import TimebankRules
from matching.runtime.cluster import check_spec
from matching.schedule import ScheduleRules
from matching.world.coords import SYSTEMS

_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "inputs": {"volunteers": str, "elders": str, "relations": str, "pairs": str,
               "assignments": str, "coords": (str, dict)},
    "rules": {f.name: (int, float) for f in dataclasses.fields(Rules)},
    "schedule": {"start": dt.date, "weeks": int, "lang": str, "festivals": list,
                 "from": dt.date, "previous": str, "contact": str,
                 **{f.name: (str,) if f.type in ("str", str) else (int, float)
                    for f in dataclasses.fields(ScheduleRules) if f.name != "festivals"}},
    "distance": {"streets": str, **{f.name: (int, float)
                                    for f in dataclasses.fields(DistanceRules)}},
    "solver": {"time_limit": (int, float), "deterministic_time": (int, float), "seed": int,
               "workers": int, "cluster": str},
    "run": {"pair": bool, "schedule": bool, "replan": bool},
    "whatif": {"leaving": list, "leaving_share": (int, float), "leaving_seed": int,
               "leaving_from": str, "extra_volunteers": str, "joining_elders": str,
               "capacity": list, "available_days": list},
    "timebank": {"ledger": str, "members": str,
                 **{f.name: (bool,) if f.type in ("bool", bool) else
                    (str,) if f.type in ("str", str) else (int, float)
                    for f in dataclasses.fields(TimebankRules)}},
}
_TOP = {"name": str, "description": str, "base": str}
_PATH_KEYS = {("inputs", k) for k in _SECTIONS["inputs"] if k != "coords"} | {
    ("whatif", "extra_volunteers"), ("whatif", "joining_elders"), ("schedule", "previous"),
    ("timebank", "ledger"), ("timebank", "members"), ("distance", "streets")}
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
    #: The coordinator's contact, printed on every volunteer's rota.
    contact: str = ""
    #: The coordinate system of the input files: one for all, or one per file.
    coords: str | dict[str, str] = "wgs84"
    #: Where the pairing's parts are solved (``local:N`` or a Dask scheduler's address).
    cluster: str | None = None
    #: Bound the searches by counted work instead of the clock (``--deterministic-time``).
    deterministic_time: float | None = None
    #: The rules of distance (``[distance]``): detour factor, snapping distance.
    distance: DistanceRules = field(default_factory=DistanceRules)
    #: The OpenStreetMap extract walked on (``[distance] streets``), or ``None``.
    streets: Path | None = None


#: The environment variable that names the bundled scenarios' folder, for a notebook run
#: from elsewhere (papermill, ``jupyter nbconvert --execute``, a copy).
SCENARIOS_VARIABLE = "MATCHING_SCENARIOS"

#: A file every bundled scenarios folder holds (how :func:`find_scenarios` knows it).
SCENARIOS_MARK = "minle.toml"


def find_scenarios(given: str | Path | None = None) -> Path:
    """The bundled scenarios' folder: ``given`` if set, else the folder named by the
    ``MATCHING_SCENARIOS`` environment variable, else a ``scenarios`` folder holding
    ``minle.toml`` in the current folder or any folder above it, else the one beside the
    package's source (an editable install). So a notebook runs from anywhere.

    Raises
    ------
    FileNotFoundError
        Saying where it looked.
    """
    if given is not None:
        folder = Path(given).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(f"no scenarios folder at {folder}")
        return folder.resolve()
    if os.environ.get(SCENARIOS_VARIABLE):
        return find_scenarios(os.environ[SCENARIOS_VARIABLE])
    here = Path.cwd().resolve()
    source = Path(__file__).resolve().parents[3]
    for folder in [*(p / "scenarios" for p in (here, *here.parents)), source / "scenarios"]:
        if (folder / SCENARIOS_MARK).is_file():
            return folder
    raise FileNotFoundError(f"no scenarios folder found above {here} or beside the package; "
                            f"name one with {SCENARIOS_VARIABLE}")


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
        raise InputError.one(name, "scenario.loop")
    if not path.is_file():
        raise InputError.one(name, "input.file_not_found", path=str(path))
    text = path.read_text(encoding="utf-8")
    texts.append((name, text))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(name, "scenario.not_toml", detail=str(exc)) from None
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

    def where(key: str, section: str | None) -> dict[str, object]:
        return _key_part(_line(text, key, section), f"{section}.{key}" if section else key)

    for key, value in data.items():
        if key in _TOP:
            if not isinstance(value, str):
                problems.append(InputIssue(path.name, "scenario.must_be_text",
                                           key=where(key, None)))
            continue
        if key not in _SECTIONS:
            problems.append(InputIssue(path.name, "scenario.unknown_section",
                                       key=where(key, None),
                                       expected=", ".join(sorted(_TOP | _SECTIONS))))
            continue
        if not isinstance(value, dict):
            problems.append(InputIssue(path.name, "scenario.must_be_table",
                                       key=where(key, None), name=key))
            continue
        allowed = _SECTIONS[key]
        for sub, item in value.items():
            if sub not in allowed:
                problems.append(InputIssue(path.name, "scenario.unknown_key",
                                           key=where(sub, key),
                                           expected=", ".join(sorted(allowed))))
                continue
            want = allowed[sub]
            kinds = want if isinstance(want, tuple) else (want,)
            if dt.date in kinds and isinstance(item, str):
                # a date in quotes is text to TOML: take it as the date it spells
                try:
                    item = value[sub] = dt.date.fromisoformat(item.strip())
                except ValueError:
                    problems.append(InputIssue(path.name, "scenario.not_a_date",
                                               key=where(sub, key), given=repr(item)))
                    continue
            ok = isinstance(item, kinds) and not (isinstance(item, bool) and bool not in kinds)
            if not ok:
                problems.append(InputIssue(path.name, "scenario.wrong_type", key=where(sub, key),
                                           kinds=[_KIND_WORDS.get(k, k.__name__) for k in kinds],
                                           given=repr(item)))
    if "base" in data and isinstance(data["base"], str):
        base = (path.parent / data["base"]).resolve()
        if not base.is_file():
            problems.append(InputIssue(path.name, "scenario.missing_path",
                                       key=where("base", None), given=data["base"]))
    for section, key in _PATH_KEYS:
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if isinstance(value, str) and not (path.parent / value).exists():
            problems.append(InputIssue(path.name, "scenario.missing_path",
                                       key=where(key, section), given=value))
    return problems


#: The words of a setting's type, for messages.
_KIND_WORDS = {str: "kind.text", int: "kind.whole", float: "kind.number", bool: "kind.bool",
               list: "kind.list", dt.date: "kind.date", dict: "kind.table"}


def _key_part(line: int | None, key: str) -> dict[str, object]:
    """A setting as messages name it: ``key schedule.weeks (line 12)``."""
    return {"code": "scenario.key_line" if line else "scenario.key",
            "params": {"key": key, "line": line}}


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
    problems = [InputIssue(path.name, "scenario.needs_input", name=k)
                for k in ("volunteers", "elders") if k not in inputs]

    def where(section: str, key: str) -> tuple[str, dict[str, object]]:
        """The file (the first of the chain that sets the key) and ``key s.k (line N)``."""
        for name, text in texts:
            line = _line(text, key, section)
            if line is not None:
                return name, _key_part(line, f"{section}.{key}")
        return path.name, _key_part(None, f"{section}.{key}")

    def bad(section: str, key: str, code: str, others: tuple[str, ...] = (),
            **params: object) -> None:
        name, first = where(section, key)
        what = {"code": code, "params": params}
        set_too = [where(section, k)[1] for k in others  # settings that contradict each other
                   if any(_line(t, k, section) is not None for _, t in texts)]
        if set_too:
            problems.append(InputIssue(name, "scenario.contradicts", key=first,
                                       others=set_too, what=what))
        else:
            problems.append(InputIssue(name, "scenario.setting", key=first, what=what))

    coords = data.get("inputs", {}).get("coords", "wgs84")
    for file, system in (coords.items() if isinstance(coords, dict) else [("", coords)]):
        if file and file not in ("volunteers", "elders"):
            bad("inputs", "coords", "scenario.coords_file", file=file)
        elif system not in SYSTEMS:
            bad("inputs", "coords", "scenario.coords_system", systems=", ".join(SYSTEMS),
                system=system)
    sched = dict(data.get("schedule", {}))
    start = sched.pop("start", None)
    weeks = sched.pop("weeks", None)
    lang = sched.pop("lang", "zh")
    from_date = sched.pop("from", None)
    previous = sched.pop("previous", None)
    festivals = sched.pop("festivals", None)
    contact = sched.pop("contact", "")
    if isinstance(contact, str) and not fit_contact(contact):
        bad("schedule", "contact", "scenario.contact", most=CONTACT_CHARS)
    if lang not in LANGUAGES:
        bad("schedule", "lang", "scenario.lang", langs=", ".join(LANGUAGES), lang=lang)
    if weeks is not None and weeks < 1:
        bad("schedule", "weeks", "scenario.weeks", weeks=weeks)
    elif from_date is not None and start is not None and weeks is not None and not (
            start <= from_date < start + dt.timedelta(weeks=weeks)):
        end = start + dt.timedelta(weeks=weeks, days=-1)
        bad("schedule", "from", "scenario.from_outside", ("start", "weeks"),
            from_date=str(from_date), start=str(start), end=str(end))
    rules, srules = Rules(), ScheduleRules()
    try:
        rules = Rules(**data.get("rules", {}))
    except RuleError as exc:
        bad("rules", exc.field, exc.code, exc.others, **exc.params)
    try:
        srules = ScheduleRules(**sched)
        if festivals is not None:
            srules = srules.replace(festivals=tuple(_festival(f) for f in festivals))
    except RuleError as exc:
        bad("schedule", exc.field, exc.code, exc.others, **exc.params)
    distance_settings = dict(data.get("distance", {}))
    streets = distance_settings.pop("streets", None)
    distance = DistanceRules()
    try:
        distance = DistanceRules(**distance_settings)
    except RuleError as exc:
        bad("distance", exc.field, exc.code, **exc.params)
    bank = dict(data.get("timebank", {}))
    ledger, members = bank.pop("ledger", None), bank.pop("members", None)
    timebank = TimebankRules()
    try:
        timebank = TimebankRules(**bank)
    except RuleError as exc:
        bad("timebank", exc.field, exc.code, **exc.params)
    steps = {"pair": True, "schedule": start is not None and weeks is not None,
             "replan": False, **data.get("run", {})}
    if steps["schedule"] and (start is None or weeks is None):
        problems.append(InputIssue(path.name, "scenario.schedule_needs_dates"))
    if problems:
        raise InputError(problems)
    solver = data.get("solver", {})
    if isinstance(solver.get("cluster"), str):
        try:
            check_spec(solver["cluster"])
        except InputError as exc:
            bad("solver", "cluster", exc.problems[0].code, **exc.problems[0].params)
            raise InputError(problems) from None
    return Scenario(path=path, name=data.get("name", path.stem),
                    description=data.get("description", ""), inputs=inputs, rules=rules,
                    schedule_rules=srules, start=start, weeks=weeks, lang=lang,
                    contact=contact, from_date=from_date,
                    previous=Path(previous) if previous else None,
                    time_limit=float(solver.get("time_limit", 60.0)),
                    deterministic_time=(float(solver["deterministic_time"])
                                        if "deterministic_time" in solver else None),
                    seed=int(solver.get("seed", 0)), workers=solver.get("workers"),
                    steps=steps, whatif=dict(data.get("whatif", {})), raw=data,
                    timebank_rules=timebank, ledger=Path(ledger) if ledger else None,
                    members=Path(members) if members else None,
                    timebank_keys=tuple(sorted(bank)), coords=coords,
                    cluster=solver.get("cluster"), distance=distance,
                    streets=Path(streets) if streets else None)


def _festival(entry: object) -> tuple[str, str, int, int]:
    """A festival table entry ``{ name, name_zh, month, day }`` (lunar month and day)."""
    if not isinstance(entry, dict) or not {"name", "month", "day"} <= set(entry) \
            or not all(isinstance(entry[k], int) and not isinstance(entry[k], bool)
                       for k in ("month", "day")):
        raise RuleError("festivals", "scenario.festival_entry", entry=repr(entry))
    return (str(entry["name"]), str(entry.get("name_zh", entry["name"])), entry["month"],
            entry["day"])


def dump_toml(sc: Scenario) -> str:
    """The resolved scenario as TOML (base merged in, paths absolute, defaults filled)."""
    lines = [f"# resolved from {sc.path.name}", f"name = {_toml(sc.name)}"]
    if sc.description:
        lines.append(f"description = {_toml(sc.description)}")
    lines += ["", "[inputs]"] + [f"{k} = {_toml(str(v))}" for k, v in sc.inputs.items()]
    lines.append(f"coords = {_toml(sc.coords)}")
    lines += ["", "[rules]"] + [f"{f.name} = {_toml(getattr(sc.rules, f.name))}"
                                for f in dataclasses.fields(Rules)]
    lines += ["", "[distance]"] + [f"{f.name} = {_toml(getattr(sc.distance, f.name))}"
                                   for f in dataclasses.fields(DistanceRules)]
    if sc.streets is not None:
        lines.append(f"streets = {_toml(str(sc.streets))}")
    lines += ["", "[schedule]"]
    if sc.start is not None:
        lines += [f"start = {sc.start.isoformat()}", f"weeks = {sc.weeks}"]
    if sc.from_date is not None:
        lines.append(f"from = {sc.from_date.isoformat()}")
    if sc.previous is not None:
        lines.append(f"previous = {_toml(str(sc.previous))}")
    lines.append(f"lang = {_toml(sc.lang)}")
    if sc.contact:
        lines.append(f"contact = {_toml(sc.contact)}")
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
