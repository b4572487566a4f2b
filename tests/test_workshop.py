"""Workshop controls re-score the screening and save settings, tested without a browser."""

from __future__ import annotations

import warnings

import pytest

from kamtools import io
from kamtools.stages.screening import ScreeningSettings, screen_period
from kamtools.stages.screening.workshop import ScreeningWorkshop
from kamtools.workspace import load_workspace


@pytest.fixture(scope="module")
def demo_screening(demo_workspace):
    workspace = load_workspace(demo_workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        screening = screen_period(workspace.tables, start_month=4, period=2026)
    return workspace, screening


def panel(demo_screening, tmp_path=None):
    workspace, screening = demo_screening
    return ScreeningWorkshop(
        screening,
        settings=ScreeningSettings(),
        market=workspace.tables["market"],
        cost_to_serve=workspace.tables["cost_to_serve"],
        workspace=tmp_path,
    )


def test_moving_a_control_re_ranks_the_customers(demo_screening):
    workshop = panel(demo_screening)
    before = workshop.scored
    workshop.key_count.value = 12
    assert (workshop.scored["tier"] == "key").sum() == 12
    workshop.weight_sliders["margin"].value = 1.0
    by_margin = set(workshop.scored.loc[workshop.scored["tier"] == "key", "customer_id"])
    workshop.weight_sliders["margin"].value = 0.0
    without_margin = set(workshop.scored.loc[workshop.scored["tier"] == "key", "customer_id"])
    assert by_margin != without_margin
    assert "12 key accounts" in workshop.status.value
    assert before is demo_screening[1].scored  # the screening it started from is left alone


def test_gates_open_to_none_and_close_to_numbers(demo_screening):
    workshop = panel(demo_screening)
    workshop.gate_sliders["max_late_share"].value = 0.5
    workshop.gate_sliders["max_avg_days_late"].value = 120.0
    settings = workshop.settings()
    assert settings.max_late_share == 0.5 and settings.max_avg_days_late is None
    reviewed = workshop.scored["exclusion"].fillna("").str.contains("invoices paid late")
    assert reviewed.any()


def test_save_writes_client_yml_and_keeps_the_previous_one(demo_screening, tmp_path):
    (tmp_path / "client.yml").write_text(
        "client: {name: Demo}\nperiods: {current: 2026}\ninputs: {sales: {file: s.csv}}\n", encoding="utf-8"
    )
    workshop = panel(demo_screening, tmp_path)
    workshop.weight_sliders["sales"].value = 0.5
    workshop.key_count.value = 20
    workshop.save_button.click()
    saved = io.read_yaml(tmp_path / "client.yml")["screening"]
    assert saved["weights"]["sales"] == 0.5 and saved["key_accounts"] == 20
    assert ScreeningSettings.from_mapping(saved) == workshop.settings()
    (history,) = (tmp_path / "history").iterdir()
    assert "screening" not in io.read_yaml(history)
    assert "saved" in workshop.status.value


def test_without_a_workspace_saving_is_disabled(demo_screening):
    workshop = panel(demo_screening)
    assert workshop.save_button.disabled and workshop.save() is None
