"""Richardson and Ridders beyond gradients: k-th derivatives, Hessians and Jacobians.

Both extrapolate a central difference whose error expands in even powers of the step, so the
gradient's tableaus (:mod:`methods.extrapolation`) apply unchanged, only to another difference:

* **k-th derivative** (k = 2..4): the order-2 central stencil for derivative k with exact Fornberg
  weights (:func:`methods.fornberg.float_stencil`), ``D_k(h) = h^-k sum_j w_j f(x + s_j h)``;
  symmetric (k even) or antisymmetric (k odd), so ``D_k(h) = f^(k) + c_1 h^2 + c_2 h^4 + ...``.
  With Richardson's step ratio 2 the outer points of one level are inner points of the previous
  one (``2 (h/2) = h``) and ``f(x)`` is shared: each point is evaluated once.
* **Hessian**: the central second difference on the diagonal and the mixed central difference
  ``(f(x + h_i e_i + h_j e_j) - f(x + h_i e_i - h_j e_j) - f(x - h_i e_i + h_j e_j)
  + f(x - h_i e_i - h_j e_j)) / (4 h_i h_j)`` off it, both even in a common scale of the steps,
  extrapolated entry by entry; only ``i <= j`` is computed and mirrored (symmetric by
  construction).
* **Jacobian**: the order-2 central difference of a vector ``f`` along each column,
  extrapolated entry by entry (Richardson: the tableau is linear, so it runs on the vectors;
  Ridders: one ``dfridr`` tableau per entry, a column's values shared by its entries).

Error estimates are the tableau's, as for k = 1: Richardson's last two diagonal entries plus the
rounding bound ``sum_l |w_l| r_l`` of the result's weights on each level; Ridders' ``err`` of the
accepted entry plus the same bound. ``r_l = eps sum_j |w_j f_j| / h_l^k + eps |D_l|``.

Default initial steps follow the error model of docs/theory.md#higher-derivatives: the
truncation error of the extrapolated formula (order ``p = 2 (L + 1)`` after ``L`` levels) falls
like ``h^p`` while the rounding of the smallest difference, at ``h / r^L``, grows like
``S_k eps r^(L k) / h^k``, so the balancing step is ``(S_k eps r^(L k))^(1/(p+k))``, which grows
with k (``S_k = sum |w_j|``), and is multiplied by ``max(1, |x|)``. One constant scales it so
that the tableau whose gradient default ``0.1 max(1, |x|)`` was measured gives 0.1 at k = 1:
Richardson with 4 levels (relative steps 0.1, 0.18, 0.27, 0.42 for k = 1..4; with 2 levels the
same constant gives 0.038, 0.067, 0.13 for k = 2..4), Ridders' full tableau (``L = 9`` at ratio
``con = 1.4``: 0.13, 0.16, 0.20). The steps of ``derivative(..., deriv=1)``, ``gradient`` and
``jacobian`` stay the gradient's ``0.1 max(1, |x|)``. Measured on 8 smooth functions at 3 points
each (k = 2, 3, 4; tests/test_extrapolation_kinds.py): median relative error 8e-13, 5e-11,
2e-9 (Richardson, 4 levels) and 4e-13, 3e-12, 2e-10 (Ridders), never above the error estimate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import RawResult
from .counting import CountedFunction
from .fornberg import float_stencil
from .ordered_sum import ordered_sum
from .parallel import MapWrapper
from .validation import check_step_power, representable_step

if TYPE_CHECKING:
    from .extrapolation import Richardson, Ridders

__all__ = [
    "initial_step",
    "richardson_derivative",
    "richardson_hessian",
    "richardson_jacobian",
    "ridders_derivative",
    "ridders_hessian",
    "ridders_jacobian",
]

_EPS = float(np.finfo(float).eps)
#: Relative initial step of the gradient (k = 1), measured (methods.extrapolation).
_GRADIENT_STEP = 0.1


def _model_step(deriv: int, levels: int, ratio: float) -> float:
    """``(S_k eps ratio^(levels k))^(1/(p+k))``, ``p = 2 (levels + 1)``, at unit scale."""
    weights = float_stencil("central", deriv, 2)[1]
    s = float(np.sum(np.abs(weights)))
    p = 2 * (levels + 1)
    return (s * _EPS * ratio ** (levels * deriv)) ** (1.0 / (p + deriv))


def initial_step(
    x: np.ndarray, deriv: int, levels: int = 4, ratio: float = 2.0, *, calibrate: int = 4
) -> np.ndarray:
    """Default initial step for a ``deriv``-th derivative, representable at ``x``.

    ``c model(deriv, levels, ratio) max(1, |x|)`` with the model of the module docstring, where
    ``c = 0.1 / model(1, calibrate, ratio)``: the tableau of ``calibrate`` levels at the same
    ratio is the one whose gradient default 0.1 was measured.

    Examples
    --------
    >>> [round(float(initial_step(np.zeros(1), k)[0]), 2) for k in (1, 2, 3, 4)]
    [0.1, 0.18, 0.27, 0.42]
    """
    c = _GRADIENT_STEP / _model_step(1, calibrate, ratio)
    rel = c * _model_step(deriv, levels, ratio)
    return representable_step(x, rel * np.maximum(1.0, np.abs(x)), default="default")


def _steps(x: np.ndarray, step: Any, deriv: int, method: Richardson | Ridders) -> np.ndarray:
    """The user's steps, or the default of ``method``'s own tableau (levels and step ratio);
    a step whose ``deriv``-th power overflows is an error naming ``step``."""
    if step is not None:
        h = representable_step(x, step)
    elif hasattr(method, "levels"):  # Richardson: 0.1 was measured with 4 levels
        h = initial_step(x, deriv, method.levels, 2.0, calibrate=4)
    else:  # Ridders: 0.1 was measured with the default tableau (ntab = 10, con = 1.4)
        h = initial_step(x, deriv, method.ntab - 1, float(method.con), calibrate=9)
    check_step_power(h, deriv, default="" if step is not None else "default")
    if hasattr(method, "levels"):
        from .extrapolation import check_smallest_step

        check_smallest_step(x, h / 2.0**method.levels, method)
    return h


def _tableau(values: np.ndarray, rounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Richardson tableau over levels (axis 0) of ``values``; the result and its error estimate.

    The tableau runs alongside on unit vectors, which gives the weight of each level in the
    result for the rounding bound (as in :class:`~methods.extrapolation.Richardson`).
    """
    from .extrapolation import _richardson

    levels1 = values.shape[0]
    flat = values.reshape(levels1, -1)
    rows = np.zeros((levels1, flat.shape[1], levels1 + 1))
    rows[:, :, 0] = flat
    rows[np.arange(levels1), :, np.arange(levels1) + 1] = 1.0
    last, previous = _richardson(rows)
    r = rounding.reshape(levels1, -1).T
    with np.errstate(all="ignore"):
        error = np.abs(last[:, 0] - previous[:, 0]) + ordered_sum(np.abs(last[:, 1:]) * r)
    value = last[:, 0].reshape(values.shape[1:])
    error = error.reshape(values.shape[1:])
    return value, np.where(np.isfinite(value), error, np.nan)


