"""Write output files whole or not at all."""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Self

import numpy as np
import pandas as pd

from matching.outputs import rota
from matching.outputs.fastcsv import csv_rows
from matching.outputs.privacy import key_path, key_table, pseudonymise_frame
from matching.rules.errors import InputError
from matching.rules.ids import inside
from matching.runtime.database import Connection, PostgresConnection, ensure_tables
from matching.schedule.result import CONTRACT_COLUMNS
from matching.world.columns import ELDER_ID, FORMULA_GUARD, FORMULA_STARTS, VOLUNTEER_ID, chinese

if TYPE_CHECKING:
    from matching.schedule import ScheduleResult
    from matching.world.model import World


#: Errors that mean the disk (or the user's quota) is full.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class OutputError(OSError):
    """The outputs could not be written (a full disk, no permission); nothing was changed."""


#: Tables of this many rows or more are written by :func:`~matching.outputs.fastcsv.csv_rows`
#: (a city's pairs.csv, a year's schedule), smaller ones by pandas: the bytes are the same.
FAST_CSV_ROWS = 50_000


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as formulas, made plain text.

    A cell such as ``=HYPERLINK("http://...")`` in a name gets :data:`FORMULA_GUARD` in
    front; numbers (``-3.2``) are left alone. :func:`matching.world.read.read_table` takes the
    guard off again, so a file written here reads back as it was.
    """
    out = None
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):  # its few distinct cells
            names = [str(c) for c in values.cat.categories]
            guarded = [FORMULA_GUARD + c if _risky(c) else c for c in names]
            if guarded != names:
                out = frame.copy() if out is None else out
                out[column] = values.cat.rename_categories(guarded)
            continue
        # each distinct cell is looked at once (a schedule's 300,000 rows hold a few
        # thousand distinct names, dates and times)
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
        risky_cell = np.fromiter((_risky(v) for v in distinct), dtype=bool,
                                 count=len(distinct))
        if not risky_cell.any():
            continue
        risky = risky_cell[codes]
        out = frame.copy() if out is None else out
        out[column] = values.where(~risky, FORMULA_GUARD + values.astype(str))
    return frame if out is None else out


def _risky(value: object) -> bool:
    """Whether a cell would be run as a formula: it starts (after any guards) with a formula
    start and is not a number (``-3.2``); a cell that already starts with guards gets one
    more, so that reading takes exactly one off."""
    text = str(value)
    bare = text.lstrip(FORMULA_GUARD)
    if not bare.startswith(FORMULA_STARTS):
        return False
    return len(bare) < len(text) or _not_number(value)


def _not_number(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def csv_bytes(frame: pd.DataFrame, headers: str = "en", *, bom: bool = False) -> bytes:
    """A table as the project writes every CSV: UTF-8 (with a byte-order mark for Excel
    when ``bom``), ``\\n`` line ends, no index, and every formula-like text cell guarded
    (:func:`neutralise`); ``headers="zh"`` gives the columns their Chinese names."""
    frame = neutralise(frame)
    if headers == "zh":
        frame = frame.set_axis(chinese(list(frame.columns)), axis=1)
    encoding = "utf-8-sig" if bom else "utf-8"
    if len(frame) >= FAST_CSV_ROWS:  # the same bytes, without a Python step per cell
        rows = csv_rows(frame)
        if rows is not None:
            return frame.head(0).to_csv(index=False, lineterminator="\n").encode(encoding) \
                + rows
    return frame.to_csv(index=False, lineterminator="\n").encode(encoding)


def write_outputs(out_dir: str | Path, tables: Mapping[str, pd.DataFrame],
                  texts: Mapping[str, str | bytes] | None = None, *,
                  headers: str = "en", pseudonymise: bool = False) -> list[Path]:
    """Write CSV tables (UTF-8) and text (or bytes) files into the folder ``out_dir``.

    The folder is built complete in a temporary folder beside it (files already in
    ``out_dir`` that are not rewritten are carried over) and then swapped in at once, so a
    run killed at any moment leaves either the previous folder or the new one, never a mix
    or a half-written file. What a killed writer left (``.NAME.tmp-PID-*``, or a previous
    folder moved aside as ``.NAME.old-PID``) is cleared by the next write in the same
    parent folder, whatever it writes. Text cells that a spreadsheet would run as
    formulas are neutralised (:func:`neutralise`). ``headers="zh"`` writes the tables'
    headers in Chinese (``inputs/`` keeps the contract's names, for checkers).
    ``pseudonymise`` replaces names, phones and addresses in the tables and rounds their
    coordinates (:mod:`matching.outputs.privacy`; the texts must have been made from pseudonymised
    tables already).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        If the disk is full or the folder cannot be written; the previous outputs are
        left as they were.
    """
    out = Path(out_dir).absolute()
    try:
        private_folders(out.parent)
        _sweep(out)
        # mkdtemp makes the folder owner-only (0700), and it is swapped in as the output
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise _output_error(out, exc) from None
    names: list[str] = []
    texts, timings = _timings_apart(texts or {})
    if timings:
        texts["timings.json"] = _json_text(timings)
    try:
        for name, frame in tables.items():
            is_input = name.startswith("inputs/") or name in CHECKERS_TABLES
            if pseudonymise:
                frame = pseudonymise_frame(frame, input_table=is_input)
            write_private(inside(tmp, name), csv_bytes(frame, "en" if is_input else headers))
            names.append(name)
        for name, text in texts.items():
            write_private(inside(tmp, name),
                           text if isinstance(text, bytes) else text.encode("utf-8"))
            names.append(name)
        if out.is_dir() and _swappable(out):
            _carry_over(out, tmp)
            _exchange(tmp, out)
        elif out.is_dir():  # the working folder itself: replace file by file
            for name in names:
                target = inside(out, name)
                private_folders(target.parent)
                os.replace(tmp / name, target)
        else:
            os.rename(tmp, out)
    except OSError as exc:
        raise _output_error(out, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in sorted(names)]


#: The key of wall-clock figures in the JSON outputs: they go to ``timings.json``, the one
#: output that differs between two runs of the same inputs and seed.
TIMINGS_KEY = "seconds"


def _json_text(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def _timings_apart(texts: Mapping[str, str | bytes]
                   ) -> tuple[dict[str, str | bytes], dict[str, object]]:
    """Move every ``"seconds"`` entry of the JSON texts into one timings table, so that
    ``summary.json``, ``schedule.json`` and ``run.json`` are the same bytes on every run."""
    out: dict[str, str | bytes] = {}
    timings: dict[str, object] = {}
    for name, text in texts.items():
        if not name.endswith(".json") or isinstance(text, bytes) or TIMINGS_KEY not in text:
            out[name] = text
            continue
        data = json.loads(text)
        found = _pop_timings(data)
        if found:
            timings[name] = found
        out[name] = _json_text(data)
    return out, timings


def _pop_timings(data: object) -> dict[str, object]:
    found: dict[str, object] = {}
    if isinstance(data, dict):
        if TIMINGS_KEY in data:
            found[TIMINGS_KEY] = data.pop(TIMINGS_KEY)
        for key, value in data.items():
            inner = _pop_timings(value)
            if inner:
                found[key] = inner
    return found


#: Modes of what the engine writes: the data are people's names, addresses and phones, so
#: files and folders are its owner's only.
PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE = 0o600, 0o700


def private_folders(path: Path) -> Path:
    """Make the folder ``path`` and whichever of its parents are missing, each its owner's
    only (``mkdir -p`` would give the parents the default mode)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file readable by its owner only (made so before anything is in
    it), making its missing folders owner-only too."""
    private_folders(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    if hasattr(os, "fchmod"):  # a file that was there keeps its mode through O_CREAT
        os.fchmod(fd, PRIVATE_FILE_MODE)  # (Windows has no such modes: see README, Windows)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_file(path: str | Path, content: pd.DataFrame | str | bytes,
               headers: str = "en") -> Path:
    """Write one file (a table as CSV, or text, or bytes) whole or not at all, readable by
    its owner only: it is written beside its place and renamed over it."""
    path = Path(path).absolute()
    if isinstance(content, pd.DataFrame):
        data = csv_bytes(content, headers)
    else:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        tmp.unlink(missing_ok=True)
        write_private(tmp, data)
        os.replace(tmp, path)
    except OSError as exc:
        raise _output_error(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _output_error(out: Path, exc: OSError) -> OutputError:
    if exc.errno in _DISK_FULL:
        free = shutil.disk_usage(out.parent if out.parent.exists() else Path.cwd()).free
        return OutputError(exc.errno, f"cannot write {out}: the disk is full "
                                      f"({free / 2**20:.0f} MB free); nothing was changed, "
                                      "the previous outputs are as they were")
    return OutputError(exc.errno, f"cannot write {out}: {exc.strerror or exc}; nothing was "
                                  "changed")


def _swappable(out: Path) -> bool:
    """Whether ``out`` may be swapped whole: not the working folder or one holding it."""
    cwd = Path.cwd().absolute()
    return out != cwd and out not in cwd.parents


def _carry_over(out: Path, tmp: Path) -> None:
    """Hard-link (or copy) into ``tmp`` the files of ``out`` it does not rewrite."""
    for path in out.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        target = tmp / path.relative_to(out)
        if target.exists():
            continue
        private_folders(target.parent)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


#: renameat2's flag that swaps two paths in one step (Linux 3.15+).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: Path, old: Path) -> None:
    """Put ``new`` in the place of ``old`` and ``old`` in the place of ``new``, in one step
    where the system can (Linux's renameat2), else in two renames that :func:`_sweep`
    can finish if they are cut between."""
    if _renameat2(new, old):
        return
    aside = old.parent / f".{old.name}.old-{os.getpid()}"
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)


def _renameat2(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot swap; rename in two steps
    raise OSError(code, os.strerror(code), str(b))


#: What a writer leaves beside its target while it works: ``.NAME.tmp-PID-...`` (the folder
#: or file being built) and ``.NAME.old-PID`` (the previous folder, between two renames).
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)(-.*)?")


def _sweep(out: Path) -> None:
    """Clear what killed writers left in ``out``'s parent folder, whichever target they
    were writing: a half-built folder or file is removed, and a target moved aside by a
    swap cut between its two renames is put back where it was."""
    for leftover in out.parent.glob(".*.*-*"):
        match = _LEFTOVER.fullmatch(leftover.name)
        if match is None or _alive(int(match.group("pid"))):
            continue
        target = leftover.parent / match.group("name")
        if match.group("kind") == "old" and not target.exists():
            os.rename(leftover, target)
        elif leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def versions() -> dict[str, str]:
    """The versions of matching and the libraries that decide a plan."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("matching", "ortools", "scipy", "pandas", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "unknown"
    return out


def input_tables(world: World, leaving: set[str] | frozenset[str] = frozenset(),
                 relations: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """``inputs/*.csv``: the tables a plan was made for, as read (text cells), without the
    volunteers who left, whose rows go to ``inputs/leaving.csv``. ``relations`` replaces the
    relations table when the plan used more (acquaintances from an earlier schedule)."""
    tables = dict(world.sources)
    if relations is not None:
        tables["relations"] = relations
    out = {}
    for name, table in tables.items():
        if VOLUNTEER_ID in table.columns and leaving:
            staying = ~table[VOLUNTEER_ID].astype(str).isin(leaving)
            if name == "volunteers":
                out["inputs/leaving.csv"] = table[~staying]
            table = table[staying]
        out[f"inputs/{name}.csv"] = table
    return out


#: Tables outside ``inputs/`` that an outside checker reads as inputs: their headers stay the
#: contract's whatever the language of the others.
CHECKERS_TABLES = frozenset({"pairs.csv"})

ASSIGNMENT_COLUMNS = [ELDER_ID, VOLUNTEER_ID, "distance_km", "weekly_minutes", "tie"]


def schedule_files(result: ScheduleResult, lang: str = "zh",
                   extra_figures: Mapping[str, object] | None = None,
                   pseudonymise: bool = False, contact: str = ""
                   ) -> tuple[dict[str, pd.DataFrame], dict[str, str | bytes]]:
    """The tables and files of a schedule's output folder: ``schedule.csv``, ``unmet.csv``,
    ``backups.csv``, ``credits.csv``, ``rota.html`` (the coordinator's weekly overview),
    ``rota/VOLUNTEER.html`` and ``ical/VOLUNTEER.ics`` (each volunteer's own, with the
    coordinator's ``contact``) and ``schedule.json``; with ``pseudonymise`` the rota pages
    and calendars carry pseudonyms."""
    result = result.in_language(lang)
    if pseudonymise:
        result = dataclasses.replace(
            result, schedule=pseudonymise_frame(result.schedule),
            contacts=pseudonymise_frame(result.contacts),
            volunteer_contacts=pseudonymise_frame(result.volunteer_contacts))

    schedule = result.schedule
    extra = [c for c in schedule.columns if c not in CONTRACT_COLUMNS]
    credits = result.credits()
    contacts = result.contacts
    files: dict[str, str | bytes] = {
        f"ical/{name}": data
        for name, data in rota.icalendars(schedule, lang, contacts).items()}
    # the coordinator's overview, and one rota per volunteer to hand out: their own elders
    overview, pages = rota.rota_documents(schedule, credits, lang, contacts,
                                          result.volunteer_contacts, contact)
    files["rota.html"] = overview
    files.update({f"rota/{vid}.html": page for vid, page in pages.items()})
    figures = {"start": result.start.isoformat(), "weeks": result.weeks, **result.stats,
               **(extra_figures or {})}
    files["schedule.json"] = json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    return {
        "assignments.csv": result.assignments,
        "schedule.csv": schedule[CONTRACT_COLUMNS + extra],
        "unmet.csv": result.unmet,
        "backups.csv": result.backups,
        "credits.csv": credits,
    }, files


def write_key(world: World, out: Path, key: Path | None = None) -> Path:
    """Write the pseudonyms' key of the outputs in folder ``out``
    (:func:`matching.outputs.privacy.key_table`), readable by its owner only, at ``key``
    (default :func:`matching.outputs.privacy.key_path`: beside the folder).

    Raises
    ------
    InputError
        If ``key`` lies inside the folder it unlocks.
    """
    path = key or key_path(out)
    if path.absolute().is_relative_to(Path(out).absolute()):
        raise InputError.one("--key", "input.key_inside", path=str(path), out=str(out))
    return write_file(path, key_table(world))


class PrivateDatabase:
    """An SQLite file of its owner's only (made 0600 before anything is in it), or a schema
    of a PostgreSQL database, opened with transactions begun explicitly and shared by threads
    under one lock; a context manager.

    Parameters
    ----------
    path
        The file, made if missing (unused with ``database``).
    schema
        SQL run at every opening of the file (``CREATE ... IF NOT EXISTS``).
    database, pg_schema, pg_tables
        A ``postgresql://`` address instead: the records live in its schema ``pg_schema``,
        whose tables ``pg_tables`` (PostgreSQL's SQL) makes the first time.
    """

    def __init__(self, path: str | Path, schema: str = "", *, database: str = "",
                 pg_schema: str = "", pg_tables: str = "") -> None:
        self.path = Path(path)
        self.dialect = "postgresql" if database else "sqlite"
        self._conn: Connection
        if database:
            conn = PostgresConnection(database, pg_schema)
            first = re.search(r"CREATE TABLE (\w+)", pg_tables)
            if first:
                ensure_tables(conn, pg_tables, first.group(1))
            self._conn = conn
        else:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
            lite = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if schema:
                lite.executescript(schema)
            self._conn = lite
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
