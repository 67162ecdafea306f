"""Read and validate the input files (CSV in UTF-8, UTF-8 with BOM or GBK; or ``.xlsx``).

Every problem in a file is collected and reported at once, each naming the file, the
spreadsheet row (the header is row 1), the column, the value and what was expected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from python_calamine import CalamineError

from matching.rules.distance import DistanceRules
from matching.rules.errors import CellError, InputError, InputIssue
from matching.rules.ids import PERSON_ID_COLUMNS, case_twins, id_problem, normalise_id
from matching.rules.limits import COMMAND_LINE, MIB, STREETS_BYTES, ReadLimits
from matching.rules.limits import check as limits_check
from matching.rules.pairing import Rules
from matching.world import geo, parse
from matching.world.columns import (
    ELDER_ID,
    ID_COLUMNS,
    TOWNSHIP,
    VOLUNTEER_ID,
    canonical_columns,
    unguard,
)
from matching.world.coords import to_wgs84
from matching.world.distances import Distances
from matching.world.model import World
from matching.world.streets import StreetGraph, load_streets
from matching.world.tables import Elders, Pairs, Relations, Volunteers

PathLike = str | Path


#: Separators a CSV may use: Excel in many locales writes ``;``, "Unicode text" and WPS ``\t``.
SEPARATORS = (",", ";", "\t", "|")

#: Workbook suffixes read through calamine (old Excel, OpenDocument), and openpyxl's own.
CALAMINE_SUFFIXES = (".xls", ".xlsb", ".ods")

#: What a workbook that cannot be read raises (calamine's own error is not a ValueError).
WORKBOOK_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, KeyError, CalamineError)
OPENPYXL_SUFFIXES = (".xlsx", ".xlsm")


def read_table(path: PathLike, own_id: str | None = None,
               limits: ReadLimits = COMMAND_LINE) -> pd.DataFrame:
    """Read a CSV or spreadsheet file as text cells (ids stay text: ``007`` stays ``007``).

    CSV may be UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (Excel's "Unicode text"),
    separated by commas, semicolons, tabs or bars (found from the header row). Workbooks
    may be ``.xlsx``, ``.xls`` or ``.ods`` (the first sheet). Headers are mapped to the
    contract's names (``姓名`` -> ``name``, see :mod:`matching.world.columns`; ``own_id`` names the
    column that ``编号`` means in this file); cells are stripped; blank cells are ``""``.
    Wholly blank rows and rows that repeat the header are dropped. The index holds the
    spreadsheet row number of each row. Every id column is held to the rule of
    :mod:`matching.rules.ids`. A file larger than ``limits`` (rows, or bytes once expanded) is
    refused before it is parsed (:mod:`matching.rules.limits`).

    Raises
    ------
    InputError
        If the file is missing, empty, too large, not text in a known encoding, or not a
        well-formed table, or an id breaks the id rule.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError.one(name, "input.file_not_found", path=str(path))
    limits_check(path, limits)
    suffix = path.suffix.lower()
    try:
        if suffix in OPENPYXL_SUFFIXES:
            frame = pd.read_excel(path, dtype=str, engine="openpyxl")
        elif suffix in CALAMINE_SUFFIXES:
            frame = _read_calamine(path)
        else:
            frame = _read_csv(name, _decode(path))
    except InputError:
        raise
    except WORKBOOK_ERRORS as exc:
        raise InputError.one(name, "input.not_a_workbook", detail=str(exc)) from None
    return _clean(frame, name, own_id)


def read_header(path: PathLike) -> list[str]:
    """The contract names of a file's columns, without reading its rows (``编号``, whose
    meaning depends on the file, stays as it is).

    Raises
    ------
    InputError
        As :func:`read_table`.
    """
    path = Path(path)
    if path.suffix.lower() in OPENPYXL_SUFFIXES + CALAMINE_SUFFIXES:
        return list(read_table(path).columns)
    if not path.is_file():
        raise InputError.one(path.name, "input.file_not_found", path=str(path))
    text = _decode(path)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(SEPARATORS, key=first_line.count)
    header = next(csv.reader(io.StringIO(first_line), delimiter=separator), [])
    names, _ = canonical_columns(header)
    return names


