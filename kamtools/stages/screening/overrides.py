"""The workshop's overrides of screened tiers: one rule set, checked before a run and when applied.

The consultant's decisions live in ``workshop/screening_overrides.csv`` (columns
:data:`OVERRIDE_COLUMNS`, one row per customer). :func:`override_problems` holds every rule
(known customer, known tier, a reason and who decided, one row per customer, at most
``max_overrides`` rows); ``kam validate`` reports its problems with file, row and column
(:func:`validate_screening`), and :func:`apply_overrides` refuses what it refuses, so an
override is never accepted in one place and rejected in the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kamtools import io
from kamtools.stages.screening.settings import TIERS, OverrideError, ScreeningSettings, require_input
from kamtools.validation import Problem

if TYPE_CHECKING:
    from kamtools.workspace import Workspace

OVERRIDES_FILE = "workshop/screening_overrides.csv"
"""Where a workspace keeps the consultant's overrides."""

OVERRIDE_COLUMNS: tuple[str, ...] = ("customer_id", "tier", "reason", "decided_by")


def _as_text(overrides: pd.DataFrame) -> pd.DataFrame:
    """The override columns as stripped text, an empty cell as ""."""
    return overrides[list(OVERRIDE_COLUMNS)].map(lambda v: "" if pd.isna(v) else str(v).strip())


def load_overrides(workspace: Path) -> pd.DataFrame:
    """The consultant's screening overrides (:data:`OVERRIDE_COLUMNS`, text); empty if none.

    Raises
    ------
    kamtools.io.InputFileError
        The file cannot be read or lacks one of the columns.
    """
    path = workspace / OVERRIDES_FILE
    if not path.exists():
        return pd.DataFrame(columns=list(OVERRIDE_COLUMNS))
    frame = io.read_raw_table(path)
    missing = [c for c in OVERRIDE_COLUMNS if c not in frame.columns]
    if missing:
        raise io.InputFileError(path.name, f"missing column(s) {missing}")
    return _as_text(frame)


def override_problems(
    overrides: pd.DataFrame,
    *,
    known_customers: Iterable[str],
    max_overrides: int,
    file: str = Path(OVERRIDES_FILE).name,
) -> list[Problem]:
    """Every rule an override must follow, as problems naming the file's rows and columns.

    Parameters
    ----------
    overrides : pandas.DataFrame
        :data:`OVERRIDE_COLUMNS`, in file order, so row ``i`` is the file's row ``i + 2``.
    known_customers : iterable of str
        Customer ids an override may name (the customer master, or the screened customers).
    max_overrides : int
        Most overrides allowed (``ScreeningSettings.max_overrides``).
    file : str
        File name the problems quote.

    Returns
    -------
    list of Problem
        Unknown customer, tier not one of :data:`TIERS` (exactly as written there), missing
        reason or decider, a customer overridden twice, too many overrides. Empty when
        the overrides can be applied.
    """
    missing = [c for c in OVERRIDE_COLUMNS if c not in overrides.columns]
    if missing:
        return [Problem("overrides", file, None, f"missing column(s) {missing}")]
    problems: list[Problem] = []
    rows = pd.Series(np.arange(2, len(overrides) + 2), index=overrides.index)
    text = _as_text(overrides)

    def flag(mask: pd.Series, column: str, message: str, values: pd.Series | None = None) -> None:
        if mask.any():
            shown = () if values is None else tuple(values[mask].astype(str).unique()[:3])
            problems.append(Problem("overrides", file, column, message, tuple(rows[mask]), shown))

    ids = text["customer_id"]
    flag(
        ~ids.isin(set(map(str, known_customers))),
        "customer_id",
        "customer not found in the customer master",
        ids,
    )
    flag(~text["tier"].isin(TIERS), "tier", f"must be one of {', '.join(TIERS)}", text["tier"])
    for column in ("reason", "decided_by"):
        flag(text[column] == "", column, "required: every override needs a reason and who decided it")
    flag(ids.duplicated(keep=False), "customer_id", "customer overridden more than once", ids)
    if len(overrides) > max_overrides:
        problems.append(
            Problem(
                "overrides",
                file,
                None,
                f"{len(overrides)} overrides, more than the {max_overrides}"
                " allowed (screening.max_overrides in client.yml): a screen overridden this much"
                " is no longer a screen",
            )
        )
    return problems


