"""The registry from method names to the classes that build them.

A class is registered under its own ``name`` (``@register``), or one class under several names,
each fixing some of its settings::

    register(FiniteDifference, name="central", fixed={"scheme": "central"})

Every entry is a :class:`Registration`. :func:`method_class` returns the class that builds the
methods of a name: the registered class itself, or, for a name with fixed settings, a subclass
bound to them (:attr:`Registration.bound`). A bound class carries the registered ``name``, its
``__init__`` takes every setting but the fixed ones (with the defaults they imply), and its
instances pickle through their registration; so labels, ``repr`` and ``get_params`` never show
a fixed setting, and ``get_method(m.name, **m.get_params())`` rebuilds ``m``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .base import DERIVATIVE_KINDS, KINDS, Method
from .capabilities import Family, ReferenceGrade

__all__ = [
    "register",
    "get_method",
    "available",
    "method_class",
    "method_names",
    "registrations",
    "MethodInfo",
    "Registration",
]


@dataclass(frozen=True)
class Registration:
    """One registry entry: ``cls`` registered under ``name`` with the settings ``fixed``.

    Frozen, hashable and picklable (``cls`` pickles by reference).

    Attributes
    ----------
    cls : type
        The :class:`~methods.base.Method` subclass that implements the method.
    name : str
        The registered name.
    fixed : tuple of (str, object) pairs
        Settings of ``cls`` that the name fixes, e.g. ``(("scheme", "central"),)``.
    """

    cls: type[Method]
    name: str
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def bound(self) -> type[Method]:
        """The class that builds this name's methods (``cls`` itself if nothing is bound)."""
        if not self.fixed and self.name == self.cls.name:
            return self.cls
        bound = _BOUND.get(self)
        if bound is None:
            bound = _BOUND[self] = _bind(self)
        return bound

    def __call__(self, **settings: Any) -> Method:
        """Build the method with ``settings`` (unchecked; :func:`get_method` checks them)."""
        return self.bound(**settings)


_REGISTRY: dict[str, Registration] = {}
#: the bound class of each registration with fixed settings (one per registration, so that
#: ``type(m) is method_class(m.name)`` holds, also after unpickling)
_BOUND: dict[Registration, type[Method]] = {}


def _bind(reg: Registration) -> type[Method]:
    """A subclass of ``reg.cls`` named ``reg.name``, with ``reg.fixed`` settings fixed."""
    cls, fixed = reg.cls, dict(reg.fixed)
    probe = cls(**fixed)  # the defaults of the other settings, given the fixed ones
    full = inspect.signature(cls.__init__)
    params = [
        p if p.name == "self" or p.default is p.empty else p.replace(default=getattr(probe, p.name))
        for p in full.parameters.values()
        if p.name not in fixed
    ]
    signature = full.replace(parameters=params)

    def __init__(self: Method, *args: Any, **settings: Any) -> None:
        clash = sorted(fixed.keys() & settings.keys())
        if clash:
            raise TypeError(
                f"`{clash[0]}` is fixed to {fixed[clash[0]]!r} by the name {reg.name!r}; "
                f"pick the registered name of the setting you want, not `{clash[0]}=`."
            )
        arguments = signature.bind(self, *args, **settings)
        arguments.apply_defaults()
        given = {k: v for k, v in arguments.arguments.items() if k != "self"}
        cls.__init__(self, **fixed, **given)

    __init__.__signature__ = signature  # type: ignore[attr-defined]

    def __reduce__(self: Method) -> tuple:
        return (_restore, (reg, dict(vars(self))))

    namespace = {
        "__module__": cls.__module__,
        "__qualname__": f"{cls.__qualname__}[{reg.name}]",
        "__doc__": cls.__doc__,
        "__init__": __init__,
        "__reduce__": __reduce__,
        "name": reg.name,
        "black_box": cls.black_box,
        "fixed_settings": MappingProxyType(fixed),
    }
    return type(cls.__name__, (cls,), namespace)


def _restore(reg: Registration, state: dict[str, Any]) -> Method:
    """Unpickle an instance of a bound class."""
    method = object.__new__(reg.bound)
    vars(method).update(state)
    return method


