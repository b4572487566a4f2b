"""Reading a client's input files: CSV (optionally gzip), XLSX and Parquet, cell for cell as text.

Input files are read as text, exactly as the user typed them, so that
:mod:`kamtools.validation` can report every oddity with the row and column a user sees in
Excel, instead of pandas guessing types silently. What a reader notices without refusing the
file (an encoding, a replaced byte, a repeated header) travels with the frame as
:class:`ReadFinding` records; a file that cannot be read at all is an :class:`InputFileError`
naming the file (and the row, where one row is the reason). Also here: where an input named in
``client.yml`` may be read from (:func:`input_path`) and its fingerprint.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kamtools.io.sniffing import ENCODING_NAMES, SNIFF_BYTES, detect_delimiter, detect_encoding

CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".csv.gz", ".txt.gz", ".tsv.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES


class InputFileError(Exception):
    """An input file cannot be read at all (missing, wrong format, undecodable).

    ``rows`` (Excel numbering, header = row 1) and ``column`` say where, when the reason lies
    in one place of the file (a row with too many fields, a quote never closed).
    """

    def __init__(
        self, file: str, message: str, *, rows: tuple[int, ...] = (), column: str | None = None
    ) -> None:
        where = f"{file}, row {rows[0]}" if len(rows) == 1 else file
        super().__init__(f"{where}: {message}")
        self.file = file
        self.message = message
        self.rows = rows
        self.column = column


@dataclass(frozen=True)
class ReadFinding:
    """Something the reader noticed in a file it could read: a repair, a note or a problem.

    ``kind`` is ``"note"`` (reported, nothing changed in the values), ``"problem"`` (stops
    the run) or ``"problem_if_used"`` (stops the run only when validation uses ``column``).
    Readers attach their findings to the frame (``frame.attrs["read_findings"]``) and
    :mod:`kamtools.validation` turns them into problems and notes with the file's name.
    """

    message: str
    kind: str = "note"
    column: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()


READ_FINDINGS = "read_findings"
ROW_NUMBERS = "row_numbers"
MAGIC_ZIP = b"PK\x03\x04"
MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAGIC_GZIP = b"\x1f\x8b"
_CSV_BLOCK_BYTES = 16 << 20
"""Bytes of CSV per block of Arrow's reader (its default is 1 MB): a sixteenth of the chunks per
column, so every later step that walks the chunks (spaces, empty cells, numbers) calls less."""


def file_suffix(path: Path) -> str:
    """The type suffix of a file kamtools reads or writes (``.csv.gz`` counts as one), in lower case."""
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _head_bytes(path: Path, size: int = SNIFF_BYTES) -> bytes:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return handle.read(size)
    with path.open("rb") as handle:
        return handle.read(size)


def read_raw_table(
    path: Path,
    *,
    options: Mapping[str, Any] | None = None,
    nrows: int | None = None,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """Read an input file into a frame of text cells, exactly as the user typed them.

    Parameters
    ----------
    path
        CSV (optionally ``.gz``), XLSX or Parquet file.
    options
        Reading options from ``client.yml``: ``encoding``, ``delimiter``, ``sheet``.
    nrows
        Read only this many data rows (``0``: just the header), e.g. to propose a mapping.
    expected
        Column names the table needs: they find the sheet and header row of a workbook that
        opens with a cover sheet or title rows.

    Returns
    -------
    pandas.DataFrame
        Every column as ``object``/``str`` (CSV, XLSX) with empty cells as ``""``; Parquet keeps
        its own types because the file already carries them. The header row is row 1 as in
        Excel, so data row ``i`` (0-based) is the user's row ``i + 2``, unless the reader
        skipped title or blank rows: then ``frame.attrs["row_numbers"]`` holds each row's
        number. ``frame.attrs["read_findings"]`` lists :class:`ReadFinding` notes and problems.

    Raises
    ------
    InputFileError
        When the file is missing, of an unknown type, damaged, or cannot be decoded.
    """
    options = dict(options or {})
    label = path.name
    if not path.exists():
        raise InputFileError(label, "file not found")
    if path.is_dir():
        raise InputFileError(label, "is a folder, not a file")
    suffix = file_suffix(path)
    try:
        with input_memory():
            if suffix in CSV_SUFFIXES:
                return _read_csv_text(path, options, nrows=nrows)
            if suffix in EXCEL_SUFFIXES:
                from kamtools.excel import read_workbook

                return read_workbook(path, options, nrows=nrows, expected=expected)
            if suffix in PARQUET_SUFFIXES:
                return _read_parquet(path, nrows=nrows)
    except InputFileError:
        raise
    except (UnicodeDecodeError, ValueError, OSError, EOFError, zlib.error, pd.errors.ParserError) as exc:
        detail = str(exc).replace(str(path), label).replace(str(path.parent), "")
        raise InputFileError(label, f"cannot be read ({type(exc).__name__}: {detail})") from exc
    raise InputFileError(label, f"unsupported file type {suffix!r}; use CSV, XLSX or Parquet")


def with_findings(frame: pd.DataFrame, findings: list[ReadFinding], rows: Sequence[int] | None = None):
    if findings:
        frame.attrs[READ_FINDINGS] = tuple(findings)
    if rows is not None:
        frame.attrs[ROW_NUMBERS] = tuple(int(r) for r in rows)
    return frame


def _not_text_message(path: Path, head: bytes) -> str | None:
    """Why a file named like CSV is no text file (a workbook, an archive, binary data)."""
    if head.startswith(MAGIC_ZIP):
        if "xl/workbook.xml" in zip_member_names(path):
            return (
                f"is an Excel workbook, not a CSV text file; name it {_stem(path)}.xlsx in inputs/ and"
                " client.yml"
            )
        return "is a zip archive, not a CSV text file; unpack it and name the file inside in client.yml"
    if head.startswith(MAGIC_OLE):
        return f"is an Excel 97-2003 workbook, not a CSV text file; save it as {_stem(path)}.xlsx"
    return None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in CSV_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _csv_head(path: Path) -> bytes:
    label = path.name
    if path.name.lower().endswith(".gz"):
        with path.open("rb") as handle:
            if not handle.read(2).startswith(MAGIC_GZIP) and path.stat().st_size:
                raise InputFileError(label, "is not a gzip-compressed file although its name ends in .gz")
    try:
        return _head_bytes(path)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _damaged_gzip(label) from exc


def _damaged_gzip(label: str) -> InputFileError:
    return InputFileError(
        label, "the compressed file is damaged or incomplete (gzip data ends early or is corrupt)"
    )


def _read_csv_text(path: Path, options: Mapping[str, Any], *, nrows: int | None = None) -> pd.DataFrame:
    label = path.name
    sample = _csv_head(path)
    if not sample.strip():
        return pd.DataFrame()
    reason = _not_text_message(path, sample[:8])
    given = options.get("encoding")
    encoding = given or detect_encoding(sample)
    if reason is None and not encoding.startswith("utf-16") and b"\x00" in sample:
        reason = "is not a text file (it holds binary data, e.g. a picture or a program)"
    if reason:
        raise InputFileError(label, reason)
    findings: list[ReadFinding] = []
    if not given and encoding not in ("utf-8", "utf-8-sig"):
        findings.append(ReadFinding(f"read as {ENCODING_NAMES.get(encoding, encoding)}"))
    text_sample = sample.decode(encoding, errors="replace")
    delimiter = options.get("delimiter") or detect_delimiter(text_sample)
    try:
        frame = _pandas_csv(path, delimiter, encoding, "strict", nrows)
    except UnicodeDecodeError as exc:
        rows, count = _undecodable_rows(path, encoding)
        if given:
            raise InputFileError(
                label,
                f"cannot be decoded as {given!r} (the encoding set in client.yml) at row"
                f" {rows[0] if rows else '?'}; remove the setting to detect the encoding",
            ) from exc
        frame = _pandas_csv(path, delimiter, encoding, "replace", nrows)
        name = ENCODING_NAMES.get(encoding, encoding)
        findings.append(
            ReadFinding(
                f"{count:,} {'byte' if count == 1 else 'bytes'} that {'is' if count == 1 else 'are'}"
                f" not valid {name} replaced by '\ufffd' (the rest of the file is {name})",
                rows=tuple(rows),
            )
        )
    # A BOM decoded by a non-sig codec ends up glued to the first header.
    frame.columns = [str(c).lstrip("\ufeff").strip() for c in frame.columns]
    findings.extend(duplicate_headers(_header_fields(text_sample, delimiter)))
    blank = _blank_rows(frame)
    rows = None
    if blank is not None:
        rows = (np.flatnonzero(~blank) + 2).tolist()
        frame = frame[~blank].reset_index(drop=True)
    return with_findings(frame, findings, rows)


def _quotes_after_header(path: Path) -> bool:
    """Whether a quote character follows the first line (always True for a compressed file).

    Searched in place (memory-mapped), at memory speed: a second for gigabytes.
    """
    import mmap

    if path.name.lower().endswith(".gz") or path.stat().st_size == 0:
        return True
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        # The header ends at its first line end; "\r" is looked for only before the first "\n"
        # (a file of "\n" line ends would otherwise be read to its end for it, then again).
        newline = data.find(b"\n")
        carriage = data.find(b"\r", 0, newline if newline >= 0 else len(data))
        line_ends = [at for at in (newline, carriage) if at >= 0]
        return data.find(b'"', min(line_ends, default=0)) >= 0


def _arrow_csv(path: Path, delimiter: str, encoding: str) -> pd.DataFrame | None:
    """The whole file read by Arrow's parallel CSV reader, or None when pandas must read it.

    Gives exactly what :func:`_pandas_csv` gives (every cell as text, empty cells as ""), in a
    fraction of the time on millions of lines, for the common case: UTF-8, a plain header of
    distinct names, every row with the header's number of fields and no blank line. Anything
    else (a ragged row, a blank line, an unclosed quote, bytes that are not UTF-8, a damaged
    gzip stream) makes Arrow refuse, and pandas reads the file and reports what is wrong.
    """
    import pyarrow as pa

    if encoding not in ("utf-8", "utf-8-sig") or delimiter in ("\n", "\r", '"'):
        return None
    header = _header_fields(_csv_head(path).decode("utf-8", errors="replace"), delimiter)
    if not header or "" in header or len(set(header)) < len(header):
        return None  # pandas names blank and repeated headers ("Unnamed: 0", "a.1")
    try:
        with _csv_source(path) as source:
            table = _arrow_read_csv(source, header, delimiter, newlines_in_values=_quotes_after_header(path))
    except (pa.ArrowException, OSError, EOFError, zlib.error, ValueError):
        return None
    names = [str(name).lstrip("\ufeff").strip() for name in table.column_names]
    if names != header or any(not pa.types.is_large_string(t) for t in table.schema.types):
        return None
    text = pd.Series(["x"], dtype=str).dtype  # what read_csv(dtype=str) gives on this pandas
    if pd.api.types.is_object_dtype(text):
        return table.to_pandas()
    return table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


@contextlib.contextmanager
def _csv_source(path: Path) -> Iterator[Path | Any]:
    """What Arrow's CSV reader reads: the file memory-mapped, or its path when it is compressed.

    Mapped, the reader parses the operating system's cached pages in place; given the path, it
    first copies the whole file into memory of its own (freshly zeroed by the kernel: on this
    scale a large share of the read). A compressed file is given by its path, so that Arrow
    decompresses it.
    """
    if path.name.lower().endswith(".gz"):
        yield path
        return
    import pyarrow as pa

    with pa.memory_map(str(path)) as mapped:
        yield mapped


def _arrow_read_csv(
    source: Path | Any, header: list[str], delimiter: str, *, newlines_in_values: bool
) -> Any:
    """Every cell of a CSV as Arrow large strings (see :func:`_arrow_csv`), parsed on all cores."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    return pa_csv.read_csv(
        source,
        read_options=pa_csv.ReadOptions(use_threads=True, block_size=_CSV_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            # Without a quote in the data no value can hold a line break, and Arrow splits
            # the file for its threads at any line end: about twice as fast.
            newlines_in_values=newlines_in_values,
            ignore_empty_lines=False,
        ),
        convert_options=pa_csv.ConvertOptions(
            # Large strings are what pandas' text columns hold: no copy into them later.
            column_types={name: pa.large_string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
            check_utf8=True,
        ),
    )


