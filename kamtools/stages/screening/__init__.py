"""Stage 1, screening: which customers are the dealer's key accounts, and which could become one.

Key accounts are screened on several criteria at once, not on sales alone: a big customer with a
thin margin, or one that pays months late, is not what the dealer needs, while a small customer
that grows fast or has a well-run business can grow into a key account. The criteria are

* sales and sales share (Pareto),
* gross profit and margin (or contribution after cost to serve, when known),
* financial reputation: payment behaviour from the receivables,
* management maturity: workshop scores from the assessments,
* purchase history: frequency, recency, variety of what is bought and the monthly trend,
* growth against the previous period.

The stage is split by layer:

* :mod:`.settings`: vocabulary (tiers, criteria), errors and :class:`ScreeningSettings`,
* :mod:`.metrics`: per-customer measures, payment behaviour, workshop scores,
* :mod:`.scoring`: criterion scores, gates and tiers (a cached basis, then column operations);
  :func:`screen_period`,
* :mod:`.reasons`: the gates and growth signals as column operations, and the reasons in words,
* :mod:`.overrides`: the workshop's overrides,
* :mod:`.movement`: movement between periods, weight sensitivity, team capacity,
* :mod:`.selection`: the final key, growth and at-risk lists, weight robustness,
* :mod:`.rerank`: the workshop's re-rank from the cached bases of both periods,
* :mod:`.narrative`: :func:`screen_client` and the report's sentences and tables,
* :mod:`.summary`: the executive summary, findings with next steps, glossary,
* :mod:`.plots` and :mod:`.workshop`: the stage's charts and its JupyterLab panel.

The functions are pure: they return new frames and never change the frames they receive. The
main flow is::

    window = comparison_window(sales["invoice_date"], current=2026, previous=2025, start_month=4)
    metrics = customer_metrics(sales, customers=customers, window=window)
    payments = payment_behaviour(receivables, as_of=window.current_end, customers=customers)
    scored = score_customers(metrics, settings=settings, window=window, payments=payments)

or :func:`screen_period`, which does the four steps for one period, and :func:`screen_client`,
which screens this period and the previous one, compares them, tests the weights, applies the
workshop's overrides and returns a :class:`ScreeningResult` with the report's sentences and tables.
Concentration measures (Pareto, Gini, whale curve, ABC) live in :mod:`kamtools.analytics.concentration`.
"""

from __future__ import annotations

from kamtools.analytics import BUYING_STATUSES
from kamtools.stages.registry import Stage
from kamtools.stages.screening.metrics import (
    customer_metrics,
    customer_metrics_by_window,
    period_measures,
    qualitative_scores,
    sales_columns,
)
from kamtools.stages.screening.movement import (
    account_managers,
    capacity_warning,
    key_account_retention,
    migration_warning,
    movers,
    team_capacity,
    tier_transitions,
)
from kamtools.stages.screening.narrative import ScreeningResult, screen_client
from kamtools.stages.screening.overrides import (
    OVERRIDE_COLUMNS,
    OVERRIDES_FILE,
    apply_overrides,
    load_overrides,
    override_problems,
    validate_screening,
)
from kamtools.stages.screening.payments import (
    payment_behaviour,
    payment_behaviour_by_window,
    payment_data_available,
    period_payments,
    receivables_columns,
)
from kamtools.stages.screening.reasons import GATES, GROWTH_SIGNALS
from kamtools.stages.screening.scoring import (
    PeriodScreening,
    effective_weights,
    peer_margin,
    score_customers,
    screen_period,
    size_points,
)
from kamtools.stages.screening.selection import (
    final_tiers,
    growth_places,
    select_key_accounts,
    weight_sensitivity,
)
from kamtools.stages.screening.settings import (
    ACCOUNT_MANAGER_ROLES,
    CRITERIA,
    DEFAULT_WEIGHTS,
    METRIC_COLUMNS,
    PAYMENT_COLUMNS,
    TIER_LABELS,
    TIERS,
    OverrideError,
    ScreeningError,
    ScreeningInputError,
    ScreeningSettings,
    SettingsError,
    key_account_count,
)
from kamtools.stages.screening.summary import (
    at_risk_table,
    executive_summary,
    findings,
    findings_html,
    glossary_table,
    review_by_cause,
    tier_money_table,
)

__all__ = [
    "ACCOUNT_MANAGER_ROLES",
    "BUYING_STATUSES",
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "GATES",
    "GROWTH_SIGNALS",
    "METRIC_COLUMNS",
    "OVERRIDES_FILE",
    "OVERRIDE_COLUMNS",
    "PAYMENT_COLUMNS",
    "STAGE",
    "TIERS",
    "TIER_LABELS",
    "OverrideError",
    "PeriodScreening",
    "ScreeningError",
    "ScreeningInputError",
    "ScreeningResult",
    "ScreeningSettings",
    "SettingsError",
    "account_managers",
    "apply_overrides",
    "at_risk_table",
    "capacity_warning",
    "customer_metrics",
    "customer_metrics_by_window",
    "effective_weights",
    "executive_summary",
    "final_tiers",
    "findings",
    "findings_html",
    "glossary_table",
    "growth_places",
    "key_account_count",
    "key_account_retention",
    "load_overrides",
    "migration_warning",
    "movers",
    "override_problems",
    "payment_behaviour",
    "payment_behaviour_by_window",
    "payment_data_available",
    "peer_margin",
    "period_measures",
    "period_payments",
    "qualitative_scores",
    "receivables_columns",
    "review_by_cause",
    "sales_columns",
    "score_customers",
    "screen_client",
    "screen_period",
    "select_key_accounts",
    "size_points",
    "team_capacity",
    "tier_money_table",
    "tier_transitions",
    "validate_screening",
    "weight_sensitivity",
]

STAGE = Stage(
    key="screening",
    number=1,
    title="Key account screening",
    notebook="01_screening.ipynb",
    settings_class=ScreeningSettings,
    config_section="screening",
    validate=validate_screening,
    writes=("key_accounts", "customer_tiers"),
)
"""Stage 1 in the registry (:mod:`kamtools.stages.registry`)."""
