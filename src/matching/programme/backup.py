"""A consistent copy of a console's data folder while it runs, and putting one back.

Every SQLite file (ledgers, the audit log, links, rosters) is copied through SQLite's online
backup, which reads a consistent state even while the console writes; the other files are
copied as they are. The copy is one ``.tar.gz`` file, owner-only. Restoring reads it as
hostile: only plain files and folders, every path inside the new data folder, and the
folder is made whole before it takes its name.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from matching.outputs.write import PRIVATE_FOLDER_MODE, private_folders, write_private
from matching.rules.errors import InputError
from matching.rules.ids import UnsafePath, inside

#: What an SQLite file starts with.
SQLITE_MAGIC = b"SQLite format 3\x00"

#: Files a backup leaves out: SQLite's journals (the online backup holds their content).
SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal")

#: The most files and bytes a restore reads from an archive.
MOST_FILES = 1_000_000
MOST_BYTES = 50 * 2**30


@dataclass(frozen=True)
class BackupSummary:
    """What a backup or a restore did: files, of them SQLite databases, and bytes."""

    files: int
    databases: int
    bytes: int


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _sqlite_copy(path: Path) -> bytes:
    """A consistent copy of a live SQLite file."""
    with tempfile.TemporaryDirectory(prefix="matching-backup-") as tmp:
        target = Path(tmp) / "copy.sqlite"
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        return target.read_bytes()


def backup(data: str | Path, out: str | Path) -> BackupSummary:
    """Copy the data folder ``data`` into the archive ``out`` (written whole, 0600).

    Raises
    ------
    InputError
        If ``data`` is not a folder.
    """
    data, out = Path(data), Path(out)
    if not data.is_dir():
        raise InputError.one(str(data), "input.no_data_folder")
    out = out.absolute()
    private_folders(out.parent)
    fd, staged = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w:gz") as archive:
            _add_folder(archive, data, out)
        os.replace(staged, out)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    return _summary(data_archive=out)


def _summary(data_archive: Path | None = None, folder: Path | None = None) -> BackupSummary:
    """Files, SQLite files and bytes in an archive, or in a folder."""
    files = databases = size = 0
    if data_archive is not None:
        with tarfile.open(data_archive, mode="r:gz") as archive:
            for member in archive:
                if member.isfile():
                    handle = archive.extractfile(member)
                    head = handle.read(len(SQLITE_MAGIC)) if handle is not None else b""
                    files, size = files + 1, size + member.size
                    databases += head == SQLITE_MAGIC
    elif folder is not None:
        for path in folder.rglob("*"):
            if path.is_file():
                files, size = files + 1, size + path.stat().st_size
                databases += _is_sqlite(path)
    return BackupSummary(files, databases, size)


def _add_folder(archive: tarfile.TarFile, data: Path, out: Path) -> None:
    """Every plain file of ``data`` into ``archive`` (SQLite files by online backup),
    leaving out journals and the archive being written."""
    for path in sorted(data.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.endswith(SKIPPED_SUFFIXES) \
                or path.absolute() == out or path.name.startswith(f".{out.name}."):
            continue
        content = _sqlite_copy(path) if _is_sqlite(path) else path.read_bytes()
        info = tarfile.TarInfo(path.relative_to(data).as_posix())
        info.size, info.mode = len(content), 0o600
        archive.addfile(info, io.BytesIO(content))


def _unpack(archive_path: Path, staging: Path) -> None:
    """Each plain file of the archive into ``staging``, checked as hostile first."""
    name = archive_path.name
    files = size = 0
    with tarfile.open(archive_path, mode="r:gz") as archive:
        for member in archive:
            if member.isdir():
                continue
            if not member.isfile():
                raise InputError.one(name, "input.backup_member", member=member.name)
            try:
                target = inside(staging, member.name)
            except UnsafePath:
                raise InputError.one(name, "input.backup_member", member=member.name) from None
            files += 1
            size += member.size
            if files > MOST_FILES or size > MOST_BYTES:
                raise InputError.one(name, "input.backup_too_big", files=MOST_FILES,
                                     gib=MOST_BYTES // 2**30)
            handle = archive.extractfile(member)
            write_private(target, handle.read() if handle is not None else b"")


def restore(archive_path: str | Path, data: str | Path) -> BackupSummary:
    """Put a backup back as the data folder ``data``, which must not exist or be empty.

    Raises
    ------
    InputError
        If the archive cannot be read, holds anything but plain files and folders, a path
        outside the folder, or too much; or ``data`` holds something already. Nothing is
        left behind then.
    """
    archive_path, data = Path(archive_path), Path(data)
    if data.exists() and (not data.is_dir() or any(data.iterdir())):
        raise InputError.one(str(data), "input.data_not_empty")
    data.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data.name}.restoring-", dir=data.parent))
    try:
        try:
            _unpack(archive_path, staging)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise InputError.one(archive_path.name, "input.not_a_backup",
                                 detail=str(exc)) from None
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            os.chmod(folder, PRIVATE_FOLDER_MODE)
        if data.exists():
            data.rmdir()
        os.replace(staging, data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _summary(data_archive=None, folder=data)
