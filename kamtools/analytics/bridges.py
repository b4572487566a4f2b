"""Revenue bridges: how sales got from last period to this one.

Two generic decompositions that the review (and any portfolio view) uses:

* :func:`gain_loss` and :func:`bridge_steps`: the gain-loss bridge. Every customer (or, within
  one account, every product category) is new, lost, growing or declining; the steps from last
  period's total to this period's add up to the change exactly.
* :func:`price_volume_mix`: the change of sales split into a volume, a mix and a price effect
  from quantities and amounts per item.

Amounts are added up in whole cents, so the components of a bridge add up to its total to the
cent, not merely to within floating-point noise. All functions are pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.contract import require_columns

__all__ = ["BRIDGE_COMPONENTS", "Window", "bridge_steps", "gain_loss", "price_volume_mix", "window_sums"]

Window = tuple[pd.Timestamp, pd.Timestamp]
"""An inclusive ``(first day, last day)`` pair."""

BRIDGE_COMPONENTS = ("new", "lost", "growth", "decline", "other")
"""How an entity moved between two windows. ``other``: no purchase in either window, only
credit notes or returns (a change that belongs to neither a buying nor a lost customer)."""


def _cents(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype="float64") * 100).astype("int64")


def _keys(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def window_sums(
    lines: pd.DataFrame,
    *,
    by: str | Sequence[str],
    windows: dict[str, Window],
    values: Sequence[str] = ("net_sales",),
    date: str = "invoice_date",
) -> pd.DataFrame:
    """Sum columns of invoice lines per key and window.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines with the ``by`` columns, ``date`` and every column of ``values``.
    by : str or sequence of str
        Key column(s), e.g. ``"customer_id"`` or ``["customer_id", "category"]``.
    windows : dict of str to (Timestamp, Timestamp)
        Named inclusive windows, e.g. ``{"previous": (...), "current": (...)}``.
    values : sequence of str
        Columns to add up.
    date : str
        Date column deciding the window of a line.

    Returns
    -------
    pandas.DataFrame
        One row per key seen in any window, the key columns then ``<value>_<window>`` for each
        value and window (0 where nothing), sorted by key.
    """
    keys = _keys(by)
    require_columns(lines, [*keys, date, *values], "invoice lines")
    dates = pd.to_datetime(lines[date])
    parts = []
    for name, (start, end) in windows.items():
        inside = lines[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
        sums = inside.groupby(keys, sort=True, observed=True)[list(values)].sum()
        parts.append(sums.rename(columns={v: f"{v}_{name}" for v in values}))
    if not parts:
        return pd.DataFrame(columns=keys)
    joined = pd.concat(parts, axis=1).fillna(0.0)
    columns = [f"{v}_{name}" for v in values for name in windows]
    for column in columns:
        if column not in joined.columns:
            joined[column] = 0.0
    return joined[columns].sort_index().reset_index()


def gain_loss(
    lines: pd.DataFrame,
    *,
    previous: Window,
    current: Window,
    by: str | Sequence[str] = "customer_id",
    value: str = "net_sales",
    date: str = "invoice_date",
) -> pd.DataFrame:
    """Classify each customer (or item) as new, lost, growing or declining between two windows.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines with ``by``, ``date`` and ``value`` columns (credit notes negative).
    previous, current : (Timestamp, Timestamp)
        Inclusive first and last day of last period's and this period's window.
    by : str or sequence of str
        What moves: ``"customer_id"`` for the dealer's bridge, ``["customer_id", "category"]``
        for one bridge per account over its product categories.
    value : str
        The amount bridged (``net_sales``, or a gross-profit column).
    date : str
        Date column of the lines.

    Returns
    -------
    pandas.DataFrame
        One row per key: the ``by`` columns, ``previous``, ``current``, ``change`` (current
        minus previous) and ``component``: ``new`` (nothing positive before, positive now),
        ``lost`` (positive before, nothing positive now), ``growth`` / ``decline`` (positive in
        both; ``growth`` includes no change) or ``other`` (positive in neither: returns only).
    """
    keys = _keys(by)
    sums = window_sums(
        lines, by=keys, windows={"previous": previous, "current": current}, values=[value], date=date
    )
    before = sums[f"{value}_previous"].round(2)
    now = sums[f"{value}_current"].round(2)
    bought_before, buys_now = before > 0, now > 0
    component = np.select(
        [bought_before & buys_now & (now >= before), bought_before & buys_now, buys_now, bought_before],
        ["growth", "decline", "new", "lost"],
        "other",
    )
    return pd.DataFrame(
        {
            **{k: sums[k] for k in keys},
            "previous": before,
            "current": now,
            "change": (_cents(now) - _cents(before)) / 100,
            "component": pd.Categorical(component, categories=BRIDGE_COMPONENTS),
        }
    )


def bridge_steps(moves: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The steps of a gain-loss bridge: last period's total, each component, this period's total.

    Parameters
    ----------
    moves : pandas.DataFrame
        The result of :func:`gain_loss` (columns ``previous``, ``current``, ``change``,
        ``component``).
    by : str or sequence of str, optional
        Columns to build one bridge for each of (e.g. ``"customer_id"`` on a per-account
        category bridge); None builds one bridge over all rows.

    Returns
    -------
    pandas.DataFrame
        Per bridge, rows ``step`` = ``previous``, ``new``, ``lost``, ``growth``, ``decline``,
        ``other``, ``current`` with ``amount`` (the totals, and each component's change: lost
        and decline are negative) and ``count`` (rows in the component). The amounts are summed
        in cents, so ``previous`` plus the five components equals ``current`` to the cent.
    """
    keys = [] if by is None else _keys(by)
    frame = moves.assign(_previous=_cents(moves["previous"]), _current=_cents(moves["current"]), _change=0)
    frame["_change"] = frame["_current"] - frame["_previous"]
    groups = frame.groupby(keys, sort=True, observed=True) if keys else [((), frame)]
    rows = []
    for key, group in groups:
        key_values = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        component = group["component"].astype(str)
        bought_before = int(component.isin(["growth", "decline", "lost"]).sum())
        buys_now = int(component.isin(["growth", "decline", "new"]).sum())
        rows.append(
            {**key_values, "step": "previous", "amount": group["_previous"].sum(), "count": bought_before}
        )
        for name in BRIDGE_COMPONENTS:
            part = group[component == name]
            rows.append({**key_values, "step": name, "amount": part["_change"].sum(), "count": len(part)})
        rows.append({**key_values, "step": "current", "amount": group["_current"].sum(), "count": buys_now})
    steps = pd.DataFrame(rows, columns=[*keys, "step", "amount", "count"])
    steps["amount"] = steps["amount"].astype("int64") / 100
    steps["count"] = steps["count"].astype("int64")
    return steps


