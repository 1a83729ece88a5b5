"""The asv suite (benchmarks/) and ``diffbench from-asv`` (diffbench/asv_results.py).

Fast tests: the benchmarks measure what the sweep measures (errors checked against exact values
from theory), skip what cannot run, and cover every registered configuration; ``from-asv`` maps
asv's flattened, repr-encoded results onto the table's columns, in product order, and fails with
one line on a missing or malformed directory. No timing is asserted (shared, noisy machine).

The slow test clones the repository, runs a real ``asv run`` in virtualenv mode on a small
benchmark subset of the committed HEAD, publishes it and reads it back through ``from-asv``.
"""

from __future__ import annotations

import json
import math
import platform
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import bench_accuracy, bench_cost, bench_ratios, common
from diffbench.asv_results import AsvResultsError, from_asv, read_asv_results
from diffbench.cli import main
from diffbench.configs import MethodConfig, resolve_methods
from diffbench.problems import get_problem
from diffbench.schema import SCHEMA_VERSION
from diffbench.store import measurement_key, read_results

REPO = Path(__file__).resolve().parents[1]
COLUMNS = [
    "result",
    "params",
    "version",
    "started_at",
    "duration",
    "stats_ci_99_a",
    "stats_ci_99_b",
    "stats_q_25",
    "stats_q_75",
    "stats_number",
    "stats_repeat",
    "samples",
    "profile",
]


# --------------------------------------------------------------------------------------------
# a results directory in asv's format
# --------------------------------------------------------------------------------------------
def write_asv(
    root: Path,
    benchmarks: dict[str, dict],
    values: dict[str, list],
    *,
    commit: str = "0123456789abcdef0123456789abcdef01234567",
    started: int = 1_700_000_000_000,
    stats_number: dict[str, list] | None = None,
) -> Path:
    """Write ``benchmarks.json`` and one result file as ``asv run`` 0.6 does (values flattened
    in parameter product order, parameter values as repr strings, NaN skipped, None failed)."""
    root.mkdir(parents=True, exist_ok=True)
    defs = {}
    for name, b in benchmarks.items():
        defs[name] = {
            "name": name,
            "type": b["type"],
            "unit": b.get("unit", "seconds" if b["type"] == "time" else "unit"),
            "param_names": b["param_names"],
            "params": [[repr(v) for v in vals] for vals in b["params"]],
            "version": "0" * 64,
        }
    (root / "benchmarks.json").write_text(json.dumps({**defs, "version": 2}))
    results = {}
    for name, vals in values.items():
        entry = [vals, defs[name]["params"], "0" * 64, started, 0.5]
        if stats_number and name in stats_number:
            entry += [None, None, None, None, stats_number[name], [1] * len(vals)]
        results[name] = entry
    machine_dir = root / "testbox"
    machine_dir.mkdir(exist_ok=True)
    (machine_dir / "machine.json").write_text(json.dumps({"machine": "testbox", "version": 1}))
    path = machine_dir / f"{commit[:8]}-virtualenv-py3.11.json"
    path.write_text(
        json.dumps(
            {
                "commit_hash": commit,
                "env_name": "virtualenv-py3.11",
                "date": started - 1000,
                "params": {"machine": "testbox", "python": "3.11"},
                "python": "3.11",
                "requirements": {},
                "env_vars": {},
                "result_columns": COLUMNS,
                "results": results,
                "durations": {},
                "version": 2,
            }
        )
    )
    return path


STEP_BENCH = "bench_accuracy.StepAccuracy.track_relative_error"
STEP_DEF = {
    "type": "track",
    "unit": "relative error",
    "param_names": ["label", "problem", "point", "step"],
    "params": [["central(order=2)", "forward(order=1)"], ["seed-square"], [0, 1], [0.1, 0.001]],
}


