"""Where kamtools finds its notebooks and templates, and where clients and reports go by default.

Built once, here. Notebooks and templates are resources: a wheel can ship them inside the package
(``kamtools/resources/notebooks``, ``kamtools/resources/templates``); a checkout (also an
editable install) keeps them at the project root. :func:`resource_dir` looks in that order, so
the runner, the report and the scaffolding find them the same way in both cases.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DEFAULT_CLIENTS_DIR",
    "DEFAULT_REPORTS_DIR",
    "INPUT_TEMPLATES_DIR",
    "IN_CHECKOUT",
    "NBCONVERT_TEMPLATES_DIR",
    "NOTEBOOKS_DIR",
    "PACKAGE_DIR",
    "PROJECT_ROOT",
    "TEMPLATES_DIR",
    "WORK_ROOT",
    "resource_dir",
]

PACKAGE_DIR = Path(__file__).resolve().parent
"""The ``kamtools`` package folder."""

PROJECT_ROOT = PACKAGE_DIR.parent
"""The checkout the package runs from (the folder holding ``pyproject.toml``)."""


def resource_dir(name: str) -> Path:
    """The folder of a resource (``"notebooks"``, ``"templates"``): in the package, else the checkout."""
    packaged = PACKAGE_DIR / "resources" / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


NOTEBOOKS_DIR = resource_dir("notebooks")
"""The stage notebooks (``01_screening.ipynb``, ...)."""

TEMPLATES_DIR = resource_dir("templates")
INPUT_TEMPLATES_DIR = TEMPLATES_DIR / "inputs"
"""Blank input files copied into a new workspace."""

NBCONVERT_TEMPLATES_DIR = TEMPLATES_DIR / "nbconvert"
"""The nbconvert template folder of the report (``kamtools/``)."""

IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
"""Running from a checkout (or an editable install of one), not from an installed wheel."""

WORK_ROOT = PROJECT_ROOT if IN_CHECKOUT else Path.cwd()
"""Where ``clients/`` and ``reports/`` go: the checkout, or the folder ``kam`` is run from when
kamtools is installed as a package (never inside the installed package itself)."""

DEFAULT_CLIENTS_DIR = WORK_ROOT / "clients"
"""Client workspaces unless ``--clients-dir`` says otherwise."""

DEFAULT_REPORTS_DIR = WORK_ROOT / "reports"
"""Report packs unless ``--reports-dir`` says otherwise."""
