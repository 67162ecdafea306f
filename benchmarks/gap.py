"""OR-Library generalized-assignment instances through ``matching pair``.

Each instance is mapped to the contract: every agent becomes a volunteer (weekly_minutes =
capacity, no limit on elders), every job an elder, and pairs.csv gives every pair with
distance_km = cost / 1000 and weekly_minutes = resource. ``matching pair --time-limit 60``
then solves it; since an assignment of every job exists, the largest total priority covers
every elder and the cost term is the GAP's minimisation objective (x 1/1000).

    python benchmarks/gap.py ../shared/benchmarks/gap [--only gap1 gapa] [--time-limit 60]
                             [--baselines [highs cpsat]]

Prints one JSON line per instance and a table: value, known optimum, gap, status, time. With
``--baselines``, HiGHS (highspy, its default settings) and a plain
CP-SAT model (8 workers) solve the same instance with the same time limit, side by side.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix


def read_instances(path: Path, multi: bool) -> list[tuple[int, int, list, list, list]]:
    """Instances of one file: ``(m, n, cost, resource, capacity)``, matrices agent-major."""
    tokens = [int(t) for t in path.read_text().split()]
    pos = 0

    def take(k: int) -> list[int]:
        nonlocal pos
        out = tokens[pos:pos + k]
        pos += k
        return out

    count = take(1)[0] if multi else 1
    out = []
    for _ in range(count):
        m, n = take(2)
        cost = [take(n) for _ in range(m)]
        res = [take(n) for _ in range(m)]
        cap = take(m)
        out.append((m, n, cost, res, cap))
    return out


def write_world(folder: Path, m: int, n: int, cost: list, res: list, cap: list) -> None:
    """The instance in the contract's format."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "volunteers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["volunteer_id", "max_elders", "weekly_minutes"])
        for i in range(m):
            w.writerow([f"A{i}", n, cap[i]])
    with open(folder / "elders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["elder_id"])
        for j in range(n):
            w.writerow([f"J{j}"])
    with open(folder / "pairs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["volunteer_id", "elder_id", "distance_km", "weekly_minutes"])
        for i in range(m):
            for j in range(n):
                w.writerow([f"A{i}", f"J{j}", cost[i][j] / 1000, res[i][j]])


def highs_value(m: int, n: int, cost: list, res: list, cap: list,
                time_limit: float) -> int | None:
    """The best value HiGHS (highspy, its default settings) finds within ``time_limit`` (the
    plain GAP model: x[i, j] at column i * n + j, a row per job, then a row per agent)."""
    c = np.array(cost, dtype=float).ravel()
    agent, job = np.divmod(np.arange(m * n), n)
    assign = csr_matrix((np.ones(m * n), (job, np.arange(m * n))), shape=(n, m * n))
    capacity = csr_matrix((np.array(res, dtype=float).ravel(), (agent, np.arange(m * n))),
                          shape=(m, m * n))
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.addCols(m * n, c, np.zeros(m * n), np.ones(m * n), 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
    highs.changeColsIntegrality(m * n, np.arange(m * n, dtype=np.int32),
                                np.full(m * n, highspy.HighsVarType.kInteger))
    for matrix, lower, upper in ((assign, np.ones(n), np.ones(n)),
                                 (capacity, np.full(m, -highspy.kHighsInf),
                                  np.array(cap, dtype=float))):
        highs.addRows(matrix.shape[0], lower, upper, matrix.nnz,
                      matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32),
                      matrix.data)
    highs.run()
    if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return None
    return round(float(c @ np.round(highs.getSolution().col_value)))


def cpsat_value(m: int, n: int, cost: list, res: list, cap: list,
                time_limit: float) -> int | None:
    """The best value a plain CP-SAT model (8 workers) finds within ``time_limit``."""
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(sum(res[i][j] * x[i][j] for j in range(n)) <= cap[i])
    model.minimize(sum(cost[i][j] * x[i][j] for i in range(m) for j in range(n)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 8
    status = solver.solve(model)
    return (round(solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            else None)


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gap_dir", type=Path)
    ap.add_argument("--only", nargs="*", help="file stems, e.g. gap1 gapa e05100")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--baselines", nargs="*", choices=("highs", "cpsat"), default=None,
                    help="also solve each instance with these (default both: HiGHS and "
                         "plain CP-SAT)")
    args = ap.parse_args()
    known = {}
    with open(args.gap_dir / "known_optima.csv") as f:
        for row in csv.DictReader(f):
            if row["sense"] == "min":
                known[row["instance"]] = int(row["value"])
    jobs = []
    for k in range(1, 13):
        jobs += [(f"gap{k}", f"gap{k}-{i + 1}", inst) for i, inst in
                 enumerate(read_instances(args.gap_dir / "orlib" / f"gap{k}.txt", True))]
    for letter in "abcd":
        names = [f"{letter}{m:02d}{n}" for m in (5, 10, 20) for n in (100, 200)]
        jobs += [(f"gap{letter}", name, inst) for name, inst in
                 zip(names, read_instances(args.gap_dir / "orlib" / f"gap{letter}.txt", True),
                     strict=True)]
    for path in sorted((args.gap_dir / "yagiura_e").iterdir()):
        jobs.append((path.name, path.name, read_instances(path, False)[0]))
    if args.only:
        jobs = [j for j in jobs if j[0] in args.only or j[1] in args.only]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for _stem, name, (m, n, cost, res, cap) in jobs:
            world = Path(tmp) / name
            write_world(world, m, n, cost, res, cap)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "matching.cli", "pair", "--volunteers",
                 str(world / "volunteers.csv"), "--elders", str(world / "elders.csv"),
                 "--pairs", str(world / "pairs.csv"), "--out", str(world / "plan"),
                 "--time-limit", str(args.time_limit), "--quiet"],
                capture_output=True, text=True)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                continue
            summary = json.loads((world / "plan" / "summary.json").read_text())
            value = round(summary["cost_km"] * 1000)
            best = known.get(name)
            rows.append({"instance": name, "m": m, "n": n, "assigned": summary["assigned"],
                         "value": value, "known": best,
                         "gap_pct": None if best is None else round(100 * (value - best) / best, 3),
                         "status": summary["status"], "seconds": round(wall, 1)})
            if args.baselines is not None:
                chosen = args.baselines or ["highs", "cpsat"]
                for solver, fn in (("highs", highs_value), ("cpsat", cpsat_value)):
                    if solver not in chosen:
                        continue
                    found = fn(m, n, cost, res, cap, args.time_limit)
                    rows[-1][solver] = found
                    rows[-1][f"{solver}_gap_pct"] = (None if best is None or found is None
                                                     else round(100 * (found - best) / best, 3))
            print(json.dumps(rows[-1]), flush=True)
    shown = [b for b in ("highs", "cpsat") if any(b in r for r in rows)]
    names = {"highs": "HiGHS", "cpsat": "CP-SAT"}
    print("\n| instance | m x n | assigned | value | known | gap % | status | s |"
          + "".join(f" {names[b]} gap % |" for b in shown))
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(shown))
    for r in rows:
        print(f"| {r['instance']} | {r['m']}x{r['n']} | {r['assigned']} | {r['value']} | "
              f"{r['known']} | {r['gap_pct']} | {r['status']} | {r['seconds']} |"
              + "".join(f" {r.get(b + '_gap_pct')} |" for b in shown))
    hit = sum(r["value"] == r["known"] for r in rows)
    within = sum(r["gap_pct"] is not None and r["gap_pct"] <= 1.0 for r in rows)
    print(f"\n{hit} of {len(rows)} at the known optimum; {within} within 1%")


if __name__ == "__main__":
    main()
