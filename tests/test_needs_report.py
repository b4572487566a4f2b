"""The needs analysis end to end on tiny literal tables: findings, account pages, charts, form, outputs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kamtools.stages.needs import narrative, plots, store
from kamtools.stages.needs.analysis import analyse_needs
from kamtools.stages.needs.settings import NeedsSettings
from kamtools.stages.needs.workshop import NeedsWorkshop

T = pd.Timestamp
SETTINGS = NeedsSettings(
    indicators={"logistics": "strength", "people": "strength", "marketing": "capability"},
    cost_driver_rates={"orders": 10.0},
    account_manager_cost=600.0,
)
# Alpha: big, assessed by two assessors who disagree on marketing, loses money once it is served.
# Beta: small, assessed, healthy. Gamma <script>: never assessed, no cost data.
KEY_ACCOUNTS = pd.DataFrame(
    {
        "customer_id": ["A", "B", "G", "X"],
        "name": ["Alpha", "Beta", "Gamma <script>", "Growth Co"],
        "tier": ["key", "key", "key", "growth"],
        "rank": [1, 2, 3, 4],
        "sales": [1000.0, 400.0, 300.0, 50.0],
        "gross_profit": [100.0, 300.0, 90.0, 10.0],
    }
)
SALES = pd.DataFrame(
    {
        "customer_id": ["A"] * 5 + ["B"] * 5 + ["G"] * 2,
        "invoice_date": pd.to_datetime(
            [f"2025-{m:02d}-01" for m in (4, 6, 8, 10, 12)]
            + [f"2026-0{m}-01" for m in (1, 2, 3)]
            + ["2026-03-10", "2026-03-20", "2025-05-01", "2025-09-01"]
        ),
        "net_sales": [200.0] * 5 + [80.0] * 5 + [150.0] * 2,
        "invoice_id": [f"I{i}" for i in range(12)],
    }
)
ASSESSMENTS = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "B", "B", "B"],
        "indicator": ["logistics", "people", "marketing", "marketing", "logistics", "people", "marketing"],
        "score": [2, 3, 1, 4, 4, 4, 5],
        "assessor": ["Ann", "Ann", "Ann", "Bob", "Ann", "Ann", "Ann"],
        "date": pd.to_datetime(["2025-10-01"] * 7),
        "note": ["Orders daily", "", "", "", "", "", ""],
    }
)
TEAM = pd.DataFrame(
    {
        "member": ["Ann", "Dora"],
        "role": ["account manager", "logistics coordinator"],
        "function": ["Sales", "Logistics"],
        "accounts": ["A; B; G", ""],
    }
)
COST_TO_SERVE = pd.DataFrame({"customer_id": ["A", "B"], "period": [2026, 2026], "orders": [5.0, 5.0]})
TABLES = {"sales": SALES, "assessments": ASSESSMENTS, "team": TEAM, "cost_to_serve": COST_TO_SERVE}


def analyse(**changes):
    options = {
        "settings": SETTINGS,
        "period": 2026,
        "start": T("2025-04-01"),
        "end": T("2026-03-31"),
        "currency": "EUR",
    }
    tables = {**TABLES, **changes.pop("tables", {})}
    return analyse_needs(KEY_ACCOUNTS, tables, **{**options, **changes})


def test_every_key_account_is_analysed_and_growth_accounts_only_on_request():
    result = analyse()
    # Alpha: 100 gross profit - 50 orders - 200 management (Ann's 600 over 3 accounts) = -150.
    assert result.profit.set_index("customer_id").loc["A", "contribution"] == pytest.approx(-150.0)
    # Negative contribution puts Alpha first, then the screening rank.
    assert result.accounts["customer_id"].tolist() == ["A", "B", "G"]
    assert set(result.scorecard["customer_id"]) == {"A", "B", "G"}
    assert result.missing["customer_id"].tolist() == ["G"]
    assert (
        "X"
        in analyse(settings=NeedsSettings(**{**SETTINGS.__dict__, "include_growth_accounts": True}))
        .accounts["customer_id"]
        .tolist()
    )


def test_findings_put_the_money_first_and_name_the_loss_maker():
    result = analyse()
    found = narrative.findings(result)
    assert found[0].startswith("Your 3 key accounts bought €1.7k and left")
    assert "(for the 2 with cost data)" in found[0]
    assert found[1].startswith(
        "1 key account costs more to serve than it earns, -€150 in all: Alpha (-€150)."
    )
    assert any("1 of 3 key accounts have no workshop scores" in f for f in found)
    assert 1 <= len(found) <= narrative.MAX_FINDINGS
    assert narrative.summary(result).startswith("3 key accounts: ")


def test_missing_inputs_are_said_plainly():
    result = analyse(tables={"cost_to_serve": None, "assessments": None})
    found = narrative.findings(result)
    assert "no cost-to-serve data was provided, so their contribution is not computed" in found[0]
    assert set(result.profit["cost_note"]) == {"no cost-to-serve data: contribution not computed"}
    assert "No cost" not in narrative.account_heading(result, "A")
    assert "€1k sales, contribution not computed" in narrative.account_heading(result, "A")
    assert len(result.missing) == 3
    notes = narrative.input_notes(result)
    assert "No cost-to-serve data was provided: contribution is not computed." in notes
    assert any(n.startswith("No receivables were provided") for n in notes)
    assert not any(n.startswith("No team table") for n in notes)
    facts = narrative.account_facts(analyse(), "G")
    assert "No cost-to-serve data for this account: contribution not computed." in facts
    assert "Not yet scored in a workshop." in facts


def test_account_page_tables_and_disagreement():
    result = analyse()
    card = narrative.account_scorecard_table(result, "A")
    assert card["indicator"].tolist()[:3] == [
        "Logistics capability",
        "People (human resources)",
        "Marketing approach",
    ]
    assert card.set_index("indicator").loc["Marketing approach", "scored by"] == "Ann; Bob"
    facts = narrative.account_facts(result, "A")
    assert any(
        f.startswith("The assessors disagree on marketing approach (Ann; Bob: 3 points apart)") for f in facts
    )
    support = narrative.account_support_table(result, "A")
    assert support["support"].tolist()[0] == "Logistics support"
    assert narrative.account_team_line(result, "A") == (
        "Service team: Ann (account manager) for sales; Dora (logistics coordinator, proposed) for"
        " logistics; nobody yet for marketing."
    )


def test_outputs_follow_the_stage_contract():
    outputs = narrative.outputs(analyse())
    assert list(outputs) == ["needs_scorecard", "needs_support", "needs_team", "account_profit"]
    assert list(outputs["needs_scorecard"].columns[:10]) == [
        "customer_id", "name", "family", "indicator", "score", "portfolio_average", "best_quartile", "gap",
        "assessors", "spread",
    ]  # fmt: skip
    assert list(outputs["needs_support"].columns[:6]) == [
        "customer_id",
        "name",
        "offering",
        "indicator",
        "reason",
        "priority",
    ]
    assert list(outputs["needs_team"].columns[:4]) == ["customer_id", "function", "member", "role"]
    profit = outputs["account_profit"]
    assert list(profit.columns[:4]) == ["customer_id", "name", "sales", "gross_profit"]
    assert {"orders_cost", "management_cost", "cost_to_serve", "contribution"} <= set(profit.columns)


def test_inputs_are_not_changed():
    copies = {name: frame.copy() for name, frame in TABLES.items()}
    accounts = KEY_ACCOUNTS.copy()
    analyse()
    pd.testing.assert_frame_equal(KEY_ACCOUNTS, accounts)
    for name, frame in TABLES.items():
        pd.testing.assert_frame_equal(frame, copies[name])


def test_charts_draw_and_the_account_svg_is_inert_and_escaped():
    result = analyse()
    _, ax = plt.subplots()
    assert plots.needs_heatmap(result.scorecard, order=result.accounts["customer_id"], ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1. Alpha", "2. Beta", "3. Gamma <script>"]
    heatmap = plots.heatmap_svg(result.scorecard, order=result.accounts["customer_id"])
    assert heatmap.startswith("<svg") and "3. Gamma &lt;script&gt;" in heatmap and "<script" not in heatmap
    assert heatmap.count("<rect") == 1 + 3 * 7  # background, then 3 accounts x 7 indicators
    _, axes = plt.subplots(1, 2, subplot_kw={"projection": "polar"})
    assert plots.needs_radar(result.scorecard, customer_id="A", ax=axes[0]) is axes[0]
    _, ax = plt.subplots()
    row = result.profit.set_index("customer_id").loc["A"]
    plots.profit_waterfall(row, currency="EUR", ax=ax)
    assert [t.get_text() for t in ax.texts][-1] == "−€150"
    assert "EUR" in ax.get_ylabel()
    svg = plots.account_charts_svg(result.scorecard, row, customer_id="A", currency="EUR")
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg
    assert "Amount (EUR)" in svg and "−€150" in svg and "Contribution" in svg
    unscored = plots.account_charts_svg(
        result.scorecard, result.profit.set_index("customer_id").loc["G"], customer_id="G", currency="EUR"
    )
    assert "Not scored in a workshop yet" in unscored and "Contribution" not in unscored


def test_workshop_form_saves_to_the_history_and_reloads_the_assessors_scores(tmp_path):
    result = analyse()
    form = NeedsWorkshop(
        result.accounts, indicators=list(SETTINGS.indicators), workspace=tmp_path, assessments=ASSESSMENTS
    )
    assert form.save() is None and "assessor's name is required" in form.status.value
    form.assessor.value = "Ann"
    # Ann's earlier scores of Alpha come up: logistics 2, people 3, marketing 1.
    assert form.scores() == {"logistics": 2.0, "people": 3.0, "marketing": 1.0}
    form.sliders["logistics"].value = 3.5
    form.note.value = "New warehouse"
    assert form.save() == 3
    raw = store.read_assessment_store(tmp_path)
    assert raw[["customer_id", "indicator", "score", "assessor", "note"]].values.tolist()[0] == [
        "A", "logistics", "3.5", "Ann", "New warehouse",
    ]  # fmt: skip
    form.account.value = "G"
    assert form.scores() == {"logistics": 3.0, "people": 3.0, "marketing": 3.0}
    form.account.value = "A"
    assert form.scores()["logistics"] == 3.5
    history = store.parse_assessment_store(store.read_assessment_store(tmp_path))
    rerun = analyse(history=history)
    ann = rerun.scores[(rerun.scores["assessor"] == "Ann") & (rerun.scores["indicator"] == "logistics")]
    assert ann.set_index("customer_id").loc["A", "score"] == 3.5
    # The scorecard averages Ann's new 3.5 with the order pattern's 5 (five orders a year).
    logistics = rerun.scorecard.set_index(["customer_id", "indicator"]).loc[("A", "logistics"), "score"]
    assert logistics == 4.25


def test_account_page_blocks_are_escaped_html():
    result = analyse()
    intro = narrative.account_intro_html(result, "G")
    assert intro.startswith('<h4 class="kam-account">3. Gamma &lt;script&gt;:')
    assert "<script" not in intro and "Scorecard" in intro and "Not yet scored in a workshop." in intro
    bottom = narrative.account_support_html(result, "A")
    assert "Proposed support" in bottom and "Service team: Ann (account manager) for sales" in bottom
