"""Beyond gradients: accuracy and cost of Jacobians and Hessians, and two in-run comparisons.

Kept small (a couple of problems of :mod:`diffbench.battery_kinds`, three methods): the values
are what ``diffbench run --kinds jacobian,hessian`` measures at the default step
(:func:`diffbench.measure.measure_kind`, errors by :func:`diffbench.metrics.matrix_error`):

- ``KindAccuracy.track_relative_error`` / ``track_nfev``: one Jacobian or Hessian at the
  problem's first point with the method's default step; ``KindCost.time_kind``: its time.
  ``diffbench from-asv`` turns them into the sweep's ``accuracy`` rows of that kind (the time in
  ``time``); the ratios below stay in its ``asv_other.csv``.
- ``KindRatios``: measured side by side in one process by ``benchmarks/kinds_ratios.py``
  (``unit = "ratio"``, lower is better): the hyper-dual Hessian's time / numdifftools.Hessian's
  on Rosenbrock n = 10 and 100 (and its error at n = 10, with numdifftools' for comparison),
  / autograd.hessian's, / jax.hessian's and / jax.jit(jax.hessian)'s at n = 100; the vectorized
  / per-point ``central`` FD Hessian at n = 10 and 100; the sparse (CPR-coloured) / dense
  forward-difference Jacobian of Bratu n = 1000 in time (ours and scipy's) and in nfev.
"""

from __future__ import annotations

import warnings

import numpy as np

from diffbench.battery_kinds import get_kind_problem
from diffbench.configs import computes
from diffbench.measure import measure_kind

from .common import CONFIGS, skip_unless_ok
from .kinds_ratios import fd_hessian_comparison, hessian_comparison, jacobian_comparison

#: The problems (one Jacobian, one Hessian) and method configurations measured.
PROBLEMS = ("robertson", "rosenbrock-hessian-10")
LABELS = ("central(order=2)", "complex-step", "hyper-dual")


def _truths() -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: get_kind_problem(name).truth(get_kind_problem(name).points[0])
                for name in PROBLEMS}  # fmt: skip


class _Kind:
    params = (list(LABELS), list(PROBLEMS))
    param_names = ("method", "problem")

    def setup_cache(self) -> dict[str, np.ndarray]:
        return _truths()

    def setup(self, truths: dict, label: str, problem: str) -> None:
        config = CONFIGS[label]
        self.problem = get_kind_problem(problem)
        if not config.available or not computes(config, self.problem.kind):
            raise NotImplementedError(f"{label} does not compute a {self.problem.kind}")
        self.method = config.build()
        self.f = self.problem.function()
        self.x = np.asarray(self.problem.points[0], dtype=float)
        m = measure_kind(self.method, self.problem.kind, self.f, self.x, truths[problem])
        self.measurement = skip_unless_ok(m, label, problem)


class KindAccuracy(_Kind):
    """Relative error and nfev of one Jacobian or Hessian at the default step."""

    def track_relative_error(self, truths: dict, label: str, problem: str) -> float:
        return self.measurement.rel_error

    track_relative_error.unit = "relative error"  # type: ignore[attr-defined]

    def track_nfev(self, truths: dict, label: str, problem: str) -> int:
        return int(self.measurement.nfev)

    track_nfev.unit = "evaluations"  # type: ignore[attr-defined]


class KindCost(_Kind):
    """Time of one Jacobian or Hessian at the default step."""

    def time_kind(self, truths: dict, label: str, problem: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(self.method, self.problem.kind)(self.f, self.x)


class KindRatios:
    """The comparisons of ``benchmarks/kinds_ratios.py``, measured once per run.

    Time ratios are ours / the other (below 1: ours is faster). Hessians of Rosenbrock: the
    hyper-dual one against numdifftools (n = 10 and 100), autograd and JAX, eager and compiled
    (n = 100); the ``central`` FD Hessian with ``vectorized=True`` against one call per point
    (n = 10 and 100). Jacobians of Bratu at n = 1000: sparse / dense, ours and scipy's. A peer
    that is not installed gives NaN.
    """

    unit = "ratio"
    timeout = 300

    def setup_cache(self) -> dict[str, dict]:
        return {
            "hessian": hessian_comparison(10),
            "hessian100": hessian_comparison(100, repeat=3),
            "fd10": fd_hessian_comparison(10),
            "fd100": fd_hessian_comparison(100),
            "jacobian": jacobian_comparison(1000),
        }

    def track_hyperdual_over_numdifftools_hessian_time(self, r: dict) -> float:
        return r["hessian"]["time_ratio"] ** -1

    def track_hyperdual_over_numdifftools_hessian_time_n100(self, r: dict) -> float:
        return r["hessian100"]["time_ratio"] ** -1

    def track_hyperdual_over_autograd_hessian_time(self, r: dict) -> float:
        return r["hessian100"]["over_autograd"]

    def track_hyperdual_over_jax_hessian_time(self, r: dict) -> float:
        return r["hessian100"]["over_jax"]

    def track_hyperdual_over_jax_jit_hessian_time(self, r: dict) -> float:
        return r["hessian100"]["over_jax_jit"]

    def track_hyperdual_hessian_error(self, r: dict) -> float:
        return r["hessian"]["hyperdual_error"]

    def track_numdifftools_hessian_error(self, r: dict) -> float:
        return r["hessian"]["numdifftools_error"]

    def track_fd_vectorized_over_loop_hessian_time_n10(self, r: dict) -> float:
        return r["fd10"]["time_ratio"] ** -1

    def track_fd_vectorized_over_loop_hessian_time_n100(self, r: dict) -> float:
        return r["fd100"]["time_ratio"] ** -1

    def track_sparse_over_dense_jacobian_time(self, r: dict) -> float:
        return r["jacobian"]["time_ratio"] ** -1

    def track_scipy_sparse_over_dense_jacobian_time(self, r: dict) -> float:
        return r["jacobian"]["scipy_time_ratio"] ** -1

    def track_sparse_over_dense_jacobian_nfev(self, r: dict) -> float:
        return r["jacobian"]["sparse_nfev"] / r["jacobian"]["dense_nfev"]
