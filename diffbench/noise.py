"""How noisy is f, and which step suits it: Moré & Wild's ECnoise and the noise-aware step.

:func:`estimate_noise` is ECnoise (Moré & Wild, SIAM J. Sci. Comput. 33:1292, 2011): from
``m + 1`` values ``f(x + i h p)`` it builds the difference table; for noise of standard deviation
``eps_f`` the k-th differences of a smooth function are dominated by the noise once ``h`` is small,
and ``sigma_k = sqrt(gamma_k mean((Delta^k f)^2))`` with ``gamma_k = (k!)^2 / (2k)!`` estimates
``eps_f``. A level ``k`` is accepted when ``sigma_k, sigma_{k+1}, sigma_{k+2}`` agree within a
factor 4 and the k-th differences change sign.

:func:`estimate_second_derivative` is the noise-aware second-difference estimate of ``|f''|``
(Moré & Wild, ACM TOMS 38:19, 2012, Algorithm 5.1), and :func:`noise_aware_step` /
:func:`noise_aware_error` the forward-difference step ``8^(1/4) sqrt(eps_f/|f''|)`` that minimises
the mean squared error, and that error ``2^(1/4) sqrt(|f''| eps_f)``
(docs/theory.md#noisy-functions).

The ECnoise core (:func:`ecnoise`, :func:`estimate_noise`, :class:`NoiseEstimate`,
:func:`default_direction`) lives in :mod:`methods.ecnoise`, since the step rules of ``methods``
use it and ``methods`` never imports ``diffbench``; it is re-exported here unchanged.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from methods.counting import CountedFunction
from methods.ecnoise import (  # the ECnoise core lives in methods/ (the step rules use it)
    DETECTED,  # noqa: F401  (re-exported: ECnoise's outcomes)
    H_TOO_LARGE,  # noqa: F401
    H_TOO_SMALL,  # noqa: F401
    NoiseEstimate,
    _scalar,
    _unit,
    default_direction,
    ecnoise,
    estimate_noise,
)
from methods.validation import check_point, check_positive_int, check_positive_real

__all__ = [
    "CurvatureEstimate",
    "NoiseEstimate",
    "default_direction",
    "ecnoise",
    "estimate_noise",
    "estimate_second_derivative",
    "noise_aware_error",
    "noise_aware_step",
]


@dataclass(frozen=True)
class CurvatureEstimate:
    """The result of :func:`estimate_second_derivative`.

    Attributes
    ----------
    value : float
        Estimated ``|f''|`` along the direction: from an accepted second difference, else the
        smallest value seen (an upper bound when the noise hid the curvature).
    h : float
        The step of the second difference that gave ``value``.
    accepted : bool
        True if a second difference passed Moré & Wild's tests (or two agreed within 50 %).
    nfev : int
        Evaluations of ``f`` used.
    """

    value: float
    h: float
    accepted: bool
    nfev: int


def estimate_second_derivative(
    f: Callable,
    x: Any,
    noise: float,
    *,
    direction: Any = None,
    scale: float | None = None,
    tau1: float = 100.0,
    tau2: float = 0.1,
    max_tries: int = 6,
) -> CurvatureEstimate:
    """Estimate ``|f''|`` along a direction when ``f`` has noise ``noise`` (Moré & Wild 2012).

    The second difference ``Delta(h) = f(x+hp) - 2 f(x) + f(x-hp)`` is accepted when it stands
    clear of the noise, ``|Delta| >= tau1 * noise``, and the step is still local,
    ``|f(x +- hp) - f(x)| <= tau2 * max(|f(x)|, |f(x +- hp)|)``. The first step is
    ``h_a = scale * noise^(1/4)``, the next ``h_b = (noise / mu_a)^(1/4)`` as in Algorithm 5.1;
    two consecutive estimates within 50 % of each other are also accepted. Beyond the paper, when
    the noise still dominates the step grows (at least 10x) and when the step is too large it
    shrinks (10x), up to ``max_tries`` second differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    x : array_like, shape (n,)
    noise : float
        Noise level ``eps_f`` (absolute), e.g. from :func:`estimate_noise`.
    direction : array_like, shape (n,), optional
        Unit direction (normalised here); default the first coordinate axis.
    scale : float, optional
        Length scale of ``x`` along ``p`` for the first step; default ``max(1, |x . p|)``.
    tau1, tau2 : float
        Moré & Wild's thresholds (100 and 0.1).
    max_tries : int, default 6

    Returns
    -------
    CurvatureEstimate

    Examples
    --------
    >>> from diffbench.problems import point_noise
    >>> f = lambda v: np.exp(v[0]) + 1e-6 * point_noise(v)
    >>> est = estimate_second_derivative(f, [0.5], 1e-6)
    >>> est.accepted, bool(abs(est.value / np.exp(0.5) - 1) < 0.1)
    (True, True)
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    x = check_point(x)
    noise = check_positive_real("noise", noise)
    p = np.eye(x.size)[0] if direction is None else _unit(direction, x.size)
    if scale is None:
        scale = max(1.0, abs(float(x @ p)))
    scale = check_positive_real("scale", scale)
    max_tries = check_positive_int("max_tries", max_tries)
    fun = CountedFunction(f, "estimate_second_derivative")  # counts nfev, names failing points
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f0 = _scalar(fun(x))
    h = scale * noise**0.25
    previous: float | None = None
    best = (math.inf, h)
    for _ in range(max_tries):
        xp, xm = x + h * p, x - h * p
        hp = float(np.linalg.norm(xp - x))  # the steps actually taken
        hm = float(np.linalg.norm(x - xm))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fp, fm = (_scalar(v) for v in fun.each((xp, xm)))
        # second difference on the represented, possibly unequal, steps
        delta = 2 * (hm * fp - (hp + hm) * f0 + hp * fm) / (hp + hm)
        h_eff = math.sqrt(hp * hm) if hp > 0 and hm > 0 else h
        mu = abs(delta) / h_eff**2 if h_eff > 0 else math.inf
        if not math.isfinite(mu):
            h /= 10
            continue
        if mu < best[0]:
            best = (mu, h_eff)
        clear = abs(delta) >= tau1 * noise
        local = max(abs(fp - f0), abs(fm - f0)) <= tau2 * max(abs(f0), abs(fp), abs(fm))
        if clear and local:
            return CurvatureEstimate(mu, h_eff, True, fun.nfev)
        if previous is not None and local and abs(previous - mu) <= mu / 2:
            return CurvatureEstimate(mu, h_eff, True, fun.nfev)
        previous = mu
        if not local:
            h /= 10
        elif mu > 0:
            h = max(10 * h, (noise / mu) ** 0.25, math.sqrt(tau1 * noise / mu))
        else:
            h *= 10
    return CurvatureEstimate(best[0], best[1], False, fun.nfev)


