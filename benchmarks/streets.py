"""Walking on streets: what it adds to a whole ``matching pair`` at county and city size.

Generates each world with its street network (``matching generate``: a grid of roads, a
river with bridges, a railway with level crossings), then times the whole command in fresh
processes, interleaved: the straight line (the baseline, in the same run), walking with the
graph cached beside the extract (the usual case), and walking on a fresh extract (the
extract parsed and its graph cached: the first run on it). Prints the median wall time,
the median peak memory (max RSS) and the differences from the straight line::

    python benchmarks/streets.py [--presets county city] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _runner import MATCHING, generated_world, run

from matching.world.streets.network import cache_path

#: What each run measures, in the order they alternate.
KINDS = ("straight line", "walked, graph cached", "walked, first run (extract parsed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["county", "city"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print("| world | distances | median s | + s | median peak MB | + MB | runs |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for preset in args.presets:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            inputs = generated_world(folder / "world", preset, args.seed)
            extract = folder / "world" / "streets.osm.pbf"
            fresh = folder / "fresh.osm.pbf"
            figures: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
            command = [*MATCHING, "pair", *inputs, "--quiet", "--out"]
            run([*command, str(folder / "warm"), "--streets", str(extract)])  # the cache
            for k in range(args.repeats):
                for kind in KINDS:
                    out = folder / f"out-{k}"
                    if kind == KINDS[0]:
                        argv = [*command, str(out)]
                    elif kind == KINDS[1]:
                        argv = [*command, str(out), "--streets", str(extract)]
                    else:
                        shutil.copyfile(extract, fresh)
                        cache_path(fresh).unlink(missing_ok=True)
                        argv = [*command, str(out), "--streets", str(fresh)]
                    figures[kind].append(run(argv))
                    shutil.rmtree(out, ignore_errors=True)
            base_s = statistics.median(f["seconds"] for f in figures[KINDS[0]])
            base_mb = statistics.median(f["peak_mb"] for f in figures[KINDS[0]])
            for kind in KINDS:
                seconds = statistics.median(f["seconds"] for f in figures[kind])
                peak = statistics.median(f["peak_mb"] for f in figures[kind])
                print(f"| {preset} | {kind} | {seconds:.2f} | {seconds - base_s:+.2f} | "
                      f"{peak:,.0f} | {peak - base_mb:+,.0f} | {len(figures[kind])} |")


if __name__ == "__main__":
    main()
