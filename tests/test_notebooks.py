"""The notebooks execute from a clean kernel, show their figures, end with a conclusion
written from the data, take their paths as parameters, write nothing into the repository,
and use only the documented API; they are committed without outputs."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Seconds a notebook may take (the county one pairs and schedules a county town).
TIMEOUT = 600


#: What the tests pass each notebook, after its parameters cell as papermill does: a
#: shorter horizon, fewer points. Every cell still runs on the bundled data; the full run
#: is the notebook's own (about 2.5 minutes for the four on 2 cores).
QUICK = {"coverage": "weeks = 4", "county": "weeks = 4", "timebank": "weeks = 4",
         "sweep": "shares = [0, 0.5, 0.8]\norders = 2\nyears = 2"}


#: Folders of the repository a notebook run must leave as they were.
WATCHED = ("notebooks", "scenarios", "src", "tests", "docs", "benchmarks", "out")


def test_there_are_notebooks():
    """The coverage story on Minle, the county's communities, the county's sweep, and the
    time bank."""
    assert [p.name for p in NOTEBOOKS] == ["county.ipynb", "coverage.ipynb", "sweep.ipynb",
                                           "timebank.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paths_are_parameters(path):
    """One cell tagged ``parameters`` holds the paths and what the tests make quicker; the
    output folder defaults to a new temporary one (never a folder of the repository)."""
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "out = None" in tagged[0].source
    assert QUICK[path.stem].split(" = ")[0] + " = " in tagged[0].source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "tempfile.mkdtemp" in code and '"out"' not in code and "'out'" not in code


def documented_names() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")) + \
        (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_only_the_documented_api(path):
    """Every ``matching.X``, ``analysis.X``, ``figures.X`` and ``matching.ledger`` name a
    notebook uses is named in the docs."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    used = set(re.findall(r"\b(matching|analysis|figures)\.(\w+)", code))
    used |= {("ledger", n.strip()) for names in
             re.findall(r"from matching\.ledger import ([\w, ]+)", code)
             for n in names.split(",")}
    docs = documented_names()
    missing = sorted(f"{a}.{b}" for a, b in used if b not in ("analysis", "ledger")
                     and not re.search(rf"\b{b}\b", docs))
    assert missing == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    """Outputs are stripped before commit."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def tree() -> dict[str, int]:
    """Every file of the watched folders, with its modification time."""
    return {str(p): p.stat().st_mtime_ns for folder in WATCHED
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_and_shows_its_figures(path):
    """Run where it lives, with quick parameters (:data:`QUICK`) from a clean kernel: every
    cell runs, every cell that draws shows a picture, the last cell writes the conclusion
    from the data, and nothing in the repository changed."""
    before = tree()
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(QUICK[path.stem]))
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    assert tree() == before
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert any("text/markdown" in o.get("data", {}) for o in last.outputs)
    drawing = [c for c in nb.cells if c.cell_type == "code" and "figures." in c.source
               and "import" not in c.source]
    assert drawing
    for cell in drawing:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    # nothing leaks into the notebook: no warning, no traceback on standard error
    leaked = [o.get("text", "") for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.get("name") == "stderr"]
    assert leaked == []


@pytest.mark.slow
def test_a_notebook_runs_from_anywhere_with_papermill(tmp_path):
    """papermill (the notebooks extra) runs a notebook from another folder, its parameters
    given on the command line: the bundled scenarios are found without a path."""
    papermill = pytest.importorskip("papermill")
    done = tmp_path / "sweep-run.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "sweep.ipynb"), str(done), cwd=str(tmp_path),
        parameters={"shares": [0, 0.8], "orders": 1, "years": 1}, kernel_name="python3",
        progress_bar=False)
    nb = nbformat.read(done, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert any("text/markdown" in o.get("data", {}) for o in last.outputs)


def test_the_bundled_scenarios_are_found_from_anywhere(tmp_path, monkeypatch):
    import matching
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATCHING_SCENARIOS", raising=False)
    assert matching.find_scenarios() == ROOT / "scenarios"  # beside the package's source
    monkeypatch.setenv("MATCHING_SCENARIOS", str(tmp_path))
    assert matching.find_scenarios() == tmp_path
    with pytest.raises(FileNotFoundError, match="no scenarios folder"):
        matching.find_scenarios(tmp_path / "nowhere")
