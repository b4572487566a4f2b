"""Validation names file, row (header = row 1) and column of every problem, and counts repairs."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.engine import in_background
from kamtools.mapping import propose_mapping
from kamtools.validation import (
    InputSpec,
    PeriodSpan,
    parse_dates,
    parse_numbers,
    parse_scores,
    spec_from_mapping,
    validate_tables,
)

CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "name": ["Alpha", "Beta", "Gamma"]})
SALES = pd.DataFrame(
    {
        "invoice_date": ["2025-01-05", "2025-02-10", "2025-03-01"],
        "customer_id": ["C1", "C2", "C3"],
        "net_sales": ["100", "200.5", "-50"],
    }
)
SPAN = PeriodSpan(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))


def specs(**extra: InputSpec) -> dict[str, InputSpec]:
    base = {"customers": InputSpec("customers", "customers.csv"), "sales": InputSpec("sales", "sales.csv")}
    return base | extra


def test_clean_tables_pass_with_canonical_types():
    intake = validate_tables({"customers": CUSTOMERS, "sales": SALES}, specs(), span=SPAN)
    assert intake.ok, [str(p) for p in intake.problems]
    sales = intake.tables["sales"]
    assert sales["net_sales"].tolist() == [100.0, 200.5, -50.0]
    assert sales["invoice_date"].dtype == "datetime64[ns]"
    assert list(sales.columns) == ["invoice_date", "customer_id", "net_sales"]
    assert intake.repairs == []


def test_inputs_are_not_mutated():
    before = SALES.copy()
    validate_tables({"customers": CUSTOMERS, "sales": SALES}, specs(), span=SPAN)
    pd.testing.assert_frame_equal(SALES, before)


def problem_texts(intake) -> list[str]:
    return [str(p) for p in intake.problems]


def test_every_problem_is_reported_at_once_with_file_row_and_column():
    sales = pd.DataFrame(
        {
            "invoice_date": ["2025-01-05", "31.02.2025", "2025-03-01", "2030-01-01"],
            "customer_id": ["C1", "C9", "C2", "C1"],
            "net_sales": ["100", "abc", "", "5"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "name": ["A", "B", "A2"]})
    intake = validate_tables({"customers": customers, "sales": sales}, specs(), span=SPAN)
    texts = problem_texts(intake)
    assert "sales.csv, row 3, column 'invoice_date': is not a date (e.g. '31.02.2025')" in texts
    assert "sales.csv, row 3, column 'net_sales': is not a number (e.g. 'abc')" in texts
    assert "sales.csv, row 4, column 'net_sales': required value is empty" in texts
    assert (
        "sales.csv, row 3, column 'customer_id': customer not found in the customer master (e.g. 'C9')"
        in texts
    )
    assert any(
        t.startswith("sales.csv, row 5, column 'invoice_date': date outside the analysed periods")
        for t in texts
    )
    assert any(
        t.startswith("customers.csv, rows 2, 4, column 'customer_id': duplicate customer_id") for t in texts
    )
    assert not intake.ok


def test_missing_required_column_names_the_column_and_what_the_file_has():
    sales = SALES.drop(columns="net_sales")
    intake = validate_tables({"customers": CUSTOMERS, "sales": sales}, specs(), span=SPAN)
    [problem] = intake.problems
    assert problem.file == "sales.csv" and problem.column == "net_sales" and problem.rows == ()
    assert "required column is missing" in problem.message and "invoice_date, customer_id" in problem.message


def test_mapped_column_missing_from_file():
    spec = InputSpec("sales", "sales.csv", columns={"net_sales": "Umsatz"})
    intake = validate_tables({"customers": CUSTOMERS, "sales": SALES}, specs(sales=spec), span=SPAN)
    assert any(p.column == "Umsatz" and "no such column" in p.message for p in intake.problems)


def test_empty_file_is_a_problem():
    intake = validate_tables({"customers": CUSTOMERS, "sales": pd.DataFrame()}, specs(), span=SPAN)
    assert [str(p) for p in intake.problems] == [
        "sales.csv: the file is empty (a header row and at least one data row are needed)"
    ]


def test_fixable_oddities_are_repaired_and_counted():
    sales = pd.DataFrame(
        {
            "invoice_date": ["2025-01-05", "2025-01-05", " 2025-02-01 "],
            "customer_id": [" C1", " C1", "C2"],
            "net_sales": ["€1,200.50", "€1,200.50", "300"],
        }
    )
    intake = validate_tables({"customers": CUSTOMERS, "sales": sales}, specs(), span=SPAN)
    assert intake.ok
    actions = {r.action: r for r in intake.repairs}
    assert actions["removed spaces around values"].rows == 3
    assert actions["removed currency signs or thousands separators"].rows == 2
    duplicate = actions["set aside: exact duplicate of an earlier row"]
    assert (duplicate.rows, duplicate.dropped, duplicate.example_rows) == (1, True, (3,))
    assert intake.tables["sales"]["net_sales"].tolist() == [1200.5, 300.0]
    assert intake.tables["sales"]["customer_id"].tolist() == ["C1", "C2"]
    assert intake.quality_table()["rows set aside"].sum() == 1


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1.234,56", ",", 1234.56),
        ("1,234.56", ".", 1234.56),
        ("1.234,56", "auto", 1234.56),
        ("(12.50)", ".", -12.5),
        ("12.50-", ".", -12.5),
        ("£ 1 000", ".", 1000.0),
        ("1'250.00 CHF", ".", 1250.0),
        ("EUR 99", ".", 99.0),
    ],
    ids=[
        "decimal-comma",
        "decimal-point",
        "auto-comma",
        "parentheses",
        "trailing-minus",
        "space-thousands",
        "swiss",
        "currency-code",
    ],
)
def test_parse_numbers(text, decimal, expected):
    values, repaired, unreadable = parse_numbers(pd.Series([text]), decimal=decimal)
    assert values.iloc[0] == pytest.approx(expected)
    assert bool(repaired.iloc[0]) and not bool(unreadable.iloc[0])


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("2025-03-04", {}, "2025-03-04"),
        ("2025-03-04 08:26:00", {}, "2025-03-04"),
        ("04.03.2025", {"dayfirst": True}, "2025-03-04"),
        ("3/4/2025", {}, "2025-03-04"),
        ("45720", {}, "2025-03-04"),
        ("04/03/2025", {"date_format": "%d/%m/%Y"}, "2025-03-04"),
    ],
    ids=["iso", "iso-time", "dayfirst", "monthfirst", "excel-serial", "format"],
)
def test_parse_dates(text, kwargs, expected):
    values, unreadable = parse_dates(pd.Series([text]), **kwargs)
    assert values.iloc[0] == pd.Timestamp(expected) and not unreadable.iloc[0]


def test_parse_scores_accepts_numbers_and_the_five_labels():
    values, invalid = parse_scores(pd.Series(["5", "Highly satisfied", "somewhat dissatisfied", "7", "good"]))
    assert values.tolist()[:3] == [5.0, 5.0, 2.0]
    assert invalid.tolist() == [False, False, False, True, True]


def test_exclusion_rules_and_dropped_missing_ids_are_counted():
    raw = pd.DataFrame(
        {
            "No": ["1", "A2", "3", "4"],
            "Code": ["P1", "P1", "POST", "P2"],
            "Date": ["2025-01-01"] * 4,
            "Cust": ["C1", "C1", "C1", ""],
            "Qty": ["2", "1", "1", "3"],
            "Price": ["1.5", "9", "4", "2"],
        }
    )
    spec = spec_from_mapping(
        "sales",
        {
            "file": "export.csv",
            "columns": {"invoice_date": "Date", "customer_id": "Cust", "invoice_id": "No", "product": "Code"},
            "net_sales_from": ["Qty", "Price"],
            "exclude_rows": [
                {"column": "Code", "in": ["POST"], "reason": "postage"},
                {"column": "No", "starts_with": "A", "reason": "bad debt"},
            ],
            "drop_rows_missing": {"customer_id": "anonymous sale"},
        },
    )
    intake = validate_tables({"sales": raw}, {"sales": spec}, span=SPAN)
    assert intake.ok
    set_aside = {r.action: (r.rows, r.example_rows) for r in intake.repairs if r.dropped}
    assert set_aside == {
        "set aside: postage": (1, (4,)),
        "set aside: bad debt": (1, (3,)),
        "set aside: anonymous sale": (1, (5,)),
    }
    assert intake.tables["sales"]["net_sales"].tolist() == [3.0]
    assert intake.tables["customers"]["customer_id"].tolist() == ["C1"]
    assert any("derived from the invoice lines" in n for n in intake.notes)
    assert any("No cost of goods" in n for n in intake.notes)


def test_out_of_period_rows_can_be_set_aside():
    sales = SALES.assign(invoice_date=["2025-01-05", "2026-02-10", "2023-03-01"])
    setting_aside = InputSpec("sales", "sales.csv", out_of_period="exclude")
    intake = validate_tables({"customers": CUSTOMERS, "sales": sales}, specs(sales=setting_aside), span=SPAN)
    assert intake.ok
    [repair] = intake.repairs
    assert repair.rows == 2 and repair.example_rows == (3, 4)


def test_unknown_setting_in_mapping_is_named():
    with pytest.raises(ValueError, match=r"unknown setting.*'colums'"):
        spec_from_mapping("sales", {"file": "x.csv", "colums": {}})


def test_propose_mapping_for_the_real_wholesaler_header():
    header = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    proposal = propose_mapping(header)
    assert proposal["columns"] == {
        "invoice_date": "InvoiceDate",
        "customer_id": "CustomerID",
        "quantity": "Quantity",
        "product": "StockCode",
        "invoice_id": "InvoiceNo",
    }
    assert proposal["net_sales_from"] == ["Quantity", "UnitPrice"]
    assert proposal["customer_columns"] == {"region": "Country"}


@pytest.mark.parametrize("ahead", [True, False], ids=["read on threads", "read in turn"])
def test_large_tables_read_their_columns_on_threads_with_the_same_results(monkeypatch, ahead):
    from dataclasses import asdict

    from kamtools import validation

    n = 120_000  # above READ_AHEAD_ROWS: number and date columns read on threads
    raw = pd.DataFrame(
        {
            "invoice_date": pd.Series([f"{1 + i % 28:02d}/0{1 + i % 9}/2025" for i in range(n)], dtype="str"),
            "customer_id": pd.Series([f"C{i % 3 + 1}" for i in range(n)], dtype="str"),
            "net_sales": pd.Series([f"{i % 1000}.{i % 10}0" for i in range(n)], dtype="str"),
            "cost": pd.Series([f"€ {i % 900},50" if i % 5 else "" for i in range(n)], dtype="str"),
            "quantity": pd.Series([str(i % 7) if i != 999 else "seven" for i in range(n)], dtype="str"),
        }
    )
    spec = spec_from_mapping("sales", {"file": "sales.csv"})

    def intake():
        found = validate_tables({"sales": raw.copy()}, {"sales": spec}, span=SPAN)
        return found, [asdict(p) for p in found.problems], [asdict(r) for r in found.repairs], found.notes

    monkeypatch.setattr(validation, "READ_AHEAD_ROWS", 10**9)
    in_turn = intake()
    monkeypatch.setattr(validation, "READ_AHEAD_ROWS", 1 if ahead else 10**9)
    threads = []
    monkeypatch.setattr(
        validation, "in_background", lambda *a, **k: threads.append(a) or in_background(*a, **k)
    )
    found = intake()
    assert len(threads) == (4 if ahead else 0)  # three number columns and the dates
    assert found[1:] == in_turn[1:] and any("quantity" in str(p) for p in found[1])
    assert any("decimal comma" in note for note in found[3]) and any("day/month" in note for note in found[3])
    for name, table in found[0].tables.items():
        pd.testing.assert_frame_equal(table, in_turn[0].tables[name])
