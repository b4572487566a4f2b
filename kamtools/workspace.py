"""Client workspaces: the folder holding one client's ``client.yml`` and input tables.

A workspace looks like::

    clients/<slug>/
        client.yml          name, currency, fiscal year, periods, column mappings, stage settings
        inputs/             the client's files (CSV, XLSX or Parquet), one per contract table
        workshop/           what workshops decide (screening overrides, ...); never overwritten

This module reads the configuration, checks it, and loads and validates the tables through
:mod:`kamtools.io` and :mod:`kamtools.validation`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kamtools import io
from kamtools.contract import TABLES
from kamtools.paths import DEFAULT_CLIENTS_DIR, INPUT_TEMPLATES_DIR
from kamtools.periods import fiscal_period, period_bounds
from kamtools.validation import (
    Intake,
    PeriodSpan,
    Problem,
    check_overrides,
    spec_from_mapping,
    validate_tables,
)

CONFIG_FILE = "client.yml"
OVERRIDES_FILE = "workshop/screening_overrides.csv"
TOP_LEVEL_KEYS = ("client", "periods", "inputs", "screening")


class ConfigError(Exception):
    """``client.yml`` is missing, unreadable or holds a wrong setting."""


@dataclass(frozen=True)
class ClientConfig:
    """The checked settings of ``client.yml``; ``raw`` keeps the whole mapping for saving."""

    name: str
    slug: str
    currency: str
    fiscal_year_start_month: int
    current_period: int
    previous_period: int
    first_period: int
    inputs: Mapping[str, Mapping[str, Any]]
    screening: Mapping[str, Any]
    raw: Mapping[str, Any]
    data_end: pd.Timestamp | None = None
    """``periods.data_end``: the last day the client's export covers, when client.yml says so."""

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First day of the first period and last day of the current period."""
        start, _ = period_bounds(self.first_period, start_month=self.fiscal_year_start_month)
        _, end = period_bounds(self.current_period, start_month=self.fiscal_year_start_month)
        return start, end


def slugify(name: str) -> str:
    """A folder-safe identifier from a client name: "Müller & Söhne GmbH" → "m-ller-s-hne-gmbh"."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "client"


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"client.yml: '{key}' must be a whole number, not {value!r}")
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"client.yml: '{key}' must be a whole number, not {value!r}") from exc


def parse_config(raw: Mapping[str, Any], *, slug: str) -> ClientConfig:
    """Check a ``client.yml`` mapping and return its settings.

    Every wrong key names itself: an unknown top-level key, a missing client name, a period
    that is not a year, a fiscal start month outside 1-12, an input for an unknown table.
    """
    unknown = set(raw) - set(TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"client.yml: unknown section(s) {sorted(unknown)}; allowed: {list(TOP_LEVEL_KEYS)}"
        )
    client = raw.get("client") or {}
    name = str(client.get("name") or "").strip()
    if not name:
        raise ConfigError("client.yml: 'client.name' is required")
    start_month = _integer(client.get("fiscal_year_start_month", 1), "client.fiscal_year_start_month")
    if not 1 <= start_month <= 12:
        raise ConfigError("client.yml: 'client.fiscal_year_start_month' must be between 1 and 12")
    periods = raw.get("periods") or {}
    if "current" not in periods:
        raise ConfigError("client.yml: 'periods.current' (the fiscal year to analyse, e.g. 2025) is required")
    current = _integer(periods["current"], "periods.current")
    previous = _integer(periods.get("previous", current - 1), "periods.previous")
    first = _integer(periods.get("first", min(previous, current)), "periods.first")
    if not first <= previous < current:
        raise ConfigError("client.yml: periods must satisfy first <= previous < current")
    data_end = _data_end(periods.get("data_end"))
    inputs = raw.get("inputs") or {}
    bad_tables = set(inputs) - set(TABLES)
    if bad_tables:
        raise ConfigError(
            f"client.yml: inputs for unknown table(s) {sorted(bad_tables)}; known: {list(TABLES)}"
        )
    for table, mapping in inputs.items():
        try:
            spec_from_mapping(table, mapping or {})
        except ValueError as exc:
            raise ConfigError(f"client.yml: {exc}") from exc
    missing = [
        t.name for t in TABLES.values() if t.required and t.name not in inputs and t.name != "customers"
    ]
    if missing:
        raise ConfigError(f"client.yml: inputs for {missing} are required")
    return ClientConfig(
        name=name,
        slug=str(client.get("slug") or slug),
        currency=str(client.get("currency") or "EUR"),
        fiscal_year_start_month=start_month,
        current_period=current,
        previous_period=previous,
        first_period=first,
        inputs={t: dict(m or {}) for t, m in inputs.items()},
        screening=dict(raw.get("screening") or {}),
        raw=dict(raw),
        data_end=data_end,
    )


