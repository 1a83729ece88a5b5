"""The sweep's plan: which measurements to make, batched into tasks.

* **Step methods** (kind ``"step"``, and the point form of ``"grid"`` methods): every point of
  every problem at every relative step ``t`` (:func:`diffbench.steps.steps_for`; the step passed
  at ``x`` is ``t * max(1, |x_i|)``).
* **Exact and adaptive methods**: one measurement per point with ``step=None``.
* **Grid methods** (grid form, one per distinct grid form): every grid size of the problem's
  dimension, on problems of at most :data:`diffbench.steps.MAX_GRID_DIM` variables.
* Problems of more than :data:`HIGH_DIM` variables are measured for cost only.
* **Cost**: every configuration at the first point of every problem, default step.
* **Step rules** (:func:`plan_step_rules`): every configuration of a step method that takes a
  ``step_rule`` setting (the finite differences), at the first :data:`STEP_RULE_POINTS` points
  of every problem, at the default step chosen by
  each rule it accepts (:func:`step_rules_for`; the rules are read from
  :data:`methods.finite_difference.STEP_RULES`, never listed here).

* **Jacobians, Hessians, k-th derivatives** (:func:`plan_kinds`, problems of
  :mod:`diffbench.battery_kinds`): the configurations whose method declares the kind (and, for a
  k-th derivative, ``max_deriv >= k``), every point, at the method's default step and, for step
  methods, at every relative step; problems of more than :data:`KIND_MAX_DIM` variables are
  skipped. Methods that do not declare a kind get no rows for it. Grid methods are also
  measured in their grid form on the kind problems that have a ``domain`` (the 1-D battery's
  k-th derivatives, 2-D Hessians), over the gradient sweep's grid sizes.

What cannot run (not available, needs an expression the problem lacks, too many variables)
becomes a ``skip`` task whose rows say why. Nothing here depends on a method's name: it follows
from a configuration's ``kind``, ``needs``, ``availability()`` and ``variants()``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .configs import MethodConfig, cannot_apply, computes, distinct_grid_forms
from .schema import DERIVATIVE_KINDS
from .steps import MAX_GRID_DIM, StepRange, steps_for
from .store import measurement_key

__all__ = [
    "HIGH_DIM",
    "KIND_MAX_DIM",
    "Task",
    "plan_accuracy",
    "plan_cost",
    "BASELINE_RULE",
    "STEP_RULE_POINTS",
    "rule_points",
    "measured_step_rules",
    "step_rules_for",
    "plan_step_rules",
    "exact_gradients",
    "check_kinds",
    "default_kinds",
    "split_problems",
    "kind_problems",
    "plan_kinds",
    "exact_kind_truths",
]

#: Problems with more variables than this are measured for cost only, not swept: on
#: rosenbrock-1000 one central difference takes ~10 s, the sympy gradient ~2 min (measured).
HIGH_DIM = 100


@dataclass(frozen=True)
class Task:
    """A batch of measurements written together: one configuration on one problem (point
    sweeps, cost, skips) or every grid configuration on one grid of one problem.

    ``what`` is ``"point"``, ``"grid"``, ``"cost"``, ``"skip"`` or ``"kind"`` (a Jacobian,
    Hessian or k-th derivative sweep of one configuration on one problem of
    :mod:`diffbench.battery_kinds`; skipped with ``reason`` if that is set); ``region`` is
    ``"point"`` except for skipped grid forms (``"interior"``). ``steps`` are relative steps
    (None: the method's own step), as in the measurement keys. ``derivative_kind`` and
    ``deriv`` say what a ``kind`` task differentiates. A ``rule`` task measures one
    configuration at every point with the default step of each of its ``rules``.
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
    derivative_kind: str = "gradient"
    deriv: int | None = None
    rules: tuple[str, ...] = ()

    @property
    def form(self) -> str:
        """``"point"`` or ``"grid"``: the form of the method its rows measure."""
        return "grid" if self.what == "grid" or self.region != "point" else "point"

    def keys(self) -> list[str]:
        """The measurement keys of the rows this task writes."""
        p = self.problem.name
        if self.what == "kind" and self.form == "grid":
            cells = [(None, self.region)] if self.reason else [
                (self.grid_size, r) for r in ("interior", "edge")]  # fmt: skip
            return [
                measurement_key(
                    "accuracy",
                    p,
                    None,
                    c.grid_label,
                    None,
                    size,
                    region,
                    self.derivative_kind,
                    self.deriv,
                )  # fmt: skip
                for c in self.configs
                for size, region in cells
            ]
        if self.what == "rule":
            return [
                measurement_key("step-rule", p, i, c.label, None, None, "point", step_rule=r)
                for c in self.configs
                for i in rule_points(self.problem)
                for r in self.rules
            ]
        if self.what == "kind":
            steps = (None,) if self.reason else self.steps
            points = (None,) if self.reason else range(len(self.problem.points))
            return [
                measurement_key(
                    "accuracy", p, i, c.label, t, None, "point", self.derivative_kind, self.deriv
                )  # fmt: skip
                for c in self.configs
                for i in points
                for t in steps
            ]
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


#: The rule every other is compared with: the unit-scale step, ``h* max(1, |x_i|)``, which
#: spends no evaluation of f (its ``nfev`` is the stencil's).
BASELINE_RULE = "relative"


#: How many points of each problem (the first ones) the step rules are measured at. At one, a
#: default run gets 1,722 step-rule rows for 6.8 s of CPU, against 105 s for the accuracy
#: sweep's 67,797 rows (6.5 %, measured serially); every point would about double it (most
#: problems have two points).
STEP_RULE_POINTS = 1


def rule_points(problem: Any) -> range:
    """Indices of the points of ``problem`` the step rules are measured at (the first
    :data:`STEP_RULE_POINTS`)."""
    return range(min(len(problem.points), STEP_RULE_POINTS))


def measured_step_rules() -> tuple[str, ...]:
    """The step rules the sweep measures: every value of ``step_rule`` of
    :data:`methods.finite_difference.STEP_RULES` but ``"absolute"`` (the same unit-scale rule
    without the ``max(1, |x_i|)`` scale), :data:`BASELINE_RULE` first.

    Examples
    --------
    >>> rules = measured_step_rules()
    >>> rules[0], "guarded" in rules, "absolute" in rules
    ('relative', True, False)
    """
    from methods.finite_difference import STEP_RULES

    rest = [r for r in STEP_RULES if r not in (BASELINE_RULE, "absolute")]
    return (BASELINE_RULE, *rest)


def step_rules_for(config: MethodConfig) -> tuple[str, ...]:
    """The rules of :func:`measured_step_rules` that ``config`` accepts as ``step_rule``
    (``()`` if its method has no such setting or is not a step method)."""
    if config.kind != "step" or "step_rule" not in inspect.signature(config.cls).parameters:
        return ()
    from methods import get_method

    accepted = []
    for rule in measured_step_rules():
        try:
            get_method(config.cls, **{**dict(config.settings), "step_rule": rule})
        except ValueError:
            continue  # the rule does not serve this stencil (gmsw: forward order 1 only)
        accepted.append(rule)
    return tuple(accepted) if BASELINE_RULE in accepted else ()


def plan_step_rules(
    configs: list[MethodConfig], problems: list[Any], truths: Mapping[str, tuple]
) -> list[Task]:
    """One ``rule`` task per configuration that takes a ``step_rule`` and problem it can run on
    (problems of more than :data:`HIGH_DIM` variables are left out, as in the sweep)."""
    tasks = []
    for config in configs:
        rules = step_rules_for(config)
        if not rules:
            continue
        for prob in problems:
            if prob.dim <= HIGH_DIM and not cannot_apply(config, prob):
                tasks.append(
                    Task(
                        "rule",
                        prob,
                        (config,),
                        truths=truths[prob.name],
                        rules=rules,
                        measure="step-rule",
                    )  # fmt: skip
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


#: Largest number of variables of a Jacobian or Hessian problem that is swept: a central
#: Hessian of n = 100 takes 20 001 evaluations (~2 s) per step, ~4 min per configuration over
#: the steps; a dense Jacobian of Bratu n = 100, ~0.1 s per step (measured).
KIND_MAX_DIM = 10


def check_kinds(kinds: Any) -> tuple[str, ...]:
    """What to differentiate, as a tuple in :data:`~diffbench.schema.DERIVATIVE_KINDS` order.

    ``kinds`` is a comma-separated string or an iterable of kinds; ``"all"`` means every kind;
    None means ``("gradient",)``.

    Examples
    --------
    >>> check_kinds("hessian,gradient"), check_kinds(None)
    (('gradient', 'hessian'), ('gradient',))
    """
    if kinds is None:
        return ("gradient",)
    items = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    words = {str(k).strip() for k in items} - {""}
    if "all" in words:
        words = (words - {"all"}) | set(DERIVATIVE_KINDS)
    unknown = sorted(words - set(DERIVATIVE_KINDS))
    if unknown or not words:
        raise ValueError(
            f"`kinds` must name some of {', '.join(DERIVATIVE_KINDS)} (or all), got {kinds!r}."
        )
    return tuple(k for k in DERIVATIVE_KINDS if k in words)


def default_kinds(problems: Any) -> tuple[str, ...]:
    """What a sweep differentiates when ``kinds`` is not given: every kind for the default
    batteries (``problems`` None), else the kinds of the problems named (``gradient`` for
    gradient problems and your own, a kind problem's kind for the names of
    :mod:`diffbench.battery_kinds`).

    Examples
    --------
    >>> default_kinds(None)
    ('gradient', 'jacobian', 'hessian', 'derivative')
    >>> default_kinds(["runge"]), default_kinds(["runge", "robertson"])
    (('gradient',), ('gradient', 'jacobian'))
    """
    from .battery_kinds import get_kind_problem

    if problems is None:
        return DERIVATIVE_KINDS
    gradient_part, kind_names = split_problems(problems)
    kinds = {get_kind_problem(name).kind for name in kind_names}
    if gradient_part is not None:
        kinds.add("gradient")
    return tuple(k for k in DERIVATIVE_KINDS if k in kinds)


def split_problems(problems: Any) -> tuple[Any, list[str]]:
    """Split a problem selection into the gradient problems and the names of problems of
    :mod:`diffbench.battery_kinds` (a list of strings may mix both; anything else is all
    gradient problems). The gradient part is None when only kind problems were named."""
    from .battery_kinds import kind_problem_names

    if isinstance(problems, str):
        problems = [problems]
    if not isinstance(problems, list | tuple) or not all(isinstance(p, str) for p in problems):
        return problems, []
    if all(_names_a_gradient_problem(p) for p in problems):
        return problems, []  # the kind battery (Bratu at n = 1000, ...) is not built for nothing
    names = set(kind_problem_names())
    kinds = [p for p in problems if p in names]
    rest = [p for p in problems if p not in names]
    return (rest or None) if kinds else problems, kinds


def _names_a_gradient_problem(name: str) -> bool:
    """Whether ``name`` is a gradient problem (or a ``"module:attr"`` spec, resolved later)."""
    from .problems import get_problem

    if ":" in name:
        return True
    try:
        get_problem(name)
    except (ValueError, KeyError):
        return False
    return True


def kind_problems(kinds: tuple[str, ...], names: list[str] | None = None) -> list[Any]:
    """The problems of :mod:`diffbench.battery_kinds` of the given kinds (of those ``names``,
    if given: a named problem of a kind not asked for is an error)."""
    from .battery_kinds import get_kind_problem, kind_battery

    if not names:
        return [p for p in kind_battery() if p.kind in kinds]
    chosen = [get_kind_problem(n) for n in dict.fromkeys(names)]
    for p in chosen:
        if p.kind not in kinds:
            raise ValueError(
                f"`problems`: {p.name!r} is a {p.kind} problem, but `kinds` is "
                f"{','.join(kinds)}; add {p.kind} to `kinds` or leave the problem out."
            )
    return chosen


def plan_kinds(
    configs: list[MethodConfig],
    problems: list[Any],
    steps: StepRange | tuple[float, ...],
    truths: Mapping[str, tuple],
    grid_sizes: Mapping[int, tuple[int, ...]] | None = None,
) -> list[Task]:
    """Tasks of the Jacobian, Hessian and k-th derivative sweep (``truths``:
    :func:`exact_kind_truths`); one ``kind`` task per problem and configuration that computes it,
    and, with ``grid_sizes`` (as for gradients), the grid forms of the grid methods that compute
    it on problems with a ``domain``: one task per grid size (region ``interior``: form grid)."""
    tasks = []
    for prob in problems:
        tasks.extend(_kind_grid_tasks(configs, prob, grid_sizes or {}))
        deriv = prob.deriv if prob.kind == "derivative" else None
        common = dict(derivative_kind=prob.kind, deriv=deriv)
        for config in configs:
            if not computes(config, prob.kind, prob.deriv):
                continue
            reason = cannot_apply(config, prob)
            if prob.dim > KIND_MAX_DIM:
                reason = (
                    f"{prob.kind} problems of more than {KIND_MAX_DIM} variables are not swept "
                    f"(this one has {prob.dim})"
                )
            if reason:
                tasks.append(Task("kind", prob, (config,), reason=reason, **common))
                continue
            t = (None, *_kind_steps(config, steps, prob.kind)) if config.kind == "step" else (None,)
            tasks.append(Task("kind", prob, (config,), steps=t, truths=truths[prob.name], **common))
    return tasks


def _kind_grid_tasks(
    configs: list[MethodConfig], prob: Any, grid_sizes: Mapping[int, tuple[int, ...]]
) -> list[Task]:
    """Grid-form tasks of one kind problem: every grid size of its dimension for the distinct
    grid forms that compute its kind (the truth at the nodes is computed in the task)."""
    sizes = grid_sizes.get(prob.dim, ())
    if getattr(prob, "domain", None) is None or not sizes or prob.dim > MAX_GRID_DIM:
        return []
    deriv = prob.deriv if prob.kind == "derivative" else None
    common = dict(derivative_kind=prob.kind, deriv=deriv, region="interior")
    grid = [c for c in distinct_grid_forms(c for c in configs if c.kind == "grid")
            if computes(c, prob.kind, prob.deriv)]  # fmt: skip
    tasks, runnable = [], []
    for c in grid:
        reason = cannot_apply(c, prob)
        if reason:
            tasks.append(Task("kind", prob, (c,), reason=reason, **common))
        else:
            runnable.append(c)
    if runnable:
        tasks += [Task("kind", prob, tuple(runnable), grid_size=n, **common) for n in sizes]
    return tasks


def _kind_steps(config: MethodConfig, steps: StepRange | tuple, kind: str) -> tuple[float, ...]:
    """Relative steps of a kind sweep: as for gradients (:func:`steps_for`), but a Hessian or a
    derivative of order >= 2 takes real differences, so a range is not extended below its end
    for methods whose first derivatives take smaller steps (the complex step)."""
    if kind == "jacobian" or not isinstance(steps, StepRange):
        return steps_for(config, steps)
    return tuple(steps.steps())


def exact_kind_truths(problems: list[Any]) -> dict[str, tuple]:
    """Exact Jacobians, Hessians or k-th derivatives at every point of every problem of at most
    :data:`KIND_MAX_DIM` variables (mpmath, once), by problem name."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prob in problems:
            if prob.dim <= KIND_MAX_DIM:
                out[prob.name] = tuple(prob.truth(p) for p in prob.points)
    return out
