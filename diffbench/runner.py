"""The sweep: every method configuration on every problem, over steps and grid sizes.

What is measured (one row per measurement, see :mod:`diffbench.store` for the columns):

* **Step methods** (kind ``"step"``, and the point form of ``"grid"`` methods): every point of every
  problem at every step of a log-spaced range, by default ``1e-1`` down to ``1e-16`` with 4 steps
  per decade. A method whose ``smallest_useful_step`` is smaller (the complex step: 1e-300) gets
  the range extended down to it with one step every :data:`EXTENDED_DECADES_PER_STEP` decades.
* **Exact methods**: one measurement per point. **Adaptive methods**: one per point, with their
  own step choice and error estimate (``step=None``).
* **Grid methods** (grid form): ``f`` sampled on uniform grids over ``problem.domain`` of every
  grid size (:data:`DEFAULT_GRID_SIZES`, per dimension; problems of more than
  :data:`MAX_GRID_DIM` variables are skipped), differentiated by ``grid_gradient(values, *axes)``
  and compared with the exact gradient at every node: the max-norm relative error over the
  boundary nodes (region ``"edge"``: first or last index along some axis) and over the rest
  (``"interior"``). The step of a grid row is its largest spacing.
* Problems of more than :data:`HIGH_DIM` variables (rosenbrock-1000) are measured for cost only.
* **Cost**: after the accuracy sweep, serially (never under parallel load), every configuration
  at the first point of every problem with its default step (``step=None``): nfev and the time per
  gradient (median of autoranged repeats, raw repeats kept in ``time_repeats``).

Steps. The requested step is passed to ``gradient(step=h)`` as given, so each method applies its
own step rule (the finite differences scale it by ``max(1, |x_i|)``; ``approx_fprime`` does not).
The ``step`` column is that requested value; ``step_used`` is the largest step the method reports
it actually took (``Estimate.step``), which is the literal ``h`` of the stencil. Plots put
``step_used`` on the x axis where it exists; the report compares the requested optimum with
``theoretical_step()``, which is expressed in the same units.

Nothing here depends on a method's name: what to do with a configuration follows from its
``kind``, ``needs``, ``smallest_useful_step``, ``availability()`` and ``variants()``.
"""

from __future__ import annotations

import inspect
import json
import math
import platform
import secrets
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from methods.counting import CountedFunction
from methods.functions import has_expression

from .schema import SCHEMA_VERSION, Status, method_columns
from .store import (
    RESULTS_FILE,
    ResultsFileError,
    ResultsWriter,
    check_writable,
    measurement_key,
    read_results,
    read_run_info,
    rows_to_frame,
    write_run_info,
    written_by_diffbench,
)
from .timing import time_call

__all__ = [
    "StepRange",
    "DEFAULT_STEPS",
    "DEFAULT_GRID_SIZES",
    "MAX_GRID_DIM",
    "MAX_GRID_POINTS",
    "EXTENDED_DECADES_PER_STEP",
    "HIGH_DIM",
    "MethodConfig",
    "sweep",
    "resolve_methods",
    "resolve_problems",
    "check_steps",
    "check_grid_sizes",
    "versions",
]


@dataclass(frozen=True)
class StepRange:
    """Log-spaced steps from ``start`` down to ``stop``, ``per_decade`` steps per decade.

    The steps are ``10**(k / per_decade)`` for integer ``k``, so whole decades (1e-5, 1e-8, ...)
    are always among them, and both ends are included.

    Examples
    --------
    >>> StepRange(1e-1, 1e-3, 2).steps()
    (0.1, 0.03162277660168379, 0.01, 0.0031622776601683794, 0.001)
    """

    start: float = 1e-1
    stop: float = 1e-16
    per_decade: int = 4

    def steps(self) -> tuple[float, ...]:
        """The steps, largest first."""
        hi = math.log10(self.start) * self.per_decade
        lo = math.log10(self.stop) * self.per_decade
        ks = range(math.floor(hi + 1e-9), math.ceil(lo - 1e-9) - 1, -1)
        out = [10.0 ** (k / self.per_decade) for k in ks]
        out = [h for h in out if self.stop * (1 - 1e-12) <= h <= self.start * (1 + 1e-12)]
        for end in (self.start, self.stop):
            if not any(math.isclose(end, h, rel_tol=1e-9) for h in out):
                out.append(end)
        return tuple(sorted(out, reverse=True))

    def spec(self) -> str:
        """``"start:stop:per_decade"``, the command-line form."""
        return f"{self.start!r}:{self.stop!r}:{self.per_decade}"


