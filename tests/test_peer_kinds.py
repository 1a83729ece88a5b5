"""Jacobians, Hessians and k-th derivatives of the peers (numdifftools, SciPy, JAX, autograd,
PyTensor, SymPy) against exact truth, with the shapes, nfev and refusals of every other kind."""

import numpy as np
import pytest
import sympy

import methods
from diffbench.battery_kinds import bratu, get_kind_problem
from diffbench.configs import cannot_apply, computes, resolve_methods
from diffbench.truth import exact_derivative, exact_hessian, exact_jacobian
from methods import SymbolicFunction, as_vector_function, get_method

A, B, C = sympy.symbols("a b c", real=True)
T = sympy.Symbol("t", real=True)
#: a map R^3 -> R^4 with a constant component and a zero column-entry pattern
MAP = (sympy.sin(A) * sympy.exp(B), A**2 * C + sympy.cos(B), A * B * C, sympy.Integer(3))
MAP_X = np.array([0.7, -0.4, 1.3])
#: a scalar function of three variables with every second derivative non-zero
SCALAR = A**2 * sympy.exp(B) + sympy.sin(A * C) + B * C**3
SCALAR_X = np.array([0.6, 0.2, -0.9])
ONE_D = sympy.exp(2 * T) * sympy.sin(T)
ONE_D_X = 0.4

#: AD and symbolic peers (every kind from the expression): (name, settings, module)
EXPRESSION_PEERS = [
    ("sympy", {}, "sympy"),
    ("jax", {"jit": True}, "jax"),
    ("jax", {"jit": False}, "jax"),
    ("jax-jacfwd", {"jit": True}, "jax"),
    ("jax-jacfwd", {"jit": False}, "jax"),
    ("autograd", {}, "autograd"),
    ("pytensor", {}, "pytensor"),
]
#: relative error of an AD or symbolic result: float64 rounding of the program
ROUNDING = 1e-13


def _peer(name, settings, module):
    pytest.importorskip(module)
    return get_method(name, **settings)


def _rel(value, truth):
    value, truth = np.asarray(value, dtype=float), np.asarray(truth, dtype=float)
    return float(np.max(np.abs(value - truth)) / max(np.max(np.abs(truth)), 1e-300))


class Counting:
    """``f`` that counts its own calls, to check that ``nfev`` is every call of the library."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def _numpy_map(x):
    a, b, c = x[0], x[1], x[2]
    return np.array([np.sin(a) * np.exp(b), a**2 * c + np.cos(b), a * b * c, 3.0 + 0 * a])


_numpy_scalar = as_vector_function(lambda a, b, c: a**2 * np.exp(b) + np.sin(a * c) + b * c**3)


def _numpy_one_d(t):
    return np.exp(2 * t) * np.sin(t)


# ------------------------------------------------------------------------------------------------
# AD and symbolic peers: exact up to rounding, f never called
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
def test_expression_peer_jacobian_to_rounding(name, settings, module):
    method = _peer(name, settings, module)
    est = method.jacobian(SymbolicFunction(MAP, (A, B, C)), MAP_X)
    truth = exact_jacobian(MAP, (A, B, C), MAP_X)
    assert est.value.shape == (4, 3) and est.nfev == 0 and est.step is None
    assert _rel(est.value, truth) < ROUNDING
    assert np.all(est.value[3] == 0.0)  # the constant component


@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
def test_expression_peer_hessian_to_rounding(name, settings, module):
    method = _peer(name, settings, module)
    est = method.hessian(SymbolicFunction(SCALAR, (A, B, C)), SCALAR_X)
    truth = exact_hessian(SCALAR, (A, B, C), SCALAR_X)
    assert est.value.shape == (3, 3) and est.nfev == 0
    assert _rel(est.value, truth) < ROUNDING


@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_expression_peer_kth_derivative_to_rounding(name, settings, module, k):
    method = _peer(name, settings, module)
    est = method.derivative(SymbolicFunction(ONE_D, (T,)), ONE_D_X, deriv=k)
    truth = exact_derivative(ONE_D, T, ONE_D_X, k)
    assert isinstance(est.value, float) and est.nfev == 0
    assert abs(est.value - truth) / abs(truth) < ROUNDING


@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
def test_expression_peer_kinds_on_battery_problems(name, settings, module):
    """The sweep's functions carry their expressions: every kind problem is exact."""
    method = _peer(name, settings, module)
    for problem, kind in (("robertson", "jacobian"), ("rosenbrock-hessian-10", "hessian")):
        p = get_kind_problem(problem)
        x = np.asarray(p.points[1])
        est = getattr(method, kind)(p.function(), x)
        assert est.nfev == 0 and _rel(est.value, p.truth(x)) < ROUNDING
    p = get_kind_problem("runge-d3")
    est = method.derivative(p.function(), p.points[0][0], deriv=3)
    assert abs(est.value - p.truth(p.points[0])) / abs(p.truth(p.points[0])) < 1e-12


