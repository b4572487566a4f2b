"""Turn a client's raw tables into clean canonical frames, reporting every problem at once.

Validation is pure: it receives text frames (as :func:`kamtools.io.read_raw_table` reads them)
and the reading instructions of ``client.yml``, and returns an :class:`Intake`: the canonical
typed tables, the problems that stop a run (each naming file, row and column), and the repairs
it made (each counted, with example rows) for the report's data-quality section. What it reports
(:class:`Problem`, :class:`Repair`, :class:`Intake`) lives in :mod:`kamtools.intake`; the names
are re-exported here.

Rows are numbered as the user sees them in Excel: the header is row 1, the first data row is 2.
No row is ever dropped without a :class:`Repair` that counts it; invoice lines set aside also
carry their net sales in money and as a share of the file's sales.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamtools.contract import SATISFACTION_LABELS, TABLES, Column, Table
from kamtools.engine import in_background, is_trimmed, may_end_with, no_blank_cell, strip_text
from kamtools.inputspec import ExclusionRule, InputSpec, spec_from_mapping
from kamtools.intake import Intake, Problem, Repair, SourceSummary, TableCheck
from kamtools.io import READ_FINDINGS, ROW_NUMBERS
from kamtools.parsing import (
    DECIMAL_NAMES,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_ABS_NUMBER,
    DateReading,
    NumberReading,
    decide_decimal,
    parse_dates,
    parse_numbers,
    read_dates,
    read_numbers,
)
from kamtools.source_rows import (
    ROW,
    blank_missing_tokens,
    cost_from_profit,
    hash_rows_ahead,
    join_lookups,
    line_amounts,
    set_aside_exact_duplicates,
)
from kamtools.source_rows import as_text as _as_text
from kamtools.source_rows import find_column as _find_column

__all__ = [
    "ExclusionRule",
    "InputSpec",
    "Intake",
    "PeriodSpan",
    "Problem",
    "Repair",
    "SourceSummary",
    "derive_customers",
    "parse_dates",
    "parse_numbers",
    "parse_scores",
    "spec_from_mapping",
    "validate_table",
    "validate_tables",
]

OPEN_DATE_COLUMNS = ("paid_date",)
"""Date columns where empty means "not yet" (an open invoice): 9999-12-31 means the same."""


@dataclass(frozen=True)
class PeriodSpan:
    """The dates an analysis covers: from the first period's start to the current period's end."""

    start: pd.Timestamp
    end: pd.Timestamp


def parse_scores(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read 1-to-5 scores, given as numbers or as the five satisfaction labels."""
    raw = strip_text(_as_text(text))
    empty = raw == ""
    numbers = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
    labels = raw.str.lower().map(SATISFACTION_LABELS)
    values = numbers.fillna(labels).astype(float)
    invalid = (~empty) & (values.isna() | ~values.between(1, 5))
    return values.where(~invalid), invalid


def _convert(
    check: TableCheck,
    frame: pd.DataFrame,
    column: Column,
    *,
    file_decimal: Callable[[], str | None],
    ahead: Mapping[str, futures.Future] | None = None,
) -> pd.Series:
    values = frame[column.name]
    user_column = check.client_name(column.name)
    rows = frame[ROW]
    if column.kind in ("number", "integer", "date"):
        started = (ahead or {}).get(column.name)  # read on a thread already (large tables)
        reading = started.result() if started is not None else _first_reading(check.spec, column, values)
    if column.kind in ("number", "integer"):
        return _convert_numbers(
            check,
            reading,
            values,
            rows,
            user_column,
            whole=column.kind == "integer",
            file_decimal=file_decimal,
        )
    if column.kind == "date":
        open_ended = column.name in OPEN_DATE_COLUMNS
        return _convert_dates(check, reading, values, rows, user_column, open_ended=open_ended)
    if column.kind == "score":
        parsed, bad = parse_scores(values)
        if bad.any():
            check.problem(
                user_column,
                "must be a score from 1 to 5 or one of the five satisfaction labels",
                rows[bad],
                values[bad],
            )
        return parsed
    text = _as_text(values)
    stripped = strip_text(text)
    if column.choices:
        lowered = stripped.str.lower()
        bad = (lowered != "") & ~lowered.isin(column.choices)
        if bad.any():
            check.problem(user_column, f"must be one of: {', '.join(column.choices)}", rows[bad], values[bad])
        return lowered
    if column.kind == "id" and may_end_with(stripped, ".0"):
        numeric_id = stripped.str.fullmatch(r"\d+\.0")
        if numeric_id.any():
            check.repair(
                "ids stored as decimal numbers ('1001.0') read as '1001'",
                rows[numeric_id],
                column=user_column,
            )
            stripped = stripped.where(~numeric_id, stripped.str[:-2])
    return stripped


