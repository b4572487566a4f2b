"""The reader of kamtools' own SpreadsheetML (io.workbooks): the cells openpyxl reads, or it declines."""

from __future__ import annotations

import datetime as dt
import io as stdio
import random
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kamtools.excel import CELL_FORMATS, Worksheet, worksheets_bytes
from kamtools.io import InputFileError, own_workbook, read_workbook
from kamtools.io import workbooks as reader


def openpyxl_rows(data: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(stdio.BytesIO(data), read_only=True, data_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


def own_rows(data: bytes) -> dict[str, list[tuple]] | None:
    with zipfile.ZipFile(stdio.BytesIO(data)) as archive:
        sheets = own_workbook(archive)
    return None if sheets is None else {sheet.title: sheet.rows for sheet in sheets}


def typed(rows: dict[str, list[tuple]]) -> dict[str, list[list[tuple[type, object]]]]:
    """Rows with each value's type beside it: 1 and 1.0, or a date and a datetime, must not pass as equal."""
    return {title: [[(type(v), v) for v in row] for row in sheet] for title, sheet in rows.items()}


TEXTS = [
    "",
    " ",
    "plain",
    "  both ends ",
    "tab\tand\nnew line",
    "cr\r\nlf",
    "&<>\"'",
    "=SUM(A1)",
    "é€😀",
    "\u00a0nbsp\x85",
]


def random_value(rng: random.Random):
    kind = rng.randrange(10)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice(TEXTS) + "".join(rng.choice("ab &<é\n ") for _ in range(rng.randrange(4)))
    if kind == 2:
        return rng.choice([0, 7, -3, 10**12, rng.randrange(-(10**6), 10**6)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e-7, 1e20, 2.0, 123456789.123456789, rng.uniform(-1e6, 1e6)])
    if kind == 4:
        return rng.choice([True, False])
    if kind == 5:
        return dt.date(rng.randrange(1900, 2100), rng.randrange(1, 13), rng.randrange(1, 29))
    if kind == 6:
        return dt.datetime(
            rng.randrange(1900, 2100), rng.randrange(1, 13), rng.randrange(1, 29),
            rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(10**6),
        )  # fmt: skip
    if kind == 7:
        return dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(10**6))
    if kind == 8:
        return dt.timedelta(seconds=rng.uniform(0, 10**6))
    return dt.date(1900, rng.randrange(1, 4), rng.randrange(1, 29))  # around Excel's 29 February 1900


def random_workbook(rng: random.Random) -> bytes:
    formats = [0, *CELL_FORMATS.values()]
    sheets = []
    for number in range(rng.randrange(1, 4)):
        rows = [[random_value(rng) for _ in range(rng.randrange(0, 7))] for _ in range(rng.randrange(0, 10))]
        styles = [[rng.choice(formats) for _ in row] for row in rows]
        sheets.append(
            Worksheet(
                f"sheet {number}", rows, styles, frozen_header=rng.random() < 0.5, filtered=rng.random() < 0.5
            )
        )
    return worksheets_bytes(sheets)


def test_own_workbooks_read_as_openpyxl_reads_them():
    rng = random.Random(20261201)
    compared = declined = 0
    for _ in range(400):
        data = random_workbook(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of a date outside Excel's range
            expected = openpyxl_rows(data)
        found = own_rows(data)
        if found is None:
            declined += 1  # a number in a date format outside Excel's dates: openpyxl reads "#VALUE!"
            continue
        assert typed(found) == typed(expected)
        assert list(found) == list(expected)
        compared += 1
    assert compared > 250 and declined > 0


def test_serial_numbers_convert_as_openpyxl_converts_them():
    from openpyxl.utils.datetime import from_excel

    rng = random.Random(7)
    serials = [0, 0.5, 0.999999999, 1, 59, 59.75, 60, 60.5, 61, 45000, 45000.000011574, 2958465.99]
    serials += [rng.uniform(0, 80000) for _ in range(3000)] + [rng.randrange(0, 80000) for _ in range(300)]
    for serial in serials:
        assert reader._from_excel(serial, "date") == from_excel(serial), serial
        assert reader._from_excel(serial, "duration") == from_excel(serial, timedelta=True), serial


def test_the_writers_number_formats_are_the_dates_and_durations_openpyxl_sees():
    from openpyxl import load_workbook

    data = worksheets_bytes([Worksheet("s", [[1]], [[0]])])
    book = load_workbook(stdio.BytesIO(data), read_only=True)
    with zipfile.ZipFile(stdio.BytesIO(data)) as archive:
        kinds = reader._style_kinds(archive.read("xl/styles.xml"))
    assert {i for i, k in enumerate(kinds) if k != "number"} == set(book._date_formats)
    assert {i for i, k in enumerate(kinds) if k == "duration"} == set(book._timedelta_formats)
    assert {CELL_FORMATS["date"], CELL_FORMATS["time"], CELL_FORMATS["duration"]} <= set(book._date_formats)


def openpyxl_workbook(fill) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    fill(book.active)
    buffer = stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "fill",
    [
        lambda ws: ws.append([1, "=A1*2"]),  # a formula
        lambda ws: (ws.append([dt.date(2026, 1, 2)]), setattr(ws["A1"], "number_format", "d-mmm-yy")),
    ],
    ids=["formula", "another date format"],
)
def test_a_workbook_with_parts_the_writer_never_uses_is_left_to_openpyxl(fill):
    data = openpyxl_workbook(fill)
    assert own_rows(data) is None
    assert list(read_workbook(data)) == list(openpyxl_rows(data))  # read by openpyxl, as before


def test_a_workbook_openpyxl_wrote_with_text_and_numbers_reads_the_same():
    data = openpyxl_workbook(lambda ws: [ws.append(r) for r in (["name", "n"], [" a ", 2], ["b", 2.5])])
    assert typed(own_rows(data)) == typed(openpyxl_rows(data))


def test_edited_parts_are_declined():
    data = worksheets_bytes([Worksheet("s", [["a", "b"], [1, 2]], [[0, 0], [0, 0]])])

    def edited(member: str, old: bytes, new: bytes) -> bytes:
        buffer = stdio.BytesIO()
        with zipfile.ZipFile(stdio.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
            for name in source.namelist():
                part = source.read(name)
                target.writestr(name, part.replace(old, new) if name == member else part)
        return buffer.getvalue()

    sheet = "xl/worksheets/sheet1.xml"
    assert own_rows(data) == {"s": [("a", "b"), (1, 2)]}
    assert own_rows(edited(sheet, b'<row r="2">', b'<row r="2" spans="1:2">')) == own_rows(data)
    assert own_rows(edited(sheet, b"<v>2</v>", b"<f>A2+1</f><v>2</v>")) is None  # a formula
    assert own_rows(edited(sheet, b't="inlineStr"><is><t>a</t></is>', b't="s"><v>0</v>')) is None  # shared
    assert own_rows(edited(sheet, b'<row r="2">', b'<row r="3">')) is None  # outside the dimension
    assert own_rows(edited(sheet, b'r="B2"', b'r="C2"')) is None  # a cell outside the dimension
    assert (
        own_rows(edited(sheet, b't="inlineStr"><is><t>a</t>', b't="inlineStr"><is><r><t>a</t></r>')) is None
    )
    assert own_rows(edited("xl/workbook.xml", b"<workbookPr />", b'<workbookPr date1904="1" />')) is None
    assert own_rows(edited("xl/styles.xml", b'formatCode="yyyy-mm-dd"', b'formatCode="dd/mm/yy"')) is None
    assert own_rows(edited(sheet, b"<sheetData>", b"<sheetData><broken")) is None


def test_tracker_frames_are_the_same_through_either_reader(monkeypatch):
    rng = random.Random(3)
    for _ in range(40):
        data = random_workbook(rng)
        if own_rows(data) is None:
            continue
        fast = read_workbook(data)
        monkeypatch.setattr(reader, "_fast_rows", lambda source: None)
        slow = read_workbook(data)
        monkeypatch.undo()
        assert fast.keys() == slow.keys()
        for title in fast:
            pd.testing.assert_frame_equal(fast[title], slow[title])
            assert typed({"t": list(fast[title].itertuples())}) == typed(
                {"t": list(slow[title].itertuples())}
            )


def test_reading_a_tracker_imports_no_openpyxl(tmp_path):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(
        worksheets_bytes(
            [
                Worksheet(
                    "actions", [["action_id", "actual_done"], ["A-1", dt.date(2026, 5, 1)]], [[7, 7], [0, 6]]
                )
            ]
        )
    )
    code = (
        "import sys; from pathlib import Path; from kamtools.io import read_workbook;"
        f" sheets = read_workbook(Path({str(path)!r}));"
        " print(sheets['actions'].iloc[0].tolist(), 'openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['A-1', datetime.datetime(2026, 5, 1, 0, 0)] False"


def test_a_damaged_workbook_is_still_named(tmp_path):
    broken = tmp_path / "tracker_2027.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match=r"tracker_2027\.xlsx: is not a readable XLSX workbook"):
        read_workbook(broken)
    with pytest.raises(InputFileError, match="file not found"):
        read_workbook(Path(tmp_path / "missing.xlsx"))


def client_workbooks(tmp_path: Path) -> list[Path]:
    """Input workbooks as clients and kamtools write them: title rows, a cover sheet, merged
    header cells, dates, numbers stored as text, empty rows."""
    from openpyxl import Workbook

    rows = [
        ["invoice_date", "customer_id", "net_sales", "note"],
        [dt.datetime(2025, 4, 3), "C001", 120.5, " spaced "],
        [None, None, None, None],
        [dt.datetime(2025, 5, 1, 13, 30), 1002, "1.234,50", "=not a formula"],
        [dt.date(2025, 6, 2), "C003", 7, None],
    ]
    written = {
        "kamtools.xlsx": worksheets_bytes(
            [Worksheet("Sales", rows, [[0] * 4, [6, 0, 2, 0], [0] * 4, [6, 0, 0, 0], [6, 0, 4, 0]])]
        ),
        "titles.xlsx": worksheets_bytes(
            [
                Worksheet("Cover", [["Export"]], [[0]]),
                Worksheet("Data", [["Sales 2025"], [], *rows], [[7], [], *[[0] * 4] * 5]),
            ]
        ),
    }
    book = Workbook()
    book.active.title = "Sales"
    for row in [["Sales export"], *rows]:
        book.active.append(row)
    book.active.merge_cells("B2:C2")
    buffer = stdio.BytesIO()
    book.save(buffer)
    written["openpyxl merged header.xlsx"] = buffer.getvalue()
    paths = []
    for name, data in written.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    return paths


def test_input_workbooks_read_the_same_through_either_reader(tmp_path, monkeypatch):
    from kamtools import excel
    from kamtools.io import read_raw_table

    expected = ["invoice_date", "customer_id", "net_sales"]
    for path in client_workbooks(tmp_path):
        with zipfile.ZipFile(path) as archive:  # openpyxl's dates have a format the writer never uses
            assert (own_workbook(archive) is None) == path.name.startswith("openpyxl"), path.name
        for options, nrows in (({}, None), ({"sheet": 0}, None), ({}, 2)):
            try:
                fast = read_raw_table(path, options=options, expected=expected, nrows=nrows)
            except InputFileError as exc:
                fast = exc
            with monkeypatch.context() as patched:
                patched.setattr(excel, "own_workbook", lambda archive: None)  # openpyxl reads it
                try:
                    slow = read_raw_table(path, options=options, expected=expected, nrows=nrows)
                except InputFileError as exc:
                    slow = exc
            if isinstance(slow, InputFileError):
                assert str(fast) == str(slow)
                continue
            pd.testing.assert_frame_equal(fast, slow)
            assert fast.attrs == slow.attrs, path.name
