"""The fast paths of the engine (DuckDB, NumPy) against the plain pandas formulas they replace."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from kamtools import engine
from kamtools.analytics import concentration as cc
from kamtools.periods import comparison_window, data_history
from kamtools.stages import screening as sc

T = pd.Timestamp


@pytest.fixture
def lines() -> pd.DataFrame:
    """Random invoice lines of 40 customers over three fiscal years, with the awkward cases:
    credit notes, lines with a time of day, lines after the screened year, customers that
    stopped buying, products and categories."""
    rng = np.random.default_rng(7)
    n = 4000
    days = pd.to_datetime("2023-04-01") + pd.to_timedelta(rng.integers(0, 3 * 365 + 30, n), unit="D")
    hours = pd.to_timedelta(np.where(rng.random(n) < 0.1, rng.integers(1, 23, n), 0), unit="h")
    customer = np.array([f"C{i:02d}" for i in rng.integers(0, 40, n)])
    late_quitters = np.isin(customer, ["C01", "C02", "C03"]) & (days >= T("2025-04-01"))
    amount = np.round(rng.gamma(2.0, 150.0, n), 2) * np.where(rng.random(n) < 0.05, -1, 1)
    frame = pd.DataFrame(
        {
            "invoice_date": (days + hours).astype("datetime64[ns]"),
            "customer_id": pd.Series(customer, dtype="str"),
            "net_sales": amount,
            "cost": np.round(amount * rng.uniform(0.5, 0.9, n), 2),
            "quantity": rng.integers(1, 9, n).astype("float64"),
            "product": pd.Series([f"P{i}" for i in rng.integers(0, 300, n)], dtype="str"),
            "category": pd.Series([f"K{i}" for i in rng.integers(0, 12, n)], dtype="str"),
            "invoice_id": pd.Series([f"I{i}" for i in rng.integers(0, 1500, n)], dtype="str"),
        }
    )
    return frame[~late_quitters].reset_index(drop=True)


def _window(lines: pd.DataFrame, period: int = 2026):
    return comparison_window(lines["invoice_date"], current=period, previous=period - 1, start_month=4)


@pytest.mark.parametrize("period", [2026, 2025])
def test_customer_sales_are_customer_metrics_sales(lines, period):
    window = _window(lines, period)
    sales_only = cc.customer_sales(lines, window=window)
    metrics = sc.customer_metrics(lines, window=window)
    pd.testing.assert_frame_equal(sales_only, metrics[["customer_id", "status", "sales"]], check_exact=True)
    assert (
        {"lost", "active"} <= set(sales_only["status"])
        if period == 2026
        else "active" in set(sales_only["status"])
    )
    pd.testing.assert_frame_equal(cc.abc_classes(sales_only), cc.abc_classes(metrics), check_exact=True)
    pd.testing.assert_frame_equal(
        cc.pareto_table(sales_only), cc.pareto_table(metrics.drop(columns="name")), check_exact=True
    )


def test_customer_sales_names_missing_columns(lines):
    with pytest.raises(Exception, match="net_sales"):
        cc.customer_sales(lines.drop(columns="net_sales"), window=_window(lines))


def test_sales_columns_keep_what_the_metrics_read(lines):
    assert sc.sales_columns(list(lines.columns)) == [
        "invoice_date",
        "customer_id",
        "net_sales",
        "cost",
        "category",
        "invoice_id",
    ]
    assert "product" in sc.sales_columns(["invoice_date", "customer_id", "net_sales", "product"])
    window = _window(lines)
    for table in (lines, lines.drop(columns="category")):
        narrow = table[sc.sales_columns(list(table.columns))]
        pd.testing.assert_frame_equal(
            sc.customer_metrics(narrow, window=window),
            sc.customer_metrics(table, window=window),
            check_exact=True,
        )


def test_large_amounts_are_summed_exactly(lines):
    big = lines.assign(net_sales=lines["net_sales"] + 4e11, cost=lines["cost"] + 4e11)
    assert engine.exact_decimal(big["net_sales"]) == "DECIMAL(38, 6)"
    assert engine.exact_decimal(lines["net_sales"], lines["cost"]) == "DECIMAL(18, 6)"
    assert engine.exact_decimal(np.array([np.nan])) == "DECIMAL(18, 6)"
    one = pd.DataFrame(
        {
            "invoice_date": pd.to_datetime(["2025-05-01", "2025-06-01"]).astype("datetime64[ns]"),
            "customer_id": ["A", "A"],
            "net_sales": [5e11 + 0.01, 0.02],
        }
    )
    with pytest.warns(UserWarning, match="previous sales are incomplete"):
        window = _window(one)
    metrics = sc.customer_metrics(one, window=window)
    # In DECIMAL(18, 6) this amount would overflow; in DECIMAL(38, 6) it is summed exactly.
    assert metrics.loc[0, "sales"] == pytest.approx(500000000000.03, rel=1e-15, abs=0)


def _metrics_by_pandas(lines: pd.DataFrame, window) -> pd.DataFrame:
    """Plain pandas groupby formulas for the metrics one pass over several windows must give."""
    day = lines["invoice_date"].dt.normalize()
    upto = lines[day <= window.current_end]
    day = day[day <= window.current_end]
    current = upto[day.between(window.current_start, window.current_end)]
    previous = upto[day.between(window.previous_start, window.previous_end)]
    bought = current[current["net_sales"] > 0]
    purchases = upto[upto["net_sales"] > 0]
    by = "customer_id"
    out = pd.DataFrame(
        {
            "sales": current.groupby(by)["net_sales"].sum(),
            "previous_sales": previous.groupby(by)["net_sales"].sum(),
            "gross_profit": (current["net_sales"] - current["cost"]).groupby(current[by]).sum(),
            "frequency": bought.groupby(by)["invoice_id"].nunique(),
            "variety": bought.groupby(by)["category"].nunique(),
            "first_purchase": purchases.groupby(by)["invoice_date"].min().dt.normalize(),
            "last_purchase": purchases.groupby(by)["invoice_date"].max().dt.normalize(),
        }
    )
    in_window = current[by].unique().tolist() + previous[by].unique().tolist()
    return out[out.index.isin(in_window)].sort_index()


@pytest.mark.parametrize("data_end", [None, "2025-09-15"])
def test_metrics_of_both_periods_in_one_pass_are_each_period_s_metrics(lines, data_end):
    # With data_end mid-September the periods compared are 1 April to 15 September: the lines
    # between them belong to no period but count for first and last purchases.
    window = comparison_window(
        lines["invoice_date"], current=2026, previous=2025, start_month=4, data_end=data_end and T(data_end)
    )
    assert window.like_for_like == (data_end is not None)
    windows = [window, window.shifted(1), window.shifted(2)]
    both = sc.customer_metrics_by_window(lines, windows=windows)
    assert len(both) == 3
    for frame, each in zip(both, windows, strict=True):
        alone = sc.customer_metrics(lines, window=each)
        pd.testing.assert_frame_equal(frame, alone, check_exact=True)
        expected = _metrics_by_pandas(lines, each)
        got = frame.set_index("customer_id").loc[expected.index]
        for column in ("sales", "previous_sales", "gross_profit"):
            np.testing.assert_allclose(got[column], expected[column].fillna(0.0), rtol=1e-12)
        for column in ("frequency", "variety"):
            assert (got[column] == expected[column].fillna(0)).all(), column
        for column in ("first_purchase", "last_purchase"):
            pd.testing.assert_series_equal(
                got[column], expected[column], check_names=False, check_dtype=False
            )
    # The previous period alone, without cost, invoice ids or categories: the same either way.
    narrow = lines.drop(columns=["cost", "invoice_id", "category"])
    for frame, each in zip(
        sc.customer_metrics_by_window(narrow, windows=windows[1:]), windows[1:], strict=True
    ):
        pd.testing.assert_frame_equal(frame, sc.customer_metrics(narrow, window=each), check_exact=True)
    assert sc.customer_metrics_by_window(lines, windows=[]) == []


def test_screen_client_screens_both_periods_as_screen_period_does(lines):
    tables = {"sales": lines}
    result = sc.screen_client(tables, start_month=4, period=2026)
    for screened in (result.current, result.previous):
        alone = sc.screen_period(tables, start_month=4, window=screened.window)
        pd.testing.assert_frame_equal(screened.metrics, alone.metrics, check_exact=True)
    before = sc.screen_period(tables, start_month=4, window=result.current.window.shifted(1))
    pd.testing.assert_frame_equal(result.previous.scored, before.scored, check_exact=True)


def _payments_by_pandas(receivables, *, as_of, grace_days=5, since=None):
    """The pandas formulas payment behaviour was first written with (the reference)."""
    as_of = T(as_of).normalize()
    due = pd.to_datetime(receivables["due_date"]).dt.normalize()
    paid_date = pd.to_datetime(receivables["paid_date"]).dt.normalize()
    issued = pd.to_datetime(receivables["invoice_date"]).dt.normalize().fillna(due)
    amount = receivables["amount"].astype("float64")
    exists = issued <= as_of
    paid = paid_date.notna() & (paid_date <= as_of)
    grace = pd.Timedelta(days=grace_days)
    judged = exists & (amount > 0) & (paid | (due <= as_of))
    if since is not None:
        judged &= issued >= T(since).normalize()
    late = (paid & (paid_date > due + grace)) | (~paid & (as_of > due + grace))
    days_late = (paid_date - due).dt.days.clip(lower=0).astype("float64")
    settled, is_open = judged & paid, exists & ~paid
    g = (
        pd.DataFrame(
            {
                "customer_id": receivables["customer_id"].astype("str"),
                "judged": judged.astype("int64"),
                "paid": settled.astype("int64"),
                "late": (late & judged).astype("int64"),
                "weighted_days": (days_late * amount).where(settled, 0.0),
                "paid_amount": amount.where(settled, 0.0),
                "open": amount.where(is_open, 0.0),
                "overdue": amount.where(is_open & (due < as_of), 0.0),
            }
        )
        .groupby("customer_id")
        .sum()
    )
    out = pd.DataFrame(index=g.index)
    out["invoices"] = g["judged"].astype("int64")
    out["paid_invoices"] = g["paid"].astype("int64")
    out["avg_days_late"] = (g["weighted_days"] / g["paid_amount"]).where(g["paid_amount"] > 0)
    out["late_share"] = (g["late"] / g["judged"]).where(g["judged"] > 0)
    out["open_amount"] = g["open"]
    out["open_overdue_amount"] = g["overdue"]
    out["credit_use"] = np.nan
    return out.reset_index().astype({"customer_id": "str"})


def _receivables(seed: int = 11, n: int = 3000) -> pd.DataFrame:
    """Random invoices of 60 customers: early, late and open ones, missing invoice dates and amounts."""
    rng = np.random.default_rng(seed)
    issued = T("2023-06-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    due = issued + pd.to_timedelta(rng.choice([14, 30, 60], n), unit="D")
    paid = (
        due
        + pd.to_timedelta(rng.integers(-20, 90, n), unit="D")
        + pd.to_timedelta(rng.integers(0, 20, n), unit="h")
    )
    return pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{i}" for i in rng.integers(0, 60, n)], dtype="str"),
            "invoice_date": pd.Series(issued).where(rng.random(n) > 0.1).astype("datetime64[ns]"),
            "due_date": pd.Series(due).astype("datetime64[ns]"),
            "paid_date": pd.Series(paid).where(rng.random(n) > 0.2).astype("datetime64[ns]"),
            "amount": np.where(rng.random(n) < 0.03, np.nan, np.round(rng.normal(900, 700, n), 2)),
        }
    )


@pytest.mark.parametrize(
    ("as_of", "grace_days", "since"),
    [("2025-12-31", 5, None), ("2025-06-30", 0, "2024-07-01"), ("2024-12-31", 30, "2024-01-01")],
)
def test_payment_behaviour_is_the_pandas_formula(as_of, grace_days, since):
    receivables = _receivables()
    result = sc.payment_behaviour(
        receivables, as_of=T(as_of), grace_days=grace_days, since=since and T(since)
    )
    expected = _payments_by_pandas(receivables, as_of=as_of, grace_days=grace_days, since=since)
    pd.testing.assert_frame_equal(result, expected, check_exact=True)


def test_payment_behaviour_at_several_dates_is_each_date_s_pandas_formula():
    # Invoices without a customer id belong to no customer (pandas' groupby leaves them out),
    # whichever the date; amounts of many magnitudes make the summation order matter.
    receivables = _receivables(seed=5, n=6000)
    rng = np.random.default_rng(3)
    receivables["customer_id"] = receivables["customer_id"].where(rng.random(len(receivables)) > 0.05)
    receivables["amount"] = receivables["amount"] * 10.0 ** rng.integers(-3, 7, len(receivables))
    dates = [("2025-12-31", None), ("2024-12-31", "2024-01-01"), ("2023-12-31", "2023-06-15")]
    found = sc.payment_behaviour_by_window(
        receivables, as_of=[T(a) for a, _ in dates], since=[s and T(s) for _, s in dates], grace_days=7
    )
    assert len(found) == len(dates)
    for result, (as_of, since) in zip(found, dates, strict=True):
        expected = _payments_by_pandas(receivables, as_of=as_of, grace_days=7, since=since)
        pd.testing.assert_frame_equal(result, expected, check_exact=True)
        assert result["invoices"].sum() > 0 and result["open_amount"].gt(0).any()
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "credit_limit": [1e4, 0.0, 5.0]})
    [with_limits] = sc.payment_behaviour_by_window(
        receivables, as_of=[T("2025-12-31")], since=[None], customers=customers, grace_days=7
    )
    alone = sc.payment_behaviour(receivables, as_of=T("2025-12-31"), customers=customers, grace_days=7)
    pd.testing.assert_frame_equal(with_limits, alone, check_exact=True)
    assert with_limits["credit_use"].notna().sum() == 1  # C1's first limit; C2's is not positive
    assert [
        len(f) for f in sc.payment_behaviour_by_window(None, as_of=[T("2025-12-31")] * 2, since=[None] * 2)
    ] == [0, 0]


def test_comparison_window_reads_dates_in_place():
    dates = pd.Series(
        pd.to_datetime(
            ["2024-04-03 09:00", None, "2026-02-10 17:30", "2026-04-02 00:00", "2025-05-05 00:00"]
        ),
        dtype="datetime64[ns]",
    )
    window = comparison_window(dates, current=2026, previous=2025, start_month=4)
    # The last date inside the current year (10 February, its time of day dropped) ends the window.
    assert (window.current_end, window.completeness) == (T("2026-02-10"), "like for like")
    assert window.data_first_day == T("2024-04-03")
    assert data_history(dates, window=window).first_day == T("2024-04-03")
    assert data_history(dates.astype("datetime64[s]"), window=window).first_day == T("2024-04-03")
    empty = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]")
    assert data_history(empty, window=window).first_day is None
    with pytest.warns(UserWarning, match="no sales dated"):
        assert comparison_window(empty, current=2026, previous=2025, start_month=4).data_last_day is None


@pytest.mark.parametrize(
    ("cells", "trimmed"),
    [
        (["a", "b", ""], True),
        (["a", None, "b c"], True),
        (["a", " b"], False),
        (["a", "b\t"], False),
        (["a\xa0"], False),  # a non-breaking space, stripped by str.strip
        (["\x1cx"], False),  # an information separator: Python's str.strip removes it
        (["ü"], False),  # not ASCII: may be a space, so stripped to be sure
    ],
)
def test_strip_text_is_str_strip(cells, trimmed):
    text = pd.Series(cells, dtype="str")
    assert engine.is_trimmed(text) is trimmed
    pd.testing.assert_series_equal(engine.strip_text(text), text.str.strip())
    assert engine.strip_text(text) is text or not trimmed
    assert engine.is_trimmed(pd.Series(["a", " b", "c"], dtype="str").iloc[2:])  # a slice of a column
    assert not engine.is_trimmed(pd.Series(["a"], dtype=object))  # not Arrow text: always stripped


@pytest.mark.parametrize("quoted", [False, True], ids=["no quotes", "quoted line breaks"])
def test_large_csv_reads_cell_for_cell_as_pandas_does(tmp_path, monkeypatch, quoted):
    from kamtools.io import read_raw_table, reading

    monkeypatch.setattr(reading, "_CSV_BLOCK_BYTES", 1 << 16)
    rng = np.random.default_rng(3)
    n = 60_000  # several of Arrow's blocks, so the file is split for its threads
    rows = [
        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d},C{i % 97}, {rng.integers(1, 999)}.5 ,P{i}" for i in range(n)
    ]
    if quoted:
        rows[n // 2] = '2025-01-01,C1,"7\n5",P-multi'
    path = tmp_path / "sales.csv"
    path.write_text("invoice_date,customer_id,net_sales,product\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frame = read_raw_table(path)
    assert frame["net_sales"].array._pa_array.num_chunks > 10
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    assert list(frame.columns) == list(expected.columns) and len(frame) == len(expected) == n
    for column in expected.columns:
        assert frame[column].tolist() == expected[column].tolist()


@pytest.mark.parametrize(
    ("cost", "expected", "note"),
    [
        (
            '"1.234,56"',
            2299.0,
            "decimal comma and '.' between thousands (as the file's other number columns)",
        ),
        ("1234.56", 2.299, "decimal point"),
    ],
    ids=["comma file", "point file"],
)
def test_a_column_of_2_299s_is_read_as_the_file_s_other_number_columns(tmp_path, cost, expected, note):
    from kamtools.workspace import load_workspace
    from tests.conftest import write_workspace

    config = """
