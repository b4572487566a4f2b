"""The whole post-period review in one call: :func:`review_period` returns a :class:`ReviewResult`.

It runs the stage's analyses in order on the client's validated tables and the reviewed plan:
plan against actual (attainment, variance split, actions), the revenue bridge, churn and cohorts,
lost and declining accounts with their reasons, satisfaction, the at-risk list and what each
at-risk account is worth, retention economics, contact cadence and the tier proposals for the
next screening. Nothing here formats text; :mod:`kamtools.stages.review.narrative` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamtools.analytics import bridges, cohorts
from kamtools.periods import period_bounds
from kamtools.stages.review import attainment, cadence, defection, economics, next_screening, satisfaction
from kamtools.stages.review.inputs import PlanFrames
from kamtools.stages.review.lessons import lessons_frame
from kamtools.stages.review.settings import ReviewSettings

__all__ = ["ReviewResult", "review_period"]


@dataclass(frozen=True)
class ReviewResult:
    """Every table of the post-period review of one period (see :func:`review_period`)."""

    period: int
    previous: int
    window: tuple[pd.Timestamp, pd.Timestamp]
    settings: ReviewSettings
    accounts: pd.DataFrame  # the plan's accounts: customer_id, name, tier, account_manager, counterpart
    goals: pd.DataFrame
    actuals: pd.DataFrame
    attainment: pd.DataFrame  # per goal
    per_account: pd.DataFrame  # per account and metric, the whole period
    portfolio: pd.DataFrame
    sales_split: pd.DataFrame  # per account and stage: volume, mix, price against plan
    profit_split: pd.DataFrame
    outcomes: pd.DataFrame  # per action
    completion: pd.DataFrame  # per account
    completion_groups: pd.DataFrame
    completion_correlation: float
    dealer_bridge: pd.DataFrame  # steps previous .. current, all customers
    account_bridges: pd.DataFrame  # per key account over product categories
    churn_all: pd.DataFrame
    churn_key: pd.DataFrame
    cohorts: pd.DataFrame
    movement: pd.DataFrame
    reasons: pd.DataFrame
    reason_pattern: pd.DataFrame
    answers: pd.DataFrame
    satisfaction_by_question: pd.DataFrame
    satisfaction_change: pd.DataFrame
    satisfaction_overall: pd.DataFrame
    satisfaction_by_account: pd.DataFrame
    drivers: pd.DataFrame
    survey_waves: tuple[int, ...]
    payments: pd.DataFrame
    at_risk: pd.DataFrame
    economics_key: economics.RetentionEconomics | None
    economics_all: economics.RetentionEconomics | None
    lost_margin: float  # last period's gross profit of the key accounts lost this period
    cadence: pd.DataFrame
    cadence_groups: pd.DataFrame
    cadence_correlation: float
    proposals: pd.DataFrame
    lessons: pd.DataFrame
    has_costs: bool
    has_quantities: bool

    @property
    def has_plan(self) -> bool:
        """True when the period had a plan with goals to compare against."""
        return len(self.goals) > 0

    @property
    def names(self) -> pd.Series:
        """Account name by customer id (the plan's accounts)."""
        return self.accounts.set_index("customer_id")["name"]


def _lines(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    sales = tables["sales"]
    return sales.assign(customer_id=sales["customer_id"].astype(str))


def _satisfaction(
    surveys: pd.DataFrame | None, *, start_month: int, period: int, settings: ReviewSettings
) -> dict[str, object]:
    """Answers, distributions, change and drivers (ReviewResult fields); empty without surveys."""
    empty = pd.DataFrame()
    names = (
        "answers",
        "satisfaction_by_question",
        "satisfaction_change",
        "satisfaction_overall",
        "satisfaction_by_account",
        "drivers",
    )
    if surveys is None or surveys.empty:
        return {**dict.fromkeys(names, empty), "survey_waves": ()}
    answers = satisfaction.survey_answers(surveys, start_month=start_month)
    answers = answers[answers["wave"] <= period]
    waves = tuple(sorted(int(w) for w in answers["wave"].unique()))[-2:]
    current = waves[-1] if waves else period
    before = waves[0] if len(waves) == 2 else current
    minimum = settings.min_answers

    def change(frame: pd.DataFrame, by: str) -> pd.DataFrame:
        return satisfaction.satisfaction_change(
            frame, by=by, previous_wave=before, current_wave=current, min_answers=minimum
        )

    return {
        "answers": answers,
        "satisfaction_by_question": satisfaction.satisfaction_distribution(
            answers[answers["wave"].isin(waves)], by="dimension", min_answers=minimum
        ),
        "satisfaction_change": change(answers, "dimension"),
        "satisfaction_overall": change(answers.assign(all="all questions"), "all"),
        "satisfaction_by_account": change(answers, "customer_id"),
        "drivers": satisfaction.satisfaction_drivers(answers, waves=[current], min_answers=minimum),
        "survey_waves": waves,
    }


def _bridges(lines: pd.DataFrame, ids: list[str], previous, window) -> dict[str, pd.DataFrame]:
    """The dealer's revenue bridge over customers, and one per key account over categories."""
    by = "category" if "category" in lines.columns else "product" if "product" in lines.columns else None
    read = ["invoice_date", "customer_id", "net_sales", *([by] if by else [])]
    key_lines = lines.loc[lines["customer_id"].isin(ids), read]  # the columns a bridge reads
    per_account = pd.DataFrame()
    if by:
        moves = bridges.gain_loss(key_lines, previous=previous, current=window, by=["customer_id", by])
        per_account = bridges.bridge_steps(moves, by="customer_id")
    return {
        "dealer_bridge": bridges.bridge_steps(bridges.gain_loss(lines, previous=previous, current=window)),
        "account_bridges": per_account,
    }


def _defection(
    lines, ids, tables, previous, window, settings: ReviewSettings, by_account
) -> dict[str, object]:
    """Lost and declining accounts, their reasons, payment trend and the at-risk list."""
    movement = defection.account_movement(
        lines,
        accounts=ids,
        previous=previous,
        current=window,
        lost_after_days=settings.lost_after_days,
        decline_threshold=settings.decline_threshold,
    )
    reasons = defection.defection_reasons(movement, tables.get("lost_customers"))
    payments = defection.payment_trend(tables.get("receivables"), previous=previous, current=window)
    risky = defection.at_risk_accounts(
        movement,
        satisfaction=by_account,
        payments=payments,
        low_satisfaction=settings.low_satisfaction,
        satisfaction_drop=settings.satisfaction_drop,
        purchase_drop=settings.purchase_drop,
        late_payment_rise_days=settings.late_payment_rise_days,
    )
    lost_ids = movement.loc[movement["status"] == "lost", "customer_id"]
    lost_margin = float(movement.set_index("customer_id")["previous_gross_profit"].reindex(lost_ids).sum())
    return {
        "movement": movement,
        "reasons": reasons,
        "reason_pattern": defection.reason_pattern(reasons),
        "payments": payments,
        "at_risk": risky,
        "lost_margin": lost_margin if np.isfinite(lost_margin) else 0.0,
    }


def _cadence(plan: PlanFrames, contacts, movement, *, window, settings: ReviewSettings) -> dict[str, object]:
    ids = plan.accounts["customer_id"].astype(str).tolist()
    table = cadence.contact_cadence(
        plan.contacts, contacts, window=window, no_contact_days=settings.no_contact_days, accounts=ids
    )
    groups, correlation = cadence.contact_vs_results(table, movement)
    return {"cadence": table, "cadence_groups": groups, "cadence_correlation": correlation}


def _plan_against_actual(lines, plan: PlanFrames, tables, *, period, start_month, settings, tracker_actions):
    actuals = attainment.actuals_by_stage(
        lines,
        plan.goals,
        period=period,
        start_month=start_month,
        market=tables.get("market"),
        seasonal_profile=plan.seasonal_profile,
    )
    per_goal = attainment.attainment(plan.goals, actuals, tolerance=settings.ahead_tolerance)
    per_account = attainment.account_attainment(plan.goals, actuals, tolerance=settings.ahead_tolerance)
    _, end = period_bounds(period, start_month=start_month)
    outcomes = attainment.action_outcomes(plan.actions, tracker_actions, as_of=end)
    completion = attainment.completion_by_account(outcomes)
    groups, correlation = attainment.completion_vs_results(completion, per_account)
    return {
        "actuals": actuals,
        "attainment": per_goal,
        "per_account": per_account,
        "portfolio": attainment.portfolio_attainment(per_account),
        "sales_split": attainment.sales_variance(lines, plan.goals, period=period, start_month=start_month),
        "profit_split": attainment.gross_profit_variance(plan.goals, actuals),
        "outcomes": outcomes,
        "completion": completion,
        "completion_groups": groups,
        "completion_correlation": correlation,
    }


def _churn_tables(
    lines, ids: list[str], *, period, start_month, settings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Churn per period of all customers, and of the key accounts: the plan's for ``period``,
    as many of the largest customers of the year before for earlier periods.

    The active periods and recent buyers are computed once over the lines and filtered per
    group (:func:`kamtools.analytics.cohorts.churn_from_active`), not once per group.
    """
    active = cohorts.active_periods(lines, start_month=start_month)
    periods = [int(p) for p in sorted(active["period"].unique())[1:] if p <= period]
    recent = cohorts.recent_buyers(
        lines, periods, start_month=start_month, recency_days=settings.lost_after_days
    )
    churn_all = cohorts.churn_from_active(active, periods=periods, recent=recent)
    key_rows = []
    for p in churn_all["period"]:
        if p == period:
            members = pd.Index(ids).astype(str)
        else:
            members = active[active["period"] == p - 1].nlargest(len(ids), "sales")["customer_id"]
        row = cohorts.churn_from_active(
            active[active["customer_id"].isin(members)], periods=[p], recent=recent
        )
        key_rows.append(row.assign(accounts="plan's key accounts" if p == period else "largest customers"))
    churn_key = pd.concat(key_rows, ignore_index=True) if key_rows else pd.DataFrame()
    return churn_all, churn_key


def _churn_and_economics(lines, accounts, movement, actuals, *, period, start_month, settings):
    ids = accounts["customer_id"].tolist()
    churn_all, churn_key = _churn_tables(
        lines, ids, period=period, start_month=start_month, settings=settings
    )
    profit = actuals.groupby("customer_id")["gross_profit"].sum(min_count=1)
    kept_ids = movement.loc[movement["status"] != "lost", "customer_id"]
    economics_key = economics_all = None
    current_key = churn_key[churn_key["period"] == period]
    if len(current_key) and profit.notna().any():
        economics_key = economics.retention_economics(
            profit.reindex(kept_ids).fillna(0.0),
            churn_rate=float(current_key["churn_rate"].iloc[0]),
            reduction=settings.churn_reduction,
            horizon_years=settings.horizon_years,
            discount_rate=settings.discount_rate,
        )
    current_all = churn_all[churn_all["period"] == period]
    if len(current_all) and "cost" in lines.columns:
        start, end = period_bounds(period, start_month=start_month)
        # A mask over three columns rather than a copy of every column of the period's lines.
        inside = (lines["invoice_date"] >= start) & (lines["invoice_date"] <= end)
        margins = (lines["net_sales"] - lines["cost"])[inside].groupby(lines.loc[inside, "customer_id"]).sum()
        economics_all = economics.retention_economics(
            margins,
            churn_rate=float(current_all["churn_rate"].iloc[0]),
            reduction=settings.churn_reduction,
            horizon_years=settings.horizon_years,
            discount_rate=settings.discount_rate,
        )
    return churn_all, churn_key, economics_key, economics_all


def _valued_at_risk(
    at_risk: pd.DataFrame,
    actuals: pd.DataFrame,
    economics_key: economics.RetentionEconomics | None,
    *,
    settings: ReviewSettings,
) -> pd.DataFrame:
    """``at_risk`` with ``value_at_risk``: each account's gross profit over the horizon, discounted.

    Retention is one minus the key accounts' churn rate (``economics_key``; full retention
    without it); an account without gross profit in ``actuals`` is worth 0.
    """
    profit = actuals.groupby("customer_id")["gross_profit"].sum(min_count=1)
    values = economics.account_values(
        profit.reindex(at_risk["customer_id"]).fillna(0.0),
        retention=1 - (economics_key.churn_rate if economics_key else 0.0),
        horizon_years=settings.horizon_years,
        discount_rate=settings.discount_rate,
    )
    return at_risk.assign(value_at_risk=values.to_numpy())


def _tier_proposals(
    accounts: pd.DataFrame,
    found: Mapping[str, Any],
    gone: Mapping[str, Any],
    *,
    settings: ReviewSettings,
) -> pd.DataFrame:
    """The next screening's tier proposals from the plan's attainment (``found``, of
    :func:`_plan_against_actual`) and the lost, declining and at-risk accounts (``gone``, of
    :func:`_defection`)."""
    return next_screening.propose_tier_changes(
        accounts,
        per_account=found["per_account"],
        movement=gone["movement"],
        at_risk=gone["at_risk"],
        reasons=gone["reasons"],
        promote_min_attainment=settings.promote_min_attainment,
        demote_max_attainment=settings.demote_max_attainment,
    )


def review_period(
    tables: Mapping[str, pd.DataFrame],
    plan: PlanFrames,
    *,
    tracker_actions: pd.DataFrame | None,
    tracker_contacts: pd.DataFrame | None,
    period: int,
    start_month: int,
    settings: ReviewSettings | None = None,
    lessons: pd.DataFrame | None = None,
) -> ReviewResult:
    """Review a period against its plan.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The client's validated tables: ``sales`` (required), ``surveys``, ``receivables``,
        ``market``, ``lost_customers`` when present.
    plan : PlanFrames
        The reviewed plan (:func:`kamtools.stages.review.inputs.plan_frames`).
    tracker_actions, tracker_contacts : pandas.DataFrame or None
        The tracker's two sheets (None when the client kept no tracker).
    period, start_month : int
        The reviewed fiscal period and the first month of the fiscal year.
    settings : ReviewSettings, optional
    lessons : pandas.DataFrame, optional
        Lessons saved by the workshop (:func:`kamtools.stages.review.lessons.load_lessons`).

    Returns
    -------
    ReviewResult
    """
    settings = settings or ReviewSettings()
    lines = _lines(tables)
    window = period_bounds(period, start_month=start_month)
    previous = period_bounds(period - 1, start_month=start_month)
    ids = plan.accounts["customer_id"].astype(str).tolist()
    found = _plan_against_actual(
        lines,
        plan,
        tables,
        period=period,
        start_month=start_month,
        settings=settings,
        tracker_actions=tracker_actions,
    )
    mood = _satisfaction(tables.get("surveys"), start_month=start_month, period=period, settings=settings)
    gone = _defection(lines, ids, tables, previous, window, settings, mood["satisfaction_by_account"])
    churn_all, churn_key, economics_key, economics_all = _churn_and_economics(
        lines,
        plan.accounts,
        gone["movement"],
        found["actuals"],
        period=period,
        start_month=start_month,
        settings=settings,
    )
    gone["at_risk"] = _valued_at_risk(gone["at_risk"], found["actuals"], economics_key, settings=settings)
    return ReviewResult(
        period=int(period),
        previous=int(period) - 1,
        window=window,
        settings=settings,
        accounts=plan.accounts,
        goals=plan.goals,
        **found,
        **_bridges(lines, ids, previous, window),
        churn_all=churn_all,
        churn_key=churn_key,
        cohorts=cohorts.cohort_retention(
            # Only the columns a cohort reads: a copy of every column of the lines cost as much.
            lines.loc[lines["invoice_date"] <= window[1], ["invoice_date", "customer_id", "net_sales"]],
            start_month=start_month,
        ),
        **mood,
        **gone,
        economics_key=economics_key,
        economics_all=economics_all,
        **_cadence(plan, tracker_contacts, gone["movement"], window=window, settings=settings),
        proposals=_tier_proposals(plan.accounts, found, gone, settings=settings),
        lessons=lessons if lessons is not None else lessons_frame([]),
        has_costs="cost" in lines.columns,
        has_quantities={"quantity", "product"} <= set(lines.columns),
    )
