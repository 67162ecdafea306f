"""What the console's pages and API do, in one place: check uploads, start runs, read
results and make the hand-outs. The pages and the API only translate to and from HTTP."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matching.analysis.doctor import Diagnosis, diagnose
from matching.console.links import COMMENT_CHARS, MOST_MINUTES, RATINGS, STATUSES, Links
from matching.console.runs import Job, RunQueue
from matching.console.store import (
    INPUT_KINDS,
    INPUT_SUFFIXES,
    NotFound,
    Store,
    private_folder,
    read_json,
    write_json,
)
from matching.ledger import open_ledger, read_done, statement_html
from matching.ledger.done import activity_key
from matching.outputs.folder import load_run
from matching.outputs.workbook import workbook_bytes
from matching.outputs.write import write_private
from matching.rules import limits
from matching.rules.errors import InputError, InputIssue
from matching.rules.ids import inside
from matching.schedule.horizon import monday_of
from matching.workflows.scenario import load_scenario
from matching.world.read import read_table

#: The largest input file the console accepts (a county's roster is a few MB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

#: What an .xlsx file starts with (it is a zip archive).
ZIP_MAGIC = b"PK\x03\x04"

#: The share of a run's progress its commands take (the rest is the hand-outs), and the
#: report's part of it.
PLAN_SHARE = 0.98
REPORT_SHARE = 0.04

#: A run's defaults: a pairing and a 13-week schedule from the next Monday.
DEFAULT_WEEKS = 13
DEFAULT_TIME_LIMIT = 60.0

#: The longest horizon and time limit a run may ask for (a year; an hour).
MAX_WEEKS = 53
MAX_TIME_LIMIT = 3600.0

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

    start: dt.date | None = Field(None, description="the schedule's first day, a Monday")
    weeks: int = Field(DEFAULT_WEEKS, ge=1, le=MAX_WEEKS)
    time_limit: float = Field(DEFAULT_TIME_LIMIT, gt=0, le=MAX_TIME_LIMIT)
    seed: int = Field(0, ge=0)
    lang: Literal["zh", "en"] = "zh"
    schedule: bool = True
    leaving: list[str] = Field(default_factory=list, max_length=limits.UPLOAD.rows,
                               description="ids of volunteers who leave (a re-plan)")
    contact: str = Field("", max_length=limits.CONTACT_CHARS,
                         description="the coordinator's name and phone, printed on every "
                                     "volunteer's rota")

    @field_validator("contact")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not limits.fit_contact(value):
            raise ValueError("not one printable line")
        return value

    def first_day(self, today: dt.date) -> dt.date:
        """The schedule's first day: the given Monday, else the Monday after ``today``."""
        return self.start or monday_of(today) + dt.timedelta(days=7)


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
            params = ({"low": bounds.get("ge", bounds.get("gt"))} if "ge" in bounds or
                      "gt" in bounds else {"high": bounds["le"]} if "le" in bounds else {})
            if code == "upload.bad_date":
                params = {"given": str(given.get(name, ""))}
            elif code == "scenario.contact":
                params = {"most": limits.CONTACT_CHARS}
            problems.append(InputIssue("form", code, column=name,
                                       value=str(given.get(name, "")), **params))
        raise InputError(problems) from None


@dataclass(frozen=True)
class Replan:
    """What a re-plan adds to a run's options: the elders who join, and the earlier run
    whose published schedule it keeps before ``from_date``."""

    joining: list[dict[str, str]] = field(default_factory=list)
    previous_run: str | None = None
    from_date: dt.date | None = None


