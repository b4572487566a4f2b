"""Charts of the post-period review, seaborn-style: data first, options keyword-only, Axes out.

* :func:`bridge_waterfall`: the revenue bridge from last period's sales to this period's;
* :func:`attainment_bullets`: one bullet per account (actual against plan and stretch);
* :func:`satisfaction_bars`: diverging stacked bars of the five answers per question or account;
* :func:`retention_curves`: the share of each cohort still buying, year by year.

Money axes name the currency; labels are placed so that they never overlap (one per bar, in
columns of their own).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from kamtools.figures import (
    OTHER_COLOUR,
    REFERENCE_STYLE,
    TIER_COLOURS,
    axes_or_current,
    money_value_axis,
    no_data,
)
from kamtools.formatting import currency_code, money_text, percent_text
from kamtools.stages.review.satisfaction import LABELS_BY_CODE

__all__ = ["attainment_bullets", "bridge_waterfall", "retention_curves", "satisfaction_bars"]

GAIN_COLOUR = "#2e8b57"
LOSS_COLOUR = "#c0392b"
TOTAL_COLOUR = TIER_COLOURS["key"]
# Worst to best: dark red, light red, grey, light blue, dark blue (grey-scale safe: lightness differs).
SCALE_COLOURS = ("#a93226", "#e6a19a", "#d5d8dc", "#9ec3e6", "#1f4e79")
_STEP_LABELS = {
    "new": "New\ncustomers",
    "lost": "Lost\ncustomers",
    "growth": "Kept:\ngrowth",
    "decline": "Kept:\ndecline",
    "other": "Returns\nonly",
}


def bridge_waterfall(
    steps: pd.DataFrame, *, currency: str, previous_label: str, current_label: str, ax: Axes | None = None
) -> Axes:
    """Waterfall of a revenue bridge: last period's total, the components, this period's total.

    Parameters
    ----------
    steps : pandas.DataFrame
        :func:`kamtools.analytics.bridges.bridge_steps` for one bridge (``step``, ``amount``).
    currency : str
        ISO code named on the money axis and in the bar labels.
    previous_label, current_label : str
        Names of the two totals (e.g. "Sales 2025").
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_current(ax)
    if steps.empty:
        return no_data(ax, "No sales in either period.")
    amounts = steps.set_index("step")["amount"]
    parts = [s for s in ("new", "lost", "growth", "decline", "other") if s in amounts and amounts[s] != 0]
    labels = [previous_label, *[_STEP_LABELS[s] for s in parts], current_label]
    values = [amounts["previous"], *[amounts[s] for s in parts], amounts["current"]]
    bottoms, level = [], amounts["previous"]
    for i, value in enumerate(values):
        if i in (0, len(values) - 1):
            bottoms.append(0.0)
            continue
        bottoms.append(level if value >= 0 else level + value)
        level += value
    heights = [abs(v) if 0 < i < len(values) - 1 else v for i, v in enumerate(values)]
    colours = [TOTAL_COLOUR] + [GAIN_COLOUR if v >= 0 else LOSS_COLOUR for v in values[1:-1]] + [TOTAL_COLOUR]
    x = np.arange(len(values))
    ax.bar(x, heights, bottom=bottoms, color=colours, width=0.62)
    top = max(b + h for b, h in zip(bottoms, heights, strict=True))
    for i, (bottom, height, value) in enumerate(zip(bottoms, heights, values, strict=True)):
        text = money_text(value, currency)
        if 0 < i < len(values) - 1 and value > 0:
            text = "+" + text
        ax.text(i, bottom + height + top * 0.015, text, ha="center", va="bottom", fontsize=10)
    ax.set_xticks(x, labels, fontsize=10)
    ax.set_ylim(0, top * 1.12)
    return money_value_axis(ax, f"Net sales ({currency_code(currency)})")


