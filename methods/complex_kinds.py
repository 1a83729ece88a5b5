"""Complex-step Jacobians, Hessians and k-th derivatives.

See docs/theory.md#complex-step-beyond-gradients.

* **Jacobian**: ``J[:, j] = Im f(x + i h e_j) / h``, one complex evaluation per column (or per group
  of structurally independent columns with a sparsity pattern), plus ``f(x + 0i)``: rounding-level
  accuracy, no subtractive cancellation.
* **Second and higher derivatives**: a complex step on a finite-difference derivative. The complex
  step gives the first derivative ``g(t) = Im f(t + ih) / h`` to rounding at any real ``t``; the
  order-2 central stencil for derivative ``k - 1`` (:mod:`methods.fornberg`) differentiates ``g``
  further: ``f^(k)(x) ~ d^-(k-1) sum_j w_j g(x + s_j d)``. Only ``k - 1`` derivatives are taken by
  differences, so the error is about ``eps^(2/(k+1))`` (``eps^(2/3)`` for k = 2) instead of the
  plain stencil's ``eps^(2/(k+2))``. ``step`` is the real difference step ``d``; the imaginary step
  is the gradient's default 1e-20.
* **Hessian**: ``H_ij ~ Im[f(x + i h e_i + d_j e_j) - f(x + i h e_i - d_j e_j)] / (2 h d_j)`` for
  every ``i, j`` (``2 n^2`` evaluations plus ``f(x + 0i)``), then symmetrised, ``(H + H^T) / 2``.

The known purely complex second-derivative formula ``2 (f(x) - Re f(x + ih)) / h^2`` is not used:
it cancels like a real second difference and reaches only about ``sqrt(eps)``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import RawResult
from .counting import CountedFunction, describe_point
from .fornberg import float_stencil, optimal_step
from .sparsity import Pattern, color_columns, decompress, seeds
from .validation import representable_step

if TYPE_CHECKING:
    from .complex_step import ComplexStep

__all__ = ["cs_jacobian", "cs_hessian", "cs_derivative"]

_EPS = float(np.finfo(float).eps)


def _helpers() -> tuple:
    from . import complex_step as cs  # complex_step imports this module

    return cs


def cs_jacobian(
    method: ComplexStep, f: CountedFunction, x: np.ndarray, step: Any, pattern: Pattern | None
) -> RawResult:
    """Jacobian by one complex step per column (or per group of independent columns)."""
    cs = _helpers()
    h = np.full(x.size, cs.DEFAULT_STEP) if step is None else step
    cs._check_step_normal(h)
    colors = color_columns(pattern, x.size)
    seed = seeds(colors, h)

    def value(z: np.ndarray) -> np.ndarray:
        return np.asarray(cs.evaluate_complex(f, z, f.method), dtype=complex)

    f0 = value(x.astype(complex))
    with np.errstate(all="ignore"):
        not_real = ~np.isfinite(f0) | (np.abs(f0.imag) > 16 * _EPS * np.abs(f0))
    columns = []
    for c in range(seed.shape[1]):
        y = value(x + 1j * seed[:, c])
        columns.append(np.where(np.isfinite(y), y.imag, np.nan))
    compressed = np.stack(columns, axis=1)
    if not_real.any():
        i = int(np.flatnonzero(not_real)[0])
        warnings.warn(
            f"{f.method}: f(x) is not a finite real number at x={describe_point(x)} in "
            f"component {i} ({f0[i]:.3g}); those rows of the Jacobian are NaN.",
            RuntimeWarning,
            stacklevel=4,
        )
        compressed[not_real] = np.nan
    with np.errstate(all="ignore"):
        return RawResult(value=decompress(compressed, pattern, colors, scale=h), step=h)


def _difference_steps(x: np.ndarray, step: Any, deriv: int) -> np.ndarray:
    if step is not None:
        return representable_step(x, step)
    h = optimal_step("central", deriv, 2) * np.maximum(1.0, np.abs(x))
    return representable_step(x, h, default="default")


def cs_derivative(
    method: ComplexStep, f: CountedFunction, x: np.ndarray, step: Any, deriv: int
) -> RawResult:
    """``f^(k)``: order-2 central stencil for derivative k - 1 applied to complex-step slopes."""
    cs = _helpers()
    d = _difference_steps(x, step, deriv - 1)
    offsets, weights = float_stencil("central", deriv - 1, 2)
    h = cs.DEFAULT_STEP
    points = [x.astype(complex)]
    points += [(x + s * d).astype(complex) + 1j * h for s in offsets]
    y = cs._complex_at(f, points, method.workers)
    ok = cs._real_value(y[0], x, f.method)
    with np.errstate(all="ignore"):
        slopes = np.where(np.isfinite(y[1:]), y[1:].imag / h, np.nan)
        value = (slopes @ np.array(weights)) / d ** (deriv - 1)
    return RawResult(value=value if ok else np.full(1, np.nan), step=d)


def _hessian_points(x: np.ndarray, d: np.ndarray, h: float) -> list[np.ndarray]:
    """``x + 0i``, then ``x + i h e_i +- d_j e_j`` for ``j``, then ``i``, then the sign."""
    points = [x.astype(complex)]
    for j in range(x.size):
        for i in range(x.size):
            for sign in (1.0, -1.0):
                z = x.astype(complex)
                z[j] = x[j] + sign * d[j]
                z[i] += 1j * h
                points.append(z)
    return points


def cs_hessian(method: ComplexStep, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
    """Hessian: central differences (step ``d_j``) of complex-step slopes, symmetrised.

    The ``2 n^2 + 1`` points are evaluated as ``method.workers`` says (same values, same
    ``nfev``, as one after the other).
    """
    cs = _helpers()
    n = x.size
    d = _difference_steps(x, step, 1)
    h = cs.DEFAULT_STEP
    y = cs._complex_at(f, _hessian_points(x, d, h), method.workers)
    ok = cs._real_value(y[0], x, f.method)
    with np.errstate(all="ignore"):
        # slopes[j, i, s]: Im f(x + i h e_i + (-1)^s d_j e_j) / h (NaN where f is not finite)
        slopes = np.where(np.isfinite(y[1:]), y[1:].imag / h, np.nan).reshape(n, n, 2)
        a = ((slopes[:, :, 0] - slopes[:, :, 1]) / (2.0 * d[:, None])).T
    value = (a + a.T) / 2.0 if ok else np.full((n, n), np.nan)
    return RawResult(value=value, step=d)
