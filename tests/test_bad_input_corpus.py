"""The bad-input corpus through the command line, as a user would meet it.

Each case of :mod:`tests.bad_inputs.corpus` builds a small workspace with one bad file or
setting, runs ``kam validate`` (or ``kam run``) on it and checks the answer: the exit code
(2 for a problem, 0 for a documented repair), no traceback, and the exact text naming file,
row and column. ``python -m tests.bad_inputs.probe`` prints the same run for a developer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kamtools.cli import main

from .bad_inputs.corpus import CASES, build

CASE_BY_NAME = {case.name: case for case in CASES}


def test_the_corpus_is_large_and_every_case_has_its_own_name():
    assert len(CASE_BY_NAME) == len(CASES) >= 60
    outcomes = {case.outcome for case in CASES}
    assert outcomes == {"problem", "repair"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gets_a_clear_answer(case, tmp_path, capsys):
    workspace = build(case, tmp_path)
    code = main(case.argv(workspace, tmp_path))
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "Traceback" not in printed
    assert code == case.exit_code, printed
    for expected in case.expect:
        assert expected in printed, printed
    if case.exit_code == 2:
        # A problem names the file (or client.yml) it is in, in the user's words.
        assert any(name in printed for name in ("client.yml", ".csv", ".xlsx", ".parquet", ".gz"))
        assert str(tmp_path) not in captured.err, "no machine paths in problem messages"


@pytest.mark.parametrize(
    "name", ["xlsx-truncated", "csv-gz-corrupt", "dates-sap-never-paid", "setting-columns-a-string"]
)
def test_the_installed_command_prints_no_traceback(name, tmp_path):
    case = CASE_BY_NAME[name]
    workspace = build(case, tmp_path)
    kam = Path(sys.executable).with_name("kam")
    result = subprocess.run(
        [kam, *case.argv(workspace, tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == case.exit_code
    assert "Traceback" not in result.stderr + result.stdout
    assert case.expect[0] in result.stderr + result.stdout


@pytest.mark.parametrize("name", ["../../../x", "", ".", "a/b", "x" * 65, "acme corp"])
def test_kam_new_refuses_names_that_are_not_folder_names(name, tmp_path, capsys):
    clients = tmp_path / "clients"
    code = main(["--clients-dir", str(clients), "new", name])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "is not a client folder name: use letters, digits, - and _" in err
    assert not tmp_path.joinpath("x").exists() and not clients.exists()


def test_reports_are_filed_under_the_workspace_folder_not_a_slug_in_client_yml(tmp_path):
    from kamtools.config import load_config

    root = build(CASE_BY_NAME["utf16-with-bom"], tmp_path)
    config_file = root / "client.yml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "", encoding="utf-8")
    text = config_file.read_text(encoding="utf-8").replace(
        "client:\n", "client:\n  slug: ../../other-client\n", 1
    )
    config_file.write_text(text, encoding="utf-8")
    assert load_config(root).slug == "corpus"


def test_a_client_yml_that_is_a_folder_is_a_sentence(tmp_path, capsys):
    root = tmp_path / "acme"
    (root / "client.yml").mkdir(parents=True)
    assert main(["validate", str(root)]) == 2
    err = capsys.readouterr().err
    assert "client.yml: is a folder, not a file" in err and "Traceback" not in err