def _read_calamine(path: Path) -> pd.DataFrame:
    try:
        import python_calamine  # noqa: F401  (pandas' calamine engine needs it)
    except ImportError:
        raise InputError.one(path.name, "input.needs_calamine", suffix=path.suffix) from None
    return pd.read_excel(path, dtype=str, engine="calamine")


def _read_csv(name: str, text: str) -> pd.DataFrame:
    """Parse CSV text with the standard library, so that ragged rows are caught, not guessed."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(SEPARATORS, key=first_line.count)
    # A long comment or address must not stop the read: the csv module's default cap is
    # 128 KiB per field.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as exc:
        raise InputError.one(name, "input.bad_csv", detail=str(exc)) from None
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise InputError.one(name, "input.empty_file")
    header, body = rows[0], rows[1:]
    problems = []
    for number, row in enumerate(body, start=2):
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            problems.append(InputIssue(name, "input.ragged_row", number, cells=len(row),
                                       header=len(header)))
    if problems:
        raise InputError(problems)
    width = len(header)
    body = [(row + [""] * width)[:width] for row in body]
    return pd.DataFrame(body, columns=header, dtype=object)


#: Encodings tried in order after a byte-order mark has had its say.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\0" in raw[:4096]:
        # UTF-16 without its mark: UTF-8 and GBK text never holds a zero byte
        head = raw[:4096]
        little = head[1::2].count(0) >= head[0::2].count(0)
        encodings = ("utf-16-le",) if little else ("utf-16-be",)
    else:
        encodings = TEXT_ENCODINGS
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError.one(path.name, "input.not_text")


def _cells_of(column: pd.Series) -> np.ndarray:
    """A column's cells as stripped text, a formula guard taken off where one was put."""
    # a plain loop beats pandas' string methods here by ~8x (object arrays, no Arrow)
    text = [str(v).strip() for v in column.to_numpy(dtype=object)]
    return np.array([unguard(t) if t[:1] == "'" else t for t in text], dtype=object)


def _clean(frame: pd.DataFrame, name: str = "table", own_id: str | None = None
           ) -> pd.DataFrame:
    frame = frame.astype(object).where(frame.notna(), "")
    headers = [str(c) for c in frame.columns]
    columns, clashes = canonical_columns(headers, own_id)
    if clashes:
        raise InputError([InputIssue(name, "input.columns_clash", a=a, b=b, meaning=meaning)
                          for a, b, meaning in clashes])
    frame.columns = columns
    frame = pd.DataFrame({i: _cells_of(frame.iloc[:, i]) for i in range(frame.shape[1])},
                         index=frame.index).set_axis(columns, axis=1)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    blank = (frame == "").all(axis=1)
    # A header pasted again mid-file (two sheets copied one under the other).
    stripped = [h.strip() for h in headers]
    repeated = (frame == stripped).all(axis=1) if len(frame) else blank
    frame = frame.loc[~(blank | repeated)]
    return _checked_ids(frame, name)


