"""The programme's records: ``matching audit verify``, ``matching backup`` and
``matching restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from matching.cli.common import EXIT_OK, add_json, emit
from matching.programme.audit import verify_data
from matching.programme.backup import backup, restore

#: ``matching audit verify`` finds a broken chain or ledger.
EXIT_BROKEN = 1


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``audit verify``, ``backup`` and ``restore``."""
    if command == "audit-verify":
        p.prog = "matching audit verify"
        p.add_argument("data", type=Path,
                       help="the console's data folder (matching serve --data), or one "
                            "ledger file")
    elif command == "backup":
        p.add_argument("data", type=Path, help="the console's data folder")
        p.add_argument("--out", required=True, type=Path, help="the backup file (.tar.gz)")
    elif command == "restore":
        p.add_argument("file", type=Path, help="a backup made by matching backup")
        p.add_argument("--data", required=True, type=Path,
                       help="the data folder to make (new or empty)")
    add_json(p)


def run(command: str, args: argparse.Namespace) -> int:
    """Run the command asked for."""
    if command == "audit-verify":
        found = verify_data(args.data)
        lines = [f"audit log: {found.entries:,} entries, head {found.head}"]
        lines += [f"ledger {name}: head {head}, total {total} minutes"
                  for name, (head, total) in found.ledgers.items()]
        lines += [f"BROKEN {breach}" for breach in found.breaches]
        lines.append("whole" if found.whole else f"first bad entry: {found.breaches[0].where}")
        emit(args, {"whole": found.whole, "head": found.head, "entries": found.entries,
                    "ledgers": {k: {"head": h, "total_minutes": t}
                                for k, (h, t) in found.ledgers.items()},
                    "breaches": [{"where": b.where, "what": b.what} for b in found.breaches]},
             "\n".join(lines))
        return EXIT_OK if found.whole else EXIT_BROKEN
    if command == "backup":
        made = backup(args.data, args.out)
        emit(args, {"out": str(args.out), "files": made.files, "databases": made.databases,
                     "bytes": made.bytes},
             f"backed up {made.files:,} files ({made.databases} databases, "
             f"{made.bytes / 2**20:,.1f} MiB) into {args.out}")
        return EXIT_OK
    made = restore(args.file, args.data)
    emit(args, {"data": str(args.data), "files": made.files, "databases": made.databases,
                "bytes": made.bytes},
         f"restored {made.files:,} files ({made.databases} databases) into {args.data}")
    return EXIT_OK
