"""Test configuration: hypothesis runs the same examples in CI (CI=true), new ones locally."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must not fail on an example nobody has seen before; local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# --------------------------------------------------------------------------------------------
# Small methods shared by the sweep, kernel, figure and report tests (not registered). A test file
# that needs another name or family subclasses one of them with just those class attributes.
# --------------------------------------------------------------------------------------------
import math  # noqa: E402
from typing import ClassVar  # noqa: E402

import numpy as np  # noqa: E402

from methods import GridMethod, Method, RawResult  # noqa: E402

EPS = float(np.finfo(float).eps)


def central_point_gradient(f, x, step, default: float = 1e-5) -> RawResult:
    """Central difference along every axis: the point form several tiny methods share."""
    h = np.full(x.size, default) if step is None else step
    g = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h[i]
        g[i] = (f(x + e) - f(x - e)) / (2 * h[i])
    return RawResult(value=g, step=h)


class TinyForward(Method):
    """Forward difference; reports the representable step it used (default ``default_step``)."""

    name: ClassVar[str] = "tiny-forward"
    family: ClassVar[str] = "finite-difference"
    kind: ClassVar[str] = "step"
    order = 1
    default_step: ClassVar[float] = 1e-6

    def theoretical_step(self) -> float:
        return 2 * math.sqrt(EPS)

    def _gradient(self, f, x, step):
        h = np.full(x.size, self.default_step) if step is None else step.copy()
        f0 = f(x)
        g = np.empty(x.size)
        for i in range(x.size):
            xp = x.copy()
            xp[i] += h[i]
            h[i] = xp[i] - x[i]
            g[i] = (f(xp) - f0) / h[i]
        return RawResult(value=g, step=h)


class TinyCentral(Method):
    """Central difference at 1e-5 (the point form of :class:`TinyGrid` too)."""

    name: ClassVar[str] = "tiny-central"
    family: ClassVar[str] = "finite-difference"
    kind: ClassVar[str] = "step"
    order = 2

    def _gradient(self, f, x, step):
        return central_point_gradient(f, x, step)


class TinyComplex(Method):
    """Complex step: no subtraction, useful down to tiny steps."""

    name: ClassVar[str] = "tiny-complex"
    family: ClassVar[str] = "complex-step"
    kind: ClassVar[str] = "step"
    order = 2
    needs: ClassVar[frozenset] = frozenset({"complex"})
    smallest_useful_step: ClassVar[float] = 1e-300
    steps_along_x: ClassVar[bool] = False  # the step is imaginary

    def _gradient(self, f, x, step):
        h = np.full(x.size, 1e-20) if step is None else step
        g = np.empty(x.size)
        for i in range(x.size):
            xc = x.astype(complex)
            xc[i] += 1j * h[i]
            g[i] = np.imag(f(xc)) / h[i]
        return RawResult(value=g, step=h)


class TinyRaise(Method):
    """Always raises ``error(message)``."""

    name: ClassVar[str] = "tiny-raise"
    family: ClassVar[str] = "symbolic"
    kind: ClassVar[str] = "exact"
    error: ClassVar[type[Exception]] = ValueError
    message: ClassVar[str] = "boom at the point"

    def _gradient(self, f, x, step):
        raise self.error(self.message)


class TinyMissing(Method):
    name: ClassVar[str] = "tiny-missing"
    family: ClassVar[str] = "reverse-mode AD"
    kind: ClassVar[str] = "exact"
    requires: ClassVar[tuple] = ("no_such_module_for_diffbench_tests",)

    def _gradient(self, f, x, step):  # pragma: no cover - never runs
        raise AssertionError


class TinyGrid(GridMethod):
    """numpy.gradient with edges of order ``edge_order``; central differences at a point."""

    name: ClassVar[str] = "tiny-grid"
    order = 2
    edge_order: ClassVar[int] = 1

    def _grid_gradient(self, values, spacing):
        out = np.gradient(values, *spacing, edge_order=self.edge_order)
        return list(out) if isinstance(out, tuple | list) else [out]

    def _gradient(self, f, x, step):
        return central_point_gradient(f, x, step)
