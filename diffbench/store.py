"""Keeping results: a Parquet dataset appended part by part, and a small run-info JSON.

A run folder ``DIR`` holds ``run.json`` and the dataset ``DIR/results/``: one Parquet file per
batch of rows written (``part-000000.parquet``, ...; :mod:`diffbench.store_parquet`), each
written whole under a temporary name and renamed, so an interrupted run (Ctrl-C, ``kill -9``)
keeps every part written before and loses at most the rows gathered for the next one. Each row
carries a ``key`` naming the measurement (problem, point, method label, step or grid size,
region, measure): resuming skips the keys already present, so no row is lost or repeated.

A part that cannot be read whole is named, never read as fewer rows: :func:`read_results`
raises, and a resumed run sets it aside and measures its rows again. A part or file of another
schema version is refused naming both versions. Folders written before the dataset hold one
``results.csv`` (:mod:`diffbench.store_csv`); they are still read, and ``--resume`` moves their
rows into the dataset. A folder holding both is refused: which one is the run is not guessed.
:func:`export_csv` writes the flat CSV.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .schema import COLUMNS, MEASURES, REGIONS, STATUSES
from .store_csv import (
    format_rows,
    read_csv_results,
    warn_duplicates,
    write_csv,
    written_by_diffbench,
)
from .store_parquet import (
    RESULTS_DIR,
    CorruptPartError,
    DatasetWriter,
    is_dataset_name,
    part_paths,
    read_dataset,
    read_part,
)
from .store_table import (
    ResultsFileError,
    columns_to_table,
    rows_to_columns,
    table_to_frame,
)

__all__ = [
    "COLUMNS",
    "written_by_diffbench",
    "RESULTS_FILE",
    "RESULTS_DIR",
    "RUN_INFO_FILE",
    "EXPORT_FILE",
    "STATUSES",
    "MEASURES",
    "REGIONS",
    "ResultsFileError",
    "CorruptPartError",
    "ResultsWriter",
    "measurement_key",
    "read_results",
    "read_run_info",
    "write_run_info",
    "results_path",
    "check_writable",
    "check_replaceable",
    "remove_results",
    "resume_keys",
    "export_csv",
    "format_rows",
    "rows_to_frame",
]

#: The single CSV file of the runs made before the Parquet dataset (still read).
RESULTS_FILE = "results.csv"
RUN_INFO_FILE = "run.json"
#: Default file of :func:`export_csv`, next to the dataset.
EXPORT_FILE = "results-export.csv"


def results_path(directory: str | os.PathLike) -> Path:
    """Where the results of a run folder are: ``DIR/results`` (the dataset), or
    ``DIR/results.csv`` for a folder written before the dataset; a file path is returned as is.
    """
    path = Path(directory)
    if path.suffix in (".csv", ".parquet"):
        return path
    legacy = path / RESULTS_FILE
    return legacy if legacy.exists() and not (path / RESULTS_DIR).exists() else path / RESULTS_DIR


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


class ResultsWriter(DatasetWriter):
    """Append rows to the dataset of the run folder ``directory`` (``directory/results``).

    Rows are gathered and written a part at a time (see
    :class:`~diffbench.store_parquet.DatasetWriter` for ``min_rows``, ``max_seconds`` and
    ``clock``); closing writes what is gathered.

    Parameters
    ----------
    directory : path-like
        The run folder.
    **options
        ``min_rows``, ``max_seconds``, ``clock`` of the dataset writer.
    """

    def __init__(self, directory: str | os.PathLike, **options: Any) -> None:
        super().__init__(Path(directory) / RESULTS_DIR, **options)


def rows_to_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows (mappings) to the DataFrame :func:`read_results` would give for them."""
    return table_to_frame(columns_to_table(rows_to_columns(rows)), "rows")


