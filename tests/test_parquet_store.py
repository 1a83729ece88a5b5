"""The Parquet results dataset: dtypes round-trip, parts of another schema or damaged parts are
named, resume redoes a damaged part's keys, ``export --csv``, and the number of parts."""

from __future__ import annotations

import json
import math

import pandas as pd
import pyarrow.parquet as pq
import pytest

from diffbench import cli
from diffbench.runner import sweep
from diffbench.schema import COLUMNS, SCHEMA, SCHEMA_VERSION
from diffbench.store import (
    CorruptPartError,
    ResultsFileError,
    ResultsWriter,
    export_csv,
    measurement_key,
    read_results,
    rows_to_frame,
)
from diffbench.store_parquet import (
    COLUMNS_KEY,
    MAX_PART_SECONDS,
    MIN_PART_ROWS,
    VERSION_KEY,
    DatasetWriter,
    part_paths,
    read_part,
    write_part,
)
from diffbench.store_table import arrow_schema, frame_to_table

SMALL = {
    "methods": ["central(order=2)", "sympy"],
    "problems": ["runge"],
    "steps": [1e-2, 1e-4, 1e-6],
    "cost": False,
}

#: One value of every column, none missing.
FULL = {
    "run_id": "r1",
    "measure": "accuracy",
    "schema_version": SCHEMA_VERSION,
    "problem": "p",
    "tags": "smooth;poly",
    "dim": 2,
    "point": 1,
    "point_values": "[0.5, -1e+300]",
    "method": "central",
    "label": "central(order=2)",
    "settings": '{"order": 2}',
    "family": "finite-difference",
    "kind": "step",
    "form": "point",
    "derivative_kind": "hessian",
    "step_rule": "guarded",
    "nfev_extra": 17,
    "deriv": 3,
    "needs": "vectorized",
    "black_box": True,
    "noise_linear": False,
    "reference": "extrapolated",
    "wraps": "numdifftools",
    "peer": True,
    "order": 2,
    "theoretical_step": 6.0554544523933395e-06,
    "step_rel": 0.1 + 0.2,
    "step": 5e-324,
    "step_used": 1e308,
    "grid_size": 4096,
    "region": "interior",
    "abs_error": 0.0,
    "rel_error": -0.0,
    "error_estimate": math.inf,
    "asymmetry": 1e-17,
    "nfev": 2**40,
    "time": 1.5e-6,
    "time_number": 100,
    "time_repeats": "[1e-06, 2e-06]",
    "prepare_time": 0.036,
    "status": "ok",
    "message": 'comma, "quote"',
    "versions": "diffbench 0.1.0",
}
FULL["key"] = measurement_key("accuracy", "p", 1, FULL["label"], FULL["step"], 4096, "interior")


def minimal(point: int) -> dict:
    """A row with every column that may be missing left out."""
    keep = ("run_id", "measure", "problem", "method", "label", "region", "status")
    row = {c: FULL[c] for c in keep}
    return {
        **row,
        "point": point,
        "key": measurement_key("accuracy", "p", point, "m", None, None, "point"),
    }


def test_every_column_round_trips_with_its_dtype(tmp_path):
    rows = [FULL, minimal(7)]
    with ResultsWriter(tmp_path) as writer:
        writer.append(rows)
    df = read_results(tmp_path)
    expected = {"int": "Int64", "bool": "boolean", "float": "float64", "str": "object"}
    assert {c: str(df[c].dtype) for c in COLUMNS} == {c: expected[SCHEMA[c]] for c in COLUMNS}
    for column in COLUMNS:
        value = df[column].iloc[0]
        assert value == FULL[column] or (isinstance(value, float) and math.isnan(FULL[column]))
    assert math.copysign(1.0, df["rel_error"].iloc[0]) == -1.0  # -0.0 kept
    blank = df.iloc[1]
    assert pd.isna(blank["nfev"]) and pd.isna(blank["peer"]) and math.isnan(blank["step"])
    assert blank["message"] == "" and blank["wraps"] == ""
    pd.testing.assert_frame_equal(df, rows_to_frame(rows))
    # the schema travels in the part's metadata
    (part,) = part_paths(tmp_path / "results")
    meta = pq.ParquetFile(part).schema_arrow.metadata
    assert meta[VERSION_KEY] == str(SCHEMA_VERSION).encode()
    assert json.loads(meta[COLUMNS_KEY]) == SCHEMA


