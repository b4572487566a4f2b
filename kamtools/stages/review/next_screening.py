"""Input to the next screening: the tier changes the review proposes, each with its reason.

The review knows what a screening cannot see in one period's invoices: whether an account met
its plan, why it left, how satisfied it is. It proposes, per key or growth account of the plan,

* ``promote``: a growth account that reached its sales plan and shows no warning sign → key;
* ``demote``: a lost account, or a declining one far behind plan → maintain;
* ``review``: a key account behind plan or with warning signs → keep, but look again.

The proposals are saved in the workspace (``review/tier_proposals_<next period>.csv``) where the
next period's screening reads and shows them; the screening workshop decides.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kamtools import io

__all__ = [
    "PROPOSALS",
    "PROPOSAL_COLUMNS",
    "load_tier_proposals",
    "proposals_path",
    "proposals_table",
    "propose_tier_changes",
    "save_tier_proposals",
]

PROPOSALS = ("promote", "demote", "review")
PROPOSAL_COLUMNS = ("customer_id", "name", "current_tier", "proposal", "proposed_tier", "reason")


def propose_tier_changes(
    tiers: pd.DataFrame,
    *,
    per_account: pd.DataFrame,
    movement: pd.DataFrame,
    at_risk: pd.DataFrame | None = None,
    reasons: pd.DataFrame | None = None,
    promote_min_attainment: float = 1.0,
    demote_max_attainment: float = 0.7,
) -> pd.DataFrame:
    """Propose tier changes for the accounts of the reviewed plan.

    Parameters
    ----------
    tiers : pandas.DataFrame
        ``customer_id``, ``tier`` (``key`` or ``growth``), optional ``name``: the plan's accounts.
    per_account : pandas.DataFrame
        :func:`~kamtools.stages.review.attainment.account_attainment` (the ``sales`` rows are used).
    movement : pandas.DataFrame
        :func:`~kamtools.stages.review.defection.account_movement`.
    at_risk : pandas.DataFrame, optional
        :func:`~kamtools.stages.review.defection.at_risk_accounts` (``customer_id``, ``reasons``).
    reasons : pandas.DataFrame, optional
        :func:`~kamtools.stages.review.defection.defection_reasons` (``customer_id``, ``reason``).
    promote_min_attainment, demote_max_attainment : float
        Sales attainment (actual / plan) from which a growth account is promoted, and below which a
        declining key account is demoted or a key account reviewed.

    Returns
    -------
    pandas.DataFrame
        One row per account with a proposal, columns :data:`PROPOSAL_COLUMNS`; demotions first,
        then reviews, then promotions, each by account id.
    """
    frame = tiers.assign(customer_id=tiers["customer_id"].astype(str))
    if "name" not in frame.columns:
        frame["name"] = frame["customer_id"]
    sales = per_account[per_account["metric"] == "sales"].set_index("customer_id")["attainment"]
    moves = movement.set_index("customer_id")
    risk = _by_customer(at_risk, "reasons")
    why = _by_customer(reasons, "reason")
    rows = []
    for account in frame.itertuples(index=False):
        cid, tier = account.customer_id, str(account.tier)
        proposal = _account_proposal(
            cid,
            tier,
            reached=sales.get(cid, np.nan),
            moves=moves,
            signs=risk.get(cid, ""),
            recorded=why.get(cid, "not recorded"),
            promote_min_attainment=promote_min_attainment,
            demote_max_attainment=demote_max_attainment,
        )
        if proposal:
            rows.append((cid, account.name, tier, *proposal))
    out = pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))
    order = out["proposal"].map({"demote": 0, "review": 1, "promote": 2})
    return (
        out.assign(_o=order)
        .sort_values(["_o", "customer_id"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _by_customer(frame: pd.DataFrame | None, column: str) -> pd.Series:
    """``frame[column]`` indexed by ``customer_id`` (empty when there is no frame or no row)."""
    if frame is None or not len(frame):
        return pd.Series(dtype=str)
    return frame.set_index("customer_id")[column]


def _account_proposal(
    cid: str,
    tier: str,
    *,
    reached: float,
    moves: pd.DataFrame,
    signs: str,
    recorded: str,
    promote_min_attainment: float,
    demote_max_attainment: float,
) -> tuple[str, str, str] | None:
    """One account's (proposal, proposed tier, reason), or None: the rules of the module docstring.

    ``reached`` is its sales attainment (NaN without a plan), ``moves`` the movement table by
    customer id, ``signs`` its warning signs ("" for none), ``recorded`` the reason recorded
    for a lost or declining account ("not recorded" for none).
    """
    status = moves["status"].get(cid, "kept")
    reason_text = f" (reason recorded: {recorded})" if recorded != "not recorded" else ""
    if status == "lost":
        days = moves["days_since_purchase"].get(cid, np.nan)
        since = f"no purchase for {days:.0f} days" if pd.notna(days) else "no purchase in the period"
        return ("demote", "maintain", f"lost: {since}{reason_text}")
    if status == "declining" and (pd.isna(reached) or reached < demote_max_attainment):
        change = moves["change_pct"].get(cid, np.nan)
        return ("demote", "maintain", f"sales down {abs(change):.0%} and {reached:.0%} of plan{reason_text}")
    if tier == "key" and pd.notna(reached) and reached < demote_max_attainment:
        return ("review", "key", f"reached {reached:.0%} of the sales plan")
    if tier == "key" and signs:
        return ("review", "key", signs)
    if tier == "growth" and pd.notna(reached) and reached >= promote_min_attainment and not signs:
        return ("promote", "key", f"reached {reached:.0%} of the sales plan, no warning signs")
    return None


def proposals_path(workspace: Path, period: int) -> Path:
    """Where the proposals for the screening of ``period`` (the period after the review) live."""
    return Path(workspace) / "review" / f"tier_proposals_{int(period)}.csv"


def save_tier_proposals(workspace: Path, period: int, proposals: pd.DataFrame) -> Path:
    """Save the proposals for the screening of ``period``; returns the file written."""
    path = proposals_path(workspace, period)
    io.write_table(proposals[list(PROPOSAL_COLUMNS)], path)
    return path


def load_tier_proposals(workspace: Path, period: int) -> pd.DataFrame:
    """The review's proposals for the screening of ``period`` (empty when there are none)."""
    frame = io.read_table_if_exists(proposals_path(workspace, period))
    if frame is None:
        return pd.DataFrame(columns=list(PROPOSAL_COLUMNS))
    missing = [c for c in PROPOSAL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{proposals_path(workspace, period).name}: missing column(s) {missing}")
    return frame[list(PROPOSAL_COLUMNS)]


def proposals_table(proposals: pd.DataFrame) -> pd.DataFrame:
    """The proposals with readable column names, as the review and the next screening show them."""
    return pd.DataFrame(
        {
            "account": proposals["name"],
            "tier now": proposals["current_tier"],
            "proposal": proposals["proposal"],
            "proposed tier": proposals["proposed_tier"],
            "reason": proposals["reason"],
        }
    )
