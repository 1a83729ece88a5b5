"""Running one method once: a timed gradient call that never raises, and what it needs.

:func:`run` is how the chooser calls every method (a failing method is a finding, not a
crash); :class:`Restricted` is ``f`` on a subset of coordinates (the step sweeps of large
problems); :class:`PureNoise` is synthetic noise to measure a method's noise amplification;
:func:`relative_error` measures an estimate against the reference with
:func:`diffbench.metrics.gradient_error`.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from methods import Estimate, Method

from ..metrics import gradient_error

__all__ = [
    "PureNoise",
    "Restricted",
    "Run",
    "method_settings",
    "relative_error",
    "run",
    "step_argument",
]


@dataclass(frozen=True)
class Run:
    """One gradient call: its estimate (None if it raised), what it raised, and its time."""

    estimate: Estimate | None
    exception: BaseException | None
    seconds: float

    @property
    def nan(self) -> bool:
        """The estimate has a NaN coordinate (``f`` not finite at a point the method needs)."""
        return self.estimate is not None and bool(np.any(np.isnan(self.estimate.value)))

    @property
    def ok(self) -> bool:
        """An estimate without NaN."""
        return self.estimate is not None and not self.nan


def run(method: Method, f: Callable, x: np.ndarray, step: Any) -> Run:
    """``method.gradient(f, x, step=step)`` with warnings silenced and exceptions caught."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            est = method.gradient(f, x, step=step)
    except Exception as exc:  # a failing method is a finding, not a crash
        return Run(None, exc, time.perf_counter() - t0)
    return Run(est, None, time.perf_counter() - t0)


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
