"""A county year's outputs: the whole ``matching schedule`` command and its writing, against
another tree, side by side.

Pairs the bundled Jishan county once (this tree), then, alternating between this tree and
``--baseline SRC`` (another checkout's ``src``), runs ``matching schedule`` for 52 weeks from
5 January 2026 as a fresh process and times the whole command and its writing (from the
"writing" progress event to the end: every rota page, the overview, the calendars, the CSVs
and schedule.json), then ``matching workbook`` on the folder it wrote (the hand-out
workbook, when a coordinator asks for it). Medians over the repeats.

    python benchmarks/writing.py --baseline /tmp/baseline/src [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTY = Path(__file__).parent.parent / "scenarios" / "jishan-county"
FILES = ["--volunteers", str(COUNTY / "volunteers.csv"), "--elders",
         str(COUNTY / "elders.csv"), "--relations", str(COUNTY / "relations.csv")]
START, WEEKS = "2026-01-05", 52


def schedule(env: dict[str, str], pairing: Path, out: Path) -> dict[str, float]:
    """One ``matching schedule`` of the county year; seconds in all and writing."""
    began = time.monotonic()
    writing = None
    with subprocess.Popen([sys.executable, "-m", "matching.cli", "schedule", *FILES,
                           "--assignments", str(pairing / "assignments.csv"), "--start",
                           START, "--weeks", str(WEEKS), "--out", str(out),
                           "--progress", "json"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("stage") == "writing":
                writing = time.monotonic()
    if process.returncode != 0 or writing is None:
        raise RuntimeError(f"matching schedule failed ({process.returncode})")
    end = time.monotonic()
    return {"whole_s": end - began, "planning_s": writing - began, "writing_s": end - writing}


def workbook(env: dict[str, str], folder: Path) -> float:
    """Seconds of ``matching workbook`` on a run folder."""
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "matching.cli", "workbook", str(folder), "--out",
                    str(folder.parent / f"{folder.name}.xlsx")], env=env, check=True,
                   capture_output=True)
    return time.monotonic() - began


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="another tree's src folder")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    trees = {"this tree": dict(os.environ),
             "baseline": {**os.environ, "PYTHONPATH": args.baseline}}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        pairing = Path(tmp) / "pairing"
        subprocess.run([sys.executable, "-m", "matching.cli", "pair", *FILES, "--out",
                        str(pairing), "--quiet"], check=True)
        for k in range(args.repeats):
            for name, env in trees.items():
                out = Path(tmp) / f"{name.replace(' ', '-')}-{k}"
                row = schedule(env, pairing, out)
                row["workbook_s"] = workbook(env, out)
                figures[name].append(row)
    print(f"Jishan county, {WEEKS} weeks from {START}; medians of {args.repeats}")
    print("| tree | whole command s | planning s | writing s | workbook s |")
    print("|---|---|---|---|---|")
    medians = {}
    for name, rows in figures.items():
        medians[name] = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        m = medians[name]
        print(f"| {name} | {m['whole_s']:.1f} | {m['planning_s']:.1f} | "
              f"{m['writing_s']:.1f} | {m['workbook_s']:.1f} |")
    for key in ("whole_s", "writing_s", "workbook_s"):
        print(f"ratio this/baseline, {key}: "
              f"{medians['this tree'][key] / medians['baseline'][key]:.2f}")


if __name__ == "__main__":
    main()
