"""The console under load: 200 volunteers mark from their phones within one minute while a
coordinator browses Minle's results, approves the marks and re-plans Minle.

A console is started (``matching serve``, its own process) with two programmes: Minle, and
a generated town of 200 volunteers, each planned for the past week. Then, for
``--seconds`` (60), every volunteer's phone opens their page, reads their activities and
marks each of them at a random moment, one mark sent twice (a flaky connection); all 200
phones come from this computer's one address, as they would from an office's wifi. Meanwhile
the coordinator opens four pages in turn, approves the town's pending marks every ten
seconds, and re-plans Minle once. It prints a table: each side's requests, median and 95th
percentile answer times, the 5xx answers, and the marks sent against the marks kept
(lost: sent and not kept; doubled: kept twice). The coordinator's pages (what the target
is about) are shown apart from their actions (approving a batch, starting a re-plan).

    python benchmarks/console_load.py [--volunteers 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from matching.console.launch import ServedConsole, serve_in_background
from matching.schedule.horizon import monday_of
from matching.world.generate import WorldSpec, generate_world

MINLE = Path(__file__).resolve().parents[1] / "scenarios" / "minle"
#: The coordinator's pause between two pages, in seconds (a person reads a page).
BROWSE_PAUSE = 0.5
#: Seconds between the coordinator's approvals.
APPROVE_EVERY = 10.0
#: A phone keeps an idle connection less long than the server does (uvicorn: 5 s), so that
#: it does not send on one the server is closing.
PHONE_CONNECTIONS = httpx.Limits(keepalive_expiry=2.0)
#: The target: the coordinator's 95th-percentile page time, in milliseconds.
TARGET_P95_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (nearest rank), in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def plan(client: httpx.AsyncClient, name: str, files: dict, start: str) -> str:
    """Upload ``files`` as programme ``name``, plan one week from ``start``; its run."""
    answer = await client.post(f"/api/programmes/{name}/inputs", files=files)
    answer.raise_for_status()
    run = (await client.post(f"/api/programmes/{name}/runs", json={
        "start": start, "weeks": 1, "time_limit": 60})).json()["id"]
    while (await client.get(f"/api/runs/{run}")).json()["status"] not in ("done", "failed"):
        await asyncio.sleep(0.5)
    return run


class Tally:
    """Answer times and statuses of one side."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.errors = 0
        self.retries = 0
        self.failed: list[str] = []

    async def ask(self, client: httpx.AsyncClient, method: str, url: str,
                  **kwargs: object) -> httpx.Response:
        started = time.perf_counter()
        try:
            answer = await client.request(method, url, **kwargs)
        except httpx.TransportError:  # a connection closed under it: a phone sends again
            self.retries += 1
            answer = await client.request(method, url, **kwargs)
        self.times.append(time.perf_counter() - started)
        if answer.status_code >= 500:
            self.errors += 1
            self.failed.append(f"{method} {url.split('/v/')[0] or '/v/...'} "
                               f"{answer.status_code} {answer.text[:120]}")
        return answer


async def phone(url: str, base: str, seconds: float, tally: Tally, sent: set, rng: random.Random
                ) -> None:
    """One volunteer: open the page, read the activities, mark each at a random moment."""
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=PHONE_CONNECTIONS) as client:
        await asyncio.sleep(rng.uniform(0, seconds / 4))
        await tally.ask(client, "GET", url)
        activities = (await tally.ask(client, "GET", f"{url}/activities")).json()
        moments = sorted(rng.uniform(0, seconds * 0.7) for _ in activities)
        began = time.perf_counter()
        for i, (activity, moment) in enumerate(zip(activities, moments, strict=True)):
            await asyncio.sleep(max(0.0, moment - (time.perf_counter() - began)))
            mark = {"date": activity["date"], "activity": activity["activity"],
                    "elder_id": activity["elder_id"], "status": "done"}
            for _ in range(2 if i == 0 else 1):  # the first is sent twice
                answer = await tally.ask(client, "POST", f"{url}/marks", json=mark)
                if answer.status_code in (200, 201):
                    sent.add((url, activity["date"], activity["activity"], activity["elder_id"]))


