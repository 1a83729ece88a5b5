"""The options of the kinds chooser that the gradient chooser has: noise, time limit, workers.

* **noise**: :func:`kind_noise_level` is the noise level of ``f`` (given, 0 for rounding only, or
  ECnoise's estimate, :func:`diffbench.chooser.noise_model.noise_level`; for a vector ``f`` the
  largest over its components). On a noisy ``f`` a noise-linear method's error at a step is
  ``hypot(measured, eps_f a(h) / |ref|)`` where ``a(h)`` (:func:`kind_amplification`) is the RMS of
  the method's estimate on synthetic noise of standard deviation 1 at that step: ``~ h^-k`` for
  a k-th derivative, so the reachable error of each method is limited by the noise.
* **time limit**: a :class:`~diffbench.chooser.running.Meter` counts the evaluations of ``f``
  against those the time limit buys at the measured cost of a call; the step sweeps run
  cheapest first; a candidate stopped by it, or whose sweep does not fit what is left, is
  listed as not measured, never ranked.
* **order**: the candidates are measured cheapest first (:func:`expected_evaluations`, counted on
  a stand-in for ``f``, :class:`StandIn`), as the gradient chooser's step sweeps; one whose
  expected evaluations exceed what the time limit leaves is not measured (it says how many it
  needed), and those after it still may be.
* **workers**: set on the candidates with a ``workers`` setting (labels and code without it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from methods import Method

from .noise_model import ECNOISE_EVALUATIONS, FLOOR_DRAWS, NoiseLevel, noise_level
from .running import PureNoise

__all__ = [
    "ScalarArgument",
    "StandIn",
    "expected_evaluations",
    "kind_amplification",
    "kind_noise_level",
    "with_workers",
]


class ScalarArgument:
    """``f`` (written for arrays of shape ``(1,)``) called with a scalar (picklable)."""

    def __init__(self, f: Callable) -> None:
        self.f = f

    def __call__(self, v: Any) -> Any:
        return self.f(np.atleast_1d(np.asarray(v, dtype=float)))


class _Component:
    """Component ``j`` of a vector-valued ``f``."""

    def __init__(self, f: Callable, j: int) -> None:
        self.f, self.j = f, j

    def __call__(self, x: Any) -> float:
        return float(np.asarray(self.f(x), dtype=float).reshape(-1)[self.j])


class _VectorNoise:
    """``m`` independent standard normal noises that depend only on the point and ``seed``."""

    def __init__(self, seed: int, m: int) -> None:
        self.parts = [PureNoise(seed * m + j) for j in range(m)]

    def __call__(self, x: Any) -> np.ndarray:
        return np.array([p(x) for p in self.parts])


def kind_noise_level(
    f: Callable, x: np.ndarray, y0: np.ndarray, given: float | None, remaining: float
) -> NoiseLevel:
    """The noise level of ``f`` at ``x`` (a vector ``f``: the noisiest of its components)."""
    if y0.ndim == 0:
        return noise_level(f, x, float(y0), given, remaining)
    levels = []
    for j in range(y0.size):
        levels.append(noise_level(_Component(f, j), x, float(y0[j]), given, remaining))
        remaining -= ECNOISE_EVALUATIONS * (given is None)
    return max(levels, key=lambda lv: (lv.noisy, lv.eps_f))


def kind_amplification(
    call: Callable[[Callable, Any], Any], m: int | None, step: Any, draws: int = FLOOR_DRAWS
) -> float:
    """RMS of the largest entry of ``call(noise, step)`` over ``draws`` draws of unit noise.

    ``call(g, step)`` computes the method's estimate of ``g``; ``m`` is the length of a vector
    ``f`` (None: scalar). NaN when the method fails on the noise.
    """
    values = []
    for k in range(draws):
        noise = PureNoise(k) if m is None else _VectorNoise(k, m)
        try:
            est = call(noise, step)
        except Exception:  # noqa: BLE001 - no floor for a method that fails on noise
            return float("nan")
        value = est.value.toarray() if hasattr(est.value, "toarray") else est.value
        values.append(np.asarray(value, dtype=float))
    return float(np.max(np.sqrt(np.mean(np.square(values), axis=0))))


class StandIn:
    """A cheap smooth stand-in for ``f``, to count a method's evaluations without calling ``f``.

    ``sum_i p(x_i)`` with ``p`` the degree-4 Taylor polynomial of ``exp(t) - 1`` (Horner, only
    ``+`` and ``*``: real, complex, dual and hyper-dual arguments alike), times ``1..m`` for a
    vector ``f`` of length ``m`` (None: scalar).

    Examples
    --------
    >>> float(StandIn(None)(np.zeros(3))), StandIn(2)(np.array([1.0])).tolist()
    (0.0, [1.7083333333333333, 3.4166666666666665])
    """

    def __init__(self, m: int | None) -> None:
        self.m = m

    def __call__(self, x: Any) -> Any:
        s = 0.0
        for k in range(len(x)):
            t = x[k]
            s = s + t * (1.0 + t * (0.5 + t * (1.0 / 6.0 + t * (1.0 / 24.0))))
        return s if self.m is None else np.array([s * (j + 1.0) for j in range(self.m)])


def expected_evaluations(
    call: Callable[[Callable, Any], Any], m: int | None, step: Any, sweep: int
) -> float:
    """Evaluations of ``f`` that measuring a method is expected to take, counted on
    :class:`StandIn`: one call at its default step, plus ``sweep`` calls at ``step`` (a step
    method's sweep; 0 for the others). ``inf`` when the method fails on the stand-in.

    ``call(g, step)`` computes the method's estimate of ``g`` (``step`` None: its default). The
    count is the cost the chooser orders candidates by (cheapest first) and checks against what
    the time limit leaves; a method whose count depends on ``f`` (a data-driven step, an
    adaptive tableau) may take more or fewer on ``f`` itself. An unknown count (``inf``) orders
    the method last but never skips it: it is measured if the evaluations left allow.
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            first = call(StandIn(m), None).nfev
            each = call(StandIn(m), step).nfev if sweep else 0
    except Exception:  # noqa: BLE001 - a method unfit for the stand-in: cost unknown, last
        return float("inf")
    return float(first + sweep * each)


def with_workers(cls: type[Method], settings: dict, workers: Any) -> dict:
    """``settings`` with ``workers`` when the class takes it and it is not serial."""
    if workers == 1 or "workers" not in cls._setting_names:
        return settings
    return {**settings, "workers": workers}
