"""The review's fast paths against the plain pandas formulas they replace, on random invoice lines.

Each reference below is the computation the review used before (a groupby per window, a frame
selection per bridge and component, the churn of each group counted from every line, every
stage's sums over every line of the dealer); the fast paths must give the same frames to the
last bit, dtypes included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.analytics import bridges, cohorts
from kamtools.stages.review import analysis, attainment
from kamtools.stages.review.settings import ReviewSettings

T = pd.Timestamp
PREVIOUS = (T("2024-04-01"), T("2025-03-31"))
CURRENT = (T("2025-04-01"), T("2026-03-31"))


@pytest.fixture
def lines() -> pd.DataFrame:
    """Random invoice lines of 40 customers over three fiscal years (April start), with credit
    notes, lines with a time of day, customers that stopped buying, products and categories."""
    rng = np.random.default_rng(11)
    n = 5000
    days = T("2023-04-01") + pd.to_timedelta(rng.integers(0, 3 * 365 + 20, n), unit="D")
    hours = pd.to_timedelta(np.where(rng.random(n) < 0.1, rng.integers(1, 23, n), 0), unit="h")
    customer = np.array([f"C{i:02d}" for i in rng.integers(0, 40, n)])
    quitters = np.isin(customer, ["C01", "C02", "C03"]) & (days >= T("2025-04-01"))
    amount = np.round(rng.gamma(2.0, 150.0, n), 2) * np.where(rng.random(n) < 0.05, -1, 1)
    frame = pd.DataFrame(
        {
            "invoice_date": (days + hours).astype("datetime64[ns]"),
            "customer_id": pd.Series(customer, dtype="str"),
            "net_sales": amount,
            "cost": np.round(amount * rng.uniform(0.5, 0.9, n), 2),
            "quantity": rng.integers(1, 9, n),
            "product": pd.Series([f"P{i}" for i in rng.integers(0, 60, n)], dtype="str"),
            "category": pd.Series([f"K{i}" for i in rng.integers(0, 6, n)], dtype="str"),
            "invoice_id": pd.Series([f"I{i}" for i in rng.integers(0, 1500, n)], dtype="str"),
        }
    )
    return frame[~quitters].reset_index(drop=True)


def _window_sums_by_pandas(lines, *, by, windows, values):
    """A groupby of every column per window, the windows joined on the key."""
    keys = [by] if isinstance(by, str) else list(by)
    parts = []
    for name, (start, end) in windows.items():
        inside = lines[(lines["invoice_date"] >= start) & (lines["invoice_date"] <= end)]
        sums = inside.groupby(keys, sort=True, observed=True)[list(values)].sum()
        parts.append(sums.rename(columns={v: f"{v}_{name}" for v in values}))
    joined = pd.concat(parts, axis=1).fillna(0.0)
    return joined[[f"{v}_{name}" for v in values for name in windows]].sort_index().reset_index()


@pytest.mark.parametrize(
    ("by", "values", "windows"),
    [
        ("customer_id", ["net_sales"], {"previous": PREVIOUS, "current": CURRENT}),
        (["customer_id", "product"], ["net_sales", "quantity"], {"previous": PREVIOUS, "current": CURRENT}),
        # Overlapping windows, one without any line: every line is summed in each of its windows.
        (
            ["customer_id", "category"],
            ["net_sales", "cost", "quantity"],
            {
                "year": CURRENT,
                "q1": (T("2025-04-01"), T("2025-06-30")),
                "none": (T("2030-01-01"), T("2030-12-31")),
            },
        ),
    ],
)
def test_window_sums_are_a_groupby_per_window(lines, by, values, windows):
    # A line without a customer belongs to no key, as in a groupby.
    lines = lines.assign(customer_id=lines["customer_id"].where(lines.index % 97 != 0))
    fast = bridges.window_sums(lines, by=by, windows=windows, values=values)
    plain = _window_sums_by_pandas(lines, by=by, windows=windows, values=values)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert fast.dtypes.astype(str).tolist() == plain.dtypes.astype(str).tolist()
    assert len(fast) > 40 or by == "customer_id"


def _bridge_steps_by_pandas(moves, *, by=None):
    """One frame selection per bridge and component (the loop bridge_steps replaced)."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    cents = lambda s: np.round(s.to_numpy(dtype="float64") * 100).astype("int64")  # noqa: E731
    frame = moves.assign(_previous=cents(moves["previous"]), _current=cents(moves["current"]))
    frame["_change"] = frame["_current"] - frame["_previous"]
    groups = frame.groupby(keys, sort=True, observed=True) if keys else [((), frame)]
    rows = []
    for key, group in groups:
        key_values = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        component = group["component"].astype(str)
        rows.append(
            {
                **key_values,
                "step": "previous",
                "amount": group["_previous"].sum(),
                "count": int(component.isin(["growth", "decline", "lost"]).sum()),
            }
        )
        for name in bridges.BRIDGE_COMPONENTS:
            part = group[component == name]
            rows.append({**key_values, "step": name, "amount": part["_change"].sum(), "count": len(part)})
        rows.append(
            {
                **key_values,
                "step": "current",
                "amount": group["_current"].sum(),
                "count": int(component.isin(["growth", "decline", "new"]).sum()),
            }
        )
    steps = pd.DataFrame(rows, columns=[*keys, "step", "amount", "count"])
    steps["amount"] = steps["amount"].astype("int64") / 100
    steps["count"] = steps["count"].astype("int64")
    return steps


