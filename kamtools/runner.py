"""Execute the stage notebooks of one client with papermill and file a report pack.

A run of ``kam run CLIENT`` does, in order:

1. validate the client's data (the same checks as ``kam validate``): errors stop the run
   before any notebook starts;
2. execute each requested stage notebook in its own process, with its parameters checked
   against the notebook's ``parameters`` cell, a per-cell timeout and an outer watchdog;
   a stage starts once the notebooks of the stages it depends on have run, and the stages
   that depend on a failed one are skipped;
3. render each executed notebook into client HTML (:mod:`kamtools.report`), or an error page
   naming the failed step.

What is not analysis overlaps with it (:mod:`kamtools.execution`): a stage's process starts
its kernel and imports the notebook's modules while the stages before it still run; the stages
after it start as soon as its notebook has written its output tables, while it still draws its
report and renders its page. ``jobs`` limits how many notebooks analyse at once (a notebook that
has handed over its tables no longer counts, unless ``jobs`` is 1). The run waits for its longest
chain of stages (screening, needs, planning); what nothing waits for (a stage beside the chain, a
report drawn after its tables were handed over) runs at a lower CPU priority. :func:`warm_start`
starts the first stage's kernel while the caller still validates the data.
4. write ``index.html`` and move the whole run folder into
   ``reports/<client>/<period>/<run-id>/`` with one atomic rename, then point ``latest`` at it.

Earlier runs are never touched. Stages hand data on through files in the run folder
(screening writes ``key_accounts.csv``; later stages read it), so one stage can be re-run
on an earlier run's outputs with ``from_run``. Which stages exist, their notebooks, their
order and the tables they write and read come from the stage registry
(:mod:`kamtools.stages`): before a stage starts, the outputs it reads are checked against
their contracts; after it finishes, the outputs it declares must be there.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import keyword
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from kamtools import __version__, io, processes, report, runs
from kamtools.execution import KERNEL_NAME
from kamtools.paths import DEFAULT_REPORTS_DIR, NOTEBOOKS_DIR
from kamtools.runs import RunError
from kamtools.stage_process import AUDIT_DIR, RunOptions, StageJob, StageProcess
from kamtools.stages import Stage, output_table, stages
from kamtools.workspace import INTAKE_CACHE_DIR, Workspace, save_intake_cache

KERNEL_LOG_FLAG = "--log-level=ERROR"
DEFAULT_CELL_TIMEOUT = 600
DEFAULT_STAGE_TIMEOUT = 1800


@dataclass
class StageResult:
    """What happened to one stage in a run."""

    key: str
    status: str  # "done", "failed", "not run"
    summary: str = ""
    failed_step: str | None = None
    seconds: float = 0.0


@dataclass
class RunResult:
    """A finished run: where its report pack is and how each stage went."""

    run_dir: Path
    stages: list[StageResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status == "done" for s in self.stages)


JSONValue = str | int | float | bool | None | list | dict


def check_parameter_values(parameters: Mapping[str, Any]) -> dict[str, JSONValue]:
    """Accept only JSON-like parameters with identifier names.

    papermill writes parameters into a code cell with ``repr``; a value of another type could
    produce code nobody meant to run, so it is rejected here. Paths become strings.
    """

    def convert(name: str, value: Any) -> JSONValue:
        if isinstance(value, Path):
            return str(value)
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list | tuple):
            return [convert(name, v) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: convert(name, v) for k, v in value.items()}
        raise RunError(f"parameter '{name}': a {type(value).__name__} cannot be passed to a notebook")

    checked = {}
    for name, value in parameters.items():
        if not name.isidentifier() or keyword.iskeyword(name):
            raise RunError(f"parameter name {name!r} is not a valid identifier")
        checked[name] = convert(name, value)
    return checked


_TYPE_OF_DECLARATION = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "list": list,
    "dict": dict,
}


def check_against_notebook(notebook: Path, parameters: Mapping[str, JSONValue]) -> None:
    """Refuse parameters the notebook does not declare, or of another type than its default.

    papermill only warns about an unknown parameter; a misspelt one would silently run the
    default, so here it stops the run.
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise RunError(f"{notebook.name}: unknown parameter(s) {unknown}; it declares {sorted(declared)}")
    for name, value in parameters.items():
        type_name = _declared_type(declared[name])
        expected = _TYPE_OF_DECLARATION.get(type_name or "")
        if expected is None or value is None:
            continue
        if isinstance(value, bool) and expected is not bool:
            raise RunError(f"{notebook.name}: parameter '{name}' must be {type_name}")
        if not isinstance(value, expected):
            raise RunError(
                f"{notebook.name}: parameter '{name}' must be {type_name}, not {type(value).__name__}"
            )


