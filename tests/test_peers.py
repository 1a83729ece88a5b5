"""The peer-library adapters: numdifftools, findiff, jacobi, autograd, JAX, PyTensor.

Truth comes from SymPy + mpmath at 50 digits. Error bands are set from measurements on smooth
unit-scale functions (worst relative errors over 45 random points in [-1, 1]^3: numdifftools
7e-13, jacobi 8e-13, numdifftools-complex 5e-16, autograd 3e-16, pytensor 4e-16) with margin.
Each peer's tests skip, with the reason, when the peer is not installed.
"""

from __future__ import annotations

import sys

import mpmath
import numpy as np
import pytest
import sympy

from methods import FunctionEvaluationError, SymbolicFunction, as_vector_function, get_method
from methods.peer_findiff import Findiff

X, Y, Z = sympy.symbols("x y z", real=True)
SMOOTH = {
    "sinexp": (sympy.sin(X) * sympy.exp(Y) + X * Y * Z, (0.3, -0.7, 1.9)),
    "logatan": (
        sympy.log(1 + X**2) + sympy.atan(Y) * sympy.cos(Z) + sympy.sqrt(2 + X * Y),
        (0.7, -0.4, 1.3),
    ),
    "gauss": (sympy.exp(-(X**2 + Y**2)) * sympy.cosh(Z) + sympy.tanh(X - Z), (-0.2, 0.9, 0.45)),
}


def truth(expr: sympy.Expr, point: tuple[float, ...]) -> np.ndarray:
    grads = [sympy.lambdify((X, Y, Z), sympy.diff(expr, s), "mpmath") for s in (X, Y, Z)]
    with mpmath.workdps(50):
        return np.array([float(g(*map(mpmath.mpf, point))) for g in grads])


def relative_error(value: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(value - exact)) / np.max(np.abs(exact)))


class Counter:
    """Counts evaluation points independently of the methods: one per call on an (n,) point."""

    def __init__(self, func) -> None:
        self.func, self.count = func, 0

    def __call__(self, x):
        self.count += 1
        return self.func(x)


def needs(module: str):
    """Skip a test, saying why, when ``module`` is not installed."""
    return pytest.importorskip(module, reason=f"the peer `{module}` is not installed")


# -- a missing peer -----------------------------------------------------------------------------
class _NotInstalled(Findiff):
    """A method whose peer does not exist (not registered)."""

    requires = ("definitely_not_installed_pkg",)


def test_missing_peer_is_reported_unavailable_with_its_reason():
    ok, reason = _NotInstalled.availability()
    assert not ok
    assert "definitely_not_installed_pkg" in reason and "pip install" in reason


def test_missing_peer_builds_but_calling_it_names_the_package(monkeypatch):
    # The sweep skips methods whose availability() is False; a direct call fails on the import.
    monkeypatch.setitem(sys.modules, "jacobi", None)
    method = get_method("jacobi")
    f = as_vector_function(lambda a, b: a * b)
    with pytest.raises(ImportError, match="jacobi"):
        method.gradient(f, [1.0, 2.0])


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("numdifftools", "numdifftools"),
        ("numdifftools-complex", "numdifftools"),
        ("findiff", "findiff"),
        ("jacobi", "jacobi"),
        ("autograd", "autograd"),
        ("jax", "jax"),
        ("jax-jacfwd", "jax"),
        ("pytensor", "pytensor"),
    ],
)
def test_every_adapter_declares_its_peer(name, package):
    from methods import method_class

    assert method_class(name).requires == (package,)


# -- numdifftools -------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", sorted(SMOOTH))
@pytest.mark.parametrize(
    ("name", "band"), [("numdifftools", 1e-12), ("numdifftools-complex", 1e-15)]
)
def test_numdifftools_accuracy_and_error_estimate(problem, name, band):
    needs("numdifftools")
    expr, point = SMOOTH[problem]
    f = Counter(SymbolicFunction(expr, (X, Y, Z)))
    est = get_method(name).gradient(f, point)
    assert relative_error(est.value, truth(expr, point)) <= band
    assert est.error_estimate.shape == (3,)
    assert np.all(est.error_estimate > 0) and np.all(est.error_estimate < 1e-11)
    # numdifftools calls f with one (n,) point at a time: 15 steps x 2 points x n, plus f(x)
    assert est.nfev == f.count == (1 + 30 * 3 if name == "numdifftools" else 1 + 3)


