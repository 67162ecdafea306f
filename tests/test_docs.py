"""The README and docs/: every relative link resolves (anchors too), every ``matching.x``
they name imports, every source path they name exists, and every example marked
``<!-- example -->`` runs."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from matching.catalogue import MESSAGES

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         ROOT / "benchmarks" / "README.md"]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
NAME = re.compile(r"\bmatching(?:\.[A-Za-z_]\w*)+")
SOURCE = re.compile(r"\b(?:src/matching|tests)/[\w/]+(?:\.py)?")
TEST = re.compile(r"\b(tests/[\w/]+\.py)::(\w+)")
EXAMPLE = re.compile(r"<!-- example -->\n```(python|sh)\n(.*?)\n```", re.S)

#: Seconds an example may take (the Minle quarter takes about ten).
EXAMPLE_SECONDS = 300


def prose(text: str) -> list[str]:
    """The lines of a page outside its code blocks."""
    lines, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return lines


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, as GitHub (and mkdocs) make them."""
    found = set()
    for line in prose(page.read_text(encoding="utf-8")):
        if line.startswith("#"):
            title = line.lstrip("#").strip().replace("`", "").lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_there_are_docs():
    names = {p.name for p in PAGES}
    assert {"inputs.md", "rules.md", "commands.md", "schedule.md", "scenarios.md",
            "analysis.md", "timebank.md", "console.md", "security.md", "how-it-solves.md",
            "development.md", "reasons.md"} <= names


def test_the_readme_is_short_and_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    assert lines[3].startswith("make run") and lines[4].startswith("make test")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for line in prose(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            missing_anchor = bool(anchor) and file.suffix == ".md" and file.exists() and \
                anchor not in anchors(file)
            if not file.exists() or missing_anchor:
                broken.append(target)
    assert broken == []


def resolves(name: str) -> bool:
    """Whether ``matching.a.b.c`` is a module, or a name in one."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            thing = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(thing, attribute):
                return False
            thing = getattr(thing, attribute)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_and_path_they_use_exists(page):
    text = page.read_text(encoding="utf-8")
    names = sorted({n.rstrip(".") for n in NAME.findall(text)})
    assert [n for n in names if not resolves(n)] == []
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        for module, imported in re.findall(r"^from (matching[\w.]*) import ([\w, ]+)", block,
                                           re.M):
            for item in imported.split(","):
                assert resolves(f"{module}.{item.strip()}"), f"{module}.{item.strip()}"
    assert [p for p in SOURCE.findall(text) if not (ROOT / p).exists()] == []
    # a test named by its file and name is in that file
    assert [f"{file}::{name}" for file, name in TEST.findall(text)
            if f"def {name}(" not in (ROOT / file).read_text(encoding="utf-8")] == []
    every_test = "".join(t.read_text(encoding="utf-8") for t in (ROOT / "tests").rglob("*.py"))
    assert [n for n in re.findall(r"`(test_\w+)`", text) if f"def {n}(" not in every_test] == []


def examples() -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        for k, (language, code) in enumerate(EXAMPLE.findall(page.read_text("utf-8"))):
            found.append((f"{page.relative_to(ROOT)}-{k}", language, code))
    return found


def test_the_reasons_page_lists_every_reason_as_the_catalogue_words_it():
    spec = importlib.util.spec_from_file_location("reasons_page", ROOT / "docs" / "reasons.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    written = (ROOT / "docs" / "reasons.md").read_text(encoding="utf-8")
    assert written == module.page(), "run python docs/reasons.py"
    # the codes of every file's reason_code column are on it
    for code in MESSAGES:
        if code.startswith(("unassigned.", "change.", "unmet.", "candidate.")):
            assert f"`{code}`" in written


def test_there_are_marked_examples():
    # the README's Python quick start, at least, and the docs' commands
    assert {language for _, language, _ in examples()} == {"python", "sh"}


@pytest.mark.slow
@pytest.mark.parametrize(("where", "language", "code"), examples(), ids=lambda x: str(x)[:40])
def test_marked_examples_run(tmp_path, where, language, code):
    """Each example runs from a fresh folder holding the bundled scenarios, as a reader
    who cloned the repository would run it from its root."""
    for folder in ("scenarios", "notebooks"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    environment = {**os.environ,
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-c", code] if language == "python" else \
        ["bash", "-euo", "pipefail", "-c", code]
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=EXAMPLE_SECONDS)
    assert done.returncode == 0, f"{where}\n{done.stderr[-3000:]}"
