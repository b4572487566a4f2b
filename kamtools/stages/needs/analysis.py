"""The whole needs analysis of one client: from screening's key accounts to every output.

:func:`analyse_needs` strings the pure steps together (scores, profit, reorder risk,
scorecard, support, team, priority) and returns a :class:`NeedsAnalysis` holding every frame
the report and the later stages use; it reads no file. :func:`analyse_client` gathers its
inputs for a loaded workspace (screening's key accounts, the workshop's assessment history)
through :mod:`kamtools.io`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from kamtools import io
from kamtools.contract import KEY_ACCOUNTS
from kamtools.periods import period_bounds
from kamtools.stages.needs import indicators, profit, reorder, support, team
from kamtools.stages.needs.indicators import _require
from kamtools.stages.needs.settings import NeedsSettings
from kamtools.stages.needs.store import combined_assessments, parse_assessment_store, read_assessment_store
from kamtools.workspace import Workspace


@dataclass(frozen=True)
class NeedsAnalysis:
    """Every result of the needs analysis of one period.

    Attributes
    ----------
    accounts : pandas.DataFrame
        The key accounts in report order: customer_id, name, rank, sales, gross_profit,
        priority (1 = first), urgent_flags.
    scores : pandas.DataFrame
        Every assessor's latest score and the data scores (long).
    scorecard, support, team, profit, reorder, load, missing : pandas.DataFrame
        See :func:`~kamtools.stages.needs.indicators.scorecard`,
        :func:`~kamtools.stages.needs.support.propose_support`,
        :func:`~kamtools.stages.needs.team.service_team`,
        :func:`~kamtools.stages.needs.profit.account_profit`,
        :func:`~kamtools.stages.needs.reorder.reorder_risk`,
        :func:`~kamtools.stages.needs.team.manager_load` and
        :func:`~kamtools.stages.needs.indicators.missing_assessments`; all in report order.
    settings : NeedsSettings
    currency : str
    period : int
    start, as_of : pandas.Timestamp
        First day of the period and the day things are judged at (the period end, or the
        last invoice when the data end earlier).
    available : mapping of str to bool
        Which inputs were there: "assessments", "cost_to_serve", "receivables", "team",
        "cost_of_goods".
    """

    accounts: pd.DataFrame
    scores: pd.DataFrame
    scorecard: pd.DataFrame
    support: pd.DataFrame
    team: pd.DataFrame
    profit: pd.DataFrame
    reorder: pd.DataFrame
    load: pd.DataFrame
    missing: pd.DataFrame
    settings: NeedsSettings
    currency: str
    period: int
    start: pd.Timestamp
    as_of: pd.Timestamp
    available: Mapping[str, bool]

    @cached_property
    def pages(self) -> dict[str, AccountPage]:
        """Everything about each account, by customer id, split once for the account pages."""

        def split(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
            return {str(k): g for k, g in frame.groupby("customer_id", sort=False)}

        cards, supports, teams = split(self.scorecard), split(self.support), split(self.team)
        profit = self.profit.set_index("customer_id")
        reorder = self.reorder.set_index("customer_id")
        missing = self.missing.set_index("customer_id")
        empty_support, empty_team = self.support.iloc[:0], self.team.iloc[:0]
        return {
            cid: AccountPage(
                account=record,
                scorecard=cards[cid],
                profit=profit.loc[cid],
                reorder=reorder.loc[cid].to_dict(),
                support=supports.get(cid, empty_support),
                team=teams.get(cid, empty_team),
                missing=missing.loc[cid].to_dict() if cid in missing.index else None,
            )
            for cid, record in zip(
                self.accounts["customer_id"], self.accounts.to_dict("records"), strict=True
            )
        }


@dataclass(frozen=True)
class AccountPage:
    """One key account's rows of every result, for its page of the report."""

    account: Mapping[str, object]
    scorecard: pd.DataFrame
    profit: pd.Series
    reorder: Mapping[str, object]
    support: pd.DataFrame
    team: pd.DataFrame
    missing: Mapping[str, object] | None


def _present(frame: pd.DataFrame | None) -> bool:
    return frame is not None and len(frame) > 0


