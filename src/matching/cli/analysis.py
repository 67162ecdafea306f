"""Commands that study a run's folder, or check one: ``report``, ``explain``, ``suggest``,
``audit``, ``compare`` and ``check``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from matching import checker
from matching.analysis.compare import compare, format_table
from matching.analysis.gis import geojson, geojson_layers, geopackage_bytes
from matching.analysis.why import blocking_pairs, explain_elder, explain_volunteer, suggest
from matching.catalogue import say as say_in
from matching.cli.common import (
    EXIT_BROKEN,
    EXIT_OK,
    add_coords,
    add_json,
    date,
    emit,
    frame_json,
    wide_tables,
)
from matching.outputs.folder import Run, load_run
from matching.outputs.tables import Names, for_people
from matching.outputs.workbook import sheets as workbook_sheets
from matching.outputs.workbook import xlsx
from matching.outputs.write import write_file
from matching.rules.errors import InputError
from matching.world.columns import ID_COLUMNS
from matching.world.read import read_table, table_in_wgs84


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``command``."""
    if command == "explain":
        p.add_argument("folder", type=Path, help="an output folder")
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--elder", help="an elder's id")
        who.add_argument("--volunteer", help="a volunteer's id")
        p.add_argument("--top", type=int, default=5,
                       help="how many alternatives to show (default 5)")
    elif command == "suggest":
        p.add_argument("folder", type=Path, help="an output folder")
        new = p.add_mutually_exclusive_group(required=True)
        new.add_argument("--elder-row", metavar='"elder_id=N1; lat=35.60; lon=110.97; age=86"',
                         help="the new elder's cells as KEY=VALUE, separated by ';'")
        new.add_argument("--elder-file", type=Path,
                         help="a CSV (or .xlsx) with the elders.csv header and one row")
        p.add_argument("--top", type=int, default=5, help="how many volunteers (default 5)")
        add_coords(p)
    elif command == "audit":
        p.add_argument("folder", type=Path, help="an output folder")
        p.add_argument("--csv", type=Path, help="also write the pairs to this CSV file")
    elif command == "compare":
        p.add_argument("folders", nargs="+", type=Path, help="output folders of matching run")
        p.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    elif command == "check":
        _configure_check(p)
    elif command == "export":
        p.add_argument("folder", type=Path, help="a run's folder")
        p.add_argument("--geojson", type=Path,
                       help="the GeoJSON file to write: every point and line in one "
                            "collection")
        p.add_argument("--layers", type=Path, metavar="DIR",
                       help="also write typed layers to DIR: volunteers.geojson, "
                            "elders.geojson (points) and pairs.geojson (lines)")
        p.add_argument("--gpkg", type=Path, metavar="FILE.gpkg",
                       help="also write a GeoPackage for QGIS with the three layers "
                            "(needs the geo extra)")
        p.add_argument("--pseudonymise", action="store_true",
                       help="leave names out and round coordinates to 3 decimals")
    elif command == "workbook":
        p.add_argument("folder", type=Path, help="a run's folder")
        p.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
        p.add_argument("--lang", choices=("zh", "en"), default="zh",
                       help="language of the sheet names and headers (default zh)")
    if command in ("explain", "suggest", "audit"):
        p.add_argument("--lang", choices=("zh", "en"), default="en",
                       help="language of the headers and reasons (default en)")
    add_json(p)


