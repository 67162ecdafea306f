"""What the console's pages and API do, in one place: check uploads, start runs, read
results and make the hand-outs. The pages and the API only translate to and from HTTP."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matching.analysis.doctor import Diagnosis, diagnose
from matching.catalogue import say
from matching.console.links import COMMENT_CHARS, RATINGS, REASON_CHARS, STATUSES, Links
from matching.console.runs import Job, RunQueue
from matching.console.store import (
    INPUT_KINDS,
    INPUT_SUFFIXES,
    STREETS_NAME,
    NotFound,
    Store,
    private_folder,
    read_json,
    write_json,
)
from matching.ledger import (
    Ledger,
    TimebankRules,
    alliance,
    open_ledger,
    read_done,
    statement_html,
)
from matching.ledger.book import MINUTES_PER_HOUR, minutes_of_hours
from matching.ledger.done import activity_key
from matching.ledger.statement import passbook_html, statement_lines
from matching.outputs.folder import load_run
from matching.outputs.tables import Names
from matching.outputs.workbook import workbook_bytes
from matching.outputs.write import csv_bytes, write_private
from matching.programme.journal import Entered, Journal
from matching.programme.notify import notifications, notify_sheet
from matching.programme.roster import Roster, check_change, roster_as_of
from matching.rules import limits
from matching.rules.errors import InputError, InputIssue, RuleError
from matching.rules.exchange import CONFIRMED_ACTIVITIES
from matching.rules.ids import inside
from matching.rules.limits import STREETS_UPLOAD_BYTES
from matching.rules.schedule import ScheduleRules
from matching.runtime.database import schema_for
from matching.schedule.horizon import monday_of
from matching.workflows.scenario import load_scenario
from matching.world.columns import ELDER_ID, VOLUNTEER_ID, chinese
from matching.world.places import KnownPlaces
from matching.world.read import read_table, read_world
from matching.world.streets import load_streets
from matching.world.streets.network import cache_path

#: The largest input file the console accepts (a county's roster is a few MB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

#: What an .xlsx file starts with (it is a zip archive).
ZIP_MAGIC = b"PK\x03\x04"

#: The share of a run's progress its command takes (the rest is the hand-outs).
PLAN_SHARE = 0.98

#: A run's defaults: a pairing and a 13-week schedule from the next Monday.
DEFAULT_WEEKS = 13
DEFAULT_TIME_LIMIT = 60.0

#: The longest horizon and time limit a run may ask for (a year; an hour).
MAX_WEEKS = 53
#: The schedule's rules a run starts from (the plan form changes some of them).
SCHEDULE_DEFAULTS = ScheduleRules()
#: Longest programme times a form may give, and the widest gap between calls (minutes).
MAX_TIMES_CHARS = 80
MAX_CALL_SPACING = 120
MAX_TIME_LIMIT = 3600.0
#: The shortest time limit a run may ask for: below a second no run writes its outputs.
MIN_TIME_LIMIT = 1.0
#: The days a schedule may start on: this century (the festivals' lunar calendar covers
#: it; a year such as 0032 is a slip of the keyboard).
EARLIEST_START = dt.date(2000, 1, 1)
LATEST_START = dt.date(2099, 12, 31)

#: The most problems an answer lists; the rest are counted (a file wrong on every row of
#: 100,000 would otherwise answer with megabytes of the same sentence).
MAX_SHOWN_PROBLEMS = 200


class UploadRefused(ValueError):
    """An upload that is not saved, with the problems found (as ``matching doctor``):
    the first :data:`MAX_SHOWN_PROBLEMS` in ``problems``, and how many in ``count``."""

    def __init__(self, problems: list[InputIssue], diagnosis: Diagnosis | None = None) -> None:
        super().__init__("; ".join(map(str, problems[:3])))
        self.count = len(problems)
        self.problems = problems[:MAX_SHOWN_PROBLEMS]
        self.diagnosis = diagnosis


class RunOptions(BaseModel):
    """What a coordinator chooses for a run, with its bounds: the one model that the run
    form, the JSON API and a re-plan all fill in. ``{}`` gives a pairing and a 13-week
    schedule from the next Monday."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.date | None = Field(None, ge=EARLIEST_START, le=LATEST_START,
                                  description="the schedule's first day, a Monday, "
                                              f"{EARLIEST_START} to {LATEST_START}")
    weeks: int = Field(DEFAULT_WEEKS, ge=1, le=MAX_WEEKS)
    time_limit: float = Field(DEFAULT_TIME_LIMIT, ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT,
                              description="seconds the run may take")
    seed: int = Field(0, ge=0)
    lang: Literal["zh", "en"] = "zh"
    schedule: bool = True
    leaving: list[str] = Field(default_factory=list, max_length=limits.UPLOAD.rows,
                               description="ids of volunteers who leave (a re-plan)")
    contact: str = Field("", max_length=limits.CONTACT_CHARS,
                         description="the coordinator's name and phone, printed on every "
                                     "volunteer's rota")
    visit_times: str = Field(SCHEDULE_DEFAULTS.visit_times, max_length=MAX_TIMES_CHARS,
                             description="when visits go for an elder without preferred "
                                         "times of her own: 上午, 下午, 晚上 or hh:mm-hh:mm")
    call_start: str = Field("08:30", pattern=r"^\d{1,2}:\d{2}$",
                            description="when the day's calls begin, hh:mm")
    call_spacing_minutes: int = Field(SCHEDULE_DEFAULTS.call_spacing_minutes, ge=0,
                                      le=MAX_CALL_SPACING,
                                      description="minutes between one volunteer's calls")

    @field_validator("contact")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not limits.fit_contact(value):
            raise ValueError("not one printable line")
        return value

    @model_validator(mode="after")
    def _schedule_rules(self) -> RunOptions:
        self.schedule_rules()  # the one place the rules are checked
        return self

    def schedule_rules(self) -> ScheduleRules:
        """The schedule's rules these options set (the rest are the programme's defaults).

        Raises
        ------
        ValueError
            If the times are not times of day, or fall outside it.
        """
        hours, minutes = (int(x) for x in self.call_start.split(":"))
        try:
            return SCHEDULE_DEFAULTS.replace(visit_times=self.visit_times,
                                             call_start=hours * 60 + minutes,
                                             call_spacing_minutes=self.call_spacing_minutes)
        except RuleError as exc:
            raise ValueError(f"rule:{exc.field}") from None

    def first_day(self, today: dt.date) -> dt.date:
        """The schedule's first day: the given Monday, else the Monday after ``today``."""
        return self.start or monday_of(today) + dt.timedelta(days=7)


#: The settings a programme keeps from run to run (the plan form shows its latest run's).
KEPT_OPTIONS = ("contact", "visit_times", "call_start", "call_spacing_minutes", "weeks",
                "time_limit")


def programme_defaults(asked: dict) -> dict[str, object]:
    """The kept settings of a run's request (those it has: older runs have fewer)."""
    return {k: asked[k] for k in KEPT_OPTIONS if k in asked and k not in ("weeks",
                                                                        "time_limit")}


def plan_defaults(store: Store, programme: str) -> RunOptions:
    """The plan form's values: the programme's latest run's settings, else the defaults."""
    runs = store.runs(programme)
    for run in reversed(runs):
        path = store.run_dir(run["id"]) / "request.json"
        if path.is_file():
            asked = read_json(path)
            try:
                return RunOptions(**{k: asked[k] for k in KEPT_OPTIONS if k in asked})
            except ValidationError:
                break
    return RunOptions()


