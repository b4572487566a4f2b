"""Planning stage: wallet share, headroom, white space, competitors and price signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.stages.planning.competitors import competitor_table, price_signals, split_competitors
from kamtools.stages.planning.market import account_baseline, category_gaps, wallet_share
from kamtools.stages.planning.settings import PlanningInputError, PlanningSettings

YEAR = (pd.Timestamp("2025-04-01"), pd.Timestamp("2026-03-31"))
BEFORE = (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))


def _lines(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["invoice_date", "customer_id", "category", "net_sales", "cost"]
    ).assign(invoice_date=lambda f: pd.to_datetime(f["invoice_date"]))


def test_wallet_share_and_headroom_per_account():
    accounts = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "sales": [100.0, 300.0, 50.0, 0.0]})
    market = pd.DataFrame({"customer_id": ["A", "B", "D"], "wallet": [400.0, 200.0, 1000.0]})
    before = accounts.copy()
    out = wallet_share(accounts, market)
    expected = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "sales": [100.0, 300.0, 50.0, 0.0],
            "wallet": [400.0, 200.0, np.nan, 1000.0],
            "share_of_wallet": [0.25, 1.0, np.nan, 0.0],
            "headroom": [300.0, 0.0, np.nan, 1000.0],
            "wallet_note": [
                "",
                "wallet estimate below our own sales",
                "no wallet estimate in the market table",
                "",
            ],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(accounts, before)


def test_wallet_share_without_market_table_says_why():
    out = wallet_share(pd.DataFrame({"customer_id": ["A"], "sales": [10.0]}), None)
    assert out["share_of_wallet"].isna().all()
    assert out["wallet_note"].tolist() == ["no wallet estimate in the market table"]


def test_wallet_share_names_missing_column():
    with pytest.raises(PlanningInputError, match=r"market: missing column\(s\) 'wallet'"):
        wallet_share(
            pd.DataFrame({"customer_id": ["A"], "sales": [1.0]}), pd.DataFrame({"customer_id": ["A"]})
        )


def test_account_baseline_sales_profit_and_growth():
    sales = _lines(
        [
            ("2025-05-01", "A", "x", 100.0, 60.0),
            ("2026-03-31", "A", "x", 50.0, 30.0),
            ("2024-06-01", "A", "x", 120.0, 70.0),
            ("2026-04-01", "A", "x", 999.0, 0.0),  # after the baseline period: ignored
            ("2025-07-01", "B", "x", 10.0, 5.0),
        ]
    )
    out = account_baseline(sales, customer_ids=["A", "B", "C"], baseline=YEAR, previous=BEFORE)
    assert out["sales"].tolist() == [150.0, 10.0, 0.0]
    assert out["gross_profit"].tolist() == [60.0, 5.0, 0.0]
    assert out["previous_sales"].tolist() == [120.0, 0.0, 0.0]
    assert out["growth"].iloc[0] == pytest.approx(0.25)
    assert out["growth"].iloc[1:].isna().all()  # did not buy before: no growth rate


def _segment_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five retail peers that all buy tools and paint; R1 buys no paint, R2 little paint."""
    rows = []
    for peer in ("P1", "P2", "P3", "P4", "P5"):
        rows += [("2025-06-01", peer, "tools", 80.0, 50.0), ("2025-06-01", peer, "paint", 20.0, 10.0)]
    rows += [("2025-06-01", "P5", "garden", 10.0, 5.0)]  # 1 of the peers buys garden: no gap
    rows += [("2025-06-01", "R1", "tools", 1000.0, 900.0)]
    rows += [("2025-06-01", "R2", "tools", 950.0, 600.0), ("2025-06-01", "R2", "paint", 50.0, 30.0)]
    rows += [("2025-06-01", "I1", "tools", 10.0, 5.0)]  # other segment, no peers
    customers = pd.DataFrame(
        {
            "customer_id": ["P1", "P2", "P3", "P4", "P5", "R1", "R2", "I1"],
            "segment": ["Retail"] * 7 + ["Industry"],
        }
    )
    return _lines(rows), customers


