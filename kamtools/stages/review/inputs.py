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
from typing import TYPE_CHECKING

import pandas as pd

from kamtools.io import InputFileError
from kamtools.stages.planning.actions import ACTION_COLUMNS
from kamtools.stages.planning.planfile import (
    Plan,
    PlanFileError,
    PlanProblem,
    plan_path,
    plan_tables,
    read_plan,
)
from kamtools.stages.planning.tracker import TrackerError, TrackerProblem, read_tracker, tracker_path
from kamtools.validation import Problem

if TYPE_CHECKING:
    from kamtools.workspace import Workspace

__all__ = ["PlanFrames", "ReviewInputError", "load_reviewed_plan", "plan_frames", "review_problems"]


class ReviewInputError(Exception):
    """The plan or the tracker of the reviewed period is wrong.

    ``problems`` holds a :class:`kamtools.validation.Problem` per problem, each naming the file and
    the account, sheet, row, column or field concerned.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _plan_problem(problem: PlanProblem) -> Problem:
    where = f"account {problem.account}: " if problem.account else ""
    return Problem("plan", problem.file, problem.field or None, where + problem.message)


def _tracker_problem(problem: TrackerProblem) -> Problem:
    rows = (problem.row,) if problem.row is not None else ()
    return Problem(
        "tracker", problem.file, problem.column or None, f"sheet '{problem.sheet}': {problem.message}", rows
    )


@dataclass(frozen=True)
class PlanFrames:
    """A plan as frames: goals, actions, contacts (the hand-over contract), tiers and profiles."""

    goals: pd.DataFrame
    actions: pd.DataFrame
    contacts: pd.DataFrame
    accounts: pd.DataFrame
    seasonal_profile: pd.DataFrame


def plan_frames(plan: Plan | None) -> PlanFrames:
    """The review's input frames of a plan (empty frames for None: no plan).

    Returns
    -------
    PlanFrames
        ``goals``: customer_id, stage, metric, baseline, plan, stretch (stage goals with a plan);
        ``actions``: the ``plan_actions`` contract with ``start`` and ``due`` as dates;
        ``contacts``: customer_id, contact_type, per_quarter, account_manager, counterpart;
        ``accounts``: customer_id, name, tier, account_manager, counterpart;
        ``seasonal_profile``: customer_id, stage, share.
    """
    if plan is None:
        return PlanFrames(
            goals=pd.DataFrame(columns=["customer_id", "stage", "metric", "baseline", "plan", "stretch"]),
            actions=pd.DataFrame(columns=list(ACTION_COLUMNS)).astype(
                {"start": "datetime64[ns]", "due": "datetime64[ns]"}
            ),
            contacts=pd.DataFrame(
                columns=["customer_id", "contact_type", "per_quarter", "account_manager", "counterpart"]
            ),
            accounts=pd.DataFrame(columns=["customer_id", "name", "tier", "account_manager", "counterpart"]),
            seasonal_profile=pd.DataFrame(columns=["customer_id", "stage", "share"]),
        )
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


def load_reviewed_plan(
    workspace: Path, period: int
) -> tuple[Plan | None, pd.DataFrame | None, pd.DataFrame | None]:
    """Read and check the plan and the tracker of ``period`` from the workspace.

    Returns
    -------
    (Plan or None, DataFrame or None, DataFrame or None)
        The plan (None when the workspace has none for the period: the review then shows what
        it can without one), the tracker's actions and contacts (None without a tracker).

    Raises
    ------
    ReviewInputError
        A plan or tracker that breaks its rules; every problem is named.
    """
    path = plan_path(workspace, period)
    if not path.exists():
        return None, None, None
    try:
        plan = read_plan(path)
    except InputFileError as exc:
        raise ReviewInputError([Problem("plan", exc.file, None, exc.message)]) from exc
    except PlanFileError as exc:
        raise ReviewInputError([_plan_problem(p) for p in exc.problems]) from exc
    tracker_file = tracker_path(workspace, period)
    if not tracker_file.exists():
        return plan, None, None
    try:
        tracker = read_tracker(tracker_file, plan=plan)
    except InputFileError as exc:
        raise ReviewInputError([Problem("tracker", exc.file, None, exc.message)]) from exc
    except TrackerError as exc:
        raise ReviewInputError([_tracker_problem(p) for p in exc.problems]) from exc
    return plan, tracker.actions, tracker.contacts


def review_problems(workspace: Workspace) -> list[Problem]:
    """The review's own checks for ``kam validate``: the reviewed period's plan file and tracker.

    No plan at all is not a problem (the review then reports what it can without one).
    """
    try:
        load_reviewed_plan(workspace.root, workspace.config.current_period)
    except ReviewInputError as exc:
        return exc.problems
    return []
