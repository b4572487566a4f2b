"""Per-customer measures of the screening: sales, margin, growth, purchase history, payments, workshop scores.

The functions are pure: they return new frames and never change the frames they receive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import wait
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kamtools.analytics import customer_status
from kamtools.engine import arrow_column, exact_decimal, in_background, query, sales_lines
from kamtools.periods import ComparisonWindow
from kamtools.stages.screening.payments import period_payments
from kamtools.stages.screening.settings import (
    METRIC_COLUMNS,
    ScreeningInputError,
    ScreeningSettings,
    require_input,
)

# --------------------------------------------------------------------------------------------
# Customer metrics


def _customer_attributes(customers: pd.DataFrame | None) -> pd.DataFrame:
    if customers is None:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "name": pd.Series(dtype="str")})
    require_input(customers, ["customer_id"], "customers")
    keep = [c for c in ("customer_id", "name", "region", "segment") if c in customers.columns]
    attrs = customers[keep].drop_duplicates("customer_id")
    return attrs.assign(customer_id=attrs["customer_id"].astype("str"))


# One pass over the invoice lines up to the last window's end gives every per-customer
# aggregate of every window asked for (this period and the previous one: one scan instead of
# one per period); DuckDB runs it on Arrow views of the columns (kamtools.engine), in parallel
# and without copying the lines. The lines are first summed per customer and *bucket*, the days
# between two consecutive edges of the windows' periods (``$edge_{i}``: a first day, or the day
# after a last), so each line passes through a few plain sums; each window's aggregates then
# add up the buckets of its periods, a few per customer. Customers are grouped by integer codes
# (their ids' sorted order), which DuckDB hashes and compares faster than text. Amounts are
# summed as decimals (to a millionth): exact, so the result does not depend on the order in
# which threads add the lines, nor on how they are bucketed, and credit notes that cancel a
# purchase leave exactly zero instead of a rounding residue. ``{k}`` is the window's number in
# the column and parameter names.
_WINDOW_FLAGS_SQL = """bucket BETWEEN $current_first_{k} AND $current_last_{k} AS cur_{k},
           bucket BETWEEN $previous_first_{k} AND $previous_last_{k} AS prev_{k},
           bucket <= $current_last_{k} AS upto_{k}"""

_WINDOW_AGGREGATES_SQL = """
       CAST(coalesce(sum(bucket_sales) FILTER (cur_{k}), 0) AS DOUBLE) AS sales_{k},
       CAST(coalesce(sum(bucket_sales) FILTER (prev_{k}), 0) AS DOUBLE) AS previous_sales_{k},
       CAST(sum(bucket_profit) FILTER (cur_{k}) AS DOUBLE) AS gross_profit_{k},
       CAST(sum(bucket_profit) FILTER (prev_{k}) AS DOUBLE) AS previous_gross_profit_{k},
       CAST(coalesce(sum(bucket_lines) FILTER (cur_{k}), 0) AS BIGINT) AS current_lines_{k},
       CAST(coalesce(sum(bucket_lines) FILTER (prev_{k}), 0) AS BIGINT) AS previous_lines_{k},
       CAST(coalesce(sum(bucket_costed) FILTER (cur_{k}), 0) AS BIGINT) AS current_costed_{k},
       CAST(coalesce(sum(bucket_costed) FILTER (prev_{k}), 0) AS BIGINT) AS previous_costed_{k},
       min(bucket_first) FILTER (upto_{k}) AS first_purchase_{k},
       max(bucket_last) FILTER (upto_{k}) AS last_purchase_{k},
       coalesce(bool_or(bucket_bought) FILTER (cur_{k}), false) AS bought_now_{k},
       coalesce(bool_or(bucket_bought) FILTER (prev_{k}), false) AS bought_before_{k},
       coalesce(bool_or(cur_{k} OR prev_{k}), false) AS in_window_{k}"""

_LINE_AGGREGATES_SQL = """
WITH dated AS (
    SELECT customer_id, CAST(ts AS DATE) AS day, amount,
           CAST(amount AS {exact}) AS exact_amount, CAST(profit AS {exact}) AS exact_profit
    FROM lines WHERE CAST(ts AS DATE) <= $last_end
),
buckets AS (
    SELECT customer_id, {bucket} AS bucket,
           sum(exact_amount) AS bucket_sales, sum(exact_profit) AS bucket_profit,
           count(*) AS bucket_lines, count(exact_profit) AS bucket_costed,
           min(day) FILTER (amount > 0) AS bucket_first, max(day) FILTER (amount > 0) AS bucket_last,
           bool_or(amount > 0) AS bucket_bought
    FROM dated GROUP BY ALL
),
flagged AS (SELECT *, {flags} FROM buckets)
SELECT customer_id, {aggregates} FROM flagged GROUP BY customer_id
"""

# Orders (distinct invoices, or days without invoice ids) and items bought per customer in each
# window's current period (``slot`` = the window's number; a line in two windows counts in
# both). Counted in two steps (the distinct pairs, then their number per customer), which
# DuckDB does in less than half the time of ``count(DISTINCT ...)`` per customer.
_BOUGHT_SQL = """SELECT {k} AS slot, customer_id, {order} AS "order", item FROM lines
    WHERE CAST(ts AS DATE) BETWEEN $current_start_{k} AND $current_end_{k} AND amount > 0"""

_COUNTS_SQL = """
WITH bought AS ({bought}),
orders AS (
    SELECT slot, customer_id, count("order") AS frequency
    FROM (SELECT DISTINCT slot, customer_id, "order" FROM bought) GROUP BY slot, customer_id
),
items AS (
    SELECT slot, customer_id, count(item) AS variety
    FROM (SELECT DISTINCT slot, customer_id, item FROM bought) GROUP BY slot, customer_id
)
SELECT slot, customer_id, frequency, variety FROM orders FULL JOIN items USING (slot, customer_id)
"""

# Purchases per customer and month of each window's current period (month 0 = its first), in a
# fixed order: the trend's matrix product then adds in the same order whatever order DuckDB's
# threads finish in, so the same lines always give the same trend to the last bit.
_MONTHLY_SQL = """SELECT {k} AS slot, customer_id,
       (year(ts) * 12 + month(ts)) - $first_month_{k} AS month,
       CAST(sum(CAST(amount AS {exact})) AS DOUBLE) AS amount
