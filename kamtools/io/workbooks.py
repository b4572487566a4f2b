"""Workbooks kamtools itself hands out and reads back (the planning tracker): every sheet as a frame.

Client input workbooks are read by :func:`kamtools.io.reading.read_raw_table` (cells as text,
header row found); this module reads a workbook kamtools wrote and a consultant filled, with
cells as Excel holds them (dates, numbers) and rows numbered as the sheet numbers them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from kamtools.io.reading import InputFileError


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
    from openpyxl import load_workbook

    label = "workbook" if isinstance(path, bytes) else path.name
    if not isinstance(path, bytes) and not path.exists():
        raise InputFileError(label, "file not found")
    try:
        source = io.BytesIO(path) if isinstance(path, bytes) else path
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise InputFileError(label, f"is not a readable XLSX workbook ({type(exc).__name__})") from exc
    sheets: dict[str, pd.DataFrame] = {}
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            header = [("" if c is None else str(c).strip()) for c in (rows[0] if rows else ())]
            while header and not header[-1]:
                header.pop()
            body = {
                number: list(row[: len(header)]) + [None] * (len(header) - len(row))
                for number, row in enumerate(rows[1:], start=2)
                if any(c is not None and str(c).strip() != "" for c in row[: len(header)])
            }
            frame = pd.DataFrame(list(body.values()), columns=header, index=list(body.keys()), dtype=object)
            sheets[sheet.title] = frame
    finally:
        book.close()
    return sheets
