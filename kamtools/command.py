"""The ``kam`` command's entry point, kept free of heavy imports.

Loading the toolkit (pandas, DuckDB, the report pipeline) takes a second or more, and an analyst
who presses Ctrl-C in that second must get the same one quiet line as later in the run, not a
traceback from deep inside an import: so this module imports :mod:`kamtools.cli` only inside
:func:`main`, under the same guard.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

INTERRUPTED = "kam: interrupted; earlier reports and workshop entries are untouched."
"""What ``kam`` prints when Ctrl-C stops it, whenever that happens."""
EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kam`` with ``argv`` (default: the command line); returns the exit code."""
    try:
        from kamtools.cli import main as kam
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    return kam(argv)


if __name__ == "__main__":  # pragma: no cover - ``python -m kamtools.command``
    sys.exit(main())
