"""numpy-gradient (grid form and point form) and the grid helpers of methods.grids."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from methods import SymbolicFunction, as_vector_function, get_method
from methods.grids import evaluate, nonuniform_axes, sample, tensor_points, uniform_axes
from methods.numpy_gradient import optimal_step

EPS = np.finfo(float).eps
RNG_SEED = 20240611


def method(**settings):
    return get_method("numpy-gradient", **settings)


# -- grid helpers ------------------------------------------------------------------------------
def test_uniform_axes_are_linspaces_per_axis():
    axes = uniform_axes([(0.0, 1.0), (-2.0, 3.0)], [5, 3])
    np.testing.assert_array_equal(axes[0], np.linspace(0.0, 1.0, 5))
    np.testing.assert_array_equal(axes[1], np.linspace(-2.0, 3.0, 3))
    assert [a.size for a in uniform_axes([(0, 1)] * 3, 4)] == [4, 4, 4]


@pytest.mark.parametrize("kind", ["chebyshev", "stretch"])
def test_nonuniform_axes_increase_strictly_hit_the_ends_and_are_not_uniform(kind):
    (axis,) = nonuniform_axes([(0.3, 1.2)], 17, kind=kind)
    assert axis[0] == 0.3 and axis[-1] == 1.2
    spacing = np.diff(axis)
    assert np.all(spacing > 0)
    assert spacing.max() / spacing.min() > 5  # genuinely non-uniform


def test_chebyshev_axes_are_gauss_lobatto_points():
    n = 9
    (axis,) = nonuniform_axes([(-1.0, 1.0)], n)
    k = np.arange(n)
    np.testing.assert_allclose(axis, -np.cos(np.pi * k / (n - 1)), rtol=0, atol=2 * EPS)


def test_stretch_spacing_grows_smoothly_towards_hi():
    spacing = np.diff(nonuniform_axes([(0.0, 1.0)], 33, kind="stretch")[0])
    assert np.all(np.diff(spacing) > 0)
    # spacing ratio end/start tends to e**2 (exponential stretch of rate 2)
    assert spacing[-1] / spacing[0] == pytest.approx(np.exp(2.0), rel=0.1)


def test_tensor_points_follow_mgrid_order():
    axes = [np.arange(2.0), np.arange(3.0), np.arange(4.0)]
    expected = np.mgrid[0:2, 0:3, 0:4].reshape(3, -1).T
    np.testing.assert_array_equal(tensor_points(axes), expected)
    assert tensor_points([[1.5]]).tolist() == [[1.5]]


def test_sample_vectorized_and_pointwise_agree_with_direct_evaluation():
    axes = [np.array([0.0, 0.5, 1.0]), np.array([-1.0, 2.0]), np.array([0.1, 0.2, 0.4, 0.8])]
    calls = []

    def func(x, y, z):
        calls.append(np.shape(x))
        return np.sin(x) * y + z**2

    f = as_vector_function(func)
    grid = np.meshgrid(*axes, indexing="ij")
    direct = func(*grid)
    calls.clear()
    vec = sample(f, axes)
    assert calls == [(24,)]  # one call on all points
    calls.clear()
    pointwise = sample(f, axes, vectorized=False)
    assert len(calls) == 24
    assert vec.shape == pointwise.shape == (3, 2, 4)
    np.testing.assert_array_equal(vec, direct)
    np.testing.assert_array_equal(pointwise, direct)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: uniform_axes([(0, 1)], 1), ValueError, "`size` must be an integer >= 2, got 1"),
        (lambda: uniform_axes([(0, 1)], 2.5), TypeError, "`size` must be an integer"),
        (lambda: uniform_axes([(0, 1), (0, 1)], [3, 1]), ValueError, r"`size\[1\]` must be"),
        (lambda: uniform_axes([(0, 1), (0, 1)], [3, 3, 3]), ValueError, "one per axis of `domain`"),
        (lambda: uniform_axes([(1, 1)], 3), ValueError, r"`domain` axis 0 must have lo < hi"),
        (
            lambda: uniform_axes([(0, 1), (2, -1)], 3),
            ValueError,
            "`domain` axis 1 must have lo < hi",
        ),
        (lambda: uniform_axes([(0, np.inf)], 3), ValueError, "`domain` axis 0 must be finite"),
        (lambda: uniform_axes([0, 1], 3), ValueError, r"`domain` must be a non-empty sequence"),
        (lambda: uniform_axes([], 3), ValueError, r"`domain` must be a non-empty sequence"),
        (lambda: uniform_axes([(1.0, 1.0 + 4 * EPS)], 50), ValueError, "too narrow for `size` 50"),
        (lambda: nonuniform_axes([(0, 1)], 5, kind="log"), ValueError, "`kind` must be one of"),
        (lambda: nonuniform_axes([(0, 1)], 1), ValueError, "`size` must be an integer >= 2"),
        (lambda: tensor_points([]), ValueError, "`axes` must contain at least one axis"),
        (lambda: tensor_points([[0.0], []]), ValueError, r"`axes\[1\]` must be a non-empty 1-D"),
        (lambda: tensor_points(np.arange(3.0)), TypeError, "`axes` must be a sequence of 1-D"),
        (lambda: sample(3, [[0.0]]), TypeError, "`f` must be callable"),
        (lambda: sample(lambda x: 1.0, [[0.0, 1.0]]), ValueError, r"shape \(m,\); got shape \(\)"),
        (lambda: evaluate(np.sum, np.zeros((2, 2)), vectorized=1), TypeError, "`vectorized`"),
    ],
)
def test_grid_helpers_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- grid form: exactly numpy.gradient ---------------------------------------------------------
def _random_values(shape):
    return np.random.default_rng(RNG_SEED).standard_normal(shape)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize(
    ("shape", "spacing"),
    [
        ((7,), ()),
        ((7,), (0.25,)),
        ((7,), (np.cumsum(np.arange(1.0, 8.0)),)),
        ((5, 6), (0.1,)),
        ((5, 6), (0.1, 3.0)),
        ((5, 6), (nonuniform_axes([(0, 1)], 5)[0], 0.5)),
        ((4, 5, 3), (0.3,)),
        ((4, 5, 3), (1.0, 2.0, 0.5)),
        ((4, 5, 3), tuple(nonuniform_axes([(0, 1), (-1, 2), (0, 4)], [4, 5, 3], kind="stretch"))),
    ],
)
def test_grid_form_is_numpy_gradient(shape, spacing, edge_order):
    values = _random_values(shape)
    got = method(edge_order=edge_order).grid_gradient(values, *spacing)
    expected = np.gradient(values, *spacing, edge_order=edge_order)
    expected = [expected] if len(shape) == 1 else expected
    assert isinstance(got, tuple) and len(got) == len(shape)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == shape
        np.testing.assert_array_equal(g, e)


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=8),
    coefs=st.tuples(*[st.floats(-3.0, 3.0)] * 3),
)
def test_edge_order_2_is_exact_for_quadratics_on_any_grid(gaps, coefs):
    # every formula numpy.gradient uses with edge_order=2 is exact for polynomials of degree 2
    x = np.concatenate([[0.0], np.cumsum(gaps)])
    a, b, c = coefs
    (g,) = method(edge_order=2).grid_gradient(a + b * x + c * x**2, x)
    np.testing.assert_allclose(g, b + 2 * c * x, rtol=0, atol=1e-11 * (1 + abs(b) + abs(c)))


# -- grid form: convergence orders -------------------------------------------------------------
DOMAIN = (0.3, 1.2)  # sin and its derivatives are all well away from 0 at both ends
SIZES = (11, 21, 41, 81, 161)


def _slope(spacing, error):
    return np.polyfit(np.log(spacing), np.log(error), 1)[0]


@pytest.mark.parametrize("kind", ["uniform", "chebyshev", "stretch"])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_convergence_orders_interior_2_edges_edge_order(kind, edge_order):
    rows = []
    for n in SIZES:
        if kind == "uniform":
            (x,) = uniform_axes([DOMAIN], n)
        else:
            (x,) = nonuniform_axes([DOMAIN], n, kind=kind)
        (g,) = method(edge_order=edge_order).grid_gradient(np.sin(x), x)
        err = np.abs(g - np.cos(x))
        dx = np.diff(x)
        rows.append((dx.max(), err[1:-1].max(), dx[0], err[0], dx[-1], err[-1]))
    h_in, e_in, h_lo, e_lo, h_hi, e_hi = np.array(rows).T
    # errors against the local grid spacing: the max spacing inside, the end spacing at each edge
    assert _slope(h_in, e_in) == pytest.approx(2.0, abs=0.3)
    assert _slope(h_lo, e_lo) == pytest.approx(edge_order, abs=0.3)
    assert _slope(h_hi, e_hi) == pytest.approx(edge_order, abs=0.3)


# -- point form --------------------------------------------------------------------------------
def _full_mgrid_gradient(f, x, h, offsets, edge_order):
    """numpy.gradient on the full tensor grid x + offsets*h (3**n points for the centre)."""
    axes = [xi + np.array(offsets, dtype=float) * hi for xi, hi in zip(x, h, strict=True)]
    values = sample(f, axes)
    grads = np.gradient(values, *h, edge_order=edge_order)
    at = (offsets.index(0),) * x.size
    return np.array([g[at] for g in grads])


FUNCS = {
    2: lambda a, b: np.exp(0.3 * a) * np.cos(b) + a**3 * b,
    3: lambda a, b, c: np.sin(a * b) + np.log1p(c**2) * a - b * c**3,
}


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize(
    ("settings", "offsets", "nfev"),
    [
        ({"position": "center"}, (-1, 0, 1), lambda n: 2 * n + 1),
        ({"position": "center", "edge_order": 2}, (-1, 0, 1), lambda n: 2 * n + 1),
        ({"position": "edge", "edge_order": 1}, (0, 1), lambda n: n + 1),
        ({"position": "edge", "edge_order": 2}, (0, 1, 2), lambda n: 2 * n + 1),
    ],
)
@pytest.mark.parametrize("step", [None, 1e-3])
def test_point_form_equals_full_mgrid_numpy_gradient(n, settings, offsets, nfev, step):
    f = as_vector_function(FUNCS[n])
    x = np.array([0.4, -1.3, 2.2][:n])
    est = method(**settings).gradient(f, x, step=step)
    assert est.nfev == nfev(n)
    full = _full_mgrid_gradient(f, x, est.step, offsets, settings.get("edge_order", 1))
    np.testing.assert_allclose(est.value, full, rtol=1e-15, atol=0)


def test_centre_point_form_does_not_depend_on_edge_order():
    # why variants() lists edge_order=1 only at the centre
    f = as_vector_function(FUNCS[3])
    x = [0.4, -1.3, 2.2]
    one = method(edge_order=1).gradient(f, x, step=1e-2)
    two = method(edge_order=2).gradient(f, x, step=1e-2)
    np.testing.assert_array_equal(one.value, two.value)
    assert one.method == "numpy-gradient(edge_order=1, position=center)"
    assert two.method == "numpy-gradient(edge_order=2, position=center)"


def test_vectorized_point_form_is_one_call_with_the_same_result():
    calls = []

    def func(a, b, c):
        calls.append(np.shape(a))
        return FUNCS[3](a, b, c)

    f = as_vector_function(func)
    x = [0.4, -1.3, 2.2]
    pointwise = method().gradient(f, x)
    assert len(calls) == 7
    calls.clear()
    vec = method(vectorized=True).gradient(f, x)
    assert calls == [(7,)]
    assert vec.nfev == pointwise.nfev == 7
    np.testing.assert_array_equal(vec.value, pointwise.value)


# -- default step and accuracy -----------------------------------------------------------------
def test_theoretical_steps_match_the_error_model():
    assert method().theoretical_step() == pytest.approx((3 * EPS) ** (1 / 3), rel=1e-12)
    assert method(edge_order=2).theoretical_step() == pytest.approx((3 * EPS) ** (1 / 3), rel=1e-12)
    assert method(position="edge").theoretical_step() == pytest.approx(2 * np.sqrt(EPS), rel=1e-12)
    assert method(position="edge", edge_order=2).theoretical_step() == pytest.approx(
        (6 * EPS) ** (1 / 3), rel=1e-12
    )
    assert optimal_step("central") == pytest.approx(8.73e-6, rel=1e-3)


@pytest.mark.parametrize(
    "settings", [{}, {"position": "edge"}, {"position": "edge", "edge_order": 2}]
)
def test_default_step_is_scaled_and_representable(settings):
    x = np.array([0.3, -7.1, 123.4])
    m = method(**settings)
    est = m.gradient(as_vector_function(FUNCS[3]), x)
    h0 = m.theoretical_step() * np.maximum(1.0, np.abs(x))
    np.testing.assert_array_equal(est.step, (x + h0) - x)
    np.testing.assert_array_equal((x + est.step) - x, est.step)
    np.testing.assert_allclose(est.step, h0, rtol=1e-9)


SX, SY, SZ = sympy.symbols("x y z")
SMOOTH = sympy.sin(SX) * sympy.exp(SY) + SX * SY * SZ + sympy.cos(SZ) ** 2


def _exact(expr, point):
    grads = [sympy.lambdify((SX, SY, SZ), sympy.diff(expr, s), "mpmath") for s in (SX, SY, SZ)]
    with mpmath.workdps(50):
        return np.array([float(g(*map(mpmath.mpf, point))) for g in grads])


@pytest.mark.parametrize(
    ("settings", "bound"),
    [
        # unit-scale theory (docs/theory.md#optimal-steps): central ~4e-11, forward ~3e-8,
        # one-sided 2nd order ~1e-10
        ({}, 1e-9),
        ({"position": "edge"}, 1e-6),
        ({"position": "edge", "edge_order": 2}, 1e-8),
    ],
)
@pytest.mark.parametrize("point", [(0.3, -0.7, 0.9), (0.8, 0.2, -0.4)])
def test_accuracy_at_default_step_on_a_smooth_unit_scale_function(settings, bound, point):
    est = method(**settings).gradient(SymbolicFunction(SMOOTH, (SX, SY, SZ)), point)
    truth = _exact(SMOOTH, point)
    assert np.max(np.abs(est.value - truth)) / np.max(np.abs(truth)) <= bound


def test_seed_example():
    f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    est = get_method("numpy-gradient").gradient(f, [0.3, -1.7, 2.9])
    np.testing.assert_allclose(est.value, [-1.7 * 2.9, 0.3 * 2.9, 0.3 * -1.7], rtol=1e-10)
    assert est.nfev == 7
    assert est.method == "numpy-gradient(edge_order=1, position=center)"


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "values", "spacing", "exc", "match"),
    [
        ({}, np.zeros(1), (), ValueError, r"`values` needs at least 2 points along every axis"),
        ({"edge_order": 2}, np.zeros((3, 2)), (), ValueError, r"`values` needs at least 3 points"),
        ({}, np.zeros((3, 4)), (0.1, 0.2, 0.3), ValueError, r"`spacing` must give nothing, one"),
        ({}, np.zeros(4), ([0.0, 1.0, 2.0],), ValueError, r"must have shape \(4,\)"),
        ({}, np.zeros(4), ([0.0, 1.0, 1.0, 2.0],), ValueError, "strictly increasing"),
        ({}, np.zeros(4), ([0.0, 2.0, 1.0, 3.0],), ValueError, "strictly increasing"),
        ({}, np.zeros(4), (0.0,), ValueError, "`spacing` for axis 0 must be positive"),
        ({}, np.zeros(()), (), ValueError, "`values` must have at least one axis"),
        ({}, np.array(["a", "b"]), (), TypeError, "`values` must be real numbers"),
    ],
)
def test_grid_form_rejects_bad_input(settings, values, spacing, exc, match):
    with pytest.raises(exc, match=match):
        method(**settings).grid_gradient(values, *spacing)


@pytest.mark.parametrize(
    ("settings", "exc", "match"),
    [
        ({"edge_order": 3}, ValueError, r"`edge_order` must be one of \[1, 2\], got 3"),
        ({"edge_order": 0}, ValueError, r"`edge_order` must be one of \[1, 2\], got 0"),
        ({"edge_order": True}, TypeError, "`edge_order` must be an integer"),
        ({"edge_order": 1.0}, TypeError, "`edge_order` must be an integer"),
        ({"position": "middle"}, ValueError, r"`position` must be one of \['center', 'edge'\]"),
        ({"vectorized": "yes"}, TypeError, "`vectorized` must be True or False"),
    ],
)
def test_bad_settings_are_rejected(settings, exc, match):
    with pytest.raises(exc, match=match):
        method(**settings)


def test_step_below_the_resolution_of_x_is_rejected():
    f = as_vector_function(FUNCS[2])
    with pytest.raises(ValueError, match=r"`step` .* vanishes at x\[\d\]=.*x \+ h == x"):
        method().gradient(f, [1e3, 0.5], step=1e-16)


def test_variants_and_description():
    cls = type(method())
    assert cls.family == "grid" and cls.kind == "grid" and cls.order == 2
    assert cls.variants() == [
        {"edge_order": 1, "position": "center"},
        {"edge_order": 1, "position": "edge"},
        {"edge_order": 2, "position": "edge"},
    ]
