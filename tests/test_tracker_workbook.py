"""The plan tracker workbook (kamtools.stages.planning.tracker) against a plain openpyxl reference.

The tracker is written as SpreadsheetML text (kamtools.excel.worksheets_bytes); the reference
below builds it the straightforward way with openpyxl's Workbook API, as kamtools did before.
Both are read back with openpyxl and compared sheet by sheet and cell by cell: value and its
type, cell type, number format, bold, fill, plus widths, frozen header, filter, its defined name
and the drop-down lists. A tracker a client filled in (dates, a time, numbers, text that looks
like a formula, contact rows) is compared too, as is what ``read_workbook`` gives back.
"""

from __future__ import annotations

import io as stdio
from datetime import date, datetime, time
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from kamtools.io import read_workbook
from kamtools.stages.planning.actions import ACTION_STATUSES
from kamtools.stages.planning.build import analyse_accounts, propose_plan
from kamtools.stages.planning.settings import CONTACT_TYPES
from kamtools.stages.planning.tracker import (
    _BLANK_CONTACT_ROWS,
    _README,
    _WIDTHS,
    ACTION_CONTEXT_COLUMNS,
    CADENCE_COLUMNS,
    TRACKER_ACTION_COLUMNS,
    TRACKER_CONTACT_COLUMNS,
    tracker_workbook,
)
from tests.test_planning_planfile import CONTEXT, _tables


@pytest.fixture
def plan():
    """The plan of test_planning_planfile's literal tables (two accounts with actions)."""
    tables = _tables()
    analysis = analyse_accounts(
        tables["key_accounts"],
        sales=tables["sales"],
        context=CONTEXT,
        customers=tables["customers"],
        market=tables["market"],
        team=tables["team"],
    )
    support, team = tables["needs_support"], tables["needs_team"]
    return propose_plan(analysis, context=CONTEXT, needs_support=support, needs_team=team)


