"""Rank correlation without SciPy: how closely two measures move together across accounts."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["spearman"]


def spearman(x: pd.Series, y: pd.Series, *, min_pairs: int = 4) -> float:
    """Spearman's rank correlation of two aligned series (ties get their average rank).

    Parameters
    ----------
    x, y : pandas.Series
        Values on the same index; pairs with a missing value are left out.
    min_pairs : int
        Fewest complete pairs for an answer.

    Returns
    -------
    float
        From -1 to 1; NaN with fewer than ``min_pairs`` pairs or when either side is constant.
    """
    pairs = pd.concat([pd.Series(x), pd.Series(y)], axis=1, keys=["x", "y"]).dropna()
    if len(pairs) < min_pairs:
        return float("nan")
    ranks = pairs.rank(method="average")
    if ranks["x"].nunique() < 2 or ranks["y"].nunique() < 2:
        return float("nan")
    return float(np.corrcoef(ranks["x"], ranks["y"])[0, 1])
