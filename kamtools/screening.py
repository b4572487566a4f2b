"""Stage 1, screening: which customers are the dealer's key accounts, and which could become one.

Key accounts are screened on several criteria at once, not on sales alone: a big customer with a
thin margin, or one that pays months late, is not what the dealer needs, while a small customer
that grows fast or has a well-run business can grow into a key account. The criteria are

* sales and sales share (Pareto),
* gross profit and margin (or contribution after cost to serve, when known),
* financial reputation: payment behaviour from the receivables,
* management maturity: workshop scores from the assessments,
* purchase history: frequency, recency, variety of what is bought and the monthly trend,
* growth against the previous period.

Each criterion is turned into a percentile rank among the customers that bought in the current
window (robust to a few huge customers), and the weighted ranks give a composite score from 0 to
100. Gates exclude customers from the key list whatever their score (loss-making, paying very
late); every exclusion and every tier comes with a readable reason. Rules are data:
:class:`ScreeningSettings` holds every threshold with an overridable default.

The functions are pure: they return new frames and never change the frames they receive. The
main flow is::

    window = comparison_window(sales["invoice_date"], current=2026, previous=2025, start_month=4)
    metrics = customer_metrics(sales, customers=customers, window=window)
    payments = payment_behaviour(receivables, as_of=window.current_end, customers=customers)
    scored = score_customers(metrics, settings=settings, window=window, payments=payments)

or :func:`screen_period`, which does the four steps for one period, and :func:`screen_client`,
which screens this period and the previous one, compares them, tests the weights, applies the
workshop's overrides and returns a :class:`ScreeningResult` with the report's sentences and tables.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from kamtools.periods import ComparisonWindow, comparison_window
from kamtools.tables import money_text, percent_text

__all__ = [
    "ACCOUNT_MANAGER_ROLES",
    "BUYING_STATUSES",
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "GATES",
    "GROWTH_SIGNALS",
    "METRIC_COLUMNS",
    "PAYMENT_COLUMNS",
    "TIERS",
    "ComputedABC",
    "OverrideError",
    "PeriodScreening",
    "ScreeningError",
    "ScreeningInputError",
    "ScreeningResult",
    "ScreeningSettings",
    "SettingsError",
    "abc_classes",
    "apply_overrides",
    "capacity_warning",
    "computed_abc",
    "customer_metrics",
    "effective_weights",
    "gini",
    "key_account_count",
    "key_account_retention",
    "migration_warning",
    "movers",
    "pareto_share",
    "pareto_table",
    "payment_behaviour",
    "payment_data_available",
    "qualitative_scores",
    "score_customers",
    "screen_client",
    "screen_period",
    "team_capacity",
    "tier_transitions",
    "weight_sensitivity",
    "whale_curve",
]


# --------------------------------------------------------------------------------------------
# Errors


class ScreeningError(ValueError):
    """Base class of the errors raised by the screening functions."""


class ScreeningInputError(ScreeningError):
    """An input frame lacks a column the screening needs, or holds values it cannot use."""


class SettingsError(ScreeningError):
    """A screening setting is unknown or out of range."""


class OverrideError(ScreeningError):
    """The workshop's overrides cannot be applied (too many, unknown customer or tier)."""


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ScreeningInputError(
            f"{table}: missing column(s) {', '.join(repr(c) for c in missing)};"
            f" it has {', '.join(repr(c) for c in frame.columns) or 'no columns'}"
        )


# --------------------------------------------------------------------------------------------
# Vocabulary: statuses, tiers, criteria

BUYING_STATUSES: tuple[str, ...] = ("active", "new")
"""Statuses of customers that bought in the current window; only these are scored."""

TIERS: tuple[str, ...] = ("key", "growth", "maintain", "review", "inactive")
"""The screening tiers, most important first.

key: the key accounts. growth: not key yet, but growing fast, with wallet headroom or strong
workshop scores. maintain: the rest of the active customers. review: excluded by a gate
(loss-making, paying late, over the credit limit). inactive: no purchase in the current window.
"""

CRITERIA: tuple[str, ...] = (
    "sales",
    "gross_profit",
    "margin",
    "payment",
    "growth",
    "purchase_history",
    "management",
)
"""The screening criteria; each gets a ``score_<criterion>`` column from 0 to 1."""

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "sales": 0.30,
    "gross_profit": 0.25,
    "margin": 0.10,
    "payment": 0.10,
    "growth": 0.05,
    "purchase_history": 0.10,
    "management": 0.10,
}
"""Default weight of each criterion in the composite score (they sum to 1)."""

ACCOUNT_MANAGER_ROLES: tuple[str, ...] = ("account manager", "key account manager")
"""Roles of the team table that count as account managers for :func:`team_capacity`."""

METRIC_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "name",
    "status",
    "sales",
    "sales_share",
    "cumulative_share",
    "gross_profit",
    "margin_pct",
    "previous_sales",
    "previous_gross_profit",
    "growth_pct",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "frequency",
    "variety",
    "avg_order_size",
    "trend",
)

PAYMENT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "invoices",
    "paid_invoices",
    "avg_days_late",
    "late_share",
    "open_amount",
    "open_overdue_amount",
    "credit_use",
)


# --------------------------------------------------------------------------------------------
# Settings


def _default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)


@dataclass(frozen=True)
class ScreeningSettings:
    """Every rule of the screening as data, each with a default a client can override.

    Read them from the ``screening:`` section of ``client.yml`` with :meth:`from_mapping`;
    fractions are written as fractions (0.3 = 30 %).

    Attributes
    ----------
    weights : mapping of str to float
        Weight of each criterion of :data:`CRITERIA` in the composite score; a partial mapping
        in :meth:`from_mapping` overrides only the criteria it names. Set one to 0 to ignore it.
    min_margin_pct : float or None
        Gate: customers with a lower gross margin are not key (default 0: loss-making excluded).
    min_contribution : float or None
        Gate: customers whose gross profit minus cost to serve is below this are not key.
    max_avg_days_late : float or None
        Gate: amount-weighted average days paid after the due date (default 30: chronic
        late payment, not a few days' slack).
    max_late_share : float or None
        Gate: share of invoices paid (or still open) later than due date plus grace days.
        Off by default: on its own it cannot tell six days late from sixty; the payment
        criterion of the score still counts it.
    max_credit_use : float or None
        Gate: open amount over credit limit (None: no gate).
    min_payment_invoices : int
        Payment gates apply only to customers with at least this many invoices judged.
    grace_days : int
        Days after the due date that still count as paid on time.
    key_accounts : int or None
        Number of key accounts; None derives it from ``key_share`` of the active customers,
        bounded by ``key_min`` and ``key_max``.
    key_share, key_min, key_max : float, int, int
        See ``key_accounts``.
    growth_min_growth_pct : float
        Growth tier: sales growth against the previous window of at least this ...
    growth_sales_floor_quantile : float
        ... for customers whose sales are at least this quantile of the active customers'
        (so a tiny customer doubling is not a growth account). The same floor applies to the
        wallet of the headroom rule.
    growth_min_headroom_share : float
        Growth tier: share of the customer's wallet (market table) still bought elsewhere.
    growth_min_qualitative : float
        Growth tier: mean workshop score (1 to 5) of at least this.
    qualitative_indicators : tuple of str or None
        Workshop indicators averaged into the management criterion; None: all of them.
    cost_driver_rates : mapping of str to float
        Cost per driver unit (orders, deliveries, visits, returns) to estimate cost to serve
        when the cost_to_serve table gives drivers but no ``cost_amount``.
    manager_load : int
        Key accounts one account manager can serve.
    max_overrides : int
        Most overrides a workshop may make to the screened tiers.
    migration_warning_share : float
        Warn when more than this share of key accounts entered or left the list.
    key_retention_band : float
        Last period's key accounts stay key while they rank within the key count plus this
        share (default 0.25: the 35 key places of last year are defended down to rank 44),
        displacing the lowest-ranked newcomers. A key account relationship is an investment;
        a screen that swaps accounts over a point of score is not trusted. 0 turns it off.
    """

    weights: Mapping[str, float] = field(default_factory=_default_weights)
    min_margin_pct: float | None = 0.0
    min_contribution: float | None = 0.0
    max_avg_days_late: float | None = 30.0
    max_late_share: float | None = None
    max_credit_use: float | None = None
    min_payment_invoices: int = 3
    grace_days: int = 5
    key_accounts: int | None = None
    key_share: float = 0.02
    key_min: int = 10
    key_max: int = 60
    growth_min_growth_pct: float = 0.30
    growth_sales_floor_quantile: float = 0.5
    growth_min_headroom_share: float = 0.5
    growth_min_qualitative: float = 4.0
    qualitative_indicators: tuple[str, ...] | None = None
    cost_driver_rates: Mapping[str, float] = field(default_factory=dict)
    manager_load: int = 9
    max_overrides: int = 10
    migration_warning_share: float = 0.30
    key_retention_band: float = 0.25

    def __post_init__(self) -> None:
        weights = dict(self.weights)
        unknown = sorted(set(weights) - set(CRITERIA))
        if unknown:
            raise SettingsError(
                f"unknown screening weight(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(CRITERIA)}"
            )
        for name, value in weights.items():
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise SettingsError(f"weight {name!r} must be a number >= 0, got {value!r}")
        if sum(weights.values()) <= 0:
            raise SettingsError("at least one screening weight must be above 0")
        object.__setattr__(self, "weights", {c: float(weights.get(c, 0.0)) for c in CRITERIA})
        object.__setattr__(self, "cost_driver_rates", dict(self.cost_driver_rates))
        if self.qualitative_indicators is not None:
            indicators = self.qualitative_indicators
            if isinstance(indicators, str):
                indicators = (indicators,)
            object.__setattr__(self, "qualitative_indicators", tuple(indicators))
        checks = [
            ("key_share", 0 < self.key_share <= 1, "a fraction above 0 and at most 1"),
            ("key_min", self.key_min >= 1, "at least 1"),
            ("key_max", self.key_max >= self.key_min, "at least key_min"),
            ("key_accounts", self.key_accounts is None or self.key_accounts >= 1, "None or at least 1"),
            ("growth_sales_floor_quantile", 0 <= self.growth_sales_floor_quantile <= 1, "from 0 to 1"),
            ("min_payment_invoices", self.min_payment_invoices >= 1, "at least 1"),
            ("grace_days", self.grace_days >= 0, "at least 0"),
            ("manager_load", self.manager_load >= 1, "at least 1"),
            ("max_overrides", self.max_overrides >= 0, "at least 0"),
            ("migration_warning_share", 0 < self.migration_warning_share <= 1, "from 0 to 1"),
            ("key_retention_band", 0 <= self.key_retention_band <= 1, "from 0 to 1"),
        ]
        for name, ok, rule in checks:
            if not ok:
                raise SettingsError(f"screening setting {name!r} must be {rule}, got {getattr(self, name)!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ScreeningSettings:
        """Settings from a plain mapping (the ``screening:`` section of ``client.yml``).

        Missing keys keep their default; ``weights`` may name only the criteria it changes.

        Raises
        ------
        SettingsError
            A key (or weight) is unknown; the message names it and lists the allowed ones.
        """
        if not mapping:
            return cls()
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(str(k) for k in mapping if k not in allowed)
        if unknown:
            raise SettingsError(
                f"unknown screening setting(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}"
            )
        values = dict(mapping)
        if "weights" in values:
            given = values["weights"] or {}
            if not isinstance(given, Mapping):
                raise SettingsError(
                    f"screening 'weights' must be a mapping of criterion to weight, got {given!r}"
                )
            values["weights"] = {**DEFAULT_WEIGHTS, **given}
        if values.get("qualitative_indicators") is not None:
            values["qualitative_indicators"] = tuple(values["qualitative_indicators"])
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain data (YAML-friendly: dicts, lists, numbers)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @property
    def normalised_weights(self) -> dict[str, float]:
        """The positive weights scaled to sum to 1."""
        total = sum(self.weights.values())
        return {c: w / total for c, w in self.weights.items() if w > 0}


def key_account_count(active_customers: int, *, settings: ScreeningSettings) -> int:
    """How many key accounts to select among ``active_customers`` buying customers.

    ``settings.key_accounts`` when set; otherwise ``key_share`` of the active customers rounded,
    bounded by ``key_min`` and ``key_max``; never more than the active customers.
    """
    if active_customers <= 0:
        return 0
    if settings.key_accounts is not None:
        wanted = settings.key_accounts
    else:
        wanted = min(max(round(settings.key_share * active_customers), settings.key_min), settings.key_max)
    return int(min(wanted, active_customers))


# --------------------------------------------------------------------------------------------
# Customer metrics


def _customer_attributes(customers: pd.DataFrame | None) -> pd.DataFrame:
    if customers is None:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "name": pd.Series(dtype="str")})
    _require(customers, ["customer_id"], "customers")
    keep = [c for c in ("customer_id", "name", "region", "segment") if c in customers.columns]
    attrs = customers[keep].drop_duplicates("customer_id")
    return attrs.assign(customer_id=attrs["customer_id"].astype("str"))


