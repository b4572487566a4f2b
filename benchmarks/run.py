"""The performance benchmark: kamtools at a large dealer's scale, side by side with DuckDB and the peer.

One command (``make bench``, or ``.venv/bin/python benchmarks/run.py``) prints one table:

* intake of the invoice lines from CSV and from Parquet (``load_workspace``: read, map,
  validate), against DuckDB's ``read_csv`` of the same CSV file;
* all per-customer metrics of the screening for this period and the previous one, from
  Parquet, against the same aggregates by one DuckDB SQL query per period on the same files;
* the whole screening analysis (``screen_client``: both periods, scoring, tier migration);
* the analyses kamtools shares with the peer library openretailscience (RFM measures, Pareto
  classes, composite ranking), against the peer, which runs in its own environment
  (``.venv-bench``: ``pip install -e .[bench]``; the peer needs pandas < 3);
* the workshop's re-rank of 50,000 customers after a weight change;
* ``kam run demo`` against the floor of as many bare papermill executions + HTML conversions;
* how each figure grows from 1M to 3M to 10M invoice lines.

Every figure is the median of ``--repeat`` runs, each in a fresh process, with that process's
peak resident memory (``wait4``) beside it. The scaled dealers are generated once into
``benchmarks/data/`` (see :mod:`dealer`). ``--results FILE`` also writes the table with the
machine's cores and memory as Markdown (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
TASKS = HERE / "tasks.py"
DEFAULT_LINES = (1_000_000, 3_000_000, 10_000_000)
DEFAULT_PEER_PYTHON = PROJECT_ROOT / ".venv-bench" / "bin" / "python"
NOTES_HEADING = "## Notes"


@dataclass
class Figure:
    """The runs of one task on one dealer: seconds and peak RSS of each run's process."""

    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)
    rows: int = 0
    note: str = ""
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb)

    def extra_median(self, name: str) -> float:
        return statistics.median(self.extra[name])


@dataclass(frozen=True)
class Row:
    """A line of the table: a task measured at every size, and what it is compared with."""

    label: str
    engine: str
    task: str
    python: str = "kam"  # "kam" (.venv), "peer" (.venv-bench)
    reference: str | None = None  # task of the row this one is divided by
    target: float | None = None  # the ratio the target allows
    target_text: str = ""