def check_upload(store: Store, programme: str, uploads: dict[str, tuple[str, bytes]]
                 ) -> Diagnosis:
    """Check uploaded files (kind -> (file name, content)) together with the programme's
    saved ones, and save them only if clean; raise :class:`UploadRefused` otherwise.

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
        store.replace_inputs(programme, staged)
    return found


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


def start_run(store: Store, runs: RunQueue, programme: str, options: RunOptions,
              today: dt.date | None = None, replan: Replan | None = None) -> str:
    """Queue a run of ``programme`` with ``options`` (and, for a re-plan, ``replan``) on a
    copy of its inputs; its id.

    Raises
    ------
    UploadRefused
        If the programme has no volunteers and elders yet, or ``options`` do not make a
        valid scenario (checked now, not when the run starts).
    """
    replan = replan or Replan()
    inputs = store.inputs(programme)
    missing = [k for k in ("volunteers", "elders") if k not in inputs]
    if missing:
        raise UploadRefused([InputIssue(f"{k}.csv", "upload.not_uploaded") for k in missing])
    unknown = sorted(set(options.leaving) - _volunteer_ids(inputs["volunteers"]))
    if unknown:
        raise UploadRefused([InputIssue("leaving", "upload.no_such_volunteer", who=unknown)])
    run_id, folder = store.new_run()
    for path in inputs.values():
        write_private(folder / "inputs" / path.name, path.read_bytes())
    start = options.first_day(today or dt.date.today())
    lines = [f"name = {json.dumps(programme, ensure_ascii=False)}",
             "[inputs]",
             *(f"{kind} = {json.dumps('inputs/' + path.name, ensure_ascii=False)}"
               for kind, path in inputs.items()),
             "[schedule]", f"start = {start.isoformat()}", f"weeks = {options.weeks}",
             f"lang = {json.dumps(options.lang)}",
             f"contact = {json.dumps(options.contact, ensure_ascii=False)}",
             "[solver]", f"time_limit = {float(options.time_limit)}", f"seed = {options.seed}",
             "[run]", "pair = true", f"schedule = {str(options.schedule).lower()}"]
    if replan.previous_run is not None:
        # a re-plan keeps what the earlier schedule published before the day it changes
        write_private(folder / "inputs" / "previous_schedule.csv",
                      store.run_file(replan.previous_run, "schedule.csv").read_bytes())
        lines.insert(lines.index("[solver]"), 'previous = "inputs/previous_schedule.csv"')
        if replan.from_date is not None:
            lines.insert(lines.index("[solver]"), f"from = {replan.from_date.isoformat()}")
    whatif = []
    if options.leaving:
        whatif.append(f"leaving = {json.dumps(sorted(options.leaving))}")
    if replan.joining:
        write_private(folder / "inputs" / "joining_elders.csv",
                      pd.DataFrame(replan.joining).to_csv(index=False).encode("utf-8"))
        whatif.append('joining_elders = "inputs/joining_elders.csv"')
    if whatif:
        lines += ["[whatif]", *whatif]
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
                                         "joining": [row.get("elder_id", "")
                                                     for row in replan.joining],
                                         "contact": options.contact,
                                         "previous_run": replan.previous_run,
                                         "from": replan.from_date.isoformat()
                                         if replan.from_date else None})
    # the planning run reports its progress as events (one JSON object a line)
    commands = [("run", "scenario.toml", "--out", "out", "--progress", "json")]
    shares = [PLAN_SHARE]
    if options.schedule:
        commands.append(("report", "out", "--lang", options.lang))
        shares = [PLAN_SHARE - REPORT_SHARE, REPORT_SHARE]
    runs.submit(Job(run_id, programme, tuple(commands), tuple(shares)))
    return run_id


def _volunteer_ids(path: Path) -> set[str]:
    table = read_table(path)
    column = "volunteer_id" if "volunteer_id" in table.columns else table.columns[0]
    return set(table[column].astype(str))


def workbook(store: Store, run_id: str, lang: str = "zh") -> bytes:
    """The hand-out workbook of a finished run (:mod:`matching.outputs.workbook`) in
    ``lang``. Made once (when the run finishes, or at the first request) and kept beside
    the run."""
    cached = store.run_dir(run_id) / "handouts" / f"plan-{lang}.xlsx"
    if cached.is_file():
        return cached.read_bytes()
    content = workbook_bytes(load_run(store.run_dir(run_id) / "out"), lang)
    private_folder(cached.parent)
    with tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as f:
        f.write(content)
    os.replace(f.name, cached)
    return content


def finish_run(store: Store, run_id: str) -> None:
    """What a finished run leaves besides its outputs: the hand-out workbook made once,
    and the pending changes it planned for taken off the list (those added since stay)."""
    folder = store.run_dir(run_id)
    asked = read_json(folder / "request.json")
    # made now so that the first download is quick; a run folder it cannot read (a
    # pairing-only run holds no schedule, an old folder no inputs) is told at that download
    with contextlib.suppress(InputError, NotFound, OSError, KeyError, ValueError):
        workbook(store, run_id, str(asked.get("lang", "zh")))
    programme = str(asked.get("programme", ""))
    if not programme or not (asked.get("leaving") or asked.get("joining")):
        return
    changes = pending_changes(store, programme)
    used_leaving = set(asked.get("leaving") or ())
    used_joining = set(asked.get("joining") or ())
    _save_changes(store, programme, {
        "leaving": [v for v in changes["leaving"] if v not in used_leaving],
        "joining": [r for r in changes["joining"] if r.get("elder_id") not in used_joining]})


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
ELDER_FORM_FIELDS = ("elder_id", "name", "age", "gender", "community", "phone", "address",
                     "lat", "lon", "birthday", "lives_alone", "low_income", "needs",
                     "available_days")


def pending_changes(store: Store, programme: str) -> dict[str, list]:
    """The changes waiting for the next re-plan: ``leaving`` (volunteer ids) and
    ``joining`` (new elders' rows)."""
    path = store.programme_dir(programme) / "changes.json"
    if not path.is_file():
        return {"leaving": [], "joining": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _save_changes(store: Store, programme: str, changes: dict[str, list]) -> None:
    write_json(store.programme_dir(programme) / "changes.json", changes)


def mark_leaving(store: Store, programme: str, volunteer_id: str) -> None:
    """Mark a volunteer as leaving at the next re-plan."""
    inputs = store.inputs(programme)
    if "volunteers" not in inputs or volunteer_id not in _volunteer_ids(inputs["volunteers"]):
        raise UploadRefused([InputIssue("leaving", "upload.no_such_volunteer",
                                        who=[volunteer_id])])
    changes = pending_changes(store, programme)
    if volunteer_id not in changes["leaving"]:
        changes["leaving"] = sorted([*changes["leaving"], volunteer_id])
    _save_changes(store, programme, changes)


def add_elder(store: Store, programme: str, row: dict[str, str]) -> None:
    """Add a new elder for the next re-plan, checked as an elders file is (with the saved
    volunteers); raise :class:`UploadRefused` with the problems otherwise."""
    row = {k: str(row.get(k, "")).strip() for k in ELDER_FORM_FIELDS}
    inputs = store.inputs(programme)
    changes = pending_changes(store, programme)
    taken = set(read_table(inputs["elders"])["elder_id"].astype(str)) | {
        r["elder_id"] for r in changes["joining"]}
    if row["elder_id"] in taken:
        raise UploadRefused([InputIssue("new elder", "upload.elder_taken", None, "elder_id",
                                        row["elder_id"])])
    filled = {k: v for k, v in row.items() if v}
    with tempfile.TemporaryDirectory(prefix="matching-elder-") as tmp:
        path = Path(tmp) / "new elder.csv"
        pd.DataFrame([filled]).to_csv(path, index=False)
        found = diagnose([inputs["volunteers"], path])
    if not found.ok:
        raise UploadRefused(found.problems, found)
    changes["joining"] = [*changes["joining"], filled]
    _save_changes(store, programme, changes)


def drop_change(store: Store, programme: str, kind: str, key: str) -> None:
    """Take back a pending change: a leaving volunteer or a joining elder, by id."""
    changes = pending_changes(store, programme)
    if kind == "leaving":
        changes["leaving"] = [v for v in changes["leaving"] if v != key]
    elif kind == "joining":
        changes["joining"] = [r for r in changes["joining"] if r["elder_id"] != key]
    _save_changes(store, programme, changes)


def start_replan(store: Store, runs: RunQueue, programme: str, from_date: dt.date) -> str:
    """Re-plan the latest finished run with the pending changes, keeping its schedule as
    published before ``from_date``; the new run's id."""
    earlier = latest_run(store, programme)
    if earlier is None:
        raise UploadRefused([InputIssue("re-plan", "upload.plan_first")])
    asked = read_json(store.run_dir(earlier["id"]) / "request.json")
    changes = pending_changes(store, programme)
    options = RunOptions(start=dt.date.fromisoformat(asked["start"]), weeks=asked["weeks"],
                         time_limit=asked["time_limit"], seed=asked["seed"],
                         lang=asked["lang"], schedule=asked["schedule"],
                         leaving=changes["leaving"], contact=asked.get("contact", ""))
    replan = Replan(joining=changes["joining"],
                    previous_run=earlier["id"] if asked["schedule"] else None,
                    from_date=from_date if asked["schedule"] else None)
    return start_run(store, runs, programme, options, replan=replan)


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
    ids = elders["elder_id"].astype(str)
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


def latest_run(store: Store, programme: str) -> dict | None:
    """The status of the programme's latest finished run, if any."""
    return next((r for r in store.runs(programme) if r["status"] == "done"), None)


# --- the time bank: marking a week, balances, statements ---------------------------------

#: Activities marked one by one; the daily calls are marked all at once.
MARKED_ONE_BY_ONE = ("visit", "service", "group", "festival", "birthday")

#: What a coordinator may say of an activity.
MARKS = ("done", "missed", "replaced")


def ledger_path(store: Store, programme: str) -> Path:
    """The programme's time-bank ledger (SQLite), beside its inputs."""
    folder = private_folder(store.programme_dir(programme) / "timebank")
    return folder / "ledger.sqlite"


def week_activities(store: Store, run_id: str, monday: dt.date) -> pd.DataFrame:
    """The schedule's activities in the week from ``monday`` (calls last)."""
    schedule = pd.read_csv(store.run_file(run_id, "schedule.csv"), dtype=str,
                           keep_default_na=False)
    end = (monday + dt.timedelta(days=7)).isoformat()
    week = schedule[(schedule["date"] >= monday.isoformat()) & (schedule["date"] < end)]
    return week.reset_index(drop=True)


#: How the marked rotas of approved phone marks are named (``phone-...csv``).
PHONE_SOURCE = "phone-"


def week_batches(store: Store, programme: str, monday: dt.date) -> list[tuple[int, str]]:
    """The batches in which the coordinator recorded the week from ``monday`` (approved
    phone marks aside: they leave the rest of the week to record)."""
    path = ledger_path(store, programme)
    if not path.is_file():
        return []
    with open_ledger(path, create=False) as ledger:
        return ledger.batches_between(monday.isoformat(),
                                      (monday + dt.timedelta(days=7)).isoformat(),
                                      except_sources=PHONE_SOURCE)


def recorded_already(store: Store, programme: str, week: pd.DataFrame) -> set[int]:
    """The rows of a week's activities that the time bank has already (approved from
    phones)."""
    path = ledger_path(store, programme)
    if not path.is_file() or week.empty:
        return set()
    keys = [activity_key(r["date"], r["activity"], r["volunteer_id"], r["elder_id"])
            for r in week.to_dict("records")]
    with open_ledger(path, create=False) as ledger:
        found = ledger.recorded_keys(keys)
    return {i for i, key in enumerate(keys) if key in found}


def record_week(store: Store, programme: str, run_id: str, monday: dt.date,
                marks: dict[int, dict[str, str]], calls_done: bool,
                all_done: bool = False) -> dict[str, int]:
    """Record the week from ``monday`` in the ledger: each activity marked one by one as
    in ``marks`` (by its row in :func:`week_activities`: ``status``, ``done_by``,
    ``minutes``, ``rating``, ``comment``), those left unmarked as done if ``all_done``,
    and every call as done if ``calls_done``.

    Raises
    ------
    InputError
        With every problem (an activity left without a mark, a replaced activity without
        who did it...), or with one when the week is recorded already; nothing is written
        then.
    """
    recorded = week_batches(store, programme, monday)
    if recorded:
        raise InputError.one("week", "input.week_recorded", batch=recorded[0][0],
                             week=monday.isoformat())
    week = week_activities(store, run_id, monday)
    approved = recorded_already(store, programme, week)
    rows = []
    unmarked = 0
    for index, activity in week.iterrows():
        if int(index) in approved:  # type: ignore[call-overload]
            continue
        mark = marks.get(int(index))  # type: ignore[call-overload]
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
                     "volunteer_id": activity["volunteer_id"],
                     "elder_id": activity["elder_id"], "status": mark["status"],
                     "done_by": mark.get("done_by", ""), "minutes": mark.get("minutes", ""),
                     "rating": mark.get("rating", ""), "comment": mark.get("comment", "")})
    if unmarked:
        raise InputError.one("week", "input.week_unmarked", n=unmarked)
    if not rows:  # everything approved from phones already
        return {"done": 0, "missed": 0, "replaced": 0, "credited_minutes": 0,
                "redeemed_minutes": 0, "batch": 0}
    return record_rows(store, programme, run_id, rows,
                       f"marked-{monday.isoformat()}-run{run_id}.csv")


