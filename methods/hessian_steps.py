"""The data-driven default step of finite-difference Hessians (docs/theory.md#hessian-steps).

The a-priori step of a second derivative, ``h* = (2 S eps / (p |C|))^(1/(p+2)) max(1, |x_i|)``,
assumes ``|f^(p+2)| ~ |f|``; on the Hessian problems of the battery the best step is up to three
decades away from it, either way. Under the default ``step_rule="guarded"`` the Hessian of
:class:`~methods.finite_difference.FiniteDifference` instead balances estimated truncation and
rounding, in the manner of Curtis & Reid (1974), on whole Hessians at relative steps
``h_i = t max(1, |x_i|)``:

1. At the relative step ``t`` (first the a-priori one) the Hessian is estimated at ``t`` and
   ``2t``. Entry by entry, their difference divided by ``2^p - 1`` estimates the truncation
   error ``T`` of the estimate at ``t`` (the leading term ``C h^p``), and its part above
   :data:`_SIGNIFICANT` times the two rounding errors the truncation that rounding cannot
   explain. The rounding error of an entry is ``eps sqrt(sum (w f)^2) / (h_i h_j)`` (plus
   ``noise sqrt(sum w^2) / (h_i h_j)``) from the values of f its stencil used: rounding errors
   of different values are independent, so they add in quadrature, not in absolute value.
2. Entry by entry, the error at ``s = v t`` is modelled as ``T v^p + A / v^2 + B``: rounding
   ``A / v^2`` from values of f of the size of ``f(x)``, and ``B`` from values that grow like
   ``h^2`` (a quadratic far from its minimum, as along the mean of a log-likelihood), fitted to
   the rounding errors at ``t`` and ``2t``. The next ``t`` minimizes the largest entry error of
   the model (moved by at most 100x, kept within ``[t0 / 10^4, 0.1]``); with no truncation above
   rounding it moves 100x up. A non-finite estimate moves ``t`` down 10x. Stop when the move is
   less than 1.5x, or after :data:`MAX_ROUNDS` rounds.
3. When the search stopped early and the model expects the Hessian at the balance it stopped
   near to have at most half the smallest error estimated so far, that Hessian is evaluated too
   (a move below 1.5x is up to ``1.5^p`` in truncation: 11x at p = 6).
4. The result is the estimate, among all evaluated, with the smallest estimated error: the
   model with the whole difference as truncation (at ``t``: the difference over ``2^p - 1`` plus
   the rounding; at ``2t``: ``2^p`` times that plus the rounding there). No Hessian is evaluated
   twice, and there are at most ``2 MAX_ROUNDS`` of them.

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

#: Points per factor 2 of the grid on which the error model is minimized.
_GRID = 16

#: The search evaluates one Hessian more, at the balance it settled near, when the error model
#: expects that to divide the smallest estimated error so far by at least this much.
_FINER_GAIN = 2.0


@dataclass(frozen=True)
class HessianTrial:
    """One evaluated Hessian of the search: its relative step, steps, value, estimated error."""

    t: float
    h: np.ndarray
    value: np.ndarray
    error: float


#: ``evaluate(t) -> (h, value, rounding)``: the Hessian at relative step t, the steps used and
#: the rounding error of each entry (absolute, units of the Hessian; a float: every entry).
Evaluate = Callable[[float], tuple[np.ndarray, np.ndarray, "np.ndarray | float"]]


class _Model:
    """Entry by entry error of the Hessian at ``s = v t``, from a round at ``t`` and ``2t``.

    Truncation is ``T v^p``; rounding ``A / v^2 + B``, with ``A`` and ``B`` fitted to the
    rounding estimates ``r1`` at ``t`` and ``r2`` at ``2t`` (``A``: values of f of about the size
    of ``f(x)``; ``B``: values that grow like ``h^2``, as a quadratic far from its minimum).
    """

    def __init__(self, trunc: np.ndarray, r1: np.ndarray, r2: np.ndarray, order: int) -> None:
        self.a = np.maximum((r1 - r2) * (_Q**2 / (_Q**2 - 1.0)), 0.0).ravel()[:, None]
        self.b = np.maximum(r1.ravel()[:, None] - self.a, 0.0)
        self.trunc = np.ravel(trunc)[:, None]
        self.order = order

    def error(self, v: np.ndarray, trunc: np.ndarray | None = None) -> np.ndarray:
        """The largest modelled entry error at each move ``v`` (``trunc``: another ``T``)."""
        c = self.trunc if trunc is None else np.ravel(trunc)[:, None]
        with np.errstate(all="ignore"):
            return np.max(c * v**self.order + self.a / v**2 + self.b, axis=0, initial=0.0)

    def balance(self, low: float, high: float) -> float:
        """The move in ``[low, high]`` of smallest modelled error (ties: the larger move).

        Minimized on a grid of :data:`_GRID` moves per factor 2.
        """
        if not np.any(self.trunc > 0):  # no truncation above rounding: as large as allowed
            return high
        lo, hi = math.log2(low), math.log2(high)
        v = 2.0 ** np.linspace(lo, hi, max(2, int(round((hi - lo) * _GRID)) + 1))
        e = self.error(v)
        return float(v[np.flatnonzero(e == np.min(e))[-1]])


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
        r1, r2 = (
            np.broadcast_to(np.asarray(r, float), np.shape(v)) for r, v in ((r1, v1), (r2, v2))
        )
        finite = all(bool(np.all(np.isfinite(a))) for a in (v1, v2, r1, r2))
        if not finite:
            e1 = math.inf if not np.all(np.isfinite(v1)) else math.nan
            trials += [HessianTrial(t, h1, v1, e1), HessianTrial(_Q * t, h2, v2, math.inf)]
            new = max(t / 10.0, bottom)
        else:
            with np.errstate(all="ignore"):
                # the change bounds the truncation error from above (the error estimate); only
                # its part that rounding cannot explain shows truncation (the move)
                change = np.abs(v2 - v1)
                raw = change / (_Q**order - 1.0)
                trunc = np.maximum(change - _SIGNIFICANT * (r1 + r2), 0.0) / (_Q**order - 1.0)
            model = _Model(trunc, r1, r2, order)
            trials += [
                HessianTrial(t, h1, v1, float(model.error(np.array([1.0]), raw)[0])),
                HessianTrial(_Q * t, h2, v2, float(model.error(np.array([_Q]), raw)[0])),
            ]
            low = max(1.0 / _MAX_MOVE, bottom / t)
            high = max(min(_MAX_MOVE, top / _Q / t), low)
            new = t * model.balance(low, high)
        if not 1.0 / _SETTLED < new / t < _SETTLED and new != t:
            t = new
            continue
        if finite and new != t and len(trials) < 2 * MAX_ROUNDS:
            expected = float(model.error(np.array([new / t]), raw)[0])
            if expected * _FINER_GAIN < min(tr.error for tr in trials if not math.isnan(tr.error)):
                h3, v3, _ = evaluate(new)
                expected = expected if np.all(np.isfinite(v3)) else math.inf
                trials.append(HessianTrial(new, h3, v3, expected))
        break
    errors = np.array([tr.error for tr in trials])
    usable = np.where(np.isnan(errors), np.inf, errors)
    if np.all(np.isinf(usable)):  # nothing finite: the first estimate, as the a-priori rule
        return trials, 0
    return trials, int(np.argmin(usable))
