"""The base of adapters that differentiate the SymPy expression a function carries.

sympy, autograd (on its expression route), JAX and PyTensor never call ``f``: they read its
expression (``expr``, ``symbols``), compile a gradient function from it and evaluate that, so
their ``nfev`` is 0. :class:`ExpressionMethod` does what they share: it unwraps the counting
wrapper and checks ``f`` once, checks the number of variables, compiles once per (method
configuration, function) and keeps the compiled gradient on the function itself
(:meth:`methods.SymbolicFunction.compiled`, keyed by the configuration, so the cache dies with
the function and is dropped when it is pickled). Subclasses implement only :meth:`_compile`.

Jacobians, Hessians and k-th derivatives take the same path: :meth:`~ExpressionMethod._jacobian`,
``_hessian`` and ``_derivative`` unwrap ``f``, check it, compile once per (configuration, kind,
function) through :meth:`~ExpressionMethod._compile_kind` (cached on the function like the
gradient) and evaluate. A Jacobian needs a vector-valued expression: ``f.expr`` a sequence of
SymPy expressions (``SymbolicFunction((e1, e2), symbols)``; a scalar expression is a 1-row map);
a Hessian and a derivative a scalar one. The user's callable is never run: ``nfev`` is 0.

:meth:`~ExpressionMethod.prepare` is the explicit one-time step: it always compiles (so its
duration is the compile time, also after a ``gradient()`` call compiled the same thing) and
replaces the cached gradient; ``gradient()`` compiles only when nothing is cached yet.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import ReferenceGrade
from .counting import CountedFunction
from .functions import SymbolicFunction, check_expression_size
from .sparsity import restrict_to_pattern

__all__ = ["ExpressionMethod", "GradientFunction", "expression_components", "scalar_expression"]

#: A compiled gradient: ``x`` of shape ``(n,)`` to the float64 gradient, shape ``(n,)``.
GradientFunction = Callable[[np.ndarray], np.ndarray]


def expression_components(fun: Any) -> tuple:
    """The components of the map ``fun`` carries: ``fun.expr`` if it is a sequence (or a SymPy
    matrix), else the one expression as a 1-tuple."""
    expr = fun.expr
    if isinstance(expr, list | tuple):
        return tuple(expr)
    if getattr(expr, "is_Matrix", False):
        return tuple(expr)
    return (expr,)


def scalar_expression(fun: Any, what: str) -> Any:
    """``fun.expr`` if it is one expression, else ``ValueError`` saying ``what`` needs one."""
    components = expression_components(fun)
    if len(components) != 1 or isinstance(fun.expr, list | tuple):
        raise ValueError(
            f"`f` carries {len(components)} expressions (a map); a {what} needs f: R^n -> R "
            "with one expression."
        )
    return components[0]


class ExpressionMethod(Method):
    """A method that compiles the gradient of the SymPy expression ``f`` carries.

    Subclasses implement :meth:`_compile` and set ``warms_up`` if their compilation is lazy
    (paid at the first evaluation), so that :meth:`prepare` pays it.
    """

    kind: ClassVar[str] = "exact"
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    needs: ClassVar[frozenset[str]] = frozenset({"expression"})
    #: ``prepare(warm_up=True)`` evaluates once at ``ones(n)`` (lazy compilers: JIT, numba).
    warms_up: ClassVar[bool] = False

    def prepare(self, f: Callable, n: int, *, warm_up: bool = True) -> GradientFunction:
        """Compile the gradient of ``f`` once; the result only evaluates.

        Parameters
        ----------
        f : callable
            A function carrying a SymPy expression (``expr``, ``symbols``), e.g.
            :class:`methods.SymbolicFunction`.
        n : int
            Number of variables.
        warm_up : bool, default True
            For methods that compile lazily, evaluate once at ``ones(n)`` so that the
            compilation is paid here, not by the first evaluation.

        Returns
        -------
        callable
            ``x`` of shape ``(n,)`` to the float64 gradient, shape ``(n,)``.
        """
        self._check_settings()
        gradient = self._gradient_function(f, n, refresh=True)
        if warm_up and self.warms_up:
            gradient(np.ones(n))
        return gradient

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        return RawResult(value=self._gradient_function(f, x.size, refresh=False)(x))

    def _jacobian(self, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        value = np.asarray(self._kind_function(f, x.size, "jacobian")(x), dtype=float)
        value = value.reshape(-1, x.size)
        return RawResult(value=value if pattern is None else restrict_to_pattern(value, pattern))

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        return RawResult(value=self._kind_function(f, x.size, "hessian")(x))

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        return RawResult(value=self._kind_function(f, x.size, "derivative", deriv)(x))

    def _kind_function(self, f: Any, n: int, kind: str, deriv: int = 1) -> GradientFunction:
        """The compiled Jacobian, Hessian or ``deriv``-th derivative of ``f``'s expression."""
        fun = self._expression_function(f)
        check_expression_size(fun, n)
        if kind != "jacobian":
            scalar_expression(fun, "derivative" if kind == "derivative" else kind)
        source = (
            fun if isinstance(fun, SymbolicFunction) else SymbolicFunction(fun.expr, fun.symbols)
        )
        key = (kind, deriv, type(self), repr(self))
        return source.compiled(key, lambda: self._compile_kind(source, kind, deriv))

    # -- the shared steps ------------------------------------------------------------------
    def _expression_function(self, f: Any) -> Callable:
        """``f`` unwrapped from the counting wrapper (``gradient`` checked it), or checked now."""
        return f.f if isinstance(f, CountedFunction) else self._check_f(f)

    def _gradient_function(self, f: Any, n: int, *, refresh: bool) -> GradientFunction:
        """The compiled gradient of ``f``'s expression, from the cache on ``f`` if it has one."""
        return self._compiled(self._expression_function(f), n, refresh=refresh)

    def _compiled(self, fun: Any, n: int, *, refresh: bool) -> GradientFunction:
        check_expression_size(fun, n)
        scalar_expression(fun, "gradient")
        if isinstance(fun, SymbolicFunction):
            return fun.compiled(self._cache_key(), lambda: self._compile(fun), refresh=refresh)
        # another carrier of an expression: lambdify through a SymbolicFunction unless it can
        carrier = fun if hasattr(fun, "lambdify") and hasattr(fun, "gradient_function") else None
        return self._compile(carrier or SymbolicFunction(fun.expr, fun.symbols))

    def _cache_key(self) -> Hashable:
        """What identifies this configuration in a function's cache."""
        return ("gradient", type(self), repr(self))

    # -- the hook ----------------------------------------------------------------------------
    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        """Compile the gradient of ``source.expr`` (``source`` has ``expr``, ``symbols``,
        ``lambdify`` and ``gradient_function``)."""
        raise NotImplementedError

    def _compile_kind(self, source: SymbolicFunction, kind: str, deriv: int) -> GradientFunction:
        """Compile the ``kind`` (``"jacobian"``, ``"hessian"``, ``"derivative"`` of order
        ``deriv``) of ``source``: ``x`` of shape ``(n,)`` to an array of shape ``(m, n)``,
        ``(n, n)`` or ``(1,)``. Only called for kinds in ``derivative_kinds``."""
        raise NotImplementedError(f"method {self.name!r} cannot compute a {kind}.")