def _monthly_trend(lines: pd.DataFrame, window: ComparisonWindow) -> pd.Series:
    """Least-squares slope of monthly sales over the window, divided by mean monthly sales.

    A month only partly inside the window is scaled up to a full month, so a window ending
    mid-month does not show a false decline. Needs at least three months.
    """
    start, end = window.current_start, window.current_end
    months = pd.period_range(start, end, freq="M")
    if len(months) < 3 or lines.empty:
        return pd.Series(dtype="float64")
    coverage = np.array(
        [
            ((min(m.end_time.normalize(), end) - max(m.start_time, start)).days + 1) / m.days_in_month
            for m in months
        ]
    )
    index = lines["date"].dt.year * 12 + lines["date"].dt.month - (start.year * 12 + start.month)
    monthly = (
        lines.assign(month=index.to_numpy())
        .groupby(["customer_id", "month"])["amount"]
        .sum()
        .unstack(fill_value=0.0)
        .reindex(columns=range(len(months)), fill_value=0.0)
    )
    values = monthly.to_numpy(dtype="float64") / coverage
    t = np.arange(len(months), dtype="float64")
    t = t - t.mean()
    slope = values @ t / (t @ t)
    mean = values.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = np.where(mean > 0, slope / mean, np.nan)
    return pd.Series(trend, index=monthly.index, dtype="float64")


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
    _require(sales, ["invoice_date", "customer_id", "net_sales"], "sales")
    as_of = window.current_end if as_of is None else pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(sales["invoice_date"]).dt.normalize().astype("datetime64[ns]")
    amount = sales["net_sales"].astype("float64")
    has_cost = "cost" in sales.columns
    item_column = next((c for c in ("category", "product") if c in sales.columns), None)
    lines = pd.DataFrame(
        {
            "customer_id": sales["customer_id"].astype("str"),
            "date": dates,
            "amount": amount,
            "profit": amount - sales["cost"].astype("float64") if has_cost else np.nan,
            "order": sales["invoice_id"].astype("str") if "invoice_id" in sales.columns else dates,
            "item": sales[item_column] if item_column else np.nan,
        }
    )
    lines = lines[lines["date"] <= window.current_end]
    current = lines[lines["date"].between(window.current_start, window.current_end)]
    previous = lines[lines["date"].between(window.previous_start, window.previous_end)]
    bought = current[current["amount"] > 0]
    history = lines[lines["amount"] > 0]

    master = _customer_attributes(customers)
    ids = pd.Index(
        pd.concat([current["customer_id"], previous["customer_id"], master["customer_id"]]).unique(),
        name="customer_id",
    )
    cur = current.groupby("customer_id")
    prev = previous.groupby("customer_id")
    out = pd.DataFrame(index=ids)
    out["sales"] = cur["amount"].sum().reindex(ids, fill_value=0.0)
    out["previous_sales"] = prev["amount"].sum().reindex(ids, fill_value=0.0)
    # A line without cost makes the customer's gross profit unknown (NaN), not understated;
    # a customer without lines in a window made no profit there (0), when costs are known.
    no_lines = 0.0 if has_cost else np.nan
    out["gross_profit"] = cur["profit"].sum(min_count=1, skipna=False).reindex(ids, fill_value=no_lines)
    out["previous_gross_profit"] = (
        prev["profit"].sum(min_count=1, skipna=False).reindex(ids, fill_value=no_lines)
    )
    out["first_purchase"] = history.groupby("customer_id")["date"].min().reindex(ids)
    out["last_purchase"] = history.groupby("customer_id")["date"].max().reindex(ids)
    out["frequency"] = bought.groupby("customer_id")["order"].nunique().reindex(ids, fill_value=0)
    if item_column:
        variety = bought.groupby("customer_id")["item"].nunique().reindex(ids, fill_value=0)
        out["variety"] = variety.astype("float64")
    else:
        out["variety"] = np.nan
    out["trend"] = _monthly_trend(bought, window).reindex(ids)

    bought_now = ids.isin(bought["customer_id"].unique())
    bought_before = ids.isin(previous.loc[previous["amount"] > 0, "customer_id"].unique())
    first_now = (out["first_purchase"] >= window.current_start).to_numpy()
    status = np.select(
        [bought_now & first_now, bought_now, bought_before], ["new", "active", "lost"], default="inactive"
    )
    out["status"] = pd.Series(status, index=ids, dtype="str")

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


# --------------------------------------------------------------------------------------------
# Payment behaviour and qualitative scores