Moves = tuple[tuple[int, float], ...]


class _Points:
    """``f`` at ``x + sum_i t_i e_i``, each distinct point evaluated once (keyed by its moves).

    :meth:`fill` evaluates the points a step of the estimate needs together, through ``map_``
    (:class:`~methods.parallel.MapWrapper`: in this process or as the method's ``workers``
    say; same values, ``nfev`` counted once by ``f``); a point not filled is evaluated when
    it is read.
    """

    def __init__(self, f: CountedFunction, x: np.ndarray, map_: MapWrapper | None = None) -> None:
        self.f, self.x, self.map_, self.cache = f, x, map_, {}

    @staticmethod
    def _key(moves: Iterable[tuple[int, float]]) -> Moves:
        return tuple(sorted((i, t) for i, t in moves if t != 0.0))

    def _point(self, key: Moves) -> np.ndarray:
        point = self.x.copy()
        for i, t in key:
            point[i] = self.x[i] + t
        return point

    def fill(self, wanted: Iterable[Moves]) -> None:
        """Evaluate the points of ``wanted`` not known yet, together, in order of first need."""
        keys = list(dict.fromkeys(k for k in map(self._key, wanted) if k not in self.cache))
        if keys:
            values = self.f.each([self._point(k) for k in keys], self.map_)
            self.cache.update(zip(keys, values, strict=True))

    def __call__(self, *moves: tuple[int, float]) -> Any:
        key = self._key(moves)
        if key not in self.cache:
            self.cache[key] = self.f(self._point(key))
        return self.cache[key]


def _kth_moves(deriv: int, h: float) -> list[Moves]:
    """The points of the order-2 central ``deriv``-th difference at step ``h``."""
    return [((0, s * h),) for s in float_stencil("central", deriv, 2)[0]]


