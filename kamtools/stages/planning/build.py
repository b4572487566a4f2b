"""Plan development end to end: analyse each key account, then propose its plan.

:func:`analyse_accounts` gathers the market, competitor and self analysis of every key and
growth account from the workspace tables; :func:`propose_plan` turns it (with the needs stage's
scorecard, support and team) into a :class:`~kamtools.stages.planning.planfile.Plan`: goals by
stage, SWOT, contact cadence and actions, ready to be edited in the workshop and saved.
Pure functions: nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kamtools.periods import period_bounds
from kamtools.stages.planning.actions import level_actions, propose_actions, propose_gap_actions
from kamtools.stages.planning.competitors import competitor_table, price_signals
from kamtools.stages.planning.contacts import account_managers, contact_plan
from kamtools.stages.planning.goals import (
    METRICS,
    plan_stages,
    propose_goals,
    seasonal_profiles,
    stage_actuals,
    stage_goals,
)
from kamtools.stages.planning.load import team_load
from kamtools.stages.planning.market import (
    account_baseline,
    category_gaps,
    records_by_account,
    require_columns,
    wallet_share,
)
from kamtools.stages.planning.planfile import (
    AccountPlan,
    GoalFigures,
    MetricGoal,
    Plan,
    PlanAction,
    PlanStage,
    plan_tables,
)
from kamtools.stages.planning.settings import PlanningSettings
from kamtools.stages.planning.swot import QUADRANTS, swot_table

__all__ = ["AccountAnalysis", "PlanContext", "analyse_accounts", "plan_load", "propose_plan"]

PLANNED_TIERS = ("key", "growth")


@dataclass(frozen=True)
class PlanContext:
    """Who and when a plan is for.

    Attributes
    ----------
    client, currency : str
        The dealer's name and ISO currency code.
    start_month : int
        First month of the fiscal year.
    period : int
        The plan period (the period after the screened ``current``).
    baseline_period : int
        "Last period": the baseline of every goal (``period - 1`` by default).
    """

    client: str
    currency: str
    start_month: int
    period: int
    baseline_period: int

    @property
    def plan_bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return period_bounds(self.period, start_month=self.start_month)

    @property
    def baseline_bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return period_bounds(self.baseline_period, start_month=self.start_month)

    @property
    def previous_bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return period_bounds(self.baseline_period - 1, start_month=self.start_month)


@dataclass(frozen=True)
class AccountAnalysis:
    """The market, competitor and self analysis of the planned accounts.

    Attributes
    ----------
    accounts : pandas.DataFrame
        One row per key or growth account in screening rank order: ``customer_id``, ``name``,
        ``tier``, ``account_manager``, the baseline columns (``sales``, ``gross_profit``,
        ``previous_sales``, ``previous_gross_profit``, ``growth``) and the wallet columns
        (``wallet``, ``share_of_wallet``, ``headroom``, ``wallet_note``).
    gaps, competitors, prices, profiles, actuals : pandas.DataFrame
        Category gaps, competitors named, price signals, seasonal profiles and the baseline
        period's actual figures per stage.
    """

    accounts: pd.DataFrame
    gaps: pd.DataFrame
    competitors: pd.DataFrame
    prices: pd.DataFrame
    profiles: pd.DataFrame
    actuals: pd.DataFrame


def analyse_accounts(
    key_accounts: pd.DataFrame,
    *,
    sales: pd.DataFrame,
    context: PlanContext,
    customers: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    team: pd.DataFrame | None = None,
    settings: PlanningSettings | None = None,
) -> AccountAnalysis:
    """Analyse every key and growth account of the screening for its plan.

    Parameters
    ----------
    key_accounts : pandas.DataFrame
        Screening's ``key_accounts``: ``customer_id``, ``name``, ``tier``; ``account_manager``
        and ``rank`` optional (the team table names managers where it is empty).
    sales, customers, market, team : pandas.DataFrame
        Workspace tables; ``customers`` (segments), ``market`` (wallets, competitors) and
        ``team`` are optional and the analysis says what is missing without them.
    context : PlanContext
        Plan and baseline periods.
    settings : PlanningSettings, optional
        The stage's rules.
    """
    settings = settings or PlanningSettings()
    require_columns(key_accounts, ("customer_id", "name", "tier"), "key_accounts")
    planned = key_accounts.loc[key_accounts["tier"].astype(str).isin(PLANNED_TIERS)]
    if "rank" in planned.columns:
        planned = planned.sort_values("rank", kind="stable")
    ids = planned["customer_id"].astype(str).tolist()
    managers = account_managers(team, customer_ids=ids)
    given = (
        planned["account_manager"].fillna("").astype(str).tolist()
        if "account_manager" in planned
        else [""] * len(ids)
    )
    accounts = pd.DataFrame(
        {
            "customer_id": ids,
            "name": planned["name"].astype(str).tolist(),
            "tier": planned["tier"].astype(str).tolist(),
            "account_manager": [g.strip() or managers[c] for g, c in zip(given, ids, strict=True)],
        }
    )
    baseline = account_baseline(
        sales, customer_ids=ids, baseline=context.baseline_bounds, previous=context.previous_bounds
    )
    wallets = wallet_share(baseline[["customer_id", "sales"]], market)
    accounts = accounts.merge(baseline, on="customer_id", how="left").merge(
        wallets.drop(columns="sales"), on="customer_id", how="left"
    )
    customers = customers if customers is not None else pd.DataFrame({"customer_id": pd.Series(dtype=str)})
    stage_months = settings.stage_months
    return AccountAnalysis(
        accounts=accounts,
        gaps=category_gaps(
            sales, customers, customer_ids=ids, baseline=context.baseline_bounds, settings=settings
        ),
        competitors=competitor_table(market, customer_ids=ids),
        prices=price_signals(sales, customers, customer_ids=ids, baseline=context.baseline_bounds),
        profiles=seasonal_profiles(
            sales,
            customer_ids=ids,
            start_month=context.start_month,
            stage_months=stage_months,
            until=context.baseline_bounds[1],
            settings=settings,
        ),
        actuals=stage_actuals(
            sales,
            customer_ids=ids,
            baseline=context.baseline_bounds,
            start_month=context.start_month,
            stage_months=stage_months,
        ),
    )


def _figure(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _goal_figures(row: Mapping[str, Any]) -> GoalFigures:
    return GoalFigures(_figure(row["baseline"]), _figure(row["plan"]), _figure(row["stretch"]))


def _account_goals(
    stage_rows: list[dict[str, Any]], annual_rows: list[dict[str, Any]]
) -> dict[str, MetricGoal]:
    """One account's goals per metric: the year (its first annual row) and its stages in order."""
    goals = {}
    for metric in METRICS:
        year = [r for r in annual_rows if r["metric"] == metric]
        if not year:
            continue
        row = year[0]
        goals[metric] = MetricGoal(
            _goal_figures(row),
            {str(s["stage"]): _goal_figures(s) for s in stage_rows if s["metric"] == metric},
        )
    return goals


