"""How to read one client file as one contract table: the ``inputs`` entries of ``client.yml``.

:func:`spec_from_mapping` checks one entry (every unknown or contradictory setting names
itself) and returns the :class:`InputSpec` that :mod:`kamtools.validation` applies.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kamtools.contract import TABLES
from kamtools.lookups import LookupSpec, parse_lookups
from kamtools.parsing import DECIMAL_SETTINGS

__all__ = ["ExclusionRule", "InputSpec", "check_input_settings", "closest", "spec_from_mapping"]


@dataclass(frozen=True)
class ExclusionRule:
    """Rows of a raw file that are not customer sales (postage, fees, bad-debt write-offs).

    Exactly one of ``equals``, ``isin``, ``starts_with`` or ``matches`` is used. Excluded rows
    are counted in the data-quality summary with ``reason``.
    """

    column: str
    reason: str
    isin: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    matches: str | None = None

    def mask(self, raw: pd.DataFrame) -> pd.Series:
        values = raw[self.column].astype(str).str.strip()
        hit = pd.Series(False, index=raw.index)
        if self.isin:
            hit |= values.isin(self.isin)
        if self.starts_with:
            hit |= values.str.startswith(self.starts_with)
        if self.matches:
            hit |= values.str.fullmatch(self.matches)
        return hit


@dataclass(frozen=True)
class InputSpec:
    """How to read one client file as one contract table (from ``client.yml``'s ``inputs``)."""

    table: str
    file: str
    columns: Mapping[str, str] = field(default_factory=dict)
    net_sales_from: tuple[str, str] | None = None
    date_format: str | None = None
    dayfirst: bool | None = None  # None: decided per column from its values
    decimal: str = "auto"  # ".", "," or "auto": decided per column from its values
    exclude_rows: tuple[ExclusionRule, ...] = ()
    drop_rows_missing: Mapping[str, str] = field(default_factory=dict)
    drop_exact_duplicates: bool = True
    customer_columns: Mapping[str, str] = field(default_factory=dict)
    out_of_period: str = "error"  # or "exclude": invoice lines outside the periods set aside
    missing_values: tuple[str, ...] = ()  # cells reading e.g. NULL, N/A or "-" are empty
    cost_from_profit: str | None = None  # a profit column: cost = net sales - profit
    lookups: tuple[LookupSpec, ...] = ()

    @property
    def expected_headers(self) -> tuple[str, ...]:
        """The file's column names this spec needs: they locate the table in a workbook."""
        table = TABLES[self.table]
        needed = [
            self.columns.get(c.name, c.name)
            for c in table.columns
            if (c.required and not (c.name == "net_sales" and self.net_sales_from)) or c.name in self.columns
        ]
        return tuple(dict.fromkeys([*needed, *(self.net_sales_from or ())]))

    @property
    def used_headers(self) -> set[str]:
        """Every file column this spec reads (lower case), mapped or named by a rule."""
        table = TABLES[self.table]
        names = [self.columns.get(c.name, c.name) for c in table.columns]
        names += [*(self.net_sales_from or ()), *self.customer_columns.values()]
        names += [rule.column for rule in self.exclude_rows]
        return {str(n).strip().lower() for n in names}


def _kind_of(value: Any) -> str:
    if isinstance(value, str):
        return "a text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def closest(word: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for a misspelt key, or nothing when no known key is close."""
    match = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def check_input_settings(table: str, mapping: Any, allowed: Sequence[str]) -> None:
    """Check the type and shape of every setting of one input before anything uses them.

    Raises ``ValueError`` with the setting's full name (``inputs.sales.decimal``), what it
    holds and what it should hold; a misspelt key names the closest known one.
    """
    where = f"inputs.{table}"
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: must be a mapping with at least `file:`, not {_kind_of(mapping)}")
    for key in mapping:
        if key not in allowed:
            raise ValueError(f"{where}: unknown setting '{key}'{closest(key, sorted(allowed))}")
    if not isinstance(mapping.get("file"), str) or not mapping["file"].strip():
        raise ValueError(f"{where}.file: the file to read is required (e.g. file: inputs/{table}.csv)")
    for key in ("columns", "customer_columns", "drop_rows_missing"):
        value = mapping.get(key)
        if (
            value is not None
            and not isinstance(value, Mapping)
            and not (key == "drop_rows_missing" and isinstance(value, list))
        ):
            raise ValueError(
                f"{where}.{key}: must be a mapping of contract column: your column"
                f" (e.g. {{customer_id: Kundennr}}), not {_kind_of(value)}"
            )
    rules = mapping.get("exclude_rows")
    if rules is not None and not isinstance(rules, list):
        raise ValueError(f"{where}.exclude_rows: must be a list of rules, not {_kind_of(rules)}")
    for i, rule in enumerate(rules or []):
        pattern = rule.get("matches") if isinstance(rule, Mapping) else None
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise ValueError(
                    f"{where}.exclude_rows[{i}].matches: {str(pattern)!r} is not a valid regular expression"
                    f" ({exc.msg} at position {exc.pos})"
                ) from exc
    net_from = mapping.get("net_sales_from")
    if net_from is not None and not (
        isinstance(net_from, list) and len(net_from) == 2 and all(isinstance(c, str) for c in net_from)
    ):
        raise ValueError(
            f"{where}.net_sales_from: must name two columns [quantity, unit price], not {net_from!r}"
        )
    decimal = mapping.get("decimal", "auto")
    if str(decimal).strip().lower() not in DECIMAL_SETTINGS:
        raise ValueError(
            f"{where}.decimal: {decimal!r} is not a decimal separator; use '.' (or point), ',' (or comma)"
            " or auto"
        )
    dayfirst = mapping.get("dayfirst")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ValueError(f"{where}.dayfirst: must be true or false, not {dayfirst!r}")
    date_format = mapping.get("date_format")
    if date_format is not None:
        _check_date_format(where, date_format)
    encoding = mapping.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError as exc:
            raise ValueError(
                f"{where}.encoding: {encoding!r} is not an encoding Python knows (e.g. utf-8, cp1252,"
                " latin-1, gbk, utf-16)"
            ) from exc
    delimiter = mapping.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"{where}.delimiter: must be one character (e.g. ';'), not {delimiter!r}")
    sheet = mapping.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise ValueError(f"{where}.sheet: the sheet's name or number (0 = first), not {sheet!r}")


