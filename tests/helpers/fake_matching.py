"""A stand-in for ``matching`` in the console's tests: reports progress as the real command
does (``--progress json``: one event a line on standard error), then waits until the file
named by ``FAKE_MATCHING_GATE`` exists (so a test can look at a run that is still going),
and writes a tiny output folder. With ``FAKE_MATCHING_FAIL``
set it fails instead, as a crashed run would."""

import json
import os
import sys
import time
from pathlib import Path

GATE_WAIT_SECONDS = 60

if __name__ == "__main__":
    args = sys.argv[1:]
    for event in ({"stage": "pairing", "message": "pairing", "fraction": 0.0, "params": {}},
                  {"stage": "window", "message": "window 3 of 5: 2026-04-27 to 2026-05-24",
                   "fraction": 0.5, "params": {"window": 3, "windows": 5}}):
        print(json.dumps({"event": "progress", **event}), file=sys.stderr, flush=True)
    gate = Path(os.environ["FAKE_MATCHING_GATE"])
    end = time.monotonic() + GATE_WAIT_SECONDS
    while not gate.exists() and time.monotonic() < end:
        time.sleep(0.02)
    if os.environ.get("FAKE_MATCHING_FAIL"):
        print("Traceback: the solver fell over", file=sys.stderr)
        sys.exit(1)
    if args[0] == "run":
        out = Path(args[args.index("--out") + 1])
        out.mkdir()
        (out / "summary.json").write_text(json.dumps({"pairing": {"status": "optimal"}}))
        (out / "assignments.csv").write_text("volunteer_id,elder_id\n")
        with open(os.environ["FAKE_MATCHING_LOG"], "a") as log:
            log.write(f"{time.monotonic()} {Path.cwd().name}\n")
