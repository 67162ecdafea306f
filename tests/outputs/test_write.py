"""Outputs are never lost or half-written, never leak, and repeat byte for byte.

Runs are killed with SIGINT, SIGTERM and SIGKILL at seeded random moments; a full disk is
simulated; cells that a spreadsheet would run as formulas are neutralised; pseudonymised
folders hold no name, phone or address; each volunteer's calendar and rota page hold only
their own elders.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import matching.outputs.write as write_module
from matching.cli import main
from matching.outputs.write import neutralise, write_outputs
from matching.world.read import read_table

START, WEEKS = "2026-03-02", 4


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    assert main(["generate", "--preset", "minle", "--seed", "5", "--out", str(folder)]) == 0
    assert main(["pair", "--volunteers", str(folder / "volunteers.csv"), "--elders",
                 str(folder / "elders.csv"), "--relations", str(folder / "relations.csv"),
                 "--out", str(folder / "pairing"), "--quiet"]) == 0
    return folder


def schedule_args(world: Path, out: Path, *extra: str) -> list[str]:
    return ["schedule", "--volunteers", str(world / "volunteers.csv"), "--elders",
            str(world / "elders.csv"), "--relations", str(world / "relations.csv"),
            "--assignments", str(world / "pairing" / "assignments.csv"), "--start", START,
            "--weeks", str(WEEKS), "--out", str(out), "--quiet", *extra]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (timings.json aside: wall-clock figures)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "timings.json"}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --- killed runs -----------------------------------------------------------------------------

@pytest.mark.slow
def test_killed_runs_leave_the_previous_outputs_or_the_new_ones_whole(world, tmp_path):
    """A schedule is written over an earlier pairing-only folder, and stopped at seeded
    random moments by each signal. Afterwards the folder is exactly the earlier one, or a
    whole new one: the schedule itself, or after SIGINT and SIGTERM the schedule as far as it
    got, marked interrupted (each of those stops the search and writes what it has). SIGINT
    and SIGTERM leave no temporary folder, SIGKILL's is swept by the next write."""
    old = snapshot(world / "pairing")
    new_ref = tmp_path / "reference"  # the schedule written over the pairing, to the end
    write_outputs(new_ref, {}, dict(old))
    assert main(schedule_args(world, new_ref)) == 0
    new = snapshot(new_ref)
    assert new != old
    command = [sys.executable, "-m", "matching.cli"]
    started = time.perf_counter()
    subprocess.run(command + schedule_args(world, tmp_path / "timed"), check=True)
    duration = time.perf_counter() - started
    rng = random.Random(11)
    seen = {"old": 0, "new": 0}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        for _ in range(3):
            out = tmp_path / f"run-{sig.name}-{seen['old'] + seen['new']}"
            write_outputs(out, {}, {name: data for name, data in old.items()})
            proc = subprocess.Popen(command + schedule_args(world, out),
                                    stderr=subprocess.PIPE)
            # from just after start-up (0.1 s of imports, before the handlers are set)
            time.sleep(rng.uniform(0.3, duration * 1.05))
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=120)
            now = snapshot(out)
            # whole: every file of a schedule folder (each volunteer's page and calendar
            # depend on what the plan gave them, so those may differ in number)
            whole = {k for k in new if "/" not in k} <= now.keys()
            interrupted = whole and json.loads(now["schedule.json"])["status"] == "interrupted"
            differ = sorted(k for k in now.keys() | new.keys() if now.get(k) != new.get(k))
            status = json.loads(now["schedule.json"])["status"] if "schedule.json" in now \
                else None
            assert now in (old, new) or interrupted, \
                f"{sig.name}: a mix of old and new (rc {proc.returncode}, status {status}, " \
                f"{len(differ)} files differ from the new: {differ[:5]})"
            seen["old" if now == old else "new"] += 1
            if sig != signal.SIGKILL:
                # 0 when it finished or wrote what it had; -sig when the signal beat the
                # handler at start-up (or hit an import in progress), which CPython re-raises
                assert proc.returncode in (0, -sig)
                assert b"Traceback" not in err
                assert leftovers(out.parent) == [], sig.name
    # every leftover of a SIGKILL is swept by the next write beside it
    write_outputs(tmp_path / "another", {}, {"x.txt": "x"})
    assert [name for name in leftovers(tmp_path) if ".tmp-" in name or ".old-" in name] == []
    assert seen["old"] + seen["new"] == 9


