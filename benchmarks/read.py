"""Reading big office files: time and peak memory of reading and of ``matching doctor``.

Writes 200,000 volunteers and 100,000 elders spread over a province's county towns (in
several forms: UTF-8 CSV with English headers, GBK CSV with Chinese headers, and
tab-separated UTF-16 as Excel's "Unicode text" saves it), then reads each in a fresh
process and prints a table of median wall time and peak memory (max RSS), beside the
baseline of ``pandas.read_csv`` of the same file in the same run::

    python benchmarks/read.py [--volunteers 200000] [--elders 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _runner import run

from matching.world.columns import chinese
from matching.world.generate import WorldSpec, generate_world

#: A province's county towns: Shanxi's south, 200 towns-worth of communities.
PROVINCE = WorldSpec(0, 0, lat_range=(34.6, 37.0), lon_range=(110.2, 113.6), communities=600,
                     spread_km=1.5)

READ = ("import sys, matching; w = matching.read_world(sys.argv[1], sys.argv[2], "
        "coords=sys.argv[3] if len(sys.argv) > 3 else 'wgs84'); "
        "print(len(w.volunteers), len(w.elders))")
PANDAS = ("import sys, pandas as pd; a = pd.read_csv(sys.argv[1], dtype=str, "
          "keep_default_na=False, sep=None, engine='python', encoding=sys.argv[3]); "
          "b = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False, sep=None, "
          "engine='python', encoding=sys.argv[3]); print(len(a), len(b))")


def write_forms(folder: Path, volunteers: int, elders: int) -> dict[str, tuple[Path, Path, str]]:
    world = generate_world(PROVINCE.replace(volunteers=volunteers, elders=elders), seed=1)
    forms = {}
    v, e = folder / "v.csv", folder / "e.csv"
    world.volunteers.to_csv(v, index=False)
    world.elders.to_csv(e, index=False)
    forms["UTF-8, English headers"] = (v, e, "utf-8")
    vz, ez = folder / "志愿者.csv", folder / "老人.csv"
    for frame, path in ((world.volunteers, vz), (world.elders, ez)):
        frame.set_axis(chinese(list(frame.columns)), axis=1).to_csv(path, index=False,
                                                                     encoding="gb18030")
    forms["GBK, Chinese headers"] = (vz, ez, "gb18030")
    vt, et = folder / "v.txt", folder / "e.txt"
    for frame, path in ((world.volunteers, vt), (world.elders, et)):
        frame.to_csv(path, index=False, sep="\t", encoding="utf-16")
    forms["UTF-16, tabs (Excel Unicode text)"] = (vt, et, "utf-16")
    return forms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200_000)
    parser.add_argument("--elders", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        forms = write_forms(Path(tmp), args.volunteers, args.elders)
        print(f"{args.volunteers:,} volunteers x {args.elders:,} elders, median of "
              f"{args.repeats}\n")
        print("| file form | read_world s | peak MB | pandas.read_csv s | peak MB | "
              "doctor s | peak MB |")
        print("|---|---|---|---|---|---|---|")
        for label, (v, e, encoding) in forms.items():
            ours = [run([python, "-c", READ, str(v), str(e)]) for _ in range(args.repeats)]
            base = [run([python, "-c", PANDAS, str(v), str(e), encoding])
                    for _ in range(args.repeats)]
            doctor = [run([python, "-m", "matching.cli", "doctor", str(v), str(e)])
                      for _ in range(args.repeats)]
            cells = []
            for runs in (ours, base, doctor):
                cells += [f"{statistics.median(r['seconds'] for r in runs):.1f}",
                          f"{statistics.median(r['peak_mb'] for r in runs):.0f}"]
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
