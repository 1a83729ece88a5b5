"""The sweep: every method configuration on every problem, over steps and grid sizes.

What is measured (one row per measurement, see :mod:`diffbench.schema` for the columns):

* **Step methods** (kind ``"step"``, and the point form of ``"grid"`` methods): every point of every
  problem at every relative step ``t`` of a log-spaced range, by default ``1e-1`` down to ``1e-16``
  with 4 steps per decade, extended below for methods whose ``smallest_useful_step`` is smaller
  (:mod:`diffbench.steps`). At ``x`` the method is called with ``h_i = t * max(1, |x_i|)``, so the
  range suits ``x = 1e10`` as well as ``x = 1``; a row records ``step_rel = t`` and ``step`` = the
  largest ``h_i``.
* **Exact methods**: one measurement per point. **Adaptive methods**: one per point, with their
  own step choice and error estimate (``step=None``).
* **Grid methods** (grid form): ``f`` sampled on uniform grids over ``problem.domain`` of every
  grid size (:data:`DEFAULT_GRID_SIZES`, per dimension; problems of more than
  :data:`MAX_GRID_DIM` variables are skipped), differentiated by ``grid_gradient(values, *axes)``
  and compared with the exact gradient at every node: the max-norm relative error over the
  boundary nodes (region ``"edge"``) and over the rest (``"interior"``). The step of a grid row is
  its largest spacing.
* Problems of more than :data:`HIGH_DIM` variables (rosenbrock-1000) are measured for cost only.
* **Where**: the accuracy tasks run in this process, in ``jobs`` local worker processes, or on
  the workers of a dask.distributed cluster (``scheduler``, :mod:`diffbench.cluster`); their
  rows always come back to this process, which alone writes the results folder.
* **Cost**: after the accuracy sweep, serially (never under parallel load), every configuration
  at the first point of every problem with its default step (``step=None``): nfev and the time per
  gradient (median of autoranged repeats, raw repeats kept in ``time_repeats``).

The parts: configurations (:mod:`diffbench.configs`), steps and grid sizes
(:mod:`diffbench.steps`), the plan of tasks (:mod:`diffbench.plan`), running them
(:mod:`diffbench.execute`) through the measuring kernel (:mod:`diffbench.measure`), keeping the
rows (:mod:`diffbench.store`). This module holds :func:`sweep`, which ties them together, and
re-exports their public names.
"""

from __future__ import annotations

import inspect
import platform
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .cluster import connect, describe_scheduler
from .configs import MethodConfig, resolve_methods
from .execute import Context, execute, versions
from .folder_lock import FolderLock
from .plan import (
    HIGH_DIM,
    check_kinds,
    default_kinds,
    exact_gradients,
    exact_kind_truths,
    kind_problems,
    plan_accuracy,
    plan_cost,
    plan_kinds,
    plan_step_rules,
    split_problems,
)
from .problems import resolve_problems
from .provenance import provenance
from .steps import (
    DEFAULT_GRID_SIZES,
    DEFAULT_STEPS,
    EXTENDED_DECADES_PER_STEP,
    MAX_GRID_DIM,
    MAX_GRID_POINTS,
    StepRange,
    check_grid_sizes,
    check_steps,
    steps_from_json,
    steps_to_json,
)
from .store import (
    ResultsWriter,
    check_replaceable,
    check_writable,
    read_results,
    read_run_info,
    remove_results,
    resume_keys,
    rows_to_frame,
    write_run_info,
)
from .timing import time_call