def validate_screening(workspace: Workspace) -> list[Problem]:
    """The screening stage's checks of a loaded workspace: its overrides against the customers.

    The settings themselves are checked by the registry (``Stage.problems``) before this runs.
    """
    settings = ScreeningSettings.from_mapping(workspace.config.section("screening"))
    try:
        overrides = load_overrides(workspace.root)
    except io.InputFileError as exc:
        return [Problem("overrides", exc.file, None, exc.message)]
    customers = workspace.tables.get("customers")
    has_ids = customers is not None and "customer_id" in customers.columns
    known = customers["customer_id"].astype("str") if has_ids else []
    return override_problems(overrides, known_customers=known, max_overrides=settings.max_overrides)


def apply_overrides(
    screened: pd.DataFrame, overrides: pd.DataFrame | None, *, max_overrides: int
) -> pd.DataFrame:
    """Apply the workshop's decisions to the screened tiers, keeping the reasons traceable.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`score_customers` (``customer_id``, ``tier``; ``reason`` when written).
    overrides : pandas.DataFrame or None
        :data:`OVERRIDE_COLUMNS`; one row per customer. None or empty changes nothing.
    max_overrides : int
        Most overrides allowed (``ScreeningSettings.max_overrides``): a screening overridden
        everywhere is no screening.

    Returns
    -------
    pandas.DataFrame
        A copy of ``screened`` with ``tier`` replaced, `` (override by X: reason)`` appended to
        ``reason``, plus ``screened_tier`` (the tier before overrides) and ``overridden`` (bool).

    Raises
    ------
    OverrideError
        The overrides break a rule of :func:`override_problems` (the same rules ``kam
        validate`` checks); the message lists every problem.
    """
    require_input(screened, ["customer_id", "tier"], "screened")
    out = screened.copy()
    out["screened_tier"] = out["tier"]
    out["overridden"] = False
    if overrides is None or len(overrides) == 0:
        return out
    problems = override_problems(
        overrides, known_customers=out["customer_id"].astype("str"), max_overrides=max_overrides
    )
    if problems:
        raise OverrideError("; ".join(str(p) for p in problems))
    text = _as_text(overrides)
    position = pd.Series(np.arange(len(out)), index=out["customer_id"].astype("str"))
    rows = position[text["customer_id"]].to_numpy()
    tier_col = out.columns.get_loc("tier")
    for row, tier in zip(rows, text["tier"], strict=True):
        out.iloc[row, tier_col] = tier
    if "reason" in out:
        out["reason"] = override_reasons(out, overrides)
    out.loc[out.index[rows], "overridden"] = True
    return out


def override_reasons(screened: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.Series:
    """The ``reason`` of ``screened`` with `` (override by X: reason)`` after each overridden customer's.

    ``screened`` may hold any subset of the customers (``customer_id``, ``reason``); overrides of
    customers not in it are skipped. The overrides are those :func:`apply_overrides` accepted.
    """
    reasons = screened["reason"].astype("str").tolist()
    if overrides is not None and len(overrides):
        text = _as_text(overrides).set_index("customer_id")
        ids = screened["customer_id"].astype("str")
        for i in np.flatnonzero(ids.isin(text.index).to_numpy()):
            why, who = text.at[ids.iloc[i], "reason"], text.at[ids.iloc[i], "decided_by"]
            reasons[i] = f"{reasons[i]} (override by {who}: {why})"
    return pd.Series(reasons, index=screened.index, dtype="str")
