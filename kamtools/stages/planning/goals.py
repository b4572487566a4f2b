"""Goals of a key account plan: baseline, plan goal and stretch goal, cut into stages.

For each account and metric (``sales``, ``gross_profit``, ``share_of_wallet``):

* the **baseline** is the last period's actual figure;
* the **plan goal** is what the dealer commits to: the baseline grown by a share of the
  account's headroom and of its own momentum, within bounds (:class:`PlanningSettings`);
* the **stretch goal** is the goal that motivates: more of the headroom, at least a few points
  above the plan.

Goals are cut into stages (quarters by default) along the account's own **seasonal profile**,
the share of a year's purchases that falls in each stage over its history. Money is split by
largest-remainder rounding to cents, so the stages always add up to the goal exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from kamtools.stages.planning.market import require_columns
from kamtools.stages.planning.settings import PlanningSettings

__all__ = [
    "GOAL_COLUMNS",
    "METRICS",
    "MONEY_METRICS",
    "PLAN_GOAL_COLUMNS",
    "PROFILE_COLUMNS",
    "Stage",
    "plan_stages",
    "propose_goals",
    "seasonal_profiles",
    "split_exact",
    "stage_actuals",
    "stage_goals",
    "stage_of",
    "to_cents",
]

METRICS: tuple[str, ...] = ("sales", "gross_profit", "share_of_wallet")
"""The goal metrics, in report order."""
MONEY_METRICS: tuple[str, ...] = ("sales", "gross_profit")
"""Metrics in money: their stages add up to the year."""
GOAL_COLUMNS: tuple[str, ...] = ("customer_id", "metric", "baseline", "plan", "stretch")
PLAN_GOAL_COLUMNS: tuple[str, ...] = ("customer_id", "stage", "metric", "baseline", "plan", "stretch")
PROFILE_COLUMNS: tuple[str, ...] = ("customer_id", "stage", "share", "source")

_STAGE_PREFIX = {1: "M", 2: "B", 3: "Q", 4: "T", 6: "H", 12: "FY"}


@dataclass(frozen=True)
class Stage:
    """One stage of the plan period: its label and inclusive first and last day."""

    stage: str
    start: pd.Timestamp
    end: pd.Timestamp


def plan_stages(period: int, *, start_month: int, stage_months: int = 3) -> list[Stage]:
    """The stages of a fiscal period: Q1..Q4 for quarters, H1, H2 for halves, M01..M12 for months.

    Parameters
    ----------
    period : int
        Fiscal-period label (the calendar year in which the fiscal year ends).
    start_month : int
        First month of the fiscal year (1 to 12).
    stage_months : int
        Months per stage; must divide 12.
    """
    if stage_months not in _STAGE_PREFIX:
        raise ValueError(f"stage_months must be one of {sorted(_STAGE_PREFIX)}, got {stage_months!r}")
    first = pd.Timestamp(year=int(period) - 1 if start_month > 1 else int(period), month=start_month, day=1)
    prefix = _STAGE_PREFIX[stage_months]
    out = []
    for i in range(12 // stage_months):
        start = first + pd.DateOffset(months=i * stage_months)
        end = start + pd.DateOffset(months=stage_months) - pd.Timedelta(days=1)
        label = (
            prefix if stage_months == 12 else (f"M{i + 1:02d}" if stage_months == 1 else f"{prefix}{i + 1}")
        )
        out.append(Stage(label, start, end))
    return out


def stage_of(dates: pd.Series, *, start_month: int, stage_months: int = 3) -> pd.Series:
    """The 0-based stage index (within its fiscal year) of each date."""
    values = pd.to_datetime(dates)
    return ((values.dt.month - start_month) % 12) // stage_months


def to_cents(amount: float) -> int:
    """An amount as whole cents, rounded half away from zero (no binary-float surprises)."""
    return int(Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def split_exact(total: float, weights: Sequence[float]) -> list[float]:
    """Split ``total`` in proportion to ``weights`` into amounts in cents that add up exactly.

    Largest-remainder method: every part gets the whole cents of its exact share; the cents
    left over go to the parts with the largest fractions (ties: the earlier part). Weights that
    are all zero (or missing) split evenly.

    >>> split_exact(100.0, [1, 1, 1])
    [33.34, 33.33, 33.33]
    """
    if not len(weights):
        raise ValueError("split_exact needs at least one weight")
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0).clip(min=0.0)
    if w.sum() <= 0:
        w = np.ones_like(w)
    cents = to_cents(total)
    raw = cents * w / w.sum()
    whole = np.floor(raw).astype(np.int64)
    left = int(cents - whole.sum())
    order = np.argsort(-(raw - whole), kind="stable")
    whole[order[:left]] += 1
    return [int(c) / 100 for c in whole]


def seasonal_profiles(
    sales: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    start_month: int,
    stage_months: int = 3,
    until: pd.Timestamp | None = None,
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Each account's share of a year's purchases per stage, learned from its own history.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``.
    customer_ids : sequence of str
        The accounts.
    start_month, stage_months : int
        Fiscal year start month and months per stage.
    until : pandas.Timestamp, optional
        Ignore lines after this day (the plan's baseline period end).
    settings : PlanningSettings, optional
        ``seasonal_min_months``: months with purchases an account needs for its own profile.

    Returns
    -------
    pandas.DataFrame
        :data:`PROFILE_COLUMNS`, one row per account and stage in stage order; ``share`` sums to
        1 per account. ``source`` is ``"own history"`` (all its lines: stage totals over the
        grand total), ``"portfolio"`` (too little history: all customers' profile), or
        ``"even"`` (no history at all).
    """
    settings = settings or PlanningSettings()
    require_columns(sales, ("invoice_date", "customer_id", "net_sales"), "sales")
    n_stages = 12 // stage_months
    lines = sales[["invoice_date", "customer_id", "net_sales"]]  # only what is read: fewer copies
    lines = lines if until is None else lines.loc[pd.to_datetime(lines["invoice_date"]) <= until]
    dates = pd.to_datetime(lines["invoice_date"])
    # Customers as integer codes in the order of their sorted ids (the order grouping by the ids
    # gives; a missing id is -1 and left out, as grouping leaves it out): grouping integers is
    # several times faster than grouping text, and each group sums the same lines in the same order.
    codes, names = pd.factorize(lines["customer_id"].astype(str), sort=True)
    frame = pd.DataFrame(
        {
            "customer": codes,
            "stage": stage_of(dates, start_month=start_month, stage_months=stage_months).to_numpy(),
            "month": (dates.dt.year * 12 + dates.dt.month).to_numpy(),  # integer months: fast
            "amount": lines["net_sales"].astype(float).to_numpy(),
        }
    )
    frame = frame if (codes >= 0).all() else frame.loc[codes >= 0]
    stage_totals = frame.groupby(["customer", "stage"])["amount"].sum().unstack(fill_value=0.0)
    stage_totals = stage_totals.reindex(columns=range(n_stages), fill_value=0.0).clip(lower=0.0)
    portfolio = stage_totals.sum(axis=0)
    monthly = frame.groupby(["customer", "month"])["amount"].sum()
    months_bought = (monthly > 0).groupby(level="customer").sum()
    labels = [s.stage for s in plan_stages(2000, start_month=start_month, stage_months=stage_months)]
    # The fallback profile is the same for every account: computed once. Each account's own
    # totals are a row of one array, looked up by position (a pandas row per account cost more
    # than the profile); the sums and divisions are those of the rows themselves.
    if portfolio.sum() > 0:
        fallback, fallback_source = (portfolio / portfolio.sum()).tolist(), "portfolio"
    else:
        fallback, fallback_source = [1.0 / n_stages] * n_stages, "even"
    totals = stage_totals.to_numpy()
    position = {str(names[c]): i for i, c in enumerate(stage_totals.index)}
    bought = {str(names[c]): n for c, n in months_bought.items()}
    rows = []
    for account in (str(c) for c in customer_ids):
        own = totals[position[account]] if account in position else None
        if own is not None and bought.get(account, 0) >= settings.seasonal_min_months and own.sum() > 0:
            shares, source = (own / own.sum()).tolist(), "own history"
        else:
            shares, source = fallback, fallback_source
        rows += [(account, labels[i], float(shares[i]), source) for i in range(n_stages)]
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


