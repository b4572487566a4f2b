"""`kam lab`: the workshop works on the client's own copies of the notebooks, never on notebooks/."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat

from kamtools.lab import INJECTED_TAG, lab_command, lab_server, write_workshop_notebooks
from kamtools.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from kamtools.stages import stages


def test_workshop_copies_carry_the_clients_parameters_and_no_outputs(demo_workspace, tmp_path):
    workspace = tmp_path / "acme"
    workspace.mkdir()
    tracked_before = {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    written = write_workshop_notebooks(workspace)
    assert [p.name for p in written] == [
        s.notebook_path().name for s in stages() if s.notebook_path().exists()
    ]
    assert all(p.parent == workspace / "workshop" for p in written)
    notebook = nbformat.read(written[0], as_version=4)
    tags = [c.metadata.get("tags", []) for c in notebook.cells]
    injected = tags.index([INJECTED_TAG])
    assert "parameters" in tags[injected - 1]
    assert repr(str(workspace.resolve())) in notebook.cells[injected].source
    assert all(not c.get("outputs") for c in notebook.cells)
    assert "jupytext" not in notebook.metadata  # no paired .py appears when JupyterLab saves
    assert {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")} == tracked_before


def test_a_copy_someone_edited_is_kept_beside_the_fresh_one(tmp_path):
    (first, *_) = write_workshop_notebooks(tmp_path)
    notebook = nbformat.read(first, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("Agreed in the room: drop the margin gate."))
    nbformat.write(notebook, first)
    write_workshop_notebooks(tmp_path)
    kept = [p for p in first.parent.glob(f"{first.stem}.*.ipynb")]
    assert len(kept) == 1 and "Agreed in the room" in kept[0].read_text(encoding="utf-8")
    assert "Agreed in the room" not in first.read_text(encoding="utf-8")
    write_workshop_notebooks(tmp_path)  # an unedited copy is simply refreshed
    assert len(list(first.parent.glob(f"{first.stem}.*.ipynb"))) == 1


def test_jupyterlab_serves_the_workshop_folder_on_localhost_only(tmp_path):
    server = lab_server(tmp_path, port=0)
    command = lab_command(server)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve() / 'workshop'}" in command
    assert "--ServerApp.ip=127.0.0.1" in command and f"--ServerApp.port={server.port}" in command
    assert f"--IdentityProvider.token={server.token}" in command and len(server.token) >= 32
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert server.url("01_screening.ipynb").endswith(f"/lab/tree/01_screening.ipynb?token={server.token}")


def test_kam_lab_on_an_unknown_client_is_one_sentence(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kamtools.cli", "--clients-dir", str(tmp_path), "lab", "nobody"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "client.yml" in done.stderr and "nobody" in done.stderr


def test_the_pre_commit_hook_refuses_notebooks_with_outputs(tmp_path):
    hook = PROJECT_ROOT / ".githooks" / "pre-commit"
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    git("config", "core.hooksPath", str(hook.parent))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(notebook, repo / "notebooks" / "clean.ipynb")
    git("add", ".")
    assert git("commit", "-qm", "clean").returncode == 0
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="Acme GmbH 1,234,567")]
    nbformat.write(notebook, repo / "notebooks" / "clean.ipynb")
    git("add", ".")
    refused = git("commit", "-qm", "with outputs")
    assert refused.returncode != 0 and "notebooks/clean.ipynb holds outputs" in refused.stderr


def test_ci_installs_chromium_and_runs_the_browser_test():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci and "chromium" in ci and "make test-browser" in ci
    assert "make test\n" in ci
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "test-browser:" in makefile and "-m browser tests/test_lab_browser.py" in makefile
    assert "kam lab" in makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
