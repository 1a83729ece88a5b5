"""Ground truth: exact gradients and values of a SymPy expression, certified to float64.

The one place where diffbench computes the truth that every measurement is compared with. mpmath
evaluates the formula (or its partial derivatives) at 50 significant digits from the float64 point
taken exactly (``mpmath.mpf(float)``: a double has 53 bits, so nothing is rounded on the way in),
checks the float64 rounding against the next precision of the ladder (50, 70, 100, 150, 250, 400
digits) until two successive levels agree, and rounds once to float64. Ground truth never comes
from another differentiation method.

The battery's :class:`~diffbench.problem.Problem` and the chooser's reference for a user's formula
use the same ladder. Compiled mpmath callables belong to an :class:`ExactGradient` owned by its
caller (a ``Problem`` holds one); the module functions build a fresh one per call.

Examples
--------
>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> exact_gradient(1 / (1 + 25 * x**2), [x], [0.3])
array([-1.42011834])
>>> exact_value(x**2, [x], [0.1])  # the square of the double nearest 0.1, rounded once
0.010000000000000002
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy

from methods.functions import gradient_expressions
from methods.validation import check_point, check_positive_int

__all__ = [
    "DPS",
    "DPS_LADDER",
    "ExactGradient",
    "check_expression",
    "exact_gradient",
    "exact_gradient_mp",
    "exact_gradients",
    "exact_value",
    "ExactMatrix",
    "exact_jacobian",
    "exact_hessian",
    "exact_derivative",
    "jacobian_truth",
    "hessian_truth",
]

#: Working precision (significant digits) of the exact gradient.
DPS = 50
#: Precisions tried in turn: a value is accepted once its float64 rounding agrees with the rounding
#: at the next precision, which catches cancellation inside the derivative formula itself.
DPS_LADDER = (DPS, 70, 100, 150, 250, 400)


def check_expression(expr: Any, symbols: Any) -> tuple[sympy.Symbol, ...]:
    """Check ``expr`` is a SymPy expression in ``symbols``; return the symbols as a tuple.

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sympy.Symbol or sequence of sympy.Symbol
        Distinct symbols including every free symbol of ``expr``.

    Returns
    -------
    tuple of sympy.Symbol

    Raises
    ------
    TypeError, ValueError
        Naming ``expr`` or ``symbols``.
    """
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"`expr` must be a SymPy expression, got {type(expr).__name__}.")
    if isinstance(symbols, sympy.Symbol):
        symbols = (symbols,)
    try:
        symbols = tuple(symbols)
    except TypeError:
        raise TypeError(
            f"`symbols` must be a sequence of sympy.Symbol, got {type(symbols).__name__}."
        ) from None
    if not symbols:
        raise ValueError("`symbols` must not be empty.")
    bad = [s for s in symbols if not isinstance(s, sympy.Symbol)]
    if bad:
        raise TypeError(f"`symbols` must contain only sympy.Symbol, got {bad[:3]}.")
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"`symbols` must be distinct, got {symbols}.")
    missing = expr.free_symbols - set(symbols)
    if missing:
        names = sorted(str(s) for s in missing)
        raise ValueError(f"`symbols` must include every free symbol of `expr`; missing {names}.")
    return symbols


def _as_real_mpf(v: Any) -> mpmath.mpf:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise ValueError(f"the exact value is complex ({v}); is the point outside the domain?")
        v = v.real
    v = mpmath.mpf(v)
    if not mpmath.isfinite(v):
        raise ValueError(f"the exact value is not finite ({v}).")
    return v


def _rounded(fn: Callable, args: list[list], dps: int) -> list[list[float] | None]:
    """``fn(*a)`` at ``dps`` digits for each argument list ``a``, rounded to float64 (None
    where it raised or is not a finite real: the caller redoes that point one at a time)."""
    out: list[list[float] | None] = []
    with mpmath.workdps(dps):
        for a in args:
            try:
                out.append([float(_as_real_mpf(v)) for v in fn(*a)])
            except Exception:
                out.append(None)
    return out


class ExactGradient:
    """The exact gradient (and value) of one SymPy expression, certified to float64.

    Holds the partial derivatives and their mpmath callables, built on first use and kept for the
    life of the instance (not pickled: a worker process rebuilds them).

    Parameters
    ----------
    expr : sympy.Expr
        The function.
    symbols : sympy.Symbol or sequence of sympy.Symbol
        Its variables, in the order of the coordinates of ``x``.
    label : str, default "the expression"
        How messages name the function, e.g. ``"problem 'runge'"``.

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> truth = ExactGradient(x**2 * y, (x, y))
    >>> truth([0.5, 3.0])
    array([3.  , 0.25])
    >>> truth.many([[0.5, 3.0], [1.0, 1.0]]).tolist()
    [[3.0, 0.25], [2.0, 1.0]]
    >>> truth.value([0.5, 3.0])
    0.75
    """

    def __init__(self, expr: Any, symbols: Any, *, label: str = "the expression") -> None:
        self.symbols = check_expression(expr, symbols)
        self.expr = expr
        if not isinstance(label, str):
            raise TypeError(f"`label` must be a string, got {type(label).__name__}.")
        self.label = label
        self._gradient_exprs: tuple | None = None
        self._compiled: dict[str, Callable] = {}

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return len(self.symbols)

    @property
    def gradient_exprs(self) -> tuple[sympy.Expr, ...]:
        """The partial derivatives of ``expr`` (computed once per instance)."""
        if self._gradient_exprs is None:
            self._gradient_exprs = gradient_expressions(self.expr, self.symbols)
        return self._gradient_exprs

    # -- pickling: the derivatives and compiled callables are rebuilt on demand ------------------
    def __getstate__(self) -> dict:
        return {"expr": self.expr, "symbols": self.symbols, "label": self.label}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _gradient_exprs=None, _compiled={})

    def __repr__(self) -> str:
        return f"ExactGradient({self.expr}, {self.symbols})"

    # -- evaluation --------------------------------------------------------------------------------
    def _callable(self, what: str) -> Callable:
        if what not in self._compiled:
            target = self.expr if what == "value" else list(self.gradient_exprs)
            try:
                self._compiled[what] = sympy.lambdify(self.symbols, target, modules="mpmath")
            except Exception as exc:  # SymPy cannot print the formula for mpmath
                raise self._cannot(what, exc) from exc
        return self._compiled[what]

    def _cannot(self, what: str, exc: Exception) -> NotImplementedError:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return NotImplementedError(f"mpmath cannot evaluate the {what} of {self.label} ({detail}).")

    def _evaluate(self, what: str, x: np.ndarray, dps: int) -> list:
        fn = self._callable(what)
        args = [mpmath.mpf(v) for v in x.tolist()]  # exact: a double has 53 bits
        try:
            with mpmath.workdps(dps):
                out = fn(*args)
                out = [out] if what == "value" else out
                return [_as_real_mpf(v) for v in out]
        except ZeroDivisionError as exc:
            raise ValueError(
                f"the exact {what} of {self.label} is undefined at x={x.tolist()} "
                "(division by zero)."
            ) from exc
        except ValueError as exc:
            raise ValueError(f"the exact {what} of {self.label} at x={x.tolist()}: {exc}") from exc
        except (NameError, TypeError, AttributeError) as exc:  # a function mpmath does not know
            raise self._cannot(what, exc) from exc

    def _certified(self, what: str, x: np.ndarray) -> np.ndarray:
        prev = self._evaluate(what, x, DPS_LADDER[0])
        for dps in DPS_LADDER[1:]:
            cur = self._evaluate(what, x, dps)
            rounded = [float(v) for v in prev]
            if rounded == [float(v) for v in cur]:
                return self._finite(what, x, np.array(rounded, dtype=float))
            prev = cur
        warnings.warn(
            f"{self.label}: the exact {what} at x={x.tolist()} could not be confirmed "
            f"to float64 up to {DPS_LADDER[-1]} digits (cancellation in its formula, or a zero "
            "computed from cancelling terms); returning the highest-precision value.",
            RuntimeWarning,
            stacklevel=4,
        )
        return self._finite(what, x, np.array([float(v) for v in prev], dtype=float))

    def _finite(self, what: str, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"the exact {what} of {self.label} at x={x.tolist()} exceeds the float64 range: "
                f"{out.tolist()}."
            )
        return out

    def check_x(self, x: Any) -> np.ndarray:
        """``x`` as a fresh float64 array of shape ``(n,)``, or a ``ValueError`` naming ``x``."""
        arr = check_point(x)
        if arr.size != self.dim:
            raise ValueError(
                f"`x` has {arr.size} coordinates but {self.label} has {self.dim} variables."
            )
        return arr

    def __call__(self, x: Any) -> np.ndarray:
        """The exact gradient at the float64 point ``x``, rounded once to float64.

        mpmath evaluates the partial derivatives at 50 digits; the float64 rounding is accepted
        when it agrees with the rounding at 70 digits, else the precision rises (up to 400) until
        two successive levels agree, with a ``RuntimeWarning`` if they never do.

        Parameters
        ----------
        x : array_like, shape (n,)

        Returns
        -------
        numpy.ndarray, shape (n,)

        Raises
        ------
        ValueError
            If ``x`` is malformed, or the gradient is undefined, complex or not finite at ``x``.
        NotImplementedError
            If mpmath cannot evaluate the derivative formula (a function it does not know).
        """
        return self._certified("gradient", self.check_x(x))

    def many(self, X: Any) -> np.ndarray:
        """Exact gradients at m points (e.g. every node of a grid), shape ``(m, n)``."""
        return self._certified_rows("gradient", self._points(X))

    def _points(self, X: Any) -> np.ndarray:
        """``X`` as a float array of m points of shape ``(m, n)``, or an error naming ``X``."""
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"`X` must have shape (m, {self.dim}), got shape {arr.shape}.")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"`X` must be real numbers, got dtype {arr.dtype}.")
        arr = arr.astype(float)
        if not np.all(np.isfinite(arr)):
            raise ValueError("`X` must be finite.")
        return arr

    def _certified_rows(self, what: str, arr: np.ndarray) -> np.ndarray:
        """``_certified(what, row)`` for every row of ``arr``, shape ``(m, k)``.

        Two passes over all points (``DPS_LADDER[0]``, then ``[1]``), one precision context
        each; a point whose roundings differ or that raised takes the one-point path
        (:meth:`_certified`: the rest of the ladder, or its error, in the order of the points),
        so the values, warnings and errors are those of one call per point.
        """
        fn = self._callable(what)
        args = [[mpmath.mpf(v) for v in row] for row in arr.tolist()]
        low = _rounded(fn, args, DPS_LADDER[0])
        high = _rounded(fn, args, DPS_LADDER[1])
        out = np.empty((arr.shape[0], len(self.gradient_exprs)), dtype=float)
        for i, row in enumerate(arr):
            if low[i] is not None and low[i] == high[i]:
                out[i] = self._finite(what, row, np.array(low[i], dtype=float))
            else:
                out[i] = self._certified(what, row)
        return out

    def value(self, x: Any) -> float:
        """The exact value ``expr(x)`` at the float64 point ``x``, certified and rounded once."""
        return float(self._certified("value", self.check_x(x))[0])

    def mp(self, x: Any, dps: int = DPS) -> list:
        """The exact gradient at ``x`` as mpmath numbers of ``dps`` digits (at least 16)."""
        dps = check_positive_int("dps", dps, minimum=16)
        return self._evaluate("gradient", self.check_x(x), dps)


def exact_gradient(expr: Any, symbols: Any, x: Any) -> np.ndarray:
    """The exact gradient of ``expr`` at the float64 point ``x``, rounded once to float64.

    As :meth:`ExactGradient.__call__`: a ``ValueError`` where the gradient is undefined, complex
    or not finite at ``x``, a ``NotImplementedError`` if mpmath cannot evaluate the formula.

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sympy.Symbol or sequence of sympy.Symbol
        The variables, in the order of the coordinates of ``x``.
    x : array_like, shape (n,)

    Notes
    -----
    Each call compiles the formula anew; to evaluate many points, keep an :class:`ExactGradient`.

    Examples
    --------
    >>> import sympy
    >>> t = sympy.Symbol("t", real=True)
    >>> exact_gradient(sympy.sqrt(t), t, [0.25])
    array([1.])
    >>> exact_gradient(sympy.sqrt(t), t, [0.0])
    Traceback (most recent call last):
    ...
    ValueError: the exact gradient of the expression is undefined at x=[0.0] (division by zero).
    """
    return ExactGradient(expr, symbols)(x)


def exact_gradients(expr: Any, symbols: Any, X: Any) -> np.ndarray:
    """Exact gradients of ``expr`` at the m points ``X`` (shape ``(m, n)``), shape ``(m, n)``."""
    return ExactGradient(expr, symbols).many(X)


def exact_value(expr: Any, symbols: Any, x: Any) -> float:
    """The exact value of ``expr`` at the float64 point ``x``, certified and rounded once."""
    return ExactGradient(expr, symbols).value(x)


def exact_gradient_mp(expr: Any, symbols: Any, x: Any, dps: int = DPS) -> list:
    """The exact gradient of ``expr`` at ``x`` as mpmath numbers of ``dps`` digits.

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sympy.Symbol or sequence of sympy.Symbol
    x : array_like, shape (n,)
        Each coordinate is taken exactly (``mpmath.mpf(float)``).
    dps : int, default 50
        Working precision in significant decimal digits (at least 16).

    Returns
    -------
    list of mpmath.mpf
    """
    return ExactGradient(expr, symbols).mp(x, dps)


class ExactMatrix(ExactGradient):
    """Certified values of a table of derivatives: a Jacobian, a Hessian or a k-th derivative.

    Same ladder as :class:`ExactGradient` (50, 70, ... 400 digits until two levels round to the
    same float64). Entries known to be structurally zero (the variable does not occur) are exactly
    0 and are neither compiled nor evaluated, so a banded Jacobian at n = 1000 costs its band only.

    Parameters
    ----------
    entries : dict of (int, ...) -> sympy.Expr
        The non-zero entries by index into ``shape``.
    shape : tuple of int
        Shape of the result (``()`` for a scalar).
    symbols : sequence of sympy.Symbol
        The variables, in the order of the coordinates of ``x``.
    what : str
        How messages name the quantity ("Jacobian", "Hessian", "3rd derivative").
    label : str, default "the expression"
    """

    def __init__(
        self,
        entries: dict,
        shape: tuple[int, ...],
        symbols: Any,
        *,
        what: str,
        label: str = "the expression",
    ) -> None:
        super().__init__(sympy.Integer(0), symbols, label=label)
        self.entries = dict(entries)
        self.shape = tuple(shape)
        self.what = what
        self._gradient_exprs = tuple(self.entries.values())

    def __getstate__(self) -> dict:
        return {
            **super().__getstate__(),
            "entries": self.entries,
            "shape": self.shape,
            "what": self.what,
        }

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._gradient_exprs = tuple(self.entries.values())

    def __repr__(self) -> str:
        return f"ExactMatrix({self.what}, shape={self.shape}, {len(self.entries)} non-zero entries)"

    def __call__(self, x: Any) -> np.ndarray:
        """The exact matrix (or scalar) at the float64 point ``x``, each entry rounded once."""
        x = self.check_x(x)
        out = np.zeros(self.shape)
        if self.entries:
            values = self._certified(self.what, x)
            for index, v in zip(self.entries, values, strict=True):
                out[index] = v
        return out

    def many(self, X: Any) -> np.ndarray:
        """The exact matrices at m points (e.g. every node of a grid), shape ``(m, *shape)``:
        ``[self(x) for x in X]``, the points evaluated two precisions at a time."""
        arr = self._points(X)
        out = np.zeros((arr.shape[0], *self.shape))
        if self.entries:
            rows = self._certified_rows(self.what, arr)
            for k, index in enumerate(self.entries):
                out[(slice(None), *index)] = rows[:, k]
        return out


def _symbols_of(symbols: Any) -> tuple:
    return check_expression(sympy.Integer(0), symbols)


def exact_jacobian(exprs: Any, symbols: Any, x: Any) -> np.ndarray:
    """The exact Jacobian ``d exprs_i / d symbols_j`` at the float64 point ``x``, shape ``(m, n)``.

    Each entry is certified to float64 like :func:`exact_gradient`; an entry whose variable does
    not occur in its expression is exactly 0 (see :class:`ExactMatrix`, which keeps the compiled
    entries for many points: :func:`jacobian_truth`).

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", real=True)
    >>> exact_jacobian([a * b, sympy.sin(a)], [a, b], [2.0, 3.0]).tolist()
    [[3.0, 2.0], [-0.4161468365471424, 0.0]]
    """
    return jacobian_truth(exprs, symbols)(x)


def jacobian_truth(exprs: Any, symbols: Any, *, label: str = "the map") -> ExactMatrix:
    """An :class:`ExactMatrix` of the Jacobian of ``exprs`` (a sequence of SymPy expressions)."""
    if isinstance(exprs, sympy.Expr):
        exprs = [exprs]
    try:
        exprs = list(exprs)
    except TypeError:
        raise TypeError(
            f"`exprs` must be a sequence of SymPy expressions, got {type(exprs).__name__}."
        ) from None
    if not exprs:
        raise ValueError("`exprs` must not be empty.")
    symbols = _symbols_of(symbols)
    for e in exprs:
        check_expression(e, symbols)
    position = {s: j for j, s in enumerate(symbols)}
    entries = {}
    for i, e in enumerate(exprs):
        for s in sorted(e.free_symbols, key=position.__getitem__):
            d = sympy.diff(e, s)
            if d != 0:
                entries[(i, position[s])] = d
    return ExactMatrix(entries, (len(exprs), len(symbols)), symbols, what="Jacobian", label=label)


def hessian_truth(expr: Any, symbols: Any, *, label: str = "the expression") -> ExactMatrix:
    """An :class:`ExactMatrix` of the Hessian of ``expr`` (both triangles filled)."""
    symbols = check_expression(expr, symbols)
    position = {s: j for j, s in enumerate(symbols)}
    entries = {}
    for i, g in enumerate(gradient_expressions(expr, symbols)):
        for s in sorted(g.free_symbols & position.keys(), key=position.__getitem__):
            j = position[s]
            if j >= i:
                d = sympy.diff(g, s)
                if d != 0:
                    entries[(i, j)] = d
                    entries[(j, i)] = d
    n = len(symbols)
    return ExactMatrix(entries, (n, n), symbols, what="Hessian", label=label)


def exact_hessian(expr: Any, symbols: Any, x: Any) -> np.ndarray:
    """The exact Hessian of ``expr`` at the float64 point ``x``, shape ``(n, n)``, symmetric.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", real=True)
    >>> exact_hessian(a**2 * sympy.exp(b), [a, b], [1.5, 0.0]).tolist()
    [[2.0, 3.0], [3.0, 2.25]]
    """
    return hessian_truth(expr, symbols)(x)


def exact_derivative(expr: Any, symbol: Any, x: Any, k: int) -> float:
    """The exact ``k``-th derivative of ``expr`` in ``symbol`` at the float64 number ``x``.

    Parameters
    ----------
    expr : sympy.Expr
        A function of ``symbol`` only.
    symbol : sympy.Symbol
    x : float
    k : int
        Derivative order, at least 1.

    Examples
    --------
    >>> import sympy
    >>> t = sympy.Symbol("t", real=True)
    >>> exact_derivative(sympy.sin(t), t, 0.0, 3)
    -1.0
    """
    k = check_positive_int("k", k)
    symbols = check_expression(expr, symbol)
    if len(symbols) != 1:
        raise ValueError(f"`symbol` must be one sympy.Symbol, got {len(symbols)}.")
    if np.ndim(x) != 0:
        raise ValueError(f"`x` must be a real scalar, got shape {np.shape(x)}.")
    d = sympy.diff(expr, symbols[0], k)
    entries = {(): d} if d != 0 else {}
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")
    truth = ExactMatrix(entries, (), symbols, what=f"{ordinal} derivative")
    return float(truth([x]))
