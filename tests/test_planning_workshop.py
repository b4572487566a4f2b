"""Planning stage: editing a plan and the workshop's plan builder, without a browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from kamtools.stages.planning.editing import (
    next_action_id,
    with_account,
    with_action,
    with_sales_goal,
    with_swot,
)
from kamtools.stages.planning.goals import to_cents
from kamtools.stages.planning.planfile import read_plan
from kamtools.stages.planning.settings import PlanningError
from kamtools.stages.planning.tracker import read_tracker, tracker_path
from kamtools.stages.planning.workshop import NEW_ACTION, PlanBuilder
from tests.test_planning_planfile import plan  # noqa: F401  (the literal plan fixture)


def test_changing_the_sales_goal_resplits_stages_exactly_and_moves_profit_and_share(plan):  # noqa: F811
    edited = with_sales_goal(plan, "A", goal=20_000.01, stretch=25_000.0)
    sales = edited.account("A").goals["sales"]
    assert sales.year.plan == 20_000.01
    assert sum(to_cents(s.plan) for s in sales.stages.values()) == to_cents(20_000.01)
    assert sum(to_cents(s.stretch) for s in sales.stages.values()) == to_cents(25_000.0)
    # Last period's stages stay as they were.
    old = plan.account("A").goals["sales"]
    assert [s.baseline for s in sales.stages.values()] == [s.baseline for s in old.stages.values()]
    profit = edited.account("A").goals["gross_profit"]
    margin = plan.account("A").goals["gross_profit"].year.baseline / old.year.baseline
    assert profit.year.plan == pytest.approx(20_000.01 * margin, abs=0.01)
    assert sum(to_cents(s.plan) for s in profit.stages.values()) == to_cents(profit.year.plan)
    share = edited.account("A").goals["share_of_wallet"]
    assert share.year.plan == pytest.approx(20_000.01 / 40_000.0)
    assert plan.account("A").goals["sales"] == old  # the original plan is untouched
    with pytest.raises(PlanningError, match=r"account A, field goals\.sales"):
        with_sales_goal(plan, "A", goal=10.0, stretch=5.0)


def test_actions_are_added_changed_and_checked(plan):  # noqa: F811
    assert next_action_id(plan, "A") == "A-A03"
    fields = {"title": "Spring open day", "owner": "Ann", "start": date(2026, 5, 1), "due": date(2026, 5, 31)}
    added = with_action(plan, "A", fields)
    assert [a.action_id for a in added.account("A").actions] == ["A-A01", "A-A02", "A-A03"]
    changed = with_action(added, "A", {**fields, "action_id": "A-A01", "status": "in progress"})
    first = changed.account("A").actions[0]
    assert (first.title, first.status) == ("Spring open day", "in progress")
    with pytest.raises(PlanningError, match=r"account A, action A-A04: field status: must be one of"):
        with_action(plan, "A", {**fields, "action_id": "A-A04", "status": "late"})
    with pytest.raises(PlanningError, match="field due: 2027-05-01 is outside the plan period"):
        with_action(plan, "A", {**fields, "due": date(2027, 5, 1)})
    with pytest.raises(PlanningError, match="belongs to another account"):
        with_action(plan, "A", {**fields, "action_id": "B-A01"})


def test_account_fields_and_swot(plan):  # noqa: F811
    edited = with_account(plan, "B", counterpart="Mrs Berg, buyer", contacts={"visit": 1})
    assert edited.account("B").counterpart == "Mrs Berg, buyer"
    assert edited.account("B").contacts == {"visit": 1, "call": 3, "review": 1}
    with pytest.raises(PlanningError, match="field contacts"):
        with_account(plan, "B", contacts={"lunch": 1})
    swot = with_swot(plan, "B", "threat", ["New competitor in town", " "])
    assert swot.account("B").swot["threat"] == ("New competitor in town",)


def test_builder_sliders_move_the_stage_targets_live(plan, tmp_path):  # noqa: F811
    builder = PlanBuilder(plan, workspace=tmp_path, team=["Ann", "Lou"])
    builder.account.value = "A"
    base = plan.account("A").goals["sales"].year.baseline
    builder.plan_growth.value = 0.10
    assert builder.plan.account("A").goals["sales"].year.plan == pytest.approx(base * 1.10, abs=0.01)
    assert builder.plan_value.value == pytest.approx(base * 1.10, abs=0.01)
    assert "€" in builder.targets.value and "Q1" in builder.targets.value
    builder.stretch_value.value = base * 1.5
    assert builder.plan.account("A").goals["sales"].year.stretch == pytest.approx(base * 1.5, abs=0.01)
    assert builder.stretch_growth.value == pytest.approx(0.5, abs=0.001)
    # An action through the form.
    builder.action_pick.value = NEW_ACTION
    builder.action_fields["title"].value = "Quarterly review"
    builder.action_fields["start"].value = date(2026, 7, 1)
    builder.action_fields["due"].value = date(2026, 7, 31)
    builder.apply_button.click()
    assert builder.plan.account("A").actions[-1].title == "Quarterly review"
    builder.action_fields["due"].value = date(2026, 6, 1)  # before its start: refused, named
    assert builder.apply_action() is False
    assert "field due" in builder.status.value
    # Save: plan file and tracker written; read back, the edits are there.
    builder.save_button.click()
    saved = read_plan(builder.saved_path)
    assert saved == builder.plan and saved.revision == 1
    assert saved.account("A").goals["sales"].year.plan == pytest.approx(base * 1.10, abs=0.01)
    tracker = read_tracker(tracker_path(tmp_path, 2027), plan=saved)
    assert "A-A03" in set(tracker.actions["action_id"])
    assert "revision 1" in builder.status.value


def test_a_goal_typed_beyond_the_sliders_range_shows_its_real_growth(plan):  # noqa: F811
    builder = PlanBuilder(replace(plan))
    builder.account.value = "A"
    base = plan.account("A").goals["sales"].year.baseline
    builder.plan_value.value = base * 2.6
    assert builder.plan_growth.value == pytest.approx(1.6, abs=0.001)  # not held at +100%
    assert builder.plan_growth.max >= 1.6
    builder.plan_value.value = base * 0.3  # -70%: below the usual -50% end
    assert builder.plan_growth.value == pytest.approx(-0.7, abs=0.001)
    builder.plan_value.value = base * 1.1
    assert (builder.plan_growth.min, builder.plan_growth.max) == (-0.5, 1.0)
    assert builder.plan_growth.value == pytest.approx(0.1, abs=0.001)


def test_builder_without_workspace_does_not_save(plan):  # noqa: F811
    builder = PlanBuilder(replace(plan), workspace=None)
    assert builder.save() is None
    assert builder.save_button.disabled


def test_a_tracker_that_cannot_be_written_is_said_and_saving_again_refreshes_it(plan, tmp_path):  # noqa: F811
    builder = PlanBuilder(replace(plan), workspace=tmp_path)
    builder.account.value = "A"
    builder.plan_growth.value = 0.20
    blocked = tracker_path(tmp_path, plan.period)
    blocked.mkdir(parents=True)  # stands in for a workbook the client holds open in Excel
    path = builder.save()
    assert path is not None and read_plan(path).revision == 1  # the plan itself is kept
    assert "The tracker was not refreshed" in builder.status.value
    assert "Re-run the report" not in builder.status.value
    blocked.rmdir()
    builder.save_button.click()
    assert "Re-run the report" in builder.status.value
    assert read_tracker(blocked, plan=builder.plan).actions is not None


def test_a_plan_file_that_cannot_be_written_keeps_the_edits_and_says_why(plan, tmp_path):  # noqa: F811
    builder = PlanBuilder(replace(plan), workspace=tmp_path)
    builder.account.value = "A"
    builder.plan_growth.value = 0.20
    edited = builder.plan
    (tmp_path / "plans").write_text("not a folder", encoding="utf-8")
    assert builder.save() is None
    assert "Not saved:" in builder.status.value
    assert builder.plan == edited and builder.saved_path is None