#: The default step range: 1e-1 to 1e-16, 4 steps per decade (61 steps).
DEFAULT_STEPS = StepRange(1e-1, 1e-16, 4)
#: Below the end of a range, methods with a smaller ``smallest_useful_step`` get one step every
#: this many decades (the complex step: 1e-18, 1e-20, ..., 1e-300).
EXTENDED_DECADES_PER_STEP = 2
#: Grid sizes (points per axis) per problem dimension.
DEFAULT_GRID_SIZES: dict[int, tuple[int, ...]] = {
    1: tuple(2**k for k in range(3, 13)),  # 8 ... 4096
    2: (5, 9, 17, 33, 65),
    3: (5, 9, 17, 33),
}
#: Grid methods are swept on problems of at most this many variables.
MAX_GRID_DIM = 3
#: Largest number of nodes of one grid (user grid sizes beyond it are dropped for that dimension).
MAX_GRID_POINTS = 2**17
#: Problems with more variables than this are measured for cost only, not swept: on
#: rosenbrock-1000 one central difference takes ~10 s, the sympy gradient ~2 min (measured).
HIGH_DIM = 100

_MAX_MESSAGE = 300


# --------------------------------------------------------------------------------------------
# method configurations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodConfig:
    """One configuration of a registered method: its class and one ``variants()`` settings dict."""

    cls: type
    settings: Mapping[str, Any]
    label: str
    available: bool
    reason: str

    @property
    def name(self) -> str:
        return self.cls.name

    @property
    def family(self) -> str:
        return self.cls.family

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def needs(self) -> frozenset[str]:
        return frozenset(self.cls.needs)

    def build(self) -> Any:
        """A fresh method instance, settings checked."""
        from methods import get_method

        return get_method(self.cls, **dict(self.settings))

    @property
    def order(self) -> int | None:
        order = getattr(self.cls(**dict(self.settings)), "order", None)
        return int(order) if isinstance(order, int | np.integer) else None

    @property
    def theoretical_step(self) -> float | None:
        try:
            value = self.cls(**dict(self.settings)).theoretical_step()
        except Exception:
            return None
        return None if value is None else float(value)

    @property
    def grid_label(self) -> str:
        """Label of the grid form (grid methods leave out settings of the point form only)."""
        return getattr(self.cls(**dict(self.settings)), "grid_label", self.label)

    @property
    def settings_json(self) -> str:
        return json.dumps(dict(self.settings), sort_keys=True, default=repr)

    def spec(self) -> dict[str, Any]:
        """JSON-able description, enough to rebuild it from the registry."""
        return {"name": self.name, "settings": json.loads(self.settings_json)}


def _config(cls: type, settings: Mapping[str, Any]) -> MethodConfig:
    from methods import get_method

    # get_method checks the settings (unknown names, bad values) before anything is measured
    instance = get_method(cls, **dict(settings))
    ok, reason = cls.availability()
    return MethodConfig(
        cls=cls, settings=dict(settings), label=instance.label, available=ok, reason=reason
    )


def resolve_methods(methods: Iterable[Any] | None = None) -> list[MethodConfig]:
    """Method configurations to sweep.

    Parameters
    ----------
    methods : iterable, optional
        Registered names (every ``variants()`` configuration), labels of one configuration such
        as ``"central(order=4)"``, Method subclasses (every variant), Method instances (that
        configuration), or dicts ``{"name": ..., "settings": {...}}``. None: every registered
        method.

    Raises
    ------
    ValueError
        An unknown name (the message lists the choices) or duplicate labels.
    """
    import methods as registry

    def variants_of(cls: type) -> list[MethodConfig]:
        return [_config(cls, s) for s in cls.variants()]

    if methods is None:
        specs: list[Any] = registry.method_names()
    elif isinstance(methods, str):
        specs = [methods]
    else:
        specs = list(methods)
    out: list[MethodConfig] = []
    for spec in specs:
        if isinstance(spec, registry.Method):
            out.append(_config(type(spec), spec.get_params()))
        elif isinstance(spec, type) and issubclass(spec, registry.Method):
            out.extend(variants_of(spec))
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"name", "settings"}
            if "name" not in spec or unknown:
                raise ValueError(
                    "`methods` entries given as dicts must be {'name': ..., 'settings': {...}}, "
                    f"got {dict(spec)!r}."
                )
            out.append(_config(registry.method_class(spec["name"]), spec.get("settings", {})))
        elif isinstance(spec, str):
            if spec in registry.method_names():
                out.extend(variants_of(registry.method_class(spec)))
                continue
            by_label = {
                c.label: c
                for name in registry.method_names()
                for c in variants_of(registry.method_class(name))
            }
            if spec not in by_label:
                raise ValueError(
                    f"unknown method {spec!r}; choose from: {', '.join(registry.method_names())} "
                    "(or a label such as 'central(order=4)')."
                )
            out.append(by_label[spec])
        else:
            raise TypeError(
                f"`methods` entries must be names, Method classes or instances, got {spec!r}."
            )
    seen: dict[str, MethodConfig] = {}
    unique = []
    for c in out:
        if c.label in seen:
            if seen[c.label].settings_json != c.settings_json or seen[c.label].cls is not c.cls:
                raise ValueError(
                    f"two configurations share the label {c.label!r}: {seen[c.label].spec()} and "
                    f"{c.spec()}; labels must identify a configuration."
                )
            continue
        seen[c.label] = c
        unique.append(c)
    return unique


