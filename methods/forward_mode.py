"""Forward-mode automatic differentiation with the dual numbers of :mod:`methods.dual`."""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, FunctionEvaluationError
from .dual import Dual, seed
from .registry import register
from .sparsity import Pattern, color_columns, decompress, seeds

__all__ = ["DualNumbers", "forward_jacobian"]


@register
class DualNumbers(Method):
    """Gradient from ONE evaluation of ``f`` on dual numbers seeded with the identity.

    ``f`` is called once with ``Dual(value=x, deriv=identity(n))`` and must be written with
    operations dual numbers support (arithmetic, comparisons, the numpy ufuncs and functions listed
    in :data:`methods.dual.SUPPORTED_UFUNCS` and :data:`methods.dual.SUPPORTED_FUNCTIONS`; SymPy
    expressions lambdified for numpy work). The result is exact up to the rounding of the program's
    own operations: a few ulp, unless the program itself cancels. Conventions at non-differentiable
    points (``abs'(0) = 0``, ``sqrt'(0) = inf``) are documented in :mod:`methods.dual`; the estimate
    reports a non-finite coordinate as NaN. A non-finite value of ``f`` itself (``x + inf``,
    ``log(x)`` at -1, a constant NaN) makes every coordinate NaN, with the ``RuntimeWarning`` of
    the counting wrapper naming ``x``, as for every method.

    A function that ignores its input and returns a plain real number is constant: its gradient is
    zero.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * np.exp(delta))
    >>> est = get_method("dual").gradient(f, [0.5, 2.0, 0.0])
    >>> est.value, est.nfev
    (array([2. , 0.5, 1. ]), 1)
    """

    name: ClassVar[str] = "dual"
    family: ClassVar[Family] = Family.FORWARD_AD
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    kind: ClassVar[str] = "exact"
    needs: ClassVar[frozenset[str]] = frozenset({"dual"})
    derivative_kinds: ClassVar[frozenset[str]] = frozenset({"gradient", "jacobian", "derivative"})

    def _jacobian(self, f: CountedFunction, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        """Jacobian from ONE evaluation with vector seeds (one direction per column group)."""
        return RawResult(value=forward_jacobian(f, x, pattern, lambda v: Dual(x, v)))

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        y = f(seed(x))
        if isinstance(y, Dual):
            if y.deriv.shape != (x.size,):
                raise FunctionEvaluationError(
                    f"{self.label}: f must return a scalar dual number with {x.size} derivative "
                    f"parts, got value shape {y.shape} and deriv shape {y.deriv.shape}."
                )
            if not np.isfinite(y.value):  # the counting wrapper warned, naming x
                return RawResult(value=np.full(x.size, np.nan))
            return RawResult(value=np.array(y.deriv, dtype=float))
        if _is_real_scalar(y):
            if not np.isfinite(y):  # a constant NaN or inf: no derivative, not 0
                return RawResult(value=np.full(x.size, np.nan))
            return RawResult(value=np.zeros(x.size))  # f does not depend on x
        raise FunctionEvaluationError(
            f"{self.label}: f must return a real scalar (a dual number when called with dual "
            f"numbers), got {type(y).__name__}: {y!r:.200}."
        )


def _is_real_scalar(y: Any) -> bool:
    if isinstance(y, bool | np.bool_):
        return False
    if isinstance(y, numbers.Real):
        return True
    return isinstance(y, np.ndarray) and y.shape == () and y.dtype.kind in "iuf"


def forward_jacobian(
    f: CountedFunction, x: np.ndarray, pattern: Pattern | None, seeded: Any
) -> np.ndarray | Any:
    """The Jacobian from one evaluation of ``f`` at ``seeded(V)``.

    ``V`` is the ``(n, g)`` seed matrix of the column groups (the identity without a pattern);
    ``seeded(V)`` builds the argument (a dual or hyper-dual array whose first-order parts are
    ``V``) and the result's first-order parts ``(m, g)`` decompress into the Jacobian. A real
    (constant) result gives zeros; a non-finite value gives NaN rows.
    """
    colors = color_columns(pattern, x.size)
    v = seeds(colors)
    y = f(seeded(v))
    if hasattr(y, "value"):
        first = getattr(y, "deriv", getattr(y, "e1", None))
        compressed = np.array(first, dtype=float).reshape(y.value.shape[0], v.shape[1])
        compressed[~np.isfinite(y.value)] = np.nan
    else:
        y = np.asarray(y, dtype=float)
        compressed = np.where(np.isfinite(y)[:, None], 0.0, np.nan) * np.ones((1, v.shape[1]))
    return decompress(compressed, pattern, colors)
