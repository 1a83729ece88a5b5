"""The fast Hessian paths give the values of the slow ones.

* ``hyper-dual``: blocks of rows per evaluation (vector ``e1`` and ``e2`` parts) against the
  row-by-row seeding (``e1 = e_i``, one evaluation per row) and the exact Hessian;
* finite differences with ``vectorized=True``: the stencil points in batches against one call
  per point, bit for bit, with the same ``nfev``;
* what hyper-dual numbers refuse, they still refuse with a clear error.

No timing here: the speed is measured by ``benchmarks/kinds_ratios.py`` (README).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize
import sympy

from diffbench.truth import exact_hessian
from methods import get_method
from methods.batching import batch_budget
from methods.counting import FunctionEvaluationError
from methods.hyperdual_numbers import HyperDual, largest_value_size

EPS = float(np.finfo(float).eps)


def rosen(x):
    """``scipy.optimize.rosen``'s formula, for one point or a batch of rows."""
    return np.sum(100.0 * (x[..., 1:] - x[..., :-1] ** 2.0) ** 2.0 + (1 - x[..., :-1]) ** 2.0,
                  axis=-1)  # fmt: skip


def f_exp(x):
    return np.exp(x[..., 0] * x[..., 1]) + np.sum(np.exp(0.3 * x), axis=-1)


def f_sin(x):
    return np.sin(x[..., 0]) * np.cos(x[..., -1]) + np.sum(np.sin(x) ** 2, axis=-1)


def f_log(x):
    return np.log(1.0 + x[..., 0] ** 2 + x[..., 1] ** 2) + np.sum(np.log(2.5 + x), axis=-1)


def f_pow(x):
    return np.abs(x[..., 0] + 3.0) ** 2.5 + (2.0 + x[..., 1]) ** x[..., 2] + 3.0 ** x[..., -1]


def f_div(x):
    return x[..., 0] / (1.0 + x[..., 1] ** 2) + 1.0 / (4.0 + x[..., 2] * x[..., -1])


def f_asarray(x):
    x = np.asarray(x)
    return np.sum(x**2, axis=-1) + x[..., 0] * x[..., -1]


FUNCTIONS = [rosen, f_exp, f_sin, f_log, f_pow, f_div]
X = np.array([0.3, -0.7, 0.45, 1.1, -0.2])


def rows_hessian(f, x):
    """The row-by-row hyper-dual Hessian: evaluation i seeds e1 = e_i, e2 = the identity."""
    n = x.size
    rows = []
    for i in range(n):
        e1 = np.zeros((n, 1))
        e1[i, 0] = 1.0
        rows.append(f(HyperDual(x, e1, np.eye(n), np.zeros((n, 1, n)))).e12.reshape(n))
    return np.array(rows)


def close_to(a, b, rel=8 * EPS):
    scale = np.max(np.abs(b))
    np.testing.assert_allclose(a, b, rtol=0, atol=rel * scale)


@pytest.mark.parametrize("f", FUNCTIONS)
def test_hyper_dual_blocks_equal_the_row_by_row_values(f):
    est = get_method("hyper-dual").hessian(f, X)
    old = rows_hessian(f, X)
    close_to(est.value, old)
    close_to(est.value, np.triu(old) + np.triu(old, 1).T)  # the upper triangle, mirrored
    assert np.array_equal(est.value, est.value.T)
    assert est.nfev == 2  # row 0 alone, then the other rows in one evaluation


def test_hyper_dual_blocks_are_exact_against_sympy():
    s = sympy.symbols("x1:6", real=True)
    exprs = {
        rosen: sum(100 * (s[i + 1] - s[i] ** 2) ** 2 + (1 - s[i]) ** 2 for i in range(4)),
        f_div: s[0] / (1 + s[1] ** 2) + 1 / (4 + s[2] * s[4]),
        f_pow: (s[0] + 3) ** sympy.Rational(5, 2) + (2 + s[1]) ** s[2] + 3 ** s[4],
    }
    for f, expr in exprs.items():
        est = get_method("hyper-dual").hessian(f, X)
        close_to(est.value, exact_hessian(expr, s, X), rel=32 * EPS)


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_rosenbrock_at_several_sizes_against_scipy(n):
    x = np.linspace(-1.2, 1.1, n) if n > 1 else np.array([0.4])
    est = get_method("hyper-dual").hessian(rosen, x)
    assert est.nfev == min(n, 2)
    if n > 1:
        assert rosen(x) == scipy.optimize.rosen(x)
        close_to(est.value, scipy.optimize.rosen_hess(x))
    else:
        assert np.array_equal(est.value, [[0.0]])


