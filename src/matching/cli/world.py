"""Commands about input files: ``generate`` (a realistic world, seeded) and ``doctor``
(check files without planning)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from matching.analysis.doctor import diagnose
from matching.cli.common import EXIT_BAD_INPUT, EXIT_OK, add_coords, add_json, emit
from matching.outputs.write import write_outputs
from matching.rules.errors import InputError
from matching.world.generate import PRESETS, generate_world
from matching.world.streets.generate import STREETS_FILE, street_network
from matching.world.streets.osm import write_extract


def configure(command: str, p: argparse.ArgumentParser) -> None:
    """The options of ``command``."""
    if command == "generate":
        p.add_argument("--preset", choices=tuple(PRESETS), default="minle",
                       help="size and geography: minle (63 x 155, one community), county "
                            "(1,776 x 661), city (20,000 x 8,000), yuncheng (50,000 x 20,000 "
                            "in 13 towns), province (500,000 x 200,000 in 117 county towns)")
        p.add_argument("--volunteers", type=int,
                       help="number of volunteers (overrides preset)")
        p.add_argument("--elders", type=int, help="number of elders (overrides preset)")
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument("--out", required=True, type=Path,
                       help="folder to write the CSV files to")
        p.add_argument("--no-streets", dest="streets", action="store_false",
                       help=f"write no street network ({STREETS_FILE}: a grid of roads with "
                            "a river and bridges, a railway and level crossings; it needs "
                            "the optional part streets)")
    elif command == "doctor":
        p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="volunteers, elders and optionally relations and pairs files")
        add_coords(p)
        p.add_argument("--streets", type=Path, metavar="FILE.osm.pbf",
                       help="an OpenStreetMap extract: flag homes far from every street on it")
        p.add_argument("--area", metavar="LAT,LON,KM",
                       help="the county as a centre and radius: points outside are flagged "
                            "(default: points with nobody else within 20 km)")
        p.add_argument("--lang", choices=("zh", "en"), default="en",
                       help="language of the report (default en)")
    add_json(p)


def run(command: str, args: argparse.Namespace) -> int:
    """Run ``command``."""
    return generate(args) if command == "generate" else doctor(args)


def generate(args: argparse.Namespace) -> int:
    """``matching generate``: write a generated world's three files."""
    preset = PRESETS[args.preset]
    world = generate_world(preset.replace(
        volunteers=args.volunteers if args.volunteers is not None else preset.volunteers,
        elders=args.elders if args.elders is not None else preset.elders), seed=args.seed)
    streets = None
    if args.streets:
        homes = pd.concat((world.volunteers, world.elders))
        streets = street_network(homes["lat"].astype(float).to_numpy(),
                                 homes["lon"].astype(float).to_numpy(), seed=args.seed)
    write_outputs(args.out, {"volunteers.csv": world.volunteers, "elders.csv": world.elders,
                             "relations.csv": world.relations})
    if streets is not None:
        write_extract(Path(args.out) / STREETS_FILE, streets.nodes, streets.ways)
    text = (f"wrote {len(world.volunteers):,} volunteers, {len(world.elders):,} elders and "
            f"{len(world.relations):,} relations to {args.out}")
    if streets is not None:
        text += (f", and {STREETS_FILE}: {len(streets.ways):,} ways, a river with "
                 f"{streets.bridges} bridges and a railway with {streets.crossings} level "
                 "crossings")
    emit(args, {"out": str(args.out), "volunteers": len(world.volunteers),
                "elders": len(world.elders), "relations": len(world.relations),
                "streets": None if streets is None else {
                    "file": STREETS_FILE, "ways": len(streets.ways),
                    "bridges": streets.bridges, "level_crossings": streets.crossings}}, text)
    return EXIT_OK


def doctor(args: argparse.Namespace) -> int:
    """``matching doctor``: every problem and warning of the files at once."""
    area = None
    if args.area is not None:
        try:
            lat, lon, km = (float(x) for x in args.area.split(","))
            area = (lat, lon, km)
        except ValueError:
            raise InputError.one("--area", "input.not_area", given=args.area) from None
    found = diagnose(args.files, coords=args.coords or "wgs84", area=area,
                     streets=args.streets)
    emit(args, {"ok": found.ok, "files": found.files,
                "problems": [issue.as_json() for issue in found.problems],
                "warnings": [issue.as_json() for issue in found.warnings]},
         found.text(args.lang))
    return EXIT_OK if found.ok else EXIT_BAD_INPUT
