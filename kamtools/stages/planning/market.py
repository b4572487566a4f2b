"""Market analysis of a key account: its wallet, our share of it, headroom, and category gaps.

*Share of wallet* is the part of an account's purchases in our categories (its *wallet*, an
estimate from the market table) that it buys from us; *headroom* is the rest, what it still buys
from others. *White space* are the categories that the account's peers (customers of the same
segment) buy from us but this account does not: found in the dealer's own sales, no survey
needed.

Every function is pure: frames in, new frames out, inputs untouched.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamtools.contract import require_columns as _require_columns
from kamtools.stages.planning.settings import PlanningInputError, PlanningSettings

__all__ = [
    "BASELINE_COLUMNS",
    "CATEGORY_GAP_COLUMNS",
    "WALLET_COLUMNS",
    "account_baseline",
    "category_gaps",
    "records_by_account",
    "wallet_share",
]

BASELINE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "sales",
    "gross_profit",
    "previous_sales",
    "previous_gross_profit",
    "growth",
)
WALLET_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "sales",
    "wallet",
    "share_of_wallet",
    "headroom",
    "wallet_note",
)
CATEGORY_GAP_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "segment",
    "category",
    "gap",
    "peers",
    "peer_penetration",
    "peer_median_share",
    "own_sales",
    "own_share",
    "opportunity",
)


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise :class:`PlanningInputError` naming the table and every missing column."""
    _require_columns(frame, columns, table, error=PlanningInputError)


