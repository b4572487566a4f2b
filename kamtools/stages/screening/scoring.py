"""Scoring and tiers: criterion scores, the composite score, gates, growth signals and reasons.

Size leads: sales and gross profit score in money against the last key-account place
(:func:`size_points`); margin is judged against customers of similar size (:func:`peer_margin`);
growth counts on a meaningful base; payment, purchase history and management are percentile
ranks. The weighted scores give a composite from 0 to 100. Gates exclude customers from the key
list whatever their score (loss-making, price-pressed, costing more to serve than they earn,
paying very late); every exclusion and every tier comes with a readable reason (:mod:`.reasons`).
:func:`screen_period` runs metrics, payment behaviour, workshop scores and scoring for one period.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamtools.analytics import is_buying
from kamtools.periods import ComparisonWindow, DataHistory, comparison_window, data_history
from kamtools.stages.screening.metrics import customer_metrics, qualitative_scores, screening_sales
from kamtools.stages.screening.payments import _by_customer, payment_data_available, period_payments
from kamtools.stages.screening.reasons import (
    exclusion_texts,
    gate_table,
    joined_keys,
    signal_table,
    tier_reasons,
)
from kamtools.stages.screening.settings import (
    CRITERIA,
    ScreeningInputError,
    ScreeningSettings,
    SettingsError,
    key_account_count,
    require_input,
)

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


def size_points(
    values: pd.Series, *, reference_rank: int, floor_multiple: float = 4.0, reference_score: float = 0.75
) -> pd.Series:
    """Size score from 0 to 1 in money, led by the last key-account place.

    The customer at position ``reference_rank`` of the positive values, largest first (the last
    key-account place), scores ``reference_score``; the largest customer scores 1; the one at
    ``floor_multiple`` times that position, and every smaller one, score 0. Between these
    points the score rises on a log scale, so each doubling in size is worth the same within a
    segment. A percentile rank would put the 11th and the 90th largest customer close together;
    here a customer a third the size of the last key place scores about 0.15, not 0.9, so size
    leads and the other criteria only order customers of similar size, while the largest
    customers keep a lead over the last key place. Zero or negative values score 0; NaN stays NaN.

    Parameters
    ----------
    values : pandas.Series
        Money per customer (sales, gross profit or contribution).
    reference_rank : int
        Position (1 = largest) that scores ``reference_score``; the key-account count.
    floor_multiple : float
        The score is 0 from position ``reference_rank * floor_multiple`` on (above 1).
    reference_score : float
        Score of the customer at ``reference_rank`` (between 0 and 1).

    Returns
    -------
    pandas.Series
        Scores from 0 to 1, same index as ``values``.
    """
    raw = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        amount = np.where(raw > 0, raw, np.nan)
    positive = np.sort(amount[~np.isnan(amount)])[::-1]  # numpy throughout: a re-rank runs it often
    if positive.size == 0:
        return pd.Series(np.where(np.isnan(raw), np.nan, 0.0), index=values.index)
    count = positive.size
    reference_rank = max(reference_rank, 1)
    largest = float(positive[0])
    reference = float(positive[min(reference_rank, count) - 1])
    floor = float(positive[min(math.ceil(reference_rank * floor_multiple), count) - 1])
    if not floor < reference:
        floor = reference / 10  # too few customers for a range: a tenfold step below the reference
    # When the reference is the largest customer (one key place), it is also the top score.
    at_reference = reference_score if largest > reference else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = at_reference * np.log(amount / floor) / np.log(reference / floor)
        upper = np.ones(len(raw))
        if largest > reference:
            upper = reference_score + (1 - reference_score) * np.log(amount / reference) / np.log(
                largest / reference
            )
        score = np.where(
            amount <= reference, np.where(lower < 0, 0.0, lower), np.where(upper > 1.0, 1.0, upper)
        )
    score = np.where(np.isnan(amount), 0.0, score)
    return pd.Series(np.where(np.isnan(raw), np.nan, score), index=values.index)


def peer_margin(sales: pd.Series, margin: pd.Series, *, peers: int = 100) -> pd.Series:
    """Median margin of the ``peers`` customers closest in sales to each customer.

    Large customers earn lower margins than small ones at every dealer (volume discounts), so a
    margin is judged against customers of similar size, not against all buyers: the largest
    customer's peers are the ``peers`` largest, a middle customer's the ``peers`` around it by
    sales rank. Customers without positive sales or without a margin get NaN and are not
    anyone's peers.

    Parameters
    ----------
    sales, margin : pandas.Series
        Sales and margin (fraction) per customer, same index.
    peers : int
        Size of the comparison group (all customers with a margin when there are fewer).

    Returns
    -------
    pandas.Series
        The peers' median margin, same index.
    """
    known = margin.notna() & (sales > 0)
    ordered = margin[known].reindex(sales[known].sort_values(ascending=False, kind="stable").index)
    count = len(ordered)
    if count == 0:
        return pd.Series(np.nan, index=sales.index, dtype="float64")
    width = min(peers, count)
    trailing = ordered.rolling(width, min_periods=1).median().to_numpy()
    start = np.clip(np.arange(count) - width // 2, 0, count - width)
    return pd.Series(trailing[start + width - 1], index=ordered.index).reindex(sales.index).astype("float64")


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
    return _weights(settings, _missing_criteria(metrics, payments=payments, qualitative=qualitative))


def _missing_criteria(
    metrics: pd.DataFrame, *, payments: pd.DataFrame | None, qualitative: pd.DataFrame | None
) -> dict[str, str]:
    """The criteria the data cannot support, to the reason (see :func:`effective_weights`)."""
    buying = metrics[is_buying(metrics)]
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
    return missing


def _weights(
    settings: ScreeningSettings, missing: Mapping[str, str]
) -> tuple[dict[str, float], dict[str, str]]:
    """The weights of ``settings`` without the ``missing`` criteria, scaled to sum to 1."""
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
    require_input(cost_to_serve, ["customer_id", "period"], "cost_to_serve")
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


def _labelled(index: pd.Index, conditions: list[np.ndarray], labels: list[str], default: str) -> pd.Series:
    """``numpy.select(conditions, labels, default)`` as a "str" Series, taken from the few labels
    by code (converting an array of 50,000 strings to Arrow takes ten times longer)."""
    codes = np.select(conditions, list(range(len(labels))), default=len(labels))
    return pd.Series(pd.array([*labels, default], dtype="str").take(codes), index=index)


def _static_scores(act: pd.DataFrame, *, floor: float) -> pd.DataFrame:
    """The criterion scores from 0 to 1 of the buying customers ``act`` that no weight, gate or
    key count changes: margin, payment, growth, purchase history, management (see score_customers)."""
    scores = pd.DataFrame(index=act.index)

    def neutral(score: pd.Series) -> pd.Series:
        return score.fillna(score.mean() if score.notna().any() else 0.5)

    scores["margin"] = _percentile(act["margin_gap"]).fillna(0.0)
    payment_parts = pd.concat(
        [1 - _percentile(act["avg_days_late"]), 1 - _percentile(act["late_share"])], axis=1
    )
    scores["payment"] = neutral(payment_parts.mean(axis=1))
    # Growth on a meaningful base only: +3,859% from a few hundred is not a signal.
    scores["growth"] = neutral(_percentile(act["growth_pct"].where(act["previous_sales"] >= floor)))
    history_parts = [_percentile(act["frequency"].astype("float64")), 1 - _percentile(act["recency_days"])]
    history_parts += [_percentile(act[c]) for c in ("variety", "trend") if act[c].notna().any()]
    scores["purchase_history"] = pd.concat(history_parts, axis=1).mean(axis=1).fillna(0.0)
    scores["management"] = neutral(_percentile(act["qualitative_mean"]))
    return scores


def score_customers(
    metrics: pd.DataFrame,
    *,
    settings: ScreeningSettings | None = None,
    window: ComparisonWindow | None = None,
    payments: pd.DataFrame | None = None,
    qualitative: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
    first_buyer_label: str = "new customer",
) -> pd.DataFrame:
    """Score, gate and tier every customer, with a readable reason for each.

    Size leads. Sales and gross profit (contribution after cost to serve when known) score in
    money (:func:`size_points`: full from the last key place up, zero below ``size_floor_multiple``
    times it, log scale between). Margin is judged against customers of similar size: the
    score is the percentile rank of the gap to the peers' median margin (:func:`peer_margin`),
    so a large customer earning the normal margin of large customers scores in the middle, not
    near zero against small customers' list-price margins. Growth is the percentile rank of
    sales growth among customers with a meaningful base (previous sales at least the growth
    floor); the others are percentile ranks: payment (mean of the inverted ranks of days late
    and late share); purchase history (mean of the ranks of frequency, recency inverted,
    variety and trend); management (rank of the mean workshop score). A customer without
    workshop scores, without invoices or without a meaningful base gets the mean score of the
    others on that criterion, so it is neither punished nor rewarded; other missing values
    (margin of a customer without positive sales) score 0. Criteria the data cannot support
    are dropped and the other weights renormalised (:func:`effective_weights`);
    ``attrs["dropped_criteria"]`` and ``attrs["weights"]`` of the result say which.

    Tiers of this period alone: customers that did not buy are "inactive"; a failed gate
    (:data:`GATES`: loss-making, price-pressed against peers, costing more to serve than they
    earn, paying late) makes a buying customer "review"; the ``key_account_count`` best
    eligible customers by composite (ties: larger sales, then id) are "key"; other eligible
    customers with a growth signal are "growth" (sales at least the floor and not falling, and
    growth >= ``growth_min_growth_pct`` on a meaningful base, share of wallet still elsewhere
    >= ``growth_min_headroom_share``, or mean workshop score >= ``growth_min_qualitative``);
    the rest "maintain". :func:`~kamtools.stages.screening.selection.final_tiers` then applies
    what needs last period (at-risk accounts, the retention band) and the growth list's cap.

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
    first_buyer_label : str
        How reasons name a customer first seen in the current window: "new customer", or "no
        earlier history" when the data begin at the previous period
        (:func:`~kamtools.periods.data_history`).

    Returns
    -------
    pandas.DataFrame
        The columns of ``metrics`` plus payment_invoices, avg_days_late, late_share,
        open_overdue_amount, credit_use, qualitative_mean, wallet, share_of_wallet (annualised
        sales / wallet), headroom_share (1 − share_of_wallet, clipped to 0..1), cost_to_serve,
        contribution (gross_profit − cost_to_serve), peer_margin (:func:`peer_margin`),
        margin_gap (margin_pct − peer_margin), sales_rank (1 = largest buying customer),
        ``score_<criterion>`` for each of
        :data:`CRITERIA` (NaN when dropped or not buying), composite (0 to 100), exclusion
        (the failed gates in words, "" when none), failed_gates (their keys in :data:`GATES`,
        joined by ";"), eligible (bool), growth_signals (keys of :data:`GROWTH_SIGNALS` found,
        joined by ";"), tier, rank (by composite among buying customers, 1 = best; <NA> for the
        others) and reason. Same row order as ``metrics``.
    """
    settings = settings or ScreeningSettings()
    basis = _scoring_basis(
        metrics,
        settings=settings,
        window=window,
        payments=payments,
        qualitative=qualitative,
        market=market,
        cost_to_serve=cost_to_serve,
        first_buyer_label=first_buyer_label,
    )
    return score_from_basis(basis, settings=settings)


SCORED_INPUT_COLUMNS: tuple[str, ...] = (
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
)
"""The columns of :func:`customer_metrics` that :func:`score_customers` needs."""


def _context_columns(
    ids: pd.Series,
    *,
    payments: pd.DataFrame | None,
    qualitative: pd.DataFrame | None,
    market: pd.DataFrame | None,
) -> dict[str, Any]:
    """Payment behaviour, workshop score and wallet of the customers ``ids`` (NaN where unknown)."""
    columns: dict[str, Any] = {}
    pay = payments.set_index(payments["customer_id"].astype("str")) if payments is not None else None
    for column, source in (
        ("payment_invoices", "invoices"),
        ("avg_days_late", "avg_days_late"),
        ("late_share", "late_share"),
        ("open_overdue_amount", "open_overdue_amount"),
        ("credit_use", "credit_use"),
    ):
        columns[column] = ids.map(pay[source]).astype("float64") if pay is not None and len(pay) else np.nan
    if qualitative is not None and len(qualitative) and "qualitative_mean" in qualitative:
        qual = qualitative.set_index(qualitative["customer_id"].astype("str"))["qualitative_mean"]
        columns["qualitative_mean"] = ids.map(qual).astype("float64")
    else:
        columns["qualitative_mean"] = np.nan
    if market is not None and len(market):
        require_input(market, ["customer_id", "wallet"], "market")
        columns["wallet"] = ids.map(_by_customer(market, "wallet"))
    else:
        columns["wallet"] = np.nan
    return columns


BASIS_SETTINGS: tuple[str, ...] = ("cost_driver_rates", "margin_peers", "growth_sales_floor_quantile")
"""The settings a :class:`ScoringBasis` is computed with; every other one (weights, gates, key
count, growth rules) acts only in :func:`score_from_basis`."""


@dataclass(frozen=True)
class ScoringBasis:
    """What :func:`score_customers` computes before any weight, gate or key count acts.

    The per-customer context (payment behaviour, workshop score, wallet, cost to serve, peer
    margin, sales rank), the criterion scores that no workshop control changes, the growth
    floor and the tie-break order. Made once (:func:`~kamtools.stages.screening.rerank.period_basis`);
    :func:`score_from_basis` then weighs, gates and tiers it in column operations, so a workshop
    re-ranks without recomputing any metric.

    Attributes
    ----------
    frame : pandas.DataFrame
        The columns of ``metrics`` plus the context columns, peer_margin, margin_gap, sales_rank.
    buying : numpy.ndarray of bool
        The customers that bought in the current window.
    criteria : pandas.DataFrame
        Scores of the buying customers (their index) for margin, payment, growth,
        purchase_history and management.
    size : pandas.DataFrame
        Sales and profit (contribution, else gross profit) of the buying customers, for
        :func:`size_points`, which depends on the key count.
    missing : mapping
        Criteria the data cannot support, to the reason (see :func:`effective_weights`).
    floor, annualise : float
        The growth sales floor and the factor from the window's sales to a year's.
    tiebreak : numpy.ndarray
        Row positions ordered by sales (largest first), then customer id.
    first_buyer_label : str
        How reasons name a customer first seen in the current window.
    settings : ScreeningSettings
        The settings it was made with (only :data:`BASIS_SETTINGS` matter).
    """

    frame: pd.DataFrame
    buying: np.ndarray
    criteria: pd.DataFrame
    size: pd.DataFrame
    missing: Mapping[str, str]
    floor: float
    annualise: float
    tiebreak: np.ndarray
    first_buyer_label: str
    settings: ScreeningSettings

    def fits(self, settings: ScreeningSettings) -> bool:
        """Whether ``settings`` agree with the basis' own on every one of :data:`BASIS_SETTINGS`."""
        return all(getattr(settings, name) == getattr(self.settings, name) for name in BASIS_SETTINGS)


