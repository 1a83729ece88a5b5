"""The chooser beyond gradients: which method for a Jacobian, a Hessian or a k-th derivative.

:func:`choose_kind` is what :func:`diffbench.chooser.choose` runs for ``kind="jacobian"``,
``"hessian"`` or ``"derivative"`` (``diffbench choose --kind ...``). It follows the gradient
chooser on a smaller scale:

* **candidates**: every registered configuration (``variants()``) whose method declares the kind
  (``derivative_kinds``, and ``max_deriv >= k`` for a k-th derivative); a method that needs a
  SymPy formula only when ``f`` carries one. A candidate that fails on ``f`` is listed with why.
* **reference**: the exact value from the formula when ``f`` carries one (Hessian and k-th
  derivative, :mod:`diffbench.truth`), else the result of the applicable method of the highest
  declared :class:`~methods.capabilities.ReferenceGrade` (hyper-dual, then complex step, then
  extrapolation for a Hessian; dual numbers, hyper-dual, complex step for a Jacobian; ties of
  grade in registry order), whose distance to the next graded one is the uncertainty. As the
  gradient chooser adds its reference's uncertainty to every error, so does this one; and the
  reference method itself is scored against that next graded one, so its own error is never 0
  by construction (with no second graded method it is not measured: NaN, ranked last among
  those with its evaluations).
* **steps**: a method of kind ``step`` runs at its default step and over relative steps
  ``10^-1 .. 10^-8`` (two per decade, times ``max(1, |x|)``); the recommended step is the middle
  of the widest run of steps within 10x of its best error (as the gradient chooser's window).
* **ranking**: meets the target first, then fewer evaluations of ``f``, then smaller error, then
  the fixed order (reference grade, registry order, label). Time is shown, never ranked on:
  per call, after compilation (a method that evaluates ``f`` zero times computes from the
  formula and compiles on its first call: it is timed on a second call, which costs no
  evaluation of ``f``, and the difference is its ``compile_seconds``).
* **time limit**: the candidates are measured cheapest first (the evaluations of ``f`` each is
  expected to take, counted on a stand-in for ``f``), as the gradient chooser's step sweeps; one
  that needs more than is left is listed as not measured, with what it needed.

Errors are :func:`diffbench.metrics.matrix_error` (relative) against the reference. A step of
the sweep at which a method raises one of :data:`STEP_FAILURES` is skipped; anything else raised
there is a defect and propagates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from methods import Method, method_class
from methods.capabilities import Need, ReferenceGrade
from methods.counting import FunctionEvaluationError
from methods.derivative_kinds import DERIVATIVE_KINDS, check_deriv
from methods.functions import has_expression
from methods.parallel import Workers, check_workers
from methods.registry import available

from ..measure import call_kind
from ..metrics import matrix_error
from . import kinds_text, running
from .kinds_options import (
    ScalarArgument,
    expected_evaluations,
    kind_amplification,
    kind_noise_level,
    with_workers,
)
from .noise_model import check_noise
from .probes import call_seconds
from .running import FunctionExit, Meter, OutOfTime
from .step_sweep import cheapest_first, pick_in_window, widest_run

__all__ = [
    "KIND_STEPS",
    "STEP_FAILURES",
    "KindCandidate",
    "KindChoice",
    "check_kind",
    "choose_kind",
]

#: Relative steps swept for step methods (times ``max(1, |x|)``): two per decade.
KIND_STEPS = 10.0 ** (-np.arange(2, 17) / 2.0)
#: What a method legitimately raises at a step of the sweep (a step lost in ``x + h``, ``f``
#: failing or overflowing at a point): the step is skipped. Anything else is a defect and raises.
STEP_FAILURES = (ValueError, ArithmeticError, FunctionEvaluationError)


def check_kind(kind: Any) -> str:
    """Return ``kind`` if it is one of :data:`methods.derivative_kinds.DERIVATIVE_KINDS`.

    Examples
    --------
    >>> check_kind("hessian")
    'hessian'
    """
    if not isinstance(kind, str) or kind not in DERIVATIVE_KINDS:
        raise ValueError(
            f"`--kind` (kind=) must be one of {', '.join(DERIVATIVE_KINDS)}, got {kind!r}."
        )
    return kind


@dataclass(frozen=True)
class KindCandidate:
    """One measured (or rejected) configuration for a kind."""

    label: str
    code: str
    step: float | None = None
    error: float = float("nan")
    nfev: int | None = None
    seconds: float = float("nan")
    meets_target: bool = False
    grade: int = 0
    order: int = 0
    why: str = ""
    for_time: bool = False  # not measured: the time limit was spent (``why`` says how)
    compile_seconds: float = float("nan")  # first call's compilation, apart from ``seconds``


@dataclass(frozen=True)
class KindChoice:
    """What :func:`choose_kind` returns; ``report()`` and ``to_dict()`` as for gradients."""

    kind: str
    deriv: int
    target: float
    reference: str
    uncertainty: float
    ranking: tuple[KindCandidate, ...]
    rejected: tuple[KindCandidate, ...]
    seconds: float
    notes: tuple[str, ...] = field(default=())
    noise: float = float("nan")
    noisy: bool = False
    not_measured: tuple[str, ...] = field(default=())
    time_limit: float = math.inf
    second_reference: str = ""

    @property
    def recommended(self) -> KindCandidate | None:
        """The first of the ranking, or None when no method worked."""
        return self.ranking[0] if self.ranking else None

    @property
    def code(self) -> str:
        """The call that computes the recommended estimate (empty without one)."""
        return "" if self.recommended is None else self.recommended.code

    def report(self, top: int | None = 15) -> str:
        """The ranked table, the reference, the recommendation and the rejected methods."""
        return kinds_text.report(self, top)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return kinds_text.as_dict(self)


def _f_value(f: Callable, x: np.ndarray) -> np.ndarray:
    try:
        y = f(x.copy())
    except Exception as exc:
        raise ValueError(f"f raised {type(exc).__name__} at x = {x.tolist()}: {exc}") from None
    y = np.asarray(getattr(y, "value", y), dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"f is not finite at x = {x.tolist()}.")
    return y


def _check_shape(kind: str, y: np.ndarray, n: int) -> None:
    """One line naming ``--kind`` when ``f`` cannot have that kind of derivative."""
    if kind == "jacobian" and y.ndim == 0:
        raise ValueError(
            "`--kind` jacobian needs a vector-valued f, but f(x) is a scalar: use --kind "
            "gradient (the default)."
        )
    if kind in ("gradient", "hessian", "derivative") and y.ndim != 0:
        raise ValueError(
            f"`--kind` {kind} needs a scalar f, but f(x) has shape {y.shape}: use --kind jacobian."
        )
    if kind == "derivative" and n != 1:
        raise ValueError(
            f"`--kind` derivative needs a function of one variable, but x has {n} coordinates: "
            "use --kind gradient or hessian."
        )


def _call(method: Method, kind: str, f: Callable, x: np.ndarray, deriv: int, step: Any) -> Any:
    """The measuring kernel's call of the kind; a derivative's scalar argument reaches a user's
    f (written for arrays) as an array of one."""
    g = f
    if kind == "derivative" and not has_expression(f):
        g = ScalarArgument(f)
    return call_kind(method, kind, g, x, step, deriv)


def _configurations(kind: str, deriv: int, expr: bool) -> list:
    """(class, settings, registry position) of every configuration that declares the kind."""
    out = []
    for pos, info in enumerate(available()):
        cls = method_class(info.name)
        if not info.available or kind not in cls.derivative_kinds:
            continue
        if kind == "derivative" and cls.max_deriv < deriv:
            continue
        if Need.EXPRESSION in cls.needs and not expr:
            continue
        out.extend((cls, dict(v), pos) for v in cls.variants())
    return out


def _exact(f: Callable, kind: str, x: np.ndarray, deriv: int) -> np.ndarray | None:
    from ..truth import exact_derivative, exact_hessian

    if not has_expression(f) or kind == "jacobian":
        return None
    if kind == "hessian":
        return exact_hessian(f.expr, f.symbols, x)
    return np.asarray(exact_derivative(f.expr, f.symbols[0], float(x[0]), deriv))


@dataclass(frozen=True)
class _Reference:
    """The reference value; its source; its uncertainty (added to every error, as the gradient
    chooser adds its reference's); and, for a graded method, the next graded one that scores
    the reference method itself (its own error is never 0 by construction)."""

    value: np.ndarray
    basis: str
    uncertainty: float = 0.0
    second: str = ""
    second_value: np.ndarray | None = None


def _graded_reference(
    f: Callable, kind: str, x: np.ndarray, deriv: int, configs: list
) -> _Reference:
    """The best-graded applicable method's value, its label and the distance to the next one
    (ties of grade: registry order, so the reference never depends on a set's order)."""
    first_pos: dict[type, int] = {}
    for cls, _, pos in configs:
        if cls.reference > ReferenceGrade.NONE:
            first_pos.setdefault(cls, pos)
    graded = sorted(first_pos, key=lambda c: (-int(c.reference), first_pos[c]))
    found: list[tuple[str, np.ndarray]] = []
    for cls in graded:
        try:
            est = _call(cls(), kind, f, x, deriv, None)
        except Exception:  # noqa: BLE001 - a method that fails on f is no reference
            continue
        value = np.asarray(_dense(est.value), dtype=float)
        if np.all(np.isfinite(value)):
            found.append((cls().label, value))
        if len(found) == 2:
            break
    if not found:
        raise ValueError(
            f"no method graded as a reference computes the {kind} of f at x (`--kind` {kind})."
        )
    if len(found) == 1:
        return _Reference(found[0][1], found[0][0], float("nan"))
    spread = matrix_error(found[1][1], found[0][1])[1]
    return _Reference(found[0][1], found[0][0], spread, found[1][0], found[1][1])


def _dense(value: Any) -> Any:
    return value.toarray() if hasattr(value, "toarray") else value


def _timed(method: Method, kind: str, f: Callable, x: np.ndarray, deriv: int, step: Any) -> tuple:
    start = running.clock()
    est = _call(method, kind, f, x, deriv, step)
    return est, running.clock() - start


def _sweep(method: Method, ctx: dict[str, Any], error: Callable) -> tuple[list, np.ndarray]:
    """Estimates and errors over :data:`KIND_STEPS` (inf where a call failed or time ran out).

    Only the method's call is guarded, and only against what a method raises on a bad step
    (:data:`STEP_FAILURES`): an error of the sweep itself is not swallowed.
    """
    kind, f, x, deriv = ctx["kind"], ctx["f"], ctx["x"], ctx["deriv"]
    scale = _step_scale(kind, x)
    errs, ests = [], []
    stopped = False
    for t in KIND_STEPS:
        e = None
        if not stopped:
            step = t * scale
            try:
                e = _call(method, kind, f, x, deriv, step)
            except OutOfTime:
                stopped = True  # the steps left are not measured
            except STEP_FAILURES:
                e = None  # a step lost in x + h, f failing at a point, say
        ests.append(e)
        errs.append(np.inf if e is None else error(e))
    return ests, np.array(errs)


def _step_scale(kind: str, x: np.ndarray) -> float | np.ndarray:
    """``max(1, |x|)``: the factor of a relative step (one number for a k-th derivative)."""
    scale = np.maximum(1.0, np.abs(x))
    return float(scale[0]) if kind == "derivative" else scale


def _unscored(label: str, ctx: dict[str, Any]) -> bool:
    """The reference method itself when no second graded method can score it."""
    ref: _Reference = ctx["ref"]
    return label == ref.basis and ref.second_value is None


def _noise_error(method: Method, label: str, ctx: dict[str, Any]) -> Callable[[Any], float]:
    """The error of an estimate: measured (the reference method itself against the next
    graded one), plus the reference's uncertainty, and on a noisy f for a noise-linear method
    combined with the noise floor ``eps_f a(h) / |ref|`` at its step (``a ~ h^-k``). NaN for
    the reference method when nothing can score it."""
    kind, x, deriv, ref = ctx["kind"], ctx["x"], ctx["deriv"], ctx["ref"]
    against = ref.second_value if label == ref.basis else ref.value
    known = ref.uncertainty if math.isfinite(ref.uncertainty) else 0.0
    scale = float(np.max(np.abs(ref.value))) or 1.0
    m = None if ref.value.ndim < 2 or kind != "jacobian" else ref.value.shape[0]

    def error(est: Any) -> float:
        if against is None:
            return math.nan
        rel = matrix_error(_dense(est.value), against)[1] + known
        rel = rel if np.isfinite(rel) else np.inf
        if not ctx["noisy"] or not type(method).noise_linear or est.step is None:
            return rel
        step = np.asarray(est.step, dtype=float)
        call = lambda g, h: _call(method, kind, g, x, deriv, h)  # noqa: E731
        at = step if kind != "derivative" else float(step.reshape(-1)[0])
        amp = kind_amplification(call, m, at)
        floor = ctx["eps_f"] * amp / scale
        return float(np.hypot(rel, floor)) if np.isfinite(floor) else np.inf

    return error


def _per_call(method: Method, ctx: dict[str, Any], est: Any, first: float) -> tuple[float, float]:
    """Seconds per call after compilation, and the compilation's (NaN if none).

    A method that evaluated ``f`` zero times computed from the formula, compiling it on the
    first call (cached on ``f``): it is timed again, which costs no evaluation of ``f``, and
    the first call's excess is its compilation. Any other method is timed on its first call.
    """
    if est.nfev != 0:
        return first, math.nan
    _, seconds = _timed(method, ctx["kind"], ctx["f"], ctx["x"], ctx["deriv"], None)
    return seconds, max(0.0, first - seconds)


def _measure(cls: type[Method], settings: dict, pos: int, ctx: dict[str, Any]) -> KindCandidate:
    """Run one configuration (over the step grid for a step method) against the reference."""
    method = cls(**with_workers(cls, settings, ctx["workers"]))
    kind, f, x, deriv = ctx["kind"], ctx["f"], ctx["x"], ctx["deriv"]
    base = {"label": cls(**settings).label, "grade": int(cls.reference), "order": pos}
    error = _noise_error(method, base["label"], ctx)
    try:
        est, first = _timed(method, kind, f, x, deriv, None)
    except OutOfTime:
        return KindCandidate(**base, code="", why=kinds_text.SKIPPED_FOR_TIME, for_time=True)
    except Exception as exc:  # noqa: BLE001 - reported as a rejected candidate
        return KindCandidate(**base, code="", why=kinds_text.failure(exc))
    seconds, compile_seconds = _per_call(method, ctx, est, first)
    best_est, best_err, step = est, error(est), None
    if method.kind == "step":
        ests, errs = _sweep(method, ctx, error)
        b = int(np.argmin(errs))
        if np.isfinite(errs[b]) and errs[b] < best_err:
            lo, hi = widest_run(errs, 10 * errs[b])
            k = pick_in_window(KIND_STEPS, lo, hi, b)
            best_est, best_err, step = ests[k], errs[k], float(KIND_STEPS[k])
    if not np.isfinite(best_err) and not _unscored(base["label"], ctx):
        return KindCandidate(**base, code="", why=kinds_text.NON_FINITE)
    return KindCandidate(
        **base,
        code=kinds_text.code(cls(**settings), kind, deriv, step),
        step=step,
        error=float(best_err),
        nfev=int(best_est.nfev),
        seconds=seconds,
        compile_seconds=compile_seconds,
        meets_target=bool(best_err <= ctx["target"]),
    )


def _cheapest_first(
    configs: list, only: set | None, ctx: dict[str, Any], y: np.ndarray, limited: bool
) -> list:
    """(class, settings, registry position, expected evaluations) of the configurations to
    measure, fewest expected evaluations of ``f`` first (as the gradient chooser's sweeps:
    :func:`~diffbench.chooser.step_sweep.cheapest_first`), counted on a stand-in for ``f``.

    Without a time limit (``limited`` False) the order changes nothing (the ranking sorts, the
    rejected are listed in registry order), so nothing is counted: registry order, NaN."""
    kind, x, deriv = ctx["kind"], ctx["x"], ctx["deriv"]
    m = None if y.ndim == 0 else y.size
    step = KIND_STEPS[KIND_STEPS.size // 2] * _step_scale(kind, x)
    planned = []
    for cls, settings, pos in configs:
        if only is not None and cls.name not in only:
            continue
        if not limited:
            planned.append((cls, settings, pos, math.nan))
            continue
        method = cls(**settings)  # serial: workers change no count
        sweep = KIND_STEPS.size if method.kind == "step" else 0
        call = lambda g, h, method=method: _call(method, kind, g, x, deriv, h)  # noqa: E731
        planned.append((cls, settings, pos, expected_evaluations(call, m, step, sweep)))
    return cheapest_first(planned, lambda p: p[3])


def _key(c: KindCandidate) -> tuple:
    error = math.inf if math.isnan(c.error) else c.error  # an unscored reference: by grade
    return (not c.meets_target, c.nfev, error, -c.grade, c.order, c.label)


def choose_kind(
    f: Callable,
    x: Any,
    *,
    kind: str,
    deriv: int = 1,
    target: float = 1e-8,
    budget: int | None = None,
    methods: Sequence[str] | None = None,
    reference: Any = None,
    noise: float | str = "auto",
    time_limit: float | None = None,
    workers: Workers = 1,
    progress: bool = False,
) -> KindChoice:
    """Measure every method that declares ``kind`` on ``f`` at ``x`` and rank them.

    Parameters
    ----------
    f : callable
        ``f(x)`` for ``x`` of shape ``(n,)``: a float (Hessian, derivative with ``n = 1``) or a
        vector of shape ``(m,)`` (Jacobian).
    x : array_like, shape (n,)
    kind : {"jacobian", "hessian", "derivative"}
    deriv : int, default 1
        Derivative order k for ``kind="derivative"`` (1..4).
    target : float, default 1e-8
        Relative error (:func:`diffbench.metrics.matrix_error`) a method must reach.
    budget : int, optional
        Most evaluations of ``f`` per estimate; methods needing more are rejected.
    methods : sequence of str, optional
        Only these registered methods (the reference uses every applicable graded method).
    reference : array_like, optional
        The known exact value (shape of the estimate).
    noise : "auto" or float, default "auto"
        Standard deviation of the noise in ``f`` (absolute; 0: noise-free; "auto": ECnoise,
        the noisiest component of a vector ``f``). On a noisy ``f`` a noise-linear method's
        error at step ``h`` includes the noise floor ``eps_f a(h) / |ref|``, ``a ~ h^-k``
        (:mod:`diffbench.chooser.kinds_options`).
    time_limit : float or None, default None
        Seconds of evaluations of ``f`` to plan for (None: no limit): the evaluations it buys
        at the measured cost of one call. The candidates are measured cheapest first (expected
        evaluations, :func:`~diffbench.chooser.kinds_options.expected_evaluations`), so the
        limit leaves out the expensive ones; those not measured are listed (``for_time``;
        ``why`` says what they needed), never ranked.
    workers : int or map-like callable, default 1
        Given to the candidates with a ``workers`` setting (finite-difference, complex-step,
        Richardson and Ridders Hessians and k-th derivatives evaluate their points through it,
        same values); not for ``kind="jacobian"`` (its evaluations are one point at a time),
        which refuses ``workers`` other than 1.
    progress : bool, default False
        Say on stderr what is measured once a run is long.

    Returns
    -------
    KindChoice

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function
    >>> f = as_vector_function(lambda a, b: a**2 * np.exp(b))
    >>> choice = choose_kind(f, [1.5, 0.0], kind="hessian", methods=["hyper-dual", "central"])
    >>> choice.recommended.label, choice.recommended.nfev
    ('hyper-dual', 2)
    """
    from methods.validation import check_point, check_positive_real

    kind = check_kind(kind)
    deriv = check_deriv(deriv)
    if kind != "derivative" and deriv != 1:
        raise ValueError(f"`--deriv` applies to --kind derivative only, got --kind {kind}.")
    given = check_noise(noise)
    limit = math.inf if time_limit is None else check_positive_real("time_limit", time_limit)
    workers = check_workers(workers)
    if kind == "jacobian" and workers != 1:
        raise ValueError(
            "`--workers` (workers=) does not apply to --kind jacobian: Jacobians evaluate f one "
            "point at a time in this process; leave it at 1."
        )
    x = check_point(x)
    meter = Meter(f, wrap=not has_expression(f), progress=progress)
    try:
        return _choose_kind(f, x, kind, deriv, target, budget, methods, reference, given,
                            limit, workers, meter)  # fmt: skip
    except FunctionExit as exc:
        raise ValueError(f"f exited at or near x = {x.tolist()}: {exc.__cause__!r}") from None


def _choose_kind(
    f: Callable, x: np.ndarray, kind: str, deriv: int, target: float, budget: int | None,
    methods: Any, reference: Any, given: float | None, limit: float, workers: Any, meter: Meter,
) -> KindChoice:  # fmt: skip
    """:func:`choose_kind` on checked options, ``f`` counted by ``meter``."""
    y = _f_value(meter.f, x)
    _check_shape(kind, y, x.size)
    seconds = call_seconds(meter.f, x)
    if seconds > 0 and math.isfinite(limit):
        meter.allow((limit - meter.elapsed()) / seconds)
    level = kind_noise_level(meter.f, x, y, given, meter.remaining)
    f = meter.f
    configs = _configurations(kind, deriv, has_expression(f))
    try:
        if reference is not None:
            ref = _Reference(np.asarray(reference, dtype=float), "given", float("nan"))
        elif (exact := _exact(f, kind, x, deriv)) is not None:
            ref = _Reference(exact, "exact (formula)")
        else:
            ref = _graded_reference(f, kind, x, deriv, configs)
    except OutOfTime:
        raise ValueError(kinds_text.no_time_for_reference(kind, limit)) from None
    ctx = {"kind": kind, "f": f, "x": x, "deriv": deriv, "ref": ref, "target": target,
           "workers": workers, "noisy": level.noisy, "eps_f": level.eps_f}  # fmt: skip
    only = None if methods is None else set(methods)
    ranked, rejected = [], []
    for cls, settings, pos, need in _cheapest_first(configs, only, ctx, y, limit < math.inf):
        meter.stage(f"{cls.name} ({kind})")
        if math.isfinite(need) and need > meter.remaining:  # left to those after it (if cheaper)
            label = cls(**settings).label
            why = kinds_text.needs_more(need, meter.remaining)
            c = KindCandidate(
                label, "", grade=int(cls.reference), order=pos, why=why, for_time=True
            )
        else:
            c = _measure(cls, settings, pos, ctx)
        if c.why == "" and budget is not None and c.nfev > budget:
            c = KindCandidate(**{**c.__dict__, "why": kinds_text.over_budget(c.nfev, budget)})
        (rejected if c.why else ranked).append(c)
    rejected.sort(key=lambda c: c.order)  # listed in registry order (stable: variants too)
    not_measured = [c.label for c in rejected if c.for_time]
    notes = [kinds_text.noise_note(level)]
    if not_measured:
        notes.append(kinds_text.time_note(limit, seconds, not_measured))
    return KindChoice(
        kind=kind,
        deriv=deriv,
        target=target,
        reference=ref.basis,
        uncertainty=ref.uncertainty,
        second_reference=ref.second,
        ranking=tuple(sorted(ranked, key=_key)),
        rejected=tuple(rejected),
        seconds=meter.elapsed(),
        notes=tuple(notes),
        noise=level.eps_f,
        noisy=level.noisy,
        not_measured=tuple(not_measured),
        time_limit=limit,
    )
