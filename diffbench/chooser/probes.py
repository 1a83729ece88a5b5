"""Probing ``f`` at ``x`` before measuring methods: value, call cost, arrays, complex, duals.

Each probe returns data (:mod:`diffbench.chooser.findings`); :mod:`diffbench.chooser.text`
says it in words.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from methods import SymbolicFunction

from . import running
from .findings import (
    ComplexOutcome,
    ComplexProbe,
    DualOutcome,
    DualProbe,
    VectorizedOutcome,
    VectorizedProbe,
)
from .running import Run
from .text import describe_point, run_failure

__all__ = [
    "NON_ANALYTIC",
    "call_seconds",
    "dual_probe",
    "expression_matches",
    "non_analytic_parts",
    "probe_complex",
    "probe_vectorized",
    "scalar_value",
]

_EPS = float(np.finfo(float).eps)
#: Non-analytic SymPy functions: a formula containing one makes the complex step unsafe.
NON_ANALYTIC = (
    "Abs",
    "sign",
    "Max",
    "Min",
    "Heaviside",
    "floor",
    "ceiling",
    "Piecewise",
    "re",
    "im",
    "arg",
    "conjugate",
    "frac",
    "Mod",
)


def scalar_value(f: Callable, x: np.ndarray) -> float:
    """``f(x)`` as a float, or a ValueError saying what went wrong at ``x``."""
    try:
        with np.errstate(all="ignore"):
            y = f(x.copy())
    except Exception as exc:
        raise ValueError(
            f"f raised {type(exc).__name__} at x = {describe_point(x)}: {exc}"
        ) from exc
    arr = np.asarray(getattr(y, "value", y))
    if arr.dtype.kind not in "biuf" or arr.size != 1:
        raise ValueError(
            f"f must return one real number, got {type(y).__name__} of shape {arr.shape} "
            f"at x = {describe_point(x)}."
        )
    value = float(arr.reshape(()))
    if not math.isfinite(value):
        raise ValueError(
            f"f(x) = {value} at x = {describe_point(x)}: x is outside the domain of f (f must be "
            "finite at the point to differentiate)."
        )
    return value


def call_seconds(f: Callable, x: np.ndarray) -> float:
    """Median time of one call ``f(x)`` over three calls, or one call if it takes over 0.1 s.

    Timed by :func:`diffbench.chooser.running.timed` (NaN if a repeated call fails). This is
    what the plan of the work is made from (how many evaluations the time limit allows), never
    what is recommended.
    """
    times = []
    try:
        for _ in range(3):
            times.append(running.timed(f, x.copy())[1])
            if times[-1] > 0.1:
                break
    except Exception:  # f succeeded once at x; a later failure shows up in the methods
        return math.nan
    return float(np.median(times))


def probe_vectorized(f: Callable, x: np.ndarray) -> VectorizedProbe:
    """Does ``f`` map a ``(3, n)`` array of points to the 3 values of the single calls?"""
    d = 1e-3 * np.maximum(1.0, np.abs(x))
    X = np.stack([x, x + d, x - d])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = f(X)
            y = np.asarray(getattr(y, "value", y), dtype=float)
            rows = np.array([float(np.asarray(f(X[i].copy()), dtype=float)) for i in range(3)])
    except Exception as exc:
        return VectorizedProbe(VectorizedOutcome.RAISED, x.size, exception=type(exc).__name__)
    if y.shape != (3,):
        return VectorizedProbe(VectorizedOutcome.WRONG_SHAPE, x.size, shape=y.shape)
    if not np.allclose(y, rows, rtol=1e-12, atol=0, equal_nan=True):
        return VectorizedProbe(VectorizedOutcome.DIFFERS, x.size)
    return VectorizedProbe(VectorizedOutcome.ACCEPTED, x.size)


def non_analytic_parts(expr: Any) -> tuple[str, ...]:
    """Names of the non-analytic SymPy functions (:data:`NON_ANALYTIC`) in ``expr``, sorted."""
    import sympy

    found = set()
    for node in sympy.preorder_traversal(expr):
        name = type(node).__name__
        if name in NON_ANALYTIC:
            found.add(name)
    return tuple(sorted(found))


def probe_complex(f: Callable, x: np.ndarray, *, noisy: bool) -> ComplexProbe:
    """Can the complex step be trusted on ``f`` at ``x``? (formula first, then the check).

    On a noisy ``f`` a disagreement with real differences is ``NOT_CONFIRMED``: the noise, not
    the complex step, may be what differs.
    """
    from methods.complex_step import check_analytic

    expr = getattr(f, "expr", None)
    if expr is not None:
        parts = non_analytic_parts(expr)
        if parts:
            return ComplexProbe(ComplexOutcome.NOT_ANALYTIC_FORMULA, parts=parts)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = check_analytic(f, x)
    except Exception as exc:
        return ComplexProbe(ComplexOutcome.REJECTED, f"{type(exc).__name__}: {exc}")
    if not rep.accepts_complex:
        return ComplexProbe(ComplexOutcome.REJECTED, rep.reasons[0] if rep.reasons else "")
    if rep.analytic:
        return ComplexProbe(ComplexOutcome.ACCEPTED)
    if noisy:
        return ComplexProbe(ComplexOutcome.NOT_CONFIRMED)
    i = int(np.argmax(rep.flagged))
    cs, rd = float(rep.complex_step[i, 0]), float(rep.real_difference[i])
    if np.isfinite(cs) and np.isfinite(rd) and rep.mismatch[i] > 0:
        return ComplexProbe(
            ComplexOutcome.NOT_ANALYTIC, coordinate=i, complex_step=cs, real_difference=rd
        )
    return ComplexProbe(ComplexOutcome.NOT_ANALYTIC, "; ".join(rep.reasons[:2]))


def dual_probe(run: Run) -> DualProbe:
    """What a run of a method that needs dual numbers says about ``f`` on dual numbers."""
    if run.ok:
        return DualProbe(DualOutcome.ACCEPTED)
    return DualProbe(DualOutcome.REJECTED, run_failure(run))


def expression_matches(f: Callable, x: np.ndarray, f0: float) -> bool:
    """``f``'s value at ``x`` equals its formula's, to 4 ulp (False for a noisy ``f``)."""
    clean = SymbolicFunction(f.expr, f.symbols)
    with np.errstate(all="ignore"):
        value = float(np.asarray(clean(x.copy()), dtype=float))
    return abs(value - f0) <= 4 * _EPS * max(abs(f0), abs(value))
