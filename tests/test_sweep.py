"""The sweep: what it measures, statuses, resume, parallel identity, validation, timing."""

from __future__ import annotations

import json
import math
import shutil
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import sympy
from conftest import TinyComplex, TinyForward, TinyGrid, TinyMissing, TinyRaise

import diffbench.execute as execute_module
import diffbench.plan as plan_module
from diffbench.problems import Problem
from diffbench.runner import (
    DEFAULT_STEPS,
    StepRange,
    check_grid_sizes,
    check_steps,
    resolve_methods,
    sweep,
)
from diffbench.steps import step_at, steps_for
from diffbench.store import ResultsFileError, export_csv, read_results
from diffbench.timing import time_call
from methods import Method, RawResult

EPS = float(np.finfo(float).eps)
T = sympy.Symbol("t", real=True)


# --------------------------------------------------------------------------------------------
# small methods and problems built for these tests (not registered)
# --------------------------------------------------------------------------------------------
class TinyNaN(Method):
    name: ClassVar[str] = "tiny-nan"
    family: ClassVar[str] = "extrapolation"
    kind: ClassVar[str] = "adaptive"

    def _gradient(self, f, x, step):
        f(x - 10.0)  # outside the domain of sqrt: f warns, the value is NaN
        return RawResult(value=np.full(x.size, np.nan), step=np.full(x.size, 0.5))


def exp_problem() -> Problem:
    return Problem(
        "tiny-exp",
        sympy.exp(T),
        (T,),
        ((0.5,), (-1.25,)),
        ((-2.0, 2.0),),
        frozenset({"smooth"}),
        "exp(t)",
    )


def sqrt_problem() -> Problem:
    return Problem(
        "tiny-sqrt",
        sympy.sqrt(T),
        (T,),
        ((0.25,),),
        ((0.01, 1.0),),
        frozenset({"singularity"}),
        "sqrt(t)",
    )


def four_d_problem() -> Problem:
    xs = sympy.symbols("a b c d", real=True)
    return Problem(
        "tiny-4d",
        sum(v**2 for v in xs),
        xs,
        ((0.5, -0.5, 1.0, 2.0),),
        ((-3.0, 3.0),) * 4,
        frozenset({"polynomial", "smooth"}),
        "sum of squares in 4-D",
    )


STEPS = [1e-2, 1e-4, 1e-6, 1e-8]


def small_sweep(**kw):
    kw.setdefault("steps", STEPS)
    kw.setdefault("grid_sizes", [8, 16, 32, 64])
    kw.setdefault("cost", False)
    return sweep(
        kw.pop("methods", [TinyForward, TinyGrid, "sympy"]),
        kw.pop("problems", [exp_problem()]),
        **kw,
    )


# --------------------------------------------------------------------------------------------
# steps and grid sizes
# --------------------------------------------------------------------------------------------
def test_default_step_range_has_four_per_decade_and_both_ends():
    steps = DEFAULT_STEPS.steps()
    assert steps[0] == 0.1 and steps[-1] == 1e-16
    assert len(steps) == 15 * 4 + 1
    assert np.allclose(np.diff(np.log10(steps)), -0.25)
    assert 1e-8 in steps  # whole decades are exact members


def test_smaller_smallest_useful_step_extends_the_range():
    (config,) = resolve_methods([TinyComplex])
    grid = steps_for(config, DEFAULT_STEPS)
    assert grid[-1] == 1e-300
    below = [h for h in grid if h < 1e-16]
    assert below[:2] == [1e-18, 1e-20]  # one step every two decades below the range
    (forward,) = resolve_methods([TinyForward])
    assert min(steps_for(forward, DEFAULT_STEPS)) == 1e-16


@pytest.mark.parametrize(
    ("steps", "match"),
    [
        (StepRange(1e-8, 1e-2, 4), "larger start to a smaller stop"),
        (StepRange(-1.0, 1e-2, 4), "start must be a positive"),
        (StepRange(1e-1, 1e-3, 0), "per decade must be an integer"),
        ([1e-3, -1.0], "positive and finite"),
        ([], "must not be empty"),
        (["a"], "positive numbers"),
    ],
)
def test_invalid_steps_are_rejected(steps, match):
    with pytest.raises(ValueError, match=match):
        check_steps(steps)


