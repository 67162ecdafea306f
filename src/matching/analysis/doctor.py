"""Check input files without planning: every problem and every warning, in one go.

``matching doctor FILES...`` reads the files the way planning does (so a problem here is
exactly a problem there) and adds warnings that do not stop a plan but usually mean a
spreadsheet slip:

* an elder with no volunteer within reach (no plan can serve them);
* one person under two ids (same name and phone, or same name and address);
* an id that looks like a phone or identity-card number (ids go into every output);
* coordinates with nobody else near (or outside ``--area``): often a point copied from
  the wrong town or with a digit slipped (swapped latitude and longitude are a problem,
  named as such, since no Chinese latitude exceeds 90);
* a relation that cannot matter (kin beyond the kin limit, familiar where the pair is not
  eligible anyway, a refusal of someone beyond every distance limit, or one pair with two
  relations).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matching.catalogue import Reason, say
from matching.outputs.privacy import PERSONAL_ID
from matching.pairing.eligibility import (
    ELIGIBLE,
    GENDER,
    NO_SHARED_DAY,
    REFUSES,
    TOO_FAR,
    Eligibility,
)
from matching.pairing.problem import build_problem
from matching.pairing.reasons import unassigned_reasons
from matching.rules.errors import InputError, InputIssue
from matching.rules.pairing import Rules
from matching.rules.schedule import ScheduleRules
from matching.world import geo, parse
from matching.world.columns import ELDER_ID, ID_COLUMNS, VOLUNTEER_ID
from matching.world.model import World, far_from_streets
from matching.world.read import read_header, read_world
from matching.world.tables import Elders, Volunteers

#: A point with no other volunteer or elder within this distance is flagged: a county town's
#: homes lie within a few km of each other, so 20 km alone is a slip far more often than not.
ISOLATED_KM = 20.0

#: What each kind of input file is, told apart by its columns.
KINDS = ("volunteers", "elders", "relations", "pairs")

#: Words in a file name that say what it holds, when the columns alone do not.
_NAME_HINTS = {"volunteers": ("volunteer", "志愿"), "elders": ("elder", "老人", "老年"),
               "relations": ("relation", "关系"), "pairs": ("pair", "距离")}


@dataclass
class Diagnosis:
    """What :func:`diagnose` found.

    Attributes
    ----------
    files
        Each file's kind (``volunteers``, ``elders``, ``relations``, ``pairs``) by path.
    problems
        What stops a plan: each names file, row, column, value and what was expected.
    warnings
        What a plan would survive but a planner should look at.
    """

    files: dict[str, str] = field(default_factory=dict)
    problems: list[InputIssue] = field(default_factory=list)
    warnings: list[InputIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problems (warnings allowed)."""
        return not self.problems

    def text(self, lang: str = "en") -> str:
        """The report as ``matching doctor`` prints it, in ``lang``."""
        lines = [f"{Path(p).name}: {say('doctor.kind', lang, kind=f'file.{kind}')}"
                 for p, kind in self.files.items()]
        for title, items in (("problems", self.problems), ("warnings", self.warnings)):
            code = f"doctor.{title}_one" if len(items) == 1 else f"doctor.{title}"
            lines.append("\n" + say(code, lang, n=len(items)))
            lines += [f"  {item.text(lang)}" for item in items]
        verdict = ("clean" if self.ok and not self.warnings else
                   "look" if self.ok else "fix")
        lines.append("\n" + say(f"doctor.verdict_{verdict}", lang))
        return "\n".join(lines)


def diagnose(paths: Sequence[str | Path], *, coords: str | Mapping[str, str] = "wgs84",
             rules: Rules | None = None, schedule_rules: ScheduleRules | None = None,
             area: tuple[float, float, float] | None = None,
             streets: Path | None = None) -> Diagnosis:
    """Check input files as planning would read them, and warn about likely slips.

    Parameters
    ----------
    paths
        The files: volunteers and elders (each told apart by its columns or its name), and
        optionally relations and pairs.
    coords
        The coordinate system of the files (see :func:`matching.world.read.read_world`).
    rules, schedule_rules
        The limits the warnings measure against (defaults: the contract's).
    area
        ``(lat, lon, km)``: the county, as a centre and radius; points outside are flagged.
        Without it, points with nobody else within :data:`ISOLATED_KM` are.
    streets
        An OpenStreetMap extract: people farther than the snapping distance from every
        street on it are flagged.
    """
    rules = rules or Rules()
    schedule_rules = schedule_rules or ScheduleRules()
    found = Diagnosis()
    tables: dict[str, Path] = {}
    for path in map(Path, paths):
        try:
            kind = _kind(path)
        except InputError as exc:
            found.problems += exc.problems
            continue
        if kind in tables:
            found.problems.append(InputIssue(path.name, "input.second_file", kind=f"file.{kind}",
                                             first=tables[kind].name))
            continue
        tables[kind] = path
        found.files[str(path)] = kind
    if found.problems:
        return found
    world = _read(tables, coords, rules, found, streets)
    if world is None:
        return found
    found.warnings += [*world.notices, *far_from_streets(world)]
    found.warnings += _unreachable(world)
    for key in ("volunteers", "elders"):
        found.warnings += _duplicates(world, key)
        found.warnings += _personal_ids(world, key)
    found.warnings += _outliers(world, area)
    found.warnings += _idle_relations(world, schedule_rules)
    return found


