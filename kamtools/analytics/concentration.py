"""Concentration of a customer base: Pareto table and share, Gini, whale curve, ABC classes.

Generic analytics used by several stages and the portfolio view: they take a frame with one row
per customer (``customer_id`` and the value column; a ``status`` column, when present, keeps the
buying customers, see :data:`kamtools.analytics.BUYING_STATUSES`) and never change it. Customer
metrics are such a frame; :func:`customer_sales` makes the sales-only one from the invoice lines.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from kamtools.analytics import customer_status, is_buying
from kamtools.contract import require_columns
from kamtools.engine import exact_decimal, query, sales_lines
from kamtools.periods import ComparisonWindow

# --------------------------------------------------------------------------------------------
# The per-customer input of the measures, from the invoice lines

# Only what concentration needs: sales per customer in the current window, and whether it
# bought there (its status). One pass in DuckDB (kamtools.engine) over Arrow views of three
# columns; sums exact to a millionth, as customer metrics sum them, so both give equal sales.
_CUSTOMER_SALES_SQL = """
WITH flagged AS (
    SELECT customer_id, CAST(ts AS DATE) AS day, amount,
           CAST(ts AS DATE) BETWEEN $current_start AND $current_end AS cur,
           CAST(ts AS DATE) BETWEEN $previous_start AND $previous_end AS prev
    FROM lines WHERE CAST(ts AS DATE) <= $current_end
)
SELECT customer_id,
       CAST(coalesce(sum(CAST(amount AS {exact})) FILTER (cur), 0) AS DOUBLE) AS sales,
       min(day) FILTER (amount > 0) AS first_purchase,
       coalesce(bool_or(cur AND amount > 0), false) AS bought_now,
       coalesce(bool_or(prev AND amount > 0), false) AS bought_before