#: How pydantic's kinds of error read as the catalogue's input codes.
OPTION_ERRORS = {"int_parsing": "input.not_whole_number",
                 "int_from_float": "input.not_whole_number",
                 "float_parsing": "input.not_a_number",
                 "date_from_datetime_parsing": "upload.bad_date",
                 "date_parsing": "upload.bad_date",
                 "greater_than_equal": "input.at_least", "greater_than": "input.more_than",
                 "less_than_equal": "input.at_most",
                 "string_too_long": "scenario.contact", "value_error": "scenario.contact"}


def run_options(fields: dict[str, object]) -> RunOptions:
    """A run form's fields as :class:`RunOptions` (blank fields take the defaults).

    Raises
    ------
    InputError
        Naming each field that cannot be read, or lies outside its bounds.
    """
    given = {k: v for k, v in fields.items() if v not in ("", None)}
    try:
        return RunOptions(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "form"
            code = OPTION_ERRORS.get(error["type"], "upload.bad_option")
            bounds = {k: float(v) for k, v in (error.get("ctx") or {}).items()
                      if k in ("ge", "gt", "le")}
            params: dict[str, Any]
            params = ({"low": bounds.get("ge", bounds.get("gt"))} if "ge" in bounds or
                      "gt" in bounds else {"high": bounds["le"]} if "le" in bounds else {})
            message = str(error.get("msg", ""))
            if "rule:" in message:  # a schedule rule the options break, named as the form
                name = message.split("rule:", 1)[1].strip()
                code = "upload.bad_time" if name != "visit_times" else "input.not_times"
                name = {"call_start": "call_start"}.get(name, name)
                params = {}
            if error["type"] == "string_pattern_mismatch":
                code, params = "upload.bad_time", {}
            if code == "upload.bad_date":
                params = {"given": str(given.get(name, ""))}
            elif code == "scenario.contact":
                params = {"most": limits.CONTACT_CHARS}
            problems.append(InputIssue("form", code, column=name,
                                       value=str(given.get(name, "")), **params))
        raise InputError(problems) from None


@dataclass(frozen=True)
class Replan:
    """What a re-plan adds to a run's options: the earlier run whose pairs it keeps where
    they may stay, and whose published schedule it keeps before ``from_date``."""

    previous_run: str | None = None
    from_date: dt.date | None = None


def stage_upload(store: Store, programme: str, uploads: dict[str, tuple[str, bytes]]
                 ) -> tuple[Diagnosis, str, dict[str, dict[str, list]]]:
    """Check uploaded files as :func:`check_upload` does, and keep clean ones aside for
    the coordinator to take (:meth:`Store.stage`): the diagnosis, the token, and what they
    would change (:func:`differences`).

    Raises
    ------
    UploadRefused
        As :func:`check_upload`.
    """
    kept: list[str] = []
    changed: list[dict] = []

    def stage(files: dict[str, Path]) -> None:
        changed.append(differences(store, programme, files))
        kept.append(store.stage(programme, files))
    found = check_upload(store, programme, uploads, keep=stage)
    return found, kept[0], changed[0]


def check_upload(store: Store, programme: str, uploads: dict[str, tuple[str, bytes]],
                 keep: Callable[[dict[str, Path]], None] | None = None) -> Diagnosis:
    """Check uploaded files (kind -> (file name, content)) together with the programme's
    saved ones, and save them only if clean (or hand them to ``keep``); raise
    :class:`UploadRefused` otherwise.

    Each file is first held to :data:`matching.rules.limits.UPLOAD` (rows, and bytes once
    expanded) before any parser reads it. A refused upload leaves nothing behind: the
    programme's folder is made only when its first files are saved.
    """
    problems = []
    for kind, (name, content) in uploads.items():
        problems += _file_problems(kind, name, content)
    if problems:
        raise UploadRefused(problems)
    saved = store.inputs(programme) if programme in store.programmes() else {}
    with tempfile.TemporaryDirectory(prefix="matching-upload-") as tmp:
        staged = {}
        for kind, (name, content) in uploads.items():
            path = inside(tmp, f"{kind}/{_shown_name(name, kind)}")
            write_private(path, content)
            staged[kind] = path
        try:
            for path in staged.values():
                limits.check(path, limits.UPLOAD)
        except InputError as exc:
            raise UploadRefused(exc.problems) from None
        together = {**saved, **staged}
        missing = [k for k in ("volunteers", "elders") if k not in together]
        if missing:
            raise UploadRefused([InputIssue(f"{k}.csv", "upload.missing") for k in missing])
        found = diagnose([together[k] for k in INPUT_KINDS if k in together])
        wrong = [InputIssue(path.name, "upload.holds_other",
                            holds=f"file.{found.files.get(str(path))}", kind=f"file.{kind}")
                 for kind, path in staged.items()
                 if found.files.get(str(path), kind) != kind]
        if wrong or not found.ok:
            raise UploadRefused(wrong + found.problems, found)
        if keep is None:
            store.replace_inputs(programme, staged)
        else:
            keep(staged)
    return found


def differences(store: Store, programme: str, files: dict[str, Path]
                ) -> dict[str, dict[str, list]]:
    """What new files (by kind) change against the programme's saved ones: for the
    volunteers and the elders, the ids ``added`` and ``removed``, and ``changed`` as
    ``(id, [columns])``; for the relations, rows ``added`` and ``removed``."""
    saved = store.inputs(programme) if programme in store.programmes() else {}
    out: dict[str, dict[str, list]] = {}
    for kind, path in files.items():
        new = read_table(path)
        old = read_table(saved[kind]) if kind in saved else new.iloc[0:0]
        if kind == "relations":
            key = [VOLUNTEER_ID, ELDER_ID, "relation"]
            rows = [tuple(r) for r in new.reindex(columns=key).fillna("").to_numpy()]
            before = [tuple(r) for r in old.reindex(columns=key).fillna("").to_numpy()]
            out[kind] = {"added": sorted(set(rows) - set(before)),
                         "removed": sorted(set(before) - set(rows)), "changed": []}
            continue
        own = VOLUNTEER_ID if kind == "volunteers" else ELDER_ID
        a, b = old.set_index(own), new.set_index(own)
        both = sorted(set(a.index) & set(b.index))
        columns = sorted(set(a.columns) | set(b.columns))
        a, b = a.reindex(columns=columns).fillna(""), b.reindex(columns=columns).fillna("")
        changed = [(i, [c for c in columns if str(a.at[i, c]) != str(b.at[i, c])])
                   for i in both]
        out[kind] = {"added": sorted(set(b.index) - set(a.index)),
                     "removed": sorted(set(a.index) - set(b.index)),
                     "changed": [(i, cs) for i, cs in changed if cs]}
    return out


def fingerprints(uploads: dict[str, tuple[str, bytes]]) -> dict[str, dict[str, object]]:
    """What the audit log keeps of an upload: each file's name, size and SHA-256 (not its
    content: names, addresses and phones stay out of the log)."""
    return {kind: {"name": _shown_name(name, kind), "bytes": len(content),
                   "sha256": hashlib.sha256(content).hexdigest()}
            for kind, (name, content) in sorted(uploads.items())}


def _file_problems(kind: str, name: str, content: bytes) -> list[InputIssue]:
    shown = _shown_name(name, kind)
    if kind not in INPUT_KINDS:
        return [InputIssue(shown, "upload.wrong_field", kind=kind, kinds=list(INPUT_KINDS))]
    suffix = Path(shown).suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        return [InputIssue(shown, "upload.wrong_type")]
    if len(content) > MAX_UPLOAD_BYTES:
        return [InputIssue(shown, "upload.too_large", mb=MAX_UPLOAD_BYTES // 2**20)]
    if not content:
        return [InputIssue(shown, "upload.empty")]
    if (suffix == ".xlsx") != content.startswith(ZIP_MAGIC) or \
            (suffix == ".csv" and b"\x00" in content):
        return [InputIssue(shown, "upload.not_what_it_says", suffix=suffix[1:])]
    return []


#: The longest uploaded file name kept for messages (longer ones are shown by their kind).
MAX_SHOWN_NAME = 100


def _shown_name(name: str, kind: str) -> str:
    """The uploaded file's own name for messages (``老人名册.xlsx``), without any folder;
    a name that could not be a plain file name is replaced by the kind and suffix."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    suffix = Path(base).suffix.lower()
    if not base or base.startswith(".") or len(base) > MAX_SHOWN_NAME or \
            not base.isprintable():
        return f"{kind}{suffix if suffix in INPUT_SUFFIXES else ''}"
    return base


def save_streets(store: Store, programme: str, chunks: Iterable[bytes]) -> dict[str, Any]:
    """Check an uploaded street extract and make it the programme's: read whole (its graph
    built and cached), it replaces the one before; the next runs walk on it.

    Raises
    ------
    UploadRefused
        If it is larger than :data:`~matching.rules.limits.STREETS_UPLOAD_BYTES` (counted
        while it arrives), is not an extract, or has no street to walk on; nothing is
        saved then.
    """
    folder = private_folder(store.programme_dir(programme, create=True) / "inputs")
    fd, name = tempfile.mkstemp(dir=folder, prefix=".streets-", suffix=".osm.pbf")
    staged = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > STREETS_UPLOAD_BYTES:
                    raise UploadRefused([InputIssue(STREETS_NAME, "upload.too_large",
                                                    mb=STREETS_UPLOAD_BYTES // 2**20)])
                out.write(chunk)
        try:
            graph = load_streets(staged)
        except (RuntimeError, OSError) as exc:
            raise UploadRefused([InputIssue(STREETS_NAME, "input.streets_unreadable",
                                            error=str(exc).splitlines()[0][:200])]) from None
        if graph.num_edges == 0:
            raise UploadRefused([InputIssue(STREETS_NAME, "input.streets_empty")])
        store.replace_streets(programme, staged)
    finally:
        staged.unlink(missing_ok=True)
        cache_path(staged).unlink(missing_ok=True)
    return {"saved": STREETS_NAME, "nodes": graph.num_nodes, "streets": graph.num_edges,
            "bytes": size}


def start_run(store: Store, runs: RunQueue, programme: str, options: RunOptions,
              today: dt.date | None = None, replan: Replan | None = None,
              actor: str = "") -> str:
    """Queue a run of ``programme`` with ``options`` (and, for a re-plan, ``replan``) on
    its roster as of the schedule's first day (a re-plan's: its ``from_date``); its id.

    Raises
    ------
    UploadRefused
        If the programme has no volunteers and elders yet, or ``options`` do not make a
        valid scenario (checked now, not when the run starts).
    """
    replan = replan or Replan()
    start = options.first_day(today or dt.date.today())
    day = replan.from_date or start
    members = roster(store, programme, day)
    unknown = sorted(set(options.leaving) - set(members.ids("volunteer")))
    if unknown:
        raise UploadRefused([InputIssue("leaving", "upload.no_such_volunteer", who=unknown)])
    with journal(store, programme) as changes:
        changes_seq = changes.last()
    run_id, folder = store.new_run()
    written = members.write(folder / "inputs")
    lines = [f"name = {json.dumps(programme, ensure_ascii=False)}",
             "[inputs]",
             *(f"{kind} = {json.dumps('inputs/' + path.name, ensure_ascii=False)}"
               for kind, path in written.items()),
             "[schedule]", f"start = {start.isoformat()}", f"weeks = {options.weeks}",
             f"lang = {json.dumps(options.lang)}",
             f"contact = {json.dumps(options.contact, ensure_ascii=False)}",
             f"visit_times = {json.dumps(options.visit_times, ensure_ascii=False)}",
             f"call_start = {options.schedule_rules().call_start}",
             f"call_spacing_minutes = {options.call_spacing_minutes}",
             "[solver]", f"time_limit = {float(options.time_limit)}", f"seed = {options.seed}",
             "[run]", "pair = true", f"schedule = {str(options.schedule).lower()}"]
    if replan.previous_run is not None:
        # a re-plan keeps the earlier run's pairs where they may stay ...
        write_private(folder / "inputs" / "previous_assignments.csv",
                      store.run_file(replan.previous_run, "assignments.csv").read_bytes())
        lines.insert(lines.index("[schedule]"),
                     'assignments = "inputs/previous_assignments.csv"')
        # ... and what its schedule published before the day it changes
        if options.schedule and (store.run_dir(replan.previous_run) / "out" /
                                 "schedule.csv").is_file():
            write_private(folder / "inputs" / "previous_schedule.csv",
                          store.run_file(replan.previous_run, "schedule.csv").read_bytes())
            lines.insert(lines.index("[solver]"), 'previous = "inputs/previous_schedule.csv"')
            if replan.from_date is not None:
                lines.insert(lines.index("[solver]"), f"from = {replan.from_date.isoformat()}")
    streets = store.streets(programme)
    if streets is not None:  # walked on the programme's streets (the graph cached there)
        lines.insert(lines.index("[schedule]"), "[distance]")
        lines.insert(lines.index("[schedule]"),
                     f"streets = {json.dumps(str(streets.resolve()), ensure_ascii=False)}")
    if options.leaving:
        lines += ["[whatif]", f"leaving = {json.dumps(sorted(options.leaving))}"]
    write_private(folder / "scenario.toml", ("\n".join(lines) + "\n").encode("utf-8"))
    try:
        load_scenario(folder / "scenario.toml")
    except Exception:
        shutil.rmtree(folder)
        raise
    write_json(folder / "request.json", {"programme": programme, "start": start.isoformat(),
                                         "weeks": options.weeks, "lang": options.lang,
                                         "time_limit": options.time_limit,
                                         "seed": options.seed, "schedule": options.schedule,
                                         "leaving": sorted(options.leaving),
                                         "roster_date": day.isoformat(),
                                         "changes_seq": changes_seq, "actor": actor,
                                         "contact": options.contact,
                                         "visit_times": options.visit_times,
                                         "call_start": options.call_start,
                                         "call_spacing_minutes": options.call_spacing_minutes,
                                         "previous_run": replan.previous_run,
                                         "from": replan.from_date.isoformat()
                                         if replan.from_date else None})
    # the planning run reports its progress as events (one JSON object a line); with a
    # schedule it writes the report too, in the same process (one start-up, not two)
    report = ("--report", options.lang) if options.schedule else ()
    runs.submit(Job(run_id, programme,
                    (("run", "scenario.toml", "--out", "out", "--progress", "json", *report),),
                    (PLAN_SHARE,)))
    return run_id


def workbook(store: Store, run_id: str, lang: str = "zh") -> bytes:
    """The hand-out workbook of a finished run (:mod:`matching.outputs.workbook`) in
    ``lang``. Made once (when the run finishes, or at the first request) and kept beside
    the run."""
    cached = store.run_dir(run_id) / "handouts" / f"plan-{lang}.xlsx"
    if cached.is_file():
        return cached.read_bytes()
    told = whom_to_tell(store, run_id)
    more = {say("workbook.notify", lang): notify_sheet(told[0], lang, told[1])} \
        if told is not None else None
    content = workbook_bytes(load_run(store.run_dir(run_id) / "out"), lang, more)
    private_folder(cached.parent)
    with tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as f:
        f.write(content)
    os.replace(f.name, cached)
    return content


def whom_to_tell(store: Store, run_id: str) -> tuple[pd.DataFrame, Names] | None:
    """A re-plan's list of whom to tell (:func:`matching.programme.notify.notifications`
    against the run it re-planned), and the names of everyone in it; ``None`` for a run
    that re-planned nothing."""
    asked = read_json(store.run_dir(run_id) / "request.json")
    previous = asked.get("previous_run")
    if not previous:
        return None
    before = load_run(store.run_dir(str(previous)) / "out")
    after = load_run(store.run_dir(run_id) / "out")
    was, now = Names.of_run(before), Names.of_run(after)
    names = Names(volunteer={**was.volunteer, **now.volunteer},
                  elder={**was.elder, **now.elder})
    return notifications(before, after), names


def finish_run(store: Store, run_id: str) -> None:
    """What a finished run leaves besides its outputs: the hand-out workbook, made once."""
    folder = store.run_dir(run_id)
    asked = read_json(folder / "request.json")
    # made now so that the first download is quick; a run folder it cannot read (a
    # pairing-only run holds no schedule, an old folder no inputs) is told at that download
    with contextlib.suppress(InputError, NotFound, OSError, KeyError, ValueError):
        workbook(store, run_id, str(asked.get("lang", "zh")))


def everything(store: Store, run_id: str, lang: str = "zh") -> bytes:
    """A zip of a finished run's outputs and its workbook (in ``lang``)."""
    out = store.run_dir(run_id) / "out"
    if not out.is_dir():
        raise NotFound(f"run {run_id} has no outputs")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                archive.write(path, f"run-{run_id}/{path.relative_to(out).as_posix()}")
        archive.writestr(f"run-{run_id}/plan.xlsx", workbook(store, run_id, lang))
    return buffer.getvalue()


