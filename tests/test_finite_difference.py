"""Forward, backward and central differences: accuracy, convergence order, nfev, step rules."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from methods import SymbolicFunction, as_vector_function, get_method, method_class
from methods.fornberg import optimal_step

A, B, C = sympy.symbols("a b c")
# Smooth functions whose derivatives are of order one near the test point.
SMOOTH = {
    "sin-exp": sympy.sin(A) * sympy.exp(B) + A**2 * C,
    "product": sympy.exp(A) * sympy.cos(B) * (1 + C**2) / 3,
}
POINT = np.array([0.7, -0.4, 1.3])


def exact_gradient(expr: sympy.Expr, symbols: tuple, x: np.ndarray, deriv: int = 1) -> np.ndarray:
    """d^deriv expr / d s_i^deriv at the binary point x, evaluated with mpmath at 40 digits."""
    parts = [sympy.diff(expr, s, deriv) for s in symbols]
    fn = sympy.lambdify(symbols, parts, modules="mpmath")
    with mpmath.workdps(40):
        return np.array([float(v) for v in fn(*(mpmath.mpf(float(t)) for t in x))])


def rel_error(value: np.ndarray, truth: np.ndarray) -> float:
    return float(np.max(np.abs(value - truth) / np.abs(truth)))


# Bands from the issue; measured values are 1e-8..3e-8 (forward/backward order 1),
# ~2e-11 (central 2) and <= 3.2e-13 (central 4, 6, 8).
CASES = (
    [("forward", p, 1e-7) for p in range(1, 7)]
    + [("backward", p, 1e-7) for p in range(1, 7)]
    + [("central", 2, 1e-9), ("central", 4, 1e-11), ("central", 6, 1e-11), ("central", 8, 1e-11)]
)


@pytest.mark.parametrize("fname", sorted(SMOOTH))
@pytest.mark.parametrize(("name", "order", "band"), CASES)
def test_accuracy_at_default_step(fname: str, name: str, order: int, band: float) -> None:
    expr = SMOOTH[fname]
    f = SymbolicFunction(expr, (A, B, C))
    est = get_method(name, order=order).gradient(f, POINT)
    assert rel_error(est.value, exact_gradient(expr, (A, B, C), POINT)) <= band


def test_seed_example() -> None:
    f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    est = get_method("central", order=4).gradient(f, [0.3, -1.7, 2.9])
    truth = exact_gradient(A * B * C, (A, B, C), np.array([0.3, -1.7, 2.9]))
    assert rel_error(est.value, truth) <= 1e-13
    # the guarded default: per coordinate central(2) (2) + one accepted order-4 probe (4) + 4
    assert est.nfev == 30
    assert (
        get_method("central", order=4, step_rule="relative").gradient(f, [0.3, -1.7, 2.9]).nfev
        == 12
    )
    assert est.method == "central(order=4)"


# Step ranges where truncation dominates rounding by several decades.
SLOPE_CASES = [
    ("forward", 1, 1e-5, 1e-2),
    ("backward", 1, 1e-5, 1e-2),
    ("forward", 2, 1e-4, 1e-2),
    ("central", 2, 1e-3, 1e-1),
    ("central", 4, 1e-2, 2e-1),
    ("central", 6, 5e-2, 3e-1),
]


@pytest.mark.parametrize(("name", "order", "h_lo", "h_hi"), SLOPE_CASES)
def test_convergence_order_is_the_log_log_slope(
    name: str, order: int, h_lo: float, h_hi: float
) -> None:
    expr = sympy.exp(A) * sympy.sin(A)
    x = np.array([0.3])
    f = SymbolicFunction(expr, (A,))
    truth = exact_gradient(expr, (A,), x)[0]
    method = get_method(name, order=order, step_rule="absolute")
    hs = np.geomspace(h_lo, h_hi, 9)
    err = [abs(method.gradient(f, x, step=h).value[0] - truth) for h in hs]
    slope = np.polyfit(np.log(hs), np.log(err), 1)[0]
    assert abs(slope - order) <= 0.3


@pytest.mark.parametrize(
    ("name", "order", "nfev"),
    [("forward", p, 3 * p + 1) for p in range(1, 7)]
    + [("backward", p, 3 * p + 1) for p in range(1, 7)]
    + [("central", p, 3 * p) for p in (2, 4, 6, 8)],
)
@pytest.mark.parametrize("vectorized", [False, True])
def test_nfev_is_exact(name: str, order: int, nfev: int, vectorized: bool) -> None:
    calls = []

    def g(x: np.ndarray) -> np.ndarray:
        calls.append(np.shape(x))
        return np.sin(x[..., 0]) * np.exp(x[..., 1]) + x[..., 2]

    # the unit-scale rule: the stencil's count (the guarded default probes at higher orders)
    method = get_method(name, order=order, vectorized=vectorized, step_rule="relative")
    est = method.gradient(g, POINT)
    assert est.nfev == nfev
    if vectorized:
        assert calls == [(nfev, 3)]  # every stencil point of the gradient in ONE call
    else:
        assert calls == [(3,)] * nfev


@pytest.mark.parametrize(("name", "order"), [("forward", 3), ("backward", 2), ("central", 6)])
def test_vectorized_gives_the_same_values(name: str, order: int) -> None:
    f = as_vector_function(lambda a, b, c: np.sin(a) * np.exp(b) + a * a * c)
    plain = get_method(name, order=order).gradient(f, POINT)
    batch = get_method(name, order=order, vectorized=True).gradient(f, POINT)
    np.testing.assert_allclose(batch.value, plain.value, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(batch.step, plain.step)


def test_vectorized_needs_a_vectorized_f() -> None:
    from methods import FunctionEvaluationError

    with pytest.raises(FunctionEvaluationError, match=r"vectorized f must map an \(m, n\) array"):
        get_method("central", vectorized=True).gradient(lambda x: float(np.sum(x)), POINT)


def test_default_step_is_theoretical_step_scaled_by_the_rule() -> None:
    x = np.array([0.5, -4.0, 300.0])
    f = as_vector_function(lambda a, b, c: a + b + c)
    for name, order in [("forward", 1), ("central", 2), ("central", 4)]:
        method = get_method(name, order=order, step_rule="relative")
        h_star = method.theoretical_step()
        assert h_star == optimal_step(name, 1, order)
        rel = method.gradient(f, x).step
        np.testing.assert_allclose(rel, h_star * np.maximum(1, np.abs(x)), rtol=1e-6)
        absolute = get_method(name, order=order, step_rule="absolute").gradient(f, x).step
        np.testing.assert_allclose(absolute, h_star, rtol=1e-6)
    assert get_method("central").theoretical_step() == pytest.approx(8.73e-6, rel=1e-3)


def test_explicit_step_is_h_itself_made_representable() -> None:
    f = as_vector_function(lambda a, b: a * b)
    x = np.array([0.1, 1000.0])
    est = get_method("forward", step_rule="absolute").gradient(f, x, step=1e-3)
    np.testing.assert_array_equal(est.step, (x + 1e-3) - x)
    assert est.step[0] != 1e-3  # 0.1 + 1e-3 is not exact: the representable step differs
    # the step rule shapes only the default step: an explicit step is h under either rule
    rel = get_method("forward").gradient(f, x, step=1e-3)
    np.testing.assert_array_equal(rel.step, est.step)


def test_step_per_coordinate() -> None:
    expr = sympy.exp(A) * sympy.cos(B) + C**3
    f = SymbolicFunction(expr, (A, B, C))
    h = np.array([1e-3, 1e-4, 1e-5])
    est = get_method("forward", step_rule="absolute").gradient(f, POINT, step=h)
    np.testing.assert_allclose(est.step, h, rtol=1e-9)
    # Forward error is C h f'' with C = 1/2 per coordinate: each coordinate used its own step.
    err = est.value - exact_gradient(expr, (A, B, C), POINT)
    predicted = 0.5 * h * exact_gradient(expr, (A, B, C), POINT, deriv=2)
    np.testing.assert_allclose(err / predicted, 1.0, atol=0.01)


def test_relative_rule_handles_large_x_and_absolute_fails_clearly() -> None:
    f = SymbolicFunction(sympy.log(A), (A,))
    x = np.array([1e10])
    truth = exact_gradient(sympy.log(A), (A,), x)
    vanishes = r"`step` \(default 2\.98e-08\) vanishes at x\[0\].*use step_rule='relative'"
    with pytest.raises(ValueError, match=vanishes):
        get_method("forward", step_rule="absolute").gradient(f, x)
    with pytest.raises(ValueError, match=r"`step` 1e-12 vanishes at x\[0\]=10000000000\.0"):
        get_method("central", step_rule="absolute").gradient(f, x, step=1e-12)
    for name in ("forward", "backward", "central"):
        est = get_method(name).gradient(f, x)
        assert rel_error(est.value, truth) <= 1e-7
    # an explicit step that vanishes is named the same way
    with pytest.raises(ValueError, match=r"`step` 1e-20 vanishes at x\[1\]"):
        get_method("central").gradient(
            as_vector_function(lambda a, b: a * b), [0.0, 1e4], step=1e-20
        )


def test_nonfinite_values_give_nan_for_that_coordinate_only() -> None:
    f = as_vector_function(lambda a, b: np.sqrt(a) + b)
    with pytest.warns(RuntimeWarning, match="returned nan"), np.errstate(invalid="ignore"):
        est = get_method("central", step_rule="absolute").gradient(f, [0.0, 1.0], step=1e-3)
    assert np.isnan(est.value[0])
    assert est.value[1] == pytest.approx(1.0, rel=1e-10)


def test_description_variants_and_label() -> None:
    assert method_class("forward").variants() == [{"order": p} for p in range(1, 7)]
    assert method_class("backward").variants() == [{"order": p} for p in range(1, 7)]
    assert method_class("central").variants() == [{"order": p} for p in (2, 4, 6, 8)]
    for name in ("forward", "backward", "central"):
        cls = method_class(name)
        assert (cls.family, cls.kind, cls.label_params) == ("finite-difference", "step", ("order",))
    m = get_method("central")
    assert m.get_params() == {
        "order": 2,
        "step_rule": "guarded",
        "noise": None,
        "vectorized": False,
    }
    assert m.label == "central(order=2)"
    assert get_method("backward").label == "backward(order=1)"


@pytest.mark.parametrize(
    ("name", "settings", "exc", "match"),
    [
        ("central", {"order": 3}, ValueError, r"`order` must be one of \[2, 4, 6, 8\], got 3"),
        (
            "forward",
            {"order": 7},
            ValueError,
            r"`order` must be one of \[1, 2, 3, 4, 5, 6\], got 7",
        ),
        ("backward", {"order": 0}, ValueError, r"`order` must be one of \[1, 2, 3, 4, 5, 6\]"),
        ("central", {"order": 2.0}, TypeError, r"`order` must be an integer, got float"),
        ("forward", {"step_rule": "foo"}, ValueError, r"`step_rule` must be one of \['relative'"),
        ("central", {"vectorized": "yes"}, TypeError, r"`vectorized` must be True or False"),
        ("central", {"stepsize": 1e-3}, TypeError, r"method 'central'.*stepsize"),
    ],
)
def test_bad_settings_raise(name: str, settings: dict, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        get_method(name, **settings)


def test_bad_settings_are_checked_at_every_call() -> None:
    m = get_method("central")
    m.order = 5  # changed after construction
    with pytest.raises(ValueError, match=r"`order` must be one of"):
        m.gradient(np.sum, [1.0])


@settings(max_examples=60, deadline=None)
@given(
    coef=st.tuples(*[st.floats(-10, 10, allow_nan=False, allow_subnormal=False)] * 3),
    x=st.floats(-10, 10, allow_nan=False, allow_subnormal=False),
    step=st.floats(1e-8, 1.0),
)
def test_central_difference_of_a_quadratic_is_exact_to_rounding(
    coef: tuple[float, float, float], x: float, step: float
) -> None:
    # Central differences of order >= 2 have no truncation error on quadratics, at any step: what
    # is left is the rounding of the values, at most a few eps * (size of f's terms) / h. The
    # terms, not |f|: in (a t + b) t + c the inner sum may cancel (a=-1, b=-1 at t=-1).
    a, b, c = coef
    est = get_method("central").derivative(lambda t: (a * t + b) * t + c, x, step=step)
    h = est.step
    scale = max((abs(a * t) + abs(b)) * abs(t) + abs(c) for t in (x - h, x + h))
    exact = 2 * a * x + b
    assert abs(est.value - exact) <= 8 * 2.0**-52 * (scale / h + abs(a * x) + abs(b))