def test_numdifftools_complex_refuses_an_f_that_drops_the_imaginary_part():
    # numdifftools alone returns 0 for the x0 entries (a ComplexWarning only): a wrong number
    needs("numdifftools")
    from methods.complex_step import ComplexArgumentError

    def f(x):
        return float(np.exp(x[0])) * np.sin(x[1])

    method = get_method("numdifftools-complex")
    for call in (method.gradient, method.hessian):
        with pytest.raises(ComplexArgumentError, match="ComplexWarning.*Casting complex"):
            call(f, [0.7, 1.3])
    with pytest.raises(ComplexArgumentError, match="returned the real value"):
        method.gradient(lambda x: 1.0, [0.7, 1.3])
    exact = [np.exp(0.7) * np.sin(1.3), np.exp(0.7) * np.cos(1.3)]
    got = method.gradient(lambda x: np.exp(x[0]) * np.sin(x[1]), [0.7, 1.3]).value
    np.testing.assert_allclose(got, exact, rtol=1e-14)


def test_numdifftools_step_is_the_largest_of_its_halving_sequence():
    needs("numdifftools")
    expr, point = SMOOTH["sinexp"]
    est = get_method("numdifftools").gradient(SymbolicFunction(expr, (X, Y, Z)), point, step=0.1)
    ratios = 0.1 / est.step
    assert np.all(ratios >= 1)
    np.testing.assert_array_equal(ratios, 2.0 ** np.round(np.log2(ratios)))  # steps 0.1 / 2**k
    assert relative_error(est.value, truth(expr, point)) <= 1e-12


def test_numdifftools_complex_step_is_one_complex_step():
    needs("numdifftools")
    # a cubic: the complex step's only truncation term is -h**2 f'''/6 = -h**2 at x = 1
    est = get_method("numdifftools-complex").derivative(lambda t: t**3, 1.0, step=2.0**-10)
    assert est.value == pytest.approx(3.0 - 2.0**-20, rel=1e-15)
    assert est.step == 2.0**-10 and est.nfev == 2


# -- jacobi -------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", sorted(SMOOTH))
def test_jacobi_accuracy_error_estimate_and_nfev(problem):
    needs("jacobi")
    expr, point = SMOOTH[problem]
    f = Counter(SymbolicFunction(expr, (X, Y, Z)))
    est = get_method("jacobi").gradient(f, point)
    assert relative_error(est.value, truth(expr, point)) <= 1e-12
    assert est.error_estimate.shape == (3,) and np.all(est.error_estimate < 1e-11)
    assert est.step is None
    # two points per step and coordinate, at least 3 steps each, at most 10
    assert est.nfev == f.count and est.nfev % 2 == 0 and 3 * 2 * 3 <= est.nfev <= 10 * 2 * 3


def test_jacobi_given_steps_are_absolute_first_steps():
    needs("jacobi")
    expr, point = SMOOTH["logatan"]
    f = SymbolicFunction(expr, (X, Y, Z))
    est = get_method("jacobi").gradient(f, point, step=[0.1, 1e-3, 0.1])
    assert relative_error(est.value, truth(expr, point)) <= 1e-10
    with pytest.raises(ValueError, match="`step` must be below 0.5 for jacobi"):
        get_method("jacobi").gradient(f, point, step=0.5)


# -- findiff ------------------------------------------------------------------------------------
def test_findiff_settings_are_checked():
    with pytest.raises(ValueError, match=r"`acc` must be one of \[2, 4, 6, 8\], got 3"):
        get_method("findiff", acc=3)
    with pytest.raises(TypeError, match="`acc` must be an integer"):
        get_method("findiff", acc=2.0)
    method = get_method("findiff", acc=6)
    assert method.order == 6 and method.label == "findiff(acc=6)"
    assert [v["acc"] for v in Findiff.variants()] == [2, 4, 6, 8]


def _grid_errors(acc: int, sizes: list[int], uniform: bool) -> tuple[list[float], list[float]]:
    method = get_method("findiff", acc=acc)
    steps, errors = [], []
    for size in sizes:
        s = np.linspace(0.0, 1.0, size)
        t = s if uniform else s + 0.15 * np.sin(np.pi * s)  # smooth non-uniform coordinates
        (d,) = method.grid_gradient(np.sin(2 * t) + np.exp(t), s[1] if uniform else t)
        steps.append(1.0 / (size - 1))
        errors.append(np.max(np.abs(d - (2 * np.cos(2 * t) + np.exp(t)))))
    return steps, errors


@pytest.mark.parametrize(
    ("acc", "uniform"),
    [(2, True), (4, True), (6, True), (8, True), (2, False), (4, False), (6, False)],
)
def test_findiff_grid_order_from_log_log_slope(acc, uniform):
    needs("findiff")
    sizes = [17, 33, 65, 129] if acc <= 4 else [17, 25, 33, 49]
    steps, errors = _grid_errors(acc, sizes, uniform)
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - acc) <= 0.3