def _file_decimal(canonical: pd.DataFrame, table: Table) -> str | None:
    """The decimal separator the file's number columns agree on, for a column that cannot decide."""
    decided = set()
    for c in table.columns:
        is_text_number = c.kind in ("number", "integer") and c.name in canonical.columns
        if is_text_number and not pd.api.types.is_numeric_dtype(canonical[c.name]):
            decimal, evidence, _, _ = decide_decimal(canonical[c.name])
            if evidence:
                decided.add(decimal)
    return decided.pop() if len(decided) == 1 else None


MIXED_DECIMAL_MARKS = ("a decimal comma", "a decimal point", "format")
MIXED_DATE_ORDERS = ("day/month dates", "month/day dates", "order")
"""Two ways of writing one column's values, and what the column must keep to one of."""


def _mixed_problem(
    check: TableCheck, user_column: str, rows: pd.Series, examples: tuple[str, str], forms: tuple[str, ...]
) -> None:
    """A column writing its values two ways (:data:`MIXED_DECIMAL_MARKS`, :data:`MIXED_DATE_ORDERS`)."""
    first, second, rule = forms
    check.problem(
        user_column,
        f"mixes {first} (e.g. '{examples[0]}') and {second} (e.g. '{examples[1]}'); the column must use"
        f" one {rule}",
        rows,
    )


def _convert_numbers(
    check: TableCheck,
    reading: NumberReading,
    values: pd.Series,
    rows: pd.Series,
    user_column: str,
    *,
    whole: bool,
    file_decimal: Callable[[], str | None],
) -> pd.Series:
    decimal = check.spec.decimal
    if reading.ambiguous and decimal == "auto":
        # Undecided by its own values ('2.299' only): the file's other number columns decide.
        fallback = file_decimal()
        if fallback is not None:
            reading = read_numbers(values, decimal=decimal, fallback=fallback)
    if reading.mixed_rows is not None:
        _mixed_problem(check, user_column, rows[reading.mixed_rows], reading.mixed, MIXED_DECIMAL_MARKS)
    if reading.contradicts_setting is not None and reading.contradicts_setting.any():
        bad = reading.contradicts_setting
        check.problem(
            user_column,
            f"is not a number with {DECIMAL_NAMES[reading.decimal]} (decimal: '{decimal}' in client.yml)",
            rows[bad],
            values[bad],
        )
    for mask, message in (
        (reading.unreadable, "is not a number"),
        (reading.non_finite, "is not a finite number"),
        (reading.too_large, f"is too large to be real (more than {MAX_ABS_NUMBER:,.0f})"),
    ):
        if mask.any():
            # Only the refused cells are shown: turning millions of numbers into text costs seconds.
            check.problem(user_column, message, rows[mask], _as_text(values[mask]))
    parsed = reading.values
    if whole:
        fractional = parsed.notna() & (parsed != parsed.round())
        if fractional.any():
            check.problem(user_column, "must be a whole number", rows[fractional], values[fractional])
    if reading.mixed_rows is not None:
        return parsed
    check.repair("removed currency signs or thousands separators", rows[reading.repaired], column=user_column)
    if reading.decimal == "," or reading.thousands:
        thousands = " and '.' between thousands" if reading.decimal == "," else " and ',' between thousands"
        how = DECIMAL_NAMES[reading.decimal] + (thousands if reading.thousands else "")
        why = "set in client.yml" if decimal != "auto" else f"decided by values such as '{reading.evidence}'"
        if decimal == "auto" and not reading.evidence:
            why = "as the file's other number columns"
        if reading.ambiguous:
            mark = "." if reading.decimal == "," else ","
            how = f"'{mark}' between thousands"
            why = (
                f"values such as '{reading.ambiguous}' have three digits after the '{mark}' and no value"
                " has decimals; set `decimal:` for this file in client.yml if they are decimals"
            )
        check.note(user_column, f"numbers read with {how} ({why})")
    return parsed


