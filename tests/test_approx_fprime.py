"""scipy.optimize.approx_fprime behind the method interface."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

from methods import SymbolicFunction, as_vector_function, get_method, method_class

A, B = sympy.symbols("a b")
SQRT_EPS = float(np.sqrt(np.finfo(float).eps))  # scipy's default epsilon, 2**-26


def exact_gradient(expr: sympy.Expr, symbols: tuple, x: np.ndarray) -> np.ndarray:
    """Gradient of expr at the binary point x, evaluated with mpmath at 40 digits."""
    fn = sympy.lambdify(symbols, [sympy.diff(expr, s) for s in symbols], modules="mpmath")
    with mpmath.workdps(40):
        return np.array([float(v) for v in fn(*(mpmath.mpf(float(t)) for t in x))])


def test_description() -> None:
    cls = method_class("approx-fprime")
    assert (cls.family, cls.kind, cls.order) == ("finite-difference", "step", 1)
    assert get_method("approx-fprime").label == "approx-fprime"
    assert get_method("approx-fprime").theoretical_step() == pytest.approx(2 * SQRT_EPS)


def test_accuracy_and_nfev_at_default_step() -> None:
    expr = sympy.sin(A) * sympy.exp(B) + A * B**2
    x = np.array([0.7, -0.4])
    est = get_method("approx-fprime").gradient(SymbolicFunction(expr, (A, B)), x)
    truth = exact_gradient(expr, (A, B), x)
    assert np.max(np.abs(est.value - truth) / np.abs(truth)) <= 1e-7
    assert est.nfev == 3  # f(x) once, then one point per coordinate
    np.testing.assert_array_equal(est.step, [SQRT_EPS, SQRT_EPS])


@pytest.mark.parametrize("step", [SQRT_EPS, 1e-6, [1e-3, 1e-5]])
def test_matches_our_forward_difference_with_an_absolute_step(step) -> None:
    f = as_vector_function(lambda a, b: np.sin(a) * np.exp(b) + a * b**2)
    x = np.array([0.1, -2.3])
    ours = get_method("forward", step_rule="absolute").gradient(f, x, step=step)
    theirs = get_method("approx-fprime").gradient(f, x, step=step)
    # Same points, same representable step, same single subtraction: bit for bit.
    np.testing.assert_array_equal(theirs.value, ours.value)
    np.testing.assert_array_equal(theirs.step, ours.step)
    assert theirs.nfev == ours.nfev == 3


def test_large_x_falls_back_to_a_relative_step_when_x_plus_h_equals_x() -> None:
    # scipy/optimize/_numdiff.py (approx_derivative): where x + abs_step == x it silently uses
    # sqrt(eps) * max(1, |x|) instead, so the default does NOT fail at x = 1e10.
    f = SymbolicFunction(sympy.log(A), (A,))
    x = np.array([1e10])
    truth = exact_gradient(sympy.log(A), (A,), x)
    est = get_method("approx-fprime").gradient(f, x)
    assert est.step[0] == SQRT_EPS * 1e10  # 149.01..., not the 1.49e-8 asked for
    assert abs(est.value[0] - truth[0]) / truth[0] <= 1e-7


def test_large_x_with_a_small_surviving_step_returns_zero() -> None:
    # epsilon = 1e-5 survives as 5 ulps of 1e10 (5 * 2**-19), so no fallback happens; the change
    # of log x, ~1e-15, is below half an ulp of log(1e10) ~ 23: both values round alike.
    f = SymbolicFunction(sympy.log(A), (A,))
    est = get_method("approx-fprime").gradient(f, [1e10], step=1e-5)
    assert est.step[0] == 5 * 2.0**-19
    assert est.value[0] == 0.0  # the true derivative is 1e-10: a 100% error, silently


def test_bad_step_names_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"`step` must be positive"):
        get_method("approx-fprime").gradient(np.sum, [1.0, 2.0], step=-1e-6)
    with pytest.raises(ValueError, match=r"`step` must be a scalar or have shape \(2,\)"):
        get_method("approx-fprime").gradient(np.sum, [1.0, 2.0], step=[1e-6] * 3)
