"""The report's "What we looked at" text says only what the client's data allow."""

from __future__ import annotations

import warnings

import pytest

from kamtools.stages import screening as sc
from kamtools.workspace import open_client


@pytest.fixture(scope="module")
def demo(demo_workspace):
    client = open_client(demo_workspace)
    config = client.config

    def screen(tables):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return sc.screen_client(
                tables,
                start_month=config.fiscal_year_start_month,
                period=config.current_period,
                settings=sc.ScreeningSettings.from_mapping(config.section("screening")),
            )

    with_cost = screen(client.tables)
    no_cost = dict(client.tables, sales=client.tables["sales"].drop(columns="cost"))
    return with_cost, screen(no_cost), config.currency


def test_with_costs_the_method_names_gross_profit_and_margin(demo):
    with_cost, _, currency = demo
    text = sc.summary.method_text(with_cost, currency=currency)
    assert "sales and gross profit in money carry 65%" in text
    assert "margin compared with the customers closest in size" in text and "loss-making" in text
    assert "gross profit" in sc.summary.concentration_intro(with_cost)


def test_without_costs_no_sentence_mentions_gross_profit_or_margin(demo):
    _, no_cost, _ = demo
    assert no_cost.current.scored["gross_profit"].isna().all()
    text = sc.summary.method_text(no_cost, currency="GBP")
    for word in ("gross profit", "margin", "loss-making", "cost to serve", "€"):
        assert word not in text, word
    assert "Size leads: sales in money carry" in text and "£282k" in text
    used = no_cost.current.weights
    assert f"carry {round(100 * used['sales'])}%" in text
    assert "gross profit" not in sc.summary.concentration_intro(no_cost)
