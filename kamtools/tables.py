"""Client-ready tables and numbers in words.

:func:`format_table` turns a DataFrame into a :class:`ReportTable` that reads well in a report:
money with the client's currency in a sensible unit ("€2.3m", "€240k", "€940": the house
rules never show 13,786,662; the workbook keeps every digit), percentages from fractions, numbers
right-aligned, no index, "n/a" where a value is missing, every cell and header escaped, a
caption. Numbers are written by :mod:`kamtools.formatting`, so a table and the sentence above it
write the same amount the same way ("Sales grew to €2.3m, 15% above plan").

The table writes its own HTML, column by column, instead of going through pandas' ``Styler``
and its jinja2 template: a report shows hundreds of small tables (the plan, one set per
account) and the Styler spent about nine tenths of each table's cost on its generic machinery.

Missing values are shown as "n/a" because the reader must see "not available", never "nan".
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kamtools.formatting import NOT_AVAILABLE, currency_code, money_text, number_text, percent_text

DEFAULT_DECIMALS = {"percent": 1, "integer": 0, "number": 2}
"""Decimals per kind of column unless ``decimals`` names the column. Money has none: it is
written compact unless ``decimals`` names the column."""

NUMBER_CLASS = "kam-num"
"""Class of the header and cells of a numeric column: right-aligned (report.css)."""
PROSE_CLASS = "kam-prose"
PROSE_LENGTH = 40
"""Text columns with longer values than this wrap (reasons, notes); shorter ones do not."""
TEXT_FLOAT_DECIMALS = 6
"""Decimals of a float found in a text column (an object column of mixed values): as pandas
writes it by default (``styler.format.precision``), so such cells read as they always have."""


@dataclass(frozen=True, eq=False)
class ReportTable:
    """A table formatted for the client report, as plain texts that :meth:`to_html` escapes.

    Built by :func:`format_table`; the notebook's ``display()`` shows it as HTML.

    Attributes
    ----------
    caption : str
        Plain-text caption ("" for none).
    headers : tuple of str
        Column headers as the reader sees them, in order.
    columns : tuple of tuple of str
        The cell texts, one tuple per column, top row first.
    numeric : tuple of bool
        Per column: right-aligned (a number), header included.
    prose : tuple of bool
        Per column: long text that wraps in a readable width.
    """

    caption: str
    headers: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    prose: tuple[bool, ...]

    @property
    def rows(self) -> int:
        """Number of body rows."""
        return len(self.columns[0]) if self.columns else 0

    def to_html(self) -> str:
        """The table as HTML: ``<table class="kam-table">`` with an id taken from its content.

        Every text is escaped (``&``, ``<``, ``>``: the form the report page writes text in,
        so :func:`set_aside_table_bodies` can hand the body back unchanged). Numeric headers
        and cells carry :data:`NUMBER_CLASS`, cells of prose columns :data:`PROSE_CLASS`; the
        report's stylesheet aligns and wraps them. The same table always gives the same HTML
        (the id is a hash of the rest).
        """
        tags = [
            _cell_tag("td", (NUMBER_CLASS if numeric else "") or (PROSE_CLASS if prose else ""))
            for numeric, prose in zip(self.numeric, self.prose, strict=True)
        ]
        header = "".join(
            f"{_cell_tag('th', NUMBER_CLASS if numeric else '')}{_escaped(text)}</th>"
            for text, numeric in zip(self.headers, self.numeric, strict=True)
        )
        cells = [
            [f"{tag}{_escaped(text)}</td>" for text in column]
            for tag, column in zip(tags, self.columns, strict=True)
        ]
        body = "".join(f"<tr>{''.join(row)}</tr>\n" for row in zip(*cells, strict=True))
        caption = f"<caption>{_escaped(self.caption)}</caption>\n" if self.caption else ""
        inner = f"{caption}<thead>\n<tr>{header}</tr>\n</thead>\n<tbody>\n{body}</tbody>\n"
        digest = hashlib.sha1(inner.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
        return f'<table id="kam{digest}" class="kam-table">\n{inner}</table>\n'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        # The notebook stores this next to the HTML: short, and the same in every run.
        return f"<ReportTable {self.caption!r}: {self.rows} rows, {len(self.headers)} columns>"


def _escaped(text: str) -> str:
    """``text`` safe as element content; quotes stay (they need no escaping outside attributes)."""
    return html.escape(text, quote=False)


def _cell_tag(name: str, css_class: str) -> str:
    return f'<{name} class="{css_class}">' if css_class else f"<{name}>"


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
) -> ReportTable:
    """Format a table for the client report.

    Money columns read "€1.2m", "€240k", "€940" (EUR, GBP, USD; "1.2m CHF" for any other code),
    or every digit ("€1,234,567.40") when ``decimals`` names the column; percentage columns take
    fractions (0.153 → "15.3%"), integer columns get thousands separators; other numeric columns
    get thousands separators and two decimals, date columns ``YYYY-MM-DD``. Numeric columns and
    their headers are right-aligned, the index is hidden, missing values read "n/a", every cell
    and header is HTML-escaped, and the caption (escaped too) says when rows were left out. Text
    columns with a value longer than :data:`PROSE_LENGTH` characters wrap.

    Parameters
    ----------
    data : pandas.DataFrame
        The table as it should read, columns in order (single-level, unique names). It is not
        modified.
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
    ReportTable
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

    shown = data.head(max_rows) if max_rows is not None else data
    # One conversion of the whole frame: a column taken out one at a time costs more than
    # writing its cells.
    values = shown.to_numpy(dtype=object).T.tolist()
    columns, prose = [], []
    for name, column in zip(shown.columns, values, strict=True):
        kind = kinds.get(name)
        if kind is None:
            columns.append(_text_cells(column))
            prose.append(_longest_text(column) > PROSE_LENGTH)
        else:
            places = decimals.get(name, DEFAULT_DECIMALS.get(kind))
            columns.append(_cells(column, _formatter(kind, code=code, places=places)))
            prose.append(False)
    return ReportTable(
        caption=_caption(caption, shown=len(shown), total=len(data)),
        headers=tuple(_text_cells(list(shown.columns))),
        columns=tuple(columns),
        numeric=tuple(kinds.get(name) not in (None, "date") for name in shown.columns),
        prose=tuple(prose),
    )