def test_values_are_read_in_product_order_with_literal_parameters(tmp_path: Path) -> None:
    write_asv(tmp_path, {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1e-1, 2e-1, 3e-1, 4e-1, 5, 6, 7, 8]})
    table, other, run = read_asv_results(tmp_path)
    assert other.empty and len(table) == 8
    assert run.run_id == "asv-testbox-01234567-virtualenv-py3.11"
    # last parameter fastest: forward(order=1), point 1, step 0.1 is the 7th value
    row = table[
        (table["label"] == "forward(order=1)") & (table["point"] == 1) & (table["step"] == 0.1)
    ].iloc[0]
    assert row["rel_error"] == 7.0
    assert (row["method"], row["family"], row["kind"], row["order"]) == (
        "forward",
        "finite-difference",
        "step",
        1,
    )
    assert row["measure"] == "accuracy" and row["status"] == "ok" and row["region"] == "point"
    assert row["tags"] == "polynomial;seed;smooth;unit-scale" and row["dim"] == 1
    assert row["point_values"] == "[0.1]" and json.loads(row["settings"]) == {"order": 1}
    assert row["key"] == measurement_key(
        "accuracy", "seed-square", 1, "forward(order=1)", 0.1, None, "point"
    )
    first = table[(table["label"] == "central(order=2)") & (table["point"] == 0)]
    assert first.set_index("step")["rel_error"].to_dict() == {0.1: 0.1, 0.001: 0.2}
    # the method-describing columns of schema v2, as the sweep writes them
    assert (table["schema_version"] == SCHEMA_VERSION).all() and (table["form"] == "point").all()
    assert (row["needs"], row["black_box"], row["noise_linear"]) == ("", True, True)
    assert (row["reference"], row["wraps"], row["peer"]) == ("none", "", False)


def test_nan_is_skipped_none_is_an_error_and_missing_points_are_dropped(tmp_path: Path) -> None:
    definition = dict(STEP_DEF, params=[["central(order=2)"], ["seed-product"], [0, 1], [0.1]])
    write_asv(tmp_path, {STEP_BENCH: definition}, {STEP_BENCH: [math.nan, math.nan]})
    table, _, _ = read_asv_results(tmp_path)
    # seed-product has one point: its point 1 is no measurement at all
    assert table["point"].tolist() == [0]
    assert table["status"].tolist() == ["skipped"] and math.isnan(table["rel_error"].iloc[0])
    assert "--show-stderr" in table["message"].iloc[0]
    write_asv(tmp_path, {STEP_BENCH: definition}, {STEP_BENCH: [None, math.nan]})
    table, _, _ = read_asv_results(tmp_path)
    assert table["status"].tolist() == ["error"]
    assert "failed" in table["message"].iloc[0]


def test_cost_benchmarks_merge_into_one_row_and_the_rest_is_other(tmp_path: Path) -> None:
    params = [["central", "dual"], [10]]
    names = ["method", "n"]
    benches = {
        "bench_cost.Rosenbrock.time_gradient": {
            "type": "time",
            "param_names": names,
            "params": params,
        },
        "bench_cost.Rosenbrock.track_relative_error": {
            "type": "track",
            "unit": "relative error",
            "param_names": names,
            "params": params,
        },
        "bench_cost.Rosenbrock.track_nfev": {
            "type": "track",
            "unit": "evaluations",
            "param_names": names,
            "params": params,
        },
        "bench_cost.PeakmemRosenbrock.peakmem_gradient": {
            "type": "peakmem",
            "unit": "bytes",
            "param_names": ["method"],
            "params": [["central", "dual"]],
        },
        "bench_ratios.Batching.track_vectorized_over_loop": {
            "type": "track",
            "unit": "ratio",
            "param_names": [],
            "params": [],
        },
    }
    values = {
        "bench_cost.Rosenbrock.time_gradient": [2e-4, 3e-5],
        "bench_cost.Rosenbrock.track_relative_error": [6e-11, 0.0],
        "bench_cost.Rosenbrock.track_nfev": [20, 1],
        "bench_cost.PeakmemRosenbrock.peakmem_gradient": [1.2e8, 1.5e8],
        "bench_ratios.Batching.track_vectorized_over_loop": [0.5],
    }
    write_asv(
        tmp_path, benches, values, stats_number={"bench_cost.Rosenbrock.time_gradient": [5, 50]}
    )
    table, other, _ = read_asv_results(tmp_path)
    assert len(table) == 2 and set(table["measure"]) == {"cost"}
    central = table[table["method"] == "central"].iloc[0]
    assert central["label"] == "central(order=2)" and central["problem"] == "rosenbrock-10"
    assert central["point"] == 0 and central["dim"] == 10 and central["status"] == "ok"
    assert (central["time"], central["rel_error"], central["nfev"]) == (2e-4, 6e-11, 20)
    assert central["time_number"] == 5
    assert central["key"] == measurement_key(
        "cost", "rosenbrock-10", 0, "central(order=2)", None, None, "point"
    )
    assert sorted(other["benchmark"]) == [
        "bench_cost.PeakmemRosenbrock.peakmem_gradient",
        "bench_cost.PeakmemRosenbrock.peakmem_gradient",
        "bench_ratios.Batching.track_vectorized_over_loop",
    ]
    ratio = other[other["unit"] == "ratio"].iloc[0]
    assert (ratio["value"], ratio["parameters"]) == (0.5, "{}")


