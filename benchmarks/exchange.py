"""From posting a request to its offer on a volunteer's phone, with the time bank in SQLite
and in PostgreSQL.

A console over Minle planned for two weeks (one plan, made once); then, several times for
each database, in turn: the coordinator posts a visit for an elder (``POST
/api/programmes/minle/requests``: the ranking on the plan, the request and its offers kept
in the ledger), and the best volunteer's phone page is opened until it shows the offer
(``GET /v/{token}``). Each request is then cancelled, so that every round starts alike. The
baseline of the same run is the phone page alone, without a request on it. Medians print.

    python benchmarks/exchange.py --database postgresql://user@/postgres?host=/tmp/pg \\
        [--repeats 21]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from matching.console import create_app

MINLE = Path(__file__).resolve().parents[1] / "scenarios" / "minle"
#: Links kept working long after the fortnight planned.
LINK_DAYS = 36_500
#: The elders asked for in turn (each a visit of an hour today).
ELDERS = ("E00001", "E00002", "E00003", "E00004", "E00005")


def planned_console(data: Path, database: str) -> tuple[TestClient, dict[str, str]]:
    """A console over ``data`` with Minle uploaded and planned; its links by volunteer."""
    app = create_app(data, link_days=LINK_DAYS, database=database)
    secret = app.state.console.start_secret
    client = TestClient(app, base_url="http://127.0.0.1:8000",
                        headers={"authorization": f"token {secret}"} if secret else {})
    files = {k: (f"{k}.csv", (MINLE / f"{k}.csv").read_bytes(), "text/csv")
             for k in ("volunteers", "elders", "relations")}
    if client.post("/api/programmes/minle/inputs", files=files).status_code != 200:
        sys.exit("upload refused")
    run = client.post("/api/programmes/minle/runs", json={
        "start": "2026-03-30", "weeks": 2, "time_limit": 20}).json()["id"]
    while client.get(f"/api/runs/{run}").json()["status"] not in ("done", "failed"):
        time.sleep(0.2)
    links = {r["volunteer_id"]: r["url"] for r in client.get(f"/api/runs/{run}/links").json()}
    return client, links


def one_round(client: TestClient, links: dict[str, str], elder: str) -> tuple[float, float]:
    """Seconds to post, and from posting to the offer on the best volunteer's phone."""
    started = time.perf_counter()
    posted = client.post("/api/programmes/minle/requests", json={
        "elder_id": elder, "service": "visit", "date": dt.date.today().isoformat(),
        "minutes": 60})
    post_seconds = time.perf_counter() - started
    body = posted.json()
    phone = links[body["offered_to"][0]]
    while f'id="q-{body["id"]}"' not in client.get(phone).text:
        pass
    offer_seconds = time.perf_counter() - started
    client.post(f"/api/programmes/minle/requests/{body['id']}/cancel", json={"reason": "x"})
    return post_seconds, offer_seconds


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="a PostgreSQL address to compare")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    backends = [("SQLite", "")] + ([("PostgreSQL", args.database)] if args.database else [])
    consoles = {}
    for label, database in backends:
        data = Path(tempfile.mkdtemp(prefix="exchange-bench-")) / "data"
        consoles[label] = planned_console(data, database)
    times: dict[str, dict[str, list[float]]] = {
        label: {"post": [], "offer": [], "phone": []} for label, _ in backends}
    for k in range(args.repeats):  # the backends interleaved, round by round
        for label, _ in backends:
            client, links = consoles[label]
            post, offer = one_round(client, links, ELDERS[k % len(ELDERS)])
            times[label]["post"].append(post)
            times[label]["offer"].append(offer)
            started = time.perf_counter()
            client.get(next(iter(links.values())))
            times[label]["phone"].append(time.perf_counter() - started)
    print(f"| time bank | post (ms) | post to offer on the phone (ms) | phone page alone "
          f"(ms, baseline) | x baseline |  ({args.repeats} rounds, medians)")
    print("|---|---:|---:|---:|---:|")
    for label, _ in backends:
        t = {key: statistics.median(v) * 1000 for key, v in times[label].items()}
        print(f"| {label} | {t['post']:.1f} | {t['offer']:.1f} | {t['phone']:.1f} | "
              f"{t['offer'] / t['phone']:.1f} |")


if __name__ == "__main__":
    main()
