"""Key accounts lost or slipping, why they left, and one list of the accounts at risk.

* :func:`account_movement`: each key account is ``lost`` (no purchase for ``lost_after_days``
  before the review date), ``declining`` (sales down more than ``decline_threshold`` against the
  previous period) or ``kept``.
* :func:`defection_reasons` / :func:`reason_pattern`: the reasons the dealer recorded in the
  lost-customer table, one of :data:`DEFECTION_REASONS`, and the pattern across them.
* :func:`payment_trend`: days paid late this period against the previous one.
* :func:`at_risk_accounts`: low or falling satisfaction, falling purchases, rising late payment,
  one list with every reason spelled out.

All functions are pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.analytics.bridges import Window, window_sums
from kamtools.contract import DEFECTION_REASONS, require_columns

__all__ = [
    "DEFECTION_REASONS",
    "MOVEMENT_STATUSES",
    "account_movement",
    "at_risk_accounts",
    "defection_reasons",
    "payment_trend",
    "reason_pattern",
]


MOVEMENT_STATUSES = ("lost", "declining", "kept")


def account_movement(
    lines: pd.DataFrame,
    *,
    accounts: Sequence[str],
    previous: Window,
    current: Window,
    lost_after_days: int = 180,
    decline_threshold: float = 0.30,
) -> pd.DataFrame:
    """Which accounts were lost, which declined, which were kept.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``; optional ``cost``.
    accounts : sequence of str
        The customers followed (the key accounts of the reviewed plan).
    previous, current : (Timestamp, Timestamp)
        Inclusive windows of the previous and the reviewed period; the review date is the end of
        ``current``.
    lost_after_days : int
        No purchase (a positive invoice line) for more than this many days before the review date:
        lost.
    decline_threshold : float
        Sales down by more than this fraction against the previous window: declining.

    Returns
    -------
    pandas.DataFrame
        One row per account in the order given: ``customer_id``, ``previous_sales``,
        ``current_sales``, ``change``, ``change_pct`` (NaN without previous sales),
        ``previous_gross_profit`` (NaN without costs), ``last_purchase`` (NaT if none),
        ``days_since_purchase`` (at the review date) and ``status`` (lost, declining or kept).
    """
    require_columns(lines, ["invoice_date", "customer_id", "net_sales"], "invoice lines")
    ids = pd.Index([str(a) for a in accounts])
    as_of = pd.Timestamp(current[1]).normalize()
    # Only the columns read here are taken from the accounts' lines (text columns cost the most).
    read = [c for c in ("invoice_date", "customer_id", "net_sales", "cost") if c in lines.columns]
    subset = lines.loc[lines["customer_id"].astype(str).isin(ids), read]
    subset = subset.assign(
        customer_id=subset["customer_id"].astype(str),
        _gp=subset["net_sales"] - subset["cost"] if "cost" in subset.columns else np.nan,
    )
    sums = (
        window_sums(
            subset,
            by="customer_id",
            windows={"previous": previous, "current": current},
            values=["net_sales", "_gp"],
        )
        .set_index("customer_id")
        .reindex(ids, fill_value=0.0)
    )
    bought = subset[(subset["net_sales"] > 0) & (pd.to_datetime(subset["invoice_date"]) <= as_of)]
    last = pd.to_datetime(bought.groupby("customer_id")["invoice_date"].max()).reindex(ids)
    days = (as_of - last).dt.days
    before, now = sums["net_sales_previous"].round(2), sums["net_sales_current"].round(2)
    change_pct = (now - before) / before.where(before > 0)
    lost = last.isna() | (days > lost_after_days)
    status = np.select([lost, change_pct < -decline_threshold], ["lost", "declining"], "kept")
    profit = sums["_gp_previous"] if "cost" in lines.columns else pd.Series(np.nan, index=ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "previous_sales": before.to_numpy(),
            "current_sales": now.to_numpy(),
            "change": (now - before).round(2).to_numpy(),
            "change_pct": change_pct.to_numpy(),
            "previous_gross_profit": profit.round(2).to_numpy(),
            "last_purchase": last.to_numpy(),
            "days_since_purchase": days.to_numpy(),
            "status": status,
        }
    )


def defection_reasons(movement: pd.DataFrame, lost_customers: pd.DataFrame | None) -> pd.DataFrame:
    """The lost and declining accounts with the reason the dealer recorded, where there is one.

    Parameters
    ----------
    movement : pandas.DataFrame
        :func:`account_movement`.
    lost_customers : pandas.DataFrame or None
        The lost-customer table: ``customer_id``, ``reason`` (one of
        :data:`DEFECTION_REASONS`), optional ``lost_date``, ``competitor``, ``note``.

    Returns
    -------
    pandas.DataFrame
        The lost and declining rows of ``movement`` with ``reason`` ("not recorded" where the
        table has none), ``competitor`` and ``note``; lost first, then by previous sales.
    """
    gone = movement[movement["status"].isin(["lost", "declining"])].copy()
    extra = pd.DataFrame(columns=["customer_id", "reason", "competitor", "note", "lost_date"])
    if lost_customers is not None and len(lost_customers):
        require_columns(lost_customers, ["customer_id", "reason"], "lost customers")
        extra = lost_customers.assign(
            customer_id=lost_customers["customer_id"].astype(str),
            reason=lost_customers["reason"].astype(str).str.strip().str.lower(),
        ).drop_duplicates("customer_id", keep="last")
        unknown = sorted(set(extra["reason"]) - set(DEFECTION_REASONS))
        if unknown:
            raise ValueError(
                f"lost customers: unknown reason(s) {unknown}; allowed: {list(DEFECTION_REASONS)}"
            )
    keep = [c for c in ("customer_id", "reason", "competitor", "note", "lost_date") if c in extra.columns]
    joined = gone.merge(extra[keep], on="customer_id", how="left")
    joined["reason"] = joined["reason"].fillna("not recorded")
    for column in ("competitor", "note"):
        joined[column] = joined[column].fillna("").astype(str) if column in joined.columns else ""
    order = joined["status"].map({"lost": 0, "declining": 1})
    return (
        joined.assign(_order=order)
        .sort_values(["_order", "previous_sales"], ascending=[True, False], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def reason_pattern(reasons: pd.DataFrame) -> pd.DataFrame:
    """The pattern across lost and declining accounts: accounts and sales at stake per reason.

    Returns
    -------
    pandas.DataFrame
        One row per reason with at least one account: ``reason``, ``accounts``, ``lost``,
        ``declining``, ``previous_sales``, ``sales_change`` (negative: what was lost) and
        ``share_of_change`` (of the whole change of these accounts); largest loss first.
    """
    if reasons.empty:
        return pd.DataFrame(
            columns=[
                "reason",
                "accounts",
                "lost",
                "declining",
                "previous_sales",
                "sales_change",
                "share_of_change",
            ]
        )
    grouped = reasons.groupby("reason", sort=False).agg(
        accounts=("customer_id", "size"),
        lost=("status", lambda s: int((s == "lost").sum())),
        declining=("status", lambda s: int((s == "declining").sum())),
        previous_sales=("previous_sales", "sum"),
        sales_change=("change", "sum"),
    )
    total = grouped["sales_change"].sum()
    grouped["share_of_change"] = grouped["sales_change"] / total if total else np.nan
    return grouped.sort_values("sales_change", kind="stable").reset_index()


def payment_trend(
    receivables: pd.DataFrame | None, *, previous: Window, current: Window, grace_days: int = 0
) -> pd.DataFrame:
    """Average days paid late per customer in the previous and the reviewed window.

    An invoice belongs to the window its due date falls in. A paid invoice counts its days from
    due date to payment (early payment as 0); an invoice still open at the window's end counts
    the days it is overdue then. The average is weighted by amount; credit notes are left out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``days_late_previous``, ``days_late_current`` and ``days_late_change``
        (NaN where a window has no invoice).
    """
    columns = ["customer_id", "days_late_previous", "days_late_current", "days_late_change"]
    if receivables is None or receivables.empty:
        return pd.DataFrame(columns=columns)
    require_columns(receivables, ["customer_id", "due_date", "amount"], "receivables")
    due = pd.to_datetime(receivables["due_date"]).dt.normalize()
    paid = (
        pd.to_datetime(receivables["paid_date"]).dt.normalize()
        if "paid_date" in receivables.columns
        else pd.Series(pd.NaT, index=receivables.index, dtype="datetime64[ns]")
    )
    amount = receivables["amount"].astype("float64")
    parts = {}
    for name, (start, end) in {"previous": previous, "current": current}.items():
        end = pd.Timestamp(end).normalize()
        inside = (due >= pd.Timestamp(start)) & (due <= end) & (amount > 0)
        settled = paid.where(paid.notna() & (paid <= end), end)
        late = ((settled - due).dt.days - grace_days).clip(lower=0).astype("float64")
        frame = pd.DataFrame(
            {"customer_id": receivables["customer_id"].astype(str), "w": amount * late, "a": amount}
        )[inside]
        sums = frame.groupby("customer_id")[["w", "a"]].sum()
        parts[name] = sums["w"] / sums["a"]
    joined = pd.concat(parts, axis=1).rename(
        columns={"previous": "days_late_previous", "current": "days_late_current"}
    )
    for column in ("days_late_previous", "days_late_current"):
        if column not in joined.columns:
            joined[column] = np.nan
    joined["days_late_change"] = joined["days_late_current"] - joined["days_late_previous"]
    joined.index.name = "customer_id"
    return joined.reset_index()[columns]


def at_risk_accounts(
    movement: pd.DataFrame,
    *,
    satisfaction: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    low_satisfaction: float = 3.0,
    satisfaction_drop: float = 0.75,
    purchase_drop: float = 0.15,
    late_payment_rise_days: float = 7.0,
) -> pd.DataFrame:
    """One list of the accounts still buying that show a warning sign, with every reason.

    Parameters
    ----------
    movement : pandas.DataFrame
        :func:`account_movement`; lost accounts are left out (they are gone, not at risk).
    satisfaction : pandas.DataFrame, optional
        Per account (``customer_id``) ``mean_now`` and ``mean_change`` on the 1-5 scale, as
        :func:`kamtools.stages.review.satisfaction.satisfaction_change` gives with
        ``by="customer_id"``.
    payments : pandas.DataFrame, optional
        :func:`payment_trend`.
    low_satisfaction, satisfaction_drop, purchase_drop, late_payment_rise_days : float
        The thresholds (see :class:`~kamtools.stages.review.settings.ReviewSettings`).

    Returns
    -------
    pandas.DataFrame
        One row per account with at least one sign: ``customer_id``, ``status``,
        ``current_sales``, ``change_pct``, ``satisfaction``, ``satisfaction_change``,
        ``days_late_current``, ``days_late_change``, flags ``low_satisfaction``,
        ``falling_satisfaction``, ``falling_purchases``, ``rising_late_payment``, ``signs`` (how
        many) and ``reasons`` (the signs in words, separated by "; "); most signs first, then by
        sales.
    """
    frame = movement[movement["status"] != "lost"][["customer_id", "status", "current_sales", "change_pct"]]
    frame = frame.assign(customer_id=frame["customer_id"].astype(str))
    if satisfaction is not None and len(satisfaction):
        mood = satisfaction.assign(customer_id=satisfaction["customer_id"].astype(str)).set_index(
            "customer_id"
        )
        frame["satisfaction"] = frame["customer_id"].map(mood["mean_now"])
        frame["satisfaction_change"] = frame["customer_id"].map(mood["mean_change"])
    else:
        frame["satisfaction"] = np.nan
        frame["satisfaction_change"] = np.nan
    if payments is not None and len(payments):
        pay = payments.assign(customer_id=payments["customer_id"].astype(str)).set_index("customer_id")
        frame["days_late_current"] = frame["customer_id"].map(pay["days_late_current"])
        frame["days_late_change"] = frame["customer_id"].map(pay["days_late_change"])
    else:
        frame["days_late_current"] = np.nan
        frame["days_late_change"] = np.nan
    flags = {
        "low_satisfaction": frame["satisfaction"] < low_satisfaction,
        "falling_satisfaction": frame["satisfaction_change"] <= -satisfaction_drop,
        "falling_purchases": frame["change_pct"] < -purchase_drop,
        "rising_late_payment": frame["days_late_change"] >= late_payment_rise_days,
    }
    for name, flag in flags.items():
        frame[name] = flag.fillna(False).astype(bool)
    words = []
    for row in frame.itertuples(index=False):
        reasons = []
        if row.low_satisfaction:
            reasons.append(f"low satisfaction ({row.satisfaction:.1f} of 5)")
        if row.falling_satisfaction:
            reasons.append(f"satisfaction fell {abs(row.satisfaction_change):.1f} points")
        if row.falling_purchases:
            reasons.append(f"purchases down {abs(row.change_pct):.0%}")
        if row.rising_late_payment:
            reasons.append(f"pays {row.days_late_change:.0f} days later than last period")
        words.append("; ".join(reasons))
    frame["reasons"] = words
    frame["signs"] = frame[list(flags)].sum(axis=1).astype("int64")
    risky = frame[frame["signs"] > 0]
    return risky.sort_values(["signs", "current_sales"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )
