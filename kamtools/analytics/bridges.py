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


def _group_numbers(grouped: pd.api.typing.DataFrameGroupBy) -> np.ndarray:
    """Each row's group number in sort order (``ngroup``), -1 for a row with a missing key."""
    numbers = grouped.ngroup()
    return numbers.fillna(-1).to_numpy().astype("int64")


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
    if not windows:
        return pd.DataFrame(columns=keys)
    dates = pd.to_datetime(lines[date])
    inside = {
        name: ((dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))).to_numpy()
        for name, (start, end) in windows.items()
    }
    anywhere = np.logical_or.reduce(list(inside.values()))
    # The keys (often text: customer, product) are grouped once over the lines of all windows;
    # each window then sums by the group's number. Grouping the text per window and joining
    # the windows on a text index cost several times the sums. The sums see the same lines in
    # the same order as a groupby per window, so they are the same to the last bit.
    seen = lines.loc[anywhere, list(dict.fromkeys([*keys, *values]))]
    grouped = seen.groupby(keys, sort=True, observed=True)
    group = _group_numbers(grouped)
    joined = pd.DataFrame(index=grouped.size().index)
    for name, mask in inside.items():
        rows = mask[anywhere] & (group >= 0)
        sums = seen.loc[rows, list(values)].groupby(group[rows]).sum().reindex(range(len(joined)))
        for value in values:
            joined[f"{value}_{name}"] = sums[value].fillna(0.0).to_numpy()
    return joined[[f"{v}_{name}" for v in values for name in windows]].reset_index()


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
    previous, current = _cents(moves["previous"]), _cents(moves["current"])
    if keys:
        grouped = moves.groupby(keys, sort=True, observed=True)
        group = _group_numbers(grouped)
        labels = grouped.size().index.tolist()
    else:
        group, labels = np.zeros(len(moves), dtype="int64"), [()]
    # Per bridge and step: the step sums in cents and the rows counted, added up with one pass
    # over the rows (np.add.at on int64 stays exact) instead of a frame selection per bridge
    # and component. Columns: previous, the five components, current.
    component = pd.Categorical(moves["component"].astype(str), categories=BRIDGE_COMPONENTS).codes
    rows = group >= 0  # a row whose key is missing belongs to no bridge, as in a groupby
    amounts = np.zeros((len(labels), len(BRIDGE_COMPONENTS) + 2), dtype="int64")
    counts = np.zeros_like(amounts)
    np.add.at(amounts[:, 0], group[rows], previous[rows])
    np.add.at(amounts[:, -1], group[rows], current[rows])
    known = rows & (component >= 0)
    np.add.at(amounts, (group[known], component[known] + 1), (current - previous)[known])
    np.add.at(counts, (group[known], component[known] + 1), 1)
    step = dict(zip(BRIDGE_COMPONENTS, range(1, len(BRIDGE_COMPONENTS) + 1), strict=True))
    counts[:, 0] = counts[:, [step["growth"], step["decline"], step["lost"]]].sum(axis=1)
    counts[:, -1] = counts[:, [step["growth"], step["decline"], step["new"]]].sum(axis=1)
    names = ["previous", *BRIDGE_COMPONENTS, "current"]
    key_columns = {
        k: [label[i] if isinstance(label, tuple) else label for label in labels for _ in names]
        for i, k in enumerate(keys)
    }
    columns = [*keys, "step", "amount", "count"]
    steps = (
        pd.DataFrame(
            {**key_columns, "step": names * len(labels), "amount": amounts.ravel(), "count": counts.ravel()},
            columns=columns,
        )
        if labels
        else pd.DataFrame(columns=columns)  # no bridge: key columns of no type, as pandas makes them
    )
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
