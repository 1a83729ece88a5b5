"""Red-team findings on the kinds API (``jacobian``, ``hessian``, ``derivative``): each input here
once gave a silently wrong number or a deep traceback; now a clear error naming the parameter."""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy

import methods
from methods import SymbolicFunction, get_method
from methods.counting import FunctionEvaluationError

ROOT = Path(__file__).resolve().parents[1]
a, b, c, t = sympy.symbols("a b c t", real=True)
LINEAR_MAP = SymbolicFunction([2 * a + b, 3 * c], (a, b, c))
QUADRATIC = SymbolicFunction(a * b + c**2, (a, b, c))
CUBIC = SymbolicFunction(t**3, (t,))
LINEAR = SymbolicFunction(2 * t, (t,))
FUNC = SymbolicFunction(sympy.exp(a * b) + sympy.sin(b + c) * a + c**3 / 3, (a, b, c))


def _need(name: str) -> None:
    """Skip, saying why, when a peer is not installed here."""
    ok, reason = methods.method_class(name).availability()
    if not ok:
        pytest.skip(f"method {name!r} is not available here: {reason}")


# -- scipy-derivative: its absolute initial_step vanished at large |x| -------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.derivative(LINEAR, 2e16),  # was 0.0 with error estimate 0.0 (truth 2)
        lambda m: m.gradient(LINEAR, [2e16]),
        lambda m: m.jacobian(LINEAR_MAP, [1e20, 2e20, 3e20]),  # was ~4e7 (truth 2, 1, 3)
        lambda m: m.hessian(QUADRATIC, [1e20, 2e20, 3e20]),  # was 2.3e15 everywhere
    ],
    ids=["derivative", "gradient", "jacobian", "hessian"],
)
def test_scipy_derivative_default_step_vanishing_is_an_error(call):
    _need("scipy-derivative")
    with pytest.raises(ValueError, match=r"`step` \(initial_step 0\.5\) vanishes at x\[0\]"):
        call(get_method("scipy-derivative"))
    # a step that does not vanish still works there
    est = get_method("scipy-derivative", initial_step=1e6).derivative(LINEAR, 2e16)
    assert est.value == pytest.approx(2.0, rel=1e-3)  # SciPy's own accuracy at this scale


def test_scipy_derivative_order_it_cannot_build_names_order():
    _need("scipy-derivative")
    with pytest.raises(ValueError, match=r"`order`=100.*smaller `order`"):  # was LinAlgError
        get_method("scipy-derivative", order=100).derivative(np.sin, 0.3)


# -- numdifftools-complex: its Hessian and k >= 2 derivatives step along the reals --------------
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.hessian(QUADRATIC, [1e20, 2e20, 3e20]),  # was all 0 (truth [[0,1,0],...])
        lambda m: m.derivative(CUBIC, 2e20, deriv=2),  # was 0.0 (truth 1.2e21)
    ],
    ids=["hessian", "derivative2"],
)
def test_numdifftools_complex_real_steps_vanishing_is_an_error(call):
    _need("numdifftools-complex")
    with pytest.raises(ValueError, match=r"a step vanishes at x\[0\]=.*pass a larger `step`"):
        call(get_method("numdifftools-complex"))
    # not raised where the steps do not vanish (the first-derivative steps would, at 1e4)
    est = get_method("numdifftools-complex").hessian(QUADRATIC, [1e4, -0.7, 0.9])
    np.testing.assert_allclose(est.value, [[0, 1, 0], [1, 0, 0], [0, 0, 2]], atol=1e-6)


# -- a step whose k-th power overflows: OverflowError from deep inside -------------------------
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("richardson", "derivative"),
        ("ridders", "derivative"),
        ("findiff", "derivative"),
        ("findiff", "hessian"),
        ("richardson", "hessian"),
        ("numpy-gradient", "hessian"),
    ],
)
def test_step_whose_power_overflows_names_step(name, kind):
    _need(name)
    m = get_method(name)
    with pytest.raises(ValueError, match=r"`step` 1e\+300 is too large.*order 2"):
        if kind == "derivative":
            m.derivative(CUBIC, 1e5, step=1e300, deriv=2)
        else:
            m.hessian(FUNC, [0.4, -0.7, 1e5], step=1e300)


def test_default_step_whose_square_overflows_names_step():
    _need("findiff")
    with pytest.raises(ValueError, match=r"`step` \(default .*\) is too large"):
        get_method("findiff").hessian(FUNC, [4e299, -7e299, 9e299])  # was OverflowError


