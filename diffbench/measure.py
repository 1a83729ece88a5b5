"""The measuring kernel: one gradient at a point, or one method on one sampled grid.

Everything that scores a method calls these functions: the sweep's tasks
(:mod:`diffbench.execute`), the asv benchmarks (``benchmarks/``) and, later, the chooser. The
rules live here once:

* A method that **raises** gives status ``error`` with the exception as one line.
* An estimate with **NaN** coordinates gives status ``non-finite``; the message counts the NaN
  coordinates and quotes the first warning caught during the call (usually ``f`` meeting a value
  outside its domain).
* Otherwise the status is ``ok`` and the errors are :func:`diffbench.metrics.gradient_error`'s
  (max-norm absolute and relative error); an infinite estimate scores infinite errors.
* **nfev is counted, never reconstructed**: a point measurement takes it from the method's
  :class:`methods.Estimate`; a grid counts the evaluations of ``f`` made while sampling it through
  :class:`methods.counting.CountedFunction`.

A grid is sampled once (:func:`sample_grid`) and then measured for any number of grid methods
(:func:`measure_grid`), each scored separately over the grid's boundary nodes (region ``edge``:
first or last index along some axis, :func:`edge_mask`) and over the others (``interior``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from methods.counting import CountedFunction

from .metrics import asymmetry, gradient_error, matrix_error, pointwise_errors
from .schema import Status

__all__ = [
    "Measurement",
    "GridSample",
    "measure_gradient",
    "measure_steps",
    "measure_kind",
    "call_kind",
    "sample_grid",
    "measure_grid",
    "score_regions",
    "edge_mask",
    "grid_axes",
    "grid_spacing",
    "one_line",
    "first_warning",
]

#: Longest message kept in a row (exception and warning texts are cut to it).
MAX_MESSAGE = 300


def one_line(exc: BaseException) -> str:
    """``"TypeName: text"`` of an exception on one line, cut to :data:`MAX_MESSAGE` characters.

    Examples
    --------
    >>> one_line(ValueError("bad\\nvalue"))
    'ValueError: bad value'
    """
    return _cut(f"{type(exc).__name__}: {exc}")


def first_warning(caught: Sequence[warnings.WarningMessage]) -> str:
    """The first of the caught warnings as ``"Category: text"`` on one line, or ``""``."""
    for w in caught:
        return _cut(f"{w.category.__name__}: {w.message}")
    return ""


def _cut(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _largest(a: Any) -> float:
    """Largest magnitude of a per-coordinate array (``Estimate.step``, ``error_estimate``)."""
    if a is None:
        return math.nan
    arr = np.asarray(a, dtype=float)
    if arr.size == 0:
        return math.nan
    largest = float(np.max(np.abs(arr)))  # NaN if any NaN: then the largest of the others
    if largest == largest:
        return largest
    return math.nan if np.all(np.isnan(arr)) else float(np.nanmax(np.abs(arr)))


@dataclass(frozen=True)
class Measurement:
    """The outcome of one measurement, as it goes into a row of the results table.

    Attributes
    ----------
    status : Status
        ``ok``, ``non-finite``, ``error`` or ``skipped``.
    abs_error, rel_error : float
        Max-norm errors against the truth (NaN unless ``ok`` and a truth was given).
    step_used : float
        Largest step the method reports it took (a grid: its largest spacing); NaN if none.
    error_estimate : float
        Largest error estimate the method reports; NaN if none.
    nfev : int or None
        Evaluations of ``f``, counted; None when nothing was counted (the method raised).
    message : str
        Why the status is not ``ok`` (empty otherwise).
    asymmetry : float
        Of a Hessian estimate, :func:`diffbench.metrics.asymmetry`; NaN otherwise.
    value : numpy.ndarray or None
        The estimate: the gradient (shape ``(n,)``) at a point, the gradients at the region's
        nodes (shape ``(m, n)``) on a grid; None if the method raised.
    estimate : methods.Estimate or None
        The method's whole :class:`methods.Estimate` (per-coordinate steps and error
        estimates) from :func:`measure_gradient`; None on a grid or if the method raised. Not
        compared, not a column.
    exception : BaseException or None
        What the method raised (:func:`measure_gradient`), None otherwise. Not compared, not a
        column.
    """

    status: Status
    abs_error: float = math.nan
    rel_error: float = math.nan
    step_used: float = math.nan
    error_estimate: float = math.nan
    nfev: int | None = None
    message: str = ""
    asymmetry: float = math.nan
    value: np.ndarray | None = field(default=None, compare=False, repr=False)
    estimate: Any = field(default=None, compare=False, repr=False)
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the status is ``ok``."""
        return self.status == Status.OK

    def as_row(self) -> dict[str, Any]:
        """The columns of the results table this measurement fills (``value`` is not one).

        Examples
        --------
        >>> Measurement(Status.ERROR, message="ValueError: boom").as_row()["status"]
        'error'
        """
        return {
            "status": str(self.status),
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "step_used": self.step_used,
            "error_estimate": self.error_estimate,
            "nfev": self.nfev,
            "message": self.message,
            "asymmetry": self.asymmetry,
        }


