"""Period completeness (last business days, data end) and history before the data."""

import pandas as pd
import pytest

from kamtools.periods import comparison_window, completeness_sentence, data_history

T = pd.Timestamp


def dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def test_year_ending_on_a_sunday_is_complete_when_the_last_invoice_is_saturday():
    # 31 December 2023 is a Sunday; the dealer invoiced until Saturday 30 December.
    window = comparison_window(
        dates("2022-01-02", "2022-12-30", "2023-12-30"), current=2023, previous=2022, start_month=1
    )
    assert not window.like_for_like
    assert window.completeness == "last business days"
    assert (window.current_end, window.previous_end) == (T("2023-12-31"), T("2022-12-31"))
    # Last year's screening is not cut by a day either.
    assert window.shifted(1).current_end == T("2022-12-31")
    sentence = completeness_sentence(window)
    assert "Saturday 30 December 2023" in sentence
    assert "only a weekend follows it" in sentence
    assert "complete" in sentence


def test_a_closed_week_between_christmas_and_new_year_still_counts_as_complete():
    # 2024: last invoice Tuesday 24 December; 25, 26, 27, 30 and 31 December are five weekdays.
    window = comparison_window(dates("2023-01-02", "2024-12-24"), current=2024, previous=2023, start_month=1)
    assert window.completeness == "last business days"
    assert "only 5 working days" in completeness_sentence(window)


def test_a_year_stopping_earlier_is_like_for_like():
    # Monday 23 December 2024: six weekdays follow, more than one working week.
    window = comparison_window(dates("2023-01-02", "2024-12-23"), current=2024, previous=2023, start_month=1)
    assert window.like_for_like
    assert window.completeness == "like for like"
    assert window.previous_end == T("2023-12-23")
    assert "compared like for like" in completeness_sentence(window)


def test_the_tolerance_is_a_setting():
    window = comparison_window(
        dates("2022-01-02", "2023-12-29"),
        current=2023,
        previous=2022,
        start_month=1,
        end_tolerance_business_days=0,
    )
    # Friday 29 December 2023: only the weekend follows, so even no tolerance is enough.
    assert window.completeness == "last business days"
    strict = comparison_window(
        dates("2022-01-02", "2023-12-28"),
        current=2023,
        previous=2022,
        start_month=1,
        end_tolerance_business_days=0,
    )
    assert strict.like_for_like


def test_data_end_from_client_yml_decides_alone():
    complete = comparison_window(
        dates("2022-01-02", "2023-11-30"),
        current=2023,
        previous=2022,
        start_month=1,
        data_end=T("2023-12-31"),
    )
    assert complete.completeness == "data end (client.yml)"
    assert not complete.like_for_like
    assert "periods.data_end" in completeness_sentence(complete)
    partial = comparison_window(
        dates("2022-01-02", "2023-12-30"),
        current=2023,
        previous=2022,
        start_month=1,
        data_end=T("2023-12-22"),
    )
    assert partial.completeness == "like for like (data end, client.yml)"
    assert partial.current_end == T("2023-12-22")
    assert "export ends on Friday 22 December 2023" in completeness_sentence(partial)


def test_whole_period_rule_is_named():
    window = comparison_window(dates("2022-01-03", "2023-12-31"), current=2023, previous=2022, start_month=1)
    assert window.completeness == "whole period"
    assert "last day of 2023" in completeness_sentence(window)


def test_no_sales_in_the_current_period_is_named():
    with pytest.warns(UserWarning):
        window = comparison_window(dates("2022-01-03"), current=2023, previous=2022, start_month=1)
    assert window.completeness == "no data"
    assert "no sales dated in 2023" in completeness_sentence(window)


def test_data_beginning_at_the_previous_period_have_no_earlier_history():
    window = comparison_window(dates("2022-01-03", "2023-12-29"), current=2023, previous=2022, start_month=1)
    history = data_history(dates("2022-01-03", "2023-12-29"), window=window)
    assert not history.can_call_new
    assert history.first_buyer_label == "no earlier history"
    assert "no earlier history" in history.sentence()
    assert "at the start of the previous period" in history.sentence()


