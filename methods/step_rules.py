"""Data-driven default steps for finite differences (docs/theory.md#data-driven-step-rules).

The unit-scale default step of :class:`~methods.finite_difference.FiniteDifference` assumes
``|f^(p+1)| ~ |f|``. The rules here look at ``f`` instead: each spends extra evaluations of ``f``
along coordinate i (through the same counted function, so they appear in ``nfev``) and returns
the step of that coordinate. Every rule starts from the unit-scale relative step ``h0``.

* ``"curtis-reid"`` (Curtis & Reid 1974): compare the stencil of order p with the next more
  accurate one of the same scheme; their difference estimates the truncation error ``T``, and
  ``R = noise max|f| / h`` the rounding error. Move h (``h <- h (aim / (T/R))^(1/(p+1))``) until
  ``T/R`` is in ``[10, 1000]`` (aim 100). Every scheme and order.
* ``"dumontet-vignes"`` (Dumontet & Vignes 1977): estimate ``f^(p+1)`` by a (p+1)-th difference
  at a pilot step k, chosen so that the rounding bound of that difference is between 1/3 and 7/8
  of its value (the paper's ratio of upper to lower bound in ``[2, 15]``); then take the error
  model's optimum ``h = (S noise |f| / (p |C| |f^(p+1)|))^(1/(p+1))``. The paper's case is the
  third difference for central(2); other orders use the (p+1)-th difference. Every scheme, order.
* ``"stepleman-winarsky"`` (Stepleman & Winarsky 1979): halve h from ``h0`` while the changes
  ``|D(h_{k+1}) - D(h_k)|`` of the estimate keep decreasing; stop at the first step where they
  do not and keep the last step before it. Every scheme and order.
* ``"gmsw"`` (Gill, Murray, Saunders & Wright 1983): the forward-difference interval
  ``h = 2 sqrt(noise / |Phi|)`` from a second-difference estimate ``Phi`` of ``f''`` taken at an
  interval where its relative cancellation error ``4 noise / (h^2 |Phi|)`` is in
  ``[0.001, 0.1]`` (moving h by factors of 10, at most 6 trials). Forward and backward order 1
  only.

* ``"mathur"`` (Mathur 2012, AutoDX as in the R package pnd's ``step.M``) and ``"kostyrka"``
  (Kostyrka 2025, pnd's ``step.K``): the truncation estimate on a grid of steps ``H 2^k`` and
  the slope of its logarithm; :mod:`methods.step_rules_recent`. Every scheme and order.

The error level of a value ``v`` of ``f`` is ``rel |v| + abs`` (:class:`Noise`): ``rel`` the
``noise`` argument of :func:`choose_steps` (default ``2**-52``, the rounding of a correctly
rounded ``f``), ``abs`` its ``abs_noise`` argument (the noise of f; the ``noise`` setting of
:class:`~methods.finite_difference.FiniteDifference`, :func:`noise_level`). The rules of
:data:`NOISE_RULES` use it (docs/theory.md#noise-in-the-step-rules).

``"guarded"`` (:data:`GUARDED`, the default of FiniteDifference) is not from the literature: the
relative step at the scheme's lowest order; at a higher order the relative step (halved above
order 4), divided by 4 until the estimate agrees with the lowest order's within their rounding
bounds (docs/theory.md#the-guarded-default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .batching import evaluate_rows
from .counting import CountedFunction
from .fornberg import error_model, float_stencil, optimal_step
from .step_rules_recent import kostyrka, mathur

__all__ = [
    "DATA_RULES",
    "GUARDED",
    "NOISE_RULES",
    "Noise",
    "check_rule_supports",
    "choose_steps",
    "model_step",
    "noise_level",
]

#: Step rules from the literature that look at f, each a value of ``step_rule``.
DATA_RULES = (
    "curtis-reid",
    "dumontet-vignes",
    "stepleman-winarsky",
    "gmsw",
    "mathur",
    "kostyrka",
)

#: Rules that use the noise level of f to choose the step (the others read it from the data
#: only, or, for Mathur and Kostyrka, in their fallback): docs/theory.md#noise-in-the-step-rules.
NOISE_RULES = ("curtis-reid", "dumontet-vignes", "gmsw", "guarded")

#: The default rule: the unit-scale step for the lowest order of a scheme; for higher orders the
#: unit-scale step of order p, divided by 4 until the estimate agrees with the lowest order's
#: (docs/theory.md#the-guarded-default).
GUARDED = "guarded"

#: Unit roundoff of IEEE-754 double precision, the default relative noise of f.
EPS = 2.0**-52

#: A step moves by at most this factor per iteration (guards against wild first estimates).
_MAX_MOVE = 100.0


@dataclass(frozen=True)
class Noise:
    """The error of one value ``v`` of f: ``rel |v| + abs`` (rounding plus the noise of f).

    Attributes
    ----------
    rel : float
        Relative rounding level (``2**-52`` for a correctly rounded f).
    abs : float
        Absolute noise level (standard deviation of the noise in f, units of f); 0 for a
        noise-free f.
    """

    rel: float = EPS
    abs: float = 0.0

    def of(self, value: float) -> float:
        """The error level of a value ``value`` of f (of 1 where f vanishes and has no noise)."""
        level = self.rel * abs(value) + self.abs
        return level if level > 0 else self.rel


def check_rule_supports(rule: str, scheme: str, order: int) -> None:
    """Raise a clear ValueError naming ``step_rule`` if ``rule`` cannot serve the stencil."""
    if rule == "gmsw" and not (scheme in ("forward", "backward") and order == 1):
        raise ValueError(
            f"`step_rule`='gmsw' chooses forward-difference intervals: it serves forward and "
            f"backward of order 1 only, got {scheme}(order={order}); use another step_rule."
        )


class _Line:
    """Values of ``f`` along coordinate ``i`` of ``x``: ``at(t)`` is f at ``x_i + t``."""

    def __init__(self, f: CountedFunction, x: np.ndarray, i: int, vectorized: bool) -> None:
        self.f, self.x, self.i, self.vectorized = f, x, i, vectorized

    def _rows(self, shifts: np.ndarray) -> np.ndarray:
        points = np.repeat(self.x[None, :], len(shifts), axis=0)
        points[:, self.i] = self.x[self.i] + shifts
        return points

    def at(self, shifts: np.ndarray) -> np.ndarray:
        shifts = np.asarray(shifts, dtype=float)
        with np.errstate(all="ignore"):
            if self.vectorized:  # (m, n) arrays within the memory budget, as the stencil
                rows = self._rows
                m, n = len(shifts), self.x.size
                y = evaluate_rows(self.f, m, n, lambda a, b: rows(shifts[a:b]))
                return np.asarray(y, dtype=float)
            return np.asarray(self.f.each(list(self._rows(shifts))), dtype=float)


def _stencil(scheme: str, deriv: int, accuracy: int) -> tuple[np.ndarray, np.ndarray]:
    offsets, weights = float_stencil(scheme, deriv, accuracy)
    return np.array(offsets), np.array(weights)


def _abs_weights(scheme: str, deriv: int, accuracy: int) -> float:
    """``sum_j |w_j|`` of a stencil: how much an error of 1 in each value moves ``h^m D``."""
    return float(np.sum(np.abs(_stencil(scheme, deriv, accuracy)[1])))


def _difference(
    line: _Line, scheme: str, deriv: int, accuracy: int, h: float
) -> tuple[float, float]:
    """``(estimate of f^(deriv), sum_j |w_j f_j| / h^deriv)`` from one stencil at step h."""
    s, w = _stencil(scheme, deriv, accuracy)
    v = line.at(s * h)
    with np.errstate(all="ignore"):
        return float(np.sum(w * v) / h**deriv), float(np.sum(np.abs(w * v)) / h**deriv)


def model_step(scheme: str, order: int, noise: float, derivative: float) -> float:
    """Error-model optimum ``(S noise / (p |C| |f^(p+1)|))^(1/(p+1))`` of a first derivative.

    Parameters
    ----------
    scheme : {"forward", "backward", "central"}
        Stencil shape.
    order : int
        Accuracy order p.
    noise : float
        Absolute rounding level of one value of f.
    derivative : float
        Estimate of ``f^(p+1)`` near x.

    Returns
    -------
    float

    Examples
    --------
    >>> h = model_step("central", 2, 2.0**-52, 1.0)  # unit scale: (3 eps)^(1/3)
    >>> round(h, 7)
    8.7e-06
    """
    em = error_model(scheme, 1, order)
    ratio = float(em.abs_weight_sum / (em.order * abs(em.truncation)))
    return (ratio * noise / abs(derivative)) ** (1.0 / (order + 1))


def _curtis_reid(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    better = order + (2 if scheme == "central" else 1)
    s_lo, w_lo = _stencil(scheme, 1, order)
    s_hi, w_hi = _stencil(scheme, 1, better)
    shifts = np.union1d(s_lo, s_hi)
    lo_at = np.searchsorted(shifts, s_lo)
    hi_at = np.searchsorted(shifts, s_hi)
    h = h0
    for _ in range(20):
        v = line.at(shifts * h)
        with np.errstate(all="ignore"):
            trunc = abs(np.sum(w_lo * v[lo_at]) - np.sum(w_hi * v[hi_at])) / h
            rounding = (noise.rel * max(float(np.max(np.abs(v))), 1.0e-300) + noise.abs) / h
        if not np.isfinite(trunc):
            h /= 10.0
            continue
        ratio = trunc / rounding
        if 10.0 <= ratio <= 1000.0:
            return h
        move = (100.0 / ratio) ** (1.0 / (order + 1)) if ratio > 0 else _MAX_MOVE
        if move > 1 and h >= _MAX_MOVE * h0:
            return h  # no truncation error worth balancing (a low-degree polynomial)
        h = min(h * min(max(move, 1.0 / _MAX_MOVE), _MAX_MOVE), _MAX_MOVE * h0)
    return h


def _dumontet_vignes(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    m = order + 1
    accuracy = 2 if scheme == "central" else 1
    f0 = float(line.at(np.zeros(1))[0])
    k, derivative = h0, math.nan
    for _ in range(20):
        value, spread = _difference(line, scheme, m, accuracy, k)
        # the difference moves by at most this when each f_j is rounded (and carries the noise)
        bound = noise.rel * spread + noise.abs * _abs_weights(scheme, m, accuracy) / k**m
        if not np.isfinite(value):
            k /= 10.0
            continue
        derivative = value
        r = bound / abs(value) if value != 0 else math.inf
        if 1.0 / 3.0 <= r <= 7.0 / 8.0:  # upper/lower bound ratio (1+r)/(1-r) in [2, 15]
            break
        # r falls like k^-m while the difference is dominated by f^(m): aim at r = 0.6
        move = (r / 0.6) ** (1.0 / m) if np.isfinite(r) else 10.0
        k *= min(max(move, 1.0 / _MAX_MOVE), _MAX_MOVE)
    if not np.isfinite(derivative) or derivative == 0:
        return h0  # a polynomial of degree <= p, or no finite value: the unit-scale step
    return model_step(scheme, order, noise.of(f0), derivative)


def _stepleman_winarsky(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    h = h0
    previous = _difference(line, scheme, 1, order, h)[0]
    change = math.inf
    for _ in range(30):
        current = _difference(line, scheme, 1, order, h / 2.0)[0]
        if not np.isfinite(previous):  # not yet a finite estimate: keep shrinking
            h, previous = h / 2.0, current
            continue
        new_change = abs(current - previous)
        if not new_change < change:  # the changes stopped decreasing monotonically
            return h
        h, previous, change = h / 2.0, current, new_change
    return h


def _gmsw(line: _Line, h0: float, scheme: str, order: int, level: Noise) -> float:
    f0 = float(line.at(np.zeros(1))[0])
    noise = level.of(f0)
    x = abs(float(line.x[line.i]))
    hbar = 2.0 * (1.0 + x) * math.sqrt(noise / (1.0 + abs(f0)))
    h, accepted, last = 10.0 * hbar, math.nan, math.nan
    direction = 0
    for _ in range(6):
        fp, fm = line.at(np.array([h, -h]))
        with np.errstate(all="ignore"):
            phi = (fp - 2.0 * f0 + fm) / (h * h)
            c_phi = 4.0 * noise / (h * h * abs(phi))
            c_fb = 2.0 * noise / min(abs(fp - f0), abs(f0 - fm))
        if not np.isfinite(phi):
            h /= 10.0
            continue
        last = phi
        if 1e-3 <= c_phi <= 0.1 and c_fb <= 0.1:
            accepted = phi
            break
        step = 10.0 if c_phi > 0.1 or c_fb > 0.1 else 0.1
        if direction and step != direction:  # bracketed: keep the last good estimate
            accepted = phi if c_phi <= 0.1 else last
            break
        direction, h = step, h * step
    phi = accepted if np.isfinite(accepted) else last
    if not np.isfinite(phi) or phi == 0:
        return hbar
    return 2.0 * math.sqrt(noise / abs(phi))


def _guarded(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    lowest = 2 if scheme == "central" else 1
    if order == lowest:
        return h0  # the reference order keeps its unit-scale step: no extra evaluation
    scale = h0 / optimal_step(scheme, 1, order)  # max(1, |x_i|)
    h_low = optimal_step(scheme, 1, lowest) * scale
    d_low, spread_low = _difference(line, scheme, 1, lowest, h_low)
    # a margin above order 4: the unit-scale optimum of a high order sits where its truncation
    # error climbs like h^p; halving it costs 2x rounding (benchmarks/step_rules.py, log-large)
    h = h0 / 2.0 if order > 4 else h0
    while h > h_low:
        d, spread = _difference(line, scheme, 1, order, h)
        if np.isfinite(d) and (
            not np.isfinite(d_low)
            or abs(d - d_low)
            <= 10.0 * noise.rel * (spread_low + spread)
            + 10.0
            * noise.abs
            * (_abs_weights(scheme, 1, lowest) / h_low + _abs_weights(scheme, 1, order) / h)
        ):
            return h
        h /= 4.0
    return h_low


def noise_level(
    noise: float | str | None, f: CountedFunction, x: np.ndarray, vectorized: bool = False
) -> float:
    """The absolute noise level of f for :func:`choose_steps` from a ``noise`` setting.

    ``None`` is 0 (rounding only); a number is itself; ``"ecnoise"`` estimates it at ``x`` with
    ECnoise (:func:`methods.ecnoise.estimate_noise`, through ``f`` so its evaluations are
    counted) and is 0 when ECnoise detects no noise.
    """
    if noise is None:
        return 0.0
    if not isinstance(noise, str):
        return float(noise)
    from .ecnoise import estimate_noise

    one = (lambda z: f.batch(np.asarray(z, dtype=float)[None, :])[0]) if vectorized else f
    est = estimate_noise(one, x)
    return float(est.noise) if est.detected else 0.0


_RULES: dict[str, Callable[[_Line, float, str, int, Noise], float]] = {
    "curtis-reid": _curtis_reid,
    "dumontet-vignes": _dumontet_vignes,
    "stepleman-winarsky": _stepleman_winarsky,
    "gmsw": _gmsw,
    "mathur": mathur,
    "kostyrka": kostyrka,
    "guarded": _guarded,
}


def choose_steps(
    rule: str,
    f: CountedFunction,
    x: np.ndarray,
    scheme: str,
    order: int,
    h0: np.ndarray,
    noise: float | None = None,
    vectorized: bool = False,
    abs_noise: float = 0.0,
) -> np.ndarray:
    """Steps of every coordinate chosen by the data-driven ``rule`` (one of :data:`DATA_RULES`).

    Parameters
    ----------
    rule : str
        One of :data:`DATA_RULES`.
    f : CountedFunction
        The counted function: every evaluation the rule spends is counted in ``f.nfev``.
    x : numpy.ndarray
        The point, shape ``(n,)``.
    scheme, order
        The stencil the steps are for.
    h0 : numpy.ndarray
        Starting steps, shape ``(n,)`` (the unit-scale relative default); with ``abs_noise``
        they are widened by ``(1 + abs_noise / noise)^(1/(p+1))``.
    noise : float, optional
        Relative rounding level of a value of f (default ``2**-52``).
    vectorized : bool, default False
        Whether ``f`` is vectorized: the probes are then evaluated as ``(m, n)`` arrays (within
        the memory budget of :mod:`methods.batching`), else one point per call.
    abs_noise : float, default 0
        Absolute noise level of a value of f (standard deviation, units of f), added to the
        rounding ``noise |f|`` by the rules of :data:`NOISE_RULES`
        (docs/theory.md#noise-in-the-step-rules).

    Returns
    -------
    numpy.ndarray
        Positive finite steps, shape ``(n,)`` (not yet made representable at ``x``).
    """
    check_rule_supports(rule, scheme, order)
    run = _RULES[rule]
    level = Noise(EPS if noise is None else float(noise), float(abs_noise))
    # with noise, start from the unit-scale optimum for that noise (|f| ~ 1): the error model
    # widens the step by (1 + abs_noise / noise)^(1/(p+1)) (docs/theory.md#noise-in-the-step-rules)
    h0 = np.asarray(h0, dtype=float) * (1.0 + level.abs / level.rel) ** (1.0 / (order + 1))
    x = np.array(x, dtype=float)
    h = np.array(
        [run(_Line(f, x, i, vectorized), float(h0[i]), scheme, order, level) for i in range(x.size)]
    )
    bad = ~(np.isfinite(h) & (h > 0))
    h[bad] = h0[bad]  # never worse than no rule at all
    # a polynomial of low degree has no truncation error to balance, and a step far below the
    # unit-scale one only buys rounding error (or vanishes in x + h): keep within
    # [h0 / 100^4, 100 h0]
    h = np.clip(h, h0 / _MAX_MOVE**4, _MAX_MOVE * h0)
    return h
