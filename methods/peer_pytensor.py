"""PyTensor (the maintained successor of Theano) as its users call it: build a graph, take
``pytensor.grad``, compile with ``pytensor.function``, evaluate.

SymPy has no PyTensor printer (``sympy.printing`` only has ones for Theano and Aesara), so
:func:`to_pytensor` translates the expression node by node. PyTensor rewrites the graph before
compiling (e.g. ``log(1 + x)`` may become ``log1p(x)``), so its result can be more accurate than
the expression evaluated literally; that is measured as it is.

Preparation and evaluation are separate costs: ``PyTensor.prepare`` translates,
differentiates and compiles (PyTensor 3 compiles with numba lazily, at the first call, so
``prepare`` also warms up at ``x = ones(n)``); the callable it returns only evaluates.
``gradient()`` compiles (without the warm-up) only the first time for a function, keeping the
result on the function (:mod:`methods.expression_base`), then evaluates. The user's callable is
never run: ``nfev`` is 0, as for ``sympy``.

Beyond gradients: ``pytensor.gradient.jacobian`` of the stacked components of a map (``f.expr`` a
tuple of expressions), ``pytensor.gradient.hessian``, and the k-th derivative by ``pytensor.grad``
applied k times to the scalar graph, each compiled once per function like the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .expression_base import ExpressionMethod, GradientFunction, expression_components
from .functions import SymbolicFunction
from .registry import register

__all__ = ["PyTensor", "to_pytensor"]


def _operations() -> dict:
    """SymPy function classes and their element-wise PyTensor operations."""
    import pytensor.tensor as pt
    import sympy

    return {
        sympy.exp: pt.exp,
        sympy.log: pt.log,
        sympy.sin: pt.sin,
        sympy.cos: pt.cos,
        sympy.tan: pt.tan,
        sympy.asin: pt.arcsin,
        sympy.acos: pt.arccos,
        sympy.atan: pt.arctan,
        sympy.sinh: pt.sinh,
        sympy.cosh: pt.cosh,
        sympy.tanh: pt.tanh,
        sympy.Abs: pt.abs,
        sympy.erf: pt.erf,
    }


def to_pytensor(expr: Any, symbols: Sequence[Any], x: Any) -> Any:
    """Translate a SymPy expression into a PyTensor graph of the vector ``x``.

    Supported: numbers and constants (``pi``, ``E``), ``Add``, ``Mul``, ``Pow`` (``sqrt`` for
    the exponent 1/2) and ``exp log sin cos tan asin acos atan sinh cosh tanh Abs erf``.

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    symbols : sequence of sympy.Symbol
        Its variables; ``symbols[i]`` becomes ``x[i]``.
    x : pytensor.tensor.TensorVariable
        A float64 vector of ``len(symbols)`` elements.

    Returns
    -------
    pytensor.tensor.TensorVariable
        A float64 scalar.

    Raises
    ------
    TypeError
        The expression contains an operation not listed above (the message names it).
    ValueError
        The expression has a free symbol that is not in ``symbols``.

    Examples
    --------
    >>> import sympy, pytensor, pytensor.tensor as pt
    >>> a, b = sympy.symbols("a b")
    >>> x = pt.dvector("x")
    >>> f = pytensor.function([x], to_pytensor(sympy.exp(a) * b, (a, b), x))
    >>> float(f([0.0, 3.0]))
    3.0
    """
    import pytensor.tensor as pt
    import sympy

    operations = _operations()
    index = {s: i for i, s in enumerate(symbols)}
    done: dict[Any, Any] = {}  # shared subexpressions are translated once

    def translate(node: Any) -> Any:
        if node in done:
            return done[node]
        if node.is_Symbol:
            if node not in index:
                raise ValueError(f"`expr` has the symbol {node}, which is not in `symbols`.")
            out = x[index[node]]
        elif node.is_Number or node.is_NumberSymbol:
            out = pt.constant(float(node), dtype="float64")
        elif node.is_Add:
            out = pt.add(*map(translate, node.args))
        elif node.is_Mul:
            out = pt.mul(*map(translate, node.args))
        elif node.is_Pow:
            base, exponent = node.args
            if exponent == sympy.S.Half:
                out = pt.sqrt(translate(base))
            elif exponent.is_Integer:
                out = pt.pow(translate(base), int(exponent))
            else:
                out = pt.pow(translate(base), translate(exponent))
        elif node.func in operations and len(node.args) == 1:
            out = operations[node.func](translate(node.args[0]))
        else:
            raise TypeError(
                f"the PyTensor adapter cannot translate {type(node).__name__} ({node}); "
                "supported: numbers, Add, Mul, Pow, exp, log, sin, cos, tan, asin, acos, atan, "
                "sinh, cosh, tanh, Abs, erf."
            )
        done[node] = out
        return out

    return pt.as_tensor_variable(translate(sympy.sympify(expr)), dtype="float64")


@register
class PyTensor(ExpressionMethod):
    """Reverse-mode AD with ``pytensor.grad`` on a graph built from the SymPy expression.

    Examples
    --------
    >>> import sympy
    >>> from methods import SymbolicFunction, get_method
    >>> a, b = sympy.symbols("a b")
    >>> get_method("pytensor").gradient(SymbolicFunction(a**2 * b, (a, b)), [3.0, 2.0]).value
    array([12.,  9.])
    """

    name: ClassVar[str] = "pytensor"
    family: ClassVar[Family] = Family.REVERSE_AD
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "pytensor"
    requires: ClassVar[tuple[str, ...]] = ("pytensor",)
    #: numba compiles at the first call: prepare() pays it
    warms_up: ClassVar[bool] = True
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    #: any order nests, but the traced program grows with each order: 4, as for differences
    max_deriv: ClassVar[int] = 4

    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        """Translate the expression, take ``pytensor.grad`` and compile it (numba compiles
        lazily, at the first call: :meth:`prepare` warms up at ``x = ones(n)``)."""
        import pytensor
        import pytensor.tensor as pt

        x = pt.dvector("x")
        cost = to_pytensor(source.expr, source.symbols, x)
        return _compiled(x, pytensor.grad(cost, x, disconnected_inputs="ignore"))

    def _compile_kind(self, source: SymbolicFunction, kind: str, deriv: int) -> GradientFunction:
        """``jacobian`` / ``hessian`` of :mod:`pytensor.gradient`, or ``grad`` nested."""
        import pytensor
        import pytensor.gradient as pg
        import pytensor.tensor as pt

        x = pt.dvector("x")
        if kind == "jacobian":
            parts = [to_pytensor(e, source.symbols, x) for e in expression_components(source)]
            target = pg.jacobian(pt.stack(parts), x, disconnected_inputs="ignore")
        elif kind == "hessian":
            cost = to_pytensor(source.expr, source.symbols, x)
            target = pg.hessian(cost, x, disconnected_inputs="ignore")
        else:
            t = pt.dscalar("t")
            target = to_pytensor(source.expr, source.symbols, pt.stack([t]))
            for _ in range(deriv):
                target = pytensor.grad(target, t, disconnected_inputs="ignore")
            scalar = _compiled(t, target)
            return lambda point: scalar(np.asarray(point, dtype=float).reshape(-1)[0]).reshape(1)
        return _compiled(x, target)


def _compiled(x: Any, output: Any) -> GradientFunction:
    """``output`` compiled as a function of ``x`` (a float64 vector or scalar), to numpy."""
    import pytensor

    compiled = pytensor.function([x], output, on_unused_input="ignore")

    def evaluate(point: Any) -> np.ndarray:
        return np.array(compiled(np.asarray(point, dtype=float)), dtype=float)

    return evaluate