def _by_customer(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as float indexed by customer id (first row of a duplicated id)."""
    first = frame.drop_duplicates("customer_id")
    return pd.Series(
        first[column].astype("float64").to_numpy(), index=first["customer_id"].astype("str").to_numpy()
    )


def _empty_payments() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PAYMENT_COLUMNS})
    return frame.astype({"customer_id": "str", "invoices": "int64", "paid_invoices": "int64"})


def payment_behaviour(
    receivables: pd.DataFrame | None,
    *,
    as_of: pd.Timestamp,
    customers: pd.DataFrame | None = None,
    grace_days: int = 5,
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Financial reputation: how each customer pays, as known at ``as_of``.

    An invoice paid after ``as_of`` counts as open at ``as_of``, so last year can be screened
    with this year's receivables. Early payment counts as 0 days late (not as credit).

    Parameters
    ----------
    receivables : pandas.DataFrame or None
        Columns ``customer_id``, ``due_date``, ``amount``; optional ``paid_date`` (empty while
        open) and ``invoice_date``. None or empty gives an empty result (see
        :func:`payment_data_available`): the caller decides what "not available" means.
    as_of : pandas.Timestamp
        Date the behaviour is judged at (usually the end of the current window).
    customers : pandas.DataFrame, optional
        Customer master; its ``credit_limit`` gives ``credit_use``.
    grace_days : int
        Days after the due date still counted as on time for ``late_share``.
    since : pandas.Timestamp, optional
        Judge only invoices dated from this day (invoice date, else due date); open amounts
        always include older invoices.

    Returns
    -------
    pandas.DataFrame
        One row per customer of the receivables, sorted by id: customer_id, invoices (invoices
        judged: positive amounts due or paid by ``as_of``), paid_invoices, avg_days_late
        (amount-weighted days paid after due date, paid invoices), late_share (share of judged
        invoices paid, or still open, later than due date + ``grace_days``), open_amount (unpaid
        at ``as_of``), open_overdue_amount (unpaid and past due at ``as_of``), credit_use
        (open_amount / credit_limit; NaN without a positive limit).
    """
    if receivables is None or len(receivables) == 0:
        return _empty_payments()
    _require(receivables, ["customer_id", "due_date", "amount"], "receivables")
    as_of = pd.Timestamp(as_of).normalize()
    due = pd.to_datetime(receivables["due_date"]).dt.normalize()
    if "paid_date" in receivables.columns:
        paid_date = pd.to_datetime(receivables["paid_date"]).dt.normalize()
    else:
        paid_date = pd.Series(pd.NaT, index=receivables.index, dtype="datetime64[ns]")
    issued = (
        pd.to_datetime(receivables["invoice_date"]).dt.normalize() if "invoice_date" in receivables else due
    )
    issued = issued.fillna(due)
    amount = receivables["amount"].astype("float64")
    ids = receivables["customer_id"].astype("str")

    exists = issued <= as_of
    paid = paid_date.notna() & (paid_date <= as_of)
    grace = pd.Timedelta(days=grace_days)
    judged = exists & (amount > 0) & (paid | (due <= as_of))
    if since is not None:
        judged &= issued >= pd.Timestamp(since).normalize()
    late = (paid & (paid_date > due + grace)) | (~paid & (as_of > due + grace))
    days_late = (paid_date - due).dt.days.clip(lower=0).astype("float64")
    settled = judged & paid
    is_open = exists & ~paid

    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "judged": judged.astype("int64"),
            "paid": settled.astype("int64"),
            "late": (late & judged).astype("int64"),
            "weighted_days": (days_late * amount).where(settled, 0.0),
            "paid_amount": amount.where(settled, 0.0),
            "open": amount.where(is_open, 0.0),
            "overdue": amount.where(is_open & (due < as_of), 0.0),
        }
    )
    g = frame.groupby("customer_id").sum()
    out = pd.DataFrame(index=g.index)
    out["invoices"] = g["judged"].astype("int64")
    out["paid_invoices"] = g["paid"].astype("int64")
    out["avg_days_late"] = (g["weighted_days"] / g["paid_amount"]).where(g["paid_amount"] > 0)
    out["late_share"] = (g["late"] / g["judged"]).where(g["judged"] > 0)
    out["open_amount"] = g["open"]
    out["open_overdue_amount"] = g["overdue"]
    out["credit_use"] = np.nan
    if customers is not None and "credit_limit" in customers.columns:
        limit = _by_customer(customers, "credit_limit").reindex(out.index)
        out["credit_use"] = (out["open_amount"] / limit).where(limit > 0)
    out = out.reset_index()
    out["customer_id"] = out["customer_id"].astype("str")
    return out[list(PAYMENT_COLUMNS)]


def payment_data_available(payments: pd.DataFrame | None) -> bool:
    """Whether :func:`payment_behaviour` found any invoice to judge payment behaviour on."""
    return payments is not None and "invoices" in payments and int(payments["invoices"].sum()) > 0


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
    _require(assessments, ["customer_id", "indicator", "score"], "assessments")
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


# --------------------------------------------------------------------------------------------
# Scoring


def _percentile(values: pd.Series) -> pd.Series:
    """Percentile rank from 0 (lowest) to 1 (highest); ties share their average rank.

    A single value (or all values equal) scores 0.5. NaN stays NaN.
    """
    n = int(values.notna().sum())
    if n <= 1:
        return values.where(values.isna(), 0.5).astype("float64")
    return ((values.rank(method="average") - 1) / (n - 1)).astype("float64")


def size_score(values: pd.Series) -> pd.Series:
    """Size score from 0 to 1 that keeps the distance between large and very large customers.

    A percentile rank would give the dealer's largest customer (say 9% of sales) almost the same
    score as the fiftieth (0.4%), so breadth criteria would decide who is key. Here customers up
    to the median of the positive values are ranked (0 to 0.5) and those above it are placed on
    a log scale between the median and the largest value (0.5 to 1): each tenfold step in size
    above the median is worth the same. Zero or negative values score 0; NaN stays NaN.
    """
    positive = values.where(values > 0)
    if positive.notna().sum() == 0:
        return pd.Series(0.0, index=values.index).where(values.notna())
    median, largest = float(positive.median()), float(positive.max())
    rank = positive.rank(method="average")
    lower = 0.5 * rank / rank[positive <= median].max()
    if largest > median:
        upper = 0.5 + 0.5 * np.log(positive.clip(lower=median) / median) / np.log(largest / median)
        score = lower.where(positive <= median, upper)
    else:
        score = lower
    return score.fillna(0.0).where(values.notna()).astype("float64")


def _buying(metrics: pd.DataFrame) -> pd.Series:
    return metrics["status"].isin(BUYING_STATUSES)


