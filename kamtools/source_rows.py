"""Rules of the intake that work on a file's source rows, before and after mapping.

:func:`kamtools.validation.validate_table` applies them in order: cells reading a declared
missing token are emptied (:func:`blank_missing_tokens`), every invoice line's net sales are
kept by row so that lines set aside are counted in money (:func:`line_amounts`), lookup files
are joined (:func:`join_lookups`), cost is derived from a profit column
(:func:`cost_from_profit`) and exact duplicates are judged on the whole source row
(:func:`set_aside_exact_duplicates`). Each reports through the table's check (file, row and
column of every problem; every set-aside row counted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future

import numpy as np
import pandas as pd

from kamtools.engine import duplicated_rows, in_background, repeated_rows, strip_text
from kamtools.formatting import count_text
from kamtools.inputspec import InputSpec
from kamtools.intake import TableCheck
from kamtools.lookups import join_lookup
from kamtools.parsing import parse_numbers

__all__ = [
    "LINE_ID_HEADERS",
    "ROW",
    "as_text",
    "blank_missing_tokens",
    "cost_from_profit",
    "find_column",
    "hash_rows_ahead",
    "join_lookups",
    "line_amounts",
    "set_aside_exact_duplicates",
]

ROW = "_row"
"""Helper column of a canonical frame: the row as the user sees it in Excel (header = row 1)."""


def find_column(raw: pd.DataFrame, wanted: str) -> str | None:
    """The file's column named ``wanted``, matched exactly, else ignoring case and outer spaces."""
    if wanted in raw.columns:
        return wanted
    lowered = {str(c).strip().lower(): c for c in raw.columns}
    return lowered.get(wanted.strip().lower())


def as_text(values: pd.Series) -> pd.Series:
    """Cells as text, empty cells as ""."""
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        return values.fillna("").astype(str)
    return values.astype(str).where(values.notna(), "")


