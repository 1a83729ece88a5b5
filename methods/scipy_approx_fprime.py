"""``scipy.optimize.approx_fprime``, called the way users call it.

A first-order forward difference with an *absolute* step ``epsilon`` (default ``sqrt(eps)`` ~
1.49e-8). Where ``x_i + epsilon_i == x_i`` SciPy (>= 1.9, which routes through
``approx_derivative``) silently falls back to the relative step ``sqrt(eps) * max(1, |x_i|)``; a
step that is small but does not vanish is used as given, and SciPy divides by the representable
``(x_i + epsilon_i) - x_i``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family
from .counting import CountedFunction
from .fornberg import optimal_step
from .registry import register
from .sparsity import restrict_to_pattern

__all__ = ["ScipyApproxFprime"]


@register
class ScipyApproxFprime(Method):
    """``scipy.optimize.approx_fprime(x, f, epsilon)``: forward difference, absolute step.

    ``step`` is passed as ``epsilon`` (one value per coordinate); ``step=None`` lets SciPy use its
    default ``sqrt(eps)``. ``nfev = n + 1``. ``Estimate.step`` is the step SciPy actually took per
    coordinate, read from the points at which it evaluated ``f``: ``epsilon`` made representable,
    or SciPy's relative fallback where ``x + epsilon == x``.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import get_method
    >>> est = get_method("approx-fprime").derivative(np.exp, 0.0)
    >>> abs(est.value - 1.0) < 1e-7, est.nfev, est.step == 2.0**-26
    (True, 2, True)

    For a vector-valued ``f`` SciPy returns the Jacobian, shape ``(m, n)``, with the same
    ``n + 1`` evaluations: ``jacobian()`` calls it the same way.

    >>> F = lambda v: np.array([v[0] * v[1], v[1]])
    >>> est = get_method("approx-fprime").jacobian(F, [2.0, 3.0])
    >>> np.round(est.value, 6).tolist(), est.nfev
    ([[3.0, 2.0], [0.0, 1.0]], 3)
    """

    name: ClassVar[str] = "approx-fprime"
    family: ClassVar[Family] = Family.FINITE_DIFFERENCE
    noise_linear: ClassVar[bool] = True
    wraps: ClassVar[str | None] = "scipy"
    kind: ClassVar[str] = "step"
    requires: ClassVar[tuple[str, ...]] = ("scipy",)
    truncation_order: ClassVar[int] = 1
    derivative_kinds: ClassVar[frozenset[str]] = frozenset({"gradient", "jacobian", "derivative"})

    def theoretical_step(self) -> float:
        """Forward difference's unit-scale optimum ``2 sqrt(eps)`` (SciPy uses ``sqrt(eps)``)."""
        return optimal_step("forward", 1, 1)

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        return self._approx_fprime(f, x, step)

    def _jacobian(self, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        raw = self._approx_fprime(f, x, step)
        value = np.reshape(raw.value, (-1, x.size))
        if pattern is not None:
            value = restrict_to_pattern(value, pattern)
        return RawResult(value=value, step=raw.step)

    def _approx_fprime(self, f: Any, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        """``approx_fprime(x, f, step)``: the gradient, or the Jacobian of a vector ``f``."""
        from scipy.optimize import approx_fprime

        seen: list[np.ndarray] = []

        def fun(xk: np.ndarray) -> Any:
            point = np.array(xk, dtype=float)
            seen.append(point)
            # SciPy builds every later point from the array of its first call: f gets a copy,
            # so an f that changes its argument cannot move them (or the record of steps)
            return f(point.copy())

        if step is None:
            value = approx_fprime(x, fun)
        else:
            value = approx_fprime(x, fun, step)
        return RawResult(value=np.asarray(value, dtype=float), step=_steps_taken(x, seen))


def _steps_taken(x: np.ndarray, points: list[np.ndarray]) -> np.ndarray | None:
    """Per-coordinate step ``x'_i - x_i`` of the evaluation points moved along exactly one axis."""
    h = np.full(x.size, np.nan)
    for p in points:
        moved = np.flatnonzero(p != x)
        if moved.size == 1:
            i = moved[0]
            h[i] = p[i] - x[i]
    return None if np.isnan(h).any() else h
