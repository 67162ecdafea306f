"""How large an input file may be, measured before it is parsed.

A spreadsheet is a zip of XML: a 5 MB ``.xlsx`` can expand to a million rows and take a
parser a minute and more than a gigabyte. So before any parser sees a file, its size is
measured cheaply: a workbook by its members' declared sizes (``zipfile`` never reads past
them), its sheets' ``<dimension>`` and, in a stream, the rows and the furthest cell that
its XML places (an .ods file's repeated rows and cells counted), and a CSV file by its
bytes, its lines (whatever ends them) and its widest line. Rows, columns and their
product, the cells a parser makes, each have a limit. A file over a limit is refused with
one plain sentence naming it, in bounded time and memory.

Two sets of limits: :data:`COMMAND_LINE` fits a province's roster and a city's year of
schedule, read by the command line; :data:`UPLOAD` fits a county, and is what the web
console accepts from a browser.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.rules.errors import InputError


@dataclass(frozen=True)
class ReadLimits:
    """The largest file a reader accepts.

    Attributes
    ----------
    rows
        Rows of the table (a CSV file's lines, whatever ends them; a workbook's largest
        sheet, its repeated rows counted).
    expanded_bytes
        Bytes of the file once expanded (a CSV file's own size; a workbook's members, as
        its zip directory declares them).
    columns
        Columns of the widest row (a CSV line's separators; a workbook's furthest used
        column, wherever a cell sits; an OpenDocument row's repeated cells counted).
    cells
        Rows times columns: what a parser fills in, since every row is made as wide as
        the widest.
    """

    rows: int
    expanded_bytes: int
    columns: int = 1_024
    cells: int = 5_000_000


MIB = 2**20

#: What the command line reads: 10 million rows (a city's quarter of schedule is 2 million),
#: 4 GiB, 2,048 columns and 250 million cells.
COMMAND_LINE = ReadLimits(rows=10_000_000, expanded_bytes=4096 * MIB, columns=2_048,
                          cells=250_000_000)

#: What the web console accepts in an upload: 100,000 rows (a county has a few thousand
#: people), 64 MiB expanded (a 100,000-row roster with twenty columns is about 40 MiB),
#: 256 columns (a roster has about twenty) and 5 million cells (100,000 rows of fifty).
UPLOAD = ReadLimits(rows=100_000, expanded_bytes=64 * MIB, columns=256, cells=5_000_000)

#: The largest street extract read, in bytes (before it is parsed). China's whole extract is
#: about 1.2 GiB; a province's 100 to 300 MiB, a county's a few MiB.
STREETS_BYTES = 2048 * MIB

#: The largest street extract the web console accepts in an upload.
STREETS_UPLOAD_BYTES = 256 * MIB

#: Suffixes of workbooks that are zip archives of XML.
ZIPPED_SUFFIXES = (".xlsx", ".xlsm", ".ods")

#: Bytes read at a time when a file is measured in a stream.
CHUNK_BYTES = MIB

#: Bytes that separate a CSV file's cells (comma, tab, semicolon: whichever the file
#: uses, counting all three gives at least its real width).
CSV_SEPARATORS = (ord(","), ord("\t"), ord(";"))
LINE_FEED, CARRIAGE_RETURN = ord("\n"), ord("\r")

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]*)(\d+)(?::([A-Z]*)(\d+))?"')
#: A row or cell tag of a sheet (.xlsx ``row`` and ``c``; .ods ``table-row``,
#: ``table-cell`` and ``covered-table-cell``), with its attributes, and whether it closes
#: at once (``/>``: an .ods cell with nothing in it).
_TAG = re.compile(rb"<(?:\w+:)?(row|c|table-row|table-cell|covered-table-cell)(?=[\s>/])"
                  rb"([^>]*?)(/?)>")
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,4})(\d+)"')
_ROW_REF = re.compile(rb'\sr="(\d+)"')
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')
#: Bytes of a sheet read first, where its ``<dimension>`` is.
TAG_OVERLAP = 4096


@dataclass(frozen=True)
class Shape:
    """How large a table file reads: its rows, widest row, and bytes once expanded."""

    rows: int
    columns: int
    expanded_bytes: int

    @property
    def cells(self) -> int:
        """Rows times columns: the cells a parser fills in."""
        return self.rows * self.columns


def column_number(letters: bytes) -> int:
    """A spreadsheet column's number from its letters (``A`` 1, ``XFD`` 16,384)."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def measure(path: Path, limits: ReadLimits) -> Shape:
    """The shape of a table file, without parsing it. Measuring stops once the file is
    past one of ``limits`` (the figures are then at least that large); rows and columns
    may be upper bounds (a CSV cell may hold a line break or a comma).

    Raises
    ------
    InputError
        If a workbook is not a readable zip archive.
    """
    suffix = path.suffix.lower()
    if suffix not in ZIPPED_SUFFIXES:
        size = path.stat().st_size
        if size > limits.expanded_bytes:
            return Shape(0, 0, size)
        with path.open("rb") as f:
            rows, columns = _text_shape(iter(lambda: f.read(CHUNK_BYTES), b""), limits)
        return Shape(rows, columns, size)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            expanded = sum(m.file_size for m in members)
            if expanded > limits.expanded_bytes:
                return Shape(0, 0, expanded)
            shapes = [_sheet_shape(archive, m, limits) for m in members
                      if _is_sheet(m.filename)]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError.one(path.name, "input.not_a_workbook", detail=str(exc)) from None
    rows, columns = max(shapes, key=lambda shape: shape[0] * shape[1], default=(0, 0))
    return Shape(rows, columns, expanded)


def check(path: Path, limits: ReadLimits) -> None:
    """Refuse a file over ``limits`` before it is parsed.

    Raises
    ------
    InputError
        Naming the file, its size and the limit it broke.
    """
    shape = measure(path, limits)
    if shape.expanded_bytes > limits.expanded_bytes:
        raise InputError.one(path.name, "input.too_big", expanded=shape.expanded_bytes / MIB,
                             most=limits.expanded_bytes / MIB)
    if shape.rows > limits.rows:
        raise InputError.one(path.name, "input.too_many_rows", most=limits.rows)
    if shape.columns > limits.columns:
        raise InputError.one(path.name, "input.too_many_columns", columns=shape.columns,
                             most=limits.columns)
    if shape.cells > limits.cells:
        raise InputError.one(path.name, "input.too_many_cells", rows=shape.rows,
                             columns=shape.columns, most=limits.cells)


def _over(rows: int, columns: int, limits: ReadLimits) -> bool:
    return rows > limits.rows or columns > limits.columns or rows * columns > limits.cells


def _text_shape(chunks: Iterator[bytes], limits: ReadLimits) -> tuple[int, int]:
    """Lines and the most cells on one line of a CSV file's bytes. A line ends in
    ``\\n``, ``\\r\\n`` or a bare ``\\r`` (old Mac files, and a trick to pass as one
    line); a line's cells are its separators plus one."""
    rows, widest, carried, last = 0, 0, 0, b""
    for chunk in chunks:
        data = np.frombuffer(chunk, dtype=np.uint8)
        feed, ret = data == LINE_FEED, data == CARRIAGE_RETURN
        breaks = feed | ret
        # "\r\n" is one break: the "\n" after a "\r" (in this chunk or the last) is not
        breaks[1:] &= ~(feed[1:] & ret[:-1])
        if last == b"\r" and len(data) and feed[0]:
            breaks[0] = False
        separators = np.isin(data, CSV_SEPARATORS)
        line = np.cumsum(breaks) - breaks  # each byte's line within the chunk
        counts = np.bincount(line[separators], minlength=int(breaks.sum()) + 1)
        counts[0] += carried
        ends = int(breaks.sum())
        if ends:
            widest = max(widest, int(counts[:ends].max()) + 1)
        carried = int(counts[ends])
        rows += ends
        last = chunk[-1:]
        if _over(rows, widest, limits):
            return rows, widest
    if last not in (b"", b"\n", b"\r"):
        rows += 1  # a last line without its end
        widest = max(widest, carried + 1)
    return rows, widest


def _is_sheet(name: str) -> bool:
    """Whether a zip member holds a sheet's rows (.xlsx worksheets, .ods content)."""
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name == "content.xml"


def _sheet_shape(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ReadLimits
                 ) -> tuple[int, int]:
    """Rows and widest row of one sheet, read in a stream until past ``limits``.

    A ``<dimension>`` that says more is believed at once; one that says less is not (a
    writer may lie). An .xlsx row numbered ``r="1000000"`` counts as a million rows and a
    cell in column ``XFD`` as 16,384 columns, as a parser would fill them in. An .ods row or
    cell repeated N times counts N times, up to its last one that holds something (empty
    repeats at the end of a row or sheet are what every office suite writes, and are
    dropped by the readers)."""
    with archive.open(member) as stream:
        head = stream.read(TAG_OVERLAP)
        found = _DIMENSION.search(head)
        if found is not None:
            rows = int(found.group(4) or found.group(2))
            columns = column_number(found.group(3) or found.group(1))
            if _over(rows, columns, limits):
                return rows, columns
        sheet = _SheetCount()
        tail, chunk = b"", head
        while chunk:
            window = tail + chunk
            # a tag cut between two chunks is left for the next window, and read once
            cut = window.rfind(b"<")
            cut = len(window) if cut < 0 or b">" in window[cut:] else cut
            sheet.read(window[:cut])
            if _over(sheet.rows, sheet.widest, limits):
                break
            tail, chunk = window[cut:], stream.read(CHUNK_BYTES)
        return sheet.rows, sheet.widest


class _SheetCount:
    """Rows and widest row of a sheet's XML, fed in pieces that end between tags."""

    def __init__(self) -> None:
        self.rows = 0  # the rows up to the last one that holds something
        self.widest = 0
        self._row = 0  # rows so far, the current one included
        self._repeat = 1  # how many times the current .ods row repeats
        self._cells = 0  # cells so far in the current row
        self._used = 0  # cells up to the last one that holds something, in this row

    def read(self, xml: bytes) -> None:
        for kind, attributes, empty in _TAG.findall(xml):
            if kind in (b"row", b"table-row"):
                self._end_row()
                numbered = _ROW_REF.search(attributes)
                repeated = _ROWS_REPEATED.search(attributes)
                self._repeat = int(repeated.group(1)) if repeated else 1
                self._row = int(numbered.group(1)) if numbered else self._row + self._repeat
                self._cells = self._used = 0
                continue
            ref = _CELL_REF.search(attributes)
            repeated = _COLUMNS_REPEATED.search(attributes)
            if ref is not None:  # .xlsx: the cell says where it is
                self._cells = column_number(ref.group(1))
                self.rows = max(self.rows, int(ref.group(2)))
            else:
                self._cells += int(repeated.group(1)) if repeated else 1
            if not (empty and kind != b"c" and b"value-type" not in attributes):
                self._used = self._cells  # it holds something (an .xlsx cell always may)
                self.rows = max(self.rows, self._row)
            self.widest = max(self.widest, self._used)
        self._end_row()

    def _end_row(self) -> None:
        if self._used:
            self.rows = max(self.rows, self._row)
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
