"""What every command shares: its options, how it reports (a summary for people on
standard output, or with ``--json`` one JSON document and nothing else; progress and
messages on standard error), how it stops on Ctrl-C, and how what went wrong becomes a
message and an exit status."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from matching.rules.distance import DistanceRules
from matching.rules.errors import InputError, RuleError
from matching.rules.ids import UnsafePath
from matching.runtime.budget import Budget, Stop, TooShort, too_short
from matching.runtime.extras import MissingExtra
from matching.runtime.progress import Progress, Stages, close_all, json_lines
from matching.world.coords import SYSTEMS

EXIT_OK, EXIT_BROKEN, EXIT_BAD_INPUT = 0, 1, 2

#: The signals that stop a command: Ctrl-C, a termination, and on Windows Ctrl-Break (a
#: console window's close and Task Manager's "End task" cannot be caught there).
STOP_SIGNALS: tuple[signal.Signals, ...] = (
    signal.SIGINT, signal.SIGTERM, *((signal.SIGBREAK,) if hasattr(signal, "SIGBREAK") else ()))

#: Exit status after a second Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: How often the main thread looks up from waiting for a command (to take signals).
SIGNAL_POLL_SECONDS = 0.1

Handler = Callable[[argparse.Namespace], int]


# --- options ------------------------------------------------------------------------------

def date(text: str) -> dt.date:
    """An argument that is a date (``YYYY-MM-DD``)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_inputs(p: argparse.ArgumentParser, *, pairs: bool = True) -> None:
    """``--volunteers``, ``--elders``, ``--relations`` (and ``--pairs``), ``--coords``."""
    p.add_argument("--volunteers", required=True, type=Path,
                   help="volunteers file (CSV in UTF-8/GBK, or .xlsx)")
    p.add_argument("--elders", required=True, type=Path, help="elders file (CSV or .xlsx)")
    p.add_argument("--relations", type=Path,
                   help="optional volunteer_id, elder_id, relation (kin/familiar/refuses)")
    if pairs:
        p.add_argument("--pairs", type=Path,
                       help="optional measured volunteer_id, elder_id, distance_km, "
                            "weekly_minutes that replace the computed figures")
    add_coords(p)
    add_distance(p)


def add_distance(p: argparse.ArgumentParser) -> None:
    """``--streets`` and ``--detour-factor``: how far apart homes are."""
    p.add_argument("--streets", type=Path, metavar="FILE.osm.pbf",
                   help="walk on this OpenStreetMap extract's streets: distances and "
                        "minutes are walked, not the straight line (the graph is cached "
                        "beside it; reading a new extract needs the optional part streets)")
    p.add_argument("--detour-factor", type=float, metavar="X",
                   help="without --streets, estimate a walk as the straight line times X "
                        "(default 1: the straight line)")


def distance_of(args: argparse.Namespace) -> DistanceRules | None:
    """The distance rules the command line sets (``None``: the defaults or the
    scenario's).

    Raises
    ------
    InputError
        For a detour factor under 1, naming ``--detour-factor``.
    """
    factor = getattr(args, "detour_factor", None)
    if factor is None:
        return None
    try:
        return DistanceRules(detour_factor=factor)
    except RuleError as exc:
        raise InputError.one("--detour-factor", "input.bad_rule_option",
                             detail=str(exc)) from None


#: Warnings said one by one on standard error; the rest are counted.
MOST_FAR_SHOWN = 10


def warn(notices: Sequence[Mapping[str, Any]]) -> None:
    """Say on standard error what reading let pass (relations naming people the rosters do
    not have) and who lives far from every street (file, row and distance, as
    :func:`matching.world.model.far_from_streets` finds them; never a home's coordinates)."""
    for notice in notices[:MOST_FAR_SHOWN]:
        say(f"warning: {notice['text']}")
    if len(notices) > MOST_FAR_SHOWN:
        say(f"warning: and {len(notices) - MOST_FAR_SHOWN} more")


def add_coords(p: argparse.ArgumentParser) -> None:
    """``--coords``: the coordinate system of the files' lat/lon."""
    p.add_argument("--coords", choices=SYSTEMS, default=None,
                   help="the coordinate system of the files' lat/lon, converted to WGS-84 on "
                        "reading: wgs84 (GPS; the default), gcj02 (Amap, Tencent), bd09 "
                        "(Baidu)")