def test_grid_rows_carry_spacing_size_and_nodes(tmp_path: Path) -> None:
    name = "bench_accuracy.GridAccuracy.track_relative_error"
    definition = {
        "type": "track",
        "unit": "relative error",
        "param_names": ["label", "problem", "grid_size", "region"],
        "params": [
            ["numpy-gradient(edge_order=1, position=center)"],
            ["seed-square"],
            [8],
            [
                "interior",
                "edge",
            ],
        ],
    }
    # nfev is what the suite counted (GridAccuracy.track_nfev), never grid_size ** dim
    nfev = "bench_accuracy.GridAccuracy.track_nfev"
    without_nfev, _, _ = read_asv_results(
        write_asv(tmp_path, {name: definition}, {name: [1e-15, 1 / 7]}).parents[1]
    )
    assert without_nfev["nfev"].isna().all()
    counted = dict(definition, unit="evaluations")
    write_asv(tmp_path, {name: definition, nfev: counted}, {name: [1e-15, 1 / 7], nfev: [8, 8]})
    table, _, _ = read_asv_results(tmp_path)
    edge = table[table["region"] == "edge"].iloc[0]
    assert edge["grid_size"] == 8 and edge["nfev"] == 8 and pd.isna(edge["point"])
    assert (edge["form"], edge["label"]) == ("grid", "numpy-gradient(edge_order=1)")
    assert edge["step"] == pytest.approx(4 / 7, rel=1e-15) and edge["step_used"] == edge["step"]
    assert edge["point_values"] == "grid [-2.0, 2.0]" and edge["rel_error"] == 1 / 7
    assert edge["key"] == measurement_key(
        "accuracy", "seed-square", None, edge["label"], None, 8, "edge"
    )


def test_table_written_is_the_table_read_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    write_asv(tmp_path / "r", {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1.0] * 8})
    out = from_asv(tmp_path / "r", tmp_path / "out", report=False)
    assert out["rows"] == 8 and out["report"] is None
    table, _, _ = read_asv_results(tmp_path / "r")
    pd.testing.assert_frame_equal(read_results(tmp_path / "out"), table)
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["config"]["source"] == "asv" and info["run_id"] == table["run_id"].iloc[0]
    from_asv(tmp_path / "r", tmp_path / "out", report=False)
    assert len(read_results(tmp_path / "out")) == 8
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "results.csv").write_text("my,own,file\n")
    with pytest.raises(AsvResultsError, match="not a diffbench results file"):
        from_asv(tmp_path / "r", tmp_path / "other", report=False)
    assert (tmp_path / "other" / "results.csv").read_text() == "my,own,file\n"


