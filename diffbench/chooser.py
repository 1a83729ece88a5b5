"""Choose a differentiation method for production use, by measuring every method on *your* f.

:func:`choose` probes the function at the point (does it take complex arguments and stay
analytic, dual numbers, arrays of points; what does a call cost; how noisy is it), fixes a
reference gradient (exact from the formula when there is one, else the agreement of the most
accurate methods that apply), sweeps the step of every step method at the point, and ranks the
methods: those that meet the error target first, then by cost (evaluations of ``f`` per
gradient, then time), then by robustness (how many decades of step stay safe). Methods come from
the registry (:func:`methods.available` and each class's ``variants()``).

On a noisy ``f`` (noise above :data:`NOISY_RELATIVE` of ``|f|``, by ECnoise) the step of a
real-valued difference method is not taken from the noisy sweep but from the error model
``E(h)^2 = (K h^p)^2 + (a eps_f / h)^2``: ``a`` is the method's noise amplification (measured on
synthetic noise), ``K h^p`` its truncation error (measured from the differences of the sweep
where they stand clear of the noise). For a forward difference ``a = sqrt(2)``, ``K = |f''|/2``
and the minimiser is Moré & Wild's ``h = 8^(1/4) sqrt(eps_f/|f''|)``.
"""

from __future__ import annotations

import inspect
import math
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from methods import Estimate, Method, SymbolicFunction, available, get_method, method_class
from methods.functions import has_expression
from methods.validation import check_point, check_positive_int, check_positive_real

from .noise import NoiseEstimate, estimate_noise, noise_aware_error, noise_aware_step

__all__ = ["Candidate", "Choice", "NOISY_RELATIVE", "Probes", "Reference", "choose"]