def test_interrupt_while_writing_keeps_the_previous_folder(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, {"a.csv": pd.DataFrame({"x": [1]})}, {"note.txt": "old"})
    before = snapshot(out)
    calls = {"n": 0}
    real = write_module.csv_bytes

    def flaky(frame: pd.DataFrame, headers: str) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(frame, headers)

    monkeypatch.setattr(write_module, "csv_bytes", flaky)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(out, {"a.csv": pd.DataFrame({"x": [2]}), "b.csv": pd.DataFrame()},
                      {"note.txt": "new"})
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_killed_swap_is_finished_by_the_next_write(tmp_path):
    """Where the two-rename swap was cut between its renames (the folder moved aside,
    the new one not yet in), the next write puts the previous folder back first."""
    out = tmp_path / "out"
    write_outputs(out, {}, {"note.txt": "old"})
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    os.rename(out, tmp_path / f".out.old-{dead}")
    (tmp_path / f".out.tmp-{dead}-abc").mkdir()
    write_outputs(out, {}, {"other.txt": "new"})
    assert (out / "note.txt").read_text() == "old"  # restored, then carried over
    assert (out / "other.txt").read_text() == "new"
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_full_disk_is_a_clear_error_and_changes_nothing(world, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(schedule_args(world, out)) == 0
    before = snapshot(out)
    real = write_module.write_private

    def full(path: Path, data: bytes) -> None:
        if path.name == "unmet.csv":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(write_module, "write_private", full)
    assert main(schedule_args(world, out)) == 1
    err = capsys.readouterr().err
    assert f"cannot write {out}: the disk is full (" in err
    assert "MB free); nothing was changed, the previous outputs are as they were" in err
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# --- reproducible ------------------------------------------------------------------------

@pytest.mark.slow
def test_same_bytes_with_any_number_of_workers(world, tmp_path):
    """Every output but timings.json is the same bytes for 1, 2 and 8 workers."""
    runs = []
    for workers in ("1", "2", "8"):
        out = tmp_path / f"w{workers}"
        assert main(["pair", "--volunteers", str(world / "volunteers.csv"), "--elders",
                     str(world / "elders.csv"), "--relations", str(world / "relations.csv"),
                     "--out", str(out), "--quiet", "--workers", workers, "--seed", "3"]) == 0
        assert main(schedule_args(world, out / "schedule", "--seed", "3")) == 0
        runs.append(snapshot(out))
    assert runs[0] == runs[1] == runs[2]
    assert "summary.json" in runs[0] and "schedule/schedule.json" in runs[0]
    timings = json.loads((tmp_path / "w1" / "timings.json").read_text())
    assert set(timings) == {"summary.json"}


# --- formula injection ---------------------------------------------------------------------

def test_formula_cells_are_neutralised_and_read_back():
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "+86 138", "-", "@SUM(A1)",
                                   "\tTab", "王秀英", "'=already"],
                          "cost": ["-3.2", "-1", "+2", "=1", "4", "5", "6"]})
    safe = neutralise(frame)
    assert safe["name"].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "'+86 138", "'-",
                                     "'@SUM(A1)", "'\tTab", "王秀英", "''=already"]
    # numbers are not formulas; "=1" is
    assert safe["cost"].tolist() == ["-3.2", "-1", "+2", "'=1", "4", "5", "6"]


@pytest.mark.slow
def test_a_formula_in_a_name_never_reaches_a_spreadsheet(world, tmp_path):
    vols = pd.read_csv(world / "volunteers.csv", dtype=str, keep_default_na=False)
    vols.loc[0, "name"] = '=HYPERLINK("http://evil.example","点我")'
    vols.to_csv(tmp_path / "v.csv", index=False)
    out = tmp_path / "out"
    assert main(["pair", "--volunteers", str(tmp_path / "v.csv"), "--elders",
                 str(world / "elders.csv"), "--out", str(out), "--quiet"]) == 0
    for path in out.rglob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.startswith(("=", "@", "+")), (path.name, cell)
    kept = read_table(out / "inputs" / "volunteers.csv")
    assert kept["name"].iloc[0] == '=HYPERLINK("http://evil.example","点我")'


# --- personal data -------------------------------------------------------------------------

def secrets(world: Path) -> set[str]:
    found: set[str] = set()
    for name in ("volunteers", "elders"):
        table = pd.read_csv(world / f"{name}.csv", dtype=str, keep_default_na=False)
        for column in ("name", "phone", "address"):
            if column in table.columns:
                found |= set(table[column])
    found.discard("")
    return found


