"""Sparse Jacobians: a sparsity pattern, Curtis-Powell-Reid column groups, and decompression.

Two columns of a Jacobian are *structurally independent* when no row has a non-zero in both.
Perturbing every column of such a group at once costs one evaluation per stencil point instead of
one per column and per point, and each row still sees only one perturbed variable that matters to
it, so the compressed differences decompress exactly into the entries of the pattern (Curtis,
Powell & Reid, J. Inst. Math. Appl. 13 (1974) 117-119). :func:`color_columns` forms the groups
greedily, column by column in their natural order, each column taking the first group none of its
row-neighbours is in: 3 groups for a tridiagonal pattern of any size.

Examples
--------
>>> import numpy as np
>>> pattern = check_sparsity(np.eye(5, dtype=bool) | np.eye(5, k=1, dtype=bool)
...                          | np.eye(5, k=-1, dtype=bool), 5)
>>> color_columns(pattern, 5).tolist()
[0, 1, 2, 0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Pattern",
    "check_sparsity",
    "color_columns",
    "seeds",
    "decompress",
    "restrict_to_pattern",
]


@dataclass(frozen=True)
class Pattern:
    """The structure of an ``(m, n)`` Jacobian: where its entries may be non-zero.

    Attributes
    ----------
    csr : scipy.sparse.csr_matrix
        Boolean matrix, True at every structural non-zero (sorted indices, no duplicates).
    """

    csr: sp.csr_matrix

    @property
    def shape(self) -> tuple[int, int]:
        """``(m, n)``."""
        return self.csr.shape  # type: ignore[return-value]


def check_sparsity(sparsity: Any, n: int) -> Pattern:
    """Check a sparsity pattern for a Jacobian with ``n`` columns; return it as a :class:`Pattern`.

    Parameters
    ----------
    sparsity : array_like of bool or scipy.sparse matrix/array, shape (m, n)
        True (or a stored entry) wherever the Jacobian may be non-zero. A sparse matrix's stored
        entries are the structure, whatever their values.
    n : int
        Number of variables (columns).

    Returns
    -------
    Pattern

    Raises
    ------
    TypeError, ValueError
        Naming ``sparsity``: not boolean, not 2-D, or not ``n`` columns.
    """
    if sp.issparse(sparsity):
        csr = sp.csr_matrix(sparsity, copy=True)
        csr.sum_duplicates()
        csr.data = np.ones(csr.nnz, dtype=bool)
    else:
        try:
            arr = np.asarray(sparsity)
        except Exception as exc:  # ragged nested sequences
            raise ValueError(f"`sparsity` must be a 2-D boolean array: {exc}") from None
        if arr.dtype.kind != "b":
            raise TypeError(
                "`sparsity` must be a boolean array or a scipy.sparse matrix, got dtype "
                f"{arr.dtype}; pass `pattern != 0` for a numeric one."
            )
        if arr.ndim != 2:
            raise ValueError(f"`sparsity` must be 2-D (shape (m, n)), got shape {arr.shape}.")
        csr = sp.csr_matrix(arr)
    if csr.ndim != 2 or csr.shape[1] != n:
        raise ValueError(
            f"`sparsity` must have shape (m, {n}) for x of {n} coordinates, got shape {csr.shape}."
        )
    if csr.shape[0] == 0:
        raise ValueError("`sparsity` must have at least one row.")
    csr.sort_indices()
    return Pattern(csr)


def color_columns(pattern: Pattern | None, n: int) -> np.ndarray:
    """Curtis-Powell-Reid groups of structurally independent columns (greedy, natural order).

    Parameters
    ----------
    pattern : Pattern or None
        None for a dense Jacobian.
    n : int
        Number of columns.

    Returns
    -------
    numpy.ndarray of int, shape (n,)
        The group of each column, numbered 0, 1, ...; no two columns of a group share a row.
        A dense pattern gives every column its own group.
    """
    if pattern is None:
        return np.arange(n)
    csr = pattern.csr
    csc = csr.tocsc()
    colors = np.full(n, -1, dtype=np.int64)
    for j in range(n):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        taken: set[int] = set()
        for i in rows:
            taken.update(colors[csr.indices[csr.indptr[i] : csr.indptr[i + 1]]].tolist())
        c = 0
        while c in taken:
            c += 1
        colors[j] = c
    return colors


def seeds(colors: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """The ``(n, g)`` seeds: column ``c`` holds ``scale_j`` at each column ``j`` of group c."""
    n = colors.size
    out = np.zeros((n, int(colors.max()) + 1))
    out[np.arange(n), colors] = 1.0 if scale is None else scale
    return out


def decompress(
    compressed: np.ndarray,
    pattern: Pattern | None,
    colors: np.ndarray,
    scale: np.ndarray | None = None,
) -> np.ndarray | sp.csr_matrix:
    """The Jacobian from its compressed columns.

    Parameters
    ----------
    compressed : numpy.ndarray, shape (m, g)
        Column ``c`` is the derivative along the seed of group ``c`` (for differences: the
        weighted sum of values, not yet divided by the steps).
    pattern : Pattern or None
        None for a dense Jacobian.
    colors : numpy.ndarray, shape (n,)
        From :func:`color_columns`.
    scale : numpy.ndarray, shape (n,), optional
        Divide column ``j`` by ``scale_j`` (the step of variable j).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_matrix
        Dense ``(m, n)`` for a dense pattern, else CSR with the pattern's structure.
    """
    if pattern is None:
        out = compressed[:, colors]
        return out if scale is None else out / scale[None, :]
    csr = pattern.csr
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    cols = csr.indices
    data = compressed[rows, colors[cols]]
    if scale is not None:
        data = data / scale[cols]
    return sp.csr_matrix((data, cols.copy(), csr.indptr.copy()), shape=csr.shape)


def restrict_to_pattern(value: np.ndarray, pattern: Pattern) -> sp.csr_matrix:
    """A dense ``(m, n)`` Jacobian as CSR with the pattern's structure (for methods that compute
    every entry anyway: AD, symbolic and library peers; the pattern saves them nothing).

    Raises ``ValueError`` naming ``sparsity`` if the shapes differ.
    """
    value = np.asarray(value, dtype=float)
    if value.shape != pattern.shape:
        raise ValueError(
            f"`sparsity` has shape {pattern.shape}, but the Jacobian has shape {value.shape}."
        )
    return decompress(value, pattern, np.arange(value.shape[1]))