def _format_reference_sheet(ws: Any) -> None:
    from openpyxl.styles import Font

    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for cell in ws[1]:
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = _WIDTHS.get(
            str(cell.value), max(12, len(str(cell.value)) + 2)
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                cell.data_type = "s"


def reference_tracker(the_plan, *, filled=None, contacts=None) -> bytes:
    """The tracker as openpyxl's Workbook API writes it (the plain way)."""
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    filled = filled or {}
    book = Workbook()
    sheet = book.active
    sheet.title = "actions"
    header = [*TRACKER_ACTION_COLUMNS, *ACTION_CONTEXT_COLUMNS]
    sheet.append(header)
    for account in the_plan.accounts:
        for action in account.actions:
            entry = filled.get(action.action_id, {})
            sheet.append(
                [
                    *(action.action_id, entry.get("status", action.status), entry.get("actual_start")),
                    *(entry.get("actual_done"), entry.get("note"), account.customer_id, account.name),
                    *(action.title, action.owner, action.start, action.due),
                ]
            )
    status_list = DataValidation(type="list", formula1=f'"{",".join(ACTION_STATUSES)}"', allow_blank=True)
    sheet.add_data_validation(status_list)
    status_list.add(f"B2:B{max(sheet.max_row, 2) + 200}")
    for column in range(len(TRACKER_ACTION_COLUMNS) + 1, len(header) + 1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.fill = PatternFill("solid", fgColor="EEEEEE")
    contacts_sheet = book.create_sheet("contacts")
    contacts_sheet.append(list(TRACKER_CONTACT_COLUMNS))
    for row in contacts or []:
        contacts_sheet.append(row)
    kinds = DataValidation(type="list", formula1=f'"{",".join(CONTACT_TYPES)}"', allow_blank=True)
    contacts_sheet.add_data_validation(kinds)
    kinds.add(f"D2:D{contacts_sheet.max_row + _BLANK_CONTACT_ROWS}")
    cadence = book.create_sheet("cadence")
    cadence.append([*CADENCE_COLUMNS[:4], *(f"{k}s per quarter" for k in CONTACT_TYPES)])
    for account in the_plan.accounts:
        cadence.append(
            [
                *(account.customer_id, account.name, account.account_manager, account.counterpart),
                *(int(account.contacts.get(k, 0)) for k in CONTACT_TYPES),
            ]
        )
    readme = book.create_sheet("read me")
    for line in _README:
        readme.append([line])
    for ws in (sheet, contacts_sheet, cadence):
        _format_reference_sheet(ws)
    readme.column_dimensions["A"].width = 100
    buffer = stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def described(data: bytes) -> dict:
    """Every sheet of a workbook as a client sees it, as openpyxl reads it."""
    book = load_workbook(stdio.BytesIO(data))
    sheets = {}
    for ws in book.worksheets:
        sheets[ws.title] = {
            "freeze_panes": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "dimensions": ws.dimensions,
            "widths": {k: (d.width, d.customWidth) for k, d in ws.column_dimensions.items()},
            "filter name": {name: value.value for name, value in ws.defined_names.items()},
            "drop-downs": sorted(
                (v.type, v.formula1, str(v.sqref), v.allow_blank) for v in ws.data_validations.dataValidation
            ),
            "cells": [
                (
                    c.coordinate,
                    c.value,
                    type(c.value).__name__,
                    c.data_type,
                    c.number_format,
                    bool(c.font.b),
                    c.fill.fill_type,
                    c.fill.fgColor.rgb if c.fill.fill_type else None,
                )
                for row in ws.iter_rows()
                for c in row
            ],
        }
    return {"sheets": book.sheetnames, **sheets}


def _filled_in(the_plan) -> dict[str, Any]:
    """What a client enters in the tracker: statuses, dates, a time, numbers, formula-like text."""
    ids = [a.action_id for account in the_plan.accounts for a in account.actions]
    return {
        "filled": {
            ids[0]: {
                "status": "done",
                "actual_start": datetime(2027, 4, 3),
                "actual_done": datetime(2027, 5, 1, 16, 30),
                "note": '=HYPERLINK("http://evil.example")',
            },
            ids[1]: {"status": "in progress", "note": time(10, 30)},
            ids[-1]: {"note": 12.5},
        },
        "contacts": [
            [
                datetime(2027, 4, 5),
                the_plan.accounts[0].customer_id,
                "Tom Fischer",
                "visit",
                "  first visit ",
            ],
            [datetime(2027, 4, 6, 14, 30), the_plan.accounts[0].customer_id, None, "call", True],
            [None, None, None, None, 3],
        ],
    }


def test_tracker_is_the_workbook_openpyxl_writes(plan):
    for entries in ({}, _filled_in(plan)):
        ours = tracker_workbook(plan, **entries)
        reference = reference_tracker(plan, **entries)
        assert described(ours) == described(reference)
        ours_read, reference_read = read_workbook(ours), read_workbook(reference)
        assert ours_read.keys() == reference_read.keys()
        assert all(ours_read[name].equals(reference_read[name]) for name in ours_read)


def test_tracker_shades_the_plan_columns_and_offers_the_statuses(plan):
    book = load_workbook(stdio.BytesIO(tracker_workbook(plan, **_filled_in(plan))))
    actions = book["actions"]
    assert actions["B2"].value == "done" and actions["A1"].font.b and actions.freeze_panes == "A2"
    assert actions["E2"].data_type == "s" and actions["E2"].value.startswith("=HYPERLINK")
    assert actions["F2"].fill.fgColor.rgb == "00EEEEEE" and actions["A2"].fill.fill_type is None
    assert actions["J2"].number_format == "yyyy-mm-dd" and actions["C2"].value == datetime(2027, 4, 3)
    (statuses,) = actions.data_validations.dataValidation
    assert statuses.formula1 == '"planned,in progress,done,dropped"'
    assert book["read me"].column_dimensions["A"].width == 100
