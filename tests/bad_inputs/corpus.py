"""The cases of the bad-input corpus, and the small valid workspace each one spoils.

Every case is one real-world way a client's file or a consultant's setting goes wrong, with
the answer ``kam`` must give: exit code 2 and the exact problem text (file, row, column), or
exit code 0 with the documented repair reported. Files are generated, not committed, so the
corpus stays readable in review and each case shows exactly what is wrong with its file.
"""

from __future__ import annotations

import gzip
import io as stdio
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CUSTOMERS_CSV = "customer_id,name\nC1,Alpha Bau\nC2,Beta Müller\nC3,Gamma\n"
SALES_ROWS = [
    ("2024-03-05", "C1", "1200.50", "900"),
    ("2024-07-10", "C2", "300", "210"),
    ("2025-02-01", "C1", "1500", "1100"),
    ("2025-06-15", "C3", "80.25", "60"),
    ("2025-11-30", "C2", "410", "300"),
]
SALES_HEADER = ("invoice_date", "customer_id", "net_sales", "cost")


def sales_csv(rows=SALES_ROWS, header=SALES_HEADER, delimiter: str = ",") -> str:
    """The base invoice lines as CSV text, with some rows or the header changed."""
    return "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"


def base_config() -> dict[str, Any]:
    return {
        "client": {"name": "Corpus Trading", "currency": "EUR", "fiscal_year_start_month": 1},
        "periods": {"current": 2025, "previous": 2024},
        "inputs": {"customers": {"file": "inputs/customers.csv"}, "sales": {"file": "inputs/sales.csv"}},
    }


FileContent = str | bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad file or setting and the answer expected from the command line.

    ``files`` replaces or adds files in ``inputs/`` (text, bytes, or a function writing the
    file); ``settings`` changes the base ``client.yml`` mapping (or replaces the whole file
    when it is text or bytes); ``expect`` lists texts that must appear in what ``kam`` prints.
    """

    name: str
    expect: tuple[str, ...]
    exit_code: int = 2
    files: Mapping[str, FileContent] = field(default_factory=dict)
    settings: Callable[[dict[str, Any]], None] | str | bytes | None = None
    command: str = "validate"
    extra: Mapping[str, FileContent] = field(default_factory=dict)  # paths relative to the workspace

    @property
    def outcome(self) -> str:
        return "repair" if self.exit_code == 0 else "problem"

    def argv(self, workspace: Path, root: Path) -> list[str]:
        if self.command == "run":
            return ["run", str(workspace), "--reports-dir", str(root / "reports"), "--quiet"]
        return [self.command, str(workspace)]


def _write(path: Path, content: FileContent) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def build(case: Case, root: Path) -> Path:
    """Write the case's workspace under ``root`` and return its folder."""
    workspace = root / "corpus"
    files: dict[str, FileContent] = {"customers.csv": CUSTOMERS_CSV, "sales.csv": sales_csv()}
    files.update(case.files)
    # A case may turn a base file into a folder ("sales.csv/part-0.csv").
    files = {n: c for n, c in files.items() if not any(o.startswith(n + "/") for o in files)}
    for name, content in files.items():
        _write(workspace / "inputs" / name, content)
    for name, content in case.extra.items():
        _write(workspace / name, content)
    config_path = workspace / "client.yml"
    if isinstance(case.settings, str | bytes):
        _write(config_path, case.settings)
    else:
        config = base_config()
        if case.settings is not None:
            case.settings(config)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return workspace


# --- helpers that make the bad files --------------------------------------------------------


