"""Run every corpus case through the CLI and print what happened (a developer's tool)."""

from __future__ import annotations

import contextlib
import io as stdio
import sys
import tempfile
import traceback
from pathlib import Path

from kamtools.cli import main
from tests.bad_inputs.corpus import CASES, build


def run(case, root: Path) -> tuple[int, str]:
    workspace = build(case, root)
    out, err = stdio.StringIO(), stdio.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*case.argv(workspace, root)])
        except BaseException:
            code = -1
            err.write(traceback.format_exc())
    return code, out.getvalue() + err.getvalue()


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            code, text = run(case, Path(tmp))
        ok = code == case.exit_code and all(e in text for e in case.expect)
        print(f"{'OK ' if ok else 'BAD'} {case.name}: exit {code}")
        if not ok:
            lines = [x for x in text.strip().splitlines() if x.strip()]
            if "Traceback" in text:
                lines = lines[-1:]
            print(
                "   " + "\n   ".join(x[:400] for x in lines if "rows read" not in x and "Fix them" not in x)
            )