def test_latest_run_by_default_or_the_commit_asked_for(tmp_path: Path) -> None:
    write_asv(tmp_path, {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1.0] * 8}, commit="a" * 40)
    write_asv(
        tmp_path,
        {STEP_BENCH: STEP_DEF},
        {STEP_BENCH: [2.0] * 8},
        commit="b" * 40,
        started=1_800_000_000_000,
    )
    assert set(read_asv_results(tmp_path)[0]["rel_error"]) == {2.0}
    assert set(read_asv_results(tmp_path, commit="aaaa")[0]["rel_error"]) == {1.0}
    with pytest.raises(AsvResultsError, match="no asv results for a commit starting with 'cc'"):
        read_asv_results(tmp_path, commit="cc")


def one_line_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("diffbench from-asv: error: ")
    return err


def test_missing_or_malformed_results_give_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = ["--output", str(tmp_path / "out")]
    err = one_line_error(capsys, ["from-asv", str(tmp_path / "nothing"), *out])
    assert "no asv results directory" in err and "asv run" in err
    (tmp_path / "empty").mkdir()
    assert "no benchmarks.json" in one_line_error(capsys, ["from-asv", str(tmp_path / "empty")])
    path = write_asv(tmp_path / "r", {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1.0] * 8})
    path.write_text("{ not json")
    assert "is not readable asv JSON" in one_line_error(capsys, ["from-asv", str(tmp_path / "r")])
    write_asv(tmp_path / "r", {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1.0] * 7})
    assert "7 values for 8 parameter combinations" in one_line_error(
        capsys, ["from-asv", str(tmp_path / "r"), *out]
    )
    assert not (tmp_path / "out").exists()


def test_parameters_are_parsed_as_literals_never_evaluated(tmp_path: Path) -> None:
    write_asv(tmp_path, {STEP_BENCH: STEP_DEF}, {STEP_BENCH: [1.0] * 8})
    path = next((tmp_path / "testbox").glob("0*.json"))
    data = json.loads(path.read_text())
    data["results"][STEP_BENCH][1][1] = ["__import__('os').getcwd()"]
    path.write_text(json.dumps(data))
    with pytest.raises(AsvResultsError, match="is not a Python literal"):
        read_asv_results(tmp_path)


def test_step_parameter_is_the_relative_step(tmp_path: Path) -> None:
    definition = dict(STEP_DEF, params=[["forward(order=2)"], ["log-large"], [0, 1], [1e-5]])
    write_asv(tmp_path, {STEP_BENCH: definition}, {STEP_BENCH: [1e-9, 2e-9]})
    table, _, _ = read_asv_results(tmp_path)
    assert table["step_rel"].tolist() == [1e-5, 1e-5]
    # step is the step passed at the point: 1e-5 * max(1, |x|), x = 1e10 and 2.7e10
    assert table["step"].tolist() == [1e-5 * 1e10, 1e-5 * 2.7e10]
    assert table["key"].iloc[1] == measurement_key(
        "accuracy", "log-large", 1, "forward(order=2)", 1e-5, None, "point"
    )


def _refused(tmp_path: Path, definition: dict, values: list, bench: str = STEP_BENCH) -> str:
    """The one-line error of reading results holding ``values``; it names file and benchmark."""
    path = write_asv(tmp_path, {bench: definition}, {bench: values})
    with pytest.raises(AsvResultsError) as info:
        read_asv_results(tmp_path)
    message = str(info.value)
    assert str(path) in message and bench in message and "\n" not in message
    return message


@pytest.mark.parametrize("point", [-1, -2])
def test_a_negative_point_index_is_refused(tmp_path: Path, point: int) -> None:
    # point -1 would silently describe the problem's last point
    definition = dict(STEP_DEF, params=[["central(order=2)"], ["seed-square"], [point], [0.1]])
    message = _refused(tmp_path, definition, [1e-3])
    assert f"point index {point} is not an integer >= 0" in message


