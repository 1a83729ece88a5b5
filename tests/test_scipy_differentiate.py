"""scipy.differentiate.derivative behind the interface: accuracy, nfev equal to SciPy's."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy

from diffbench.problems import Problem
from methods import as_vector_function, get_method
from methods import scipy_differentiate as adapter

pytest.importorskip("scipy.differentiate")
from scipy.differentiate import derivative  # noqa: E402

X, Y = sympy.symbols("x y", real=True)
POINTS = ((0.3, -1.2), (0.7, 0.45), (-0.9, 1.3), (1.1, -0.6))
SMOOTH = {
    "exp-sin": sympy.exp(X) * sympy.sin(Y),
    "atan": sympy.atan(X * Y),
    "runge-2d": 1 / (1 + X**2 + Y**2),
    "sqrt-cubic": sympy.sqrt(2 + X) * Y**3,
    "rational-cos": (X**3 - 2 * X * Y) / (3 + sympy.cos(X)),
    "gaussian": sympy.exp(-(X**2) - Y**2),
    "log-cos": sympy.log(1 + X**2) * sympy.cos(Y),
    "tanh": sympy.tanh(X - Y),
}


def test_accuracy_on_smooth_unit_scale_problems():
    # SciPy stops once its error estimate is below sqrt(eps) |df| (its default rtol): most
    # coordinates are then within 1e-12, the worst (exp(-x^2-y^2), tanh) within about 6e-11.
    method = get_method("scipy-derivative")
    rel = []
    for name, expr in SMOOTH.items():
        p = Problem(name, expr, (X, Y), POINTS, ((-3.0, 3.0),) * 2, frozenset({"smooth"}), name)
        for point in p.points:
            truth = p.exact_gradient(point)
            est = method.gradient(p.function, point)
            rel.extend(np.abs(est.value - truth) / np.abs(truth))
    assert np.median(rel) <= 1e-12
    assert np.max(rel) <= 1e-10


def scipy_per_coordinate(x0, **kwargs):
    """SciPy called as its users call it, one coordinate at a time, on exp(x) + sin(y) + y^3 z."""
    x, y, z = x0
    parts = [
        lambda t: np.exp(t) + np.sin(y) + y**3 * z,
        lambda t: np.exp(x) + np.sin(t) + t**3 * z,
        lambda t: np.exp(x) + np.sin(y) + y**3 * t,
    ]
    return [derivative(g, x0[i], **kwargs) for i, g in enumerate(parts)]


@pytest.mark.parametrize(
    "settings",
    [{}, {"order": 4}, {"order": 2, "maxiter": 4}, {"step_factor": 3.0, "initial_step": 0.2}],
)
def test_nfev_value_error_and_step_equal_scipys_own(settings):
    f = as_vector_function(lambda x, y, z: np.exp(x) + np.sin(y) + y**3 * z)
    x0 = np.array([0.3, -1.2, 0.7])
    est = get_method("scipy-derivative", **settings).gradient(f, x0)
    ref = scipy_per_coordinate(x0, **settings)
    # counted by CountedFunction, point by point; SciPy counts per element (its f(x) included)
    assert est.nfev == sum(int(r.nfev) for r in ref)
    # equal up to the rounding of SciPy's weighted sum, whose order depends on the batch size
    np.testing.assert_allclose(est.value, [float(r.df) for r in ref], rtol=1e-12)
    np.testing.assert_allclose(est.error_estimate, [float(r.error) for r in ref], atol=1e-12)
    h0 = settings.get("initial_step", 0.5)
    fac = settings.get("step_factor", 2.0)
    np.testing.assert_allclose(est.step, [h0 / fac ** (int(r.nit) - 1) for r in ref], rtol=1e-15)


def test_nfev_counts_every_point_evaluated():
    rows = []

    def f(x):
        rows.append(x.shape[0])
        return np.exp(x[:, 0]) * np.sin(x[:, 1])

    est = get_method("scipy-derivative").gradient(f, [0.3, -1.2])
    assert est.nfev == sum(rows)
    assert rows[0] == 2  # SciPy's initial f(x), once per coordinate
    # per coordinate: f(x), then 8 points (order 8) in the first iteration and 2 in each later
    # one; the reported step 0.5 / 2^(nit - 1) gives nit
    nit = 1 + np.log2(0.5 / est.step)
    np.testing.assert_array_equal(nit, np.round(nit))
    assert est.nfev == int(np.sum(1 + 8 + 2 * (nit - 1)))


def test_step_argument_replaces_initial_step_per_coordinate():
    f = as_vector_function(lambda x, y: np.exp(x) * np.sin(y))
    est = get_method("scipy-derivative").gradient(f, [0.3, -1.2], step=[0.25, 0.125])
    ref0 = derivative(lambda t: np.exp(t) * np.sin(-1.2), 0.3, initial_step=0.25)
    ref1 = derivative(lambda t: np.exp(0.3) * np.sin(t), -1.2, initial_step=0.125)
    assert est.nfev == int(ref0.nfev) + int(ref1.nfev)
    np.testing.assert_allclose(est.step, [0.25 / 2 ** (ref0.nit - 1), 0.125 / 2 ** (ref1.nit - 1)])


def test_unconverged_status_still_returns_value_with_its_error_estimate():
    # sin(40 x) with two iterations: SciPy stops at maxiter (status -2), far from converged
    ref = derivative(lambda t: np.sin(40 * t), 0.3, maxiter=2)
    assert int(ref.status) == -2
    est = get_method("scipy-derivative", maxiter=2).derivative(lambda t: np.sin(40 * t), 0.3)
    assert est.value == pytest.approx(float(ref.df), rel=1e-14)
    assert est.error_estimate == pytest.approx(float(ref.error), rel=1e-6)
    # the error estimate tells the value is poor
    assert est.error_estimate > 1e-3 * abs(est.value)


def test_nonfinite_value_gives_nan_as_scipy_does():
    with pytest.warns(RuntimeWarning, match="f returned nan"):
        est = get_method("scipy-derivative").derivative(np.log, 0.05)  # 0.05 - 0.5 < 0
    assert np.isnan(est.value)


def test_availability_checks_the_version(monkeypatch):
    cls = type(get_method("scipy-derivative"))
    assert cls.availability() == (True, "")
    monkeypatch.setattr(adapter, "_scipy_version", lambda: (1, 14))
    ok, reason = cls.availability()
    assert not ok
    assert "scipy >= 1.15" in reason and "1.14" in reason
    # a SciPy without scipy.differentiate: the call says why instead of a bare ImportError
    monkeypatch.setitem(sys.modules, "scipy.differentiate", None)
    with pytest.raises(RuntimeError, match="not available: needs scipy >= 1.15"):
        get_method("scipy-derivative").derivative(np.exp, 0.3)


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"order": 3}, ValueError, "`order` must be a positive even integer.*got 3"),
        ({"order": 0}, ValueError, "`order` must be an integer >= 1"),
        ({"order": 8.0}, TypeError, "`order` must be an integer"),
        ({"initial_step": 0.0}, ValueError, "`initial_step` must be positive"),
        ({"initial_step": float("inf")}, ValueError, "`initial_step` must be positive and finite"),
        ({"step_factor": 1.0}, ValueError, "`step_factor` must not be 1"),
        ({"step_factor": -2.0}, ValueError, "`step_factor` must be positive"),
        ({"maxiter": 0}, ValueError, "`maxiter` must be an integer >= 1"),
    ],
)
def test_bad_settings_raise(settings, error, match):
    with pytest.raises(error, match=match):
        get_method("scipy-derivative", **settings)