@pytest.mark.parametrize(
    ("sizes", "match"), [([1], ">= 2"), ([2.5], ">= 2"), ({2: [10**4]}, "nodes")]
)
def test_invalid_grid_sizes_are_rejected(sizes, match):
    with pytest.raises(ValueError, match=match):
        check_grid_sizes(sizes)


def test_grid_sizes_for_all_dimensions_are_capped_per_dimension():
    sizes = check_grid_sizes([8, 64, 4096])
    assert sizes[1] == (8, 64, 4096)
    assert sizes[2] == (8, 64)  # 4096**2 nodes is too many
    assert sizes[3] == (8,)  # 64**3 = 262144 nodes is too many


# --------------------------------------------------------------------------------------------
# what a sweep measures
# --------------------------------------------------------------------------------------------
def test_step_method_rows_follow_the_truncation_error():
    df = small_sweep(methods=[TinyForward], grid_sizes=[])
    rows = df[df["label"] == "tiny-forward"].set_index(["point", "step_rel"])
    assert len(rows) == 2 * len(STEPS)
    assert (rows["status"] == "ok").all() and rows["key"].is_unique
    # the steps are relative: h = t * max(1, |x|) at x = 0.5 and x = -1.25
    assert sorted(rows.index.get_level_values("step_rel")) == sorted(STEPS * 2)
    expected = [t * max(1.0, abs(x)) for x in (0.5, -1.25) for t in STEPS]
    assert np.allclose(rows.loc[[0, 1], "step"], expected, rtol=1e-15)
    # forward difference of exp: relative error ~ h/2 while truncation dominates
    assert 0.4e-4 < rows.loc[(0, 1e-4), "rel_error"] < 0.6e-4
    assert 0.4 * 1.25e-4 < rows.loc[(1, 1e-4), "rel_error"] < 0.6 * 1.25e-4
    # the step actually used is the representable step, close to the step passed
    assert np.allclose(rows["step_used"], rows["step"], rtol=1e-6)
    assert (rows["measure"] == "accuracy").all() and (rows["region"] == "point").all()
    assert set(rows["nfev"]) == {2}
    assert rows["theoretical_step"].iloc[0] == pytest.approx(2 * math.sqrt(EPS))
    assert rows["point_values"].tolist()[0] == "[0.5]"
    assert json.loads(rows["settings"].iloc[0]) == {}


def test_exact_method_gives_one_row_per_point_near_rounding():
    df = small_sweep(methods=["sympy"])
    assert len(df) == 2
    assert df["step"].isna().all()
    assert (df["rel_error"] <= 4 * EPS).all()
    assert (df["kind"] == "exact").all() and (df["family"] == "symbolic").all()


def test_failures_become_rows_with_status_and_reason():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = small_sweep(methods=[TinyRaise, TinyNaN, TinyMissing], problems=[sqrt_problem()])
    # f's RuntimeWarnings are caught by the sweep, not passed on
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    by = df.set_index("label")
    assert by.loc["tiny-raise", "status"] == "error"
    assert "ValueError: boom at the point" in by.loc["tiny-raise", "message"]
    assert by.loc["tiny-nan", "status"] == "non-finite"
    assert "f returned nan" in by.loc["tiny-nan", "message"]
    assert math.isnan(by.loc["tiny-nan", "rel_error"])
    assert by.loc["tiny-missing", "status"] == "skipped"
    assert "no_such_module_for_diffbench_tests" in by.loc["tiny-missing", "message"]


