"""Movement between periods, robustness of the key list to the weights, and team capacity."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.formatting import MINUS, percent_text
from kamtools.stages.screening.settings import (
    ACCOUNT_MANAGER_ROLES,
    TIERS,
    ScreeningSettings,
    require_input,
)

# --------------------------------------------------------------------------------------------
# Movement between periods


def _tiers(tiers: pd.Series | pd.DataFrame, column: str = "tier") -> pd.Series:
    if isinstance(tiers, pd.DataFrame):
        require_input(tiers, ["customer_id", column], "tiers")
        series = pd.Series(tiers[column].to_numpy(), index=tiers["customer_id"].astype("str"))
    else:
        series = pd.Series(tiers.to_numpy(), index=tiers.index.astype("str"))
    return series.astype("str").rename_axis("customer_id")


def tier_transitions(
    previous_tiers: pd.Series | pd.DataFrame, current_tiers: pd.Series | pd.DataFrame
) -> pd.DataFrame:
    """How many customers moved from each tier of the previous screening to each current tier.

    Parameters
    ----------
    previous_tiers, current_tiers : pandas.Series or pandas.DataFrame
        Tier per customer: a Series indexed by customer_id, or a screening frame with
        ``customer_id`` and ``tier``.

    Returns
    -------
    pandas.DataFrame
        Counts (int); rows: previous tier ("new" for customers absent from the previous
        screening), columns: current tier ("lost" for customers absent from the current one).
        Both axes list every tier of :data:`TIERS` in order, so matrices of different years line
        up.
    """
    before = _tiers(previous_tiers)
    after = _tiers(current_tiers)
    ids = before.index.union(after.index)
    rows = before.reindex(ids).fillna("new")
    cols = after.reindex(ids).fillna("lost")
    table = pd.crosstab(rows.rename("previous"), cols.rename("current"))
    row_order = [*TIERS, "new", *sorted(set(rows) - {*TIERS, "new"})]
    col_order = [*TIERS, "lost", *sorted(set(cols) - {*TIERS, "lost"})]
    return table.reindex(index=row_order, columns=col_order, fill_value=0).astype("int64")


def key_account_retention(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> float:
    """Share of last period's key accounts that are key again (NaN, with a warning, if none)."""
    before = _tiers(previous)
    after = _tiers(current)
    key_before = before.index[before == "key"]
    if len(key_before) == 0:
        warnings.warn(
            "no key accounts in the previous screening: retention undefined", UserWarning, stacklevel=2
        )
        return float("nan")
    return float((after.reindex(key_before) == "key").mean())