def effective_weights(
    metrics: pd.DataFrame,
    *,
    settings: ScreeningSettings,
    payments: pd.DataFrame | None = None,
    qualitative: pd.DataFrame | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """The weights actually used, after dropping criteria the data cannot support.

    Margin and gross profit need costs, payment needs receivables, growth needs previous
    sales, management needs workshop scores of at least one buying customer. The weights of the
    remaining criteria are scaled to sum to 1.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`customer_metrics`.
    settings : ScreeningSettings
        The weights asked for.
    payments, qualitative : pandas.DataFrame, optional
        Outputs of :func:`payment_behaviour` and :func:`qualitative_scores`.

    Returns
    -------
    weights : dict
        Criterion to weight (sum 1), only criteria with a positive weight.
    dropped : dict
        Criterion with a positive setting but dropped, to the reason it was dropped.

    Raises
    ------
    SettingsError
        No criterion with a positive weight is left.
    """
    buying = metrics[_buying(metrics)]
    ids = buying["customer_id"]
    missing: dict[str, str] = {}
    if buying["gross_profit"].notna().sum() == 0:
        missing["gross_profit"] = "no cost in the sales data"
        missing["margin"] = "no cost in the sales data"
    if not payment_data_available(payments) or not ids.isin(payments["customer_id"]).any():
        missing["payment"] = "no receivables to judge payment behaviour"
    if not (buying["previous_sales"] > 0).any():
        missing["growth"] = "no sales in the previous window"
    if (
        qualitative is None
        or "qualitative_mean" not in qualitative
        or not ids.isin(qualitative.loc[qualitative["qualitative_mean"].notna(), "customer_id"]).any()
    ):
        missing["management"] = "no workshop scores"
    raw = {c: w for c, w in settings.weights.items() if w > 0}
    dropped = {c: why for c, why in missing.items() if c in raw}
    kept = {c: w for c, w in raw.items() if c not in dropped}
    total = sum(kept.values())
    if total <= 0:
        raise SettingsError(
            "no screening criterion is left: the data support none of the weighted criteria"
            f" ({'; '.join(f'{c}: {why}' for c, why in dropped.items())})"
        )
    return {c: w / total for c, w in kept.items()}, dropped


def _cost_to_serve(
    cost_to_serve: pd.DataFrame | None, *, period: int | None, settings: ScreeningSettings
) -> pd.Series:
    """Cost to serve per customer for ``period``: the amount, else drivers times rates."""
    if cost_to_serve is None or len(cost_to_serve) == 0:
        return pd.Series(dtype="float64")
    _require(cost_to_serve, ["customer_id", "period"], "cost_to_serve")
    table = cost_to_serve
    periods = table["period"].dropna().unique()
    if period is not None:
        table = table[table["period"] == period]
    elif len(periods) > 1:
        raise ScreeningInputError(
            "cost_to_serve holds several periods; pass the comparison window to choose one"
        )
    amount = (
        table["cost_amount"].astype("float64")
        if "cost_amount" in table
        else pd.Series(np.nan, index=table.index, dtype="float64")
    )
    rates = {d: r for d, r in settings.cost_driver_rates.items() if d in table.columns}
    if rates:
        estimate = sum(table[d].astype("float64").fillna(0.0) * r for d, r in rates.items())
        amount = amount.fillna(estimate)
    elif amount.isna().all():
        warnings.warn(
            "cost_to_serve has no cost_amount and no cost_driver_rates are set: cost to serve ignored",
            UserWarning,
            stacklevel=3,
        )
    return amount.groupby(table["customer_id"].astype("str")).sum(min_count=1)


def _count(n: int, singular: str, plural: str) -> str:
    """ "1 customer", "2 customers": a count with the right form of its noun."""
    return f"{n:,} {singular if n == 1 else plural}"


def _fmt_pct(value: float) -> str:
    return f"{value:.0%}".replace("-", "−")


def _fmt_money(value: float) -> str:
    return f"{value:,.0f}".replace("-", "−")


GATES: Mapping[str, str] = {
    "sales": "without positive net sales",
    "margin": "below the minimum margin",
    "contribution": "costing more to serve than they earn",
    "days_late": "paying too late on average",
    "late_share": "paying too many invoices late",
    "credit_use": "over their credit limit",
}
"""The gates of the screening, by the key used in the ``failed_gates`` column, with the words
that describe the customers failing them."""

GROWTH_SIGNALS: Mapping[str, str] = {
    "growth": "growing fast",
    "headroom": "buying most of their needs elsewhere",
    "workshop": "scoring strongly in the workshop",
}
"""The growth signals, by the key used in the ``growth_signals`` column."""


def _gate_failures(
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
                failures.append(("margin", f"loss-making ({_fmt_pct(margin)} margin)"))
            else:
                minimum = _fmt_pct(settings.min_margin_pct)
                failures.append(("margin", f"{_fmt_pct(margin)} margin, below the minimum {minimum}"))
    contribution = row["contribution"]
    if (
        settings.min_contribution is not None
        and pd.notna(contribution)
        and contribution < settings.min_contribution
    ):
        text = f"costs more to serve than it earns (contribution {_fmt_money(contribution)})"
        failures.append(("contribution", text))
    judged = row["payment_invoices"]
    if pd.notna(judged) and judged >= settings.min_payment_invoices:
        days = row["avg_days_late"]
        if settings.max_avg_days_late is not None and pd.notna(days) and days > settings.max_avg_days_late:
            failures.append(("days_late", f"pays on average {days:.0f} days late"))
        share = row["late_share"]
        if settings.max_late_share is not None and pd.notna(share) and share > settings.max_late_share:
            failures.append(("late_share", f"{_fmt_pct(share)} of invoices paid late"))
    use = row["credit_use"]
    if settings.max_credit_use is not None and pd.notna(use) and use > settings.max_credit_use:
        failures.append(("credit_use", f"uses {_fmt_pct(use)} of its credit limit"))
    return failures


def _growth_signals(
    row: Mapping[str, Any], settings: ScreeningSettings, floor: float, annualise: float
) -> list[tuple[str, str]]:
    """The growth signals of a customer, as (key of :data:`GROWTH_SIGNALS`, readable text)."""
    found = []
    growth = row["growth_pct"]
    if pd.notna(growth) and growth >= settings.growth_min_growth_pct and row["sales"] >= floor:
        found.append(("growth", f"sales {'+' if growth >= 0 else ''}{_fmt_pct(growth)} vs previous window"))
    headroom = row["headroom_share"]
    if (
        pd.notna(headroom)
        and headroom >= settings.growth_min_headroom_share
        and row["wallet"] >= floor * annualise
    ):
        wallet = _fmt_money(row["wallet"])
        found.append(("headroom", f"{_fmt_pct(row['share_of_wallet'])} share of wallet ({wallet} wallet)"))
    qual = row["qualitative_mean"]
    if pd.notna(qual) and qual >= settings.growth_min_qualitative:
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
        parts.append(f"{_fmt_pct(row['margin_pct'])} margin")
    days, late = row["avg_days_late"], row["late_share"]
    if pd.notna(days) and days > settings.grace_days:
        parts.append(f"pays on average {days:.0f} days late")
    elif pd.notna(late) and late > 0:
        parts.append(f"{_fmt_pct(late)} of invoices late")
    elif pd.notna(days) or pd.notna(late):
        parts.append("pays on time")
    if row["status"] == "new":
        parts.append("new customer")
    return parts


def _reason(row: Mapping[str, Any], settings: ScreeningSettings) -> str:
    tier = row["tier"]
    if tier == "inactive":
        if row["status"] == "lost":
            return f"lost: bought {_fmt_money(row['previous_sales'])} in the previous window, nothing since"
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


def _composite(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Composite score 0..100 of criterion scores (rows: customers) for weight columns."""
    return 100.0 * (scores @ weights)


def _key_order(frame: pd.DataFrame) -> np.ndarray:
    """Positions of ``frame`` rows ordered for the tie-break: sales desc, then customer_id."""
    return np.lexsort((frame["customer_id"].to_numpy(dtype="str"), -frame["sales"].to_numpy(dtype="float64")))


def _ranked(composite: np.ndarray, tiebreak: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Positions of the rows in ``among``, highest composite first (ties in ``tiebreak`` order)."""
    candidates = tiebreak[among[tiebreak]]
    return candidates[np.argsort(-composite[candidates], kind="stable")]


def _top_mask(composite: np.ndarray, tiebreak: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the ``n`` eligible rows with the highest composite (ties by ``tiebreak``)."""
    mask = np.zeros(len(composite), dtype=bool)
    if n > 0:
        mask[_ranked(composite, tiebreak, eligible)[:n]] = True
    return mask


def score_customers(
    metrics: pd.DataFrame,
    *,
    settings: ScreeningSettings | None = None,
    window: ComparisonWindow | None = None,
    payments: pd.DataFrame | None = None,
    qualitative: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score, gate and tier every customer, with a readable reason for each.

    Each criterion becomes a score from 0 to 1 among the customers that bought in the current
    window. Sales and gross profit (contribution after cost to serve when known) are size
    scores (:func:`size_score`: percentile rank below the median, log scale above it, so the
    largest customers stay apart); the others are percentile ranks: margin;
    payment (mean of the inverted ranks of days late and late share); growth; purchase history
    (mean of the ranks of frequency, recency inverted, variety and trend); management (rank of
    the mean workshop score). A customer without workshop scores, without invoices or without
    previous sales gets the mean score of the others on that criterion, so it is neither
    punished nor rewarded; other missing values (margin of a customer without positive sales)
    score 0. Criteria the data cannot support are dropped and the other weights renormalised
    (:func:`effective_weights`); ``attrs["dropped_criteria"]`` and ``attrs["weights"]`` of the
    result say which.

    Tiers: customers that did not buy are "inactive"; a failed gate makes a buying customer
    "review"; the ``key_account_count`` best eligible customers by composite (ties: larger
    sales, then id) are "key"; other eligible customers with a growth signal are "growth"
    (growth >= ``growth_min_growth_pct`` with sales above the floor; share of wallet still
    elsewhere >= ``growth_min_headroom_share`` with a wallet above the annualised floor; mean
    workshop score >= ``growth_min_qualitative``); the rest "maintain".

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`customer_metrics`.
    settings : ScreeningSettings, optional
        Rules; defaults when omitted.
    window : ComparisonWindow, optional
        The window of ``metrics``; used to annualise sales against the wallet and to pick the
        cost-to-serve period.
    payments : pandas.DataFrame, optional
        Output of :func:`payment_behaviour`.
    qualitative : pandas.DataFrame, optional
        Output of :func:`qualitative_scores`.
    market : pandas.DataFrame, optional
        ``customer_id``, ``wallet`` (yearly purchases in our categories from all suppliers).
    cost_to_serve : pandas.DataFrame, optional
        ``customer_id``, ``period`` and ``cost_amount`` (or drivers, see
        ``ScreeningSettings.cost_driver_rates``).

    Returns
    -------
    pandas.DataFrame
        The columns of ``metrics`` plus payment_invoices, avg_days_late, late_share,
        open_overdue_amount, credit_use, qualitative_mean, wallet, share_of_wallet (annualised
        sales / wallet), headroom_share (1 − share_of_wallet, clipped to 0..1), cost_to_serve,
        contribution (gross_profit − cost_to_serve), ``score_<criterion>`` for each of
        :data:`CRITERIA` (NaN when dropped or not buying), composite (0 to 100), exclusion
        (the failed gates in words, "" when none), failed_gates (their keys in :data:`GATES`,
        joined by ";"), eligible (bool), growth_signals (keys of :data:`GROWTH_SIGNALS` found,
        joined by ";"), tier, rank (by composite among buying customers, 1 = best; <NA> for the
        others) and reason. Same row order as ``metrics``.
    """
    settings = settings or ScreeningSettings()
    _require(
        metrics,
        [
            "customer_id",
            "status",
            "sales",
            "gross_profit",
            "margin_pct",
            "previous_sales",
            "growth_pct",
            "recency_days",
            "frequency",
            "variety",
            "trend",
            "last_purchase",
        ],
        "metrics",
    )
    out = metrics.copy()
    ids = out["customer_id"].astype("str")
    buying = _buying(out).to_numpy()
    n_buying = int(buying.sum())
    if n_buying == 0:
        warnings.warn(
            "no customer bought in the current window: nothing to screen", UserWarning, stacklevel=2
        )

    pay = payments.set_index(payments["customer_id"].astype("str")) if payments is not None else None
    for column, source in (
        ("payment_invoices", "invoices"),
        ("avg_days_late", "avg_days_late"),
        ("late_share", "late_share"),
        ("open_overdue_amount", "open_overdue_amount"),
        ("credit_use", "credit_use"),
    ):
        out[column] = ids.map(pay[source]).astype("float64") if pay is not None and len(pay) else np.nan
    if qualitative is not None and len(qualitative) and "qualitative_mean" in qualitative:
        qual = qualitative.set_index(qualitative["customer_id"].astype("str"))["qualitative_mean"]
        out["qualitative_mean"] = ids.map(qual).astype("float64")
    else:
        out["qualitative_mean"] = np.nan
    annualise = 365.25 / window.current_days if window is not None else 1.0
    if market is not None and len(market):
        _require(market, ["customer_id", "wallet"], "market")
        out["wallet"] = ids.map(_by_customer(market, "wallet"))
    else:
        out["wallet"] = np.nan
    out["share_of_wallet"] = (out["sales"].clip(lower=0) * annualise / out["wallet"]).where(out["wallet"] > 0)
    out["headroom_share"] = (1 - out["share_of_wallet"]).clip(0, 1)
    period = window.current if window is not None else None
    out["cost_to_serve"] = ids.map(_cost_to_serve(cost_to_serve, period=period, settings=settings)).astype(
        "float64"
    )
    out["contribution"] = out["gross_profit"] - out["cost_to_serve"]

    weights, dropped = effective_weights(
        metrics, settings=settings, payments=payments, qualitative=qualitative
    )

    # Criterion scores among buying customers.
    act = out[buying]
    scores = pd.DataFrame(index=act.index, columns=list(CRITERIA), dtype="float64")

    def neutral(score: pd.Series) -> pd.Series:
        return score.fillna(score.mean() if score.notna().any() else 0.5)

    profit = act["contribution"].fillna(act["gross_profit"])
    scores["sales"] = size_score(act["sales"])
    scores["gross_profit"] = size_score(profit).fillna(0.0)
    scores["margin"] = _percentile(act["margin_pct"]).fillna(0.0)
    payment_parts = pd.concat(
        [1 - _percentile(act["avg_days_late"]), 1 - _percentile(act["late_share"])], axis=1
    )
    scores["payment"] = neutral(payment_parts.mean(axis=1))
    scores["growth"] = neutral(_percentile(act["growth_pct"]))
    history_parts = [_percentile(act["frequency"].astype("float64")), 1 - _percentile(act["recency_days"])]
    history_parts += [_percentile(act[c]) for c in ("variety", "trend") if act[c].notna().any()]
    scores["purchase_history"] = pd.concat(history_parts, axis=1).mean(axis=1).fillna(0.0)
    scores["management"] = neutral(_percentile(act["qualitative_mean"]))
    for criterion in CRITERIA:
        column = f"score_{criterion}"
        out[column] = np.nan
        if criterion in weights:
            out.loc[buying, column] = scores[criterion].to_numpy()
    used = list(weights)
    matrix = scores[used].to_numpy(dtype="float64")
    composite = np.full(len(out), np.nan)
    composite[buying] = _composite(matrix, np.array([weights[c] for c in used]))
    out["composite"] = composite

    # Gates.
    margin_known = bool(out["gross_profit"].notna().any())
    failures = [
        _gate_failures(row, settings, margin_known) if is_buying else []
        for row, is_buying in zip(out.to_dict("records"), buying, strict=True)
    ]
    out["exclusion"] = pd.Series(
        ["; ".join(text for _key, text in f) for f in failures], index=out.index, dtype="str"
    )
    out["failed_gates"] = pd.Series(
        [";".join(key for key, _text in f) for f in failures], index=out.index, dtype="str"
    )
    eligible = buying & np.array([not f for f in failures], dtype=bool)
    out["eligible"] = eligible

    # Tiers.
    n_key = key_account_count(n_buying, settings=settings)
    if 0 < eligible.sum() < n_key:
        warnings.warn(
            f"only {int(eligible.sum())} customers pass the gates for {n_key} key-account places:"
            " all of them become key accounts",
            UserWarning,
            stacklevel=2,
        )
    tiebreak = _key_order(out)
    key = _top_mask(out["composite"].to_numpy(), tiebreak, eligible, n_key)
    floor = float(act["sales"].quantile(settings.growth_sales_floor_quantile)) if n_buying else np.inf
    signals = [
        _growth_signals(row, settings, floor, annualise) if is_buying else []
        for row, is_buying in zip(out.to_dict("records"), buying, strict=True)
    ]
    out["growth_signals"] = pd.Series(
        [";".join(key for key, _text in f) for f in signals], index=out.index, dtype="str"
    )
    growth_tier = eligible & ~key & np.array([bool(s) for s in signals], dtype=bool)
    tier = np.select(
        [~buying, ~eligible, key, growth_tier], ["inactive", "review", "key", "growth"], default="maintain"
    )
    out["tier"] = pd.Series(tier, index=out.index, dtype="str")

    # Rank among buying customers and reasons.
    rank = np.zeros(len(out), dtype="int64")
    rank[_ranked(out["composite"].to_numpy(), tiebreak, buying)] = np.arange(1, n_buying + 1)
    out["rank"] = pd.Series(rank, index=out.index).where(buying).astype("Int64")
    sales_rank = out["sales"].where(buying).rank(method="min", ascending=False)
    records = out.assign(sales_rank=sales_rank, buying_customers=n_buying, signals=signals)
    records = records.to_dict("records")
    out["reason"] = pd.Series([_reason(r, settings) for r in records], index=out.index, dtype="str")

    out.attrs = {
        "weights": weights,
        "dropped_criteria": dropped,
        "key_accounts": n_key,
        "sales_floor": floor,
    }
    return out


# --------------------------------------------------------------------------------------------
# Overrides


def apply_overrides(
    screened: pd.DataFrame, overrides: pd.DataFrame | None, *, max_overrides: int
) -> pd.DataFrame:
    """Apply the workshop's decisions to the screened tiers, keeping the reasons traceable.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`score_customers` (``customer_id``, ``tier``, ``reason``).
    overrides : pandas.DataFrame or None
        ``customer_id``, ``tier`` (one of :data:`TIERS`), ``reason``, ``decided_by``; one row
        per customer. None or empty changes nothing.
    max_overrides : int
        Most overrides allowed (``ScreeningSettings.max_overrides``): a screening overridden
        everywhere is no screening.

    Returns
    -------
    pandas.DataFrame
        A copy of ``screened`` with ``tier`` replaced, `` (override by X: reason)`` appended to
        ``reason``, plus ``screened_tier`` (the tier before overrides) and ``overridden`` (bool).

    Raises
    ------
    OverrideError
        More overrides than allowed, a customer overridden twice, an unknown customer id or
        tier, or a missing column.
    """
    _require(screened, ["customer_id", "tier", "reason"], "screened")
    out = screened.copy()
    out["screened_tier"] = out["tier"]
    out["overridden"] = False
    if overrides is None or len(overrides) == 0:
        return out
    missing = [c for c in ("customer_id", "tier", "reason", "decided_by") if c not in overrides.columns]
    if missing:
        raise OverrideError(f"overrides: missing column(s) {', '.join(map(repr, missing))}")
    if len(overrides) > max_overrides:
        raise OverrideError(
            f"{len(overrides)} overrides, but at most {max_overrides} are allowed (setting max_overrides):"
            " revisit the screening settings instead of overriding this many customers"
        )
    ids = overrides["customer_id"].astype("str").str.strip()
    twice = sorted(ids[ids.duplicated()].unique())
    if twice:
        raise OverrideError(f"overrides: customer(s) overridden more than once: {', '.join(twice)}")
    known = set(out["customer_id"].astype("str"))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise OverrideError(f"overrides: unknown customer id(s) {', '.join(unknown)} (not in the screening)")
    tiers = overrides["tier"].astype("str").str.strip().str.lower()
    bad = sorted(set(tiers) - set(TIERS))
    if bad:
        raise OverrideError(
            f"overrides: unknown tier(s) {', '.join(map(repr, bad))}; allowed: {', '.join(TIERS)}"
        )
    position = pd.Series(np.arange(len(out)), index=out["customer_id"].astype("str"))
    rows = position[ids].to_numpy()
    tier_col = out.columns.get_loc("tier")
    reason_col = out.columns.get_loc("reason")
    for row, tier, why, who in zip(rows, tiers, overrides["reason"], overrides["decided_by"], strict=True):
        out.iloc[row, tier_col] = tier
        out.iloc[row, reason_col] = (
            f"{out.iloc[row, reason_col]} (override by {str(who).strip()}: {str(why).strip()})"
        )
    out.loc[out.index[rows], "overridden"] = True
    return out


# --------------------------------------------------------------------------------------------
# Concentration


def _population(metrics: pd.DataFrame, value: str) -> pd.DataFrame:
    _require(metrics, ["customer_id", value], "metrics")
    frame = metrics[metrics[value].notna()]
    if "status" in frame.columns:
        frame = frame[_buying(frame)]
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
    _require(metrics, ["customer_id", value], "metrics")
    frame = metrics[["customer_id", value, *(["status"] if "status" in metrics.columns else [])]]
    frame = frame.sort_values(
        [value, "customer_id"], ascending=[False, True], kind="stable", ignore_index=True
    )
    counted = frame[value].notna() & (frame[value] > 0)
    if "status" in frame.columns:
        counted &= _buying(frame)
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


# --------------------------------------------------------------------------------------------
# Movement between periods


def _tiers(tiers: pd.Series | pd.DataFrame, column: str = "tier") -> pd.Series:
    if isinstance(tiers, pd.DataFrame):
        _require(tiers, ["customer_id", column], "tiers")
        series = pd.Series(tiers[column].to_numpy(), index=tiers["customer_id"].astype("str"))
    else:
        series = pd.Series(tiers.to_numpy(), index=tiers.index.astype("str"))
    return series.astype("str").rename_axis("customer_id")


def tier_transitions(
    previous_tiers: pd.Series | pd.DataFrame, current_tiers: pd.Series | pd.DataFrame
) -> pd.DataFrame:
    """How many customers moved from each tier of the previous screening to each current tier.

    Parameters
    ----------
    previous_tiers, current_tiers : pandas.Series or pandas.DataFrame
        Tier per customer: a Series indexed by customer_id, or a screening frame with
        ``customer_id`` and ``tier``.

    Returns
    -------
    pandas.DataFrame
        Counts (int); rows: previous tier ("new" for customers absent from the previous
        screening), columns: current tier ("lost" for customers absent from the current one).
        Both axes list every tier of :data:`TIERS` in order, so matrices of different years line
        up.
    """
    before = _tiers(previous_tiers)
    after = _tiers(current_tiers)
    ids = before.index.union(after.index)
    rows = before.reindex(ids).fillna("new")
    cols = after.reindex(ids).fillna("lost")
    table = pd.crosstab(rows.rename("previous"), cols.rename("current"))
    row_order = [*TIERS, "new", *sorted(set(rows) - {*TIERS, "new"})]
    col_order = [*TIERS, "lost", *sorted(set(cols) - {*TIERS, "lost"})]
    return table.reindex(index=row_order, columns=col_order, fill_value=0).astype("int64")


def key_account_retention(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> float:
    """Share of last period's key accounts that are key again (NaN, with a warning, if none)."""
    before = _tiers(previous)
    after = _tiers(current)
    key_before = before.index[before == "key"]
    if len(key_before) == 0:
        warnings.warn(
            "no key accounts in the previous screening: retention undefined", UserWarning, stacklevel=2
        )
        return float("nan")
    return float((after.reindex(key_before) == "key").mean())


def movers(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Customers that entered the key list (risers) or left it (fallers), and where they went.

    Parameters
    ----------
    previous, current : pandas.Series or pandas.DataFrame
        Tier per customer (see :func:`tier_transitions`). When ``current`` (else ``previous``)
        is a frame with ``name``, names are shown.

    Returns
    -------
    pandas.DataFrame
        customer_id, name, movement ("riser" or "faller"), previous_tier ("new" when absent
        before), current_tier ("lost" when absent now); risers first, then by id.
    """
    before = _tiers(previous)
    after = _tiers(current)
    ids = before.index.union(after.index)
    was = before.reindex(ids).fillna("new")
    now = after.reindex(ids).fillna("lost")
    moved = (was == "key") != (now == "key")
    names = pd.Series(ids, index=ids, dtype="str")
    for frame in (previous, current):
        if isinstance(frame, pd.DataFrame) and "name" in frame.columns:
            known = pd.Series(frame["name"].to_numpy(), index=frame["customer_id"].astype("str"))
            known = known[~known.index.duplicated()]
            names = known.reindex(ids).fillna(names).astype("str")
    out = pd.DataFrame(
        {
            "customer_id": ids[moved],
            "name": names[moved].to_numpy(),
            "movement": np.where(now[moved] == "key", "riser", "faller"),
            "previous_tier": was[moved].to_numpy(),
            "current_tier": now[moved].to_numpy(),
        }
    ).astype({"customer_id": "str", "name": "str", "movement": "str"})
    return out.sort_values(["movement", "customer_id"], ascending=[False, True], ignore_index=True)


def migration_warning(
    previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame, *, settings: ScreeningSettings
) -> str | None:
    """A warning text when the key list changed by more than ``settings.migration_warning_share``.

    The change is the larger of the share of last period's key accounts that left the list and
    the share of this period's key accounts that entered it. Big swings usually mean the
    criteria, the data or the business changed, and deserve a look before the workshop.
    """
    before = _tiers(previous)
    after = _tiers(current)
    moved = movers(before, after)
    n_before = int((before == "key").sum())
    n_after = int((after == "key").sum())
    fallers = int((moved["movement"] == "faller").sum())
    risers = int((moved["movement"] == "riser").sum())
    left = fallers / n_before if n_before else 0.0
    entered = risers / n_after if n_after else 0.0
    if max(left, entered) <= settings.migration_warning_share:
        return None
    return (
        f"The key list changed a lot: {fallers} of {n_before} previous key accounts"
        f" ({_fmt_pct(left)}) left it and {risers} of {n_after} current ones ({_fmt_pct(entered)})"
        f" are new to it (warning above {_fmt_pct(settings.migration_warning_share)})."
        " Check whether the business, the data or the screening settings changed."
    )


# --------------------------------------------------------------------------------------------
# Robustness and capacity


def weight_sensitivity(
    screened: pd.DataFrame, *, settings: ScreeningSettings | None = None, step: float = 0.2
) -> pd.DataFrame:
    """How stable is the key list when each weight moves by ``step`` (±20 %)?

    For each criterion used, its weight is multiplied by ``1 - step`` and ``1 + step`` (the
    weights then renormalised), giving ``2k`` variants besides the base. Only the composite
    and the key selection are recomputed, from the ``score_<criterion>`` columns (gates and
    metrics do not depend on the weights), so this is a few matrix products.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`score_customers` (before overrides).
    settings : ScreeningSettings, optional
        The settings the screening used (weights and key count).
    step : float
        Relative change of each weight, between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        One row per customer that is key in at least one variant: customer_id, name, composite,
        key_in_base (bool), variants_key (how many variants, base included, make it key),
        variants (total), share_key, label ("stable key": key in every variant; "borderline":
        only in some). Sorted by share_key then composite, descending.
    """
    if not 0 < step < 1:
        raise ValueError(f"step must be between 0 and 1, got {step}")
    settings = settings or ScreeningSettings()
    _require(screened, ["customer_id", "status", "sales", "eligible", "composite"], "screened")
    buying = _buying(screened).to_numpy()
    used = [
        c
        for c in CRITERIA
        if settings.weights[c] > 0
        and f"score_{c}" in screened
        and screened.loc[buying, f"score_{c}"].notna().any()
    ]
    if not used:
        raise ScreeningInputError("screened: no criterion scores to vary (run score_customers first)")
    base = np.array([settings.weights[c] for c in used])
    variants = [base]
    for i in range(len(used)):
        for factor in (1 - step, 1 + step):
            w = base.copy()
            w[i] *= factor
            variants.append(w)
    weights = np.stack([w / w.sum() for w in variants], axis=1)
    scores = screened[[f"score_{c}" for c in used]].to_numpy(dtype="float64")
    scores = np.nan_to_num(scores, nan=0.0)
    composite = _composite(scores, weights)
    # The base variant is the screening itself: reuse its composite so ties break the same way.
    composite[:, 0] = np.nan_to_num(screened["composite"].to_numpy(dtype="float64"), nan=0.0)
    eligible = screened["eligible"].to_numpy(dtype=bool) & buying
    n_key = key_account_count(int(buying.sum()), settings=settings)
    tiebreak = _key_order(screened)
    keys = np.column_stack(
        [_top_mask(composite[:, j], tiebreak, eligible, n_key) for j in range(weights.shape[1])]
    )
    count = keys.sum(axis=1)
    anywhere = count > 0
    total = weights.shape[1]
    out = pd.DataFrame(
        {
            "customer_id": screened["customer_id"].astype("str").to_numpy()[anywhere],
            "name": (screened["name"] if "name" in screened else screened["customer_id"])
            .astype("str")
            .to_numpy()[anywhere],
            "composite": screened["composite"].to_numpy(dtype="float64")[anywhere],
            "key_in_base": keys[anywhere, 0],
            "variants_key": count[anywhere].astype("int64"),
            "variants": np.full(int(anywhere.sum()), total, dtype="int64"),
        }
    )
    out["share_key"] = out["variants_key"] / total
    out["label"] = pd.Series(np.where(out["variants_key"] == total, "stable key", "borderline"), dtype="str")
    return out.sort_values(["share_key", "composite"], ascending=False, kind="stable", ignore_index=True)


def team_capacity(
    team: pd.DataFrame, *, manager_load: int = 9, roles: Sequence[str] = ACCOUNT_MANAGER_ROLES
) -> int:
    """How many key accounts the team can serve: account managers times ``manager_load``.

    Parameters
    ----------
    team : pandas.DataFrame
        ``member`` and ``role``; a member counts once when its role (case and spaces ignored)
        is one of ``roles``.
    manager_load : int
        Key accounts per account manager (``ScreeningSettings.manager_load``).
    roles : sequence of str
        Roles that count as account managers.
    """
    _require(team, ["member", "role"], "team")
    wanted = {r.strip().lower() for r in roles}
    role = team["role"].astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    managers = team.loc[role.isin(wanted), "member"].nunique()
    return int(managers * manager_load)


def capacity_warning(key_accounts: int, capacity: int | None) -> str | None:
    """A warning text when there are more key accounts than the team can serve, else None."""
    if capacity is None or key_accounts <= capacity:
        return None
    return (
        f"{key_accounts} key accounts but the team can serve about {capacity}: add account managers,"
        " lower the number of key accounts, or serve some of them with a lighter plan."
    )


# --------------------------------------------------------------------------------------------
# One period end to end


@dataclass(frozen=True)
class PeriodScreening:
    """Everything one screening produced (see :func:`screen_period`)."""

    window: ComparisonWindow
    metrics: pd.DataFrame
    payments: pd.DataFrame
    qualitative: pd.DataFrame
    scored: pd.DataFrame
    weights: Mapping[str, float]
    dropped: Mapping[str, str]

    @property
    def key_accounts(self) -> pd.DataFrame:
        """The key accounts, best first."""
        return self.scored[self.scored["tier"] == "key"].sort_values("rank", ignore_index=True)


def screen_period(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    start_month: int,
    period: int | None = None,
    window: ComparisonWindow | None = None,
    settings: ScreeningSettings | None = None,
) -> PeriodScreening:
    """Screen one period: metrics, payment behaviour, workshop scores, scoring.

    Call it once for the current period and once with the current window shifted back a year
    (``window=current.window.shifted(1)``) to screen the previous period on the same months,
    then compare the two with :func:`tier_transitions` and :func:`movers`.

    Parameters
    ----------
    tables : mapping
        Contract tables by name: "sales" (required), "customers", "receivables",
        "assessments", "market", "cost_to_serve" (each optional, may be None).
    start_month : int
        First month of the fiscal year.
    period : int, optional
        Period to screen against ``period - 1``; the window is found with
        :func:`~kamtools.periods.comparison_window` (like for like when incomplete).
    window : ComparisonWindow, optional
        The window to use instead of ``period``.
    settings : ScreeningSettings, optional
        Rules; defaults when omitted.

    Returns
    -------
    PeriodScreening
    """
    if (period is None) == (window is None):
        raise ValueError("give exactly one of period and window")
    settings = settings or ScreeningSettings()
    sales = tables.get("sales")
    if sales is None:
        raise ScreeningInputError("screening needs the sales table")
    if window is None:
        window = comparison_window(
            sales["invoice_date"], current=period, previous=period - 1, start_month=start_month
        )
    customers = tables.get("customers")
    metrics = customer_metrics(sales, customers=customers, window=window)
    payments = payment_behaviour(
        tables.get("receivables"),
        as_of=window.current_end,
        customers=customers,
        grace_days=settings.grace_days,
        since=window.current_end - pd.DateOffset(years=1) + pd.Timedelta(days=1),
    )
    qualitative = qualitative_scores(tables.get("assessments"), indicators=settings.qualitative_indicators)
    scored = score_customers(
        metrics,
        settings=settings,
        window=window,
        payments=payments,
        qualitative=qualitative,
        market=tables.get("market"),
        cost_to_serve=tables.get("cost_to_serve"),
    )
    return PeriodScreening(
        window=window,
        metrics=metrics,
        payments=payments,
        qualitative=qualitative,
        scored=scored,
        weights=dict(scored.attrs["weights"]),
        dropped=dict(scored.attrs["dropped_criteria"]),
    )


# --------------------------------------------------------------------------------------------
# The whole stage for the report: this period, last period, movement, robustness, overrides

SETTING_LABELS: Mapping[str, tuple[str, str]] = {
    "min_margin_pct": ("Minimum gross margin for a key account", "percent"),
    "min_contribution": ("Minimum contribution after cost to serve", "money"),
    "max_avg_days_late": ("Most days paid late on average", "days"),
    "max_late_share": ("Largest share of invoices paid late", "percent"),
    "max_credit_use": ("Largest use of the credit limit", "percent"),
    "min_payment_invoices": ("Invoices needed before payment rules apply", "count"),
    "grace_days": ("Days after the due date still counted as on time", "days"),
    "growth_min_growth_pct": ("Growth account: sales growth of at least", "percent"),
    "growth_sales_floor_quantile": ("Growth account: sales above this quantile of customers", "percent"),
    "growth_min_headroom_share": ("Growth account: share of wallet still with competitors", "percent"),
    "growth_min_qualitative": ("Growth account: workshop score of at least (1 to 5)", "score"),
    "manager_load": ("Key accounts per account manager", "count"),
    "max_overrides": ("Most overrides of the screened tiers", "count"),
    "migration_warning_share": ("Warn when the key list changes by more than", "percent"),
    "key_retention_band": ("Last period's key accounts stay key within the key count plus", "percent"),
}
"""Readable label and kind of each rule of :class:`ScreeningSettings`, for the report."""


@dataclass(frozen=True)
class ScreeningResult:
    """Everything the screening report shows (see :func:`screen_client`).

    Attributes
    ----------
    current : PeriodScreening
        This period; ``current.scored`` has the overrides applied (columns ``screened_tier``
        and ``overridden`` say which).
    previous : PeriodScreening or None
        Last period on the same months, None when the data do not cover it.
    settings : ScreeningSettings
    overrides : pandas.DataFrame
        The overrides applied (customer_id, tier, reason, decided_by).
    transitions : pandas.DataFrame or None
        :func:`tier_transitions` from last period to this one.
    sensitivity : pandas.DataFrame
        :func:`weight_sensitivity` of this period's screening.
    capacity : int or None
        Key accounts the team can serve (:func:`team_capacity`); None without a team table.
    """

    current: PeriodScreening
    previous: PeriodScreening | None
    settings: ScreeningSettings
    overrides: pd.DataFrame
    transitions: pd.DataFrame | None
    sensitivity: pd.DataFrame
    capacity: int | None

    # -- counts ------------------------------------------------------------------------------

    def _tier(self, tier: str) -> pd.DataFrame:
        scored = self.current.scored
        return scored[scored["tier"] == tier]

    def _buying(self) -> pd.DataFrame:
        return self.current.scored[_buying(self.current.scored)]

    @property
    def abc_summary(self) -> pd.DataFrame:
        """Customers and sales per ABC class, with the fixed 80/15/5 cut and the computed cut.

        Columns: method, class, customers, share of customers, sales, share of sales; only
        customers with positive sales in the current window are counted.
        """
        buying = self._buying()
        buying = buying[buying["sales"] > 0]
        rows = []
        for method, label in (("fixed", "fixed 80/15/5 cut"), ("computed", "computed cut")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                classes = abc_classes(buying, method=method)
            for name in ("A", "B", "C"):
                members = classes[classes["abc"] == name]
                rows.append(
                    {
                        "method": label,
                        "class": name,
                        "customers": len(members),
                        "share of customers": len(members) / len(classes) if len(classes) else np.nan,
                        "sales": float(members["sales"].sum()),
                        "share of sales": members["sales"].sum() / classes["sales"].sum()
                        if classes["sales"].sum() > 0
                        else np.nan,
                    }
                )
        return pd.DataFrame(rows).astype({"customers": "int64", "method": "str", "class": "str"})

    # -- sentences ---------------------------------------------------------------------------

    def findings(self, *, currency: str) -> list[str]:
        """The key findings of the screening as plain sentences, most important first."""
        scored = self.current.scored
        buying = self._buying()
        key = self._tier("key")
        total_sales = buying["sales"].sum()
        total_profit = buying["gross_profit"].sum(min_count=1)
        out = []
        window = self.current.window
        if window.like_for_like:
            out.append(
                f"Period {window.current} is not complete: {window.months_compared} is compared with the"
                f" same months of {window.previous}."
            )
        if len(key):
            profit = ""
            if pd.notna(total_profit) and total_profit > 0:
                profit = f" and {percent_text(key['gross_profit'].sum() / total_profit)} of gross profit"
            out.append(
                f"{_count(len(key), 'key account', 'key accounts')} out of"
                f" {_count(len(buying), 'buying customer', 'buying customers')} make"
                f" {percent_text(key['sales'].sum() / total_sales)} of sales{profit}"
                f" ({money_text(key['sales'].sum(), currency)})."
            )
        share = pareto_share(scored)
        if np.isfinite(share):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                concentration = gini(buying["sales"])
            makers = round(share * len(buying))
            out.append(
                f"{makers:,} of your {len(buying):,} buying customers ({percent_text(share)}) make 80% of"
                f" your sales, against 20% by the 80/20 rule of thumb (Gini coefficient {concentration:.2f})."
            )
        review = self._tier("review")
        if len(review):
            counts = review["failed_gates"].str.split(";").explode().value_counts()
            parts = [f"{n:,} {GATES[g]}" for g, n in counts.items() if g in GATES]
            several = " (some fail several)" if review["failed_gates"].str.contains(";").any() else ""
            who = _count(len(review), "buying customer", "buying customers")
            out.append(f"Rules keep {who} off the key list{several}: " + ", ".join(parts) + ".")
        growth = self._tier("growth")
        if len(growth):
            counts = growth["growth_signals"].str.split(";").explode().value_counts()
            parts = [f"{n:,} {GROWTH_SIGNALS[g]}" for g, n in counts.items() if g in GROWTH_SIGNALS]
            could = f"{_count(len(growth), 'customer', 'customers')} could grow into key accounts"
            out.append(f"{could}: " + ", ".join(parts) + ".")
        if self.previous is not None:
            before = self.previous.scored
            retained = key_account_retention(before, scored) if (before["tier"] == "key").any() else np.nan
            if np.isfinite(retained):
                entered = int((movers(before, scored)["movement"] == "riser").sum())
                kept = int(scored["retained"].sum()) if "retained" in scored else 0
                band = ""
                if kept:
                    band = (
                        f" ({_count(kept, 'was', 'were')} kept because they rank just below the list,"
                        f" within {percent_text(self.settings.key_retention_band)} of it)"
                    )
                out.append(
                    f"{percent_text(retained)} of last period's key accounts are key again{band};"
                    f" {_count(entered, 'customer', 'customers')} entered the key list."
                )
        dropped = self.current.dropped
        if dropped:
            reasons = "; ".join(f"{c.replace('_', ' ')}: {why}" for c, why in dropped.items())
            out.append(f"Some criteria were left out because the data cannot support them ({reasons}).")
        overridden = int(scored["overridden"].sum()) if "overridden" in scored else 0
        if overridden:
            tiers = "tier was" if overridden == 1 else "tiers were"
            out.append(f"{overridden} {tiers} changed by the consultant's overrides (listed at the end).")
        return out

    def capacity_notes(self) -> list[str]:
        """Whether the team can serve the key accounts."""
        n_key = len(self._tier("key"))
        if self.capacity is None:
            return ["Without a team table the team's capacity to serve the key accounts was not checked."]
        warning = capacity_warning(n_key, self.capacity)
        if warning:
            return [warning]
        return [
            f"The account managers can serve about {self.capacity:,} key accounts"
            f" ({self.settings.manager_load} each); the list has {n_key:,}."
        ]

    def movement_notes(self) -> list[str]:
        """How the key list moved since the previous period, with the churn warning."""
        if self.previous is None:
            return ["The data do not cover the previous period, so movement between years is not shown."]
        before = self.previous.scored
        notes = []
        if (before["tier"] == "key").any():
            retained = key_account_retention(before, self.current.scored)
            notes.append(
                f"{retained:.0%} of the key accounts of {self.previous.window.current} are key accounts"
                f" again in {self.current.window.current}."
            )
        warning = migration_warning(before, self.current.scored, settings=self.settings)
        if warning:
            notes.append(warning)
        return notes

    def summary(self, *, currency: str) -> str:
        """One line for the cover of the report pack."""
        key = self._tier("key")
        return (
            f"{_count(len(key), 'key account', 'key accounts')} ({money_text(key['sales'].sum(), currency)}"
            f" sales), {_count(len(self._tier('growth')), 'growth account', 'growth accounts')},"
            f" {len(self._tier('review')):,} to review"
        )

    # -- tables for the report (readable column names) ---------------------------------------

    def key_account_table(self) -> pd.DataFrame:
        """The key accounts, best first, with the criteria behind each."""
        key = self._tier("key").sort_values("rank")
        return pd.DataFrame(
            {
                "rank": key["rank"],
                "customer": key["customer_id"],
                "name": key["name"] if "name" in key else key["customer_id"],
                "sales": key["sales"],
                "share of sales": key["sales"] / self._buying()["sales"].sum(),
                "gross profit": key["gross_profit"],
                "margin": key["margin_pct"],
                "growth": key["growth_pct"],
                "days late": key["avg_days_late"],
                "score": key["composite"],
                "reason": key["reason"],
            }
        ).reset_index(drop=True)

    def growth_account_table(self) -> pd.DataFrame:
        """The growth accounts, best score first, with their growth signals."""
        growth = self._tier("growth").sort_values("rank")
        return pd.DataFrame(
            {
                "rank": growth["rank"],
                "customer": growth["customer_id"],
                "name": growth["name"] if "name" in growth else growth["customer_id"],
                "sales": growth["sales"],
                "growth": growth["growth_pct"],
                "headroom": growth["headroom_share"],
                "reason": growth["reason"],
            }
        ).reset_index(drop=True)

    def movers_table(self) -> pd.DataFrame:
        """Customers that entered (risers) or left (fallers) the key list since last period."""
        columns = ["customer", "name", "movement", "previous tier", "current tier"]
        if self.previous is None:
            empty = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
            return empty.assign(
                **{c: pd.Series(dtype="float64") for c in ("previous sales", "sales", "growth")}
            )
        moved = movers(self.previous.scored, self.current.scored)
        now = self.current.scored.set_index(self.current.scored["customer_id"].astype("str"))
        ids = moved["customer_id"]
        return pd.DataFrame(
            {
                "customer": ids,
                "name": moved["name"],
                "movement": moved["movement"],
                "previous tier": moved["previous_tier"],
                "current tier": moved["current_tier"],
                "previous sales": ids.map(now["previous_sales"]).astype("float64"),
                "sales": ids.map(now["sales"]).astype("float64"),
                "growth": ids.map(now["growth_pct"]).astype("float64"),
            }
        )

    def sensitivity_table(self) -> pd.DataFrame:
        """How many weight variants keep each customer key (see :func:`weight_sensitivity`)."""
        s = self.sensitivity
        return pd.DataFrame(
            {
                "customer": s["customer_id"],
                "name": s["name"],
                "score": s["composite"],
                "variants key": s["variants_key"],
                "variants": s["variants"],
                "share key": s["share_key"],
                "label": s["label"],
            }
        )

    def weights_table(self) -> pd.DataFrame:
        """Each criterion with the weight set, the weight used and why a criterion was left out."""
        asked = self.settings.normalised_weights
        used = self.current.weights
        dropped = self.current.dropped
        return pd.DataFrame(
            {
                "criterion": [c.replace("_", " ") for c in CRITERIA],
                "weight set": [asked.get(c, 0.0) for c in CRITERIA],
                "weight used": [used.get(c, 0.0) for c in CRITERIA],
                "note": [f"left out: {dropped[c]}" if c in dropped else "" for c in CRITERIA],
            }
        ).astype({"criterion": "str", "note": "str"})

    def settings_table(self) -> pd.DataFrame:
        """The screening rules in words (all text, so any table formatter shows them as they are)."""
        s = self.settings
        if s.key_accounts is not None:
            key_rule = f"{s.key_accounts}"
        else:
            key_rule = f"{s.key_share:.0%} of the buying customers, at least {s.key_min}, at most {s.key_max}"
        rows = [("Number of key accounts", key_rule)]
        for name, (label, kind) in SETTING_LABELS.items():
            value = getattr(s, name)
            if value is None:
                text = "no rule"
            elif kind == "percent":
                text = f"{value:.0%}"
            elif kind == "days":
                text = f"{value:g} days"
            elif kind == "money":
                text = f"{value:,.0f}"
            else:
                text = f"{value:g}"
            rows.append((label, text))
        return pd.DataFrame(rows, columns=["rule", "value"]).astype("str")

    def key_accounts_output(self) -> pd.DataFrame:
        """The key accounts as a machine-readable table (canonical column names) for the next stages."""
        key = self._tier("key").sort_values("rank")
        columns = [
            "customer_id",
            "name",
            "rank",
            "tier",
            "screened_tier",
            "overridden",
            "composite",
            "sales",
            "sales_share",
            "gross_profit",
            "margin_pct",
            "growth_pct",
            "avg_days_late",
            "late_share",
            "reason",
        ]
        return key[[c for c in columns if c in key.columns]].reset_index(drop=True)


def retain_incumbents(
    scored: pd.DataFrame, previous: pd.DataFrame | None, *, settings: ScreeningSettings
) -> pd.DataFrame:
    """Keep last period's key accounts on the list while they stay close to it.

    An eligible customer that was key last period and ranks within the key count plus
    ``settings.key_retention_band`` (among eligible customers, by composite) stays key; for
    each one kept, the lowest-ranked newcomer to the key list steps down to "growth" (when it
    has a growth signal) or "maintain", so the list keeps its size. Gates still apply: an
    incumbent that fails one is not kept.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_customers` for the current period.
    previous : pandas.DataFrame or None
        The previous period's scored frame (``customer_id``, ``tier``); None changes nothing.
    settings : ScreeningSettings
        ``key_retention_band`` (0 turns this off).

    Returns
    -------
    pandas.DataFrame
        ``scored`` with tiers and reasons updated and a bool column ``retained`` (kept by the
        band). The input is not modified.
    """
    out = scored.copy()
    out["retained"] = False
    if previous is None or settings.key_retention_band <= 0 or not (out["tier"] == "key").any():
        return out
    was_key = out["customer_id"].isin(previous.loc[previous["tier"] == "key", "customer_id"])
    n_key = int((out["tier"] == "key").sum())
    limit = int(np.ceil(n_key * (1 + settings.key_retention_band)))
    eligible = out["eligible"].astype(bool) & _buying(out)
    order = out.loc[eligible].sort_values(["composite", "sales"], ascending=False, kind="stable").index
    band = pd.Series(False, index=out.index)
    band.loc[order[:limit]] = True
    kept = out.index[band & was_key & (out["tier"] != "key")]
    newcomers = out.loc[(out["tier"] == "key") & ~was_key].sort_values(["composite", "sales"], kind="stable")
    swaps = min(len(kept), len(newcomers))
    if swaps == 0:
        return out
    kept = out.loc[kept].sort_values(["composite", "sales"], ascending=False, kind="stable").index[:swaps]
    stepped_down = newcomers.index[:swaps]
    share = _fmt_pct(settings.key_retention_band)
    out.loc[kept, "tier"] = "key"
    out.loc[kept, "retained"] = True
    out.loc[kept, "reason"] = (
        f"key last period and still within {share} of the key list (rank "
        + out.loc[kept, "rank"].astype("str")
        + "); "
        + out.loc[kept, "reason"].astype("str")
    )
    signals = out.loc[stepped_down, "growth_signals"].fillna("").astype("str") != ""
    out.loc[stepped_down, "tier"] = np.where(signals, "growth", "maintain")
    out.loc[stepped_down, "reason"] = (
        "ranked among the key accounts but gives way to last period's key accounts kept on the list; "
        + out.loc[stepped_down, "reason"].astype("str")
    )
    return out


def screen_client(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    start_month: int,
    period: int,
    settings: ScreeningSettings | None = None,
    overrides: pd.DataFrame | None = None,
    sensitivity_step: float = 0.2,
) -> ScreeningResult:
    """The whole screening stage: this period, last period on the same months, and what moved.

    Screens ``period`` (:func:`screen_period`), then the previous period on the window shifted
    back a year when the data cover it, measures the sensitivity of the key list to the weights,
    keeps last period's key accounts that stay close to the list (:func:`retain_incumbents`),
    applies the workshop's overrides and checks the team's capacity.

    Parameters
    ----------
    tables : mapping
        Contract tables by name (see :func:`screen_period`; "team" is used for capacity).
    start_month : int
        First month of the fiscal year.
    period : int
        The period to screen.
    settings : ScreeningSettings, optional
        Rules; defaults when omitted.
    overrides : pandas.DataFrame, optional
        customer_id, tier, reason, decided_by (see :func:`apply_overrides`).
    sensitivity_step : float
        Relative change of each weight in :func:`weight_sensitivity`.

    Returns
    -------
    ScreeningResult
    """
    settings = settings or ScreeningSettings()
    current = screen_period(tables, start_month=start_month, period=period, settings=settings)
    before_window = current.window.shifted(1)
    dates = pd.to_datetime(tables["sales"]["invoice_date"])
    previous = None
    if dates.between(before_window.current_start, before_window.current_end).any():
        previous = screen_period(tables, start_month=start_month, window=before_window, settings=settings)
    sensitivity = weight_sensitivity(current.scored, settings=settings, step=sensitivity_step)
    retained = retain_incumbents(
        current.scored, previous.scored if previous is not None else None, settings=settings
    )
    applied = apply_overrides(retained, overrides, max_overrides=settings.max_overrides)
    applied.attrs = dict(current.scored.attrs)
    current = PeriodScreening(
        window=current.window,
        metrics=current.metrics,
        payments=current.payments,
        qualitative=current.qualitative,
        scored=applied,
        weights=current.weights,
        dropped=current.dropped,
    )
    team = tables.get("team")
    capacity = (
        team_capacity(team, manager_load=settings.manager_load) if team is not None and len(team) else None
    )
    if overrides is None or len(overrides) == 0:
        overrides = pd.DataFrame(
            {c: pd.Series(dtype="str") for c in ("customer_id", "tier", "reason", "decided_by")}
        )
    return ScreeningResult(
        current=current,
        previous=previous,
        settings=settings,
        overrides=overrides,
        transitions=tier_transitions(previous.scored, applied) if previous is not None else None,
        sensitivity=sensitivity,
        capacity=capacity,
    )
