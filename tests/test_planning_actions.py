"""Planning stage: actions, contact cadence, team load, SWOT and settings."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kamtools.stages.planning.actions import action_problems, propose_actions
from kamtools.stages.planning.contacts import account_managers, contact_plan
from kamtools.stages.planning.load import load_summary, team_load
from kamtools.stages.planning.settings import PlanningSettings, PlanningSettingsError
from kamtools.stages.planning.swot import swot_table

PERIOD = (pd.Timestamp("2026-04-01"), pd.Timestamp("2027-03-31"))
ACCOUNTS = pd.DataFrame(
    {
        "customer_id": ["A", "B"],
        "tier": ["key", "growth"],
        "account_manager": ["Ann", ""],
        "counterpart": ["Ola", ""],
    }
)


def test_actions_from_needs_support_by_priority_with_owner_and_dates():
    support = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B", "Z"],
            "name": ["a"] * 4 + ["b", "z"],
            "offering": [
                "logistics support",
                "sales training",
                "credit terms",
                "joint marketing",
                "sales training",
                "x",
            ],
            "indicator": ["logistics", "marketing", "financial_strength", "marketing", "people", "x"],
            "reason": ["r"] * 6,
            "priority": [2, 1, 3, 4, 1, 1],
        }
    )
    team = pd.DataFrame(
        {"customer_id": ["A"], "function": ["logistics"], "member": ["Lou"], "role": ["coordinator"]}
    )
    scorecard = pd.DataFrame(
        {"customer_id": ["A"], "indicator": ["marketing"], "score": [2.0], "portfolio_average": [3.4]}
    )
    before = support.copy()
    out = propose_actions(support, accounts=ACCOUNTS, period=PERIOD, needs_team=team, scorecard=scorecard)
    assert out["action_id"].tolist() == ["A-A01", "A-A02", "A-A03", "B-A01"]
    assert out["support"].tolist() == [
        "sales training",
        "logistics support",
        "credit terms",
        "sales training",
    ]
    assert out["owner"].tolist() == ["Ann", "Lou", "Ann", ""]  # B has no account manager: unassigned
    assert out["start"].tolist() == [date(2026, 4, 1), date(2026, 6, 1), date(2026, 8, 1), date(2026, 4, 1)]
    assert out["due"].tolist() == [
        date(2026, 6, 30),
        date(2026, 8, 31),
        date(2026, 10, 31),
        date(2026, 6, 30),
    ]
    assert out["counterpart"].iloc[1] == "Warehouse manager"
    assert (
        out["expected_effect"].iloc[0]
        == "Raise marketing approach from 2.0 to the key-account average of 3.4"
    )
    assert set(out["status"]) == {"planned"}
    pd.testing.assert_frame_equal(support, before)


def test_actions_never_end_after_the_plan_period():
    support = pd.DataFrame(
        {
            "customer_id": ["A"] * 3,
            "offering": ["a", "b", "c"],
            "indicator": ["", "", ""],
            "reason": "",
            "priority": [1, 2, 3],
        }
    )
    settings = PlanningSettings(action_stagger_months=5, action_months=4)
    out = propose_actions(support, accounts=ACCOUNTS, period=PERIOD, settings=settings)
    assert out["due"].max() == date(2027, 3, 31)
    assert (out["due"] >= out["start"]).all()


def test_action_problems_name_each_field():
    action = {"action_id": "A-1", "title": "", "status": "late", "start": "2026-05-01", "due": "2026-04-01"}
    problems = dict(action_problems(action, period=(date(2026, 4, 1), date(2027, 3, 31))))
    assert set(problems) == {"title", "status", "due"}
    assert "before the start" in problems["due"]
    outside = action_problems(
        {**action, "title": "t", "status": "done", "due": "2027-06-01"},
        period=(date(2026, 4, 1), date(2027, 3, 31)),
    )
    assert outside == [("due", "2027-06-01 is outside the plan period 2026-04-01 to 2027-03-31")]
    assert ("start", "must be a date as YYYY-MM-DD, got '1.5.2026'") in action_problems(
        {**action, "start": "1.5.2026"}
    )


def test_contact_cadence_by_tier():
    out = contact_plan(ACCOUNTS)
    assert out.loc[out["customer_id"] == "A", "per_quarter"].tolist() == [3, 6, 1]
    assert out.loc[out["customer_id"] == "B", "per_quarter"].tolist() == [2, 3, 1]
    assert out["contact_type"].tolist()[:3] == ["visit", "call", "review"]
    custom = contact_plan(
        ACCOUNTS, settings=PlanningSettings.from_mapping({"cadence": {"key": {"visit": 1}}})
    )
    assert custom.loc[custom["customer_id"] == "A", "per_quarter"].tolist() == [1, 6, 1]


def test_account_managers_from_the_team_table():
    team = pd.DataFrame(
        {
            "member": ["Hed", "Ann", "Bob"],
            "role": ["head of sales", "account manager", "Account Manager"],
            "accounts": ["A; B", "A", "A; B"],
        }
    )
    assert account_managers(team, customer_ids=["A", "B", "C"]) == {"A": "Ann", "B": "Bob", "C": ""}


def _actions(rows):
    return pd.DataFrame(rows, columns=["customer_id", "owner", "start", "due", "status"])


def test_team_load_counts_accounts_actions_and_contacts_per_month_and_flags_overload():
    actions = _actions(
        [
            ("A", "Ann", "2026-04-01", "2026-05-31", "planned"),
            ("B", "Ann", "2026-05-15", "2026-06-30", "in progress"),
            ("C", "Ann", "2026-05-01", "2026-05-02", "planned"),
            ("D", "Ann", "2026-05-01", "2026-12-31", "dropped"),  # dropped: no load
            ("A", "Lou", "2026-06-01", "2026-06-30", "planned"),
        ]
    )
    contacts = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A"],
            "contact_type": ["visit", "call", "review"],
            "per_quarter": [3, 6, 1],
            "account_manager": ["Ann"] * 3,
            "counterpart": [""] * 3,
        }
    )
    settings = PlanningSettings(max_accounts_per_member=2, max_actions_per_member_month=2)
    before = actions.copy()
    load = team_load(actions, contacts, period=PERIOD, settings=settings)
    ann = load.loc[load["member"] == "Ann"].set_index("month")
    assert ann.loc["2026-04", ["accounts", "actions"]].tolist() == [1, 1]
    assert ann.loc["2026-05", ["accounts", "actions"]].tolist() == [3, 3]  # A, B, C all running in May
    assert ann.loc["2026-06", ["accounts", "actions"]].tolist() == [2, 1]
    assert ann.loc["2026-07", ["accounts", "actions"]].tolist() == [1, 0]  # still manages A
    assert ann["contacts"].iloc[0] == pytest.approx(10 / 3, abs=0.05)
    assert ann.loc["2026-05", "overloaded"]
    assert ann.loc["2026-05", "reason"] == "3 accounts (ceiling 2); 3 actions at once (ceiling 2)"
    assert not ann.loc["2026-06", "overloaded"]
    lou = load.loc[load["member"] == "Lou"].set_index("month")
    assert lou.loc["2026-06", ["accounts", "actions", "contacts"]].tolist() == [1, 1, 0.0]
    assert len(load) == 24  # two members x twelve months
    pd.testing.assert_frame_equal(actions, before)
    summary = load_summary(load)
    assert summary.iloc[0][
        ["member", "peak_accounts", "peak_actions", "months_overloaded", "first_overloaded"]
    ].tolist() == ["Ann", 3, 3, 1, "2026-05"]


def test_swot_from_scorecard_and_market():
    scorecard = pd.DataFrame(
        {
            "customer_id": ["A"] * 4,
            "family": ["strength", "capability", "capability", "hard"],
            "indicator": ["network", "management", "marketing", "margin"],
            "score": [4.5, 3.0, 2.0, 0.1],
            "portfolio_average": [3.0, 3.1, 3.2, 0.2],
            "best_quartile": [4.0, 4.0, 4.0, 0.3],
        }
    )
    wallets = pd.DataFrame({"customer_id": ["A"], "share_of_wallet": [0.25], "headroom": [3000.0]})
    baseline = pd.DataFrame(
        {"customer_id": ["A"], "sales": [900.0], "previous_sales": [1000.0], "growth": [-0.1]}
    )
    competitors = pd.DataFrame(
        {"customer_id": ["A"], "competitor": ["Apex"], "stated_share": [0.4], "accounts_naming": [1]}
    )
    out = swot_table(
        customer_ids=["A"],
        scorecard=scorecard,
        wallets=wallets,
        baseline=baseline,
        competitors=competitors,
        money=lambda x: f"€{x:,.0f}",
    )
    by = out.groupby("quadrant")["item"].apply(list).to_dict()
    assert by["strength"] == ["Strong network (outlets, coverage): 4.5 of 5 (key-account average 3.0)"]
    assert by["weakness"] == [
        "Gross margin below the key-account average",
        "Weak marketing approach: 2.0 of 5 (key-account average 3.2)",
    ]
    assert by["opportunity"] == [
        "€3,000 of its purchases in our categories still go to other suppliers (we hold 25% of its wallet)"
    ]
    assert by["threat"] == [
        "It bought 10% less than the year before (€100 less)",
        "Apex supplies it too, about 40% of its purchases (named by 1 of 1 accounts)",
    ]


def test_settings_name_unknown_keys_and_bad_values():
    with pytest.raises(PlanningSettingsError, match=r"unknown planning setting\(s\) 'stage_month'"):
        PlanningSettings.from_mapping({"stage_month": 3})
    with pytest.raises(PlanningSettingsError, match="'stage_months' must be one of"):
        PlanningSettings.from_mapping({"stage_months": 5})
    with pytest.raises(PlanningSettingsError, match="unknown contact type"):
        PlanningSettings.from_mapping({"cadence": {"key": {"meeting": 1}}})
    with pytest.raises(PlanningSettingsError, match="'plan_headroom_capture' must be from 0 to 1"):
        PlanningSettings.from_mapping({"plan_headroom_capture": 1.5})
    settings = PlanningSettings.from_mapping(
        {"cadence": {"key": {"visit": 1}}, "offering_functions": {"X": "finance"}}
    )
    assert settings.cadence["key"] == {"visit": 1, "call": 6, "review": 1}
    assert settings.cadence["growth"] == {"visit": 2, "call": 3, "review": 1}
    assert settings.offering_functions["x"] == "finance"
    assert settings.offering_functions["sales training"] == "sales"
    assert PlanningSettings.from_mapping(settings.to_mapping()) == settings


def test_swot_reads_lower_is_better_indicators_the_right_way_round():
    # Cost to serve: the best quartile (0.02) lies below the average (0.05); A's 0.09 is a weakness.
    scorecard = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "family": ["hard", "hard"],
            "indicator": ["cost_to_serve_share", "cost_to_serve_share"],
            "score": [0.09, 0.01],
            "portfolio_average": [0.05, 0.05],
            "best_quartile": [0.02, 0.02],
        }
    )
    out = swot_table(customer_ids=["A", "B"], scorecard=scorecard)
    assert out[["customer_id", "quadrant"]].values.tolist() == [["A", "weakness"], ["B", "strength"]]
    assert out["item"].iloc[0] == "Cost to serve (share of sales) higher than the key-account average"


def test_action_owner_follows_the_function_needs_names():
    support = pd.DataFrame(
        {
            "customer_id": ["A"],
            "offering": ["Joint marketing"],
            "indicator": ["marketing"],
            "reason": ["r"],
            "priority": [1],
            "function": ["marketing"],
        }
    )
    team = pd.DataFrame(
        {"customer_id": ["A"], "function": ["marketing"], "member": ["Mia; Max"], "role": ["x; y"]}
    )
    out = propose_actions(support, accounts=ACCOUNTS, period=PERIOD, needs_team=team)
    assert out[["owner", "counterpart", "title"]].values.tolist() == [
        ["Mia", "Marketing manager", "Joint marketing"]
    ]


def test_actions_are_levelled_so_an_owner_runs_no_more_than_the_ceiling_at_once():
    ids = [f"C{i}" for i in range(9)]
    accounts = pd.DataFrame({"customer_id": ids, "account_manager": "Ann", "counterpart": ""})
    support = pd.DataFrame(
        {"customer_id": ids, "offering": "Sales training", "indicator": "", "reason": "", "priority": 1}
    )
    settings = PlanningSettings(max_actions_per_member_month=2, action_months=3)
    out = propose_actions(support, accounts=accounts, period=PERIOD, settings=settings)
    starts = [d.isoformat() for d in out["start"]]
    # Two at a time, quarter after quarter; the ninth fits nowhere and keeps its date (flagged by the load).
    assert starts == ["2026-04-01"] * 2 + ["2026-07-01"] * 2 + ["2026-10-01"] * 2 + ["2027-01-01"] * 2 + [
        "2026-04-01"
    ]
    assert out["due"].iloc[2] == date(2026, 9, 30)
    load = team_load(out, contact_plan(accounts.assign(tier="key")), period=PERIOD, settings=settings)
    assert load.loc[load["overloaded"], "month"].tolist() == ["2026-04", "2026-05", "2026-06"]


def test_expected_effect_reads_shares_as_percentages_and_cost_the_right_way_round():
    support = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "offering": ["Sales training", "Logistics support"],
            "indicator": ["margin", "cost_to_serve_share"],
            "reason": ["r", "r"],
            "priority": [1, 2],
        }
    )
    scorecard = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "indicator": ["margin", "cost_to_serve_share"],
            "unit": ["share", "share"],
            "score": [0.12, 0.09],
            "portfolio_average": [0.2, 0.05],
            "best_quartile": [0.25, 0.03],
        }
    )
    out = propose_actions(support, accounts=ACCOUNTS, period=PERIOD, scorecard=scorecard)
    assert out["expected_effect"].tolist() == [
        "Raise gross margin from 12% to the key-account average of 20%",
        "Bring down cost to serve (share of sales) from 9% to the key-account average of 5%",
    ]


def test_the_largest_category_gap_becomes_a_range_action_after_the_support_actions():
    from kamtools.stages.planning.actions import propose_gap_actions

    gaps = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "segment": ["Retail"] * 3,
            "category": ["Paint", "Garden", "Paint"],
            "gap": ["white space", "under-bought", "white space"],
            "opportunity": [2000.0, 500.0, 300.0],
        }
    )
    existing = pd.DataFrame({"customer_id": ["A"], "action_id": ["A-A01"]})
    out = propose_gap_actions(
        gaps, accounts=ACCOUNTS, period=PERIOD, existing=existing, money=lambda x: f"€{x:,.0f}"
    )
    assert out[["action_id", "title", "owner"]].values.tolist() == [
        ["A-A02", "Introduce the Paint range", "Ann"],
        ["B-A01", "Introduce the Paint range", ""],
    ]
    assert out["expected_effect"].iloc[0] == "Buy Paint like its Retail peers: about €2,000 a year more"
    assert out["start"].iloc[0] == date(2026, 5, 1)
    full = pd.DataFrame({"customer_id": ["A"] * 3, "action_id": ["A-A01", "A-A02", "A-A03"]})
    assert propose_gap_actions(gaps, accounts=ACCOUNTS, period=PERIOD, existing=full)[
        "customer_id"
    ].tolist() == ["B"]
