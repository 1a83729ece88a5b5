"""The symbolic derivative: SymPy differentiates, lambdify evaluates the result in float64.

Every kind is exact: the gradient, the Jacobian of a map (``f.expr`` a sequence of expressions),
the Hessian and the k-th derivative of any order are differentiated by SymPy once per function
and compiled with ``lambdify`` (kept on the function, :mod:`methods.expression_base`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .expression_base import ExpressionMethod, GradientFunction, expression_components
from .functions import SymbolicFunction
from .registry import register

__all__ = ["SympyExact"]

#: The highest derivative order the sweep and ``derivative()`` ask of SymPy (any would do).
SYMPY_MAX_DERIV = 8


@register
class SympyExact(ExpressionMethod):
    """Exact symbolic gradient, Jacobian, Hessian and k-th derivative, evaluated in float64.

    ``f`` must carry its expression (:class:`methods.SymbolicFunction`, or a battery problem's
    function). The only error is float64 rounding while evaluating the derivative formula, which
    can still be large where that formula cancels. ``f`` itself is never called: ``nfev`` is 0.

    Examples
    --------
    >>> import sympy
    >>> from methods import SymbolicFunction, get_method
    >>> x, y = sympy.symbols("x y")
    >>> f = SymbolicFunction(x**2 * y, (x, y))
    >>> get_method("sympy").gradient(f, [3.0, 2.0]).value
    array([12.,  9.])
    >>> get_method("sympy").hessian(f, [3.0, 2.0]).value.tolist()
    [[4.0, 6.0], [6.0, 0.0]]
    >>> get_method("sympy").jacobian(SymbolicFunction((x * y, x + y), (x, y)), [3.0, 2.0]).value
    array([[2., 3.],
           [1., 1.]])
    """

    name: ClassVar[str] = "sympy"
    family: ClassVar[Family] = Family.SYMBOLIC
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "sympy"
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    max_deriv: ClassVar[int] = SYMPY_MAX_DERIV

    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        # SymbolicFunction differentiates and lambdifies once and keeps the result.
        grad = source.gradient_function()

        def gradient(x: Any) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.array(grad(np.asarray(x, dtype=float)), dtype=float)

        return gradient

    def _compile_kind(self, source: SymbolicFunction, kind: str, deriv: int) -> GradientFunction:
        import sympy

        symbols = list(source.symbols)
        if kind == "jacobian":
            matrix = sympy.Matrix(expression_components(source)).jacobian(symbols)
            target: Any = matrix.tolist()
        elif kind == "hessian":
            target = sympy.hessian(source.expr, symbols).tolist()
        else:
            target = [sympy.diff(source.expr, symbols[0], deriv)]
        compiled = sympy.lambdify(symbols, target, modules="numpy", cse=len(symbols) <= 200)

        def evaluate(x: Any) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.array(compiled(*np.asarray(x, dtype=float)), dtype=float)

        return evaluate
