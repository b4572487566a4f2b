"""How to read one client file as one contract table: the ``inputs`` entries of ``client.yml``.

:func:`spec_from_mapping` checks one entry (every unknown or contradictory setting names
itself) and returns the :class:`InputSpec` that :mod:`kamtools.validation` applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kamtools.contract import TABLES
from kamtools.lookups import LookupSpec, parse_lookups

__all__ = ["ExclusionRule", "InputSpec", "spec_from_mapping"]


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
    dayfirst: bool = False
    decimal: str = "auto"
    exclude_rows: tuple[ExclusionRule, ...] = ()
    drop_rows_missing: Mapping[str, str] = field(default_factory=dict)
    drop_exact_duplicates: bool = True
    customer_columns: Mapping[str, str] = field(default_factory=dict)
    out_of_period: str = "error"  # or "exclude": invoice lines outside the periods set aside
    missing_values: tuple[str, ...] = ()  # cells reading e.g. NULL, N/A or "-" are empty
    cost_from_profit: str | None = None  # a profit column: cost = net sales - profit
    lookups: tuple[LookupSpec, ...] = ()


def spec_from_mapping(table: str, mapping: Mapping[str, Any]) -> InputSpec:
    """Build an :class:`InputSpec` from a table's entry under ``inputs`` in ``client.yml``.

    Raises ``ValueError`` naming an unknown key, so a misspelt option is never ignored.
    """
    allowed = {
        "file",
        "columns",
        "net_sales_from",
        "date_format",
        "dayfirst",
        "decimal",
        "encoding",
        "delimiter",
        "sheet",
        "exclude_rows",
        "drop_rows_missing",
        "drop_exact_duplicates",
        "customer_columns",
        "out_of_period",
        "missing_values",
        "cost_from_profit",
        "lookups",
    }
    unknown = set(mapping) - allowed
    if unknown:
        raise ValueError(f"inputs.{table}: unknown setting(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    if "file" not in mapping:
        raise ValueError(f"inputs.{table}: 'file' is required")
    rules = []
    for i, rule in enumerate(mapping.get("exclude_rows") or []):
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
    columns = {str(k): str(v) for k, v in (mapping.get("columns") or {}).items()}
    unknown_columns = set(columns) - set(TABLES[table].column_names)
    if unknown_columns:
        raise ValueError(
            f"inputs.{table}.columns: {sorted(unknown_columns)} are not columns of the {table} table;"
            f" known: {TABLES[table].column_names}"
        )
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
        dayfirst=bool(mapping.get("dayfirst", False)),
        decimal=str(mapping.get("decimal", "auto")),
        exclude_rows=tuple(rules),
        drop_rows_missing={str(k): str(v) for k, v in drop_missing.items()},
        drop_exact_duplicates=bool(mapping.get("drop_exact_duplicates", True)),
        customer_columns={str(k): str(v) for k, v in (mapping.get("customer_columns") or {}).items()},
        out_of_period=out_of_period,
        missing_values=tuple(tokens),
        cost_from_profit=str(cost_from_profit) if cost_from_profit else None,
        lookups=lookups,
    )
