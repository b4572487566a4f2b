"""Executing one stage notebook inside a stage process: papermill with fewer saves, warm kernels.

Two things a run pays for on top of the analysis itself, made cheaper here without changing
what the notebook computes or shows:

* papermill writes the whole executed notebook to disk at the start and at the end of every
  cell. A stage notebook carries a megabyte of embedded charts, so a run spent seconds
  serialising the same JSON again and again. :data:`ENGINE_NAME` is papermill's own engine
  with those per-cell saves spaced at least :data:`SAVE_INTERVAL` seconds apart; the notebook
  is still written when execution starts, when it ends, fails, times out or its kernel dies,
  and by papermill's in-cell autosave during long cells.
* Starting a kernel and importing the notebook's modules takes a second or more per stage.
  :class:`WarmKernel` does it ahead of time (while an earlier stage still runs), and the
  notebook then runs on that kernel (:func:`execute`), through the client that found it ready
  (:class:`ReadyKernelClient`: nbclient's own wait for readiness costs 0.2 s a stage). The
  warm-up only runs the notebook's own top-level ``import`` statements, silently (no output, no
  execution count), so the executed notebook is the same as on a fresh kernel; it also lets the
  kernel's displays skip stream flushes with nothing to send (:mod:`kamtools.kernel_output`:
  the same outputs in the same order, without two thread round trips per output).

A stage notebook writes its output tables in a cell tagged :data:`OUTPUTS_TAG`, right after its
analysis; :func:`execute` reports when that cell has run (``on_outputs``), so the stages that
read those tables can start while this notebook still draws its report.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine, papermill_engines
from traitlets import Type

from kamtools.kernel_output import SETUP_CODE

KERNEL_NAME = "kamtools"
"""The Jupyter kernel stage notebooks run on (installed into the environment by the runner)."""

ENGINE_NAME = "kamtools"
"""papermill engine name of :class:`SparseSaveEngine` (registered when this module is imported)."""

SAVE_INTERVAL = 2.0
"""Least seconds between two saves of the executed notebook while its cells run."""

WARMUP_TIMEOUT = 120.0
"""Seconds a kernel may take to start and import the notebook's modules."""

OUTPUTS_TAG = "stage-outputs"
"""Tag of the notebook cell that writes the stage's output tables (see :func:`execute`)."""


class SparseSaveEngine(NBClientEngine):
    """papermill's nbclient engine, saving the notebook at most every :data:`SAVE_INTERVAL` s.

    papermill saves at every cell start and end; here a save is skipped when the last one is
    younger than the interval. The final save (``notebook_complete``, run by papermill
    whatever happened) is never skipped, so the notebook on disk is complete at the end.

    ``on_outputs`` (optional) is called once the cell tagged :data:`OUTPUTS_TAG` has run
    without error: when the next cell starts. papermill stops at a failed cell, and a cell
    timeout or a dead kernel raises, so a cell that did not finish never reaches that point.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        on_outputs: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> Any:
        full_save = nb_man.save
        last_save = [time.monotonic()]  # papermill saved at notebook start

        def sparse_save(**save_kwargs: Any) -> None:
            now = time.monotonic()
            if save_kwargs or now - last_save[0] >= SAVE_INTERVAL:
                full_save(**save_kwargs)
                last_save[0] = now

        nb_man.save = sparse_save
        if on_outputs is not None:
            nb_man.cell_start = _after_outputs_cell(nb_man.cell_start, on_outputs)
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            del nb_man.save  # papermill's notebook_complete then writes the whole notebook
            vars(nb_man).pop("cell_start", None)


def _after_outputs_cell(cell_start: Callable[..., Any], on_outputs: Callable[[], None]) -> Callable[..., Any]:
    """papermill's ``cell_start``, calling ``on_outputs`` first when a cell follows the outputs cell."""
    outputs_cell_seen = [False]
    called = [False]

    def start(cell: Any, *args: Any, **kwargs: Any) -> Any:
        if outputs_cell_seen[0] and not called[0]:
            called[0] = True
            on_outputs()
        if OUTPUTS_TAG in cell.metadata.get("tags", []):
            outputs_cell_seen[0] = True
        return cell_start(cell, *args, **kwargs)

    return start


papermill_engines.register(ENGINE_NAME, SparseSaveEngine)


