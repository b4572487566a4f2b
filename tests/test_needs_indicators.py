"""Needs scorecard on tiny literal frames, every expected value worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.stages.needs import indicators as ind
from kamtools.stages.needs.settings import NeedsSettings

NAN = np.nan
SETTINGS = NeedsSettings(indicators={"network": "strength", "people": "capability"})
ACCOUNTS = pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"]})
# A is scored by two assessors who disagree; Ann corrects her score later. B has one score.
# C has no assessment at all.
ASSESSMENTS = pd.DataFrame(
    {
        "customer_id": ["A", "A", "B", "A"],
        "indicator": ["network", "network", "network", "network"],
        "score": [4, 2, 3, 5],
        "assessor": ["Ann", "Bob", "Ann", "Ann"],
        "date": pd.to_datetime(["2025-10-01", "2025-10-02", "2025-10-01", "2025-11-01"]),
        "note": ["", "Few contacts", None, "Joined a purchasing group"],
    }
)
HARD = pd.DataFrame(
    {
        "customer_id": ["A", "B"],
        "sales": [100.0, 300.0],
        "margin": [0.2, 0.1],
        "cost_to_serve_share": [0.1, 0.05],
        "contribution_margin": [0.1, 0.05],
    }
)


def test_latest_score_per_assessor_keeps_only_each_assessors_last_entry():
    latest = ind.latest_scores(ASSESSMENTS)
    assert latest[["customer_id", "indicator", "assessor", "score", "note"]].values.tolist() == [
        ["A", "network", "Ann", 5.0, "Joined a purchasing group"],
        ["A", "network", "Bob", 2.0, "Few contacts"],
        ["B", "network", "Ann", 3.0, ""],
    ]
    assert set(latest["source"]) == {"workshop"}


def test_entries_of_the_same_moment_keep_file_order_and_saved_at_beats_date():
    frame = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A"],
            "indicator": ["people"] * 3,
            "score": [2, 4, 3],
            "assessor": ["", "", "Ann"],
            "date": pd.to_datetime(["2025-10-01", "2025-10-01", "2025-12-01"]),
            "saved_at": [None, None, "2025-09-01T10:00:00Z"],
        }
    )
    latest = ind.latest_scores(frame)
    # The unnamed assessor's second row of the same day wins; Ann's saved_at counts, not her date.
    assert latest[["assessor", "score"]].values.tolist() == [["Ann", 3.0], ["workshop", 4.0]]
    assert ind.latest_scores(None).empty


def test_scorecard_with_conflicting_assessors_and_an_account_without_assessments():
    card = ind.scorecard(ACCOUNTS, ind.latest_scores(ASSESSMENTS), hard=HARD, settings=SETTINGS)
    assert list(card.columns) == ind.SCORECARD_COLUMNS
    assert len(card) == 3 * (2 + 4)
    network = card[card["indicator"] == "network"].set_index("customer_id")
    # A: latest Ann 5, Bob 2 -> mean 3.5, spread 3; B: 3; C: nobody.
    assert network["score"].tolist()[:2] == [3.5, 3.0] and np.isnan(network.loc["C", "score"])
    assert network["assessors"].tolist() == ["Ann; Bob", "Ann", ""]
    assert network.loc["A", "spread"] == 3.0 and network.loc["B", "spread"] == 0.0
    assert network["disagree"].tolist() == [True, False, False]
    # Average over the scored accounts (3.5, 3.0); best quartile 3.0 + 0.75 * 0.5 = 3.375.
    assert network["portfolio_average"].unique().tolist() == [3.25]
    assert network["best_quartile"].unique().tolist() == [3.375]
    assert network.loc["A", "gap"] == 0.0 and network.loc["B", "gap"] == pytest.approx(0.375)
    assert np.isnan(network.loc["C", "gap"])
    assert network.loc["A", "notes"] == "Ann: Joined a purchasing group; Bob: Few contacts"
    people = card[card["indicator"] == "people"]
    assert people["score"].isna().all() and (people["family"] == "capability").all()


def test_hard_indicators_keep_their_unit_and_lower_is_better_for_cost_to_serve():
    card = ind.scorecard(ACCOUNTS, ind.latest_scores(ASSESSMENTS), hard=HARD, settings=SETTINGS)
    hard = card[card["family"] == "hard"].set_index(["indicator", "customer_id"])
    assert hard.loc[("sales", "A"), "unit"] == "money"
    # Sales: best quartile 100 + 0.75 * 200 = 250, A is 150 short of it.
    assert hard.loc[("sales", "A"), "best_quartile"] == 250.0
    assert hard.loc[("sales", "A"), "gap"] == 150.0 and hard.loc[("sales", "B"), "gap"] == 0.0
    # Cost to serve: the best quartile is the low one, 0.05 + 0.25 * 0.05 = 0.0625.
    cts = hard.loc["cost_to_serve_share"]
    assert cts.loc["A", "best_quartile"] == pytest.approx(0.0625)
    assert cts.loc["A", "gap"] == pytest.approx(0.0375) and cts.loc["B", "gap"] == 0.0
    assert np.isnan(hard.loc[("margin", "C"), "score"])


def test_scorecard_does_not_change_its_inputs():
    accounts, scores, hard = ACCOUNTS.copy(), ind.latest_scores(ASSESSMENTS), HARD.copy()
    scores_before = scores.copy()
    ind.scorecard(accounts, scores, hard=hard, settings=SETTINGS)
    pd.testing.assert_frame_equal(accounts, ACCOUNTS)
    pd.testing.assert_frame_equal(scores, scores_before)
    pd.testing.assert_frame_equal(hard, HARD)


def test_missing_assessments_lists_every_account_with_what_is_missing():
    missing = ind.missing_assessments(ACCOUNTS, ind.latest_scores(ASSESSMENTS), settings=SETTINGS)
    assert missing.values.tolist() == [
        ["A", "Alpha", 1, "people", 1],
        ["B", "Beta", 1, "people", 1],
        ["C", "Gamma", 2, "network, people", 0],
    ]


def test_data_scores_count_as_one_more_assessor_but_not_as_a_workshop_score():
    payments = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "paid_invoices": [10, 10, 10, 10, 2],
            "avg_days_late": [0.0, 5.0, 20.0, 45.0, 0.0],
            "credit_use": [1.2, 0.5, NAN, 0.1, 0.0],
        }
    )
    settings = NeedsSettings()
    paid = ind.payment_scores(payments, settings=settings)
    # Bands 2/7/15/30 days: 0 -> 5 but over the credit limit -> 4; 5 -> 4; 20 -> 2; 45 -> 1;
    # E has too few paid invoices to judge.
    assert paid[["customer_id", "score"]].values.tolist() == [["A", 4.0], ["B", 4.0], ["C", 2.0], ["D", 1.0]]
    assert paid.loc[0, "note"] == "pays on time on average, over the credit limit"
    assert paid.loc[1, "note"] == "pays 5 days late on average"
    scores = pd.concat([ind.latest_scores(ASSESSMENTS.assign(indicator="financial_strength")), paid])
    card = ind.scorecard(ACCOUNTS, scores, settings=settings)
    fin = card[card["indicator"] == "financial_strength"].set_index("customer_id")
    # A: Ann 5, Bob 2, payment record 4 -> 11 / 3; C: the payment record alone.
    assert fin.loc["A", "score"] == pytest.approx(11 / 3)
    assert fin.loc["A", "assessors"] == "Ann; Bob; payment record"
    assert fin.loc["C", "score"] == 2.0
    missing = ind.missing_assessments(ACCOUNTS, scores, settings=settings).set_index("customer_id")
    assert "financial_strength" in missing.loc["C", "indicators"]


def test_order_pattern_and_logistics_scores():
    sales = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "B"],
            "invoice_date": pd.to_datetime(
                ["2025-01-06", "2025-01-06", "2025-01-09", "2025-01-07", "2025-01-08"]
            ),
            "net_sales": [100.0, 50.0, 80.0, 40.0, -40.0],
            "invoice_id": ["I1", "I1", "I2", "I3", "I4"],
        }
    )
    # Two weeks: A places 2 orders (1 a week), B one (its credit note is not an order).
    pattern = ind.order_pattern(sales, start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2025-01-14"))
    assert pattern[["customer_id", "orders", "orders_per_week"]].values.tolist() == [
        ["A", 2.0, 1.0],
        ["B", 1.0, 0.5],
    ]
    frame = pd.DataFrame(
        {
            "customer_id": ["W", "X", "Y", "Z"],
            "orders_per_week": [0.5, 2.5, 6.0, 0.8],
            "deliveries_per_order": [1.0, NAN, 1.0, 1.5],
        }
    )
    logistics = ind.logistics_scores(frame, settings=NeedsSettings())
    # Bands 1/2/3/5 orders a week; Z's split deliveries (1.5 per order) cost a point.
    assert logistics["score"].tolist() == [5.0, 3.0, 1.0, 4.0]
    assert logistics.loc[3, "note"] == "0.8 orders a week, 1.5 deliveries per order"


def test_cost_to_serve_orders_replace_invoice_counts():
    sales = pd.DataFrame(
        {"customer_id": ["A"], "invoice_date": pd.to_datetime(["2025-01-06"]), "net_sales": [10.0]}
    )
    cts = pd.DataFrame(
        {"customer_id": ["A", "A"], "period": [2025, 2024], "orders": [14.0, 3.0], "deliveries": [21.0, 3.0]}
    )
    pattern = ind.order_pattern(
        sales,
        start=pd.Timestamp("2025-01-01"),
        end=pd.Timestamp("2025-01-14"),
        cost_to_serve=cts,
        period=2025,
    )
    assert pattern.values.tolist() == [["A", 14.0, 7.0, 1.5]]


def test_a_missing_column_is_named():
    with pytest.raises(ind.NeedsInputError, match="'indicator'"):
        ind.latest_scores(pd.DataFrame({"customer_id": ["A"], "score": [3]}))
