"""The "six ones" schedule: a Minle year and a county quarter on generated worlds.

For each case: generate the world, pair it, then time ``matching schedule`` as a fresh
process (median of the runs) with its peak memory; check the schedule with the independent
checker and print the broken rules by kind, the unmet obligations and the rotation share.

    python benchmarks/schedule.py [--repeats 3] [--seed 1]
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

CASES = [("minle", "2026-01-05", 52), ("county", "2026-03-30", 13)]


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "matching.cli"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset, start, weeks in CASES:
            world = Path(tmp) / preset
            files = generated_world(world, preset, args.seed)
            pairing = Path(tmp) / f"{preset}-pairing"
            subprocess.run([*exe, "pair", *files, "--out", str(pairing), "--quiet"], check=True)
            out = Path(tmp) / f"{preset}-schedule"
            runs = [run([*exe, "schedule", *files, "--assignments",
                         str(pairing / "assignments.csv"), "--start", start, "--weeks",
                         str(weeks), "--out", str(out), "--quiet"])
                    for _ in range(args.repeats)]
            check = subprocess.run([*exe, "check", *files, "--plan", str(out), "--start", start,
                                    "--weeks", str(weeks)], capture_output=True, text=True)
            lines = check.stdout.strip().splitlines()
            broken = {ln.split(":")[0].removeprefix("BROKEN "): int(ln.split(":")[1])
                      for ln in lines if ln.startswith("BROKEN")}
            figures = json.loads(lines[-1].removeprefix("OK "))
            unmet = len((out / "unmet.csv").read_text(encoding="utf-8").splitlines()) - 1
            rows.append({"case": f"{preset} {weeks} weeks", "runs": len(runs),
                         "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
                         "peak_mb": round(max(r["peak_mb"] for r in runs)),
                         "rows": figures["rows"], "rotation_share": figures["rotation_share"],
                         "unmet": unmet, "broken": broken or "none"})
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    print("\n| case | runs | median s | peak MB | rows | rotation share | unmet | broken |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['runs']} | {r['median_s']} | {r['peak_mb']} | {r['rows']:,} "
              f"| {r['rotation_share']} | {r['unmet']} | {r['broken']} |")


if __name__ == "__main__":
    main()
