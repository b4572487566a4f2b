"""Client-ready tables and numbers in words.

:func:`format_table` turns a DataFrame into a pandas ``Styler`` that reads well in a report:
money with the client's currency in a sensible unit ("€2.3m", "€240k", "€940": the house
rules never show 13,786,662; the workbook keeps every digit), percentages from fractions, numbers
right-aligned, no index, "n/a" where a value is missing, every cell and header escaped, a
caption. Numbers are written by :mod:`kamtools.formatting`, so a table and the sentence above it
write the same amount the same way ("Sales grew to €2.3m, 15% above plan").

Missing values are shown as "n/a" because the reader must see "not available", never "nan".
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from kamtools.formatting import NOT_AVAILABLE, currency_code, money_text, number_text, percent_text

DEFAULT_DECIMALS = {"percent": 1, "integer": 0, "number": 2}
"""Decimals per kind of column unless ``decimals`` names the column. Money has none: it is
written compact unless ``decimals`` names the column."""

_RIGHT = "text-align: right;"
PROSE_CLASS = "kam-prose"
PROSE_LENGTH = 40
"""Text columns with longer values than this wrap (reasons, notes); shorter ones do not."""


def format_table(
    data: pd.DataFrame,
    *,
    currency: str,
    money: Sequence[str] = (),
    percent: Sequence[str] = (),
    integer: Sequence[str] = (),
    decimals: Mapping[str, int] | None = None,
    caption: str | None = None,
    max_rows: int | None = None,
) -> Styler:
    """Format a table for the client report.

    Money columns read "€1.2m", "€240k", "€940" (EUR, GBP, USD; "1.2m CHF" for any other code),
    or every digit ("€1,234,567.40") when ``decimals`` names the column; percentage columns take
    fractions (0.153 → "15.3%"), integer columns get thousands separators; other numeric columns
    get thousands separators and two decimals, date columns ``YYYY-MM-DD``. Numeric columns and
    their headers are right-aligned, the index is hidden, missing values read "n/a", every cell
    and header is HTML-escaped, and the caption (escaped too) says when rows were left out.

    Parameters
    ----------
    data : pandas.DataFrame
        The table as it should read, columns in order. It is not modified.
    currency : str
        ISO 4217 code of the money columns.
    money, percent, integer : sequence of str
        Columns to format as money, percentage (from fractions) and whole numbers. A column
        may appear in one of them only.
    decimals : mapping of str to int, optional
        Decimals for named columns, overriding the defaults (percent 1, other 2); a money
        column named here is written in full with that many decimals instead of compact.
    caption : str, optional
        Plain-text caption. The report numbers tables itself ("Table 3: ...").
    max_rows : int, optional
        Show only the first ``max_rows`` rows; the caption then says "first N of M rows".

    Returns
    -------
    pandas.io.formats.style.Styler
        Render with ``.to_html()`` or let the notebook display it. Its table id is derived from
        the content, so the same table always renders the same HTML.

    Raises
    ------
    ValueError
        If a named column is not in ``data``, is named twice, or ``max_rows`` is below 1.
    TypeError
        If a money, percent or integer column is not numeric.
    """
    code = currency_code(currency)
    decimals = dict(decimals or {})
    kinds = _column_kinds(data, money=money, percent=percent, integer=integer, decimals=decimals)
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"format_table: max_rows must be at least 1, got {max_rows}")

    shown = data.head(max_rows).copy() if max_rows is not None else data.copy()
    text = _caption(caption, shown=len(shown), total=len(data))
    styler = Styler(
        shown,
        uuid=_stable_id(shown, code, kinds, decimals, text),
        cell_ids=False,
        na_rep=NOT_AVAILABLE,
        escape="html",
        table_attributes='class="kam-table"',
    )
    styler = styler.format_index(escape="html", axis=1, na_rep=NOT_AVAILABLE)
    formatters = {
        column: _formatter(kind, code=code, places=decimals.get(column, DEFAULT_DECIMALS.get(kind)))
        for column, kind in kinds.items()
    }
    if formatters:  # one call: a call per column costs a column selection each (reports show hundreds)
        styler = styler.format(formatters, subset=list(formatters), na_rep=NOT_AVAILABLE)
    right = [column for column, kind in kinds.items() if kind != "date"]
    if right:
        styler = styler.set_table_styles(
            {
                column: [{"selector": "td", "props": _RIGHT}, {"selector": "th", "props": _RIGHT}]
                for column in right
            },
            overwrite=False,
        )
    prose = [
        column
        for column in shown.columns
        if column not in kinds and shown[column].astype("str").str.len().max(skipna=True) > PROSE_LENGTH
    ]
    if prose:
        # Reasons and notes wrap in a readable width (report.css); other cells stay on one line.
        classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
        classes[prose] = PROSE_CLASS
        styler = styler.set_td_classes(classes)
    if text:
        styler = styler.set_caption(html.escape(text))
    return styler.hide(axis="index")


def _column_kinds(
    data: pd.DataFrame,
    *,
    money: Sequence[str],
    percent: Sequence[str],
    integer: Sequence[str],
    decimals: Mapping[str, int],
) -> dict[str, str]:
    """Kind of every column that is not plain text: money, percent, integer, number or date."""
    named: dict[str, str] = {}
    for kind, columns in (("money", money), ("percent", percent), ("integer", integer)):
        if isinstance(columns, str):
            raise TypeError(
                f"format_table: {kind} must be a sequence of column names, not the string {columns!r}"
            )
        for column in columns:
            if column in named:
                raise ValueError(
                    f"format_table: column {column!r} is listed as both {named[column]} and {kind}"
                )
            named[column] = kind
    missing = [column for column in [*named, *decimals] if column not in data.columns]
    if missing:
        raise ValueError(
            f"format_table: column(s) {', '.join(map(repr, missing))} not in the table "
            f"(columns: {', '.join(map(repr, data.columns))})"
        )
    kinds: dict[str, str] = {}
    for column in data.columns:
        dtype = data[column].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        if column in named:
            if not numeric:
                raise TypeError(
                    f"format_table: column {column!r} is formatted as {named[column]} "
                    f"but holds {dtype} values"
                )
            kinds[column] = named[column]
        elif numeric:
            kinds[column] = "integer" if pd.api.types.is_integer_dtype(dtype) else "number"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[column] = "date"
    return kinds


def _formatter(kind: str, *, code: str, places: int | None) -> Callable[[Any], str]:
    """Cell formatter for one kind of column (missing values never reach it: na_rep).

    ``places`` None means the kind's own form: compact for money, no decimals otherwise.
    """
    if kind == "money":
        if places is None:
            return lambda value: money_text(float(value), code)
        return lambda value: money_text(float(value), code, compact=False, places=places)
    places = places or 0
    if kind == "percent":
        return lambda value: percent_text(float(value), places)
    if kind == "date":
        return lambda value: value.strftime("%Y-%m-%d")
    return lambda value: number_text(float(value), places)


def _caption(caption: str | None, *, shown: int, total: int) -> str:
    if shown == total:
        return caption or ""
    note = f"first {shown:,} of {total:,} rows"
    return f"{caption} ({note})" if caption else note[0].upper() + note[1:]


def _stable_id(shown: pd.DataFrame, *parts: object) -> str:
    """A table id that depends only on content and options, so reports render reproducibly."""
    content = shown.to_json(orient="split", date_format="iso", default_handler=str)
    digest = hashlib.sha1((content + repr(parts)).encode("utf-8"), usedforsecurity=False)
    return "kam" + digest.hexdigest()[:10]


def findings_html(sentences: Sequence[str]) -> str:
    """Key findings as an HTML list; every sentence is escaped (it may quote client data)."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences if s)
    return f'<ul class="kam-findings">{items}</ul>' if items else ""


