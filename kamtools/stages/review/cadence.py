"""Relationship cadence: contacts planned against contacts made, and how fresh each relationship is.

The plan sets, per key account and contact type (visit, call, review), how many contacts a
quarter; the tracker records each contact made (date, account, team member, type). This module
counts both over the reviewed window, names the accounts nobody contacted for a long time, and
asks whether the accounts that got their contacts kept or grew their business. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.analytics.bridges import Window
from kamtools.analytics.correlation import spearman
from kamtools.contract import require_columns

__all__ = ["CONTACT_TYPES", "contact_cadence", "contact_vs_results"]

CONTACT_TYPES = ("visit", "call", "review")


def contact_cadence(
    plan_contacts: pd.DataFrame,
    contacts: pd.DataFrame | None,
    *,
    window: Window,
    no_contact_days: int = 90,
    accounts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Contacts planned and made per key account over the window, and days since the last one.

    Parameters
    ----------
    plan_contacts : pandas.DataFrame
        The plan's cadence: ``customer_id``, ``contact_type``, ``per_quarter``; optional
        ``account_manager``.
    contacts : pandas.DataFrame or None
        The tracker's contacts: ``date``, ``customer_id``, ``contact_type``; optional ``member``.
    window : (Timestamp, Timestamp)
        The reviewed window; its end is the review date. Planned contacts are ``per_quarter``
        times the window's length in quarters (months / 3).
    no_contact_days : int
        Accounts without a contact for more than this many days at the review date (or never in
        the window) are flagged.
    accounts : sequence of str, optional
        The accounts to report (default: every account of the contact plan).

    Returns
    -------
    pandas.DataFrame
        One row per account: ``customer_id``, ``planned``, ``made``, per type ``planned_<type>``
        and ``made_<type>`` for :data:`CONTACT_TYPES`, ``made_share`` (made / planned; NaN
        without a plan), ``last_contact`` (NaT if none), ``days_since_contact`` (NaN if none)
        and ``no_contact`` (flag).
    """
    require_columns(plan_contacts, ["customer_id", "contact_type", "per_quarter"], "plan contacts")
    start, end = pd.Timestamp(window[0]).normalize(), pd.Timestamp(window[1]).normalize()
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    quarters = months / 3
    plan = plan_contacts.assign(
        customer_id=plan_contacts["customer_id"].astype(str),
        contact_type=plan_contacts["contact_type"].astype(str).str.strip().str.lower(),
        planned=plan_contacts["per_quarter"].astype("float64") * quarters,
    )
    ids = pd.Index(
        [str(a) for a in accounts] if accounts is not None else plan["customer_id"].drop_duplicates().tolist()
    )
    planned = plan.pivot_table(index="customer_id", columns="contact_type", values="planned", aggfunc="sum")
    made_in = pd.DataFrame(columns=["customer_id", "contact_type", "date"])
    last = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    if contacts is not None and len(contacts):
        require_columns(contacts, ["date", "customer_id", "contact_type"], "tracker contacts")
        dates = pd.to_datetime(contacts["date"]).dt.normalize()
        log = contacts.assign(
            customer_id=contacts["customer_id"].astype(str),
            contact_type=contacts["contact_type"].astype(str).str.strip().str.lower(),
            date=dates,
        )
        made_in = log[(dates >= start) & (dates <= end)]
        last = log[dates <= end].groupby("customer_id")["date"].max().reindex(ids)
    made = made_in.groupby(["customer_id", "contact_type"]).size().unstack(fill_value=0)
    out = pd.DataFrame(index=ids)
    out.index.name = "customer_id"
    for kind in CONTACT_TYPES:
        out[f"planned_{kind}"] = planned[kind].reindex(ids).fillna(0.0) if kind in planned else 0.0
        out[f"made_{kind}"] = made[kind].reindex(ids).fillna(0).astype("int64") if kind in made else 0
    out["planned"] = planned.sum(axis=1).reindex(ids).fillna(0.0)
    out["made"] = made.sum(axis=1).reindex(ids).fillna(0).astype("int64") if len(made) else 0
    out["made_share"] = out["made"] / out["planned"].where(out["planned"] > 0)
    out["last_contact"] = pd.to_datetime(last.reindex(ids))
    out["days_since_contact"] = (end - out["last_contact"]).dt.days.astype("float64")
    out["no_contact"] = out["days_since_contact"].isna() | (out["days_since_contact"] > no_contact_days)
    first = ["planned", "made"]
    rest = [c for c in out.columns if c not in first]
    return out[first + rest].reset_index()


def contact_vs_results(
    cadence: pd.DataFrame, movement: pd.DataFrame, *, threshold: float = 0.8
) -> tuple[pd.DataFrame, float]:
    """Did the accounts that got their planned contacts keep or grow their business?

    Parameters
    ----------
    cadence : pandas.DataFrame
        :func:`contact_cadence`.
    movement : pandas.DataFrame
        :func:`kamtools.stages.review.defection.account_movement` (``status``, ``change_pct``).
    threshold : float
        Share of the planned contacts from which an account counts as "contacts kept".

    Returns
    -------
    (pandas.DataFrame, float)
        Two groups (``group`` = "contacts as planned" / "fewer contacts than planned") with
        ``accounts``, ``kept`` (neither lost nor declining), ``grew`` (sales up), ``kept_share``,
        ``grew_share`` and ``median_change`` (median sales change against the previous period);
        and the Spearman rank correlation of ``made_share`` with the sales change (NaN with
        fewer than four accounts).
    """
    joined = cadence[["customer_id", "made_share"]].merge(
        movement[["customer_id", "status", "change_pct"]], on="customer_id"
    )
    joined = joined.dropna(subset=["made_share"])
    group = np.where(joined["made_share"] >= threshold, "contacts as planned", "fewer contacts than planned")
    rows = []
    for name in ("contacts as planned", "fewer contacts than planned"):
        part = joined[group == name]
        kept = int((part["status"] == "kept").sum())
        grew = int((part["change_pct"] > 0).sum())
        rows.append(
            {
                "group": name,
                "accounts": len(part),
                "kept": kept,
                "grew": grew,
                "kept_share": kept / len(part) if len(part) else np.nan,
                "grew_share": grew / len(part) if len(part) else np.nan,
                "median_change": float(part["change_pct"].median()) if len(part) else np.nan,
            }
        )
    both = joined.dropna(subset=["change_pct"])
    correlation = spearman(both["made_share"], both["change_pct"])
    return pd.DataFrame(rows), correlation
