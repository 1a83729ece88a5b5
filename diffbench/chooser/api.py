"""Choose a differentiation method for production use, by measuring every method on *your* f.

:func:`choose` probes the function at the point (does it take complex arguments and stay
analytic, dual numbers, arrays of points; what does a call cost; how noisy is it), fixes a
reference gradient (exact from the formula when there is one, else the agreement of the most
accurate methods that apply), sweeps the step of every step method at the point, and ranks the
methods on counted quantities (:mod:`diffbench.chooser.ranking`): those that meet the error
target first, then by evaluations of ``f`` per gradient, then by robustness (how many decades
of step stay safe), then a fixed order; time reorders them only where it differs by a factor
2 or more in interleaved timing rounds. Methods come from the registry
(:func:`methods.available` and each class's ``variants()``).

The measured cost of one call of ``f`` decides only how much work is done: the time limit
buys a number of evaluations of ``f``, and the plan spends them in a fixed order, skipping
(and reporting) the step sweeps that do not fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from methods import Method, get_method, method_class
from methods.capabilities import Need
from methods.functions import has_expression
from methods.parallel import Workers, check_workers, is_serial
from methods.validation import check_point, check_positive_int, check_positive_real

from . import text
from .candidates import build_and_run, candidate_methods, measure_fixed
from .context import Context
from .findings import (
    CandidateStatus,
    ComplexOutcome,
    ComplexProbe,
    DualOutcome,
    DualProbe,
    ReferenceBasis,
    VectorizedOutcome,
    VectorizedProbe,
)
from .kinds import KindChoice, check_kind, choose_kind
from .noise_model import NoiseLevel, check_noise, more_wild_axes, noise_level
from .probes import call_seconds, expression_matches, probe_complex, probe_vectorized, scalar_value
from .ranking import candidate_key, rank
from .reference import consensus, formula_reference, reference_pool
from .results import Candidate, Choice, Probes, Reference, StepRuleAdvice
from .running import FunctionExit, Meter, OutOfTime, relative_error, run
from .step_sweep import cheapest_first, measure_step, probe_call, sweep_subset

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "CHEAP_CALL",
    "ROBUST_DECADES",
    "Candidate",
    "Choice",
    "Probes",
    "Reference",
    "StepRuleAdvice",
    "choose",
    "step_rule_advice",
]

#: Seconds of evaluations of ``f`` that :func:`choose` plans for by default.
DEFAULT_TIME_LIMIT = 60.0
#: Evaluations of ``f`` the complex-step probe takes per coordinate (plus one).
COMPLEX_PROBE_EVALUATIONS = 15
#: A call of f at most this long (seconds) is cheap: a step rule's extra evaluations are worth it.
CHEAP_CALL = 1e-3
#: A fixed step whose window of errors within 10x of its best is narrower than this many decades
#: is not robust: the step tuned at x may not suit another point, where a step rule looks at f.
ROBUST_DECADES = 1.0


@dataclass(frozen=True)
class _Inputs:
    """The caller's arguments, checked."""

    f: Callable
    x: np.ndarray
    target: float
    budget: int | None
    noise: float | None  # None: "auto"
    reference: np.ndarray | None
    candidates: list[tuple[type[Method], dict]]
    has_expr: bool
    time_limit: float
    workers: Workers = 1


def _check_inputs(
    f: Any,
    x: Any,
    target: Any,
    budget: Any,
    noise: Any,
    reference: Any,
    methods: Any,
    time_limit: Any,
    workers: Any = 1,
) -> _Inputs:
    """Every argument of :func:`choose` checked (a Problem stands for its function)."""
    from ..problems import Problem

    if isinstance(f, Problem):
        x = f.points[0] if x is None else x
        reference = f.exact_gradient(x) if reference is None else reference
        f = f.function
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    if x is None:
        raise ValueError("`x` is required (the point at which to differentiate).")
    x = check_point(x)
    target = check_positive_real("target", target)
    budget = None if budget is None else check_positive_int("budget", budget, minimum=1)
    has_expr = has_expression(f)
    given_noise = check_noise(noise)
    candidates = candidate_methods(methods)
    if reference is not None:
        reference = np.asarray(reference, dtype=float)
        if reference.shape != x.shape or not np.all(np.isfinite(reference)):
            raise ValueError(
                f"`reference` must be {x.size} finite numbers (one per coordinate of `x`), got "
                f"shape {reference.shape}."
            )
    if has_expr and len(f.symbols) != x.size:
        raise ValueError(
            f"`x` has {x.size} coordinate(s) but f's formula has {len(f.symbols)} variable(s) "
            f"({', '.join(map(str, f.symbols))})."
        )
    limit = math.inf if time_limit is None else check_positive_real("time_limit", time_limit)
    workers = check_workers(workers)
    return _Inputs(
        f, x, target, budget, given_noise, reference, candidates, has_expr, limit, workers
    )


