"""Time a full ``kam run`` against the floor of papermill and nbconvert, and time the intake.

Run from anywhere (paths are found from this file, never from the working directory)::

    .venv/bin/python benchmarks/bench_run.py [--repeat N] [--client demo] [--jobs N]

One invocation prints:

1. the wall time of ``kam run CLIENT`` for every available stage, in a temporary directory
   (the demo workspace is generated there first, untimed; the project's ``reports/`` and
   ``clients/`` are never touched), and the peak resident memory: of the whole process
   tree (sampled with psutil) and of the largest single process (``getrusage``);
2. the floor: as many papermill executions plus HTML conversions (nbconvert's
   ``HTMLExporter``, default ``lab`` template, all in this process) of trivial notebooks that
   only import pandas, seaborn and kamtools, on the ``kamtools`` kernel;
3. the ratio run / floor against the target "full run ≤ 1.5 × floor" (PASS or OVER; only
   informational, the exit code is 0 unless the run itself fails);
4. the breakdown of the run per stage (``stages[].seconds`` of the run's ``run.json``), the
   intake time of the client's workspace and the validation time of the real wholesaler
   file ``examples/online_retail`` (541,909 lines; skipped when its data file is missing),
   with rows per second.

With ``--repeat N`` every measurement is taken N times and the best (shortest) is shown.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ONLINE_RETAIL_WORKSPACE = PROJECT_ROOT / "examples" / "online_retail"
ONLINE_RETAIL_DATA = PROJECT_ROOT.parent / "shared" / "data" / "online_retail_uci.csv.gz"
DEMO_CLIENT = "demo"
TARGET_RATIO = 1.5
SAMPLE_INTERVAL = 0.1  # seconds between two samples of the process tree's memory
FLOOR_SOURCE = "import pandas as pd\nimport seaborn as sns\n\nimport kamtools\n"


@dataclass
class RunTiming:
    """One ``kam run``: its wall time, exit code and the manifest (``run.json``) it wrote."""

    seconds: float
    exit_code: int
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class FloorTiming:
    """One pass of the floor: total wall time of the executions and conversions."""

    seconds: float


@dataclass
class IntakeTiming:
    """One ``load_workspace``: wall time, rows read from the files and problems found."""

    seconds: float
    rows: int
    problems: int


Timing = TypeVar("Timing", RunTiming, FloorTiming, IntakeTiming)


@dataclass
class Results:
    """Everything one benchmark measured; the best of the repeats is kept for each figure."""

    client: str
    stages: list[str]
    repeat: int
    jobs: int | None
    workspace: Path
    run: RunTiming
    floor: FloorTiming
    intake: IntakeTiming
    retail: IntakeTiming | None
    tree_mb: float | None
    tree_child_mb: float | None
    one_process_mb: float
    rescore_seconds: float | None = None


def _log(message: str) -> None:
    """Progress on stderr, so that stdout holds only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _manifests(reports_dir: Path) -> dict[Path, dict[str, Any]]:
    """Every ``run.json`` under ``reports_dir`` by its real path (``latest`` links counted once)."""
    found = {}
    for path in reports_dir.glob("*/*/*/run.json"):
        found[path.resolve()] = json.loads(path.read_text(encoding="utf-8"))
    return found


