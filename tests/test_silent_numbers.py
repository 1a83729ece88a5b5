"""Silent wrong numbers, one test per defect: each failed before its fix (see the README's
"Reliability" subsection). Rules that apply to every method run over every registered
configuration, as in tests/test_conformance.py."""

from __future__ import annotations

import decimal
import re
import warnings

import numpy as np
import pytest
import sympy

import methods
from methods import FunctionEvaluationError, as_vector_function, get_method
from methods.batching import (
    DEFAULT_MAX_BATCH_BYTES,
    batch_budget,
    evaluate_rows,
    max_batch_bytes,
    set_max_batch_bytes,
)
from methods.counting import CountedFunction

X, Y, Z = sympy.symbols("x y z")
EXPR = sympy.sin(X) * sympy.exp(Y) + X * Y * Z
POINT = np.array([0.3, -0.7, 1.9])
EPS = float(np.finfo(float).eps)


# -- complex step outside the real domain ----------------------------------------------------------
@pytest.mark.parametrize(
    ("func", "x0", "match"),
    [
        (np.log, -0.5, r"f\(x\) is not real at x=\[-0.5\]"),  # gave pi/h = 3.14e20
        (np.sqrt, -1.0, r"f\(x\) is not real at x=\[-1.0\]"),  # gave 1/h = 1e20
        (np.sqrt, 0.0, r"not analytic at x=\[0.0\] along coordinate 0"),  # gave 7.07e9
        (lambda t: t + 1j, 1.0, r"f\(x\) is not real at x=\[1.0\]"),  # gave 1e20
    ],
    ids=["log-negative", "sqrt-negative", "sqrt-zero", "complex-valued"],
)
@pytest.mark.parametrize("vectorized", [False, True])
def test_complex_step_outside_the_real_domain_is_nan_with_a_warning(func, x0, match, vectorized):
    method = get_method("complex-step", vectorized=vectorized)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = method.derivative(func, x0)
    assert np.isnan(est.value)
    assert any(
        issubclass(w.category, RuntimeWarning) and re.search(match, str(w.message)) for w in caught
    ), [str(w.message) for w in caught]
    assert est.nfev == 2  # f(x) and f(x + ih): the guard's evaluation is counted


def test_complex_step_guard_keeps_other_coordinates_and_full_accuracy():
    # sqrt(x0) at x0 = 0 is a branch point along coordinate 0 only
    f = as_vector_function(lambda a, b: np.sqrt(a) + np.exp(b))
    with pytest.warns(RuntimeWarning, match="along coordinate 0"):
        est = get_method("complex-step").gradient(f, [0.0, 0.5])
    assert np.isnan(est.value[0])
    assert abs(est.value[1] - np.exp(0.5)) <= 2 * EPS * np.exp(0.5)
    # a stationary point (f' = 0, f(x) = 0, Re f(x + ih) - f(x) = -h^2 f''/2) is not flagged
    rosen = as_vector_function(lambda a, b: 100 * (b - a * a) ** 2 + (1 - a) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in (1e-20, 1e-8, 1e-3):
            est = get_method("complex-step").gradient(rosen, [1.0, 1.0], step=step)
            assert np.all(np.abs(est.value) <= 1e3 * step**2)  # truncation: h^2 f'''/6


# -- dual numbers and non-finite values ------------------------------------------------------------
@pytest.mark.parametrize(
    ("func", "x0"),
    [
        (lambda t: float("nan"), 1.0),  # gave 0.0
        (lambda t: t + np.inf, 1.0),  # gave 1.0
        (np.log, -1.0),  # gave -1.0
        (lambda t: np.sqrt(t) * 2.0, -4.0),
    ],
    ids=["always-nan", "plus-inf", "log-negative", "sqrt-negative"],
)
def test_dual_propagates_non_finite_values_as_nan_with_a_warning(func, x0):
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match=r"dual: f returned"):
        est = get_method("dual").derivative(func, x0)
    assert np.isnan(est.value)


def test_dual_log_of_a_negative_number_has_nan_derivative_parts():
    from methods.dual import seed

    with np.errstate(invalid="ignore"):
        y = np.log(seed([-1.0, 2.0]))
    assert np.isnan(y.value[0]) and np.all(np.isnan(y.deriv[0]))
    np.testing.assert_array_equal(y.deriv[1], [0.0, 0.5])


# -- numdifftools and steps lost in x + h ----------------------------------------------------------
@pytest.mark.parametrize("x0", [1e16, 1e20, 1e100, 1e308])
def test_numdifftools_vanishing_step_is_a_clear_error(x0):
    pytest.importorskip("numdifftools")
    # f(x) = x gave 0.0 (100 % error) without a warning
    with pytest.raises(ValueError, match=r"numdifftools: a step vanishes at x\[0\]=.*`step`"):
        get_method("numdifftools").derivative(lambda t: t, x0)