def _kind(path: Path) -> str:
    columns = set(read_header(path))
    if {VOLUNTEER_ID, ELDER_ID} <= columns:
        if "relation" in columns:
            return "relations"
        if columns & {"distance_km", "weekly_minutes"}:
            return "pairs"
    elif VOLUNTEER_ID in columns:
        return "volunteers"
    elif ELDER_ID in columns:
        return "elders"
    name = path.name.lower()
    for kind, words in _NAME_HINTS.items():
        if any(word in name for word in words):
            return kind
    raise InputError.one(path.name, "input.unknown_file")


def _read(tables: dict[str, Path], coords: str | Mapping[str, str], rules: Rules,
          found: Diagnosis, streets: Path | None = None) -> World | None:
    """Read the world; a missing volunteers or elders file is stood in for by an empty one,
    so that either file can be checked alone."""
    blank = {"volunteers": pd.DataFrame({VOLUNTEER_ID: [], "lat": [], "lon": []}),
             "elders": pd.DataFrame({ELDER_ID: [], "lat": [], "lon": []})}
    try:
        return read_world(tables.get("volunteers", blank["volunteers"]),
                          tables.get("elders", blank["elders"]),
                          tables.get("relations"), tables.get("pairs"), rules=rules,
                          coords=coords, streets=streets)
    except InputError as exc:
        found.problems += exc.problems
        return None


def _file(world: World, key: str) -> str:
    return world.names.get(key, f"{key}.csv")


def _row(world: World, key: str, index: int) -> int:
    frame = world.sources.get(key)
    return int(frame.index[index]) if frame is not None else index + 2


def _unreachable(world: World) -> list[InputIssue]:
    if not len(world.elders) or not len(world.volunteers):
        return []
    problem = build_problem(world)
    v = problem.arc_v
    alone = (problem.cap_count[v] > 0) & (problem.arc_load <= problem.cap_load[v])
    served = np.zeros(problem.num_elders, dtype=bool)
    served[problem.arc_e[alone]] = True
    reasons = unassigned_reasons(problem, np.zeros(problem.num_arcs, dtype=bool))
    ids = world.elders.elder_id
    return [InputIssue(_file(world, "elders"), "input.unreachable", _row(world, "elders", e),
                       ELDER_ID, str(ids[e]), why=reasons[e].part())
            for e in np.flatnonzero(~served).tolist()]