#: The columns of a marked rota (``matching ledger record --done``).
DONE_COLUMNS = ("date", "activity", "volunteer_id", "elder_id", "status", "done_by",
                "minutes", "rating", "comment")


def record_rows(store: Store, programme: str, run_id: str, rows: list[dict[str, str]],
                source: str) -> dict[str, int]:
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
    write_private(done, pd.DataFrame(rows, columns=list(DONE_COLUMNS))
                  .to_csv(index=False).encode("utf-8"))
    try:
        with open_ledger(ledger_path(store, programme)) as ledger:
            recording = read_done(store.run_file(run_id, "schedule.csv"), done, ledger.rules)
            return ledger.record(recording, source=done.name)
    except Exception:
        done.unlink(missing_ok=True)
        raise


def balances(store: Store, programme: str) -> pd.DataFrame:
    """Each member's hours in the programme's ledger (empty before anything is recorded)."""
    path = ledger_path(store, programme)
    if not path.is_file():
        return pd.DataFrame()
    with open_ledger(path, create=False) as ledger:
        return ledger.balances()


def statement(store: Store, programme: str, member: str, lang: str,
              names: dict[str, str] | None = None) -> str:
    """A member's printable statement (HTML): the member and everyone it mentions shown by
    their ``names`` (by id)."""
    path = ledger_path(store, programme)
    if not path.is_file():
        raise NotFound("nothing is recorded in the time bank yet")
    with open_ledger(path, create=False) as ledger:
        if member not in set(ledger.balances()["member_id"]):
            raise NotFound(f"no member {member!r} in the time bank")
        return statement_html(ledger, member, lang, (names or {}).get(member, ""),
                              names=names)


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
    return sorted(set(run_schedule(store, run_id)["volunteer_id"]) - {""})


