"""Hostile spreadsheets through every command: an id that is a path is bad input and writes
nothing; names that carry HTML, script, formulas and invisible characters plan as any other,
and nothing anywhere lets them run or write outside the output folder."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import matching
from matching import checker
from matching.catalogue import say
from matching.cli import main
from matching.outputs.workbook import xlsx
from matching.rules.errors import InputError
from matching.rules.ids import MAX_ID_LENGTH, UnsafePath, id_problem, inside, normalise_id
from matching.world.read import read_table
from tests.helpers.hostile import (
    BAD_IDS,
    FORMULA_PAYLOADS,
    LONG_NAME,
    ODD_ELDER_IDS,
    ODD_VOLUNTEER_IDS,
    RAW_MARKERS,
    hostile_id_world,
    hostile_names_world,
    scenario,
    tree,
)

# --- the id rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("../x", "path separator"), ("a\\b", "path separator"), ("/etc/passwd", "path separator"),
    (".hidden", "starts with a dot"), ("V\u202e1", "U+202E"), ("V\u200b1", "U+200B"),
    ("V\x071", "U+0007"), ("V\ufeff1", "U+FEFF"), ("V\u31641", "U+3164"),
    ("V" * (MAX_ID_LENGTH + 1), "65 characters long"),
    # issue 30: names that are not safe on Windows or macOS
    ("CON", "keeps for a device"), ("nul", "keeps for a device"), ("COM1", "keeps for a device"),
    ("LPT9.txt", "keeps for a device"), ("aux .x", "keeps for a device"),
    ("C:x", "names a drive"), ("V1:stream", "names a drive"),
    ("V1.", "ends in a dot or a space"), ("V1 ", "ends in a dot or a space"),
])
def test_the_id_rule_refuses(text, expected):
    """Each kind of bad id is refused with its own reason."""
    code, params = id_problem(normalise_id(text)) or ("", {})
    assert expected in say(code, "en", **params)


@pytest.mark.parametrize("text", [*ODD_VOLUNTEER_IDS, *ODD_ELDER_IDS, "007", "V" * 64,
                                  "志愿者\u3000一", "Ω-1_b.c", "CONSOLE", "COM10", "NULL-1",
                                  "V.1"])
def test_the_id_rule_lets_odd_ids_through(text):
    """Ids with spaces, punctuation, Chinese or a dot inside are ids like any other."""
    assert id_problem(normalise_id(text)) is None


def test_ids_that_differ_only_in_case_are_refused_naming_both_rows(tmp_path):
    """Issue 30, attack 8: V00000 and v00000 in one file would be one rota file on a disk
    that ignores case; in the relations file a twin across two columns counts too."""
    volunteers = tmp_path / "volunteers.csv"
    volunteers.write_text("volunteer_id,name\nV00000,王\nV00001,李\nv00000,张\n",
                          encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_table(volunteers)
    (problem,) = refused.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "volunteers.csv", 4, "volunteer_id", "v00000")
    assert "differs only in case from 'V00000' on row 2" in problem.text("en")
    relations = tmp_path / "relations.csv"
    relations.write_text("volunteer_id,elder_id,relation\nAB1,E1,kin\nV1,ab1,kin\n",
                         encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_table(relations)
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "elder_id")]
    # the same id twice is no twin
    relations.write_text("volunteer_id,elder_id,relation\nV1,E1,kin\nV1,E2,kin\n",
                         encoding="utf-8")
    assert len(read_table(relations)) == 2


def test_ids_are_normalised_so_one_person_is_one_id(tmp_path):
    """``é`` typed as one character or as ``e`` and a combining accent is one id: the
    relation written the second way still names the volunteer written the first way."""
    folder = tmp_path / "world"
    files = hostile_names_world(folder)
    vols = pd.read_csv(files["volunteers"], dtype=str, keep_default_na=False)
    rels = pd.read_csv(files["relations"], dtype=str, keep_default_na=False)
    first = vols.loc[0, "volunteer_id"]
    mine = int((rels["volunteer_id"] == first).sum())
    assert mine >= 1  # the piece of Minle has relations of its first volunteer
    vols.loc[0, "volunteer_id"] = "Andr\u00e9"  # composed
    rels.loc[rels["volunteer_id"] == first, "volunteer_id"] = "Andre\u0301"  # decomposed
    vols.to_csv(files["volunteers"], index=False)
    rels.to_csv(files["relations"], index=False)
    world = matching.read_world(*files.values())
    assert int((world.relations.volunteer_id == "Andr\u00e9").sum()) == mine


@pytest.mark.parametrize("name", ["", "../x", "a/../../b", "/abs", "a\\b", "a\x00b", ".",
                                  "a/./b", "a//b"])
def test_inside_refuses_names_that_leave_their_folder(tmp_path, name):
    with pytest.raises(UnsafePath):
        inside(tmp_path, name)


def test_inside_refuses_a_link_out_of_its_folder(tmp_path):
    """A name that is harmless as text still may not pass through a link on disk."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "rota").symlink_to(tmp_path)
    assert inside(tmp_path / "out", "a/b.html") == (tmp_path / "out" / "a" / "b.html")
    with pytest.raises(UnsafePath):
        inside(tmp_path / "out", "rota/x.html")


