"""Plan against actual: per key account and stage, sales, gross profit and share of wallet.

The plan (stage 3) sets, per key account, stage (``Q1`` .. ``Q4`` of the period, or ``H1``,
``H2``, ``FY``) and metric, a ``baseline`` (the same stage of the period before), a ``plan`` goal
and a ``stretch`` goal. This module measures the period's actual figures against them, splits
the sales variance into volume, price and mix, and the gross-profit variance into a sales and a
margin effect, reads the action tracker (done, late, dropped) and relates action completion to
results. Every function is pure: the frames given are never changed.

Column names follow the stage hand-over contract: goals ``customer_id, stage, metric, baseline,
plan, stretch``; actions ``action_id, customer_id, title, support, owner, counterpart, start,
due, expected_effect, status``; tracker actions ``action_id, status, actual_start, actual_done,
note``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kamtools.analytics.bridges import price_volume_mix
from kamtools.analytics.correlation import spearman
from kamtools.contract import require_columns
from kamtools.periods import period_bounds

__all__ = [
    "ACTION_OUTCOMES",
    "ACTION_STATUSES",
    "ATTAINMENT_STATUSES",
    "METRICS",
    "account_attainment",
    "action_outcomes",
    "actuals_by_stage",
    "attainment",
    "completion_by_account",
    "completion_vs_results",
    "gross_profit_variance",
    "portfolio_attainment",
    "sales_variance",
    "stage_window",
]

METRICS = ("sales", "gross_profit", "share_of_wallet")
"""The metrics a plan sets goals for."""

ATTAINMENT_STATUSES = ("stretch reached", "ahead", "on plan", "behind")
"""Where an actual figure stands against its goals, best first."""

ACTION_STATUSES = {
    "planned": "planned",
    "not started": "planned",
    "open": "planned",
    "in progress": "in progress",
    "started": "in progress",
    "ongoing": "in progress",
    "done": "done",
    "completed": "done",
    "complete": "done",
    "finished": "done",
    "dropped": "dropped",
    "cancelled": "dropped",
    "canceled": "dropped",
}
"""Tracker status words (lower case) and the status each stands for."""

ACTION_OUTCOMES = ("done", "done late", "late", "dropped", "open")
"""How an action ended by the review date: done by its due date (or without a recorded date),
done after it, overdue and not done, dropped, or not yet due."""

_GOAL_COLUMNS = ("customer_id", "stage", "metric", "baseline", "plan", "stretch")
_STAGE = re.compile(r"^(?:(Q)([1-4])|(H)([12])|(FY|YEAR))$")


def stage_window(stage: str, *, period: int, start_month: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a plan stage within a fiscal period.

    Parameters
    ----------
    stage : str
        ``Q1`` .. ``Q4`` (quarters of the fiscal year), ``H1`` / ``H2`` (halves) or ``FY`` (the
        whole period); case and surrounding spaces do not matter.
    period : int
        Fiscal period label.
    start_month : int
        First month of the fiscal year.

    Returns
    -------
    tuple of pandas.Timestamp
        Inclusive ``(start, end)``.

    Raises
    ------
    ValueError
        For any other stage name.
    """
    match = _STAGE.match(str(stage).strip().upper())
    if not match:
        raise ValueError(f"unknown plan stage {stage!r}: use Q1 to Q4, H1, H2 or FY")
    start, end = period_bounds(period, start_month=start_month)
    if match.group(5):
        return start, end
    months, index = (3, int(match.group(2))) if match.group(1) else (6, int(match.group(4)))
    first = start + pd.DateOffset(months=months * (index - 1))
    return first, first + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def _stage_months(stage: str) -> int:
    label = str(stage).strip().upper()
    return 3 if label.startswith("Q") else 6 if label.startswith("H") else 12


def _previous_window(window: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = window
    return start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)


