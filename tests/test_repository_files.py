"""The repository holds only files that mean the same on every machine."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "-s"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout.splitlines()


def test_no_symbolic_link_is_tracked():
    # A link into a developer's folders (generated benchmark data, say) dangles in a fresh clone.
    links = [line.split("\t", 1)[1] for line in _tracked_files() if line.startswith("120000 ")]
    assert links == []
