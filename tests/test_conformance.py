"""One conformance suite over every registered method (in the spirit of scikit-learn's
``parametrize_with_checks``): shapes, nfev, no mutation, validation messages."""

from __future__ import annotations

import copy
import decimal
import fractions
import re
import warnings

import mpmath
import numpy as np
import pytest
import sympy

import methods
from methods import Estimate, FunctionEvaluationError, SymbolicFunction, get_method

X, Y, Z = sympy.symbols("x y z")
EXPR = sympy.sin(X) * sympy.exp(Y) + X * Y * Z
POINT = np.array([0.3, -0.7, 1.9])


def exact_gradient(point: np.ndarray) -> np.ndarray:
    grads = [sympy.lambdify((X, Y, Z), sympy.diff(EXPR, s), "mpmath") for s in (X, Y, Z)]
    with mpmath.workdps(50):
        return np.array([float(g(*map(mpmath.mpf, point))) for g in grads])


def configurations() -> list:
    out = []
    for info in methods.available():
        cls = methods.method_class(info.name)
        for settings in cls.variants():
            marks = () if info.available else (pytest.mark.skip(reason=info.reason),)
            out.append(pytest.param(info.name, settings, id=f"{info.name}-{settings}", marks=marks))
    return out


CONFIGS = configurations()


class PointCounter:
    """Counts evaluation points independently of the library: (n,) counts 1, (m, n) counts m."""

    def __init__(self, f: SymbolicFunction) -> None:
        self.f, self.expr, self.symbols, self.count = f, f.expr, f.symbols, 0

    def lambdify(self, modules="numpy"):
        return self.f.lambdify(modules)

    def gradient_function(self):
        return self.f.gradient_function()

    def __call__(self, x):
        shape = np.shape(getattr(x, "value", x))
        self.count += shape[0] if len(shape) == 2 else 1
        return self.f(x)


def test_registry_has_the_seed_methods():
    names = methods.method_names()
    for required in (
        "numpy-gradient",
        "forward",
        "backward",
        "central",
        "approx-fprime",
        "dual",
        "sympy",
    ):
        assert required in names


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="unknown method 'nope'; choose one of: .*central"):
        get_method("nope")


def test_available_reports_every_method():
    infos = methods.available()
    assert [i.name for i in infos] == methods.method_names()
    for info in infos:
        assert info.family in methods.FAMILIES and info.kind in methods.KINDS
        assert info.available or info.reason