def _locate(path: Path) -> tuple[str, Path]:
    """``("csv", file)``, ``("part", file)`` or ``("dataset", folder)`` for a results path."""
    if path.suffix == ".csv" or path.suffix == ".parquet":
        if not path.is_file():
            raise ResultsFileError(f"no results file at {str(path)!r}; run `diffbench run` first.")
        return ("csv" if path.suffix == ".csv" else "part"), path
    legacy, dataset = path / RESULTS_FILE, path / RESULTS_DIR
    if legacy.exists() and dataset.exists():
        raise ResultsFileError(
            f"{str(path)!r} holds both {RESULTS_FILE} (the store of diffbench before the Parquet "
            f"dataset) and {RESULTS_DIR}/ (the dataset); which is the run is not guessed. Move "
            f"{RESULTS_FILE} away to read the dataset, or {RESULTS_DIR}/ to read the CSV."
        )
    if legacy.exists():
        return "csv", legacy
    if dataset.is_dir():
        return "dataset", dataset
    if path.is_dir() and part_paths(path):  # the dataset folder itself
        return "dataset", path
    raise ResultsFileError(
        f"no results file at {str(path)!r} (neither {RESULTS_DIR}/ nor {RESULTS_FILE}); run "
        "`diffbench run` first."
    )


def read_results(path: str | os.PathLike, *, repair: bool = False) -> pd.DataFrame:
    """Read a run's results into a typed DataFrame.

    Parameters
    ----------
    path : path-like
        A run folder (holding ``results/`` or, written by an earlier version, ``results.csv``),
        a dataset folder, one Parquet part, or a CSV file (an earlier version's, or an export).
    repair : bool, default False
        What a resumed run does: damaged parts are set aside (renamed ``*.corrupt``, with a
        warning naming each) and the others read; in a CSV file an unterminated last line (a
        write cut short) is removed. Without it a damaged part raises, and an unterminated CSV
        line is ignored with a warning.

    Returns
    -------
    pandas.DataFrame
        One row per measurement, columns :data:`COLUMNS`, in the order written; integer
        columns are nullable ``Int64``, booleans ``boolean``, floats ``float64`` (missing values
        NaN), text ``object``.

    Raises
    ------
    ResultsFileError
        No results, a folder holding both a dataset and ``results.csv``, a damaged part
        (:class:`CorruptPartError`, naming the file), a part or file of another schema version
        (naming both versions), or a CSV line that does not parse. No file is modified.

    Examples
    --------
    >>> df = read_results("reports/showcase")  # doctest: +SKIP
    >>> ok = df.query("measure == 'accuracy' and status == 'ok'")  # doctest: +SKIP
    >>> ok.groupby("label").rel_error.min()  # doctest: +SKIP
    """
    kind, where = _locate(Path(path))
    if kind == "csv":
        return read_csv_results(where, repair=repair)
    table = read_part(where) if kind == "part" else read_dataset(where, repair=repair)
    df = table_to_frame(table, str(where))
    warn_duplicates(df, str(where))
    return df


def check_replaceable(directory: str | os.PathLike) -> None:
    """Refuse a new run into ``directory`` when it would replace something diffbench did not
    write: a ``results.csv`` whose header is not a diffbench one, or a ``results`` entry that
    is not a dataset folder of diffbench's files. (Any version's results may be replaced.)

    Raises
    ------
    ResultsFileError
        Naming the file and saying it was left untouched.
    """
    folder = Path(directory)
    legacy, dataset = folder / RESULTS_FILE, folder / RESULTS_DIR
    if legacy.exists():
        try:
            with legacy.open(encoding="utf-8") as fh:
                header = fh.readline().rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ResultsFileError(
                f"cannot read {str(legacy)!r} ({exc}); it was left untouched."
            ) from None
        if not written_by_diffbench(header):
            raise ResultsFileError(
                f"{str(legacy)!r} exists and is not a diffbench results file; it was left "
                "untouched. Move it away or choose another output directory."
            )
    if dataset.exists() or dataset.is_symlink():
        foreign = not dataset.is_dir() or [
            p.name for p in dataset.iterdir() if not is_dataset_name(p.name)
        ]
        if foreign:
            raise ResultsFileError(
                f"{str(dataset)!r} exists and is not a diffbench results dataset (it holds "
                f"{foreign if isinstance(foreign, list) else 'a file'}); it was left untouched. "
                "Move it away or choose another output directory."
            )


