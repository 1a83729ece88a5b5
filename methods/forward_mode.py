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

__all__ = ["DualNumbers"]


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
