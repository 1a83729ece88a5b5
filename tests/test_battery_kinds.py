"""Exact Jacobians, Hessians and k-th derivatives (diffbench.truth), the problems of
diffbench.battery_kinds, and the matrix error metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

from diffbench.battery_kinds import bratu, get_kind_problem, kind_battery, kind_problem_names
from diffbench.metrics import asymmetry, matrix_error
from diffbench.truth import exact_derivative, exact_hessian, exact_jacobian
from methods import get_method

a, b = sympy.symbols("a b", real=True)
t = sympy.Symbol("t", real=True)


def test_exact_jacobian_hessian_derivative_by_hand():
    jac = exact_jacobian([a * b, sympy.exp(a) + b**3], (a, b), [2.0, 3.0])
    np.testing.assert_array_equal(jac, [[3.0, 2.0], [float(np.exp(2.0)), 27.0]])
    hess = exact_hessian(a**3 * b + sympy.sin(b), (a, b), [2.0, 0.5])
    np.testing.assert_array_equal(hess, [[6.0 * 2.0 * 0.5, 12.0], [12.0, float(-np.sin(0.5))]])
    assert exact_derivative(sympy.exp(2 * t), t, 0.0, 4) == 16.0
    assert exact_derivative(t**3, t, 2.0, 4) == 0.0


def test_exact_truth_is_certified_rounding():
    # entries that cancel in float64 at 50 digits still come out correctly rounded
    x = 1e-8
    expr = (sympy.exp(t) - 1 - t) / t**2
    mp = sympy.diff(expr, t, 2).evalf(80, subs={t: sympy.Float(x, 60)})
    assert exact_derivative(expr, t, x, 2) == float(mp)


def test_truth_bad_input():
    with pytest.raises(ValueError, match="`symbols`"):
        exact_jacobian([a * b], (a,), [1.0])
    with pytest.raises(ValueError, match="`exprs`"):
        exact_jacobian([], (a,), [1.0])
    with pytest.raises(TypeError, match="`exprs`"):
        exact_jacobian(3, (a,), [1.0])
    with pytest.raises(ValueError, match="`x`"):
        exact_hessian(a * b, (a, b), [1.0])
    with pytest.raises(ValueError, match="`k`"):
        exact_derivative(t**2, t, 1.0, 0)
    with pytest.raises(ValueError, match="`x`"):
        exact_derivative(t**2, t, [1.0, 2.0], 2)
    with pytest.raises(ValueError, match="undefined"):
        exact_derivative(sympy.sqrt(t), t, 0.0, 2)


def test_battery_names_and_kinds():
    names = kind_problem_names()
    for name in ("robertson", "bratu-10", "bratu-100", "bratu-1000", "zero-column",
                 "rosenbrock-hessian-2", "rosenbrock-hessian-100", "loglik-scales",
                 "near-singular", "runge-d2", "runge-d3", "runge-d4"):  # fmt: skip
        assert name in names
    assert "x-abs-x-d2" not in names  # a DiracDelta in its second derivative
    kinds = {p.kind for p in kind_battery()}
    assert kinds == {"jacobian", "hessian", "derivative"}
    with pytest.raises(ValueError, match="unknown problem"):
        get_kind_problem("nope")
    with pytest.raises(ValueError, match="`n`"):
        bratu(1)


def test_robertson_entries_span_orders_of_magnitude():
    p = get_kind_problem("robertson")
    jac = p.truth(p.points[1])
    nonzero = np.abs(jac[jac != 0])
    assert nonzero.max() / nonzero.min() > 1e4


def test_bratu_pattern_and_exact_jacobian():
    p = bratu(10)
    pattern = p.sparsity()
    assert pattern.nnz == 3 * 10 - 2
    jac = p.truth(p.points[0])
    assert np.array_equal(jac != 0, pattern.toarray())
    assert jac[0, 1] == -(11.0**2)
    est = get_method("forward").jacobian(p.function(), p.points[0], sparsity=pattern)
    assert est.nfev == 4 and matrix_error(est, jac)[1] < 1e-6


def test_zero_column_and_singular_and_loglik():
    p = get_kind_problem("zero-column")
    for x in p.points:
        est = get_method("dual").jacobian(p.function(), x)
        assert np.array_equal(est.value[:, 2], np.zeros(3))
        assert matrix_error(est, p.truth(x))[1] < 1e-15
    q = get_kind_problem("near-singular")
    h = q.truth(q.points[0])
    eig = np.linalg.eigvalsh(h)
    assert eig[0] / eig[1] < 1e-7
    ll = get_kind_problem("loglik-scales")
    mu, sigma = ll.points[0]
    assert mu / sigma > 1e4
    truth = ll.truth(ll.points[0])
    assert truth[0, 0] == pytest.approx(-20 / sigma**2, rel=1e-12)
    assert truth[1, 1] == pytest.approx(-40 / sigma**2, rel=1e-12)  # at the maximum
    est = get_method("hyper-dual").hessian(ll.function(), ll.points[0])
    assert matrix_error(est, truth)[1] < 1e-13


def test_rosenbrock_hessian_problem():
    p = get_kind_problem("rosenbrock-hessian-10")
    for x in p.points:
        est = get_method("hyper-dual").hessian(p.function(), x)
        assert matrix_error(est, p.truth(x))[1] < 1e-14


def test_derivative_problems():
    p = get_kind_problem("runge-d3")
    assert p.deriv == 3
    for x in p.points:
        est = get_method("central", order=4).derivative(p.function(), x[0], deriv=3)
        assert matrix_error(est.value, p.truth(x))[1] < 1e-3
    with pytest.raises(ValueError, match="no pattern"):
        p.sparsity()


def test_matrix_error_rules():
    assert matrix_error([[1.0, 2.0], [0.0, 4.0]], [[1.0, 2.0], [0.1, 4.0]]) == pytest.approx(
        (0.1, 0.025)
    )
    assert matrix_error([[1e-9, 0.0]], [[0.0, 0.0]]) == (1e-9, 1e-9)
    assert all(np.isnan(matrix_error([[np.nan, 0.0]], [[1.0, 0.0]])))
    assert matrix_error(sp.csr_matrix([[1.0, 0.0]]), [[1.0, 0.5]]) == (0.5, 0.5)
    assert matrix_error(2.5, 2.0) == (0.5, 0.25)
    with pytest.raises(ValueError, match="shape"):
        matrix_error([[1.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="`truth`"):
        matrix_error([[1.0]], [[np.inf]])


def test_asymmetry():
    assert asymmetry([[2.0, 1.0], [1.5, 4.0]]) == 0.125
    assert asymmetry(np.zeros((2, 2))) == 0.0
    assert np.isnan(asymmetry([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        asymmetry([[1.0, 2.0]])


def test_every_small_problem_has_finite_truth():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for p in kind_battery():
            if p.dim > 10:
                continue
            for x in p.points:
                assert np.all(np.isfinite(p.truth(x)))
