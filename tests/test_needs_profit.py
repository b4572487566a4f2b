"""Account profit and reorder risk on literal frames, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.stages.needs import profit, reorder, team
from kamtools.stages.needs.settings import NeedsSettings

T = pd.Timestamp
ACCOUNTS = pd.DataFrame(
    {
        "customer_id": ["A", "B"],
        "name": ["Alpha", "Beta"],
        "sales": [1000.0, 500.0],
        "gross_profit": [300.0, 100.0],
    }
)
COST_TO_SERVE = pd.DataFrame(
    {
        "customer_id": ["A", "A"],
        "period": [2026, 2025],
        "cost_amount": [120.0, 999.0],
        "orders": [2.0, 9.0],
        "deliveries": [2.0, 9.0],
        "visits": [0.0, 9.0],
        "returns": [0.0, 9.0],
    }
)
RECEIVABLES = pd.DataFrame(
    {
        "customer_id": ["A", "A", "B"],
        "invoice_date": pd.to_datetime(["2026-01-01", "2025-01-01", "2026-03-01"]),
        "due_date": pd.to_datetime(["2026-01-31", "2025-01-31", "2026-03-31"]),
        "paid_date": pd.to_datetime(["2026-01-11", "2025-02-01", None]),
        "amount": [365.0, 1000.0, 730.0],
    }
)
TEAM = pd.DataFrame(
    {
        "member": ["Ann", "Carl"],
        "role": ["account manager", "head of sales"],
        "function": ["Sales", "Sales"],
        "accounts": ["A; B", "A"],
    }
)


def components(cost_to_serve=COST_TO_SERVE):
    return [
        profit.handling_costs(cost_to_serve, period=2026, rates={"orders": 10.0, "deliveries": 20.0}),
        profit.credit_costs(RECEIVABLES, start=T("2025-04-01"), end=T("2026-03-31"), rate=0.1),
        profit.management_costs(team.team_assignments(TEAM), account_manager_cost=1000.0),
    ]


def test_handling_cost_splits_the_given_total_over_the_rated_drivers():
    handling = profit.handling_costs(COST_TO_SERVE, period=2026, rates={"orders": 10.0, "deliveries": 20.0})
    # Drivers x rates = 20 + 40 = 60; the total given is 120, so each part doubles.
    assert handling.values.tolist() == [["A", 40.0, 80.0]]
    assert list(handling.columns) == ["customer_id", "orders_cost", "deliveries_cost"]
    unrated = profit.handling_costs(COST_TO_SERVE, period=2026, rates={})
    assert unrated.values.tolist() == [["A", 120.0]] and "handling_cost" in unrated
    no_total = profit.handling_costs(
        COST_TO_SERVE.drop(columns="cost_amount"), period=2026, rates={"orders": 10.0}
    )
    assert no_total.values.tolist() == [["A", 20.0]]


def test_credit_cost_runs_to_payment_or_to_the_period_end():
    credit = profit.credit_costs(RECEIVABLES, start=T("2025-04-01"), end=T("2026-03-31"), rate=0.1)
    # A: 365 for 10 days at 10% = 1.00; B: 730 open for 30 days = 6.00; A's 2025 invoice is older.
    assert credit.values.tolist() == [["A", pytest.approx(1.0)], ["B", pytest.approx(6.0)]]


def test_account_profit_waterfall_and_negative_contribution_flagged():
    frame = profit.account_profit(ACCOUNTS, components=components())
    a, b = frame.iloc[0], frame.iloc[1]
    # A: 40 + 80 + 1 + 500 (half of Ann's 1,000) = 621; contribution 300 - 621 = -321.
    assert a["cost_to_serve"] == pytest.approx(621.0)
    assert a["contribution"] == pytest.approx(-321.0) and bool(a["negative_contribution"])
    assert a["contribution_margin"] == pytest.approx(-0.321) and a["margin"] == pytest.approx(0.3)
    # B has credit and management cost but no cost-to-serve row: no contribution, said plainly.
    assert np.isnan(b["contribution"]) and not bool(b["negative_contribution"])
    assert b["cost_note"] == "no cost-to-serve data for this account: contribution not computed"
    assert list(frame.columns[4:9]) == [
        "orders_cost",
        "deliveries_cost",
        "credit_cost",
        "management_cost",
        "cost_to_serve",
    ]
    steps = profit.waterfall_steps(a.to_dict())
    assert steps["step"].tolist() == [
        "Sales", "Cost of goods", "Gross profit", "Order handling", "Deliveries", "Credit cost",
        "Account management", "Contribution",
    ]  # fmt: skip
    assert steps["end"].tolist() == pytest.approx([1000, 300, 300, 260, 180, 179, -321, -321])


def test_without_cost_to_serve_data_the_contribution_is_not_computed():
    frame = profit.account_profit(ACCOUNTS, components=components(cost_to_serve=None))
    assert frame["contribution"].isna().all()
    assert set(frame["cost_note"]) == {"no cost-to-serve data: contribution not computed"}
    assert profit.waterfall_steps(frame.iloc[0].to_dict())["step"].iloc[-1] == "Account management"


def test_profit_does_not_change_its_inputs():
    accounts, cts = ACCOUNTS.copy(), COST_TO_SERVE.copy()
    parts = components(cts)
    copies = [p.copy() for p in parts]
    profit.account_profit(accounts, components=parts)
    pd.testing.assert_frame_equal(accounts, ACCOUNTS)
    pd.testing.assert_frame_equal(cts, COST_TO_SERVE)
    for part, copy in zip(parts, copies, strict=True):
        pd.testing.assert_frame_equal(part, copy)


SALES = pd.DataFrame(
    {
        "customer_id": ["X"] * 4 + ["Y"] * 4 + ["Z"] * 2 + ["V"],
        "invoice_date": pd.to_datetime(
            [
                *("2026-01-01", "2026-01-11", "2026-01-21", "2026-01-31"),
                *("2026-02-05", "2026-02-15", "2026-02-25", "2026-03-07"),
                *("2026-01-01", "2026-02-01"),
                "2026-02-20",
            ]
        ),
        "net_sales": [10.0] * 10 + [-5.0],
    }
)


def test_reorder_risk_against_each_accounts_own_rhythm():
    risk = reorder.reorder_risk(
        SALES, as_of=T("2026-03-02"), settings=NeedsSettings(), customer_ids=["X", "Y", "Z", "V", "W"]
    ).set_index("customer_id")
    # X orders every 10 days, last on 31 January: 30 days ago = 3 times its rhythm -> overdue.
    assert risk.loc["X", "median_gap_days"] == 10.0 and risk.loc["X", "days_since_last_order"] == 30.0
    assert risk.loc["X", "reorder_ratio"] == 3.0 and risk.loc["X", "overdue"]
    assert risk.loc["X", "status"] == "overdue: last order 30 days ago; it usually orders every 10 days"
    # Y's order of 7 March is after the day judged; the others are 10 days apart, last 5 days ago.
    assert risk.loc["Y", "order_days"] == 3 and np.isnan(risk.loc["Y", "median_gap_days"])
    assert risk.loc["Y", "days_since_last_order"] == 5.0 and not risk.loc["Y", "overdue"]
    assert not risk.loc["Z", "overdue"] and "too few" in risk.loc["Z", "status"]
    # V's only line is a credit note; W never bought.
    assert risk.loc["V", "status"] == risk.loc["W", "status"] == "no order on record"


def test_reorder_risk_multiple_and_minimum_rhythm_are_settings():
    loose = NeedsSettings(reorder_risk_multiple=3.5)
    assert not reorder.reorder_risk(SALES, as_of=T("2026-03-02"), settings=loose, customer_ids=["X"])[
        "overdue"
    ][0]
    # A rhythm of at least 40 days: 30 days since the last order is 0.75 of it.
    slow = NeedsSettings(reorder_min_gap_days=40)
    ratio = reorder.reorder_risk(SALES, as_of=T("2026-03-02"), settings=slow, customer_ids=["X"])[
        "reorder_ratio"
    ][0]
    assert ratio == 0.75
    before = SALES.copy()
    reorder.reorder_risk(SALES, as_of=T("2026-03-02"), settings=NeedsSettings())
    pd.testing.assert_frame_equal(SALES, before)
