"""Grid methods beyond gradients: k-th derivatives along an axis, mixed partials and Hessians
(grid form and point form), their observed orders against theory, and the kinds sweep's grid
rows (methods/grid_kinds.py, diffbench/measure_kind_grids.py, diffbench/analysis_kind_grids.py)."""

from __future__ import annotations

import numpy as np
import pytest

import diffbench
from diffbench.analysis_curves import convergence_order
from diffbench.analysis_kind_grids import kind_grid_orders
from diffbench.battery_kinds import get_kind_problem
from diffbench.measure_kind_grids import band_mask, measure_kind_grid, sample_kind_grid
from methods import get_method

SIZES = np.array([33, 65, 129, 257])


def _interior_error(method, deriv, f, exact, lo=0.0, hi=2.0, sizes=SIZES):
    """Max error of the k-th derivative over nodes at least 1/8 of the domain from its ends."""
    errors = []
    for n in sizes:
        x = np.linspace(lo, hi, n)
        d = method.grid_derivative(f(x), x[1] - x[0], deriv=deriv)
        keep = (x > lo + (hi - lo) / 8) & (x < hi - (hi - lo) / 8)
        errors.append(np.max(np.abs(d - exact(x))[keep]))
    return np.array(errors)


SIN_DERIVS = {1: np.cos, 2: lambda x: -np.sin(x), 3: lambda x: -np.cos(x), 4: np.sin}


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_numpy_gradient_k_times_interior_order_two(k, edge_order):
    m = get_method("numpy-gradient", edge_order=edge_order)
    e = _interior_error(m, k, np.sin, SIN_DERIVS[k])
    assert convergence_order(SIZES - 1, e) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("acc", [2, 4])
def test_findiff_power_k_order_is_acc(k, acc):
    sizes = SIZES if acc == 2 else np.array([10, 17, 33, 65])  # acc 4 meets rounding sooner
    e = _interior_error(get_method("findiff", acc=acc), k, np.sin, SIN_DERIVS[k], sizes=sizes)
    assert convergence_order(sizes - 1, e) == pytest.approx(acc, abs=0.25)


def test_k_fold_numpy_gradient_is_nested_numpy_gradient_and_exact_on_quadratics():
    x = np.linspace(-1.0, 2.0, 11)
    y = 3 * x**2 - x + 0.5
    m = get_method("numpy-gradient", edge_order=2)
    d2 = m.grid_derivative(y, x, deriv=2)
    expect = np.gradient(np.gradient(y, x, edge_order=2), x, edge_order=2)
    assert np.array_equal(d2, expect)
    np.testing.assert_allclose(d2, 6.0, rtol=1e-12)  # second order: exact on a quadratic
    cubic = get_method("findiff", acc=2).grid_derivative(x**3, x[1] - x[0], deriv=3)
    np.testing.assert_allclose(cubic, 6.0, rtol=1e-9)


def test_numpy_gradient_twice_with_edge_order_1_halves_f2_at_the_edge():
    # gradient(gradient(y)) at node 0 is (y2 - 2 y1 + y0) / (2 h^2): half the second derivative
    x = np.linspace(0.0, 1.0, 101)
    d2 = get_method("numpy-gradient").grid_derivative(x**2, x[1] - x[0], deriv=2)
    assert d2[0] == pytest.approx(1.0, rel=1e-9)
    assert d2[50] == pytest.approx(2.0, rel=1e-9)


@pytest.mark.parametrize(("name", "settings"), [("numpy-gradient", {"edge_order": 2}),
                                                ("findiff", {"acc": 4})])  # fmt: skip
def test_mixed_partials_and_symmetric_hessian_on_a_2d_grid(name, settings):
    x = np.linspace(0.0, 1.0, 41)
    y = np.linspace(-1.0, 1.0, 61)
    X, Y = np.meshgrid(x, y, indexing="ij")
    values = np.sin(X) * np.exp(Y)
    H = get_method(name, **settings).grid_hessian(values, x, y)
    assert H.shape == (2, 2, 41, 61)
    assert np.array_equal(H[0, 1], H[1, 0])
    inner = (slice(4, -4), slice(4, -4))
    np.testing.assert_allclose(H[0, 1][inner], (np.cos(X) * np.exp(Y))[inner], atol=2e-3)
    np.testing.assert_allclose(H[0, 0][inner], (-np.sin(X) * np.exp(Y))[inner], atol=2e-3)
    np.testing.assert_allclose(H[1, 1][inner], values[inner], atol=2e-3)


def test_mixed_partial_order_two_for_nested_numpy_gradient():
    errors = []
    for n in SIZES:
        x = np.linspace(0.0, 1.0, n)
        X, Y = np.meshgrid(x, x, indexing="ij")
        H = get_method("numpy-gradient").grid_hessian(np.sin(X + 2 * Y), x[1] - x[0])
        errors.append(np.max(np.abs(H[0, 1] + 2 * np.sin(X + 2 * Y))[4:-4, 4:-4]))
    assert convergence_order(SIZES - 1, np.array(errors)) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(("name", "settings"), [
    ("numpy-gradient", {}), ("numpy-gradient", {"edge_order": 2, "position": "edge"}),
    ("findiff", {"acc": 2}), ("findiff", {"acc": 6})])  # fmt: skip
