"""Running the sweep's tasks: each one through the measuring kernel, into rows of the table.

A task (:class:`diffbench.plan.Task`) becomes rows here: ``point`` tasks call
:func:`diffbench.measure.measure_gradient` at every point and relative step ``t`` (the step passed
is ``t * max(1, |x_i|)``, :func:`diffbench.steps.step_at`), in bulk: one
:func:`diffbench.measure.measure_steps` per configuration and point over all its steps
(:func:`steps_at`), the point's columns computed once; ``grid`` tasks sample the grid
once (:func:`diffbench.measure.sample_grid`) and call :func:`diffbench.measure.measure_grid` for
every grid configuration, ``cost`` tasks measure once at the default step and then time the
prepared gradient (:func:`diffbench.timing.time_call`), ``rule`` tasks measure every point at
the default step of each step rule, ``skip`` tasks write why not.
:func:`execute` runs a list of tasks serially, in worker processes (:mod:`diffbench.workers`) or
on a dask.distributed cluster (:mod:`diffbench.cluster`, rows streamed back as tasks finish).
"""

from __future__ import annotations

import json
import platform
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .configs import MethodConfig
from .measure import (
    Measurement,
    measure_gradient,
    measure_grid,
    measure_kind,
    measure_steps,
    one_line,
    sample_grid,
)
from .plan import Task, rule_points
from .schema import Status
from .steps import step_at
from .store import measurement_key
from .timing import time_call
from .workers import map_ordered, worker_count

__all__ = [
    "Context",
    "run_task",
    "execute",
    "versions",
    "point_text",
    "grid_text",
    "problem_columns",
    "steps_at",
]


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


def point_text(x: Sequence[float]) -> str:
    """The ``point_values`` text of a point (long points shortened).

    Examples
    --------
    >>> point_text((0.5, -1.0))
    '[0.5, -1.0]'
    """
    vals = [repr(float(v)) for v in x]
    if len(vals) > 6:
        vals = [*vals[:3], "...", *vals[-2:]]
        return "[" + ", ".join(vals) + f"] ({len(x)} values)"
    return "[" + ", ".join(vals) + "]"


def grid_text(domain: Sequence[tuple[float, float]]) -> str:
    """The ``point_values`` text of a grid over ``domain``.

    Examples
    --------
    >>> grid_text([(-2.0, 2.0), (0.0, 1.0)])
    'grid [-2.0, 2.0] x [0.0, 1.0]'
    """
    return "grid " + " x ".join(f"[{lo!r}, {hi!r}]" for lo, hi in domain)


def problem_columns(problem: Any) -> dict[str, Any]:
    """The columns of a results row that describe a problem."""
    return {"problem": problem.name, "tags": ";".join(sorted(problem.tags)), "dim": problem.dim}


@dataclass(frozen=True)
class Context:
    """What every row of one run shares."""

    run_id: str
    versions: str


def _base_row(ctx: Context, task: Task, config: MethodConfig) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id,
        "measure": task.measure,
        **problem_columns(task.problem),
        **config.columns(task.form),
        "region": task.region,
        "versions": ctx.versions,
        "message": "",
    }


def _build(config: MethodConfig) -> tuple[Any, Measurement | None]:
    """A method instance, or the ``error`` measurement of building it."""
    try:
        return config.build(), None
    except Exception as exc:
        return None, Measurement(Status.ERROR, message=one_line(exc))


def _run_point(ctx: Context, task: Task) -> list[dict]:
    rows: list[dict] = []
    prob = task.problem
    ts = list(task.steps)
    for config in task.configs:
        base = _base_row(ctx, task, config)
        method, failed = _build(config)
        for i, point in enumerate(prob.points):
            x = np.asarray(point, dtype=float)
            # t is relative: the step passed is t * max(1, |x_i|) per coordinate
            hs = steps_at(ts, x)
            if failed:
                measured = [failed] * len(ts)
            else:
                measured = measure_steps(method, prob.function, x, task.truths[i], hs)
            rows.extend(_point_rows(base, prob.name, config.label, i, point, ts, hs, measured))
    return rows


def steps_at(ts: Sequence[float | None], x: np.ndarray) -> list[float | np.ndarray | None]:
    """:func:`diffbench.steps.step_at` of each relative step (None stays None).

    Examples
    --------
    >>> steps_at([None, 1e-3], np.array([0.5, -1.0]))
    [None, 0.001]
    >>> steps_at([1e-3], np.array([1e10, 2.0]))[0].tolist()
    [10000000.0, 0.002]
    """
    return [None if t is None else step_at(t, x) for t in ts]


