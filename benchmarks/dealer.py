"""A scaled dealer for the benchmarks: N invoice lines from the demo's model, as Parquet and CSV.

The demo generator (:func:`kamtools.demo.generate_demo_tables`) makes at most 8,000 customers
(about 1.2 million invoice lines), and the default demo must stay byte for byte what it is. A
large dealer is therefore built from *blocks*: block ``b`` is a demo dealer generated with seed
``BASE_SEED + b``, its customer and invoice ids prefixed with ``B<b>-`` so that they stay unique.
Every block has the same number of customers, chosen so that all blocks together have about N
lines (the demo's model gives about 149 lines per customer over its three fiscal years), so
10 million lines are about 67,000 customers. The same N always gives identical files.

Written into ``benchmarks/data/dealer-<N>/`` (ignored by git), once; later calls reuse it::

    sales.parquet  sales.csv  receivables.parquet  customers.parquet
    cost_to_serve.parquet  assessments.parquet  market.parquet  team.parquet
    csv/client.yml       a workspace whose only input is sales.csv     (intake from CSV)
    parquet/client.yml   a workspace whose only input is sales.parquet (intake from Parquet)
    full/client.yml      a workspace with every table, sales as Parquet (screening)
    dealer.json          lines, customers, blocks, seed and the generator's version

Run it alone to prepare the data before a benchmark (``python benchmarks/dealer.py 10000000``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
BASE_SEED = 20261201
LINES_PER_CUSTOMER = 149.1  # what the demo's model makes over its three fiscal years
MAX_BLOCK_CUSTOMERS = 7_700  # below the demo generator's limit of 8,000
GENERATOR_VERSION = 3  # bump when the data files change, so that old caches are rebuilt
TABLES_WITH_IDS = ("sales", "receivables", "customers", "cost_to_serve", "assessments", "market")
LINE_TABLES = ("sales", "receivables")  # written block by block; the rest is small


@dataclass(frozen=True)
class Dealer:
    """A generated dealer on disk.

    Attributes
    ----------
    folder : Path
        ``benchmarks/data/dealer-<N>``.
    lines, customers, blocks : int
        Invoice lines written, customers in the master, demo blocks used.
    """

    folder: Path
    lines: int
    customers: int
    blocks: int

    def file(self, name: str) -> Path:
        """Path of one generated file, e.g. ``sales.parquet``."""
        return self.folder / name

    def workspace(self, kind: str) -> Path:
        """The workspace folder ``csv``, ``parquet`` (sales only) or ``full`` (every table)."""
        return self.folder / kind


def block_plan(lines: int) -> tuple[int, int]:
    """Number of blocks and customers per block for about ``lines`` invoice lines."""
    if lines < 15_000:
        raise ValueError(f"a scaled dealer needs at least 15,000 lines, got {lines:,}")
    customers = lines / LINES_PER_CUSTOMER
    blocks = max(1, math.ceil(customers / MAX_BLOCK_CUSTOMERS))
    return blocks, max(100, round(customers / blocks))


def _prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The block's ids made unique across blocks (the frame is copied, not changed)."""
    out = frame.copy()
    for column in ("customer_id", "invoice_id"):
        if column in out.columns:
            out[column] = prefix + out[column].astype("str")
    if "accounts" in out.columns:
        out["accounts"] = out["accounts"].astype("str").str.replace(r"(C\d+)", prefix + r"\1", regex=True)
    return out


def _blocks(blocks: int, customers: int) -> Iterator[dict[str, pd.DataFrame]]:
    from kamtools.demo import generate_demo_tables

    for block in range(blocks):
        tables = generate_demo_tables(seed=BASE_SEED + block, n_customers=customers)
        prefix = f"B{block:02d}-"
        yield {name: _prefixed(frame, prefix) for name, frame in tables.items()}


