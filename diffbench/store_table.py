"""The results table in memory: rows to an Arrow table, an Arrow table to the typed DataFrame.

Both stores (the Parquet dataset, :mod:`diffbench.store_parquet`, and the CSV file of earlier
versions, :mod:`diffbench.store_csv`) end in :func:`check_frame`, so a table reads the same,
and is refused for the same reasons, whichever file it came from. A value is normalised the way
the CSV store wrote it: text is one line (newlines become spaces), missing text is ``""``,
missing numbers are NaN (floats) or ``<NA>`` (integers and booleans).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
    "ResultsFileError",
    "ARROW_TYPES",
    "arrow_schema",
    "corrupt",
    "normalise",
    "rows_to_columns",
    "columns_to_table",
    "table_to_frame",
    "check_frame",
    "frame_to_table",
]

#: Arrow type of each kind of column of :data:`diffbench.schema.SCHEMA`.
ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
}


class ResultsFileError(ValueError):
    """A results or run-info file that cannot be read; it is left untouched."""


def arrow_schema(metadata: Mapping[bytes, bytes] | None = None) -> pa.Schema:
    """The Arrow schema of the table (columns :data:`COLUMNS` in order), with ``metadata``."""
    return pa.schema([(c, ARROW_TYPES[SCHEMA[c]]) for c in COLUMNS], metadata=metadata)


def corrupt(path: str, where: str | None, why: str) -> ResultsFileError:
    """The error for a file that is not a readable results file; ``where`` is e.g. ``line 4``."""
    at = f" ({where})" if where else ""
    return ResultsFileError(
        f"{path!r} is not a readable diffbench results file{at}: {why}. "
        "It was left untouched; move it away or choose another directory."
    )


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    if type(value) is str:
        return value.replace("\r", " ").replace("\n", " ")
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    # one row per line, always (the CSV export relies on it)
    return str(value).replace("\r", " ").replace("\n", " ")


def _integer(value: Any) -> int | None:
    if type(value) is int or value is None:
        return value
    if _missing(value):
        return None
    if isinstance(value, bool | np.bool_) or int(value) != value:
        raise ValueError(f"{value!r} is not an integer")
    return int(value)


def _real(value: Any) -> float:
    if type(value) is float:
        return value
    if _missing(value):
        return math.nan
    if isinstance(value, bool | np.bool_ | str):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _boolean(value: Any) -> bool | None:
    if type(value) is bool or value is None:
        return value
    if _missing(value):
        return None
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{value!r} is not true or false")
    return bool(value)


#: Normaliser of each kind of column.
_NORMALISE: dict[str, Callable[[Any], Any]] = {
    "str": _text,
    "int": _integer,
    "float": _real,
    "bool": _boolean,
}


def normalise(column: str, value: Any) -> Any:
    """``value`` as column ``column`` stores it (see the module docstring).

    Examples
    --------
    >>> normalise("message", "two\\nlines"), normalise("nfev", None), normalise("step", None)
    ('two lines', None, nan)
    """
    return _NORMALISE[SCHEMA[column]](value)


def rows_to_columns(rows: Iterable[Mapping[str, Any]]) -> dict[str, list]:
    """Rows (mappings with keys from :data:`COLUMNS`) to normalised column lists.

    Raises
    ------
    ValueError
        A row with a column not in :data:`COLUMNS`, or a value its column cannot hold.
    """
    rows = list(rows)
    known = set(COLUMNS)
    for row in rows:
        unknown = row.keys() - known
        if unknown:
            raise ValueError(f"row has unknown columns {sorted(unknown)}.")
    columns: dict[str, list] = {}
    for name in COLUMNS:
        convert = _NORMALISE[SCHEMA[name]]
        try:
            columns[name] = [convert(row.get(name)) for row in rows]
        except (TypeError, ValueError):
            for row in rows:
                try:
                    convert(row.get(name))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"row {row.get('key')!r}: column {name!r}: {exc}.") from None
    return columns


def columns_to_table(
    columns: Mapping[str, list], metadata: Mapping[bytes, bytes] | None = None
) -> pa.Table:
    """Normalised column lists (:func:`rows_to_columns`) to an Arrow table of the schema."""
    schema = arrow_schema(metadata)
    return pa.Table.from_arrays([pa.array(columns[c], type=schema.field(c).type) for c in COLUMNS],
                                schema=schema)  # fmt: skip


def frame_to_table(df: pd.DataFrame) -> pa.Table:
    """A results DataFrame (as :func:`table_to_frame` gives) to an Arrow table of the schema."""
    return columns_to_table(rows_to_columns(df.to_dict("records")))


def table_to_frame(table: pa.Table, source: str, unit: str = "row", first: int = 1) -> pd.DataFrame:
    """An Arrow table of the schema to the typed DataFrame, checked by :func:`check_frame`.

    Integer columns become nullable ``Int64``, booleans ``boolean``, floats ``float64`` (missing:
    NaN) and text ``object`` (missing: ``""``).
    """
    data: dict[str, Any] = {}
    for name in COLUMNS:
        column = table.column(name)
        kind = SCHEMA[name]
        if kind == "int":
            data[name] = pd.array(column.to_pylist(), dtype="Int64")
        elif kind == "bool":
            data[name] = pd.array(column.to_pylist(), dtype="boolean")
        elif kind == "float":
            values = column.to_numpy(zero_copy_only=False)
            data[name] = np.asarray(values, dtype=float)
        else:
            values = column.fill_null("").to_numpy(zero_copy_only=False)
            data[name] = pd.Series(np.asarray(values, dtype=object), dtype=object)
    df = pd.DataFrame(data, columns=list(COLUMNS))
    check_frame(df, source, unit, first)
    return df


def check_frame(df: pd.DataFrame, source: str, unit: str = "row", first: int = 1) -> None:
    """Refuse a table holding words its categorical columns do not use, or rows of another
    schema version; the error names ``source`` and the first bad ``unit`` (row ``first`` + i)."""

    def first_bad(bad: np.ndarray) -> int | None:
        return int(np.flatnonzero(bad)[0]) if bad.any() else None

    checks = [(c, s, False) for c, s in (("status", STATUSES), ("measure", MEASURES))]
    checks += [("region", REGIONS, False), ("derivative_kind", DERIVATIVE_KINDS, True)]
    checks += [("form", FORMS, True)]
    for name, allowed, may_be_empty in checks:
        words = [*allowed, ""] if may_be_empty else list(allowed)
        i = first_bad(~df[name].isin(words).to_numpy())
        if i is not None:
            raise corrupt(source, f"{unit} {i + first}", f"unknown {name} {df[name].iloc[i]!r}")
    version = df["schema_version"]
    i = first_bad((version.notna() & (version != SCHEMA_VERSION)).to_numpy(bool, na_value=False))
    if i is not None:
        raise corrupt(
            source,
            f"{unit} {i + first}",
            f"it was written with results schema {version.iloc[i]}, and this version of "
            f"diffbench reads schema {SCHEMA_VERSION}; read it with the diffbench version that "
            "wrote it",
        )