@pytest.mark.parametrize(("name", "settings"), CONFIGS)
def test_gradient_shape_nfev_accuracy_and_no_mutation(name, settings):
    method = get_method(name, **settings)
    before = copy.deepcopy(vars(method))
    f = PointCounter(SymbolicFunction(EXPR, (X, Y, Z)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = method.gradient(f, POINT)
    assert isinstance(est, Estimate)
    assert est.value.shape == (3,)
    assert est.method == method.label
    assert isinstance(est.nfev, int) and est.nfev >= 0
    if "expression" not in method.needs:
        assert est.nfev == f.count, "nfev must equal the number of points f was evaluated at"
    assert est.step is None or np.shape(est.step) == (3,)
    assert est.error_estimate is None or np.shape(est.error_estimate) == (3,)
    # every method should be at least a usable derivative at its default on this smooth problem
    truth = exact_gradient(POINT)
    assert np.max(np.abs(est.value - truth)) / np.max(np.abs(truth)) < 1e-5
    # calling never changes the method, and the result is frozen
    assert vars(method).keys() == before.keys()
    for key, value in before.items():
        assert vars(method)[key] == value
    with pytest.raises(ValueError):
        est.value[0] = 1.0
    again = method.gradient(f, POINT)
    np.testing.assert_array_equal(again.value, est.value)


@pytest.mark.parametrize(("name", "settings"), CONFIGS)
@pytest.mark.parametrize(
    ("x", "exc", "match"),
    [
        ([], ValueError, "`x` must not be empty"),
        ([[1.0, 2.0]], ValueError, r"`x` must be 1-D"),
        ([1j, 2.0, 3.0], TypeError, "`x` must be real"),
        ([np.nan, 1.0, 2.0], ValueError, "`x` must be finite"),
        ([np.inf, 1.0, 2.0], ValueError, "`x` must be finite"),
        (["a", "b", "c"], TypeError, "`x` must be a 1-D array of real numbers"),
    ],
)
def test_bad_point_is_rejected(name, settings, x, exc, match):
    f = SymbolicFunction(EXPR, (X, Y, Z))
    with pytest.raises(exc, match=match):
        get_method(name, **settings).gradient(f, x)


@pytest.mark.parametrize(("name", "settings"), CONFIGS)
def test_bad_function_is_rejected(name, settings):
    with pytest.raises(TypeError, match="`f` must be callable"):
        get_method(name, **settings).gradient(42, POINT)


@pytest.mark.parametrize(("name", "settings"), CONFIGS)
@pytest.mark.parametrize(
    ("step", "match"),
    [
        (0.0, "`step` must be positive"),
        (-1e-3, "`step` must be positive"),
        (np.nan, "`step` must be finite"),
        (np.inf, "`step` must be finite"),
        ([1e-3, 1e-3], r"`step` must be a scalar or have shape \(3,\)"),
    ],
)
def test_bad_step_is_rejected(name, settings, step, match):
    method = get_method(name, **settings)
    f = SymbolicFunction(EXPR, (X, Y, Z))
    if method.kind == "exact":
        match = "`step` is not used by method"
    with pytest.raises(ValueError, match=match):
        method.gradient(f, POINT, step=step)


def _callers():
    """Configurations that evaluate a plain callable (not only a SymPy expression)."""
    return [
        c
        for c in CONFIGS
        if "expression" not in methods.method_class(c.values[0]).needs and not c.marks
    ]


@pytest.mark.parametrize(("name", "settings"), _callers())
def test_f_raising_is_reraised_with_method_and_point(name, settings):
    def f(x):
        raise ZeroDivisionError("boom")

    method = get_method(name, **settings)
    with pytest.raises(FunctionEvaluationError, match=r"f raised ZeroDivisionError at x=.*boom"):
        method.gradient(f, POINT)


@pytest.mark.parametrize(("name", "settings"), _callers())
def test_non_scalar_f_is_rejected(name, settings):
    def f(x):
        return x * 2.0  # returns a vector

    method = get_method(name, **settings)
    with pytest.raises(FunctionEvaluationError, match="must (return a scalar|map an)"):
        method.gradient(f, POINT)


@pytest.mark.parametrize(
    ("name", "settings"),
    [c for c in _callers() if methods.method_class(c.values[0]).kind in ("step", "grid")],
)
def test_nan_at_a_perturbed_point_gives_nan_coordinate_and_warning(name, settings):
    x0 = POINT.copy()
    g = SymbolicFunction(EXPR, (X, Y, Z))

    def f(x):
        # NaN only where the first coordinate moved away from x0
        values = g(x)
        moved = np.abs(np.asarray(x)[..., 0] - x0[0]) > 0
        return np.where(moved, np.nan, values)

    with pytest.warns(RuntimeWarning, match=r"f returned \(?nan.* at x="):
        est = get_method(name, **settings).gradient(f, x0, step=1e-3)
    assert np.isnan(est.value[0])
    assert np.all(np.isfinite(est.value[1:]))


@pytest.mark.parametrize(("name", "settings"), CONFIGS)
def test_prepare_gives_the_same_gradient(name, settings):
    method = get_method(name, **settings)
    f = SymbolicFunction(EXPR, (X, Y, Z))
    for warm_up in (True, False):  # every method takes the base signature
        prepared = method.prepare(f, 3, warm_up=warm_up)
        np.testing.assert_allclose(prepared(POINT), method.gradient(f, POINT).value, rtol=1e-12)
    with pytest.raises(TypeError, match="`f` must be callable"):
        method.prepare(42, 3)


@pytest.mark.parametrize(
    ("name", "settings"),
    [c for c in CONFIGS if methods.method_class(c.values[0]).kind != "exact" and not c.marks],
)
def test_a_step_lost_in_rounding_is_a_clear_error(name, settings):
    # x + 1e-20 == x: a step along x vanishes (an error naming `step`, never a confident 0);
    # an imaginary step (complex step) does not vanish and works, or fails with a clear error
    method = get_method(name, **settings)
    f = SymbolicFunction(EXPR, (X, Y, Z))
    if method.steps_along_x:
        with pytest.raises(ValueError, match=r"`step` 1e-20 vanishes at x\[0\]"):
            method.gradient(f, POINT, step=1e-20)
    else:
        try:
            est = method.gradient(f, POINT, step=1e-20)
        except ValueError as exc:
            assert "`step`" in str(exc)
        else:
            truth = exact_gradient(POINT)
            assert np.max(np.abs(est.value - truth)) / np.max(np.abs(truth)) < 1e-12


def _bool_settings():
    return [
        pytest.param(name, setting, id=f"{name}-{setting}")
        for name in methods.method_names()
        for setting, default in methods.method_class(name)._setting_defaults.items()
        if isinstance(default, bool)
    ]


@pytest.mark.parametrize(("name", "setting"), _bool_settings())
def test_boolean_settings_take_numpy_bools_and_reject_others(name, setting):
    assert getattr(get_method(name, **{setting: np.True_}), setting)
    with pytest.raises(TypeError, match=rf"`{setting}` must be True or False, got 'yes'"):
        get_method(name, **{setting: "yes"})


# -- f that changes its argument; values of f that are not floats (see tests/test_reliability.py)
@pytest.mark.parametrize(("name", "settings"), _callers())
def test_f_changing_its_argument_changes_nothing(name, settings):
    g = SymbolicFunction(EXPR, (X, Y, Z))

    def f(x):
        value = g(x)
        if isinstance(x, np.ndarray) and x.flags.writeable:
            x[...] = 5.0  # approx-fprime and numdifftools went wrong on this
        return value

    x = POINT.copy()
    est = get_method(name, **settings).gradient(f, x)
    np.testing.assert_array_equal(x, POINT)
    truth = exact_gradient(POINT)
    assert np.max(np.abs(est.value - truth)) / np.max(np.abs(truth)) < 1e-5


# -- values of f that are not floats ---------------------------------------------------------------
BAD_VALUES = [
    pytest.param(
        10**400, r"got int 1000.* an int too large for a float64 \(401 digits\)", id="int"
    ),
    pytest.param(decimal.Decimal("1.5"), r"got Decimal Decimal\('1.5'\)", id="Decimal"),
    pytest.param(fractions.Fraction(1, 3), r"got Fraction Fraction\(1, 3\)", id="Fraction"),
    pytest.param(sympy.Float(1.5), r"got Float 1.5", id="sympy-Float"),
    pytest.param(True, r"got bool True at x=.*a boolean", id="bool"),
    pytest.param(np.True_, r"got bool np.True_ at x=.*a boolean", id="numpy-bool"),
]


@pytest.mark.parametrize(("name", "settings"), _callers())
@pytest.mark.parametrize(("bad", "match"), BAD_VALUES)
def test_value_of_f_that_is_not_a_float_is_a_clear_error(name, settings, bad, match):
    method = get_method(name, **settings)
    vectorized = settings.get("vectorized") or "vectorized" in method.needs

    def f(x):
        if vectorized and np.ndim(x) == 2:
            return np.array([bad] * np.shape(x)[0], dtype=object)
        return bad

    if vectorized and not isinstance(bad, bool | np.bool_):
        match = r"got ndarray .*an array of Python objects"
    elif vectorized:
        match = r"got ndarray .*"
    with pytest.raises(
        FunctionEvaluationError, match=rf"^{re.escape(method.label)}: .*{match}"
    ) as info:
        method.gradient(f, POINT)
    assert "at x=" in str(info.value)
