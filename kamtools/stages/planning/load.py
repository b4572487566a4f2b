"""The team's load under the plan: accounts, actions and contacts per member and month.

A plan that overloads its people does not happen. For every month of the plan period and every
team member this counts the accounts they carry (as account manager, or as owner of an action
running that month), the actions they run, and the contacts they owe (the account manager makes
the planned visits, calls and reviews), and flags months above the ceilings of
:class:`PlanningSettings`.
"""

from __future__ import annotations

import pandas as pd

from kamtools.stages.planning.market import require_columns
from kamtools.stages.planning.settings import PlanningSettings

__all__ = ["LOAD_COLUMNS", "load_summary", "team_load"]

LOAD_COLUMNS: tuple[str, ...] = ("member", "month", "accounts", "actions", "contacts", "overloaded", "reason")


def team_load(
    actions: pd.DataFrame,
    contacts: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp],
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Each member's accounts, actions and contacts per month of the plan period.

    Parameters
    ----------
    actions : pandas.DataFrame
        ``plan_actions``: ``customer_id``, ``owner``, ``start``, ``due``, ``status``. Dropped
        actions and actions without an owner do not count.
    contacts : pandas.DataFrame
        ``plan_contacts``: ``customer_id``, ``per_quarter``, ``account_manager``.
    period : tuple of pandas.Timestamp
        Inclusive first and last day of the plan period.
    settings : PlanningSettings, optional
        ``max_accounts_per_member`` and ``max_actions_per_member_month``.

    Returns
    -------
    pandas.DataFrame
        :data:`LOAD_COLUMNS`, one row per member and month (``month`` a ``"YYYY-MM"`` text),
        members sorted by name: ``accounts`` (distinct accounts managed or with an owned action
        running), ``actions`` (owned actions running at any day of the month), ``contacts``
        (planned contacts of the accounts managed, per quarter / 3, one decimal),
        ``overloaded`` and ``reason`` (which ceiling is passed, "" otherwise).
    """
    settings = settings or PlanningSettings()
    require_columns(actions, ("customer_id", "owner", "start", "due", "status"), "plan_actions")
    require_columns(contacts, ("customer_id", "per_quarter", "account_manager"), "plan_contacts")
    months = pd.period_range(pd.Timestamp(period[0]), pd.Timestamp(period[1]), freq="M")
    live = actions.loc[
        (actions["status"].astype(str) != "dropped") & actions["owner"].fillna("").astype(str).ne("")
    ]
    live = live.assign(
        owner=live["owner"].astype(str),
        customer_id=live["customer_id"].astype(str),
        _start=pd.to_datetime(live["start"]),
        _due=pd.to_datetime(live["due"]),
    )
    managed = contacts.loc[contacts["account_manager"].fillna("").astype(str).ne("")]
    managed = managed.assign(account_manager=managed["account_manager"].astype(str))
    managed_accounts = managed.groupby("account_manager")["customer_id"].agg(lambda s: set(s.astype(str)))
    contacts_per_month = managed.groupby("account_manager")["per_quarter"].sum() / 3.0
    members = sorted(set(live["owner"]) | set(managed_accounts.index))
    # Each member's actions as plain (account, start, due) records, each month's bounds once:
    # a pandas selection per member and month cost more than the counting.
    owned: dict[str, list[tuple[str, pd.Timestamp, pd.Timestamp]]] = {}
    for owner, account, start, due in zip(
        live["owner"].tolist(),
        live["customer_id"].tolist(),
        live["_start"].tolist(),
        live["_due"].tolist(),
        strict=True,
    ):
        owned.setdefault(owner, []).append((account, start, due))
    bounds = [(month, month.start_time, month.end_time.normalize()) for month in months]
    rows = []
    for member in members:
        own = owned.get(member, [])
        base = managed_accounts.get(member, set())
        for month, first, last in bounds:
            running = [account for account, start, due in own if start <= last and due >= first]
            n_accounts = len(base | set(running))
            n_actions = len(running)
            reasons = []
            if n_accounts > settings.max_accounts_per_member:
                reasons.append(f"{n_accounts} accounts (ceiling {settings.max_accounts_per_member})")
            if n_actions > settings.max_actions_per_member_month:
                reasons.append(
                    f"{n_actions} actions at once (ceiling {settings.max_actions_per_member_month})"
                )
            rows.append(
                (
                    member,
                    str(month),
                    n_accounts,
                    n_actions,
                    round(float(contacts_per_month.get(member, 0.0)), 1),
                    bool(reasons),
                    "; ".join(reasons),
                )
            )
    out = pd.DataFrame(rows, columns=list(LOAD_COLUMNS))
    return out.astype({"accounts": "int64", "actions": "int64", "contacts": "float64", "overloaded": "bool"})


def load_summary(load: pd.DataFrame) -> pd.DataFrame:
    """Per member: the peak month's accounts and actions, contacts per month, months overloaded.

    Parameters
    ----------
    load : pandas.DataFrame
        The result of :func:`team_load`.

    Returns
    -------
    pandas.DataFrame
        ``member``, ``peak_accounts``, ``peak_actions``, ``contacts_per_month``,
        ``months_overloaded``, ``first_overloaded`` ("YYYY-MM" or ""), the most loaded first
        (months overloaded, then peak accounts, then peak actions).
    """
    require_columns(load, LOAD_COLUMNS, "team_load")
    if load.empty:
        return pd.DataFrame(
            columns=[
                "member",
                "peak_accounts",
                "peak_actions",
                "contacts_per_month",
                "months_overloaded",
                "first_overloaded",
            ]
        )
    grouped = load.groupby("member", sort=True)
    out = pd.DataFrame(
        {
            "peak_accounts": grouped["accounts"].max(),
            "peak_actions": grouped["actions"].max(),
            "contacts_per_month": grouped["contacts"].max(),
            "months_overloaded": grouped["overloaded"].sum().astype("int64"),
            "first_overloaded": grouped.apply(
                lambda g: str(g.loc[g["overloaded"], "month"].min()) if g["overloaded"].any() else "",
                include_groups=False,
            ),
        }
    ).reset_index()
    return out.sort_values(
        ["months_overloaded", "peak_accounts", "peak_actions", "member"],
        ascending=[False, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
