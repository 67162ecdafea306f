"""The ``matching`` command line: one console script with subcommands."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matching import __version__
from matching.rules.errors import InputError
from matching.rules.ids import UnsafePath
from matching.runtime.budget import (
    Budget,
    TooShort,
    clear_stop,
    request_stop,
    stop_requested,
    too_short,
)
from matching.runtime.progress import Stages, close_all
from matching.world.coords import SYSTEMS

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK, EXIT_BROKEN, EXIT_BAD_INPUT = 0, 1, 2


def _add_inputs(p: argparse.ArgumentParser, *, pairs: bool = True) -> None:
    p.add_argument("--volunteers", required=True, type=Path,
                   help="volunteers file (CSV in UTF-8/GBK, or .xlsx)")
    p.add_argument("--elders", required=True, type=Path, help="elders file (CSV or .xlsx)")
    p.add_argument("--relations", type=Path,
                   help="optional volunteer_id, elder_id, relation (kin/familiar/refuses)")
    if pairs:
        p.add_argument("--pairs", type=Path,
                       help="optional measured volunteer_id, elder_id, distance_km, "
                            "weekly_minutes that replace the computed figures")
    _add_coords(p)


def _add_coords(p: argparse.ArgumentParser) -> None:
    p.add_argument("--coords", choices=SYSTEMS, default=None,
                   help="the coordinate system of the files' lat/lon, converted to WGS-84 on "
                        "reading: wgs84 (GPS; the default), gcj02 (Amap, Tencent), bd09 "
                        "(Baidu)")


def _add_outputs(p: argparse.ArgumentParser, *, headers: bool = True) -> None:
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


def _key(args: argparse.Namespace, world: object, out: Path) -> None:
    """Write the pseudonyms' key apart from the outputs, when asked to pseudonymise."""
    if not getattr(args, "pseudonymise", False):
        return
    from matching.outputs.privacy import key_path, write_key

    path = args.key or key_path(out)
    if path.absolute().is_relative_to(out.absolute()):
        raise InputError.one("--key", f"{path} is inside the output folder {out}; keep the "
                                      "key apart from the outputs it unlocks")
    write_key(world, path)  # type: ignore[arg-type]


def _add_ledger(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", type=Path,
                   help="the time bank's ledger: pairs rated low again and again refuse, "
                        "banked hours raise an elder's priority, and among equally good "
                        "volunteers the one who served fewer hours lately is chosen")
    p.add_argument("--members", type=Path,
                   help="with --ledger: member_id, volunteer_id, elder_id linking elders to "
                        "the volunteers' accounts they banked hours in (else a member_id "
                        "column in both files)")


def _add_solver(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                   help="solver budget in seconds; the best plan found by then is written, "
                        "marked with its status (default 60)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")
    p.add_argument("--workers", type=int, default=None,
                   help="CP-SAT search workers (default 8: the full portfolio, which "
                        "proves optima fastest even on 2 cores)")
    _add_cluster(p)
    p.add_argument("--quiet", action="store_true", help="print no progress and no summary")


def _add_deterministic(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deterministic-time", type=float, metavar="SECONDS",
                   help="instead of the clock, bound the search by CP-SAT's deterministic "
                        "time (and the other stages by their own counts): the same inputs, "
                        "seed and setting give the same outputs on any machine and with any "
                        "--workers; --time-limit is then not applied")


