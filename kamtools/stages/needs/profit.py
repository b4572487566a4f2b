"""Account profit: sales → gross profit → each cost-to-serve component → contribution.

Cost to serve is what it costs to run an account: handling its orders, deliveries, visits and
returns (the cost_to_serve table), the credit it takes (receivables) and the management time
of its account manager (settings). What remains of the gross profit is the account's
contribution; an account whose contribution is negative costs more than it earns, however big
it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kamtools.stages.needs.indicators import _require

DRIVERS = ("orders", "deliveries", "visits", "returns")
"""Cost-to-serve drivers of the contract, in waterfall order."""

COMPONENT_LABELS: Mapping[str, str] = {
    "orders_cost": "Order handling",
    "deliveries_cost": "Deliveries",
    "visits_cost": "Sales visits",
    "returns_cost": "Returns",
    "handling_cost": "Handling (not broken down)",
    "credit_cost": "Credit cost",
    "management_cost": "Account management",
}
"""The reader's name of each cost component column."""


def handling_costs(
    cost_to_serve: pd.DataFrame | None, *, period: int, rates: Mapping[str, float]
) -> pd.DataFrame:
    """Cost of orders, deliveries, visits and returns per customer in ``period``.

    Parameters
    ----------
    cost_to_serve : pandas.DataFrame or None
        ``customer_id``, ``period``; ``cost_amount`` and/or the drivers ``orders``,
        ``deliveries``, ``visits``, ``returns``.
    period : int
        The fiscal year.
    rates : mapping of str to float
        Cost per unit of each driver. With a ``cost_amount`` the amount is split over the
        drivers in proportion to drivers × rates (it stays the total the client gave); without
        one, drivers × rates are the cost. Without rates a ``cost_amount`` is one component,
        ``handling_cost``.

    Returns
    -------
    pandas.DataFrame
        customer_id and ``<driver>_cost`` per rated driver (or ``handling_cost``); empty (just
        customer_id) when there is no cost data for the period.
    """
    if cost_to_serve is None or len(cost_to_serve) == 0:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str")})
    _require(cost_to_serve, ["customer_id", "period"], "cost_to_serve")
    rows = cost_to_serve[cost_to_serve["period"] == period]
    ids = rows["customer_id"].astype("str")
    amount = (
        rows["cost_amount"].astype("float64")
        if "cost_amount" in rows
        else pd.Series(np.nan, index=rows.index)
    )
    rated = [d for d in DRIVERS if d in rows and rates.get(d) is not None]
    if not rated:
        out = pd.DataFrame({"customer_id": ids, "handling_cost": amount}).dropna(subset=["handling_cost"])
        return out.groupby("customer_id", as_index=False).sum()
    parts = pd.DataFrame({f"{d}_cost": rows[d].astype("float64").fillna(0.0) * rates[d] for d in rated})
    estimate = parts.sum(axis=1)
    scale = (amount / estimate).where(amount.notna() & (estimate > 0))
    # A known total is kept: split in proportion; a total on no drivers stays unexplained.
    parts = parts.mul(scale.fillna(1.0), axis=0)
    leftover = amount.where((estimate <= 0) & (amount > 0))
    if leftover.notna().any():
        parts["handling_cost"] = leftover.fillna(0.0)
    parts.insert(0, "customer_id", ids)
    return parts.groupby("customer_id", as_index=False).sum()


def credit_costs(
    receivables: pd.DataFrame | None,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    rate: float,
) -> pd.DataFrame:
    """The cost of the credit each customer takes: amount × days until paid / 365 × ``rate``.

    Parameters
    ----------
    receivables : pandas.DataFrame or None
        ``customer_id``, ``invoice_date`` (else ``due_date``), ``amount``; optional
        ``paid_date`` (empty while open).
    start, end : pandas.Timestamp
        Invoices dated in this period count; an invoice still open at ``end`` runs to ``end``.
    rate : float
        Yearly cost of money (0.05 = 5%).

    Returns
    -------
    pandas.DataFrame
        customer_id, credit_cost (customers with invoices in the period).
    """
    if receivables is None or len(receivables) == 0:
        return pd.DataFrame(
            {"customer_id": pd.Series(dtype="str"), "credit_cost": pd.Series(dtype="float64")}
        )
    _require(receivables, ["customer_id", "amount"], "receivables")
    date_column = "invoice_date" if "invoice_date" in receivables else "due_date"
    issued = pd.to_datetime(receivables[date_column])
    paid = (
        pd.to_datetime(receivables["paid_date"])
        if "paid_date" in receivables
        else pd.Series(pd.NaT, index=receivables.index)
    )
    settled = paid.where(paid <= end).fillna(end)
    days = (settled - issued).dt.days.clip(lower=0)
    amount = receivables["amount"].astype("float64")
    inside = (issued >= start) & (issued <= end) & (amount > 0)
    cost = (amount * days / 365.0 * rate).where(inside)
    out = cost[inside].groupby(receivables.loc[inside, "customer_id"].astype("str")).sum()
    return out.rename("credit_cost").rename_axis("customer_id").reset_index()


