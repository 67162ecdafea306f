"""Pairing at Minle, county and city size on generated worlds.

For each size: generate a world (seeded), run the whole ``matching pair`` command several
times as a fresh process, and a bare min-cost-flow process (``bare_flow.py``) on the same
input in the same run; print median wall times, their ratio, peak memory, the plan's status
and the independent checker's verdict.

    python benchmarks/sizes.py [--sizes minle county city] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _runner import generated_world, run

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["minle", "county", "city"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "matching.cli"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            world = Path(tmp) / size
            files = generated_world(world, size, args.seed)
            out = Path(tmp) / f"{size}-plan"
            repeats = args.repeats if size != "city" else max(1, args.repeats - 2)
            engine, bare = [], []
            for _ in range(repeats):
                engine.append(run([*exe, "pair", *files, "--out", str(out), "--quiet",
                                   "--time-limit", "300"]))
                bare.append(run([sys.executable, str(HERE / "bare_flow.py"), str(world)]))
            summary = json.loads((out / "summary.json").read_text())
            check = subprocess.run([*exe, "check", *files, "--plan", str(out)],
                                   capture_output=True, text=True)
            t_engine = statistics.median(r["seconds"] for r in engine)
            t_bare = statistics.median(r["seconds"] for r in bare)
            rows.append({
                "size": size, "volunteers": summary["volunteers"], "elders": summary["elders"],
                "pairs": summary["candidate_pairs"], "runs": repeats,
                "median_s": round(t_engine, 2), "bare_flow_s": round(t_bare, 2),
                "ratio": round(t_engine / t_bare, 2),
                "peak_mb": round(max(r["peak_mb"] for r in engine)),
                "status": summary["status"], "assigned": summary["assigned"],
                "checker": "ok" if check.returncode == 0 else "BROKEN",
                "method": summary["method"],
            })
            print(json.dumps(rows[-1]), flush=True)
    head = ["size", "volunteers", "elders", "pairs", "runs", "median_s", "bare_flow_s", "ratio",
            "peak_mb", "status", "assigned", "checker"]
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(f"{r[h]:,}" if isinstance(r[h], int) else str(r[h])
                                 for h in head) + " |")


if __name__ == "__main__":
    main()
