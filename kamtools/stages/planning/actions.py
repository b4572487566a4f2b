"""Actions of a key account plan: who does what, with whom, by when, for what effect.

Actions are proposed from the support the needs stage proposed for each account (one action
per offering, by priority), and the workshop edits them: each has an owner in the dealer's team,
a counterpart at the account, a start and a due date inside the plan period, an expected effect
and a status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from kamtools.stages.needs.settings import indicator_label as needs_indicator_label
from kamtools.stages.planning.market import records_by_account, require_columns
from kamtools.stages.planning.settings import PlanningSettings

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_STATUSES",
    "action_problems",
    "as_date",
    "indicator_label",
    "level_actions",
    "propose_actions",
    "propose_gap_actions",
]

ACTION_COLUMNS: tuple[str, ...] = (
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
)
ACTION_STATUSES: tuple[str, ...] = ("planned", "in progress", "done", "dropped")
"""The statuses an action can have; "late" is not a status: the review derives it from the due date."""


def indicator_label(indicator: str) -> str:
    """How an indicator reads in a sentence: "logistics" → "logistics capability"."""
    return needs_indicator_label(str(indicator)).lower()


def _value(value: float, unit: str) -> str:
    """A scorecard value as a reader sees it: a share as a percentage, a score with one decimal."""
    return f"{value * 100:.0f}%" if unit == "share" else f"{value:.1f}"


def _effect(row: Mapping[str, Any], scorecard: Mapping[tuple[str, Any], Mapping[str, Any]]) -> str:
    """The expected effect of an action: the indicator it should move, from where to where.

    ``scorecard`` maps (customer_id, indicator) to the first scorecard row of that key
    (:func:`_scorecard_rows`); empty without a scorecard.
    """
    indicator = "" if pd.isna(row["indicator"]) else str(row["indicator"])
    if not indicator:
        return f"{str(row['offering']).capitalize()} in place; supports the sales goal"
    label = indicator_label(indicator)
    if not scorecard:
        return f"Stronger {label}; supports the sales goal"
    first = scorecard.get((str(row["customer_id"]), indicator))
    if first is None or pd.isna(first["score"]) or pd.isna(first["portfolio_average"]):
        return f"Stronger {label}; supports the sales goal"
    score, average = float(first["score"]), float(first["portfolio_average"])
    unit = str(first.get("unit", "score"))
    if unit == "money":  # the scorecard shows the money; the action names the direction
        return f"Bring {label} towards the key-account average"
    best = first.get("best_quartile")
    lower_is_better = best is not None and pd.notna(best) and float(best) < average
    if (score > average) if lower_is_better else (score < average):
        verb = "Bring down" if lower_is_better else "Raise"
        return (
            f"{verb} {label} from {_value(score, unit)} to the key-account average of {_value(average, unit)}"
        )
    return f"Keep {label} at {_value(score, unit)} (key-account average {_value(average, unit)})"


def _shift(day: pd.Timestamp, months: int) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.DateOffset(months=months)


def _scorecard_rows(scorecard: pd.DataFrame | None) -> dict[tuple[str, Any], dict[str, Any]]:
    """(customer_id as text, indicator) → the first scorecard row of that key, as a record.

    The row ``scorecard.set_index(["customer_id", "indicator"]).loc[[key]].iloc[0]`` gives,
    looked up in a dict: an action's effect is written for every proposed action.
    """
    first: dict[tuple[str, Any], dict[str, Any]] = {}
    for rows in records_by_account(scorecard).values():
        for row in rows:
            first.setdefault((str(row["customer_id"]), row["indicator"]), row)
    return first


def _service_team(needs_team: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """(customer_id, function) → the member of the account's service team (first named wins)."""
    team: dict[tuple[str, str], str] = {}
    if needs_team is not None and not needs_team.empty:
        require_columns(needs_team, ("customer_id", "function", "member"), "needs_team")
        for row in needs_team.itertuples(index=False):
            if pd.notna(row.member) and str(row.member).strip():
                first = str(row.member).split(";")[0].strip()  # "A; B" when several serve: the first leads
                team.setdefault((str(row.customer_id), str(row.function).strip().lower()), first)
    return team


