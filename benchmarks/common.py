"""What the asv suite measures, read from the method registry and the problem battery at import.

New methods join automatically: every registered method and each of its ``variants()`` is a
configuration (:func:`diffbench.configs.resolve_methods`, the sweep's own enumeration, so labels and
settings are those of ``diffbench run``). A configuration that cannot run here (an optional peer
that is not installed, a method raising on a problem or returning NaN) is skipped the asv way,
by raising ``NotImplementedError`` in ``setup`` with the reason; it is never recorded as zero.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

from diffbench.configs import MethodConfig, cannot_apply, resolve_methods
from diffbench.measure import Measurement, measure_gradient
from diffbench.schema import Status

#: Problems of the step sweep and the grids: the seed, a smooth function and one of each main
#: hazard. asv runs every parameter combination in its own process (~20-40 ms each here), so the
#: step sweep (every step configuration x problem x step) is kept to these, at their first point.
STEP_PROBLEMS = ("seed-product", "exp-sin", "sin50", "log-large", "pole", "x-abs-x")
#: Relative steps of the step sweep (scaled by ``max(1, |x_i|)``, as the sweep's): 1e-1 to 1e-15
#: by decades (the same floats as the sweep's decades).
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
    """Raise ``NotImplementedError`` (asv: skipped) if ``config`` cannot run on ``problem``.

    The sweep's rule (:func:`diffbench.configs.cannot_apply`); without a problem only whether
    the configuration is available here.
    """
    if not config.available:
        raise NotImplementedError(f"{config.label}: {config.reason}")
    reason = "" if problem is None else cannot_apply(config, problem)
    if reason:
        raise NotImplementedError(f"{config.label} on {problem.name}: {reason}")


def skip_unless_ok(m: Measurement, label: str, where: str) -> Measurement:
    """``m`` if its status is ``ok``, else ``NotImplementedError`` (asv: skipped) saying why.

    asv stores a skipped combination and a returned NaN the same way (NaN, shown as n/a), so a
    method that raised and one that returned NaN are both skips here, with the kernel's message
    (``asv run --show-stderr`` prints it).
    """
    if m.status == Status.ERROR:
        raise NotImplementedError(f"{label} raised {m.message}")
    if m.status == Status.NONFINITE:
        raise NotImplementedError(f"{label} returned NaN {where}: {m.message}")
    if not m.ok:
        raise NotImplementedError(f"{label}: {m.message}")
    return m


def measure_or_skip(
    method: Any, f: Any, x: np.ndarray, truth: Any = None, step: float | None = None
) -> Measurement:
    """:func:`diffbench.measure.measure_gradient`, the sweep's kernel; what is not ``ok`` is
    skipped (:func:`skip_unless_ok`)."""
    m = measure_gradient(method, f, x, truth, step=step)
    return skip_unless_ok(m, method.label, f"at x={np.asarray(x).tolist()}")


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


def loop_count(target: float, fn: Callable[[], object]) -> int:
    """Loop count (1, 2, 5, 10, 20, ...) making one repeat of ``fn`` last ``target`` seconds."""
    timer = timeit.Timer(fn)
    number = 1
    for exponent in range(9):
        for k in (1, 2, 5):
            number = k * 10**exponent
            if timer.timeit(number) >= target:
                return number
    return number
