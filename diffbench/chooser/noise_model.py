"""Noise: how noisy ``f`` is, how a method amplifies noise, and the noise-aware step.

On a noisy ``f`` (noise above :data:`NOISY_RELATIVE` of ``|f|``, by ECnoise) the step of a
noise-linear method (``noise_linear``: a fixed linear combination of values of ``f``) is not
taken from the noisy sweep but from the error model
``E(h)^2 = (K h^p)^2 + (a eps_f / h)^2``: ``a`` is the method's noise amplification (measured
on synthetic noise), ``K h^p`` its truncation error (measured from the differences of the sweep
where they stand clear of the noise). For a forward difference ``a = sqrt(2)``, ``K = |f''|/2``
and the minimiser is Moré & Wild's ``h = 8^(1/4) sqrt(eps_f/|f''|)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from methods import Method

from ..noise import NoiseEstimate, estimate_noise, noise_aware_error, noise_aware_step
from .candidates import failed
from .findings import Caveat, NoiseOrigin
from .running import OutOfTime, PureNoise, relative_error, run, step_argument

if TYPE_CHECKING:
    from .context import Context
    from .results import Candidate
    from .step_sweep import StepSetup

__all__ = [
    "ECNOISE_EVALUATIONS",
    "NOISE_DRAWS",
    "FLOOR_DRAWS",
    "NOISY_RELATIVE",
    "NoiseLevel",
    "NoiseModel",
    "amplification",
    "check_noise",
    "finish_noisy",
    "fit_noise_model",
    "floor_at",
    "more_wild_axes",
    "noise_level",
]

_EPS = float(np.finfo(float).eps)
#: Relative noise level above which ``f`` is treated as noisy (about 4500 ulp; plain rounding,
#: even amplified by a sum of many terms or a nearby pole, stays below it).
NOISY_RELATIVE = 1e-12
#: Synthetic noise realisations used to measure a method's noise amplification (noisy f; a
#: noise-free f only needs the rounding floor, and fewer).
NOISE_DRAWS = 24
FLOOR_DRAWS = 8
#: Evaluations of ``f`` one ECnoise estimate takes at least (4 runs of 9 values).
ECNOISE_EVALUATIONS = 36


# ------------------------------------------------------------------------------------------------
# how noisy f is
# ------------------------------------------------------------------------------------------------
def check_noise(noise: Any) -> float | None:
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


@dataclass(frozen=True)
class NoiseLevel:
    """The noise level ``eps_f`` of ``f`` at ``x`` and where it comes from.

    Attributes
    ----------
    eps_f : float
        Absolute noise level (the rounding level when ``f`` is taken as noise-free).
    noisy : bool
        Above :data:`NOISY_RELATIVE` of ``|f(x)|``.
    origin : NoiseOrigin
    estimate : NoiseEstimate or None
        ECnoise's result.
    error : BaseException or None
        What ECnoise raised, if it did.
    """

    eps_f: float
    noisy: bool
    origin: NoiseOrigin
    estimate: NoiseEstimate | None = None
    error: BaseException | None = None


def noise_level(
    f: Callable, x: np.ndarray, f0: float, given: float | None, remaining: float = math.inf
) -> NoiseLevel:
    """``given`` (0: rounding only), else ECnoise's estimate (rounding if it finds none).

    ECnoise is skipped (rounding level, origin ``SKIPPED_FOR_TIME``) when fewer than
    :data:`ECNOISE_EVALUATIONS` evaluations of ``f`` are ``remaining``, or when they run out.
    """
    rounding = _EPS * max(abs(f0), 1e-300)
    if given is not None:
        origin = NoiseOrigin.GIVEN if given > 0 else NoiseOrigin.DECLARED_FREE
        noisy = given > NOISY_RELATIVE * (abs(f0) or 1.0)
        return NoiseLevel(given if given > 0 else rounding, noisy, origin)
    skipped = NoiseLevel(rounding, False, NoiseOrigin.SKIPPED_FOR_TIME)
    if remaining < ECNOISE_EVALUATIONS:
        return skipped
    est, error = None, None
    try:
        est = estimate_noise(f, x, samples=4)
    except OutOfTime:
        return skipped
    except Exception as exc:  # f failed near x: no estimate, but no crash either
        error = exc
    if est is None or not est.detected:
        return NoiseLevel(rounding, False, NoiseOrigin.ECNOISE_FAILED, est, error)
    return NoiseLevel(est.noise, est.relative > NOISY_RELATIVE, NoiseOrigin.ECNOISE, est)


def more_wild_axes(
    f: Callable, x: np.ndarray, eps_f: float
) -> list[tuple[int, float, float, float]]:
    """Moré & Wild's forward-difference optimum along each axis (small n only).

    Returns ``(i, |f''|, step, RMS error)`` for every axis with a positive ``|f''|``; nothing
    if ``n > 10`` or ``f`` fails near ``x``.
    """
    from ..noise import estimate_second_derivative

    if x.size > 10:
        return []
    out = []
    for i in range(x.size):
        try:
            c = estimate_second_derivative(f, x, eps_f, direction=np.eye(x.size)[i])
        except Exception:  # f failed near x: the comparison is optional
            return []
        if c.value > 0 and math.isfinite(c.value):
            out.append(
                (i, c.value, noise_aware_step(eps_f, c.value), noise_aware_error(eps_f, c.value))
            )
    return out


# ------------------------------------------------------------------------------------------------
# how a method amplifies noise
# ------------------------------------------------------------------------------------------------
def amplification(
    method: Method, x: np.ndarray, step: np.ndarray, draws: int = NOISE_DRAWS
) -> np.ndarray | None:
    """Noise amplification ``a_i`` of a linear method: the std of its estimate is ``a_i eps_f/h_i``.

    Measured by applying the method to synthetic noise of standard deviation 1 (independent at
    every point, as :func:`~diffbench.problems.point_noise`), over ``draws`` draws.
    For a two-point forward difference ``a = sqrt(2)``, for the 3-point central one ``1/sqrt(2)``.
    """
    values = []
    h0 = None
    for k in range(draws):
        r = run(method, PureNoise(k), x, step)
        if not r.ok or r.estimate.step is None:
            return None
        values.append(np.asarray(r.estimate.value))
        h0 = np.asarray(r.estimate.step, dtype=float)
    return np.sqrt(np.mean(np.square(values), axis=0)) * h0


def floor_at(amp: np.ndarray | None, eps_f: float, h: np.ndarray, scale: float) -> float:
    """Relative error that rounding or noise ``eps_f`` alone gives at the steps ``h``."""
    if amp is None:
        return 0.0
    floor = float(np.max(amp * eps_f / h))
    return floor / scale if scale > 0 else floor


# ------------------------------------------------------------------------------------------------
# the RMS error model and the noise-aware step
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoiseModel:
    """RMS error ``sqrt((K h^p)^2 + (a eps_f / h)^2)`` per coordinate of a difference method.

    Attributes
    ----------
    amplification : numpy.ndarray
        ``a_i``: the noise std of the estimate is ``a_i eps_f / h_i``.
    bias : numpy.ndarray
        ``K_i``: the truncation error is ``K_i h_i^p``.
    order : numpy.ndarray
        ``p_i``.
    resolved : numpy.ndarray of bool
        ``K_i`` was measured (else it is an upper bound).
    """

    amplification: np.ndarray
    bias: np.ndarray
    order: np.ndarray
    resolved: np.ndarray

    def rms(self, h: np.ndarray, eps_f: float) -> np.ndarray:
        """The model's RMS error at the steps ``h``, per coordinate."""
        return np.sqrt((self.bias * h**self.order) ** 2 + (self.amplification * eps_f / h) ** 2)

    def optimal(self, eps_f: float) -> np.ndarray:
        """The steps that minimise :meth:`rms`, per coordinate."""
        a, k, p = self.amplification, self.bias, self.order
        with np.errstate(divide="ignore"):
            return (a**2 * eps_f**2 / (p * k**2)) ** (1.0 / (2 * p + 2))


