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


def broken_copy(demo_workspace, tmp_path):
    import shutil

    root = tmp_path / "demo"
    shutil.copytree(demo_workspace, root)
    return root


def test_bad_tracker_is_named_by_file_sheet_row_and_column(demo_workspace, tmp_path, capsys):
    from openpyxl import load_workbook

    root = broken_copy(demo_workspace, tmp_path)
    path = root / "plans" / "tracker_2026.xlsx"
    book = load_workbook(path)
    actions, contacts = book["actions"], book["contacts"]
    actions["B3"] = "finished?"  # status of the second action
    actions["D4"] = "sometime"  # actual_done of the third
    contacts["A2"] = "yesterday"  # date of the first contact
    contacts["B3"] = "C99999"  # an account not in the plan
    book.save(path)
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "tracker_2026.xlsx, row 3, column 'status': sheet 'actions'" in err
    assert "tracker_2026.xlsx, row 4, column 'actual_done': sheet 'actions'" in err
    assert "tracker_2026.xlsx, row 2, column 'date': sheet 'contacts'" in err
    assert "tracker_2026.xlsx, row 3, column 'customer_id': sheet 'contacts'" in err


def test_bad_plan_file_is_named_by_file_account_and_field(demo_workspace, tmp_path, capsys):
    root = broken_copy(demo_workspace, tmp_path)
    path = root / "plans" / "plan_2026.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: planned", "status: someday", 1), encoding="utf-8"
    )
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "plan_2026.yml, column 'actions" in err and "account C" in err and "someday" in err


def test_unknown_review_setting_is_named(demo_workspace, tmp_path, capsys):
    import yaml

    root = broken_copy(demo_workspace, tmp_path)
    config = yaml.safe_load((root / "client.yml").read_text(encoding="utf-8"))
    config["review"] = {"lost_after_dayz": 90}
    (root / "client.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["validate", str(root)]) == 2
    err = capsys.readouterr().err
    assert "lost_after_dayz" in err and "Traceback" not in err
