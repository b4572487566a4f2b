"""Intake rules on literal frames: whole-row duplicates, money set aside, missing tokens,
cost from profit and lookup joins."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.validation import spec_from_mapping, validate_tables


def frame(text: str) -> pd.DataFrame:
    """A raw text frame from a literal CSV, as read_raw_table reads it (every cell text)."""
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def intake(sales: pd.DataFrame, mapping: dict, **kwargs):
    specs = {"sales": spec_from_mapping("sales", {"file": "export.csv", **mapping})}
    return validate_tables({"sales": sales}, specs, **kwargs)


# A reseller's export: no invoice or line number; two genuine lines on one day with equal
# values but different products, and one line exported twice.
RESELLER = frame(
    "Date,Customer,Product,Description,Amount,Cost\n"
    "2025-03-03,C1,P-10,Cable 10m,120.00,90.00\n"
    "2025-03-03,C1,P-11,Cable 10m grey,120.00,90.00\n"
    "2025-03-03,C1,P-10,Cable 10m,120.00,90.00\n"
    "2025-03-04,C2,P-10,Cable 10m,120.00,90.00\n"
)
MAPPING = {
    "columns": {"invoice_date": "Date", "customer_id": "Customer", "net_sales": "Amount", "cost": "Cost"}
}


def test_duplicates_are_judged_on_the_whole_source_row_not_the_mapped_columns():
    result = intake(RESELLER, MAPPING)
    assert result.ok
    sales = result.tables["sales"]
    # Only row 4 repeats row 2 in every column; row 3 differs in product and description.
    assert len(sales) == 3
    assert sales["net_sales"].sum() == 360.0
    [duplicate] = [r for r in result.repairs if "exact duplicate" in r.action]
    assert duplicate.rows == 1 and duplicate.example_rows == (4,)
    assert duplicate.amount == 120.0 and duplicate.share == pytest.approx(0.25)


@pytest.mark.parametrize("padded", [False, True])
def test_rows_hashed_ahead_on_a_thread_find_the_same_duplicates(monkeypatch, padded):
    from kamtools import source_rows

    rows = RESELLER.astype("str")
    if padded:  # spaces around a repeated line's customer: still the same line, stripped
        rows.loc[2, "Customer"] = " C1 "
    # A first line set aside by a rule: the hashes of the rows left are taken from all rows'.
    rows = pd.concat([rows.iloc[[0]].assign(Customer="X"), rows], ignore_index=True)
    mapping = {**MAPPING, "exclude_rows": [{"column": "Customer", "in": ["X"], "reason": "test"}]}
    inline = intake(rows, mapping)
    monkeypatch.setattr(source_rows, "HASH_AHEAD_ROWS", 1)
    calls = []
    monkeypatch.setattr(source_rows, "in_background", lambda *a, **k: calls.append(a) or _done(*a, **k))
    ahead = intake(rows, mapping)
    assert calls, "the rows were not hashed ahead"
    assert [str(r) for r in ahead.repairs] == [str(r) for r in inline.repairs]
    [duplicate] = [r for r in ahead.repairs if "exact duplicate" in r.action]
    assert duplicate.example_rows == (5,)
    pd.testing.assert_frame_equal(ahead.tables["sales"], inline.tables["sales"])


def _done(function, *args, **kwargs):
    """A finished future of ``function(*args, **kwargs)`` (run here, to count the calls)."""
    from concurrent.futures import Future

    future = Future()
    future.set_result(function(*args, **kwargs))
    return future


def test_an_export_without_invoice_or_line_numbers_says_how_duplicates_were_judged():
    result = intake(RESELLER, MAPPING)
    [note] = [n for n in result.notes if "duplicate" in n]
    assert "export.csv has no invoice or line numbers" in note
    assert "all 6 of its columns" in note and "(1 line)" in note
    assert "drop_exact_duplicates: false" in note


def test_a_line_number_column_keeps_the_note_away():
    with_lines = RESELLER.assign(Line=["1", "2", "3", "1"])
    result = intake(with_lines, MAPPING)
    assert len(result.tables["sales"]) == 4  # line 3 now differs from line 1 in its line number
    assert not [n for n in result.notes if "duplicate" in n]


def test_exact_duplicates_can_be_kept():
    result = intake(RESELLER, {**MAPPING, "drop_exact_duplicates": False})
    assert len(result.tables["sales"]) == 4


def test_anonymous_sales_set_aside_are_counted_in_money_and_share():
    sales = frame(
        "Date,Customer,Amount\n2025-01-02,C1,600\n2025-01-02,,300\n2025-01-03,,100\n2025-01-04,C2,1000\n"
    )
    result = intake(
        sales,
        {
            "columns": {"invoice_date": "Date", "customer_id": "Customer", "net_sales": "Amount"},
            "drop_rows_missing": {"customer_id": "anonymous sale"},
        },
    )
    [anonymous] = [r for r in result.repairs if r.dropped]
    assert (anonymous.rows, anonymous.amount, anonymous.share) == (2, 400.0, 0.2)
    assert "net sales 400 (20.0% of the file's sales)" in str(anonymous)
    table = result.set_aside_sales_table()
    assert table.to_dict("records") == [
        {"reason": "anonymous sale", "lines": 2, "net sales": 400.0, "share of sales": 0.2}
    ]
    assert result.set_aside_sentences(currency="EUR") == [
        "Intake set aside 2 invoice lines worth €400 (20.0% of the sales in export.csv): anonymous sale."
    ]


def test_several_reasons_get_a_total_row():
    sales = frame(
        "Date,Customer,Item,Amount\n2025-01-02,C1,POST,50\n2025-01-02,,P1,150\n2025-01-03,C1,P1,800\n"
    )
    result = intake(
        sales,
        {
            "columns": {"invoice_date": "Date", "customer_id": "Customer", "net_sales": "Amount"},
            "exclude_rows": [{"column": "Item", "in": ["POST"], "reason": "postage"}],
            "drop_rows_missing": {"customer_id": "anonymous sale"},
        },
    )
    table = result.set_aside_sales_table()
    assert table["reason"].tolist() == ["postage", "anonymous sale", "total set aside"]
    assert table["net sales"].tolist() == [50.0, 150.0, 200.0]
    assert table["share of sales"].iloc[-1] == pytest.approx(0.2)


def test_out_of_period_lines_are_counted_in_money():
    from kamtools.validation import PeriodSpan

    sales = frame("Date,Customer,Amount\n2025-06-01,C1,300\n2026-01-05,C1,100\n")
    result = intake(
        sales,
        {
            "columns": {"invoice_date": "Date", "customer_id": "Customer", "net_sales": "Amount"},
            "out_of_period": "exclude",
        },
        span=PeriodSpan(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")),
    )
    [outside] = [r for r in result.repairs if r.dropped]
    assert (outside.amount, outside.share) == (100.0, 0.25)


NULL_EXPORT = frame(
    "Inv Date,Cust No,Net Amount,COGS,Region\n"
    "2025-01-02,C1,100,NULL,North\n"
    "2025-01-03,C2,200,N/A,-\n"
    "2025-01-04,C3,300,-,South\n"
    "2025-01-05,C4,400,280,null\n"
)
NULL_MAPPING = {
    "columns": {
        "invoice_date": "Inv Date",
        "customer_id": "Cust No",
        "net_sales": "Net Amount",
        "cost": "COGS",
    },
    "customer_columns": {"region": "Region"},
}


def test_null_tokens_are_problems_until_declared():
    result = intake(NULL_EXPORT, NULL_MAPPING)
    [problem] = result.problems
    assert str(problem).startswith("export.csv, rows 2, 3, 4, column 'COGS': is not a number")


def test_declared_null_tokens_are_missing_values():
    # YAML reads an unquoted NULL as None: it still means the text NULL.
    result = intake(NULL_EXPORT, {**NULL_MAPPING, "missing_values": [None, "N/A", "-"]})
    assert result.ok
    sales = result.tables["sales"]
    assert sales["cost"].isna().tolist() == [True, True, True, False]
    assert result.tables["customers"]["region"].tolist() == ["North", "", "South", ""]
    repairs = {r.column: r for r in result.repairs if "as empty" in r.action}
    assert repairs["COGS"].rows == 3 and repairs["COGS"].example_rows == (2, 3, 4)
    assert repairs["Region"].rows == 2
    assert "read 'NULL', 'N/A', '-' as empty" in repairs["COGS"].action


def test_missing_values_must_be_a_list():
    with pytest.raises(ValueError, match="missing_values"):
        spec_from_mapping("sales", {"file": "x.csv", "missing_values": "NULL"})


PROFIT_EXPORT = frame(
    "OrderDate,CustomerID,SalesAmount,GrossProfit\n2025-02-01,C1,1000,250\n2025-02-02,C2,500,-20\n"
)
PROFIT_MAPPING = {
    "columns": {"invoice_date": "OrderDate", "customer_id": "CustomerID", "net_sales": "SalesAmount"},
    "cost_from_profit": "GrossProfit",
}


def test_cost_is_derived_from_sales_and_profit():
    result = intake(PROFIT_EXPORT, PROFIT_MAPPING)
    assert result.ok
    assert result.tables["sales"]["cost"].tolist() == [750.0, 520.0]
    assert not [n for n in result.notes if "No cost" in n]


def test_unreadable_profit_names_row_and_column():
    bad = PROFIT_EXPORT.copy()
    bad.loc[1, "GrossProfit"] = "lots"
    result = intake(bad, PROFIT_MAPPING)
    assert [str(p) for p in result.problems] == [
        "export.csv, row 3, column 'GrossProfit': is not a number (e.g. 'lots')"
    ]


def test_cost_and_cost_from_profit_exclude_each_other():
    with pytest.raises(ValueError, match=r"either columns\.cost or cost_from_profit"):
        spec_from_mapping("sales", {"file": "x.csv", "columns": {"cost": "C"}, "cost_from_profit": "P"})


LINES = frame(
    "Date,Customer,ItemNo,Amount\n"
    "2025-01-02,C1,1001,100\n"
    "2025-01-02,C1,1002,50\n"
    "2025-01-03,C2,1003,70\n"
    "2025-01-03,C2,,10\n"
)
PRODUCTS = frame("Item,ProductGroup\n1001.0,Tools\n1002,Paint\n1001,Tools\n")
LOOKUP_MAPPING = {
    "columns": {
        "invoice_date": "Date",
        "customer_id": "Customer",
        "net_sales": "Amount",
        "product": "ItemNo",
    },
    "lookups": [
        {
            "file": "inputs/products.csv",
            "by": "ItemNo",
            "key": "Item",
            "columns": {"category": "ProductGroup"},
        }
    ],
}


def test_lookup_join_adds_the_category_and_names_keys_it_cannot_find():
    result = intake(LINES, LOOKUP_MAPPING, lookup_tables={"products.csv": PRODUCTS})
    assert [str(p) for p in result.problems] == [
        "export.csv, row 4, column 'ItemNo': not found in the lookup file products.csv (column 'Item');"
        " add it there, or set 'missing: blank' for this lookup in client.yml (e.g. '1003')"
    ]
    assert result.tables["sales"]["category"].tolist() == ["Tools", "Paint", "", ""]


def test_lookup_keys_not_found_can_be_left_blank_and_counted():
    mapping = {**LOOKUP_MAPPING, "lookups": [{**LOOKUP_MAPPING["lookups"][0], "missing": "blank"}]}
    result = intake(LINES, mapping, lookup_tables={"products.csv": PRODUCTS})
    assert result.ok
    [repair] = [r for r in result.repairs if "lookup" in r.action or "not listed" in r.action]
    assert (
        str(repair)
        == "export.csv, column 'ItemNo': left empty: not listed in products.csv: 1 rows (e.g. rows 4)"
    )


def test_a_lookup_file_listing_a_key_twice_with_different_values_is_named_with_rows():
    clashing = frame("Item,ProductGroup\n1001,Tools\n1002,Paint\n1001,Garden\n1003,Tools\n")
    result = intake(LINES, LOOKUP_MAPPING, lookup_tables={"products.csv": clashing})
    assert [str(p) for p in result.problems] == [
        "products.csv, rows 2, 4, column 'Item': the same key is listed more than once with different"
        " ProductGroup (e.g. '1001')"
    ]


def test_a_lookup_column_missing_from_the_lookup_file_is_named():
    result = intake(LINES, LOOKUP_MAPPING, lookup_tables={"products.csv": frame("Item,Group\n1001,Tools\n")})
    [problem] = result.problems
    assert problem.file == "products.csv" and problem.column == "ProductGroup"
    assert "lookup file has no such column (it has: Item, Group)" in problem.message


def test_lookup_settings_are_checked():
    with pytest.raises(ValueError, match=r"lookups\[0\]: 'by' is required"):
        spec_from_mapping(
            "sales", {"file": "x.csv", "lookups": [{"file": "p.csv", "columns": {"category": "G"}}]}
        )
    with pytest.raises(ValueError, match=r"lookups\[0\].columns: \['colour'\]"):
        spec_from_mapping(
            "sales", {"file": "x.csv", "lookups": [{"file": "p.csv", "by": "A", "columns": {"colour": "G"}}]}
        )
    with pytest.raises(ValueError, match="both columns and a lookup"):
        spec_from_mapping(
            "sales",
            {
                "file": "x.csv",
                "columns": {"category": "Cat"},
                "lookups": [{"file": "p.csv", "by": "A", "columns": {"category": "G"}}],
            },
        )


def test_no_duplicate_note_when_invoice_numbers_exist_and_nothing_repeats():
    sales = frame("Date,Customer,Invoice,Amount\n2025-01-02,C1,I1,10\n2025-01-02,C1,I2,10\n")
    mapping = {
        "columns": {
            "invoice_date": "Date",
            "customer_id": "Customer",
            "net_sales": "Amount",
            "invoice_id": "Invoice",
        }
    }
    assert not [n for n in intake(sales, mapping).notes if "duplicate" in n]


def test_an_export_without_ids_and_without_repeats_says_nothing_was_set_aside():
    sales = frame("Date,Customer,Amount\n2025-01-02,C1,10\n2025-01-02,C1,11\n")
    result = intake(
        sales, {"columns": {"invoice_date": "Date", "customer_id": "Customer", "net_sales": "Amount"}}
    )
    [note] = [n for n in result.notes if "duplicate" in n]
    assert note == (
        "export.csv has no invoice or line numbers; no two of its lines are identical in all 3 columns,"
        " so no line was set aside as a duplicate."
    )
