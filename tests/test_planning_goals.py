"""Planning stage: goal proposal, seasonal profile and the exact split into stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.stages.planning.goals import (
    plan_stages,
    propose_goals,
    seasonal_profiles,
    split_exact,
    stage_actuals,
    stage_goals,
    to_cents,
)
from kamtools.stages.planning.settings import PlanningSettings


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        pytest.param(100.0, [1, 1, 1], id="thirds"),
        pytest.param(1_234_567.89, [0.27, 0.28, 0.24, 0.21], id="quarters"),
        pytest.param(0.05, [1, 1, 1, 1], id="fewer-cents-than-stages"),
        pytest.param(999.99, [0.0, 0.0, 0.0, 0.0], id="no-history-even"),
        pytest.param(-120.01, [3, 1], id="negative-profit"),
        pytest.param(1e9 + 0.01, [1 / 7] * 7, id="large"),
        pytest.param(10.0, [1.0, np.nan, 1.0], id="missing-weight"),
    ],
)
def test_split_sums_back_to_the_goal_exactly(total, weights):
    parts = split_exact(total, weights)
    assert len(parts) == len(weights)
    assert sum(to_cents(p) for p in parts) == to_cents(total)
    assert all(to_cents(p) / 100 == p for p in parts)  # whole cents


def test_split_follows_the_weights_and_gives_leftover_cents_to_the_largest_remainders():
    assert split_exact(100.0, [1, 1, 1]) == [33.34, 33.33, 33.33]
    assert split_exact(10.0, [0.5, 0.25, 0.25]) == [5.0, 2.5, 2.5]
    assert split_exact(1.0, [2, 1]) == [0.67, 0.33]


def test_plan_stages_are_quarters_of_the_fiscal_year():
    stages = plan_stages(2027, start_month=4)
    assert [(s.stage, s.start.date().isoformat(), s.end.date().isoformat()) for s in stages] == [
        ("Q1", "2026-04-01", "2026-06-30"),
        ("Q2", "2026-07-01", "2026-09-30"),
        ("Q3", "2026-10-01", "2026-12-31"),
        ("Q4", "2027-01-01", "2027-03-31"),
    ]
    assert [s.stage for s in plan_stages(2027, start_month=1, stage_months=6)] == ["H1", "H2"]


def _monthly(customer: str, amounts: list[float], first: str = "2024-04-01") -> list[tuple]:
    months = pd.date_range(first, periods=len(amounts), freq="MS")
    return [(d, customer, a) for d, a in zip(months, amounts, strict=True)]


def test_seasonal_profile_is_learned_from_the_accounts_own_history():
    # A: two fiscal years, Q1 twice as strong as the rest; B: 3 months only -> portfolio profile.
    year = [20.0, 20.0, 20.0] + [10.0] * 9
    rows = _monthly("A", year * 2) + _monthly("B", [5.0, 5.0, 5.0], first="2025-10-01")
    sales = pd.DataFrame(rows, columns=["invoice_date", "customer_id", "net_sales"])
    before = sales.copy()
    out = seasonal_profiles(sales, customer_ids=["A", "B", "C"], start_month=4)
    a = out.loc[out["customer_id"] == "A"]
    assert a["stage"].tolist() == ["Q1", "Q2", "Q3", "Q4"]
    assert a["share"].tolist() == pytest.approx([0.4, 0.2, 0.2, 0.2])
    assert set(a["source"]) == {"own history"}
    b = out.loc[out["customer_id"] == "B"]
    assert set(b["source"]) == {"portfolio"}
    assert b["share"].sum() == pytest.approx(1.0)
    assert b["share"].tolist()[2] > 0.2  # B's own Q3 is in the portfolio
    assert set(out.loc[out["customer_id"] == "C", "source"]) == {"portfolio"}
    pd.testing.assert_frame_equal(sales, before)


def test_seasonal_profile_is_even_without_any_history():
    sales = pd.DataFrame({"invoice_date": pd.to_datetime([]), "customer_id": [], "net_sales": []})
    out = seasonal_profiles(sales, customer_ids=["A"], start_month=4)
    assert out["share"].tolist() == [0.25] * 4
    assert set(out["source"]) == {"even"}


# The rules the worked examples below use (the defaults are more cautious).
RULES = PlanningSettings(
    plan_headroom_capture=0.10, max_plan_growth=0.25, stretch_headroom_capture=0.25, max_stretch_growth=0.50
)


def _accounts(**overrides) -> pd.DataFrame:
    base = {
        "customer_id": ["A"],
        "sales": [1000.0],
        "gross_profit": [200.0],
        "growth": [0.10],
        "wallet": [3000.0],
        "headroom": [2000.0],
    }
    base.update({k: [v] for k, v in overrides.items()})
    return pd.DataFrame(base)


def test_goals_from_headroom_and_momentum():
    out = propose_goals(_accounts(), settings=RULES).set_index("metric")
    # plan growth = 0.10 x 2000/1000 + 0.5 x 0.10 = 0.25 (the ceiling);
    # stretch = 0.25 x 2 + 0.05 = 0.55 -> 0.50 (the ceiling).
    assert out.loc["sales", ["baseline", "plan", "stretch"]].tolist() == [1000.0, 1250.0, 1500.0]
    assert out.loc["gross_profit", ["baseline", "plan", "stretch"]].tolist() == [200.0, 250.0, 300.0]
    assert out.loc["share_of_wallet", ["baseline", "plan", "stretch"]].tolist() == pytest.approx(
        [1 / 3, 1250 / 3000, 0.5]
    )


def test_goals_bounded_by_floor_uplift_and_wallet():
    low = propose_goals(_accounts(growth=-0.4, headroom=0.0, wallet=1000.0), settings=RULES).set_index(
        "metric"
    )
    # Declining, no headroom: the floor of +2 %, stretch 5 points above; never above the wallet (= sales).
    assert low.loc["sales", ["plan", "stretch"]].tolist() == [1000.0, 1000.0]
    roomy = propose_goals(_accounts(growth=-0.4, headroom=9000.0, wallet=10000.0), settings=RULES).set_index(
        "metric"
    )
    # 0.10 x 9 - 0.2 = 0.70 -> 0.25; stretch 0.25 x 9 - 0.2 -> capped at 0.50.
    assert roomy.loc["sales", ["plan", "stretch"]].tolist() == [1250.0, 1500.0]
    no_wallet = propose_goals(
        _accounts(growth=np.nan, headroom=np.nan, wallet=np.nan), settings=RULES
    ).set_index("metric")
    assert no_wallet.loc["sales", ["plan", "stretch"]].tolist() == [1020.0, 1070.0]
    assert no_wallet.loc["share_of_wallet"].drop("customer_id").isna().all()


def test_goals_without_costs_leave_gross_profit_empty():
    out = propose_goals(_accounts(gross_profit=np.nan)).set_index("metric")
    assert out.loc["gross_profit", ["baseline", "plan", "stretch"]].isna().all()


def test_stage_goals_sum_back_exactly_and_follow_the_profile():
    goals = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A"],
            "metric": ["sales", "gross_profit", "share_of_wallet"],
            "baseline": [1000.01, 200.0, 0.25],
            "plan": [1234.57, 250.0, 0.3],
            "stretch": [1500.0, 300.0, 0.4],
        }
    )
    profiles = pd.DataFrame(
        {
            "customer_id": ["A"] * 4,
            "stage": ["Q1", "Q2", "Q3", "Q4"],
            "share": [0.3, 0.3, 0.3, 0.1],
            "source": "own history",
        }
    )
    actuals = pd.DataFrame(
        {
            "customer_id": ["A"] * 4,
            "stage": ["Q1", "Q2", "Q3", "Q4"],
            "metric": "sales",
            "value": [1.0, 1.0, 1.0, 1.0],
        }
    )
    before = goals.copy()
    out = stage_goals(goals, profiles, baseline_by_stage=actuals, wallets={"A": 4000.0})
    for metric in ("sales", "gross_profit"):
        rows = out.loc[out["metric"] == metric]
        year = goals.set_index("metric").loc[metric]
        for column in ("baseline", "plan", "stretch"):
            assert sum(to_cents(v) for v in rows[column]) == to_cents(year[column]), (metric, column)
    sales = out.loc[out["metric"] == "sales"]
    assert sales["plan"].tolist() == [370.37, 370.37, 370.37, 123.46]
    assert sales["baseline"].tolist() == [250.01, 250.0, 250.0, 250.0]  # last year's real (even) shape
    share = out.loc[out["metric"] == "share_of_wallet"]
    assert share["plan"].tolist() == pytest.approx(
        [370.37 / 1200, 370.37 / 1200, 370.37 / 1200, 123.46 / 400]
    )
    pd.testing.assert_frame_equal(goals, before)


def test_stage_actuals_per_quarter():
    sales = pd.DataFrame(
        {
            "invoice_date": pd.to_datetime(
                ["2025-04-15", "2025-06-30", "2025-07-01", "2026-03-31", "2026-04-01"]
            ),
            "customer_id": ["A", "A", "A", "A", "A"],
            "net_sales": [10.0, 5.0, 7.0, 3.0, 100.0],
            "cost": [5.0, 5.0, 0.0, 1.0, 0.0],
        }
    )
    out = stage_actuals(
        sales,
        customer_ids=["A"],
        baseline=(pd.Timestamp("2025-04-01"), pd.Timestamp("2026-03-31")),
        start_month=4,
    )
    by = out.set_index(["metric", "stage"])["value"]
    assert [by["sales", q] for q in ("Q1", "Q2", "Q3", "Q4")] == [15.0, 7.0, 0.0, 3.0]
    assert [by["gross_profit", q] for q in ("Q1", "Q2", "Q3", "Q4")] == [5.0, 7.0, 0.0, 2.0]


def test_custom_stage_length():
    settings = PlanningSettings(stage_months=6)
    assert settings.stages_per_year == 2
