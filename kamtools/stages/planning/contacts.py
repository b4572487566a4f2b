"""The contact plan: one point of contact per account and a regular rhythm of contact.

Each key account gets one named account manager on the dealer's side and one counterpart at
the account, and a cadence of visits, calls and reviews per quarter (by tier, from
:class:`PlanningSettings`, editable in the workshop). The plan tracker records the contacts
made, so the review stage can measure the cadence kept and how fresh each relationship is.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kamtools.stages.planning.market import require_columns
from kamtools.stages.planning.settings import CONTACT_TYPES, PlanningSettings

__all__ = ["ACCOUNT_MANAGER_ROLES", "CONTACT_COLUMNS", "account_managers", "contact_plan"]

CONTACT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "contact_type",
    "per_quarter",
    "account_manager",
    "counterpart",
)
ACCOUNT_MANAGER_ROLES: tuple[str, ...] = ("account manager", "key account manager")
"""Roles of the team table that make a member an account's point of contact."""


def account_managers(team: pd.DataFrame | None, *, customer_ids: Sequence[str]) -> dict[str, str]:
    """The account manager of each account from the team table ('' where nobody is named).

    Parameters
    ----------
    team : pandas.DataFrame or None
        ``member``, ``role`` and ``accounts`` (customer ids separated by ``;``).
    customer_ids : sequence of str
        The accounts.

    Returns
    -------
    dict of str to str
        When several account managers list an account, the first in the table's order wins.
    """
    out = {str(c): "" for c in customer_ids}
    if team is None or team.empty or not {"member", "role", "accounts"} <= set(team.columns):
        return out
    for row in team.itertuples(index=False):
        if str(row.role).strip().lower() not in ACCOUNT_MANAGER_ROLES or pd.isna(row.accounts):
            continue
        for account in (a.strip() for a in str(row.accounts).split(";")):
            if account in out and not out[account]:
                out[account] = str(row.member)
    return out


def contact_plan(accounts: pd.DataFrame, *, settings: PlanningSettings | None = None) -> pd.DataFrame:
    """Planned contacts per quarter for each account, by contact type.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id``, ``tier`` ("key" or "growth"), ``account_manager`` and ``counterpart``
        (either may be empty: "not yet named").
    settings : PlanningSettings, optional
        ``cadence``: contacts per quarter by tier; a tier without an entry gets the key
        account cadence.

    Returns
    -------
    pandas.DataFrame
        :data:`CONTACT_COLUMNS`: one row per account and contact type (visit, call, review),
        ``per_quarter`` as a whole number; accounts in the order given.
    """
    settings = settings or PlanningSettings()
    require_columns(accounts, ("customer_id", "tier", "account_manager", "counterpart"), "accounts")
    fallback = settings.cadence.get("key", {kind: 0 for kind in CONTACT_TYPES})
    rows = []
    for row in accounts.itertuples(index=False):
        cadence = settings.cadence.get(str(row.tier), fallback)
        manager = "" if pd.isna(row.account_manager) else str(row.account_manager)
        counterpart = "" if pd.isna(row.counterpart) else str(row.counterpart)
        rows += [
            (str(row.customer_id), kind, int(cadence.get(kind, 0)), manager, counterpart)
            for kind in CONTACT_TYPES
        ]
    out = pd.DataFrame(rows, columns=list(CONTACT_COLUMNS))
    out["per_quarter"] = out["per_quarter"].astype("int64")
    return out