def outer(x):
    """A function that forms an n x n intermediate."""
    return np.sum(x[:, None] * x[None, :] * np.sin(x)[None, :])


def test_blocks_follow_the_memory_budget_and_the_largest_intermediate():
    n = 6
    x = np.linspace(0.1, 0.9, n)
    # row 0 alone; rows of 8 * (largest value size) * (remaining columns) bytes per block
    with batch_budget(8 * n * (n - 1) * 2):
        small = get_method("hyper-dual").hessian(rosen, x)
        large = get_method("hyper-dual").hessian(outer, x)
    assert small.nfev == 3  # rows 1-2, then rows 3-5 (fewer columns remain)
    assert large.nfev == n  # n x n intermediates: one row per evaluation
    close_to(small.value, rows_hessian(rosen, x))
    close_to(large.value, rows_hessian(outer, x))
    assert np.array_equal(large.value, get_method("hyper-dual").hessian(outer, x).value)
    seed = HyperDual(x, np.eye(n), np.eye(n), np.zeros((n, n, n)))
    with largest_value_size() as largest:
        outer(seed)
    assert largest[0] == n * n


def test_constants_cost_no_memory_in_the_parts():
    n = 4
    x = HyperDual(np.ones(n), np.eye(n), np.eye(n), np.broadcast_to(0.0, (n, n, n)))
    y = 3.0 - 2.0 * x  # linear: the second-order part stays a free zero
    assert y.e12.shape == (n, n, n) and y.e12.strides == (0, 0, 0)
    assert np.array_equal(y.e1, -2.0 * np.eye(n))
    z = (y * y)[1:]
    assert z.e12.shape == (n - 1, n, n) and np.array_equal(
        z.e12[0], 8.0 * np.outer(*[np.eye(n)[1]] * 2)
    )
    c = HyperDual.constant(np.zeros(3), 2, 5)
    assert c.e12.strides == (0, 0, 0) and float(c[0]) == 0.0


@pytest.mark.parametrize(
    "op",
    [
        np.floor,
        np.cumsum,
        lambda h: np.fmod(h, 2.0),
        lambda h: h // 2,
        lambda h: np.add.reduce(h),
        lambda h: np.sin(h, dtype=float),
        lambda h: np.sort(h),
    ],
)
def test_unsupported_operations_still_raise_clear_errors(op):
    with pytest.raises(FunctionEvaluationError, match="hyper-dual numbers do not support"):
        get_method("hyper-dual").hessian(lambda x: np.sum(op(x)), X)


@pytest.mark.parametrize(
    "f",
    [
        f_asarray,  # starts with x = np.asarray(x): the derivative parts would be dropped
        lambda x: np.sum(np.asarray(x, dtype=float)),
        lambda x: float(x[0]) + x[1],
        lambda x: x[0].astype(float) + x[1],
        scipy.optimize.rosen,  # converts its argument to an array first, too
    ],
)
def test_conversions_that_drop_derivatives_are_refused(f):
    with pytest.raises(FunctionEvaluationError, match=r"would silently drop|float\(\)"):
        get_method("hyper-dual").hessian(f, X)


# -- finite differences: vectorized against one call per point -----------------------------------
SCHEMES = [
    ("central", 2),
    ("central", 4),
    ("forward", 1),
    ("forward", 3),
    ("backward", 2),
]


class Batches:
    """A vectorized ``f`` that records the shapes it is called with."""

    def __init__(self, f):
        self.f, self.shapes = f, []

    def __call__(self, x):
        self.shapes.append(np.shape(x))
        return self.f(x)


