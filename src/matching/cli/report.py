"""``matching report``: one self-contained page about a run (the ``figures`` extra)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from matching.analysis.figures import cjk_font
from matching.analysis.report import report_html
from matching.cli.common import EXIT_OK, add_json, add_outputs, emit, say
from matching.ledger import open_ledger
from matching.outputs.folder import load_run
from matching.outputs.privacy import pseudonymise_run
from matching.outputs.write import write_key, write_outputs
from matching.rules.limits import tile_url


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``matching report``."""
    p.add_argument("folder", type=Path, help="an output folder of pair, schedule, replan "
                                             "or run")
    p.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="language of the page (default zh)")
    p.add_argument("--ledger", type=Path,
                   help="the time bank's ledger: add what was recorded as missed, by "
                        "elder and by volunteer")
    p.add_argument("--tiles", metavar="URL",
                   help="a tile server's URL template for the interactive map's basemap "
                        "(https://.../{z}/{x}/{y}.png); without it the page needs no "
                        "network")
    p.add_argument("--attribution", default="", help="the tiles' attribution")
    add_outputs(p, headers=False)
    add_json(p)


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``matching report``."""
    return report(args)


def report(args: argparse.Namespace) -> int:
    """``matching report``: one self-contained page about a run."""
    started = time.perf_counter()
    plan = load_run(args.folder)
    missed = None
    if args.ledger is not None:
        with open_ledger(args.ledger, create=False) as ledger:
            missed = (ledger.missed("elder"), ledger.missed("volunteer"))
    if args.pseudonymise:
        if not plan.info.get("pseudonymised"):  # else its key was written with the plan
            write_key(plan.world, args.folder, args.key)
        plan = pseudonymise_run(plan)
    tiles = tile_url(args.tiles) if args.tiles else None
    write_outputs(args.folder, {}, {"report.html": report_html(
        plan, args.lang, missed, tiles=tiles, attribution=args.attribution)})
    if args.lang == "zh" and cjk_font() is None:  # said once, here and in the report
        say("no Chinese font on this computer: the report's figures are labelled in English "
            "(install fonts-noto-cjk, or any CJK font, and run report again)")
    seconds = round(time.perf_counter() - started, 1)
    emit(args, {"report": str(args.folder / "report.html"), "seconds": seconds},
         f"wrote {args.folder / 'report.html'} in {seconds:.1f} s")
    return EXIT_OK