def _check_date_format(where: str, date_format: Any) -> None:
    text = str(date_format)
    codes = re.findall(r"%(.)", text)
    valid = set("aAwdbBmyYHIpMSfzZjUWcxX%GuVe")
    if not isinstance(date_format, str) or not codes or set(codes) - valid:
        raise ValueError(f"{where}.date_format: {text!r} is not a date format (use codes such as %d.%m.%Y)")


INPUT_SETTINGS = (
    "allow_outside",
    "columns",
    "cost_from_profit",
    "customer_columns",
    "date_format",
    "dayfirst",
    "decimal",
    "delimiter",
    "drop_exact_duplicates",
    "drop_rows_missing",
    "encoding",
    "exclude_rows",
    "file",
    "lookups",
    "missing_values",
    "net_sales_from",
    "out_of_period",
    "sheet",
)
"""The keys an entry under ``inputs`` in ``client.yml`` may hold (sorted, as messages list them)."""


def _exclusion_rules(table: str, entries: Sequence[Mapping[str, Any]]) -> list[ExclusionRule]:
    """The ``exclude_rows`` rules of an input, each checked for its keys."""
    rules = []
    for i, rule in enumerate(entries):
        keys = set(rule) - {"column", "reason", "in", "equals", "starts_with", "matches"}
        if keys or "column" not in rule or "reason" not in rule:
            raise ValueError(
                f"inputs.{table}.exclude_rows[{i}]: needs 'column', 'reason' and one of 'in',"
                " 'equals', 'starts_with', 'matches'"
            )
        isin = [rule["equals"]] if "equals" in rule else list(rule.get("in") or [])
        starts = rule.get("starts_with") or ()
        rules.append(
            ExclusionRule(
                column=str(rule["column"]),
                reason=str(rule["reason"]),
                isin=tuple(str(v) for v in isin),
                starts_with=(starts,) if isinstance(starts, str) else tuple(starts),
                matches=rule.get("matches"),
            )
        )
    return rules


