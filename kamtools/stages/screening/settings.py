"""Screening vocabulary and rules: tiers, criteria, errors and :class:`ScreeningSettings`.

Rules are data: :class:`ScreeningSettings` holds every threshold of the screening with an
overridable default, read from the ``screening:`` section of ``client.yml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from kamtools.contract import require_columns
from kamtools.stages.registry import check_settings_rules, settings_values

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


def require_input(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise :class:`ScreeningInputError` naming the ``columns`` that ``frame`` lacks."""
    require_columns(frame, columns, table, error=ScreeningInputError)


# --------------------------------------------------------------------------------------------
# Vocabulary: statuses, tiers, criteria

TIERS: tuple[str, ...] = ("key", "growth", "at_risk", "maintain", "review", "inactive")
"""The screening tiers, most important first.

key: the key accounts. growth: not key yet, sales not falling, and growing on a meaningful base,
with proven headroom (wallet) or strong workshop scores; the growth list is capped (the places
the team can develop). at_risk: last period's key accounts whose sales fell sharply (they need a
retention call before any growth plan). maintain: the rest of the active customers. review:
excluded by a gate (loss-making, margin far below customers of similar size, paying late,
costing more to serve than they earn). inactive: no purchase in the current window.
"""

TIER_LABELS: Mapping[str, str] = {
    "key": "key account",
    "growth": "growth account",
    "at_risk": "at risk",
    "maintain": "maintain",
    "review": "review",
    "inactive": "inactive",
}
"""How the report names each tier (the machine value ``at_risk`` reads "at risk")."""

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
    "sales": 0.35,
    "gross_profit": 0.30,
    "margin": 0.10,
    "payment": 0.10,
    "growth": 0.05,
    "purchase_history": 0.05,
    "management": 0.05,
}
"""Default weight of each criterion in the composite score (they sum to 1).

Size leads: sales and gross profit in money carry 65% of the score, the qualitative screens
(margin against customers of similar size, payment, growth on a meaningful base, purchase
history, management) 35% between them, enough to order customers of similar size but not to
lift a small customer above a large one."""

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


MAX_WEIGHT = 100.0
"""Weights are relative (they are scaled to sum to 1); larger ones are typing errors."""


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
    size_floor_multiple : float
        Size scores (sales, gross profit) are full for customers at least as large as the
        customer at the key-count position (the 35th largest when there are 35 key places)
        and zero for customers smaller than the one at this multiple of it (the 140th);
        between the two, on a log scale (each doubling in size is worth the same).
    margin_peers : int
        Margin is judged against the median margin of this many customers closest in sales
        (large customers earn lower margins than small ones everywhere).
    min_margin_vs_peers : float or None
        Gate: a customer whose margin is below this fraction of its peers' median margin is
        price-pressed and not key (default 0.5: 7% where customers of its size earn 22%).
    at_risk_decline : float
        Last period's key accounts whose sales fell by at least this share are "at risk":
        off the key and growth lists, on a retention list with the sales lost.
    growth_accounts : int or None
        Places on the growth list; None: the team's spare capacity (account managers times
        ``manager_load`` minus the key accounts), at least a quarter of the key count. Further
        customers with a growth signal are counted, and listed in the workbook.
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
    size_floor_multiple: float = 4.0
    margin_peers: int = 100
    min_margin_vs_peers: float | None = 0.5
    at_risk_decline: float = 0.30
    growth_accounts: int | None = None

    def __post_init__(self) -> None:
        weights = dict(self.weights)
        unknown = sorted(set(weights) - set(CRITERIA))
        if unknown:
            raise SettingsError(
                f"unknown screening weight(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(CRITERIA)}"
            )
        for name, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise SettingsError(
                    f"weight {name!r} must be a number from 0 to {MAX_WEIGHT:g}, got {value!r}"
                )
            if not 0 <= value <= MAX_WEIGHT:
                # Weights are relative; 1e308 would overflow the sum and turn every score into 0.
                raise SettingsError(
                    f"weight {name!r} must be a number from 0 to {MAX_WEIGHT:g}, got {value!r}"
                )
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
            ("size_floor_multiple", self.size_floor_multiple > 1, "above 1"),
            ("margin_peers", self.margin_peers >= 2, "at least 2"),
            (
                "min_margin_vs_peers",
                self.min_margin_vs_peers is None or 0 <= self.min_margin_vs_peers <= 1,
                "None or from 0 to 1",
            ),
            ("at_risk_decline", 0 < self.at_risk_decline <= 1, "from 0 to 1"),
            (
                "growth_accounts",
                self.growth_accounts is None or self.growth_accounts >= 0,
                "None or at least 0",
            ),
        ]
        check_settings_rules(self, checks, section="screening", error=SettingsError)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ScreeningSettings:
        """Settings from a plain mapping (the ``screening:`` section of ``client.yml``).

        Missing keys keep their default; ``weights`` may name only the criteria it changes.

        Raises
        ------
        SettingsError
            A key (or weight) is unknown; the message names it and lists the allowed ones.
        """
        values = settings_values(cls, mapping, section="screening", error=SettingsError)
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
