"""Support proposals, account priority, the service team and the needs settings."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.stages.needs import indicators as ind
from kamtools.stages.needs import support, team
from kamtools.stages.needs.settings import NeedsSettings, NeedsSettingsError

ACCOUNTS = pd.DataFrame(
    {"customer_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"], "rank": [1, 2, 3]}
)
SETTINGS = NeedsSettings(
    indicators={"logistics": "strength", "people": "strength", "marketing": "capability"}
)


def scores(rows):
    return ind.latest_scores(
        pd.DataFrame(rows, columns=["customer_id", "indicator", "score", "assessor", "note"])
    )


# A is weak on logistics (1, noted) and marketing (2); B is strong everywhere; C unassessed.
SCORES = scores(
    [
        ("A", "logistics", 1, "Ann", "Orders daily in small lots"),
        ("A", "people", 4, "Ann", ""),
        ("A", "marketing", 2, "Ann", ""),
        ("B", "logistics", 5, "Ann", ""),
        ("B", "people", 4, "Ann", ""),
        ("B", "marketing", 5, "Ann", ""),
    ]
)
CARD = ind.scorecard(ACCOUNTS, SCORES, settings=SETTINGS)


def test_weakest_indicators_map_to_offerings_each_with_why():
    proposals = support.propose_support(CARD, settings=SETTINGS)
    assert list(proposals.columns) == support.SUPPORT_COLUMNS
    # Logistics (1) and marketing (2) are at or below the weak score of 2; people is level.
    assert proposals[["customer_id", "offering", "indicator", "priority", "function"]].values.tolist() == [
        ["A", "Logistics support", "logistics", 1, "logistics"],
        ["A", "Store image and display", "marketing", 2, "marketing"],
    ]
    assert proposals.loc[0, "reason"] == (
        "Logistics capability 1.0 of 5 (key-account average 3.0, best quarter 4.0)."
        " Noted: Ann: Orders daily in small lots"
    )


def test_catalogue_from_client_yml_replaces_defaults_and_caps_the_proposals():
    settings = NeedsSettings.from_mapping(
        {
            "indicators": {"logistics": "strength", "people": "strength", "marketing": "capability"},
            "max_proposals": 1,
            "support_catalogue": {
                "logistics_support": None,
                "depot_service": {
                    "title": "Depot service",
                    "addresses": ["logistics"],
                    "function": "logistics",
                },
            },
        }
    )
    proposals = support.propose_support(CARD, settings=settings)
    assert proposals[["offering", "indicator"]].values.tolist() == [["Depot service", "logistics"]]


def test_an_indicator_no_offering_addresses_is_skipped():
    settings = NeedsSettings(
        indicators=SETTINGS.indicators,
        support_catalogue={
            "staff": {"title": "Staff", "addresses": ("people",), "function": "service", "description": ""}
        },
    )
    assert support.propose_support(CARD, settings=settings).empty


def test_account_priority_puts_urgent_accounts_first_then_rank():
    profit = pd.DataFrame({"customer_id": ["A", "B", "C"], "negative_contribution": [False, True, True]})
    reorder = pd.DataFrame({"customer_id": ["C"], "overdue": [True]})
    order = support.account_priority(ACCOUNTS, profit=profit, reorder=reorder)
    assert order.values.tolist() == [["C", 1, 2], ["B", 2, 1], ["A", 3, 0]]


TEAM = pd.DataFrame(
    {
        "member": ["Ann", "Carl", "Dora", "Eve", "Finn"],
        "role": [
            "account manager",
            "head of sales",
            "logistics coordinator",
            "credit controller",
            "account manager",
        ],
        "function": ["Sales", "Sales", "Logistics", "Credit control", "Sales"],
        "accounts": ["A; B", "A", "B", "", "C, X, Y"],
    }
)


def test_service_team_serves_proposes_or_says_nobody():
    assignments = team.team_assignments(TEAM)
    assert assignments[assignments["member"] == "Eve"][["function", "customer_id"]].values.tolist() == [
        ["finance", ""]
    ]
    proposals = support.propose_support(CARD, settings=SETTINGS).assign(
        function=["logistics", "finance"]
    )  # A needs logistics and finance
    crew = team.service_team(ACCOUNTS, assignments, support=proposals)
    assert crew.values.tolist() == [
        ["A", "sales", "Ann; Carl", "account manager; head of sales", "serves the account"],
        ["A", "logistics", "Dora", "logistics coordinator", "proposed"],
        ["A", "finance", "Eve", "credit controller", "proposed"],
        ["B", "sales", "Ann", "account manager", "serves the account"],
        ["B", "logistics", "Dora", "logistics coordinator", "serves the account"],
        ["C", "sales", "Finn", "account manager", "serves the account"],
    ]
    no_marketing = team.service_team(
        ACCOUNTS.head(1), assignments, support=pd.DataFrame({"customer_id": ["A"], "function": ["marketing"]})
    )
    assert no_marketing.values.tolist()[-1] == ["A", "marketing", "", "", "nobody in the team"]


def test_account_manager_load_against_the_ceiling():
    load = team.manager_load(team.team_assignments(TEAM), ACCOUNTS["customer_id"], ceiling=1)
    assert load.values.tolist() == [["Ann", 2, 2, 1, True], ["Finn", 1, 3, 1, False]]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"manager_loads": 9}, "unknown needs setting.*'manager_loads'"),
        ({"manager_load": 0}, "'manager_load' must be a whole number, at least 1"),
        ({"reorder_risk_multiple": 1}, "'reorder_risk_multiple' must be above 1"),
        ({"indicators": {"grit": "hard"}}, "'strength' or 'capability'"),
        ({"cost_driver_rates": {"pallets": 3}}, "unknown cost driver"),
        ({"days_late_bands": [30, 2, 7, 15]}, "four rising numbers"),
        ({"support_catalogue": {"x": {"title": "X"}}}, "needs 'addresses'"),
        ({"support_catalogue": {"x": {"addresses": ["people"], "function": "legal"}}}, "function must be"),
        ({"support_catalogue": {"x": {"addresses": ["people"], "price": 3}}}, "unknown key"),
    ],
    ids=["unknown-key", "load-zero", "multiple-one", "bad-family", "bad-driver", "bands", "no-addresses",
         "bad-function", "catalogue-key"],
)  # fmt: skip
def test_bad_settings_are_named(mapping, message):
    with pytest.raises(NeedsSettingsError, match=message):
        NeedsSettings.from_mapping(mapping)


def test_settings_round_trip_and_defaults():
    settings = NeedsSettings.from_mapping({"manager_load": 7, "cost_driver_rates": {"orders": 18}})
    assert settings.manager_load == 7 and dict(settings.cost_driver_rates) == {"orders": 18.0}
    assert NeedsSettings.from_mapping(settings.to_mapping()) == settings
    assert NeedsSettings().manager_load == 9 and len(NeedsSettings().support_catalogue) == 8
    assert NeedsSettings.from_mapping(None) == NeedsSettings()
