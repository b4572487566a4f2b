"""What keeping customers is worth, from the client's own figures.

The often-quoted benchmark is Reichheld & Sasser, "Zero Defections: Quality Comes to Services",
Harvard Business Review 68(5), 1990: cutting defections by 5 percentage points lifted profits by
25 % to 85 %. Those figures came from case examples (a bank branch system, an insurance
brokerage, an auto-service chain, among others), not from a law that holds for every business;
:data:`REICHHELD_SASSER` keeps the range and :data:`REICHHELD_SASSER_CAVEAT` the sentence that
must stand beside it. The dealer's own figure comes from :func:`retention_economics`.

The model is deliberately simple so that it can be checked by hand: a customer with yearly
gross profit ``m`` who stays with probability ``r`` each year (``r`` = 1 - churn) is expected to
bring ``m · (r/(1+d) + r²/(1+d)² + ... + r^H/(1+d)^H)`` over the next ``H`` years at discount
rate ``d``; the first term is next year, after this year's churn has happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "REICHHELD_SASSER",
    "REICHHELD_SASSER_CAVEAT",
    "RetentionEconomics",
    "account_values",
    "expected_years",
    "retention_economics",
]

REICHHELD_SASSER = (0.25, 0.85)
"""Profit lift from 5 points fewer defections in Reichheld & Sasser (1990), low and high."""

REICHHELD_SASSER_CAVEAT = (
    "Reichheld and Sasser (Harvard Business Review, 1990) found that 5 points fewer defections lifted"
    " profits by 25% to 85% in the companies they studied: a bank branch system, an insurance"
    " brokerage and an auto-service chain among them. These are case examples, not a law; your own"
    " figure, computed from your customers' margins and churn, is the one to plan with."
)


def _check_rate(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction from 0 to 1, got {value!r}")
    return value


def expected_years(retention: float, *, horizon_years: int, discount_rate: float = 0.0) -> float:
    """Discounted expected years of margin a customer brings over the horizon.

    Parameters
    ----------
    retention : float
        Yearly probability that a customer stays (1 - churn rate), 0 to 1.
    horizon_years : int
        Years counted, at least 1.
    discount_rate : float
        Yearly discount rate, 0 to below 1.

    Returns
    -------
    float
        ``sum(retention**t / (1 + discount_rate)**t for t in 1..horizon_years)``.
    """
    retention = _check_rate(retention, "retention")
    if int(horizon_years) < 1:
        raise ValueError(f"horizon_years must be at least 1, got {horizon_years!r}")
    if not 0 <= float(discount_rate) < 1:
        raise ValueError(f"discount_rate must be from 0 to below 1, got {discount_rate!r}")
    t = np.arange(1, int(horizon_years) + 1)
    return float(np.sum((retention / (1 + float(discount_rate))) ** t))


@dataclass(frozen=True)
class RetentionEconomics:
    """The profit at stake in churn, for one group of customers.

    Attributes
    ----------
    customers : int
        Customers in the group.
    yearly_margin : float
        Their gross profit in the reviewed period.
    churn_rate, improved_churn_rate : float
        Churn as measured, and ``reduction`` points lower (not below 0).
    horizon_years : int
    discount_rate : float
    base_value : float
        Expected gross profit of today's customers over the horizon at the measured churn.
    improved_value : float
        The same with churn ``reduction`` points lower.
    extra_profit : float
        improved_value - base_value: what the lower churn is worth.
    profit_lift : float
        extra_profit / base_value, to set beside :data:`REICHHELD_SASSER`.
    """

    customers: int
    yearly_margin: float
    churn_rate: float
    improved_churn_rate: float
    horizon_years: int
    discount_rate: float
    base_value: float
    improved_value: float
    extra_profit: float
    profit_lift: float


def retention_economics(
    margins: pd.Series,
    *,
    churn_rate: float,
    reduction: float = 0.05,
    horizon_years: int = 5,
    discount_rate: float = 0.08,
) -> RetentionEconomics:
    """The profit the dealer would make over the horizon if churn were ``reduction`` points lower.

    Parameters
    ----------
    margins : pandas.Series
        Yearly gross profit of each customer of the group (e.g. the key accounts active at the
        end of the period); losses count as they are.
    churn_rate : float
        The group's measured yearly churn (e.g. from
        :func:`kamtools.analytics.cohorts.churn_by_period`).
    reduction : float
        Points of churn removed in the "what if" (0.05 = five points).
    horizon_years : int
        Years counted.
    discount_rate : float
        Yearly discount rate.

    Returns
    -------
    RetentionEconomics
    """
    churn = _check_rate(churn_rate, "churn_rate")
    improved = max(churn - _check_rate(reduction, "reduction"), 0.0)
    total = float(pd.Series(margins, dtype="float64").fillna(0.0).sum())
    base = total * expected_years(1 - churn, horizon_years=horizon_years, discount_rate=discount_rate)
    better = total * expected_years(1 - improved, horizon_years=horizon_years, discount_rate=discount_rate)
    return RetentionEconomics(
        customers=len(margins),
        yearly_margin=total,
        churn_rate=churn,
        improved_churn_rate=improved,
        horizon_years=int(horizon_years),
        discount_rate=float(discount_rate),
        base_value=base,
        improved_value=better,
        extra_profit=better - base,
        profit_lift=(better - base) / base if base > 0 else float("nan"),
    )


def account_values(
    margins: pd.Series, *, retention: float, horizon_years: int = 5, discount_rate: float = 0.08
) -> pd.Series:
    """Expected gross profit of each account over the horizon if it stays like a typical account.

    The value of keeping an at-risk account: its yearly gross profit times the expected years at
    the group's retention (:func:`expected_years`). Accounts that lose money are worth 0 here,
    not a negative amount (keeping them is a pricing question, not a retention one).

    Parameters
    ----------
    margins : pandas.Series
        Yearly gross profit per account (index: customer_id).
    retention : float
        Yearly retention of the group the accounts belong to.
    horizon_years, discount_rate
        As in :func:`retention_economics`.

    Returns
    -------
    pandas.Series
        Same index as ``margins``, named ``value_at_risk``.
    """
    years = expected_years(retention, horizon_years=horizon_years, discount_rate=discount_rate)
    values = pd.Series(margins, dtype="float64").clip(lower=0) * years
    return values.rename("value_at_risk")