# --- changes: volunteers leaving, elders joining, and the re-plan -------------------------

#: The new elder's form: the elders file's columns a coordinator fills in (the rest take
#: the contract's defaults).
ELDER_FORM_FIELDS = (ELDER_ID, "name", "age", "gender", "community", "phone", "address",
                     "lat", "lon", "birthday", "lives_alone", "low_income", "needs",
                     "available_days")


def journal(store: Store, programme: str) -> Journal:
    """The programme's dated changes (``roster.sqlite`` beside its inputs)."""
    return Journal(store.programme_dir(programme) / "roster.sqlite", database=store.database,
                   pg_schema=schema_for(programme, "changes"))


def roster(store: Store, programme: str, day: dt.date) -> Roster:
    """Who is in the programme on ``day``: its uploaded rosters with every change dated on
    or before it.

    Raises
    ------
    UploadRefused
        If the programme has no volunteers and elders yet.
    """
    inputs = store.inputs(programme)
    missing = [k for k in ("volunteers", "elders") if k not in inputs]
    if missing:
        raise UploadRefused([InputIssue(f"{k}.csv", "upload.not_uploaded") for k in missing])
    with journal(store, programme) as changes:
        return roster_as_of(inputs["volunteers"], inputs["elders"], inputs.get("relations"),
                            changes.changes(), day)


