"""Evaluate a vectorized ``f`` on many points in chunks of bounded memory.

A vectorized method evaluates ``m`` points of dimension ``n`` (``m`` grows like ``n`` or
``n * order``), so one call on all of them holds an ``(m, n)`` array, ``8 m n`` bytes, plus the
temporaries ``f`` makes of the same size: 0.9 GB for ``central`` at ``n = 5000`` and 5.8 GB for
``richardson``. :func:`evaluate_rows` builds and evaluates the rows chunk by chunk instead, so that
each call of ``f`` receives at most :func:`max_batch_bytes` bytes of points (like the memory budget
of ``scipy.differentiate``). Where all rows fit in the budget there is one call, as before.

A vectorized ``f`` maps each row to its value independently, so the values are bit-identical to
those of one call on all rows, and every point is counted once: ``nfev`` does not change.

The budget is :data:`DEFAULT_MAX_BATCH_BYTES` (64 MiB) unless set by :func:`set_max_batch_bytes`
or, for a block of code, :func:`batch_budget`::

    with batch_budget(256 * 2**20):
        get_method("central", vectorized=True).gradient(f, x)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import partial

import numpy as np

from .counting import CountedFunction
from .parallel import MapWrapper, Workers

__all__ = [
    "DEFAULT_MAX_BATCH_BYTES",
    "max_batch_bytes",
    "set_max_batch_bytes",
    "batch_budget",
    "rows_per_chunk",
    "evaluate_rows",
    "replaced_rows",
    "replaced_points",
    "evaluate_replaced",
]

#: Default largest array of points (in bytes) passed to a vectorized ``f`` in one call: 64 MiB.
DEFAULT_MAX_BATCH_BYTES = 64 * 2**20

_BUDGET: ContextVar[int] = ContextVar("max_batch_bytes", default=DEFAULT_MAX_BATCH_BYTES)


def _check_budget(nbytes: object) -> int:
    if isinstance(nbytes, bool) or not isinstance(nbytes, int | np.integer):
        raise TypeError(f"`max_batch_bytes` must be an integer, got {type(nbytes).__name__}.")
    if nbytes < 1:
        raise ValueError(f"`max_batch_bytes` must be a positive integer, got {nbytes}.")
    return int(nbytes)


def max_batch_bytes() -> int:
    """The current budget: the largest array of points (bytes) given to ``f`` in one call."""
    return _BUDGET.get()


def set_max_batch_bytes(nbytes: int | None) -> int:
    """Set the budget for this context (None restores the default); return the previous one.

    Parameters
    ----------
    nbytes : int or None
        Positive number of bytes, or None for :data:`DEFAULT_MAX_BATCH_BYTES`.

    Returns
    -------
    int
        The budget in force before the call.
    """
    previous = _BUDGET.get()
    _BUDGET.set(DEFAULT_MAX_BATCH_BYTES if nbytes is None else _check_budget(nbytes))
    return previous


@contextlib.contextmanager
def batch_budget(nbytes: int) -> Iterator[int]:
    """Use the budget ``nbytes`` inside a ``with`` block, then restore the previous one.

    Parameters
    ----------
    nbytes : int
        Positive number of bytes.

    Examples
    --------
    >>> with batch_budget(1024):
    ...     max_batch_bytes()
    1024
    >>> max_batch_bytes() == DEFAULT_MAX_BATCH_BYTES
    True
    """
    token = _BUDGET.set(_check_budget(nbytes))
    try:
        yield nbytes
    finally:
        _BUDGET.reset(token)


def rows_per_chunk(n: int, itemsize: int = 8) -> int:
    """Rows of ``n`` items of ``itemsize`` bytes that fit in the budget (at least 1).

    Examples
    --------
    >>> with batch_budget(8 * 1000):
    ...     rows_per_chunk(10), rows_per_chunk(10, itemsize=16), rows_per_chunk(10**6)
    (100, 50, 1)
    """
    return max(1, max_batch_bytes() // max(1, n * itemsize))


def evaluate_rows(
    f: CountedFunction,
    m: int,
    n: int,
    rows: Callable[[int, int], np.ndarray],
    *,
    itemsize: int = 8,
) -> np.ndarray:
    """Values of a vectorized ``f`` at ``m`` points, built and evaluated chunk by chunk.

    Parameters
    ----------
    f : CountedFunction
        The counted function; its ``batch`` is called once per chunk (counting each row).
    m, n : int
        Number of points and their dimension.
    rows : callable
        ``rows(start, stop)`` returns the points ``start`` to ``stop - 1`` as an array of shape
        ``(stop - start, n)`` (built fresh: ``f`` may keep or change it).
    itemsize : int, default 8
        Bytes per coordinate of the rows (16 for complex points).

    Returns
    -------
    numpy.ndarray, shape (m,)
        The values as ``f.batch`` returns them (their dtype kept), in row order.
    """
    size = rows_per_chunk(n, itemsize)
    if m <= size:
        return np.asarray(f.batch(rows(0, m)))
    parts = [np.asarray(f.batch(rows(start, min(start + size, m)))) for start in range(0, m, size)]
    return np.concatenate(parts)


def replaced_rows(
    x: np.ndarray, coords: np.ndarray, values: np.ndarray, start: int, stop: int
) -> np.ndarray:
    """Points ``start`` to ``stop - 1`` of the family "``x`` with ``x[coords[p]] = values[p]``".

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        The base point.
    coords : numpy.ndarray of int, shape (m,)
        The coordinate each point moves; a negative entry means the point is ``x`` itself.
    values : numpy.ndarray, shape (m,)
        The new value of that coordinate (real or complex; the rows take the common dtype).
    start, stop : int
        The rows to build.

    Returns
    -------
    numpy.ndarray, shape (stop - start, n)
        A fresh array.

    Examples
    --------
    >>> replaced_rows(np.zeros(2), np.array([-1, 0, 1]), np.array([0.0, 5.0, 6.0]), 0, 3)
    array([[0., 0.],
           [5., 0.],
           [0., 6.]])
    """
    dtype = np.result_type(x, values)
    rows = np.repeat(x[None, :].astype(dtype), stop - start, axis=0)
    c = coords[start:stop]
    moved = np.flatnonzero(c >= 0)
    rows[moved, c[moved]] = values[start:stop][moved]
    return rows


def replaced_points(x: np.ndarray, coords: np.ndarray, values: np.ndarray) -> Iterator[np.ndarray]:
    """The points of :func:`replaced_rows` one at a time, each a fresh 1-D array."""
    dtype = np.result_type(x, values)
    base = x.astype(dtype)
    for i, value in zip(coords.tolist(), values.tolist(), strict=True):
        point = base.copy()
        if i >= 0:
            point[i] = value
        yield point


def evaluate_replaced(
    f: CountedFunction,
    x: np.ndarray,
    coords: np.ndarray,
    values: np.ndarray,
    *,
    vectorized: bool,
    workers: Workers = 1,
) -> np.ndarray:
    """``f`` at every point of :func:`replaced_rows`, as a float array of shape ``(m,)``.

    A vectorized ``f`` gets the points in chunks within the budget (:func:`evaluate_rows`); else
    one call per point, each on a fresh array, in this process (``workers=1``) or as
    ``workers`` says (:mod:`methods.parallel`: a pool of processes, or a map-like callable).
    """
    if vectorized:
        rows = partial(replaced_rows, x, coords, values)
        return np.asarray(evaluate_rows(f, coords.size, x.size, rows), dtype=float)
    with MapWrapper(workers) as map_:
        return np.array(f.each(replaced_points(x, coords, values), map_), dtype=float)