def _convert_dates(
    check: TableCheck,
    reading: DateReading,
    values: pd.Series,
    rows: pd.Series,
    user_column: str,
    *,
    open_ended: bool,
) -> pd.Series:
    spec = check.spec

    def shown(mask: pd.Series) -> pd.Series:
        # Only the cells a message names become text: formatting millions of dates costs seconds.
        return _as_text(values[mask])

    if reading.unreadable.any():
        hint = f" in the format {spec.date_format}" if spec.date_format else ""
        check.problem(
            user_column, f"is not a date{hint}", rows[reading.unreadable], shown(reading.unreadable)
        )
    if reading.against_setting is not None and reading.against_setting.any():
        bad = reading.against_setting
        check.problem(
            user_column,
            f"is not a date in the order {reading.order} (dayfirst: {str(spec.dayfirst).lower()} in"
            " client.yml)",
            rows[bad],
            shown(bad),
        )
    never = reading.never
    if open_ended and never.any():
        check.repair("9999-12-31 read as not paid (open), as SAP writes it", rows[never], column=user_column)
    outside = reading.out_of_range | (never if not open_ended else False)
    if outside.any():
        year = pd.to_numeric(shown(outside).str.extract(r"(\d{4})")[0], errors="coerce").dropna()
        which = f"the year {int(year.iloc[0])}" if len(year) else "the year"
        check.problem(
            user_column,
            f"{which} is outside the dates kamtools can analyse ({FIRST_YEAR} to {LAST_YEAR})",
            rows[outside],
            shown(outside),
        )
    if reading.mixed_rows is not None:
        _mixed_problem(check, user_column, rows[reading.mixed_rows], reading.mixed, MIXED_DATE_ORDERS)
    elif reading.ambiguous:
        check.problem(
            user_column,
            f"dates such as '{reading.ambiguous}' can be read day/month or month/day and no value decides;"
            " set `dayfirst: true` or `date_format:` for this file in client.yml",
            rows[reading.ambiguous_rows],
        )
    elif reading.evidence == ".":
        check.note(user_column, f"dates read as {reading.order} (dates written with dots are day first)")
    elif reading.evidence:
        field = "first" if reading.order.startswith("day") else "second"
        check.note(
            user_column,
            f"dates read as {reading.order} (decided by values such as '{reading.evidence}', whose"
            f" {field} field is above 12)",
        )
    if reading.with_zone.any():
        example = shown(reading.with_zone).iloc[0]
        check.note(
            user_column,
            f"dates with a time zone (e.g. '{example}') read as the calendar date written; time and zone"
            " dropped",
        )
    return reading.values


