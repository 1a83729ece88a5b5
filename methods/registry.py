"""The registry from method names to classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import KINDS, Method
from .capabilities import Family, ReferenceGrade

__all__ = ["register", "get_method", "available", "method_class", "method_names", "MethodInfo"]

_REGISTRY: dict[str, type[Method]] = {}


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: add a :class:`~methods.base.Method` subclass under its ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise TypeError(f"`cls` must be a Method subclass, got {cls!r}.")
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no `name`.")
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
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(
            f"a method named {cls.name!r} is already registered ({_REGISTRY[cls.name]})."
        )
    _REGISTRY[cls.name] = cls
    return cls


def method_names() -> list[str]:
    """Every registered method name, in registration order."""
    return list(_REGISTRY)


def method_class(name: str | type[Method]) -> type[Method]:
    """The class registered under ``name``.

    Parameters
    ----------
    name : str or Method subclass
        A registered name; a Method subclass is returned as is.

    Returns
    -------
    type

    Raises
    ------
    ValueError
        For an unknown name; the message lists the choices.
    """
    if isinstance(name, type) and issubclass(name, Method):
        return name
    if name not in _REGISTRY:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(_REGISTRY)}.")
    return _REGISTRY[name]


def get_method(name: str | type[Method], **settings: Any) -> Method:
    """Build a method from its registered name (or class) and settings.

    Parameters
    ----------
    name : str or Method subclass
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
        An unknown setting for that method.

    Examples
    --------
    >>> from methods import get_method
    >>> est = get_method("central", order=4).derivative(lambda t: t**3, 2.0)
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


def available() -> list[MethodInfo]:
    """Every registered method with whether it can run here, and why not."""
    out = []
    for name, cls in _REGISTRY.items():
        ok, reason = cls.availability()
        out.append(
            MethodInfo(
                name, cls.family, cls.kind, ok, reason, cls.black_box, cls.reference, cls.wraps
            )
        )
    return out
