"""Charts of the needs analysis, seaborn-style: data first, options keyword-only, ``ax`` in and out.

- :func:`needs_heatmap`: every key account × every indicator, the portfolio at a glance;
- :func:`needs_radar`: one account's workshop indicators against the key-account average;
- :func:`profit_waterfall`: sales → gross profit → each cost to serve → contribution.

These draw on a matplotlib ``ax`` (for JupyterLab and the workshop). The report draws the same
charts as plain SVG (:func:`heatmap_svg`, :func:`account_charts_svg`): one chart per key account
through matplotlib would cost about a second each, as SVG a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from textwrap import shorten, wrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_hex

from kamtools.figures import (
    OTHER_COLOUR,
    TIER_COLOURS,
    axes_or_current,
    money_value_axis,
    no_data,
)
from kamtools.formatting import MINUS, money_text, number_text, percent_text
from kamtools.stages.needs.indicators import _require
from kamtools.stages.needs.profit import waterfall_steps
from kamtools.stages.needs.settings import LOWER_IS_BETTER, indicator_label

__all__ = [
    "SCORE_COLOURS",
    "account_charts_svg",
    "heatmap_svg",
    "needs_heatmap",
    "needs_radar",
    "profit_waterfall",
    "show_svg",
]

SCORE_COLOURS = LinearSegmentedColormap.from_list("kam_scores", ["#c0392b", "#f4f1ea", "#1f4e79"])
"""Weak (red) through middling (pale) to strong (blue): readable in grey-scale print too."""
ACCOUNT_COLOUR = TIER_COLOURS["key"]
COST_COLOUR = "#c0392b"
GAIN_COLOUR = "#2e8b57"


def _cell_text(value: float, unit: str, currency: str) -> str:
    if pd.isna(value):
        return "–"
    if unit == "share":
        return percent_text(value, minus=MINUS)
    if unit == "money":
        return money_text(value, currency).replace("-", MINUS)
    return number_text(value, 1)


def _heatmap_matrices(
    data: pd.DataFrame, order: Sequence[str] | None
) -> tuple[list[str], list[str], pd.DataFrame, pd.DataFrame, pd.Series]:
    """Rows, columns, values, colour levels (1 to 5) and units of the portfolio heatmap."""
    ids = list(order) if order is not None else list(dict.fromkeys(data["customer_id"]))
    indicators = list(dict.fromkeys(data["indicator"]))
    table = data.pivot_table(
        index="customer_id", columns="indicator", values="score", aggfunc="first", dropna=False
    )
    table = table.reindex(index=ids, columns=indicators)
    units = data.drop_duplicates("indicator").set_index("indicator")["unit"]
    colour = table.copy()
    for indicator in indicators:
        if units[indicator] != "points":
            values = table[indicator] if indicator not in LOWER_IS_BETTER else -table[indicator]
            n = int(values.count())
            standing = (values.rank(method="average") - 1) / (n - 1) if n > 1 else values * 0 + 0.5
            colour[indicator] = 1 + 4 * standing
    return ids, indicators, table, colour, units


def needs_heatmap(
    data: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    currency: str = "EUR",
    label_width: int = 34,
    ax: Axes | None = None,
) -> Axes:
    """Key accounts (rows) × indicators (columns), coloured from weak to strong.

    Workshop indicators are coloured by their score (1 to 5), hard indicators by the account's
    standing among the key accounts (the weakest red, the strongest blue; lower cost to serve
    is stronger); every cell shows its value, "–" where nobody scored it.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`kamtools.stages.needs.indicators.scorecard` (``customer_id``, ``name``,
        ``indicator``, ``unit``, ``score``).
    order : sequence of str, optional
        Customer ids top to bottom (the report's priority order); default scorecard order.
    currency : str
        Currency of the sales column's values.
    label_width : int
        Account names longer than this are shortened.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current Axes).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _require(data, ["customer_id", "name", "indicator", "unit", "score"], "scorecard")
    ax = axes_or_current(ax)
    if data.empty:
        return no_data(ax, "No key accounts to show")
    ids, indicators, table, colour, units = _heatmap_matrices(data, order)
    ax.imshow(colour.to_numpy(dtype=float), cmap=SCORE_COLOURS, vmin=1, vmax=5, aspect="auto")
    for row in range(len(ids)):
        for column, indicator in enumerate(indicators):
            shade = colour.iloc[row, column]
            dark = not pd.isna(shade) and (shade <= 1.6 or shade >= 4.4)
            ax.text(
                column,
                row,
                _cell_text(table.iloc[row, column], units[indicator], currency),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else "#222222",
            )
    names = data.drop_duplicates("customer_id").set_index("customer_id")["name"]
    ax.set_yticks(
        range(len(ids)),
        [f"{i}. {shorten(str(names[c]), label_width, placeholder='…')}" for i, c in enumerate(ids, 1)],
    )
    ax.set_xticks(
        range(len(indicators)), [indicator_label(i).split(" (")[0] for i in indicators], fontsize=10
    )
    ax.xaxis.tick_top()
    for label in ax.get_xticklabels():
        label.set(rotation=35, ha="left", rotation_mode="anchor")
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="y", labelsize=10)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    hard = [i for i, name in enumerate(indicators) if units[name] != "points"]
    if hard:
        ax.axvline(hard[0] - 0.5, color="white", linewidth=3)
    return ax


