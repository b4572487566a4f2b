"""The workshop's re-rank: the report's lists again after a control moves, without recomputing metrics.

:func:`rerank_basis` computes, once, what no workshop control changes: both periods'
:class:`~kamtools.stages.screening.scoring.ScoringBasis` (context, criterion scores, growth
floor, tie-break order). :func:`rerank` then goes the report's way
(:func:`~kamtools.stages.screening.narrative.screen_client`) in column operations: both periods
weighed, gated and tiered (:func:`~kamtools.stages.screening.scoring.score_from_basis`), last
period's key accounts and the growth cap applied
(:func:`~kamtools.stages.screening.selection.final_tiers`), then the overrides. Reasons are
written only for the accounts listed, with the same functions and so the same words as the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.stages.screening.movement import team_capacity
from kamtools.stages.screening.overrides import apply_overrides, override_reasons
from kamtools.stages.screening.reasons import tier_reasons
from kamtools.stages.screening.scoring import (
    PeriodScreening,
    ScoringBasis,
    _scoring_basis,
    first_buyer_label,
    score_from_basis,
)
from kamtools.stages.screening.selection import final_tiers, list_reasons
from kamtools.stages.screening.settings import ScreeningSettings

__all__ = ["LISTED_TIERS", "RerankBasis", "period_basis", "rerank", "rerank_basis"]

LISTED_TIERS: tuple[str, ...] = ("key", "growth")
"""The tiers whose accounts the workshop lists, with their reasons."""


@dataclass(frozen=True)
class RerankBasis:
    """What a re-rank reuses: both periods' scoring bases and the tables that do not move.

    Attributes
    ----------
    current, previous : ScoringBasis
        This period's basis and last period's (None when the data do not cover it).
    team, overrides : pandas.DataFrame or None
        The team table (the growth list's cap) and the workshop's overrides.
    """

    current: ScoringBasis
    previous: ScoringBasis | None
    team: pd.DataFrame | None = None
    overrides: pd.DataFrame | None = None

    def fits(self, settings: ScreeningSettings) -> bool:
        """Whether ``settings`` can re-rank this basis (see :meth:`ScoringBasis.fits`)."""
        return self.current.fits(settings) and (self.previous is None or self.previous.fits(settings))


def period_basis(
    screening: PeriodScreening,
    *,
    settings: ScreeningSettings,
    market: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
) -> ScoringBasis:
    """The scoring basis of a period screened by :func:`~kamtools.stages.screening.scoring.screen_period`.

    Parameters
    ----------
    screening : PeriodScreening
        Its metrics, payment behaviour, workshop scores, window and data history are used.
    settings : ScreeningSettings
        Of these only :data:`~kamtools.stages.screening.scoring.BASIS_SETTINGS` act here.
    market, cost_to_serve : pandas.DataFrame, optional
        The tables the screening used.

    Returns
    -------
    ScoringBasis
        For :func:`~kamtools.stages.screening.scoring.score_from_basis`, which gives what
        ``score_customers`` would for any weights, gates and key count.
    """
    return _scoring_basis(
        screening.metrics,
        settings=settings,
        window=screening.window,
        payments=screening.payments,
        qualitative=screening.qualitative,
        market=market,
        cost_to_serve=cost_to_serve,
        first_buyer_label=first_buyer_label(screening.history),
    )


def rerank_basis(
    current: PeriodScreening,
    previous: PeriodScreening | None = None,
    *,
    settings: ScreeningSettings,
    team: pd.DataFrame | None = None,
    overrides: pd.DataFrame | None = None,
    market: pd.DataFrame | None = None,
    cost_to_serve: pd.DataFrame | None = None,
) -> RerankBasis:
    """Compute once what every re-rank of a screening reuses.

    Parameters
    ----------
    current, previous : PeriodScreening
        The screenings of this period and last (metrics, payments, workshop scores, window,
        data history); ``previous`` None: no at-risk accounts, no retention band.
    settings : ScreeningSettings
        Settings with the :data:`~kamtools.stages.screening.scoring.BASIS_SETTINGS` to use.
    team, overrides, market, cost_to_serve : pandas.DataFrame, optional
        The tables the report's screening uses.

    Returns
    -------
    RerankBasis
    """
    return RerankBasis(
        current=period_basis(current, settings=settings, market=market, cost_to_serve=cost_to_serve),
        previous=(
            period_basis(previous, settings=settings, market=market, cost_to_serve=cost_to_serve)
            if previous is not None
            else None
        ),
        team=team if team is not None and len(team) else None,
        overrides=overrides,
    )


def rerank(
    basis: RerankBasis, *, settings: ScreeningSettings, listed: Sequence[str] = LISTED_TIERS
) -> pd.DataFrame:
    """The final tiers of this period under ``settings``, as the report would show them.

    Parameters
    ----------
    basis : RerankBasis
        From :func:`rerank_basis` (with settings that fit: :meth:`RerankBasis.fits`).
    settings : ScreeningSettings
        Weights, gates, key count and the list rules.
    listed : sequence of str
        Tiers whose reasons are written.

    Returns
    -------
    pandas.DataFrame
        The frame :func:`~kamtools.stages.screening.narrative.screen_client` gives as
        ``current.scored`` (final tiers, overrides applied; ``attrs`` as there), except that
        ``exclusion`` is left out and ``reason`` is written for the ``listed`` tiers only
        (missing elsewhere); those reasons are the report's, word for word.
    """
    scored = score_from_basis(basis.current, settings=settings, reasons=False)
    previous = (
        score_from_basis(basis.previous, settings=settings, reasons=False)
        if basis.previous is not None
        else None
    )
    capacity = (
        team_capacity(basis.team, manager_load=settings.manager_load) if basis.team is not None else None
    )
    final = final_tiers(
        scored, previous, settings=settings, capacity=capacity, tiebreak=basis.current.tiebreak
    )
    applied = apply_overrides(final, basis.overrides, max_overrides=settings.max_overrides)
    applied.attrs = dict(final.attrs)
    rows = np.flatnonzero(applied["tier"].isin(list(listed)).to_numpy())
    shown = scored.iloc[rows]
    screened = tier_reasons(
        shown,
        settings=settings,
        buying_customers=int(basis.current.buying.sum()),
        first_buyer_label=basis.current.first_buyer_label,
    )
    reasons = list_reasons(
        final.iloc[rows],
        shown.assign(reason=screened),
        settings=settings,
        places=final.attrs["growth_places"],
    )
    text = override_reasons(applied.iloc[rows][["customer_id"]].assign(reason=reasons), basis.overrides)
    code = np.full(len(applied), len(rows))
    code[rows] = np.arange(len(rows))
    reason = pd.Series(pd.array([*text, None], dtype="str").take(code), index=applied.index)
    applied.insert(applied.columns.get_loc("rank") + 1, "reason", reason)  # where the report has it
    return applied
