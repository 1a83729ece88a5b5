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
  ``i <= j`` is computed and mirrored, so the estimate is symmetric by construction. Under
  ``step_rule="relative"`` the default step of variable i is the second derivative's,
  ``optimal_step(scheme, 2, p) max(1, |x_i|)``, for diagonal and mixed entries alike; under the
  default ``"guarded"`` the relative step is searched from the values of f
  (:mod:`methods.hessian_steps`, docs/theory.md#hessian-steps).

``f`` is evaluated one point at a time (in this process, or as the method's ``workers`` say for
a Hessian or a k-th derivative: :mod:`methods.parallel`, same values), except Hessians of a
``vectorized`` method: their points go to ``f`` in ``(m, n)`` batches of at most
:data:`HESSIAN_CHUNK_BYTES` (or the memory budget of :mod:`methods.batching` if smaller), with the
same values bit for bit and the same ``nfev`` as one call per point.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import RawResult
from .batching import batch_budget, evaluate_rows, max_batch_bytes
from .counting import CountedFunction
from .fornberg import float_stencil, optimal_step
from .hessian_steps import choose_hessian
from .parallel import MapWrapper
from .sparsity import Pattern, color_columns, decompress, seeds
from .step_rules import EPS, GUARDED, noise_level
from .validation import representable_step

if TYPE_CHECKING:
    from .finite_difference import FiniteDifference

__all__ = ["fd_jacobian", "fd_hessian", "fd_derivative", "default_steps", "HESSIAN_CHUNK_BYTES"]

#: Largest array of points (bytes) a vectorized ``f`` receives per call in a Hessian (or the
#: budget of :mod:`methods.batching` if smaller): a Hessian has ``O(n^2)`` points, and chunks
#: that stay in a core's cache with ``f``'s temporaries make those temporaries cheap (numpy
#: Rosenbrock at n = 100, 20,001 points: 2-3x faster in 512 KiB chunks than in one 16 MB call,
#: measured on a 512 KiB-L2 core; 1 MiB chunks were between the two).
HESSIAN_CHUNK_BYTES = 512 * 2**10


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
    with MapWrapper(getattr(method, "workers", 1)) as map_:
        values = np.array(f.each([x + s * h for s in offsets], map_), dtype=float)
    with np.errstate(all="ignore"):
        value = (values @ np.array(weights)) / h**deriv
    return RawResult(value=value, step=h)


class _HessianPoints:
    """The distinct points of the Hessian stencils and where each stencil term reads its value.

    A point moves at most two coordinates: ``(c1[r], v1[r])`` and ``(c2[r], v2[r])`` (coordinate
    -1: no move). Rows are ``x`` itself (if a stencil has offset 0), then ``x + s h_i e_i`` for
    every coordinate ``i`` and every non-zero single offset ``s``, then ``x + a h_i e_i + b h_j
    e_j`` for ``i < j`` and non-zero first-derivative offsets ``a, b``. ``diag[i, t]`` is the
    row of the ``t``-th second-derivative offset of coordinate ``i``; ``mixed[k, t]`` the row of
    the ``t``-th ``(a, b)`` pair of the ``k``-th ``(i, j)`` pair (rows ``upper`` of ``triu``).
    """

    def __init__(self, x: np.ndarray, h: np.ndarray, off2: tuple, off1: tuple) -> None:
        n = x.size
        self.upper = np.triu_indices(n, 1)
        centre = 0.0 in off2 or (0.0 in off1 and n > 1)
        singles = {s for s in off2 if s != 0.0}
        if 0.0 in off1 and n > 1:
            singles |= {s for s in off1 if s != 0.0}
        single = sorted(singles)
        moved1 = [s for s in off1 if s != 0.0]
        c = int(centre)
        ns, nm = len(single), len(moved1)
        ii, jj = self.upper
        npair = ii.size
        first = c + n * ns  # first pair row
        # single rows: coordinate i, offset single[t] at row c + i * ns + t
        si = np.repeat(np.arange(n), ns)
        sv = x[si] + np.tile(np.array(single), n) * h[si]
        # pair rows: (i, j) pair k, offsets (moved1[u], moved1[v]) at row first + (k*nm + u)*nm + v
        pi, pj = np.repeat(ii, nm * nm), np.repeat(jj, nm * nm)
        pa = np.tile(np.repeat(np.array(moved1), nm), npair)
        pb = np.tile(np.tile(np.array(moved1), nm), npair)
        none = np.full(c, -1)
        self.c1 = np.concatenate([none, si, pi]).astype(np.intp)
        self.v1 = np.concatenate([np.zeros(c), sv, x[pi] + pa * h[pi]])
        self.c2 = np.concatenate([none, np.full(si.size, -1), pj]).astype(np.intp)
        self.v2 = np.concatenate([np.zeros(c), np.zeros(si.size), x[pj] + pb * h[pj]])
        self.size = self.c1.size

        def row_single(i: np.ndarray, s: float) -> np.ndarray:
            return np.zeros_like(i) if s == 0.0 else c + i * ns + single.index(s)

        self.diag = np.stack([row_single(np.arange(n), s) for s in off2], axis=1)
        k = np.arange(npair)
        cols = []
        for a in off1:
            for b in off1:
                if a == 0.0:
                    cols.append(row_single(jj, b))
                elif b == 0.0:
                    cols.append(row_single(ii, a))
                else:
                    cols.append(first + (k * nm + moved1.index(a)) * nm + moved1.index(b))
        self.mixed = np.stack(cols, axis=1) if cols else np.zeros((0, 0), dtype=np.intp)

    def rows(self, x: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Points ``start`` to ``stop - 1`` as a fresh array of shape ``(stop - start, n)``."""
        out = np.repeat(x[None, :], stop - start, axis=0)
        r = np.arange(stop - start)
        for c, v in ((self.c1, self.v1), (self.c2, self.v2)):
            moved = c[start:stop] >= 0
            out[r[moved], c[start:stop][moved]] = v[start:stop][moved]
        return out

    def each(self, x: np.ndarray) -> Iterator[np.ndarray]:
        """The points one at a time, each a fresh 1-D array."""
        for c1, v1, c2, v2 in zip(self.c1.tolist(), self.v1.tolist(), self.c2.tolist(),
                                  self.v2.tolist(), strict=True):  # fmt: skip
            point = x.copy()
            if c1 >= 0:
                point[c1] = v1
            if c2 >= 0:
                point[c2] = v2
            yield point


def fd_hessian(method: FiniteDifference, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
    """Hessian: second-difference stencils on the diagonal, mixed stencils off it.

    Every distinct point is evaluated once, one call per point or, for a ``vectorized`` method,
    in batches within the memory budget (:func:`methods.batching.evaluate_rows`); both give the
    same values bit for bit and the same ``nfev``. With ``step=None`` under the default
    ``step_rule="guarded"`` the step is searched from the values of f
    (:func:`methods.hessian_steps.choose_hessian`; every evaluation counted in ``nfev``).
    """
    if step is None and method.step_rule == GUARDED:
        return _guarded_hessian(method, f, x)
    h = default_steps(method, x, 2) if step is None else representable_step(x, step)
    return RawResult(value=_hessian_at(method, f, x, h)[0], step=h)


def _guarded_hessian(method: FiniteDifference, f: CountedFunction, x: np.ndarray) -> RawResult:
    """The Hessian at the relative step :func:`~methods.hessian_steps.choose_hessian` picks."""
    scale = np.maximum(1.0, np.abs(x))
    t0 = optimal_step(method.scheme, 2, method.order)
    level = noise_level(method.noise, f, x, vectorized=getattr(method, "vectorized", False))

    def evaluate(t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h = representable_step(x, t * scale, default="guarded rule's")
        value, spread, weight = _hessian_at(method, f, x, h)
        with np.errstate(all="ignore"):
            return h, value, EPS * spread + level * weight

    trials, best = choose_hessian(evaluate, t0, method.order)
    return RawResult(value=trials[best].value, step=trials[best].h)


def _hessian_at(
    method: FiniteDifference, f: CountedFunction, x: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Hessian at steps ``h``, ``sqrt(sum (w f)^2) / (h_i h_j)`` and ``sqrt(sum w^2) / (h_i
    h_j)``.

    The last two, per entry, are the size (one standard deviation) of how much rounding
    (relative) and noise (absolute) in the values of f move the entry, for errors of the values
    that are independent of each other: they add in quadrature, not in absolute value
    (docs/theory.md#hessian-steps).
    """
    n = x.size
    off2, w2 = float_stencil(method.scheme, 2, method.order)
    off1, w1 = float_stencil(method.scheme, 1, method.order)
    points = _HessianPoints(x, h, off2, off1)
    value = np.empty((n, n))
    spread = np.empty((n, n))
    weight = np.empty((n, n))
    with np.errstate(all="ignore"):  # f's own floating-point warnings too (as before)
        if getattr(method, "vectorized", False):
            rows = partial(points.rows, x)
            with batch_budget(min(max_batch_bytes(), HESSIAN_CHUNK_BYTES)):
                y = np.asarray(evaluate_rows(f, points.size, n, rows), dtype=float)
        else:
            with MapWrapper(getattr(method, "workers", 1)) as map_:
                y = np.array(f.each(points.each(x), map_), dtype=float).reshape(points.size)
        # the same operations, in the same order, as sum(w * f(...)) / h[i] ** 2 per entry
        diag = 0.0
        for t, w in enumerate(w2):
            diag = diag + w * y[points.diag[:, t]]
        h2 = np.array([hi**2 for hi in h])
        value[np.diag_indices(n)] = diag / h2
        spread[np.diag_indices(n)] = np.hypot.reduce(y[points.diag] * np.array(w2), axis=1) / h2
        weight[np.diag_indices(n)] = float(np.hypot.reduce(w2)) / h2
        ii, jj = points.upper
        total = np.zeros(ii.size)
        quadrature = np.zeros(ii.size)
        t = 0
        for wa in w1:
            for wb in w1:
                total += wa * wb * y[points.mixed[:, t]]
                quadrature = np.hypot(quadrature, wa * wb * y[points.mixed[:, t]])
                t += 1
        hh = h[ii] * h[jj]
        for out, entries in (
            (value, total / hh),
            (spread, quadrature / hh),
            (weight, float(np.hypot.reduce(w1)) ** 2 / hh),
        ):
            out[ii, jj] = entries
            out[jj, ii] = entries
    return value, spread, weight
