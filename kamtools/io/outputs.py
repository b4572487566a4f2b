"""What a run writes: tables for the client, stage outputs under their contract, stage summaries.

Every table kamtools hands out goes through :func:`write_table` (CSV with BOM, XLSX, Parquet,
written atomically; text a spreadsheet would run as a formula is neutralised in client files).
Stage outputs, the tables one stage hands the next, are checked against
:data:`kamtools.contract.OUTPUTS` when written (:func:`write_stage_output`) and when read
(:func:`read_stage_output`), so a wrong hand-over stops at the stage that caused it, with the
run, the file, the rows and the column in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pandas as pd

from kamtools.io.reading import EXCEL_SUFFIXES, PARQUET_SUFFIXES, InputFileError, file_suffix, read_raw_table
from kamtools.io.stores import atomic_path, write_text_atomic

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


def restored(values: pd.Series) -> pd.Series:
    """``values`` with every text :func:`neutralise_text` made inert given back as it was.

    The same as ``values.map(restore_text)``, column-wise: only cells starting with a quote are
    looked at (a run folder's tables have thousands of cells and hardly any such text).
    """
    quoted = values.str.startswith("'").fillna(False).astype(bool)
    if not quoted.any():
        return values
    inert = quoted & values.str.slice(1).str.match(FORMULA_START).fillna(False).astype(bool)
    return values.where(~inert, values.str.slice(1))


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

    suffix = file_suffix(path)
    with atomic_path(path) as tmp:
        # Only CSV needs the neutralised copy: a workbook holds every text as a string cell.
        text_frame = neutralised(frame) if for_client and suffix in (".csv", ".csv.gz") else frame
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
            frame[column] = restored(frame[column])
    return frame


def stage_summary_file(stage: str) -> str:
    """Name of the file a stage notebook writes its one-line summary into, for the pack's cover."""
    return f".{stage}.summary.txt"


def write_stage_summary(output_dir: Path, stage: str, summary: str) -> None:
    """Hand a stage's one-line summary to the runner (it shows on the report pack's cover)."""
    write_text_atomic(output_dir / stage_summary_file(stage), summary)


class StageTableOptions(TypedDict, total=False):
    """Keyword options of :func:`write_stage_table` that :func:`write_stage_output` passes on."""

    formats: tuple[str, ...]
    """File types written, ``("csv", "xlsx")`` unless given."""
    currency: str
    """Currency code shown in the XLSX money headers."""


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
    a client-formatted workbook (see :func:`write_table`). A table with a contract is written
    through :func:`write_stage_output`, which checks it first.
    """
    paths = [output_dir / f"{name}.{suffix}" for suffix in formats]
    for path in paths:
        write_table(frame, path, for_client=True, currency=currency)
    return paths


def read_table_if_exists(path: Path) -> pd.DataFrame | None:
    """A table kamtools wrote into a workspace (CSV, text cells), or None when there is none."""
    if not path.exists():
        return None
    return read_raw_table(path)


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
    frame: pd.DataFrame, run_dir: Path, table: Any, **options: Unpack[StageTableOptions]
) -> list[Path]:
    """Check a stage output against its contract and write it into the run folder.

    The declared columns come first, in contract order, then any others. CSV is what the next
    stage reads (:func:`read_stage_output`); XLSX is for the client. ``options`` are those of
    :func:`write_stage_table` (``formats``, ``currency``), which writes the files.

    Raises
    ------
    StageOutputError
        The frame breaks the contract (nothing is written).
    """
    return write_stage_table(_checked_output(frame, run_dir, table), run_dir, table.name, **options)


def _checked_output(frame: pd.DataFrame, run_dir: Path, table: Any) -> pd.DataFrame:
    """``frame`` with the declared columns of ``table`` first; StageOutputError if it breaks the contract."""
    problems = stage_output_problems(frame, table)
    if problems:
        raise StageOutputError(run_name(run_dir), f"{table.name}.csv", "; ".join(problems))
    declared = [c.name for c in table.columns]
    return frame[declared + [c for c in frame.columns if c not in declared]]


@dataclass
class StageOutputs:
    """The tables a stage notebook hands out: the CSV files at once, the client workbooks after.

    The runner starts the stages that depend on a stage as soon as its notebook's cell tagged
    ``stage-outputs`` has run (:mod:`kamtools.execution`), and they read the CSV files only
    (:func:`read_stage_output`). Writing the XLSX workbooks in that cell would keep them waiting,
    so :meth:`write` and :meth:`write_table` write the CSV file and keep the table, and
    :meth:`write_workbooks`, called in the next cell, writes the workbooks while the next stages
    already run; the stage ends after that cell, with every file it declares written.

    Parameters
    ----------
    run_dir
        The run folder.
    currency
        Currency code shown in the workbooks' money headers.
    """

    run_dir: Path
    currency: str = ""
    pending: list[tuple[pd.DataFrame, str]] = field(default_factory=list)
    """Tables whose workbook is still to be written, with their file name (no suffix)."""

    def write(self, frame: pd.DataFrame, table: Any, *, workbook: bool = True) -> Path:
        """Check ``frame`` against the contract ``table``, write its CSV; its workbook comes later.

        As :func:`write_stage_output` (declared columns first; nothing written when the frame
        breaks the contract). ``workbook=False``: the table has no client workbook.
        """
        ordered = _checked_output(frame, self.run_dir, table)
        return self._write_csv(ordered, table.name, workbook=workbook)

    def write_table(self, frame: pd.DataFrame, name: str, *, workbook: bool = True) -> Path:
        """Write ``name``.csv, a client table without a contract (as :func:`write_stage_table`)."""
        return self._write_csv(frame, name, workbook=workbook)

    def _write_csv(self, frame: pd.DataFrame, name: str, *, workbook: bool) -> Path:
        path = self.run_dir / f"{name}.csv"
        write_table(frame, path, for_client=True)
        if workbook:
            self.pending.append((frame, name))
        return path

    def write_workbooks(self) -> list[Path]:
        """Write the client workbook (XLSX) of every table written so far that has one."""
        paths = []
        while self.pending:
            frame, name = self.pending.pop(0)
            path = self.run_dir / f"{name}.xlsx"
            write_table(frame, path, for_client=True, currency=self.currency)
            paths.append(path)
        return paths


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
    frame = frame.apply(restored)
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
