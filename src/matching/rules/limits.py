"""How large an input file may be, measured before it is parsed.

A spreadsheet is a zip of XML: a 5 MB ``.xlsx`` can expand to a million rows and take a
parser a minute and more than a gigabyte. So before any parser sees a file, its size is
measured cheaply: a workbook by its members' declared sizes (``zipfile`` never reads past
them) and its sheets' ``<dimension>`` (or, where a writer left that out, by counting rows in
a stream), and a CSV file by its bytes and lines. A file over a limit is refused with one
plain sentence, in bounded time and memory.

Two sets of limits: :data:`COMMAND_LINE` fits a province's roster and a city's year of
schedule, read by the command line; :data:`UPLOAD` fits a county, and is what the web
console accepts from a browser.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from matching.rules.errors import InputError


@dataclass(frozen=True)
class ReadLimits:
    """The largest file a reader accepts.

    Attributes
    ----------
    rows
        Rows of the table (a CSV file's lines, a workbook's largest sheet).
    expanded_bytes
        Bytes of the file once expanded (a CSV file's own size; a workbook's members, as
        its zip directory declares them).
    """

    rows: int
    expanded_bytes: int


MIB = 2**20

#: What the command line reads: 10 million rows (a city's quarter of schedule is 2 million)
#: and 4 GiB.
COMMAND_LINE = ReadLimits(rows=10_000_000, expanded_bytes=4096 * MIB)

#: What the web console accepts in an upload: 100,000 rows (a county has a few thousand
#: people) and 64 MiB expanded (a 100,000-row roster with twenty columns is about 40 MiB).
UPLOAD = ReadLimits(rows=100_000, expanded_bytes=64 * MIB)

#: Suffixes of workbooks that are zip archives of XML.
ZIPPED_SUFFIXES = (".xlsx", ".xlsm", ".ods")

#: Bytes read at a time when a sheet's rows are counted in a stream.
CHUNK_BYTES = MIB

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d+(?::[A-Z]*(\d+))?"')
_ROW = re.compile(rb"<(?:\w+:)?(?:row|table-row)(?=[\s>/])(?:[^>]*?\sr=\"(\d+)\")?")
#: Bytes kept from one chunk to the next, longer than any row tag's start.
TAG_OVERLAP = 64


def measure(path: Path, limits: ReadLimits) -> tuple[int, int]:
    """``(rows, expanded bytes)`` of a table file, without parsing it. Rows are counted only
    while the file is within ``limits`` (up to ``limits.rows + 1``), and may be an upper
    bound (a CSV cell may hold a line break).

    Raises
    ------
    InputError
        If a workbook is not a readable zip archive.
    """
    suffix = path.suffix.lower()
    if suffix not in ZIPPED_SUFFIXES:
        size = path.stat().st_size
        if size > limits.expanded_bytes:
            return 0, size
        with path.open("rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(CHUNK_BYTES), b""))
        return lines + 1, size
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            expanded = sum(m.file_size for m in members)
            if expanded > limits.expanded_bytes:
                return 0, expanded
            rows = max((_sheet_rows(archive, m, limits.rows) for m in members
                        if _is_sheet(m.filename)), default=0)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError.one(path.name, "input.not_a_workbook", detail=str(exc)) from None
    return rows, expanded


def check(path: Path, limits: ReadLimits) -> None:
    """Refuse a file over ``limits`` before it is parsed.

    Raises
    ------
    InputError
        Naming the file, its size and the limit.
    """
    rows, expanded = measure(path, limits)
    if expanded > limits.expanded_bytes:
        raise InputError.one(path.name, "input.too_big", expanded=expanded / MIB,
                             most=limits.expanded_bytes / MIB)
    if rows > limits.rows:
        raise InputError.one(path.name, "input.too_many_rows", most=limits.rows)


def _is_sheet(name: str) -> bool:
    """Whether a zip member holds a sheet's rows (.xlsx worksheets, .ods content)."""
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name == "content.xml"


def _sheet_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo, most: int) -> int:
    """Rows of one sheet, counted in a stream up to ``most + 1``: a ``<dimension>`` that
    says more is believed at once; one that says fewer is not (a writer may lie), and a row
    numbered ``r="1000000"`` counts as a million rows, as a parser would fill them in."""
    with archive.open(member) as stream:
        head = stream.read(4096)
        found = _DIMENSION.search(head)
        if found is not None and int(found.group(1) or 1) > most:
            return int(found.group(1) or 1)
        rows, tail, chunk = 0, b"", head
        while chunk and rows <= most:
            # a tag cut between two chunks is seen whole in the overlap, and counted once
            window = tail + chunk
            tags = _ROW.findall(window)
            rows = max(rows + len(tags) - len(_ROW.findall(tail)),
                       max((int(number) for number in tags if number), default=0))
            tail, chunk = window[-TAG_OVERLAP:], stream.read(CHUNK_BYTES)
        return rows


#: The longest a coordinator's contact (name and phone, printed on every rota) may be.
CONTACT_CHARS = 80


def fit_contact(text: str) -> bool:
    """Whether ``text`` may be printed as a coordinator's contact: one printable line of
    at most :data:`CONTACT_CHARS` characters."""
    return len(text) <= CONTACT_CHARS and text.isprintable()


#: A map tile server's URL template: http(s), a host, and the {z}, {x} and {y} places.
_TILE_URL = re.compile(r"https?://[A-Za-z0-9.\-{}]+(:\d+)?/[\w.\-~/{}%]*")


def tile_url(text: str, where: str = "--tiles") -> str:
    """``text`` if it is a tile URL template (``https://host/{z}/{x}/{y}.png``), else an
    InputError naming ``where``: nothing but a plain http(s) address reaches a page."""
    if not (_TILE_URL.fullmatch(text) and all(p in text for p in ("{z}", "{x}", "{y}"))):
        raise InputError.one(where, "input.not_tile_url", given=text)
    return text
