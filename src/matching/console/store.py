"""Where the console keeps each programme: its input files, its runs and their outputs.

Everything lives under one data folder::

    DATA/programmes/NAME/inputs/{volunteers,elders,relations}.{csv,xlsx}
    DATA/runs/ID/{request.json,status.json,scenario.toml,inputs/,out/}

No path from a request reaches the file system unchecked: programme names and run ids must
match a strict pattern, and an output file is served only if it resolves inside its run's
output folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

#: A programme's name: letters (Chinese too), digits, "-" and "_", at most 64 of them.
PROGRAMME_NAME = re.compile(r"^[^\W][\w-]{0,63}$")

#: A run's id: a positive number, given in order.
RUN_ID = re.compile(r"^[1-9][0-9]{0,8}$")

#: The input files a programme keeps, in the order a coordinator gives them.
INPUT_KINDS = ("volunteers", "elders", "relations")

#: Suffixes an input file may have (the engine reads CSV in UTF-8/GBK and Excel workbooks).
INPUT_SUFFIXES = (".csv", ".xlsx")


class NotFound(LookupError):
    """A programme, run or file that does not exist (or may not be reached)."""


def write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON whole or not at all (a reader never sees half a file)."""
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
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        (self.root / "programmes").mkdir(parents=True, exist_ok=True)
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # programmes -------------------------------------------------------------------------

    def programmes(self) -> list[str]:
        """Every programme's name, sorted."""
        return sorted(p.name for p in (self.root / "programmes").iterdir()
                      if p.is_dir() and PROGRAMME_NAME.match(p.name))

    def programme_dir(self, name: str, *, create: bool = False) -> Path:
        """A programme's folder; ``create`` makes it, else it must exist."""
        if not PROGRAMME_NAME.match(name):
            raise NotFound(f"no programme {name!r}: a name is letters, digits, - and _")
        folder = self.root / "programmes" / name
        if create:
            (folder / "inputs").mkdir(parents=True, exist_ok=True)
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

    def replace_inputs(self, name: str, files: dict[str, Path]) -> None:
        """Save checked files (by kind) as the programme's inputs, replacing those of the
        same kind; the others stay as they were."""
        folder = self.programme_dir(name, create=True) / "inputs"
        with self._lock:
            for kind, path in files.items():
                target = folder / f"{kind}{path.suffix.lower()}"
                staged = folder / f".{target.name}.new"
                shutil.copyfile(path, staged)
                for suffix in INPUT_SUFFIXES:
                    old = folder / f"{kind}{suffix}"
                    if old != target and old.exists():
                        old.unlink()
                os.replace(staged, target)

    # runs -------------------------------------------------------------------------------

    def new_run(self) -> tuple[str, Path]:
        """A fresh run folder: its id (the next number) and path."""
        with self._lock:
            taken = [int(p.name) for p in (self.root / "runs").iterdir()
                     if RUN_ID.match(p.name)]
            run_id = str(max(taken, default=0) + 1)
            folder = self.root / "runs" / run_id
            folder.mkdir()
        return run_id, folder

    def run_dir(self, run_id: str) -> Path:
        """A run's folder (it must exist)."""
        if not RUN_ID.match(run_id) or not (self.root / "runs" / run_id).is_dir():
            raise NotFound(f"no run {run_id!r}")
        return self.root / "runs" / run_id

    def runs(self, programme: str | None = None) -> list[dict]:
        """Every run's status (of one programme if given), newest first."""
        out = []
        for folder in (self.root / "runs").iterdir():
            if RUN_ID.match(folder.name) and (folder / "status.json").is_file():
                status = read_json(folder / "status.json")
                if programme is None or status.get("programme") == programme:
                    out.append(status)
        return sorted(out, key=lambda s: -int(s["id"]))

    def run_file(self, run_id: str, relative: str) -> Path:
        """An output file of a run, by its path inside the run's output folder."""
        out = (self.run_dir(run_id) / "out").resolve()
        if not relative or "\\" in relative or "\x00" in relative:
            raise NotFound(f"no file {relative!r} in run {run_id}")
        path = (out / relative).resolve()
        if not path.is_relative_to(out) or not path.is_file():
            raise NotFound(f"no file {relative!r} in run {run_id}")
        return path
