"""Lessons saved with history, tier proposals for the next screening, and the review's settings."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.stages.review import lessons, next_screening
from kamtools.stages.review.settings import ReviewSettings, ReviewSettingsError


def test_lessons_round_trip_with_history(tmp_path):
    first = [{"kind": "worked", "lesson": "Quarterly reviews with the owner", "customer_id": "C1"}]
    second = [
        *first,
        {"kind": "Did not work", "lesson": "Consignment stock nobody used", "owner": "Emma"},
        {"kind": "", "lesson": ""},
    ]
    kept_first = lessons.save_lessons(tmp_path, 2026, first)
    kept_second = lessons.save_lessons(tmp_path, 2026, second)
    loaded = lessons.load_lessons(tmp_path, 2026)
    assert loaded["kind"].tolist() == ["worked", "did not work"]  # the empty form row is skipped
    assert loaded.loc[1, "owner"] == "Emma" and loaded.loc[0, "owner"] == ""
    assert lessons.lessons_history(tmp_path, 2026) == [kept_first, kept_second]
    assert kept_first.name == "lessons_2026.r001.yml" and kept_second.name == "lessons_2026.r002.yml"
    assert "Consignment" not in kept_first.read_text(encoding="utf-8")  # the first version is kept as it was
    assert lessons.load_lessons(tmp_path, 2025).empty


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "maybe", "lesson": "x"}, "entry 1, field 'kind'"),
        ({"kind": "worked", "lesson": " "}, "entry 1, field 'lesson'"),
        ({"kind": "worked", "lesson": "x", "colour": "red"}, "entry 1, field 'colour'"),
    ],
)
def test_bad_lessons_name_entry_and_field(tmp_path, entry, message):
    with pytest.raises(lessons.LessonsError, match=message):
        lessons.save_lessons(tmp_path, 2026, [entry])
    assert not lessons.lessons_path(tmp_path, 2026).exists()  # nothing half-saved


def test_a_hand_edited_lessons_file_is_checked(tmp_path):
    path = lessons.lessons_path(tmp_path, 2026)
    path.parent.mkdir(parents=True)
    path.write_text(
        "lessons:\n  - {kind: worked, lesson: fine}\n  - {kind: wrong, lesson: bad}\n", encoding="utf-8"
    )
    with pytest.raises(lessons.LessonsError, match=r"lessons_2026\.yml, entry 2, field 'kind'"):
        lessons.load_lessons(tmp_path, 2026)


def test_headline_lessons_take_one_of_each_kind_first():
    frame = lessons.lessons_frame(
        [
            {"kind": "worked", "lesson": "a"},
            {"kind": "worked", "lesson": "b"},
            {"kind": "change", "lesson": "c"},
            {"kind": "did not work", "lesson": "d"},
        ]
    )
    assert lessons.headline_lessons(frame)["lesson"].tolist() == ["a", "d", "c"]


def test_tier_proposals_and_their_file(tmp_path):
    tiers = pd.DataFrame(
        {"customer_id": ["K1", "K2", "K3", "K4", "G1", "G2"], "tier": ["key"] * 4 + ["growth"] * 2}
    )
    per_account = pd.DataFrame(
        {
            "customer_id": ["K1", "K2", "K3", "K4", "G1", "G2"],
            "metric": "sales",
            "attainment": [0.2, 0.5, 0.6, 1.1, 1.2, 0.9],
        }
    )
    movement = pd.DataFrame(
        {
            "customer_id": ["K1", "K2", "K3", "K4", "G1", "G2"],
            "status": ["lost", "declining", "kept", "kept", "kept", "kept"],
            "change_pct": [-0.9, -0.45, -0.1, 0.1, 0.4, 0.0],
            "days_since_purchase": [250, 10, 5, 5, 5, 5],
        }
    )
    at_risk = pd.DataFrame({"customer_id": ["K4"], "reasons": ["low satisfaction (2.5 of 5)"]})
    reasons = pd.DataFrame({"customer_id": ["K1"], "reason": ["price"]})
    proposals = next_screening.propose_tier_changes(
        tiers, per_account=per_account, movement=movement, at_risk=at_risk, reasons=reasons
    ).set_index("customer_id")
    assert proposals["proposal"].to_dict() == {
        "K1": "demote",
        "K2": "demote",
        "K3": "review",
        "K4": "review",
        "G1": "promote",
    }
    assert proposals.loc["K1", "reason"] == "lost: no purchase for 250 days (reason recorded: price)"
    assert proposals.loc["K4", "reason"] == "low satisfaction (2.5 of 5)"
    assert proposals.loc["G1", "proposed_tier"] == "key"
    path = next_screening.save_tier_proposals(tmp_path, 2027, proposals.reset_index())
    assert path.name == "tier_proposals_2027.csv"
    back = next_screening.load_tier_proposals(tmp_path, 2027)
    assert back["customer_id"].tolist() == proposals.index.tolist()
    assert next_screening.load_tier_proposals(tmp_path, 2028).empty


def test_settings_name_unknown_keys_and_bad_values():
    assert ReviewSettings.from_mapping(None) == ReviewSettings()
    assert ReviewSettings.from_mapping({"lost_after_days": 120}).lost_after_days == 120
    with pytest.raises(ReviewSettingsError, match="'lost_after_dayz'"):
        ReviewSettings.from_mapping({"lost_after_dayz": 120})
    with pytest.raises(ReviewSettingsError, match="decline_threshold"):
        ReviewSettings.from_mapping({"decline_threshold": 30})
    with pytest.raises(ReviewSettingsError, match="horizon_years"):
        ReviewSettings(horizon_years=2.5)
    with pytest.raises(ReviewSettingsError, match="min_answers"):
        ReviewSettings.from_mapping({"min_answers": "many"})
    settings = ReviewSettings(churn_reduction=0.1)
    assert ReviewSettings.from_mapping(settings.to_mapping()) == settings
    with pytest.raises(AttributeError):
        settings.horizon_years = 3  # type: ignore[misc]
