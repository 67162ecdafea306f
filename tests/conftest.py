"""Shared helpers: tiny worlds placed in km around a point, and a solve that is always checked.

Every plan a test produces goes through :mod:`matching.checker`, which shares no code with
the engine.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching
from matching import checker
from matching.outputs.runfolder import RunFolder
from matching.world import generate

#: The quick run's time guard (a test over 2 s not marked slow fails it).
pytest_plugins = ["tests.helpers.quick", "tests.helpers.databases"]


BASE_LAT, BASE_LON = 35.60, 110.97
KM_PER_DEG = 6371.0088 * math.pi / 180


def at(east_km: float, north_km: float = 0.0) -> tuple[float, float]:
    """Coordinates ``east_km`` east and ``north_km`` north of the base point (small offsets)."""
    lat = BASE_LAT + north_km / KM_PER_DEG
    lon = BASE_LON + east_km / (KM_PER_DEG * math.cos(math.radians(BASE_LAT)))
    return round(lat, 7), round(lon, 7)


def volunteers(*rows: dict) -> pd.DataFrame:
    """Volunteers from dicts; ``x``/``y`` (km) become lat/lon; ids default to V1, V2..."""
    return _people(rows, "volunteer_id", "V")


def elders(*rows: dict) -> pd.DataFrame:
    """Elders from dicts, as :func:`volunteers`."""
    return _people(rows, "elder_id", "E")


def _people(rows: tuple[dict, ...], key: str, prefix: str) -> pd.DataFrame:
    out = []
    for i, row in enumerate(rows, start=1):
        row = dict(row)
        row.setdefault(key, f"{prefix}{i}")
        if "x" in row or "y" in row:
            row["lat"], row["lon"] = at(row.pop("x", 0.0), row.pop("y", 0.0))
        out.append({k: str(v) for k, v in row.items()})
    return pd.DataFrame(out).fillna("")


def relations(*triples: tuple[str, str, str]) -> pd.DataFrame:
    """``(volunteer_id, elder_id, relation)`` rows."""
    return pd.DataFrame(triples, columns=["volunteer_id", "elder_id", "relation"])


@dataclass
class Plan:
    """A checked plan: the result and the contract's tables."""

    result: matching.PairingResult
    assignments: pd.DataFrame
    unassigned: pd.DataFrame
    report: checker.Report

    def volunteer_of(self, elder_id: str) -> str | None:
        """The elder's volunteer, or ``None``."""
        hit = self.assignments.loc[self.assignments["elder_id"] == elder_id, "volunteer_id"]
        return None if hit.empty else str(hit.iloc[0])

    def reason(self, elder_id: str) -> str:
        """Why the elder is unassigned."""
        return str(self.unassigned.loc[self.unassigned["elder_id"] == elder_id, "reason"].iloc[0])


@pytest.fixture
def plan(tmp_path: Path):
    """``plan(vols, elds, rels=None, pairs=None, rules=None, **solve_kw)``: solve, write the
    outputs, run the independent checker (which must find nothing broken), return a Plan."""

    def run(vols: pd.DataFrame, elds: pd.DataFrame, rels: pd.DataFrame | None = None,
            pairs: pd.DataFrame | None = None, rules: matching.Rules | None = None,
            **solve_kw: object) -> Plan:
        files = {}
        for name, frame in (("volunteers", vols), ("elders", elds), ("relations", rels),
                            ("pairs", pairs)):
            if frame is not None:
                files[name] = tmp_path / f"{name}.csv"
                frame.to_csv(files[name], index=False)
        world = matching.read_world(files["volunteers"], files["elders"],
                                    files.get("relations"), files.get("pairs"), rules=rules)
        result = matching.solve(matching.build_problem(world), matching.SolveOptions(**solve_kw))  # type: ignore[arg-type]
        out = tmp_path / "plan"
        RunFolder.for_pairing(result).write(out)
        # the checker takes the same rule names as a scenario's [rules]
        rule_numbers = dataclasses.asdict(rules) if rules is not None else None
        report = checker.check_pairing(files["volunteers"], files["elders"],
                                       files.get("relations"), files.get("pairs"), out,
                                       rules=rule_numbers)
        assert report.ok, report.text()
        assigned = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
        unassigned = pd.read_csv(out / "unassigned.csv", dtype=str, keep_default_na=False)
        return Plan(result, assigned, unassigned, report)

    return run


