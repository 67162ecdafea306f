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
