"""Grid methods' k-th derivatives and Hessians on sampled grids, scored at every node.

The kind counterpart of :func:`diffbench.measure.sample_grid` and
:func:`~diffbench.measure.measure_grid`: a problem of :mod:`diffbench.battery_kinds` with a
``domain`` is sampled once on the uniform grid of ``size`` points per axis
(:func:`sample_kind_grid`, evaluations counted, the exact k-th derivative or Hessian at every
node from :mod:`diffbench.truth`'s certified mpmath ladder, never from a method), then each grid
method differentiates the samples (``grid_derivative`` along axis 0, or ``grid_hessian``) and is
scored by :func:`measure_kind_grid` over two regions, as gradient grids are:

* ``edge``: the nodes within ``method.edge_width(kind, deriv)`` of a boundary, those a one-sided
  formula reaches (for ``numpy.gradient`` applied k times, the first k nodes; for findiff, half
  its centred stencil) -- for a gradient that width is 1, the boundary nodes;
* ``interior``: the others.

Errors are :func:`diffbench.metrics.matrix_error`'s over every entry at every node of the
region (max-norm, relative to the largest true entry there); a Hessian also gets its
``asymmetry`` (``max |H - H^T| / max |H|`` over the nodes).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from methods.counting import CountedFunction

from .measure import Measurement, first_warning, grid_axes, one_line, score_regions
from .metrics import matrix_error
from .schema import Status

__all__ = ["KindGridSample", "band_mask", "sample_kind_grid", "measure_kind_grid"]


def band_mask(shape: tuple[int, ...], width: int) -> np.ndarray:
    """Boolean mask of the nodes within ``width`` of a boundary, flattened in ``np.mgrid`` order.

    Examples
    --------
    >>> band_mask((6,), 2).tolist()
    [True, True, False, False, True, True]
    >>> int(band_mask((5, 5), 1).sum())  # the boundary nodes
    16
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
        raise ValueError(f"`width` must be an integer >= 1, got {width!r}.")
    band = np.zeros(shape, dtype=bool)
    for axis, n in enumerate(shape):
        index: list[Any] = [slice(None)] * len(shape)
        for part in (slice(0, min(width, n)), slice(max(n - width, 0), n)):
            index[axis] = part
            band[tuple(index)] = True
    return band.reshape(-1)


@dataclass(frozen=True, eq=False)
class KindGridSample:
    """A kind problem's formula sampled on a uniform grid, with the exact values at its nodes.

    Attributes
    ----------
    size : int
        Points per axis.
    axes : list of numpy.ndarray
        The coordinates along each axis.
    values : numpy.ndarray or None
        ``f`` at the nodes (shape of the grid); None if sampling failed.
    exact : numpy.ndarray or None
        The exact k-th derivative (shape ``(nodes, 1)``) or Hessian (``(nodes, d * d)``, rows in
        C order) at the nodes, in ``np.mgrid`` order.
    spacing : float
        The largest spacing along any axis (the ``step`` of a grid row).
    nfev : int or None
        Evaluations of ``f`` made while sampling, counted.
    error : str
        One line if sampling or the truth failed (then every method gets ``error``).
    warning : str
        The first warning raised while sampling, or ``""``.
    """

    size: int
    axes: list[np.ndarray]
    values: np.ndarray | None
    exact: np.ndarray | None
    spacing: float
    nfev: int | None
    error: str = ""
    warning: str = ""


class _Columns:
    """``f(X) = fn(*X.T)`` on an ``(m, d)`` array of points, broadcast to shape ``(m,)``."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        out = np.asarray(self.fn(*np.moveaxis(X, -1, 0)), dtype=float)
        return np.broadcast_to(out, X.shape[:-1]).copy()


def sample_kind_grid(problem: Any, size: int) -> KindGridSample:
    """Sample a kind problem on the uniform grid of ``size`` points per axis over its domain.

    Parameters
    ----------
    problem : diffbench.battery_kinds.KindProblem
        A ``derivative`` or ``hessian`` problem with a ``domain``.
    size : int
        Points per axis (at least 2).

    Returns
    -------
    KindGridSample
        Exceptions while sampling or computing the truth are caught into ``error``.

    Examples
    --------
    >>> from diffbench.battery_kinds import get_kind_problem
    >>> s = sample_kind_grid(get_kind_problem("seed-square-d2"), 5)
    >>> s.exact.ravel().tolist(), s.nfev
    ([2.0, 2.0, 2.0, 2.0, 2.0], 5)
    """
    from methods.grids import sample, tensor_points

    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 2:
        raise ValueError(f"`size` must be an integer >= 2, got {size!r}.")
    if problem.kind not in ("derivative", "hessian") or problem.domain is None:
        raise ValueError(
            f"`problem` {problem.name!r} must be a derivative or hessian problem with a domain."
        )
    axes = grid_axes(problem.domain, int(size))
    spacing = max(float((a[-1] - a[0]) / (a.size - 1)) for a in axes)
    fn = sympy.lambdify(problem.symbols, problem.exprs[0], modules="numpy")
    counted = CountedFunction(_Columns(fn), "grid sampling")
    values = truth = None
    error = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exact = problem.exact()
            nodes = tensor_points(axes)
            truth = exact.many(nodes).reshape(len(nodes), -1)
            values = sample(counted, axes)
        except Exception as exc:
            error = one_line(exc)
    return KindGridSample(
        size=int(size),
        axes=axes,
        values=None if error else values,
        exact=None if error else truth,
        spacing=spacing,
        nfev=None if error else counted.nfev,
        error=error,
        warning=first_warning(caught),
    )


def _estimate(method: Any, sample: KindGridSample, derivative_kind: str, deriv: Any) -> np.ndarray:
    """The method's estimate at every node, shaped like ``sample.exact``."""
    if derivative_kind == "derivative":
        d = method.grid_derivative(sample.values, *sample.axes, axis=0, deriv=deriv)
        return np.asarray(d, dtype=float).reshape(-1, 1)
    h = np.asarray(method.grid_hessian(sample.values, *sample.axes), dtype=float)
    dim = h.shape[0]
    return h.reshape(dim * dim, -1).T


def _asymmetry(part: np.ndarray) -> float:
    """``max |H - H^T| / max |H|`` over the Hessians of a region (rows of ``d * d`` entries)."""
    dim = math.isqrt(part.shape[1])
    h = part.reshape(-1, dim, dim)
    scale = float(np.max(np.abs(h)))
    diff = float(np.max(np.abs(h - h.transpose(0, 2, 1))))
    return diff / scale if scale > 0 else diff


def measure_kind_grid(
    method: Any, sample: KindGridSample, derivative_kind: str, deriv: int | None = None
) -> dict[str, Measurement]:
    """One grid method's k-th derivative or Hessian on one sampled grid, scored by region.

    Parameters
    ----------
    method : methods.GridMethod
        A grid method with ``grid_derivative``/``grid_hessian`` and ``edge_width``.
    sample : KindGridSample
        From :func:`sample_kind_grid`.
    derivative_kind : {"derivative", "hessian"}
    deriv : int, optional
        The order k of a derivative (required for it).

    Returns
    -------
    dict
        ``{"interior": Measurement, "edge": Measurement}``, as
        :func:`diffbench.measure.measure_grid` gives them (``error`` if sampling failed or the
        method raised, ``skipped`` for a region without nodes, ``non-finite`` for NaN there).

    Examples
    --------
    >>> import methods
    >>> from diffbench.battery_kinds import get_kind_problem
    >>> s = sample_kind_grid(get_kind_problem("sin-exp-log-d2"), 64)
    >>> out = measure_kind_grid(methods.get_method("findiff", acc=4), s, "derivative", 2)
    >>> str(out["interior"].status), out["interior"].rel_error < 1e-4
    ('ok', True)
    """
    if derivative_kind not in ("derivative", "hessian"):
        raise ValueError(
            f"`derivative_kind` must be derivative or hessian on a grid, got {derivative_kind!r}."
        )
    if derivative_kind == "derivative" and deriv is None:
        raise ValueError("`deriv` is required for a derivative measurement.")
    common = dict(step_used=sample.spacing, nfev=sample.nfev)
    if sample.error:
        failed = Measurement(Status.ERROR, message=sample.error, **common)
        return {"interior": failed, "edge": failed}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = _estimate(method, sample, derivative_kind, deriv)
            edge = band_mask(sample.values.shape, method.edge_width(derivative_kind, deriv or 1))
        except Exception as exc:
            failed = Measurement(Status.ERROR, message=one_line(exc), exception=exc, **common)
            return {"interior": failed, "edge": failed}
    warning = first_warning(caught) or sample.warning

    def score(part: np.ndarray, exact: np.ndarray) -> dict[str, float]:
        absolute, relative = matrix_error(part, exact)
        asym = _asymmetry(part) if derivative_kind == "hessian" else math.nan
        return {"abs_error": absolute, "rel_error": relative, "asymmetry": asym}

    return score_regions(est, sample.exact, edge, sample.size, warning, common, score)