def add_outputs(p: argparse.ArgumentParser, *, headers: bool = True) -> None:
    """``--headers``, ``--pseudonymise`` and ``--key``."""
    if headers:
        p.add_argument("--headers", choices=("en", "zh"), default="en",
                       help="language of the output tables' headers: en (the contract's "
                            "names, default) or zh (老人编号, 志愿者编号...); both read back")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace names, phones and addresses in every output with stable "
                        "pseudonyms and round coordinates to about 100 m, for sharing with "
                        "analysts; the key that maps them back is written apart (--key)")
    p.add_argument("--key", type=Path,
                   help="with --pseudonymise: where to write the key file (default: "
                        "OUT.key.csv beside the output folder, never inside it)")


def add_ledger(p: argparse.ArgumentParser) -> None:
    """``--ledger`` and ``--members``: the time bank feeding the next plan."""
    p.add_argument("--ledger", type=Path,
                   help="the time bank's ledger: pairs rated low again and again refuse, "
                        "banked hours raise an elder's priority, and among equally good "
                        "volunteers the one who served fewer hours lately is chosen")
    p.add_argument("--members", type=Path,
                   help="with --ledger: member_id, volunteer_id, elder_id linking elders to "
                        "the volunteers' accounts they banked hours in (else a member_id "
                        "column in both files)")


def add_json(p: argparse.ArgumentParser) -> None:
    """``--json``: the command's summary as one JSON document on standard output."""
    p.add_argument("--json", action="store_true",
                   help="print the summary as one JSON document on standard output, and "
                        "nothing else there (progress and messages stay on standard error)")


def add_report(p: argparse.ArgumentParser) -> None:
    """``--json``, ``--quiet`` and ``--progress``: what the command prints."""
    add_json(p)
    p.add_argument("--quiet", action="store_true", help="print no progress and no summary")
    p.add_argument("--progress", choices=("lines", "json"), default="lines",
                   help="progress on standard error: lines for people (a bar on a "
                        "terminal), or json (one event a line, for programs)")


def add_solver(p: argparse.ArgumentParser, *, limit: bool = True) -> None:
    """``--time-limit``, ``--seed``, ``--workers``, ``--deterministic-time``, ``--cluster``."""
    if limit:
        p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                       help="seconds for the whole command, from its start to its written "
                            "outputs; the best plan found by then is written, marked with its "
                            "status (default 60)")
        p.add_argument("--seed", type=int, default=0,
                       help="random seed of the search (default 0)")
        p.add_argument("--workers", type=int, default=None,
                       help="CP-SAT search workers (default 8: the full portfolio, which "
                            "proves optima fastest even on 2 cores)")
    p.add_argument("--deterministic-time", type=float, metavar="SECONDS",
                   help="instead of the clock, bound the search by CP-SAT's deterministic "
                        "time (and the other stages by their own counts): the same inputs, "
                        "seed and setting give the same outputs on any machine and with any "
                        "--workers; --time-limit is then not applied")
    p.add_argument("--cluster", metavar="local:N|ADDRESS",
                   help="solve the pairing's independent parts on Dask: local:N starts N "
                        "worker processes for this command, ADDRESS (tcp://host:8786) uses "
                        "a running scheduler; the outputs are the same as without it")


# --- reporting -------------------------------------------------------------------------------

def progress_of(args: argparse.Namespace, budget: Budget) -> tuple[Progress, Stages | None]:
    """Where a command's progress goes: nowhere (``--quiet``), JSON lines, or the lines and
    bar of :class:`~matching.runtime.progress.Stages`."""
    if args.quiet:
        return Progress(), None
    if args.progress == "json":
        return Progress(json_lines()), None
    stages = Stages(False, budget.limit, budget.started)
    return Progress(stages), stages


def finish(args: argparse.Namespace, stages: Stages | None, summary: Mapping[str, object],
           text: str) -> int:
    """End a command: take the bar away, then print ``summary`` as JSON (``--json``) or
    ``text`` for people on standard output."""
    if stages is not None:
        stages.close()
    emit(args, summary, text)
    return EXIT_OK


def emit(args: argparse.Namespace, summary: Mapping[str, object], text: str) -> None:
    """Print a command's outcome on standard output: ``summary`` as one JSON document with
    ``--json``, else ``text`` for people (nothing with ``--quiet``)."""
    if getattr(args, "json", False):
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    elif not getattr(args, "quiet", False):
        print(text)


def _refused(args: argparse.Namespace, code: str, message: str,
             problems: list[dict[str, object]] | None = None) -> None:
    """Say why a command stopped, on standard error; with ``--json`` also as the one JSON
    document on standard output, so that a program reading it learns why."""
    say(message)
    if getattr(args, "json", False):
        body: dict[str, object] = {"error": code, "message": message}
        if problems is not None:
            body["problems"] = problems
        print(json.dumps(body, indent=2, ensure_ascii=False, default=str))


