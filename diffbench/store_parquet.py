"""The results dataset: a folder of Parquet files, one per batch of rows written.

``DIR/results/part-000000.parquet``, ``part-000001.parquet``, ...: each part is complete or
absent. A part is written under a temporary name in the same folder (``.part-*.tmp``), flushed
to disk (``fsync``) and only then renamed to its final name (``os.replace``, atomic), so a run
killed at any moment leaves whole parts and at most a temporary file, which readers ignore and
the next writer removes. Every part carries the table's schema in its Parquet key-value metadata
(``diffbench.schema_version`` and ``diffbench.columns``, the column names and types), and its
pages are checksummed, so a part of another schema, a truncated part or a damaged one is named
instead of being read as fewer or other rows.

:class:`DatasetWriter` gathers rows into parts of at least ``min_rows`` rows, or of whatever
arrived in ``max_seconds``, so a run writes a few dozen parts, not one per task; a run stopped
by ``kill -9`` loses at most the rows gathered since the last part.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import COLUMNS, SCHEMA, SCHEMA_VERSION
from .store_table import ResultsFileError, arrow_schema, columns_to_table, rows_to_columns

__all__ = [
    "RESULTS_DIR",
    "VERSION_KEY",
    "COLUMNS_KEY",
    "MIN_PART_ROWS",
    "MAX_PART_SECONDS",
    "CorruptPartError",
    "part_paths",
    "is_dataset_name",
    "write_part",
    "read_part",
    "read_dataset",
    "DatasetWriter",
]

#: The dataset's folder inside a run folder.
RESULTS_DIR = "results"
#: Parquet key-value metadata naming the schema version and the columns (name -> type, JSON).
VERSION_KEY = b"diffbench.schema_version"
COLUMNS_KEY = b"diffbench.columns"
#: A part is written once this many rows are gathered ...
MIN_PART_ROWS = 10_000
#: ... or once the oldest row gathered is this many seconds old (what ``kill -9`` may lose).
MAX_PART_SECONDS = 30.0

_PART = re.compile(r"part-(\d{6,})\.parquet")
_SET_ASIDE = re.compile(r"part-(\d{6,})\.parquet\.corrupt")
_TEMP = re.compile(r"\.part-\d{6,}\.parquet\..*\.tmp")
_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": [c for c in COLUMNS if SCHEMA[c] == "str"],
    "write_page_checksum": True,
}


class CorruptPartError(ResultsFileError):
    """A part that cannot be read whole (truncated, damaged, not Parquet)."""

    def __init__(self, path: Path, why: str) -> None:
        self.path, self.why = path, why
        super().__init__(
            f"{str(path)!r} is a damaged results part ({why}); it was left untouched. "
            "`diffbench run --resume` sets it aside and measures its rows again."
        )


def _metadata() -> dict[bytes, bytes]:
    return {
        VERSION_KEY: str(SCHEMA_VERSION).encode(),
        COLUMNS_KEY: json.dumps(SCHEMA).encode(),
    }


def is_dataset_name(name: str) -> bool:
    """Whether a file name in a dataset folder is one diffbench writes (a part, a part set
    aside as corrupt, or a temporary file of a write cut short)."""
    return bool(_PART.fullmatch(name) or _SET_ASIDE.fullmatch(name) or _TEMP.fullmatch(name))


def part_paths(directory: str | os.PathLike) -> list[Path]:
    """The parts of the dataset in ``directory``, in the order they were written."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    parts = [p for p in folder.iterdir() if _PART.fullmatch(p.name)]
    return sorted(parts, key=lambda p: int(_PART.fullmatch(p.name).group(1)))


def _next_index(folder: Path) -> int:
    numbers = [
        int(m.group(1))
        for p in folder.iterdir()
        if (m := _PART.fullmatch(p.name) or _SET_ASIDE.fullmatch(p.name))
    ]
    return max(numbers, default=-1) + 1


def write_part(directory: str | os.PathLike, table: pa.Table, index: int) -> Path:
    """Write ``table`` as part ``index`` of the dataset in ``directory``, atomically."""
    folder = Path(directory)
    final = folder / f"part-{index:06d}.parquet"
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, **_WRITE_OPTIONS)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return final


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_schema(path: Path, schema: pa.Schema) -> None:
    """Refuse a part of another schema version or with other columns, naming both versions."""
    meta = schema.metadata or {}
    if VERSION_KEY not in meta:
        raise ResultsFileError(
            f"{str(path)!r} is not a diffbench results part (its Parquet metadata has no "
            f"{VERSION_KEY.decode()}); it was left untouched. Move it away."
        )
    version = meta[VERSION_KEY].decode(errors="replace")
    if version != str(SCHEMA_VERSION):
        raise ResultsFileError(
            f"{str(path)!r} was written with results schema {version}, and this version of "
            f"diffbench reads schema {SCHEMA_VERSION}; read it with the diffbench version that "
            "wrote it. It was left untouched."
        )
    try:
        declared = json.loads(meta.get(COLUMNS_KEY, b"{}"))
    except ValueError:
        declared = {}
    actual = {f.name: str(f.type) for f in schema}
    expected = {f.name: str(f.type) for f in arrow_schema()}
    if declared != SCHEMA or actual != expected:
        missing = sorted(set(SCHEMA) - set(declared or actual))
        extra = sorted(set(declared or actual) - set(SCHEMA))
        raise ResultsFileError(
            f"{str(path)!r} says results schema {version} but its columns differ from those of "
            f"schema {SCHEMA_VERSION} in this version of diffbench (missing {missing}, extra "
            f"{extra}, or other types); it was left untouched."
        )


