"""Needs: the weakest indicators of each key account mapped to the dealer's support offerings.

Each proposal says why: the indicator, where the account stands against the key-account
average and the best quartile, and what the assessors or the data noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from kamtools.formatting import money_text, number_text, percent_text
from kamtools.stages.needs.indicators import _require
from kamtools.stages.needs.settings import LOWER_IS_BETTER, NeedsSettings, indicator_label

SUPPORT_COLUMNS = [
    "customer_id",
    "name",
    "offering",
    "indicator",
    "reason",
    "priority",
    "function",
    "offering_key",
]


def weak_indicators(scorecard: pd.DataFrame, *, settings: NeedsSettings) -> pd.DataFrame:
    """The indicators on which each account is weak, weakest first.

    An indicator is weak when the account falls short of the best quartile and is below the
    key-account average, when a workshop score is at or below ``weak_score``, or when the
    contribution is negative. Weakness is ranked by the account's standing among the key
    accounts on that indicator (a percentile, so scores, margins and shares compare); an
    absolute weakness (weak score, negative contribution) comes first.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`kamtools.stages.needs.indicators.scorecard`.
    settings : NeedsSettings
        ``weak_score``.

    Returns
    -------
    pandas.DataFrame
        The weak rows of the scorecard with ``standing`` (0 = the weakest key account, 1 = the
        strongest) and ``absolute`` (bool), sorted by account (in scorecard order), then
        weakest first.
    """
    _require(
        scorecard, ["customer_id", "indicator", "unit", "score", "portfolio_average", "gap"], "scorecard"
    )
    rows = scorecard[scorecard["score"].notna()].copy()
    lower_better = rows["indicator"].isin(LOWER_IS_BETTER)
    oriented = rows["score"].where(~lower_better, -rows["score"])
    rows["standing"] = oriented.groupby(rows["indicator"]).rank(pct=True, method="average")
    below = (rows["score"] < rows["portfolio_average"]).where(
        ~lower_better, rows["score"] > rows["portfolio_average"]
    )
    rows["absolute"] = ((rows["unit"] == "points") & (rows["score"] <= settings.weak_score)) | (
        (rows["indicator"] == "contribution_margin") & (rows["score"] < 0)
    )
    weak = rows[((rows["gap"] > 0) & below) | rows["absolute"]].copy()
    account_order = {cid: i for i, cid in enumerate(dict.fromkeys(scorecard["customer_id"]))}
    weak["account_order"] = weak["customer_id"].map(account_order)
    weak = weak.sort_values(
        ["account_order", "absolute", "standing", "gap"], ascending=[True, False, True, False]
    )
    return weak.drop(columns="account_order").reset_index(drop=True)


def _value_text(value: float, unit: str, currency: str) -> str:
    if unit == "share":
        return percent_text(value, 1)
    if unit == "money":
        return money_text(value, currency)
    return number_text(value, 1)


def _reason(row: Mapping[str, Any], currency: str) -> str:
    unit = str(row["unit"])
    of_sales = " of sales" if unit == "share" else ""
    scale = " of 5" if unit == "points" else ""
    value = _value_text(row["score"], unit, currency)
    text = (
        f"{indicator_label(str(row['indicator']))} {value}{scale}{of_sales}"
        f" (key-account average {_value_text(row['portfolio_average'], unit, currency)},"
        f" best quarter {_value_text(row['best_quartile'], unit, currency)})"
    )
    if row.get("disagree"):
        text += f"; the assessors disagree by {row['spread']:.0f} points"
    notes = str(row.get("notes") or "")
    if notes:
        text += f". Noted: {notes}"
    return text


def propose_support(
    scorecard: pd.DataFrame, *, settings: NeedsSettings, currency: str = "EUR"
) -> pd.DataFrame:
    """Support offerings for each account's weakest indicators, each with why.

    Walks each account's weak indicators (:func:`weak_indicators`), weakest first, and
    proposes the first offering of ``settings.support_catalogue`` that addresses the indicator
    and is not proposed yet, until ``settings.max_proposals`` offerings. A weak indicator no
    offering addresses is skipped (the scorecard still shows it).

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`kamtools.stages.needs.indicators.scorecard`.
    settings : NeedsSettings
        ``support_catalogue``, ``max_proposals``, ``weak_score``.
    currency : str
        Currency of money indicators in the reasons.

    Returns
    -------
    pandas.DataFrame
        :data:`SUPPORT_COLUMNS`: offering (its title), indicator, reason (a sentence),
        priority (1 = first), function (who delivers it) and offering_key; accounts in
        scorecard order. Accounts with no weak indicator have no rows.
    """
    catalogue = settings.support_catalogue
    rows: list[tuple[Any, ...]] = []
    for cid, weak in weak_indicators(scorecard, settings=settings).groupby("customer_id", sort=False):
        chosen: list[str] = []
        for record in weak.to_dict("records"):
            offering = next(
                (
                    k
                    for k, e in catalogue.items()
                    if record["indicator"] in e["addresses"] and k not in chosen
                ),
                None,
            )
            if offering is None:
                continue
            chosen.append(offering)
            entry = catalogue[offering]
            rows.append(
                (cid, record["name"], entry["title"], record["indicator"], _reason(record, currency),
                 len(chosen), entry["function"], offering)
            )  # fmt: skip
            if len(chosen) >= settings.max_proposals:
                break
    frame = pd.DataFrame(rows, columns=SUPPORT_COLUMNS)
    return frame.astype({"customer_id": "str", "priority": "int64"})


def account_priority(
    accounts: pd.DataFrame, *, profit: pd.DataFrame | None = None, reorder: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The order in which the report takes the key accounts: urgent ones first, then by rank.

    An account is urgent when its contribution is negative or it is overdue by its own order
    rhythm; urgent accounts come first (both flags before one), then the screening's rank.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id`` and ``rank`` (screening's key_accounts; without rank, the given order).
    profit : pandas.DataFrame, optional
        :func:`kamtools.stages.needs.profit.account_profit` (``negative_contribution``).
    reorder : pandas.DataFrame, optional
        :func:`kamtools.stages.needs.reorder.reorder_risk` (``overdue``).

    Returns
    -------
    pandas.DataFrame
        customer_id, priority (1 = first), urgent_flags (0 to 2), sorted by priority.
    """
    _require(accounts, ["customer_id"], "key accounts")
    out = pd.DataFrame({"customer_id": accounts["customer_id"].astype("str").to_numpy()})
    out["rank"] = accounts["rank"].to_numpy() if "rank" in accounts else np.arange(1, len(out) + 1)
    flags = pd.Series(0, index=out.index)
    for frame, column in ((profit, "negative_contribution"), (reorder, "overdue")):
        if frame is not None and column in frame:
            values = frame.assign(customer_id=frame["customer_id"].astype("str")).set_index("customer_id")[
                column
            ]
            flags += out["customer_id"].map(values).fillna(False).astype(bool).astype(int)
    out["urgent_flags"] = flags
    out = out.sort_values(["urgent_flags", "rank"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    out["priority"] = np.arange(1, len(out) + 1)
    return out[["customer_id", "priority", "urgent_flags"]]
