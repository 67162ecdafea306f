"""Large tables written as CSV without a Python step per cell: the same bytes as pandas'
``to_csv``, a hundred times fewer steps.

A city's ``pairs.csv`` has ten million rows; pandas formats each float with ``repr``, which
takes half a minute. Here a column becomes a matrix of bytes at once: text by its distinct
values (a few thousand ids), numbers by integer arithmetic on their digits. The bytes are
pandas' own whenever :func:`csv_rows` accepts a table; it declines (``None``) whenever they
might not be, and the caller writes it the ordinary way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import numpy as np
import pandas as pd

#: Rows rendered at a time (a chunk's byte matrix is rows x row width: 50 MB or so).
CHUNK_ROWS = 500_000

#: Decimal places a float may have to be written here: a float rounded to this many places
#: is written by ``repr`` as those digits, trailing zeros dropped (``1.25``, ``2.0``).
MAX_DECIMALS = 6
#: ``repr`` writes numbers from this size up, or under :data:`SMALLEST` (but not zero), in
#: exponent form: such columns are declined.
LARGEST, SMALLEST = 1e15, 1e-4
#: Most share of a column's floats written by ``repr`` one by one before the column is
#: declined.
MOST_OTHERS = 0.25
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def csv_rows(frame: pd.DataFrame) -> bytes | None:
    """The rows of ``frame`` (no header) as ``to_csv(index=False, lineterminator="\\n")``
    writes them, or ``None`` if a column is of a kind not rendered here (floats with many
    more than :data:`MAX_DECIMALS` places, a date, a mixed column)."""
    columns = []
    for name in frame.columns:
        rendered = _column(frame[name])
        if rendered is None:
            return None
        columns.append(rendered)
    out = []
    for start in range(0, len(frame), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, len(frame))
        pieces = [column(start, stop) for column in columns]
        if any(p is None for p in pieces):
            return None
        out.append(_rows([p for p in pieces if p is not None], stop - start))
    return b"".join(out)


#: A piece of each cell of a column: a byte matrix (one row per row of the table, or per
#: distinct cell with ``codes`` saying which), each row's length, and the codes or ``None``.
#: A cell is its pieces one after another (a float: sign, whole part, point, fraction).
_Piece = tuple[np.ndarray, np.ndarray, np.ndarray | None]
#: A column, rendered a chunk of rows at a time (``start``, ``stop``), or ``None`` when the
#: chunk cannot be (the column is then declined).
_Rendered = Callable[[int, int], list[_Piece] | None]


def _column(values: pd.Series) -> _Rendered | None:
    """The column as (distinct cells' bytes, their lengths, each row's cell) or, for
    numbers, (None-free digits matrix, lengths, None)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if not (categories.dtype == object or pd.api.types.is_string_dtype(categories)):
            return None
        codes = values.cat.codes.to_numpy()
        if (codes < 0).any():
            return None
        cells, lengths = _text_cells([str(c) for c in categories])
        return lambda start, stop: [(cells, lengths, codes[start:stop])]
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        whole = values.to_numpy(dtype=np.int64)
        return lambda start, stop: _integers(whole[start:stop])
    if pd.api.types.is_float_dtype(values):
        real = values.to_numpy(dtype=float)
        return lambda start, stop: _floats(real[start:stop])
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        if not all(isinstance(v, str) for v in distinct):
            return None
        cells, lengths = _text_cells([*distinct, ""])
        at = np.where(codes < 0, len(distinct), codes)
        return lambda start, stop: [(cells, lengths, at[start:stop])]
    return None


