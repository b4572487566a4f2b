"""Lost and declining accounts, reasons, at-risk list, retention economics and contact cadence."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.stages.review import cadence, defection, economics

PREVIOUS = (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
CURRENT = (pd.Timestamp("2025-04-01"), pd.Timestamp("2026-03-31"))


@pytest.fixture
def sales():
    rows = [
        ("2024-06-01", "A", 100.0, 80.0),
        ("2026-01-15", "A", 120.0, 90.0),  # grows
        ("2024-06-01", "B", 100.0, 70.0),
        ("2025-05-01", "B", 90.0, 70.0),  # last bought 11 months ago
        ("2024-06-01", "C", 100.0, 70.0),
        ("2026-02-01", "C", 50.0, 40.0),  # down 50 %
        ("2024-06-01", "D", 100.0, 70.0),
        ("2026-03-01", "D", 80.0, 60.0),  # down 20 %: kept, at risk
        ("2024-06-01", "E", 100.0, 70.0),  # nothing this year
    ]
    return pd.DataFrame(rows, columns=["invoice_date", "customer_id", "net_sales", "cost"]).assign(
        invoice_date=lambda f: pd.to_datetime(f["invoice_date"])
    )


def movement(sales):
    return defection.account_movement(
        sales,
        accounts=list("ABCDE"),
        previous=PREVIOUS,
        current=CURRENT,
        lost_after_days=180,
        decline_threshold=0.3,
    )


def test_lost_declining_kept(sales):
    before = sales.copy()
    moves = movement(sales).set_index("customer_id")
    assert moves["status"].to_dict() == {"A": "kept", "B": "lost", "C": "declining", "D": "kept", "E": "lost"}
    assert moves.loc["B", "days_since_purchase"] == 334
    assert moves.loc["C", "change_pct"] == pytest.approx(-0.5)
    assert moves.loc["B", "previous_gross_profit"] == 30.0
    pd.testing.assert_frame_equal(sales, before)
    longer = defection.account_movement(
        sales, accounts=["B"], previous=PREVIOUS, current=CURRENT, lost_after_days=400
    )
    assert longer["status"].iloc[0] == "kept"  # 90 after 100: -10 % is not a decline
    assert longer["change_pct"].iloc[0] == pytest.approx(-0.1)


def test_reasons_and_their_pattern(sales):
    lost_table = pd.DataFrame(
        {
            "customer_id": ["B", "C"],
            "reason": ["Price", "moved to competitor"],
            "competitor": ["Apex", "Apex"],
        }
    )
    reasons = defection.defection_reasons(movement(sales), lost_table).set_index("customer_id")
    assert reasons["reason"].to_dict() == {"B": "price", "E": "not recorded", "C": "moved to competitor"}
    assert reasons.index.tolist() == ["B", "E", "C"]  # lost first (by previous sales), then declining
    pattern = defection.reason_pattern(reasons.reset_index()).set_index("reason")
    assert pattern.loc["price", "sales_change"] == pytest.approx(-10.0)
    assert pattern.loc["not recorded", "sales_change"] == pytest.approx(-100.0)
    assert pattern["share_of_change"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="weather"):
        defection.defection_reasons(movement(sales), lost_table.assign(reason=["weather", "price"]))


def test_payment_trend_and_at_risk_list(sales):
    receivables = pd.DataFrame(
        {
            "customer_id": ["D", "D", "A"],
            "due_date": pd.to_datetime(["2024-07-01", "2025-07-01", "2025-07-01"]),
            "paid_date": pd.to_datetime(["2024-07-03", "2025-07-21", "2025-06-20"]),
            "amount": [100.0, 100.0, 50.0],
        }
    )
    payments = defection.payment_trend(receivables, previous=PREVIOUS, current=CURRENT).set_index(
        "customer_id"
    )
    assert payments.loc["D", "days_late_previous"] == 2 and payments.loc["D", "days_late_current"] == 20
    assert payments.loc["A", "days_late_current"] == 0  # early payment is not credit
    mood = pd.DataFrame({"customer_id": ["A", "D"], "mean_now": [2.4, 4.0], "mean_change": [0.0, -1.0]})
    risky = defection.at_risk_accounts(movement(sales), satisfaction=mood, payments=payments.reset_index())
    risky = risky.set_index("customer_id")
    assert set(risky.index) == {"A", "C", "D"}  # lost B and E are gone, not at risk
    assert risky.loc["D", "signs"] == 3
    assert risky.loc["D", "reasons"] == (
        "satisfaction fell 1.0 points; purchases down 20%; pays 18 days later than last period"
    )
    assert risky.loc["A", "reasons"] == "low satisfaction (2.4 of 5)"
    assert risky.index[0] == "D"


def test_expected_years_and_retention_economics_by_hand():
    # Churn 20 %, 3 years, no discounting: 0.8 + 0.64 + 0.512 = 1.952 years.
    assert economics.expected_years(0.8, horizon_years=3) == pytest.approx(1.952)
    assert economics.expected_years(0.8, horizon_years=2, discount_rate=0.25) == pytest.approx(0.64 + 0.4096)
    margins = pd.Series([400.0, 600.0] * 5)  # 10 customers, 5,000 a year
    result = economics.retention_economics(
        margins, churn_rate=0.2, reduction=0.05, horizon_years=3, discount_rate=0
    )
    assert result.base_value == pytest.approx(5000 * 1.952)  # 9,760
    assert result.improved_value == pytest.approx(5000 * (0.85 + 0.7225 + 0.614125))  # 10,933.125
    assert result.extra_profit == pytest.approx(1173.125)
    assert result.profit_lift == pytest.approx(1173.125 / 9760)
    assert result.improved_churn_rate == pytest.approx(0.15)
    floor = economics.retention_economics(
        margins, churn_rate=0.03, reduction=0.05, horizon_years=3, discount_rate=0
    )
    assert floor.improved_churn_rate == 0.0
    values = economics.account_values(
        pd.Series({"A": 1000.0, "B": -50.0}), retention=0.8, horizon_years=3, discount_rate=0
    )
    assert values.to_dict() == pytest.approx({"A": 1952.0, "B": 0.0})
    assert economics.REICHHELD_SASSER == (0.25, 0.85)
    assert "not a law" in economics.REICHHELD_SASSER_CAVEAT
    with pytest.raises(ValueError, match="churn_rate"):
        economics.retention_economics(margins, churn_rate=1.5)


def test_contact_cadence_by_hand(sales):
    plan = pd.DataFrame(
        {
            "customer_id": ["A", "A", "C", "D"],
            "contact_type": ["visit", "call", "visit", "visit"],
            "per_quarter": [2, 3, 1, 1],
        }
    )
    contacts = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-05-01", "2026-03-20", "2026-03-25", "2025-06-01", "2025-01-01"]),
            "customer_id": ["A", "A", "A", "C", "D"],
            "contact_type": ["Visit", "call", "call", "visit", "visit"],
        }
    )
    result = cadence.contact_cadence(plan, contacts, window=CURRENT, no_contact_days=90).set_index(
        "customer_id"
    )
    assert result.loc["A", "planned"] == 20 and result.loc["A", "made"] == 3
    assert result.loc["A", "planned_visit"] == 8 and result.loc["A", "made_call"] == 2
    assert result.loc["A", "days_since_contact"] == 6 and not result.loc["A", "no_contact"]
    assert result.loc["C", "days_since_contact"] == 303 and result.loc["C", "no_contact"]
    assert result.loc["D", "made"] == 0 and result.loc["D", "no_contact"]  # last contact before the period
    groups, _ = cadence.contact_vs_results(result.reset_index(), movement(sales), threshold=0.2)
    groups = groups.set_index("group")
    assert groups.loc["contacts as planned", "accounts"] == 1  # C: 1 of 4 = 25 %, and declining
    assert groups.loc["contacts as planned", "kept"] == 0
    assert groups.loc["fewer contacts than planned", "accounts"] == 2  # A: 3 of 20, D: none
    assert groups.loc["fewer contacts than planned", "kept"] == 2
    assert groups.loc["fewer contacts than planned", "grew_share"] == 0.5