def _checked_ids(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Every id column normalised (NFC) and held to the id rule of :mod:`matching.rules.ids`;
    every id that breaks it is a problem naming its row, column and value."""
    problems = []
    for column in [c for c in frame.columns if c in PERSON_ID_COLUMNS]:
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        fixed = np.array([normalise_id(u) for u in uniques.tolist()], dtype=object)
        wrong = {i: found for i, u in enumerate(fixed.tolist())
                 if u and (found := id_problem(u)) is not None}
        if wrong:
            rows = frame.index.to_numpy()
            for i in np.flatnonzero(np.isin(codes, list(wrong))).tolist():
                code, params = wrong[int(codes[i])]
                problems.append(InputIssue(name, code, int(rows[i]), column,
                                           _shown(str(uniques[codes[i]])), **params))
        if len(fixed) and (fixed != np.asarray(uniques, dtype=object)).any():
            frame = frame.copy()
            frame[column] = fixed[codes]
    problems += _case_twins(frame, name)
    if problems:
        raise InputError(problems)
    return frame


def _case_twins(frame: pd.DataFrame, name: str) -> list[InputIssue]:
    """An id of the file that differs from another only in case, in any id column, named
    at its first row with the row of the first spelling."""
    columns = [c for c in frame.columns if c in PERSON_ID_COLUMNS]
    if not columns:
        return []
    cells = pd.concat([pd.DataFrame({"id": frame[c].to_numpy(dtype=object), "column": c,
                                     "row": frame.index.to_numpy()}) for c in columns])
    cells = cells[cells["id"] != ""].sort_values(["row"], kind="stable")
    firsts = cells.drop_duplicates("id")
    ids = firsts["id"].tolist()
    rows, where = firsts["row"].tolist(), firsts["column"].tolist()
    return [InputIssue(name, "input.id_case_twin", int(rows[i]), where[i], _shown(ids[i]),
                       other=ids[j], first_row=int(rows[j]))
            for i, j in case_twins(ids).items()]


#: How much of a refused value a message quotes.
SHOWN_CHARACTERS = 80


def _shown(value: str) -> str:
    """A refused cell as a message may quote it: its invisible characters made visible as
    ``<U+200B>``, and cut to :data:`SHOWN_CHARACTERS`."""
    text = "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in value)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"


def _as_text_frame(frame: pd.DataFrame, name: str, own_id: str | None = None
                   ) -> pd.DataFrame:
    """A DataFrame given directly (notebooks) gets the same treatment as a file."""
    frame = frame.reset_index(drop=True)
    return _clean(frame, name, own_id)


@dataclass
class _Cells:
    """Validates the columns of one table, collecting problems."""

    file: str
    frame: pd.DataFrame
    problems: list[InputIssue] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def require(self, *columns: str, why: str = "input.column_missing") -> bool:
        ok = True
        for column in columns:
            if not self.has(column):
                self.problems.append(InputIssue(self.file, why, name=column))
                ok = False
        return ok

    def text(self, column: str) -> pd.Series:
        if not self.has(column):
            return pd.Series("", index=self.frame.index, dtype=object)
        return self.frame[column].astype(object)

    def parsed(self, column: str, parser: Callable[[str], Any], default: Any) -> pd.Series:
        """Apply ``parser`` to every non-blank cell; blanks get ``default``.

        Each distinct cell is parsed once (a column of days or yes/no holds a handful of
        spellings over 100,000 rows).
        """
        codes, uniques = pd.factorize(self.text(column).to_numpy(dtype=object))
        results = np.empty(len(uniques), dtype=object)
        failed: dict[int, CellError] = {}
        for i, cell in enumerate(uniques.tolist()):
            if cell == "":
                results[i] = default
                continue
            try:
                results[i] = parser(cell)
            except CellError as exc:
                failed[i] = exc
                results[i] = default
        if failed:
            self._report(column, codes, failed)
        values = results[codes] if len(codes) else np.empty(0, dtype=object)
        return pd.Series(values, index=self.frame.index, dtype=object)

    def _report(self, column: str, codes: np.ndarray, failed: dict[int, CellError]) -> None:
        """One problem per row whose cell failed, in row order."""
        text = self.text(column).to_numpy(dtype=object)
        rows = self.frame.index.to_numpy()
        for i in np.flatnonzero(np.isin(codes, list(failed))).tolist():
            error = failed[int(codes[i])]
            self.problems.append(InputIssue(self.file, error.code, int(rows[i]), column, text[i],
                                            **error.params))

    def number(
        self,
        column: str,
        default: float,
        *,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        low_open: bool = False,
        unreachable: bool = False,
    ) -> np.ndarray:
        def check(cell: str) -> float:
            if unreachable and cell.strip().lower() in UNREACHABLE_WORDS:
                return float("inf")
            value = parse.parse_number(cell)
            if integer and not float(value).is_integer():
                raise CellError("input.not_whole_number")
            if low is not None and (value < low or (low_open and value == low)):
                raise _out_of_range(low, high, low_open)
            if high is not None and value > high:
                raise _out_of_range(low, high, low_open)
            return value

        text = self.text(column)
        fast = pd.to_numeric(text.where(text != "", "nan"), errors="coerce").to_numpy(float)
        ok = np.isfinite(fast)
        if integer:
            ok &= fast == np.round(fast)
        if low is not None:
            ok &= (fast > low) if low_open else (fast >= low)
        if high is not None:
            ok &= fast <= high
        blank = (text == "").to_numpy()
        out = np.where(ok, fast, default).astype(float)
        slow = ~ok & ~blank
        if slow.any():  # the rest one by one: odd spellings, or the problem to report
            rest = _Cells(self.file, self.frame[slow])
            out[slow] = rest.parsed(column, check, default).to_numpy(dtype=float)
            self.problems += rest.problems
        return out

    def ids(self, column: str, what: str) -> pd.Series:
        values = self.text(column)
        rows = self.frame.index.to_numpy()
        text = values.to_numpy(dtype=object)
        for i in np.flatnonzero(text == "").tolist():
            self.problems.append(InputIssue(self.file, f"input.empty_{what}_id", int(rows[i]),
                                            column))
        repeated = values.duplicated(keep="first").to_numpy() & (text != "")
        if repeated.any():
            first = {cell: int(row) for row, cell in zip(rows[::-1], text[::-1], strict=True)}
            for i in np.flatnonzero(repeated).tolist():
                self.problems.append(InputIssue(self.file, "input.duplicate_id", int(rows[i]),
                                                column, text[i], name=column,
                                                first=first[text[i]]))
        return values


def _out_of_range(low: float | None, high: float | None, low_open: bool) -> CellError:
    """A number outside ``[low, high]`` (``(low, ...`` with ``low_open``)."""
    if low is not None and high is not None:
        return CellError("input.out_of_range", low=low, high=high)
    if low is not None:
        return CellError("input.more_than" if low_open else "input.at_least", low=low)
    return CellError("input.at_most", high=high or 0)


#: The ranges of latitude and longitude in degrees.
MAX_LAT, MAX_LON = 90.0, 180.0


def _coordinates(cells: _Cells, need: bool) -> tuple[np.ndarray, np.ndarray]:
    if need and not cells.require("lat", "lon", why="input.column_missing_coordinates"):
        return np.full(len(cells.frame), np.nan), np.full(len(cells.frame), np.nan)
    if cells.has("lat") != cells.has("lon"):
        cells.require("lat", "lon", why="input.column_missing_other_coordinate")
        return np.full(len(cells.frame), np.nan), np.full(len(cells.frame), np.nan)
    lat = cells.number("lat", np.nan)
    lon = cells.number("lon", np.nan)
    rows = cells.frame.index.to_numpy()
    lat_text = cells.text("lat").to_numpy(dtype=object)
    lon_text = cells.text("lon").to_numpy(dtype=object)
    with np.errstate(invalid="ignore"):
        bad_lat, bad_lon = np.abs(lat) > MAX_LAT, np.abs(lon) > MAX_LON
    for i in np.flatnonzero(bad_lat | bad_lon).tolist():
        if bad_lat[i]:
            swapped = abs(lon[i]) <= MAX_LAT
            cells.problems.append(InputIssue(
                cells.file, "input.latitude_swapped" if swapped else "input.out_of_range",
                int(rows[i]), "lat", lat_text[i], low=-MAX_LAT, high=MAX_LAT))
        if bad_lon[i]:
            cells.problems.append(InputIssue(cells.file, "input.out_of_range", int(rows[i]),
                                             "lon", lon_text[i], low=-MAX_LON, high=MAX_LON))
    blank_lat, blank_lon = lat_text == "", lon_text == ""
    for i in np.flatnonzero((blank_lat != blank_lon) | (blank_lat & need)).tolist():
        if blank_lat[i] != blank_lon[i]:
            column = "lat" if blank_lat[i] else "lon"
            cells.problems.append(InputIssue(cells.file, "input.coordinate_half", int(rows[i]),
                                             column))
        else:
            cells.problems.append(InputIssue(cells.file, "input.coordinate_empty", int(rows[i]),
                                             "lat"))
    return lat, lon


def _townships(frames: dict[str, pd.DataFrame]) -> list[InputIssue]:
    """Each community lies in one township (乡镇/街道): a row naming another is bad input;
    a row leaving it blank gets its community's (so one row per community is enough).
    Both frames get a ``township`` column when either file has one."""
    if not any(TOWNSHIP in frame.columns for frame in frames.values()):
        return []
    first: dict[str, tuple[str, str, int]] = {}
    problems = []
    for name, frame in frames.items():
        if TOWNSHIP not in frame.columns:
            continue
        cells = frame[TOWNSHIP].astype(str).str.strip()
        for i, (community, township) in enumerate(zip(frame["community"].astype(str), cells,
                                                      strict=True)):
            if not township:
                continue
            seen = first.setdefault(community, (township, name, i + 2))
            if seen[0] != township:
                problems.append(InputIssue(name, "input.township_conflict", i + 2, TOWNSHIP,
                                           _shown(township), community=community,
                                           township=seen[0], first=seen[2],
                                           first_file=seen[1]))
    for frame in frames.values():
        given = (frame[TOWNSHIP].astype(str).str.strip() if TOWNSHIP in frame.columns
                 else pd.Series("", index=frame.index))
        known = frame["community"].astype(str).map(lambda c: first.get(c, ("",))[0])
        frame[TOWNSHIP] = given.where(given != "", known)
    return problems


def read_world(
    volunteers: PathLike | pd.DataFrame,
    elders: PathLike | pd.DataFrame,
    relations: PathLike | pd.DataFrame | None = None,
    pairs: PathLike | pd.DataFrame | None = None,
    rules: Rules | None = None,
    *,
    geocode_cache: PathLike | None = None,
    geocoder: geo.Geocoder | None = None,
    coords: str | Mapping[str, str] = "wgs84",
    streets: PathLike | None = None,
    distance: DistanceRules | None = None,
) -> World:
    """Read and validate the inputs of a plan.

    Each of the four tables is a path (CSV or ``.xlsx``) or a DataFrame already in memory.
    ``coords`` is the coordinate system the files' ``lat``/``lon`` are in (``wgs84``,
    ``gcj02`` from Amap or Tencent, ``bd09`` from Baidu), one for both files or one per
    file (``{"volunteers": "gcj02", "elders": "bd09"}``); they are converted to WGS-84 on
    reading, in the world and in its ``sources``. With ``geocode_cache`` set, rows
    without coordinates but with an ``address`` get coordinates from a geocoder
    (OpenStreetMap by default) through that on-disk cache.

    With ``streets`` (an OpenStreetMap extract), distances are walked on its streets;
    without, they are the straight line times ``distance.detour_factor`` (1 by default).

    Raises
    ------
    InputError
        Listing every problem found, each with file, row, column, value and what was expected.
    """
    rules = rules or Rules()
    names = {
        "volunteers": _name(volunteers, "volunteers.csv"),
        "elders": _name(elders, "elders.csv"),
        "relations": _name(relations, "relations.csv"),
        "pairs": _name(pairs, "pairs.csv"),
    }
    problems: list[InputIssue] = []
    tables: dict[str, pd.DataFrame | None] = {}
    for key, source in (("volunteers", volunteers), ("elders", elders),
                        ("relations", relations), ("pairs", pairs)):
        if source is None:
            tables[key] = None
            continue
        try:
            tables[key] = (_as_text_frame(source, names[key], ID_COLUMNS.get(key))
                           if isinstance(source, pd.DataFrame)
                           else read_table(source, ID_COLUMNS.get(key)))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    if geocode_cache is not None:
        for key in ("volunteers", "elders"):
            tables[key] = _geocode(tables[key], Path(geocode_cache), geocoder)
    have_pairs = tables["pairs"] is not None
    vol_cells = _Cells(names["volunteers"], tables["volunteers"])
    eld_cells = _Cells(names["elders"], tables["elders"])
    vols = _volunteers(vol_cells, rules, need_coordinates=not have_pairs)
    elds = _elders(eld_cells, rules, need_coordinates=not have_pairs)
    for key, frame in (("volunteers", vols), ("elders", elds)):
        system = coords if isinstance(coords, str) else coords.get(key, "wgs84")
        if system != "wgs84":
            tables[key] = _convert_coordinates(frame, tables[key], system)
    problems = vol_cells.problems + eld_cells.problems
    problems += _townships({names["volunteers"]: vols, names["elders"]: elds})
    vol_ids, eld_ids = set(vols[VOLUNTEER_ID]), set(elds[ELDER_ID])
    rels = pd.DataFrame(columns=[VOLUNTEER_ID, ELDER_ID, "relation"])
    notices: list[InputIssue] = []
    if tables["relations"] is not None:
        cells = _Cells(names["relations"], tables["relations"])
        rels, notices = _relations(cells, vol_ids, eld_ids)
        problems += cells.problems
    measured = None
    if tables["pairs"] is not None:
        cells = _Cells(names["pairs"], tables["pairs"])
        measured = _pairs(cells, vol_ids, eld_ids, vols, elds)
        problems += cells.problems
    if problems:
        raise InputError(problems)
    sources = {k: v for k, v in tables.items() if v is not None}
    distances = Distances(distance or DistanceRules(), *_streets(streets))
    return World(Volunteers.of(vols), Elders.of(elds), Relations.of(rels),
                 None if measured is None else Pairs.of(measured), rules, names, sources,
                 distances, tuple(notices))


def _streets(extract: PathLike | None) -> tuple[StreetGraph | None, Path | None]:
    """The street graph of an extract, or an input error naming the file."""
    if extract is None:
        return None, None
    path = Path(extract)
    if not path.is_file():
        raise InputError([InputIssue(path.name, "input.streets_missing")])
    if path.stat().st_size > STREETS_BYTES:
        raise InputError([InputIssue(path.name, "input.streets_too_large",
                                     most=STREETS_BYTES // MIB)])
    try:
        graph = load_streets(path)
    except (RuntimeError, OSError) as exc:
        raise InputError([InputIssue(path.name, "input.streets_unreadable",
                                     error=str(exc).splitlines()[0][:200])]) from None
    if graph.num_edges == 0:
        raise InputError([InputIssue(path.name, "input.streets_empty")])
    return graph, path


#: What pairs.csv writes for a pair no walk joins within the search (out of reach): read back
#: as an infinite distance.
UNREACHABLE_WORDS = ("inf", "infinity", "∞")

#: Decimal places of a converted coordinate in ``inputs/`` (1e-7 degrees is about 1 cm).
CONVERTED_DECIMALS = 7


def _convert_coordinates(frame: pd.DataFrame, source: pd.DataFrame, system: str) -> pd.DataFrame:
    """Convert ``frame``'s lat/lon (in place) and return ``source`` with the same figures."""
    lat, lon = to_wgs84(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float), system)
    frame["lat"], frame["lon"] = lat, lon
    return _with_coordinates(source, lat, lon)


