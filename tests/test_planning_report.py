"""Planning stage: report sentences, tables and charts from a literal plan."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kamtools.stages.planning import narrative, plots
from kamtools.stages.planning.build import plan_load
from kamtools.stages.planning.load import load_summary
from kamtools.stages.planning.planfile import plan_tables
from tests.test_planning_planfile import plan  # noqa: F401  (the literal plan fixture)


def test_findings_lead_with_the_total_plan_in_money(plan):  # noqa: F811
    sentences = narrative.findings(plan, load_summary(plan_load(plan)))
    totals = narrative.portfolio_totals(plan)
    assert totals.baseline_sales == pytest.approx(12_300.0 + 6_000.0)
    assert sentences[0].startswith("The plan for 2027 commits to €")
    assert "more than the €18.3k they bought in 2026" in sentences[0]
    assert "stretch goal" in sentences[0]
    assert any("carr" in s and "half of the planned growth" in s for s in sentences)
    assert any("overloaded" in s for s in sentences)
    assert narrative.summary(plan).startswith("Plan 2027: €")


def test_growth_carriers_take_the_largest_first_up_to_half(plan):  # noqa: F811
    carriers = narrative.growth_carriers(plan)
    assert list(carriers["growth"]) == sorted(carriers["growth"], reverse=True)
    assert carriers["carries"].iloc[0]
    assert carriers["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_account_page_pieces_escape_client_text(plan):  # noqa: F811
    account = plan.account("A")  # "Alpha & Co"
    heading = narrative.account_heading_html(account, currency="EUR")
    assert heading.startswith('<h4 class="kam-account">Alpha &amp; Co: grow by €')
    swot = narrative.swot_html(account)
    assert "<th>Strengths</th>" in swot and "<script" not in swot
    goals = narrative.account_goals_table(account, plan.stage_labels)
    assert list(goals.columns) == ["goal", "Q1", "Q2", "Q3", "Q4", "year"]
    plan_row = goals.set_index("goal").loc["Sales, plan"]
    assert round(plan_row[["Q1", "Q2", "Q3", "Q4"]].sum() * 100) == round(plan_row["year"] * 100)
    assert list(narrative.account_actions_table(account)["action"]) == ["Sales training", "Logistics support"]
    assert narrative.account_contacts_table(account)["per year"].tolist() == [12, 24, 4]
    overview = narrative.goals_overview_table(plan)
    assert overview["account"].tolist() == ["Alpha & Co", "Beta: Bau"]


@pytest.mark.parametrize("metric", ["sales", "gross_profit"])
def test_plan_by_stage_plot_shows_the_currency(plan, metric):  # noqa: F811
    goals, _, _ = plan_tables(plan)
    ax = plots.plan_by_stage_plot(goals, currency="EUR", metric=metric, ax=plt.subplots()[1])
    assert "(EUR)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1", "Q2", "Q3", "Q4"]
    assert len(ax.patches) == 12


def test_growth_plot_sums_the_rest_in_one_bar(plan):  # noqa: F811
    goals, _, _ = plan_tables(plan)
    names = pd.Series({a.customer_id: a.name for a in plan.accounts})
    ax = plots.growth_by_account_plot(goals, names=names, currency="EUR", top=1, ax=plt.subplots()[1])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "1 other accounts" or labels[-1].endswith("other accounts")
    assert "EUR" in ax.get_xlabel()


def test_action_timeline_lanes_never_overlap(plan):  # noqa: F811
    _, actions, _ = plan_tables(plan)
    overlapping = pd.concat(
        [actions, actions.assign(action_id=actions["action_id"] + "x")], ignore_index=True
    )
    _, ax = plt.subplots(figsize=(8, plots.timeline_height(overlapping)))
    plots.action_timeline_plot(
        overlapping, period=(pd.Timestamp("2026-04-01"), pd.Timestamp("2027-03-31")), ax=ax
    )
    bars = [(p.get_y(), p.get_x(), p.get_x() + p.get_width()) for p in ax.patches]
    for i, (y, x0, x1) in enumerate(bars):
        for y2, a0, a1 in bars[i + 1 :]:
            if y == y2:
                assert x1 <= a0 or a1 <= x0, "two bars share a lane and overlap"
    assert plots.timeline_height(overlapping) > plots.timeline_height(actions)


def test_empty_inputs_draw_a_sentence_not_an_empty_frame():
    _, ax = plt.subplots()
    empty = pd.DataFrame(columns=["title", "start", "due", "status", "owner", "support"])
    plots.action_timeline_plot(empty, ax=ax)
    assert ax.texts[0].get_text() == "No actions are planned."
    _, ax = plt.subplots()
    load = pd.DataFrame(columns=["member", "month", "accounts", "actions", "overloaded"])
    plots.team_load_plot(load, ceiling=9, ax=ax)
    assert "No team member" in ax.texts[0].get_text()


def test_team_load_plot_marks_members_over_the_ceiling(plan):  # noqa: F811
    load = plan_load(plan)
    _, ax = plt.subplots()
    plots.team_load_plot(load, ceiling=1, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("over 1" in label for label in labels)
