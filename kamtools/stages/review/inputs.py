"""The plan a review reads back: the plan file and the tracker of the reviewed period.

The planning stage owns both files and their readers (:mod:`kamtools.stages.planning.planfile`,
:mod:`kamtools.stages.planning.tracker`): ``plans/plan_<period>.yml`` and
``plans/tracker_<period>.xlsx`` in the workspace. This module turns a read plan into the frames
of the stage hand-over contract, plus the accounts' tiers and seasonal profiles the review also
needs, and collects every problem of either file as one readable error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kamtools.io import InputFileError
from kamtools.stages.planning.planfile import Plan, PlanFileError, plan_path, plan_tables, read_plan
from kamtools.stages.planning.tracker import TrackerError, read_tracker, tracker_path

__all__ = ["PlanFrames", "ReviewInputError", "load_reviewed_plan", "plan_frames"]


class ReviewInputError(Exception):
    """The plan or the tracker of the reviewed period is missing or wrong.

    ``problems`` holds one sentence per problem, each naming the file and the account, sheet, row,
    column or field concerned.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PlanFrames:
    """A plan as frames: goals, actions, contacts (the hand-over contract), tiers and profiles."""

    goals: pd.DataFrame
    actions: pd.DataFrame
    contacts: pd.DataFrame
    accounts: pd.DataFrame
    seasonal_profile: pd.DataFrame


def plan_frames(plan: Plan) -> PlanFrames:
    """The review's input frames of a plan.

    Returns
    -------
    PlanFrames
        ``goals``: customer_id, stage, metric, baseline, plan, stretch (stage goals with a plan);
        ``actions``: the ``plan_actions`` contract with ``start`` and ``due`` as dates;
        ``contacts``: customer_id, contact_type, per_quarter, account_manager, counterpart;
        ``accounts``: customer_id, name, tier, account_manager, counterpart;
        ``seasonal_profile``: customer_id, stage, share.
    """
    goals, actions, contacts = plan_tables(plan)
    goals = goals.dropna(subset=["plan"]).reset_index(drop=True)
    actions = actions.assign(start=pd.to_datetime(actions["start"]), due=pd.to_datetime(actions["due"]))
    accounts = pd.DataFrame(
        [
            (a.customer_id, a.name or a.customer_id, a.tier, a.account_manager, a.counterpart)
            for a in plan.accounts
        ],
        columns=["customer_id", "name", "tier", "account_manager", "counterpart"],
    )
    profile = pd.DataFrame(
        [
            (a.customer_id, stage, float(share))
            for a in plan.accounts
            for stage, share in a.seasonal_profile.items()
        ],
        columns=["customer_id", "stage", "share"],
    )
    return PlanFrames(
        goals=goals, actions=actions, contacts=contacts, accounts=accounts, seasonal_profile=profile
    )


def load_reviewed_plan(workspace: Path, period: int) -> tuple[Plan, pd.DataFrame | None, pd.DataFrame | None]:
    """Read and check the plan and the tracker of ``period`` from the workspace.

    Returns
    -------
    (Plan, DataFrame or None, DataFrame or None)
        The plan, the tracker's actions and contacts (None when the client kept no tracker).

    Raises
    ------
    ReviewInputError
        No plan for the period, or a plan or tracker that breaks its rules; every problem is named.
    """
    path = plan_path(workspace, period)
    if not path.exists():
        raise ReviewInputError(
            [
                f"{path.name}: no plan for {period} in the workspace;"
                " the review compares a period with its plan"
            ]
        )
    try:
        plan = read_plan(path)
    except InputFileError as exc:
        raise ReviewInputError([str(exc)]) from exc
    except PlanFileError as exc:
        raise ReviewInputError([str(p) for p in exc.problems]) from exc
    tracker_file = tracker_path(workspace, period)
    if not tracker_file.exists():
        return plan, None, None
    try:
        tracker = read_tracker(tracker_file, plan=plan)
    except InputFileError as exc:
        raise ReviewInputError([str(exc)]) from exc
    except TrackerError as exc:
        raise ReviewInputError([str(p) for p in exc.problems]) from exc
    return plan, tracker.actions, tracker.contacts