def blank_missing_tokens(raw: pd.DataFrame, tokens: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """``raw`` with cells reading one of ``tokens`` (``NULL``, ``N/A``, ``-``) emptied.

    Tokens match the whole cell, ignoring spaces around it and letter case. Returns the new
    frame and, per column that held tokens, the mask of emptied cells.
    """
    if not tokens:
        return raw, {}
    wanted = {t.strip().upper() for t in tokens}
    out = raw.copy()
    emptied: dict[str, pd.Series] = {}
    for name in raw.columns:
        if raw[name].dtype != object and not pd.api.types.is_string_dtype(raw[name]):
            continue
        hit = strip_text(as_text(raw[name])).str.upper().isin(wanted)
        if hit.any():
            out[name] = raw[name].where(~hit, "")
            emptied[name] = hit
    return out, emptied


def line_amounts(raw: pd.DataFrame, spec: InputSpec, rows: pd.Series) -> pd.Series | None:
    """Net sales of every raw invoice line by Excel row (NaN where unreadable), or None."""
    if spec.table != "sales":
        return None
    if spec.net_sales_from:
        factors = [find_column(raw, c) for c in spec.net_sales_from]
        if None in factors:
            return None
        quantity = parse_numbers(raw[factors[0]], decimal=spec.decimal)[0]
        amounts = quantity * parse_numbers(raw[factors[1]], decimal=spec.decimal)[0]
    else:
        found = find_column(raw, spec.columns.get("net_sales") or "net_sales")
        if found is None:
            return None
        amounts = parse_numbers(raw[found], decimal=spec.decimal)[0]
    return pd.Series(amounts.to_numpy(), index=rows.to_numpy())


def join_lookups(
    check: TableCheck,
    raw: pd.DataFrame,
    canonical: pd.DataFrame,
    kept: pd.Series,
    rows: pd.Series,
    lookup_tables: Mapping[str, pd.DataFrame],
) -> None:
    """Add the columns of the declared lookup files to ``canonical`` (in place, our own frame)."""
    for lookup in check.spec.lookups:
        on = find_column(raw, lookup.by)
        if on is None:
            check.problem(
                lookup.by, f"is named in a lookup of client.yml ({lookup.file}) but not in the file"
            )
            continue
        frame = lookup_tables.get(lookup.file)
        if frame is None:
            continue  # unreadable: reported by whoever read it
        result = join_lookup(raw[on], frame, lookup)
        for column in result.missing_columns:
            check.problem(
                column,
                f"is named in a lookup of client.yml but the lookup file has no such column"
                f" (it has: {', '.join(map(str, frame.columns))})",
                file=lookup.file,
            )
        if len(result.conflicting_rows):
            key = find_column(frame, lookup.key)
            check.problem(
                str(key),
                f"the same key is listed more than once with different {', '.join(lookup.columns.values())}",
                (result.conflicting_rows + 2).tolist(),
                frame.loc[result.conflicting_rows, key],
                file=lookup.file,
            )
        unmatched = result.unmatched & kept
        if unmatched.any() and lookup.missing == "error":
            check.problem(
                str(on),
                f"not found in the lookup file {lookup.file} (column '{lookup.key}'); add it there,"
                " or set 'missing: blank' for this lookup in client.yml",
                rows[unmatched],
                raw.loc[unmatched, on],
            )
        elif unmatched.any():
            check.repair(f"left empty: not listed in {lookup.file}", rows[unmatched], column=str(on))
        for target, values in result.values.items():
            canonical[target] = values


def cost_from_profit(check: TableCheck, raw: pd.DataFrame, canonical: pd.DataFrame) -> None:
    """Set ``canonical["cost"]`` to net sales minus the export's profit column (in place)."""
    source = find_column(raw, check.spec.cost_from_profit or "")
    if source is None:
        check.problem(
            check.spec.cost_from_profit, "is named in cost_from_profit of client.yml but not in the file"
        )
        return
    profit, _, bad = parse_numbers(raw.loc[canonical.index, source], decimal=check.spec.decimal)
    if bad.any():
        check.problem(source, "is not a number", canonical.loc[bad, ROW], raw.loc[bad[bad].index, source])
    if "net_sales" in canonical.columns:
        canonical["cost"] = canonical["net_sales"] - profit


LINE_ID_HEADERS = (
    "lineid",
    "lineno",
    "linenumber",
    "line",
    "position",
    "pos",
    "posnr",
    "salesorderlinenumber",
)
"""Normalised headers of a line-number column: lines that differ only there are not duplicates."""


def _note_duplicate_rule(check: TableCheck, raw: pd.DataFrame, *, has_invoice_id: bool, found: int) -> None:
    """Say how duplicates were judged when the export cannot tell two equal lines apart itself."""
    headers = {re.sub(r"[^a-z0-9]", "", str(c).lower()) for c in raw.columns}
    if headers & set(LINE_ID_HEADERS) or (has_invoice_id and not found):
        return
    ids = "invoice numbers but no line numbers" if has_invoice_id else "no invoice or line numbers"
    if not found:
        check.notes.append(
            f"{check.spec.file} has {ids}; no two of its lines are identical in all {len(raw.columns)}"
            " columns, so no line was set aside as a duplicate."
        )
        return
    check.notes.append(
        f"{check.spec.file} has {ids}: a line was treated as an exact duplicate only when all"
        f" {len(raw.columns)} of its columns equal an earlier line ({count_text(found, 'line', 'lines')});"
        " lines differing in any column were kept. If identical lines are genuine separate"
        " sales, set 'drop_exact_duplicates: false' for this file in client.yml."
    )


def _text_columns(frame: pd.DataFrame) -> list:
    """The columns holding text: duplicates compare them without spaces around the values."""
    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


HASH_AHEAD_ROWS = 100_000
"""From this many rows on, the rows are hashed for duplicates on a thread while the rest of the
intake converts the columns (below it hashing takes milliseconds)."""


def hash_rows_ahead(raw: pd.DataFrame) -> Future | None:
    """Start hashing every source row for :func:`set_aside_exact_duplicates`, on a thread.

    The hashes depend on the source rows alone, so they are computed, and the rows whose hash
    repeats found, while the main thread maps and converts the columns (NumPy and DuckDB hash on
    every core beside pandas' conversions, which wait on threads of their own much of the time;
    NumPy then counts the hashes: on two cores, seconds less on ten million lines). Returns the
    future of :func:`kamtools.engine.repeated_rows`, or None for a small table. The caller waits
    for it before it returns.
    """
    if len(raw) < HASH_AHEAD_ROWS or raw.shape[1] == 0:
        return None
    return in_background(repeated_rows, raw, strip=_text_columns(raw))


def set_aside_exact_duplicates(
    check: TableCheck, raw: pd.DataFrame, canonical: pd.DataFrame, *, raw_repeated: np.ndarray | None = None
) -> pd.DataFrame:
    """``canonical`` without lines that repeat an earlier line in every column of the source file.

    Duplicates are judged on the whole source row, not on the mapped columns: two lines with the
    same date, customer and amount but another product, description or line number are two sales.
    ``raw_repeated`` marks the rows of ``raw`` whose hash repeats (:func:`hash_rows_ahead`), if
    found: rows set aside before cannot hide a duplicate, they only add candidates.
    """
    same_rows = raw.index.equals(canonical.index)
    source = raw if same_rows else raw.loc[canonical.index]
    candidates = raw_repeated
    if raw_repeated is not None and not same_rows:
        candidates = raw_repeated[raw.index.get_indexer(canonical.index)]
    duplicated = duplicated_rows(source, strip=_text_columns(source), candidates=candidates)
    check.repair("set aside: exact duplicate of an earlier row", canonical.loc[duplicated, ROW], dropped=True)
    if check.table.name == "sales":
        _note_duplicate_rule(
            check, raw, has_invoice_id="invoice_id" in canonical.columns, found=int(duplicated.sum())
        )
    return canonical[~duplicated]
