"""The time bank's commands: ``matching ledger init|record|reverse|balance|statement|
redeem|transfer|donate|expire|export|simulate``."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from matching.cli.common import EXIT_OK, add_json, date, emit, frame_json, wide_tables
from matching.ledger import (
    hours,
    member_accounts,
    open_ledger,
    read_done,
    read_members,
    simulate_done,
    statement_html,
)
from matching.ledger.alliance import settlement
from matching.ledger.book import minutes_of_hours
from matching.ledger.statement import passbook_html
from matching.outputs.write import neutralise, write_file, write_outputs
from matching.programme.audit import command_line_actor
from matching.rules.errors import InputError
from matching.runtime.database import is_database_url, safe_url
from matching.workflows.scenario import load_scenario
from matching.world.read import read_table


def configure(command: str, led: argparse.ArgumentParser) -> None:
    """The ledger's actions and their options."""
    cmds = led.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")

    def action(name: str, text: str, db_beside_plan: bool = False) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=text, description=text)
        where = p.add_mutually_exclusive_group(required=not db_beside_plan)
        if db_beside_plan:
            where.add_argument("--db", type=Path, help="the ledger file (SQLite; default "
                                                       "ledger.sqlite beside the schedule)")
        else:
            where.add_argument("--db", type=Path, help="the ledger file (SQLite)")
        where.add_argument("--database", metavar="URL",
                           help="the ledger in PostgreSQL instead (postgresql://user@host/db)")
        add_json(p)
        return p

    init = action("init", "create a ledger with the time bank's rules")
    init.add_argument("--scenario", type=Path, help="take the rules of its [timebank] table")
    init.set_defaults(handler=ledger_init)
    rec = action("record", "record a marked rota in one transaction", db_beside_plan=True)
    rec.add_argument("--schedule", required=True, type=Path, help="the schedule.csv it marks")
    rec.add_argument("--done", required=True, type=Path,
                     help="date, activity, volunteer_id, elder_id, status (done, missed, "
                          "replaced), done_by, minutes, rating, comment")
    rec.add_argument("--today", type=date,
                     help="rows dated after this day are refused: hours are banked once "
                          "served (default: today)")
    rec.add_argument("--members", type=Path,
                     help="member_id, volunteer_id, elder_id: elders who are members pay for "
                          "the care they receive from their balance, as far as it goes")
    rec.set_defaults(handler=ledger_record)
    rev = action("reverse", "undo a recorded batch by a reversing one (nothing is removed)")
    rev.add_argument("--batch", required=True, type=int, help="the batch to reverse")
    rev.add_argument("--date", type=date, help="the reversal's date (default: today)")
    rev.add_argument("--reason", default="", help="why, kept with the reversal")
    rev.set_defaults(handler=ledger_reverse)
    bal = action("balance", "each member's earned, spent, transferred, donated hours")
    bal.add_argument("--csv", type=Path, help="also write the balances to this CSV file")
    bal.set_defaults(handler=ledger_balance)
    st = action("statement", "a member's printable statement (HTML)")
    st.add_argument("--member", required=True, help="the member's id")
    st.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    st.add_argument("--lang", choices=("zh", "en"), default="zh",
                    help="language (default zh)")
    st.add_argument("--name", default="", help="the member's name, for the heading")
    st.add_argument("--as-of", type=date,
                    help="the date printed on it (default: the last day in the ledger)")
    st.set_defaults(handler=ledger_statement)
    book = action("passbook", "a member's passbook pages to print (HTML), for members "
                              "without a smartphone")
    book.add_argument("--member", required=True, help="the member's id")
    book.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    book.add_argument("--lang", choices=("zh", "en"), default="zh",
                      help="language (default zh)")
    book.add_argument("--name", default="", help="the member's name, for each page's head")
    book.set_defaults(handler=ledger_passbook)
    settle = action("settle", "the alliance's monthly settlement: per month and programme, "
                              "hours earned, spent, and spent across programmes (CSV)")
    settle.add_argument("--month", help="one month, YYYY-MM (default: every month)")
    settle.add_argument("--out", required=True, type=Path, help="the CSV file to write")
    settle.set_defaults(handler=ledger_settle)
    for name, text in (("redeem", "a member spends hours on care they receive"),
                       ("transfer", "a member gives hours to a relative"),
                       ("donate", "a member gives hours to the programme's pool")):
        p = action(name, text)
        p.add_argument("--member", required=True, help="the member whose hours they are")
        if name == "transfer":
            p.add_argument("--to", required=True, help="the relative's member id")
            p.add_argument("--family", action="store_true",
                           help="the coordinator vouches that --to is the member's family "
                                "(needed when [timebank] transfer_to = \"family\")")
        if name == "redeem":
            p.add_argument("--age", type=float,
                           help="the member's age (needed when [timebank] spend_from_age is "
                                "set)")
        p.add_argument("--hours", required=True, type=float, help="how many hours")
        p.add_argument("--date", required=True, type=date, help="YYYY-MM-DD")
        p.add_argument("--memo", default="", help="what for (the service received, say)")
        p.set_defaults(handler=ledger_move, action=name)
    exp = action("expire", "expire credits older than the rules allow")
    exp.add_argument("--as-of", required=True, type=date, help="YYYY-MM-DD")
    exp.set_defaults(handler=ledger_expire)
    out = action("export", "every table as CSV files in a folder, or as one .xlsx workbook")
    out.add_argument("--out", required=True, type=Path, help="a folder, or a file.xlsx")
    out.set_defaults(handler=ledger_export)
    sim = cmds.add_parser("simulate", help="a seeded marked rota for a schedule, to try it out",
                          description="Write a DONE.csv for a schedule, as a coordinator "
                                      "might mark it: mostly done, a few missed or replaced, "
                                      "most visits rated.")
    sim.add_argument("--schedule", required=True, type=Path, help="a schedule.csv")
    sim.add_argument("--out", required=True, type=Path, help="the DONE.csv to write")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_json(sim)
    sim.set_defaults(handler=ledger_simulate)

