"""A county leader's answers: what each costs on the bundled county, as whole commands.

Times, in fresh processes, the commands whose answers issue 34 asks for on
``scenarios/jishan-county.toml`` (walked on its streets): the exact thresholds along one
order (``sweep --find``), the fewest recruits at 80% leaving with re-pairing (``sweep
--recruit near``), the thresholds along the oldest-first and one-community-at-a-time orders,
and a five-year projection (``project``); the plain pairing (``pair``) is the baseline in
the same run. Prints the median wall time, its ratio to the pairing's, and the median peak
memory (max RSS)::

    python benchmarks/leaders.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _runner import MATCHING, run

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "jishan-county.toml"
COUNTY = ROOT / "scenarios" / "jishan-county"

#: What each run does, by name: the arguments after ``matching`` (``--out`` added).
COMMANDS: dict[str, list[str]] = {
    "pair (the baseline)": ["pair", "--volunteers", str(COUNTY / "volunteers.csv"),
                            "--elders", str(COUNTY / "elders.csv"), "--relations",
                            str(COUNTY / "relations.csv"), "--streets",
                            str(COUNTY / "streets.osm.pbf")],
    "sweep --find (random order)": ["sweep", str(SCENARIO), "--leave", "0", "--find"],
    "sweep --find --order oldest": ["sweep", str(SCENARIO), "--leave", "0", "--find",
                                    "--order", "oldest"],
    "sweep --find --order community": ["sweep", str(SCENARIO), "--leave", "0", "--find",
                                       "--order", "community"],
    "sweep --leave 0.8 --recruit near": ["sweep", str(SCENARIO), "--leave", "0.8",
                                         "--recruit", "near"],
    "project --years 5": ["project", str(SCENARIO), "--years", "5"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            for name, argv in COMMANDS.items():  # interleaved: drift hits all alike
                out = Path(tmp) / f"{k}-{len(figures[name])}-{name.split()[0]}"
                figures[name].append(run([*MATCHING, *argv, "--quiet", "--out", str(out)]))
    base = statistics.median(f["seconds"] for f in figures["pair (the baseline)"])
    print("| command | median s | x pair | median peak MB | runs |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in figures.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        failed = sum(r["code"] != 0 for r in runs)
        note = f" ({failed} failed)" if failed else ""
        print(f"| `{name}` | {seconds:.2f} | {seconds / base:.1f} | {peak:.0f} | "
              f"{len(runs)}{note} |")


if __name__ == "__main__":
    main()