def test_grid_method_rows_per_size_and_region_converge_at_order_two_inside():
    df = small_sweep(methods=[TinyGrid], steps=[1e-3])
    grid = df[df["grid_size"].notna()]
    assert sorted(grid["grid_size"].unique()) == [8, 16, 32, 64]
    assert set(grid["region"]) == {"interior", "edge"}
    inner = grid[grid["region"] == "interior"].set_index("grid_size")["rel_error"]
    edge = grid[grid["region"] == "edge"].set_index("grid_size")["rel_error"]
    # central differences inside (error / 4 per doubling), first order at the edges (/ 2)
    assert 3.0 < inner[32] / inner[64] < 5.0
    assert 1.6 < edge[32] / edge[64] < 2.4
    spacing = grid.set_index("grid_size")["step"]
    assert spacing[8].iloc[0] == pytest.approx(4.0 / 7)
    assert set(grid.set_index("grid_size")["nfev"][64]) == {64}
    # the point form of a grid method is swept over the steps too
    point = df[(df["region"] == "point")]
    assert len(point) == 2 and (point["status"] == "ok").all()


def test_grid_methods_skip_problems_above_three_dimensions():
    df = small_sweep(methods=[TinyGrid], problems=[four_d_problem()], steps=[1e-3])
    skipped = df[df["status"] == "skipped"]
    assert len(skipped) == 1
    assert "at most 3 variables" in skipped["message"].iloc[0]
    assert (df[df["region"] == "point"]["status"] == "ok").all()


def test_high_dimensional_problems_are_measured_for_cost_only(monkeypatch):
    monkeypatch.setattr(plan_module, "HIGH_DIM", 3)
    df = small_sweep(
        methods=[TinyForward], problems=[four_d_problem()], cost=True, timing={"target": 1e-4}
    )
    acc = df[df["measure"] == "accuracy"]
    assert len(acc) == 1 and acc["status"].iloc[0] == "skipped"
    assert "cost only" in acc["message"].iloc[0]
    cost = df[df["measure"] == "cost"]
    assert len(cost) == 1 and cost["nfev"].iloc[0] == 5


def test_cost_rows_keep_raw_repeats_and_nfev():
    df = small_sweep(
        methods=[TinyForward, "sympy"], cost=True, timing={"target": 1e-4, "repeat": 3}
    )
    cost = df[df["measure"] == "cost"].set_index("label")
    assert set(cost.index) == {"tiny-forward", "sympy"}
    assert cost.loc["tiny-forward", "nfev"] == 2 and cost.loc["sympy", "nfev"] == 0
    repeats = json.loads(cost.loc["tiny-forward", "time_repeats"])
    assert len(repeats) == 3 and all(t > 0 for t in repeats)
    assert cost.loc["tiny-forward", "time"] == pytest.approx(float(np.median(repeats)), rel=1e-5)
    assert cost.loc["tiny-forward", "point"] == 0
    # the default step of tiny-forward is 1e-6: error ~ 5e-7 on exp
    assert 1e-7 < cost.loc["tiny-forward", "rel_error"] < 1e-6


def test_complex_step_sweeps_far_below_1e16():
    df = small_sweep(methods=[TinyComplex], steps=StepRange(1e-1, 1e-16, 1), grid_sizes=[])
    assert df["step"].min() == 1e-300
    tiny = df[df["step"] < 1e-20]
    assert (tiny["rel_error"] <= 2 * EPS).all()


def test_steps_are_relative_to_the_scale_of_x():
    # log x at 1e10 and 2.7e10: absolute steps of 1e-1 ... 1e-16 are all far below the best step
    # (~1e-5 * x for a second-order forward difference), relative ones reach it
    df = sweep(["forward(order=2)", "sympy"], ["log-large"], cost=False)
    # the swept rows (the step rules' rows, measure "step-rule", have no step_rel)
    fd = df[(df["label"] == "forward(order=2)") & (df["measure"] == "accuracy")]
    assert fd.loc[fd["status"] == "ok", "rel_error"].min() <= 1e-7
    assert sorted(set(fd["step_rel"])) == sorted(DEFAULT_STEPS.steps())
    x = fd["point"].map(lambda i: (1e10, 2.7e10)[i])
    assert np.allclose(fd["step"], fd["step_rel"] * x, rtol=1e-15)
    # the key names the relative step; rows without a step have no step_rel
    row = fd.iloc[3]
    assert row["key"].split("|")[4] == repr(float(row["step_rel"]))
    assert df.loc[df["label"] == "sympy", "step_rel"].isna().all()


