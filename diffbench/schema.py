"""The results table: its columns, their types, the words its categorical columns use.

The table describes itself: a row carries what the report and the figures need to know about the
method that produced it (its family, what it needs from ``f``, whether it is a black box, a peer,
which library it wraps, how far it can serve as a reference) and about the measurement (its
``form``, point or grid, and ``region``), so an old results file reads the same tomorrow as
today, whatever the registry then holds. Nothing downstream looks a method up in the registry or
parses a label.

:data:`SCHEMA_VERSION` is written into every row (``schema_version``); a table written by another
version is refused with a clear error instead of being misread.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA",
    "COLUMNS",
    "Status",
    "STATUSES",
    "MEASURES",
    "REGIONS",
    "FORMS",
    "DERIVATIVE_KINDS",
    "method_columns",
]

#: Version of the table layout. Bump it whenever a column is added, removed or changes meaning.
SCHEMA_VERSION = 5


class Status(StrEnum):
    """Outcome of one measurement. The words are chosen so no CSV reader takes them for missing
    values (``"nan"`` would be read as a missing value by pandas)."""

    OK = "ok"  # a finite estimate, scored against the truth
    NONFINITE = "non-finite"  # the estimate has NaN coordinates (f met a non-finite value)
    ERROR = "error"  # the method raised
    SKIPPED = "skipped"  # not run; the message says why


#: Row outcomes, in the order tables list them.
STATUSES = tuple(s.value for s in Status)
#: ``accuracy`` rows come from the step/grid sweep, ``cost`` rows from the serial timing pass,
#: ``step-rule`` rows from the default step chosen by each step rule of a method that takes
#: ``step_rule`` (schema 5: the rule is in ``step_rule``, the evaluations it spent beyond the
#: stencil in ``nfev_extra``).
MEASURES = ("accuracy", "cost", "step-rule")
#: ``point``: a gradient at one point; ``interior`` / ``edge``: a grid's inner or boundary nodes.
REGIONS = ("point", "interior", "edge")
#: ``point``: the method was called at a point (``gradient``); ``grid``: on sampled values
#: (``grid_gradient``), scored over the grid's nodes.
FORMS = ("point", "grid")
#: What a row differentiates (the ``derivative_kind`` column): a gradient of f: R^n -> R, a
#: Jacobian of f: R^n -> R^m, a Hessian, or the k-th derivative of a scalar function (k in the
#: ``deriv`` column). Every row of a gradient sweep says ``gradient``. (The ``kind`` column is
#: the method's kind: step, exact, adaptive or grid.)
DERIVATIVE_KINDS = ("gradient", "jacobian", "hessian", "derivative")

#: Column name -> type: "str", "int" (nullable), "float" or "bool" (nullable).
SCHEMA: dict[str, str] = {
    "run_id": "str",
    "key": "str",
    "measure": "str",
    "schema_version": "int",
    "problem": "str",
    "tags": "str",
    "dim": "int",
    "point": "int",
    "point_values": "str",
    "method": "str",
    "label": "str",
    "settings": "str",
    "family": "str",
    "kind": "str",
    "form": "str",
    "derivative_kind": "str",
    "deriv": "int",
    "needs": "str",
    "black_box": "bool",
    "noise_linear": "bool",
    "reference": "str",
    "wraps": "str",
    "peer": "bool",
    "order": "int",
    "theoretical_step": "float",
    "step_rel": "float",
    "step": "float",
    "step_used": "float",
    "step_rule": "str",
    "grid_size": "int",
    "region": "str",
    "abs_error": "float",
    "rel_error": "float",
    "error_estimate": "float",
    "asymmetry": "float",
    "nfev": "int",
    "nfev_extra": "int",
    "time": "float",
    "time_number": "int",
    "time_repeats": "str",
    "prepare_time": "float",
    "status": "str",
    "message": "str",
    "versions": "str",
}
#: The columns of the table, in order.
COLUMNS: tuple[str, ...] = tuple(SCHEMA)


def method_columns(cls: type) -> dict[str, Any]:
    """The columns that describe a method, read from its class's declared capabilities.

    Parameters
    ----------
    cls : type
        A :class:`methods.Method` subclass.

    Returns
    -------
    dict
        ``method, family, kind, needs`` (sorted, ``;``-separated), ``black_box``,
        ``noise_linear``, ``reference`` (the grade's name in lower case), ``wraps`` (empty if
        written here) and ``peer``.

    Examples
    --------
    >>> import methods
    >>> cols = method_columns(methods.method_class("complex-step"))
    >>> cols["family"], cols["needs"], cols["black_box"], cols["reference"]
    ('complex-step', 'complex', False, 'rounding')
    """
    return {
        "method": cls.name,
        "family": str(cls.family),
        "kind": cls.kind,
        "needs": ";".join(sorted(str(n) for n in cls.needs)),
        "black_box": bool(cls.black_box),
        "noise_linear": bool(cls.noise_linear),
        "reference": cls.reference.name.lower(),
        "wraps": cls.wraps or "",
        "peer": bool(cls.is_peer()),
    }