_TABLE_BODY = re.compile(
    r'(<table id="kam[0-9a-f]{10}" class="kam-table">\n(?:<caption>[^<]*</caption>\n)?)'
    r"(<thead>\n.*?</tbody>\n)(?=</table>)",
    flags=re.DOTALL,
)
"""The body of a table :meth:`ReportTable.to_html` wrote (its texts hold no ``<``)."""


def set_aside_table_bodies(markup: str, *, marker: str, first: int = 0) -> tuple[str, list[str]]:
    """``markup`` with the header and rows of each report table replaced by a comment.

    A report page is parsed to number its tables and to index its headings; the rows of a
    few hundred tables are most of its tags and need neither. The table element keeps its
    id and caption (numbered as before); :func:`restore_table_bodies` puts the rows back in
    the written page. Since :meth:`ReportTable.to_html` writes exactly what the parsed page
    would write back, the page is the same to the byte.

    Parameters
    ----------
    markup : str
        HTML of one output, with tables written by :meth:`ReportTable.to_html`.
    marker : str
        Start of the comments (``<!--{marker}{number}-->``); a word the page does not
        otherwise hold.
    first : int
        Number of the first body set aside here (the bodies of earlier outputs come before).

    Returns
    -------
    tuple of (str, list of str)
        The markup with comments, and the bodies set aside, in order.
    """
    bodies: list[str] = []

    def comment(match: re.Match[str]) -> str:
        bodies.append(match.group(2))
        return f"{match.group(1)}<!--{marker}{first + len(bodies) - 1}-->"

    return _TABLE_BODY.sub(comment, markup), bodies


