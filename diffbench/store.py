"""Keeping results: one tidy CSV, appended batch by batch, and a small run-info JSON.

Every measurement is one row of ``results.csv`` (columns :data:`COLUMNS`). Rows are appended as
they are produced, each batch with a single ``write`` on a file opened for appending, so a run that
is interrupted (Ctrl-C, ``kill -9``) keeps every batch written before and loses at most the work in
flight. Each row carries a ``key`` naming the measurement (problem, point, method label, step or
grid size, region, measure): resuming skips the keys already present, so no row is lost or
repeated.

A file that does not parse as a results file is never overwritten: :func:`read_results` raises
:class:`ResultsFileError` naming the file and the line. The one repair ever made is dropping an
unterminated last line, the trace of a write cut short, when a run is resumed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .schema import (
    COLUMNS,
    DERIVATIVE_KINDS,
    FORMS,
    MEASURES,
    REGIONS,
    SCHEMA,
    SCHEMA_VERSION,
    STATUSES,
)

__all__ = [
    "COLUMNS",
    "written_by_diffbench",
    "RESULTS_FILE",
    "RUN_INFO_FILE",
    "STATUSES",
    "MEASURES",
    "REGIONS",
    "ResultsFileError",
    "ResultsWriter",
    "measurement_key",
    "read_results",
    "read_run_info",
    "write_run_info",
    "results_path",
    "check_writable",
    "format_rows",
    "rows_to_frame",
]

RESULTS_FILE = "results.csv"
RUN_INFO_FILE = "run.json"


class ResultsFileError(ValueError):
    """A results or run-info file that cannot be read; it is left untouched."""


def written_by_diffbench(header: str) -> bool:
    """Whether a CSV header line is one diffbench writes (this version or another one)."""
    return header.startswith("run_id,key,measure,")


def results_path(directory: str | os.PathLike) -> Path:
    """``directory / results.csv``; a path to a ``.csv`` file is returned as is."""
    path = Path(directory)
    return path if path.suffix == ".csv" else path / RESULTS_FILE


def measurement_key(
    measure: str,
    problem: str,
    point: int | None,
    label: str,
    step: float | None,
    grid_size: int | None,
    region: str,
    derivative_kind: str = "gradient",
    deriv: int | None = None,
    step_rule: str | None = None,
) -> str:
    """The identity of one measurement, unique within a run.

    Steps are written with ``repr`` (round-trips a float exactly); missing parts are empty. A
    measurement of anything but a gradient ends with its ``derivative_kind`` (and ``:k`` for a
    k-th derivative); gradient keys are left as they were. The measurement of a ``step_rule``
    (a ``step-rule`` row) ends with ``rule:<name>``.

    Examples
    --------
    >>> measurement_key("accuracy", "runge", 0, "central(order=2)", 1e-05, None, "point")
    'accuracy|runge|0|central(order=2)|1e-05||point'
    >>> measurement_key("accuracy", "runge-d3", 0, "complex-step", None, None, "point",
    ...                 "derivative", 3)
    'accuracy|runge-d3|0|complex-step|||point|derivative:3'
    >>> measurement_key("step-rule", "runge", 1, "central(order=4)", None, None, "point",
    ...                 step_rule="gmsw")
    'step-rule|runge|1|central(order=4)|||point|rule:gmsw'
    """
    parts = [
        measure,
        problem,
        "" if point is None else str(int(point)),
        label,
        "" if step is None or (isinstance(step, float) and math.isnan(step)) else repr(float(step)),
        "" if grid_size is None else str(int(grid_size)),
        region,
    ]
    if derivative_kind != "gradient":
        parts.append(derivative_kind if deriv is None else f"{derivative_kind}:{int(deriv)}")
    if step_rule is not None:
        parts.append(f"rule:{step_rule}")
    return "|".join(parts)


def _cell(value: Any) -> str:
    """One CSV cell: floats round-trip (repr), missing values are empty, text is one line."""
    if value is None:
        return ""
    if value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value)
    # one row per line, always: the resume logic relies on it
    return text.replace("\r", " ").replace("\n", " ")


def check_writable(directory: str | os.PathLike) -> Path:
    """Create ``directory`` if needed and check a file can be written in it.

    Raises
    ------
    ValueError
        Naming the directory and the reason (exists as a file, permission denied, ...).
    """
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(f"`output` directory {str(path)!r} cannot be written: {reason}.") from None
    return path


class ResultsWriter:
    """Append rows to a results CSV, one ``write`` per batch.

    Parameters
    ----------
    path : path-like
        The CSV file. It is created with a header if missing or empty.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.rows_written = 0
        if new:
            self._write(",".join(COLUMNS) + "\n")

    def _write(self, text: str) -> None:
        data = text.encode("utf-8")
        while data:
            done = os.write(self._fd, data)
            data = data[done:]

    def append(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append ``rows`` (mappings with keys from :data:`COLUMNS`) in one write."""
        text, count = format_rows(rows)
        if count:
            self._write(text)
            self.rows_written += count
        return count

    def close(self) -> None:
        """Close the file (rows are already on disk: each batch is written at once)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def format_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[str, int]:
    """CSV text of ``rows`` (no header), one line per row, and the number of rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    count = 0
    for row in rows:
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"row has unknown columns {sorted(unknown)}.")
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
        count += 1
    return buf.getvalue(), count


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


def _corrupt(path: str, line: int | None, why: str) -> ResultsFileError:
    where = f" (line {line})" if line is not None else ""
    return ResultsFileError(
        f"{path!r} is not a readable diffbench results file{where}: {why}. "
        "It was left untouched; move it away or choose another directory."
    )


def _parse(lines: list[str], source: str) -> pd.DataFrame:
    """Rows of CSV text (header excluded) to a typed DataFrame; ``source`` names them in errors."""
    kinds = [SCHEMA[c] for c in COLUMNS]
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    for number, fields in enumerate(csv.reader(lines), start=2):
        if len(fields) != len(COLUMNS):
            raise _corrupt(source, number, f"expected {len(COLUMNS)} fields, found {len(fields)}")
        try:
            for col, kind, text in zip(columns, kinds, fields, strict=True):
                col.append(_convert(kind, text))
        except ValueError as exc:
            raise _corrupt(source, number, f"a value does not parse ({exc})") from None
    data: dict[str, Any] = {}
    for name, kind, values in zip(COLUMNS, kinds, columns, strict=True):
        if kind == "int":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "bool":
            data[name] = pd.array(values, dtype="boolean")
        elif kind == "float":
            data[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
        else:
            data[name] = pd.Series(values, dtype=object)
    df = pd.DataFrame(data, columns=list(COLUMNS))
    for name, allowed in (("status", STATUSES), ("measure", MEASURES), ("region", REGIONS)):
        bad = ~df[name].isin(allowed)
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise _corrupt(source, first + 2, f"unknown {name} {df[name].iloc[first]!r}")
    bad = (
        df["derivative_kind"].notna() & ~df["derivative_kind"].isin([*DERIVATIVE_KINDS, ""])
    ).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        what = df["derivative_kind"].iloc[first]
        raise _corrupt(source, first + 2, f"unknown derivative_kind {what!r}")
    bad = (df["form"].notna() & ~df["form"].isin([*FORMS, ""])).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise _corrupt(source, first + 2, f"unknown form {df['form'].iloc[first]!r}")
    other = (df["schema_version"].notna() & (df["schema_version"] != SCHEMA_VERSION)).to_numpy()
    if other.any():
        first = int(np.flatnonzero(other)[0])
        raise _corrupt(
            source,
            first + 2,
            f"it was written with results schema {df['schema_version'].iloc[first]}, and this "
            f"version of diffbench reads schema {SCHEMA_VERSION}; read it with the diffbench "
            "version that wrote it",
        )
    return df


def rows_to_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows (mappings) to the DataFrame :func:`read_results` would give for them."""
    text, _ = format_rows(rows)
    return _parse(text.split("\n")[:-1], "rows")


def read_results(path: str | os.PathLike, *, repair: bool = False) -> pd.DataFrame:
    """Read a results CSV written by a sweep into a typed DataFrame.

    Parameters
    ----------
    path : path-like
        A results CSV, or the directory holding ``results.csv``.
    repair : bool, default False
        An unterminated last line (a write cut short by a kill) is always ignored; with
        ``repair=True`` it is also removed from the file, so rows can be appended again.

    Returns
    -------
    pandas.DataFrame
        One row per measurement, columns :data:`COLUMNS`; integer columns are nullable
        ``Int64``, float columns ``float64`` (missing values NaN), text columns ``object``.

    Raises
    ------
    ResultsFileError
        Missing file, wrong header, a row with the wrong number of fields, or a value that does
        not parse. The file is not modified.

    Examples
    --------
    >>> df = read_results("reports")  # doctest: +SKIP
    >>> ok = df.query("measure == 'accuracy' and status == 'ok'")  # doctest: +SKIP
    >>> ok.groupby("label").rel_error.min()  # doctest: +SKIP
    """
    file = results_path(path)
    if not file.is_file():
        raise ResultsFileError(f"no results file at {str(file)!r}; run `diffbench run` first.")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _corrupt(str(file), None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ResultsFileError(f"cannot read {str(file)!r}: {exc.strerror or exc}.") from None
    complete_end = text.rfind("\n") + 1
    tail = text[complete_end:]
    lines = text[:complete_end].split("\n")[:-1]
    if not lines:
        raise _corrupt(str(file), 1, "no complete header line")
    header = next(csv.reader([lines[0]]), [])
    if tuple(header) != COLUMNS:
        if written_by_diffbench(lines[0]):
            raise _corrupt(
                str(file),
                1,
                f"it was written with results schema {_schema_of(header, lines)}, and this "
                f"version of diffbench reads schema {SCHEMA_VERSION}; run `diffbench run` again "
                "to replace it, or read it with the diffbench version that wrote it",
            )
        shown = ", ".join(header[:4])
        raise _corrupt(str(file), 1, f"the header is not the results header (starts {shown!r})")
    df = _parse(lines[1:], str(file))
    _warn_duplicates(df, str(file))
    if tail:
        warnings.warn(
            f"{str(file)!r}: ignoring an unterminated last line (a write was cut short).",
            RuntimeWarning,
            stacklevel=2,
        )
        if repair:
            os.truncate(file, complete_end if text.isascii() else len(text[:complete_end].encode()))
    return df


def _warn_duplicates(df: pd.DataFrame, source: str) -> None:
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
            stacklevel=3,
        )


def _schema_of(header: list[str], lines: list[str]) -> str:
    """The schema version a foreign diffbench table declares (1: before versions were written)."""
    if "schema_version" not in header:
        return "1"
    col = header.index("schema_version")
    row = next(csv.reader(lines[1:2]), [])
    return row[col] if len(row) > col and row[col] else "unknown"


def read_run_info(directory: str | os.PathLike) -> dict[str, Any]:
    """Read ``run.json`` from ``directory``; raise :class:`ResultsFileError` if missing or bad."""
    path = Path(directory) / RUN_INFO_FILE
    if not path.is_file():
        raise ResultsFileError(f"no run information at {str(path)!r}; nothing to resume.")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsFileError(
            f"{str(path)!r} is not readable run information ({exc}); it was left untouched."
        ) from None
    if not isinstance(info, dict) or "run_id" not in info or "config" not in info:
        raise ResultsFileError(
            f"{str(path)!r} is not diffbench run information (no run_id/config); "
            "it was left untouched."
        )
    return info


def write_run_info(directory: str | os.PathLike, info: Mapping[str, Any]) -> Path:
    """Write ``run.json`` atomically (a temporary file renamed over the old one)."""
    path = Path(directory) / RUN_INFO_FILE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".run-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(info), fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
