"""The ``matching`` command line: one console script with subcommands.

Each group of commands lives in a module of its own (:mod:`~matching.cli.plan`,
:mod:`~matching.cli.analysis`, :mod:`~matching.cli.ledger`, :mod:`~matching.cli.world`,
:mod:`~matching.cli.console`), which defines ``configure(command, parser)`` and
``run(command, args)``. Only the module of the command given is imported, so that the
command line starts (and answers ``--help`` and Ctrl-C) before pandas and OR-Tools load.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from matching import __version__
from matching.runtime.clock import process_started
from matching.runtime.extras import MissingExtra, extra_of, require


@dataclass(frozen=True)
class Command:
    """A subcommand: the module that holds it, a line of help, a description, whether it
    searches (a search stops well on Ctrl-C: the best plan so far is written), and the
    extra it needs beyond the plain install."""

    module: str
    help: str
    description: str
    searches: bool = False
    #: The optional part of the package it needs (:data:`matching.runtime.extras.EXTRAS`).
    extra: str | None = None


COMMANDS: dict[str, Command] = {
    "pair": Command("plan", "pair volunteers with elders (kin, nearby, familiar)",
                    "Find the pairing with the largest total priority of elders covered, "
                    "then the least total of distance_km - 3*kin - 1*familiar, and prove it "
                    "optimal.", searches=True),
    "schedule": Command("plan", "plan the six ones over a horizon of weeks",
                        "Plan daily calls, weekly visits (rotating with a backup), monthly "
                        "services, quarterly group and festival activities and birthday "
                        "greetings for every paired elder.", searches=True),
    "replan": Command("plan", "re-plan in one batch when volunteers leave",
                      "Remove the leaving volunteers, keep every other pair, and re-pair the "
                      "elders who lost their volunteer (and new or unpaired elders), "
                      "preferring volunteers who know them.", searches=True),
    "run": Command("plan", "run a scenario file",
                   "Run what a scenario file names (pairing, schedule, re-plan, what-if "
                   "edits) into a self-contained folder.", searches=True),
    "sweep": Command("whatif", "coverage as a growing share of volunteers leaves",
                     "Pair a scenario's world again at each share of its paired volunteers "
                     "leaving (nested: whoever leaves at a share also leaves at every larger "
                     "one), and write coverage by tier and community, distances and loads "
                     "per share, and with --recruit the fewest new volunteers who would "
                     "serve everyone, and where.", searches=True, extra="figures"),
    "project": Command("whatif", "the next years: the roster aged and paired each year",
                       "Age a scenario's roster one year at a time (elders pass 80 and 90 and "
                       "enter the tiers; volunteers past the age limit stop serving and, "
                       "from the elder age, become elders) and pair each year: coverage by "
                       "year and community, and the first year each community runs short.",
                       searches=True, extra="figures"),
    "workbook": Command("analysis", "write a run's hand-out workbook (.xlsx)",
                        "Write the hand-out workbook of a run folder, as the console hands it "
                        "out: the pairs, the schedule, a sheet per week of who visits whom, "
                        "what is unmet and who is unpaired, with names, addresses and phones; "
                        "sheet names and headers in Chinese by default."),
    "export": Command("analysis", "export a run for GIS (GeoJSON)",
                      "Write a run's volunteers and elders as points and its pairs as lines "
                      "in one GeoJSON file (WGS-84, longitude first, whatever --coords the "
                      "inputs had), with names unless --pseudonymise."),
    "compare": Command("analysis", "compare plan folders side by side",
                       "Print the figures a planner weighs for several output folders side "
                       "by side."),
    "report": Command("report", "write DIR/report.html: coverage, figures, gaps",
                      "Write one self-contained page (figures embedded, no network needed) "
                      "about a plan folder: summary, coverage, figures, fairness, the six "
                      "ones, what went unmet and why, and the stability audit. Prints on A4.",
                      extra="figures"),
    "explain": Command("analysis", "why this volunteer, and who came next",
                       "Explain a plan around one elder (their volunteer and the next-best "
                       "ones, each with why not) or one volunteer (their elders and the "
                       "nearest others, each with why not), in the objective's terms: "
                       "distance, kin, familiar."),
    "suggest": Command("analysis", "rank volunteers for a new elder, without re-solving",
                       "Rank the volunteers a new elder (not in the plan) could have, best "
                       "first: those who can take them without moving anyone, then by the "
                       "objective."),
    "audit": Command("analysis", "pairs who would both rather be together (audit verify: "
                                 "the audit log)",
                     "The stability audit: every elder and volunteer not paired who would "
                     "both be better off together, by the objective's terms, with what "
                     "pairing them would do to the others."),
    "check": Command("analysis", "check a plan against the contract (or a scenario's rules)",
                     "Independent checker: reads the inputs and a plan folder, and reports "
                     "every broken rule. A folder made by 'matching run' is enough on its "
                     "own: its inputs/, scenario.toml (the rules) and run.json (the "
                     "horizon) are used unless given here."),
    "generate": Command("world", "generate a realistic world (seeded)",
                        "Write volunteers.csv, elders.csv and relations.csv for a generated "
                        "world."),
    "doctor": Command("world", "check input files without planning: every problem and "
                               "warning at once",
                      "Check input files without planning. Lists every problem (file, row, "
                      "column, value, what was expected) and every warning (an elder no "
                      "volunteer can reach, one person under two ids, coordinates far from "
                      "the rest, a relation that cannot matter). Exit 0 when there is no "
                      "problem, 2 when there is."),
    "ledger": Command("ledger", "the time bank: record what was done, balances, statements",
                      "The time bank's double-entry ledger (an SQLite file): record a marked "
                      "rota, read balances and statements, redeem, transfer, donate, expire, "
                      "export."),
    "serve": Command("console", "the web console for the community office",
                     "Start the web console: upload rosters, plan, see the map, hand out "
                     "rotas (Chinese by default). On 127.0.0.1 it serves the one person at "
                     "this computer; on any other address it needs an account (`matching "
                     "account add`) and the names people reach it by (--allowed-host).",
                     extra="console"),
    "audit-verify": Command("records", "check the audit log's chain and every ledger",
                            "Check a console data folder: the audit log's hash chain from its "
                            "first entry, and each programme's time-bank ledger (its seals, "
                            "every row sealed, every transaction balanced). Prints the head "
                            "hash to copy into a monthly report. Exit 0 when whole, 1 naming "
                            "the first bad entry."),
    "backup": Command("records", "a consistent copy of a console's data folder",
                      "Copy a console's data folder into one file while the console runs "
                      "(SQLite's online backup for the databases)."),
    "restore": Command("records", "put a backup back as a data folder",
                       "Put a backup made by matching backup back as a new data folder."),
    "account": Command("console", "console accounts (needed to serve beyond this computer)",
                       "Console accounts: add one, or set its password; grant or take away a "
                       "role in a programme; list them.", extra="console"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: the commands and their one-line help (their own options are
    read by :func:`main` from the command's module)."""
    parser = argparse.ArgumentParser(
        prog="matching",
        description="Plan volunteer-elder pairings and schedules for community mutual-aid "
                    "programmes. `matching COMMAND --help` tells a command's options.")
    parser.add_argument("--version", action="version", version=f"matching {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        if name == "audit-verify":  # spelt "audit verify"
            continue
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def command_parser(name: str) -> tuple[argparse.ArgumentParser, ModuleType]:
    """The parser of one command, and its module (imported now).

    Raises
    ------
    MissingExtra
        If the command needs an optional part of the package that is not installed.
    """
    command = COMMANDS[name]
    if command.extra:
        require(command.extra, f"matching {name}")
    try:
        module = importlib.import_module(f"matching.cli.{command.module}")
    except ModuleNotFoundError as exc:
        extra = extra_of(exc.name)
        if extra is None:
            raise
        raise MissingExtra(extra, f"matching {name}") from None
    parser = argparse.ArgumentParser(prog=f"matching {name}", description=command.description)
    module.configure(name, parser)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Run as the program (``argv`` from the process), a command's ``--time-limit`` counts from
    the process's start, imports included: that is when the user's wait began. Called with
    ``argv`` by other Python code (a test, a notebook), it counts from the call.
    """
    as_program = argv is None
    started = process_started() if as_program else time.perf_counter()
    if as_program and threading.current_thread() is threading.main_thread():
        # until the command's own handlers are set, Ctrl-C ends the process quietly: its
        # modules are still loading and nothing is written yet
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv)  # --help, --version, or a usage error (exit 2)
        return 2
    if argv[:2] == ["audit", "verify"]:  # the stability audit takes a folder, never "verify"
        argv = ["audit-verify", *argv[2:]]
    name = argv[0]
    try:
        parser, module = command_parser(name)
    except MissingExtra as exc:
        print(f"matching: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv[1:])
    args.command, args.started = name, started
    common = importlib.import_module("matching.cli.common")
    return common.run(lambda a: module.run(name, a),
                      args, COMMANDS[name].searches)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
