"""What recording a week in the time bank costs with the ledger's seals and the audit log,
against the code before them, side by side in the same run.

A week of Minle (63 volunteers, 155 elders: its calls, visits, services and events, about
1,244 rows) is planned and marked once by the simulator. Then, alternating between the two
code trees, each in a fresh process and a fresh ledger: check the marked week against the
schedule and record it in one transaction, as the console does (this tree also seals the
batch and appends the act to the audit log, which the console keeps open). Only that is
timed, in the process; medians are printed, and their ratio.

    python benchmarks/record_week.py --baseline /tmp/baseline/src [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from matching.cli import main as matching
from matching.ledger import simulate_done

HERE = Path(__file__).resolve().parent
MINLE = HERE.parent / "scenarios" / "minle"

#: What each measured process runs: argv[1] the schedule, argv[2] the marked week, argv[3]
#: a folder for the ledger (and the audit log). It prints the seconds taken.
RECORD = """
import sys, time
from pathlib import Path
from matching.ledger import open_ledger, read_done
try:
    from matching.programme.audit import AuditLog
except ImportError:  # the code before the audit log
    AuditLog = None
folder = Path(sys.argv[3])
# the console opens its audit log once, when it starts
log = AuditLog(folder / "audit.sqlite") if AuditLog is not None else None
with open_ledger(folder / "ledger.sqlite") as ledger:
    started = time.perf_counter()
    counts = ledger.record(read_done(sys.argv[1], sys.argv[2], ledger.rules),
                           source="marked.csv")
    if log is not None:
        log.append("account:bench", "record_week", "minle", "week 2026-03-30", None, counts)
    seconds = time.perf_counter() - started
print(f"{seconds:.6f}")
"""


def week(folder: Path) -> tuple[Path, Path, int]:
    """Minle's first week planned and marked: the schedule, the marked week, its rows."""
    inputs = [f"--volunteers={MINLE / 'volunteers.csv'}", f"--elders={MINLE / 'elders.csv'}",
              f"--relations={MINLE / 'relations.csv'}"]
    assert matching(["pair", *inputs, "--out", str(folder / "plan"), "--quiet"]) == 0
    assert matching(["schedule", *inputs, "--assignments",
                     str(folder / "plan" / "assignments.csv"), "--start", "2026-03-30",
                     "--weeks", "1", "--out", str(folder / "plan"), "--quiet"]) == 0
    schedule = pd.read_csv(folder / "plan" / "schedule.csv", dtype=str,
                           keep_default_na=False)
    done = simulate_done(schedule, seed=1)
    done.to_csv(folder / "marked.csv", index=False)
    return folder / "plan" / "schedule.csv", folder / "marked.csv", len(done)


def measure(src: Path, schedule: Path, done: Path, folder: Path) -> float:
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", RECORD, str(schedule), str(done),
                          str(folder)], env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure both trees, alternating, and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, type=Path,
                    help="the src folder of the code to compare with")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    here = HERE.parent / "src"
    with tempfile.TemporaryDirectory() as tmp:
        schedule, done, rows = week(Path(tmp))
        times: dict[str, list[float]] = {"now": [], "baseline": []}
        for k in range(args.repeats):
            for name, src in (("now", here), ("baseline", args.baseline)):
                times[name].append(measure(src, schedule, done, Path(tmp) / f"{name}-{k}"))
    print("| code | rows | runs | median_s | min_s | max_s |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {rows:,} | {len(values)} | {statistics.median(values):.4f} | "
              f"{min(values):.4f} | {max(values):.4f} |")
    ratio = statistics.median(times["now"]) / statistics.median(times["baseline"])
    print(f"\nratio of medians (now / baseline): {ratio:.3f}")


if __name__ == "__main__":
    main()