def read_part(path: str | os.PathLike) -> pa.Table:
    """Read one part whole, its schema checked.

    Raises
    ------
    CorruptPartError
        The file is truncated, damaged or not Parquet.
    diffbench.store_table.ResultsFileError
        It is a Parquet file of another schema version or with other columns.
    """
    path = Path(path)
    try:
        handle = pq.ParquetFile(path, page_checksum_verification=True)
        schema = handle.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise CorruptPartError(path, _why(exc)) from None
    _check_schema(path, schema)
    try:
        table = handle.read()
    except (pa.ArrowException, OSError) as exc:
        raise CorruptPartError(path, _why(exc)) from None
    if table.num_rows != handle.metadata.num_rows:
        raise CorruptPartError(path, "fewer rows than its footer declares")
    return table


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:160] + "...") if len(text) > 160 else text or type(exc).__name__


def read_dataset(directory: str | os.PathLike, *, repair: bool = False) -> pa.Table:
    """Every part of the dataset in ``directory``, concatenated in the order written.

    Parameters
    ----------
    directory : path-like
        The dataset folder (``DIR/results``).
    repair : bool, default False
        Set damaged parts aside (renamed ``part-N.parquet.corrupt``, kept for inspection) with a
        ``RuntimeWarning`` naming each, and read the others: what a resumed run does, so their
        rows are measured again. Without it a damaged part raises :class:`CorruptPartError`.
    """
    tables = []
    for path in part_paths(directory):
        try:
            tables.append(read_part(path))
        except CorruptPartError as exc:
            if not repair:
                raise
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            warnings.warn(
                f"{str(path)!r} is damaged ({exc.why}); set "
                f"aside as {aside.name!r}, its rows will be measured again.",
                RuntimeWarning,
                stacklevel=3,
            )
    if not tables:
        return arrow_schema().empty_table()
    return pa.concat_tables([t.replace_schema_metadata(None) for t in tables])


class DatasetWriter:
    """Append rows to the dataset in ``directory``: gathered, then written a part at a time.

    Parameters
    ----------
    directory : path-like
        The dataset folder; created if missing. Temporary files a killed writer left are removed
        (one writer per folder: the run folder's lock, :mod:`diffbench.folder_lock`).
    min_rows : int, default :data:`MIN_PART_ROWS`
        Write a part once this many rows are gathered.
    max_seconds : float, default :data:`MAX_PART_SECONDS`
        ... or once the oldest gathered row is this old (checked when rows arrive).
    clock : callable, default ``time.monotonic``
        The clock of ``max_seconds`` (tests pass a fake one).
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        min_rows: int = MIN_PART_ROWS,
        max_seconds: float = MAX_PART_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.iterdir():
            if _TEMP.fullmatch(stale.name):
                stale.unlink(missing_ok=True)
        self.min_rows, self.max_seconds, self.clock = int(min_rows), float(max_seconds), clock
        self._index = _next_index(self.directory)
        self._columns: dict[str, list] = {c: [] for c in COLUMNS}
        self._pending = 0
        self._since: float | None = None
        self.rows_written = 0
        self.parts_written: list[Path] = []

    def append(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Gather ``rows`` (mappings with keys from :data:`COLUMNS`), checked now; write a part
        if enough rows, or old enough ones, are gathered. Returns the number of rows taken."""
        batch = rows_to_columns(rows)
        count = len(batch["key"])
        if not count:
            return 0
        for name, values in batch.items():
            self._columns[name].extend(values)
        self._pending += count
        self.rows_written += count
        if self._since is None:
            self._since = self.clock()
        if self._pending >= self.min_rows or self.clock() - self._since >= self.max_seconds:
            self.flush()
        return count

    def flush(self) -> Path | None:
        """Write the gathered rows as one part now (nothing if none are gathered)."""
        if not self._pending:
            return None
        table = columns_to_table(self._columns, _metadata())
        path = write_part(self.directory, table, self._index)
        self._index += 1
        self._columns = {c: [] for c in COLUMNS}
        self._pending, self._since = 0, None
        self.parts_written.append(path)
        return path

    def close(self) -> None:
        """Write what is gathered (also when the run was interrupted by an exception)."""
        self.flush()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
