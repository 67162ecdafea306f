"""Pairing a province on a local Dask cluster: time, and memory per process.

Generates the ``province`` preset (500,000 volunteers x 200,000 elders in 117 county
towns; or another preset), then runs ``matching pair --cluster local:N`` as a fresh
process while sampling the resident memory of it and of every process it starts (the
Dask scheduler's nanny and the workers) from ``/proc``. Prints one table: wall time, the
command's own peak, each worker's peak, status, gap and the independent checker's verdict;
with ``--bare``, also the bare min-cost-flow process on the same input.

    python benchmarks/province.py [--preset province] [--seed 1] [--cluster local:2]
                                  [--time-limit 600] [--bare] [--world DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _runner import generated_world, run

HERE = Path(__file__).resolve().parent

#: Seconds between memory samples.
SAMPLE_S = 0.5


def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def measure(argv: list[str]) -> dict[str, object]:
    """Run ``argv``; its wall time, its own peak memory and each descendant's."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, float] = {}
    kinds: dict[int, str] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in [proc.pid, *_children(proc.pid)]:
                peaks[pid] = max(peaks.get(pid, 0.0), _rss_mb(pid))
                if pid not in kinds:
                    kinds[pid] = _cmdline(pid)
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stderr.write(err.decode())
    own = peaks.pop(proc.pid, 0.0)
    # the workers are the busiest of the processes the command started
    others = sorted(peaks.values(), reverse=True)
    return {"seconds": time.perf_counter() - start, "own_mb": own, "others_mb": others,
            "code": proc.returncode}


def main() -> None:
    """Generate, pair on the cluster, print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="province")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cluster", default="local:2")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--bare", action="store_true", help="also time the bare min-cost flow")
    ap.add_argument("--world", type=Path, help="an already generated world folder to use")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "matching.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        world = args.world or Path(tmp) / args.preset
        t = time.perf_counter()
        files = (generated_world(world, args.preset, args.seed) if args.world is None else
                 ["--volunteers", str(world / "volunteers.csv"), "--elders",
                  str(world / "elders.csv"), "--relations", str(world / "relations.csv")])
        generated_s = time.perf_counter() - t
        out = Path(tmp) / "plan"
        figures = measure([*exe, "pair", *files, "--out", str(out), "--quiet",
                           "--time-limit", str(args.time_limit), "--cluster", args.cluster])
        summary = json.loads((out / "summary.json").read_text())
        check = subprocess.run([*exe, "check", *files, "--plan", str(out)],
                               capture_output=True, text=True)
        bare = run([sys.executable, str(HERE / "bare_flow.py"), str(world)]) if args.bare \
            else None
    workers = int(args.cluster.split(":")[1]) if args.cluster.startswith("local:") else 0
    row = {
        "preset": args.preset, "volunteers": summary["volunteers"],
        "elders": summary["elders"], "pairs": summary["candidate_pairs"],
        "regions": summary["decomposition"]["regions"],
        "parts": summary["decomposition"]["parts"], "cluster": args.cluster,
        "seconds": round(figures["seconds"], 1),
        "bare_flow_s": None if bare is None else round(bare["seconds"], 1),
        "command_peak_mb": round(figures["own_mb"]),
        "worker_peaks_mb": [round(m) for m in figures["others_mb"][:workers]],
        "status": summary["status"], "gap": summary["gap"],
        "assigned": summary["assigned"],
        "checker": "ok" if check.returncode == 0 else "BROKEN",
        "generate_s": round(generated_s, 1),
    }
    print(json.dumps(row))
    print(json.dumps({"method": summary["method"], "solver_stats": summary["solver_stats"]}))
    print()
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v)
                            for v in row.values()) + " |")


if __name__ == "__main__":
    main()
