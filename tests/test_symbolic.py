"""The `sympy` method: exact symbolic gradient evaluated in float64."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from diffbench.metrics import gradient_error
from diffbench.problems import get_problem, list_problems, rosenbrock
from methods import SymbolicFunction, get_method

SMOOTH = [p for p in list_problems() if "smooth" in p.tags]


@pytest.mark.parametrize("problem", SMOOTH, ids=lambda p: p.name)
def test_sympy_is_exact_to_rounding_on_smooth_problems(problem):
    method = get_method("sympy")
    for point in problem.points:
        est = method.gradient(problem.function, point)
        _, rel = gradient_error(est, problem.exact_gradient(point))
        assert rel <= 1e-15
        assert est.nfev == 0 and est.step is None and est.error_estimate is None


def test_sympy_needs_an_expression():
    with pytest.raises(TypeError, match="method 'sympy' needs a function built from a SymPy"):
        get_method("sympy").gradient(lambda x: float(x[0] ** 2), [1.0])


def test_sympy_rejects_a_dimension_mismatch():
    x, y = sympy.symbols("x y")
    with pytest.raises(ValueError, match="`x` has 3 coordinates but the expression has 2"):
        get_method("sympy").gradient(SymbolicFunction(x * y, (x, y)), [1.0, 2.0, 3.0])


def test_symbolic_work_is_done_once_per_function_not_per_call():
    problem = rosenbrock(300)
    f = problem.function
    method = get_method("sympy")
    x = np.linspace(-1.0, 1.0, 300)
    first = method.gradient(f, x)
    compiled = f.gradient_function()
    second = method.gradient(f, x)
    assert f.gradient_function() is compiled  # reused, not rebuilt
    np.testing.assert_array_equal(first.value, second.value)
    _, rel = gradient_error(second, problem.exact_gradient(x))
    assert rel <= 1e-15


def test_sympy_reproduces_no_cancellation_of_the_program():
    # d/dx (e^x - 1)/x differentiated symbolically, then evaluated in float64: the formula
    # itself cancels at 1e-7, so even the exact method loses digits there (documented).
    problem = get_problem("expm1-ratio")
    est = get_method("sympy").gradient(problem.function, [1e-7])
    _, rel = gradient_error(est, problem.exact_gradient([1e-7]))
    assert rel > 1e-6