# --- a bad id through every command ------------------------------------------------------------

def _commands(world: dict[str, Path], folder: Path, out: Path) -> dict[str, list[str]]:
    """Every command that reads the files, each writing into ``out``."""
    inputs = ["--volunteers", str(world["volunteers"]), "--elders", str(world["elders"]),
              "--relations", str(world["relations"])]
    assignments = folder / "assignments.csv"
    assignments.write_text("elder_id,volunteer_id\nE00000,V00001\n", encoding="utf-8")
    leaving = folder / "leaving.csv"
    leaving.write_text("volunteer_id\nV00001\n", encoding="utf-8")
    # a plan folder whose kept inputs were tampered with afterwards
    kept = folder / "kept"
    (kept / "inputs").mkdir(parents=True)
    for kind, path in world.items():
        (kept / "inputs" / f"{kind}.csv").write_bytes(path.read_bytes())
    (kept / "assignments.csv").write_bytes(assignments.read_bytes())
    (kept / "schedule.csv").write_text(
        "date,start,end,activity,volunteer_id,elder_id,community,service,minutes\n"
        "2026-03-30,09:00,10:00,visit,V00001,E00000,民乐社区,,60\n", encoding="utf-8")
    done = folder / "done.csv"
    bad = pd.read_csv(world["volunteers"], dtype=str)["volunteer_id"][0]
    done.write_text("date,activity,volunteer_id,elder_id,status\n"
                    f'2026-03-30,visit,"{bad}",E00000,done\n', encoding="utf-8")
    return {
        "pair": ["pair", *inputs, "--out", str(out), "--quiet"],
        "schedule": ["schedule", *inputs, "--assignments", str(assignments), "--start",
                     "2026-03-30", "--weeks", "1", "--out", str(out), "--quiet"],
        "replan": ["replan", *inputs, "--previous", str(assignments), "--leaving",
                   str(leaving), "--out", str(out), "--quiet"],
        "run": ["run", str(scenario(folder, world)), "--out", str(out), "--quiet"],
        "doctor": ["doctor", *[str(p) for p in world.values()]],
        "report": ["report", str(kept)],
        "explain": ["explain", str(kept), "--elder", "E00000"],
        "ledger record": ["ledger", "record", "--db", str(out / "ledger.sqlite"),
                          "--schedule", str(kept / "schedule.csv"), "--done", str(done)],
    }


COMMANDS = ("pair", "schedule", "replan", "run", "doctor", "report", "explain",
            "ledger record")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_id_that_is_a_path_is_bad_input_for_every_command(tmp_path, capsys, command):
    """``../../../../x/PWNED`` as a volunteer id: exit 2, the file, row 2 and column named
    (the marked rota's, for the ledger), and not one file written anywhere in the sandbox."""
    sandbox = tmp_path / "a" / "b" / "c" / "d"
    world = hostile_id_world(sandbox / "in", BAD_IDS["relative path"])
    argv = _commands(world, sandbox / "in", sandbox / "out")[command]
    before = tree(tmp_path)
    assert main(argv) == 2
    said = capsys.readouterr()
    text = said.out + said.err  # doctor lists what it finds on standard output
    file = "done.csv" if command == "ledger record" else "volunteers.csv"
    assert f"{file}, row 2, column volunteer_id" in text, text
    assert "path separator" in text and "Traceback" not in text
    assert tree(tmp_path) == before