FROM lines
WHERE CAST(ts AS DATE) BETWEEN $current_start_{k} AND $current_end_{k} AND amount > 0
GROUP BY ALL"""


_AGGREGATES = tuple(re.findall(r"AS (\w+)_\{k\}", _WINDOW_AGGREGATES_SQL))
"""The per-customer aggregates of one window, as named in the query (without ``_{k}``)."""


def _monthly_trend(monthly: pd.DataFrame, window: ComparisonWindow) -> pd.Series:
    """Least-squares slope of monthly sales over the window, divided by mean monthly sales.

    ``monthly`` holds a customer's purchases per month of the window (``customer_id``,
    ``month`` from 0, ``amount``); a month without purchases counts as 0. A month only partly
    inside the window is scaled up to a full month, so a window ending mid-month does not show
    a false decline. Needs at least three months.
    """
    start, end = window.current_start, window.current_end
    months = pd.period_range(start, end, freq="M")
    if len(months) < 3 or monthly.empty:
        return pd.Series(dtype="float64")
    coverage = np.array(
        [
            ((min(m.end_time.normalize(), end) - max(m.start_time, start)).days + 1) / m.days_in_month
            for m in months
        ]
    )
    customer, ids = pd.factorize(monthly["customer_id"])
    values = np.zeros((len(ids), len(months)))
    values[customer, monthly["month"].to_numpy(dtype="int64")] = monthly["amount"].to_numpy(dtype="float64")
    values /= coverage
    t = np.arange(len(months), dtype="float64")
    t = t - t.mean()
    slope = values @ t / (t @ t)
    mean = values.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = np.where(mean > 0, slope / mean, np.nan)
    return pd.Series(trend, index=pd.Index(ids, name="customer_id"), dtype="float64")


def _text_column(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """Arrow text (or codes) for a column counted with ``nunique``: missing values stay null."""
    try:
        return arrow_column(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types (e.g. numbers and text in one column): count distinct values by their codes.
        codes = pd.factorize(values)[0]
        return pa.array(codes, mask=codes < 0)


ITEM_COLUMNS: tuple[str, ...] = ("category", "product")
"""The columns variety is counted on, the first the sales have (categories, else products)."""


def sales_columns(available: Sequence[str]) -> list[str]:
    """The columns of the sales table the screening reads, of those ``available``.

    The date, customer, amount, cost and invoice columns, and the one item column variety is
    counted on (:data:`ITEM_COLUMNS`); a reader can leave the others (e.g. products when there
    are categories, quantities) unread. ``customer_metrics`` gives the same result on these
    columns as on the whole table.

    Parameters
    ----------
    available : sequence of str
        The columns the sales table has (e.g. a Parquet file's schema).

    Returns
    -------
    list of str
        The columns to read, in the order of ``available``.
    """
    item = next((c for c in ITEM_COLUMNS if c in available), None)
    wanted = {"invoice_date", "customer_id", "net_sales", "cost", "invoice_id", item}
    return [c for c in available if c in wanted]


class _Lines(NamedTuple):
    """The invoice lines as Arrow, for the SQL of :func:`customer_metrics_by_window`."""

    table: pa.Table
    customer_ids: pd.Index  # the id each customer code of ``table`` stands for
    has_cost: bool
    has_item: bool
    orders_are_days: bool  # no invoice ids: an order is a day with purchases
    exact: str  # the decimal type the amounts are summed in (see kamtools.engine.exact_decimal)


def _customer_codes(ids: pd.Series) -> tuple[pa.Array | pa.ChunkedArray, pd.Index]:
    """Integer codes of the customer ids, and the ids they stand for; a missing id stays null.

    The codes follow the ids' sorted order, so ordering by code orders by id (the monthly sums'
    fixed order, see ``_MONTHLY_SQL``). Arrow-backed ids are encoded by Arrow into 32-bit codes
    (a third of the memory pandas' sorted factorize touches on millions of lines).
    """
    arrow = getattr(ids.array, "_pa_array", None)
    encoded = arrow.dictionary_encode() if isinstance(arrow, pa.ChunkedArray) and len(arrow) else None
    dictionary = encoded.chunk(0).dictionary if encoded is not None else None
    if encoded is None or any(len(chunk.dictionary) != len(dictionary) for chunk in encoded.chunks):
        codes, uniques = pd.factorize(ids, sort=True)
        missing = codes < 0
        return pa.array(codes, mask=missing if missing.any() else None), pd.Index(uniques)
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype="int32")
    rank[order] = np.arange(len(order), dtype="int32")
    codes = pa.chunked_array([pc.take(rank, chunk.indices) for chunk in encoded.chunks], type=pa.int32())
    return codes, pd.Index(pd.array(dictionary.take(order), dtype="str"))


def _decoded(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """A query result with its customer codes replaced by the ids they stand for."""
    codes = frame["customer_id"].fillna(-1).to_numpy(dtype="int64")
    return frame.assign(customer_id=ids.take(codes, allow_fill=True, fill_value=np.nan))


def _line_table(sales: pd.DataFrame) -> _Lines:
    """The columns of ``sales`` the metrics need, as Arrow views (no copy of text columns)."""
    amount = sales["net_sales"].astype("float64")
    has_cost = "cost" in sales.columns
    profit = amount - sales["cost"].astype("float64") if has_cost else None
    item_column = next((c for c in ITEM_COLUMNS if c in sales.columns), None)
    nothing = pa.nulls(len(sales), pa.float64())
    customer_codes, customer_ids = _customer_codes(sales["customer_id"].astype("str"))
    columns = {
        **sales_lines(sales),
        "customer_id": customer_codes,
        "profit": arrow_column(profit) if has_cost else nothing,
        "order": (
            _text_column(sales["invoice_id"].astype("str"))
            if "invoice_id" in sales.columns
            else pa.nulls(len(sales), pa.string())
        ),
        "item": _text_column(sales[item_column]) if item_column else nothing,
    }
    exact = exact_decimal(amount, *([profit] if has_cost else []))
    return _Lines(
        pa.table(columns),
        customer_ids,
        has_cost,
        item_column is not None,
        "invoice_id" not in sales.columns,
        exact,
    )


def _window_params(window: ComparisonWindow) -> dict[str, pd.Timestamp]:
    return {
        "current_start": window.current_start,
        "current_end": window.current_end,
        "previous_start": window.previous_start,
        "previous_end": window.previous_end,
    }


def _buckets(windows: Sequence[ComparisonWindow]) -> tuple[str, dict[str, Any]]:
    """The bucket of a line (see ``_LINE_AGGREGATES_SQL``) and the buckets of each period.

    Returns the SQL of a line's bucket (the number of edges on or before its day) and the
    parameters: the edges, and the first and last bucket of each window's periods. A period is
    the days ``start`` to ``end`` inclusive (the days a ``BETWEEN`` on the timestamps keeps).
    """
    day = pd.Timedelta(days=1)
    periods = {}
    for k, window in enumerate(windows):
        periods["current", k] = (window.current_start.ceil("D"), window.current_end.floor("D"))
        periods["previous", k] = (window.previous_start.ceil("D"), window.previous_end.floor("D"))
    edges = sorted({edge for first, last in periods.values() for edge in (first, last + day)})
    params: dict[str, Any] = {f"edge_{i}": edge for i, edge in enumerate(edges)}
    for (period, k), (first, last) in periods.items():
        params[f"{period}_first_{k}"] = sum(edge <= first for edge in edges)
        params[f"{period}_last_{k}"] = sum(edge <= last for edge in edges)
    bucket = " + ".join(f"CAST(day >= $edge_{i} AS INTEGER)" for i in range(len(edges)))
    return bucket, params


def _windows_sql(lines: _Lines, windows: Sequence[ComparisonWindow]) -> tuple[list[str], dict]:
    """The three queries of :func:`customer_metrics_by_window` and their parameters."""
    slots = range(len(windows))
    bucket, params = _buckets(windows)
    params["last_end"] = max(window.current_end for window in windows)
    for k, window in enumerate(windows):
        params.update({f"{name}_{k}": value for name, value in _window_params(window).items()})
        params[f"first_month_{k}"] = window.current_start.year * 12 + window.current_start.month
    # Without invoice ids an order is a day with purchases.
    order = "CAST(ts AS DATE)" if lines.orders_are_days else '"order"'
    aggregates = _LINE_AGGREGATES_SQL.format(
        exact=lines.exact,
        bucket=bucket,
        flags=",\n           ".join(_WINDOW_FLAGS_SQL.format(k=k) for k in slots),
        aggregates=",".join(_WINDOW_AGGREGATES_SQL.format(k=k) for k in slots),
    )
    counts = _COUNTS_SQL.format(
        bought="\n    UNION ALL ".join(_BOUGHT_SQL.format(k=k, order=order) for k in slots)
    )
    monthly = "\nUNION ALL\n".join(_MONTHLY_SQL.format(k=k, exact=lines.exact) for k in slots)
    return [aggregates, counts, f"{monthly}\nORDER BY slot, customer_id, month"], params


def _window_metrics(
    found: pd.DataFrame,
    monthly: pd.DataFrame,
    master: pd.DataFrame,
    *,
    window: ComparisonWindow,
    as_of: pd.Timestamp,
    has_cost: bool,
    has_item: bool,
) -> pd.DataFrame:
    """The metrics of one window from its per-customer aggregates (see :func:`customer_metrics`).

    ``found`` holds the window's aggregates (``_AGGREGATES``, frequency, variety) by customer id,
    ``monthly`` its purchases per customer and month.
    """
    in_window = found.index[found["in_window"].to_numpy(dtype=bool)]
    ids = pd.Index(pd.concat([in_window.to_series(), master["customer_id"]]).unique(), name="customer_id")
    found = found.reindex(ids)
    out = pd.DataFrame(index=ids)
    out["sales"] = found["sales"].fillna(0.0).astype("float64")
    out["previous_sales"] = found["previous_sales"].fillna(0.0).astype("float64")
    # A line without cost makes the customer's gross profit unknown (NaN), not understated;
    # a customer without lines in a window made no profit there (0), when costs are known.
    no_lines = 0.0 if has_cost else np.nan
    for prefix, column in (("current", "gross_profit"), ("previous", "previous_gross_profit")):
        counted = found[f"{prefix}_lines"].fillna(0).to_numpy()
        costed = found[f"{prefix}_costed"].fillna(0).to_numpy()
        profit = found[column].astype("float64").to_numpy()
        out[column] = np.where(counted == 0, no_lines, np.where(costed < counted, np.nan, profit))
    out["first_purchase"] = found["first_purchase"].astype("datetime64[ns]")
    out["last_purchase"] = found["last_purchase"].astype("datetime64[ns]")
    out["frequency"] = found["frequency"].fillna(0).astype("int64")
    out["variety"] = found["variety"].fillna(0).astype("float64") if has_item else np.nan
    out["trend"] = _monthly_trend(monthly, window).reindex(ids)

    bought_now = found["bought_now"].fillna(False).to_numpy(dtype=bool)
    bought_before = found["bought_before"].fillna(False).to_numpy(dtype=bool)
    out["status"] = customer_status(
        bought_now=bought_now,
        bought_before=bought_before,
        first_purchase=out["first_purchase"],
        current_start=window.current_start,
    )

    positive = out["sales"] > 0
    out["margin_pct"] = (out["gross_profit"] / out["sales"]).where(positive)
    out["growth_pct"] = ((out["sales"] - out["previous_sales"]) / out["previous_sales"]).where(
        out["previous_sales"] > 0
    )
    out["recency_days"] = (as_of - out["last_purchase"]).dt.days.astype("float64")
    out["avg_order_size"] = (out["sales"] / out["frequency"]).where(out["frequency"] > 0)
    out["frequency"] = out["frequency"].astype("int64")

    out = out.reset_index()
    out["customer_id"] = out["customer_id"].astype("str")
    out = out.sort_values(["sales", "customer_id"], ascending=[False, True], kind="stable", ignore_index=True)
    total = out["sales"].sum()
    out["sales_share"] = out["sales"] / total if total > 0 else np.nan
    out["cumulative_share"] = out["sales"].cumsum() / total if total > 0 else np.nan

    out = out.merge(master, on="customer_id", how="left")
    if "name" not in out.columns:
        out["name"] = out["customer_id"]
    out["name"] = out["name"].where(out["name"].notna(), out["customer_id"]).astype("str")
    extra = [c for c in ("region", "segment") if c in out.columns]
    columns = [*METRIC_COLUMNS[:2], *extra, *METRIC_COLUMNS[2:]]
    for column in ("first_purchase", "last_purchase"):
        out[column] = out[column].astype("datetime64[ns]")
    return out[columns]


def _metrics_by_window(
    sales: pd.DataFrame,
    customers: pd.DataFrame | None,
    windows: Sequence[tuple[ComparisonWindow, pd.Timestamp]],
) -> list[pd.DataFrame]:
    """The metrics of each (window, recency date) from one pass over the lines."""
    if not windows:
        return []
    lines = _line_table(sales)
    has_cost, has_item, ids = lines.has_cost, lines.has_item, lines.customer_ids
    sql, params = _windows_sql(lines, [window for window, _ in windows])
    per_customer, counts, monthly = (_decoded(f, ids) for f in query(sql, {"lines": lines.table}, params))
    del lines
    per_customer = per_customer.set_index("customer_id")
    master = _customer_attributes(customers)
    results = []
    for k, (window, as_of) in enumerate(windows):
        found = per_customer[[f"{name}_{k}" for name in _AGGREGATES]]
        found.columns = list(_AGGREGATES)
        counted = counts[counts["slot"] == k].set_index("customer_id")[["frequency", "variety"]]
        results.append(
            _window_metrics(
                found.join(counted),
                monthly[monthly["slot"] == k],
                master,
                window=window,
                as_of=as_of,
                has_cost=has_cost,
                has_item=has_item,
            )
        )
    return results


def customer_metrics_by_window(
    sales: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    windows: Sequence[ComparisonWindow],
) -> list[pd.DataFrame]:
    """:func:`customer_metrics` of several windows in one pass over the invoice lines.

    The screening compares this period with the previous one (the window shifted back a year):
    both from one scan and one grouping of the lines, rather than one per period, which on
    millions of lines is most of the metrics' time. Each result is exactly what
    :func:`customer_metrics` gives for that window alone (amounts are summed exactly).

    Parameters
    ----------
    sales : pandas.DataFrame
        The invoice lines (columns as for :func:`customer_metrics`).
    customers : pandas.DataFrame, optional
        The customer master (as for :func:`customer_metrics`).
    windows : sequence of ComparisonWindow
        The windows to measure, e.g. ``[window, window.shifted(1)]``.

    Returns
    -------
    list of pandas.DataFrame
        One frame per window, in the order of ``windows``, each with the columns of
        :func:`customer_metrics` (recency measured to that window's end).
    """
    require_input(sales, ["invoice_date", "customer_id", "net_sales"], "sales")
    return _metrics_by_window(sales, customers, [(window, window.current_end) for window in windows])


def period_measures(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    windows: Sequence[ComparisonWindow],
    settings: ScreeningSettings,
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Each window's customer metrics and payment behaviour, as :func:`screen_client` scores them.

    The metrics of every window come from one pass over the invoice lines
    (:func:`customer_metrics_by_window`), the payments from one reading of the receivables
    (:func:`~kamtools.stages.screening.payments.period_payments`), on a thread of its own: the
    metrics' grouping runs in DuckDB and their single-threaded steps release the GIL (Arrow,
    NumPy), so on two cores the receivables are read while the lines are grouped.

    Parameters
    ----------
    tables : mapping
        Contract tables by name: "sales" (required), "customers", "receivables" (optional).
    windows : sequence of ComparisonWindow
        The windows screened, e.g. ``[window, window.shifted(1)]``.
    settings : ScreeningSettings
        Rules (the payments' grace days).

    Returns
    -------
    list of (pandas.DataFrame, pandas.DataFrame)
        Per window, in order: :func:`customer_metrics` and :func:`payment_behaviour` frames.
    """
    sales = screening_sales(tables)
    payments = in_background(period_payments, tables, windows=windows, settings=settings)
    try:
        metrics = customer_metrics_by_window(sales, customers=tables.get("customers"), windows=windows)
    finally:
        wait([payments])  # no thread outlives this call, even when the metrics fail
    return list(zip(metrics, payments.result(), strict=True))


def screening_sales(tables: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """The sales table of ``tables``; a clear error when there is none."""
    sales = tables.get("sales")
    if sales is None:
        raise ScreeningInputError("screening needs the sales table")
    return sales


def customer_metrics(
    sales: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    window: ComparisonWindow,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Sales, profit and purchase-history metrics per customer for a comparison window.

    A *purchase* is a sales line with positive ``net_sales``; credit notes (negative lines) count
    in the sales amounts but not as purchases, so a customer with only credit notes has negative
    sales, no purchases and no error. Only lines dated up to the window's end are used, so the
    previous period can be screened with the same data.

    Parameters
    ----------
    sales : pandas.DataFrame
        Columns ``invoice_date``, ``customer_id``, ``net_sales``; optional ``cost`` (without it
        gross profit and margin are NaN), ``invoice_id`` (orders counted as distinct invoices,
        else distinct invoice dates), ``category`` or ``product`` (variety).
    customers : pandas.DataFrame, optional
        The customer master: ``customer_id``, ``name`` and optionally ``region``, ``segment``.
        Its customers without any sales in either window are included with status "inactive".
    window : ComparisonWindow
        The current and previous windows (see :func:`kamtools.periods.comparison_window`).
    as_of : pandas.Timestamp, optional
        Date recency is measured to (not before the window's end); defaults to the window's end.

    Returns
    -------
    pandas.DataFrame
        One row per customer with a sales line in either window (or in the master), sorted by
        sales (largest first, then ``customer_id``), columns:

        customer_id, name (the id when the master has none), region and segment (when the
        master has them), status ("new": first purchase ever is in the current window;
        "active": bought in the current window and before; "lost": bought in the previous
        window but not the current; "inactive": neither), sales, sales_share (of total sales),
        cumulative_share (Pareto: running share of total sales down the ranking), gross_profit,
        margin_pct (gross profit / sales, fraction; NaN without cost or positive sales),
        previous_sales, previous_gross_profit, growth_pct (fraction; NaN when previous sales
        are not positive), first_purchase, last_purchase (purchases up to the window's end),
        recency_days (from the last purchase to ``as_of``), frequency (orders in the current
        window), variety (distinct categories, else products, bought in the current window;
        NaN when the data have neither), avg_order_size (sales / frequency), trend (monthly
        slope of sales over the current window as a fraction of mean monthly sales; NaN with
        fewer than three months).
    """
    require_input(sales, ["invoice_date", "customer_id", "net_sales"], "sales")
    as_of = window.current_end if as_of is None else pd.Timestamp(as_of).normalize()
    return _metrics_by_window(sales, customers, [(window, as_of)])[0]


# --------------------------------------------------------------------------------------------
# Qualitative scores


def qualitative_scores(
    assessments: pd.DataFrame | None, *, indicators: Sequence[str] | None = None
) -> pd.DataFrame:
    """Mean workshop score per customer and indicator, wide, with the mean over indicators.

    Parameters
    ----------
    assessments : pandas.DataFrame or None
        Columns ``customer_id``, ``indicator``, ``score`` (1 to 5). None or empty gives an
        empty frame with the output columns.
    indicators : sequence of str, optional
        Indicators to keep, in this order (an indicator nobody scored is an all-NaN column);
        default all, sorted.

    Returns
    -------
    pandas.DataFrame
        customer_id, one column per indicator (mean score of the customer on it), and
        qualitative_mean (mean of the customer's indicator means), sorted by customer_id.

    Raises
    ------
    ScreeningInputError
        A score is outside 1 to 5.
    """
    wanted = list(indicators) if indicators is not None else []
    if assessments is None or len(assessments) == 0:
        columns = ["customer_id", *wanted, "qualitative_mean"]
        frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        return frame.astype({"customer_id": "str"})
    require_input(assessments, ["customer_id", "indicator", "score"], "assessments")
    scores = pd.to_numeric(assessments["score"], errors="coerce").astype("float64")
    bad = assessments.loc[scores.notna() & ~scores.between(1, 5), "score"]
    if len(bad):
        raise ScreeningInputError(
            f"assessments: scores must be from 1 to 5, found {sorted(set(bad.tolist()))[:5]}"
        )
    long = pd.DataFrame(
        {
            "customer_id": assessments["customer_id"].astype("str"),
            "indicator": assessments["indicator"].astype("str"),
            "score": scores,
        }
    )
    if indicators is not None:
        long = long[long["indicator"].isin(wanted)]
    wide = long.pivot_table(index="customer_id", columns="indicator", values="score", aggfunc="mean")
    wide = wide.reindex(columns=wanted if indicators is not None else sorted(wide.columns))
    wide["qualitative_mean"] = wide.mean(axis=1)
    wide = wide[wide["qualitative_mean"].notna()]
    wide.columns.name = None
    out = wide.reset_index()
    out["customer_id"] = out["customer_id"].astype("str")
    return out