def time_run(client: str, *, clients_dir: Path, reports_dir: Path, jobs: int | None = None) -> RunTiming:
    """Time ``kam run CLIENT --quiet`` for all available stages and read the run's manifest.

    Parameters
    ----------
    client : str
        Client folder name under ``clients_dir``, or a path to a workspace.
    clients_dir, reports_dir : Path
        Passed to ``kam`` as ``--clients-dir`` and ``--reports-dir``.
    jobs : int, optional
        Passed as ``--jobs``; None keeps ``kam run``'s default (the machine's cores).

    Returns
    -------
    RunTiming
        Wall time, exit code and the new run's ``run.json`` (empty if none was written).
    """
    from kamtools import cli

    before = set(_manifests(reports_dir))
    argv = ["--clients-dir", str(clients_dir), "run", client, "--quiet", "--reports-dir", str(reports_dir)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    captured = io.StringIO()  # the "Reports: ..." line; shown only if the run fails
    started = time.perf_counter()
    with contextlib.redirect_stdout(captured):
        exit_code = cli.main(argv)
    seconds = time.perf_counter() - started
    if exit_code != 0:
        print(captured.getvalue(), end="")
    new = [m for path, m in _manifests(reports_dir).items() if path not in before]
    return RunTiming(seconds, exit_code, new[0] if len(new) == 1 else {})


def write_floor_notebooks(folder: Path, count: int) -> list[Path]:
    """Write ``count`` trivial notebooks (one code cell importing pandas, seaborn and kamtools)."""
    import nbformat

    from kamtools.runner import KERNEL_NAME

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": KERNEL_NAME,
            "display_name": "Python (kamtools)",
            "language": "python",
        }
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# Floor notebook {number}"),
            nbformat.v4.new_code_cell(FLOOR_SOURCE),
        ]
        path = folder / f"floor_{number:02d}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def time_floor(notebooks: Sequence[Path], output_dir: Path) -> FloorTiming:
    """Execute each notebook with papermill and convert it to HTML, all in this process.

    The exporter (nbconvert's default ``lab`` template) is built once, inside the timing.
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from kamtools.runner import KERNEL_NAME

    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    exporter = HTMLExporter(template_name="lab")
    for notebook in notebooks:
        executed = output_dir / notebook.name
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            cwd=None,
            start_timeout=120,
        )
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        executed.with_suffix(".html").write_text(body, encoding="utf-8")
    return FloorTiming(time.perf_counter() - started)


def time_intake(workspace: Path) -> IntakeTiming:
    """Time :func:`kamtools.workspace.load_workspace` (read, map and validate every input)."""
    from kamtools.workspace import load_workspace

    started = time.perf_counter()
    loaded = load_workspace(workspace)
    seconds = time.perf_counter() - started
    rows = sum(source.rows_read for source in loaded.intake.sources)
    return IntakeTiming(seconds, rows, len(loaded.intake.problems))


def time_workshop_rescore(workspace: Path, *, moves: int = 5) -> float:
    """Median seconds of one workshop move: re-scoring the screened customers (target < 1 s)."""
    import statistics
    import warnings

    from kamtools.stages.screening import ScreeningSettings, screen_period
    from kamtools.stages.screening.workshop import ScreeningWorkshop
    from kamtools.workspace import load_workspace

    loaded = load_workspace(workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        screening = screen_period(
            loaded.tables,
            start_month=loaded.config.fiscal_year_start_month,
            period=loaded.config.current_period,
        )
    panel = ScreeningWorkshop(
        screening,
        settings=ScreeningSettings(),
        market=loaded.tables.get("market"),
        cost_to_serve=loaded.tables.get("cost_to_serve"),
        on_change=lambda _scored: None,
    )
    seconds = []
    for step in range(moves):
        panel.weight_sliders["margin"].value = 0.1 + 0.05 * (step + 1)
        seconds.append(panel.last_seconds)
    return statistics.median(seconds)


def _best(timings: Sequence[Timing]) -> Timing:
    """The shortest of repeated measurements."""
    return min(timings, key=lambda t: t.seconds)


def peak_rss_mb(who: int) -> float:
    """Peak resident set size in MB from ``getrusage`` (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class TreeMemory:
    """Sample the summed RSS of this process and all its descendants in a background thread.

    ``getrusage`` only knows the largest single process, and on Linux a child's figure
    includes the parent's memory it inherited at fork, so the tree's peak is sampled here
    with psutil (a dependency of ipykernel). Shared pages count once per process.

    Attributes
    ----------
    peak_mb : float or None
        Highest summed RSS seen, in MB; None when psutil is not installed.
    peak_child_mb : float or None
        Highest RSS of a single descendant (stage process or kernel), in MB.
    """

    def __init__(self, interval: float = SAMPLE_INTERVAL) -> None:
        self.interval = interval
        self.peak_mb: float | None = None
        self.peak_child_mb: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TreeMemory:
        try:
            import psutil
        except ImportError:
            return self
        self.peak_mb = self.peak_child_mb = 0.0
        self._thread = threading.Thread(target=self._sample, args=(psutil,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self, psutil: Any) -> None:
        me = psutil.Process()
        while True:
            total = me.memory_info().rss
            largest = 0
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                largest = max(largest, rss)
            self.peak_mb = max(self.peak_mb or 0.0, total / 2**20)
            self.peak_child_mb = max(self.peak_child_mb or 0.0, largest / 2**20)
            if self._stop.wait(self.interval):
                return


class Table:
    """A compact aligned table: label, seconds, rows per second, note."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(
        self, label: str, seconds: float | None = None, *, rate: float | None = None, note: str = ""
    ) -> None:
        self.rows.append(
            (
                label,
                "" if seconds is None else f"{seconds:.2f}",
                "" if rate is None else f"{rate:,.0f}",
                note,
            )
        )

    def section(self, title: str) -> None:
        self.rows.append((title, "", "", ""))

    def render(self) -> str:
        header = ("", "seconds", "rows/s", "")
        rows = [header, *self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = []
        for label, seconds, rate, note in rows:
            line = f"{label:<{widths[0]}}  {seconds:>{widths[1]}}  {rate:>{widths[2]}}  {note}"
            lines.append(line.rstrip())
        return "\n".join(lines)


def _rows_note(timing: IntakeTiming) -> str:
    note = f"{timing.rows:,} rows read"
    return note + (f", {timing.problems} problem(s)" if timing.problems else "")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N of every measurement")
    parser.add_argument(
        "--client",
        default=DEMO_CLIENT,
        help="client to run (default: the demo, generated in a temporary folder)",
    )
    parser.add_argument("--jobs", type=int, help="passed to kam run --jobs (default: kam run's, the cores)")
    return parser


def measure(client: str, *, repeat: int = 1, jobs: int | None = None) -> Results | int:
    """Take every measurement in a temporary folder; the exit code of ``kam run`` if it fails.

    Parameters
    ----------
    client : str
        ``demo`` (generated in the temporary folder, untimed) or a client of ``clients/``
        or a path to a workspace.
    repeat : int
        Number of times each figure is measured; the shortest is kept.
    jobs : int, optional
        Passed to ``kam run --jobs``; None keeps its default.

    Returns
    -------
    Results or int
        The figures, or the non-zero exit code of a failed run (its report pack is kept).
    """
    from kamtools import cli
    from kamtools.paths import DEFAULT_CLIENTS_DIR
    from kamtools.runner import available_stages, ensure_kernel

    stages = available_stages()
    tmp = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    keep = False  # a failed run's report pack stays for inspection
    try:
        reports_dir = tmp / "reports"
        if client == DEMO_CLIENT:
            clients_dir = tmp / "clients"
            _log("writing the demo workspace (not timed)")
            with contextlib.redirect_stdout(io.StringIO()):
                cli.main(["--clients-dir", str(clients_dir), "demo"])
        else:
            clients_dir = DEFAULT_CLIENTS_DIR
        workspace = cli.resolve_workspace(client, clients_dir)
        ensure_kernel()

        runs = []
        with TreeMemory() as tree:
            for attempt in range(1, repeat + 1):
                _log(f"kam run {client} ({len(stages)} stage(s)), {attempt}/{repeat}")
                timing = time_run(client, clients_dir=clients_dir, reports_dir=reports_dir, jobs=jobs)
                if timing.exit_code != 0:
                    keep = True
                    _log(
                        f"kam run {client} failed with exit code {timing.exit_code};"
                        f" its report pack is kept in {reports_dir}"
                    )
                    return timing.exit_code
                runs.append(timing)
        # Read before the floor starts kernels of its own. The largest single process is the
        # larger of the two: a child's figure may only repeat what it inherited at fork.
        one_process_mb = max(peak_rss_mb(resource.RUSAGE_CHILDREN), peak_rss_mb(resource.RUSAGE_SELF))

        floor_notebooks = write_floor_notebooks(tmp / "floor", len(stages))
        floors = []
        for attempt in range(1, repeat + 1):
            if floor_notebooks:
                _log(f"floor: {len(floor_notebooks)} papermill execution(s) + HTML, {attempt}/{repeat}")
            floors.append(time_floor(floor_notebooks, tmp / "floor" / "out"))

        _log(f"intake of {client}")
        intakes = [time_intake(workspace) for _ in range(repeat)]
        _log("workshop re-scoring")
        rescore = time_workshop_rescore(workspace)
        retail = None
        if ONLINE_RETAIL_DATA.exists():
            _log("validation of examples/online_retail")
            retail = _best([time_intake(ONLINE_RETAIL_WORKSPACE) for _ in range(repeat)])
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return Results(
        client=client,
        stages=stages,
        repeat=repeat,
        jobs=jobs,
        workspace=workspace,
        run=_best(runs),
        floor=_best(floors),
        intake=_best(intakes),
        retail=retail,
        tree_mb=tree.peak_mb,
        tree_child_mb=tree.peak_child_mb,
        one_process_mb=one_process_mb,
        rescore_seconds=rescore,
    )


def render(results: Results) -> str:
    """The printed report: a title line and the aligned table."""
    r = results
    table = Table()
    table.add(f"full run (kam run {r.client})", r.run.seconds)
    n = len(r.stages)
    per_notebook = f"{r.floor.seconds / n:.2f} s per notebook" if n else "no stage: nothing to run"
    table.add(f"floor ({n} × papermill + HTML)", r.floor.seconds, note=per_notebook)
    if n and r.floor.seconds > 0:
        ratio = r.run.seconds / r.floor.seconds
        verdict = "PASS" if ratio <= TARGET_RATIO else "OVER"
        table.add("ratio run / floor", ratio, note=f"target ≤ {TARGET_RATIO:.2f}: {verdict}")
    else:
        table.add("ratio run / floor", note="n/a: no stage notebook available, the floor is empty")
    if r.tree_mb is not None:
        table.add(
            "peak RSS, process tree",
            note=f"{r.tree_mb:,.0f} MB summed over processes, sampled"
            f" every {SAMPLE_INTERVAL:g} s (largest child {r.tree_child_mb:,.0f} MB)",
        )
    untimed = "; includes the untimed demo generation" if r.client == DEMO_CLIENT else ""
    table.add("peak RSS, largest process", note=f"{r.one_process_mb:,.0f} MB (getrusage{untimed})")

    table.section("breakdown of the run")
    table.add(
        f"  intake ({r.workspace.name}, load_workspace)",
        r.intake.seconds,
        rate=r.intake.rows / r.intake.seconds,
        note=_rows_note(r.intake),
    )
    stage_seconds = 0.0
    for stage in r.run.manifest.get("stages", []):
        seconds = float(stage.get("seconds", 0.0))
        stage_seconds += seconds
        table.add(
            f"  stage {stage['key']}", seconds, note="" if stage.get("status") == "done" else stage["status"]
        )
    if not r.run.manifest:
        table.add("  stages", note="run.json not found")
    rest = max(0.0, r.run.seconds - r.intake.seconds - stage_seconds)
    table.add("  rest (stage processes' start and imports, index)", rest)

    if r.rescore_seconds is not None:
        verdict = "PASS" if r.rescore_seconds < 1.0 else "OVER"
        table.add("workshop: one slider move (re-score)", r.rescore_seconds, note=f"target < 1 s: {verdict}")

    table.section("validation of the real wholesaler file")
    if r.retail is None:
        table.add("  examples/online_retail", note=f"skipped: {ONLINE_RETAIL_DATA} is missing")
    else:
        table.add(
            "  examples/online_retail (load_workspace)",
            r.retail.seconds,
            rate=r.retail.rows / r.retail.seconds,
            note=_rows_note(r.retail),
        )

    best = f"best of {r.repeat}" if r.repeat > 1 else "1 run"
    jobs = f", --jobs {r.jobs}" if r.jobs is not None else ""
    title = f"kam run {r.client}: {n} stage(s) ({', '.join(r.stages) or 'none available'}), {best}{jobs}"
    return f"{title}\n{table.render()}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table; the exit code is non-zero only if a run failed."""
    args = _parser().parse_args(argv)
    results = measure(args.client, repeat=max(1, args.repeat), jobs=args.jobs)
    if isinstance(results, int):
        return results
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
