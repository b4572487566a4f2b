"""What ``kam validate`` checks for the needs analysis before any notebook runs.

The needs settings of ``client.yml``, the workshop's assessment history (every bad entry named
by row and column) and the indicators of the client's assessments input: a score on an
indicator the analysis does not know would otherwise be left out without a word.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kamtools import io
from kamtools.inputspec import spec_from_mapping
from kamtools.stages.needs.settings import NeedsSettings, NeedsSettingsError
from kamtools.stages.needs.store import STORE_FILE, check_assessment_store, read_assessment_store
from kamtools.stages.registry import settings_problem
from kamtools.validation import Problem

if TYPE_CHECKING:
    from kamtools.workspace import Workspace


def _input_indicator_problems(
    workspace_root: Path, inputs: Mapping[str, Any], indicators: list[str]
) -> list[Problem]:
    """Rows of the client's assessments file whose indicator the needs analysis does not know."""
    mapping = inputs.get("assessments")
    if not mapping:
        return []
    spec = spec_from_mapping("assessments", mapping)
    path = Path(str(mapping["file"])).expanduser()
    path = path if path.is_absolute() else workspace_root / path
    try:
        raw = io.read_raw_table(path, options=mapping)
    except io.InputFileError:
        return []  # the intake already reports a file it cannot read
    column = spec.columns.get("indicator", "indicator")
    if column not in raw.columns:
        return []  # the intake already reports a missing required column
    values = raw[column].astype("str").str.strip()
    unknown = (values != "") & ~values.isin(indicators)
    if not unknown.any():
        return []
    rows = tuple(int(i) + 2 for i in raw.index[unknown])
    return [
        Problem(
            "assessments",
            path.name,
            column,
            f"not an indicator of the needs analysis; use one of {', '.join(indicators)}"
            " or add it under needs: indicators: in client.yml",
            rows,
            tuple(values[unknown].unique()[:3]),
        )
    ]


def needs_problems(
    workspace_root: Path,
    *,
    section: Mapping[str, Any] | None,
    inputs: Mapping[str, Any],
    customers: pd.DataFrame | None,
) -> list[Problem]:
    """Every problem that stops the needs analysis, each naming its file, row and column.

    Parameters
    ----------
    workspace_root : Path
        The client's workspace (its assessment history, and the inputs named in ``inputs``).
    section : mapping, optional
        The ``needs:`` section of ``client.yml``.
    inputs : mapping
        The ``inputs:`` section of ``client.yml`` (to find the assessments file).
    customers : pandas.DataFrame, optional
        The validated customer master (its ``customer_id`` column).

    Returns
    -------
    list of Problem
    """
    try:
        settings = NeedsSettings.from_mapping(section)
    except NeedsSettingsError as exc:
        return [settings_problem(exc, section="needs")]
    indicators = list(settings.indicators)
    try:
        history = read_assessment_store(workspace_root)
    except io.InputFileError as exc:
        return [Problem("assessments", STORE_FILE.name, None, exc.message)]
    # A customer master the intake could not read leaves nothing to check the ids against.
    usable = customers is not None and "customer_id" in customers.columns
    known = customers["customer_id"].astype("str").tolist() if usable else None
    problems = (
        check_assessment_store(history, known_customers=known, indicators=indicators) if len(history) else []
    )
    return problems + _input_indicator_problems(workspace_root, inputs, indicators)


def validate_needs(workspace: Workspace) -> list[Problem]:
    """The needs stage's checks of a loaded workspace (the registry's ``validate``)."""
    config = workspace.config
    return needs_problems(
        workspace.root,
        section=config.section("needs"),
        inputs=config.inputs,
        customers=workspace.tables.get("customers"),
    )