FROM flagged GROUP BY customer_id HAVING bool_or(cur OR prev)
"""


def customer_sales(sales: pd.DataFrame, *, window: ComparisonWindow) -> pd.DataFrame:
    """Sales per customer in the current window, with its status: what concentration measures need.

    The same customers, sales and statuses as
    :func:`~kamtools.stages.screening.customer_metrics` without a customer master, at a
    fraction of its work (no orders, items, profit or trend), for :func:`pareto_table`,
    :func:`abc_classes` and the others when only sales are analysed.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``invoice_date``, ``customer_id``, ``net_sales`` (credit notes
        negative); other columns are ignored. Lines after the window's end are not used.
    window : ComparisonWindow
        The current and previous windows (see :func:`kamtools.periods.comparison_window`).

    Returns
    -------
    pandas.DataFrame
        One row per customer with a line in either window, largest sales first (then by
        ``customer_id``): customer_id, status ("new", "active", "lost" or "inactive", see
        :func:`kamtools.analytics.customer_status`), sales (net sales in the current window).
    """
    require_columns(sales, ["invoice_date", "customer_id", "net_sales"], "sales")
    lines = pa.table(sales_lines(sales))
    exact = exact_decimal(sales["net_sales"].astype("float64"))
    params = {
        "current_start": window.current_start,
        "current_end": window.current_end,
        "previous_start": window.previous_start,
        "previous_end": window.previous_end,
    }
    found = query(_CUSTOMER_SALES_SQL.format(exact=exact), {"lines": lines}, params)
    status = customer_status(
        bought_now=found["bought_now"].to_numpy(dtype=bool),
        bought_before=found["bought_before"].to_numpy(dtype=bool),
        first_purchase=found["first_purchase"].astype("datetime64[ns]"),
        current_start=window.current_start,
    )
    out = pd.DataFrame(
        {
            "customer_id": found["customer_id"].astype("str"),
            "status": status,
            "sales": found["sales"].astype("float64"),
        }
    )
    return out.sort_values(
        ["sales", "customer_id"], ascending=[False, True], kind="stable", ignore_index=True
    )


# --------------------------------------------------------------------------------------------
# Concentration


def _population(metrics: pd.DataFrame, value: str) -> pd.DataFrame:
    require_columns(metrics, ["customer_id", value], "metrics")
    frame = metrics[metrics[value].notna()]
    if "status" in frame.columns:
        frame = frame[is_buying(frame)]
    return frame


def pareto_table(metrics: pd.DataFrame, *, value: str = "sales") -> pd.DataFrame:
    """Pareto table: running share of ``value`` against the share of customers.

    Customers that bought in the current window are ranked by ``value``, largest first (ties
    by id). With negative values (credit notes, loss-making customers) the running share can
    rise above 1 and fall back to 1.

    Parameters
    ----------
    metrics : pandas.DataFrame
        ``customer_id``, ``value`` column and, when present, ``status``, ``name``.
    value : str
        Column to rank and accumulate, e.g. "sales" or "gross_profit".

    Returns
    -------
    pandas.DataFrame
        rank, customer_id, name (when present), ``value``, customer_share (rank / customers),
        cumulative_value, cumulative_share (cumulative_value / total; NaN if the total is not
        positive).
    """
    frame = _population(metrics, value)
    frame = frame.sort_values(
        [value, "customer_id"], ascending=[False, True], kind="stable", ignore_index=True
    )
    keep = ["customer_id", *(["name"] if "name" in frame.columns else []), value]
    out = frame[keep].copy()
    n = len(out)
    out.insert(0, "rank", np.arange(1, n + 1, dtype="int64"))
    out["customer_share"] = out["rank"] / n if n else pd.Series(dtype="float64")
    out["cumulative_value"] = out[value].cumsum().astype("float64")
    total = out[value].sum()
    out["cumulative_share"] = out["cumulative_value"] / total if total > 0 else np.nan
    return out


def pareto_share(metrics: pd.DataFrame, *, value: str = "sales", target: float = 0.8) -> float:
    """Smallest share of (buying) customers that makes ``target`` of the total ``value``.

    E.g. 0.12 means 12 % of the customers make 80 % of the sales. NaN when the total is not
    positive.
    """
    table = pareto_table(metrics, value=value)
    reached = table[table["cumulative_share"] >= target - 1e-12]
    return float(reached["customer_share"].iloc[0]) if len(reached) else float("nan")


def gini(values: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Gini coefficient of concentration: 0 when all values are equal, near 1 when one has all.

    Computed as ``sum((2i - n - 1) x_i) / (n sum(x))`` over the values sorted ascending
    (i = 1..n), so its maximum is ``(n - 1) / n``. NaN values are ignored.

    Warns
    -----
    UserWarning
        Negative values (clipped to 0), or no positive total (returns NaN).
    """
    x = np.asarray(pd.Series(values, dtype="float64").dropna(), dtype="float64")
    if (x < 0).any():
        warnings.warn("gini: negative values clipped to 0", UserWarning, stacklevel=2)
        x = np.clip(x, 0, None)
    if len(x) == 0 or x.sum() <= 0:
        warnings.warn("gini: no positive values, concentration undefined", UserWarning, stacklevel=2)
        return float("nan")
    x = np.sort(x)
    n = len(x)
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * x.sum()))


def whale_curve(metrics: pd.DataFrame, *, value: str = "gross_profit") -> pd.DataFrame:
    """Whale curve: cumulative profit of customers ranked from most to least profitable.

    The curve climbs above 100 % of total profit, peaks where the profitable customers end and
    falls back to 100 % as loss-making customers destroy part of it. The height of the peak
    over 100 % is the profit the unprofitable customers cost.

    Parameters
    ----------
    metrics : pandas.DataFrame
        ``customer_id``, ``value`` and optionally ``status``, ``name``.
    value : str
        "gross_profit" or, with cost to serve, "contribution".

    Returns
    -------
    pandas.DataFrame
        The :func:`pareto_table` of ``value`` plus ``is_peak`` (True on the first row where
        the cumulative value is highest). Empty, with a warning, when ``value`` is unknown
        for every customer (no cost data).
    """
    if value not in metrics.columns or metrics[value].notna().sum() == 0:
        warnings.warn(f"whale curve: no {value} available (cost missing?)", UserWarning, stacklevel=2)
        empty = pareto_table(metrics.assign(**{value: np.nan}).iloc[0:0], value=value)
        return empty.assign(is_peak=pd.Series(dtype="bool"))
    out = pareto_table(metrics, value=value)
    peak = int(np.argmax(out["cumulative_value"].to_numpy())) if len(out) else -1
    out["is_peak"] = np.arange(len(out)) == peak
    return out