def notebook_imports(nb: nbformat.NotebookNode) -> str:
    """The top-level ``import`` and ``from ... import`` statements of a notebook's code cells.

    Cells that do not parse as Python (magics, say) are skipped; ``from __future__`` imports
    are left out (they only mean something at the top of a cell).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook; it is not modified.

    Returns
    -------
    str
        The statements, one a line, in notebook order (empty when there are none).
    """
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


class WarmKernel:
    """A kernel started ahead of its notebook, with the notebook's modules already imported.

    The kernel is started as nbclient starts one for papermill (an asynchronous kernel
    manager, IPython history in memory), so the notebook runs on it as on its own kernel.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel to start.
    imports : str
        Code to run silently once the kernel is up (see :func:`notebook_imports`).

    Attributes
    ----------
    manager : jupyter_client.AsyncKernelManager or None
        The started kernel's manager; None when the kernel could not be started or warmed, in
        which case papermill starts a kernel of its own as usual.
    """

    def __init__(self, kernel_name: str, imports: str) -> None:
        from jupyter_core.utils import run_sync

        self.manager: Any = None
        for _ in range(WARM_START_ATTEMPTS):
            manager = WarmKernelManager(kernel_name=kernel_name)
            try:
                run_sync(_start_and_import)(manager, imports)
            except Exception:
                died = _kernel_exited(manager)
                _shutdown(manager)
                if died:
                    continue  # e.g. a port taken between its choice and the kernel's bind
                return  # any other trouble is left to papermill, which starts a kernel of its own
            self.manager = manager
            return

    def lower_priority(self, niceness: int) -> None:
        """Lower the CPU priority of the kernel's main thread (the one running the cells) by
        ``niceness``; nothing when the kernel was not started here or is gone."""
        try:
            pid = self.manager.provisioner.process.pid
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + niceness)
        except (AttributeError, OSError):
            pass

    def shutdown(self) -> None:
        """Stop the kernel (if it was started)."""
        if self.manager is not None:
            _shutdown(self.manager)
            self.manager = None


KERNEL_SETUP = f"{SETUP_CODE}\n__import__('kamtools.stages', fromlist=['_']).stages()"
"""What a warm-up runs after the notebook's imports: displays that skip empty stream flushes
(:mod:`kamtools.kernel_output`), and the stage registry's discovery, which imports every stage
package (``open_client`` reads ``client.yml``, whose sections the stages define): a tenth of a
second or more of the planning and review notebooks, and up to half a second of the needs
analysis, which imports the other stages only for it. Neither binds a name in the notebook."""

IPYTHON_HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"
"""What nbclient passes to an IPython kernel it starts (no history database on disk)."""