def _add_cluster(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", metavar="local:N|ADDRESS",
                   help="solve the pairing's independent parts on Dask: local:N starts N "
                        "worker processes for this command, ADDRESS (tcp://host:8786) uses "
                        "a running scheduler; the outputs are the same as without it")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``matching`` command."""
    parser = argparse.ArgumentParser(
        prog="matching",
        description="Plan volunteer-elder pairings for community mutual-aid programmes.")
    parser.add_argument("--version", action="version", version=f"matching {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pair = sub.add_parser("pair", help="pair volunteers with elders (kin, nearby, familiar)",
                          description="Find the pairing with the largest total priority of "
                                      "elders covered, then the least total of distance_km - "
                                      "3*kin - 1*familiar, and prove it optimal.")
    _add_inputs(pair)
    pair.add_argument("--out", required=True, type=Path,
                      help="folder for assignments.csv, unassigned.csv and summary.json")
    pair.add_argument("--geocode", action="store_true",
                      help="fill missing elder/volunteer coordinates from the address column "
                           "with OpenStreetMap (uses the network; off by default)")
    pair.add_argument("--geocode-cache", type=Path, default=Path(".matching-geocode.json"),
                      help="on-disk cache of geocoded addresses (default .matching-geocode.json)")
    _add_ledger(pair)
    _add_solver(pair)
    _add_deterministic(pair)
    _add_outputs(pair)
    pair.set_defaults(handler=_cmd_pair, searches=True)

    sch = sub.add_parser("schedule", help="plan the six ones over a horizon of weeks",
                         description="Plan daily calls, weekly visits (rotating with a backup),"
                                     " monthly services, quarterly group and festival "
                                     "activities and birthday greetings for every paired elder.")
    _add_inputs(sch)
    sch.add_argument("--assignments", required=True, type=Path,
                     help="assignments.csv from matching pair (elder_id, volunteer_id)")
    sch.add_argument("--start", required=True, type=_date, help="first day, YYYY-MM-DD")
    sch.add_argument("--weeks", required=True, type=int, help="length of the horizon in weeks")
    sch.add_argument("--out", required=True, type=Path,
                     help="folder for schedule.csv, unmet.csv, credits.csv, rota.html, ical/")
    sch.add_argument("--lang", choices=("zh", "en"), default="zh",
                     help="language of the rota and calendars (default zh)")
    sch.add_argument("--from", dest="from_date", type=_date,
                     help="re-schedule from this date: with --previous, every activity before "
                          "it is kept exactly as published")
    sch.add_argument("--leaving", type=Path,
                     help="CSV with a volunteer_id column: volunteers who have left get no new "
                          "activities (their published past is kept)")
    sch.add_argument("--previous", type=Path,
                     help="the earlier schedule.csv to keep before --from (and whose visit "
                          "days and times unchanged pairs keep)")
    _add_ledger(sch)
    _add_solver(sch)
    _add_deterministic(sch)
    _add_outputs(sch)
    sch.set_defaults(handler=_cmd_schedule, searches=True)

    rep = sub.add_parser("replan", help="re-plan in one batch when volunteers leave",
                         description="Remove the leaving volunteers, keep every other pair, and "
                                     "re-pair the elders who lost their volunteer (and new or "
                                     "unpaired elders), preferring volunteers who know them.")
    _add_inputs(rep)
    rep.add_argument("--previous", required=True, type=Path,
                     help="the earlier assignments.csv")
    rep.add_argument("--leaving", required=True, type=Path,
                     help="CSV with a volunteer_id column: the volunteers who leave")
    rep.add_argument("--history", type=Path,
                     help="an earlier schedule.csv: whoever visited an elder counts as familiar")
    rep.add_argument("--out", required=True, type=Path,
                     help="folder for assignments.csv, unassigned.csv, changes.csv")
    _add_ledger(rep)
    _add_solver(rep)
    _add_deterministic(rep)
    _add_outputs(rep)
    rep.set_defaults(handler=_cmd_replan, searches=True)

    run = sub.add_parser("run", help="run a scenario file",
                         description="Run what a scenario file names (pairing, schedule, "
                                     "re-plan, what-if edits) into a self-contained folder.")
    run.add_argument("scenario", type=Path, help="a scenario .toml file")
    run.add_argument("--out", type=Path,
                     help="output folder (default out/<scenario file name>)")
    _add_ledger(run)
    run.add_argument("--quiet", action="store_true", help="print no progress and no summary")
    run.add_argument("--deterministic-time", type=float, metavar="SECONDS",
                     help="bound the searches by counted work, not the clock (wins over the "
                          "scenario's [solver] deterministic_time)")
    _add_outputs(run)
    _add_cluster(run)
    _add_coords(run)
    run.set_defaults(handler=_cmd_run, searches=True)

    cmp = sub.add_parser("compare", help="compare plan folders side by side",
                         description="Print the figures a planner weighs for several output "
                                     "folders side by side.")
    cmp.add_argument("folders", nargs="+", type=Path, help="output folders of matching run")
    cmp.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    cmp.set_defaults(handler=_cmd_compare)

    gen = sub.add_parser("generate", help="generate a realistic world (seeded)",
                         description="Write volunteers.csv, elders.csv and relations.csv for a "
                                     "generated world modelled on the county town of Jishan.")
    gen.add_argument("--preset", choices=("minle", "county", "city", "yuncheng", "province"),
                     default="minle",
                     help="size and geography: minle (63 x 155, one community), county "
                          "(1,776 x 661), city (20,000 x 8,000), yuncheng (50,000 x 20,000 "
                          "in 13 towns), province (500,000 x 200,000 in 117 county towns)")
    gen.add_argument("--volunteers", type=int, help="number of volunteers (overrides preset)")
    gen.add_argument("--elders", type=int, help="number of elders (overrides preset)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--out", required=True, type=Path, help="folder to write the CSV files to")
    gen.set_defaults(handler=_cmd_generate)

    rep = sub.add_parser("report", help="write DIR/report.html: coverage, figures, gaps",
                         description="Write one self-contained page (figures embedded, no "
                                     "network needed) about a plan folder: summary, coverage, "
                                     "figures, fairness, the six ones, what went unmet and "
                                     "why, and the stability audit. Prints on A4.")
    rep.add_argument("folder", type=Path, help="an output folder of pair, schedule, replan "
                                               "or run")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh",
                     help="language of the page (default zh)")
    rep.add_argument("--ledger", type=Path,
                     help="the time bank's ledger: add what was recorded as missed, by elder "
                          "and by volunteer")
    _add_outputs(rep, headers=False)
    rep.set_defaults(handler=_cmd_report)

    exp = sub.add_parser("explain", help="why this volunteer, and who came next",
                         description="Explain a plan around one elder (their volunteer and the "
                                     "next-best ones, each with why not) or one volunteer (their "
                                     "elders and the nearest others, each with why not), in the "
                                     "objective's terms: distance, kin, familiar.")
    exp.add_argument("folder", type=Path, help="an output folder")
    who = exp.add_mutually_exclusive_group(required=True)
    who.add_argument("--elder", help="an elder's id")
    who.add_argument("--volunteer", help="a volunteer's id")
    exp.add_argument("--top", type=int, default=5,
                     help="how many alternatives to show (default 5)")
    exp.set_defaults(handler=_cmd_explain)

    sug = sub.add_parser("suggest", help="rank volunteers for a new elder, without re-solving",
                         description="Rank the volunteers a new elder (not in the plan) could "
                                     "have, best first: those who can take them without moving "
                                     "anyone, then by the objective.")
    sug.add_argument("folder", type=Path, help="an output folder")
    new = sug.add_mutually_exclusive_group(required=True)
    new.add_argument("--elder-row", metavar='"elder_id=N1; lat=35.60; lon=110.97; age=86"',
                     help="the new elder's cells as KEY=VALUE, separated by ';'")
    new.add_argument("--elder-file", type=Path,
                     help="a CSV (or .xlsx) with the elders.csv header and one row")
    sug.add_argument("--top", type=int, default=5, help="how many volunteers (default 5)")
    _add_coords(sug)
    sug.set_defaults(handler=_cmd_suggest)

    aud = sub.add_parser("audit", help="pairs who would both rather be together",
                         description="The stability audit: every elder and volunteer not "
                                     "paired who would both be better off together, by the "
                                     "objective's terms, with what pairing them would do to "
                                     "the others.")
    aud.add_argument("folder", type=Path, help="an output folder")
    aud.add_argument("--csv", type=Path, help="also write the pairs to this CSV file")
    aud.set_defaults(handler=_cmd_audit)

    srv = sub.add_parser("serve", help="the web console for the community office",
                         description="Start the web console: upload rosters, plan, see the map, "
                                     "hand out rotas (Chinese by default). On 127.0.0.1 it "
                                     "serves the one person at this computer; on any other "
                                     "address it needs an account (`matching account add`).")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on "
                                                         "(default 127.0.0.1: this computer)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--data", type=Path, default=Path("console-data"),
                     help="folder for programmes, runs and accounts (default ./console-data)")
    srv.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                     help="on a network address: a name people type to reach the console "
                          "(192.168.1.20, or planning.example.org); may be repeated. "
                          "Requests naming any other host get 400")
    srv.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                     help="a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are "
                          "believed (default 127.0.0.1); may be repeated")
    srv.add_argument("--secure-cookies", action="store_true",
                     help="mark cookies Secure even when the proxy does not say the request "
                          "came over HTTPS")
    srv.add_argument("--idle-minutes", type=float, default=30.0,
                     help="a login unused for this long ends (default 30)")
    srv.add_argument("--tiles", help="map tile URL template, e.g. "
                                     "https://tile.openstreetmap.org/{z}/{x}/{y}.png "
                                     "(default: no tiles, people on a blank map)")
    srv.add_argument("--programme", nargs=2, metavar=("NAME", "FOLDER"),
                     help="first load FOLDER's volunteers, elders and relations files as "
                          "programme NAME (if it has no inputs yet)")
    srv.set_defaults(handler=_cmd_serve)

    acc = sub.add_parser("account", help="console accounts (needed to serve beyond this "
                                         "computer)")
    acc_cmds = acc.add_subparsers(dest="account_command", required=True)
    add = acc_cmds.add_parser("add", help="add an account, or set its password",
                              description="Add a console account (or set its password). The "
                                          "password is asked for twice, or read from standard "
                                          "input with --password-stdin; only its Argon2 hash "
                                          "is kept.")
    add.add_argument("name", help="account name: letters, digits, '.', '-', '_'")
    add.add_argument("--data", type=Path, default=Path("console-data"),
                     help="the console's data folder (default ./console-data)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(handler=_cmd_account_add)

    _add_ledger_commands(sub)

    doc = sub.add_parser("doctor", help="check input files without planning: every problem "
                                        "and warning at once",
                         description="Check input files without planning. Lists every problem "
                                     "(file, row, column, value, what was expected) and every "
                                     "warning (an elder no volunteer can reach, one person "
                                     "under two ids, coordinates far from the rest, a relation "
                                     "that cannot matter). Exit 0 when there is no problem, "
                                     "2 when there is.")
    doc.add_argument("files", nargs="+", type=Path, metavar="FILE",
                     help="volunteers, elders and optionally relations and pairs files")
    _add_coords(doc)
    doc.add_argument("--area", metavar="LAT,LON,KM",
                     help="the county as a centre and radius: points outside are flagged "
                          "(default: points with nobody else within 20 km)")
    doc.set_defaults(handler=_cmd_doctor)

    check = sub.add_parser("check", help="check a plan against the contract (or a scenario's "
                                         "rules)",
                           description="Independent checker: reads the inputs and a plan "
                                       "folder, and reports every broken rule. A folder made "
                                       "by 'matching run' is enough on its own: its inputs/, "
                                       "scenario.toml (the rules) and run.json (the horizon) "
                                       "are used unless given here.")
    check.add_argument("--volunteers", type=Path,
                       help="volunteers file (default: the plan folder's inputs/)")
    check.add_argument("--elders", type=Path,
                       help="elders file (default: the plan folder's inputs/)")
    check.add_argument("--relations", type=Path,
                       help="relations file (default: the plan folder's inputs/, if there)")
    check.add_argument("--pairs", type=Path,
                       help="measured pairs file (default: the plan folder's inputs/, if there)")
    _add_coords(check)
    check.add_argument("--plan", required=True, type=Path, help="the plan's output folder")
    check.add_argument("--scenario", type=Path,
                       help="check under this resolved scenario's [rules] and [schedule] "
                            "(default: the plan folder's scenario.toml, if there)")
    check.add_argument("--rule", action="append", default=[], metavar="KEY=VALUE",
                       help="a rule under which the plan was made, named as in a scenario "
                            "(max_km=3, service_minutes=45...); may be repeated; wins over "
                            "--scenario")
    check.add_argument("--start", type=_date,
                       help="with --weeks: also check the folder's schedule.csv")
    check.add_argument("--weeks", type=int, help="length of the schedule's horizon")
    check.add_argument("--previous", type=Path,
                       help="with --leaving: check a re-plan against this earlier "
                            "assignments.csv (stability, changes.csv)")
    check.add_argument("--leaving", type=Path, help="the re-plan's leaving volunteers")
    check.add_argument("--history", type=Path, help="the re-plan's --history schedule")
    check.set_defaults(handler=_cmd_check)
    return parser


def _add_ledger_commands(sub: argparse._SubParsersAction) -> None:
    led = sub.add_parser("ledger", help="the time bank: record what was done, balances, "
                                        "statements",
                         description="The time bank's double-entry ledger (an SQLite file): "
                                     "record a marked rota, read balances and statements, "
                                     "redeem, transfer, donate, expire, export.")
    cmds = led.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")

    def command(name: str, text: str, db_beside_plan: bool = False) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=text, description=text)
        if db_beside_plan:
            p.add_argument("--db", type=Path, help="the ledger file (SQLite; default "
                                                   "ledger.sqlite beside the schedule)")
        else:
            p.add_argument("--db", required=True, type=Path, help="the ledger file (SQLite)")
        return p

    init = command("init", "create a ledger with the time bank's rules")
    init.add_argument("--scenario", type=Path, help="take the rules of its [timebank] table")
    init.set_defaults(handler=_cmd_ledger_init)
    rec = command("record", "record a marked rota in one transaction", db_beside_plan=True)
    rec.add_argument("--schedule", required=True, type=Path, help="the schedule.csv it marks")
    rec.add_argument("--done", required=True, type=Path,
                     help="date, activity, volunteer_id, elder_id, status (done, missed, "
                          "replaced), done_by, minutes, rating, comment")
    rec.add_argument("--members", type=Path,
                     help="member_id, volunteer_id, elder_id: elders who are members pay for "
                          "the care they receive from their balance, as far as it goes")
    rec.set_defaults(handler=_cmd_ledger_record)
    bal = command("balance", "each member's earned, spent, transferred, donated hours")
    bal.add_argument("--csv", type=Path, help="also write the balances to this CSV file")
    bal.set_defaults(handler=_cmd_ledger_balance)
    st = command("statement", "a member's printable statement (HTML)")
    st.add_argument("--member", required=True, help="the member's id")
    st.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    st.add_argument("--lang", choices=("zh", "en"), default="zh",
                    help="language (default zh)")
    st.add_argument("--name", default="", help="the member's name, for the heading")
    st.add_argument("--as-of", type=_date,
                    help="the date printed on it (default: the last day in the ledger)")
    st.set_defaults(handler=_cmd_ledger_statement)
    for name, text in (("redeem", "a member spends hours on care they receive"),
                       ("transfer", "a member gives hours to a relative"),
                       ("donate", "a member gives hours to the programme's pool")):
        p = command(name, text)
        p.add_argument("--member", required=True, help="the member whose hours they are")
        if name == "transfer":
            p.add_argument("--to", required=True, help="the relative's member id")
        p.add_argument("--hours", required=True, type=float, help="how many hours")
        p.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
        p.add_argument("--memo", default="", help="what for (the service received, say)")
        p.set_defaults(handler=_cmd_ledger_move, action=name)
    exp = command("expire", "expire credits older than the rules allow")
    exp.add_argument("--as-of", required=True, type=_date, help="YYYY-MM-DD")
    exp.set_defaults(handler=_cmd_ledger_expire)
    out = command("export", "every table as CSV files in a folder, or as one .xlsx workbook")
    out.add_argument("--out", required=True, type=Path, help="a folder, or a file.xlsx")
    out.set_defaults(handler=_cmd_ledger_export)
    sim = cmds.add_parser("simulate", help="a seeded marked rota for a schedule, to try it out",
                          description="Write a DONE.csv for a schedule, as a coordinator "
                                      "might mark it: mostly done, a few missed or replaced, "
                                      "most visits rated.")
    sim.add_argument("--schedule", required=True, type=Path, help="a schedule.csv")
    sim.add_argument("--out", required=True, type=Path, help="the DONE.csv to write")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.set_defaults(handler=_cmd_ledger_simulate)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    if getattr(args, "time_limit", None) is not None:
        args.budget = Budget(args.time_limit, started)
    clear_stop()
    try:
        return _main(args)
    finally:
        while _restore:
            _restore.pop()()


#: What to undo when :func:`main` returns (the signal handlers it set).
_restore: list[Callable[[], object]] = []


def _main(args: argparse.Namespace) -> int:
    """Run the command, and turn what went wrong into a message and an exit status."""
    try:
        return _run_command(args)
    except TooShort as exc:
        print(f"matching: bad input\n{too_short(args.time_limit, args.budget.elapsed(), exc)}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except InputError as exc:
        print(f"matching: bad input\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UnsafePath as exc:  # a name from the data that slipped past the id rule
        print(f"matching: bad input, nothing was written\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("matching: interrupted; the outputs are as they were before", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): nothing to say
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # matching.outputs.write.OutputError: a full disk, no permission
        print(f"matching: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BROKEN
    except MemoryError:
        print("matching: out of memory; nothing was written. A world this large needs more "
              "memory, or can be split (by county or town) and planned part by part",
              file=sys.stderr)
        return EXIT_BROKEN


#: Exit status after a second Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: How often the main thread looks up from waiting for a command (to take signals).
SIGNAL_POLL_SECONDS = 0.1


def _run_command(args: argparse.Namespace) -> int:
    """Run the command; its progress bar, if any, is gone when it ends, however it ends."""
    try:
        return _run_stoppable(args)
    finally:
        close_all()


def _unwind(signum: int, frame: object) -> None:
    """SIGTERM unwinds a command with no search like Ctrl-C, so that half-built outputs are
    cleaned away and the previous ones stay as they were."""
    raise KeyboardInterrupt


def _run_stoppable(args: argparse.Namespace) -> int:
    """Run the command, stopping it well on Ctrl-C or SIGTERM.

    The first signal stops every search (:func:`matching.runtime.budget.request_stop`): the command
    goes on to write the best plan it has, marked ``interrupted``. A second one ends the
    process at once; outputs are written whole or not at all, so the previous ones stay.
    Signals reach Python only in the main thread, between its own steps, never while a
    solver runs there: so the command runs in a thread of its own while the main thread
    takes the signals. (A command with no search, or one called outside the main thread,
    runs there as it is.)
    """
    if threading.current_thread() is not threading.main_thread():
        return int(args.handler(args))
    if not getattr(args, "searches", False):  # no search to stop (report, ledger...)
        previous = signal.signal(signal.SIGTERM, _unwind)
        try:
            return int(args.handler(args))
        finally:
            signal.signal(signal.SIGTERM, previous)
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["code"] = int(args.handler(args))
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    signals = {"count": 0}

    def on_signal(signum: int, frame: object) -> None:
        signals["count"] += 1
        if signals["count"] == 1:
            print("matching: stopping the search; writing the best plan so far (press "
                  "Ctrl-C again to quit at once)", file=sys.stderr, flush=True)
            request_stop()
            return
        print("matching: stopped; the outputs are as they were before", file=sys.stderr,
              flush=True)
        os._exit(EXIT_INTERRUPTED)  # at once: the half-built outputs are swept next time

    # ours until main() has said all it has to say (a signal then must not unwind it)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    _restore.append(lambda: [signal.signal(sig, h) for sig, h in previous.items()])
    worker = threading.Thread(target=work, name="matching-command", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(SIGNAL_POLL_SECONDS)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return int(outcome["code"])  # type: ignore[arg-type]


def _cmd_pair(args: argparse.Namespace) -> int:
    from matching.ledger import even_out
    from matching.outputs.write import input_tables, run_json, write_pairing
    from matching.pairing.problem import build_problem
    from matching.pairing.regions import solve_world
    from matching.pairing.solver import solve
    from matching.runtime.cluster import open_cluster
    from matching.world.read import read_world

    clock = Stages(args.quiet, getattr(args, "time_limit", None))
    args.budget = Budget(args.time_limit, clock.start)  # from here, after the imports
    clock("reading inputs")
    world = read_world(args.volunteers, args.elders, args.relations, args.pairs,
                       geocode_cache=args.geocode_cache if args.geocode else None,
                       coords=args.coords or "wgs84")
    world, feedback = _feedback(world, args)
    clock(f"{len(world.volunteers):,} volunteers, {len(world.elders):,} elders; "
          "finding candidate pairs")
    evening_out = feedback is not None and feedback[1]
    if args.budget.left() <= 0 and not stop_requested() and args.deterministic_time is None:
        raise TooShort("reading the files")
    with open_cluster(args.cluster) as cluster:
        if evening_out:  # evening out the hours re-solves over the whole world's pairs
            problem = build_problem(world)
            if args.budget.left() <= 0 and not stop_requested() and \
                    args.deterministic_time is None:
                raise TooShort("reading the files and finding the candidate pairs")
            clock(f"{problem.num_arcs:,} eligible pairs; solving")
            result = solve(problem, time_limit=args.budget.left(), seed=args.seed,
                           workers=args.workers, progress=clock, cluster=cluster,
                           deterministic_time=args.deterministic_time)
            result = even_out(result, feedback[0].recent_hours)
        else:
            result = solve_world(world, time_limit=args.budget.left(), seed=args.seed,
                                 workers=args.workers, progress=clock, cluster=cluster,
                                 deterministic_time=args.deterministic_time)
    clock("writing outputs")
    _key(args, world, args.out)
    write_pairing(result, args.out, feedback[0].figures() if feedback else None,
                  tables=input_tables(world),
                  texts={"run.json": run_json("pair", seed=args.seed,
                                              time_limit=args.time_limit,
                                              deterministic_time=args.deterministic_time,
                                              status=str(result.status),
                                              pseudonymised=args.pseudonymise)},
                  headers=args.headers, pseudonymise=args.pseudonymise)
    clock.close()  # the bar goes before the summary is printed
    if not args.quiet:
        print(result.summary())
        print(f"  {'command':<18}{time.perf_counter() - clock.start:.2f} s in all; "
              f"wrote {args.out}")
    return EXIT_OK


def _cmd_schedule(args: argparse.Namespace) -> int:
    from matching.outputs.write import input_tables, run_json, write_schedule
    from matching.pairing.replan import read_leaving
    from matching.runtime.cluster import check_spec
    from matching.schedule import schedule_world
    from matching.world.read import read_table, read_world

    if args.cluster is not None:  # the windows depend on each other: solved here, in order
        check_spec(args.cluster)
    clock = Stages(args.quiet, getattr(args, "time_limit", None))
    args.budget = Budget(args.time_limit, clock.start)  # from here, after the imports
    clock("reading inputs")
    world = read_world(args.volunteers, args.elders, args.relations, args.pairs,
                       coords=args.coords or "wgs84")
    world, _ = _feedback(world, args)  # pairs rated low again and again refuse here too
    leaving = read_leaving(args.leaving, set(world.volunteers["volunteer_id"])) \
        if args.leaving is not None else set()
    assignments = read_table(args.assignments)
    previous = read_table(args.previous) if args.previous is not None else None
    clock(f"planning {args.weeks} weeks from {args.start}")
    result = schedule_world(world, assignments, args.start, args.weeks, leaving=leaving,
                            from_date=args.from_date, previous=previous,
                            time_limit=(float("inf") if args.deterministic_time is not None
                                        else args.budget.left()),
                            seed=args.seed, progress=clock,
                            assignments_name=args.assignments.name)
    clock("writing outputs")
    info = run_json("schedule", start=args.start.isoformat(), weeks=args.weeks,
                    **{"from": args.from_date.isoformat() if args.from_date else None},
                    seed=args.seed, time_limit=args.time_limit,
                    deterministic_time=args.deterministic_time, status=result.stats["status"],
                    pseudonymised=args.pseudonymise)
    _key(args, world, args.out)
    write_schedule(result, args.out, args.lang, {"seed": args.seed},
                   tables=input_tables(world, leaving), texts={"run.json": info},
                   headers=args.headers, pseudonymise=args.pseudonymise)
    clock.close()  # the bar goes before the summary is printed
    if not args.quiet:
        print(result.summary())
        print(f"  {'time':<18}{time.perf_counter() - clock.start:.2f} s in all; wrote {args.out}")
    return EXIT_OK


def _cmd_replan(args: argparse.Namespace) -> int:
    import json

    from matching.outputs.write import input_tables, run_json, write_outputs
    from matching.pairing.replan import (
        history_acquaintances,
        read_leaving,
        read_previous,
        replan,
    )
    from matching.runtime.cluster import open_cluster
    from matching.world.read import read_table, read_world

    clock = Stages(args.quiet, getattr(args, "time_limit", None))
    args.budget = Budget(args.time_limit, clock.start)  # from here, after the imports
    clock("reading inputs")
    world = read_world(args.volunteers, args.elders, args.relations, args.pairs,
                       coords=args.coords or "wgs84")
    leaving = read_leaving(args.leaving, set(world.volunteers["volunteer_id"]))
    previous = read_previous(args.previous)
    history = history_acquaintances(args.history) if args.history else None
    world, feedback = _feedback(world, args)
    clock(f"{len(leaving):,} volunteers leave; re-planning")
    with open_cluster(args.cluster) as cluster:
        result = replan(world, previous, leaving, history, time_limit=args.budget.left(),
                        deterministic_time=args.deterministic_time,
                        seed=args.seed, workers=args.workers,
                        reasons=feedback[0].reasons() if feedback else None, cluster=cluster)
    if feedback is not None:
        result.figures.update(feedback[0].figures())
    clock("writing outputs")
    planned_with = result.residual.problem.world.relations if history is not None else None
    _key(args, world, args.out)
    write_outputs(args.out, {"assignments.csv": result.assignments,
                             "unassigned.csv": result.unassigned,
                             "changes.csv": result.changes,
                             "baseline/assignments.csv": read_table(args.previous),
                             **input_tables(world, leaving, planned_with)},
                  {"summary.json": json.dumps(result.figures, indent=2, ensure_ascii=False,
                                              default=str) + "\n",
                   "run.json": run_json("replan", seed=args.seed, time_limit=args.time_limit,
                                        status=result.figures["status"],
                                        pseudonymised=args.pseudonymise)},
                  headers=args.headers, pseudonymise=args.pseudonymise)
    clock.close()  # the bar goes before the summary is printed
    if not args.quiet:
        print(result.summary())
        print(f"  {'time':<22}{time.perf_counter() - clock.start:.2f} s in all; wrote {args.out}")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from matching.workflows.scenario import load_scenario, run_scenario

    clock = Stages(args.quiet, getattr(args, "time_limit", None))
    scenario = load_scenario(args.scenario)
    if args.coords is not None:  # the command line wins over the scenario's [inputs] coords
        scenario = dataclasses.replace(scenario, coords=args.coords)
    if args.cluster is not None:  # and over its [solver] cluster
        scenario = dataclasses.replace(scenario, cluster=args.cluster)
    if args.ledger is not None:  # the command line's ledger wins over the scenario's
        scenario = dataclasses.replace(scenario, ledger=args.ledger,
                                       members=args.members or scenario.members)
    if args.deterministic_time is not None:
        scenario = dataclasses.replace(scenario, deterministic_time=args.deterministic_time)
    out = args.out or Path("out") / args.scenario.stem
    clock(f"scenario {scenario.name!r}")
    figures = run_scenario(scenario, out, progress=clock, headers=args.headers,
                           pseudonymise=args.pseudonymise, key=args.key)
    clock.close()  # the bar goes before the summary is printed
    if not args.quiet:
        import json

        print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
        print(f"wrote {out} in {time.perf_counter() - clock.start:.2f} s")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from matching.analysis.compare import compare, format_table

    table = compare(args.folders)
    print(format_table(table))
    if args.csv:
        from matching.outputs.write import write_file

        write_file(args.csv, table.reset_index(names="figure"))
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    from matching.outputs.write import write_outputs
    from matching.world.generate import PRESETS, generate_world

    preset = PRESETS[args.preset]
    world = generate_world(preset.replace(
        volunteers=args.volunteers if args.volunteers is not None else preset.volunteers,
        elders=args.elders if args.elders is not None else preset.elders), seed=args.seed)
    write_outputs(args.out, {"volunteers.csv": world.volunteers, "elders.csv": world.elders,
                             "relations.csv": world.relations})
    print(f"wrote {len(world.volunteers):,} volunteers, {len(world.elders):,} elders and "
          f"{len(world.relations):,} relations to {args.out}")
    return EXIT_OK


def _feedback(world: object, args: argparse.Namespace) -> tuple[object, object]:
    """The world as the ledger changes it (with ``--ledger``), and ``(feedback, fairness)``."""
    if getattr(args, "ledger", None) is None:
        return world, None
    from matching.ledger import apply_feedback, open_ledger, read_members

    members = read_members(args.members) if args.members else None
    with open_ledger(args.ledger, create=False) as ledger:
        changed, feedback = apply_feedback(world, ledger, members)  # type: ignore[arg-type]
        return changed, (feedback, ledger.rules.fairness)


def _cmd_report(args: argparse.Namespace) -> int:
    from matching.analysis.report import report_html
    from matching.outputs.folder import load_run
    from matching.outputs.write import write_outputs

    started = time.perf_counter()
    run = load_run(args.folder)
    missed = None
    if args.ledger is not None:
        from matching.ledger import open_ledger

        with open_ledger(args.ledger, create=False) as ledger:
            missed = (ledger.missed("elder"), ledger.missed("volunteer"))
    if args.pseudonymise:
        from matching.outputs.privacy import pseudonymise_run

        if not run.info.get("pseudonymised"):  # else its key was written with the plan
            _key(args, run.world, args.folder)
        run = pseudonymise_run(run)
    write_outputs(args.folder, {}, {"report.html": report_html(run, args.lang, missed)})
    print(f"wrote {args.folder / 'report.html'} in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from matching.analysis.why import explain_elder, explain_volunteer
    from matching.outputs.folder import load_run

    run = load_run(args.folder)
    found = explain_elder(run, args.elder, args.top) if args.elder else \
        explain_volunteer(run, args.volunteer, args.top)
    with _wide_tables():
        print(found.text())
    return EXIT_OK


def _cmd_suggest(args: argparse.Namespace) -> int:
    from matching.analysis.why import suggest
    from matching.outputs.folder import load_run
    from matching.world.read import read_table

    run = load_run(args.folder)
    if args.elder_file is not None:
        elder: dict[str, str] | object = _wgs84(read_table(args.elder_file), args.coords)
    else:
        elder = _wgs84(_cells(args.elder_row), args.coords)
    table = suggest(run, elder, args.top)  # type: ignore[arg-type]
    for column in ("kin", "familiar", "fits"):
        table[column] = table[column].map({True: "yes", False: ""})
    with _wide_tables():
        print(table.to_string(index=False) if len(table) else
              "no eligible volunteer for this elder")
    return EXIT_OK


def _wgs84(elder: pd.DataFrame | dict[str, str], system: str | None
           ) -> pd.DataFrame | dict[str, str]:
    """A new elder's coordinates (a row or a table of text cells) as WGS-84."""
    import pandas as pd

    from matching.world.read import table_in_wgs84

    if system in (None, "wgs84"):
        return elder
    if isinstance(elder, dict):
        return table_in_wgs84(pd.DataFrame([elder]), system).iloc[0].to_dict()
    return table_in_wgs84(elder, system)


