"""JAX as its users call it: ``jax.grad`` (reverse mode) and ``jax.jacfwd`` (forward mode), on CPU.

The function's SymPy expression is lambdified with SymPy's JAX printer (``modules="jax"``) and
transformed by JAX, optionally under ``jax.jit``. Everything runs in float64 inside the
``jax.enable_x64`` context: JAX's default float32 would make every comparison meaningless.

Preparation and evaluation are separate costs: :meth:`prepare` lambdifies, transforms and (with
``jit=True``) traces and compiles with XLA once, warming the compiled function up at
``x = ones(n)``; the callable it returns only evaluates. ``_gradient`` prepares without the
warm-up, then evaluates once, so ``gradient()`` pays both. The user's callable is never run:
``nfev`` is 0, as for ``sympy``.

JAX is an optional extra (``pip install diffbench[jax]``, about 90 MB of wheels, 380 MB installed
for jax/jaxlib 0.10 on CPU); without it these methods report themselves unavailable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction
from .functions import SymbolicFunction, check_expression_size
from .registry import register
from .validation import check_bool

__all__ = ["JaxGrad", "JaxJacfwd"]


def _x64(jax: Any) -> contextlib.AbstractContextManager:
    """A context in which JAX computes in float64."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    # older JAX has no scoped switch: turn on the process-wide one
    jax.config.update("jax_enable_x64", True)
    return contextlib.nullcontext()


class _JaxMethod(Method):
    """Shared JAX adapter; subclasses name the transformation in ``_transform``."""

    kind: ClassVar[str] = "exact"
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "jax"
    order: ClassVar[None] = None
    needs: ClassVar[frozenset[str]] = frozenset({"expression"})
    requires: ClassVar[tuple[str, ...]] = ("jax",)
    extra: ClassVar[str] = "jax"
    label_params: ClassVar[tuple[str, ...]] = ("jit",)
    #: ``"grad"`` or ``"jacfwd"``: the attribute of ``jax`` applied to the function
    _transform: ClassVar[str] = ""

    def __init__(self, jit: bool = True) -> None:
        self.jit = jit

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """With and without ``jax.jit``."""
        return [{"jit": True}, {"jit": False}]

    def _check_settings(self) -> None:
        check_bool("jit", self.jit)

    def prepare(
        self, f: Callable, n: int, *, warm_up: bool = True
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Build the gradient function of ``f`` once; the result only evaluates.

        Parameters
        ----------
        f : callable
            A function carrying a SymPy expression (``expr``, ``symbols``), e.g.
            :class:`methods.SymbolicFunction`.
        n : int
            Number of variables.
        warm_up : bool, default True
            Evaluate once at ``ones(n)`` so that tracing and XLA compilation are paid here,
            not by the first evaluation.

        Returns
        -------
        callable
            ``x`` of shape ``(n,)`` to the float64 gradient, shape ``(n,)``.

        Examples
        --------
        >>> import sympy
        >>> from methods import SymbolicFunction, get_method
        >>> a, b = sympy.symbols("a b")
        >>> grad = get_method("jax", jit=True).prepare(SymbolicFunction(a**2 * b, (a, b)), 2)
        >>> grad([3.0, 2.0])
        array([12.,  9.])
        """
        import jax

        fun = f.f if isinstance(f, CountedFunction) else f
        self._check_f(fun)
        check_expression_size(fun, n)
        # a SymbolicFunction caches its lambdified forms; other expression carriers get one
        source = fun if hasattr(fun, "lambdify") else SymbolicFunction(fun.expr, fun.symbols)
        derivative = getattr(jax, self._transform)(source.lambdify("jax"))
        if self.jit:
            derivative = jax.jit(derivative)

        def gradient(x: Any) -> np.ndarray:
            with _x64(jax):
                return np.asarray(derivative(np.asarray(x, dtype=float)), dtype=float)

        if warm_up:
            gradient(np.ones(n))
        return gradient

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        return RawResult(value=self.prepare(f, x.size, warm_up=False)(x))


@register
class JaxGrad(_JaxMethod):
    """Reverse-mode AD with ``jax.grad`` (``jit`` adds ``jax.jit``), float64 on CPU.

    Examples
    --------
    >>> import sympy
    >>> from methods import SymbolicFunction, get_method
    >>> a, b = sympy.symbols("a b")
    >>> get_method("jax").gradient(SymbolicFunction(sympy.sin(a) * b, (a, b)), [0.0, 2.0]).value
    array([2., 0.])
    """

    name: ClassVar[str] = "jax"
    family: ClassVar[Family] = Family.REVERSE_AD
    _transform: ClassVar[str] = "grad"


@register
class JaxJacfwd(_JaxMethod):
    """Forward-mode AD with ``jax.jacfwd`` (one JVP per coordinate, batched), float64 on CPU.

    Examples
    --------
    >>> import sympy
    >>> from methods import SymbolicFunction, get_method
    >>> a, b = sympy.symbols("a b")
    >>> f = SymbolicFunction(sympy.sin(a) * b, (a, b))
    >>> get_method("jax-jacfwd", jit=False).gradient(f, [0.0, 2.0]).value
    array([2., 0.])
    """

    name: ClassVar[str] = "jax-jacfwd"
    family: ClassVar[Family] = Family.FORWARD_AD
    _transform: ClassVar[str] = "jacfwd"
