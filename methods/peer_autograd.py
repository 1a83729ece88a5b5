"""autograd as its users call it: ``autograd.grad(f)(x)``, reverse mode through traced numpy code.

autograd records the operations ``f`` performs on ``ArrayBox`` values (one forward pass) and
runs them backwards (one reverse sweep). ``f`` must be written with ``autograd.numpy``.

``nfev`` counts passes through the user's callable: 1 for a plain callable (traced through the
counting wrapper: one forward pass, then the reverse sweep, which costs a small multiple of it).
A function built from a SymPy expression (it carries ``expr`` and ``symbols``) is differentiated
through the expression lambdified to ``autograd.numpy``, so the user's callable is never run and
``nfev`` is 0, as for ``sympy``. Anything else the callable adds to its expression (noise) is not
seen on that route.

Beyond gradients: ``autograd.jacobian`` (of a map: ``f`` returns ``autograd.numpy.array`` of its
components, or carries a tuple of expressions), ``autograd.hessian``, and the k-th derivative by
``autograd.grad`` nested k times, on either route; a traced callable is run once (``nfev`` = 1:
the nested and the row-by-row reverse sweeps reuse that one trace's operations).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, FunctionEvaluationError, describe_point
from .expression_base import ExpressionMethod, GradientFunction, expression_components
from .functions import SymbolicFunction, has_expression
from .registry import register

__all__ = ["Autograd"]

_HINT = (
    " (autograd calls f with traced ArrayBox values: write f with `autograd.numpy`, "
    "not math or plain numpy conversions)"
)


@register
class Autograd(ExpressionMethod):
    """Reverse-mode AD with ``autograd.grad``.

    A function with a SymPy expression is differentiated through ``expr`` lambdified to
    ``autograd.numpy`` (``nfev`` = 0); a plain callable is traced directly and must use
    ``autograd.numpy`` (``nfev`` = 1). Exact up to the rounding of the traced program.
    :meth:`prepare` takes either; autograd traces at every call, so there is nothing to warm up.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda a, b: anp.sin(a) * anp.exp(b))
    >>> est = get_method("autograd").gradient(f, [0.3, 0.5])
    >>> bool(abs(est.value[0] - anp.cos(0.3) * anp.exp(0.5)) < 1e-15), est.nfev
    (True, 1)
    """

    name: ClassVar[str] = "autograd"
    family: ClassVar[Family] = Family.REVERSE_AD
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    wraps: ClassVar[str | None] = "autograd"
    #: f must be written with autograd.numpy (or come with its formula): not a plain black box
    black_box: ClassVar[bool] = False
    #: a plain callable is traced directly, so the formula is optional
    needs: ClassVar[frozenset[str]] = frozenset()
    requires: ClassVar[tuple[str, ...]] = ("autograd",)
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    #: any order nests, but the traced program grows with each order: 4, as for differences
    max_deriv: ClassVar[int] = 4

    def _gradient_function(self, f: Any, n: int, *, refresh: bool) -> GradientFunction:
        fun = self._expression_function(f)
        if has_expression(fun):
            return self._compiled(fun, n, refresh=refresh)
        import autograd

        # a plain callable is traced as given: through the counting wrapper when there is one
        return self._reporting(autograd.grad(f if isinstance(f, CountedFunction) else fun))

    def _compile(self, source: SymbolicFunction) -> GradientFunction:
        import autograd
        import autograd.numpy as anp

        return self._reporting(autograd.grad(source.lambdify(anp)))

    def _kind_function(self, f: Any, n: int, kind: str, deriv: int = 1) -> GradientFunction:
        fun = self._expression_function(f)
        if has_expression(fun):
            return super()._kind_function(f, n, kind, deriv)
        # a plain callable is traced as given, through the counting wrapper
        return self._reporting(
            _transformed(f if isinstance(f, CountedFunction) else fun, kind, deriv)
        )

    def _compile_kind(self, source: SymbolicFunction, kind: str, deriv: int) -> GradientFunction:
        import autograd.numpy as anp

        if kind == "jacobian":
            vector = SymbolicFunction(expression_components(source), source.symbols).lambdify(anp)

            def stacked(x: Any) -> Any:
                return anp.array([v + 0.0 * x[0] for v in vector(x)])

            return self._reporting(_transformed(stacked, kind, deriv))
        return self._reporting(_transformed(source.lambdify(anp), kind, deriv))

    def _reporting(self, grad: Callable) -> GradientFunction:
        """``grad`` as a float gradient whose errors name the real point, not ArrayBox values."""

        def gradient(x: np.ndarray) -> np.ndarray:
            try:
                return np.asarray(grad(np.asarray(x, dtype=float)), dtype=float)
            except FunctionEvaluationError as exc:
                cause = exc.__cause__
                if cause is None:  # not a scalar: the message is already complete
                    raise
                hint = _HINT if isinstance(cause, TypeError | AttributeError) else ""
                raise FunctionEvaluationError(
                    f"{self.label}: f raised {type(cause).__name__} at x={describe_point(x)}: "
                    f"{cause}{hint}"
                ) from cause

        return gradient


def _transformed(fun: Callable, kind: str, deriv: int) -> Callable:
    """``autograd.jacobian`` or ``autograd.hessian`` of ``fun``, or its ``deriv``-th derivative
    (``autograd.grad`` nested on the function of one variable, evaluated at ``x`` of shape (1,))."""
    import autograd
    import autograd.numpy as anp

    if kind in ("jacobian", "hessian"):
        return getattr(autograd, kind)(fun)

    def derivative(t: Any) -> Any:
        return fun(anp.reshape(t, (1,)))

    for _ in range(deriv):
        derivative = autograd.grad(derivative)
    return lambda x: anp.reshape(derivative(x[0]), (1,))