def changes_since(store: Store, programme: str, run: dict | None) -> list[Entered]:
    """The changes entered since a run was asked for (all of them before any run)."""
    after = 0
    if run is not None:
        asked = read_json(store.run_dir(run["id"]) / "request.json")
        after = int(asked.get("changes_seq") or 0)
    with journal(store, programme) as changes:
        return changes.entered(after)


def roster_workbook(store: Store, programme: str, day: dt.date) -> bytes:
    """The roster as of ``day`` as a workbook: 志愿者, 老人, 关系 and 变动 (every change
    dated up to that day), with Chinese headers."""
    members = roster(store, programme, day)
    with journal(store, programme) as changes:
        entered = [e for e in changes.entered() if e.change.date <= day]
    log = pd.DataFrame([{**e.as_json(), "row": json.dumps(e.change.row, ensure_ascii=False)}
                        for e in entered],
                       columns=["seq", "entered_at", "actor", "date", "kind", "person", "id",
                                "until", "reason", "row"])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as book:
        for sheet, table in (("志愿者", members.volunteers), ("老人", members.elders),
                             ("关系", members.relations), ("变动", log)):
            table.to_excel(book, sheet_name=sheet, index=False,
                           header=chinese(list(table.columns)))
    return buffer.getvalue()


def known_places(store: Store, programme: str) -> KnownPlaces:
    """The places of the addresses the programme's elders have today."""
    return KnownPlaces(roster(store, programme, dt.date.today()).elders)


def placed(store: Store, programme: str, fields: Mapping[str, object]
           ) -> Mapping[str, object]:
    """A new elder's change with the coordinates of their address when the form gives an
    address and no coordinates (see :mod:`matching.world.places`).

    Raises
    ------
    InputError
        If the address is not one the programme knows, nor in a building it knows.
    """
    given = fields.get("row")
    row: dict[str, object] = dict(given) if isinstance(given, Mapping) else {}
    if fields.get("kind") != "join" or not row.get("address") or row.get("lat") \
            or row.get("lon"):
        return fields
    found = known_places(store, programme).find(str(row["address"]))
    if found is None:
        raise InputError.one("change", "upload.place_unknown", address=str(row["address"]))
    return {**fields, "row": {**row, "lat": f"{found[0]:.6f}", "lon": f"{found[1]:.6f}"}}


def add_change(store: Store, programme: str, fields: Mapping[str, object], actor: str
               ) -> Entered:
    """Keep a dated change to the programme's roster, checked: its fields, that it makes
    sense among the changes before it (nobody leaves who is not there), and that the
    roster it makes reads as a planner's files would (a new elder's coordinates, say).

    Raises
    ------
    InputError
        With every problem; nothing is kept then.
    """
    inputs = store.inputs(programme)
    missing = [k for k in ("volunteers", "elders") if k not in inputs]
    if missing:
        raise InputError([InputIssue(f"{k}.csv", "upload.not_uploaded") for k in missing])
    fields = placed(store, programme, fields)
    change = check_change(fields)
    with journal(store, programme) as changes:
        every = [*changes.changes(), change]
        last = max(c.date for c in every)
        for day in sorted({change.date, last}):
            after = roster_as_of(inputs["volunteers"], inputs["elders"],
                                 inputs.get("relations"), every, day)
            try:
                read_world(after.volunteers, after.elders, after.relations)
            except InputError as exc:
                people = {"volunteers.csv": "volunteer", "elders.csv": "elder"}
                raise InputError([InputIssue("change", p.code, None, p.column, p.value,
                                             **p.params) for p in exc.problems
                                  if people.get(p.file) == change.person] or exc.problems
                                 ) from None
        return changes.add(change, actor)


def undo_change(store: Store, programme: str, seq: int, actor: str) -> Entered:
    """Put right a change entered by mistake by the change that undoes it, on the same day
    (a leave by a return, a join by a leave): nothing is removed.

    Raises
    ------
    InputError
        If there is no such change, or it cannot be undone so (an edit: enter the old
        values as a new edit).
    """
    with journal(store, programme) as changes:
        found = next((e for e in changes.entered() if e.seq == seq), None)
    if found is None or found.change.kind not in ("leave", "join"):
        raise InputError.one("change", "upload.cannot_undo", value=str(seq))
    c = found.change
    opposite = {"kind": "return" if c.kind == "leave" else "leave", "person": c.person,
                "id": c.id, "date": c.date.isoformat(), "reason": "other"}
    return add_change(store, programme, opposite, actor)


