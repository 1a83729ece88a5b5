"""Grid methods beyond gradients: k-th derivatives along an axis and Hessians.

:class:`GridKinds` gives a :class:`~methods.base.GridMethod` the grid form of its higher
derivatives, called like ``grid_gradient`` (sampled ``values``, then the spacing as
``numpy.gradient`` takes it):

* ``grid_derivative(values, *spacing, axis=0, deriv=k)``: the k-th partial derivative along
  ``axis`` at every node, an array of the shape of ``values``;
* ``grid_hessian(values, *spacing)``: every second partial at every node, shape
  ``(d, d, *values.shape)``; each mixed partial is computed once and stored at ``[i, j]`` and
  ``[j, i]``, so the Hessian is symmetric by construction.

and their point form, the ``derivative(f, x, deriv=k)`` and ``hessian(f, x)`` of
:class:`~methods.base.Method`: ``f`` is sampled on the axis-aligned line (a diagonal entry or a
k-th derivative) or plane (a mixed entry) through ``x`` with spacing ``step``, ``x`` placed as
the method's ``position`` says, and the grid form's value at ``x`` is kept. Points shared by
several entries (``x`` itself, the lines on a plane) are evaluated once.

A method using the mixin implements the hooks ``_grid_derivative(values, spacing, axis,
deriv)``, ``_grid_mixed(values, spacing, i, j)``, ``_kind_min_points(deriv)`` (fewest samples
per axis), ``_line_offsets(deriv)`` (the point form's sample offsets, 0 included),
``_kind_theoretical_step(deriv)`` (unit-scale default step) and :meth:`GridKinds.edge_width`
(how many nodes next to each boundary a one-sided formula reaches: the sweep's ``edge`` region).
:meth:`GridKinds.edge_truncation_order` declares the order theory gives in that region (the
method's ``truncation_order`` unless its edge formulas lose order, as ``numpy.gradient``'s do).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .base import RawResult
from .counting import CountedFunction
from .derivative_kinds import check_deriv, check_kind
from .validation import check_step_power, representable_step

__all__ = ["GridKinds", "check_axis", "check_kind_name"]

#: The kinds a grid method differentiates on a grid.
GRID_KINDS = ("gradient", "derivative", "hessian")


def check_kind_name(derivative_kind: Any) -> str:
    """``derivative_kind`` if it is one a grid method computes on a grid, else raise naming it.

    Examples
    --------
    >>> check_kind_name("hessian")
    'hessian'
    """
    if derivative_kind not in GRID_KINDS:
        raise ValueError(
            f"`derivative_kind` must be one of {', '.join(GRID_KINDS)}, got {derivative_kind!r}."
        )
    return derivative_kind


def check_axis(axis: Any, ndim: int) -> int:
    """``axis`` as an int in ``[0, ndim)`` (negative counts from the end), else raise naming it.

    Examples
    --------
    >>> check_axis(-1, 3)
    2
    """
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be an integer, got {type(axis).__name__} {axis!r}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"`axis` must be in [{-ndim}, {ndim}) for {ndim}-D values, got {axis}.")
    return int(axis) % ndim


class GridKinds:
    """Mixin: k-th derivatives and Hessians of a grid method, grid form and point form.

    List it before :class:`~methods.base.GridMethod` (``class M(GridKinds, GridMethod)``): its
    ``_derivative`` and ``_hessian`` replace the base's, and it validates input with
    ``GridMethod._grid_input``.
    """

    # -- grid form -----------------------------------------------------------------------------
    def grid_derivative(
        self, values: Any, *spacing: Any, axis: int = 0, deriv: int = 1
    ) -> np.ndarray:
        """The ``deriv``-th partial derivative along ``axis`` at every node of a sampled grid.

        Parameters
        ----------
        values : array_like, shape (N1, ..., Nd)
            ``f`` sampled on a tensor grid.
        *spacing : scalar or array_like, optional
            As for ``grid_gradient`` (and ``numpy.gradient``): nothing, one scalar, one scalar
            per axis, or one strictly increasing coordinate array per axis.
        axis : int, default 0
            The axis to differentiate along.
        deriv : int, default 1
            The order k, from 1 to the method's ``max_deriv``.

        Returns
        -------
        numpy.ndarray
            Of the shape of ``values``.

        Raises
        ------
        NotImplementedError
            If ``deriv`` is above ``max_deriv`` (the message names ``deriv``).
        """
        deriv = check_deriv(deriv)
        check_kind(self, "derivative", deriv)
        vals, steps = self._grid_input(values, spacing, self._kind_min_points(deriv))
        axis = check_axis(axis, vals.ndim)
        return np.asarray(self._grid_derivative(vals, steps, axis, deriv), dtype=float)

    def grid_hessian(self, values: Any, *spacing: Any) -> np.ndarray:
        """Every second partial derivative at every node of a sampled grid.

        Parameters
        ----------
        values : array_like, shape (N1, ..., Nd)
            ``f`` sampled on a tensor grid.
        *spacing : scalar or array_like, optional
            As for :meth:`grid_derivative`.

        Returns
        -------
        numpy.ndarray, shape (d, d, N1, ..., Nd)
            ``[i, i]``: the second derivative along axis i; ``[i, j]`` and ``[j, i]``: the one
            mixed partial ``d^2 f / dx_i dx_j`` (symmetric by construction).
        """
        check_kind(self, "hessian")
        vals, steps = self._grid_input(values, spacing, self._kind_min_points(2))
        d = vals.ndim
        out = np.empty((d, d, *vals.shape))
        for i in range(d):
            out[i, i] = self._grid_derivative(vals, steps, i, 2)
            for j in range(i + 1, d):
                out[i, j] = out[j, i] = self._grid_mixed(vals, steps, i, j)
        return out

    def edge_width(self, derivative_kind: str = "gradient", deriv: int = 1) -> int:
        """Nodes next to each boundary whose value involves a one-sided formula.

        1 for a gradient (the boundary nodes); for a k-th derivative or a Hessian (the widest
        of its second and mixed entries) it depends on the method (:meth:`_kind_edge_width`).
        The sweep scores these nodes as the ``edge`` region and the others as ``interior``.
        """
        if derivative_kind == "gradient":
            return 1
        if derivative_kind == "hessian":
            return max(self._kind_edge_width(2), self._kind_edge_width(1))
        return self._kind_edge_width(check_deriv(deriv))

    def edge_truncation_order(self, derivative_kind: str = "gradient", deriv: int = 1) -> int:
        """The order theory gives in the ``edge`` region (:meth:`edge_width`): the error there
        falls like ``h**p``; 0 means it does not fall as the grid is refined.

        The method's ``truncation_order`` by default (one-sided stencils of the same accuracy
        at the edges, as findiff builds them); a method whose edge formulas lose order
        overrides it.

        Examples
        --------
        >>> from methods import get_method
        >>> get_method("findiff", acc=4).edge_truncation_order("derivative", 3)
        4
        """
        check_kind_name(derivative_kind)
        return int(self.truncation_order)

    # -- point form ----------------------------------------------------------------------------
    def _kind_step(self, x: np.ndarray, step: Any, deriv: int) -> np.ndarray:
        given = step is not None
        if not given:
            step = self._kind_theoretical_step(deriv) * np.maximum(1.0, np.abs(x))
        h = representable_step(x, np.broadcast_to(np.asarray(step, dtype=float), x.shape))
        check_step_power(h, deriv, default="" if given else "default")
        return h

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        h = self._kind_step(x, step, deriv)
        offsets = self._line_offsets(deriv)
        line = np.empty(len(offsets))
        for k, o in enumerate(offsets):
            line[k] = f(x + o * h if o else x.copy())
        with np.errstate(invalid="ignore"):
            d = self._grid_derivative(line, [float(h[0])], 0, deriv)
        return RawResult(value=np.array([d[offsets.index(0)]]), step=h)

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        h = self._kind_step(x, step, 2)
        memo: dict[tuple, float] = {}

        def value(moves: dict[int, int]) -> float:
            key = tuple(sorted((a, o) for a, o in moves.items() if o))
            if key not in memo:
                point = x.copy()
                for a, o in key:
                    point[a] = x[a] + o * h[a]
                memo[key] = float(f(point))
            return memo[key]

        n = x.size
        out = np.empty((n, n))
        diag, side = self._line_offsets(2), self._line_offsets(1)
        at2, at1 = diag.index(0), side.index(0)
        with np.errstate(invalid="ignore"):
            for i in range(n):
                line = np.array([value({i: o}) for o in diag])
                out[i, i] = self._grid_derivative(line, [float(h[i])], 0, 2)[at2]
                for j in range(i + 1, n):
                    plane = np.array([[value({i: a, j: b}) for b in side] for a in side])
                    mixed = self._grid_mixed(plane, [float(h[i]), float(h[j])], 0, 1)
                    out[i, j] = out[j, i] = mixed[at1, at1]
        return RawResult(value=out, step=h)

    # -- hooks ---------------------------------------------------------------------------------
    def _grid_derivative(self, values: np.ndarray, spacing: list, axis: int, deriv: int) -> Any:
        raise NotImplementedError

    def _grid_mixed(self, values: np.ndarray, spacing: list, i: int, j: int) -> Any:
        raise NotImplementedError

    def _kind_min_points(self, deriv: int) -> int:
        raise NotImplementedError

    def _kind_edge_width(self, deriv: int) -> int:
        raise NotImplementedError

    def _line_offsets(self, deriv: int) -> tuple[int, ...]:
        raise NotImplementedError

    def _kind_theoretical_step(self, deriv: int) -> float:
        raise NotImplementedError
