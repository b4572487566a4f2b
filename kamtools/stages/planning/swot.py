"""SWOT of a key account: what the plan builds on and what it must guard against.

* **Strengths** and **weaknesses** come from the needs stage's scorecard: indicators well above
  (or in the best quartile of) the key-account average, and indicators well below it.
* **Opportunities** come from the market analysis: headroom in the wallet, category gaps
  against the account's peers, and its own growth.
* **Threats** come from the competitors named, a decline in purchases, and price pressure (a
  margin well below that of the account's segment).

Each item is one plain sentence; the table is a proposal the workshop edits (the plan file
keeps the edited lists).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamtools.stages.planning.actions import indicator_label
from kamtools.stages.planning.market import records_by_account, require_columns
from kamtools.stages.planning.settings import PlanningSettings

__all__ = ["QUADRANTS", "SWOT_COLUMNS", "swot_table"]

QUADRANTS: tuple[str, ...] = ("strength", "weakness", "opportunity", "threat")
SWOT_COLUMNS: tuple[str, ...] = ("customer_id", "quadrant", "item", "source")
MAX_ITEMS = 5
"""Items kept per quadrant and account (strongest first): a SWOT is read, not scrolled."""

MoneyFormatter = Callable[[float], str]
Records = list[dict[str, Any]]
"""An account's rows of a table as plain records (:func:`~.market.records_by_account`)."""


def _plain_money(amount: float) -> str:
    return f"{amount:,.0f}"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _scorecard_items(rows: Records, account: str, settings: PlanningSettings) -> list[tuple]:
    """Strengths and weaknesses from one account's scorecard rows."""
    strong, weak = [], []
    for row in rows:
        score, average = float(row["score"]), float(row["portfolio_average"])
        if np.isnan(score) or np.isnan(average):
            continue
        best = float(row["best_quartile"]) if pd.notna(row["best_quartile"]) else np.nan
        label = indicator_label(row["indicator"])
        on_scale = str(row["family"]) != "hard"
        detail = f": {score:.1f} of 5 (key-account average {average:.1f})" if on_scale else ""
        relative = (score - average) / (abs(average) if average else 1.0)
        lower_is_better = best < average  # cost to serve: the best quartile lies below the average
        if lower_is_better:
            relative = -relative
        in_best_quartile = relative > 0 and (score <= best if lower_is_better else score >= best)
        better, worse = ("lower than", "higher than") if lower_is_better else ("above", "below")
        if in_best_quartile or relative >= settings.swot_margin:
            text = (
                f"Strong {label}{detail}"
                if on_scale
                else f"{label.capitalize()} {better} the key-account average"
            )
            strong.append((relative, (account, "strength", text, "needs analysis")))
        elif relative <= -settings.swot_margin:
            text = (
                f"Weak {label}{detail}"
                if on_scale
                else f"{label.capitalize()} {worse} the key-account average"
            )
            weak.append((relative, (account, "weakness", text, "needs analysis")))
    strong.sort(key=lambda item: -item[0])
    weak.sort(key=lambda item: item[0])
    return [item for _, item in strong[:MAX_ITEMS]] + [item for _, item in weak[:MAX_ITEMS]]


def _market_items(
    account: str, wallet: Records, gaps: Records, base: Records, money: MoneyFormatter
) -> list[tuple]:
    """Opportunities (headroom, category gaps, growth) and the threat of a decline."""
    items: list[tuple] = []
    if wallet and pd.notna(wallet[0]["headroom"]) and wallet[0]["headroom"] > 0:
        share = _pct(float(wallet[0]["share_of_wallet"]))
        text = (
            f"{money(float(wallet[0]['headroom']))} of its purchases in our categories still go"
            f" to other suppliers (we hold {share} of its wallet)"
        )
        items.append((account, "opportunity", text, "market"))
    for gap in gaps[:3]:
        verb = "does not buy it from us" if gap["gap"] == "white space" else "buys little of it from us"
        text = (
            f"{gap['category']}: {_pct(gap['peer_penetration'])} of its {gap['segment']} peers buy it"
            f" from us, it {verb} (about {money(float(gap['opportunity']))} at its peers' mix)"
        )
        items.append((account, "opportunity", text, "sales"))
    if base and pd.notna(base[0]["growth"]):
        growth = float(base[0]["growth"])
        change = float(base[0]["sales"] - base[0]["previous_sales"])
        if growth > 0:
            text = f"It bought {_pct(growth)} more than the year before ({money(change)} more)"
            items.append((account, "opportunity", text, "sales"))
        elif growth < 0:
            text = f"It bought {_pct(-growth)} less than the year before ({money(-change)} less)"
            items.append((account, "threat", text, "sales"))
    return items


