"""The "six ones" schedule: a Minle year, a county quarter, a county year and a city quarter.

For each case: generate the world, pair it, then time ``matching schedule`` as a fresh
process (median of the runs) with its peak memory; check the schedule with the independent
checker; print the unmet obligations of each kind against their proven lower bound, the
rotation share and the broken rules.

    python benchmarks/schedule.py [--repeats 3] [--seed 1] [--only minle-year ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _runner import MATCHING, generated_world, run

CASES = {"minle-year": ("minle", "2026-01-05", 52), "county-quarter": ("county", "2026-03-30", 13),
         "county-year": ("county", "2026-01-05", 52), "city-quarter": ("city", "2026-03-30", 13)}
KINDS = ("visit", "group", "festival", "birthday", "service")


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=sorted(CASES),
                    default=[c for c in CASES if c != "city-quarter"],
                    help="cases to run (default: all but the city quarter, which takes minutes)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="passed to matching schedule (default: its own)")
    args = ap.parse_args()
    rows = []
    worlds: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.only:
            preset, start, weeks = CASES[case]
            world = Path(tmp) / preset
            if preset not in worlds:  # each world is generated and paired once
                worlds[preset] = generated_world(world, preset, args.seed)
                subprocess.run([*MATCHING, "pair", *worlds[preset], "--out",
                                str(world / "pairing"), "--quiet"], check=True)
            files = worlds[preset]
            out = Path(tmp) / f"{case}-schedule"
            limit = ["--time-limit", str(args.time_limit)] if args.time_limit else []
            runs = [run([*MATCHING, "schedule", *files, "--assignments",
                         str(world / "pairing" / "assignments.csv"), "--start", start,
                         "--weeks", str(weeks), "--out", str(out), "--quiet", *limit])
                    for _ in range(args.repeats)]
            check = subprocess.run([*MATCHING, "check", *files, "--plan", str(out), "--start",
                                    start, "--weeks", str(weeks)], capture_output=True,
                                   text=True)
            lines = check.stdout.strip().splitlines()
            broken = {ln.split(":")[0].removeprefix("BROKEN "): int(ln.split(":")[1])
                      for ln in lines if ln.startswith("BROKEN")}
            figures = json.loads(lines[-1].removeprefix("OK "))
            stats = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
            unmet = stats["unmet_by_kind"]
            rows.append({"case": f"{case} ({weeks} weeks)", "runs": len(runs),
                         "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
                         "peak_mb": round(max(r["peak_mb"] for r in runs)),
                         "rows": figures["rows"], "status": stats["status"],
                         "rotation_share": figures["rotation_share"],
                         "unmet": {k: f"{unmet[k]['unmet']} / {unmet[k]['lower_bound']}"
                                   for k in KINDS},
                         "broken": broken or "none"})
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    print("\n| case | runs | median s | peak MB | rows | status | rotation share | "
          + " | ".join(f"unmet {k} (bound)" for k in KINDS) + " | broken |")
    print("|---" * (8 + len(KINDS)) + "|")
    for r in rows:
        print(f"| {r['case']} | {r['runs']} | {r['median_s']} | {r['peak_mb']} | {r['rows']:,} "
              f"| {r['status']} | {r['rotation_share']} | "
              + " | ".join(r["unmet"][k] for k in KINDS) + f" | {r['broken']} |")


if __name__ == "__main__":
    sys.exit(main())