def run(command: str, args: argparse.Namespace) -> int:
    """Run the ledger action asked for (in PostgreSQL with ``--database``)."""
    database = getattr(args, "database", None)
    if database is not None:
        if not is_database_url(database):
            raise InputError.one("--database", "input.not_database_url", given=database)
        args.db = database
    return int(args.handler(args))


def shown(location: Path | str) -> str:
    """A ledger's location as a message names it (an address without its password)."""
    return safe_url(location) if isinstance(location, str) else str(location)


def ledger_init(args: argparse.Namespace) -> int:
    """``matching ledger init``: create a ledger with the time bank's rules."""
    rules = load_scenario(args.scenario).timebank_rules if args.scenario else None
    with open_ledger(args.db, rules) as ledger:
        emit(args, {"db": shown(args.db), "rules": dataclasses.asdict(ledger.rules)},
             f"ledger {shown(args.db)}: {ledger.rules}")
    return EXIT_OK


def ledger_record(args: argparse.Namespace) -> int:
    """``matching ledger record``: record a marked rota in one transaction."""
    db = args.db or args.schedule.parent / "ledger.sqlite"
    in_file = isinstance(db, Path)
    fresh = in_file and not db.exists()
    made = [folder for folder in db.absolute().parents if not folder.exists()] \
        if in_file else []
    accounts = member_accounts(read_members(args.members)) if args.members else None
    try:
        with open_ledger(db) as ledger:
            recording = read_done(args.schedule, args.done, ledger.rules,
                                  today=args.today or dt.date.today())
            counts = ledger.record(recording, source=str(args.done), accounts=accounts,
                                   actor=command_line_actor())
    except InputError:
        if fresh:  # bad input writes nothing, not even an empty ledger or its folder
            db.unlink(missing_ok=True)
            for folder in made:  # innermost first
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise
    emit(args, {"db": shown(db), "rows": len(recording.rows), **counts},
         f"recorded {len(recording.rows):,} rows in {shown(db)}: {counts['done']:,} done, "
         f"{counts['replaced']:,} replaced, {counts['missed']:,} missed; "
         f"{hours(counts['credited_minutes']):,g} hours credited"
         + (f", {hours(counts['redeemed_minutes']):,g} spent by elders who are members"
            if accounts else ""))
    return EXIT_OK


def ledger_reverse(args: argparse.Namespace) -> int:
    """``matching ledger reverse``: undo a batch by a reversing one."""
    with open_ledger(args.db, create=False) as ledger:
        batch = ledger.reverse(args.batch, (args.date or dt.date.today()).isoformat(),
                               args.reason, command_line_actor())
    emit(args, {"db": shown(args.db), "reversed": args.batch, "batch": batch},
         f"batch {args.batch} reversed by batch {batch} in {shown(args.db)}")
    return EXIT_OK


