"""Churn and retention of customers by fiscal period, and retention curves by cohort.

A customer is *active* in a period when its net sales in that period are positive (a period
with only credit notes is not a purchase). Churn of period ``p`` is the share of the customers
active in ``p - 1`` that are not active in ``p``; a cohort is the customers whose first active
period is the same. The first period of the data cannot tell new customers from old ones: its
cohort is marked ``left_censored`` ("already customers when the data start").

The functions are pure and take invoice lines (``invoice_date``, ``customer_id``,
``net_sales``) as the contract's sales table has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from kamtools.periods import fiscal_period, period_bounds

__all__ = ["active_periods", "churn_by_period", "churn_from_active", "cohort_retention", "recent_buyers"]


def active_periods(
    lines: pd.DataFrame, *, start_month: int, value: str = "net_sales", date: str = "invoice_date"
) -> pd.DataFrame:
    """Net sales per customer and fiscal period, only where positive (the customer bought).

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines with ``customer_id``, ``date`` and ``value``.
    start_month : int
        First month of the fiscal year.
    value, date : str
        Amount and date columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``period`` (int), ``sales``; one row per customer and period with
        positive sales, sorted.
    """
    missing = [c for c in ("customer_id", date, value) if c not in lines.columns]
    if missing:
        raise ValueError(f"invoice lines: missing column(s) {', '.join(map(repr, missing))}")
    period = fiscal_period(pd.to_datetime(lines[date]), start_month=start_month)
    frame = pd.DataFrame(
        {"customer_id": lines["customer_id"].astype(str), "period": period, "sales": lines[value]}
    ).dropna(subset=["period"])
    sums = frame.groupby(["customer_id", "period"], sort=True)["sales"].sum().reset_index()
    sums["period"] = sums["period"].astype("int64")
    return sums[sums["sales"].round(2) > 0].reset_index(drop=True)


def churn_by_period(
    lines: pd.DataFrame,
    *,
    start_month: int,
    customer_ids: Iterable[str] | None = None,
    periods: Iterable[int] | None = None,
    recency_days: int | None = None,
) -> pd.DataFrame:
    """Customers kept, lost and won per fiscal period, and the churn rate.

    By default a customer of the period before is lost when it bought nothing in the period. A
    customer who still ordered in the first months and then left counts as kept that way; with
    ``recency_days`` it counts as lost unless it bought within the last ``recency_days`` days of
    the period (the review's "no purchase for a configurable time").

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines (``customer_id``, ``invoice_date``, ``net_sales``).
    start_month : int
        First month of the fiscal year.
    customer_ids : iterable of str, optional
        Count only these customers (e.g. the key accounts of the plan); None counts all.
    periods : iterable of int, optional
        The periods to report; default every period after the first one in the data.
    recency_days : int, optional
        Kept only with a purchase in the period's last ``recency_days`` days.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``; ``customers_start`` (active in the period before),
        ``retained`` (active in both), ``lost`` (active before, not now), ``new`` (active now,
        not before; returning customers included), ``customers_end`` (active now),
        ``churn_rate`` = lost / customers_start and ``retention_rate`` = 1 - churn_rate (NaN
        without customers at the start), ``lost_sales`` (what the lost customers bought in the
        period before) and ``new_sales`` (what the new ones bought now).
    """
    active = _active_customers(lines, start_month=start_month, customer_ids=customer_ids)
    seen = sorted(active["period"].unique())
    wanted = sorted(int(p) for p in periods) if periods is not None else seen[1:]
    recent = (
        recent_buyers(lines, wanted, start_month=start_month, recency_days=recency_days)
        if recency_days is not None
        else None
    )
    return churn_from_active(active, periods=wanted, recent=recent)


def churn_from_active(
    active: pd.DataFrame, *, periods: Iterable[int], recent: Mapping[int, pd.Index] | None = None
) -> pd.DataFrame:
    """:func:`churn_by_period` of customers' active periods already computed.

    A review counts churn of several groups of customers (all of them, each year's largest) over
    the same invoice lines: computing :func:`active_periods` and :func:`recent_buyers` once and
    filtering their small results per group spares a pass over every line per group.

    Parameters
    ----------
    active : pandas.DataFrame
        :func:`active_periods` of the lines, only of the customers counted.
    periods : iterable of int
        The periods to report.
    recent : mapping of int to pandas.Index, optional
        :func:`recent_buyers` of every period reported; None counts every active customer as kept.

    Returns
    -------
    pandas.DataFrame
        As :func:`churn_by_period`.
    """
    by_period = {
        p: active.loc[active["period"] == p].set_index("customer_id")["sales"]
        for p in active["period"].unique()
    }
    empty = pd.Series(dtype="float64")
    rows = []
    for period in periods:
        now = by_period.get(period, empty)
        if recent is not None:
            now = now[now.index.isin(recent[period])]
        rows.append(_churn_row(period, before=by_period.get(period - 1, empty), now=now))
    return pd.DataFrame(rows, columns=_CHURN_COLUMNS)


_CHURN_COLUMNS = [
    "period",
    "customers_start",
    "retained",
    "lost",
    "new",
    "customers_end",
    "churn_rate",
    "retention_rate",
    "lost_sales",
    "new_sales",
]
"""The columns of :func:`churn_by_period`."""


def _active_customers(
    lines: pd.DataFrame, *, start_month: int, customer_ids: Iterable[str] | None
) -> pd.DataFrame:
    """:func:`active_periods` of ``lines``, only of ``customer_ids`` when given."""
    active = active_periods(lines, start_month=start_month)
    if customer_ids is None:
        return active
    return active[active["customer_id"].isin(pd.Index(list(customer_ids)).astype(str))]


def recent_buyers(
    lines: pd.DataFrame, periods: Iterable[int], *, start_month: int, recency_days: int
) -> dict[int, pd.Index]:
    """Per period, the customers with a positive invoice line in its last ``recency_days`` days.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines (``customer_id``, ``invoice_date``, ``net_sales``).
    periods : iterable of int
        The fiscal periods asked for.
    start_month : int
        First month of the fiscal year.
    recency_days : int
        Length of the window at the end of each period.

    Returns
    -------
    dict of int to pandas.Index
        The customer ids (as text) of each period.
    """
    # Masks over the columns, not a filtered copy of the lines: taking every column of
    # every positive line (nearly all of them) cost more than the rest of the churn count.
    buying = (lines["net_sales"] > 0).to_numpy()
    dates = pd.to_datetime(lines["invoice_date"])
    recent: dict[int, pd.Index] = {}
    for period in periods:
        _, end = period_bounds(period, start_month=start_month)
        inside = buying & ((dates > end - pd.Timedelta(days=int(recency_days))) & (dates <= end)).to_numpy()
        recent[period] = pd.Index(lines.loc[inside, "customer_id"].astype(str).unique())
    return recent


def _churn_row(period: int, *, before: pd.Series, now: pd.Series) -> dict[str, object]:
    """One row of :func:`churn_by_period`: ``before`` and ``now`` are sales by active customer."""
    kept = before.index.intersection(now.index)
    lost = before.index.difference(now.index)
    new = now.index.difference(before.index)
    start = len(before)
    churn = len(lost) / start if start else np.nan
    return {
        "period": int(period),
        "customers_start": start,
        "retained": len(kept),
        "lost": len(lost),
        "new": len(new),
        "customers_end": len(now),
        "churn_rate": churn,
        "retention_rate": 1 - churn if start else np.nan,
        "lost_sales": float(before.reindex(lost).sum()),
        "new_sales": float(now.reindex(new).sum()),
    }


def cohort_retention(
    lines: pd.DataFrame, *, start_month: int, customer_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """The retention curve of each cohort: which share of a period's new customers still buys.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines, as for :func:`churn_by_period`.
    start_month : int
        The fiscal year's first month.
    customer_ids : iterable of str, optional
        Follow only these customers; None follows all.

    Returns
    -------
    pandas.DataFrame
        One row per cohort and period from the cohort's first period on: ``cohort`` (first
        active period), ``period``, ``years_since`` (0 in the first period), ``cohort_size``,
        ``active`` (cohort members buying in the period), ``retention`` = active / cohort_size
        (1.0 at ``years_since`` 0) and ``left_censored`` (True for the data's first period,
        whose cohort mixes new and long-standing customers).
    """
    active = _active_customers(lines, start_month=start_month, customer_ids=customer_ids)
    columns = ["cohort", "period", "years_since", "cohort_size", "active", "retention", "left_censored"]
    if active.empty:
        return pd.DataFrame(columns=columns)
    first = active.groupby("customer_id")["period"].min().rename("cohort")
    tagged = active.join(first, on="customer_id")
    sizes = first.value_counts().sort_index()
    last_period = int(active["period"].max())
    counts = tagged.groupby(["cohort", "period"])["customer_id"].nunique()
    rows = []
    for cohort, size in sizes.items():
        for period in range(int(cohort), last_period + 1):
            count = int(counts.get((cohort, period), 0))
            rows.append(
                {
                    "cohort": int(cohort),
                    "period": period,
                    "years_since": period - int(cohort),
                    "cohort_size": int(size),
                    "active": count,
                    "retention": count / int(size),
                    "left_censored": int(cohort) == int(sizes.index.min()),
                }
            )
    return pd.DataFrame(rows, columns=columns)
