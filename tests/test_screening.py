"""Stage 1 screening on tiny literal frames, each expected value worked out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kamtools import contract, io
from kamtools.periods import ComparisonWindow, comparison_window
from kamtools.stages import screening as sc

T = pd.Timestamp
NAN = np.nan

# Calendar fiscal years; 2025 is screened against 2024, both whole years.
WINDOW = ComparisonWindow(
    current_start=T("2025-01-01"),
    current_end=T("2025-12-31"),
    previous_start=T("2024-01-01"),
    previous_end=T("2024-12-31"),
    like_for_like=False,
    months_compared="January to December",
    current=2025,
    previous=2024,
)


def ns(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[ns]")


SALES_COLUMNS = ["invoice_date", "customer_id", "net_sales", "cost", "invoice_id", "category"]
SALES_ROWS = [
    # A: grows from 1,000 to 1,500 at a 40 % margin.
    ("2024-01-10", "A", 600.0, 360.0, "I01", "tools"),
    ("2024-07-10", "A", 400.0, 240.0, "I02", "paint"),
    ("2025-01-15", "A", 500.0, 300.0, "I03", "tools"),
    ("2025-06-15", "A", 500.0, 300.0, "I04", "paint"),
    ("2025-06-15", "A", 100.0, 60.0, "I04", "paint"),
    ("2025-12-31", "A", 400.0, 240.0, "I05", "garden"),
    # B: a thin 5 % margin. C: bought last year only (lost). D: new this year.
    ("2024-03-01", "B", 500.0, 450.0, "I06", "tools"),
    ("2025-03-01", "B", 800.0, 760.0, "I07", "tools"),
    ("2024-05-01", "C", 300.0, 150.0, "I08", "paint"),
    ("2025-08-01", "D", 200.0, 120.0, "I09", "tools"),
    # E: only a credit note. F (in the master) bought nothing.
    ("2025-09-01", "E", -50.0, -30.0, "I10", "tools"),
]


def frame(rows: list[tuple], columns: list[str], dates: tuple[str, ...]) -> pd.DataFrame:
    """A literal frame whose ``dates`` columns become ``datetime64[ns]``."""
    out = pd.DataFrame(rows, columns=columns)
    return out.assign(**{c: pd.to_datetime(out[c]).astype("datetime64[ns]") for c in dates})


@pytest.fixture
def sales() -> pd.DataFrame:
    return frame(SALES_ROWS, SALES_COLUMNS, ("invoice_date",))


@pytest.fixture
def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E", "F"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Phi"],
            "credit_limit": [500.0, 0.0, NAN, NAN, NAN, NAN],
        }
    )


# --------------------------------------------------------------------------------------------
# customer_metrics


def test_customer_metrics_literal(sales, customers):
    result = sc.customer_metrics(sales, customers=customers, window=WINDOW)
    total = 2450.0
    expected = pd.DataFrame(
        {
            "customer_id": ["A", "B", "D", "C", "F", "E"],
            "name": ["Alpha", "Beta", "Delta", "Gamma", "Phi", "Epsilon"],
            "status": ["active", "active", "new", "lost", "inactive", "inactive"],
            "sales": [1500.0, 800, 200, 0, 0, -50],
            "sales_share": [1500 / total, 800 / total, 200 / total, 0, 0, -50 / total],
            "cumulative_share": [1500 / total, 2300 / total, 2500 / total, 2500 / total, 2500 / total, 1.0],
            "gross_profit": [600.0, 40, 80, 0, 0, -20],
            "margin_pct": [0.4, 0.05, 0.4, NAN, NAN, NAN],
            "previous_sales": [1000.0, 500, 0, 300, 0, 0],
            "previous_gross_profit": [400.0, 50, 0, 150, 0, 0],
            "growth_pct": [0.5, 0.6, NAN, -1.0, NAN, NAN],
            "first_purchase": ns("2024-01-10", "2024-03-01", "2025-08-01", "2024-05-01", None, None),
            "last_purchase": ns("2025-12-31", "2025-03-01", "2025-08-01", "2024-05-01", None, None),
            "recency_days": [0.0, 305, 152, 609, NAN, NAN],
            "frequency": np.array([3, 1, 1, 0, 0, 0], dtype="int64"),
            "variety": [3.0, 1, 1, 0, 0, 0],
            "avg_order_size": [500.0, 800, 200, NAN, NAN, NAN],
            # Least-squares slope over months 0..11 (sum of squares 143) / mean monthly sales.
            "trend": [
                (-5.5 * 500 - 0.5 * 600 + 5.5 * 400) / 143 / (1500 / 12),
                (-3.5 * 800) / 143 / (800 / 12),
                (1.5 * 200) / 143 / (200 / 12),
                NAN,
                NAN,
                NAN,
            ],
        }
    )
    pd.testing.assert_frame_equal(result, expected)


def test_customer_metrics_without_cost_gives_nan_margins(sales):
    result = sc.customer_metrics(sales.drop(columns="cost"), window=WINDOW)
    assert result["gross_profit"].isna().all()
    assert result["margin_pct"].isna().all()
    assert result["previous_gross_profit"].isna().all()
    # Without a master the name is the id and master-only customers are absent.
    assert result["name"].tolist() == ["A", "B", "D", "C", "E"]


def test_a_line_without_cost_makes_gross_profit_unknown(sales):
    partial = sales.assign(cost=sales["cost"].where(sales["invoice_id"] != "I07"))
    result = sc.customer_metrics(partial, window=WINDOW).set_index("customer_id")
    assert np.isnan(result.loc["B", "gross_profit"])
    assert result.loc["A", "gross_profit"] == 600.0


def test_frequency_counts_invoice_dates_without_invoice_id():
    lines = pd.DataFrame(
        {
            "invoice_date": ns("2025-02-01", "2025-02-01", "2025-03-01"),
            "customer_id": ["A", "A", "A"],
            "net_sales": [10.0, 20.0, 30.0],
            "invoice_id": ["X1", "X2", "X3"],
            "product": ["p1", "p2", "p1"],
        }
    )
    with_ids = sc.customer_metrics(lines, window=WINDOW)
    without = sc.customer_metrics(lines.drop(columns="invoice_id"), window=WINDOW)
    assert with_ids.loc[0, "frequency"] == 3
    assert without.loc[0, "frequency"] == 2
    assert without.loc[0, "avg_order_size"] == 30.0
    assert with_ids.loc[0, "variety"] == 2.0  # distinct products when there is no category


def test_variety_is_nan_without_category_or_product(sales):
    result = sc.customer_metrics(sales.drop(columns="category"), window=WINDOW)
    assert result["variety"].isna().all()


def test_single_customer_and_credit_note_only():
    lines = pd.DataFrame(
        {"invoice_date": ns("2025-04-01"), "customer_id": ["Z"], "net_sales": [-80.0], "cost": [-50.0]}
    )
    result = sc.customer_metrics(lines, window=WINDOW)
    row = result.iloc[0]
    assert (row["status"], row["sales"], row["gross_profit"], row["frequency"]) == (
        "inactive",
        -80.0,
        -30.0,
        0,
    )
    assert np.isnan(row["margin_pct"]) and np.isnan(row["cumulative_share"])
    with pytest.warns(UserWarning, match="no customer bought"):
        scored = sc.score_customers(result)
    assert (scored.loc[0, "tier"], scored.loc[0, "reason"]) == (
        "inactive",
        "no purchases in the compared windows",
    )


def test_like_for_like_window_compares_the_same_months():
    lines = pd.DataFrame(
        {
            "invoice_date": ns("2024-01-10", "2024-11-10", "2025-02-20", "2025-06-30"),
            "customer_id": ["A", "A", "A", "A"],
            "net_sales": [100.0, 900.0, 150.0, 50.0],
        }
    )
    window = comparison_window(lines["invoice_date"], current=2025, previous=2024, start_month=1)
    assert window.like_for_like and window.previous_end == T("2024-06-30")
    result = sc.customer_metrics(lines, window=window)
    assert result.loc[0, "sales"] == 200.0
    assert result.loc[0, "previous_sales"] == 100.0  # November 2024 is outside the compared months
    assert result.loc[0, "growth_pct"] == 1.0
    assert result.loc[0, "recency_days"] == 0.0


def test_new_versus_lost_versus_returning():
    lines = pd.DataFrame(
        {
            "invoice_date": ns("2023-05-01", "2025-05-01", "2024-05-01", "2025-05-01"),
            "customer_id": ["R", "R", "L", "N"],
            "net_sales": [10.0, 10.0, 10.0, 10.0],
        }
    )
    result = sc.customer_metrics(lines, window=WINDOW).set_index("customer_id")
    # R bought in 2023 and again now: active, not new. L bought only last year: lost.
    assert result["status"].to_dict() == {"N": "new", "R": "active", "L": "lost"}


def test_customer_metrics_names_missing_columns(sales):
    with pytest.raises(sc.ScreeningInputError, match="'net_sales'"):
        sc.customer_metrics(sales.drop(columns="net_sales"), window=WINDOW)


# --------------------------------------------------------------------------------------------
# payment_behaviour, qualitative_scores


@pytest.fixture
def receivables() -> pd.DataFrame:
    rows = [
        ("A", "2025-02-01", "2025-03-01", "2025-03-03", 100.0),  # 2 days late: within grace
        ("A", "2025-05-01", "2025-06-01", "2025-07-01", 300.0),  # 30 days late
        ("A", "2025-11-01", "2025-12-01", None, 50.0),  # open, 30 days overdue
        ("A", "2025-12-20", "2026-01-30", None, 200.0),  # open, not due yet
        ("B", "2025-04-01", "2025-05-01", "2025-04-20", 80.0),  # paid early
        ("B", "2025-10-01", "2025-11-01", "2026-01-15", 20.0),  # paid after as_of
    ]
    columns = ["customer_id", "invoice_date", "due_date", "paid_date", "amount"]
    return frame(rows, columns, ("invoice_date", "due_date", "paid_date"))


def test_payment_behaviour_literal(receivables, customers):
    result = sc.payment_behaviour(receivables, as_of=T("2025-12-31"), customers=customers)
    expected = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            # A: the invoice not yet due is not judged. B: paid after as_of counts as open.
            "invoices": np.array([3, 2], dtype="int64"),
            "paid_invoices": np.array([2, 1], dtype="int64"),
            "avg_days_late": [(100 * 2 + 300 * 30) / 400, 0.0],
            "late_share": [2 / 3, 1 / 2],
            "open_amount": [250.0, 20.0],
            "open_overdue_amount": [50.0, 20.0],
            "credit_use": [0.5, NAN],
        }
    )
    pd.testing.assert_frame_equal(result, expected)


def test_payment_behaviour_since_limits_the_judged_invoices(receivables):
    result = sc.payment_behaviour(receivables, as_of=T("2025-12-31"), since=T("2025-04-15"))
    a = result.set_index("customer_id").loc["A"]
    assert (a["invoices"], a["avg_days_late"], a["late_share"]) == (2, 30.0, 1.0)
    assert a["open_amount"] == 250.0  # open amounts ignore ``since``


@pytest.mark.parametrize("receivables", [None, pd.DataFrame()], ids=["none", "empty"])
def test_missing_receivables_give_an_empty_frame(receivables):
    result = sc.payment_behaviour(receivables, as_of=T("2025-12-31"))
    assert list(result.columns) == list(sc.PAYMENT_COLUMNS)
    assert result.empty
    assert not sc.payment_data_available(result)
    assert not sc.payment_data_available(None)


def test_qualitative_scores_wide():
    assessments = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B"],
            "indicator": ["management_maturity", "management_maturity", "openness", "management_maturity"],
            "score": [4, 5, 3, 2],
        }
    )
    expected = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "management_maturity": [4.5, 2.0],
            "openness": [3.0, NAN],
            "qualitative_mean": [3.75, 2.0],
        }
    )
    pd.testing.assert_frame_equal(sc.qualitative_scores(assessments), expected)
    only = sc.qualitative_scores(assessments, indicators=["openness"])
    pd.testing.assert_frame_equal(
        only, pd.DataFrame({"customer_id": ["A"], "openness": [3.0], "qualitative_mean": [3.0]})
    )


def test_qualitative_scores_reject_out_of_scale():
    assessments = pd.DataFrame({"customer_id": ["A"], "indicator": ["x"], "score": [7]})
    with pytest.raises(sc.ScreeningInputError, match="1 to 5"):
        sc.qualitative_scores(assessments)


def test_qualitative_scores_none():
    result = sc.qualitative_scores(None, indicators=["management_maturity"])
    assert list(result.columns) == ["customer_id", "management_maturity", "qualitative_mean"]
    assert result.empty


# --------------------------------------------------------------------------------------------
# Settings


def test_settings_defaults_and_round_trip():
    settings = sc.ScreeningSettings.from_mapping(None)
    assert settings == sc.ScreeningSettings()
    assert settings.weights == dict(sc.DEFAULT_WEIGHTS)
    assert sum(settings.normalised_weights.values()) == pytest.approx(1.0)
    mapping = settings.to_mapping()
    assert (
        mapping["max_avg_days_late"] == 30.0
        and mapping["max_late_share"] is None
        and mapping["manager_load"] == 9
    )
    assert sc.ScreeningSettings.from_mapping(mapping) == settings


def test_settings_partial_weights_keep_the_other_defaults():
    settings = sc.ScreeningSettings.from_mapping(
        {"weights": {"sales": 0.5}, "key_accounts": 5, "qualitative_indicators": ["management_maturity"]}
    )
    assert settings.weights["sales"] == 0.5
    assert settings.weights["margin"] == 0.10
    assert settings.key_accounts == 5
    assert settings.qualitative_indicators == ("management_maturity",)


def test_settings_unknown_key_names_it_and_the_allowed_ones():
    with pytest.raises(ValueError, match=r"unknown screening setting\(s\) 'max_days'; allowed: weights, "):
        sc.ScreeningSettings.from_mapping({"max_days": 30})


def test_settings_unknown_weight():
    with pytest.raises(sc.SettingsError, match=r"'volume'.*allowed: sales, gross_profit"):
        sc.ScreeningSettings.from_mapping({"weights": {"volume": 0.2}})


@pytest.mark.parametrize(
    "mapping",
    [
        pytest.param({"weights": {"sales": -1}}, id="negative-weight"),
        pytest.param({"weights": dict.fromkeys(sc.CRITERIA, 0)}, id="all-zero"),
        pytest.param({"key_share": 0}, id="key-share"),
        pytest.param({"key_min": 20, "key_max": 10}, id="key-bounds"),
    ],
)
def test_settings_out_of_range(mapping):
    with pytest.raises(sc.SettingsError):
        sc.ScreeningSettings.from_mapping(mapping)


@pytest.mark.parametrize(
    ("active", "mapping", "expected"),
    [
        pytest.param(2000, {}, 40, id="two-percent"),
        pytest.param(100, {}, 10, id="at-least-ten"),
        pytest.param(10000, {}, 60, id="at-most-sixty"),
        pytest.param(5, {}, 5, id="never-more-than-active"),
        pytest.param(100, {"key_accounts": 7}, 7, id="fixed"),
        pytest.param(0, {}, 0, id="none-active"),
    ],
)
def test_key_account_count(active, mapping, expected):
    settings = sc.ScreeningSettings.from_mapping(mapping)
    assert sc.key_account_count(active, settings=settings) == expected


# --------------------------------------------------------------------------------------------
# score_customers


@pytest.fixture
def metrics() -> pd.DataFrame:
    """Four buying customers and a lost one, with round numbers."""
    return pd.DataFrame(
        {
            "customer_id": ["W", "X", "Y", "Z", "L"],
            "name": ["Wolf", "Xeno", "Yard", "Zinc", "Lost"],
            "status": ["active", "active", "active", "new", "lost"],
            "sales": [1000.0, 500, 500, 100, 0],
            "gross_profit": [300.0, 150, -50, 40, 0],
            "margin_pct": [0.3, 0.3, -0.1, 0.4, NAN],
            "previous_sales": [800.0, 500, 250, 0, 300],
            "growth_pct": [0.25, 0.0, 1.0, NAN, -1.0],
            "last_purchase": ns("2025-12-21", "2025-12-11", "2025-12-01", "2025-12-26", "2024-06-01"),
            "recency_days": [10.0, 20, 30, 5, 578],
            "frequency": [10, 5, 5, 1, 0],
            "variety": [3.0, 2, 1, 1, 0],
            "trend": [0.1, 0.0, -0.1, NAN, NAN],
        }
    )


# The hand-computed expectations below use these weights, whatever the defaults become.
WEIGHTS = {
    "sales": 0.30,
    "gross_profit": 0.20,
    "margin": 0.10,
    "payment": 0.15,
    "growth": 0.05,
    "purchase_history": 0.10,
    "management": 0.10,
}
KEY1 = sc.ScreeningSettings(key_accounts=1, weights=WEIGHTS)


def test_score_customers_literal_scores(metrics):
    scored = sc.score_customers(metrics, settings=KEY1)
    # No receivables, no workshop scores: payment and management are dropped, the other
    # weights (0.30, 0.20, 0.10, 0.05, 0.10) are divided by their sum 0.75.
    assert scored.attrs["dropped_criteria"] == {
        "payment": "no receivables to judge payment behaviour",
        "management": "no workshop scores",
    }
    assert scored.attrs["weights"] == pytest.approx(
        {
            "sales": 0.4,
            "gross_profit": 0.2 / 0.75,
            "margin": 0.1 / 0.75,
            "growth": 0.05 / 0.75,
            "purchase_history": 0.1 / 0.75,
        }
    )
    s = scored.set_index("customer_id")
    # Size in money: with one key place the largest (1,000) scores 1 and the 4th largest (100,
    # 4 x the key count) 0, log scale between: 500 scores log(5)/log(10). Gross profit: 300
    # scores 1, the 3rd largest profit (40, there are only three) 0; the loss scores 0.
    size_500 = np.log(5) / np.log(10)
    profit_150 = np.log(150 / 40) / np.log(300 / 40)
    assert s.loc[["W", "X", "Y", "Z"], "score_sales"].tolist() == pytest.approx(
        [1.0, size_500, size_500, 0.0]
    )
    assert s.loc[["W", "X", "Y", "Z"], "score_gross_profit"].tolist() == pytest.approx([1, profit_150, 0, 0])
    # Margin against peers (all four here, median 30%): gaps 0, 0, -40 and +10 points.
    assert s.loc[["W", "X", "Y", "Z"], "peer_margin"].tolist() == pytest.approx([0.3] * 4)
    assert s.loc[["W", "X", "Y", "Z"], "score_margin"].tolist() == [0.5, 0.5, 0.0, 1.0]
    # Growth on a meaningful base only (previous sales at least the median, 500): W and X;
    # Y (from 250) and the new Z get the mean, 0.5.
    assert s.loc[["W", "X", "Y", "Z"], "score_growth"].tolist() == [1.0, 0.0, 0.5, 0.5]
    # Mean of frequency, inverted recency, variety and trend ranks (Z has no trend).
    assert s.loc[["W", "X", "Y", "Z"], "score_purchase_history"].tolist() == pytest.approx(
        [11 / 12, 1 / 2, 1 / 6, 7 / 18]
    )
    assert s[["score_payment", "score_management"]].isna().all().all()
    expected = {
        "W": (0.3 * 1 + 0.2 * 1 + 0.1 * 0.5 + 0.05 * 1 + 0.1 * 11 / 12) / 0.75 * 100,
        "X": (0.3 * size_500 + 0.2 * profit_150 + 0.1 * 0.5 + 0.05 * 0 + 0.1 * 1 / 2) / 0.75 * 100,
        "Y": (0.3 * size_500 + 0.2 * 0 + 0.1 * 0 + 0.05 * 0.5 + 0.1 * 1 / 6) / 0.75 * 100,
        "Z": (0.3 * 0 + 0.2 * 0 + 0.1 * 1 + 0.05 * 0.5 + 0.1 * 7 / 18) / 0.75 * 100,
    }
    assert s.loc[list(expected), "composite"].tolist() == pytest.approx(list(expected.values()))
    assert np.isnan(s.loc["L", "composite"])


def test_score_customers_tiers_gates_and_reasons(metrics):
    scored = sc.score_customers(metrics, settings=KEY1).set_index("customer_id")
    assert scored["tier"].to_dict() == {
        "W": "key",
        "X": "maintain",
        "Y": "review",
        "Z": "maintain",
        "L": "inactive",
    }
    assert scored["rank"].tolist() == [1, 2, 3, 4, pd.NA]
    assert scored["eligible"].tolist() == [True, True, False, True, False]
    assert scored["exclusion"].to_dict() == {
        "W": "",
        "X": "",
        "Y": "loss-making (−10% margin)",
        "Z": "",
        "L": "",
    }
    assert scored["reason"].to_dict() == {
        "W": "top 25% of sales, 30% margin",
        "X": "rank 2 by score; top 50% of sales, 30% margin",
        "Y": "excluded: loss-making (−10% margin)",
        "Z": "rank 4 by score; bottom 25% of sales, 40% margin, new customer",
        "L": "lost: bought 300 in the previous window, nothing since",
    }


@pytest.fixture
def payments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["W", "X", "Y"],
            "invoices": [10, 5, 2],
            "paid_invoices": [10, 5, 2],
            "avg_days_late": [2.0, 62.0, 90.0],
            "late_share": [0.0, 0.8, 1.0],
            "open_amount": [0.0, 100.0, 0.0],
            "open_overdue_amount": [0.0, 100.0, 0.0],
            "credit_use": [NAN, 1.5, NAN],
        }
    )


def test_payment_gates_and_neutral_payment_score(metrics, payments):
    settings = sc.ScreeningSettings(key_accounts=1, max_credit_use=1.0, max_late_share=0.6)
    scored = sc.score_customers(metrics, settings=settings, payments=payments).set_index("customer_id")
    assert "payment" in scored.attrs["weights"]
    assert scored.loc["X", "tier"] == "review"
    assert scored.loc["X", "reason"] == (
        "excluded: pays on average 62 days late; 80% of invoices paid late; uses 150% of its credit limit"
    )
    # Y has only two invoices: too few for the payment gates, still excluded for its margin.
    assert scored.loc["Y", "exclusion"] == "loss-making (−10% margin)"
    # Payment score: mean of inverted ranks of days late and late share; Z without invoices
    # gets the mean of the others, so it is neither punished nor rewarded.
    assert scored.loc[["W", "X", "Y"], "score_payment"].tolist() == [1.0, 0.5, 0.0]
    assert scored.loc["Z", "score_payment"] == 0.5
    assert scored.loc["W", "reason"] == "top 25% of sales, 30% margin, pays on time"


def test_growth_tier_signals(metrics):
    qualitative = pd.DataFrame({"customer_id": ["X"], "qualitative_mean": [4.5]})
    market = pd.DataFrame({"customer_id": ["Z"], "wallet": [10000.0]})
    settings = sc.ScreeningSettings(key_accounts=1)
    scored = sc.score_customers(metrics, settings=settings, qualitative=qualitative, market=market)
    s = scored.set_index("customer_id")
    assert s.loc["X", "tier"] == "growth"
    assert s.loc["X", "reason"].startswith(
        "growth potential: strong workshop scores (4.5/5) — rank 2 by score"
    )
    # Z buys 100 of a 10,000 wallet: 99 % headroom, and the wallet is above the sales floor
    # (median sales of buying customers, 500).
    assert s.loc["Z", "share_of_wallet"] == 0.01 and s.loc["Z", "headroom_share"] == 0.99
    assert s.loc["Z", "tier"] == "growth"
    assert "1% share of wallet (10,000 wallet)" in s.loc["Z", "reason"]
    assert scored.attrs["sales_floor"] == 500.0
    # Only X is assessed: the others get the mean management score instead of zero.
    assert s.loc[["W", "Y", "Z"], "score_management"].tolist() == [0.5, 0.5, 0.5]


def test_growth_rule_needs_sales_above_the_floor(metrics):
    grown = metrics.assign(growth_pct=[0.25, 0.35, 1.0, NAN, -1.0])
    scored = sc.score_customers(grown, settings=KEY1).set_index("customer_id")
    assert scored.loc["X", "tier"] == "growth"
    assert "sales +35% vs previous period" in scored.loc["X", "reason"]
    small = metrics.assign(sales=[1000.0, 500, 500, 100, 0], growth_pct=[0.25, 0.0, 1.0, 0.9, -1.0])
    scored = sc.score_customers(small, settings=KEY1).set_index("customer_id")
    assert scored.loc["Z", "tier"] == "maintain"  # grew 90 % but sells below the median


def test_cost_to_serve_gives_contribution_and_a_gate(metrics):
    cost = pd.DataFrame(
        {"customer_id": ["W", "X", "X"], "period": [2025, 2025, 2024], "cost_amount": [100.0, 200.0, 10.0]}
    )
    scored = sc.score_customers(metrics, settings=KEY1, window=WINDOW, cost_to_serve=cost).set_index(
        "customer_id"
    )
    assert scored.loc["W", "contribution"] == 200.0
    assert scored.loc["X", "contribution"] == -50.0
    assert scored.loc["X", "tier"] == "review"
    assert scored.loc["X", "reason"] == "excluded: costs more to serve than it earns (contribution −50)"
    assert np.isnan(scored.loc["Z", "contribution"])


def test_cost_to_serve_from_drivers(metrics):
    cost = pd.DataFrame({"customer_id": ["W"], "period": [2025], "orders": [10.0], "visits": [2.0]})
    settings = sc.ScreeningSettings(key_accounts=1, cost_driver_rates={"orders": 5.0, "visits": 100.0})
    scored = sc.score_customers(metrics, settings=settings, window=WINDOW, cost_to_serve=cost)
    assert scored.set_index("customer_id").loc["W", "cost_to_serve"] == 250.0


def test_missing_cost_drops_margin_and_gross_profit(metrics):
    no_cost = metrics.assign(gross_profit=NAN, margin_pct=NAN)
    scored = sc.score_customers(no_cost, settings=KEY1)
    assert set(scored.attrs["dropped_criteria"]) == {"gross_profit", "margin", "payment", "management"}
    assert scored.attrs["weights"] == pytest.approx(
        {"sales": 0.3 / 0.45, "growth": 0.05 / 0.45, "purchase_history": 0.1 / 0.45}
    )
    # Without costs nobody is excluded as loss-making, and no margin appears in the reasons.
    assert (scored["tier"] != "review").all()
    assert scored.loc[0, "reason"] == "top 25% of sales"
    assert scored[["score_gross_profit", "score_margin"]].isna().all().all()


def test_ties_get_equal_scores_and_a_stable_order():
    tied = pd.DataFrame(
        {
            "customer_id": ["B", "A"],
            "status": ["active", "active"],
            "sales": [100.0, 100.0],
            "gross_profit": [20.0, 20.0],
            "margin_pct": [0.2, 0.2],
            "previous_sales": [100.0, 100.0],
            "growth_pct": [0.0, 0.0],
            "last_purchase": ns("2025-12-01", "2025-12-01"),
            "recency_days": [30.0, 30.0],
            "frequency": [2, 2],
            "variety": [1.0, 1.0],
            "trend": [0.0, 0.0],
        }
    )
    scored = sc.score_customers(tied, settings=KEY1)
    # Both at the last key place, which is also the largest: full size points; every
    # percentile rank is 0.5.
    assert scored["composite"].tolist() == pytest.approx([250 / 3, 250 / 3])
    # Equal scores and sales: the key place goes to the first id.
    assert scored["tier"].tolist() == ["maintain", "key"]
    assert scored["rank"].tolist() == [2, 1]


def test_single_customer_is_the_key_account(sales):
    one = sales[sales["customer_id"] == "A"]
    metrics = sc.customer_metrics(one, window=WINDOW)
    scored = sc.score_customers(metrics)
    # One customer: full size points, every percentile rank 0.5.
    weights = scored.attrs["weights"]
    size = weights["sales"] + weights["gross_profit"]
    assert scored.loc[0, "composite"] == pytest.approx(100 * (size + 0.5 * (1 - size)))
    assert scored.loc[0, "tier"] == "key"
    assert scored.loc[0, "reason"] == "the only buying customer, 40% margin"


def test_credit_note_only_customer_scores_without_error(sales, customers):
    metrics = sc.customer_metrics(sales, customers=customers, window=WINDOW)
    scored = sc.score_customers(metrics, settings=sc.ScreeningSettings(key_accounts=1)).set_index(
        "customer_id"
    )
    assert scored.loc["E", "tier"] == "inactive"
    assert scored.loc["E", "reason"] == "no purchases in the compared windows"
    assert scored.loc["F", "reason"] == "no purchases in the compared windows"
    assert scored.loc["C", "reason"] == "lost: bought 300 in the previous window, nothing since"
    assert scored.loc["A", "tier"] == "key"


def test_too_few_eligible_customers_warns(metrics):
    with pytest.warns(UserWarning, match="only 3 customers pass the gates for 4"):
        sc.score_customers(metrics, settings=sc.ScreeningSettings())


def test_score_customers_names_missing_columns(metrics):
    with pytest.raises(sc.ScreeningInputError, match="'frequency'"):
        sc.score_customers(metrics.drop(columns="frequency"))


# --------------------------------------------------------------------------------------------
# Overrides


@pytest.fixture
def screened(metrics) -> pd.DataFrame:
    return sc.score_customers(metrics, settings=KEY1)


def overrides(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "tier", "reason", "decided_by"])


def test_apply_overrides(screened):
    result = sc.apply_overrides(
        screened, overrides(("Z", "key", "strategic new account", "J. Smith")), max_overrides=10
    )
    z = result.set_index("customer_id").loc["Z"]
    assert (z["tier"], z["screened_tier"], z["overridden"]) == ("key", "maintain", True)
    assert z["reason"] == (
        "rank 4 by score; bottom 25% of sales, 40% margin, new customer"
        " (override by J. Smith: strategic new account)"
    )
    assert result["overridden"].sum() == 1


def test_no_overrides_changes_nothing(screened):
    result = sc.apply_overrides(screened, None, max_overrides=10)
    assert result["tier"].tolist() == screened["tier"].tolist()
    assert not result["overridden"].any()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(
            [("W", "growth", "r", "a"), ("X", "key", "r", "a"), ("Z", "key", "r", "a")],
            "3 overrides, more than the 2 allowed",
            id="too-many",
        ),
        pytest.param(
            [("Q", "key", "r", "a")], "row 2, column 'customer_id': customer not found.*'Q'", id="unknown"
        ),
        pytest.param(
            [("W", "platinum", "r", "a")], "column 'tier': must be one of key, growth.*'platinum'", id="tier"
        ),
        pytest.param(
            [("W", "Key", "r", "a")], "column 'tier': must be one of key, growth.*'Key'", id="tier-case"
        ),
        pytest.param([("W", "key", "", "a")], "column 'reason': required", id="no-reason"),
        pytest.param([("W", "key", "r", "a"), ("W", "growth", "r", "a")], "more than once.*'W'", id="twice"),
    ],
)
def test_bad_overrides(screened, rows, message):
    with pytest.raises(sc.OverrideError, match=message):
        sc.apply_overrides(screened, overrides(*rows), max_overrides=2)


@pytest.mark.parametrize(
    "rows",
    [
        [("W", "Key", "r", "a")],
        [("W", "key", "", "a")],
        [("W", "key", "r", " ")],
        [("Q", "key", "r", "a")],
        [("W", "key", "r", "a"), ("W", "growth", "r", "a")],
    ],
    ids=["tier-case", "no-reason", "no-decider", "unknown", "twice"],
)
def test_validate_and_apply_refuse_the_same_overrides(screened, rows):
    table = overrides(*rows)
    problems = sc.override_problems(table, known_customers=screened["customer_id"], max_overrides=5)
    assert problems
    with pytest.raises(sc.OverrideError) as refused:
        sc.apply_overrides(screened, table, max_overrides=5)
    assert str(refused.value) == "; ".join(str(p) for p in problems)


def test_overrides_are_checked_with_rows_and_columns():
    table = pd.DataFrame(
        {
            "customer_id": ["C1", "C9", "C2", "C2"],
            "tier": ["key", "key", "vip", "growth"],
            "reason": ["strategic", "x", "y", ""],
            "decided_by": ["A. Lee", "A. Lee", "A. Lee", "A. Lee"],
        }
    )
    problems = sc.override_problems(
        table, file="screening_overrides.csv", known_customers=["C1", "C2"], max_overrides=3
    )
    tiers = f"must be one of {', '.join(sc.TIERS)}"
    assert [(p.rows, p.column, p.message) for p in problems] == [
        ((3,), "customer_id", "customer not found in the customer master"),
        ((4,), "tier", tiers),
        ((5,), "reason", "required: every override needs a reason and who decided it"),
        ((4, 5), "customer_id", "customer overridden more than once"),
        (
            (),
            None,
            "4 overrides, more than the 3 allowed (screening.max_overrides in client.yml): a screen"
            " overridden this much is no longer a screen",
        ),
    ]
    assert str(problems[1]) == f"screening_overrides.csv, row 4, column 'tier': {tiers} (e.g. 'vip')"


# --------------------------------------------------------------------------------------------
# Movement


PREVIOUS = pd.Series({"A": "key", "B": "key", "C": "growth", "D": "maintain", "E": "key"})
CURRENT = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "D", "F"],
        "name": ["Alpha", "Beta", "Gamma", "Delta", "Phi"],
        "tier": ["key", "review", "key", "maintain", "growth"],
    }
)


def test_tier_transitions():
    table = sc.tier_transitions(PREVIOUS, CURRENT)
    assert list(table.index) == ["key", "growth", "at_risk", "maintain", "review", "inactive", "new"]
    assert list(table.columns) == ["key", "growth", "at_risk", "maintain", "review", "inactive", "lost"]
    assert table.to_numpy().sum() == 6
    assert table.loc["key", "key"] == 1
    assert table.loc["key", "review"] == 1
    assert table.loc["key", "lost"] == 1
    assert table.loc["growth", "key"] == 1
    assert table.loc["maintain", "maintain"] == 1
    assert table.loc["new", "growth"] == 1


def test_key_account_retention():
    assert sc.key_account_retention(PREVIOUS, CURRENT) == pytest.approx(1 / 3)
    with pytest.warns(UserWarning, match="retention undefined"):
        assert np.isnan(sc.key_account_retention(pd.Series({"A": "growth"}), CURRENT))


def test_movers():
    expected = pd.DataFrame(
        {
            "customer_id": ["C", "B", "E"],
            "name": ["Gamma", "Beta", "E"],
            "movement": ["riser", "faller", "faller"],
            "previous_tier": ["growth", "key", "key"],
            "current_tier": ["key", "review", "lost"],
        }
    )
    pd.testing.assert_frame_equal(sc.movers(PREVIOUS, CURRENT), expected)


def test_migration_warning():
    settings = sc.ScreeningSettings()
    text = sc.migration_warning(PREVIOUS, CURRENT, settings=settings)
    assert text.startswith("The key list changed a lot: 2 of 3 previous key accounts (67%) left it")
    same = sc.migration_warning(PREVIOUS, PREVIOUS, settings=settings)
    assert same is None


# --------------------------------------------------------------------------------------------
# Robustness and capacity


def test_weight_sensitivity_labels():
    screened = pd.DataFrame(
        {
            "customer_id": ["S", "P", "Q", "R"],
            "name": ["Steady", "Pick", "Queue", "Rest"],
            "status": ["active"] * 4,
            "sales": [400.0, 300, 200, 100],
            "eligible": [True, True, True, True],
            "composite": [100.0, 50, 50, 0],
            "score_sales": [1.0, 1.0, 0.0, 0.0],
            "score_margin": [1.0, 0.0, 1.0, 0.0],
            "tier": ["key", "key", "maintain", "maintain"],
        }
    )
    weights = {c: 0.0 for c in sc.CRITERIA} | {"sales": 0.5, "margin": 0.5}
    settings = sc.ScreeningSettings(weights=weights, key_accounts=2)
    result = sc.weight_sensitivity(screened, settings=settings, step=0.2)
    # Five variants: base, sales x0.8, sales x1.2, margin x0.8, margin x1.2. P and Q tie in
    # the base (P wins on sales); P is key when sales weigh more, Q when margin does.
    expected = pd.DataFrame(
        {
            "customer_id": ["S", "P", "Q"],
            "name": ["Steady", "Pick", "Queue"],
            "composite": [100.0, 50, 50],
            "key": [True, True, False],
            "variants_key": np.array([5, 3, 2], dtype="int64"),
            "variants": np.array([5, 5, 5], dtype="int64"),
            "share_key": [1.0, 0.6, 0.4],
            "label": ["stable key", "key, depends on weights", "near the list"],
        }
    )
    pd.testing.assert_frame_equal(result, expected)


def test_weight_sensitivity_on_a_screening(metrics):
    scored = sc.score_customers(metrics, settings=KEY1)
    result = sc.weight_sensitivity(scored, settings=KEY1)
    assert result["customer_id"].tolist() == ["W"]
    assert result.loc[0, "label"] == "stable key"
    assert result.loc[0, "variants"] == 11  # base + 2 x 5 criteria used


def test_team_capacity_and_warning():
    team = pd.DataFrame(
        {
            "member": ["Ann", "Bob", "Cy", "Ann"],
            "role": ["Account Manager", "key  account manager ", "inside sales", "account manager"],
        }
    )
    assert sc.team_capacity(team) == 18
    assert sc.team_capacity(team, manager_load=5) == 10
    assert sc.capacity_warning(18, 18) is None
    assert sc.capacity_warning(20, None) is None
    assert sc.capacity_warning(20, 18).startswith("20 key accounts but the team can serve about 18")


# --------------------------------------------------------------------------------------------
# One period end to end, and the previous one on the same months


def test_screen_period_twice(sales, customers, receivables):
    tables = {"sales": sales, "customers": customers, "receivables": receivables, "assessments": None}
    # B's thin 5% margin would fail the price-pressed gate (tested on its own below).
    settings = sc.ScreeningSettings(
        key_accounts=1, max_late_share=0.6, weights=WEIGHTS, min_margin_vs_peers=None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        now = sc.screen_period(tables, period=2025, start_month=1, settings=settings)
        before = sc.screen_period(tables, window=now.window.shifted(1), start_month=1, settings=settings)
    assert now.window == WINDOW
    assert before.window.current == 2024 and before.window.current_end == T("2024-12-31")
    # A sells most but paid 2 of its 3 invoices late (limit 60 %): excluded, so B is key.
    scored = now.scored.set_index("customer_id")
    assert scored.loc["A", "reason"] == "excluded: 67% of invoices paid late"
    assert now.key_accounts["customer_id"].tolist() == ["B"]
    assert "management" in now.dropped and "payment" in now.weights
    assert before.scored.set_index("customer_id").loc["C", "status"] == "new"
    # In 2024 A paid nothing late yet (as of the end of 2024 none of its invoices existed).
    assert before.key_accounts["customer_id"].tolist() == ["A"]
    transitions = sc.tier_transitions(before.scored, now.scored)
    assert transitions.loc["key", "review"] == 1
    assert transitions.loc["maintain", "key"] == 1
    with pytest.raises(ValueError, match="exactly one of period and window"):
        sc.screen_period(tables, start_month=1)


# --------------------------------------------------------------------------------------------
# No function changes its inputs


def test_inputs_are_not_mutated(sales, customers, receivables, metrics, payments):
    market = pd.DataFrame({"customer_id": ["Z", "Z"], "wallet": [10000.0, 20000.0]})
    cost = pd.DataFrame({"customer_id": ["W"], "period": [2025], "cost_amount": [100.0]})
    qualitative = pd.DataFrame({"customer_id": ["X"], "qualitative_mean": [4.5]})
    inputs = {
        "sales": sales,
        "customers": customers,
        "receivables": receivables,
        "metrics": metrics,
        "payments": payments,
        "market": market,
        "cost": cost,
        "qualitative": qualitative,
    }
    originals = {name: frame.copy(deep=True) for name, frame in inputs.items()}
    sc.customer_metrics(sales, customers=customers, window=WINDOW)
    sc.payment_behaviour(receivables, as_of=T("2025-12-31"), customers=customers)
    scored = sc.score_customers(
        metrics,
        settings=KEY1,
        window=WINDOW,
        payments=payments,
        qualitative=qualitative,
        market=market,
        cost_to_serve=cost,
    )
    inputs["scored"], originals["scored"] = scored, scored.copy(deep=True)
    sc.apply_overrides(scored, overrides(("Z", "key", "r", "a")), max_overrides=1)
    sc.weight_sensitivity(scored, settings=KEY1)
    sc.tier_transitions(scored, scored)
    sc.movers(scored, scored)
    for name, frame in inputs.items():
        pd.testing.assert_frame_equal(frame, originals[name], obj=name)


# --------------------------------------------------------------------------------------------
# The whole stage for the report


@pytest.fixture
def result(sales, customers, receivables) -> sc.ScreeningResult:
    tables = {
        "sales": sales,
        "customers": customers,
        "receivables": receivables,
        "team": pd.DataFrame({"member": ["Ann"], "role": ["account manager"]}),
    }
    settings = sc.ScreeningSettings(
        key_accounts=1, manager_load=1, max_late_share=0.6, weights=WEIGHTS, min_margin_vs_peers=None
    )
    return sc.screen_client(
        tables,
        start_month=1,
        period=2025,
        settings=settings,
        overrides=overrides(("D", "key", "strategic", "J. Smith")),
    )


def test_screen_client_tiers_and_movement(result):
    tiers = result.current.scored.set_index("customer_id")[["screened_tier", "tier"]]
    assert tiers.loc[["A", "B", "D"]].to_numpy().tolist() == [
        ["review", "review"],
        ["key", "key"],
        ["maintain", "key"],
    ]
    assert result.previous.window.current == 2024
    assert result.transitions.loc["key", "review"] == 1  # A: key last year, pays late now
    assert result.transitions.loc["inactive", "key"] == 1  # D: new this year, key by override
    assert result.capacity == 1
    # The robustness table tests the list shown: B is key under every weight variant, D only by
    # the override (no variant makes it key), and both are in the table.
    assert result.sensitivity[["customer_id", "label"]].to_numpy().tolist() == [
        ["B", "stable key"],
        ["D", "key by override"],
    ]


def test_screen_client_sentences(result):
    # Sales 2,300 against 2,000 (A 1,500, B 800; C lost 300; D new 200).
    assert result.summary(currency="EUR") == (
        "Sales €2.5k in 2025, €650 (36.1%) more than in 2024; 2 key accounts make 40% (€1k),"
        " 0 growth accounts."
    )
    summary = sc.executive_summary(result, currency="EUR")
    assert summary[0] == (
        "Sales were €2.5k in 2025, €650 (36.1%) more than in 2024; gross profit €700 (29% of sales),"
        " €100 (16.7%) more than in 2024."
    )
    # A's +500 is 77% of the growth; the three risers together more than offset C's loss.
    assert summary[1] == "Alpha bought €500 more: 77% of this year's growth."
    assert summary[2] == "1 customer who bought €300 in 2024 bought nothing in 2025."
    assert summary[3] == "Of this year's sales, €1k with 2 key accounts; €1.5k with 1 to review."
    titles = [f.title for f in sc.findings(result, currency="EUR")]
    assert titles == [
        "2 key accounts make 40% of your sales and 17% of gross profit",
        "1 customer fails a rule: €1.5k of sales to review",
        "2 customers make 80% of your sales",  # fewer than three findings: concentration added
    ]
    assert result.concentration_sentence() == (
        "2 of your 3 customers with sales (67%) make 80% of your sales, against 20% by the 80/20 rule of"
        " thumb (Gini coefficient 0.35)."
    )
    assert result.method_notes() == [
        "0% of last period's key accounts are key again; 2 customers entered the key list.",
        "Some criteria were left out because the data cannot support them (management: no workshop scores).",
        "1 tier was changed by the consultant's overrides (listed at the end).",
    ]
    assert result.capacity_notes() == [
        "2 key accounts but the team can serve about 1: add account managers, lower the number of key"
        " accounts, or serve some of them with a lighter plan."
    ]
    assert result.movement_notes()[0] == "0% of the key accounts of 2024 are key accounts again in 2025."
    assert result.movement_notes()[1].startswith("The key list changed a lot: 1 of 1 previous key accounts")


def test_screen_client_tables(result):
    expected_abc = pd.DataFrame(
        {
            "method": ["fixed 80/15/5 cut"] * 3 + ["computed cut"] * 3,
            "class": ["A", "B", "C"] * 2,
            "customers": np.array([2, 1, 0, 1, 1, 1], dtype="int64"),
            "share of customers": [2 / 3, 1 / 3, 0, 1 / 3, 1 / 3, 1 / 3],
            "sales": [2300.0, 200, 0, 1500, 800, 200],
            "share of sales": [0.92, 0.08, 0, 0.6, 0.32, 0.08],
        }
    )
    pd.testing.assert_frame_equal(result.abc_summary, expected_abc)
    key = result.key_account_table()
    assert key["customer"].tolist() == ["B", "D"]
    assert key[["sales", "share of sales", "margin"]].to_numpy().tolist() == [
        [800.0, 0.32, 0.05],
        [200.0, 0.08, 0.4],
    ]
    movers = result.movers_table()
    assert movers[["customer", "movement", "previous tier", "current tier"]].to_numpy().tolist() == [
        ["B", "riser", "maintain", "key"],
        ["D", "riser", "inactive", "key"],
        ["A", "faller", "key", "review"],
    ]
    assert movers["previous sales"].tolist() == [500.0, 0.0, 1000.0]
    weights = result.weights_table().set_index("criterion")
    assert weights.loc["sales", "weight used"] == pytest.approx(0.3 / 0.9)
    assert weights.loc["management", "note"] == "left out: no workshop scores"
    rules = result.settings_table().set_index("rule")["value"]
    assert rules["Number of key accounts"] == "1"
    assert rules["Largest use of the credit limit"] == "no rule"
    assert rules["Most days paid late on average"] == "30 days"
    output = result.key_accounts_output()
    assert output[["customer_id", "tier", "overridden"]].to_numpy().tolist() == [
        ["B", "key", False],
        ["D", "key", True],
    ]
    assert io.stage_output_problems(output, contract.KEY_ACCOUNTS) == []
    tiers = result.customer_tiers_output()
    assert io.stage_output_problems(tiers, contract.CUSTOMER_TIERS) == []
    assert len(tiers) == len(result.current.scored)


def test_screen_client_tables_fit_the_report_formatter(result):
    """The report formats these tables with these column lists (notebooks/01_screening.py)."""
    from kamtools.tables import format_table

    abc = {"money": ["sales"], "percent": ["share of customers", "share of sales"], "integer": ["customers"]}
    key = {
        "money": ["sales", "gross profit"],
        "percent": ["share of sales", "margin", "growth"],
        "decimals": {"score": 0, "days late": 0},
    }
    sensitivity = {
        "integer": ["variants key", "variants"],
        "percent": ["share key"],
        "decimals": {"score": 0},
    }
    calls = [
        (result.abc_summary, abc),
        (result.key_account_table(), key),
        (result.growth_account_table(), {"money": ["sales"], "percent": ["growth", "headroom"]}),
        (result.movers_table(), {"money": ["sales", "previous sales"], "percent": ["growth"]}),
        (result.sensitivity_table(), sensitivity),
        (result.weights_table(), {"percent": ["weight set", "weight used"]}),
        (result.settings_table(), {}),
        (result.overrides, {}),
    ]
    for table, options in calls:
        assert "<table" in format_table(table, currency="EUR", **options).to_html()


def test_screen_client_without_previous_data(sales, customers):
    this_year = sales[sales["invoice_date"] >= T("2025-01-01")]
    with pytest.warns(UserWarning, match="previous sales are incomplete"):
        result = sc.screen_client(
            {"sales": this_year, "customers": customers}, start_month=1, period=2025, settings=KEY1
        )
    assert result.previous is None and result.transitions is None
    assert result.movers_table().empty
    assert list(result.movers_table().columns) == [
        "customer", "name", "movement", "previous tier", "current tier", "previous sales", "sales", "growth",
    ]  # fmt: skip
    assert result.movement_notes() == [
        "The data do not cover the previous period, so movement between years is not shown."
    ]
    assert result.capacity is None
    assert result.capacity_notes() == [
        "Without a team table the team's capacity to serve the key accounts was not checked."
    ]
    assert result.overrides.empty


def test_size_points_are_full_from_the_last_key_place_and_zero_below_the_floor():
    sales = pd.Series([6_000_000.0, 600_000.0, 300_000.0, 150_000.0, 75_000.0, 0.0, -50.0, np.nan])
    # Two key places: the 2nd largest (600,000) scores 0.75, the largest 1, the 4th (150,000,
    # 2 x 2) and smaller 0; each doubling is worth the same within a segment: 300,000 is
    # halfway between 150,000 and 600,000.
    scores = sc.size_points(sales, reference_rank=2, floor_multiple=2)
    assert scores.tolist()[:7] == pytest.approx([1.0, 0.75, 0.375, 0.0, 0.0, 0.0, 0.0])
    assert np.isnan(scores.iloc[7])
    # A single customer is its own reference.
    assert sc.size_points(pd.Series([5.0]), reference_rank=1).tolist() == [1.0]


def test_peer_margin_compares_customers_of_similar_size():
    sales = pd.Series([900.0, 800, 700, 30, 20, 10], index=list("ABCDEF"))
    margin = pd.Series([0.20, 0.18, 0.22, 0.40, 0.45, 0.50], index=list("ABCDEF"))
    peers = sc.peer_margin(sales, margin, peers=3)
    # Each customer's peers are the three closest in sales rank (itself in the middle, or the
    # three at the end of the ranking): A and B: A-C (20%); C: B-D (22%); D: C-E (40%); E, F: D-F.
    assert peers.tolist() == pytest.approx([0.20, 0.20, 0.22, 0.40, 0.45, 0.45])


def _population(**overrides: list) -> pd.DataFrame:
    """Customer metrics of a small dealer: one big customer, 29 small ones with list-price margins."""
    n = 30
    sales = [600_000.0] + [20_000.0 - 500 * i for i in range(n - 1)]
    columns = {
        "customer_id": [f"C{i:02d}" for i in range(n)],
        "name": [f"Customer {i}" for i in range(n)],
        "status": ["active"] * n,
        "sales": sales,
        "margin_pct": [0.20] + [0.30 + 0.005 * (i % 7) for i in range(n - 1)],
        "previous_sales": list(sales),
        "growth_pct": [0.0] * n,
        "last_purchase": ns(*["2025-12-01"] * n),
        "recency_days": [30.0] * n,
        "frequency": [12] * n,
        "variety": [3.0] * n,
        "trend": [0.0] * n,
    }
    columns.update(overrides)
    frame = pd.DataFrame(columns)
    return frame.assign(gross_profit=frame["sales"] * frame["margin_pct"])


def test_a_big_customer_with_a_normal_margin_among_small_high_margin_ones_is_key():
    metrics = _population()
    # Its 20% margin is the lowest of all customers: a raw percentile would score it 0.
    scored = sc.score_customers(metrics, settings=sc.ScreeningSettings(key_accounts=3, margin_peers=5))
    big = scored.set_index("customer_id").loc["C00"]
    assert big["tier"] == "key" and big["rank"] == 1
    assert big["sales_rank"] == 1
    # Judged against the five customers closest in size (itself and the next four), not all 30.
    assert big["peer_margin"] == pytest.approx(metrics["margin_pct"].iloc[:5].median())


def test_a_price_pressed_big_customer_fails_the_peer_margin_gate():
    metrics = _population(margin_pct=[0.06] + [0.30] * 29)
    scored = sc.score_customers(metrics, settings=sc.ScreeningSettings(key_accounts=3, margin_peers=5))
    big = scored.set_index("customer_id").loc["C00"]
    assert big["tier"] == "review" and big["failed_gates"] == "price_pressed"
    assert big["reason"] == "excluded: price-pressed (6% margin where customers of its size earn 30%)"
    off = sc.score_customers(metrics, settings=sc.ScreeningSettings(key_accounts=3, min_margin_vs_peers=None))
    assert off.set_index("customer_id").loc["C00", "tier"] == "key"


def test_growth_counts_only_on_a_meaningful_base_and_never_for_falling_sales():
    n = 30
    growth = [0.0] * n
    previous = [600_000.0] + [20_000.0 - 500 * i for i in range(n - 1)]
    sales = list(previous)
    # C10 grows 50% from a solid base; C28 grows from 100 to 6,000 (+5,900%, tiny base);
    # C05 has 90% of its wallet elsewhere but its sales fell 10%.
    sales[10], growth[10] = previous[10] * 1.5, 0.5
    previous[28], sales[28], growth[28] = 100.0, 6_000.0, 59.0
    sales[5], growth[5] = previous[5] * 0.9, -0.1
    metrics = _population(sales=sales, previous_sales=previous, growth_pct=growth)
    market = pd.DataFrame({"customer_id": ["C05"], "wallet": [200_000.0]})
    settings = sc.ScreeningSettings(key_accounts=1)
    scored = sc.score_customers(metrics, settings=settings, market=market).set_index("customer_id")
    assert scored.loc["C10", "tier"] == "growth"
    assert scored.loc["C10", "growth_signals"] == "growth"
    assert scored.loc["C28", "tier"] == "maintain" and scored.loc["C28", "growth_signals"] == ""
    assert scored.loc["C05", "tier"] == "maintain" and scored.loc["C05", "growth_signals"] == ""
    # Growth scores only count on a base at least the median: C28 gets the neutral mean.
    base = scored.loc[[c for c in scored.index if c != "C28"], "score_growth"]
    assert scored.loc["C28", "score_growth"] == pytest.approx(base.mean())
    assert not (scored.loc[scored["tier"] == "growth", "growth_pct"] < 0).any()


def _two_periods() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six customers scored this period, and last period's tiers."""
    scored = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E", "F", "G"],
            "name": list("ABCDEFG"),
            "status": ["active"] * 6 + ["lost"],
            "sales": [900.0, 800, 700, 600, 500, 400, 0],
            "previous_sales": [900.0, 800, 700, 600, 500, 1000, 700],
            "eligible": [True, True, True, True, False, True, False],
            "composite": [90.0, 80, 70, 60, 95, 85, np.nan],
            "tier": ["key", "key", "growth", "growth", "review", "maintain", "inactive"],
            "rank": pd.array([2, 4, 5, 6, 1, 3, pd.NA], dtype="Int64"),
            "reason": ["r"] * 7,
            "growth_signals": ["", "growth", "growth", "headroom", "", "", ""],
        }
    )
    scored.attrs = {"key_accounts": 2}
    previous = pd.DataFrame(
        {"customer_id": ["C", "D", "E", "F", "G"], "tier": ["key", "key", "key", "key", "key"]}
    )
    return scored, previous


