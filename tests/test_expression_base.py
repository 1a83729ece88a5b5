"""ExpressionMethod: the shared base of sympy, autograd, JAX and PyTensor."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy

import methods
from methods import SymbolicFunction, get_method, method_class
from methods.expression_base import ExpressionMethod

A, B = sympy.symbols("a b")
EXPR = sympy.sin(A) * sympy.exp(B) + A * B
TRUTH = [np.cos(0.3) * np.exp(0.2) + 0.2, np.sin(0.3) * np.exp(0.2) + 0.3]
EXPRESSION_METHODS = [
    pytest.param(
        name,
        settings,
        id=f"{name}-{settings}",
        marks=() if info.available else (pytest.mark.skip(reason=info.reason),),
    )
    for info in methods.available()
    if issubclass(method_class(info.name), ExpressionMethod)
    for name in [info.name]
    for settings in method_class(name).variants()
]


def test_the_four_adapters_share_the_base():
    names = {p.values[0] for p in EXPRESSION_METHODS}
    assert {"sympy", "autograd", "jax", "jax-jacfwd", "pytensor"} <= names


class CountingCompiles:
    """Wraps a method's ``_compile`` to count how often it runs."""

    def __init__(self, method: ExpressionMethod) -> None:
        self.count, self.original = 0, method._compile
        method._compile = self  # an instance attribute: the class is unchanged

    def __call__(self, source):
        self.count += 1
        return self.original(source)


@pytest.mark.parametrize(("name", "settings"), EXPRESSION_METHODS)
def test_compiled_once_per_configuration_and_function_and_kept_on_the_function(name, settings):
    method = get_method(name, **settings)
    compiles = CountingCompiles(method)
    f = SymbolicFunction(EXPR, (A, B))
    for _ in range(3):
        est = method.gradient(f, [0.3, 0.2])
        np.testing.assert_allclose(est.value, TRUTH, rtol=1e-14)
        assert est.nfev == 0
    assert compiles.count == 1
    assert method._cache_key() in f._compiled  # the cache lives on the function
    # another function compiles again; a pickled function comes without the cache
    method.gradient(SymbolicFunction(EXPR, (A, B)), [0.3, 0.2])
    assert compiles.count == 2
    assert method._cache_key() not in pickle.loads(pickle.dumps(f))._compiled


@pytest.mark.parametrize(("name", "settings"), EXPRESSION_METHODS)
def test_prepare_compiles_and_gradient_reuses_what_it_compiled(name, settings):
    method = get_method(name, **settings)
    compiles = CountingCompiles(method)
    f = SymbolicFunction(EXPR, (A, B))
    method.gradient(f, [0.3, 0.2])
    grad = method.prepare(f, 2)  # the explicit one-time step always compiles (it is timed)
    assert compiles.count == 2
    np.testing.assert_allclose(grad(np.array([0.3, 0.2])), TRUTH, rtol=1e-14)
    method.gradient(f, [0.3, 0.2])
    assert compiles.count == 2


def test_configurations_do_not_share_a_compiled_gradient():
    f = SymbolicFunction(EXPR, (A, B))
    keys = {get_method("sympy")._cache_key(), get_method("autograd")._cache_key()}
    for method in (get_method("sympy"), get_method("autograd")):
        method.gradient(f, [0.3, 0.2])
    assert keys <= set(f._compiled)
    assert len(keys) == 2


def test_an_expression_carrier_that_is_not_a_symbolic_function_is_compiled_each_time():
    class Carrier:
        expr, symbols = EXPR, (A, B)

        def __call__(self, x):
            raise AssertionError("never called")

    est = get_method("sympy").gradient(Carrier(), [0.3, 0.2])
    np.testing.assert_allclose(est.value, TRUTH, rtol=1e-14)
    assert est.nfev == 0
