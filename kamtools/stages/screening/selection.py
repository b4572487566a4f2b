"""The final key, growth and at-risk lists: what needs last period, the team, or both.

:func:`~kamtools.stages.screening.scoring.score_customers` tiers one period on its own. The
lists the dealer acts on also depend on last period and on the team:

* **at risk**: last period's key accounts whose sales fell by ``at_risk_decline`` or more (or
  who stopped buying) are not defended as key accounts and never become growth accounts; they
  go on a retention list with the sales lost;
* **retention band**: other key accounts of last period stay key while they rank within the
  key count plus ``key_retention_band``, displacing the lowest-ranked newcomers, so the list
  does not swap accounts over a point of score;
* **growth list**: ranked by score and capped at the places the team can develop
  (:func:`growth_places`); further customers with a growth signal stay "maintain", flagged,
  and are counted.

:func:`select_key_accounts` is the one selection rule; :func:`final_tiers` applies it to the
screening and :func:`weight_sensitivity` to every weight variant, so the robustness table tests
exactly the list the report shows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamtools.analytics import is_buying
from kamtools.formatting import MINUS, count_text, percent_text
from kamtools.stages.screening.scoring import _composite, _key_order, _labelled, _ranked
from kamtools.stages.screening.settings import (
    CRITERIA,
    ScreeningInputError,
    ScreeningSettings,
    key_account_count,
    require_input,
)

__all__ = ["final_tiers", "growth_places", "list_reasons", "select_key_accounts", "weight_sensitivity"]


def select_key_accounts(
    composite: np.ndarray,
    *,
    tiebreak: np.ndarray,
    eligible: np.ndarray,
    incumbent: np.ndarray,
    n_key: int,
    band: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The key accounts: the ``n_key`` best eligible by score, last period's defended in a band.

    Parameters
    ----------
    composite : numpy.ndarray
        Score per customer (row).
    tiebreak : numpy.ndarray
        Row positions in tie-break order (larger sales first, then id).
    eligible : numpy.ndarray of bool
        Customers that may be key (buying, every gate passed, not at risk).
    incumbent : numpy.ndarray of bool
        Last period's key accounts.
    n_key : int
        Key places.
    band : float
        An incumbent ranked within ``ceil(n_key * (1 + band))`` among the eligible stays key;
        for each one kept the lowest-ranked newcomer steps down. 0 turns it off.

    Returns
    -------
    key, retained : numpy.ndarray of bool
        The key accounts, and those among them that are key only thanks to the band.
    """
    order = _ranked(composite, tiebreak, eligible)
    key = np.zeros(len(composite), dtype=bool)
    retained = np.zeros(len(composite), dtype=bool)
    key[order[:n_key]] = True
    if band <= 0 or n_key == 0:
        return key, retained
    within = order[n_key : math.ceil(n_key * (1 + band))]
    kept = within[incumbent[within]]
    newcomers = [row for row in order[:n_key][::-1] if not incumbent[row]]
    swaps = min(len(kept), len(newcomers))
    key[kept[:swaps]] = True
    key[newcomers[:swaps]] = False
    retained[kept[:swaps]] = True
    return key, retained


def growth_places(n_key: int, *, settings: ScreeningSettings, capacity: int | None) -> int:
    """Places on the growth list: the setting, else the team's spare capacity.

    ``settings.growth_accounts`` when set; otherwise what the account managers can take on
    besides the key accounts (``capacity - n_key``), but at least a quarter of the key count,
    so a team already at capacity still sees its best prospects.
    """
    if settings.growth_accounts is not None:
        return int(settings.growth_accounts)
    least = math.ceil(n_key / 4)
    return max(capacity - n_key, least) if capacity is not None else least


def _was_key(scored: pd.DataFrame, previous: pd.DataFrame | None) -> np.ndarray:
    if previous is None:
        return np.zeros(len(scored), dtype=bool)
    before = previous.loc[previous["tier"] == "key", "customer_id"].astype("str")
    return scored["customer_id"].astype("str").isin(before).to_numpy()


