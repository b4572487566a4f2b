"""An installed wheel, without the checkout, carries the notebooks and templates and runs a stage."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a wheel is built from: the package, its build files and its resources; nothing generated.
NOT_SOURCE = shutil.ignore_patterns(
    ".*", "build", "dist", "*.egg-info", "clients", "reports", "benchmarks", "docs", "tests", "__pycache__"
)


WHERE = "p.PACKAGE_DIR, p.NOTEBOOKS_DIR, p.WORK_ROOT"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source") / "kamtools"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("kamtools-*.whl")
    return found


def test_the_wheel_ships_every_notebook_and_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    notebooks = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert len(notebooks) == 4
    assert {f"kamtools/resources/notebooks/{name}" for name in notebooks} <= names
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert {f"kamtools/resources/{name}" for name in templates} <= names
    # The jupytext pairs stay in the checkout; a run needs only the notebooks.
    assert not [n for n in names if n.startswith("kamtools/resources/notebooks/") and n.endswith(".py")]


def test_an_installed_wheel_runs_the_screening_away_from_the_checkout(wheel, tmp_path):
    target, work = tmp_path / "site", tmp_path / "work"
    work.mkdir()
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}

    def kam(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kamtools.cli", *args], cwd=work, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", f"import kamtools.paths as p; print({WHERE})"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    package, notebooks, work_root = (Path(w) for w in where)
    assert package.is_relative_to(target)
    assert notebooks == package / "resources" / "notebooks"
    assert work_root == work.resolve()

    for step in (("demo",), ("run", "demo", "--stage", "screening", "--quiet")):
        result = kam(*step)
        assert result.returncode == 0, result.stdout + result.stderr
    (report,) = (work / "reports").rglob("01_screening.html")
    assert "Northwind Building Supplies" in report.read_text(encoding="utf-8")
    assert (work / "clients" / "demo" / "client.yml").is_file()
    assert not (ROOT / "kamtools" / "resources").exists()