def validate_table(
    raw: pd.DataFrame, spec: InputSpec, *, lookup_tables: Mapping[str, pd.DataFrame] | None = None
) -> tuple[pd.DataFrame, TableCheck]:
    """Turn one raw frame into the canonical frame of its contract table.

    Returns the canonical frame (contract columns that were provided, plus ``_row``) and the
    check holding its problems and repairs. ``lookup_tables`` holds the lookup files the spec
    declares, by file name. Cross-table checks happen in :func:`validate_tables`.

    The steps run in this order and share the row bookkeeping (``rows``: each raw row's number
    in the file; ``kept``: rows not set aside): missing tokens, exclusions, mapping, lookups,
    spaces, conversion, empty required cells, duplicates.
    """
    table = TABLES[spec.table]
    check = TableCheck(spec, table)
    check.findings(raw.attrs.get(READ_FINDINGS, ()))
    if raw.empty:
        if not check.problems:
            check.problem(None, "the file is empty (a header row and at least one data row are needed)")
        return pd.DataFrame(columns=[*table.column_names, ROW]), check
    raw, rows = _numbered_rows(raw)
    raw, emptied = blank_missing_tokens(raw, spec.missing_values)
    # Rows hashed for duplicates on a thread while the rest of the intake runs: the hashes
    # depend on the source rows alone (the thread meets the spaces count on is_trimmed).
    hashing = hash_rows_ahead(raw) if spec.drop_exact_duplicates else None
    try:
        check.amounts_from(functools.partial(line_amounts, raw, spec, rows))
        kept = _apply_exclusions(check, raw, rows)
        canonical = _mapped_frame(check, raw, kept, rows)
        join_lookups(check, raw, canonical, kept, rows, lookup_tables or {})
        _report_missing_tokens(check, raw, emptied, kept, rows)

        canonical = canonical[kept]
        rows = rows[kept]
        canonical[ROW] = rows
        _report_padded_values(check, canonical, rows)
        # Blank cells are judged on the text, before conversion turns unreadable cells into NaN too.
        blank = _blank_required_cells(canonical, table)
        _convert_columns(check, raw, canonical)
        canonical = _empty_required_values(check, canonical, blank)
        if spec.drop_exact_duplicates and len(canonical):
            repeated = hashing.result() if hashing is not None else None
            canonical = set_aside_exact_duplicates(check, raw, canonical, raw_repeated=repeated)
        _check_unique_key(check, canonical)
    finally:
        if hashing is not None:
            futures.wait([hashing])  # no thread outlives the intake (e.g. into a forked process)
    return canonical.reset_index(drop=True), check


def _numbered_rows(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``raw`` indexed 0..n-1 and each row's number in the file (the reader's, else header = row 1)."""
    numbers = raw.attrs.get(ROW_NUMBERS)
    raw = raw.reset_index(drop=True)
    if numbers is not None and len(numbers) == len(raw):
        return raw, pd.Series(np.asarray(numbers, dtype="int64"), index=raw.index)
    return raw, pd.Series(np.arange(2, len(raw) + 2), index=raw.index, copy=False)


def _apply_exclusions(check: TableCheck, raw: pd.DataFrame, rows: pd.Series) -> pd.Series:
    """Rows kept after the ``exclude_rows`` rules; every rule's rows set aside and counted."""
    kept = pd.Series(True, index=raw.index)
    for rule in check.spec.exclude_rows:
        if _find_column(raw, rule.column) is None:
            check.problem(rule.column, "is named in an exclusion rule of client.yml but not in the file")
            continue
        hit = rule.mask(raw.rename(columns={_find_column(raw, rule.column): rule.column})) & kept
        check.repair(f"set aside: {rule.reason}", rows[hit], dropped=True, column=rule.column)
        kept &= ~hit
    return kept


def _mapped_frame(check: TableCheck, raw: pd.DataFrame, kept: pd.Series, rows: pd.Series) -> pd.DataFrame:
    """The contract's columns taken from the file (mapped in ``client.yml`` or by their own name)."""
    spec, table = check.spec, check.table
    canonical = pd.DataFrame(index=raw.index)
    for column in table.columns:
        wanted = spec.columns.get(column.name)
        found = _find_column(raw, wanted or column.name)
        if found is not None:
            canonical[column.name] = raw[found]
        elif wanted:
            check.problem(
                wanted,
                f"is mapped to '{column.name}' in client.yml but the file has no such column"
                f" (it has: {', '.join(map(str, raw.columns))})",
            )
        elif column.required and not (column.name == "net_sales" and spec.net_sales_from):
            check.problem(
                column.name,
                "required column is missing; add it or map your column to it in"
                f" client.yml (the file has: {', '.join(map(str, raw.columns))})",
            )
    if spec.net_sales_from:
        _net_sales_from_factors(check, raw, canonical, kept, rows)
    for target, source in spec.customer_columns.items():
        found = _find_column(raw, source)
        if found is None:
            check.problem(
                source, f"is named in customer_columns ({target}) of client.yml but not in the file"
            )
        else:
            canonical[f"customer_{target}"] = raw[found]
    return canonical


