"""Ship the stage notebooks and the templates inside the wheel, as ``kamtools/resources/``.

They live at the top of the checkout (``notebooks/``, ``templates/``), where analysts and
consultants open them. A wheel installed without the checkout still needs them to run a stage,
so the wheel build copies them into the package; :func:`kamtools.paths.resource_dir` looks there
first, then in the checkout. An editable install reads the checkout's own folders instead, so
an edited notebook takes effect without reinstalling. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = ("notebooks", "templates")
# The jupytext scripts pair the notebooks for review in git; a run needs only the .ipynb files.
LEFT_OUT = shutil.ignore_patterns("*.py", "*.pyc", "__pycache__", ".ipynb_checkpoints")


class BuildWithResources(build_py):
    """``build_py`` that also copies the notebooks and templates into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in RESOURCES:
            target = Path(self.build_lib) / "kamtools" / "resources" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithResources})