client: {name: Acme, currency: EUR, fiscal_year_start_month: 4}
periods: {current: 2026, previous: 2025}
inputs:
  sales: {file: inputs/sales.csv}
"""
    lines = "".join(f"2025-0{m}-01,C{m},2.299,{cost}\n" for m in range(4, 8))
    root = write_workspace(
        tmp_path / "acme", {"sales.csv": "invoice_date,customer_id,net_sales,cost\n" + lines}, config
    )
    intake = load_workspace(root).intake
    assert not intake.problems
    assert intake.tables["sales"]["net_sales"].tolist() == [expected] * 4
    assert any(note in text for text in intake.notes) or note == "decimal point"


def test_is_trimmed_is_remembered_per_living_column():
    text = pd.Series(["a", "b"], dtype="str")
    assert engine.is_trimmed(text)
    assert engine.is_trimmed(text.fillna("").astype(str))  # the same Arrow data: remembered
    padded = pd.Series(["a", "b "], dtype="str")
    assert not engine.is_trimmed(padded)  # another column is read, not taken from the memory
    key = id(text.array._pa_array)
    assert key in engine._TRIMMED
    del text
    import gc

    gc.collect()
    assert key not in engine._TRIMMED  # forgotten with the column: no stale answer for a new one


@pytest.mark.parametrize("bits", [4, 8, 24])
def test_repeated_values_is_pandas_duplicated_keep_false(bits):
    rng = np.random.default_rng(bits)
    hashes = rng.integers(0, 2**63, size=20_000, dtype=np.uint64)
    hashes[rng.integers(0, 20_000, 400)] = hashes[rng.integers(0, 20_000, 400)]
    expected = pd.Series(hashes).duplicated(keep=False).to_numpy()
    assert expected.sum() > 100
    np.testing.assert_array_equal(engine.repeated_values(hashes, bits=bits), expected)
    assert not engine.repeated_values(np.arange(5, dtype=np.uint64), bits=bits).any()


def test_duplicated_rows_is_pandas_duplicated_on_stripped_text():
    rng = np.random.default_rng(5)
    n = 3_000
    frame = pd.DataFrame(
        {
            "customer": pd.Series(rng.choice(["C1", " C1", "C2", "C2 ", "C3"], n), dtype="str"),
            "amount": rng.choice([1.0, -0.0, 0.0, 2.5, np.nan], n),
            "item": pd.Series(rng.choice(["a", "b"], n), dtype="str"),
        }
    )
    stripped = frame.assign(
        customer=frame["customer"].str.strip(), amount=frame["amount"] + 0.0, item=frame["item"]
    )
    expected = stripped.duplicated(keep="first")
    assert 0 < expected.sum() < n
    pd.testing.assert_series_equal(engine.duplicated_rows(frame, strip=["customer", "item"]), expected)
    unstripped = frame.assign(amount=frame["amount"] + 0.0).duplicated(keep="first")
    pd.testing.assert_series_equal(engine.duplicated_rows(frame, strip=["item"]), unstripped)


def _chunked_text(cells: list, pieces: int) -> pd.Series:
    """Arrow-backed text split into ``pieces`` chunks (and an empty one), as a large CSV is read."""
    import pyarrow as pa

    bounds = np.linspace(0, len(cells), pieces + 1).astype(int)
    chunks = [pa.array(cells[a:b], type=pa.large_string()) for a, b in itertools.pairwise(bounds)]
    arrow = pa.chunked_array([*chunks[:1], pa.array([], type=pa.large_string()), *chunks[1:]])
    text = pd.Series(["x"], dtype="str").dtype
    return arrow.to_pandas(types_mapper={pa.large_string(): text}.get)


@pytest.mark.parametrize("padding", ["", " ", "\t", "\xa0", "\u3000", "ü"])
@pytest.mark.parametrize("where", ["first chunk", "last chunk", "inside"])
def test_is_trimmed_is_str_strip_on_chunked_columns(padding, where):
    rng = np.random.default_rng(len(padding) + len(where))
    cells = [f"C{i}" if i % 7 else f"A {i} B" for i in rng.integers(0, 10_000, 5_000)]
    at = {"first chunk": 3, "last chunk": len(cells) - 2, "inside": 2_500}[where]
    cells[at] = f"{cells[at]}{padding}" if where != "inside" else f"x{padding}y"
    text = _chunked_text(cells, 6)
    assert text.array._pa_array.num_chunks == 7
    # A cell ending in a non-ASCII letter counts as padded too (it may be a Unicode space).
    assert engine.is_trimmed(text) is (padding == "" or where == "inside")
    assert not engine.is_trimmed(text) or (text == text.str.strip()).all()
    assert engine.is_trimmed(text.iloc[at + 1 :])  # a slice past the padded cell


@pytest.mark.parametrize(
    "cells", [["2024-01-02", "", "2024-01-03", "2024-01-02"] * 300, [], ["a"], ["b", "a"] * 9]
)
def test_factorized_is_pd_factorize(cells):
    from kamtools.parsing import _factorized

    for text in (
        _chunked_text(cells, 5) if cells else pd.Series(cells, dtype="str"),
        pd.Series(cells, dtype=object),
    ):
        codes, uniques = pd.factorize(text)
        fast_codes, fast_uniques = _factorized(text)
        np.testing.assert_array_equal(fast_codes, codes)
        assert pd.Series(fast_uniques, dtype=object).tolist() == pd.Series(uniques, dtype=object).tolist()


@pytest.mark.parametrize("empty", [False, True], ids=["no empty cell", "empty cells"])
def test_plain_numbers_are_pandas_to_numeric_in_writable_memory(empty):
    from kamtools.parsing import _empty_as_null, read_numbers

    rng = np.random.default_rng(11)
    cells = [f"{v:.2f}" for v in rng.normal(0, 500, 6_000)] + ["-0.0", "+3", "1e3", "12"]
    if empty:
        cells[17] = cells[4_000] = ""
    text = _chunked_text(cells, 8)
    reading = read_numbers(text)
    expected = pd.to_numeric(pd.Series(cells).where(pd.Series(cells) != ""), errors="coerce")
    pd.testing.assert_series_equal(reading.values, expected.astype("float64"), check_names=False)
    assert np.signbit(reading.values.iloc[-4]) and reading.evidence
    reading.values.iloc[0] = 1.0  # the frame's own memory, not Arrow's read-only buffers
    arrow = text.array._pa_array
    nulled = _empty_as_null(arrow)
    assert nulled.null_count == (2 if empty else 0) and (nulled is arrow) is not empty  # no pass if none


def test_duplicated_rows_takes_candidates_found_over_more_rows():
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "customer": pd.Series(rng.choice(["C1", "C2", " C2", "C3"], 400), dtype="str"),
            "amount": rng.choice([1.0, 2.0, np.nan], 400),
        }
    )
    expected = frame.assign(customer=frame["customer"].str.strip()).duplicated(keep="first")
    everything = engine.repeated_rows(pd.concat([frame, frame.iloc[:50]]), strip=["customer"])
    assert everything is not None and everything.sum() > 0
    found = engine.duplicated_rows(frame, strip=["customer"], candidates=everything[: len(frame)])
    pd.testing.assert_series_equal(found, expected)
    assert not engine.duplicated_rows(frame, strip=["customer"], candidates=np.zeros(len(frame), bool)).any()


def test_receivables_columns_keep_what_payment_behaviour_reads():
    receivables = _receivables().assign(invoice_id="I1", note="paid by card")
    kept = sc.receivables_columns(list(receivables.columns))
    assert kept == ["customer_id", "invoice_date", "due_date", "paid_date", "amount"]
    customers = pd.DataFrame({"customer_id": ["C1"], "credit_limit": [5e3]})
    for table in (receivables, receivables.drop(columns=["invoice_date", "paid_date"])):
        narrow = table[sc.receivables_columns(list(table.columns))]
        assert narrow.shape[1] < table.shape[1]
        pd.testing.assert_frame_equal(
            sc.payment_behaviour(narrow, as_of=T("2025-06-30"), customers=customers),
            sc.payment_behaviour(table, as_of=T("2025-06-30"), customers=customers),
            check_exact=True,
        )


def test_period_measures_are_the_metrics_and_payments_of_each_window(lines):
    # The payments run on a thread beside the metrics: the same frames as one after the other.
    window = _window(lines)
    windows = [window, window.shifted(1)]
    receivables = _receivables()
    tables = {"sales": lines, "receivables": receivables}
    settings = sc.ScreeningSettings()
    measures = sc.period_measures(tables, windows=windows, settings=settings)
    metrics = sc.customer_metrics_by_window(lines, windows=windows)
    payments = sc.period_payments(tables, windows=windows, settings=settings)
    assert len(measures) == 2
    for (found, paid), expected, expected_paid in zip(measures, metrics, payments, strict=True):
        pd.testing.assert_frame_equal(found, expected, check_exact=True)
        pd.testing.assert_frame_equal(paid, expected_paid, check_exact=True)
    # A bad receivables table fails the call with its own error, once the metrics are done.
    broken = {"sales": lines, "receivables": receivables.drop(columns=["due_date"])}
    with pytest.raises(sc.ScreeningInputError, match="due_date"):
        sc.period_measures(broken, windows=windows, settings=settings)
    with pytest.raises(sc.ScreeningInputError, match="sales"):
        sc.period_measures({"receivables": receivables}, windows=windows, settings=settings)


@pytest.mark.parametrize(
    "cells", [["a", "b"], ["a", ""], ["a", " "], ["a", None], [" a", "b"], ["a\xa0", "b"], ["x"] * 3, []]
)
def test_no_blank_cell_is_the_stripped_comparison(cells):
    text = _chunked_text(cells, 2) if cells else pd.Series(cells, dtype="str")
    blank = (text.fillna("").str.strip() == "").any()
    assert not (engine.no_blank_cell(text) and blank)
    assert engine.no_blank_cell(text) is (cells in (["a", "b"], ["x"] * 3, []))
    assert not engine.no_blank_cell(pd.Series(["a"], dtype=object))  # not Arrow text: compared


def test_dates_spread_back_over_their_rows_as_a_gather_does():
    from kamtools.parsing import _spread, read_dates

    distinct = pd.Series(["2025-01-31", "31/02/2025", "", "2025-03-01"], dtype=object)
    reading = read_dates(distinct)
    codes = np.random.default_rng(2).integers(0, 4, 1_000).astype(np.int32)
    index = pd.RangeIndex(1_000)
    spread = _spread(reading, codes, index)
    for name, value in vars(reading).items():
        if isinstance(value, pd.Series):
            expected = pd.Series(value.to_numpy()[codes], index=index)
            pd.testing.assert_series_equal(getattr(spread, name), expected, check_names=False)
    assert reading.unreadable.any() and not reading.with_zone.any()  # both paths taken


def _text_chunks(chunks: list[list[str]], *, large: bool = True, sliced: bool = False):
    """Arrow text in the given chunks; ``sliced``: each chunk a slice of a longer array (offset > 0)."""
    import pyarrow as pa

    kind = pa.large_string() if large else pa.string()
    arrays = []
    for cells in chunks:
        if sliced:
            arrays.append(pa.array(["lead-in", *cells, "tail"], type=kind).slice(1, len(cells)))
        else:
            arrays.append(pa.array(cells, type=kind))
    return pa.chunked_array(arrays, type=kind)


@pytest.mark.parametrize("width", [1, 3, 7, 8, 9, 10, 15, 16, 17, 24, 31, 32])
@pytest.mark.parametrize("large, sliced", [(True, False), (False, False), (True, True)])
def test_fixed_width_hashes_are_equal_exactly_for_equal_cells(width, large, sliced):
    rng = np.random.default_rng(width)
    alphabet = np.array(list("0123456789ABCDEF-"))
    words = ["".join(rng.choice(alphabet, width)) for _ in range(300)]
    cells = [words[i] for i in rng.integers(0, len(words), 3_000)]
    # The same cells in chunks of other lengths, and a chunk of another width in between: a
    # cell's hash depends on its bytes alone, not on its chunk, position or neighbours.
    other_width = ["x" * (width + 1 if width < 32 else width - 1)] * 5
    arrow = _text_chunks([cells[:1_001], other_width, cells[1_001:]], large=large, sliced=sliced)
    hashes = engine.fixed_width_hashes(arrow)
    assert hashes is not None and len(hashes) == len(arrow)
    found = np.delete(hashes, range(1_001, 1_006))
    again = engine.fixed_width_hashes(_text_chunks([cells[::-1]]))[::-1]
    np.testing.assert_array_equal(found, again)
    by_cell = pd.Series(found).groupby(pd.Series(cells)).nunique()
    assert (by_cell == 1).all()  # equal cells, equal hashes
    assert pd.Series(found).nunique() == len(set(cells))  # and no two cells collide here


def test_fixed_width_hashes_tell_a_short_cell_from_it_with_a_zero_byte():
    # "ab" read as a zero-padded word equals "ab\0" read the same way; the width tells them apart.
    short = engine.fixed_width_hashes(_text_chunks([["ab", "ab"]]))
    longer = engine.fixed_width_hashes(_text_chunks([["ab\x00", "ab\x00"]]))
    assert short[0] == short[1] and longer[0] == longer[1] and short[0] != longer[0]


@pytest.mark.parametrize(
    "chunks",
    [[["A1", "B22", "C1"]], [["A1", "B2"], ["C3", None]], [["x" * 33] * 3], [["ab", "cd"], ["abc", "d"]]],
    ids=["two widths", "missing value", "longer than 32 bytes", "9 bytes over 4 cells as 2+2+3+1"],
)
def test_fixed_width_hashes_leave_other_text_to_duckdb(chunks):
    assert engine.fixed_width_hashes(_text_chunks(chunks)) is None


def test_row_hashes_mix_fixed_width_and_other_columns_by_position():
    rng = np.random.default_rng(21)
    n = 4_000
    ids = np.array([f"C{i:05d}" for i in rng.integers(0, 300, n)])
    days = np.array(
        [f"2024-0{m}-1{d}" for m, d in zip(rng.integers(1, 10, n), rng.integers(0, 10, n), strict=True)]
    )
    frame = pd.DataFrame(
        {
            "customer": _chunked_text(list(ids), 4),
            "date": _chunked_text(list(days), 3),
            "amount": pd.Series(rng.choice(["1.5", "22.05", "300"], n), dtype="str"),
            "quantity": rng.choice([1.0, 2.0, -0.0, 0.0], n),
        }
    )
    assert engine.fixed_width_hashes(frame["customer"].array._pa_array) is not None
    assert engine.fixed_width_hashes(frame["amount"].array._pa_array) is None
    hashes = engine.row_hashes(frame, strip=["customer", "date", "amount"])
    rows = frame.assign(quantity=frame["quantity"] + 0.0).astype(str).agg("|".join, axis=1)
    per_row = pd.Series(hashes).groupby(rows.to_numpy()).nunique()
    assert (per_row == 1).all()  # equal rows, equal hashes
    assert pd.Series(hashes).nunique() == rows.nunique()  # unequal rows apart
    # Two fixed-width columns with their values swapped between two rows hash apart.
    swapped = pd.DataFrame(
        {"a": pd.Series(["C00001", "C00002"], dtype="str"), "b": pd.Series(["C00002", "C00001"], dtype="str")}
    )
    first, second = engine.row_hashes(swapped, strip=["a", "b"])
    assert first != second
    # The repeat search on the mixed hashes finds exactly pandas' duplicates.
    expected = frame.assign(quantity=frame["quantity"] + 0.0).duplicated(keep="first")
    assert 0 < expected.sum() < n
    pd.testing.assert_series_equal(
        engine.duplicated_rows(frame, strip=["customer", "date", "amount"]), expected
    )


def test_work_started_when_idle_runs_at_the_lowest_priority_and_returns_its_result():
    import os
    import sys
    import threading

    def priority_and(value):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), value

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    priority, value = engine.when_idle(priority_and, "x").result(timeout=10)
    assert value == "x"
    if sys.platform.startswith("linux"):
        assert priority == engine.LOWEST_PRIORITY
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's own kept
    with pytest.raises(ZeroDivisionError):
        engine.when_idle(lambda: 1 / 0).result(timeout=10)