def _net_sales_from_factors(
    check: TableCheck, raw: pd.DataFrame, canonical: pd.DataFrame, kept: pd.Series, rows: pd.Series
) -> None:
    """Set ``canonical["net_sales"]`` to quantity times unit price (``net_sales_from``), in place."""
    spec = check.spec
    factors = [_find_column(raw, c) for c in spec.net_sales_from]
    missing = [c for c, f in zip(spec.net_sales_from, factors, strict=True) if f is None]
    if missing:
        check.problem(missing[0], "is named in net_sales_from of client.yml but not in the file")
        return
    quantity, _, bad_q = parse_numbers(raw[factors[0]], decimal=spec.decimal)
    price, _, bad_p = parse_numbers(raw[factors[1]], decimal=spec.decimal)
    for bad, name, source in (
        (bad_q, factors[0], raw[factors[0]]),
        (bad_p, factors[1], raw[factors[1]]),
    ):
        if (bad & kept).any():
            check.problem(str(name), "is not a number", rows[bad & kept], source[bad & kept])
    canonical["net_sales"] = (quantity * price).round(2)


def _report_missing_tokens(
    check: TableCheck, raw: pd.DataFrame, emptied: Mapping[str, pd.Series], kept: pd.Series, rows: pd.Series
) -> None:
    """Count the ``missing_values`` tokens read as empty, in the columns the intake uses."""
    spec, table = check.spec, check.table
    used = {spec.columns.get(c, c) for c in table.column_names} | set(spec.net_sales_from or ())
    used |= {*spec.customer_columns.values(), spec.cost_from_profit, *(lk.by for lk in spec.lookups)}
    for name, hit in emptied.items():
        if any(_find_column(raw, u) == name for u in used if u):
            shown = ", ".join(repr(t) for t in spec.missing_values)
            check.repair(f"read {shown} as empty (missing_values)", rows[hit & kept], column=str(name))


def _report_padded_values(check: TableCheck, canonical: pd.DataFrame, rows: pd.Series) -> None:
    """Count the rows whose text cells had spaces around them (conversion strips them)."""
    text_columns = [
        c
        for c in canonical.columns
        if c != ROW
        and not pd.api.types.is_numeric_dtype(canonical[c])
        and not pd.api.types.is_datetime64_any_dtype(canonical[c])
    ]
    padded = pd.Series(False, index=canonical.index)
    for name in text_columns:
        text = _as_text(canonical[name])
        if not is_trimmed(text):
            padded |= text != text.str.strip()
    check.repair("removed spaces around values", rows[padded])


def _blank_required_cells(canonical: pd.DataFrame, table: Table) -> dict[str, pd.Series]:
    """For each required column present, the mask of its empty cells."""
    return {
        c.name: _blank_cells(canonical[c.name])
        for c in table.columns
        if c.required and c.name in canonical.columns
    }


def _blank_cells(values: pd.Series) -> pd.Series:
    """The cells of a column with nothing in them: missing, empty or only spaces."""
    if pd.api.types.is_float_dtype(values):
        return values.isna()
    if no_blank_cell(values):  # known from the text's buffers: no cell compared
        return pd.Series(np.zeros(len(values), dtype=bool), index=values.index, copy=False)
    return strip_text(_as_text(values)) == ""


