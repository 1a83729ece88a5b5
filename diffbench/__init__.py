"""diffbench: measure differentiation methods against exact ground truth.

Public names are loaded on first use, so ``import diffbench`` stays cheap::

    import diffbench
    df = diffbench.sweep(methods=["central"], problems=["runge"])
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Problem": "problems",
    "get_problem": "problems",
    "list_problems": "problems",
    "register_problem": "problems",
    "rosenbrock": "problems",
    "gradient_error": "metrics",
    "sweep": "runner",
    "read_results": "store",
    "write_report": "report",
    "plot_error_vs_step": "plots",
    "plot_error_vs_grid": "plots",
    "plot_overview": "plots",
    "plot_cost_accuracy": "plots",
    "choose": "chooser",
    "parse_expression": "expressions",
    "estimate_noise": "noise",
    "read_asv_results": "asv_results",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'diffbench' has no attribute {name!r}")