def _differences(
    values: Sequence[np.ndarray | None],
    actual: Sequence[np.ndarray | None],
    i: int,
    noise: float,
) -> list[tuple[float, float, float, float]]:
    """``(h_small, h_large, |dD|, sigma)`` between successive estimates along coordinate ``i``.

    ``noise`` is ``eps_f a_i``: the standard deviation of ``dD`` is ``noise hypot(1/h, 1/h')``.
    """
    ok = [k for k, v in enumerate(values) if v is not None and actual[k] is not None]
    pairs = []
    for a, b in zip(ok, ok[1:], strict=False):
        ha, hb = float(actual[a][i]), float(actual[b][i])
        if not hb > ha > 0:
            continue
        d = abs(float(values[b][i] - values[a][i]))
        pairs.append((ha, hb, d, noise * math.hypot(1 / ha, 1 / hb)))
    return pairs


def _truncation(
    pairs: list[tuple[float, float, float, float]], declared: int
) -> tuple[float, float, bool]:
    """``(K, p, resolved)`` from the first differences that stand clear of the noise."""
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
        return d / (hb**p - ha**p), p, True
    if pairs:  # truncation hidden by the noise up to the largest step: an upper bound
        ha, hb, _, sigma = pairs[-1]
        return 10 * sigma / (hb**declared - ha**declared), float(declared), False
    return 0.0, float(declared), False


