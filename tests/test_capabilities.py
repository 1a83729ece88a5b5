"""Capabilities declared on the method classes (methods.capabilities)."""

from __future__ import annotations

import pytest

import methods
from methods.base import Method
from methods.capabilities import CORE_LIBRARIES, Family, Need, ReferenceGrade
from methods.registry import register


def test_family_is_an_enum_equal_to_its_string_in_display_order():
    assert [f.value for f in Family] == list(methods.FAMILIES)
    assert Family.COMPLEX_STEP == "complex-step"
    assert [f.display_order for f in Family] == list(range(len(Family)))
    assert len({f.colormap for f in Family}) == len(Family)


@pytest.mark.parametrize("name", methods.method_names())
def test_every_registered_class_declares_typed_capabilities(name):
    cls = methods.method_class(name)
    assert isinstance(cls.family, Family)
    assert isinstance(cls.reference, ReferenceGrade)
    assert all(isinstance(n, Need) for n in cls.needs)
    assert isinstance(cls.black_box, bool) and isinstance(cls.noise_linear, bool)
    assert cls.wraps is None or isinstance(cls.wraps, str)
    # a method that needs complex, dual or formula input is never a black box
    if cls.needs & {Need.COMPLEX, Need.DUAL, Need.EXPRESSION}:
        assert not cls.black_box
    # linear in f's noise only for real-valued differences
    if cls.noise_linear:
        assert cls.black_box and cls.reference is ReferenceGrade.NONE


def test_capabilities_of_known_methods():
    cls = methods.method_class
    assert cls("central").noise_linear and cls("central").black_box
    assert cls("complex-step").reference is ReferenceGrade.ROUNDING
    assert not cls("complex-step").black_box
    assert cls("dual").reference is ReferenceGrade.EXACT
    assert cls("richardson").reference is ReferenceGrade.EXTRAPOLATED
    assert cls("numdifftools").is_peer() and not cls("approx-fprime").is_peer()
    assert cls("approx-fprime").wraps == "scipy" and "scipy" in CORE_LIBRARIES
    assert not cls("autograd").black_box  # f must be written with autograd.numpy


def test_available_reports_capabilities():
    info = {i.name: i for i in methods.available()}
    assert info["sympy"].reference is ReferenceGrade.EXACT
    assert info["findiff"].wraps == "findiff"


def test_register_rejects_an_unknown_family_and_grade():
    class Bad(Method):
        name = "bad-family"
        family = "finite-difference"
        kind = "step"

    Bad.family = "no such family"
    with pytest.raises(ValueError, match="family"):
        register(Bad)
    Bad.family = Family.FINITE_DIFFERENCE
    Bad.reference = 5
    with pytest.raises(ValueError, match="reference"):
        register(Bad)
    with pytest.raises(ValueError):

        class Worse(Method):
            family = "alchemy"


@pytest.mark.parametrize("name", methods.method_names())
def test_truncation_order_is_metadata_and_order_still_reads_it(name):
    method = methods.get_method(name)
    p = method.truncation_order
    assert p is None or (isinstance(p, int) and p >= 1)
    # `order` is a setting where a method has one, else the same metadata (the `order` column)
    assert method.order == (method.get_params()["order"] if "order" in method.get_params() else p)


def test_truncation_orders_of_known_methods():
    get = methods.get_method
    assert get("central", order=6).truncation_order == 6
    assert get("forward").truncation_order == 1
    assert get("findiff", acc=4).truncation_order == 4 == get("findiff", acc=4).order
    assert get("complex-step").truncation_order == 2
    assert methods.method_class("approx-fprime").truncation_order == 1
    assert get("dual").truncation_order is None and get("sympy").order is None