def _convert_columns(check: TableCheck, raw: pd.DataFrame, canonical: pd.DataFrame) -> None:
    """Convert every contract column to its type, in place (``canonical`` is our own frame)."""
    spec, table = check.spec, check.table
    # The file's decimal separator is asked only for a column its own values leave undecided,
    # from the columns as they were read (a scan of every number column, seconds on millions).
    as_read = canonical.copy(deep=False)
    file_decimal = functools.cache(lambda: _file_decimal(as_read, table))
    converted = [
        column
        for column in table.columns
        if column.name in canonical.columns and not (column.name == "net_sales" and spec.net_sales_from)
    ]
    ahead = _readings_ahead(check, as_read, converted)
    try:
        for column in converted:
            canonical[column.name] = _convert(
                check, canonical, column, file_decimal=file_decimal, ahead=ahead
            )
    finally:
        futures.wait(ahead.values())  # no thread outlives the intake
    if spec.cost_from_profit:
        cost_from_profit(check, raw, canonical)
    for name in [
        c
        for c in canonical.columns
        if c.startswith("customer_") and c != "customer_id" and c not in table.column_names
    ]:
        canonical[name] = strip_text(_as_text(canonical[name]))


READ_AHEAD_ROWS = 100_000
"""From this many rows on, the number and date columns are read on threads of their own."""


def _readings_ahead(
    check: TableCheck, canonical: pd.DataFrame, columns: list[Column]
) -> dict[str, futures.Future]:
    """The first reading of each number and date column of a large table, started on a thread.

    :func:`read_numbers` and :func:`read_dates` are pure and spend their time in Arrow and
    NumPy, which release the GIL, so the columns are read side by side on both cores (and
    their waits for fresh memory overlap); :func:`_convert` still reports on them one by one,
    in column order, from these readings: the same messages as reading them in turn.
    """
    if len(canonical) < READ_AHEAD_ROWS:
        return {}
    return {
        column.name: in_background(_first_reading, check.spec, column, canonical[column.name])
        for column in columns
        if column.kind in ("number", "integer", "date")
    }


def _first_reading(spec: InputSpec, column: Column, values: pd.Series) -> NumberReading | DateReading:
    """A number or date column read with the file's settings, before anything is reported on it."""
    if column.kind == "date":
        return read_dates(values, date_format=spec.date_format, dayfirst=spec.dayfirst)
    return read_numbers(values, decimal=spec.decimal)


