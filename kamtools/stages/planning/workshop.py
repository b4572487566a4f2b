"""Workshop mode: a plan builder per account in JupyterLab, saved through the plan file.

Pick an account; set its sales goal and stretch goal as growth on last period (sliders) or in
money (number boxes): the stage targets below update at once, and gross profit and share of
wallet follow. Add or change an action in the form (owner, counterpart, dates, effect, status).
"Save plan" writes ``plans/plan_<period>.yml`` (the previous file goes to ``plans/history/``) and
refreshes the tracker, keeping what the client entered. The next ``kam run`` reports the saved
plan.

All logic is in :class:`PlanBuilder` and :mod:`.editing`; the widgets are plain ipywidgets
objects, so a test drives them by setting values and clicking buttons, without a browser.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from kamtools.formatting import money_text
from kamtools.io import InputFileError
from kamtools.stages.planning.actions import ACTION_STATUSES
from kamtools.stages.planning.editing import next_action_id, stage_targets, with_action, with_sales_goal
from kamtools.stages.planning.planfile import Plan, save_plan
from kamtools.stages.planning.settings import PlanningError
from kamtools.stages.planning.tracker import write_tracker

__all__ = ["NEW_ACTION", "PlanBuilder"]

NEW_ACTION = "(new action)"
GROWTH_RANGE = (-0.5, 1.0)
GOAL_LABEL_WIDTH = "7.5rem"
"""Wide enough for the longest goal label ("Stretch growth") at JupyterLab's font size."""


