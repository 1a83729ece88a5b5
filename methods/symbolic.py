"""The symbolic derivative: SymPy differentiates, lambdify evaluates the result in float64."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .expression_base import ExpressionMethod, GradientFunction
from .functions import SymbolicFunction
from .registry import register

__all__ = ["SympyExact"]


@register
class SympyExact(ExpressionMethod):
    """Exact symbolic gradient of a SymPy-defined function, evaluated in float64.

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
    """

    name: ClassVar[str] = "sympy"
    family: ClassVar[Family] = Family.SYMBOLIC
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "sympy"

    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        # SymbolicFunction differentiates and lambdifies once and keeps the result.
        grad = source.gradient_function()

        def gradient(x: Any) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.array(grad(np.asarray(x, dtype=float)), dtype=float)

        return gradient
