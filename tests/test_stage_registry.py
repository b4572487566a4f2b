"""The stage registry: a stage added through the registry alone is validated, run and listed.

The throwaway stage lives in a temporary folder (a settings class, a validate function, an
output contract and a tiny notebook); nothing in kamtools names it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kamtools import io
from kamtools.cli import main
from kamtools.config import top_level_keys
from kamtools.stages import (
    Stage,
    StageRegistryError,
    get_stage,
    load_stage_module,
    register_stage,
    stages,
    unregister_stage,
)

STAGE_MODULE = '''
"""A throwaway stage: counts the invoice lines of the period."""

from dataclasses import dataclass
from pathlib import Path

from kamtools.contract import Column, Table
from kamtools.stages.registry import Stage
from kamtools.validation import Problem

LINE_COUNT = Table(
    name="throwaway_counts",
    description="Invoice lines per table.",
    unique_key=("table",),
    columns=(Column("table", "text", True), Column("rows", "integer", True)),
)


@dataclass(frozen=True)
class ThrowawaySettings:
    label: str = "lines"

    @classmethod
    def from_mapping(cls, mapping):
        unknown = sorted(set(mapping or {}) - {"label"})
        if unknown:
            raise ValueError(f"unknown throwaway setting(s) {unknown}; allowed: label")
        return cls(**dict(mapping or {}))


def check(workspace):
    if not (workspace.root / "workshop" / "throwaway_ok.txt").exists():
        return [Problem("throwaway", "throwaway_ok.txt", None, "the throwaway sign-off file is missing")]
    return []


STAGE = Stage(
    key="throwaway",
    number=90,
    title="Throwaway count",
    notebook=str(Path(__file__).with_name("90_throwaway.ipynb")),
    depends_on=(),
    settings_class=ThrowawaySettings,
    config_section="throwaway",
    validate=check,
    writes=("throwaway_counts",),
    output_tables=(LINE_COUNT,),
)
'''

NOTEBOOK_CELLS = [
    ("parameters", 'workspace_dir = ""\nperiod = 0\noutput_dir = ""'),
    (
        "code",
        textwrap.dedent(
            """\
            from pathlib import Path

            import pandas as pd

            from kamtools import io
            from kamtools.stages import get_stage
            from kamtools.workspace import open_client

            LINE_COUNT = get_stage("throwaway").output_tables[0]
            client = open_client(workspace_dir, period=period, cache_dir=output_dir)
            settings = get_stage("throwaway").settings(client.config)
            rows = [len(t) for t in client.tables.values()]
            counts = pd.DataFrame({"table": list(client.tables), "rows": rows})"""
        ),
    ),
    ("markdown", "## How many lines"),
    ("code", "print(f\"{counts.loc[counts.table == 'sales', 'rows'].iloc[0]:,} sales {settings.label}\")"),
    (
        "code",
        "io.write_stage_output(counts, Path(output_dir), LINE_COUNT)\n"
        'summary = f"{len(counts)} tables counted ({settings.label})"\n'
        'io.write_stage_summary(Path(output_dir), "throwaway", summary)',
    ),
]


@pytest.fixture
def throwaway(tmp_path):
    """The throwaway stage, registered from its temporary folder, removed afterwards."""
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "throwaway_stage.py").write_text(STAGE_MODULE, encoding="utf-8")
    nb = new_notebook(
        metadata={"kernelspec": {"name": "kamtools", "display_name": "kamtools", "language": "python"}}
    )
    for kind, source in NOTEBOOK_CELLS:
        if kind == "markdown":
            nb.cells.append(new_markdown_cell(source))
        else:
            tags = ["parameters"] if kind == "parameters" else []
            nb.cells.append(new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(nb, folder / "90_throwaway.ipynb")
    stage = load_stage_module("throwaway_stage", folder=folder)
    yield stage
    unregister_stage(stage.key)


@pytest.fixture
def client(tmp_path, demo_workspace):
    """A copy of the demo workspace that sets the throwaway stage's section."""
    import shutil

    root = tmp_path / "clients" / "demo-copy"
    shutil.copytree(demo_workspace, root)
    return root