def _scoring_basis(
    metrics: pd.DataFrame,
    *,
    settings: ScreeningSettings,
    window: ComparisonWindow | None,
    payments: pd.DataFrame | None,
    qualitative: pd.DataFrame | None,
    market: pd.DataFrame | None,
    cost_to_serve: pd.DataFrame | None,
    first_buyer_label: str,
) -> ScoringBasis:
    """The part of :func:`score_customers` that no weight, gate or key count changes.

    The inputs are those of :func:`score_customers` (for a period already screened:
    :func:`~kamtools.stages.screening.rerank.period_basis`); of ``settings`` only
    :data:`BASIS_SETTINGS` are used here.
    """
    require_input(metrics, SCORED_INPUT_COLUMNS, "metrics")
    buying = is_buying(metrics).to_numpy()
    n_buying = int(buying.sum())
    if n_buying == 0:
        warnings.warn(
            "no customer bought in the current window: nothing to screen", UserWarning, stacklevel=3
        )
    annualise = 365.25 / window.current_days if window is not None else 1.0
    out = metrics.copy()
    ids = out["customer_id"].astype("str")
    for column, values in _context_columns(
        ids, payments=payments, qualitative=qualitative, market=market
    ).items():
        out[column] = values
    out["share_of_wallet"] = (out["sales"].clip(lower=0) * annualise / out["wallet"]).where(out["wallet"] > 0)
    out["headroom_share"] = (1 - out["share_of_wallet"]).clip(0, 1)
    period = window.current if window is not None else None
    out["cost_to_serve"] = ids.map(_cost_to_serve(cost_to_serve, period=period, settings=settings)).astype(
        "float64"
    )
    out["contribution"] = out["gross_profit"] - out["cost_to_serve"]
    floor = (
        float(out.loc[buying, "sales"].quantile(settings.growth_sales_floor_quantile)) if n_buying else np.inf
    )
    out["peer_margin"] = np.nan
    out.loc[buying, "peer_margin"] = peer_margin(
        out.loc[buying, "sales"], out.loc[buying, "margin_pct"], peers=settings.margin_peers
    )
    out["margin_gap"] = out["margin_pct"] - out["peer_margin"]
    out["sales_rank"] = out["sales"].where(buying).rank(method="first", ascending=False).astype("Int64")
    act = out[buying]
    return ScoringBasis(
        frame=out,
        buying=buying,
        criteria=_static_scores(act, floor=floor),
        size=pd.DataFrame({"sales": act["sales"], "profit": act["contribution"].fillna(act["gross_profit"])}),
        missing=_missing_criteria(metrics, payments=payments, qualitative=qualitative),
        floor=floor,
        annualise=annualise,
        tiebreak=_key_order(out),
        first_buyer_label=first_buyer_label,
        settings=settings,
    )


