"""The review stage in `kam run` on the demo: its report, its outputs and the proposals it saves."""

from __future__ import annotations

import shutil

import pytest
from bs4 import BeautifulSoup

from kamtools import contract, io
from kamtools.cli import main


@pytest.fixture(scope="module")
def review_run(demo_workspace, tmp_path_factory):
    clients = tmp_path_factory.mktemp("clients")
    shutil.copytree(demo_workspace, clients / "demo")
    reports = tmp_path_factory.mktemp("reports")
    code = main(
        [
            "--clients-dir",
            str(clients),
            "run",
            "demo",
            "--stage",
            "review",
            "--quiet",
            "--reports-dir",
            str(reports),
        ]
    )
    assert code == 0
    [run_dir] = [p for p in (reports / "demo" / "2026").iterdir() if p.name != "latest"]
    return clients / "demo", run_dir


def test_report_opens_with_the_executive_summary_in_money(review_run):
    _, run_dir = review_run
    soup = BeautifulSoup((run_dir / "04_post_period_review.html").read_text(encoding="utf-8"), "html.parser")
    headings = [h.get_text(strip=True).rstrip("¶") for h in soup.find_all("h2")]
    assert headings[0] == "Summary"
    findings = soup.find_all("h2")[0].find_next("ul").find_all("li")
    assert len(findings) == 5
    assert all("€" in li.get_text() for li in findings[:3])
    text = soup.get_text(" ")
    for needed in (
        "Reichheld and Sasser",
        "not a law",
        "Glossary",
        "Proposed tier changes for 2027",
        "Lessons learned",
        "Net satisfaction",
    ):
        assert needed in text
    assert "Traceback" not in text and "def " not in text and "/tmp/" not in text
    assert len(soup.find_all("img")) >= 5  # bullets, bridge, satisfaction x2, retention


def test_outputs_follow_their_contracts_and_proposals_reach_the_workspace(review_run):
    workspace, run_dir = review_run
    attainment = io.read_stage_output(run_dir, contract.REVIEW_ATTAINMENT)
    assert set(attainment["metric"]) == {"sales", "gross_profit", "share_of_wallet"}
    assert len(attainment) == 36 * 3
    at_risk = io.read_stage_output(run_dir, contract.REVIEW_AT_RISK)
    assert (at_risk["signs"] >= 1).all()
    proposals = io.read_stage_output(run_dir, contract.TIER_PROPOSALS)
    saved = workspace / "review" / "tier_proposals_2027.csv"
    assert saved.exists() and len(io.read_raw_table(saved)) == len(proposals)


def test_index_shows_the_review_headline(review_run):
    _, run_dir = review_run
    index = BeautifulSoup((run_dir / "index.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "Post-period review" in index and "of the €31.8m plan" in index