def _with_workers(
    candidates: list[tuple[type[Method], dict]], workers: Workers, vectorized: bool
) -> list[tuple[type[Method], dict]]:
    """The candidates, ``workers`` set on those that take it (unless ``f`` takes arrays of
    points: a vectorized ``f`` gets its points in one call, with ``workers=1``)."""
    if is_serial(workers) or vectorized:
        return candidates
    return [
        (cls, {**v, "workers": workers} if "workers" in cls._setting_names else v)
        for cls, v in candidates
    ]


def _without_runtime(c: Candidate) -> Candidate:
    """A candidate as the recommendation states it: settings that never change the values
    (``workers``) left out of its settings, label and code, so ``workers`` changes none."""
    runtime = set(method_class(c.name).runtime_settings)
    if not runtime & set(c.settings):
        return c
    settings = {k: v for k, v in c.settings.items() if k not in runtime}
    code = text.call_code(c.name, settings, c.step) if c.code else c.code
    return replace(c, settings=settings, code=code, label=get_method(c.name, **settings).label)


def _probe(inp: _Inputs, meter: Meter) -> tuple[Context, NoiseLevel, float, VectorizedProbe]:
    """Probe ``f`` at ``x``: the context of every measurement, the noise, call time, arrays.

    When the probes are done, the meter is allowed the evaluations of ``f`` that the rest of
    the time limit buys at the measured cost of one call.
    """
    f, x = meter.f, inp.x
    f0 = scalar_value(f, x)
    seconds = call_seconds(f, x)
    if seconds > 0 and math.isfinite(inp.time_limit):
        meter.allow((inp.time_limit - meter.elapsed()) / seconds)
    vectorized = _afford(
        meter,
        6,
        lambda: probe_vectorized(f, x),
        VectorizedProbe(VectorizedOutcome.SKIPPED_FOR_TIME, x.size),
    )
    matches = expression_matches(inp.f, x, f0) if inp.has_expr else None
    level = noise_level(f, x, f0, inp.noise, meter.remaining)
    complex_probe = ComplexProbe(ComplexOutcome.NOT_PROBED)
    if any(Need.COMPLEX in cls.needs for cls, _ in inp.candidates):
        complex_probe = _afford(
            meter,
            COMPLEX_PROBE_EVALUATIONS * x.size + 1,
            lambda: probe_complex(f, x, noisy=level.noisy),
            ComplexProbe(ComplexOutcome.SKIPPED_FOR_TIME),
        )
    ctx = Context(
        f=f,
        x=x,
        target=inp.target,
        budget=inp.budget,
        has_expr=inp.has_expr,
        f0=f0,
        matches=matches,
        vectorized=vectorized.ok,
        complex_probe=complex_probe,
        noisy=level.noisy,
        eps_f=level.eps_f,
        meter=meter,
    )
    return ctx, level, seconds, vectorized


def _afford(meter: Meter, evaluations: int, probe: Callable[[], Any], skipped: Any) -> Any:
    """``probe()`` if ``evaluations`` of ``f`` fit what the time limit leaves, else ``skipped``."""
    if meter.remaining < evaluations:
        return skipped
    try:
        return probe()
    except OutOfTime:
        return skipped


def _measure(
    ctx: Context, inp: _Inputs, ref: Reference | None
) -> tuple[list[Candidate], Context, DualProbe, list[str]]:
    """Every candidate measured; the final context (with the reference); the dual probe; notes."""
    candidates = _with_workers(inp.candidates, inp.workers, ctx.vectorized)
    rows, fixed, step_methods, dual = build_and_run(ctx, candidates)
    if ref is None:
        pool, pool_dual = reference_pool(ctx, fixed, step_methods)
        ref = consensus(pool, ctx.complex_ok)
        if pool_dual.outcome is not DualOutcome.NOT_PROBED:
            dual = pool_dual
    subset = sweep_subset(ctx.x.size)
    notes = [] if subset is None else [text.subset_note(subset.tolist(), ctx.x.size)]
    ctx = replace(ctx, ref=ref, subset=subset)
    rows += [measure_fixed(method, r, ctx) for method, r in fixed]
    probed = []
    for method in step_methods:
        ctx.stage(f"first call of {method.label}")
        probed.append((method, *probe_call(method, ctx)))
    # the sweeps in a fixed order, cheapest first: what the time limit leaves goes to them
    probed = cheapest_first(probed, lambda p: None if p[1].estimate is None else p[1].estimate.nfev)
    rows += [measure_step(method, ctx, probe, arg) for method, probe, arg in probed]
    return [_without_runtime(r) for r in rows], ctx, dual, notes