def resolve_problems(problems: Iterable[Any] | None = None) -> list[Any]:
    """Problems to sweep: names or Problem objects; None is the battery with its noisy variants."""
    from .problems import Problem, get_problem, list_problems

    if problems is None:
        return list_problems(include_noisy=True)
    if isinstance(problems, str):
        problems = [problems]
    out, names = [], set()
    for p in problems:
        prob = p if isinstance(p, Problem) else get_problem(p) if isinstance(p, str) else None
        if prob is None:
            raise TypeError(f"`problems` entries must be names or Problem objects, got {p!r}.")
        if prob.name not in names:
            names.add(prob.name)
            out.append(prob)
    return out


# --------------------------------------------------------------------------------------------
# validation of the sweep settings
# --------------------------------------------------------------------------------------------
def check_steps(steps: Any) -> StepRange | tuple[float, ...]:
    """Validate ``steps``: None (default range), a :class:`StepRange`, or positive floats.

    Raises
    ------
    ValueError
        Naming ``steps`` and what is wrong.
    """
    if steps is None:
        return DEFAULT_STEPS
    if isinstance(steps, StepRange):
        for name, v in (("start", steps.start), ("stop", steps.stop)):
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"`steps` {name} must be a positive finite number, got {v!r}.")
        if not steps.stop < steps.start:
            raise ValueError(
                f"`steps` must run from a larger start to a smaller stop, got {steps.start!r} "
                f"to {steps.stop!r}."
            )
        if steps.stop < 1e-320:
            raise ValueError(f"`steps` stop {steps.stop!r} is below the smallest float64 step.")
        pd_ = steps.per_decade
        if isinstance(pd_, bool) or not isinstance(pd_, int) or not 1 <= pd_ <= 100:
            raise ValueError(f"`steps` per decade must be an integer from 1 to 100, got {pd_!r}.")
        return steps
    if isinstance(steps, int | float):
        steps = [steps]
    try:
        values = [float(s) for s in steps]
    except (TypeError, ValueError):
        raise ValueError(f"`steps` must be positive numbers, got {steps!r}.") from None
    if not values:
        raise ValueError("`steps` must not be empty.")
    bad = [v for v in values if not (math.isfinite(v) and v > 0)]
    if bad:
        raise ValueError(f"`steps` must be positive and finite, got {bad[0]!r}.")
    return tuple(sorted(set(values), reverse=True))


def check_grid_sizes(grid_sizes: Any) -> dict[int, tuple[int, ...]]:
    """Validate grid sizes: None (defaults), one list for every dimension, or a dict per dimension.

    A list given for all dimensions keeps, per dimension d, the sizes with ``size**d`` at most
    :data:`MAX_GRID_POINTS` (a 1-D size beyond it is an error). An empty list: no grid sweep.
    """
    if grid_sizes is None:
        return dict(DEFAULT_GRID_SIZES)
    if isinstance(grid_sizes, Mapping):
        bad = [d for d in grid_sizes if isinstance(d, bool) or not isinstance(d, int | np.integer)]
        if bad:
            raise ValueError(f"`grid_sizes` keys must be dimensions (integers), got {bad[0]!r}.")
        per_dim = {int(d): grid_sizes[d] for d in grid_sizes}
        explicit = True
    else:
        per_dim = {d: grid_sizes for d in range(1, MAX_GRID_DIM + 1)}
        explicit = False
    out: dict[int, tuple[int, ...]] = {}
    for d, sizes in per_dim.items():
        if not 1 <= d <= MAX_GRID_DIM:
            raise ValueError(f"`grid_sizes` dimensions must be 1 to {MAX_GRID_DIM}, got {d}.")
        if isinstance(sizes, int | np.integer):
            sizes = [sizes]
        checked = []
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 2:
                raise ValueError(f"`grid_sizes` must be integers >= 2, got {s!r}.")
            too_many = int(s) ** d > MAX_GRID_POINTS
            if too_many and (explicit or d == 1):
                raise ValueError(
                    f"`grid_sizes` {int(s)} in {d}-D gives {int(s) ** d} nodes, more than "
                    f"{MAX_GRID_POINTS}."
                )
            if int(s) ** d <= MAX_GRID_POINTS:
                checked.append(int(s))
        out[d] = tuple(sorted(set(checked)))
    return out