def _point_rows(
    base: dict,
    problem: str,
    label: str,
    i: int,
    point: Any,
    ts: Sequence[float | None],
    hs: Sequence[Any],
    measured: Sequence[Measurement],
) -> list[dict]:
    """The rows of one configuration at one point over its steps (the point's columns once)."""
    text = point_text(point)
    return [
        {
            **base,
            "point": i,
            "point_values": text,
            "step_rel": t,
            "step": None if h is None else (h if isinstance(h, float) else float(np.max(h))),
            "key": measurement_key("accuracy", problem, i, label, t, None, "point"),
            **m.as_row(),
        }
        for t, h, m in zip(ts, hs, measured, strict=True)
    ]


def _with(row: dict, m: Measurement) -> dict:
    """A row with a measurement's columns."""
    return {**row, **m.as_row()}


def _run_grid(ctx: Context, task: Task) -> list[dict]:
    prob, size = task.problem, task.grid_size
    sample = sample_grid(prob, size)
    rows = []
    for config in task.configs:
        base = _base_row(ctx, task, config)
        base.update(point_values=grid_text(prob.domain), step=sample.spacing, grid_size=size)
        method, failed = _build(config)
        results = {"interior": failed, "edge": failed} if failed else measure_grid(method, sample)
        for region, m in results.items():
            row = dict(base, region=region)
            row["key"] = measurement_key(
                "accuracy", prob.name, None, base["label"], None, size, region
            )
            rows.append(_with(row, m))
    return rows


def _run_skip(ctx: Context, task: Task) -> list[dict]:
    rows = []
    for config in task.configs:
        row = _base_row(ctx, task, config)
        row.update(status=Status.SKIPPED.value, message=task.reason or config.reason)
        row["key"] = measurement_key(
            task.measure, task.problem.name, None, row["label"], None, None, task.region
        )
        rows.append(row)
    return rows


def _run_cost(ctx: Context, task: Task) -> list[dict]:
    """Time one configuration at the problem's first point with its default step."""
    (config,) = task.configs
    prob = task.problem
    x = np.asarray(prob.points[0], dtype=float)
    row = dict(_base_row(ctx, task, config), point=0, point_values=point_text(prob.points[0]))
    row["key"] = measurement_key("cost", prob.name, 0, config.label, None, None, "point")
    method, failed = _build(config)
    if failed:
        return [_with(row, failed)]
    f = prob.function
    # the first call pays one-off costs (compiling f, imports): measured for accuracy, not timed
    m = measure_gradient(method, f, x, task.truths[0])
    row = _with(row, m)
    if m.status == Status.ERROR:
        return [row]

    # One-time preparation (compiling, tracing: JAX, PyTensor, autograd) is timed once and kept
    # apart from the time per gradient, which is measured on the prepared function.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            gradient = method.prepare(f, prob.dim)
        except Exception as exc:
            return [dict(row, status=Status.ERROR.value, message=one_line(exc))]
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


def _run_rules(ctx: Context, task: Task) -> list[dict]:
    """One configuration at the first points (:func:`diffbench.plan.rule_points`) with the
    default step of each rule of ``task.rules``
    (the first, :data:`diffbench.plan.BASELINE_RULE`, spends no evaluation beyond the stencil:
    ``nfev_extra`` of the others is their ``nfev`` minus its)."""
    (config,) = task.configs
    prob = task.problem
    base = _base_row(ctx, task, config)
    built = {}
    for rule in task.rules:
        settings = {**dict(config.settings), "step_rule": rule}
        built[rule] = _build(MethodConfig(config.cls, settings, config.label, True, ""))
    rows = []
    for i in rule_points(prob):
        point = prob.points[i]
        x = np.asarray(point, dtype=float)
        stencil = None
        for rule, (method, failed) in built.items():
            m = failed or measure_gradient(method, prob.function, x, task.truths[i])
            if stencil is None and rule == task.rules[0]:
                stencil = m.nfev
            extra = None if m.nfev is None or stencil is None else int(m.nfev) - int(stencil)
            key = measurement_key("step-rule", prob.name, i, config.label, None, None, "point",
                                  step_rule=rule)  # fmt: skip
            row = dict(base, point=i, point_values=point_text(point), step_rule=rule, key=key)
            rows.append({**_with(row, m), "nfev_extra": extra})
    return rows