def test_data_beginning_in_the_current_period_have_no_earlier_history():
    # The UCI wholesaler: the data begin with the current period itself.
    with pytest.warns(UserWarning, match="previous sales are incomplete"):
        window = comparison_window(
            dates("2010-12-01", "2011-11-30"), current=2011, previous=2010, start_month=12
        )
    history = data_history(dates("2010-12-01", "2011-11-30"), window=window)
    assert history.days_before_previous == 0
    assert history.first_buyer_label == "no earlier history"
    assert "after the start of the previous period" in history.sentence()


def test_a_year_of_history_before_the_previous_period_allows_new_customers():
    sales_dates = dates("2023-04-03", "2026-03-31")
    window = comparison_window(sales_dates, current=2026, previous=2025, start_month=4)
    history = data_history(sales_dates, window=window)
    assert history.can_call_new
    assert history.first_buyer_label == "new"
    assert history.days_before_previous == 364
    assert "12 months before the previous period" in history.sentence()


def test_a_few_weeks_of_history_are_not_enough():
    sales_dates = dates("2021-12-01", "2023-12-29")
    window = comparison_window(sales_dates, current=2023, previous=2022, start_month=1)
    assert not data_history(sales_dates, window=window).can_call_new
    assert data_history(sales_dates, window=window, min_history_days=30).can_call_new


def test_client_yml_data_end_is_read_and_checked(tmp_path, capsys):
    from kamtools.cli import main
    from kamtools.config import parse_config, with_current_period

    from .conftest import write_workspace

    raw = {
        "client": {"name": "X"},
        "periods": {"current": 2025, "data_end": "2025-12-20"},
        "inputs": {"sales": {"file": "inputs/sales.csv"}},
    }
    config = parse_config(raw, slug="x")
    assert config.data_end == T("2025-12-20")
    assert with_current_period(config, 2024).data_end == T("2025-12-20")
    assert parse_config({**raw, "periods": {"current": 2025}}, slug="x").data_end is None

    root = write_workspace(
        tmp_path / "bad",
        {"sales.csv": "invoice_date,customer_id,net_sales\n2025-01-02,C1,10\n"},
        "client: {name: X}\nperiods: {current: 2025, data_end: end of year}\n"
        "inputs: {sales: {file: inputs/sales.csv}}\n",
    )
    assert main(["validate", str(root)]) == 2
    err = capsys.readouterr().err
    assert "periods.data_end" in err and "'end of year'" in err
    assert "Traceback" not in err


def test_a_previous_period_the_data_do_not_reach_is_not_called_whole():
    # The UCI wholesaler: invoices from 1 December 2010 to 9 December 2011, fiscal year from
    # December, so 2011 is complete and 2010 (December 2009 to November 2010) has no sales.
    window = comparison_window(
        dates("2010-12-01", "2011-06-15", "2011-11-30", "2011-12-09"),
        current=2011,
        previous=2010,
        start_month=12,
    )
    sentence = completeness_sentence(window)
    assert window.completeness == "whole period"
    assert "whole of 2010" not in sentence
    assert "data begin on Wednesday 1 December 2010, after 2010 ended" in sentence
    assert "no sales of 2010 to compare it with" in sentence


def test_a_previous_period_reached_late_is_called_incomplete():
    window = comparison_window(dates("2022-03-01", "2023-12-29"), current=2023, previous=2022, start_month=1)
    sentence = completeness_sentence(window)
    assert "compared with the whole of 2022, but the data begin only on Tuesday 1 March 2022" in sentence
    assert "incomplete" in sentence
    whole = comparison_window(dates("2022-01-03", "2023-12-29"), current=2023, previous=2022, start_month=1)
    assert "it is compared with the whole of 2022." in completeness_sentence(whole)
    assert "begin" not in completeness_sentence(whole)
