"""Bad needs inputs through the command line: exit code 2, no traceback, file, row and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kamtools.cli import main

from .conftest import write_workspace

CONFIG = """
client: {name: Needs Ltd}
periods: {current: 2025}
inputs:
  customers: {file: inputs/customers.csv}
  sales: {file: inputs/sales.csv}
  assessments: {file: inputs/assessments.csv}
"""
FILES = {
    "customers.csv": "customer_id,name\nC1,Alpha\nC2,Beta\n",
    "sales.csv": "invoice_date,customer_id,net_sales\n2025-03-01,C1,100\n2025-04-01,C2,50\n",
    "assessments.csv": "customer_id,indicator,score,assessor\nC1,network,4,Ann\nC2,people,3,Ann\n",
}
HEADER = "customer_id,indicator,score,assessor,date,note,saved_at\n"
GOOD = "C1,network,4,Ann,2025-11-03,,2025-11-03T09:30:15Z\n"


def workspace(tmp_path: Path, *, history: str | None = None, files=None, config: str = CONFIG) -> Path:
    root = write_workspace(tmp_path / "needs", {**FILES, **(files or {})}, config)
    if history is not None:
        (root / "workshop").mkdir(exist_ok=True)
        (root / "workshop" / "assessments.csv").write_text(history, encoding="utf-8")
    return root


def test_a_clean_workspace_with_a_history_validates(tmp_path, capsys):
    assert main(["validate", str(workspace(tmp_path, history=HEADER + GOOD))]) == 0
    assert "No problems found" in capsys.readouterr().out


def test_bad_history_entries_are_named_by_row_and_column(tmp_path, capsys):
    history = (
        HEADER
        + GOOD
        + "C9,network,4,Ann,2025-11-03,,2025-11-03T09:31:00Z\n"
        + "C2,grit,7,,2025-11-03,,soon\n"
    )
    code = main(["validate", str(workspace(tmp_path, history=history))])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert (
        "assessments.csv, row 3, column 'customer_id': customer not found in the customer master (e.g. 'C9')"
        in err
    )
    assert "assessments.csv, row 4, column 'indicator': must be one of financial_strength, network" in err
    assert "assessments.csv, row 4, column 'score': must be a score from 1 to 5 (e.g. '7')" in err
    assert "assessments.csv, row 4, column 'assessor': required: every score says who gave it" in err
    assert "assessments.csv, row 4, column 'saved_at': is not a date and time" in err


def test_a_history_without_its_columns_is_a_sentence(tmp_path, capsys):
    assert main(["validate", str(workspace(tmp_path, history="customer_id,score\nC1,3\n"))]) == 2
    err = capsys.readouterr().err
    assert "assessments.csv: missing column(s) indicator, assessor, date, note, saved_at" in err


def test_an_unknown_indicator_in_the_assessments_input_names_its_row(tmp_path, capsys):
    files = {"assessments.csv": "customer_id,indicator,score,assessor\nC1,network,4,Ann\nC2,grit,3,Ann\n"}
    assert main(["validate", str(workspace(tmp_path, files=files))]) == 2
    err = capsys.readouterr().err
    assert "assessments.csv, row 3, column 'indicator': not an indicator of the needs analysis" in err
    assert "(e.g. 'grit')" in err


def test_a_score_out_of_range_in_the_assessments_input(tmp_path, capsys):
    files = {"assessments.csv": "customer_id,indicator,score,assessor\nC1,network,9,Ann\n"}
    assert main(["validate", str(workspace(tmp_path, files=files))]) == 2
    assert "assessments.csv, row 2, column 'score': must be a score from 1 to 5" in capsys.readouterr().err


def test_bad_needs_settings_are_named(tmp_path, capsys):
    config = CONFIG + "needs:\n  manager_loads: 9\n"
    assert main(["validate", str(workspace(tmp_path, config=config))]) == 2
    err = capsys.readouterr().err
    assert "unknown needs setting(s) 'manager_loads'" in err and "Traceback" not in err


def test_kam_validate_process_prints_no_traceback(tmp_path):
    root = workspace(tmp_path, history=HEADER + "C1,network,six,Ann,2025-11-03,,2025-11-03T09:30:15Z\n")
    result = subprocess.run(
        [Path(sys.executable).with_name("kam"), "validate", str(root)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "assessments.csv, row 2, column 'score': must be a score from 1 to 5 (e.g. 'six')" in result.stderr
