"""ECnoise: how noisy is f at x (Moré & Wild 2011), for the step rules and for diffbench.

:func:`estimate_noise` is ECnoise (Moré & Wild, SIAM J. Sci. Comput. 33:1292, 2011): from
``m + 1`` values ``f(x + i h p)`` it builds the difference table; for noise of standard deviation
``eps_f`` the k-th differences of a smooth function are dominated by the noise once ``h`` is small,
and ``sigma_k = sqrt(gamma_k mean((Delta^k f)^2))`` with ``gamma_k = (k!)^2 / (2k)!`` estimates
``eps_f``. A level ``k`` is accepted when ``sigma_k, sigma_{k+1}, sigma_{k+2}`` agree within a
factor 4 and the k-th differences change sign (docs/theory.md#noisy-functions).

It lives in ``methods`` because the data-driven step rules (:mod:`methods.step_rules`,
``noise="ecnoise"``) estimate the noise with it; :mod:`diffbench.noise` re-exports it.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .counting import CountedFunction
from .validation import check_point, check_positive_int, check_positive_real

__all__ = [
    "DETECTED",
    "H_TOO_LARGE",
    "H_TOO_SMALL",
    "NoiseEstimate",
    "default_direction",
    "ecnoise",
    "estimate_noise",
]

#: ECnoise's outcomes (its ``inform`` codes 1, 2, 3).
DETECTED = "noise detected"
H_TOO_SMALL = "h too small"
H_TOO_LARGE = "h too large"


@dataclass(frozen=True)
class NoiseEstimate:
    """The result of :func:`estimate_noise`.

    Attributes
    ----------
    noise : float
        Estimated standard deviation ``eps_f`` of the noise in ``f`` (absolute, units of ``f``);
        NaN if no noise level was detected (see ``info``).
    relative : float
        ``noise`` over the largest ``|f|`` among the samples (NaN if no level was detected or
        ``f`` vanished at every sample).
    info : str
        ``"noise detected"``, ``"h too small"`` (the values did not change: try a larger ``h``)
        or ``"h too large"`` (the values change too much, or no level is consistent: try a
        smaller ``h``): ECnoise's ``inform`` codes 1, 2 and 3, after the last ``h`` tried.
    level : int or None
        The difference order ``k`` whose ``sigma_k`` was accepted.
    levels : tuple of float
        ``sigma_k`` for ``k = 1..m`` at the last ``h`` tried.
    h : float
        The last spacing tried along ``direction``.
    direction : numpy.ndarray
        The unit direction ``p`` of the samples ``x + i h p``.
    nfev : int
        Evaluations of ``f`` used, over every ``h`` tried.
    tries : tuple of tuple
        ``(h, info)`` for every spacing tried, in order.
    """

    noise: float
    relative: float
    info: str
    level: int | None
    levels: tuple[float, ...]
    h: float
    direction: np.ndarray
    nfev: int
    tries: tuple[tuple[float, str], ...]

    @property
    def detected(self) -> bool:
        """True if a noise level was accepted."""
        return self.info == DETECTED


def ecnoise(values: Any) -> tuple[float, int | None, tuple[float, ...], str]:
    """ECnoise on ``m + 1`` equally spaced function values (Moré & Wild 2011, their ``ECnoise.m``).

    Parameters
    ----------
    values : array_like, shape (m + 1,)
        ``f(x + i h p)`` for consecutive ``i``; at least 4 values (7-9 recommended).

    Returns
    -------
    (noise, level, levels, info)
        The accepted ``sigma_k`` (NaN if none), its ``k`` (or None), every ``sigma_k`` and one of
        ``"noise detected"``, ``"h too small"``, ``"h too large"``.

    Examples
    --------
    Values of a straight line plus alternating noise of amplitude 1e-6:

    >>> t = np.arange(9)
    >>> noise, level, _, info = ecnoise(1.0 + 1e-3 * t + 1e-6 * (-1.0) ** t)
    >>> info, level, bool(0.5e-6 < noise < 2e-6)
    ('noise detected', 2, True)
    """
    fval = np.array(values, dtype=float).ravel()
    nf = fval.size
    if nf < 4:
        raise ValueError(f"`values` must hold at least 4 function values, got {nf}.")
    if not np.all(np.isfinite(fval)):
        raise ValueError("`values` must be finite.")
    levels = np.zeros(nf - 1)
    sign_change = np.zeros(nf - 1, dtype=bool)
    fmin, fmax = float(fval.min()), float(fval.max())
    scale = max(abs(fmin), abs(fmax))
    if scale > 0 and (fmax - fmin) / scale > 0.1:
        return math.nan, None, tuple(levels), H_TOO_LARGE
    gamma = 1.0
    diff = fval.copy()
    for j in range(1, nf):
        diff = np.diff(diff)
        # h is too small only when half the first differences vanish (the values are quantised)
        if j == 1 and np.count_nonzero(diff == 0) >= nf / 2:
            return math.nan, None, tuple(levels), H_TOO_SMALL
        gamma *= 0.5 * j / (2 * j - 1)  # gamma_j = (j!)^2 / (2j)!
        levels[j - 1] = math.sqrt(gamma * float(np.mean(diff**2)))
        sign_change[j - 1] = diff.min() * diff.max() < 0
    for k in range(nf - 3):
        trio = levels[k : k + 3]
        if trio.max() <= 4 * trio.min() and sign_change[k]:
            return float(levels[k]), k + 1, tuple(levels), DETECTED
    return math.nan, None, tuple(levels), H_TOO_LARGE


def default_direction(x: Any, seed: int = 0) -> np.ndarray:
    """A fixed pseudo-random unit direction for ``x``, scaled by ``max(1, |x_i|)`` per coordinate.

    Scaling by the size of each coordinate keeps every coordinate's move relative to its size, so
    one ``h`` suits points whose coordinates differ by orders of magnitude.
    """
    x = check_point(x)
    z = np.random.default_rng(seed).standard_normal(x.size)
    p = z * np.maximum(1.0, np.abs(x))
    return p / np.linalg.norm(p)


def _unit(direction: Any, n: int) -> np.ndarray:
    p = np.asarray(direction, dtype=float)
    if p.shape != (n,):
        raise ValueError(f"`direction` must have shape ({n},), got {p.shape}.")
    norm = float(np.linalg.norm(p))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("`direction` must be a finite, non-zero vector.")
    return p / norm


def _scalar(y: Any) -> float:
    arr = np.asarray(y, dtype=float)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got shape {arr.shape}.")
    return float(arr.reshape(()))


def estimate_noise(
    f: Callable,
    x: Any,
    *,
    direction: Any = None,
    h: float | None = None,
    m: int = 8,
    samples: int = 4,
    max_tries: int = 6,
) -> NoiseEstimate:
    """Estimate the noise level of ``f`` at ``x`` with ECnoise (Moré & Wild 2011).

    Evaluates ``f(x + i h p)`` for ``i = -m//2 .. m - m//2`` (``m + 1`` values) and applies
    :func:`ecnoise`. If it reports ``"h too small"`` the spacing is multiplied by 100, if
    ``"h too large"`` (or ``f`` is not finite at a sample, e.g. outside its domain) divided by
    100, as ECnoise's documentation advises, up to ``max_tries`` spacings.

    One ECnoise run rests on ``m + 1`` values and scatters by more than a factor 3 around the
    true level (measured on ``sin(x) exp(x)`` plus Gaussian noise of 1e-8 at 120 points in
    [0.1, 2]: 0.23-2.4 times the true level). ``samples`` runs (``samples * (m + 1)``
    evaluations or more) are combined as the root mean square of the detected levels, which
    scatters less (4 runs: 0.40-1.8, geometric mean 0.96). Run ``k`` uses the spacing
    ``h (1 + 0.3 k)`` and, by default, its own direction, so its points differ from the other
    runs' even in one dimension.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    x : array_like, shape (n,)
        The point.
    direction : array_like, shape (n,), optional
        Direction ``p`` of the samples (normalised here), used by every run. Default:
        :func:`default_direction` with seed ``k`` for run ``k``, a fixed random direction
        scaled per coordinate by ``max(1, |x_i|)``.
    h : float, optional
        Spacing along ``p``. Default ``1e-6 * ||max(1, |x|)||_2``: every coordinate moves by
        about ``1e-6`` of its size per sample, small enough for the differences of a smooth
        function to fall below the noise by the third order or so.
    m : int, default 8
        Number of intervals (``m + 1`` evaluations per spacing), at least 3.
    samples : int, default 4
        ECnoise runs to combine (1 is Moré & Wild's procedure as published).
    max_tries : int, default 6
        Most spacings tried per run.

    Returns
    -------
    NoiseEstimate
        ``relative`` is the noise over the largest ``|f|`` among the samples (so it is defined
        at a zero of ``f``). With ``samples > 1`` the other fields describe the first run that
        detected noise (or the last run) and ``nfev`` counts every run.

    Examples
    --------
    Noise of standard deviation 1e-8 on a smooth function, the same value at every repeated
    call (as a simulation would give):

    >>> def f(v):  # a fixed pseudo-random value per point, in [-sqrt(3), sqrt(3)] (sd 1)
    ...     u = np.sin(np.dot(v, [12.9898]) * 43758.5453) * 43758.5453 % 1.0
    ...     return np.sin(v[0]) + 1e-8 * np.sqrt(3) * (2 * u - 1)
    >>> est = estimate_noise(f, [0.7])
    >>> est.info, bool(1e-8 / 3 < est.noise < 3e-8)
    ('noise detected', True)
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    x = check_point(x)
    m = check_positive_int("m", m, minimum=3)
    samples = check_positive_int("samples", samples)
    max_tries = check_positive_int("max_tries", max_tries)
    if h is None:
        h = 1e-6 * float(np.linalg.norm(np.maximum(1.0, np.abs(x))))
    h = check_positive_real("h", h)
    runs = []
    for k in range(samples):
        p = default_direction(x, seed=k) if direction is None else _unit(direction, x.size)
        # a different spacing per run gives new sample points even where p cannot change (n = 1)
        runs.append(
            _ecnoise_run(CountedFunction(f, "ECnoise"), x, p, h * (1 + 0.3 * k), m, max_tries)
        )
    found = [r for r in runs if r.detected]
    first = found[0] if found else runs[-1]
    nfev = sum(r.nfev for r in runs)
    if not found:
        return dataclasses.replace(first, nfev=nfev)
    noise = math.sqrt(sum(r.noise**2 for r in found) / len(found))
    scale = (
        max(r.noise / r.relative for r in found if r.relative > 0)
        if any(r.relative > 0 for r in found)
        else 0.0
    )
    return dataclasses.replace(
        first, noise=noise, relative=noise / scale if scale > 0 else math.nan, nfev=nfev
    )


def _ecnoise_run(
    f: CountedFunction, x: np.ndarray, p: np.ndarray, h: float, m: int, max_tries: int
) -> NoiseEstimate:
    """One ECnoise run along ``p``, adapting ``h`` as ECnoise's documentation advises.

    ``f`` counts the evaluations (``nfev``) and names the point if f raises.
    """
    offsets = np.arange(m + 1) - m // 2
    tries: list[tuple[float, str]] = []
    noise, level, levels, scale = math.nan, None, (), 0.0
    for _ in range(max_tries):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # samples outside f's domain are expected while the spacing adapts
            warnings.simplefilter("ignore", RuntimeWarning)
            values = np.array([_scalar(v) for v in f.each(x + i * h * p for i in offsets)])
        if not np.isfinite(values[m // 2]):
            raise ValueError(f"f(x) is not finite at x = {x.tolist()}: {values[m // 2]}.")
        if np.all(np.isfinite(values)):
            noise, level, levels, info = ecnoise(values)
            scale = float(np.max(np.abs(values)))
        else:  # a sample left the domain of f: the spacing is too large
            noise, level, levels, info = math.nan, None, (), H_TOO_LARGE
        tries.append((h, info))
        if info == DETECTED:
            break
        previous = [t[1] for t in tries[:-1]]
        if H_TOO_LARGE in previous and info == H_TOO_SMALL:
            break  # bracketed: no spacing in between is tried
        if H_TOO_SMALL in previous and info == H_TOO_LARGE:
            break
        h = h * 100 if info == H_TOO_SMALL else h / 100
    h_last, info = tries[-1]
    detected = info == DETECTED
    return NoiseEstimate(
        noise=noise if detected else math.nan,
        relative=noise / scale if detected and scale > 0 else math.nan,
        info=info,
        level=level,
        levels=tuple(float(v) for v in levels),
        h=h_last,
        direction=p,
        nfev=f.nfev,
        tries=tuple(tries),
    )
