"""Workshop mode: ``kam lab CLIENT`` opens the client's own copies of the stage notebooks in JupyterLab.

The tracked notebooks in ``notebooks/`` are templates and never hold outputs or client data.
A workshop therefore works on copies: :func:`write_workshop_notebooks` writes each stage
notebook into ``<workspace>/workshop/`` (inside ``clients/``, which git ignores) with the
client's parameters injected the way ``kam run`` injects them, and :func:`lab_command` starts
JupyterLab with that folder as its root, so the project's own files are out of reach of its
autosave.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from kamtools.stages import stages

WORKSHOP_DIR = "workshop"
"""Subfolder of a client workspace holding its workshop notebooks (and the overrides file)."""

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _parameter_cell(workspace: Path) -> nbformat.NotebookNode:
    source = "\n".join(
        [
            "# Parameters of this client's workshop (written by `kam lab`).",
            f"workspace_dir = {str(workspace)!r}",
            "period = 0",
            'output_dir = ""',
        ]
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})


def workshop_notebook(template: Path, workspace: Path) -> nbformat.NotebookNode:
    """A stage notebook prepared for a client's workshop: its parameters injected, no outputs.

    The injected cell follows the cell tagged ``parameters`` (as papermill places it), so the
    notebook runs top to bottom on this client's data in JupyterLab's "Run All".
    """
    notebook = nbformat.read(template, as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            cells.append(_parameter_cell(workspace.resolve()))
    notebook.cells = cells
    # No jupytext pairing: the copy must not grow a .py twin when JupyterLab saves it.
    notebook.metadata.pop("jupytext", None)
    return notebook


def _sources(path: Path) -> list[str] | None:
    try:
        return [cell.source for cell in nbformat.read(path, as_version=4).cells]
    except (OSError, ValueError):
        return None


def write_workshop_notebooks(workspace: Path, *, notebooks_dir: Path | None = None) -> list[Path]:
    """Copy every stage notebook into ``<workspace>/workshop/`` with the client's parameters.

    A copy whose cells someone edited (sources, not outputs) is not overwritten but kept beside
    the fresh one as ``<name>.<UTC time>.ipynb``, so no workshop note is lost.

    Returns
    -------
    list of pathlib.Path
        The workshop notebooks, in stage order.
    """
    folder = workspace / WORKSHOP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_lab_settings(folder)
    written = []
    for stage in stages():
        template = (
            stage.notebook_path() if notebooks_dir is None else notebooks_dir / Path(stage.notebook).name
        )
        if not template.exists():
            continue
        notebook = workshop_notebook(template, workspace)
        target = folder / template.name
        if target.exists():
            old = _sources(target)
            if old is not None and old != [cell.source for cell in notebook.cells]:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                target.rename(target.with_name(f"{target.stem}.{stamp}{target.suffix}"))
        nbformat.write(notebook, target)
        written.append(target)
    return written


LAB_STATE_DIR = ".jupyterlab"
"""Subfolder of the workshop folder with JupyterLab's settings and layouts for this client."""

LAB_SETTINGS: dict[str, dict[str, object]] = {
    # Workshops run offline: no "get notified about news?" prompt in front of the room.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell stays rendered, so scrolling back to the panel never re-draws it.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def write_lab_settings(folder: Path) -> Path:
    """JupyterLab settings of a workshop, kept in the workshop folder (never in the user's home)."""
    import json

    settings_dir = folder / LAB_STATE_DIR / "settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return settings_dir


@dataclass(frozen=True)
class LabServer:
    """Where a workshop's JupyterLab listens and how to open a notebook in it."""

    root: Path
    port: int
    token: str
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, notebook: str | None = None) -> str:
        """The browser address (with its token) of JupyterLab, or of one notebook in it."""
        path = f"/lab/tree/{notebook}" if notebook else "/lab"
        return f"{self.base_url}{path}?token={self.token}"


def lab_server(workspace: Path, *, port: int = 0, token: str | None = None) -> LabServer:
    """The server settings of a workshop: its folder, a free port unless given, a fresh token."""
    return LabServer(
        root=(workspace / WORKSHOP_DIR).resolve(),
        port=port or free_port(),
        token=token or secrets.token_hex(24),
    )


def lab_command(server: LabServer) -> list[str]:
    """The command line starting JupyterLab for ``server`` with this environment's interpreter.

    Localhost only, no browser, the workshop folder as root (the project's notebooks are out
    of its reach), no update or news checks (workshops run offline); ``--allow-root`` when
    run as root, which JupyterLab otherwise refuses.
    """
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={server.host}",
        f"--ServerApp.port={server.port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={server.root}",
        f"--IdentityProvider.token={server.token}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--MappingKernelManager.default_kernel_name=kamtools",
        f"--LabApp.user_settings_dir={server.root / LAB_STATE_DIR / 'settings'}",
        f"--LabApp.workspaces_dir={server.root / LAB_STATE_DIR / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def wait_until_ready(server: LabServer, *, timeout: float = 90.0) -> None:
    """Block until JupyterLab answers on its port (raises TimeoutError after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    status = f"{server.base_url}/api/status?token={server.token}"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(status, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer on {server.base_url} within {timeout:.0f} s")
