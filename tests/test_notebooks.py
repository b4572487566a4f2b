"""Stage notebooks: house rules, and every notebook executed end to end into a report pack."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import papermill
import pytest
from bs4 import BeautifulSoup

from kamtools import io
from kamtools.cli import main
from kamtools.contract import (
    ACCOUNT_PROFIT,
    CUSTOMER_TIERS,
    KEY_ACCOUNTS,
    NEEDS_SCORECARD,
    NEEDS_SUPPORT,
    NEEDS_TEAM,
)
from kamtools.page_references import external_references
from kamtools.paths import NOTEBOOKS_DIR
from kamtools.report import CONTENT_SECURITY_POLICY
from kamtools.runner import available_stages
from kamtools.stages import get_stage

from .conftest import SHARED_DATA

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
RUNNER_PARAMETERS = {"workspace_dir", "period", "output_dir"}
MAX_REPORT_BYTES = 3 * 1024 * 1024


def test_every_stage_notebook_is_known_to_the_runner():
    assert NOTEBOOKS, "no stage notebook found"
    assert {nb.stem for nb in NOTEBOOKS} == {get_stage(s).basename for s in available_stages()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_house_rules(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "stored outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged parameters"
    for statement in ast.parse(tagged[0].source).body:
        assert isinstance(statement, ast.Assign | ast.AnnAssign), "parameters cell holds assignments only"
        ast.literal_eval(statement.value)  # literals only
    for cell in code:
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda | ast.AsyncFunctionDef), (
                "logic belongs in kamtools, not in a notebook"
            )
    assert nb.metadata.kernelspec.name == "kamtools"
    assert set(papermill.inspect_notebook(str(path))) == RUNNER_PARAMETERS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_and_its_paired_script_agree(path):
    script = jupytext.read(path.with_suffix(".py"))
    notebook = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in script.cells] == [
        (c.cell_type, c.source, c.metadata.get("tags", [])) for c in notebook.cells
    ], "run `jupytext --sync` on the notebook"


OVERRIDE_REASON = "Strategic partner <b>& new showroom</b>"


@pytest.fixture(scope="module")
def demo_pack(demo_workspace, tmp_path_factory) -> Path:
    """The demo's report pack, rendered once by `kam run` for all stages that exist.

    The workshop has forced one small customer into the key list, so the pack also shows how
    an override reaches the report.
    """
    clients = tmp_path_factory.mktemp("clients")
    shutil.copytree(demo_workspace, clients / "demo")
    pd.DataFrame(
        [
            {
                "customer_id": "C00007",
                "tier": "key",
                "reason": OVERRIDE_REASON,
                "decided_by": "Workshop 2026-11",
            }
        ]
    ).to_csv(clients / "demo" / "workshop" / "screening_overrides.csv", index=False)
    reports = tmp_path_factory.mktemp("reports")
    code = main(["--clients-dir", str(clients), "run", "demo", "--quiet", "--reports-dir", str(reports)])
    assert code == 0
    [run_dir] = [p for p in (reports / "demo" / "2026").iterdir() if p.is_dir() and p.name != "latest"]
    return run_dir


def test_the_pack_links_every_stage_from_its_cover(demo_pack):
    index = (demo_pack / "index.html").read_text(encoding="utf-8")
    for stage in available_stages():
        assert f'href="{get_stage(stage).basename}.html"' in index
        assert (demo_pack / f"{get_stage(stage).basename}.html").exists()
        assert (demo_pack / "audit" / f"{get_stage(stage).basename}.ipynb").exists()
    assert "Northwind Building Supplies" in index
    manifest = json.loads((demo_pack / "run.json").read_text(encoding="utf-8"))
    assert all(s["status"] == "done" and s["summary"] for s in manifest["stages"])


@pytest.mark.parametrize("stage", available_stages())
def test_stage_reports_are_client_ready(demo_pack, stage):
    page = (demo_pack / f"{get_stage(stage).basename}.html").read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) < MAX_REPORT_BYTES
    assert CONTENT_SECURITY_POLICY in page and "<script" not in page.lower()
    assert external_references(page) == []
    # The cover names the period the report is about: the plan's own year for the planning stage.
    period = (
        "Period: 2027 (April 2026 to March 2027)"
        if get_stage(stage).reports_on_next_period
        else "Period: 2026 (April 2025 to March 2026)"
    )
    assert stage != "planning" or period.startswith("Period: 2027")
    for marker in (
        "Northwind Building Supplies",
        period,
        "Confidential: prepared for",
        get_stage(stage).title,
    ):
        assert marker in page
    for code_marker in (
        'class="jp-InputArea',
        "import ",
        "open_client(",
        "Traceback",
        str(Path.home()),
        "/tmp/",
    ):
        assert code_marker not in page
    assert "Assumptions and inputs" in page and "Data quality" in page
    # Answer first: whatever the opening section is called, it comes before the table of contents,
    # and the second section after it.
    sections = BeautifulSoup(page, "html.parser").select("main.kam-content h2")
    opening, second = (" ".join(h.get_text(" ", strip=True).replace("¶", "").split()) for h in sections[:2])
    toc = page.index('class="kam-toc"')
    assert page.index(f">{opening}") < toc < page.index(f">{second}")


def test_screening_report_shows_its_findings_charts_and_tables(demo_pack):
    page = (demo_pack / "01_screening.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64') >= 5  # Pareto, whale, quadrant, movement, robustness
    for caption in (
        "Key accounts, best first",
        "Growth accounts",
        "ABC classes",
        "Customers who entered or left",
        "Robustness of the key list",
        "Criteria and weights",
        "Input files",
    ):
        assert caption in page
    assert (
        "key accounts make 33% of your sales" in page
        and "customers with sales (21%) make 80% of your sales" in page
    )
    for heading in ("Summary", "Former key accounts at risk", "Customers to review, by cause", "Glossary"):
        assert f">{heading}<" in page
    assert "Next step:" in page
    # Answer first: the summary comes before the table of contents.
    assert page.index(">Summary<") < page.index('class="kam-toc"') < page.index(">What we looked at<")
    # What the next stage reads: key AND growth accounts, checked against the contract.
    key_accounts = io.read_stage_output(demo_pack, KEY_ACCOUNTS)
    assert list(key_accounts.columns[: len(KEY_ACCOUNTS.columns)]) == KEY_ACCOUNTS.column_names
    tiers = io.read_stage_output(demo_pack, CUSTOMER_TIERS)
    counts = key_accounts["tier"].value_counts()
    assert counts["key"] == (tiers["tier"] == "key").sum() >= 10
    assert counts["growth"] == (tiers["tier"] == "growth").sum() > 0
    assert key_accounts["account_manager"].ne("").any()
    assert "Strategic partner &lt;b&gt;&amp; new showroom&lt;/b&gt;" in page and OVERRIDE_REASON not in page
    assert key_accounts.set_index("customer_id").loc["C00007", "tier"] == "key"
    executed = nbformat.read(demo_pack / "audit" / "01_screening.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters["period"] == 2026
    provenance = executed.cells[-1]
    assert "remove-cell" in provenance.metadata.tags and "kamtools" in str(provenance.outputs)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data beside the project")
def test_screening_runs_on_the_real_wholesaler_export(tmp_path):
    example = Path(__file__).resolve().parents[1] / "examples" / "online_retail"
    code = main(["run", str(example), "--stage", "screening", "--quiet", "--reports-dir", str(tmp_path)])
    assert code == 0
    page = (tmp_path / "online_retail" / "2011" / "latest" / "01_screening.html").read_text(encoding="utf-8")
    assert "No cost of goods was provided" in page
    assert "left out" in page  # margin criteria dropped, said in the weights table
    assert "whole of 2010" not in page and "no sales of 2010 to compare it with" in page
    method = page[page.rindex("What we looked at") : page.rindex("How concentrated your business is")]
    assert "Size leads: sales in money" in method and "gross profit" not in method and "margin" not in method
    assert external_references(page) == []


def test_needs_report_has_every_key_account_and_its_outputs(demo_pack):
    import html

    page = (demo_pack / "02_needs_analysis.html").read_text(encoding="utf-8")
    key = io.read_stage_output(demo_pack, KEY_ACCOUNTS).query("tier == 'key'")
    # One page per key account, none skipped; the heatmap comes before the account pages.
    assert page.count('class="kam-account"') == len(key)
    for name in key["name"]:
        assert html.escape(name) in page
    assert page.index("Where each key account is strong and weak") < page.index("Account by account")
    assert page.index("Key findings") < page.index("What we looked at")
    assert f"Your {len(key)} key accounts bought €" in page and "cost to serve" in page
    for heading in ("Accounts the workshop has not scored yet", "Next steps", "Glossary", "Data quality"):
        assert heading in page
    assert page.count('src="data:image/svg+xml;base64') == len(key) + 1
    scorecard = io.read_stage_output(demo_pack, NEEDS_SCORECARD)
    assert len(scorecard) == len(key) * 13 and set(scorecard["customer_id"]) == set(key["customer_id"])
    unscored = scorecard[(scorecard["family"] != "hard") & scorecard["score"].isna()]
    for name in unscored["name"].unique():
        assert page.count(html.escape(name)) >= 3  # heatmap label, missing list, account page
    profit = io.read_stage_output(demo_pack, ACCOUNT_PROFIT)
    assert len(profit) == len(key) and profit["contribution"].notna().all()
    assert {
        "orders_cost",
        "deliveries_cost",
        "visits_cost",
        "returns_cost",
        "credit_cost",
        "management_cost",
    } <= set(profit.columns)
    support = io.read_stage_output(demo_pack, NEEDS_SUPPORT)
    assert support["reason"].str.len().gt(20).all() and set(support["priority"]) <= {1, 2, 3}
    team = io.read_stage_output(demo_pack, NEEDS_TEAM)
    assert (team.loc[team["function"] == "sales", "member"] != "").all()
    assert (demo_pack / "needs_scorecard.xlsx").exists() and (demo_pack / "account_profit.xlsx").exists()


def test_plan_report_and_the_plan_it_saved(demo_pack):
    from kamtools.stages.planning import plan_tables, read_plan, read_tracker

    page = (demo_pack / "03_plan_development.html").read_text(encoding="utf-8")
    for marker in (
        "The plan in brief",
        "The plan for 2027 commits to €",
        "SWOT: ",
        "Goals by quarter: ",
        "Contact plan: ",
        "Team load under the plan",
        "Glossary",
    ):
        assert marker in page, marker
    assert page.count('src="data:image/png;base64') >= 4  # stages, growth, load, timeline
    executed = nbformat.read(demo_pack / "audit" / "03_plan_development.ipynb", as_version=4)
    workspace = Path(executed.metadata.papermill.parameters["workspace_dir"])
    plan = read_plan(workspace / "plans" / "plan_2027.yml")
    tracker = read_tracker(workspace / "plans" / "tracker_2027.xlsx", plan=plan)
    assert plan.period == 2027 and plan.revision >= 1 and len(plan.accounts) >= 10
    assert set(tracker.actions["action_id"]) == {a.action_id for acc in plan.accounts for a in acc.actions}
    goals, actions, contacts = plan_tables(plan)
    written = pd.read_csv(demo_pack / "plan_goals.csv", dtype={"customer_id": str})
    assert list(written.columns)[:6] == ["customer_id", "stage", "metric", "baseline", "plan", "stretch"]
    pd.testing.assert_frame_equal(written[goals.columns], goals, check_dtype=False)
    money = written[written["metric"] == "sales"].groupby("customer_id")["plan"].sum().round(2)
    assert money.to_dict() == {a.customer_id: a.goals["sales"].year.plan for a in plan.accounts}
    assert (demo_pack / "plan_actions.xlsx").exists() and (demo_pack / "plan_contacts.csv").exists()
    assert len(actions) > 0 and set(contacts["contact_type"]) == {"visit", "call", "review"}