def analyse_needs(
    key_accounts: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    *,
    history: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    settings: NeedsSettings,
    period: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    currency: str,
) -> NeedsAnalysis:
    """Analyse the needs of the key accounts of ``period``.

    Parameters
    ----------
    key_accounts : pandas.DataFrame
        Screening's key_accounts output: ``customer_id``, ``name``, ``tier``, ``rank``,
        ``sales``, ``gross_profit`` (growth accounts are kept only with
        ``settings.include_growth_accounts``).
    tables : mapping of str to pandas.DataFrame
        The client's validated tables: ``sales`` required; ``assessments``, ``cost_to_serve``,
        ``receivables``, ``team`` used where present.
    history : pandas.DataFrame, optional
        The workshop's assessment history (:func:`kamtools.stages.needs.store.parse_assessment_store`).
    payments : pandas.DataFrame, optional
        Payment behaviour per customer over the period (the screening's
        :func:`~kamtools.stages.screening.metrics.payment_behaviour`); informs financial strength.
    settings : NeedsSettings
    period : int
        The fiscal year.
    start, end : pandas.Timestamp
        Its first and last day.
    currency : str
        The client's currency (reasons name money in it).

    Returns
    -------
    NeedsAnalysis
    """
    _require(key_accounts, ["customer_id", "name", "tier", "sales", "gross_profit"], "key_accounts")
    accounts = _selected_accounts(key_accounts, settings=settings)
    # Only the key accounts' lines matter: filtering first keeps the stage fast on big files.
    all_sales = tables["sales"]
    sales = all_sales[all_sales["customer_id"].astype("str").isin(set(accounts["customer_id"]))]
    as_of = _judged_at(all_sales, end=end)
    assignments = team.team_assignments(tables.get("team"))
    workshop = indicators.latest_scores(combined_assessments(tables.get("assessments"), history))
    scores = _account_scores(
        accounts,
        workshop,
        sales,
        cost_to_serve=tables.get("cost_to_serve"),
        payments=payments,
        settings=settings,
        period=period,
        start=start,
        as_of=as_of,
    )
    account_profit = profit.account_profit(
        accounts,
        components=[
            profit.handling_costs(
                tables.get("cost_to_serve"), period=period, rates=settings.cost_driver_rates
            ),
            profit.credit_costs(
                tables.get("receivables"), start=start, end=as_of, rate=settings.credit_interest_rate
            ),
            profit.management_costs(assignments, account_manager_cost=settings.account_manager_cost),
        ],
    )
    risk = reorder.reorder_risk(sales, as_of=as_of, settings=settings, customer_ids=accounts["customer_id"])
    order = support.account_priority(accounts, profit=account_profit, reorder=risk)
    accounts = order.merge(accounts, on="customer_id", how="left")
    ids = accounts["customer_id"]
    card = indicators.scorecard(accounts, scores, hard=account_profit, settings=settings)
    proposals = support.propose_support(card, settings=settings, currency=currency)
    return NeedsAnalysis(
        accounts=accounts,
        scores=scores,
        scorecard=card,
        support=proposals,
        team=team.service_team(accounts, assignments, support=proposals),
        profit=_in_order(account_profit, ids),
        reorder=_in_order(risk, ids),
        load=team.manager_load(assignments, ids, ceiling=settings.manager_load),
        missing=indicators.missing_assessments(accounts, scores, settings=settings),
        settings=settings,
        currency=currency,
        period=period,
        start=pd.Timestamp(start),
        as_of=as_of,
        available=_available_inputs(tables, workshop=workshop, accounts=accounts),
    )


def _selected_accounts(key_accounts: pd.DataFrame, *, settings: NeedsSettings) -> pd.DataFrame:
    """The accounts analysed (key, and growth when the settings say so), string ids, with a rank."""
    tiers = ("key", "growth") if settings.include_growth_accounts else ("key",)
    accounts = key_accounts[key_accounts["tier"].isin(tiers)].copy()
    accounts["customer_id"] = accounts["customer_id"].astype("str")
    if "rank" not in accounts:
        accounts["rank"] = range(1, len(accounts) + 1)
    return accounts


def _judged_at(all_sales: pd.DataFrame, *, end: pd.Timestamp) -> pd.Timestamp:
    """The day things are judged at: the period end, or the last invoice when the data end earlier."""
    last_invoice = pd.to_datetime(all_sales["invoice_date"]).max() if len(all_sales) else end
    if pd.isna(last_invoice):
        return pd.Timestamp(end)
    return min(pd.Timestamp(end), pd.Timestamp(last_invoice))