def price_volume_mix(
    lines: pd.DataFrame,
    *,
    previous: Window,
    current: Window,
    by: str | Sequence[str] = "customer_id",
    item: str = "product",
    value: str = "net_sales",
    quantity: str = "quantity",
    date: str = "invoice_date",
) -> pd.DataFrame:
    """Split the change in sales into volume, mix and price effects.

    With quantity ``q`` and average price ``p`` per item, totals ``Q`` and sales ``S`` per key,
    and subscripts 0 (previous) and 1 (current):

    * volume = S0 · (Q1 / Q0 − 1): more or fewer units at last period's average price;
    * mix = Σ q1·p0 − S0 · Q1 / Q0: this period's units at last period's item prices, against
      the same units at last period's average price (a shift to dearer or cheaper items);
    * price = S1 − Σ q1·p0: the same items bought at different prices.

    An item without positive quantity last period has no last-period price; its sales count at
    this period's price, i.e. in the mix. A key without quantity last period has only a volume
    effect. The three effects are rounded to the cent and price is what remains, so they add up
    to the change to the cent.

    Parameters
    ----------
    lines : pandas.DataFrame
        Invoice lines with ``by``, ``item``, ``value``, ``quantity`` and ``date`` columns.
    previous, current : (Timestamp, Timestamp)
        Inclusive windows compared.
    by : str or sequence of str
        Key(s) to split per (``customer_id``; add a stage column to split per stage).
    item : str
        What has a price: ``product`` (finest) or ``category``.
    value, quantity, date : str
        Column names of the amount, the units and the date.

    Returns
    -------
    pandas.DataFrame
        One row per key: ``previous``, ``current``, ``change``, ``volume``, ``mix``, ``price``.
    """
    keys = _keys(by)
    sums = window_sums(
        lines,
        by=[*keys, item],
        windows={"previous": previous, "current": current},
        values=[value, quantity],
        date=date,
    )
    s0, s1 = sums[f"{value}_previous"], sums[f"{value}_current"]
    q0, q1 = sums[f"{quantity}_previous"], sums[f"{quantity}_current"]
    priced = q0 > 0
    p0 = (s0 / q0.where(priced)).fillna(0.0)
    sums = sums.assign(_s0=s0, _s1=s1, _q0=q0, _q1=q1, _reference=np.where(priced, q1 * p0, s1))
    per_key = sums.groupby(keys, sort=True, observed=True)[["_s0", "_s1", "_q0", "_q1", "_reference"]].sum()
    before, now = _cents(per_key["_s0"]), _cents(per_key["_s1"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(per_key["_q0"] > 0, per_key["_q1"] / per_key["_q0"], np.nan)
    has_units = np.isfinite(ratio)
    volume = np.where(has_units, _cents(per_key["_s0"] * np.nan_to_num(ratio) - per_key["_s0"]), now - before)
    mix = np.where(has_units, _cents(per_key["_reference"] - per_key["_s0"] * np.nan_to_num(ratio)), 0)
    price = (now - before) - volume - mix
    out = per_key.index.to_frame(index=False)
    out["previous"] = before / 100
    out["current"] = now / 100
    out["change"] = (now - before) / 100
    out["volume"] = volume / 100
    out["mix"] = mix / 100
    out["price"] = price / 100
    return out
