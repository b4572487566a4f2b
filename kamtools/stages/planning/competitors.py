"""Who else supplies a key account, and what the data say about price and share.

The market table names each account's main competitors (``main_competitors``, separated by
``;``). A share may be written after a name, as the sales team knows it: "Apex Trade (40%)".
Where no share is written, the competitors together hold what the account does not buy from
us: 1 - share of wallet. The price signal comes from the dealer's own data: an account whose
gross margin is well below that of its segment peers is being bought on price, usually because
a competitor's offer sets it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.stages.planning.market import require_columns

__all__ = [
    "COMPETITOR_COLUMNS",
    "PRICE_SIGNAL_COLUMNS",
    "competitor_table",
    "price_signals",
    "split_competitors",
]

COMPETITOR_COLUMNS: tuple[str, ...] = ("customer_id", "competitor", "stated_share", "accounts_naming")
PRICE_SIGNAL_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "margin",
    "peer_margin",
    "margin_gap",
    "price_pressure",
)

_SHARE = re.compile(r"^(?P<name>.*?)\s*[\(\[]\s*(?P<share>\d+(?:[.,]\d+)?)\s*%\s*[\)\]]\s*$")

# A margin this many points below the segment's median margin reads as price pressure.
PRICE_PRESSURE_POINTS = 0.05


def split_competitors(text: object) -> list[tuple[str, float | None]]:
    """Competitor names and stated shares from one ``main_competitors`` cell.

    >>> split_competitors("Apex Trade (40%); Bauwelt Direct")
    [('Apex Trade', 0.4), ('Bauwelt Direct', None)]

    Empty parts and missing cells give no competitors; a name appears once (first mention wins).
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    out: list[tuple[str, float | None]] = []
    seen: set[str] = set()
    for part in str(text).split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        share: float | None = None
        match = _SHARE.match(part)
        if match and match.group("name"):
            part = match.group("name").strip()
            share = float(match.group("share").replace(",", ".")) / 100
        if part.casefold() in seen:
            continue
        seen.add(part.casefold())
        out.append((part, share))
    return out


def competitor_table(market: pd.DataFrame | None, *, customer_ids: Sequence[str]) -> pd.DataFrame:
    """One row per account and competitor named in the market table.

    Parameters
    ----------
    market : pandas.DataFrame or None
        ``customer_id`` and ``main_competitors`` (text, ``;``-separated, optional share in
        brackets). None, or no such column: an empty result.
    customer_ids : sequence of str
        The accounts (key and growth accounts) looked at.

    Returns
    -------
    pandas.DataFrame
        :data:`COMPETITOR_COLUMNS`: ``stated_share`` (fraction, NaN when not written) and
        ``accounts_naming``: how many of the given accounts name this competitor, the portfolio
        signal of who the dealer is really up against. Ordered as the accounts, then as named.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in COMPETITOR_COLUMNS})
    if market is None or "main_competitors" not in market.columns:
        return empty
    require_columns(market, ("customer_id",), "market")
    cells = market.assign(customer_id=market["customer_id"].astype(str)).drop_duplicates("customer_id")
    by_id = cells.set_index("customer_id")["main_competitors"]
    rows = [
        (account, name, share)
        for account in (str(c) for c in customer_ids)
        if account in by_id.index
        for name, share in split_competitors(by_id[account])
    ]
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=["customer_id", "competitor", "stated_share"])
    out["stated_share"] = out["stated_share"].astype(float)
    out["accounts_naming"] = out.groupby("competitor")["customer_id"].transform("nunique").astype("int64")
    return out[list(COMPETITOR_COLUMNS)]


def price_signals(
    sales: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
) -> pd.DataFrame:
    """Each account's gross margin against the median margin of its segment's buying customers.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines with ``invoice_date``, ``customer_id``, ``net_sales`` and ``cost``.
    customers : pandas.DataFrame
        ``customer_id`` and ``segment``.
    customer_ids : sequence of str
        The accounts.
    baseline : tuple of pandas.Timestamp
        Inclusive first and last day of the period looked at.

    Returns
    -------
    pandas.DataFrame
        :data:`PRICE_SIGNAL_COLUMNS` per account: ``margin`` (gross profit over sales),
        ``peer_margin`` (median over the other buying customers of its segment), ``margin_gap``
        (margin - peer margin) and ``price_pressure`` (gap of more than
        :data:`PRICE_PRESSURE_POINTS` below). Empty without costs or segments.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in PRICE_SIGNAL_COLUMNS})
    require_columns(sales, ("invoice_date", "customer_id", "net_sales"), "sales")
    if "cost" not in sales.columns or "segment" not in customers.columns:
        return empty
    dates = pd.to_datetime(sales["invoice_date"])
    inside = (dates >= baseline[0]) & (dates <= baseline[1]) & sales["cost"].notna()
    lines = sales.loc[inside, ["customer_id", "net_sales", "cost"]]  # only what is read
    key = lines["customer_id"].astype(str)
    totals = pd.DataFrame(
        {
            "sales": lines["net_sales"].astype(float).groupby(key).sum(),
            "cost": lines["cost"].astype(float).groupby(key).sum(),
        }
    )
    totals = totals.loc[totals["sales"] > 0]
    if totals.empty:
        return empty
    totals["margin"] = (totals["sales"] - totals["cost"]) / totals["sales"]
    segment = customers.assign(customer_id=customers["customer_id"].astype(str)).drop_duplicates(
        "customer_id"
    )
    totals["segment"] = totals.index.map(segment.set_index("customer_id")["segment"])
    rows = []
    # Margins as an array and each segment's rows found once: the peers of an account are its
    # segment's rows but its own; their median is the one pandas' Series.median computes
    # (NumPy's nanmedian of the known margins). Per-account pandas selection cost far more.
    margins = totals["margin"].to_numpy(dtype=float)
    position = {str(c): i for i, c in enumerate(totals.index)}
    members: dict[object, np.ndarray] = {}
    for account in (str(c) for c in customer_ids):
        if account not in position or pd.isna(totals.at[account, "segment"]):
            continue
        key = totals.at[account, "segment"]
        if key not in members:
            members[key] = np.flatnonzero((totals["segment"] == key).to_numpy(dtype=bool, na_value=False))
        peers = margins[members[key][members[key] != position[account]]]
        if not len(peers):
            continue
        margin = float(margins[position[account]])
        with warnings.catch_warnings():  # peers without a known margin: NaN, as in pandas
            warnings.simplefilter("ignore", RuntimeWarning)
            peer_margin = float(np.nanmedian(peers[~np.isnan(peers)]))
        rows.append(
            (
                account,
                margin,
                peer_margin,
                margin - peer_margin,
                margin - peer_margin < -PRICE_PRESSURE_POINTS,
            )
        )
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=list(PRICE_SIGNAL_COLUMNS))
    out["price_pressure"] = out["price_pressure"].astype(bool)
    return out