def abc_classes(
    metrics: pd.DataFrame,
    *,
    value: str = "sales",
    cuts: tuple[float, float] = (0.8, 0.95),
    method: str = "fixed",
) -> pd.DataFrame:
    """ABC classes of customers by ``value``, with fixed or computed limits.

    With ``method="fixed"`` a customer is A when the customers ranked before it make less than
    ``cuts[0]`` of the total (so the customer crossing 80 % is still A), B below ``cuts[1]``,
    else C: the classic 80/15/5 split. With ``method="computed"`` the limits come from
    :func:`computed_abc`. Customers with equal values share the better class; customers
    without a positive value (or not buying) are C.

    Returns
    -------
    pandas.DataFrame
        customer_id, ``value``, cumulative_share, abc ("A", "B" or "C"); all rows of
        ``metrics``, largest value first.
    """
    if not 0 < cuts[0] < cuts[1] <= 1:
        raise ValueError(f"cuts must satisfy 0 < A-cut < B-cut <= 1, got {cuts}")
    require_columns(metrics, ["customer_id", value], "metrics")
    frame = metrics[["customer_id", value, *(["status"] if "status" in metrics.columns else [])]]
    frame = frame.sort_values(
        [value, "customer_id"], ascending=[False, True], kind="stable", ignore_index=True
    )
    counted = frame[value].notna() & (frame[value] > 0)
    if "status" in frame.columns:
        counted &= is_buying(frame)
    amounts = frame[value].where(counted, 0.0).astype("float64")
    total = amounts.sum()
    cumulative = amounts.cumsum() / total if total > 0 else pd.Series(np.nan, index=frame.index)
    if method == "fixed":
        before = cumulative - amounts / total if total > 0 else cumulative
        labels = np.select([before < cuts[0], before < cuts[1]], ["A", "B"], default="C")
    elif method == "computed":
        labels = computed_abc(amounts[counted]).classes.reindex(frame.index, fill_value="C").to_numpy()
    else:
        raise ValueError(f"method must be 'fixed' or 'computed', got {method!r}")
    abc = pd.Series(labels, index=frame.index, dtype="str").where(counted, "C")
    abc = abc.groupby(frame[value].where(counted, -np.inf)).transform("min")
    return pd.DataFrame(
        {"customer_id": frame["customer_id"], value: frame[value], "cumulative_share": cumulative, "abc": abc}
    )


@dataclass(frozen=True)
class ComputedABC:
    """Result of :func:`computed_abc`.

    Attributes
    ----------
    classes : pandas.Series
        "A", "B" or "C" per input value (same index; NaN inputs give NaN).
    curve : pandas.DataFrame
        The ABC curve: ``effort`` (share of items, 0..1) and ``yield`` (share of the sum).
    pareto_point, break_even_point, submarginal_point : tuple of float
        (effort, yield) of the three points of the method.
    ab_limit, bc_limit : tuple of float
        (effort, yield) of the A/B and B/C limits.
    ab_exchanged : bool
        True when the break-even point lies before the Pareto point and so limits A.
    """

    classes: pd.Series
    curve: pd.DataFrame
    pareto_point: tuple[float, float]
    break_even_point: tuple[float, float]
    submarginal_point: tuple[float, float]
    ab_limit: tuple[float, float]
    bc_limit: tuple[float, float]
    ab_exchanged: bool


