"""The registry: nothing defined in methods/ escapes it; one class under several names."""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest

import methods
from methods import Method, get_method, method_class
from methods.finite_difference import SCHEMES, FiniteDifference
from methods.registry import Registration, register, registrations


def _method_classes_defined_in_methods() -> list[type]:
    """Public Method subclasses defined at module level in every module of methods/."""
    found = []
    for info in pkgutil.iter_modules(methods.__path__):
        module = importlib.import_module(f"methods.{info.name}")
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, Method)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.append(obj)
    return found


def test_the_scan_finds_the_method_classes():
    found = _method_classes_defined_in_methods()
    assert FiniteDifference in found and Method in found
    assert len(found) >= len({r.cls for r in registrations()})


def _unreachable(found: list[type]) -> list[str]:
    """Concrete classes of ``found`` that the registry cannot build, by qualified name.

    A base (a class another found class derives from: Method, GridMethod, ExpressionMethod) is
    not concrete. A concrete class must be the class of some registration, and a class that
    names itself must be registered under that name.
    """
    bases = {b for cls in found for b in cls.__mro__[1:]}
    registered = {r.cls for r in registrations()}
    out = []
    for cls in found:
        if cls in bases:
            continue
        by_name = cls.name in methods.method_names() and method_class(cls.name) is cls
        if cls not in registered or (cls.name and not by_name):
            out.append(cls.__qualname__)
    return out


def test_every_concrete_method_class_is_reachable_through_the_registry():
    assert _unreachable(_method_classes_defined_in_methods()) == []


def test_a_forgotten_class_would_be_caught():
    class Forgotten(Method):
        name = "forgotten"
        family = "finite-difference"
        kind = "step"

        def _gradient(self, f, x, step):
            raise NotImplementedError

    found = [*_method_classes_defined_in_methods(), Forgotten]
    assert _unreachable(found) == [Forgotten.__qualname__]


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_one_class_under_each_scheme_name(scheme):
    cls = method_class(scheme)
    assert issubclass(cls, FiniteDifference) and cls.name == scheme
    assert dict(cls.fixed_settings) == {"scheme": scheme}
    assert "scheme" not in cls._setting_names
    assert cls.variants() == [{"order": p} for p in SCHEMES[scheme].orders]
    method = get_method(scheme)
    assert isinstance(method, Method) and isinstance(method, FiniteDifference)
    assert type(method) is cls and method.name == scheme and method.scheme == scheme
    assert method.order == method.truncation_order == SCHEMES[scheme].default_order
    assert "scheme" not in method.get_params() and "scheme" not in method.label
    assert get_method(scheme, **method.get_params()).label == method.label
    assert eval(repr(method), {"get_method": get_method}).label == method.label  # noqa: S307


def test_registration_object_is_frozen_and_picklable():
    reg = next(r for r in registrations() if r.name == "central")
    assert reg == Registration(FiniteDifference, "central", (("scheme", "central"),))
    again = pickle.loads(pickle.dumps(reg))
    assert again == reg and hash(again) == hash(reg) and again.bound is reg.bound
    with pytest.raises(AttributeError):
        reg.name = "other"  # type: ignore[misc]
    assert method_class(reg) is method_class("central")
    assert get_method(reg, order=4).label == "central(order=4)"
    assert reg(order=6).order == 6


def test_instances_of_a_bound_class_pickle_and_copy():
    method = get_method("backward", order=3, step_rule="absolute")
    for twin in (pickle.loads(pickle.dumps(method)), copy.deepcopy(method), copy.copy(method)):
        assert type(twin) is type(method) and twin.label == method.label
        assert twin.get_params() == method.get_params() and twin.scheme == "backward"
    f = methods.as_vector_function(lambda a, b: a * np.exp(b))
    restored = pickle.loads(pickle.dumps(method))
    np.testing.assert_array_equal(
        restored.gradient(f, [0.3, 0.2]).value, method.gradient(f, [0.3, 0.2]).value
    )


def test_the_fixed_setting_cannot_be_passed():
    with pytest.raises(TypeError, match=r"method 'central': `scheme` is fixed to 'central'"):
        get_method("central", scheme="forward")
    with pytest.raises(TypeError, match="scheme"):
        method_class("forward")(scheme="central")


def test_the_bound_signature_has_the_scheme_defaults():
    params = inspect.signature(method_class("central").__init__).parameters
    assert list(params) == ["self", "order", "step_rule", "noise", "vectorized", "workers"]
    assert params["order"].default == 2
    assert inspect.signature(method_class("forward").__init__).parameters["order"].default == 1
    assert method_class("central")(4).order == 4  # positional settings still bind


def test_register_checks_the_fixed_settings():
    with pytest.raises(ValueError, match="`fixed` names 'sceme'"):
        register(FiniteDifference, name="central-typo", fixed={"sceme": "central"})
    with pytest.raises(ValueError, match="`scheme` must be one of"):
        register(FiniteDifference, name="sideways", fixed={"scheme": "sideways"})
    with pytest.raises(ValueError, match="already registered"):
        register(FiniteDifference, name="central", fixed={"scheme": "forward"})
    with pytest.raises(ValueError, match="has no `name`"):
        register(FiniteDifference)
    assert "sideways" not in methods.method_names()
    # registering the same thing again changes nothing
    register(FiniteDifference, name="central", fixed={"scheme": "central"})
    assert methods.method_names().count("central") == 1
