"""The report pipeline on tiny notebooks: parameters, kernel, run folders, failures."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kamtools import runner
from kamtools.runner import (
    RunError,
    RunSettings,
    RunTarget,
    check_against_notebook,
    check_parameter_values,
    run_stages,
)
from kamtools.stage_process import BESIDE_NICENESS
from kamtools.stages import Stage, get_stage, register_stage, stages, unregister_stage

PARAMETERS = 'workspace_dir = ""\nperiod = 2025\noutput_dir = ""'
KEY_ACCOUNTS_CSV = (
    "customer_id,name,tier,rank,score,sales,gross_profit,margin,account_manager,reason\n"
    "C1,Alpha,key,1,90.5,1200,300,0.25,,top customer\n"
)
CUSTOMER_TIERS_CSV = "customer_id,name,tier,score,sales,reason\nC1,Alpha,key,90.5,1200,top customer\n"


def write_notebook(path: Path, *cells: str, markdown: str = "## Findings") -> Path:
    nb = new_notebook(
        metadata={"kernelspec": {"name": "kamtools", "display_name": "kamtools", "language": "python"}}
    )
    nb.cells = [new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}), new_markdown_cell(markdown)]
    nb.cells += [new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    write_notebook(
        folder / "01_screening.ipynb",
        "import sys, os, pathlib\n"
        "import matplotlib\n"
        "facts = {'executable': sys.executable, 'prefix': sys.prefix, 'backend': matplotlib.get_backend()}\n"
        "pathlib.Path(output_dir, 'facts.json').write_text(__import__('json').dumps(facts))\n"
        f"pathlib.Path(output_dir, 'key_accounts.csv').write_text({KEY_ACCOUNTS_CSV!r})\n"
        f"pathlib.Path(output_dir, 'customer_tiers.csv').write_text({CUSTOMER_TIERS_CSV!r})\n"
        "print('Total sales $1,200 and $3,400')",
    )
    write_notebook(
        folder / "02_next.ipynb",
        "import pathlib\nassert pathlib.Path(output_dir, 'key_accounts.csv').exists()\n",
        markdown="## Needs of each key account",
    )
    return folder


@pytest.fixture(autouse=True)
def next_stage():
    """A second stage reading screening's key accounts (stands in for needs analysis)."""
    stage = register_stage(
        Stage("next", 92, "Next stage", "02_next.ipynb", depends_on=("screening",), reads=("key_accounts",))
    )
    yield stage
    unregister_stage(stage.key)


def run(notebooks: Path, reports: Path, stages=("screening",), **kwargs):
    target = RunTarget(notebooks.parent, client_name="Acme & <Sons>", client_slug="acme", period=2025)
    settings = RunSettings(reports_dir=reports, notebooks_dir=notebooks, progress=False, **kwargs)
    return run_stages(target, list(stages), settings, notify=lambda _m: None)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"bad name": 1}, "not a valid identifier"),
        ({"class": 1}, "not a valid identifier"),
        ({"when": dt.date(2025, 1, 1)}, "a date cannot be passed"),
    ],
    ids=["space", "keyword", "date-object"],
)
def test_parameters_must_be_json_like(parameters, message):
    with pytest.raises(RunError, match=message):
        check_parameter_values(parameters)


def test_paths_become_strings():
    assert check_parameter_values({"output_dir": Path("/x"), "n": [1, {"a": None}]}) == {
        "output_dir": "/x",
        "n": [1, {"a": None}],
    }


def test_unknown_or_mistyped_parameters_stop_the_run(notebooks):
    notebook = notebooks / "01_screening.ipynb"
    with pytest.raises(RunError, match=r"unknown parameter\(s\) \['perod'\]"):
        check_against_notebook(notebook, {"perod": 2025})
    with pytest.raises(RunError, match="'period' must be int, not str"):
        check_against_notebook(notebook, {"period": "2025"})
    check_against_notebook(notebook, {"period": 2024, "workspace_dir": "x"})