def _data_end(value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(str(value)).normalize()
    except ValueError as exc:
        raise ConfigError(
            f"client.yml: 'periods.data_end' must be a date such as 2025-12-31, not {value!r}"
        ) from exc


def load_config(workspace: Path) -> ClientConfig:
    """Read and check ``client.yml`` of a workspace."""
    path = workspace / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            f"no {CONFIG_FILE} in the client workspace '{workspace.name}' (create one with `kam new`)"
        )
    try:
        raw = io.read_yaml(path)
    except io.InputFileError as exc:
        raise ConfigError(str(exc)) from exc
    return parse_config(raw, slug=workspace.name)


def with_current_period(config: ClientConfig, period: int) -> ClientConfig:
    """The same settings analysing another fiscal year (``kam run --period``).

    Looking back at an earlier year, the invoice lines of the later years are expected in the
    files: they are set aside and counted rather than reported as errors.
    """
    raw = dict(config.raw)
    shift = period - config.current_period
    raw["periods"] = {
        "current": period,
        "previous": config.previous_period + shift,
        "first": min(config.first_period, config.previous_period + shift),
        **({"data_end": config.raw["periods"]["data_end"]} if config.data_end is not None else {}),
    }
    if shift < 0 and "sales" in config.inputs:
        raw["inputs"] = {**config.inputs, "sales": {**config.inputs["sales"], "out_of_period": "exclude"}}
    return parse_config(raw, slug=config.slug)


@dataclass
class Workspace:
    """A loaded client: where it lives, its settings and its validated data."""

    root: Path
    config: ClientConfig
    intake: Intake

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.intake.tables


def load_workspace(workspace: Path, *, period: int | None = None) -> Workspace:
    """Read, map and validate every input table of a workspace.

    Files that cannot be read become problems of the intake rather than exceptions, so one
    call reports everything that is wrong at once. ``period`` replaces the current period.
    """
    config = load_config(workspace)
    if period is not None:
        config = with_current_period(config, period)
    raw_tables: dict[str, pd.DataFrame] = {}
    specs = {}
    fingerprints: dict[str, str] = {}
    unreadable: list[Problem] = []
    lookup_tables: dict[str, pd.DataFrame] = {}
    for table, mapping in config.inputs.items():
        spec = spec_from_mapping(table, mapping)
        try:
            path = _input_path(workspace, mapping, table)
            raw_tables[table] = io.read_raw_table(path, options=mapping, expected=spec.expected_headers)
            fingerprints[table] = io.file_fingerprint(path)
            specs[table] = spec
        except io.InputFileError as exc:
            unreadable.append(Problem(table, exc.file, exc.column, exc.message, exc.rows))
        for lookup in spec.lookups:
            try:
                lookup_path = io.input_path(
                    workspace,
                    lookup.path,
                    setting=f"inputs.{table}.lookups",
                    allow_outside=mapping.get("allow_outside") is True,
                )
                lookup_tables[lookup.file] = io.read_raw_table(lookup_path, options=lookup.options)
                fingerprints[lookup.file] = io.file_fingerprint(lookup_path)
            except io.InputFileError as exc:
                unreadable.append(Problem(table, lookup.file, None, f"lookup file: {exc.message}"))
    start, end = config.span
    intake = validate_tables(
        raw_tables,
        specs,
        span=PeriodSpan(start, end),
        fingerprints=fingerprints,
        lookup_tables=lookup_tables,
    )
    intake.problems[:0] = unreadable
    intake.problems.extend(_override_problems(workspace, config, intake))
    return Workspace(root=workspace, config=config, intake=intake)


def _input_path(workspace: Path, mapping: Mapping[str, Any], table: str) -> Path:
    return io.input_path(
        workspace,
        str(mapping["file"]),
        setting=f"inputs.{table}.file",
        allow_outside=mapping.get("allow_outside") is True,
    )


def _override_problems(workspace: Path, config: ClientConfig, intake: Intake) -> list[Problem]:
    from kamtools.stages.screening import TIERS, ScreeningSettings, SettingsError

    try:
        settings = ScreeningSettings.from_mapping(config.screening)
    except SettingsError as exc:
        return [Problem("settings", CONFIG_FILE, "screening", str(exc))]
    try:
        overrides = load_overrides(workspace)
    except (ConfigError, io.InputFileError) as exc:
        return [Problem("overrides", Path(OVERRIDES_FILE).name, None, str(exc))]
    customers = intake.tables.get("customers")
    has_ids = customers is not None and "customer_id" in customers.columns
    known = pd.Index(customers["customer_id"]) if has_ids else pd.Index([])
    return check_overrides(
        overrides,
        file=Path(OVERRIDES_FILE).name,
        known_customers=known,
        tiers=TIERS,
        max_overrides=settings.max_overrides,
    )


