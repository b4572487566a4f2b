"""Generic analytics that several stages (and the portfolio view) use; no stage knowledge here.

:mod:`kamtools.analytics.concentration`: Pareto, Gini, whale curve, ABC classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BUYING_STATUSES: tuple[str, ...] = ("active", "new")
"""Customer statuses (a ``status`` column, as customer metrics write it) of customers that bought
in the current window; only these are ranked, scored and counted in concentration measures."""


def is_buying(frame: pd.DataFrame) -> pd.Series:
    """Bool Series: the rows of ``frame`` whose ``status`` is one of :data:`BUYING_STATUSES`."""
    return frame["status"].isin(BUYING_STATUSES)


def customer_status(
    *,
    bought_now: np.ndarray,
    bought_before: np.ndarray,
    first_purchase: pd.Series,
    current_start: pd.Timestamp,
) -> pd.Series:
    """The ``status`` of each customer, from what it bought in a comparison window.

    "new": bought in the current window and never before it; "active": bought in the current
    window and before; "lost": bought in the previous window but not the current one;
    "inactive": bought in neither.

    Parameters
    ----------
    bought_now, bought_before : numpy.ndarray of bool
        Whether the customer made a purchase (a positive line) in the current, previous window.
    first_purchase : pandas.Series
        Date of the customer's first purchase (NaT without one); its index is the result's.
    current_start : pandas.Timestamp
        First day of the current window.

    Returns
    -------
    pandas.Series
        Text, on ``first_purchase``'s index.
    """
    first_now = (first_purchase >= current_start).to_numpy()
    status = np.select(
        [bought_now & first_now, bought_now, bought_before], ["new", "active", "lost"], default="inactive"
    )
    return pd.Series(status, index=first_purchase.index, dtype="str")
