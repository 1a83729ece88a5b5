"""The wrapper that counts evaluations of the user's function.

``nfev`` is counted here and nowhere else.
"""

from __future__ import annotations

import math
import numbers
import os
import pickle
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .parallel import MapWrapper

__all__ = ["CountedFunction", "FunctionEvaluationError", "describe_point", "on_copies"]


#: Values of f taken without further checks (the common case, kept cheap).
_REAL_SCALARS = (float, np.float64)


class FunctionEvaluationError(RuntimeError):
    """``f`` raised, or returned something that is not a scalar, at an evaluation point.

    ``point`` is the point where ``f`` raised (None where the error is not about one point).
    """

    point: Any = None


def describe_point(x: Any) -> str:
    """Short printable form of an evaluation point (real, complex, dual or batched)."""
    # dual numbers expose their real part as .value, autograd's boxes as ._value
    value = getattr(x, "value", getattr(x, "_value", x))
    try:
        arr = np.asarray(value)
    except Exception:
        return repr(x)[:200]
    if arr.ndim > 1:
        return (
            f"<{arr.shape[0]} points of dimension {arr.shape[-1]}, first {describe_point(arr[0])}>"
        )
    items = [repr(v) for v in arr.reshape(-1).tolist()]
    if len(items) > 8:
        items = [*items[:3], "...", *items[-3:]]
    return "[" + ", ".join(items) + "]" if arr.ndim else items[0]


class CountedFunction:
    """Wrap ``f`` for one call of a method: count evaluations and name failures.

    A method calls ``fun(x)`` for one point (counts 1) or ``fun.batch(X)`` for a vectorized ``f``
    on an ``(m, n)`` array (counts ``m``). Exceptions from ``f`` are re-raised as
    :class:`FunctionEvaluationError` naming the method and the point; non-finite values raise a
    ``RuntimeWarning`` naming the point.

    Parameters
    ----------
    f : callable
        The user's function, R^n -> R.
    method : str
        Label of the calling method, used in messages.
    """

    #: What ``f`` must return, as the messages name it (a vector for a Jacobian's subclass).
    returns: str = "a real scalar"

    def __init__(self, f: Callable, method: str) -> None:
        self.f = f
        self.method = method
        self.nfev = 0

    def _fail(self, x: Any, exc: BaseException) -> FunctionEvaluationError:
        err = FunctionEvaluationError(
            f"{self.method}: f raised {type(exc).__name__} at x={describe_point(x)}: {exc}"
        )
        err.point = x
        return err

    def __call__(self, x: Any) -> Any:
        """Evaluate ``f`` at one point; return its scalar value (float, complex or dual)."""
        self.nfev += 1
        try:
            y = self.f(x)
        except FunctionEvaluationError:
            raise
        except Exception as exc:
            raise self._fail(x, exc) from exc
        return self._value(x, y)

    def _value(self, x: Any, y: Any) -> Any:
        """The checked scalar value ``y`` of ``f`` at ``x`` (warns if it is not finite)."""
        if type(y) in _REAL_SCALARS:  # the common case, kept cheap
            if not math.isfinite(y):
                self._warn_nonfinite(x, y)
            return y
        return self._scalar(x, y)

    def each(
        self,
        points: Iterable[Any],
        map_: MapWrapper | None = None,
        *,
        warnings_as_errors: tuple[type[Warning], ...] = (),
    ) -> list:
        """Evaluate ``f`` at each point, one call per point; return the list of values.

        The same as calling this object on every point, in one loop: the per-point path of
        stencil methods, where the cost of calling f matters.

        Parameters
        ----------
        points : iterable
            The points, each given to ``f`` as it is (fresh arrays: ``f`` may keep them).
        map_ : MapWrapper, optional
            Evaluates the points as its ``workers`` say (:mod:`methods.parallel`): every point is
            counted here, in this process, and its value checked here, in order, so values,
            warnings, errors and ``nfev`` are those of the serial loop.
        warnings_as_errors : tuple of Warning classes
            Warnings turned into errors of ``f`` while it runs in another process (this
            process's warning filters do not reach there).
        """
        if map_ is not None and not map_.serial:
            return self._each_mapped(list(points), map_, warnings_as_errors)
        f, out = self.f, []
        append = out.append
        for x in points:
            self.nfev += 1
            try:
                y = f(x)
            except FunctionEvaluationError:
                raise
            except Exception as exc:
                raise self._fail(x, exc) from exc
            if type(y) in _REAL_SCALARS:
                if not math.isfinite(y):
                    self._warn_nonfinite(x, y)
                append(y)
            else:
                append(self._scalar(x, y))
        return out

    def _each_mapped(
        self, points: list, map_: MapWrapper, warnings_as_errors: tuple[type[Warning], ...]
    ) -> list:
        self.nfev += len(points)
        results = map_(_Evaluate(self.f, warnings_as_errors), points)
        out = []
        for x, y in zip(points, results, strict=True):
            if isinstance(y, _Raised):
                if isinstance(y.exc, FunctionEvaluationError):
                    raise y.exc
                raise self._fail(x, y.exc) from y.exc
            out.append(self._value(x, y))
        return out

    def _scalar(self, x: Any, y: Any) -> Any:
        """Check a value of f that is not a plain real scalar; return it as a scalar."""
        y = self._check_numeric(x, y)
        if isinstance(y, list | tuple) and any(hasattr(v, "value") for v in y):
            shape: tuple = (len(y),)  # dual numbers refuse numpy.asarray (it would drop parts)
        else:
            shape = np.shape(getattr(y, "value", y))
        if shape not in ((), (1,)):
            raise FunctionEvaluationError(
                f"{self.method}: f must return a scalar, got shape {shape} "
                f"at x={describe_point(x)}."
            )
        if shape == (1,):
            y = y[0]
        self._warn_nonfinite(x, getattr(y, "value", y))
        return y

    def batch(self, X: np.ndarray) -> np.ndarray:
        """Evaluate a vectorized ``f`` on the rows of ``X`` (shape ``(m, n)``) in one call."""
        m = X.shape[0]
        self.nfev += m
        try:
            y = self.f(X)
        except FunctionEvaluationError:
            raise
        except Exception as exc:
            raise self._fail(X, exc) from exc
        y = self._check_numeric(X, y)
        y = np.asarray(getattr(y, "value", y)) if not isinstance(y, np.ndarray) else y
        if y.shape != (m,):
            raise FunctionEvaluationError(
                f"{self.method}: a vectorized f must map an (m, n) array to shape (m,); "
                f"got shape {y.shape} for m={m}."
            )
        bad = ~np.isfinite(y)
        if np.any(bad):
            self._warn_nonfinite(X[np.argmax(bad)], y[np.argmax(bad)])
        return y

    def _check_numeric(self, x: Any, y: Any) -> Any:
        """Return ``y`` if it is a value ``f`` may return; else raise naming its type and ``x``.

        Numbers, numeric arrays and numeric duck types (dual numbers, AD tracers) pass; a Python
        int is converted to float. Refused, each with a :class:`FunctionEvaluationError` naming
        the method, the point and the type: booleans, an int too large for a float, other number
        types (``Decimal``, ``Fraction``, SymPy numbers), SymPy expressions, arrays of Python
        objects, strings, and a complex value at a real point.
        """
        if type(y) is int:
            try:
                return float(y)
            except OverflowError:
                raise self._refuse(
                    x, y, f"an int too large for a float64 ({len(str(abs(y)))} digits)"
                ) from None
        if isinstance(y, bool | np.bool_) or (isinstance(y, np.ndarray) and y.dtype.kind == "b"):
            raise self._refuse(x, y, "a boolean, not a number; convert it with float() if meant")
        foreign_number = isinstance(y, numbers.Number) and not isinstance(
            y, int | float | complex | np.number
        )
        if foreign_number or type(y).__module__.partition(".")[0] == "sympy":
            raise self._refuse(x, y, "not a float; convert it with float()")
        try:
            kind = np.asarray(getattr(y, "value", y)).dtype.kind
        except Exception:  # objects numpy cannot even wrap
            kind = "O"
        if isinstance(y, np.ndarray) and kind == "O":
            raise self._refuse(x, y, "an array of Python objects; return a float array")
        numeric = kind in "iufc" or (
            kind == "O"
            and not isinstance(y, str | bytes)
            and hasattr(y, "__add__")
            and hasattr(y, "__mul__")
        )
        if kind == "c" and not np.iscomplexobj(getattr(x, "value", x)):
            raise FunctionEvaluationError(
                f"{self.method}: f returned a complex number {describe_point(y)} for the real "
                f"point x={describe_point(x)}; a real function is expected."
            )
        if not numeric:
            raise FunctionEvaluationError(
                f"{self.method}: f must return a number, got {type(y).__name__} "
                f"at x={describe_point(x)}."
            )
        return y

    def _refuse(self, x: Any, y: Any, why: str) -> FunctionEvaluationError:
        shown = repr(y)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return FunctionEvaluationError(
            f"{self.method}: f must return {self.returns}, got {type(y).__name__} {shown} "
            f"at x={describe_point(x)}: {why}."
        )

    def _warn_nonfinite(self, x: Any, y: Any) -> None:
        if not np.all(np.isfinite(y)):
            warnings.warn(
                f"{self.method}: f returned {y} at x={describe_point(x)}.",
                RuntimeWarning,
                stacklevel=4,
            )


