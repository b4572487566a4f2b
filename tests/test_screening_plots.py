"""Each chart draws on the Axes it is given, returns it, and draws what it promises."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import PathPatch, Rectangle

from kamtools import figures
from kamtools.stages.screening import plots, tier_transitions

NAN = np.nan


@pytest.fixture
def screened() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["W", "X", "Y", "Z", "L"],
            "name": ["Wolf", "Xeno", "Yard", "Zinc", "Lost"],
            "status": ["active", "active", "active", "new", "lost"],
            "sales": [1000.0, 500, 500, 100, 0],
            "gross_profit": [300.0, 150, -50, 40, 0],
            "margin_pct": [0.3, 0.3, -0.1, 0.4, NAN],
            "tier": ["key", "growth", "review", "key", "inactive"],
        }
    )


@pytest.fixture
def ax():
    _, axes = plt.subplots()
    return axes


def test_pareto_plot(screened, ax):
    assert plots.pareto_plot(screened, ax=ax) is ax
    # Sales curve, gross-profit curve, two reference lines, the 80 % point.
    assert len(ax.get_lines()) == 5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "sales",
        "gross profit",
        "20%/80% reference",
    ]
    assert [t.get_text() for t in ax.texts] == ["75% of customers make 80% of sales"]
    assert ax.get_xlabel() == "share of customers (ranked by sales)"


def test_pareto_plot_without_cost_draws_one_curve(screened, ax):
    plots.pareto_plot(screened.drop(columns="gross_profit"), ax=ax)
    assert len(ax.get_lines()) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sales", "20%/80% reference"]


def test_pareto_plot_uses_current_axes_by_default(screened):
    plt.figure()
    current = plt.gca()
    assert plots.pareto_plot(screened) is current


def test_whale_plot(screened, ax):
    assert plots.whale_plot(screened, ax=ax) is ax
    # Curve, total line, peak marker.
    assert len(ax.get_lines()) == 3
    assert ax.texts[0].get_text() == "peak: 75% of customers\nmake 490 (111% of the total)"
    assert ax.yaxis.get_major_formatter()(12345.0) == "12,345"
    assert ax.get_ylabel() == "cumulative gross profit"


def test_whale_plot_prefers_contribution(screened, ax):
    plots.whale_plot(screened.assign(contribution=[200.0, -50, -60, 30, NAN]), ax=ax)
    assert ax.get_ylabel() == "cumulative contribution"


def test_whale_plot_without_cost(screened, ax):
    plots.whale_plot(screened.assign(gross_profit=NAN), ax=ax)
    assert [t.get_text() for t in ax.texts] == ["gross profit not available"]
    assert not ax.get_lines()


def test_quadrant_plot(screened, ax):
    assert plots.quadrant_plot(screened, ax=ax) is ax
    # The lost customer has no sales: four points in three tiers, key drawn last.
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [c.get_label() for c in scatters] == ["growth", "review", "key"]
    assert sum(len(c.get_offsets()) for c in scatters) == 4
    # Growth and review differ by shape too (grey-scale print); the legend's points are one size.
    shapes = [c.get_paths()[0].vertices.round(6).tobytes() for c in scatters]
    assert len(set(shapes)) == 3
    legend_sizes = {float(h.get_sizes()[0]) for h in ax.get_legend().legend_handles}
    assert legend_sizes == {plots.LEGEND_POINT_SIZE}
    assert sorted(t.get_text() for t in ax.texts) == ["Wolf", "Zinc"]
    assert len(ax.get_lines()) == 2  # median lines
    assert ax.get_xscale() == "log"
    assert ax.xaxis.get_major_formatter()(10000.0) == "10,000"


def test_quadrant_plot_without_margin(screened, ax):
    plots.quadrant_plot(screened.assign(margin_pct=NAN), ax=ax)
    assert [t.get_text() for t in ax.texts] == ["margin not available"]


@pytest.fixture
def transitions() -> pd.DataFrame:
    previous = pd.Series({"A": "key", "B": "key", "C": "growth", "D": "maintain", "E": "key"})
    current = pd.Series({"A": "key", "B": "review", "C": "key", "D": "maintain", "F": "growth"})
    return tier_transitions(previous, current)


def test_transition_heatmap(transitions, ax):
    assert plots.transition_heatmap(transitions, ax=ax) is ax
    # Non-empty rows: key, growth, maintain, new; columns: key, growth, maintain, review, lost.
    assert len(ax.texts) == 4 * 5
    assert [t.get_text() for t in ax.get_yticklabels()] == ["key", "growth", "maintain", "new"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["key", "growth", "maintain", "review", "lost"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("current screening", "previous screening")


def test_tier_flow_plot(transitions, ax):
    assert plots.tier_flow_plot(transitions, ax=ax) is ax
    bands = [p for p in ax.patches if isinstance(p, PathPatch)]
    blocks = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bands) == int((transitions.to_numpy() > 0).sum()) == 6
    assert len(blocks) == 4 + 5
    labels = {t.get_text() for t in ax.texts}
    assert {"key (3)", "new (1)", "lost (1)", "previous", "current"} <= labels
    # Left blocks, top to bottom: key 3, growth 1, maintain 1, new 1 of 6 customers.
    left = [b.get_height() for b in blocks if b.get_x() == 0.0]
    scale = (1 - 0.02 * 3) / 6
    assert left == pytest.approx([3 * scale, scale, scale, scale])


def test_sensitivity_plot(ax):
    sensitivity = pd.DataFrame(
        {
            "customer_id": ["S", "P", "Q"],
            "name": ["Steady", "Pick", "Queue"],
            "share_key": [1.0, 0.6, 0.4],
            "label": ["stable key", "key, depends on weights", "near the list"],
        }
    )
    assert plots.sensitivity_plot(sensitivity, ax=ax) is ax
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [b.get_width() for b in bars] == [1.0, 0.6, 0.4]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Steady", "Pick", "Queue"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "stable key",
        "key, depends on weights",
        "near the list",
    ]


def test_empty_inputs_draw_a_message(ax):
    plots.sensitivity_plot(pd.DataFrame(columns=["customer_id", "share_key", "label"]), ax=ax)
    assert [t.get_text() for t in ax.texts] == ["no key accounts"]


def test_tier_colours_cover_every_tier():
    from kamtools.stages.screening import TIERS

    assert set(TIERS) | {"new", "lost"} == set(figures.TIER_COLOURS)


def test_plots_do_not_change_their_data(screened, transitions):
    before = screened.copy(deep=True)
    before_transitions = transitions.copy(deep=True)
    _, axes = plt.subplots(1, 4)
    plots.pareto_plot(screened, ax=axes[0])
    plots.whale_plot(screened, ax=axes[1])
    plots.quadrant_plot(screened, ax=axes[2])
    plots.tier_flow_plot(transitions, ax=axes[3])
    pd.testing.assert_frame_equal(screened, before)
    pd.testing.assert_frame_equal(transitions, before_transitions)
