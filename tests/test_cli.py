"""The kam command line: help, new, validate with exit codes and readable problems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kamtools.cli import main

from .conftest import SHARED_DATA, write_workspace

BROKEN = """
client: {name: Broken Ltd}
periods: {current: 2025}
inputs:
  customers: {file: inputs/customers.csv}
  sales: {file: inputs/sales.xlsx}
"""


def test_kam_help_lists_the_commands():
    result = subprocess.run(
        [Path(sys.executable).with_name("kam"), "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "new", "validate", "run"):
        assert command in result.stdout


def test_validate_broken_workspace_lists_every_problem_and_exits_2(tmp_path, capsys):
    import pandas as pd

    root = write_workspace(
        tmp_path / "broken",
        {"customers.csv": "customer_id;name\nC1;Alpha\nC1;Alpha bis\n"},
        BROKEN,
    )
    pd.DataFrame(
        {"invoice_date": ["2025-01-01", "someday"], "customer_id": ["C1", "C7"], "net_sales": ["10", "x"]}
    ).to_excel(root / "inputs" / "sales.xlsx", index=False)
    code = main(["validate", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "customers.csv, rows 2, 3, column 'customer_id': duplicate customer_id" in err
    assert "sales.xlsx, row 3, column 'invoice_date': is not a date (e.g. 'someday')" in err
    assert "sales.xlsx, row 3, column 'net_sales': is not a number (e.g. 'x')" in err
    assert "sales.xlsx, row 3, column 'customer_id': customer not found in the customer master" in err


def test_bad_client_yml_is_a_sentence_and_exit_2(tmp_path, capsys):
    root = write_workspace(tmp_path / "bad", {}, "client: {name: X}\nperiods: {current: soon}\n")
    assert main(["validate", str(root)]) == 2
    assert "periods.current" in capsys.readouterr().err


def test_new_then_validate(tmp_path, capsys):
    clients = tmp_path / "clients"
    assert main(["--clients-dir", str(clients), "new", "acme", "--name", "Acme"]) == 0
    assert main(["--clients-dir", str(clients), "validate", "acme"]) == 0
    assert "No problems found" in capsys.readouterr().out
    assert main(["--clients-dir", str(clients), "new", "acme"]) == 2


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data beside the project")
def test_validate_real_wholesaler_export_accounts_for_every_row(capsys):
    example = Path(__file__).resolve().parents[1] / "examples" / "online_retail"
    assert main(["validate", str(example)]) == 0
    out = capsys.readouterr().out
    assert "541,909 rows read, 382,379 kept" in out
    for reason in (
        "not a product",
        "bad-debt adjustment",
        "no customer number",
        "exact duplicate",
        "outside the analysed periods",
    ):
        assert reason in out
    from kamtools.workspace import load_workspace

    intake = load_workspace(example).intake
    set_aside = intake.quality_table()["rows set aside"].sum()
    [source] = intake.sources
    assert source.rows_read - set_aside == source.rows_kept


def test_run_stops_on_data_problems_before_any_notebook(tmp_path, capsys):
    root = write_workspace(tmp_path / "broken", {"customers.csv": "customer_id,name\nC1,A\n"}, BROKEN)
    reports = tmp_path / "reports"
    assert main(["run", str(root), "--reports-dir", str(reports), "--quiet"]) == 2
    assert "sales.xlsx: file not found" in capsys.readouterr().err
    assert not reports.exists()
    # The first stage's process, started while the data was checked, is gone with its kernel.
    assert _alive_children() == []


def _alive_children() -> list[int]:
    from kamtools.processes import descendant_pids

    alive = []
    for pid in descendant_pids(os.getpid()):
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
                alive.append(pid)
        except OSError:
            continue
    return alive


def test_run_rejects_an_unknown_stage(demo_workspace, tmp_path, capsys):
    code = main(
        [
            "--clients-dir",
            str(demo_workspace.parent),
            "run",
            "demo",
            "--stage",
            "screenin",
            "--reports-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and "unknown stage(s) ['screenin']" in capsys.readouterr().err


def test_commands_that_run_no_stage_never_load_the_report_pipeline(demo_workspace):
    # papermill, nbconvert and nbformat (with jsonschema's grammar) take 1-2 s to import: an
    # analyst re-validating a fixed file should not wait for them.
    script = (
        "import sys\n"
        "from kamtools.command import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = ('papermill', 'nbconvert', 'nbformat', 'kamtools.runner')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print('LOADED', loaded)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--clients-dir", str(demo_workspace.parent), "validate", "demo"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout


def test_kam_run_loads_the_report_pipeline_without_the_iri_grammar(tmp_path):
    # jsonschema compiles rfc3987_syntax's IRI grammar on import (about a second) for a format no
    # notebook schema uses: the command keeps it out, and notebooks still validate.
    script = (
        "import sys\n"
        "from kamtools.command import main\n"
        "code = main(sys.argv[1:])\n"
        "import jsonschema, nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "print('REPORT PIPELINE', 'kamtools.runner' in sys.modules, 'nbformat' in sys.modules)\n"
        "print('IRI GRAMMAR', sys.modules.get('rfc3987_syntax') is not None)\n"
        "print('IRI CHECK', 'iri' in jsonschema.FormatChecker().checkers)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--clients-dir", str(tmp_path), "run", "no-such-client"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # the client is unknown: one line, no run
    assert "Traceback" not in done.stderr
    assert "REPORT PIPELINE True True" in done.stdout  # the run's imports did happen
    assert "IRI GRAMMAR False" in done.stdout
    assert "IRI CHECK False" in done.stdout
