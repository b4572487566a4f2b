"""The screening's gates, growth signals and readable reasons, in words a client reads.

:data:`GATES` and :data:`GROWTH_SIGNALS` name the rules. :func:`gate_table` and
:func:`signal_table` decide, one column operation per rule, which customers fail which gate
and show which growth signal; :func:`joined_keys` writes those decisions as the ``failed_gates``
and ``growth_signals`` columns. The words come only where somebody reads them:
:func:`exclusion_texts` and :func:`tier_reasons` write the text of the rows they are given (every
customer for the report's tables, the listed accounts for the workshop). Numbers are written by
:mod:`kamtools.formatting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from kamtools.formatting import MINUS, number_text, percent_text
from kamtools.stages.screening.settings import ScreeningSettings

__all__ = [
    "GATES",
    "GROWTH_SIGNALS",
    "ROW_COLUMNS",
    "exclusion_texts",
    "gate_table",
    "joined_keys",
    "signal_table",
    "tier_reasons",
]


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
"""The columns the texts read. Only these (and the tier columns) of the rows written are turned
into row mappings: converting all ~50 columns of every customer cost most of a re-score."""


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A number column as float64 (missing values NaN, so every comparison with them is False)."""
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


def gate_table(
    frame: pd.DataFrame, buying: np.ndarray, *, settings: ScreeningSettings, margin_known: bool
) -> pd.DataFrame:
    """Which buying customers fail which gate, one column operation per gate.

    A customer without positive sales fails "sales" and is not judged on margin; the margin
    gates apply only when costs are known and ``min_margin_pct`` is set ("price_pressed" only to
    customers at or above that minimum, against ``min_margin_vs_peers`` of the peers' median
    margin when it is positive); the payment gates only from ``min_payment_invoices`` judged
    invoices on. A missing value never fails a gate. Customers not buying fail none.

    Parameters
    ----------
    frame : pandas.DataFrame
        The scored columns: sales, margin_pct, peer_margin, contribution, payment_invoices,
        avg_days_late, late_share, credit_use.
    buying : numpy.ndarray of bool
        The customers that bought in the current window.
    settings : ScreeningSettings
        The gates' thresholds (None switches a gate off).
    margin_known : bool
        Whether the sales data have costs (any gross profit known).

    Returns
    -------
    pandas.DataFrame
        One bool column per key of :data:`GATES`, in that order; same index as ``frame``.
    """
    sales, margin, peers = (_values(frame, c) for c in ("sales", "margin_pct", "peer_margin"))
    positive = sales > 0
    none = np.zeros(len(frame), dtype=bool)
    fails = dict.fromkeys(GATES, none)
    fails["sales"] = buying & ~positive
    minimum = settings.min_margin_pct
    if margin_known and minimum is not None:
        below = margin < minimum
        fails["margin"] = buying & positive & below
        share = settings.min_margin_vs_peers
        if share is not None:
            pressed = ~below & (margin >= 0) & (peers > 0) & (margin < share * peers)
            fails["price_pressed"] = buying & positive & pressed
    if settings.min_contribution is not None:
        fails["contribution"] = buying & (_values(frame, "contribution") < settings.min_contribution)
    judged = buying & (_values(frame, "payment_invoices") >= settings.min_payment_invoices)
    if settings.max_avg_days_late is not None:
        fails["days_late"] = judged & (_values(frame, "avg_days_late") > settings.max_avg_days_late)
    if settings.max_late_share is not None:
        fails["late_share"] = judged & (_values(frame, "late_share") > settings.max_late_share)
    if settings.max_credit_use is not None:
        fails["credit_use"] = buying & (_values(frame, "credit_use") > settings.max_credit_use)
    return pd.DataFrame(fails, index=frame.index)


def signal_table(
    frame: pd.DataFrame, buying: np.ndarray, *, settings: ScreeningSettings, floor: float, annualise: float
) -> pd.DataFrame:
    """Which buying customers show which growth signal, one column operation per signal.

    No signal for a customer whose sales fell: a shrinking customer is never a growth account.
    Growth counts only on a meaningful base (sales and previous sales at least the floor, so
    +3,859% from almost nothing is not "growing fast"); strong workshop scores count from the
    floor up; headroom counts when the wallet (what the customer buys from all suppliers) is
    at least the annualised floor, however little it buys from the dealer yet.

    Parameters
    ----------
    frame : pandas.DataFrame
        The scored columns: sales, growth_pct, previous_sales, headroom_share, wallet,
        qualitative_mean.
    buying : numpy.ndarray of bool
        The customers that bought in the current window.
    settings : ScreeningSettings
        ``growth_min_growth_pct``, ``growth_min_headroom_share``, ``growth_min_qualitative``.
    floor : float
        The growth sales floor (a quantile of the buying customers' sales).
    annualise : float
        Factor from the window's sales to a year's (wallets are yearly).

    Returns
    -------
    pandas.DataFrame
        One bool column per key of :data:`GROWTH_SIGNALS`, in that order; same index as ``frame``.
    """
    sales, growth = _values(frame, "sales"), _values(frame, "growth_pct")
    candidate = buying & (sales > 0) & ~(growth < 0)
    big_enough = candidate & (sales >= floor)
    signals = {
        "growth": big_enough
        & (growth >= settings.growth_min_growth_pct)
        & (_values(frame, "previous_sales") >= floor),
        "headroom": candidate
        & (_values(frame, "headroom_share") >= settings.growth_min_headroom_share)
        & (_values(frame, "wallet") >= floor * annualise),
        "workshop": big_enough & (_values(frame, "qualitative_mean") >= settings.growth_min_qualitative),
    }
    return pd.DataFrame(signals, index=frame.index)