def _steps_for(config: MethodConfig, problem: Any, steps: StepRange | tuple[float, ...]) -> tuple:
    """The steps one (step-kind) configuration is swept over on one problem."""
    if isinstance(steps, StepRange):
        grid = list(steps.steps())
        smallest = float(config.cls.smallest_useful_step)
        if smallest < steps.stop:
            k = math.floor(math.log10(steps.stop)) - EXTENDED_DECADES_PER_STEP
            while 10.0**k >= smallest * (1 - 1e-12):
                grid.append(10.0**k)
                k -= EXTENDED_DECADES_PER_STEP
            if not math.isclose(grid[-1], smallest, rel_tol=1e-9):
                grid.append(smallest)
    else:
        grid = list(steps)
    return tuple(grid)


# --------------------------------------------------------------------------------------------
# tasks
# --------------------------------------------------------------------------------------------
def versions() -> str:
    """Versions of the project and its numeric stack, as one line."""
    from importlib.metadata import PackageNotFoundError, version

    import scipy
    import sympy

    try:
        project = version("diffbench")
    except PackageNotFoundError:  # running from a source tree that is not installed
        project = "unknown"
    return (
        f"diffbench {project}, python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, sympy {sympy.__version__}"
    )


def _point_text(x: Sequence[float]) -> str:
    vals = [repr(float(v)) for v in x]
    if len(vals) > 6:
        vals = [*vals[:3], "...", *vals[-2:]]
        return "[" + ", ".join(vals) + f"] ({len(x)} values)"
    return "[" + ", ".join(vals) + "]"


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _first_warning(caught: list) -> str:
    for w in caught:
        text = f"{w.category.__name__}: {w.message}".replace("\n", " ")
        return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
    return ""


@dataclass(frozen=True)
class _Context:
    run_id: str
    versions: str


@dataclass(frozen=True)
class _Task:
    """A batch of measurements written together: one configuration on one problem (point
    sweeps, cost, skips) or every grid configuration on one grid of one problem."""

    what: str  # "point", "grid", "cost" or "skip"
    problem: Any
    configs: tuple[MethodConfig, ...]
    steps: tuple = ()
    truths: tuple = ()
    grid_size: int | None = None
    region: str = "point"
    measure: str = "accuracy"
    reason: str = ""
    timing: Mapping[str, Any] = field(default_factory=dict)

    def keys(self) -> list[str]:
        p = self.problem.name
        if self.what == "skip":
            return [
                measurement_key(
                    self.measure, p, None, _row_label(c, self.region), None, None, self.region
                )
                for c in self.configs
            ]
        if self.what == "grid":
            return [
                measurement_key("accuracy", p, None, c.grid_label, None, self.grid_size, r)
                for c in self.configs
                for r in ("interior", "edge")
            ]
        if self.what == "cost":
            return [
                measurement_key("cost", p, 0, c.label, None, None, "point") for c in self.configs
            ]
        return [
            measurement_key("accuracy", p, i, c.label, h, None, "point")
            for c in self.configs
            for i in range(len(self.problem.points))
            for h in self.steps
        ]


def _row_label(config: MethodConfig, region: str) -> str:
    """Grid-form rows (regions other than "point") are labelled without the settings that only
    change the point form."""
    return config.label if region == "point" else config.grid_label


def _base_row(ctx: _Context, task: _Task, config: MethodConfig) -> dict[str, Any]:
    prob = task.problem
    return {
        "run_id": ctx.run_id,
        "measure": task.measure,
        "problem": prob.name,
        "tags": ";".join(sorted(prob.tags)),
        "dim": prob.dim,
        **method_columns(config.cls),
        "schema_version": SCHEMA_VERSION,
        "form": "point" if task.region == "point" else "grid",
        "label": config.label,
        "settings": config.settings_json,
        "order": config.order,
        "theoretical_step": config.theoretical_step,
        "region": task.region,
        "versions": ctx.versions,
        "message": "",
    }