@pytest.mark.parametrize(("scheme", "order"), SCHEMES)
@pytest.mark.parametrize("f", [*FUNCTIONS, f_asarray])
def test_vectorized_fd_hessian_is_the_loop_bit_for_bit(scheme, order, f):
    # the a-priori step (one Hessian); the default step's search: each Hessian in one call
    for rule in ("relative", "guarded"):
        loop = get_method(scheme, order=order, step_rule=rule).hessian(f, X)
        batched = Batches(f)
        vec = get_method(scheme, order=order, step_rule=rule, vectorized=True).hessian(batched, X)
        assert np.array_equal(vec.value, loop.value) and vec.nfev == loop.nfev
        assert np.array_equal(vec.step, loop.step)
        if rule == "relative":
            assert batched.shapes == [(loop.nfev, X.size)]  # every point in one call, here
        else:
            assert sum(s[0] for s in batched.shapes) == loop.nfev


@pytest.mark.parametrize("n", [1, 2, 10])
def test_vectorized_fd_hessian_in_chunks_and_with_given_steps(n):
    x = np.linspace(-1.2, 1.0, n) if n > 1 else np.array([0.7])
    for scheme, order in SCHEMES:
        loop = get_method(scheme, order=order).hessian(rosen, x, step=1e-3)
        batched = Batches(rosen)
        with batch_budget(8 * n * 7):  # at most 7 points per call
            vec = get_method(scheme, order=order, vectorized=True).hessian(batched, x, step=1e-3)
        assert np.array_equal(vec.value, loop.value) and vec.nfev == loop.nfev
        assert sum(s[0] for s in batched.shapes) == loop.nfev
        assert max(s[0] for s in batched.shapes) <= 7
    # the a-priori step: one Hessian's points (the default also searches its step)
    central = get_method("central", step_rule="relative", vectorized=True).hessian(rosen, x)
    assert central.nfev == 1 + 2 * n + 4 * n * (n - 1) // 2  # as the loop counts it
    truth = scipy.optimize.rosen_hess(x) if n > 1 else np.zeros((1, 1))
    close_to(central.value, truth, rel=1e-6) if n > 1 else close_to(central.value, truth)


def test_vectorized_fd_hessian_keeps_non_finite_values_as_nan():
    def f(x):
        return np.log(x[..., 0]) + x[..., 1] ** 2

    x = np.array([1e-9, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop = get_method("central").hessian(f, x, step=1e-3)
        vec = get_method("central", vectorized=True).hessian(f, x, step=1e-3)
    assert np.isnan(loop.value[0, 0])
    assert np.array_equal(vec.value, loop.value, equal_nan=True) and vec.nfev == loop.nfev


def test_the_ratio_benchmark_measures_what_it_reports():
    from benchmarks import bench_kinds
    from benchmarks.kinds_ratios import (
        fd_hessian_comparison,
        hessian_comparison,
        jacobian_comparison,
    )

    fd = fd_hessian_comparison(2, repeat=1)
    assert fd["identical"] and fd["loop_nfev"] == fd["vectorized_nfev"] == 1 + 4 + 4
    j = jacobian_comparison(10, repeat=1)
    assert (j["scipy_dense_nfev"], j["identical"], j["scipy_identical"]) == (11, True, True)
    assert j["scipy_sparse_nfev"] < 11 and j["scipy_sparse_error"] < 1e-6  # its own colouring
    h = hessian_comparison(2, repeat=1)
    assert h["hyperdual_error"] < 1e-15 and h["hyperdual_nfev"] == 2
    for peer in ("autograd", "jax", "jax_jit"):  # NaN when the peer is not installed
        assert np.isnan(h[f"{peer}_seconds"]) or h[f"{peer}_error"] < 1e-15
    r = {"hessian": h, "hessian100": h, "fd10": fd, "fd100": fd, "jacobian": j}
    ratios = bench_kinds.KindRatios()
    tracks = [name for name in dir(ratios) if name.startswith("track_")]
    assert len(tracks) == 12
    for name in tracks:
        value = getattr(ratios, name)(r)
        assert isinstance(value, float | int) and (value > 0 or np.isnan(value))
