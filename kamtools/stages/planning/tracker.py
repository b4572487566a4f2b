"""The plan tracker: the workbook the client fills in during the period.

``<workspace>/plans/tracker_<period>.xlsx`` has the sheets

* ``actions``: one row per action of the plan. The client fills in ``status`` (planned,
  in progress, done, dropped), ``actual_start``, ``actual_done`` and ``note``; the columns after
  them (customer_id, name, title, owner, start, due) repeat the plan for reference.
* ``contacts``: one row per contact made: ``date``, ``customer_id``, ``member`` (who of the
  dealer's team), ``contact_type`` (visit, call, review), ``note``.
* ``cadence``: the planned contacts per quarter of each account (for reference).
* ``read me``: how to fill it in.

Rewriting the tracker after the plan changed keeps every cell the client filled in and every
contact row (the previous workbook is copied into ``plans/history/`` first). Reading it back
checks every row; a problem names the file, sheet, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools.excel import CELL_FORMATS, Worksheet, worksheets_bytes
from kamtools.io import InputFileError, keep_version, read_workbook, write_bytes_atomic
from kamtools.stages.planning.actions import ACTION_STATUSES, as_date
from kamtools.stages.planning.planfile import HISTORY_DIR, PLANS_DIR, Plan
from kamtools.stages.planning.settings import CONTACT_TYPES, PlanningProblems

__all__ = [
    "TRACKER_ACTION_COLUMNS",
    "TRACKER_CONTACT_COLUMNS",
    "Tracker",
    "TrackerError",
    "TrackerProblem",
    "read_tracker",
    "tracker_path",
    "write_tracker",
]

TRACKER_ACTION_COLUMNS: tuple[str, ...] = ("action_id", "status", "actual_start", "actual_done", "note")
"""Columns of the ``actions`` sheet that the client fills in (the review reads these)."""
ACTION_CONTEXT_COLUMNS: tuple[str, ...] = ("customer_id", "name", "title", "owner", "start", "due")
TRACKER_CONTACT_COLUMNS: tuple[str, ...] = ("date", "customer_id", "member", "contact_type", "note")
CADENCE_COLUMNS: tuple[str, ...] = ("customer_id", "name", "account_manager", "counterpart", *CONTACT_TYPES)
_BLANK_CONTACT_ROWS = 500  # rows of the contacts sheet that carry the contact-type drop-down
_README = (
    "How to keep this tracker",
    "",
    "Sheet 'actions': one row per action of the plan. Fill in the first columns:",
    "  status: planned, in progress, done or dropped",
    "  actual_start, actual_done: dates (YYYY-MM-DD) when the action really started and was done",
    "  note: anything the review should know",
    "  The columns to the right repeat the plan; changing them does not change the plan.",
    "Sheet 'contacts': add one row per visit, call or review with an account:",
    "  date, customer_id, member (who of your team), contact_type (visit, call or review), note",
    "Sheet 'cadence': how many contacts per quarter the plan foresees for each account.",
    "Do not rename the sheets or the column headers.",
)


@dataclass(frozen=True)
class TrackerProblem:
    """One thing wrong in a tracker workbook: file, sheet, row (as Excel numbers it), column."""

    file: str
    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = [self.file, f"sheet {self.sheet!r}"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class TrackerError(PlanningProblems):
    """A tracker workbook cannot be used as it is; ``problems`` lists every problem found."""


@dataclass(frozen=True)
class Tracker:
    """What the client recorded: action progress and the contacts made."""

    actions: pd.DataFrame
    contacts: pd.DataFrame


def tracker_path(workspace: Path, period: int) -> Path:
    """``<workspace>/plans/tracker_<period>.xlsx``."""
    return Path(workspace) / PLANS_DIR / f"tracker_{int(period)}.xlsx"


def _cell_date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return as_date(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def _text(record: pd.Series, column: str) -> str:
    return "" if _blank(record[column]) else str(record[column]).strip()


def _choice(
    record: pd.Series, column: str, allowed: tuple[str, ...], default: str, add, sheet: str, row: int
) -> str:
    value = _text(record, column).lower() or default
    if value not in allowed:
        add(sheet, row, column, f"must be one of {', '.join(allowed)}; got {record[column]!r}")
    return value


def _action_row(row: int, record: pd.Series, action_ids: set[str] | None, add) -> tuple | None:
    """One row of the actions sheet, checked; None when it has no action id."""
    action_id = _text(record, "action_id")
    if not action_id:
        add("actions", row, "action_id", "is empty; every row needs the action_id of the plan")
        return None
    if action_ids is not None and action_id not in action_ids:
        add("actions", row, "action_id", f"{action_id!r} is not an action of the plan")
    status = _choice(record, "status", ACTION_STATUSES, "planned", add, "actions", row)
    dates = {}
    for column in ("actual_start", "actual_done"):
        dates[column] = _cell_date(record[column])
        if dates[column] is None and not _blank(record[column]):
            add("actions", row, column, f"must be a date (YYYY-MM-DD), got {record[column]!r}")
    if dates["actual_start"] and dates["actual_done"] and dates["actual_done"] < dates["actual_start"]:
        add("actions", row, "actual_done", "is before actual_start")
    return (row, action_id, status, dates["actual_start"], dates["actual_done"], _text(record, "note"))


def _contact_row(row: int, record: pd.Series, customer_ids: set[str] | None, add) -> tuple:
    """One row of the contacts sheet, checked."""
    when = _cell_date(record["date"])
    if when is None:
        add("contacts", row, "date", f"must be a date (YYYY-MM-DD), got {record['date']!r}")
    customer = _text(record, "customer_id")
    if not customer:
        add("contacts", row, "customer_id", "is empty")
    elif customer_ids is not None and customer not in customer_ids:
        add("contacts", row, "customer_id", f"{customer!r} is not an account of the plan")
    kind = _choice(record, "contact_type", CONTACT_TYPES, "", add, "contacts", row)
    return (row, when, customer, _text(record, "member"), kind, _text(record, "note"))


def read_tracker(path: Path, *, plan: Plan | None = None) -> Tracker:
    """Read and check a tracker workbook.

    Parameters
    ----------
    path : Path
        The tracker (``plans/tracker_<period>.xlsx``).
    plan : Plan, optional
        The plan it belongs to: action ids and customer ids are then checked against it.

    Returns
    -------
    Tracker
        ``actions``: :data:`TRACKER_ACTION_COLUMNS` (empty status reads as "planned", dates as
        ``datetime64``, NaT when empty); ``contacts``: :data:`TRACKER_CONTACT_COLUMNS` (one row
        per contact, ``date`` as ``datetime64``). Both indexed by the sheet's row number.

    Raises
    ------
    kamtools.io.InputFileError
        The file is missing or not a workbook.
    TrackerError
        Every problem found, each with file, sheet, row and column.
    """
    path = Path(path)
    sheets = read_workbook(path)
    problems: list[TrackerProblem] = []

    def add(sheet: str, row: int | None, column: str, message: str) -> None:
        problems.append(TrackerProblem(path.name, sheet, row, column, message))

    for sheet, columns in (("actions", TRACKER_ACTION_COLUMNS), ("contacts", TRACKER_CONTACT_COLUMNS)):
        if sheet not in sheets:
            add(sheet, None, "", f"sheet is missing; the workbook has {', '.join(sheets) or 'no sheets'}")
            continue
        missing = [c for c in columns if c not in sheets[sheet].columns]
        if missing:
            add(sheet, 1, ", ".join(missing), "header row lacks these columns; do not rename the headers")
    if problems:
        raise TrackerError(problems)
    action_ids = {a.action_id for acc in plan.accounts for a in acc.actions} if plan else None
    customer_ids = {acc.customer_id for acc in plan.accounts} if plan else None
    actions = [_action_row(row, record, action_ids, add) for row, record in sheets["actions"].iterrows()]
    contacts = [_contact_row(row, record, customer_ids, add) for row, record in sheets["contacts"].iterrows()]
    actions = [a for a in actions if a is not None]
    if problems:
        raise TrackerError(problems)
    action_frame = pd.DataFrame(actions, columns=["row", *TRACKER_ACTION_COLUMNS]).set_index("row")
    contact_frame = pd.DataFrame(contacts, columns=["row", *TRACKER_CONTACT_COLUMNS]).set_index("row")
    for frame, columns in ((action_frame, ("actual_start", "actual_done")), (contact_frame, ("date",))):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    action_frame.index.name = contact_frame.index.name = None
    return Tracker(action_frame, contact_frame)


def _previous_sheets(path: Path) -> dict[str, pd.DataFrame] | None:
    """The sheets of the tracker being replaced; None when there is none or it cannot be read
    (an unreadable one is still kept in history before the new one is written)."""
    if not path.exists():
        return None
    try:
        return read_workbook(path)
    except InputFileError:
        return None


def _previous_entries(
    sheets: dict[str, pd.DataFrame] | None,
) -> tuple[dict[str, dict[str, Any]], list[list[Any]]]:
    """What the client already filled in: per action id the filled cells, and all contact rows."""
    if sheets is None:
        return {}, []
    filled: dict[str, dict[str, Any]] = {}
    actions = sheets.get("actions")
    if actions is not None and "action_id" in actions.columns:
        for _, record in actions.iterrows():
            if _blank(record["action_id"]):
                continue
            filled[str(record["action_id"]).strip()] = {
                c: record[c]
                for c in TRACKER_ACTION_COLUMNS[1:]
                if c in actions.columns and not _blank(record[c])
            }
    contacts = sheets.get("contacts")
    rows: list[list[Any]] = []
    if contacts is not None:
        for _, record in contacts.iterrows():
            rows.append([record.get(c) for c in TRACKER_CONTACT_COLUMNS])
    return filled, rows


_WIDTHS = {"action_id": 14, "status": 13, "note": 40, "name": 32, "title": 30, "owner": 20, "member": 20}


def _sheet(title: str, rows: list[list[Any]], *, shaded_from: int | None = None, **layout: Any) -> Worksheet:
    """A tracker sheet: header bold, frozen and filtered, set widths, dates as YYYY-MM-DD.

    Cells from column ``shaded_from`` (0-based) on are grey below the header: they repeat the
    plan for reference. Every text is a string cell (a client's ``=...`` is never a formula).
    """
    header = rows[0]
    styles = [[CELL_FORMATS["bold"]] * len(header)]
    for row in rows[1:]:
        styles.append(
            [
                _cell_format(value, shaded=shaded_from is not None and column >= shaded_from)
                for column, value in enumerate(row)
            ]
        )
    widths = [_WIDTHS.get(str(h), max(12, len(str(h)) + 2)) for h in header]
    return Worksheet(title, rows, styles, widths=widths, frozen_header=True, filtered=True, **layout)


def _cell_format(value: Any, *, shaded: bool) -> int:
    """The cell format of a tracker cell: dates as dates, times and durations as Excel shows them."""
    if isinstance(value, date):  # datetime too
        return CELL_FORMATS["shaded date" if shaded else "date"]
    if shaded:
        return CELL_FORMATS["shaded"]
    if isinstance(value, time):
        return CELL_FORMATS["time"]
    return CELL_FORMATS["duration"] if isinstance(value, timedelta) else 0


def tracker_workbook(
    plan: Plan, *, filled: dict[str, dict[str, Any]] | None = None, contacts: list[list[Any]] | None = None
) -> bytes:
    """The tracker of a plan as XLSX bytes, with what the client already filled in.

    Named sheets, a frozen and filtered header row, dates as YYYY-MM-DD, column widths set,
    drop-down lists for status and contact type; every text cell a plain string (a client's
    ``=...`` is never a formula). Written by :func:`kamtools.excel.worksheets_bytes` (the
    workbook openpyxl wrote before, in a fraction of the time, on the run's critical path).
    """
    filled = filled or {}
    actions: list[list[Any]] = [[*TRACKER_ACTION_COLUMNS, *ACTION_CONTEXT_COLUMNS]]
    for account in plan.accounts:
        for action in account.actions:
            entry = filled.get(action.action_id, {})
            actions.append(
                [
                    action.action_id,
                    entry.get("status", action.status),
                    entry.get("actual_start"),
                    entry.get("actual_done"),
                    entry.get("note"),
                    account.customer_id,
                    account.name,
                    action.title,
                    action.owner,
                    action.start,
                    action.due,
                ]
            )
    contact_rows: list[list[Any]] = [list(TRACKER_CONTACT_COLUMNS), *(list(r) for r in contacts or [])]
    cadence: list[list[Any]] = [[*CADENCE_COLUMNS[:4], *(f"{k}s per quarter" for k in CONTACT_TYPES)]]
    for account in plan.accounts:
        cadence.append(
            [
                account.customer_id,
                account.name,
                account.account_manager,
                account.counterpart,
                *(int(account.contacts.get(k, 0)) for k in CONTACT_TYPES),
            ]
        )
    status_cells = f"B2:B{max(len(actions), 2) + 200}"
    kind_cells = f"D2:D{len(contact_rows) + _BLANK_CONTACT_ROWS}"
    readme = [[line] for line in _README]
    return worksheets_bytes(
        [
            _sheet(
                "actions",
                actions,
                shaded_from=len(TRACKER_ACTION_COLUMNS),
                drop_downs=[(status_cells, ACTION_STATUSES)],
            ),
            _sheet("contacts", contact_rows, drop_downs=[(kind_cells, CONTACT_TYPES)]),
            _sheet("cadence", cadence),
            Worksheet("read me", readme, [[0]] * len(readme), widths=[100]),
        ]
    )


def write_tracker(workspace: Path, plan: Plan, *, now: datetime | None = None) -> Path:
    """Write (or refresh) the plan's tracker, keeping everything the client entered.

    Filled cells of actions still in the plan and every contact row are carried over; the
    previous workbook is first copied into ``plans/history/`` (nothing is lost, not even the
    entries of an action the plan no longer has).
    """
    path = tracker_path(workspace, plan.period)
    previous = _previous_sheets(path)
    filled, contacts = _previous_entries(previous)
    data = tracker_workbook(plan, filled=filled, contacts=contacts)
    if previous is not None and _same_sheets(path, previous, data):
        return path  # nothing changed: no new history copy on every run
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    keep_version(path, path.parent / HISTORY_DIR, label=f"{stamp:%Y%m%dT%H%M%SZ}")
    write_bytes_atomic(path, data)
    return path


def _same_sheets(path: Path, old: dict[str, pd.DataFrame], data: bytes) -> bool:
    """Whether the workbook ``data`` holds the sheets ``old`` read from ``path``.

    The same bytes hold the same sheets: a tracker kamtools wrote and nobody edited is not read
    a second time (the writer gives the same cells the same bytes). Other bytes (a workbook a
    client saved from Excel) are read and compared sheet by sheet.
    """
    if path.read_bytes() == data:
        return True
    try:
        new = read_workbook(data)
    except InputFileError:
        return False
    return old.keys() == new.keys() and all(old[k].equals(new[k]) for k in old)
