"""Charts of the screening, seaborn-style: data first, options keyword-only, ``ax`` in and out.

Each function draws on the Axes it is given (the current one when ``ax`` is None) and returns
it, so a notebook can lay several charts out on one figure and a report can save them. Shared
helpers (colours, money axes, the no-data note) come from :mod:`kamtools.figures`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import PercentFormatter

from kamtools.analytics.concentration import pareto_share, pareto_table, whale_curve
from kamtools.figures import (
    OTHER_COLOUR,
    REFERENCE_STYLE,
    TIER_COLOURS,
    axes_or_current,
    column_label,
    currency_formatter,
    money_formatter,
    no_data,
    spread_positions,
    tier_colour,
)
from kamtools.stages.screening.settings import TIERS

__all__ = [
    "LABEL_COLOURS",
    "pareto_plot",
    "quadrant_plot",
    "sensitivity_plot",
    "tier_flow_plot",
    "transition_heatmap",
    "whale_plot",
]

LABEL_COLOURS: dict[str, str] = {
    "stable key": TIER_COLOURS["key"],
    "key, depends on weights": "#5b9bd5",
    "key by override": "#7f7f7f",
    "near the list": "#e69f00",
}
"""Colours of the labels of :func:`kamtools.stages.screening.movement.weight_sensitivity`."""

TIER_MARKERS: dict[str, str] = {"growth": "^", "at_risk": "D", "review": "X"}
"""Point shapes of the tiers a reader must find among the many "maintain" circles: the tier
colours alone (the reds of "at risk" and "review") merge in a grey-scale print."""
LEGEND_POINT_SIZE = 40.0


def pareto_plot(
    data: pd.DataFrame,
    *,
    value: str = "sales",
    second: str | None = "gross_profit",
    target: float = 0.8,
    ax: Axes | None = None,
) -> Axes:
    """Pareto curves: cumulative share of sales (and gross profit) against share of customers.

    Customers are ranked by ``value`` (largest first); the ``second`` curve accumulates its own
    column along the same ranking, so it shows how much of the profit the biggest customers
    bring (it can exceed 100 % when small customers lose money). Dashed lines mark the 80/20
    reference; the point where ``target`` of ``value`` is reached is annotated.

    Parameters
    ----------
    data : pandas.DataFrame
        Customer metrics (``customer_id``, ``value``, optionally ``second`` and ``status``).
    value, second : str
        Columns to accumulate; ``second=None`` (or a column without data) draws one curve.
    target : float
        Share of ``value`` to annotate (0.8).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_current(ax)
    table = pareto_table(data, value=value)
    if table.empty or table["cumulative_share"].isna().all():
        return no_data(ax, f"no positive {column_label(value)}")
    x = np.r_[0.0, table["customer_share"].to_numpy()]
    ax.plot(
        x,
        np.r_[0.0, table["cumulative_share"].to_numpy()],
        color=TIER_COLOURS["key"],
        label=column_label(value),
    )
    if second and second in data.columns:
        ranked = data.set_index("customer_id")[second].reindex(table["customer_id"]).to_numpy(dtype="float64")
        total = np.nansum(ranked)
        if np.isfinite(ranked).any() and total > 0:
            cumulative = np.r_[0.0, np.nancumsum(ranked) / total]
            ax.plot(x, cumulative, color=TIER_COLOURS["growth"], label=column_label(second))
    ax.axhline(target, **REFERENCE_STYLE)
    ax.axvline(1 - target, **REFERENCE_STYLE, label=f"{1 - target:.0%}/{target:.0%} reference")
    share = pareto_share(data, value=value, target=target)
    if np.isfinite(share):
        ax.plot([share], [target], marker="o", color=TIER_COLOURS["key"], linestyle="none")
        ax.annotate(
            f"{share:.0%} of customers make {target:.0%} of {column_label(value)}",
            xy=(share, target),
            xytext=(share + 0.05, target - 0.15),
            arrowprops={"arrowstyle": "->", "color": "#333333"},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"share of customers (ranked by {column_label(value)})")
    ax.set_ylabel("cumulative share")
    ax.legend(loc="lower right")
    return ax