__all__ = [
    "TIMING",
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


#: The cost pass's :func:`diffbench.timing.time_call` options: repeats of at least 2 ms (the
#: loop count autoranged to it), 5 of them, at most about 0.25 s per configuration. The pass is
#: serial, so its length is the sum over its configurations (903 in the default run).
TIMING: Mapping[str, Any] = MappingProxyType({"target": 0.002, "repeat": 5, "budget": 0.25})


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def sweep(
    methods: Iterable[Any] | str | None = None,
    problems: Iterable[Any] | str | None = None,
    *,
    steps: Any = None,
    grid_sizes: Any = None,
    output: str | Path | None = None,
    resume: bool = False,
    jobs: int | None = None,
    scheduler: Any = None,
    cost: bool | None = None,
    timing: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    kinds: Any = None,
) -> pd.DataFrame:
    """Measure every method configuration on every problem; return the tidy table.

    Parameters
    ----------
    methods : iterable, optional
        Names, labels, Method classes or instances (see :func:`resolve_methods`); default every
        registered method with each of its ``variants()``.
    problems : str, Problem, ProblemRegistry or iterable of these, optional
        Problem names, ``"module:attr"`` strings naming a user's Problem, list of Problems or
        ProblemRegistry, Problem objects or registries (see
        :func:`diffbench.problems.resolve_problems`); default the battery including its noisy
        variants.
    steps : StepRange or sequence of float, optional
        Relative steps ``t`` for step methods: at ``x`` the method gets the step
        ``t * max(1, |x_i|)`` per coordinate. Default :data:`DEFAULT_STEPS` (1e-1 to 1e-16, 4 per
        decade), extended below for methods whose ``smallest_useful_step`` is smaller.
    grid_sizes : sequence of int or dict, optional
        Points per axis for grid methods; default :data:`DEFAULT_GRID_SIZES`.
    output : path-like, optional
        Directory for the results dataset (``results/``, Parquet parts) and ``run.json``; rows
        are written as they are produced, a part at a time (:mod:`diffbench.store`).
        Without it nothing is written and the table is only returned.
    resume : bool, default False
        Continue the run in ``output``: measurements already there are not repeated. Arguments
        left as None are taken from the stored run; arguments given must equal the stored ones
        (a different selection is refused, naming what differs).
    jobs : int, optional
        Worker processes for the accuracy sweep (joblib); default 1. Timing always runs serially.
    scheduler : str or distributed.Client, optional
        Run the accuracy tasks on a dask.distributed cluster instead: the scheduler's address
        (``"tcp://host:8786"``) or a connected client (not closed here). The rows stream back
        as tasks finish and are written by this process alone, under the folder lock; the cost
        pass still runs serially here, never on the cluster. Connected before anything is
        written. Not together with ``jobs``. Needs ``pip install "diffbench[cluster]"``.
    cost : bool, optional
        Also measure nfev and time per gradient at the default step: True for a new run; a
        resumed run keeps the choice it was started with (giving another one is an error).
    timing : dict, optional
        Options of :func:`diffbench.timing.time_call` (``target``, ``repeat``, ``budget``);
        those not given are :data:`TIMING`'s.
    progress : callable, optional
        Called as ``progress(phase, done, total)`` with phase ``"accuracy"``, ``"kinds"`` or
        ``"cost"``.
    kinds : str or iterable of str, optional
        What to differentiate: some of ``gradient, jacobian, hessian, derivative`` (a
        comma-separated string or a list; ``"all"``: every kind). Default
        (:func:`diffbench.plan.default_kinds`): every kind when ``problems`` is not given, else
        the kinds of the problems named. Jacobians, Hessians and k-th derivatives are measured
        on the problems of :mod:`diffbench.battery_kinds` (``problems`` may name them), by the
        configurations whose method declares the kind, over the same relative steps plus the
        default step; their rows have ``derivative_kind`` and ``deriv`` set (and ``asymmetry``
        for Hessians) and no cost rows.

    Returns
    -------
    pandas.DataFrame
        One row per measurement (every row of the run, including earlier ones when resuming).

    Raises
    ------
    ValueError
        Unknown method or problem names (listing the choices), an empty selection, invalid steps
        or grid sizes, an output directory that cannot be written, a results file that cannot be
        resumed, a resume with other options than the stored run, or an output folder another
        run is writing into (:class:`~diffbench.folder_lock.FolderBusyError`), a ``scheduler``
        that cannot be reached, or both ``jobs`` and ``scheduler``. All are checked before any
        measurement, and none of them changes a file.
    ImportError
        ``scheduler`` given without dask.distributed installed.
    diffbench.cluster.TasksNotRun
        Tasks the cluster gave up on (the other rows are written; ``resume`` runs them).

    Examples
    --------
    >>> df = sweep(["sympy"], ["runge"], cost=False)  # doctest: +SKIP
    >>> df[["problem", "label", "rel_error"]]  # doctest: +SKIP
    """
    jobs = _check_options(jobs, scheduler, progress, timing, resume, output)
    out_dir = None if output is None else Path(output)
    stored: dict[str, Any] = read_run_info(out_dir) if resume and out_dir is not None else {}
    given = {
        "methods": methods,
        "problems": problems,
        "steps": steps,
        "grid_sizes": grid_sizes,
        "kinds": kinds,
    }
    configs, probs, kprobs, step_spec, sizes, config_json = _resolve(given, stored, cost)
    if resume:
        _check_resumable(out_dir, stored.get("config", {}), config_json, given, cost)
    return _run_or_write(
        scheduler, out_dir, resume, stored,
        (configs, probs, step_spec, sizes, config_json, timing, jobs, progress),
        kprobs,
    )  # fmt: skip


def _run_or_write(
    scheduler: Any, out_dir: Path | None, resume: bool, stored: dict, parts: tuple, kprobs: list
) -> pd.DataFrame:
    """Connect a cluster if asked (before anything is written: an unreachable one changes no
    file), then measure into memory or, under the folder lock, into ``out_dir``."""
    client, own_client = connect(scheduler) if scheduler is not None else (None, False)
    try:
        work = _Work(*parts, client, kprobs)
        if out_dir is None:
            collected: list[dict] = []
            _measure(work, Context(_new_run_id(), versions()), collected.extend, set())
            return rows_to_frame(collected)
        check_writable(out_dir)
        with FolderLock(out_dir):
            return _sweep_into(out_dir, resume, stored, work)
    finally:
        if own_client:
            client.close()


def _resolve(given: dict[str, Any], stored: Mapping[str, Any], cost: bool | None) -> tuple:
    """The sweep's selection resolved and checked (options left as None taken from a resumed
    run's ``run.json``): configurations, gradient and kind problems, steps, grid sizes, and the
    ``config`` that ``run.json`` records."""
    args = _with_stored(given, stored.get("config", {}))
    configs = resolve_methods(args["methods"])
    given_kinds = args["kinds"]
    kind_list = default_kinds(args["problems"]) if given_kinds is None else check_kinds(given_kinds)
    probs, kprobs = _problems_of_kinds(args["problems"], kind_list)
    if not configs:
        raise ValueError("`methods` selects no method; nothing was run or written.")
    if not probs and not kprobs:
        raise ValueError("`problems` selects no problem; nothing was run or written.")
    step_spec = check_steps(args["steps"])
    sizes = check_grid_sizes(args["grid_sizes"])
    config_json = {
        "methods": [c.spec() for c in configs],
        "problems": _problem_specs(args["problems"], [*probs, *kprobs]),
        "steps": steps_to_json(step_spec),
        "grid_sizes": {str(k): list(v) for k, v in sizes.items()},
        "cost": stored.get("config", {}).get("cost", True) if cost is None else bool(cost),
        "kinds": list(kind_list),
    }
    return configs, probs, kprobs, step_spec, sizes, config_json


@dataclass(frozen=True)
class _Work:
    """What a sweep measures, resolved and checked."""

    configs: list[MethodConfig]
    problems: list
    steps: Any
    grid_sizes: dict
    config_json: dict
    timing: Mapping[str, Any] | None
    jobs: int
    progress: Callable[[str, int, int], None] | None
    client: Any = None  # a distributed.Client: the accuracy tasks run on its cluster
    kind_problems: list = field(default_factory=list)


def _problems_of_kinds(given: Any, kinds: tuple[str, ...]) -> tuple[list, list]:
    """The gradient problems and the problems of :mod:`diffbench.battery_kinds` to measure."""
    gradient_part, kind_names = split_problems(given)
    others = tuple(k for k in kinds if k != "gradient")
    kprobs = kind_problems(others, kind_names) if others or kind_names else []
    wanted = "gradient" in kinds and (gradient_part is not None or not kind_names)
    return (resolve_problems(gradient_part) if wanted else []), kprobs


def _sweep_into(out_dir: Path, resume: bool, stored: dict[str, Any], work: _Work) -> pd.DataFrame:
    """The sweep into ``out_dir``, with its folder lock held: rows appended as they come,
    ``run.json`` kept up to date, an interruption recorded."""
    if not resume:
        check_replaceable(out_dir)
    done: set[str] = resume_keys(out_dir) if resume else set()
    ctx = Context(run_id=stored.get("run_id") or _new_run_id(), versions=versions())
    info = _run_info(ctx, stored, work.config_json, work.jobs, work.client)
    write_run_info(out_dir, info)
    if not resume:
        remove_results(out_dir)
    started = time.perf_counter()
    with ResultsWriter(out_dir) as writer:
        try:
            _measure(work, ctx, writer.append, done)
        except BaseException:
            write_run_info(out_dir, {**info, "status": "interrupted"})
            raise
    info.update(
        status="complete",
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started + float(stored.get("seconds", 0.0)), 1),
    )
    write_run_info(out_dir, info)
    return read_results(out_dir)


