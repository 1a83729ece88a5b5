"""autograd as its users call it: ``autograd.grad(f)(x)``, reverse mode through traced numpy code.

autograd records the operations ``f`` performs on ``ArrayBox`` values (one forward pass) and
runs them backwards (one reverse sweep). ``f`` must be written with ``autograd.numpy``.

``nfev`` counts passes through the user's callable: 1 for a plain callable (traced through the
counting wrapper: one forward pass, then the reverse sweep, which costs a small multiple of it).
A function built from a SymPy expression (it carries ``expr`` and ``symbols``) is differentiated
through the expression lambdified to ``autograd.numpy``, so the user's callable is never run and
``nfev`` is 0, as for ``sympy``. Anything else the callable adds to its expression (noise) is not
seen on that route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, FunctionEvaluationError, describe_point
from .expression_base import ExpressionMethod, GradientFunction
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