def actuals_by_stage(
    lines: pd.DataFrame,
    goals: pd.DataFrame,
    *,
    period: int,
    start_month: int,
    market: pd.DataFrame | None = None,
    seasonal_profile: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The actual figures of each account and stage that the plan set goals for.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``; optional ``cost``.
    goals : pandas.DataFrame
        Plan goals (``customer_id``, ``stage``; other columns ignored).
    period, start_month : int
        The reviewed fiscal period and the first month of the fiscal year.
    market : pandas.DataFrame, optional
        ``customer_id``, ``wallet`` (yearly purchases in our categories, all suppliers).
    seasonal_profile : pandas.DataFrame, optional
        ``customer_id``, ``stage``, ``share``: the share of a year's wallet that falls in each
        stage, as the plan file's seasonal profile gives it; default months of the stage / 12.

    Returns
    -------
    pandas.DataFrame
        One row per account and stage: ``customer_id``, ``stage``, ``start``, ``end``, ``sales``,
        ``gross_profit`` (NaN without costs), ``wallet_share`` (the stage's share of the year),
        ``share_of_wallet`` = sales / (wallet x wallet_share) (NaN without a wallet) and
        ``previous_sales`` (same stage a year earlier).
    """
    require_columns(goals, ["customer_id", "stage"], "plan goals")
    require_columns(lines, ["invoice_date", "customer_id", "net_sales"], "invoice lines")
    pairs = goals[["customer_id", "stage"]].astype(str).drop_duplicates()
    lines = _account_lines(lines, pairs["customer_id"], ["invoice_date", "net_sales", "cost"])
    lines = lines.assign(invoice_date=pd.to_datetime(lines["invoice_date"]))
    wallet = pd.Series(dtype="float64")
    if market is not None and len(market):
        require_columns(market, ["customer_id", "wallet"], "market")
        wallet = market.assign(customer_id=market["customer_id"].astype(str)).set_index("customer_id")[
            "wallet"
        ]
    rows = [
        _stage_actuals(
            lines,
            pd.Index(pairs.loc[pairs["stage"] == stage, "customer_id"]),
            stage,
            window=stage_window(stage, period=period, start_month=start_month),
            wallet=wallet,
            seasonal_profile=seasonal_profile,
        )
        for stage in pairs["stage"].unique()
    ]
    if not rows:
        return pd.DataFrame(columns=list(ACTUAL_COLUMNS))
    frame = pd.concat(rows, ignore_index=True)
    return frame.sort_values(["customer_id", "start"], kind="stable").reset_index(drop=True)


ACTUAL_COLUMNS = (
    "customer_id",
    "stage",
    "start",
    "end",
    "sales",
    "gross_profit",
    "wallet_share",
    "share_of_wallet",
    "previous_sales",
)


def _account_lines(lines: pd.DataFrame, accounts: pd.Series, columns: list[str]) -> pd.DataFrame:
    """The invoice lines of ``accounts``, ``customer_id`` as text and those of ``columns`` present.

    The stages' windows are then cut from the plan's accounts' lines, not from every line of
    the dealer once per stage and sum; each stage still selects its own accounts from them.
    """
    customer_id = lines["customer_id"].astype(str)
    mine = customer_id.isin(pd.Index(accounts.unique()))
    kept = lines.loc[mine, [c for c in columns if c in lines.columns and c != "customer_id"]]
    return kept.assign(customer_id=customer_id[mine])


def _window_sum(lines: pd.DataFrame, values: pd.Series, window, accounts: pd.Index) -> pd.Series:
    inside = (lines["invoice_date"] >= window[0]) & (lines["invoice_date"] <= window[1])
    inside &= lines["customer_id"].isin(accounts)
    return values[inside].groupby(lines.loc[inside, "customer_id"]).sum().reindex(accounts, fill_value=0.0)


def _stage_actuals(lines, accounts: pd.Index, stage: str, *, window, wallet: pd.Series, seasonal_profile):
    """The actual figures of one stage for the accounts with goals in it (see actuals_by_stage)."""
    sales = _window_sum(lines, lines["net_sales"], window, accounts)
    previous = _window_sum(lines, lines["net_sales"], _previous_window(window), accounts)
    if "cost" in lines.columns:
        profit = _window_sum(lines, lines["net_sales"] - lines["cost"], window, accounts)
    else:
        profit = pd.Series(np.nan, index=accounts)
    fraction = pd.Series(_stage_months(stage) / 12, index=accounts)
    if seasonal_profile is not None and len(seasonal_profile):
        profile = seasonal_profile[seasonal_profile["stage"].astype(str) == stage]
        given = profile.assign(customer_id=profile["customer_id"].astype(str)).set_index("customer_id")[
            "share"
        ]
        fraction = given.reindex(accounts).astype("float64").fillna(fraction)
    stage_wallet = wallet.reindex(accounts) * fraction
    return pd.DataFrame(
        {
            "customer_id": accounts,
            "stage": stage,
            "start": window[0],
            "end": window[1],
            "sales": sales.round(2).to_numpy(),
            "gross_profit": profit.round(2).to_numpy(),
            "wallet_share": fraction.to_numpy(),
            "share_of_wallet": (sales / stage_wallet.where(stage_wallet > 0)).astype("float64").to_numpy(),
            "previous_sales": previous.round(2).to_numpy(),
        }
    )


def _status(actual: pd.Series, plan: pd.Series, stretch: pd.Series, tolerance: float) -> np.ndarray:
    return np.select(
        [
            stretch.notna() & (actual >= stretch),
            actual > plan * (1 + tolerance),
            actual >= plan * (1 - tolerance),
        ],
        ["stretch reached", "ahead", "on plan"],
        "behind",
    )


def attainment(goals: pd.DataFrame, actuals: pd.DataFrame, *, tolerance: float = 0.02) -> pd.DataFrame:
    """Each goal of the plan against its actual figure.

    Parameters
    ----------
    goals : pandas.DataFrame
        Plan goals: ``customer_id``, ``stage``, ``metric`` (``sales``, ``gross_profit``,
        ``share_of_wallet``), ``baseline``, ``plan``, ``stretch``.
    actuals : pandas.DataFrame
        :func:`actuals_by_stage`.
    tolerance : float
        Within this fraction of the plan a figure is "on plan".

    Returns
    -------
    pandas.DataFrame
        One row per goal: the goal's columns, ``actual``, ``variance`` (actual - plan),
        ``attainment`` (actual / plan; NaN for a plan of 0), ``to_stretch`` (stretch - actual,
        0 once reached) and ``status`` (one of :data:`ATTAINMENT_STATUSES`).
    """
    require_columns(goals, _GOAL_COLUMNS, "plan goals")
    unknown = sorted(set(goals["metric"].astype(str)) - set(METRICS))
    if unknown:
        raise ValueError(f"plan goals: unknown metric(s) {unknown}; allowed: {list(METRICS)}")
    long = actuals.melt(
        id_vars=["customer_id", "stage"], value_vars=list(METRICS), var_name="metric", value_name="actual"
    )
    frame = goals.assign(customer_id=goals["customer_id"].astype(str), stage=goals["stage"].astype(str))
    frame = frame.merge(long, on=["customer_id", "stage", "metric"], how="left")
    plan = frame["plan"].astype("float64")
    actual = frame["actual"].astype("float64")
    stretch = frame["stretch"].astype("float64")
    return frame.assign(
        actual=actual,
        variance=actual - plan,
        attainment=actual / plan.where(plan != 0),
        to_stretch=(stretch - actual).clip(lower=0),
        status=np.where(actual.isna(), "no data", _status(actual, plan, stretch, tolerance)),
    )


def account_attainment(
    goals: pd.DataFrame, actuals: pd.DataFrame, *, tolerance: float = 0.02
) -> pd.DataFrame:
    """Each account's whole-period figures against the sum of its stage goals.

    Sales and gross profit add up over the stages; share of wallet is the mean of the stages'
    shares weighted by each stage's share of the year (``wallet_share`` of the actuals), which is
    the year's sales over the year's wallet.

    Returns
    -------
    pandas.DataFrame
        One row per account and metric: ``customer_id``, ``metric``, ``baseline``, ``plan``,
        ``stretch``, ``actual``, ``variance``, ``attainment``, ``to_stretch``, ``status``.
    """
    rows = attainment(goals, actuals, tolerance=tolerance)
    fractions = actuals.set_index(["customer_id", "stage"])["wallet_share"]
    keys = pd.MultiIndex.from_frame(rows[["customer_id", "stage"]])
    weight = pd.Series(fractions.reindex(keys).to_numpy(), index=rows.index)
    weight = weight.fillna(rows["stage"].map(_stage_months) / 12)
    share = rows["metric"] == "share_of_wallet"
    values = ["baseline", "plan", "stretch", "actual"]
    weighted = rows[values].astype("float64").mul(np.where(share, weight, 1.0), axis=0)
    totals = (
        weighted.assign(customer_id=rows["customer_id"], metric=rows["metric"])
        .groupby(["customer_id", "metric"], sort=True)[values]
        .sum(min_count=1)
    )
    if share.any():
        total_weight = weight[share].groupby(rows.loc[share, "customer_id"]).sum()
        mask = totals.index.get_level_values("metric") == "share_of_wallet"
        scale = total_weight.reindex(totals.index.get_level_values("customer_id")[mask]).to_numpy()
        totals.loc[mask, values] = totals.loc[mask, values].to_numpy() / scale[:, None]
    totals = totals.reset_index()
    plan, actual, stretch = totals["plan"], totals["actual"], totals["stretch"]
    return totals.assign(
        variance=actual - plan,
        attainment=actual / plan.where(plan != 0),
        to_stretch=(stretch - actual).clip(lower=0),
        status=np.where(actual.isna(), "no data", _status(actual, plan, stretch, tolerance)),
    )


def portfolio_attainment(per_account: pd.DataFrame) -> pd.DataFrame:
    """All key accounts together: total plan, stretch and actual per metric, and the count by status.

    Parameters
    ----------
    per_account : pandas.DataFrame
        :func:`account_attainment`.

    Returns
    -------
    pandas.DataFrame
        One row per money metric (``sales``, ``gross_profit``): ``metric``, ``accounts``,
        ``baseline``, ``plan``, ``stretch``, ``actual``, ``variance``, ``attainment`` and one
        count column per status of :data:`ATTAINMENT_STATUSES` (``stretch reached`` ... ``behind``).
    """
    money = per_account[per_account["metric"].isin(["sales", "gross_profit"])]
    rows = []
    for metric, group in money.groupby("metric", sort=False):
        plan = float(group["plan"].sum())
        actual = float(group["actual"].sum())
        row = {
            "metric": metric,
            "accounts": len(group),
            "baseline": float(group["baseline"].sum()),
            "plan": plan,
            "stretch": float(group["stretch"].sum()),
            "actual": actual,
            "variance": actual - plan,
            "attainment": actual / plan if plan else np.nan,
        }
        row.update({status: int((group["status"] == status).sum()) for status in ATTAINMENT_STATUSES})
        rows.append(row)
    order = {"sales": 0, "gross_profit": 1}
    frame = pd.DataFrame(
        rows,
        columns=[
            "metric",
            "accounts",
            "baseline",
            "plan",
            "stretch",
            "actual",
            "variance",
            "attainment",
            *ATTAINMENT_STATUSES,
        ],
    )
    return frame.sort_values("metric", key=lambda s: s.map(order)).reset_index(drop=True)


def _cents(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype="float64") * 100).astype("int64")


def sales_variance(
    lines: pd.DataFrame,
    goals: pd.DataFrame,
    *,
    period: int,
    start_month: int,
    item: str = "product",
) -> pd.DataFrame:
    """The sales variance against plan of each account and stage, split into volume, mix and price.

    The plan is read as last period's business (the same stage a year earlier) grown in volume
    at last period's prices and product mix. So against the plan:

    * volume = the volume effect since last period (see
      :func:`kamtools.analytics.bridges.price_volume_mix`) minus the growth the plan asked for;
    * mix and price = the mix and price effects since last period (the plan assumed none).

    The three add up to actual minus plan to the cent. Without quantities in the invoice lines
    the split is not available and only the variance is given.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``; ``quantity`` and
        ``item`` for the split.
    goals : pandas.DataFrame
        Plan goals; the ``sales`` rows are used.
    period, start_month : int
        The reviewed period and the fiscal year's first month.
    item : str
        What has a price: ``product`` (default) or ``category``.

    Returns
    -------
    pandas.DataFrame
        One row per account and stage: ``customer_id``, ``stage``, ``plan``, ``actual``,
        ``previous`` (same stage last period), ``variance``, ``volume``, ``mix``, ``price``
        (NaN without quantities) and ``split_available``.
    """
    require_columns(goals, _GOAL_COLUMNS, "plan goals")
    sales_goals = goals[goals["metric"] == "sales"].assign(
        customer_id=lambda g: g["customer_id"].astype(str), stage=lambda g: g["stage"].astype(str)
    )
    has_units = {"quantity", item} <= set(lines.columns)
    columns = ["invoice_date", "net_sales", *(["quantity", item] if has_units else [])]
    account_lines = _account_lines(lines, sales_goals["customer_id"], columns)
    parts = [
        _stage_variance(
            account_lines,
            group,
            stage=stage,
            window=stage_window(stage, period=period, start_month=start_month),
            item=item if has_units else None,
        )
        for stage, group in sales_goals.groupby("stage", sort=False)
    ]
    if not parts:
        return pd.DataFrame(columns=_VARIANCE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[_VARIANCE_COLUMNS]


_VARIANCE_COLUMNS = [
    "customer_id",
    "stage",
    "plan",
    "actual",
    "previous",
    "variance",
    "volume",
    "mix",
    "price",
    "split_available",
]
"""The columns of :func:`sales_variance`."""


def _stage_variance(
    lines: pd.DataFrame,
    group: pd.DataFrame,
    *,
    stage: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    item: str | None,
) -> pd.DataFrame:
    """One stage's rows of :func:`sales_variance`: ``group`` holds its sales goals.

    ``item`` is what has a price, or None without quantities (then only the variance is split
    off: volume, mix and price are NaN).
    """
    accounts = pd.Index(group["customer_id"])
    subset = lines[lines["customer_id"].astype(str).isin(accounts)]
    if item is not None:
        split = price_volume_mix(subset, previous=_previous_window(window), current=window, item=item)
    else:
        split = price_volume_mix(
            subset.assign(_item="all", _units=0.0),
            previous=_previous_window(window),
            current=window,
            item="_item",
            quantity="_units",
        )
    split = split.set_index("customer_id").reindex(accounts).fillna(0.0)
    plan = _cents(group.set_index("customer_id")["plan"].reindex(accounts))
    planned_growth = plan - _cents(split["previous"])
    volume = _cents(split["volume"]) - planned_growth
    mix = _cents(split["mix"])
    variance = _cents(split["current"]) - plan
    price = variance - volume - mix
    has_units = item is not None
    return pd.DataFrame(
        {
            "customer_id": accounts,
            "stage": stage,
            "plan": plan / 100,
            "actual": split["current"].to_numpy(),
            "previous": split["previous"].to_numpy(),
            "variance": variance / 100,
            "volume": volume / 100 if has_units else np.nan,
            "mix": mix / 100 if has_units else np.nan,
            "price": price / 100 if has_units else np.nan,
            "split_available": has_units,
        }
    )


def gross_profit_variance(goals: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """The gross-profit variance against plan split into a sales effect and a margin effect.

    With planned sales ``Sp`` and margin ``mp`` = planned gross profit / ``Sp``, actual sales
    ``Sa`` and margin ``ma``: sales effect = (Sa - Sp) x mp (more or less business at the planned
    margin), margin effect = Sa x (ma - mp) (the margin earned on what was sold). Rounded to the
    cent, the margin effect takes the remainder so that the two add up to the variance exactly.

    Parameters
    ----------
    goals : pandas.DataFrame
        Plan goals with ``sales`` and ``gross_profit`` rows for the same account and stage.
    actuals : pandas.DataFrame
        :func:`actuals_by_stage`.

    Returns
    -------
    pandas.DataFrame
        One row per account and stage with both goals: ``customer_id``, ``stage``, ``plan``
        (gross profit), ``actual``, ``variance``, ``sales_effect``, ``margin_effect``,
        ``planned_margin``, ``actual_margin``.
    """
    require_columns(goals, _GOAL_COLUMNS, "plan goals")
    frame = goals.assign(customer_id=goals["customer_id"].astype(str), stage=goals["stage"].astype(str))
    wide = frame.pivot_table(index=["customer_id", "stage"], columns="metric", values="plan", aggfunc="sum")
    columns = [
        "customer_id",
        "stage",
        "plan",
        "actual",
        "variance",
        "sales_effect",
        "margin_effect",
        "planned_margin",
        "actual_margin",
    ]
    if not {"sales", "gross_profit"} <= set(wide.columns):
        return pd.DataFrame(columns=columns)
    wide = wide.dropna(subset=["sales", "gross_profit"])
    actual = actuals.set_index(["customer_id", "stage"])[["sales", "gross_profit"]].reindex(wide.index)
    planned_margin = wide["gross_profit"] / wide["sales"].where(wide["sales"] != 0)
    actual_margin = actual["gross_profit"] / actual["sales"].where(actual["sales"] != 0)
    variance = _cents(actual["gross_profit"]) - _cents(wide["gross_profit"])
    sales_effect = _cents((actual["sales"] - wide["sales"]) * planned_margin.fillna(0.0))
    margin_effect = variance - sales_effect
    out = wide.index.to_frame(index=False)
    out["plan"] = wide["gross_profit"].to_numpy()
    out["actual"] = actual["gross_profit"].to_numpy()
    out["variance"] = variance / 100
    out["sales_effect"] = sales_effect / 100
    out["margin_effect"] = margin_effect / 100
    out["planned_margin"] = planned_margin.to_numpy()
    out["actual_margin"] = actual_margin.to_numpy()
    return out[columns]


def action_outcomes(
    actions: pd.DataFrame, tracker: pd.DataFrame | None, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """How each planned action ended by the review date, from the plan and its tracker.

    The tracker's status and dates win over the plan's; an action missing from the tracker keeps
    the plan's status.

    Parameters
    ----------
    actions : pandas.DataFrame
        Plan actions: ``action_id``, ``customer_id``, ``due``; optional ``title``, ``owner``,
        ``status`` and the other plan columns.
    tracker : pandas.DataFrame or None
        Tracker actions: ``action_id``, ``status``, optional ``actual_start``, ``actual_done``,
        ``note``.
    as_of : pandas.Timestamp
        The review date (usually the last day of the period).

    Returns
    -------
    pandas.DataFrame
        The plan's actions with ``tracked_status`` (see :data:`ACTION_STATUSES`),
        ``actual_done``, ``days_late`` (done or review date minus due date, when positive) and
        ``outcome`` (one of :data:`ACTION_OUTCOMES`).

    Raises
    ------
    ValueError
        A status word is not one of :data:`ACTION_STATUSES`.
    """
    require_columns(actions, ["action_id", "customer_id", "due"], "plan actions")
    as_of = pd.Timestamp(as_of).normalize()
    frame = actions.assign(
        action_id=actions["action_id"].astype(str), customer_id=actions["customer_id"].astype(str)
    )
    plan_status = frame["status"] if "status" in frame.columns else pd.Series("planned", index=frame.index)
    status = plan_status.fillna("planned").astype(str)
    done_date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    note = pd.Series("", index=frame.index)
    if tracker is not None and len(tracker):
        require_columns(tracker, ["action_id", "status"], "tracker actions")
        tracked = tracker.assign(action_id=tracker["action_id"].astype(str)).drop_duplicates(
            "action_id", keep="last"
        )
        tracked = tracked.set_index("action_id").reindex(frame["action_id"])
        given = tracked["status"].fillna("").astype(str).str.strip().to_numpy()
        status = pd.Series(np.where(given != "", given, status), index=frame.index)
        if "actual_done" in tracked.columns:
            done_date = pd.Series(pd.to_datetime(tracked["actual_done"]).to_numpy(), index=frame.index)
        if "note" in tracked.columns:
            note = pd.Series(tracked["note"].fillna("").astype(str).to_numpy(), index=frame.index)
    words = status.str.strip().str.lower()
    unknown = sorted(set(words) - set(ACTION_STATUSES))
    if unknown:
        raise ValueError(f"action status(es) {unknown} unknown; allowed: {sorted(set(ACTION_STATUSES))}")
    tracked_status = words.map(ACTION_STATUSES)
    due = pd.to_datetime(frame["due"]).dt.normalize()
    done = tracked_status == "done"
    finished_on = done_date.where(done & done_date.notna(), as_of)
    late_days = (finished_on - due).dt.days
    outcome = np.select(
        [tracked_status == "dropped", done & (done_date.isna() | (done_date <= due)), done, due < as_of],
        ["dropped", "done", "done late", "late"],
        "open",
    )
    return frame.assign(
        tracked_status=tracked_status.to_numpy(),
        actual_done=done_date.to_numpy(),
        tracker_note=note.to_numpy(),
        days_late=np.where(np.isin(outcome, ["done late", "late"]), late_days, 0).astype("int64"),
        outcome=outcome,
    )


def completion_by_account(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per account: the count of actions by outcome and the completion rate.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`action_outcomes`.

    Returns
    -------
    pandas.DataFrame
        One row per account: ``customer_id``, ``actions``, a count column per outcome of
        :data:`ACTION_OUTCOMES` and ``completion`` = (done + done late) / (actions that were due:
        not dropped and not open); NaN when none was due.
    """
    counts = pd.crosstab(outcomes["customer_id"], outcomes["outcome"]).reindex(
        columns=ACTION_OUTCOMES, fill_value=0
    )
    counts.columns = list(ACTION_OUTCOMES)
    counts.insert(0, "actions", counts.sum(axis=1))
    due = counts["done"] + counts["done late"] + counts["late"]
    counts["completion"] = (counts["done"] + counts["done late"]) / due.where(due > 0)
    counts.index.name = "customer_id"
    return counts.reset_index()


def completion_vs_results(
    completion: pd.DataFrame, per_account: pd.DataFrame, *, threshold: float = 0.75, metric: str = "sales"
) -> tuple[pd.DataFrame, float]:
    """Did the accounts that carried out their actions do better against plan?

    Parameters
    ----------
    completion : pandas.DataFrame
        :func:`completion_by_account`.
    per_account : pandas.DataFrame
        :func:`account_attainment`.
    threshold : float
        Completion from which an account counts as having carried out its plan.
    metric : str
        The attainment compared (``sales`` or ``gross_profit``).

    Returns
    -------
    (pandas.DataFrame, float)
        Two groups (``group`` = "most actions done" / "fewer actions done") with ``accounts``,
        ``median_attainment``, ``plan``, ``actual`` and ``attainment`` (actual / plan of the
        group); and the Spearman rank correlation of completion with attainment across accounts
        (NaN with fewer than four accounts: too few to say).
    """
    results = per_account.loc[
        per_account["metric"] == metric, ["customer_id", "plan", "actual", "attainment"]
    ]
    joined = (
        completion[["customer_id", "completion"]]
        .merge(results, on="customer_id")
        .dropna(subset=["completion", "attainment"])
    )
    group = np.where(joined["completion"] >= threshold, "most actions done", "fewer actions done")
    rows = []
    for name in ("most actions done", "fewer actions done"):
        part = joined[group == name]
        plan = float(part["plan"].sum())
        rows.append(
            {
                "group": name,
                "accounts": len(part),
                "median_attainment": float(part["attainment"].median()) if len(part) else np.nan,
                "plan": plan,
                "actual": float(part["actual"].sum()),
                "attainment": float(part["actual"].sum()) / plan if plan else np.nan,
            }
        )
    correlation = spearman(joined["completion"], joined["attainment"])
    return pd.DataFrame(rows), correlation
