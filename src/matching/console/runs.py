"""Runs in the background: each programme's runs queue one behind the other, and each runs
the command line in its own process, so a crash in a run never takes the console, the
inputs or an earlier plan with it (the command writes its outputs whole or not at all).
A run's progress comes from its commands' progress events (``--progress json``): a stage
code and the share done, never a sentence searched for words.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from matching.console.store import Store, read_json, write_json

#: The file-mode mask of a run's process: its files are its owner's only.
PRIVATE_UMASK = 0o077

#: The last lines of a failed command's error output kept in its status.
ERROR_LINES = 12

#: A run's error when the console stopped before it finished (or started).
STOPPED_BEFORE_FINISH = "the console stopped before this run finished"

#: Share of a run's progress when its commands are done and the hand-outs are being made.
FINISH_PROGRESS = 0.98

def progress_event(line: str) -> dict | None:
    """The progress event a command's line of standard error holds, if it is one."""
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and event.get("event") == "progress" else None


@dataclass(frozen=True)
class Job:
    """One run to do: its id and the commands (argument lists after ``matching``)."""

    run_id: str
    programme: str
    commands: tuple[tuple[str, ...], ...]
    #: The share of the run each command takes (the first, a planning run, takes most).
    shares: tuple[float, ...] = ()


class RunQueue:
    """Runs commands in the background, one programme's runs one after another.

    Parameters
    ----------
    store
        Where each run's folder and status live.
    command
        The program and its first arguments (default: this Python running ``matching``).
    finish
        Called with a run's id once its commands succeed, before it is marked done (the
        console makes the hand-out workbook there).
    """

    def __init__(self, store: Store, command: tuple[str, ...] | None = None,
                 finish: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.command = command or (sys.executable, "-m", "matching.cli")
        self.finish = finish
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._fail_unfinished()

    def _fail_unfinished(self) -> None:
        """Runs left queued or running by a console that stopped are marked failed."""
        for status in self.store.runs():
            if status["status"] in ("queued", "running"):
                self._update(status["id"], status="failed", error=STOPPED_BEFORE_FINISH)

    def submit(self, job: Job) -> None:
        """Queue ``job`` behind any other run of its programme."""
        self._update(job.run_id, status="queued", progress=0.0, stage="",
                     queued_at=_now(), programme=job.programme, id=job.run_id)
        with self._lock:
            if job.programme not in self._queues:
                self._queues[job.programme] = queue.Queue()
                thread = threading.Thread(target=self._work, args=(job.programme,),
                                          name=f"runs-{job.programme}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._queues[job.programme].put(job)

    def stop(self) -> None:
        """Let every worker finish its current run and end. The runs still queued are not
        started: they are marked failed now, as a restart would mark them."""
        dropped: list[Job] = []
        with self._lock:
            for q in self._queues.values():
                while True:
                    try:
                        job = q.get_nowait()
                    except queue.Empty:
                        break
                    if job is not None:
                        dropped.append(job)
                q.put(None)
        for job in dropped:  # (_update takes the lock itself)
            self._update(job.run_id, status="failed", error=STOPPED_BEFORE_FINISH)
        for thread in self._threads:
            thread.join()

    def _work(self, programme: str) -> None:
        jobs = self._queues[programme]
        while (job := jobs.get()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        folder = self.store.run_dir(job.run_id)
        self._update(job.run_id, status="running", started_at=_now())
        started = time.monotonic()
        shares = job.shares or tuple(FINISH_PROGRESS / len(job.commands) for _ in job.commands)
        done = 0.0
        tail: list[str] = []
        for args, share in zip(job.commands, shares, strict=True):
            # umask: whatever the run writes is its owner's only, whatever it writes with
            with subprocess.Popen([*self.command, *args], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  encoding="utf-8", errors="replace",
                                  umask=PRIVATE_UMASK) as process:
                stderr = process.stderr
                assert stderr is not None
                for line in stderr:
                    line = line.rstrip()
                    event = progress_event(line)
                    if event is None:
                        if line:
                            tail = [*tail[-ERROR_LINES + 1:], line]
                        continue
                    fraction = done + share * float(event.get("fraction") or 0.0)
                    self._update(job.run_id, progress=round(fraction, 3),
                                 stage=str(event.get("stage", "")),
                                 stage_params=event.get("params") or {},
                                 elapsed=round(time.monotonic() - started, 1))
                process.wait()
            if process.returncode != 0:
                self._update(job.run_id, status="failed", finished_at=_now(),
                             error="\n".join(tail) or f"exit status {process.returncode}",
                             elapsed=round(time.monotonic() - started, 1))
                return
            done += share
            self._update(job.run_id, progress=round(done, 3))
        if self.finish is not None:
            self._update(job.run_id, progress=FINISH_PROGRESS, stage="handouts",
                         stage_params={})
            try:
                self.finish(job.run_id)
            except Exception as exc:  # a run's outputs are kept; only the extras failed
                self._update(job.run_id, status="failed", finished_at=_now(),
                             error=f"the hand-outs could not be made: {exc}")
                return
        summary = folder / "out" / "summary.json"
        self._update(job.run_id, status="done", progress=1.0, stage="", stage_params={},
                     finished_at=_now(), elapsed=round(time.monotonic() - started, 1),
                     summary=read_json(summary) if summary.is_file() else {})

    def _update(self, run_id: str, **changes: object) -> None:
        path = self.store.run_dir(run_id) / "status.json"
        with self._lock:
            status = read_json(path) if path.is_file() else {}
            status.update(changes)
            write_json(path, status)


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")