def _market_snapshot(
    row: Mapping[str, Any], gaps: list[dict[str, Any]], rivals: list[dict[str, Any]]
) -> dict[str, object]:
    return {
        "wallet": _figure(row["wallet"]),
        "share_of_wallet": None
        if pd.isna(row["share_of_wallet"])
        else round(float(row["share_of_wallet"]), 6),
        "headroom": _figure(row["headroom"]),
        "competitors": [str(r["competitor"]) for r in rivals],  # names are text (split_competitors)
        "white_space": [
            {
                "category": str(g["category"]),
                "gap": str(g["gap"]),
                "peer_penetration": round(float(g["peer_penetration"]), 4),
                "opportunity": round(float(g["opportunity"]), 2),
            }
            for g in gaps
        ],
    }


_ACTION_FIELDS = frozenset(PlanAction.__dataclass_fields__)


def _account_plan(row: Mapping[str, Any], mine: Mapping[str, list[dict[str, Any]]]) -> AccountPlan:
    """One account's plan from its record and its records of every proposed table (in table order)."""
    return AccountPlan(
        customer_id=str(row["customer_id"]),
        name=str(row["name"]),
        tier=str(row["tier"]),
        account_manager=str(row["account_manager"]),
        counterpart=str(row["counterpart"]),
        seasonal_profile={str(p["stage"]): round(float(p["share"]), 6) for p in mine["profiles"]},
        goals=_account_goals(mine["goals"], mine["annual"]),
        contacts={str(c["contact_type"]): int(c["per_quarter"]) for c in mine["contacts"]},
        actions=tuple(
            PlanAction(**{k: v for k, v in a.items() if k in _ACTION_FIELDS}) for a in mine["actions"]
        ),
        swot={q: tuple(s["item"] for s in mine["swot"] if s["quadrant"] == q) for q in QUADRANTS},
        market=_market_snapshot(row, mine["gaps"], mine["competitors"]),
    )