def _weighted_scores(
    basis: ScoringBasis, *, weights: Mapping[str, float], settings: ScreeningSettings, n_key: int
) -> dict[str, np.ndarray]:
    """The ``score_<criterion>`` columns (NaN where not buying or not weighted) and the composite."""
    size = {"reference_rank": max(n_key, 1), "floor_multiple": settings.size_floor_multiple}
    scores = {
        "sales": size_points(basis.size["sales"], **size),
        "gross_profit": size_points(basis.size["profit"], **size).fillna(0.0),
        **{criterion: basis.criteria[criterion] for criterion in basis.criteria.columns},
    }
    columns = {}
    for criterion in CRITERIA:
        column = np.full(len(basis.buying), np.nan)
        if criterion in weights:
            column[basis.buying] = scores[criterion].to_numpy(dtype="float64")
        columns[f"score_{criterion}"] = column
    used = list(weights)
    # Column-major, as a frame's values are: the weighted sum adds up in the same order.
    matrix = np.vstack([scores[c].to_numpy(dtype="float64") for c in used]).T
    composite = np.full(len(basis.buying), np.nan)
    composite[basis.buying] = _composite(matrix, np.array([weights[c] for c in used]))
    columns["composite"] = composite
    return columns


def score_from_basis(
    basis: ScoringBasis, *, settings: ScreeningSettings, reasons: bool = True
) -> pd.DataFrame:
    """Weigh, gate and tier a :class:`ScoringBasis`: the output of :func:`score_customers`.

    Every step is a column operation (weights on the cached criterion scores, gates and growth
    signals by :func:`~kamtools.stages.screening.reasons.gate_table` and
    :func:`~kamtools.stages.screening.reasons.signal_table`); only the words are written per row.

    Parameters
    ----------
    basis : ScoringBasis
        From :func:`~kamtools.stages.screening.rerank.period_basis`.
    settings : ScreeningSettings
        Weights, gates, key count and growth rules; :data:`BASIS_SETTINGS` must be the basis' own.
    reasons : bool
        Write ``exclusion`` and ``reason`` for every customer (the report's tables). False leaves
        both columns out, for a re-rank that writes words only for the rows it shows
        (:func:`~kamtools.stages.screening.reasons.tier_reasons`).

    Returns
    -------
    pandas.DataFrame
        As :func:`score_customers` (without exclusion and reason when ``reasons`` is False).

    Raises
    ------
    ValueError
        ``settings`` differ from the basis' on one of :data:`BASIS_SETTINGS`.
    SettingsError
        No criterion with a positive weight is left.
    """
    if not basis.fits(settings):
        raise ValueError(f"the scoring basis was made with other settings ({', '.join(BASIS_SETTINGS)})")
    frame, buying = basis.frame, basis.buying
    n_buying = int(buying.sum())
    weights, dropped = _weights(settings, basis.missing)
    n_key = key_account_count(n_buying, settings=settings)
    columns: dict[str, Any] = _weighted_scores(basis, weights=weights, settings=settings, n_key=n_key)
    margin_known = bool(frame["gross_profit"].notna().any())
    gates = gate_table(frame, buying, settings=settings, margin_known=margin_known)
    eligible = buying & ~gates.to_numpy().any(axis=1)
    if 0 < eligible.sum() < n_key:
        warnings.warn(
            f"only {int(eligible.sum())} customers pass the gates for {n_key} key-account places:"
            " all of them become key accounts",
            UserWarning,
            stacklevel=3,
        )
    composite = columns["composite"]
    order = _ranked(composite, basis.tiebreak, buying)  # the eligible in the same order: filter it
    key = np.zeros(len(frame), dtype=bool)
    key[order[eligible[order]][:n_key]] = True
    signals = signal_table(frame, buying, settings=settings, floor=basis.floor, annualise=basis.annualise)
    growth_tier = eligible & ~key & signals.to_numpy().any(axis=1)
    rank = np.zeros(len(frame), dtype="int64")
    rank[order] = np.arange(1, n_buying + 1)
    columns["failed_gates"] = joined_keys(gates)
    columns["eligible"] = eligible
    columns["growth_signals"] = joined_keys(signals)
    columns["tier"] = _labelled(
        frame.index,
        [~buying, ~eligible, key, growth_tier],
        ["inactive", "review", "key", "growth"],
        "maintain",
    )
    columns["rank"] = pd.Series(pd.arrays.IntegerArray(rank, ~buying), index=frame.index)
    out = pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)
    if reasons:
        out.insert(out.columns.get_loc("failed_gates"), "exclusion", exclusion_texts(out, settings=settings))
        out["reason"] = tier_reasons(
            out, settings=settings, buying_customers=n_buying, first_buyer_label=basis.first_buyer_label
        )
    out.attrs = {
        "weights": weights,
        "dropped_criteria": dropped,
        "key_accounts": n_key,
        "sales_floor": basis.floor,
    }
    return out