def _with_coordinates(table: pd.DataFrame, lat: np.ndarray, lon: np.ndarray) -> pd.DataFrame:
    table = table.copy()
    for column, values in (("lat", lat), ("lon", lon)):
        if column in table.columns:
            table[column] = [("" if np.isnan(v) else f"{v:.{CONVERTED_DECIMALS}f}")
                             for v in values]
    return table


def table_in_wgs84(table: pd.DataFrame, system: str) -> pd.DataFrame:
    """A table of text cells (as :func:`read_table` gives) with its ``lat``/``lon`` converted
    from ``system`` to WGS-84; cells that are not numbers are left blank, for the reader to
    report. A table without coordinates is returned as it is."""
    if system == "wgs84" or not {"lat", "lon"} <= set(table.columns):
        return table
    lat, lon = to_wgs84(pd.to_numeric(table["lat"], errors="coerce").to_numpy(float),
                        pd.to_numeric(table["lon"], errors="coerce").to_numpy(float), system)
    return _with_coordinates(table, lat, lon)


def _geocode(frame: pd.DataFrame, cache: Path, geocoder: geo.Geocoder | None) -> pd.DataFrame:
    """Fill blank lat/lon from the address column."""
    if "address" not in frame.columns:
        return frame
    frame = frame.copy()
    for column in ("lat", "lon"):
        if column not in frame.columns:
            frame[column] = ""
    todo = (frame["lat"] == "") & (frame["lon"] == "") & (frame["address"] != "")
    if not todo.any():
        return frame
    found = geo.geocode_addresses(frame.loc[todo, "address"].tolist(), cache, geocoder)
    for row, hit in zip(frame.index[todo], found, strict=True):
        if hit is not None:
            frame.loc[row, "lat"], frame.loc[row, "lon"] = f"{hit[0]:.6f}", f"{hit[1]:.6f}"
    return frame


