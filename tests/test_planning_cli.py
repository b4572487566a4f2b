"""A plan file or tracker edited by hand, through the CLI: exit code 2, no traceback, place named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kamtools.cli import main
from kamtools.stages.planning.planfile import read_plan
from kamtools.stages.planning.tracker import write_tracker

from .conftest import write_workspace

CONFIG = """
client: {name: Plan Ltd, currency: EUR}
periods: {current: 2025}
inputs:
  customers: {file: inputs/customers.csv}
  sales: {file: inputs/sales.csv}
"""
CUSTOMERS = "customer_id,name\nC1,Alpha\nC2,Beta\n"
SALES = "invoice_date,customer_id,net_sales\n2025-03-01,C1,100\n2025-04-01,C2,50\n"

PLAN = """\
schema: kamtools-plan/1
client: Plan Ltd
currency: EUR
period: 2026
period_start: '2026-01-01'
period_end: '2026-12-31'
baseline_period: 2025
revision: 1
saved_at: '2025-12-01T09:00:00+00:00'
stages:
- {stage: H1, start: '2026-01-01', end: '2026-06-30'}
- {stage: H2, start: '2026-07-01', end: '2026-12-31'}
accounts:
- customer_id: C1
  name: Alpha
  tier: key
  account_manager: Ann
  counterpart: Owner
  seasonal_profile: {H1: 0.5, H2: 0.5}
  goals:
    sales:
      baseline: 100.0
      plan: 110.0
      stretch: 120.0
      stages:
        H1: {baseline: 50.0, plan: 55.0, stretch: 60.0}
        H2: {baseline: 50.0, plan: 55.0, stretch: 60.0}
  contacts: {visit: 3, call: 6, review: 1}
  actions:
  - {action_id: C1-A01, title: Sales training, support: Sales training, owner: Ann,
     counterpart: Sales manager, start: '2026-02-01', due: '2026-04-30',
     expected_effect: More sales, status: planned}
"""


def _workspace(tmp_path: Path, plan: str = PLAN) -> Path:
    root = write_workspace(tmp_path / "plan", {"customers.csv": CUSTOMERS, "sales.csv": SALES}, CONFIG)
    (root / "plans").mkdir()
    (root / "plans" / "plan_2026.yml").write_text(plan, encoding="utf-8")
    return root


def test_a_valid_hand_written_plan_validates(tmp_path, capsys):
    root = _workspace(tmp_path)
    assert read_plan(root / "plans" / "plan_2026.yml").account("C1").goals["sales"].year.plan == 110.0
    assert main(["validate", str(root)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "plan: 110.0",
            "plan: 110,5",
            "plan_2026.yml: account C1, field goals.sales.plan: must be a number",
            id="comma-decimal",
        ),
        pytest.param(
            "H2: {baseline: 50.0, plan: 55.0,",
            "H2: {baseline: 50.0, plan: 65.0,",
            "plan_2026.yml: account C1, field goals.sales.stages: the stages' plan add up to 120.00, not the"
            " year's 110.00",
            id="stages-do-not-add-up",
        ),
        pytest.param(
            "status: planned}",
            "status: late}",
            "plan_2026.yml: account C1, field actions[1] (C1-A01).status: must be one of planned,"
            " in progress, done, dropped",
            id="status",
        ),
        pytest.param(
            "due: '2026-04-30'",
            "due: '30.04.2026'",
            "plan_2026.yml: account C1, field actions[1] (C1-A01).due: must be a date as YYYY-MM-DD",
            id="date",
        ),
        pytest.param(
            "- customer_id: C1",
            "- customer_id: C9",
            "plan_2026.yml: account C9, field customer_id: not in the customer master",
            id="unknown-account",
        ),
        pytest.param(
            "visit: 3",
            "visit: three",
            "account C1, field contacts.visit: must be a whole number",
            id="cadence",
        ),
        pytest.param(
            "stages:\n- {stage: H1", "stages:\n- {stage: [H1", "plan_2026.yml: is not valid YAML", id="yaml"
        ),
    ],
)
def test_hand_edited_plan_is_refused_with_file_account_and_field(tmp_path, capsys, old, new, message):
    assert old in PLAN
    root = _workspace(tmp_path, PLAN.replace(old, new, 1))
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert message in err, err
    code = main(
        ["run", str(root), "--stage", "planning", "--quiet", "--reports-dir", str(tmp_path / "reports")]
    )
    assert code == 2
    assert message in capsys.readouterr().err


def test_bad_tracker_rows_are_named_by_sheet_row_and_column(tmp_path, capsys):
    from openpyxl import load_workbook

    root = _workspace(tmp_path)
    path = write_tracker(root, read_plan(root / "plans" / "plan_2026.yml"))
    book = load_workbook(path)
    book["actions"]["B2"] = "finished"
    book["contacts"].append(["2026-02-30", "C1", "Ann", "visit", ""])
    book.save(path)
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "tracker_2026.xlsx, row 2, column 'status': sheet 'actions': must be one of planned" in err
    assert "tracker_2026.xlsx, row 2, column 'date': sheet 'contacts': must be a date (YYYY-MM-DD)" in err


def test_unknown_planning_setting_is_named(tmp_path, capsys):
    root = _workspace(tmp_path)
    config = yaml.safe_load((root / "client.yml").read_text(encoding="utf-8"))
    config["planning"] = {"stage_month": 6}
    (root / "client.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "unknown planning setting(s) 'stage_month'" in err