def needs_radar(
    data: pd.DataFrame,
    *,
    customer_id: str,
    ax: Axes,
    title: str | None = None,
) -> Axes:
    """One account's workshop indicators against the key-account average, on a spider chart.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`kamtools.stages.needs.indicators.scorecard`; its 1-to-5 indicators are drawn.
    customer_id : str
        The account.
    ax : matplotlib.axes.Axes
        A polar Axes (``subplot_kw={"projection": "polar"}``).
    title : str, optional
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        Indicators nobody scored for this account are left out of its line (the average still
        shows them); an account without any score gets a note instead.
    """
    _require(data, ["customer_id", "indicator", "unit", "score", "portfolio_average"], "scorecard")
    rows = data[(data["customer_id"] == customer_id) & (data["unit"] == "points")]
    if title:
        ax.set_title(title, fontsize=10, loc="center", pad=14)
    if rows.empty or rows["score"].isna().all():
        ax.set_axis_off()
        ax.text(
            0.5, 0.5, "Not scored yet", ha="center", va="center", transform=ax.transAxes, color=OTHER_COLOUR
        )
        return ax
    angles = np.linspace(0, 2 * np.pi, len(rows), endpoint=False)
    closed = np.append(angles, angles[0])
    average = np.append(rows["portfolio_average"].to_numpy(), rows["portfolio_average"].iloc[0])
    score = np.append(rows["score"].to_numpy(), rows["score"].iloc[0])
    ax.plot(closed, average, color=OTHER_COLOUR, linestyle="--", linewidth=1.2, label="Key-account average")
    ax.plot(closed, score, color=ACCOUNT_COLOUR, linewidth=2, marker="o", markersize=4, label="This account")
    ax.fill(closed, np.nan_to_num(score, nan=0), color=ACCOUNT_COLOUR, alpha=0.12)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=7, color=OTHER_COLOUR)
    ax.set_xticks(
        angles,
        ["\n".join(wrap(indicator_label(i).split(" (")[0], 12)) for i in rows["indicator"]],
        fontsize=8,
    )
    ax.tick_params(axis="x", pad=6)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8, frameon=False)
    return ax


