"""What the console's pages and API do, in one place: check uploads, start runs, read
results and make the hand-outs. The pages and the API only translate to and from HTTP."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matching.console.runs import Job, RunQueue
from matching.console.store import INPUT_KINDS, INPUT_SUFFIXES, NotFound, Store, write_json
from matching.doctor import Diagnosis, diagnose
from matching.errors import Problem
from matching.read import read_table
from matching.scenario import load_scenario
from matching.schedule.horizon import monday_of

#: The largest input file the console accepts (a county's roster is a few MB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

#: What an .xlsx file starts with (it is a zip archive).
ZIP_MAGIC = b"PK\x03\x04"

#: A run's defaults: a pairing and a 13-week schedule from the next Monday.
DEFAULT_WEEKS = 13
DEFAULT_TIME_LIMIT = 60.0

#: The sheets of the hand-out workbook: (sheet name, output file).
WORKBOOK_SHEETS = (("assignments", "assignments.csv"), ("schedule", "schedule.csv"),
                   ("unmet", "unmet.csv"), ("unassigned", "unassigned.csv"))


class UploadRefused(ValueError):
    """An upload that is not saved, with every problem found (as ``matching doctor``)."""

    def __init__(self, problems: list[Problem], diagnosis: Diagnosis | None = None) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems
        self.diagnosis = diagnosis


@dataclass
class RunOptions:
    """What a coordinator chooses for a run (all optional)."""

    start: dt.date | None = None
    weeks: int = DEFAULT_WEEKS
    time_limit: float = DEFAULT_TIME_LIMIT
    seed: int = 0
    lang: str = "zh"
    schedule: bool = True
    leaving: list[str] = field(default_factory=list)

    def first_day(self, today: dt.date) -> dt.date:
        """The schedule's first day: the given Monday, else the Monday after ``today``."""
        return self.start or monday_of(today) + dt.timedelta(days=7)


def check_upload(store: Store, programme: str, uploads: dict[str, tuple[str, bytes]]
                 ) -> Diagnosis:
    """Check uploaded files (kind -> (file name, content)) together with the programme's
    saved ones, and save them only if clean; raise :class:`UploadRefused` otherwise."""
    problems = []
    for kind, (name, content) in uploads.items():
        problems += _file_problems(kind, name, content)
    if problems:
        raise UploadRefused(problems)
    saved = store.inputs(programme) if programme in store.programmes() else {}
    with tempfile.TemporaryDirectory(prefix="matching-upload-") as tmp:
        staged = {}
        for kind, (name, content) in uploads.items():
            path = Path(tmp) / kind / _safe_name(name, kind)
            path.parent.mkdir()
            path.write_bytes(content)
            staged[kind] = path
        together = {**saved, **staged}
        missing = [k for k in ("volunteers", "elders") if k not in together]
        if missing:
            raise UploadRefused([Problem(k, "is missing: upload it with the others")
                                 for k in missing])
        found = diagnose([together[k] for k in INPUT_KINDS if k in together])
        wrong = [Problem(path.name, f"holds {found.files.get(str(path))}, not {kind}")
                 for kind, path in staged.items()
                 if found.files.get(str(path), kind) != kind]
        if wrong or not found.ok:
            raise UploadRefused(wrong + found.problems, found)
        store.replace_inputs(programme, staged)
    return found


def _file_problems(kind: str, name: str, content: bytes) -> list[Problem]:
    if kind not in INPUT_KINDS:
        return [Problem(name, f"was sent as {kind!r}: expected one of {', '.join(INPUT_KINDS)}")]
    suffix = Path(name).suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        return [Problem(name, "is not a .csv or .xlsx file")]
    if len(content) > MAX_UPLOAD_BYTES:
        return [Problem(name, f"is larger than {MAX_UPLOAD_BYTES // 2**20} MB")]
    if not content:
        return [Problem(name, "is empty")]
    if (suffix == ".xlsx") != content.startswith(ZIP_MAGIC) or \
            (suffix == ".csv" and b"\x00" in content):
        return [Problem(name, f"is not what its name says ({suffix[1:]})")]
    return []