def _mapped_columns(table: str, mapped: Mapping[Any, Any]) -> dict[str, str]:
    """The ``columns`` mapping of an input (contract column -> the file's header), checked."""
    columns = {str(k): str(v) for k, v in mapped.items()}
    unknown_columns = set(columns) - set(TABLES[table].column_names)
    if unknown_columns:
        raise ValueError(
            f"inputs.{table}.columns: {sorted(unknown_columns)} are not columns of the {table} table;"
            f" known: {TABLES[table].column_names}"
        )
    return columns


def spec_from_mapping(table: str, mapping: Mapping[str, Any]) -> InputSpec:
    """Build an :class:`InputSpec` from a table's entry under ``inputs`` in ``client.yml``.

    Raises ``ValueError`` naming an unknown key, so a misspelt option is never ignored.
    """
    check_input_settings(table, mapping, INPUT_SETTINGS)
    rules = _exclusion_rules(table, mapping.get("exclude_rows") or [])
    columns = _mapped_columns(table, mapping.get("columns") or {})
    net_from = mapping.get("net_sales_from")
    drop_missing = mapping.get("drop_rows_missing") or {}
    if isinstance(drop_missing, list):
        drop_missing = {c: f"no {c}" for c in drop_missing}
    out_of_period = str(mapping.get("out_of_period", "error"))
    if out_of_period not in ("error", "exclude"):
        raise ValueError(f"inputs.{table}.out_of_period: 'error' or 'exclude', not {out_of_period!r}")
    tokens = mapping.get("missing_values") or []
    if not isinstance(tokens, list):
        raise ValueError(f"inputs.{table}.missing_values: a list such as [NULL, N/A, '-'], not {tokens!r}")
    # YAML reads an unquoted NULL as nothing: it still means the text "NULL".
    tokens = ["NULL" if t is None else str(t) for t in tokens]
    cost_from_profit = mapping.get("cost_from_profit")
    if cost_from_profit and "cost" in columns:
        raise ValueError(f"inputs.{table}: map either columns.cost or cost_from_profit, not both")
    lookups = parse_lookups(table, mapping.get("lookups"), contract_columns=TABLES[table].column_names)
    for lookup in lookups:
        clash = sorted(set(lookup.columns) & set(columns))
        if clash:
            raise ValueError(f"inputs.{table}: {clash} come from both columns and a lookup ({lookup.file})")
    return InputSpec(
        table=table,
        file=str(mapping["file"]).replace("\\", "/").rsplit("/", 1)[-1],
        columns=columns,
        net_sales_from=tuple(net_from) if net_from else None,
        date_format=mapping.get("date_format"),
        dayfirst=mapping.get("dayfirst"),
        decimal=DECIMAL_SETTINGS[str(mapping.get("decimal", "auto")).strip().lower()],
        exclude_rows=tuple(rules),
        drop_rows_missing={str(k): str(v) for k, v in drop_missing.items()},
        drop_exact_duplicates=bool(mapping.get("drop_exact_duplicates", True)),
        customer_columns={str(k): str(v) for k, v in (mapping.get("customer_columns") or {}).items()},
        out_of_period=out_of_period,
        missing_values=tuple(tokens),
        cost_from_profit=str(cost_from_profit) if cost_from_profit else None,
        lookups=lookups,
    )