def _configure_check(check: argparse.ArgumentParser) -> None:
    check.add_argument("--volunteers", type=Path,
                       help="volunteers file (default: the plan folder's inputs/)")
    check.add_argument("--elders", type=Path,
                       help="elders file (default: the plan folder's inputs/)")
    check.add_argument("--relations", type=Path,
                       help="relations file (default: the plan folder's inputs/, if there)")
    check.add_argument("--pairs", type=Path,
                       help="measured pairs file (default: the plan folder's pairs.csv, "
                            "else its inputs/, if there)")
    add_coords(check)
    check.add_argument("--plan", required=True, type=Path, help="the plan's output folder")
    check.add_argument("--scenario", type=Path,
                       help="check under this resolved scenario's [rules] and [schedule] "
                            "(default: the plan folder's scenario.toml, if there)")
    check.add_argument("--rule", action="append", default=[], metavar="KEY=VALUE",
                       help="a rule under which the plan was made, named as in a scenario "
                            "(max_km=3, service_minutes=45...); may be repeated; wins over "
                            "--scenario")
    check.add_argument("--start", type=date,
                       help="with --weeks: also check the folder's schedule.csv")
    check.add_argument("--weeks", type=int, help="length of the schedule's horizon")
    check.add_argument("--previous", type=Path,
                       help="with --leaving: check a re-plan against this earlier "
                            "assignments.csv (stability, changes.csv)")
    check.add_argument("--leaving", type=Path, help="the re-plan's leaving volunteers")
    check.add_argument("--history", type=Path, help="the re-plan's --history schedule")


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``command``."""
    return {"explain": explain, "suggest": suggest_volunteers,
            "audit": audit, "compare": compare_runs, "check": check,
            "workbook": workbook, "export": export}[command](args)


def _json_text(collection: dict[str, object]) -> str:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(args: argparse.Namespace) -> int:
    """``matching export``: the run as GeoJSON (one collection, or typed layers) and as a
    GeoPackage."""
    if args.geojson is None and args.layers is None and args.gpkg is None:
        raise InputError.one("export", "input.export_nothing")
    if args.gpkg is not None and args.gpkg.suffix.lower() != ".gpkg":
        raise InputError.one("--gpkg", "input.not_gpkg", given=str(args.gpkg))
    plan = load_run(args.folder)
    collection = geojson(plan, pseudonymise=args.pseudonymise)
    kinds = pd.Series([f["properties"]["kind"] for f in collection["features"]],
                      dtype=object).value_counts()
    counts = {kind: int(kinds.get(kind, 0)) for kind in ("volunteer", "elder", "pair")}
    package = (geopackage_bytes(plan, pseudonymise=args.pseudonymise)
               if args.gpkg is not None else None)  # made first: the extra may be missing
    written = []
    if args.geojson is not None:
        write_file(args.geojson, _json_text(collection))
        written.append(str(args.geojson))
    if args.layers is not None:
        args.layers.mkdir(parents=True, exist_ok=True)
        for layer, features in geojson_layers(plan, pseudonymise=args.pseudonymise).items():
            write_file(args.layers / f"{layer}.geojson", _json_text(features))
        written.append(str(args.layers))
    if package is not None:
        write_file(args.gpkg, package)
        written.append(str(args.gpkg))
    emit(args, {"geojson": None if args.geojson is None else str(args.geojson),
                "layers": None if args.layers is None else str(args.layers),
                "gpkg": None if args.gpkg is None else str(args.gpkg), "features": counts},
         f"wrote {', '.join(written)}: {counts['volunteer']:,} volunteers, "
         f"{counts['elder']:,} elders and {counts['pair']:,} pairs")
    return EXIT_OK


def workbook(args: argparse.Namespace) -> int:
    """``matching workbook``: a run's hand-out workbook."""
    if args.out.suffix.lower() != ".xlsx":
        raise InputError.one("--out", "input.not_xlsx", given=str(args.out))
    run = load_run(args.folder)
    sheets = workbook_sheets(run, args.lang)
    write_file(args.out, xlsx(sheets))
    emit(args, {"workbook": str(args.out), "sheets": {name: len(table) for name, table
                                                      in sheets.items()}},
         f"wrote {args.out}: " + ", ".join(f"{name} ({len(table):,})"
                                           for name, table in sheets.items()))
    return EXIT_OK


def explain(args: argparse.Namespace) -> int:
    """``matching explain``: why this volunteer, and who came next."""
    plan = load_run(args.folder)
    found = explain_elder(plan, args.elder, args.top) if args.elder else \
        explain_volunteer(plan, args.volunteer, args.top)
    with wide_tables():
        emit(args, {"subject": found.subject.text("en"), "subject_code": found.subject.code,
                    "subject_params": found.subject.params,
                    "note": found.note.text("en") if found.note is not None else None,
                    "note_code": found.note.code if found.note is not None else None,
                    "chosen": frame_json(found.chosen),
                    "alternatives": frame_json(found.alternatives)}, found.text(args.lang))
    return EXIT_OK


def suggest_volunteers(args: argparse.Namespace) -> int:
    """``matching suggest``: the volunteers a new elder could have, best first."""
    plan = load_run(args.folder)
    if args.elder_file is not None:
        elder: dict[str, str] | pd.DataFrame = _wgs84(read_table(args.elder_file), args.coords)
    else:
        elder = _wgs84(_cells(args.elder_row), args.coords)
    table = suggest(plan, elder, args.top)
    shown = for_people(table, args.lang, names_of(plan))
    with wide_tables():
        emit(args, {"volunteers": frame_json(table)},
             shown.to_string(index=False) if len(table) else
             say_in("explain.no_eligible", args.lang))
    return EXIT_OK


def names_of(plan: Run) -> Names:
    """Who is who in a run (those who left too), for the tables people read."""
    return Names.of_run(plan)


