"""The flat CSV form of the results table: written by ``diffbench export --csv``, and read from the
``results.csv`` of runs made before the Parquet dataset (:mod:`diffbench.store_parquet`).

One row per line, columns :data:`~diffbench.schema.COLUMNS`; floats are written with ``repr`` (so
they round-trip exactly), missing values are empty, booleans are ``true`` / ``false``. A file
that does not parse is never modified: :func:`read_csv_results` raises
:class:`~diffbench.store_table.ResultsFileError` naming the file and the line. The one repair
ever made is dropping an unterminated last line, the trace of a write cut short.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .schema import COLUMNS, SCHEMA, SCHEMA_VERSION
from .store_table import ResultsFileError, columns_to_table, corrupt, normalise, table_to_frame

__all__ = [
    "written_by_diffbench",
    "format_rows",
    "read_csv_results",
    "write_csv",
    "warn_duplicates",
]


def written_by_diffbench(header: str) -> bool:
    """Whether a CSV header line is one diffbench writes (this version or another one)."""
    return header.startswith("run_id,key,measure,")


def _cell(column: str, value: Any) -> str:
    """One CSV cell of ``column``: the normalised value as text."""
    value = normalise(column, value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else repr(value)
    return str(value)


def format_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[str, int]:
    """CSV text of ``rows`` (no header), one line per row, and the number of rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    count = 0
    known = set(COLUMNS)
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"row has unknown columns {sorted(unknown)}.")
        writer.writerow([_cell(c, row.get(c)) for c in COLUMNS])
        count += 1
    return buf.getvalue(), count


def _text_column(df: pd.DataFrame, name: str) -> list[str]:
    """Column ``name`` of a table :func:`~diffbench.store.read_results` gave, as CSV cells."""
    kind = SCHEMA[name]
    if kind == "str":
        return df[name].tolist()
    if kind == "float":
        return ["" if v != v else repr(v) for v in df[name].to_numpy(dtype=float).tolist()]
    values = df[name].to_numpy(dtype=object, na_value=None).tolist()
    if kind == "int":
        return ["" if v is None else str(int(v)) for v in values]
    return ["" if v is None else ("true" if v else "false") for v in values]


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the table ``df`` (as :func:`~diffbench.store.read_results` gives it) as CSV, a
    header and one line per row, to ``path``, atomically (a temporary file renamed)."""
    path = Path(path)
    cells = [_text_column(df, name) for name in COLUMNS]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(zip(*cells, strict=True))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _convert(kind: str, text: str) -> Any:
    if kind == "str":
        return text
    if text == "":
        return None
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text == "true"
    return int(text) if kind == "int" else float(text)


def _parse(lines: list[str], source: str) -> pd.DataFrame:
    """Rows of CSV text (header excluded) to the typed DataFrame; ``source`` names them in
    errors."""
    kinds = [SCHEMA[c] for c in COLUMNS]
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    for number, fields in enumerate(csv.reader(lines), start=2):
        if len(fields) != len(COLUMNS):
            raise corrupt(
                source, f"line {number}", f"expected {len(COLUMNS)} fields, found {len(fields)}"
            )
        try:
            for col, kind, text in zip(columns, kinds, fields, strict=True):
                col.append(_convert(kind, text))
        except ValueError as exc:
            raise corrupt(source, f"line {number}", f"a value does not parse ({exc})") from None
    table = columns_to_table(dict(zip(COLUMNS, columns, strict=True)))
    return table_to_frame(table, source, unit="line", first=2)


def read_csv_results(path: str | os.PathLike, *, repair: bool = False) -> pd.DataFrame:
    """Read a results CSV (``diffbench export --csv``, or an earlier version's ``results.csv``).

    An unterminated last line (a write cut short by a kill) is ignored with a warning; with
    ``repair=True`` it is also removed from the file. Any other defect raises
    :class:`~diffbench.store_table.ResultsFileError` naming the file and the line, and the file
    is not modified.
    """
    file = Path(path)
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise corrupt(str(file), None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ResultsFileError(f"cannot read {str(file)!r}: {exc.strerror or exc}.") from None
    complete_end = text.rfind("\n") + 1
    tail = text[complete_end:]
    lines = text[:complete_end].split("\n")[:-1]
    if not lines:
        raise corrupt(str(file), "line 1", "no complete header line")
    header = next(csv.reader([lines[0]]), [])
    if tuple(header) != COLUMNS:
        if written_by_diffbench(lines[0]):
            raise corrupt(
                str(file),
                "line 1",
                f"it was written with results schema {_schema_of(header, lines)}, and this "
                f"version of diffbench reads schema {SCHEMA_VERSION}; run `diffbench run` again "
                "to replace it, or read it with the diffbench version that wrote it",
            )
        shown = ", ".join(header[:4])
        raise corrupt(
            str(file), "line 1", f"the header is not the results header (starts {shown!r})"
        )
    df = _parse(lines[1:], str(file))
    warn_duplicates(df, str(file))
    if tail:
        warnings.warn(
            f"{str(file)!r}: ignoring an unterminated last line (a write was cut short).",
            RuntimeWarning,
            stacklevel=3,
        )
        if repair:
            os.truncate(file, len(text[:complete_end].encode()))
    return df


def warn_duplicates(df: pd.DataFrame, source: str) -> None:
    """A measurement stored twice (two writers at once, a hand-merged file) is named, never
    silently counted twice."""
    dup = df["key"].duplicated(keep="first")
    if dup.any():
        keys = list(dict.fromkeys(df.loc[dup, "key"]))
        shown = ", ".join(repr(k) for k in keys[:3]) + (", ..." if len(keys) > 3 else "")
        warnings.warn(
            f"{source!r} holds {int(dup.sum())} duplicated measurement keys ({len(keys)} distinct, "
            f"e.g. {shown}); tables and the report will count them more than once.",
            RuntimeWarning,
            stacklevel=4,
        )


def _schema_of(header: list[str], lines: list[str]) -> str:
    """The schema version a foreign diffbench table declares (1: before versions were written)."""
    if "schema_version" not in header:
        return "1"
    col = header.index("schema_version")
    row = next(csv.reader(lines[1:2]), [])
    return row[col] if len(row) > col and row[col] else "unknown"