def _declared_type(declaration: Mapping[str, Any]) -> str | None:
    """The type of a notebook parameter: its annotation, else the type of its literal default."""
    annotated = str(declaration.get("inferred_type_name") or "None")
    if annotated != "None":
        return annotated
    try:
        default = ast.literal_eval(str(declaration.get("default")))
    except (ValueError, SyntaxError):
        return None
    return None if default is None else type(default).__name__


def ensure_kernel() -> str:
    """Make sure the ``kamtools`` kernel runs this environment's interpreter; install it if not.

    The kernelspec lives in the environment (``sys.prefix``), so it never points at another
    Python, and it sets ``MPLBACKEND`` to the inline backend: an inherited ``Agg`` would
    silently drop every chart from the reports. The kernel logs errors only: its start-up
    warnings would otherwise fill the consultant's terminal on every stage.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(KERNEL_NAME)
        if Path(spec.argv[0]).absolute() == Path(sys.executable).absolute() and KERNEL_LOG_FLAG in spec.argv:
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    folder = Path(
        install(
            kernel_name=KERNEL_NAME,
            display_name="Python (kamtools)",
            prefix=sys.prefix,
            env={"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
        )
    )
    spec_file = folder / "kernel.json"
    kernel_json = json.loads(spec_file.read_text(encoding="utf-8"))
    kernel_json["argv"].append(KERNEL_LOG_FLAG)
    io.write_text_atomic(spec_file, json.dumps(kernel_json, indent=1))
    return KERNEL_NAME


def new_run_id(period_dir: Path, *, now: dt.datetime | None = None) -> str:
    """A sortable, unused run id: the local time to the second, with a suffix if taken."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    run_id, n = stamp, 1
    while (period_dir / run_id).exists() or (period_dir / f".work-{run_id}").exists():
        n += 1
        run_id = f"{stamp}-{n}"
    return run_id


def _stage_order(requested: Sequence[str]) -> list[Stage]:
    known = [s.key for s in stages()]
    unknown = [s for s in requested if s not in known]
    if unknown:
        raise RunError(f"unknown stage(s) {unknown}; choose from {known} or 'all'")
    return [s for s in stages() if s.key in requested]


