"""Error metrics between a gradient estimate and the exact gradient.

The metric, used everywhere in diffbench::

    absolute = max_i |estimate_i - truth_i|
    relative = absolute / max_i |truth_i|     if the true gradient is non-zero
             = absolute                       if it is exactly zero

A NaN anywhere in the estimate makes both NaN (a failed method is never scored as accurate). There
is no division by zero and no ``+1e-16`` padding: at a zero gradient the relative error simply
falls back to the absolute one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from methods.estimate import Estimate

__all__ = ["gradient_error", "pointwise_errors", "matrix_error", "asymmetry"]


def _real_array(a: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged sequences
        raise ValueError(f"`{name}` must be an array of real numbers: {exc}") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"`{name}` must be real, got complex values.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be real numbers, got dtype {arr.dtype}.")
    return arr.astype(float)


def gradient_error(estimate: Estimate | Any, truth: Any) -> tuple[float, float]:
    """Absolute and relative error of a gradient estimate.

    ``absolute = max_i |estimate_i - truth_i|``. ``relative = absolute / max_i |truth_i|`` when
    the true gradient is non-zero, else the absolute error (a zero gradient has no scale to
    divide by). Both are NaN if any coordinate of the estimate is NaN; an infinite estimate gives
    infinite errors.

    Parameters
    ----------
    estimate : Estimate, array_like of shape (n,) or float
        The estimate; for an :class:`methods.Estimate` its ``value`` is used.
    truth : array_like of shape (n,) or float
        The exact gradient (finite).

    Returns
    -------
    (float, float)
        ``(absolute, relative)``.

    Examples
    --------
    >>> gradient_error([1.0, 2.0], [1.0, 2.5])
    (0.5, 0.2)
    >>> gradient_error([1e-9], [0.0])  # zero truth: the relative error is the absolute one
    (1e-09, 1e-09)
    """
    value = estimate.value if isinstance(estimate, Estimate) else estimate
    est = np.atleast_1d(_real_array(value, "estimate"))
    tru = np.atleast_1d(_real_array(truth, "truth"))
    if est.ndim != 1 or tru.ndim != 1:
        raise ValueError(
            f"`estimate` and `truth` must be gradients of shape (n,), got {est.shape} and "
            f"{tru.shape}; use pointwise_errors for many points."
        )
    if est.shape != tru.shape:
        raise ValueError(f"`estimate` has shape {est.shape} but `truth` has shape {tru.shape}.")
    if est.size == 0:
        raise ValueError("`estimate` must not be empty.")
    if not np.all(np.isfinite(tru)):
        raise ValueError(f"`truth` must be finite, got {tru}.")
    if np.any(np.isnan(est)):
        return float("nan"), float("nan")
    absolute = float(np.max(np.abs(est - tru)))
    scale = float(np.max(np.abs(tru)))
    relative = absolute / scale if scale > 0 else absolute
    return absolute, relative


def pointwise_errors(estimate: Any, truth: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gradient_error` at each of m points, vectorized (for grids).

    Parameters
    ----------
    estimate : array_like, shape (m, n) or (m,)
        One gradient estimate per row; a 1-D array is m points of a 1-D problem.
    truth : array_like, same shape
        The exact gradients (finite).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Absolute and relative errors, each of shape ``(m,)``, with the same rules per row as
        :func:`gradient_error` (NaN rows give NaN, zero-gradient rows use the absolute error).

    Examples
    --------
    >>> pointwise_errors([[1.0, 2.0], [0.5, 0.0]], [[1.0, 2.5], [0.0, 0.0]])
    (array([0.5, 0.5]), array([0.2, 0.5]))
    """
    est = _real_array(estimate, "estimate")
    tru = _real_array(truth, "truth")
    if est.ndim == 1:
        est = est[:, None]
    if tru.ndim == 1:
        tru = tru[:, None]
    if est.ndim != 2 or est.shape != tru.shape:
        raise ValueError(
            f"`estimate` and `truth` must both have shape (m, n), got {np.shape(estimate)} and "
            f"{np.shape(truth)}."
        )
    if est.shape[1] == 0:
        raise ValueError("`estimate` must have at least one coordinate per point.")
    if not np.all(np.isfinite(tru)):
        raise ValueError("`truth` must be finite.")
    with np.errstate(invalid="ignore"):  # inf - finite is fine; NaN rows are set below
        absolute = np.max(np.abs(est - tru), axis=1)
    absolute[np.any(np.isnan(est), axis=1)] = np.nan
    scale = np.max(np.abs(tru), axis=1)
    relative = absolute.copy()
    nonzero = scale > 0
    with np.errstate(over="ignore"):  # a subnormal true gradient gives an infinite relative error
        np.divide(absolute, scale, out=relative, where=nonzero)
    return absolute, relative


def _dense(a: Any, name: str) -> np.ndarray:
    value = a.value if isinstance(a, Estimate) else a
    if hasattr(value, "toarray"):  # scipy.sparse
        value = value.toarray()
    return _real_array(value, name)


def matrix_error(estimate: Estimate | Any, truth: Any) -> tuple[float, float]:
    """Absolute and relative error of a matrix (Jacobian, Hessian) or scalar derivative estimate.

    The gradient metric over all entries: ``absolute = max_ij |estimate_ij - truth_ij|``,
    ``relative = absolute / max_ij |truth_ij|``, or the absolute error where the truth is all
    zero. Both are NaN if any entry of the estimate is NaN. A ``scipy.sparse`` estimate is
    compared as the dense matrix it stands for (its structural zeros are zeros).

    Parameters
    ----------
    estimate : Estimate, array_like, scipy.sparse matrix or float
    truth : array_like of the same shape, or float (finite)

    Returns
    -------
    (float, float)
        ``(absolute, relative)``.

    Examples
    --------
    >>> matrix_error([[1.0, 2.0], [0.0, 4.0]], [[1.0, 2.0], [0.1, 4.0]])
    (0.1, 0.025)
    """
    est = _dense(estimate, "estimate")
    tru = _dense(truth, "truth")
    if est.shape != tru.shape:
        raise ValueError(f"`estimate` has shape {est.shape} but `truth` has shape {tru.shape}.")
    if est.size == 0:
        raise ValueError("`estimate` must not be empty.")
    if not np.all(np.isfinite(tru)):
        raise ValueError("`truth` must be finite.")
    if np.any(np.isnan(est)):
        return float("nan"), float("nan")
    absolute = float(np.max(np.abs(est - tru)))
    scale = float(np.max(np.abs(tru)))
    return absolute, absolute / scale if scale > 0 else absolute


def asymmetry(matrix: Estimate | Any) -> float:
    """How far a square matrix is from symmetric: ``max |A - A^T| / max |A|`` (0 for A = 0).

    NaN if any entry is NaN.

    Examples
    --------
    >>> asymmetry([[2.0, 1.0], [1.5, 4.0]])
    0.125
    """
    a = _dense(matrix, "matrix")
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"`matrix` must be square, got shape {a.shape}.")
    if np.any(np.isnan(a)):
        return float("nan")
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    gap = float(np.max(np.abs(a - a.T))) if a.size else 0.0
    return gap / scale if scale > 0 else gap
