"""What the asv suite measures, read from the method registry and the problem battery at import.

New methods join automatically: every registered method and each of its ``variants()`` is a
configuration (:func:`diffbench.runner.resolve_methods`, the sweep's own enumeration, so labels and
settings are those of ``diffbench run``). A configuration that cannot run here (an optional peer
that is not installed, a method raising on a problem or returning NaN) is skipped the asv way,
by raising ``NotImplementedError`` in ``setup`` with the reason; it is never recorded as zero.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from diffbench.runner import MethodConfig, resolve_methods
from methods.functions import has_expression

#: Problems of the step sweep and the grids: the seed, a smooth function and one of each main
#: hazard. asv runs every parameter combination in its own process (~20-40 ms each here), so the
#: step sweep (every step configuration x problem x step) is kept to these, at their first point.
STEP_PROBLEMS = ("seed-product", "exp-sin", "sin50", "log-large", "pole", "x-abs-x")
#: Steps of the step sweep: 1e-1 to 1e-15 by decades (the same floats as the sweep's decades).
STEPS = tuple(10.0**-k for k in range(1, 16))
#: Dimensions of the Rosenbrock function in the cost benchmarks.
SIZES = (2, 10, 100, 1000)

#: Every configuration of every registered method, by label.
CONFIGS: dict[str, MethodConfig] = {c.label: c for c in resolve_methods()}


def labels(*kinds: str) -> list[str]:
    """Labels of the configurations whose method kind is one of ``kinds``, in registry order."""
    return [label for label, c in CONFIGS.items() if c.kind in kinds]


def default_configs() -> dict[str, MethodConfig]:
    """One configuration per registered method, its default settings, by method name."""
    import methods

    return {c.name: c for c in resolve_methods([{"name": n} for n in methods.method_names()])}


def require(config: MethodConfig, problem: Any = None) -> None:
    """Raise ``NotImplementedError`` (asv: skipped) if ``config`` cannot run on ``problem``."""
    if not config.available:
        raise NotImplementedError(f"{config.label}: {config.reason}")
    if problem is not None and "expression" in config.needs:
        f = problem.function
        if not has_expression(f):
            raise NotImplementedError(f"{config.label} needs a SymPy expression; {problem.name}")


def gradient_or_skip(method: Any, f: Any, x: np.ndarray, step: float | None = None) -> Any:
    """``method.gradient(f, x, step=step)``; a method that raises or gives NaN is skipped.

    asv stores a skipped combination and a returned NaN the same way (NaN, shown as n/a), so
    both outcomes are skips here, with the reason in the message (``asv run --show-stderr``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est = method.gradient(f, x, step=step)
        except Exception as exc:
            raise NotImplementedError(f"{method.label} raised {type(exc).__name__}: {exc}") from exc
    if np.any(np.isnan(est.value)):
        raise NotImplementedError(f"{method.label} returned NaN at x={x.tolist()}")
    return est


def rosenbrock(x: np.ndarray) -> np.ndarray:
    """The extended Rosenbrock function, numpy-vectorized: ``(n,) -> ()`` and ``(m, n) -> (m,)``.

    The function a user would write (the battery's ``rosenbrock(n).function`` is SymPy's
    lambdified expression, a call with n arguments, ~1.8 ms at n = 1000 against ~7 us here).
    It works unchanged on complex and dual-number arrays.
    """
    a = x[..., :-1]
    b = x[..., 1:]
    return np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2, axis=-1)


def rosenbrock_start(n: int) -> np.ndarray:
    """The classic start ``(-1.2, 1, -1.2, 1, ...)``, the first point of ``rosenbrock(n)``."""
    return np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
