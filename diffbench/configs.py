"""Method configurations: a registered method with one of its ``variants()`` settings.

:func:`resolve_methods` turns what a user names (registered names, labels, classes, instances,
dicts) into configurations; :func:`cannot_apply` says why one cannot run on a problem here;
:meth:`MethodConfig.columns` gives the columns of the results table that describe it. The sweep,
the asv benchmarks and ``diffbench from-asv`` all enumerate and describe methods through these.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from methods.functions import has_expression

from .schema import SCHEMA_VERSION, method_columns

__all__ = [
    "MethodConfig",
    "resolve_methods",
    "cannot_apply",
    "distinct_grid_forms",
    "computes",
    "method_from_row",
]


@dataclass(frozen=True)
class MethodConfig:
    """One configuration of a registered method: its class and one ``variants()`` settings dict."""

    cls: type
    settings: Mapping[str, Any]
    label: str
    available: bool
    reason: str

    @property
    def name(self) -> str:
        """The registered method name."""
        return self.cls.name

    @property
    def family(self) -> str:
        """The method's family."""
        return self.cls.family

    @property
    def kind(self) -> str:
        """``step``, ``exact``, ``adaptive`` or ``grid``."""
        return self.cls.kind

    @property
    def needs(self) -> frozenset[str]:
        """What the method needs from ``f`` (``Need`` values)."""
        return frozenset(self.cls.needs)

    def build(self) -> Any:
        """A fresh method instance, settings checked."""
        from methods import get_method

        return get_method(self.cls, **dict(self.settings))

    @property
    def order(self) -> int | None:
        """The configuration's order of accuracy, if it has one."""
        order = self.cls(**dict(self.settings)).truncation_order
        return int(order) if isinstance(order, int | np.integer) else None

    @property
    def theoretical_step(self) -> float | None:
        """The method's ``theoretical_step()`` in this configuration, None if it has none."""
        try:
            value = self.cls(**dict(self.settings)).theoretical_step()
        except Exception:
            return None
        return None if value is None else float(value)

    @property
    def grid_label(self) -> str:
        """Label of the grid form (grid methods leave out settings of the point form only)."""
        return getattr(self.cls(**dict(self.settings)), "grid_label", self.label)

    @property
    def settings_json(self) -> str:
        """The settings as sorted JSON (the ``settings`` column)."""
        return json.dumps(dict(self.settings), sort_keys=True, default=repr)

    def spec(self) -> dict[str, Any]:
        """JSON-able description, enough to rebuild it from the registry."""
        return {"name": self.name, "settings": json.loads(self.settings_json)}

    def row_label(self, form: str) -> str:
        """The ``label`` of its rows: grid-form rows leave out settings of the point form only."""
        return self.label if form == "point" else self.grid_label

    def columns(
        self, form: str = "point", derivative_kind: str = "gradient", deriv: int | None = None
    ) -> dict[str, Any]:
        """The columns of a results row that describe this configuration in ``form``.

        The method's declared capabilities (:func:`diffbench.schema.method_columns`), the
        ``schema_version``, ``form`` (``"point"`` or ``"grid"``), what is differentiated
        (``derivative_kind``, default ``"gradient"``, and ``deriv``, the order k of a
        ``derivative`` row), ``label`` (see :meth:`row_label`), ``settings``, ``order`` and
        ``theoretical_step``.
        """
        return {
            **method_columns(self.cls),
            "schema_version": SCHEMA_VERSION,
            "form": form,
            "derivative_kind": derivative_kind,
            "deriv": deriv,
            "label": self.row_label(form),
            "settings": self.settings_json,
            "order": self.order,
            "theoretical_step": self.theoretical_step,
        }


def _config(cls: type, settings: Mapping[str, Any]) -> MethodConfig:
    from methods import get_method

    # get_method checks the settings (unknown names, bad values) before anything is measured
    instance = get_method(cls, **dict(settings))
    ok, reason = cls.availability()
    return MethodConfig(
        cls=cls, settings=dict(settings), label=instance.label, available=ok, reason=reason
    )


