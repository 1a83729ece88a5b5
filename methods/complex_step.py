"""The complex-step derivative ``Im f(x + ih)/h`` and a check that ``f`` is fit for it.

The complex step has no subtraction, so its step can be tiny and its error reaches 1-2 ulp
(Squire & Trapp 1998; Martins, Sturdza & Alonso 2003). It needs ``f`` to be analytic *as written*:
``abs``, ``max``, comparisons and ``np.real`` break it without any error, which
:func:`check_analytic` detects by comparing with real differences.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .batching import evaluate_rows, replaced_points, replaced_rows
from .capabilities import Family, ReferenceGrade
from .complex_kinds import cs_derivative, cs_hessian, cs_jacobian
from .counting import CountedFunction, FunctionEvaluationError, describe_point
from .parallel import MapWrapper, Workers, is_serial
from .registry import register
from .validation import (
    check_bool,
    check_function,
    check_point,
    check_positive_real,
    check_workers_setting,
)

__all__ = ["ComplexStep", "ComplexArgumentError", "AnalyticityReport", "check_analytic"]

_EPS = float(np.finfo(float).eps)
#: Smallest normal double; a smaller step is subnormal and loses precision in Im f / h.
_TINY = float(np.finfo(float).tiny)
#: Default step (see ComplexStep's docstring for why).
DEFAULT_STEP = 1e-20


class ComplexArgumentError(FunctionEvaluationError, TypeError):
    """``f`` raised on a complex argument, or returned a real number for one.

    A :class:`~methods.counting.FunctionEvaluationError` (an evaluation failed) and a
    ``TypeError`` (``f`` does not take the argument type the complex step needs).
    """


def _not_complex(method: str, x: Any, what: str, detail: str) -> ComplexArgumentError:
    return ComplexArgumentError(
        f"{method}: f {what} at x={describe_point(x)}{detail}. f does not accept complex "
        "arguments: the complex step needs f written with operations that extend to complex "
        "numbers (no abs, max, comparisons, np.real, math.* or float())."
    )


def evaluate_complex(call: Callable[[np.ndarray], Any], z: np.ndarray, method: str) -> Any:
    """Call ``call(z)`` for a complex ``z``; raise :class:`ComplexArgumentError` on misuse."""
    try:
        with warnings.catch_warnings():
            # Casting a complex value to real inside f silently drops the derivative: make it loud.
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            y = call(z)
    except FunctionEvaluationError as exc:
        cause = exc.__cause__
        if cause is None:  # a wrong output shape, not a failure on the complex argument
            raise
        raise _not_complex(method, z, f"raised {type(cause).__name__}", f": {cause}") from cause
    except Exception as exc:
        raise _not_complex(method, z, f"raised {type(exc).__name__}", f": {exc}") from exc
    if not np.iscomplexobj(getattr(y, "value", y)):
        raise _not_complex(method, z, f"returned the real value {y!r}", " for a complex argument")
    return y


def _check_step_normal(step: np.ndarray) -> None:
    if np.any(step < _TINY):
        raise ValueError(
            f"`step` must be at least {_TINY:.4g} (the smallest normal double) for the complex "
            "step: a subnormal step loses precision in Im f(x + ih)/h; "
            f"got {step[step < _TINY][:3]}."
        )


@register
class ComplexStep(Method):
    """Complex-step derivative: ``df/dx_i ≈ Im f(x + i h e_i) / h``, one evaluation per coordinate.

    ``f`` must accept complex arguments and be analytic as written: ``abs``, ``max``, comparisons
    and ``np.real`` give a wrong answer without an error (use :func:`check_analytic`). If ``f``
    raises on a complex argument, returns a real number for one, or casts one to real inside
    (``ComplexWarning``), a :class:`ComplexArgumentError` says so.

    ``f`` is also evaluated once at ``x`` itself, as the complex point ``x + 0i``
    (``nfev = n + 1``), which costs no accuracy and guards against silent wrong numbers. Outside
    the real domain (``log`` at -0.5, ``sqrt`` at -1, where ``Im f(x + ih)/h`` would be ``pi/h``
    or ``1/h``), or for an ``f`` that is not real (``x + 1j``), ``f(x)`` is not a finite real
    number (its imaginary part exceeds ``16 eps |f(x)|``, or it is NaN): every coordinate is
    NaN, with a ``RuntimeWarning`` naming ``x``. A coordinate where ``Re f(x + ih)`` moved away
    from ``f(x)`` about as much as the imaginary part did (a branch point: ``sqrt`` at 0 would
    give ``1/sqrt(2h)``) is NaN with a ``RuntimeWarning``; for analytic ``f`` the real part
    moves by ``h^2 f''/2`` only, so this never fires for a step well below the scale on which
    ``f`` varies (see :func:`_reject_branch_points`). These rules are cheap, not a proof of
    analyticity: :func:`check_analytic` is the thorough check.

    The truncation error is ``h^2 f'''/6`` and there is no subtractive cancellation, so any step up
    to about ``sqrt(6 eps) ≈ 3.7e-8`` (at unit scale) reaches the rounding floor of 1-2 ulp. The
    default step is ``1e-20``: the truncation term ``(h/L)^2`` is then below ``eps^2`` for any
    length scale ``L`` of ``f`` above ``1e-12`` (and the step is absolute: ``x + ih`` is exact at
    every ``|x|``, since the step lives in the imaginary part), while leaving about 290 decades
    before the imaginary part ``h f'(x)`` of an intermediate result underflows to a subnormal
    number, where precision is lost. Steps down to ``1e-300`` are accepted; a subnormal step
    (below 2.2e-308) is rejected. docs/theory.md#complex-step gives the error model.

    Parameters
    ----------
    vectorized : bool, default False
        If True, evaluate the coordinates in ``f`` calls on ``(m, n)`` complex arrays (``f``
        must then map ``(m, n)`` to ``(m,)``): one call on all ``n`` rows where they fit in the
        memory budget of :mod:`methods.batching`, else as few as it allows; otherwise ``n``
        calls on complex vectors. ``x`` itself is one more row, or call.
    workers : int or map-like callable, default 1
        Evaluate the ``n + 1`` complex points (one call of ``f`` each) in this process (1), in a
        pool of that many processes for the call, or through a map such as
        ``concurrent.futures.Executor.map`` (:mod:`methods.parallel`). Values, ``nfev`` and the
        errors for an ``f`` unfit for complex arguments are those of ``workers=1``. A Hessian's
        ``2 n^2 + 1`` points and a k-th derivative's stencil go to ``workers`` the same way, all
        at once; a Jacobian evaluates its points one at a time in this process.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import get_method
    >>> est = get_method("complex-step").derivative(np.exp, 1.0)
    >>> bool(abs(est.value - np.e) <= 2 * np.spacing(np.e)), est.nfev
    (True, 2)
    """

    name: ClassVar[str] = "complex-step"
    family: ClassVar[Family] = Family.COMPLEX_STEP
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.ROUNDING
    kind: ClassVar[str] = "step"
    truncation_order: ClassVar[int] = 2
    needs: ClassVar[frozenset[str]] = frozenset({"complex"})
    smallest_useful_step: ClassVar[float] = 1e-300
    steps_along_x: ClassVar[bool] = False  # the step is imaginary: x + i h never rounds to x
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    #: k >= 2: a complex step on a finite-difference derivative (methods/complex_kinds.py).
    max_deriv: ClassVar[int] = 4

    def __init__(self, vectorized: bool = False, workers: Workers = 1) -> None:
        self.vectorized = vectorized
        self.workers = workers

    def _check_settings(self) -> None:
        check_bool("vectorized", self.vectorized)
        check_workers_setting(self.workers, vectorized=self.vectorized)

    def theoretical_step(self) -> float:
        """Largest unit-scale step whose truncation error ``h^2/6`` is below eps: ``sqrt(6 eps)``.

        Every smaller step (down to 1e-300) is as good: the error model has no rounding term.
        """
        return float(np.sqrt(6 * _EPS))

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        n = x.size
        h = np.full(n, DEFAULT_STEP) if step is None else step
        _check_step_normal(h)
        # point 0 is x itself (as a complex point), point 1 + i is x + i h_i e_i
        coords = np.arange(-1, n)
        moved = np.concatenate([[0j], x + 1j * h])
        if self.vectorized:
            rows = partial(replaced_rows, x, coords, moved)
            y = evaluate_rows(_ComplexBatch(f), n + 1, n, rows, itemsize=16).astype(complex)
        else:
            y = _complex_at(f, replaced_points(x, coords, moved), self.workers)
        f0, y = y[0], y[1:]
        with np.errstate(all="ignore"):
            # Im(nan + 0j) is 0: a non-finite value must make the coordinate NaN, not 0.
            value = np.where(np.isfinite(y), np.imag(y) / h, np.nan)
        if not _real_value(f0, x, f.method):
            value[:] = np.nan
        else:
            _reject_branch_points(value, y, f0.real, x, f.method)
        return RawResult(value=value, step=h.copy())

    # Jacobians, Hessians and k-th derivatives: methods/complex_kinds.py
    _jacobian = cs_jacobian
    _hessian = cs_hessian
    _derivative = cs_derivative


def _complex_value(f: CountedFunction, z: np.ndarray) -> complex:
    y = evaluate_complex(f, z, f.method)
    return complex(np.asarray(getattr(y, "value", y)).reshape(()))


def _complex_at(f: CountedFunction, points: Iterable[np.ndarray], workers: Workers) -> np.ndarray:
    """``f`` at every complex point, in order: one point after the other in this process
    (``workers=1``), else through :class:`~methods.parallel.MapWrapper` (same values and
    ``nfev``). The one way the complex-step estimates evaluate their points."""
    if is_serial(workers):
        return np.array([_complex_value(f, z) for z in points], dtype=complex)
    return _complex_values(f, list(points), workers)


def _complex_values(f: CountedFunction, points: list[np.ndarray], workers: Workers) -> np.ndarray:
    """:func:`_complex_value` at every point, the points evaluated as ``workers`` says.

    The same checks as one point at a time: a ``ComplexWarning`` inside ``f`` is an error (in
    this process through the warning filters, in worker processes by the evaluator), and the
    first point, in order, where ``f`` raised or returned a real value is named.
    """
    try:
        with warnings.catch_warnings(), MapWrapper(workers) as map_:
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            ys = f.each(points, map_, warnings_as_errors=(np.exceptions.ComplexWarning,))
    except FunctionEvaluationError as exc:
        cause = exc.__cause__
        if cause is None or exc.point is None:  # not a failure of f on a complex argument
            raise
        raise _not_complex(
            f.method, exc.point, f"raised {type(cause).__name__}", f": {cause}"
        ) from cause
    out = np.empty(len(points), dtype=complex)
    for k, (z, y) in enumerate(zip(points, ys, strict=True)):
        if not np.iscomplexobj(getattr(y, "value", y)):
            raise _not_complex(
                f.method, z, f"returned the real value {y!r}", " for a complex argument"
            )
        out[k] = complex(np.asarray(getattr(y, "value", y)).reshape(()))
    return out


class _ComplexBatch:
    """``f.batch`` for complex rows, refusing functions that do not take complex input."""

    def __init__(self, f: CountedFunction) -> None:
        self.f = f

    def batch(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(evaluate_complex(self.f.batch, z, self.f.method))


def _real_value(f0: complex, x: np.ndarray, method: str) -> bool:
    """Whether ``f(x + 0i)`` is a finite real number; if not, warn naming ``x``.

    A non-finite value was already reported by the counting wrapper. An imaginary part beyond
    rounding (``16 eps |f(x)|``) means ``x`` is outside the real domain of ``f`` (``log`` at
    -0.5 gives ``log 0.5 + i pi``, where ``Im f(x + ih)/h`` would be ``pi/h``) or ``f`` is not a
    real function: no real derivative to estimate.
    """
    if not np.isfinite(f0):
        return False
    if abs(f0.imag) > 16 * _EPS * abs(f0):
        warnings.warn(
            f"{method}: f(x) is not real at x={describe_point(x)}: Im f(x) = {f0.imag:.3g} "
            "(x is outside the real domain of f, or f is not a real function); "
            "the gradient is NaN.",
            RuntimeWarning,
            stacklevel=4,
        )
        return False
    return True


#: A coordinate is a branch point when |Re f(x + ih) - f(x)| / |Im f(x + ih)| lies in this band.
BRANCH_BAND = (1 / 3, 3.0)


def _reject_branch_points(
    value: np.ndarray, y: np.ndarray, f0: float, x: np.ndarray, method: str
) -> None:
    """Set to NaN (with a RuntimeWarning) the coordinates where ``f`` is not analytic at ``x``.

    For ``f`` analytic at ``x``, ``Re f(x + ih) - f(x) = -h^2 f2 / 2 + ...`` and
    ``Im f(x + ih) = h f1 - h^3 f3 / 6 + ...`` (``fk`` the k-th derivative): their ratio is
    ``h f2 / (2 f1)``, tiny for any step well below the scale on which ``f`` varies, or, where
    ``f1 = 0``, ``3 f2 / (h f3)``, huge. At a branch point, ``f ~ c (x - a)^p`` (``sqrt`` at 0),
    both are ``~h^p`` and their ratio is ``|cot(p pi / 2)|``: the real part moves as much as the
    imaginary part. A coordinate whose real part moved beyond rounding
    (``16 eps max(|f(x)|, |Re f(x + ih)|)``) by between 1/3 and 3 times the imaginary part
    (:data:`BRANCH_BAND`; ``p`` from about 0.2 to 0.8 or 1.2 to 1.8) is set to NaN.
    """
    with np.errstate(all="ignore"):
        moved = np.abs(y.real - f0)
        rounding = 16 * _EPS * np.maximum(abs(f0), np.abs(y.real))
        ratio = moved / np.abs(y.imag)
        bad = (moved > rounding) & (ratio >= BRANCH_BAND[0]) & (ratio <= BRANCH_BAND[1])
    bad &= np.isfinite(value)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        warnings.warn(
            f"{method}: f is not analytic at x={describe_point(x)} along coordinate {i} "
            f"(Re f(x + ih) - f(x) = {y.real[i] - f0:.3g} is as large as Im f(x + ih) = "
            f"{y.imag[i]:.3g}, as at a branch point such as sqrt at 0, or when the step is not "
            f"small against the scale on which f varies there: try a smaller `step`): that "
            f"coordinate is NaN.",
            RuntimeWarning,
            stacklevel=4,
        )
        value[bad] = np.nan


@dataclass(frozen=True)
class AnalyticityReport:
    """What :func:`check_analytic` found, per coordinate ``i`` of ``x``.

    Attributes
    ----------
    analytic : bool
        True if every check passed for every coordinate: the complex step can be trusted at ``x``.
    accepts_complex : bool
        ``f`` took complex arguments and returned complex values.
    steps : tuple of float
        The complex steps tried.
    complex_step : numpy.ndarray, shape (n, len(steps))
        ``Im f(x + i h e_i)/h`` for each coordinate and step (NaN if ``f`` refused complex input).
    real_difference : numpy.ndarray, shape (n,)
        The real central difference closest to the complex-step value.
    real_part_error : numpy.ndarray, shape (n,)
        ``max |Re f(x + i h e_i) - f(x)|``, relative to ``|f(x)|``: rounding for analytic ``f``.
    step_spread : numpy.ndarray, shape (n,)
        Relative spread of the complex-step values over ``steps``: rounding for analytic ``f``.
    mismatch : numpy.ndarray, shape (n,)
        Relative distance between the complex step and ``real_difference``, less the
        central difference's own error bound (0 if within it).
    flagged : numpy.ndarray of bool, shape (n,)
        Coordinates where some check failed.
    reasons : tuple of str
        One sentence per failed check.
    """

    analytic: bool
    accepts_complex: bool
    steps: tuple[float, ...]
    complex_step: np.ndarray
    real_difference: np.ndarray
    real_part_error: np.ndarray
    step_spread: np.ndarray
    mismatch: np.ndarray
    flagged: np.ndarray
    reasons: tuple[str, ...]


def check_analytic(
    f: Callable,
    x: Any,
    *,
    step: float = DEFAULT_STEP,
    rtol: float = 1e-6,
) -> AnalyticityReport:
    """Check that the complex step of ``f`` at ``x`` gives the real derivative.

    A function that breaks analyticity as written (``abs``, ``max``, comparisons, ``np.real``)
    makes the complex step silently wrong: ``x*|x|`` at -0.5 gives 0.5 where the derivative is 1.
    Per coordinate ``i`` this checks, with the raw (uncounted) ``f``:

    1. ``f`` accepts a complex argument and returns a complex value;
    2. ``Re f(x + ih e_i) == f(x)`` to rounding (16 eps relative), as the Taylor series demands
       (the first correction is ``-h^2 f''/2``, far below rounding for these steps);
    3. ``Im f(x + ih e_i)/h`` is the same to rounding (16 eps relative) at ``step``, 1e-50 and
       1e-100: analytic ``f`` has no step dependence there, while underflow of intermediate
       imaginary parts or step-dependent branches show up;
    4. the complex step agrees with a real central difference ``(f(x+d) - f(x-d))/2d`` at some
       ``d`` in ``max(1, |x_i|) * (1e-2, 1e-3, ..., 1e-7)``: within ``rtol`` relative plus the
       difference's rounding bound ``4 eps max|f(x±d)|/d``.

    Check 4 is what catches ``x*|x|``; checks 2-3 catch functions whose real and imaginary paths
    diverge. A flagged coordinate means "do not trust the complex step here"; a pass is evidence,
    not proof (a kink far from ``x`` is invisible). Check 4 assumes ``f`` is smooth over
    ``x_i ± 1e-7 max(1, |x_i|)`` or wider, at least at the smallest of those.

    Parameters
    ----------
    f : callable
        ``f(x)`` for ``x`` of shape ``(n,)`` (vector convention); if ``x`` is a scalar, ``f`` takes
        a scalar.
    x : float or array_like, shape (n,)
        The point, real and finite.
    step : float, default 1e-20
        The complex step you intend to use; checked together with 1e-50 and 1e-100.
    rtol : float, default 1e-6
        Relative tolerance of the comparison with the real central difference.

    Returns
    -------
    AnalyticityReport

    Examples
    --------
    >>> import numpy as np
    >>> check_analytic(lambda t: t * np.abs(t), -0.5).analytic
    False
    >>> check_analytic(lambda t: t * np.sqrt(t * t), -0.5).analytic  # sqrt(t^2) = -t here
    True
    """
    f = check_function(f)
    step = check_positive_real("step", step)
    rtol = check_positive_real("rtol", rtol)
    _check_step_normal(np.array([step]))
    scalar = np.ndim(x) == 0
    if scalar and not isinstance(x, bool):
        x = [x]
    x = check_point(x)

    def call(point: np.ndarray) -> Any:
        return f(point[0]) if scalar else f(point)

    n = x.size
    steps = tuple(sorted({step, 1e-50, 1e-100}, reverse=True))
    with np.errstate(all="ignore"):
        f0 = float(np.real(call(x)))
    cs = np.full((n, len(steps)), np.nan)
    re_err = np.full(n, np.nan)
    reasons: list[str] = []
    accepts = True
    for i in range(n):
        re_part = np.full(len(steps), np.nan)
        for k, h in enumerate(steps):
            z = x.astype(complex)
            z[i] += 1j * h
            try:
                with np.errstate(all="ignore"):
                    y = evaluate_complex(call, z, "check_analytic")
            except ComplexArgumentError as exc:
                accepts = False
                reasons.append(f"coordinate {i}: {exc}")
                break
            y = complex(np.asarray(getattr(y, "value", y)).reshape(-1)[0])
            cs[i, k] = y.imag / h if np.isfinite(y) else np.nan
            re_part[k] = y.real
        re_err[i] = np.max(np.abs(re_part - f0)) / max(abs(f0), _TINY)

    scale = np.maximum(1.0, np.abs(x))
    deltas = 10.0 ** -np.arange(2, 8)
    real_diff = np.full(n, np.nan)
    mismatch = np.full(n, np.nan)
    spread = np.full(n, np.nan)
    for i in range(n):
        d_cs = cs[i, 0]
        if np.all(np.isfinite(cs[i])):
            big = np.max(np.abs(cs[i]))
            spread[i] = (np.max(cs[i]) - np.min(cs[i])) / big if big > 0 else 0.0
        rels, cds = [], []
        for d in deltas * scale[i]:
            xp, xm = x.copy(), x.copy()
            xp[i] += d
            xm[i] -= d
            width = xp[i] - xm[i]  # the step actually represented
            with np.errstate(all="ignore"):
                fp, fm = float(np.real(call(xp))), float(np.real(call(xm)))
                cd = (fp - fm) / width
                bound = rtol * max(abs(cd), abs(d_cs)) + 4 * _EPS * max(abs(fp), abs(fm)) / width
                excess = max(abs(cd - d_cs) - bound, 0.0)
                rels.append(excess / max(abs(cd), abs(d_cs), _TINY))
            cds.append(cd)
        rels_arr = np.array(rels)
        if np.isfinite(rels_arr).any():
            j = int(np.nanargmin(rels_arr))
            mismatch[i], real_diff[i] = rels_arr[j], cds[j]

    flagged = np.zeros(n, dtype=bool)
    for i in range(n):
        if np.isnan(cs[i]).all():
            flagged[i] = True
            continue
        checks = [
            (re_err[i] <= 16 * _EPS, f"Re f(x+ih) differs from f(x) by {re_err[i]:.3g} relative"),
            (
                spread[i] <= 16 * _EPS,
                f"Im f(x+ih)/h varies by {spread[i]:.3g} relative over {steps}",
            ),
            (
                mismatch[i] == 0.0,
                f"the complex step {cs[i, 0]!r} disagrees with the real central difference "
                f"{real_diff[i]!r}"
                if np.isfinite(mismatch[i])
                else "no finite real central difference to compare with",
            ),
        ]
        for ok, why in checks:
            if not ok:  # NaN fails too
                flagged[i] = True
                reasons.append(f"coordinate {i}: {why}")
    return AnalyticityReport(
        analytic=bool(accepts and not flagged.any()),
        accepts_complex=accepts,
        steps=steps,
        complex_step=cs,
        real_difference=real_diff,
        real_part_error=re_err,
        step_spread=spread,
        mismatch=mismatch,
        flagged=flagged,
        reasons=tuple(reasons),
    )
