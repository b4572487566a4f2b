"""The two dependency lists (pyproject.toml, environment.yml) stay in step; setup files exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirement(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", text)
    assert match, text
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    from_pyproject = {
        _requirement(r)
        for r in project["dependencies"]
        + project["optional-dependencies"]["dev"]
        + project["optional-dependencies"]["test"]
    }
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [
        d for d in environment["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))
    ]
    from_environment = {_requirement(d) for d in conda}
    assert from_environment == from_pyproject
    assert "python>=3.11" in environment["dependencies"]


def test_benchmark_environment_lists_the_runtime_dependencies_and_the_bench_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["bench"]}
    environment = yaml.safe_load((ROOT / "benchmarks" / "environment.yml").read_text(encoding="utf-8"))
    listed = [
        d for d in environment["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))
    ]
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            listed += [d for d in entry.get("pip", []) if not d.startswith("-e")]
    assert {_requirement(d) for d in listed} == wanted


def test_nbconvert_is_pinned_past_the_security_fixes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "nbconvert>=7.17.1" in project["dependencies"]


def test_ci_runs_make_test_and_readme_shows_the_two_commands():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_blank_input_templates_match_the_contract():
    from kamtools.contract import TABLES
    from kamtools.io import read_raw_table

    folder = ROOT / "templates" / "inputs"
    for table in TABLES.values():
        for suffix in ("csv", "xlsx"):
            frame = read_raw_table(folder / f"{table.name}.{suffix}")
            assert list(frame.columns) == table.column_names, f"{table.name}.{suffix}"
            assert len(frame) == 1