def test_each_coordinate_gets_its_own_relative_step():
    xs = sympy.symbols("a b", real=True)
    prob = Problem(
        "tiny-2d", xs[0] * xs[1], xs, ((0.5, -4.0),), ((-5.0, 5.0),) * 2, frozenset(), "a*b"
    )
    df = small_sweep(methods=[TinyForward], problems=[prob], steps=[1e-3], grid_sizes=[])
    (row,) = df.itertuples()
    # h = (1e-3 * 1, 1e-3 * 4): the column is the largest, the method took that one too
    assert (row.step_rel, row.step) == (1e-3, 4e-3)
    assert row.step_used == pytest.approx(4e-3, rel=1e-12) and row.rel_error < 1e-12
    assert step_at(1e-3, [0.5, -1.0]) == 1e-3  # one float when every coordinate gets the same
    np.testing.assert_array_equal(step_at(1e-3, [0.5, -4.0]), [1e-3, 4e-3])


def test_grid_and_skip_rows_have_no_relative_step():
    df = small_sweep(methods=[TinyGrid, TinyMissing])
    grid = df[df["form"] == "grid"]
    assert len(grid) and grid["step_rel"].isna().all() and (grid["step"] > 0).all()
    assert df.loc[df["status"] == "skipped", "step_rel"].isna().all()
    assert df.loc[df["form"] == "point", "step_rel"].notna().any()


def test_every_key_is_unique_and_versions_are_recorded():
    df = small_sweep(methods=[TinyForward, TinyGrid, TinyRaise], cost=True, timing={"target": 1e-4})
    assert df["key"].is_unique
    assert df["run_id"].nunique() == 1
    assert "numpy" in df["versions"].iloc[0] and "sympy" in df["versions"].iloc[0]


# --------------------------------------------------------------------------------------------
# bad input is rejected before any measurement
# --------------------------------------------------------------------------------------------
def test_unknown_method_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown method 'nope'; choose from: .*sympy"):
        sweep(["nope"], [exp_problem()])


def test_unknown_problem_lists_the_choices():
    with pytest.raises(ValueError, match="runge"):
        sweep(["sympy"], ["no-such-problem"])


def test_unwritable_output_is_rejected_before_the_sweep(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(execute_module, "run_task", lambda *a: calls.append(a) or [])
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="cannot be written"):
        small_sweep(output=blocker / "out")
    assert calls == []