@pytest.mark.parametrize("kind", sorted(BAD_IDS))
def test_every_kind_of_bad_id_is_refused_by_pair(tmp_path, capsys, kind):
    """Each kind of bad id, absolute paths inside the sandbox included: exit 2, nothing
    written."""
    bad = BAD_IDS[kind] if kind != "absolute path" else str(tmp_path / "abs" / "PWNED")
    world = hostile_id_world(tmp_path / "in", bad)
    before = tree(tmp_path)
    assert main(["pair", "--volunteers", str(world["volunteers"]), "--elders",
                 str(world["elders"]), "--relations", str(world["relations"]),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "volunteers.csv, row 2, column volunteer_id" in capsys.readouterr().err
    assert tree(tmp_path) == before


# --- hostile names through every command -------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The hostile-names world through every command, in a sandbox: the sandbox's files
    before and after, and where each command wrote."""
    sandbox = tmp_path_factory.mktemp("sandbox")
    world = hostile_names_world(sandbox / "in")
    inputs = ["--volunteers", str(world["volunteers"]), "--elders", str(world["elders"]),
              "--relations", str(world["relations"])]
    out = sandbox / "out"
    before = tree(sandbox)
    codes = {}
    codes["pair"] = main(["pair", *inputs, "--out", str(out / "pair"), "--quiet"])
    codes["schedule"] = main(["schedule", *inputs, "--assignments",
                              str(out / "pair" / "assignments.csv"), "--start", "2026-03-30",
                              "--weeks", "2", "--out", str(out / "schedule"), "--quiet"])
    codes["run"] = main(["run", str(scenario(sandbox / "in", world, weeks=2)), "--out",
                         str(out / "run"), "--quiet"])
    leaving = sandbox / "in" / "leaving.csv"
    leaving.write_text(f"volunteer_id\n{ODD_VOLUNTEER_IDS[1]}\n", encoding="utf-8")
    codes["replan"] = main(["replan", *inputs, "--previous",
                            str(out / "pair" / "assignments.csv"), "--leaving", str(leaving),
                            "--out", str(out / "replan"), "--quiet"])
    codes["report"] = main(["report", str(out / "run")])
    codes["explain"] = main(["explain", str(out / "run"), "--elder", ODD_ELDER_IDS[0]])
    done = sandbox / "in" / "done.csv"
    codes["simulate"] = main(["ledger", "simulate", "--schedule",
                              str(out / "run" / "schedule.csv"), "--out", str(done)])
    ledger = out / "ledger" / "ledger.sqlite"
    codes["record"] = main(["ledger", "record", "--db", str(ledger), "--schedule",
                            str(out / "run" / "schedule.csv"), "--done", str(done)])
    codes["statement"] = main(["ledger", "statement", "--db", str(ledger), "--member",
                               ODD_VOLUNTEER_IDS[0], "--out",
                               str(out / "ledger" / "statement.html")])
    codes["export"] = main(["ledger", "export", "--db", str(ledger), "--out",
                            str(out / "ledger" / "export.xlsx")])
    return {"sandbox": sandbox, "out": out, "world": world, "before": before,
            "after": tree(sandbox), "codes": codes}


@pytest.mark.slow
def test_every_command_plans_a_hostile_world(hostile_run):
    """Hostile names are data like any other: every command succeeds."""
    assert hostile_run["codes"] == dict.fromkeys(hostile_run["codes"], 0)


def test_nothing_is_written_outside_the_output_folder(hostile_run):
    """Every new file lies under out/ (or is the marked rota written on purpose)."""
    sandbox, out = hostile_run["sandbox"], hostile_run["out"]
    new = hostile_run["after"] - hostile_run["before"]
    expected_inputs = {sandbox / "in" / "leaving.csv", sandbox / "in" / "done.csv",
                       sandbox / "in" / "scenario.toml"}
    assert {p for p in new if not p.is_relative_to(out)} <= expected_inputs


def test_the_plans_keep_every_rule(hostile_run):
    """The independent checker finds the hostile world's plan sound."""
    run = hostile_run["out"] / "run"
    inputs = [run / "inputs" / f"{k}.csv" for k in ("volunteers", "elders", "relations")]
    assert checker.check_pairing(*inputs, None, run).ok
    # odd ids came through whole, and each volunteer has their own rota page
    assignments = pd.read_csv(run / "assignments.csv", dtype=str, keep_default_na=False)
    assert set(ODD_ELDER_IDS) <= set(assignments["elder_id"])
    pages = {p.stem for p in (run / "rota").glob("*.html")}
    assert pages == set(pd.read_csv(run / "schedule.csv", dtype=str,
                                    keep_default_na=False)["volunteer_id"])


def test_no_page_holds_raw_markup(hostile_run):
    """Every HTML file written (rota pages, report, statement) holds the payloads escaped,
    never as markup."""
    pages = list(hostile_run["out"].rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for marker in RAW_MARKERS:
            assert marker not in text, (page, marker)
    report = (hostile_run["out"] / "run" / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x" in report or "&lt;svg" in report or LONG_NAME[:100] in report


def test_formulas_stay_text_in_every_table_and_workbook(hostile_run):
    """A name such as ``=HYPERLINK(...)`` is text in the CSV files (guarded) and in the
    ledger's workbook (a string cell, never a formula)."""
    assignments = (hostile_run["out"] / "run" / "inputs" / "elders.csv").read_text(
        encoding="utf-8")
    assert "'=HYPERLINK" in assignments
    book = openpyxl.load_workbook(hostile_run["out"] / "ledger" / "export.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_files_are_their_owners_only(hostile_run):
    """Every file the commands wrote is 0600 and every folder 0700."""
    for path in hostile_run["out"].rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_hostile_world_is_checked_in_json(hostile_run):
    """The summary of the hostile run is plain JSON with the odd ids as written."""
    summary = json.loads((hostile_run["out"] / "run" / "summary.json").read_text())
    assert summary["pairing"]["elders"] == 24


def test_formula_cells_in_a_console_workbook_stay_text(tmp_path):
    """The hand-out workbook (the console's and ``matching workbook``'s) writes text cells
    as text (xlsxwriter would otherwise turn ``=...`` into a formula)."""
    content = xlsx({"names": pd.DataFrame({"name": list(FORMULA_PAYLOADS)})})
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and not re.search(r"<c [^>]*t=\"str\"", sheet)
