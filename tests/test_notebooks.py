"""The notebooks execute from a clean kernel and show their figures; they are committed
without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Seconds a notebook may take (the county one pairs and schedules a county town).
TIMEOUT = 600


def test_there_are_notebooks():
    """The coverage story on Minle, the county maps, and the time bank."""
    assert [p.name for p in NOTEBOOKS] == ["county.ipynb", "coverage.ipynb", "timebank.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    """Outputs are stripped before commit."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_and_shows_its_figures(tmp_path, path):
    """Run in a copy beside the bundled scenarios (so that its outputs land in tmp_path):
    every cell runs, and every cell that draws shows a picture."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path / "notebooks")}}).execute()
    drawing = [c for c in nb.cells if c.cell_type == "code" and "figures." in c.source
               and "import" not in c.source]
    assert drawing
    for cell in drawing:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    # nothing leaks into the notebook: no warning, no traceback on standard error
    leaked = [o.get("text", "") for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.get("name") == "stderr"]
    assert leaked == []