def _cmd_audit(args: argparse.Namespace) -> int:
    from matching.analysis.why import blocking_pairs
    from matching.outputs.folder import load_run
    from matching.outputs.write import write_file

    table = blocking_pairs(load_run(args.folder))
    with _wide_tables():
        print(f"{len(table)} pairs would both rather be together")
        if len(table):
            print(table.to_string(index=False))
    if args.csv:
        write_file(args.csv, table)
    return EXIT_OK


def _cells(text: str) -> dict[str, str]:
    """``KEY=VALUE; KEY=VALUE`` as a dict of cells."""
    cells = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError.one("--elder-row", f"{item.strip()!r} is not KEY=VALUE")
        cells[key.strip().lower()] = value.strip()
    return cells


def _wide_tables() -> object:
    """Print whole tables, however wide."""
    import pandas as pd

    return pd.option_context("display.width", 250, "display.max_colwidth", 200,
                             "display.max_columns", 50)


def _cmd_ledger_init(args: argparse.Namespace) -> int:
    from matching.ledger import open_ledger
    from matching.workflows.scenario import load_scenario

    rules = load_scenario(args.scenario).timebank_rules if args.scenario else None
    with open_ledger(args.db, rules) as ledger:
        print(f"ledger {args.db}: {ledger.rules}")
    return EXIT_OK


