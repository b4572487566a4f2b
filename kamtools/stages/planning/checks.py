"""What ``kam validate`` checks for the plan development before any notebook runs.

The ``planning:`` section of ``client.yml``, and the plan file and tracker of the period being
planned when they exist in the workspace (a plan edited by hand is the usual source of trouble):
every problem names its file, and the account and field (plan) or the sheet, row and column
(tracker).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.io import InputFileError
from kamtools.stages.planning.planfile import PlanFileError, plan_path, read_plan
from kamtools.stages.planning.settings import PlanningSettings, PlanningSettingsError
from kamtools.stages.planning.tracker import TrackerError, read_tracker, tracker_path
from kamtools.stages.registry import settings_problem
from kamtools.validation import Problem

__all__ = ["planning_problems", "validate_planning"]


def planning_problems(
    workspace_root: Path,
    *,
    section: Mapping[str, Any] | None,
    current_period: int,
    customers: pd.DataFrame | None = None,
) -> list[Problem]:
    """Every problem that stops the plan development, each naming where it is.

    Parameters
    ----------
    workspace_root : Path
        The client's workspace (the plan file and tracker are in its ``plans`` folder).
    section : mapping, optional
        The ``planning:`` section of ``client.yml``.
    current_period : int
        The screened period; the plan is for the period after it.
    customers : pandas.DataFrame, optional
        The validated customer master: a plan account it does not know is a problem.

    Returns
    -------
    list of Problem
        Plan file problems read "plan_2027.yml: account C00012, field goals.sales.plan: ...";
        tracker problems name sheet, row and column.
    """
    try:
        PlanningSettings.from_mapping(section)
    except PlanningSettingsError as exc:
        return [settings_problem(exc, section="planning")]
    period = int(current_period) + 1
    path = plan_path(workspace_root, period)
    if not path.exists():
        return []
    try:
        plan = read_plan(path)
    except InputFileError as exc:
        return [Problem("plan", exc.file, None, exc.message)]
    except PlanFileError as exc:
        return [
            Problem("plan", p.file, None, ", ".join(filter(None, (
                f"account {p.account}" if p.account else "", f"field {p.field}" if p.field else ""
            ))) + f": {p.message}")
            for p in exc.problems
        ]  # fmt: skip
    problems = []
    if customers is not None and "customer_id" in customers.columns:
        known = set(customers["customer_id"].astype(str))
        problems += [
            Problem(
                "plan",
                path.name,
                None,
                f"account {a.customer_id}, field customer_id: not in the customer master",
            )
            for a in plan.accounts
            if a.customer_id not in known
        ]
    tracker = tracker_path(workspace_root, period)
    if not tracker.exists():
        return problems
    try:
        read_tracker(tracker, plan=plan)
    except InputFileError as exc:
        return [*problems, Problem("tracker", exc.file, None, exc.message)]
    except TrackerError as exc:
        return problems + [
            Problem(
                "tracker",
                p.file,
                p.column or None,
                f"sheet '{p.sheet}': {p.message}",
                rows=(p.row,) if p.row is not None else (),
            )
            for p in exc.problems
        ]
    return problems


def validate_planning(workspace: Any) -> list[Problem]:
    """The plan development's checks of a loaded workspace (``kam validate``, and before ``kam run``).

    The registry checks the settings first; this checks the plan file and tracker of the period
    being planned against the customer master.
    """
    config = workspace.config
    return planning_problems(
        workspace.root,
        section=config.section("planning"),
        current_period=config.current_period,
        customers=workspace.tables.get("customers"),
    )
