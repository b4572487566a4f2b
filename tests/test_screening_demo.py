"""The screening method on the demo dealer, read as its managing director would check it."""

from __future__ import annotations

import pytest

from kamtools.analytics import is_buying
from kamtools.stages import screening as sc
from kamtools.workspace import open_client


@pytest.fixture(scope="module")
def demo_result(demo_workspace) -> sc.ScreeningResult:
    client = open_client(demo_workspace)
    config = client.config
    return sc.screen_client(
        client.tables,
        start_month=config.fiscal_year_start_month,
        period=config.current_period,
        settings=sc.ScreeningSettings.from_mapping(config.section("screening")),
        overrides=sc.load_overrides(client.root),
    )


def _buying(result: sc.ScreeningResult):
    scored = result.current.scored
    return scored[is_buying(scored)]


def test_the_largest_customers_that_pass_every_gate_are_key(demo_result):
    top = _buying(demo_result).sort_values("sales", ascending=False).head(20)
    passing = top[top["eligible"]]
    assert len(passing) >= 15
    # The documented exceptions: a former key account whose sales fell sharply (at risk, with
    # a retention call), or a workshop override with its reason in the reason column.
    exceptions = passing[(passing["tier"] != "key")]
    assert (exceptions["at_risk"] | exceptions["overridden"]).all(), exceptions[["name", "tier", "reason"]]
    # Those failing a gate say which one in their reason.
    failing = top[~top["eligible"]]
    assert failing["reason"].str.startswith("excluded: ").all()


def test_no_growth_account_has_falling_sales(demo_result):
    growth = _buying(demo_result).query("tier == 'growth'")
    assert len(growth) > 0
    assert not (growth["growth_pct"] < 0).any()
    assert len(growth) <= demo_result.current.scored.attrs["growth_places"]


def test_the_key_list_carries_more_sales_than_the_growth_list(demo_result):
    buying = _buying(demo_result)
    share = buying.groupby("tier")["sales"].sum() / buying["sales"].sum()
    assert share["key"] > 0.30 > share["growth"]
    # Size leads: no key account is smaller than a fifth of the median key account.
    key = buying[buying["tier"] == "key"]
    assert key["sales"].min() > key["sales"].median() / 5


def test_former_key_accounts_that_fell_sharply_are_at_risk_not_growth(demo_result):
    scored = demo_result.current.scored
    at_risk = scored[scored["at_risk"]]
    assert len(at_risk) >= 3
    assert (at_risk["tier"].isin(["at_risk", "inactive", "review"])).all()
    assert (at_risk["sales_lost"] > 0).all()


def test_robustness_tests_the_list_shown(demo_result):
    scored = demo_result.current.scored
    table = demo_result.sensitivity.set_index("customer_id")
    key = set(scored.loc[scored["tier"] == "key", "customer_id"])
    assert key <= set(table.index)
    stable = set(table.index[table["label"] == "stable key"])
    assert stable <= key
