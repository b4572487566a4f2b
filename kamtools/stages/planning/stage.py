"""The plan development stage as the notebook runs it: read, analyse, propose, save.

:func:`develop_plans` takes the client's workspace and the run folder (where screening and the
needs analysis left their outputs), analyses every key and growth account, and either proposes
a plan (first run) or takes the plan saved in the workspace (the workshop's edits win; key
accounts the screening added since are proposed and appended). It saves the plan file and
refreshes the tracker through :mod:`.planfile` and :mod:`.tracker`, which write through
:mod:`kamtools.io`. Everything the report shows comes from the returned
:class:`PlanDevelopment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.contract import OUTPUTS
from kamtools.formatting import count_text, money_text
from kamtools.io import read_output_table, read_stage_output
from kamtools.stages.needs.analysis import load_key_accounts
from kamtools.stages.planning.build import (
    AccountAnalysis,
    PlanContext,
    analyse_accounts,
    plan_load,
    propose_plan,
)
from kamtools.stages.planning.load import load_summary
from kamtools.stages.planning.planfile import Plan, plan_path, plan_tables, read_plan, save_plan
from kamtools.stages.planning.settings import PlanningSettings
from kamtools.stages.planning.tracker import write_tracker

__all__ = ["NEEDS_OUTPUTS", "PlanDevelopment", "develop_plans", "stage_inputs"]

NEEDS_OUTPUTS = ("needs_scorecard", "needs_support", "needs_team")
"""The needs stage's outputs the plan reads from the run folder."""


@dataclass(frozen=True)
class PlanDevelopment:
    """Everything the plan development report shows, computed once."""

    context: PlanContext
    settings: PlanningSettings
    analysis: AccountAnalysis
    plan: Plan
    plan_file: Path
    tracker_file: Path
    goals: pd.DataFrame
    actions: pd.DataFrame
    contacts: pd.DataFrame
    load: pd.DataFrame
    load_summary: pd.DataFrame
    from_saved_plan: bool
    added_accounts: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def stage_inputs(output_dir: Path | None) -> dict[str, pd.DataFrame | None]:
    """The earlier stages' outputs in the run folder: ``key_accounts`` and the needs tables.

    A table an earlier stage did not write is None (it is then computed here). A table that is
    there is checked against its contract (:func:`kamtools.io.read_stage_output`).
    """
    found: dict[str, pd.DataFrame | None] = {}
    for name in ("key_accounts", *NEEDS_OUTPUTS):
        path = Path(output_dir) / f"{name}.csv" if output_dir else None
        if path is None or not path.exists():
            found[name] = None
        elif name in OUTPUTS:  # checked against its contract: a broken hand-over is named, not guessed
            found[name] = read_stage_output(Path(output_dir), OUTPUTS[name])
        else:
            found[name] = read_output_table(path)
    return found


def _needs_outputs(client: Any, inputs: dict[str, pd.DataFrame | None], output_dir: Path | None) -> None:
    """Fill in the needs outputs a run folder lacks by running the needs analysis here.

    ``kam run`` hands them over in the run folder; a notebook opened on its own in JupyterLab
    (workshop mode) computes them with the client's needs settings, so the builder offers the
    same support and team.
    """
    if all(inputs.get(name) is not None for name in NEEDS_OUTPUTS):
        return
    from kamtools.stages.needs.analysis import analyse_client
    from kamtools.stages.needs.settings import NeedsSettings

    config = client.config
    section = config.section("needs")
    needs = analyse_client(client, settings=NeedsSettings.from_mapping(section), output_dir=output_dir)
    computed = {"needs_scorecard": needs.scorecard, "needs_support": needs.support, "needs_team": needs.team}
    for name, frame in computed.items():
        if inputs.get(name) is None:
            inputs[name] = frame


def _merge(saved: Plan, proposal: Plan) -> tuple[Plan, tuple[str, ...]]:
    """The saved plan with the proposal's accounts it lacks appended (the saved ones win)."""
    have = {a.customer_id for a in saved.accounts}
    added = tuple(a for a in proposal.accounts if a.customer_id not in have)
    if not added:
        return saved, ()
    return replace(saved, accounts=(*saved.accounts, *added)), tuple(a.customer_id for a in added)