class PlanBuilder:
    """Goals and actions of one plan, edited account by account.

    Parameters
    ----------
    plan : Plan
        The plan to start from (the saved plan file, or the proposal).
    workspace : Path, optional
        The client workspace "Save plan" writes into; None disables saving.
    team : sequence of str, optional
        Team members offered as action owners (free text is accepted too).
    """

    def __init__(self, plan: Plan, *, workspace: Path | None = None, team: list[str] | None = None) -> None:
        self.plan = plan
        self.workspace = workspace
        self.saved_path: Path | None = None
        ids = [a.customer_id for a in plan.accounts]
        self.account = widgets.Dropdown(
            options=[(f"{a.name} ({a.customer_id})", a.customer_id) for a in plan.accounts],
            value=ids[0] if ids else None,
            description="Account",
            layout={"width": "32rem"},
        )
        # ipywidgets' default label width cut "Stretch growth" to "Stretch gr...".
        labels = {"description_width": GOAL_LABEL_WIDTH}
        self.plan_growth = widgets.FloatSlider(min=GROWTH_RANGE[0], max=GROWTH_RANGE[1], step=0.01,
                                               description="Plan growth", readout_format=".0%",
                                               continuous_update=False, style=labels)  # fmt: skip
        self.stretch_growth = widgets.FloatSlider(min=GROWTH_RANGE[0], max=GROWTH_RANGE[1], step=0.01,
                                                  description="Stretch growth", readout_format=".0%",
                                                  continuous_update=False, style=labels)  # fmt: skip
        self.plan_value = widgets.FloatText(description="Plan sales", step=1000, style=labels)
        self.stretch_value = widgets.FloatText(description="Stretch sales", step=1000, style=labels)
        self.targets = widgets.HTML()
        self.action_pick = widgets.Dropdown(description="Action")
        self.action_fields = {
            "title": widgets.Text(description="Title"),
            "support": widgets.Text(description="Support"),
            "owner": widgets.Combobox(
                description="Owner", options=sorted(set(team or [])), ensure_option=False
            ),
            "counterpart": widgets.Text(description="With"),
            "start": widgets.DatePicker(description="Start"),
            "due": widgets.DatePicker(description="Due"),
            "expected_effect": widgets.Textarea(description="Effect"),
            "status": widgets.Dropdown(description="Status", options=list(ACTION_STATUSES)),
        }
        self.apply_button = widgets.Button(description="Apply action", icon="check")
        self.save_button = widgets.Button(description="Save plan", icon="save", disabled=workspace is None)
        self.status = widgets.HTML()
        self._syncing = False
        self.account.observe(lambda _c: self._show_account(), names="value")
        self.plan_growth.observe(lambda c: self._growth_changed(), names="value")
        self.stretch_growth.observe(lambda c: self._growth_changed(), names="value")
        self.plan_value.observe(lambda c: self._value_changed(), names="value")
        self.stretch_value.observe(lambda c: self._value_changed(), names="value")
        self.action_pick.observe(lambda _c: self._show_action(), names="value")
        self.apply_button.on_click(lambda _b: self.apply_action())
        self.save_button.on_click(lambda _b: self.save())
        if ids:
            self._show_account()

    # --- goals ---------------------------------------------------------------------------------

    def _baseline(self) -> float:
        goal = self.plan.account(self.account.value).goals.get("sales")
        return float(goal.year.baseline or 0.0) if goal is not None else 0.0

    def set_goal(self, *, goal: float, stretch: float) -> None:
        """Set the selected account's sales goal and stretch goal (money); the stages follow."""
        try:
            self.plan = with_sales_goal(self.plan, self.account.value, goal=goal, stretch=max(stretch, goal))
        except PlanningError as exc:
            self.status.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
            return
        self._sync_goal_controls()
        self._show_targets()

    def _growth_changed(self) -> None:
        if self._syncing:
            return
        base = self._baseline()
        if base > 0:
            self.set_goal(
                goal=base * (1 + self.plan_growth.value), stretch=base * (1 + self.stretch_growth.value)
            )

    def _value_changed(self) -> None:
        if not self._syncing:
            self.set_goal(goal=float(self.plan_value.value), stretch=float(self.stretch_value.value))

    def _sync_goal_controls(self) -> None:
        sales = self.plan.account(self.account.value).goals.get("sales")
        if sales is None:
            return
        base = self._baseline()
        self._syncing = True
        try:
            self.plan_value.value = float(sales.year.plan or 0.0)
            self.stretch_value.value = float(sales.year.stretch or 0.0)
            if base > 0:
                _show_growth(self.plan_growth, (sales.year.plan or 0) / base - 1)
                _show_growth(self.stretch_growth, (sales.year.stretch or 0) / base - 1)
        finally:
            self._syncing = False

    def targets_html(self) -> str:
        """The selected account's sales targets by stage, as the panel shows them."""
        currency = self.plan.currency
        money = "style='text-align:right;padding-left:1.2em'"  # whole euros side by side stay apart
        columns = ("last period", "plan", "stretch")
        rows = "".join(
            f"<tr><td>{html.escape(str(r['stage']))}</td>"
            + "".join(f"<td {money}>{money_text(r[c], currency, compact=False)}</td>" for c in columns)
            + "</tr>"
            for r in stage_targets(self.plan, self.account.value)
        )
        head = "<th>stage</th>" + "".join(f"<th {money}>{c}</th>" for c in columns)
        return f"<table class='kam-table'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    def _show_targets(self) -> None:
        self.targets.value = self.targets_html()

    # --- actions -------------------------------------------------------------------------------

    def _show_account(self) -> None:
        self._sync_goal_controls()
        self._show_targets()
        account = self.plan.account(self.account.value)
        self.action_pick.options = [NEW_ACTION, *[a.action_id for a in account.actions]]
        self.action_pick.value = NEW_ACTION
        self._show_action()

    def _show_action(self) -> None:
        account = self.plan.account(self.account.value)
        chosen = next((a for a in account.actions if a.action_id == self.action_pick.value), None)
        values: Mapping[str, Any] = (
            chosen.__dict__
            if chosen is not None
            else {
                "title": "",
                "support": "",
                "owner": account.account_manager,
                "counterpart": account.counterpart,
                "start": self.plan.period_start,
                "due": self.plan.period_end,
                "expected_effect": "",
                "status": "planned",
            }
        )
        for name, control in self.action_fields.items():
            control.value = values[name]

    def apply_action(self) -> bool:
        """Add (``(new action)``) or change the chosen action from the form; False if refused."""
        cid = self.account.value
        fields = {name: control.value for name, control in self.action_fields.items()}
        if self.action_pick.value != NEW_ACTION:
            fields["action_id"] = self.action_pick.value
        else:
            fields["action_id"] = next_action_id(self.plan, cid)
        try:
            self.plan = with_action(self.plan, cid, fields)
        except PlanningError as exc:
            self.status.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
            return False
        self.action_pick.options = [NEW_ACTION, *[a.action_id for a in self.plan.account(cid).actions]]
        self.action_pick.value = fields["action_id"]
        self.status.value = f"Action {html.escape(fields['action_id'])} applied; save the plan to keep it."
        return True

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> Path | None:
        """Save the plan file (previous version kept) and refresh the tracker; returns the plan file."""
        if self.workspace is None:
            return None
        try:
            self.plan, path = save_plan(self.workspace, self.plan)
        except (PlanningError, InputFileError, OSError) as exc:
            # The goals and actions stay in the builder: fix the cause and press Save again.
            self.status.value = f"<b>Not saved:</b> {html.escape(str(exc), quote=False)}"
            return None
        self.saved_path = path
        sales = sum((a.goals["sales"].year.plan or 0.0) for a in self.plan.accounts if "sales" in a.goals)
        saved = (
            f"Plan saved as revision {self.plan.revision} ({money_text(sales, self.plan.currency)} of sales"
            f" planned); the previous version is kept in plans/history."
        )
        try:
            write_tracker(self.workspace, self.plan)
        except (PlanningError, InputFileError, OSError) as exc:
            reason = html.escape(str(exc), quote=False)
            self.status.value = (
                f"{saved} <b>The tracker was not refreshed:</b> {reason}. Close it if it is open in a"
                " spreadsheet and press Save again."
            )
            return path
        self.status.value = f"{saved} Re-run the report to publish it."
        return path

    def widget(self) -> widgets.Widget:
        """The builder panel, for display in JupyterLab."""
        goals = widgets.VBox(
            [widgets.HTML("<b>Goals</b>"), self.plan_growth, self.stretch_growth, self.plan_value,
             self.stretch_value, self.targets]
        )  # fmt: skip
        actions = widgets.VBox(
            [
                widgets.HTML("<b>Actions</b>"),
                self.action_pick,
                *self.action_fields.values(),
                self.apply_button,
            ]
        )
        return widgets.VBox([self.account, widgets.HBox([goals, actions]), self.save_button, self.status])


def _show_growth(slider: widgets.FloatSlider, growth: float) -> None:
    """Put ``growth`` on its slider, widening the slider's range when a typed goal lies outside it.

    A sales goal typed in money can mean +160%; a slider held at its +100% end would show a
    growth the plan does not have. The range goes back to :data:`GROWTH_RANGE` for goals inside it.
    """
    slider.max = max(GROWTH_RANGE[1], math.ceil(growth * 10) / 10)
    slider.min = min(GROWTH_RANGE[0], math.floor(growth * 10) / 10)
    slider.value = growth
