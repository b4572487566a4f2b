"""Editing a plan: every change returns a new :class:`~.planfile.Plan`, the old one untouched.

The workshop's plan builder and any script use these functions; each one checks what it is given
and raises :class:`~kamtools.stages.planning.settings.PlanningError` naming the account and the
field, so an edit can never produce a plan that :func:`~.planfile.read_plan` would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from kamtools.stages.planning.actions import action_problems, as_date
from kamtools.stages.planning.goals import to_cents
from kamtools.stages.planning.planfile import AccountPlan, GoalFigures, MetricGoal, Plan, PlanAction, resplit
from kamtools.stages.planning.settings import CONTACT_TYPES, PlanningError
from kamtools.stages.planning.swot import QUADRANTS

__all__ = [
    "next_action_id",
    "stage_targets",
    "with_account",
    "with_action",
    "with_sales_goal",
    "with_swot",
]


def _replace_account(plan: Plan, account: AccountPlan) -> Plan:
    plan.account(account.customer_id)  # KeyError naming the account when it is not in the plan
    return replace(
        plan, accounts=tuple(account if a.customer_id == account.customer_id else a for a in plan.accounts)
    )


def with_sales_goal(plan: Plan, customer_id: str, *, goal: float, stretch: float) -> Plan:
    """Set an account's sales goal and stretch goal; stages, gross profit and share follow.

    The stages are split again along the account's seasonal profile (exact to the cent); the
    gross-profit goals keep the baseline's margin; the share-of-wallet goals are the new sales
    goals over the wallet (stage values: the stage's sales over the stage's wallet).

    Raises
    ------
    PlanningError
        A goal is negative or the stretch goal is below the plan goal.
    """
    account = plan.account(customer_id)
    if goal < 0 or stretch < goal:
        raise PlanningError(
            f"account {customer_id}, field goals.sales: the goal must be >= 0 and the stretch at least"
            f" the goal; got goal {goal:,.2f} and stretch {stretch:,.2f}"
        )
    labels = plan.stage_labels
    old = account.goals.get("sales")
    baseline = old.year.baseline if old is not None else None
    goals: dict[str, MetricGoal] = dict(account.goals)
    year = GoalFigures(baseline, to_cents(goal) / 100, to_cents(stretch) / 100)
    stages = resplit(year, labels, account.seasonal_profile, share=False)
    if old is not None:  # the baseline stages are last period's actual figures: keep them
        stages = {
            s: replace(f, baseline=old.stages[s].baseline) for s, f in stages.items() if s in old.stages
        }
    goals["sales"] = MetricGoal(year, stages)
    profit = account.goals.get("gross_profit")
    if profit is not None and profit.year.baseline is not None and baseline:
        margin = profit.year.baseline / baseline
        profit_year = GoalFigures(
            profit.year.baseline, to_cents(year.plan * margin) / 100, to_cents(year.stretch * margin) / 100
        )
        profit_stages = resplit(profit_year, labels, account.seasonal_profile, share=False)
        profit_stages = {
            s: replace(f, baseline=profit.stages[s].baseline)
            for s, f in profit_stages.items()
            if s in profit.stages
        }
        goals["gross_profit"] = MetricGoal(profit_year, profit_stages)
    wallet = account.market.get("wallet")
    if wallet and "share_of_wallet" in account.goals:
        share = account.goals["share_of_wallet"]
        share_year = GoalFigures(
            share.year.baseline, min(year.plan / wallet, 1.0), min(year.stretch / wallet, 1.0)
        )
        share_stages = {}
        for label in labels:
            stage_wallet = float(wallet) * float(account.seasonal_profile.get(label, 0.0))
            sales = stages[label]
            share_stages[label] = GoalFigures(
                share.stages[label].baseline if label in share.stages else None,
                min(sales.plan / stage_wallet, 1.0) if stage_wallet > 0 else None,
                min(sales.stretch / stage_wallet, 1.0) if stage_wallet > 0 else None,
            )
        goals["share_of_wallet"] = MetricGoal(share_year, share_stages)
    return _replace_account(plan, replace(account, goals=goals))


def stage_targets(plan: Plan, customer_id: str) -> list[dict[str, Any]]:
    """The account's sales goals by stage: stage, last period, plan, stretch (the builder's live view)."""
    goal = plan.account(customer_id).goals.get("sales")
    if goal is None:
        return []
    return [
        {"stage": label, "last period": f.baseline, "plan": f.plan, "stretch": f.stretch}
        for label, f in goal.stages.items()
    ] + [
        {
            "stage": "year",
            "last period": goal.year.baseline,
            "plan": goal.year.plan,
            "stretch": goal.year.stretch,
        }
    ]


def next_action_id(plan: Plan, customer_id: str) -> str:
    """The next free action id of an account: "<customer_id>-A04" after A01..A03."""
    taken = {a.action_id for acc in plan.accounts for a in acc.actions}
    number = len(plan.account(customer_id).actions) + 1
    while f"{customer_id}-A{number:02d}" in taken:
        number += 1
    return f"{customer_id}-A{number:02d}"


def with_action(plan: Plan, customer_id: str, fields: Mapping[str, Any]) -> Plan:
    """Add an action to an account (no or a new ``action_id``) or change the one with that id.

    Raises
    ------
    PlanningError
        Naming the account and every field that is wrong (status, dates inside the period, ...).
    """
    account = plan.account(customer_id)
    values = dict(fields)
    values.setdefault("action_id", next_action_id(plan, customer_id))
    values.setdefault("status", "planned")
    for name in ("support", "owner", "counterpart", "expected_effect"):
        values[name] = "" if values.get(name) is None else values[name]
    for name in ("start", "due"):
        if isinstance(values.get(name), date):
            values[name] = as_date(values[name])
    problems = action_problems(values, period=(plan.period_start, plan.period_end))
    elsewhere = {a.action_id for acc in plan.accounts if acc.customer_id != customer_id for a in acc.actions}
    if values["action_id"] in elsewhere:
        problems.append(("action_id", f"{values['action_id']} belongs to another account"))
    if problems:
        detail = "; ".join(f"field {name}: {message}" for name, message in problems)
        raise PlanningError(f"account {customer_id}, action {values['action_id']}: {detail}")
    action = PlanAction(
        action_id=str(values["action_id"]),
        title=str(values["title"]).strip(),
        support=str(values["support"]),
        owner=str(values["owner"]),
        counterpart=str(values["counterpart"]),
        start=as_date(values["start"]),
        due=as_date(values["due"]),
        expected_effect=str(values["expected_effect"]),
        status=str(values["status"]),
    )
    actions = [a for a in account.actions if a.action_id != action.action_id]
    position = next(
        (i for i, a in enumerate(account.actions) if a.action_id == action.action_id), len(actions)
    )
    actions.insert(position, action)
    return _replace_account(plan, replace(account, actions=tuple(actions)))


def with_account(
    plan: Plan,
    customer_id: str,
    *,
    account_manager: str | None = None,
    counterpart: str | None = None,
    contacts: Mapping[str, int] | None = None,
) -> Plan:
    """Change who serves an account, its counterpart, or its contact cadence (per quarter)."""
    account = plan.account(customer_id)
    changes: dict[str, Any] = {}
    if account_manager is not None:
        changes["account_manager"] = str(account_manager).strip()
    if counterpart is not None:
        changes["counterpart"] = str(counterpart).strip()
    if contacts is not None:
        bad = [k for k, v in contacts.items() if k not in CONTACT_TYPES or not isinstance(v, int) or v < 0]
        if bad:
            raise PlanningError(
                f"account {customer_id}, field contacts: {', '.join(bad)} must be one of"
                f" {', '.join(CONTACT_TYPES)} with a whole number >= 0 per quarter"
            )
        changes["contacts"] = {k: int(contacts.get(k, account.contacts.get(k, 0))) for k in CONTACT_TYPES}
    return _replace_account(plan, replace(account, **changes))


def with_swot(plan: Plan, customer_id: str, quadrant: str, items: Sequence[str]) -> Plan:
    """Replace one quadrant of an account's SWOT with the workshop's sentences (blank ones dropped)."""
    if quadrant not in QUADRANTS:
        raise PlanningError(
            f"account {customer_id}, field swot: quadrant must be one of {', '.join(QUADRANTS)}"
        )
    account = plan.account(customer_id)
    swot = dict(account.swot)
    swot[quadrant] = tuple(str(i).strip() for i in items if str(i).strip())
    return _replace_account(plan, replace(account, swot=swot))
