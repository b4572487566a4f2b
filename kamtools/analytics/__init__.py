"""Generic analytics that several stages (and the portfolio view) use; no stage knowledge here.

:mod:`kamtools.analytics.concentration`: Pareto, Gini, whale curve, ABC classes.
"""

from __future__ import annotations

import pandas as pd

BUYING_STATUSES: tuple[str, ...] = ("active", "new")
"""Customer statuses (a ``status`` column, as customer metrics write it) of customers that bought
in the current window; only these are ranked, scored and counted in concentration measures."""


def is_buying(frame: pd.DataFrame) -> pd.Series:
    """Bool Series: the rows of ``frame`` whose ``status`` is one of :data:`BUYING_STATUSES`."""
    return frame["status"].isin(BUYING_STATUSES)
