"""`kam new --from` on small literal reseller exports: header variants, NULL tokens, profit
instead of cost, a product lookup, the customer master and receivables in one command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from kamtools.cli import main
from kamtools.mapping import propose_lookup, propose_mapping, propose_periods

from .conftest import write_workspace

# A reseller's ERP export: semicolons, its own header names, NULL and "-" where there is no cost.
RESELLER_SALES = """Inv Date;Cust No;Item No;Description;Qty;Net Amount;COGS
2024-01-08;K-100;A-1;Drill 18V;2;398.00;310.00
2024-03-12;K-200;A-2;Saw blade;10;120.00;NULL
2024-06-03;K-100;B-7;Wall plug x100;5;45.00;-
2024-11-20;K-300;A-1;Drill 18V;1;199.00;155.00
2025-01-13;K-100;A-1;Drill 18V;3;597.00;465.00
2025-02-17;K-200;B-7;Wall plug x100;20;180.00;126.00
2025-02-17;K-200;B-7;Wall plug x100;20;180.00;126.00
2025-07-01;K-300;A-2;Saw blade;4;48.00;NULL
2025-12-30;K-100;B-7;Wall plug x100;8;72.00;50.40
"""
RESELLER_RECEIVABLES = """Cust No,Invoice No,Invoice Date,Due Date,Paid Date,Invoice Amount
K-100,R-1,2025-01-13,2025-02-12,2025-02-10,597.00
K-200,R-2,2025-02-17,2025-03-19,2025-04-30,360.00
K-300,R-3,2025-07-01,2025-07-31,,48.00
"""
PRODUCTS = (
    "Item No,Product Group,Supplier\nA-1,Power tools,Bosch\nA-2,Accessories,Bosch\nB-7,Fixings,Fischer\n"
)


def _write(folder: Path, files: dict[str, str]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, content in files.items():
        paths[name] = folder / name
        paths[name].write_text(content, encoding="utf-8")
    return paths


def _master(folder: Path) -> Path:
    path = folder / "customer master.xlsx"
    pd.DataFrame(
        {
            "Customer ID": ["K-100", "K-200", "K-300"],
            "Customer Name": ["Bau Mayer GmbH", "Holz & Co", "Elektro Sun"],
            "Territory": ["North", "South", "North"],
            "Customer Group": ["Installer", "Retail", "Installer"],
            "Credit Limit": ["20000", "5000", "8000"],
        }
    ).to_excel(path, index=False)
    return path


def test_kam_new_from_several_exports_gives_a_valid_workspace_without_edits(tmp_path, capsys):
    files = _write(
        tmp_path / "exports",
        {"sales.csv": RESELLER_SALES, "open_items.csv": RESELLER_RECEIVABLES, "products.csv": PRODUCTS},
    )
    master = _master(tmp_path / "exports")
    clients = tmp_path / "clients"
    code = main(
        [
            "--clients-dir", str(clients), "new", "mayer", "--name", "Mayer Baustoffe",
            "--from", str(files["sales.csv"]), "--customers", str(master),
            "--receivables", str(files["open_items.csv"]), "--lookup", str(files["products.csv"]),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Checked: no problems found" in out
    assert "columns not used: Description" in out
    config = yaml.safe_load((clients / "mayer" / "client.yml").read_text(encoding="utf-8"))
    sales = config["inputs"]["sales"]
    assert sales["columns"] == {
        "invoice_date": "Inv Date",
        "customer_id": "Cust No",
        "net_sales": "Net Amount",
        "cost": "COGS",
        "quantity": "Qty",
        "product": "Item No",
    }
    assert sales["missing_values"] == ["NULL", "-"]
    assert sales["lookups"] == [
        {"file": "inputs/products.csv", "by": "Item No", "columns": {"category": "Product Group"}}
    ]
    assert "customer_columns" not in sales  # the master has the names
    assert config["inputs"]["customers"]["columns"] == {
        "customer_id": "Customer ID",
        "name": "Customer Name",
        "region": "Territory",
        "segment": "Customer Group",
        "credit_limit": "Credit Limit",
    }
    assert config["inputs"]["receivables"]["columns"] == {
        "customer_id": "Cust No",
        "invoice_id": "Invoice No",
        "invoice_date": "Invoice Date",
        "due_date": "Due Date",
        "paid_date": "Paid Date",
        "amount": "Invoice Amount",
    }
    # The last invoice is Tuesday 30 December 2025: 2025 is a complete year.
    assert config["periods"] == {"current": 2025, "previous": 2024, "first": 2024}
    for name in ("sales.csv", "customer master.xlsx", "open_items.csv", "products.csv"):
        assert (clients / "mayer" / "inputs" / name).exists()

    assert main(["--clients-dir", str(clients), "validate", "mayer"]) == 0
    from kamtools.workspace import load_workspace

    intake = load_workspace(clients / "mayer").intake
    assert intake.tables["sales"]["category"].tolist()[:3] == ["Power tools", "Accessories", "Fixings"]
    assert intake.tables["sales"]["cost"].isna().sum() == 3
    # The repeated 17 February line is identical in every column: one copy is set aside.
    assert len(intake.tables["sales"]) == 8


def test_kam_new_proposes_cost_from_profit_and_anonymous_lines(tmp_path, capsys):
    export = _write(
        tmp_path,
        {
            "orders.csv": "Order ID,Order Date,Customer ID,Customer Name,Segment,Category,Sales,Profit\n"
            "O-1,2024-02-05,C1,Alpha,Consumer,Office,100.00,20.00\n"
            "O-2,2024-05-05,,N/A,Consumer,Office,50.00,5.00\n"
            "O-3,2025-03-05,C1,Alpha,Consumer,Tech,300.00,-10.00\n"
            "O-4,2025-12-31,C2,Beta,Corporate,Office,80.00,16.00\n"
        },
    )["orders.csv"]
    clients = tmp_path / "clients"
    assert main(["--clients-dir", str(clients), "new", "shop", "--from", str(export)]) == 0
    out = capsys.readouterr().out
    assert "cost = net sales - 'Profit'" in out
    assert "Checked: no problems found" in out
    sales = yaml.safe_load((clients / "shop" / "client.yml").read_text(encoding="utf-8"))["inputs"]["sales"]
    assert sales["cost_from_profit"] == "Profit"
    assert sales["drop_rows_missing"] == {
        "customer_id": pytest.approx(sales["drop_rows_missing"]["customer_id"])
    }
    assert sales["customer_columns"] == {"name": "Customer Name", "segment": "Segment"}
    from kamtools.workspace import load_workspace

    intake = load_workspace(clients / "shop").intake
    assert intake.tables["sales"]["cost"].tolist() == [80.0, 310.0, 64.0]
    [anonymous] = [r for r in intake.repairs if r.dropped]
    assert anonymous.amount == 50.0 and anonymous.share == pytest.approx(50 / 530)


@pytest.mark.parametrize(
    ("header", "target", "table"),
    [
        ("Inv Date", "invoice_date", "sales"),
        ("INVOICE_DATE", "invoice_date", "sales"),
        ("Order Date", "invoice_date", "sales"),
        ("Cust No", "customer_id", "sales"),
        ("Cust. No.", "customer_id", "sales"),
        ("Customer ID", "customer_id", "sales"),
        ("CustomerKey", "customer_id", "sales"),
        ("Net Amount", "net_sales", "sales"),
        ("SalesAmount", "net_sales", "sales"),
        ("Line Total", "net_sales", "sales"),
        ("COGS", "cost", "sales"),
        ("TotalProductCost", "cost", "sales"),
        ("Cost of Sales", "cost", "sales"),
        ("Qty", "quantity", "sales"),
        ("OrderQuantity", "quantity", "sales"),
        ("Item No", "product", "sales"),
        ("SKU", "product", "sales"),
        ("Product Group", "category", "sales"),
        ("SalesOrderNumber", "invoice_id", "sales"),
        ("Inv. No", "invoice_id", "sales"),
        ("Customer Name", "name", "customers"),
        ("Territory", "region", "customers"),
        ("Payment Terms", "payment_terms_days", "customers"),
        ("Due Date", "due_date", "receivables"),
        ("Payment Date", "paid_date", "receivables"),
        ("Open Amount", "amount", "receivables"),
    ],
)
def test_common_erp_header_variants_are_recognised(header, target, table):
    assert propose_mapping(["something else", header], table)["columns"][target] == header


def test_adventure_works_sales_header_maps_net_sales_and_cost():
    header = [
        "ProductKey", "OrderDateKey", "CustomerKey", "SalesOrderNumber", "SalesOrderLineNumber",
        "OrderQuantity", "UnitPrice", "ExtendedAmount", "DiscountAmount", "ProductStandardCost",
        "TotalProductCost", "SalesAmount", "TaxAmt", "OrderDate",
    ]  # fmt: skip
    assert propose_mapping(header)["columns"] == {
        "invoice_date": "OrderDate",
        "customer_id": "CustomerKey",
        "net_sales": "SalesAmount",
        "cost": "TotalProductCost",
        "quantity": "OrderQuantity",
        "product": "ProductKey",
        "invoice_id": "SalesOrderNumber",
    }


def test_missing_tokens_are_proposed_only_when_seen():
    sample = pd.DataFrame({"Date": ["2025-01-02"] * 3, "Cust": ["C1"] * 3, "Amount": ["1", "#N/A", "2"]})
    assert propose_mapping(list(sample.columns), sample=sample)["missing_values"] == ["#N/A"]
    assert "missing_values" not in propose_mapping(list(sample.columns), sample=sample.replace("#N/A", "3"))


def test_lookup_join_is_proposed_on_a_shared_or_product_column():
    entry = propose_lookup(
        ["Article", "Group"],
        file="inputs/p.csv",
        sales_header=["SKU", "Amount"],
        sales_columns={"product": "SKU"},
    )
    assert entry == {"file": "inputs/p.csv", "by": "SKU", "key": "Article", "columns": {"category": "Group"}}
    assert (
        propose_lookup(["Colour"], file="p.csv", sales_header=["SKU"], sales_columns={"product": "SKU"})
        is None
    )


def test_periods_are_proposed_from_the_dates():
    complete = propose_periods(pd.Series(pd.to_datetime(["2023-01-09", "2024-05-01", "2024-12-30"])))
    assert (complete.current, complete.previous, complete.first, complete.later_lines) == (
        2024,
        2023,
        2023,
        False,
    )
    running = propose_periods(pd.Series(pd.to_datetime(["2023-01-09", "2024-12-31", "2025-06-30"])))
    # 2025 has half a year: the latest complete year 2024 is proposed, 2025's lines set aside.
    assert (running.current, running.later_lines) == (2024, True)
    partial = propose_periods(pd.Series(pd.to_datetime(["2024-03-01", "2024-09-30"])))
    assert partial.current == 2024 and "compared like for like" in partial.reason
    assert propose_periods(pd.Series([], dtype="datetime64[ns]")) is None


def test_kam_new_with_companions_needs_from_and_existing_files(tmp_path, capsys):
    clients = ["--clients-dir", str(tmp_path / "clients")]
    assert main([*clients, "new", "x", "--customers", str(tmp_path / "c.csv")]) == 2
    assert "need --from" in capsys.readouterr().err
    export = _write(tmp_path, {"sales.csv": RESELLER_SALES})["sales.csv"]
    assert main([*clients, "new", "x", "--from", str(export), "--lookup", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert "missing.csv: file not found" in err and "Traceback" not in err
    assert not (tmp_path / "clients" / "x").exists()


def test_kam_new_from_an_unreadable_export_is_exit_2_and_writes_nothing(tmp_path, capsys):
    export = tmp_path / "export.pdf"
    export.write_bytes(b"%PDF-1.4")
    assert main(["--clients-dir", str(tmp_path / "clients"), "new", "x", "--from", str(export)]) == 2
    err = capsys.readouterr().err
    assert "export.pdf: unsupported file type" in err and "Traceback" not in err
    assert not (tmp_path / "clients" / "x").exists()


LOOKUP_CONFIG = """
client: {name: Mayer}
periods: {current: 2025, previous: 2024}
inputs:
  sales:
    file: inputs/sales.csv
    columns: {invoice_date: Inv Date, customer_id: Cust No, net_sales: Net Amount, product: Item No}
    lookups:
      - {file: inputs/products.csv, by: Item No, columns: {category: Product Group}}