def remove_results(directory: str | os.PathLike) -> None:
    """Remove the results of ``directory`` (after :func:`check_replaceable`): ``results.csv``
    and the dataset's files."""
    folder = Path(directory)
    (folder / RESULTS_FILE).unlink(missing_ok=True)
    dataset = folder / RESULTS_DIR
    if dataset.is_dir():
        for path in dataset.iterdir():
            if is_dataset_name(path.name):
                path.unlink(missing_ok=True)


def resume_keys(directory: str | os.PathLike) -> set[str]:
    """The keys already measured in the run folder ``directory``, readied for appending.

    Damaged parts are set aside with a warning (their rows are measured again). A folder
    written before the dataset has its ``results.csv`` moved into the dataset: its rows are
    written as the first part (an unterminated last line dropped, with a warning), then the CSV
    file is removed.
    """
    folder = Path(directory)
    if not (folder / RESULTS_FILE).exists() and not (folder / RESULTS_DIR).exists():
        return set()
    df = read_results(folder, repair=True)
    if _locate(folder)[0] == "csv":
        with ResultsWriter(folder) as writer:
            writer.append(df.to_dict("records"))
        (folder / RESULTS_FILE).unlink()
    return set(df["key"])


def export_csv(
    source: str | os.PathLike = "reports", output: str | os.PathLike | None = None
) -> Path:
    """Write a run's table as one flat CSV file (the columns and formatting of the CSV store).

    Parameters
    ----------
    source : path-like
        A run folder, dataset folder or part (as for :func:`read_results`).
    output : path-like, optional
        The CSV file; default ``results-export.csv`` in the run folder. An existing file is
        replaced only if it is a diffbench CSV, and never is a run folder's ``results.csv``
        next to a dataset (the folder would then hold both).

    Returns
    -------
    pathlib.Path
        The file written (atomically), readable by ``pandas.read_csv``.

    Raises
    ------
    ResultsFileError
        ``source`` holds no readable results (see :func:`read_results`).
    ValueError
        ``output`` is a directory, a foreign file, or a ``results.csv`` next to a dataset.
    """
    df = read_results(source)
    src = Path(source)
    folder = src.parent if src.suffix in (".csv", ".parquet") else src
    if folder.name == RESULTS_DIR and not (folder / RESULTS_DIR).exists():
        folder = folder.parent
    out = Path(output) if output is not None else folder / EXPORT_FILE
    _check_export_target(out)
    return write_csv(df, out)


def _check_export_target(out: Path) -> None:
    if out.is_dir():
        raise ValueError(f"`output` {str(out)!r} is a directory; give the CSV file's name.")
    if out.name == RESULTS_FILE and (out.parent / RESULTS_DIR).exists():
        raise ValueError(
            f"`output` {str(out)!r} would sit next to the dataset {RESULTS_DIR}/, and a folder "
            "holding both is refused when read; choose another name."
        )
    if out.parent.name == RESULTS_DIR or not out.parent.is_dir():
        raise ValueError(
            f"`output` {str(out)!r}: its folder does not exist or is a dataset folder."
        )
    if out.exists():
        try:
            with out.open(encoding="utf-8") as fh:
                header = fh.readline()
        except (OSError, UnicodeDecodeError):
            header = ""
        if not written_by_diffbench(header):
            raise ValueError(
                f"`output` {str(out)!r} exists and is not a CSV diffbench wrote; it was left "
                "untouched. Choose another file or move it away."
            )


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