def _set_section(root: Path, mapping: dict) -> None:
    raw = io.read_yaml(root / "client.yml")
    raw["throwaway"] = mapping
    io.write_yaml(root / "client.yml", raw, keep_previous=False)


def test_a_stage_added_through_the_registry_is_validated_run_and_listed(throwaway, client, tmp_path, capsys):
    assert get_stage("throwaway") is throwaway
    assert "throwaway" in top_level_keys()
    _set_section(client, {"label": "invoice lines"})

    # kam validate runs the stage's own check: the sign-off file is missing.
    assert main(["validate", str(client)]) == 2
    assert "throwaway_ok.txt: the throwaway sign-off file is missing" in capsys.readouterr().err
    (client / "workshop" / "throwaway_ok.txt").write_text("ok", encoding="utf-8")
    # ... and its settings: an unknown key is named, with the section.
    _set_section(client, {"lable": "x"})
    assert main(["validate", str(client)]) == 2
    err = capsys.readouterr().err
    assert "client.yml, column 'throwaway': unknown throwaway setting(s) ['lable']" in err
    _set_section(client, {"label": "invoice lines"})
    assert main(["validate", str(client)]) == 0

    reports = tmp_path / "reports"
    code = main(["run", str(client), "--stage", "throwaway", "--quiet", "--reports-dir", str(reports)])
    assert code == 0, capsys.readouterr().err
    run_dir = reports / "demo-copy" / "2026" / "latest"  # filed under the workspace folder
    counts = io.read_stage_output(run_dir, throwaway.output_tables[0])
    assert counts.set_index("table").loc["sales", "rows"] > 1000
    page = (run_dir / "90_throwaway.html").read_text(encoding="utf-8")
    assert "How many lines" in page and "sales invoice lines" in page
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="90_throwaway.html"' in index and "Throwaway count" in index
    assert "tables counted (invoice lines)" in index
    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert [(s["key"], s["status"]) for s in manifest["stages"]] == [("throwaway", "done")]


def test_a_stage_that_does_not_write_its_declared_output_fails_plainly(throwaway, client, tmp_path, capsys):
    _set_section(client, {})
    (client / "workshop" / "throwaway_ok.txt").write_text("ok", encoding="utf-8")
    notebook = nbformat.read(throwaway.notebook, as_version=4)
    notebook.cells[-1].source = "pass"  # forgets to write its output
    nbformat.write(notebook, throwaway.notebook)
    reports = tmp_path / "reports"
    code = main(["run", str(client), "--stage", "throwaway", "--reports-dir", str(reports)])
    assert code == 1
    out = capsys.readouterr()
    assert "throwaway_counts.csv: not found" in out.out
    assert "Throwaway count: failed at 'writing its output tables'" in out.err


def test_unknown_sections_are_refused_once_the_stage_is_gone(throwaway, client):
    from kamtools.config import ConfigError, load_config

    _set_section(client, {"label": "x"})
    assert load_config(client).section("throwaway") == {"label": "x"}
    unregister_stage("throwaway")
    with pytest.raises(ConfigError, match=r"unknown section\(s\) \['throwaway'\]"):
        load_config(client)


def test_registry_refuses_inconsistent_stages():
    keys = [s.key for s in stages()]
    assert keys[0] == "screening" and [s.number for s in stages()] == sorted(s.number for s in stages())
    with pytest.raises(StageRegistryError, match="registered already"):
        register_stage(Stage("screening", 1, "Again", "01_screening.ipynb"))
    with pytest.raises(StageRegistryError, match="depends on unknown"):
        register_stage(Stage("orphan", 97, "Orphan", "97_orphan.ipynb", depends_on=("nothing",)))
    with pytest.raises(StageRegistryError, match="section 'screening'"):
        register_stage(Stage("copycat", 98, "Copycat", "98.ipynb", config_section="screening"))
    with pytest.raises(StageRegistryError, match="is taken"):
        register_stage(Stage("core", 96, "Core", "96.ipynb", config_section="periods"))
    assert [s.key for s in stages()] == keys