def _empty_required_values(
    check: TableCheck, canonical: pd.DataFrame, blank: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """``canonical`` without rows set aside for an empty value (``drop_rows_missing``).

    Any other empty required value is a problem, unless its cell already has one.
    """
    spec = check.spec
    for column in check.table.columns:
        if column.name not in blank:
            continue
        missing = blank[column.name].reindex(canonical.index)
        if not missing.any():
            continue
        if column.name in spec.drop_rows_missing:
            check.repair(
                f"set aside: {spec.drop_rows_missing[column.name]}",
                canonical.loc[missing, ROW],
                dropped=True,
                column=check.client_name(column.name),
            )
            canonical = canonical[~missing]
        else:
            reported = check.reported_rows(check.client_name(column.name))
            missing &= ~canonical[ROW].isin(reported)
            if missing.any():
                check.problem(
                    check.client_name(column.name), "required value is empty", canonical.loc[missing, ROW]
                )
    return canonical


def _check_unique_key(check: TableCheck, canonical: pd.DataFrame) -> None:
    """Each value of the table's ``unique_key`` (e.g. a customer number) appears once."""
    key = list(check.table.unique_key)
    if not key or not set(key) <= set(canonical.columns):
        return
    clash = canonical.duplicated(key, keep=False)
    if clash.any():
        keys = canonical.loc[clash, key].astype(str).agg(" / ".join, axis=1)
        check.problem(
            check.client_name(key[0]),
            f"duplicate {' / '.join(key)}: each must appear once",
            canonical.loc[clash, ROW],
            keys.unique(),
        )


def derive_customers(sales: pd.DataFrame) -> pd.DataFrame:
    """Build a customer master from invoice lines when the client has none.

    Name, region and segment come from the lines' mapped ``customer_*`` columns where present
    (the most frequent value per customer), else the name is the customer number.
    """
    ids = pd.Series(sales["customer_id"].unique()).sort_values()  # unique: Arrow's hash, not pandas
    customers = pd.DataFrame({"customer_id": ids.to_numpy()})
    for target in ("name", "region", "segment"):
        source = f"customer_{target}"
        if source in sales.columns:
            values = sales[sales[source] != ""]
            most_frequent = values.groupby("customer_id")[source].agg(lambda s: s.value_counts().index[0])
            customers[target] = customers["customer_id"].map(most_frequent).fillna("")
    if "name" not in customers.columns:
        customers["name"] = customers["customer_id"]
    customers["name"] = customers["name"].where(customers["name"] != "", customers["customer_id"])
    return customers


def _check_known_customers(check: TableCheck, frame: pd.DataFrame, known: pd.Index) -> None:
    if "customer_id" not in frame.columns or frame.empty:
        return
    unknown = ~frame["customer_id"].isin(known) & (frame["customer_id"] != "")
    if unknown.any():
        check.problem(
            check.client_name("customer_id"),
            "customer not found in the customer master",
            frame.loc[unknown, ROW],
            frame.loc[unknown, "customer_id"].unique(),
        )


def _check_team_accounts(check: TableCheck, team: pd.DataFrame, known: pd.Index) -> None:
    """Every account a team member holds (``accounts``, separated by ";") is a known customer."""
    accounts = team.assign(account=team["accounts"].str.split(";")).explode("account")
    accounts["account"] = accounts["account"].fillna("").str.strip()
    unknown = (accounts["account"] != "") & ~accounts["account"].isin(known)
    if unknown.any():
        check.problem(
            check.client_name("accounts"),
            "customer not found in the customer master",
            accounts.loc[unknown, ROW].unique(),
            accounts.loc[unknown, "account"].unique(),
        )


def _check_customer_links(
    frames: Mapping[str, pd.DataFrame],
    checks: Mapping[str, TableCheck],
    *,
    derived_from: tuple[str, ...] = (),
) -> None:
    """Customers named in any table, and accounts of the team, must be in the customer master.

    A master derived from a table (``derived_from``) holds every customer of that table (its
    ids are never missing: conversion reads them as text), so that table is not looked up
    again: ten million lines cost more than half a second.
    """
    customers = frames.get("customers")
    if customers is None or "customer_id" not in customers.columns:
        return
    known = pd.Index(customers["customer_id"].dropna().unique())
    for name, frame in frames.items():
        if name != "customers" and name in checks and name not in derived_from:
            _check_known_customers(checks[name], frame, known)
    team = frames.get("team")
    if team is not None and "accounts" in team.columns:
        _check_team_accounts(checks["team"], team, known)


def _keep_analysed_period(
    sales: pd.DataFrame, check: TableCheck, spec: InputSpec, span: PeriodSpan
) -> pd.DataFrame:
    """Invoice lines dated outside ``span``: a problem, or set aside and counted (``out_of_period``)."""
    outside = sales["invoice_date"].notna() & ~sales["invoice_date"].between(span.start, span.end)
    if not outside.any():
        return sales
    window = f"{span.start:%Y-%m-%d} to {span.end:%Y-%m-%d}"
    if spec.out_of_period == "exclude":
        check.repair(
            f"set aside: invoice date outside the analysed periods ({window})",
            sales.loc[outside, ROW],
            dropped=True,
            column=check.client_name("invoice_date"),
        )
        return sales[~outside].reset_index(drop=True)
    check.problem(
        check.client_name("invoice_date"),
        f"date outside the analysed periods ({window}); fix the dates, the periods,"
        " or set 'out_of_period: exclude' for this file in client.yml",
        sales.loc[outside, ROW],
        sales.loc[outside, "invoice_date"].dt.strftime("%Y-%m-%d"),
    )
    return sales


def _fill_missing_master(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Derive the customer master from the invoice lines when there is none; notes saying so.

    Adds ``frames["customers"]`` (our own dict of frames) and returns the notes for the
    data-quality section, including one when no cost of goods was provided.
    """
    notes = []
    sales = frames.get("sales")
    if "customers" not in frames and sales is not None and "customer_id" in sales.columns:
        frames["customers"] = derive_customers(sales.dropna(subset=["customer_id"]))
        notes.append(
            f"No customer master was provided: {len(frames['customers']):,} customers were derived from the"
            " invoice lines"
            + (
                " (names, regions or segments from columns of the lines)."
                if any(c.startswith("customer_") and c != "customer_id" for c in sales.columns)
                else "; their names are their customer numbers."
            )
        )
    if sales is not None and not sales.empty and "cost" not in sales.columns:
        notes.append("No cost of goods was provided: gross profit and margin analyses are not available.")
    return notes


def _source_summaries(
    raw_tables: Mapping[str, pd.DataFrame],
    specs: Mapping[str, InputSpec],
    frames: Mapping[str, pd.DataFrame],
    fingerprints: Mapping[str, str],
    lookup_tables: Mapping[str, pd.DataFrame],
) -> list[SourceSummary]:
    """One summary per input file: rows read and kept, and its fingerprint."""
    sources = [
        SourceSummary(
            name, specs[name].file, len(raw_tables[name]), len(frames[name]), fingerprints.get(name, "")
        )
        for name in raw_tables
    ]
    # Lookup files are inputs too: listed (read = kept, they are looked up, not analysed) and
    # fingerprinted under "<table> lookup", their fingerprint keyed by file name.
    sources += [
        SourceSummary(
            f"{name} lookup", lookup.file, len(frame), len(frame), fingerprints.get(lookup.file, "")
        )
        for name in raw_tables
        for lookup in specs[name].lookups
        if (frame := lookup_tables.get(lookup.file)) is not None
    ]
    return sources


def validate_tables(
    raw_tables: Mapping[str, pd.DataFrame],
    specs: Mapping[str, InputSpec],
    *,
    span: PeriodSpan | None = None,
    fingerprints: Mapping[str, str] | None = None,
    lookup_tables: Mapping[str, pd.DataFrame] | None = None,
) -> Intake:
    """Validate a client's whole workspace: every table, then the links between tables.

    Parameters
    ----------
    raw_tables
        Raw text frames by contract table name, as read from the client's files.
    specs
        Reading instructions by table name (from ``client.yml``).
    span
        Dates the analysis covers; invoice lines outside it are an error, or set aside and
        counted when the sales spec says ``out_of_period="exclude"``.
    fingerprints
        File fingerprints by table name, recorded in the sources summary.
    lookup_tables
        Raw lookup files (``lookups`` of an input in ``client.yml``) by file name.

    Returns
    -------
    Intake
        Canonical tables without helper columns, problems, repairs, sources and notes.
    """
    checks: dict[str, TableCheck] = {}
    frames: dict[str, pd.DataFrame] = {}
    for name, raw in raw_tables.items():
        frames[name], checks[name] = validate_table(raw, specs[name], lookup_tables=lookup_tables)
    sales = frames.get("sales")
    if sales is not None and span is not None and "invoice_date" in sales.columns and not sales.empty:
        frames["sales"] = _keep_analysed_period(sales, checks["sales"], specs["sales"], span)
    derived = "customers" not in frames
    notes = _fill_missing_master(frames)
    _check_customer_links(frames, checks, derived_from=("sales",) if derived else ())

    notes[:0] = [n for c in checks.values() for n in c.notes]
    problems = [p for c in checks.values() for p in c.problems]
    repairs = [r for c in checks.values() for r in c.repairs]
    sources = _source_summaries(raw_tables, specs, frames, fingerprints or {}, lookup_tables or {})
    tables = {}
    for name, frame in frames.items():
        contract = TABLES[name].column_names
        tables[name] = frame[[c for c in contract if c in frame.columns]].reset_index(drop=True)
    return Intake(tables=tables, problems=problems, repairs=repairs, sources=sources, notes=notes)