def test_point_forms_of_derivative_and_hessian(name, settings):
    m = get_method(name, **settings)
    assert {"hessian", "derivative"} <= m.derivative_kinds and m.max_deriv == 4
    est = m.derivative(np.exp, 0.5, deriv=2)
    assert est.value == pytest.approx(np.exp(0.5), rel=1e-3) and est.nfev >= 3
    H = m.hessian(lambda v: v[0] ** 2 * np.exp(v[1]), [1.5, 0.0])
    np.testing.assert_allclose(H.value, [[2.0, 3.0], [3.0, 2.25]], rtol=1e-3)
    assert np.array_equal(H.value, H.value.T)


def test_findiff_min_points_match_findiff():
    from findiff import Diff

    for acc in (2, 4, 6, 8):
        m = get_method("findiff", acc=acc)
        for k in (1, 2, 3, 4):
            need = m._kind_min_points(k)
            x = np.linspace(0.0, 1.0, need)
            assert np.all(np.isfinite(m.grid_derivative(np.sin(x), x[1] - x[0], deriv=k)))
            with pytest.raises(ValueError, match="`values` needs at least"):
                m.grid_derivative(np.zeros(need - 1), 0.1, deriv=k)
            short = np.linspace(0.0, 1.0, need - 1)
            diff = Diff(0, short[1] - short[0], acc=acc)
            with pytest.raises(Exception):  # noqa: B017 - findiff's own error for a short array
                (diff**k if k > 1 else diff)(np.sin(short))


def test_bad_input_names_the_parameter():
    m = get_method("numpy-gradient")
    with pytest.raises(NotImplementedError, match=r"up to order 4, got `deriv`=5"):
        m.grid_derivative(np.zeros(10), 0.1, deriv=5)
    with pytest.raises(ValueError, match="`deriv`"):
        m.grid_derivative(np.zeros(10), 0.1, deriv=0)
    with pytest.raises(ValueError, match="`axis`"):
        m.grid_derivative(np.zeros((4, 4)), 0.1, axis=2, deriv=2)
    with pytest.raises(TypeError, match="`values`"):
        m.grid_hessian(np.array(["a", "b", "c"]))
    with pytest.raises(NotImplementedError, match="'findiff' .* got `deriv`=5"):
        get_method("findiff").derivative(np.sin, 0.1, deriv=5)
    with pytest.raises(NotImplementedError, match="cannot compute a jacobian"):
        get_method("findiff").jacobian(lambda v: v, [0.1, 0.2])
    with pytest.raises(ValueError, match="`derivative_kind`"):
        measure_kind_grid(m, sample_kind_grid(get_kind_problem("seed-square-d2"), 8), "jacobian")
    with pytest.raises(ValueError, match="`problem`"):
        sample_kind_grid(get_kind_problem("robertson"), 8)


def test_band_mask_and_edge_width():
    assert band_mask((7,), 3).tolist() == [True] * 3 + [False] + [True] * 3
    m = get_method("numpy-gradient")
    assert (m.edge_width(), m.edge_width("derivative", 3), m.edge_width("hessian")) == (1, 3, 2)
    assert get_method("findiff", acc=4).edge_width("derivative", 3) == 3


def test_measure_kind_grid_regions_against_exact_truth():
    s = sample_kind_grid(get_kind_problem("sin-exp-log-d3"), 256)
    assert s.nfev == 256 and s.exact.shape == (256, 1)
    out = measure_kind_grid(get_method("findiff", acc=4), s, "derivative", 3)
    assert out["interior"].ok and out["edge"].ok
    assert out["interior"].rel_error < out["edge"].rel_error < 1e-2
    h = measure_kind_grid(
        get_method("numpy-gradient"),
        sample_kind_grid(get_kind_problem("near-singular"), 9),
        "hessian",
    )
    assert h["interior"].ok and h["interior"].asymmetry == 0.0


def test_small_kinds_sweep_has_grid_rows_with_finite_errors_and_orders():
    df = diffbench.sweep(["numpy-gradient", "findiff"], ["cos-zero-d2", "near-singular"],
                         steps=[1e-3], grid_sizes={1: [16, 32, 64, 128], 2: [9, 17, 33]},
                         cost=False, kinds="derivative,hessian")  # fmt: skip
    grid = df[df["form"] == "grid"]
    assert set(grid["derivative_kind"]) == {"derivative", "hessian"}
    assert set(grid["region"]) == {"interior", "edge"}
    ok = grid[(grid["status"] == "ok") & (grid["region"] == "interior")]
    assert len(ok) >= 12 and np.isfinite(ok["rel_error"]).all()
    assert df["key"].is_unique
    orders = kind_grid_orders(df[df["derivative_kind"] == "derivative"])
    np_int = orders[(orders["label"] == "numpy-gradient(edge_order=1)")
                    & (orders["region"] == "interior")]  # fmt: skip
    assert np_int["observed"].iloc[0] == pytest.approx(2.0, abs=0.15)
    assert (np_int["theory"] == 2.0).all()
