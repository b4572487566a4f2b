"""The import rules of ARCHITECTURE.md, checked on the source of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kamtools"
ORCHESTRATION = ("kamtools.runner", "kamtools.cli", "kamtools.kernel")
FOUNDATIONS = ("paths", "formatting", "contract", "periods")


def imported_modules(path: Path) -> set[str]:
    """Every kamtools module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("kamtools")}


def _breaks(imports: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imports if any(n == f or n.startswith(f + ".") for f in forbidden))


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("stages") + _modules("analytics"), ids=lambda p: p.stem)
def test_stage_and_analytics_code_never_imports_the_runner_or_the_cli(path):
    assert _breaks(imported_modules(path), ORCHESTRATION) == []


@pytest.mark.parametrize("path", _modules("analytics"), ids=lambda p: p.stem)
def test_analytics_know_no_stage(path):
    assert _breaks(imported_modules(path), ("kamtools.stages",)) == []


@pytest.mark.parametrize("name", FOUNDATIONS)
def test_foundations_import_no_stage_runner_or_cli(name):
    imports = imported_modules(PACKAGE / f"{name}.py")
    assert _breaks(imports, ("kamtools.stages", *ORCHESTRATION)) == []


@pytest.mark.parametrize("path", _modules("io"), ids=lambda p: p.stem)
def test_disk_access_imports_no_stage_runner_or_cli(path):
    assert _breaks(imported_modules(path), ("kamtools.stages", *ORCHESTRATION)) == []


def _public_names(path: Path) -> set[str]:
    """Functions, classes and UPPER_CASE constants a module defines without a leading underscore."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()}
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize("path", [p for p in _modules("io") if p.stem != "__init__"], ids=lambda p: p.stem)
def test_io_re_exports_every_public_name_of_its_modules(path):
    from kamtools import io

    module = __import__(f"kamtools.io.{path.stem}", fromlist=["_"])
    names = _public_names(path)
    assert names, path  # a module whose names the check cannot see would pass unchecked
    assert sorted(names - set(io.__all__)) == []
    assert all(getattr(io, name) is getattr(module, name) for name in names)


def test_the_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from kamtools.runner import run_stages\n", encoding="utf-8")
    assert _breaks(imported_modules(bad), ORCHESTRATION) == ["kamtools.runner", "kamtools.runner.run_stages"]


def test_there_is_no_utils_module():
    assert not [p for p in PACKAGE.rglob("*.py") if p.stem in {"utils", "helpers", "misc"}]


def test_no_compatibility_shims_of_the_old_layout():
    for old in ("screening.py", "plots.py", "workshop.py"):
        assert not (PACKAGE / old).exists(), old


def test_the_map_names_every_module_of_the_package():
    """ARCHITECTURE.md stays true: each top-level module and package of kamtools is in its table."""
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    unnamed = sorted(m for m in modules if f"`{m}`" not in text and f"`{m}/" not in text)
    assert unnamed == []
