"""ECnoise, the noise-aware second derivative and the Moré–Wild forward-difference step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffbench.noise import (
    ecnoise,
    estimate_noise,
    estimate_second_derivative,
    noise_aware_error,
    noise_aware_step,
)
from diffbench.problems import point_noise

POINTS = np.linspace(0.1, 2.0, 120)


def _noisy(level: float):
    # the battery's noise: deterministic per point (hash-seeded), standard normal times `level`
    return lambda v: float(np.sin(v[0]) * np.exp(v[0])) + level * point_noise(v)


# -- ECnoise on value tables ---------------------------------------------------------------------
def test_ecnoise_alternating_noise_has_the_exact_first_level() -> None:
    # values c + a(-1)^i: first differences are +-2a, so sigma_1 = sqrt(gamma_1 * 4a^2) = sqrt(2) a
    a = 1e-6
    noise, level, levels, info = ecnoise(1.0 + a * (-1.0) ** np.arange(9))
    assert (info, level) == ("noise detected", 1)
    assert noise == pytest.approx(math.sqrt(2) * a, rel=1e-9)
    # sigma_k = 2^k a sqrt((k!)^2 / (2k)!)
    expected = [
        2**k * a * math.sqrt(math.factorial(k) ** 2 / math.factorial(2 * k)) for k in (2, 3)
    ]
    assert levels[1:3] == pytest.approx(expected, rel=1e-9)


def test_ecnoise_gamma_makes_every_level_unbiased() -> None:
    # for i.i.d. noise of variance 1, E[sigma_k^2] = 1 at every order k (that is what gamma_k does)
    rng = np.random.default_rng(1)
    squares = np.array(
        [np.square(ecnoise(1.0 + 1e-3 * rng.standard_normal(9))[2]) for _ in range(3000)]
    )
    assert squares.mean(axis=0) / 1e-6 == pytest.approx(np.ones(8), rel=0.08)


def test_ecnoise_failure_modes() -> None:
    assert ecnoise(np.full(9, 2.0))[3] == "h too small"  # values do not change
    assert ecnoise(np.exp(np.arange(9.0)))[3] == "h too large"  # values change by more than 10 %
    smooth = 1.0 + 0.01 * np.arange(9.0) ** 2  # differences never change sign: no noise level
    assert ecnoise(smooth)[3] == "h too large"
    with pytest.raises(ValueError, match="at least 4"):
        ecnoise([1.0, 2.0, 3.0])


# -- estimate_noise ------------------------------------------------------------------------------
@pytest.mark.parametrize("level", [1e-4, 1e-8, 1e-11])
def test_estimate_is_within_a_factor_3_of_the_true_level(level: float) -> None:
    ratios = np.array([estimate_noise(_noisy(level), [x0]).noise / level for x0 in POINTS])
    # measured (4 runs combined, 120 points): 0.47-1.57 at 1e-4, 0.40-1.8 at 1e-8, 0.48-1.83 at
    # 1e-11; one run alone scatters 0.19-2.4
    assert np.all(np.isfinite(ratios))
    assert ratios.min() > 1 / 3 and ratios.max() < 3
    assert 0.8 < np.exp(np.mean(np.log(ratios))) < 1.25  # no bias


def test_a_single_run_scatters_more_than_four() -> None:
    single = np.array([estimate_noise(_noisy(1e-8), [x], samples=1).noise for x in POINTS]) / 1e-8
    four = np.array([estimate_noise(_noisy(1e-8), [x]).noise for x in POINTS]) / 1e-8
    assert np.std(np.log(four)) < 0.7 * np.std(np.log(single))


def test_noise_free_function_gives_rounding_level() -> None:
    eps = np.finfo(float).eps
    for x0 in (0.3, 1.7, 25.0):
        est = estimate_noise(lambda v: float(np.sin(v[0]) * np.exp(v[0])), [x0])
        assert est.detected
        # rounding of x and of each operation, amplified by the condition number |x f'/f|
        cond = 1 + abs(x0 * (1 + 1 / np.tan(x0)))
        assert eps / 100 < est.relative < 8 * eps * cond


def test_large_x_scales_the_spacing() -> None:
    est = estimate_noise(lambda v: float(np.log(v[0])), [1e10])
    assert est.detected and est.relative < 1e-15
    assert est.h == pytest.approx(1e4)  # 1e-6 of |x|


def test_h_too_small_and_too_large_are_reported() -> None:
    const = estimate_noise(lambda v: 3.0, [1.0], samples=1, max_tries=2)
    assert const.info == "h too small" and math.isnan(const.noise)
    assert [t[1] for t in const.tries] == ["h too small", "h too small"]
    assert const.tries[1][0] == pytest.approx(100 * const.tries[0][0])
    wild = estimate_noise(lambda v: float(np.exp(1e9 * v[0])), [1e-9], samples=1, max_tries=2)
    assert wild.info == "h too large"
    assert wild.tries[1][0] == pytest.approx(wild.tries[0][0] / 100)


def test_samples_outside_the_domain_shrink_the_spacing() -> None:
    est = estimate_noise(lambda v: float(np.sqrt(v[0])), [1e-6], samples=1)
    assert est.tries[0][1] == "h too large"  # sqrt of a negative sample
    assert est.detected


def test_estimate_noise_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="`m` must be an integer >= 3"):
        estimate_noise(np.sum, [1.0], m=2)
    with pytest.raises(ValueError, match="`h` must be positive"):
        estimate_noise(np.sum, [1.0], h=0.0)
    with pytest.raises(ValueError, match=r"`direction` must have shape \(2,\)"):
        estimate_noise(np.sum, [1.0, 2.0], direction=[1.0])
    with pytest.raises(ValueError, match="f\\(x\\) is not finite"):
        estimate_noise(lambda v: float(np.log(v[0])), [0.0])
    with pytest.raises(TypeError, match="`f` must be callable"):
        estimate_noise(3.0, [1.0])


# -- second derivative and the noise-aware step ---------------------------------------------------
@pytest.mark.parametrize("level", [1e-6, 1e-9])
def test_second_derivative_of_a_noisy_function(level: float) -> None:
    for x0 in (0.2, 1.0, 1.9):
        est = estimate_second_derivative(
            lambda v: float(np.exp(v[0])) + level * point_noise(v), [x0], level
        )
        assert est.accepted
        assert est.value / np.exp(x0) == pytest.approx(1.0, rel=0.05)


def test_second_derivative_of_a_linear_function_is_an_upper_bound() -> None:
    est = estimate_second_derivative(lambda v: 3 * v[0] + 1e-8 * point_noise(v), [0.5], 1e-8)
    assert not est.accepted
    assert est.value < 1e-6  # only noise: tiny, and flagged as not accepted


def test_noise_aware_step_and_error_values() -> None:
    assert noise_aware_step(1e-8, 2.0) == pytest.approx(8**0.25 * math.sqrt(0.5e-8), rel=1e-15)
    assert noise_aware_step(1e-8, -2.0) == noise_aware_step(1e-8, 2.0)
    assert noise_aware_error(1e-8, 2.0) == pytest.approx(2**0.25 * math.sqrt(2e-8), rel=1e-15)
    with pytest.raises(ValueError, match="`f2` must be finite and non-zero"):
        noise_aware_step(1e-8, 0.0)
    with pytest.raises(ValueError, match="`noise` must be positive"):
        noise_aware_error(-1.0, 1.0)
    with pytest.raises(TypeError, match="`f2` must be a real number"):
        noise_aware_step(1e-8, "1")


def test_forward_difference_at_the_estimated_step_is_near_the_more_wild_optimum() -> None:
    """RMS over many points: estimated eps_f and |f''| give an error within 3x of the optimum."""
    level = 1e-8
    errors, optimum = [], []
    for x0 in POINTS:
        f = _noisy(level)
        eps_f = estimate_noise(f, [x0]).noise
        mu = estimate_second_derivative(f, [x0], eps_f).value
        h = noise_aware_step(eps_f, mu)
        xp = x0 + h
        approx = (f([xp]) - f([x0])) / (xp - x0)
        exact = np.exp(x0) * (np.sin(x0) + np.cos(x0))
        errors.append(approx - exact)
        true_mu = abs(2 * np.exp(x0) * np.cos(x0))  # (e^x sin x)'' = 2 e^x cos x
        optimum.append(noise_aware_error(level, true_mu))
    rms = math.sqrt(np.mean(np.square(errors)))
    rms_opt = math.sqrt(np.mean(np.square(optimum)))
    # measured: ratio ~1.0 (the optimum is an expectation; the estimates hardly cost anything)
    assert rms < 3 * rms_opt
    assert rms > rms_opt / 3  # the test would notice a zero-noise bug too


def test_f_raising_is_named_with_the_point():
    from methods import FunctionEvaluationError

    def f(x):
        raise ZeroDivisionError("boom")

    with pytest.raises(FunctionEvaluationError, match=r"ECnoise: f raised ZeroDivisionError at x="):
        estimate_noise(f, [0.5])
    with pytest.raises(FunctionEvaluationError, match=r"f raised ZeroDivisionError at x=\[0\.5\]"):
        estimate_second_derivative(f, [0.5], 1e-8)
