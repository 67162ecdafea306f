"""The audit log: who did what, chained; an entry edited, removed or slipped in behind the
database's back is named by ``matching audit verify``; backups copy a live folder whole."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import tarfile

import pytest

from matching.cli import main
from matching.ledger import open_ledger, read_done
from matching.programme.audit import AUDIT_FILE, AuditLog, command_line_actor, verify_data
from matching.programme.backup import backup, restore
from matching.rules.errors import InputError
from tests.ledger.test_book import write_rota


def data_folder(tmp_path):
    """A data folder with three logged acts and one programme's ledger (one batch)."""
    data = tmp_path / "data"
    (data / "programmes" / "minle" / "timebank").mkdir(parents=True)
    with AuditLog(data / AUDIT_FILE) as log:
        log.append("account:li", "upload", "minle", "volunteers.csv", None, {"rows": 63})
        log.append("link:V00001", "mark", "minle", "2026-04-01 visit E00001", None,
                   {"status": "done"})
        log.append("account:li", "approve", "minle", "marks 1", {"state": "pending"},
                   {"batch": 1})
    schedule, done = write_rota(tmp_path / "rota")
    with open_ledger(data / "programmes" / "minle" / "timebank" / "ledger.sqlite") as ledger:
        ledger.record(read_done(schedule, done), actor="account:li")
    return data


def behind_the_back(path, *statements: str) -> None:
    """Edit an SQLite file as someone would who went around the program: straight SQL,
    triggers dropped first where the statements say so."""
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_entries_are_chained_and_read_back(tmp_path):
    data = data_folder(tmp_path)
    with AuditLog(data / AUDIT_FILE) as log:
        entries = log.entries()
        assert [(e.seq, e.actor, e.action) for e in entries] == [
            (1, "account:li", "upload"), (2, "link:V00001", "mark"),
            (3, "account:li", "approve")]
        assert entries[2].before == {"state": "pending"} and entries[2].after == {"batch": 1}
        assert [e.seq for e in log.entries(actor="account:")] == [1, 3]
        assert [e.seq for e in log.entries(action="mark")] == [2]
        assert log.entries(programme="other") == []
        breaches, head = log.verify()
        assert breaches == [] and head == entries[-1].hash
    assert stat.S_IMODE((data / AUDIT_FILE).stat().st_mode) == 0o600
    assert command_line_actor().startswith("cli:")


def test_the_log_refuses_edits(tmp_path):
    data = data_folder(tmp_path)
    conn = sqlite3.connect(data / AUDIT_FILE)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE entries SET actor = 'someone else' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM entries WHERE seq = 3")


def test_verify_names_the_first_bad_entry(tmp_path, capsys):
    """Whole: exit 0 and the head hash. Entry 2's actor edited with the triggers dropped:
    exit 1 naming audit entry 2. Entry 2 removed instead: 'audit entry 2 is missing'. A
    ledger row edited: its seal is named."""
    data = data_folder(tmp_path)
    assert main(["audit", "verify", str(data), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["whole"] and found["entries"] == 3 and len(found["head"]) == 64
    assert found["ledgers"]["minle"]["total_minutes"] == 0

    copy = tmp_path / "copy.sqlite"
    copy.write_bytes((data / AUDIT_FILE).read_bytes())
    behind_the_back(data / AUDIT_FILE, "DROP TRIGGER entries_no_update",
                    "UPDATE entries SET actor = 'account:wang' WHERE seq = 2")
    assert main(["audit", "verify", str(data)]) == 1
    assert "first bad entry: audit entry 2" in capsys.readouterr().out

    (data / AUDIT_FILE).write_bytes(copy.read_bytes())
    behind_the_back(data / AUDIT_FILE, "DROP TRIGGER entries_no_delete",
                    "DELETE FROM entries WHERE seq = 2")
    assert main(["audit", "verify", str(data)]) == 1
    out = capsys.readouterr().out
    assert "audit entry 2: is missing" in out and "audit entry 3: does not follow" in out

    (data / AUDIT_FILE).write_bytes(copy.read_bytes())
    ledger = data / "programmes" / "minle" / "timebank" / "ledger.sqlite"
    behind_the_back(ledger, "DROP TRIGGER entries_no_update",
                    "UPDATE entries SET minutes = minutes * 10 WHERE minutes > 0")
    result = verify_data(data)
    assert [b.where for b in result.breaches] == ["minle: seal 1", "minle: transaction 1",
                                                   "minle: ledger"]


def test_a_backup_of_a_live_folder_restores_whole(tmp_path, capsys):
    """Backed up while a connection holds the audit log open in WAL mode, with an entry not
    yet checkpointed: the restored folder verifies, holds the same 4 entries and ledger,
    owner-only; restoring over a folder that holds something is refused."""
    data = data_folder(tmp_path)
    log = AuditLog(data / AUDIT_FILE)
    log.append("account:li", "replan", "minle", "run 2", None, {"from": "2026-04-06"})
    made = backup(data, tmp_path / "backup.tar.gz")
    log.close()
    assert made.databases == 2
    assert stat.S_IMODE((tmp_path / "backup.tar.gz").stat().st_mode) == 0o600
    assert main(["restore", str(tmp_path / "backup.tar.gz"), "--data",
                 str(tmp_path / "back")]) == 0
    back = tmp_path / "back"
    assert verify_data(back).whole
    with AuditLog(back / AUDIT_FILE) as restored:
        assert [e.action for e in restored.entries()] == ["upload", "mark", "approve",
                                                          "replan"]
    assert stat.S_IMODE(back.stat().st_mode) == 0o700
    assert main(["restore", str(tmp_path / "backup.tar.gz"), "--data", str(back)]) == 2
    assert "holds something already" in capsys.readouterr().err


def test_a_hostile_archive_restores_nothing(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(InputError, match="cannot be restored"):
        restore(evil, tmp_path / "data")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "data").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["evil.tar.gz"]
