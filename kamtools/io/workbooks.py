"""Workbooks kamtools itself hands out and reads back (the planning tracker): every sheet as a frame.

Client input workbooks are read by :func:`kamtools.io.reading.read_raw_table` (cells as text,
header row found); this module reads a workbook kamtools wrote and a consultant filled, with
cells as Excel holds them (dates, numbers) and rows numbered as the sheet numbers them.

A workbook in the SpreadsheetML that :func:`kamtools.excel.worksheets_bytes` writes (the tracker,
the demo's workbooks, every stage output's XLSX) is read with the standard library's C XML parser
(:func:`own_workbook`): the same cells openpyxl reads, in a fraction of the time and without
importing openpyxl (a third of a second), three times a run for the tracker alone. It knows
exactly the parts that writer uses (inline strings, numbers, booleans, its number formats) and
declines anything else, so a workbook a client saved from Excel or LibreOffice (shared strings,
other formats, formulas) is read by openpyxl as before.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from kamtools.io.reading import InputFileError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_BUILT_IN_FORMATS = {0: "General", 3: "#,##0", 4: "#,##0.00", 21: "h:mm:ss"}
"""The built-in number formats the writer uses (Excel's numbers for them)."""
_KNOWN_FORMATS = {
    "General": "number",
    "#,##0": "number",
    "#,##0.00": "number",
    "0.0%": "number",
    "#,##0.0": "number",
    "yyyy-mm-dd": "date",
    "h:mm:ss": "date",
    "[hh]:mm:ss": "duration",
}
"""How openpyxl reads a number in each format the writer uses: as it is, as a date or time
(``openpyxl.styles.numbers.is_date_format``), or as a duration (``is_timedelta_format``)."""
_EPOCH = datetime.datetime(1899, 12, 30)
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_RANGE = re.compile(r"A1(?::[A-Z]{1,3}[0-9]+)?")
"""A sheet dimension openpyxl reads from A1 on (the writer's: ``A1:K116``, or ``A1``)."""


class _Unknown(Exception):
    """A part of the workbook this reader does not know: openpyxl reads the workbook."""


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _from_excel(value: float, kind: str) -> Any:
    """An Excel serial number as openpyxl's ``from_excel`` reads it (1900 date system).

    Why a copy: importing openpyxl is what this module saves. Durations are rounded to the
    millisecond, times of day (serials below 1) are ``datetime.time``, serials below 60 are
    shifted by Excel's 29 February 1900. tests/test_workbook_reader.py compares it with openpyxl.
    """
    if kind == "duration":
        td = datetime.timedelta(days=value)
        if td.microseconds:
            td = datetime.timedelta(seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = datetime.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return datetime.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60:
        day += 1
    return _EPOCH + datetime.timedelta(days=day) + diff


def _style_kinds(styles_xml: bytes) -> list[str]:
    """How each cell format (``s`` of a cell) reads its numbers: "number", "date" or "duration"."""
    root = ElementTree.fromstring(styles_xml)
    custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in root.iter(f"{_MAIN}numFmt")}
    cell_formats = root.find(f"{_MAIN}cellXfs")
    if cell_formats is None:
        raise _Unknown("no cell formats")
    kinds = []
    for xf in cell_formats.findall(f"{_MAIN}xf"):
        number = int(xf.get("numFmtId", "0"))
        code = custom.get(number, _BUILT_IN_FORMATS.get(number))
        if code not in _KNOWN_FORMATS:
            raise _Unknown(f"number format {number}")
        kinds.append(_KNOWN_FORMATS[code])
    return kinds


def _cell_value(cell: ElementTree.Element, kinds: list[str]) -> Any:
    """A ``<c>`` element's value as openpyxl gives it with ``data_only`` (text, number, date, bool)."""
    kind = cell.get("t", "n")
    children = list(cell)
    if kind == "inlineStr":
        if not children:
            return None
        if len(children) != 1 or children[0].tag != f"{_MAIN}is":
            raise _Unknown("inline text")
        texts = list(children[0])
        if len(texts) != 1 or texts[0].tag != f"{_MAIN}t" or len(texts[0]):
            raise _Unknown("rich text")
        return texts[0].text or ""
    if any(child.tag != f"{_MAIN}v" for child in children) or len(children) > 1:
        raise _Unknown("a formula or another cell part")
    text = children[0].text if children else None
    if not text:
        return None
    if kind == "b":
        return bool(int(text))
    if kind != "n":
        raise _Unknown(f"cell type {kind}")
    number: Any = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
    style = int(cell.get("s", "0"))
    if style >= len(kinds):
        raise _Unknown("a cell format the workbook lacks")
    if kinds[style] != "number":
        try:
            return _from_excel(number, kinds[style])
        except (OverflowError, ValueError) as exc:
            raise _Unknown("a date out of range") from exc  # openpyxl warns and reads an error
    return number


def _sheet_rows(sheet_xml: bytes, kinds: list[str]) -> list[tuple[Any, ...]]:
    """The rows of a worksheet as openpyxl's read-only ``iter_rows(values_only=True)`` gives them.

    openpyxl sizes a read-only sheet by its ``dimension``: every row as wide as the sheet, a
    missing row as an empty one. A row or cell outside the dimension, or rows out of order, are
    declined (openpyxl has rules of its own for them; the writer never makes them).
    """
    root = ElementTree.fromstring(sheet_xml)
    dimension = root.find(f"{_MAIN}dimension")
    data = root.find(f"{_MAIN}sheetData")
    ref = dimension.get("ref", "") if dimension is not None else ""
    corner = _RANGE.fullmatch(ref)
    if corner is None or data is None:
        raise _Unknown("no dimension")
    last = _CELL_REF.fullmatch(ref.split(":")[-1])
    width, height = _column_number(last.group(1)), int(last.group(2))
    rows: list[tuple[Any, ...]] = []
    for row in data:
        number = int(row.get("r", "0")) if row.get("r", "").isdigit() else 0
        if row.tag != f"{_MAIN}row" or not len(rows) < number <= height:
            raise _Unknown("a row without its number, out of order or outside the dimension")
        rows += [(None,) * width] * (number - 1 - len(rows))
        values: list[Any] = [None] * width
        for cell in row:
            found = _CELL_REF.fullmatch(cell.get("r", "")) if cell.tag == f"{_MAIN}c" else None
            column = _column_number(found.group(1)) if found is not None else 0
            if found is None or int(found.group(2)) != number or not 0 < column <= width:
                raise _Unknown("a cell without its reference or outside the dimension")
            values[column - 1] = _cell_value(cell, kinds)
        rows.append(tuple(values))
    return rows


def _sheet_parts(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """Each sheet's name and zip member, in the workbook's order."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = workbook.find(f"{_MAIN}workbookPr")
    if properties is not None and properties.get("date1904") not in (None, "0", "false"):
        raise _Unknown("the 1904 date system")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    sheets = workbook.find(f"{_MAIN}sheets")
    for sheet in sheets if sheets is not None else ():
        target = targets.get(sheet.get(f"{_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if not member.startswith("xl/worksheets/"):
            raise _Unknown("a sheet that is not a worksheet")
        yield sheet.get("name", ""), member


@dataclass(frozen=True)
class OwnSheet:
    """A worksheet :func:`own_workbook` read: its title, its zip member and its rows."""

    title: str
    member: str
    rows: list[tuple[Any, ...]]
    """The rows openpyxl's read-only ``iter_rows(values_only=True)`` gives (see :func:`_sheet_rows`)."""

    def iter_rows(
        self, min_row: int = 1, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        """Rows ``min_row`` to ``max_row`` (Excel's numbers), as openpyxl's read-only sheet gives
        them with ``values_only``: the rows of a sheet this reader took are numbered without gaps."""
        if not values_only:
            raise ValueError("only values are read")
        return iter(self.rows[min_row - 1 : max_row])


def own_workbook(archive: zipfile.ZipFile) -> list[OwnSheet] | None:
    """Every sheet of a workbook in the SpreadsheetML kamtools writes, read as openpyxl reads it,
    or None for a workbook with a part this reader does not know (shared strings, formulas, rich
    text, other number formats, the 1904 date system...): openpyxl reads that one.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The open XLSX package.

    Returns
    -------
    list of OwnSheet, or None
        In workbook order, each with the rows of
        ``openpyxl.load_workbook(read_only=True, data_only=True)[title].iter_rows(values_only=True)``.
    """
    names = set(archive.namelist())
    if "xl/sharedStrings.xml" in names or "xl/styles.xml" not in names:
        return None
    try:
        kinds = _style_kinds(archive.read("xl/styles.xml"))
        sheets = [OwnSheet(t, m, _sheet_rows(archive.read(m), kinds)) for t, m in _sheet_parts(archive)]
    except Exception:  # a part it does not know, or a damaged one: openpyxl reads it or names the fault
        return None
    return sheets if len({s.title for s in sheets}) == len(sheets) else None


def _openpyxl_rows(source: Path | io.BytesIO, label: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows as openpyxl's read-only ``iter_rows(values_only=True)`` gives them."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise InputFileError(label, f"is not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


def _fast_rows(source: Path | io.BytesIO) -> dict[str, list[tuple[Any, ...]]] | None:
    """Every sheet's rows by :func:`own_workbook`; None when it does not read the workbook."""
    try:
        with zipfile.ZipFile(source) as archive:
            sheets = own_workbook(archive)
        return None if sheets is None else {sheet.title: sheet.rows for sheet in sheets}
    except (zipfile.BadZipFile, OSError, EOFError):
        return None  # openpyxl names the fault
    finally:
        if isinstance(source, io.BytesIO):
            source.seek(0)


def read_workbook(path: Path | bytes) -> dict[str, pd.DataFrame]:
    """Every sheet of an XLSX workbook (a file, or its bytes), header in row 1, cells as Excel holds them.

    Dates come back as ``datetime``, numbers as numbers, empty cells as None; fully empty rows
    are kept out so that a row number reported later is still the sheet's row (data row ``i`` is
    sheet row ``i + 2``: the index of each frame is set to that row number).

    Raises
    ------
    InputFileError
        The file is missing or is not a readable workbook.
    """
    label = "workbook" if isinstance(path, bytes) else path.name
    if not isinstance(path, bytes) and not path.exists():
        raise InputFileError(label, "file not found")
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    found = _fast_rows(source)
    sheets: dict[str, pd.DataFrame] = {}
    for title, rows in (found if found is not None else _openpyxl_rows(source, label)).items():
        header = [("" if c is None else str(c).strip()) for c in (rows[0] if rows else ())]
        while header and not header[-1]:
            header.pop()
        body = {
            number: list(row[: len(header)]) + [None] * (len(header) - len(row))
            for number, row in enumerate(rows[1:], start=2)
            if any(c is not None and str(c).strip() != "" for c in row[: len(header)])
        }
        sheets[title] = pd.DataFrame(
            list(body.values()), columns=header, index=list(body.keys()), dtype=object
        )
    return sheets