def _arrow(frame: pd.DataFrame, *, dates: bool = False) -> pa.Table:
    """Arrow table with plain types: text as string; dates as date32 when ``dates`` (for CSV).

    Parquet keeps the timestamps pandas writes (``DataFrame.to_parquet``), as an export from
    pandas or from kamtools' own intake cache has them.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for field in table.schema:
        if dates and pa.types.is_timestamp(field.type):
            fields.append(pa.field(field.name, pa.date32()))
        elif pa.types.is_large_string(field.type) or pa.types.is_string(field.type):
            fields.append(pa.field(field.name, pa.string()))
        else:
            fields.append(field)
    return table.cast(pa.schema(fields))


def _write_workspace(folder: Path, inputs: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "client": {"name": "Scaled Benchmark Dealer", "currency": "EUR", "fiscal_year_start_month": 4},
        "periods": {"current": 2026, "previous": 2025, "first": 2024},
        # The workspaces share the files beside them instead of copying gigabytes into inputs/.
        "inputs": {name: {"file": f"../{file}", "allow_outside": True} for name, file in inputs.items()},
    }
    (folder / "client.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _write_workspaces(folder: Path) -> None:
    """The three workspaces over the generated files (rewritten on every use: they are tiny)."""
    _write_workspace(folder / "csv", {"sales": "sales.csv"})
    _write_workspace(folder / "parquet", {"sales": "sales.parquet"})
    tables = [
        "sales",
        "receivables",
        "customers",
        "cost_to_serve",
        "assessments",
        "surveys",
        "market",
        "team",
    ]
    _write_workspace(
        folder / "full", {name: f"{name}.parquet" for name in tables if (folder / f"{name}.parquet").exists()}
    )


def _generate(target: Path, lines: int) -> dict[str, int]:
    blocks, customers = block_plan(lines)
    writers: dict[str, pq.ParquetWriter] = {}
    csv_writer: pa_csv.CSVWriter | None = None
    small: dict[str, list[pd.DataFrame]] = {}
    written = 0
    try:
        for number, tables in enumerate(_blocks(blocks, customers)):
            for name in LINE_TABLES:
                table = _arrow(tables[name])
                if name not in writers:
                    writers[name] = pq.ParquetWriter(target / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
            sales = _arrow(tables["sales"], dates=True)
            if csv_writer is None:
                options = pa_csv.WriteOptions(quoting_style="none")
                csv_writer = pa_csv.CSVWriter(target / "sales.csv", sales.schema, write_options=options)
            csv_writer.write_table(sales)
            written += sales.num_rows
            for name, frame in tables.items():
                if name not in LINE_TABLES and (name != "team" or number == 0):
                    small.setdefault(name, []).append(frame)
            print(f"dealer: block {number + 1}/{blocks}, {written:,} lines", file=sys.stderr, flush=True)
    finally:
        for writer in writers.values():
            writer.close()
        if csv_writer is not None:
            csv_writer.close()
    for name, frames in small.items():
        pq.write_table(_arrow(pd.concat(frames, ignore_index=True)), target / f"{name}.parquet")
    return {"lines": written, "customers": customers * blocks, "blocks": blocks}


def ensure_dealer(lines: int, *, data_dir: Path = DATA_DIR) -> Dealer:
    """Generate the dealer of about ``lines`` invoice lines unless it is already on disk.

    Parameters
    ----------
    lines : int
        Wanted number of invoice lines (at least 15,000); the dealer has about this many.
    data_dir : Path
        Parent folder of the generated dealers.

    Returns
    -------
    Dealer
    """
    folder = data_dir / f"dealer-{lines}"
    meta_file = folder / "dealer.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("version") == GENERATOR_VERSION:
            _write_workspaces(folder)
            return Dealer(folder, meta["lines"], meta["customers"], meta["blocks"])
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".dealer-{lines}-", dir=data_dir))
    try:
        counts = _generate(staging, lines)
        meta = {"version": GENERATOR_VERSION, "seed": BASE_SEED, "requested_lines": lines, **counts}
        (staging / "dealer.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _write_workspaces(staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Dealer(folder, counts["lines"], counts["customers"], counts["blocks"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a scaled benchmark dealer (cached).")
    parser.add_argument("lines", type=int, nargs="+", help="invoice lines, e.g. 1000000")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="parent folder of the dealers")
    args = parser.parse_args(argv)
    for lines in args.lines:
        dealer = ensure_dealer(lines, data_dir=args.data_dir)
        print(f"{dealer.folder}: {dealer.lines:,} lines, {dealer.customers:,} customers")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no interpreter teardown racing Arrow's thread pools (see tasks.py)