def profit_waterfall(
    row: pd.Series,
    *,
    currency: str,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """One account's profit from sales to contribution, each cost to serve a step down.

    Parameters
    ----------
    row : pandas.Series
        One row of :func:`kamtools.stages.needs.profit.account_profit`.
    currency : str
        Currency of the axis and the bar labels.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current Axes).
    title : str, optional
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        Totals dark, costs red, a positive contribution green (a negative one red); every bar
        labelled with its amount. Without a gross profit (no cost of goods) a note instead.
    """
    ax = axes_or_current(ax)
    if title:
        ax.set_title(title, fontsize=10)
    if pd.isna(row.get("gross_profit")):
        return no_data(ax, "No cost of goods: gross profit and contribution not computed")
    steps = waterfall_steps(row.to_dict())
    colours = []
    for step, kind, value in zip(steps["step"], steps["kind"], steps["value"], strict=True):
        if kind == "cost":
            colours.append(COST_COLOUR)
        elif step == "Contribution":
            colours.append(GAIN_COLOUR if value >= 0 else COST_COLOUR)
        else:
            colours.append(ACCOUNT_COLOUR)
    low = steps[["start", "end"]].min(axis=1)
    height = (steps["end"] - steps["start"]).abs()
    x = np.arange(len(steps))
    ax.bar(x, height, bottom=low, color=colours, width=0.65)
    top = float(steps[["start", "end"]].to_numpy().max())
    floor = min(0.0, float(steps[["start", "end"]].to_numpy().min()))
    span = max(top - floor, 1.0)
    for xi, value, high in zip(x, steps["value"], steps[["start", "end"]].max(axis=1), strict=True):
        text = money_text(value, currency).replace("-", MINUS)
        ax.text(xi, high + span * 0.015, text, ha="center", va="bottom", fontsize=8)
    ax.set_ylim(floor - (span * 0.05 if floor < 0 else 0), top + span * 0.12)
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_xticks(x, ["\n".join(wrap(s, 11)) for s in steps["step"]], fontsize=8)
    return money_value_axis(ax, f"Amount ({currency})")


# --------------------------------------------------------------------------------------------
# Account charts as SVG. A report shows one radar and one waterfall per key account; drawn by
# matplotlib that is about a second per account, drawn here as plain SVG it is a millisecond,
# which keeps the stage within its time budget. The shapes match needs_radar and profit_waterfall.

SVG_FONT = "font-family:Helvetica,Arial,sans-serif"


def _xml(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** np.floor(np.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _svg_text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "middle", **style: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_xml(v)}"' for k, v in style.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{_xml(text)}</text>'
    )


def radar_svg_parts(
    data: pd.DataFrame, *, customer_id: str, centre: tuple[float, float], radius: float
) -> list[str]:
    """SVG elements of one account's spider chart (see :func:`needs_radar`)."""
    rows = data[(data["customer_id"] == customer_id) & (data["unit"] == "points")]
    cx, cy = centre
    if rows.empty:
        return [_svg_text(cx, cy, "No indicators to show", size=12, fill=OTHER_COLOUR)]
    n = len(rows)
    angles = np.pi / 2 - np.arange(n) * 2 * np.pi / n

    def point(value: float, angle: float) -> tuple[float, float]:
        r = radius * value / 5
        return cx + r * np.cos(angle), cy - r * np.sin(angle)

    parts = []
    for ring in range(1, 6):
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(ring, a) for a in angles))
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#d9d9d9" stroke-width="1"/>')
        x, y = point(ring, np.pi / 2)
        parts.append(_svg_text(x + 3, y + 3, str(ring), size=11, anchor="start", fill=OTHER_COLOUR))
    for angle, indicator in zip(angles, rows["indicator"], strict=True):
        x, y = point(5, angle)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d9d9d9"/>')
        lx, ly = point(5.55, angle)
        anchor = "middle" if abs(np.cos(angle)) < 0.2 else ("start" if np.cos(angle) > 0 else "end")
        lines = wrap(indicator_label(indicator).split(" (")[0], 14)
        for k, line in enumerate(lines):
            offset = (k - (len(lines) - 1) / 2) * 14 + 4
            parts.append(_svg_text(lx, ly + offset, line, size=13, anchor=anchor, fill="#333333"))
    average = " ".join(
        f"{x:.1f},{y:.1f}"
        for x, y in (
            point(v, a) for v, a in zip(rows["portfolio_average"], angles, strict=True) if not pd.isna(v)
        )
    )
    parts.append(
        f'<polygon points="{average}" fill="none" stroke="{OTHER_COLOUR}"'
        ' stroke-width="1.5" stroke-dasharray="5,3"/>'
    )
    scored = [(v, a) for v, a in zip(rows["score"], angles, strict=True) if not pd.isna(v)]
    if len(scored) < 3:
        # One or two points make no shape: say so over the key-account average.
        parts.append(
            f'<rect x="{cx - 105:.1f}" y="{cy - 14:.1f}" width="210" height="24" fill="white" opacity="0.9"/>'
        )
        parts.append(_svg_text(cx, cy + 3, "Not scored in a workshop yet", size=12, fill="#333333"))
        return parts
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(v, a) for v, a in scored))
    parts.append(
        f'<polygon points="{shape}" fill="{ACCOUNT_COLOUR}" fill-opacity="0.12"'
        f' stroke="{ACCOUNT_COLOUR}" stroke-width="2"/>'
    )
    parts += [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCOUNT_COLOUR}"/>'
        for x, y in (point(v, a) for v, a in scored)
    ]
    return parts