def records_by_account(frame: pd.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
    """The rows of ``frame`` as plain records (column → value), grouped by ``customer_id`` as text.

    Why: a plan is built account by account from tables of a few hundred rows; selecting each
    account's rows with pandas (``.loc``, ``itertuples``, a small frame per account) cost far
    more than the plan itself. The ids are converted once and every row is read once.

    The records hold the values ``itertuples`` gives (Python scalars, ``Timestamp`` for
    datetimes, NaN where missing), in the frame's row order within each account; accounts
    appear in the order of their first row. None or an empty frame: no accounts.
    """
    if frame is None or frame.empty:
        return {}
    columns = [str(c) for c in frame.columns]
    values = [frame.iloc[:, i].tolist() for i in range(len(columns))]
    out: dict[str, list[dict[str, Any]]] = {}
    accounts = frame["customer_id"].astype(str).tolist()
    for account, row in zip(accounts, zip(*values, strict=True), strict=True):
        out.setdefault(account, []).append(dict(zip(columns, row, strict=True)))
    return out


def _window(
    sales: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The invoice lines from ``start`` to ``end`` (inclusive), with only ``columns`` when given.

    Taking only the columns a function reads spares copying the others (product and invoice
    texts) for every line kept: a few hundred thousand lines, several windows per plan.
    """
    dates = pd.to_datetime(sales["invoice_date"])
    inside = (dates >= start) & (dates <= end)
    return sales.loc[inside] if columns is None else sales.loc[inside, [c for c in columns if c in sales]]


def account_baseline(
    sales: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    previous: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Sales and gross profit of each account in the baseline period (and the one before).

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``; ``cost`` optional
        (without it gross profit is missing).
    customer_ids : sequence of str
        The accounts, in the order of the result.
    baseline, previous : tuple of pandas.Timestamp
        Inclusive first and last day of the baseline ("last") period and of the period before.

    Returns
    -------
    pandas.DataFrame
        :data:`BASELINE_COLUMNS`: ``sales``, ``gross_profit`` (sales minus cost; NaN without
        costs), the same for the previous period, and ``growth`` (sales over previous sales
        minus 1; NaN when the account did not buy before).
    """
    require_columns(sales, ("invoice_date", "customer_id", "net_sales"), "sales")
    ids = pd.Index([str(c) for c in customer_ids], name="customer_id")
    has_cost = "cost" in sales.columns

    def totals(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
        lines = _window(sales, start, end, ("customer_id", "net_sales", "cost"))
        lines = lines.loc[lines["customer_id"].astype(str).isin(ids)]
        key = lines["customer_id"].astype(str)
        amount = lines["net_sales"].astype(float).groupby(key).sum().reindex(ids, fill_value=0.0)
        if not has_cost:
            return amount, pd.Series(np.nan, index=ids)
        profit = (lines["net_sales"].astype(float) - lines["cost"].astype(float)).groupby(key).sum()
        return amount, profit.reindex(ids, fill_value=0.0)

    current_sales, current_profit = totals(*baseline)
    if previous is None:
        previous_sales = pd.Series(np.nan, index=ids)
        previous_profit = pd.Series(np.nan, index=ids)
    else:
        previous_sales, previous_profit = totals(*previous)
    growth = (current_sales / previous_sales.where(previous_sales > 0)) - 1.0
    out = pd.DataFrame(
        {
            "sales": current_sales.round(2),
            "gross_profit": current_profit.round(2),
            "previous_sales": previous_sales.round(2),
            "previous_gross_profit": previous_profit.round(2),
            "growth": growth,
        },
        index=ids,
    ).reset_index()
    return out[list(BASELINE_COLUMNS)]


def wallet_share(accounts: pd.DataFrame, market: pd.DataFrame | None) -> pd.DataFrame:
    """Estimated wallet, share of wallet and headroom of each account.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id`` and ``sales`` (our sales to it in the baseline period).
    market : pandas.DataFrame or None
        The market table: ``customer_id`` and ``wallet`` (estimated yearly purchases in our
        categories from all suppliers). None or a missing row: no estimate.

    Returns
    -------
    pandas.DataFrame
        :data:`WALLET_COLUMNS`, one row per account in the order given: ``share_of_wallet`` =
        sales / wallet (at most 1), ``headroom`` = wallet - sales (at least 0), both NaN without
        an estimate; ``wallet_note`` says why a figure is missing or was capped ("" otherwise).
    """
    require_columns(accounts, ("customer_id", "sales"), "accounts")
    out = accounts[["customer_id", "sales"]].copy()
    out["customer_id"] = out["customer_id"].astype(str)
    out["sales"] = out["sales"].astype(float)
    if market is None or market.empty:
        wallet = pd.Series(np.nan, index=out.index)
    else:
        require_columns(market, ("customer_id", "wallet"), "market")
        by_id = market.assign(customer_id=market["customer_id"].astype(str)).drop_duplicates("customer_id")
        wallet = out["customer_id"].map(by_id.set_index("customer_id")["wallet"].astype(float))
    wallet = wallet.where(wallet > 0)
    out["wallet"] = wallet
    out["share_of_wallet"] = (out["sales"].clip(lower=0) / wallet).clip(upper=1.0)
    out["headroom"] = (wallet - out["sales"]).clip(lower=0.0).round(2)
    note = np.where(wallet.isna(), "no wallet estimate in the market table", "")
    note = np.where(wallet.notna() & (out["sales"] > wallet), "wallet estimate below our own sales", note)
    out["wallet_note"] = note
    return out[list(WALLET_COLUMNS)].reset_index(drop=True)


def category_gaps(
    sales: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    settings: PlanningSettings | None = None,
) -> pd.DataFrame:
    """Categories that an account's segment peers buy from us and the account does not (or little).

    Peers are the other customers of the same ``segment`` that bought from us in the baseline
    period. A category is a gap of an account when at least
    ``settings.white_space_min_peer_share`` of its peers buy it and

    * ``gap == "white space"``: the account's own share of its purchases from us in the category
      is at most ``settings.white_space_max_own_share`` (it does not buy it), or
    * ``gap == "under-bought"``: it buys it, but less than half the peers' median share.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales``, ``category``.
    customers : pandas.DataFrame
        Customer master: ``customer_id``, ``segment``.
    customer_ids : sequence of str
        The accounts analysed.
    baseline : tuple of pandas.Timestamp
        Inclusive first and last day of the period looked at.
    settings : PlanningSettings, optional
        Thresholds (defaults when None).

    Returns
    -------
    pandas.DataFrame
        :data:`CATEGORY_GAP_COLUMNS`, one row per account and gap category, sorted by account
        and largest opportunity: ``peers`` (buying peers), ``peer_penetration`` (share of peers
        buying the category), ``peer_median_share`` (median share of the category in a buying
        peer's purchases), ``own_sales``, ``own_share``, and ``opportunity`` = the account's
        purchases from us x (peer median share - own share): what it would buy at its peers' mix.
        Empty (with these columns) when the sales carry no ``category`` or customers no
        ``segment``, and for accounts with fewer than ``settings.white_space_min_peers`` peers.
    """
    settings = settings or PlanningSettings()
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in CATEGORY_GAP_COLUMNS})
    require_columns(sales, ("invoice_date", "customer_id", "net_sales"), "sales")
    require_columns(customers, ("customer_id",), "customers")
    if "category" not in sales.columns or "segment" not in customers.columns:
        return empty
    lines = _window(sales, *baseline, ("customer_id", "category", "net_sales"))
    lines = lines.loc[lines["category"].notna() & (lines["category"].astype(str).str.strip() != "")]
    spend = (
        lines.assign(customer_id=lines["customer_id"].astype(str), category=lines["category"].astype(str))
        .groupby(["customer_id", "category"])["net_sales"]
        .sum()
        .unstack(fill_value=0.0)
        .clip(lower=0.0)
    )
    spend = spend.loc[spend.sum(axis=1) > 0]
    if spend.empty:
        return empty
    shares = spend.div(spend.sum(axis=1), axis=0)
    segment = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index("customer_id")[
        "segment"
    ]
    segment = segment[~segment.index.duplicated()].reindex(shares.index)
    rows = []
    table = _SpendTable.of(spend, shares, segment)
    for account in (str(c) for c in customer_ids):
        if account in table.position and not pd.isna(segment.get(account)):
            rows += _account_gaps(account, table, settings)
    if not rows:
        return empty
    order = {c: i for i, c in enumerate(str(c) for c in customer_ids)}
    out = pd.DataFrame(rows, columns=list(CATEGORY_GAP_COLUMNS))
    out = out.assign(_order=out["customer_id"].map(order)).sort_values(
        ["_order", "opportunity"], ascending=[True, False], kind="stable"
    )
    return out.drop(columns="_order").reset_index(drop=True)


@dataclass
class _SpendTable:
    """The customers' spend and shares per category as arrays, with each segment's rows.

    Why: the gaps are found account by account against its segment peers; pandas row selection
    per account cost milliseconds each, array rows and a cached segment mask cost microseconds.
    """

    spend: np.ndarray
    shares: np.ndarray
    categories: list[str]
    position: dict[str, int]
    segment: pd.Series
    members: dict[object, np.ndarray]

    @classmethod
    def of(cls, spend: pd.DataFrame, shares: pd.DataFrame, segment: pd.Series) -> _SpendTable:
        return cls(
            spend=spend.to_numpy(dtype=float),
            shares=shares.to_numpy(dtype=float),
            categories=list(shares.columns),
            position={str(c): i for i, c in enumerate(shares.index)},
            segment=segment,
            members={},
        )

    def peers(self, account: str) -> np.ndarray:
        """Positions of the account's segment peers (same segment, not itself), in table order."""
        key = self.segment.get(account)
        if key not in self.members:  # the mask pandas gives (NaN segments never match)
            self.members[key] = np.flatnonzero((self.segment == key).to_numpy(dtype=bool, na_value=False))
        same = self.members[key]
        return same[same != self.position[account]]


def _known_median(values: np.ndarray) -> np.ndarray:
    """The median of each column's known (non-NaN) values; NaN for a column without any.

    What ``DataFrame.median`` gives (NumPy's nanmedian): the middle value of the sorted known
    values, or the half-sum of the two middle ones, here for all columns with one sort instead
    of nanmedian's masked-array path per call (most of the gaps' time). An odd count takes the
    middle value twice: (x + x) / 2 is x exactly.
    """
    ordered = np.sort(values, axis=0)  # NaN sorts last
    known = (~np.isnan(values)).sum(axis=0)
    columns = np.arange(values.shape[1])
    low = ordered[np.maximum(known - 1, 0) // 2, columns] if len(values) else np.full(len(columns), np.nan)
    high = ordered[np.minimum(known // 2, max(len(values) - 1, 0)), columns] if len(values) else low
    return np.where(known > 0, (low + high) / 2, np.nan)


def _account_gaps(account: str, table: _SpendTable, settings: PlanningSettings) -> list[dict[str, object]]:
    """The gap rows of one account against its segment peers (none with too few peers).

    The figures of the plain pandas formulas on the peers' rows (tested against them):
    ``(peers > 0).mean()``, ``peers.where(peers > 0).median()`` (:func:`_known_median`) and the
    account's own row.
    """
    peer_rows = table.peers(account)
    if len(peer_rows) < settings.white_space_min_peers:
        return []
    peers = table.shares[peer_rows]
    with warnings.catch_warnings():  # a category no peer buys has no median: NaN, as in pandas
        warnings.simplefilter("ignore", RuntimeWarning)
        penetration = (peers > 0).mean(axis=0)
        median_share = _known_median(np.where(peers > 0, peers, np.nan))
    i = table.position[account]
    own_share, own_spend = table.shares[i], table.spend[i]
    own_total = float(own_spend.sum())
    segment = str(table.segment[account])
    rows = []
    for j, category in enumerate(table.categories):
        if penetration[j] < settings.white_space_min_peer_share:
            continue
        if own_share[j] <= settings.white_space_max_own_share:
            gap = "white space"
        elif own_share[j] < 0.5 * median_share[j]:
            gap = "under-bought"
        else:
            continue
        rows.append(
            {
                "customer_id": account,
                "segment": segment,
                "category": category,
                "gap": gap,
                "peers": len(peer_rows),
                "peer_penetration": float(penetration[j]),
                "peer_median_share": float(median_share[j]),
                "own_sales": round(float(own_spend[j]), 2),
                "own_share": float(own_share[j]),
                "opportunity": round(own_total * float(median_share[j] - own_share[j]), 2),
            }
        )
    return rows
