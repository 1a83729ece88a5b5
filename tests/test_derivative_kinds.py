"""Jacobians, Hessians and k-th derivatives of each method that declares them, against the truth."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

import methods
from diffbench.metrics import asymmetry, matrix_error
from diffbench.truth import exact_derivative, exact_hessian, exact_jacobian
from methods import get_method
from methods.counting import FunctionEvaluationError
from methods.fornberg import error_model, optimal_step, stencil
from methods.sparsity import check_sparsity, color_columns

EPS = float(np.finfo(float).eps)
a, b, c = sympy.symbols("a b c", real=True)
t = sympy.Symbol("t", real=True)

# a smooth unit-scale map R^3 -> R^3 and a smooth unit-scale function R^3 -> R
MAP = [sympy.sin(a) * sympy.exp(b), a**2 + sympy.cos(b) * c, a * b * c]
FUNC = sympy.exp(a * b) + sympy.sin(b + c) * a + c**3 / 3
SCALAR = sympy.log(t + 2) + sympy.exp(-t / 2) * sympy.sin(t)
X = [0.4, -0.7, 0.9]
ALL_FD = [("forward", p) for p in (1, 2, 3, 4)] + [("central", p) for p in (2, 4, 6)]
ALL_FD += [("backward", p) for p in (1, 2)]


def _numpy(expr, symbols):
    fn = sympy.lambdify(symbols, expr, modules="numpy")
    return lambda x: fn(*[x[i] for i in range(len(symbols))])


map_f = _numpy(MAP, (a, b, c))
func_f = _numpy(FUNC, (a, b, c))
scalar_f = sympy.lambdify(t, SCALAR, modules="numpy")


def _fd_band(scheme: str, p: int, k: int) -> float:
    """100 times the error model at its optimum, ``|C| h*^p + S eps / h*^k`` ~ eps^(p/(p+k))."""
    em = error_model(scheme, k, p)
    h = optimal_step(scheme, k, p)
    return 100 * (float(abs(em.truncation)) * h**p + float(em.abs_weight_sum) * EPS / h**k)


# -- exact Fornberg weights for higher derivatives -------------------------------------------------
@pytest.mark.parametrize(
    ("scheme", "deriv", "accuracy", "weights"),
    [
        ("central", 2, 2, ["1", "-2", "1"]),
        ("central", 2, 4, ["-1/12", "4/3", "-5/2", "4/3", "-1/12"]),
        ("central", 3, 2, ["-1/2", "1", "0", "-1", "1/2"]),
        ("central", 4, 2, ["1", "-4", "6", "-4", "1"]),
        ("forward", 2, 1, ["1", "-2", "1"]),
        ("forward", 3, 1, ["-1", "3", "-3", "1"]),
        ("forward", 4, 1, ["1", "-4", "6", "-4", "1"]),
        ("backward", 3, 1, ["1", "-3", "3", "-1"]),
    ],
)
def test_higher_derivative_weights_are_exact_rationals(scheme, deriv, accuracy, weights):
    st = stencil(scheme, deriv, accuracy)
    assert all(isinstance(w, Fraction) for w in st.weights)
    assert [str(w) for w in st.weights] == weights


@pytest.mark.parametrize(
    ("scheme", "k", "p"), [("central", 2, 2), ("central", 4, 4), ("forward", 3, 1)]
)
def test_default_step_moves_to_eps_power_one_over_p_plus_k(scheme, k, p):
    e1, e2 = 1e-16, 1e-10
    slope = np.log(optimal_step(scheme, k, p, eps=e2) / optimal_step(scheme, k, p, eps=e1))
    assert slope / np.log(e2 / e1) == pytest.approx(1 / (p + k), rel=1e-12)


# -- k-th derivatives ----------------------------------------------------------------------------
@pytest.mark.parametrize(("scheme", "order"), ALL_FD)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_fd_kth_derivative_within_band(scheme, order, k):
    truth = exact_derivative(SCALAR, t, 0.8, k)
    est = get_method(scheme, order=order).derivative(scalar_f, 0.8, deriv=k)
    assert abs(est.value - truth) / abs(truth) < _fd_band(scheme, order, k)
    assert est.nfev == len(stencil(scheme, k, order).offsets) - (scheme == "central" and k % 2)


@pytest.mark.parametrize(
    ("scheme", "order"),
    [("central", 2), ("central", 4), ("forward", 1), ("forward", 2), ("backward", 3)],
)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_fd_kth_derivative_convergence_slope_is_the_order(scheme, order, k):
    truth = exact_derivative(sympy.exp(t), t, 0.3, k)
    steps = np.geomspace(0.1, 0.02, 6)  # truncation dominates, asymptotic regime
    errors = [
        abs(get_method(scheme, order=order).derivative(np.exp, 0.3, deriv=k, step=h).value - truth)
        for h in steps
    ]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(order, abs=0.2)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_complex_step_kth_derivative_within_band(k):
    truth = exact_derivative(SCALAR, t, 0.8, k)
    est = get_method("complex-step").derivative(scalar_f, 0.8, deriv=k)
    assert abs(est.value - truth) / abs(truth) < 100 * EPS ** (2 / (k + 1))


def test_hyper_dual_second_derivative_to_rounding():
    truth = exact_derivative(SCALAR, t, 0.8, 2)
    est = get_method("hyper-dual").derivative(scalar_f, 0.8, deriv=2)
    assert abs(est.value - truth) <= 8 * EPS * abs(truth)
    assert est.nfev == 1 and est.step is None


def test_deriv_one_is_unchanged():
    for name in ("central", "forward", "complex-step", "dual", "richardson"):
        m = get_method(name)
        assert m.derivative(np.sin, 0.3) == m.derivative(np.sin, 0.3, deriv=1)


# -- Jacobians ------------------------------------------------------------------------------------
JAC_BANDS = {
    ("forward", 1): 1e-6,
    ("forward", 3): 1e-10,
    ("backward", 2): 1e-8,
    ("central", 2): 1e-9,
    ("central", 4): 1e-11,
}


@pytest.mark.parametrize(("scheme", "order"), list(JAC_BANDS))
def test_fd_jacobian_within_band(scheme, order):
    truth = exact_jacobian(MAP, (a, b, c), X)
    est = get_method(scheme, order=order).jacobian(map_f, X)
    assert est.value.shape == (3, 3)
    assert matrix_error(est, truth)[1] < JAC_BANDS[(scheme, order)]
    shared = 1 if scheme != "central" else 0
    assert est.nfev == 3 * order + shared
    assert est.step.shape == (3,)


@pytest.mark.parametrize(("name", "nfev"), [("complex-step", 4), ("dual", 1), ("hyper-dual", 1)])
def test_rounding_level_jacobians(name, nfev):
    truth = exact_jacobian(MAP, (a, b, c), X)
    est = get_method(name).jacobian(map_f, X)
    assert matrix_error(est, truth)[1] < 8 * EPS
    assert est.nfev == nfev


def test_jacobian_of_scalar_function_is_a_row():
    est = get_method("central").jacobian(func_f, X)
    assert est.value.shape == (1, 3)


# -- Hessians -------------------------------------------------------------------------------------
HESS_BANDS = {
    ("forward", 1): 1e-3,
    ("forward", 2): 1e-5,
    ("backward", 1): 1e-3,
    ("central", 2): 1e-6,
    ("central", 4): 1e-8,
}


@pytest.mark.parametrize(("scheme", "order"), list(HESS_BANDS))
def test_fd_hessian_within_band_and_symmetric(scheme, order):
    truth = exact_hessian(FUNC, (a, b, c), X)
    est = get_method(scheme, order=order).hessian(func_f, X)
    assert matrix_error(est, truth)[1] < HESS_BANDS[(scheme, order)]
    assert np.array_equal(est.value, est.value.T) and asymmetry(est) == 0.0


def test_fd_hessian_nfev_and_default_step():
    # the a-priori step (step_rule="relative"); the default "guarded" searches it from f
    # (tests/test_hessian_step_rule.py)
    est = get_method("central", step_rule="relative").hessian(func_f, X)
    n = 3
    assert est.nfev == 1 + 2 * n + 4 * n * (n - 1) // 2
    h = optimal_step("central", 2, 2) * np.maximum(1.0, np.abs(X))
    np.testing.assert_allclose(est.step, h, rtol=1e-12)
    # forward: f(x) and f(x + h e_i) are shared by the diagonal and mixed stencils
    forward = get_method("forward", step_rule="relative")
    assert forward.hessian(func_f, X).nfev == 1 + 2 * n + n * (n - 1) // 2


def test_complex_step_hessian_within_band_and_symmetric():
    truth = exact_hessian(FUNC, (a, b, c), X)
    est = get_method("complex-step").hessian(func_f, X)
    assert matrix_error(est, truth)[1] < 1e-9
    assert np.array_equal(est.value, est.value.T)
    assert est.nfev == 2 * 9 + 1


def test_hyper_dual_hessian_exact_and_symmetric():
    truth = exact_hessian(FUNC, (a, b, c), X)
    est = get_method("hyper-dual").hessian(func_f, X)
    assert matrix_error(est, truth)[1] < 8 * EPS
    assert np.array_equal(est.value, est.value.T)
    # row 0 alone (sizes the rest to the memory budget), then rows 1..n-1 in one evaluation
    assert est.nfev == 2


# -- sparse Jacobians -----------------------------------------------------------------------------
N = 1000


def bratu(u):
    padded = np.concatenate([[0.0], u, [0.0]]) if isinstance(u, np.ndarray) else None
    if padded is None:  # dual, hyper-dual or complex: built from its entries
        return [_bratu_row(u, i) for i in range(N)]
    h2 = (N + 1) ** 2
    return (2 * u - padded[:-2] - padded[2:]) * h2 - np.exp(u)


def _bratu_row(u, i):
    left = u[i - 1] if i > 0 else 0.0
    right = u[i + 1] if i < N - 1 else 0.0
    return (2 * u[i] - left - right) * (N + 1) ** 2 - np.exp(u[i])


PATTERN = sp.diags_array([1, 1, 1], offsets=[-1, 0, 1], shape=(N, N), dtype=bool)
U = 0.5 * np.arange(1, N + 1) / (N + 1) * (1 - np.arange(1, N + 1) / (N + 1))


def test_cpr_colouring_of_tridiagonal_is_three_groups():
    colors = color_columns(check_sparsity(PATTERN, N), N)
    assert colors.max() + 1 == 3


@pytest.mark.parametrize(("name", "nfev"), [("forward", 4), ("central", 6)])
def test_sparse_fd_jacobian_costs_and_equals_dense(name, nfev):
    sparse = get_method(name).jacobian(bratu, U, sparsity=PATTERN)
    assert sp.issparse(sparse.value) and sparse.value.shape == (N, N)
    assert sparse.nfev == nfev <= 6
    dense = get_method(name).jacobian(bratu, U)
    assert dense.nfev == (N + 1 if name == "forward" else 2 * N)
    assert np.array_equal(sparse.value.toarray(), dense.value)


def test_sparse_equals_dense_for_complex_step_and_duals():
    n = 30
    pattern = sp.diags_array([1, 1, 1], offsets=[-1, 0, 1], shape=(n, n), dtype=bool)

    def f(u):
        return [u[i] ** 2 * (u[i - 1] if i else 1.0) - np.sin(u[(i + 1) % n] if i < n - 1 else 0.0)
                for i in range(n)]  # fmt: skip

    x = np.linspace(0.1, 0.9, n)
    for name, nfev in (("complex-step", 4), ("dual", 1), ("hyper-dual", 1)):
        sparse = get_method(name).jacobian(f, x, sparsity=pattern)
        dense = get_method(name).jacobian(f, x)
        assert sparse.nfev == nfev
        np.testing.assert_array_equal(sparse.value.toarray(), dense.value)


def test_sparse_estimate_is_read_only():
    est = get_method("forward").jacobian(bratu, U, sparsity=PATTERN)
    with pytest.raises(ValueError, match="read-only"):
        est.value.data[0] = 1.0


# -- capabilities and bad input -------------------------------------------------------------------
def test_available_lists_kinds():
    info = {i.name: i for i in methods.available()}
    assert info["central"].derivative_kinds == {"gradient", "jacobian", "hessian", "derivative"}
    assert info["hyper-dual"].max_deriv == 2 and info["central"].max_deriv == 4
    assert "hessian" not in info["dual"].derivative_kinds
    # approx_fprime returns a Jacobian for a vector f (merged from the peers' kinds)
    assert info["approx-fprime"].derivative_kinds == {"gradient", "jacobian", "derivative"}
    # richardson/ridders gained jacobian, hessian and deriv 2..4 (tests/test_extrapolation_kinds.py)
    assert info["richardson"].derivative_kinds == info["central"].derivative_kinds
    assert info["ridders"].max_deriv == 4


def test_unsupported_kind_names_method_and_kind():
    with pytest.raises(NotImplementedError, match="'approx-fprime' cannot compute a hessian"):
        get_method("approx-fprime").hessian(func_f, X)
    with pytest.raises(NotImplementedError, match="'dual' cannot compute a hessian"):
        get_method("dual").hessian(func_f, X)
    with pytest.raises(NotImplementedError, match=r"'hyper-dual' .* up to order 2, got `deriv`=3"):
        get_method("hyper-dual").derivative(np.sin, 0.1, deriv=3)
    with pytest.raises(NotImplementedError, match="up to order 1"):
        get_method("approx-fprime").derivative(np.sin, 0.1, deriv=2)


@pytest.mark.parametrize(("deriv", "exc"), [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                            (True, TypeError), ("2", TypeError)])  # fmt: skip
def test_bad_deriv(deriv, exc):
    with pytest.raises(exc, match="`deriv`"):
        get_method("central").derivative(np.sin, 0.1, deriv=deriv)


@pytest.mark.parametrize(
    ("sparsity", "exc"),
    [
        (np.ones((3, 2), dtype=bool), ValueError),
        (np.ones((3, 3)), TypeError),
        (np.ones((3, 3, 1), dtype=bool), ValueError),
        (sp.eye(4, format="csr"), ValueError),
        (np.ones((0, 3), dtype=bool), ValueError),
    ],
)
def test_bad_sparsity(sparsity, exc):
    with pytest.raises(exc, match="`sparsity`"):
        get_method("forward").jacobian(map_f, X, sparsity=sparsity)


def test_sparsity_rows_must_match_f():
    with pytest.raises(FunctionEvaluationError, match="the sparsity pattern has length 4"):
        get_method("forward").jacobian(map_f, X, sparsity=np.ones((4, 3), dtype=bool))


@pytest.mark.parametrize("name", ["forward", "complex-step", "dual", "hyper-dual"])
def test_jacobian_rejects_wrong_shapes(name):
    with pytest.raises(FunctionEvaluationError, match=r"shape \(m,\)"):
        get_method(name).jacobian(lambda x: np.ones((2, 2)) * x[0], X)


def test_jacobian_rejects_changing_length():
    calls = []

    def f(x):
        calls.append(1)
        return np.ones(len(calls)) * x[0]

    with pytest.raises(FunctionEvaluationError, match="earlier values had length 1"):
        get_method("forward").jacobian(f, X)


@pytest.mark.parametrize("kind", ["jacobian", "hessian"])
def test_bad_x_and_step(kind):
    m = get_method("central")
    call = getattr(m, kind)
    f = map_f if kind == "jacobian" else func_f
    with pytest.raises(ValueError, match="`x`"):
        call(f, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="`step`"):
        call(f, X, step=[1e-3, 1e-3])
    with pytest.raises(ValueError, match="`step`"):
        get_method("hyper-dual").hessian(func_f, X, step=1e-3)


def test_non_finite_values_give_nan_with_warning():
    def f(x):
        return np.array([np.log(x[0]), x[1]])

    with pytest.warns(RuntimeWarning, match=r"x=\["):
        est = get_method("central").jacobian(f, [1e-9, 1.0])
    assert np.isnan(est.value[0, 0]) and est.value[1, 1] == pytest.approx(1.0)
    with pytest.warns(RuntimeWarning, match="x="):
        h = get_method("central").hessian(lambda x: np.log(x[0]) * x[1], [1e-9, 1.0])
    assert np.isnan(h.value[0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = get_method("hyper-dual").hessian(lambda x: np.log(x[0] - 2.0) + x[1], [1.0, 1.0])
    assert np.isnan(h.value).all()
