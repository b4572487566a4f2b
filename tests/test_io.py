"""Reading client files as text: encodings, delimiters, Excel, Parquet, atomic writes."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from kamtools import io

TEXT = "id;name;amount\nC1;Müller & Söhne;1.234,50\nC2;Ôtel Zürich;99,00\n"


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("latin-1", b"")],
    ids=["utf8", "utf8-bom", "cp1252", "latin1"],
)
def test_csv_encodings_and_semicolons_are_detected(tmp_path, encoding, prefix):
    path = tmp_path / "customers.csv"
    path.write_bytes(prefix + TEXT.encode(encoding))
    frame = io.read_raw_table(path)
    assert list(frame.columns) == ["id", "name", "amount"]
    assert frame.loc[0, "name"] == "Müller & Söhne"
    assert frame.loc[0, "amount"] == "1.234,50"


def test_gbk_csv_is_read(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("客户编号,名称\nC1,北京建材有限公司\n".encode("gbk"))
    frame = io.read_raw_table(path)
    assert frame.iloc[0].tolist() == ["C1", "北京建材有限公司"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_delimiters(tmp_path, delimiter):
    path = tmp_path / "t.csv"
    path.write_text(delimiter.join(["a", "b"]) + "\n" + delimiter.join(["1", "x y"]) + "\n", encoding="utf-8")
    assert io.read_raw_table(path).to_dict("records") == [{"a": "1", "b": "x y"}]


def test_gzip_csv(tmp_path):
    path = tmp_path / "sales.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("a,b\n1,2\n")
    assert io.read_raw_table(path).to_dict("records") == [{"a": "1", "b": "2"}]


def test_xlsx_and_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "amount": [1.5, 2.0]})
    io.write_table(frame, tmp_path / "t.xlsx")
    io.write_table(frame, tmp_path / "t.parquet")
    from_excel = io.read_raw_table(tmp_path / "t.xlsx")
    assert from_excel["customer_id"].tolist() == ["C1", "C2"]
    assert from_excel["amount"].tolist() == ["1.5", "2"]
    pd.testing.assert_frame_equal(io.read_raw_table(tmp_path / "t.parquet"), frame)


def test_empty_csv_reads_as_empty_frame(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    assert io.read_raw_table(path).empty


@pytest.mark.parametrize("name", ["missing.csv", "notes.docx"], ids=["missing", "unsupported"])
def test_unreadable_files_raise_input_file_error(tmp_path, name):
    if name.endswith(".docx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    with pytest.raises(io.InputFileError) as info:
        io.read_raw_table(tmp_path / name)
    assert info.value.file == name


def test_write_yaml_keeps_previous_version(tmp_path):
    path = tmp_path / "client.yml"
    io.write_yaml(path, {"a": 1})
    previous = io.write_yaml(path, {"a": 2})
    assert io.read_yaml(path) == {"a": 2}
    assert previous is not None and io.read_yaml(previous) == {"a": 1}


def test_atomic_write_leaves_target_untouched_on_failure(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("finished report", encoding="utf-8")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "finished report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_fingerprint_changes_with_content(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n", encoding="utf-8")
    b.write_text("x\n2\n", encoding="utf-8")
    assert io.file_fingerprint(a) != io.file_fingerprint(b)
    assert len(io.file_fingerprint(a)) == 16


YAML_VALUES = (
    "client: Müller & Söhne\nperiod: 2027\nstart: 2026-04-01\nshare: 0.25\nnone: ~\nflag: yes\n"
    "accounts:\n  - {id: C1, goals: [1, 2.5, '3']}\n  - id: 'C2'\n    note: |\n      two\n      lines\n"
)
BROKEN_YAML = [
    "accounts: [unclosed\n",
    "a: 1\n  b: 2\n",
    "a:\n\t- 1\n",
    "key: 'unterminated\n",
    "a: 1\na: *unknown\n",
    "- [1, 2\n- 3\n",
    "bad: \x07 control\n",
]


def test_yaml_is_read_with_libyaml_and_gives_pyyaml_values(tmp_path):
    import yaml

    from kamtools.io import stores

    assert stores._FAST_SAFE_LOADER is not None  # PyYAML's wheels ship libyaml: the fast path runs
    path = tmp_path / "plan.yml"
    path.write_text(YAML_VALUES, encoding="utf-8")
    assert io.read_yaml(path) == yaml.safe_load(YAML_VALUES)
    assert io.read_yaml(path)["start"].isoformat() == "2026-04-01"


@pytest.mark.parametrize("text", BROKEN_YAML)
def test_broken_yaml_gives_pyyaml_message_with_its_place(text):
    import yaml

    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    with pytest.raises(io.InputFileError) as raised:
        io.parse_yaml_text(text, name="client.yml")
    assert str(raised.value) == str(io.InputFileError("client.yml", f"is not valid YAML: {pure.value}"))
    assert "line" in str(raised.value) or "position" in str(raised.value)


def test_input_memory_allocates_from_jemalloc_and_sets_the_default_pool_back(tmp_path):
    import pyarrow as pa

    try:
        jemalloc = pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without jemalloc")
    before = pa.default_memory_pool().backend_name
    with pytest.raises(RuntimeError), io.input_memory():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        with io.input_memory():
            pass
        assert pa.default_memory_pool().backend_name == "jemalloc"  # a nested use sets back its own
        raise RuntimeError("inside")
    assert pa.default_memory_pool().backend_name == before
    path = tmp_path / "sales.csv"
    path.write_text("a,b\n" + "".join(f"x{i},{i}\n" for i in range(50_000)), encoding="utf-8")
    held = jemalloc.bytes_allocated()
    frame = io.read_raw_table(path)
    assert jemalloc.bytes_allocated() > held + 500_000  # the columns read live in jemalloc's pool
    assert frame["a"].iloc[-1] == "x49999" and pa.default_memory_pool().backend_name == before


def test_read_parquet_reads_the_cache_in_jemalloc_as_pandas_reads_it(tmp_path):
    import pyarrow as pa

    try:
        jemalloc = pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without jemalloc")
    n = 60_000
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{i % 997}" for i in range(n)], dtype="str"),
            "invoice_date": pd.date_range("2024-01-01", periods=n, freq="min").astype("datetime64[ns]"),
            "net_sales": [i / 7 for i in range(n)],
            "note": pd.Series(["x"] * n, dtype="str"),
        }
    )
    path = tmp_path / "sales.parquet"
    frame.to_parquet(path, index=False)
    before = pa.default_memory_pool().backend_name
    held = jemalloc.bytes_allocated()
    whole = io.read_parquet(path)
    assert jemalloc.bytes_allocated() > held + 500_000 and pa.default_memory_pool().backend_name == before
    pd.testing.assert_frame_equal(whole, pd.read_parquet(path), check_exact=True)
    narrow = io.read_parquet(path, columns=lambda names: [c for c in names if c != "note"])
    pd.testing.assert_frame_equal(narrow, pd.read_parquet(path).drop(columns="note"), check_exact=True)
