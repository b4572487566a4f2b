"""One stage in a process of its own: the job it is given, what it does, the runner's handle on it.

A stage process starts from its notebook alone: it starts a kernel and imports the notebook's
modules (:class:`kamtools.execution.WarmKernel`), then waits for its :class:`StageJob`. With the
job it executes the notebook; it tells the runner when the notebook's output tables are written
(:data:`OUTPUTS_WRITTEN`: the stages that depend on it may start while its report cells run),
sends the result when the notebook has run, renders the report page (or the error page) and
writes its result file. The runner (:mod:`kamtools.runner`) holds a :class:`StageProcess` per
started stage.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kamtools import execution, io, processes, report
from kamtools.execution import KERNEL_NAME
from kamtools.stages import Stage

AUDIT_DIR = "audit"
"""Run subfolder of the executed notebooks: the analyst's audit trail, not for the client
(their parameters name folders of the analyst's machine)."""
KERNEL_START_ATTEMPTS = 3
OUTPUTS_WRITTEN = "outputs written"
"""What a stage process sends once its notebook's output tables are written, before its result."""
BESIDE_NICENESS = 10
"""How much lower the CPU priority of work that no stage waits for: a stage beside the longest
chain of the run (and its kernel), and a stage's report once its tables are handed over. On a
machine with fewer cores than busy processes the chain the run waits for goes first; work that
can wait takes what is left (nice 10 weighs about a tenth of nice 0)."""


@dataclass(frozen=True)
class RunOptions:
    """What every stage of one run shares: its notebook parameters and how it is rendered."""

    parameters: dict[str, Any]
    client_name: str
    period_label: str
    report_date: str
    next_period_label: str
    with_code: bool
    cell_timeout: int


@dataclass(frozen=True)
class StageJob:
    """Everything one child process needs to execute and render one stage."""

    stage: str
    title: str
    notebook: str
    executed: str
    html: str
    options: RunOptions
    progress: bool
    result_file: str
    summary_file: str
    period_label: str
    """How the cover names the period: the analysed one, or the next for a planning stage."""

    @classmethod
    def for_stage(
        cls, stage: Stage, *, work_dir: Path, notebooks_dir: Path, options: RunOptions, progress: bool
    ) -> StageJob:
        """The job of ``stage`` writing into the run's work folder."""
        return cls(
            stage=stage.key,
            title=stage.title,
            notebook=str(stage.notebook_path(notebooks_dir)),
            executed=str(work_dir / AUDIT_DIR / f"{stage.basename}.ipynb"),
            html=str(work_dir / f"{stage.basename}.html"),
            options=options,
            progress=progress,
            result_file=str(work_dir / f".{stage.key}.result.json"),
            summary_file=str(work_dir / io.stage_summary_file(stage.key)),
            period_label=options.next_period_label if stage.reports_on_next_period else options.period_label,
        )


def _stage_main(notebook: str, conn: Connection, runner_pid: int, beside: bool) -> None:
    """Child process entry: :func:`_execute_stage` with an asyncio event loop of its own.

    jupyter_client and nbclient run their coroutines on the loop jupyter_core keeps in a context
    variable. A forked process inherits the parent's loop when the parent ever ran one (a test
    suite or a benchmark that executed a notebook in-process): its epoll instance is shared with
    the parent and with every sibling forked alike, so a stage would wake for its siblings' kernel
    sockets and spin. In a fresh context jupyter_core makes a new loop; the inherited one is left
    untouched (closing it would unregister the parent's descriptors from the shared epoll).

    A stage ``beside`` the run's longest chain runs (with its kernel) at a lower priority.
    """
    if beside:
        os.nice(BESIDE_NICENESS)
    contextvars.Context().run(_execute_stage, notebook, conn, runner_pid)


def _execute_stage(notebook: str, conn: Connection, runner_pid: int) -> None:
    """Child process: warm a kernel for ``notebook``, wait for its job, execute and render it.

    The kernel starts and imports the notebook's modules at once, while the stages this one
    depends on still run (or the data is still being validated); the notebook starts when the
    runner sends the :class:`StageJob`. When the notebook has run (its output tables are
    written) the result is sent back, so the stages that depend on it can start while this
    process renders the report page.
    """
    os.setpgrp()  # own process group: the watchdog can stop the kernel with its parent
    processes.stop_with_parent(runner_pid)
    os.environ.pop("MPLBACKEND", None)
    kernel = execution.WarmKernel(KERNEL_NAME, execution.notebook_imports(execution.read_notebook(notebook)))
    try:
        job = conn.recv()
        if not isinstance(job, StageJob):
            return
        started = time.monotonic()
        result, nb = _execute_notebook(job, kernel, on_outputs=lambda: _hand_over(conn, kernel))
        conn.send(result)
    except EOFError:  # the runner is gone; stop_with_parent ends this process
        return
    finally:
        kernel.shutdown()
    _render_stage(job, result, nb)
    result["seconds"] = round(time.monotonic() - started, 2)
    io.write_json(Path(job.result_file), result)


def _hand_over(conn: Connection, kernel: execution.WarmKernel) -> None:
    """Tell the runner the output tables are written; the rest of this stage (its report cells
    and page) then runs at the lower priority of work nobody waits for."""
    conn.send(OUTPUTS_WRITTEN)
    kernel.lower_priority(BESIDE_NICENESS)
    with contextlib.suppress(OSError):
        os.nice(BESIDE_NICENESS)


def _execute_notebook(
    job: StageJob, kernel: execution.WarmKernel, *, on_outputs: Callable[[], None]
) -> tuple[dict[str, Any], Any]:
    """Execute the stage notebook (retrying a kernel that will not start): its result, and the
    executed notebook when it ran to the end (None otherwise: it is then read from disk).

    ``on_outputs`` is called when the notebook's output tables are written (see
    :func:`kamtools.execution.execute`).
    """
    from papermill.exceptions import PapermillExecutionError

    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            nb = execution.execute(
                job.notebook,
                job.executed,
                parameters=job.options.parameters,
                kernel_name=KERNEL_NAME,
                progress=job.progress,
                cell_timeout=job.options.cell_timeout,
                kernel=kernel if attempt == 1 else None,
                on_outputs=on_outputs,
            )
            return {"status": "done"}, nb
        except PapermillExecutionError:
            return {"status": "failed"}, None
        except Exception as exc:  # dead kernel, cell timeout, kernel start failure
            kernel.shutdown()
            if execution.executed_cells(Path(job.executed)) == 0 and attempt < KERNEL_START_ATTEMPTS:
                time.sleep(1.0 * attempt)
                continue
            reason = f"{type(exc).__name__}: {exc}"
            execution.mark_unfinished(Path(job.executed), reason)
            return {"status": "failed", "reason": reason}, None
    raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover


def _render_stage(job: StageJob, result: dict[str, Any], executed: Any = None) -> None:
    """Write the stage's client page (or its error page); ``result`` gets summary and failed step.

    ``executed`` is the executed notebook as papermill wrote it, when the stage has it; else the
    notebook is read from disk.
    """
    nb = executed
    if nb is None and Path(job.executed).exists():
        nb = execution.read_notebook(job.executed)
    report_date = dt.date.fromisoformat(job.options.report_date)
    html = None
    if result["status"] == "done" and nb is not None:
        try:
            html = report.render_notebook_html(
                nb,
                client_name=job.options.client_name,
                period=job.period_label,
                stage_title=job.title,
                report_date=report_date,
                with_code=job.options.with_code,
            )
        except report.ReportSafetyError as exc:
            # The page would load or run something: the client gets the error page instead.
            result.update(status="failed", reason=f"report refused: {exc}")
            execution.mark_unfinished(Path(job.executed), str(result["reason"]))
            result["failed_step"] = "preparing the report page"
        summary_file = Path(job.summary_file)
        if summary_file.exists():
            result["summary"] = io.read_text(summary_file).strip()
            summary_file.unlink()
    if html is None:
        failed_step = result.get("failed_step") or (
            report.failed_step_description(nb) if nb is not None else None
        )
        failed_step = failed_step or "starting the analysis"
        result["failed_step"] = failed_step
        html = report.render_error_html(
            client_name=job.options.client_name,
            period=job.period_label,
            stage_title=job.title,
            failed_step=failed_step,
            report_date=report_date,
        )
    io.write_text_atomic(Path(job.html), html)


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork on Linux: a stage process then starts with papermill and nbconvert already imported
    (about two seconds a stage); elsewhere (macOS system libraries dislike fork) spawn.

    Forking is safe here because the runner starts its stage processes from its main thread
    and holds no kernel connections at that moment.
    """
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


@dataclass
class StageProcess:
    """A started stage process: its notebook, the pipe to it, its job once released, how far it got."""

    notebook: str
    process: multiprocessing.process.BaseProcess
    conn: Connection
    job: StageJob | None = None  # sent when the runner lets the notebook start
    released: float | None = None  # when it was sent (monotonic seconds)
    executed: dict[str, Any] | None = None  # the notebook's result, sent before the page is rendered
    outputs_written: bool = False  # the notebook said its output tables are written

    @classmethod
    def start(cls, key: str, notebook: str, *, beside: bool = False) -> StageProcess:
        """Fork (or spawn) a process for stage ``key``; it warms its kernel and waits for its job.

        ``beside``: no stage of the run waits for this one, so it runs at a lower priority
        (:data:`BESIDE_NICENESS`).
        """
        context = _process_context()
        conn, child_conn = context.Pipe()
        process = context.Process(
            target=_stage_main, args=(notebook, child_conn, os.getpid(), beside), name=f"kam-{key}"
        )
        sys.stdout.flush()  # a forked child would print the parent's unflushed lines again
        sys.stderr.flush()
        process.start()
        child_conn.close()
        return cls(notebook, process, conn)

    def release(self, job: StageJob) -> None:
        """Let the notebook start: send it its job."""
        self.conn.send(job)
        self.job = job
        self.released = time.monotonic()

    def receive(self) -> None:
        """Take what the pipe holds: the outputs message, the notebook's result (nothing if it ended)."""
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                message = self.conn.recv()
                if message == OUTPUTS_WRITTEN:
                    self.outputs_written = True
                else:
                    self.executed = message

    def stop_overdue(self) -> dict[str, Any]:
        """The watchdog: stop the stage and its kernel, mark the notebook, and fail the stage."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # the stage and its kernel
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        if self.job is not None:
            execution.mark_unfinished(Path(self.job.executed), "the stage ran past its time limit")
        return {
            "status": "failed",
            "reason": "watchdog timeout",
            "failed_step": "the whole stage (time limit)",
        }

    def result(self) -> dict[str, Any]:
        """The finished process's result (from its result file)."""
        self.process.join()
        self.conn.close()
        result_file = Path(self.job.result_file) if self.job is not None else None
        if result_file is None or not result_file.exists():
            return {
                "status": "failed",
                "reason": f"process exit code {self.process.exitcode}",
                "failed_step": "starting the analysis",
            }
        return io.read_json(result_file)