def _second_moves(i: int, j: int, hi: float, hj: float) -> list[Moves]:
    """The points of the central second (``i == j``) or mixed (``i != j``) difference."""
    if i == j:
        return [((i, hi),), (), ((i, -hi),)]
    return [((i, a), (j, b)) for a in (hi, -hi) for b in (hj, -hj)]


def _kth_difference(at: _Points, deriv: int, h: float) -> tuple[float, float]:
    """The order-2 central ``deriv``-th difference at step ``h`` and its rounding bound."""
    weights = float_stencil("central", deriv, 2)[1]
    values = np.array([float(at(*m)) for m in _kth_moves(deriv, h)])
    terms = np.array(weights) * values
    with np.errstate(all="ignore"):
        d = ordered_sum(terms[None, :])[0] / h**deriv
        rounding = _EPS * ordered_sum(np.abs(terms)[None, :])[0] / h**deriv + _EPS * abs(d)
    return float(d), float(rounding)


def _second_difference(at: _Points, i: int, j: int, hi: float, hj: float) -> tuple[float, float]:
    """Central second (``i == j``) or mixed (``i != j``) difference and its rounding bound."""
    values = np.array([at(*m) for m in _second_moves(i, j, hi, hj)], dtype=float)
    if i == j:
        weights, scale = np.array([1.0, -2.0, 1.0]), hi * hi
    else:
        weights, scale = np.array([1.0, -1.0, -1.0, 1.0]), 4.0 * hi * hj
    terms = weights * values
    with np.errstate(all="ignore"):
        d = ordered_sum(terms[None, :])[0] / scale
        rounding = _EPS * ordered_sum(np.abs(terms)[None, :])[0] / scale + _EPS * abs(d)
    return float(d), float(rounding)


# -- Richardson ------------------------------------------------------------------------------


def richardson_derivative(
    method: Richardson, f: CountedFunction, x: np.ndarray, step: Any, deriv: int
) -> RawResult:
    """``f^(k)(x)``: Richardson over ``D_k(h / 2^l)``, ``l = 0..levels``."""
    h0 = float(_steps(x, step, deriv, method)[0])
    steps = [h0 / 2.0**level for level in range(method.levels + 1)]
    with MapWrapper(method.workers) as map_:
        at = _Points(f, x, map_)
        at.fill(m for t in steps for m in _kth_moves(deriv, t))
        pairs = [_kth_difference(at, deriv, t) for t in steps]
    d, r = (np.array(v) for v in zip(*pairs, strict=True))
    value, error = _tableau(d, r)
    return RawResult(value=np.atleast_1d(value), step=np.array([h0]), error_estimate=error)


def richardson_hessian(
    method: Richardson, f: CountedFunction, x: np.ndarray, step: Any
) -> RawResult:
    """Hessian: Richardson over second and mixed differences at ``h / 2^l`` (upper triangle)."""
    n = x.size
    h = _steps(x, step, 2, method)
    levels1 = method.levels + 1
    steps = [h / 2.0**level for level in range(levels1)]
    entries = [(i, j) for i in range(n) for j in range(i, n)]
    d = np.zeros((levels1, n, n))
    r = np.zeros((levels1, n, n))
    with MapWrapper(method.workers) as map_:
        at = _Points(f, x, map_)
        at.fill(m for t in steps for i, j in entries for m in _second_moves(i, j, t[i], t[j]))
        for level, t in enumerate(steps):
            for i, j in entries:
                d[level, i, j], r[level, i, j] = _second_difference(at, i, j, t[i], t[j])
    value, error = _tableau(d, r)
    upper = np.triu(np.ones((n, n), dtype=bool))
    value, error = (np.where(upper, a, a.T) for a in (value, error))
    return RawResult(value=value, step=h, error_estimate=error)


def richardson_jacobian(
    method: Richardson, f: Any, x: np.ndarray, step: Any, pattern: Any
) -> RawResult:
    """Jacobian: Richardson over the central differences of vector ``f``, column by column."""
    if pattern is not None:
        raise NotImplementedError(f"{method.label}: jacobian() takes no `sparsity`.")
    from .extrapolation import _pair, _quotient

    h = _steps(x, step, 1, method)
    levels1 = method.levels + 1
    d, r = [], []
    for level in range(levels1):
        cols, rounds = [], []
        for j in range(x.size):
            xp, xm = _pair(x, j, h[j] / 2.0**level)
            width = xp[j] - xm[j]
            fp, fm = (np.asarray(f(p), dtype=float) for p in (xp, xm))
            q = [_quotient(a, b, width) for a, b in zip(fp, fm, strict=True)]
            cols.append([e[0] for e in q])
            rounds.append([e[2] for e in q])
        d.append(np.array(cols).T)
        r.append(np.array(rounds).T)
    value, error = _tableau(np.array(d), np.array(r))
    return RawResult(value=value, step=h, error_estimate=error)


