"""Stage 2, needs analysis: what each key account needs, what it earns, and who serves it.

- :mod:`.settings`: :class:`NeedsSettings` (the ``needs:`` section of ``client.yml``).
- :mod:`.indicators`: the scorecard of strength, capability and hard indicators.
- :mod:`.profit`: account profit from sales to contribution, cost to serve by component.
- :mod:`.reorder`: reorder-cycle risk by each account's own rhythm.
- :mod:`.support`: weakest indicators mapped to support offerings, each with why.
- :mod:`.team`: the service team per account and each account manager's load.
- :mod:`.store`: the workshop's assessment history (append-only, safe against crashes).
"""

from kamtools.stages.needs.checks import validate_needs
from kamtools.stages.needs.settings import NeedsSettings
from kamtools.stages.registry import Stage

__all__ = ["STAGE", "NeedsSettings", "validate_needs"]

STAGE = Stage(
    key="needs",
    number=2,
    title="Needs analysis",
    notebook="02_needs_analysis.ipynb",
    depends_on=("screening",),
    settings_class=NeedsSettings,
    config_section="needs",
    validate=validate_needs,
    writes=("needs_scorecard", "needs_support", "needs_team", "account_profit"),
    reads=("key_accounts",),
)
"""Stage 2 in the registry (:mod:`kamtools.stages.registry`)."""