def _cmd_ledger_record(args: argparse.Namespace) -> int:
    from matching.ledger import hours, member_accounts, open_ledger, read_done, read_members

    db = args.db or args.schedule.parent / "ledger.sqlite"
    fresh = not db.exists()
    made = [folder for folder in db.absolute().parents if not folder.exists()]
    accounts = member_accounts(read_members(args.members)) if args.members else None
    try:
        with open_ledger(db) as ledger:
            recording = read_done(args.schedule, args.done, ledger.rules)
            counts = ledger.record(recording, source=str(args.done), accounts=accounts)
    except InputError:
        if fresh:  # bad input writes nothing, not even an empty ledger or its folder
            db.unlink(missing_ok=True)
            for folder in made:  # innermost first
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise
    print(f"recorded {len(recording.rows):,} rows in {db}: {counts['done']:,} done, "
          f"{counts['replaced']:,} replaced, {counts['missed']:,} missed; "
          f"{hours(counts['credited_minutes']):,g} hours credited"
          + (f", {hours(counts['redeemed_minutes']):,g} spent by elders who are members"
             if accounts else ""))
    return EXIT_OK


def _cmd_ledger_balance(args: argparse.Namespace) -> int:
    from matching.ledger import open_ledger
    from matching.outputs.write import write_file

    with open_ledger(args.db, create=False) as ledger:
        table = ledger.balances()
        with _wide_tables():
            print(table.to_string(index=False) if len(table) else "no members yet")
        if args.csv:
            write_file(args.csv, table)
    return EXIT_OK


