"""Concentration analytics (Pareto, Gini, whale curve, ABC) on tiny literal frames, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamtools.analytics import concentration as cc

NAN = np.nan


@pytest.fixture
def metrics() -> pd.DataFrame:
    """Four buying customers and a lost one, with round numbers (as customer metrics write them)."""
    return pd.DataFrame(
        {
            "customer_id": ["W", "X", "Y", "Z", "L"],
            "name": ["Wolf", "Xeno", "Yard", "Zinc", "Lost"],
            "status": ["active", "active", "active", "new", "lost"],
            "sales": [1000.0, 500, 500, 100, 0],
            "gross_profit": [300.0, 150, -50, 40, 0],
        }
    )


def test_pareto_table_and_share(metrics):
    table = cc.pareto_table(metrics)
    expected = pd.DataFrame(
        {
            "rank": np.array([1, 2, 3, 4], dtype="int64"),
            "customer_id": ["W", "X", "Y", "Z"],
            "name": ["Wolf", "Xeno", "Yard", "Zinc"],
            "sales": [1000.0, 500, 500, 100],
            "customer_share": [0.25, 0.5, 0.75, 1.0],
            "cumulative_value": [1000.0, 1500, 2000, 2100],
            "cumulative_share": [1000 / 2100, 1500 / 2100, 2000 / 2100, 1.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected)
    assert cc.pareto_share(metrics, target=0.8) == 0.75
    assert cc.pareto_share(metrics, target=0.4) == 0.25


def test_whale_curve_peak(metrics):
    curve = cc.whale_curve(metrics)
    assert curve["customer_id"].tolist() == ["W", "X", "Z", "Y"]
    assert curve["cumulative_value"].tolist() == [300.0, 450.0, 490.0, 440.0]
    assert curve["is_peak"].tolist() == [False, False, True, False]
    assert curve["cumulative_share"].tolist() == pytest.approx([300 / 440, 450 / 440, 490 / 440, 1.0])


def test_whale_curve_without_cost_warns(metrics):
    with pytest.warns(UserWarning, match="no gross_profit available"):
        curve = cc.whale_curve(metrics.assign(gross_profit=NAN))
    assert curve.empty and "is_peak" in curve.columns


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([5.0, 5.0, 5.0, 5.0], 0.0, id="equal"),
        pytest.param([0.0, 0.0, 0.0, 1.0], 0.75, id="one-has-all"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 0.25, id="ramp"),
        pytest.param([7.0], 0.0, id="single"),
    ],
)
def test_gini(values, expected):
    assert cc.gini(values) == pytest.approx(expected)


def test_gini_thin_data_warns():
    with pytest.warns(UserWarning, match="negative values clipped"):
        assert cc.gini([-1.0, 1.0]) == pytest.approx(0.5)
    with pytest.warns(UserWarning, match="no positive values"):
        assert np.isnan(cc.gini([0.0, 0.0]))


def test_abc_classes_fixed_cut():
    frame = pd.DataFrame({"customer_id": list("abcdefg"), "sales": [50.0, 30, 10, 5, 3, 2, 0]})
    result = cc.abc_classes(frame)
    # Cumulative share before each customer: 0, .5, .8, .9, .95, .98 -> A, A, B, B, C, C; zero is C.
    assert result["abc"].tolist() == ["A", "A", "B", "B", "C", "C", "C"]
    assert result["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 0.9, 0.95, 0.98, 1.0, 1.0])


def test_abc_classes_ties_share_the_better_class():
    frame = pd.DataFrame({"customer_id": list("abcd"), "sales": [40.0, 40, 10, 10]})
    # Before d the cumulative share is 0.9 (B), but c has the same value and is B too.
    assert cc.abc_classes(frame, cuts=(0.5, 0.85))["abc"].tolist() == ["A", "A", "B", "B"]


def test_computed_abc_known_vector():
    values = pd.Series([5.0, 100, 3, 20, 1, 50, 10, 5, 4, 2], index=list("abcdefghij"))
    result = cc.computed_abc(values)
    # Sorted 100, 50, 20, 10, 5, 5, 4, 3, 2, 1 (sum 200, mean 20). Pareto point: nearest to
    # (0, 1) is (0.2, 0.75). Break-even: slope x_k / mean = 1 at the third item, (0.3, 0.85).
    # Submarginal point: nearest to (0.3, 1) is (0.4, 0.9).
    assert result.pareto_point == pytest.approx((0.2, 0.75))
    assert result.break_even_point == pytest.approx((0.3, 0.85))
    assert result.ab_limit == pytest.approx((0.2, 0.75))
    assert result.bc_limit == pytest.approx((0.4, 0.9))
    assert not result.ab_exchanged
    assert result.classes.to_dict() == {
        "a": "C", "b": "A", "c": "C", "d": "B", "e": "C", "f": "A", "g": "B", "h": "C", "i": "C", "j": "C",
    }  # fmt: skip
    assert result.curve["yield"].iloc[-1] == 1.0 and len(result.curve) == 11


def test_computed_abc_exchanges_limits_when_break_even_comes_first():
    # Sorted 7, 4, 3, 3, 3, 3, 3 (sum 26, mean 26/7): slopes 1.88, 1.08, 0.81, ... -> the
    # break-even point is after the second item, (2/7, 11/26). The Pareto point comes later,
    # (3/7, 14/26), so the break-even point limits A and B_x = 3/7; nearest to (3/7, 1) is
    # (5/7, 20/26). The five equal 3s share the better class, B.
    result = cc.computed_abc([3.0, 7, 3, 4, 3, 3, 3])
    assert result.ab_exchanged
    assert result.break_even_point == pytest.approx((2 / 7, 11 / 26))
    assert result.pareto_point == pytest.approx((3 / 7, 14 / 26))
    assert result.ab_limit == pytest.approx((2 / 7, 11 / 26))
    assert result.bc_limit == pytest.approx((5 / 7, 20 / 26))
    assert result.classes.tolist() == ["B", "A", "B", "A", "B", "B", "B"]


def test_computed_abc_thin_data_falls_back():
    with pytest.warns(UserWarning, match="at least three positive values"):
        result = cc.computed_abc([10.0, 0.0])
    assert result.classes.tolist() == ["A", "C"]


def test_abc_classes_computed(metrics):
    result = cc.abc_classes(metrics, method="computed")
    # Sorted 1000, 500, 500, 100: Pareto point after two items, break-even after three
    # (500 is nearest the mean 525), submarginal point after three: A, A, A(tie), C; L is C.
    assert result["abc"].tolist() == ["A", "A", "A", "C", "C"]


def test_concentration_does_not_change_its_input(metrics):
    original = metrics.copy(deep=True)
    cc.pareto_table(metrics)
    cc.pareto_share(metrics)
    cc.whale_curve(metrics)
    cc.abc_classes(metrics, method="computed")
    pd.testing.assert_frame_equal(metrics, original)


def test_missing_column_is_named(metrics):
    with pytest.raises(ValueError, match="'sales'"):
        cc.pareto_table(metrics.drop(columns="sales"))
