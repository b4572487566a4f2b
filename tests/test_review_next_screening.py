"""The review's tier proposals reach the next period's screening report."""

from __future__ import annotations

import shutil

import nbformat
import pandas as pd
import papermill

from kamtools.paths import NOTEBOOKS_DIR
from kamtools.stages.review.next_screening import save_tier_proposals


def test_the_screening_shows_the_proposals_of_the_review_before(demo_workspace, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo_workspace, root)
    proposals = pd.DataFrame(
        {
            "customer_id": ["C00007"],
            "name": ["Ashford <b>Builders</b>"],
            "current_tier": ["growth"],
            "proposal": ["promote"],
            "proposed_tier": ["key"],
            "reason": ["reached 112% of the sales plan, no warning signs"],
        }
    )
    save_tier_proposals(root, 2026, proposals)  # the review of 2025 proposes for the screening of 2026
    out = tmp_path / "screening.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "01_screening.ipynb"),
        str(out),
        parameters={"workspace_dir": str(root)},
        kernel_name="kamtools",
        progress_bar=False,
    )
    html = "".join(
        output.get("data", {}).get("text/html", "")
        for cell in nbformat.read(out, as_version=4).cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "Tier changes proposed by the review of 2025" in html
    assert "reached 112% of the sales plan, no warning signs" in html
    assert "Ashford &lt;b&gt;Builders&lt;/b&gt;" in html and "<b>Builders</b>" not in html