async def coordinator(served: ServedConsole, town: str, minle_run: str, seconds: float,
                      tally: Tally, acts: Tally, replan_day: str) -> int:
    """Browse (``tally``: the pages), approve every ten seconds and re-plan Minle once
    (``acts``); marks approved."""
    pages = [f"/runs/{minle_run}", "/p/minle/map", f"/api/runs/{minle_run}/files/assignments.csv",
             f"/p/{town}/timebank"]
    approved, last_approval, replanned = 0, time.perf_counter(), False
    end = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=served.url, headers=served.headers,
                                 timeout=120) as client:
        i = 0
        while time.perf_counter() < end:
            await tally.ask(client, "GET", pages[i % len(pages)])
            i += 1
            if not replanned and time.perf_counter() > end - seconds / 2:
                await acts.ask(client, "POST", "/api/programmes/minle/replans",
                               json={"from": replan_day})
                replanned = True
            if time.perf_counter() - last_approval > APPROVE_EVERY:
                approved += await approve(client, town, acts)
                last_approval = time.perf_counter()
            await asyncio.sleep(BROWSE_PAUSE)
        await asyncio.sleep(2)
        approved += await approve(client, town, acts)
    return approved


async def approve(client: httpx.AsyncClient, town: str, tally: Tally) -> int:
    pending = (await tally.ask(client, "GET", f"/api/programmes/{town}/timebank/pending")).json()
    ids = [p["id"] for p in pending]
    if ids:
        await tally.ask(client, "POST", f"/api/programmes/{town}/timebank/approve",
                        json={"ids": ids})
    return len(ids)


async def main(volunteers: int, seconds: float) -> None:
    monday = monday_of(dt.date.today()) - dt.timedelta(days=7)  # a week that has passed
    with tempfile.TemporaryDirectory() as tmp:
        world = generate_world(WorldSpec(volunteers=volunteers, elders=int(volunteers * 2.4)),
                               seed=7)
        files = {kind: (f"{kind}.csv", table.to_csv(index=False).encode(), "text/csv")
                 for kind, table in (("volunteers", world.volunteers),
                                     ("elders", world.elders), ("relations", world.relations))}
        minle = {k: (f"{k}.csv", (MINLE / f"{k}.csv").read_bytes(), "text/csv")
                 for k in ("volunteers", "elders", "relations")}
        errors = Path(tmp) / "server-errors.txt"
        with serve_in_background(Path(tmp) / "data", "--link-days", "36500",
                                 errors_to=errors) as served:
            async with httpx.AsyncClient(base_url=served.url, headers=served.headers,
                                         timeout=600) as client:
                minle_run = await plan(client, "minle", minle, monday.isoformat())
                town_run = await plan(client, "town", files, monday.isoformat())
                links = (await client.get(f"/api/runs/{town_run}/links")).json()
            phones, desk, acts, sent = Tally(), Tally(), Tally(), set()
            rng = random.Random(2026)
            started = time.perf_counter()
            results = await asyncio.gather(
                coordinator(served, "town", minle_run, seconds, desk, acts,
                            (monday + dt.timedelta(days=3)).isoformat()),
                *(phone(link["url"], served.url, seconds, phones, sent, rng)
                  for link in links[:volunteers]))
            took = time.perf_counter() - started
            async with httpx.AsyncClient(base_url=served.url, headers=served.headers,
                                         timeout=600) as client:
                left = (await client.get("/api/programmes/town/timebank/pending")).json()
        with sqlite3.connect(Path(tmp) / "data" / "links.sqlite") as db:
            kept, distinct = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT date || activity || elder_id || volunteer_id) "
                "FROM marks WHERE programme = 'town'").fetchone()
        said = errors.read_text(encoding="utf-8") if errors.is_file() else ""
    print(f"{len(links[:volunteers])} phones, {len(sent)} distinct marks sent in {took:.0f} s "
          f"(one mark of each phone sent twice); coordinator on Minle")
    print(f"{'side':<12}{'requests':>10}{'median ms':>11}{'p95 ms':>9}{'5xx':>6}"
          f"{'resent':>8}")
    for side, tally in (("pages", desk), ("actions", acts), ("phones", phones)):
        print(f"{side:<12}{len(tally.times):>10}{1000 * statistics.median(tally.times):>11.0f}"
              f"{percentile(tally.times, 0.95):>9.0f}{tally.errors:>6}{tally.retries:>8}")
    print(f"marks sent {len(sent)}, kept {kept} ({results[0]} approved in batches, "
          f"{len(left)} pending at the end): lost {max(0, len(sent) - kept)}, doubled "
          f"{kept - distinct}")
    for failure in desk.failed + acts.failed + phones.failed:
        print("5xx:", failure)
    if said.strip():
        print("the server said:", said[-2000:])
    p95 = percentile(desk.times, 0.95)
    print(f"the coordinator's pages: p95 {p95:.0f} ms against the target {TARGET_P95_MS:.0f} ms: "
          f"{'met' if p95 <= TARGET_P95_MS else 'missed'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.volunteers, arguments.seconds))
