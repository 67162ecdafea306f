"""Killed mid-act (SIGKILL, as a power cut would), the console loses nothing and doubles
nothing: during an approval, the ledger has each mark once or not at all, and approving
again records the rest; during a re-plan, the roster, the changes and the audit log are
whole after a restart, and the re-plan can be made again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matching.cli import main
from matching.console import service
from matching.console.launch import ServedConsole, free_port, serve_in_background
from matching.console.links import Links
from matching.programme.audit import verify_data
from tests.console.conftest import fortnight_copy
from tests.console.test_app import MINLE

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

#: After how long each approval is killed (seconds): before, during and after its write.
KILL_AFTER = (0.3, 0.6, 0.9, 1.2, 1.6)

#: What the killed process runs: one approval of every pending mark.
APPROVER = """
import sys
from matching.console import service
from matching.console.links import Links
from matching.console.store import Store
store = Store(sys.argv[1])
links = Links(store.root)
ids = [int(m["id"]) for m in links.marks(programme="minle", pending=True)]
print("start", flush=True)
service.approve_marks(store, links, "minle", ids, actor="account:crash")
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def marked(tmp_path_factory, fortnight_source):
    """Minle planned for two past weeks, with every activity of the first week marked
    done from the phones (about 1,200 marks), waiting for approval."""
    data, run_id = fortnight_copy(fortnight_source, tmp_path_factory.mktemp("crash") / "data")
    links = Links(data)
    schedule = service.run_schedule(service.Store(data), run_id)
    week = schedule[schedule["date"] < "2026-04-06"]
    for vid, rows in week.groupby("volunteer_id"):
        link = links.find(links.issue("minle", [str(vid)])[str(vid)])
        link = link.__class__(link.programme, link.volunteer_id, run_id)
        for r in rows.to_dict("records"):
            links.mark(link, r["date"], r["activity"], r["elder_id"], "done")
    links.close()
    return data, len(week)


def ledger_state(data: Path) -> tuple[int, int, int]:
    """Rows recorded, distinct activities among them, and the ledger's total."""
    path = data / "programmes" / "minle" / "timebank" / "ledger.sqlite"
    if not path.exists():
        return 0, 0, 0
    conn = sqlite3.connect(path)
    rows, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT activity_key) FROM "
                                  "activities").fetchone()
    total = conn.execute("SELECT COALESCE(SUM(minutes), 0) FROM entries").fetchone()[0]
    conn.close()
    return rows, distinct, total


def test_killed_during_approval_nothing_is_lost_or_doubled(marked):
    data, count = marked
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    for delay in KILL_AFTER:
        process = subprocess.Popen([sys.executable, "-c", APPROVER, str(data)],
                                   stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None and process.stdout.readline() == b"start\n"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        rows, distinct, total = ledger_state(data)
        assert rows == distinct and total == 0  # never twice, always balanced
        assert verify_data(data).whole
        if rows:  # this approval got its batch in before it was killed
            break
    # restarted: one more approval settles the rest, and every mark is in once
    links = Links(data)
    pending = [int(m["id"]) for m in links.marks(programme="minle", pending=True)]
    if pending:
        service.approve_marks(service.Store(data), links, "minle", pending)
    assert links.marks(programme="minle", pending=True) == []
    links.close()
    rows, distinct, total = ledger_state(data)
    assert rows == distinct == count and total == 0
    assert verify_data(data).whole


def serve(data: Path, port: int) -> ServedConsole:
    return serve_in_background(data, "--programme", "minle", str(MINLE), port=port,
                               own_group=True)


def test_killed_during_a_replan_the_record_is_whole_after_a_restart(tmp_path):
    data, port = tmp_path / "data", free_port()
    console = serve(data, port)
    web = console.client()
    try:
        run = web.post("/api/programmes/minle/runs", json={
            "start": "2026-03-30", "weeks": 2, "time_limit": 30}).json()["id"]
        for _ in range(600):
            if web.get(f"/api/runs/{run}").json()["status"] == "done":
                break
            time.sleep(0.1)
        for vid in ("V00001", "V00002"):
            assert web.post("/api/programmes/minle/changes", json={
                "kind": "leave", "person": "volunteer", "id": vid, "date": "2026-04-06",
                "reason": "moved"}).status_code == 201
        again = web.post("/api/programmes/minle/replans",
                           json={"from": "2026-04-06"}).json()["id"]
        time.sleep(1.0)  # the re-plan is running
        assert web.get(f"/api/runs/{again}").json()["status"] in ("queued", "running")
    finally:
        os.killpg(console.process.pid, signal.SIGKILL)
        console.process.wait()
    console = serve(data, port)
    web = console.client()
    try:
        assert web.get(f"/api/runs/{again}").json()["status"] == "failed"
        changes = web.get("/api/programmes/minle/changes").json()
        assert [(c["kind"], c["id"]) for c in changes] == [("leave", "V00001"),
                                                           ("leave", "V00002")]
        roster = web.get("/api/programmes/minle/roster?date=2026-04-06").json()
        assert len(roster["volunteers"]) == 61
        third = web.post("/api/programmes/minle/replans",
                           json={"from": "2026-04-06"}).json()["id"]
        for _ in range(600):
            status = web.get(f"/api/runs/{third}").json()["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.1)
        assert status == "done"
        out = data / "runs" / third / "out"
        assignments = (out / "assignments.csv").read_text(encoding="utf-8")
        assert "V00001" not in assignments and "V00002" not in assignments
        actions = [e["action"] for e in
                   web.get("/api/programmes/minle/audit").json()]
        assert actions.count("replan") == 2 and actions.count("change") == 2
    finally:
        os.killpg(console.process.pid, signal.SIGKILL)
        console.process.wait()
    assert main(["audit", "verify", str(data)]) == 0
    assert json.loads((data / "runs" / again / "status.json").read_text())["status"] == \
        "failed"
