"""Movement between periods, robustness of the key list to the weights, and team capacity."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kamtools.analytics import is_buying
from kamtools.formatting import MINUS, percent_text
from kamtools.stages.screening.scoring import _composite, _key_order, _top_mask
from kamtools.stages.screening.settings import (
    ACCOUNT_MANAGER_ROLES,
    CRITERIA,
    TIERS,
    ScreeningInputError,
    ScreeningSettings,
    key_account_count,
    require_input,
)

# --------------------------------------------------------------------------------------------
# Movement between periods


def _tiers(tiers: pd.Series | pd.DataFrame, column: str = "tier") -> pd.Series:
    if isinstance(tiers, pd.DataFrame):
        require_input(tiers, ["customer_id", column], "tiers")
        series = pd.Series(tiers[column].to_numpy(), index=tiers["customer_id"].astype("str"))
    else:
        series = pd.Series(tiers.to_numpy(), index=tiers.index.astype("str"))
    return series.astype("str").rename_axis("customer_id")


def tier_transitions(
    previous_tiers: pd.Series | pd.DataFrame, current_tiers: pd.Series | pd.DataFrame
) -> pd.DataFrame:
    """How many customers moved from each tier of the previous screening to each current tier.

    Parameters
    ----------
    previous_tiers, current_tiers : pandas.Series or pandas.DataFrame
        Tier per customer: a Series indexed by customer_id, or a screening frame with
        ``customer_id`` and ``tier``.

    Returns
    -------
    pandas.DataFrame
        Counts (int); rows: previous tier ("new" for customers absent from the previous
        screening), columns: current tier ("lost" for customers absent from the current one).
        Both axes list every tier of :data:`TIERS` in order, so matrices of different years line
        up.
    """
    before = _tiers(previous_tiers)
    after = _tiers(current_tiers)
    ids = before.index.union(after.index)
    rows = before.reindex(ids).fillna("new")
    cols = after.reindex(ids).fillna("lost")
    table = pd.crosstab(rows.rename("previous"), cols.rename("current"))
    row_order = [*TIERS, "new", *sorted(set(rows) - {*TIERS, "new"})]
    col_order = [*TIERS, "lost", *sorted(set(cols) - {*TIERS, "lost"})]
    return table.reindex(index=row_order, columns=col_order, fill_value=0).astype("int64")


def key_account_retention(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> float:
    """Share of last period's key accounts that are key again (NaN, with a warning, if none)."""
    before = _tiers(previous)
    after = _tiers(current)
    key_before = before.index[before == "key"]
    if len(key_before) == 0:
        warnings.warn(
            "no key accounts in the previous screening: retention undefined", UserWarning, stacklevel=2
        )
        return float("nan")
    return float((after.reindex(key_before) == "key").mean())


