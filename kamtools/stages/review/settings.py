"""Every rule of the post-period review as data, each with a default a client can override.

The ``review:`` section of ``client.yml`` is read with :meth:`ReviewSettings.from_mapping`;
fractions are written as fractions (0.3 = 30 %), durations in days or years as named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kamtools.stages.registry import check_settings_rules, settings_values

__all__ = ["ReviewSettings", "ReviewSettingsError"]


class ReviewSettingsError(ValueError):
    """A review setting is unknown or out of range; the message names it."""


@dataclass(frozen=True)
class ReviewSettings:
    """The thresholds of the post-period review.

    Attributes
    ----------
    lost_after_days : int
        A customer with no purchase for this many days before the end of the reviewed period
        counts as lost (default 180: half a year without an order).
    decline_threshold : float
        A retained customer whose sales fell by more than this fraction against the previous
        period counts as declining (default 0.30).
    min_answers : int
        Fewest survey answers behind a percentage; below it the report shows counts and a
        caution instead of a share that pretends to precision (default 20).
    low_satisfaction : float
        Mean satisfaction (1 to 5) below which an account is at risk (default 3.0, "no opinion").
    satisfaction_drop : float
        Fall of the mean satisfaction since the previous survey that puts an account at risk
        (default 0.75 points on the 1-5 scale: an account answers five questions, so a smaller
        move is mostly noise).
    late_payment_rise_days : float
        Rise of the average days paid late, against the previous period, that puts an account
        at risk (default 7 days).
    purchase_drop : float
        Fall of sales against the previous period that puts a retained account at risk
        (default 0.15); beyond ``decline_threshold`` it is declining.
    no_contact_days : int
        Key accounts without any recorded contact for this many days at the end of the period
        are flagged (default 90: a quarter without a visit, call or review).
    horizon_years : int
        Years over which retention economics and the value of an at-risk account are counted
        (default 5).
    churn_reduction : float
        How much lower churn is in the "what if" of the retention economics (default 0.05,
        five points, as in Reichheld & Sasser 1990).
    discount_rate : float
        Yearly rate discounting future margin in the retention economics (default 0.08).
    ahead_tolerance : float
        An account within this fraction of its plan counts as on plan rather than ahead or
        behind (default 0.02).
    promote_min_attainment : float
        A growth account that reached this share of its sales plan is proposed for promotion
        to key (default 1.0: the plan met).
    demote_max_attainment : float
        A key account below this share of its sales plan, without other reasons to keep it,
        is proposed for review; lost key accounts are proposed for demotion (default 0.7).
    """

    lost_after_days: int = 180
    decline_threshold: float = 0.30
    min_answers: int = 20
    low_satisfaction: float = 3.0
    satisfaction_drop: float = 0.75
    late_payment_rise_days: float = 7.0
    purchase_drop: float = 0.15
    no_contact_days: int = 90
    horizon_years: int = 5
    churn_reduction: float = 0.05
    discount_rate: float = 0.08
    ahead_tolerance: float = 0.02
    promote_min_attainment: float = 1.0
    demote_max_attainment: float = 0.7

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ReviewSettingsError(f"review setting {f.name!r} must be a number, got {value!r}")
            if f.type == "int" and value != int(value):
                raise ReviewSettingsError(f"review setting {f.name!r} must be a whole number, got {value!r}")
        checks = [
            ("lost_after_days", self.lost_after_days >= 1, "at least 1"),
            ("decline_threshold", 0 < self.decline_threshold < 1, "a fraction between 0 and 1"),
            ("min_answers", self.min_answers >= 1, "at least 1"),
            ("low_satisfaction", 1 <= self.low_satisfaction <= 5, "from 1 to 5"),
            ("satisfaction_drop", 0 < self.satisfaction_drop <= 4, "above 0 and at most 4"),
            ("late_payment_rise_days", self.late_payment_rise_days > 0, "above 0"),
            ("purchase_drop", 0 < self.purchase_drop < 1, "a fraction between 0 and 1"),
            ("no_contact_days", self.no_contact_days >= 1, "at least 1"),
            ("horizon_years", 1 <= self.horizon_years <= 30, "from 1 to 30"),
            ("churn_reduction", 0 < self.churn_reduction < 1, "a fraction between 0 and 1"),
            ("discount_rate", 0 <= self.discount_rate < 1, "a fraction from 0 to below 1"),
            ("ahead_tolerance", 0 <= self.ahead_tolerance < 1, "a fraction from 0 to below 1"),
            ("promote_min_attainment", self.promote_min_attainment > 0, "above 0"),
            ("demote_max_attainment", self.demote_max_attainment > 0, "above 0"),
        ]
        check_settings_rules(self, checks, section="review", error=ReviewSettingsError)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> ReviewSettings:
        """Settings from a plain mapping (the ``review:`` section of ``client.yml``).

        Missing keys keep their default.

        Raises
        ------
        ReviewSettingsError
            A key is unknown (the message names it and lists the allowed ones) or a value is
            out of range.
        """
        return cls(**settings_values(cls, mapping, section="review", error=ReviewSettingsError))

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain data (YAML-friendly numbers)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
