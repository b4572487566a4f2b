"""The planning stage's fast paths give exactly what the plain per-account pandas formulas give.

The plan is built for dozens of accounts from tables of a few hundred rows; the stage reads each
table once into arrays or plain records instead of selecting every account's rows with pandas.
Each test here keeps the plain per-account computation (as the stage had it) and compares it,
value for value and type for type, on the demo and on worlds made to hit the edge cases.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from kamtools.stages.planning import narrative
from kamtools.stages.planning.actions import _ranked_support, _scorecard_rows
from kamtools.stages.planning.build import PlanContext, analyse_accounts, propose_plan
from kamtools.stages.planning.competitors import PRICE_PRESSURE_POINTS, PRICE_SIGNAL_COLUMNS, price_signals
from kamtools.stages.planning.goals import PROFILE_COLUMNS, plan_stages, seasonal_profiles, stage_of
from kamtools.stages.planning.load import LOAD_COLUMNS, team_load
from kamtools.stages.planning.market import CATEGORY_GAP_COLUMNS, category_gaps
from kamtools.stages.planning.planfile import _NOT_FOR_LIBYAML, plan_tables, plan_to_mapping, plan_yaml
from kamtools.stages.planning.settings import PlanningSettings

BASELINE = (pd.Timestamp("2025-04-01"), pd.Timestamp("2026-03-31"))


@pytest.fixture(scope="module")
def demo(demo_screened):
    """The demo's tables, planned accounts, needs outputs and the proposed plan."""
    from kamtools.stages.needs.analysis import analyse_client, load_key_accounts
    from kamtools.stages.needs.settings import NeedsSettings

    workspace, _ = demo_screened
    tables = workspace.tables
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        key_accounts = load_key_accounts(None, workspace)
        needs = analyse_client(workspace, settings=NeedsSettings())
    context = PlanContext(client="Demo", currency="EUR", start_month=4, period=2027, baseline_period=2026)
    analysis = analyse_accounts(
        key_accounts,
        sales=tables["sales"],
        context=context,
        customers=tables.get("customers"),
        market=tables.get("market"),
        team=tables.get("team"),
    )
    plan = propose_plan(
        analysis,
        context=context,
        needs_scorecard=needs.scorecard,
        needs_support=needs.support,
        needs_team=needs.team,
    )
    ids = analysis.accounts["customer_id"].tolist()
    return {"tables": tables, "ids": ids, "needs": needs, "analysis": analysis, "plan": plan}


# --- the plain per-account formulas ----------------------------------------------------------


def _plain_category_gaps(sales, customers, ids, settings):
    dates = pd.to_datetime(sales["invoice_date"])
    lines = sales.loc[(dates >= BASELINE[0]) & (dates <= BASELINE[1])]
    lines = lines.loc[lines["category"].notna() & (lines["category"].astype(str).str.strip() != "")]
    spend = (
        lines.assign(customer_id=lines["customer_id"].astype(str), category=lines["category"].astype(str))
        .groupby(["customer_id", "category"])["net_sales"]
        .sum()
        .unstack(fill_value=0.0)
        .clip(lower=0.0)
    )
    spend = spend.loc[spend.sum(axis=1) > 0]
    shares = spend.div(spend.sum(axis=1), axis=0)
    segment = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index("customer_id")[
        "segment"
    ]
    segment = segment[~segment.index.duplicated()].reindex(shares.index)
    rows = []
    for account in ids:
        if account not in shares.index or pd.isna(segment.get(account)):
            continue
        peers = shares.loc[(segment == segment[account]) & (shares.index != account)]
        if len(peers) < settings.white_space_min_peers:
            continue
        penetration = (peers > 0).mean()
        median_share = peers.where(peers > 0).median()
        own_share = shares.loc[account]
        own_total = float(spend.loc[account].sum())
        for category in shares.columns:
            if penetration[category] < settings.white_space_min_peer_share:
                continue
            if own_share[category] <= settings.white_space_max_own_share:
                gap = "white space"
            elif own_share[category] < 0.5 * median_share[category]:
                gap = "under-bought"
            else:
                continue
            rows.append(
                (
                    account,
                    str(segment[account]),
                    category,
                    gap,
                    len(peers),
                    float(penetration[category]),
                    float(median_share[category]),
                    round(float(spend.loc[account, category]), 2),
                    float(own_share[category]),
                    round(own_total * float(median_share[category] - own_share[category]), 2),
                )
            )
    return rows


