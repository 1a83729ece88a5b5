"""The data-driven default step of FD Hessians (methods/hessian_steps.py, README issue 13)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from methods import get_method
from methods.counting import CountedFunction
from methods.fd_kinds import _hessian_at
from methods.fornberg import float_stencil, optimal_step
from methods.hessian_steps import MAX_ROUNDS, TOP, choose_hessian


def _f(x):  # smooth, unit scale; works on (n,) and (m, n)
    x = np.asarray(x, dtype=float)
    return np.exp(x[..., 0]) * np.cos(x[..., 1]) + x[..., 0] * x[..., 1] ** 3


def _true_hessian(x):
    a, b = x
    return np.array(
        [
            [np.exp(a) * np.cos(b), -np.exp(a) * np.sin(b) + 3 * b**2],
            [-np.exp(a) * np.sin(b) + 3 * b**2, -np.exp(a) * np.cos(b) + 6 * a * b],
        ]
    )


X = np.array([0.4, -0.7])
CONFIGS = [("forward", 1), ("backward", 2), ("central", 2), ("central", 4), ("forward", 4)]


@pytest.mark.parametrize(("scheme", "order"), CONFIGS)
def test_error_within_theory_band(scheme, order):
    # the error model's smallest error of a second derivative at unit scale is about
    # eps^(p / (p + 2)); the rule may not be more than 30x above it
    est = get_method(scheme, order=order).hessian(_f, X)
    truth = _true_hessian(X)
    err = np.max(np.abs(est.value - truth)) / np.max(np.abs(truth))
    assert err <= 30 * np.finfo(float).eps ** (order / (order + 2))
    # and it is no worse than 10x the a-priori step's error
    apriori = get_method(scheme, order=order, step_rule="relative").hessian(_f, X)
    err0 = np.max(np.abs(apriori.value - truth)) / np.max(np.abs(truth))
    assert err <= 10 * max(err0, 1e-15)


@pytest.mark.parametrize(("scheme", "order"), CONFIGS)
def test_extra_evaluations_are_counted(scheme, order):
    calls = []

    def f(x):
        calls.append(1)
        return _f(x)

    stencil = get_method(scheme, order=order).hessian(f, X, step=1e-3).nfev
    calls.clear()
    est = get_method(scheme, order=order).hessian(f, X)
    assert est.nfev == len(calls)
    # at least two Hessians (one round), at most two per round
    assert 2 * stencil <= est.nfev <= 2 * MAX_ROUNDS * stencil


def test_relative_and_absolute_keep_the_a_priori_step():
    x = np.array([3.0, -0.2])
    h = optimal_step("central", 2, 2)
    rel = get_method("central", step_rule="relative").hessian(_f, x)
    stencil = get_method("central").hessian(_f, x, step=1e-3).nfev
    assert rel.nfev == stencil
    assert np.allclose(rel.step, h * np.maximum(1.0, np.abs(x)), rtol=1e-6)
    ab = get_method("central", step_rule="absolute").hessian(_f, x)
    assert ab.nfev == stencil and np.allclose(ab.step, h, rtol=1e-6)


def test_deterministic_and_vectorized_bit_identical():
    runs = [get_method("forward", order=3).hessian(_f, X) for _ in range(2)]
    vec = get_method("forward", order=3, vectorized=True).hessian(_f, X)
    for other in (runs[1], vec):
        assert np.array_equal(runs[0].value, other.value)
        assert np.array_equal(runs[0].step, other.step)
        assert runs[0].nfev == other.nfev


def test_polynomial_goes_to_the_top_step():
    # a quadratic: central(2) has no truncation error, so the largest step is best
    est = get_method("central").hessian(lambda x: x[0] ** 2 + 3 * x[0] * x[1], [0.5, 0.5])
    assert np.all(est.step >= TOP / 4)
    assert np.allclose(est.value, [[2.0, 3.0], [3.0, 0.0]], atol=1e-12)


def test_choose_hessian_non_finite_moves_down():
    # non-finite above t = 1e-3: the search moves down until the estimates are finite
    def evaluate(t):
        v = np.array([[np.nan if t > 1e-3 else 1.0 + t * t]])
        return np.array([t]), v, 1e-16 / t**2

    trials, best = choose_hessian(evaluate, 0.05, 2)
    assert trials[best].t <= 1e-3 and np.isfinite(trials[best].value).all()


def test_rounding_of_an_entry_adds_in_quadrature():
    # the rounding estimate of an entry is sqrt(sum (w f)^2) / h^2 (independent errors of the
    # values of f), not the worst case sum |w f| / h^2
    x, h = np.array([0.3]), np.array([1e-3])
    off, w = float_stencil("forward", 2, 3)
    method = get_method("forward", order=3)
    value, spread, weight = _hessian_at(method, CountedFunction(lambda z: np.exp(z[0]), "f"), x, h)
    wf = np.array(w) * np.exp(x[0] + np.array(off) * h[0])
    assert np.isclose(spread[0, 0], np.sqrt(np.sum(wf**2)) / h[0] ** 2, rtol=1e-12)
    assert spread[0, 0] < 0.6 * np.sum(np.abs(wf)) / h[0] ** 2  # here 0.53 of the worst case
    assert np.isclose(weight[0, 0], np.sqrt(np.sum(np.square(w))) / h[0] ** 2, rtol=1e-12)
    assert np.isclose(value[0, 0], np.exp(0.3), rtol=1e-6)


def test_rounding_of_each_entry_is_balanced_against_its_own_truncation():
    # entry (0, 0): truncation 1e3 t^2, rounding 1e-16 / t^2 (balance 10^-4.75, error 6e-7);
    # entry (1, 1): exact, with a rounding of 3e-7 that does not change with the step (values of
    # f that grow like h^2). Balancing the largest rounding of all entries against the largest
    # truncation (the rule before) stopped at 10^-4.37, where entry (0, 0) is 3x less accurate.
    def evaluate(t):
        value = np.diag([2.0 + 1e3 * t * t, 1.0])
        return np.array([t, t]), value, np.diag([1e-16 / t**2, 3e-7])

    trials, best = choose_hessian(evaluate, 1e-4, 2)
    assert abs(math.log10(trials[best].t) + 4.75) < 0.15


def test_a_finer_last_step_at_high_order():
    # order 6, truncation t^6 and rounding 1e-16 / t^2: the balance is s = (2e-16 / 6)^(1/8).
    # Started 1.45 s above it, the first round settles (a move within 1.5x), but the model
    # expects more than half the error away at s: one Hessian more, there, and it is the result
    s = (2e-16 / 6) ** (1 / 8)

    def evaluate(t):
        return np.array([t]), np.array([[2.0 + t**6]]), 1e-16 / t**2

    trials, best = choose_hessian(evaluate, 1.45 * s, 6)
    assert len(trials) == 3 and best == 2
    assert abs(trials[best].t / s - 1.0) < 0.05
    assert trials[best].error < min(tr.error for tr in trials[:2]) / 2


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="step_rule"):
        get_method("central", step_rule="curtis-reid").hessian(_f, X)
    with pytest.raises(ValueError, match="noise"):
        get_method("central", step_rule="relative", noise=1e-3).hessian(_f, X)
    with pytest.raises(ValueError, match="step"):
        get_method("central").hessian(_f, X, step=-1.0)


def _benchmark():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "hessian_default_step.py"
    spec = importlib.util.spec_from_file_location("hessian_default_step", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The configurations whose default step is within 10x of the best swept step at every point
#: of the smooth Hessian problems (python benchmarks/hessian_default_step.py): all but
#: forward(4) and forward(6) (109 of 112 cases; README, issue 13).
MEETS = [("forward", p) for p in (1, 2, 3, 5)] + [("backward", p) for p in (1, 2, 3, 4, 5, 6)]
MEETS += [("central", p) for p in (2, 4, 6, 8)]

#: Every configuration of the benchmark.
ALL = [(scheme, p) for scheme, orders in _benchmark().STENCILS for p in orders]


@pytest.mark.parametrize(("scheme", "order"), ALL)
def test_default_within_10x_of_best_swept_step(scheme, order):
    # every configuration is within 10x of the second-best swept step (one swept step whose
    # rounding errors happen to cancel cannot move it); those of MEETS of the best too
    bench = _benchmark()
    for name, f, x, truth in bench.cases():
        row = bench.one_case(scheme, order, "guarded", f, x, truth)
        assert row["ratio2"] <= 10.0, (name, tuple(x), row)
        if (scheme, order) in MEETS:
            assert row["ratio"] <= 10.0, (name, tuple(x), row)
        assert row["ratio2"] <= row["ratio"]
