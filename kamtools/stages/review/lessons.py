"""Lessons learned at the review workshop: what worked, what did not, what to change.

The workshop writes its lessons into the client's workspace, ``workshop/lessons_<period>.yml``
(the workshop folder survives a rewrite of the demo); every save also keeps a numbered copy in
``workshop/history/`` so that no version is ever lost.
Disk access goes through :mod:`kamtools.io`; the rest of this module is pure.

A lesson is a mapping with ``kind`` (one of :data:`LESSON_KINDS`), ``lesson`` (the sentence),
and optionally ``customer_id`` (the account it is about) and ``owner`` (who follows it up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools import io

__all__ = [
    "LESSONS_DIR",
    "LESSON_COLUMNS",
    "LESSON_KINDS",
    "LessonsError",
    "headline_lessons",
    "lessons_frame",
    "lessons_history",
    "lessons_path",
    "load_lessons",
    "save_lessons",
]

LESSON_KINDS = ("worked", "did not work", "change")
"""What worked, what did not work, what to change next period."""

LESSON_COLUMNS = ("kind", "lesson", "customer_id", "owner")
LESSONS_DIR = "workshop"
SCHEMA = "kamtools-lessons/1"


class LessonsError(ValueError):
    """A lesson is malformed; the message names the file, the entry (1 = first) and the field."""


def lessons_frame(
    entries: Iterable[Mapping[str, Any]] | pd.DataFrame, *, source: str = "lessons"
) -> pd.DataFrame:
    """Check lessons and return them as a frame with :data:`LESSON_COLUMNS`.

    Parameters
    ----------
    entries : iterable of mappings, or DataFrame
        The lessons; empty text in optional fields is fine, an entry with neither kind nor text is
        skipped (an empty row of the workshop form).
    source : str
        Named in error messages (the file or the form).

    Raises
    ------
    LessonsError
        An unknown field or kind, or a lesson without text.
    """
    records = entries.to_dict("records") if isinstance(entries, pd.DataFrame) else list(entries)
    rows = []
    for number, entry in enumerate(records, start=1):
        if not isinstance(entry, Mapping):
            raise LessonsError(
                f"{source}, entry {number}: must be a mapping of field to value, got {entry!r}"
            )
        unknown = sorted(str(k) for k in entry if k not in LESSON_COLUMNS)
        if unknown:
            raise LessonsError(
                f"{source}, entry {number}, field {unknown[0]!r}: unknown;"
                f" allowed: {', '.join(LESSON_COLUMNS)}"
            )
        row = {c: "" if pd.isna(entry.get(c)) else str(entry.get(c, "")).strip() for c in LESSON_COLUMNS}
        if not row["kind"] and not row["lesson"]:
            continue
        row["kind"] = row["kind"].lower()
        if row["kind"] not in LESSON_KINDS:
            raise LessonsError(
                f"{source}, entry {number}, field 'kind': {row['kind']!r} is not one of"
                f" {', '.join(LESSON_KINDS)}"
            )
        if not row["lesson"]:
            raise LessonsError(f"{source}, entry {number}, field 'lesson': the lesson has no text")
        rows.append(row)
    return pd.DataFrame(rows, columns=list(LESSON_COLUMNS))


def lessons_path(workspace: Path, period: int) -> Path:
    """Where the lessons of a reviewed period live in the workspace."""
    return Path(workspace) / LESSONS_DIR / f"lessons_{int(period)}.yml"


def save_lessons(workspace: Path, period: int, lessons: pd.DataFrame | Iterable[Mapping[str, Any]]) -> Path:
    """Check and save the lessons of ``period``, keeping a numbered copy of this version.

    Returns
    -------
    pathlib.Path
        The history copy written by this save.
    """
    path = lessons_path(workspace, period)
    frame = lessons_frame(lessons, source=path.name)
    document = {"schema": SCHEMA, "period": int(period), "lessons": frame.to_dict("records")}
    return io.write_yaml_with_history(path, document, history_dir=path.parent / "history")


def load_lessons(workspace: Path, period: int) -> pd.DataFrame:
    """The saved lessons of ``period`` (an empty frame when none were saved yet).

    Raises
    ------
    LessonsError
        The file was edited into something that is not a lessons file.
    """
    path = lessons_path(workspace, period)
    if not path.exists():
        return lessons_frame([])
    try:
        document = io.read_yaml(path)
    except io.InputFileError as exc:
        raise LessonsError(str(exc)) from exc
    entries = document.get("lessons") or []
    if not isinstance(entries, list):
        raise LessonsError(f"{path.name}, field 'lessons': must be a list of lessons")
    return lessons_frame(entries, source=path.name)


def lessons_history(workspace: Path, period: int) -> list[Path]:
    """Every saved version of the lessons of ``period``, oldest first."""
    path = lessons_path(workspace, period)
    return io.yaml_history(path, history_dir=path.parent / "history")


def headline_lessons(lessons: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The lessons for the executive summary: the first of each kind, then the next ones in order.

    Returns
    -------
    pandas.DataFrame
        At most ``n`` rows of ``lessons``, in the order worked, did not work, change.
    """
    if lessons.empty:
        return lessons
    ranked = lessons.assign(
        _rank=lessons.groupby("kind").cumcount(), _kind=lessons["kind"].map(LESSON_KINDS.index)
    )
    return ranked.sort_values(["_rank", "_kind"], kind="stable").head(n).drop(columns=["_rank", "_kind"])
