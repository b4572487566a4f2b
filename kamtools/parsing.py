"""Read numbers and dates as people type them, deciding the format per column from its values.

A cell alone cannot say whether ``2.299`` is two thousand or two point three, nor whether
``05/03/2024`` is March or May. A column can: one ``1.234,50`` or one ``31/01/2025`` decides
for all its cells. These readers look at every distinct value of a column, decide its format
once, report the rule they used (and the value that decided it), and refuse a column that
stays ambiguous or mixes two formats, instead of guessing cell by cell.

They are pure: text in, values and masks out; :mod:`kamtools.validation` turns their findings
into problems and notes naming file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kamtools.engine import has_empty_cell, strip_text

CURRENCY_PATTERN = r"[€£$¥]|\b(?:EUR|GBP|USD|CHF|CNY|RMB|JPY)\b"
SPACE_PATTERN = r"[\s\u00a0\u202f]"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MAX_ABS_NUMBER = 1e12
"""Larger figures are data errors (an overflowed export, 1e308 as "no value"), not invoices."""
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Dates outside these years are refused: SAP's 9999-12-31, typos such as 2999 or 0202."""
NEVER = (9999, 12, 31)
"""SAP and other ERPs write 31 December 9999 for "no date" (never paid, never ends)."""

DECIMAL_NAMES = {".": "a decimal point", ",": "a decimal comma"}
DECIMAL_SETTINGS = {".": ".", "point": ".", "dot": ".", ",": ",", "comma": ",", "auto": "auto"}

# Number shapes after currency signs, spaces and signs are removed. "Ambiguous" shapes read
# both ways: 2.299 is 2299 with a dot between thousands or 2.299 with a decimal point.
_SHAPES = {
    "comma_decimal": r"\d+,(?:\d{1,2}|\d{4,})|0,\d+|\d{1,3}(?:[.']\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}",
    "point_decimal": r"\d+\.(?:\d{1,2}|\d{4,})|0\.\d+|\d{1,3}(?:[,']\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,}"
    r"|\d{1,3}(?:'\d{3})+",
    "ambiguous_dot": r"[1-9]\d{0,2}\.\d{3}",
    "ambiguous_comma": r"[1-9]\d{0,2},\d{3}",
}
_STRENGTH = [r"\d[.,']\d{3}[.,']\d", r"\d[.,']\d{3}[.,']\d{3}", r"."]
"""Preferred examples of a decision: both separators first, then several groups."""


@dataclass(frozen=True)
class NumberReading:
    """Numbers read from one column, with the format decided for it and what went wrong.

    ``decimal`` is ``"."`` or ``","``; ``thousands`` whether any value uses a thousands
    separator; ``evidence`` the value that decided (empty when the setting decided or the
    values are plain); ``ambiguous`` a value such as ``2.299`` read as thousands because no
    value decided (money has two decimals); ``mixed`` examples when the column mixes both.
    """

    values: pd.Series
    repaired: pd.Series
    unreadable: pd.Series
    non_finite: pd.Series
    too_large: pd.Series
    decimal: str
    thousands: bool = False
    evidence: str = ""
    ambiguous: str = ""
    mixed: tuple[str, str] = ("", "")
    mixed_rows: pd.Series | None = None
    contradicts_setting: pd.Series | None = None


