"""The web console for the community office (``matching serve``): upload the rosters, plan
in the background, see the plan on a map, and hand out each volunteer's rota.

Layout: :mod:`~matching.console.store` keeps the files, :mod:`~matching.console.runs` runs
the command line in the background, :mod:`~matching.console.service` does what the pages
and the API ask; :mod:`~matching.console.pages` and :mod:`~matching.console.api` are the
routes, :mod:`~matching.console.guard`, :mod:`~matching.console.accounts` and
:mod:`~matching.console.sessions` guard them, and :mod:`~matching.console.app` puts it
together.
"""

from __future__ import annotations

from pathlib import Path

from matching.console.app import create_app
from matching.console.service import check_upload
from matching.console.store import INPUT_KINDS, INPUT_SUFFIXES, Store

__all__ = ["create_app", "load_programme"]


def load_programme(data: str | Path, name: str, folder: str | Path) -> bool:
    """Load a folder's ``volunteers``, ``elders`` and ``relations`` files (CSV or .xlsx) as
    programme ``name`` of the console's ``data`` folder, if it has no inputs yet; whether
    it did. The files are checked as an upload is."""
    store = Store(data)
    if name in store.programmes() and store.inputs(name):
        return False
    files = {kind: Path(folder) / f"{kind}{suffix}" for kind in INPUT_KINDS
             for suffix in INPUT_SUFFIXES if (Path(folder) / f"{kind}{suffix}").is_file()}
    store.programme_dir(name, create=True)
    check_upload(store, name, {k: (p.name, p.read_bytes()) for k, p in files.items()})
    return True
