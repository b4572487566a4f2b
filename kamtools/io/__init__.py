"""All file reading and writing of kamtools: input tables, configuration, run outputs.

Analysis functions never touch the disk; this package is the one place that does. Its modules
split the job by concern, and every public name is re-exported here, so callers write
``from kamtools import io`` and ``io.read_raw_table(...)`` whatever module holds it:

- :mod:`~kamtools.io.sniffing`: the encoding and delimiter of a CSV, guessed from its first bytes.
- :mod:`~kamtools.io.reading`: client input files (CSV, optionally gzip, XLSX, Parquet) read cell
  for cell as text, :class:`InputFileError` and :class:`ReadFinding`, input paths and fingerprints.
- :mod:`~kamtools.io.workbooks`: workbooks kamtools hands out and reads back (the plan tracker), and
  the SpreadsheetML kamtools writes read without openpyxl (:func:`own_workbook`).
- :mod:`~kamtools.io.outputs`: client tables (neutralised against formula injection), stage
  outputs checked against their contract, stage summaries.
- :mod:`~kamtools.io.stores`: atomic writes, YAML with kept versions, locked CSV histories, JSON,
  and the moves that publish a run folder.

Supported inputs: CSV (any common delimiter; UTF-8 with or without BOM, cp1252/latin-1, GBK;
optionally gzip-compressed), XLSX and Parquet.
"""

from kamtools.io.outputs import (
    FORMULA_START,
    WORK_DIR_PREFIX,
    StageOutputError,
    StageOutputs,
    StageTableOptions,
    neutralise_text,
    neutralised,
    read_output_table,
    read_stage_output,
    read_table_if_exists,
    restore_text,
    restored,
    run_name,
    stage_output_problems,
    stage_summary_file,
    write_stage_output,
    write_stage_summary,
    write_stage_table,
    write_table,
)
from kamtools.io.reading import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    MAGIC_GZIP,
    MAGIC_OLE,
    MAGIC_ZIP,
    PARQUET_SUFFIXES,
    READ_FINDINGS,
    ROW_NUMBERS,
    SUPPORTED_SUFFIXES,
    InputFileError,
    ReadFinding,
    duplicate_headers,
    file_fingerprint,
    file_suffix,
    input_path,
    read_raw_table,
    with_findings,
    zip_member_names,
)
from kamtools.io.sniffing import (
    CANDIDATE_DELIMITERS,
    CANDIDATE_ENCODINGS,
    ENCODING_NAMES,
    SNIFF_BYTES,
    detect_delimiter,
    detect_encoding,
)
from kamtools.io.stores import (
    append_csv_rows,
    atomic_path,
    copy_files,
    keep_version,
    locked,
    parse_yaml_text,
    point_link,
    publish_folder,
    read_json,
    read_parquet,
    read_text,
    read_yaml,
    remove_tree,
    write_bytes_atomic,
    write_json,
    write_text_atomic,
    write_yaml,
    write_yaml_with_history,
    yaml_history,
)
from kamtools.io.workbooks import OwnSheet, own_workbook, read_workbook

__all__ = [
    "CANDIDATE_DELIMITERS",
    "CANDIDATE_ENCODINGS",
    "CSV_SUFFIXES",
    "ENCODING_NAMES",
    "EXCEL_SUFFIXES",
    "FORMULA_START",
    "MAGIC_GZIP",
    "MAGIC_OLE",
    "MAGIC_ZIP",
    "PARQUET_SUFFIXES",
    "READ_FINDINGS",
    "ROW_NUMBERS",
    "SNIFF_BYTES",
    "SUPPORTED_SUFFIXES",
    "WORK_DIR_PREFIX",
    "InputFileError",
    "OwnSheet",
    "ReadFinding",
    "StageOutputError",
    "StageOutputs",
    "StageTableOptions",
    "append_csv_rows",
    "atomic_path",
    "copy_files",
    "detect_delimiter",
    "detect_encoding",
    "duplicate_headers",
    "file_fingerprint",
    "file_suffix",
    "input_path",
    "keep_version",
    "locked",
    "neutralise_text",
    "neutralised",
    "own_workbook",
    "parse_yaml_text",
    "point_link",
    "publish_folder",
    "read_json",
    "read_output_table",
    "read_parquet",
    "read_raw_table",
    "read_stage_output",
    "read_table_if_exists",
    "read_text",
    "read_workbook",
    "read_yaml",
    "remove_tree",
    "restore_text",
    "restored",
    "run_name",
    "stage_output_problems",
    "stage_summary_file",
    "with_findings",
    "write_bytes_atomic",
    "write_json",
    "write_stage_output",
    "write_stage_summary",
    "write_stage_table",
    "write_table",
    "write_text_atomic",
    "write_yaml",
    "write_yaml_with_history",
    "yaml_history",
    "zip_member_names",
]
