"""Recording a marked rota in the time bank, at a quarter of Minle and up to a county quarter.

For each size: a synthetic schedule of that many rows (calls, visits, services over a
quarter), marked by the simulator; then, several times, into a fresh ledger: check the marked
rota against the schedule (``read_done``), record it (one transaction), and read the balances.
The baseline, in the same run, is a bare SQLite ``executemany`` of the same rows into one
table of the same columns: the least any recording could cost. Medians are printed.

    python benchmarks/ledger.py [--rows 16400 65600 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from matching.ledger import open_ledger, read_done, simulate_done

#: The activities of a synthetic rota and their shares of its rows, and lengths in minutes.
MIX = (("call", 0.86, 5), ("visit", 0.12, 60), ("service", 0.02, 60))
QUARTER_DAYS = 91
ROWS_PER_VOLUNTEER = 260


def synthetic_schedule(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` rota rows over a quarter, each a distinct (date, activity, volunteer, elder)."""
    rng = np.random.default_rng(seed)
    volunteers = max(1, rows // ROWS_PER_VOLUNTEER)
    kinds = rng.choice(len(MIX), size=rows, p=[m[1] for m in MIX])
    start = dt.date(2026, 3, 30)
    out = pd.DataFrame({
        "date": [(start + dt.timedelta(days=int(d))).isoformat()
                 for d in np.arange(rows) % QUARTER_DAYS],
        "activity": [MIX[k][0] for k in kinds],
        "volunteer_id": [f"V{v:06d}" for v in (np.arange(rows) // QUARTER_DAYS) % volunteers],
        "elder_id": [f"E{e:06d}" for e in np.arange(rows) // QUARTER_DAYS],
        "minutes": [str(MIX[k][2]) for k in kinds],
    })
    return out.drop_duplicates(["date", "activity", "volunteer_id", "elder_id"])


def bare_insert(path: Path, done: pd.DataFrame) -> float:
    """Seconds to insert the marked rows into one plain table, in one transaction."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE rows (date TEXT, activity TEXT, volunteer_id TEXT, "
                 "elder_id TEXT, status TEXT, done_by TEXT, minutes TEXT, rating TEXT, "
                 "comment TEXT)")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         done.itertuples(index=False, name=None))
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", type=int, default=[16_400, 65_600, 200_000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.rows:
            schedule = synthetic_schedule(n)
            done = simulate_done(schedule, seed=1)
            schedule.to_csv(folder / "schedule.csv", index=False)
            done.to_csv(folder / "done.csv", index=False)
            check, record, balance, bare = [], [], [], []
            for i in range(args.repeats):
                t0 = time.perf_counter()
                recording = read_done(folder / "schedule.csv", folder / "done.csv")
                t1 = time.perf_counter()
                with open_ledger(folder / f"ledger-{n}-{i}.sqlite") as ledger:
                    ledger.record(recording)
                    t2 = time.perf_counter()
                    ledger.balances()
                    t3 = time.perf_counter()
                check.append(t1 - t0)
                record.append(t2 - t1)
                balance.append(t3 - t2)
                bare.append(bare_insert(folder / f"bare-{n}-{i}.sqlite", done))
            median_record = statistics.median(record)
            median_bare = statistics.median(bare)
            table.append({"rows": len(done), "runs": args.repeats,
                          "check_s": round(statistics.median(check), 2),
                          "record_s": round(median_record, 2),
                          "rows_per_s": round(len(done) / median_record),
                          "bare_insert_s": round(median_bare, 3),
                          "record/bare": round(median_record / median_bare, 1),
                          "balances_s": round(statistics.median(balance), 3)})
    print(pd.DataFrame(table).to_string(index=False))


if __name__ == "__main__":
    main()
