"""The time-bank page as a coordinator opens it, in headless Chromium, against another tree.

Makes a Minle data folder once (13 weeks planned from 30 March 2026, and every home
activity of the first week marked done from the volunteers' phones, waiting for approval),
then serves it with this tree and with ``--baseline SRC`` (another checkout's ``src``),
alternating, and opens ``/p/minle/timebank`` in headless Chromium: the time from the request
to the page's load event, the size of the HTML and the height of the page. Medians over the
repeats.

    python benchmarks/timebank_page.py --baseline /tmp/baseline/src [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from matching.console.launch import serve_in_background

MINLE = Path(__file__).parent.parent / "scenarios" / "minle"
START, WEEKS = "2026-03-30", 13
POLL_SECONDS = 0.5
#: Links stay open this many days after the plan (it lies in the past).
LINK_DAYS = ("--link-days", "3650")


def make_data(data: Path) -> int:
    """A console data folder with Minle planned and the first week marked from phones;
    returns the number of marks waiting."""
    served = serve_in_background(data, *LINK_DAYS)
    try:
        client = served.client()
        files = {kind: (f"{kind}.csv", (MINLE / f"{kind}.csv").read_bytes(), "text/csv")
                 for kind in ("volunteers", "elders", "relations")}
        assert client.post("/api/programmes/minle/inputs", files=files).status_code == 200
        run_id = client.post("/api/programmes/minle/runs", json={
            "start": START, "weeks": WEEKS, "time_limit": 60}).json()["id"]
        while client.get(f"/api/runs/{run_id}").json()["status"] not in ("done", "failed"):
            time.sleep(POLL_SECONDS)
        schedule = pd.read_csv(data / "runs" / run_id / "out" / "schedule.csv", dtype=str,
                               keep_default_na=False)
        week = schedule[(schedule["date"] < "2026-04-06")
                        & schedule["activity"].isin(["visit", "service", "birthday"])]
        links = {r["volunteer_id"]: r["url"]
                 for r in client.get("/api/programmes/minle/links").json()}
        for r in week.to_dict("records"):
            answer = client.post(f"{links[r['volunteer_id']]}/marks", json={
                "date": r["date"], "activity": r["activity"], "elder_id": r["elder_id"],
                "status": "done"})
            assert answer.status_code in (200, 201), answer.text
        return len(client.get("/api/programmes/minle/timebank/pending").json())
    finally:
        served.stop()


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def open_page(driver: webdriver.Chrome, data: Path, env: dict[str, str]) -> dict[str, float]:
    """Serve ``data`` and open the time-bank page once; its figures."""
    served = serve_in_background(data, *LINK_DAYS, env=env)
    try:
        driver.get(served.entry)  # the start secret becomes a session cookie
        driver.get(served.url + "/p/minle/timebank")
        timing = driver.execute_script(
            "const t = performance.getEntriesByType('navigation')[0];"
            "return [t.loadEventEnd - t.startTime, t.transferSize,"
            " document.documentElement.scrollHeight, document.querySelectorAll('*').length];")
        return {"load_s": timing[0] / 1000, "html_kb": timing[1] / 1024,
                "height_px": timing[2], "elements": timing[3]}
    finally:
        served.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="another tree's src folder")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data", help="a data folder made before (made here if missing)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data or Path(tmp) / "data")
        waiting = make_data(data) if not data.exists() else None
        trees = {"this tree": dict(os.environ),
                 "baseline": {**os.environ, "PYTHONPATH": args.baseline}}
        figures: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        driver = browser()
        try:
            for _ in range(args.repeats):
                for name, env in trees.items():
                    figures[name].append(open_page(driver, data, env))
        finally:
            driver.quit()
    print(f"marks waiting: {waiting if waiting is not None else 'as in --data'}")
    print("| tree | load_s (median) | html_kb | height_px | elements |")
    print("|---|---|---|---|---|")
    for name, runs in figures.items():
        row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"| {name} | {row['load_s']:.2f} | {row['html_kb']:.0f} | "
              f"{row['height_px']:,.0f} | {row['elements']:,.0f} |")
    base = statistics.median(r["load_s"] for r in figures["baseline"])
    now = statistics.median(r["load_s"] for r in figures["this tree"])
    print(f"ratio this/baseline: {now / base:.2f}")


if __name__ == "__main__":
    main()