def choose(
    f: Callable,
    x: Any = None,
    *,
    target: float = 1e-8,
    budget: int | None = None,
    noise: float | str = "auto",
    reference: Any = None,
    methods: Sequence[Any] | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    progress: bool = True,
    workers: Workers = 1,
    kind: str = "gradient",
    deriv: int = 1,
) -> Choice | KindChoice:
    """Measure every applicable method on ``f`` at ``x`` and recommend one for production use.

    Parameters
    ----------
    f : callable or Problem
        ``f(x) -> float`` for ``x`` of shape ``(n,)`` (the vector convention of
        :mod:`methods`; wrap ``func(x1, ..., xn)`` with :func:`methods.as_vector_function`).
        A function carrying a SymPy formula (:class:`methods.SymbolicFunction`,
        :func:`diffbench.expressions.expression_function`) gives an exact reference. A battery
        :class:`~diffbench.problems.Problem` stands for its function (and its first point if
        ``x`` is None).
    x : array_like, shape (n,)
        The point (real, finite, inside the domain of ``f``).
    target : float, default 1e-8
        Relative error of the gradient the method must reach (as
        :func:`diffbench.gradient_error` measures it), positive.
    budget : int, optional
        Most evaluations of ``f`` per gradient; methods needing more are left out.
    noise : "auto" or float, default "auto"
        Standard deviation of the noise in ``f`` (absolute). ``"auto"`` estimates it with
        ECnoise (:func:`diffbench.noise.estimate_noise`); 0 declares ``f`` noise-free.
    reference : array_like, shape (n,), optional
        A known exact gradient at ``x`` to measure errors against.
    methods : sequence of str, optional
        Restrict the candidates to these registered methods (default: all available). The
        reference gradient is built from every applicable accurate method regardless.
    time_limit : float or None, default 60
        Seconds of evaluations of ``f`` to plan for (None: no limit), turned into evaluations
        by the time of one call; the step sweeps run cheapest first, over every step, every
        third step or none (reported) as the evaluations left allow.
    progress : bool, default True
        Print what is being measured on stderr once a run lasts more than a few seconds.
    workers : int or map-like callable, default 1
        Evaluate ``f`` at the points of one gradient in parallel (``k > 1``: a pool of ``k``
        processes, ``f`` must pickle; or a map-like callable; :mod:`methods.parallel`), for the
        methods with a ``workers`` setting, in the step sweeps and final evaluations. Values,
        ranking and recommendation are those of ``workers=1``; evaluations in worker processes
        are not counted against ``time_limit``. Ignored when ``f`` takes arrays of points.
    kind : {"gradient", "jacobian", "hessian", "derivative"}, default "gradient"
        Another kind is chosen by :func:`diffbench.chooser.kinds.choose_kind` (the other
        options apply as for gradients; a Jacobian refuses ``workers`` other than 1), which
        returns a :class:`~diffbench.chooser.kinds.KindChoice`.
    deriv : int, default 1
        Derivative order k for ``kind="derivative"``.

    Returns
    -------
    Choice
        ``ranking`` (usable methods, best first), ``rejected`` (with why, including methods
        skipped for time), ``recommended``, ``reasons``, ``code`` and :meth:`Choice.report`.

    Raises
    ------
    ValueError
        ``f`` raises, exits (``SystemExit``, ``KeyboardInterrupt`` raised by ``f``) or is not
        finite at ``x``, or is not differentiable there (by its formula); a bad ``x``,
        ``target``, ``budget``, ``noise``, ``reference``, ``time_limit`` or method name.

    Notes
    -----
    The ranking (:mod:`diffbench.chooser.ranking`) rests on counted quantities (target met,
    evaluations, robustness, expected error, a fixed order); time reorders methods only when
    one is 2x faster in 8 of 9 interleaved rounds, so a loaded machine gives the same answer.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * np.exp(delta))
    >>> choice = choose(f, [0.3, -1.7, 2.9], methods=["dual", "central", "forward"])
    >>> choice.recommended.label, choice.recommended.nfev
    ('dual', 1)
    >>> choice.code
    'get_method("dual").gradient(f, x)'
    """
    if kind != "gradient" or deriv != 1:
        return _choose_kind(
            f, x, kind, deriv, target, budget, methods, reference,
            {"noise": noise, "time_limit": time_limit, "workers": workers, "progress": progress},
        )  # fmt: skip
    inp = _check_inputs(f, x, target, budget, noise, reference, methods, time_limit, workers)
    meter = Meter(inp.f, wrap=not inp.has_expr, progress=progress)
    try:
        return _choose(inp, meter)
    except FunctionExit as exc:
        raise ValueError(text.function_exit(exc.__cause__, inp.x)) from None