ROWS = (
    Row(
        "intake, CSV (read + validate)",
        "kamtools",
        "intake-csv",
        reference="duckdb-csv",
        target=2.0,
        target_text="≤ 2× DuckDB read_csv",
    ),
    Row("intake, CSV", "DuckDB read_csv", "duckdb-csv"),
    Row("intake, Parquet (read + validate)", "kamtools", "intake-parquet"),
    Row(
        "screening metrics, both periods, from Parquet",
        "kamtools",
        "metrics",
        reference="duckdb-metrics",
        target=1.5,
        target_text="≤ 1.5× DuckDB, ≤ 4 GB",
    ),
    Row("same aggregates", "DuckDB SQL", "duckdb-metrics"),
    Row("whole screening analysis (screen_client)", "kamtools", "screen"),
    Row(
        "RFM per customer, from Parquet",
        "kamtools",
        "kam-rfm",
        reference="peer-rfm",
        target=1.0,
        target_text="faster than the peer",
    ),
    Row("RFM per customer", "openretailscience", "peer-rfm", python="peer"),
    Row(
        "Pareto classes by sales, from Parquet",
        "kamtools",
        "kam-hml",
        reference="peer-hml",
        target=1.0,
        target_text="faster than the peer",
    ),
    Row("heavy / medium / light", "openretailscience", "peer-hml", python="peer"),
)
RANK_ROWS = (
    Row(
        "workshop re-rank (score + tier)",
        "kamtools",
        "workshop",
        reference="peer-rank",
        target=1.0,
        target_text="< 200 ms; faster than the peer",
    ),
    Row("composite rank", "openretailscience", "peer-rank", python="peer"),
)
WORKSHOP_TARGET_SECONDS = 0.2
DEMO_TARGET_RATIO = 1.5
MEMORY_TARGET_MB = 4096
LINEAR_TOLERANCE = 1.25  # time per line at 10M may be this much above 1M and still count as linear


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_task(python: Path, task: str, folder: Path) -> tuple[dict, float]:
    """Run one task in a fresh process; its JSON result and its peak RSS in MB (``wait4``)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [str(python), str(TASKS), task, str(folder)], stdout=out, stderr=err, cwd=PROJECT_ROOT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{task} failed:\n{stderr.strip()[-2000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def read_through(folder: Path) -> int:
    """Read every file of a dealer's folder once, untimed, so that each run finds it in memory.

    Which engine reads a file first in a round should not decide its time. The operating system
    keeps a file it read in memory, but may page a file out while other tasks run (this VM's
    kernel pages cold memory out on its own, a few hundred MB a minute): the first task of a
    round then read the sales file from disk and the next one, its reference or not, from
    memory. Every run now starts from the same state, as a repeated run on a workstation does.

    Returns
    -------
    int
        The bytes read.
    """
    total = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                while chunk := handle.read(16 << 20):
                    total += len(chunk)
    return total


def measure_once(python: Path, task: str, folder: Path, figure: Figure, *, label: str = "") -> None:
    """One run of a task in its own process, added to ``figure`` (an error is kept, not raised)."""
    if figure.error:
        return
    _log(f"{task} on {folder.name}{label}")
    read_through(folder)
    try:
        result, peak_mb = run_task(python, task, folder)
    except RuntimeError as exc:
        figure.error = str(exc).splitlines()[-1]
        _log(str(exc))
        return
    figure.seconds.append(float(result["seconds"]))
    figure.rss_mb.append(peak_mb)
    figure.rows = int(result.get("rows", 0))
    figure.note = str(result.get("note", ""))
    for name, value in result.items():
        if name not in ("seconds", "rows", "out", "note") and isinstance(value, int | float):
            figure.extra.setdefault(name, []).append(float(value))


def measure(python: Path, task: str, folder: Path, repeat: int) -> Figure:
    """``repeat`` runs of a task, each in its own process."""
    figure = Figure()
    for attempt in range(repeat):
        measure_once(python, task, folder, figure, label=f", {attempt + 1}/{repeat}")
    return figure


def measure_rows(
    rows: Sequence[Row], pythons: dict[str, Path | None], folder: Path, repeat: int
) -> dict[str, Figure]:
    """Every row's task, ``repeat`` rounds, the tasks interleaved (reversed every other round).

    On a shared machine the load changes from minute to minute; running a task and its
    reference side by side in every round, rather than one after the other in blocks, lets
    each ratio compare runs made under the same load (see :func:`_ratio`).
    """
    runnable = [row for row in rows if pythons.get(row.python) is not None]
    figures = {row.task: Figure() for row in runnable}
    for attempt in range(repeat):
        order = runnable if attempt % 2 == 0 else runnable[::-1]
        for row in order:
            python = pythons[row.python]
            measure_once(python, row.task, folder, figures[row.task], label=f", round {attempt + 1}/{repeat}")
    return figures


def _prepare_dealer(lines: int, data_dir: Path) -> Path:
    """Generate the scaled dealer in a process of its own (so this one stays small)."""
    subprocess.run(
        [sys.executable, str(HERE / "dealer.py"), "--data-dir", str(data_dir), str(lines)],
        check=True,
        cwd=PROJECT_ROOT,
        stdout=sys.stderr,
    )
    return data_dir / f"dealer-{lines}"


def _size_label(lines: int) -> str:
    if lines >= 1_000_000 and lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M lines"
    if lines >= 1000:
        return f"{lines / 1000:g}k lines"
    return f"{lines} lines"


def _cell(figure: Figure | None) -> str:
    if figure is None:
        return "–"
    if figure.error:
        return "failed"
    seconds = figure.median
    time = f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
    return f"{time} · {figure.peak_mb / 1024:.2f} GB"


@dataclass
class Results:
    lines: list[int]
    dealer_lines: dict[int, int]
    dealer_customers: dict[int, int]
    figures: dict[tuple[str, int], Figure]
    rank_customers: int | None
    demo: Figure | None
    repeat: int
    peer: str


def _ratio(results: Results, task: str, reference: str, lines: int) -> float | None:
    """Median of the round-by-round ratios (runs of the same round shared the machine's load)."""
    mine, theirs = results.figures.get((task, lines)), results.figures.get((reference, lines))
    if not mine or not theirs or mine.error or theirs.error or not mine.seconds or not theirs.seconds:
        return None
    pairs = [a / b for a, b in zip(mine.seconds, theirs.seconds, strict=False) if b > 0]
    return statistics.median(pairs) if pairs else None


def _growth(results: Results, task: str) -> str:
    """Time per line at the largest size divided by time per line at the smallest."""
    sizes = [n for n in results.lines if (task, n) in results.figures and results.figures[(task, n)].seconds]
    if len(sizes) < 2:
        return ""
    small, large = sizes[0], sizes[-1]
    per_line = [results.figures[(task, n)].median / results.dealer_lines[n] for n in (small, large)]
    factor = per_line[1] / per_line[0]
    verdict = "linear" if factor <= LINEAR_TOLERANCE else "faster than linear"
    return f"×{factor:.2f} per line ({verdict})"


def _line(lines: list[str], label: str, engine: str, cells: list[str], growth: str = "") -> None:
    lines.append("| " + " | ".join([label, engine, *cells, growth]) + " |")


def render(results: Results) -> tuple[str, list[tuple[str, str, str]]]:
    """The Markdown table and the list of targets with their verdicts."""
    sizes = results.lines
    header = ["measurement", "engine", *(_size_label(n) for n in sizes), "growth per line, first → last"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    largest = sizes[-1]
    verdicts: list[tuple[str, str, str]] = []

    def add(row: Row, cells: list[str], growth: str) -> None:
        lines.append("| " + " | ".join([row.label, row.engine, *cells, growth]) + " |")

    references = {row.reference: row for row in ROWS if row.reference}
    for row in ROWS:
        if not any((row.task, n) in results.figures for n in sizes):
            continue  # not measured (--only, or no peer environment): left out, not faked
        add(row, [_cell(results.figures.get((row.task, n))) for n in sizes], _growth(results, row.task))
        mine = references.get(row.task)
        if mine is None:
            continue
        ratios = [_ratio(results, mine.task, row.task, n) for n in sizes]
        if all(r is None for r in ratios):
            continue
        cells = ["–" if r is None else f"**{r:.2f}×**" for r in ratios]
        _line(lines, f"ratio {mine.engine} / {row.engine}", "", cells)
        ratio = ratios[-1]
        if ratio is not None:
            ok = ratio <= mine.target if mine.target > 1 else ratio < mine.target
            text = f"{ratio:.2f}× at {_size_label(largest)}"
            if mine.task == "metrics":
                peak = results.figures[(mine.task, largest)].peak_mb
                ok = ok and peak <= MEMORY_TARGET_MB
                text += f", peak {peak / 1024:.2f} GB"
            verdicts.append((f"{mine.label}: {mine.target_text}", text, "met" if ok else "NOT met"))
    if results.rank_customers:
        for row in RANK_ROWS:
            figure = results.figures.get((row.task, largest))
            if figure is None:
                continue
            cells = ["" for _ in sizes[:-1]] + [_cell(figure)]
            add(Row(f"{row.label}, {results.rank_customers:,} customers", row.engine, row.task), cells, "")
        mine = results.figures.get(("workshop", largest))
        ratio = _ratio(results, "workshop", "peer-rank", largest)
        if ratio is not None:
            cells = ["" for _ in sizes[:-1]] + [f"**{ratio:.2f}×**"]
            _line(lines, "ratio kamtools / openretailscience", "", cells)
        if mine and mine.seconds:
            ok = mine.median < WORKSHOP_TARGET_SECONDS and (ratio is None or ratio < 1)
            verdicts.append(
                (
                    f"workshop re-rank, {results.rank_customers:,} customers: {RANK_ROWS[0].target_text}",
                    f"{mine.median * 1000:.0f} ms" + ("" if ratio is None else f", {ratio:.2f}× the peer"),
                    "met" if ok else "NOT met",
                )
            )
    if results.demo is not None and results.demo.seconds:
        run, floor = results.demo.median, results.demo.extra_median("floor")
        demo_cells = [""] * (len(sizes) - 1)
        _line(lines, "kam run demo (all stages)", "kamtools", [*demo_cells, _cell(results.demo)])
        floor_text = f"{floor:.2f} s"
        _line(lines, "floor: papermill + HTML per stage", "papermill, nbconvert", [*demo_cells, floor_text])
        ratio = run / floor
        _line(lines, "ratio run / floor", "", [*demo_cells, f"**{ratio:.2f}×**"])
        verdicts.append(
            (
                f"kam run demo: ≤ {DEMO_TARGET_RATIO}× the floor",
                f"{ratio:.2f}× ({run:.2f} s / {floor:.2f} s)",
                "met" if ratio <= DEMO_TARGET_RATIO else "NOT met",
            )
        )
    for row in ROWS:
        if row.engine == "kamtools":
            growth = _growth(results, row.task)
            if growth:
                verdict = "met" if "(linear)" in growth else "NOT met"
                verdicts.append((f"{row.label}: linear growth", growth, verdict))
    return "\n".join(lines), verdicts


def _machine() -> str:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB memory"
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores, {memory}, {system}"


def _versions(python: Path, modules: Sequence[str]) -> str:
    code = (
        "import importlib.metadata as m\n"
        f"for name in {list(modules)!r}:\n"
        "    try: print(name, m.version(name))\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return ", ".join(line for line in done.stdout.splitlines())


def report(results: Results, *, peer_python: Path | None) -> str:
    table, verdicts = render(results)
    dealers = ", ".join(
        f"{_size_label(n)}: {results.dealer_lines[n]:,} lines, {results.dealer_customers[n]:,} customers"
        for n in results.lines
    )
    parts = [
        f"Machine: {_machine()}.",
        f"kamtools environment: {_versions(Path(sys.executable), ['pandas', 'numpy', 'pyarrow', 'duckdb'])}.",
    ]
    if peer_python is not None:
        peer = _versions(peer_python, ["openretailscience", "pandas", "duckdb", "ibis-framework"])
        parts.append(f"Peer environment: {peer}.")
    else:
        parts.append("Peer environment: not found, so the peer's rows are left out (`make bench` builds it).")
    parts.append(f"Dealers: {dealers}.")
    parts.append(
        f"Each cell: median of {results.repeat} runs, each in a fresh process · that process's peak RSS;"
        " the runs of all rows interleaved round by round, and each ratio the median of the ratios"
        " of runs made in the same round."
    )
    targets = ["| target | measured | verdict |", "|---|---|---|"]
    targets += [f"| {name} | {value} | {verdict} |" for name, value, verdict in verdicts]
    return "\n\n".join([" ".join(parts), table, "\n".join(targets)])


def _write_results(path: Path, body: str) -> None:
    notes = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if NOTES_HEADING in text:
            notes = text[text.index(NOTES_HEADING) :]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        "# Benchmark results\n\n"
        f"Written by `benchmarks/run.py` on {stamp} (`make bench`; see benchmarks/README.md).\n\n"
    )
    path.write_text(header + body + "\n\n" + (notes or f"{NOTES_HEADING}\n"), encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lines",
        type=int,
        nargs="+",
        default=list(DEFAULT_LINES),
        help="invoice lines of the scaled dealers (default: 1M 3M 10M)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument(
        "--peer-python",
        type=Path,
        default=DEFAULT_PEER_PYTHON,
        help="Python of the environment with openretailscience (default: .venv-bench)",
    )
    parser.add_argument("--no-demo", action="store_true", help="skip kam run demo and its floor")
    parser.add_argument("--results", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data", help="where the dealers are kept")
    parser.add_argument("--only", nargs="+", help="run only these tasks (e.g. metrics duckdb-metrics)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    repeat = max(1, args.repeat)
    sizes = sorted(set(args.lines))
    kam = Path(sys.executable)
    peer = args.peer_python if args.peer_python.exists() else None
    if peer is None:
        _log(f"{args.peer_python} not found: the peer's rows are skipped (make bench creates it)")
    wanted = set(args.only) if args.only else None

    def selected(task: str) -> bool:
        return wanted is None or task in wanted

    pythons = {"kam": kam, "peer": peer}
    figures: dict[tuple[str, int], Figure] = {}
    dealer_lines, dealer_customers = {}, {}
    for lines in sizes:
        folder = _prepare_dealer(lines, args.data_dir)
        meta = json.loads((folder / "dealer.json").read_text(encoding="utf-8"))
        dealer_lines[lines], dealer_customers[lines] = meta["lines"], meta["customers"]
        wanted_rows = [row for row in ROWS if selected(row.task)]
        for task, figure in measure_rows(wanted_rows, pythons, folder, repeat).items():
            figures[(task, lines)] = figure
    rank_customers = None
    largest = sizes[-1]
    folder = args.data_dir / f"dealer-{largest}"
    if selected("workshop") or selected("peer-rank"):
        _log("preparing the re-rank (screening the largest dealer, untimed)")
        prepared, _ = run_task(kam, "prepare-rank", folder)
        rank_customers = int(prepared["out"])
        wanted_rows = [row for row in RANK_ROWS if selected(row.task)]
        for task, figure in measure_rows(wanted_rows, pythons, folder, repeat).items():
            figures[(task, largest)] = figure
    demo = None
    if not args.no_demo and selected("demo-run"):
        scratch = Path(tempfile.mkdtemp(prefix="kam-bench-demo-"))
        try:
            demo = Figure()
            for attempt in range(repeat):
                run_folder = scratch / str(attempt)
                run_folder.mkdir()
                demo_figure = measure(kam, "demo-run", run_folder, 1)
                demo.seconds += demo_figure.seconds
                demo.rss_mb += demo_figure.rss_mb
                for name, values in demo_figure.extra.items():
                    demo.extra.setdefault(name, []).extend(values)
                demo.error = demo.error or demo_figure.error
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results = Results(
        lines=sizes,
        dealer_lines=dealer_lines,
        dealer_customers=dealer_customers,
        figures=figures,
        rank_customers=rank_customers,
        demo=demo,
        repeat=repeat,
        peer="openretailscience" if peer else "",
    )
    body = report(results, peer_python=peer)
    print(body)
    if args.results:
        _write_results(args.results, body)
        _log(f"written to {args.results}")
    failed = [f"{task} ({lines:,})" for (task, lines), figure in figures.items() if figure.error]
    if failed:
        _log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
