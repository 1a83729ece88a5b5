"""Beyond gradients: the public Jacobian, Hessian and k-th derivative calls of every method.

:class:`~methods.base.Method` declares what a method computes in ``derivative_kinds`` (a subset
of :data:`DERIVATIVE_KINDS`) and ``max_deriv``; its ``jacobian``, ``hessian`` and
``derivative(..., deriv=k)`` come here, which validate the input as ``gradient`` does, count
evaluations once through a :class:`~methods.counting.CountedFunction` (a
:class:`VectorCountedFunction` for vector-valued ``f``), call the subclass hook (``_jacobian``,
``_hessian``, ``_derivative``) and pack an :class:`~methods.estimate.Estimate`. A value that met a
non-finite value of ``f`` is NaN, with a ``RuntimeWarning`` naming the point.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .counting import CountedFunction, FunctionEvaluationError, describe_point
from .estimate import Estimate, _frozen
from .sparsity import check_sparsity

if TYPE_CHECKING:
    from .base import Method

__all__ = [
    "DERIVATIVE_KINDS",
    "SparseEstimate",
    "VectorCountedFunction",
    "check_deriv",
    "check_kind",
    "run_jacobian",
    "run_hessian",
    "run_derivative",
]

#: What a method may compute: the gradient of f: R^n -> R, the Jacobian of f: R^n -> R^m, the
#: Hessian of f: R^n -> R, and the k-th derivative of a scalar f of one variable.
DERIVATIVE_KINDS = ("gradient", "jacobian", "hessian", "derivative")


def check_deriv(deriv: Any) -> int:
    """Return ``deriv`` as an int >= 1, else raise naming ``deriv``."""
    if isinstance(deriv, bool) or not isinstance(deriv, numbers.Integral):
        raise TypeError(f"`deriv` must be an integer >= 1, got {type(deriv).__name__} {deriv!r}.")
    if deriv < 1:
        raise ValueError(f"`deriv` must be an integer >= 1, got {deriv}.")
    return int(deriv)


def check_kind(method: Method, kind: str, deriv: int = 1) -> None:
    """Raise ``NotImplementedError`` naming the method and the kind if it cannot compute it."""
    if kind not in method.derivative_kinds:
        can = ", ".join(k for k in DERIVATIVE_KINDS if k in method.derivative_kinds)
        raise NotImplementedError(
            f"method {method.name!r} cannot compute a {kind}; it computes: {can} "
            "(see methods.available())."
        )
    if kind == "derivative" and deriv > method.max_deriv:
        raise NotImplementedError(
            f"method {method.name!r} computes derivatives up to order {method.max_deriv}, "
            f"got `deriv`={deriv}."
        )


class SparseEstimate(Estimate):
    """An :class:`~methods.estimate.Estimate` whose ``value`` is a ``scipy.sparse`` CSR matrix.

    Returned by ``jacobian(..., sparsity=...)``; the matrix is a read-only copy with the
    structure of the sparsity pattern (entries that are structurally zero are not stored).
    """

    def __post_init__(self) -> None:
        value = self.value
        if not sp.issparse(value):
            super().__post_init__()
            return
        csr = sp.csr_matrix(value, dtype=float, copy=True)
        for arr in (csr.data, csr.indices, csr.indptr):
            arr.setflags(write=False)
        object.__setattr__(self, "value", csr)
        object.__setattr__(self, "step", _frozen(self.step))
        object.__setattr__(self, "error_estimate", _frozen(self.error_estimate))
        object.__setattr__(self, "nfev", int(self.nfev))

    def _key(self) -> tuple:
        v = self.value
        step = None if self.step is None else self.step.tobytes()
        return (v.shape, v.data.tobytes(), v.indices.tobytes(), v.indptr.tobytes(), step,
                self.nfev, self.method)  # fmt: skip

    def __hash__(self) -> int:
        return hash(self._key())


def _stack(items: list | tuple) -> Any:
    """A list of scalars (numbers, duals, hyper-duals) as one vector value."""
    for item in items:
        stack = getattr(type(item), "_stack", None)
        if stack is not None:
            return stack(items)
    return np.asarray(items)


class VectorCountedFunction(CountedFunction):
    """A :class:`~methods.counting.CountedFunction` for vector-valued ``f`` (Jacobians).

    Each value of ``f`` must be a vector of one length ``m`` (a scalar counts as ``m = 1``): a
    numpy array, a list of numbers, a dual or hyper-dual array, or a list of those. A value of
    another shape, or of a length other than the first one's (or the sparsity pattern's rows),
    raises :class:`~methods.counting.FunctionEvaluationError` naming the point.

    Parameters
    ----------
    f : callable
        The user's function, R^n -> R^m.
    method : str
        Label of the calling method, used in messages.
    m : int, optional
        The expected length (from a sparsity pattern); default the length of the first value.
    """

    returns = "a real vector of shape (m,) for jacobian()"

    def __init__(self, f: Callable, method: str, m: int | None = None) -> None:
        super().__init__(f, method)
        self.m = m
        self._from_pattern = m is not None

    def __call__(self, x: Any) -> Any:
        """Evaluate ``f`` at one point; return its value as a vector of length ``m``."""
        self.nfev += 1
        try:
            y = self.f(x)
        except FunctionEvaluationError:
            raise
        except Exception as exc:
            raise self._fail(x, exc) from exc
        return self._vector(x, y)

    def each(self, points: Any) -> list:
        """Evaluate ``f`` at each point, one call per point."""
        return [self(x) for x in points]

    def batch(self, X: np.ndarray) -> np.ndarray:
        """Not available: a Jacobian evaluates ``f`` one point at a time."""
        raise TypeError(f"{self.method}: jacobian() evaluates f one point at a time.")

    def _vector(self, x: Any, y: Any) -> Any:
        if isinstance(y, list | tuple):
            y = _stack(y)
        y = self._check_numeric(x, y)
        # dual numbers expose their real part as .value, autograd's traced boxes as ._value
        traced = hasattr(y, "value") or hasattr(y, "_value")
        raw = getattr(y, "value", getattr(y, "_value", y))
        shape = np.shape(raw)
        if shape == ():
            y = y[None] if traced else np.reshape(np.asarray(y), (1,))
            raw, shape = getattr(y, "value", getattr(y, "_value", y)), (1,)
        if len(shape) != 1:
            raise FunctionEvaluationError(
                f"{self.method}: f must return a vector of shape (m,) for jacobian(), got shape "
                f"{shape} at x={describe_point(x)}."
            )
        if self.m is None:
            self.m = shape[0]
        elif shape[0] != self.m:
            before = "the sparsity pattern has" if self._from_pattern else "earlier values had"
            raise FunctionEvaluationError(
                f"{self.method}: f returned a vector of length {shape[0]} at "
                f"x={describe_point(x)}, but {before} length {self.m}."
            )
        if not isinstance(y, np.ndarray) and not traced:
            y = np.asarray(y)
        self._warn_nonfinite(x, raw)
        return y


def _nan_nonfinite(value: Any) -> Any:
    if sp.issparse(value):
        value = sp.csr_matrix(value, dtype=float, copy=True)
        value.data[~np.isfinite(value.data)] = np.nan
        return value
    value = np.array(value, dtype=float)
    value[~np.isfinite(value)] = np.nan
    return value


def run_jacobian(method: Method, f: Callable, x: Any, step: Any, sparsity: Any) -> Estimate:
    """The body of :meth:`methods.base.Method.jacobian`."""
    check_kind(method, "jacobian")
    fun, x, steps = method._prepare(f, x, step)
    pattern = None if sparsity is None else check_sparsity(sparsity, x.size)
    label = method.label
    counted = VectorCountedFunction(fun, label, None if pattern is None else pattern.shape[0])
    raw = method._jacobian(counted, x, steps, pattern)
    value = _nan_nonfinite(raw.value)
    if not sp.issparse(value):
        # methods that never call f (symbolic, AD on the expression) leave m to their value
        value = value.reshape(-1 if counted.m is None else counted.m, x.size)
    return SparseEstimate(
        value=value,
        step=raw.step,
        nfev=counted.nfev,
        error_estimate=raw.error_estimate,
        method=label,
    )


def run_hessian(method: Method, f: Callable, x: Any, step: Any) -> Estimate:
    """The body of :meth:`methods.base.Method.hessian`."""
    check_kind(method, "hessian")
    fun, x, steps = method._prepare(f, x, step)
    label = method.label
    counted = CountedFunction(fun, label)
    raw = method._hessian(counted, x, steps)
    value = _nan_nonfinite(raw.value).reshape(x.size, x.size)
    return Estimate(
        value=value,
        step=raw.step,
        nfev=counted.nfev,
        error_estimate=raw.error_estimate,
        method=label,
    )


def run_derivative(method: Method, g: Callable, x: float, step: Any, deriv: int) -> Estimate:
    """``derivative(..., deriv=k)`` for k >= 2: ``g`` in the vector convention, ``x`` a float."""
    check_kind(method, "derivative", deriv)
    fun, xv, steps = method._prepare(g, [x], step)
    label = method.label
    counted = CountedFunction(fun, label)
    raw = method._derivative(counted, xv, steps, deriv)

    def first(a: Any) -> float | None:
        return None if a is None else float(np.asarray(a, dtype=float).reshape(-1)[0])

    value = first(raw.value)
    return Estimate(
        value=value if np.isfinite(value) else float("nan"),
        step=first(raw.step),
        nfev=counted.nfev,
        error_estimate=first(raw.error_estimate),
        method=label,
    )
