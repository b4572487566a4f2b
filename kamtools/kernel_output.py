"""Inside a stage kernel: display output without waiting for streams that hold nothing.

Before every ``display`` ipykernel flushes ``sys.stdout`` and ``sys.stderr`` so that text printed
earlier reaches the notebook first. A flush from the cell's thread hands the work to the kernel's
I/O thread and waits until that thread has done it, even when nothing was printed: two thread
round trips per output. The plan-development page displays about 380 outputs, so its cells spent
a quarter of a second or more waiting for flushes with nothing to send.

:func:`skip_empty_flushes` makes a flush return at once when its stream holds no text since the
last one; a stream that holds text is flushed exactly as before, so every output keeps its place.
The warm-up of a stage kernel (:class:`kamtools.execution.WarmKernel`) calls it; this module
imports nothing heavy, so it costs the kernel nothing to load.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

SETUP_CODE = "__import__('kamtools.kernel_output', fromlist=['_']).skip_empty_flushes()"
"""What a warm-up runs in the kernel: it binds no name in the notebook's namespace."""


def _holds_nothing(stream: Any) -> bool:
    """Whether an ipykernel ``OutStream`` has no text waiting and echoes nowhere.

    ipykernel 7 keeps the text written since the last flush in ``_buffers`` (one buffer per
    parent message, created by the first write); a flush empties it. Reading it needs no lock:
    a write racing with this check comes from another thread, whose order against the cell's
    next output nothing promises.
    """
    return not stream._buffers and stream.echo is None


def _flush_unless_empty(stream: Any, flush: Callable[[], None]) -> Callable[[], None]:
    """``stream``'s own ``flush``, skipped while the stream holds nothing."""

    def flush_unless_empty() -> None:
        if not _holds_nothing(stream):
            flush()

    flush_unless_empty.skips_empty = True  # type: ignore[attr-defined]
    return flush_unless_empty


def skip_empty_flushes() -> int:
    """Make ``sys.stdout`` and ``sys.stderr`` of an ipykernel kernel skip flushes with nothing to send.

    Outside a kernel (or with an ipykernel whose streams keep their text otherwise) nothing
    changes; calling it twice changes nothing more.

    Returns
    -------
    int
        How many of the two streams now skip empty flushes.
    """
    changed = 0
    for stream in (sys.stdout, sys.stderr):
        flush = getattr(stream, "flush", None)
        if getattr(flush, "skips_empty", False):
            changed += 1
            continue
        if not isinstance(getattr(stream, "_buffers", None), dict) or not hasattr(stream, "echo"):
            continue
        stream.flush = _flush_unless_empty(stream, flush)
        changed += 1
    return changed
