"""Pairing at Minle, county and city size on generated worlds.

For each size: generate a world (seeded), run the whole ``matching pair`` command several
times as a fresh process, and a bare min-cost-flow process (``bare_flow.py``) on the same
input in the same run; print median wall times, their ratio, peak memory, the plan's status
and the independent checker's verdict.

    python benchmarks/sizes.py [--sizes minle county city yuncheng] [--repeats 3] [--seed 1]
                               [--cluster local:2]

With ``--cluster``, each size is also paired with ``--cluster SPEC`` (the parts solved on
Dask), and the table says whether its plan is byte-identical to the one-machine plan.
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
    ap.add_argument("--cluster", help="also pair on this Dask cluster (local:N or ADDRESS)")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "matching.cli"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            world = Path(tmp) / size
            files = generated_world(world, size, args.seed)
            out = Path(tmp) / f"{size}-plan"
            repeats = args.repeats if size not in ("city", "yuncheng") else max(
                1, args.repeats - 2)
            engine, bare = [], []
            for _ in range(repeats):
                engine.append(run([*exe, "pair", *files, "--out", str(out), "--quiet",
                                   "--time-limit", "300"]))
                bare.append(run([sys.executable, str(HERE / "bare_flow.py"), str(world)]))
            summary = json.loads((out / "summary.json").read_text())
            variants = [("", engine, summary)]
            if args.cluster:
                spread_out = Path(tmp) / f"{size}-cluster"
                spread = [run([*exe, "pair", *files, "--out", str(spread_out), "--quiet",
                               "--time-limit", "300", "--cluster", args.cluster])
                          for _ in range(repeats)]
                same = all((out / f).read_bytes() == (spread_out / f).read_bytes()
                           for f in ("assignments.csv", "unassigned.csv", "summary.json"))
                variants.append((f" on {args.cluster}" + (" (same bytes)" if same
                                                          else " (DIFFERENT)"), spread,
                                 json.loads((spread_out / "summary.json").read_text())))
            check = subprocess.run([*exe, "check", *files, "--plan", str(out)],
                                   capture_output=True, text=True)
            t_bare = statistics.median(r["seconds"] for r in bare)
            for label, runs, figures in variants:
                t_engine = statistics.median(r["seconds"] for r in runs)
                rows.append({
                    "size": size + label, "volunteers": figures["volunteers"],
                    "elders": figures["elders"], "pairs": figures["candidate_pairs"],
                    "parts": figures["decomposition"]["parts"], "runs": repeats,
                    "median_s": round(t_engine, 2), "bare_flow_s": round(t_bare, 2),
                    "ratio": round(t_engine / t_bare, 2),
                    "peak_mb": round(max(r["peak_mb"] for r in runs)),
                    "status": figures["status"], "gap": figures["gap"],
                    "assigned": figures["assigned"],
                    "checker": "ok" if check.returncode == 0 else "BROKEN",
                    "method": figures["method"],
                })
                print(json.dumps(rows[-1]), flush=True)
    head = ["size", "volunteers", "elders", "pairs", "parts", "runs", "median_s", "bare_flow_s",
            "ratio", "peak_mb", "status", "gap", "assigned", "checker"]
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(f"{r[h]:,}" if isinstance(r[h], int) else str(r[h])
                                 for h in head) + " |")


if __name__ == "__main__":
    main()