def develop_plans(
    client: Any,
    *,
    output_dir: Path | None,
    settings: PlanningSettings | None = None,
) -> PlanDevelopment:
    """Analyse, propose or read back, save, and summarise the key account plans.

    Parameters
    ----------
    client : kamtools.workspace.Workspace
        The client's workspace (``config``, ``tables``, ``root``), from ``open_client``.
    output_dir : Path, optional
        The run folder with ``key_accounts.csv`` and the needs outputs; what it lacks (or all,
        when None) is computed here with the client's settings.
    settings : PlanningSettings, optional
        The stage's rules (the ``planning:`` section of ``client.yml``).

    Raises
    ------
    kamtools.stages.planning.planfile.PlanFileError
        The saved plan file was edited by hand with errors (each named by file, account, field).
    """
    settings = settings or PlanningSettings()
    config = client.config
    tables = client.tables
    context = PlanContext(
        client=config.name,
        currency=config.currency,
        start_month=config.fiscal_year_start_month,
        period=config.current_period + 1,
        baseline_period=config.current_period,
    )
    inputs = stage_inputs(output_dir)
    _needs_outputs(client, inputs, output_dir)
    analysis = analyse_accounts(
        load_key_accounts(output_dir, client),
        sales=tables["sales"],
        context=context,
        customers=tables.get("customers"),
        market=tables.get("market"),
        team=tables.get("team"),
        settings=settings,
    )
    proposal = propose_plan(
        analysis,
        context=context,
        needs_scorecard=inputs["needs_scorecard"],
        needs_support=inputs["needs_support"],
        needs_team=inputs["needs_team"],
        money=lambda amount: money_text(amount, context.currency),
        settings=settings,
    )
    path = plan_path(client.root, context.period)
    saved = read_plan(path) if path.exists() else None
    plan, added = _merge(saved, proposal) if saved is not None else (proposal, ())
    plan, path = save_plan(client.root, plan, on_disk=saved)
    tracker = write_tracker(client.root, plan)
    goals, actions, contacts = plan_tables(plan)
    load = plan_load(plan, settings=settings)
    return PlanDevelopment(
        context=context,
        settings=settings,
        analysis=analysis,
        plan=plan,
        plan_file=path,
        tracker_file=tracker,
        goals=goals,
        actions=actions,
        contacts=contacts,
        load=load,
        load_summary=load_summary(load),
        from_saved_plan=saved is not None,
        added_accounts=added,
        notes=tuple(_notes(analysis, plan, saved is not None, added)),
    )


def _notes(
    analysis: AccountAnalysis,
    plan: Plan,
    from_saved: bool,
    added: tuple[str, ...],
) -> list[str]:
    """What the reader must know about the inputs: what is missing and where the plan came from."""
    notes = []
    if from_saved:
        notes.append(
            f"This report shows the plan saved in the client's workspace (revision {plan.revision},"
            f" {plan.saved_at[:10]}), with the workshop's edits; every earlier version is kept."
        )
    else:
        notes.append("This is the proposed plan, saved as its first version for the workshop to edit.")
    if added:
        notes.append(
            f"{count_text(len(added), 'account was', 'accounts were')} added to the saved plan because the"
            " screening lists them now; their goals and actions are proposals."
        )
    accounts = analysis.accounts
    no_wallet = int(accounts["wallet"].isna().sum())
    if no_wallet:
        notes.append(
            f"{count_text(no_wallet, 'account has', 'accounts have')} no wallet estimate in the market"
            " table: share of wallet and headroom are not shown for them, and their goals rest on"
            " growth alone."
        )
    below = int((accounts["wallet_note"] == "wallet estimate below our own sales").sum())
    if below:
        notes.append(
            f"For {count_text(below, 'account', 'accounts')} the wallet estimate is below what it already"
            " buys from you: update the market table; the share of wallet is shown as 100%."
        )
    portfolio = analysis.profiles.loc[analysis.profiles["source"] != "own history", "customer_id"].nunique()
    if portfolio:
        notes.append(
            f"{count_text(int(portfolio), 'account has', 'accounts have')} less than a year of history: their"
            " quarterly goals follow the seasonal profile of all customers."
        )
    return notes
