"""The reviewed plan as the frames of the stage hand-over contract.

The planning stage owns the plan file (``plans/plan_<period>.yml``, schema ``kamtools-plan/1``)
and its reader. Until the review reads plans through that reader, :func:`plan_frames` flattens a
loaded plan document into the contract's tables: ``plan_goals``, ``plan_actions``,
``plan_contacts``, plus the accounts' tiers and seasonal profiles the review also needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["PlanFrames", "plan_frames"]


@dataclass(frozen=True)
class PlanFrames:
    """A plan as frames: goals, actions, contacts (the hand-over contract), tiers and profiles."""

    goals: pd.DataFrame
    actions: pd.DataFrame
    contacts: pd.DataFrame
    accounts: pd.DataFrame
    seasonal_profile: pd.DataFrame


def plan_frames(document: Mapping[str, Any]) -> PlanFrames:
    """Flatten a plan document (``kamtools-plan/1``) into the review's input frames.

    Returns
    -------
    PlanFrames
        ``goals``: customer_id, stage, metric, baseline, plan, stretch (one row per stage goal);
        ``actions``: action_id, customer_id, title, support, owner, counterpart, start, due,
        expected_effect, status; ``contacts``: customer_id, contact_type, per_quarter,
        account_manager, counterpart; ``accounts``: customer_id, name, tier, account_manager,
        counterpart; ``seasonal_profile``: customer_id, stage, share.
    """
    goals, actions, contacts, accounts, profile = [], [], [], [], []
    for account in document.get("accounts") or []:
        cid = str(account["customer_id"])
        manager, counterpart = account.get("account_manager") or "", account.get("counterpart") or ""
        accounts.append(
            {
                "customer_id": cid,
                "name": account.get("name") or cid,
                "tier": account.get("tier") or "key",
                "account_manager": manager,
                "counterpart": counterpart,
            }
        )
        for metric, goal in (account.get("goals") or {}).items():
            for stage, values in ((goal or {}).get("stages") or {}).items():
                goals.append({"customer_id": cid, "stage": str(stage), "metric": metric, **values})
        for action in account.get("actions") or []:
            actions.append({"customer_id": cid, **action})
        for kind, per_quarter in (account.get("contacts") or {}).items():
            contacts.append(
                {
                    "customer_id": cid,
                    "contact_type": kind,
                    "per_quarter": per_quarter,
                    "account_manager": manager,
                    "counterpart": counterpart,
                }
            )
        for stage, share in (account.get("seasonal_profile") or {}).items():
            profile.append({"customer_id": cid, "stage": str(stage), "share": float(share)})
    goal_frame = pd.DataFrame(
        goals, columns=["customer_id", "stage", "metric", "baseline", "plan", "stretch"]
    )
    goal_frame = goal_frame.dropna(subset=["plan"]).reset_index(drop=True)
    action_columns = [
        "action_id",
        "customer_id",
        "title",
        "support",
        "owner",
        "counterpart",
        "start",
        "due",
        "expected_effect",
        "status",
    ]
    action_frame = pd.DataFrame(actions).reindex(columns=action_columns)
    for column in ("start", "due"):
        action_frame[column] = pd.to_datetime(action_frame[column])
    return PlanFrames(
        goals=goal_frame,
        actions=action_frame,
        contacts=pd.DataFrame(
            contacts, columns=["customer_id", "contact_type", "per_quarter", "account_manager", "counterpart"]
        ),
        accounts=pd.DataFrame(
            accounts, columns=["customer_id", "name", "tier", "account_manager", "counterpart"]
        ),
        seasonal_profile=pd.DataFrame(profile, columns=["customer_id", "stage", "share"]),
    )