def _measure(work: _Work, ctx: Context, write: Callable[[list[dict]], Any], done: set[str]) -> None:
    """Plan and run the accuracy tasks (``jobs`` workers or the cluster of ``client``), then the
    cost tasks (serially, in this process); rows whose key is in ``done`` are dropped, the others
    passed to ``write``."""
    timing_opts = {**TIMING, **dict(work.timing or {})}

    def sink(rows: list[dict]) -> None:
        fresh = [r for r in rows if r["key"] not in done]
        done.update(r["key"] for r in fresh)
        write(fresh)

    def todo(tasks: list) -> list:
        return [t for t in tasks if not set(t.keys()) <= done]

    truths = exact_gradients(work.problems)
    plan = plan_accuracy(work.configs, work.problems, work.steps, work.grid_sizes, truths)
    plan += plan_step_rules(work.configs, work.problems, truths)
    execute(todo(plan), ctx, work.jobs, sink, work.progress, "accuracy", client=work.client)
    if work.kind_problems:
        exact = exact_kind_truths(work.kind_problems)
        kind_plan = plan_kinds(work.configs, work.kind_problems, work.steps, exact,
                               work.grid_sizes)  # fmt: skip
        execute(todo(kind_plan), ctx, work.jobs, sink, work.progress, "kinds", client=work.client)
    if work.config_json["cost"]:
        costs = todo(plan_cost(work.configs, work.problems, truths, timing_opts))
        execute(costs, ctx, 1, sink, work.progress, "cost")


