"""The workshop's re-rank gives the report's lists: same tiers, ranks, scores, and the reasons listed."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kamtools.stages.screening import ScreeningSettings, score_customers, screen_client
from kamtools.stages.screening.reasons import gate_table, joined_keys, signal_table
from kamtools.stages.screening.rerank import LISTED_TIERS, period_basis, rerank, rerank_basis
from kamtools.stages.screening.scoring import score_from_basis


@pytest.fixture(scope="module")
def demo(demo_screened):
    workspace, saved = demo_screened
    scored = saved.current.scored
    review = scored.loc[scored["tier"] == "review", "customer_id"].iloc[0]
    maintain = scored.loc[scored["tier"] == "maintain", "customer_id"].iloc[0]
    overrides = pd.DataFrame(
        {
            "customer_id": [review, maintain],
            "tier": ["key", "growth"],
            "reason": ["strategic partner", "new branch opening"],
            "decided_by": ["sales director", "KAM lead"],
        }
    )
    return workspace, saved, overrides


def _report(workspace, settings, overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return screen_client(
            workspace.tables, start_month=4, period=2026, settings=settings, overrides=overrides
        ).current.scored


def _basis(workspace, saved, settings, overrides):
    return rerank_basis(
        saved.current,
        saved.previous,
        settings=settings,
        team=workspace.tables.get("team"),
        overrides=overrides,
        market=workspace.tables.get("market"),
        cost_to_serve=workspace.tables.get("cost_to_serve"),
    )


MOVES = [
    {},
    {"weights": {**ScreeningSettings().weights, "margin": 0.6, "sales": 0.1}},
    {"min_margin_pct": 0.15, "max_late_share": 0.3},
    {"key_accounts": 20, "max_avg_days_late": None},
    {"key_accounts": 80, "min_margin_pct": None, "weights": {**ScreeningSettings().weights, "growth": 0.7}},
]


@pytest.mark.parametrize("move", MOVES, ids=["saved", "weights", "gates", "fewer keys", "more keys"])
def test_a_re_rank_gives_the_reports_lists_word_for_word(demo, move):
    workspace, saved, overrides = demo
    settings = replace(ScreeningSettings(), **move)
    basis = _basis(workspace, saved, ScreeningSettings(), overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ranked = rerank(basis, settings=settings)
    report = _report(workspace, settings, overrides)
    assert ranked["overridden"].sum() == 2
    pd.testing.assert_frame_equal(
        ranked.drop(columns="reason"), report.drop(columns=["reason", "exclusion"]), check_exact=True
    )
    listed = report["tier"].isin(LISTED_TIERS).to_numpy()
    assert ranked["reason"][listed].tolist() == report["reason"][listed].tolist()
    assert ranked["reason"][~listed].isna().all()
    assert list(ranked.columns) == [c for c in report.columns if c != "exclusion"]
    assert ranked.attrs == report.attrs


def test_score_from_basis_is_score_customers_and_leaves_the_words_out_on_request(demo):
    workspace, saved, _overrides = demo
    current = saved.current
    inputs = {
        "window": current.window,
        "payments": current.payments,
        "qualitative": current.qualitative,
        "market": workspace.tables.get("market"),
        "cost_to_serve": workspace.tables.get("cost_to_serve"),
    }
    settings = ScreeningSettings(min_margin_pct=0.2, key_accounts=25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        full = score_customers(current.metrics, settings=settings, **inputs)
        basis = period_basis(
            current,
            settings=ScreeningSettings(),
            market=inputs["market"],
            cost_to_serve=inputs["cost_to_serve"],
        )
        pd.testing.assert_frame_equal(score_from_basis(basis, settings=settings), full, check_exact=True)
        bare = score_from_basis(basis, settings=settings, reasons=False)
    pd.testing.assert_frame_equal(bare, full.drop(columns=["exclusion", "reason"]), check_exact=True)
    assert not basis.fits(ScreeningSettings(margin_peers=10))
    with pytest.raises(ValueError, match="other settings"):
        score_from_basis(basis, settings=ScreeningSettings(growth_sales_floor_quantile=0.8))


def test_gates_and_signals_never_fire_on_missing_values_and_join_in_rule_order():
    frame = pd.DataFrame(
        {
            "sales": [1000.0, -5.0, np.nan, 5000.0, 800.0],
            "margin_pct": [-0.1, 0.3, np.nan, 0.05, np.nan],
            "peer_margin": [0.2, 0.2, 0.2, 0.25, np.nan],
            "contribution": [-50.0, np.nan, 10.0, 400.0, np.nan],
            "payment_invoices": [10.0, 10.0, np.nan, 2.0, 10.0],
            "avg_days_late": [40.0, 1.0, 90.0, 90.0, np.nan],
            "late_share": [0.9, 0.0, 0.9, 0.9, np.nan],
            "credit_use": [1.5, np.nan, np.nan, 0.5, np.nan],
            "growth_pct": [0.5, np.nan, 0.9, -0.2, np.nan],
            "previous_sales": [700.0, 0.0, np.nan, 6000.0, np.nan],
            "headroom_share": [0.9, np.nan, 0.9, 0.9, np.nan],
            "wallet": [10_000.0, np.nan, 10_000.0, 10_000.0, np.nan],
            "qualitative_mean": [4.5, np.nan, 5.0, 5.0, np.nan],
        }
    )
    buying = np.array([True, True, False, True, True])
    settings = ScreeningSettings(min_contribution=0.0, max_credit_use=1.0, max_late_share=0.5)
    gates = gate_table(frame, buying, settings=settings, margin_known=True)
    assert joined_keys(gates).tolist() == [
        "margin;contribution;days_late;late_share;credit_use",
        "sales",
        "",  # not buying: judged on nothing
        "price_pressed",  # 5% where peers earn 25%; too few invoices for the payment gates
        "",  # every value missing
    ]
    assert not gate_table(frame, buying, settings=replace(settings, min_margin_pct=None), margin_known=True)[
        "price_pressed"
    ].any()
    signals = signal_table(frame, buying, settings=settings, floor=500.0, annualise=1.0)
    assert joined_keys(signals).tolist() == ["growth;headroom;workshop", "", "", "", ""]