def _name(source: object, default: str) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return default


def _volunteers(cells: _Cells, rules: Rules, need_coordinates: bool) -> pd.DataFrame:
    out = cells.frame.copy()
    if cells.require(VOLUNTEER_ID):
        out[VOLUNTEER_ID] = cells.ids(VOLUNTEER_ID, "volunteer")
    else:
        out[VOLUNTEER_ID] = ""
    out["lat"], out["lon"] = _coordinates(cells, need_coordinates)
    out["gender"] = cells.parsed("gender", parse.parse_gender, "")
    out["age"] = cells.number("age", np.nan, low=0, high=130)
    out["max_elders"] = cells.number("max_elders", rules.default_max_elders, low=0,
                                     integer=True).astype(np.int64)
    out["weekly_minutes"] = cells.number("weekly_minutes", rules.default_weekly_minutes,
                                         low=0, high=7 * 24 * 60)
    out["day_mask"] = cells.parsed("available_days", parse.parse_days,
                                   parse.ALL_DAYS).astype(np.int64)
    out["skills"] = cells.parsed("skills", parse.parse_tags, ())
    out["away"] = cells.parsed("away", parse.parse_periods, ())
    out["preferred_times"] = cells.parsed("preferred_times", parse.parse_preferred_times, ())
    for column in ("name", "community", "phone"):
        out[column] = cells.text(column)
    return out


