"""client.yml settings, new workspaces and the demo workspace."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools import io
from kamtools.config import ConfigError, load_config, parse_config, save_stage_settings, with_current_period
from kamtools.scaffold import new_workspace
from kamtools.stages.screening import load_overrides
from kamtools.workspace import load_workspace

from .conftest import write_workspace

CONFIG = """
client: {name: "Acme & Sons", currency: EUR, fiscal_year_start_month: 4}
periods: {current: 2026, previous: 2025}
inputs:
  customers: {file: inputs/customers.csv}
  sales: {file: inputs/sales.csv}
"""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {
                "client": {"name": "A"},
                "periods": {"current": 2025},
                "inputs": {"sales": {"file": "s.csv"}},
                "screnning": {},
            },
            "unknown section",
        ),
        ({"client": {}, "periods": {"current": 2025}}, "client.name"),
        ({"client": {"name": "A"}, "periods": {}}, "periods.current"),
        ({"client": {"name": "A"}, "periods": {"current": "last"}}, "whole number"),
        (
            {"client": {"name": "A", "fiscal_year_start_month": 13}, "periods": {"current": 2025}},
            "between 1 and 12",
        ),
        (
            {"client": {"name": "A"}, "periods": {"current": 2025, "previous": 2025}},
            "first <= previous < current",
        ),
        (
            {"client": {"name": "A"}, "periods": {"current": 2025}, "inputs": {"orders": {"file": "o.csv"}}},
            "unknown table",
        ),
        ({"client": {"name": "A"}, "periods": {"current": 2025}, "inputs": {}}, "'sales'"),
    ],
    ids=[
        "unknown-section",
        "no-name",
        "no-period",
        "period-text",
        "bad-month",
        "periods-order",
        "unknown-table",
        "no-sales",
    ],
)
def test_bad_settings_are_named(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw, slug="x")


def test_config_periods_and_span(tmp_path):
    root = write_workspace(tmp_path / "acme", {}, CONFIG)
    config = load_config(root)
    assert (config.current_period, config.previous_period, config.first_period) == (2026, 2025, 2025)
    assert config.span == (pd.Timestamp("2024-04-01"), pd.Timestamp("2026-03-31"))
    shifted = with_current_period(config, 2025)
    assert (shifted.current_period, shifted.previous_period) == (2025, 2024)
    assert shifted.inputs["sales"]["out_of_period"] == "exclude"  # later years are set aside, counted


def test_unreadable_files_are_problems_not_exceptions(tmp_path):
    root = write_workspace(tmp_path / "acme", {"sales.csv": ""}, CONFIG)
    workspace = load_workspace(root)
    texts = [str(p) for p in workspace.intake.problems]
    assert "customers.csv: file not found" in texts
    assert any(t.startswith("sales.csv: the file is empty") for t in texts)


def test_new_workspace_scaffolds_and_never_overwrites(tmp_path):
    root = tmp_path / "acme"
    written = new_workspace(root, name="Acme")
    assert (root / "client.yml") in written
    assert (root / "inputs" / "sales.xlsx").exists() and (root / "workshop").is_dir()
    workspace = load_workspace(root)
    assert workspace.intake.ok, [str(p) for p in workspace.intake.problems]
    (root / "inputs" / "sales.csv").write_text("entered in the workshop", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        new_workspace(root, name="Acme")
    assert (root / "inputs" / "sales.csv").read_text(encoding="utf-8") == "entered in the workshop"


def test_new_workspace_from_a_real_export_proposes_a_mapping(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "InvoiceNo;StockCode;Quantity;InvoiceDate;UnitPrice;CustomerID;Country\n"
        "1;P1;2;2025-03-01;1,50;17850;France\n",
        encoding="cp1252",
    )
    root = tmp_path / "shop"
    new_workspace(root, name="Shop", from_file=export)
    config = io.read_yaml(root / "client.yml")
    assert config["inputs"]["sales"]["net_sales_from"] == ["Quantity", "UnitPrice"]
    workspace = load_workspace(root)
    assert workspace.intake.ok, [str(p) for p in workspace.intake.problems]
    assert workspace.tables["sales"]["net_sales"].tolist() == [3.0]
    assert workspace.tables["customers"]["region"].tolist() == ["France"]


def test_saving_screening_settings_keeps_the_previous_file(tmp_path):
    root = write_workspace(tmp_path / "acme", {}, CONFIG)
    previous = save_stage_settings(root, "screening", {"weights": {"sales": 0.5}})
    assert io.read_yaml(root / "client.yml")["screening"] == {"weights": {"sales": 0.5}}
    assert previous is not None and "screening" not in io.read_yaml(previous)
    assert previous.parent == root / "history" and previous.name.startswith("client.20")


def test_saving_settings_keeps_comments_order_and_every_earlier_version(tmp_path):
    root = write_workspace(tmp_path / "acme", {}, CONFIG)
    original = (root / "client.yml").read_text(encoding="utf-8")
    commented = (
        "# Acme: settings agreed with the sales director\n"
        + original
        + "screening:\n  # two key accounts per manager at most\n  key_accounts: 30  # agreed 12 May\n"
        + "  weights:\n    sales: 0.3\n    margin: 0.2  # the CFO insists\n"
    )
    (root / "client.yml").write_text(commented, encoding="utf-8")
    first = save_stage_settings(root, "screening", {"weights": {"sales": 0.45}})
    second = save_stage_settings(root, "screening", {"key_accounts": 25, "max_late_share": 0.5})
    assert save_stage_settings(root, "screening", {"key_accounts": 25}) is None  # nothing changed
    text = (root / "client.yml").read_text(encoding="utf-8")
    for comment in ("# Acme: settings agreed", "# two key accounts", "# agreed 12 May", "# the CFO insists"):
        assert comment in text
    assert text.index("client:") < text.index("screening:")
    saved = io.read_yaml(root / "client.yml")["screening"]
    assert saved == {"key_accounts": 25, "weights": {"sales": 0.45, "margin": 0.2}, "max_late_share": 0.5}
    assert first != second and first.read_text(encoding="utf-8") == commented
    assert io.read_yaml(second)["screening"]["weights"]["sales"] == 0.45
    assert sorted((root / "history").iterdir()) == sorted([first, second])


def test_a_save_that_breaks_client_yml_is_refused_and_writes_nothing(tmp_path):
    root = write_workspace(tmp_path / "acme", {}, CONFIG)
    before = (root / "client.yml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="screening"):
        save_stage_settings(root, "screening", {"no_such_setting": 1})
    assert (root / "client.yml").read_text(encoding="utf-8") == before
    assert not (root / "history").exists()


def test_overrides_default_to_empty(tmp_path):
    assert load_overrides(tmp_path).empty


def test_demo_workspace_validates_cleanly(demo_workspace):
    workspace = load_workspace(demo_workspace)
    assert workspace.intake.problems == []
    assert set(workspace.tables) == {
        "customers",
        "sales",
        "receivables",
        "cost_to_serve",
        "assessments",
        "surveys",
        "market",
        "team",
        "lost_customers",
    }
    kept = workspace.intake.sources_table().set_index("table")
    assert (kept["rows read"] == kept["rows kept"]).all()
    assert (demo_workspace / "inputs" / "team.xlsx").exists()


def test_intake_cache_is_used_until_an_input_changes(tmp_path):
    from kamtools.workspace import open_client, save_intake_cache

    root = write_workspace(
        tmp_path / "acme",
        {
            "customers.csv": "customer_id,name\nC1,Alpha\nC2,Beta\n",
            "sales.csv": 'invoice_date,customer_id,net_sales\n2025-05-01, C1,"1,200"\n2025-06-01,C2,50\n',
        },
        CONFIG,
    )
    validated = load_workspace(root)
    cache = save_intake_cache(validated, tmp_path / "run")
    cached = open_client(str(root), cache_dir=str(tmp_path / "run"))
    for name, frame in validated.tables.items():
        pd.testing.assert_frame_equal(cached.tables[name], frame, check_dtype=False)
    assert cached.intake.repairs == validated.intake.repairs
    # The cache, not the files, answers while the inputs are unchanged ...
    marked = validated.tables["sales"].assign(net_sales=[1.0, 2.0])
    marked.to_parquet(cache / "sales.parquet", index=False)
    assert open_client(str(root), cache_dir=str(tmp_path / "run")).tables["sales"]["net_sales"].tolist() == [
        1,
        2,
    ]
    # ... and is ignored as soon as an input file changes.
    (root / "inputs" / "sales.csv").write_text(
        "invoice_date,customer_id,net_sales\n2025-05-01,C1,7\n", encoding="utf-8"
    )
    fresh = open_client(str(root), cache_dir=str(tmp_path / "run"))
    assert fresh.tables["sales"]["net_sales"].tolist() == [7.0]


def test_open_client_reads_only_the_columns_a_stage_chooses(tmp_path):
    from kamtools.stages.screening import sales_columns
    from kamtools.workspace import open_client, save_intake_cache

    root = write_workspace(
        tmp_path / "acme",
        {
            "customers.csv": "customer_id,name\nC1,Alpha\nC2,Beta\n",
            "sales.csv": "invoice_date,customer_id,net_sales,product,category,quantity\n"
            "2025-05-01,C1,120,P1,tools,3\n2025-06-01,C2,50,P2,paint,1\n",
        },
        CONFIG,
    )
    validated = load_workspace(root)
    assert {"product", "quantity"} <= set(validated.tables["sales"].columns)
    save_intake_cache(validated, tmp_path / "run")
    chosen = {"sales": sales_columns}
    for cache_dir in (str(tmp_path / "run"), ""):  # from the cache, and validated afresh
        client = open_client(str(root), cache_dir=cache_dir, columns=chosen)
        sales = client.tables["sales"]
        assert list(sales.columns) == ["invoice_date", "customer_id", "net_sales", "category"]
        full = validated.tables["sales"]
        pd.testing.assert_frame_equal(sales, full[list(sales.columns)], check_dtype=False)
        pd.testing.assert_frame_equal(
            client.tables["customers"], validated.tables["customers"], check_dtype=False
        )


def test_open_client_stops_on_data_problems(tmp_path):
    from kamtools.workspace import open_client

    root = write_workspace(tmp_path / "acme", {"customers.csv": "customer_id,name\nC1,A\n"}, CONFIG)
    with pytest.raises(ConfigError, match=r"1 problem\(s\):\n- sales.csv: file not found"):
        open_client(str(root))