def _check_class(cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise TypeError(f"`cls` must be a Method subclass, got {cls!r}.")
    if not isinstance(cls.family, Family):
        raise ValueError(
            f"{cls.__name__}.family must be a methods.capabilities.Family, got {cls.family!r}."
        )
    if not isinstance(cls.reference, ReferenceGrade):
        raise ValueError(
            f"{cls.__name__}.reference must be a ReferenceGrade, got {cls.reference!r}."
        )
    if cls.kind not in KINDS:
        raise ValueError(f"{cls.__name__}.kind must be one of {KINDS}, got {cls.kind!r}.")
    unknown = set(cls.derivative_kinds) - set(DERIVATIVE_KINDS)
    if unknown or "gradient" not in cls.derivative_kinds:
        raise ValueError(
            f"{cls.__name__}.derivative_kinds must include 'gradient' and be drawn from "
            f"{DERIVATIVE_KINDS}, got {sorted(cls.derivative_kinds)}."
        )
    if isinstance(cls.max_deriv, bool) or not isinstance(cls.max_deriv, int) or cls.max_deriv < 1:
        raise ValueError(f"{cls.__name__}.max_deriv must be an int >= 1, got {cls.max_deriv!r}.")


def register(
    cls: type[Method], *, name: str | None = None, fixed: dict[str, Any] | None = None
) -> type[Method]:
    """Add a :class:`~methods.base.Method` subclass to the registry; usable as a decorator.

    Parameters
    ----------
    cls : Method subclass
        The class; its capabilities (``family``, ``reference``, ``kind``) are checked.
    name : str, optional
        The name to register; default ``cls.name``. One class may be registered under several
        names, each with its own ``fixed`` settings.
    fixed : dict, optional
        Settings of ``cls`` (parameters of its ``__init__``) that ``name`` fixes; they are
        neither accepted by nor shown for the methods of that name.

    Returns
    -------
    type
        ``cls``, unchanged.

    Raises
    ------
    ValueError
        Missing name, a ``fixed`` key that is not a setting, invalid fixed values, or a name
        already registered differently.

    Examples
    --------
    >>> from methods import get_method, method_class
    >>> from methods.finite_difference import FiniteDifference
    >>> issubclass(method_class("central"), FiniteDifference)
    True
    >>> get_method("central", order=4)
    get_method('central', order=4, step_rule='guarded', noise=None, vectorized=False)
    """
    _check_class(cls)
    name = cls.name if name is None else name
    if not name or not isinstance(name, str):
        raise ValueError(f"{cls.__name__} has no `name`; pass one.")
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(cls._setting_names))
    if unknown:
        raise ValueError(
            f"`fixed` names {unknown[0]!r}, which is not a setting of {cls.__name__} "
            f"(settings: {', '.join(cls._setting_names)})."
        )
    reg = Registration(cls, name, tuple(sorted(fixed.items())))
    hash(reg)  # fixed values must be hashable: the registration is a dictionary key
    if name in _REGISTRY and _REGISTRY[name] != reg:
        raise ValueError(f"a method named {name!r} is already registered ({_REGISTRY[name]}).")
    if fixed:
        cls(**fixed)._check_settings()  # invalid fixed values fail here, not at first use
    reg.bound  # noqa: B018 -- build the class of the name now
    _REGISTRY[name] = reg
    return cls


def method_names() -> list[str]:
    """Every registered method name, in registration order."""
    return list(_REGISTRY)


def registrations() -> list[Registration]:
    """Every registry entry, in registration order."""
    return list(_REGISTRY.values())


def method_class(name: str | type[Method] | Registration) -> type[Method]:
    """The class that builds the methods registered under ``name``.

    Parameters
    ----------
    name : str, Method subclass or Registration
        A registered name; a Method subclass is returned as is; a registration gives its
        :attr:`~Registration.bound` class.

    Returns
    -------
    type
        A Method subclass whose ``name`` is the registered name.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the choices.
    """
    if isinstance(name, Registration):
        return name.bound
    if isinstance(name, type) and issubclass(name, Method):
        return name
    if name not in _REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(_REGISTRY)}.")
    return _REGISTRY[name].bound


def get_method(name: str | type[Method] | Registration, **settings: Any) -> Method:
    """Build a method from its registered name (or class, or registration) and settings.

    Parameters
    ----------
    name : str, Method subclass or Registration
        A registered name such as ``"central"``, or a class.
    **settings
        Passed to the method's ``__init__``; checked at once.

    Returns
    -------
    Method

    Raises
    ------
    ValueError
        Unknown name (the message lists the choices) or an invalid setting.
    TypeError
        An unknown setting for that method, or one its name fixes.

    Examples
    --------
    >>> from methods import get_method
    >>> est = get_method("central", order=4, step_rule="relative").derivative(lambda t: t**3, 2.0)
    >>> round(est.value, 9), est.nfev
    (12.0, 4)
    """
    cls = method_class(name)
    try:
        method = cls(**settings)
    except TypeError as exc:
        raise TypeError(f"method {cls.name!r}: {exc}") from None
    method._check_settings()
    return method


@dataclass(frozen=True)
class MethodInfo:
    """One line of :func:`available`."""

    name: str
    family: str
    kind: str
    available: bool
    reason: str
    black_box: bool = True
    reference: ReferenceGrade = ReferenceGrade.NONE
    wraps: str | None = None
    #: What the method computes (``gradient``, ``jacobian``, ``hessian``, ``derivative``).
    derivative_kinds: frozenset[str] = frozenset({"gradient", "derivative"})
    #: Highest order of ``derivative(..., deriv=k)``.
    max_deriv: int = 1


def available() -> list[MethodInfo]:
    """Every registered method with whether it can run here, and why not."""
    out = []
    for name in _REGISTRY:
        cls = method_class(name)
        ok, reason = cls.availability()
        out.append(
            MethodInfo(
                name,
                cls.family,
                cls.kind,
                ok,
                reason,
                cls.black_box,
                cls.reference,
                cls.wraps,
                frozenset(cls.derivative_kinds),
                cls.max_deriv,
            )
        )
    return out