def test_white_space_finds_categories_peers_buy_and_the_account_does_not():
    sales, customers = _segment_world()
    before = sales.copy()
    out = category_gaps(sales, customers, customer_ids=["R1", "R2", "I1"], baseline=YEAR)
    assert out[["customer_id", "category", "gap"]].values.tolist() == [
        ["R1", "paint", "white space"],
        ["R2", "paint", "under-bought"],
    ]
    r1 = out.iloc[0]
    # R1's peers: P1..P5 and R2 (six retail customers), all buy paint.
    assert r1["peers"] == 6
    assert r1["peer_penetration"] == pytest.approx(1.0)
    # Median paint share among buying peers: P1..P4 0.2, P5 20/110, R2 0.05 -> median 0.2 of purchases.
    assert r1["peer_median_share"] == pytest.approx(0.2)
    assert r1["opportunity"] == pytest.approx(1000.0 * 0.2)
    r2 = out.iloc[1]
    assert r2["own_share"] == pytest.approx(0.05)
    assert r2["opportunity"] == pytest.approx(1000.0 * (0.2 - 0.05))
    pd.testing.assert_frame_equal(sales, before)


def test_white_space_needs_enough_peers_and_the_columns():
    sales, customers = _segment_world()
    strict = PlanningSettings(white_space_min_peers=7)
    assert category_gaps(sales, customers, customer_ids=["R1"], baseline=YEAR, settings=strict).empty
    no_segment = customers.drop(columns="segment")
    assert category_gaps(sales, no_segment, customer_ids=["R1"], baseline=YEAR).empty
    assert category_gaps(sales.drop(columns="category"), customers, customer_ids=["R1"], baseline=YEAR).empty


def test_split_competitors_reads_names_and_stated_shares():
    assert split_competitors("Apex (40%); Bauwelt Direct ;; apex; Corbel [12,5 %]") == [
        ("Apex", 0.4),
        ("Bauwelt Direct", None),
        ("Corbel", 0.125),
    ]
    assert split_competitors(None) == []
    assert split_competitors(np.nan) == []


def test_competitor_table_counts_accounts_naming_each_competitor():
    market = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "wallet": [1.0, 1.0, 1.0],
            "main_competitors": ["X (30%); Y", "X", None],
        }
    )
    out = competitor_table(market, customer_ids=["A", "B", "C", "Z"])
    assert out[["customer_id", "competitor", "accounts_naming"]].values.tolist() == [
        ["A", "X", 2],
        ["A", "Y", 1],
        ["B", "X", 2],
    ]
    assert out["stated_share"].iloc[0] == pytest.approx(0.3)
    assert np.isnan(out["stated_share"].iloc[1])
    assert competitor_table(market.drop(columns="main_competitors"), customer_ids=["A"]).empty


def test_price_signal_flags_a_margin_far_below_the_segment():
    sales, customers = _segment_world()
    out = price_signals(sales, customers, customer_ids=["R1", "R2"], baseline=YEAR)
    r1 = out.set_index("customer_id").loc["R1"]
    assert r1["margin"] == pytest.approx(0.1)
    assert bool(r1["price_pressure"]) is True
    assert bool(out.set_index("customer_id").loc["R2", "price_pressure"]) is False
    assert price_signals(sales.drop(columns="cost"), customers, customer_ids=["R1"], baseline=YEAR).empty


def test_records_by_account_are_the_rows_the_plain_selection_gives():
    from kamtools.stages.planning.market import records_by_account
    from kamtools.stages.planning.swot import _rows_by_account

    frame = pd.DataFrame(
        {
            "customer_id": ["C2", "C1", "C2", None, "C3", "C2"],
            "category": ["a", "b", "c", "d", "e", "f"],
            "value": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "count": [1, 2, 3, 4, 5, 6],
            "day": pd.to_datetime([f"2026-01-0{d}" for d in range(1, 7)]),
        },
        index=[10, 11, 12, 13, 14, 15],
    )

    def shown(records):  # the values with their types, NaN included (NaN != NaN)
        return [{k: f"{type(v).__name__} {v!r}" for k, v in r.items()} for r in records]

    groups, rows = records_by_account(frame), _rows_by_account(frame)
    for account in ("C1", "C2", "C3", "C9", "None", "nan"):
        plain = frame.loc[frame["customer_id"].astype(str) == account]
        expected = [r._asdict() for r in plain.itertuples(index=False)]
        assert shown(groups.get(account, [])) == shown(rows(account)) == shown(expected)
    assert [r["category"] for r in groups["C2"]] == ["a", "c", "f"]
    assert records_by_account(None) == {} and records_by_account(frame.iloc[0:0]) == {}
    assert _rows_by_account(None)("C1") == []