def test_last_periods_key_accounts_are_kept_within_the_band():
    scored, previous = _two_periods()
    before = scored.copy()
    # F fell 60%: at risk, not defended. Two key places plus 50% reach the third eligible
    # customer (C), not D; E was key but fails a gate now. C displaces the newcomer B.
    settings = sc.ScreeningSettings(key_retention_band=0.5, growth_accounts=5)
    final = sc.final_tiers(scored, previous, settings=settings)
    pd.testing.assert_frame_equal(scored, before)
    assert final["tier"].tolist() == ["key", "growth", "key", "growth", "review", "at_risk", "inactive"]
    assert final["retained"].tolist() == [False, False, True, False, False, False, False]
    assert final.loc[2, "reason"].startswith("key last period and still within 50% of the key list (rank 5)")
    assert final.loc[1, "reason"].startswith("ranked among the key accounts but gives way")


def test_a_shrinking_former_key_account_is_at_risk_with_the_sales_lost():
    scored, previous = _two_periods()
    final = sc.final_tiers(scored, previous, settings=sc.ScreeningSettings(key_retention_band=0))
    f = final.set_index("customer_id").loc["F"]
    # F ranks 2nd among the eligible (85) but fell from 1,000 to 400: never key, never growth.
    assert (f["tier"], f["at_risk"], f["sales_lost"]) == ("at_risk", True, 600.0)
    assert f["reason"] == "key account last period, sales down 60%: retention call before any growth plan"
    assert final.set_index("customer_id").loc[["A", "B"], "tier"].tolist() == ["key", "key"]
    # G stopped buying: at risk (lost), still "inactive" as it bought nothing.
    g = final.set_index("customer_id").loc["G"]
    assert (g["tier"], g["at_risk"], g["sales_lost"]) == ("inactive", True, 700.0)