@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
def test_expression_peer_jacobian_with_sparsity_keeps_the_pattern(name, settings, module):
    method = _peer(name, settings, module)
    p = bratu(4)
    x = np.asarray(p.points[0])
    est = method.jacobian(p.function(), x, sparsity=p.sparsity())
    assert est.value.nnz == p.sparsity().nnz == 10
    assert _rel(est.value.toarray(), p.truth(x)) < ROUNDING


@pytest.mark.parametrize(("name", "settings", "module"), EXPRESSION_PEERS)
def test_expression_peer_kinds_need_the_right_expression(name, settings, module):
    method = _peer(name, settings, module)
    vector = SymbolicFunction(MAP, (A, B, C))
    with pytest.raises(ValueError, match="a hessian needs f: R\\^n -> R with one expression"):
        method.hessian(vector, MAP_X)
    with pytest.raises(ValueError, match="a gradient needs f: R\\^n -> R"):
        method.gradient(vector, MAP_X)
    with pytest.raises(ValueError, match="`x` has 2 coordinates but the expression has 3"):
        method.jacobian(vector, [1.0, 2.0])
    if name != "autograd":  # autograd traces plain callables
        with pytest.raises(TypeError, match="needs a function built from a SymPy expression"):
            method.hessian(_numpy_scalar, SCALAR_X)


def test_jax_hessians_are_forward_over_reverse_and_forward_over_forward():
    pytest.importorskip("jax")
    f = SymbolicFunction(SCALAR, (A, B, C))
    truth = exact_hessian(SCALAR, (A, B, C), SCALAR_X)
    rev = get_method("jax").hessian(f, SCALAR_X).value
    fwd = get_method("jax-jacfwd").hessian(f, SCALAR_X).value
    assert _rel(rev, truth) < ROUNDING and _rel(fwd, truth) < ROUNDING


def test_autograd_traces_plain_callables_once():
    pytest.importorskip("autograd")
    import autograd.numpy as anp

    method = get_method("autograd")

    def vector(x):
        return anp.array([anp.sin(x[0]) * anp.exp(x[1]), x[0] ** 2 * x[2] + anp.cos(x[1]),
                          x[0] * x[1] * x[2]])  # fmt: skip

    jac = method.jacobian(vector, MAP_X)
    assert jac.nfev == 1 and _rel(jac.value, exact_jacobian(MAP[:3], (A, B, C), MAP_X)) < ROUNDING
    hess = method.hessian(
        lambda x: x[0] ** 2 * anp.exp(x[1]) + anp.sin(x[0] * x[2]) + x[1] * x[2] ** 3, SCALAR_X
    )
    assert hess.nfev == 1 and _rel(hess.value, exact_hessian(SCALAR, (A, B, C), SCALAR_X)) < 1e-13
    third = method.derivative(lambda t: anp.exp(2 * t) * anp.sin(t), ONE_D_X, deriv=3)
    truth = exact_derivative(ONE_D, T, ONE_D_X, 3)
    assert third.nfev == 1 and abs(third.value - truth) / abs(truth) < ROUNDING