# -- Ridders ---------------------------------------------------------------------------------


def _neville(method: Ridders, h: float) -> Any:
    from .extrapolation import _Neville

    return _Neville(float(method.con), method.ntab, float(method.safe), h)


def _run_tables(tables: list, difference: Any, at: _Points, moves: Any) -> None:
    """Fill the tables column by column; ``difference(index, hh)`` gives (D, rounding).

    The points of one column of every table still going (``moves(index, hh)``) are evaluated
    together (:meth:`_Points.fill`); the columns follow one another, as each table decides
    from its last column whether it needs the next.
    """
    for _ in range(tables[0].ntab if tables else 0):
        active = [k for k, t in enumerate(tables) if not t.done]
        if not active:
            break
        at.fill(m for k in active for m in moves(k, tables[k].hh))
        for k in active:
            t = tables[k]
            d, rounding = difference(k, t.hh)
            t.add_difference(d, t.hh, rounding)


def _results(tables: list, shape: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    value = np.array([t.best[0] for t in tables]).reshape(shape)
    error = np.array([t.error_estimate() for t in tables]).reshape(shape)
    used = np.array([t.ans_step for t in tables]).reshape(shape)
    return value, np.where(np.isfinite(value), error, np.nan), used


def ridders_derivative(
    method: Ridders, f: CountedFunction, x: np.ndarray, step: Any, deriv: int
) -> RawResult:
    """``f^(k)(x)``: the ``dfridr`` tableau over ``D_k(h / con^c)``."""
    h0 = float(_steps(x, step, deriv, method)[0])
    tables = [_neville(method, h0)]
    with MapWrapper(method.workers) as map_:
        at = _Points(f, x, map_)
        _run_tables(
            tables,
            lambda k, hh: _kth_difference(at, deriv, hh),
            at,
            lambda k, hh: _kth_moves(deriv, hh),
        )
    value, error, used = _results(tables, (1,))
    return RawResult(value=value, step=used, error_estimate=error)


def ridders_hessian(method: Ridders, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
    """Hessian: one ``dfridr`` tableau per entry ``i <= j`` (second or mixed difference)."""
    n = x.size
    h = _steps(x, step, 2, method)
    entries = [(i, j) for i in range(n) for j in range(i, n)]
    tables = [_neville(method, 1.0) for _ in entries]  # hh is the common scale t of (h_i, h_j)

    def moves(k: int, t: float) -> list[Moves]:
        i, j = entries[k]
        return _second_moves(i, j, t * h[i], t * h[j])

    def difference(k: int, t: float) -> tuple[float, float]:
        i, j = entries[k]
        return _second_difference(at, i, j, t * h[i], t * h[j])

    with MapWrapper(method.workers) as map_:
        at = _Points(f, x, map_)
        _run_tables(tables, difference, at, moves)
    value, error = np.empty((n, n)), np.empty((n, n))
    for k, (i, j) in enumerate(entries):
        value[i, j] = value[j, i] = tables[k].best[0]
        error[i, j] = error[j, i] = tables[k].error_estimate()
    return RawResult(
        value=value, step=h, error_estimate=np.where(np.isfinite(value), error, np.nan)
    )


def ridders_jacobian(method: Ridders, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
    """Jacobian: a ``dfridr`` tableau per entry; one column's evaluations serve all its entries."""
    if pattern is not None:
        raise NotImplementedError(f"{method.label}: jacobian() takes no `sparsity`.")
    from .extrapolation import _pair, _quotient

    h = _steps(x, step, 1, method)
    columns = []
    for j in range(x.size):
        tables: list = []
        hh = float(h[j])
        for _ in range(method.ntab):
            xp, xm = _pair(x, j, hh)
            width = xp[j] - xm[j]
            fp, fm = (np.asarray(f(p), dtype=float) for p in (xp, xm))
            if not tables:
                tables = [_neville(method, hh) for _ in range(fp.size)]
            for t, a, b in zip(tables, fp, fm, strict=True):
                if not t.done:
                    d, half, rounding = _quotient(float(a), float(b), width)
                    t.add_difference(d, half, rounding)
            hh /= float(method.con)
            if all(t.done for t in tables):
                break
        columns.append(tables)
    m = len(columns[0])
    flat = [columns[j][i] for i in range(m) for j in range(x.size)]
    value, error, _ = _results(flat, (m, x.size))
    return RawResult(value=value, step=h, error_estimate=error)