def _threat_items(account: str, rivals: Records, price: Records, n_naming: int) -> list[tuple]:
    """Threats from the competitors named and from price pressure."""
    items: list[tuple] = []
    for rival in rivals:
        stated = rival["stated_share"]
        share = "" if pd.isna(stated) else f", about {_pct(stated)} of its purchases"
        text = (
            f"{rival['competitor']} supplies it too{share}"
            f" (named by {rival['accounts_naming']} of {n_naming} accounts)"
        )
        items.append((account, "threat", text, "competitors"))
    if price and bool(price[0]["price_pressure"]):
        text = (
            f"Bought on price: gross margin {_pct(float(price[0]['margin']))} against"
            f" {_pct(float(price[0]['peer_margin']))} for its segment"
        )
        items.append((account, "threat", text, "sales"))
    return items


def swot_table(
    *,
    customer_ids: Sequence[str],
    scorecard: pd.DataFrame | None = None,
    wallets: pd.DataFrame | None = None,
    baseline: pd.DataFrame | None = None,
    gaps: pd.DataFrame | None = None,
    competitors: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    money: MoneyFormatter = _plain_money,
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Propose a SWOT per account from the needs scorecard and the market analysis.

    Parameters
    ----------
    customer_ids : sequence of str
        The accounts, in order.
    scorecard : pandas.DataFrame, optional
        ``needs_scorecard``: ``customer_id``, ``family``, ``indicator``, ``score``,
        ``portfolio_average``, ``best_quartile`` (higher scores are better).
    wallets : pandas.DataFrame, optional
        :func:`~kamtools.stages.planning.market.wallet_share`: ``share_of_wallet``, ``headroom``.
    baseline : pandas.DataFrame, optional
        :func:`~kamtools.stages.planning.market.account_baseline`: ``sales``,
        ``previous_sales``, ``growth``.
    gaps : pandas.DataFrame, optional
        :func:`~kamtools.stages.planning.market.category_gaps`.
    competitors, prices : pandas.DataFrame, optional
        :func:`~kamtools.stages.planning.competitors.competitor_table` and
        :func:`~kamtools.stages.planning.competitors.price_signals`.
    money : callable, optional
        Writes an amount for a reader (the report passes the house money formatter with its
        currency); default: whole numbers with thousands separators.
    settings : PlanningSettings, optional
        ``swot_margin``: how far from the average an indicator must be to count.

    Returns
    -------
    pandas.DataFrame
        :data:`SWOT_COLUMNS`: ``quadrant`` one of :data:`QUADRANTS`, ``item`` a sentence,
        ``source`` where it came from ("needs analysis", "market", "sales", "competitors");
        at most :data:`MAX_ITEMS` per quadrant, grouped by account then quadrant.
    """
    settings = settings or PlanningSettings()
    if scorecard is not None and not scorecard.empty:
        require_columns(
            scorecard,
            ("customer_id", "family", "indicator", "score", "portfolio_average", "best_quartile"),
            "needs_scorecard",
        )

    # Each table's rows as plain records per account, read once: per-account pandas selection
    # cost more than the sentences (a plan has dozens of accounts, the gaps thousands of rows).
    scorecard_rows, wallet_rows, gap_rows, baseline_rows, competitor_rows, price_rows = (
        _rows_by_account(frame) for frame in (scorecard, wallets, gaps, baseline, competitors, prices)
    )
    n_naming = 0 if competitors is None or competitors.empty else competitors["customer_id"].nunique()
    rows: list[tuple] = []
    for account in (str(c) for c in customer_ids):
        items = _scorecard_items(scorecard_rows(account), account, settings)
        market = wallet_rows(account), gap_rows(account), baseline_rows(account)
        items += _market_items(account, *market, money)
        items += _threat_items(account, competitor_rows(account), price_rows(account), n_naming)
        for quadrant in QUADRANTS:
            rows += [item for item in items if item[1] == quadrant][:MAX_ITEMS]
    return pd.DataFrame(rows, columns=list(SWOT_COLUMNS))


def _rows_by_account(frame: pd.DataFrame | None) -> Callable[[str], Records]:
    """A function giving the records of ``frame`` whose ``customer_id`` (as text) is an account.

    The rows ``frame.loc[frame["customer_id"].astype(str) == account]`` would give, in their
    order, as plain records (:func:`~.market.records_by_account`); an account without rows
    (or no frame) gets none.
    """
    groups: Mapping[str, Records] = records_by_account(frame)
    return lambda account: groups.get(account, [])
