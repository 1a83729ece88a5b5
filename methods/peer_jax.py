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

Beyond gradients, ``jax`` takes the Jacobian with ``jax.jacrev`` and the Hessian with
``jax.hessian`` (forward over reverse); ``jax-jacfwd`` takes both in forward mode
(``jax.jacfwd``, and ``jacfwd(jacfwd)`` for the Hessian). The k-th derivative (any k) nests
``jax.grad`` k times (``jax.jacfwd`` for ``jax-jacfwd``) on the scalar function of one variable.
A Jacobian needs a map's expression (``f.expr`` a tuple of expressions): its components are
stacked with ``jax.numpy.stack``.

JAX is an optional extra (``pip install diffbench[jax]``, about 90 MB of wheels, 380 MB installed
for jax/jaxlib 0.10 on CPU); without it these methods report themselves unavailable.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .expression_base import ExpressionMethod, GradientFunction, expression_components
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
    #: the transformations of a Jacobian and of a Hessian (attributes of ``jax``, applied in turn)
    _jacobian_transform: ClassVar[str] = ""
    _hessian_transforms: ClassVar[tuple[str, ...]] = ()
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    #: any order nests, but the traced program grows with each order: 4, as for differences
    max_deriv: ClassVar[int] = 4

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

        return self._evaluator(jax, getattr(jax, self._transform)(source.lambdify("jax")))

    def _compile_kind(self, source: SymbolicFunction, kind: str, deriv: int) -> GradientFunction:
        """``jacrev``/``jacfwd`` of the stacked map, ``hessian`` (or ``jacfwd`` twice), or the
        transformation nested ``deriv`` times on the function of one variable."""
        import jax
        import jax.numpy as jnp

        if kind == "jacobian":
            components = SymbolicFunction(expression_components(source), source.symbols)
            vector = components.lambdify("jax")

            def stacked(x: Any) -> Any:
                return jnp.stack([jnp.asarray(v, dtype=x.dtype) for v in vector(x)])

            return self._evaluator(jax, getattr(jax, self._jacobian_transform)(stacked))
        scalar = source.lambdify("jax")
        if kind == "hessian":
            derivative = scalar
            for name in self._hessian_transforms:
                derivative = getattr(jax, name)(derivative)
            return self._evaluator(jax, derivative)

        def derivative(t: Any) -> Any:  # the function of one variable, t a scalar
            return scalar(jnp.reshape(t, (1,)))

        for _ in range(deriv):
            derivative = getattr(jax, self._transform)(derivative)
        compiled = self._evaluator(jax, derivative)
        return lambda x: compiled(np.asarray(x, dtype=float).reshape(-1)[0]).reshape(1)

    def _evaluator(self, jax: Any, derivative: Any) -> GradientFunction:
        """``derivative`` (with ``jit``: under ``jax.jit``) evaluated in float64, as numpy."""
        if self.jit:
            derivative = jax.jit(derivative)

        def evaluate(x: Any) -> np.ndarray:
            with _x64(jax):
                return np.asarray(derivative(np.asarray(x, dtype=float)), dtype=float)

        return evaluate


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
    _jacobian_transform: ClassVar[str] = "jacrev"
    _hessian_transforms: ClassVar[tuple[str, ...]] = ("hessian",)


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
    _jacobian_transform: ClassVar[str] = "jacfwd"
    _hessian_transforms: ClassVar[tuple[str, ...]] = ("jacfwd", "jacfwd")