def volunteer_links(store: Store, links: Links, programme: str, run_id: str,
                    days: int) -> dict[str, str]:
    """Each of the run's volunteers' link path (``/v/...``), made where there is none."""
    tokens = links.issue(programme, run_id, link_volunteers(store, run_id),
                         link_expiry(store, run_id, days))
    return {vid: f"/v/{token}" for vid, token in tokens.items()}


def check_mark(fields: dict[str, object], own: pd.DataFrame, helpers: set[str],
               volunteer_id: str) -> dict[str, str]:
    """A mark sent from a phone, checked: its activity is one of ``own`` (the volunteer's
    schedule rows), its status one of :data:`matching.console.links.STATUSES`, who
    replaced them one of ``helpers``, minutes, rating and comment within bounds.

    Raises
    ------
    LookupError
        If the activity is not one of the volunteer's.
    InputError
        For a bad status, helper, minutes, rating or comment.
    """
    text = {k: str(v if v is not None else "").strip() for k, v in fields.items()}
    date, activity, elder = text.get("date", ""), text.get("activity", ""), \
        text.get("elder_id", "")
    found = own[(own["date"] == date) & (own["activity"] == activity)
                & (own["elder_id"] == elder)]
    if found.empty:
        raise LookupError("no such activity of yours")
    problems = []
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
        try:
            number = float(minutes)
        except ValueError:
            number = -1.0
        if not 0 < number <= MOST_MINUTES:
            problems.append(InputIssue("mark", "input.mark_minutes", column="minutes",
                                       value=minutes, most=MOST_MINUTES))
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
    return {"date": date, "activity": activity, "elder_id": elder, "status": status,
            "done_by": done_by, "minutes": minutes, "rating": rating, "comment": comment}