def test_bridge_steps_are_the_loop_over_bridges_and_components(lines):
    dealer = bridges.gain_loss(lines, previous=PREVIOUS, current=CURRENT)
    assert set(dealer["component"]) == set(bridges.BRIDGE_COMPONENTS) - {"other"} or len(dealer)
    pd.testing.assert_frame_equal(
        bridges.bridge_steps(dealer), _bridge_steps_by_pandas(dealer), check_exact=True
    )
    moves = bridges.gain_loss(lines, previous=PREVIOUS, current=CURRENT, by=["customer_id", "category"])
    assert {"new", "lost", "growth", "decline"} <= set(moves["component"])
    for by in ("customer_id", ["customer_id", "category"]):
        fast = bridges.bridge_steps(moves, by=by)
        pd.testing.assert_frame_equal(fast, _bridge_steps_by_pandas(moves, by=by), check_exact=True)
    # Components given as text, a row without a key: both as the loop counts them.
    odd = moves.assign(
        component=moves["component"].astype(str), customer_id=moves["customer_id"].where(moves.index != 3)
    )
    pd.testing.assert_frame_equal(
        bridges.bridge_steps(odd, by="customer_id"),
        _bridge_steps_by_pandas(odd, by="customer_id"),
        check_exact=True,
    )


def test_bridge_steps_of_no_moves():
    moves = bridges.gain_loss(
        pd.DataFrame({"invoice_date": pd.to_datetime([]), "customer_id": [], "net_sales": []}),
        previous=PREVIOUS,
        current=CURRENT,
    )
    assert moves.empty
    pd.testing.assert_frame_equal(
        bridges.bridge_steps(moves), _bridge_steps_by_pandas(moves), check_exact=True
    )
    pd.testing.assert_frame_equal(
        bridges.bridge_steps(moves, by="customer_id"),
        _bridge_steps_by_pandas(moves, by="customer_id"),
        check_exact=True,
    )


def test_recent_buyers_are_the_positive_lines_of_each_period_s_end(lines):
    recent = cohorts.recent_buyers(lines, [2025, 2026], start_month=4, recency_days=120)
    for period, end in ((2025, T("2025-03-31")), (2026, T("2026-03-31"))):
        buying = lines[lines["net_sales"] > 0]
        inside = (buying["invoice_date"] > end - pd.Timedelta(days=120)) & (buying["invoice_date"] <= end)
        pd.testing.assert_index_equal(recent[period], pd.Index(buying.loc[inside, "customer_id"].unique()))
    assert not {"C01", "C02", "C03"} & set(recent[2026])


def test_key_account_churn_is_each_group_s_churn_from_every_line(lines):
    ids = [f"C{i:02d}" for i in range(0, 40, 3)]
    settings = ReviewSettings()
    churn_all, churn_key = analysis._churn_tables(lines, ids, period=2026, start_month=4, settings=settings)
    days = settings.lost_after_days
    plain_all = cohorts.churn_by_period(lines, start_month=4, recency_days=days)
    pd.testing.assert_frame_equal(churn_all, plain_all[plain_all["period"] <= 2026], check_exact=True)
    active = cohorts.active_periods(lines, start_month=4)
    rows = []
    for p in plain_all.loc[plain_all["period"] <= 2026, "period"]:
        members = (
            ids if p == 2026 else active[active["period"] == p - 1].nlargest(len(ids), "sales")["customer_id"]
        )
        row = cohorts.churn_by_period(
            lines, start_month=4, customer_ids=members, periods=[p], recency_days=days
        )
        rows.append(row.assign(accounts="plan's key accounts" if p == 2026 else "largest customers"))
    pd.testing.assert_frame_equal(churn_key, pd.concat(rows, ignore_index=True), check_exact=True)
    assert churn_key["lost"].gt(0).any()


def test_stage_actuals_and_sales_variance_are_the_sums_over_every_line(lines):
    goals = pd.DataFrame(
        [
            (c, stage, metric, 100.0, 120.0, 140.0)
            for c in ("C00", "C01", "C05", "C07", "C99")
            for stage in ("Q1", "Q2", "Q3", "Q4")
            for metric in ("sales", "gross_profit")
            if not (c == "C05" and stage == "Q3")
        ],
        columns=["customer_id", "stage", "metric", "baseline", "plan", "stretch"],
    )
    actuals = attainment.actuals_by_stage(lines, goals, period=2026, start_month=4)
    split = attainment.sales_variance(lines, goals, period=2026, start_month=4)
    for row in actuals.itertuples():
        mine = lines[(lines["customer_id"] == row.customer_id)]
        inside = mine[(mine["invoice_date"] >= row.start) & (mine["invoice_date"] <= row.end)]
        assert row.sales == pytest.approx(round(inside["net_sales"].sum(), 2), abs=1e-9)
        assert row.gross_profit == pytest.approx(
            round((inside["net_sales"] - inside["cost"]).sum(), 2), abs=1e-9
        )
        before = mine[
            (mine["invoice_date"] >= row.start - pd.DateOffset(years=1))
            & (mine["invoice_date"] <= row.end - pd.DateOffset(years=1))
        ]
        assert row.previous_sales == pytest.approx(round(before["net_sales"].sum(), 2), abs=1e-9)
    assert len(actuals) == 19 and actuals.loc[actuals["customer_id"] == "C99", "sales"].eq(0).all()
    assert actuals.loc[actuals["customer_id"] == "C01", "sales"].eq(0).all()  # C01 stopped buying
    both = split.merge(actuals, on=["customer_id", "stage"])
    assert len(both) == 19
    np.testing.assert_allclose(both["actual"], both["sales"], atol=0.005)
    np.testing.assert_allclose(both["previous"], both["previous_sales"], atol=0.005)
    total = (both["volume"] + both["mix"] + both["price"]).round(2)
    np.testing.assert_allclose(total, both["variance"], atol=1e-9)