def _plain(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _digits(text: object) -> str:
    return re.sub(r"\D", "", str(text))


def _duplicates(world: World, key: str) -> list[InputIssue]:
    id_column = ID_COLUMNS[key]
    people: Volunteers | Elders = world.volunteers if key == "volunteers" else world.elders
    names = [_plain(n) for n in people.name]
    ids = people.ids.tolist()
    out: list[InputIssue] = []
    for other, label in (("phone", "doctor.phone"), ("address", "doctor.address")):
        if not people.has(other):
            continue
        norm = _digits if other == "phone" else _plain
        first: dict[tuple[str, str], int] = {}
        for i, (name, value) in enumerate(zip(names, people.column(other), strict=True)):
            value = norm(value)
            if not name or not value:
                continue
            j = first.setdefault((name, value), i)
            if j != i and ids[j] != ids[i]:
                out.append(InputIssue(_file(world, key), "input.same_person",
                                      _row(world, key, i), id_column, str(ids[i]),
                                      other=str(ids[j]), row_other=_row(world, key, j),
                                      label=label))
    return _unique(out)


def _personal_ids(world: World, key: str) -> list[InputIssue]:
    """Ids that look like a phone or identity-card number: they would travel into every
    output, even a pseudonymised one."""
    id_column = ID_COLUMNS[key]
    people: Volunteers | Elders = world.volunteers if key == "volunteers" else world.elders
    ids = [str(i) for i in people.ids]
    looks = np.array([PERSONAL_ID.fullmatch(i) is not None for i in ids], dtype=bool)
    return [InputIssue(_file(world, key), "input.personal_id", _row(world, key, i), id_column,
                       ids[i])
            for i in np.flatnonzero(looks).tolist()]


def _unique(items: list[InputIssue]) -> list[InputIssue]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for item in items:
        key = (item.file, item.row, item.column)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _outliers(world: World, area: tuple[float, float, float] | None) -> list[InputIssue]:
    """Points outside ``area``, or else points with nobody else within
    :data:`ISOLATED_KM` (a point copied from the wrong town, or with its digits slipped)."""
    lats = np.concatenate([world.volunteers.lat, world.elders.lat])
    lons = np.concatenate([world.volunteers.lon, world.elders.lon])
    located = np.flatnonzero(~np.isnan(lats))
    if len(located) < 2 and area is None:
        return []
    far = np.full(len(lats), np.nan)
    if area is not None:
        centre_lat, centre_lon, radius = area
        far = geo.haversine_km(lats, lons, np.full(len(lats), centre_lat),
                               np.full(len(lats), centre_lon))
        flagged = far > radius
    else:
        tree = cKDTree(geo.unit_vectors(lats[located], lons[located]))
        _, nearest = tree.query(geo.unit_vectors(lats[located], lons[located]), k=2)
        other = located[nearest[:, 1]]
        far[located] = geo.haversine_km(lats[located], lons[located], lats[other],
                                        lons[other])
        flagged = far > ISOLATED_KM
    out = []
    offset = len(world.volunteers)
    for i in np.flatnonzero(flagged).tolist():
        key, j = ("volunteers", i) if i < offset else ("elders", i - offset)
        file, row, value = _file(world, key), _row(world, key, j), f"{lats[i]:g}, {lons[i]:g}"
        if area is not None:
            out.append(InputIssue(file, "input.far_from_area", row, "lat", value,
                                  radius=area[2], lat=area[0], lon=area[1], km=float(far[i])))
        else:
            out.append(InputIssue(file, "input.far_from_everyone", row, "lat", value,
                                  km=float(far[i])))
    return out


def _idle_relations(world: World, schedule_rules: ScheduleRules) -> list[InputIssue]:
    source = world.sources.get("relations")
    if source is None or not len(source):
        return []
    rules = world.rules
    vols, elds = world.volunteers, world.elders
    v = vols.rows(source[VOLUNTEER_ID])
    e = elds.rows(source[ELDER_ID])
    reach = max(rules.max_kin_km, schedule_rules.service_km)
    km = world.distances.between(vols.lat[v], vols.lon[v], elds.lat[e], elds.lon[e], reach)
    if world.pairs is not None and len(world.pairs):
        given = dict(zip(zip(world.pairs.volunteer_id, world.pairs.elder_id, strict=True),
                         world.pairs.distance_km, strict=True))
        for i, pair in enumerate(zip(source[VOLUNTEER_ID], source[ELDER_ID],
                                     strict=True)):
            if not np.isnan(given.get(pair, np.nan)):
                km[i] = given[pair]
    eligibility = Eligibility.from_world(world)
    kinds = [parse.parse_relation(text) for text in source["relation"]]
    name = _file(world, "relations")
    out: list[InputIssue] = []
    pair_kinds: dict[tuple[str, str], set[str]] = {}
    for i, (row, kind) in enumerate(zip(source.index, kinds, strict=True)):
        pair = (str(source[VOLUNTEER_ID].iloc[i]), str(source[ELDER_ID].iloc[i]))
        pair_kinds.setdefault(pair, set()).add(kind)
        d = float(km[i])
        why = None
        if np.isnan(d):
            continue
        if kind == "kin" and d > rules.max_kin_km:
            why = {"code": "relation.kin_far", "params": {"km": d, "limit": rules.max_kin_km}}
        elif kind == "familiar":
            code = int(eligibility.codes(v[i:i + 1], e[i:i + 1], km[i:i + 1],
                                         rules.max_km)[0])
            if code != ELIGIBLE:
                why = {"code": "relation.familiar_ineligible",
                       "params": {"why": {"code": _WHY[code],
                                          "params": {"km": d, "limit": rules.max_km}}}}
        elif kind == "refuses" and d > reach:
            why = {"code": "relation.refusal_far", "params": {"km": d, "limit": reach}}
        if why is not None:
            # the cell as the file says it (熟人, not familiar), the people by name
            out.append(InputIssue(name, "input.relation_idle", int(row), "relation",
                                  str(source["relation"].iloc[i]).strip(),
                                  volunteer=called(vols, VOLUNTEER_ID, v[i], pair[0]),
                                  elder=called(elds, ELDER_ID, e[i], pair[1]), why=why))
    for (volunteer, elder), found in pair_kinds.items():
        if len(found) > 1:
            out.append(InputIssue(name, "input.relation_twice_refusal" if "refuses" in found
                                  else "input.relation_twice", column="relation",
                                  volunteer=called(vols, VOLUNTEER_ID,
                                                   int(vols.rows([volunteer])[0]),
                                                   volunteer),
                                  elder=called(elds, ELDER_ID,
                                               int(elds.rows([elder])[0]), elder),
                                  kinds=[f"relation.{k}" for k in sorted(found)]))
    return out


def called(people: Volunteers | Elders, key: str, at: int, given: str) -> dict[str, object]:
    """A person as a coordinator knows them, as a part of a message: their name with the id
    after it (``王芳（V00034）``), or the id alone when the file gives no name."""
    name = str(people.name[at] or "").strip() if at >= 0 else ""
    if name and name != "nan":
        return Reason("person.named", {"name": name, "id": given}).part()
    return Reason("person.id", {"id": given}).part()


#: Why a familiar pair may not serve anyway, by eligibility code (the catalogue's words).
_WHY = {TOO_FAR: "relation.too_far", REFUSES: "relation.also_refuses",
        GENDER: "relation.other_gender", NO_SHARED_DAY: "relation.no_shared_day"}