def test_a_value_for_a_point_the_problem_lacks_is_refused(tmp_path: Path) -> None:
    # seed-product has one point; a NaN there is the suite's skip (dropped), a number is not
    definition = dict(STEP_DEF, params=[["central(order=2)"], ["seed-product"], [0, 5], [0.1]])
    message = _refused(tmp_path, definition, [1e-3, 2e-3])
    assert "a value for point 5 of seed-product, which has 1 point(s)" in message


@pytest.mark.parametrize(
    ("unit", "value", "match"),
    [
        ("relative error", -1e-3, "rel_error -0.001 is negative"),
        ("relative error", "small", "'small' is not a number"),
        ("evaluations", -2, "nfev -2 is not a non-negative integer"),
        ("evaluations", 2.5, "nfev 2.5 is not a non-negative integer"),
    ],
)
def test_negative_or_foreign_values_are_refused(
    tmp_path: Path, unit: str, value: object, match: str
) -> None:
    definition = dict(STEP_DEF, unit=unit, params=[["central(order=2)"], ["exp-sin"], [0], [0.1]])
    assert match in _refused(tmp_path, definition, [value])


def test_a_negative_time_is_refused(tmp_path: Path) -> None:
    name = "bench_cost.Seed.time_gradient"
    definition = {"type": "time", "param_names": ["method", "problem"]}
    definition["params"] = [["central"], ["seed-square"]]
    assert "time -0.5 is negative" in _refused(tmp_path, definition, [-0.5], name)


@pytest.mark.parametrize("step", [0.0, -1e-3, "1e-3"])
def test_a_step_that_is_not_positive_is_refused(tmp_path: Path, step: object) -> None:
    definition = dict(STEP_DEF, params=[["central(order=2)"], ["exp-sin"], [0], [step]])
    assert "is not a positive finite number" in _refused(tmp_path, definition, [1e-3])


GRID_BENCH = "bench_accuracy.GridAccuracy.track_relative_error"


@pytest.mark.parametrize(
    ("problem", "size", "match"),
    [
        # 2**40 points on one axis: 8 TB of coordinates if allocated
        ("seed-square", 2**40, "grid size 1099511627776 is not an integer from 2 to 131072"),
        ("seed-square", 1, "grid size 1 is not an integer from 2"),
        # 4096 per axis in 2-D: 16.7 million nodes, beyond the sweep's limit
        ("exp-sin", 4096, "gives 4096**2 nodes, more than the sweep's limit 131072"),
    ],
)
def test_absurd_grid_sizes_are_refused(tmp_path: Path, problem: str, size: int, match: str) -> None:
    assert get_problem(problem).dim == (1 if problem == "seed-square" else 2)
    definition = {
        "type": "track",
        "unit": "relative error",
        "param_names": ["label", "problem", "grid_size", "region"],
        "params": [["numpy-gradient(edge_order=1, position=center)"], [problem], [size], ["edge"]],
    }
    assert match in _refused(tmp_path, definition, [1e-3], GRID_BENCH)


def test_from_asv_draws_the_sweep_figures_and_report(tmp_path: Path) -> None:
    steps = [10.0**-k for k in range(1, 9)]
    h = np.array(steps)
    name = STEP_BENCH
    definition = dict(STEP_DEF, params=[["central(order=2)"], ["seed-square"], [0], steps])
    cost = {"type": "track", "unit": "relative error", "param_names": ["method", "problem"]}
    cost["params"] = [["central"], ["seed-square"]]
    # x**2: the central difference is exact up to rounding ~ eps/h
    write_asv(
        tmp_path / "r",
        {name: definition, "bench_cost.Seed.track_relative_error": cost},
        {name: list(1.1e-16 / h), "bench_cost.Seed.track_relative_error": [3e-11]},
    )
    assert main(["from-asv", str(tmp_path / "r"), "--output", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "figures" / "step_seed-square.png").stat().st_size > 0
    assert "seed-square" in (tmp_path / "out" / "REPORT.md").read_text()


# --------------------------------------------------------------------------------------------
# the benchmarks
# --------------------------------------------------------------------------------------------
def test_every_registered_configuration_is_benchmarked() -> None:
    import methods

    accuracy = (
        bench_accuracy.StepAccuracy.params[0]
        + bench_accuracy.ExactAccuracy.params[0]
        + bench_accuracy.AdaptiveAccuracy.params[0]
    )
    assert sorted(accuracy) == sorted(c.label for c in resolve_methods())
    grid = {c.label for c in resolve_methods() if c.kind == "grid"}
    assert set(bench_accuracy.GridAccuracy.params[0]) == grid and grid
    assert bench_cost.NAMES == methods.method_names()
    assert bench_accuracy.StepAccuracy.params[3] == [10.0**-k for k in range(1, 16)]


@pytest.fixture(scope="module")
def truths() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            name: [get_problem(name).exact_gradient(x) for x in get_problem(name).points]
            for name in ("seed-square", "seed-product", "sqrt-near-0")
        }