def start_replan(store: Store, runs: RunQueue, programme: str, from_date: dt.date,
                 actor: str = "") -> str:
    """Re-plan the latest finished run from the roster as of ``from_date``: its pairs kept
    where they may stay, whoever has left re-paired, its schedule kept as published before
    that day; the new run's id."""
    earlier = latest_run(store, programme)
    if earlier is None:
        raise UploadRefused([InputIssue("re-plan", "upload.plan_first")])
    asked = read_json(store.run_dir(earlier["id"]) / "request.json")
    options = RunOptions(start=dt.date.fromisoformat(asked["start"]), weeks=asked["weeks"],
                         time_limit=asked["time_limit"], seed=asked["seed"],
                         lang=asked["lang"], schedule=asked["schedule"],
                         **programme_defaults(asked))
    replan = Replan(previous_run=earlier["id"], from_date=from_date)
    return start_run(store, runs, programme, options, replan=replan, actor=actor)


#: The most elders a search lists.
MOST_FOUND = 20
#: The fewest digits a phone search needs (fewer would match half the roster).
FEWEST_PHONE_DIGITS = 3


def find_elders(elders: pd.DataFrame, query: str) -> list[str]:
    """The ids of the elders a coordinator means by ``query``: an id, a name (whole, else
    part of one), or the last digits of a phone (at least three); the first
    :data:`MOST_FOUND`, in the roster's order."""
    wanted = unicodedata.normalize("NFKC", query).strip()
    if not wanted:
        return []
    ids = elders[ELDER_ID].astype(str)
    if (ids == wanted).any():
        return [wanted]
    names = elders["name"].astype(str) if "name" in elders else pd.Series("", index=ids.index)
    for hits in (names == wanted, names.str.contains(wanted, regex=False)):
        if hits.any():
            return ids[hits].head(MOST_FOUND).tolist()
    digits = "".join(ch for ch in wanted if ch.isdigit())
    if len(digits) >= FEWEST_PHONE_DIGITS and digits == wanted.replace(" ", "") and \
            "phone" in elders:
        phones = elders["phone"].astype(str).str.replace(r"\D", "", regex=True)
        hits = phones.str.endswith(digits) & (phones != "")
        return ids[hits].head(MOST_FOUND).tolist()
    return []


def latest_run(store: Store, programme: str, *, scheduled: bool = False) -> dict | None:
    """The status of the programme's latest finished run, if any (``scheduled``: the latest
    with a schedule, the one volunteers' links and the time bank follow; a pairing-only run
    has none)."""
    return next((r for r in store.runs(programme) if r["status"] == "done" and (
        not scheduled or (store.run_dir(str(r["id"])) / "out" / "schedule.csv").is_file())),
        None)


# --- the time bank: marking a week, balances, statements ---------------------------------

#: Activities marked one by one; the daily calls are marked all at once.
MARKED_ONE_BY_ONE = ("visit", "service", "group", "festival", "birthday")

#: The passbook on a phone is in Chinese: the members read it.
PASSBOOK_LANGUAGE = "zh"

#: What a coordinator may say of an activity.
MARKS = ("done", "missed", "replaced")


def ledger_path(store: Store, programme: str) -> Path:
    """The programme's time-bank ledger (SQLite): beside its inputs, or the alliance's one
    ledger that all its programmes share."""
    store.programme_dir(programme)  # an unknown programme has none
    if store.alliance:
        return alliance_ledger_path(store)
    folder = private_folder(store.programme_dir(programme) / "timebank")
    return folder / "ledger.sqlite"


#: PostgreSQL ledgers this process has seen made (asking again would cost a connection).
_MADE_LEDGERS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class LedgerPlace:
    """Where a programme's time-bank ledger lives: an SQLite file, or a schema of the
    console's PostgreSQL database (``matching serve --database``)."""

    path: Path | None = None
    url: str = ""
    schema: str = ""

    def exists(self) -> bool:
        """Whether the ledger has been made (anything recorded, or its rules kept)."""
        if self.path is not None:
            return self.path.is_file()
        if (self.url, self.schema) in _MADE_LEDGERS:  # a ledger, once made, stays
            return True
        try:
            open_ledger(self.url, create=False, schema=self.schema).close()
        except InputError:
            return False
        _MADE_LEDGERS.add((self.url, self.schema))
        return True

    def open(self, *, create: bool = True, programme: str = "") -> Ledger:
        """Open the ledger, writing for ``programme``."""
        if self.path is not None:
            return open_ledger(self.path, create=create, programme=programme)
        return open_ledger(self.url, create=create, programme=programme, schema=self.schema)


def ledger_place(store: Store, programme: str) -> LedgerPlace:
    """Where the programme's ledger lives: the alliance's one ledger or its own, in the
    console's database when it has one, else as a file (:func:`ledger_path`)."""
    if store.database:
        store.programme_dir(programme)  # an unknown programme has none
        return LedgerPlace(url=store.database,
                           schema=schema_for(f"alliance:{store.alliance}" if store.alliance
                                             else programme))
    return LedgerPlace(ledger_path(store, programme))


def alliance_ledger_path(store: Store) -> Path:
    """The ledger an alliance's programmes share (in the data folder's ``alliance``)."""
    return private_folder(store.root / "alliance") / "ledger.sqlite"


def week_activities(store: Store, run_id: str, monday: dt.date) -> pd.DataFrame:
    """The schedule's activities in the week from ``monday`` (calls last)."""
    schedule = pd.read_csv(store.run_file(run_id, "schedule.csv"), dtype=str,
                           keep_default_na=False)
    end = (monday + dt.timedelta(days=7)).isoformat()
    week = schedule[(schedule["date"] >= monday.isoformat()) & (schedule["date"] < end)]
    return week.reset_index(drop=True)


#: How the marked rotas of approved phone marks are named (``phone-...csv``).
PHONE_SOURCE = "phone-"


def week_batches(store: Store, programme: str, monday: dt.date,
                 with_phones: bool = False) -> list[tuple[int, str]]:
    """The batches in which the coordinator recorded the week from ``monday`` (approved
    phone marks aside, unless ``with_phones``: they leave the rest of the week to
    record)."""
    place = ledger_place(store, programme)
    if not place.exists():
        return []
    with place.open(create=False, programme=programme) as ledger:
        return ledger.batches_between(monday.isoformat(),
                                      (monday + dt.timedelta(days=7)).isoformat(),
                                      except_sources="" if with_phones else PHONE_SOURCE)


def recorded_already(store: Store, programme: str, week: pd.DataFrame) -> set[int]:
    """The rows of a week's activities that the time bank has already (approved from
    phones)."""
    place = ledger_place(store, programme)
    if not place.exists() or week.empty:
        return set()
    keys = [activity_key(r["date"], r["activity"], r[VOLUNTEER_ID], r[ELDER_ID])
            for r in week.to_dict("records")]
    with place.open(create=False, programme=programme) as ledger:
        found = ledger.recorded_keys(keys)
    return {i for i, key in enumerate(keys) if key in found}


