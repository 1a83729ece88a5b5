"""Sums in a fixed order of elementwise operations: the same bits on every CPU.

A matrix product (``@``, ``np.dot``, ``tensordot``, ``einsum``) may go to BLAS or to SIMD loops
whose order of summation depends on the CPU, so the same stencil gave results differing in the
last bits from one machine to another (up to 20x in rows dominated by rounding). These helpers
add left to right, ``acc = t0; acc = acc + t1; ...``, one elementwise IEEE operation at a time,
which every CPU rounds alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ordered_sum", "weighted_sum"]


def ordered_sum(terms: np.ndarray) -> np.ndarray:
    """``terms[..., 0] + terms[..., 1] + ...`` added left to right along the last axis.

    An empty last axis sums to 0.

    Examples
    --------
    >>> ordered_sum(np.array([1e16, 1.0, -1e16])).item()  # (1e16 + 1) - 1e16, in that order
    0.0
    >>> ordered_sum(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [3.0, 7.0]
    """
    terms = np.asarray(terms)
    if terms.shape[-1] == 0:
        return np.zeros(terms.shape[:-1], dtype=terms.dtype)
    acc = terms[..., 0].copy()
    for j in range(1, terms.shape[-1]):
        acc = acc + terms[..., j]
    return acc


def weighted_sum(values: np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """``w0 * values[..., 0] + w1 * values[..., 1] + ...``, added left to right.

    Each product is one elementwise multiplication, then ``acc = acc + product`` in the order of
    ``weights``: what a plain-Python loop over the weights computes, bit for bit.

    Examples
    --------
    >>> weighted_sum(np.array([[1.0, 3.0]]), (-0.5, 0.5)).tolist()
    [1.0]
    """
    values = np.asarray(values)
    w = np.asarray(weights, dtype=float)
    if values.shape[-1] != w.size:
        raise ValueError(
            f"`weights` has {w.size} entries for a last axis of {values.shape[-1]} values."
        )
    return ordered_sum(values * w)