#: Broken rules that no plan may have, whatever it could not do.
NEVER = ("overlap", "weekly_minutes", "hours", "duration", "horizon", "backup", "organiser",
         "refused", "gender", "minutes", "unknown", "rotation")


def nothing_dropped_silently(report: checker.Report, result: object) -> None:
    """Every broken obligation the checker finds is listed in unmet.csv, and nothing else is
    ever broken."""
    unmet_elders = set(result.unmet["elder_id"])  # type: ignore[attr-defined]
    for kind in ("visit", "service", "birthday"):
        for text in report.broken.get(kind, []):
            elder = text.split()[1].rstrip(":")
            assert elder in unmet_elders, f"{text} is not in unmet.csv"
    unmet_kinds = set(result.unmet["activity"])  # type: ignore[attr-defined]
    for kind in ("group", "festival"):
        assert not report.broken.get(kind) or kind in unmet_kinds, report.text()
    for kind in NEVER:
        assert not report.broken.get(kind), report.text()


#: A town like Minle (40 volunteers, 90 elders), repeated 0.3 degrees (33 km) further north
#: each time, so that towns share no candidate pair.
TOWN = generate.WorldSpec(40, 90, lat_range=(35.596, 35.606), lon_range=(110.962, 110.975),
                          communities=1, spread_km=0.35)
TOWN_SHIFT_DEG = 0.3


def write_towns(folder: Path, towns: int, extra_elders: pd.DataFrame | None = None,
                extra_relations: pd.DataFrame | None = None) -> Path:
    """Write volunteers.csv, elders.csv and relations.csv of ``towns`` towns (ids prefixed
    ``T0-``, ``T1-``...), with any extra elders and relations appended."""
    tables: dict[str, list[pd.DataFrame]] = {"volunteers": [], "elders": [], "relations": []}
    for k in range(towns):
        world = generate.generate_world(TOWN, seed=k)
        vols, elds, rels = world.volunteers.copy(), world.elders.copy(), world.relations.copy()
        for frame in (vols, elds):
            frame["lat"] = (frame["lat"].astype(float) + k * TOWN_SHIFT_DEG).map("{:.6f}".format)
        for frame, column in ((vols, "volunteer_id"), (elds, "elder_id"),
                              (rels, "volunteer_id"), (rels, "elder_id")):
            frame[column] = f"T{k}-" + frame[column]
        tables["volunteers"].append(vols)
        tables["elders"].append(elds)
        tables["relations"].append(rels)
    for name, extra in (("elders", extra_elders), ("relations", extra_relations)):
        if extra is not None:
            tables[name].append(extra)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frames in tables.items():
        pd.concat(frames, ignore_index=True).to_csv(folder / f"{name}.csv", index=False)
    return folder


def input_args(folder: Path) -> list[str]:
    """``--volunteers``, ``--elders`` and ``--relations`` options for the files in ``folder``."""
    return ["--volunteers", str(folder / "volunteers.csv"), "--elders",
            str(folder / "elders.csv"), "--relations", str(folder / "relations.csv")]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but timings.json) by its relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "timings.json"}


def small_world(seed: int, volunteer_count: int, elder_count: int,
                weekly: list[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A generated world squeezed so that capacities matter."""
    spec = generate.WorldSpec(volunteer_count, elder_count, lat_range=(35.596, 35.606),
                              lon_range=(110.962, 110.975), communities=2, spread_km=0.4)
    world = generate.generate_world(spec, seed=seed)
    vols = world.volunteers.copy()
    if weekly is not None:
        rng = np.random.default_rng(seed)
        vols["weekly_minutes"] = rng.choice(weekly, len(vols)).astype(str)
    return vols, world.elders, world.relations