@pytest.mark.slow
def test_pseudonymised_run_has_no_name_phone_or_address(world, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[inputs]\nvolunteers = "{world / "volunteers.csv"}"\n'
                        f'elders = "{world / "elders.csv"}"\n'
                        f'relations = "{world / "relations.csv"}"\n'
                        f'[schedule]\nstart = {START}\nweeks = {WEEKS}\n', encoding="utf-8")
    out = tmp_path / "plans" / "minle"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--pseudonymise"]) == 0
    assert main(["report", str(out), "--pseudonymise"]) == 0
    hidden = secrets(world)
    assert len(hidden) > 300  # names, phones and addresses of 63 + 155 people
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="ignore")
            leaked = [s for s in hidden if s in text]
            assert leaked == [], (path.name, leaked[:3])
    # coordinates rounded to 3 decimals (about 100 m)
    elders = pd.read_csv(out / "inputs" / "elders.csv", dtype=str)
    assert elders["lat"].str.fullmatch(r"\d+\.\d{3}").all()
    assert elders["name"].iloc[0] == f"elder {elders['elder_id'].iloc[0]}"
    # the key lies beside the folder, owner-only, and maps every person back
    key = pd.read_csv(tmp_path / "plans" / "minle.key.csv", dtype=str, keep_default_na=False)
    assert oct((tmp_path / "plans" / "minle.key.csv").stat().st_mode & 0o777) == "0o600"
    truth = pd.read_csv(world / "elders.csv", dtype=str, keep_default_na=False)
    row = key[(key["kind"] == "elder") & (key["id"] == truth["elder_id"].iloc[0])].iloc[0]
    assert (row["name"], row["phone"]) == (truth["name"].iloc[0], truth["phone"].iloc[0])
    assert len(key) == 63 + 155
    run = json.loads((out / "run.json").read_text())
    assert run["pseudonymised"] is True


@pytest.mark.slow
def test_key_inside_the_output_folder_is_refused(world, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["pair", "--volunteers", str(world / "volunteers.csv"), "--elders",
                 str(world / "elders.csv"), "--out", str(out), "--quiet", "--pseudonymise",
                 "--key", str(out / "key.csv")])
    assert code == 2
    assert "keep the key apart from the outputs it unlocks" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_each_volunteer_sees_only_their_own_elders(world, tmp_path):
    out = tmp_path / "out"
    assert main(schedule_args(world, out)) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    elders = pd.read_csv(world / "elders.csv", dtype=str, keep_default_na=False)
    by_id = elders.set_index("elder_id")
    pages = sorted((out / "rota").glob("*.html"))
    assert len(pages) == schedule["volunteer_id"].nunique()
    for page in pages:
        volunteer = page.stem
        mine = set(schedule.loc[(schedule["volunteer_id"] == volunteer)
                                & (schedule["elder_id"] != ""), "elder_id"])
        others = set(elders["elder_id"]) - mine
        # neighbours may share a building entrance: only an address of none of mine counts
        my_places = {by_id.loc[e, "address"] for e in mine} | {by_id.loc[e, "phone"]
                                                              for e in mine}
        for path in (page, out / "ical" / f"{volunteer}.ics"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".ics":  # folded lines: join them back
                text = text.replace("\r\n ", "")
            for elder in mine:
                assert by_id.loc[elder, "name"] in text
            for elder in others:
                for column in ("phone", "address"):
                    value = by_id.loc[elder, column]
                    assert value in my_places or value not in text, (path.name, elder)
                assert f">{elder}<" not in text and f"({elder})" not in text


@pytest.mark.slow
def test_progress_lines_hold_nothing_personal(world, tmp_path, capsys):
    assert main([a for a in schedule_args(world, tmp_path / "out") if a != "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "scheduling 4 weeks" in captured.err  # the progress lines were printed
    hidden = secrets(world)
    printed = captured.err + captured.out
    assert [s for s in hidden if s in printed] == []


def test_a_write_clears_what_killed_writers_of_other_folders_left(tmp_path):
    """Any write clears every dead writer's leftovers in its parent folder, not only its
    own target's: a half-built folder and file are removed, a folder moved aside by a cut
    swap is put back."""
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    write_outputs(tmp_path / "kept", {}, {"note.txt": "kept"})
    os.rename(tmp_path / "kept", tmp_path / f".kept.old-{dead}")
    (tmp_path / f".elsewhere.tmp-{dead}-xyz").mkdir()
    (tmp_path / f".file.csv.tmp-{dead}").write_text("half")
    alive = tmp_path / f".busy.tmp-{os.getpid()}-abc"  # a writer still at work: left alone
    alive.mkdir()
    write_outputs(tmp_path / "another", {}, {"x.txt": "x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "another", "kept"]
    assert (tmp_path / "kept" / "note.txt").read_text() == "kept"