def fit_noise_model(
    method: Method,
    x: np.ndarray,
    values: Sequence[np.ndarray | None],
    actual: Sequence[np.ndarray | None],
    eps_f: float,
    amp: np.ndarray,
) -> NoiseModel:
    """Truncation error ``K_i h^p`` from a sweep's differences that stand clear of the noise.

    ``values`` and ``actual`` are the sweep's estimates and actual steps (None where a call
    failed), in increasing step order.
    """
    p = method.truncation_order
    declared = p if isinstance(p, int) and p > 0 else 1
    fits = [
        _truncation(_differences(values, actual, i, eps_f * amp[i]), declared)
        for i in range(x.size)
    ]
    bias, order, resolved = (np.array(col) for col in zip(*fits, strict=True))
    return NoiseModel(amp, bias.astype(float), order.astype(float), resolved.astype(bool))


def _window(errors: np.ndarray, best: int, level: float) -> tuple[int, int]:
    """The run of consecutive indices around ``best`` with ``errors <= level``."""
    lo = hi = best
    while lo > 0 and errors[lo - 1] <= level:
        lo -= 1
    while hi < errors.size - 1 and errors[hi + 1] <= level:
        hi += 1
    return lo, hi


def _model_step(
    model: NoiseModel, st: StepSetup, ctx: Context, t_range: tuple[float, float]
) -> tuple[np.ndarray, Any]:
    """The model's optimal steps on the swept coordinates, and the ``step`` argument for them.

    One relative step for every coordinate when it costs little accuracy (simpler code); always
    so when only a subset of coordinates was swept.
    """
    x, eps_f = ctx.x, ctx.eps_f
    s_i = np.maximum(1.0, np.abs(x))[st.idx]
    h_opt = np.clip(model.optimal(eps_f), t_range[0] * s_i, t_range[1] * s_i)
    rel = float(np.exp(np.mean(np.log(h_opt / s_i))))
    if st.idx.size < x.size or np.max(model.rms(rel * s_i, eps_f)) <= 1.2 * np.max(
        model.rms(h_opt, eps_f)
    ):
        return rel * s_i, step_argument(rel, x, st.factor, st.rule)
    return h_opt, h_opt / st.factor


def finish_noisy(st: StepSetup, ctx: Context) -> Candidate:
    """Noisy f: the step that minimises the RMS error model, and that error."""
    x, sw, eps_f = ctx.x, st.sweep, ctx.eps_f
    model = fit_noise_model(st.method, x[st.idx], sw.values, sw.actual, eps_f, st.amp)
    h_model, step_arg = _model_step(model, st, ctx, (sw.t[0], sw.t[-1]))
    final = run(st.method, ctx.f, x, step_arg)
    if not final.ok:
        return failed(st.method, st.nfev, final)
    value = np.asarray(final.estimate.value)
    scale = ctx.ref_scale if ctx.ref_scale > 0 else float(np.max(np.abs(value))) or 1.0
    expected = float(np.max(model.rms(h_model, eps_f))) / scale
    measured = math.nan
    if ctx.ref.value is not None:
        measured = relative_error(value, ctx.ref.value, ctx.ref_scale)
    # robustness: how far the whole step vector may be scaled with the model error <= level
    level = max(ctx.target, 2 * expected)
    c = 10.0 ** np.linspace(-4, 4, 161)
    bad = np.array([np.max(model.rms(ci * h_model, eps_f)) / scale > level for ci in c], float)
    mid = int(np.argmin(np.abs(c - 1)))
    lo, hi = _window(bad, mid, 0.5)
    rel_t = float(np.exp(np.mean(np.log(h_model / np.maximum(1.0, np.abs(x))[st.idx]))))
    flags = [Caveat.NOISE_AWARE_STEP]
    if not np.all(model.resolved):
        flags.append(Caveat.TRUNCATION_BELOW_NOISE)
    return st.candidate(
        final,
        step_arg,
        flags,
        error=expected,
        measured_error=measured,
        best_error=expected,
        best_step=step_arg,
        window=(rel_t * float(c[lo]), rel_t * float(c[hi])),
        robustness=float(math.log10(c[hi] / c[lo])) if not bad[mid] else 0.0,
        meets_target=bool(expected <= ctx.target),
    )