def waterfall_svg_parts(
    row: pd.Series, *, currency: str, origin: tuple[float, float], size: tuple[float, float]
) -> list[str]:
    """SVG elements of one account's profit waterfall, one bar per row (see :func:`profit_waterfall`).

    Bars run left to right, one step per row, so that every step keeps its label and its
    amount however many cost components there are.
    """
    left, top = origin
    width, height = size
    if pd.isna(row.get("gross_profit")):
        message = "No cost of goods: contribution not computed"
        return [_svg_text(left + width / 2, top + height / 2, message, size=13, fill=OTHER_COLOUR)]
    steps = waterfall_steps(row.to_dict())
    label_width, value_width, axis_height = 118.0, 74.0, 34.0
    plot_left, plot_width = left + label_width, width - label_width - value_width
    low = min(0.0, float(steps[["start", "end"]].to_numpy().min()))
    high = float(steps[["start", "end"]].to_numpy().max())
    step = _nice_step(high - low, ticks=3)
    floor, ceiling = np.floor(low / step) * step, np.ceil(high / step) * step
    row_height = (height - axis_height) / len(steps)

    def x(value: float) -> float:
        return plot_left + plot_width * (value - floor) / (ceiling - floor)

    parts = []
    axis_y = top + len(steps) * row_height
    for tick in np.arange(floor, ceiling + step / 2, step):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top:.1f}" x2="{x(tick):.1f}" y2="{axis_y:.1f}" stroke="#e6e6e6"/>'
        )
        tick_text = money_text(tick, currency).replace("-", MINUS)
        parts.append(_svg_text(x(tick), axis_y + 15, tick_text, size=12, fill="#555555"))
    parts.append(
        _svg_text(plot_left + plot_width / 2, axis_y + 31, f"Amount ({currency})", size=12, fill="#555555")
    )
    parts.append(f'<line x1="{x(0):.1f}" y1="{top:.1f}" x2="{x(0):.1f}" y2="{axis_y:.1f}" stroke="#555555"/>')
    for i, record in enumerate(steps.to_dict("records")):
        if record["kind"] == "cost" or (record["step"] == "Contribution" and record["value"] < 0):
            colour = COST_COLOUR
        else:
            colour = GAIN_COLOUR if record["step"] == "Contribution" else ACCOUNT_COLOUR
        y = top + i * row_height
        lower, upper = min(record["start"], record["end"]), max(record["start"], record["end"])
        bar_width = max(x(upper) - x(lower), 1.5)
        parts.append(
            f'<rect x="{x(lower):.1f}" y="{y + row_height * 0.18:.1f}" width="{bar_width:.1f}"'
            f' height="{row_height * 0.64:.1f}" fill="{colour}"/>'
        )
        middle = y + row_height / 2 + 4
        parts.append(_svg_text(plot_left - 8, middle, record["step"], size=12, anchor="end", fill="#333333"))
        amount = money_text(record["value"], currency).replace("-", MINUS)
        parts.append(_svg_text(x(upper) + 5, middle, amount, size=12, anchor="start", fill="#222222"))
    return parts


