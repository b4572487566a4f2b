"""Excel workbooks: reading the ones clients send, writing the ones clients receive.

Clients' workbooks are made for people: a cover sheet first, title rows above the header,
merged header cells, formulas a script wrote without values. The reader finds the table (the
sheet and header row naming the expected columns), keeps Excel's row numbers, and names what
it cannot read. The writer produces a client-formatted workbook: a named sheet, money and
percent formats, a frozen header, fitted column widths, and every text a string cell (never
a live formula, whatever a customer name holds).
"""

from __future__ import annotations

import contextlib
import datetime
import io as stdio
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.io import (
    SNIFF_BYTES,
    InputFileError,
    OwnSheet,
    ReadFinding,
    duplicate_headers,
    own_workbook,
    with_findings,
    zip_member_names,
)

MAGIC_ZIP = b"PK\x03\x04"
MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SEARCH_ROWS = 30


def _check_workbook_file(path: Path) -> None:
    label = path.name
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(label, "the file is empty (0 bytes)")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(MAGIC_OLE):
        if "EncryptedPackage".encode("utf-16-le") in head or b"EncryptedPackage" in head:
            raise InputFileError(
                label,
                "the workbook is protected with a password; save an unprotected copy in Excel"
                " (File > Info > Protect Workbook > Encrypt with Password: clear it)",
            )
        raise InputFileError(
            label, "is an Excel 97-2003 (.xls) workbook; open it in Excel and save it as .xlsx"
        )
    if not head.startswith(MAGIC_ZIP):
        if b"\x00" not in head[:4096]:
            raise InputFileError(
                label,
                f"is a text file, not an Excel workbook; name it {path.stem}.csv in inputs/ and client.yml",
            )
        raise InputFileError(label, "is not an Excel workbook (.xlsx)")
    names = zip_member_names(path)
    if not names:
        raise InputFileError(
            label,
            "the file is damaged or incomplete (an Excel file cut short, e.g. by an interrupted download"
            " or copy)",
        )
    if "xl/workbook.xml" not in names:
        raise InputFileError(
            label, f"is a zip archive, not an Excel workbook (it holds: {', '.join(names[:3])})"
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == datetime.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


class _OwnBook:
    """What :func:`read_workbook` uses of openpyxl's read-only workbook, for a workbook in the
    SpreadsheetML kamtools writes (:func:`kamtools.io.own_workbook`): its sheets, by title."""

    def __init__(self, archive: zipfile.ZipFile, sheets: Sequence[OwnSheet]) -> None:
        self.archive = archive
        self.sheetnames = [sheet.title for sheet in sheets]
        self._sheets = {sheet.title: sheet for sheet in sheets}

    def __getitem__(self, title: str) -> OwnSheet:
        return self._sheets[title]

    def close(self) -> None:
        self.archive.close()


def _open_workbook(path: Path, label: str) -> Any:
    """The workbook, read by :func:`kamtools.io.own_workbook` when kamtools wrote it (the demo's
    inputs; no openpyxl import, a tenth of the time), else by openpyxl (a client's workbook)."""
    with contextlib.suppress(zipfile.BadZipFile, OSError):
        archive = zipfile.ZipFile(path)
        sheets = own_workbook(archive)
        if sheets is not None:
            return _OwnBook(archive, sheets)
        archive.close()
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook: all mean the same
        raise InputFileError(
            label, f"the file is damaged or not a workbook Excel wrote ({type(exc).__name__})"
        ) from exc


def read_workbook(
    path: Path, options: Mapping[str, Any], *, nrows: int | None, expected: Sequence[str]
) -> pd.DataFrame:
    label = path.name
    _check_workbook_file(path)
    book = _open_workbook(path, label)
    try:
        sheet, header_row, findings = _choose_sheet(book, options, expected, label)
        table = _sheet_rows(sheet, header_row, nrows)
        findings += _formula_findings(path, sheet.title, header_row, table)
        findings += _merged_header_findings(book, sheet, header_row)
    finally:
        book.close()
    header, numbers, rows = table
    if not header:
        return pd.DataFrame()
    findings += duplicate_headers(header)
    columns = _unique_names(header)
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns)
    frame = frame.astype(str) if rows else frame
    standard = numbers == list(range(2, len(numbers) + 2))
    return with_findings(frame, findings, None if standard else numbers)