def load_overrides(workspace: Path) -> pd.DataFrame:
    """The consultant's screening overrides (customer_id, tier, reason, decided_by); empty if none."""
    path = workspace / OVERRIDES_FILE
    columns = ["customer_id", "tier", "reason", "decided_by"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    frame = io.read_raw_table(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{OVERRIDES_FILE}: missing column(s) {missing}")
    return frame[columns].map(lambda v: str(v).strip())


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
        "screening": {},
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


def save_screening_settings(workspace: Path, settings: Mapping[str, Any]) -> Path | None:
    """Store the workshop's screening settings in ``client.yml``, keeping the previous file."""
    path = workspace / CONFIG_FILE
    raw = io.read_yaml(path)
    raw["screening"] = dict(settings)
    parse_config(raw, slug=workspace.name)
    return io.write_yaml(path, raw, keep_previous=True)


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
        config.setdefault("screening", {})
        (staging / "workshop").mkdir()
        if (workspace / "workshop").is_dir():
            shutil.rmtree(staging / "workshop")
            shutil.copytree(workspace / "workshop", staging / "workshop")
        if (workspace / CONFIG_FILE).exists():
            # Keep screening settings a workshop saved into the demo's client.yml.
            config["screening"] = (
                io.read_yaml(workspace / CONFIG_FILE).get("screening") or config["screening"]
            )
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


INTAKE_CACHE_DIR = ".intake"


def save_intake_cache(workspace: Workspace, folder: Path) -> Path:
    """Keep a validated intake in a run's work folder so the stage notebooks need not re-read it.

    ``kam run`` validates the data once; every stage notebook then opens the cached tables
    (Parquet keeps their types) instead of reading and checking the client's files again. The
    cache records the settings and the input fingerprints it was made from; a change to either
    makes :func:`open_client` ignore it.
    """
    import json

    cache = folder / INTAKE_CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    for name, frame in workspace.tables.items():
        frame.to_parquet(cache / f"{name}.parquet", index=False)
    intake = workspace.intake
    record = {
        "workspace": str(workspace.root.resolve()),
        "config": workspace.config.raw,
        "period": workspace.config.current_period,
        "tables": list(workspace.tables),
        "problems": [asdict(p) for p in intake.problems],
        "repairs": [asdict(r) for r in intake.repairs],
        "sources": [asdict(s) for s in intake.sources],
        "notes": intake.notes,
    }
    io.write_text_atomic(cache / "intake.json", json.dumps(record, default=str))
    return cache


def _cached_workspace(cache: Path, root: Path, config: ClientConfig) -> Workspace | None:
    import json

    from kamtools.validation import Repair, SourceSummary

    record_file = cache / "intake.json"
    if not record_file.exists():
        return None
    record = json.loads(record_file.read_text(encoding="utf-8"))
    if record["workspace"] != str(root.resolve()) or record["period"] != config.current_period:
        return None
    if json.loads(json.dumps(config.raw, default=str)) != record["config"]:
        return None
    sources = [SourceSummary(**s) for s in record["sources"]]
    lookups = {
        lookup.file: (table, lookup.path)
        for table, mapping in config.inputs.items()
        for lookup in spec_from_mapping(table, mapping).lookups
    }
    for source in sources:
        if source.table in config.inputs:
            path = _input_path(root, config.inputs[source.table], source.table)
        elif source.file in lookups:
            table, file = lookups[source.file]
            allow_outside = config.inputs[table].get("allow_outside") is True
            try:
                path = io.input_path(
                    root, file, setting=f"inputs.{table}.lookups", allow_outside=allow_outside
                )
            except io.InputFileError:
                return None
        else:
            return None
        if not path.exists() or io.file_fingerprint(path) != source.fingerprint:
            return None
    # Every validated table, including a customer master derived from the invoice lines.
    tables = {name: pd.read_parquet(cache / f"{name}.parquet") for name in record["tables"]}
    intake = Intake(
        tables=tables,
        problems=[
            Problem(**{**p, "rows": tuple(p["rows"]), "values": tuple(p["values"])})
            for p in record["problems"]
        ],
        repairs=[Repair(**{**r, "example_rows": tuple(r["example_rows"])}) for r in record["repairs"]],
        sources=sources,
        notes=list(record["notes"]),
    )
    return Workspace(root=root, config=config, intake=intake)


def open_client(workspace_dir: str = "", *, period: int = 0, cache_dir: str = "") -> Workspace:
    """The workspace a stage notebook analyses: the given folder, or the demo when empty.

    This is the notebooks' single entry point to the data. ``period`` 0 keeps the current
    period of ``client.yml``. ``cache_dir`` is the run's work folder, where ``kam run`` left
    the intake it validated (:func:`save_intake_cache`); without a usable cache the files are
    read and validated here. Data problems stop the notebook with the full list, so a notebook
    never analyses data that ``kam validate`` would reject.
    """
    root = Path(workspace_dir) if workspace_dir else ensure_demo_workspace()
    workspace = None
    if cache_dir:
        config = load_config(root)
        if period:
            config = with_current_period(config, period)
        workspace = _cached_workspace(Path(cache_dir) / INTAKE_CACHE_DIR, root, config)
    if workspace is None:
        workspace = load_workspace(root, period=period or None)
    if workspace.intake.problems:
        listed = "\n".join(f"- {p}" for p in workspace.intake.problems)
        raise ConfigError(f"the client's data has {len(workspace.intake.problems)} problem(s):\n{listed}")
    return workspace