def _summarise(a: Any) -> float:
    if a is None:
        return math.nan
    arr = np.asarray(a, dtype=float)
    if arr.size == 0 or np.all(np.isnan(arr)):
        return math.nan
    return float(np.nanmax(np.abs(arr)))


def _measure_point(
    method: Any, f: Any, x: np.ndarray, truth: np.ndarray, step: float | None
) -> dict:
    """One gradient: its errors and status. Warnings from f are caught, the first one kept."""
    from .metrics import gradient_error

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = method.gradient(f, x, step=step)
        except Exception as exc:
            return {"status": "error", "message": _one_line(exc)}
    value = np.asarray(est.value, dtype=float)
    out = {
        "step_used": _summarise(est.step),
        "error_estimate": _summarise(est.error_estimate),
        "nfev": est.nfev,
    }
    if np.any(np.isnan(value)):
        bad = int(np.isnan(value).sum())
        why = _first_warning(caught) or "the method returned NaN"
        out.update(status=Status.NONFINITE, message=f"{bad} of {value.size} coordinates NaN; {why}")
        return out
    absolute, relative = gradient_error(value, truth)
    out.update(abs_error=absolute, rel_error=relative, status="ok")
    return out


def _run_point(ctx: _Context, task: _Task) -> list[dict]:
    rows = []
    f = task.problem.function
    for config in task.configs:
        base = _base_row(ctx, task, config)
        try:
            method = config.build()
        except Exception as exc:
            method, build_error = None, _one_line(exc)
        for i, point in enumerate(task.problem.points):
            x = np.asarray(point, dtype=float)
            for h in task.steps:
                row = dict(base, point=i, point_values=_point_text(point), step=h)
                row["key"] = measurement_key(
                    "accuracy", task.problem.name, i, config.label, h, None, "point"
                )
                if method is None:
                    row.update(status="error", message=build_error)
                else:
                    row.update(_measure_point(method, f, x, task.truths[i], h))
                rows.append(row)
    return rows


