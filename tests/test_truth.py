"""Ground truth without a Problem: diffbench.truth on a plain (expr, symbols, x)."""

from __future__ import annotations

import pickle
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

import diffbench.truth as truth
from diffbench.problems import Problem, get_problem, list_problems
from diffbench.truth import (
    ExactGradient,
    exact_gradient,
    exact_gradient_mp,
    exact_gradients,
    exact_value,
)

CASES = [(p, pt) for p in list_problems() for pt in p.points]
IDS = [f"{p.name}@{pt[0]!r}" for p, pt in CASES]
t = sympy.Symbol("t", real=True)


@pytest.mark.parametrize(("problem", "point"), CASES, ids=IDS)
def test_plain_expression_gives_the_problems_truth(problem, point):
    got = exact_gradient(problem.expr, problem.symbols, point)
    assert got.dtype == np.float64 and got.shape == (problem.dim,)
    np.testing.assert_array_equal(got, problem.exact_gradient(point))
    assert exact_value(problem.expr, problem.symbols, point) == problem.exact_value(point)
    assert exact_gradient_mp(problem.expr, problem.symbols, point) == problem.exact_gradient_mp(
        point
    )


def test_exact_gradients_on_a_grid_match_the_problem():
    p = get_problem("runge")
    X = np.linspace(-1.0, 1.0, 33)[:, None]
    np.testing.assert_array_equal(exact_gradients(p.expr, p.symbols, X), p.exact_gradients(X))


def test_a_single_symbol_and_the_double_not_the_decimal():
    # 1/(t - 1) at the double nearest 1.001, where t - 1 is exact
    x = Fraction(1.001)
    assert exact_gradient(1 / (t - 1), t, [1.001])[0] == float(-1 / (x - 1) ** 2)


def test_the_ladder_climbs_where_the_derivative_formula_cancels():
    expr = (sympy.exp(t) - 1) / t
    assert float(exact_gradient_mp(expr, [t], [1e-45])[0]) != 0.5  # 50 digits are not enough
    assert exact_gradient(expr, [t], [1e-45])[0] == 0.5
    assert float(exact_gradient_mp(expr, [t], [1e-45], dps=120)[0]) == 0.5


def test_warns_when_the_truth_cannot_be_confirmed():
    with pytest.warns(RuntimeWarning, match="the expression: the exact gradient .* could not"):
        g = exact_gradient(sympy.tan(t) ** 2 - sympy.sec(t) ** 2, [t], [0.3])
    assert abs(g[0]) < 1e-300


@pytest.mark.parametrize(
    ("expr", "x", "match"),
    [
        (sympy.sqrt(t), 0.0, r"gradient of the expression is undefined at x=\[0\.0\] \(division"),
        (sympy.sqrt(t), -1.0, "is complex"),
        (t * sympy.log(t), 0.0, "not finite"),
        (sympy.exp(t), 1000.0, "exceeds the float64 range"),
    ],
)
def test_undefined_or_infinite_gradient_is_a_value_error(expr, x, match):
    with pytest.raises(ValueError, match=match):
        exact_gradient(expr, [t], [x])


def test_a_function_mpmath_does_not_know():
    g = sympy.Function("g")
    with pytest.raises(NotImplementedError, match="mpmath cannot evaluate the gradient"):
        exact_gradient(g(t) * t, [t], [0.5])
    with pytest.raises(NotImplementedError, match=r"mpmath cannot evaluate the value .*\)\.$"):
        exact_value(g(t) * t, [t], [0.5])


def test_bad_input_names_the_parameter():
    with pytest.raises(TypeError, match="`expr` must be a SymPy expression"):
        exact_gradient("t**2", [t], [1.0])
    with pytest.raises(ValueError, match="`symbols` must include every free symbol"):
        exact_gradient(t * sympy.Symbol("u"), [t], [1.0])
    with pytest.raises(ValueError, match="`x` has 2 coordinates but the expression has 1"):
        exact_gradient(t**2, [t], [1.0, 2.0])
    with pytest.raises(ValueError, match="`x` must be finite"):
        exact_value(t**2, [t], [np.inf])
    with pytest.raises(ValueError, match=r"`X` must have shape \(m, 1\)"):
        exact_gradients(t**2, [t], [1.0, 2.0])
    with pytest.raises(ValueError, match="`dps` must be an integer >= 16"):
        exact_gradient_mp(t**2, [t], [1.0], dps=8)
    with pytest.raises(TypeError, match="`label` must be a string"):
        ExactGradient(t**2, [t], label=3)


def test_the_caller_owns_the_compiled_callables():
    a, b = ExactGradient(t**3, [t]), ExactGradient(t**3, [t])
    assert a([2.0]).tolist() == [12.0] and a.value([2.0]) == 8.0
    assert set(a._compiled) == {"gradient", "value"} and b._compiled == {}
    # no module-level container in diffbench.truth could hold compiled state
    containers = [
        name
        for name, value in vars(truth).items()
        if isinstance(value, dict | list | set) and not name.startswith("__")
    ]
    assert containers == []


def test_exact_gradient_pickles_without_compiled_state():
    eg = ExactGradient(sympy.exp(t) * sympy.sin(t), [t], label="problem 'x'")
    expected = eg([0.7])
    copy = pickle.loads(pickle.dumps(eg))
    assert copy._compiled == {} and copy._gradient_exprs is None and copy.label == eg.label
    np.testing.assert_array_equal(copy([0.7]), expected)
    assert eg.gradient_exprs == copy.gradient_exprs


def test_problem_owns_one_truth_and_one_function():
    x = sympy.Symbol("x", real=True)
    p = Problem("own", x**2, (x,), ((0.5,),), ((0.0, 1.0),), frozenset(), "")
    assert p.truth is p.truth and p.function is p.function
    assert isinstance(p.truth, ExactGradient) and p.truth.label == "problem 'own'"
    p.exact_gradient([0.5])
    q = pickle.loads(pickle.dumps(p))
    assert q.truth is not p.truth and q.truth._compiled == {} and q.function._compiled == {}
    assert q.exact_gradient_mp([0.5]) == [mpmath.mpf(1)]