# -- dual numbers: a vector where a scalar belongs ------------------------------------------------
@pytest.mark.parametrize("name", ["dual", "hyper-dual"])
def test_dual_sequence_for_a_scalar_kind_is_named(name):
    def pair(x):
        return (x[0] * x[1], x[0])

    m = get_method(name)
    with pytest.raises(FunctionEvaluationError, match=rf"{name}: f must return a scalar.*\(2,\)"):
        m.gradient(pair, [0.4, 0.5])  # was a bare TypeError about numpy.asarray
    with pytest.raises(FunctionEvaluationError, match=r"f must return a scalar"):
        m.derivative(lambda s: [s, s], 0.4)
    if "hessian" in m.derivative_kinds:
        with pytest.raises(FunctionEvaluationError, match=r"f must return a scalar"):
            m.hessian(pair, [0.4, 0.5])
    # a one-element list is a scalar, as it is for floats
    assert m.derivative(lambda s: [s * s], 0.4).value == pytest.approx(0.8)


def test_complex_value_error_is_one_line():
    _need("scipy-derivative")
    with pytest.raises(FunctionEvaluationError) as info:
        get_method("scipy-derivative").hessian(lambda x: x[..., 0] * 1j, np.arange(30.0) + 1)
    assert "\n" not in str(info.value) and "complex number" in str(info.value)


# -- documented promises -------------------------------------------------------------------------
def test_sparsity_pattern_is_documented_as_the_callers_promise():
    doc = inspect.getdoc(methods.Method.jacobian)
    assert "caller's promise" in doc and "not checked" in doc
    # and the behaviour it describes: a missed non-zero is dropped, and added where grouped
    f = SymbolicFunction([a * b, c], (a, b, c))
    diagonal = np.eye(2, 3, dtype=bool)  # misses d(ab)/db and dc/dc; all columns in one group
    dense = get_method("sympy").jacobian(f, [2.0, 3.0, 4.0], sparsity=diagonal).value.toarray()
    grouped = get_method("dual").jacobian(f, [2.0, 3.0, 4.0], sparsity=diagonal).value.toarray()
    np.testing.assert_allclose(dense, [[3.0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(grouped, [[3.0 + 2.0, 0, 0], [0, 0 + 1.0, 0]])


def test_hessians_not_symmetric_are_named_in_theory():
    paragraph = next(
        p
        for p in (ROOT / "docs/theory.md").read_text().split("\n\n")
        if "symmetric by construction" in p and "asymmetry" in p
    )
    named = set(re.findall(r"`([a-z-]+)`'s", paragraph))
    x = [0.4, -0.7, 0.9]
    for info in methods.available():
        if "hessian" not in info.derivative_kinds or not info.available:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = get_method(info.name).hessian(FUNC, x).value
        if not np.array_equal(value, value.T):
            assert info.name in named, f"{info.name}'s Hessian is not symmetric"


def test_complex_step_warning_at_a_step_not_small_against_x_suggests_a_smaller_step():
    # x = 2e-20 is on the scale of the default step 1e-20: t**3 moves its real part as much as
    # its imaginary part; the estimate is NaN with a warning that says what to do, and a
    # smaller step gives the derivative 3 x^2
    method = get_method("complex-step")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = method.derivative(lambda t: t**3, 2e-20).value
    assert np.isnan(value)
    assert any("smaller `step`" in str(w.message) for w in caught)
    assert method.derivative(lambda t: t**3, 2e-20, step=1e-30).value == pytest.approx(1.2e-39)


def test_numdifftools_complex_hessian_with_a_tiny_step_names_step():
    # numdifftools keeps no step of its sequence from 1e-20: one line naming `step`, not a
    # reduction error from inside the step check
    _need("numdifftools-complex")
    f = lambda x: x[0] ** 2 * x[1]  # noqa: E731
    with pytest.raises(ValueError, match="numdifftools-complex: .*`step` 1e-20"):
        get_method("numdifftools-complex").hessian(f, np.array([1.0, 2.0]), step=1e-20)


def _richardson_call(method, kind):
    x = np.array([1.0, 2.0])
    if kind == "derivative":
        return method.derivative(np.exp, 1.0, deriv=2)
    if kind == "jacobian":
        return method.jacobian(lambda v: np.array([v[0] * v[1], v[1]]), x)
    return getattr(method, kind)(lambda v: np.exp(v[0]) * v[1], x)


@pytest.mark.parametrize("kind", ["gradient", "hessian", "jacobian", "derivative"])
def test_richardson_levels_whose_smallest_step_vanishes_name_levels(kind):
    # levels=60 divides the step by 2**60: x + h == x, so every central difference was 0 / 0
    # (the gradient was NaN without a warning, the Hessian garbage)
    with pytest.raises(ValueError, match=r"richardson\(levels=60\): the smallest step .*`levels`"):
        _richardson_call(get_method("richardson", levels=60), kind)
    # the default 4 levels are unaffected
    assert np.all(np.isfinite(_richardson_call(get_method("richardson"), kind).value))
