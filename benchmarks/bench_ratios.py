"""Ratios of two timings measured side by side in one process (``unit = "ratio"``).

A ratio of two timings taken in the same process, interleaved, is far steadier on a shared
machine than either absolute time. Each ratio is ``time(ours) / time(baseline)``, so lower is
better, as asv assumes:

- ``AdapterOverhead``: ``central`` through the method interface / the same stencil written
  inline in numpy (target <= 1.1 at n >= 100).
- ``Batching``: ``central(vectorized=True)`` (all stencil points in one call of f) / the same
  method with one call per point, and / ``scipy.optimize.approx_fprime`` (target <= 0.1, i.e.
  >= 10x faster, at equal or better accuracy: ``BatchingAccuracy`` records both errors).
- ``DualVersusCentral``: dual-number forward mode / ``central``.

Timing is timeit-style: the loop count of each call is autoranged to ``TARGET`` seconds, then
``REPEAT`` interleaved repeats are taken and the ratio of the minimum per-call times returned.
"""

from __future__ import annotations

import timeit
import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import approx_fprime

from diffbench.metrics import gradient_error
from diffbench.problems import rosenbrock as rosenbrock_problem
from methods import get_method

from .common import loop_count, rosenbrock, rosenbrock_start

#: Seconds one repeat of one call lasts at least, and the number of interleaved repeats.
TARGET = 0.02
REPEAT = 7
#: The n of the batching comparison.
BATCH_N = 1000
#: Base step of ``central`` order 2, (3 eps)**(1/3) (docs/theory.md#optimal-steps), as the method
#: computes it.
CENTRAL_STEP = get_method("central").theoretical_step()


def timed_ratio(ours: Callable[[], object], baseline: Callable[[], object]) -> float:
    """min seconds per call of ``ours`` / min seconds per call of ``baseline``, interleaved."""
    n_ours, n_base = loop_count(TARGET, ours), loop_count(TARGET, baseline)
    t_ours, t_base = timeit.Timer(ours), timeit.Timer(baseline)
    best_ours = best_base = float("inf")
    for _ in range(REPEAT):
        best_ours = min(best_ours, t_ours.timeit(n_ours) / n_ours)
        best_base = min(best_base, t_base.timeit(n_base) / n_base)
    return best_ours / best_base


def central_inline(f: Callable, x: np.ndarray) -> np.ndarray:
    """The order-2 central difference as a user writes it in numpy, with ``central``'s steps."""
    h = CENTRAL_STEP * np.maximum(1.0, np.abs(x))
    h = (x + h) - x
    g = np.empty(x.size)
    for i in range(x.size):
        point = x.copy()
        point[i] = x[i] + h[i]
        up = f(point)
        point[i] = x[i] - h[i]
        g[i] = (up - f(point)) / (2.0 * h[i])
    return g


class AdapterOverhead:
    """``central`` through the interface / the same stencil inline (n-dimensional Rosenbrock)."""

    params = [[10, 100, 1000]]
    param_names = ["n"]
    timeout = 120

    def setup(self, n: int) -> None:
        self.x = rosenbrock_start(n)
        self.method = get_method("central")
        # the two must compute the same numbers, or the ratio compares different work
        np.testing.assert_allclose(
            self.method.gradient(rosenbrock, self.x).value,
            central_inline(rosenbrock, self.x),
            rtol=1e-12,
            atol=0,
        )

    def track_central_over_inline(self, n: int) -> float:
        return timed_ratio(
            lambda: self.method.gradient(rosenbrock, self.x),
            lambda: central_inline(rosenbrock, self.x),
        )

    track_central_over_inline.unit = "ratio"


class Batching:
    """``central(vectorized=True)`` on the vectorized Rosenbrock function at n = 1000."""

    timeout = 120

    def setup(self) -> None:
        self.x = rosenbrock_start(BATCH_N)
        self.batched = get_method("central", vectorized=True)
        self.looped = get_method("central")

    def track_vectorized_over_loop(self) -> float:
        return timed_ratio(
            lambda: self.batched.gradient(rosenbrock, self.x),
            lambda: self.looped.gradient(rosenbrock, self.x),
        )

    track_vectorized_over_loop.unit = "ratio"

    def track_vectorized_over_approx_fprime(self) -> float:
        return timed_ratio(
            lambda: self.batched.gradient(rosenbrock, self.x),
            lambda: approx_fprime(self.x, rosenbrock),
        )

    track_vectorized_over_approx_fprime.unit = "ratio"


class BatchingAccuracy:
    """Relative errors of the two sides of ``Batching`` against the exact gradient."""

    params = [["central(vectorized=True)", "scipy.optimize.approx_fprime"]]
    param_names = ["computation"]
    timeout = 120

    def setup_cache(self) -> np.ndarray:
        x = rosenbrock_start(BATCH_N)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rosenbrock_problem(BATCH_N).exact_gradient(x)

    def setup(self, truth: np.ndarray, computation: str) -> None:
        x = rosenbrock_start(BATCH_N)
        if computation == "scipy.optimize.approx_fprime":
            value = approx_fprime(x, rosenbrock)
        else:
            value = get_method("central", vectorized=True).gradient(rosenbrock, x).value
        self.error = gradient_error(value, truth)[1]

    def track_relative_error(self, truth: np.ndarray, computation: str) -> float:
        return self.error

    track_relative_error.unit = "relative error"


class DualVersusCentral:
    """Dual-number forward mode (one call of f) / ``central`` (2n calls), Rosenbrock."""

    params = [[10, 100, 1000]]
    param_names = ["n"]
    timeout = 120

    def setup(self, n: int) -> None:
        self.x = rosenbrock_start(n)
        self.dual = get_method("dual")
        self.central = get_method("central")

    def track_dual_over_central(self, n: int) -> float:
        return timed_ratio(
            lambda: self.dual.gradient(rosenbrock, self.x),
            lambda: self.central.gradient(rosenbrock, self.x),
        )

    track_dual_over_central.unit = "ratio"
