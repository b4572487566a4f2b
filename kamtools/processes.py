"""Stage processes that never outlive the run that started them.

A stage runs in its own process (papermill), which starts a Jupyter kernel in a session of its
own. When the runner stops (Ctrl-C, a watchdog, or the runner killed outright) nothing it
started may keep running or write into a report folder afterwards:

* the stage process watches its parent and, when the parent is gone, kills its kernel and
  exits within a fraction of a second (:func:`stop_with_parent`);
* SIGTERM or SIGINT to a stage process does the same, quietly: no traceback on the terminal;
* the runner, interrupted while stages run, stops them before it cleans up
  (:func:`stop_stage_processes`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path

PARENT_POLL_SECONDS = 0.1
STOPPED_EXIT_CODE = 143  # the usual code of a process ended by SIGTERM


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc; empty where there is no /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: fields start after the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def descendant_pids(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...), nearest first."""
    found: list[int] = []
    todo = [pid]
    while todo:
        children = child_pids(todo.pop())
        found.extend(children)
        todo.extend(children)
    return found


def kill_descendants(pid: int | None = None) -> None:
    """SIGKILL every process below ``pid`` (this process by default), with their groups.

    A Jupyter kernel runs in a session of its own, so killing the stage's process group does
    not reach it: it is found as a child process and its own group is killed.
    """
    for child in descendant_pids(os.getpid() if pid is None else pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(child) == child:
                os.killpg(child, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)


def stop_with_parent(parent: int) -> None:
    """In a stage process: stop it and its kernel when the runner stops or dies.

    SIGTERM and SIGINT end the stage quietly (kernel first), and a watcher thread does the
    same as soon as ``parent`` is no longer this process's parent (the runner was killed).
    """

    def stop(*_: object) -> None:
        kill_descendants()
        os._exit(STOPPED_EXIT_CODE)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        stop()

    threading.Thread(target=watch, name="kam-parent-watch", daemon=True).start()


def stop_stage_processes(processes: Iterable, *, grace: float = 3.0) -> None:
    """In the runner: stop stage processes still running (each with its kernel), then reap them."""
    running = [p for p in processes if p.is_alive()]
    for process in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            kill_descendants(process.pid)
            process.kill()
            process.join()
