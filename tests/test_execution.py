"""Executing a stage notebook: warm kernels and papermill with fewer saves (kamtools.execution)."""

from __future__ import annotations

import os

import nbformat
import papermill.iorw
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kamtools import execution
from kamtools.runner import KERNEL_NAME, ensure_kernel


def printed(cell) -> str:
    """What a cell printed, without surrounding whitespace.

    On a loaded machine ipykernel may send ``print(11)`` as "11" and a late "\\n" that arrives
    after the cell ended: the tests compare the text, not how the kernel chunked it.
    """
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream").strip()


def notebook(path, *sources: str):
    nb = new_notebook(
        metadata={"kernelspec": {"name": KERNEL_NAME, "display_name": "k", "language": "python"}}
    )
    nb.cells = [new_markdown_cell("## Part")] + [new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def run(source, executed, kernel: execution.WarmKernel | None = None):
    """``source`` executed into ``executed`` as a stage is (60 s a cell), on ``kernel`` if given,
    which is shut down after; the executed notebook papermill returns."""
    try:
        return execution.execute(
            str(source), str(executed), parameters={}, kernel_name=KERNEL_NAME,
            progress=False, cell_timeout=60, kernel=kernel,
        )  # fmt: skip
    finally:
        if kernel is not None:
            kernel.shutdown()


def code_cells(path) -> list:
    """The code cells of the notebook at ``path``, as written to disk."""
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def warm_and_cold(source, folder, warm_up: str) -> tuple[list, list]:
    """The code cells of ``source`` run on a kernel warmed with ``warm_up``, and on a fresh one."""
    kernel = execution.WarmKernel(KERNEL_NAME, warm_up)
    assert kernel.manager is not None
    run(source, folder / "warm.ipynb", kernel)
    run(source, folder / "cold.ipynb")
    return tuple(code_cells(folder / f"{name}.ipynb") for name in ("warm", "cold"))


def test_notebook_imports_are_the_top_level_import_statements_in_order():
    nb = new_notebook()
    nb.cells = [
        new_code_cell('workspace_dir = ""'),
        new_code_cell("from __future__ import annotations\nimport json\nfrom pathlib import Path\nx = 1"),
        new_markdown_cell("import not_code"),
        new_code_cell("%matplotlib inline\nimport broken"),  # not Python: skipped
        new_code_cell("import json\nif x:\n    import csv\nimport numpy as np"),
    ]
    assert execution.notebook_imports(nb) == "import json\nfrom pathlib import Path\nimport numpy as np"
    assert execution.notebook_imports(new_notebook()) == ""


def test_a_notebook_runs_on_the_warm_kernel_as_on_a_fresh_one(tmp_path, monkeypatch):
    ensure_kernel()
    monkeypatch.delenv("MPLBACKEND", raising=False)
    source = notebook(
        tmp_path / "in.ipynb",
        "import sys\nwarm = 'email.mime.text' in sys.modules\nprint(warm)",
        "import email.mime.text\nprint('second')",
    )
    code, cold = warm_and_cold(
        source, tmp_path, execution.notebook_imports(nbformat.read(source, as_version=4))
    )
    assert [c.execution_count for c in code] == [1, 2]  # the silent warm-up counts no execution
    assert [printed(c) for c in code] == ["True", "second"]
    # On a fresh kernel the module is not there before the notebook imports it.
    assert printed(cold[0]) == "False"


def test_the_notebook_runs_on_the_client_the_warm_up_readied(tmp_path, monkeypatch):
    # Waiting for a kernel to be ready ends only after IOPub is quiet for 0.2 s: the warm-up
    # does it once, and the notebook starts without waiting again.
    from jupyter_client.asynchronous import AsyncKernelClient

    ensure_kernel()
    waits = []
    real_wait = AsyncKernelClient.wait_for_ready

    async def counted_wait(self, timeout=None):
        waits.append(self)
        await real_wait(self, timeout=timeout)

    monkeypatch.setattr(AsyncKernelClient, "wait_for_ready", counted_wait)
    source = notebook(tmp_path / "in.ipynb", "print('ran')")
    kernel = execution.WarmKernel(KERNEL_NAME, "import json")
    assert kernel.manager is not None and len(waits) == 1
    readied = kernel.manager.ready_client
    run(source, tmp_path / "out.ipynb", kernel)
    assert len(waits) == 1 and waits[0] is readied
    assert kernel.manager is None and readied.ready
    code = code_cells(tmp_path / "out.ipynb")
    assert printed(code[0]) == "ran"


def outputs_in_order(cell) -> list[tuple[str, str]]:
    """A cell's outputs as (kind, text), consecutive text of one stream joined (however chunked)."""
    found: list[tuple[str, str]] = []
    for output in cell.outputs:
        if output["output_type"] == "stream":
            if found and found[-1][0] == output["name"]:
                found[-1] = (output["name"], found[-1][1] + output["text"])
            else:
                found.append((output["name"], output["text"]))
        else:
            found.append((output["output_type"], output["data"].get("text/html", "")))
    return found


def test_displays_on_a_warm_kernel_skip_empty_flushes_and_keep_every_output_in_place(tmp_path, monkeypatch):
    # ipykernel flushes stdout and stderr before each display, waiting for its I/O thread even
    # when nothing was printed; the warm-up lets those empty flushes return at once.
    ensure_kernel()
    monkeypatch.delenv("MPLBACKEND", raising=False)
    mixed = (
        "from IPython.display import HTML, display\nimport sys\n"
        "for i in range(3):\n    print('before', i)\n    display(HTML(f'<p>{i}</p>'))\n"
        "    sys.stderr.write(f'err {i}\\n')\n    display(HTML('<p>again</p>'))\n"
        "    print('after', i, end='')\n"
    )
    counting = (
        "import sys\nsends = []\nthread = sys.stdout.pub_thread\nreal = thread.schedule\n"
        "thread.schedule = lambda f: (sends.append(f), real(f))[1]\n"
        "for _ in range(5):\n    display(HTML('<p>x</p>'))\nthread.schedule = real\n"
        "print(len(sends), getattr(sys.stdout.flush, 'skips_empty', False))"
    )
    source = notebook(tmp_path / "in.ipynb", mixed, counting)
    warm, cold = warm_and_cold(source, tmp_path, "from IPython.display import HTML, display")
    assert outputs_in_order(warm[0]) == outputs_in_order(cold[0])
    assert [kind for kind, _ in outputs_in_order(warm[0])][:4] == [
        "stdout",
        "display_data",
        "stderr",
        "display_data",
    ]
    assert printed(warm[1]) == "5 True"  # one hand-over to the I/O thread per display: its message
    sends, patched = printed(cold[1]).split()
    assert patched == "False" and int(sends) > 5  # a fresh kernel also hands over every empty flush


def test_a_warm_kernel_never_used_closes_the_channels_of_its_readied_client():
    ensure_kernel()
    kernel = execution.WarmKernel(KERNEL_NAME, "import json")
    client = kernel.manager.ready_client
    assert client is not None and client.hb_channel.is_alive()
    kernel.shutdown()
    assert not client.hb_channel.is_alive() and not client.channels_running


def test_a_kernel_that_cannot_start_leaves_the_start_to_papermill():
    kernel = execution.WarmKernel("no-such-kernel-kamtools", "import json")
    assert kernel.manager is None
    kernel.shutdown()  # nothing to stop


def test_a_kernel_that_exits_at_start_because_its_port_is_taken_is_started_again(monkeypatch):
    import socket

    ensure_kernel()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()  # another process's port, as when it takes one between choice and bind
    started = []

    class FirstOnATakenPort(execution.WarmKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if not started:  # ports from the manager, not from jupyter_client's cache of free ones
                self.cache_ports = False
                self.shell_port = taken.getsockname()[1]
            started.append(self)

    monkeypatch.setattr(execution, "WarmKernelManager", FirstOnATakenPort)
    try:
        kernel = execution.WarmKernel(KERNEL_NAME, "import json")
        assert len(started) == 2 and kernel.manager is started[1]  # the first kernel exited; a second is warm
        assert not execution._kernel_exited(started[1])
        kernel.shutdown()
    finally:
        taken.close()


def test_a_warm_up_whose_imports_fail_is_not_started_again(monkeypatch):
    ensure_kernel()
    started = []

    class Counting(execution.WarmKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            started.append(self)

    monkeypatch.setattr(execution, "WarmKernelManager", Counting)
    kernel = execution.WarmKernel(KERNEL_NAME, "import no_such_module_kamtools")
    assert kernel.manager is None and len(started) == 1  # papermill runs the notebook, and reports it


def test_the_executed_notebook_is_saved_sparsely_and_complete_at_the_end(tmp_path, monkeypatch):
    ensure_kernel()
    saves = []
    real_write = papermill.iorw.write_ipynb

    def counting_write(nb, path):
        saves.append(path)
        real_write(nb, path)

    monkeypatch.setattr("papermill.engines.write_ipynb", counting_write)
    source = notebook(tmp_path / "in.ipynb", *[f"print({n})" for n in range(12)])
    out = tmp_path / "out.ipynb"
    run(source, out)
    # papermill alone saves at the start, at every cell's start and end and at the end: 28 times.
    assert 2 <= len(saves) < 10
    code = code_cells(out)
    # Every cell's output is in the notebook on disk.
    assert [printed(c) for c in code] == [str(n) for n in range(12)]
    assert all(c.metadata.papermill.status == "completed" for c in code)


def test_a_failed_cell_is_on_disk_with_its_error(tmp_path):
    ensure_kernel()
    source = notebook(
        tmp_path / "in.ipynb", "print('before')", "raise ValueError('stop here')", "print('never')"
    )
    out = tmp_path / "out.ipynb"
    try:
        run(source, out)
    except Exception as exc:
        assert type(exc).__name__ == "PapermillExecutionError"
    else:  # pragma: no cover - the check must be able to fail
        raise AssertionError("the failing cell did not stop the notebook")
    code = code_cells(out)
    assert printed(code[0]) == "before"
    assert any(o.get("ename") == "ValueError" for o in code[1].outputs)
    assert execution.executed_cells(out) == 2
    assert os.path.getsize(out) > 0


def test_a_stage_process_runs_on_an_event_loop_of_its_own(monkeypatch):
    from jupyter_core.utils import ensure_event_loop

    from kamtools import stage_process

    inherited = ensure_event_loop()  # as in a process that executed a notebook itself

    def report_loop(notebook, conn, runner_pid):
        conn.send(ensure_event_loop() is inherited)

    monkeypatch.setattr(stage_process, "_execute_stage", report_loop)
    process = stage_process.StageProcess.start("probe", "unused.ipynb")
    try:
        assert process.conn.poll(30)
        # A forked stage on the parent's loop would share its epoll with every sibling and spin.
        assert process.conn.recv() is False
    finally:
        process.process.join(10)
    assert not inherited.is_closed()  # the parent's loop is left as it was


def test_the_executed_notebook_is_returned_as_it_is_on_disk_and_renders_the_same_page(tmp_path, monkeypatch):
    import datetime as dt

    from kamtools import report

    ensure_kernel()
    monkeypatch.delenv("MPLBACKEND", raising=False)
    source = notebook(
        tmp_path / "in.ipynb",
        "from IPython.display import HTML, Markdown, display\nprint('printed')\n"
        "display(Markdown('## A heading'))",
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport io\n"
        "from IPython.display import Image\nfig, ax = plt.subplots()\nax.plot([1, 2], [3, 1])\n"
        "buffer = io.BytesIO()\n"
        "fig.savefig(buffer, format='png')\ndisplay(Image(data=buffer.getvalue(), format='png'),"
        " metadata={'image/png': {'caption': 'A line'}})",
        "display(HTML('<table><tr><td>1 &amp; 2</td></tr></table>'))\n{'provenance': 1}",
    )
    returned = run(source, tmp_path / "out.ipynb")
    on_disk = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert returned == on_disk

    def page(nb) -> str:
        return report.render_notebook_html(
            nb, client_name="Client", period="2026", stage_title="Stage", report_date=dt.date(2026, 12, 1)
        )

    assert page(returned) == page(on_disk)


def test_the_warm_up_discovers_the_stages_before_the_notebook_starts(tmp_path, monkeypatch):
    # open_client reads client.yml, whose sections the stages define: the registry imports every
    # stage package then; on a warm kernel that happened during the warm-up.
    ensure_kernel()
    monkeypatch.delenv("MPLBACKEND", raising=False)
    source = notebook(tmp_path / "in.ipynb", "import sys\nprint('kamtools.stages.review' in sys.modules)")
    warm, cold = warm_and_cold(source, tmp_path, "import json")
    printed_by = {"warm": printed(warm[0]), "cold": printed(cold[0])}
    assert printed_by == {"warm": "True", "cold": "False"}


def test_a_warm_kernel_is_stopped_with_the_processes_it_started(tmp_path):
    ensure_kernel()
    pid_file = tmp_path / "child.pid"
    kernel = execution.WarmKernel(
        KERNEL_NAME,
        "import subprocess\nchild = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))",
    )
    assert kernel.manager is not None
    process = kernel.manager.provisioner.process
    child = int(pid_file.read_text())
    kernel.shutdown()
    assert process.poll() is not None  # killed and reaped
    assert kernel.manager is None
    assert _gone(child), "the kernel's child process outlived it"


def _gone(pid: int) -> bool:
    """Whether process ``pid`` ends within five seconds (a zombie left for init to reap counts)."""
    import time

    for _ in range(100):
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.05)
    return False
