"""Revenue bridges, price/volume/mix split, churn and cohort retention on literal invoice lines."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.analytics.bridges import bridge_steps, gain_loss, price_volume_mix
from kamtools.analytics.cohorts import churn_by_period, cohort_retention
from kamtools.analytics.correlation import spearman

PREVIOUS = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
CURRENT = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))


def lines(rows):
    return pd.DataFrame(
        rows, columns=["invoice_date", "customer_id", "product", "category", "quantity", "net_sales"]
    ).assign(invoice_date=lambda f: pd.to_datetime(f["invoice_date"]))


@pytest.fixture
def sales():
    return lines(
        [
            ("2024-03-01", "A", "p1", "tools", 10, 100.10),  # A grows 100.10 -> 150.25
            ("2025-03-01", "A", "p1", "tools", 15, 150.25),
            ("2024-05-01", "B", "p1", "tools", 5, 50.00),  # B declines 80.00 -> 30.30
            ("2024-06-01", "B", "p2", "cement", 3, 30.00),
            ("2025-06-01", "B", "p2", "cement", 3, 30.30),
            ("2024-07-01", "C", "p2", "cement", 2, 20.00),  # C is lost
            ("2025-02-01", "D", "p1", "tools", 7, 70.07),  # D is new
            ("2024-08-01", "E", "p1", "tools", 1, 10.00),  # E: a sale and its full credit note
            ("2024-09-01", "E", "p1", "tools", -1, -10.00),
            ("2025-09-01", "E", "p1", "tools", -1, -5.00),
        ]
    )


def test_gain_loss_classifies_every_customer(sales):
    moves = gain_loss(sales, previous=PREVIOUS, current=CURRENT).set_index("customer_id")
    assert moves["component"].astype(str).to_dict() == {
        "A": "growth",
        "B": "decline",
        "C": "lost",
        "D": "new",
        "E": "other",
    }
    assert moves.loc["B", "change"] == pytest.approx(-49.70)


def test_bridge_steps_add_up_to_the_cent(sales):
    before = sales.copy()
    steps = bridge_steps(gain_loss(sales, previous=PREVIOUS, current=CURRENT)).set_index("step")["amount"]
    assert steps["previous"] == pytest.approx(200.10)
    assert steps["current"] == pytest.approx(245.62)
    assert steps["new"] == pytest.approx(70.07)
    assert steps["lost"] == pytest.approx(-20.00)
    assert steps["growth"] == pytest.approx(50.15)
    assert steps["decline"] == pytest.approx(-49.70)
    assert steps["other"] == pytest.approx(-5.00)
    components = steps[["new", "lost", "growth", "decline", "other"]]
    assert round((steps["previous"] + components.sum()) * 100) == round(steps["current"] * 100)
    pd.testing.assert_frame_equal(sales, before)


def test_per_account_bridge_over_categories(sales):
    moves = gain_loss(sales, previous=PREVIOUS, current=CURRENT, by=["customer_id", "category"])
    steps = bridge_steps(moves, by="customer_id")
    b = steps[steps["customer_id"] == "B"].set_index("step")["amount"]
    assert b["lost"] == pytest.approx(-50.00)  # B stopped buying tools
    assert b["growth"] == pytest.approx(0.30)  # and bought a little more cement
    assert b["previous"] + b[["new", "lost", "growth", "decline", "other"]].sum() == pytest.approx(
        b["current"]
    )


def test_price_volume_mix_by_hand():
    # Previous: 10 x p1 at 10.00 + 10 x p2 at 20.00 = 300 (20 units, average 15.00).
    # Current: 5 x p1 at 11.00 + 20 x p2 at 20.00 = 455 (25 units).
    frame = lines(
        [
            ("2024-02-01", "A", "p1", "x", 10, 100.0),
            ("2024-02-01", "A", "p2", "x", 10, 200.0),
            ("2025-02-01", "A", "p1", "x", 5, 55.0),
            ("2025-02-01", "A", "p2", "x", 20, 400.0),
        ]
    )
    split = price_volume_mix(frame, previous=PREVIOUS, current=CURRENT).iloc[0]
    assert split["volume"] == pytest.approx(75.0)  # 300 x (25/20 - 1)
    assert split["mix"] == pytest.approx(75.0)  # 5 x 10 + 20 x 20 - 300 x 25/20 = 450 - 375
    assert split["price"] == pytest.approx(5.0)  # 455 - 450
    assert split["volume"] + split["mix"] + split["price"] == pytest.approx(split["change"]) == 155.0


def test_price_volume_mix_adds_up_with_awkward_numbers(sales):
    split = price_volume_mix(sales, previous=PREVIOUS, current=CURRENT)
    for row in split.itertuples():
        assert round((row.volume + row.mix + row.price) * 100) == round(row.change * 100)


def churn_lines():
    rows = []
    for customer, years in {
        "A": (2023, 2024, 2025),
        "B": (2023, 2024),
        "C": (2023,),
        "D": (2024, 2025),
        "E": (2025,),
        "F": (2023, 2025),
    }.items():
        rows += [(f"{y}-06-15", customer, "p", "c", 1, 100.0) for y in years]
    return lines(rows)


def test_churn_by_period_by_hand():
    churn = churn_by_period(churn_lines(), start_month=1).set_index("period")
    # 2024: A, B, C, F bought in 2023; A and B again -> C and F lost; D new.
    assert churn.loc[2024, ["customers_start", "retained", "lost", "new"]].tolist() == [4, 2, 2, 1]
    assert churn.loc[2024, "churn_rate"] == pytest.approx(0.5)
    # 2025: A, B, D bought in 2024; A and D again -> B lost; E new, F returns (counts as new).
    assert churn.loc[2025, ["customers_start", "retained", "lost", "new"]].tolist() == [3, 2, 1, 2]
    assert churn.loc[2025, "churn_rate"] == pytest.approx(1 / 3)
    only = churn_by_period(churn_lines(), start_month=1, customer_ids=["A", "B"]).set_index("period")
    assert only.loc[2025, "churn_rate"] == pytest.approx(0.5)


def test_churn_with_recency_counts_early_leavers_as_lost():
    frame = lines([("2024-05-01", "A", "p", "c", 1, 10.0), ("2025-01-10", "A", "p", "c", 1, 10.0)])
    assert churn_by_period(frame, start_month=1)["lost"].iloc[0] == 0
    recent = churn_by_period(frame, start_month=1, recency_days=180)
    assert recent["lost"].iloc[0] == 1 and recent["churn_rate"].iloc[0] == 1.0


def test_cohort_retention_by_hand():
    curve = cohort_retention(churn_lines(), start_month=1).set_index(["cohort", "years_since"])
    # Cohort 2023: A, B, C, F (4). 2024: A, B -> 50 %. 2025: A, F -> 50 %.
    assert curve.loc[(2023, 0), "retention"] == 1.0
    assert curve.loc[(2023, 1), "retention"] == pytest.approx(0.5)
    assert curve.loc[(2023, 2), "active"] == 2
    assert bool(curve.loc[(2023, 0), "left_censored"]) is True
    # Cohort 2024: D (1), still buying in 2025.
    assert curve.loc[(2024, 1), "retention"] == 1.0
    assert bool(curve.loc[(2024, 1), "left_censored"]) is False


def test_spearman_by_hand():
    assert spearman(pd.Series([1, 2, 3, 4]), pd.Series([10, 20, 30, 40])) == pytest.approx(1.0)
    assert spearman(pd.Series([1, 2, 3, 4]), pd.Series([4, 3, 2, 1])) == pytest.approx(-1.0)
    assert pd.isna(spearman(pd.Series([1, 2, 3]), pd.Series([1, 2, 3])))