def _clean_number_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text without currency signs and spaces, and a mask of negatives written (12.50) or 12.50-."""
    cleaned = raw.str.replace(CURRENCY_PATTERN, "", regex=True).str.replace(SPACE_PATTERN, "", regex=True)
    negative = cleaned.str.startswith("(") & cleaned.str.endswith(")") | cleaned.str.endswith("-")
    cleaned = cleaned.str.strip("()").str.rstrip("-").str.lstrip("+-")
    return cleaned, negative | raw.str.strip().str.startswith("-")


def _shapes(distinct: pd.Series) -> dict[str, pd.Series]:
    return {name: distinct.str.fullmatch(pattern) for name, pattern in _SHAPES.items()}


def _example(values: pd.Series) -> str:
    for pattern in _STRENGTH:
        hit = values[values.str.contains(pattern, regex=True)]
        if len(hit):
            return str(hit.iloc[0])
    return ""


# Signs are the only thing the cleaning removes from a number Arrow can read ("-12.50", "+3").
_PLAIN_POINT = r"^[+-]*(?:\d+\.(?:\d{1,2}|\d{4,})|0\.\d+)$"
_PLAIN_AMBIGUOUS = r"^[+-]*[1-9]\d{0,2}\.\d{3}$"


def _empty_as_null(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """The same text with empty cells null, sharing the text's buffers (no copy of the strings)."""

    def non_empty(cells: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        return pc.fill_null(pc.and_(pc.not_equal(pc.binary_length(cells), 0), pc.is_valid(cells)), False)

    if not text.null_count and not any(has_empty_cell(chunk) for chunk in text.chunks):
        return text  # the usual column of an export: nothing to null, no kernel pass at all
    chunks = []
    filled = [chunk for chunk in text.chunks if len(chunk)]
    # One kernel call per step over the whole column (not per chunk: a large file has hundreds);
    # the kernels drop empty chunks, and should they chunk otherwise, each chunk is asked alone.
    keeps = non_empty(text).chunks
    if [len(keep) for keep in keeps] != [len(chunk) for chunk in filled]:
        keeps = [non_empty(chunk) for chunk in filled]
    for chunk, keep in zip(filled, keeps, strict=True):
        if chunk.offset or keep.offset:
            chunks.append(pc.if_else(keep, chunk, pa.scalar(None, chunk.type)))
            continue
        buffers = chunk.buffers()
        chunks.append(pa.Array.from_buffers(chunk.type, len(chunk), [keep.buffers()[1], *buffers[1:]]))
    return pa.chunked_array(chunks, type=text.type)


def _plain_floats(raw: pd.Series) -> tuple[pa.ChunkedArray, pa.ChunkedArray] | None:
    """The stripped cells as floats when every non-empty one is a plain number, else None.

    "Plain" means Arrow's own reader takes it (digits, one decimal point, sign, exponent) and it
    is not "nan": then no cell holds a comma, a currency sign, a space or a bracket, and the
    full reading below would take every cell as it is. Most columns of a real export are plain;
    reading them this way takes a fraction of the time on millions of lines.
    """
    try:
        text = getattr(raw.array, "_pa_array", None)  # Arrow-backed text: no copy
        if text is None:
            text = pa.chunked_array([pa.array(raw.to_numpy(dtype=object), type=pa.large_string())])
        text = _empty_as_null(text)
        floats = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if pc.any(pc.is_nan(floats)).as_py():
        return None  # "nan" written out: the full reading refuses it as unreadable
    return text, floats


def _first_match(text: pa.ChunkedArray, pattern: str, *, prefix_only: bool = False) -> str | None:
    """The first cell (in row order) matching ``pattern``; a prefix is searched first (only)."""
    for length in (10_000,) if prefix_only else (10_000, len(text)):
        head = text.slice(0, length)
        found = pc.index(pc.match_substring_regex(head, pattern), True).as_py()
        if found >= 0:
            return str(head[found].as_py())
        if length >= len(text):
            break
    return None


def _plain_decision(text: pa.ChunkedArray) -> tuple[str, str, str, tuple[str, str]] | None:
    """:func:`decide_decimal` for a column of plain numbers (see :func:`_plain_floats`).

    No plain number has a comma, so only a decimal point can decide, and the evidence is the
    first such value (``decide_decimal`` takes distinct values in order of appearance; its
    stronger examples need two separators, which no plain number has). A column of values such
    as ``2.299`` alone stays undecided and returns None (the full reading then decides).
    """
    evidence = _first_match(text, _PLAIN_POINT, prefix_only=True)
    # Both patterns need a '.': a column of whole numbers is spared two regexes over every cell.
    if evidence is None and pc.any(pc.match_substring(text, ".")).as_py():
        evidence = _first_match(text, _PLAIN_POINT)
        if evidence is None and pc.any(pc.match_substring_regex(text, _PLAIN_AMBIGUOUS)).as_py():
            return None
    return ".", evidence or "", "", ("", "")


def decide_decimal(text: pd.Series) -> tuple[str, str, str, tuple[str, str]]:
    """The decimal separator a column of number text uses, decided from all its distinct values.

    Returns ``(decimal, evidence, ambiguous, mixed)``: ``decimal`` is ``"."``, ``","`` or
    ``"?"`` when no value decides (``ambiguous`` then holds an example such as ``'2.299'``)
    or ``"!"`` when the column mixes both (``mixed`` holds one example of each).
    """
    raw = strip_text(text.dropna().astype(str))
    raw = raw[raw != ""]
    plain = _plain_floats(raw)
    decision = _plain_decision(plain[0]) if plain is not None else None
    if decision is not None:
        return decision
    distinct = pd.Series(raw.unique(), dtype=object).astype(str)
    cleaned, _ = _clean_number_text(distinct)
    shapes = _shapes(cleaned)
    comma, point = distinct[shapes["comma_decimal"]], distinct[shapes["point_decimal"]]
    if len(comma) and len(point):
        return "!", "", "", (_example(comma), _example(point))
    if len(comma):
        return ",", _example(comma), "", ("", "")
    if len(point):
        return ".", _example(point), "", ("", "")
    for name in ("ambiguous_dot", "ambiguous_comma"):
        if shapes[name].any():
            return "?", "", str(distinct[shapes[name]].iloc[0]), ("", "")
    return ".", "", "", ("", "")


def read_numbers(text: pd.Series, *, decimal: str = "auto", fallback: str | None = None) -> NumberReading:
    """Read a column of numbers: currency signs, thousands separators, "(12.50)", "12.50-".

    Parameters
    ----------
    text
        The column's cells as text (or numbers, e.g. from Parquet: then only checked).
    decimal
        ``"."``, ``","`` or ``"auto"`` (decide from the column's values).
    fallback
        The separator other columns of the same file decided, used when this column's values
        alone cannot decide (only ``2.299``-like values).

    Returns
    -------
    NumberReading
        Values (NaN for empty or refused cells) with masks of repaired, unreadable,
        non-finite and implausibly large cells, and the format used.
    """
    index = text.index
    none = pd.Series(False, index=index)
    if pd.api.types.is_numeric_dtype(text) and not pd.api.types.is_bool_dtype(text):
        values = text.astype("float64")
        non_finite = values.notna() & ~np.isfinite(values)
        too_large = np.isfinite(values) & (values.abs() > MAX_ABS_NUMBER)
        return NumberReading(values.where(~non_finite & ~too_large), none, none, non_finite, too_large, ".")
    raw = strip_text(_as_text(text))
    if decimal in ("auto", "."):
        fast = _read_plain_numbers(raw, decimal=decimal)
        if fast is not None:
            return fast
    empty = raw == ""
    decided, evidence, ambiguous, mixed = (
        decide_decimal(raw) if decimal == "auto" else (decimal, "", "", ("", ""))
    )
    mixed_rows = None
    if decided == "?" and fallback in (".", ","):
        decided, ambiguous = fallback, ""
    if decided == "!":
        comma_rows = raw.isin(_cells_of_shape(raw, "comma_decimal"))
        point_rows = raw.isin(_cells_of_shape(raw, "point_decimal"))
        mixed_rows = comma_rows if comma_rows.sum() <= point_rows.sum() else point_rows
    separator = "." if decided in ("?", "!") else decided
    if decided == "?":
        # Only values like 2.299 or 1,200: money has two decimals, so the separator groups thousands.
        separator = "," if "." in ambiguous else "."
    values = pd.Series(np.nan, index=index, dtype="float64")
    todo = ~empty
    if separator == ".":
        # Most cells of a real export are plain numbers: read them directly, clean only the rest.
        values = pd.to_numeric(raw.where(~empty), errors="coerce").astype("float64")
        todo = ~empty & values.isna()
    repaired = none.copy()
    contradicts = none.copy() if decimal != "auto" else None
    thousands = False
    if todo.any():
        cleaned, negative = _clean_number_text(raw[todo])
        if contradicts is not None:
            # A comma under decimal '.' (or a dot under ',') may only separate thousands.
            allowed = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?" if separator == "." else r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"
            foreign = "," if separator == "." else "."
            contradicts[todo] = cleaned.str.contains(foreign, regex=False) & ~cleaned.str.fullmatch(allowed)
        if separator == ",":
            group = r"[.']"
            digits = cleaned.str.replace(group, "", regex=True).str.replace(",", ".", regex=False)
        else:
            group = r"[,']"
            digits = cleaned.str.replace(group, "", regex=True)
        parsed = pd.to_numeric(digits.where(digits != ""), errors="coerce").astype("float64")
        parsed = parsed.where(~negative, -parsed)
        if contradicts is not None:
            parsed = parsed.where(~contradicts[todo])
        values[todo] = parsed
        repaired[todo] = parsed.notna() & ~raw[todo].str.fullmatch(r"-?\d+(\.\d+)?")
        thousands = bool((cleaned.str.contains(group, regex=True) & parsed.notna()).any())
    unreadable = values.isna() & ~empty
    if contradicts is not None:
        unreadable &= ~contradicts
    non_finite = values.notna() & ~np.isfinite(values)
    too_large = np.isfinite(values) & (values.abs() > MAX_ABS_NUMBER)
    values = values.where(~non_finite & ~too_large)
    repaired &= values.notna()
    return NumberReading(
        values=values,
        repaired=repaired,
        unreadable=unreadable,
        non_finite=non_finite,
        too_large=too_large,
        decimal=separator,
        thousands=thousands,
        evidence=evidence,
        ambiguous=ambiguous if decided == "?" else "",
        mixed=mixed,
        mixed_rows=mixed_rows,
        contradicts_setting=contradicts,
    )


def _read_plain_numbers(raw: pd.Series, *, decimal: str) -> NumberReading | None:
    """:func:`read_numbers` of a column of plain numbers in one Arrow pass, or None if it is not."""
    plain = _plain_floats(raw)
    if plain is None:
        return None
    decision = _plain_decision(plain[0]) if decimal == "auto" else (".", "", "", ("", ""))
    if decision is None:
        return None
    index = raw.index
    none = pd.Series(False, index=index)
    floats = _writable_floats(plain[1])
    # In NumPy, without a temporary of the absolute values: each float temporary of ten million
    # cells costs a tenth of a second. The same masks as read_numbers' (inf is not "too large").
    non_finite = np.isinf(floats)
    too_large = ((floats > MAX_ABS_NUMBER) | (floats < -MAX_ABS_NUMBER)) & ~non_finite
    refused = non_finite | too_large
    # copy=False: the array is this reading's own (pandas would copy ten million floats again).
    values = pd.Series(floats, index=index, dtype="float64", copy=False)
    return NumberReading(
        values=values.where(~refused) if refused.any() else values,
        repaired=none,
        unreadable=none.copy(),
        non_finite=pd.Series(non_finite, index=index, copy=False),
        too_large=pd.Series(too_large, index=index, copy=False),
        decimal=".",
        evidence=decision[1],
        contradicts_setting=none.copy() if decimal != "auto" else None,
    )


def _writable_floats(floats: pa.ChunkedArray) -> np.ndarray:
    """Arrow floats as one NumPy array of the frame's own (writable), nulls as NaN: one copy.

    ``ChunkedArray.to_numpy`` joins the chunks into read-only memory, which a frame cannot hold
    (pandas would copy it again): joining NumPy views of the chunks copies the floats once.
    """
    parts = [chunk.to_numpy(zero_copy_only=False) for chunk in floats.chunks]
    return np.concatenate(parts) if parts else np.empty(0, dtype="float64")


def _cells_of_shape(raw: pd.Series, shape: str) -> list[str]:
    distinct = pd.Series(raw.unique(), dtype=object).astype(str)
    cleaned, _ = _clean_number_text(distinct)
    return distinct[cleaned.str.fullmatch(_SHAPES[shape])].tolist()


def parse_numbers(text: pd.Series, *, decimal: str = "auto") -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers, repaired cells and refused cells of a column (see :func:`read_numbers`)."""
    reading = read_numbers(text, decimal=decimal)
    refused = reading.unreadable | reading.non_finite | reading.too_large
    if reading.contradicts_setting is not None:
        refused |= reading.contradicts_setting
    return reading.values, reading.repaired, refused


@dataclass(frozen=True)
class DateReading:
    """Dates read from one column, with the day/month order decided for it.

    ``order`` is ``"day/month/year"`` or ``"month/day/year"`` when slash or dot dates were
    found, with ``evidence`` the value that decided it (empty when a setting did);
    ``ambiguous`` an example when no value decides; ``mixed`` one example of each order.
    ``never`` marks 9999-12-31 ("no date"), ``out_of_range`` other years outside
    :data:`FIRST_YEAR`-:data:`LAST_YEAR`, ``with_zone`` cells carrying a time zone.
    """

    values: pd.Series
    unreadable: pd.Series
    out_of_range: pd.Series
    never: pd.Series
    with_zone: pd.Series
    order: str = ""
    evidence: str = ""
    ambiguous: str = ""
    mixed: tuple[str, str] = ("", "")
    mixed_rows: pd.Series | None = None
    against_setting: pd.Series | None = None
    ambiguous_rows: pd.Series | None = None


_ISO = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ](?P<time>[\d:.,]*)(?P<zone>Z|[+-]\d{2}:?\d{2})?)?"
_FIELDS = r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?:[T ].*)?"


@dataclass
class _DateParts:
    """Year, month and day of every cell read so far (NaN where not yet), and the cells left."""

    years: pd.Series
    months: pd.Series
    days: pd.Series
    rest: pd.Series

    def take(self, found: pd.Series, years: pd.Series, months: pd.Series, days: pd.Series) -> None:
        self.years[found], self.months[found], self.days[found] = years, months, days
        self.rest &= ~found


@dataclass(frozen=True)
class _FieldOrder:
    """The day/month order decided for a column's slash and dot dates, and why.

    The fields after ``dayfirst`` are those of :class:`DateReading` with the same names.
    """

    dayfirst: bool
    evidence: str = ""
    ambiguous: str = ""
    ambiguous_rows: pd.Series | None = None
    mixed: tuple[str, str] = ("", "")
    mixed_rows: pd.Series | None = None
    against_setting: pd.Series | None = None

    def reading_fields(self) -> dict[str, Any]:
        """The decision as keyword arguments of :class:`DateReading`."""
        return {name: value for name, value in vars(self).items() if name != "dayfirst"}


def read_dates(
    text: pd.Series, *, date_format: str | None = None, dayfirst: bool | None = None
) -> DateReading:
    """Read a column of dates: ISO (with time and zone), day/month or month/day, Excel serials.

    The order of slash and dot dates is decided for the whole column: a first field above 12
    means day first, a second field above 12 month first; dates with dots are day first by
    convention. ``dayfirst`` (``True``/``False``) or ``date_format`` decide instead. Time of
    day is dropped; a date with a time zone keeps the calendar date written.
    """
    index = text.index
    none = pd.Series(False, index=index)
    if pd.api.types.is_datetime64_any_dtype(text):
        return _read_datetimes(text)
    raw = strip_text(_as_text(text))
    codes, distinct = _factorized(raw)
    if len(distinct) < len(raw):
        # Real exports repeat their dates: read each distinct text once, then spread the result.
        once = read_dates(pd.Series(distinct, dtype=object), date_format=date_format, dayfirst=dayfirst)
        return _spread(once, codes, index)
    empty = raw == ""
    nothing = pd.Series(np.nan, index=index)
    parts = _DateParts(nothing, nothing.copy(), nothing.copy(), ~empty)
    with_zone, order, decided = none.copy(), "", _FieldOrder(dayfirst=False)
    if date_format:
        parsed = pd.to_datetime(raw.where(~empty), format=date_format, errors="coerce")
        found = parsed.notna()
        parts.take(found, parsed[found].dt.year, parsed[found].dt.month, parsed[found].dt.day)
        parts.rest = none.copy()
    else:
        with_zone = _take_iso_dates(raw, parts)
        decided = _take_field_dates(raw, parts, dayfirst=dayfirst)
        if decided is not None:
            order = "day/month/year" if decided.dayfirst else "month/day/year"
        else:
            decided = _FieldOrder(dayfirst=False)
        _take_excel_serials(raw, parts)
    values, outside, never = _assemble_dates(raw, parts, dayfirst=dayfirst)
    unreadable = values.isna() & ~empty & ~outside & ~never
    for refused in (decided.against_setting, decided.mixed_rows):
        if refused is not None:
            values = values.where(~refused)
            unreadable &= ~refused
    return DateReading(
        _normal(values), unreadable, outside, never, with_zone, order, **decided.reading_fields()
    )


def _factorized(text: pd.Series) -> tuple[np.ndarray, pd.Series | pd.Index]:
    """``pd.factorize(text)``: a code per cell and the distinct cells in order of appearance.

    Arrow-backed text is encoded by Arrow's dictionary kernel, as pandas does, but its codes
    are joined from the chunks once, as 32-bit integers: pandas joins the encoded chunks, then
    copies the codes twice more (to writable memory, to 64 bits), hundreds of megabytes of
    fresh memory on ten million cells for the same numbers. Anything else goes to pandas.
    """
    arrow = getattr(text.array, "_pa_array", None)
    if arrow is None or arrow.null_count:
        return pd.factorize(text)
    chunks = pc.dictionary_encode(arrow).chunks
    # Arrow encodes a column's chunks with one table, so they share one dictionary; should
    # it ever encode them apart, their codes would not agree, and pandas decides instead.
    if not chunks or any(len(chunk.dictionary) != len(chunks[0].dictionary) for chunk in chunks):
        return pd.factorize(text)
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in chunks])
    as_text = {pa.string(): text.dtype, pa.large_string(): text.dtype}.get
    return codes, chunks[0].dictionary.to_pandas(types_mapper=as_text)  # no copy of the text


def _read_datetimes(dates: pd.Series) -> DateReading:
    """A column that already holds dates (Parquet, Excel): kept, years outside the range refused."""
    none = pd.Series(False, index=dates.index)
    dates = dates.dt.tz_localize(None) if getattr(dates.dt, "tz", None) else dates
    outside = dates.notna() & ~dates.dt.year.between(FIRST_YEAR, LAST_YEAR)
    return DateReading(_normal(dates.where(~outside)), none, outside, none, none)


def _take_iso_dates(raw: pd.Series, parts: _DateParts) -> pd.Series:
    """Read ISO dates (``2024-03-05``, with time and zone); returns the cells with a time zone."""
    iso = raw.str.extract(f"^{_ISO}$")
    is_iso = iso["y"].notna() & parts.rest
    parts.take(
        is_iso,
        iso.loc[is_iso, "y"].astype(float),
        iso.loc[is_iso, "m"].astype(float),
        iso.loc[is_iso, "d"].astype(float),
    )
    return is_iso & iso["zone"].notna()


def _take_field_dates(raw: pd.Series, parts: _DateParts, *, dayfirst: bool | None) -> _FieldOrder | None:
    """Read slash, dot and dash dates in the order decided for the column; None when there are none."""
    fields = raw.str.extract(f"^{_FIELDS}$")
    is_fields = fields["a"].notna() & parts.rest
    if not is_fields.any():
        return None
    a = fields.loc[is_fields, "a"].astype(int)
    b = fields.loc[is_fields, "b"].astype(int)
    y = fields.loc[is_fields, "y"].astype(int)
    y = y.where(fields.loc[is_fields, "y"].str.len() == 4, np.where(y < 69, 2000 + y, 1900 + y))
    dotted = bool((fields.loc[is_fields, "sep"] == ".").all())
    decided = _field_order(
        a, b, raw[is_fields], pd.Series(False, index=raw.index), dotted=dotted, dayfirst=dayfirst
    )
    month, day = (b, a) if decided.dayfirst else (a, b)
    parts.take(is_fields, y.astype(float), month.astype(float), day.astype(float))
    return decided


def _field_order(
    a: pd.Series, b: pd.Series, shown: pd.Series, none: pd.Series, *, dotted: bool, dayfirst: bool | None
) -> _FieldOrder:
    """Decide day/month or month/day from the first (``a``) and second (``b``) fields of the dates.

    A setting decides first (dates against it are marked); else a field above 12 decides; both
    orders in one column are mixed (the minority marked); dots mean day first; else month first,
    ambiguous when some date reads differently either way.
    """
    day_first, month_first = (a > 12) & (b <= 12), (b > 12) & (a <= 12)
    if dayfirst is not None:
        wrong = month_first if dayfirst else day_first
        against = none.copy()
        against[wrong[wrong].index] = True
        return _FieldOrder(dayfirst=bool(dayfirst), against_setting=against)
    if day_first.any() and month_first.any():
        minority = day_first if day_first.sum() < month_first.sum() else month_first
        mixed_rows = none.copy()
        mixed_rows[minority[minority].index] = True
        return _FieldOrder(
            dayfirst=bool(day_first.sum() >= month_first.sum()),
            mixed=(str(shown[day_first].iloc[0]), str(shown[month_first].iloc[0])),
            mixed_rows=mixed_rows,
        )
    if day_first.any():
        return _FieldOrder(dayfirst=True, evidence=str(shown[day_first].iloc[-1]))
    if month_first.any():
        return _FieldOrder(dayfirst=False, evidence=str(shown[month_first].iloc[-1]))
    if dotted:
        return _FieldOrder(dayfirst=True, evidence=".")
    if not (a != b).any():
        return _FieldOrder(dayfirst=False)
    ambiguous_rows = none.copy()
    ambiguous_rows[(a != b)[a != b].index] = True
    return _FieldOrder(dayfirst=False, ambiguous=str(shown[a != b].iloc[0]), ambiguous_rows=ambiguous_rows)


def _take_excel_serials(raw: pd.Series, parts: _DateParts) -> None:
    """Read Excel serial day numbers (20000 to 80000: the years 1954 to 2119)."""
    serial = pd.to_numeric(raw.where(parts.rest), errors="coerce")
    is_serial = serial.between(20000, 80000) & parts.rest
    if is_serial.any():
        from_serial = EXCEL_EPOCH + pd.to_timedelta(serial[is_serial].round(), unit="D")
        parts.take(is_serial, from_serial.dt.year, from_serial.dt.month, from_serial.dt.day)


def _assemble_dates(
    raw: pd.Series, parts: _DateParts, *, dayfirst: bool | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The dates of the parts read, and of written-out dates left; with years out of range and 9999-12-31."""
    years, months, days, rest = parts.years, parts.months, parts.days, parts.rest
    never = (years == NEVER[0]) & (months == NEVER[1]) & (days == NEVER[2])
    plausible = months.between(1, 12) & days.between(1, 31)
    outside = years.notna() & ~years.between(FIRST_YEAR, LAST_YEAR) & plausible & ~never
    inside = years.notna() & ~outside & ~never
    found = pd.DataFrame({"year": years[inside], "month": months[inside], "day": days[inside]})
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if len(found):
        values[inside] = pd.to_datetime(found, errors="coerce")
    if rest.any():
        # Written-out dates ("5 March 2024", "Mar 5, 2024"): pandas reads them one by one.
        other = pd.to_datetime(raw[rest], format="mixed", dayfirst=bool(dayfirst), errors="coerce")
        in_range = other.notna() & other.dt.year.between(FIRST_YEAR, LAST_YEAR)
        outside[rest] = other.notna() & ~in_range
        values[rest] = _normal(other.where(in_range))
    return values, outside, never


def _spread(reading: DateReading, codes: np.ndarray, index: pd.Index) -> DateReading:
    """A reading of distinct values spread back over the rows they came from."""
    spread = {}
    for name, value in vars(reading).items():
        if isinstance(value, pd.Series) and value.dtype == bool and not value.any():
            # A mask marking no distinct value marks no row: zeroed memory, no gather (the usual
            # case of every mask on a clean export: a tenth of a second each on ten million rows).
            spread[name] = pd.Series(np.zeros(len(codes), dtype=bool), index=index, copy=False)
        elif isinstance(value, pd.Series):
            spread[name] = pd.Series(value.to_numpy()[codes], index=index, copy=False)  # a new array
        else:
            spread[name] = value
    return DateReading(**spread)


def _normal(dates: pd.Series) -> pd.Series:
    dates = pd.to_datetime(dates, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize().astype("datetime64[ns]")


def parse_dates(
    text: pd.Series, *, date_format: str | None = None, dayfirst: bool | None = None
) -> tuple[pd.Series, pd.Series]:
    """Dates and a mask of refused cells of a column (see :func:`read_dates`)."""
    reading = read_dates(text, date_format=date_format, dayfirst=dayfirst)
    refused = reading.unreadable | reading.out_of_range
    if reading.against_setting is not None:
        refused |= reading.against_setting
    return reading.values, refused


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        return values.fillna("").astype(str)
    return values.astype(str).where(values.notna(), "")
