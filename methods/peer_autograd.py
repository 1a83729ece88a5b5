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

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, FunctionEvaluationError, describe_point
from .functions import SymbolicFunction, check_expression_size, has_expression
from .registry import register

__all__ = ["Autograd"]

_HINT = (
    " (autograd calls f with traced ArrayBox values: write f with `autograd.numpy`, "
    "not math or plain numpy conversions)"
)


@register
class Autograd(Method):
    """Reverse-mode AD with ``autograd.grad``.

    A function with a SymPy expression is differentiated through ``expr`` lambdified to
    ``autograd.numpy`` (``nfev`` = 0); a plain callable is traced directly and must use
    ``autograd.numpy`` (``nfev`` = 1). Exact up to the rounding of the traced program.

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
    kind: ClassVar[str] = "exact"
    order: ClassVar[None] = None
    requires: ClassVar[tuple[str, ...]] = ("autograd",)

    def prepare(
        self, f: Callable, n: int, *, warm_up: bool = True
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Return ``grad(x) -> ndarray`` for ``f`` of ``n`` variables; autograd compiles nothing.

        Parameters
        ----------
        f : callable
            A function with a SymPy expression, or a callable written with ``autograd.numpy``.
        n : int
            Number of variables.
        warm_up : bool, default True
            Accepted for the common interface; autograd traces at every call, so there is
            nothing to warm up.

        Returns
        -------
        callable
            ``x`` of shape ``(n,)`` to the gradient, shape ``(n,)``.
        """
        import autograd
        import autograd.numpy as anp

        if not isinstance(f, CountedFunction):
            f = self._check_f(f)
        fun = f.f if isinstance(f, CountedFunction) else f
        if has_expression(fun):
            check_expression_size(fun, n)
            # a SymbolicFunction caches its lambdified forms; other expression carriers get one
            source = fun if hasattr(fun, "lambdify") else SymbolicFunction(fun.expr, fun.symbols)
            traced = source.lambdify(anp)
        else:
            traced = f
        grad = autograd.grad(traced)

        def gradient(x: np.ndarray) -> np.ndarray:
            try:
                return np.asarray(grad(np.asarray(x, dtype=float)), dtype=float)
            except FunctionEvaluationError as exc:
                cause = exc.__cause__
                if cause is None:  # not a scalar: the message is already complete
                    raise
                # name the real point, not the ArrayBox values f was traced with
                hint = _HINT if isinstance(cause, TypeError | AttributeError) else ""
                raise FunctionEvaluationError(
                    f"{self.label}: f raised {type(cause).__name__} at x={describe_point(x)}: "
                    f"{cause}{hint}"
                ) from cause

        return gradient

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        return RawResult(value=self.prepare(f, x.size)(x))