def test_step_accuracy_of_a_forward_difference_is_h_over_two(truths: dict) -> None:
    bench = bench_accuracy.StepAccuracy()
    bench.setup(truths, "forward(order=1)", "seed-square", 0, 1e-3)
    # ((1 + h)**2 - 1)/h = 2 + h: relative error h/2 against f'(1) = 2
    assert bench.track_relative_error(truths, "forward(order=1)", "seed-square", 0, 1e-3) == (
        pytest.approx(5e-4, rel=1e-9)
    )


def test_combinations_that_cannot_run_are_skipped(
    truths: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = bench_accuracy.StepAccuracy()
    with pytest.raises(NotImplementedError, match="seed-product has 1 point"):
        bench.setup(truths, "central(order=2)", "seed-product", 1, 1e-3)
    # sqrt(x) at 1e-6 with h = 0.1 evaluates sqrt of a negative number: NaN is skipped, not 0
    with pytest.raises(NotImplementedError, match="returned NaN"):
        bench.setup(truths, "central(order=2)", "sqrt-near-0", 0, 0.1)
    # a configuration that is not available here (a missing optional peer) is skipped
    missing = MethodConfig(
        cls=common.CONFIGS["dual"].cls, settings={}, label="dual", available=False, reason="gone"
    )
    monkeypatch.setitem(common.CONFIGS, "dual", missing)
    with pytest.raises(NotImplementedError, match="dual: gone"):
        bench_accuracy.ExactAccuracy().setup(truths, "dual", "seed-square", 0)


def test_grid_accuracy_of_numpy_gradient_on_a_quadratic() -> None:
    from methods.grids import tensor_points, uniform_axes

    prob = get_problem("seed-square")
    truths = {("seed-square", 8): prob.exact_gradients(tensor_points(uniform_axes(prob.domain, 8)))}
    bench = bench_accuracy.GridAccuracy()
    first_order = "numpy-gradient(edge_order=1, position=center)"
    # one-sided first-order edges on x**2 over [-2, 2]: error h at x = +-2, relative h/4
    bench.setup(truths, first_order, "seed-square", 8, "edge")
    assert bench.track_relative_error(truths, first_order, "seed-square", 8, "edge") == (
        pytest.approx((4 / 7) / 4, rel=1e-12)
    )
    bench.setup(truths, first_order, "seed-square", 8, "interior")
    assert bench.error < 1e-14  # central differences are exact on a quadratic
    bench.setup(truths, "numpy-gradient(edge_order=2, position=edge)", "seed-square", 8, "edge")
    assert bench.error < 1e-14


def test_cost_setup_measures_the_default_step_and_skips_absurd_cases() -> None:
    bench = bench_cost.Rosenbrock()
    truths = {10: get_problem("rosenbrock-10").exact_gradient(common.rosenbrock_start(10))}
    bench.setup(truths, "central", 10)
    assert bench.track_nfev(truths, "central", 10) == 20
    # central differences at the unit-scale optimal step: ~1e-10 relative on this quartic
    assert 0 < bench.track_relative_error(truths, "central", 10) < 1e-8
    bench.time_gradient(truths, "central", 10)
    with pytest.raises(NotImplementedError, match="symbolic work"):
        bench.setup(truths, "sympy", 1000)
    seed = bench_cost.Seed()
    seed.setup("dual", "seed-product")
    assert seed.track_nfev("dual", "seed-product") == 1
    assert seed.track_relative_error("dual", "seed-product") <= 2 * np.finfo(float).eps


def test_ratio_benchmarks_compare_equal_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_ratios, "TARGET", 1e-4)
    monkeypatch.setattr(bench_ratios, "REPEAT", 2)
    bench = bench_ratios.AdapterOverhead()
    bench.setup(10)  # asserts the inline stencil computes the adapter's numbers
    ratio = bench.track_central_over_inline(10)
    assert math.isfinite(ratio) and ratio > 0
    x = common.rosenbrock_start(5)
    np.testing.assert_allclose(
        common.rosenbrock(np.stack([x, 2 * x])), [common.rosenbrock(x), common.rosenbrock(2 * x)]
    )


