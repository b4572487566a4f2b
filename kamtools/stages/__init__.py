"""The stages of a client engagement, one package each, and the registry that knows them.

Stage 1 :mod:`~kamtools.stages.screening`, then needs analysis, plan development and post-period
review. Each stage package defines ``STAGE`` (a :class:`Stage`); :func:`stages` lists them in
method order. Stage code never imports the runner or the CLI (see ARCHITECTURE.md).
"""

from __future__ import annotations

from kamtools.stages.registry import (
    Stage,
    StageRegistryError,
    config_sections,
    get_stage,
    load_stage_module,
    output_table,
    register_stage,
    settings_values,
    stages,
    unregister_stage,
)

__all__ = [
    "Stage",
    "StageRegistryError",
    "config_sections",
    "get_stage",
    "load_stage_module",
    "output_table",
    "register_stage",
    "settings_values",
    "stages",
    "unregister_stage",
]