def _elders(cells: _Cells, rules: Rules, need_coordinates: bool) -> pd.DataFrame:
    out = cells.frame.copy()
    if cells.require(ELDER_ID):
        out[ELDER_ID] = cells.ids(ELDER_ID, "elder")
    else:
        out[ELDER_ID] = ""
    out["lat"], out["lon"] = _coordinates(cells, need_coordinates)
    out["gender"] = cells.parsed("gender", parse.parse_gender, "")
    out["age"] = cells.number("age", np.nan, low=0, high=130)
    out["lives_alone"] = cells.parsed("lives_alone", parse.parse_bool, False).astype(bool)
    out["low_income"] = cells.parsed("low_income", parse.parse_bool, False).astype(bool)
    default_priority = rules.default_priority(out["age"].to_numpy(dtype=float),
                                              out["lives_alone"].to_numpy(),
                                              out["low_income"].to_numpy())
    given = cells.number("priority", np.nan, low=1, high=1000, integer=True)
    out["priority"] = np.where(np.isnan(given), default_priority, given).astype(np.int64)
    out["visit_minutes"] = cells.number("visit_minutes", rules.default_visit_minutes, low=0,
                                        high=12 * 60, low_open=True)
    out["needs"] = cells.parsed("needs", parse.parse_tags, ())
    out["day_mask"] = cells.parsed("available_days", parse.parse_days,
                                   parse.ALL_DAYS).astype(np.int64)
    out["gender_preference"] = cells.parsed(
        "gender_preference", lambda t: parse.parse_gender(t, allow_any=True), "")
    out["birthday"] = cells.parsed("birthday", parse.parse_birthday, "")
    out["away"] = cells.parsed("away", parse.parse_periods, ())
    out["preferred_times"] = cells.parsed("preferred_times", parse.parse_preferred_times, ())
    for column in ("name", "community", "phone", "address"):
        out[column] = cells.text(column)
    return out


