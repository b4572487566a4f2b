"""The workshop's assessment history: every save appended, nothing ever overwritten.

A needs workshop scores each key account on the strength and capability indicators. Every
save appends one entry per indicator to ``workshop/assessments.csv`` in the client's workspace,
with the assessor and the moment of the save; corrections are new entries, so the full history
stays and the report uses each assessor's latest score (:func:`latest_scores`). Writing goes
through :func:`kamtools.io.append_csv_rows`: a crash or a second open notebook never loses or
corrupts an entry.

The client's own assessments input (``inputs:`` in ``client.yml``) is read as before; the
workshop's entries are added to it (:func:`combined_assessments`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Required, TypedDict, Unpack

import numpy as np
import pandas as pd

from kamtools import io
from kamtools.validation import Problem

STORE_FILE = Path("workshop") / "assessments.csv"
"""Where the workshop's assessments live, relative to the client's workspace."""

STORE_COLUMNS = ["customer_id", "indicator", "score", "assessor", "date", "note", "saved_at"]
"""The columns of the assessment history (those of the contract's assessments, plus saved_at)."""


class AssessmentError(ValueError):
    """A workshop entry cannot be saved: its score, assessor or indicator is wrong."""


def store_path(workspace: Path) -> Path:
    """The assessment history file of a workspace."""
    return Path(workspace) / STORE_FILE


def assessment_entries(
    customer_id: str,
    scores: Mapping[str, float],
    *,
    assessor: str,
    note: str = "",
    saved_at: datetime | None = None,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The history rows one workshop save adds: one per indicator scored.

    Parameters
    ----------
    customer_id : str
        The account assessed.
    scores : mapping of str to float
        Score (1 to 5, whole or half points) by indicator.
    assessor : str
        Who scores; required, so that several assessors' views stay apart.
    note : str
        Why (applies to every indicator of this save).
    saved_at : datetime, optional
        Moment of the save (default now, UTC); stored to the second.
    indicators : iterable of str, optional
        The indicators that may be scored; others are refused.

    Returns
    -------
    pandas.DataFrame
        :data:`STORE_COLUMNS` as text, one row per indicator.

    Raises
    ------
    AssessmentError
        No assessor, no score, a score outside 1 to 5, or an unknown indicator.
    """
    assessor = str(assessor or "").strip()
    if not assessor:
        raise AssessmentError("the assessor's name is required: every score says who gave it")
    if not str(customer_id or "").strip():
        raise AssessmentError("choose the key account the scores are for")
    if not scores:
        raise AssessmentError("no score to save")
    allowed = None if indicators is None else list(indicators)
    for indicator, score in scores.items():
        if allowed is not None and indicator not in allowed:
            raise AssessmentError(f"unknown indicator {indicator!r}; allowed: {', '.join(allowed)}")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 1 <= float(score) <= 5:
            raise AssessmentError(f"the score of {indicator!r} must be from 1 to 5, got {score!r}")
    moment = (saved_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return pd.DataFrame(
        {
            "customer_id": str(customer_id).strip(),
            "indicator": list(scores),
            "score": [f"{float(s):g}" for s in scores.values()],
            "assessor": assessor,
            "date": moment.strftime("%Y-%m-%d"),
            "note": " ".join(str(note or "").split()),
            "saved_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )[STORE_COLUMNS]


class EntryOptions(TypedDict, total=False):
    """The keyword options of :func:`assessment_entries`, as :func:`save_assessment` passes them on."""

    assessor: Required[str]
    note: str
    saved_at: datetime | None
    indicators: Iterable[str] | None


def save_assessment(
    workspace: Path, customer_id: str, scores: Mapping[str, float], **options: Unpack[EntryOptions]
) -> int:
    """Append one workshop save to the workspace's assessment history.

    Parameters are those of :func:`assessment_entries`; ``workspace`` is the client's folder.

    Returns
    -------
    int
        The number of entries in the history after the save.
    """
    rows = assessment_entries(customer_id, scores, **options)
    return io.append_csv_rows(store_path(workspace), rows)


def read_assessment_store(workspace: Path) -> pd.DataFrame:
    """The history as text cells, in file order (row ``i`` is the user's row ``i + 2``).

    An absent or empty file is an empty history with :data:`STORE_COLUMNS`.

    Raises
    ------
    kamtools.io.InputFileError
        The file cannot be read.
    """
    path = store_path(workspace)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in STORE_COLUMNS})
    return io.read_raw_table(path)


def check_assessment_store(
    raw: pd.DataFrame, *, known_customers: Iterable[str] | None, indicators: Iterable[str]
) -> list[Problem]:
    """Everything wrong with the history file, each naming its rows and column.

    Parameters
    ----------
    raw : pandas.DataFrame
        :func:`read_assessment_store`'s text cells.
    known_customers : iterable of str or None
        The customer master's numbers; None skips the check (no usable customer master).
    indicators : iterable of str
        The indicators the needs analysis knows (settings).

    Returns
    -------
    list of Problem
        Empty when the history can be used.
    """
    file = STORE_FILE.name
    missing = [c for c in STORE_COLUMNS if c not in raw.columns]
    if missing:
        return [
            Problem(
                "assessments",
                file,
                None,
                f"missing column(s) {', '.join(missing)}; expected {', '.join(STORE_COLUMNS)}",
            )
        ]
    problems: list[Problem] = []
    rows = pd.Series(np.arange(2, len(raw) + 2), index=raw.index)
    text = raw[STORE_COLUMNS].astype("str").apply(lambda c: c.str.strip())

    def flag(mask: pd.Series, column: str, message: str) -> None:
        if mask.any():
            values = tuple(text.loc[mask, column].unique()[:3])
            problems.append(Problem("assessments", file, column, message, tuple(rows[mask]), values))

    allowed = list(indicators)
    score = pd.to_numeric(text["score"].str.replace(",", ".", regex=False), errors="coerce")
    if known_customers is not None:
        known = set(map(str, known_customers))
        flag(~text["customer_id"].isin(known), "customer_id", "customer not found in the customer master")
    flag(~text["indicator"].isin(allowed), "indicator", f"must be one of {', '.join(allowed)}")
    flag(score.isna() | ~score.between(1, 5), "score", "must be a score from 1 to 5")
    flag(text["assessor"] == "", "assessor", "required: every score says who gave it")
    saved = pd.to_datetime(text["saved_at"], format="ISO8601", errors="coerce", utc=True)
    flag(saved.isna(), "saved_at", "is not a date and time (YYYY-MM-DDTHH:MM:SSZ)")
    return problems


def parse_assessment_store(raw: pd.DataFrame) -> pd.DataFrame:
    """The checked history with typed columns: score float, date and saved_at datetimes (UTC, naive)."""
    out = raw[STORE_COLUMNS].astype("str").apply(lambda c: c.str.strip())
    out["score"] = pd.to_numeric(out["score"].str.replace(",", ".", regex=False), errors="coerce")
    out["saved_at"] = pd.to_datetime(
        out["saved_at"], format="ISO8601", errors="coerce", utc=True
    ).dt.tz_localize(None)
    out["date"] = out["saved_at"].dt.normalize()
    return out.reset_index(drop=True)


def combined_assessments(inputs: pd.DataFrame | None, history: pd.DataFrame) -> pd.DataFrame:
    """The client's assessments input followed by the workshop's history, in that order.

    Input rows have no ``saved_at``: they count from their ``date``; history rows from the
    moment they were saved, so a workshop correction made after an input score wins for the
    same assessor (see :func:`kamtools.stages.needs.indicators.latest_scores`).
    """
    parts = [frame for frame in (inputs, history) if frame is not None and len(frame)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in STORE_COLUMNS})
    return pd.concat(parts, ignore_index=True, sort=False)