def write_foreign_part(folder, metadata, table=None):
    folder.mkdir(parents=True, exist_ok=True)
    table = frame_to_table(rows_to_frame([FULL])) if table is None else table
    return write_part(folder, table.replace_schema_metadata(metadata), 0)


def test_a_part_of_another_schema_version_is_refused_naming_the_file(tmp_path):
    meta = {VERSION_KEY: str(SCHEMA_VERSION + 1).encode(), COLUMNS_KEY: json.dumps(SCHEMA).encode()}
    part = write_foreign_part(tmp_path / "results", meta)
    match = rf"{part.name}.*schema {SCHEMA_VERSION + 1}, and this .* reads schema {SCHEMA_VERSION}"
    with pytest.raises(ResultsFileError, match=match):
        read_results(tmp_path)
    with pytest.raises(ResultsFileError, match=match):  # a resumed run refuses it as well
        read_results(tmp_path, repair=True)
    assert part.exists()


def test_a_part_with_other_columns_is_refused_naming_the_file(tmp_path):
    table = frame_to_table(rows_to_frame([FULL])).drop_columns(["asymmetry"])
    columns = {c: k for c, k in SCHEMA.items() if c != "asymmetry"}
    meta = {VERSION_KEY: str(SCHEMA_VERSION).encode(), COLUMNS_KEY: json.dumps(columns).encode()}
    part = write_foreign_part(tmp_path / "results", meta, table)
    with pytest.raises(ResultsFileError, match=rf"{part.name}.*missing \['asymmetry'\]"):
        read_results(tmp_path)
    plain = tmp_path / "other" / "results"
    write_foreign_part(plain, None)
    with pytest.raises(ResultsFileError, match="not a diffbench results part"):
        read_results(plain.parent)