def asv(*args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asv", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_asv_check_passes() -> None:
    done = asv("check", "--python=same", cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found" in done.stdout


# --------------------------------------------------------------------------------------------
# a real asv run from a clean clone
# --------------------------------------------------------------------------------------------
SUBSET = r"StepAccuracy.track_relative_error\('central\(order=2\)', 'exp-sin'|bench_cost\.Seed\."


def _committed(path: str) -> bool:
    done = subprocess.run(
        ["git", "cat-file", "-e", f"HEAD:{path}"], cwd=REPO, capture_output=True, check=False
    )
    return done.returncode == 0


def _ensure_machine() -> None:
    """``asv machine --yes`` once (the README's first step), unless this host is known."""
    path = Path.home() / ".asv-machine.json"
    if path.is_file() and platform.node() in json.loads(path.read_text()):
        return
    done = asv("machine", "--yes", cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_asv_run_from_a_clean_clone_reads_back_through_from_asv(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of the repository")
    if not (_committed("asv.conf.json") and _committed("benchmarks/bench_accuracy.py")):
        pytest.skip("the asv suite is not committed yet: asv benchmarks the committed HEAD")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    _ensure_machine()
    # a fresh virtualenv with the committed project, installed from the machine's pip sources
    done = asv("run", "--quick", "--show-stderr", "--bench", SUBSET, cwd=clone, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (clone / ".asv" / "env").is_dir()
    published = asv("publish", cwd=clone, timeout=300)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (clone / ".asv" / "html" / "index.html").is_file()

    assert main(["from-asv", str(clone / ".asv" / "results"), "--output", str(tmp_path / "o")]) == 0
    table = read_results(tmp_path / "o")
    (run_id,) = set(table["run_id"])
    assert run_id.startswith("asv-") and f"-{_head(clone)[:8]}-virtualenv-py" in run_id
    rows = table[
        (table["label"] == "central(order=2)")
        & (table["problem"] == "exp-sin")
        & (table["status"] == "ok")
    ].set_index("step_rel")
    curve = rows["rel_error"]
    assert sorted(curve.index) == sorted(10.0**-k for k in range(1, 16))
    # the steps passed are relative: at exp-sin's first point (0.7, 1.3) the largest is 1.3 t
    assert rows.loc[1e-3, "step"] == pytest.approx(1.3e-3, rel=1e-15)
    # the V of docs/theory.md#error-model: truncation ~h**2 on the right, rounding ~eps/h on the
    # left, ~1e-11 best
    assert curve.idxmin() in (1e-4, 1e-5, 1e-6) and curve.min() < 1e-9
    assert curve[1e-1] > 1e-4 and curve[1e-15] > 1e-3
    cost = table[(table["measure"] == "cost") & (table["label"] == "central(order=2)")]
    assert len(cost) == 1 and cost["nfev"].iloc[0] == 6 and cost["time"].iloc[0] > 0
    assert (tmp_path / "o" / "figures" / "step_exp-sin.png").is_file()


def _head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
