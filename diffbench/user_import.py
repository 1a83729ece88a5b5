"""Import a user's object named as ``"module:attr"`` (``attr`` may be dotted).

Used where a command line names something in the user's own code, e.g. ``diffbench run
--problems my_module:my_problems``. Like ``python -m``, the working directory is searched for the
module.

Examples
--------
>>> obj, module, attr = import_attribute("diffbench.battery:rosenbrock", "problems")
>>> obj(3).name, module, attr
('rosenbrock-3', 'diffbench.battery', 'rosenbrock')
>>> import_attribute("diffbench.battery", "problems")
Traceback (most recent call last):
...
ValueError: `problems`: 'diffbench.battery' must have the form 'module:attr'.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

__all__ = ["import_attribute"]


def import_attribute(spec: str, parameter: str) -> tuple[Any, str, str]:
    """The object ``spec`` (``"module:attr"``) names, with the module and attribute names.

    Parameters
    ----------
    spec : str
        ``"module:attr"``; ``attr`` may be dotted (``"pkg.mod:Class.attribute"``).
    parameter : str
        The parameter that carried ``spec``, named in error messages.

    Returns
    -------
    (object, str, str)
        The object, the module name and the attribute path.

    Raises
    ------
    ValueError
        One line naming ``parameter``: a malformed ``spec``, a module that cannot be imported
        (whatever it raised while loading) or an attribute it lacks.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"`{parameter}`: {spec!r} must have the form 'module:attr'.")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may raise anything while importing
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise ValueError(
            f"`{parameter}`: cannot import module {module_name!r} ({detail})."
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(
                f"`{parameter}`: module {module_name!r} has no attribute {attr!r}."
            ) from None
    return obj, module_name, attr
