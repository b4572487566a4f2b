"""The one place kamtools runs SQL over its frames: DuckDB, in process, on Arrow data.

Analysis functions keep their pandas interface; where a computation is a large group-by over
invoice lines (millions of rows, tens of thousands of customers) they hand Arrow views of their
columns to :func:`query` and get a pandas frame back. DuckDB scans the Arrow buffers without
copying them and aggregates on all cores, which is what makes a 10-million-line screening take
seconds within a bounded memory (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_column(values: pd.Series | Any) -> pa.Array | pa.ChunkedArray:
    """An Arrow view of a column: zero-copy for numbers and Arrow-backed text, NaN as null.

    Parameters
    ----------
    values : pandas.Series or array-like
        One column of a frame; object columns of text are converted once.

    Returns
    -------
    pyarrow.Array or pyarrow.ChunkedArray
    """
    if isinstance(values, pd.Series):
        array = values.array
        arrow = getattr(array, "_pa_array", None)  # Arrow-backed text (pandas "str" dtype)
        if arrow is not None:
            return arrow
        values = values.to_numpy()
    return pa.array(values, from_pandas=True)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow text behind an Arrow-backed text column (pandas "str"), else None."""
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is None or not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    return arrow


def exact_decimal(*amounts: pd.Series | np.ndarray) -> str:
    """The SQL type amounts are summed in exactly: to a millionth, as narrow as they allow.

    DuckDB sums ``DECIMAL(18, 6)`` (64-bit) about a fifth faster than ``DECIMAL(38, 6)``
    (128-bit) and both sums are exact (into 128 bits), so the result is the same; the narrow
    type holds amounts below 10^12 in magnitude, the wide one any up to 10^32.

    Parameters
    ----------
    *amounts : pandas.Series or numpy.ndarray
        The float columns that will be cast (missing values are ignored).

    Returns
    -------
    str
        "DECIMAL(18, 6)" or "DECIMAL(38, 6)".
    """
    largest = 0.0
    for values in amounts:
        array = np.asarray(values, dtype="float64")
        # The largest and smallest value, NaN left out, without a temporary array of magnitudes.
        largest = max(largest, np.fmax.reduce(array, initial=-np.inf), -np.fmin.reduce(array, initial=np.inf))
    return "DECIMAL(18, 6)" if largest < 1e11 else "DECIMAL(38, 6)"