def _unique_names(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for number, name in enumerate(header, start=1):
        name = name or f"column {number}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name] - 1}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _choose_sheet(book, options: Mapping[str, Any], expected: Sequence[str], label: str):
    """The sheet and header row holding the table: the one naming most expected columns."""
    sheets = book.sheetnames
    listed = ", ".join(f"'{s}'" for s in sheets)
    wanted = options.get("sheet")
    if wanted is not None:
        if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 <= wanted < len(sheets):
            candidates = [sheets[wanted]]
        elif str(wanted) in sheets:
            candidates = [str(wanted)]
        else:
            raise InputFileError(
                label, f"has no sheet {wanted!r} (sheet set in client.yml); sheets: {listed}"
            )
    else:
        candidates = sheets
    wanted_names = {e.strip().lower() for e in expected}
    best: tuple[int, str, int] | None = None
    for name in candidates:
        for number, row in enumerate(book[name].iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), 1):
            cells = {_cell_text(v).strip().lower() for v in row} - {""}
            score = len(cells & wanted_names)
            if cells and best is None:
                best = (0, name, number)
            if score > (best[0] if best else 0):
                best = (score, name, number)
        if best and best[0] == len(wanted_names) and wanted_names:
            break
    if best is None:
        return book[candidates[0]], 1, []
    score, name, header_row = best
    findings: list[ReadFinding] = []
    if wanted_names and score == 0 and len(candidates) > 1:
        raise InputFileError(
            label,
            f"no sheet holds the expected columns ({', '.join(expected)}); sheets: {listed}; set"
            " `sheet:` for this file in client.yml",
        )
    if name != candidates[0]:
        findings.append(
            ReadFinding(
                f"read sheet '{name}': the first sheet '{candidates[0]}' holds no table with the expected"
                " columns"
            )
        )
    if header_row > 1:
        findings.append(
            ReadFinding(
                f"the header is on row {header_row} of sheet '{name}' (rows above it are titles and were"
                " skipped)"
            )
        )
    return book[name], header_row, findings


def _sheet_rows(sheet, header_row: int, nrows: int | None):
    """Header, Excel row numbers and text cells of the data rows (fully empty rows skipped)."""
    header: list[str] = []
    numbers: list[int] = []
    rows: list[list[str]] = []
    for number, row in enumerate(sheet.iter_rows(min_row=header_row, values_only=True), start=header_row):
        cells = [_cell_text(v).strip() if i < 0 else _cell_text(v) for i, v in enumerate(row)]
        if number == header_row:
            header = [c.strip() for c in cells]
            while header and not header[-1]:
                header.pop()
            continue
        if nrows is not None and len(rows) >= nrows:
            break
        cells = cells[: len(header)] + [""] * (len(header) - len(cells))
        if any(cells):
            numbers.append(number)
            rows.append(cells)
    return header, numbers, rows


