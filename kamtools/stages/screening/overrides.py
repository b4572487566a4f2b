"""The workshop's overrides of screened tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.stages.screening.settings import TIERS, OverrideError, require_input

# --------------------------------------------------------------------------------------------
# Overrides


def apply_overrides(
    screened: pd.DataFrame, overrides: pd.DataFrame | None, *, max_overrides: int
) -> pd.DataFrame:
    """Apply the workshop's decisions to the screened tiers, keeping the reasons traceable.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`score_customers` (``customer_id``, ``tier``, ``reason``).
    overrides : pandas.DataFrame or None
        ``customer_id``, ``tier`` (one of :data:`TIERS`), ``reason``, ``decided_by``; one row
        per customer. None or empty changes nothing.
    max_overrides : int
        Most overrides allowed (``ScreeningSettings.max_overrides``): a screening overridden
        everywhere is no screening.

    Returns
    -------
    pandas.DataFrame
        A copy of ``screened`` with ``tier`` replaced, `` (override by X: reason)`` appended to
        ``reason``, plus ``screened_tier`` (the tier before overrides) and ``overridden`` (bool).

    Raises
    ------
    OverrideError
        More overrides than allowed, a customer overridden twice, an unknown customer id or
        tier, or a missing column.
    """
    require_input(screened, ["customer_id", "tier", "reason"], "screened")
    out = screened.copy()
    out["screened_tier"] = out["tier"]
    out["overridden"] = False
    if overrides is None or len(overrides) == 0:
        return out
    missing = [c for c in ("customer_id", "tier", "reason", "decided_by") if c not in overrides.columns]
    if missing:
        raise OverrideError(f"overrides: missing column(s) {', '.join(map(repr, missing))}")
    if len(overrides) > max_overrides:
        raise OverrideError(
            f"{len(overrides)} overrides, but at most {max_overrides} are allowed (setting max_overrides):"
            " revisit the screening settings instead of overriding this many customers"
        )
    ids = overrides["customer_id"].astype("str").str.strip()
    twice = sorted(ids[ids.duplicated()].unique())
    if twice:
        raise OverrideError(f"overrides: customer(s) overridden more than once: {', '.join(twice)}")
    known = set(out["customer_id"].astype("str"))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise OverrideError(f"overrides: unknown customer id(s) {', '.join(unknown)} (not in the screening)")
    tiers = overrides["tier"].astype("str").str.strip().str.lower()
    bad = sorted(set(tiers) - set(TIERS))
    if bad:
        raise OverrideError(
            f"overrides: unknown tier(s) {', '.join(map(repr, bad))}; allowed: {', '.join(TIERS)}"
        )
    position = pd.Series(np.arange(len(out)), index=out["customer_id"].astype("str"))
    rows = position[ids].to_numpy()
    tier_col = out.columns.get_loc("tier")
    reason_col = out.columns.get_loc("reason")
    for row, tier, why, who in zip(rows, tiers, overrides["reason"], overrides["decided_by"], strict=True):
        out.iloc[row, tier_col] = tier
        out.iloc[row, reason_col] = (
            f"{out.iloc[row, reason_col]} (override by {str(who).strip()}: {str(why).strip()})"
        )
    out.loc[out.index[rows], "overridden"] = True
    return out