def test_the_growth_list_is_ranked_and_capped():
    scored, _previous = _two_periods()
    final = sc.final_tiers(scored, None, settings=sc.ScreeningSettings(growth_accounts=1))
    # Without last period A and F are key; B, C and D have growth signals, one place: B (the
    # highest score) is listed, C and D are counted but stay "maintain".
    assert final["tier"].tolist() == ["key", "growth", "maintain", "maintain", "review", "key", "inactive"]
    assert final["growth_signal"].tolist() == [False, True, True, True, False, False, False]
    assert final["tier_rank"].tolist() == [1, 1, pd.NA, pd.NA, pd.NA, 2, pd.NA]
    assert final.loc[3, "reason"].startswith("growth signal, but the growth list is full (1 place)")
    assert final.attrs["growth_places"] == 1


@pytest.mark.parametrize(
    ("setting", "capacity", "expected"),
    [(None, 45, 10), (None, 30, 9), (None, None, 9), (4, 45, 4)],
)
def test_growth_places_are_sized_to_the_team(setting, capacity, expected):
    settings = sc.ScreeningSettings(growth_accounts=setting)
    assert sc.growth_places(35, settings=settings, capacity=capacity) == expected


def test_without_costs_no_sentence_mentions_gross_profit(sales, customers, receivables):
    no_cost = sales.drop(columns=["cost"])
    tables = {"sales": no_cost, "customers": customers, "receivables": receivables}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = sc.screen_client(tables, start_month=1, period=2025, settings=KEY1)
    sentences = [*sc.executive_summary(result, currency="EUR"), result.summary(currency="EUR")]
    sentences += [f"{f.title} {f.text} {f.next_step}" for f in sc.findings(result, currency="EUR")]
    assert sentences and not any("gross profit" in s or "margin" in s for s in sentences)
    assert "gross profit" not in sc.tier_money_table(result).columns
    assert sc.summary.cost_note(result).startswith("Costs were not provided, so gross profit and margins")