def notes_html(notes: Sequence[str]) -> str:
    """Warnings and notes as escaped paragraphs, for the report's running text."""
    return "".join(f'<p class="kam-note">{html.escape(n)}</p>' for n in notes if n)


@dataclass(frozen=True)
class Note:
    """A sentence shown where a table has no rows ("No overrides were made."), escaped."""

    text: str

    def _repr_html_(self) -> str:
        return notes_html([self.text])


def table_or_note(data: pd.DataFrame, *, empty_note: str, **options: Any) -> Styler | Note:
    """:func:`format_table` of ``data``, or ``empty_note`` when it has no rows.

    An empty table with only its header row tells the reader nothing; a sentence does.
    """
    if data.empty:
        return Note(empty_note)
    return format_table(data, **options)


def readable_columns(data: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The columns ``names`` lists, in its order, renamed to the words a reader sees.

    ``names`` maps a column of ``data`` to its header in the report ("sales_change" to "sales
    change"); ``data`` is not changed (a new frame with the same index).
    """
    return data.loc[:, list(names)].rename(columns=dict(names))


def typed_columns(data: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """A workbook table from ``data``: each output column from a column of ``data``, cast.

    ``columns`` maps an output name to ``(column of data, dtype)``, in output order, e.g.
    ``{"margin": ("margin_pct", "float64")}``; the result has a fresh 0..n-1 index and ``data``
    is not changed.
    """
    return pd.DataFrame(
        {name: data[source].astype(dtype) for name, (source, dtype) in columns.items()}
    ).reset_index(drop=True)