def _plain_price_signals(sales, customers, ids):
    dates = pd.to_datetime(sales["invoice_date"])
    lines = sales.loc[(dates >= BASELINE[0]) & (dates <= BASELINE[1]) & sales["cost"].notna()]
    key = lines["customer_id"].astype(str)
    totals = pd.DataFrame(
        {
            "sales": lines["net_sales"].astype(float).groupby(key).sum(),
            "cost": lines["cost"].astype(float).groupby(key).sum(),
        }
    )
    totals = totals.loc[totals["sales"] > 0]
    totals["margin"] = (totals["sales"] - totals["cost"]) / totals["sales"]
    segment = customers.assign(customer_id=customers["customer_id"].astype(str)).drop_duplicates(
        "customer_id"
    )
    totals["segment"] = totals.index.map(segment.set_index("customer_id")["segment"])
    rows = []
    for account in ids:
        if account not in totals.index or pd.isna(totals.at[account, "segment"]):
            continue
        peers = totals.loc[(totals["segment"] == totals.at[account, "segment"]) & (totals.index != account)]
        if peers.empty:
            continue
        margin, peer_margin = float(totals.at[account, "margin"]), float(peers["margin"].median())
        rows.append(
            (
                account,
                margin,
                peer_margin,
                margin - peer_margin,
                margin - peer_margin < -PRICE_PRESSURE_POINTS,
            )
        )
    return rows


def _plain_seasonal_profiles(sales, ids, settings):
    lines = sales.loc[pd.to_datetime(sales["invoice_date"]) <= BASELINE[1]]
    dates = pd.to_datetime(lines["invoice_date"])
    frame = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].astype(str).to_numpy(),
            "stage": stage_of(dates, start_month=4).to_numpy(),
            "month": (dates.dt.year * 12 + dates.dt.month).to_numpy(),
            "amount": lines["net_sales"].astype(float).to_numpy(),
        }
    )
    stage_totals = frame.groupby(["customer_id", "stage"])["amount"].sum().unstack(fill_value=0.0)
    stage_totals = stage_totals.reindex(columns=range(4), fill_value=0.0).clip(lower=0.0)
    portfolio = stage_totals.sum(axis=0)
    months_bought = (
        (frame.groupby(["customer_id", "month"])["amount"].sum() > 0).groupby(level="customer_id").sum()
    )
    labels = [s.stage for s in plan_stages(2000, start_month=4)]
    rows = []
    for account in ids:
        own = stage_totals.loc[account] if account in stage_totals.index else None
        if (
            own is not None
            and months_bought.get(account, 0) >= settings.seasonal_min_months
            and own.sum() > 0
        ):
            shares, source = own / own.sum(), "own history"
        elif portfolio.sum() > 0:
            shares, source = portfolio / portfolio.sum(), "portfolio"
        else:
            shares, source = pd.Series(0.25, index=range(4)), "even"
        rows += [(account, labels[i], float(shares[i]), source) for i in range(4)]
    return rows


def _exactly(frame: pd.DataFrame, rows: list[tuple], columns) -> None:
    """``frame`` holds exactly ``rows`` (same values, bit for bit, and same Python types)."""
    assert list(frame.columns) == list(columns)
    got = [tuple(r) for r in frame.itertuples(index=False)]
    assert [[repr(v) for v in r] for r in got] == [[repr(v) for v in r] for r in rows]


