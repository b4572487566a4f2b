"""Planning stage: the plan file (round trip, history, hand-edit errors) and the tracker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kamtools.io import InputFileError, read_workbook
from kamtools.stages.planning.build import PlanContext, analyse_accounts, plan_load, propose_plan
from kamtools.stages.planning.planfile import (
    PlanFileError,
    plan_path,
    plan_tables,
    plan_to_mapping,
    read_plan,
    save_plan,
)
from kamtools.stages.planning.tracker import TrackerError, read_tracker, tracker_path, write_tracker

CONTEXT = PlanContext(client="Tiny Trade", currency="EUR", start_month=4, period=2027, baseline_period=2026)


def _tables() -> dict[str, pd.DataFrame]:
    months = pd.date_range("2024-04-01", "2026-03-01", freq="MS")
    rows = []
    for i, day in enumerate(months):
        rows.append((day, "A", 1000.0 + 100 * (i % 12 < 3), 800.0, "tools"))
        rows.append((day, "B", 500.0, 450.0, "tools" if i % 2 else "paint"))
        rows.append((day, "C", 50.0, 30.0, "tools"))
    sales = pd.DataFrame(rows, columns=["invoice_date", "customer_id", "net_sales", "cost", "category"])
    return {
        "sales": sales,
        "customers": pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["Retail"] * 3}),
        "market": pd.DataFrame(
            {
                "customer_id": ["A", "B"],
                "wallet": [40000.0, 9000.0],
                "main_competitors": ["Apex (30%); Bauwelt", "Apex"],
            }
        ),
        "team": pd.DataFrame(
            {
                "member": ["Ann", "Lou"],
                "role": ["account manager", "logistics"],
                "function": ["Sales", "Logistics"],
                "accounts": ["A; B", "A"],
            }
        ),
        "key_accounts": pd.DataFrame(
            {
                "customer_id": ["A", "B"],
                "name": ["Alpha & Co", "Beta: Bau"],
                "tier": ["key", "growth"],
                "rank": [1, 2],
                "account_manager": ["", ""],
            }
        ),
        "needs_support": pd.DataFrame(
            {
                "customer_id": ["A", "A", "B"],
                "name": ["Alpha & Co"] * 2 + ["Beta: Bau"],
                "offering": ["sales training", "logistics support", "credit terms"],
                "indicator": ["marketing", "logistics", "financial_strength"],
                "reason": ["weak"] * 3,
                "priority": [1, 2, 1],
            }
        ),
        "needs_team": pd.DataFrame(
            {
                "customer_id": ["A"],
                "function": ["logistics"],
                "member": ["Lou"],
                "role": ["logistics coordinator"],
            }
        ),
    }


@pytest.fixture
def plan():
    t = _tables()
    analysis = analyse_accounts(
        t["key_accounts"],
        sales=t["sales"],
        context=CONTEXT,
        customers=t["customers"],
        market=t["market"],
        team=t["team"],
    )
    return propose_plan(
        analysis, context=CONTEXT, needs_support=t["needs_support"], needs_team=t["needs_team"]
    )


def test_proposed_plan_from_literal_tables(plan):
    assert [a.customer_id for a in plan.accounts] == ["A", "B"]
    alpha = plan.account("A")
    assert alpha.account_manager == "Ann"
    assert alpha.goals["sales"].year.baseline == pytest.approx(12 * 1000.0 + 300.0)
    assert [a.owner for a in alpha.actions] == ["Ann", "Lou"]
    assert alpha.market["competitors"] == ["Apex", "Bauwelt"]
    assert alpha.seasonal_profile["Q1"] > alpha.seasonal_profile["Q2"]
    goals, actions, contacts = plan_tables(plan)
    assert list(goals.columns) == ["customer_id", "stage", "metric", "baseline", "plan", "stretch"]
    assert list(actions.columns) == [
        "action_id",
        "customer_id",
        "title",
        "support",
        "owner",
        "counterpart",
        "start",
        "due",
        "expected_effect",
        "status",
    ]
    assert list(contacts.columns) == [
        "customer_id",
        "contact_type",
        "per_quarter",
        "account_manager",
        "counterpart",
    ]
    money = goals.loc[goals["metric"] == "sales"].groupby("customer_id")["plan"].sum()
    assert money["A"] == pytest.approx(alpha.goals["sales"].year.plan)
    load = plan_load(plan)
    assert set(load["member"]) == {"Ann", "Lou"}


def test_plan_file_round_trip_is_identical(plan, tmp_path):
    saved, path = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert path == tmp_path / "plans" / "plan_2027.yml"
    assert saved.revision == 1 and saved.saved_at == "2026-12-01T09:00:00+00:00"
    back = read_plan(path)
    assert back == saved
    assert plan_to_mapping(back) == plan_to_mapping(saved)
    for table_back, table_saved in zip(plan_tables(back), plan_tables(saved), strict=True):
        pd.testing.assert_frame_equal(table_back, table_saved)
    for metric in ("sales", "gross_profit"):
        goal = back.account("A").goals[metric]
        cents = sum(round(s.plan * 100) for s in goal.stages.values())
        assert cents == round(goal.year.plan * 100)


def test_every_save_is_versioned_and_an_unchanged_save_writes_nothing(plan, tmp_path):
    first, _ = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    again, _ = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 9, 5, tzinfo=UTC))
    assert again == first
    assert not (tmp_path / "plans" / "history").exists()
    edited = type(plan)(**{**plan.__dict__, "client": "Tiny Trade Ltd"})
    second, _ = save_plan(tmp_path, edited, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    third, _ = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert (second.revision, third.revision) == (2, 3)
    history = sorted(p.name for p in (tmp_path / "plans" / "history").iterdir())
    assert history == ["plan_2027.r1.20261201T100000Z.yml", "plan_2027.r2.20261201T100000Z.yml"]
    assert read_plan(tmp_path / "plans" / "history" / history[1]).client == "Tiny Trade Ltd"


def test_a_save_given_the_plan_on_disk_is_the_save_that_reads_it(plan, tmp_path):
    path = plan_path(tmp_path, 2027)
    first, _ = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC), on_disk=None)
    assert first.revision == 1 and read_plan(path) == first
    again, _ = save_plan(tmp_path, plan, now=datetime(2026, 12, 1, 9, 5, tzinfo=UTC), on_disk=read_plan(path))
    assert again == first and not (tmp_path / "plans" / "history").exists()
    edited = type(plan)(**{**plan.__dict__, "client": "Tiny Trade Ltd"})
    second, _ = save_plan(
        tmp_path, edited, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC), on_disk=read_plan(path)
    )
    assert second.revision == 2 and read_plan(path) == second
    history = sorted(p.name for p in (tmp_path / "plans" / "history").iterdir())
    assert history == ["plan_2027.r1.20261201T100000Z.yml"]


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d["accounts"][0]["goals"]["sales"].update(plan="1.2m"),
            "plan_2027.yml, account A, field goals.sales.plan: must be a number",
            id="goal-text",
        ),
        pytest.param(
            lambda d: d["accounts"][0]["goals"]["sales"].update(
                plan=d["accounts"][0]["goals"]["sales"]["plan"] + 100
            ),
            "plan_2027.yml, account A, field goals.sales.stages: the stages' plan add up to",
            id="stages-do-not-sum",
        ),
        pytest.param(
            lambda d: d["accounts"][1]["goals"]["sales"].update(stretch=0.0),
            "plan_2027.yml, account B, field goals.sales.stretch: the stretch goal 0.0 is below the plan",
            id="stretch-below-plan",
        ),
        pytest.param(
            lambda d: d["accounts"][0]["actions"][0].update(status="late"),
            "plan_2027.yml, account A, field actions[1] (A-A01).status: must be one of planned, in progress",
            id="action-status",
        ),
        pytest.param(
            lambda d: d["accounts"][0]["actions"][1].update(due="31/12/2026"),
            "plan_2027.yml, account A, field actions[2] (A-A02).due: must be a date as YYYY-MM-DD",
            id="action-date",
        ),
        pytest.param(
            lambda d: d["accounts"][1]["contacts"].update(visit=-1),
            "plan_2027.yml, account B, field contacts.visit: must be a whole number",
            id="contacts",
        ),
        pytest.param(
            lambda d: d["accounts"][1]["goals"]["share_of_wallet"].update(plan=45),
            "account B, field goals.share_of_wallet.plan: a share of wallet must be from 0 to 1",
            id="share-as-percent",
        ),
        pytest.param(
            lambda d: d["accounts"][1].update(customer_id="A"),
            "plan_2027.yml, account A, field customer_id: appears more than once",
            id="duplicate-account",
        ),
        pytest.param(
            lambda d: d.update(schema="kamtools-plan/2"), "plan_2027.yml, field schema", id="schema"
        ),
    ],
)
def test_hand_edited_plan_errors_name_file_account_and_field(plan, tmp_path, change, expected):
    _, path = save_plan(tmp_path, plan)
    _edit(path, change)
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    assert expected in str(caught.value), str(caught.value)
    assert all(p.file == "plan_2027.yml" for p in caught.value.problems)


def test_a_hand_edited_goal_without_stages_is_split_again(plan, tmp_path):
    _, path = save_plan(tmp_path, plan)

    def change(d):
        d["accounts"][0]["goals"]["sales"] = {"baseline": 12300.0, "plan": 20000.01, "stretch": 25000.0}

    _edit(path, change)
    goal = read_plan(path).account("A").goals["sales"]
    assert sum(round(s.plan * 100) for s in goal.stages.values()) == 2000001
    assert list(goal.stages) == ["Q1", "Q2", "Q3", "Q4"]


def test_broken_yaml_names_the_file(tmp_path):
    path = plan_path(tmp_path, 2027)
    path.parent.mkdir(parents=True)
    path.write_text("accounts: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"plan_2027\.yml: is not valid YAML"):
        read_plan(path)


def test_tracker_is_written_read_back_and_keeps_client_entries(plan, tmp_path):
    saved, _ = save_plan(tmp_path, plan)
    path = write_tracker(tmp_path, saved, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert path == tracker_path(tmp_path, 2027)
    tracker = read_tracker(path, plan=saved)
    assert tracker.actions["action_id"].tolist() == ["A-A01", "A-A02", "B-A01"]
    assert set(tracker.actions["status"]) == {"planned"}
    assert tracker.contacts.empty
    # The client fills in a status, a date and a contact .
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["actions"]["B2"] = "done"
    book["actions"]["C2"] = datetime(2026, 4, 3)
    book["actions"]["E2"] = "call back in May"
    book["contacts"].append([datetime(2026, 5, 4), "A", "Ann", "visit", "spring order"])
    book.save(path)
    # The plan changes (a new action for B): the tracker is refreshed, the entries stay.
    account_b = saved.accounts[1]
    extra = type(account_b.actions[0])(
        **{**account_b.actions[0].__dict__, "action_id": "B-A02", "title": "Visit"}
    )
    changed = type(saved)(
        **{
            **saved.__dict__,
            "accounts": (
                saved.accounts[0],
                type(account_b)(**{**account_b.__dict__, "actions": (*account_b.actions, extra)}),
            ),
        }
    )
    write_tracker(tmp_path, changed, now=datetime(2026, 12, 2, tzinfo=UTC))
    again = read_tracker(path, plan=changed)
    first = again.actions.iloc[0]
    assert (first["status"], first["actual_start"], first["note"]) == (
        "done",
        pd.Timestamp("2026-04-03"),
        "call back in May",
    )
    assert again.actions["action_id"].tolist() == ["A-A01", "A-A02", "B-A01", "B-A02"]
    assert again.contacts[["customer_id", "member", "contact_type"]].values.tolist() == [
        ["A", "Ann", "visit"]
    ]
    assert again.contacts["date"].iloc[0] == pd.Timestamp("2026-05-04")
    assert len(list((tmp_path / "plans" / "history").glob("tracker_2027.*.xlsx"))) == 1
    write_tracker(tmp_path, changed, now=datetime(2026, 12, 3, tzinfo=UTC))  # unchanged: no new copy
    assert len(list((tmp_path / "plans" / "history").glob("tracker_2027.*.xlsx"))) == 1


def test_tracker_saved_from_excel_with_the_same_cells_is_not_rewritten(plan, tmp_path):
    from openpyxl import load_workbook

    saved, _ = save_plan(tmp_path, plan)
    path = write_tracker(tmp_path, saved, now=datetime(2026, 12, 1, tzinfo=UTC))
    load_workbook(path).save(path)  # the client opened and saved it: other bytes, the same cells
    resaved = path.read_bytes()
    write_tracker(tmp_path, saved, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert path.read_bytes() == resaved
    assert not list((tmp_path / "plans" / "history").glob("tracker_2027.*.xlsx"))
    book = load_workbook(path)
    book["actions"]["E2"] = "call back in May"  # an entry: kept, so the sheets stay the same
    book.save(path)
    resaved = path.read_bytes()
    write_tracker(tmp_path, saved, now=datetime(2026, 12, 3, tzinfo=UTC))
    assert path.read_bytes() == resaved
    assert not list((tmp_path / "plans" / "history").glob("tracker_2027.*.xlsx"))
    book = load_workbook(path)
    book["actions"]["H2"] = "renamed"  # a title repeated from the plan: the plan's title comes back
    book.save(path)
    write_tracker(tmp_path, saved, now=datetime(2026, 12, 4, tzinfo=UTC))
    actions = read_workbook(path)["actions"]
    assert (actions["note"].iloc[0], actions["title"].iloc[0]) == (
        "call back in May",
        saved.accounts[0].actions[0].title,
    )
    assert len(list((tmp_path / "plans" / "history").glob("tracker_2027.*.xlsx"))) == 1


def test_tracker_errors_name_file_sheet_row_and_column(plan, tmp_path):
    saved, _ = save_plan(tmp_path, plan)
    path = write_tracker(tmp_path, saved)
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["actions"]["B3"] = "finished"
    book["actions"]["D3"] = "soon"
    book["contacts"].append(["2026-13-01", "Z", "Ann", "lunch", ""])
    book.save(path)
    with pytest.raises(TrackerError) as caught:
        read_tracker(path, plan=saved)
    text = str(caught.value)
    assert "tracker_2027.xlsx, sheet 'actions', row 3, column 'status': must be one of planned" in text
    assert "tracker_2027.xlsx, sheet 'actions', row 3, column 'actual_done': must be a date" in text
    assert "sheet 'contacts', row 2, column 'date'" in text
    assert "sheet 'contacts', row 2, column 'customer_id': 'Z' is not an account of the plan" in text
    assert "sheet 'contacts', row 2, column 'contact_type'" in text


def test_tracker_without_its_sheets(tmp_path):
    from kamtools.io import write_bytes_atomic

    bad = tmp_path / "tracker.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Sheet1"
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes_atomic(bad, buffer.getvalue())
    with pytest.raises(TrackerError, match=r"tracker\.xlsx, sheet 'actions': sheet is missing"):
        read_tracker(bad)


def test_plan_dates_are_dates(plan):
    assert all(isinstance(a.start, date) for acc in plan.accounts for a in acc.actions)


def test_tracker_text_that_looks_like_a_formula_stays_text(plan, tmp_path):
    account = plan.accounts[0]
    named = type(plan)(
        **{**plan.__dict__, "accounts": (type(account)(**{**account.__dict__, "name": "=HYPERLINK(1)"}),)}
    )
    path = write_tracker(tmp_path, named)
    from openpyxl import load_workbook

    cell = load_workbook(path)["actions"]["G2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")


def test_validation_names_the_hand_edited_plan_file_account_and_field(plan, tmp_path):
    from kamtools.stages.planning.checks import planning_problems

    assert planning_problems(tmp_path, section=None, current_period=2026) == []
    _, path = save_plan(tmp_path, plan)
    write_tracker(tmp_path, read_plan(path))
    assert planning_problems(tmp_path, section=None, current_period=2026) == []
    _edit(path, lambda d: d["accounts"][0]["goals"]["sales"].update(stretch="lots"))
    [problem] = planning_problems(tmp_path, section=None, current_period=2026)
    assert str(problem).startswith("plan_2027.yml: account A, field goals.sales.stretch: must be a number")
    [setting] = planning_problems(tmp_path, section={"stage_month": 3}, current_period=2026)
    assert "client.yml" in str(setting) and "'stage_month'" in str(setting)
