"""The web console's commands: ``serve`` and ``account``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import unicodedata
from pathlib import Path
from typing import Any

import uvicorn

from matching.cli.common import EXIT_BAD_INPUT, EXIT_OK, add_json, emit, say
from matching.console import create_app, load_programme
from matching.console.accounts import ROLES, Accounts
from matching.console.context import phone_address_problem
from matching.console.guard import START_SECRET_PARAMETER
from matching.console.launch import ANNOUNCEMENT
from matching.console.links import DEFAULT_LINK_DAYS
from matching.programme.audit import AUDIT_FILE, AuditLog, command_line_actor
from matching.rules.errors import InputError
from matching.rules.limits import tile_url
from matching.runtime.database import is_database_url

#: The file-mode mask of the console's process: its files are its owner's only.
PRIVATE_UMASK = 0o077


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``command``."""
    if command == "serve":
        p.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this computer)")
        p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        p.add_argument("--data", type=Path, default=Path("console-data"),
                       help="folder for programmes, runs and accounts (default "
                            "./console-data)")
        p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="on a network address: a name people type to reach the console "
                            "(192.168.1.20, or planning.example.org); may be repeated. "
                            "Requests naming any other host get 400")
        p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                       help="a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto "
                            "are believed; may be repeated. Without it, those headers are "
                            "ignored from everyone, this computer included")
        p.add_argument("--secure-cookies", action="store_true",
                       help="mark cookies Secure even when the proxy does not say the "
                            "request came over HTTPS")
        p.add_argument("--idle-minutes", type=float, default=30.0,
                       help="a login unused for this long ends (default 30)")
        p.add_argument("--link-days", type=int, default=DEFAULT_LINK_DAYS, metavar="DAYS",
                       help="days a volunteer's personal link keeps working after its run's "
                            f"horizon (default {DEFAULT_LINK_DAYS})")
        p.add_argument("--phone-address", metavar="URL",
                       help="the address volunteers' phones open the console by, printed "
                            "in their links and QR codes (e.g. http://192.168.1.20:8000); "
                            "the links page can set it too")
        p.add_argument("--alliance", metavar="NAME", default="",
                       help="the programmes of this console form an alliance (a county's "
                            "communities): one time-bank ledger for all of them, hours "
                            "earned in one spent in another (通存通兑)")
        p.add_argument("--database", metavar="URL", default="",
                       help="keep the time-bank ledgers in PostgreSQL "
                            "(postgresql://user@host/db), for several console processes "
                            "serving one county or city; default: SQLite files in --data")
        p.add_argument("--tiles", help="map tile URL template, e.g. "
                                       "https://tile.openstreetmap.org/{z}/{x}/{y}.png "
                                       "(default: no tiles, people on a blank map)")
        p.add_argument("--programme", nargs=2, metavar=("NAME", "FOLDER"),
                       help="first load FOLDER's volunteers, elders and relations files as "
                            "programme NAME (if it has no inputs yet)")
        return
    actions = p.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account, or set its password",
                             description="Add a console account (or set its password, "
                                         "which ends its sessions). The password is asked "
                                         "for twice, or read from standard input with "
                                         "--password-stdin; only its Argon2 hash is kept.")
    add.add_argument("name", help="account name: letters, digits, '.', '-', '_'")
    add.add_argument("--data", type=Path, default=Path("console-data"),
                     help="the console's data folder (default ./console-data)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add_json(add)
    grant = actions.add_parser(
        "grant", help="give an account a role in a programme",
        description="Give an account a role in one programme: coordinator (plans, records, "
                    "approves), viewer (reads plans and reports) or auditor (reads the audit "
                    "log and the time bank's statements). An account sees only the "
                    "programmes granted to it; the first account is the admin, who sees all.")
    grant.add_argument("name", help="the account")
    grant.add_argument("--programme", required=True, help="the programme's name")
    grant.add_argument("--role", required=True, choices=sorted(ROLES))
    revoke = actions.add_parser("revoke", help="take a programme away from an account")
    revoke.add_argument("name", help="the account")
    revoke.add_argument("--programme", required=True, help="the programme's name")
    listing = actions.add_parser("list", help="every account, and its roles")
    for sub in (grant, revoke, listing):
        sub.add_argument("--data", type=Path, default=Path("console-data"),
                         help="the console's data folder (default ./console-data)")
        add_json(sub)


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``command``."""
    if command == "serve":
        return serve(args)
    return {"add": account_add, "grant": account_grant, "revoke": account_grant,
            "list": account_list}[args.account_command](args)


def serve(args: argparse.Namespace) -> int:
    """``matching serve``: the console, until Ctrl-C."""
    os.umask(PRIVATE_UMASK)  # whatever the console writes is its owner's only
    problem = phone_address_problem(args.phone_address) if args.phone_address else None
    if problem is not None:
        raise InputError([problem])
    if args.database and not is_database_url(args.database):
        raise InputError.one("--database", "input.not_database_url", given=args.database)
    if args.programme:
        load_programme(args.data, *args.programme)
    try:
        app = create_app(args.data, host=args.host, port=args.port,
                         allowed_hosts=tuple(args.allowed_host),
                         tiles=tile_url(args.tiles) if args.tiles else None,
                         secure_cookies=True if args.secure_cookies else None,
                         idle_minutes=args.idle_minutes, link_days=args.link_days,
                         phone_address=args.phone_address, alliance=args.alliance,
                         database=args.database)
    except PermissionError as exc:
        say(str(exc))
        return EXIT_BAD_INPUT
    address = f"http://{args.host}:{args.port}/"
    secret = app.state.console.start_secret
    if secret:  # this computer's other accounts reach the port too: only the secret opens it
        address += f"?{START_SECRET_PARAMETER}={secret}"
    print(ANNOUNCEMENT.format(address=address, data=args.data), file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                **forwarding(args.trusted_proxy))
    return EXIT_OK


def forwarding(trusted_proxies: list[str]) -> dict[str, Any]:
    """uvicorn's options for ``X-Forwarded-For`` and ``-Proto``: believed only from the
    ``--trusted-proxy`` addresses, and from no one without one (uvicorn would believe
    127.0.0.1 by default, letting any local process pose as many addresses past the
    per-address limits)."""
    if not trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted_proxies)}


def account_add(args: argparse.Namespace) -> int:
    """``matching account add``: an account, or a new password for one."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            say("the two passwords differ; nothing was changed")
            return EXIT_BAD_INPUT
    accounts = Accounts(args.data)
    existed = args.name in accounts.names()
    try:
        accounts.add(args.name, password)
    except ValueError as exc:
        say(str(exc))
        return EXIT_BAD_INPUT
    with AuditLog(Path(args.data) / AUDIT_FILE) as log:  # who made it, never the password
        log.append(command_line_actor(), "account", "", args.name,
                   {"account": args.name} if existed else None,
                   {"account": args.name, "what": "password set" if existed else "added"})
    emit(args, {"account": args.name, "data": str(args.data)},
         f"account {args.name} saved in {args.data}")
    return EXIT_OK


def account_grant(args: argparse.Namespace) -> int:
    """``matching account grant`` and ``revoke``: an account's role in a programme."""
    accounts = Accounts(args.data)
    programme = unicodedata.normalize("NFC", args.programme)
    role = getattr(args, "role", None)
    try:
        before = accounts.grant(args.name, programme, role)
    except ValueError as exc:
        say(str(exc))
        return EXIT_BAD_INPUT
    with AuditLog(Path(args.data) / AUDIT_FILE) as log:
        log.append(command_line_actor(), "grant", programme, args.name,
                   {"role": before} if before else None, {"role": role} if role else None)
    emit(args, {"account": args.name, "programme": programme, "role": role},
         f"{args.name}: {role} in {programme}" if role else
         f"{args.name} no longer sees {programme}")
    return EXIT_OK


def account_list(args: argparse.Namespace) -> int:
    """``matching account list``: every account, whether it is an admin, and its roles."""
    accounts = Accounts(args.data)
    rows: list[dict[str, Any]] = [
        {"account": name, "admin": accounts.is_admin(name), "roles": accounts.roles(name)}
        for name in accounts.names()]
    emit(args, {"accounts": rows}, "\n".join(
        f"{r['account']}{' (admin)' if r['admin'] else ''}: " +
        (", ".join(f"{p} {role}" for p, role in sorted(r["roles"].items())) or "-")
        for r in rows) or "no accounts")
    return EXIT_OK
