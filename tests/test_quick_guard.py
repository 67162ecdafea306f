"""The quick run's guard (tests/helpers/quick.py) fails a test over 2 s that is not marked
slow, and names it; a marked one, or the same test in the whole run, passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SLEEPY = """
import time
import pytest

def test_sleepy():
    time.sleep(2.1)

@pytest.mark.slow
def test_sleepy_and_marked():
    time.sleep(2.1)

def test_quick():
    pass
"""


def pytest_start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-p", "tests.helpers.quick", "-p", "no:xdist", "--rootdir",
                             str(folder), "-c", str(folder / "pytest.ini"), *args,
                             str(folder / "test_sleepy.py")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_slow_test_not_marked_fails_the_quick_run_and_names_itself(tmp_path):
    (tmp_path / "test_sleepy.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n",
                                         encoding="utf-8")
    # the two runs side by side: they mostly sleep
    quick_run, whole_run = pytest_start(tmp_path, "-m", "not slow"), pytest_start(tmp_path)
    quick, _ = quick_run.communicate(timeout=120)
    whole, _ = whole_run.communicate(timeout=120)
    assert quick_run.returncode == 1
    assert "test_sleepy.py::test_sleepy took 2.1 s, over the quick run's 2 s" in quick
    assert "1 failed, 1 passed, 1 deselected" in quick  # 2.1 s fails; pass alone passes
    assert whole_run.returncode == 0, whole
    assert "3 passed" in whole