def noise_aware_step(noise: float, f2: float) -> float:
    """Forward-difference step minimising the mean squared error on a noisy function.

    ``h = 8^(1/4) sqrt(eps_f / |f''|) ≈ 1.68 sqrt(eps_f / |f''|)`` (Moré & Wild 2012; MINPACK-2's
    ``dnest`` uses 1.68).

    Parameters
    ----------
    noise : float
        Standard deviation ``eps_f`` of the noise, positive.
    f2 : float
        ``f''`` (or an estimate) along the step; non-zero.

    Examples
    --------
    >>> round(noise_aware_step(1e-8, 1.0) / 1e-4, 4)
    1.6818
    """
    noise = check_positive_real("noise", noise)
    mu = _check_curvature(f2)
    return 8**0.25 * math.sqrt(noise / mu)


def noise_aware_error(noise: float, f2: float) -> float:
    """Root-mean-square error of the forward difference at :func:`noise_aware_step`.

    ``2^(1/4) sqrt(|f''| eps_f)``: the smallest RMS error any forward-difference step reaches
    when ``f`` has independent noise of standard deviation ``eps_f`` at every point.

    Examples
    --------
    >>> round(noise_aware_error(1e-8, 1.0) / 1e-4, 4)
    1.1892
    """
    noise = check_positive_real("noise", noise)
    mu = _check_curvature(f2)
    return 2**0.25 * math.sqrt(mu * noise)


def _check_curvature(f2: Any) -> float:
    if isinstance(f2, bool) or not isinstance(f2, int | float | np.integer | np.floating):
        raise TypeError(f"`f2` must be a real number, got {type(f2).__name__}.")
    mu = abs(float(f2))
    if not math.isfinite(mu) or mu == 0:
        raise ValueError(
            f"`f2` must be finite and non-zero, got {f2}: with f'' = 0 the forward difference "
            "has no truncation error and the step should be as large as f allows."
        )
    return mu