def final_tiers(
    scored: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    settings: ScreeningSettings,
    capacity: int | None = None,
    tiebreak: np.ndarray | None = None,
) -> pd.DataFrame:
    """This period's tiers after last period's key accounts and the growth list's cap.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`~kamtools.stages.screening.scoring.score_customers` for this period.
    previous : pandas.DataFrame or None
        Last period's scored frame (``customer_id``, ``tier``); None: no at-risk accounts and
        no retention band.
    settings : ScreeningSettings
        ``at_risk_decline``, ``key_retention_band``, ``growth_accounts``.
    capacity : int, optional
        Key accounts the team can serve (for :func:`growth_places`).
    tiebreak : numpy.ndarray, optional
        The rows in tie-break order (larger sales first, then id) when already known
        (:attr:`~kamtools.stages.screening.scoring.ScoringBasis.tiebreak`); found when omitted.

    Returns
    -------
    pandas.DataFrame
        A copy of ``scored`` with tier and reason updated, plus bool columns was_key (key last
        period), at_risk (was key and sales fell by ``at_risk_decline`` or more, or stopped
        buying), retained (key thanks to the retention band), growth_signal (eligible with a
        growth signal), growth_listed (on the capped growth list); sales_lost (previous minus
        current sales of at-risk accounts, 0 for the others); tier_rank (position within the
        key and growth lists, 1 = first; <NA> elsewhere). ``attrs["growth_places"]`` holds the
        cap. The input is not modified.
    """
    require_input(
        scored, ["customer_id", "tier", "eligible", "composite", "sales", "previous_sales"], "scored"
    )
    out = scored.copy()
    buying = is_buying(out).to_numpy()
    was_key = _was_key(out, previous)
    change = (out["sales"] - out["previous_sales"]) / out["previous_sales"].where(out["previous_sales"] > 0)
    fell = (change <= -settings.at_risk_decline).to_numpy() | ~buying
    at_risk = was_key & fell
    eligible = out["eligible"].to_numpy(dtype=bool) & buying
    n_key = int(scored.attrs.get("key_accounts", key_account_count(int(buying.sum()), settings=settings)))
    tiebreak = _key_order(out) if tiebreak is None else tiebreak
    composite = np.nan_to_num(out["composite"].to_numpy(dtype="float64"), nan=-np.inf)
    key, retained = select_key_accounts(
        composite,
        tiebreak=tiebreak,
        eligible=eligible & ~at_risk,
        incumbent=was_key,
        n_key=n_key,
        band=settings.key_retention_band,
    )
    signal = eligible & (out["growth_signals"].fillna("").astype("str") != "").to_numpy()
    candidates = signal & ~key & ~at_risk
    places = growth_places(n_key, settings=settings, capacity=capacity)
    listed = np.zeros(len(out), dtype=bool)
    listed[_ranked(composite, tiebreak, candidates)[:places]] = True
    out["tier"] = _labelled(
        out.index,
        [~buying, ~eligible, key, at_risk, listed],
        ["inactive", "review", "key", "at_risk", "growth"],
        "maintain",
    )
    out["was_key"] = was_key
    out["at_risk"] = at_risk
    out["retained"] = retained
    out["growth_signal"] = signal
    out["growth_listed"] = listed
    out["sales_lost"] = (out["previous_sales"] - out["sales"]).where(at_risk, 0.0)
    if "reason" in scored:
        out["reason"] = list_reasons(out, scored, settings=settings, places=places)
    position = np.zeros(len(out), dtype="int64")
    for chosen in (key, listed):
        rows = _ranked(composite, tiebreak, chosen)
        position[rows] = np.arange(1, len(rows) + 1)
    out["tier_rank"] = pd.Series(pd.arrays.IntegerArray(position, ~(key | listed)), index=out.index)
    out.attrs = {**scored.attrs, "growth_places": places}
    return out


def list_reasons(
    final: pd.DataFrame, scored: pd.DataFrame, *, settings: ScreeningSettings, places: int
) -> pd.Series:
    """The reasons of :func:`final_tiers`: the screened reason, prefixed where the lists changed it.

    Parameters
    ----------
    final : pandas.DataFrame
        Rows of :func:`final_tiers`' frame (any subset): tier, retained, sales_lost,
        previous_sales, growth_signal.
    scored : pandas.DataFrame
        The same rows of the screening: tier, rank, reason.
    settings : ScreeningSettings
        ``key_retention_band``.
    places : int
        Places on the growth list.

    Returns
    -------
    pandas.Series
        Text (dtype "str"), same index as ``final``.
    """
    reason = scored["reason"].astype("str").tolist()
    band = percent_text(settings.key_retention_band, minus=MINUS)
    was = scored["tier"].to_numpy()
    now = final["tier"].to_numpy()
    retained = final["retained"].to_numpy(dtype=bool)
    rank = scored["rank"].astype("string").fillna("").tolist()
    lost, before = final["sales_lost"].to_numpy(), final["previous_sales"].to_numpy()
    signal = final["growth_signal"].to_numpy(dtype=bool)
    for i in np.flatnonzero(retained | (was != now)):
        if retained[i]:
            kept = f"key last period and still within {band} of the key list (rank {rank[i]})"
            reason[i] = f"{kept}; {reason[i]}"
        elif now[i] == "at_risk":
            fall = percent_text(lost[i] / before[i], minus=MINUS)
            reason[i] = f"key account last period, sales down {fall}: retention call before any growth plan"
        elif was[i] == "key" and now[i] != "key":
            gives_way = "ranked among the key accounts but gives way to last period's key accounts"
            reason[i] = f"{gives_way}; {reason[i]}"
        elif was[i] == "growth" and now[i] == "maintain" and signal[i]:
            full = f"growth signal, but the growth list is full ({count_text(places, 'place', 'places')})"
            reason[i] = f"{full}; {reason[i]}"
    return pd.Series(reason, index=final.index, dtype="str")


