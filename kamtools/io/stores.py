"""Files that must never be torn or lost: atomic writes, versioned YAML, locked CSV histories, run folders.

A reader sees the old file or the complete new one, never half a file (:func:`atomic_path`);
settings and plans keep their previous versions (:func:`write_yaml`,
:func:`write_yaml_with_history`, :func:`keep_version`); shared histories are appended under a
lock (:func:`append_csv_rows`). Also the small files of the runner and the intake cache (JSON,
Parquet, text) and the moves that publish a finished run folder.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kamtools.io.reading import InputFileError, input_memory


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


_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", None)
"""libyaml's safe loader, when PyYAML was built with it: the same constructor and resolver as
``yaml.SafeLoader`` (so the same values), its scanner and parser in C (a plan file of a few
hundred accounts reads about four times faster)."""


def parse_yaml_text(text: str, *, name: str) -> dict[str, Any]:
    """A YAML mapping from text (the file ``name`` in messages); empty text is an empty mapping.

    The text is parsed by libyaml's loader where there is one; text it does not accept is parsed
    again by PyYAML's own loader, which gives the error message (with line and column) as
    before, or the values when the C parser was the stricter one.
    """
    loaded = _fast_yaml_load(text)
    if loaded is _NOT_PARSED:
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputFileError(name, f"is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputFileError(name, "must hold a mapping of settings at the top level")
    return loaded


_NOT_PARSED = object()
"""What :func:`_fast_yaml_load` returns when libyaml is missing or refuses the text."""


def _fast_yaml_load(text: str) -> Any:
    """``text`` parsed by libyaml's safe loader, or :data:`_NOT_PARSED` (no libyaml, or an error)."""
    if _FAST_SAFE_LOADER is None:
        return _NOT_PARSED
    try:
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except Exception:  # any refusal: the pure loader decides and words the message
        return _NOT_PARSED


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


@functools.cache
def _to_pandas_options() -> dict[str, Any]:
    """How a Parquet file is turned into a frame: each column its own block, and the Arrow
    copy of a column freed as soon as it is converted. Without them pandas copies the number
    columns into one block while the whole Arrow table is still held: at 10M invoice lines
    about half the reading time goes to touching that extra memory. The frame is the same."""
    import inspect

    if "to_pandas_kwargs" not in inspect.signature(pd.read_parquet).parameters:
        return {}  # pandas before 3.0
    return {"to_pandas_kwargs": {"split_blocks": True, "self_destruct": True}}


def read_parquet(path: Path, *, columns: Callable[[list[str]], Sequence[str]] | None = None) -> pd.DataFrame:
    """Read a Parquet file kamtools wrote (the intake cache keeps the validated tables' types).

    ``columns``, given the file's column names, returns those to read (in the file's order);
    the others are left unread, which on millions of rows saves most of the reading. Read with
    Arrow's jemalloc pool, as the inputs are (:func:`~kamtools.io.reading.input_memory`: the
    default pool's huge pages cost seconds of system time at ten million lines).
    """
    chosen = {}
    if columns is not None:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        wanted = set(columns(names))
        chosen = {"columns": [name for name in names if name in wanted]}
    with input_memory():
        return pd.read_parquet(path, **chosen, **_to_pandas_options())


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
