"""Settings of the needs analysis: every rule as data, with a default a client can override.

Read from the ``needs:`` section of ``client.yml`` with :meth:`NeedsSettings.from_mapping`.
The indicator list, the support catalogue and the thresholds all live here so that a client
can change them without touching code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from kamtools.stages.registry import check_settings_rules, settings_values

FAMILIES = ("strength", "capability", "hard")
"""The three families of indicators of the method, in report order."""

FUNCTIONS = ("sales", "logistics", "finance", "marketing", "service")
"""The functions of a key account's service team, in report order."""

DEFAULT_INDICATORS: Mapping[str, str] = MappingProxyType(
    {
        "financial_strength": "strength",
        "network": "strength",
        "logistics": "strength",
        "relationships": "strength",
        "people": "strength",
        "business_ideas": "capability",
        "management": "capability",
        "marketing": "capability",
        "management_maturity": "capability",
    }
)
"""Workshop indicators (scored 1 to 5) and their family, in report order."""

HARD_INDICATORS: Mapping[str, str] = MappingProxyType(
    {
        "sales": "money",
        "margin": "share",
        "cost_to_serve_share": "share",
        "contribution_margin": "share",
    }
)
"""Hard indicators computed from the data, with their unit (money or share of sales)."""

LOWER_IS_BETTER = frozenset({"cost_to_serve_share"})
"""Indicators where a smaller value is the better one (their best quartile is the lowest)."""

INDICATOR_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "financial_strength": "Financial strength",
        "network": "Network (outlets, coverage)",
        "logistics": "Logistics capability",
        "relationships": "Relationships",
        "people": "People (human resources)",
        "business_ideas": "Business ideas",
        "management": "Management",
        "marketing": "Marketing approach",
        "management_maturity": "Management maturity",
        "sales": "Sales",
        "margin": "Gross margin",
        "cost_to_serve_share": "Cost to serve (share of sales)",
        "contribution_margin": "Contribution (share of sales)",
    }
)
"""How each indicator reads in a client report."""


def indicator_label(indicator: str) -> str:
    """The reader's name of an indicator ("logistics" → "Logistics capability")."""
    return INDICATOR_LABELS.get(indicator, indicator.replace("_", " ").capitalize())


DEFAULT_SUPPORT_CATALOGUE: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "sales_training": {
            "title": "Sales training",
            "addresses": ["business_ideas", "margin"],
            "function": "sales",
            "description": "Product and sales training: sell the new ranges, and sell on value, not price.",
        },
        "store_image_display": {
            "title": "Store image and display",
            "addresses": ["marketing", "network"],
            "function": "marketing",
            "description": "Shop fittings, displays and signs that show our ranges at the outlets.",
        },
        "staff_training": {
            "title": "Staff training",
            "addresses": ["people"],
            "function": "service",
            "description": "Technical training for the account's staff and apprentices.",
        },
        "outlet_management": {
            "title": "Outlet management",
            "addresses": ["network", "relationships"],
            "function": "sales",
            "description": "Help to manage and extend the account's outlets, coverage and contacts.",
        },
        "logistics_support": {
            "title": "Logistics support",
            "addresses": ["logistics", "cost_to_serve_share", "contribution_margin"],
            "function": "logistics",
            "description": "A delivery schedule, bundled orders and stock advice: a lower cost per order.",
        },
        "credit_terms": {
            "title": "Credit terms",
            "addresses": ["financial_strength"],
            "function": "finance",
            "description": "Payment terms, a credit line and a payment plan that fit the cash cycle.",
        },
        "joint_marketing": {
            "title": "Joint marketing",
            "addresses": ["marketing", "relationships"],
            "function": "marketing",
            "description": "Joint campaigns, customer events and leads shared with the account.",
        },
        "management_coaching": {
            "title": "Management coaching",
            "addresses": ["management", "management_maturity", "business_ideas"],
            "function": "sales",
            "description": "Planning and management coaching: budget, targets, succession.",
        },
    }
)
"""The support offerings a dealer can give, what weakness each addresses and who delivers it."""

CATALOGUE_KEYS = ("title", "addresses", "function", "description")


