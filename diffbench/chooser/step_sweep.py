"""The step methods: a short sweep of the step at ``x``, and the safe step it shows.

Every step or grid method is called at relative steps ``t max(1, |x_i|)``, two per decade; on
a noise-free ``f`` the recommended step is the middle of the widest run of steps whose error
stays within ``max(target, 2 best)`` (the method's own default step if it lies well inside), on
a noisy ``f`` the noise model's (:func:`~diffbench.chooser.noise_model.finish_noisy`).

Which steps are swept never depends on a measured time. Only the evaluations of ``f`` that the
time limit allows (:attr:`Context.remaining`, counted) can shorten the plan, by a fixed rule
(:func:`sweep_plan`): the whole grid if its evaluations fit, else every third step, else no sweep
(the method is skipped for time).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from methods import Estimate, Method
from methods.capabilities import Need

from . import text
from .candidates import failed, measured, over_budget, rejected
from .context import Context
from .findings import CandidateStatus, Caveat
from .noise_model import FLOOR_DRAWS, NOISE_DRAWS, amplification, finish_noisy, floor_at
from .results import Candidate
from .running import Restricted, Run, relative_error, run, step_argument

__all__ = [
    "SUBSET",
    "SUBSET_FROM",
    "StepSetup",
    "Sweep",
    "cheapest_first",
    "measure_step",
    "pick_in_window",
    "probe_call",
    "sweep_plan",
    "step_factor",
    "step_grid",
    "sweep",
    "sweep_subset",
    "widest_run",
]

#: Relative steps swept for every step method, two per decade (times ``max(1, |x_i|)``).
_DENSE = 10.0 ** np.arange(-14.0, 0.01, 0.5)
#: Above this dimension the step sweeps run on a fixed subset of coordinates.
SUBSET_FROM = 24
SUBSET = 8
#: Stride of the coarse sweep (every third step: two steps in three decades).
COARSE = 3
#: Calls after the sweep: the method's default step, the chosen step, and a fallback.
_FINAL_CALLS = 3

T = TypeVar("T")


@dataclass(frozen=True)
class Sweep:
    """One method's estimates over the relative steps ``t`` (actual steps ``t max(1, |x_i|)``).

    Attributes
    ----------
    t : numpy.ndarray
    values : tuple
        Estimates (arrays), None where the call failed.
    actual : tuple
        Actual steps per coordinate, None where the call failed or reported none.
    errors : numpy.ndarray
        Relative errors against the reference (inf: failed, NaN: no reference).
    seconds : tuple of float
        Time of each call.
    failures : tuple of str
        Why each failed call failed ("" if it did not).
    """

    t: np.ndarray
    values: tuple[np.ndarray | None, ...]
    actual: tuple[np.ndarray | None, ...]
    errors: np.ndarray
    seconds: tuple[float, ...]
    failures: tuple[str, ...]


def step_grid(smallest: float) -> np.ndarray:
    """Relative steps to sweep: two per decade from 1e-14 to 1, sparser below for tiny steps."""
    grid = list(_DENSE)
    if smallest < 1e-16:
        low = math.ceil(math.log10(max(smallest, 1e-300)))
        grid += [10.0**e for e in range(low, -16, 25)] + [1e-20, 1e-17]
    return np.array(sorted(g for g in set(grid) if g >= smallest))


def step_factor(est: Estimate, arg: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, str]:
    """How a method turns its ``step`` argument into actual steps, read off one call.

    Returns the factor ``actual / argument`` per coordinate and the rule it reveals:
    ``"relative"`` (factor ``max(1, |x_i|)``), ``"absolute"`` (factor 1) or ``"other"``. No
    method's documentation is trusted for this: the measured factor is what the sweep uses.
    """
    if est.step is None:
        return np.ones_like(arg), "absolute"
    r = np.asarray(est.step, dtype=float) / arg
    if np.allclose(r, s, rtol=0.02):
        return s.copy(), "relative"
    if np.allclose(r, 1.0, rtol=0.02):
        return np.ones_like(arg), "absolute"
    return r, "other"


def sweep(
    method: Method,
    g: Callable,
    x: np.ndarray,
    ref: np.ndarray | None,
    scale: float,
    factor: np.ndarray,
    rule: str,
    t_grid: np.ndarray,
) -> Sweep:
    """Call ``method`` at every relative step of ``t_grid``; errors against ``ref``."""
    s = np.maximum(1.0, np.abs(x))
    values, actual, errors, seconds, failures = [], [], [], [], []
    for t in t_grid:
        arg = np.full(x.size, t) if rule == "relative" else t * s / factor
        r = run(method, g, x, arg)
        seconds.append(r.seconds)
        failures.append(text.run_failure(r))
        if not r.ok:
            values.append(None)
            actual.append(None)
            errors.append(math.inf)
            continue
        values.append(np.asarray(r.estimate.value, dtype=float))
        actual.append(None if r.estimate.step is None else np.asarray(r.estimate.step))
        errors.append(relative_error(values[-1], ref, scale) if ref is not None else math.nan)
    return Sweep(
        t_grid, tuple(values), tuple(actual), np.array(errors), tuple(seconds), tuple(failures)
    )


def _rounding_floor(
    sw: Sweep, amp: np.ndarray | None, eps_f: float, ref_scale: float
) -> np.ndarray:
    """Relative error that rounding (or noise) ``eps_f`` alone gives at each swept step."""
    return np.array(
        [
            0.0 if h is None else floor_at(amp, eps_f, np.asarray(h, float), ref_scale)
            for h in sw.actual
        ]
    )


def widest_run(errors: np.ndarray, level: float) -> tuple[int, int]:
    """The longest run of consecutive steps with error <= level (the first, if several tie).

    An isolated step far better than its neighbours is luck (the truncation error changing
    sign, exact arithmetic at this x); a long run is a property of the method on this f.

    Examples
    --------
    >>> widest_run(np.array([1.0, 0.1, 1.0, 0.1, 0.1, 1.0]), 0.5)
    (3, 4)
    """
    ok = errors <= level
    best, k = (0, 0), 0
    while k < ok.size:
        if not ok[k]:
            k += 1
            continue
        start = k
        while k + 1 < ok.size and ok[k + 1]:
            k += 1
        if k - start > best[1] - best[0] or not ok[best[0]]:
            best = (start, k)
        k += 1
    return best


def pick_in_window(t: np.ndarray, lo: int, hi: int, best: int) -> int:
    """The grid step nearest the log-midpoint of ``t[lo..hi]`` (``best`` if it is one point)."""
    if lo == hi:
        return best
    mid = 0.5 * (math.log10(t[lo]) + math.log10(t[hi]))
    return min(range(lo, hi + 1), key=lambda k: abs(math.log10(t[k]) - mid))


def sweep_subset(n: int) -> np.ndarray | None:
    """The coordinates the step sweeps run on above :data:`SUBSET_FROM` (None: all)."""
    if n < SUBSET_FROM:
        return None
    return np.sort(np.random.default_rng(0).choice(n, SUBSET, replace=False))


@dataclass(frozen=True)
class StepSetup:
    """A step method after its probe call and sweep, on the swept coordinates ``idx``."""

    method: Method
    nfev: int
    factor: np.ndarray  # actual step / step argument, every coordinate
    rule: str
    idx: np.ndarray
    g: Callable  # f restricted to idx (or f)
    sweep: Sweep
    amp: np.ndarray | None  # noise amplification on idx (noise-linear methods), None if unknown
    flags: tuple[Caveat, ...]

    def candidate(
        self, final: Run, step_arg: Any, flags: Sequence[Caveat] = (), **fields: Any
    ) -> Candidate:
        """The row of the method called with ``step_arg`` (``final``: that call)."""
        est = final.estimate
        return measured(
            self.method,
            step_arg,
            (*self.flags, *flags),
            actual_step=None if est.step is None else np.asarray(est.step),
            nfev=est.nfev,
            seconds=float(np.median([*self.sweep.seconds, final.seconds])),
            sweep=tuple(
                (float(t), float(e)) for t, e in zip(self.sweep.t, self.sweep.errors, strict=True)
            ),
            **fields,
        )


def sweep_plan(points: int, nfev: int, remaining: float) -> int | None:
    """The stride of a sweep of ``points`` steps that fits ``remaining`` evaluations of ``f``.

    1 (every step) if the sweep and the calls after it (:data:`_FINAL_CALLS` gradients of
    ``nfev`` evaluations each) fit, :data:`COARSE` if the coarse sweep does, None if neither
    does (the method is skipped for time). Counted evaluations only: never a measured time.

    Examples
    --------
    >>> sweep_plan(29, 4, math.inf), sweep_plan(29, 4, 60.0), sweep_plan(29, 4, 20.0)
    (1, 3, None)
    """
    for stride in (1, COARSE):
        if (math.ceil(points / stride) + _FINAL_CALLS) * nfev <= remaining:
            return stride
    return None


def cheapest_first(items: Iterable[T], nfev: Callable[[T], float | None]) -> list[T]:
    """``items`` in the order the step sweeps spend what the time limit leaves: fewest
    evaluations of ``f`` per call (``nfev(item)``, measured by a first call) first.

    An unknown cost (None: the first call failed) counts as 0; ties keep the given order, so
    the plan is fixed by counted quantities alone (the gradient chooser and
    :mod:`diffbench.chooser.kinds`). A time limit then leaves out the most expensive sweeps.

    Examples
    --------
    >>> cheapest_first(["a", "b", "c", "d"], {"a": 8, "b": 2, "c": None, "d": 2}.get)
    ['c', 'b', 'd', 'a']
    """
    return sorted(items, key=lambda item: nfev(item) or 0)


def probe_call(method: Method, ctx: Context) -> tuple[Run, np.ndarray]:
    """One call at a small step that vanishes under neither a relative nor an absolute rule.

    A real-valued method that fails there gets a second try at a larger step.
    """
    s = np.maximum(1.0, np.abs(ctx.x))
    arg = 1e-6 * np.sqrt(s)
    probe = run(method, ctx.f, ctx.x, arg)
    if probe.estimate is None and not (method.needs & {Need.COMPLEX, Need.DUAL}):
        arg = 1e-3 * s
        probe = run(method, ctx.f, ctx.x, arg)
    return probe, arg


def _run_sweep(
    method: Method, ctx: Context, probe: Run, probe_arg: np.ndarray, stride: int
) -> StepSetup:
    """The sweep of a method whose probe call worked (every ``stride``-th step of the grid)."""
    x = ctx.x
    s = np.maximum(1.0, np.abs(x))
    factor, rule = step_factor(probe.estimate, probe_arg, s)
    idx = np.arange(x.size) if ctx.subset is None else ctx.subset
    g = ctx.f if ctx.subset is None else Restricted(ctx.f, x, ctx.subset)
    ref_s = None if ctx.ref.value is None else ctx.ref.value[idx]
    grid = step_grid(type(method).smallest_useful_step)
    sw = sweep(method, g, x[idx], ref_s, ctx.ref_scale, factor[idx], rule, grid[::stride])
    flags = []
    if rule == "absolute" and np.any(s > 1):
        flags.append(Caveat.ABSOLUTE_STEP)
    if Need.COMPLEX in method.needs:
        flags.append(Caveat.COMPLEX_SAFE_CODE)
    return StepSetup(method, probe.estimate.nfev, factor, rule, idx, g, sw, None, tuple(flags))


def measure_step(method: Method, ctx: Context, probe: Run, probe_arg: np.ndarray) -> Candidate:
    """Sweep the step of a step or grid method; pick a safe step (or the noise-aware one).

    ``probe`` is the method's first call (:func:`probe_call`) at ``probe_arg``.
    """
    if probe.estimate is None:
        return failed(method, None, probe)
    nfev = probe.estimate.nfev
    if ctx.budget is not None and nfev > ctx.budget:
        return over_budget(method, nfev, ctx.budget)
    points = step_grid(type(method).smallest_useful_step).size
    stride = sweep_plan(points, nfev, ctx.remaining)
    if stride is None:
        need = (points + _FINAL_CALLS) * nfev
        return rejected(
            method,
            nfev,
            CandidateStatus.SKIPPED_FOR_TIME,
            text.sweep_out_of_time(need, ctx.remaining),
        )
    ctx.stage(f"sweeping the step of {method.label}")
    st = _run_sweep(method, ctx, probe, probe_arg, stride)
    sw = st.sweep
    if not any(v is not None for v in sw.values):
        first = next((r for r in sw.failures if r), "")
        return rejected(method, nfev, CandidateStatus.FAILED, text.fails_everywhere(first))
    if method.noise_linear:  # real values in, a fixed linear combination out
        draws = NOISE_DRAWS if ctx.noisy else FLOOR_DRAWS
        st = replace(st, amp=amplification(method, ctx.x[st.idx], probe_arg[st.idx], draws))
    if ctx.noisy and st.amp is not None:
        return finish_noisy(st, ctx)
    if ctx.noisy and method.noise_linear:
        st = replace(st, flags=(*st.flags, Caveat.NO_NOISE_MODEL))
    if ctx.ref.value is None or not np.isfinite(sw.errors).any():
        final = run(method, ctx.f, ctx.x, None)
        if not final.ok:
            return failed(method, nfev, final)
        return st.candidate(final, None, [Caveat.UNVERIFIED])
    return _finish_measured(st, ctx)


def _safe_window(st: StepSetup, ctx: Context) -> tuple[np.ndarray, int, int, int, float]:
    """Errors (floored at rounding), the widest safe run ``lo..hi``, the best step, the level."""
    # A difference quotient cannot be more accurate than its rounding error a_i eps_f / h_i
    # allows: a smaller measured error is luck of exact arithmetic at this x (a dyadic point, a
    # step that is a power of two), which the next x will not repeat.
    errors = np.maximum(
        st.sweep.errors, _rounding_floor(st.sweep, st.amp, ctx.eps_f, ctx.ref_scale)
    )
    finite = np.where(np.isfinite(errors), errors, np.inf)
    level = max(ctx.target, 2 * float(finite.min()))
    lo, hi = widest_run(finite, level)
    best = lo + int(np.argmin(finite[lo : hi + 1]))
    return errors, lo, hi, best, level


def _default_is_safe(st: StepSetup, ctx: Context, lo: int, hi: int, level: float) -> bool:
    """The method's own default step lies well inside the safe window (the simplest code)."""
    xs = ctx.x[st.idx]
    default = run(st.method, st.g, xs, None)
    if not default.ok or default.estimate.step is None:
        return False
    h_def = np.asarray(default.estimate.step, dtype=float)
    d_err = max(
        relative_error(np.asarray(default.estimate.value), ctx.ref.value[st.idx], ctx.ref_scale),
        floor_at(st.amp, ctx.eps_f, h_def, ctx.ref_scale),
    )
    t_def = float(np.median(h_def / np.maximum(1.0, np.abs(xs))))
    margin = 10**0.5 if hi - lo >= 2 else 1.0
    t = st.sweep.t
    return bool(d_err <= level and t[lo] * margin <= t_def <= t[hi] / margin)