def _grid_regions(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask (flattened, ``np.mgrid`` order) of the boundary nodes of a tensor grid."""
    edge = np.zeros(shape, dtype=bool)
    for axis, n in enumerate(shape):
        index = [slice(None)] * len(shape)
        for i in (0, n - 1):
            index[axis] = i
            edge[tuple(index)] = True
    return edge.reshape(-1)


def _run_grid(ctx: _Context, task: _Task) -> list[dict]:
    from methods.grids import sample, tensor_points, uniform_axes

    from .metrics import gradient_error

    prob, size = task.problem, task.grid_size
    axes = uniform_axes(prob.domain, size)
    spacing = max((a[-1] - a[0]) / (a.size - 1) for a in axes)
    shape = tuple(a.size for a in axes)
    edge = _grid_regions(shape)
    setup_error = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            points = tensor_points(axes)
            truth = prob.exact_gradients(points)
            counted = CountedFunction(prob.function, "grid sampling")  # nfev, counted in one place
            values = sample(counted, axes)
        except Exception as exc:
            setup_error = _one_line(exc)
    sample_warning = _first_warning(caught)
    rows = []
    for config in task.configs:
        base = _base_row(ctx, task, config)
        base["label"] = _row_label(config, "interior")
        common = dict(
            base, point_values="grid " + " x ".join(f"[{lo!r}, {hi!r}]" for lo, hi in prob.domain)
        )
        nfev = None if setup_error else counted.nfev
        common.update(step=spacing, step_used=spacing, grid_size=size, nfev=nfev)
        result: dict[str, Any] = {}
        if setup_error:
            result = {"status": "error", "message": setup_error}
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    grads = config.build().grid_gradient(values, *axes)
                    est = np.stack([np.asarray(g, dtype=float).reshape(-1) for g in grads], axis=1)
                except Exception as exc:
                    result = {"status": "error", "message": _one_line(exc)}
            warning = _first_warning(caught) or sample_warning
        for region, mask in (("interior", ~edge), ("edge", edge)):
            row = dict(common, region=region)
            row["key"] = measurement_key(
                "accuracy", prob.name, None, base["label"], None, size, region
            )
            if result:
                row.update(result)
            elif not mask.any():
                row.update(
                    status="skipped",
                    message=f"a grid of {size} points per axis has no interior nodes",
                )
            else:
                part = est[mask].reshape(-1)
                if np.any(np.isnan(part)):
                    bad = int(np.isnan(part).sum())
                    row.update(
                        status=Status.NONFINITE,
                        message=f"{bad} of {part.size} values NaN; {warning or 'NaN returned'}",
                    )
                else:
                    absolute, relative = gradient_error(part, truth[mask].reshape(-1))
                    row.update(abs_error=absolute, rel_error=relative, status="ok")
            rows.append(row)
    return rows


def _run_skip(ctx: _Context, task: _Task) -> list[dict]:
    rows = []
    for config in task.configs:
        row = dict(
            _base_row(ctx, task, config), status="skipped", message=task.reason or config.reason
        )
        row["label"] = _row_label(config, task.region)
        row["key"] = measurement_key(
            task.measure, task.problem.name, None, row["label"], None, None, task.region
        )
        rows.append(row)
    return rows


def _run_cost(ctx: _Context, task: _Task) -> list[dict]:
    """Time one configuration at the problem's first point with its default step."""
    (config,) = task.configs
    prob = task.problem
    x = np.asarray(prob.points[0], dtype=float)
    row = dict(_base_row(ctx, task, config), point=0, point_values=_point_text(prob.points[0]))
    row["key"] = measurement_key("cost", prob.name, 0, config.label, None, None, "point")
    try:
        method = config.build()
    except Exception as exc:
        return [dict(row, status="error", message=_one_line(exc))]
    f = prob.function
    # the first call pays one-off costs (compiling f, imports): measured for accuracy, not timed
    row.update(_measure_point(method, f, x, task.truths[0], None))
    if row["status"] == "error":
        return [row]

    # One-time preparation (compiling, tracing: JAX, PyTensor, autograd) is timed once and kept
    # apart from the time per gradient, which is measured on the prepared function.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            gradient = method.prepare(f, prob.dim)
        except Exception as exc:
            return [dict(row, status="error", message=_one_line(exc))]
        prepare_time = time.perf_counter() - start

    def call() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gradient(x)

    timing = time_call(call, **dict(task.timing))
    row.update(
        time=timing.median,
        time_number=timing.number,
        time_repeats=json.dumps([float(f"{t:.6g}") for t in timing.repeats]),
        prepare_time=prepare_time,
    )
    return [row]


_RUNNERS: dict[str, Callable[[_Context, _Task], list[dict]]] = {
    "point": _run_point,
    "grid": _run_grid,
    "skip": _run_skip,
    "cost": _run_cost,
}


def _run_task(ctx: _Context, task: _Task) -> list[dict]:
    """Run one batch (top-level so worker processes can import it)."""
    with np.errstate(all="ignore"):
        return _RUNNERS[task.what](ctx, task)


# --------------------------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------------------------
def _cannot_apply(config: MethodConfig, problem: Any) -> str:
    if not config.available:
        return config.reason or "not available here"
    f = problem.function
    if "expression" in config.needs and not has_expression(f):
        return "needs a SymPy expression and this problem's function has none"
    return ""


def _plan_accuracy(
    configs: list[MethodConfig],
    problems: list[Any],
    steps: StepRange | tuple[float, ...],
    grid_sizes: dict[int, tuple[int, ...]],
    truths: Mapping[str, tuple],
) -> list[_Task]:
    tasks: list[_Task] = []
    for prob in problems:
        if prob.dim > HIGH_DIM:
            reason = (
                f"problems of more than {HIGH_DIM} variables are measured for cost only "
                f"(this one has {prob.dim}: one gradient takes up to minutes)"
            )
            tasks.append(_Task("skip", prob, tuple(configs), reason=reason))
            continue
        for config in configs:
            reason = _cannot_apply(config, prob)
            if reason:
                tasks.append(_Task("skip", prob, (config,), reason=reason))
                continue
            if config.kind in ("step", "grid"):
                h = _steps_for(config, prob, steps)
            else:
                h = (None,)
            tasks.append(_Task("point", prob, (config,), steps=h, truths=truths[prob.name]))
        grid_configs = _distinct_grid_forms([c for c in configs if c.kind == "grid"])
        runnable = [c for c in grid_configs if not _cannot_apply(c, prob)]
        if grid_configs and prob.dim > MAX_GRID_DIM:
            tasks.append(
                _Task(
                    "skip",
                    prob,
                    tuple(grid_configs),
                    region="interior",
                    reason=f"grid methods are swept on problems of at most {MAX_GRID_DIM} "
                    f"variables; this one has {prob.dim}",
                )
            )
            continue
        for c in grid_configs:
            if c not in runnable:
                tasks.append(
                    _Task("skip", prob, (c,), region="interior", reason=_cannot_apply(c, prob))
                )
        if runnable:
            for size in grid_sizes.get(prob.dim, ()):
                tasks.append(_Task("grid", prob, tuple(runnable), grid_size=size))
    return tasks


def _distinct_grid_forms(configs: list[MethodConfig]) -> list[MethodConfig]:
    """One configuration per distinct grid form: settings listed in a grid method's
    ``point_form_params`` change only its point form, so variants differing only there would
    measure the same grid twice."""
    seen: set = set()
    out = []
    for c in configs:
        ignore = getattr(c.cls, "point_form_params", ())
        key = (
            c.cls,
            json.dumps(
                {k: v for k, v in c.settings.items() if k not in ignore},
                sort_keys=True,
                default=str,
            ),
        )
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _plan_cost(
    configs: list[MethodConfig], problems: list[Any], truths: Mapping[str, tuple], timing: Mapping
) -> list[_Task]:
    tasks = []
    for prob in problems:
        for config in configs:
            reason = _cannot_apply(config, prob)
            if reason:
                tasks.append(_Task("skip", prob, (config,), measure="cost", reason=reason))
            else:
                tasks.append(
                    _Task(
                        "cost",
                        prob,
                        (config,),
                        measure="cost",
                        truths=truths[prob.name],
                        timing=timing,
                    )
                )
    return tasks


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _execute(
    tasks: list[_Task],
    ctx: _Context,
    jobs: int,
    sink: Callable[[list[dict]], None],
    progress: Callable[[str, int, int], None] | None,
    phase: str,
) -> None:
    total = len(tasks)
    if progress:
        progress(phase, 0, total)
    if jobs == 1 or total <= 1:
        results: Iterator[list[dict]] = (_run_task(ctx, t) for t in tasks)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=jobs, return_as="generator", batch_size=1)(
            delayed(_run_task)(ctx, t) for t in tasks
        )
    try:
        for done, rows in enumerate(results, start=1):
            sink(rows)
            if progress:
                progress(phase, done, total)
    finally:
        if jobs > 1 and total > 1:
            # joblib keeps idle workers for reuse; free their memory before the timing pass
            from joblib.externals.loky import get_reusable_executor

            get_reusable_executor().shutdown(wait=True)