def _run_kind(ctx: Context, task: Task) -> list[dict]:
    """A Jacobian, Hessian or k-th derivative sweep of one configuration on one problem of
    :mod:`diffbench.battery_kinds` (:func:`diffbench.measure.measure_kind`), or its skip row."""
    if task.form == "grid":
        return _run_kind_grid(ctx, task)
    (config,) = task.configs
    prob, kind, deriv = task.problem, task.derivative_kind, task.deriv
    base = dict(_base_row(ctx, task, config), **config.columns("point", kind, deriv))
    if task.reason:
        key = measurement_key("accuracy", prob.name, None, config.label, None, None, "point",
                              kind, deriv)  # fmt: skip
        return [dict(base, key=key, status=Status.SKIPPED.value, message=task.reason)]
    f = prob.function()
    method, failed = _build(config)
    rows = []
    for i, point in enumerate(prob.points):
        x = np.asarray(point, dtype=float)
        for t in task.steps:
            h = None if t is None else step_at(t, x)
            row = dict(base, point=i, point_values=point_text(point), step_rel=t,
                       step=None if h is None else float(np.max(h)))  # fmt: skip
            row["key"] = measurement_key("accuracy", prob.name, i, config.label, t, None,
                                         "point", kind, deriv)  # fmt: skip
            truth = task.truths[i]
            m = failed or measure_kind(method, kind, f, x, truth, step=h, deriv=deriv)
            rows.append(_with(row, m))
    return rows


def _run_kind_grid(ctx: Context, task: Task) -> list[dict]:
    """Every grid configuration of a ``kind`` task on one grid of a kind problem
    (:mod:`diffbench.measure_kind_grids`: sampled once, scored over ``interior`` and ``edge``),
    or the skip row of one configuration."""
    from .measure_kind_grids import measure_kind_grid, sample_kind_grid

    prob, kind, deriv, size = task.problem, task.derivative_kind, task.deriv, task.grid_size
    key = partial(measurement_key, "accuracy", prob.name, None)
    if task.reason:
        (config,) = task.configs
        base = dict(_base_row(ctx, task, config), **config.columns("grid", kind, deriv))
        return [dict(base, key=key(base["label"], None, None, task.region, kind, deriv),
                     status=Status.SKIPPED.value, message=task.reason)]  # fmt: skip
    sample = sample_kind_grid(prob, size)
    rows = []
    for config in task.configs:
        base = dict(
            _base_row(ctx, task, config),
            **config.columns("grid", kind, deriv),
            point_values=grid_text(prob.domain),
            step=sample.spacing,
            grid_size=size,
        )
        method, failed = _build(config)
        results = ({"interior": failed, "edge": failed} if failed
                   else measure_kind_grid(method, sample, kind, deriv))  # fmt: skip
        for region, m in results.items():
            row = dict(base, region=region, key=key(base["label"], None, size, region, kind, deriv))
            rows.append(_with(row, m))
    return rows


_RUNNERS: dict[str, Callable[[Context, Task], list[dict]]] = {
    "point": _run_point,
    "grid": _run_grid,
    "skip": _run_skip,
    "cost": _run_cost,
    "kind": _run_kind,
    "rule": _run_rules,
}


def run_task(ctx: Context, task: Task) -> list[dict]:
    """The rows of one task (top-level so worker processes can import it)."""
    with np.errstate(all="ignore"):
        return _RUNNERS[task.what](ctx, task)


def execute(
    tasks: list[Task],
    ctx: Context,
    jobs: int,
    sink: Callable[[list[dict]], None],
    progress: Callable[[str, int, int], None] | None = None,
    phase: str = "accuracy",
    client: Any = None,
) -> None:
    """Run ``tasks`` (in ``jobs`` joblib worker processes if more than one, or on the dask
    cluster of ``client`` if given), passing each task's rows to ``sink`` as they come (in this
    process: the one writer) and reporting ``progress(phase, done, total)``."""
    total = len(tasks)
    if progress:
        progress(phase, 0, total)
    workers = worker_count(jobs, total) if total and client is None else 1
    results: Iterator[list[dict]]
    if client is not None and total:
        from .cluster import map_as_completed

        results = map_as_completed(client, partial(run_task, ctx), tasks)
    elif workers == 1:
        results = (run_task(ctx, t) for t in tasks)
    else:
        results = map_ordered(partial(run_task, ctx), tasks, workers)
    try:
        for done, rows in enumerate(results, start=1):
            sink(rows)
            if progress:
                progress(phase, done, total)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the worker pool at once if the sweep ends early