# --------------------------------------------------------------------------------------------
# One period end to end


def first_buyer_label(history: DataHistory | None) -> str:
    """How reasons name a customer first seen in the current window: "new customer", or "no
    earlier history" when the data begin at the previous period (nothing says it is new)."""
    return "new customer" if history is None or history.can_call_new else "no earlier history"


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
    history: DataHistory | None = None

    @property
    def key_accounts(self) -> pd.DataFrame:
        """The key accounts, best first."""
        return self.scored[self.scored["tier"] == "key"].sort_values("rank", ignore_index=True)


def period_window(
    sales: pd.DataFrame, *, start_month: int, period: int, data_end: pd.Timestamp | None = None
) -> ComparisonWindow:
    """The window :func:`screen_period` screens ``period`` on, against ``period - 1`` (see
    :func:`~kamtools.periods.comparison_window`: like for like when the data end early)."""
    years = {"current": period, "previous": period - 1}
    return comparison_window(sales["invoice_date"], **years, start_month=start_month, data_end=data_end)


def screen_period(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    start_month: int,
    period: int | None = None,
    window: ComparisonWindow | None = None,
    settings: ScreeningSettings | None = None,
    data_end: pd.Timestamp | None = None,
    metrics: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
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
    data_end : pandas.Timestamp, optional
        Where the export ends (client.yml ``periods.data_end``), passed to
        :func:`~kamtools.periods.comparison_window` with ``period``.
    metrics : pandas.DataFrame, optional
        The window's :func:`customer_metrics` when the caller has them already (e.g. both
        periods' from one pass, :func:`customer_metrics_by_window`); computed here otherwise.
    payments : pandas.DataFrame, optional
        The window's :func:`payment_behaviour` (judged at its end, invoices of its last year,
        ``settings.grace_days``) when the caller has it already (e.g. both periods' from one
        reading, :func:`payment_behaviour_by_window`); computed here otherwise.

    Returns
    -------
    PeriodScreening
    """
    if (period is None) == (window is None):
        raise ValueError("give exactly one of period and window")
    settings = settings or ScreeningSettings()
    sales = screening_sales(tables)
    if window is None:
        window = period_window(sales, start_month=start_month, period=period, data_end=data_end)
    customers = tables.get("customers")
    history = data_history(sales["invoice_date"], window=window)
    if metrics is None:
        metrics = customer_metrics(sales, customers=customers, window=window)
    if payments is None:
        [payments] = period_payments(tables, windows=[window], settings=settings)
    qualitative = qualitative_scores(tables.get("assessments"), indicators=settings.qualitative_indicators)
    scored = score_customers(
        metrics,
        settings=settings,
        window=window,
        payments=payments,
        qualitative=qualitative,
        market=tables.get("market"),
        cost_to_serve=tables.get("cost_to_serve"),
        first_buyer_label=first_buyer_label(history),
    )
    return PeriodScreening(
        window=window,
        metrics=metrics,
        payments=payments,
        qualitative=qualitative,
        scored=scored,
        weights=dict(scored.attrs["weights"]),
        dropped=dict(scored.attrs["dropped_criteria"]),
        history=history,
    )