def _cmd_ledger_statement(args: argparse.Namespace) -> int:
    from matching.ledger import open_ledger, statement_html
    from matching.outputs.write import write_file

    with open_ledger(args.db, create=False) as ledger:
        if args.member not in set(ledger.balances()["member_id"]):
            raise InputError.one("--member", f"has no account in the ledger ({args.member})")
        page = statement_html(ledger, args.member, args.lang, args.name, args.as_of)
    write_file(args.out, page)
    print(f"wrote {args.out}")
    return EXIT_OK


def _cmd_ledger_move(args: argparse.Namespace) -> int:
    from matching.ledger import open_ledger
    from matching.ledger.book import minutes_of_hours

    minutes = minutes_of_hours(args.hours)
    day = args.date.isoformat()
    with open_ledger(args.db, create=False) as ledger:
        if args.action == "redeem":
            ledger.redeem(args.member, minutes, day, args.memo)
        elif args.action == "transfer":
            ledger.transfer(args.member, args.to, minutes, day, args.memo)
        else:
            ledger.donate(args.member, minutes, day, args.memo)
        balance = ledger.balances().set_index("member_id").loc[args.member, "balance_hours"]
    print(f"{args.action}: {args.hours:g} h; {args.member} now has {balance:g} h")
    return EXIT_OK


