"""Shared fixtures: tiny workspaces written into tmp folders, and the demo workspace."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_uci.csv.gz"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory) -> Path:
    """The demo client written once per test session into a temporary clients folder."""
    from kamtools.scaffold import write_demo_workspace

    return write_demo_workspace(tmp_path_factory.mktemp("clients") / "demo")


@pytest.fixture(scope="session")
def demo_screened(demo_workspace):
    """The demo workspace loaded and screened once with its default settings: (workspace, result).

    Analysis functions never mutate what they are given, so tests share it.
    """
    import warnings

    from kamtools.stages.screening import ScreeningSettings, screen_client
    from kamtools.workspace import load_workspace

    workspace = load_workspace(demo_workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = screen_client(workspace.tables, start_month=4, period=2026, settings=ScreeningSettings())
    return workspace, result


def write_workspace(root: Path, files: dict[str, str | bytes], config: str) -> Path:
    """A client workspace from literal file contents and a literal client.yml."""
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / "inputs" / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "client.yml").write_text(config, encoding="utf-8")
    return root
