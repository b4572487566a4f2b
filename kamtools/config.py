"""``client.yml``: reading and checking a client's configuration (:class:`ClientConfig`).

``client.yml`` has three sections every client has (``client``, ``periods``, ``inputs``) and
one optional section per stage with settings, named by the stage registry
(:func:`kamtools.stages.config_sections`): ``screening:`` today. Every wrong key names itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kamtools import io
from kamtools.contract import TABLES
from kamtools.inputspec import closest
from kamtools.periods import period_bounds
from kamtools.stages import config_sections
from kamtools.stages.registry import CORE_SECTIONS
from kamtools.validation import spec_from_mapping

CONFIG_FILE = "client.yml"


def top_level_keys() -> list[str]:
    """The sections ``client.yml`` may have: the core ones, then one per stage with settings."""
    return [*CORE_SECTIONS, *config_sections()]


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
    sections: Mapping[str, Mapping[str, Any]]
    """The stage sections of ``client.yml`` by name (see :func:`kamtools.stages.config_sections`)."""
    raw: Mapping[str, Any]
    data_end: pd.Timestamp | None = None
    """``periods.data_end``: the last day the client's export covers, when client.yml says so."""

    def section(self, name: str) -> Mapping[str, Any]:
        """A stage's section of ``client.yml`` ("screening", ...), empty when the client sets nothing."""
        return self.sections.get(name, {})

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First day of the first period and last day of the current period."""
        start, _ = period_bounds(self.first_period, start_month=self.fiscal_year_start_month)
        _, end = period_bounds(self.current_period, start_month=self.fiscal_year_start_month)
        return start, end


CLIENT_KEYS = ("name", "currency", "fiscal_year_start_month", "slug")
PERIOD_KEYS = ("current", "previous", "first", "data_end")
MAX_NAME_LENGTH = 120
FOLDER_NAME = re.compile(r"[^\W_][\w-]{0,63}")
FIRST_YEAR, LAST_YEAR = 1990, 2100


def check_folder_name(name: str) -> None:
    """A client's folder name: letters, digits, ``-`` and ``_``, at most 64 characters.

    Reports are filed under it (``reports/<folder>/``), so it may not climb out of the
    reports folder (``../x``) nor be empty.

    Raises
    ------
    ConfigError
        The name is not a folder name kamtools accepts.
    """
    if not FOLDER_NAME.fullmatch(str(name)):
        raise ConfigError(
            f"{str(name)!r} is not a client folder name: use letters, digits, - and _ (at most 64"
            " characters, starting with a letter or digit), e.g. acme or mueller-bau"
        )


def _section_mapping(raw: Mapping[str, Any], key: str, known: tuple[str, ...], example: str) -> Mapping:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"client.yml: '{key}' must be a mapping of settings ({example}), not {_kind(value)}"
        )
    for name in value:
        if name not in known:
            raise ConfigError(f"client.yml: unknown setting '{key}.{name}'{closest(str(name), known)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{value!r}"


def _year(value: Any, key: str) -> int:
    year = _integer(value, key)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ConfigError(
            f"client.yml: '{key}' must be a fiscal year from {FIRST_YEAR} to {LAST_YEAR}, not {value!r}"
        )
    return year


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
    allowed = top_level_keys()
    for key in raw:
        if key not in allowed:
            hint = closest(str(key), allowed)
            raise ConfigError(f"client.yml: unknown section(s) {[key]}; allowed: {allowed}{hint}")
    client = _section_mapping(raw, "client", CLIENT_KEYS, "name, currency, fiscal_year_start_month")
    name = str(client.get("name") or "").strip()
    if not name:
        raise ConfigError("client.yml: 'client.name' is required")
    if len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
        raise ConfigError(
            f"client.yml: 'client.name' must be one line of at most {MAX_NAME_LENGTH} characters"
            f" (reports show it in every title), not {len(name)} characters"
        )
    currency = str(client.get("currency") or "EUR").strip()
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise ConfigError(
            f"client.yml: 'client.currency' must be a three-letter currency code such as EUR, GBP or USD,"
            f" not {client.get('currency')!r}"
        )
    start_month = _integer(client.get("fiscal_year_start_month", 1), "client.fiscal_year_start_month")
    if not 1 <= start_month <= 12:
        raise ConfigError("client.yml: 'client.fiscal_year_start_month' must be between 1 and 12")
    periods = _section_mapping(raw, "periods", PERIOD_KEYS, "current, previous")
    if "current" not in periods:
        raise ConfigError("client.yml: 'periods.current' (the fiscal year to analyse, e.g. 2025) is required")
    current = _year(periods["current"], "periods.current")
    previous = _year(periods.get("previous", current - 1), "periods.previous")
    first = _year(periods.get("first", min(previous, current)), "periods.first")
    if not first <= previous < current:
        raise ConfigError("client.yml: periods must satisfy first <= previous < current")
    data_end = _data_end(periods.get("data_end"))
    inputs = raw.get("inputs") or {}
    if not isinstance(inputs, Mapping):
        raise ConfigError(f"client.yml: 'inputs' must be a mapping of table: settings, not {_kind(inputs)}")
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
        # Reports are filed under the workspace's folder name, never under a slug the file
        # names: a copied workspace must not file its reports under the original client.
        slug=slug,
        currency=currency.upper(),
        fiscal_year_start_month=start_month,
        current_period=current,
        previous_period=previous,
        first_period=first,
        inputs={t: dict(m or {}) for t, m in inputs.items()},
        sections={name: _section(raw, name) for name in config_sections()},
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


def _section(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"client.yml: '{name}' must be a mapping of settings, not {value!r}")
    return dict(value)


def load_config(workspace: Path) -> ClientConfig:
    """Read and check ``client.yml`` of a workspace."""
    path = workspace / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            f"no {CONFIG_FILE} in the client workspace '{workspace.name}' (create one with `kam new`)"
        )
    check_folder_name(workspace.name)
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


HISTORY_DIR = "history"
"""Folder of a workspace keeping every earlier ``client.yml``, one dated copy per save."""


def _merge_settings(target: Any, changes: Mapping[str, Any]) -> None:
    """Write ``changes`` into the round-trip mapping ``target``; nested mappings are merged key by key."""
    from ruamel.yaml.comments import CommentedMap

    for key, value in changes.items():
        if isinstance(value, Mapping):
            current = target.get(key)
            if not isinstance(current, Mapping) or not current:
                target[key] = current = CommentedMap()
            _merge_settings(current, value)
        else:
            target[key] = value


def _history_copy(path: Path, text: str) -> Path:
    """Keep ``text`` (the file before a save) as ``history/client.<UTC time>.yml``."""
    from datetime import UTC, datetime

    folder = path.parent / HISTORY_DIR
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    copy = folder / f"{path.stem}.{stamp}{path.suffix}"
    number = 1
    while copy.exists():
        number += 1
        copy = folder / f"{path.stem}.{stamp}-{number}{path.suffix}"
    io.write_text_atomic(copy, text)
    return copy


def save_stage_settings(workspace: Path, section: str, settings: Mapping[str, Any]) -> Path | None:
    """Write the settings a workshop changed into ``section`` of ``client.yml``, keeping the rest.

    Only the keys in ``settings`` are written (a nested mapping such as ``weights`` key by key);
    every other line of the file, its comments and its order stay as they were (round-trip YAML).
    The new file is checked first (:func:`parse_config`); the file as it was before is kept in
    ``history/client.<UTC time>.yml`` so every earlier version can be read back.

    Returns
    -------
    pathlib.Path or None
        The dated copy of the previous ``client.yml`` (None when nothing changed).
    """
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    if section not in config_sections():
        raise ConfigError(
            f"client.yml: no stage has a section {section!r}; stages with settings: {list(config_sections())}"
        )
    path = workspace / CONFIG_FILE
    before = io.read_text(path)
    # The file may have been edited by hand since the workshop opened it: a broken one is
    # refused with its line and column (InputFileError), as everywhere else, not with the
    # round-trip parser's own exception.
    io.parse_yaml_text(before, name=CONFIG_FILE)
    round_trip = YAML()
    round_trip.width = 4096
    round_trip.preserve_quotes = True
    document = round_trip.load(before) or CommentedMap()
    if not isinstance(document.get(section), Mapping) or not document.get(section):
        document[section] = CommentedMap()
    _merge_settings(document[section], settings)
    buffer = StringIO()
    round_trip.dump(document, buffer)
    after = buffer.getvalue()
    if after == before:
        return None
    checked = parse_config(io.parse_yaml_text(after, name=CONFIG_FILE), slug=workspace.name)
    settings_class = config_sections()[section].settings_class
    if settings_class is not None:
        try:
            settings_class.from_mapping(checked.section(section))
        except ValueError as exc:
            raise ConfigError(f"client.yml, {section}: {exc}") from exc
    copy = _history_copy(path, before)
    io.write_text_atomic(path, after)
    return copy
