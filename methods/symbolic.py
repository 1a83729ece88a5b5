"""The symbolic derivative: SymPy differentiates, lambdify evaluates the result in float64."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction
from .functions import check_expression_size
from .registry import register

__all__ = ["SympyExact"]


@register
class SympyExact(Method):
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
    kind: ClassVar[str] = "exact"
    order: ClassVar[None] = None
    needs: ClassVar[frozenset[str]] = frozenset({"expression"})

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        sym = f.f
        check_expression_size(sym, x.size)
        # SymbolicFunction differentiates and compiles once and keeps the result, so repeated
        # calls (and this method object) do no symbolic work again.
        with np.errstate(all="ignore"):
            value = np.array(sym.gradient_function()(x), dtype=float)
        return RawResult(value=value)
