"""Dual numbers (methods.dual) and the forward-mode adapter ``dual`` (methods.forward_mode).

Ground truth: SymPy derivatives evaluated with mpmath at 40 digits at the exact binary points
(``sympy.Rational(float)`` is exact), or exact rational arithmetic (``fractions.Fraction``). Bands
are in units of eps = 2**-52: a derivative rule costs a few roundings, so one elementary function is
held to 3 ulp (6.7e-16 relative, under 1e-15) and a short program to a few ulp per operation.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from methods import FunctionEvaluationError, SymbolicFunction, as_vector_function, get_method
from methods.dual import SUPPORTED_FUNCTIONS, SUPPORTED_UFUNCS, Dual, seed

EPS = 2.0**-52
t, u = sp.symbols("t u", real=True)


def truth(expr: sp.Expr, symbols: tuple, point: tuple) -> list[mpmath.mpf]:
    """Exact partial derivatives of ``expr`` at the binary ``point``, as 40-digit mpmath numbers."""
    subs = {s: sp.Rational(float(v)) for s, v in zip(symbols, point, strict=True)}
    return [mpmath.mpf(sp.diff(expr, s).subs(subs).evalf(40)) for s in symbols]


def ulps(estimate: float, exact: mpmath.mpf) -> float:
    """Error of ``estimate`` relative to ``exact``, in units of eps."""
    return float(abs(mpmath.mpf(float(estimate)) - exact) / abs(exact)) / EPS


# -- every supported elementwise ufunc against SymPy ----------------------------------------------
# name: (numpy ufunc, SymPy function, points inside the domain)
UNARY = {
    "sin": (np.sin, sp.sin, (0.3, -1.7, 2.9)),
    "cos": (np.cos, sp.cos, (0.3, -1.7, 2.9)),
    "tan": (np.tan, sp.tan, (0.3, -1.2, 1.5)),
    "exp": (np.exp, sp.exp, (0.3, -17.5, 29.0)),
    "log": (np.log, sp.log, (0.3, 1.7, 1e5)),
    "sqrt": (np.sqrt, sp.sqrt, (0.3, 1.7, 1e-8)),
    "square": (np.square, lambda e: e**2, (0.3, -1.7, 2.9)),
    "reciprocal": (np.reciprocal, lambda e: 1 / e, (0.3, -1.7, 2.9)),
    "arcsin": (np.arcsin, sp.asin, (0.3, -0.7, 0.999)),
    "arccos": (np.arccos, sp.acos, (0.3, -0.7, 0.999)),
    "arctan": (np.arctan, sp.atan, (0.3, -1.7, 1e3)),
    "sinh": (np.sinh, sp.sinh, (0.3, -1.7, 20.0)),
    "cosh": (np.cosh, sp.cosh, (0.3, -1.7, 20.0)),
    "tanh": (np.tanh, sp.tanh, (0.3, -1.7, 9.0)),
    "arcsinh": (np.arcsinh, sp.asinh, (0.3, -1.7, 1e3)),
    "arccosh": (np.arccosh, sp.acosh, (1.3, 1.001, 1e3)),
    "arctanh": (np.arctanh, sp.atanh, (0.3, -0.7, 0.999)),
    "log1p": (np.log1p, lambda e: sp.log(1 + e), (0.3, -0.7, 1e-9)),
    "expm1": (np.expm1, lambda e: sp.exp(e) - 1, (0.3, -1.7, 1e-9)),
    "log2": (np.log2, lambda e: sp.log(e, 2), (0.3, 1.7, 1e5)),
    "log10": (np.log10, lambda e: sp.log(e, 10), (0.3, 1.7, 1e5)),
    "exp2": (np.exp2, lambda e: 2**e, (0.3, -1.7, 29.0)),
    "cbrt": (np.cbrt, sp.cbrt, (0.3, 1.7, 1e5)),
    "absolute": (np.absolute, sp.Abs, (0.3, -1.7, 2.9)),
    "negative": (np.negative, lambda e: -e, (0.3, -1.7, 2.9)),
    "positive": (np.positive, lambda e: e, (0.3, -1.7, 2.9)),
}
CASES = [(name, x) for name, (_, _, points) in UNARY.items() for x in points]


@pytest.mark.parametrize(("name", "x"), CASES, ids=[f"{n}({x})" for n, x in CASES])
def test_unary_ufunc_derivative_within_3_ulp(name: str, x: float) -> None:
    ufunc, sym, _ = UNARY[name]
    d = ufunc(Dual(x, [1.0]))
    assert isinstance(d, Dual)
    assert d.value == ufunc(x)  # the value is the plain program's value
    (exact,) = truth(sym(t), (t,), (x,))
    assert ulps(d.deriv[0], exact) <= 3.0


def test_sign_has_zero_derivative() -> None:
    d = np.sign(seed([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(d.value, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.deriv, np.zeros((3, 3)))


def test_operators_match_their_ufuncs() -> None:
    a, b = seed([0.3, -1.7])
    for op, ufunc in [
        (lambda p, q: p + q, np.add),
        (lambda p, q: p - q, np.subtract),
        (lambda p, q: p * q, np.multiply),
        (lambda p, q: p / q, np.true_divide),
        (lambda p, q: abs(p) ** q, lambda p, q: np.power(np.absolute(p), q)),
    ]:
        x, y = op(a, b), ufunc(a, b)
        np.testing.assert_array_equal(x.value, y.value)
        np.testing.assert_array_equal(x.deriv, y.deriv)
    np.testing.assert_array_equal((-a).deriv, [-1.0, 0.0])
    np.testing.assert_array_equal((+a).deriv, [1.0, 0.0])


# name: (function of two duals or of a dual and a real, SymPy expression in t and u, points)
BINARY = {
    "add": (lambda a, b: a + b, t + u, [(0.3, -1.7)]),
    "subtract": (lambda a, b: a - b, t - u, [(0.3, -1.7)]),
    "multiply": (lambda a, b: a * b, t * u, [(0.3, -1.7), (2.9, 1e-3)]),
    "true_divide": (lambda a, b: a / b, t / u, [(0.3, -1.7), (2.9, 1e-3)]),
    "power dual**dual": (lambda a, b: a**b, t**u, [(0.3, -1.7), (2.9, 2.5)]),
    "arctan2": (np.arctan2, sp.atan2(t, u), [(0.3, -1.7), (-2.9, 0.4), (1e-3, 5.0)]),
    "hypot": (np.hypot, sp.sqrt(t**2 + u**2), [(0.3, -1.7), (-2.9, 0.4)]),
    "maximum": (np.maximum, sp.Max(t, u), [(0.3, -1.7), (-2.9, 0.4)]),
    "minimum": (np.minimum, sp.Min(t, u), [(0.3, -1.7), (-2.9, 0.4)]),
    # a real operand on one side: the truth is its partial in t, u enters only through the value
    "power dual**real": (lambda a, b: a**2.5 * b, t**2.5 * u, [(0.3, -1.7), (2.9, 1.0)]),
    # sp.Float(1.7, 40) is the exact double nearest 1.7
    "power real**dual": (lambda a, b: 1.7**a * b, sp.Float(1.7, 40) ** t * u, [(0.3, 2.0)]),
    "multiply by array": (
        lambda a, b: np.sum(np.array([0.5, -3.0]) * a * b),
        -2.5 * t * u,
        [(0.3, -1.7)],
    ),
}
BCASES = [(name, p) for name, (_, _, points) in BINARY.items() for p in points]


@pytest.mark.parametrize(("name", "point"), BCASES, ids=[f"{n}{p}" for n, p in BCASES])
def test_binary_derivatives_within_band(name: str, point: tuple) -> None:
    func, expr, _ = BINARY[name]
    a, b = seed(point)
    d = func(a, b)
    exact = truth(expr, (t, u), point)
    for got, want in zip(d.deriv, exact, strict=True):
        if want == 0:
            assert got == 0.0
        else:
            assert ulps(got, want) <= 3.0


def test_every_listed_ufunc_has_a_test_or_is_a_predicate() -> None:
    tested = set(UNARY) | {"sign", "add", "subtract", "multiply", "divide", "power"}
    tested |= {"arctan2", "hypot", "maximum", "minimum", "matmul"}
    predicates = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"}
    predicates |= {"isfinite", "isinf", "isnan"}
    assert set(SUPPORTED_UFUNCS) == tested | predicates
    assert set(SUPPORTED_FUNCTIONS) == {"sum", "mean", "prod", "dot", "where", "select"} | {
        "shape",
        "ndim",
        "size",
    }


# -- conventions at non-differentiable and singular points ----------------------------------------
def test_abs_at_zero_is_zero_and_max_at_tie_is_the_mean() -> None:
    (x,) = seed([0.0])
    assert abs(x).deriv[0] == 0.0
    assert np.maximum(x, -x).deriv[0] == 0.0  # max(x, -x) == |x|, same convention
    assert np.minimum(x, 2 * x).deriv[0] == 1.5


def test_sqrt_at_zero_is_infinite_and_other_directions_stay_zero() -> None:
    x, y = seed([0.0, 2.0])
    d = np.sqrt(x) * y
    assert d.deriv[0] == np.inf
    assert d.deriv[1] == 0.0  # inf * 0 would be NaN: a direction that does not move x gives 0
    assert np.cbrt(x).deriv.tolist() == [np.inf, 0.0]
    assert (x**0.5).deriv.tolist() == [np.inf, 0.0]


def test_power_edge_cases() -> None:
    x, y = seed([0.0, 2.0])
    assert (x**0).deriv.tolist() == [0.0, 0.0]  # x**0 is constant, also at 0
    assert (x**1).deriv.tolist() == [1.0, 0.0]
    assert (x**y).deriv.tolist() == [0.0, 0.0]  # 0**y == 0 for y > 0
    assert (y**x).deriv.tolist() == [math.log(2.0), 0.0]
    z = Dual(-2.0, [1.0])
    assert (z**3).deriv[0] == 12.0


def test_branches_follow_the_value() -> None:
    def f(x):
        return x**2 if x > 0 else -(x**3)

    assert f(Dual(0.5, [1.0])).deriv[0] == 1.0
    assert f(Dual(-0.5, [1.0])).deriv[0] == -0.75
    # x*|x| at -0.5: the complex step's trap (docs/theory.md#complex-step), exact with duals
    est = get_method("dual").derivative(lambda x: x * abs(x), -0.5)
    assert est.value == 1.0
    x = seed([0.3, -1.7, 2.9])
    np.testing.assert_array_equal(x < 1, [True, True, False])
    np.testing.assert_array_equal(np.greater_equal(x, x[0]), [True, False, True])
    assert bool(x[0] == 0.3) and bool(x[1] != 0.3)
    assert bool(x[0] <= x[1]) is False
    y = Dual([1.0, np.inf, np.nan], np.ones((3, 1)))
    assert (np.isfinite(y).tolist(), np.isinf(y).tolist()) == ([True, False, False], [0, 1, 0])
    assert np.isnan(y).tolist() == [False, False, True]


# -- unsupported operations ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: np.floor(x), r"dual numbers do not support numpy\.floor"),
        (lambda x: np.fmod(x, 2.0), r"dual numbers do not support numpy\.fmod"),
        (lambda x: np.add.reduce(x), r"dual numbers do not support numpy\.add\.reduce"),
        (lambda x: np.linalg.norm(x), r"dual numbers do not support numpy\.linalg\.norm"),
        (lambda x: np.median(x), r"dual numbers do not support numpy\.median"),
        (lambda x: x // 2, r"numpy\.floor_divide"),
        (lambda x: x % 2, r"numpy\.remainder"),
        (lambda x: np.sin(x, out=np.empty(3)), r"keyword arguments to numpy\.sin"),
        (lambda x: np.sum(x, out=np.empty(())), r"argument\(s\) \['out'\] of numpy\.sum"),
        (lambda x: float(x[0]), r"float\(\) of a dual number with a non-zero derivative"),
        (lambda x: math.sin(x[0]), r"would silently drop the derivative"),
        (lambda x: np.asarray(x), r"would silently drop the derivative"),
        (lambda x: float(x), r"float\(\) of a dual array of shape \(3,\)"),
        (lambda x: len(x[0]), r"len\(\) of a 0-d"),
        (lambda x: np.where(x), r"3-argument form"),
    ],
)
def test_unsupported_operations_raise_type_error(call, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(seed([0.3, -1.7, 2.9]))


def test_float_of_a_dual_without_derivative_is_its_value() -> None:
    assert float(Dual(2.5, np.zeros(3))) == 2.5
    np.testing.assert_array_equal(np.asarray(Dual([1.0, 2.0], np.zeros((2, 4)))), [1.0, 2.0])


def test_constructor_and_seed_validate_shapes() -> None:
    with pytest.raises(ValueError, match=r"`deriv` must have shape value.shape \+ \(n,\)"):
        Dual([1.0, 2.0], np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"`deriv` must have shape"):
        Dual(1.0, 0.0)
    with pytest.raises(ValueError, match=r"`x` must be 1-D"):
        seed([[1.0]])
    with pytest.raises(ValueError, match="different numbers of directions"):
        seed([1.0, 2.0])[0] + seed([1.0])[0]
    assert Dual([1.0, 2.0], [1.0, 0.0, 0.0]).deriv.shape == (2, 3)  # broadcast


def test_seed_is_the_identity_and_copies_x() -> None:
    x = np.array([0.3, -1.7, 2.9])
    s = seed(x)
    x[0] = 99.0
    np.testing.assert_array_equal(s.value, [0.3, -1.7, 2.9])
    np.testing.assert_array_equal(s.deriv, np.eye(3))
    assert (s.shape, s.ndim, s.size, s.n, len(s)) == ((3,), 1, 3, 3, 3)


def test_indexing_keeps_the_derivative_axis_last() -> None:
    x = Dual(np.arange(6.0).reshape(2, 3), np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x[..., 1].deriv, x.deriv[:, 1, :])
    np.testing.assert_array_equal(x[1].deriv, x.deriv[1])
    np.testing.assert_array_equal(x[:, ::2].deriv, x.deriv[:, ::2])
    np.testing.assert_array_equal(x[x.value > 2].deriv, x.deriv[x.value > 2])
    np.testing.assert_array_equal(x[..., None].deriv, x.deriv[..., None, :])
    assert [r.shape for r in x] == [(3,), (3,)]


# -- functions over arrays -----------------------------------------------------------------------
def test_scalar_function_via_as_vector_function_is_correctly_rounded() -> None:
    q, chi, delta = 0.3, -1.7, 2.9
    f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    est = get_method("dual").gradient(f, [q, chi, delta])
    # each partial is one product of two doubles: the correctly rounded truth
    np.testing.assert_array_equal(est.value, [chi * delta, q * delta, q * chi])
    assert est.nfev == 1


def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_gradient_exact(x: np.ndarray) -> tuple[list[Fraction], list[Fraction]]:
    """Closed-form gradient in exact rationals, and the sum of |terms| (the rounding scale)."""
    q = [Fraction(float(v)) for v in x]
    n = len(q)
    grad, scale = [], []
    for i in range(n):
        terms = []
        if i < n - 1:
            terms += [-400 * q[i] * (q[i + 1] - q[i] ** 2), -2 * (1 - q[i])]
        if i > 0:
            terms.append(200 * (q[i] - q[i - 1] ** 2))
        grad.append(sum(terms))
        scale.append(sum(abs(term) for term in terms))
    return grad, scale


def test_rosenbrock_vectorized_n50_matches_the_closed_form() -> None:
    x = np.random.default_rng(7).uniform(-2.0, 2.0, 50)
    est = get_method("dual").gradient(rosenbrock, x)
    assert est.nfev == 1
    grad, scale = rosenbrock_gradient_exact(x)
    err = np.array([abs(Fraction(float(g)) - e) for g, e in zip(est.value, grad, strict=True)])
    # a handful of roundings per term
    assert np.all(err <= 8 * EPS * np.array([float(s) for s in scale]))


def test_sum_mean_prod_with_axes_and_zeros() -> None:
    x = seed([0.3, 0.0, 2.9, -1.5])
    m = Dual(x.value.reshape(2, 2), x.deriv.reshape(2, 2, 4))
    np.testing.assert_array_equal(np.sum(m, axis=0).deriv, [[1, 0, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(m.sum(axis=-1, keepdims=True).deriv.shape, (2, 1, 4))
    np.testing.assert_array_equal(np.mean(m, axis=1).deriv, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    p = np.prod(x)  # one exact zero: only its partial survives
    assert p.value == 0.0
    np.testing.assert_array_equal(p.deriv, [0.0, 0.3 * 2.9 * -1.5, 0.0, 0.0])
    pm = np.prod(m, axis=0, keepdims=True)
    np.testing.assert_array_equal(pm.value, [[0.3 * 2.9, 0.0]])
    np.testing.assert_array_equal(pm.deriv, [[[2.9, 0, 0.3, 0], [0, -1.5, 0, 0]]])


def test_dot_and_matmul_against_the_exact_jacobian() -> None:
    a = np.array([[1.0, 2.0, -0.5], [0.25, 0.0, 3.0]])
    x = seed([0.3, -1.7, 2.9])
    np.testing.assert_array_equal((a @ x).deriv, a)  # Jacobian of a linear map
    np.testing.assert_array_equal(np.dot(a, x).deriv, a)
    np.testing.assert_array_equal((x @ a.T).deriv, a)
    np.testing.assert_array_equal(np.matmul(x, x).deriv, 2 * x.value)
    np.testing.assert_array_equal(np.dot(2.0, x).deriv, 2 * np.eye(3))
    # a 2-D dual times a matrix: d(X @ B)_{ij} / dX_{ik} = B_{kj}
    xm = Dual(np.arange(4.0).reshape(2, 2), np.eye(4).reshape(2, 2, 4))
    b = np.array([[1.0, 2.0], [3.0, 4.0]])
    out = xm @ b
    assert out.deriv.shape == (2, 2, 4)
    assert out.deriv[0, 1].tolist() == [2.0, 4.0, 0.0, 0.0]
    assert (b @ xm).deriv[1, 0].tolist() == [3.0, 0.0, 4.0, 0.0]
    with pytest.raises(TypeError, match="only for 1-D and 2-D operands"):
        np.ones((2, 2, 2)) @ Dual(np.ones(2), np.eye(2))


def test_where_and_select_pick_derivatives_by_condition() -> None:
    x = seed([-1.0, 2.0])
    w = np.where(x.value > 0, x**2, -x)
    np.testing.assert_array_equal(w.deriv, [[-1.0, 0.0], [0.0, 4.0]])
    s = np.select([x.value < 0, True], [3 * x, x**3], default=np.nan)
    np.testing.assert_array_equal(s.deriv, [[3.0, 0.0], [0.0, 12.0]])


def test_mixed_numpy_scalars_and_arrays_dispatch_to_duals() -> None:
    x = seed([0.3, -1.7])
    for d in (np.float64(2.0) * x, np.array([2.0, 2.0]) * x, x * np.int64(2), 2 * x):
        assert isinstance(d, Dual)
        np.testing.assert_array_equal(d.deriv, 2 * np.eye(2))
    assert np.shape(x) == (2,) and np.ndim(x[0]) == 0 and np.size(x) == 2


# -- SymPy-lambdified expressions ----------------------------------------------------------------
x_, y_, z_ = sp.symbols("x y z", real=True)
LAMBDIFIED = [
    sp.exp(x_) / (sp.sin(x_) ** 3 + sp.cos(x_) ** 3),  # Squire & Trapp
    1 / (1 + 25 * x_**2) + y_ * z_,  # Runge; x**(-1.0) in the printed code
    x_ ** sp.Rational(3, 2) * sp.log(y_) + (1 + z_**2) ** sp.Rational(-1, 3),  # x**(3/2)
    sp.atan(x_ * y_) + sp.sqrt(x_**2 + y_**2 + z_**2),  # arctan, sqrt
    sp.Abs(x_ - 1) * sp.exp(-y_) + z_,  # abs
    sp.cbrt(x_) + sp.log(y_, 10) * sp.asinh(z_),  # x**(1/3), log(y)/log(10)
    sp.tanh(y_) * sp.acos(x_ / 2) * sp.atan2(y_, z_),
    x_**y_ * z_ + 2**x_ / y_**2,
    sp.sinh(x_) * sp.cosh(y_) / sp.sqrt(1 + z_**2) - sp.log(1 + x_) * sp.exp(y_),
    sp.Max(x_, y_) * z_ + sp.Piecewise((x_, x_ > 1), (x_**2, True)),  # maximum, select
]
POINTS = [(0.7, 1.3, 0.4), (1.9, 0.35, 2.2), (0.05, 3.1, -0.6)]


@pytest.mark.parametrize("expr", LAMBDIFIED, ids=[str(e)[:40] for e in LAMBDIFIED])
def test_lambdified_expressions_work_on_duals(expr: sp.Expr) -> None:
    syms = (x_, y_, z_)
    f = SymbolicFunction(expr, syms)
    for point in POINTS:
        g = f(seed(point))
        assert isinstance(g, Dual) and g.shape == ()
        assert g.value == f(np.array(point))  # same program, same value
        exact = truth(expr, syms, point)
        err = max(abs(mpmath.mpf(float(a)) - b) for a, b in zip(g.deriv, exact, strict=True))
        # a few ulp per operation of a short program, relative to the gradient's size
        assert float(err) <= 8 * EPS * float(max(abs(b) for b in exact))


def test_lambdified_constant_and_heaviside() -> None:
    est = get_method("dual").gradient(SymbolicFunction(sp.Integer(3), (x_, y_)), [0.5, 1.0])
    np.testing.assert_array_equal(est.value, [0.0, 0.0])
    assert est.nfev == 1
    h = SymbolicFunction(sp.Heaviside(x_) * y_, (x_, y_))
    np.testing.assert_array_equal(get_method("dual").gradient(h, [0.5, 1.3]).value, [0.0, 1.0])


# -- properties: product and chain rule on random points ----------------------------------------
RULES = {  # numpy ufunc and SymPy function, all defined on (0.05, 0.95)
    "sin": (np.sin, sp.sin),
    "cos": (np.cos, sp.cos),
    "tan": (np.tan, sp.tan),
    "exp": (np.exp, sp.exp),
    "log": (np.log, sp.log),
    "sqrt": (np.sqrt, sp.sqrt),
    "arcsin": (np.arcsin, sp.asin),
    "arctan": (np.arctan, sp.atan),
    "tanh": (np.tanh, sp.tanh),
    "arctanh": (np.arctanh, sp.atanh),
    "log1p": (np.log1p, lambda e: sp.log(1 + e)),
    "cbrt": (np.cbrt, sp.cbrt),
}
MP = {  # value, first and second derivative as mpmath functions
    name: tuple(sp.lambdify(t, sp.diff(sym(t), t, k), "mpmath") for k in range(3))
    for name, (_, sym) in RULES.items()
}
names = st.sampled_from(sorted(RULES))
points = st.floats(0.05, 0.95)


@settings(max_examples=60, deadline=None)
@given(f=names, g=names, a=points)
def test_product_rule(f: str, g: str, a: float) -> None:
    mpmath.mp.dps = 40
    d = RULES[f][0](Dual(a, [1.0])) * RULES[g][0](Dual(a, [1.0]))
    x = mpmath.mpf(a)
    t1, t2 = MP[f][1](x) * MP[g][0](x), MP[f][0](x) * MP[g][1](x)
    # each term: a derivative rule and a value (<= 2 ulp each), one product, one sum
    assert abs(mpmath.mpf(float(d.deriv[0])) - (t1 + t2)) <= 8 * EPS * (abs(t1) + abs(t2))


@settings(max_examples=60, deadline=None)
@given(f=names, g=st.sampled_from(["sin", "tanh", "arctan"]), a=points)
def test_chain_rule(f: str, g: str, a: float) -> None:
    mpmath.mp.dps = 40
    d = RULES[f][0](RULES[g][0](Dual(a, [1.0])))  # g maps (0.05, 0.95) into (0.05, 0.82)
    x = mpmath.mpf(a)
    inner, dinner = MP[g][0](x), MP[g][1](x)
    exact = MP[f][1](inner) * dinner
    # few ulp, plus the rounding of the inner value (<= 1 ulp) propagated through f''
    band = 6 * EPS * abs(exact) + EPS * abs(MP[f][2](inner) * inner * dinner)
    assert abs(mpmath.mpf(float(d.deriv[0])) - exact) <= band


# -- the adapter ---------------------------------------------------------------------------------
def test_adapter_metadata() -> None:
    m = get_method("dual")
    assert (m.family, m.kind, m.order, m.needs) == ("forward-mode AD", "exact", None, {"dual"})
    assert m.theoretical_step() is None and type(m).variants() == [{}]
    with pytest.raises(ValueError, match="`step` is not used"):
        m.gradient(rosenbrock, [1.0, 2.0], step=1e-3)


def test_one_evaluation_repeatable_and_method_unchanged() -> None:
    m = get_method("dual")
    before = dict(vars(m))
    x = np.random.default_rng(3).uniform(-2.0, 2.0, 20)
    first = m.gradient(rosenbrock, x)
    second = m.gradient(rosenbrock, x)
    assert first.nfev == second.nfev == 1
    np.testing.assert_array_equal(first.value, second.value)
    assert (first.step, first.error_estimate, first.method) == (None, None, "dual")
    assert vars(m) == before


def test_derivative_of_a_scalar_function() -> None:
    est = get_method("dual").derivative(np.sin, 0.3)
    assert est.nfev == 1 and est.value == math.cos(0.3)


def test_constant_function_has_zero_gradient() -> None:
    for value in (4.0, 4, np.float64(4.0), np.array(4.0)):
        est = get_method("dual").gradient(lambda x, v=value: v, [0.3, 1.0])
        np.testing.assert_array_equal(est.value, [0.0, 0.0])
        assert est.nfev == 1


def test_bad_return_values_raise_clear_errors() -> None:
    m = get_method("dual")
    with pytest.raises(FunctionEvaluationError, match="must return a real scalar.*got bool"):
        m.gradient(lambda x: True, [0.3, 1.0])
    with pytest.raises(
        FunctionEvaluationError, match="f returned a complex number 1j for the real point"
    ):
        m.gradient(lambda x: 1j, [0.3, 1.0])
    with pytest.raises(FunctionEvaluationError, match="must return a scalar, got shape"):
        m.gradient(lambda x: x * 2, [0.3, 1.0])
    with pytest.raises(FunctionEvaluationError, match="silently drop the derivative"):
        m.gradient(lambda x: math.exp(x[0]), [0.3, 1.0])
    with pytest.raises(FunctionEvaluationError, match=r"numpy\.floor"):
        m.gradient(lambda x: np.sum(np.floor(x)), [0.3, 1.0])


def test_non_finite_derivative_is_nan_in_the_estimate() -> None:
    est = get_method("dual").gradient(lambda x: np.sqrt(x[0]) + x[1], [0.0, 1.0])
    assert np.isnan(est.value[0]) and est.value[1] == 1.0
