"""Whole-command time against ``--time-limit``, at county and city size.

Generates each world (seed 9, as the issue measured), then runs ``matching pair
--time-limit L`` as a fresh process for each limit and prints the wall time from process
start to exit, whether it stayed within the target (limit + 10% + 2 s), the status and the
gap reached. A limit too short for any plan ends with exit status 2 and a message.

    python benchmarks/time_limits.py [--sizes county city] [--limits 1 5 10 30] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from _runner import MATCHING, generated_world, run

#: The issue's target: a whole command within the limit, 10% and 2 s.
TARGET_SHARE, TARGET_SECONDS = 0.10, 2.0


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", default=["county", "city"])
    ap.add_argument("--limits", nargs="*", type=float, default=[1, 5, 10, 30])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args()
    print("| size | limit s | whole command s | target s | within | status | gap |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            files = generated_world(Path(tmp) / size, size, args.seed)
            for limit in args.limits:
                out = Path(tmp) / f"{size}-{limit:g}"
                times, codes = [], set()
                for _ in range(args.repeats):
                    subprocess.run(["rm", "-rf", str(out)], check=True)
                    measured = run([*MATCHING, "pair", *files, "--time-limit", str(limit),
                                    "--out", str(out), "--quiet"])
                    times.append(measured["seconds"])
                    codes.add(measured["code"])
                seconds = statistics.median(times)
                target = limit * (1 + TARGET_SHARE) + TARGET_SECONDS
                if codes == {0}:
                    summary = json.loads((out / "summary.json").read_text())
                    status = summary["status"]
                    gap = ("priority not proven" if summary["priority"] <
                           summary["priority_bound"] else
                           f"{summary['gap']:.4%}" if summary["gap"] is not None else "-")
                else:
                    status, gap = "too short (exit 2)", "-"
                print(f"| {size} | {limit:g} | {seconds:.1f} | {target:.1f} | "
                      f"{'yes' if seconds <= target else '**no**'} | {status} | {gap} |",
                      flush=True)


if __name__ == "__main__":
    main()
