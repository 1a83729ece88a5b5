"""Grids for grid methods and for the sweep: axes on a box, tensor points, sampling ``f`` on them.

Every grid is a tensor grid given by one strictly increasing coordinate array per axis (the
``numpy.gradient`` convention for spacing). Points are listed in
``np.meshgrid(..., indexing="ij")`` order, the order of ``np.mgrid``: the last axis varies fastest,
so ``values.reshape(shape)`` puts the value of point ``(x1[i1], ..., xd[id])`` at
``values[i1, ..., id]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .validation import check_bool, check_choice, check_positive_int

__all__ = [
    "NONUNIFORM_KINDS",
    "uniform_axes",
    "nonuniform_axes",
    "tensor_points",
    "sample",
    "evaluate",
]

#: Non-uniform grid kinds accepted by :func:`nonuniform_axes`.
NONUNIFORM_KINDS = ("chebyshev", "stretch")
#: Rate of the exponential stretch: the last spacing is about e**2 ~ 7.4 times the first.
_STRETCH_RATE = 2.0


def _check_domain(domain: Any) -> list[tuple[float, float]]:
    """Return ``domain`` as a list of ``(lo, hi)`` floats, or raise naming ``domain``."""
    try:
        arr = np.asarray(domain, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`domain` must be a sequence of (lo, hi) pairs: {exc}") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"`domain` must be a non-empty sequence of (lo, hi) pairs, got shape {arr.shape}."
        )
    for axis, (lo, hi) in enumerate(arr):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"`domain` axis {axis} must be finite, got ({lo}, {hi}).")
        if not lo < hi:
            raise ValueError(f"`domain` axis {axis} must have lo < hi, got ({lo}, {hi}).")
    return [(float(lo), float(hi)) for lo, hi in arr]


def _check_sizes(size: Any, d: int) -> list[int]:
    """Return one size per axis (a scalar ``size`` applies to all), each an integer >= 2."""
    if np.ndim(size) > 0:
        sizes = list(size)
        if len(sizes) != d:
            raise ValueError(
                f"`size` must be one integer or one per axis of `domain` ({d}), got {len(sizes)}."
            )
        return [check_positive_int(f"size[{i}]", s, minimum=2) for i, s in enumerate(sizes)]
    return [check_positive_int("size", size, minimum=2)] * d


def _distinct(coords: np.ndarray, axis: int, lo: float, hi: float) -> np.ndarray:
    """Pin the ends to ``lo`` and ``hi`` and check the float64 coordinates strictly increase."""
    coords[0], coords[-1] = lo, hi
    if np.any(np.diff(coords) <= 0):
        raise ValueError(
            f"`domain` axis {axis}, ({lo}, {hi}), is too narrow for `size` {coords.size}: "
            "the float64 coordinates are not strictly increasing."
        )
    return coords


def uniform_axes(domain: Any, size: int | Sequence[int]) -> list[np.ndarray]:
    """Evenly spaced coordinates on every axis of a box.

    Parameters
    ----------
    domain : sequence of (lo, hi)
        One interval per axis, finite with ``lo < hi``.
    size : int or sequence of int
        Points per axis (>= 2), one value for every axis or one per axis.

    Returns
    -------
    list of numpy.ndarray
        ``numpy.linspace(lo, hi, size)`` for each axis.

    Examples
    --------
    >>> [a.tolist() for a in uniform_axes([(0, 1), (-1, 1)], 3)]
    [[0.0, 0.5, 1.0], [-1.0, 0.0, 1.0]]
    """
    box = _check_domain(domain)
    sizes = _check_sizes(size, len(box))
    return [
        _distinct(np.linspace(lo, hi, n), axis, lo, hi)
        for axis, ((lo, hi), n) in enumerate(zip(box, sizes, strict=True))
    ]


def nonuniform_axes(
    domain: Any, size: int | Sequence[int], *, kind: str = "chebyshev"
) -> list[np.ndarray]:
    """Strictly increasing, smoothly non-uniform coordinates on every axis of a box.

    Parameters
    ----------
    domain : sequence of (lo, hi)
        One interval per axis, finite with ``lo < hi``.
    size : int or sequence of int
        Points per axis (>= 2), one value for every axis or one per axis.
    kind : {"chebyshev", "stretch"}, optional
        ``"chebyshev"``: Chebyshev-Gauss-Lobatto points ``mid - half*cos(pi*k/(N-1))``, clustered at
        both ends (end spacing ~ 1/N**2, middle spacing ~ 1/N). ``"stretch"``: the exponential
        stretch ``lo + (hi - lo)*expm1(2t)/expm1(2)`` of uniform ``t`` in [0, 1], clustered at
        ``lo`` (spacing grows smoothly by a factor of about 7.4 from ``lo`` to ``hi``).

    Returns
    -------
    list of numpy.ndarray
        One coordinate array per axis, starting at ``lo`` and ending at ``hi`` exactly.

    Examples
    --------
    >>> np.round(nonuniform_axes([(-1, 1)], 5)[0], 12).tolist()
    [-1.0, -0.707106781187, 0.0, 0.707106781187, 1.0]
    """
    check_choice("kind", kind, NONUNIFORM_KINDS)
    box = _check_domain(domain)
    sizes = _check_sizes(size, len(box))
    axes = []
    for axis, ((lo, hi), n) in enumerate(zip(box, sizes, strict=True)):
        k = np.arange(n)
        if kind == "chebyshev":
            # sin form of -cos(pi*k/(n-1)): antisymmetric about the middle in floating point too
            unit = np.sin(np.pi * (2 * k - (n - 1)) / (2 * (n - 1)))
            coords = 0.5 * (lo + hi) + 0.5 * (hi - lo) * unit
        else:
            t = k / (n - 1)
            coords = lo + (hi - lo) * np.expm1(_STRETCH_RATE * t) / np.expm1(_STRETCH_RATE)
        axes.append(_distinct(coords, axis, lo, hi))
    return axes


def _check_axes(axes: Any) -> list[np.ndarray]:
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        raise TypeError("`axes` must be a sequence of 1-D coordinate arrays, one per axis.")
    try:
        out = [np.asarray(a) for a in axes]
    except TypeError:
        raise TypeError(
            "`axes` must be a sequence of 1-D coordinate arrays, one per axis."
        ) from None
    if not out:
        raise ValueError("`axes` must contain at least one axis.")
    for i, a in enumerate(out):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"`axes[{i}]` must hold real numbers, got dtype {a.dtype}.")
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"`axes[{i}]` must be a non-empty 1-D array, got shape {a.shape}.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"`axes[{i}]` must be finite.")
    return [a.astype(float) for a in out]


def tensor_points(axes: Sequence[Any]) -> np.ndarray:
    """All points of the tensor grid of ``axes``, one per row.

    Parameters
    ----------
    axes : sequence of 1-D array_like
        Coordinates per axis (an axis of length 1 fixes that coordinate).

    Returns
    -------
    numpy.ndarray, shape (N1 * ... * Nd, d)
        Rows in ``np.meshgrid(*axes, indexing="ij")`` (``np.mgrid``) order: last axis fastest.

    Examples
    --------
    >>> tensor_points([[0.0, 1.0], [5.0, 6.0, 7.0]])[:4].tolist()
    [[0.0, 5.0], [0.0, 6.0], [0.0, 7.0], [1.0, 5.0]]
    """
    checked = _check_axes(axes)
    mesh = np.meshgrid(*checked, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=-1)


def evaluate(f: Callable, points: np.ndarray, *, vectorized: bool = True) -> np.ndarray:
    """Values of ``f`` at the rows of ``points`` (shape ``(m, d)``), as a float array of shape (m,).

    With ``vectorized=True``, ``f`` is called once on the whole array and must return shape
    ``(m,)``; otherwise once per row and must return a scalar. A
    :class:`~methods.counting.CountedFunction` is called through its ``batch`` method when
    vectorized, so every point is counted either way.

    Parameters
    ----------
    f : callable
        The function, in the vector convention.
    points : array_like, shape (m, d)
        The points, one per row.
    vectorized : bool, default True
        Whether ``f`` evaluates all rows in one call.

    Returns
    -------
    numpy.ndarray, shape (m,)
    """
    check_bool("vectorized", vectorized)
    points = np.asarray(points, dtype=float)
    if points.ndim != 2:
        raise ValueError(f"`points` must have shape (m, d), got shape {points.shape}.")
    m = points.shape[0]
    if vectorized:
        call = getattr(f, "batch", f)
        out = np.asarray(call(points))
        if out.shape != (m,):
            raise ValueError(
                f"with `vectorized=True`, f must map an (m, d) array to shape (m,); "
                f"got shape {out.shape} for m={m}."
            )
        return out.astype(float)
    out = np.empty(m)
    for r in range(m):
        y = np.asarray(f(points[r]))
        if y.size != 1:
            raise ValueError(f"f must return a scalar, got shape {y.shape} at {points[r]}.")
        out[r] = y.reshape(-1)[0]
    return out


def sample(f: Callable, axes: Sequence[Any], *, vectorized: bool = True) -> np.ndarray:
    """Sample ``f`` on the tensor grid of ``axes``.

    Parameters
    ----------
    f : callable
        ``f(x)`` for ``x`` of shape ``(d,)`` returning a scalar; with ``vectorized=True`` it must
        map an ``(m, d)`` array to shape ``(m,)`` (e.g. :func:`methods.as_vector_function` of a
        numpy expression).
    axes : sequence of 1-D array_like
        Coordinates per axis.
    vectorized : bool, optional
        One call on all points (default) or one call per point.

    Returns
    -------
    numpy.ndarray, shape (N1, ..., Nd)
        ``values[i1, ..., id] = f([axes[0][i1], ..., axes[d-1][id]])``.

    Examples
    --------
    >>> from methods import as_vector_function
    >>> f = as_vector_function(lambda x, y: x + 10 * y)
    >>> sample(f, [[0.0, 1.0], [0.0, 1.0, 2.0]]).tolist()
    [[0.0, 10.0, 20.0], [1.0, 11.0, 21.0]]
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    checked = _check_axes(axes)
    shape = tuple(a.size for a in checked)
    return evaluate(f, tensor_points(checked), vectorized=vectorized).reshape(shape)