def _wgs84(elder: pd.DataFrame | dict[str, str], system: str | None
           ) -> pd.DataFrame | dict[str, str]:
    """A new elder's coordinates (a row or a table of text cells) as WGS-84."""
    if system in (None, "wgs84"):
        return elder
    if isinstance(elder, dict):
        return table_in_wgs84(pd.DataFrame([elder]), system).iloc[0].to_dict()
    return table_in_wgs84(elder, system)


def _cells(text: str) -> dict[str, str]:
    """``KEY=VALUE; KEY=VALUE`` as a dict of cells."""
    cells = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError.one("--elder-row", "input.not_key_value", item=item.strip())
        cells[key.strip().lower()] = value.strip()
    return cells


def audit(args: argparse.Namespace) -> int:
    """``matching audit``: pairs who would both rather be together."""
    plan = load_run(args.folder)
    table = blocking_pairs(plan)
    if args.csv:
        write_file(args.csv, table)
    text = say_in("audit.count", args.lang, n=len(table))
    with wide_tables():
        if len(table):  # the reason's code and figures are for programs (--json, --csv)
            text += "\n" + for_people(table, args.lang, names_of(plan)).to_string(index=False)
        emit(args, {"blocking_pairs": len(table), "pairs": frame_json(table)}, text)
    return EXIT_OK


def compare_runs(args: argparse.Namespace) -> int:
    """``matching compare``: the figures a planner weighs, side by side."""
    table = compare(args.folders)
    if args.csv:
        write_file(args.csv, table.reset_index())
    emit(args, {"runs": frame_json(table.reset_index())}, format_table(table))
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    """``matching check``: the independent checker over a run's folder."""
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
        info = json.loads((plan / "run.json").read_text(encoding="utf-8"))
        if info.get("start") and info.get("weeks"):
            start, weeks = dt.date.fromisoformat(info["start"]), int(info["weeks"])
    try:
        rules.update(checker.rules_from_options(args.rule))
    except ValueError as exc:
        raise InputError.one("--rule", "input.bad_rule_option", detail=str(exc)) from None
    inputs: dict[str, Path | None] = {}
    for name in ("volunteers", "elders", "relations", "pairs"):
        given = getattr(args, name)
        kept = plan / "inputs" / f"{name}.csv"
        if name == "pairs" and (plan / "pairs.csv").is_file():
            kept = plan / "pairs.csv"  # every pair within reach, as walked or estimated
        inputs[name] = given if given is not None else (kept if kept.is_file() else None)
    for name in ("volunteers", "elders"):
        if inputs[name] is None:
            raise InputError.one(f"--{name}", "input.needed_no_kept", plan=str(plan), name=name)
    with tempfile.TemporaryDirectory() as tmp:
        plan = _contract_plan(plan, Path(tmp) / "plan")
        for name in ("volunteers", "elders", "relations", "pairs"):
            given = getattr(args, name)
            if given is not None:  # an office's own file: contract form first
                inputs[name] = _contract_form(given, name, args.coords, Path(tmp))
        volunteers, elders = inputs["volunteers"], inputs["elders"]
        assert volunteers is not None and elders is not None  # refused above
        files = (volunteers, elders, inputs["relations"], inputs["pairs"])
        if args.previous is not None and args.leaving is not None:
            found_report = checker.check_replan(*files, args.previous, args.leaving, plan,
                                                args.history, rules=rules)
        elif start is not None and weeks is not None:
            found_report = checker.check_schedule_files(*files, plan, start, weeks,
                                                        rules=rules)
        else:
            found_report = checker.check_pairing(*files, plan, rules=rules)
    emit(args, {"ok": found_report.ok, "broken": dict(found_report.broken),
                "figures": found_report.figures}, found_report.text())
    return EXIT_OK if found_report.ok else EXIT_BROKEN


def _contract_plan(plan: Path, copy: Path) -> Path:
    """A plan folder written with ``--headers zh``, copied with the contract's headers for
    the checker (which reads the contract's names only); other folders as they are."""

    def chinese(table: Path) -> bool:  # the engine writes UTF-8; a Chinese header is not ASCII
        with table.open(encoding="utf-8-sig", errors="replace") as f:
            return not f.readline().isascii()

    tables = [t for t in sorted(plan.rglob("*.csv")) if chinese(t)]
    if not tables:
        return plan
    shutil.copytree(plan, copy)
    for table in tables:
        write_file(copy / table.relative_to(plan), read_table(table))
    return copy


def _contract_form(path: Path, name: str, system: str | None, folder: Path) -> Path:
    """An office's file as the checker reads it: the contract's headers, UTF-8 CSV, and
    WGS-84 coordinates. Only the reading is shared with the engine, never the rules."""
    table = table_in_wgs84(read_table(path, ID_COLUMNS.get(name)), system or "wgs84")
    target = folder / f"{name}.csv"
    write_file(target, table)
    return target
