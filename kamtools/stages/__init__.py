"""The stages of a client engagement, one package each, and the registry that knows them.

Stage 1 :mod:`~kamtools.stages.screening`, then needs analysis, plan development and post-period
review. Each stage package defines ``STAGE`` (a :class:`Stage`); :func:`stages` lists them in
method order. Stage code never imports the runner or the CLI (see ARCHITECTURE.md).

The names here are :mod:`kamtools.stages.registry`'s public names (its ``__all__``), the one
place they are defined and listed.
"""

from __future__ import annotations

from kamtools.stages import registry as _registry
from kamtools.stages.registry import *  # noqa: F403  (re-exported: the registry's __all__)

__all__ = list(_registry.__all__)