def propose_actions(
    needs_support: pd.DataFrame,
    *,
    accounts: pd.DataFrame,
    period: tuple[pd.Timestamp, pd.Timestamp],
    needs_team: pd.DataFrame | None = None,
    scorecard: pd.DataFrame | None = None,
    settings: PlanningSettings | None = None,
    level: bool = True,
) -> pd.DataFrame:
    """One action per proposed support offering, the first ``max_actions_per_account`` by priority.

    Parameters
    ----------
    needs_support : pandas.DataFrame
        The needs stage's ``needs_support``: ``customer_id``, ``offering``, ``indicator``,
        ``reason``, ``priority`` (1 = first); ``function`` (who delivers it) optional, else
        ``settings.offering_functions``.
    accounts : pandas.DataFrame
        ``customer_id``, ``account_manager`` and ``counterpart``: the plan's accounts, in order;
        support of other customers is ignored.
    period : tuple of pandas.Timestamp
        Inclusive first and last day of the plan period; actions start and end inside it.
    needs_team : pandas.DataFrame, optional
        The needs stage's ``needs_team`` (``customer_id``, ``function``, ``member``): the owner
        of an action is the account's member of the offering's function
        (``settings.offering_functions``), else the account manager.
    scorecard : pandas.DataFrame, optional
        ``needs_scorecard`` (``customer_id``, ``indicator``, ``score``, ``portfolio_average``),
        for the expected effect in numbers.
    settings : PlanningSettings, optional
        Number, length and staggering of actions; counterpart roles by offering.
    level : bool
        Level the owners' load (:func:`level_actions`); False when more actions join first.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTION_COLUMNS`: ``action_id`` "<customer_id>-A01", ... in priority order; the
        k-th action starts ``k x action_stagger_months`` after the period start and lasts
        ``action_months`` (never past the period end), moved later where its owner would run
        too many actions at once (:func:`level_actions`); status "planned".
    """
    settings = settings or PlanningSettings()
    require_columns(
        needs_support, ("customer_id", "offering", "indicator", "reason", "priority"), "needs_support"
    )
    require_columns(accounts, ("customer_id", "account_manager", "counterpart"), "accounts")
    start_of_period, end_of_period = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    team = _service_team(needs_team)
    ranked = _ranked_support(needs_support, accounts["customer_id"].astype(str))
    effects = _scorecard_rows(scorecard)
    rows = []
    for account in accounts.itertuples(index=False):
        cid = str(account.customer_id)
        mine = ranked.get(cid, [])[: settings.max_actions_per_account]
        manager = "" if pd.isna(account.account_manager) else str(account.account_manager)
        for k, row in enumerate(mine):
            offering = str(row["offering"]).strip()
            given = row.get("function")  # needs_support names the delivering function
            function = (
                str(given).strip().lower()
                if given is not None and pd.notna(given) and str(given).strip()
                else settings.offering_functions.get(offering.lower(), "sales")
            )
            start = min(_shift(start_of_period, k * settings.action_stagger_months), end_of_period)
            due = min(_shift(start, settings.action_months) - pd.Timedelta(days=1), end_of_period)
            rows.append(
                {
                    "action_id": f"{cid}-A{k + 1:02d}",
                    "customer_id": cid,
                    "title": offering.capitalize(),
                    "support": offering,
                    "owner": team.get((cid, function), manager),
                    "counterpart": settings.counterpart_roles.get(
                        offering.lower(), settings.default_counterpart
                    ),
                    "start": start.date(),
                    "due": due.date(),
                    "expected_effect": _effect(row, effects),
                    "status": "planned",
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ACTION_COLUMNS})
    frame = pd.DataFrame(rows, columns=list(ACTION_COLUMNS))
    return level_actions(frame, period=period, settings=settings) if level else frame


def _ranked_support(needs_support: pd.DataFrame, planned: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """Each planned account's support records by priority, each offering once (its first).

    One stable sort of all planned accounts' rows gives every account's rows in the order a
    stable sort of its own rows would (a stable sort keeps the order of equal keys, and an
    account's rows keep their relative order among all rows); dropping repeated (account,
    offering) pairs then keeps the same first row per offering. Done once, not per account.
    """
    support = needs_support.assign(customer_id=needs_support["customer_id"].astype(str))
    support = support.loc[support["customer_id"].isin(set(planned))]
    ranked = support.sort_values("priority", kind="stable").drop_duplicates(["customer_id", "offering"])
    return records_by_account(ranked)


def propose_gap_actions(
    gaps: pd.DataFrame,
    *,
    accounts: pd.DataFrame,
    period: tuple[pd.Timestamp, pd.Timestamp],
    existing: pd.DataFrame | None = None,
    money: Callable[[float], str] = lambda amount: f"{amount:,.0f}",
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """One action per account for its largest category gap: introduce the range its peers buy.

    Parameters
    ----------
    gaps : pandas.DataFrame
        :func:`~kamtools.stages.planning.market.category_gaps` (largest opportunity first).
    accounts : pandas.DataFrame
        ``customer_id`` and ``account_manager`` (the owner), in plan order.
    period : tuple of pandas.Timestamp
        The plan period; the action starts a month in (after the plan is agreed).
    existing : pandas.DataFrame, optional
        Actions proposed already (:data:`ACTION_COLUMNS`): ids continue their numbering, and an
        account that has ``settings.max_actions_per_account`` actions gets no more.
    money : callable
        Writes an amount in the expected effect.
    settings : PlanningSettings, optional
        ``max_actions_per_account`` and ``action_months``.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTION_COLUMNS`; support "Range introduction", counterpart the purchasing
        manager, status "planned"; not yet levelled (:func:`level_actions`).
    """
    settings = settings or PlanningSettings()
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in ACTION_COLUMNS})
    if gaps is None or gaps.empty:
        return empty
    counts = (
        existing["customer_id"].astype(str).value_counts().to_dict()
        if existing is not None and len(existing)
        else {}
    )
    start = min(_shift(pd.Timestamp(period[0]), 1), pd.Timestamp(period[1]))
    due = min(_shift(start, settings.action_months) - pd.Timedelta(days=1), pd.Timestamp(period[1]))
    top = {cid: found[0] for cid, found in records_by_account(gaps).items()}  # each account's largest gap
    rows = []
    for account in accounts.itertuples(index=False):
        cid = str(account.customer_id)
        taken = int(counts.get(cid, 0))
        if cid not in top or taken >= settings.max_actions_per_account:
            continue
        gap = top[cid]
        rows.append(
            {
                "action_id": f"{cid}-A{taken + 1:02d}",
                "customer_id": cid,
                "title": f"Introduce the {gap['category']} range",
                "support": "Range introduction",
                "owner": "" if pd.isna(account.account_manager) else str(account.account_manager),
                "counterpart": "Purchasing manager",
                "start": start.date(),
                "due": due.date(),
                "expected_effect": (
                    f"Buy {gap['category']} like its {gap['segment']} peers:"
                    f" about {money(float(gap['opportunity']))} a year more"
                ),
                "status": "planned",
            }
        )
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS)) if rows else empty