def attainment_bullets(
    per_account: pd.DataFrame,
    *,
    names: pd.Series,
    currency: str,
    metric: str = "sales",
    max_accounts: int = 40,
    ax: Axes | None = None,
) -> Axes:
    """One bullet per account: actual as a share of plan, the plan at 100 %, the stretch goal marked.

    Accounts are sorted by attainment, furthest behind at the top; the money (actual of plan)
    stands in a column to the right of each bar, so labels never overlap.

    Parameters
    ----------
    per_account : pandas.DataFrame
        :func:`kamtools.stages.review.attainment.account_attainment`.
    names : pandas.Series
        Account name by customer id.
    currency : str
    metric : str
        ``sales`` or ``gross_profit``.
    max_accounts : int
        Most accounts drawn (the furthest behind first).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_current(ax)
    rows = per_account[(per_account["metric"] == metric) & per_account["attainment"].notna()]
    if rows.empty:
        return no_data(ax, "No plan goals with actual figures.")
    rows = rows.sort_values("attainment", kind="stable").head(max_accounts).iloc[::-1]
    y = np.arange(len(rows))
    stretch = (rows["stretch"] / rows["plan"]).to_numpy()
    reached = rows["attainment"].to_numpy()
    ax.barh(y, np.maximum(stretch, 1.0), color="#eef1f4", height=0.8)
    ax.barh(y, np.ones(len(rows)), color="#d5d8dc", height=0.8)
    colours = [GAIN_COLOUR if a >= 1 else LOSS_COLOUR if a < 0.9 else OTHER_COLOUR for a in reached]
    ax.barh(y, reached, color=colours, height=0.36)
    ax.scatter(stretch, y, marker="|", s=160, color="#34495e", zorder=3)
    ax.axvline(1.0, **REFERENCE_STYLE)
    limit = max(1.3, float(np.nanmax(np.r_[stretch, reached])) * 1.05)
    ax.set_xlim(0, limit)
    label = [str(names.get(c, c)) for c in rows["customer_id"]]
    ax.set_yticks(y, [t if len(t) <= 30 else t[:29] + "…" for t in label], fontsize=10)
    for yi, row in zip(y, rows.itertuples(), strict=True):
        ax.text(
            1.01,
            yi,
            f"{money_text(row.actual, currency)} of {money_text(row.plan, currency)}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=10,
        )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(
        f"{metric.replace('_', ' ').capitalize()} as a share of plan (dashed line: plan; tick: stretch goal)"
    )
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="y", visible=False)
    return ax


def satisfaction_bars(
    distribution: pd.DataFrame,
    *,
    label: str = "dimension",
    value: str = "share",
    ax: Axes | None = None,
) -> Axes:
    """Diverging stacked bars of the five answers: dissatisfied to the left, satisfied to the right.

    "No opinion" is split evenly around zero. With ``value="share"`` rows whose shares are hidden
    (too few answers) are left out; ``value="count"`` draws answer counts, for small groups such
    as one account.

    Parameters
    ----------
    distribution : pandas.DataFrame
        :func:`kamtools.stages.review.satisfaction.satisfaction_distribution`.
    label : str
        Column naming each bar (``dimension``, or a name column); with several waves the wave is
        added to the label.
    value : str
        ``share`` or ``count``.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_current(ax)
    labels = [LABELS_BY_CODE[c] for c in range(1, 6)]
    columns = [f"share_{n}" for n in labels] if value == "share" else labels
    data = distribution.dropna(subset=columns) if value == "share" else distribution
    if data.empty:
        return no_data(ax, "Too few answers to show shares.")
    several = data["wave"].nunique() > 1
    names = [
        f"{str(r[label]).replace('_', ' ')} ({r['wave']})" if several else str(r[label]).replace("_", " ")
        for _, r in data.iterrows()
    ]
    values = data[columns].to_numpy(dtype=float)
    left = -(values[:, 0] + values[:, 1] + values[:, 2] / 2)
    y = np.arange(len(data))[::-1]
    for k in range(5):
        ax.barh(y, values[:, k], left=left, color=SCALE_COLOURS[k], height=0.7, label=labels[k])
        left = left + values[:, k]
    ax.axvline(0, color="#34495e", linewidth=0.8)
    ax.set_yticks(y, [t if len(t) <= 34 else t[:33] + "…" for t in names], fontsize=10)
    if value == "share":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: percent_text(abs(v))))
        ax.set_xlabel("Share of answers (dissatisfied to the left, satisfied to the right)")
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):.0f}"))
        ax.set_xlabel("Answers (dissatisfied to the left, satisfied to the right)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=10, frameon=False)
    ax.grid(axis="y", visible=False)
    return ax


def retention_curves(cohorts: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The share of each cohort still buying in each later year.

    The first cohort of the data mixes long-standing and new customers (it is left-censored) and
    is drawn dashed.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        :func:`kamtools.analytics.cohorts.cohort_retention`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_current(ax)
    if cohorts.empty:
        return no_data(ax, "No customers to follow.")
    palette = ["#1f4e79", "#2e8b57", "#e69f00", "#8e44ad", "#5d6d7e", "#c0392b"]
    for i, (cohort, group) in enumerate(cohorts.groupby("cohort", sort=True)):
        censored = bool(group["left_censored"].iloc[0])
        name = f"customers in {cohort}" if censored else f"new in {cohort}"
        ax.plot(
            group["years_since"],
            group["retention"],
            marker="o",
            color=palette[i % len(palette)],
            linestyle="--" if censored else "-",
            label=f"{name} ({int(group['cohort_size'].iloc[0]):,})",
        )
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks(sorted(cohorts["years_since"].unique()))
    ax.set_xlabel("Years after the first purchase year")
    ax.set_ylabel("Share still buying")
    ax.legend(loc="lower left", fontsize=10, frameon=False)
    return ax