def test_numdifftools_still_works_where_its_steps_survive():
    pytest.importorskip("numdifftools")
    est = get_method("numdifftools").derivative(lambda t: t, 1e12)
    assert est.value == pytest.approx(1.0, rel=1e-4)


# -- f that changes its argument, values of f that are not floats: tests/test_conformance.py ------
def test_counted_function_accepts_ints_that_fit_and_numpy_numbers():
    counted = CountedFunction(lambda x: 3, "m")
    assert counted(np.zeros(2)) == 3.0
    for value in (np.float32(1.5), np.int64(2), np.array(1.0), np.array([2.0])):
        assert CountedFunction(lambda x, v=value: v, "m")(np.zeros(2)) == value.item()
    assert CountedFunction(lambda x: np.array([True]), "m").batch is not None
    with pytest.raises(FunctionEvaluationError, match="got ndarray .*a boolean"):
        CountedFunction(lambda x: np.array([True, False]), "m").batch(np.zeros((2, 2)))


@pytest.mark.parametrize("name", ["central", "dual", "complex-step", "richardson"])
@pytest.mark.parametrize(
    ("x0", "shown"),
    [("1.0", "str '1.0'"), (decimal.Decimal(1), "Decimal"), (b"1", "bytes"), ([1.0], "list")],
)
def test_derivative_refuses_a_point_that_is_not_a_real_number(name, x0, shown):
    method = get_method(name)
    label = re.escape(method.label)
    with pytest.raises(TypeError, match=rf"^{label}: `x` must be a real scalar.*{shown}"):
        method.derivative(np.exp, x0)


# -- vectorized evaluation in chunks of bounded memory ---------------------------------------------
def _vectorized_configs() -> list:
    out = []
    for info in methods.available():
        cls = methods.method_class(info.name)
        if not info.available:
            continue
        if "vectorized" in cls.needs:
            out.append(pytest.param(info.name, {}, id=info.name))
        elif "vectorized" in cls._setting_names:
            for settings in cls.variants():
                s = {**settings, "vectorized": True}
                out.append(pytest.param(info.name, s, id=f"{info.name}-{s}"))
    return out


class BatchRecorder:
    """A vectorized Rosenbrock that records the number of rows of every call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, x):
        x = np.asarray(x)
        if x.ndim == 2:
            self.calls.append(x.shape[0])
        a, b = x[..., :-1], x[..., 1:]
        return (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum(axis=-1)


@pytest.mark.parametrize(("name", "settings"), _vectorized_configs())
def test_chunked_evaluation_is_bit_identical_with_the_same_nfev(name, settings):
    method = get_method(name, **settings)
    x = np.array([-1.2, 1.0, 0.7, -0.3, 2.1])
    whole, chunked = BatchRecorder(), BatchRecorder()
    one = method.gradient(whole, x)
    budget = 2 * x.size * 16  # 2 rows of complex points, 4 of real ones
    with batch_budget(budget):
        many = method.gradient(chunked, x)
    np.testing.assert_array_equal(many.value, one.value)
    assert many.nfev == one.nfev == sum(whole.calls) == sum(chunked.calls)
    assert len(chunked.calls) > len(whole.calls)
    assert max(chunked.calls) * x.size * 8 <= budget


def test_evaluate_rows_chunk_count_and_order():
    counted = CountedFunction(lambda X: X[:, 0] * 10 + X[:, 1], "m")
    built: list[tuple[int, int]] = []

    def rows(start, stop):
        built.append((start, stop))
        r = np.arange(start, stop, dtype=float)
        return np.stack([r, -r], axis=1)

    with batch_budget(3 * 2 * 8):  # 3 rows of 2 floats
        y = evaluate_rows(counted, 10, 2, rows)
    assert built == [(0, 3), (3, 6), (6, 9), (9, 10)]
    np.testing.assert_array_equal(y, np.arange(10) * 9.0)
    assert counted.nfev == 10
    built.clear()
    assert evaluate_rows(CountedFunction(counted.f, "m"), 10, 2, rows).shape == (10,)
    assert built == [(0, 10)]  # within the default budget: one call


def test_batch_budget_is_settable_and_checked():
    assert max_batch_bytes() == DEFAULT_MAX_BATCH_BYTES
    previous = set_max_batch_bytes(1000)
    try:
        assert previous == DEFAULT_MAX_BATCH_BYTES and max_batch_bytes() == 1000
    finally:
        set_max_batch_bytes(None)
    assert max_batch_bytes() == DEFAULT_MAX_BATCH_BYTES
    with pytest.raises(ValueError, match="`max_batch_bytes` must be a positive integer, got 0"):
        set_max_batch_bytes(0)
    with pytest.raises(TypeError, match="`max_batch_bytes` must be an integer, got float"):
        with batch_budget(1e6):
            pass
