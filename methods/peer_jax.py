"""JAX as its users call it: ``jax.grad`` (reverse mode) and ``jax.jacfwd`` (forward mode), on CPU.

The function's SymPy expression is lambdified with SymPy's JAX printer (``modules="jax"``) and
transformed by JAX, optionally under ``jax.jit``. Everything runs in float64 inside the
``jax.enable_x64`` context: JAX's default float32 would make every comparison meaningless.

Preparation and evaluation are separate costs: :meth:`prepare` lambdifies, transforms and (with
``jit=True``) traces and compiles with XLA once, warming the compiled function up at
``x = ones(n)``; the callable it returns only evaluates. ``gradient()`` compiles (without the
warm-up) only the first time for a function and configuration, keeping the result on the function
(:mod:`methods.expression_base`), then evaluates. The user's callable is never run: ``nfev`` is
0, as for ``sympy``.

JAX is an optional extra (``pip install diffbench[jax]``, about 90 MB of wheels, 380 MB installed
for jax/jaxlib 0.10 on CPU); without it these methods report themselves unavailable.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .expression_base import ExpressionMethod, GradientFunction
from .functions import SymbolicFunction
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


class _JaxMethod(ExpressionMethod):
    """Shared JAX adapter; subclasses name the transformation in ``_transform``."""

    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "jax"
    #: tracing and XLA compilation happen at the first call: prepare() pays them
    warms_up: ClassVar[bool] = True
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

    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        """Lambdify with SymPy's JAX printer, transform, and (with ``jit``) wrap in ``jax.jit``."""
        import jax

        derivative = getattr(jax, self._transform)(source.lambdify("jax"))
        if self.jit:
            derivative = jax.jit(derivative)

        def gradient(x: Any) -> np.ndarray:
            with _x64(jax):
                return np.asarray(derivative(np.asarray(x, dtype=float)), dtype=float)

        return gradient


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
    >>> grad = get_method("jax", jit=True).prepare(SymbolicFunction(a**2 * b, (a, b)), 2)
    >>> grad([3.0, 2.0])
    array([12.,  9.])
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