def whale_plot(
    data: pd.DataFrame, *, value: str | None = None, currency: str | None = None, ax: Axes | None = None
) -> Axes:
    """Whale curve: cumulative profit of customers ranked from most to least profitable.

    The peak is marked and annotated; the horizontal line is the total profit, so the height
    of the hump above it is the profit that loss-making customers give away.

    Parameters
    ----------
    data : pandas.DataFrame
        Customer metrics with ``customer_id`` and ``value``.
    value : str, optional
        "gross_profit" or "contribution"; by default contribution (after cost to serve) when
        the data have it, else gross profit.
    currency : str, optional
        ISO code: the money axis and the annotation show it ("€1.5m"); plain numbers without.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_current(ax)
    money = currency_formatter(currency) if currency else money_formatter
    if value is None:
        has_contribution = "contribution" in data.columns and data["contribution"].notna().any()
        value = "contribution" if has_contribution else "gross_profit"
    if value not in data.columns or data[value].notna().sum() == 0:
        return no_data(ax, f"{column_label(value)} not available")
    curve = whale_curve(data, value=value)
    if curve.empty:
        return no_data(ax, f"no {column_label(value)}")
    x = np.r_[0.0, curve["customer_share"].to_numpy()]
    y = np.r_[0.0, curve["cumulative_value"].to_numpy()]
    total = y[-1]
    ax.plot(x, y, color=TIER_COLOURS["key"], label=f"cumulative {column_label(value)}")
    ax.axhline(total, **REFERENCE_STYLE, label="total")
    peak = curve[curve["is_peak"]].iloc[0]
    ax.plot([peak["customer_share"]], [peak["cumulative_value"]], marker="o", color=TIER_COLOURS["review"])
    share_of_total = f" ({peak['cumulative_value'] / total:.0%} of the total)" if total > 0 else ""
    text = f"peak: {peak['customer_share']:.0%} of customers\nmake {money(peak['cumulative_value'])}"
    ax.annotate(
        text + share_of_total,
        xy=(peak["customer_share"], peak["cumulative_value"]),
        xytext=(0.55, 0.35),
        textcoords="axes fraction",
        ha="center",
        arrowprops={"arrowstyle": "->", "color": "#333333"},
    )
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(money)
    ax.set_xlabel(f"share of customers (ranked by {column_label(value)})")
    ax.set_ylabel(f"cumulative {column_label(value)}")
    ax.legend(loc="lower right")
    return ax


def _tier_name(tier: object) -> str:
    """A tier as charts write it: "at_risk" reads "at risk"."""
    return str(tier).replace("_", " ")


def _label_beside(ax: Axes, points: pd.DataFrame, x: str, y: str, names: pd.Series) -> None:
    """Write ``names`` in a column right of the axes, each joined to its point by a thin line.

    The labels are spread so that they never overlap however close the points are.
    """
    if points.empty:
        return
    ax.set_xlim(*ax.get_xlim())  # fix the autoscaled limits before measuring where points are
    ax.set_ylim(*ax.get_ylim())
    to_axes = ax.transAxes.inverted()
    pairs = zip(points[x], points[y], strict=True)
    heights = [to_axes.transform(ax.transData.transform((px, py)))[1] for px, py in pairs]
    placed = spread_positions(heights, gap=0.075, low=0.02, high=0.98)
    for (_, row), text, height in zip(points.iterrows(), names, placed, strict=True):
        ax.annotate(
            str(text),
            xy=(row[x], row[y]),
            xytext=(1.03, height),
            textcoords="axes fraction",
            va="center",
            fontsize=10,
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "#7f7f7f", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 3},
        )


def quadrant_plot(
    data: pd.DataFrame,
    *,
    x: str = "sales",
    y: str = "margin_pct",
    size: str | None = "gross_profit",
    tier: str = "tier",
    label: str = "name",
    highlight: str = "key",
    max_labels: int = 8,
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Sales against margin, one point per customer, with median lines as quadrants.

    Sales are on a log axis; points are sized by gross profit (loss-making customers get the
    smallest size) and coloured by tier; customers of the ``highlight`` tier are outlined and
    the ``max_labels`` largest are named in a column right of the chart, each joined to its
    point by a line, so names never overlap. Only customers with positive sales and a known
    margin are drawn.

    Parameters
    ----------
    data : pandas.DataFrame
        Screened customers: ``x``, ``y``, and optionally ``size``, ``tier``, ``label``.
    x, y, size, tier, label : str
        Columns for position, point size, colour and name.
    highlight : str
        Tier whose customers are labelled.
    max_labels : int
        Most names written.
    currency : str, optional
        ISO code shown on the sales axis ("€10k").
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_current(ax)
    frame = data[(data[x] > 0) & data[y].notna()] if y in data.columns else data.iloc[0:0]
    if frame.empty:
        return no_data(ax, f"{column_label(y)} not available")
    tiers = frame[tier].astype("str") if tier in frame.columns else pd.Series("maintain", index=frame.index)
    if size and size in frame.columns and frame[size].notna().any():
        weight = frame[size].fillna(0).clip(lower=0).to_numpy(dtype="float64")
        top = weight.max()
        sizes = 15 + 285 * np.sqrt(weight / top) if top > 0 else np.full(len(frame), 40.0)
    else:
        sizes = np.full(len(frame), 40.0)
    order = [t for t in TIERS if t != highlight and t in set(tiers)] + sorted(set(tiers) - set(TIERS))
    order += [highlight] if highlight in set(tiers) else []
    for name in order:
        mask = (tiers == name).to_numpy()
        edge = "black" if name == highlight else "white"
        ax.scatter(
            frame.loc[mask, x],
            frame.loc[mask, y],
            s=sizes[mask],
            color=tier_colour(name),
            marker=TIER_MARKERS.get(name, "o"),
            edgecolors=edge,
            linewidths=0.6,
            alpha=0.8,
            label=name,
        )
    ax.set_xscale("log")
    ax.axvline(frame[x].median(), **REFERENCE_STYLE)
    ax.axhline(frame[y].median(), **REFERENCE_STYLE)
    chosen = frame[(tiers == highlight).to_numpy()].nlargest(max_labels, x)
    names = chosen[label] if label in chosen.columns else chosen["customer_id"]
    ax.xaxis.set_major_formatter(currency_formatter(currency) if currency else money_formatter)
    _label_beside(ax, chosen, x, y, names)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"{column_label(x)} (log scale)")
    ax.set_ylabel(f"{column_label(y)} %" if y.endswith("_pct") else column_label(y))
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.legend(handles, [_tier_name(t) for t in labels], title="tier", loc="lower left")
    for handle in legend.legend_handles:  # one size for all: a tier's first point may be tiny
        handle.set_sizes([LEGEND_POINT_SIZE])
    return ax


def transition_heatmap(
    transitions: pd.DataFrame, *, drop_empty: bool = True, cmap: str = "Blues", ax: Axes | None = None
) -> Axes:
    """Heatmap of the tier transition matrix, counts written in the cells.

    Parameters
    ----------
    transitions : pandas.DataFrame
        Output of :func:`kamtools.stages.screening.movement.tier_transitions`.
    drop_empty : bool
        Leave out rows and columns without any customer.
    cmap : str
        Colour map.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_current(ax)
    matrix = transitions
    if drop_empty:
        matrix = matrix.loc[matrix.sum(axis=1) > 0, matrix.sum(axis=0) > 0]
    if matrix.empty:
        return no_data(ax, "no customers in either screening")
    readable = matrix.rename(index=_tier_name, columns=_tier_name)
    sns.heatmap(readable, annot=True, fmt=",d", cmap=cmap, cbar=False, linewidths=0.5, ax=ax)
    ax.set_xlabel("current screening")
    ax.set_ylabel("previous screening")
    ax.tick_params(axis="y", rotation=0)
    return ax


