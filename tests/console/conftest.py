"""What the console's tests share: Minle planned for a fortnight once per test process,
each fixture starting from its own copy of the data folder (a plan takes seconds, a copy
a fraction of one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from matching.console import accounts, create_app
from tests.console.test_app import local, minle_files, wait

#: The fortnight planned: its first day, and days its links stay open after it (so that a
#: past fortnight's links still work).
FORTNIGHT_START = "2026-03-30"
LINK_DAYS = 36_500


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Argon2 at its cheapest for the accounts a test makes in its own process: the stored
    hash has the same form, and its cost (0.13 s a hash here) is not what these tests test.
    Accounts added through the command line (a process of their own) keep the real cost."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("no such account"))


@pytest.fixture(scope="session")
def fortnight_source(tmp_path_factory) -> tuple[Path, str]:
    """A console's data folder with Minle's rosters uploaded and planned for two weeks from
    :data:`FORTNIGHT_START` by the real command, with the run's id. Never opened again: each
    user copies it (:func:`fortnight_copy`)."""
    data = tmp_path_factory.mktemp("fortnight") / "data"
    with local(create_app(data, link_days=LINK_DAYS)) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        run_id = client.post("/api/programmes/minle/runs", json={
            "start": FORTNIGHT_START, "weeks": 2, "time_limit": 20}).json()["id"]
        assert wait(client, run_id)["status"] == "done"
    return data, run_id


def fortnight_copy(source: tuple[Path, str], into: Path) -> tuple[Path, str]:
    """A copy of :func:`fortnight_source` at ``into``, and the run's id."""
    shutil.copytree(source[0], into)
    return into, source[1]