def management_costs(assignments: pd.DataFrame, *, account_manager_cost: float | None) -> pd.DataFrame:
    """Each account's share of its account manager's yearly cost.

    Parameters
    ----------
    assignments : pandas.DataFrame
        :func:`kamtools.stages.needs.team.team_assignments`: ``member``, ``role``,
        ``customer_id``; the members whose role is an account manager count.
    account_manager_cost : float or None
        Yearly cost of one account manager, shared equally over every account they serve.
        None gives an empty result (management cost left out).

    Returns
    -------
    pandas.DataFrame
        customer_id, management_cost.
    """
    empty = pd.DataFrame(
        {"customer_id": pd.Series(dtype="str"), "management_cost": pd.Series(dtype="float64")}
    )
    if account_manager_cost is None or assignments is None or len(assignments) == 0:
        return empty
    is_manager = assignments["role"].str.lower().str.contains("account manager", regex=False)
    managers = assignments[is_manager & (assignments["customer_id"] != "")]
    if managers.empty:
        return empty
    served = managers.groupby("member")["customer_id"].transform("nunique")
    share = account_manager_cost / served
    out = share.groupby(managers["customer_id"].astype("str")).sum()
    return out.rename("management_cost").rename_axis("customer_id").reset_index()


def account_profit(accounts: pd.DataFrame, *, components: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Sales, gross profit, every cost-to-serve component and the contribution of each account.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id``, ``name``, ``sales``, ``gross_profit`` (screening's key_accounts).
    components : sequence of pandas.DataFrame
        Frames of ``customer_id`` and ``*_cost`` columns (:func:`handling_costs`,
        :func:`credit_costs`, :func:`management_costs`); an account missing from a frame that
        has rows costs 0 there.

    Returns
    -------
    pandas.DataFrame
        One row per account in the given order: customer_id, name, sales, gross_profit, the
        ``*_cost`` columns, cost_to_serve, contribution (gross profit minus cost to serve),
        margin, cost_to_serve_share and contribution_margin (shares of sales),
        negative_contribution, and cost_note. Without handling costs (no cost_to_serve data,
        or none for this account) cost_to_serve and contribution are NaN and cost_note says
        why: a contribution from credit cost alone would flatter the account.
    """
    _require(accounts, ["customer_id", "name", "sales", "gross_profit"], "key accounts")
    out = accounts[["customer_id", "name", "sales", "gross_profit"]].copy()
    out["customer_id"] = out["customer_id"].astype("str")
    out = out.drop_duplicates("customer_id").reset_index(drop=True)
    handling_known = pd.Series(False, index=out.index)
    cost_columns: list[str] = []
    for frame in components:
        columns = [c for c in frame.columns if c.endswith("_cost")]
        if frame.empty or not columns:
            continue
        given = frame.assign(customer_id=frame["customer_id"].astype("str")).set_index("customer_id")
        for column in columns:
            values = given[column].reindex(out["customer_id"]).to_numpy()
            if column in {"handling_cost", *(f"{d}_cost" for d in DRIVERS)}:
                handling_known |= pd.Series(~np.isnan(values), index=out.index)
            out[column] = np.nan_to_num(values, nan=0.0) + out.get(column, 0.0)
            if column not in cost_columns:
                cost_columns.append(column)
    order = list(COMPONENT_LABELS)
    cost_columns.sort(key=lambda c: order.index(c) if c in order else len(order))
    out = out[["customer_id", "name", "sales", "gross_profit", *cost_columns]]
    total = out[cost_columns].sum(axis=1) if cost_columns else pd.Series(np.nan, index=out.index)
    out["cost_to_serve"] = total.where(handling_known)
    out["contribution"] = out["gross_profit"] - out["cost_to_serve"]
    sales = out["sales"].where(out["sales"] > 0)
    out["margin"] = out["gross_profit"] / sales
    out["cost_to_serve_share"] = out["cost_to_serve"] / sales
    out["contribution_margin"] = out["contribution"] / sales
    out["negative_contribution"] = out["contribution"] < 0
    has_table = any(
        not f.empty and any(c in f for c in ("handling_cost", *(f"{d}_cost" for d in DRIVERS)))
        for f in components
    )
    out["cost_note"] = np.where(
        handling_known,
        "",
        "no cost-to-serve data for this account: contribution not computed"
        if has_table
        else "no cost-to-serve data: contribution not computed",
    )
    return out


def waterfall_steps(
    row: Mapping[str, float], *, labels: Mapping[str, str] = COMPONENT_LABELS
) -> pd.DataFrame:
    """The bars of one account's profit waterfall.

    Parameters
    ----------
    row : mapping
        One row of :func:`account_profit` (sales, gross_profit, ``*_cost``, contribution).
    labels : mapping of str to str
        The name of each cost column.

    Returns
    -------
    pandas.DataFrame
        step (label), kind ("total" or "cost"), value (the bar's signed size: totals their
        level, costs negative), start and end (where the bar begins and ends). Sales, gross
        profit, each non-zero cost component, then the contribution (only when it is known).
    """
    sales, gross = float(row["sales"]), float(row["gross_profit"])
    steps = [("Sales", "total", sales, 0.0, sales), ("Cost of goods", "cost", gross - sales, sales, gross)]
    steps.append(("Gross profit", "total", gross, 0.0, gross))
    level = gross
    for column, label in labels.items():
        value = row.get(column)
        if value is None or pd.isna(value) or float(value) == 0:
            continue
        steps.append((label, "cost", -float(value), level, level - float(value)))
        level -= float(value)
    contribution = row.get("contribution")
    if contribution is not None and not pd.isna(contribution):
        steps.append(("Contribution", "total", float(contribution), 0.0, float(contribution)))
    return pd.DataFrame(steps, columns=["step", "kind", "value", "start", "end"])
