"""One measurement of the benchmark, run in a process of its own by ``benchmarks/run.py``.

    python benchmarks/tasks.py TASK FOLDER

``FOLDER`` is a scaled dealer of :mod:`dealer` (or, for ``demo-run``, a scratch folder). The task
does its work once, times it with ``time.perf_counter`` (imports and the interpreter's start are
not timed: they are the same for every engine) and prints one JSON line on stdout: ``seconds``,
``rows`` (what it read), ``out`` (rows it produced) and ``note``. The parent reads the process's
peak memory from the operating system when it ends, so each figure's RSS is that of the whole
process: data, engine and Python.

Tasks run by the kamtools environment (``.venv``): ``intake-csv``, ``intake-parquet``,
``metrics``, ``screen``, ``kam-rfm``, ``kam-hml``, ``prepare-rank``, ``workshop``, ``demo-run``;
by any environment with DuckDB: ``duckdb-csv``, ``duckdb-metrics``; by the peer's environment
(``.venv-bench``, openretailscience): ``peer-rfm``, ``peer-hml``, ``peer-rank``. The peer and
DuckDB tasks never import kamtools, so they run where kamtools' own dependencies differ.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

START_MONTH = 4  # the demo dealer's fiscal year starts in April
CURRENT, PREVIOUS = 2026, 2025
RANK_CUSTOMERS = 50_000  # customers re-ranked by the workshop (the size)
RANK_FILE = "rank_metrics.parquet"  # per-customer metrics of those customers, for both rankings
WORKSHOP_FILE = "workshop-periods.pkl"  # both periods of their screening, for the workshop's re-rank
WORKSHOP_MOVES = 3  # median of three slider moves
RFM_COLUMNS = ["invoice_date", "customer_id", "net_sales", "invoice_id"]


def _result(seconds: float, *, rows: int = 0, out: int = 0, note: str = "", **extra: Any) -> dict[str, Any]:
    return {"seconds": seconds, "rows": rows, "out": out, "note": note, **extra}


def _window_bounds() -> dict[str, pd.Timestamp]:
    """The screened windows of the scaled dealer: fiscal 2026 against 2025 (April to March)."""
    current_start = pd.Timestamp(CURRENT - 1, START_MONTH, 1)
    return {
        "current_start": current_start,
        "current_end": pd.Timestamp(CURRENT, START_MONTH, 1) - pd.Timedelta(days=1),
        "previous_start": current_start - pd.DateOffset(years=1),
        "previous_end": current_start - pd.Timedelta(days=1),
    }


# --- kamtools -------------------------------------------------------------------------------


def _window(sales: pd.DataFrame):
    from kamtools.periods import comparison_window

    return comparison_window(
        sales["invoice_date"], current=CURRENT, previous=PREVIOUS, start_month=START_MONTH
    )


def intake(folder: Path, kind: str) -> dict[str, Any]:
    """``load_workspace`` of the sales-only workspace: read, map and validate every line."""
    from kamtools.workspace import load_workspace

    started = time.perf_counter()
    loaded = load_workspace(folder / kind)
    seconds = time.perf_counter() - started
    rows = sum(source.rows_read for source in loaded.intake.sources)
    problems = f"{len(loaded.intake.problems)} problems"
    return _result(seconds, rows=rows, out=len(loaded.tables["sales"]), note=problems)


def _screening_metrics(sales: pd.DataFrame, receivables: pd.DataFrame, customers: pd.DataFrame):
    """Every per-customer measure of the screening, for this period and the previous one."""
    from kamtools.stages.screening import ScreeningSettings, period_measures

    window = _window(sales)
    # As screen_client does: both periods' customer metrics from one pass over the lines, and
    # their payment behaviour from one reading of the receivables beside it.
    tables = {"sales": sales, "receivables": receivables, "customers": customers}
    return period_measures(tables, windows=[window, window.shifted(1)], settings=ScreeningSettings())


def _read_sales(path: Path) -> pd.DataFrame:
    """The sales columns the screening reads (``screening.sales_columns``), as its notebook
    reads them from the intake cache (``open_client(..., columns=...)``: ``io.read_parquet``)."""
    from kamtools import io
    from kamtools.stages.screening import sales_columns

    return io.read_parquet(path, columns=sales_columns)


def _read_receivables(path: Path) -> pd.DataFrame:
    """The receivables columns the screening reads (``screening.receivables_columns``), as its
    notebook reads them from the intake cache."""
    from kamtools import io
    from kamtools.stages.screening import receivables_columns

    return io.read_parquet(path, columns=receivables_columns)


def _read_table(path: Path) -> pd.DataFrame:
    """A whole table, as the notebooks read it from the intake cache (``io.read_parquet``)."""
    from kamtools import io

    return io.read_parquet(path)


def metrics(folder: Path) -> dict[str, Any]:
    """Read the Parquet files and compute all screening metrics of both periods."""
    started = time.perf_counter()
    sales = _read_sales(folder / "sales.parquet")
    receivables = _read_receivables(folder / "receivables.parquet")
    customers = _read_table(folder / "customers.parquet")
    periods = _screening_metrics(sales, receivables, customers)
    seconds = time.perf_counter() - started
    return _result(seconds, rows=len(sales), out=sum(len(m) + len(p) for m, p in periods))


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    files = [path for path in sorted(folder.glob("*.parquet")) if path.name != RANK_FILE]
    readers = {"sales": _read_sales, "receivables": _read_receivables}
    return {path.stem: readers.get(path.stem, _read_table)(path) for path in files}


def screen(folder: Path) -> dict[str, Any]:
    """The whole screening analysis (``screen_client``: both periods, scoring, movement)."""
    import warnings

    from kamtools.stages.screening import screen_client

    started = time.perf_counter()
    tables = _tables(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = screen_client(tables, start_month=START_MONTH, period=CURRENT)
    seconds = time.perf_counter() - started
    key = int((result.current.scored["tier"] == "key").sum())
    scored = len(result.current.scored)
    return _result(seconds, rows=len(tables["sales"]), out=scored, note=f"{key} key accounts")


def kam_rfm(folder: Path) -> dict[str, Any]:
    """Per-customer recency, frequency and sales (``customer_metrics``) from the Parquet file."""
    from kamtools.stages.screening import customer_metrics

    started = time.perf_counter()
    sales = pd.read_parquet(folder / "sales.parquet", columns=RFM_COLUMNS)
    result = customer_metrics(sales, window=_window(sales))
    seconds = time.perf_counter() - started
    return _result(seconds, rows=len(sales), out=len(result))


def kam_hml(folder: Path) -> dict[str, Any]:
    """Pareto classes of the customers by sales: ``customer_sales`` then ``abc_classes``.

    The same file and columns as the peer's heavy / medium / light, and the same kind of
    result: one row per customer with its class. ``customer_sales`` is the per-customer input
    the concentration analyses take (sales in the current window and the buying status).
    """
    from kamtools.analytics.concentration import abc_classes, customer_sales

    started = time.perf_counter()
    sales = pd.read_parquet(folder / "sales.parquet", columns=["invoice_date", "customer_id", "net_sales"])
    classes = abc_classes(customer_sales(sales, window=_window(sales)))
    seconds = time.perf_counter() - started
    return _result(seconds, rows=len(sales), out=len(classes))


def prepare_rank(folder: Path) -> dict[str, Any]:
    """Untimed preparation: both periods' screening of the first 50,000 customers, for both rankings."""
    import pickle
    import warnings

    from kamtools.stages.screening import screen_period

    tables = _tables(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        current = screen_period(tables, start_month=START_MONTH, period=CURRENT)
        previous = screen_period(tables, start_month=START_MONTH, window=current.window.shifted(1))
    keep = sorted(current.metrics["customer_id"])[:RANK_CUSTOMERS]
    periods = []
    for screening in (current, previous):
        subset: dict[str, Any] = {"window": screening.window}
        for name in ("metrics", "payments", "qualitative"):
            frame = getattr(screening, name)
            subset[name] = frame[frame["customer_id"].isin(keep)].reset_index(drop=True)
        periods.append(subset)
    state = {
        "periods": periods,
        "market": tables.get("market"),
        "cost_to_serve": tables.get("cost_to_serve"),
        "team": tables.get("team"),
    }
    (folder / WORKSHOP_FILE).write_bytes(pickle.dumps(state))
    periods[0]["metrics"].to_parquet(folder / RANK_FILE, index=False)
    return _result(0.0, out=len(keep))


def _workshop_panel(state: Mapping[str, Any]):
    """The workshop panel over the prepared customers, as ``01_screening`` builds it (untimed)."""
    from kamtools.stages.screening import (
        PeriodScreening,
        ScreeningSettings,
        apply_overrides,
        final_tiers,
        score_customers,
        team_capacity,
    )
    from kamtools.stages.screening.workshop import ScreeningWorkshop

    settings = ScreeningSettings()
    screened = []
    for period in state["periods"]:
        scored = score_customers(
            period["metrics"],
            settings=settings,
            window=period["window"],
            payments=period["payments"],
            qualitative=period["qualitative"],
            market=state["market"],
            cost_to_serve=state["cost_to_serve"],
        )
        screened.append(
            PeriodScreening(
                window=period["window"],
                metrics=period["metrics"],
                payments=period["payments"],
                qualitative=period["qualitative"],
                scored=scored,
                weights=scored.attrs["weights"],
                dropped=scored.attrs["dropped_criteria"],
            )
        )
    current, previous = screened
    team = state["team"]
    capacity = (
        team_capacity(team, manager_load=settings.manager_load) if team is not None and len(team) else None
    )
    final = final_tiers(current.scored, previous.scored, settings=settings, capacity=capacity)
    return ScreeningWorkshop(
        dataclasses.replace(
            current, scored=apply_overrides(final, None, max_overrides=settings.max_overrides)
        ),
        settings=settings,
        previous=previous,
        team=team,
        market=state["market"],
        cost_to_serve=state["cost_to_serve"],
    )


def workshop(folder: Path) -> dict[str, Any]:
    """Median time of a workshop move: what the panel does when a weight slider is released.

    The panel's own re-rank (:meth:`ScreeningWorkshop.rescore`): both periods re-scored with the
    new weights, last period's key accounts and the growth cap applied, the overrides, and the
    reasons of the listed accounts. ``lists`` (the HTML of counts, changes and lists) is timed
    beside it; the chart is not (it is drawn in the browser test).
    """
    import pickle
    import warnings

    state = pickle.loads((folder / WORKSHOP_FILE).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        panel = _workshop_panel(state)
        seconds, lists = [], []
        slider = panel.weight_sliders["margin"]
        for _move in range(WORKSHOP_MOVES):
            slider.value = round(slider.value + 0.05, 2)  # as a release does: re-rank, lists, chart
            seconds.append(panel.timings["rescore"])
            lists.append(panel.timings["table"])
    key = int((panel.scored["tier"] == "key").sum())
    return _result(
        statistics.median(seconds),
        rows=len(panel.scored),
        out=len(panel.scored),
        note=f"{key} key accounts",
        lists=statistics.median(lists),
    )


def demo_run(folder: Path) -> dict[str, Any]:
    """``kam run demo`` (all stages) and its floor, in a scratch folder; see ``bench_run.py``."""
    import contextlib
    import io

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_run

    from kamtools import cli
    from kamtools.runner import available_stages, ensure_kernel

    stages = available_stages()
    clients_dir = folder / "clients"
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["--clients-dir", str(clients_dir), "demo"])
    ensure_kernel()
    timing = bench_run.time_run("demo", clients_dir=clients_dir, reports_dir=folder / "reports")
    if timing.exit_code != 0:
        raise SystemExit(f"kam run demo failed with exit code {timing.exit_code}")
    notebooks = bench_run.write_floor_notebooks(folder / "floor", len(stages))
    floor = bench_run.time_floor(notebooks, folder / "floor" / "out")
    return _result(timing.seconds, floor=floor.seconds, note=f"{len(stages)} stages: {', '.join(stages)}")


# --- DuckDB (the reference) -----------------------------------------------------------------


def duckdb_csv(folder: Path) -> dict[str, Any]:
    """DuckDB's ``read_csv`` of the sales file into a table (types detected by DuckDB)."""
    import duckdb

    connection = duckdb.connect()
    started = time.perf_counter()
    connection.execute(f"CREATE TABLE sales AS SELECT * FROM read_csv('{folder / 'sales.csv'}')")
    seconds = time.perf_counter() - started
    rows = connection.execute("SELECT count(*) FROM sales").fetchone()[0]
    return _result(seconds, rows=rows, out=rows)


_METRICS_SQL = """
WITH lines AS (
    SELECT customer_id, CAST(invoice_date AS DATE) AS d, net_sales AS a, net_sales - cost AS p,
           invoice_id AS o, category AS i,
           d BETWEEN $cs AND $ce AS cur, d BETWEEN $ps AND $pe AS prev
    FROM read_parquet($sales) WHERE CAST(invoice_date AS DATE) <= $ce
),
monthly AS (
    SELECT customer_id, (year(d) * 12 + month(d)) - (year($cs) * 12 + month($cs)) AS t, sum(a) AS v
    FROM lines WHERE cur AND a > 0 GROUP BY ALL
),
trend AS (
    SELECT customer_id,
           sum((t - ($months - 1) / 2.0) * v) / $t2 AS slope, sum(v) / $months AS mean
    FROM monthly GROUP BY ALL
),
per_customer AS (
    SELECT customer_id,
           coalesce(sum(a) FILTER (cur), 0) AS sales,
           coalesce(sum(a) FILTER (prev), 0) AS previous_sales,
           coalesce(sum(p) FILTER (cur), 0) AS gross_profit,
           coalesce(sum(p) FILTER (prev), 0) AS previous_gross_profit,
           min(d) FILTER (a > 0) AS first_purchase,
           max(d) FILTER (a > 0) AS last_purchase,
           count(DISTINCT o) FILTER (cur AND a > 0) AS frequency,
           count(DISTINCT i) FILTER (cur AND a > 0) AS variety,
           bool_or(cur) OR bool_or(prev) AS in_window
    FROM lines GROUP BY ALL
)
SELECT customer_id, m.name, m.region, m.segment,
       CASE WHEN c.sales > 0 THEN c.gross_profit / c.sales END AS margin_pct,
       CASE WHEN c.previous_sales > 0 THEN (c.sales - c.previous_sales) / c.previous_sales END AS growth_pct,
       date_diff('day', c.last_purchase, $ce) AS recency_days,
       CASE WHEN c.frequency > 0 THEN c.sales / c.frequency END AS avg_order_size,
       CASE WHEN t.mean > 0 THEN t.slope / t.mean END AS trend,
       c.* EXCLUDE (customer_id, in_window)
FROM per_customer c
LEFT JOIN trend t USING (customer_id)
FULL JOIN read_parquet($customers) m USING (customer_id)
WHERE c.in_window OR m.customer_id IS NOT NULL
ORDER BY c.sales DESC NULLS LAST, customer_id
"""

_PAYMENTS_SQL = """
WITH r AS (
    SELECT customer_id, amount, CAST(due_date AS DATE) AS due, CAST(paid_date AS DATE) AS paid_on,
           coalesce(CAST(invoice_date AS DATE), CAST(due_date AS DATE)) AS issued
    FROM read_parquet($receivables)
),
flags AS (
    SELECT *, issued <= $asof AS exists_, paid_on IS NOT NULL AND paid_on <= $asof AS paid
    FROM r
),
judged AS (
    SELECT *, exists_ AND amount > 0 AND (paid OR due <= $asof) AND issued >= $since AS judged,
           (paid AND paid_on > due + $grace) OR (NOT paid AND $asof > due + $grace) AS late
    FROM flags
)
SELECT customer_id,
       count(*) FILTER (judged) AS invoices,
       count(*) FILTER (judged AND paid) AS paid_invoices,
       sum(greatest(date_diff('day', due, paid_on), 0) * amount) FILTER (judged AND paid)
         / nullif(sum(amount) FILTER (judged AND paid), 0) AS avg_days_late,
       count(*) FILTER (judged AND late) / nullif(count(*) FILTER (judged), 0) AS late_share,
       coalesce(sum(amount) FILTER (exists_ AND NOT paid), 0) AS open_amount,
       coalesce(sum(amount) FILTER (exists_ AND NOT paid AND due < $asof), 0) AS open_overdue_amount
FROM judged GROUP BY ALL ORDER BY customer_id
"""


def duckdb_metrics(folder: Path) -> dict[str, Any]:
    """The same per-customer aggregates as ``metrics``, by SQL on the same Parquet files."""
    import duckdb

    bounds = _window_bounds()
    connection = duckdb.connect()
    started = time.perf_counter()
    produced = 0
    for years in (0, 1):
        shift = pd.DateOffset(years=years)
        window = {name: (value - shift).date() for name, value in bounds.items()}
        months = 12
        t2 = sum((t - (months - 1) / 2) ** 2 for t in range(months))
        frame = connection.execute(
            _METRICS_SQL,
            {
                "cs": window["current_start"],
                "ce": window["current_end"],
                "ps": window["previous_start"],
                "pe": window["previous_end"],
                "months": months,
                "t2": t2,
                "sales": str(folder / "sales.parquet"),
                "customers": str(folder / "customers.parquet"),
            },
        ).df()
        payments = connection.execute(
            _PAYMENTS_SQL,
            {
                "asof": window["current_end"],
                "since": (pd.Timestamp(window["current_end"]) - pd.DateOffset(years=1, days=-1)).date(),
                "grace": pd.Timedelta(days=5).to_pytimedelta(),
                "receivables": str(folder / "receivables.parquet"),
            },
        ).df()
        produced += len(frame) + len(payments)
    seconds = time.perf_counter() - started
    rows = connection.execute(
        "SELECT count(*) FROM read_parquet(?)", [str(folder / "sales.parquet")]
    ).fetchone()[0]
    return _result(seconds, rows=rows, out=produced)


# --- the peer: openretailscience ------------------------------------------------------------


def _peer_lines(folder: Path, columns: list[str]) -> pd.DataFrame:
    """The current window's purchase lines in the peer's column names."""
    bounds = _window_bounds()
    sales = pd.read_parquet(folder / "sales.parquet", columns=columns)
    inside = sales["invoice_date"].between(bounds["current_start"], bounds["current_end"])
    return sales[inside & (sales["net_sales"] > 0)].rename(
        columns={
            "invoice_date": "transaction_date",
            "net_sales": "unit_spend",
            "invoice_id": "transaction_id",
        }
    )


def peer_rfm(folder: Path) -> dict[str, Any]:
    """openretailscience ``RFMSegmentation`` (recency, frequency, monetary per customer)."""
    from openretailscience.segmentation.rfm import RFMSegmentation

    started = time.perf_counter()
    lines = _peer_lines(folder, RFM_COLUMNS)
    result = RFMSegmentation(lines, current_date=_window_bounds()["current_end"].date()).df
    seconds = time.perf_counter() - started
    return _result(seconds, rows=len(lines), out=len(result))


def peer_hml(folder: Path) -> dict[str, Any]:
    """openretailscience ``HMLSegmentation`` (heavy, medium, light customers by spend)."""
    from openretailscience.segmentation.hml import HMLSegmentation

    started = time.perf_counter()
    lines = _peer_lines(folder, ["invoice_date", "customer_id", "net_sales"])
    result = HMLSegmentation(lines, zero_value_customers="include_with_light").df
    seconds = time.perf_counter() - started
    return _result(seconds, rows=len(lines), out=len(result))


def peer_rank(folder: Path) -> dict[str, Any]:
    """openretailscience ``CompositeRank`` of the same customers on the screening's measures."""
    from openretailscience.analysis.composite_rank import CompositeRank

    frame = pd.read_parquet(folder / RANK_FILE)
    columns = [
        ("sales", "desc"),
        ("gross_profit", "desc"),
        ("margin_pct", "desc"),
        ("growth_pct", "desc"),
        ("frequency", "desc"),
        ("recency_days", "asc"),
        ("variety", "desc"),
        ("trend", "desc"),
    ]
    frame = frame[["customer_id", *(c for c, _ in columns)]].fillna(0.0)
    seconds = []
    for _ in range(WORKSHOP_MOVES):
        started = time.perf_counter()
        result = CompositeRank(frame, rank_cols=columns, agg_func="mean").df
        seconds.append(time.perf_counter() - started)
    return _result(statistics.median(seconds), rows=len(frame), out=len(result))


TASKS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "intake-csv": lambda folder: intake(folder, "csv"),
    "intake-parquet": lambda folder: intake(folder, "parquet"),
    "metrics": metrics,
    "screen": screen,
    "kam-rfm": kam_rfm,
    "kam-hml": kam_hml,
    "prepare-rank": prepare_rank,
    "workshop": workshop,
    "demo-run": demo_run,
    "duckdb-csv": duckdb_csv,
    "duckdb-metrics": duckdb_metrics,
    "peer-rfm": peer_rfm,
    "peer-hml": peer_hml,
    "peer-rank": peer_rank,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in TASKS:
        print(f"usage: tasks.py {{{','.join(TASKS)}}} FOLDER", file=sys.stderr)
        return 2
    print(json.dumps(TASKS[argv[0]](Path(argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # End without the interpreter's teardown. Its result is printed and the parent reads the
    # peak memory from the kernel; what is left is finalisation racing the native thread pools
    # that Arrow (Parquet reads) and DuckDB start, which under load has aborted a finished task
    # with "terminate called without an active exception" (std::terminate in a worker thread).
    os._exit(code)
