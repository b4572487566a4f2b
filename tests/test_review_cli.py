"""Bad review inputs through the CLI: exit code 2, no traceback, file, row and column named."""

from __future__ import annotations

from kamtools.cli import main

from .conftest import write_workspace

CONFIG = """
client: {name: Lost Ltd}
periods: {current: 2025}
inputs:
  customers: {file: inputs/customers.csv}
  sales: {file: inputs/sales.csv}
  lost_customers: {file: inputs/lost_customers.csv}
"""
CUSTOMERS = "customer_id,name\nC1,Alpha\nC2,Beta\n"
SALES = "invoice_date,customer_id,net_sales\n2025-03-01,C1,100\n2025-04-01,C2,50\n"


def test_bad_lost_customer_table_is_named_by_file_row_and_column(tmp_path, capsys):
    lost = (
        "customer_id,lost_date,reason,competitor,note\n"
        "C1,2025-06-30,Price,Apex,fine\n"  # label case does not matter
        "C2,someday,weather,,\n"
        "C9,2025-07-01,service,,\n"
        "C2,2025-07-02,,,\n"
    )
    root = write_workspace(
        tmp_path / "lost",
        {"customers.csv": CUSTOMERS, "sales.csv": SALES, "lost_customers.csv": lost},
        CONFIG,
    )
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "lost_customers.csv, row 3, column 'reason': must be one of: price, service, product" in err
    assert "(e.g. 'weather')" in err
    assert "lost_customers.csv, row 3, column 'lost_date': is not a date (e.g. 'someday')" in err
    assert "lost_customers.csv, row 4, column 'customer_id': customer not found in the customer master" in err
    assert "lost_customers.csv, row 5, column 'reason': required value is empty" in err
    assert "lost_customers.csv, rows 3, 5, column 'customer_id': duplicate customer_id" in err


def test_good_lost_customer_table_validates(tmp_path, capsys):
    lost = "customer_id,reason\nC1, Moved to competitor \n"
    root = write_workspace(
        tmp_path / "ok", {"customers.csv": CUSTOMERS, "sales.csv": SALES, "lost_customers.csv": lost}, CONFIG
    )
    assert main(["validate", str(root)]) == 0