def _unknown_ids(cells: _Cells, column: str, known: set[str], what: str) -> pd.Series:
    values = cells.text(column)
    for row, cell in values.items():
        if cell == "":
            cells.problems.append(InputIssue(cells.file, "input.empty", int(row), column))
        elif cell not in known:
            cells.problems.append(InputIssue(cells.file, f"input.no_such_{what}", int(row),
                                             column, cell))
    return values


def _relations(cells: _Cells, vol_ids: set[str], eld_ids: set[str]
               ) -> tuple[pd.DataFrame, list[InputIssue]]:
    """The relations, and a notice of the rows skipped because they name someone the
    rosters do not have (a volunteer who has left, an elder who has died): a relations file
    outlives the rosters it was made with."""
    if not cells.require(VOLUNTEER_ID, ELDER_ID, "relation"):
        return pd.DataFrame(columns=[VOLUNTEER_ID, ELDER_ID, "relation"]), []
    volunteers, elders = cells.text(VOLUNTEER_ID), cells.text(ELDER_ID)
    for column, values in ((VOLUNTEER_ID, volunteers), (ELDER_ID, elders)):
        for row in values.index[values == ""]:
            cells.problems.append(InputIssue(cells.file, "input.empty", int(row), column))
    out = pd.DataFrame({VOLUNTEER_ID: volunteers, ELDER_ID: elders,
                        "relation": cells.parsed("relation", parse.parse_relation, "")})
    for row, cell in cells.text("relation").items():
        if cell == "":
            cells.problems.append(InputIssue(cells.file, "input.empty_relation", int(row),
                                             "relation"))
    unknown = ((volunteers != "") & ~volunteers.isin(vol_ids)) | \
        ((elders != "") & ~elders.isin(eld_ids))
    notices = []
    if unknown.any():
        notices.append(InputIssue(cells.file, "input.relations_unknown_skipped",
                                  int(unknown.index[unknown][0]), n=int(unknown.sum())))
    return out[~unknown].drop_duplicates().reset_index(drop=True), notices