def date_column(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """An Arrow timestamp view of a date column; a zone-aware date keeps its calendar day.

    Parameters
    ----------
    values : pandas.Series
        Dates (datetime64, or anything :func:`pandas.to_datetime` reads).

    Returns
    -------
    pyarrow.Array or pyarrow.ChunkedArray
        Naive timestamps (the time of day, if any, kept: SQL drops it with ``CAST AS DATE``).
    """
    if not pd.api.types.is_datetime64_any_dtype(values) or getattr(values.dt, "tz", None) is not None:
        values = pd.to_datetime(values)
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.normalize().dt.tz_localize(None)
    return arrow_column(values)


def sales_lines(sales: pd.DataFrame) -> dict[str, pa.Array | pa.ChunkedArray]:
    """The invoice lines' customer, date and amount as Arrow views, for SQL over the lines.

    Parameters
    ----------
    sales : pandas.DataFrame
        The sales table: ``customer_id``, ``invoice_date``, ``net_sales``.

    Returns
    -------
    dict
        ``customer_id`` (text), ``ts`` (naive timestamps, see :func:`date_column`) and
        ``amount`` (float64, missing as null).
    """
    return {
        "customer_id": arrow_column(sales["customer_id"].astype("str")),
        "ts": date_column(sales["invoice_date"]),
        "amount": arrow_column(sales["net_sales"].astype("float64")),
    }


# First or last bytes that may be whitespace for str.strip (Python's and Arrow's): the ASCII
# spaces, tabs, line breaks and separators, and any non-ASCII byte (NBSP, ideographic space...).
_MAY_BE_SPACE = np.zeros(256, dtype=bool)
_MAY_BE_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_MAY_BE_SPACE[128:] = True


def is_trimmed(values: pd.Series) -> bool:
    """Whether ``values.str.strip()`` would change nothing: no cell starts or ends with a space.

    Read from the first and last byte of each cell of an Arrow-backed text column, without
    copying the text: on millions of cells a fraction of the time of stripping them. A cell
    whose first or last byte is not ASCII counts as padded (it may be a Unicode space). The
    answer is remembered for as long as the Arrow array lives: the intake asks it of the same
    columns many times (spaces, blank cells, conversion, duplicates), and Arrow data never
    changes once written.

    Parameters
    ----------
    values : pandas.Series
        Any column; only Arrow-backed text (pandas' "str") can be found trimmed.

    Returns
    -------
    bool
        True when stripping is known to change nothing; False when it may.
    """
    arrow = _arrow_text(values)
    if arrow is None:
        return False
    known = _TRIMMED.get(id(arrow))
    if known is not None and known[0]() is arrow:
        return known[1]
    trimmed = _chunks_trimmed(arrow)
    key = id(arrow)

    def forget(ref: weakref.ref) -> None:
        # Called as the array is freed, before its id can be reused by another object.
        if _TRIMMED.get(key, (None,))[0] is ref:
            del _TRIMMED[key]

    _TRIMMED[key] = (weakref.ref(arrow, forget), trimmed)
    return trimmed


_TRIMMED: dict[int, tuple[weakref.ref, bool]] = {}
"""What :func:`is_trimmed` found, by the id of the living Arrow array it read."""


def cell_offsets(chunk: pa.Array) -> np.ndarray:
    """Where each cell of a chunk of Arrow text starts in its data, and where the last one ends.

    A NumPy view of the chunk's offsets buffer (no copy), ``len(chunk) + 1`` of them: cell
    ``i`` is bytes ``offsets[i]:offsets[i + 1]``, so equal neighbours mark an empty cell.
    """
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(chunk.buffers()[1], dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]


def has_empty_cell(chunk: pa.Array) -> bool:
    """Whether a chunk of Arrow text holds an empty cell: two equal neighbouring offsets.

    Read from the offsets in place, for the common answer "no" at a fraction of the cost of
    string kernels over every cell (lengths, comparisons, masks).
    """
    if not len(chunk):
        return False
    offsets = cell_offsets(chunk)
    return bool((offsets[1:] == offsets[:-1]).any())


def no_blank_cell(values: pd.Series) -> bool:
    """Whether no cell of a column is missing, empty or only spaces, read from its buffers.

    True only for Arrow-backed text (pandas' "str") without a missing value, trimmed
    (:func:`is_trimmed`) and without an empty cell (:func:`has_empty_cell`): then
    ``values.fillna("").str.strip() == ""`` holds nowhere, known without comparing a cell.
    """
    arrow = _arrow_text(values)
    if arrow is None or arrow.null_count or not is_trimmed(values):
        return False
    return not any(has_empty_cell(chunk) for chunk in arrow.chunks)


def _chunks_trimmed(arrow: pa.ChunkedArray) -> bool:
    """:func:`is_trimmed` of Arrow text, read chunk by chunk from its buffers."""
    for chunk in arrow.chunks:
        data_buffer = chunk.buffers()[2]
        if len(chunk) == 0 or data_buffer is None:
            continue
        offsets = cell_offsets(chunk)
        data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if not len(data) or _no_space_byte(data):
            continue
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        # An empty cell reads a neighbour's byte instead: at worst a false "may be padded".
        first = data.take(offsets[:-1], mode="clip")
        last = data.take(offsets[1:] - 1, mode="clip")
        if _MAY_BE_SPACE[first].any() or _MAY_BE_SPACE[last].any():
            return False
    return True


def _no_space_byte(data: np.ndarray) -> bool:
    """Whether no byte of ``data`` may be whitespace: all printable ASCII other than the space.

    Two reductions over the bytes (vectorised, no temporary) decide most columns of an export
    (dates, numbers, ids hold no space at all), where gathering each cell's first and last
    byte takes several times as long and allocates arrays as long as the column. Every byte
    :data:`_MAY_BE_SPACE` marks is at most 32 or at least 128.
    """
    return bool(data.min() > 32 and data.max() < 128)


def strip_text(values: pd.Series) -> pd.Series:
    """``values.str.strip()``, or ``values`` itself when no cell has spaces around it.

    Parameters
    ----------
    values : pandas.Series
        Text (as :func:`is_trimmed` reads it; anything else is stripped by pandas).

    Returns
    -------
    pandas.Series
        The stripped text; the same object when there was nothing to strip.
    """
    return values if is_trimmed(values) else values.str.strip()


def may_end_with(text: pd.Series, suffix: str) -> bool:
    """Whether any cell may end with ``suffix``: a plain search, to spare a regex that cannot match.

    Searched in place in Arrow-backed text (a tenth of the time of a regex over millions of
    ids); anything else may, and is left to the regex.

    Parameters
    ----------
    text : pandas.Series
        Text cells (missing values never match).
    suffix : str
        What a cell would end with.

    Returns
    -------
    bool
        False only when no cell ends with ``suffix``.
    """
    arrow = _arrow_text(text)
    if arrow is None:
        return True
    return bool(pc.any(pc.ends_with(arrow, suffix)).as_py())


def _used(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` mentions (DuckDB refuses any it does not)."""
    return {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)}


def query(
    sql: str | Sequence[str],
    tables: Mapping[str, pa.Table],
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> pd.DataFrame | list[pd.DataFrame]:
    """Run SQL over Arrow tables and return the result as a pandas frame.

    Parameters
    ----------
    sql : str or sequence of str
        DuckDB SQL; the tables are visible by their names in ``tables``, parameters as
        ``$name``. Several queries run on one connection, over the same registered tables.
    tables : mapping of str to pyarrow.Table
        The inputs, registered for these queries only (a fresh in-memory connection).
    params : mapping, or a sequence of mappings (one per query), optional
        Named query parameters; a query uses only the names it mentions.

    Returns
    -------
    pandas.DataFrame, or a list of them for a sequence of queries
        Each result with NumPy dtypes (DuckDB's own conversion).
    """
    import duckdb

    queries = [sql] if isinstance(sql, str) else list(sql)
    if params is None or isinstance(params, Mapping):
        per_query = [dict(params or {})] * len(queries)
    else:
        per_query = [dict(p) for p in params]
    connection = duckdb.connect()
    try:
        for name, table in tables.items():
            connection.register(name, table)
        results = [connection.execute(q, _used(q, p)).df() for q, p in zip(queries, per_query, strict=True)]
    finally:
        connection.close()
    return results[0] if isinstance(sql, str) else results


def _hash_input(values: pd.Series, *, strip: bool) -> pa.Array | pa.ChunkedArray:
    """A column as hashed for duplicates: text stripped as ``str.strip`` does, -0.0 as 0.0."""
    if strip:
        arrow = _arrow_text(values)
        if arrow is not None:
            filled = pc.fill_null(arrow, "") if arrow.null_count else arrow
            return filled if is_trimmed(values) else pc.utf8_trim_whitespace(filled)
        return arrow_column(values.fillna("").astype(str).str.strip())
    if pd.api.types.is_float_dtype(values):
        values = values + 0.0  # -0.0 and 0.0 are the same value for pandas
    return arrow_column(values)


def row_hashes(
    frame: pd.DataFrame, *, strip: Sequence[str] = (), threads: int | None = None
) -> np.ndarray | None:
    """A 64-bit hash of every row over all its columns, ``strip`` columns stripped.

    Equal rows (as :func:`duplicated_rows` compares them) have equal hashes. Text columns whose
    cells have one length (ids, ISO dates) are hashed by :func:`fixed_width_hashes` from their
    buffers, every other column by DuckDB's ``hash`` (in parallel); the two are mixed per row.
    Safe to run on a thread beside other work: NumPy and DuckDB release the GIL while they hash.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to hash, every column counted.
    strip : sequence of str
        Text columns hashed without surrounding whitespace (missing values as "").
    threads : int, optional
        DuckDB's threads (default: one per core).

    Returns
    -------
    numpy.ndarray or None
        One unsigned 64-bit hash per row; None when a column mixes types Arrow cannot hold
        (pandas then compares the rows itself).
    """
    strip = set(strip)
    try:
        columns = [_hash_input(frame[name], strip=name in strip) for name in frame.columns]
        widths = {at: _fixed_widths(column) for at, column in enumerate(columns)}
        by_buffers = [at for at, found in widths.items() if found is not None]
        by_duckdb = pa.table({f"c{at}": column for at, column in enumerate(columns) if widths[at] is None})
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None  # mixed types in one column
    if not by_buffers:
        return _duckdb_hashes(by_duckdb, threads=threads)  # DuckDB's own hash of the rows
    hashes = (
        _duckdb_hashes(by_duckdb, threads=threads)
        if by_duckdb.num_columns
        else np.zeros(len(frame), np.uint64)
    )
    for at in by_buffers:  # in column order: rows with two values swapped hash apart
        _mix_fixed_width(columns[at], widths[at], hashes)
    return _avalanche(hashes)


def _duckdb_hashes(table: pa.Table, *, threads: int | None) -> np.ndarray:
    """DuckDB's ``hash`` of each row of ``table`` over all its columns, as unsigned 64-bit."""
    import duckdb

    connection = duckdb.connect(config={"threads": threads} if threads else {})
    try:
        connection.register("rows", table)
        names = ", ".join(table.column_names)
        return connection.execute(f"SELECT hash({names}) AS h FROM rows").fetchnumpy()["h"]
    finally:
        connection.close()


_MIX = np.uint64(0x9E3779B97F4A7C15)
"""An odd multiplier with bits spread over the word (the golden ratio's), for mixing hashes."""

_LONGEST_FIXED_CELL = 32
"""The longest cell :func:`fixed_width_hashes` reads (four words); longer text goes to DuckDB."""


def fixed_width_hashes(arrow: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """A 64-bit hash of each cell of Arrow text whose cells have one length per chunk; else None.

    Ids and ISO dates of an export usually have one width. Such a cell of ``w`` bytes is read
    in place as one to four unaligned 64-bit words, at a stride of ``w`` bytes through the
    data buffer: NumPy hashes ten million of them in a few hundredths of a second, where a
    string hash takes a few tenths. The hash depends on the cell's bytes alone (not on its
    chunk or position), so equal cells hash equal; a chunk with cells of two lengths, a
    missing value, a cell longer than 32 bytes or anything but text gives None.

    Parameters
    ----------
    arrow : pyarrow.Array or pyarrow.ChunkedArray
        One column, as :func:`row_hashes` hashes it (already stripped where it strips).

    Returns
    -------
    numpy.ndarray or None
        One unsigned 64-bit value per cell (before :func:`row_hashes` mixes the row's columns).
    """
    widths = _fixed_widths(arrow)
    if widths is None:
        return None
    hashes = np.zeros(len(arrow), dtype=np.uint64)
    _mix_fixed_width(arrow, widths, hashes)
    return hashes


def _fixed_widths(arrow: pa.Array | pa.ChunkedArray) -> list[int] | None:
    """Each chunk's one cell length, for text :func:`fixed_width_hashes` reads; else None."""
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)) or arrow.null_count:
        return None
    widths = []
    for chunk in arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]:
        if not len(chunk):
            widths.append(0)
            continue
        offsets = cell_offsets(chunk)
        width = int(offsets[1] - offsets[0])
        if width > _LONGEST_FIXED_CELL or int(offsets[-1] - offsets[0]) != len(chunk) * width:
            return None
        if len(chunk) > 1 and not (np.diff(offsets) == width).all():
            return None
        widths.append(width)
    return widths


def _mix_fixed_width(arrow: pa.Array | pa.ChunkedArray, widths: list[int], hashes: np.ndarray) -> None:
    """Mix each cell's bytes into its row's hash, in place; ``widths`` as :func:`_fixed_widths` found.

    The words go straight into ``hashes``: no array per column, nor per chunk, is allocated.
    """
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    row = 0
    with np.errstate(over="ignore"):
        for chunk, width in zip(chunks, widths, strict=True):
            count = len(chunk)
            mixed = hashes[row : row + count]
            row += count
            mixed ^= np.uint64(width + 1)  # "ab" and "ab\0" read as the same short word
            mixed *= _MIX
            for word in _cell_words(chunk, width):
                mixed ^= word
                mixed *= _MIX


def _cell_words(chunk: pa.Array, width: int) -> Iterator[np.ndarray]:
    """The 64-bit words covering each cell of a chunk of one cell width, read in place."""
    count = len(chunk)
    if not count or not width:
        return
    start = int(cell_offsets(chunk)[0])
    if width >= 8:
        # Words at 0, 8, 16... and one ending at the cell's end: they cover every byte, and
        # none reads past the cell, so none reads past the buffer.
        for at in [*range(0, width - 8, 8), width - 8]:
            yield np.ndarray(
                (count,), dtype="<u8", buffer=chunk.buffers()[2], offset=start + at, strides=(width,)
            )
        return
    # A short cell's word would run into the next cells (and past the last one): read from a
    # copy with room after the last cell, and keep only the cell's own bytes.
    size = count * width
    copy = np.zeros(size + 8, dtype=np.uint8)
    copy[:size] = np.frombuffer(chunk.buffers()[2], dtype=np.uint8, count=size, offset=start)
    word = np.ndarray((count,), dtype="<u8", buffer=copy, offset=0, strides=(width,))
    yield word & np.uint64((1 << (8 * width)) - 1)


def _avalanche(hashes: np.ndarray) -> np.ndarray:
    """``hashes`` with every bit depending on every other (MurmurHash3's 64-bit finaliser), in place.

    The repeat search (:func:`repeated_values`) counts the top, middle and bottom bits of the
    hashes; the multiply-and-xor mixing of :func:`row_hashes` alone leaves its low bits weak.
    """
    with np.errstate(over="ignore"):
        hashes ^= hashes >> np.uint64(33)
        hashes *= np.uint64(0xFF51AFD7ED558CCD)
        hashes ^= hashes >> np.uint64(33)
        hashes *= np.uint64(0xC4CEB9FE1A85EC53)
        hashes ^= hashes >> np.uint64(33)
    return hashes


def repeated_rows(
    frame: pd.DataFrame, *, strip: Sequence[str] = (), threads: int | None = None
) -> np.ndarray | None:
    """The rows whose hash (:func:`row_hashes`) repeats: the only rows that can be duplicates.

    Both steps release the GIL for most of their time, so the whole search runs on a thread
    beside the conversion of the columns (:func:`kamtools.source_rows.hash_rows_ahead`).

    Parameters
    ----------
    frame, strip, threads
        As :func:`row_hashes` takes them.

    Returns
    -------
    numpy.ndarray or None
        Boolean, one per row; None when the rows cannot be hashed (see :func:`row_hashes`).
    """
    hashes = row_hashes(frame, strip=strip, threads=threads)
    return None if hashes is None else repeated_values(hashes)


def duplicated_rows(
    frame: pd.DataFrame, *, strip: Sequence[str] = (), candidates: np.ndarray | None = None
) -> pd.Series:
    """``frame.duplicated(keep="first")`` with the ``strip`` columns compared stripped, fast.

    Every row is hashed once (:func:`row_hashes`); only rows whose hash repeats can be
    duplicates, and pandas compares those exactly, so the result is the same as pandas' own on
    the whole frame, in a fraction of the time on millions of rows.

    Parameters
    ----------
    frame, strip
        The rows, and the text columns compared stripped, as :func:`row_hashes` takes them.
    candidates : numpy.ndarray, optional
        Boolean, one per row: ``repeated_rows(frame, strip=strip)`` when already found (e.g.
        ahead, on a thread), or any mask holding at least those rows (e.g. found over more
        rows than ``frame``: a row repeating another in ``frame`` repeats it there too).

    Returns
    -------
    pandas.Series
        Boolean, on ``frame``'s index: True for a row equal to an earlier one.
    """
    strip = set(strip)

    def exact(rows: pd.DataFrame) -> pd.Series:
        stripped = {c: rows[c].fillna("").astype(str).str.strip() for c in rows.columns if c in strip}
        return rows.assign(**stripped).duplicated(keep="first")

    if len(frame) < 2 or frame.shape[1] == 0:
        return exact(frame)
    if candidates is None:
        candidates = repeated_rows(frame, strip=strip)
    if candidates is None:
        return exact(frame)
    duplicated = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        duplicated[candidates] = exact(frame[candidates]).to_numpy()
    return pd.Series(duplicated, index=frame.index, copy=False)


def in_background(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``function(*args, **kwargs)`` started on a thread of its own; its future.

    For work that releases the GIL (DuckDB, hashing a file) beside the single-threaded pandas
    work of the main thread: on two cores the second one is otherwise idle. A thread per call,
    not a pool kept between calls, so a process forked later (the stage processes) inherits no
    idle worker; callers wait for the future before they return, so no thread outlives them.

    Returns
    -------
    concurrent.futures.Future
        Its result, or the exception it raised, once done.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kamtools")
    try:
        return executor.submit(function, *args, **kwargs)
    finally:
        executor.shutdown(wait=False)  # the thread ends with its one task


def repeated_values(hashes: np.ndarray, *, bits: int = 24) -> np.ndarray:
    """``pd.Series(hashes).duplicated(keep=False)``: which values occur more than once, fast.

    On ten million row hashes pandas' hash table takes seconds. Counting the hashes by
    ``bits`` of their bits (``np.bincount``, one linear pass) drops every hash alone in its
    bucket; up to three such rounds, each on other bits, leave about a million of ten million
    unique hashes (two rounds), and pandas decides among those in a few hundredths of a second.
    A repeated hash shares its bucket in every round, so it is never dropped: the result is
    exactly pandas'.

    Parameters
    ----------
    hashes : numpy.ndarray
        Unsigned 64-bit hashes (e.g. DuckDB's ``hash`` of each row).
    bits : int
        Bits of the hash counted per round (``2 ** bits`` counters).

    Returns
    -------
    numpy.ndarray
        Boolean, True for a value that occurs more than once.
    """
    hashes = np.asarray(hashes, dtype=np.uint64)
    survivors: np.ndarray | None = None  # None: every row (no index array for the first round)
    mask = np.uint64((1 << bits) - 1)
    # One buffer for every round's bucket numbers: fresh memory is slow to come by (the kernel
    # zeroes every page), about half of this search's time on a 10-million-line file.
    buckets = np.empty(len(hashes), dtype=np.uint64)
    for shift in (64 - bits, (64 - bits) // 2, 0):
        left = len(hashes) if survivors is None else len(survivors)
        if left < (1 << bits) // 8:
            break  # few enough for pandas' hash table (a few hundredths of a second)
        key = buckets[:left]
        if survivors is None:
            np.right_shift(hashes, np.uint64(shift), out=key)
        else:
            np.take(hashes, survivors, out=key)
            np.right_shift(key, np.uint64(shift), out=key)
        np.bitwise_and(key, mask, out=key)
        key = key.view(np.intp)  # below 2 ** bits: the same numbers
        shared = (np.bincount(key, minlength=1 << bits) > 1)[key]
        survivors = np.flatnonzero(shared) if survivors is None else survivors[shared]
    if survivors is None:
        return pd.Series(hashes).duplicated(keep=False).to_numpy()
    repeated = np.zeros(len(hashes), dtype=bool)
    if len(survivors):
        repeated[survivors] = pd.Series(hashes[survivors]).duplicated(keep=False).to_numpy()
    return repeated


def when_idle(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """:func:`in_background`, the thread at the lowest scheduling priority (nice 19, on Linux).

    For work whose result is wanted only at the end (the fingerprint of an input file) beside
    work every later step waits for (the intake's conversions and duplicate search): it takes
    a core when one would idle, instead of a share of both while they are busy. A thread's own
    priority is set through its thread id, which only Linux supports; elsewhere it runs as
    :func:`in_background` would.
    """
    return in_background(_at_lowest_priority, function, *args, **kwargs)


def _at_lowest_priority(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # e.g. a sandbox refusing it: the work runs all the same
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    return function(*args, **kwargs)


LOWEST_PRIORITY = 19
"""The highest nice value on Linux; a thread of its own ends with its task, so it is never raised again."""
