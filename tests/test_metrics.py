"""The error metric: max-norm absolute error, relative to the max-norm of the true gradient."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from diffbench.metrics import gradient_error, pointwise_errors
from methods import Estimate


def _estimate(value):
    return Estimate(value=value, step=None, nfev=0, error_estimate=None, method="test")


def test_absolute_and_relative_in_the_max_norm():
    assert gradient_error([1.0, 2.0, -3.0], [1.0, 2.5, -4.0]) == (1.0, 0.25)
    assert gradient_error(np.array([3.0]), [2.0]) == (1.0, 0.5)


def test_accepts_an_estimate_or_a_scalar_derivative():
    assert gradient_error(_estimate(np.array([1.0, 2.0])), [1.0, 2.5]) == (0.5, 0.2)
    assert gradient_error(_estimate(3.0), 2.0) == (1.0, 0.5)


def test_zero_truth_falls_back_to_the_absolute_error_without_dividing_by_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            assert gradient_error([1e-9, -3e-9], [0.0, 0.0]) == (3e-9, 3e-9)
            assert gradient_error([0.0], [0.0]) == (0.0, 0.0)
            a, r = pointwise_errors([[0.0, 2e-9], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(a, [2e-9, 1.0])
    np.testing.assert_array_equal(r, [2e-9, 1.0])


def test_nan_in_the_estimate_propagates():
    a, r = gradient_error([np.nan, 1.0], [1.0, 1.0])
    assert math.isnan(a) and math.isnan(r)
    a, r = gradient_error(_estimate(np.array([1.0, np.nan])), [0.0, 0.0])
    assert math.isnan(a) and math.isnan(r)
    a, r = pointwise_errors([[np.nan, 1.0], [1.0, 1.0], [np.inf, 1.0]], np.ones((3, 2)))
    assert math.isnan(a[0]) and math.isnan(r[0])
    assert a[1] == r[1] == 0.0
    assert a[2] == r[2] == np.inf


def test_infinite_estimate_gives_infinite_error():
    assert gradient_error([np.inf, 1.0], [1.0, 1.0]) == (np.inf, np.inf)


@pytest.mark.parametrize(
    ("estimate", "truth", "error", "match"),
    [
        ([1.0, 2.0], [1.0], ValueError, r"`estimate` has shape \(2,\) but `truth` has shape"),
        ([[1.0]], [[1.0]], ValueError, "use pointwise_errors"),
        ([], [], ValueError, "`estimate` must not be empty"),
        ([1.0], [np.nan], ValueError, "`truth` must be finite"),
        ([1.0 + 1j], [1.0], TypeError, "`estimate` must be real"),
        (["a"], [1.0], TypeError, "`estimate` must be real numbers"),
        ([1.0], [1j], TypeError, "`truth` must be real"),
    ],
)
def test_gradient_error_rejects_bad_input(estimate, truth, error, match):
    with pytest.raises(error, match=match):
        gradient_error(estimate, truth)


def test_pointwise_errors_rejects_bad_input():
    with pytest.raises(ValueError, match="must both have shape"):
        pointwise_errors(np.ones((3, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="`truth` must be finite"):
        pointwise_errors(np.ones((2, 1)), [[1.0], [np.inf]])


def test_pointwise_errors_accept_1d_grids():
    a, r = pointwise_errors([1.0, 2.0, 0.5], [1.0, 4.0, 0.0])
    np.testing.assert_array_equal(a, [0.0, 2.0, 0.5])
    np.testing.assert_array_equal(r, [0.0, 0.5, 0.5])


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(
    arrays(float, (5, 3), elements=finite),
    arrays(float, (5, 3), elements=finite),
)
def test_pointwise_errors_match_gradient_error_row_by_row(est, truth):
    a, r = pointwise_errors(est, truth)
    for i in range(5):
        assert (a[i], r[i]) == gradient_error(est[i], truth[i])
        assert a[i] >= 0 and r[i] >= 0
        scale = float(np.max(np.abs(truth[i])))
        if scale > 0:
            assert r[i] == float(a[i]) / scale
