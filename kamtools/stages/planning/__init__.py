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

__all__ = [
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