def _world(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Random invoice lines of 60 customers in 4 segments (one unknown), some tiny, some empty."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:02d}" for i in range(60)],
            "segment": rng.choice(["Retail", "Trade", "Builders", None], size=60, p=[0.4, 0.3, 0.25, 0.05]),
        }
    )
    n = 3000
    sales = pd.DataFrame(
        {
            "invoice_date": pd.Timestamp("2024-04-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
            "customer_id": rng.choice(customers["customer_id"], size=n),
            "net_sales": rng.gamma(2.0, 500.0, n).round(2) * rng.choice([1, 1, 1, 1, -1], size=n),
            "cost": rng.gamma(2.0, 400.0, n).round(2),
            "category": rng.choice([f"Cat{k}" for k in range(12)] + [None], size=n),
        }
    )
    return sales, customers, [f"C{i:02d}" for i in range(0, 60, 2)] + ["C99"]


# --- the comparisons ------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["demo", 1, 2, 3])
def test_category_gaps_are_the_plain_per_account_formulas(demo, source):
    if source == "demo":
        sales, customers, ids = demo["tables"]["sales"], demo["tables"]["customers"], demo["ids"]
        settings = PlanningSettings()
    else:
        (sales, customers, ids), settings = _world(source), PlanningSettings(white_space_min_peers=source)
    out = category_gaps(sales, customers, customer_ids=ids, baseline=BASELINE, settings=settings)
    plain = _plain_category_gaps(sales, customers, ids, settings)
    order = {c: i for i, c in enumerate(ids)}
    plain.sort(key=lambda r: (order[r[0]], -r[-1]))  # stable: the stage's sort, by account then worth
    assert len(plain) > 20
    _exactly(out, plain, CATEGORY_GAP_COLUMNS)


@pytest.mark.parametrize("source", ["demo", 1, 2])
def test_price_signals_are_the_plain_per_account_formulas(demo, source):
    if source == "demo":
        sales, customers, ids = demo["tables"]["sales"], demo["tables"]["customers"], demo["ids"]
    else:
        sales, customers, ids = _world(source)
    out = price_signals(sales, customers, customer_ids=ids, baseline=BASELINE)
    plain = _plain_price_signals(sales, customers, ids)
    assert len(plain) > 10
    _exactly(out, plain, PRICE_SIGNAL_COLUMNS)


@pytest.mark.parametrize("source", ["demo", 1])
def test_seasonal_profiles_are_the_plain_per_account_formulas(demo, source):
    sales, ids = (demo["tables"]["sales"], demo["ids"]) if source == "demo" else _world(source)[0::2]
    settings = PlanningSettings()
    out = seasonal_profiles(sales, customer_ids=ids, start_month=4, until=BASELINE[1], settings=settings)
    plain = _plain_seasonal_profiles(sales, ids, settings)
    assert {r[3] for r in plain} >= ({"own history"} if source == "demo" else {"own history", "portfolio"})
    _exactly(out, plain, PROFILE_COLUMNS)


def test_support_is_ranked_as_each_accounts_own_stable_sort(demo):
    support = demo["needs"].support
    rng = random.Random(7)  # many ties and repeated offerings, in a shuffled order
    shuffled = support.sample(frac=1.0, random_state=3).assign(
        priority=[rng.choice([1, 2, 2, 3]) for _ in range(len(support))]
    )
    shuffled = pd.concat([shuffled, shuffled.head(30)], ignore_index=True)
    for frame in (support, shuffled):
        ids = frame.assign(customer_id=frame["customer_id"].astype(str))
        ranked = _ranked_support(frame, pd.Series(demo["ids"]))
        for account in demo["ids"]:
            mine = ids.loc[ids["customer_id"] == account].sort_values("priority", kind="stable")
            plain = [r._asdict() for r in mine.drop_duplicates("offering").itertuples(index=False)]
            assert [repr(r) for r in ranked.get(account, [])] == [repr(r) for r in plain]
    assert sum(len(v) for v in _ranked_support(support, pd.Series(demo["ids"])).values()) > 45


def test_scorecard_rows_are_the_indexed_lookup(demo):
    scorecard = demo["needs"].scorecard
    doubled = pd.concat([scorecard, scorecard.assign(score=scorecard["score"] + 1)], ignore_index=True)
    for frame in (scorecard, doubled):
        indexed = frame.assign(customer_id=frame["customer_id"].astype(str)).set_index(
            ["customer_id", "indicator"]
        )
        rows = _scorecard_rows(frame)
        assert len(rows) == len(scorecard)
        for key, row in list(rows.items())[::5]:  # every fifth key: .loc per key is slow
            first = indexed.loc[[key]].iloc[0]
            assert [str(row[c]) for c in indexed.columns] == [str(first[c]) for c in indexed.columns]
    assert _scorecard_rows(None) == {} and _scorecard_rows(scorecard.iloc[0:0]) == {}


def _plain_team_load(actions, contacts, period, settings):
    months = pd.period_range(period[0], period[1], freq="M")
    live = actions.loc[
        (actions["status"].astype(str) != "dropped") & actions["owner"].fillna("").astype(str).ne("")
    ]
    live = live.assign(_start=pd.to_datetime(live["start"]), _due=pd.to_datetime(live["due"]))
    managed = contacts.loc[contacts["account_manager"].fillna("").astype(str).ne("")]
    accounts = managed.groupby("account_manager")["customer_id"].agg(lambda s: set(s.astype(str)))
    per_month = managed.groupby("account_manager")["per_quarter"].sum() / 3.0
    rows = []
    for member in sorted(set(live["owner"]) | set(accounts.index)):
        own = live.loc[live["owner"] == member]
        for month in months:
            first, last = month.start_time, month.end_time.normalize()
            running = own.loc[(own["_start"] <= last) & (own["_due"] >= first)]
            n_accounts = len(accounts.get(member, set()) | set(running["customer_id"]))
            reasons = []
            if n_accounts > settings.max_accounts_per_member:
                reasons.append(f"{n_accounts} accounts (ceiling {settings.max_accounts_per_member})")
            if len(running) > settings.max_actions_per_member_month:
                reasons.append(
                    f"{len(running)} actions at once (ceiling {settings.max_actions_per_member_month})"
                )
            contacts_month = round(float(per_month.get(member, 0.0)), 1)
            rows.append(
                (
                    member,
                    str(month),
                    n_accounts,
                    len(running),
                    contacts_month,
                    bool(reasons),
                    "; ".join(reasons),
                )
            )
    return rows


@pytest.mark.parametrize("ceiling", [1, 3])
def test_team_load_is_the_plain_per_member_and_month_count(demo, ceiling):
    plan = demo["plan"]
    _, actions, contacts = plan_tables(plan)
    actions.loc[actions.index[::7], "status"] = "dropped"
    actions.loc[actions.index[3::11], "owner"] = ""
    period = (pd.Timestamp(plan.period_start), pd.Timestamp(plan.period_end))
    settings = PlanningSettings(max_actions_per_member_month=ceiling, max_accounts_per_member=6)
    out = team_load(actions, contacts, period=period, settings=settings)
    plain = _plain_team_load(actions, contacts, period, settings)
    assert any(r[5] for r in plain) and not all(r[5] for r in plain)
    _exactly(out, plain, LOAD_COLUMNS)


def _plain_table(rows, columns, numeric=()):
    frame = pd.DataFrame(rows, columns=columns)
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def test_account_tables_are_the_plain_frames(demo, monkeypatch):
    """Each account table of the demo plan, built typed and built the plain way from the same rows."""
    plan = demo["plan"]
    builders = [
        lambda a: narrative.account_goals_table(a, plan.stage_labels, metrics=("sales", "gross_profit")),
        lambda a: narrative.account_goals_table(a, plan.stage_labels, metrics=("share_of_wallet",)),
        narrative.account_market_table,
        narrative.account_actions_table,
        narrative.account_contacts_table,
    ]
    typed = [[build(a) for build in builders] for a in plan.accounts]
    monkeypatch.setattr(narrative, "records_table", _plain_table)
    plain = [[build(a) for build in builders] for a in plan.accounts]
    for mine, theirs in zip(typed, plain, strict=True):
        for table, expected in zip(mine, theirs, strict=True):
            pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert sum(len(t) for tables in typed for t in tables) > 500


@pytest.mark.parametrize(
    "rows",
    [
        [{"a": "x", "n": 1.5}, {"a": "y", "n": None}],  # the typed route
        [{"a": "x", "n": None}, {"a": "y", "n": None}],  # no number at all
        [{"a": "x", "n": 1}, {"a": "y", "n": 2}],  # whole numbers stay whole
        [{"a": "x", "n": "3.5"}, {"a": None, "n": 2.0}],  # text and None: pandas decides
        [{"a": pd.Timestamp("2026-04-01"), "n": 1.0}],
        [{"a": True, "n": 1.0}],
        [],
    ],
)
def test_records_table_is_the_plain_frame_for_every_kind_of_column(rows):
    pd.testing.assert_frame_equal(
        narrative.records_table(rows, ["a", "n"], numeric=["n"]),
        _plain_table(rows, ["a", "n"], ["n"]),
        check_exact=True,
    )


def _pure(data):
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def test_plan_yaml_is_what_pyyaml_writes(demo):
    mapping = plan_to_mapping(demo["plan"])
    assert plan_yaml(mapping) == _pure(mapping)
    for text in (
        "Bäckerei Müller: 'Süd' #1",
        " lead",
        "a\nb",
        "emoji 😀",
        "next\x85line",
        "x" * 1500,
        "yes",
        "",
    ):
        data = {**mapping, "client": text, "accounts": [{**mapping["accounts"][0], "name": text}]}
        assert plan_yaml(data) == _pure(data)


def test_libyaml_writes_every_character_it_is_given_as_pyyaml_does():
    """Every character the fast route lets through, alone and inside text (others take the pure route)."""
    if not hasattr(yaml, "CSafeDumper"):
        pytest.skip("PyYAML without libyaml: the pure emitter always writes")
    characters = [chr(c) for c in range(0x3000) if not _NOT_FOR_LIBYAML.search(chr(c))]
    characters += [chr(c) for c in range(0x3000, 0x10000, 37) if not _NOT_FOR_LIBYAML.search(chr(c))]
    data = {
        "single": characters,
        "inside": [f"a{c}b" for c in characters],
        "after space": [f"a {c}" for c in characters],
    }
    assert yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=1000) == _pure(
        data
    )
    assert _NOT_FOR_LIBYAML.search("😀") and _NOT_FOR_LIBYAML.search("\x85")


