"""Issue 30, attack 2: files small on disk that a parser fills out to millions of cells are
refused before any parser sees them, naming the limit they broke; the files offices really
write (LibreOffice's trailing repeats, CRLF and old-Mac line ends) still read."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from matching.rules import limits
from matching.rules.errors import InputError
from matching.world.read import read_table
from tests.helpers.bomb import far_cell_workbook, ods_cell, ods_row, ods_workbook

UPLOAD = limits.UPLOAD


def refusal(path) -> tuple[str, dict]:
    """The code and figures of the one problem ``limits.check`` finds, with the peak of
    Python's memory while it looked."""
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as refused:
            limits.check(path, UPLOAD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (problem,) = refused.value.problems
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB"
    return problem.code, problem.params


def test_a_csv_of_ten_thousand_columns_is_refused_by_its_width(tmp_path):
    """A header of 10,000 columns over 99,000 one-cell rows: 740 KB, 990 million cells."""
    path = tmp_path / "elders.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(10_000)) + b"\n" + b"E\n" * 99_000)
    code, params = refusal(path)
    assert (code, params["columns"], params["most"]) == ("input.too_many_columns", 10_000, 256)


def test_rows_times_columns_is_limited_too(tmp_path):
    """200 columns (within 256) over 30,000 rows (within 100,000): the cells, with the
    header 30,001 x 200 = 6,000,200, are over 5 million."""
    path = tmp_path / "elders.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(200)) + b"\n" + b"E\n" * 30_000)
    code, params = refusal(path)
    assert (code, params["rows"], params["columns"]) == ("input.too_many_cells", 30_001, 200)


def test_bare_carriage_returns_count_as_lines(tmp_path):
    """1.5 million rows ended by a bare \\r (18 MB): refused by its rows, fast."""
    path = tmp_path / "elders.csv"
    path.write_bytes(b"elder_id,age\r" + b"E0000001,85\r" * 1_500_000)
    started = time.perf_counter()
    code, params = refusal(path)
    assert (code, params["most"]) == ("input.too_many_rows", 100_000)
    assert time.perf_counter() - started < 30  # a generous bound: the benchmark has figures


@pytest.mark.parametrize(("ending", "rows"), [(b"\n", 3), (b"\r\n", 3), (b"\r", 3)])
def test_every_line_end_reads_the_same_shape(tmp_path, ending, rows):
    path = tmp_path / "elders.csv"
    path.write_bytes(ending.join([b"elder_id,age", b"E1,85", b"E2,90"]) + ending)
    shape = limits.measure(path, UPLOAD)
    assert (shape.rows, shape.columns) == (rows, 2)


def test_a_line_end_split_between_two_chunks_is_one_end(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CHUNK_BYTES", 7)  # "elder_i" | "d,age\r" + "\n"...
    path = tmp_path / "elders.csv"
    path.write_bytes(b"elder_id,ag\r\nE1,85\r\nE2,9\r\n")
    shape = limits.measure(path, UPLOAD)
    assert (shape.rows, shape.columns) == (3, 2)


def test_one_far_cell_widens_a_workbook_and_is_refused(tmp_path):
    """One cell in column XFD of a 2,000-row workbook (17 KB; its <dimension> says B)."""
    path = far_cell_workbook(tmp_path / "elders.xlsx", 2_000)
    code, params = refusal(path)
    assert (code, params["columns"]) == ("input.too_many_columns", 16_384)


def test_a_near_cell_is_counted_as_a_parser_would(tmp_path):
    path = far_cell_workbook(tmp_path / "elders.xlsx", 10, column="Z")
    shape = limits.measure(path, UPLOAD)
    assert (shape.rows, shape.columns) == (11, 26)


def test_ods_repeated_rows_are_counted(tmp_path):
    """822 bytes that read as 200,000 rows."""
    path = ods_workbook(tmp_path / "elders.ods", [
        ods_row(ods_cell("elder_id") + ods_cell("age")),
        ods_row(ods_cell("E1") + ods_cell("85"), repeat=200_000)])
    assert path.stat().st_size < 1_000
    code, _ = refusal(path)
    assert code == "input.too_many_rows"


def test_ods_repeated_cells_are_counted(tmp_path):
    """2,000 rows of 5,001 cells from under a kilobyte."""
    path = ods_workbook(tmp_path / "elders.ods", [
        ods_row(ods_cell("x", repeat=5_001), repeat=2_000)])
    code, params = refusal(path)
    assert (code, params["columns"]) == ("input.too_many_columns", 5_001)


def test_an_ods_as_libreoffice_writes_it_still_reads(tmp_path):
    """LibreOffice pads every row to column 1,024 and the sheet to row 1,048,576 with
    empty repeats: they are not counted, and the file reads as its three rows."""
    pad = ods_cell("", repeat=1_022)
    path = ods_workbook(tmp_path / "elders.ods", [
        ods_row(ods_cell("elder_id") + ods_cell("age") + pad),
        ods_row(ods_cell("E1") + ods_cell("85") + pad),
        ods_row(ods_cell("E2") + ods_cell("") + ods_cell("") + ods_cell("90") + pad),
        ods_row(ods_cell("", repeat=1_024), repeat=1_048_573)])
    shape = limits.measure(path, UPLOAD)
    assert (shape.rows, shape.columns) == (3, 4)
    assert read_table(path)["elder_id"].tolist() == ["E1", "E2"]