# ------------------------------------------------------------------------------------------------
# finite-difference peers: within the library's accuracy, nfev = every call of f
# ------------------------------------------------------------------------------------------------
#: (name, settings, module, Jacobian band, Hessian band, derivative bands by k): numdifftools'
#: central scheme extrapolates to ~1e-13 on first and ~1e-11 on second derivatives (its error
#: estimates here: 1e-14 to 1e-11), losing about 1.5 digits per further order; its complex
#: Hessian and higher derivatives are O(h^2)/O(h^4) in a step chosen for rounding (its error
#: estimates: 6e-3); SciPy stops at rtol = sqrt(eps) ~ 1.5e-8 per entry (a zero entry stops at
#: maxiter near 1e-13 absolute); approx_fprime is a forward difference with h = sqrt(eps).
FD_PEERS = [
    ("numdifftools", {}, "numdifftools", 1e-11, 1e-9, {2: 1e-9, 3: 1e-8, 4: 1e-7}),
    ("numdifftools-complex", {}, "numdifftools", 1e-13, 1e-6, {2: 1e-12, 3: 1e-7, 4: 1e-6}),
    ("scipy-derivative", {}, "scipy", 1e-7, 1e-7, {}),
    ("scipy-derivative", {"order": 2}, "scipy", 1e-7, 1e-6, {}),
    ("approx-fprime", {}, "scipy", 1e-6, None, {}),
]


@pytest.mark.parametrize(("name", "settings", "module", "band", "_h", "_d"), FD_PEERS)
def test_fd_peer_jacobian_within_its_accuracy(name, settings, module, band, _h, _d):
    method = _peer(name, settings, module)
    f = Counting(_numpy_map)
    est = method.jacobian(f, MAP_X)
    assert est.value.shape == (4, 3) and est.step.shape == (3,) and np.all(est.step > 0)
    assert est.nfev == f.calls > 3
    assert _rel(est.value, exact_jacobian(MAP, (A, B, C), MAP_X)) < band
    if name != "approx-fprime":  # the extrapolating peers estimate their error per entry
        assert est.error_estimate.shape == (4, 3) and np.all(est.error_estimate >= 0)
    else:
        assert est.nfev == 4 and np.all(est.step == 2.0**-26)  # n + 1; h = sqrt(eps) on [0.5, 2)


@pytest.mark.parametrize(("name", "settings", "module", "_j", "band", "_d"), FD_PEERS[:4])
def test_fd_peer_hessian_within_its_accuracy(name, settings, module, _j, band, _d):
    method = _peer(name, settings, module)
    f = Counting(_numpy_scalar)
    est = method.hessian(f, SCALAR_X)
    truth = exact_hessian(SCALAR, (A, B, C), SCALAR_X)
    assert est.value.shape == (3, 3) and est.error_estimate.shape == (3, 3)
    assert _rel(est.value, truth) < band
    assert est.nfev > 0
    if name.startswith("numdifftools"):  # evaluated point by point: every call is a point
        assert est.nfev == f.calls and est.step.shape == (3,) and np.all(est.step > 0)
    else:  # SciPy evaluates batches of points (f is vectorized); it reports no final step
        assert est.step is None


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize(("name", "settings", "module", "_j", "_h", "bands"), FD_PEERS[:2])
def test_numdifftools_kth_derivative_within_its_accuracy(name, settings, module, _j, _h, bands, k):
    method = _peer(name, settings, module)
    f = Counting(_numpy_one_d)
    est = method.derivative(f, ONE_D_X, deriv=k)
    truth = exact_derivative(ONE_D, T, ONE_D_X, k)
    assert abs(est.value - truth) / abs(truth) < bands[k]
    assert est.nfev == f.calls > 0 and est.step > 0 and est.error_estimate >= 0


def test_numdifftools_steps_and_sequences_are_checked_for_every_kind():
    pytest.importorskip("numdifftools")
    method = get_method("numdifftools")
    with pytest.raises(ValueError, match="a step vanishes at x\\[0\\]"):
        method.hessian(lambda v: v[0] * v[1], [1e17, 1.0])
    with pytest.raises(ValueError, match="a step vanishes"):
        method.derivative(lambda t: t**2, 1e17, deriv=2)
    small = method.hessian(_numpy_scalar, SCALAR_X, step=1e-2)
    assert (
        np.all(small.step <= 1e-2)
        and _rel(small.value, exact_hessian(SCALAR, (A, B, C), SCALAR_X)) < 1e-8
    )