def test_known_year_keeps_the_rows_dropna_keeps(demo):
    from dataclasses import replace

    from kamtools.stages.planning.planfile import GoalFigures, MetricGoal

    plan = demo["plan"]
    first = plan.accounts[0]
    share = first.goals["share_of_wallet"]
    no_wallet = replace(
        first,
        goals={**first.goals, "share_of_wallet": MetricGoal(GoalFigures(0.2, None, None), share.stages)},
    )
    for account in (*plan.accounts, no_wallet):
        for metrics in (("sales", "gross_profit"), ("share_of_wallet",)):
            full = narrative.account_goals_table(account, plan.stage_labels, metrics=metrics)
            kept = narrative.account_goals_table(account, plan.stage_labels, metrics=metrics, known_year=True)
            pd.testing.assert_frame_equal(kept, full.dropna(subset=["year"]), check_exact=True)
    kept = narrative.account_goals_table(
        no_wallet, plan.stage_labels, metrics=("share_of_wallet",), known_year=True
    )
    assert kept.index.tolist() == [0]


def test_goal_and_profile_records_are_pandas_groups():
    from kamtools.stages.planning.goals import _records_by_value

    frame = pd.DataFrame(
        {
            "customer_id": ["B", "A", None, "B", np.nan, "A", "C"],
            "metric": ["sales", "sales", "sales", "gross_profit", "sales", "share_of_wallet", "sales"],
            "baseline": [1.0, 2.0, 3.0, np.nan, 5.0, 0.5, 7.0],
        }
    )
    groups = _records_by_value(frame)
    plain = {
        k: [r._asdict() for r in g.itertuples(index=False)]
        for k, g in frame.groupby("customer_id", sort=False)
    }
    assert list(groups) == list(plain) == ["B", "A", "C"]
    assert {k: repr(v) for k, v in groups.items()} == {k: repr(v) for k, v in plain.items()}


def test_known_median_is_numpys_nanmedian_per_column():
    from kamtools.stages.planning.market import _known_median

    rng = np.random.default_rng(11)
    for _ in range(500):
        n, m = int(rng.integers(0, 40)), int(rng.integers(1, 15))
        values = rng.random((n, m)) ** int(rng.integers(1, 4))
        values[rng.random((n, m)) < rng.random()] = np.nan
        if rng.random() < 0.3:  # ties
            values = np.round(values, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(values.T, axis=1) if n else np.full(m, np.nan)
        assert np.array_equal(_known_median(values), expected, equal_nan=True)