def _safe_name(name: str, kind: str) -> str:
    """The uploaded file's own name (shown in problems), stripped of any folder."""
    base = Path(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") else f"{kind}{Path(name).suffix.lower()}"


def start_run(store: Store, runs: RunQueue, programme: str, options: RunOptions,
              today: dt.date | None = None) -> str:
    """Queue a run of ``programme`` with ``options`` on a copy of its inputs; its id.

    Raises
    ------
    UploadRefused
        If the programme has no volunteers and elders yet, or ``options`` do not make a
        valid scenario (checked now, not when the run starts).
    """
    inputs = store.inputs(programme)
    missing = [k for k in ("volunteers", "elders") if k not in inputs]
    if missing:
        raise UploadRefused([Problem(k, "has not been uploaded") for k in missing])
    unknown = sorted(set(options.leaving) - _volunteer_ids(inputs["volunteers"]))
    if unknown:
        raise UploadRefused([Problem("leaving", f"names no volunteer: {', '.join(unknown)}")])
    run_id, folder = store.new_run(programme)
    (folder / "inputs").mkdir()
    for path in inputs.values():
        shutil.copyfile(path, folder / "inputs" / path.name)
    start = options.first_day(today or dt.date.today())
    lines = [f"name = {json.dumps(programme, ensure_ascii=False)}",
             "[inputs]",
             *(f"{kind} = {json.dumps('inputs/' + path.name, ensure_ascii=False)}"
               for kind, path in inputs.items()),
             "[schedule]", f"start = {start.isoformat()}", f"weeks = {options.weeks}",
             f"lang = {json.dumps(options.lang)}",
             "[solver]", f"time_limit = {float(options.time_limit)}", f"seed = {options.seed}",
             "[run]", "pair = true", f"schedule = {str(options.schedule).lower()}"]
    if options.leaving:
        lines += ["[whatif]", f"leaving = {json.dumps(sorted(options.leaving))}"]
    (folder / "scenario.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_scenario(folder / "scenario.toml")
    except Exception:
        shutil.rmtree(folder)
        raise
    write_json(folder / "request.json", {"programme": programme, "start": start.isoformat(),
                                         "weeks": options.weeks, "lang": options.lang,
                                         "time_limit": options.time_limit,
                                         "seed": options.seed, "schedule": options.schedule,
                                         "leaving": sorted(options.leaving)})
    commands = [("run", "scenario.toml", "--out", "out")]
    if options.schedule:
        commands.append(("report", "out", "--lang", options.lang))
    runs.submit(Job(run_id, programme, tuple(commands)))
    return run_id


def _volunteer_ids(path: Path) -> set[str]:
    table = read_table(path)
    column = "volunteer_id" if "volunteer_id" in table.columns else table.columns[0]
    return set(table[column].astype(str))


def workbook(store: Store, run_id: str) -> bytes:
    """One Excel workbook of a finished run: assignments, schedule, unmet, unassigned."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        for sheet, name in WORKBOOK_SHEETS:
            try:
                path = store.run_file(run_id, name)
            except NotFound:
                continue
            pd.read_csv(path, dtype=str, keep_default_na=False).to_excel(
                book, sheet_name=sheet, index=False)
    return buffer.getvalue()


def everything(store: Store, run_id: str) -> bytes:
    """A zip of a finished run's outputs and its workbook."""
    out = store.run_dir(run_id) / "out"
    if not out.is_dir():
        raise NotFound(f"run {run_id} has no outputs")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                archive.write(path, f"run-{run_id}/{path.relative_to(out).as_posix()}")
        archive.writestr(f"run-{run_id}/plan.xlsx", workbook(store, run_id))
    return buffer.getvalue()