_EPS = float(np.finfo(float).eps)
#: Relative noise level above which ``f`` is treated as noisy (about 4500 ulp; plain rounding,
#: even amplified by a sum of many terms or a nearby pole, stays below it).
NOISY_RELATIVE = 1e-12
#: Relative steps swept for every step method, two per decade (times ``max(1, |x_i|)``).
_DENSE = 10.0 ** np.arange(-14.0, 0.01, 0.5)
#: Above this dimension the step sweeps run on a fixed subset of coordinates.
_SUBSET_FROM = 24
_SUBSET = 8
#: Synthetic noise realisations used to measure a method's noise amplification (noisy f; a
#: noise-free f only needs the rounding floor, and fewer).
_NOISE_DRAWS = 24
_FLOOR_DRAWS = 8
#: Seconds a step sweep should take at most: slower methods sweep one or two steps per decade.
_SWEEP_SECONDS = 0.25
#: Methods whose results agree within this relative distance form the consensus reference.
_AGREE = 1e-10
#: Non-analytic SymPy functions: a formula containing one makes the complex step unsafe.
_NON_ANALYTIC = (
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


# ------------------------------------------------------------------------------------------------
# result types
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probes:
    """What :func:`choose` found out about ``f`` at ``x`` before measuring methods.

    Attributes
    ----------
    value : float
        ``f(x)``.
    call_seconds : float
        Median time of one call ``f(x)``.
    vectorized : bool
        ``f`` maps an ``(m, n)`` array of points to ``(m,)`` values equal to the single calls.
    vectorized_detail : str
    complex : str
        ``"analytic at x"``, ``"not analytic at x: ..."``, ``"rejected: ..."`` or ``"not probed"``.
    complex_ok : bool
        The complex step can be trusted at ``x``.
    dual : str
        ``"accepted"``, ``"rejected: ..."`` or ``"not probed"``.
    expression : str or None
        The formula ``f`` carries, if any.
    expression_matches : bool or None
        ``f``'s values equal its formula's (False for a noisy function with a formula).
    """

    value: float
    call_seconds: float
    vectorized: bool
    vectorized_detail: str
    complex: str
    complex_ok: bool
    dual: str
    expression: str | None
    expression_matches: bool | None


@dataclass(frozen=True)
class Reference:
    """The gradient that errors are measured against.

    Attributes
    ----------
    value : numpy.ndarray or None
        The reference gradient (None if nothing could serve).
    uncertainty : float
        Relative uncertainty: 0 for an exact or given reference, the largest relative distance
        between the agreeing methods for a consensus, NaN if unknown.
    source : str
        Where it comes from, in words.
    methods : tuple of str
        Methods whose agreement formed it (consensus only).
    trusted : bool
        Exact, given, or at least two independent methods agree.
    """

    value: np.ndarray | None
    uncertainty: float
    source: str
    methods: tuple[str, ...] = ()
    trusted: bool = True


@dataclass(frozen=True)
class Candidate:
    """One method configuration as measured by :func:`choose` (one row of the ranking).

    Attributes
    ----------
    label : str
        E.g. ``"central(order=4)"``.
    name, family, kind : str
        Registry name, family and kind of the method.
    settings : dict
        Settings passed to :func:`methods.get_method` (defaults left out).
    status : str
        ``"ok"`` (measured and usable), ``"failed"``, ``"not applicable"``, ``"over budget"`` or
        ``"unavailable"``.
    reason : str
        Why a method is not ``"ok"``, in words.
    step : float, numpy.ndarray or None
        The recommended ``step`` argument (None: the method's default, or no step at all).
    actual_step : numpy.ndarray or None
        The step actually used per coordinate at ``step``.
    error : float
        Expected relative error of the gradient: measured against the reference at ``step``, or
        the root-mean-square error model on a noisy ``f``; NaN if it cannot be told.
    measured_error : float
        Error measured at ``step`` against the reference (NaN without a reference).
    best_error : float
        Smallest measured error over the step sweep (the error itself for a method without step).
    best_step : float, numpy.ndarray or None
        The ``step`` argument that gave ``best_error``.
    window : tuple of float or None
        Smallest and largest step argument (relative to ``max(1, |x_i|)``) whose error stays
        within ``max(target, 2 best_error)`` around the best.
    robustness : float
        Width of ``window`` in decades; ``inf`` for methods without a step to tune.
    nfev : int or None
        Evaluations of ``f`` per gradient.
    seconds : float or None
        Time per gradient (median of the calls made).
    meets_target : bool
    caveats : tuple of str
    code : str
        The call that uses it, e.g. ``get_method("central", order=4).gradient(f, x, step=3.2e-04)``.
    sweep : tuple of tuple
        ``(relative step, relative error)`` pairs of the step sweep.
    """

    label: str
    name: str
    family: str
    kind: str
    settings: dict
    status: str
    reason: str = ""
    step: float | np.ndarray | None = None
    actual_step: np.ndarray | None = None
    error: float = math.nan
    measured_error: float = math.nan
    best_error: float = math.nan
    best_step: float | np.ndarray | None = None
    window: tuple[float, float] | None = None
    robustness: float = math.nan
    nfev: int | None = None
    seconds: float | None = None
    meets_target: bool = False
    caveats: tuple[str, ...] = ()
    code: str = ""
    sweep: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "label": self.label,
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "settings": self.settings,
            "status": self.status,
            "reason": self.reason,
            "step": _plain(self.step),
            "actual_step": _plain(self.actual_step),
            "error": _plain(self.error),
            "measured_error": _plain(self.measured_error),
            "best_error": _plain(self.best_error),
            "best_step": _plain(self.best_step),
            "window": _plain(self.window),
            "robustness_decades": _plain(self.robustness),
            "nfev": self.nfev,
            "seconds": _plain(self.seconds),
            "meets_target": self.meets_target,
            "caveats": list(self.caveats),
            "code": self.code,
            "sweep": [[_plain(t), _plain(e)] for t, e in self.sweep],
        }


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` returns: the probes, the ranking and the recommendation.

    Attributes
    ----------
    x : numpy.ndarray
        The point.
    target : float
        Relative error target.
    budget : int or None
        Most evaluations of ``f`` per gradient.
    noise : float
        Noise level ``eps_f`` used (absolute).
    noisy : bool
        Whether ``f`` was treated as noisy.
    noise_source : str
        How ``noise`` was obtained.
    noise_estimate : NoiseEstimate or None
        ECnoise's result (``noise="auto"``).
    probes : Probes
    reference : Reference
    ranking : tuple of Candidate
        Usable methods, best first.
    rejected : tuple of Candidate
        Methods that failed, do not apply, exceed the budget or are not installed, with why.
    recommended : Candidate or None
    reasons : tuple of str
        Why the recommendation, in plain words.
    notes : tuple of str
        Other findings worth knowing.
    seconds : float
        Time :func:`choose` took.
    """

    x: np.ndarray
    target: float
    budget: int | None
    noise: float
    noisy: bool
    noise_source: str
    noise_estimate: NoiseEstimate | None
    probes: Probes
    reference: Reference
    ranking: tuple[Candidate, ...]
    rejected: tuple[Candidate, ...]
    recommended: Candidate | None
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def code(self) -> str:
        """The call that uses the recommended method (empty if there is none)."""
        return self.recommended.code if self.recommended else ""

    def table(self, top: int | None = None) -> str:
        """The ranking as a fixed-width text table (``top`` rows at most)."""
        rows = self.ranking if top is None else self.ranking[:top]
        return _table(rows)

    def snippet(self, setup: Sequence[str] = ()) -> str:
        """Runnable code for the recommendation: imports, ``setup`` lines defining ``f``, the call.

        Without ``setup`` a comment says what ``f`` must be.
        """
        if self.recommended is None:
            return ""
        names = {"get_method"}
        body = []
        for line in setup:  # merge imports from methods into one line
            if line.startswith("from methods import "):
                names.update(n.strip() for n in line.split(" import ", 1)[1].split(","))
            else:
                body.append(line)
        lines = [f"from methods import {', '.join(sorted(names))}"]
        lines += body or ["# f: your function, f(x) -> float for x of shape (n,)"]
        lines.append(f"x = {[float(v) for v in self.x]!r}")
        lines.append(f"grad = {self.code}.value")
        return "\n".join(lines)

    def report(self, top: int | None = 15, *, setup: Sequence[str] = ()) -> str:
        """The whole finding as text: probes, ranking, rejected methods, recommendation, code.

        Parameters
        ----------
        top : int or None, default 15
            Rows of the ranking shown (None: all).
        setup : sequence of str
            Code lines that define ``f``, shown before the call (see :meth:`snippet`).
        """
        return _report(self, top, setup)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for ``--json``)."""
        p = self.probes
        ne = self.noise_estimate
        return {
            "x": self.x.tolist(),
            "target": self.target,
            "budget": self.budget,
            "noise": {
                "level": _plain(self.noise),
                "noisy": self.noisy,
                "source": self.noise_source,
                "ecnoise": None
                if ne is None
                else {
                    "noise": _plain(ne.noise),
                    "relative": _plain(ne.relative),
                    "info": ne.info,
                    "level": ne.level,
                    "h": ne.h,
                    "nfev": ne.nfev,
                },
            },
            "probes": {
                "value": _plain(p.value),
                "call_seconds": p.call_seconds,
                "vectorized": p.vectorized,
                "vectorized_detail": p.vectorized_detail,
                "complex": p.complex,
                "complex_ok": p.complex_ok,
                "dual": p.dual,
                "expression": p.expression,
                "expression_matches": p.expression_matches,
            },
            "reference": {
                "value": _plain(self.reference.value),
                "uncertainty": _plain(self.reference.uncertainty),
                "source": self.reference.source,
                "methods": list(self.reference.methods),
                "trusted": self.reference.trusted,
            },
            "ranking": [c.to_dict() for c in self.ranking],
            "rejected": [c.to_dict() for c in self.rejected],
            "recommended": None if self.recommended is None else self.recommended.to_dict(),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "code": self.code,
            "seconds": self.seconds,
        }


def _plain(v: Any) -> Any:
    """numpy and non-finite values to JSON-ready ones (inf/NaN become strings)."""
    if v is None:
        return None
    if isinstance(v, tuple):
        return [_plain(a) for a in v]
    arr = np.asarray(v)
    if arr.ndim > 0:
        return [_plain(float(a)) for a in arr.ravel()]
    value = float(arr)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


# ------------------------------------------------------------------------------------------------
# probing f
# ------------------------------------------------------------------------------------------------
def _describe(x: np.ndarray) -> str:
    return np.array2string(x, precision=6, threshold=6, separator=", ")


def _scalar_value(f: Callable, x: np.ndarray) -> float:
    """``f(x)`` as a float, or a ValueError saying what went wrong at ``x``."""
    try:
        with np.errstate(all="ignore"):
            y = f(x.copy())
    except Exception as exc:
        raise ValueError(f"f raised {type(exc).__name__} at x = {_describe(x)}: {exc}") from exc
    arr = np.asarray(getattr(y, "value", y))
    if arr.dtype.kind not in "biuf" or arr.size != 1:
        raise ValueError(
            f"f must return one real number, got {type(y).__name__} of shape {arr.shape} "
            f"at x = {_describe(x)}."
        )
    value = float(arr.reshape(()))
    if not math.isfinite(value):
        raise ValueError(
            f"f(x) = {value} at x = {_describe(x)}: x is outside the domain of f (f must be "
            "finite at the point to differentiate)."
        )
    return value


def _probe_vectorized(f: Callable, x: np.ndarray) -> tuple[bool, str]:
    d = 1e-3 * np.maximum(1.0, np.abs(x))
    X = np.stack([x, x + d, x - d])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = f(X)
            y = np.asarray(getattr(y, "value", y), dtype=float)
            rows = np.array([float(np.asarray(f(X[i].copy()), dtype=float)) for i in range(3)])
    except Exception as exc:
        return False, f"no: f raised {type(exc).__name__} on an (m, n) array of points"
    if y.shape != (3,):
        return False, f"no: f maps a (3, {x.size}) array of points to shape {y.shape}, not (3,)"
    if not np.allclose(y, rows, rtol=1e-12, atol=0, equal_nan=True):
        return False, "no: f on an array of points differs from f on each point"
    return True, "yes: f maps an (m, n) array of points to (m,) values"


def _non_analytic_parts(expr: Any) -> list[str]:
    import sympy

    found = set()
    for node in sympy.preorder_traversal(expr):
        name = type(node).__name__
        if name in _NON_ANALYTIC:
            found.add(name)
    return sorted(found)


def _probe_complex(f: Callable, x: np.ndarray) -> tuple[bool, str]:
    from methods.complex_step import check_analytic

    expr = getattr(f, "expr", None)
    if expr is not None:
        parts = _non_analytic_parts(expr)
        if parts:
            return False, (
                f"not analytic: the formula contains {', '.join(parts)}, which the complex step "
                "cannot differentiate (it may pass at one point and fail at another)"
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = check_analytic(f, x)
    except Exception as exc:
        return False, f"rejected: {type(exc).__name__}: {exc}"
    if not rep.accepts_complex:
        return False, "rejected: " + (rep.reasons[0] if rep.reasons else "f refused complex input")
    if not rep.analytic:
        i = int(np.argmax(rep.flagged))
        cs, rd = float(rep.complex_step[i, 0]), float(rep.real_difference[i])
        if np.isfinite(cs) and np.isfinite(rd) and rep.mismatch[i] > 0:
            return False, (
                f"not analytic at x: along x[{i}] the complex step gives {cs:.6g}, real "
                f"differences {rd:.6g}"
            )
        return False, "not analytic at x: " + "; ".join(rep.reasons[:2])
    return True, "analytic at x (complex step agrees with real differences)"


def _expression_matches(f: Callable, x: np.ndarray, f0: float) -> bool:
    clean = SymbolicFunction(f.expr, f.symbols)
    with np.errstate(all="ignore"):
        value = float(np.asarray(clean(x.copy()), dtype=float))
    return abs(value - f0) <= 4 * _EPS * max(abs(f0), abs(value))


def _exact_gradient(expr: Any, symbols: Sequence[Any], x: np.ndarray) -> np.ndarray | None:
    """The gradient of the formula at the float64 point ``x``, by mpmath at 50 digits.

    Returns None if mpmath cannot evaluate the derivative formula; raises ``ValueError`` if the
    derivative is infinite or undefined at ``x`` (``sqrt`` at 0): there is nothing to estimate.
    """
    import mpmath
    import sympy

    grads = [sympy.diff(expr, s) for s in symbols]
    fn = sympy.lambdify(symbols, grads, modules="mpmath")
    try:
        with mpmath.workdps(50):
            values = [mpmath.mpc(v) for v in fn(*[mpmath.mpf(float(v)) for v in x])]
    except ZeroDivisionError:
        values = [mpmath.mpc(mpmath.inf)]
    except Exception:  # a function mpmath does not know: no exact reference, not an error
        return None
    bad = [
        str(sympy.simplify(g))
        for g, v in zip(grads, values, strict=False)
        if not mpmath.isfinite(v.real) or abs(v.imag) > 1e-30 * max(abs(v.real), 1)
    ]
    if bad or len(values) != len(grads):
        raise ValueError(
            f"f is not differentiable at x = {_describe(x)}: the exact derivative "
            f"({', '.join(bad) or 'of the formula'}) is infinite or undefined there."
        )
    return np.array([float(v.real) for v in values])


# ------------------------------------------------------------------------------------------------
# running methods
# ------------------------------------------------------------------------------------------------
@dataclass
class _Run:
    """One gradient call: its estimate or the reason it failed, and its time."""

    estimate: Estimate | None
    error: str
    seconds: float


def _run(method: Method, f: Callable, x: np.ndarray, step: Any) -> _Run:
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            est = method.gradient(f, x, step=step)
    except Exception as exc:  # a failing method is a finding, not a crash
        return _Run(None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    if np.any(np.isnan(est.value)):
        return _Run(est, "the estimate is NaN (f not finite at a point the method needs)", seconds)
    return _Run(est, "", seconds)


class _Restricted:
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


class _PureNoise:
    """Standard normal noise that depends only on the point and ``seed`` (nothing else)."""

    def __init__(self, seed: int) -> None:
        self.seed = float(seed)

    def __call__(self, x: Any) -> Any:
        from .problems import point_noise

        arr = np.asarray(x, dtype=float)
        if arr.ndim == 1:
            return point_noise(np.append(arr, self.seed))
        return point_noise(np.hstack([arr, np.full((arr.shape[0], 1), self.seed)]))


def _settings_code(method: Method) -> tuple[dict, str]:
    """Non-default settings of ``method`` and the ``get_method(...)`` call that builds it."""
    sig = inspect.signature(type(method).__init__)
    settings = {}
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = getattr(method, name)
        if p.default is inspect.Parameter.empty or value != p.default:
            settings[name] = value
    args = "".join(f", {k}={v!r}" for k, v in settings.items())
    return settings, f'get_method("{method.name}"{args})'


def _format_step(step: Any) -> str:
    arr = np.atleast_1d(np.asarray(step, dtype=float))
    if arr.size == 1:
        return f"{arr[0]:.2g}"
    return "[" + ", ".join(f"{v:.2g}" for v in arr) + "]"


def _code(method: Method, step: Any) -> str:
    _, build = _settings_code(method)
    if step is None:
        return f"{build}.gradient(f, x)"
    return f"{build}.gradient(f, x, step={_format_step(step)})"


def _rel_error(value: np.ndarray, ref: np.ndarray, scale: float) -> float:
    """Relative error as :func:`~diffbench.metrics.gradient_error`, on a subset of coordinates."""
    if np.any(np.isnan(value)):
        return math.inf
    err = float(np.max(np.abs(value - ref)))
    return err / scale if scale > 0 else err


# ------------------------------------------------------------------------------------------------
# the step sweep
# ------------------------------------------------------------------------------------------------
@dataclass
class _Sweep:
    """One method's estimates over the relative steps ``t`` (actual steps ``t max(1, |x_i|)``)."""

    t: np.ndarray
    values: list  # estimates (arrays), None where the call failed
    actual: list  # actual steps per coordinate, or None
    errors: np.ndarray  # relative errors against the reference (inf: failed, NaN: no reference)
    seconds: list  # time of each call
    failures: list  # why each failed call failed ("" if it did not)


def _step_grid(smallest: float) -> np.ndarray:
    """Relative steps to sweep: two per decade from 1e-14 to 1, sparser below for tiny steps."""
    grid = list(_DENSE)
    if smallest < 1e-16:
        low = math.ceil(math.log10(max(smallest, 1e-300)))
        grid += [10.0**e for e in range(low, -16, 25)] + [1e-20, 1e-17]
    return np.array(sorted(g for g in set(grid) if g >= smallest))


def _step_factor(est: Estimate, arg: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, str]:
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


def _sweep(
    method: Method,
    g: Callable,
    x: np.ndarray,
    ref: np.ndarray | None,
    scale: float,
    factor: np.ndarray,
    rule: str,
    t_grid: np.ndarray,
) -> _Sweep:
    """Call ``method`` at every relative step of ``t_grid``; errors against ``ref``."""
    s = np.maximum(1.0, np.abs(x))
    values, actual, errors, seconds, failures = [], [], [], [], []
    for t in t_grid:
        arg = np.full(x.size, t) if rule == "relative" else t * s / factor
        run = _run(method, g, x, arg)
        seconds.append(run.seconds)
        if run.estimate is None or run.error:
            values.append(None)
            actual.append(None)
            errors.append(math.inf)
            failures.append(run.error)
            continue
        values.append(np.asarray(run.estimate.value, dtype=float))
        actual.append(None if run.estimate.step is None else np.asarray(run.estimate.step))
        errors.append(_rel_error(values[-1], ref, scale) if ref is not None else math.nan)
        failures.append("")
    return _Sweep(t_grid, values, actual, np.array(errors), seconds, failures)


def _rounding_floor(
    sw: _Sweep, amp: np.ndarray | None, eps_f: float, ref_scale: float
) -> np.ndarray:
    """Relative error that rounding (or noise) ``eps_f`` alone gives at each swept step."""
    return np.array(
        [
            0.0 if h is None else _floor_at(amp, eps_f, np.asarray(h, float), ref_scale)
            for h in sw.actual
        ]
    )


def _widest_run(errors: np.ndarray, level: float) -> tuple[int, int]:
    """The longest run of consecutive steps with error <= level (the first, if several tie).

    An isolated step far better than its neighbours is luck (the truncation error changing
    sign, exact arithmetic at this x); a long run is a property of the method on this f.
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


def _window(errors: np.ndarray, best: int, level: float) -> tuple[int, int]:
    """The run of consecutive indices around ``best`` with ``errors <= level``."""
    lo = hi = best
    while lo > 0 and errors[lo - 1] <= level:
        lo -= 1
    while hi < errors.size - 1 and errors[hi + 1] <= level:
        hi += 1
    return lo, hi


# ------------------------------------------------------------------------------------------------
# the noise model of a real-valued difference method
# ------------------------------------------------------------------------------------------------
@dataclass
class _NoiseModel:
    """RMS error ``sqrt((K h^p)^2 + (a eps_f / h)^2)`` per coordinate of a difference method."""

    amplification: np.ndarray  # a_i: noise std of the estimate = a_i eps_f / h_i
    bias: np.ndarray  # K_i: truncation error = K_i h_i^p
    order: np.ndarray  # p_i
    resolved: np.ndarray  # bool: K_i measured (else an upper bound)

    def rms(self, h: np.ndarray, eps_f: float) -> np.ndarray:
        return np.sqrt((self.bias * h**self.order) ** 2 + (self.amplification * eps_f / h) ** 2)

    def optimal(self, eps_f: float) -> np.ndarray:
        a, k, p = self.amplification, self.bias, self.order
        with np.errstate(divide="ignore"):
            return (a**2 * eps_f**2 / (p * k**2)) ** (1.0 / (2 * p + 2))


def _amplification(
    method: Method, x: np.ndarray, step: np.ndarray, draws: int = _NOISE_DRAWS
) -> np.ndarray | None:
    """Noise amplification ``a_i`` of a linear method: the std of its estimate is ``a_i eps_f/h_i``.

    Measured by applying the method to synthetic noise of standard deviation 1 (independent at
    every point, as :func:`~diffbench.problems.point_noise`), over ``draws`` draws.
    For a two-point forward difference ``a = sqrt(2)``, for the 3-point central one ``1/sqrt(2)``.
    """
    values = []
    h0 = None
    for k in range(draws):
        run = _run(method, _PureNoise(k), x, step)
        if run.estimate is None or run.error or run.estimate.step is None:
            return None
        values.append(np.asarray(run.estimate.value))
        h0 = np.asarray(run.estimate.step, dtype=float)
    return np.sqrt(np.mean(np.square(values), axis=0)) * h0


def _noise_model(
    method: Method, x: np.ndarray, sw: _Sweep, eps_f: float, amp: np.ndarray
) -> _NoiseModel:
    """Truncation error ``K_i h^p`` from the sweep's differences that stand clear of the noise."""
    n = x.size
    declared = method.order if isinstance(method.order, int) and method.order > 0 else 1
    bias = np.zeros(n)
    order = np.full(n, float(declared))
    resolved = np.zeros(n, dtype=bool)
    ok = [i for i, v in enumerate(sw.values) if v is not None and sw.actual[i] is not None]
    for i in range(n):
        pairs = []  # (h_small, h_large, |dD|, sigma)
        for a, b in zip(ok, ok[1:], strict=False):
            ha, hb = float(sw.actual[a][i]), float(sw.actual[b][i])
            if not hb > ha > 0:
                continue
            d = abs(float(sw.values[b][i] - sw.values[a][i]))
            sigma = eps_f * amp[i] * math.hypot(1 / ha, 1 / hb)
            pairs.append((ha, hb, d, sigma))
        clear = [j for j, (_, _, d, sg) in enumerate(pairs) if d >= 10 * sg]
        if clear:
            j = clear[0]
            p = float(declared)
            if j + 1 < len(pairs) and j + 1 in clear and pairs[j][2] > 0:
                (ha, hb, d1, _), (_, hc, d2, _) = pairs[j], pairs[j + 1]
                fit = math.log(d2 / d1) / math.log(hc / hb) if d2 > 0 else math.nan
                if 0.5 < fit < 12.5:
                    p = float(round(fit))
            ha, hb, d, _ = pairs[j]
            bias[i] = d / (hb**p - ha**p)
            order[i] = p
            resolved[i] = True
        elif pairs:  # truncation hidden by the noise up to the largest step: an upper bound
            ha, hb, _, sigma = pairs[-1]
            bias[i] = 10 * sigma / (hb**declared - ha**declared)
    return _NoiseModel(amp, bias, order, resolved)


# ------------------------------------------------------------------------------------------------
# the chooser
# ------------------------------------------------------------------------------------------------
@dataclass
class _Context:
    """What every measurement needs to know about ``f`` at ``x`` (filled in phase by phase)."""

    f: Callable
    x: np.ndarray
    target: float
    budget: int | None
    has_expr: bool
    f0: float = math.nan
    matches: bool | None = None
    vectorized: bool = False
    complex_ok: bool = False
    complex_detail: str = "not probed (no candidate method needs it)"
    dual_detail: str = "not probed (no candidate method needs it)"
    noisy: bool = False
    eps_f: float = 0.0
    ref: Reference | None = None
    subset: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ref_scale(self) -> float:
        value = None if self.ref is None else self.ref.value
        return float(np.max(np.abs(value))) if value is not None else 0.0


def _check_noise(noise: Any) -> float | None:
    """None for "auto", else the level as a float >= 0."""
    if isinstance(noise, str):
        if noise.strip().lower() == "auto":
            return None
        try:
            noise = float(noise)
        except ValueError:
            raise ValueError(f"`noise` must be 'auto' or a level >= 0, got {noise!r}.") from None
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.integer | np.floating):
        raise TypeError(f"`noise` must be 'auto' or a number, got {type(noise).__name__}.")
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"`noise` must be 'auto' or a finite level >= 0, got {noise}.")
    return float(noise)


def _candidate_methods(only: Sequence[Any] | None) -> list[tuple[type[Method], dict]]:
    """(class, settings) for every registered method and variant, or only those named."""
    names = [i.name for i in available()]
    if only is not None:
        if isinstance(only, str) or not isinstance(only, Sequence):
            raise TypeError("`methods` must be a sequence of method names or classes.")
        wanted = [method_class(m).name for m in only]  # unknown names raise, listing choices
        names = [n for n in names if n in wanted]
    return [(method_class(n), v) for n in names for v in method_class(n).variants()]


def _accepts_vectorized(cls: type[Method]) -> bool:
    return "vectorized" in inspect.signature(cls.__init__).parameters


def choose(
    f: Callable,
    x: Any = None,
    *,
    target: float = 1e-8,
    budget: int | None = None,
    noise: float | str = "auto",
    reference: Any = None,
    methods: Sequence[Any] | None = None,
) -> Choice:
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

    Returns
    -------
    Choice
        ``ranking`` (usable methods, best first), ``rejected`` (with why), ``recommended``,
        ``reasons``, ``code`` and :meth:`Choice.report` for people.

    Raises
    ------
    ValueError
        ``f`` raises or is not finite at ``x``, or is not differentiable there (by its
        formula); a bad ``x``, ``target``, ``budget``, ``noise``, ``reference`` or method name.

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
    started = time.perf_counter()
    from .problems import Problem

    if isinstance(f, Problem):
        x = f.points[0] if x is None else x
        reference = f.exact_gradient(x) if reference is None else reference
        f = f.function
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    if x is None:
        raise ValueError("`x` is required (the point at which to differentiate).")
    x = check_point(x)
    ctx = _Context(
        f=f,
        x=x,
        target=check_positive_real("target", target),
        budget=None if budget is None else check_positive_int("budget", budget, minimum=1),
        has_expr=has_expression(f),
    )
    given_noise = _check_noise(noise)
    candidates = _candidate_methods(methods)
    if reference is not None:
        reference = np.asarray(reference, dtype=float)
        if reference.shape != x.shape or not np.all(np.isfinite(reference)):
            raise ValueError(
                f"`reference` must be {x.size} finite numbers (one per coordinate of `x`), got "
                f"shape {reference.shape}."
            )
    if ctx.has_expr and len(f.symbols) != x.size:
        raise ValueError(
            f"`x` has {x.size} coordinate(s) but f's formula has {len(f.symbols)} variable(s) "
            f"({', '.join(map(str, f.symbols))})."
        )

    ctx.f0 = _scalar_value(f, x)
    call_seconds = _call_seconds(f, x)
    ctx.vectorized, vec_detail = _probe_vectorized(f, x)
    ctx.matches = _expression_matches(f, x, ctx.f0) if ctx.has_expr else None
    noise_est, noise_source = _noise_level(ctx, given_noise)
    if any("complex" in cls.needs for cls, _ in candidates):
        ctx.complex_ok, ctx.complex_detail = _probe_complex(f, x)
        if ctx.noisy and ctx.complex_detail.startswith("not analytic at x"):
            ctx.complex_detail = (
                "not confirmed: f is noisy, so real differences cannot confirm the complex step "
                "at x"
            )
    if reference is not None:
        ctx.ref = Reference(reference, 0.0, "given by the caller")
    elif ctx.has_expr:
        exact = _exact_gradient(f.expr, f.symbols, x)
        if exact is not None:
            ctx.ref = Reference(exact, 0.0, "exact gradient of the formula (SymPy + mpmath)")
        else:
            ctx.notes.append("mpmath cannot evaluate the formula's gradient; using a consensus.")

    rows, fixed, step_methods = _build_and_run(ctx, candidates)
    if ctx.ref is None:
        ctx.ref = _consensus(_reference_pool(ctx, fixed, step_methods), ctx.complex_ok)
    rows += [_measure_fixed(method, run, ctx) for method, run in fixed]
    if x.size >= _SUBSET_FROM:
        ctx.subset = np.sort(np.random.default_rng(0).choice(x.size, _SUBSET, replace=False))
        ctx.notes.append(
            f"Step sweeps ran on {_SUBSET} of the {x.size} coordinates "
            f"({ctx.subset.tolist()}); each recommended step was then measured on all of them."
        )
    rows += [_measure_step(method, ctx) for method in step_methods]

    probes = Probes(
        value=ctx.f0,
        call_seconds=call_seconds,
        vectorized=ctx.vectorized,
        vectorized_detail=vec_detail,
        complex=ctx.complex_detail,
        complex_ok=ctx.complex_ok,
        dual=ctx.dual_detail,
        expression=str(f.expr) if ctx.has_expr else None,
        expression_matches=ctx.matches,
    )
    ranking = tuple(sorted((r for r in rows if r.status == "ok"), key=_rank_key))
    rejected = tuple(r for r in rows if r.status != "ok")
    recommended = ranking[0] if ranking else None
    reasons = _reasons(recommended, ranking, rejected, probes, ctx)
    if ctx.noisy:
        ctx.notes.extend(_noise_notes(f, x, ctx.eps_f))
    return Choice(
        x=x,
        target=ctx.target,
        budget=ctx.budget,
        noise=ctx.eps_f,
        noisy=ctx.noisy,
        noise_source=noise_source,
        noise_estimate=noise_est,
        probes=probes,
        reference=ctx.ref,
        ranking=ranking,
        rejected=rejected,
        recommended=recommended,
        reasons=tuple(reasons),
        notes=tuple(ctx.notes),
        seconds=time.perf_counter() - started,
    )


def _call_seconds(f: Callable, x: np.ndarray) -> float:
    from .timing import time_call

    try:
        return time_call(lambda: f(x.copy()), target=2e-3, repeat=3, budget=0.05).median
    except Exception:  # f succeeded once at x; a later failure shows up in the methods
        return math.nan


def _noise_level(ctx: _Context, given: float | None) -> tuple[NoiseEstimate | None, str]:
    """Set ``ctx.eps_f`` and ``ctx.noisy`` (ECnoise unless given); return the estimate, source."""
    rounding = _EPS * max(abs(ctx.f0), 1e-300)
    if given is not None:
        ctx.eps_f = given if given > 0 else rounding
        ctx.noisy = given > NOISY_RELATIVE * (abs(ctx.f0) or 1.0)
        return None, "given" if given > 0 else "declared noise-free"
    est = None
    try:
        est = estimate_noise(ctx.f, ctx.x, samples=4)
    except Exception as exc:  # f failed near x: no estimate, but no crash either
        ctx.notes.append(f"ECnoise failed: {type(exc).__name__}: {_short(str(exc), 160)}")
    if est is None or not est.detected:
        info = est.info if est is not None else "f raised"
        ctx.eps_f = rounding
        ctx.notes.append(
            f"ECnoise could not measure the noise at x ({info}); f is treated as noise-free. "
            "Pass noise=LEVEL if you know it."
        )
        return est, f"ECnoise failed ({info}); assumed rounding level"
    ctx.eps_f = est.noise
    ctx.noisy = est.relative > NOISY_RELATIVE
    return est, f"ECnoise ({est.info}, difference order {est.level}, {est.nfev} evaluations)"


def _build_and_run(
    ctx: _Context, candidates: list[tuple[type[Method], dict]]
) -> tuple[list[Candidate], list[tuple[Method, _Run]], list[Method]]:
    """Build every candidate; run those without a step once. Return rejected rows, the runs of
    exact and adaptive methods, and the step methods still to sweep."""
    rows: list[Candidate] = []
    fixed: list[tuple[Method, _Run]] = []
    step_methods: list[Method] = []
    info = {i.name: i for i in available()}
    for cls, variant in candidates:
        settings = dict(variant)
        if ctx.vectorized and _accepts_vectorized(cls) and "vectorized" not in settings:
            settings["vectorized"] = True
        try:
            method = get_method(cls, **settings)
        except (TypeError, ValueError) as exc:
            rows.append(_rejected(cls, None, "failed", f"could not be built: {exc}"))
            continue
        if not info[cls.name].available:
            rows.append(_rejected(method, None, "unavailable", info[cls.name].reason))
            continue
        why = _not_applicable(method, ctx)
        if why:
            rows.append(_rejected(method, None, "not applicable", why))
            continue
        if method.kind not in ("exact", "adaptive"):
            step_methods.append(method)
            continue
        run = _run(method, ctx.f, ctx.x, None)
        if "dual" in method.needs:
            ctx.dual_detail = "accepted" if not run.error else f"rejected: {run.error}"
        if run.estimate is None or run.error:
            rows.append(_rejected(method, None, "failed", run.error))
        elif run.estimate.nfev == 0 and ctx.has_expr and not ctx.matches:
            rows.append(_rejected(method, 0, "not applicable", _FORMULA_NOT_F))
        elif ctx.budget is not None and run.estimate.nfev > ctx.budget:
            rows.append(_over_budget(method, run.estimate.nfev, ctx.budget))
        else:
            fixed.append((method, run))
    return rows, fixed, step_methods


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rejected(method: Any, nfev: int | None, status: str, reason: str) -> Candidate:
    if isinstance(method, Method):
        settings, _ = _settings_code(method)
        label, cls = method.label, type(method)
    else:  # a class that could not be built
        cls, settings, label = method, {}, method.name
    return Candidate(
        label=label,
        name=cls.name,
        family=cls.family,
        kind=cls.kind,
        settings=settings,
        status=status,
        reason=_short(reason),
        nfev=nfev,
    )


def _over_budget(method: Method, nfev: int, budget: int) -> Candidate:
    why = f"needs {nfev} evaluations per gradient; the budget is {budget}"
    return _rejected(method, nfev, "over budget", why)


_FORMULA_NOT_F = (
    "differentiates the formula, but f's values differ from it (noise?): the result would not "
    "be the derivative of f"
)


def _not_applicable(method: Method, ctx: _Context) -> str:
    """Why ``method`` cannot work on this ``f`` ("" if it can), from what it needs."""
    needs = method.needs
    if "expression" in needs and not ctx.has_expr:
        return "needs the function's formula (a SymPy expression); f is a plain callable"
    if "expression" in needs and not ctx.matches:
        return _FORMULA_NOT_F
    if "vectorized" in needs and not ctx.vectorized:
        return "needs f to take an (m, n) array of points; f does not"
    if "complex" in needs and not ctx.complex_ok:
        return f"needs complex arguments: {ctx.complex_detail}"
    return ""


def _reference_grade(cls: type[Method]) -> bool:
    """Accurate to near rounding with no step to tune: exact, complex step, extrapolation."""
    if "expression" in cls.needs:
        return False
    return cls.kind == "exact" or cls.family in ("complex-step", "extrapolation")


def _reference_pool(
    ctx: _Context, fixed: list[tuple[Method, _Run]], step_methods: list[Method]
) -> list[tuple[Method, _Run]]:
    """Runs of every accurate method that applies, whether or not it is a candidate."""
    pool = list(fixed)
    for method in step_methods:
        if method.family == "complex-step":  # only here if complex_ok
            run = _run(method, ctx.f, ctx.x, None)
            if run.estimate is not None and not run.error:
                pool.append((method, run))
    asked = {type(m) for m, _ in pool} | {type(m) for m in step_methods}
    for cls, variant in _candidate_methods(None):
        if cls in asked or not _reference_grade(cls) or not cls.availability()[0]:
            continue
        method = get_method(cls, **variant)
        if _not_applicable(method, ctx):
            continue
        run = _run(method, ctx.f, ctx.x, None)
        if "dual" in method.needs:
            ctx.dual_detail = "accepted" if not run.error else f"rejected: {run.error}"
        if run.estimate is not None and not run.error:
            pool.append((method, run))
    return pool


def _consensus(measured: list[tuple[Method, _Run]], complex_ok: bool) -> Reference:
    """Agreement of the most accurate methods that apply: exact, complex step, extrapolation.

    The largest group of results within :data:`_AGREE` of one another, counted in distinct
    methods, wins (ties: the more trusted kind, exact before complex step before extrapolation);
    the reference is its median and the uncertainty its spread. Exact methods and the complex
    step differentiate the program and can agree on a wrong answer where the program cancels,
    which is why a larger group of extrapolations outvotes them. Without two agreeing methods
    the tolerance is relaxed (1e-8, then 1e-6) before the reference is declared untrusted.
    """
    pool = []
    for method, run in measured:
        if method.family == "complex-step" and not complex_ok:
            continue
        rank = 0 if method.kind == "exact" else 1 if method.family == "complex-step" else 2
        pool.append((rank, method.name, method.label, np.asarray(run.estimate.value, float)))
    if not pool:
        why = "none: no exact, complex-step or extrapolation method applies"
        return Reference(None, math.nan, why, (), False)

    def dist(a: np.ndarray, b: np.ndarray) -> float:
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
        d = float(np.max(np.abs(a - b)))
        return d / scale if scale > 0 else d

    for tol in (_AGREE, 1e-8, 1e-6):
        best: tuple | None = None
        for rank, _, _, value in pool:
            group = [m for m in pool if dist(m[3], value) <= tol]
            key = (len({m[1] for m in group}), len(group), -rank)
            if best is None or key > best[0]:
                best = (key, group)
        group = best[1]
        if best[0][0] >= 2:
            value = np.median(np.array([m[3] for m in group]), axis=0)
            labels = tuple(m[2] for m in group)
            unc = max(dist(m[3], value) for m in group)
            return Reference(value, unc, f"agreement of {', '.join(labels)}", labels, True)
    rank, _, label, value = min(pool, key=lambda m: m[0])
    others = [dist(m[3], value) for m in pool if m[2] != label]
    return Reference(
        value,
        min(others) if others else math.nan,
        f"{label} alone (no second method agreed within 1e-6)",
        (label,),
        False,
    )


def _measure_fixed(method: Method, run: _Run, ctx: _Context) -> Candidate:
    """A method without a step to tune (exact or adaptive): its one run, timed twice more."""
    est = run.estimate
    seconds = [run.seconds]
    if run.seconds < 0.05:
        seconds += [_run(method, ctx.f, ctx.x, None).seconds for _ in range(2)]
    ref = ctx.ref
    measured = math.nan
    if ref.value is not None:
        measured = _rel_error(np.asarray(est.value), ref.value, ctx.ref_scale)
    # measured against a reference known to +-u, the error is known to be below measured + u;
    # against one method alone it is not known at all
    error = measured + ref.uncertainty if ref.trusted else math.nan
    caveats = []
    if est.nfev == 0:
        caveats.append("uses the formula, not f")
    if "dual" in method.needs:
        caveats.append("needs dual-safe code")
    if method.family == "complex-step":
        caveats.append("needs complex-safe code")
    if method.kind == "adaptive" and ctx.noisy:
        caveats.append("steps shrink into the noise")
    if not ref.trusted:
        caveats.append("unverified")
    settings, _ = _settings_code(method)
    return Candidate(
        label=method.label,
        name=method.name,
        family=method.family,
        kind=method.kind,
        settings=settings,
        status="ok",
        actual_step=None if est.step is None else np.asarray(est.step),
        error=error,
        measured_error=measured,
        best_error=error,
        robustness=math.inf,
        nfev=est.nfev,
        seconds=float(np.median(seconds)),
        meets_target=bool(ref.trusted and error <= ctx.target),
        caveats=tuple(caveats),
        code=_code(method, None),
    )


def _step_arg(t: float, x: np.ndarray, factor: np.ndarray, rule: str) -> float | np.ndarray:
    """The ``step`` argument giving actual steps ``t * max(1, |x_i|)`` (one number if it can)."""
    if rule == "relative":
        return float(t)
    arg = t * np.maximum(1.0, np.abs(x)) / factor
    return float(arg[0]) if np.allclose(arg, arg[0], rtol=1e-12) else arg


@dataclass
class _StepSetup:
    """A step method after its probe call and sweep, on the swept coordinates ``idx``."""

    method: Method
    nfev: int
    factor: np.ndarray  # actual step / step argument, every coordinate
    rule: str
    idx: np.ndarray
    g: Callable  # f restricted to idx (or f)
    sweep: _Sweep
    amp: np.ndarray | None  # noise amplification on idx (linear methods)
    caveats: list[str]

    def candidate(self, ctx: _Context, final: _Run, step_arg: Any, **fields: Any) -> Candidate:
        method = self.method
        settings, _ = _settings_code(method)
        est = final.estimate
        return Candidate(
            label=method.label,
            name=method.name,
            family=method.family,
            kind=method.kind,
            settings=settings,
            status="ok",
            step=step_arg,
            actual_step=None if est.step is None else np.asarray(est.step),
            nfev=est.nfev,
            seconds=float(np.median([*self.sweep.seconds, final.seconds])),
            caveats=tuple(self.caveats),
            code=_code(method, step_arg),
            sweep=tuple(
                (float(t), float(e)) for t, e in zip(self.sweep.t, self.sweep.errors, strict=True)
            ),
            **fields,
        )


def _measure_step(method: Method, ctx: _Context) -> Candidate:
    """Sweep the step of a step or grid method; pick a safe step (or the noise-aware one)."""
    x = ctx.x
    s = np.maximum(1.0, np.abs(x))
    probe_arg = 1e-6 * np.sqrt(s)  # not vanishing under a relative or an absolute step rule
    probe = _run(method, ctx.f, x, probe_arg)
    if probe.estimate is None and not (method.needs & {"complex", "dual"}):
        probe_arg = 1e-3 * s
        probe = _run(method, ctx.f, x, probe_arg)
    if probe.estimate is None:
        return _rejected(method, None, "failed", probe.error)
    nfev = probe.estimate.nfev
    if ctx.budget is not None and nfev > ctx.budget:
        return _over_budget(method, nfev, ctx.budget)
    factor, rule = _step_factor(probe.estimate, probe_arg, s)
    idx = np.arange(x.size) if ctx.subset is None else ctx.subset
    g = ctx.f if ctx.subset is None else _Restricted(ctx.f, x, ctx.subset)
    ref_s = None if ctx.ref.value is None else ctx.ref.value[idx]
    grid = _step_grid(type(method).smallest_useful_step)
    seconds = probe.seconds
    if seconds * grid.size > _SWEEP_SECONDS:  # the first call may have paid for imports
        seconds = _run(method, ctx.f, x, probe_arg).seconds
    stride = min(3, 1 + int(seconds * grid.size / _SWEEP_SECONDS))
    sw = _sweep(method, g, x[idx], ref_s, ctx.ref_scale, factor[idx], rule, grid[::stride])
    if not any(v is not None for v in sw.values):
        first = next((r for r in sw.failures if r), "no finite estimate")
        return _rejected(method, nfev, "failed", "fails at every step tried: " + first)
    caveats = []
    if rule == "absolute" and np.any(s > 1):
        caveats.append("absolute step")
    if "complex" in method.needs:
        caveats.append("needs complex-safe code")
    linear = not (method.needs & {"complex", "dual"})  # real values in, a linear combination out
    amp = None
    if linear:
        draws = _NOISE_DRAWS if ctx.noisy else _FLOOR_DRAWS
        amp = _amplification(method, x[idx], probe_arg[idx], draws)
    setup = _StepSetup(method, nfev, factor, rule, idx, g, sw, amp, caveats)
    if ctx.noisy and amp is not None:
        return _finish_noisy(setup, ctx)
    if ctx.noisy and linear:
        caveats.append("no noise model")
    if ref_s is None or not np.isfinite(sw.errors).any():
        final = _run(method, ctx.f, x, None)
        if final.estimate is None or final.error:
            return _rejected(method, nfev, "failed", final.error)
        caveats.append("unverified")
        return setup.candidate(ctx, final, None)
    return _finish_measured(setup, ctx)


def _finish_measured(st: _StepSetup, ctx: _Context) -> Candidate:
    """Noise-free f: the safe window of the measured sweep, its middle (or the default step)."""
    method, sw, x = st.method, st.sweep, ctx.x
    xs = x[st.idx]
    ref_s = ctx.ref.value[st.idx]
    # A difference quotient cannot be more accurate than its rounding error a_i eps_f / h_i
    # allows: a smaller measured error is luck of exact arithmetic at this x (a dyadic point, a
    # step that is a power of two), which the next x will not repeat.
    errors = np.maximum(sw.errors, _rounding_floor(sw, st.amp, ctx.eps_f, ctx.ref_scale))
    finite = np.where(np.isfinite(errors), errors, np.inf)
    level = max(ctx.target, 2 * float(finite.min()))
    lo, hi = _widest_run(finite, level)
    best = lo + int(np.argmin(finite[lo : hi + 1]))
    step_arg = _step_arg(sw.t[_pick_in_window(sw, lo, hi, best)], x, st.factor, st.rule)
    # The method's own default step, if it lies well inside the safe window, is the simplest code.
    default = _run(method, st.g, xs, None)
    if default.estimate is not None and not default.error and default.estimate.step is not None:
        h_def = np.asarray(default.estimate.step, dtype=float)
        d_err = max(
            _rel_error(np.asarray(default.estimate.value), ref_s, ctx.ref_scale),
            _floor_at(st.amp, ctx.eps_f, h_def, ctx.ref_scale),
        )
        t_def = float(np.median(h_def / np.maximum(1.0, np.abs(xs))))
        margin = 10**0.5 if hi - lo >= 2 else 1.0
        if d_err <= level and sw.t[lo] * margin <= t_def <= sw.t[hi] / margin:
            step_arg = None
    final = _run(method, ctx.f, x, step_arg)
    if final.estimate is None or final.error:
        step_arg = _step_arg(sw.t[best], x, st.factor, st.rule)
        final = _run(method, ctx.f, x, step_arg)
        if final.estimate is None or final.error:
            return _rejected(method, st.nfev, "failed", final.error)
    measured = _rel_error(np.asarray(final.estimate.value), ctx.ref.value, ctx.ref_scale)
    err = measured + ctx.ref.uncertainty
    if final.estimate.step is not None:
        h_final = np.asarray(final.estimate.step, dtype=float)[st.idx]
        err = max(err, _floor_at(st.amp, ctx.eps_f, h_final, ctx.ref_scale))
    if hi - lo < 2:
        st.caveats.append("narrow step window")
    if not ctx.ref.trusted:
        st.caveats.append("unverified")
        err = math.nan  # measured against one method alone: not evidence
    return st.candidate(
        ctx,
        final,
        step_arg,
        error=err,
        measured_error=measured,
        best_error=float(errors[best]),
        best_step=_step_arg(sw.t[best], x, st.factor, st.rule),
        window=(float(sw.t[lo]), float(sw.t[hi])),
        robustness=float(math.log10(sw.t[hi] / sw.t[lo])),
        meets_target=bool(ctx.ref.trusted and err <= ctx.target),
    )


def _floor_at(amp: np.ndarray | None, eps_f: float, h: np.ndarray, scale: float) -> float:
    """Relative error that rounding or noise ``eps_f`` alone gives at the steps ``h``."""
    if amp is None:
        return 0.0
    floor = float(np.max(amp * eps_f / h))
    return floor / scale if scale > 0 else floor


def _pick_in_window(sw: _Sweep, lo: int, hi: int, best: int) -> int:
    """The grid step nearest the log-midpoint of the window (the best step if it is one point)."""
    if lo == hi:
        return best
    mid = 0.5 * (math.log10(sw.t[lo]) + math.log10(sw.t[hi]))
    return min(range(lo, hi + 1), key=lambda k: abs(math.log10(sw.t[k]) - mid))


def _finish_noisy(st: _StepSetup, ctx: _Context) -> Candidate:
    """Noisy f: the step that minimises the RMS error model, and that error."""
    x, sw, eps_f = ctx.x, st.sweep, ctx.eps_f
    model = _noise_model(st.method, x[st.idx], sw, eps_f, st.amp)
    s = np.maximum(1.0, np.abs(x))
    s_i = s[st.idx]
    h_opt = np.clip(model.optimal(eps_f), sw.t[0] * s_i, sw.t[-1] * s_i)
    # One relative step for every coordinate when it costs little accuracy (simpler code); always
    # so when only a subset of coordinates was swept.
    rel = float(np.exp(np.mean(np.log(h_opt / s_i))))
    if st.idx.size < x.size or np.max(model.rms(rel * s_i, eps_f)) <= 1.2 * np.max(
        model.rms(h_opt, eps_f)
    ):
        h_model = rel * s_i
        step_arg: Any = _step_arg(rel, x, st.factor, st.rule)
    else:
        h_model = h_opt
        step_arg = h_opt / st.factor
    final = _run(st.method, ctx.f, x, step_arg)
    if final.estimate is None or final.error:
        return _rejected(st.method, st.nfev, "failed", final.error)
    value = np.asarray(final.estimate.value)
    scale = ctx.ref_scale if ctx.ref_scale > 0 else float(np.max(np.abs(value))) or 1.0
    expected = float(np.max(model.rms(h_model, eps_f))) / scale
    measured = math.nan
    if ctx.ref.value is not None:
        measured = _rel_error(value, ctx.ref.value, ctx.ref_scale)
    # robustness: how far the whole step vector may be scaled with the model error <= level
    level = max(ctx.target, 2 * expected)
    c = 10.0 ** np.linspace(-4, 4, 161)
    bad = np.array([np.max(model.rms(ci * h_model, eps_f)) / scale > level for ci in c], float)
    mid = int(np.argmin(np.abs(c - 1)))
    lo, hi = _window(bad, mid, 0.5)
    rel_t = float(np.exp(np.mean(np.log(h_model / s_i))))
    st.caveats.append("noise-aware step")
    if not np.all(model.resolved):
        st.caveats.append("truncation below the noise")
    return st.candidate(
        ctx,
        final,
        step_arg,
        error=expected,
        measured_error=measured,
        best_error=expected,
        best_step=step_arg,
        window=(rel_t * float(c[lo]), rel_t * float(c[hi])),
        robustness=float(math.log10(c[hi] / c[lo])) if not bad[mid] else 0.0,
        meets_target=bool(expected <= ctx.target),
    )


def _rank_key(c: Candidate) -> tuple:
    """Meets the target first, then cheaper (nfev, then time), then more robust."""
    if c.meets_target:
        return (0, c.nfev, -c.robustness, c.seconds)
    if math.isfinite(c.error):
        return (1, c.error, c.nfev, c.seconds)
    return (2, c.nfev, c.seconds, 0.0)


def _noise_notes(f: Callable, x: np.ndarray, eps_f: float) -> list[str]:
    """Moré & Wild's forward-difference step along each axis, for comparison (small n only)."""
    from .noise import estimate_second_derivative

    if x.size > 10:
        return []
    parts = []
    for i in range(x.size):
        try:
            c = estimate_second_derivative(f, x, eps_f, direction=np.eye(x.size)[i])
        except Exception:  # f failed near x: the comparison is optional
            return []
        if c.value > 0 and math.isfinite(c.value):
            parts.append(
                f"x[{i}]: |f''| ~ {c.value:.2g}, h = {noise_aware_step(eps_f, c.value):.2g}, "
                f"RMS error {noise_aware_error(eps_f, c.value):.2g}"
            )
    if not parts:
        return []
    return ["Moré-Wild forward-difference optimum (absolute): " + "; ".join(parts) + "."]


# ------------------------------------------------------------------------------------------------
# words
# ------------------------------------------------------------------------------------------------
def _fmt(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "?"
    if math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    return f"{v:.2g}{unit}"


def _plural(k: int | None, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _why_exact(c: Candidate) -> str:
    if c.kind == "exact" and c.nfev == 0:
        return (
            "it differentiates the formula itself (f is never called), exactly up to rounding: "
            "no step to tune; use it where you have the formula"
        )
    if c.family == "forward-mode AD" and c.kind == "exact":
        return (
            "f runs on dual numbers, which carry exact derivatives through every operation: "
            "no step to tune, no truncation or cancellation error from differencing"
        )
    if c.kind == "exact":
        return "it differentiates f's code exactly (no step to tune, no differencing error)"
    if c.family == "complex-step":
        return (
            "f accepts complex arguments and passed the analyticity check at x, so the complex "
            "step has no subtractive cancellation: tiny steps reach about 1 ulp"
        )
    return ""


def _reasons(
    rec: Candidate | None,
    ranking: Sequence[Candidate],
    rejected: Sequence[Candidate],
    probes: Probes,
    ctx: _Context,
) -> list[str]:
    """The recommendation's reasons, in plain words."""
    ref, target, budget, eps_f = ctx.ref, ctx.target, ctx.budget, ctx.eps_f
    out: list[str] = []
    over = [r for r in rejected if r.status == "over budget"]
    if rec is None:
        if over:
            cheapest = min(over, key=lambda r: r.nfev or 0)
            out.append(
                f"No method fits the budget of {_plural(budget, 'evaluation')} per gradient; "
                f"the cheapest, {cheapest.label}, needs {cheapest.nfev}."
            )
        else:
            out.append("No method produced a usable gradient at x (see the rejected list).")
        return out
    if rec.meets_target:
        out.append(f"It meets the target: expected relative error {_fmt(rec.error)} <= {target:g}.")
        cheaper_fail = [
            c for c in ranking if (c.nfev or 0) < (rec.nfev or 0) and not c.meets_target
        ]
        others = [c for c in ranking if c.meets_target and c is not rec]
        cost = f"{_plural(rec.nfev, 'evaluation')} of f per gradient, {_fmt_time(rec.seconds)}"
        if others:
            nxt = others[0]
            out.append(
                f"It is the cheapest method that does: {cost} (next: {nxt.label}, "
                f"{_plural(nxt.nfev, 'evaluation')}, {_fmt_time(nxt.seconds)})."
            )
        else:
            out.append(f"It is the only method that does: {cost}.")
        if cheaper_fail:
            c = cheaper_fail[0]
            out.append(f"Cheaper {c.label} misses the target ({_fmt(c.error)}).")
    else:
        out.append(
            f"No method meets the target {target:g} here; this is the most accurate one within "
            f"the budget (expected relative error {_fmt(rec.error)})."
        )
    why = _why_exact(rec)
    if why:
        out.append(f"Why it works here: {why}.")
    if rec.kind in ("step", "grid") and rec.window is not None:
        if "noise-aware step" in rec.caveats:
            out.append(
                f"f is noisy (eps_f ~ {eps_f:.2g}): the step balances truncation against "
                f"noise instead of rounding; steps {_fmt(rec.window[0])} to "
                f"{_fmt(rec.window[1])} (times max(1, |x_i|)) keep the expected error within "
                f"{max(target, 2 * rec.error):.2g}."
            )
        else:
            out.append(
                f"Steps from {_fmt(rec.window[0])} to {_fmt(rec.window[1])} (times "
                f"max(1, |x_i|)) keep the error within {max(target, 2 * rec.best_error):.2g} "
                f"at x: {rec.robustness:.1f} decades of safety."
            )
    why = {
        "not analytic at x": "f is not analytic at x as written",
        "not analytic": "f's formula is not analytic",
        "not confirmed": "its result cannot be confirmed on a noisy f",
        "rejected": "f does not accept complex arguments",
    }.get(probes.complex.split(":")[0])
    if why:
        out.append(f"The complex step is ruled out: {why}.")
    if not ref.trusted and "noise-aware step" in rec.caveats:
        out.append(
            "No trusted reference gradient (the accurate methods disagree on this noisy f): the "
            "errors of difference methods are the noise model's expectations, the others are "
            "unknown."
        )
    elif not ref.trusted:
        out.append(
            "Caution: no trusted reference gradient (no two accurate methods agreed), so the "
            "errors are unverified."
        )
    elif ref.uncertainty > 0.1 * target:
        out.append(
            f"Caution: the reference itself is uncertain to {ref.uncertainty:.2g} (relative)."
        )
    if over:
        more = f" and {len(over) - 6} more" if len(over) > 6 else ""
        names = ", ".join(r.label for r in over[:6])
        out.append(f"Left out for the budget of {budget}: {names}{more}.")
    return out


def _table(rows: Sequence[Candidate]) -> str:
    head = ("#", "method", "step", "error", "nfev", "time", "robust", "caveats")
    lines = []
    for k, c in enumerate(rows, 1):
        if c.step is None:
            step = "-" if c.kind in ("exact", "adaptive") else "default"
        else:
            step = _format_step(c.step)
            if len(step) > 18:
                step = "per coord."
        err = _fmt(c.error)
        if c.meets_target:
            err += " *"
        robust = "no step" if math.isinf(c.robustness) else f"{c.robustness:.1f} dec"
        lines.append(
            (
                str(k),
                c.label,
                step,
                err,
                str(c.nfev),
                _fmt_time(c.seconds),
                robust,
                "; ".join(c.caveats),
            )
        )
    widths = [
        max(len(h), *(len(r[i]) for r in lines)) if lines else len(h) for i, h in enumerate(head)
    ]
    widths[-1] = len(head[-1])

    def fmt(r: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, lines)])


def _rejected_lines(rejected: Sequence[Candidate], width: int = 100) -> list[str]:
    """Rejected methods grouped by reason (over-budget ones with their nfev), wrapped."""
    groups: dict[str, list[str]] = {}
    for c in rejected:
        if c.status == "over budget":
            groups.setdefault("over budget (evaluations per gradient)", []).append(
                f"{c.label} {c.nfev}"
            )
        else:
            groups.setdefault(f"{c.status}: {_short(c.reason, 150)}", []).append(c.label)
    lines = []
    for why, labels in groups.items():
        text = (
            f"{', '.join(labels)}: {why}"
            if not why.startswith("over")
            else (f"{why}: {', '.join(labels)}")
        )
        lines += textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="      ")
    return lines


def _report(choice: Choice, top: int | None, setup: Sequence[str]) -> str:
    p = choice.probes
    out = []
    x = _describe(choice.x)
    budget = "none" if choice.budget is None else f"{choice.budget} evaluations per gradient"
    out.append(
        f"Point x = {x} (n = {choice.x.size}); target relative error {choice.target:g}; "
        f"budget {budget}."
    )
    out.append("")
    out.append("What f is like at x")
    out.append(f"  value       f(x) = {p.value:.6g}; one call takes {_fmt_time(p.call_seconds)}")
    if p.expression is not None:
        match = "" if p.expression_matches else " (f's values differ from it: noise?)"
        out.append(f"  formula     {_short(p.expression, 80)}{match}")
    out.append(f"  arrays      {p.vectorized_detail}")
    out.append(f"  complex     {_short(p.complex, 150)}")
    out.append(f"  dual        {_short(p.dual, 150)}")
    kind = "noisy" if choice.noisy else "noise-free (rounding only)"
    out.append(f"  noise       {choice.noise:.2g} absolute: {kind} [{choice.noise_source}]")
    ref = choice.reference
    unc = "" if ref.uncertainty == 0 else f", uncertainty {_fmt(ref.uncertainty)}"
    out.append(f"  reference   {ref.source}{unc}")
    out.append("")
    shown = choice.ranking if top is None else choice.ranking[:top]
    out.append("Ranking (best first)")
    out.append(
        "  error: expected relative error of the gradient at x (* meets the target); nfev, time: "
        "per gradient;\n  robust: decades of step that stay within the target (no step: nothing "
        "to tune)"
    )
    out.append(_table(shown) if shown else "  (no usable method)")
    if top is not None and len(choice.ranking) > top:
        out.append(f"  ... {len(choice.ranking) - top} more (use --all or --json)")
    if choice.rejected:
        out.append("")
        out.append("Not usable here")
        out.extend(_rejected_lines(choice.rejected))
    out.append("")
    if choice.recommended is None:
        out.append("No recommendation.")
    else:
        rec = choice.recommended
        step = "" if rec.step is None else f" with step {_format_step(rec.step)}"
        out.append(f"Recommendation: {rec.label}{step}")
    for r in choice.reasons:
        out += textwrap.wrap(r, 100, initial_indent="  - ", subsequent_indent="    ")
    for note in choice.notes:
        out += textwrap.wrap(note, 100, initial_indent="  note: ", subsequent_indent="    ")
    if choice.recommended is not None:
        out.append("")
        out.append("Code:")
        out.extend("  " + line for line in choice.snippet(setup).splitlines())
    return "\n".join(out)
