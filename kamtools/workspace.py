"""Loading a client workspace: its configuration, its validated input tables, the intake cache.

:func:`load_workspace` reads ``client.yml`` (:mod:`kamtools.config`), reads and validates every
input table through :mod:`kamtools.io` and :mod:`kamtools.validation`, and adds each registered
stage's own checks (settings, overrides, ...). :func:`open_client` is the notebooks' entry point;
the intake cache lets ``kam run`` validate once for all its stages. New workspaces and the demo
are made by :mod:`kamtools.scaffold`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools import io
from kamtools.config import ClientConfig, ConfigError, load_config, with_current_period
from kamtools.engine import when_idle
from kamtools.scaffold import ensure_demo_workspace
from kamtools.stages import stages
from kamtools.validation import Intake, PeriodSpan, Problem, spec_from_mapping, validate_tables


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
    hashing: dict[str, futures.Future] = {}
    unreadable: list[Problem] = []
    lookup_tables: dict[str, pd.DataFrame] = {}
    for table, mapping in config.inputs.items():
        spec = spec_from_mapping(table, mapping)
        try:
            path = _input_path(workspace, mapping, table)
            raw_tables[table] = io.read_raw_table(path, options=mapping, expected=spec.expected_headers)
            # Hashed beside the validation, on a thread that takes a core only when the validation
            # leaves one idle: half a second of CPU on a 700 MB file, needed only at the end.
            hashing[table] = when_idle(io.file_fingerprint, path)
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
    try:
        with io.input_memory():  # what the validation allocates, as the reading (see there)
            intake = validate_tables(
                raw_tables,
                specs,
                span=PeriodSpan(start, end),
                fingerprints=_Fingerprints(fingerprints, hashing),
                lookup_tables=lookup_tables,
            )
    finally:
        futures.wait(hashing.values())  # no thread outlives the intake
    intake.problems[:0] = unreadable
    loaded = Workspace(root=workspace, config=config, intake=intake)
    for stage in stages():
        intake.problems.extend(stage.problems(loaded))
    return loaded


class _Fingerprints(Mapping[str, str]):
    """File fingerprints by table or file name, those still being hashed taken when asked for."""

    def __init__(self, done: Mapping[str, str], pending: Mapping[str, futures.Future]) -> None:
        self._done = done
        self._pending = pending

    def __getitem__(self, key: str) -> str:
        return self._pending[key].result() if key in self._pending else self._done[key]

    def __iter__(self):
        return iter({**self._done, **self._pending})

    def __len__(self) -> int:
        return len({**self._done, **self._pending})


def _input_path(workspace: Path, mapping: Mapping[str, Any], table: str) -> Path:
    return io.input_path(
        workspace,
        str(mapping["file"]),
        setting=f"inputs.{table}.file",
        allow_outside=mapping.get("allow_outside") is True,
    )


INTAKE_CACHE_DIR = ".intake"


def save_intake_cache(workspace: Workspace, folder: Path) -> Path:
    """Keep a validated intake in a run's work folder so the stage notebooks need not re-read it.

    ``kam run`` validates the data once; every stage notebook then opens the cached tables
    (Parquet keeps their types) instead of reading and checking the client's files again. The
    cache records the settings and the input fingerprints it was made from; a change to either
    makes :func:`open_client` ignore it.
    """
    cache = folder / INTAKE_CACHE_DIR
    for name, frame in workspace.tables.items():
        io.write_table(frame, cache / f"{name}.parquet")
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
    io.write_json(cache / "intake.json", record)
    return cache


ColumnChoice = Callable[[list[str]], Sequence[str]]
"""Given a table's columns, the ones a stage reads (e.g. ``screening.sales_columns``)."""


def _cached_workspace(
    cache: Path, root: Path, config: ClientConfig, columns: Mapping[str, ColumnChoice] | None = None
) -> Workspace | None:
    import json

    from kamtools.validation import Repair, SourceSummary

    record = io.read_json(cache / "intake.json")
    if record is None:
        return None
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
    tables = {
        name: io.read_parquet(cache / f"{name}.parquet", columns=(columns or {}).get(name))
        for name in record["tables"]
    }
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


def open_client(
    workspace_dir: str = "",
    *,
    period: int = 0,
    cache_dir: str = "",
    columns: Mapping[str, ColumnChoice] | None = None,
) -> Workspace:
    """The workspace a stage notebook analyses: the given folder, or the demo when empty.

    This is the notebooks' single entry point to the data. ``period`` 0 keeps the current
    period of ``client.yml``. ``cache_dir`` is the run's work folder, where ``kam run`` left
    the intake it validated (:func:`save_intake_cache`); without a usable cache the files are
    read and validated here. ``columns`` maps a table to a function choosing, from the table's
    columns, those the stage reads (e.g. ``{"sales": screening.sales_columns}``): the others
    are not read from the cache (on millions of invoice lines most of the reading time) and are
    left out of ``tables``; every table keeps every column by default. Data problems stop the
    notebook with the full list, so a notebook never analyses data that ``kam validate`` would
    reject.
    """
    columns = dict(columns or {})
    root = Path(workspace_dir) if workspace_dir else ensure_demo_workspace()
    workspace = None
    if cache_dir:
        config = load_config(root)
        if period:
            config = with_current_period(config, period)
        workspace = _cached_workspace(Path(cache_dir) / INTAKE_CACHE_DIR, root, config, columns)
    if workspace is None:
        workspace = load_workspace(root, period=period or None)
        for name, choose in columns.items():
            if name in workspace.tables:
                frame = workspace.tables[name]
                wanted = set(choose(list(frame.columns)))
                workspace.tables[name] = frame[[c for c in frame.columns if c in wanted]]
    if workspace.intake.problems:
        listed = "\n".join(f"- {p}" for p in workspace.intake.problems)
        raise ConfigError(f"the client's data has {len(workspace.intake.problems)} problem(s):\n{listed}")
    return workspace
