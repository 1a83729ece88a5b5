"""The reference gradient: given, exact from the formula, or the consensus of accurate methods.

Which methods are accurate enough to vote is what they declare (``reference``, a
:class:`~methods.capabilities.ReferenceGrade`); the grade also breaks ties between groups of
agreeing methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from methods import Method, get_method
from methods.capabilities import Need, ReferenceGrade

from . import text
from .candidates import NOT_PROBED, candidate_methods, not_applicable
from .context import Context
from .findings import DualProbe, ReferenceBasis
from .probes import dual_probe
from .ranking import consensus_key
from .results import Reference
from .running import Run, run
from .text import describe_point

__all__ = [
    "AGREE",
    "consensus",
    "exact_gradient",
    "formula_reference",
    "reference_pool",
    "votes",
]

#: Methods whose results agree within this relative distance form the consensus reference.
AGREE = 1e-10


def exact_gradient(expr: Any, symbols: Sequence[Any], x: np.ndarray) -> np.ndarray:
    """The gradient of the formula at the float64 point ``x``.

    It is :func:`diffbench.truth.exact_gradient`, the certified mpmath ladder that gives the
    battery's ground truth (one place for ground truth).

    Raises
    ------
    ValueError
        The derivative is infinite, complex or undefined at ``x`` (``sqrt`` at 0): there is
        nothing to estimate.
    NotImplementedError
        mpmath cannot evaluate the derivative formula (a function it does not know).

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> exact_gradient(x * y**2, [x, y], np.array([3.0, 0.5]))
    array([0.25, 3.  ])
    """
    from ..truth import exact_gradient as certified

    try:
        return certified(expr, symbols, np.asarray(x, dtype=float))
    except ValueError as exc:
        raise ValueError(
            f"f is not differentiable at x = {describe_point(x)}: the exact derivative is "
            f"infinite or undefined there ({' '.join(str(exc).split())})"
        ) from None


def formula_reference(f: Callable, x: np.ndarray) -> tuple[Reference | None, list[str]]:
    """The exact gradient of ``f``'s formula as the reference, or None and a note why not."""
    try:
        exact = exact_gradient(f.expr, f.symbols, x)
    except NotImplementedError:
        return None, [text.MPMATH_NOTE]
    return Reference(exact, 0.0, ReferenceBasis.EXACT), []


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b|`` relative to the larger of ``max |a|``, ``max |b|`` (absolute if both 0)."""
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    d = float(np.max(np.abs(a - b)))
    return d / scale if scale > 0 else d


def votes(cls: type[Method]) -> bool:
    """Accurate with no step to tune (graded above NONE), and a judge of ``f``, not a formula."""
    return Need.EXPRESSION not in cls.needs and cls.reference > ReferenceGrade.NONE


def reference_pool(
    ctx: Context, fixed: list[tuple[Method, Run]], step_methods: list[Method]
) -> tuple[list[tuple[Method, Run]], DualProbe]:
    """Runs of every accurate method that applies, whether or not it is a candidate.

    Returns the runs and what running on dual numbers showed (``NOT_PROBED`` if no method
    needing duals ran here).
    """
    pool = list(fixed)
    dual = NOT_PROBED
    for method in step_methods:  # a step method accurate at its default step: the complex step
        if method.reference > ReferenceGrade.NONE:
            r = run(method, ctx.f, ctx.x, None)
            if r.ok:
                pool.append((method, r))
    asked = {type(m) for m, _ in pool} | {type(m) for m in step_methods}
    for cls, variant in candidate_methods(None):
        if cls in asked or not votes(cls) or not cls.availability()[0]:
            continue
        method = get_method(cls, **variant)
        if not_applicable(method, ctx):
            continue
        r = run(method, ctx.f, ctx.x, None)
        if Need.DUAL in method.needs:
            dual = dual_probe(r)
        if r.ok:
            pool.append((method, r))
    return pool, dual


def consensus(measured: list[tuple[Method, Run]], complex_ok: bool) -> Reference:
    """Agreement of the most accurate methods that apply: exact, complex step, extrapolation.

    The largest group of results within :data:`AGREE` of one another, counted in distinct
    methods, wins (ties: the higher :class:`~methods.capabilities.ReferenceGrade`, exact before
    rounding before extrapolated); the reference is its median and the uncertainty its spread.
    Exact methods and the complex step differentiate the program and can agree on a wrong
    answer where the program cancels, which is why a larger group of extrapolations outvotes
    them. Without two agreeing methods the tolerance is relaxed (1e-8, then 1e-6) before the
    reference is declared untrusted.
    """
    pool = [
        (method.reference, method.name, method.label, np.asarray(r.estimate.value, float))
        for method, r in measured
        if complex_ok or Need.COMPLEX not in method.needs
    ]
    if not pool:
        return Reference(None, math.nan, ReferenceBasis.NONE, (), False)
    for tol in (AGREE, 1e-8, 1e-6):
        best: tuple | None = None
        for grade, _, _, value in pool:
            group = [m for m in pool if _distance(m[3], value) <= tol]
            key = consensus_key([m[1] for m in group], grade)
            if best is None or key > best[0]:
                best = (key, group)
        key, group = best
        if key[0] >= 2:
            value = np.median(np.array([m[3] for m in group]), axis=0)
            labels = tuple(m[2] for m in group)
            unc = max(_distance(m[3], value) for m in group)
            return Reference(value, unc, ReferenceBasis.CONSENSUS, labels, True)
    grade, _, label, value = max(pool, key=lambda m: m[0])
    others = [_distance(m[3], value) for m in pool if m[2] != label]
    return Reference(
        value, min(others) if others else math.nan, ReferenceBasis.SINGLE, (label,), False
    )
