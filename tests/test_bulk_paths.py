"""Bulk paths give what the one-at-a-time paths give (issue 12, speed of the sweep).

``Method.gradients_at_steps`` (a step sweep with f, x and the settings checked once; finite
differences skip the per-call checks for plain steps) must return ``gradient(f, x, step=h)`` for
every step, bit for bit, with its errors; ``ExactGradient.many`` (two precision passes over all
points) must return each point's certified truth, with its warnings and errors. No timing here:
``benchmarks/sweep_speed.py`` measures the speed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

import methods
from diffbench.problems import get_problem
from diffbench.truth import ExactGradient
from methods.validation import plain_steps

STEPS = [
    None,
    1e-2,
    1e-7,
    np.float64(3e-5),
    np.array([1e-3, 2e-3]),
    np.array([1e-3, 2e-3], dtype=np.float32),  # not plain: gradient() converts it
    [1e-4, 1e-4],  # a list: the gradient() path
    1e-20,  # vanishes at x: an error
    -1.0,  # negative: an error
    float("nan"),
    np.array([1e-3]),  # wrong shape: an error
    1e308,  # representable at |x| ~ 1: f meets inf
    "tiny",  # not a number: an error
]


def _one_by_one(method, f, x, steps):
    out = []
    for h in steps:
        try:
            out.append(method.gradient(f, x, step=h))
        except Exception as exc:
            out.append(exc)
    return out


def _same(a, b) -> bool:
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b)
    return a == b  # Estimate equality: every field bit for bit


@pytest.mark.parametrize(
    "settings",
    [
        {"name": "forward"},
        {"name": "backward", "order": 3},
        {"name": "central", "order": 8},
        {"name": "central", "vectorized": True},
        {"name": "backward", "workers": map},  # a map-like callable: the same values
        {"name": "forward", "step_rule": "absolute"},
        {"name": "complex-step"},
        {"name": "richardson"},
    ],
)
def test_gradients_at_steps_is_gradient_at_each_step(settings):
    settings = dict(settings)
    method = methods.get_method(settings.pop("name"), **settings)
    f = methods.as_vector_function(lambda a, b: np.exp(a) * np.sin(b) + a / (b + 3.0))
    x = np.array([0.7, -1.3])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = list(method.gradients_at_steps(f, x, STEPS, errors="return"))
        expected = _one_by_one(method, f, x, STEPS)
    assert len(got) == len(expected)
    for h, g, e in zip(STEPS, got, expected, strict=True):
        assert _same(g, e), (h, g, e)
    if not {"vectorized", "workers"} & set(settings) and method.name != "complex-step":
        assert sum(isinstance(e, Exception) for e in expected) >= 5  # the error paths ran
    huge = np.array([1e308, 1.0])  # x + h overflows: the error of gradient()
    got = list(method.gradients_at_steps(f, huge, [1e308], errors="return"))
    assert _same(got[0], _one_by_one(method, f, huge, [1e308])[0])


def test_a_non_finite_f_gives_the_same_estimates_and_warnings():
    method = methods.get_method("central")
    f = np.log  # NaN on the left of 0
    x = np.array([1e-6])
    steps = [1e-3, 1e-7, 1e-9]
    with np.errstate(all="ignore"):
        with warnings.catch_warnings(record=True) as bulk_warned:
            warnings.simplefilter("always")
            got = list(method.gradients_at_steps(f, x, steps))
        with warnings.catch_warnings(record=True) as single_warned:
            warnings.simplefilter("always")
            expected = [method.gradient(f, x, step=h) for h in steps]
    assert got == expected
    assert np.isnan(got[0].value[0]) and not np.isnan(got[2].value[0])
    assert [str(w.message) for w in bulk_warned] == [str(w.message) for w in single_warned]


def test_errors_raise_stops_at_the_first_bad_step():
    method = methods.get_method("forward")
    it = method.gradients_at_steps(np.exp, [0.0], [1e-3, -1.0, 1e-4])
    assert next(it).nfev == 2
    with pytest.raises(ValueError, match="`step` must be positive"):
        next(it)


def test_a_bad_f_or_x_is_the_error_of_every_step():
    method = methods.get_method("central")
    out = list(method.gradients_at_steps(np.exp, [np.nan], [1e-3, 1e-4], errors="return"))
    assert [type(e) for e in out] == [ValueError, ValueError]
    assert all("`x` must be finite" in str(e) for e in out)
    with pytest.raises(TypeError, match="`f` must be callable"):
        next(method.gradients_at_steps("exp", [0.0], [1e-3]))


def test_bad_arguments_name_the_parameter():
    method = methods.get_method("central")
    with pytest.raises(ValueError, match="`errors` must be one of"):
        method.gradients_at_steps(np.exp, [0.0], [1e-3], errors="ignore")
    with pytest.raises(TypeError, match="`steps` must be an iterable"):
        method.gradients_at_steps(np.exp, [0.0], 1e-3)
    with pytest.raises(TypeError, match="`steps` must be an iterable"):
        method.gradients_at_steps(np.exp, [0.0], "1e-3")


def test_plain_steps_agree_with_the_checks_of_gradient():
    from methods.validation import check_step, representable_step

    x = np.array([1.0, -3.0])
    used, plain = plain_steps(STEPS, x)
    for k, h in enumerate(STEPS):
        if plain[k]:
            np.testing.assert_array_equal(used[k], representable_step(x, check_step(h, 2)))
    assert plain.tolist() == [False, *[True] * 4, *[False] * 6, True, False]
    _, huge = plain_steps([1e308], np.array([1e308]))  # x + h overflows
    assert not huge[0]


t = sympy.Symbol("t", real=True)


def test_many_is_each_point_certified():
    p = get_problem("exp-sin")
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 9), np.linspace(0, 2, 7)), -1).reshape(-1, 2)
    truth = ExactGradient(p.expr, p.symbols)
    np.testing.assert_array_equal(truth.many(grid), np.array([truth(row) for row in grid]))


def test_many_climbs_the_ladder_at_the_points_that_need_it():
    # (e^t - 1)/t: 50 digits are not enough near 1e-45, elsewhere they are
    truth = ExactGradient((sympy.exp(t) - 1) / t, [t])
    X = np.array([[1e-45], [0.5], [2.0], [-1e-45]])
    got = truth.many(X)
    np.testing.assert_array_equal(got, np.array([truth(row) for row in X]))
    assert got[0, 0] == 0.5


def test_many_warns_and_raises_as_each_point_does():
    unconfirmed = ExactGradient(sympy.tan(t) ** 2 - sympy.sec(t) ** 2, [t])
    with pytest.warns(RuntimeWarning, match="could not be confirmed"):
        unconfirmed.many(np.array([[0.3]]))
    root = ExactGradient(sympy.sqrt(t), [t])
    with pytest.raises(ValueError, match=r"undefined at x=\[0\.0\] \(division by zero\)"):
        root.many(np.array([[1.0], [0.0]]))
    with pytest.raises(ValueError, match=r"at x=\[-1\.0\]: .*complex"):
        root.many(np.array([[1.0], [-1.0]]))
    with pytest.raises(ValueError, match="exceeds the float64 range"):
        ExactGradient(sympy.exp(t), [t]).many(np.array([[1.0], [1000.0]]))


def test_exact_matrix_many_is_each_point():
    from diffbench.battery_kinds import get_kind_problem
    from diffbench.truth import ExactMatrix, hessian_truth, jacobian_truth

    u = sympy.Symbol("u", real=True)
    hess = hessian_truth(sympy.exp(t) * sympy.sin(u) + t**3 * u, [t, u])
    jac = jacobian_truth([t * u, sympy.cos(t), sympy.Integer(3)], [t, u])  # a zero row
    third = ExactMatrix({(): sympy.diff(sympy.sin(5 * t), t, 3)}, (), [t], what="derivative 3")
    X2 = np.array([[0.1, 0.2], [-1.5, 2.0], [3.0, -0.25]])
    X1 = np.linspace(-1.0, 1.0, 7)[:, None]
    for exact, X in ((hess, X2), (jac, X2), (third, X1)):
        np.testing.assert_array_equal(exact.many(X), np.array([exact(x) for x in X]))
    assert hess.many(X2).shape == (3, 2, 2) and third.many(X1).shape == (7,)
    problem = get_kind_problem("cos-zero-d2")
    nodes = np.linspace(*problem.domain[0], 9)[:, None]
    got = problem.exact().many(nodes)
    np.testing.assert_array_equal(got, np.array([problem.exact()(x) for x in nodes]))
    with pytest.raises(ValueError, match=r"`X` must have shape \(m, 2\)"):
        hess.many(X1)