def movers(previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Customers that entered the key list (risers) or left it (fallers), and where they went.

    Parameters
    ----------
    previous, current : pandas.Series or pandas.DataFrame
        Tier per customer (see :func:`tier_transitions`). When ``current`` (else ``previous``)
        is a frame with ``name``, names are shown.

    Returns
    -------
    pandas.DataFrame
        customer_id, name, movement ("riser" or "faller"), previous_tier ("new" when absent
        before), current_tier ("lost" when absent now); risers first, then by id.
    """
    before = _tiers(previous)
    after = _tiers(current)
    ids = before.index.union(after.index)
    was = before.reindex(ids).fillna("new")
    now = after.reindex(ids).fillna("lost")
    moved = (was == "key") != (now == "key")
    names = pd.Series(ids, index=ids, dtype="str")
    for frame in (previous, current):
        if isinstance(frame, pd.DataFrame) and "name" in frame.columns:
            known = pd.Series(frame["name"].to_numpy(), index=frame["customer_id"].astype("str"))
            known = known[~known.index.duplicated()]
            names = known.reindex(ids).fillna(names).astype("str")
    out = pd.DataFrame(
        {
            "customer_id": ids[moved],
            "name": names[moved].to_numpy(),
            "movement": np.where(now[moved] == "key", "riser", "faller"),
            "previous_tier": was[moved].to_numpy(),
            "current_tier": now[moved].to_numpy(),
        }
    ).astype({"customer_id": "str", "name": "str", "movement": "str"})
    return out.sort_values(["movement", "customer_id"], ascending=[False, True], ignore_index=True)


def migration_warning(
    previous: pd.Series | pd.DataFrame, current: pd.Series | pd.DataFrame, *, settings: ScreeningSettings
) -> str | None:
    """A warning text when the key list changed by more than ``settings.migration_warning_share``.

    The change is the larger of the share of last period's key accounts that left the list and
    the share of this period's key accounts that entered it. Big swings usually mean the
    criteria, the data or the business changed, and deserve a look before the workshop.
    """
    before = _tiers(previous)
    after = _tiers(current)
    moved = movers(before, after)
    n_before = int((before == "key").sum())
    n_after = int((after == "key").sum())
    fallers = int((moved["movement"] == "faller").sum())
    risers = int((moved["movement"] == "riser").sum())
    left = fallers / n_before if n_before else 0.0
    entered = risers / n_after if n_after else 0.0
    if max(left, entered) <= settings.migration_warning_share:
        return None
    return (
        f"The key list changed a lot: {fallers} of {n_before} previous key accounts"
        f" ({percent_text(left, minus=MINUS)}) left it and {risers} of {n_after} current ones"
        f" ({percent_text(entered, minus=MINUS)})"
        f" are new to it (warning above {percent_text(settings.migration_warning_share, minus=MINUS)})."
        " Check whether the business, the data or the screening settings changed."
    )


# --------------------------------------------------------------------------------------------
# Robustness and capacity


def weight_sensitivity(
    screened: pd.DataFrame, *, settings: ScreeningSettings | None = None, step: float = 0.2
) -> pd.DataFrame:
    """How stable is the key list when each weight moves by ``step`` (±20 %)?

    For each criterion used, its weight is multiplied by ``1 - step`` and ``1 + step`` (the
    weights then renormalised), giving ``2k`` variants besides the base. Only the composite
    and the key selection are recomputed, from the ``score_<criterion>`` columns (gates and
    metrics do not depend on the weights), so this is a few matrix products.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`score_customers` (before overrides).
    settings : ScreeningSettings, optional
        The settings the screening used (weights and key count).
    step : float
        Relative change of each weight, between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        One row per customer that is key in at least one variant: customer_id, name, composite,
        key_in_base (bool), variants_key (how many variants, base included, make it key),
        variants (total), share_key, label ("stable key": key in every variant; "borderline":
        only in some). Sorted by share_key then composite, descending.
    """
    if not 0 < step < 1:
        raise ValueError(f"step must be between 0 and 1, got {step}")
    settings = settings or ScreeningSettings()
    require_input(screened, ["customer_id", "status", "sales", "eligible", "composite"], "screened")
    buying = is_buying(screened).to_numpy()
    used = [
        c
        for c in CRITERIA
        if settings.weights[c] > 0
        and f"score_{c}" in screened
        and screened.loc[buying, f"score_{c}"].notna().any()
    ]
    if not used:
        raise ScreeningInputError("screened: no criterion scores to vary (run score_customers first)")
    base = np.array([settings.weights[c] for c in used])
    variants = [base]
    for i in range(len(used)):
        for factor in (1 - step, 1 + step):
            w = base.copy()
            w[i] *= factor
            variants.append(w)
    weights = np.stack([w / w.sum() for w in variants], axis=1)
    scores = screened[[f"score_{c}" for c in used]].to_numpy(dtype="float64")
    scores = np.nan_to_num(scores, nan=0.0)
    composite = _composite(scores, weights)
    # The base variant is the screening itself: reuse its composite so ties break the same way.
    composite[:, 0] = np.nan_to_num(screened["composite"].to_numpy(dtype="float64"), nan=0.0)
    eligible = screened["eligible"].to_numpy(dtype=bool) & buying
    n_key = key_account_count(int(buying.sum()), settings=settings)
    tiebreak = _key_order(screened)
    keys = np.column_stack(
        [_top_mask(composite[:, j], tiebreak, eligible, n_key) for j in range(weights.shape[1])]
    )
    count = keys.sum(axis=1)
    anywhere = count > 0
    total = weights.shape[1]
    out = pd.DataFrame(
        {
            "customer_id": screened["customer_id"].astype("str").to_numpy()[anywhere],
            "name": (screened["name"] if "name" in screened else screened["customer_id"])
            .astype("str")
            .to_numpy()[anywhere],
            "composite": screened["composite"].to_numpy(dtype="float64")[anywhere],
            "key_in_base": keys[anywhere, 0],
            "variants_key": count[anywhere].astype("int64"),
            "variants": np.full(int(anywhere.sum()), total, dtype="int64"),
        }
    )
    out["share_key"] = out["variants_key"] / total
    out["label"] = pd.Series(np.where(out["variants_key"] == total, "stable key", "borderline"), dtype="str")
    return out.sort_values(["share_key", "composite"], ascending=False, kind="stable", ignore_index=True)


def team_capacity(
    team: pd.DataFrame, *, manager_load: int = 9, roles: Sequence[str] = ACCOUNT_MANAGER_ROLES
) -> int:
    """How many key accounts the team can serve: account managers times ``manager_load``.

    Parameters
    ----------
    team : pandas.DataFrame
        ``member`` and ``role``; a member counts once when its role (case and spaces ignored)
        is one of ``roles``.
    manager_load : int
        Key accounts per account manager (``ScreeningSettings.manager_load``).
    roles : sequence of str
        Roles that count as account managers.
    """
    require_input(team, ["member", "role"], "team")
    wanted = {r.strip().lower() for r in roles}
    role = team["role"].astype("str").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    managers = team.loc[role.isin(wanted), "member"].nunique()
    return int(managers * manager_load)


def capacity_warning(key_accounts: int, capacity: int | None) -> str | None:
    """A warning text when there are more key accounts than the team can serve, else None."""
    if capacity is None or key_accounts <= capacity:
        return None
    return (
        f"{key_accounts} key accounts but the team can serve about {capacity}: add account managers,"
        " lower the number of key accounts, or serve some of them with a lighter plan."
    )


def retain_incumbents(
    scored: pd.DataFrame, previous: pd.DataFrame | None, *, settings: ScreeningSettings
) -> pd.DataFrame:
    """Keep last period's key accounts on the list while they stay close to it.

    An eligible customer that was key last period and ranks within the key count plus
    ``settings.key_retention_band`` (among eligible customers, by composite) stays key; for
    each one kept, the lowest-ranked newcomer to the key list steps down to "growth" (when it
    has a growth signal) or "maintain", so the list keeps its size. Gates still apply: an
    incumbent that fails one is not kept.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_customers` for the current period.
    previous : pandas.DataFrame or None
        The previous period's scored frame (``customer_id``, ``tier``); None changes nothing.
    settings : ScreeningSettings
        ``key_retention_band`` (0 turns this off).

    Returns
    -------
    pandas.DataFrame
        ``scored`` with tiers and reasons updated and a bool column ``retained`` (kept by the
        band). The input is not modified.
    """
    out = scored.copy()
    out["retained"] = False
    if previous is None or settings.key_retention_band <= 0 or not (out["tier"] == "key").any():
        return out
    was_key = out["customer_id"].isin(previous.loc[previous["tier"] == "key", "customer_id"])
    n_key = int((out["tier"] == "key").sum())
    limit = int(np.ceil(n_key * (1 + settings.key_retention_band)))
    eligible = out["eligible"].astype(bool) & is_buying(out)
    order = out.loc[eligible].sort_values(["composite", "sales"], ascending=False, kind="stable").index
    band = pd.Series(False, index=out.index)
    band.loc[order[:limit]] = True
    kept = out.index[band & was_key & (out["tier"] != "key")]
    newcomers = out.loc[(out["tier"] == "key") & ~was_key].sort_values(["composite", "sales"], kind="stable")
    swaps = min(len(kept), len(newcomers))
    if swaps == 0:
        return out
    kept = out.loc[kept].sort_values(["composite", "sales"], ascending=False, kind="stable").index[:swaps]
    stepped_down = newcomers.index[:swaps]
    share = percent_text(settings.key_retention_band, minus=MINUS)
    out.loc[kept, "tier"] = "key"
    out.loc[kept, "retained"] = True
    out.loc[kept, "reason"] = (
        f"key last period and still within {share} of the key list (rank "
        + out.loc[kept, "rank"].astype("str")
        + "); "
        + out.loc[kept, "reason"].astype("str")
    )
    signals = out.loc[stepped_down, "growth_signals"].fillna("").astype("str") != ""
    out.loc[stepped_down, "tier"] = np.where(signals, "growth", "maintain")
    out.loc[stepped_down, "reason"] = (
        "ranked among the key accounts but gives way to last period's key accounts kept on the list; "
        + out.loc[stepped_down, "reason"].astype("str")
    )
    return out