def propose_plan(
    analysis: AccountAnalysis,
    *,
    context: PlanContext,
    needs_scorecard: pd.DataFrame | None = None,
    needs_support: pd.DataFrame | None = None,
    needs_team: pd.DataFrame | None = None,
    money: Callable[[float], str] | None = None,
    settings: PlanningSettings | None = None,
) -> Plan:
    """The proposed plan of every analysed account, for the workshop to edit.

    Parameters
    ----------
    analysis : AccountAnalysis
        From :func:`analyse_accounts`.
    context : PlanContext
        Client, currency and periods.
    needs_scorecard, needs_support, needs_team : pandas.DataFrame, optional
        The needs stage's outputs (strengths and weaknesses, support to turn into actions, the
        service team that owns them). Without them the SWOT has no strengths or weaknesses and
        no actions are proposed.
    money : callable, optional
        Writes an amount in SWOT sentences (the notebook passes the house formatter).
    settings : PlanningSettings, optional
        The stage's rules.
    """
    settings = settings or PlanningSettings()
    accounts = analysis.accounts.assign(counterpart=settings.default_counterpart)
    annual = propose_goals(accounts, settings=settings)
    wallets = dict(zip(accounts["customer_id"], accounts["wallet"], strict=True))
    staged = stage_goals(annual, analysis.profiles, baseline_by_stage=analysis.actuals, wallets=wallets)
    money = money or (lambda amount: f"{amount:,.0f} {context.currency}")
    actions = _proposed_actions(
        analysis,
        accounts,
        period=context.plan_bounds,
        needs_support=needs_support,
        needs_team=needs_team,
        needs_scorecard=needs_scorecard,
        money=money,
        settings=settings,
    )
    swot = swot_table(
        customer_ids=accounts["customer_id"].tolist(),
        scorecard=needs_scorecard,
        wallets=accounts,
        baseline=accounts,
        gaps=analysis.gaps,
        competitors=analysis.competitors,
        prices=analysis.prices,
        money=money,
        settings=settings,
    )
    parts = {
        name: records_by_account(frame)
        for name, frame in {
            "profiles": analysis.profiles,
            "actions": actions,
            "swot": swot,
            "goals": staged,
            "annual": annual,
            "contacts": contact_plan(accounts, settings=settings),
            "gaps": analysis.gaps,
            "competitors": analysis.competitors,
        }.items()
    }
    plans = []
    for row in accounts.to_dict("records"):
        cid = str(row["customer_id"])
        plans.append(_account_plan(row, {name: groups.get(cid, []) for name, groups in parts.items()}))
    start, end = context.plan_bounds
    stages = plan_stages(context.period, start_month=context.start_month, stage_months=settings.stage_months)
    return Plan(
        client=context.client,
        currency=context.currency,
        period=context.period,
        period_start=start.date(),
        period_end=end.date(),
        baseline_period=context.baseline_period,
        stages=tuple(PlanStage(s.stage, s.start.date(), s.end.date()) for s in stages),
        accounts=tuple(plans),
    )


def _proposed_actions(
    analysis: AccountAnalysis,
    accounts: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp],
    needs_support: pd.DataFrame | None,
    needs_team: pd.DataFrame | None,
    needs_scorecard: pd.DataFrame | None,
    money: Callable[[float], str],
    settings: PlanningSettings,
) -> pd.DataFrame:
    """The needs stage's support turned into actions, then actions for the white-space gaps, levelled.

    Returns an empty frame (a ``customer_id`` column only) when nothing is proposed.
    """
    support_actions = (
        propose_actions(
            needs_support,
            accounts=accounts,
            period=period,
            needs_team=needs_team,
            scorecard=needs_scorecard,
            settings=settings,
            level=False,
        )
        if needs_support is not None and not needs_support.empty
        else None
    )
    gap_actions = propose_gap_actions(
        analysis.gaps,
        accounts=accounts,
        period=period,
        existing=support_actions,
        money=money,
        settings=settings,
    )
    proposed = [f for f in (support_actions, gap_actions) if f is not None and len(f)]
    if not proposed:
        return pd.DataFrame(columns=["customer_id"])
    return level_actions(pd.concat(proposed, ignore_index=True), period=period, settings=settings)


def plan_load(plan: Plan, *, settings: PlanningSettings | None = None) -> pd.DataFrame:
    """The team's load per member and month under a plan (see :func:`~.load.team_load`)."""
    _, actions, contacts = plan_tables(plan)
    return team_load(
        actions,
        contacts,
        period=(pd.Timestamp(plan.period_start), pd.Timestamp(plan.period_end)),
        settings=settings,
    )