async def _start_and_import(manager: WarmKernelManager, imports: str) -> None:
    await manager.start_kernel(extra_arguments=[IPYTHON_HISTORY_IN_MEMORY])
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=WARMUP_TIMEOUT)
        code = f"{imports}\n{KERNEL_SETUP}" if imports else KERNEL_SETUP
        reply = await client.execute_interactive(
            code, silent=True, store_history=False, timeout=WARMUP_TIMEOUT
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError("the warm-up imports failed")
    except BaseException:
        client.stop_channels()
        raise
    client.ready = True
    manager.ready_client = client


class ReadyKernelClient(AsyncKernelClient):
    """A kernel client whose channels the warm-up started and whose kernel it found ready.

    nbclient starts the channels of the client it gets and waits for the kernel to answer; that
    wait ends only after IOPub has been quiet for 0.2 s, a fifth of a second at the start of every
    stage. Done during the warm-up, while nothing waits for the stage, both are skipped when the
    notebook starts (``ready``).
    """

    ready = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self.ready:
            super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        if not self.ready:
            await super().wait_for_ready(timeout=timeout)


WARM_START_ATTEMPTS = 2
"""Kernels started for one warm-up when the first one exits before it is ready.

jupyter_client picks free ports, writes them to the connection file and then starts the kernel,
which binds them; when several stages start kernels at once, another process can take a port in
between, and that kernel exits ("Address already in use"). Started again, it gets fresh ports.
Without a warm kernel the stage still runs (papermill starts its own), but later, and its report
cells no longer run at the stage's lower priority."""


def _kernel_exited(manager: Any) -> bool:
    """Whether the kernel process a manager started has exited (False if it never started)."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    return process is not None and process.poll() is not None


class WarmKernelManager(AsyncKernelManager):
    """The manager of a warm kernel: its next client is the one the warm-up readied (once)."""

    client_factory = Type(klass=ReadyKernelClient)
    ready_client: ReadyKernelClient | None = None

    def client(self, **kwargs: Any) -> AsyncKernelClient:
        if self.ready_client is not None and not kwargs:
            ready, self.ready_client = self.ready_client, None
            return ready
        return super().client(**kwargs)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        if self.ready_client is not None:  # never handed over: its channels are still open
            self.ready_client.stop_channels()
            self.ready_client = None
        await super().shutdown_kernel(now=now, restart=restart)


KERNEL_EXIT_TIMEOUT = 5.0
"""Seconds a killed kernel may take to exit (jupyter_client waits as long)."""


def _shutdown(manager: Any) -> None:
    """Stop the kernel at once: SIGKILL to its process group, as ``shutdown_kernel(now=True)`` sends.

    The kernel is killed and reaped here first: jupyter_client finds out that a killed kernel
    has exited by polling every 0.1 s, and the first poll always comes too early, so every stage
    waited a tenth of a second before its page was rendered (at the end of the run's chain, the
    plan's). ``shutdown_kernel`` then finds the process gone and only cleans up.
    """
    from jupyter_core.utils import run_sync

    try:
        if manager.has_kernel:
            process = getattr(manager.provisioner, "process", None)
            run_sync(manager.provisioner.kill)()
            if process is not None:
                process.wait(timeout=KERNEL_EXIT_TIMEOUT)
            run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # pragma: no cover - a kernel that is already gone
        pass


def execute(
    notebook: str,
    executed: str,
    *,
    parameters: Mapping[str, Any],
    kernel_name: str,
    progress: bool,
    cell_timeout: int,
    kernel: WarmKernel | None = None,
    on_outputs: Callable[[], None] | None = None,
) -> nbformat.NotebookNode:
    """Execute ``notebook`` into ``executed`` with papermill, on ``kernel`` if it is warm.

    ``on_outputs`` is called once the notebook's cell tagged :data:`OUTPUTS_TAG` has run
    without error, while the cells after it still run (see :class:`SparseSaveEngine`).

    Returns the executed notebook, as papermill last wrote it to ``executed`` (the caller need
    not read it back: a twentieth of a second for a plan's page, at the end of the run's chain).

    Raises what :func:`papermill.execute_notebook` raises (``PapermillExecutionError`` when a
    cell failed; a dead kernel, a cell timeout or a kernel that would not start otherwise).
    """
    extra: dict[str, Any] = {}
    if kernel is not None and kernel.manager is not None:
        extra["km"] = kernel.manager
    if on_outputs is not None:
        extra["on_outputs"] = on_outputs
    return papermill.execute_notebook(
        notebook,
        executed,
        parameters=dict(parameters),
        kernel_name=kernel_name,
        engine_name=ENGINE_NAME,
        progress_bar=progress,
        execution_timeout=cell_timeout,
        cwd=None,
        start_timeout=120,
        **extra,
    )


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook (version 4)."""
    return nbformat.read(str(path), as_version=4)


def executed_cells(path: Path) -> int:
    """How many code cells of the executed notebook at ``path`` ran (0 if it is missing or unreadable)."""
    if not path.exists():
        return 0
    try:
        nb = read_notebook(path)
    except Exception:
        return 0
    return sum(1 for c in nb.cells if c.cell_type == "code" and c.get("execution_count"))


def mark_unfinished(path: Path, reason: str) -> None:
    """Record a timeout or dead kernel in the executed notebook as an error output.

    papermill raises these without writing its error markers, which would leave a notebook
    that looks merely unfinished; the analyst must see what stopped it.
    """
    if not path.exists():
        return
    nb = read_notebook(path)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    target = next(
        (c for c in code_cells if c.get("execution_count") is None), code_cells[-1] if code_cells else None
    )
    if target is None:
        return
    target.outputs = [
        *target.get("outputs", []),
        nbformat.v4.new_output("error", ename="StageInterrupted", evalue=reason, traceback=[reason]),
    ]
    nbformat.write(nb, path)
