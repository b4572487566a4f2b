"""The stage registry: what the runner, ``kam validate``, config parsing and the index page know of a stage.

Each stage is one package under :mod:`kamtools.stages` whose ``__init__`` defines ``STAGE``, a
:class:`Stage`. The registry finds those packages by itself (:func:`stages`), so adding a stage
means adding its folder (and its notebook); nothing else in kamtools names it. A stage made
elsewhere (a plug-in, a test) joins with :func:`register_stage`.

A stage declares

* ``key``, ``number``, ``title`` and the stages it ``depends_on`` (their outputs must exist);
* its ``notebook``: a file name in :data:`kamtools.paths.NOTEBOOKS_DIR`, or an absolute path;
  the notebook takes the parameters ``workspace_dir``, ``period`` and ``output_dir``;
* its settings: ``settings_class`` (built with ``settings_class.from_mapping(mapping)``, which
  raises ``ValueError`` on a bad setting) read from the ``client.yml`` section ``config_section``;
* ``validate(workspace) -> list[Problem]``: the stage's own checks, run by ``kam validate`` and
  before any notebook of ``kam run`` starts;
* the output tables it ``writes`` and ``reads`` (names of :data:`kamtools.contract.OUTPUTS`,
  or of the ``output_tables`` a plug-in stage declares itself).

A plug-in stage outside the package joins with :func:`load_stage_module` (its module defines
``STAGE``); the notebook kernels of a run then know it too.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamtools.contract import OUTPUTS, Table
from kamtools.paths import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from kamtools.config import ClientConfig
    from kamtools.validation import Problem
    from kamtools.workspace import Workspace

__all__ = [
    "STAGE_MODULES_VARIABLE",
    "Stage",
    "StageRegistryError",
    "check_settings_rules",
    "config_sections",
    "get_stage",
    "load_stage_module",
    "output_table",
    "register_stage",
    "settings_problem",
    "settings_values",
    "stages",
    "unregister_stage",
]

STAGE_MODULES_VARIABLE = "KAMTOOLS_STAGE_MODULES"
"""Environment variable listing plug-in stage modules (a JSON list of ``[folder, module]``):
:func:`load_stage_module` sets it so that the notebook kernels a run starts know the same
stages."""

CORE_SECTIONS = ("client", "periods", "inputs")
"""The ``client.yml`` sections every client has; stage sections come from the registry."""


class StageRegistryError(ValueError):
    """A stage declaration is inconsistent (duplicate key, unknown dependency, bad section)."""


@dataclass(frozen=True)
class Stage:
    """One stage of the method, as the registry knows it (see the module docstring)."""

    key: str
    number: int
    title: str
    notebook: str | Path
    depends_on: tuple[str, ...] = ()
    settings_class: type | None = None
    config_section: str | None = None
    validate: Callable[[Workspace], list[Problem]] | None = None
    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    output_tables: tuple[Table, ...] = ()
    reports_on_next_period: bool = False
    """The report is about the period after the analysed one (planning plans the next year), so its
    cover names that period."""
    """Contracts of outputs declared in the stage's own folder (a plug-in); built-in stages
    declare theirs in :data:`kamtools.contract.OUTPUTS`."""

    @property
    def basename(self) -> str:
        """File stem of the stage's notebook, its report page and its audit copy."""
        return Path(self.notebook).stem

    def notebook_path(self, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
        """Where the notebook is: an absolute ``notebook`` as given, else in ``notebooks_dir``."""
        path = Path(self.notebook)
        return path if path.is_absolute() else notebooks_dir / path

    def settings_mapping(self, config: ClientConfig) -> Mapping[str, Any]:
        """The stage's section of ``client.yml`` (empty when the client sets nothing)."""
        return config.section(self.config_section) if self.config_section else {}

    def settings(self, config: ClientConfig) -> Any:
        """The stage's settings object for a client, or None for a stage without settings."""
        if self.settings_class is None:
            return None
        return self.settings_class.from_mapping(self.settings_mapping(config))

    def problems(self, workspace: Workspace) -> list[Problem]:
        """Everything wrong for this stage in a loaded workspace: its settings, then its own checks."""
        try:
            self.settings(workspace.config)
        except ValueError as exc:
            return [settings_problem(exc, section=self.config_section)]
        return list(self.validate(workspace)) if self.validate is not None else []


_REGISTERED: dict[str, Stage] = {}
_DISCOVERED = False


def _discover() -> None:
    """Register the ``STAGE`` of every stage package under :mod:`kamtools.stages` (once)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    package = importlib.import_module("kamtools.stages")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        stage = getattr(importlib.import_module(f"kamtools.stages.{module.name}"), "STAGE", None)
        if isinstance(stage, Stage) and stage.key not in _REGISTERED:
            _check(stage)
            _REGISTERED[stage.key] = stage
    for folder, name in _plugin_modules():
        stage = _import_stage(name, folder)
        if stage.key not in _REGISTERED:
            _check(stage)
            _REGISTERED[stage.key] = stage


def _plugin_modules() -> list[tuple[str, str]]:
    return [tuple(entry) for entry in json.loads(os.environ.get(STAGE_MODULES_VARIABLE) or "[]")]


def _set_plugin_modules(entries: list[tuple[str, str]]) -> None:
    if entries:
        os.environ[STAGE_MODULES_VARIABLE] = json.dumps(entries)
    else:
        os.environ.pop(STAGE_MODULES_VARIABLE, None)


def _import_stage(name: str, folder: str) -> Stage:
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    stage = getattr(importlib.import_module(name), "STAGE", None)
    if not isinstance(stage, Stage):
        raise StageRegistryError(f"module {name!r} defines no STAGE = Stage(...)")
    return stage


def _check(stage: Stage) -> None:
    if stage.config_section in CORE_SECTIONS:
        taken = f"client.yml section {stage.config_section!r} is taken"
        raise StageRegistryError(f"stage {stage.key!r}: {taken}")
    for other in (s for s in _REGISTERED.values() if s.key != stage.key):
        pair = f"stages {other.key!r} and {stage.key!r}"
        if other.config_section and other.config_section == stage.config_section:
            raise StageRegistryError(f"{pair} both use the client.yml section {stage.config_section!r}")
        if other.number == stage.number:
            raise StageRegistryError(f"{pair} both have number {stage.number}")


def register_stage(stage: Stage, *, replace: bool = False) -> Stage:
    """Add a stage to the registry (a plug-in or a test); returns it.

    Raises
    ------
    StageRegistryError
        A stage with that key exists (unless ``replace``), the number or ``client.yml``
        section is taken, or a stage it depends on is not registered.
    """
    _discover()
    if stage.key in _REGISTERED and not replace:
        raise StageRegistryError(f"a stage {stage.key!r} is registered already")
    unknown = [d for d in stage.depends_on if d not in _REGISTERED]
    if unknown:
        raise StageRegistryError(f"stage {stage.key!r} depends on unknown stage(s) {unknown}")
    _check(stage)
    _REGISTERED[stage.key] = stage
    return stage


def load_stage_module(name: str, *, folder: Path | None = None) -> Stage:
    """Register the ``STAGE`` of a plug-in module (in ``folder``, else on ``sys.path``).

    Unlike :func:`register_stage`, the stage is also known to the notebook kernels that a
    run starts from this process (through :data:`STAGE_MODULES_VARIABLE`), so its notebook
    can open the client with its own ``client.yml`` section.
    """
    stage = register_stage(_import_stage(name, str(folder or "")))
    _set_plugin_modules([*_plugin_modules(), (str(folder or ""), name)])
    return stage


def unregister_stage(key: str) -> None:
    """Remove a stage added with :func:`register_stage` or :func:`load_stage_module`."""
    _discover()
    stage = _REGISTERED.pop(key, None)
    if stage is None:
        return
    module = getattr(stage.settings_class, "__module__", None) or getattr(stage.validate, "__module__", "")
    _set_plugin_modules([(folder, name) for folder, name in _plugin_modules() if name != module])


def output_table(name: str) -> Table:
    """The contract of the stage output ``name``: :data:`kamtools.contract.OUTPUTS`, else a stage's own."""
    if name in OUTPUTS:
        return OUTPUTS[name]
    for stage in stages():
        for table in stage.output_tables:
            if table.name == name:
                return table
    raise KeyError(f"no stage output contract {name!r}; known: {', '.join(OUTPUTS)}")


def stages() -> list[Stage]:
    """Every registered stage, in method order (by number)."""
    _discover()
    return sorted(_REGISTERED.values(), key=lambda s: s.number)


def get_stage(key: str) -> Stage:
    """The stage registered under ``key``; KeyError names the known keys."""
    _discover()
    try:
        return _REGISTERED[key]
    except KeyError:
        raise KeyError(f"unknown stage {key!r}; known: {', '.join(_REGISTERED)}") from None


def settings_values(
    settings_class: type, mapping: Any, *, section: str, error: type[Exception] = ValueError
) -> dict[str, Any]:
    """The settings a ``client.yml`` section gives, checked against a settings dataclass.

    The one check every stage's ``from_mapping`` starts with: the section is a mapping and
    names only fields of ``settings_class``. Missing keys keep their default (they are not
    in the result).

    Raises
    ------
    error
        The section is not a mapping, or names an unknown setting (the message names it and
        lists the allowed ones).
    """
    if not mapping:
        return {}
    if not isinstance(mapping, Mapping):
        raise error(f"the {section} section of client.yml must be a mapping of settings, got {mapping!r}")
    fields = {f.name: f for f in dataclasses.fields(settings_class)}
    allowed = list(fields)
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        listed = ", ".join(map(repr, unknown))
        raise error(f"unknown {section} setting(s) {listed}; allowed: {', '.join(allowed)}{hint}")
    for name, value in mapping.items():
        _check_value_type(section, name, value, str(fields[name].type), error)
    return dict(mapping)


def settings_problem(error: ValueError, *, section: str | None) -> Problem:
    """The problem a stage's bad settings make: ``client.yml``, the stage's section, the message."""
    from kamtools.config import CONFIG_FILE
    from kamtools.validation import Problem

    return Problem("settings", CONFIG_FILE, section, str(error))


def check_settings_rules(
    settings: object, rules: Iterable[tuple[str, bool, str]], *, section: str, error: type[Exception]
) -> None:
    """Raise ``error`` for the first broken rule of a settings object's ``__post_init__``.

    ``rules`` are ``(field name, holds, what it must be)``; the message reads
    "needs setting 'manager_load' must be a whole number, at least 1, got 0".
    """
    for name, ok, rule in rules:
        if not ok:
            raise error(f"{section} setting {name!r} must be {rule}, got {getattr(settings, name)!r}")


def _check_value_type(section: str, name: str, value: Any, annotation: str, error: type[Exception]) -> None:
    """A number setting holds a number, a true/false setting true or false (``key_accounts: "ten"``)."""
    words = set(re.findall(r"[A-Za-z_]+", annotation))
    if value is None:
        if "None" not in words and "Optional" not in words:
            raise error(f"{section} setting '{name}' needs a value")
        return
    if words <= {"int", "float", "None", "Optional"} and words & {"int", "float"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise error(f"{section} setting '{name}' must be a number, not {value!r}")
        if not math.isfinite(value) or abs(value) > 1e9:
            raise error(f"{section} setting '{name}' must be a sensible number, not {value!r}")
        if words in ({"int"}, {"int", "None"}) and float(value) != int(value):
            raise error(f"{section} setting '{name}' must be a whole number, not {value!r}")
    elif words <= {"bool", "None"} and "bool" in words and not isinstance(value, bool):
        raise error(f"{section} setting '{name}' must be true or false, not {value!r}")


def config_sections() -> dict[str, Stage]:
    """The ``client.yml`` section of each stage that has settings, to its stage."""
    return {s.config_section: s for s in stages() if s.config_section}