def level_actions(
    actions: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp],
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Move proposed actions later in the period so that no owner runs too many at once.

    Actions are placed in order (each account's first action before anyone's second, then by the
    order given); each keeps its length and starts on the first of the earliest month, no
    earlier than proposed, in which its owner runs fewer than
    ``settings.max_actions_per_member_month`` actions through all its months. An action that
    fits nowhere keeps its proposed dates: the load chart then flags the overload.

    Parameters
    ----------
    actions : pandas.DataFrame
        :data:`ACTION_COLUMNS` with ``start`` and ``due`` as dates.
    period : tuple of pandas.Timestamp
        Inclusive first and last day of the plan period.
    settings : PlanningSettings, optional
        ``max_actions_per_member_month``.

    Returns
    -------
    pandas.DataFrame
        The actions with new ``start`` and ``due``; rows in the order given.
    """
    settings = settings or PlanningSettings()
    first = pd.Timestamp(period[0]).to_period("M")
    n_months = (pd.Timestamp(period[1]).to_period("M") - first).n + 1
    busy: dict[str, np.ndarray] = {}
    out = actions.copy()
    rank = out.groupby("customer_id", sort=False).cumcount()
    for index in rank.sort_values(kind="stable").index:
        owner = str(out.at[index, "owner"] or "")
        start, due = pd.Timestamp(out.at[index, "start"]), pd.Timestamp(out.at[index, "due"])
        m0 = (start.to_period("M") - first).n
        length = (due.to_period("M") - start.to_period("M")).n + 1
        load = busy.setdefault(owner, np.zeros(n_months, dtype=int))
        chosen = m0
        if owner:
            for m in range(m0, n_months - length + 1):
                if (load[m : m + length] < settings.max_actions_per_member_month).all():
                    chosen = m
                    break
        if chosen != m0:
            new_start = (first + chosen).to_timestamp()
            out.at[index, "start"] = new_start.date()
            out.at[index, "due"] = (new_start + pd.DateOffset(months=length) - pd.Timedelta(days=1)).date()
        load[chosen : chosen + length] += 1
    return out


def as_date(value: Any) -> date | None:
    """A date from a date, timestamp or ISO text (YYYY-MM-DD); None for anything else."""
    if isinstance(value, datetime):  # pandas Timestamps and openpyxl cells too
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def action_problems(
    action: Mapping[str, Any], *, period: tuple[date, date] | None = None
) -> list[tuple[str, str]]:
    """What is wrong with one action, as (field, message) pairs; empty when it is valid.

    Checks: a non-empty ``action_id`` and ``title``; ``status`` one of :data:`ACTION_STATUSES`;
    ``start`` and ``due`` ISO dates (YYYY-MM-DD) with due on or after start, inside ``period``
    when given; text fields are text.
    """
    problems: list[tuple[str, str]] = []
    for name in ("action_id", "title"):
        value = action.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append((name, "must be a non-empty text"))
    for name in ("support", "owner", "counterpart", "expected_effect"):
        value = action.get(name, "")
        if value is not None and not isinstance(value, str):
            problems.append((name, f"must be text, got {value!r}"))
    status = action.get("status")
    if status not in ACTION_STATUSES:
        problems.append(("status", f"must be one of {', '.join(ACTION_STATUSES)}; got {status!r}"))
    start, due = as_date(action.get("start")), as_date(action.get("due"))
    for name, value in (("start", start), ("due", due)):
        if value is None:
            problems.append((name, f"must be a date as YYYY-MM-DD, got {action.get(name)!r}"))
    if start is not None and due is not None:
        if due < start:
            problems.append(("due", f"{due.isoformat()} is before the start {start.isoformat()}"))
        if period is not None:
            for name, value in (("start", start), ("due", due)):
                if not period[0] <= value <= period[1]:
                    problems.append(
                        (
                            name,
                            f"{value.isoformat()} is outside the plan period"
                            f" {period[0].isoformat()} to {period[1].isoformat()}",
                        )
                    )
    return problems
