"""The needs scorecard: strength, capability and hard indicators per key account.

Workshop assessments give the strength and capability indicators (1 to 5, possibly several
assessors); the data inform two of them (payment behaviour → financial strength, order
pattern → logistics) and give the hard indicators. Each indicator of each account is set
against the key-account average and the best quartile; the gap is how far the account falls
short of the best quartile.

All functions are pure: they return new frames and never change the frames they are given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.contract import require_columns
from kamtools.formatting import count_text
from kamtools.stages.needs.settings import HARD_INDICATORS, LOWER_IS_BETTER, NeedsSettings

UNNAMED_ASSESSOR = "workshop"
"""The assessor of a score whose assessor was not recorded."""

PAYMENT_RECORD = "payment record"
ORDER_PATTERN = "order pattern"
DATA_ASSESSORS = (PAYMENT_RECORD, ORDER_PATTERN)
"""The data sources that score an indicator like one more assessor."""

SCORE_COLUMNS = ["customer_id", "indicator", "assessor", "source", "score", "when", "note"]
SCORECARD_COLUMNS = [
    "customer_id",
    "name",
    "family",
    "indicator",
    "unit",
    "score",
    "portfolio_average",
    "best_quartile",
    "gap",
    "assessors",
    "spread",
    "disagree",
    "notes",
]


class NeedsInputError(ValueError):
    """A frame given to the needs analysis lacks a column it needs."""


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    require_columns(frame, columns, table, error=NeedsInputError)


def _empty_scores() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in SCORE_COLUMNS})
    return frame.astype({"score": "float64", "when": "datetime64[ns]"})


def latest_scores(assessments: pd.DataFrame | None) -> pd.DataFrame:
    """The latest score of every assessor on every indicator of every customer.

    A workshop that corrects a score appends a new entry; the older one stays in the history
    but no longer counts. Entries are ordered by ``saved_at`` (the store's timestamp) where
    given, else by ``date``; entries of the same moment keep their order in the table, so the
    later row wins.

    Parameters
    ----------
    assessments : pandas.DataFrame or None
        Columns ``customer_id``, ``indicator``, ``score`` (1 to 5); optional ``assessor``
        (empty: :data:`UNNAMED_ASSESSOR`), ``date``, ``saved_at`` and ``note``.

    Returns
    -------
    pandas.DataFrame
        :data:`SCORE_COLUMNS`: one row per customer, indicator and assessor; ``source`` is
        "workshop", ``when`` the moment of the entry (NaT if unknown), ``note`` "" if none.
        Sorted by customer, indicator and assessor.
    """
    if assessments is None or len(assessments) == 0:
        return _empty_scores()
    _require(assessments, ["customer_id", "indicator", "score"], "assessments")
    n = len(assessments)

    def column(name: str) -> pd.Series:
        if name in assessments.columns:
            return assessments[name].reset_index(drop=True)
        return pd.Series([None] * n, dtype="object")

    assessor = column("assessor").astype("string").str.strip().fillna("").replace("", UNNAMED_ASSESSOR)
    when = pd.to_datetime(column("date"), errors="coerce")
    saved = pd.to_datetime(column("saved_at"), errors="coerce", utc=True).dt.tz_localize(None)
    long = pd.DataFrame(
        {
            "customer_id": column("customer_id").astype("str"),
            "indicator": column("indicator").astype("str").str.strip(),
            "assessor": assessor.astype("object"),
            "source": "workshop",
            "score": pd.to_numeric(column("score"), errors="coerce").astype("float64"),
            "when": saved.fillna(when).astype("datetime64[ns]"),
            "note": column("note").astype("string").fillna("").str.strip().astype("object"),
            "order": np.arange(n),
        }
    )
    long = long[long["score"].notna()]
    long = long.sort_values(["when", "order"], na_position="first", kind="stable")
    latest = long.drop_duplicates(["customer_id", "indicator", "assessor"], keep="last")
    latest = latest.sort_values(["customer_id", "indicator", "assessor"], kind="stable")
    return latest[SCORE_COLUMNS].reset_index(drop=True)


def _band_score(values: pd.Series, bands: Sequence[float]) -> pd.Series:
    """5 up to the first band, 4 up to the second, ... 1 beyond the last."""
    score = pd.Series(1.0, index=values.index)
    for points, limit in zip((2.0, 3.0, 4.0, 5.0), reversed(bands), strict=True):
        score = score.where(~(values <= limit), points)
    return score.where(values.notna())


def payment_scores(payments: pd.DataFrame | None, *, settings: NeedsSettings) -> pd.DataFrame:
    """Financial strength as the payment record shows it, scored 1 to 5.

    Parameters
    ----------
    payments : pandas.DataFrame or None
        The screening's payment behaviour: ``customer_id``, ``paid_invoices``,
        ``avg_days_late`` (amount-weighted days paid after the due date) and optional
        ``credit_use`` (open amount / credit limit).
    settings : NeedsSettings
        ``days_late_bands`` turn days late into points; over the credit limit costs a point.

    Returns
    -------
    pandas.DataFrame
        :data:`SCORE_COLUMNS` with indicator "financial_strength", assessor and source
        :data:`PAYMENT_RECORD`; the note says what the score rests on. Customers with fewer
        than three paid invoices are not scored.
    """
    if payments is None or len(payments) == 0:
        return _empty_scores()
    _require(payments, ["customer_id", "paid_invoices", "avg_days_late"], "payments")
    judged = payments[(payments["paid_invoices"] >= 3) & payments["avg_days_late"].notna()]
    days = judged["avg_days_late"].astype("float64")
    score = _band_score(days, settings.days_late_bands)
    over = (
        judged["credit_use"].astype("float64") > 1
        if "credit_use" in judged
        else pd.Series(False, index=judged.index)
    )
    score = (score - over.astype(float)).clip(lower=1)
    notes = [
        (
            "pays on time on average"
            if round(d) == 0
            else f"pays {count_text(round(d), 'day', 'days')} late on average"
        )
        + (", over the credit limit" if o else "")
        for d, o in zip(days, over, strict=True)
    ]
    return _data_scores(judged["customer_id"], "financial_strength", PAYMENT_RECORD, score, notes)


def order_pattern(
    sales: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    cost_to_serve: pd.DataFrame | None = None,
    period: int | None = None,
) -> pd.DataFrame:
    """How often each customer orders and how many deliveries an order takes.

    Parameters
    ----------
    sales : pandas.DataFrame
        Invoice lines: ``customer_id``, ``invoice_date``, ``net_sales``; optional
        ``invoice_id``. An order is an invoice with positive sales (without invoice ids: a
        day with positive sales).
    start, end : pandas.Timestamp
        The period looked at (both days included).
    cost_to_serve : pandas.DataFrame, optional
        When it gives ``orders`` (and ``deliveries``) for ``period``, those counts are used.
    period : int, optional
        Fiscal year of ``cost_to_serve`` rows to use.

    Returns
    -------
    pandas.DataFrame
        customer_id, orders, orders_per_week, deliveries_per_order (NaN without deliveries).
    """
    _require(sales, ["customer_id", "invoice_date", "net_sales"], "sales")
    dates = pd.to_datetime(sales["invoice_date"])
    inside = (dates >= start) & (dates <= end)
    lines = sales.loc[inside]
    key = lines["invoice_id"] if "invoice_id" in lines else dates[inside].dt.strftime("%Y-%m-%d")
    per_order = lines.groupby([lines["customer_id"].astype("str"), key.astype("str")])["net_sales"].sum()
    orders = (per_order > 0).groupby(level=0).sum().astype("float64")
    out = pd.DataFrame({"orders": orders, "deliveries": np.nan})
    if cost_to_serve is not None and len(cost_to_serve) and "orders" in cost_to_serve:
        rows = cost_to_serve if period is None else cost_to_serve[cost_to_serve["period"] == period]
        by_customer = rows.groupby(rows["customer_id"].astype("str"))
        given = by_customer["orders"].sum(min_count=1)
        out = out.reindex(out.index.union(given.index))
        out["orders"] = given.reindex(out.index).fillna(out["orders"])
        if "deliveries" in rows:
            out["deliveries"] = by_customer["deliveries"].sum(min_count=1).reindex(out.index)
    weeks = max((end - start).days + 1, 1) / 7
    out["orders_per_week"] = out["orders"] / weeks
    out["deliveries_per_order"] = (out["deliveries"] / out["orders"]).where(out["orders"] > 0)
    out.index.name = "customer_id"
    out = out[out["orders"] > 0].reset_index()
    return out[["customer_id", "orders", "orders_per_week", "deliveries_per_order"]]


def logistics_scores(pattern: pd.DataFrame | None, *, settings: NeedsSettings) -> pd.DataFrame:
    """Logistics capability as the order pattern shows it, scored 1 to 5.

    A customer who bundles orders weekly has storage and plans ahead; one who orders several
    times a week in small lots does not. Split deliveries (more deliveries than orders by
    ``split_delivery_ratio``) cost a point.

    Parameters
    ----------
    pattern : pandas.DataFrame or None
        :func:`order_pattern`'s result.
    settings : NeedsSettings
        ``orders_per_week_bands`` and ``split_delivery_ratio``.

    Returns
    -------
    pandas.DataFrame
        :data:`SCORE_COLUMNS` with indicator "logistics", assessor and source :data:`ORDER_PATTERN`.
    """
    if pattern is None or len(pattern) == 0:
        return _empty_scores()
    _require(pattern, ["customer_id", "orders_per_week", "deliveries_per_order"], "order pattern")
    per_week = pattern["orders_per_week"].astype("float64")
    split = pattern["deliveries_per_order"].astype("float64") > settings.split_delivery_ratio
    score = (_band_score(per_week, settings.orders_per_week_bands) - split.astype(float)).clip(lower=1)
    notes = [
        f"{w:.1f} orders a week" + (f", {d:.1f} deliveries per order" if s else "")
        for w, d, s in zip(per_week, pattern["deliveries_per_order"], split, strict=True)
    ]
    return _data_scores(pattern["customer_id"], "logistics", ORDER_PATTERN, score, notes)


def _data_scores(
    ids: pd.Series, indicator: str, source: str, score: pd.Series, notes: Sequence[str]
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ids.astype("str").to_numpy(),
            "indicator": indicator,
            "assessor": source,
            "source": "data",
            "score": score.astype("float64").to_numpy(),
            "when": pd.NaT,
            "note": list(notes),
        }
    )
    frame = frame[frame["score"].notna()].astype({"when": "datetime64[ns]"})
    return frame[SCORE_COLUMNS].sort_values("customer_id", kind="stable").reset_index(drop=True)


def _account_ids(accounts: pd.DataFrame) -> pd.DataFrame:
    _require(accounts, ["customer_id", "name"], "key accounts")
    out = accounts[["customer_id", "name"]].copy()
    out["customer_id"] = out["customer_id"].astype("str")
    return out.drop_duplicates("customer_id").reset_index(drop=True)


def _workshop_rows(accounts: pd.DataFrame, scores: pd.DataFrame, settings: NeedsSettings) -> pd.DataFrame:
    """Mean over assessors, their names, spread and notes per account and workshop indicator."""
    _require(scores, ["customer_id", "indicator", "assessor", "score"], "scores")
    wanted = scores[scores["indicator"].isin(list(settings.indicators))].copy()
    wanted["customer_id"] = wanted["customer_id"].astype("str")
    notes = wanted["note"] if "note" in wanted else pd.Series("", index=wanted.index)
    wanted["labelled_note"] = np.where(
        notes.fillna("").astype(str) != "", wanted["assessor"] + ": " + notes.fillna("").astype(str), ""
    )
    g = wanted.groupby(["customer_id", "indicator"], sort=False)
    summary = pd.DataFrame(
        {
            "score": g["score"].mean(),
            "assessors": g["assessor"].agg(lambda a: "; ".join(sorted(a))),
            "spread": g["score"].max() - g["score"].min(),
            "notes": g["labelled_note"].agg(lambda n: "; ".join(x for x in n if x)),
        }
    ).reset_index()
    grid = accounts.merge(pd.DataFrame({"indicator": list(settings.indicators)}), how="cross")
    rows = grid.merge(summary, on=["customer_id", "indicator"], how="left")
    rows["family"] = rows["indicator"].map(settings.indicators)
    rows["unit"] = "points"
    rows["assessors"] = rows["assessors"].fillna("")
    rows["notes"] = rows["notes"].fillna("")
    return rows


def _hard_rows(accounts: pd.DataFrame, hard: pd.DataFrame | None) -> pd.DataFrame:
    """The hard indicators of each account in their own unit (money or share of sales)."""
    values = pd.DataFrame({"customer_id": accounts["customer_id"]})
    if hard is not None and len(hard):
        _require(hard, ["customer_id"], "account profit")
        given = hard.assign(customer_id=hard["customer_id"].astype("str"))
        values = values.merge(given, on="customer_id", how="left")
    for indicator in HARD_INDICATORS:
        if indicator not in values:
            values[indicator] = np.nan
    long = values.melt(
        id_vars="customer_id", value_vars=list(HARD_INDICATORS), var_name="indicator", value_name="score"
    )
    rows = accounts.merge(long, on="customer_id", how="left")
    rows["family"] = "hard"
    rows["unit"] = rows["indicator"].map(HARD_INDICATORS)
    rows["assessors"] = np.where(rows["score"].notna(), "data", "")
    rows["spread"] = np.where(rows["score"].notna(), 0.0, np.nan)
    rows["notes"] = ""
    return rows


def scorecard(
    accounts: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    hard: pd.DataFrame | None = None,
    settings: NeedsSettings,
) -> pd.DataFrame:
    """Every indicator of every key account against the key-account average and best quartile.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The key accounts: ``customer_id``, ``name`` (screening's key_accounts output).
    scores : pandas.DataFrame
        :data:`SCORE_COLUMNS` rows: :func:`latest_scores` of the workshop, with
        :func:`payment_scores` and :func:`logistics_scores` where the data inform an
        indicator. The score of an indicator is the mean over its assessors (the data
        counting as one); scores of accounts that are not key accounts are ignored.
    hard : pandas.DataFrame, optional
        ``customer_id`` and the hard indicators :data:`HARD_INDICATORS` (sales, margin,
        cost_to_serve_share, contribution_margin), e.g. from :func:`account_profit`.
    settings : NeedsSettings
        The workshop indicators and their families; ``disagreement_spread``.

    Returns
    -------
    pandas.DataFrame
        :data:`SCORECARD_COLUMNS`, one row per account and indicator (workshop indicators in
        the order of ``settings.indicators``, then the hard ones), accounts in the given order.
        ``score`` is NaN where nobody assessed it (an account without assessments still has
        its rows). ``portfolio_average`` and ``best_quartile`` (75th percentile; 25th where
        lower is better) are over the key accounts with a score; ``gap`` is how far the score
        falls short of the best quartile (0 at or beyond it). ``spread`` is the highest minus
        the lowest assessor's score; ``disagree`` marks a spread of at least
        ``disagreement_spread``.
    """
    ids = _account_ids(accounts)
    rows = pd.concat([_workshop_rows(ids, scores, settings), _hard_rows(ids, hard)], ignore_index=True)
    by_indicator = rows.groupby("indicator")["score"]
    rows["portfolio_average"] = by_indicator.transform("mean")
    high = by_indicator.transform(lambda s: s.quantile(0.75))
    low = by_indicator.transform(lambda s: s.quantile(0.25))
    lower_better = rows["indicator"].isin(LOWER_IS_BETTER)
    rows["best_quartile"] = high.where(~lower_better, low)
    shortfall = (rows["best_quartile"] - rows["score"]).where(
        ~lower_better, rows["score"] - rows["best_quartile"]
    )
    rows["gap"] = shortfall.clip(lower=0)
    rows["disagree"] = rows["spread"].fillna(0) >= settings.disagreement_spread
    order = {name: i for i, name in enumerate([*settings.indicators, *HARD_INDICATORS])}
    account_order = {cid: i for i, cid in enumerate(ids["customer_id"])}
    rows = rows.sort_values(
        ["customer_id", "indicator"],
        key=lambda col: col.map(account_order if col.name == "customer_id" else order),
        kind="stable",
    )
    rows["spread"] = rows["spread"].astype("float64")
    return rows[SCORECARD_COLUMNS].reset_index(drop=True)


def missing_assessments(
    accounts: pd.DataFrame, scores: pd.DataFrame, *, settings: NeedsSettings
) -> pd.DataFrame:
    """The key accounts whose workshop scores are missing, and which ones.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``customer_id``, ``name``.
    scores : pandas.DataFrame
        :data:`SCORE_COLUMNS` rows; only ``source`` "workshop" counts as assessed.
    settings : NeedsSettings
        The indicators a workshop should score.

    Returns
    -------
    pandas.DataFrame
        customer_id, name, missing (number of unscored workshop indicators), indicators (their
        names, ", "-separated, in settings order), assessed (number scored); only accounts with
        something missing, in the given order.
    """
    ids = _account_ids(accounts)
    workshop = scores[scores["source"] == "workshop"] if "source" in scores else scores
    scored = set(zip(workshop["customer_id"].astype(str), workshop["indicator"], strict=True))
    rows = []
    for cid, name in zip(ids["customer_id"], ids["name"], strict=True):
        missing = [i for i in settings.indicators if (cid, i) not in scored]
        if missing:
            rows.append(
                (cid, name, len(missing), ", ".join(missing), len(settings.indicators) - len(missing))
            )
    frame = pd.DataFrame(rows, columns=["customer_id", "name", "missing", "indicators", "assessed"])
    return frame.astype({"customer_id": "str", "missing": "int64", "assessed": "int64"})