def _growth_goal(
    baseline: float, headroom: float, momentum: float, capture: float, settings: PlanningSettings
):
    """Growth rate on the baseline from a share of the headroom and of the own momentum."""
    room = 0.0 if np.isnan(headroom) or baseline <= 0 else headroom / baseline
    push = 0.0 if np.isnan(momentum) else momentum
    return capture * room + settings.momentum_weight * push


def _sales_goals(
    base: float, wallet: float, headroom: float, momentum: float, settings: PlanningSettings
) -> tuple[float, float]:
    """Plan and stretch sales goals of one account, in cents (see :func:`propose_goals`)."""
    if base > 0:
        g_plan = _growth_goal(base, headroom, momentum, settings.plan_headroom_capture, settings)
        g_plan = float(np.clip(g_plan, settings.min_plan_growth, settings.max_plan_growth))
        g_stretch = _growth_goal(base, headroom, momentum, settings.stretch_headroom_capture, settings)
        g_stretch = max(g_stretch, g_plan + settings.min_stretch_uplift)
        g_stretch = max(min(g_stretch, settings.max_stretch_growth), g_plan)
        plan, stretch = base * (1 + g_plan), base * (1 + g_stretch)
    else:
        room = 0.0 if np.isnan(headroom) else headroom
        plan, stretch = room * settings.plan_headroom_capture, room * settings.stretch_headroom_capture
    if not np.isnan(wallet):
        ceiling = max(wallet, base)
        plan, stretch = min(plan, ceiling), min(stretch, ceiling)
    return to_cents(plan) / 100, to_cents(stretch) / 100


