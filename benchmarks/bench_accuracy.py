"""Accuracy: the relative error of every method against exact ground truth.

Every value is measured by the sweep's kernel (:mod:`diffbench.measure`): ``track_relative_error``
is the relative error of :func:`~diffbench.measure.measure_gradient` (one gradient against
``problem.exact_gradient``, SymPy expressions evaluated by mpmath; computed once per class in
``setup_cache``) or of :func:`~diffbench.measure.measure_grid` (a grid's interior or edge), as
``diffbench run`` measures it; ``GridAccuracy.track_nfev`` is the number of evaluations of ``f``
counted while sampling the grid. asv treats lower as better, which suits errors. ``diffbench
from-asv`` turns these results into the sweep's table and figures.
"""

from __future__ import annotations

import warnings

import numpy as np

from diffbench.measure import Measurement, measure_grid, sample_grid
from diffbench.problems import get_problem, list_problems
from diffbench.steps import DEFAULT_GRID_SIZES, step_at

from .common import CONFIGS, STEP_PROBLEMS, STEPS, labels, measure_or_skip, require, skip_unless_ok

#: Adaptive methods have no step to sweep: they run on every problem of the battery. So do exact
#: ones, except that several compile the expression on every call (~1 s for JAX and PyTensor):
#: they run on the step sweep's problems plus the cancellation one, where exact methods fail.
ALL_PROBLEMS = tuple(p.name for p in list_problems())
EXACT_PROBLEMS = (*STEP_PROBLEMS, "expm1-ratio")
#: Point indices: the step sweep uses each problem's first point, the others every point.
STEP_POINTS = (0,)
ALL_POINTS = tuple(range(max(len(get_problem(p).points) for p in ALL_PROBLEMS)))
#: Grid methods run on the one-dimensional problems of the step sweep, at the sweep's 1-D sizes.
GRID_PROBLEMS = tuple(p for p in STEP_PROBLEMS if get_problem(p).dim == 1)
GRID_SIZES = DEFAULT_GRID_SIZES[1]
REGIONS = ("interior", "edge")

# Compile every problem's function once here, in asv's forkserver, not in each forked benchmark.
for _name in ALL_PROBLEMS:
    _problem = get_problem(_name)
    _problem.function(np.asarray(_problem.points[0]))
del _name, _problem


def _point_truths() -> dict[str, list[np.ndarray]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            name: [get_problem(name).exact_gradient(x) for x in get_problem(name).points]
            for name in ALL_PROBLEMS
        }


def _point_error(truths: dict, label: str, problem: str, point: int, step: float | None) -> float:
    """Relative error of one gradient at the relative ``step`` (the sweep's: the step passed is
    ``step * max(1, |x_i|)``); skip (NotImplementedError) what cannot run."""
    config = CONFIGS[label]
    prob = get_problem(problem)
    if point >= len(prob.points):
        raise NotImplementedError(f"{problem} has {len(prob.points)} point(s)")
    require(config, prob)
    x = np.asarray(prob.points[point], dtype=float)
    h = None if step is None else step_at(step, x)
    return measure_or_skip(config.build(), prob.function, x, truths[problem][point], h).rel_error


class StepAccuracy:
    """Step methods (and grid methods' point form) at relative steps 1e-1 ... 1e-15 by decades."""

    params = [labels("step", "grid"), list(STEP_PROBLEMS), list(STEP_POINTS), list(STEPS)]
    param_names = ["label", "problem", "point", "step"]
    timeout = 300

    def setup_cache(self) -> dict:
        return _point_truths()

    def setup(self, truths: dict, label: str, problem: str, point: int, step: float) -> None:
        self.error = _point_error(truths, label, problem, point, step)

    def track_relative_error(self, truths, label, problem, point, step) -> float:
        return self.error

    track_relative_error.unit = "relative error"


class ExactAccuracy:
    """Exact methods (no step): symbolic, dual numbers, automatic differentiation."""

    params = [labels("exact"), list(EXACT_PROBLEMS), list(ALL_POINTS)]
    param_names = ["label", "problem", "point"]
    timeout = 300

    def setup_cache(self) -> dict:
        return _point_truths()

    def setup(self, truths: dict, label: str, problem: str, point: int) -> None:
        self.error = _point_error(truths, label, problem, point, None)

    def track_relative_error(self, truths, label, problem, point) -> float:
        return self.error

    track_relative_error.unit = "relative error"


class AdaptiveAccuracy(ExactAccuracy):
    """Adaptive methods (extrapolation, scipy.differentiate, peers) with their own step choice."""

    params = [labels("adaptive"), list(ALL_PROBLEMS), list(ALL_POINTS)]


def _grid_truths() -> dict[tuple[str, int], np.ndarray]:
    """Exact gradients at the nodes of every grid, by (problem, size)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            (name, size): sample_grid(get_problem(name), size).exact
            for name in GRID_PROBLEMS
            for size in GRID_SIZES
        }


def grid_measurement(
    truths: dict, label: str, problem: str, grid_size: int, region: str
) -> Measurement:
    """The sweep's measurement of one grid region (:func:`diffbench.measure.measure_grid` on
    :func:`diffbench.measure.sample_grid`); skip (NotImplementedError) what is not ``ok``."""
    config = CONFIGS[label]
    prob = get_problem(problem)
    require(config, prob)
    sample = sample_grid(prob, grid_size, exact=truths[problem, grid_size])
    try:
        method = config.build()
    except Exception as exc:
        raise NotImplementedError(f"{label} raised {type(exc).__name__}: {exc}") from exc
    return skip_unless_ok(
        measure_grid(method, sample)[region], label, f"on the {region} of {grid_size} points"
    )


class GridAccuracy:
    """Grid methods on uniform grids over each problem's domain, by points per axis.

    The sizes are the sweep's for one dimension (``DEFAULT_GRID_SIZES[1]``, 8 to 4096). The error
    is the max-norm relative error over the grid's interior or its edge nodes, as in the sweep;
    ``track_nfev`` counts the evaluations of ``f`` made to sample the grid.
    """

    params = [labels("grid"), list(GRID_PROBLEMS), list(GRID_SIZES), list(REGIONS)]
    param_names = ["label", "problem", "grid_size", "region"]
    timeout = 300

    def setup_cache(self) -> dict:
        return _grid_truths()

    def setup(self, truths: dict, label: str, problem: str, grid_size: int, region: str) -> None:
        self.measurement = grid_measurement(truths, label, problem, grid_size, region)
        self.error = self.measurement.rel_error

    def track_relative_error(self, truths, label, problem, grid_size, region) -> float:
        return self.error

    track_relative_error.unit = "relative error"

    def track_nfev(self, truths, label, problem, grid_size, region) -> int:
        return self.measurement.nfev

    track_nfev.unit = "evaluations"
