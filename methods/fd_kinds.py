"""Finite-difference Jacobians, Hessians and k-th derivatives (exact Fornberg weights).

Used by :class:`~methods.finite_difference.FiniteDifference` for every scheme and accuracy order:

* **Jacobian**: the first-derivative stencil along each column (one shared ``f(x)`` for one-sided
  schemes), or along each group of structurally independent columns when a sparsity pattern is
  given (:mod:`methods.sparsity`). Default steps are the gradient's.
* **k-th derivative**: the stencil for derivative order k (:func:`methods.fornberg.stencil`),
  ``f^(k)(x) ~ h^-k sum_j w_j f(x + s_j h)``, with the default step from the error model of a
  k-th derivative, ``h* = (k S eps / (p |C|))^(1/(p+k))`` (docs/theory.md#higher-derivatives).
* **Hessian**: the second-derivative stencil on the diagonal and the tensor product of two
  first-derivative stencils off it, ``H_ij ~ sum_a sum_b w_a w_b f(x + s_a h_i e_i + s_b h_j e_j)
  / (h_i h_j)``; both have accuracy order p. Every point is evaluated once (one-sided stencils
  share ``f(x)`` and ``f(x + s h_i e_i)`` between the diagonal and the mixed entries). Only
  ``i <= j`` is computed and mirrored, so the estimate is symmetric by construction. The default
  step of variable i is the second derivative's, ``optimal_step(scheme, 2, p) max(1, |x_i|)``
  (relative rule) for diagonal and mixed entries alike.

``f`` is evaluated one point at a time (``vectorized`` applies to ``gradient`` only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .base import RawResult
from .counting import CountedFunction
from .fornberg import float_stencil, optimal_step
from .sparsity import Pattern, color_columns, decompress, seeds
from .validation import representable_step

if TYPE_CHECKING:
    from .finite_difference import FiniteDifference

__all__ = ["fd_jacobian", "fd_hessian", "fd_derivative", "default_steps"]


def default_steps(method: FiniteDifference, x: np.ndarray, deriv: int) -> np.ndarray:
    """Representable default steps for a derivative of order ``deriv`` (the step rule applies)."""
    base = np.full(x.size, optimal_step(method.scheme, deriv, method.order))
    h = base * np.maximum(1.0, np.abs(x)) if method.step_rule != "absolute" else base
    hint = " or use step_rule='relative'" if method.step_rule == "absolute" else ""
    return representable_step(x, h, default="default", hint=hint)


def fd_jacobian(
    method: FiniteDifference, f: CountedFunction, x: np.ndarray, step: Any, pattern: Pattern | None
) -> RawResult:
    """Jacobian by first-derivative stencils, one column (or one group of columns) at a time."""
    offsets, weights = float_stencil(method.scheme, 1, method.order)
    h = method._steps(x, step)
    colors = color_columns(pattern, x.size)
    seed = seeds(colors, h)
    f0 = None
    if 0.0 in offsets:
        f0 = np.asarray(f(x.copy()), dtype=float)
    columns = []
    for c in range(seed.shape[1]):
        total = None
        for s, w in zip(offsets, weights, strict=True):
            y = f0 if s == 0.0 else np.asarray(f(x + s * seed[:, c]), dtype=float)
            term = w * y
            total = term if total is None else total + term
        columns.append(total)
    with np.errstate(all="ignore"):
        value = decompress(np.stack(columns, axis=1), pattern, colors, scale=h)
    return RawResult(value=value, step=h)


def fd_derivative(
    method: FiniteDifference, f: CountedFunction, x: np.ndarray, step: Any, deriv: int
) -> RawResult:
    """The ``deriv``-th derivative of a scalar function (``x`` of shape ``(1,)``)."""
    offsets, weights = float_stencil(method.scheme, deriv, method.order)
    h = default_steps(method, x, deriv) if step is None else representable_step(x, step)
    values = np.array([float(f(x + s * h)) for s in offsets])
    with np.errstate(all="ignore"):
        value = (values @ np.array(weights)) / h**deriv
    return RawResult(value=value, step=h)


def fd_hessian(method: FiniteDifference, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
    """Hessian: second-difference stencils on the diagonal, mixed stencils off it."""
    n = x.size
    h = default_steps(method, x, 2) if step is None else representable_step(x, step)
    off2, w2 = float_stencil(method.scheme, 2, method.order)
    off1, w1 = float_stencil(method.scheme, 1, method.order)
    cache: dict[tuple, float] = {}

    def at(*moves: tuple[int, float]) -> float:
        key = tuple(sorted((i, s) for i, s in moves if s != 0.0))
        if key not in cache:
            point = x.copy()
            for i, s in key:
                point[i] = x[i] + s * h[i]
            cache[key] = float(f(point))
        return cache[key]

    value = np.empty((n, n))
    with np.errstate(all="ignore"):
        for i in range(n):
            value[i, i] = sum(w * at((i, s)) for s, w in zip(off2, w2, strict=True)) / h[i] ** 2
            for j in range(i + 1, n):
                total = 0.0
                for a, wa in zip(off1, w1, strict=True):
                    for b, wb in zip(off1, w1, strict=True):
                        total += wa * wb * at((i, a), (j, b))
                value[i, j] = value[j, i] = total / (h[i] * h[j])
    return RawResult(value=value, step=h)
