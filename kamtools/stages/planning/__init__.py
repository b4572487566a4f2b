"""Stage 3, plan development: per key account a market, competitor and self analysis, goals
by stage with a stretch goal, a contact cadence and actions with owners and dates, saved as a
plan file the review stage reads back a period later.

Modules: :mod:`.settings` (rules), :mod:`.market` (wallet, share of wallet, headroom, white
space), :mod:`.competitors`, :mod:`.swot`, :mod:`.goals` (proposal, seasonal split),
:mod:`.contacts`, :mod:`.actions`, :mod:`.load` (team load), :mod:`.build` (all of it per
account), :mod:`.planfile` (the YAML plan file), :mod:`.tracker` (the XLSX tracker),
:mod:`.editing` and :mod:`.workshop` (the plan builder), :mod:`.narrative` and :mod:`.plots`
(the report) and :mod:`.stage` (all of it as the notebook runs it).
"""

from kamtools.stages.planning.build import (
    AccountAnalysis,
    PlanContext,
    analyse_accounts,
    plan_load,
    propose_plan,
)
from kamtools.stages.planning.checks import validate_planning
from kamtools.stages.planning.planfile import (
    Plan,
    PlanFileError,
    plan_path,
    plan_tables,
    read_plan,
    save_plan,
)
from kamtools.stages.planning.settings import PlanningError, PlanningSettings, PlanningSettingsError
from kamtools.stages.planning.stage import PlanDevelopment, develop_plans
from kamtools.stages.planning.tracker import Tracker, TrackerError, read_tracker, tracker_path, write_tracker
from kamtools.stages.registry import Stage

__all__ = [
    "STAGE",
    "AccountAnalysis",
    "Plan",
    "PlanContext",
    "PlanDevelopment",
    "PlanFileError",
    "PlanningError",
    "PlanningSettings",
    "PlanningSettingsError",
    "Tracker",
    "TrackerError",
    "analyse_accounts",
    "develop_plans",
    "plan_load",
    "plan_path",
    "plan_tables",
    "propose_plan",
    "read_plan",
    "read_tracker",
    "save_plan",
    "tracker_path",
    "write_tracker",
]

STAGE = Stage(
    key="planning",
    number=3,
    title="Plan development",
    notebook="03_plan_development.ipynb",
    depends_on=("screening", "needs"),
    settings_class=PlanningSettings,
    config_section="planning",
    validate=validate_planning,
    writes=("plan_goals", "plan_actions", "plan_contacts"),
    reads=("key_accounts",),
    reports_on_next_period=True,
)
"""Stage 3 in the registry (:mod:`kamtools.stages.registry`). The needs outputs are read when the
run folder has them and computed here when it does not (a notebook opened on its own)."""