def available_stages(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Registered stages whose notebook exists in this version of kamtools."""
    return [s.key for s in stages() if s.notebook_path(notebooks_dir).exists()]


@dataclass(frozen=True)
class RunTarget:
    """Whom a run is for: the client's workspace, names and period, as the caller validated them."""

    workspace_dir: Path
    client_name: str
    client_slug: str
    period: int
    period_label: str = ""
    """How the reports name the period (e.g. "2026 (April 2025 to March 2026)"); the year if empty."""
    next_period_label: str = ""
    """How a planning report names the period it plans; the next year if empty."""
    validated: Workspace | None = None
    """The workspace as the caller validated it; its tables are cached in the work folder so the
    stage notebooks do not read and check the client's files again."""

    @classmethod
    def for_workspace(
        cls, workspace: Workspace, *, period_label: str = "", next_period_label: str = ""
    ) -> RunTarget:
        """The target of a loaded, validated workspace."""
        config = workspace.config
        return cls(
            workspace_dir=workspace.root,
            client_name=config.name,
            client_slug=config.slug,
            period=config.current_period,
            period_label=period_label,
            next_period_label=next_period_label,
            validated=workspace,
        )


@dataclass(frozen=True)
class RunSettings:
    """How a run goes: where reports go, parallelism, time limits, the notebooks to use."""

    reports_dir: Path = DEFAULT_REPORTS_DIR
    from_run: str | None = None
    """Run id of an earlier run of the same client and period whose stage outputs the requested
    stages read (for re-running one stage)."""
    jobs: int = 1
    """Stages run side by side where dependencies allow."""
    with_code: bool = False
    progress: bool = True
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    stage_timeout: float = DEFAULT_STAGE_TIMEOUT
    notebooks_dir: Path = NOTEBOOKS_DIR
    now: dt.datetime | None = None


@dataclass
class WarmStart:
    """Stage processes started before their run (:func:`warm_start`), by stage key.

    A run (:func:`run_stages`) takes those it uses; leaving the ``with`` block stops the others
    (a run refused for bad data, an error, Ctrl-C), each with its kernel.
    """

    processes: dict[str, StageProcess] = field(default_factory=dict)

    def take(self, key: str) -> StageProcess | None:
        """The process started for stage ``key`` (now the caller's to stop), or None."""
        return self.processes.pop(key, None)

    def __enter__(self) -> WarmStart:
        return self

    def __exit__(self, *_exc: object) -> None:
        processes.stop_stage_processes([p.process for p in self.processes.values()])
        self.processes.clear()


def warm_start(stages: Sequence[str], *, notebooks_dir: Path = NOTEBOOKS_DIR) -> WarmStart:
    """Start the process of the run's first stage now, so that its kernel starts and imports the
    notebook's modules while the caller still validates the client's data.

    Only the first stage of the longest chain: the others start during the run, as usual.
    Unknown stages or a missing notebook start nothing (:func:`run_stages` names the fault).
    Use as ``with warm_start(...) as warm: ... run_stages(..., warm=warm)``.
    """
    try:
        order = _stage_order(stages)
    except RunError:
        return WarmStart()
    chain = _longest_chain(order)
    first = next((s for s in order if s.key in chain), None)
    if first is None or not first.notebook_path(notebooks_dir).exists():
        return WarmStart()
    ensure_kernel()  # the kernel must be installed before the process starts one
    return WarmStart({first.key: StageProcess.start(first.key, str(first.notebook_path(notebooks_dir)))})


def _longest_chain(order: Sequence[Stage]) -> set[str]:
    """The keys of the longest chain of dependencies among the stages of ``order`` (method order).

    The run lasts at least as long as this chain runs, one stage after the other; every other
    stage runs beside it. Of chains as long, the first in method order.
    """
    keys = {s.key for s in order}
    depth: dict[str, int] = {}
    below: dict[str, str | None] = {}
    for stage in order:  # a stage comes after the stages it depends on
        deepest = max((d for d in stage.depends_on if d in keys), key=depth.__getitem__, default=None)
        depth[stage.key] = 1 + (depth[deepest] if deepest is not None else 0)
        below[stage.key] = deepest
    key = max(depth, key=depth.__getitem__) if depth else None
    chain = set()
    while key is not None:
        chain.add(key)
        key = below[key]
    return chain


def run_stages(
    target: RunTarget,
    stages: Sequence[str],
    settings: RunSettings = RunSettings(),
    *,
    notify: Callable[[str], None] = print,
    warm: WarmStart | None = None,
) -> RunResult:
    """Execute stages for a validated client and file the report pack; see the module doc.

    Parameters
    ----------
    target
        The client and period (already validated by the caller).
    stages
        Stage keys in any order; they run in method order, independent ones in parallel
        when ``settings.jobs > 1``.
    settings
        Reports folder, earlier run, parallelism, time limits.
    notify
        Receives the progress lines.
    warm
        Stage processes started ahead (:func:`warm_start`); the run takes those of its stages.
    """
    order = _stage_order(stages)
    for stage in order:
        if not stage.notebook_path(settings.notebooks_dir).exists():
            raise RunError(f"the {stage.key} stage has no notebook in this version of kamtools")
    period_dir = settings.reports_dir / target.client_slug / str(target.period)
    if settings.reports_dir.resolve() not in period_dir.resolve().parents or "/" in target.client_slug:
        raise RunError(
            f"the client folder name {target.client_slug!r} would file reports outside the reports folder"
        )
    period_dir.mkdir(parents=True, exist_ok=True)
    for abandoned in runs.remove_abandoned_work(period_dir.parent):
        notify(f"Removed the work folder {abandoned.name} that an interrupted run left behind.")
    now = settings.now or dt.datetime.now()
    run_id = new_run_id(period_dir, now=now)
    work_dir = period_dir / f"{io.WORK_DIR_PREFIX}{run_id}"
    (work_dir / AUDIT_DIR).mkdir(parents=True)
    runs.claim(work_dir)
    try:
        _prepare_work_dir(work_dir, period_dir, target, settings)
        options = RunOptions(
            parameters=check_parameter_values(
                {
                    "workspace_dir": target.workspace_dir.resolve(),
                    "period": target.period,
                    "output_dir": work_dir.resolve(),
                }
            ),
            client_name=target.client_name,
            period_label=target.period_label or str(target.period),
            next_period_label=target.next_period_label or str(target.period + 1),
            report_date=now.date().isoformat(),
            with_code=settings.with_code,
            cell_timeout=settings.cell_timeout,
        )
        results = _run_in_waves(
            order, work_dir, options=options, settings=settings, notify=notify, warm=warm or WarmStart()
        )
        _file_pack(
            work_dir,
            order,
            results,
            target=target,
            options=options,
            run_id=run_id,
            now=now,
            from_run=settings.from_run,
        )
        final_dir = period_dir / run_id
        io.publish_folder(work_dir, final_dir)
    except BaseException:
        # An interrupted or refused run leaves nothing behind; earlier runs are untouched.
        io.remove_tree(work_dir)
        raise
    # A run in which a stage failed is filed and listed, but never becomes the latest pack.
    runs.point_latest(period_dir)
    runs.write_client_index(period_dir.parent, client_name=target.client_name)
    return RunResult(run_dir=final_dir, stages=[results[s.key] for s in order])


def _prepare_work_dir(work_dir: Path, period_dir: Path, target: RunTarget, settings: RunSettings) -> None:
    """Copy an earlier run's outputs in (``from_run``), cache the intake, check the kernel."""
    if settings.from_run:
        earlier = period_dir / settings.from_run
        if not earlier.is_dir():
            raise RunError(f"no earlier run {settings.from_run!r} for {target.client_slug} {target.period}")
        io.copy_files(earlier, work_dir, patterns=("*.csv", "*.xlsx"))
    if target.validated is not None:
        save_intake_cache(target.validated, work_dir)
    ensure_kernel()


def _run_in_waves(
    order: Sequence[Stage],
    work_dir: Path,
    *,
    options: RunOptions,
    settings: RunSettings,
    notify: Callable[[str], None],
    warm: WarmStart,
) -> dict[str, StageResult]:
    """Run the stages: each starts once the stages it depends on have written their outputs.

    At most ``settings.jobs`` notebooks execute at once. Work that is not a notebook's analysis
    overlaps with it: a stage's process starts (kernel, imports) while the stages before it
    still run, and a stage's report page is rendered while the stages after it already run.
    A stage whose dependency failed is not run; one whose inputs are missing or wrong fails.
    """
    for stage in order:
        check_against_notebook(stage.notebook_path(settings.notebooks_dir), options.parameters)
    single = settings.progress and settings.jobs <= 1  # side by side, progress bars would garble
    jobs = {
        s.key: StageJob.for_stage(
            s, work_dir=work_dir, notebooks_dir=settings.notebooks_dir, options=options, progress=single
        )
        for s in order
    }
    schedule = _Schedule(
        order, jobs, work_dir, settings, notify, beside={s.key for s in order} - _longest_chain(order)
    )
    for key, job in jobs.items():
        started = warm.take(key)
        if started is not None and started.notebook == job.notebook:
            schedule.live[key] = started
        elif started is not None:
            processes.stop_stage_processes([started.process])
    try:
        while len(schedule.results) < len(order):
            schedule.start_what_can_start()
            schedule.collect()
    except BaseException:
        # Ctrl-C or an error in the runner: no stage (nor its kernel) may run on without it.
        processes.stop_stage_processes([p.process for p in schedule.live.values()])
        raise
    return {s.key: schedule.results[s.key] for s in order}


@dataclass
class _Schedule:
    """The stages of one run and their processes, as :func:`_run_in_waves` moves them on."""

    order: Sequence[Stage]
    jobs: Mapping[str, StageJob]
    work_dir: Path
    settings: RunSettings
    notify: Callable[[str], None]
    beside: set[str] = field(default_factory=set)
    """Stages off the longest chain: nothing waits for them, they run at a lower priority."""
    live: dict[str, StageProcess] = field(default_factory=dict)
    results: dict[str, StageResult] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    """Outputs read and found to keep their contract when their stage handed them over; nothing
    writes them after, so the stages that read them do not have them read again here."""

    def _executed_ok(self, key: str) -> bool | None:
        """Whether stage ``key`` wrote its outputs (and has not failed since); None while unknown.

        A stage whose notebook still runs after handing over its tables counts as done; should it
        fail later, the stages that depend on it are stopped and not run, as before.
        """
        if key in self.live:
            process = self.live[key]
            if process.executed is not None:
                return process.executed["status"] == "done"
            return True if process.outputs_written else None
        return self.results[key].status == "done" if key in self.results else None

    def _drop(self, stage: Stage, result: StageResult) -> None:
        """Record a stage that will not run, stopping its process (and its outputs, if it started)."""
        if stage.key in self.live:
            process = self.live.pop(stage.key)
            processes.stop_stage_processes([process.process])
            if process.released is not None:
                _remove_outputs(stage, self.work_dir)
        self.results[stage.key] = result

    def _analysing(self, process: StageProcess) -> bool:
        """Whether ``process`` counts against ``jobs``: released, notebook not yet handed over."""
        if process.released is None or process.executed is not None:
            return False
        return not (process.outputs_written and self.settings.jobs > 1)

    def start_what_can_start(self) -> None:
        """Skip stages whose dependency failed, release those that may run, pre-start the next."""
        keys = {s.key for s in self.order}
        limit = max(1, self.settings.jobs)
        running = sum(1 for p in self.live.values() if self._analysing(p))
        waiting = sum(1 for p in self.live.values() if p.released is None)
        for stage in (s for s in self.order if s.key not in self.results):
            done = [self._executed_ok(d) for d in stage.depends_on if d in keys]
            process = self.live.get(stage.key)
            if False in done:
                summary = "Not run because an earlier stage it needs failed."
                self._drop(stage, StageResult(stage.key, "not run", summary=summary))
            elif process is not None and process.released is not None:
                continue
            elif None not in done and running < limit:
                refused = _unreadable_inputs(stage, self.work_dir, self.notify, checked=self.checked)
                if refused is not None:
                    self._drop(stage, refused)
                    continue
                if process is None:
                    process = self._start(stage.key)
                else:
                    waiting -= 1
                self.notify(f"[{stage.number}/{len(stages())}] {stage.title} ...")
                process.release(self.jobs[stage.key])
                running += 1
            elif process is None and waiting < limit and self._dependencies_started(stage, keys):
                self._start(stage.key)  # its kernel warms up while the stages it needs run
                waiting += 1

    def _dependencies_started(self, stage: Stage, keys: set[str]) -> bool:
        """Whether every stage of the run that ``stage`` depends on has started (or ended).

        A kernel warms up for the next stage of a chain, not for the one after: on a machine with
        as many cores as busy processes, a warm-up two stages ahead only slows the stage that
        runs and the warm-up of the stage that follows it.
        """
        return all(
            d in self.results or (d in self.live and self.live[d].released is not None)
            for d in stage.depends_on
            if d in keys
        )

    def _start(self, key: str) -> StageProcess:
        process = self.live[key] = StageProcess.start(key, self.jobs[key].notebook, beside=key in self.beside)
        return process

    def collect(self) -> None:
        """Wait for the next message or finished process (or an overdue stage) and record it."""
        released = [p for p in self.live.values() if p.released is not None]
        if not released:
            return
        timeout = self.settings.stage_timeout
        deadline = min(float(p.released or 0.0) + timeout for p in released)
        objects = [p.conn for p in released] + [p.process.sentinel for p in released]
        ready = set(wait(objects, max(0.0, deadline - time.monotonic())))
        for stage in self.order:
            process = self.live.get(stage.key)
            if process is None or process.released is None:
                continue
            if process.conn in ready:
                handed_over = process.outputs_written
                process.receive()
                if process.outputs_written and not handed_over:
                    if _missing_outputs(stage, self.work_dir):
                        process.outputs_written = False  # not handed over: the check below names the fault
                    else:
                        self.checked.update(stage.writes)
                # Outputs handed over were checked then, and nothing writes them after.
                done = process.executed is not None and process.executed["status"] == "done"
                if done and not process.outputs_written:
                    wrong = _missing_outputs(stage, self.work_dir)
                    if wrong:
                        self.notify(f"      {stage.title}: its outputs are wrong: {'; '.join(wrong)}")
                        process.executed = {"status": "failed", "failed_step": "writing its output tables"}
                    else:
                        self.checked.update(stage.writes)
            if process.process.sentinel in ready:
                outcome = process.result()
            elif time.monotonic() >= process.released + timeout:
                outcome = process.stop_overdue()
            else:
                continue
            del self.live[stage.key]
            self._finished(stage, outcome, process.executed)

    def _finished(self, stage: Stage, outcome: dict[str, Any], executed: dict[str, Any] | None) -> None:
        if executed is not None and executed["status"] != "done":
            outcome = {**outcome, **executed, "status": "failed"}
        self.results[stage.key] = StageResult(
            stage.key,
            outcome["status"],
            outcome.get("summary", ""),
            outcome.get("failed_step"),
            outcome.get("seconds", 0.0),
        )
        state = "done" if outcome["status"] == "done" else f"FAILED at: {outcome.get('failed_step')}"
        self.notify(f"      {stage.title}: {state} ({outcome.get('seconds', 0)} s)")


def _unreadable_inputs(
    stage: Stage, work_dir: Path, notify: Callable[[str], None], *, checked: set[str]
) -> StageResult | None:
    """A failed result when an output ``stage`` reads is missing or breaks its contract, else None.

    Outputs in ``checked`` were found good when their stage handed them over and are not read again.
    """
    for name in (n for n in stage.reads if n not in checked):
        try:
            io.read_stage_output(work_dir, output_table(name))
        except io.StageOutputError as exc:
            notify(f"      {stage.title}: not started: {exc}")
            return StageResult(
                stage.key,
                "failed",
                summary=f"Not run: {exc.file} of an earlier stage is missing or wrong.",
                failed_step=f"reading {exc.file} of an earlier stage",
            )
    return None


def _missing_outputs(stage: Stage, work_dir: Path) -> list[str]:
    """The outputs ``stage`` declares but did not write (or wrote against their contract)."""
    wrong = []
    for name in stage.writes:
        try:
            io.read_stage_output(work_dir, output_table(name))
        except io.StageOutputError as exc:
            wrong.append(str(exc))
    return wrong


def _remove_outputs(stage: Stage, work_dir: Path) -> None:
    """Remove the output tables a stopped stage may have written: a stage not run has none."""
    for name in stage.writes:
        for suffix in (".csv", ".xlsx"):
            (work_dir / f"{name}{suffix}").unlink(missing_ok=True)
    (work_dir / io.stage_summary_file(stage.key)).unlink(missing_ok=True)


def _file_pack(
    work_dir: Path,
    order: Sequence[Stage],
    results: Mapping[str, StageResult],
    *,
    target: RunTarget,
    options: RunOptions,
    run_id: str,
    now: dt.datetime,
    from_run: str | None,
) -> None:
    """Write the index page and the run manifest, and clear the runner's own files."""
    summaries = [
        report.StageSummary(
            key=s.key,
            title=s.title,
            html_file=f"{s.basename}.html",
            status=results[s.key].status,
            summary=results[s.key].summary,
        )
        for s in order
    ]
    index = report.render_index_html(
        client_name=target.client_name,
        period=options.period_label,
        report_date=now.date(),
        kamtools_version=__version__,
        stages=summaries,
    )
    io.write_text_atomic(work_dir / "index.html", index)
    manifest = {
        "run_id": run_id,
        "client": target.client_slug,
        "period": target.period,
        "kamtools_version": __version__,
        "started": now.isoformat(timespec="seconds"),
        "from_run": from_run,
        "stages": [asdict(r) for r in results.values()],
    }
    io.write_json(work_dir / "run.json", manifest)
    for leftover in [*work_dir.glob(".*.result.json"), work_dir / runs.OWNER_FILE]:
        leftover.unlink(missing_ok=True)
    io.remove_tree(work_dir / INTAKE_CACHE_DIR)
