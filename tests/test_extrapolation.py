"""Richardson and Ridders extrapolation: accuracy, error estimates that cover, exact nfev."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy

from diffbench.problems import Problem
from methods import as_vector_function, get_method
from methods.extrapolation import central_difference

EPS = np.finfo(float).eps
X, Y = sympy.symbols("x y", real=True)
POINTS = ((0.3, -1.2), (0.7, 0.45), (-0.9, 1.3), (1.1, -0.6))

# Smooth, unit-scale, and evaluated by numpy to about an ulp at POINTS (no cancellation inside
# the program): the error estimates, which assume f correct to about an ulp, must cover these.
ACCURATE = {
    "exp-sin": sympy.exp(X) * sympy.sin(Y),
    "atan": sympy.atan(X * Y),
    "runge-2d": 1 / (1 + X**2 + Y**2),
    "sqrt-cubic": sympy.sqrt(2 + X) * Y**3,
    "rational-cos": (X**3 - 2 * X * Y) / (3 + sympy.cos(X)),
    "gaussian": sympy.exp(-(X**2) - Y**2),
    "monomial": X**5 * Y**4,
}
# Smooth and unit-scale, but with rounding amplified inside the program (log(1 + x^2) for small
# x, sin near a multiple of pi): accuracy still holds, the ulp-based error bound need not.
SMOOTH = {
    **ACCURATE,
    "log-cos": sympy.log(1 + X**2) * sympy.cos(Y),
    "sin-cosh": sympy.sin(3 * X) * sympy.cosh(Y),
    "tanh": sympy.tanh(X - Y),
}
METHODS = [("richardson", {}), ("richardson", {"levels": 6}), ("ridders", {})]


def problem(name: str) -> Problem:
    return Problem(
        name, SMOOTH[name], (X, Y), POINTS, ((-3.0, 3.0),) * 2, frozenset({"smooth"}), name
    )


@pytest.mark.parametrize(("name", "settings"), METHODS)
def test_accuracy_on_smooth_unit_scale_problems(name, settings):
    method = get_method(name, **settings)
    worst = 0.0
    for key in SMOOTH:
        p = problem(key)
        for point in p.points:
            truth = p.exact_gradient(point)
            est = method.gradient(p.function, point)
            worst = max(worst, np.max(np.abs(est.value - truth) / np.abs(truth)))
    assert worst <= 1e-12


@pytest.mark.parametrize(("name", "settings"), METHODS)
def test_error_estimate_covers_the_true_error(name, settings):
    method = get_method(name, **settings)
    ratios = []
    for key in ACCURATE:
        p = problem(key)
        for point in p.points:
            est = method.gradient(p.function, point)
            err = np.abs(est.value - p.exact_gradient(point))
            assert np.all(err <= est.error_estimate), (key, point, err, est.error_estimate)
            ratios.extend(est.error_estimate / np.maximum(err, 1e-300))
    # ... and is not absurdly loose: typically within a few decades of the true error
    assert np.median(ratios) < 1e3


@pytest.mark.parametrize("levels", [1, 2, 4, 6])
@pytest.mark.parametrize("n", [1, 3])
def test_richardson_nfev_is_2n_levels_plus_1(levels, n):
    f = as_vector_function(lambda *v: sum(np.exp(t) for t in v))
    est = get_method("richardson", levels=levels).gradient(f, np.linspace(0.1, 0.5, n))
    assert est.nfev == 2 * n * (levels + 1)


@pytest.mark.parametrize(("levels", "rate"), [(1, 16), (2, 64)])
def test_richardson_truncation_order_is_2_levels_plus_2(levels, rate):
    # halving the initial step divides the error by 2^(2 levels + 2) in the truncation regime
    method = get_method("richardson", levels=levels)
    errs = [abs(method.derivative(np.exp, 0.3, step=h).value - np.exp(0.3)) for h in (0.4, 0.2)]
    assert errs[0] / errs[1] == pytest.approx(rate, rel=0.05)


def test_richardson_step_is_the_initial_step():
    method = get_method("richardson")
    # 0.1 max(1, |x|), as represented: half of (0.5 + 0.1) - (0.5 - 0.1)
    assert (
        method.gradient(as_vector_function(np.exp), [0.5]).step[0]
        == ((0.5 + 0.1) - (0.5 - 0.1)) / 2
    )
    est = method.gradient(as_vector_function(np.exp), [-40.0])
    assert est.step[0] == pytest.approx(4.0, rel=1e-15)
    assert est.value[0] == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert method.derivative(np.exp, 0.5, step=0.25).step == 0.25  # exactly representable


def test_ridders_nfev_matches_the_calls_and_stops_early():
    calls = []

    def f(x):
        calls.append(x.copy())
        return math.exp(x[0]) * math.sin(x[1])

    est = get_method("ridders").gradient(f, [0.3, -1.2])
    assert est.nfev == len(calls)
    assert est.nfev % 2 == 0
    # early stop: fewer than the 2 * ntab evaluations per coordinate allowed
    assert 2 * 2 * 2 <= est.nfev < 2 * 2 * 10
    # every column is a pair x +- h e_i moving exactly one coordinate
    pairs = np.array(calls).reshape(-1, 2, 2)
    moved = pairs[:, 0] != pairs[:, 1]
    assert np.all(moved.sum(axis=1) == 1)


def test_ridders_nfev_at_most_2_ntab_and_step_is_an_accepted_column():
    method = get_method("ridders", con=1.4, ntab=6)
    est = method.derivative(np.cos, 0.7)
    assert est.nfev <= 2 * 6
    # the reported step is h / con^k for a column k that was computed
    k = math.log(0.1 / est.step) / math.log(1.4)
    assert abs(k - round(k)) < 1e-9
    assert 1 <= round(k) < est.nfev // 2


def test_ridders_smallest_tableau():
    est = get_method("ridders", ntab=2).derivative(np.exp, 0.3)
    assert est.nfev == 4
    assert abs(est.value - np.exp(0.3)) <= est.error_estimate


def test_ridders_recovers_when_the_first_steps_leave_the_domain():
    # log at 0.05 with h = 0.1: the first columns are NaN; later, smaller steps are finite
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = get_method("ridders").derivative(np.log, 0.05)
        rich = get_method("richardson").derivative(np.log, 0.05)
    assert abs(est.value - 20.0) <= est.error_estimate
    assert abs(est.value - 20.0) < 1e-6
    assert math.isnan(rich.value) and math.isnan(rich.error_estimate)


def test_central_difference_divides_by_the_represented_width():
    # at x = 1 the step 1.5e-16 is not representable: x + h and x - h round to 1 + 2^-52 and
    # 1 - 2^-53, a width of 1.5 * 2^-52, not 3e-16; dividing by 2h would give 1.11 for f(t) = t
    x = np.array([1.0])
    d, half, rounding = central_difference(lambda v: v[0], x, 0, 1.5e-16)
    assert half == 0.75 * 2.0**-52
    assert d == 1.0
    assert rounding == pytest.approx(EPS * 2 / (1.5 * 2.0**-52) + EPS, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "settings", "error", "match"),
    [
        ("richardson", {"levels": 0}, ValueError, "`levels` must be an integer >= 1, got 0"),
        ("richardson", {"levels": 2.0}, TypeError, "`levels` must be an integer"),
        ("ridders", {"con": 1.0}, ValueError, r"`con` must be > 1"),
        ("ridders", {"con": 0.5}, ValueError, r"`con` must be > 1"),
        ("ridders", {"con": -2.0}, ValueError, "`con` must be positive"),
        ("ridders", {"ntab": 1}, ValueError, "`ntab` must be an integer >= 2, got 1"),
        ("ridders", {"safe": 1.0}, ValueError, r"`safe` must be > 1"),
        ("ridders", {"safe": float("nan")}, ValueError, "`safe` must be positive and finite"),
    ],
)
def test_bad_settings_raise(name, settings, error, match):
    with pytest.raises(error, match=match):
        get_method(name, **settings)