"""
SALES = (
    "Inv Date,Cust No,Item No,Net Amount\n2024-02-01,K1,A-1,10\n2025-02-01,K1,A-2,20\n2025-03-01,K2,Z-9,5\n"
)


@pytest.mark.parametrize(
    ("products", "expected"),
    [
        (
            "Item No,Product Group\nA-1,Tools\nA-2,Paint\nA-1,Garden\nZ-9,Tools\n",
            "products.csv, rows 2, 4, column 'Item No': the same key is listed more than once with different"
            " Product Group (e.g. 'A-1')",
        ),
        (
            "Item No,Product Group\nA-1,Tools\nA-2,Paint\n",
            "sales.csv, row 4, column 'Item No': not found in the lookup file products.csv"
            " (column 'Item No')",
        ),
        (
            "Item,Group\nA-1,Tools\n",
            "products.csv, column 'Item No': is named in a lookup of client.yml but the lookup file has"
            " no such column (it has: Item, Group)",
        ),
        (None, "products.csv: lookup file: file not found"),
    ],
)
def test_bad_lookup_files_are_exit_2_with_file_row_and_column(tmp_path, capsys, products, expected):
    files = {"sales.csv": SALES} if products is None else {"sales.csv": SALES, "products.csv": products}
    root = write_workspace(tmp_path / "mayer", files, LOOKUP_CONFIG)
    assert main(["validate", str(root)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_a_misspelt_lookup_setting_is_exit_2(tmp_path, capsys):
    root = write_workspace(
        tmp_path / "mayer", {"sales.csv": SALES}, LOOKUP_CONFIG.replace("by: Item No", "on: Item No")
    )
    assert main(["validate", str(root)]) == 2
    assert "lookups[0]: write 'by:'" in capsys.readouterr().err


def test_lookup_files_are_listed_as_inputs_and_a_change_invalidates_the_intake_cache(tmp_path):
    from kamtools.workspace import _cached_workspace, load_workspace, save_intake_cache

    root = write_workspace(
        tmp_path / "mayer",
        {"sales.csv": SALES, "products.csv": "Item No,Product Group\nA-1,Tools\nA-2,Paint\nZ-9,Tools\n"},
        LOOKUP_CONFIG,
    )
    workspace = load_workspace(root)
    assert workspace.intake.ok
    sources = workspace.intake.sources_table()
    assert sources[["table", "file", "rows read"]].values.tolist() == [
        ["sales", "sales.csv", 3],
        ["sales lookup", "products.csv", 3],
    ]
    cache = save_intake_cache(workspace, tmp_path / "run")
    assert _cached_workspace(cache, root, workspace.config) is not None
    (root / "inputs" / "products.csv").write_text("Item No,Product Group\nA-1,Garden\nA-2,Paint\nZ-9,Tools\n")
    assert _cached_workspace(cache, root, workspace.config) is None


def test_the_currency_is_proposed_from_the_amount_signs(tmp_path, capsys):
    export = _write(
        tmp_path,
        {"umsatz.csv": "Belegdatum;Kundennr;Umsatz\n02.01.2025;K1;€1.234,50\n30.12.2025;K2;€99,00\n"},
    )["umsatz.csv"]
    clients = tmp_path / "clients"
    assert main(["--clients-dir", str(clients), "new", "k", "--from", str(export)]) == 0
    assert "Checked: no problems found" in capsys.readouterr().out
    config = yaml.safe_load((clients / "k" / "client.yml").read_text(encoding="utf-8"))
    assert config["client"]["currency"] == "EUR"
    assert config["periods"]["current"] == 2025
    from kamtools.mapping import propose_currency

    assert propose_currency(pd.Series(["£12.50", "£3.00", "7.10"])) == "GBP"
    assert propose_currency(pd.Series(["12.50", "3"])) is None


def test_validate_states_the_total_set_aside_in_money(tmp_path, capsys):
    root = write_workspace(
        tmp_path / "w",
        {
            "sales.csv": "Date,Customer,Item,Amount\n2025-01-02,C1,POST,50\n2025-01-02,,P1,150\n"
            "2025-01-03,C1,P1,800\n"
        },
        "client: {name: W}\nperiods: {current: 2025}\ninputs:\n  sales:\n    file: inputs/sales.csv\n"
        "    columns: {invoice_date: Date, customer_id: Customer, net_sales: Amount}\n"
        "    exclude_rows: [{column: Item, in: [POST], reason: postage}]\n"
        "    drop_rows_missing: {customer_id: anonymous sale}\n",
    )
    assert main(["validate", str(root)]) == 0
    out = capsys.readouterr().out
    assert "Sales set aside in total: 2 lines, net sales 200 (20.0% of the file's sales)" in out
    assert "set aside: anonymous sale: 1 rows, net sales 150 (15.0% of the file's sales)" in out
