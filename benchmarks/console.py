"""Time from upload to rota in the web console, at Minle and county size.

Starts ``matching serve`` on a free loopback port with a fresh data folder, then does what a
coordinator does: upload the volunteers and elders as Excel workbooks (and the relations),
plan with the defaults (a pairing and a 13-week schedule from 30 March 2026), wait for the
run, then fetch a volunteer's rota page and the workbook. Medians over the repeats.

    python benchmarks/console.py [--repeats 3] [--only minle county]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from matching.console.launch import serve_in_background

SCENARIOS = Path(__file__).parent.parent / "scenarios"
CASES = {"minle": SCENARIOS / "minle", "county": SCENARIOS / "jishan-county"}
#: A run's first day (a Monday), so that every repeat plans the same quarter.
START = "2026-03-30"
POLL_SECONDS = 0.2


def workbook(path: Path) -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(path, dtype=str, keep_default_na=False).to_excel(buffer, index=False)
    return buffer.getvalue()


def once(folder: Path) -> dict[str, float]:
    """One coordinator's session on a fresh console; seconds of each step."""
    files = {"volunteers": ("volunteers.xlsx", workbook(folder / "volunteers.csv")),
             "elders": ("elders.xlsx", workbook(folder / "elders.csv")),
             "relations": ("relations.csv", (folder / "relations.csv").read_bytes())}
    with tempfile.TemporaryDirectory() as data:
        served = serve_in_background(data)
        try:
            client = served.client(timeout=600)
            clock = time.perf_counter()
            saved = client.post("/api/programmes/p/inputs", files=files)
            saved.raise_for_status()
            uploaded = time.perf_counter()
            run_id = client.post("/api/programmes/p/runs", json={"start": START}).json()["id"]
            while (status := client.get(f"/api/runs/{run_id}").json())["status"] not in (
                    "done", "failed"):
                time.sleep(POLL_SECONDS)
            planned = time.perf_counter()
            assignments = client.get(f"/api/runs/{run_id}/files/assignments.csv").text
            volunteer = pd.read_csv(io.StringIO(assignments), dtype=str)["volunteer_id"][0]
            client.get(f"/api/runs/{run_id}/files/rota/{volunteer}.html").raise_for_status()
            client.get(f"/api/runs/{run_id}/workbook").raise_for_status()
            done = time.perf_counter()
        finally:
            served.stop()
    return {"upload": uploaded - clock, "plan": planned - uploaded, "hand-outs": done - planned,
            "total": done - clock, "status": status["status"],
            "pairing": status.get("summary", {}).get("pairing", {}).get("status", "")}


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="*", choices=sorted(CASES), default=sorted(CASES,
                                                                             reverse=True))
    args = ap.parse_args()
    print("| size | volunteers x elders | upload + check s | plan s | hand-outs s | total s "
          "| run | pairing |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.only:
        folder = CASES[name]
        sizes = [len(pd.read_csv(folder / f"{k}.csv")) for k in ("volunteers", "elders")]
        runs = [once(folder) for _ in range(args.repeats)]
        median = {k: statistics.median(r[k] for r in runs)
                  for k in ("upload", "plan", "hand-outs", "total")}
        print(f"| {name} | {sizes[0]:,} x {sizes[1]:,} | {median['upload']:.2f} | "
              f"{median['plan']:.1f} | {median['hand-outs']:.2f} | {median['total']:.1f} | "
              f"{'/'.join(sorted({r['status'] for r in runs}))} | "
              f"{'/'.join(sorted({r['pairing'] for r in runs}))} |", flush=True)


if __name__ == "__main__":
    main()