def split_and_truncate(run_dir):
    """Rewrite the run's dataset as two parts and cut the second short (a bad copy)."""
    table = read_part(part_paths(run_dir / "results")[0])
    for p in part_paths(run_dir / "results"):
        p.unlink()
    half = table.num_rows // 2
    write_part(run_dir / "results", table.slice(0, half), 0)
    second = write_part(run_dir / "results", table.slice(half), 1)
    data = second.read_bytes()
    second.write_bytes(data[: len(data) // 2])
    return table, half, second


def test_a_truncated_part_is_named_then_redone_on_resume(tmp_path, capsys):
    full = sweep(**SMALL, output=tmp_path)
    table, half, second = split_and_truncate(tmp_path)
    with pytest.raises(CorruptPartError, match=second.name):
        read_results(tmp_path)  # never read as fewer rows
    code = cli.main(["report", "--input", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and second.name in err and len(err.strip().splitlines()) == 1
    with pytest.warns(RuntimeWarning, match=rf"{second.name}.*damaged.*set aside"):
        resumed = sweep(**SMALL, output=tmp_path, resume=True)
    assert resumed["key"].is_unique and len(resumed) == len(full) > half
    assert set(resumed["key"]) == set(full["key"])
    assert resumed["key"].iloc[:half].tolist() == full["key"].iloc[:half].tolist()
    cols = ["key", "rel_error", "abs_error", "nfev", "status"]
    a = full[cols].sort_values("key").reset_index(drop=True)
    b = resumed[cols].sort_values("key").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "results" / f"{second.name}.corrupt").exists()  # kept for inspection
    pd.testing.assert_frame_equal(read_results(tmp_path), resumed)


def test_duplicated_keys_across_parts_are_named(tmp_path):
    for _ in range(2):
        with ResultsWriter(tmp_path) as writer:
            writer.append([FULL])
    assert len(part_paths(tmp_path / "results")) == 2
    with pytest.warns(RuntimeWarning, match="1 duplicated measurement keys"):
        assert len(read_results(tmp_path)) == 2


def test_export_csv_equals_the_table(tmp_path, capsys):
    df = sweep(**SMALL, output=tmp_path / "run")
    out = tmp_path / "flat.csv"
    code = cli.main(["export", "--csv", "--input", str(tmp_path / "run"), "--output", str(out)])
    assert code == 0 and str(out) in capsys.readouterr().out
    pd.testing.assert_frame_equal(read_results(out), df)
    flat = pd.read_csv(out)
    assert list(flat.columns) == list(COLUMNS) and len(flat) == len(df)
    assert flat["key"].tolist() == df["key"].tolist()
    assert flat["rel_error"].tolist() == pytest.approx(df["rel_error"].tolist(), rel=0, nan_ok=True)
    # the Python function, default file next to the dataset
    assert export_csv(tmp_path / "run").read_bytes() == out.read_bytes()


def test_export_with_a_bad_input_is_a_one_line_error(tmp_path, capsys):
    for argv in (
        ["export", "--csv", "--input", str(tmp_path / "missing")],
        ["export", "--input", str(tmp_path)],  # --csv is required
    ):
        code = cli.main(argv)
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    cli.main(["export", "--csv", "--input", str(tmp_path / "missing")])
    assert "no results file" in capsys.readouterr().err
    (tmp_path / "notes.csv").write_text("mine\n")
    sweep(**SMALL, output=tmp_path)
    code = cli.main(
        ["export", "--csv", "--input", str(tmp_path), "--output", str(tmp_path / "notes.csv")]
    )
    assert code == 2 and "not a CSV diffbench wrote" in capsys.readouterr().err
    assert (tmp_path / "notes.csv").read_text() == "mine\n"


def test_a_folder_holding_both_stores_is_refused(tmp_path):
    sweep(**SMALL, output=tmp_path)
    export_csv(tmp_path, tmp_path / "copy.csv").rename(tmp_path / "results.csv")
    with pytest.raises(ResultsFileError, match="holds both results.csv .* and results/"):
        read_results(tmp_path)
    with pytest.raises(ResultsFileError, match="holds both"):
        sweep(**SMALL, output=tmp_path, resume=True)


def test_parts_are_gathered_so_their_number_is_bounded(tmp_path):
    now = [0.0]
    rows = [{**FULL, "key": f"k{i}"} for i in range(65_000)]
    # 1,000 tasks of 65 rows each, a second apart: parts of MIN_PART_ROWS rows or 30 s
    with DatasetWriter(tmp_path / "rows", clock=lambda: now[0], max_seconds=math.inf) as writer:
        for start in range(0, len(rows), 65):
            writer.append(rows[start : start + 65])
            now[0] += 1.0
    assert len(writer.parts_written) == math.ceil(len(rows) / MIN_PART_ROWS)
    now[0] = 0.0
    with DatasetWriter(tmp_path / "time", clock=lambda: now[0], min_rows=10**9) as writer:
        for start in range(0, 6500, 65):
            writer.append(rows[start : start + 65])
            now[0] += 1.0
    assert len(writer.parts_written) == math.ceil(100 / MAX_PART_SECONDS)
    assert read_results(tmp_path / "time")["key"].tolist() == [r["key"] for r in rows[:6500]]
    # a default run (68,700 rows in about 160 s) writes a handful of parts, not one per task
    assert 68_700 / MIN_PART_ROWS + 160 / MAX_PART_SECONDS < 20


def test_a_write_cut_short_leaves_no_part_and_its_temporary_file_is_cleared(tmp_path):
    folder = tmp_path / "results"
    with ResultsWriter(tmp_path) as writer:
        writer.append([FULL])
    stale = folder / ".part-000001.parquet.999.tmp"
    stale.write_bytes(b"PAR1 half a part")
    assert len(read_results(tmp_path)) == 1  # the temporary file is not a part
    with ResultsWriter(tmp_path) as writer:
        writer.append([{**FULL, "key": "other"}])
    assert not stale.exists() and [p.name for p in part_paths(folder)] == [
        "part-000000.parquet",
        "part-000001.parquet",
    ]
    assert arrow_schema().names == list(COLUMNS)
