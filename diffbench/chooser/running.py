"""Running one method once: a timed gradient call that never raises, and what it needs.

:func:`run` is how the chooser calls every method (a failing method is a finding, not a
crash); it goes through the measuring kernel :func:`diffbench.measure.measure_gradient`, timed
by :func:`timed`. :class:`Meter` wraps ``f``: it counts evaluations against the allowance the
time limit gives (:class:`OutOfTime` once it is spent), turns ``SystemExit`` and
``KeyboardInterrupt`` raised by ``f`` into :class:`FunctionExit`, and prints a progress line on
stderr once a run lasts more than a few seconds. :class:`Restricted` is ``f`` on a subset of
coordinates (the step sweeps of large problems); :class:`PureNoise` is synthetic noise to
measure a method's noise amplification; :func:`relative_error` measures an estimate against the
reference with :func:`diffbench.metrics.gradient_error`.

Every duration the chooser measures comes from :func:`timed`, every instant from :func:`clock`
(module attributes, so that tests can replace them with fake ones).
"""

from __future__ import annotations

import inspect
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from methods import Estimate, Method

from ..measure import Measurement, measure_gradient
from ..metrics import gradient_error

__all__ = [
    "PROGRESS_AFTER",
    "FunctionExit",
    "Meter",
    "OutOfTime",
    "PureNoise",
    "Restricted",
    "Run",
    "clock",
    "method_settings",
    "relative_error",
    "run",
    "step_argument",
    "timed",
]

#: Seconds after which :class:`Meter` prints what is being measured (on stderr).
PROGRESS_AFTER = 3.0