def _sales_input(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["inputs"]["sales"].update(changes)

    return change


def _customers_input(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["inputs"]["customers"].update(changes)

    return change


def _xlsx(sheets: Mapping[str, list[list[Any]]], *, merge: Mapping[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merge or {}).get(title, "").split():
            sheet.merge_cells(cells)
    buffer = stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sales_rows(rows=SALES_ROWS, header=SALES_HEADER) -> list[list[Any]]:
    return [list(header), *[list(r) for r in rows]]


def _zip(entries: Mapping[str, bytes]) -> bytes:
    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _ole(streams: tuple[str, ...]) -> bytes:
    """The start of an OLE2 compound file (legacy .xls, or an encrypted Office file)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    names = b"".join(s.encode("utf-16-le") + bytes(64 - 2 * len(s)) + bytes(64) for s in streams)
    return header + names + bytes(2048)


def _parquet_with_list_column(column: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pandas as pd

        frame = pd.DataFrame(
            {"customer_id": ["C1", "C2", "C3"], "name": ["Alpha Bau", "Beta Müller", "Gamma"]}
        )
        frame[column] = [["Alpha", "Alpha Bau"], ["Beta"], []]
        frame.to_parquet(path, index=False)

    return write


def _gzip(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _rows_with(index: int, **cells: str) -> list[tuple[str, ...]]:
    rows = [list(r) for r in SALES_ROWS]
    for column, value in cells.items():
        rows[index][SALES_HEADER.index(column)] = value
    return [tuple(r) for r in rows]


def _dates(values: list[str]) -> list[tuple[str, ...]]:
    return [(d, *r[1:]) for d, r in zip(values, SALES_ROWS * 4, strict=False)]


def _amounts(values: list[str]) -> list[tuple[str, ...]]:
    return [(r[0], r[1], v, "") for v, r in zip(values, SALES_ROWS * 4, strict=False)]


def _formula_xlsx(path: Path) -> None:
    rows = _sales_rows()
    for i in range(1, len(rows)):
        rows[i][2] = f"=D{i + 1}*1.3"
    path.write_bytes(_xlsx({"Sales": rows}))


CASES: list[Case] = []

# --- files that cannot be read as tables ----------------------------------------------------
XLSX = _sales_input(file="inputs/sales.xlsx")
CASES += [
    Case(
        "xlsx-zero-byte",
        ("sales.xlsx: the file is empty (0 bytes)",),
        files={"sales.xlsx": b""},
        settings=XLSX,
    ),
    Case(
        "xlsx-truncated",
        (
            "sales.xlsx: the file is damaged or incomplete (an Excel file cut short, e.g. by an interrupted"
            " download or copy)",
        ),
        files={"sales.xlsx": lambda p: p.write_bytes(_xlsx({"Sales": _sales_rows()})[:1500])},
        settings=XLSX,
    ),
    Case(
        "xlsx-zip-not-excel",
        ("sales.xlsx: is a zip archive, not an Excel workbook (it holds: export.csv)",),
        files={"sales.xlsx": _zip({"export.csv": sales_csv().encode()})},
        settings=XLSX,
    ),
    Case(
        "xlsx-password-protected",
        (
            "sales.xlsx: the workbook is protected with a password; save an unprotected copy in Excel"
            " (File > Info > Protect Workbook > Encrypt with Password: clear it)",
        ),
        files={"sales.xlsx": _ole(("EncryptionInfo", "EncryptedPackage"))},
        settings=XLSX,
    ),
    Case(
        "xlsx-is-old-xls",
        ("sales.xlsx: is an Excel 97-2003 (.xls) workbook; open it in Excel and save it as .xlsx",),
        files={"sales.xlsx": _ole(("Workbook", "SummaryInformation"))},
        settings=XLSX,
    ),
    Case(
        "csv-is-really-xlsx",
        (
            "sales.csv: is an Excel workbook, not a CSV text file; name it sales.xlsx in inputs/ and"
            " client.yml",
        ),
        files={"sales.csv": lambda p: p.write_bytes(_xlsx({"Sales": _sales_rows()}))},
    ),
    Case(
        "csv-binary-garbage",
        ("sales.csv: is not a text file (it holds binary data, e.g. a picture or a program)",),
        files={"sales.csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4},
    ),
    Case(
        "csv-gz-corrupt",
        ("sales.csv.gz: the compressed file is damaged or incomplete (gzip data ends early or is corrupt)",),
        files={"sales.csv.gz": lambda p: p.write_bytes(_gzip(sales_csv() * 50)[:60])},
        settings=_sales_input(file="inputs/sales.csv.gz"),
    ),
    Case(
        "csv-gz-not-gzip",
        ("sales.csv.gz: is not a gzip-compressed file although its name ends in .gz",),
        files={"sales.csv.gz": sales_csv()},
        settings=_sales_input(file="inputs/sales.csv.gz"),
    ),
    Case(
        "parquet-list-column-used",
        (
            "customers.parquet, column 'name': holds lists, not single values; kamtools reads one"
            " value per cell",
        ),
        files={"customers.parquet": _parquet_with_list_column("name")},
        settings=_customers_input(file="inputs/customers.parquet"),
    ),
    Case(
        "parquet-list-column-unused",
        ("No problems found",),
        exit_code=0,
        files={"customers.parquet": _parquet_with_list_column("aliases")},
        settings=_customers_input(file="inputs/customers.parquet"),
    ),
    Case(
        "parquet-corrupt",
        ("customers.parquet: is not a readable Parquet file (damaged, incomplete or another format)",),
        files={"customers.parquet": b"PAR1" + bytes(100)},
        settings=_customers_input(file="inputs/customers.parquet"),
    ),
    Case(
        "unsupported-xls-suffix",
        ("sales.xls: unsupported file type '.xls'; use CSV, XLSX or Parquet",),
        files={"sales.xls": b"whatever"},
        settings=_sales_input(file="inputs/sales.xls"),
    ),
    Case(
        "input-is-a-folder",
        ("sales.csv: is a folder, not a file",),
        files={"sales.csv/part-0.csv": sales_csv()},
    ),
    Case(
        "input-missing",
        ("salez.csv: file not found",),
        settings=_sales_input(file="inputs/salez.csv"),
    ),
    Case(
        "csv-empty-zero-byte",
        ("sales.csv: the file is empty (a header row and at least one data row are needed)",),
        files={"sales.csv": b""},
    ),
    Case(
        "csv-header-only",
        ("sales.csv: the file is empty (a header row and at least one data row are needed)",),
        files={"sales.csv": ",".join(SALES_HEADER) + "\n"},
    ),
    Case(
        "csv-ragged-row",
        ("sales.csv, row 4: has 6 fields but the header has 4 (a delimiter inside a value without quotes?)",),
        files={"sales.csv": sales_csv(_rows_with(2, customer_id="C1,extra,more"))},
    ),
    Case(
        "csv-unclosed-quote",
        ("sales.csv, row 3: a quote opened here is never closed",),
        files={"sales.csv": sales_csv(_rows_with(1, customer_id='"C2'))},
    ),
    Case(
        "csv-duplicate-header",
        (
            "sales.csv, row 1, column 'net_sales': appears 2 times in the header (columns 3 and 5); give each"
            " column its own name",
        ),
        files={"sales.csv": sales_csv([(*r, "1") for r in SALES_ROWS], (*SALES_HEADER, "net_sales"))},
    ),
]

# --- encodings ------------------------------------------------------------------------------
CASES += [
    Case(
        "utf16-le-without-bom",
        ("No problems found",),
        exit_code=0,
        files={"customers.csv": CUSTOMERS_CSV.encode("utf-16-le")},
    ),
    Case(
        "utf16-be-without-bom",
        ("No problems found",),
        exit_code=0,
        files={"customers.csv": CUSTOMERS_CSV.encode("utf-16-be")},
    ),
    Case(
        "utf16-with-bom",
        ("No problems found",),
        exit_code=0,
        files={"customers.csv": CUSTOMERS_CSV.encode("utf-16")},
    ),
    Case(
        "utf8-one-stray-byte",
        (
            "customers.csv, row 3: 1 byte that is not valid UTF-8 replaced by '\ufffd' (the rest of the file"
            " is UTF-8)",
        ),
        exit_code=0,
        files={
            "customers.csv": (
                "customer_id,name\nC1,Ärzte Bedarf Zürich\nC2,Beta M\udcfcller\nC3,Gämma Öl\n"
            ).encode("utf-8", "surrogateescape")
        },
    ),
    Case(
        "cp1252-file",
        ("customers.csv: read as Windows-1252 (cp1252)",),
        exit_code=0,
        files={
            "customers.csv": "customer_id,name\nC1,Alpha Bau\nC2,Beta Müller\nC3,Gämma Öl\n".encode("cp1252")
        },
    ),
    Case(
        "encoding-setting-unknown",
        (
            "client.yml: inputs.sales.encoding: 'utf-9' is not an encoding Python knows (e.g. utf-8,"
            " cp1252, latin-1, gbk, utf-16)",
        ),
        settings=_sales_input(encoding="utf-9"),
    ),
    Case(
        "encoding-setting-wrong",
        (
            "customers.csv: cannot be decoded as 'ascii' (the encoding set in client.yml) at row 3;"
            " remove the setting to detect the encoding",
        ),
        settings=_customers_input(encoding="ascii"),
    ),
]

# --- Excel workbooks shaped for people, not for reading ---------------------------------------
CASES += [
    Case(
        "xlsx-cover-sheet-first",
        ("sales.xlsx: read sheet 'Data': the first sheet 'Cover' holds no table with the expected columns",),
        exit_code=0,
        files={
            "sales.xlsx": lambda p: p.write_bytes(
                _xlsx({"Cover": [["Sales export"], ["Prepared by finance"]], "Data": _sales_rows()})
            )
        },
        settings=XLSX,
    ),
    Case(
        "xlsx-no-sheet-has-the-table",
        (
            "sales.xlsx: no sheet holds the expected columns (invoice_date, customer_id, net_sales); sheets:"
            " 'Cover', 'Notes'; set `sheet:` for this file in client.yml",
        ),
        files={"sales.xlsx": lambda p: p.write_bytes(_xlsx({"Cover": [["Sales"]], "Notes": [["none"]]}))},
        settings=XLSX,
    ),
    Case(
        "xlsx-sheet-setting-missing",
        ("sales.xlsx: has no sheet 'Umsatz' (sheet set in client.yml); sheets: 'Sales'",),
        files={"sales.xlsx": lambda p: p.write_bytes(_xlsx({"Sales": _sales_rows()}))},
        settings=_sales_input(file="inputs/sales.xlsx", sheet="Umsatz"),
    ),
    Case(
        "xlsx-title-rows-above-header",
        ("sales.xlsx: the header is on row 3 of sheet 'Sales' (rows above it are titles and were skipped)",),
        exit_code=0,
        files={
            "sales.xlsx": lambda p: p.write_bytes(_xlsx({"Sales": [["Sales 2024-2025"], [], *_sales_rows()]}))
        },
        settings=XLSX,
    ),
    Case(
        "xlsx-merged-header-cells",
        (
            "sales.xlsx, row 1: header cells B1:C1 of sheet 'Sales' are merged; unmerge them so that each"
            " column has its own name",
        ),
        files={
            "sales.xlsx": lambda p: p.write_bytes(
                _xlsx(
                    {"Sales": [["invoice_date", "customer", None, "cost"], *[list(r) for r in SALES_ROWS]]},
                    merge={"Sales": "B1:C1"},
                )
            )
        },
        settings=XLSX,
    ),
    Case(
        "xlsx-formulas-without-values",
        (
            "sales.xlsx, rows 2, 3, 4, 5, 6, column 'net_sales': holds formulas without saved values; open"
            " the file in Excel and save it, or paste the values (e.g. '=D2*1.3')",
        ),
        files={"sales.xlsx": _formula_xlsx},
        settings=XLSX,
    ),
    Case(
        "xlsx-formula-in-name-column",
        ("customers.xlsx, row 3, column 'name': holds formulas without saved values;",),
        files={
            "customers.xlsx": lambda p: p.write_bytes(
                _xlsx(
                    {
                        "Customers": [
                            ["customer_id", "name"],
                            ["C1", "Alpha"],
                            ["C2", '=A3&" GmbH"'],
                            ["C3", "Gamma"],
                        ]
                    }
                )
            )
        },
        settings=_customers_input(file="inputs/customers.xlsx"),
    ),
    Case(
        "xlsx-excel-error-values",
        ("sales.xlsx, row 4, column 'net_sales': is not a number (e.g. '#DIV/0!')",),
        files={
            "sales.xlsx": lambda p: p.write_bytes(
                _xlsx({"Sales": _sales_rows(_rows_with(2, net_sales="#DIV/0!"))})
            )
        },
        settings=XLSX,
    ),
    Case(
        "xlsx-empty-workbook",
        ("sales.xlsx: the file is empty (a header row and at least one data row are needed)",),
        files={"sales.xlsx": lambda p: p.write_bytes(_xlsx({"Sheet1": []}))},
        settings=XLSX,
    ),
]

# --- dates ----------------------------------------------------------------------------------
RECEIVABLES = "customer_id,invoice_id,due_date,paid_date,amount\n"


def _receivables(paid: str) -> str:
    return RECEIVABLES + f"C1,INV1,2025-03-01,2025-03-05,100\nC2,INV2,2025-04-01,{paid},200\n"


def _with_receivables(config: dict[str, Any]) -> None:
    config["inputs"]["receivables"] = {"file": "inputs/receivables.csv"}


CASES += [
    Case(
        "dates-utc-z",
        (
            "sales.csv, column 'invoice_date': dates with a time zone (e.g. '2024-03-05T10:00:00Z')"
            " read as the calendar date written; time and zone dropped",
        ),
        exit_code=0,
        files={"sales.csv": sales_csv(_dates([r[0] + "T10:00:00Z" for r in SALES_ROWS]))},
    ),
    Case(
        "dates-mixed-offsets",
        (
            "sales.csv, column 'invoice_date': dates with a time zone (e.g. '2024-03-05T08:00:00-05:00')"
            " read as the calendar date written; time and zone dropped",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                _dates(
                    [
                        r[0] + ("T23:30:00+02:00" if i % 2 else "T08:00:00-05:00")
                        for i, r in enumerate(SALES_ROWS)
                    ]
                )
            )
        },
    ),
    Case(
        "dates-sap-never-paid",
        ("receivables.csv, column 'paid_date': 9999-12-31 read as not paid (open), as SAP writes it",),
        exit_code=0,
        files={"receivables.csv": _receivables("9999-12-31")},
        settings=_with_receivables,
    ),
    Case(
        "dates-9999-as-invoice-date",
        (
            "sales.csv, row 6, column 'invoice_date': the year 9999 is outside the dates kamtools can"
            " analyse (1900 to 2200) (e.g. '9999-12-31')",
        ),
        files={"sales.csv": sales_csv(_rows_with(4, invoice_date="9999-12-31"))},
    ),
    Case(
        "dates-year-0000",
        ("sales.csv, row 2, column 'invoice_date': is not a date (e.g. '0000-00-00')",),
        files={"sales.csv": sales_csv(_rows_with(0, invoice_date="0000-00-00"))},
    ),
    Case(
        "dates-year-2999",
        (
            "receivables.csv, row 3, column 'due_date': the year 2999 is outside the dates kamtools can"
            " analyse (1900 to 2200) (e.g. '2999-01-01')",
        ),
        files={"receivables.csv": RECEIVABLES + "C1,INV1,2025-03-01,,100\nC2,INV2,2999-01-01,,200\n"},
        settings=_with_receivables,
    ),
    Case(
        "dates-day-first-column",
        (
            "sales.csv, column 'invoice_date': dates read as day/month/year (decided by values such as"
            " '30/11/2025', whose first field is above 12)",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                _dates(["05/03/2024", "10/07/2024", "01/02/2025", "15/06/2025", "30/11/2025"])
            )
        },
    ),
    Case(
        "dates-month-first-column",
        (
            "sales.csv, column 'invoice_date': dates read as month/day/year (decided by values such as"
            " '11/30/2025', whose second field is above 12)",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                _dates(["03/05/2024", "07/10/2024", "02/01/2025", "06/15/2025", "11/30/2025"])
            )
        },
    ),
    Case(
        "dates-ambiguous-both-ways",
        (
            "sales.csv, rows 2, 3, 4, 5, 6, column 'invoice_date': dates such as '05/03/2024' can be read"
            " day/month or month/day and no value decides; set `dayfirst: true` or `date_format:` for"
            " this file in client.yml",
        ),
        files={
            "sales.csv": sales_csv(
                _dates(["05/03/2024", "10/07/2024", "01/02/2025", "06/05/2025", "11/10/2025"])
            )
        },
    ),
    Case(
        "dates-mixed-orders",
        (
            "sales.csv, row 6, column 'invoice_date': mixes day/month dates (e.g. '15/06/2025') and month/day"
            " dates (e.g. '11/30/2025'); the column must use one order",
        ),
        files={
            "sales.csv": sales_csv(
                _dates(["05/03/2024", "10/07/2024", "01/02/2025", "15/06/2025", "11/30/2025"])
            )
        },
    ),
    Case(
        "dates-dayfirst-setting-contradicted",
        (
            "sales.csv, row 6, column 'invoice_date': is not a date in the order day/month/year"
            " (dayfirst: true in client.yml) (e.g. '11/30/2025')",
        ),
        files={
            "sales.csv": sales_csv(
                _dates(["05/03/2024", "10/07/2024", "01/02/2025", "06/05/2025", "11/30/2025"])
            )
        },
        settings=_sales_input(dayfirst=True),
    ),
    Case(
        "dates-format-setting-wrong",
        (
            "sales.csv, rows 2, 3, 4, 5, 6, column 'invoice_date': is not a date in the format %d.%m.%Y"
            " (e.g. '2024-03-05'",
        ),
        settings=_sales_input(date_format="%d.%m.%Y"),
    ),
    Case(
        "dates-format-setting-invalid",
        ("client.yml: inputs.sales.date_format: '%Q-%m' is not a date format (use codes such as %d.%m.%Y)",),
        settings=_sales_input(date_format="%Q-%m"),
    ),
    Case(
        "dates-excel-serials",
        ("No problems found",),
        exit_code=0,
        files={"sales.csv": sales_csv(_dates(["45356", "45483", "45689", "45823", "45991"]))},
    ),
    Case(
        "dates-german-dotted",
        ("sales.csv, column 'invoice_date': dates read as day/month/year",),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                _dates(["05.03.2024", "10.07.2024", "01.02.2025", "15.06.2025", "30.11.2025"])
            )
        },
    ),
]

# --- numbers --------------------------------------------------------------------------------
CASES += [
    Case(
        "numbers-decimal-comma-setting",
        (
            "sales.csv, column 'net_sales': numbers read with a decimal comma and '.' between thousands"
            " (set in client.yml)",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(_amounts(["557,49", "1.200,50", "300", "80,25", "410"]), delimiter=";")
        },
        settings=_sales_input(decimal="comma"),
    ),
    Case(
        "numbers-decimal-comma-detected",
        (
            "sales.csv, column 'net_sales': numbers read with a decimal comma and '.' between thousands"
            " (decided by values such as '1.200,50')",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(_amounts(["557,49", "1.200,50", "300", "80,25", "410"]), delimiter=";")
        },
    ),
    Case(
        "numbers-dot-thousands-without-decimals",
        (
            "sales.csv, column 'net_sales': numbers read with a decimal comma and '.' between thousands"
            " (decided by values such as '1.234.567')",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(_amounts(["2.299", "1.234.567", "300", "15.400", "410"]), delimiter=";")
        },
    ),
    Case(
        "numbers-dot-ambiguous",
        (
            "sales.csv, column 'net_sales': numbers read with '.' between thousands (values such as"
            " '2.299' have three digits after the '.' and no value has decimals; set `decimal:` for this"
            " file in client.yml if they are decimals)",
        ),
        exit_code=0,
        files={"sales.csv": sales_csv(_amounts(["2.299", "1.250", "300", "15.400", "410"]), delimiter=";")},
    ),
    Case(
        "numbers-mixed-formats",
        (
            "sales.csv, row 5, column 'net_sales': mixes a decimal comma (e.g. '557,49') and a decimal point"
            " (e.g. '80.25'); the column must use one format",
        ),
        files={"sales.csv": sales_csv(_amounts(["557,49", "1200,50", "300", "80.25", "410"]), delimiter=";")},
    ),
    Case(
        "numbers-decimal-setting-contradicted",
        (
            "sales.csv, row 2, column 'net_sales': is not a number with a decimal point"
            " (decimal: '.' in client.yml) (e.g. '557,49')",
        ),
        files={"sales.csv": sales_csv(_amounts(["557,49", "1200", "300", "80", "410"]), delimiter=";")},
        settings=_sales_input(decimal="."),
    ),
    Case(
        "numbers-decimal-setting-invalid",
        (
            "client.yml: inputs.sales.decimal: 'semicolon' is not a decimal separator; use '.' (or point),"
            " ',' (or comma) or auto",
        ),
        settings=_sales_input(decimal="semicolon"),
    ),
    Case(
        "numbers-thousands-comma",
        (
            "sales.csv, column 'net_sales': numbers read with a decimal point and ',' between thousands"
            " (decided by values such as '1,200.50')",
        ),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                _amounts(["1,200.50", "300", "80.25", "12,410", "5"]).copy(), delimiter=";"
            )
        },
    ),
    Case(
        "numbers-infinity",
        ("sales.csv, row 3, column 'net_sales': is not a finite number (e.g. 'inf')",),
        files={"sales.csv": sales_csv(_rows_with(1, net_sales="inf"))},
    ),
    Case(
        "numbers-huge",
        (
            "sales.csv, row 4, column 'net_sales': is too large to be real (more than 1,000,000,000,000)"
            " (e.g. '1e308')",
        ),
        files={"sales.csv": sales_csv(_rows_with(2, net_sales="1e308"))},
    ),
    Case(
        "numbers-huge-cost",
        ("sales.csv, row 2, column 'cost': is too large to be real (more than 1,000,000,000,000)",),
        files={"sales.csv": sales_csv(_rows_with(0, cost="-1.5e300"))},
    ),
    Case(
        "numbers-nan-text",
        ("sales.csv, row 5, column 'net_sales': is not a number (e.g. 'NaN')",),
        files={"sales.csv": sales_csv(_rows_with(3, net_sales="NaN"))},
    ),
    Case(
        "numbers-infinity-in-parquet",
        ("sales.parquet, row 3, column 'net_sales': is not a finite number (e.g. 'inf')",),
        files={
            "sales.parquet": lambda p: (
                __import__("pandas")
                .DataFrame(
                    {
                        "invoice_date": __import__("pandas").to_datetime([r[0] for r in SALES_ROWS]),
                        "customer_id": [r[1] for r in SALES_ROWS],
                        "net_sales": [1.0, float("inf"), 3.0, 4.0, 5.0],
                    }
                )
                .to_parquet(p, index=False)
            )
        },
        settings=_sales_input(file="inputs/sales.parquet"),
    ),
    Case(
        "numbers-currency-and-spaces",
        ("sales.csv, column 'net_sales': removed currency signs or thousands separators: 2 rows",),
        exit_code=0,
        files={
            "sales.csv": sales_csv(
                [("2024-03-05", "C1", "€ 1200.50", "900"), *_rows_with(1, net_sales="EUR 300")[1:]]
            )
        },
    ),
]

# --- settings of one input (client.yml inputs.*) ----------------------------------------------
CASES += [
    Case(
        "setting-columns-a-string",
        (
            "client.yml: inputs.sales.columns: must be a mapping of contract column: your column"
            " (e.g. {customer_id: Kundennr}), not a text",
        ),
        settings=_sales_input(columns="customer_id"),
    ),
    Case(
        "setting-input-a-string",
        ("client.yml: inputs.sales: must be a mapping with at least `file:`, not a text",),
        settings=lambda c: c["inputs"].update(sales="inputs/sales.csv"),
    ),
    Case(
        "setting-exclude-rows-bad-regex",
        (
            "client.yml: inputs.sales.exclude_rows[0].matches: '[POST' is not a valid regular expression"
            " (unterminated character set at position 0)",
        ),
        settings=_sales_input(exclude_rows=[{"column": "customer_id", "matches": "[POST", "reason": "x"}]),
    ),
    Case(
        "setting-exclude-rows-not-a-list",
        ("client.yml: inputs.sales.exclude_rows: must be a list of rules, not a text",),
        settings=_sales_input(exclude_rows="POST"),
    ),
    Case(
        "setting-unknown-input-key",
        ("client.yml: inputs.sales: unknown setting 'date_fromat' (did you mean 'date_format'?)",),
        settings=_sales_input(date_fromat="%d.%m.%Y"),
    ),
    Case(
        "setting-delimiter-too-long",
        ("client.yml: inputs.sales.delimiter: must be one character (e.g. ';'), not ';;'",),
        settings=_sales_input(delimiter=";;"),
    ),
    Case(
        "setting-dayfirst-not-boolean",
        ("client.yml: inputs.sales.dayfirst: must be true or false, not 'sometimes'",),
        settings=_sales_input(dayfirst="sometimes"),
    ),
    Case(
        "setting-file-absolute-outside",
        (
            "client.yml: inputs.sales.file: '/etc/passwd' is outside the workspace; copy the file into"
            " inputs/ (or set `allow_outside: true` for this input to read it where it is)",
        ),
        settings=_sales_input(file="/etc/passwd"),
    ),
    Case(
        "setting-file-parent-path",
        ("client.yml: inputs.sales.file: '../../sales.csv' is outside the workspace",),
        settings=_sales_input(file="../../sales.csv"),
    ),
    Case(
        "setting-net-sales-from-wrong-shape",
        ("client.yml: inputs.sales.net_sales_from: must name two columns [quantity, unit price], not 'Qty'",),
        settings=_sales_input(net_sales_from="Qty"),
    ),
]

# --- the customer master and the links between files ------------------------------------------
CASES += [
    Case(
        "customers-id-column-named-differently-with-overrides",
        (
            "customers.csv, column 'customer_id': required column is missing; add it or map your column"
            " to it in client.yml (the file has: cust_no, name)",
        ),
        files={"customers.csv": CUSTOMERS_CSV.replace("customer_id", "cust_no")},
        extra={
            "workshop/screening_overrides.csv": "customer_id,tier,reason,decided_by\nC1,key,strategic,MD\n"
        },
    ),
    Case(
        "sales-unknown-customer",
        ("sales.csv, row 4, column 'customer_id': customer not found in the customer master (e.g. 'C9')",),
        files={"sales.csv": sales_csv(_rows_with(2, customer_id="C9"))},
    ),
    Case(
        "sales-empty-required-value",
        ("sales.csv, row 3, column 'customer_id': required value is empty",),
        files={"sales.csv": sales_csv(_rows_with(1, customer_id=""))},
    ),
    Case(
        "overrides-file-damaged",
        ("screening_overrides.csv: missing column(s) ['tier', 'reason', 'decided_by']",),
        extra={"workshop/screening_overrides.csv": "customer_id\nC1\n"},
    ),
]


# --- settings of client.yml itself ----------------------------------------------------------
def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        keys = path.split(".")
        target = config
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value

    return change


def _without_client_keys(config: dict[str, Any]) -> None:
    config["client"] = ["Corpus Trading", "EUR"]


CASES += [
    Case(
        "config-client-a-list",
        (
            "client.yml: 'client' must be a mapping of settings (name, currency, fiscal_year_start_month),"
            " not a list",
        ),
        settings=_without_client_keys,
    ),
    Case(
        "config-periods-a-text",
        ("client.yml: 'periods' must be a mapping of settings (current, previous), not the text '2025'",),
        settings=_set("periods", "2025"),
    ),
    Case(
        "config-inputs-a-list",
        ("client.yml: 'inputs' must be a mapping of table: settings, not a list",),
        settings=_set("inputs", ["inputs/sales.csv"]),
    ),
    Case(
        "config-misspelt-currency",
        ("client.yml: unknown setting 'client.curency' (did you mean 'currency'?)",),
        settings=_set("client.curency", "EUR"),
    ),
    Case(
        "config-misspelt-fiscal-year-start",
        (
            "client.yml: unknown setting 'client.fiscal_year_start_mnth' (did you mean"
            " 'fiscal_year_start_month'?)",
        ),
        settings=_set("client.fiscal_year_start_mnth", 4),
    ),
    Case(
        "config-misspelt-section",
        ("client.yml: unknown section(s) ['screenig']; allowed:", "(did you mean 'screening'?)"),
        settings=_set("screenig", {"key_accounts": 10}),
    ),
    Case(
        "config-misspelt-period-key",
        ("client.yml: unknown setting 'periods.previos' (did you mean 'previous'?)",),
        settings=_set("periods.previos", 2024),
    ),
    Case(
        "config-period-99999",
        ("client.yml: 'periods.current' must be a fiscal year from 1990 to 2100, not 99999",),
        settings=_set("periods.current", 99999),
    ),
    Case(
        "config-name-300-characters",
        (
            "client.yml: 'client.name' must be one line of at most 120 characters (reports show it in every"
            " title), not 300 characters",
        ),
        settings=_set("client.name", "A" * 300),
    ),
    Case(
        "config-currency-a-word",
        (
            "client.yml: 'client.currency' must be a three-letter currency code such as EUR, GBP or USD, not"
            " 'euro'",
        ),
        settings=_set("client.currency", "euro"),
    ),
    Case(
        "config-binary-file",
        ("client.yml: is not a text file (it holds binary data); it must be YAML text",),
        settings=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    ),
    Case(
        "config-not-utf8",
        ("client.yml: is not UTF-8 text (line 1); save it as UTF-8",),
        settings="client: {name: M\xfcller Bau}\nperiods: {current: 2025}\n".encode("cp1252"),
    ),
    Case(
        "config-key-accounts-ten",
        ("screening setting 'key_accounts' must be a number, not 'ten'",),
        settings=_set("screening", {"key_accounts": "ten"}),
    ),
    Case(
        "config-weight-huge",
        ("weight 'sales' must be a number from 0 to 100, got 1e+308",),
        settings=_set("screening", {"weights": {"sales": 1e308}}),
    ),
    Case(
        "config-misspelt-screening-setting",
        ("unknown screening setting(s) 'key_acounts'; allowed:", "(did you mean 'key_accounts'?)"),
        settings=_set("screening", {"key_acounts": 10}),
    ),
]