def _pairs(cells: _Cells, vol_ids: set[str], eld_ids: set[str], vols: pd.DataFrame,
           elds: pd.DataFrame) -> pd.DataFrame:
    if not cells.require(VOLUNTEER_ID, ELDER_ID):
        return pd.DataFrame(columns=[VOLUNTEER_ID, ELDER_ID, "distance_km", "weekly_minutes"])
    if not (cells.has("distance_km") or cells.has("weekly_minutes")):
        cells.problems.append(InputIssue(cells.file, "input.needs_distance_or_minutes"))
    out = pd.DataFrame({
        VOLUNTEER_ID: _unknown_ids(cells, VOLUNTEER_ID, vol_ids, "volunteer"),
        ELDER_ID: _unknown_ids(cells, ELDER_ID, eld_ids, "elder"),
        "distance_km": cells.number("distance_km", np.nan, low=0, unreachable=True),
        "weekly_minutes": cells.number("weekly_minutes", np.nan, low=0, unreachable=True),
    })
    located_v = set(vols.loc[vols["lat"].notna(), VOLUNTEER_ID])
    located_e = set(elds.loc[elds["lat"].notna(), ELDER_ID])
    seen: dict[tuple[str, str], int] = {}
    for row, v, e, d in zip(out.index, out[VOLUNTEER_ID], out[ELDER_ID],
                            out["distance_km"], strict=True):
        if (v, e) in seen:
            cells.problems.append(InputIssue(cells.file, "input.repeated_pair", int(row),
                                             ELDER_ID, e, volunteer=v, elder=e,
                                             first=seen[v, e]))
        seen.setdefault((v, e), int(row))
        if np.isnan(d) and v in vol_ids and e in eld_ids and not (v in located_v and
                                                                   e in located_e):
            cells.problems.append(InputIssue(cells.file, "input.distance_uncomputable",
                                             int(row), "distance_km"))
    return out
