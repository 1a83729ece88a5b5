"""jacobi as its users call it: ``jacobi.jacobi(f, x)`` returns the derivative and its error.

For each coordinate jacobi takes central differences at steps ``h0, h0/2, h0/4, ...`` (``h0 =
|x_i| / 4``, or ``1/4`` at ``x_i = 0``; one-sided if ``f`` is NaN on one side), fits a polynomial
in ``h**2`` to the latest few and extrapolates to ``h = 0``, stopping when the error estimate of
the fit no longer improves (at most 10 steps).

jacobi calls ``f`` with one point of shape ``(n,)`` at a time (it is not vectorized), so handing
it the counted function counts every evaluation: two per step and coordinate, typically
``nfev`` = 10 to 20 per coordinate on smooth functions.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, on_copies
from .registry import register

__all__ = ["Jacobi"]


@register
class Jacobi(Method):
    """``jacobi.jacobi``: polynomial extrapolation of central differences, with an error estimate.

    By default jacobi chooses its first step relative to ``|x_i|``. A given ``step`` is the
    first absolute step per coordinate: the adapter differentiates ``u -> f(x + u)`` at
    ``u = 0``, where jacobi's relative rule falls back to its absolute step ``(step, 0.5)``;
    jacobi requires that step to be below 0.5. ``Estimate.step`` is None: the value is
    extrapolated from several steps, not taken at one.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda a, b: np.sin(a) * np.exp(b))
    >>> est = get_method("jacobi").gradient(f, [0.3, 0.5])
    >>> bool(abs(est.value[0] - np.cos(0.3) * np.exp(0.5)) < 1e-12)
    True
    >>> bool(np.all(est.error_estimate < 1e-12))
    True
    """

    name: ClassVar[str] = "jacobi"
    family: ClassVar[Family] = Family.EXTRAPOLATION
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXTRAPOLATED
    wraps: ClassVar[str | None] = "jacobi"
    kind: ClassVar[str] = "adaptive"
    requires: ClassVar[tuple[str, ...]] = ("jacobi",)

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        from jacobi import jacobi

        if step is None:
            value, error = jacobi(on_copies(f), x)
            return RawResult(value=np.asarray(value, dtype=float), error_estimate=error)
        if np.any(step >= 0.5):
            raise ValueError(
                f"`step` must be below 0.5 for jacobi (its first-step limit), got {step.max():g}."
            )
        value = np.empty(x.size)
        error = np.empty(x.size)

        def shifted(u: np.ndarray) -> float:
            return f(x + u)  # a fresh array for every call

        # One call per distinct step (usually one): jacobi takes a single first step per call.
        for h0 in np.unique(step):
            mask = step == h0
            v, e = jacobi(shifted, np.zeros_like(x), mask=mask, step=(float(h0), 0.5))
            value[mask] = v[mask]
            error[mask] = e[mask]
        return RawResult(value=value, error_estimate=error)
