"""Excel workbooks: reading the ones clients send, writing the ones clients receive.

Clients' workbooks are made for people: a cover sheet first, title rows above the header,
merged header cells, formulas a script wrote without values. The reader finds the table (the
sheet and header row naming the expected columns), keeps Excel's row numbers, and names what
it cannot read. The writer produces a client-formatted workbook: a named sheet, money and
percent formats, a frozen header, fitted column widths, and every text a string cell (never
a live formula, whatever a customer name holds).
"""

from __future__ import annotations

import datetime
import io as stdio
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.io import (
    SNIFF_BYTES,
    InputFileError,
    ReadFinding,
    duplicate_headers,
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


def read_workbook(
    path: Path, options: Mapping[str, Any], *, nrows: int | None, expected: Sequence[str]
) -> pd.DataFrame:
    import openpyxl

    label = path.name
    _check_workbook_file(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook: all mean the same
        raise InputFileError(
            label, f"the file is damaged or not a workbook Excel wrote ({type(exc).__name__})"
        ) from exc
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
    import openpyxl

    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets):
            return []
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
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = [c for c in frame.columns if not (formatted and str(c).startswith("_"))]
    kinds = {c: column_kind(c, frame[c]) if formatted else _plain_kind(frame[c]) for c in columns}
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    headers = [column_label(c, kinds[c], currency) if formatted else str(c) for c in columns]
    sheet.append(headers)
    formats = {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "integer": INTEGER_FORMAT}
    formats |= {"number": NUMBER_FORMAT, "date": DATE_FORMAT}
    widths = [len(h) for h in headers]
    for record in frame[columns].itertuples(index=False, name=None):
        sheet.append([_cell_value(v, kinds[c]) for c, v in zip(columns, record, strict=True)])
    for number, column in enumerate(columns, start=1):
        kind = kinds[column]
        for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a customer named "=HYPERLINK(...)" stays text
                widths[number - 1] = max(widths[number - 1], len(cell.value))
            elif cell.value is not None and formatted:
                cell.number_format = formats.get(kind, "General")
                widths[number - 1] = max(widths[number - 1], 14 if kind == "money" else 10)
    for cell in sheet[1]:
        cell.data_type = "s"
    if formatted:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF4")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for number, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = min(MAX_WIDTH, width + 2)
    buffer = stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain_kind(values: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "plain"
    return "plain" if pd.api.types.is_numeric_dtype(values) else "text"
