"""The benchmark harness runs from one command and prints its table (tiny dealer, no timing checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_prints_its_table_on_a_tiny_dealer(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--lines",
            "15000",
            "--repeat",
            "1",
            "--no-demo",
            "--peer-python",
            str(tmp_path / "no-peer-here"),
            "--data-dir",
            str(tmp_path / "data"),
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for label in (
        "intake, CSV (read + validate)",
        "intake, Parquet (read + validate)",
        "screening metrics, both periods, from Parquet",
        "same aggregates",
        "whole screening analysis (screen_client)",
        "workshop re-rank (score + tier)",
        "ratio kamtools / DuckDB SQL",
    ):
        assert label in table, label
    assert "failed" not in table
    assert " GB |" in table and "cores" in table
    written = results.read_text(encoding="utf-8")
    assert "# Benchmark results" in written and "screening metrics" in written
    # The peer is optional: its rows are left out, not faked.
    assert "| openretailscience |" not in table


def test_scaled_dealer_is_deterministic_and_unique_across_blocks(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pandas as pd
    from dealer import block_plan, ensure_dealer

    assert block_plan(10_000_000)[0] * block_plan(10_000_000)[1] > 50_000
    first = ensure_dealer(16_000, data_dir=tmp_path / "a")
    again = ensure_dealer(16_000, data_dir=tmp_path / "b")
    a = pd.read_parquet(first.file("sales.parquet"))
    b = pd.read_parquet(again.file("sales.parquet"))
    pd.testing.assert_frame_equal(a, b)
    assert first.lines == len(a) == len(pd.read_csv(first.file("sales.csv")))
    customers = pd.read_parquet(first.file("customers.parquet"))
    assert customers["customer_id"].is_unique and set(a["customer_id"]) <= set(customers["customer_id"])


@pytest.mark.parametrize(
    ("script", "arguments", "code"),
    [("tasks.py", ["no-such-task", "."], 2), ("dealer.py", ["16000", "--data-dir", "{tmp}"], 0)],
)
def test_benchmark_processes_end_without_interpreter_teardown(tmp_path, script, arguments, code):
    # A finished task once aborted in Python's teardown ("terminate called without an active
    # exception": finalisation racing Arrow's and DuckDB's native thread pools). The scripts
    # now end with os._exit after flushing, so no atexit handler (part of that teardown) runs.
    marker = tmp_path / "teardown-ran"
    argv = [str(ROOT / "benchmarks" / script), *(a.format(tmp=tmp_path) for a in arguments)]
    probe = (
        "import atexit, runpy, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        f"sys.argv = {argv!r}\n"
        f"runpy.run_path({argv[0]!r}, run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == code, done.stderr[-2000:]
    assert done.stdout or done.stderr  # what it printed was flushed before the end
    assert not marker.exists()


def test_every_run_starts_with_the_dealers_files_read_through(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import read_through

    (tmp_path / "parquet").mkdir()
    (tmp_path / "sales.csv").write_bytes(b"x" * (40 << 20))  # more than one 16 MB chunk
    (tmp_path / "parquet" / "client.yml").write_text("name: dealer\n", encoding="utf-8")
    assert read_through(tmp_path) == (40 << 20) + len("name: dealer\n")