def _choose_kind(
    f: Any, x: Any, kind: Any, deriv: Any, target: Any, budget: Any, methods: Any, reference: Any,
    options: dict[str, Any],
) -> KindChoice:  # fmt: skip
    """:func:`choose` for a Jacobian, Hessian or k-th derivative (a Problem gives f and x)."""
    from ..problems import Problem

    kind = check_kind(kind)
    if kind == "gradient":
        raise ValueError(f"`--deriv` applies to --kind derivative only, got `deriv`={deriv!r}.")
    if isinstance(f, Problem):
        x = f.points[0] if x is None else x
        f = f.function
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    if x is None:
        raise ValueError("`x` is required (the point at which to differentiate).")
    target = check_positive_real("target", target)
    budget = None if budget is None else check_positive_int("budget", budget)
    return choose_kind(
        f, x, kind=kind, deriv=deriv, target=target, budget=budget, methods=methods,
        reference=reference, **options,
    )  # fmt: skip


def _choose(inp: _Inputs, meter: Meter) -> Choice:
    """:func:`choose` on checked inputs, with ``f`` counted by ``meter``."""
    ctx, level, seconds, vectorized = _probe(inp, meter)
    notes = text.noise_notes(level.origin, level.estimate, level.error)
    ref = None
    if inp.reference is not None:
        ref = Reference(inp.reference, 0.0, ReferenceBasis.GIVEN)
    elif inp.has_expr:
        ref, more = formula_reference(inp.f, inp.x)
        notes += more
    rows, ctx, dual, more = _measure(ctx, inp, ref)
    notes += more
    probes = Probes(
        value=ctx.f0,
        call_seconds=seconds,
        vectorized_probe=vectorized,
        complex_probe=ctx.complex_probe,
        dual_probe=dual,
        expression=str(inp.f.expr) if inp.has_expr else None,
        expression_matches=ctx.matches,
    )
    ranking, untimed = rank([r for r in rows if r.status is CandidateStatus.OK], ctx)
    rejected = tuple(r for r in rows if r.status is not CandidateStatus.OK)
    recommended = ranking[0] if ranking else None
    overtaken = ()
    if recommended is not None:
        key = candidate_key(recommended)
        overtaken = tuple(c for c in ranking if c.meets_target and candidate_key(c) < key)
    reasons = text.reasons(
        recommended, ranking, rejected, probes, ctx.ref, ctx.target, ctx.budget, ctx.eps_f
    )
    reasons += text.ranking_reasons(recommended, overtaken, untimed)
    skipped = [r.label for r in rejected if r.status is CandidateStatus.SKIPPED_FOR_TIME]
    if skipped or untimed:
        notes.append(text.time_note(inp.time_limit, seconds, meter.calls, skipped, untimed))
    if ctx.noisy:
        try:
            axes = more_wild_axes(meter.f, inp.x, ctx.eps_f)
        except OutOfTime:
            axes = []
        if axes:
            notes.append(text.more_wild_note(axes))
    advice = None
    if not ctx.noisy and seconds <= CHEAP_CALL and ctx.ref is not None:
        try:
            advice = step_rule_advice(ranking, ctx)
        except OutOfTime:
            advice = None
    if advice is not None:
        notes.append(text_step_rule(advice))
    return Choice(
        step_rule=advice,
        x=inp.x,
        target=ctx.target,
        budget=ctx.budget,
        noise=ctx.eps_f,
        noisy=ctx.noisy,
        noise_source=text.noise_source(level.origin, level.estimate),
        noise_estimate=level.estimate,
        probes=probes,
        reference=ctx.ref,
        ranking=ranking,
        rejected=rejected,
        recommended=recommended,
        reasons=tuple(reasons),
        notes=tuple(notes),
        seconds=meter.elapsed(),
        time_limit=inp.time_limit,
        evaluations=meter.calls if meter.f is not meter.raw else None,
    )