def _account_scores(
    accounts: pd.DataFrame,
    workshop: pd.DataFrame,
    sales: pd.DataFrame,
    *,
    cost_to_serve: pd.DataFrame | None,
    payments: pd.DataFrame | None,
    settings: NeedsSettings,
    period: int,
    start: pd.Timestamp,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The workshop's latest scores plus (when ``settings.data_informed``) the data scores.

    Payment scores come from ``payments``, logistics scores from the accounts' order pattern
    in ``sales``; only the rows of ``accounts`` are kept.
    """
    parts = [workshop]
    if settings.data_informed:
        pattern = indicators.order_pattern(
            sales, start=start, end=as_of, cost_to_serve=cost_to_serve, period=period
        )
        parts += [
            indicators.payment_scores(payments, settings=settings),
            indicators.logistics_scores(pattern, settings=settings),
        ]
    scores = (
        pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else workshop
    )
    return scores[scores["customer_id"].isin(accounts["customer_id"])].reset_index(drop=True)


def _in_order(frame: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """``frame``'s rows in the order of the customer ids ``ids`` (stable within one customer)."""
    position = {cid: i for i, cid in enumerate(ids)}
    return frame.sort_values("customer_id", key=lambda c: c.map(position), kind="stable").reset_index(
        drop=True
    )


def _available_inputs(
    tables: Mapping[str, pd.DataFrame], *, workshop: pd.DataFrame, accounts: pd.DataFrame
) -> dict[str, bool]:
    """Which inputs the analysis had (see :attr:`NeedsAnalysis.available`)."""
    return {
        "assessments": len(workshop) > 0,
        "cost_to_serve": _present(tables.get("cost_to_serve")),
        "receivables": _present(tables.get("receivables")),
        "team": _present(tables.get("team")),
        "cost_of_goods": bool(accounts["gross_profit"].notna().any()),
    }


def load_key_accounts(output_dir: Path | None, workspace: Workspace) -> pd.DataFrame:
    """Screening's key accounts: from the run folder, or screened here when there is none.

    ``kam run`` executes the screening first and hands its key_accounts output over in the run
    folder; a notebook opened on its own in JupyterLab (workshop mode) screens the client
    itself, with the same settings, so the form offers the same accounts.
    """
    if output_dir is not None and (Path(output_dir) / f"{KEY_ACCOUNTS.name}.csv").exists():
        return io.read_stage_output(Path(output_dir), KEY_ACCOUNTS)
    from kamtools.stages.screening.narrative import screen_client
    from kamtools.stages.screening.overrides import load_overrides
    from kamtools.stages.screening.settings import ScreeningSettings

    config = workspace.config
    result = screen_client(
        workspace.tables,
        start_month=config.fiscal_year_start_month,
        period=config.current_period,
        settings=ScreeningSettings.from_mapping(config.section("screening")),
        overrides=load_overrides(workspace.root),
    )
    return result.key_accounts_output()


def analyse_client(
    workspace: Workspace, *, settings: NeedsSettings, output_dir: Path | None = None
) -> NeedsAnalysis:
    """The needs analysis of a loaded workspace: reads the run folder and the workshop history.

    The one place that gathers the stage's inputs (screening's key accounts, the assessment
    history, payment behaviour over the period) and calls :func:`analyse_needs`.
    """
    from kamtools.stages.screening.payments import payment_behaviour
    from kamtools.stages.screening.settings import ScreeningSettings

    config = workspace.config
    start, end = period_bounds(config.current_period, start_month=config.fiscal_year_start_month)
    tables = workspace.tables
    key_accounts = load_key_accounts(output_dir, workspace)
    receivables = tables.get("receivables")
    if receivables is not None:
        receivables = receivables[
            receivables["customer_id"].astype("str").isin(set(key_accounts["customer_id"].astype("str")))
        ]
    payments = payment_behaviour(
        receivables,
        as_of=end,
        customers=tables.get("customers"),
        grace_days=ScreeningSettings.from_mapping(config.section("screening")).grace_days,
        since=start,
    )
    history = parse_assessment_store(read_assessment_store(workspace.root))
    return analyse_needs(
        key_accounts,
        tables,
        history=history,
        payments=payments,
        settings=settings,
        period=config.current_period,
        start=start,
        end=end,
        currency=config.currency,
    )
