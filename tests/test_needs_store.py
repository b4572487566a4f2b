"""The workshop's assessment history: appends only, survives crashes and concurrent writers.

The concurrency tests run real processes against one file: no mocks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from kamtools import io
from kamtools.stages.needs import store
from kamtools.stages.needs.indicators import latest_scores

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kamtools.stages.needs.store import save_assessment

    workspace, writer, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    i = 0
    while count == 0 or i < count:
        save_assessment(workspace, f"C{i:04d}", {"network": 1 + i % 5, "people": 3},
                        assessor=writer, note=f"entry {i}, with a comma")
        print(i, flush=True)
        i += 1
    """
)


def writer(workspace: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(workspace), name, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_every_save_appends_with_timestamp_and_assessor(tmp_path):
    first = datetime(2025, 11, 3, 9, 30, 15, 123, tzinfo=UTC)
    assert (
        store.save_assessment(tmp_path, "C1", {"network": 2, "people": 4}, assessor="Ann", saved_at=first)
        == 2
    )
    later = datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
    total = store.save_assessment(
        tmp_path, "C1", {"network": 3.5}, assessor="Ann", note="corrected", saved_at=later
    )
    assert total == 3
    raw = store.read_assessment_store(tmp_path)
    assert list(raw.columns) == store.STORE_COLUMNS
    assert raw.values.tolist() == [
        ["C1", "network", "2", "Ann", "2025-11-03", "", "2025-11-03T09:30:15Z"],
        ["C1", "people", "4", "Ann", "2025-11-03", "", "2025-11-03T09:30:15Z"],
        ["C1", "network", "3.5", "Ann", "2025-11-03", "corrected", "2025-11-03T10:00:00Z"],
    ]
    # The full history stays; the report uses the latest score per assessor.
    latest = latest_scores(store.parse_assessment_store(raw))
    assert latest[["indicator", "score"]].values.tolist() == [["network", 3.5], ["people", 4.0]]


@pytest.mark.parametrize(
    ("scores", "assessor", "message"),
    [
        ({"network": 6}, "Ann", "from 1 to 5"),
        ({"network": True}, "Ann", "from 1 to 5"),
        ({"network": 3}, "  ", "assessor's name is required"),
        ({}, "Ann", "no score"),
        ({"grit": 3}, "Ann", "unknown indicator 'grit'"),
    ],
    ids=["too-high", "bool", "no-assessor", "empty", "unknown-indicator"],
)
def test_a_wrong_entry_is_refused_and_nothing_is_written(tmp_path, scores, assessor, message):
    with pytest.raises(store.AssessmentError, match=message):
        store.save_assessment(tmp_path, "C1", scores, assessor=assessor, indicators=["network", "people"])
    assert not store.store_path(tmp_path).exists()


def test_concurrent_writers_never_lose_an_entry(tmp_path):
    processes = [writer(tmp_path, f"writer {n}", 25) for n in range(4)]
    for process in processes:
        assert process.wait(timeout=120) == 0
    raw = store.read_assessment_store(tmp_path)
    assert len(raw) == 4 * 25 * 2
    keys = raw[raw["indicator"] == "network"][["assessor", "customer_id"]].apply(tuple, axis=1)
    assert set(keys) == {(f"writer {n}", f"C{i:04d}") for n in range(4) for i in range(25)}
    assert not keys.duplicated().any()
    assert (
        store.check_assessment_store(
            raw, known_customers=raw["customer_id"], indicators=["network", "people"]
        )
        == []
    )


def test_a_writer_killed_mid_save_never_corrupts_the_history(tmp_path):
    # A long history makes each save take a while, so the kill lands inside a write.
    history = pd.DataFrame({c: ["x"] * 20000 for c in store.STORE_COLUMNS}).assign(
        score="3", saved_at="2025-01-01T00:00:00Z", indicator="network", assessor="old"
    )
    io.append_csv_rows(store.store_path(tmp_path), history)
    for _ in range(3):
        process = writer(tmp_path, "victim", 0)
        acknowledged = -1
        while acknowledged < 5:
            acknowledged = int(process.stdout.readline())
        time.sleep(0.01 * (acknowledged % 7))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        raw = store.read_assessment_store(tmp_path)
        victim = raw[raw["assessor"] == "victim"]
        # Every acknowledged save is there, each save complete (both of its indicators).
        assert len(victim) % 2 == 0 and len(victim) // 2 >= acknowledged + 1
        assert (victim["note"].str.startswith("entry ")).all()
        assert (raw["assessor"] == "old").sum() == 20000
    # The lock died with the writer: the next save goes through and cleans its temporary file.
    store.save_assessment(tmp_path, "C9", {"network": 4}, assessor="Ann")
    assert not list(tmp_path.glob("workshop/.assessments.csv.*.tmp"))
    assert store.read_assessment_store(tmp_path)["assessor"].iloc[-1] == "Ann"


def test_a_history_with_other_columns_is_refused(tmp_path):
    path = store.store_path(tmp_path)
    path.parent.mkdir()
    path.write_text("customer_id,score\nC1,3\n", encoding="utf-8")
    with pytest.raises(io.InputFileError, match="nothing was saved"):
        store.save_assessment(tmp_path, "C1", {"network": 3}, assessor="Ann")
    assert path.read_text(encoding="utf-8") == "customer_id,score\nC1,3\n"


def test_check_names_rows_and_columns_of_bad_entries(tmp_path):
    raw = pd.DataFrame(
        [
            ["C1", "network", "3", "Ann", "2025-11-03", "", "2025-11-03T09:30:15Z"],
            ["C7", "grit", "9", "", "2025-11-03", "", "yesterday"],
        ],
        columns=store.STORE_COLUMNS,
    )
    problems = store.check_assessment_store(raw, known_customers=["C1"], indicators=["network"])
    assert [(p.column, p.rows) for p in problems] == [
        ("customer_id", (3,)),
        ("indicator", (3,)),
        ("score", (3,)),
        ("assessor", (3,)),
        ("saved_at", (3,)),
    ]
    assert (
        str(problems[0])
        == "assessments.csv, row 3, column 'customer_id': customer not found in the customer master"
        " (e.g. 'C7')"
    )
    missing = store.check_assessment_store(
        raw.drop(columns="assessor"), known_customers=["C1"], indicators=["network"]
    )
    assert "missing column(s) assessor" in missing[0].message


def test_combined_assessments_put_the_workshop_after_the_inputs():
    inputs = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "indicator": ["network"],
            "score": [2.0],
            "assessor": ["Ann"],
            "date": [pd.Timestamp("2025-10-01")],
        }
    )
    history = store.parse_assessment_store(
        pd.DataFrame(
            [["C1", "network", "4", "Ann", "2025-11-03", "", "2025-11-03T09:30:15Z"]],
            columns=store.STORE_COLUMNS,
        )
    )
    latest = latest_scores(store.combined_assessments(inputs, history))
    assert latest["score"].tolist() == [4.0]
