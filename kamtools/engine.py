"""The one place kamtools runs SQL over its frames: DuckDB, in process, on Arrow data.

Analysis functions keep their pandas interface; where a computation is a large group-by over
invoice lines (millions of rows, tens of thousands of customers) they hand Arrow views of their
columns to :func:`query` and get a pandas frame back. DuckDB scans the Arrow buffers without
copying them and aggregates on all cores, which is what makes a 10-million-line screening take
seconds within a bounded memory (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa


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
        results = [connection.execute(q, p).df() for q, p in zip(queries, per_query, strict=True)]
    finally:
        connection.close()
    return results[0] if isinstance(sql, str) else results