def test_findiff_grid_gradient_on_a_2d_grid_with_mixed_spacing():
    needs("findiff")
    x = np.linspace(0.0, 1.0, 41)
    y = np.linspace(0.0, 1.0, 31) ** 1.5 + np.linspace(0.0, 0.1, 31)  # non-uniform
    gx, gy = np.meshgrid(x, y, indexing="ij")
    dx, dy = get_method("findiff", acc=4).grid_gradient(np.sin(gx) * np.exp(gy), x[1], y)
    assert np.max(np.abs(dx - np.cos(gx) * np.exp(gy))) < 1e-6
    assert np.max(np.abs(dy - np.sin(gx) * np.exp(gy))) < 1e-4


@pytest.mark.parametrize(("acc", "need"), [(2, 3), (4, 6), (6, 9), (8, 12)])
def test_findiff_needs_three_halves_acc_points_per_axis(acc, need):
    needs("findiff")
    method = get_method("findiff", acc=acc)
    with pytest.raises(ValueError, match=f"needs at least {need} points along every axis"):
        method.grid_gradient(np.zeros(need - 1))
    assert method.grid_gradient(np.arange(need, dtype=float) * 2.0)[0] == pytest.approx(2.0)


@pytest.mark.parametrize(("acc", "half_width"), [(2, 1), (4, 3), (6, 4), (8, 6)])
def test_findiff_point_form_samples_one_line_per_axis(acc, half_width):
    needs("findiff")
    expr, point = SMOOTH["sinexp"]
    f = Counter(SymbolicFunction(expr, (X, Y, Z)))
    method = get_method("findiff", acc=acc)
    est = method.gradient(f, point)
    assert est.nfev == f.count == 1 + 2 * half_width * 3
    assert np.all(est.step >= method.theoretical_step() * np.maximum(1.0, np.abs(point)) * 0.99)
    band = {2: 1e-10, 4: 1e-12, 6: 1e-13, 8: 1e-13}[acc]
    assert relative_error(est.value, truth(expr, point)) <= band


def test_findiff_point_form_is_the_centred_stencil():
    needs("findiff")
    # central difference of t**3 at t = 1: exactly 3 + h**2 for a power-of-two h
    est = get_method("findiff", acc=2).derivative(lambda t: t**3, 1.0, step=2.0**-4)
    assert est.value == 3.0 + 2.0**-8
    # order 4: truncation -h**4 f^(5) / 30 = -4 h**4 for t**5 (weights rounded by findiff)
    est = get_method("findiff", acc=4).derivative(lambda t: t**5, 1.0, step=2.0**-3)
    assert est.value == pytest.approx(5.0 - 4 * 2.0**-12, rel=1e-14)


def test_findiff_point_form_rejects_a_step_lost_in_rounding():
    f = as_vector_function(lambda a: a)
    with pytest.raises(ValueError, match=r"`step` 1 vanishes at x\[0\]=1e\+20: x \+ h == x"):
        get_method("findiff").gradient(f, [1e20], step=1.0)


# -- autograd -----------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", sorted(SMOOTH))
def test_autograd_expression_route_is_exact_and_never_calls_f(problem):
    needs("autograd")
    expr, point = SMOOTH[problem]
    f = Counter(SymbolicFunction(expr, (X, Y, Z)))
    f.expr, f.symbols = expr, (X, Y, Z)  # an expression carrier without lambdify
    est = get_method("autograd").gradient(f, point)
    assert relative_error(est.value, truth(expr, point)) <= 1e-15
    assert est.nfev == f.count == 0


def test_autograd_traces_a_plain_callable_once():
    needs("autograd")
    import autograd.numpy as anp

    expr, point = SMOOTH["sinexp"]
    f = Counter(as_vector_function(lambda x, y, z: anp.sin(x) * anp.exp(y) + x * y * z))
    est = get_method("autograd").gradient(f, point)
    assert relative_error(est.value, truth(expr, point)) <= 1e-15
    assert est.nfev == f.count == 1


def test_autograd_names_the_point_and_the_fix_when_f_cannot_be_traced():
    needs("autograd")
    import math

    f = as_vector_function(lambda x, y: math.sin(x) * y)
    with pytest.raises(
        FunctionEvaluationError,
        match=r"autograd: f raised TypeError at x=\[0\.5, 2\.0\]: .*write f with `autograd.numpy`",
    ):
        get_method("autograd").gradient(f, [0.5, 2.0])


def test_autograd_prepare_returns_the_gradient_function():
    needs("autograd")
    expr, point = SMOOTH["gauss"]
    grad = get_method("autograd").prepare(SymbolicFunction(expr, (X, Y, Z)), 3)
    assert relative_error(grad(np.array(point)), truth(expr, point)) <= 1e-15


