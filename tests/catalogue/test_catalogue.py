"""The catalogue of texts: every code the engine uses is in it, each in both languages with
the same placeholders, and a file's reason_code and reason_params word its reason again."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from matching.catalogue import LANGUAGES, MESSAGES, Reason, known, reworded, say
from matching.cli import main
from tests.conftest import input_args, write_towns

SRC = Path(__file__).parents[2] / "src" / "matching"

#: The catalogue's subjects (the part of a code before its first dot).
PREFIXES = sorted({code.split(".", 1)[0] for code in MESSAGES})

#: What a code looks like: a subject, then one or more dotted words.
CODE = re.compile(rf"^(?:{'|'.join(PREFIXES)})(?:\.[a-z0-9_]+)+$")

#: File names, which look like codes to the pattern.
FILE_SUFFIXES = (".csv", ".json", ".toml", ".html", ".sqlite")

#: Codes spelled in src that name a word by pattern (``service.`` + a tag an office made
#: up), not a fixed text; ``word()`` shows them as written.
OPEN_ENDED = ("service.", "need.")


def codes_in_source() -> dict[str, list[str]]:
    """Every string literal in the package that looks like a catalogue code, with where."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "catalogue":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # the fixed parts of an f-string (f"input.empty_{what}_id") are not codes
        pieces = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                  for part in node.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    id(node) not in pieces and CODE.match(node.value) and \
                    not node.value.endswith(FILE_SUFFIXES):
                found.setdefault(node.value, []).append(f"{path.name}:{node.lineno}")
    return found


def placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.slow
def test_every_code_the_engine_uses_is_in_the_catalogue():
    found = codes_in_source()
    # the scan finds the codes (a few hundred of them), so an empty scan cannot pass
    assert len(found) > 200
    missing = {code: where for code, where in found.items()
               if not known(code) and not code.startswith(OPEN_ENDED)}
    assert missing == {}


def test_both_languages_say_it_with_the_same_figures():
    """One test over the catalogue (a thousand codes), naming every code that fails."""
    wrong = {}
    for code, (zh, en) in sorted(MESSAGES.items()):
        # a part that adds nothing (tie.none: no tie to break) is empty in both, never in one
        if bool(zh.strip()) != bool(en.strip()):
            wrong[code] = "empty in one language"
        elif not zh.strip() and not code.endswith("none"):
            wrong[code] = "empty"
        elif placeholders(zh) != placeholders(en):
            wrong[code] = f"figures {sorted(placeholders(zh))} != {sorted(placeholders(en))}"
    assert len(MESSAGES) > 1000  # the whole catalogue was read
    assert wrong == {}


def test_chinese_texts_are_chinese():
    """A Chinese text holds a Chinese character, unless it is only figures or a code's
    word that reads the same in both (a unit, a mark)."""
    han = re.compile(r"[\u4e00-\u9fff]")
    # the language switch names the other language in its own words
    same = {code for code, (zh, en) in MESSAGES.items() if zh == en} | {"console.language"}
    english = [code for code, (zh, _) in MESSAGES.items()
               if code not in same and re.search(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", zh))
               and not han.search(zh)]
    assert english == []


def test_a_reason_read_back_from_a_file_says_the_same(tmp_path):
    """Minle-sized towns lose 60% of their volunteers: every row of unassigned.csv and
    changes.csv is worded again from its code and figures, exactly, in English, and in
    Chinese without error."""
    world = write_towns(tmp_path / "world", 1)
    assert main(["pair", *input_args(world), "--out", str(tmp_path / "pair"), "--quiet"]) == 0
    volunteers = pd.read_csv(world / "volunteers.csv", dtype=str)
    leaving = volunteers["volunteer_id"].iloc[: int(0.6 * len(volunteers))]
    leaving.to_frame().to_csv(tmp_path / "leaving.csv", index=False)
    assert main(["replan", *input_args(world), "--previous",
                 str(tmp_path / "pair" / "assignments.csv"), "--leaving",
                 str(tmp_path / "leaving.csv"), "--out", str(tmp_path / "replan"),
                 "--quiet"]) == 0
    for name in ("unassigned.csv", "changes.csv"):
        table = pd.read_csv(tmp_path / "replan" / name, dtype=str, keep_default_na=False)
        assert len(table) > 0
        again = reworded(table, "en")
        assert again["reason"].tolist() == table["reason"].tolist()
        for code, params in zip(table["reason_code"], table["reason_params"], strict=True):
            assert known(code)
            assert Reason.of(code, params).text("zh")


def test_a_full_volunteer_is_full_not_max_elders_zero(tmp_path):
    """After 60% of the volunteers leave, the elders left unpaired are unpaired because
    the volunteers who stay are full with the elders they kept (max_elders 3, 3 elders),
    never because they 'take no elders (max_elders 0)': nobody in this world has 0."""
    world = write_towns(tmp_path / "world", 1)
    volunteers = pd.read_csv(world / "volunteers.csv", dtype=str)
    assert (volunteers["max_elders"].astype(int) > 0).all()
    assert main(["pair", *input_args(world), "--out", str(tmp_path / "pair"), "--quiet"]) == 0
    volunteers["volunteer_id"].iloc[: int(0.6 * len(volunteers))].to_frame().to_csv(
        tmp_path / "leaving.csv", index=False)
    assert main(["replan", *input_args(world), "--previous",
                 str(tmp_path / "pair" / "assignments.csv"), "--leaving",
                 str(tmp_path / "leaving.csv"), "--out", str(tmp_path / "replan"),
                 "--quiet"]) == 0
    unassigned = pd.read_csv(tmp_path / "replan" / "unassigned.csv", dtype=str,
                             keep_default_na=False)
    assert len(unassigned) > 0
    assert not unassigned["reason_params"].str.contains("full.takes_none").any()
    assert not unassigned["reason"].str.contains("max_elders 0").any()
    # and some are unpaired because those who stay are at their most elders
    assert unassigned["reason_params"].str.contains("full.most_elders").any()


def test_every_language_has_every_text():
    for lang in LANGUAGES:
        assert say("status.optimal", lang)
