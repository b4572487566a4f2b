"""The needs notebook opened on its own (JupyterLab, workshop mode): it screens, then offers the form."""

from __future__ import annotations

import shutil

import nbformat
import papermill

from kamtools.paths import NOTEBOOKS_DIR


def test_workshop_mode_screens_the_client_itself_and_shows_the_form(demo_workspace, tmp_path):
    workspace = tmp_path / "demo"
    shutil.copytree(demo_workspace, workspace)
    executed = tmp_path / "needs.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "02_needs_analysis.ipynb"),
        str(executed),
        parameters={"workspace_dir": str(workspace), "period": 0, "output_dir": ""},
        kernel_name="kamtools",
        progress_bar=False,
    )
    outputs = [o for cell in nbformat.read(executed, as_version=4).cells for o in cell.get("outputs", [])]
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 1
    # Without a run folder nothing is written beside the workspace's own files.
    assert not list(tmp_path.glob("*.csv"))
    assert not (workspace / "workshop" / "assessments.csv").exists()
