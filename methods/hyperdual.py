"""The ``hyper-dual`` method: exact first and second derivatives from hyper-dual numbers.

Hyper-dual numbers (Fike & Alonso, AIAA 2011-886; :mod:`methods.hyperdual_numbers`) carry the
value, two sets of first-order parts and their mixed second-order parts through every operation
of ``f``, so second derivatives come out exact up to the rounding of the program's own operations,
with no step and no subtractive cancellation.

Costs (evaluations of ``f`` on hyper-dual arguments):

* gradient and Jacobian: 1 (``e1`` seeded with the identity, or with the column groups of a
  sparsity pattern; no ``e2`` directions);
* Hessian: a few, 2 up to ``n ~ 64`` and 4 at ``n = 100`` for a function whose intermediates
  have ``n`` elements. An evaluation covers a block of rows ``a..b-1``: it seeds ``e1`` with
  their directions and ``e2`` with columns ``a..n-1`` (vector parts on both sides), so one call
  of ``f`` gives the whole block (its upper triangle is kept). Row 0 goes first, alone: it
  records the largest intermediate value ``f`` makes
  (:func:`~methods.hyperdual_numbers.largest_value_size`), and the other rows follow in blocks
  whose ``e12`` parts (8 bytes x that size x rows x columns) fit :data:`HESSIAN_BLOCK_BYTES`
  (2 MiB, cache-sized) and :func:`methods.batching.max_batch_bytes` (64 MiB by default); later
  blocks have fewer columns, so they take more rows. A function that forms ``n x n``
  intermediates gets smaller blocks. The work is numpy's on float arrays; zero parts
  (constants, the seeds' ``e12``) cost nothing. The upper triangle is mirrored, so the result
  is symmetric by construction;
* second derivative of a scalar function: 1.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .batching import max_batch_bytes
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction, FunctionEvaluationError
from .forward_mode import forward_jacobian
from .hyperdual_numbers import (
    SUPPORTED_FUNCTIONS,
    SUPPORTED_UFUNCS,
    HyperDual,
    _zeros,
    largest_value_size,
)
from .registry import register

__all__ = [
    "HyperDualNumbers",
    "HyperDual",
    "SUPPORTED_UFUNCS",
    "SUPPORTED_FUNCTIONS",
    "HESSIAN_BLOCK_BYTES",
]

#: Largest ``e12`` part (bytes) of one intermediate value in a Hessian evaluation (or the budget
#: of :func:`methods.batching.max_batch_bytes` if smaller): blocks of rows that keep ``f``'s
#: temporaries near the cache are faster than one block of all rows (Rosenbrock at n = 100:
#: 4 evaluations in about 25-40 ms against 2 in 55-70 ms, measured).
HESSIAN_BLOCK_BYTES = 2 * 2**20


@register
class HyperDualNumbers(Method):
    """Exact gradients, Jacobians, Hessians and second derivatives from hyper-dual numbers.

    ``f`` must be written with operations hyper-dual numbers support (the same as dual numbers:
    arithmetic, comparisons, the numpy ufuncs in :data:`SUPPORTED_UFUNCS` and functions in
    :data:`SUPPORTED_FUNCTIONS`; SymPy expressions lambdified for numpy work). A Hessian costs
    a few evaluations (blocks of rows within a memory budget, see :mod:`methods.hyperdual`). A
    non-finite value of ``f`` makes the estimate NaN, with the counting wrapper's
    ``RuntimeWarning`` naming ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda a, b: a**2 * np.exp(b))
    >>> est = get_method("hyper-dual").hessian(f, [1.5, 0.0])
    >>> est.value.tolist(), est.nfev
    ([[2.0, 3.0], [3.0, 2.25]], 2)
    >>> get_method("hyper-dual").derivative(np.cos, 0.0, deriv=2).value
    -1.0
    """

    name: ClassVar[str] = "hyper-dual"
    family: ClassVar[Family] = Family.FORWARD_AD
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXACT
    kind: ClassVar[str] = "exact"
    needs: ClassVar[frozenset[str]] = frozenset({"dual"})
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    max_deriv: ClassVar[int] = 2

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        n = x.size
        y = self._scalar(f(HyperDual(x, np.eye(n), np.zeros((n, 0)), np.zeros((n, n, 0)))), n, 0)
        return RawResult(value=y.e1.reshape(n))

    def _jacobian(self, f: CountedFunction, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        n = x.size

        def seeded(v: np.ndarray) -> HyperDual:
            return HyperDual(x, v, np.zeros((n, 0)), np.zeros((n, v.shape[1], 0)))

        return RawResult(value=forward_jacobian(f, x, pattern, seeded))

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        n = x.size
        value = np.zeros((n, n))
        with largest_value_size() as largest:  # row 0 alone: how large f's intermediates get
            self._hessian_rows(f, x, 0, 1, value)
        width = max(largest[0], n, 1)
        start = 1
        while start < n:  # the other rows, as many per evaluation as the memory budget allows
            budget = min(max_batch_bytes(), HESSIAN_BLOCK_BYTES)
            rows = max(1, budget // (8 * width * (n - start)))
            stop = min(start + rows, n)
            self._hessian_rows(f, x, start, stop, value)
            start = stop
        lower = np.arange(n)[:, None] > np.arange(n)[None, :]
        return RawResult(value=np.where(lower, value.T, value))  # the upper triangle, mirrored

    def _hessian_rows(
        self, f: CountedFunction, x: np.ndarray, start: int, stop: int, value: np.ndarray
    ) -> None:
        """Rows ``start`` to ``stop - 1`` of the Hessian from their upper-triangular part, in one
        evaluation: ``e1`` seeds those rows' directions, ``e2`` columns ``start`` to ``n - 1``."""
        n = x.size
        eye = np.eye(n)
        p, q = stop - start, n - start
        seed = HyperDual(x, eye[:, start:stop], eye[:, start:], _zeros((n, p, q)))
        y = self._scalar(f(seed), p, q)
        value[start:stop, start:] = y.e12.reshape(p, q)

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        seed = HyperDual(x, np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1, 1)))
        y = self._scalar(f(seed), 1, 1)
        return RawResult(value=y.e12.reshape(1))

    def _scalar(self, y: Any, p: int, q: int) -> HyperDual:
        """``f``'s value as a scalar hyper-dual (a constant has zero parts; NaN if not finite)."""
        if isinstance(y, HyperDual):
            if y.size != 1:
                raise FunctionEvaluationError(
                    f"{self.label}: f must return a scalar hyper-dual number, got value shape "
                    f"{y.shape}."
                )
            y = y.reshape(())
        elif isinstance(y, numbers.Real | np.ndarray) and np.size(y) == 1:
            if isinstance(y, bool | np.bool_):
                raise FunctionEvaluationError(f"{self.label}: f returned a boolean.")
            y = HyperDual.constant(float(np.reshape(y, ())), p, q)
        else:
            raise FunctionEvaluationError(
                f"{self.label}: f must return a real scalar (a hyper-dual number when called "
                f"with hyper-dual numbers), got {type(y).__name__}: {y!r:.200}."
            )
        if not np.isfinite(y.value):  # the counting wrapper warned, naming x
            nan = np.full(y.e1.shape, np.nan)
            return HyperDual(np.nan, nan, np.full(y.e2.shape, np.nan), np.full(y.e12.shape, np.nan))
        return y