def approve_marks(store: Store, links: Links, programme: str, ids: list[int],
                  minutes: dict[int, str] | None = None) -> dict[str, int]:
    """Record pending marks in the programme's time bank as one batch, through the same
    path as a marked rota (:func:`record_rows`); ``minutes`` edits some first.

    Raises
    ------
    InputError
        For an unknown mark, one approved already, marks of several runs, or anything the
        ledger refuses; nothing is recorded then.
    """
    wanted = sorted({int(i) for i in ids})
    marks = links.marks(programme=programme, ids=wanted)
    known = {int(m["id"]) for m in marks}  # type: ignore[call-overload]
    problems = [InputIssue("approve", "input.no_such_mark", value=str(i), mark=i)
                for i in wanted if i not in known]
    problems += [InputIssue("approve", "input.mark_approved", value=str(m["id"]), mark=m["id"],
                            batch=m["approved_batch"]) for m in marks if m["state"] != "pending"]
    runs = sorted({str(m["run_id"]) for m in marks})
    if len(runs) > 1:
        problems.append(InputIssue("approve", "input.marks_of_runs", runs=runs))
    if not wanted:
        problems.append(InputIssue("approve", "input.no_marks"))
    if problems:
        raise InputError(problems)
    for mark_id, value in (minutes or {}).items():
        if int(mark_id) in known:
            links.edit(int(mark_id), str(value).strip())
    marks = links.marks(programme=programme, ids=wanted)
    rows = [{c: str(m[c]) for c in DONE_COLUMNS} for m in marks]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    counts = record_rows(store, programme, runs[0], rows,
                         f"{PHONE_SOURCE}{stamp}-{wanted[0]}-run{runs[0]}.csv")
    links.approved(wanted, counts["batch"])
    return counts
