"""Cost: time, evaluations and peak memory of one gradient per method, default settings and step.

The function is what a user would write: a numpy-vectorized Rosenbrock (``common.rosenbrock``)
at n = 2, 10, 100, 1000 from the classic start, and the seed function ``q*chi*delta`` at its
point. Methods that differentiate a formula (``needs`` contains ``"expression"``) get the
battery's SymPy function instead. ``setup`` prepares everything and makes one untimed call (it
pays one-off costs such as imports and compilation; the sweep's kernel measures its default-step
error and nfev, as the sweep's ``cost`` rows); the timed body is the gradient call alone.
"""

from __future__ import annotations

import warnings

import numpy as np

from diffbench.problems import get_problem
from diffbench.problems import rosenbrock as rosenbrock_problem

from .common import SIZES, default_configs, measure_or_skip, require, rosenbrock, rosenbrock_start

#: One configuration per registered method (its default settings), by name.
DEFAULTS = default_configs()
NAMES = list(DEFAULTS)
#: Above this n, methods that differentiate the SymPy expression are skipped: the user's function
#: there is a 1000-variable expression, one symbolic gradient of it takes about 100 s (sympy,
#: measured) and compiling it for PyTensor or JAX tens of seconds. That is not a per-call cost.
EXPRESSION_MAX_N = 100


def _prepare(name: str, n: int) -> tuple:
    """(method, f, x) on Rosenbrock of ``n`` variables; skip what is not a per-call cost."""
    config = DEFAULTS[name]
    require(config)
    if "expression" in config.needs:
        if n > EXPRESSION_MAX_N:
            raise NotImplementedError(f"{name} at n={n}: symbolic work per call is not a cost")
        f = rosenbrock_problem(n).function
    else:
        f = rosenbrock
    x = rosenbrock_start(n)
    return config.build(), f, x


class Rosenbrock:
    """One gradient of the n-dimensional Rosenbrock function from the classic start."""

    params = [NAMES, list(SIZES)]
    param_names = ["method", "n"]
    # slow calls (an adaptive method at n = 1000 takes ~0.5 s) get fewer repeats
    repeat = (1, 5, 4.0)
    timeout = 120

    def setup_cache(self) -> dict[int, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {n: rosenbrock_problem(n).exact_gradient(rosenbrock_start(n)) for n in SIZES}

    def setup(self, truths: dict, name: str, n: int) -> None:
        self.method, self.f, self.x = _prepare(name, n)
        # one untimed call, measured by the sweep's kernel (its default-step error and nfev)
        self.measurement = measure_or_skip(self.method, self.f, self.x, truths[n])

    def time_gradient(self, truths: dict, name: str, n: int) -> None:
        self.method.gradient(self.f, self.x)

    def track_relative_error(self, truths: dict, name: str, n: int) -> float:
        return self.measurement.rel_error

    track_relative_error.unit = "relative error"

    def track_nfev(self, truths: dict, name: str, n: int) -> int:
        return self.measurement.nfev

    track_nfev.unit = "evaluations"


class PeakmemRosenbrock:
    """Peak resident memory of a process computing one gradient at the largest n."""

    params = [NAMES]
    param_names = ["method"]
    timeout = 120

    def setup(self, name: str) -> None:
        self.method, self.f, self.x = _prepare(name, max(SIZES))
        measure_or_skip(self.method, self.f, self.x)  # one untimed call

    def peakmem_gradient(self, name: str) -> None:
        self.method.gradient(self.f, self.x)


class Seed:
    """One gradient of the seed function q*chi*delta at (0.3, -1.7, 2.9)."""

    params = [NAMES, ["seed-product"]]
    param_names = ["method", "problem"]
    timeout = 120

    def setup(self, name: str, problem: str) -> None:
        config = DEFAULTS[name]
        require(config)
        prob = get_problem(problem)
        self.f = prob.function
        self.x = np.asarray(prob.points[0], dtype=float)
        self.method = config.build()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            truth = prob.exact_gradient(self.x)
        self.measurement = measure_or_skip(self.method, self.f, self.x, truth)

    def time_gradient(self, name: str, problem: str) -> None:
        self.method.gradient(self.f, self.x)

    def track_relative_error(self, name: str, problem: str) -> float:
        return self.measurement.rel_error

    track_relative_error.unit = "relative error"

    def track_nfev(self, name: str, problem: str) -> int:
        return self.measurement.nfev

    track_nfev.unit = "evaluations"
