"""Where the console keeps each programme: its input files, its runs and their outputs.

Everything lives under one data folder::

    DATA/programmes/NAME/inputs/{volunteers,elders,relations}.{csv,xlsx}
    DATA/runs/ID/{request.json,status.json,scenario.toml,inputs/,out/}

No path from a request reaches the file system unchecked: programme names and run ids must
match a strict pattern (:func:`programme_name_problem`), and an output file is served only
if it resolves inside its run's output folder (:func:`matching.rules.ids.inside`). Everything
under the data folder is its owner's only: folders 0700, files 0600.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

from confusable_homoglyphs import utils as homoglyphs

from matching.outputs.write import PRIVATE_FOLDER_MODE, private_folders, write_private
from matching.rules.errors import InputIssue
from matching.rules.ids import UnsafePath, inside
from matching.world.streets.network import cache_path

#: A programme's name: letters (Chinese too), digits, "-" and "_", at most 64 of them,
#: starting with a letter or digit (after NFC normalisation; the whole name must match).
PROGRAMME_NAME = re.compile(r"[^\W_][\w-]{0,63}")

#: A run's id: a positive number, given in order.
RUN_ID = re.compile(r"[1-9][0-9]{0,8}")

#: An upload kept aside for the coordinator to take: its token's bytes, and its form.
STAGE_TOKEN_BYTES = 16
STAGE_TOKEN = re.compile(r"[0-9a-f]{32}")

#: The input files a programme keeps, in the order a coordinator gives them.
INPUT_KINDS = ("volunteers", "elders", "relations")

#: Suffixes an input file may have (the engine reads CSV in UTF-8/GBK and Excel workbooks).
INPUT_SUFFIXES = (".csv", ".xlsx")
#: The programme's street extract.
STREETS_NAME = "streets.osm.pbf"


class NotFound(LookupError):
    """A programme, run or file that does not exist (or may not be reached)."""


class BadName(ValueError):
    """A new programme's name that may not be used; ``issue`` says why."""

    def __init__(self, issue: InputIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def programme_name_problem(name: str, existing: list[str]) -> InputIssue | None:
    """Why ``name`` may not name a new programme beside ``existing`` ones (``None``: it may).

    A name is NFC text of letters, digits, ``-`` and ``_`` (at most 64), and must not match
    an existing name after NFKC case folding (``Minle`` and ``ｍｉｎｌｅ``), nor look like one
    (``minle`` with a Cyrillic ``і``, by Unicode's confusable characters).
    """
    if unicodedata.normalize("NFC", name) != name or not PROGRAMME_NAME.fullmatch(name):
        return InputIssue("name", "name.pattern")
    folded = _folded(name)
    for other in existing:
        if other == name:
            continue
        if _folded(other) == folded:
            return InputIssue("name", "name.case", other=other)
        if skeleton(_folded(other)) == skeleton(folded):
            return InputIssue("name", "name.looks_like", other=other)
    return None


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


@functools.cache
def _look_alikes() -> dict[str, list[dict[str, str]]]:
    """Unicode's confusable characters (``confusables.txt``, as ``confusable_homoglyphs``
    ships it): each character with those it may be taken for."""
    return homoglyphs.load("confusables.json")


def skeleton(text: str) -> str:
    """``text`` with each character replaced by the one of its look-alikes with the lowest
    code point (Cyrillic ``і`` by Latin ``i``), so that names that look the same compare
    equal."""
    table = _look_alikes()
    return "".join(min([c, *(h["c"] for h in table.get(c, ()) if len(h["c"]) == 1)], key=ord)
                   for c in text)


def private_folder(path: Path) -> Path:
    """Make ``path`` (and its missing parents) a folder of its owner's only, whatever mode
    it had."""
    private_folders(path)
    os.chmod(path, PRIVATE_FOLDER_MODE)
    return path


def write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON whole or not at all (a reader never sees half a file),
    owner-only (``NamedTemporaryFile`` makes its files 0600)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                     prefix=f".{path.name}.", delete=False) as f:
        f.write(text)
    os.replace(f.name, path)


def read_json(path: Path) -> dict:
    """A JSON file written by :func:`write_json`."""
    return json.loads(path.read_text(encoding="utf-8"))


