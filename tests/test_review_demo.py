"""The demo dealer's stage-4 inputs: a plan for 2026, its tracker and the lost-customer reasons."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from kamtools.contract import DEFECTION_REASONS
from kamtools.demo import generate_demo_plan, generate_demo_tables
from kamtools.stages.planning.planfile import plan_from_mapping
from kamtools.stages.review.attainment import ACTION_STATUSES
from kamtools.stages.review.inputs import plan_frames

# Fingerprints of the tables that existed before the review's inputs were added: adding them
# must not move a single value (screening results stay where they were).
UNCHANGED = {
    "customers": "0b091a20e8e311d6",
    "sales": "653c4de1e5924885",
    "receivables": "befeaa9e583415b7",
    "cost_to_serve": "1f8adcedac859ec7",
    "assessments": "38658b54a10b9740",
    "surveys": "b43d1934180ab62b",
    "market": "4c4d24889c5c1506",
    "team": "230aa0fe1ce8a72d",
}


@pytest.fixture(scope="module")
def tables():
    return generate_demo_tables()


@pytest.fixture(scope="module")
def plan(tables):
    return generate_demo_plan(tables)


def fingerprint(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("name", list(UNCHANGED))
def test_existing_tables_are_byte_identical(tables, name):
    assert fingerprint(tables[name]) == UNCHANGED[name]


def test_lost_customers_have_known_reasons_and_really_left(tables):
    lost = tables["lost_customers"]
    assert len(lost) >= 15 and lost["customer_id"].is_unique
    assert set(lost["reason"]) <= set(DEFECTION_REASONS) and lost["reason"].nunique() >= 4
    sales = tables["sales"]
    fy2026 = sales[sales["invoice_date"] >= "2025-04-01"].groupby("customer_id")["net_sales"].sum()
    fy2025 = (
        sales[sales["invoice_date"].between("2024-04-01", "2025-03-31")]
        .groupby("customer_id")["net_sales"]
        .sum()
    )
    ratio = fy2026.reindex(lost["customer_id"]).fillna(0) / fy2025.reindex(lost["customer_id"])
    assert (ratio < 0.6).all()


def test_plan_document_follows_the_plan_schema(plan):
    document = plan.document
    assert document["schema"] == "kamtools-plan/1" and document["period"] == 2026
    assert [s["stage"] for s in document["stages"]] == ["Q1", "Q2", "Q3", "Q4"]
    tiers = [a["tier"] for a in document["accounts"]]
    assert tiers.count("key") == 30 and tiers.count("growth") == 6
    for account in document["accounts"]:
        for metric in ("sales", "gross_profit"):
            goal = account["goals"][metric]
            assert goal["stretch"] >= goal["plan"]
            for value in ("baseline", "plan", "stretch"):
                stages = sum(goal["stages"][q][value] for q in ("Q1", "Q2", "Q3", "Q4"))
                assert round(stages * 100) == round(goal[value] * 100), (
                    account["customer_id"],
                    metric,
                    value,
                )
        assert sum(account["seasonal_profile"].values()) == pytest.approx(1.0)


def test_tracker_matches_the_plan(plan):
    frames = plan_frames(plan_from_mapping(plan.document, file="demo plan"))
    assert set(plan.tracker_actions["action_id"]) == set(frames.actions["action_id"])
    assert set(plan.tracker_actions["status"].str.lower()) <= set(ACTION_STATUSES)
    contacts = plan.tracker_contacts
    assert set(contacts["contact_type"]) <= {"visit", "call", "review"}
    assert contacts["date"].between("2025-04-01", "2026-03-31").all()
    assert set(contacts["customer_id"]) <= set(frames.accounts["customer_id"])
    assert len(frames.goals) == 36 * 4 * 3


def test_plan_is_deterministic(tables, plan):
    again = generate_demo_plan(tables)
    assert again.document == plan.document
    pd.testing.assert_frame_equal(again.tracker_actions, plan.tracker_actions)
    pd.testing.assert_frame_equal(again.tracker_contacts, plan.tracker_contacts)