#: What a resumed run must share with the run it continues, and how to say it.
_RESUME_KEYS = {
    "methods": "methods",
    "problems": "problems",
    "steps": "steps",
    "grid_sizes": "grid sizes",
    "kinds": "kinds",
}


def _check_resumable(
    out_dir: Path | None,
    stored: Mapping[str, Any],
    config: Mapping[str, Any],
    given: dict,
    cost: bool | None,
) -> None:
    """Refuse a resume whose explicit options differ from the run it continues, saying what
    differs (options left out are taken from the stored run)."""
    differ = [
        word
        for key, word in _RESUME_KEYS.items()
        if given[key] is not None and key in stored and config[key] != stored[key]
    ]
    if cost is not None and "cost" in stored and bool(cost) != bool(stored["cost"]):
        differ.append("cost measurement (--no-cost)")
    if differ:
        raise ValueError(
            f"`resume`: the run in {str(out_dir)!r} was started with other "
            f"{', '.join(differ)} than given now; leave those options out to continue it as it "
            "was, or start a new run (without --resume, or into another folder)."
        )


def _with_stored(given: dict[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep's arguments, those left as None taken from a resumed run's ``run.json``."""
    out = dict(given)
    for name, value in given.items():
        if value is None and stored.get(name) is not None:
            out[name] = stored[name]
    if given["steps"] is None and stored.get("steps") is not None:
        out["steps"] = steps_from_json(stored["steps"])
    if given["grid_sizes"] is None and stored.get("grid_sizes") is not None:
        out["grid_sizes"] = {int(k): tuple(v) for k, v in stored["grid_sizes"].items()}
    return out


def _problem_specs(given: Any, probs: list) -> list[str]:
    """How run.json records the problems: the strings the user gave when all were strings (so a
    resumed run re-imports ``"module:attr"`` problems), else the problems' names."""
    if isinstance(given, str):
        return [given]
    if isinstance(given, list | tuple) and given and all(isinstance(g, str) for g in given):
        return list(given)
    return [p.name for p in probs]


def _check_options(
    jobs: Any, scheduler: Any, progress: Any, timing: Any, resume: bool, output: str | Path | None
) -> int:
    """The sweep's options that need nothing else to be checked, checked before anything runs;
    returns ``jobs`` (1 if not given)."""
    if jobs is not None and scheduler is not None:
        raise ValueError(
            "give `jobs` (local worker processes) or `scheduler` (a dask cluster), not both."
        )
    jobs = 1 if jobs is None else jobs
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
    return jobs


def _run_info(
    ctx: Context, stored: Mapping[str, Any], config: dict, jobs: int, client: Any = None
) -> dict:
    """``run.json`` of a running sweep (a resumed run keeps its id and start; its
    ``provenance`` is that of the code running now, :func:`diffbench.provenance.provenance`).
    ``scheduler`` is the dask scheduler's address (None: a local run), and ``jobs`` then says
    where the accuracy tasks ran."""
    scheduler = describe_scheduler(client)
    return {
        "run_id": ctx.run_id,
        "started": stored.get("started") or datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": ctx.versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "provenance": provenance(),
        "config": config,
        "status": "running",
        "jobs": jobs if scheduler is None else f"dask cluster at {scheduler}",
        "scheduler": scheduler,
    }