def test_scipy_hessian_takes_one_initial_step():
    method = get_method("scipy-derivative", order=4)
    est = method.hessian(_numpy_scalar, SCALAR_X, step=0.25)
    assert _rel(est.value, exact_hessian(SCALAR, (A, B, C), SCALAR_X)) < 1e-7
    with pytest.raises(ValueError, match="`step` of a Hessian must be one value"):
        method.hessian(_numpy_scalar, SCALAR_X, step=[0.1, 0.2, 0.3])


def test_fd_peers_jacobian_with_sparsity_keeps_the_pattern():
    p = get_kind_problem("bratu-10")
    x = np.asarray(p.points[0])
    for name in ("approx-fprime", "scipy-derivative", "numdifftools"):
        if name == "numdifftools":
            pytest.importorskip("numdifftools")
        est = get_method(name).jacobian(p.function(), x, sparsity=p.sparsity())
        assert est.value.nnz == 28 and _rel(est.value.toarray(), p.truth(x)) < 1e-5


# ------------------------------------------------------------------------------------------------
# declared kinds: refusals, available(), the sweep
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "call", "message"),
    [
        ("approx-fprime", lambda m: m.hessian(_numpy_scalar, SCALAR_X),
         "'approx-fprime' cannot compute a hessian"),
        ("approx-fprime", lambda m: m.derivative(np.sin, 0.1, deriv=2),
         "'approx-fprime' computes derivatives up to order 1, got `deriv`=2"),
        ("scipy-derivative", lambda m: m.derivative(np.sin, 0.1, deriv=2),
         "'scipy-derivative' computes derivatives up to order 1, got `deriv`=2"),
        ("numdifftools", lambda m: m.derivative(np.sin, 0.1, deriv=5),
         "'numdifftools' computes derivatives up to order 4, got `deriv`=5"),
        ("numdifftools-complex", lambda m: m.derivative(np.sin, 0.1, deriv=5),
         "'numdifftools-complex' computes derivatives up to order 4, got `deriv`=5"),
        ("sympy", lambda m: m.derivative(SymbolicFunction(ONE_D, (T,)), 0.1, deriv=9),
         "'sympy' computes derivatives up to order 8, got `deriv`=9"),
    ],
)  # fmt: skip
def test_unsupported_kind_names_method_and_kind(name, call, message):
    method = get_method(name)
    if not type(method).availability()[0]:
        pytest.skip(type(method).availability()[1])
    with pytest.raises(NotImplementedError, match=message):
        call(method)


def test_available_declares_the_peers_kinds():
    info = {i.name: i for i in methods.available()}
    every = {"gradient", "jacobian", "hessian", "derivative"}
    for name in ("sympy", "jax", "jax-jacfwd", "autograd", "pytensor", "numdifftools",
                 "numdifftools-complex", "scipy-derivative"):  # fmt: skip
        assert info[name].derivative_kinds == every, name
    assert info["approx-fprime"].derivative_kinds == {"gradient", "jacobian", "derivative"}
    assert info["numdifftools"].max_deriv == info["numdifftools-complex"].max_deriv == 4
    assert info["scipy-derivative"].max_deriv == 1 and info["sympy"].max_deriv == 8


def test_the_sweep_gives_peers_the_kind_problems_they_compute():
    configs = resolve_methods(["sympy", "jax", "numdifftools", "approx-fprime", "scipy-derivative"])
    robertson, hess, d3 = (get_kind_problem(n) for n in ("robertson", "near-singular", "runge-d3"))
    for c in configs:
        assert computes(c, "jacobian")
        assert computes(c, "hessian") == (c.name != "approx-fprime")
        assert computes(c, "derivative", 3) == (c.name in ("sympy", "jax", "numdifftools"))
        if c.available:  # the kind problems' functions carry their expressions
            assert cannot_apply(c, robertson) == cannot_apply(c, hess) == cannot_apply(c, d3) == ""


def test_sympy_derivatives_of_any_declared_order():
    est = get_method("sympy").derivative(SymbolicFunction(ONE_D, (T,)), ONE_D_X, deriv=8)
    truth = exact_derivative(ONE_D, T, ONE_D_X, 8)
    assert est.nfev == 0 and abs(est.value - truth) / abs(truth) < ROUNDING
