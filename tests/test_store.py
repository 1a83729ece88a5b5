"""The results store: exact round trips, appends, corrupt files left untouched.

The store is a Parquet dataset (``results/``); the CSV tests read a ``results.csv`` as runs of
earlier versions wrote it (made here with :func:`write_legacy`), which is still read."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest

from diffbench.schema import SCHEMA_VERSION
from diffbench.store import (
    COLUMNS,
    ResultsFileError,
    ResultsWriter,
    check_writable,
    export_csv,
    format_rows,
    measurement_key,
    read_results,
    read_run_info,
    rows_to_frame,
    write_run_info,
)
from diffbench.store_csv import write_csv

#: Columns schema 2 added.
V2_ONLY = {
    "schema_version",
    "form",
    "needs",
    "black_box",
    "noise_linear",
    "reference",
    "wraps",
    "peer",
}


def row(**kw):
    base = {
        "run_id": "r1",
        "measure": "accuracy",
        "problem": "p",
        "tags": "smooth",
        "dim": 1,
        "point": 0,
        "point_values": "[0.5]",
        "method": "m",
        "label": "m",
        "settings": "{}",
        "family": "finite-difference",
        "kind": "step",
        "region": "point",
        "status": "ok",
        "message": "",
        "versions": "v",
    }
    base.update(kw)
    base.setdefault(
        "key",
        measurement_key(
            base["measure"],
            base["problem"],
            base["point"],
            base["label"],
            base.get("step"),
            None,
            base["region"],
        ),
    )
    return base


def write_legacy(directory, rows):
    """A ``results.csv`` as the CSV store of earlier versions wrote it (header, one line a row)."""
    return write_csv(rows_to_frame(rows), directory / "results.csv")


def test_measurement_key_is_exact_for_steps():
    a = measurement_key("accuracy", "p", 0, "m", 0.1 + 0.2, None, "point")
    b = measurement_key("accuracy", "p", 0, "m", 0.3, None, "point")
    assert a != b  # 0.30000000000000004 is not 0.3
    assert measurement_key("cost", "p", None, "m", None, 16, "edge") == "cost|p||m||16|edge"


def test_round_trip_is_exact(tmp_path):
    rows = [
        row(step=0.1 + 0.2, rel_error=1e-300, abs_error=5e-324, nfev=7, time=1.5e-6),
        row(
            step=1e-16,
            rel_error=math.nan,
            status="non-finite",
            point=1,
            message='comma, "quote"\nand a newline',
        ),
        row(step=np.float64(2.5e-8), rel_error=np.float64(0.0), nfev=np.int64(3), point=2),
    ]
    with ResultsWriter(tmp_path) as writer:
        assert writer.append(rows[:1]) == 1
        assert writer.append(rows[1:]) == 2
    df = read_results(tmp_path)
    assert list(df.columns) == list(COLUMNS)
    assert df["step"].tolist()[0] == 0.1 + 0.2
    assert df["rel_error"].tolist()[0] == 1e-300 and df["abs_error"].tolist()[0] == 5e-324
    assert math.isnan(df["rel_error"].iloc[1]) and df["rel_error"].iloc[2] == 0.0
    assert df["message"].iloc[1] == 'comma, "quote" and a newline'  # one line per row
    assert df["nfev"].dtype == "Int64" and df["nfev"].iloc[0] == 7 and pd.isna(df["nfev"].iloc[1])
    assert df["grid_size"].isna().all()
    assert df["step"].iloc[2] == 2.5e-8
    pd.testing.assert_frame_equal(df, rows_to_frame(rows))
    assert export_csv(tmp_path).read_text().count("\n") == 4  # one line per row, and a header


def test_unknown_columns_are_rejected(tmp_path):
    with (
        ResultsWriter(tmp_path) as writer,
        pytest.raises(ValueError, match="unknown columns"),
    ):
        writer.append([{**row(), "colour": "red"}])


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda lines: ["a,b,c\n", *lines[1:]], r"line 1\).*header"),
        (
            lambda lines: [*lines[:2], "x,y\n", *lines[2:]],
            r"line 3\).*expected \d+ fields, found 2",
        ),
        (
            lambda lines: [lines[0], lines[1].replace(",0.25,", ",zero,", 1)],
            r"line 2\).*does not parse",
        ),
        (lambda lines: [lines[0], lines[1].replace(",ok,", ",fine,")], r"unknown status 'fine'"),
        (lambda lines: [], "no complete header"),
    ],
)
def test_corrupt_files_raise_and_stay_untouched(tmp_path, mutate, match):
    path = write_legacy(
        tmp_path, [row(step=0.25, rel_error=1e-3), row(step=0.5, point=1, rel_error=2e-3)]
    )
    text = "".join(mutate(path.read_text().splitlines(keepends=True)))
    path.write_text(text)
    with pytest.raises(ResultsFileError, match=match):
        read_results(tmp_path, repair=True)
    assert path.read_text() == text


def test_a_table_of_another_schema_version_is_refused_naming_both(tmp_path):
    path = write_legacy(tmp_path, [row(step=0.25, schema_version=SCHEMA_VERSION, form="point")])
    assert read_results(tmp_path)["schema_version"].tolist() == [SCHEMA_VERSION]
    header, line = path.read_text().splitlines()
    # a version-1 table: written before schema_version, form and the capability columns
    v1 = [c for c in COLUMNS if c not in V2_ONLY]
    path.write_text(",".join(v1) + "\n" + ",".join("" for _ in v1) + "\n")
    with pytest.raises(
        ResultsFileError, match=rf"schema 1, and this .* reads schema {SCHEMA_VERSION}"
    ):
        read_results(tmp_path)
    # a future version with the same columns: refused by its schema_version values
    col = COLUMNS.index("schema_version")
    fields = next(csv.reader([line]))
    fields[col] = str(SCHEMA_VERSION + 1)
    future = header + "\n" + ",".join(fields) + "\n"
    path.write_text(future)
    match = rf"schema {SCHEMA_VERSION + 1}, and this .* reads schema {SCHEMA_VERSION}"
    with pytest.raises(ResultsFileError, match=match):
        read_results(tmp_path, repair=True)
    assert path.read_text() == future


def test_a_version_2_table_without_step_rel_is_refused(tmp_path):
    # schema 3 added step_rel (steps became relative); a schema-2 table's `step` meant another
    # thing, so it is refused rather than read with an empty step_rel
    assert SCHEMA_VERSION == 5 and "step_rel" in COLUMNS
    v2 = [c for c in COLUMNS if c != "step_rel"]
    fields = ["2" if c == "schema_version" else "" for c in v2]
    path = tmp_path / "results.csv"
    path.write_text(",".join(v2) + "\n" + ",".join(fields) + "\n")
    with pytest.raises(ResultsFileError, match=r"schema 2, and this .* reads schema 5"):
        read_results(tmp_path)


def test_step_rel_round_trips(tmp_path):
    with ResultsWriter(tmp_path) as writer:
        writer.append([row(step_rel=1e-3, step=1e7), row(point=1, step=0.5)])
    df = read_results(tmp_path)
    assert df["step_rel"].iloc[0] == 1e-3 and df["step"].iloc[0] == 1e7
    assert np.isnan(df["step_rel"].iloc[1]) and df["step_rel"].dtype == float


def test_unterminated_last_line_is_ignored_and_repaired_on_request(tmp_path):
    path = write_legacy(tmp_path, [row(step=0.25), row(step=0.5, point=1)])
    whole = path.read_text()
    cut = whole[: whole.rindex("\n", 0, len(whole) - 1) + 1] + whole.splitlines()[-1][:10]
    path.write_text(cut)
    with pytest.warns(RuntimeWarning, match="unterminated"):
        assert len(read_results(path)) == 1
    assert path.read_text() == cut  # reading alone changes nothing
    with pytest.warns(RuntimeWarning):
        read_results(path, repair=True)
    assert path.read_text() == cut[: cut.rindex("\n") + 1]
    with path.open("a") as fh:  # appending continues cleanly
        fh.write(format_rows([row(step=0.5, point=1)])[0])
    assert len(read_results(path)) == 2


def test_missing_results_file_is_reported(tmp_path):
    with pytest.raises(ResultsFileError, match="run `diffbench run` first"):
        read_results(tmp_path)


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "new" / "dir").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"`output` directory .* cannot be written"):
        check_writable(blocker)
    with pytest.raises(ValueError, match="cannot be written"):
        check_writable(blocker / "below")


def test_run_info_round_trip_and_corruption(tmp_path):
    write_run_info(tmp_path, {"run_id": "abc", "config": {"methods": None}, "seconds": 1.5})
    assert read_run_info(tmp_path)["run_id"] == "abc"
    assert json.loads((tmp_path / "run.json").read_text())["seconds"] == 1.5
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ResultsFileError, match="left untouched"):
        read_run_info(tmp_path)
    assert (tmp_path / "run.json").read_text() == "{not json"
    (tmp_path / "run.json").write_text("[1, 2]")
    with pytest.raises(ResultsFileError, match="not diffbench run information"):
        read_run_info(tmp_path)
