"""Hyper-dual numbers: second-order rules against SymPy's exact second derivatives, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from diffbench.truth import exact_derivative, exact_hessian
from methods import get_method
from methods.counting import FunctionEvaluationError
from methods.hyperdual_numbers import SUPPORTED_UFUNCS, HyperDual

EPS = float(np.finfo(float).eps)
t = sympy.Symbol("t", real=True)

# (numpy function of a scalar, the same as SymPy, point)
CASES = [
    (np.exp, sympy.exp(t), 0.7),
    (np.expm1, sympy.exp(t) - 1, 0.7),
    (np.exp2, 2**t, 0.7),
    (np.log, sympy.log(t), 0.7),
    (np.log2, sympy.log(t, 2), 0.7),
    (np.log10, sympy.log(t, 10), 0.7),
    (np.log1p, sympy.log(1 + t), 0.7),
    (np.sqrt, sympy.sqrt(t), 0.7),
    (np.cbrt, sympy.cbrt(t), 0.7),
    (np.sin, sympy.sin(t), 0.7),
    (np.cos, sympy.cos(t), 0.7),
    (np.tan, sympy.tan(t), 0.7),
    (np.arcsin, sympy.asin(t), 0.7),
    (np.arccos, sympy.acos(t), 0.7),
    (np.arctan, sympy.atan(t), 0.7),
    (np.sinh, sympy.sinh(t), 0.7),
    (np.cosh, sympy.cosh(t), 0.7),
    (np.tanh, sympy.tanh(t), 0.7),
    (np.arcsinh, sympy.asinh(t), 0.7),
    (np.arccosh, sympy.acosh(t), 1.7),
    (np.arctanh, sympy.atanh(t), 0.7),
    (np.square, t**2, 0.7),
    (np.reciprocal, 1 / t, 0.7),
    (lambda x: x**2.5, t ** sympy.Rational(5, 2), 0.7),
    (lambda x: 3.0**x, 3**t, 0.7),
    (lambda x: x**x, t**t, 0.7),
    (lambda x: 1.0 / (1.0 + x * x), 1 / (1 + t**2), 0.7),
    (lambda x: np.arctan2(x, 1.0 + x * x), sympy.atan2(t, 1 + t**2), 0.7),
    (lambda x: np.arctan2(2.0, x), sympy.atan2(2, t), 0.7),
    (lambda x: np.hypot(x, 2.0 * x + 1.0), sympy.sqrt(t**2 + (2 * t + 1) ** 2), 0.7),
    (lambda x: np.maximum(x * x, 0.1) - np.minimum(x, 0.5), t**2 - sympy.Rational(1, 2), 0.7),
    (lambda x: np.abs(-x) ** 3, t**3, 0.7),
]


@pytest.mark.parametrize(("fn", "expr", "x"), CASES)
def test_second_derivative_rules(fn, expr, x):
    truth = exact_derivative(expr, t, x, 2)
    est = get_method("hyper-dual").derivative(fn, x, deriv=2)
    assert est.value == pytest.approx(truth, rel=64 * EPS, abs=64 * EPS)
    first = get_method("hyper-dual").derivative(fn, x)
    assert first.value == pytest.approx(exact_derivative(expr, t, x, 1), rel=64 * EPS, abs=64 * EPS)


def test_numpy_functions_sum_prod_dot_mean_where_matmul():
    a, b, c = sympy.symbols("a b c", real=True)
    expr = (a * b * c) + (a**2 + b**2 + c**2) / 3 + (a * 2 + b * c) + (a * 1 + b * 2 + c * 3) ** 2
    mat = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])

    def f(x):
        s = (
            np.prod(x)
            + np.mean(x * x)
            + np.dot(x[:2], np.where(np.array([True, False]), 2.0, x[1:]))
        )
        v = mat @ x  # (2,)
        w = x @ mat.T
        return s + (np.sum(v * w) - np.sum(v**2)) + (x @ np.array([1.0, 2.0, 3.0])) ** 2

    x = [0.3, -1.1, 0.8]
    truth = exact_hessian(expr, (a, b, c), x)
    est = get_method("hyper-dual").hessian(f, x)
    np.testing.assert_allclose(est.value, truth, rtol=1e-14, atol=1e-14)


def test_select_and_comparisons():
    def f(x):
        return np.select([x[0] > 0, x[0] < 0], [x[0] ** 3, -x[0]], default=0.0) + x[1] * x[0]

    est = get_method("hyper-dual").hessian(f, [0.5, 2.0])
    np.testing.assert_allclose(est.value, [[3.0, 1.0], [1.0, 0.0]])


def test_refuses_conversions_that_drop_derivatives():
    h = HyperDual(1.0, [1.0], [1.0], [[0.0]])
    with pytest.raises(TypeError, match="float"):
        float(h)
    with pytest.raises(TypeError, match="asarray"):
        np.asarray(h)
    with pytest.raises(TypeError, match="astype"):
        h.astype(float)
    assert float(HyperDual.constant(2.0, 1, 1)) == 2.0


@pytest.mark.parametrize(
    "op",
    [
        np.floor,
        np.fmod,
        lambda h: h // 2,
        lambda h: h % 2,
        lambda h: np.add.reduce(h),
        lambda h: np.cumsum(h),
        lambda h: np.sin(h, dtype=float),
    ],  # fmt: skip
)
def test_unsupported_operations_raise_type_error(op):
    h = HyperDual(np.array([1.0, 2.0]), np.eye(2), np.eye(2), np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="hyper-dual"):
        op(h) if op is not np.fmod else op(h, 2.0)


def test_supported_ufuncs_cover_dual():
    from methods.dual import SUPPORTED_UFUNCS as DUAL

    assert set(DUAL) <= set(SUPPORTED_UFUNCS)


def test_bad_parts_and_bad_output():
    with pytest.raises(ValueError, match="`e1`"):
        HyperDual(np.zeros(2), np.zeros((3, 1)), np.zeros((2, 1)), np.zeros((2, 1, 1)))
    with pytest.raises(FunctionEvaluationError, match="scalar"):
        get_method("hyper-dual").hessian(lambda x: x * 2.0, [1.0, 2.0])
    with pytest.raises(FunctionEvaluationError, match="must return a number"):
        get_method("hyper-dual").hessian(lambda x: "no", [1.0, 2.0])


def test_constant_function_has_zero_hessian():
    est = get_method("hyper-dual").hessian(lambda x: 3.0, [1.0, 2.0])
    assert np.array_equal(est.value, np.zeros((2, 2)))
    assert np.array_equal(get_method("hyper-dual").gradient(lambda x: 3.0, [1.0]).value, [0.0])