def _cmd_ledger_expire(args: argparse.Namespace) -> int:
    from matching.ledger import hours, open_ledger

    with open_ledger(args.db, create=False) as ledger:
        gone = ledger.expire(args.as_of)
    print(f"expired {hours(sum(gone.values())):g} h of {len(gone)} members")
    return EXIT_OK


def _cmd_ledger_export(args: argparse.Namespace) -> int:
    from matching.ledger import open_ledger
    from matching.outputs.write import neutralise, write_file, write_outputs

    with open_ledger(args.db, create=False) as ledger:
        tables = ledger.tables()
    if args.out.suffix.lower() == ".xlsx":
        import io

        import pandas as pd

        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as book:
            for name, table in tables.items():  # a "=..." comment must not become a formula
                neutralise(table).to_excel(book, sheet_name=name, index=False)
        write_file(args.out, buffer.getvalue())
    else:
        write_outputs(args.out, {f"{name}.csv": table for name, table in tables.items()})
    print(f"wrote {args.out}")
    return EXIT_OK


def _cmd_ledger_simulate(args: argparse.Namespace) -> int:
    from matching.ledger import simulate_done
    from matching.outputs.write import write_file
    from matching.world.read import read_table

    done = simulate_done(read_table(args.schedule), seed=args.seed)
    write_file(args.out, done)
    print(f"wrote {len(done):,} marked rows to {args.out}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from matching.console import create_app, load_programme

    os.umask(PRIVATE_UMASK)  # whatever the console writes is its owner's only
    if args.programme:
        load_programme(args.data, *args.programme)
    try:
        app = create_app(args.data, host=args.host, port=args.port,
                         allowed_hosts=tuple(args.allowed_host), tiles=args.tiles,
                         secure_cookies=True if args.secure_cookies else None,
                         idle_minutes=args.idle_minutes)
    except PermissionError as exc:
        print(f"matching: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"matching console on http://{args.host}:{args.port}/ (data in {args.data}); "
          "Ctrl-C stops it", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                proxy_headers=True,
                forwarded_allow_ips=",".join(args.trusted_proxy) or "127.0.0.1")
    return EXIT_OK


#: The file-mode mask of the console's process: its files are its owner's only.
PRIVATE_UMASK = 0o077


def _cmd_account_add(args: argparse.Namespace) -> int:
    import getpass

    from matching.console.accounts import Accounts

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("matching: the two passwords differ; nothing was changed", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        Accounts(args.data).add(args.name, password)
    except ValueError as exc:
        print(f"matching: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"account {args.name} saved in {args.data}")
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace) -> int:
    from matching.analysis.doctor import diagnose

    area = None
    if args.area is not None:
        try:
            lat, lon, km = (float(x) for x in args.area.split(","))
            area = (lat, lon, km)
        except ValueError:
            raise InputError.one("--area", f'"{args.area}" is not LAT,LON,KM (e.g. '
                                           '35.03,111.01,40)') from None
    found = diagnose(args.files, coords=args.coords or "wgs84", area=area)
    print(found.text())
    return EXIT_OK if found.ok else EXIT_BAD_INPUT


def _cmd_check(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from matching import checker

    plan = args.plan
    rules: dict[str, object] = {}
    start, weeks = args.start, args.weeks
    scenario = args.scenario or (plan / "scenario.toml" if (plan / "scenario.toml").is_file()
                                 else None)
    if scenario is not None:
        found, start_found, weeks_found = checker.rules_from_scenario(scenario)
        rules.update(found)
        if start is None and weeks is None and (plan / "schedule.csv").is_file():
            start, weeks = start_found, weeks_found
    if (start is None or weeks is None) and (plan / "run.json").is_file() and \
            (plan / "schedule.csv").is_file() and args.previous is None:
        run = json.loads((plan / "run.json").read_text(encoding="utf-8"))
        if run.get("start") and run.get("weeks"):
            start, weeks = dt.date.fromisoformat(run["start"]), int(run["weeks"])
    try:
        rules.update(checker.rules_from_options(args.rule))
    except ValueError as exc:
        raise InputError.one("--rule", str(exc)) from None
    inputs = {}
    for name in ("volunteers", "elders", "relations", "pairs"):
        given = getattr(args, name)
        kept = plan / "inputs" / f"{name}.csv"
        inputs[name] = given if given is not None else (kept if kept.is_file() else None)
    for name in ("volunteers", "elders"):
        if inputs[name] is None:
            raise InputError.one(f"--{name}", f"is needed: {plan} has no inputs/{name}.csv")
    with tempfile.TemporaryDirectory() as tmp:
        plan = _contract_plan(plan, Path(tmp) / "plan")
        for name in ("volunteers", "elders", "relations", "pairs"):
            if getattr(args, name) is not None:  # an office's own file: contract form first
                inputs[name] = _contract_form(inputs[name], name, args.coords, Path(tmp))
        files = (inputs["volunteers"], inputs["elders"], inputs["relations"],
                 inputs["pairs"])
        if args.previous is not None and args.leaving is not None:
            report = checker.check_replan(*files, args.previous, args.leaving, plan,
                                          args.history, rules=rules)
        elif start is not None and weeks is not None:
            report = checker.check_schedule_files(*files, plan, start, weeks, rules=rules)
        else:
            report = checker.check_pairing(*files, plan, rules=rules)
    print(report.text())
    return EXIT_OK if report.ok else EXIT_BROKEN


def _contract_plan(plan: Path, copy: Path) -> Path:
    """A plan folder written with ``--headers zh``, copied with the contract's headers for
    the checker (which reads the contract's names only); other folders as they are."""
    import shutil

    from matching.world.read import read_table

    def chinese(table: Path) -> bool:  # the engine writes UTF-8; a Chinese header is not ASCII
        with table.open(encoding="utf-8-sig", errors="replace") as f:
            return not f.readline().isascii()

    tables = [t for t in sorted(plan.rglob("*.csv")) if chinese(t)]
    if not tables:
        return plan
    shutil.copytree(plan, copy)
    for table in tables:
        read_table(table).to_csv(copy / table.relative_to(plan), index=False)
    return copy


def _contract_form(path: Path, name: str, system: str | None, folder: Path) -> Path:
    """An office's file as the checker reads it: the contract's headers, UTF-8 CSV, and
    WGS-84 coordinates. Only the reading is shared with the engine, never the rules."""
    from matching.world.columns import ID_COLUMNS
    from matching.world.read import read_table, table_in_wgs84

    table = table_in_wgs84(read_table(path, ID_COLUMNS.get(name)), system or "wgs84")
    target = folder / f"{name}.csv"
    table.to_csv(target, index=False)
    return target


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