def clock() -> float:
    """Seconds of a monotonic clock (:func:`time.perf_counter`)."""
    return time.perf_counter()


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and the seconds it took, by :func:`clock`."""
    t0 = clock()
    out = fn(*args, **kwargs)
    return out, clock() - t0


class OutOfTime(BaseException):  # noqa: N818 (not an error: the plan's limit)
    """The evaluations of ``f`` the time limit allows are spent.

    A ``BaseException``, so that it passes through the ``except Exception`` of every method and
    stops the call at once; :func:`run` turns it into a run skipped for time.
    """


class FunctionExit(BaseException):
    """``f`` raised ``SystemExit`` or ``KeyboardInterrupt`` (it failed; it did not finish).

    A ``BaseException``, so that no method swallows it; :func:`~diffbench.chooser.choose`
    reports it as a ``ValueError``.
    """


def _points(x: Any) -> int:
    """Evaluations one call ``f(x)`` makes: the rows of an ``(m, n)`` array, else 1."""
    return int(x.shape[0]) if isinstance(x, np.ndarray) and x.ndim == 2 else 1


class Meter:
    """``f`` with its evaluations counted against an allowance, and a progress line.

    Parameters
    ----------
    f : callable
        The user's function.
    wrap : bool
        Count and guard ``f`` (a plain callable); False leaves ``f`` as it is (a formula:
        SymPy methods need the object itself, and evaluating it is cheap and cannot exit).
    progress : bool
        Print a line on stderr (:meth:`stage`) once more than :data:`PROGRESS_AFTER` seconds
        have passed.

    Attributes
    ----------
    f : callable
        What the methods are given: the counting wrapper, or ``f`` itself.
    calls : int
        Evaluations of ``f`` made through the wrapper.
    allowance : float
        Most evaluations allowed in total (``inf`` until :meth:`allow` is called).
    """

    def __init__(self, f: Callable, *, wrap: bool = True, progress: bool = False) -> None:
        self.raw = f
        self.calls = 0
        self.allowance = math.inf
        self.progress = progress
        self.started = clock()
        self._said = -math.inf
        self.f = _Metered(f, self) if wrap else f

    @property
    def remaining(self) -> float:
        """Evaluations left (``inf`` without a limit)."""
        return self.allowance - self.calls

    def allow(self, evaluations: float) -> None:
        """Allow ``evaluations`` more evaluations from now on (a whole number or ``inf``)."""
        self.allowance = self.calls + max(0.0, math.floor(evaluations))

    def elapsed(self) -> float:
        """Seconds since the meter was made."""
        return clock() - self.started

    def stage(self, what: str) -> None:
        """Say on stderr what is being measured, once the run is long (at most once a second)."""
        now = self.elapsed()
        if not self.progress or now < PROGRESS_AFTER or now - self._said < 1.0:
            return
        self._said = now
        left = "" if math.isinf(self.allowance) else f", {int(self.remaining)} evaluations left"
        print(f"diffbench choose: {now:.0f} s: {what}{left}", file=sys.stderr, flush=True)


class _Metered:
    """The counting wrapper :class:`Meter` hands to the methods (attributes are ``f``'s)."""

    def __init__(self, f: Callable, meter: Meter) -> None:
        self._f = f
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        if name in ("_f", "_meter"):  # not set yet (unpickling in a worker process)
            raise AttributeError(name)
        return getattr(self._f, name)

    def __call__(self, x: Any) -> Any:
        meter = self._meter
        k = _points(x)
        if meter.calls + k > meter.allowance:
            raise OutOfTime(f"the time limit allows {int(meter.allowance)} evaluations of f")
        meter.calls += k
        try:
            return self._f(x)
        except (SystemExit, KeyboardInterrupt) as exc:
            raise FunctionExit(exc) from exc


@dataclass(frozen=True)
class Run:
    """One gradient call: its estimate (None if it raised), what it raised, and its time.

    ``measurement`` is what :func:`diffbench.measure.measure_gradient` made of the call (None if
    it was skipped for time).
    """

    estimate: Estimate | None
    exception: BaseException | None
    seconds: float
    measurement: Measurement | None = None

    @property
    def out_of_time(self) -> bool:
        """The call was stopped: the evaluations the time limit allows are spent."""
        return isinstance(self.exception, OutOfTime)

    @property
    def nan(self) -> bool:
        """The estimate has a NaN coordinate (``f`` not finite at a point the method needs)."""
        return self.estimate is not None and bool(np.any(np.isnan(self.estimate.value)))

    @property
    def ok(self) -> bool:
        """An estimate without NaN."""
        return self.estimate is not None and not self.nan


def run(method: Method, f: Callable, x: np.ndarray, step: Any) -> Run:
    """One gradient through :func:`diffbench.measure.measure_gradient`, timed, never raising.

    Warnings are caught (by the kernel) and floating-point errors silenced; what the method
    raised is in ``exception`` (a failing method is a finding, not a crash), as is
    :class:`OutOfTime` when the allowance ran out during the call. :class:`FunctionExit`
    passes through.
    """
    try:
        with np.errstate(all="ignore"):
            m, seconds = timed(measure_gradient, method, f, x, step=step)
    except OutOfTime as exc:
        return Run(None, exc, math.nan)
    return Run(m.estimate, m.exception, seconds, m)


class Restricted:
    """``f`` as a function of the coordinates ``idx`` of ``x`` only (real or complex, batched)."""

    def __init__(self, f: Callable, x: np.ndarray, idx: np.ndarray) -> None:
        self.f = f
        self.x = x
        self.idx = idx

    def __call__(self, y: Any) -> Any:
        arr = np.asarray(y)
        base = self.x.astype(np.result_type(self.x.dtype, arr.dtype))
        if arr.ndim == 1:
            full = base.copy()
            full[self.idx] = arr
        else:
            full = np.tile(base, (arr.shape[0], 1))
            full[:, self.idx] = arr
        return self.f(full)


class PureNoise:
    """Standard normal noise that depends only on the point and ``seed`` (nothing else)."""

    def __init__(self, seed: int) -> None:
        self.seed = float(seed)

    def __call__(self, x: Any) -> Any:
        from ..problems import point_noise

        arr = np.asarray(x, dtype=float)
        if arr.ndim == 1:
            return point_noise(np.append(arr, self.seed))
        return point_noise(np.hstack([arr, np.full((arr.shape[0], 1), self.seed)]))


def method_settings(method: Method) -> dict[str, Any]:
    """Settings of ``method`` that differ from its defaults (what ``get_method`` needs)."""
    sig = inspect.signature(type(method).__init__)
    settings = {}
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = getattr(method, name)
        if p.default is inspect.Parameter.empty or value != p.default:
            settings[name] = value
    return settings


def relative_error(value: np.ndarray, ref: np.ndarray, scale: float) -> float:
    """``max |value - ref| / scale`` (``scale`` 0: the absolute error), NaN if undefined.

    ``value`` and ``ref`` may be a subset of the coordinates while ``scale`` is the size of the
    whole reference gradient, so the absolute error comes from
    :func:`~diffbench.metrics.gradient_error` and the scale from the caller. A NaN estimate or a
    non-finite reference gives NaN.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.5]), 5.0)
    0.1
    """
    if not np.all(np.isfinite(ref)):
        return math.nan
    err = gradient_error(np.asarray(value, dtype=float), ref)[0]
    return err / scale if scale > 0 else err


def step_argument(t: float, x: np.ndarray, factor: np.ndarray, rule: str) -> float | np.ndarray:
    """The ``step`` argument giving actual steps ``t * max(1, |x_i|)`` (one number if it can).

    ``factor`` is ``actual step / step argument`` per coordinate and ``rule`` the step rule
    read off a call (``"relative"``, ``"absolute"`` or ``"other"``).
    """
    if rule == "relative":
        return float(t)
    arg = t * np.maximum(1.0, np.abs(x)) / factor
    return float(arg[0]) if np.allclose(arg, arg[0], rtol=1e-12) else arg