def _formula_findings(path: Path, title: str, header_row: int, table) -> list[ReadFinding]:
    """Cells holding a formula whose value Excel never saved (files written by scripts)."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets):
            return []
    import openpyxl  # only for a workbook with formulas (a third of a second to import)

    header, numbers, rows = table
    by_number = dict(zip(numbers, rows, strict=True))
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    missing: dict[int, tuple[list[int], list[str]]] = {}
    try:
        for number, row in enumerate(
            book[title].iter_rows(min_row=header_row + 1, values_only=True), header_row + 1
        ):
            for i, value in enumerate(row[: len(header)]):
                if isinstance(value, str) and value.startswith("="):
                    cells = by_number.get(number)
                    if cells is None or cells[i] == "":
                        found = missing.setdefault(i, ([], []))
                        found[0].append(number)
                        found[1].append(value)
    finally:
        book.close()
    return [
        ReadFinding(
            "holds formulas without saved values; open the file in Excel and save it, or paste the values",
            kind="problem",
            column=header[i] or f"column {i + 1}",
            rows=tuple(rows_),
            values=tuple(values[:1]),
        )
        for i, (rows_, values) in sorted(missing.items())
    ]


def _merged_header_findings(book, sheet, header_row: int) -> list[ReadFinding]:
    """Merged cells across the header row leave the columns after the first without a name."""
    if isinstance(sheet, OwnSheet):
        xml = book.archive.read(sheet.member)
    else:
        with book._archive.open(sheet._worksheet_path) as source:
            xml = source.read()
    findings = []
    for ref in re.findall(rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
        ref = ref.decode()
        first, last = ref.split(":")
        top, bottom = int(re.sub(r"\D", "", first)), int(re.sub(r"\D", "", last))
        if top <= header_row <= bottom and re.sub(r"\d", "", first) != re.sub(r"\d", "", last):
            findings.append(
                ReadFinding(
                    f"header cells {ref} of sheet '{sheet.title}' are merged; unmerge them so that each"
                    " column has its own name",
                    kind="problem",
                    rows=(header_row,),
                )
            )
    return findings


# --- writing ----------------------------------------------------------------------------------

MONEY_NAMES = {
    "sales",
    "net_sales",
    "gross_profit",
    "cost",
    "amount",
    "wallet",
    "headroom",
    "contribution",
    "cost_to_serve",
    "baseline",
    "plan",
    "stretch",
    "credit_limit",
    "open_overdue",
}
MONEY_ENDINGS = ("_sales", "_profit", "_amount", "_value", "_cost", "_money", "_eur")
PERCENT_NAMES = {"margin", "share", "growth", "late_share", "credit_use", "share_of_wallet"}
PERCENT_ENDINGS = ("_share", "_margin", "_pct", "_rate", "_growth")
INTEGER_NAMES = {"rank", "orders", "lines", "customers", "accounts", "priority", "per_quarter"}
MAX_WIDTH = 60
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.0"
DATE_FORMAT = "yyyy-mm-dd"


def column_kind(name: str, values: pd.Series) -> str:
    """How a column is shown in a client workbook: money, percent, integer, number, date or text."""
    key = str(name).lower()
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "text"
    if key in MONEY_NAMES or key.endswith(MONEY_ENDINGS):
        return "money"
    if key in PERCENT_NAMES or key.endswith(PERCENT_ENDINGS):
        return "percent"
    if key in INTEGER_NAMES or pd.api.types.is_integer_dtype(values):
        return "integer"
    return "number"


def column_label(name: str, kind: str, currency: str) -> str:
    """A column header a client reads: "gross_profit" -> "Gross profit (EUR)"."""
    words = re.sub(r"_pct$", "", str(name)).replace("_", " ").strip()
    label = words[:1].upper() + words[1:]
    return f"{label} ({currency})" if kind == "money" and currency else label


def sheet_title(name: str) -> str:
    """An Excel sheet name from a table name: "key_accounts" -> "Key accounts" (31 characters)."""
    text = re.sub(r"[\[\]:*?/\\]", " ", str(name).replace("_", " ")).strip() or "Table"
    return (text[:1].upper() + text[1:])[:31]


def _cell_value(value: Any, kind: str) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).to_pydatetime().date()
    if kind == "money":
        return round(float(value), 2)
    if kind == "percent":
        return round(float(value), 4)
    if kind == "integer":
        return round(float(value))
    if kind == "number":
        return round(float(value), 2)
    if kind == "plain":
        return value.item() if hasattr(value, "item") else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def workbook_bytes(
    frame: pd.DataFrame, *, title: str = "Table", formatted: bool = True, currency: str = ""
) -> bytes:
    """One table as XLSX bytes; every text a string cell, never a live formula.

    Parameters
    ----------
    frame
        The table; columns whose names start with ``_`` are internal and left out.
    title
        The sheet's name (shortened to Excel's 31 characters).
    formatted
        A client-formatted workbook: readable headers (money columns with the ``currency``),
        money, percent and count formats, values rounded (no float noise such as 75.689209),
        a bold frozen header with a filter, fitted column widths. ``False`` keeps the column
        names as they are (files kamtools reads back, such as the demo's inputs).
    currency
        The currency code shown in money headers.

    Raises
    ------
    ValueError
        A text holds a control character a workbook cannot store (the message names the row
        and column).

    Notes
    -----
    Written by :func:`worksheets_bytes` (the workbook openpyxl writes for these cells and
    styles, in about a seventh of the time). ``tests/test_excel_writer.py`` compares every cell,
    format, font, width and the frozen header with the workbook openpyxl's API makes.
    """
    columns = [c for c in frame.columns if not (formatted and str(c).startswith("_"))]
    kinds = [column_kind(c, frame[c]) if formatted else _plain_kind(frame[c]) for c in columns]
    headers = [
        column_label(c, k, currency) if formatted else str(c) for c, k in zip(columns, kinds, strict=True)
    ]
    rows = [
        [_cell_value(v, k) for k, v in zip(kinds, record, strict=True)]
        for record in frame[columns].itertuples(index=False, name=None)
    ]
    number_styles = [CELL_FORMATS.get(k, 0) if formatted or k == "date" else 0 for k in kinds]
    styles = [[CELL_FORMATS["header"] if formatted else 0] * len(headers)]
    styles += [
        [0 if v is None or isinstance(v, str) else s for v, s in zip(row, number_styles, strict=True)]
        for row in rows
    ]
    sheet = Worksheet(
        sheet_title(title),
        [headers, *rows],
        styles,
        widths=_fitted_widths(headers, rows, kinds) if formatted else (),
        frozen_header=formatted,
        filtered=formatted,
    )
    return worksheets_bytes([sheet])


CELL_FORMATS = {
    "header": 1,
    "money": 2,
    "percent": 3,
    "integer": 4,
    "number": 5,
    "date": 6,
    "bold": 7,
    "shaded": 8,
    "shaded date": 9,
    "time": 10,
    "duration": 11,
}
"""Cell formats a :class:`Worksheet` gives its cells (0: none): their index in the workbook's styles.

``header`` is the client table's header (bold, tinted, wrapped); ``shaded`` the grey of cells
that repeat something for reference; ``time`` and ``duration`` what Excel shows a time of day
and a duration with (a value a client typed, kept when a workbook is rewritten)."""


@dataclass(frozen=True)
class Worksheet:
    """One sheet of a workbook that :func:`worksheets_bytes` writes: its cells and its layout."""

    title: str
    rows: Sequence[Sequence[Any]]
    """Cell values, row 1 first: None (no cell), text, bool, int, float, date, datetime, time, timedelta."""
    styles: Sequence[Sequence[int]]
    """The cell format of each cell (a value of :data:`CELL_FORMATS`, 0 for none), as ``rows``."""
    widths: Sequence[float] = ()
    """Width of the first columns, in characters (others keep Excel's default)."""
    frozen_header: bool = False
    filtered: bool = False
    """A filter on the used range (the header's drop-down arrows)."""
    drop_downs: Sequence[tuple[str, Sequence[str]]] = ()
    """Cell ranges (``"B2:B300"``) whose cells offer a list of values to choose from."""


_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")
"""Characters XML 1.0 cannot hold (openpyxl refuses them too): they stop a workbook from opening."""
MAX_CELL_TEXT = 32767
"""Characters an Excel cell holds; longer text is cut there (as openpyxl does)."""
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XF_TAIL = 'borderId="0" pivotButton="0" quotePrefix="0" xfId="0"'
_STYLES_XML = (
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%" />'
    '<numFmt numFmtId="165" formatCode="#,##0.0" /><numFmt numFmtId="166" formatCode="yyyy-mm-dd" />'
    '<numFmt numFmtId="167" formatCode="[hh]:mm:ss" /></numFmts>'
    '<fonts count="2"><font><name val="Calibri" /><family val="2" /><sz val="11" /></font>'
    '<font><b val="1" /></font></fonts>'
    '<fills count="4"><fill><patternFill /></fill><fill><patternFill patternType="gray125" /></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00E8EEF4" /></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00EEEEEE" /></patternFill></fill></fills>'
    '<borders count="1"><border><left /><right /><top /><bottom /><diagonal /></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" /></cellStyleXfs>'
    '<cellXfs count="12">'
    f'<xf numFmtId="0" fontId="0" fillId="0" {_XF_TAIL} />'
    f'<xf numFmtId="0" fontId="1" fillId="2" borderId="0" applyAlignment="1" pivotButton="0"'
    ' quotePrefix="0" xfId="0"><alignment vertical="top" wrapText="1" /></xf>'
    f'<xf numFmtId="4" fontId="0" fillId="0" {_XF_TAIL} />'  # MONEY_FORMAT, built in
    f'<xf numFmtId="164" fontId="0" fillId="0" {_XF_TAIL} />'  # PERCENT_FORMAT
    f'<xf numFmtId="3" fontId="0" fillId="0" {_XF_TAIL} />'  # INTEGER_FORMAT, built in
    f'<xf numFmtId="165" fontId="0" fillId="0" {_XF_TAIL} />'  # NUMBER_FORMAT
    f'<xf numFmtId="166" fontId="0" fillId="0" {_XF_TAIL} />'  # DATE_FORMAT
    f'<xf numFmtId="0" fontId="1" fillId="0" {_XF_TAIL} />'  # bold
    f'<xf numFmtId="0" fontId="0" fillId="3" {_XF_TAIL} />'  # shaded
    f'<xf numFmtId="166" fontId="0" fillId="3" {_XF_TAIL} />'  # shaded date
    f'<xf numFmtId="21" fontId="0" fillId="0" {_XF_TAIL} />'  # time: h:mm:ss, built in
    f'<xf numFmtId="167" fontId="0" fillId="0" {_XF_TAIL} />'  # duration
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0" /></cellStyles>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16" />'
    "</styleSheet>"
)
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)


def _fitted_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> list[int]:
    """Column widths in characters: the longest text (header included), 14 for money, 10 for numbers."""
    widths = [len(h) for h in headers]
    for number, kind in enumerate(kinds):
        width = widths[number]
        for row in rows:
            value = row[number]
            if isinstance(value, str):
                width = max(width, min(len(value), MAX_CELL_TEXT))
            elif value is not None:
                width = max(width, 14 if kind == "money" else 10)
        widths[number] = min(MAX_WIDTH, width + 2)
    return widths


def _column_letter(number: int) -> str:
    """Excel's name of column ``number`` (1 = "A", 27 = "AA")."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _dimension(rows: Sequence[Sequence[Any]]) -> str:
    """The sheet's used range ("A1:P46"); "A1:A1" for a sheet without cells."""
    width = max((len(r) for r in rows), default=0)
    return f"A1:{_column_letter(width)}{len(rows)}" if width else "A1:A1"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _excel_number(value: Any) -> Any:
    """Dates and times as Excel serial numbers (days since 1899-12-30), as openpyxl converts them."""
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, datetime.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    days = (value - _EXCEL_EPOCH).days
    days -= 1 if 0 < days <= 60 else 0  # Excel's 29 February 1900
    return days + _excel_number(value.time())


def _cell_xml(ref: str, value: Any, style: int) -> str:
    """One ``<c>`` element: text inline (never a formula), numbers and dates as numbers."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s} />'
    if isinstance(value, str):
        text = value[:MAX_CELL_TEXT]
        if not text:
            return f'<c r="{ref}"{s} t="inlineStr" />'
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and stripped != text else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        value = _excel_number(value)
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return f'<c r="{ref}"{s} t="n"><v /></c>'
    return f'<c r="{ref}"{s} t="n"><v>{value:.16g}</v></c>'


def _sheet_xml(sheet: Worksheet) -> str:
    """The worksheet part of ``sheet``: views, column widths, cells, filter, drop-down lists.

    A cell without a value is left out unless it has a format (a shaded empty cell).
    """
    dimension = _dimension(sheet.rows)
    parts = [f'<worksheet xmlns="{_MAIN_NS}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1" />']
    parts.append(f'<pageSetUpPr /></sheetPr><dimension ref="{dimension}" />')
    parts.append('<sheetViews><sheetView workbookViewId="0">')
    if sheet.frozen_header:
        parts.append('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen" />')
        parts.append('<selection pane="bottomLeft" activeCell="A1" sqref="A1" />')
    else:
        parts.append('<selection activeCell="A1" sqref="A1" />')
    parts.append('</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15" />')
    if sheet.widths:
        parts.append("<cols>")
        parts.extend(
            f'<col width="{w:.16g}" customWidth="1" min="{n}" max="{n}" />'
            for n, w in enumerate(sheet.widths, 1)
        )
        parts.append("</cols>")
    parts.append("<sheetData>")
    letters = [_column_letter(n) for n in range(1, max((len(r) for r in sheet.rows), default=0) + 1)]
    for number, (row, styles) in enumerate(zip(sheet.rows, sheet.styles, strict=True), start=1):
        if row:
            cells = "".join(
                _cell_xml(f"{c}{number}", v, s)
                for c, v, s in zip(letters, row, styles, strict=False)
                if v is not None or s
            )
            parts.append(f'<row r="{number}">{cells}</row>')
    parts.append("</sheetData>")
    if sheet.filtered:
        parts.append(f'<autoFilter ref="{dimension}" />')
    if sheet.drop_downs:
        parts.append(f'<dataValidations count="{len(sheet.drop_downs)}">')
        for cells, choices in sheet.drop_downs:
            parts.append(
                f'<dataValidation sqref="{cells}" showDropDown="0" showInputMessage="0"'
                ' showErrorMessage="0" allowBlank="1" type="list">'
                f"<formula1>{_escape(chr(34) + ','.join(choices) + chr(34))}</formula1></dataValidation>"
            )
        parts.append("</dataValidations>")
    parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5" />')
    parts.append("</worksheet>")
    xml = "".join(parts)
    found = _ILLEGAL_XML.search(xml)
    if found:
        raise ValueError(_illegal_text_message(sheet, found.group()))
    return xml


def _illegal_text_message(sheet: Worksheet, char: str) -> str:
    """Where the first text holding ``char`` is: sheet, row (as Excel numbers it) and column."""
    header = sheet.rows[0] if sheet.rows else []
    for number, row in enumerate(sheet.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, str) and char in value:
                name = header[column] if column < len(header) else _column_letter(column + 1)
                return (
                    f"sheet '{sheet.title}', row {number}, column '{name}': the text holds the control"
                    f" character {char!r}, which an Excel workbook cannot store; remove it from the data"
                )
    return f"sheet '{sheet.title}': a text holds the control character {char!r}"  # pragma: no cover


def worksheets_bytes(sheets: Sequence[Worksheet]) -> bytes:
    """An XLSX workbook of ``sheets``, written as SpreadsheetML text.

    The parts are those openpyxl writes for the same cells and formats (less its theme and
    document properties): stage outputs are written while the next stage waits, and openpyxl
    takes about 30 µs a cell (an object per cell, then a pure-Python XML tree) where this takes
    about 3 µs. Zip members carry a fixed date, so the same cells give the same bytes.

    Raises
    ------
    ValueError
        A text holds a control character a workbook cannot store (the message names the sheet,
        row and column).
    """
    names, entries, types, rels = [], [], [], []
    for index, sheet in enumerate(sheets):
        number = index + 1
        entries.append(
            f'<sheet name="{_escape(sheet.title).replace(chr(34), "&quot;")}" sheetId="{number}"'
            f' state="visible" r:id="rId{number}" />'
        )
        types.append(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" />'
        )
        rels.append(
            f'<Relationship Type="{_REL_NS}/worksheet" Target="/xl/worksheets/sheet{number}.xml"'
            f' Id="rId{number}" />'
        )
        if sheet.filtered:
            absolute = re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", _dimension(sheet.rows))
            quoted = _escape("'" + sheet.title.replace("'", "''") + "'")
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                f"{quoted}!{absolute}</definedName>"
            )
    members = _package_parts(entries, names, types, rels)
    members |= {f"xl/worksheets/sheet{n}.xml": _sheet_xml(s) for n, s in enumerate(sheets, 1)}
    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in members.items():
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _package_parts(
    sheets: Sequence[str], names: Sequence[str], types: Sequence[str], rels: Sequence[str]
) -> dict[str, str]:
    """The parts around the worksheets: content types, relationships, workbook, styles."""
    ooxml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    defined = f"<definedNames>{''.join(names)}</definedNames>" if names else "<definedNames />"
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
            '<Default Extension="xml" ContentType="application/xml" />'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ooxml}.sheet.main+xml" />'
            f"{''.join(types)}"
            f'<Override PartName="/xl/styles.xml" ContentType="{ooxml}.styles+xml" /></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Type="{_REL_NS}/officeDocument"'
            ' Target="xl/workbook.xml" Id="rId1" /></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns:r="{_REL_NS}" xmlns="{_MAIN_NS}"><workbookPr /><workbookProtection />'
            '<bookViews><workbookView visibility="visible" minimized="0" showHorizontalScroll="1"'
            ' showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0"'
            f' autoFilterDateGrouping="1" /></bookViews><sheets>{"".join(sheets)}</sheets>{defined}'
            '<calcPr calcId="124519" fullCalcOnLoad="1" /></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">{"".join(rels)}'
            f'<Relationship Type="{_REL_NS}/styles" Target="styles.xml" Id="rId{len(rels) + 1}" />'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES_XML,
    }


def _plain_kind(values: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "plain"
    return "plain" if pd.api.types.is_numeric_dtype(values) else "text"
