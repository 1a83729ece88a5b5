"""The default battery: the benchmark's problems, each defined once as a SymPy expression.

:func:`battery` builds the problems :func:`~diffbench.problems.list_problems` returns (the data
tables of the benchmark: expression, points, domain, tags, description), and :func:`rosenbrock`
builds the extended Rosenbrock function in any dimension from 2 to :data:`ROSENBROCK_MAX`.

Examples
--------
>>> [p.name for p in battery()][:3]
['seed-product', 'seed-quadratic', 'seed-square']
>>> rosenbrock(250).dim
250
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache

import sympy

from methods.validation import check_positive_int

from .problem import Problem

__all__ = [
    "ROSENBROCK_MAX",
    "ROSENBROCK_CACHE_SIZE",
    "battery",
    "rosenbrock",
    "rosenbrock_expression",
]

#: Largest dimension :func:`rosenbrock` builds.
ROSENBROCK_MAX = 1000
#: How many Rosenbrock problems :func:`rosenbrock` keeps (least recently used first out), so that
#: asking again for the same n returns the same object with its compiled callables.
ROSENBROCK_CACHE_SIZE = 8


def rosenbrock_expression(symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """sum_{i<n} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 (the extended Rosenbrock function)."""
    x = list(symbols)
    return sympy.Add(
        *[100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1)]
    )


def rosenbrock(n: int) -> Problem:
    """The extended Rosenbrock function of ``n`` variables, ``2 <= n <= 1000``.

    Points: the classic start ``(-1.2, 1, -1.2, 1, ...)`` and a point near the minimum with
    coordinates ``1 + k/50``, ``k`` in -5..5. Tagged "high-dimensional" from n = 10 on. Also
    reachable as ``get_problem("rosenbrock-<n>")``. The last :data:`ROSENBROCK_CACHE_SIZE` sizes
    asked for are kept: asking again returns the same object.

    Parameters
    ----------
    n : int
        Number of variables, 2 to 1000.

    Returns
    -------
    Problem

    Examples
    --------
    >>> rosenbrock(2).exact_gradient([-1.2, 1.0]).tolist()  # at the double nearest -1.2
    [-215.59999999999994, -87.99999999999999]
    """
    n = check_positive_int("n", n, minimum=2)
    if n > ROSENBROCK_MAX:
        raise ValueError(f"`n` must be at most {ROSENBROCK_MAX}, got {n}.")
    return _rosenbrock(n)


@lru_cache(maxsize=ROSENBROCK_CACHE_SIZE)
def _rosenbrock(n: int) -> Problem:
    symbols = sympy.symbols(f"x1:{n + 1}", real=True)
    start = tuple(-1.2 if i % 2 == 0 else 1.0 for i in range(n))
    near = tuple(float(1 + Fraction((37 * i) % 11 - 5, 50)) for i in range(n))
    tags = {"polynomial", "smooth"} | ({"high-dimensional"} if n >= 10 else set())
    return Problem(
        name=f"rosenbrock-{n}",
        expr=rosenbrock_expression(symbols),
        symbols=symbols,
        points=(start, near),
        domain=((-2.0, 2.0),) * n,
        tags=frozenset(tags),
        description=f"Extended Rosenbrock function in {n} variables (quartic, curved valley).",
    )


def _real(names: str) -> tuple:
    out = sympy.symbols(names, real=True)
    return out if isinstance(out, tuple) else (out,)


def battery() -> list[Problem]:
    """The default battery, newly built, in its stable order (the data of the benchmark)."""
    q, chi, delta = _real("q chi delta")
    x, y, z = _real("x y z")
    (t,) = _real("x")
    E = sympy.exp
    return [
        Problem(
            "seed-product",
            q * chi * delta,
            (q, chi, delta),
            ((0.3, -1.7, 2.9),),
            ((-3.0, 3.0),) * 3,
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "q*chi*delta, the product from the original request.",
        ),
        Problem(
            "seed-quadratic",
            2 * x**2 + 3 * y**2 - 4 * z,
            (x, y, z),
            ((0.3, -1.7, 2.9), (-0.8, 1.4, 0.9)),
            ((-3.0, 3.0),) * 3,
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "2x^2 + 3y^2 - 4z, a quadratic with one linear variable.",
        ),
        Problem(
            "seed-square",
            t**2,
            (t,),
            ((1.0,), (0.1,)),
            ((-2.0, 2.0),),
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "x^2 as in the approx_fprime answer (derivative 2 at x = 1).",
        ),
        Problem(
            "exp-sin",
            E(x) * sympy.sin(y),
            (x, y),
            ((0.7, 1.3), (-0.4, 2.2)),
            ((-1.0, 1.0), (0.0, 3.0)),
            frozenset({"smooth", "unit-scale"}),
            "exp(x)*sin(y), smooth and of unit scale.",
        ),
        Problem(
            "sin-exp-log",
            sympy.sin(t) * E(-t / 2) + sympy.log(2 + t),
            (t,),
            ((0.8,), (2.5,)),
            ((-1.0, 3.0),),
            frozenset({"smooth", "unit-scale"}),
            "sin(x)*exp(-x/2) + log(2 + x), a 1-D mix of elementary functions.",
        ),
        Problem(
            "sin50",
            sympy.sin(50 * t),
            (t,),
            ((0.37,), (0.9,)),
            ((0.0, 1.0),),
            frozenset({"oscillatory"}),
            "sin(50x): high frequency, derivatives grow like 50^k.",
        ),
        Problem(
            "log-large",
            sympy.log(t),
            (t,),
            ((1e10,), (2.7e10,)),
            ((1e9, 1e11),),
            frozenset({"large-x"}),
            "log(x) at 1e10: an absolute step of 1.5e-8 is below the spacing of doubles there.",
        ),
        Problem(
            "exp-large",
            E(t / 10**8),
            (t,),
            ((1.5e8,), (123456789.123,)),
            ((1e8, 2e8),),
            frozenset({"large-x"}),
            "exp(x/1e8) at x ~ 1e8: f' ~ 1e-8*f, absolute steps near one ulp of x.",
        ),
        Problem(
            "pole",
            1 / (t - 1),
            (t,),
            ((1.001,), (1.1,)),
            ((1.001, 2.0),),
            frozenset({"singularity"}),
            "1/(x-1) at the double nearest 1.001: a pole 1e-3 away (x - 1 is exact there).",
        ),
        Problem(
            "tan-pi/2",
            sympy.tan(t),
            (t,),
            ((1.5707,),),
            ((1.0, 1.5707),),
            frozenset({"singularity"}),
            "tan(x) at the double nearest 1.5707, 9.6e-5 below the pole at pi/2.",
        ),
        Problem(
            "sqrt-near-0",
            sympy.sqrt(t),
            (t,),
            ((1e-6,), (0.003,)),
            ((1e-6, 1.0),),
            frozenset({"singularity"}),
            "sqrt(x) near its branch point at 0.",
        ),
        Problem(
            "expm1-ratio",
            (E(t) - 1) / t,
            (t,),
            ((1e-7,), (1e-4,)),
            ((1e-7, 1.0),),
            frozenset({"cancellation"}),
            "(exp(x) - 1)/x at small x: the formula itself cancels (no expm1).",
        ),
        Problem(
            "runge",
            1 / (1 + 25 * t**2),
            (t,),
            ((0.3,), (-0.7,)),
            ((-1.0, 1.0),),
            frozenset({"runge"}),
            "Runge's function 1/(1 + 25x^2): analytic on the line, poles at +-i/5.",
        ),
        rosenbrock(2),
        rosenbrock(10),
        Problem(
            "x-abs-x",
            t * sympy.Abs(t),
            (t,),
            ((-0.5,), (0.3,)),
            ((-1.0, 1.0),),
            frozenset({"non-analytic"}),
            "x*|x|: C^1 but not analytic; the complex step gets -0.5 -> 0.5 instead of 1.",
        ),
        Problem(
            "abs-cubed",
            sympy.Abs(t) ** 3,
            (t,),
            ((0.0,), (-0.6,)),
            ((-1.0, 1.0),),
            frozenset({"non-analytic", "zero-derivative"}),
            "|x|^3: C^2, derivative 0 at the kink x = 0.",
        ),
        Problem(
            "cos-zero",
            sympy.cos(t),
            (t,),
            ((0.0,),),
            ((-1.0, 1.0),),
            frozenset({"zero-derivative"}),
            "cos(x) at 0, where the derivative is exactly 0 (errors are absolute there).",
        ),
    ]