def record_week(store: Store, programme: str, run_id: str, monday: dt.date,
                marks: dict[int, dict[str, str]], calls_done: bool,
                all_done: bool = False, actor: str = "", today: dt.date | None = None,
                dry_run: bool = False) -> dict[str, int]:
    """Record the week from ``monday`` in the ledger: each activity up to ``today``
    (default: today) that the time bank does not hold yet, marked one by one as in
    ``marks`` (by its row in :func:`week_activities`: ``status``, ``done_by``,
    ``minutes``, ``rating``, ``comment``), those left unmarked as done if ``all_done``,
    and every call as done if ``calls_done``. Days to come are left for later. With
    ``dry_run``, nothing is recorded: ``rows`` says how many would be.

    Raises
    ------
    InputError
        With every problem (an activity left without a mark, a replaced activity without
        who did it...), or with one when nothing of the week is left to record; nothing
        is written then.
    """
    today = today or dt.date.today()
    week = week_activities(store, run_id, monday)
    recorded = recorded_already(store, programme, week)
    due = [int(i) for i in week.index[week["date"] <= today.isoformat()]]
    if not due:
        raise InputError.one("week", "input.week_not_yet", week=monday.isoformat(),
                             today=today.isoformat())
    if not [i for i in due if i not in recorded]:
        batches = week_batches(store, programme, monday) or \
            week_batches(store, programme, monday, with_phones=True)
        raise InputError.one("week", "input.week_recorded", batch=batches[0][0],
                             week=monday.isoformat())
    rows = []
    unmarked = 0
    for index in due:
        if index in recorded:
            continue
        activity = week.loc[index]
        mark = marks.get(index)
        if activity["activity"] == "call":
            if not calls_done:
                continue
            mark = {"status": "done"}
        if not mark or not mark.get("status"):
            if not all_done:
                unmarked += 1
                continue
            mark = {**(mark or {}), "status": "done"}
        rows.append({"date": activity["date"], "activity": activity["activity"],
                     VOLUNTEER_ID: activity[VOLUNTEER_ID],
                     ELDER_ID: activity[ELDER_ID], "status": mark["status"],
                     "done_by": mark.get("done_by", ""), "minutes": mark.get("minutes", ""),
                     "rating": mark.get("rating", ""), "comment": mark.get("comment", "")})
    if unmarked:
        raise InputError.one("week", "input.week_unmarked", n=unmarked)
    if dry_run:
        return {"rows": len(rows)}
    if not rows:
        return {"done": 0, "missed": 0, "replaced": 0, "credited_minutes": 0,
                "redeemed_minutes": 0, "batch": 0}
    return record_rows(store, programme, run_id, rows,
                       f"marked-{monday.isoformat()}-run{run_id}-"
                       f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}.csv", actor)


#: The columns of a marked rota (``matching ledger record --done``).
DONE_COLUMNS = ("date", "activity", VOLUNTEER_ID, ELDER_ID, "status", "done_by",
                "minutes", "rating", "comment")


def record_rows(store: Store, programme: str, run_id: str, rows: list[dict[str, str]],
                source: str, actor: str = "") -> dict[str, int]:
    """Record marked rows of a run's schedule in the programme's ledger, as one batch, by
    the same path as ``matching ledger record``: the rows are kept as a marked rota
    (``source``, beside the ledger) and checked against the schedule; a row recorded
    already, one the schedule does not have or bad minutes refuse them all.

    Raises
    ------
    InputError
        With every problem; nothing is recorded then.
    """
    folder = ledger_path(store, programme).parent
    done = inside(folder, source)
    write_private(done, csv_bytes(pd.DataFrame(rows, columns=list(DONE_COLUMNS))))
    try:
        with ledger_place(store, programme).open(programme=programme) as ledger:
            recording = read_done(store.run_file(run_id, "schedule.csv"), done, ledger.rules,
                                  today=dt.date.today())
            return ledger.record(recording, source=done.name, actor=actor)
    except Exception:
        done.unlink(missing_ok=True)
        raise


def batches(store: Store, programme: str) -> pd.DataFrame:
    """The batches recorded in the programme's time bank, newest first (empty before any):
    number, when, by whom, rows, and which batch each reverses or was reversed by."""
    place = ledger_place(store, programme)
    if not place.exists():
        return pd.DataFrame(columns=["batch_id", "recorded_at", "source", "actor", "rows",
                                     "reverses", "reversed_by"])
    with place.open(create=False, programme=programme) as ledger:
        return ledger.batches().iloc[::-1].reset_index(drop=True)


def reverse_batch(store: Store, programme: str, batch: int, reason: str,
                  actor: str) -> int:
    """Undo a recorded batch by one reversing batch, dated today (nothing is removed); the
    reversing batch's number. Marks approved in it wait for approval again.

    Raises
    ------
    InputError
        Without a reason, or as :meth:`matching.ledger.Ledger.reverse` refuses.
    """
    reason = "".join(c for c in reason if unicodedata.category(c)[0] != "C").strip()
    if not reason or len(reason) > REASON_CHARS:
        raise InputError.one("reverse", "input.reject_reason", column="reason")
    place = ledger_place(store, programme)
    if not place.exists():
        raise InputError.one("batch", "input.no_such_batch", batch=batch)
    with place.open(create=False, programme=programme) as ledger:
        return ledger.reverse(batch, dt.date.today().isoformat(), reason, actor)


def balances(store: Store, programme: str) -> pd.DataFrame:
    """Each member's hours in the programme's ledger (empty before anything is recorded)."""
    place = ledger_place(store, programme)
    if not place.exists():
        return pd.DataFrame()
    with place.open(create=False, programme=programme) as ledger:
        return ledger.balances()


def each_ledger(store: Store, programmes: list[str]) -> Iterator[tuple[str, Ledger]]:
    """Each distinct ledger these programmes keep (an alliance's one, once), opened: with
    the first of its programmes asked for."""
    seen: set[LedgerPlace] = set()
    for programme in programmes:
        place = ledger_place(store, programme)
        if place in seen or not place.exists():
            continue
        seen.add(place)
        yield programme, place.open(create=False, programme=programme)


def alliance_balances(store: Store, programmes: list[str]) -> list[dict[str, Any]]:
    """Every member's balance in these programmes' ledgers (the alliance's one ledger, or
    each programme's own): ``member_id``, ``programme`` (the member's home), and
    ``balance_hours``, by programme then member."""
    out: list[dict[str, Any]] = []
    wanted = set(programmes)
    for programme, ledger in each_ledger(store, programmes):
        with ledger:
            home = alliance.homes(ledger)
            table = ledger.balances()
        for member, balance in zip(table["member_id"], table["balance_hours"], strict=True):
            where = home.get(member) or programme
            if where in wanted:
                out.append({"member_id": str(member), "programme": where,
                            "balance_hours": float(balance)})
    return sorted(out, key=lambda r: (r["programme"], r["member_id"]))


def donate_hours(store: Store, programme: str, member: str, hours: float,
                 memo: str = "") -> dict[str, Any]:
    """Give ``hours`` of a member's to the programme's pool, dated today, under its rules
    (:meth:`matching.ledger.Ledger.donate`): the transaction and the balance after.

    Raises
    ------
    InputError
        When nothing is recorded yet, donations are off, or the balance is short.
    """
    place = ledger_place(store, programme)
    if not place.exists():
        raise InputError.one("donations", "input.overdraw", who=member, have=0.0, hours=hours)
    with place.open(create=False, programme=programme) as ledger:
        tx = ledger.donate(member, minutes_of_hours(hours), dt.date.today().isoformat(), memo)
        balance = ledger.balances_minutes().get(member, 0)
    return {"tx": tx, "member_id": member, "hours": hours,
            "balance_hours": balance / MINUTES_PER_HOUR}