def resolve_methods(methods: Iterable[Any] | None = None) -> list[MethodConfig]:
    """Method configurations to sweep.

    Parameters
    ----------
    methods : iterable, optional
        Registered names (every ``variants()`` configuration), labels of one configuration such
        as ``"central(order=4)"``, Method subclasses (every variant), Method instances (that
        configuration), or dicts ``{"name": ..., "settings": {...}}``. None: every registered
        method.

    Raises
    ------
    ValueError
        An unknown name (the message lists the choices) or duplicate labels.
    """
    import methods as registry

    def variants_of(cls: type) -> list[MethodConfig]:
        return [_config(cls, s) for s in cls.variants()]

    if methods is None:
        specs: list[Any] = registry.method_names()
    elif isinstance(methods, str):
        specs = [methods]
    else:
        specs = list(methods)
    out: list[MethodConfig] = []
    for spec in specs:
        if isinstance(spec, registry.Method):
            out.append(_config(type(spec), spec.get_params()))
        elif isinstance(spec, type) and issubclass(spec, registry.Method):
            out.extend(variants_of(spec))
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"name", "settings"}
            if "name" not in spec or unknown:
                raise ValueError(
                    "`methods` entries given as dicts must be {'name': ..., 'settings': {...}}, "
                    f"got {dict(spec)!r}."
                )
            out.append(_config(registry.method_class(spec["name"]), spec.get("settings", {})))
        elif isinstance(spec, str):
            if spec in registry.method_names():
                out.extend(variants_of(registry.method_class(spec)))
                continue
            by_label = {
                c.label: c
                for name in registry.method_names()
                for c in variants_of(registry.method_class(name))
            }
            if spec not in by_label:
                raise ValueError(
                    f"unknown method {spec!r}; choose from: {', '.join(registry.method_names())} "
                    "(or a label such as 'central(order=4)')."
                )
            out.append(by_label[spec])
        else:
            raise TypeError(
                f"`methods` entries must be names, Method classes or instances, got {spec!r}."
            )
    seen: dict[str, MethodConfig] = {}
    unique = []
    for c in out:
        if c.label in seen:
            if seen[c.label].settings_json != c.settings_json or seen[c.label].cls is not c.cls:
                raise ValueError(
                    f"two configurations share the label {c.label!r}: {seen[c.label].spec()} and "
                    f"{c.spec()}; labels must identify a configuration."
                )
            continue
        seen[c.label] = c
        unique.append(c)
    return unique


def cannot_apply(config: MethodConfig, problem: Any) -> str:
    """Why ``config`` cannot run on ``problem`` here (not available, needs an expression that
    the problem's function lacks), or ``""`` if it can."""
    if not config.available:
        return config.reason or "not available here"
    if "expression" in config.needs and not has_expression(_function_of(problem)):
        return "needs a SymPy expression and this problem's function has none"
    return ""


def _function_of(problem: Any) -> Any:
    """The callable of a problem: ``Problem.function``, or what a kind problem's
    ``function()`` builds (:mod:`diffbench.battery_kinds`)."""
    function = problem.function
    return function() if inspect.ismethod(function) else function


def distinct_grid_forms(configs: Iterable[MethodConfig]) -> list[MethodConfig]:
    """One configuration per distinct grid form.

    Settings listed in a grid method's ``point_form_params`` change only its point form, so
    variants differing only there would measure the same grid twice.
    """
    seen: set = set()
    out = []
    for c in configs:
        ignore = getattr(c.cls, "point_form_params", ())
        kept = {k: v for k, v in c.settings.items() if k not in ignore}
        key = (c.cls, json.dumps(kept, sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def computes(config: MethodConfig, derivative_kind: str, deriv: int = 1) -> bool:
    """Whether ``config``'s method declares ``derivative_kind`` (a ``derivative`` of order
    ``deriv`` also needs ``deriv <= max_deriv``).

    Examples
    --------
    >>> [c] = resolve_methods(["hyper-dual"])
    >>> computes(c, "hessian"), computes(c, "derivative", 2), computes(c, "derivative", 3)
    (True, True, False)
    """
    if derivative_kind not in getattr(config.cls, "derivative_kinds", ("gradient",)):
        return False
    return derivative_kind != "derivative" or deriv <= int(getattr(config.cls, "max_deriv", 1))


def method_from_row(method: str, settings: str | Mapping[str, Any] = "{}") -> Any | None:
    """The registered method a results row names (its ``method`` and ``settings`` columns), to
    read what it declares; None if the name is not registered here or the settings are refused.

    Examples
    --------
    >>> method_from_row("numpy-gradient", '{"edge_order": 2}').edge_order
    2
    >>> method_from_row("no-such-method") is None
    True
    """
    from methods import get_method

    try:
        given = json.loads(settings) if isinstance(settings, str) else dict(settings)
        return get_method(method, **(given or {}))
    except (ValueError, TypeError, KeyError):
        return None
