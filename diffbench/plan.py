"""The sweep's plan: which measurements to make, batched into tasks.

* **Step methods** (kind ``"step"``, and the point form of ``"grid"`` methods): every point of
  every problem at every relative step ``t`` (:func:`diffbench.steps.steps_for`; the step passed
  at ``x`` is ``t * max(1, |x_i|)``).
* **Exact and adaptive methods**: one measurement per point with ``step=None``.
* **Grid methods** (grid form, one per distinct grid form): every grid size of the problem's
  dimension, on problems of at most :data:`diffbench.steps.MAX_GRID_DIM` variables.
* Problems of more than :data:`HIGH_DIM` variables are measured for cost only.
* **Cost**: every configuration at the first point of every problem, default step.

What cannot run (not available, needs an expression the problem lacks, too many variables)
becomes a ``skip`` task whose rows say why. Nothing here depends on a method's name: it follows
from a configuration's ``kind``, ``needs``, ``availability()`` and ``variants()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .configs import MethodConfig, cannot_apply, distinct_grid_forms
from .steps import MAX_GRID_DIM, StepRange, steps_for
from .store import measurement_key

__all__ = ["HIGH_DIM", "Task", "plan_accuracy", "plan_cost", "exact_gradients"]

#: Problems with more variables than this are measured for cost only, not swept: on
#: rosenbrock-1000 one central difference takes ~10 s, the sympy gradient ~2 min (measured).
HIGH_DIM = 100


@dataclass(frozen=True)
class Task:
    """A batch of measurements written together: one configuration on one problem (point
    sweeps, cost, skips) or every grid configuration on one grid of one problem.

    ``what`` is ``"point"``, ``"grid"``, ``"cost"`` or ``"skip"``; ``region`` is ``"point"``
    except for skipped grid forms (``"interior"``). ``steps`` are relative steps (None: the
    method's own step), as in the measurement keys.
    """

    what: str
    problem: Any
    configs: tuple[MethodConfig, ...]
    steps: tuple = ()
    truths: tuple = ()
    grid_size: int | None = None
    region: str = "point"
    measure: str = "accuracy"
    reason: str = ""
    timing: Mapping[str, Any] = field(default_factory=dict)

    @property
    def form(self) -> str:
        """``"point"`` or ``"grid"``: the form of the method its rows measure."""
        return "grid" if self.what == "grid" or self.region != "point" else "point"

    def keys(self) -> list[str]:
        """The measurement keys of the rows this task writes."""
        p = self.problem.name
        if self.what == "skip":
            return [
                measurement_key(
                    self.measure, p, None, c.row_label(self.form), None, None, self.region
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
            measurement_key("accuracy", p, i, c.label, t, None, "point")
            for c in self.configs
            for i in range(len(self.problem.points))
            for t in self.steps
        ]


def plan_accuracy(
    configs: list[MethodConfig],
    problems: list[Any],
    steps: StepRange | tuple[float, ...],
    grid_sizes: Mapping[int, tuple[int, ...]],
    truths: Mapping[str, tuple],
) -> list[Task]:
    """The tasks of the accuracy sweep, problem by problem (``truths``: :func:`exact_gradients`)."""
    tasks: list[Task] = []
    for prob in problems:
        if prob.dim > HIGH_DIM:
            reason = (
                f"problems of more than {HIGH_DIM} variables are measured for cost only "
                f"(this one has {prob.dim}: one gradient takes up to minutes)"
            )
            tasks.append(Task("skip", prob, tuple(configs), reason=reason))
            continue
        for config in configs:
            reason = cannot_apply(config, prob)
            if reason:
                tasks.append(Task("skip", prob, (config,), reason=reason))
                continue
            t = steps_for(config, steps) if config.kind in ("step", "grid") else (None,)
            tasks.append(Task("point", prob, (config,), steps=t, truths=truths[prob.name]))
        tasks.extend(_grid_tasks(configs, prob, grid_sizes))
    return tasks


def _grid_tasks(
    configs: list[MethodConfig], prob: Any, grid_sizes: Mapping[int, tuple[int, ...]]
) -> list[Task]:
    grid_configs = distinct_grid_forms(c for c in configs if c.kind == "grid")
    if grid_configs and prob.dim > MAX_GRID_DIM:
        reason = (
            f"grid methods are swept on problems of at most {MAX_GRID_DIM} variables; this one "
            f"has {prob.dim}"
        )
        return [Task("skip", prob, tuple(grid_configs), region="interior", reason=reason)]
    tasks = []
    runnable = []
    for c in grid_configs:
        reason = cannot_apply(c, prob)
        if reason:
            tasks.append(Task("skip", prob, (c,), region="interior", reason=reason))
        else:
            runnable.append(c)
    if runnable:
        for size in grid_sizes.get(prob.dim, ()):
            tasks.append(Task("grid", prob, tuple(runnable), grid_size=size))
    return tasks


def plan_cost(
    configs: list[MethodConfig],
    problems: list[Any],
    truths: Mapping[str, tuple],
    timing: Mapping[str, Any],
) -> list[Task]:
    """The tasks of the cost pass: every configuration at every problem's first point."""
    tasks = []
    for prob in problems:
        for config in configs:
            reason = cannot_apply(config, prob)
            if reason:
                tasks.append(Task("skip", prob, (config,), measure="cost", reason=reason))
                continue
            tasks.append(
                Task(
                    "cost",
                    prob,
                    (config,),
                    measure="cost",
                    truths=truths[prob.name],
                    timing=timing,
                )
            )
    return tasks


def exact_gradients(problems: list[Any]) -> dict[str, tuple]:
    """Exact gradients at every point of every problem, by problem name (mpmath, once)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prob in problems:
            out[prob.name] = tuple(prob.exact_gradient(p) for p in prob.points)
    return out
