"""Fiscal periods and the comparison window of a screening."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.periods import ComparisonWindow, comparison_window, fiscal_period, period_bounds

T = pd.Timestamp


def dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), name="invoice_date").astype("datetime64[ns]")


@pytest.mark.parametrize(
    ("start_month", "values", "expected"),
    [
        pytest.param(4, ["2025-03-31", "2025-04-01", "2026-03-31"], [2025, 2026, 2026], id="april"),
        pytest.param(1, ["2025-01-01", "2025-12-31"], [2025, 2025], id="calendar"),
        pytest.param(12, ["2025-11-30", "2025-12-01"], [2025, 2026], id="december"),
        pytest.param(4, ["2025-05-01", None], [2026, None], id="missing-date"),
    ],
)
def test_fiscal_period(start_month, values, expected):
    result = fiscal_period(dates(*values), start_month=start_month)
    pd.testing.assert_series_equal(result, pd.Series(expected, dtype="Int64", name="invoice_date"))


@pytest.mark.parametrize(
    ("period", "start_month", "expected"),
    [
        pytest.param(2026, 4, (T("2025-04-01"), T("2026-03-31")), id="april"),
        pytest.param(2025, 1, (T("2025-01-01"), T("2025-12-31")), id="calendar"),
        pytest.param(2024, 3, (T("2023-03-01"), T("2024-02-29")), id="leap-year-end"),
    ],
)
def test_period_bounds(period, start_month, expected):
    assert period_bounds(period, start_month=start_month) == expected


@pytest.mark.parametrize("start_month", [0, 13, 4.0])
def test_bad_start_month(start_month):
    with pytest.raises(ValueError, match="start_month"):
        period_bounds(2025, start_month=start_month)


def test_complete_year_compares_whole_periods():
    window = comparison_window(
        dates("2024-04-01", "2025-03-31", "2026-03-31"), current=2026, previous=2025, start_month=4
    )
    assert window == ComparisonWindow(
        current_start=T("2025-04-01"),
        current_end=T("2026-03-31"),
        previous_start=T("2024-04-01"),
        previous_end=T("2025-03-31"),
        like_for_like=False,
        months_compared="April to March",
        current=2026,
        previous=2025,
    )
    assert window.label == "2026 vs 2025, April to March"
    assert window.current_days == 365


def test_incomplete_year_compares_the_same_months():
    window = comparison_window(
        dates("2024-04-02", "2025-01-10", "2025-09-30"), current=2026, previous=2025, start_month=4
    )
    assert (window.current_start, window.current_end) == (T("2025-04-01"), T("2025-09-30"))
    assert (window.previous_start, window.previous_end) == (T("2024-04-01"), T("2024-09-30"))
    assert window.like_for_like
    assert window.months_compared == "April to September"
    assert window.label == "2026 vs 2025, April to September (like for like)"


def test_incomplete_month_is_described_by_day():
    window = comparison_window(dates("2024-04-01", "2025-09-15"), current=2026, previous=2025, start_month=4)
    assert window.previous_end == T("2024-09-15")
    assert window.months_compared == "1 April to 15 September"


def test_like_for_like_across_a_leap_day():
    window = comparison_window(dates("2023-01-02", "2024-02-29"), current=2024, previous=2023, start_month=1)
    assert window.previous_end == T("2023-02-28")
    assert window.months_compared == "January to February"


def test_data_end_overrides_the_last_invoice():
    window = comparison_window(
        dates("2024-04-01", "2025-09-12"),
        current=2026,
        previous=2025,
        start_month=4,
        data_end=T("2025-09-30"),
    )
    assert window.current_end == T("2025-09-30")
    assert window.months_compared == "April to September"


def test_no_sales_in_current_period_warns_and_compares_whole_periods():
    with pytest.warns(UserWarning, match="no sales dated in period 2026"):
        window = comparison_window(
            dates("2024-04-01", "2025-02-01"), current=2026, previous=2025, start_month=4
        )
    assert not window.like_for_like
    assert window.current_end == T("2026-03-31")


def test_late_data_start_warns():
    with pytest.warns(UserWarning, match="previous sales are incomplete"):
        comparison_window(dates("2024-06-01", "2026-03-31"), current=2026, previous=2025, start_month=4)


def test_previous_must_come_first():
    with pytest.raises(ValueError, match="must be before"):
        comparison_window(dates("2025-05-01"), current=2025, previous=2025, start_month=1)


def test_shifted_window_is_last_years_screening():
    window = comparison_window(dates("2023-04-03", "2025-09-30"), current=2026, previous=2025, start_month=4)
    before = window.shifted(1)
    assert before == ComparisonWindow(
        current_start=T("2024-04-01"),
        current_end=T("2024-09-30"),
        previous_start=T("2023-04-01"),
        previous_end=T("2023-09-30"),
        like_for_like=True,
        months_compared="April to September",
        current=2025,
        previous=2024,
    )
