"""The screening workshop panel, tested without a browser (tests/test_lab_browser.py drives a real one)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kamtools import io
from kamtools.stages.screening import ScreeningSettings
from kamtools.stages.screening.workshop import (
    GATES,
    ScreeningWorkshop,
    changed_settings,
    list_changes,
    weight_shares,
    weights_note,
)


@pytest.fixture(scope="module")
def demo_screening(demo_screened):
    workspace, result = demo_screened
    return workspace, result.current, result


def panel(demo_screening, tmp_path=None, settings=None):
    workspace, _current, result = demo_screening
    if settings is not None:
        result = replace(result, settings=settings)
    return ScreeningWorkshop.from_result(result, workspace.tables, workspace=tmp_path)


def key_ids(workshop):
    return set(workshop.scored.loc[workshop.scored["tier"] == "key", "customer_id"])


def test_the_panel_shows_lists_changes_counts_and_chart_before_any_move(demo_screening):
    workshop = panel(demo_screening)
    scored = demo_screening[1].scored
    key = scored.loc[scored["tier"] == "key"].sort_values("tier_rank")
    assert (
        f"Key accounts ({len(key)})" in workshop.ranked.value and "Growth accounts" in workshop.ranked.value
    )
    first = workshop.ranked.value.index(key["name"].iloc[0].replace("&", "&amp;"))
    assert first < workshop.ranked.value.index(key["name"].iloc[-1].replace("&", "&amp;"))
    assert key["reason"].iloc[0].split(";")[0].replace("&", "&amp;") in workshop.ranked.value
    assert "is the one of the saved settings" in workshop.changes.value
    assert f"<b>key</b> {len(key)}" in workshop.counts.value
    assert workshop.chart.value[:4] == b"\x89PNG"


def test_a_re_score_with_the_saved_settings_gives_the_reports_tiers(demo_screening):
    workshop = panel(demo_screening)
    report = demo_screening[1].scored.set_index("customer_id")["tier"]
    assert workshop.rescore().set_index("customer_id")["tier"].equals(report)


def test_moving_a_weight_re_ranks_and_says_who_entered_and_left(demo_screening):
    workshop = panel(demo_screening)
    before = key_ids(workshop)
    workshop.weight_sliders["margin"].value = 1.0
    after = key_ids(workshop)
    assert after != before
    entered = sorted(after - before)
    assert "new" in workshop.ranked.value and "entered (" in workshop.changes.value
    assert workshop.names[entered[0]].replace("&", "&amp;") in workshop.changes.value
    assert workshop.status.value.startswith(f"{len(after)} key accounts")
    assert workshop.timings["rescore"] > 0 and workshop.timings["table"] > 0


def test_the_chart_is_drawn_again_only_when_the_tiers_changed(demo_screening):
    workshop = panel(demo_screening)
    drawn = workshop.chart.value
    workshop.show(workshop.scored)
    assert workshop.chart.value is drawn and workshop.timings["chart"] == 0.0
    workshop.key_count.value = 12
    assert workshop.chart.value != drawn and (workshop.scored["tier"] == "key").sum() == 12


def test_weights_show_as_shares_that_add_up_to_100_percent(demo_screening):
    workshop = panel(demo_screening)
    workshop.weight_sliders["sales"].value = 0.6
    shares = weight_shares(workshop.settings().weights)
    assert sum(shares.values()) == pytest.approx(1.0)
    labels = [int(label.value.split("%")[0]) for label in workshop.share_labels.values()]
    assert 99 <= sum(labels) <= 101  # whole percentages, rounded
    assert (
        "add up to 125%" in workshop.weights_note.value
        and "shares add up to 100%" in workshop.weights_note.value
    )
    assert weights_note({"sales": 0.5, "margin": 0.5}) == "The weights add up to 100%."
    assert "saved weights are used" in weights_note({"sales": 0.0})


def test_controls_read_in_full_and_in_percent(demo_screening):
    workshop = panel(demo_screening)
    for slider in [*workshop.weight_sliders.values(), *workshop.gate_sliders.values(), workshop.key_count]:
        assert slider.style.description_width == "220px" and slider.layout.width == "470px"
        assert not slider.continuous_update  # acts on release
    assert workshop.weight_sliders["purchase_history"].description == "Purchase history"
    assert workshop.weight_sliders["sales"].readout_format == ".0%"
    assert workshop.gate_sliders["max_late_share"].readout_format == ".0%"
    assert workshop.gate_sliders["max_avg_days_late"].readout_format == ".0f"


def test_gates_open_to_none_and_close_to_numbers(demo_screening):
    workshop = panel(demo_screening)
    workshop.gate_sliders["max_late_share"].value = 0.5
    workshop.gate_sliders["max_avg_days_late"].value = 120.0
    settings = workshop.settings()
    assert settings.max_late_share == 0.5 and settings.max_avg_days_late is None
    # The panel writes no words for customers it does not list: the gate's key says who failed it.
    reviewed = workshop.scored["failed_gates"].str.split(";").map(lambda keys: "late_share" in keys)
    assert reviewed.any() and (workshop.scored.loc[reviewed, "tier"] == "review").all()


def test_changed_settings_are_only_the_moved_ones_rounded_as_shown():
    saved = ScreeningSettings.from_mapping({"key_accounts": 30})
    noisy = ScreeningSettings.from_mapping(
        {"key_accounts": 30, "weights": {"sales": 0.35000000000000003, "margin": 0.44999999}}
    )
    assert changed_settings(saved, noisy) == {"weights": {"margin": 0.45}}
    gates = {g.setting: g for g in GATES}
    closed = ScreeningSettings.from_mapping(
        {"key_accounts": 25, "max_avg_days_late": None, "max_late_share": 0.3}
    )
    assert changed_settings(saved, closed) == {
        "key_accounts": 25,
        "max_avg_days_late": None,
        "max_late_share": 0.3,
    }
    assert gates["min_margin_pct"].shown(-0.010000000000000009) == -0.01
    assert changed_settings(saved, saved) == {}


def test_list_changes_compares_two_scorings(demo_screening):
    scored = demo_screening[1].scored
    moved = scored.copy()
    key = moved.index[moved["tier"] == "key"][0]
    moved.loc[key, "tier"] = "maintain"
    changes = list_changes(scored, moved)
    assert changes["key"] == {"entered": [], "left": [scored.loc[key, "customer_id"]]}
    assert changes["growth"] == {"entered": [], "left": []}


def test_save_writes_only_the_changed_settings_and_keeps_comments_and_history(demo_screening, tmp_path):
    original = (
        "# Demo: agreed with the sales director\n"
        "client: {name: Demo}\nperiods: {current: 2026}\ninputs: {sales: {file: s.csv}}\n"
        "screening:\n  key_accounts: 30  # two per manager\n"
    )
    (tmp_path / "client.yml").write_text(original, encoding="utf-8")
    saved = ScreeningSettings.from_mapping({"key_accounts": 30})
    workshop = panel(demo_screening, tmp_path, settings=saved)
    assert workshop.save() is None and "Nothing to save" in workshop.status.value
    workshop.weight_sliders["sales"].value = 0.5
    workshop.key_count.value = 20
    workshop.save_button.click()
    text = (tmp_path / "client.yml").read_text(encoding="utf-8")
    assert "# Demo: agreed with the sales director" in text and "# two per manager" in text
    assert io.read_yaml(tmp_path / "client.yml")["screening"] == {
        "key_accounts": 20,
        "weights": {"sales": 0.5},
    }
    (history,) = (tmp_path / "history").iterdir()
    assert history.read_text(encoding="utf-8") == original
    assert "Saved key_accounts, weights" in workshop.status.value and history.name in workshop.status.value
    assert "is the one of the saved settings" in workshop.changes.value  # saved is the new baseline
    workshop.key_count.value = 22
    workshop.save()
    assert len(list((tmp_path / "history").iterdir())) == 2


def test_without_a_workspace_saving_is_disabled(demo_screening):
    workshop = panel(demo_screening)
    assert workshop.save_button.disabled and workshop.save() is None


def test_a_client_yml_broken_during_the_workshop_is_named_and_the_room_keeps_its_settings(
    demo_screening, tmp_path
):
    (tmp_path / "client.yml").write_text(
        "client: {name: Demo}\nperiods: {current: 2026}\ninputs: {sales: {file: s.csv}}\n", encoding="utf-8"
    )
    workshop = panel(demo_screening, tmp_path, settings=ScreeningSettings.from_mapping({}))
    workshop.key_count.value = 20
    broken = "client: {name: Demo}\nscreening:\n  key_accounts: [30\n"
    (tmp_path / "client.yml").write_text(broken, encoding="utf-8")  # edited by hand meanwhile
    workshop.save_button.click()
    assert workshop.status.value.startswith("Not saved: client.yml")
    assert "line 3" in workshop.status.value
    assert (tmp_path / "client.yml").read_text(encoding="utf-8") == broken
    assert workshop.key_count.value == 20 and not (tmp_path / "history").exists()
