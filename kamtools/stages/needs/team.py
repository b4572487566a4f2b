"""The service team of each key account and the load of each account manager.

A key account is served by a team, not a salesperson: sales, and whatever functions its needs
call for (logistics, finance, marketing, service). The team table says who serves which
accounts today; a function an account needs but nobody serves gets the least-loaded member of
that function proposed, or a plain "nobody" when the team has no one for it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kamtools.stages.needs.indicators import _require
from kamtools.stages.needs.settings import FUNCTIONS

FUNCTION_WORDS: Mapping[str, str] = {
    "sales": "sales",
    "account": "sales",
    "logistic": "logistics",
    "warehouse": "logistics",
    "delivery": "logistics",
    "finance": "finance",
    "credit": "finance",
    "accounting": "finance",
    "marketing": "marketing",
    "service": "service",
    "technical": "service",
    "support": "service",
}
"""Words in a team table's function (or, failing that, role) that name one of :data:`FUNCTIONS`."""

TEAM_COLUMNS = ["customer_id", "function", "member", "role", "status"]
LOAD_COLUMNS = ["member", "key_accounts", "accounts", "ceiling", "over_ceiling"]


def canonical_function(function: str, role: str = "") -> str:
    """One of :data:`FUNCTIONS` for a team table's function and role ("Credit control" → "finance").

    The function is looked at first, then the role; text naming none of them is returned
    lower-cased, so it still shows, as its own function.
    """
    for text in (function, role):
        lowered = str(text or "").strip().lower()
        for word, canonical in FUNCTION_WORDS.items():
            if word in lowered:
                return canonical
    return str(function or role).strip().lower()


def team_assignments(team: pd.DataFrame | None) -> pd.DataFrame:
    """The team table as one row per member and account served.

    Parameters
    ----------
    team : pandas.DataFrame or None
        ``member``, ``role``; optional ``function`` and ``accounts`` (customer numbers
        separated by ";" or ",").

    Returns
    -------
    pandas.DataFrame
        member, role, function (canonical, see :func:`canonical_function`), customer_id; a
        member serving no account named keeps one row with an empty customer_id, so a
        marketing manager without accounts of their own can still be proposed.
    """
    columns = ["member", "role", "function", "customer_id"]
    if team is None or len(team) == 0 or "accounts" not in team:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    _require(team, ["member", "role"], "team")
    function = team["function"] if "function" in team else pd.Series("", index=team.index)
    frame = pd.DataFrame(
        {
            "member": team["member"].astype("str").str.strip(),
            "role": team["role"].astype("str").str.strip(),
            "function": [
                canonical_function(f, r) for f, r in zip(function.fillna(""), team["role"], strict=True)
            ],
            "customer_id": team["accounts"].fillna("").astype("str").str.replace(",", ";").str.split(";"),
        }
    ).explode("customer_id")
    frame["customer_id"] = frame["customer_id"].fillna("").str.strip()
    named = frame[frame["customer_id"] != ""]
    idle = frame[~frame["member"].isin(named["member"])].drop_duplicates("member")
    frame = pd.concat([named, idle.assign(customer_id="")]).sort_index(kind="stable")
    return frame[columns].drop_duplicates().reset_index(drop=True)


def manager_load(assignments: pd.DataFrame, key_ids: pd.Series, *, ceiling: int) -> pd.DataFrame:
    """How many key accounts each account manager serves, against ``ceiling``.

    Parameters
    ----------
    assignments : pandas.DataFrame
        :func:`team_assignments`.
    key_ids : pandas.Series
        The key accounts' customer numbers.
    ceiling : int
        Key accounts one account manager can serve well (settings' ``manager_load``).

    Returns
    -------
    pandas.DataFrame
        :data:`LOAD_COLUMNS`: member, key_accounts (key accounts served), accounts (all
        accounts served), ceiling, over_ceiling; members whose role is an account manager,
        most loaded first.
    """
    is_manager = assignments["role"].str.lower().str.contains("account manager", regex=False)
    managers = assignments[is_manager & (assignments["customer_id"] != "")]
    key = managers["customer_id"].isin(set(key_ids.astype(str)))
    out = pd.DataFrame(
        {
            "key_accounts": key.groupby(managers["member"]).sum(),
            "accounts": managers.groupby("member")["customer_id"].nunique(),
        }
    ).reset_index()
    out["ceiling"] = ceiling
    out["over_ceiling"] = out["key_accounts"] > ceiling
    out = out.sort_values(["key_accounts", "member"], ascending=[False, True], kind="stable")
    return out.astype({"key_accounts": "int64", "accounts": "int64"})[LOAD_COLUMNS].reset_index(drop=True)


def _role_rank(role: str) -> int:
    lowered = role.lower()
    return 0 if "account manager" in lowered else 1 if "head" in lowered else 2


def service_team(
    accounts: pd.DataFrame, assignments: pd.DataFrame, *, support: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The team each key account needs, by function, with who serves it or who could.

    Every key account needs sales; its proposed support adds the functions that deliver it;
    any function already serving the account stays.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id`` of the key accounts, in report order.
    assignments : pandas.DataFrame
        :func:`team_assignments`.
    support : pandas.DataFrame, optional
        :func:`kamtools.stages.needs.support.propose_support` (``customer_id``, ``function``).

    Returns
    -------
    pandas.DataFrame
        :data:`TEAM_COLUMNS`, one row per account and function (in :data:`FUNCTIONS` order):
        member and role ("; "-joined when several serve, the account manager first); status
        "serves the account", "proposed" (the member of that function serving the fewest key
        accounts) or "nobody in the team" (member empty).
    """
    _require(accounts, ["customer_id"], "key accounts")
    ids = accounts["customer_id"].astype("str").drop_duplicates().tolist()
    records = assignments.to_dict("records")
    key = set(ids)
    serving: dict[str, dict[str, list[tuple[str, str]]]] = {cid: {} for cid in ids}
    key_load: dict[str, int] = {}
    pool: dict[str, list[tuple[str, str]]] = {}
    for r in records:
        pool.setdefault(r["function"], [])
        if (r["member"], r["role"]) not in pool[r["function"]]:
            pool[r["function"]].append((r["member"], r["role"]))
        if r["customer_id"] in key:
            serving[r["customer_id"]].setdefault(r["function"], []).append((r["member"], r["role"]))
            key_load[r["member"]] = key_load.get(r["member"], 0) + 1
    needed: dict[str, set[str]] = {cid: {"sales", *serving[cid]} for cid in ids}
    if support is not None and len(support):
        for cid, function in zip(support["customer_id"].astype(str), support["function"], strict=True):
            if cid in needed:
                needed[cid].add(str(function))
    order = {f: i for i, f in enumerate(FUNCTIONS)}
    rows = []
    for cid in ids:
        for function in sorted(needed[cid], key=lambda f: (order.get(f, len(order)), f)):
            members = sorted(
                dict.fromkeys(serving[cid].get(function, [])), key=lambda m: (_role_rank(m[1]), m[0])
            )
            if members:
                rows.append(
                    (
                        cid,
                        function,
                        "; ".join(m for m, _ in members),
                        "; ".join(r for _, r in members),
                        "serves the account",
                    )
                )
            elif pool.get(function):
                member, role = min(pool[function], key=lambda m: (key_load.get(m[0], 0), m[0]))
                rows.append((cid, function, member, role, "proposed"))
            else:
                rows.append((cid, function, "", "", "nobody in the team"))
    frame = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    return (
        frame.astype({"customer_id": "str"})
        if len(frame)
        else frame.astype(dict.fromkeys(TEAM_COLUMNS, "str"))
    )
