"""The run queue: a console that stops lets the run in progress finish and starts no other;
the runs still queued are marked failed at once, as a restart would mark them."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from matching.console.runs import STOPPED_BEFORE_FINISH, Job, RunQueue
from matching.console.store import Store

FAKE = Path(__file__).resolve().parents[1] / "helpers" / "fake_matching.py"


def status(store: Store, run_id: str) -> dict:
    return json.loads((store.run_dir(run_id) / "status.json").read_text(encoding="utf-8"))


def test_stopping_finishes_the_run_in_progress_and_fails_the_queued_ones(tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    monkeypatch.setenv("FAKE_MATCHING_GATE", str(gate))
    monkeypatch.setenv("FAKE_MATCHING_LOG", str(tmp_path / "log"))
    store = Store(tmp_path / "data")
    queue = RunQueue(store, (sys.executable, str(FAKE)))
    ids = [store.new_run()[0] for _ in range(3)]
    for run_id in ids:
        queue.submit(Job(run_id, "minle", (("run", "scenario.toml", "--out", "out"),)))
    deadline = time.monotonic() + 30
    while status(store, ids[0])["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    stopping = threading.Thread(target=queue.stop)
    stopping.start()
    time.sleep(0.2)  # stop() waits for the run in progress: release it
    gate.touch()
    stopping.join(timeout=30)
    assert not stopping.is_alive()
    # the first run finished; the two behind it never started (1 + 2 = the 3 submitted)
    assert status(store, ids[0])["status"] == "done"
    assert [(status(store, i)["status"], status(store, i)["error"]) for i in ids[1:]] == \
        [("failed", STOPPED_BEFORE_FINISH)] * 2
    assert not (store.run_dir(ids[1]) / "out").exists()