def measure_gradient(
    method: Any, f: Any, x: Any, truth: Any = None, *, step: Any = None
) -> Measurement:
    """One gradient of ``f`` at ``x`` by ``method``, scored against ``truth``.

    Parameters
    ----------
    method : methods.Method
        A method instance (``method.gradient(f, x, step=step)`` is called once).
    f : callable
        The function.
    x : array_like, shape (n,)
        The point.
    truth : array_like, shape (n,), optional
        The exact gradient at ``x``. Without it nothing is scored: the errors are NaN and the
        status says only whether the estimate is finite.
    step : float or array_like, optional
        Passed to ``gradient`` as given; None lets the method choose.

    Returns
    -------
    Measurement
        ``error`` if the method raised, ``non-finite`` if the estimate has NaN coordinates,
        else ``ok`` with the errors; ``nfev``, ``step_used`` and ``error_estimate`` are read from
        the method's :class:`methods.Estimate` (kept whole in ``estimate``; what the method
        raised in ``exception``). Warnings are caught; the first one is quoted in a
        ``non-finite`` message. Only ``Exception`` is caught: ``KeyboardInterrupt``,
        ``SystemExit`` and other ``BaseException`` pass through.

    Examples
    --------
    >>> import numpy as np, methods
    >>> m = measure_gradient(methods.get_method("central"), np.exp, [0.0], [1.0], step=1e-5)
    >>> str(m.status), m.nfev, m.rel_error < 1e-9
    ('ok', 2, True)
    """
    x = np.asarray(x, dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = method.gradient(f, x, step=step)
        except Exception as exc:
            return Measurement(Status.ERROR, message=one_line(exc), exception=exc)
    value = np.asarray(est.value, dtype=float)
    return _scored(est, value, caught, truth, gradient_error, "coordinates")


def measure_steps(
    method: Any, f: Any, x: Any, truth: Any = None, steps: Sequence[Any] = (None,)
) -> list[Measurement]:
    """:func:`measure_gradient` at each of ``steps``: the same measurements, in one pass.

    One warnings context for all the calls (each call's warnings are the ones recorded while it
    ran, as in :func:`measure_gradient`); each estimate is scored by
    :func:`diffbench.metrics.gradient_error`, as there.

    Parameters
    ----------
    method, f, x, truth
        As for :func:`measure_gradient`.
    steps : sequence
        The ``step`` of each call (None, a float or an array of shape ``(n,)``).

    Returns
    -------
    list of Measurement
        ``[measure_gradient(method, f, x, truth, step=h) for h in steps]``.

    Examples
    --------
    >>> import numpy as np, methods
    >>> out = measure_steps(methods.get_method("central"), np.exp, [0.0], [1.0], [1e-3, 1e-5])
    >>> [str(m.status) for m in out], [m.nfev for m in out]
    (['ok', 'ok'], [2, 2])
    """
    x = np.asarray(x, dtype=float)
    done: list[tuple[Any, list]] = []  # (estimate or exception, the warnings of its call)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = 0
        for est in method.gradients_at_steps(f, x, steps, errors="return"):
            done.append((est, caught[start:]))
            start = len(caught)
    values = [None if isinstance(e, Exception) else np.asarray(e.value, float) for e, _ in done]
    errors = _errors_of_finite(values, truth)
    out: list[Measurement] = []
    for i, ((est, warned), value) in enumerate(zip(done, values, strict=True)):
        if value is None:
            out.append(Measurement(Status.ERROR, message=one_line(est), exception=est))
            continue
        known = errors.get(i)
        score = gradient_error if known is None else (lambda _v, _t, e=known: e)
        out.append(_scored(est, value, warned, truth, score, "coordinates"))
    return out


def _errors_of_finite(values: list, truth: Any) -> dict[int, tuple[float, float]]:
    """:func:`diffbench.metrics.gradient_error` of every estimate without NaN, in one pass.

    The first is scored by ``gradient_error`` itself (which checks ``truth`` against it and
    raises as one call would), the others by :func:`diffbench.metrics.pointwise_errors`, the
    same rules row by row (max-norm of the difference, over max |truth| unless it is zero).
    """
    rows = [i for i, v in enumerate(values) if v is not None and not np.isnan(v).any()]
    if truth is None or not rows or len({values[i].shape for i in rows}) != 1:
        return {}
    first = gradient_error(values[rows[0]], truth)
    stack = np.stack([values[i].reshape(-1) for i in rows])
    tru = np.broadcast_to(np.asarray(truth, dtype=float).reshape(-1), stack.shape)
    absolute, relative = pointwise_errors(stack, tru)
    errors = {i: (float(a), float(r)) for i, a, r in zip(rows, absolute, relative, strict=True)}
    errors[rows[0]] = first
    return errors


def _scored(
    est: Any, value: np.ndarray, caught: Sequence, truth: Any, score: Any, what: str, **extra: Any
) -> Measurement:
    """The measurement of an estimate: ``non-finite`` if ``value`` has NaN ``what`` (quoting the
    first warning caught), else ``ok`` with ``score(value, truth)`` as errors (if a truth)."""
    common: dict[str, Any] = dict(
        step_used=_largest(est.step),
        error_estimate=_largest(est.error_estimate),
        nfev=est.nfev,
        value=value,
        estimate=est,
    )
    if np.any(np.isnan(value)):
        bad = int(np.isnan(value).sum())
        why = first_warning(caught) or "the method returned NaN"
        message = f"{bad} of {value.size} {what} NaN; {why}"
        return Measurement(Status.NONFINITE, message=message, **common)
    common.update(extra)
    if truth is None:
        return Measurement(Status.OK, **common)
    absolute, relative = score(value, truth)
    return Measurement(Status.OK, abs_error=absolute, rel_error=relative, **common)


def call_kind(
    method: Any, derivative_kind: str, f: Any, x: Any, step: Any, deriv: Any, sparsity: Any = None
) -> Any:
    """``method``'s Jacobian, Hessian or ``deriv``-th derivative of ``f`` at ``x`` (unscored).

    The one dispatch from a kind to the method's call, for :func:`measure_kind` and the
    chooser: a derivative takes a scalar ``x`` (the first coordinate) and a scalar ``step``.
    """
    if derivative_kind == "jacobian":
        return method.jacobian(f, np.asarray(x, dtype=float), step=step, sparsity=sparsity)
    if derivative_kind == "hessian":
        return method.hessian(f, np.asarray(x, dtype=float), step=step)
    if isinstance(step, np.ndarray):
        step = float(step.reshape(-1)[0])
    return method.derivative(f, float(np.reshape(x, -1)[0]), step=step, deriv=deriv)


def measure_kind(
    method: Any,
    derivative_kind: str,
    f: Any,
    x: Any,
    truth: Any = None,
    *,
    step: Any = None,
    deriv: int | None = None,
    sparsity: Any = None,
) -> Measurement:
    """One Jacobian, Hessian or k-th derivative of ``f`` at ``x`` by ``method``, scored.

    The rules of :func:`measure_gradient`, with the error of
    :func:`diffbench.metrics.matrix_error` (max-norm over the entries, relative to the largest
    true entry) and, for a Hessian, its :func:`~diffbench.metrics.asymmetry`.

    Parameters
    ----------
    method : methods.Method
        A method that declares ``derivative_kind`` in its ``derivative_kinds``.
    derivative_kind : {"gradient", "jacobian", "hessian", "derivative"}
        What is measured (``"gradient"`` is :func:`measure_gradient`).
    f : callable
        The function: R^n -> R^m (Jacobian), R^n -> R (Hessian), a scalar function of a scalar
        (derivative).
    x : array_like or float
        The point (a float, or an array of one value, for a derivative).
    truth : array_like or float, optional
        The exact Jacobian ``(m, n)``, Hessian ``(n, n)`` or k-th derivative.
    step : float or array_like, optional
        Passed as given (a derivative takes the first value of an array); None: the method's.
    deriv : int, optional
        The order k of a ``derivative`` (required for it).
    sparsity : scipy.sparse matrix, optional
        The Jacobian's sparsity pattern (``jacobian(..., sparsity=...)``).

    Returns
    -------
    Measurement
        ``value`` is the estimate as a dense array (a derivative: shape ``()``).

    Examples
    --------
    >>> import numpy as np, methods
    >>> m = measure_kind(methods.get_method("central"), "derivative", np.exp, 0.0, 1.0,
    ...                  step=1e-3, deriv=2)
    >>> str(m.status), m.nfev, m.rel_error < 1e-6
    ('ok', 3, True)
    >>> h = measure_kind(methods.get_method("hyper-dual"), "hessian",
    ...                  lambda v: v[0] ** 2 * v[1], [1.0, 2.0], [[4.0, 2.0], [2.0, 0.0]])
    >>> h.rel_error, h.asymmetry
    (0.0, 0.0)
    """
    if derivative_kind == "gradient":
        return measure_gradient(method, f, x, truth, step=step)
    if derivative_kind not in ("jacobian", "hessian", "derivative"):
        raise ValueError(
            "`derivative_kind` must be gradient, jacobian, hessian or derivative, got "
            f"{derivative_kind!r}."
        )
    if derivative_kind == "derivative" and deriv is None:
        raise ValueError("`deriv` is required for a derivative measurement.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = call_kind(method, derivative_kind, f, x, step, deriv, sparsity)
        except Exception as exc:
            return Measurement(Status.ERROR, message=one_line(exc), exception=exc)
    raw = est.value.toarray() if hasattr(est.value, "toarray") else est.value
    value = np.asarray(np.nan if raw is None else raw, dtype=float)
    extra = {}
    if derivative_kind == "hessian" and not np.any(np.isnan(value)):
        extra["asymmetry"] = asymmetry(value)
    return _scored(est, value, caught, truth, matrix_error, "entries", **extra)


# --------------------------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------------------------
def edge_mask(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask of the boundary nodes of a tensor grid, flattened in ``np.mgrid`` order.

    A node is on the edge if its index is first or last along some axis.

    Examples
    --------
    >>> edge_mask((4,)).tolist()
    [True, False, False, True]
    >>> int(edge_mask((3, 3)).sum())  # every node but the centre
    8
    """
    edge = np.zeros(shape, dtype=bool)
    for axis, n in enumerate(shape):
        index: list[Any] = [slice(None)] * len(shape)
        for i in (0, n - 1):
            index[axis] = i
            edge[tuple(index)] = True
    return edge.reshape(-1)


def grid_axes(domain: Sequence[tuple[float, float]], size: int) -> list[np.ndarray]:
    """The uniform axes of a grid of ``size`` points per axis over ``domain``."""
    from methods.grids import uniform_axes

    return uniform_axes(domain, size)


def grid_spacing(domain: Sequence[tuple[float, float]], size: int) -> float:
    """Largest spacing of the uniform grid of ``size`` points per axis over ``domain``.

    Examples
    --------
    >>> grid_spacing([(-2.0, 2.0)], 5)
    1.0
    """
    return max(float((a[-1] - a[0]) / (a.size - 1)) for a in grid_axes(domain, size))


@dataclass(frozen=True, eq=False)
class GridSample:
    """A problem's function sampled on a uniform grid, with the exact gradients at its nodes.

    Attributes
    ----------
    size : int
        Points per axis.
    axes : list of numpy.ndarray
        The coordinates along each axis.
    values : numpy.ndarray or None
        ``f`` at the nodes (shape of the grid); None if sampling failed.
    exact : numpy.ndarray or None
        Exact gradients at the nodes, shape ``(nodes, dim)`` in ``np.mgrid`` order.
    edge : numpy.ndarray
        :func:`edge_mask` of the grid.
    spacing : float
        The largest spacing along any axis (the ``step`` of a grid row).
    nfev : int or None
        Evaluations of ``f`` made while sampling, counted; None if sampling failed.
    error : str
        One line if sampling or the exact gradients failed (then every method gets ``error``).
    warning : str
        The first warning raised while sampling, or ``""``.
    """

    size: int
    axes: list[np.ndarray]
    values: np.ndarray | None
    exact: np.ndarray | None
    edge: np.ndarray
    spacing: float
    nfev: int | None
    error: str = ""
    warning: str = ""


def sample_grid(problem: Any, size: int, *, exact: Any = None) -> GridSample:
    """Sample ``problem.function`` on the uniform grid of ``size`` points per axis over its domain.

    Parameters
    ----------
    problem : diffbench.problems.Problem
        Gives ``function``, ``domain`` and ``exact_gradients(points)``.
    size : int
        Points per axis (at least 2).
    exact : array_like, optional
        The exact gradients at the nodes if already known (shape ``(nodes, dim)``, as
        ``problem.exact_gradients`` returns them); computed here otherwise.

    Returns
    -------
    GridSample
        Exceptions while sampling or computing the exact gradients are caught into ``error``.
    """
    from methods.grids import sample, tensor_points

    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 2:
        raise ValueError(f"`size` must be an integer >= 2, got {size!r}.")
    axes = grid_axes(problem.domain, int(size))
    spacing = max(float((a[-1] - a[0]) / (a.size - 1)) for a in axes)
    edge = edge_mask(tuple(a.size for a in axes))
    values = truth = None
    error = ""
    counted = CountedFunction(problem.function, "grid sampling")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            truth = (
                problem.exact_gradients(tensor_points(axes))
                if exact is None
                else np.asarray(exact, dtype=float)
            )
            values = sample(counted, axes)
        except Exception as exc:
            error = one_line(exc)
    return GridSample(
        size=int(size),
        axes=axes,
        values=None if error else values,
        exact=None if error else truth,
        edge=edge,
        spacing=spacing,
        nfev=None if error else counted.nfev,
        error=error,
        warning=first_warning(caught),
    )


def measure_grid(method: Any, sample: GridSample) -> dict[str, Measurement]:
    """One grid method on one sampled grid, scored over its ``interior`` and ``edge`` nodes.

    Parameters
    ----------
    method : methods.GridMethod
        A grid method instance (``method.grid_gradient(values, *axes)`` is called once).
    sample : GridSample
        From :func:`sample_grid`.

    Returns
    -------
    dict
        ``{"interior": Measurement, "edge": Measurement}``. Both are ``error`` if sampling failed
        or the method raised; a region without nodes is ``skipped``; NaN estimates there are
        ``non-finite``. ``step_used`` is the grid's spacing and ``nfev`` the sampling's count.

    Examples
    --------
    >>> import methods
    >>> from diffbench.problems import get_problem
    >>> grid = sample_grid(get_problem("seed-square"), 8)
    >>> out = measure_grid(methods.get_method("numpy-gradient"), grid)
    >>> str(out["interior"].status), out["interior"].nfev, out["interior"].rel_error < 1e-14
    ('ok', 8, True)
    """
    common = dict(step_used=sample.spacing, nfev=sample.nfev)
    if sample.error:
        failed = Measurement(Status.ERROR, message=sample.error, **common)
        return {"interior": failed, "edge": failed}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            grads = method.grid_gradient(sample.values, *sample.axes)
            est = np.stack([np.asarray(g, dtype=float).reshape(-1) for g in grads], axis=1)
        except Exception as exc:
            failed = Measurement(Status.ERROR, message=one_line(exc), **common)
            return {"interior": failed, "edge": failed}
    warning = first_warning(caught) or sample.warning

    def score(part: np.ndarray, exact: np.ndarray) -> dict[str, float]:
        absolute, relative = gradient_error(part.reshape(-1), exact.reshape(-1))
        return {"abs_error": absolute, "rel_error": relative}

    return score_regions(est, sample.exact, sample.edge, sample.size, warning, common, score)


def score_regions(
    est: np.ndarray,
    exact: np.ndarray,
    edge: np.ndarray,
    size: int,
    warning: str,
    common: dict[str, Any],
    score: Any,
) -> dict[str, Measurement]:
    """A grid estimate scored over its ``interior`` (``~edge``) and ``edge`` nodes.

    ``est`` and ``exact`` have one row per node (``np.mgrid`` order); ``score(part, exact_part)``
    gives the error fields of an ``ok`` Measurement. A region without nodes is ``skipped``, NaN
    in it ``non-finite`` (naming ``warning``); ``common`` goes into every Measurement. Used by
    :func:`measure_grid` and :func:`diffbench.measure_kind_grids.measure_kind_grid`.
    """
    out = {}
    for region, mask in (("interior", ~edge), ("edge", edge)):
        if not mask.any():
            message = f"a grid of {size} points per axis has no {region} nodes"
            out[region] = Measurement(Status.SKIPPED, message=message, **common)
            continue
        part = est[mask]
        if np.any(np.isnan(part)):
            bad = int(np.isnan(part).sum())
            message = f"{bad} of {part.size} values NaN; {warning or 'NaN returned'}"
            out[region] = Measurement(Status.NONFINITE, message=message, value=part, **common)
            continue
        out[region] = Measurement(Status.OK, value=part, **score(part, exact[mask]), **common)
    return out
