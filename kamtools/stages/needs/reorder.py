"""Reorder-cycle risk: is a regular buyer overdue by its own rhythm?

A B2B customer who orders every ten days and has not ordered for forty is overdue long before
any yearly figure shows a loss. The risk of an account is the days since its last order divided
by its own median gap between orders; past ``reorder_risk_multiple`` the account is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kamtools.stages.needs.indicators import _require
from kamtools.stages.needs.settings import NeedsSettings

REORDER_COLUMNS = [
    "customer_id",
    "order_days",
    "last_order",
    "days_since_last_order",
    "median_gap_days",
    "reorder_ratio",
    "overdue",
    "status",
]


def reorder_risk(
    sales: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    settings: NeedsSettings,
    customer_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Days since the last order against each account's own median gap between orders.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``customer_id``, ``invoice_date``, ``net_sales``. An order day is a day
        on which the customer's net sales were positive (credit notes are not orders).
    as_of : pandas.Timestamp
        The day the risk is judged at (the end of the period); later lines are ignored.
    settings : NeedsSettings
        ``reorder_lookback_days`` (order days before ``as_of`` that make the rhythm),
        ``reorder_min_orders`` and ``reorder_risk_multiple``.
    customer_ids : iterable of str, optional
        Accounts to judge (default: every customer in ``sales``); an account without any
        order gets a row saying so.

    Returns
    -------
    pandas.DataFrame
        :data:`REORDER_COLUMNS`, one row per account: order_days (in the look-back),
        last_order (latest order day up to ``as_of``, any time), days_since_last_order,
        median_gap_days (between consecutive order days of the look-back), reorder_ratio
        (days since / the median gap, or ``reorder_min_gap_days`` if longer),
        overdue (ratio above the multiple) and status, a sentence.
    """
    _require(sales, ["customer_id", "invoice_date", "net_sales"], "sales")
    as_of = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(sales["invoice_date"]).dt.normalize()
    ids = sales["customer_id"].astype("str")
    daily = sales["net_sales"].astype("float64").groupby([ids, dates]).sum()
    daily = daily[(daily > 0) & (daily.index.get_level_values(1) <= as_of)]
    days = daily.index.to_frame(index=False, name=["customer_id", "day"])
    wanted = (
        list(dict.fromkeys(customer_ids))
        if customer_ids is not None
        else sorted(days["customer_id"].unique())
    )
    start = as_of - pd.Timedelta(days=settings.reorder_lookback_days)
    rows = []
    grouped = dict(tuple(days.groupby("customer_id")["day"]))
    for cid in wanted:
        order_days = grouped.get(cid, pd.Series(dtype="datetime64[ns]")).sort_values()
        last = order_days.iloc[-1] if len(order_days) else pd.NaT
        recent = order_days[order_days > start]
        since = float((as_of - last).days) if len(order_days) else np.nan
        gap = float(recent.diff().dt.days.median()) if len(recent) >= settings.reorder_min_orders else np.nan
        rhythm = max(gap, settings.reorder_min_gap_days) if not np.isnan(gap) else np.nan
        ratio = since / rhythm if not np.isnan(rhythm) else np.nan
        overdue = bool(ratio > settings.reorder_risk_multiple) if not np.isnan(ratio) else False
        rows.append(
            (
                cid,
                len(recent),
                last,
                since,
                gap,
                ratio,
                overdue,
                _status(since, gap, ratio, overdue, len(recent)),
            )
        )
    frame = pd.DataFrame(rows, columns=REORDER_COLUMNS)
    return frame.astype(
        {"customer_id": "str", "order_days": "int64", "last_order": "datetime64[ns]", "overdue": "bool"}
    )


def _status(since: float, gap: float, ratio: float, overdue: bool, order_days: int) -> str:
    if np.isnan(since):
        return "no order on record"
    if np.isnan(gap):
        return (
            f"last order {since:.0f} days ago; {order_days} order days in the last year, too few for a rhythm"
        )
    rhythm = f"it usually orders every {gap:.0f} days"
    if overdue:
        return f"overdue: last order {since:.0f} days ago; {rhythm}"
    return f"on rhythm: last order {since:.0f} days ago; {rhythm}"