def computed_abc(values: Sequence[float] | np.ndarray | pd.Series) -> ComputedABC:
    """Computed ABC analysis after Ultsch & Lötsch (2015), limits derived from the data.

    Ultsch A., Lötsch J. (2015) *Computed ABC analysis for rational selection of most
    informative variables in multivariate data*, PLoS ONE 10(6): e0129767.

    Sort the n non-negative values descending (x_1 >= ... >= x_n) and draw the ABC curve:
    effort p_k = k / n against yield ABC(p_k) = (x_1 + ... + x_k) / sum(x), for k = 0..n.
    The paper defines three points on it:

    * the **Pareto point**: the curve point nearest (Euclidean) to the ideal point (0, 1),
      where all the yield would come at no effort;
    * the **break-even point**: where the slope dABC/dp equals 1, i.e. one more unit of effort
      brings exactly one unit of yield. On the empirical curve the slope of the segment that
      adds item k is n x_k / sum(x) = x_k / mean(x), so the break-even point is the end of the
      segment whose item value is nearest to the mean (ties: the later one, as in the
      authors' R package ABCanalysis);
    * the **submarginal point**: the curve point nearest to (B_x, 1), where B_x is the effort
      of the break-even point; beyond it extra effort brings only trivial yield.

    The A/B limit is the Pareto point, unless the break-even point comes first (smaller
    effort); then the two exchange roles: the break-even point limits A and the Pareto
    point's effort is B_x. The B/C limit is the submarginal point. Items up to the A/B limit
    are A ("the important few"), up to the B/C limit B (yield about equal to effort), the rest
    C ("the trivial many"). Equal values share the better class. Unlike the R package, which
    interpolates the curve with splines, this works on the exact empirical curve; with a
    handful of values the two differ by at most one item around a limit.

    Parameters
    ----------
    values : array-like
        Values to classify, e.g. sales per customer. NaN values get no class; negative values
        are clipped to 0 with a warning.

    Returns
    -------
    ComputedABC

    Warns
    -----
    UserWarning
        Fewer than three positive values: the fixed 80/95 % cut is used instead.
    """
    series = pd.Series(values, dtype="float64")
    if not isinstance(values, pd.Series):
        series = series.reset_index(drop=True)
    valid = series.dropna()
    if (valid < 0).any():
        warnings.warn("computed ABC: negative values clipped to 0", UserWarning, stacklevel=2)
        valid = valid.clip(lower=0)
    n = len(valid)
    order = np.lexsort((np.arange(n), -valid.to_numpy()))
    x = valid.to_numpy()[order]
    total = x.sum()
    nan_point = (float("nan"), float("nan"))
    if (x > 0).sum() < 3:
        warnings.warn(
            "computed ABC needs at least three positive values; using the fixed 80/95 % cut",
            UserWarning,
            stacklevel=2,
        )
        before = (np.cumsum(x) - x) / total if total > 0 else np.ones(n)
        sorted_labels = np.select([before < 0.8, before < 0.95], ["A", "B"], default="C")
        sorted_labels = np.where(x > 0, sorted_labels, "C")
        labels = pd.Series(sorted_labels, index=valid.index[order], dtype="str")
        curve = pd.DataFrame(
            {
                "effort": np.arange(n + 1) / max(n, 1),
                "yield": np.r_[0, np.cumsum(x) / total] if total > 0 else np.zeros(n + 1),
            }
        )
        return ComputedABC(
            classes=labels.groupby(valid[labels.index]).transform("min").reindex(series.index),
            curve=curve,
            pareto_point=nan_point,
            break_even_point=nan_point,
            submarginal_point=nan_point,
            ab_limit=nan_point,
            bc_limit=nan_point,
            ab_exchanged=False,
        )
    effort = np.arange(n + 1) / n
    yields = np.r_[0.0, np.cumsum(x) / total]
    k_pareto = int(np.argmin(np.hypot(effort, 1 - yields)))
    gap = np.abs(x / x.mean() - 1)
    k_break = int(np.flatnonzero(gap == gap.min())[-1]) + 1
    if effort[k_break] < effort[k_pareto]:
        exchanged, k_a, b_x = True, k_break, effort[k_pareto]
    else:
        exchanged, k_a, b_x = False, k_pareto, effort[k_break]
    k_c = max(int(np.argmin(np.hypot(effort - b_x, 1 - yields))), k_a)
    position = np.arange(1, n + 1)
    sorted_labels = np.select([position <= k_a, position <= k_c], ["A", "B"], default="C")
    sorted_labels = np.where(x > 0, sorted_labels, "C")
    labels = pd.Series(sorted_labels, index=valid.index[order], dtype="str")
    labels = labels.groupby(pd.Series(x, index=labels.index)).transform("min")

    def point(k: int) -> tuple[float, float]:
        return float(effort[k]), float(yields[k])

    return ComputedABC(
        classes=labels.reindex(series.index),
        curve=pd.DataFrame({"effort": effort, "yield": yields}),
        pareto_point=point(k_pareto),
        break_even_point=point(k_break),
        submarginal_point=point(k_c),
        ab_limit=point(k_a),
        bc_limit=point(k_c),
        ab_exchanged=exchanged,
    )