class NeedsSettingsError(ValueError):
    """A setting of the ``needs:`` section of ``client.yml`` is unknown or out of range."""


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _merge_catalogue(given: Any) -> dict[str, dict[str, Any]]:
    """The default catalogue with the client's entries: a key replaces, ``null`` removes."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise NeedsSettingsError(f"needs 'support_catalogue' must be a mapping of offerings, got {given!r}")
    catalogue = {k: dict(v) for k, v in DEFAULT_SUPPORT_CATALOGUE.items()}
    for key, entry in given.items():
        if entry is None:
            catalogue.pop(str(key), None)
            continue
        if not isinstance(entry, Mapping):
            raise NeedsSettingsError(f"support offering {key!r} must be a mapping with {CATALOGUE_KEYS}")
        unknown = sorted(set(map(str, entry)) - set(CATALOGUE_KEYS))
        if unknown:
            raise NeedsSettingsError(
                f"support offering {key!r}: unknown key(s) {unknown}; allowed: {list(CATALOGUE_KEYS)}"
            )
        base = catalogue.get(str(key), {"title": str(key).replace("_", " ").capitalize(), "description": ""})
        catalogue[str(key)] = {**base, **dict(entry)}
    for key, entry in catalogue.items():
        addresses = entry.get("addresses")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not addresses:
            raise NeedsSettingsError(f"support offering {key!r} needs 'addresses': the indicators it helps")
        entry["addresses"] = tuple(str(a) for a in addresses)
        entry.setdefault("function", "sales")
        if entry["function"] not in FUNCTIONS:
            raise NeedsSettingsError(
                f"support offering {key!r}: function must be one of {', '.join(FUNCTIONS)},"
                f" got {entry['function']!r}"
            )
        entry["title"] = str(entry["title"])
        entry["description"] = str(entry.get("description") or "")
    return catalogue


@dataclass(frozen=True)
class NeedsSettings:
    """Every rule of the needs analysis as data, each with a default a client can override.

    Attributes
    ----------
    indicators : mapping of str to str
        Workshop indicators (scored 1 to 5) and their family ("strength" or "capability").
        Assessments of any other indicator are a data problem (``kam validate`` names the row).
    support_catalogue : mapping of str to mapping
        Support offerings by key: ``title``, ``addresses`` (indicators it helps), ``function``
        (who delivers it, one of :data:`FUNCTIONS`) and ``description``. In ``client.yml`` an
        entry replaces or adds the offering of that key; ``null`` removes a default one.
    data_informed : bool
        Let the data inform two indicators: payment behaviour scores financial strength, the
        order pattern scores logistics. The data then counts as one more assessor.
    days_late_bands : tuple of float
        Amount-weighted average days paid late up to which financial strength scores 5, 4, 3
        and 2 (beyond the last: 1).
    orders_per_week_bands : tuple of float
        Orders per week up to which logistics scores 5, 4, 3 and 2 (beyond the last: 1):
        a customer who bundles orders weekly plans and stores; one ordering daily does not.
    split_delivery_ratio : float
        Deliveries per order above which logistics loses one point (split deliveries).
    disagreement_spread : float
        Assessors disagree when their scores of one indicator differ by at least this much.
    max_proposals : int
        Most support offerings proposed per account.
    weak_score : float
        A workshop indicator at or below this score is weak whatever the portfolio does.
    cost_driver_rates : mapping of str to float
        Cost per unit of each cost-to-serve driver (orders, deliveries, visits, returns). With
        a ``cost_amount`` the amount is split over the drivers in proportion; without one, the
        drivers times the rates are the cost.
    credit_interest_rate : float
        Yearly cost of money for the credit given: each invoice costs its amount times the
        days until paid (or until the period end while open) / 365 times this rate.
    account_manager_cost : float or None
        Yearly cost of one account manager, shared over the key accounts they serve, as the
        management cost of an account; None leaves management cost out (said in the report).
    manager_load : int
        Key accounts one account manager can serve well (default 9).
    reorder_risk_multiple : float
        An account is overdue when the days since its last order exceed this multiple of its
        own median gap between orders.
    reorder_min_orders : int
        Order days needed before a median gap is trusted.
    reorder_lookback_days : int
        Order days of this many days before the period end make the account's rhythm.
    reorder_min_gap_days : int
        A rhythm shorter than this counts as this long: a customer ordering several times a
        week is not overdue after a quiet week (default 7).
    include_growth_accounts : bool
        Analyse screening's growth accounts too, not only its key accounts.
    """

    indicators: Mapping[str, str] = field(default_factory=lambda: _frozen(DEFAULT_INDICATORS))
    support_catalogue: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: _frozen(_merge_catalogue(None))
    )
    data_informed: bool = True
    days_late_bands: tuple[float, ...] = (2.0, 7.0, 15.0, 30.0)
    orders_per_week_bands: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0)
    split_delivery_ratio: float = 1.25
    disagreement_spread: float = 2.0
    max_proposals: int = 3
    weak_score: float = 2.0
    cost_driver_rates: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    credit_interest_rate: float = 0.05
    account_manager_cost: float | None = None
    manager_load: int = 9
    reorder_risk_multiple: float = 2.0
    reorder_min_orders: int = 4
    reorder_lookback_days: int = 365
    reorder_min_gap_days: int = 7
    include_growth_accounts: bool = False

    def __post_init__(self) -> None:
        indicators = dict(self.indicators)
        bad = {k: v for k, v in indicators.items() if v not in ("strength", "capability")}
        if bad:
            raise NeedsSettingsError(
                f"needs 'indicators' families must be 'strength' or 'capability', got {bad}"
            )
        clash = sorted(set(indicators) & set(HARD_INDICATORS))
        if clash:
            raise NeedsSettingsError(f"needs 'indicators' may not reuse the hard indicator name(s) {clash}")
        object.__setattr__(self, "indicators", _frozen(indicators))
        object.__setattr__(self, "support_catalogue", _frozen(dict(self.support_catalogue)))
        rates = dict(self.cost_driver_rates)
        drivers = ("orders", "deliveries", "visits", "returns")
        unknown = sorted(set(rates) - set(drivers))
        if unknown:
            raise NeedsSettingsError(f"unknown cost driver(s) {unknown}; allowed: {list(drivers)}")
        for name, rate in rates.items():
            if not _number(rate) or rate < 0:
                raise NeedsSettingsError(f"cost driver rate {name!r} must be a number >= 0, got {rate!r}")
        object.__setattr__(self, "cost_driver_rates", _frozen({k: float(v) for k, v in rates.items()}))
        for name in ("days_late_bands", "orders_per_week_bands"):
            bands = tuple(float(b) for b in getattr(self, name))
            if len(bands) != 4 or list(bands) != sorted(bands):
                raise NeedsSettingsError(f"needs {name!r} must be four rising numbers, got {bands!r}")
            object.__setattr__(self, name, bands)
        number, whole = _number, _whole
        checks = [
            ("split_delivery_ratio", number(self.split_delivery_ratio) and self.split_delivery_ratio > 0,
             "above 0"),
            ("disagreement_spread", number(self.disagreement_spread) and 0 < self.disagreement_spread <= 4,
             "from above 0 to 4"),
            ("max_proposals", whole(self.max_proposals) and self.max_proposals >= 1,
             "a whole number, at least 1"),
            ("weak_score", number(self.weak_score) and 1 <= self.weak_score <= 5, "from 1 to 5"),
            ("credit_interest_rate", number(self.credit_interest_rate) and 0 <= self.credit_interest_rate < 1,
             "a yearly rate from 0 to below 1 (0.05 = 5%)"),
            ("account_manager_cost", self.account_manager_cost is None
             or (number(self.account_manager_cost) and self.account_manager_cost >= 0),
             "empty or a number >= 0"),
            ("manager_load", whole(self.manager_load) and self.manager_load >= 1,
             "a whole number, at least 1"),
            ("reorder_risk_multiple", number(self.reorder_risk_multiple) and self.reorder_risk_multiple > 1,
             "above 1"),
            ("reorder_min_orders", whole(self.reorder_min_orders) and self.reorder_min_orders >= 3,
             "a whole number, at least 3"),
            ("reorder_min_gap_days", whole(self.reorder_min_gap_days) and self.reorder_min_gap_days >= 1,
             "a whole number of days, at least 1"),
            ("reorder_lookback_days", whole(self.reorder_lookback_days) and self.reorder_lookback_days >= 30,
             "a whole number of days, at least 30"),
        ]  # fmt: skip
        check_settings_rules(self, checks, section="needs", error=NeedsSettingsError)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> NeedsSettings:
        """Settings from the ``needs:`` section of ``client.yml``; missing keys keep their default.

        Raises
        ------
        NeedsSettingsError
            A key is unknown (the message names it and lists the allowed ones) or a value is
            out of range.
        """
        values = settings_values(cls, mapping, section="needs", error=NeedsSettingsError)
        if "support_catalogue" in values:
            values["support_catalogue"] = _merge_catalogue(values["support_catalogue"])
        for name in ("indicators", "cost_driver_rates"):
            if name in values and not isinstance(values[name] or {}, Mapping):
                raise NeedsSettingsError(f"needs {name!r} must be a mapping, got {values[name]!r}")
            if name in values:
                values[name] = dict(values[name] or {})
        for name in ("days_late_bands", "orders_per_week_bands"):
            if name in values:
                if not isinstance(values[name], list | tuple) or not all(_number(b) for b in values[name]):
                    raise NeedsSettingsError(
                        f"needs {name!r} must be four rising numbers, got {values[name]!r}"
                    )
                values[name] = tuple(values[name])
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain data (YAML-friendly: dicts, lists, numbers)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "support_catalogue":
                value = {k: {**dict(v), "addresses": list(v["addresses"])} for k, v in value.items()}
            elif isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def family(self, indicator: str) -> str:
        """The family of an indicator: its workshop family, or "hard"."""
        return "hard" if indicator in HARD_INDICATORS else self.indicators[indicator]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