# -- JAX ----------------------------------------------------------------------------------------
JAX_CONFIGS = [(name, jit) for name in ("jax", "jax-jacfwd") for jit in (True, False)]


@pytest.mark.parametrize(("name", "jit"), JAX_CONFIGS)
def test_jax_is_exact_in_float64(name, jit):
    needs("jax")
    expr, point = SMOOTH["logatan"]
    est = get_method(name, jit=jit).gradient(SymbolicFunction(expr, (X, Y, Z)), point)
    # float32 would be off by ~1e-7: this band also checks that x64 is on
    assert relative_error(est.value, truth(expr, point)) <= 1e-15
    assert est.nfev == 0 and est.method == f"{name}(jit={jit})"


@pytest.mark.parametrize(("name", "jit"), JAX_CONFIGS)
def test_jax_prepare_then_evaluate(name, jit):
    needs("jax")
    expr, point = SMOOTH["gauss"]
    f = SymbolicFunction(expr, (X, Y, Z))
    method = get_method(name, jit=jit)
    grad = method.prepare(f, 3)
    np.testing.assert_array_equal(grad(np.array(point)), method.gradient(f, point).value)
    assert grad(np.array(point)).dtype == np.float64


def test_jax_without_a_scoped_x64_switch_turns_on_the_global_one(monkeypatch):
    jax = needs("jax")
    monkeypatch.delattr(jax, "enable_x64", raising=False)
    expr, point = SMOOTH["sinexp"]
    try:
        est = get_method("jax", jit=False).gradient(SymbolicFunction(expr, (X, Y, Z)), point)
        assert jax.config.read("jax_enable_x64") is True
    finally:
        jax.config.update("jax_enable_x64", False)
    assert relative_error(est.value, truth(expr, point)) <= 1e-15


def test_jax_settings_and_inputs_are_checked():
    with pytest.raises(TypeError, match="`jit` must be True or False, got 1"):
        get_method("jax", jit=1)
    with pytest.raises(TypeError, match="needs a function built from a SymPy expression"):
        get_method("jax-jacfwd").gradient(lambda x: x[0], [1.0])


# -- PyTensor -----------------------------------------------------------------------------------
A, B = sympy.symbols("a b", real=True)
#: every operation the translator supports, in one expression (one compilation)
ALL_OPERATIONS = (
    sympy.sin(A) * sympy.exp(B)
    + sympy.atan(A * B)
    + sympy.sqrt(A)
    + sympy.Abs(A - B) * sympy.tanh(B)
    + sympy.log(B) * sympy.cos(A)
    + sympy.tan(A) / B**2
    + sympy.pi * A ** sympy.Rational(1, 3)
    + sympy.asin(A)
    + sympy.acos(B / 2)
    + sympy.sinh(A) * sympy.cosh(B)
    + sympy.erf(A * B)
    + sympy.E**A
)


def test_pytensor_translates_every_supported_operation_exactly():
    needs("pytensor")
    point = (0.3, 0.5)
    grads = [sympy.lambdify((A, B), sympy.diff(ALL_OPERATIONS, s), "mpmath") for s in (A, B)]
    with mpmath.workdps(50):
        exact = np.array([float(g(*map(mpmath.mpf, point))) for g in grads])
    f = Counter(SymbolicFunction(ALL_OPERATIONS, (A, B)))
    f.expr, f.symbols = ALL_OPERATIONS, (A, B)
    est = get_method("pytensor").gradient(f, point)
    assert relative_error(est.value, exact) <= 1e-15
    assert est.nfev == f.count == 0


@pytest.mark.parametrize(
    ("expr", "exc", "match"),
    [
        (sympy.gamma(A), TypeError, r"cannot translate gamma \(gamma\(a\)\)"),
        (sympy.Max(A, B), TypeError, "cannot translate Max"),
        (sympy.I * A, TypeError, "cannot translate ImaginaryUnit"),
        (A + sympy.Symbol("c"), ValueError, "`expr` has the symbol c, which is not in `symbols`"),
    ],
)
def test_pytensor_names_what_it_cannot_translate(expr, exc, match):
    needs("pytensor")
    import pytensor.tensor as pt

    from methods.peer_pytensor import to_pytensor

    with pytest.raises(exc, match=match):
        to_pytensor(expr, (A, B), pt.dvector("x"))


def test_pytensor_prepare_then_evaluate_and_constant_expression():
    needs("pytensor")
    method = get_method("pytensor")
    grad = method.prepare(SymbolicFunction(sympy.Integer(3), (A, B)), 2)
    np.testing.assert_array_equal(grad(np.array([0.3, 0.5])), [0.0, 0.0])
    with pytest.raises(ValueError, match="`x` has 3 coordinates but the expression has 2"):
        method.prepare(SymbolicFunction(A * B, (A, B)), 3)