def _text_cells(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each text as the csv module quotes it (as pandas does), in a padded byte matrix."""
    encoded = []
    for text in texts:
        buffer = io.StringIO()
        # pandas' own dialect: a line feed in a cell is quoted because it ends lines
        csv.writer(buffer, lineterminator="\n").writerow([text, ""])
        # the cell as it is written between commas (an empty one alone would be quoted)
        encoded.append(buffer.getvalue()[:-2].encode("utf-8"))
    width = max((len(e) for e in encoded), default=0)
    cells = np.zeros((len(encoded), max(width, 1)), dtype=np.uint8)
    for k, e in enumerate(encoded):
        cells[k, :len(e)] = np.frombuffer(e, dtype=np.uint8)
    return cells, np.array([len(e) for e in encoded], dtype=np.int64)


def _integers(values: np.ndarray) -> list[_Piece]:
    digits, lengths = _digits(np.abs(values))
    return [_sign(values < 0), (digits, lengths, None)]


def _sign(negative: np.ndarray) -> _Piece:
    return (np.full((len(negative), 1), ord("-"), dtype=np.uint8),
            negative.astype(np.int64), None)


def _floats(values: np.ndarray) -> list[_Piece] | None:
    finite = np.isfinite(values)
    magnitude = np.abs(np.where(finite, values, 0.0))
    # written here: a float that is exactly a rounding to MAX_DECIMALS places, outside the
    # exponent range; the few others (5e-05, 0.1234567) by repr itself
    plain = finite & ((magnitude == 0) | ((magnitude >= SMALLEST) & (magnitude < LARGEST)))
    plain &= np.round(values, MAX_DECIMALS) == values
    others = finite & ~plain
    if others.sum() > len(values) * MOST_OTHERS:
        return None
    scale = 10 ** MAX_DECIMALS
    scaled = np.rint(np.where(plain, magnitude, 0.0) * scale).astype(np.int64)
    whole, fraction = np.divmod(scaled, scale)
    whole_digits, whole_lengths = _digits(whole)
    frac_digits, _ = _digits(fraction, width=MAX_DECIMALS)
    # trailing zeros of the fraction dropped, one kept (2.0)
    nonzero = frac_digits != ord("0")
    last = np.where(nonzero.any(axis=1), MAX_DECIMALS - np.argmax(nonzero[:, ::-1], axis=1), 1)
    numbers = plain.astype(np.int64)
    # inf and -inf as pandas writes them (NaN is left empty)
    infinite = np.isinf(values)
    special = np.zeros((len(values), 3), dtype=np.uint8)
    special[:] = np.frombuffer(b"inf", dtype=np.uint8)
    pieces: list[_Piece] = [
        _sign(np.signbit(values) & (plain | infinite)),
        (whole_digits, whole_lengths * numbers, None),
        (np.full((len(values), 1), ord("."), dtype=np.uint8), numbers, None),
        (frac_digits, last * numbers, None),
        (special, 3 * infinite.astype(np.int64), None)]
    if others.any():
        distinct, codes = np.unique(values[others], return_inverse=True)
        cells, lengths = _text_cells([repr(float(v)) for v in distinct])
        at = np.full(len(values), len(distinct))
        at[others] = codes
        cells = np.vstack((cells, np.zeros((1, cells.shape[1]), dtype=np.uint8)))
        pieces.append((cells, np.append(lengths, 0), at))
    return pieces


def _digits(values: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integers as left-aligned ASCII digits (zero-padded to ``width`` when
    given), and their lengths: one pass over the column per digit place."""
    rest = np.array(values, dtype=np.int64)
    most = int(rest.max()) if len(rest) else 0
    count = max(1, len(str(most))) if width is None else width
    out = np.empty((len(rest), count), dtype=np.uint8)
    for place in range(count - 1, -1, -1):
        out[:, place] = rest % 10
        rest //= 10
    out += ord("0")
    if width is not None:
        return out, np.full(len(out), width, dtype=np.int64)
    lengths = np.ones(len(out), dtype=np.int64)
    for place in range(1, count):
        lengths += np.asarray(values) >= 10 ** place
    # each row's significant digits moved to the left, a length at a time
    for length in range(1, count):
        rows = lengths == length
        if rows.any():
            out[rows, :length] = out[rows, count - length:]
    return out, lengths


def _rows(columns: list[list[_Piece]], n: int) -> bytes:
    """``n`` rows as bytes: the cells, commas between and a line feed after. Every piece
    gets a slot as wide as its widest; the padding is dropped when the matrix is read row by
    row."""
    ones = np.ones(n, dtype=np.int64)
    slots: list[tuple[np.ndarray, np.ndarray]] = []
    for k, pieces in enumerate(columns):
        for cells, lengths, codes in pieces:
            slots.append((cells, lengths) if codes is None else (cells[codes], lengths[codes]))
        end = b"\n" if k == len(columns) - 1 else b","
        slots.append((np.full((n, 1), end[0], dtype=np.uint8), ones))
    width = sum(cells.shape[1] for cells, _ in slots)
    matrix = np.empty((n, width), dtype=np.uint8)
    keep = np.empty((n, width), dtype=bool)
    at = 0
    for cells, lengths in slots:
        w = cells.shape[1]
        matrix[:, at:at + w] = cells
        keep[:, at:at + w] = np.arange(w)[None, :] < lengths[:, None]
        at += w
    return matrix[keep].tobytes()