def test_output_contract_tiers_are_the_screening_tiers():
    assert contract.CUSTOMER_TIERS.column("tier").choices == sc.TIERS
    assert set(contract.KEY_ACCOUNTS.column("tier").choices) == {"key", "growth"}


def test_review_is_split_by_cause_and_sized_in_money():
    scored = pd.DataFrame(
        {
            "customer_id": ["L", "P", "T", "S", "K"],
            "name": ["Loss", "Pressed", "Tardy", "Small", "Keyed"],
            "status": ["active"] * 5,
            "tier": ["review", "review", "review", "review", "key"],
            "failed_gates": ["margin", "price_pressed", "days_late;contribution", "contribution", ""],
            "sales": [940.0, 400_000.0, 292_000.0, 2_000.0, 900_000.0],
            "gross_profit": [-60.0, 20_000.0, 60_000.0, 400.0, 200_000.0],
            "margin_pct": [-60 / 940, 0.05, 60 / 292, 0.2, 2 / 9],
            "peer_margin": [0.3, 0.2, 0.2, 0.3, 0.2],
            "open_overdue_amount": [0.0, 0.0, 45_000.0, 0.0, 0.0],
            "contribution": [-160.0, 15_000.0, -1_000.0, -300.0, 190_000.0],
        }
    )
    result = sc.ScreeningResult(
        current=sc.PeriodScreening(
            window=WINDOW,
            metrics=scored,
            payments=scored.iloc[0:0],
            qualitative=scored.iloc[0:0],
            scored=scored,
            weights={},
            dropped={},
        ),
        previous=None,
        settings=sc.ScreeningSettings(),
        overrides=pd.DataFrame(),
        transitions=None,
        sensitivity=pd.DataFrame(),
        capacity=None,
    )
    causes = sc.review_by_cause(result).set_index("cause")
    # Each customer is counted once, under its first cause: T pays late and costs more to serve.
    assert causes["customers"].to_dict() == {
        "loss-making": 1,
        "price-pressed": 1,
        "late payers": 1,
        "cost to serve": 1,
    }
    assert causes.loc["loss-making", "at stake"] == 60.0  # the loss
    assert causes.loc["price-pressed", "at stake"] == pytest.approx(0.15 * 400_000)  # at the peers' margin
    assert causes.loc["late payers", ["sales", "at stake"]].tolist() == [292_000.0, 45_000.0]  # overdue
    assert causes.loc["cost to serve", "at stake"] == 300.0  # contribution shortfall
    assert causes["customers"].sum() == (scored["tier"] == "review").sum()
