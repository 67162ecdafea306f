"""Run a command as a child process; print its wall time and peak memory (max RSS)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def run(argv: list[str]) -> dict[str, float]:
    """Run ``argv`` in a fresh process (via this module) and measure it."""
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
    print(json.dumps({"seconds": wall, "peak_mb": peak_kb / 1024, "code": done.returncode}))


MATCHING = [sys.executable, "-m", "matching.cli"]


def generated_world(folder: Path, preset: str, seed: int) -> list[str]:
    """Generate a world into ``folder``; return its input options for ``matching``."""
    subprocess.run([*MATCHING, "generate", "--preset", preset, "--seed", str(seed),
                    "--out", str(folder)], check=True, capture_output=True)
    return ["--volunteers", str(folder / "volunteers.csv"), "--elders",
            str(folder / "elders.csv"), "--relations", str(folder / "relations.csv")]