@contextlib.contextmanager
def input_memory() -> Iterator[None]:
    """Arrow allocates from its jemalloc pool while inside: reading and validating the inputs.

    The default pool of Arrow's wheels (mimalloc) takes huge pages from the kernel, which on a
    shared virtual machine must often be compacted first: at ten million lines the same read
    spent 2.4-3.5 s of system time against 1.0 s with jemalloc, the whole Parquet intake 6 s
    against 2.6-3.8 s and 0.3 GB more memory at its peak. jemalloc keeps and reuses what it
    freed. Arrow's default pool is the whole process's, so it is set back on leaving, whatever
    happened inside (nested uses restore each other's); a pyarrow built without jemalloc keeps
    its default. Buffers made inside stay valid after, and are freed by the pool they came from.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _pandas_csv(path: Path, delimiter: str, encoding: str, errors: str, nrows: int | None) -> pd.DataFrame:
    label = path.name
    if nrows is None and errors == "strict":
        fast = _arrow_csv(path, delimiter, encoding)
        if fast is not None:
            return fast
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                sep=delimiter,
                encoding=encoding,
                encoding_errors=errors,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                nrows=nrows,
                on_bad_lines="warn",
            )
        except pd.errors.ParserError as exc:
            quote = re.search(r"EOF inside string starting at row (\d+)", str(exc))
            if quote:
                row = int(quote.group(1)) + 1
                raise InputFileError(label, "a quote opened here is never closed", rows=(row,)) from exc
            raise InputFileError(label, f"cannot be read as CSV ({exc})") from exc
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _damaged_gzip(label) from exc
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
    ragged = [
        (int(line), int(expected), int(saw))
        for warning in caught
        for line, expected, saw in re.findall(
            r"Skipping line (\d+): expected (\d+) fields, saw (\d+)", str(warning.message)
        )
    ]
    if ragged:
        line, expected, saw = ragged[0]
        rows = tuple(r[0] for r in ragged)
        more = f"; rows {', '.join(map(str, rows[:10]))} too" if len(rows) > 1 else ""
        raise InputFileError(
            label,
            f"has {saw} fields but the header has {expected} (a delimiter inside a value without"
            f" quotes?){more}",
            rows=(line,),
        )
    return frame


def _undecodable_rows(path: Path, encoding: str) -> tuple[list[int], int]:
    """Rows (file lines, header = 1) holding bytes that ``encoding`` cannot decode, and how many."""
    data = gzip.decompress(path.read_bytes()) if path.name.lower().endswith(".gz") else path.read_bytes()
    rows: list[int] = []
    count = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            escaped = line.decode(encoding, errors="surrogateescape")
            count += sum(1 for ch in escaped if "\udc80" <= ch <= "\udcff")
            rows.append(number)
    return rows, count


def _header_fields(text_sample: str, delimiter: str) -> list[str]:
    first = next((line for line in text_sample.splitlines() if line.strip()), "")
    try:
        return [f.lstrip("\ufeff").strip() for f in next(csv.reader([first], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def duplicate_headers(header: Sequence[str]) -> list[ReadFinding]:
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        if name:
            positions.setdefault(name, []).append(number)
    return [
        ReadFinding(
            f"appears {len(where)} times in the header (columns {', '.join(map(str, where[:-1]))} and"
            f" {where[-1]}); give each column its own name",
            kind="problem_if_used",
            column=name,
            rows=(1,),
        )
        for name, where in positions.items()
        if len(where) > 1
    ]


def _blank_rows(frame: pd.DataFrame) -> pd.Series | None:
    """Rows with every cell empty (blank lines), or None when there are none (the usual case)."""
    if frame.empty or not len(frame.columns):
        return None
    candidate = frame.iloc[:, 0] == ""
    if not candidate.any():
        return None
    blank = candidate.copy()
    for column in frame.columns[1:]:
        blank &= frame[column] == ""
        if not blank.any():
            return None
    return blank.to_numpy()


def zip_member_names(path: Path) -> list[str]:
    """The names inside a zip file (an .xlsx workbook is one); empty when it is not a readable zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return []


