"""The screening's gates, growth signals and readable reasons, in words a client reads.

:data:`GATES` and :data:`GROWTH_SIGNALS` name the rules; :func:`gate_failures` and
:func:`growth_signals` say which ones a customer meets, and :func:`reason` writes why a customer
got its tier. Numbers are written by :mod:`kamtools.formatting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from kamtools.formatting import MINUS, number_text, percent_text
from kamtools.stages.screening.settings import ScreeningSettings

__all__ = ["GATES", "GROWTH_SIGNALS", "ROW_COLUMNS", "gate_failures", "growth_signals", "reason", "rule_rows"]


GATES: Mapping[str, str] = {
    "sales": "without positive net sales",
    "margin": "below the minimum margin",
    "price_pressed": "earning far less margin than customers of their size",
    "contribution": "costing more to serve than they earn",
    "days_late": "paying too late on average",
    "late_share": "paying too many invoices late",
    "credit_use": "over their credit limit",
}
"""The gates of the screening, by the key used in the ``failed_gates`` column, with the words
that describe the customers failing them."""

GROWTH_SIGNALS: Mapping[str, str] = {
    "growth": "growing fast on a meaningful base",
    "headroom": "buying most of their needs elsewhere",
    "workshop": "scoring strongly in the workshop",
}
"""The growth signals, by the key used in the ``growth_signals`` column."""


ROW_COLUMNS: tuple[str, ...] = (
    "sales", "margin_pct", "peer_margin", "contribution", "payment_invoices", "avg_days_late",
    "late_share", "credit_use", "growth_pct", "previous_sales", "headroom_share", "wallet",
    "share_of_wallet", "qualitative_mean", "sales_rank", "status", "last_purchase",
)  # fmt: skip
"""The columns the per-customer rules read (gates, growth signals, reasons). Only these are turned
into row mappings: converting all ~50 columns cost two thirds of a re-score in the workshop."""


def rule_rows(frame: pd.DataFrame, *extra: str) -> list[dict[str, Any]]:
    """The rule columns (and ``extra`` ones) of ``frame`` as one mapping per row."""
    names = [c for c in (*ROW_COLUMNS, *extra) if c in frame.columns]
    columns = [frame[c].tolist() for c in names]  # column-wise: far faster than to_dict("records")
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def gate_failures(
    row: Mapping[str, Any], settings: ScreeningSettings, margin_known: bool
) -> list[tuple[str, str]]:
    """The gates a buying customer fails, as (key of :data:`GATES`, readable text)."""
    failures = []
    if not row["sales"] > 0:
        failures.append(("sales", "no positive net sales"))
    elif margin_known and settings.min_margin_pct is not None:
        margin = row["margin_pct"]
        if pd.notna(margin) and margin < settings.min_margin_pct:
            if margin < 0:
                failures.append(("margin", f"loss-making ({percent_text(margin, minus=MINUS)} margin)"))
            else:
                minimum = percent_text(settings.min_margin_pct, minus=MINUS)
                failures.append(
                    ("margin", f"{percent_text(margin, minus=MINUS)} margin, below the minimum {minimum}")
                )
        peers, share = row["peer_margin"], settings.min_margin_vs_peers
        if (
            share is not None
            and pd.notna(margin)
            and pd.notna(peers)
            and peers > 0
            and margin >= 0
            and not (settings.min_margin_pct is not None and margin < settings.min_margin_pct)
            and margin < share * peers
        ):
            failures.append(
                (
                    "price_pressed",
                    f"price-pressed ({percent_text(margin, minus=MINUS)} margin where customers of its"
                    f" size earn {percent_text(peers, minus=MINUS)})",
                )
            )
    contribution = row["contribution"]
    if (
        settings.min_contribution is not None
        and pd.notna(contribution)
        and contribution < settings.min_contribution
    ):
        text = f"costs more to serve than it earns (contribution {number_text(contribution, minus=MINUS)})"
        failures.append(("contribution", text))
    judged = row["payment_invoices"]
    if pd.notna(judged) and judged >= settings.min_payment_invoices:
        days = row["avg_days_late"]
        if settings.max_avg_days_late is not None and pd.notna(days) and days > settings.max_avg_days_late:
            failures.append(("days_late", f"pays on average {days:.0f} days late"))
        share = row["late_share"]
        if settings.max_late_share is not None and pd.notna(share) and share > settings.max_late_share:
            failures.append(("late_share", f"{percent_text(share, minus=MINUS)} of invoices paid late"))
    use = row["credit_use"]
    if settings.max_credit_use is not None and pd.notna(use) and use > settings.max_credit_use:
        failures.append(("credit_use", f"uses {percent_text(use, minus=MINUS)} of its credit limit"))
    return failures


def growth_signals(
    row: Mapping[str, Any], settings: ScreeningSettings, floor: float, annualise: float
) -> list[tuple[str, str]]:
    """The growth signals of a customer, as (key of :data:`GROWTH_SIGNALS`, readable text).

    No signal for a customer whose sales fell: a shrinking customer is never a growth account.
    Growth counts only on a meaningful base (sales and previous sales at least the floor, so
    +3,859% from almost nothing is not "growing fast"); strong workshop scores count from the
    floor up; headroom counts when the wallet (what the customer buys from all suppliers) is
    at least the annualised floor, however little it buys from the dealer yet.
    """
    growth = row["growth_pct"]
    if not row["sales"] > 0 or (pd.notna(growth) and growth < 0):
        return []
    found = []
    big_enough = row["sales"] >= floor
    if (
        big_enough
        and pd.notna(growth)
        and growth >= settings.growth_min_growth_pct
        and row["previous_sales"] >= floor
    ):
        found.append(("growth", f"sales +{percent_text(growth, minus=MINUS)} vs previous period"))
    headroom = row["headroom_share"]
    if (
        pd.notna(headroom)
        and headroom >= settings.growth_min_headroom_share
        and row["wallet"] >= floor * annualise
    ):
        wallet = number_text(row["wallet"], minus=MINUS)
        found.append(
            (
                "headroom",
                f"{percent_text(row['share_of_wallet'], minus=MINUS)} share of wallet ({wallet} wallet)",
            )
        )
    qual = row["qualitative_mean"]
    if big_enough and pd.notna(qual) and qual >= settings.growth_min_qualitative:
        found.append(("workshop", f"strong workshop scores ({qual:.1f}/5)"))
    return found


def _profile(row: Mapping[str, Any], settings: ScreeningSettings) -> list[str]:
    parts = []
    rank, n = row["sales_rank"], row["buying_customers"]
    if pd.notna(rank):
        if n == 1:
            parts.append("the only buying customer")
        elif rank / n <= 0.5:
            parts.append(f"top {math.ceil(100 * rank / n)}% of sales")
        else:
            parts.append(f"bottom {math.ceil(100 * (n - rank + 1) / n)}% of sales")
    if pd.notna(row["margin_pct"]):
        parts.append(f"{percent_text(row['margin_pct'], minus=MINUS)} margin")
    days, late = row["avg_days_late"], row["late_share"]
    if pd.notna(days) and days > settings.grace_days:
        parts.append(f"pays on average {days:.0f} days late")
    elif pd.notna(late) and late > 0:
        parts.append(f"{percent_text(late, minus=MINUS)} of invoices late")
    elif pd.notna(days) or pd.notna(late):
        parts.append("pays on time")
    if row["status"] == "new":
        parts.append(row.get("first_buyer_label", "new customer"))
    return parts


def reason(row: Mapping[str, Any], settings: ScreeningSettings) -> str:
    tier = row["tier"]
    if tier == "inactive":
        if row["status"] == "lost":
            bought = number_text(row["previous_sales"], minus=MINUS)
            return f"lost: bought {bought} in the previous window, nothing since"
        last = row["last_purchase"]
        since = f" (last purchase {last:%Y-%m-%d})" if pd.notna(last) else ""
        return f"no purchases in the compared windows{since}"
    if tier == "review":
        return "excluded: " + row["exclusion"]
    parts = _profile(row, settings)
    if tier == "growth":
        signals = "; ".join(text for _key, text in row["signals"])
        return f"growth potential: {signals} — rank {row['rank']:,} by score; " + ", ".join(parts)
    if tier == "maintain":
        return f"rank {row['rank']:,} by score; " + ", ".join(parts)
    return ", ".join(parts)
