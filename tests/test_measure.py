"""The measuring kernel (diffbench/measure.py): one set of rules for the sweep, the asv suite and
the chooser. Expected errors come from theory (a forward difference on x**2 is off by h), never
from running the code under test."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from conftest import TinyRaise

import methods
from benchmarks import bench_accuracy
from diffbench.measure import (
    Measurement,
    edge_mask,
    grid_spacing,
    measure_gradient,
    measure_grid,
    sample_grid,
)
from diffbench.problems import get_problem
from diffbench.runner import sweep
from diffbench.schema import Status
from methods import GridMethod, Method, RawResult


class Raises(TinyRaise):
    name: ClassVar[str] = "kernel-raises"
    message: ClassVar[str] = "boom\nat the point"


class ReturnsNaN(Method):
    name: ClassVar[str] = "kernel-nan"
    family: ClassVar[str] = "extrapolation"
    kind: ClassVar[str] = "adaptive"

    def _gradient(self, f, x, step):
        f(x)
        return RawResult(value=np.array([np.nan, 1.0]), step=np.full(x.size, 0.5))


class GridRaises(GridMethod):
    name: ClassVar[str] = "kernel-grid-raises"

    def _grid_gradient(self, values, spacing):
        raise RuntimeError("no grid today")

    def _gradient(self, f, x, step):  # pragma: no cover - never called here
        raise AssertionError


def square_sum(x):
    return float(np.sum(np.asarray(x) ** 2))


def test_a_working_method_is_scored_and_its_evaluations_counted():
    # forward difference of x**2 at 1 with h = 2**-10: (2h + h**2)/h = 2 + h exactly
    h = 2.0**-10
    m = measure_gradient(methods.get_method("forward"), lambda x: x[0] ** 2, [1.0], [2.0], step=h)
    assert m.status == Status.OK and m.ok and m.message == ""
    assert m.abs_error == pytest.approx(h, rel=1e-9) and m.rel_error == pytest.approx(h / 2)
    assert m.nfev == 2  # f(x) and f(x + h), counted through the Estimate
    assert m.step_used == h and math.isnan(m.error_estimate)
    np.testing.assert_allclose(m.value, [2.0 + h])


def test_without_a_truth_nothing_is_scored():
    m = measure_gradient(methods.get_method("central"), square_sum, [1.0, 2.0])
    assert m.ok and math.isnan(m.rel_error) and m.nfev == 4


def test_a_method_that_raises_is_an_error_on_one_line():
    m = measure_gradient(Raises(), square_sum, [1.0], [2.0])
    assert m.status == Status.ERROR and m.message == "ValueError: boom at the point"
    assert m.nfev is None and m.value is None and math.isnan(m.rel_error)
    row = m.as_row()
    assert row["status"] == "error" and "value" not in row


def test_nan_is_non_finite_and_quotes_the_first_warning():
    def warns(x):
        np.sqrt(np.array(-1.0))  # RuntimeWarning: invalid value
        return square_sum(x)

    m = measure_gradient(ReturnsNaN(), warns, [1.0, 1.0], [2.0, 2.0])
    assert m.status == Status.NONFINITE and math.isnan(m.rel_error)
    assert m.message.startswith("1 of 2 coordinates NaN; RuntimeWarning")
    assert m.step_used == 0.5
    quiet = measure_gradient(ReturnsNaN(), square_sum, [1.0, 1.0], [2.0, 2.0])
    assert quiet.message == "1 of 2 coordinates NaN; the method returned NaN"


def test_edge_mask_marks_first_and_last_index_along_every_axis():
    assert edge_mask((5,)).tolist() == [True, False, False, False, True]
    mask = edge_mask((4, 3)).reshape(4, 3)
    assert mask.sum() == 4 * 3 - 2 * 1  # the interior is 2 x 1
    assert not mask[1, 1] and not mask[2, 1] and mask[0].all() and mask[:, 2].all()
    assert not edge_mask((3, 3, 3)).reshape(3, 3, 3)[1, 1, 1]


def test_grid_regions_are_scored_apart_and_nfev_is_counted():
    prob = get_problem("seed-square")  # x**2 over [-2, 2]
    sample = sample_grid(prob, 8)
    assert sample.nfev == 8 and sample.spacing == pytest.approx(4 / 7)
    assert sample.spacing == grid_spacing(prob.domain, 8)
    first = methods.get_method("numpy-gradient", edge_order=1)
    out = measure_grid(first, sample)
    assert set(out) == {"interior", "edge"}
    # central differences are exact on a quadratic; one-sided first-order edges are off by h,
    # relative to |f'(+-2)| = 4
    assert out["interior"].ok and out["interior"].rel_error < 1e-14
    assert out["edge"].rel_error == pytest.approx((4 / 7) / 4, rel=1e-12)
    assert out["edge"].nfev == out["interior"].nfev == 8
    assert out["edge"].step_used == sample.spacing and out["edge"].value.shape == (2, 1)


def test_a_grid_without_interior_and_a_grid_method_that_raises():
    sample = sample_grid(get_problem("seed-square"), 2)
    out = measure_grid(methods.get_method("numpy-gradient", edge_order=1), sample)
    assert out["interior"].status == Status.SKIPPED and "no interior" in out["interior"].message
    assert out["edge"].ok
    failed = measure_grid(GridRaises(), sample)
    assert {m.status for m in failed.values()} == {Status.ERROR}
    assert failed["edge"].message == "RuntimeError: no grid today" and failed["edge"].nfev == 2


def test_grid_sampling_counts_only_its_own_evaluations():
    prob = get_problem("rosenbrock-2")
    sample = sample_grid(prob, 5)
    assert sample.nfev == 25 and sample.values.shape == (5, 5)
    assert sample.exact.shape == (25, 2) and sample.edge.sum() == 16
    with pytest.raises(ValueError, match="`size`"):
        sample_grid(prob, 1)


def test_the_sweep_and_the_asv_benchmark_measure_a_grid_identically():
    label = "numpy-gradient(edge_order=1, position=center)"
    df = sweep([label], ["sin50"], steps=[1e-3], grid_sizes=[64], cost=False)
    grid = df[df["form"] == "grid"].set_index("region")
    truths = bench_accuracy._grid_truths()
    for region in ("interior", "edge"):
        m = bench_accuracy.grid_measurement(truths, label, "sin50", 64, region)
        assert grid.loc[region, "rel_error"] == m.rel_error  # identical, not approximately
        assert grid.loc[region, "abs_error"] == m.abs_error
        assert grid.loc[region, "nfev"] == m.nfev == 64
    assert (grid["label"] == "numpy-gradient(edge_order=1)").all()
    assert (df[df["region"] == "point"]["form"] == "point").all()


def test_the_sweep_and_the_asv_benchmark_measure_a_point_identically():
    label = "central(order=2)"
    df = sweep([label], ["exp-sin"], steps=[1e-3], grid_sizes=[], cost=False)
    row = df[df["point"] == 0].iloc[0]
    truths = {"exp-sin": [get_problem("exp-sin").exact_gradient(get_problem("exp-sin").points[0])]}
    assert bench_accuracy._point_error(truths, label, "exp-sin", 0, 1e-3) == row["rel_error"]


def test_measurement_equality_ignores_the_estimate_array():
    a = Measurement(Status.OK, rel_error=1.0, value=np.zeros(3))
    b = Measurement(Status.OK, rel_error=1.0, value=np.ones(3))
    assert a == b