def _finish_measured(st: StepSetup, ctx: Context) -> Candidate:
    """Noise-free f: the safe window of the measured sweep, its middle (or the default step)."""
    method, t, x = st.method, st.sweep.t, ctx.x
    errors, lo, hi, best, level = _safe_window(st, ctx)
    step_arg = step_argument(t[pick_in_window(t, lo, hi, best)], x, st.factor, st.rule)
    if _default_is_safe(st, ctx, lo, hi, level):
        step_arg = None
    final = run(method, ctx.f, x, step_arg)
    if not final.ok:
        step_arg = step_argument(t[best], x, st.factor, st.rule)
        final = run(method, ctx.f, x, step_arg)
        if not final.ok:
            return failed(method, st.nfev, final)
    measured_error = relative_error(np.asarray(final.estimate.value), ctx.ref.value, ctx.ref_scale)
    err = measured_error + ctx.ref.uncertainty
    if final.estimate.step is not None:
        h_final = np.asarray(final.estimate.step, dtype=float)[st.idx]
        err = max(err, floor_at(st.amp, ctx.eps_f, h_final, ctx.ref_scale))
    flags = [Caveat.NARROW_WINDOW] if hi - lo < 2 else []
    if not ctx.ref.trusted:
        flags.append(Caveat.UNVERIFIED)
        err = math.nan  # measured against one method alone: not evidence
    return st.candidate(
        final,
        step_arg,
        flags,
        error=err,
        measured_error=measured_error,
        best_error=float(errors[best]),
        best_step=step_argument(t[best], x, st.factor, st.rule),
        window=(float(t[lo]), float(t[hi])),
        robustness=float(math.log10(t[hi] / t[lo])),
        meets_target=bool(ctx.ref.trusted and err <= ctx.target),
    )
