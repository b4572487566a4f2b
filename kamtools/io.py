"""All file reading and writing of kamtools: input tables, configuration, run outputs.

Analysis functions never touch the disk; this module is the one place that does. Input files
are read as text, cell for cell, so that :mod:`kamtools.validation` can report every oddity
with the row and column a user sees in Excel, instead of pandas guessing types silently.

Supported inputs: CSV (any common delimiter; UTF-8 with or without BOM, cp1252/latin-1, GBK;
optionally gzip-compressed), XLSX and Parquet.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".csv.gz", ".txt.gz", ".tsv.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

# Tried in this order when a file does not say its encoding: strict UTF-8 first because it
# almost never decodes text that is not UTF-8; then GBK (Chinese exports) or the Windows code
# page Excel writes in the West, see detect_encoding; latin-1 last: it decodes anything.
CANDIDATE_ENCODINGS = ("utf-8", "gbk", "cp1252", "latin-1")
CANDIDATE_DELIMITERS = ",;\t|"
SNIFF_BYTES = 256 * 1024


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
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (little-endian, without a byte-order mark)",
    "utf-16-be": "UTF-16 (big-endian, without a byte-order mark)",
    "cp1252": "Windows-1252 (cp1252)",
    "latin-1": "Latin-1 (ISO-8859-1)",
    "gbk": "GBK (Chinese)",
}
_VALID_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _suffix(path: Path) -> str:
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


def detect_encoding(sample: bytes) -> str:
    """Name the text encoding of a CSV sample.

    A byte-order mark decides; UTF-16 without one shows in its zero bytes. Otherwise UTF-8
    wins when the sample decodes as UTF-8, or when its valid UTF-8 characters outnumber the
    stray bytes (one bad byte must not turn every accented name into mojibake: the reader
    replaces and reports it). Else the first of :data:`CANDIDATE_ENCODINGS` that decodes the
    sample. A sample cut in the middle of a multi-byte character is tolerated.
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    body = sample[:-3] if len(sample) >= SNIFF_BYTES else sample
    if _mostly_utf8(body):
        return "utf-8"
    candidates = list(CANDIDATE_ENCODINGS)
    if not _looks_double_byte(body):
        # Accented Western text (isolated high bytes) often decodes as GBK too, wrongly.
        candidates.remove("gbk")
    for encoding in candidates:
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of Latin letters has a zero byte in every pair, on one side."""
    pairs = sample[: len(sample) // 2 * 2]
    if len(pairs) < 8:
        return None
    even, odd = pairs[0::2].count(0), pairs[1::2].count(0)
    half = len(pairs) // 2
    if odd > 0.6 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _mostly_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    valid = len(_VALID_UTF8.findall(sample))
    high = sum(1 for byte in sample if byte >= 0x80)
    stray = high - sum(len(m) for m in _VALID_UTF8.findall(sample))
    return valid > stray


def _looks_double_byte(sample: bytes) -> bool:
    """True when high bytes come in pairs or runs, as in GBK, not alone as in cp1252 accents."""
    high = [i for i, byte in enumerate(sample) if byte >= 0x80]
    if not high:
        return False
    positions = set(high)
    paired = sum(1 for i in high if i - 1 in positions or i + 1 in positions)
    return paired / len(high) > 0.9


def detect_delimiter(text_sample: str) -> str:
    """Guess the delimiter of a CSV from its first lines (comma when nothing else fits)."""
    lines = [line for line in text_sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=CANDIDATE_DELIMITERS)
        return dialect.delimiter
    except csv.Error:
        header = lines[0]
        counts = {d: header.count(d) for d in CANDIDATE_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


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
    suffix = _suffix(path)
    try:
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


def _arrow_csv(path: Path, delimiter: str, encoding: str) -> pd.DataFrame | None:
    """The whole file read by Arrow's parallel CSV reader, or None when pandas must read it.

    Gives exactly what :func:`_pandas_csv` gives (every cell as text, empty cells as ""), in a
    fraction of the time on millions of lines, for the common case: UTF-8, a plain header of
    distinct names, every row with the header's number of fields and no blank line. Anything
    else (a ragged row, a blank line, an unclosed quote, bytes that are not UTF-8, a damaged
    gzip stream) makes Arrow refuse, and pandas reads the file and reports what is wrong.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if encoding not in ("utf-8", "utf-8-sig") or delimiter in ("\n", "\r", '"'):
        return None
    header = _header_fields(_csv_head(path).decode("utf-8", errors="replace"), delimiter)
    if not header or "" in header or len(set(header)) < len(header):
        return None  # pandas names blank and repeated headers ("Unnamed: 0", "a.1")
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=True),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=True,
            ),
        )
    except (pa.ArrowException, OSError, EOFError, zlib.error, ValueError):
        return None
    names = [str(name).lstrip("\ufeff").strip() for name in table.column_names]
    if names != header or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    text = pd.Series(["x"], dtype=str).dtype  # what read_csv(dtype=str) gives on this pandas
    if pd.api.types.is_object_dtype(text):
        return table.to_pandas()
    return table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


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


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; an empty file is an empty mapping.

    A folder, a binary file or a file in another encoding than UTF-8 is an
    :class:`InputFileError` naming the file, never a traceback.
    """
    if path.is_dir():
        raise InputFileError(path.name, "is a folder, not a file")
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputFileError(path.name, "is not a text file (it holds binary data); it must be YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(path.name, f"is not UTF-8 text (line {line}); save it as UTF-8") from exc
    return parse_yaml_text(text, name=path.name)


def parse_yaml_text(text: str, *, name: str) -> dict[str, Any]:
    """A YAML mapping from text (the file ``name`` in messages); empty text is an empty mapping."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputFileError(name, f"is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputFileError(name, "must hold a mapping of settings at the top level")
    return loaded


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` and rename it into place on success.

    The rename is atomic on one file system, so a reader sees either the old file or the
    complete new one, never a half-written file; on failure the temporary file is removed
    and ``target`` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates owner-only files; a finished file gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    """Write text (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_yaml(path: Path, data: Mapping[str, Any], *, keep_previous: bool = True) -> Path | None:
    """Write a YAML mapping atomically, keeping the previous version as ``NAME.previous.yml``.

    Returns the path of the kept previous version, if there was one. Workshop settings are
    saved this way so that a save never loses what was there before.
    """
    previous: Path | None = None
    if keep_previous and path.exists():
        previous = path.with_name(f"{path.stem}.previous{path.suffix}")
        write_text_atomic(previous, path.read_text(encoding="utf-8"))
    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)
    write_text_atomic(path, text)
    return previous


FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
"""Text a spreadsheet would run as a formula (OWASP CSV injection: = + - @ tab, carriage return)."""


def neutralise_text(value: Any) -> Any:
    """A text cell made inert for spreadsheets: ``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``.

    The quote is the OWASP-recommended prefix: Excel and LibreOffice show the text and never
    evaluate it. Text that already starts with quotes before such a character gets one more,
    so :func:`restore_text` gives back exactly what was written.
    """
    if isinstance(value, str) and FORMULA_START.match(value):
        return "'" + value
    return value


def restore_text(value: Any) -> Any:
    """The text :func:`neutralise_text` was given."""
    if isinstance(value, str) and value.startswith("'") and FORMULA_START.match(value[1:]):
        return value[1:]
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised for spreadsheets (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_text, na_action="ignore")
    return out


def write_table(frame: pd.DataFrame, path: Path, *, for_client: bool = False, currency: str = "") -> None:
    """Write a frame as CSV (UTF-8 with BOM, so Excel opens accents right), XLSX or Parquet, atomically.

    Every text goes into an XLSX as a string cell, never as a formula. ``for_client`` marks a
    file handed to the client: CSV text that a spreadsheet would run as a formula is
    neutralised (:func:`neutralise_text`) and the XLSX is a client-formatted workbook
    (:func:`kamtools.excel.workbook_bytes`, money headers with ``currency``).
    """
    from kamtools.excel import workbook_bytes

    suffix = _suffix(path)
    with atomic_path(path) as tmp:
        text_frame = neutralised(frame) if for_client else frame
        # RFC 4180 line ends for client files: a text holding a carriage return gets quoted.
        newline = "\r\n" if for_client else "\n"
        if suffix == ".csv":
            text_frame.to_csv(
                tmp, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d", lineterminator=newline
            )
        elif suffix == ".csv.gz":
            text_frame.to_csv(tmp, index=False, encoding="utf-8", compression="gzip", date_format="%Y-%m-%d")
        elif suffix in EXCEL_SUFFIXES:
            title = path.name[: -len(suffix)]
            tmp.write_bytes(workbook_bytes(frame, title=title, formatted=for_client, currency=currency))
        elif suffix in PARQUET_SUFFIXES:
            frame.to_parquet(tmp, index=False)
        else:
            raise ValueError(f"cannot write {path.name}: unsupported type {suffix!r}")


def read_output_table(path: Path) -> pd.DataFrame:
    """Read a table that an earlier stage wrote into a run folder (CSV written by kamtools).

    Text neutralised for spreadsheets when it was written is given back as it was.
    """
    if not path.exists():
        raise InputFileError(path.name, "not found in the run folder; run the earlier stage first")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"customer_id": str})
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(restore_text, na_action="ignore")
    return frame


def stage_summary_file(stage: str) -> str:
    """Name of the file a stage notebook writes its one-line summary into, for the pack's cover."""
    return f".{stage}.summary.txt"


def write_stage_summary(output_dir: Path, stage: str, summary: str) -> None:
    """Hand a stage's one-line summary to the runner (it shows on the report pack's cover)."""
    write_text_atomic(output_dir / stage_summary_file(stage), summary)


def write_stage_table(
    frame: pd.DataFrame,
    output_dir: Path,
    name: str,
    *,
    formats: tuple[str, ...] = ("csv", "xlsx"),
    currency: str = "",
) -> list[Path]:
    """Write a stage output table into the run folder for clients to reuse (CSV and XLSX).

    Both are client files: CSV text is neutralised against formula injection and the XLSX is
    a client-formatted workbook (see :func:`write_table`).
    """
    paths = [output_dir / f"{name}.{suffix}" for suffix in formats]
    for path in paths:
        write_table(frame, path, for_client=True, currency=currency)
    return paths


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``path`` (a ``.NAME.lock`` file beside it) while inside.

    Every writer of a shared file (two notebooks open on one workshop, say) takes this lock, so
    their read-change-write steps never interleave. The operating system drops the lock of a
    process that dies, so a crashed writer never blocks the next one.
    """
    lock = path.with_name(f".{path.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+b") as handle:
        if os.name == "nt":  # pragma: no cover - Windows consultants' laptops
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if os.name == "nt":  # pragma: no cover
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append_csv_rows(path: Path, rows: pd.DataFrame) -> int:
    """Append rows to a CSV history file so that no entry is ever lost or half-written.

    Under :func:`locked`, the file's bytes are copied with the new rows added into a temporary
    file, flushed to disk and renamed over the old file: a reader sees the old or the new
    history, never a torn one; a writer killed half-way leaves the history as it was; two
    writers at once both land. Temporary files of writers that died are removed.

    Parameters
    ----------
    path
        The CSV file (UTF-8 with BOM, as :func:`write_table` writes); created with a header
        from ``rows``' columns when missing or empty.
    rows
        The new rows; their columns must equal the file's header.

    Returns
    -------
    int
        The number of data rows in the file after the append.

    Raises
    ------
    InputFileError
        The file's header differs from ``rows``' columns (nothing is written).
    """
    columns = [str(c) for c in rows.columns]
    with locked(path):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        old = path.read_bytes() if path.exists() else b""
        text = old.decode("utf-8-sig") if old else ""
        lines = list(csv.reader(io.StringIO(text)))
        if lines and [c.strip() for c in lines[0]] != columns:
            raise InputFileError(
                path.name, f"has the columns {lines[0]}, expected {columns}; nothing was saved"
            )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if not lines:
            writer.writerow(columns)
        elif not text.endswith(("\n", "\r")):
            buffer.write("\n")
        for record in rows.itertuples(index=False):
            writer.writerow(["" if pd.isna(v) else str(v) for v in record])
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            handle.write(old if old else b"\xef\xbb\xbf")
            handle.write(buffer.getvalue().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        return max(len(lines) - 1, 0) + len(rows)


def write_yaml_with_history(path: Path, data: Mapping[str, Any], *, history_dir: Path) -> Path:
    """Write a YAML mapping atomically and keep a numbered copy of every version saved.

    Each save writes ``path`` and a copy ``history_dir/<stem>.r<NNN><suffix>``, numbered on from
    the copies already there, so every version ever saved can be read back and none is lost.

    Returns
    -------
    pathlib.Path
        The history copy of this save.
    """
    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)
    saved = yaml_history(path, history_dir=history_dir)
    number = int(re.search(r"\.r(\d+)\.[^.]+$", saved[-1].name).group(1)) + 1 if saved else 1
    copy = history_dir / f"{path.stem}.r{number:03d}{path.suffix}"
    write_text_atomic(copy, text)
    write_text_atomic(path, text)
    return copy


def yaml_history(path: Path, *, history_dir: Path) -> list[Path]:
    """The saved versions of ``path`` kept by :func:`write_yaml_with_history`, oldest first."""
    if not history_dir.is_dir():
        return []
    pattern = re.compile(rf"{re.escape(path.stem)}\.r(\d+){re.escape(path.suffix)}")
    found = [(int(m.group(1)), p) for p in history_dir.iterdir() if (m := pattern.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def read_table_if_exists(path: Path) -> pd.DataFrame | None:
    """A table kamtools wrote into a workspace (CSV, text cells), or None when there is none."""
    if not path.exists():
        return None
    return read_raw_table(path)


# --- Versioned workspace files (plan files and trackers of the planning stage) ----------------


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes (e.g. a workbook built in memory) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def keep_version(path: Path, history_dir: Path, *, label: str) -> Path | None:
    """Copy ``path`` into ``history_dir`` as ``<stem>.<label><suffix>`` before it is replaced.

    Never overwrites an earlier copy: a name already taken gets ``-2``, ``-3``, ... appended.
    Returns the copy's path, or None when ``path`` does not exist (nothing to keep).
    """
    if not path.exists():
        return None
    history_dir.mkdir(parents=True, exist_ok=True)
    target = history_dir / f"{path.stem}.{label}{path.suffix}"
    counter = 2
    while target.exists():
        target = history_dir / f"{path.stem}.{label}-{counter}{path.suffix}"
        counter += 1
    data = path.read_bytes()
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def read_workbook(path: Path | bytes) -> dict[str, pd.DataFrame]:
    """Every sheet of an XLSX workbook (a file, or its bytes), header in row 1, cells as Excel holds them.

    Dates come back as ``datetime``, numbers as numbers, empty cells as None; fully empty rows
    are kept out so that a row number reported later is still the sheet's row (data row ``i`` is
    sheet row ``i + 2``: the index of each frame is set to that row number).

    Raises
    ------
    InputFileError
        The file is missing or is not a readable workbook.
    """
    from openpyxl import load_workbook

    label = "workbook" if isinstance(path, bytes) else path.name
    if not isinstance(path, bytes) and not path.exists():
        raise InputFileError(label, "file not found")
    try:
        source = io.BytesIO(path) if isinstance(path, bytes) else path
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise InputFileError(label, f"is not a readable XLSX workbook ({type(exc).__name__})") from exc
    sheets: dict[str, pd.DataFrame] = {}
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            header = [("" if c is None else str(c).strip()) for c in (rows[0] if rows else ())]
            while header and not header[-1]:
                header.pop()
            body = {
                number: list(row[: len(header)]) + [None] * (len(header) - len(row))
                for number, row in enumerate(rows[1:], start=2)
                if any(c is not None and str(c).strip() != "" for c in row[: len(header)])
            }
            frame = pd.DataFrame(list(body.values()), columns=header, index=list(body.keys()), dtype=object)
            sheets[sheet.title] = frame
    finally:
        book.close()
    return sheets


# --------------------------------------------------------------------------------------------
# Stage outputs: the tables one stage hands the next, checked against kamtools.contract.OUTPUTS
# when written and when read, so a wrong hand-over stops at the stage that caused it.

WORK_DIR_PREFIX = ".work-"
"""A run being made lives in ``.work-<run id>`` until the runner publishes it as ``<run id>``."""


class StageOutputError(Exception):
    """A stage output table is missing or breaks its contract; the message names run and file."""

    def __init__(self, run: str, file: str, message: str) -> None:
        super().__init__(f"{run}, {file}: {message}")
        self.run = run
        self.file = file
        self.message = message


def run_name(run_dir: Path) -> str:
    """How messages name a run folder: "run 20261201-093000" (a run in progress too)."""
    return f"run {run_dir.name.removeprefix(WORK_DIR_PREFIX)}"


def _rows_text(rows: pd.Index) -> str:
    shown = ", ".join(str(r) for r in rows[:5])
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}" + (" and more" if len(rows) > 5 else "")


def stage_output_problems(frame: pd.DataFrame, table: Any) -> list[str]:
    """Every way ``frame`` breaks the contract ``table`` (a :class:`kamtools.contract.Table`).

    Checks the declared columns are there, required cells are filled, numbers and dates parse,
    values are among the allowed ones, and the ``unique_key`` holds one row per key. Rows are
    numbered as in the CSV file (header = row 1). Extra columns are allowed.
    """
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        return [
            f"missing column(s) {', '.join(map(repr, missing))}; it has {', '.join(map(repr, frame.columns))}"
        ]
    problems = []
    file_rows = pd.RangeIndex(2, len(frame) + 2)
    for column in table.columns:
        values = frame[column.name].reset_index(drop=True)
        blank = values.isna() | (values.astype("str").str.strip() == "")
        if column.required and blank.any():
            problems.append(f"{_rows_text(file_rows[blank.to_numpy()])}, column {column.name!r}: empty")
        if column.kind in ("number", "integer", "score"):
            numbers = pd.to_numeric(values.where(~blank), errors="coerce")
            bad = ~blank & numbers.isna()
            if column.kind == "integer":
                bad |= ~blank & numbers.notna() & (numbers % 1 != 0)
            if bad.any():
                kind = "an integer" if column.kind == "integer" else "a number"
                problems.append(
                    f"{_rows_text(file_rows[bad.to_numpy()])}, column {column.name!r}: not {kind}"
                )
        elif column.kind == "date":
            dates = pd.to_datetime(values.where(~blank), errors="coerce")
            bad = ~blank & dates.isna()
            if bad.any():
                problems.append(
                    f"{_rows_text(file_rows[bad.to_numpy()])}, column {column.name!r}: not a date"
                )
        if column.choices:
            bad = ~blank & ~values.astype("str").isin(column.choices)
            if bad.any():
                allowed = ", ".join(column.choices)
                problems.append(
                    f"{_rows_text(file_rows[bad.to_numpy()])}, column {column.name!r}: not one of {allowed}"
                )
    if table.unique_key:
        twice = frame.reset_index(drop=True).duplicated(list(table.unique_key), keep=False).to_numpy()
        if twice.any():
            key = ", ".join(table.unique_key)
            problems.append(f"{_rows_text(file_rows[twice])}: more than one row per {key}")
    return problems


def write_stage_output(
    frame: pd.DataFrame,
    run_dir: Path,
    table: Any,
    *,
    formats: tuple[str, ...] = ("csv", "xlsx"),
    currency: str = "",
) -> list[Path]:
    """Check a stage output against its contract and write it into the run folder.

    The declared columns come first, in contract order, then any others. CSV is what the next
    stage reads (:func:`read_stage_output`); XLSX is for the client.

    Raises
    ------
    StageOutputError
        The frame breaks the contract (nothing is written).
    """
    problems = stage_output_problems(frame, table)
    if problems:
        raise StageOutputError(run_name(run_dir), f"{table.name}.csv", "; ".join(problems))
    declared = [c.name for c in table.columns]
    ordered = frame[declared + [c for c in frame.columns if c not in declared]]
    return write_stage_table(ordered, run_dir, table.name, formats=formats, currency=currency)


def read_stage_output(run_dir: Path, table: Any) -> pd.DataFrame:
    """Read the output ``table`` an earlier stage wrote into ``run_dir``, checked against its contract.

    Ids and text are read as text; numbers, integers and dates are converted. The error says
    which run and file are wrong and what to do.

    Raises
    ------
    StageOutputError
        The file is missing (the stage that writes it did not run in that run), unreadable, or
        breaks the contract (every problem with its rows and column).
    """
    path = run_dir / f"{table.name}.csv"
    run = run_name(run_dir)
    if not path.exists():
        raise StageOutputError(
            run,
            path.name,
            "not found: run the stage that writes it first, or choose a run that has it (--from-run)",
        )
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise StageOutputError(run, path.name, f"cannot be read as CSV ({exc})") from exc
    # Text neutralised for spreadsheets when it was written is given back as it was.
    frame = frame.map(restore_text)
    problems = stage_output_problems(frame, table)
    if problems:
        raise StageOutputError(run, path.name, "; ".join(problems))
    out = frame.copy()
    for column in table.columns:
        text = out[column.name].str.strip()
        if column.kind in ("number", "score"):
            out[column.name] = pd.to_numeric(text.replace("", None), errors="coerce").astype("float64")
        elif column.kind == "integer":
            out[column.name] = pd.to_numeric(text.replace("", None), errors="coerce").astype("Int64")
        elif column.kind == "date":
            out[column.name] = pd.to_datetime(text.replace("", None), errors="coerce")
    return out


# --------------------------------------------------------------------------------------------
# Small files of the runner and the intake cache (JSON records, Parquet copies, run folders)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (values JSON cannot hold are written as text)."""
    import json

    write_text_atomic(path, json.dumps(data, indent=2, default=str))


def read_json(path: Path) -> Any:
    """Read a JSON file kamtools wrote; None when it is not there."""
    import json

    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file kamtools wrote (the intake cache keeps the validated tables' types)."""
    return pd.read_parquet(path)


def read_text(path: Path) -> str:
    """Read a UTF-8 text file."""
    return path.read_text(encoding="utf-8")


def copy_files(source: Path, target: Path, *, patterns: tuple[str, ...]) -> list[Path]:
    """Copy the files of ``source`` matching ``patterns`` into the folder ``target``."""
    import shutil

    copied = []
    for pattern in patterns:
        for file in sorted(source.glob(pattern)):
            copied.append(Path(shutil.copy2(file, target / file.name)))
    return copied


def remove_tree(path: Path) -> None:
    """Remove a folder kamtools made (a run's work folder, a cache), ignoring what is gone."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def publish_folder(work_dir: Path, final_dir: Path) -> None:
    """Move a finished work folder to its final name in one atomic rename."""
    os.replace(work_dir, final_dir)


def point_link(link: Path, target_name: str) -> None:
    """Point the symlink ``link`` at ``target_name`` (a sibling), replacing it atomically."""
    tmp = link.with_name(f".{link.name}-{target_name}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target_name, target_is_directory=True)
    os.replace(tmp, link)