def _band(x0: float, x1: float, top0: float, bottom0: float, top1: float, bottom1: float) -> Path:
    """A band from the slice [bottom0, top0] at x0 to [bottom1, top1] at x1, with S-shaped edges."""
    mid = (x0 + x1) / 2
    vertices = [
        (x0, top0),
        (mid, top0),
        (mid, top1),
        (x1, top1),
        (x1, bottom1),
        (mid, bottom1),
        (mid, bottom0),
        (x0, bottom0),
        (x0, top0),
    ]
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    return Path(vertices, codes)


def tier_flow_plot(
    transitions: pd.DataFrame,
    *,
    gap: float = 0.02,
    width: float = 0.06,
    fontsize: float = 11,
    ax: Axes | None = None,
) -> Axes:
    """Alluvial flow from the previous tiers (left) to the current tiers (right).

    Each tier is a block whose height is proportional to its customers; each band joins a
    previous tier to a current one with a width proportional to the customers that moved
    that way, coloured as the tier they came from.

    Parameters
    ----------
    transitions : pandas.DataFrame
        Output of :func:`kamtools.stages.screening.movement.tier_transitions`.
    gap : float
        Vertical space between blocks, as a share of the height.
    width : float
        Width of the blocks, as a share of the width.
    fontsize : float
        Size of the tier labels (body text size by default); labels of thin blocks are spread
        apart so they never overlap.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Draws one :class:`~matplotlib.patches.Rectangle` per non-empty tier on each side and one
        :class:`~matplotlib.patches.PathPatch` per non-empty transition.
    """
    ax = axes_or_current(ax)
    counts = transitions.loc[transitions.sum(axis=1) > 0, transitions.sum(axis=0) > 0]
    total = float(counts.to_numpy().sum())
    if total == 0:
        return no_data(ax, "no customers in either screening")
    left_x, right_x = 0.0, 1.0 - width

    def blocks(totals: pd.Series) -> dict[str, float]:
        scale = (1 - gap * (len(totals) - 1)) / total
        tops, top = {}, 1.0
        for name, value in totals.items():
            tops[name] = top
            top -= value * scale + gap
        return tops

    scale_left = (1 - gap * (len(counts.index) - 1)) / total
    scale_right = (1 - gap * (len(counts.columns) - 1)) / total
    left_tops = blocks(counts.sum(axis=1))
    right_tops = blocks(counts.sum(axis=0))
    for side, tops, scale, x, align, offset in (
        ("left", left_tops, scale_left, left_x, "right", -0.01),
        ("right", right_tops, scale_right, right_x, "left", width + 0.01),
    ):
        sizes = counts.sum(axis=1) if side == "left" else counts.sum(axis=0)
        centres = [top - sizes[name] * scale / 2 for name, top in tops.items()]
        placed = spread_positions(centres, gap=0.06, low=0.0, high=1.0)
        for (name, top), centre, label_y in zip(tops.items(), centres, placed, strict=True):
            height = sizes[name] * scale
            ax.add_patch(
                Rectangle((x, top - height), width, height, color=tier_colour(str(name)), linewidth=0)
            )
            label = f"{_tier_name(name)} ({sizes[name]:,})"
            ax.text(x + offset, label_y, label, ha=align, va="center", fontsize=fontsize)
            if abs(label_y - centre) > 1e-9:
                ax.plot(
                    [x + offset * 0.3, x + offset * 0.8], [centre, label_y], color="#7f7f7f", linewidth=0.6
                )
    left_cursor = dict(left_tops)
    right_cursor = dict(right_tops)
    for source in counts.index:
        for target in counts.columns:
            n = counts.loc[source, target]
            if n <= 0:
                continue
            top0, top1 = left_cursor[source], right_cursor[target]
            bottom0, bottom1 = top0 - n * scale_left, top1 - n * scale_right
            path = _band(left_x + width, right_x, top0, bottom0, top1, bottom1)
            ax.add_patch(PathPatch(path, facecolor=tier_colour(str(source)), alpha=0.45, edgecolor="none"))
            left_cursor[source], right_cursor[target] = bottom0, bottom1
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_axis_off()
    ax.text(
        left_x + width / 2, 1.04, "previous", ha="center", va="bottom", fontweight="bold", fontsize=fontsize
    )
    ax.text(
        right_x + width / 2, 1.04, "current", ha="center", va="bottom", fontweight="bold", fontsize=fontsize
    )
    return ax


def sensitivity_plot(sensitivity: pd.DataFrame, *, max_customers: int = 40, ax: Axes | None = None) -> Axes:
    """Share of weight variants that keep each customer key, coloured by its robustness label.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        Output of :func:`kamtools.stages.screening.movement.weight_sensitivity`.
    max_customers : int
        Most customers shown (most stable first).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar per customer shown.
    """
    ax = axes_or_current(ax)
    if sensitivity.empty:
        return no_data(ax, "no key accounts")
    shown = sensitivity.head(max_customers)
    names = (shown["name"] if "name" in shown.columns else shown["customer_id"]).astype("str").to_numpy()
    positions = np.arange(len(shown))
    colours = [LABEL_COLOURS.get(label, OTHER_COLOUR) for label in shown["label"]]
    ax.barh(positions, shown["share_key"], color=colours)
    ax.set_yticks(positions, labels=names, fontsize=10 if len(shown) <= 40 else 8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of weight variants where the customer is key")
    present = [label for label in LABEL_COLOURS if label in set(shown["label"])]
    handles = [Rectangle((0, 0), 1, 1, color=LABEL_COLOURS[label]) for label in present]
    ax.legend(handles, present, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
