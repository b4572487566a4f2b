"""The whole review on the demo workspace: plan and tracker read back, findings, inputs untouched."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from kamtools.stages.review import narrative, plots
from kamtools.stages.review.analysis import review_period
from kamtools.stages.review.inputs import ReviewInputError, load_reviewed_plan, plan_frames
from kamtools.workspace import load_workspace


@pytest.fixture(scope="module")
def demo(demo_workspace):
    workspace = load_workspace(demo_workspace)
    plan, actions, contacts = load_reviewed_plan(demo_workspace, 2026)
    return workspace, plan, actions, contacts


@pytest.fixture(scope="module")
def result(demo):
    workspace, plan, actions, contacts = demo
    return review_period(
        workspace.tables,
        plan_frames(plan),
        tracker_actions=actions,
        tracker_contacts=contacts,
        period=2026,
        start_month=4,
    )


def test_the_demo_plan_and_tracker_read_back(demo):
    _, plan, actions, contacts = demo
    assert plan.period == 2026 and plan.revision == 1 and len(plan.accounts) == 36
    assert set(actions["status"]) <= {"planned", "in progress", "done", "dropped"}
    assert len(contacts) > 300


def test_review_leaves_its_inputs_alone(demo):
    workspace, plan, actions, contacts = demo
    copies = {name: frame.copy() for name, frame in workspace.tables.items()}
    frames = plan_frames(plan)
    goals = frames.goals.copy()
    review_period(
        workspace.tables,
        frames,
        tracker_actions=actions,
        tracker_contacts=contacts,
        period=2026,
        start_month=4,
    )
    for name, frame in workspace.tables.items():
        pd.testing.assert_frame_equal(frame, copies[name], obj=name)
    pd.testing.assert_frame_equal(frames.goals, goals)


def test_executive_summary_has_money_and_the_required_findings(result):
    findings = narrative.executive_summary(result, currency="EUR")
    assert len(findings) == 5
    attainment, behind, churn, mood, lessons = findings
    assert "€" in attainment and "of the" in attainment and "plan" in attainment
    assert "behind" in behind and "Next:" in behind
    assert "customers overall" in churn and "25%" in churn and "85%" in churn
    assert "Net satisfaction" in mood
    assert lessons.startswith("Three lessons") and "(3)" in lessons


def test_numbers_agree_across_the_report(result):
    sales = result.portfolio.set_index("metric").loc["sales"]
    table = narrative.accounts_table(result)
    assert table["actual"].sum() == pytest.approx(sales["actual"])
    split = result.sales_split
    assert split["variance"].sum() == pytest.approx(sales["variance"], abs=0.01)
    for row in split.itertuples():
        assert round((row.volume + row.price + row.mix) * 100) == round(row.variance * 100)
    bridge = result.dealer_bridge.set_index("step")["amount"]
    parts = bridge[["new", "lost", "growth", "decline", "other"]].sum()
    assert round((bridge["previous"] + parts) * 100) == round(bridge["current"] * 100)
    assert set(narrative.proposals_table(result)["proposal"]) <= {"promote", "demote", "review"}


def test_lessons_saved_replace_the_drafts(result, tmp_path):
    from dataclasses import replace

    from kamtools.stages.review.lessons import lessons_frame

    saved = lessons_frame([{"kind": "change", "lesson": "Quarterly reviews with every key account."}])
    findings = narrative.executive_summary(replace(result, lessons=saved), currency="EUR")
    assert findings[-1].startswith("Three lessons from the workshop") and "quarterly reviews" in findings[-1]


def test_plots_draw_on_the_demo(result):
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(2, 2)
    plots.bridge_waterfall(
        result.dealer_bridge, currency="EUR", previous_label="2025", current_label="2026", ax=axes[0, 0]
    )
    plots.attainment_bullets(result.per_account, names=result.names, currency="EUR", ax=axes[0, 1])
    plots.satisfaction_bars(result.satisfaction_by_question, ax=axes[1, 0])
    plots.retention_curves(result.cohorts, ax=axes[1, 1])
    assert "EUR" in axes[0, 0].get_ylabel()
    assert len(axes[0, 1].get_yticklabels()) == 36
    assert len(axes[1, 0].get_yticklabels()) == 10  # five questions, two waves
    assert len(axes[1, 1].get_lines()) == 3


def test_missing_or_broken_plan_is_named(tmp_path, demo_workspace):
    assert load_reviewed_plan(tmp_path, 2026) == (None, None, None)
    (tmp_path / "plans").mkdir()
    text = (demo_workspace / "plans" / "plan_2026.yml").read_text(encoding="utf-8")
    (tmp_path / "plans" / "plan_2026.yml").write_text(
        text.replace("stretch: ", "stretch: lots", 1), encoding="utf-8"
    )
    with pytest.raises(ReviewInputError) as caught:
        load_reviewed_plan(tmp_path, 2026)
    assert re.search(r"plan_2026\.yml, column 'goals\.sales\.stretch': account C\d+: ", str(caught.value))


def test_without_a_plan_the_review_says_so_and_still_reports_the_dealer(demo_workspace):
    workspace = load_workspace(demo_workspace)
    result = review_period(
        workspace.tables,
        plan_frames(None),
        tracker_actions=None,
        tracker_contacts=None,
        period=2026,
        start_month=4,
    )
    findings = narrative.executive_summary(result, currency="EUR")
    assert findings[0].startswith("No plan for 2026 was found") and "Your sales were €" in findings[0]
    assert any("customers overall" in f for f in findings)
    assert narrative.accounts_table(result).empty and narrative.summary_line(result, currency="EUR")


def test_account_bridges_add_up_per_account(result):
    table = narrative.account_bridge_table(result, limit=100)
    assert len(table) == 36
    moves = table[["new categories", "lost categories", "growth", "decline"]].sum(axis=1)
    for before, change, after in zip(table["sales 2025"], moves, table["sales 2026"], strict=True):
        assert round((before + change) * 100) == round(after * 100)
    assert table["sales 2026"].iloc[0] - table["sales 2025"].iloc[0] <= 0  # largest fall first