class Store:
    """The console's data folder.

    Parameters
    ----------
    root
        The folder (``matching serve --data``); made if missing.
    alliance
        The alliance the programmes form (``matching serve --alliance``): they then share
        one time-bank ledger (通存通兑); empty, each keeps its own.
    database
        A PostgreSQL address (``matching serve --database``): the time-bank ledgers live
        there, for several console processes at once; empty, in SQLite files here.
    """

    def __init__(self, root: str | Path, alliance: str = "", database: str = "") -> None:
        self.root = private_folder(Path(root).resolve())
        self.alliance = alliance
        self.database = database
        private_folder(self.root / "programmes")
        private_folder(self.root / "runs")
        self._lock = threading.Lock()

    # programmes -------------------------------------------------------------------------

    def programmes(self) -> list[str]:
        """Every programme's name, sorted."""
        return sorted(p.name for p in (self.root / "programmes").iterdir()
                      if p.is_dir() and PROGRAMME_NAME.fullmatch(p.name))

    def check_new_name(self, name: str) -> None:
        """Refuse a name a new programme may not have.

        Raises
        ------
        BadName
            With :func:`programme_name_problem`'s sentence.
        """
        problem = programme_name_problem(name, self.programmes())
        if problem is not None:
            raise BadName(problem)

    def programme_dir(self, name: str, *, create: bool = False) -> Path:
        """A programme's folder; ``create`` makes it (the name checked as a new one's),
        else it must exist.

        Raises
        ------
        NotFound
            If it does not exist (and is not to be made).
        BadName
            If it is to be made and its name may not be used.
        """
        if not PROGRAMME_NAME.fullmatch(name):
            raise NotFound(f"no programme {name!r}")
        folder = inside(self.root / "programmes", name)
        if create and not folder.is_dir():
            with self._lock:
                self.check_new_name(name)
                private_folder(folder / "inputs")
        elif not folder.is_dir():
            raise NotFound(f"no programme {name!r}")
        return folder

    def inputs(self, name: str) -> dict[str, Path]:
        """The programme's saved input files by kind (missing kinds left out)."""
        folder = self.programme_dir(name) / "inputs"
        found = {}
        for kind in INPUT_KINDS:
            for suffix in INPUT_SUFFIXES:
                if (folder / f"{kind}{suffix}").is_file():
                    found[kind] = folder / f"{kind}{suffix}"
        return found

    def streets(self, name: str) -> Path | None:
        """The programme's street extract (``inputs/streets.osm.pbf``), if it has one."""
        path = self.programme_dir(name) / "inputs" / STREETS_NAME
        return path if path.is_file() else None

    def replace_streets(self, name: str, staged: Path) -> Path:
        """Make a checked extract (``staged``, in the programme's inputs folder, with its
        graph cached beside it) the programme's streets; the one before is replaced."""
        folder = self.programme_dir(name, create=True) / "inputs"
        target = folder / STREETS_NAME
        with self._lock:
            if cache_path(staged).is_file():  # keyed by the file's contents, not its name
                os.replace(cache_path(staged), cache_path(target))
            os.replace(staged, target)
        return target

    def replace_inputs(self, name: str, files: dict[str, Path]) -> None:
        """Save checked files (by kind) as the programme's inputs, replacing those of the
        same kind; the others stay as they were."""
        folder = self.programme_dir(name, create=True) / "inputs"
        with self._lock:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            for kind, path in files.items():
                target = folder / f"{kind}{path.suffix.lower()}"
                staged = folder / f".{target.name}.new"
                write_private(staged, path.read_bytes())
                for suffix in INPUT_SUFFIXES:
                    old = folder / f"{kind}{suffix}"
                    if old.exists():  # every version is kept, the newest in use
                        kept = folder / "versions" / f"{stamp}-{time.time_ns()}-{old.name}"
                        private_folder(kept.parent)
                        os.replace(old, kept)
                os.replace(staged, target)

    def versions(self, name: str) -> list[Path]:
        """Every earlier input file of the programme, oldest first."""
        folder = self.programme_dir(name) / "inputs" / "versions"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def stage(self, name: str, files: dict[str, Path]) -> str:
        """Keep checked files (by kind) aside until the coordinator takes them; a token
        for :meth:`staged`."""
        token = secrets.token_hex(STAGE_TOKEN_BYTES)
        folder = private_folder(self.programme_dir(name) / "staged" / token)
        for kind, path in files.items():
            write_private(folder / f"{kind}{path.suffix.lower()}", path.read_bytes())
        return token

    def staged(self, name: str, token: str) -> dict[str, Path]:
        """The files kept aside under ``token``, by kind.

        Raises
        ------
        NotFound
            For an unknown (or malformed) token.
        """
        if not STAGE_TOKEN.fullmatch(token):
            raise NotFound("no such upload")
        folder = self.programme_dir(name) / "staged" / token
        if not folder.is_dir():
            raise NotFound("no such upload")
        return {p.stem: p for p in sorted(folder.iterdir())
                if p.stem in INPUT_KINDS and p.suffix in INPUT_SUFFIXES}

    def drop_staged(self, name: str, token: str) -> None:
        """Forget files kept aside (taken, or given up)."""
        if STAGE_TOKEN.fullmatch(token):
            shutil.rmtree(self.programme_dir(name) / "staged" / token, ignore_errors=True)

    # runs -------------------------------------------------------------------------------

    def new_run(self) -> tuple[str, Path]:
        """A fresh run folder: its id (the next number) and path."""
        with self._lock:
            taken = [int(p.name) for p in (self.root / "runs").iterdir()
                     if RUN_ID.fullmatch(p.name)]
            run_id = str(max(taken, default=0) + 1)
            folder = self.root / "runs" / run_id
            folder.mkdir(mode=PRIVATE_FOLDER_MODE)
        return run_id, folder

    def run_dir(self, run_id: str) -> Path:
        """A run's folder (it must exist)."""
        if not RUN_ID.fullmatch(run_id) or not (self.root / "runs" / run_id).is_dir():
            raise NotFound(f"no run {run_id!r}")
        return self.root / "runs" / run_id

    def runs(self, programme: str | None = None) -> list[dict]:
        """Every run's status (of one programme if given), newest first."""
        out = []
        for folder in (self.root / "runs").iterdir():
            if RUN_ID.fullmatch(folder.name) and (folder / "status.json").is_file():
                status = read_json(folder / "status.json")
                if programme is None or status.get("programme") == programme:
                    out.append(status)
        return sorted(out, key=lambda s: -int(s["id"]))

    def run_file(self, run_id: str, relative: str) -> Path:
        """An output file of a run, by its path inside the run's output folder."""
        try:
            path = inside(self.run_dir(run_id) / "out", relative)
        except UnsafePath:
            raise NotFound(f"no file {relative!r} in run {run_id}") from None
        if not path.is_file():
            raise NotFound(f"no file {relative!r} in run {run_id}")
        return path
