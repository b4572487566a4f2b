"""What the user sees when kamtools itself fails: one line, and the details in a log file.

Expected failures (bad data, bad settings) are problem reports. Everything else is a bug in
kamtools: the terminal shows one sentence naming the log file that holds the traceback, so a
consultant never faces a raw traceback and the developer still gets every detail.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
import tempfile
import traceback
from pathlib import Path

DISK_ERRORS = {
    errno.EACCES: "the folder is not writable (permission denied)",
    errno.EPERM: "the folder is not writable (permission denied)",
    errno.EROFS: "the folder is on a read-only disk",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
}


def log_dir() -> Path:
    """Where bug reports go: ``$KAM_LOG_DIR``, else ``kamtools-logs`` in the temporary folder."""
    return Path(os.environ.get("KAM_LOG_DIR") or Path(tempfile.gettempdir()) / "kamtools-logs")


def write_bug_report(exc: BaseException, *, command: str) -> Path | None:
    """Write the traceback of an unexpected error to a new log file; its path (None if unwritable)."""
    folder = log_dir()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"kam-{command}-{stamp}-{os.getpid()}.log"
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        path.write_text(f"kam {command} ({' '.join(sys.argv[1:])})\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


def disk_problem(exc: OSError) -> str | None:
    """A sentence for a write that failed because of the disk or its permissions, else None."""
    reason = DISK_ERRORS.get(exc.errno or 0)
    if reason is None:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot write{where}: {reason}; choose another folder (--reports-dir) or free the disk"
