"""Stage 4, post-period review: the period against its plan, satisfaction, lost and declining
accounts and why, what retention is worth, lessons learned, and input to the next screening.

Modules: :mod:`~kamtools.stages.review.settings` (ReviewSettings), ``attainment`` (plan against
actual, variance split, actions), ``satisfaction``, ``defection`` (lost, declining, at risk),
``economics`` (retention economics), ``cadence`` (contacts), ``lessons`` and ``workshop`` (the
lessons form), ``next_screening`` (tier proposals), ``inputs`` (the plan and tracker read back),
``analysis`` (the whole review), ``narrative`` and ``plots`` (the report). Generic analytics it
uses live in :mod:`kamtools.analytics.bridges` and :mod:`kamtools.analytics.cohorts`.
"""

from __future__ import annotations

from kamtools.stages.registry import Stage
from kamtools.stages.review.inputs import review_problems
from kamtools.stages.review.settings import ReviewSettings, ReviewSettingsError

__all__ = ["STAGE", "ReviewSettings", "ReviewSettingsError", "review_problems"]

STAGE = Stage(
    key="review",
    number=4,
    title="Post-period review",
    notebook="04_post_period_review.ipynb",
    depends_on=(),  # it reviews the plan made a period earlier, not this run's (see below)
    settings_class=ReviewSettings,
    config_section="review",
    validate=review_problems,
    writes=("review_attainment", "review_at_risk", "tier_proposals"),
)
"""Stage 4 in the registry (:mod:`kamtools.stages.registry`). It reads the plan file and tracker
of the reviewed period from the workspace (made by the planning stage a period earlier), not an
output of the same run, so it declares no ``reads`` and depends on no stage of the run: it runs
beside the others (``kam run --jobs``) and a failed plan development does not hold it back."""