def account_charts_svg(
    scorecard: pd.DataFrame, profit_row: pd.Series, *, customer_id: str, currency: str
) -> str:
    """One account's spider chart (left) and profit waterfall (right) as one SVG picture.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`kamtools.stages.needs.indicators.scorecard`.
    profit_row : pandas.Series
        The account's row of :func:`kamtools.stages.needs.profit.account_profit`.
    customer_id : str
        The account.
    currency : str
        Currency of the waterfall.

    Returns
    -------
    str
        A self-contained SVG document (no scripts, no external references), 900 × 290 units;
        every text is escaped.
    """
    width, height = 900, 290
    radar = radar_svg_parts(scorecard, customer_id=customer_id, centre=(190, 140), radius=86)
    legend = [
        f'<line x1="70" y1="279" x2="95" y2="279" stroke="{ACCOUNT_COLOUR}" stroke-width="2"/>',
        _svg_text(100, 284, "This account", size=13, anchor="start"),
        f'<line x1="200" y1="279" x2="225" y2="279" stroke="{OTHER_COLOUR}"'
        ' stroke-width="1.5" stroke-dasharray="5,3"/>',
        _svg_text(230, 284, "Key-account average", size=13, anchor="start"),
    ]
    waterfall = waterfall_svg_parts(profit_row, currency=currency, origin=(400, 8), size=(495, 280))
    body = "".join([*radar, *legend, *waterfall])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}"'
        f' style="{SVG_FONT}"><rect width="{width}" height="{height}" fill="white"/>{body}</svg>'
    )


def show_svg(svg: str, *, caption: str) -> None:
    """Show an SVG picture in the notebook with a caption for the report (it numbers it)."""
    from IPython.display import display

    display({"image/svg+xml": svg}, raw=True, metadata={"image/svg+xml": {"caption": caption}})


def heatmap_svg(
    data: pd.DataFrame, *, order: Sequence[str] | None = None, currency: str = "EUR", label_width: int = 34
) -> str:
    """The portfolio heatmap (see :func:`needs_heatmap`) as plain SVG, in a few milliseconds.

    Same rows, columns, colours and cell labels as :func:`needs_heatmap`; drawn directly so the
    report's largest chart costs no matplotlib layout pass. Every text is escaped.
    """
    _require(data, ["customer_id", "name", "indicator", "unit", "score"], "scorecard")
    if data.empty:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 40" width="400" height="40">'
            + _svg_text(200, 25, "No key accounts to show", size=13, fill=OTHER_COLOUR)
            + "</svg>"
        )
    ids, indicators, table, colour, units = _heatmap_matrices(data, order)
    names = data.drop_duplicates("customer_id").set_index("customer_id")["name"]
    label_px, cell_w, cell_h, header = 250.0, 49.0, 22.0, 118.0
    hard_gap = 6.0
    first_hard = next((i for i, name in enumerate(indicators) if units[name] != "points"), len(indicators))
    width = label_px + cell_w * len(indicators) + hard_gap + 40
    height = header + cell_h * len(ids) + 6

    def left(column: int) -> float:
        return label_px + cell_w * column + (hard_gap if column >= first_hard else 0.0)

    parts = [f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    for column, indicator in enumerate(indicators):
        x, y = left(column) + cell_w / 2 - 4, header - 8
        label = _xml(indicator_label(indicator).split(" (")[0])
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" transform="rotate(-35 {x:.1f} {y:.1f})"'
            f' fill="#333333">{label}</text>'
        )
    for row, cid in enumerate(ids):
        y = header + row * cell_h
        name = f"{row + 1}. {shorten(str(names[cid]), label_width, placeholder='…')}"
        parts.append(_svg_text(label_px - 6, y + cell_h / 2 + 4, name, size=12, anchor="end", fill="#222222"))
        for column, indicator in enumerate(indicators):
            level = colour.iloc[row, column]
            fill = "#ffffff" if pd.isna(level) else to_hex(SCORE_COLOURS((float(level) - 1) / 4))
            x = left(column)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}"'
                f' height="{cell_h - 1:.1f}" fill="{fill}"/>'
            )
            dark = not pd.isna(level) and (level <= 1.6 or level >= 4.4)
            text = _cell_text(table.iloc[row, column], units[indicator], currency)
            parts.append(
                _svg_text(
                    x + cell_w / 2, y + cell_h / 2 + 4, text, size=11, fill="white" if dark else "#222222"
                )
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}"'
        f' width="{width:.0f}" height="{height:.0f}" style="{SVG_FONT}">{"".join(parts)}</svg>'
    )