def sweep(
    methods: Iterable[Any] | str | None = None,
    problems: Iterable[Any] | str | None = None,
    *,
    steps: Any = None,
    grid_sizes: Any = None,
    output: str | Path | None = None,
    resume: bool = False,
    jobs: int = 1,
    cost: bool = True,
    timing: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """Measure every method configuration on every problem; return the tidy table.

    Parameters
    ----------
    methods : iterable, optional
        Names, labels, Method classes or instances (see :func:`resolve_methods`); default every
        registered method with each of its ``variants()``.
    problems : iterable, optional
        Problem names or objects; default the battery including its noisy variants.
    steps : StepRange or sequence of float, optional
        Steps for step methods; default :data:`DEFAULT_STEPS` (1e-1 to 1e-16, 4 per decade),
        extended below for methods whose ``smallest_useful_step`` is smaller.
    grid_sizes : sequence of int or dict, optional
        Points per axis for grid methods; default :data:`DEFAULT_GRID_SIZES`.
    output : path-like, optional
        Directory for ``results.csv`` and ``run.json``; rows are appended as they are produced.
        Without it nothing is written and the table is only returned.
    resume : bool, default False
        Continue the run in ``output``: measurements already there are not repeated. Arguments
        left as None are taken from the stored run.
    jobs : int, default 1
        Worker processes for the accuracy sweep (joblib). Timing always runs serially.
    cost : bool, default True
        Also measure nfev and time per gradient at the default step.
    timing : dict, optional
        Options of :func:`diffbench.timing.time_call` (``target``, ``repeat``, ``budget``).
    progress : callable, optional
        Called as ``progress(phase, done, total)`` with phase ``"accuracy"`` or ``"cost"``.

    Returns
    -------
    pandas.DataFrame
        One row per measurement (every row of the run, including earlier ones when resuming).

    Raises
    ------
    ValueError
        Unknown method or problem names (listing the choices), invalid steps or grid sizes, an
        output directory that cannot be written, or a results file that cannot be resumed. All
        are checked before any measurement.

    Examples
    --------
    >>> df = sweep(["sympy"], ["runge"], cost=False)  # doctest: +SKIP
    >>> df[["problem", "label", "rel_error"]]  # doctest: +SKIP
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a positive integer, got {jobs!r}.")
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None, got {type(progress).__name__}.")
    if timing is not None:
        allowed = set(inspect.signature(time_call).parameters) - {"fn"}
        if not isinstance(timing, Mapping) or set(timing) - allowed:
            raise ValueError(
                f"`timing` must be a dict with keys from {sorted(allowed)}, got {timing!r}."
            )
    if resume and output is None:
        raise ValueError("`resume` needs `output`, the directory of the run to continue.")
    stored: dict[str, Any] = {}
    done: set[str] = set()
    out_dir = None if output is None else Path(output)
    if out_dir is not None and resume:
        stored = read_run_info(out_dir)
        if (out_dir / RESULTS_FILE).exists():
            done = set(read_results(out_dir, repair=True)["key"])
    cfg = stored.get("config", {})
    if methods is None and cfg.get("methods") is not None:
        methods = cfg["methods"]
    if problems is None and cfg.get("problems") is not None:
        problems = cfg["problems"]
    if steps is None and cfg.get("steps") is not None:
        steps = _steps_from_json(cfg["steps"])
    if grid_sizes is None and cfg.get("grid_sizes") is not None:
        grid_sizes = {int(k): tuple(v) for k, v in cfg["grid_sizes"].items()}
    if resume and "cost" in cfg:
        cost = bool(cfg["cost"])
    configs = resolve_methods(methods)
    probs = resolve_problems(problems)
    step_spec = check_steps(steps)
    sizes = check_grid_sizes(grid_sizes)
    timing_opts = {"target": 0.005, "repeat": 5, "budget": 0.25, **dict(timing or {})}
    if out_dir is not None:
        check_writable(out_dir)
        if not resume:
            _check_replaceable(out_dir / RESULTS_FILE)

    run_id = stored.get("run_id") or _new_run_id()
    ctx = _Context(run_id=run_id, versions=versions())
    config_json = {
        "methods": [c.spec() for c in configs],
        "problems": [p.name for p in probs],
        "steps": _steps_to_json(step_spec),
        "grid_sizes": {str(k): list(v) for k, v in sizes.items()},
        "cost": cost,
    }
    info = {
        "run_id": run_id,
        "started": stored.get("started") or datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": ctx.versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config": config_json,
        "status": "running",
        "jobs": jobs,
    }
    collected: list[dict] = []
    writer = None
    if out_dir is not None:
        write_run_info(out_dir, info)
        if not resume:
            (out_dir / RESULTS_FILE).unlink(missing_ok=True)
        writer = ResultsWriter(out_dir / RESULTS_FILE)

    def sink(rows: list[dict]) -> None:
        fresh = [r for r in rows if r["key"] not in done]
        done.update(r["key"] for r in fresh)
        if writer is not None:
            writer.append(fresh)
        else:
            collected.extend(fresh)

    started = time.perf_counter()
    try:
        truths = _truths(probs)
        tasks = [
            t
            for t in _plan_accuracy(configs, probs, step_spec, sizes, truths)
            if not set(t.keys()) <= done
        ]
        _execute(tasks, ctx, jobs, sink, progress, "accuracy")
        if cost:
            cost_tasks = [
                t
                for t in _plan_cost(configs, probs, truths, timing_opts)
                if not set(t.keys()) <= done
            ]
            _execute(cost_tasks, ctx, 1, sink, progress, "cost")
    except BaseException:
        if out_dir is not None:
            write_run_info(out_dir, {**info, "status": "interrupted"})
        raise
    finally:
        if writer is not None:
            writer.close()
    if out_dir is not None:
        info.update(
            status="complete",
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started + float(stored.get("seconds", 0.0)), 1),
        )
        write_run_info(out_dir, info)
        return read_results(out_dir)
    return rows_to_frame(collected)


def _truths(problems: list[Any]) -> dict[str, tuple]:
    """Exact gradients at every point of every problem (mpmath, computed once here)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prob in problems:
            out[prob.name] = tuple(prob.exact_gradient(p) for p in prob.points)
    return out


def _check_replaceable(path: Path) -> None:
    """A new run replaces an earlier results file, but never a file that is not one."""
    if not path.exists():
        return
    try:
        with path.open(encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsFileError(
            f"cannot read {str(path)!r} ({exc}); it was left untouched."
        ) from None
    if not written_by_diffbench(header):  # any version's results may be replaced
        raise ResultsFileError(
            f"{str(path)!r} exists and is not a diffbench results file; it was left untouched. "
            "Move it away or choose another output directory."
        )


def _steps_to_json(steps: StepRange | tuple[float, ...]) -> Any:
    if isinstance(steps, StepRange):
        return {"start": steps.start, "stop": steps.stop, "per_decade": steps.per_decade}
    return list(steps)


def _steps_from_json(data: Any) -> StepRange | tuple[float, ...]:
    if isinstance(data, dict):
        return StepRange(float(data["start"]), float(data["stop"]), int(data["per_decade"]))
    return tuple(float(v) for v in data)