def _takes_step_rule(c: Candidate) -> str | None:
    """The default ``step_rule`` of a candidate's method, None if it takes no ``step_rule``."""
    import inspect

    param = inspect.signature(method_class(c.name)).parameters.get("step_rule")
    return None if param is None or c.kind != "step" else str(param.default)


def _window_decades(c: Candidate) -> float:
    """Decades of the candidate's swept steps around its best whose errors are within 10x of
    the best (:func:`diffbench.analysis.best_on_curve`, the report's safe-step window)."""
    from ..analysis_curves import best_on_curve

    if len(c.sweep) < 2:
        return math.nan
    t = np.array([s for s, _ in c.sweep], dtype=float)
    order = np.argsort(-t)
    i, _, lo, hi = best_on_curve(np.array([e for _, e in c.sweep], dtype=float)[order])
    return math.nan if i < 0 else float(abs(np.log10(t[order][lo] / t[order][hi])))


def step_rule_advice(ranking: Sequence[Candidate], ctx: Context) -> StepRuleAdvice | None:
    """A step rule to use instead of the recommended fixed step, or None.

    Only when the recommended candidate (``ranking[0]``) takes a ``step_rule`` and its fixed
    step is not robust: its default step was not safe (a tuned step is recommended) or its steps
    within 10x of its best error span fewer than :data:`ROBUST_DECADES` decades. Every rule the
    sweep measures (:func:`diffbench.plan.measured_step_rules`) but the unit-scale ``relative``
    and the method's default (what ``step=None`` gives, already weighed) is run at the point; a rule
    qualifies when its error is within 10x of the best fixed step's (at most
    ``max(10 x best, 4 eps)``, :data:`diffbench.analysis.WINDOW_FLOOR`). The qualifying rule
    with the fewest evaluations is returned (ties: the order of the rules).
    """
    from ..analysis_curves import WINDOW_FLOOR
    from ..plan import BASELINE_RULE, measured_step_rules

    c = ranking[0] if ranking else None
    default = None if c is None else _takes_step_rule(c)
    if c is None or default is None or not np.isfinite(c.best_error):
        return None
    decades = _window_decades(c)
    if c.step is None and decades >= ROBUST_DECADES:
        return None  # the default step is safe and the window wide: a fixed step is robust
    found = []
    for rule in measured_step_rules():
        if rule in (BASELINE_RULE, default):
            continue
        settings = {**c.settings, "step_rule": rule}
        try:
            method = get_method(c.name, **settings)
        except ValueError:
            continue  # the rule does not serve this stencil
        r = run(method, ctx.f, ctx.x, None)
        if not r.ok or r.estimate is None:
            continue
        err = relative_error(r.estimate.value, ctx.ref.value, ctx.ref.scale)
        if np.isfinite(err) and err <= max(10.0 * c.best_error, WINDOW_FLOOR):
            found.append((int(r.estimate.nfev), rule, settings, err))
    if not found:
        return None
    nfev, rule, settings, err = min(found, key=lambda t: t[0])
    base = run(get_method(c.name, **{**c.settings, "step_rule": BASELINE_RULE}), ctx.f, ctx.x, None)
    extra = nfev - int(base.estimate.nfev) if base.estimate is not None else nfev
    args = ", ".join([f'"{c.name}"', *(f"{k}={v!r}" for k, v in settings.items())])
    why = (
        f"its default step is not safe here and the step {text.format_step(c.step)} was tuned "
        "at this point"
        if c.step is not None
        else f"its steps within 10x of the best span only {decades:.1f} decades"
    )
    return StepRuleAdvice(
        c.label, c.name, settings, rule, err, c.best_error, decades, nfev, extra,
        f"get_method({args})".replace("'", '"'), why,
    )  # fmt: skip


def text_step_rule(a: StepRuleAdvice) -> str:
    """The note saying which step rule to use instead of a fixed step, with its code."""
    return (
        f"step rule: a fixed step of {a.label} is not robust: {a.why}, so it may not suit "
        f'another point; step_rule="{a.step_rule}" looks at f and chose a step with error '
        f"{a.error:.1e} here (best fixed step: {a.best_error:.1e}, within 10x) for "
        f"{a.extra_nfev} evaluations of f beyond the stencil ({a.nfev} per gradient). f is "
        f"cheap, so consider: {a.code}.gradient(f, x)"
    )
