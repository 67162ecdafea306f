"""Workbooks that are small on disk and large once opened, written straight as zip + XML
(openpyxl would take a minute to write a million rows)."""

from __future__ import annotations

import zipfile
from pathlib import Path

_OOXML = "http://schemas.openxmlformats.org"
_PACKAGE = f"{_OOXML}/package/2006"
_RELATIONS = f"{_OOXML}/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_SHEET_TYPE}.worksheet+xml"/></Types>')
_RELS = (f'{_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
         f'<Relationship Id="rId1" Type="{_RELATIONS}/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (f'{_HEAD}<workbook xmlns="{_OOXML}/spreadsheetml/2006/main" '
             f'xmlns:r="{_RELATIONS}"><sheets>'
             '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (f'{_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
                  f'<Relationship Id="rId1" Type="{_RELATIONS}/worksheet" '
                  'Target="worksheets/sheet1.xml"/></Relationships>')


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def many_rows_workbook(path: Path, rows: int, dimension_rows: int | None = None) -> Path:
    """An elders workbook (``elder_id, age``) of ``rows`` data rows. Its ``<dimension>``
    says ``dimension_rows`` (default: the truth); a writer may lie there."""
    said = (rows + 1) if dimension_rows is None else dimension_rows
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main">'
                        + f'<dimension ref="A1:B{said}"/><sheetData>'.encode())
            sheet.write(f'<row r="1">{_cell("A1", "elder_id")}{_cell("B1", "age")}</row>'
                        .encode())
            chunk = []
            for r in range(2, rows + 2):
                chunk.append(f'<row r="{r}">{_cell(f"A{r}", f"E{r}")}'
                             f'<c r="B{r}"><v>85</v></c></row>')
                if len(chunk) == 10_000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return path


def far_cell_workbook(path: Path, rows: int, column: str = "XFD") -> Path:
    """An elders workbook of ``rows`` short rows, one of which has a cell in ``column``
    (``XFD``: the 16,384th): every row then reads that wide. Its ``<dimension>`` hides it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        body = [f'<row r="1">{_cell("A1", "elder_id")}{_cell("B1", "age")}'
                f'{_cell(f"{column}1", "x")}</row>']
        body += [f'<row r="{r}">{_cell(f"A{r}", f"E{r}")}<c r="B{r}"><v>85</v></c></row>'
                 for r in range(2, rows + 2)]
        archive.writestr("xl/worksheets/sheet1.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:B{rows + 1}"/><sheetData>{"".join(body)}</sheetData>'
            '</worksheet>'))
    return path


_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
    'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.'
    'oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
    'manifest:media-type="text/xml"/></manifest:manifest>')


def ods_cell(text: str, repeat: int = 1) -> str:
    """An .ods cell holding ``text`` (empty: nothing), repeated ``repeat`` times."""
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if not text:
        return f"<table:table-cell{times}/>"
    return (f'<table:table-cell{times} office:value-type="string"><text:p>{text}</text:p>'
            "</table:table-cell>")


def ods_row(cells: str, repeat: int = 1) -> str:
    """An .ods row of ``cells``, repeated ``repeat`` times."""
    times = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{times}>{cells}</table:table-row>"


def ods_workbook(path: Path, rows: list[str]) -> Path:
    """An OpenDocument spreadsheet of one sheet with ``rows`` (see :func:`ods_row`)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        archive.writestr("content.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NAMESPACES}>'
            '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
            f'{"".join(rows)}</table:table></office:spreadsheet></office:body>'
            "</office:document-content>"))
    return path
