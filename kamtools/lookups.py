"""Lookup files joined onto an input table: product → category, item → product group.

A client's invoice lines often carry only a product code; the category lives in a product list
exported separately. ``client.yml`` declares the join under the input it enriches::

    inputs:
      sales:
        file: inputs/export.csv
        lookups:
          - file: inputs/products.csv      # the lookup file (CSV, XLSX or Parquet)
            by: ItemNo                     # column of the export holding the key
            key: Item                      # column of the lookup file (default: same as by)
            columns: {category: ProductGroup}   # contract column: lookup file column
            missing: error                 # or blank: lines whose key is not listed stay empty

This module is pure: it checks a declaration, and joins a lookup frame onto the export's key
column, returning what went wrong as plain data (:class:`LookupResult`); the validation turns
that into problems naming file, row and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["LookupResult", "LookupSpec", "join_lookup", "lookup_key_text", "parse_lookups"]

MISSING_CHOICES = ("error", "blank")


@dataclass(frozen=True)
class LookupSpec:
    """One declared lookup join (an entry of ``inputs.<table>.lookups`` in ``client.yml``)."""

    file: str
    path: str
    by: str
    key: str
    columns: Mapping[str, str] = field(default_factory=dict)
    missing: str = "error"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LookupResult:
    """The joined columns, and what the join could not do.

    Attributes
    ----------
    values : dict of str to pandas.Series
        Contract column → looked-up text, aligned with the export's rows ("" where not found).
    unmatched : pandas.Series
        Boolean mask of export rows whose non-empty key is not in the lookup file.
    missing_columns : list of str
        Columns named in the declaration but absent from the lookup file.
    conflicting_rows : pandas.Series
        Positions (0-based) of lookup-file rows whose key appears more than once with different
        values.
    """

    values: dict[str, pd.Series]
    unmatched: pd.Series
    missing_columns: list[str]
    conflicting_rows: pd.Series


def parse_lookups(table: str, entries: Any, *, contract_columns: Sequence[str]) -> tuple[LookupSpec, ...]:
    """Check the ``lookups`` list of one input and return its joins.

    Raises ``ValueError`` naming the entry and the setting, so a misspelt option is never ignored.
    """
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ValueError(f"inputs.{table}.lookups: a list of joins (file, by, columns), not {entries!r}")
    allowed = {"file", "by", "key", "columns", "missing", "encoding", "delimiter", "sheet"}
    specs = []
    for i, entry in enumerate(entries):
        where = f"inputs.{table}.lookups[{i}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: needs 'file', 'by' and 'columns'")
        if True in entry:
            # YAML 1.1 reads an unquoted `on:` key as the boolean true.
            raise ValueError(f"{where}: write 'by:' (the export's key column), not 'on:'")
        unknown = set(entry) - allowed
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        for required in ("file", "by", "columns"):
            if not entry.get(required):
                raise ValueError(f"{where}: '{required}' is required")
        columns = entry["columns"]
        if not isinstance(columns, Mapping):
            raise ValueError(f"{where}.columns: a mapping contract column: lookup-file column")
        bad = sorted(set(map(str, columns)) - set(contract_columns))
        if bad:
            known = list(contract_columns)
            raise ValueError(f"{where}.columns: {bad} are not columns of the {table} table; known: {known}")
        missing = str(entry.get("missing", "error"))
        if missing not in MISSING_CHOICES:
            raise ValueError(f"{where}.missing: 'error' or 'blank', not {missing!r}")
        path = str(entry["file"]).replace("\\", "/")
        specs.append(
            LookupSpec(
                file=path.rsplit("/", 1)[-1],
                path=str(entry["file"]),
                by=str(entry["by"]),
                key=str(entry.get("key") or entry["by"]),
                columns={str(k): str(v) for k, v in columns.items()},
                missing=missing,
                options={k: entry[k] for k in ("encoding", "delimiter", "sheet") if k in entry},
            )
        )
    return tuple(specs)


def lookup_key_text(values: pd.Series) -> pd.Series:
    """Keys as comparable text: stripped, and "1001.0" (a number Excel stored) read as "1001"."""
    text = values.astype("string").fillna("").str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).astype(object)


def _find(frame: pd.DataFrame, name: str) -> str | None:
    if name in frame.columns:
        return name
    lowered = {str(c).strip().lower(): c for c in frame.columns}
    return lowered.get(name.strip().lower())


def join_lookup(keys: pd.Series, lookup: pd.DataFrame, spec: LookupSpec) -> LookupResult:
    """Look up each key of the export in the lookup file.

    Parameters
    ----------
    keys : pandas.Series
        The export's key column (text cells, any index).
    lookup : pandas.DataFrame
        The lookup file as read (text cells), header row = row 1.
    spec : LookupSpec
        The declaration: ``key`` column of the lookup file and the ``columns`` it supplies.

    Returns
    -------
    LookupResult
        Looked-up values aligned with ``keys``; an empty key looks up nothing and is not
        unmatched. When the key column itself is missing, every column counts as missing.
    """
    none = pd.Series(False, index=keys.index)
    key_column = _find(lookup, spec.key)
    wanted = {target: _find(lookup, source) for target, source in spec.columns.items()}
    missing_columns = [spec.key] if key_column is None else []
    missing_columns += [spec.columns[t] for t, found in wanted.items() if found is None]
    if missing_columns:
        return LookupResult({}, none, missing_columns, pd.Series([], dtype="int64"))
    table = pd.DataFrame({"key": lookup_key_text(lookup[key_column])})
    for target, source in wanted.items():
        table[target] = lookup[source].astype("string").fillna("").str.strip().astype(object)
    table = table[table["key"] != ""]
    distinct = table.drop_duplicates()
    clash = distinct["key"].duplicated(keep=False)
    conflicting = table.index[table["key"].isin(distinct.loc[clash, "key"])]
    first = distinct.drop_duplicates("key").set_index("key")
    export_keys = lookup_key_text(keys)
    found = export_keys.isin(first.index)
    values = {
        target: export_keys.map(first[target]).where(found, "").astype(object) for target in spec.columns
    }
    return LookupResult(
        values=values,
        unmatched=(export_keys != "") & ~found,
        missing_columns=[],
        conflicting_rows=pd.Series(conflicting, dtype="int64"),
    )
