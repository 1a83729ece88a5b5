"""methods: every way of computing a derivative behind one interface.

Usable on its own in production code (it never imports ``diffbench``)::

    from methods import get_method, as_vector_function
    f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    est = get_method("central", order=4).gradient(f, [0.3, -1.7, 2.9])
    est.value, est.step, est.nfev, est.error_estimate

``available()`` lists every registered method and whether it can run here.
"""

from importlib import import_module

from .base import FAMILIES, KINDS, NEEDS, GridMethod, Method, RawResult
from .capabilities import Family, Need, ReferenceGrade
from .counting import FunctionEvaluationError
from .estimate import Estimate
from .functions import SymbolicFunction, as_vector_function
from .registry import MethodInfo, available, get_method, method_class, method_names, register

# One adapter family per module; importing a module registers its methods. Optional peers are
# imported lazily inside their adapters, so every module here imports without them.
_ADAPTER_MODULES = (
    "finite_difference",
    "scipy_approx_fprime",
    "numpy_gradient",
    "forward_mode",
    "hyperdual",
    "symbolic",
    "complex_step",
    "extrapolation",
    "scipy_differentiate",
    "peer_numdifftools",
    "peer_findiff",
    "peer_jacobi",
    "peer_autograd",
    "peer_jax",
    "peer_pytensor",
)
for _module in _ADAPTER_MODULES:
    import_module(f"{__name__}.{_module}")
del _module

__all__ = [
    "Estimate",
    "FAMILIES",
    "Family",
    "FunctionEvaluationError",
    "GridMethod",
    "KINDS",
    "Method",
    "MethodInfo",
    "NEEDS",
    "Need",
    "RawResult",
    "ReferenceGrade",
    "SymbolicFunction",
    "as_vector_function",
    "available",
    "get_method",
    "method_class",
    "method_names",
    "register",
]
