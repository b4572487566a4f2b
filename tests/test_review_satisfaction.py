"""Satisfaction metrics on literal answers, given as label text and as 1-5 codes."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.stages.review import satisfaction as sat

LABELS = [
    "highly satisfied",
    "generally satisfied",
    "no opinion",
    "somewhat dissatisfied",
    "extremely dissatisfied",
]


def survey(answers, *, date="2025-10-15", dimension="delivery", customers=None):
    customers = customers or [f"C{i}" for i in range(len(answers))]
    return pd.DataFrame(
        {"customer_id": customers, "date": pd.Timestamp(date), "dimension": dimension, "answer": answers}
    )


def test_labels_and_codes_read_the_same():
    as_text = survey(
        [
            "Highly satisfied ",
            "generally satisfied",
            "no opinion",
            "somewhat dissatisfied",
            "extremely dissatisfied",
        ]
    )
    as_codes = survey([5, 4, 3, 2, 1])
    as_code_text = survey(["5", "4", "3", "2", "1"])
    frames = [sat.survey_answers(f, start_month=4) for f in (as_text, as_codes, as_code_text)]
    for frame in frames:
        assert frame["code"].tolist() == [5, 4, 3, 2, 1]
        assert frame["label"].tolist() == LABELS
        assert frame["wave"].unique().tolist() == [2026]  # October 2025 is in fiscal 2026 (April start)


def test_an_answer_outside_the_scale_is_named():
    with pytest.raises(ValueError, match="'very happy'"):
        sat.survey_answers(survey(["very happy", 4]), start_month=4)
    with pytest.raises(ValueError, match="'6'"):
        sat.survey_answers(survey([6, 4]), start_month=4)


def test_net_satisfaction_by_hand():
    # 3 satisfied, 1 neutral, 1 dissatisfied of 5: 60 % - 20 % = +40 points.
    assert sat.net_satisfaction([5, 4, 4, 3, 1]) == pytest.approx(0.4)
    assert sat.net_satisfaction([1, 2]) == pytest.approx(-1.0)
    assert pd.isna(sat.net_satisfaction([]))


def test_distribution_counts_shares_and_caution():
    answers = sat.survey_answers(
        pd.concat(
            [
                survey(
                    ["highly satisfied"] * 6
                    + ["generally satisfied"] * 8
                    + ["no opinion"] * 2
                    + [2] * 3
                    + [1]
                ),
                survey([5, 4, 2], dimension="price"),
            ]
        ),
        start_month=4,
    )
    dist = sat.satisfaction_distribution(answers, by="dimension", min_answers=20).set_index("dimension")
    delivery, price = dist.loc["delivery"], dist.loc["price"]
    assert delivery["answers"] == 20
    assert delivery["highly satisfied"] == 6 and delivery["extremely dissatisfied"] == 1
    assert delivery["share_generally satisfied"] == pytest.approx(0.4)
    assert delivery["net_satisfaction"] == pytest.approx((14 - 4) / 20)
    assert delivery["mean_score"] == pytest.approx((6 * 5 + 8 * 4 + 2 * 3 + 3 * 2 + 1) / 20)
    assert delivery["caution"] == ""
    # Three answers: counts and a caution, no percentage.
    assert price["answers"] == 3 and price["highly satisfied"] == 1
    assert pd.isna(price["net_satisfaction"]) and pd.isna(price["share_highly satisfied"])
    assert "only 3 answers" in price["caution"]


def test_change_since_the_previous_survey():
    before = survey([4] * 10 + [2] * 10, date="2024-10-10")  # net 0
    after = survey([5] * 15 + [3] * 5, date="2025-10-10")  # net +75 points
    answers = sat.survey_answers(pd.concat([before, after]), start_month=4)
    change = sat.satisfaction_change(answers, previous_wave=2025, current_wave=2026, min_answers=20).iloc[0]
    assert change["net_before"] == pytest.approx(0.0)
    assert change["net_now"] == pytest.approx(0.75)
    assert change["net_change"] == pytest.approx(0.75)
    assert change["mean_change"] == pytest.approx(4.5 - 3.0)
    few = sat.satisfaction_change(answers, previous_wave=2025, current_wave=2026, min_answers=21).iloc[0]
    assert pd.isna(few["net_change"]) and "only 20 answers" in few["caution"]
    assert few["mean_change"] == pytest.approx(1.5)


def test_drivers_rank_the_question_that_moves_with_the_rest():
    rows = []
    for i in range(30):
        mood = 1 + i % 5  # 1..5
        rows += [
            (f"C{i}", "delivery", mood),  # moves with overall
            (f"C{i}", "service", mood),
            (f"C{i}", "product_quality", mood if i % 3 else 6 - mood),
            (f"C{i}", "price", 1 + (i * 7) % 5),  # unrelated
        ]
    frame = pd.DataFrame(rows, columns=["customer_id", "dimension", "answer"]).assign(
        date=pd.Timestamp("2025-10-01")
    )
    drivers = sat.satisfaction_drivers(sat.survey_answers(frame, start_month=4), min_answers=20)
    assert drivers["dimension"].iloc[0] in {"delivery", "service"}
    assert drivers.set_index("dimension").loc["delivery", "correlation"] > 0.7
    assert abs(drivers.set_index("dimension").loc["price", "correlation"]) < 0.5
    few = sat.satisfaction_drivers(sat.survey_answers(frame, start_month=4), min_answers=50)
    assert few["correlation"].isna().all() and few["caution"].str.contains("only 30").all()


def test_drivers_with_an_overall_question():
    frame = pd.DataFrame(
        [
            (f"C{i}", d, v)
            for i in range(25)
            for d, v in (("overall", 1 + i % 5), ("delivery", 1 + i % 5), ("price", 5 - i % 5))
        ],
        columns=["customer_id", "dimension", "answer"],
    ).assign(date=pd.Timestamp("2025-10-01"))
    drivers = sat.satisfaction_drivers(
        sat.survey_answers(frame, start_month=4), overall_dimension="overall", min_answers=20
    ).set_index("dimension")
    assert "overall" not in drivers.index
    assert drivers.loc["delivery", "correlation"] == pytest.approx(1.0)
    assert drivers.loc["price", "correlation"] == pytest.approx(-1.0)


def test_inputs_are_not_changed():
    frame = survey(["highly satisfied", 3, "2"])
    copy = frame.copy()
    answers = sat.survey_answers(frame, start_month=4)
    answers_copy = answers.copy()
    sat.satisfaction_distribution(answers, by="customer_id", min_answers=1)
    sat.satisfaction_drivers(answers)
    pd.testing.assert_frame_equal(frame, copy)
    pd.testing.assert_frame_equal(answers, answers_copy)
