"""Curve-level analysis on plain arrays: best step, safe-step window, convergence order, Pareto
front, coinciding curves.

These functions take arrays, not the results table, so callers without a table (the chooser,
a notebook) use them too; :mod:`diffbench.analysis` applies them to the table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "EPS",
    "WINDOW_FLOOR",
    "FIT_POINTS",
    "best_on_curve",
    "convergence_order",
    "fit_order",
    "pareto_front",
    "identical_curves",
]

EPS = float(np.finfo(float).eps)
#: The safe-step window of a curve is where its error is at most max(10 x best, this): 4 eps, so
#: a curve whose best error is an exact zero keeps the steps where it stays at rounding level.
WINDOW_FLOOR = 4 * EPS
#: How many grids, ending at the last one before the rounding floor, a convergence order is
#: fitted on.
FIT_POINTS = 3


def _scores(e: np.ndarray) -> np.ndarray:
    """3-step running medians (ends: the larger of their two errors)."""
    if e.size < 3:
        return e
    padded = np.concatenate([[np.inf], e, [np.inf]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def best_on_curve(errors: Any, *, floor: float = WINDOW_FLOOR) -> tuple[int, float, int, int]:
    """The best step of one error-vs-step curve, robust to a single lucky step.

    ``errors`` are ordered by step (NaN for a failed measurement). The score of step ``i`` is the
    median of the errors at ``i - 1, i, i + 1`` (failures count as infinite; an end step scores
    the larger of its two errors): an exact cancellation at one step does not make a best step, a
    plateau does (its first step is the best step), and every score is an error that was
    measured. With fewer than three steps the score is the error itself.

    Parameters
    ----------
    errors : array-like
        Errors ordered by step.
    floor : float, default :data:`WINDOW_FLOOR`
        The window level is ``max(10 * best, floor)``: without a floor, a best error of exactly
        0 would leave only the steps where the error is exactly 0.

    Returns
    -------
    (int, float, int, int)
        Index of the best step (-1 if every measurement failed), its score (the best error), and
        the first and last index of the contiguous window around it whose errors are at most
        ``max(10 * best, floor)``.

    Examples
    --------
    >>> best_on_curve([1e-3, 1e-6, 0.0, 1e-6, 1e-2])  # the lone zero is luck: score 1e-6
    (1, 1e-06, 1, 3)
    >>> best_on_curve([0.0, 1e-6, 1e-6, 1e-6, 1e-3])  # so is a zero at the end
    (0, 1e-06, 0, 3)
    >>> best_on_curve([1e-10, 2e-16, 0.0, 0.0, 1e-16, 0.0])  # best 0; window to 4 eps
    (2, 0.0, 1, 5)
    """
    e = np.asarray(errors, dtype=float)
    e = np.where(np.isnan(e), np.inf, e)
    n = e.size
    if n == 0 or not np.isfinite(e).any():
        return -1, math.nan, -1, -1
    score = _scores(e)
    i = int(np.argmin(score))  # the first step that reaches the best score
    best = float(score[i])
    if not np.isfinite(best):
        finite = np.flatnonzero(np.isfinite(e))
        i = int(finite[np.argmin(e[finite])])
        best = float(e[i])
    level = max(10 * best, floor)
    lo = hi = i
    while lo > 0 and e[lo - 1] <= level:
        lo -= 1
    while hi < n - 1 and e[hi + 1] <= level:
        hi += 1
    return i, best, lo, hi


def fit_order(sizes: Any, errors: Any, *, floor: float = 1e3 * EPS) -> tuple[float, float, float]:
    """Observed convergence order, and the grids it was fitted on.

    The fit (``np.polyfit`` of ``log(error)`` on ``log(N)``) uses the last :data:`FIT_POINTS`
    grids before the rounding floor, where the error behaves asymptotically: if the error
    reaches its minimum before the finest grid, rounding has taken over and only grids before the
    minimum whose error is still 10x above it count; otherwise grids with error above ``floor``.
    Errors above 0.1 never count (far from asymptotic).

    Returns
    -------
    (float, float, float)
        The order ``p`` (``error ~ N^-p``) and the smallest and largest grid size fitted on; NaN
        for all three with fewer than :data:`FIT_POINTS` usable grids.

    Examples
    --------
    >>> n = np.array([4, 8, 16, 32, 64])
    >>> e = np.array([0.09, 0.05, 1e-2 / 16**2, 1e-2 / 32**2, 1e-2 / 64**2])  # asymptotic: N>=16
    >>> p, first, last = fit_order(n, e)
    >>> round(p, 6), first, last
    (2.0, 16.0, 64.0)
    """
    n = np.asarray(sizes, dtype=float)
    e = np.asarray(errors, dtype=float)
    keep = np.isfinite(e) & (e > 0) & np.isfinite(n) & (n > 0)
    n, e = n[keep], e[keep]
    order = np.argsort(n)
    n, e = n[order], e[order]
    none = (math.nan, math.nan, math.nan)
    if n.size < FIT_POINTS:
        return none
    imin = int(np.argmin(e))
    idx = np.arange(n.size)
    use = (idx < imin) & (e >= 10 * e[imin]) if imin < n.size - 1 else e > floor
    use &= e <= 0.1
    n, e = n[use][-FIT_POINTS:], e[use][-FIT_POINTS:]
    if n.size < FIT_POINTS:
        return none
    slope = np.polyfit(np.log(n), np.log(e), 1)[0]
    return float(-slope), float(n[0]), float(n[-1])


def convergence_order(sizes: Any, errors: Any, *, floor: float = 1e3 * EPS) -> float:
    """Observed convergence order from errors on grids of increasing size (:func:`fit_order`
    without the grids it was fitted on).

    Examples
    --------
    >>> n = np.array([8, 16, 32, 64])
    >>> round(convergence_order(n, 3.0 / n**2), 6)
    2.0
    """
    return fit_order(sizes, errors, floor=floor)[0]


def pareto_front(x: Any, y: Any) -> np.ndarray:
    """Boolean mask of points not dominated in (x, y), both to be minimised.

    Examples
    --------
    >>> pareto_front([1.0, 2.0, 3.0], [2.0, 1.0, 3.0]).tolist()
    [True, True, False]
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    mask = np.zeros(x.size, dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        mask[i] = not dominated.any()
    return mask


def identical_curves(
    curves: Mapping[str, tuple[Any, Any]], *, rtol: float = 1e-6
) -> list[list[str]]:
    """Groups of names whose curves coincide: the same x, and y equal to a relative ``rtol``
    (NaN equal to NaN; the default 1e-6 is far below what a log plot can show, and lets two
    implementations of one formula that differ in the last bits count as one). Groups in the
    order of ``curves``; a curve like no other is a group of one.

    Examples
    --------
    >>> identical_curves({"a": ([1, 2], [3.0, 0.0]), "b": ([1, 2], [3.0, 0.0]), "c": ([1], [3.0])})
    [['a', 'b'], ['c']]
    >>> identical_curves({"a": ([1], [1e-3]), "b": ([1], [1e-3 * (1 + 1e-10)])})
    [['a', 'b']]
    """
    groups: list[list[str]] = []
    arrays: list[tuple[np.ndarray, np.ndarray]] = []
    for name, (x, y) in curves.items():
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        for k, (gx, gy) in enumerate(arrays):
            if gx.shape == xa.shape and gy.shape == ya.shape:
                same_x = np.array_equal(gx, xa, equal_nan=True)
                if same_x and np.allclose(gy, ya, rtol=rtol, atol=0.0, equal_nan=True):
                    groups[k].append(name)
                    break
        else:
            groups.append([name])
            arrays.append((xa, ya))
    return groups
