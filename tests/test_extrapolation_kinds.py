"""Richardson and Ridders beyond gradients: deriv 2..4, Hessians, Jacobians, against exact truth."""

import numpy as np
import pytest
import sympy

import methods
from diffbench.metrics import matrix_error
from diffbench.truth import exact_derivative, exact_hessian, exact_jacobian
from methods import get_method

EPS = 2.0**-52
t = sympy.Symbol("t", real=True)
SMOOTH = [
    sympy.exp(t),
    sympy.sin(t),
    1 / (1 + t**2),
    sympy.log(1 + t**2),
    sympy.exp(t) * sympy.cos(3 * t),
    sympy.atan(t),
    sympy.exp(-(t**2)),
]
POINTS = (0.3, 0.7, 1.5)
# Theory band for the k-th derivative: a plain order-2 central stencil reaches eps^(2/(2+k))
# at its best step; the extrapolated ones must do at least that well on smooth unit-scale
# functions (measured: medians 8e-13 .. 2e-9 and worst 3e-11 .. 4e-7 for k = 2..4).
BAND = {2: EPS ** (2 / 4), 3: EPS ** (2 / 5), 4: EPS ** (2 / 6)}
NAMES = ("richardson", "ridders")


def _cases():
    return [(e, x) for e in SMOOTH for x in POINTS]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_kth_derivative_against_exact(name, k):
    m = get_method(name)
    errors = []
    for e, x in _cases():
        f = sympy.lambdify(t, e, "numpy")
        truth = exact_derivative(e, t, x, k)
        est = m.derivative(f, x, deriv=k)
        err = abs(est.value - truth)
        errors.append(err / abs(truth))
        assert err / abs(truth) < BAND[k], (e, x)
        # the estimate is finite, bounds the error and is not absurdly pessimistic
        assert np.isfinite(est.error_estimate) and err <= est.error_estimate, (e, x)
        assert est.error_estimate <= 1e4 * BAND[k] * max(abs(truth), 1.0), (e, x)
    # better than the plain stencil's band by orders of magnitude in the median
    assert np.median(errors) < 1e-3 * BAND[k]


def test_richardson_nfev_counts_shared_points():
    # k = 2: f(x) shared by all 5 levels, 2 points per level; k = 3, 4: the outer points of a
    # level are the inner points of the one before (step ratio 2)
    m = get_method("richardson")
    calls = []

    def f(v):
        calls.append(v)
        return np.exp(v)

    for k, expected in ((2, 11), (3, 12), (4, 13)):
        calls.clear()
        est = m.derivative(f, 0.5, deriv=k)
        assert est.nfev == expected == len(calls)
        assert len(set(calls)) == len(calls)
    est = get_method("richardson", levels=2).derivative(np.exp, 0.5, deriv=2)
    assert est.nfev == 7


def test_ridders_nfev_is_counted():
    calls = []

    def f(v):
        calls.append(v)
        return np.sin(v)

    est = get_method("ridders").derivative(f, 0.4, deriv=3)
    assert est.nfev == len(calls) > 0


def test_default_steps_grow_with_k_as_the_error_model_says():
    steps = [get_method("richardson").derivative(np.exp, 0.0, deriv=k).step for k in (2, 3, 4)]
    assert steps[0] < steps[1] < steps[2]
    # eps^(1/(p+k)) with p = 10: the relative step scales with max(1, |x|)
    far = get_method("richardson").derivative(np.exp, 8.0, deriv=2).step
    assert far == pytest.approx(8 * steps[0], rel=1e-12)


def test_step_argument_is_used():
    est = get_method("richardson").derivative(np.exp, 0.0, deriv=2, step=0.05)
    assert est.step == 0.05


a, b, c = sympy.symbols("a b c", real=True)
HESS_EXPR = sympy.exp(a) * sympy.sin(b) + a**2 * c**3 + sympy.log(1 + b**2 * c**2)
HESS_X = np.array([0.3, -0.7, 1.2])


@pytest.mark.parametrize("name", NAMES)
def test_hessian_against_exact(name):
    f = sympy.lambdify([(a, b, c)], HESS_EXPR, "numpy")
    truth = exact_hessian(HESS_EXPR, [a, b, c], HESS_X)
    est = get_method(name).hessian(f, HESS_X)
    _, rel = matrix_error(est, truth)
    assert rel < 1e-10  # a plain central second difference: ~eps^(1/2) = 1.5e-8
    assert np.array_equal(est.value, est.value.T)
    assert est.error_estimate.shape == (3, 3)
    assert np.all(np.abs(est.value - truth) <= est.error_estimate)
    assert np.all(np.isfinite(est.error_estimate))


def test_richardson_hessian_nfev():
    n, levels = 3, 4
    f = sympy.lambdify([(a, b, c)], HESS_EXPR, "numpy")
    est = get_method("richardson").hessian(f, HESS_X)
    # per level: 2 points per diagonal entry, 4 per mixed entry; f(x) once
    assert est.nfev == (levels + 1) * (2 * n + 4 * n * (n - 1) // 2) + 1


@pytest.mark.parametrize("name", NAMES)
def test_jacobian_against_exact(name):
    exprs = [a * b * sympy.exp(c), sympy.sin(a + b), c**2 / (1 + a**2)]
    fv = sympy.lambdify([(a, b, c)], exprs, "numpy")
    truth = exact_jacobian(exprs, [a, b, c], HESS_X)
    est = get_method(name).jacobian(lambda y: np.array(fv(y)), HESS_X)
    assert est.value.shape == (3, 3)
    assert matrix_error(est, truth)[1] < 1e-12
    assert np.all(np.abs(est.value - truth) <= est.error_estimate)
    if name == "richardson":
        assert est.nfev == 2 * 3 * 5


@pytest.mark.parametrize("name", NAMES)
def test_jacobian_refuses_sparsity(name):
    with pytest.raises(NotImplementedError, match="sparsity"):
        get_method(name).jacobian(lambda y: y, [1.0, 2.0], sparsity=np.eye(2, dtype=bool))


def test_declared_in_available():
    info = {i.name: i for i in methods.available()}
    for name in NAMES:
        assert {"jacobian", "hessian", "derivative"} <= info[name].derivative_kinds
        assert info[name].max_deriv == 4


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("deriv", "exc"),
    [(0, ValueError), (5, NotImplementedError), (2.0, TypeError), ("3", TypeError)],
)
def test_bad_deriv_names_deriv(name, deriv, exc):
    with pytest.raises(exc, match="`deriv`"):
        get_method(name).derivative(np.sin, 0.1, deriv=deriv)


def test_nan_from_f_gives_nan_with_warning():
    with pytest.warns(RuntimeWarning, match="nan"):
        est = get_method("richardson").derivative(np.sqrt, 0.05, deriv=2)
    assert np.isnan(est.value)