def test_invalid_steps_are_rejected_before_the_sweep(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        small_sweep(steps=[1e-3, 0.0], output=tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# keeping and resuming results
# --------------------------------------------------------------------------------------------
def test_output_file_matches_the_returned_table(tmp_path):
    df = small_sweep(output=tmp_path)
    again = read_results(tmp_path)
    pd.testing.assert_frame_equal(df, again)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "complete" and info["run_id"] == df["run_id"].iloc[0]


def as_earlier_version(run_dir):
    """Turn a run folder into one written before the Parquet dataset: its rows in results.csv."""
    lines = export_csv(run_dir, run_dir / "export.csv").read_text().splitlines(keepends=True)
    (run_dir / "export.csv").unlink()
    shutil.rmtree(run_dir / "results")
    path = run_dir / "results.csv"
    path.write_text("".join(lines))
    return path, lines


def test_resume_after_losing_rows_restores_them_without_duplicates(tmp_path):
    # a folder of the CSV store (the dataset's own damaged parts: tests/test_parquet_store.py)
    full = small_sweep(output=tmp_path, cost=True, timing={"target": 1e-4})
    path, lines = as_earlier_version(tmp_path)
    # keep the header and a few rows, and leave half a line as a kill mid-write would
    path.write_text("".join(lines[:5]) + lines[5][:20])
    with pytest.warns(RuntimeWarning, match="unterminated"):
        resumed = sweep(
            output=tmp_path,
            resume=True,
            methods=[TinyForward, TinyGrid, "sympy"],
            problems=[exp_problem()],
        )
    assert resumed["key"].is_unique
    assert set(resumed["key"]) == set(full["key"])
    assert resumed["run_id"].nunique() == 1
    # accuracy numbers are the same as the first time
    cols = ["key", "rel_error", "abs_error", "status"]
    a = full[full["measure"] == "accuracy"][cols].sort_values("key").reset_index(drop=True)
    b = resumed[resumed["measure"] == "accuracy"][cols].sort_values("key").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_resume_of_a_finished_run_adds_nothing(tmp_path):
    small_sweep(output=tmp_path)

    def dataset():
        return {p.name: p.read_bytes() for p in sorted((tmp_path / "results").iterdir())}

    before = dataset()
    small_sweep(output=tmp_path, resume=True)
    assert dataset() == before


def test_corrupt_results_are_never_overwritten(tmp_path):
    small_sweep(output=tmp_path)
    path, text = as_earlier_version(tmp_path)
    corrupt = "".join(text[:3]) + "garbage,with,too,few,fields\n" + "".join(text[3:])
    path.write_text(corrupt)
    with pytest.raises(ResultsFileError, match=r"line 4.*left untouched"):
        small_sweep(output=tmp_path, resume=True)
    assert path.read_text() == corrupt
    # a new (not resumed) run replaces an earlier results file, but never a foreign file
    path.write_text("name,value\na,1\n")
    with pytest.raises(ResultsFileError, match="not a diffbench results file"):
        small_sweep(output=tmp_path)
    assert path.read_text() == "name,value\na,1\n"


def test_resume_without_a_run_is_an_error(tmp_path):
    with pytest.raises(ResultsFileError, match="nothing to resume"):
        small_sweep(output=tmp_path, resume=True)


def test_parallel_sweep_gives_identical_accuracy_columns():
    kw = dict(
        methods=[TinyForward, TinyGrid, TinyComplex, "sympy"],
        problems=[exp_problem(), sqrt_problem()],
    )
    serial = small_sweep(jobs=1, **kw)
    parallel = small_sweep(jobs=2, **kw)
    cols = [
        "key",
        "problem",
        "label",
        "step",
        "step_used",
        "grid_size",
        "region",
        "abs_error",
        "rel_error",
        "error_estimate",
        "nfev",
        "status",
        "message",
    ]
    a = serial[cols].sort_values("key").reset_index(drop=True)
    b = parallel[cols].sort_values("key").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert list(serial["key"]) == list(parallel["key"])  # same order in the file as well


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------
def test_time_call_autoranges_and_repeats():
    timing = time_call(lambda: sum(range(50)), target=1e-4, repeat=4)
    assert len(timing.repeats) == 4 and timing.number >= 1
    assert timing.median == float(np.median(timing.repeats))


def test_time_call_limits_repeats_of_slow_calls():
    import time

    timing = time_call(lambda: time.sleep(0.02), target=1e-3, repeat=5, budget=0.05)
    assert timing.number == 1 and 1 <= len(timing.repeats) <= 2


@pytest.mark.parametrize(
    ("kw", "match"), [({"repeat": 0}, "`repeat`"), ({"target": -1}, "`target`")]
)
def test_time_call_rejects_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        time_call(lambda: None, **kw)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"timing": {"repeats": 3}}, ValueError, r"`timing` must be a dict with keys from"),
        ({"methods": [{"nam": "central"}]}, ValueError, r"`methods` entries given as dicts"),
        ({"methods": [{"name": "central", "settings": {"ordr": 3}}]}, TypeError, "ordr"),
        ({"methods": [{"name": "central", "settings": {"order": 3}}]}, ValueError, "`order`"),
        ({"grid_sizes": {"a": [8]}}, ValueError, r"`grid_sizes` keys must be dimensions"),
        ({"progress": 1}, TypeError, r"`progress` must be callable"),
    ],
)
def test_bad_arguments_are_rejected_before_any_measurement(kwargs, error, match, tmp_path):
    kwargs = {"methods": ["central"], **kwargs}
    with pytest.raises(error, match=match):
        sweep(problems=[exp_problem()], cost=False, output=tmp_path / "run", **kwargs)
    assert not (tmp_path / "run" / "results.csv").exists()  # nothing was measured or written
    assert not (tmp_path / "run" / "results").exists()
