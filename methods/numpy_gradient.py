"""``numpy.gradient`` as a method: second-order differences on a grid, one-sided at its edges."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import GridMethod, RawResult
from .batching import evaluate_replaced
from .capabilities import Family
from .counting import CountedFunction
from .derivative_kinds import check_deriv
from .fornberg import optimal_step as fornberg_optimal_step
from .fornberg import stencil
from .grid_kinds import GridKinds, check_kind_name
from .parallel import Workers
from .registry import register
from .validation import check_bool, check_choice, check_workers_setting, representable_step

__all__ = ["NumpyGradient", "POSITIONS", "optimal_step"]

#: Where the point sits on the grid of the point form.
POSITIONS = ("center", "edge")

# The formulas numpy.gradient applies on a uniform grid, as the Fornberg stencil (scheme, order)
# of f'(x): interior, and at the first point for edge_order 1 and 2.
_FORMULAS: dict[str, tuple[str, int]] = {
    "central": ("central", 2),
    "forward-1": ("forward", 1),
    "forward-2": ("forward", 2),
}


def _offsets(formula: str) -> tuple[int, ...]:
    scheme, order = _FORMULAS[formula]
    return tuple(int(s) for s in stencil(scheme, 1, order).offsets)


def optimal_step(formula: str) -> float:
    """Unit-scale step minimising ``|C| h^p + S eps / h`` for a formula of numpy.gradient.

    ``formula`` is ``"central"`` (interior), ``"forward-1"`` or ``"forward-2"`` (the edge
    formulas of ``edge_order`` 1 and 2); the value is :func:`methods.fornberg.optimal_step` of
    that stencil (docs/theory.md#optimal-steps): central ``(3 eps)**(1/3) ~ 8.7e-6``,
    forward ``2 sqrt(eps) ~ 3.0e-8``, one-sided second order ``(6 eps)**(1/3) ~ 1.1e-5``.
    """
    scheme, order = _FORMULAS[formula]
    return fornberg_optimal_step(scheme, 1, order)


@register
class NumpyGradient(GridKinds, GridMethod):
    """``numpy.gradient``: central differences inside the grid, one-sided ones at its edges.

    Grid form: :meth:`grid_gradient` is ``numpy.gradient(values, *spacing, edge_order=...)``, second
    order inside the grid for uniform and non-uniform spacing, order ``edge_order`` on the edges.
    It needs at least ``edge_order + 1`` points along every axis.

    Point form: ``gradient(f, x)`` places ``x`` on a grid of spacing ``step`` and returns
    numpy.gradient's value there. ``numpy.gradient`` along axis ``i`` only combines samples along
    axis ``i``, so instead of a full ``mgrid`` around ``x`` (3**n points) ``f`` is sampled on the
    axis-aligned line through ``x`` along each axis, ``x`` itself once, and ``numpy.gradient`` is
    called on each line: the same numbers a full ``mgrid`` gives, at far fewer evaluations.
    ``position="center"`` puts ``x`` in the middle of 3 points per axis (the central difference,
    whatever ``edge_order``): ``nfev = 2n + 1``. ``position="edge"`` makes ``x`` the first of
    ``edge_order + 1`` points per axis, so numpy's one-sided edge formula is used:
    ``nfev = 1 + n * edge_order`` (forward difference for ``edge_order=1``, the one-sided
    second-order formula for ``edge_order=2``).

    Parameters
    ----------
    edge_order : {1, 2}, optional
        numpy's ``edge_order``; 1 is numpy's default.
    position : {"center", "edge"}, optional
        Where ``x`` sits on the grid of the point form.
    vectorized : bool, optional
        Evaluate the points of the point form in calls of ``f`` on ``(m, n)`` arrays: one where
        they fit in the memory budget of :mod:`methods.batching`, else as few as it allows.
    workers : int or map-like callable, optional
        Evaluate the points of the point form (one call of ``f`` each) in this process (1, the
        default), in a pool of that many processes for the call, or through a map such as
        ``concurrent.futures.Executor.map`` (:mod:`methods.parallel`); values and ``nfev`` are
        those of ``workers=1``.

    Beyond gradients (:mod:`methods.grid_kinds`): ``grid_derivative(values, *spacing, axis=a,
    deriv=k)`` applies ``numpy.gradient`` k times along ``a`` (k up to 4) with this
    ``edge_order``, and ``grid_hessian(values, *spacing)`` nests it: ``[i, i]`` is
    ``gradient`` applied twice along ``i``, ``[i, j]`` is ``gradient(gradient(values, axis=j),
    axis=i)``. Inside the grid this is second order for every k (the k-fold central
    difference, a stencil of width 2k); the first k nodes next to a boundary take values that
    went through the one-sided edge formula, where the order drops (with ``edge_order=1`` to
    O(1) at the second node of a second derivative: the ``edge`` region the sweep scores apart,
    :meth:`edge_width`). Point form: ``derivative(f, x, deriv=k)`` samples the line of ``2k + 1``
    points centred on ``x`` (``position="center"``), or ``k * edge_order + 1`` points starting at
    ``x`` (``"edge"``); ``hessian(f, x)`` samples such lines for the diagonal and ``3 x 3`` (or
    ``(edge_order + 1)**2``) planes for the mixed entries.

    Notes
    -----
    Default step of the point form: the unit-scale optimum of the formula in use
    (:meth:`theoretical_step`), times ``max(1, |x_i|)``, rounded to a representable step
    ``h = (x + h) - x``. A given ``step`` is used as is, after the same rounding.

    Examples
    --------
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    >>> est = get_method("numpy-gradient").gradient(f, [0.3, -1.7, 2.9])
    >>> np.round(est.value, 8).tolist(), est.nfev
    ([-4.93, 0.87, -0.51], 7)
    >>> values = np.array([0.0, 1.0, 4.0, 9.0])  # t**2 at t = 0, 1, 2, 3
    >>> get_method("numpy-gradient", edge_order=2).grid_gradient(values, 1.0)[0].tolist()
    [0.0, 2.0, 4.0, 6.0]
    """

    name: ClassVar[str] = "numpy-gradient"
    family: ClassVar[Family] = Family.GRID
    wraps: ClassVar[str | None] = "numpy"
    kind: ClassVar[str] = "grid"
    requires: ClassVar[tuple[str, ...]] = ("numpy",)
    #: truncation order inside the grid (edges: ``edge_order``)
    truncation_order: ClassVar[int] = 2
    label_params: ClassVar[tuple[str, ...]] = ("edge_order", "position")
    point_form_params: ClassVar[tuple[str, ...]] = ("position", "vectorized", "workers")
    derivative_kinds: ClassVar[frozenset[str]] = frozenset({"gradient", "hessian", "derivative"})
    max_deriv: ClassVar[int] = 4

    def __init__(
        self,
        edge_order: int = 1,
        position: str = "center",
        vectorized: bool = False,
        workers: Workers = 1,
    ):
        self.edge_order = edge_order
        self.position = position
        self.vectorized = vectorized
        self.workers = workers

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """Centre (the central difference) and the edge formulas for ``edge_order`` 1 and 2.

        At the centre ``edge_order`` does not change the point form (the middle of three points
        is the central difference either way), so only ``edge_order=1`` is listed there.
        """
        return [
            {"edge_order": 1, "position": "center"},
            {"edge_order": 1, "position": "edge"},
            {"edge_order": 2, "position": "edge"},
        ]

    def _check_settings(self) -> None:
        if isinstance(self.edge_order, bool) or not isinstance(self.edge_order, int | np.integer):
            raise TypeError(f"`edge_order` must be an integer, got {self.edge_order!r}.")
        check_choice("edge_order", self.edge_order, (1, 2))
        check_choice("position", self.position, POSITIONS)
        check_bool("vectorized", self.vectorized)
        check_workers_setting(self.workers, vectorized=self.vectorized)

    def _formula(self) -> str:
        return "central" if self.position == "center" else f"forward-{self.edge_order}"

    def theoretical_step(self) -> float:
        """Unit-scale optimal step of the point form's formula (docs/theory.md#optimal-steps)."""
        return optimal_step(self._formula())

    def _min_points(self) -> int:
        return self.edge_order + 1

    def _grid_gradient(self, values: np.ndarray, spacing: list) -> list[np.ndarray]:
        out = np.gradient(values, *spacing, edge_order=self.edge_order)
        return [out] if values.ndim == 1 else list(out)

    def _grid_derivative(
        self, values: np.ndarray, spacing: list, axis: int, deriv: int
    ) -> np.ndarray:
        out = values
        for _ in range(deriv):
            out = np.gradient(out, spacing[axis], axis=axis, edge_order=self.edge_order)
        return out

    def _grid_mixed(self, values: np.ndarray, spacing: list, i: int, j: int) -> np.ndarray:
        inner = np.gradient(values, spacing[j], axis=j, edge_order=self.edge_order)
        return np.gradient(inner, spacing[i], axis=i, edge_order=self.edge_order)

    def _kind_min_points(self, deriv: int) -> int:
        return self.edge_order + 1

    def edge_truncation_order(self, derivative_kind: str = "gradient", deriv: int = 1) -> int:
        """The order theory gives at the edge nodes: ``edge_order`` for a gradient; for a k-th
        derivative (numpy.gradient applied k times) each pass after the first divides the edge
        error of the one before by h, so ``max(edge_order - (k - 1), 0)`` (0: no convergence,
        e.g. 50 % error at the second node of a second derivative with ``edge_order=1``,
        docs/theory.md#higher-derivatives); a Hessian as its second derivatives.

        Examples
        --------
        >>> from methods import get_method
        >>> m = get_method("numpy-gradient", edge_order=2)
        >>> m.edge_truncation_order(), m.edge_truncation_order("derivative", 2)
        (2, 1)
        >>> get_method("numpy-gradient").edge_truncation_order("hessian")
        0
        """
        check_kind_name(derivative_kind)
        k = {"gradient": 1, "hessian": 2}.get(derivative_kind) or check_deriv(deriv)
        return max(self.edge_order - (k - 1), 0)

    def _kind_edge_width(self, deriv: int) -> int:
        # pass p of numpy.gradient reaches the first p nodes through the edge formula
        return deriv

    def _line_offsets(self, deriv: int) -> tuple[int, ...]:
        if self.position == "center":
            return tuple(range(-deriv, deriv + 1))
        return tuple(range(max(deriv * self.edge_order, self.edge_order) + 1))

    def _kind_theoretical_step(self, deriv: int) -> float:
        """Unit-scale optimum of the centred (``"center"``) or one-sided (``"edge"``) stencil of
        the ``deriv``-th derivative of order 2 (``edge_order``): the stencil numpy's k-fold
        difference approximates."""
        if self.position == "center":
            return fornberg_optimal_step("central", deriv, 2)
        return fornberg_optimal_step("forward", deriv, self.edge_order)

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        h = self._representable_step(x, step)
        offsets = _offsets(self._formula())
        at = offsets.index(0)
        moved = [j for j, s in enumerate(offsets) if s != 0]
        n, k = x.size, len(moved)
        # point 0 is x; points 1 + i*k ... are the moved points of axis i (built as evaluated)
        shifted = x[:, None] + np.array([offsets[j] for j in moved])[None, :] * h[:, None]
        coords = np.concatenate([[-1], np.repeat(np.arange(n), k)])
        y = evaluate_replaced(
            f,
            x,
            coords,
            np.concatenate([[0.0], shifted.ravel()]),
            vectorized=self.vectorized,
            workers=self.workers,
        )
        value = np.empty(n)
        line = np.empty(len(offsets))
        for i in range(n):
            line[at] = y[0]
            line[moved] = y[1 + i * k : 1 + (i + 1) * k]
            with np.errstate(invalid="ignore"):  # f already warned about its non-finite value
                value[i] = np.gradient(line, h[i], edge_order=self.edge_order)[at]
        return RawResult(value=value, step=h)

    def _representable_step(self, x: np.ndarray, step: np.ndarray | None) -> np.ndarray:
        if step is None:
            step = self.theoretical_step() * np.maximum(1.0, np.abs(x))
        return representable_step(x, step)
