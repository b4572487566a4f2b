"""The run folders of one client and period: what a run leaves, what ``latest`` means.

``reports/<client>/<period>/`` holds one folder per run. A run works in a hidden
``.work-<run-id>`` folder (with a Parquet copy of the client's validated tables) and renames it
into place when it is complete. This module keeps that folder honest:

* a work folder whose run died (killed, power cut) is removed at the next run of the client,
  so no copy of the client's data lingers (:func:`remove_abandoned_work`);
* ``latest`` points at the newest *complete* pack, never at a run in which a stage failed
  (:func:`point_latest`);
* ``reports/<client>/index.html`` lists every run, failed ones marked, newest first
  (:func:`write_client_index`).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
from pathlib import Path

from kamtools.io import WORK_DIR_PREFIX, point_link

WORK_PREFIX = WORK_DIR_PREFIX
OWNER_FILE = ".owner"
RUN_MANIFEST = "run.json"
LATEST = "latest"


# The errors that stop a run before it starts live here, not in the runner, so that the ``kam``
# command can name them without loading the report pipeline for commands that run no stage.
class RunError(Exception):
    """A run cannot start: unknown stage, bad parameter, missing notebook or earlier run."""


def claim(work_dir: Path) -> None:
    """Record which process works in ``work_dir``, so a later run can tell it was abandoned."""
    (work_dir / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(work_dir: Path) -> int | None:
    try:
        return int((work_dir / OWNER_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def remove_abandoned_work(client_dir: Path) -> list[Path]:
    """Remove the work folders (and half-made ``latest`` links) of runs that died.

    A work folder belongs to a dead run when the process recorded in it no longer exists, or
    when it records none (a run killed before it wrote its owner). Folders of runs still
    going, e.g. a second ``kam run`` of the same client in another terminal, stay.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    removed: list[Path] = []
    if not client_dir.is_dir():
        return removed
    for period_dir in (p for p in client_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        for work in period_dir.glob(f"{WORK_PREFIX}*"):
            owner = _owner(work)
            if owner is not None and _alive(owner):
                continue
            if owner is None and _recent(work):
                continue  # just created by a run that has not written its owner yet
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
        for link in period_dir.glob(f".{LATEST}-*"):
            with contextlib.suppress(OSError):
                link.unlink()
    return removed


def _recent(path: Path, seconds: float = 60.0) -> bool:
    import time

    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def run_status(run_dir: Path) -> str:
    """``complete`` when every stage of the run finished, ``failed`` otherwise."""
    try:
        manifest = json.loads((run_dir / RUN_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "failed"
    stages = manifest.get("stages") or []
    return "complete" if stages and all(s.get("status") == "done" for s in stages) else "failed"


def runs(period_dir: Path) -> list[Path]:
    """The run folders of a period, newest first (run ids sort by time)."""
    found = [
        p
        for p in period_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and (p / RUN_MANIFEST).exists()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


def point_latest(period_dir: Path) -> Path | None:
    """Point ``latest`` at the newest complete run (atomically); remove it when there is none."""
    complete = [r for r in runs(period_dir) if run_status(r) == "complete"]
    link = period_dir / LATEST
    if not complete:
        if link.is_symlink():
            link.unlink()
        return None
    newest = complete[0]
    point_link(link, newest.name)
    return newest


def write_client_index(client_dir: Path, *, client_name: str) -> Path:
    """``reports/<client>/index.html``: every run of every period, newest first, failed ones marked.

    It sits beside the period folders, so a period folder holds only its runs and ``latest``.
    """
    sections = []
    for period_dir in sorted(
        (p for p in client_dir.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True
    ):
        link = period_dir / LATEST
        latest = link.resolve().name if link.is_symlink() else None
        items = []
        for run in runs(period_dir):
            status = run_status(run)
            label = "complete" if status == "complete" else "did not complete: a stage failed (see its page)"
            mark = " <strong>(latest complete pack)</strong>" if run.name == latest else ""
            href = html.escape(f"{period_dir.name}/{run.name}/index.html")
            items.append(
                f'<li class="{status}"><a href="{href}">{html.escape(run.name)}</a> — {label}{mark}</li>'
            )
        if items:
            sections.append(f"<h2>Period {html.escape(period_dir.name)}</h2><ul>{''.join(items)}</ul>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(client_name)}: report packs</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
        "li{margin:.3rem 0}.failed{color:#9a3412}</style></head><body>"
        f"<h1>{html.escape(client_name)}: report packs</h1><p>Newest first. <code>latest</code> in each"
        " period is its newest complete pack; runs in which a stage failed stay listed here but never"
        " become the latest.</p>"
        f"{''.join(sections)}</body></html>\n"
    )
    target = client_dir / "index.html"
    tmp = client_dir / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target
