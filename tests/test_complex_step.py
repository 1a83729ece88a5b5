"""The complex step: ulp accuracy at every step 1e-8 ... 1e-300, clear errors, analyticity check."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy

from diffbench.problems import Problem
from methods import FunctionEvaluationError, as_vector_function, get_method
from methods.complex_step import ComplexArgumentError, check_analytic

EPS = np.finfo(float).eps
X, Y, Z = sympy.symbols("x y z", real=True)
POINTS = ((0.3, -1.2, 0.7), (0.7, 0.45, -2.1), (-0.9, 1.3, 1.1))

# Analytic functions whose float64 evaluation is accurate to about an ulp at POINTS, so the
# complex step (which differentiates the program) can reach 1-2 ulp of the exact derivative.
# (y*log(x + 2) is not among them: log near 1 amplifies the rounding of x + 2, and its complex
# step is 5 eps off at x = -0.9 - the program's error, not the method's.)
SMOOTH = {
    "exp-sin": sympy.exp(X) * sympy.sin(Y) + Z,
    "cubic": X**3 * Y - Z,
    "atan": Y * sympy.atan(X) + Z**2,
    "exp-product": sympy.exp(X * Y) * Z,
    "sqrt": sympy.sqrt(2 + X**2) + Y * Z,
    "cos-exp": sympy.cos(X) * sympy.exp(-Y) + Z,
}


def problem(name: str, expr: sympy.Expr, points=POINTS) -> Problem:
    return Problem(name, expr, (X, Y, Z), points, ((-5.0, 5.0),) * 3, frozenset({"smooth"}), name)


@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("vectorized", [False, True])
def test_two_ulp_at_every_step_from_1e_8_to_1e_300(name, vectorized):
    p = problem(name, SMOOTH[name])
    method = get_method("complex-step", vectorized=vectorized)
    for point in p.points:
        truth = p.exact_gradient(point)
        nonzero = truth != 0
        for k in range(8, 301):
            est = method.gradient(p.function, point, step=10.0**-k)
            rel = np.abs(est.value - truth)[nonzero] / np.abs(truth[nonzero])
            assert np.all(rel <= 2 * EPS), (name, point, k, rel / EPS)
            assert np.all(est.value[~nonzero] == 0.0)
            assert est.nfev == 4  # one per coordinate, and f(x) itself (as x + 0i)
            np.testing.assert_array_equal(est.step, 10.0**-k)


def test_default_step_is_1e_20_and_theoretical_step_is_the_largest_on_the_floor():
    method = get_method("complex-step")
    est = method.derivative(np.exp, 0.5)
    assert est.step == 1e-20
    assert abs(est.value - np.exp(0.5)) <= 2 * EPS * np.exp(0.5)
    # h^2/6 = eps at unit scale
    assert method.theoretical_step() == pytest.approx(np.sqrt(6 * EPS), rel=1e-12)
    assert method.smallest_useful_step == 1e-300


def test_step_is_absolute_and_works_at_large_x():
    # x + ih is exact at any |x|: the step lives in the imaginary part
    est = get_method("complex-step").derivative(lambda t: t**3, 1e8)
    assert abs(est.value - 3e16) <= 2 * EPS * 3e16


@pytest.mark.parametrize("step", [2e-308, 1e-310, 5e-324])
def test_subnormal_step_is_rejected(step):
    f = as_vector_function(np.exp)
    with pytest.raises(ValueError, match=r"`step` must be at least 2.225e-308 .*subnormal"):
        get_method("complex-step").gradient(f, [0.5], step=step)


def test_smallest_normal_step_is_accepted():
    tiny = np.finfo(float).tiny
    est = get_method("complex-step").gradient(as_vector_function(np.exp), [0.5], step=tiny)
    assert abs(est.value[0] - np.exp(0.5)) <= 2 * EPS * np.exp(0.5)


def test_vectorized_is_one_call_on_x_and_its_n_complex_steps():
    shapes = []

    def f(x):
        shapes.append((x.shape, x.dtype))
        return np.exp(x[:, 0]) * np.sin(x[:, 1]) + x[:, 2]

    est = get_method("complex-step", vectorized=True).gradient(f, [0.3, -1.2, 0.7])
    assert shapes == [((4, 3), np.dtype(complex))]  # x itself, then x + i h e_i
    assert est.nfev == 4
    np.testing.assert_allclose(
        est.value, [np.exp(0.3) * np.sin(-1.2), np.exp(0.3) * np.cos(-1.2), 1.0], rtol=4 * EPS
    )


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (math.exp, r"f raised TypeError at x=.*does not accept complex arguments"),
        (float, r"f raised TypeError at x=.*does not accept complex arguments"),
        (abs, r"f returned the real value .* for a complex argument.*does not accept complex"),
        (np.real, r"f returned the real value .*does not accept complex arguments"),
    ],
)
def test_function_refusing_complex_input_gives_a_clear_error(func, match):
    f = as_vector_function(func)
    with pytest.raises(ComplexArgumentError, match=match) as info:
        get_method("complex-step").gradient(f, [0.3])
    # both an evaluation failure and a type error
    assert isinstance(info.value, FunctionEvaluationError)
    assert isinstance(info.value, TypeError)


def test_casting_complex_to_real_inside_f_is_an_error_not_a_silent_zero():
    def f(x):
        out = np.zeros(1)
        out[0] = x[0]  # drops the imaginary part (ComplexWarning)
        return out[0] * x[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the error must not depend on the warning filters
        with pytest.raises(ComplexArgumentError, match="ComplexWarning.*does not accept complex"):
            get_method("complex-step").gradient(f, [0.3])


def test_wrong_output_shape_is_not_blamed_on_complex_input():
    with pytest.raises(FunctionEvaluationError, match="must return a scalar") as info:
        get_method("complex-step").gradient(lambda x: x * 2.0, [0.3, 0.4])
    assert not isinstance(info.value, ComplexArgumentError)


@pytest.mark.parametrize("vectorized", [False, True])
def test_nan_real_part_gives_nan_not_zero(vectorized):
    # Im(nan + 0j) is 0: the method must not turn a NaN value of f into a zero derivative
    def f(x):
        x = np.asarray(x)
        return np.where(x[..., 0].imag != 0, np.nan + 0j, np.exp(x[..., 0]) * x[..., 1])

    with pytest.warns(RuntimeWarning, match="f returned"):
        est = get_method("complex-step", vectorized=vectorized).gradient(f, [0.3, 2.0])
    assert np.isnan(est.value[0])
    assert est.value[1] == pytest.approx(np.exp(0.3), rel=4 * EPS)


def test_vectorized_setting_is_checked():
    with pytest.raises(TypeError, match="`vectorized` must be True or False"):
        get_method("complex-step", vectorized="yes")


# -- non-analyticity -------------------------------------------------------------------------


def test_x_abs_x_is_silently_wrong_and_check_analytic_detects_it():
    def f(t):
        return t * np.abs(t)

    # the method itself cannot tell: it returns 0.5 where the derivative 2|x| is 1.0
    assert get_method("complex-step").derivative(f, -0.5).value == pytest.approx(0.5, rel=1e-15)
    report = check_analytic(f, -0.5)
    assert not report.analytic
    assert report.accepts_complex
    assert report.flagged.tolist() == [True]
    assert report.complex_step[0, 0] == pytest.approx(0.5, rel=1e-15)
    assert report.real_difference[0] == pytest.approx(1.0, rel=1e-8)
    assert report.mismatch[0] > 0.4
    assert any("disagrees with the real central difference" in r for r in report.reasons)


def test_smooth_function_is_not_flagged():
    p = problem("exp-sin", SMOOTH["exp-sin"])
    for point in p.points:
        report = check_analytic(p.function, point)
        assert report.analytic, report.reasons
        assert report.reasons == ()
        assert report.steps == (1e-20, 1e-50, 1e-100)
        assert np.all(report.real_part_error <= 16 * EPS)
        assert np.all(report.step_spread <= 16 * EPS)
        np.testing.assert_array_equal(report.mismatch, 0.0)
        # the real differences it compared with are close to the truth
        np.testing.assert_allclose(report.real_difference, p.exact_gradient(point), rtol=1e-6)


def test_locally_analytic_branches_are_not_flagged():
    # sqrt(t^2) is -t near -0.5 on the principal branch: analytic there, and correct
    assert check_analytic(lambda t: t * np.sqrt(t * t), -0.5).analytic


def test_function_refusing_complex_input_is_reported_not_raised():
    report = check_analytic(lambda x: math.exp(x[0]) + x[1], [0.3, 0.1])
    assert not report.analytic and not report.accepts_complex
    assert report.flagged.tolist() == [True, True]
    assert "does not accept complex arguments" in report.reasons[0]


def test_underflowing_imaginary_part_breaks_step_invariance():
    # exp(x - 600) ~ 1e-261: times a step 1e-50 the imaginary part is subnormal, times 1e-100
    # it is zero. The default step 1e-20 is fine, but the check sees the steps disagree.
    f = as_vector_function(lambda t: np.exp(t - 600.0))
    est = get_method("complex-step").gradient(f, [0.3])
    assert est.value[0] == pytest.approx(np.exp(0.3 - 600.0), rel=4 * EPS)
    report = check_analytic(f, [0.3])
    assert not report.analytic
    assert report.step_spread[0] > 0.5
    assert any("varies" in r for r in report.reasons)


def test_program_cancellation_is_flagged():
    # (e^x - 1)/x at 1e-7 is analytic, but its program cancels: the complex step differentiates
    # the rounding (docs/theory.md#exact-methods-differentiate-the-program), and the check says so.
    report = check_analytic(lambda t: (np.exp(t) - 1) / t, 1e-7)
    assert not report.analytic
    assert abs(report.complex_step[0, 0] - 0.5) > 1e-3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"step": 0.0}, ValueError, "`step` must be positive"),
        ({"step": 1e-310}, ValueError, "`step` must be at least"),
        ({"rtol": -1.0}, ValueError, "`rtol` must be positive"),
        ({"step": "1e-20"}, TypeError, "`step` must be a real number"),
    ],
)
def test_check_analytic_validates_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        check_analytic(np.exp, 0.5, **kwargs)
