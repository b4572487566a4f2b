"""The ``kam`` command's entry point, kept free of heavy imports.

Loading the toolkit (pandas, DuckDB, the report pipeline) takes a second or more, and an analyst
who presses Ctrl-C in that second must get the same one quiet line as later in the run, not a
traceback from deep inside an import: so this module imports :mod:`kamtools.cli` only inside
:func:`main`, under the same guard. It also keeps one import out of the command that costs a
second and serves nothing in it (:data:`UNUSED_IMPORTS`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

INTERRUPTED = "kam: interrupted; earlier reports and workshop entries are untouched."
"""What ``kam`` prints when Ctrl-C stops it, whenever that happens."""
EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""
UNUSED_IMPORTS = ("rfc3987_syntax",)
"""Modules the ``kam`` process never imports, although an optional import would load them.

``rfc3987_syntax``: jsonschema, which nbformat and papermill load to validate notebooks, imports
it when installed (JupyterLab's ``jsonschema[format-nongpl]`` brings it) and compiles its IRI
grammar on import: about a second before every ``kam run``. Only jsonschema's "iri" format check
uses it, and no notebook schema asks for that format; jsonschema leaves the check out when the
import fails. Kernels and JupyterLab run in processes of their own and keep it."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kam`` with ``argv`` (default: the command line); returns the exit code."""
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # None in sys.modules: importing it raises ImportError
    try:
        from kamtools.cli import main as kam
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    return kam(argv)


if __name__ == "__main__":  # pragma: no cover - ``python -m kamtools.command``
    sys.exit(main())