def alliance_flows(store: Store, programmes: list[str], month: str | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hours spent across these programmes month by month (``month, from, to, hours``)
    and the monthly settlement (:func:`matching.ledger.alliance.settlement`), from every
    ledger they keep, only the rows of these programmes."""
    flows, settled = [], []
    for _, ledger in each_ledger(store, programmes):
        with ledger:
            flows.append(alliance.flows(ledger))
            settled.append(alliance.settlement(ledger, month))
    wanted = set(programmes)
    flow = pd.concat(flows, ignore_index=True) if flows else \
        pd.DataFrame(columns=["month", "from", "to", "hours"])
    settle = pd.concat(settled, ignore_index=True) if settled else \
        pd.DataFrame(columns=list(alliance.SETTLEMENT_COLUMNS))
    flow = flow[flow["from"].isin(wanted) | flow["to"].isin(wanted)]
    settle = settle[settle["programme"].isin(wanted)]
    return flow.reset_index(drop=True), settle.reset_index(drop=True)


def balances_workbook(store: Store, programme: str, lang: str,
                      names: dict[str, str]) -> bytes:
    """Every member's balance as a workbook for the office (headers in ``lang``)."""
    place = ledger_place(store, programme)
    table = pd.DataFrame(columns=["member_id", "earned_hours", "spent_hours",
                                  "transferred_hours", "donated_hours", "balance_hours",
                                  "expired_hours", "services"])
    home: dict[str, str] = {}
    if place.exists():
        with place.open(create=False, programme=programme) as ledger:
            table = ledger.balances()
            home = alliance.homes(ledger)
    table.insert(1, "name", [names.get(m, "") for m in table["member_id"]])
    table.insert(2, "programme", [home.get(m) or programme for m in table["member_id"]])
    if lang == "zh":
        table = table.rename(columns={c: say(f"balances.{c}", "zh") for c in table.columns})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        table.to_excel(writer, sheet_name=say("balances.sheet", lang), index=False)
    return buffer.getvalue()


def family_links(store: Store, links: Links, programme: str) -> dict[str, str]:
    """Each elder of the programme's current plan with their family link's path
    (``/f/...``), made where there is none."""
    latest = latest_run(store, programme, scheduled=True)
    if latest is None:
        return {}
    elders = sorted(set(run_schedule(store, str(latest["id"]))[ELDER_ID]) - {""})
    tokens = links.issue_family(programme, elders)
    return {e: f"/f/{tokens[e]}" for e in elders}


def transfer_hours(store: Store, programme: str, giver: str, receiver: str, hours: float,
                   family: bool = False, memo: str = "") -> dict[str, Any]:
    """Move ``hours`` from ``giver`` to ``receiver`` in the programme's ledger, dated today,
    under its rules (:meth:`matching.ledger.Ledger.transfer`): the transaction's id and
    both balances after it.

    Raises
    ------
    InputError
        When nothing is recorded yet, or a rule refuses (nothing is moved).
    """
    place = ledger_place(store, programme)
    if not place.exists():
        raise InputError.one("transfers", "input.overdraw", who=giver, have=0.0, hours=hours)
    with place.open(create=False, programme=programme) as ledger:
        tx = ledger.transfer(giver, receiver, minutes_of_hours(hours),
                             dt.date.today().isoformat(), memo, family=family)
        balance = ledger.balances_minutes()
    return {"tx": tx, "from_member": giver, "to_member": receiver, "hours": hours,
            "balances": {giver: balance.get(giver, 0) / MINUTES_PER_HOUR,
                         receiver: balance.get(receiver, 0) / MINUTES_PER_HOUR}}


def statement(store: Store, programme: str, member: str, lang: str,
              names: dict[str, str] | None = None) -> str:
    """A member's printable statement (HTML): the member and everyone it mentions shown by
    their ``names`` (by id)."""
    place = ledger_place(store, programme)
    if not place.exists():
        raise NotFound("nothing is recorded in the time bank yet")
    with place.open(create=False, programme=programme) as ledger:
        if member not in set(ledger.balances()["member_id"]):
            raise NotFound(f"no member {member!r} in the time bank")
        return statement_html(ledger, member, lang, (names or {}).get(member, ""),
                              names=names)


def passbook(store: Store, programme: str, member: str,
             names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A member's passbook lines, oldest first (none before anything is recorded)."""
    place = ledger_place(store, programme)
    if not place.exists():
        return []
    with place.open(create=False, programme=programme) as ledger:
        return [dataclasses.asdict(line) for line in
                statement_lines(ledger, member, PASSBOOK_LANGUAGE, names)]


def passbook_page(store: Store, programme: str, member: str, lang: str,
                  names: dict[str, str] | None = None) -> str:
    """A member's passbook pages to print (HTML)."""
    place = ledger_place(store, programme)
    if not place.exists():
        raise NotFound("nothing is recorded in the time bank yet")
    with place.open(create=False, programme=programme) as ledger:
        if member not in set(ledger.balances()["member_id"]):
            raise NotFound(f"no member {member!r} in the time bank")
        return passbook_html(ledger, member, lang, (names or {}).get(member, ""), names)


# --- volunteers' links and marks ---------------------------------------------------------

def link_expiry(store: Store, run_id: str, days: int) -> dt.date:
    """The last day a run's links work: ``days`` after its horizon (after today when the
    run made no schedule)."""
    info = read_json(store.run_dir(run_id) / "out" / "run.json") \
        if (store.run_dir(run_id) / "out" / "run.json").is_file() else {}
    if info.get("start") and info.get("weeks"):
        end = dt.date.fromisoformat(str(info["start"])) + dt.timedelta(weeks=int(info["weeks"]))
        return end + dt.timedelta(days=days)
    return dt.date.today() + dt.timedelta(days=days)


def run_schedule(store: Store, run_id: str) -> pd.DataFrame:
    """A finished run's schedule, as text."""
    return pd.read_csv(store.run_file(run_id, "schedule.csv"), dtype=str,
                       keep_default_na=False)


def link_volunteers(store: Store, run_id: str) -> list[str]:
    """The volunteers with activities in the run's schedule, in id order."""
    return sorted(set(run_schedule(store, run_id)[VOLUNTEER_ID]) - {""})


def volunteer_links(store: Store, links: Links, programme: str, run_id: str | None = None
                    ) -> dict[str, str]:
    """Each volunteer's link path (``/v/...``), one per volunteer and programme, made where
    there is none: those with activities in ``run_id`` (the programme's latest finished
    run by default)."""
    if run_id is None:
        latest = latest_run(store, programme, scheduled=True)
        if latest is None:
            return {}
        run_id = str(latest["id"])
    tokens = links.issue(programme, link_volunteers(store, run_id))
    return {vid: f"/v/{token}" for vid, token in tokens.items()}


def bank_rules(store: Store, programme: str) -> TimebankRules:
    """The programme's time-bank rules: its ledger's, or the defaults before it has one."""
    place = ledger_place(store, programme)
    if not place.exists():
        return TimebankRules()
    with place.open(create=False, programme=programme) as ledger:
        return ledger.rules


def check_mark(fields: dict[str, object], own: pd.DataFrame, helpers: set[str],
               volunteer_id: str, today: dt.date, rules: TimebankRules) -> dict[str, str]:
    """A mark sent from a phone, checked: its activity is one of ``own`` (the volunteer's
    schedule rows) and not later than ``today``, its status one of
    :data:`matching.console.links.STATUSES`, who replaced them one of ``helpers``, its
    minutes within ``rules`` (:meth:`TimebankRules.minutes_allowed`), its rating and
    comment within bounds.

    Raises
    ------
    LookupError
        If the activity is not one of the volunteer's.
    InputError
        For a day to come, a bad status, helper, minutes, rating or comment.
    """
    text = {k: str(v if v is not None else "").strip() for k, v in fields.items()}
    date, activity, elder = text.get("date", ""), text.get("activity", ""), \
        text.get(ELDER_ID, "")
    # on the arrays: a phone's every mark asks, and pandas' own masks cost milliseconds
    found = np.flatnonzero((own["date"].to_numpy() == date)
                           & (own["activity"].to_numpy() == activity)
                           & (own[ELDER_ID].to_numpy() == elder))
    if not len(found):
        raise LookupError("no such activity of yours")
    problems = []
    if date > today.isoformat():
        problems.append(InputIssue("mark", "input.mark_not_yet", column="date", value=date,
                                   date=date, today=today.isoformat()))
    status = text.get("status", "")
    if status not in STATUSES:
        problems.append(InputIssue("mark", "input.mark_status", column="status",
                                   value=status))
    done_by = text.get("done_by", "")
    if status == "replaced" and (done_by not in helpers or done_by == volunteer_id):
        problems.append(InputIssue("mark", "input.mark_done_by", column="done_by",
                                   value=done_by))
    if status != "replaced":
        done_by = ""
    minutes = text.get("minutes", "")
    if minutes:
        least, most = rules.minutes_allowed(float(own["minutes"].to_numpy()[found[0]] or 0))
        try:
            number = float(minutes)
        except ValueError:
            number = -1.0
        if not least <= number <= most:
            problems.append(InputIssue("mark", "input.mark_minutes", column="minutes",
                                       value=minutes, least=least, most=most))
        else:
            minutes = f"{number:g}"
    rating = text.get("rating", "")
    if rating and rating not in {str(r) for r in range(RATINGS[0], RATINGS[1] + 1)}:
        problems.append(InputIssue("mark", "input.mark_rating", column="rating",
                                   value=rating))
    comment = "".join(c for c in text.get("comment", "")
                      if unicodedata.category(c)[0] != "C")[:COMMENT_CHARS]
    if problems:
        raise InputError(problems)
    return {"date": date, "activity": activity, ELDER_ID: elder, "status": status,
            "done_by": done_by, "minutes": minutes, "rating": rating, "comment": comment}


#: The first spreadsheet row of a marked rota's data (row 1 is its header).
FIRST_DATA_ROW = 2


def approve_marks(store: Store, links: Links, programme: str, ids: list[int],
                  minutes: dict[int, str] | None = None, actor: str = "") -> dict[str, Any]:
    """Record pending marks in the programme's time bank as one batch, against its current
    plan, through the same path as a marked rota (:func:`record_rows`); ``minutes``
    edits some first. Marks that cannot be recorded (an activity the plan no longer
    holds, minutes out of bounds, a day to come...) stay pending, each with its reason in
    ``left`` (``id`` and ``problems``), and the others are recorded.

    Raises
    ------
    InputError
        For an unknown mark, one approved already, none given, or none that can be
        recorded; nothing is recorded then.
    """
    wanted = sorted({int(i) for i in ids})
    marks = links.marks(programme=programme, ids=wanted)
    known = {int(m["id"]) for m in marks}
    problems = [InputIssue("approve", "input.no_such_mark", value=str(i), mark=i)
                for i in wanted if i not in known]
    problems += [InputIssue("approve", "input.mark_approved", value=str(m["id"]), mark=m["id"],
                            batch=m["approved_batch"]) for m in marks if m["state"] == "approved"]
    if not wanted:
        problems.append(InputIssue("approve", "input.no_marks"))
    latest = latest_run(store, programme, scheduled=True)
    if latest is None:
        problems.append(InputIssue("approve", "upload.plan_first"))
    if problems or latest is None:
        raise InputError(problems)
    for mark_id, value in (minutes or {}).items():
        if int(mark_id) in known:
            links.edit(int(mark_id), str(value).strip())
    run_id = str(latest["id"])
    settle_marks(store, links, programme)
    todo = links.marks(programme=programme, ids=wanted, pending=True)
    if not todo:  # all of them were recorded by an approval a crash cut short
        return {"done": 0, "missed": 0, "replaced": 0, "credited_minutes": 0,
                "redeemed_minutes": 0, "batch": 0, "left": [], "approved": 0}
    left: dict[int, list[InputIssue]] = {}
    confirmed = links.confirmations(programme)
    if bank_rules(store, programme).confirm_before_banking:
        # the rules bank a visit or service only once the elder or family confirmed it
        for m in todo:
            key = (str(m["date"]), str(m["activity"]), str(m[ELDER_ID]))
            if m["activity"] in CONFIRMED_ACTIVITIES and m["status"] != "missed" \
                    and key not in confirmed:
                left[int(m["id"])] = [InputIssue("mark", "exchange.visit_not_confirmed",
                                                 None, "status", str(m["status"]),
                                                 date=str(m["date"]))]
        todo = [m for m in todo if int(m["id"]) not in left]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    while todo:
        rows = [{c: str(m[c]) for c in DONE_COLUMNS} for m in todo]
        for row in rows:  # the elder's or family's own rating, where they gave one
            given = confirmed.get((row["date"], row["activity"], row[ELDER_ID]))
            if given is not None and given["rating"] is not None:
                row["rating"] = str(given["rating"])
        try:
            counts: dict[str, Any] = dict(record_rows(
                store, programme, run_id, rows,
                f"{PHONE_SOURCE}{stamp}-{todo[0]['id']}-run{run_id}.csv", actor))
        except InputError as exc:
            stuck: dict[int, list[InputIssue]] = {}
            for problem in exc.problems:
                index = (problem.row or 0) - FIRST_DATA_ROW
                if 0 <= index < len(todo):
                    # the mark's own words, never the marked rota's internal file name
                    stuck.setdefault(int(str(todo[index]["id"])), []).append(
                        InputIssue("mark", problem.code, None, problem.column, problem.value,
                                   **problem.params))
            if not stuck:
                raise
            left.update(stuck)
            todo = [m for m in todo if int(str(m["id"])) not in stuck]
            continue
        links.approved([int(m["id"]) for m in todo], int(counts["batch"]))
        counts["left"] = [{"id": i, "problems": [p.as_json() for p in ps]}
                          for i, ps in sorted(left.items())]
        counts["approved"] = len(todo)
        return counts
    raise InputError([p for ps in left.values() for p in ps])


def settle_marks(store: Store, links: Links, programme: str) -> int:
    """Say approved the pending marks whose activity an approval already recorded in the
    time bank (the console stopped between the ledger's commit and the marks' update);
    how many. Recording is one transaction, so a mark is never recorded twice."""
    pending = links.marks(programme=programme, pending=True)
    place = ledger_place(store, programme)
    if not pending or not place.exists():
        return 0
    keys = {activity_key(str(m["date"]), str(m["activity"]), str(m[VOLUNTEER_ID]),
                         str(m[ELDER_ID])): int(m["id"]) for m in pending}
    with place.open(create=False, programme=programme) as ledger:
        found = ledger.recorded_keys(list(keys))
        phones = {int(b) for b, source in ledger.conn.execute(
            "SELECT batch_id, source FROM batches").fetchall()
            if str(source).startswith(PHONE_SOURCE)}
    settled = 0
    for key, batch in found.items():
        if batch in phones:
            links.approved([keys[key]], batch)
            settled += 1
    return settled


def reject_marks(links: Links, programme: str, ids: list[int], reason: str) -> list[int]:
    """Send pending marks back to the volunteer with a reason (shown on their phone).

    Raises
    ------
    InputError
        Without a reason, or for a mark that is not pending in this programme.
    """
    reason = "".join(c for c in reason if unicodedata.category(c)[0] != "C").strip()
    wanted = sorted({int(i) for i in ids})
    marks = {int(m["id"]): m for m in links.marks(programme=programme, ids=wanted)}
    problems = []
    if not reason:
        problems.append(InputIssue("reject", "input.reject_reason", column="reason"))
    elif len(reason) > REASON_CHARS:
        problems.append(InputIssue("reject", "input.reject_reason_long", column="reason",
                                   most=REASON_CHARS))
    problems += [InputIssue("reject", "input.no_such_mark", value=str(i), mark=i)
                 for i in wanted if i not in marks]
    problems += [InputIssue("reject", "input.mark_approved", value=str(i), mark=i,
                            batch=m["approved_batch"])
                 for i, m in marks.items() if m["state"] == "approved"]
    if not wanted:
        problems.append(InputIssue("reject", "input.no_marks"))
    if problems:
        raise InputError(problems)
    return links.reject(wanted, reason)