def propose_goals(
    accounts: pd.DataFrame,
    *,
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Propose plan and stretch goals per account from its headroom and its growth.

    Parameters
    ----------
    accounts : pandas.DataFrame
        One row per account: ``customer_id``, ``sales``, ``gross_profit`` (baseline period),
        ``growth`` (sales growth of the baseline over the period before; NaN if unknown),
        ``wallet`` and ``headroom`` (NaN without an estimate) — the columns of
        :func:`~kamtools.stages.planning.market.account_baseline` merged with
        :func:`~kamtools.stages.planning.market.wallet_share`.
    settings : PlanningSettings, optional
        The goal rules; defaults when None.

    Returns
    -------
    pandas.DataFrame
        :data:`GOAL_COLUMNS`, three rows per account (``sales``, ``gross_profit``,
        ``share_of_wallet``):

        * sales: plan = baseline x (1 + g), g = ``plan_headroom_capture`` x headroom / baseline
          + ``momentum_weight`` x growth, bounded by ``min_plan_growth`` .. ``max_plan_growth``;
          stretch the same with ``stretch_headroom_capture``, at least ``min_stretch_uplift`` of
          the baseline above the plan and at most ``max_stretch_growth``; neither above the
          wallet (unless the baseline already is). An account without baseline sales gets the
          captured headroom as its goals.
        * gross_profit: the sales goals at the baseline's margin (NaN without costs).
        * share_of_wallet: the sales goals over the wallet (NaN without an estimate).

        Money in cents; an account's row order follows ``accounts``.
    """
    settings = settings or PlanningSettings()
    require_columns(
        accounts, ("customer_id", "sales", "gross_profit", "growth", "wallet", "headroom"), "accounts"
    )
    rows = []
    for row in accounts.itertuples(index=False):
        cid, base, wallet = str(row.customer_id), float(row.sales), float(row.wallet)
        plan, stretch = _sales_goals(base, wallet, float(row.headroom), float(row.growth), settings)
        rows.append((cid, "sales", to_cents(base) / 100, plan, stretch))
        profit = float(row.gross_profit)
        if np.isnan(profit) or base <= 0:
            rows.append((cid, "gross_profit", profit, np.nan, np.nan))
        else:
            margin = profit / base
            goals = (to_cents(profit) / 100, to_cents(plan * margin) / 100, to_cents(stretch * margin) / 100)
            rows.append((cid, "gross_profit", *goals))
        if np.isnan(wallet) or wallet <= 0:
            rows.append((cid, "share_of_wallet", np.nan, np.nan, np.nan))
        else:
            rows.append((cid, "share_of_wallet", min(base / wallet, 1.0), plan / wallet, stretch / wallet))
    return pd.DataFrame(rows, columns=list(GOAL_COLUMNS))


def _account_stage_rows(
    account: str,
    account_goals: list[dict[str, Any]],
    labels: list[str],
    shares: list[float],
    actual: Mapping[tuple[str, str, str], float],
    wallet: float,
) -> list[tuple]:
    """The stage rows of one account's goals (see :func:`stage_goals`)."""
    rows: list[tuple] = []
    split: dict[str, dict[str, list[float]]] = {}
    for goal in account_goals:
        metric = goal["metric"]
        if metric not in MONEY_METRICS:
            continue
        values = {}
        for column in ("baseline", "plan", "stretch"):
            total = float(goal[column])
            if np.isnan(total):
                values[column] = [np.nan] * len(labels)
                continue
            weights = shares
            if column == "baseline":
                real = [actual.get((account, metric, s)) for s in labels]
                if all(v is not None for v in real) and sum(max(v, 0.0) for v in real) > 0:
                    weights = [max(v, 0.0) for v in real]
            values[column] = split_exact(total, weights)
        split[metric] = values
        rows += [
            (account, s, metric, values["baseline"][i], values["plan"][i], values["stretch"][i])
            for i, s in enumerate(labels)
        ]
    if "share_of_wallet" not in {g["metric"] for g in account_goals}:
        return rows
    sales = split.get("sales")
    for i, s in enumerate(labels):
        stage_wallet = wallet * shares[i]
        if sales is None or np.isnan(stage_wallet) or stage_wallet <= 0:
            rows.append((account, s, "share_of_wallet", np.nan, np.nan, np.nan))
            continue
        levels = [min(sales[c][i] / stage_wallet, 1.0) for c in ("baseline", "plan", "stretch")]
        rows.append((account, s, "share_of_wallet", *levels))
    return rows


def _records_by_value(frame: pd.DataFrame) -> dict[Any, list[dict[str, Any]]]:
    """The rows of ``frame`` as records grouped by ``customer_id`` as given (missing ids left out)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        if not pd.isna(row["customer_id"]):
            out.setdefault(row["customer_id"], []).append(row)
    return out


def stage_goals(
    goals: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    baseline_by_stage: pd.DataFrame | None = None,
    wallets: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Cut the annual goals into stages along each account's seasonal profile.

    Parameters
    ----------
    goals : pandas.DataFrame
        :data:`GOAL_COLUMNS` (from :func:`propose_goals`, or edited).
    profiles : pandas.DataFrame
        :data:`PROFILE_COLUMNS` (from :func:`seasonal_profiles`).
    baseline_by_stage : pandas.DataFrame, optional
        ``customer_id``, ``stage``, ``metric``, ``value``: the baseline period's actual figures
        per stage; they weight the split of the annual baseline (so it keeps its real shape and
        still sums exactly). Without them the baseline follows the profile too.
    wallets : mapping of str to float, optional
        Wallet per account, for the share-of-wallet stage values.

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_GOAL_COLUMNS`, one row per account, stage and metric. Money metrics: the
        stage values of baseline, plan and stretch add up to the annual value to the cent.
        Share of wallet: the stage's sales over the stage's wallet (wallet x profile share, at
        most 1), a level, not a sum; NaN without a wallet.
    """
    require_columns(goals, GOAL_COLUMNS, "goals")
    require_columns(profiles, PROFILE_COLUMNS, "profiles")
    wallets = dict(wallets or {})
    actual = {}
    if baseline_by_stage is not None and not baseline_by_stage.empty:
        columns = (baseline_by_stage[c].tolist() for c in ("customer_id", "metric", "stage", "value"))
        for customer, metric, stage, value in zip(*columns, strict=True):
            actual[(str(customer), str(metric), str(stage))] = float(value)
    # Each table's rows as plain records grouped by account (as pandas' groupby would: by the
    # value as given, in order of first appearance, without missing ids), read once.
    by_account = _records_by_value(profiles[["customer_id", "stage", "share"]])
    rows = []
    for account, account_goals in _records_by_value(goals[list(GOAL_COLUMNS)]).items():
        profile = by_account.get(str(account))
        if profile is None:
            continue
        labels = [str(p["stage"]) for p in profile]
        shares = [float(p["share"]) for p in profile]
        wallet = float(wallets.get(str(account), np.nan))
        rows += _account_stage_rows(str(account), account_goals, labels, shares, actual, wallet)
    out = pd.DataFrame(rows, columns=list(PLAN_GOAL_COLUMNS))
    order = {m: i for i, m in enumerate(METRICS)}
    stage_order = {s: i for i, s in enumerate(profiles["stage"].drop_duplicates())}
    account_order = {c: i for i, c in enumerate(goals["customer_id"].astype(str).drop_duplicates())}
    return (
        out.assign(
            _a=out["customer_id"].map(account_order),
            _m=out["metric"].map(order),
            _s=out["stage"].map(stage_order),
        )
        .sort_values(["_a", "_m", "_s"], kind="stable")
        .drop(columns=["_a", "_m", "_s"])
        .reset_index(drop=True)
    )


def stage_actuals(
    sales: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    start_month: int,
    stage_months: int = 3,
) -> pd.DataFrame:
    """The baseline period's actual sales and gross profit of each account per stage.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``; ``cost`` optional.
    customer_ids : sequence of str
        The accounts.
    baseline : tuple of pandas.Timestamp
        Inclusive first and last day of the baseline period.
    start_month, stage_months : int
        Fiscal year start month and months per stage.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``stage``, ``metric`` ("sales", "gross_profit"), ``value``; every
        account and stage, 0 where nothing was bought; no gross-profit rows without costs.
    """
    require_columns(sales, ("invoice_date", "customer_id", "net_sales"), "sales")
    ids = [str(c) for c in customer_ids]
    dates = pd.to_datetime(sales["invoice_date"])
    read = [c for c in ("invoice_date", "customer_id", "net_sales", "cost") if c in sales]
    lines = sales.loc[
        (dates >= baseline[0]) & (dates <= baseline[1]) & sales["customer_id"].astype(str).isin(ids), read
    ]
    labels = [s.stage for s in plan_stages(2000, start_month=start_month, stage_months=stage_months)]
    stage = stage_of(
        pd.to_datetime(lines["invoice_date"]), start_month=start_month, stage_months=stage_months
    )
    frame = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].astype(str).to_numpy(),
            "stage": stage.map(dict(enumerate(labels))).to_numpy(),
            "sales": lines["net_sales"].astype(float).to_numpy(),
        }
    )
    metrics = ["sales"]
    if "cost" in lines.columns:
        frame["gross_profit"] = (lines["net_sales"].astype(float) - lines["cost"].astype(float)).to_numpy()
        metrics.append("gross_profit")
    grid = pd.MultiIndex.from_product([ids, labels], names=["customer_id", "stage"])
    totals = frame.groupby(["customer_id", "stage"])[metrics].sum().reindex(grid, fill_value=0.0)
    out = totals.reset_index().melt(id_vars=["customer_id", "stage"], var_name="metric", value_name="value")
    return out[["customer_id", "stage", "metric", "value"]]
