"""Making workspaces: ``kam new`` (blank inputs and ``client.yml``) and the demo workspace.

A workspace looks like::

    clients/<slug>/
        client.yml          name, currency, fiscal year, periods, column mappings, stage settings
        inputs/             the client's files (CSV, XLSX or Parquet), one per contract table
        workshop/           what workshops decide (screening overrides, ...); never overwritten
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kamtools import io
from kamtools.config import CONFIG_FILE, ConfigError
from kamtools.contract import TABLES
from kamtools.paths import DEFAULT_CLIENTS_DIR, INPUT_TEMPLATES_DIR
from kamtools.periods import fiscal_period
from kamtools.stages import config_sections


def blank_config(
    name: str,
    *,
    slug: str,
    currency: str = "EUR",
    current_period: int | None = None,
    sales_mapping: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``client.yml`` of a new workspace, pointing at the blank input templates."""
    current = current_period or pd.Timestamp.today().year - 1
    inputs: dict[str, Any] = {t: {"file": f"inputs/{t}.csv"} for t in TABLES}
    if sales_mapping:
        inputs["sales"] = dict(sales_mapping)
    return {
        "client": {"name": name, "slug": slug, "currency": currency, "fiscal_year_start_month": 1},
        "periods": {"current": current, "previous": current - 1},
        "inputs": inputs,
        **{section: {} for section in config_sections()},
    }


def new_workspace(
    workspace: Path,
    *,
    name: str,
    from_file: Path | None = None,
    companions: Mapping[str, Path] | None = None,
    lookup_files: Sequence[Path] = (),
) -> list[Path]:
    """Create a client workspace with blank input files (CSV and XLSX) and a ``client.yml``.

    With ``from_file`` (a real export of invoice lines), ``companions`` (other exports by
    contract table, e.g. ``{"customers": master.xlsx, "receivables": open_items.csv}``) and
    ``lookup_files`` (e.g. a product list giving the category), the files are copied into
    ``inputs/`` and :func:`kamtools.mapping.propose_inputs` proposes their mapping and the
    periods; the proposal's notes head ``client.yml`` as comments for the user to check.
    Every file is read before anything is written, and an existing workspace is never
    touched, so nobody's entries are ever overwritten.
    """
    from kamtools.mapping import propose_inputs

    if (workspace / CONFIG_FILE).exists():
        raise ConfigError(f"the workspace '{workspace.name}' already exists; nothing was changed")
    exports = {"sales": from_file, **dict(companions or {})} if from_file is not None else {}
    frames = {table: (f"inputs/{path.name}", io.read_raw_table(path)) for table, path in exports.items()}
    lookups = {f"inputs/{path.name}": io.read_raw_table(path) for path in lookup_files}
    inputs = workspace / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (workspace / "workshop").mkdir(exist_ok=True)
    written: list[Path] = []
    for template in sorted(INPUT_TEMPLATES_DIR.glob("*")):
        target = inputs / template.name
        target.write_bytes(template.read_bytes())
        written.append(target)
    for path in [*exports.values(), *lookup_files]:
        target = inputs / path.name
        target.write_bytes(path.read_bytes())
        written.append(target)
    config = blank_config(name, slug=workspace.name)
    notes: list[str] = []
    if frames:
        proposal = propose_inputs(frames, lookups=lookups)
        # Only the files given: without a customer master, customers come from the lines.
        config["inputs"] = proposal.inputs
        if proposal.currency:
            config["client"]["currency"] = proposal.currency
        if proposal.periods is not None:
            periods = proposal.periods
            config["periods"] = {
                "current": periods.current,
                "previous": periods.previous,
                "first": periods.first,
            }
        notes = [
            f"Proposed by `kam new` from {', '.join(p.name for p in exports.values())}; check it:",
            *proposal.notes,
        ]
    header = "".join(f"# {line}\n" for line in notes)
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=False)
    io.write_text_atomic(workspace / CONFIG_FILE, header + body)
    written.append(workspace / CONFIG_FILE)
    return written


DEMO_FILE_TYPES = {"team": "xlsx", "market": "xlsx"}
"""The demo ships two tables as Excel files so that every run also exercises XLSX intake."""


def write_demo_workspace(workspace: Path, *, seed: int | None = None) -> Path:
    """Write the generated demo dealer as a client workspace (CSV and XLSX inputs, client.yml).

    The files are written into a staging folder that replaces ``workspace`` only when
    complete; the demo's workshop folder (overrides) is carried over, never lost.
    """
    import shutil
    import tempfile

    from kamtools.demo import demo_config, generate_demo_tables, write_demo_plan

    tables = generate_demo_tables() if seed is None else generate_demo_tables(seed=seed)
    config = demo_config()
    # The demo's history starts with its first invoice: all three years are analysed.
    start_month = config["client"]["fiscal_year_start_month"]
    first_date = tables["sales"]["invoice_date"].min()
    config["periods"].setdefault(
        "first", int(fiscal_period(pd.Series([first_date]), start_month=start_month)[0])
    )
    workspace.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{workspace.name}-", dir=workspace.parent))
    try:
        inputs: dict[str, Any] = {}
        for name, frame in tables.items():
            file = f"inputs/{name}.{DEMO_FILE_TYPES.get(name, 'csv')}"
            io.write_table(frame, staging / file)
            inputs[name] = {"file": file}
        config["inputs"] = inputs
        for section in config_sections():
            config.setdefault(section, {})
        (staging / "workshop").mkdir()
        if (workspace / "workshop").is_dir():
            shutil.rmtree(staging / "workshop")
            shutil.copytree(workspace / "workshop", staging / "workshop")
        if (workspace / CONFIG_FILE).exists():
            # Keep stage settings a workshop saved into the demo's client.yml.
            saved = io.read_yaml(workspace / CONFIG_FILE)
            for section in config_sections():
                config[section] = saved.get(section) or config[section]
        io.write_yaml(staging / CONFIG_FILE, config, keep_previous=False)
        write_demo_plan(staging, tables)  # the reviewed plan of 2026 and its tracker (stage 4)
        if workspace.exists():
            retired = workspace.with_name(f".{workspace.name}-old")
            shutil.rmtree(retired, ignore_errors=True)
            workspace.rename(retired)
            staging.rename(workspace)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(workspace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return workspace


def blank_input_table(table: str) -> pd.DataFrame:
    """The blank input file of a contract table: its header and one example row."""
    columns = TABLES[table].columns
    return pd.DataFrame([[c.example for c in columns]], columns=[c.name for c in columns])


def write_input_templates(folder: Path) -> list[Path]:
    """Write the blank input files (CSV and XLSX) of every contract table into ``folder``."""
    written = []
    for table in TABLES:
        for suffix in ("csv", "xlsx"):
            path = folder / f"{table}.{suffix}"
            io.write_table(blank_input_table(table), path)
            written.append(path)
    return written


DEMO_SLUG = "demo"
DEMO_WORKSPACE = DEFAULT_CLIENTS_DIR / DEMO_SLUG


def ensure_demo_workspace(workspace: Path = DEMO_WORKSPACE, *, force: bool = False) -> Path:
    """The demo workspace, written first if it is not there yet (or when ``force``)."""
    if force or not (workspace / CONFIG_FILE).exists():
        write_demo_workspace(workspace)
    return workspace