def movers(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Customers that entered the key list (risers) or left it (fallers), and where they went.

    Parameters
    ----------
    previous, current : pandas.Series or pandas.DataFrame
        Tier per customer (see :func:`tier_transitions`). When ``current`` (else ``previous``)
        is a frame with ``name``, names are shown.

    Returns
    -------
    pandas.DataFrame
        customer_id, name, movement ("riser" or "faller"), previous_tier ("new" when absent
        before), current_tier ("lost" when absent now); risers first, then by id.
    """
    before = _tiers(previous)
    after = _tiers(current)
    ids = before.index.union(after.index)
    was = before.reindex(ids).fillna("new")
    now = after.reindex(ids).fillna("lost")
    moved = (was == "key") != (now == "key")
    names = pd.Series(ids, index=ids, dtype="str")
    for frame in (previous, current):
        if isinstance(frame, pd.DataFrame) and "name" in frame.columns:
            known = pd.Series(frame["name"].to_numpy(), index=frame["customer_id"].astype("str"))
            known = known[~known.index.duplicated()]
            names = known.reindex(ids).fillna(names).astype("str")
    out = pd.DataFrame(
        {
            "customer_id": ids[moved],
            "name": names[moved].to_numpy(),
            "movement": np.where(now[moved] == "key", "riser", "faller"),
            "previous_tier": was[moved].to_numpy(),
            "current_tier": now[moved].to_numpy(),
        }
    ).astype({"customer_id": "str", "name": "str", "movement": "str"})
    return out.sort_values(["movement", "customer_id"], ascending=[False, True], ignore_index=True)


def migration_warning(
    previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame, *, settings: ScreeningSettings
) -> str | None:
    """A warning text when the key list changed by more than ``settings.migration_warning_share``.

    The change is the larger of the share of last period's key accounts that left the list and
    the share of this period's key accounts that entered it. Big swings usually mean the
    criteria, the data or the business changed, and deserve a look before the workshop.
    """
    before = _tiers(previous)
    after = _tiers(current)
    moved = movers(before, after)
    n_before = int((before == "key").sum())
    n_after = int((after == "key").sum())
    fallers = int((moved["movement"] == "faller").sum())
    risers = int((moved["movement"] == "riser").sum())
    left = fallers / n_before if n_before else 0.0
    entered = risers / n_after if n_after else 0.0
    if max(left, entered) <= settings.migration_warning_share:
        return None
    return (
        f"The key list changed a lot: {fallers} of {n_before} previous key accounts"
        f" ({percent_text(left, minus=MINUS)}) left it and {risers} of {n_after} current ones"
        f" ({percent_text(entered, minus=MINUS)})"
        f" are new to it (warning above {percent_text(settings.migration_warning_share, minus=MINUS)})."
        " Check whether the business, the data or the screening settings changed."
    )


# --------------------------------------------------------------------------------------------
# Robustness and capacity


def team_capacity(
    team: pd.DataFrame, *, manager_load: int = 9, roles: Sequence[str] = ACCOUNT_MANAGER_ROLES
) -> int:
    """How many key accounts the team can serve: account managers times ``manager_load``.

    Parameters
    ----------
    team : pandas.DataFrame
        ``member`` and ``role``; a member counts once when its role (case and spaces ignored)
        is one of ``roles``.
    manager_load : int
        Key accounts per account manager (``ScreeningSettings.manager_load``).
    roles : sequence of str
        Roles that count as account managers.
    """
    require_input(team, ["member", "role"], "team")
    wanted = {r.strip().lower() for r in roles}
    role = team["role"].astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    managers = team.loc[role.isin(wanted), "member"].nunique()
    return int(managers * manager_load)


def account_managers(team: pd.DataFrame | None, *, roles: Sequence[str] = ACCOUNT_MANAGER_ROLES) -> pd.Series:
    """The account manager of each customer, from the team table's ``accounts`` lists.

    Parameters
    ----------
    team : pandas.DataFrame or None
        ``member``, ``role`` and ``accounts`` (customer ids separated by ";").
    roles : sequence of str
        Roles that count as account managers (case and spaces ignored).

    Returns
    -------
    pandas.Series
        Member name indexed by customer_id (str); a customer listed by two account managers
        gets both, joined by " / ". Empty without a team table or an ``accounts`` column.
    """
    if team is None or len(team) == 0 or "accounts" not in team.columns:
        return pd.Series(dtype="str", index=pd.Index([], dtype="str", name="customer_id"))
    require_input(team, ["member", "role", "accounts"], "team")
    wanted = {r.strip().lower() for r in roles}
    role = team["role"].astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    managers = team[role.isin(wanted)]
    listed = managers.assign(customer_id=managers["accounts"].fillna("").astype("str").str.split(";"))
    listed = listed.explode("customer_id")
    listed["customer_id"] = listed["customer_id"].str.strip()
    listed = listed[listed["customer_id"] != ""]
    names = listed.groupby("customer_id")["member"].agg(lambda m: " / ".join(dict.fromkeys(m.astype("str"))))
    return names.astype("str")


def capacity_warning(key_accounts: int, capacity: int | None) -> str | None:
    """A warning text when there are more key accounts than the team can serve, else None."""
    if capacity is None or key_accounts <= capacity:
        return None
    return (
        f"{key_accounts} key accounts but the team can serve about {capacity}: add account managers,"
        " lower the number of key accounts, or serve some of them with a lighter plan."
    )