def say(message: str) -> None:
    """A message for the person running the command, on standard error."""
    print(f"matching: {message}", file=sys.stderr)


def frame_json(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A table as JSON records: numbers as numbers, blanks as null, dates as ISO text, and a
    reason's figures (``reason_params``, JSON text in a file) as an object."""
    records = json.loads(frame.to_json(orient="records", force_ascii=False,
                                       date_format="iso"))
    for record in records:
        if isinstance(record.get("reason_params"), str):
            record["reason_params"] = json.loads(record["reason_params"] or "{}")
    return records


def wide_tables() -> pd.option_context:
    """Print whole tables, however wide."""
    return pd.option_context("display.width", 250, "display.max_colwidth", 200,
                             "display.max_columns", 50)


# --- running ---------------------------------------------------------------------------------

def run(handler: Handler, args: argparse.Namespace, searches: bool) -> int:
    """Run a command and turn what went wrong into a message and an exit status."""
    args.stop = Stop()
    restore: list[Callable[[], object]] = []
    try:
        return _stoppable(handler, args, searches, restore)
    except TooShort as exc:
        budget = args.budget
        _refused(args, "time_limit_too_short",
                 f"bad input\n{too_short(budget.limit, budget.elapsed(), exc)}")
        return EXIT_BAD_INPUT
    except InputError as exc:
        _refused(args, "bad_input", f"bad input\n{exc}",
                 [issue.as_json() for issue in exc.problems])
        return EXIT_BAD_INPUT
    except MissingExtra as exc:  # an optional part a step of the command needs
        _refused(args, "missing_extra", str(exc))
        return EXIT_BAD_INPUT
    except UnsafePath as exc:  # a name from the data that slipped past the id rule
        _refused(args, "unsafe_path", f"bad input, nothing was written\n{exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _refused(args, "interrupted", "interrupted; the outputs are as they were before")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): nothing to say
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # matching.outputs.write.OutputError: a full disk, no permission
        _refused(args, "cannot_write", str(exc.strerror or exc))
        return EXIT_BROKEN
    except MemoryError:
        _refused(args, "out_of_memory",
                 "out of memory; nothing was written. A world this large needs more memory, "
                 "or can be split (by county or town) and planned part by part")
        return EXIT_BROKEN
    finally:
        close_all()
        while restore:
            restore.pop()()


def _unwind(signum: int, frame: object) -> None:
    """SIGTERM unwinds a command with no search like Ctrl-C, so that half-built outputs are
    cleaned away and the previous ones stay as they were."""
    raise KeyboardInterrupt


def _stoppable(handler: Handler, args: argparse.Namespace, searches: bool,
               restore: list[Callable[[], object]]) -> int:
    """Run the command, stopping it well on Ctrl-C or SIGTERM.

    The first signal asks the command's searches to stop (``args.stop``): the command goes
    on to write the best plan it has, marked ``interrupted``. A second one ends the process
    at once; outputs are written whole or not at all, so the previous ones stay. Signals
    reach Python only in the main thread, between its own steps, never while a solver runs
    there: so the command runs in a thread of its own while the main thread takes the
    signals. (A command with no search, or one called outside the main thread, runs there
    as it is.)
    """
    if threading.current_thread() is not threading.main_thread():
        return int(handler(args))
    if not searches:  # no search to stop (report, ledger...): a signal unwinds it
        previous = {sig: signal.signal(sig, handler_of)
                    for sig, handler_of in (*((sig, _unwind) for sig in STOP_SIGNALS[1:]),
                                            (signal.SIGINT, signal.default_int_handler))}
        try:
            return int(handler(args))
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["code"] = int(handler(args))
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    signals = {"count": 0}

    def on_signal(signum: int, frame: object) -> None:
        signals["count"] += 1
        if signals["count"] == 1:
            print("matching: stopping the search; writing the best plan so far (press "
                  "Ctrl-C again to quit at once)", file=sys.stderr, flush=True)
            args.stop.request()
            return
        print("matching: stopped; the outputs are as they were before", file=sys.stderr,
              flush=True)
        os._exit(EXIT_INTERRUPTED)  # at once: the half-built outputs are swept next time

    # ours until the command has said all it has to say (a signal then must not unwind it)
    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    restore.append(lambda: [signal.signal(sig, h) for sig, h in previous.items()])
    worker = threading.Thread(target=work, name="matching-command", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(SIGNAL_POLL_SECONDS)
    if "error" in outcome:
        raise outcome["error"]
    return int(outcome["code"])
