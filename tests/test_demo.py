"""The demo dealer: deterministic, complete, and shaped like a real dealer's data.

The full demo is generated once per module (well under a second); the properties below are
what the stage notebooks rely on to have something to show.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools.contract import SATISFACTION_LABELS, TABLES
from kamtools.demo import DEMO_CLIENT, demo_config, generate_demo_tables
from kamtools.periods import fiscal_period

FIRST_DAY = pd.Timestamp("2023-04-01")
LAST_DAY = pd.Timestamp("2026-03-31")

DTYPE_BY_KIND = {
    "id": "str",
    "text": "str",
    "date": "datetime64[ns]",
    "number": "float64",
    "integer": "int64",
    "score": "int64",
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_demo_tables()


@pytest.fixture(scope="module")
def yearly(tables) -> pd.DataFrame:
    """Net sales and gross profit per customer (rows) and fiscal year, zero where none."""
    sales = tables["sales"]
    period = fiscal_period(sales["invoice_date"], start_month=4).astype("int64")
    grouped = sales.assign(period=period, gross_profit=sales["net_sales"] - sales["cost"]).pivot_table(
        index="customer_id",
        columns="period",
        values=["net_sales", "gross_profit"],
        aggfunc="sum",
        fill_value=0.0,
    )
    return grouped


def ranked(yearly: pd.DataFrame, period: int) -> pd.Series:
    """Customers with positive net sales in ``period``, largest first."""
    sales = yearly[("net_sales", period)]
    return sales[sales > 0].sort_values(ascending=False, kind="stable")


def test_same_seed_gives_identical_tables(tables):
    again = generate_demo_tables()
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_another_seed_gives_other_data():
    first = generate_demo_tables(seed=1, n_customers=150)
    second = generate_demo_tables(seed=2, n_customers=150)
    assert first["sales"]["net_sales"].sum() != pytest.approx(second["sales"]["net_sales"].sum())
    assert not first["customers"]["name"].equals(second["customers"]["name"])


def test_tables_and_columns_follow_the_contract(tables):
    assert list(tables) == list(TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].column_names, name


@pytest.mark.parametrize("table", list(TABLES))
def test_column_dtypes_follow_the_contract(tables, table):
    frame = tables[table]
    for column in TABLES[table].columns:
        expected = DTYPE_BY_KIND[column.kind]
        if (table, column.name) == ("surveys", "answer"):
            expected = "str"  # the text labels, as clients' survey exports usually have them
        assert str(frame[column.name].dtype) == expected, f"{table}.{column.name}"
        if column.required:
            assert frame[column.name].notna().all(), f"{table}.{column.name}"


def test_sizes_are_those_of_a_mid_sized_dealer(tables):
    assert 1800 <= len(tables["customers"]) <= 2200
    assert 250_000 <= len(tables["sales"]) <= 350_000
    assert 150 <= tables["sales"]["product"].nunique() <= 400
    assert 8 >= tables["sales"]["category"].nunique() >= 6
    assert 5 <= tables["customers"]["region"].nunique() <= 6
    assert 4 <= tables["customers"]["segment"].nunique() <= 5
    assert 10 <= len(tables["team"]) <= 14


def test_customer_master_is_unique_and_plausible(tables):
    customers = tables["customers"]
    assert customers["customer_id"].is_unique
    assert customers["name"].is_unique
    assert customers["customer_id"].str.fullmatch(r"C\d{5}").all()
    assert set(customers["payment_terms_days"]) <= {14, 30, 45, 60}
    assert (customers["credit_limit"] > 0).all()
    first_purchase = tables["sales"].groupby("customer_id")["invoice_date"].min()
    since = customers.set_index("customer_id")["customer_since"].reindex(first_purchase.index)
    assert (since <= first_purchase).all()


@pytest.mark.parametrize("table", list(TABLES))
def test_no_row_is_an_exact_duplicate(tables, table):
    # Validation sets exact duplicates aside; the demo must come through intake whole.
    assert not tables[table].duplicated().any()


def test_an_invoice_lists_each_product_once(tables):
    assert not tables["sales"].duplicated(["invoice_id", "product"]).any()


def test_invoice_dates_cover_three_fiscal_years(tables):
    dates = tables["sales"]["invoice_date"]
    assert dates.min() >= FIRST_DAY
    assert dates.max() <= LAST_DAY
    periods = fiscal_period(dates, start_month=4)
    assert sorted(periods.unique()) == [2024, 2025, 2026]
    assert (dates.dt.day_of_week < 5).all()


def test_references_point_to_known_customers(tables):
    known = set(tables["customers"]["customer_id"])
    for name, frame in tables.items():
        if "customer_id" in frame.columns:
            assert set(frame["customer_id"]) <= known, name
    served = tables["team"]["accounts"].str.split("; ").explode()
    assert set(served) <= known
    assert set(tables["assessments"]["assessor"]) <= set(tables["team"]["member"])


def test_receivables_hold_one_row_per_invoice(tables):
    sales, receivables = tables["sales"], tables["receivables"]
    assert receivables["invoice_id"].is_unique
    assert set(receivables["invoice_id"]) == set(sales["invoice_id"])
    totals = sales.groupby("invoice_id")["net_sales"].sum()
    merged = receivables.set_index("invoice_id")
    pd.testing.assert_series_equal(
        merged["amount"].sort_index(), totals.sort_index(), check_names=False, atol=0.01
    )
    # An invoice belongs to one customer and has one date, the same in both tables.
    keys = ["invoice_id", "customer_id", "invoice_date"]
    assert not sales.drop_duplicates(keys)["invoice_id"].duplicated().any()
    pairs = sales[keys].drop_duplicates().merge(receivables[keys], how="outer", indicator=True)
    assert (pairs["_merge"] == "both").all()


def test_due_and_paid_dates_are_consistent(tables):
    receivables = tables["receivables"]
    terms = receivables["customer_id"].map(tables["customers"].set_index("customer_id")["payment_terms_days"])
    assert (receivables["due_date"] - receivables["invoice_date"] == pd.to_timedelta(terms, unit="D")).all()
    paid = receivables["paid_date"].dropna()
    assert (paid >= receivables.loc[paid.index, "invoice_date"]).all()
    assert paid.max() <= LAST_DAY
    open_ = receivables[receivables["paid_date"].isna()]
    assert 0 < len(open_) < 0.05 * len(receivables)
    overdue = open_[open_["due_date"] < LAST_DAY - pd.Timedelta(days=30)]
    assert len(overdue) > 0


def test_sales_are_concentrated(yearly):
    current = ranked(yearly, 2026)
    top = current.iloc[: round(0.2 * len(current))]
    assert 0.70 <= top.sum() / current.sum() <= 0.85


def test_margins_vary_by_category_and_customer(tables, yearly):
    sales = tables["sales"]
    by_category = sales.groupby("category")[["net_sales", "cost"]].sum()
    category_margin = 1 - by_category["cost"] / by_category["net_sales"]
    assert category_margin.max() - category_margin.min() > 0.15
    assert 0.15 <= 1 - sales["cost"].sum() / sales["net_sales"].sum() <= 0.35

    current = ranked(yearly, 2026)
    margin = yearly[("gross_profit", 2026)].reindex(current.index) / current
    big, small = margin.iloc[:100], margin.iloc[len(margin) // 2 :]
    assert (big < 0.10).sum() >= 3, "some big customers are price-pressed"
    assert (small >= 0.35).sum() >= 20, "some small customers pay full price"
    assert 1 <= (margin[current > 5000] <= 0.01).sum() <= 10, "a few earn nothing"


def test_some_lines_are_credit_notes(tables):
    sales = tables["sales"]
    credit = sales[sales["net_sales"] < 0]
    assert 0.01 <= len(credit) / len(sales) <= 0.02
    assert (credit["quantity"] < 0).all()
    assert (credit["cost"] <= 0).all()
    # Credit notes are invoices of their own, with a negative amount.
    receivables = tables["receivables"]
    credit_notes = receivables[receivables["invoice_id"].isin(credit["invoice_id"])]
    assert (credit_notes["amount"] < 0).all()


def test_payment_behaviour_ranges_from_punctual_to_late(tables):
    receivables = tables["receivables"]
    paid = receivables[(receivables["amount"] > 0) & receivables["paid_date"].notna()]
    days_late = (paid["paid_date"] - paid["due_date"]).dt.days.groupby(paid["customer_id"]).mean()
    assert (days_late.abs() <= 5).mean() > 0.5, "most customers pay about on time"
    assert 0.02 <= (days_late > 30).mean() <= 0.15, "some pay more than a month late"


def test_some_former_key_accounts_decline_or_leave(tables, yearly):
    previous = ranked(yearly, 2025).iloc[:50]
    current = yearly[("net_sales", 2026)].reindex(previous.index)
    fallen = previous.index[current < 0.5 * previous]
    assert 4 <= len(fallen) <= 10
    last_purchase = tables["sales"].groupby("customer_id")["invoice_date"].max()[fallen]
    last_quarter = pd.Timestamp("2026-01-01")
    assert (last_purchase < last_quarter).any(), "at least one key account is lost during the year"
    assert (last_purchase >= last_quarter).any(), "at least one key account still buys, much less"


def test_some_small_customers_rise_into_the_top(yearly):
    previous_top200 = set(ranked(yearly, 2025).index[:200])
    current_top100 = ranked(yearly, 2026).index[:100]
    risers = [c for c in current_top100 if c not in previous_top200]
    assert len(risers) >= 3
    bought_before = yearly[("net_sales", 2024)].reindex(risers) > 0
    assert bought_before.sum() >= 3, "risers include customers that grew, not only newcomers"


def test_new_customers_join_in_the_current_year(tables):
    first_purchase = tables["sales"].groupby("customer_id")["invoice_date"].min()
    new = first_purchase[first_purchase >= pd.Timestamp("2025-04-01")]
    assert 0.03 * len(tables["customers"]) <= len(new) <= 0.15 * len(tables["customers"])


def test_cost_to_serve_per_customer_and_period(tables):
    cts = tables["cost_to_serve"]
    assert not cts.duplicated(["customer_id", "period"]).any()
    assert set(cts["period"]) == {2024, 2025, 2026}
    assert (cts[["cost_amount", "orders", "deliveries", "visits", "returns"]] >= 0).all().all()
    assert (cts["cost_amount"] > 0).mean() > 0.95
    # Orders are the customer's (non-credit) invoices of the year.
    receivables = tables["receivables"]
    invoices = receivables[receivables["amount"] > 0]
    counted = invoices.groupby(
        [invoices["customer_id"], fiscal_period(invoices["invoice_date"], start_month=4).astype("int64")]
    ).size()
    orders = cts.set_index(["customer_id", "period"])["orders"]
    assert (orders.reindex(counted.index) == counted).all()


def test_assessments_cover_the_top_40_on_every_indicator(tables, yearly):
    assessments = tables["assessments"]
    top40 = set(ranked(yearly, 2026).index[:40])
    assert set(assessments["customer_id"]) == top40
    per_customer = assessments.groupby("customer_id")["indicator"].agg(["nunique", "size"])
    assert (per_customer["nunique"] == 9).all() and (per_customer["size"] == 9).all()
    assert assessments["score"].between(1, 5).all()
    assert assessments["score"].nunique() == 5
    assert assessments["date"].between(pd.Timestamp("2025-04-01"), LAST_DAY).all()
    assert 0 < assessments["note"].notna().sum() < len(assessments)


def test_surveys_show_lower_satisfaction_among_fallen_accounts(tables, yearly):
    surveys = tables["surveys"]
    assert set(surveys["answer"]) <= set(SATISFACTION_LABELS)
    assert 120 <= surveys["customer_id"].nunique() <= 180
    assert set(fiscal_period(surveys["date"], start_month=4)) == {2025, 2026}
    top = ranked(yearly, 2025).index[:50]
    assert set(top) <= set(surveys["customer_id"]), "every key account is surveyed"

    score = surveys["answer"].map(SATISFACTION_LABELS).groupby(surveys["customer_id"]).mean()
    current = yearly[("net_sales", 2026)].reindex(top)
    fallen = current < 0.5 * ranked(yearly, 2025).iloc[:50]
    assert score[top[fallen]].mean() < score[top[~fallen]].mean() - 0.4


def test_wallets_cover_purchases(tables, yearly):
    market = tables["market"]
    assert 250 <= len(market) <= 350
    assert market["customer_id"].is_unique
    purchases = yearly["net_sales"][[2025, 2026]].max(axis=1).reindex(market["customer_id"]).to_numpy()
    assert (market["wallet"].to_numpy() >= purchases).all()
    share = purchases / market["wallet"].to_numpy()
    assert share.min() < 0.3 and share.max() > 0.7, "headroom differs between customers"
    competitors = market["main_competitors"].str.split("; ").explode()
    assert competitors.nunique() == 6


def test_account_managers_serve_the_top_accounts(tables, yearly):
    team = tables["team"]
    managers = team[team["role"] == "account manager"]
    assert 4 <= len(managers) <= 6
    assert {"inside sales", "logistics coordinator", "credit controller"} <= set(team["role"])
    served = set(managers["accounts"].str.split("; ").explode())
    assert set(ranked(yearly, 2026).index[:100]) <= served


def test_demo_config_is_a_fresh_copy():
    config = demo_config()
    assert config == {
        "client": {
            "name": "Northwind Building Supplies",
            "slug": "demo",
            "currency": "EUR",
            "fiscal_year_start_month": 4,
        },
        "periods": {"current": 2026, "previous": 2025},
        "needs": {
            "cost_driver_rates": {"orders": 18.0, "deliveries": 62.0, "visits": 140.0, "returns": 45.0},
            "account_manager_cost": 85000,
        },
    }
    config["client"]["name"] = "Changed"
    assert DEMO_CLIENT["client"]["name"] == "Northwind Building Supplies"


def test_a_smaller_dealer_scales_down():
    small = generate_demo_tables(n_customers=300)
    assert len(small["customers"]) == 300
    assert 30_000 <= len(small["sales"]) <= 60_000
    assert small["assessments"]["customer_id"].nunique() == 40


@pytest.mark.parametrize("n_customers", [0, 99, 8001], ids=["none", "too-few", "too-many"])
def test_unreasonable_sizes_are_refused(n_customers):
    with pytest.raises(ValueError, match="n_customers"):
        generate_demo_tables(n_customers=n_customers)
