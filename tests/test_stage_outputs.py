"""Stage outputs written and read through io against their contracts (kamtools.contract.OUTPUTS)."""

from __future__ import annotations

import pandas as pd
import pytest

from kamtools import io
from kamtools.contract import CUSTOMER_TIERS, KEY_ACCOUNTS, OUTPUTS


def key_accounts(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["Alpha", '=HYPERLINK("x")'],
            "tier": ["key", "growth"],
            "rank": [1, 1],
            "score": [91.5, 60.0],
            "sales": [1200.0, 300.0],
            "gross_profit": [300.0, None],
            "margin": [0.25, None],
            "account_manager": ["J. Smith", ""],
            "reason": ["top customer", "growing fast"],
            "growth_pct": [0.1, 2.5],
        }
    )
    return frame.assign(**changes)


def test_written_outputs_read_back_typed_and_exact(tmp_path):
    run = tmp_path / ".work-20261201-090000"
    paths = io.write_stage_output(key_accounts(), run, KEY_ACCOUNTS)
    assert [p.name for p in paths] == ["key_accounts.csv", "key_accounts.xlsx"]
    back = io.read_stage_output(run, KEY_ACCOUNTS)
    assert back.columns.tolist()[:10] == KEY_ACCOUNTS.column_names and "growth_pct" in back
    assert back["name"].tolist() == ["Alpha", '=HYPERLINK("x")']  # neutralised on disk, exact here
    assert back["rank"].tolist() == [1, 1] and back["score"].dtype == "float64"
    assert pd.isna(back.loc[1, "margin"]) and back.loc[1, "account_manager"] == ""


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (key_accounts().drop(columns="tier"), "missing column(s) 'tier'"),
        (key_accounts(tier=["key", "maintain"]), "row 3, column 'tier': not one of key, growth"),
        (key_accounts(rank=[1, 1.5]), "row 3, column 'rank': not an integer"),
        (key_accounts(customer_id=["C1", "C1"]), "rows 2, 3: more than one row per customer_id"),
        (key_accounts(reason=["ok", ""]), "row 3, column 'reason': empty"),
    ],
    ids=["no-tier", "bad-tier", "rank", "twice", "no-reason"],
)
def test_an_output_that_breaks_its_contract_is_never_written(tmp_path, frame, message):
    run = tmp_path / "20261201-090000"
    with pytest.raises(io.StageOutputError) as refused:
        io.write_stage_output(frame, run, KEY_ACCOUNTS)
    assert str(refused.value).startswith("run 20261201-090000, key_accounts.csv: ")
    assert message in str(refused.value)
    assert not (run / "key_accounts.csv").exists()


def test_the_reader_names_the_run_and_the_file(tmp_path):
    run = tmp_path / "20261201-090000"
    run.mkdir()
    with pytest.raises(io.StageOutputError, match=r"^run 20261201-090000, key_accounts.csv: not found"):
        io.read_stage_output(run, KEY_ACCOUNTS)
    (run / "key_accounts.csv").write_text("customer_id,name\nC1,Alpha\n", encoding="utf-8")
    with pytest.raises(io.StageOutputError, match=r"key_accounts.csv: missing column\(s\) 'tier', 'rank'"):
        io.read_stage_output(run, KEY_ACCOUNTS)
    key_accounts().to_csv(run / "key_accounts.csv", index=False)
    text = (run / "key_accounts.csv").read_text(encoding="utf-8").replace("91.5", "lots")
    (run / "key_accounts.csv").write_text(text, encoding="utf-8")
    with pytest.raises(io.StageOutputError, match=r"row 2, column 'score': not a number"):
        io.read_stage_output(run, KEY_ACCOUNTS)


def test_every_output_contract_says_what_one_row_is():
    assert set(OUTPUTS) >= {"key_accounts", "customer_tiers"}
    for table in OUTPUTS.values():
        assert table.unique_key and set(table.unique_key) <= set(table.column_names), table.name
    assert CUSTOMER_TIERS.required_columns == ["customer_id", "name", "tier", "sales", "reason"]


def test_stage_outputs_write_the_csv_first_and_the_same_workbooks_after(tmp_path):
    at_once, deferred = tmp_path / "at_once", tmp_path / "deferred"
    at_once.mkdir()
    deferred.mkdir()
    frame = key_accounts()[["growth_pct", *KEY_ACCOUNTS.column_names]]  # declared columns come first
    review = pd.DataFrame({"customer_id": ["C1"], "name": ["+SUM(1)"], "sales": [12.345]})
    io.write_stage_output(frame, at_once, KEY_ACCOUNTS, currency="EUR")
    io.write_stage_table(review, at_once, "review_accounts", currency="EUR")
    outputs = io.StageOutputs(deferred, currency="EUR")
    assert outputs.write(frame, KEY_ACCOUNTS) == deferred / "key_accounts.csv"
    outputs.write_table(review, "review_accounts")
    outputs.write(key_accounts(tier="key", customer_id=["C3", "C4"]), CUSTOMER_TIERS, workbook=False)
    # What the next stages read is there at once; the workbooks are not yet.
    assert sorted(p.name for p in deferred.iterdir()) == [
        "customer_tiers.csv",
        "key_accounts.csv",
        "review_accounts.csv",
    ]
    assert io.read_stage_output(deferred, KEY_ACCOUNTS).equals(io.read_stage_output(at_once, KEY_ACCOUNTS))
    written = outputs.write_workbooks()
    assert [p.name for p in written] == ["key_accounts.xlsx", "review_accounts.xlsx"]
    assert outputs.write_workbooks() == []  # each workbook once
    for name in ("key_accounts.csv", "key_accounts.xlsx", "review_accounts.csv", "review_accounts.xlsx"):
        assert (deferred / name).read_bytes() == (at_once / name).read_bytes(), name


def test_stage_outputs_refuse_a_table_that_breaks_its_contract(tmp_path):
    outputs = io.StageOutputs(tmp_path)
    with pytest.raises(io.StageOutputError, match=r"key_accounts\.csv: missing column"):
        outputs.write(key_accounts().drop(columns="tier"), KEY_ACCOUNTS)
    assert list(tmp_path.iterdir()) == [] and outputs.write_workbooks() == []
