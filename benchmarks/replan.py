"""Re-planning at county size when a tenth of the paired volunteers leave.

Generates the county world, pairs it, picks a tenth of the paired volunteers (seeded), then
times ``matching replan`` and ``matching pair`` from scratch (without those volunteers) as
fresh processes, medians over the runs, and prints how many orphans went to a volunteer who
already knew them.

    python benchmarks/replan.py [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _runner import generated_world, run


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--preset", default="county")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "matching.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        files = generated_world(t / "w", args.preset, args.seed)
        subprocess.run([*exe, "pair", *files, "--out", str(t / "p"), "--quiet"], check=True)
        # a quarter's schedule: its backups are the acquaintances --history brings in
        subprocess.run([*exe, "schedule", *files, "--assignments", str(t / "p" /
                                                                      "assignments.csv"),
                        "--start", "2026-03-30", "--weeks", "13", "--out", str(t / "s"),
                        "--quiet"], check=True)
        paired = sorted(pd.read_csv(t / "p" / "assignments.csv", dtype=str)["volunteer_id"]
                        .unique())
        rng = np.random.default_rng(args.seed)
        leaving = sorted(rng.choice(paired, size=len(paired) // 10, replace=False))
        pd.DataFrame({"volunteer_id": leaving}).to_csv(t / "leaving.csv", index=False)
        vols = pd.read_csv(t / "w" / "volunteers.csv", dtype=str, keep_default_na=False)
        vols[~vols["volunteer_id"].isin(leaving)].to_csv(t / "stay.csv", index=False)
        rels = pd.read_csv(t / "w" / "relations.csv", dtype=str, keep_default_na=False)
        rels[~rels["volunteer_id"].isin(leaving)].to_csv(t / "rels_stay.csv", index=False)
        scratch_files = ["--volunteers", str(t / "stay.csv"), "--elders",
                         str(t / "w" / "elders.csv"), "--relations", str(t / "rels_stay.csv")]
        re_runs, scratch_runs = [], []
        for _ in range(args.repeats):
            re_runs.append(run([*exe, "replan", *files, "--previous",
                                str(t / "p" / "assignments.csv"), "--leaving",
                                str(t / "leaving.csv"), "--out", str(t / "r"), "--quiet"]))
            scratch_runs.append(run([*exe, "pair", *scratch_files, "--out", str(t / "s"),
                                     "--quiet"]))
        figures = json.loads((t / "r" / "summary.json").read_text())
        with_history = run([*exe, "replan", *files, "--previous",
                            str(t / "p" / "assignments.csv"), "--leaving",
                            str(t / "leaving.csv"), "--history", str(t / "s" / "schedule.csv"),
                            "--out", str(t / "rh"), "--quiet"])
        known = json.loads((t / "rh" / "summary.json").read_text())
        row = {
            "preset": args.preset, "paired_volunteers": len(paired), "leaving": len(leaving),
            "replan_median_s": round(statistics.median(r["seconds"] for r in re_runs), 2),
            "pair_from_scratch_median_s": round(statistics.median(r["seconds"]
                                                                  for r in scratch_runs), 2),
            "replan_peak_mb": round(max(r["peak_mb"] for r in re_runs)),
            "kept": figures["kept"], "orphans_repaired": figures["orphans_repaired"],
            "orphans_to_known": figures["orphans_to_known"], "lost": figures["lost"],
            "status": figures["status"],
            "with_history_s": round(with_history["seconds"], 2),
            "orphans_to_known_with_history": known["orphans_to_known"],
        }
        print(json.dumps(row))


if __name__ == "__main__":
    main()
