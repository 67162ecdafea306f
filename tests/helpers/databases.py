"""The two places a ledger lives in the tests: an SQLite file, and a throwaway PostgreSQL
started for the test session (``initdb`` in a temporary folder, listening on a Unix socket
in it only, no TCP port at all), each test in a schema of its own.

Without PostgreSQL's programs the PostgreSQL half is skipped, unless
``MATCHING_REQUIRE_POSTGRESQL`` is set (CI installs PostgreSQL and sets it)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from matching.ledger import Ledger, open_ledger
from matching.ledger.schema import DEFAULT_SCHEMA
from matching.rules.errors import InputError

#: Where Debian keeps PostgreSQL's programs (not on the PATH).
DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
#: The database's superuser in the throwaway cluster.
PG_USER = "matching"


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob(DEBIAN_BINARIES), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0)
    return Path(versions[-1]) if versions else None


def _unavailable(why: str) -> None:
    if os.environ.get("MATCHING_REQUIRE_POSTGRESQL"):
        pytest.fail(f"PostgreSQL is required here and {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL for the session: its address."""
    binaries = _binaries()
    if binaries is None:
        _unavailable("no PostgreSQL programs (initdb) are installed")
        return
    folder = Path(tempfile.mkdtemp(prefix="matching-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: as its own user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run it as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "log"
    port = str(50_000 + os.getpid() % 10_000)
    subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(data), "-U", PG_USER,
                    "--auth=trust", "-E", "UTF8", "--no-locale"], check=True,
                   capture_output=True)
    # the socket in the folder, and no TCP at all: nothing off this computer can reach it
    options = f"-c listen_addresses='' -k {folder} -p {port} -c fsync=off"
    subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log),
                    "-o", options, "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://{PG_USER}@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Ledgers:
    """Named ledgers of one test, all in one place: files in a folder, or schemas of one
    PostgreSQL database."""

    kind: str
    folder: Path
    url: str = ""
    prefix: str = ""

    def where(self, name: str = "L") -> dict:
        """``open_ledger``'s location and schema for the ledger called ``name``."""
        if self.kind == "sqlite":
            return {"path": self.folder / f"{name}.sqlite"}
        if name == "L":  # the commands' ledger (--database), as the tests name it
            return {"path": self.url, "schema": DEFAULT_SCHEMA}
        return {"path": self.url, "schema": f"{self.prefix}_{name}".lower()}

    def open(self, name: str = "L", rules=None, **options) -> Ledger:
        """Open (creating) the ledger called ``name``."""
        return open_ledger(rules=rules, **self.where(name), **options)

    def cli(self, name: str = "L") -> list[str]:
        """Where ``matching ledger`` finds the ledger: ``--db FILE``, or ``--database URL``
        (the commands' one ledger of that database)."""
        if self.kind == "sqlite":
            return ["--db", str(self.folder / f"{name}.sqlite")]
        return ["--database", self.url]

    def exists(self, name: str = "L") -> bool:
        """Whether the ledger ``name`` was made."""
        if self.kind == "sqlite":
            return (self.folder / f"{name}.sqlite").exists()
        try:
            open_ledger(create=False, **self.where(name)).close()
        except InputError:
            return False
        return True


def fresh_database(base_url: str) -> str:
    """A new, empty database of the throwaway cluster: its address (each test its own, so
    that the commands' one ledger of a database is the test's alone)."""
    psycopg = pytest.importorskip("psycopg")
    name = f"t{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base_url.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledgers(request, tmp_path) -> Ledgers:
    """Each test that asks for it runs twice: on SQLite files and on PostgreSQL (a
    database of its own)."""
    if request.param == "sqlite":
        return Ledgers("sqlite", tmp_path)
    url = fresh_database(request.getfixturevalue("postgres_url"))
    return Ledgers("postgresql", tmp_path, url, "t")