def joined_keys(table: pd.DataFrame) -> pd.Series:
    """The keys (column names) true in each row of a bool ``table``, joined by ";" ("" for none)."""
    keys = list(table.columns)
    code = np.zeros(len(table), dtype="int64")
    for bit, key in enumerate(keys):
        code |= table[key].to_numpy(dtype=bool).astype("int64") << bit
    # One text per combination of keys, taken by code: far faster than building each row's text.
    texts = [
        ";".join(k for bit, k in enumerate(keys) if combination >> bit & 1)
        for combination in range(2 ** len(keys))
    ]
    return pd.Series(pd.array(texts, dtype="str").take(code), index=table.index)


def _rows(frame: pd.DataFrame, *extra: str) -> list[dict[str, Any]]:
    """The text columns (and ``extra`` ones) of ``frame`` as one mapping per row."""
    names = [c for c in (*ROW_COLUMNS, *extra) if c in frame.columns]
    columns = [frame[c].tolist() for c in names]  # column-wise: far faster than to_dict("records")
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _keys(joined: Any) -> list[str]:
    return [key for key in str(joined).split(";") if key] if isinstance(joined, str) else []


def _gate_text(key: str, row: Mapping[str, Any], settings: ScreeningSettings) -> str:
    """The words for a gate the customer of ``row`` fails (key of :data:`GATES`)."""
    margin = row["margin_pct"]
    if key == "sales":
        return "no positive net sales"
    if key == "margin":
        if margin < 0:
            return f"loss-making ({percent_text(margin, minus=MINUS)} margin)"
        minimum = percent_text(settings.min_margin_pct, minus=MINUS)
        return f"{percent_text(margin, minus=MINUS)} margin, below the minimum {minimum}"
    if key == "price_pressed":
        return (
            f"price-pressed ({percent_text(margin, minus=MINUS)} margin where customers of its"
            f" size earn {percent_text(row['peer_margin'], minus=MINUS)})"
        )
    if key == "contribution":
        contribution = number_text(row["contribution"], minus=MINUS)
        return f"costs more to serve than it earns (contribution {contribution})"
    if key == "days_late":
        return f"pays on average {row['avg_days_late']:.0f} days late"
    if key == "late_share":
        return f"{percent_text(row['late_share'], minus=MINUS)} of invoices paid late"
    return f"uses {percent_text(row['credit_use'], minus=MINUS)} of its credit limit"


def _signal_text(key: str, row: Mapping[str, Any]) -> str:
    """The words for a growth signal of the customer of ``row`` (key of :data:`GROWTH_SIGNALS`)."""
    if key == "growth":
        return f"sales +{percent_text(row['growth_pct'], minus=MINUS)} vs previous period"
    if key == "headroom":
        wallet = number_text(row["wallet"], minus=MINUS)
        return f"{percent_text(row['share_of_wallet'], minus=MINUS)} share of wallet ({wallet} wallet)"
    return f"strong workshop scores ({row['qualitative_mean']:.1f}/5)"


def exclusion_texts(frame: pd.DataFrame, *, settings: ScreeningSettings) -> pd.Series:
    """The failed gates of each row in words, joined by "; " ("" where none failed).

    ``frame`` holds ``failed_gates`` (keys joined by ";", see :func:`joined_keys`) and the columns
    the words quote (:data:`ROW_COLUMNS`); only rows with a failed gate are written.
    """
    texts = pd.Series("", index=frame.index, dtype="object")
    failing = frame["failed_gates"].fillna("").astype("str").to_numpy() != ""
    chosen = frame[failing]
    texts.iloc[np.flatnonzero(failing)] = [
        "; ".join(_gate_text(key, row, settings) for key in _keys(row["failed_gates"]))
        for row in _rows(chosen, "failed_gates")
    ]
    return texts.astype("str")


def tier_reasons(
    frame: pd.DataFrame, *, settings: ScreeningSettings, buying_customers: int, first_buyer_label: str
) -> pd.Series:
    """Why each customer of ``frame`` got its tier of the screening, in words.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of :func:`~kamtools.stages.screening.scoring.score_customers`' output (any subset):
        tier, rank, failed_gates, growth_signals and :data:`ROW_COLUMNS`; ``exclusion`` when
        written (otherwise it is written here from ``failed_gates``).
    settings : ScreeningSettings
        The rules the screening used.
    buying_customers : int
        Customers that bought in the window (the base of "top 5% of sales").
    first_buyer_label : str
        How a customer first seen in the current window is named.

    Returns
    -------
    pandas.Series
        Text (dtype "str"), same index as ``frame``.
    """
    if "exclusion" not in frame:
        frame = frame.assign(exclusion=exclusion_texts(frame, settings=settings))
    rows = _rows(frame, "tier", "rank", "exclusion", "growth_signals")
    common = {"buying_customers": buying_customers, "first_buyer_label": first_buyer_label}
    return pd.Series([_reason({**row, **common}, settings) for row in rows], index=frame.index, dtype="str")


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


def _reason(row: Mapping[str, Any], settings: ScreeningSettings) -> str:
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
        signals = "; ".join(_signal_text(key, row) for key in _keys(row["growth_signals"]))
        return f"growth potential: {signals} — rank {row['rank']:,} by score; " + ", ".join(parts)
    if tier == "maintain":
        return f"rank {row['rank']:,} by score; " + ", ".join(parts)
    return ", ".join(parts)
