"""Charts of the plan development report (seaborn style: data first, ``ax`` in, ``Axes`` out).

* :func:`plan_by_stage_plot`: last period, plan and stretch per stage, in money;
* :func:`growth_by_account_plot`: the accounts that carry the planned growth;
* :func:`team_load_plot`: each member's running actions per month, overloads marked;
* :func:`action_timeline_plot`: a Gantt-like timeline of the actions, one lane per action.

Money axes carry the currency in their label and thousands separators on the ticks
(:mod:`kamtools.figures`); titles are left to the caller, who states the message.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kamtools.figures import (
    OTHER_COLOUR,
    TIER_COLOURS,
    axes_or_current,
    currency_formatter,
    money_value_axis,
    no_data,
)
from kamtools.formatting import MINUS
from kamtools.stages.planning.market import require_columns

__all__ = [
    "action_timeline_plot",
    "growth_by_account_plot",
    "money_ticks",
    "plan_by_stage_plot",
    "team_load_plot",
    "timeline_height",
]

FOCUS = TIER_COLOURS["key"]
STRETCH = "#9ecae1"
BASELINE = "#b0b7bf"
OVERLOAD = "#c0392b"
SUPPORT_PALETTE = ("#1f4e79", "#e69f00", "#2e8b57", "#8c564b", "#7f7f7f", "#56b4e9", "#cc79a7", "#d55e00")


def money_ticks(currency: str) -> FuncFormatter:
    """Tick labels in the currency, compact ("€1.2m", "€250k"), so long axes never crowd."""
    return currency_formatter(currency, minus=MINUS)


STATUS_COLOURS = {"planned": FOCUS, "in progress": "#e69f00", "done": "#2e8b57", "dropped": "#d5d8dc"}


def plan_by_stage_plot(
    goals: pd.DataFrame, *, currency: str, metric: str = "sales", ax: Axes | None = None
) -> Axes:
    """Last period, plan goal and stretch goal per stage, summed over the accounts.

    Parameters
    ----------
    goals : pandas.DataFrame
        ``plan_goals``: ``stage``, ``metric``, ``baseline``, ``plan``, ``stretch``.
    currency : str
        ISO code written in the axis label.
    metric : str
        A money metric, "sales" or "gross_profit".
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.
    """
    ax = axes_or_current(ax)
    require_columns(goals, ("stage", "metric", "baseline", "plan", "stretch"), "plan_goals")
    rows = goals.loc[goals["metric"] == metric]
    if rows.empty or rows[["baseline", "plan"]].isna().all().all():
        return no_data(ax, f"No {metric.replace('_', ' ')} goals to show.")
    totals = rows.groupby("stage", sort=False)[["baseline", "plan", "stretch"]].sum(min_count=1)
    x = np.arange(len(totals))
    width = 0.27
    ax.bar(x - width, totals["baseline"], width, color=BASELINE, label="Last period")
    ax.bar(x, totals["plan"], width, color=FOCUS, label="Plan")
    ax.bar(
        x + width, totals["stretch"], width, color=STRETCH, label="Stretch", edgecolor=FOCUS, linewidth=0.6
    )
    ax.set_xticks(x, totals.index)
    ax.set_xlabel("")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)
    label = f"{metric.replace('_', ' ').capitalize()} ({currency})"
    return money_value_axis(ax, label, formatter=money_ticks(currency))


def growth_by_account_plot(
    goals: pd.DataFrame,
    *,
    names: pd.Series,
    currency: str,
    top: int = 12,
    ax: Axes | None = None,
) -> Axes:
    """Planned sales growth (plan minus last period) of the accounts carrying most of it.

    Parameters
    ----------
    goals : pandas.DataFrame
        ``plan_goals``: ``customer_id``, ``metric``, ``baseline``, ``plan``.
    names : pandas.Series
        Account name by ``customer_id`` (the bar labels).
    currency : str
        ISO code written in the axis label.
    top : int
        Accounts shown, largest growth first; the rest are summed in one grey bar.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    """
    ax = axes_or_current(ax)
    require_columns(goals, ("customer_id", "metric", "baseline", "plan"), "plan_goals")
    sales = goals.loc[goals["metric"] == "sales"].groupby("customer_id")[["baseline", "plan"]].sum()
    growth = (sales["plan"] - sales["baseline"]).sort_values(ascending=False)
    if growth.empty:
        return no_data(ax, "No sales goals to show.")
    shown = growth.head(top)
    labels = [_short(str(names.get(cid, cid))) for cid in shown.index]
    values = list(shown.to_numpy())
    colours = [FOCUS] * len(shown)
    rest = growth.iloc[top:]
    if len(rest):
        labels.append(f"{len(rest)} other accounts")
        values.append(float(rest.sum()))
        colours.append(OTHER_COLOUR)
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, color=colours)
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.set_major_formatter(money_ticks(currency))
    ax.set_xlabel(f"Planned sales growth on last period ({currency})")
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    return ax


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def team_load_plot(load: pd.DataFrame, *, ceiling: int, ax: Axes | None = None) -> Axes:
    """Actions each member runs per month, with the accounts they carry; overloads in red.

    Parameters
    ----------
    load : pandas.DataFrame
        :func:`~kamtools.stages.planning.load.team_load`: ``member``, ``month``, ``accounts``,
        ``actions``, ``overloaded``.
    ceiling : int
        The accounts ceiling, named in the row labels of members above it.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    """
    ax = axes_or_current(ax)
    require_columns(load, ("member", "month", "accounts", "actions", "overloaded"), "team_load")
    if load.empty:
        return no_data(ax, "No team member carries an account or an action.")
    actions = load.pivot(index="member", columns="month", values="actions")
    over = load.pivot(index="member", columns="month", values="overloaded").astype(bool)
    peak = load.groupby("member")["accounts"].max().reindex(actions.index)
    order = peak.sort_values(ascending=False, kind="stable").index
    actions, over, peak = actions.loc[order], over.loc[order], peak.loc[order]
    ax.imshow(
        actions.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=max(4, actions.max().max())
    )
    for (i, j), value in np.ndenumerate(actions.to_numpy()):
        flagged = over.iloc[i, j]
        ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=8,
                color=OVERLOAD if flagged else ("white" if value >= 3 else "#222222"),
                fontweight="bold" if flagged else "normal")  # fmt: skip
    labels = [
        f"{member} ({int(n)} accounts{', over ' + str(ceiling) if n > ceiling else ''})"
        for member, n in peak.items()
    ]
    ax.set_yticks(range(len(order)), labels)
    for tick, n in zip(ax.get_yticklabels(), peak, strict=True):
        if n > ceiling:
            tick.set_color(OVERLOAD)
    months = [pd.Period(m).strftime("%b %y") for m in actions.columns]
    ax.set_xticks(range(len(months)), months, rotation=45, ha="right")
    ax.set_xlabel("")
    ax.grid(False)
    return ax


def _lanes(starts: list[pd.Timestamp], ends: list[pd.Timestamp]) -> list[int]:
    """Greedy lane per bar so that bars in one lane never overlap (input in start order)."""
    lane_end: list[pd.Timestamp] = []
    out = []
    for start, end in zip(starts, ends, strict=True):
        for i, last in enumerate(lane_end):
            if start > last:
                lane_end[i] = end
                out.append(i)
                break
        else:
            lane_end.append(end)
            out.append(len(lane_end) - 1)
    return out


def _timeline_layout(actions: pd.DataFrame, by: str) -> pd.DataFrame:
    """Each action with its row group, lane and y position (groups apart by half a lane)."""
    data = actions.assign(
        start=pd.to_datetime(actions["start"]),
        due=pd.to_datetime(actions["due"]),
        row_group=actions[by].fillna("").astype(str).replace("", "(no owner yet)"),
    ).sort_values(["row_group", "start", "due"], kind="stable")
    parts, y = [], 0.0
    for _, rows in data.groupby("row_group", sort=True):
        lanes = _lanes(list(rows["start"]), list(rows["due"]))
        parts.append(
            rows.assign(row_lane=lanes, row_y=[y + lane for lane in lanes], row_centre=y + max(lanes) / 2)
        )
        y += max(lanes) + 1.5
    return pd.concat(parts)


def timeline_height(actions: pd.DataFrame, *, by: str = "owner") -> float:
    """Inches of figure height :func:`action_timeline_plot` needs for readable bars."""
    if actions.empty:
        return 1.5
    layout = _timeline_layout(actions, by)
    return float(np.clip(0.9 + 0.16 * (layout["row_y"].max() + 1), 1.6, 11.0))


def action_timeline_plot(
    actions: pd.DataFrame,
    *,
    by: str = "owner",
    colour_by: str = "support",
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A Gantt-like timeline of actions: one row per ``by`` value, bars from start to due.

    Parameters
    ----------
    actions : pandas.DataFrame
        ``plan_actions``: ``start``, ``due``, the ``by`` and the ``colour_by`` columns.
    by : str
        Rows: "owner" for the portfolio (a member's actions that overlap in time get lanes of
        their own, so no bar hides another), "title" for one account.
    colour_by : str
        "support" (one colour per offering, named in the legend) or "status".
    period : tuple of pandas.Timestamp, optional
        The plan period: the time axis spans it.
    ax : matplotlib.axes.Axes, optional
        Where to draw; size the figure with :func:`timeline_height`.
    """
    ax = axes_or_current(ax)
    require_columns(actions, ("start", "due", by, colour_by), "plan_actions")
    if actions.empty:
        return no_data(ax, "No actions are planned.")
    layout = _timeline_layout(actions, by)
    if colour_by == "status":
        colours = dict(STATUS_COLOURS)
    else:
        kinds = sorted(layout[colour_by].fillna("").astype(str).unique())
        colours = {k: SUPPORT_PALETTE[i % len(SUPPORT_PALETTE)] for i, k in enumerate(kinds)}
    for row in layout.itertuples(index=False):
        kind = str(getattr(row, colour_by))
        ax.barh(
            row.row_y,
            (row.due - row.start).days + 1,
            left=mdates.date2num(row.start),
            height=0.75,
            color=colours.get(kind, OTHER_COLOUR),
        )
    centres = layout.drop_duplicates("row_group")
    ax.set_yticks(list(centres["row_centre"]), [_short(str(v), 40) for v in centres["row_group"]])
    ax.set_ylim(layout["row_y"].max() + 0.8, -0.8)
    if period is not None:
        ax.set_xlim(
            mdates.date2num(pd.Timestamp(period[0])),
            mdates.date2num(pd.Timestamp(period[1]) + pd.Timedelta(days=1)),
        )
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonthday=1, interval=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
    ax.set_xlabel("")
    ax.grid(axis="y", visible=False)
    present = [k for k in colours if k in set(layout[colour_by].astype(str))]
    if by == "title" and colour_by == "support":
        return ax  # each row is named already: a legend would repeat the labels
    ax.legend(
        handles=[Patch(color=colours[k], label=k) for k in present],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 if len(layout) > 6 else -0.25),
        ncol=min(4, len(present)),
        frameon=False,
    )
    return ax