def _read_parquet(path: Path, *, nrows: int | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    label = path.name
    if path.stat().st_size == 0:
        raise InputFileError(label, "the file is empty (0 bytes)")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(
            label, "is not a readable Parquet file (damaged, incomplete or another format)"
        ) from exc
    findings = []
    for field_ in table.schema:
        kind = field_.type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            what = "lists" if pa.types.is_list(kind) or pa.types.is_large_list(kind) else f"{kind} values"
            findings.append(
                ReadFinding(
                    f"holds {what}, not single values; kamtools reads one value per cell",
                    kind="problem_if_used",
                    column=field_.name,
                )
            )
    frame = table.to_pandas()
    for finding in findings:
        frame[finding.column] = frame[finding.column].map(repr)
    frame = frame if nrows is None else frame.head(nrows)
    return with_findings(frame, findings)


def input_path(workspace: Path, file: str, *, setting: str, allow_outside: bool = False) -> Path:
    """The path of an input file named in ``client.yml``, refused when it leaves the workspace.

    Client files are read from inside the workspace only: ``file: /etc/passwd``,
    ``../other_client/sales.csv`` or a symbolic link pointing elsewhere is refused with the
    setting's name (``setting``), unless the input says ``allow_outside: true`` explicitly.
    """
    path = Path(file).expanduser()
    path = path if path.is_absolute() else workspace / path
    if allow_outside:
        return path
    root = workspace.resolve()
    real = path.resolve()
    if real == root or root in real.parents:
        return path
    fix = "copy the file into inputs/ (or set `allow_outside: true` for this input to read it where it is)"
    lexical = Path(os.path.normpath(workspace.absolute() / Path(file).expanduser()))
    if lexical == workspace.absolute() or workspace.absolute() in lexical.parents:
        raise InputFileError(
            "client.yml", f"{setting}: '{file}' is a link to a file outside the workspace; {fix}"
        )
    raise InputFileError("client.yml", f"{setting}: '{file}' is outside the workspace; {fix}")


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes, shortened to 16 hex digits: enough to tell inputs apart."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]