def ledger_balance(args: argparse.Namespace) -> int:
    """``matching ledger balance``: each member's earned, spent, transferred, donated hours."""
    with open_ledger(args.db, create=False) as ledger:
        table = ledger.balances()
        if args.csv:
            write_file(args.csv, table)
        with wide_tables():
            emit(args, {"members": frame_json(table)},
                 table.to_string(index=False) if len(table) else "no members yet")
    return EXIT_OK


def ledger_statement(args: argparse.Namespace) -> int:
    """``matching ledger statement``: a member's printable statement."""
    with open_ledger(args.db, create=False) as ledger:
        if args.member not in set(ledger.balances()["member_id"]):
            raise InputError.one("--member", "input.no_account", member=args.member)
        page = statement_html(ledger, args.member, args.lang, args.name, args.as_of)
    write_file(args.out, page)
    emit(args, {"statement": str(args.out), "member": args.member}, f"wrote {args.out}")
    return EXIT_OK


def ledger_passbook(args: argparse.Namespace) -> int:
    """``matching ledger passbook``: a member's passbook pages."""
    with open_ledger(args.db, create=False) as ledger:
        if args.member not in set(ledger.balances()["member_id"]):
            raise InputError.one("--member", "input.no_account", member=args.member)
        page = passbook_html(ledger, args.member, args.lang, args.name)
    write_file(args.out, page)
    emit(args, {"passbook": str(args.out), "member": args.member}, f"wrote {args.out}")
    return EXIT_OK


def ledger_settle(args: argparse.Namespace) -> int:
    """``matching ledger settle``: the monthly settlement between programmes."""
    if args.month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise InputError.one("--month", "input.not_month", given=args.month)
    with open_ledger(args.db, create=False) as ledger:
        table = settlement(ledger, args.month)
    write_file(args.out, table)
    emit(args, {"settlement": str(args.out), "rows": len(table)},
         f"wrote {args.out}: {len(table)} rows")
    return EXIT_OK


def ledger_move(args: argparse.Namespace) -> int:
    """``matching ledger redeem|transfer|donate``: redeem, transfer or donate hours."""
    minutes = minutes_of_hours(args.hours)
    day = args.date.isoformat()
    with open_ledger(args.db, create=False) as ledger:
        if args.action == "redeem":
            ledger.redeem(args.member, minutes, day, args.memo, age=args.age)
        elif args.action == "transfer":
            ledger.transfer(args.member, args.to, minutes, day, args.memo, family=args.family)
        else:
            ledger.donate(args.member, minutes, day, args.memo)
        balance = ledger.balances().set_index("member_id").loc[args.member, "balance_hours"]
    emit(args, {"action": args.action, "hours": args.hours, "member": args.member,
                "balance_hours": float(balance)},
         f"{args.action}: {args.hours:g} h; {args.member} now has {balance:g} h")
    return EXIT_OK


def ledger_expire(args: argparse.Namespace) -> int:
    """``matching ledger expire``: expire credits older than the rules allow."""
    with open_ledger(args.db, create=False) as ledger:
        gone = ledger.expire(args.as_of)
    expired = hours(sum(gone.values()))
    emit(args, {"expired_hours": expired, "members": len(gone)},
         f"expired {expired:g} h of {len(gone)} members")
    return EXIT_OK


def ledger_export(args: argparse.Namespace) -> int:
    """``matching ledger export``: every table as CSV files in a folder, or as one .xlsx
    workbook."""
    with open_ledger(args.db, create=False) as ledger:
        tables = ledger.tables()
    if args.out.suffix.lower() == ".xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as book:
            for name, table in tables.items():  # a "=..." comment must not become a formula
                neutralise(table).to_excel(book, sheet_name=name, index=False)
        write_file(args.out, buffer.getvalue())
    else:
        write_outputs(args.out, {f"{name}.csv": table for name, table in tables.items()})
    emit(args, {"export": str(args.out), "tables": sorted(tables)}, f"wrote {args.out}")
    return EXIT_OK


def ledger_simulate(args: argparse.Namespace) -> int:
    """``matching ledger simulate``: a seeded marked rota for a schedule."""
    done = simulate_done(read_table(args.schedule), seed=args.seed)
    write_file(args.out, done)
    emit(args, {"out": str(args.out), "rows": len(done)},
         f"wrote {len(done):,} marked rows to {args.out}")
    return EXIT_OK
