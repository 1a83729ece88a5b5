"""The data-driven default step of finite-difference Hessians (docs/theory.md#hessian-steps).

The a-priori step of a second derivative, ``h* = (2 S eps / (p |C|))^(1/(p+2)) max(1, |x_i|)``,
assumes ``|f^(p+2)| ~ |f|``; on the Hessian problems of the battery the best step is up to three
decades away from it, either way. Under the default ``step_rule="guarded"`` the Hessian of
:class:`~methods.finite_difference.FiniteDifference` instead balances estimated truncation and
rounding, in the manner of Curtis & Reid (1974), on whole Hessians at relative steps
``h_i = t max(1, |x_i|)``:

1. At the relative step ``t`` (first the a-priori one) the Hessian is estimated at ``t`` and
   ``2t``. Their largest entry difference, divided by ``2^p - 1``, estimates the truncation
   error ``T(t)`` of the estimate at ``t`` (the leading term ``C h^p``); the rounding error
   ``R(t)`` is the largest over entries of ``eps sum |w f| / (h_i h_j) + noise sum |w| / (h_i
   h_j)`` from the values of f the stencil used.
2. The error model ``T (s/t)^p + R (t/s)^2`` is smallest at ``s = t (2 R / (p T))^(1/(p+2))``;
   the next ``t`` is that (moved by at most 100x, and kept within ``[t0 / 10^4, 0.1]``). A
   non-finite difference moves ``t`` down 10x. Stop when the move is less than 2x, or after
   :data:`MAX_ROUNDS` rounds.
3. The result is the estimate, among all evaluated (at ``t`` with error ``T + R``, at ``2t``
   with ``2^p T + R / 4``), with the smallest estimated error: no Hessian is evaluated again.

Every evaluation goes through the counted function (it is in ``nfev``), through the same path
as the stencil (batches for a ``vectorized`` method), so values do not depend on the path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_ROUNDS", "TOP", "HessianTrial", "choose_hessian"]

#: Most rounds of the search (each evaluates the Hessian at two steps).
MAX_ROUNDS = 4

#: Largest relative step tried: a tenth of the coordinate's scale ``max(1, |x_i|)``.
TOP = 0.1

#: Smallest relative step tried, as a fraction of the a-priori one.
_BOTTOM = 1e-4

#: Largest move of the relative step per round.
_MAX_MOVE = 100.0

#: The search stops when the next step is within this factor of the last.
_SETTLED = 1.5

#: A change between the two estimates of a round shows truncation only where it exceeds this
#: many times their rounding bounds (f carries a few ulps of error, not one).
_SIGNIFICANT = 4.0

#: Ratio of the two steps of a round.
_Q = 2.0


@dataclass(frozen=True)
class HessianTrial:
    """One evaluated Hessian of the search: its relative step, steps, value, estimated error."""

    t: float
    h: np.ndarray
    value: np.ndarray
    error: float


#: ``evaluate(t) -> (h, value, rounding)``: the Hessian at relative step t, the steps used and
#: the largest rounding error of its entries (absolute, units of the Hessian).
Evaluate = Callable[[float], tuple[np.ndarray, np.ndarray, float]]


def _largest(a: np.ndarray) -> float:
    return float(np.max(a)) if a.size else 0.0


def choose_hessian(evaluate: Evaluate, t0: float, order: int) -> tuple[list[HessianTrial], int]:
    """Search the relative step of a Hessian of accuracy order ``order`` from ``t0``.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(t) -> (h, value, rounding)``: the Hessian at the relative step ``t``.
    t0 : float
        The a-priori relative step (> 0).
    order : int
        Accuracy order p of the stencils.

    Returns
    -------
    (list of HessianTrial, int)
        Every evaluated Hessian and the index of the one with the smallest estimated error.

    Examples
    --------
    >>> def evaluate(t):  # a Hessian whose error is 1e3 t^2 + 1e-16 / t^2
    ...     h = np.array([t])
    ...     return h, np.array([[2.0 + 1e3 * t * t]]), 1e-16 / t**2
    >>> trials, best = choose_hessian(evaluate, 1e-4, 2)
    >>> round(math.log10(trials[best].t), 1)  # the balance (1e-19)^(1/4) is 10^-4.75
    -4.7
    """
    top = max(TOP, t0)
    bottom = t0 * _BOTTOM
    trials: list[HessianTrial] = []
    t = t0
    for _ in range(MAX_ROUNDS):
        h1, v1, r1 = evaluate(t)
        h2, v2, r2 = evaluate(_Q * t)
        with np.errstate(all="ignore"):
            # the change bounds the truncation error from above (the error estimate); only its
            # part that rounding cannot explain shows truncation (the move)
            raw = _largest(np.abs(v2 - v1)) / (_Q**order - 1.0)
            seen = _largest(np.maximum(np.abs(v2 - v1) - _SIGNIFICANT * (r1 + r2), 0.0))
            trunc = seen / (_Q**order - 1.0)
        finite = bool(np.all(np.isfinite(v1)) and np.all(np.isfinite(v2)))
        if not finite or not math.isfinite(trunc):
            e1 = math.inf if not np.all(np.isfinite(v1)) else math.nan
            trials += [HessianTrial(t, h1, v1, e1), HessianTrial(_Q * t, h2, v2, math.inf)]
            new = max(t / 10.0, bottom)
        else:
            trials += [
                HessianTrial(t, h1, v1, raw + r1),
                HessianTrial(_Q * t, h2, v2, raw * _Q**order + r2),
            ]
            if trunc > 0 and r1 > 0:
                move = (2.0 * r1 / (order * trunc)) ** (1.0 / (order + 2))
            else:  # no truncation above rounding: larger; no rounding: smaller
                move = _MAX_MOVE if trunc == 0 else 1.0 / _MAX_MOVE
            new = min(max(t * min(max(move, 1.0 / _MAX_MOVE), _MAX_MOVE), bottom), top / _Q)
        if not 1.0 / _SETTLED < new / t < _SETTLED and new != t:
            t = new
            continue
        break
    errors = np.array([tr.error for tr in trials])
    usable = np.where(np.isnan(errors), np.inf, errors)
    if np.all(np.isinf(usable)):  # nothing finite: the first estimate, as the a-priori rule
        return trials, 0
    return trials, int(np.argmin(usable))