def test_run_files_a_report_pack_with_the_environments_kernel(notebooks, tmp_path):
    result = run(notebooks, tmp_path / "reports")
    assert result.ok, result.stages
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path / "reports" / "acme" / "2025"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "01_screening.html",
        "audit",
        "customer_tiers.csv",
        "facts.json",
        "index.html",
        "key_accounts.csv",
        "run.json",
    ]
    facts = json.loads((run_dir / "facts.json").read_text())
    assert facts["prefix"] == sys.prefix
    assert "inline" in facts["backend"]
    html = (run_dir / "01_screening.html").read_text(encoding="utf-8")
    assert "$1,200 and $3,400" in html
    assert "Acme &amp; &lt;Sons&gt;" in html and "<Sons>" not in html
    assert "facts = {" not in html
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="01_screening.html"' in index
    executed = nbformat.read(run_dir / "audit" / "01_screening.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["period"] == 2025
    assert (tmp_path / "reports" / "acme" / "2025" / "latest").resolve() == run_dir.resolve()


def test_a_second_run_never_touches_the_first(notebooks, tmp_path):
    now = dt.datetime(2026, 11, 23, 9, 0, 0)
    first = run(notebooks, tmp_path / "reports", now=now)
    before = {p: p.read_bytes() for p in first.run_dir.rglob("*") if p.is_file()}
    second = run(notebooks, tmp_path / "reports", now=now)
    assert second.run_dir != first.run_dir and second.run_dir.name == "20261123-090000-2"
    assert {p: p.read_bytes() for p in first.run_dir.rglob("*") if p.is_file()} == before
    assert (tmp_path / "reports" / "acme" / "2025" / "latest").resolve() == second.run_dir.resolve()
    first_html = (first.run_dir / "01_screening.html").read_text(encoding="utf-8")
    assert first_html == (second.run_dir / "01_screening.html").read_text(encoding="utf-8")


def test_a_failing_stage_gives_an_error_page_and_skips_what_depends_on_it(tmp_path):
    folder = tmp_path / "notebooks"
    write_notebook(
        folder / "01_screening.ipynb",
        "raise ValueError('secret /home/analyst/path')",
        markdown="## Concentration of sales",
    )
    write_notebook(folder / "02_next.ipynb", "print('never')")
    result = run(folder, tmp_path / "reports", stages=("screening", "next"))
    assert not result.ok
    assert [(s.key, s.status) for s in result.stages] == [("screening", "failed"), ("next", "not run")]
    assert result.stages[0].failed_step == "Concentration of sales"
    page = (result.run_dir / "01_screening.html").read_text(encoding="utf-8")
    assert "Concentration of sales" in page
    assert "Traceback" not in page and "secret" not in page and "/home/analyst" not in page
    executed = nbformat.read(result.run_dir / "audit" / "01_screening.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells for o in c.get("outputs", []))
    assert not list((tmp_path / "reports" / "acme" / "2025").glob(".work-*"))


def test_a_cell_timeout_is_a_failed_stage_with_a_marked_notebook(tmp_path):
    folder = tmp_path / "notebooks"
    write_notebook(folder / "01_screening.ipynb", "import time\ntime.sleep(30)", markdown="## Slow part")
    result = run(folder, tmp_path / "reports", cell_timeout=2)
    assert [s.status for s in result.stages] == ["failed"]
    executed = nbformat.read(result.run_dir / "audit" / "01_screening.ipynb", as_version=4)
    assert any(o.get("ename") == "StageInterrupted" for c in executed.cells for o in c.get("outputs", []))


def test_one_stage_reruns_on_an_earlier_runs_outputs(notebooks, tmp_path):
    first = run(notebooks, tmp_path / "reports")
    again = run(notebooks, tmp_path / "reports", stages=("next",), from_run=first.run_dir.name)
    assert again.ok
    assert (again.run_dir / "02_next.html").exists()
    with pytest.raises(RunError, match="no earlier run"):
        run(notebooks, tmp_path / "reports", stages=("next",), from_run="19990101-000000")
    assert not list((tmp_path / "reports" / "acme" / "2025").glob(".work-*"))  # nothing left behind


def test_a_stage_is_not_started_on_a_broken_table_of_an_earlier_run(notebooks, tmp_path):
    first = run(notebooks, tmp_path / "reports")
    (first.run_dir / "key_accounts.csv").write_text("customer_id,name\nC1,Alpha\n", encoding="utf-8")
    again = run(notebooks, tmp_path / "reports", stages=("next",), from_run=first.run_dir.name)
    [next_stage] = again.stages
    assert next_stage.status == "failed"
    assert next_stage.failed_step == "reading key_accounts.csv of an earlier stage"
    assert not (again.run_dir / "audit" / "02_next.ipynb").exists()  # it never started


def test_outputs_handed_over_against_their_contract_start_nothing(notebooks, tmp_path):
    broken = SCREENING_OUTPUTS.replace("top customer", "").replace(",key,", ",chief,")
    _with_outputs_cell(notebooks / "01_screening.ipynb", broken, "x = 1")
    result = run(notebooks, tmp_path / "reports", stages=("screening", "next"), jobs=2)
    assert [(s.key, s.status) for s in result.stages] == [("screening", "failed"), ("next", "not run")]
    assert result.stages[0].failed_step == "writing its output tables"
    assert not (result.run_dir / "audit" / "02_next.ipynb").exists()


def test_kernelspec_points_at_this_environment():
    from jupyter_client.kernelspec import KernelSpecManager

    runner.ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec(runner.KERNEL_NAME)
    assert Path(spec.argv[0]).absolute() == Path(sys.executable).absolute()
    assert spec.env["MPLBACKEND"].endswith("backend_inline")


def test_stages_without_a_dependency_between_them_run_side_by_side(notebooks, tmp_path):
    register_stage(Stage("aside", 93, "Aside", "03_aside.ipynb"))
    try:
        write_notebook(notebooks / "03_aside.ipynb", "import time\ntime.sleep(3)")
        # Both stages last seconds, so on a loaded machine a kernel's slow start cannot make
        # them look serial; run one after the other, they could not overlap at all.
        _with_outputs_cell(notebooks / "01_screening.ipynb", SCREENING_OUTPUTS, "import time\ntime.sleep(3)")
        result = run(notebooks, tmp_path / "reports", stages=("screening", "next", "aside"), jobs=2)
        assert result.ok, result.stages
        audit = result.run_dir / "audit"
        aside = nbformat.read(audit / "03_aside.ipynb", as_version=4).metadata.papermill
        screening = nbformat.read(audit / "01_screening.ipynb", as_version=4).metadata.papermill
        # The independent stage ran while the screening did.
        assert aside.start_time < screening.end_time
        assert screening.start_time < aside.end_time
    finally:
        unregister_stage("aside")


def _with_outputs_cell(path: Path, outputs: str, *after: str) -> Path:
    """A stage notebook whose cell tagged ``stage-outputs`` writes its tables, then more cells."""
    write_notebook(path, *after)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, new_code_cell(outputs, metadata={"tags": ["remove-cell", "stage-outputs"]}))
    nbformat.write(nb, path)
    return path


SCREENING_OUTPUTS = (
    "import pathlib\n"
    f"pathlib.Path(output_dir, 'key_accounts.csv').write_text({KEY_ACCOUNTS_CSV!r})\n"
    f"pathlib.Path(output_dir, 'customer_tiers.csv').write_text({CUSTOMER_TIERS_CSV!r})\n"
)


def test_dependents_start_once_the_outputs_cell_has_run(notebooks, tmp_path):
    _with_outputs_cell(notebooks / "01_screening.ipynb", SCREENING_OUTPUTS, "import time\ntime.sleep(4)")
    result = run(notebooks, tmp_path / "reports", stages=("screening", "next"), jobs=2)
    assert result.ok, result.stages
    screening = nbformat.read(result.run_dir / "audit" / "01_screening.ipynb", as_version=4)
    following = nbformat.read(result.run_dir / "audit" / "02_next.ipynb", as_version=4)
    # The next stage ran while the screening was still drawing its report.
    assert following.metadata.papermill.start_time < screening.metadata.papermill.end_time


def test_a_stage_failing_after_its_outputs_stops_what_depends_on_it(notebooks, tmp_path):
    _with_outputs_cell(
        notebooks / "01_screening.ipynb",
        SCREENING_OUTPUTS,
        "import time\ntime.sleep(3)\nraise ValueError('late')",
    )
    write_notebook(
        notebooks / "02_next.ipynb",
        "import pathlib, time\npathlib.Path(output_dir, 'needs_team.csv').write_text('x\\n')\ntime.sleep(60)",
    )
    unregister_stage("next")
    register_stage(
        Stage(
            "next",
            92,
            "Next stage",
            "02_next.ipynb",
            depends_on=("screening",),
            reads=("key_accounts",),
            writes=("needs_team",),
        )
    )
    result = run(notebooks, tmp_path / "reports", stages=("screening", "next"), jobs=2)
    assert [(s.key, s.status) for s in result.stages] == [("screening", "failed"), ("next", "not run")]
    assert result.stages[1].summary == "Not run because an earlier stage it needs failed."
    assert (result.run_dir / "audit" / "02_next.ipynb").exists()  # it had started
    assert not (result.run_dir / "needs_team.csv").exists()  # a stage not run leaves no outputs
    assert (result.run_dir / "key_accounts.csv").exists()


def test_the_longest_chain_runs_first_and_work_nobody_waits_for_runs_below_it(notebooks, tmp_path):
    base = os.nice(0)
    report_priority = "import os, pathlib\npathlib.Path(output_dir, '{name}').write_text(str(os.nice(0)))"
    _with_outputs_cell(
        notebooks / "01_screening.ipynb",
        SCREENING_OUTPUTS,
        report_priority.format(name="screening_report.txt"),
    )
    write_notebook(notebooks / "02_next.ipynb", report_priority.format(name="next.txt"))
    register_stage(Stage("aside", 93, "Aside", "03_aside.ipynb"))
    try:
        write_notebook(notebooks / "03_aside.ipynb", report_priority.format(name="aside.txt"))
        result = run(notebooks, tmp_path / "reports", stages=("screening", "next", "aside"), jobs=2)
    finally:
        unregister_stage("aside")
    assert result.ok, result.stages
    niceness = {p.stem: int(p.read_text()) - base for p in result.run_dir.glob("*.txt")}
    # next ends the longest chain; the aside stage and the screening's report cells can wait.
    assert niceness == {"next": 0, "aside": BESIDE_NICENESS, "screening_report": BESIDE_NICENESS}


def test_a_kernel_warms_up_for_the_next_stage_of_a_chain_not_the_one_after(notebooks, tmp_path):
    # On two cores a warm-up two stages ahead only slows the stage that runs and the next warm-up.
    # The screening takes 3 s before it hands its tables over.
    _with_outputs_cell(notebooks / "01_screening.ipynb", "import time\ntime.sleep(3)\n" + SCREENING_OUTPUTS)
    kernel_born = (
        "import os, pathlib, psutil\n"
        "pathlib.Path(output_dir, '{name}').write_text(str(psutil.Process(os.getpid()).create_time()))"
    )
    write_notebook(notebooks / "02_next.ipynb", kernel_born.format(name="next.txt"))
    write_notebook(notebooks / "03_third.ipynb", kernel_born.format(name="third.txt"))
    register_stage(Stage("third", 93, "Third", "03_third.ipynb", depends_on=("next",)))
    try:
        result = run(notebooks, tmp_path / "reports", stages=("screening", "next", "third"), jobs=2)
    finally:
        unregister_stage("third")
    assert result.ok, result.stages
    audit = nbformat.read(result.run_dir / "audit" / "02_next.ipynb", as_version=4)
    next_started = dt.datetime.fromisoformat(audit.metadata.papermill.start_time).timestamp()
    next_born = float((result.run_dir / "next.txt").read_text())
    third_born = float((result.run_dir / "third.txt").read_text())
    # The next stage's kernel was warm before the screening handed over; the third's was born
    # once the next stage had started, not at the start of the run beside the next one.
    assert next_born < next_started
    assert third_born > next_born + 2.5
    assert third_born > next_started - 1.0


def test_the_longest_chain_of_the_demo_stages():
    chain = runner._longest_chain(
        [s for s in stages() if s.key in ("screening", "needs", "planning", "review")]
    )
    assert chain == {"screening", "needs", "planning"}
    assert runner._longest_chain([get_stage("review")]) == {"review"}
