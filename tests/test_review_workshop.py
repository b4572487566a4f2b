"""The lessons workshop form, driven through its widgets without a browser."""

from __future__ import annotations

import pandas as pd

from kamtools.stages.review.lessons import lessons_frame, lessons_history, load_lessons
from kamtools.stages.review.workshop import LessonsWorkshop


def test_form_starts_from_lessons_and_saves_with_history(tmp_path):
    start = lessons_frame([{"kind": "change", "lesson": "Visit the top ten every quarter", "owner": "Sarah"}])
    form = LessonsWorkshop(start, workspace=tmp_path, period=2026)
    assert form.entries()[0]["lesson"] == "Visit the top ten every quarter"
    form.save_button.click()
    form.add_button.click()
    row = form.rows[-1]
    row["kind"].value = "did not work"
    row["lesson"].value = "Consignment stock at small accounts"
    row["customer_id"].value = "C00042"
    form.save_button.click()
    assert "Saved" in form.status.value
    saved = load_lessons(tmp_path, 2026)
    assert saved["kind"].tolist() == ["change", "did not work"]
    assert saved.loc[1, "customer_id"] == "C00042"
    assert len(lessons_history(tmp_path, 2026)) == 2


def test_a_row_without_text_is_refused_and_named(tmp_path):
    form = LessonsWorkshop(lessons_frame([]), workspace=tmp_path, period=2026)
    form.rows[0]["lesson"].value = "Joint planning worked"
    form.add_button.click()
    form.rows[1]["owner"].value = "Emma"  # an owner but no lesson
    assert form.save() is None
    assert "entry 2, field &#x27;lesson&#x27;" in form.status.value
    assert load_lessons(tmp_path, 2026).empty


def test_an_added_row_left_blank_is_ignored(tmp_path):
    form = LessonsWorkshop(lessons_frame([]), workspace=tmp_path, period=2026)
    form.rows[0]["lesson"].value = "Joint planning worked"
    form.add_button.click()  # added, its kind drop-down set, nothing typed
    form.add_button.click()
    form.rows[2]["kind"].value = "change"
    form.rows[2]["lesson"].value = "Call before the season"
    assert form.save() is not None, form.status.value
    assert load_lessons(tmp_path, 2026)["lesson"].tolist() == [
        "Joint planning worked",
        "Call before the season",
    ]


def test_a_blank_row_keeps_the_numbers_of_the_rows_after_it(tmp_path):
    form = LessonsWorkshop(lessons_frame([]), workspace=tmp_path, period=2026)
    form.add_button.click()
    form.rows[1]["owner"].value = "Emma"  # row 1 blank, row 2 an owner but no lesson
    assert form.save() is None
    assert "entry 2, field &#x27;lesson&#x27;" in form.status.value


def test_without_a_workspace_nothing_is_saved():
    form = LessonsWorkshop(pd.DataFrame(columns=["kind", "lesson"]), workspace=None, period=2026)
    assert form.save_button.disabled
    assert form.save() is None
    assert form.widget().children