def weight_sensitivity(
    final: pd.DataFrame, *, settings: ScreeningSettings | None = None, step: float = 0.2
) -> pd.DataFrame:
    """How stable is the key list when each weight moves by ``step`` (±20 %)?

    For each criterion used, its weight is multiplied by ``1 - step`` and ``1 + step`` (the
    weights then renormalised), giving ``2k`` variants besides the base. Each variant selects
    its key list with the same rule as the screening (:func:`select_key_accounts`: same gates,
    at-risk accounts, retention band and key count), from the ``score_<criterion>`` columns,
    so the table tests the list the report shows.

    Parameters
    ----------
    final : pandas.DataFrame
        Output of :func:`final_tiers` (overrides may be applied: ``tier`` is the list shown).
    settings : ScreeningSettings, optional
        The settings the screening used (weights, key count, band).
    step : float
        Relative change of each weight, between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        One row per key account of ``final`` and per customer key in at least one variant:
        customer_id, name, composite, key (bool: key in ``final``), variants_key (variants,
        base included, that make it key), variants (total), share_key, label ("stable key":
        key and key in every variant; "key, depends on weights": key, but not in every
        variant; "key by override": key only by the workshop's decision; "near the list": not
        key, key in some variants). Key accounts first, then by share_key and composite.
    """
    if not 0 < step < 1:
        raise ValueError(f"step must be between 0 and 1, got {step}")
    settings = settings or ScreeningSettings()
    require_input(final, ["customer_id", "status", "sales", "eligible", "composite", "tier"], "screened")
    buying = is_buying(final).to_numpy()
    used = [
        c
        for c in CRITERIA
        if settings.weights[c] > 0 and f"score_{c}" in final and final.loc[buying, f"score_{c}"].notna().any()
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
    scores = np.nan_to_num(final[[f"score_{c}" for c in used]].to_numpy(dtype="float64"), nan=0.0)
    composite = _composite(scores, weights)
    # The base variant is the screening itself: reuse its composite so ties break the same way.
    composite[:, 0] = np.nan_to_num(final["composite"].to_numpy(dtype="float64"), nan=0.0)
    at_risk = final["at_risk"].to_numpy(dtype=bool) if "at_risk" in final else np.zeros(len(final), bool)
    incumbent = final["was_key"].to_numpy(dtype=bool) if "was_key" in final else np.zeros(len(final), bool)
    eligible = final["eligible"].to_numpy(dtype=bool) & buying & ~at_risk
    n_key = int(final.attrs.get("key_accounts", key_account_count(int(buying.sum()), settings=settings)))
    tiebreak = _key_order(final)
    keys = np.column_stack(
        [
            select_key_accounts(
                composite[:, j],
                tiebreak=tiebreak,
                eligible=eligible,
                incumbent=incumbent,
                n_key=n_key,
                band=settings.key_retention_band,
            )[0]
            for j in range(weights.shape[1])
        ]
    )
    is_key = (final["tier"] == "key").to_numpy()
    count = keys.sum(axis=1)
    shown = (count > 0) | is_key
    total = weights.shape[1]
    names = final["name"] if "name" in final else final["customer_id"]
    out = pd.DataFrame(
        {
            "customer_id": final["customer_id"].astype("str").to_numpy()[shown],
            "name": names.astype("str").to_numpy()[shown],
            "composite": final["composite"].to_numpy(dtype="float64")[shown],
            "key": is_key[shown],
            "variants_key": count[shown].astype("int64"),
            "variants": np.full(int(shown.sum()), total, dtype="int64"),
        }
    )
    out["share_key"] = out["variants_key"] / total
    label = np.select(
        [out["key"] & (out["variants_key"] == total), out["key"] & (out["variants_key"] > 0), out["key"]],
        ["stable key", "key, depends on weights", "key by override"],
        "near the list",
    )
    out["label"] = pd.Series(label, dtype="str")
    return out.sort_values(
        ["key", "share_key", "composite"], ascending=False, kind="stable", ignore_index=True
    )
