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
    write_report(args.folder, args.lang, ledger=args.ledger, pseudonymise=args.pseudonymise,
                 key=args.key, tiles=args.tiles, attribution=args.attribution)
    seconds = round(time.perf_counter() - started, 1)
    emit(args, {"report": str(args.folder / "report.html"), "seconds": seconds},
         f"wrote {args.folder / 'report.html'} in {seconds:.1f} s")
    return EXIT_OK


def write_report(folder: Path, lang: str, *, ledger: Path | None = None,
                 pseudonymise: bool = False, key: Path | None = None, tiles: str | None = None,
                 attribution: str = "") -> None:
    """Write ``folder/report.html`` (what ``matching report`` and ``matching run --report``
    do)."""
    plan = load_run(folder)
    missed = None
    if ledger is not None:
        with open_ledger(ledger, create=False) as book:
            missed = (book.missed("elder"), book.missed("volunteer"))
    if pseudonymise:
        if not plan.info.get("pseudonymised"):  # else its key was written with the plan
            write_key(plan.world, folder, key)
        plan = pseudonymise_run(plan)
    write_outputs(folder, {}, {"report.html": report_html(
        plan, lang, missed, tiles=tile_url(tiles) if tiles else None,
        attribution=attribution)})
    if lang == "zh" and cjk_font() is None:  # said once, here and in the report
        say("no Chinese font on this computer: the report's figures are labelled in English "
            "(install fonts-noto-cjk, or any CJK font, and run report again)")