def restore_table_bodies(page: str, bodies: Sequence[str], *, marker: str) -> str:
    """The page with every comment of :func:`set_aside_table_bodies` replaced by its body.

    Raises
    ------
    RuntimeError
        If a comment is missing or repeated: a table would lose its rows.
    """
    found: list[int] = []

    def body(match: re.Match[str]) -> str:
        found.append(int(match.group(1)))
        return bodies[found[-1]]

    restored = re.sub(rf"<!--{re.escape(marker)}(\d+)-->", body, page)
    if sorted(found) != list(range(len(bodies))):
        raise RuntimeError(f"report page: table bodies {found} found, 0 to {len(bodies) - 1} set aside")
    return restored


def _is_missing(value: object) -> bool:
    """Missing as pandas sees it (None, NaN, NA, NaT); a list or array in a cell is not."""
    return pd.isna(value) is True


def _cells(column: list[Any], formatter: Callable[[Any], str]) -> tuple[str, ...]:
    """The texts of a numeric or date column: ``formatter`` of each value, "n/a" if missing."""
    return tuple(NOT_AVAILABLE if _is_missing(value) else formatter(value) for value in column)


def _text_cells(column: list[Any]) -> tuple[str, ...]:
    """The texts of a text column (or of the headers): strings as they are, "n/a" if missing.

    Anything else in a text column is written as pandas writes it by default (integers as
    they are, floats with :data:`TEXT_FLOAT_DECIMALS` decimals, other objects by ``str``).
    """
    return tuple(
        value if isinstance(value, str) else NOT_AVAILABLE if _is_missing(value) else _other_text(value)
        for value in column
    )


def _other_text(value: object) -> str:
    if pd.api.types.is_float(value) or pd.api.types.is_complex(value):
        return f"{value:.{TEXT_FLOAT_DECIMALS}f}"
    return str(value)


def _longest_text(column: list[Any]) -> int:
    """Length of the longest value of a text column as text (missing values have none)."""
    return max((len(str(value)) for value in column if not _is_missing(value)), default=0)


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
    for column, dtype in data.dtypes.items():  # one Series of dtypes: a column each costs more
        own = _dtype_kind(dtype)
        if column in named:
            if own in (None, "date"):
                raise TypeError(
                    f"format_table: column {column!r} is formatted as {named[column]} "
                    f"but holds {dtype} values"
                )
            kinds[column] = named[column]
        elif own is not None:
            kinds[column] = own
    return kinds


@functools.lru_cache(maxsize=64)
def _dtype_kind(dtype: Any) -> str | None:
    """ "integer", "number" (any other number), "date" or None (text) for a column's dtype.

    Cached: a report asks for the same few dtypes a thousand times, and each of pandas' dtype
    tests looks the dtype up again. Booleans are text ("True"), not numbers.
    """
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return "integer" if pd.api.types.is_integer_dtype(dtype) else "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return None


def _formatter(kind: str, *, code: str, places: int | None) -> Callable[[Any], str]:
    """Cell formatter for one kind of column (missing values never reach it).

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


@dataclass(frozen=True)
class WorkshopTableStyle:
    """The report tables' alignment inside JupyterLab, displayed once by a notebook in workshop mode.

    JupyterLab right-aligns every table cell, so in the room a sentence (a lesson, a reason)
    stood flush right under its heading. The report's own style sheet (report.css) aligns text
    left and money right (``kam-num``); these rules do the same in the notebook, and only for
    tables of class ``kam-table``. A rendered report never shows this: its notebooks display it
    only when they run without a run folder.
    """

    def _repr_html_(self) -> str:
        table = ".jp-RenderedHTMLCommon table.kam-table"
        return (
            f"<style>{table} th, {table} td {{ text-align: left; vertical-align: top; }}"
            f" {table} th.kam-num, {table} td.kam-num {{ text-align: right; }}</style>"
        )


def table_or_note(data: pd.DataFrame, *, empty_note: str, **options: Any) -> ReportTable | Note:
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