class _Raised:
    """What :class:`_Evaluate` returns for a point where ``f`` raised: the exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _RemoteError(Exception):
    """An exception of ``f`` in another process that did not pickle: its type name and text."""


class _Evaluate:
    """``f`` at one point, wherever a map runs it: the value, or :class:`_Raised`.

    Exceptions come back as values, so the parent names the first failing point in order, as the
    serial loop does. In another process (a pool of workers) ``warnings_as_errors`` are made
    errors around the call, and an exception that does not pickle is replaced by one that does.
    """

    def __init__(self, f: Callable, warnings_as_errors: tuple[type[Warning], ...] = ()) -> None:
        self.f = f
        self.warnings_as_errors = warnings_as_errors
        self.pid = os.getpid()

    def __call__(self, x: Any) -> Any:
        remote = os.getpid() != self.pid
        try:
            if remote and self.warnings_as_errors:
                with warnings.catch_warnings():
                    for category in self.warnings_as_errors:
                        warnings.simplefilter("error", category)
                    return self.f(x)
            return self.f(x)
        except Exception as exc:
            return _Raised(_portable(exc) if remote else exc)


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return _RemoteError(f"{type(exc).__name__}: {exc}")
    return exc


def on_copies(f: Callable) -> Callable:
    """``f`` called on a fresh copy of each array argument.

    For libraries that evaluate ``f`` on an array they go on using (``scipy.optimize``'s
    ``approx_fprime`` and numdifftools build every point from the array they passed to ``f(x)``):
    an ``f`` that changes its argument must not change the points that follow.
    """

    def call(x: Any) -> Any:
        return f(x.copy() if isinstance(x, np.ndarray) else x)

    return call
