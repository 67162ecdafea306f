"""Oversized uploads against a real console: how long until the answer, how much the
server grows, and how long another page waits meanwhile.

Starts ``matching serve`` on a free loopback port with an empty data folder, uploads each
workbook as a programme's elders (with Minle's volunteers), and while the upload is under
way asks for ``/api/programmes`` every 50 ms. Prints, per case: the answer, its seconds,
the server's resident memory before and at its peak (``VmHWM``), and the slowest answer of
the other page. With ``--baseline SRC``, the same against a console run from another source tree
(``SRC/src`` first on ``PYTHONPATH``), measured in the same run.

    python benchmarks/upload_limits.py [--baseline /path/to/older/checkout]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from matching.console.launch import serve_in_background  # noqa: E402
from tests.helpers.bomb import (  # noqa: E402
    far_cell_workbook,
    many_rows_workbook,
    ods_cell,
    ods_row,
    ods_workbook,
)

#: The volunteers uploaded beside each workbook (Minle's).
VOLUNTEERS = ROOT / "scenarios" / "minle" / "volunteers.csv"

#: How often the other page is asked for while an upload is under way, in seconds.
POLL_SECONDS = 0.05


def memory_mb(pid: int, field: str) -> float:
    """A ``/proc/PID/status`` memory figure (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(source: Path | None, workbook: Path, data: Path) -> dict[str, object]:
    """Upload ``workbook`` to a fresh console (from ``source``'s tree, or this one)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    served = serve_in_background(data, env=env)
    server = served.process
    try:
        before = memory_mb(server.pid, "VmRSS")
        waits: list[float] = []
        done = threading.Event()

        def poll() -> None:
            with served.client(timeout=120) as client:
                while not done.is_set():
                    asked = time.perf_counter()
                    client.get("/api/programmes")
                    waits.append(time.perf_counter() - asked)
                    time.sleep(POLL_SECONDS)

        poller = threading.Thread(target=poll)
        poller.start()
        started = time.perf_counter()
        with served.client(timeout=600) as client:
            answer = client.post("/api/programmes/bomb/inputs", files={
                "volunteers": ("volunteers.csv", VOLUNTEERS.read_bytes(), "text/csv"),
                "elders": (f"elders{workbook.suffix}", workbook.read_bytes(),
                           "application/octet-stream")})
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
        problems = answer.json().get("problems", []) if answer.status_code == 422 else []
        return {"status": answer.status_code, "seconds": seconds,
                "answer_kb": len(answer.content) / 1024,
                "first": problems[0]["message"][:60] if problems else "",
                "rss_before": before, "rss_peak": memory_mb(server.pid, "VmHWM"),
                "slowest_other": max(waits, default=float("nan"))}
    finally:
        served.stop()


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", type=Path, help="an older checkout to measure beside")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wide = folder / "wide.csv"
        wide.write_bytes(b",".join(b"c%d" % i for i in range(10_000)) + b"\n" + b"E\n" * 99_000)
        returns = folder / "returns.csv"
        returns.write_bytes(b"elder_id,age\r" + b"E0000001,85\r" * 1_500_000)
        cases = {"1,000,000 rows": many_rows_workbook(folder / "million.xlsx", 1_000_000),
                 "150,000 rows, <dimension> says 3": many_rows_workbook(
                     folder / "lying.xlsx", 150_000, dimension_rows=3),
                 "CSV, 10,000 columns x 99,000 rows": wide,
                 "CSV, 1.5 million rows ended by a bare CR": returns,
                 "xlsx, 2,000 rows, one cell in XFD": far_cell_workbook(
                     folder / "far.xlsx", 2_000),
                 ".ods, 200,000 repeated rows": ods_workbook(folder / "rows.ods", [
                     ods_row(ods_cell("elder_id") + ods_cell("age")),
                     ods_row(ods_cell("E1") + ods_cell("85"), repeat=200_000)]),
                 ".ods, 2,000 x 5,001 repeated cells": ods_workbook(folder / "cells.ods", [
                     ods_row(ods_cell("x", repeat=5_001), repeat=2_000)])}
        trees = [("this tree", None)] + ([("baseline", args.baseline)] if args.baseline else [])
        print("| console | case | file MB | answer | s | answer KB | RSS before MB | "
              "RSS peak MB | slowest other page s | first problem |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, source in trees:
            for case, workbook in cases.items():
                data = Path(tmp) / f"data-{label}-{abs(hash(case))}"
                r = measure(source, workbook, data)
                print(f"| {label} | {case} | {workbook.stat().st_size / 2**20:.1f} | "
                      f"{r['status']} | {r['seconds']:.2f} | {r['answer_kb']:,.0f} | "
                      f"{r['rss_before']:.0f} | {r['rss_peak']:.0f} | "
                      f"{r['slowest_other']:.2f} | {r['first']} |", flush=True)


if __name__ == "__main__":
    main()
