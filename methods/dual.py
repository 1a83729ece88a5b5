"""Dual numbers for forward-mode automatic differentiation, array-capable and numpy-aware.

A :class:`Dual` carries a ``value`` of shape ``S`` (``()`` for a scalar) and the derivative parts
``deriv`` of shape ``S + (n,)``: the derivatives of every element of ``value`` with respect to
``n`` independent inputs. Seeding ``x`` with the identity (:func:`seed`) makes ONE evaluation of a
function yield its whole gradient.

Arithmetic operators, comparisons (by value, so branches work), the numpy ufuncs in
:data:`SUPPORTED_UFUNCS` and the numpy functions in :data:`SUPPORTED_FUNCTIONS` are supported; any
other numpy ufunc or function raises ``TypeError`` naming it rather than silently dropping the
derivative. Conventions at points where the mathematical derivative does not exist:

- ``abs`` (``numpy.absolute``) has derivative ``sign(x)``, so 0 at 0 (the mean of the one-sided
  derivatives); ``maximum``/``minimum`` at a tie take the mean of the two branches, which agrees
  with it (``max(x, -x) == abs(x)``); ``sign`` has derivative 0 everywhere.
- ``sqrt``, ``cbrt``, ``x**p`` with ``0 < p < 1``, ``arcsin``/``arccos`` at +-1 and the like have an
  infinite derivative there (``sqrt'(0) = inf``).
- A direction that does not move an argument contributes 0 even where the local derivative is
  infinite or NaN (so ``d/dy sqrt(x) = 0`` at ``x = 0``), instead of IEEE's ``inf * 0 = nan``.
- Where a ufunc's value is NaN (``log(-1)``, ``sqrt(-1)``: outside its real domain, as numpy
  computes it), every derivative part of that element is NaN too, never the formula's finite
  number (``1/x = -1``).

Like every exact method, dual numbers differentiate the program, not the mathematical function:
cancellation written into the program is differentiated faithfully
(docs/theory.md#exact-methods-differentiate-the-program).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from .number_operators import ArithmeticOperators

__all__ = ["Dual", "seed", "SUPPORTED_UFUNCS", "SUPPORTED_FUNCTIONS"]

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _unsupported(name: str) -> TypeError:
    return TypeError(
        f"dual numbers do not support {name}: it has no derivative rule in methods.dual "
        "(see methods.dual.SUPPORTED_UFUNCS and SUPPORTED_FUNCTIONS)."
    )


class Dual(ArithmeticOperators):
    """A value with the derivatives of each of its elements along ``n`` directions.

    Parameters
    ----------
    value : array_like, shape S
        The real value (``S == ()`` for a scalar).
    deriv : array_like, shape S + (n,)
        Derivative parts; broadcast to ``S + (n,)`` if it is broadcastable (e.g. shape ``(n,)``).

    Notes
    -----
    ``float(d)`` works only when every derivative part is zero: otherwise it raises ``TypeError``,
    because the derivative would be dropped silently (use ``d.value`` on purpose). The same holds
    for ``numpy.asarray(d)``. Duals are immutable and unhashable; ``==`` compares values.

    Examples
    --------
    >>> import numpy as np
    >>> x = seed([2.0, 3.0])
    >>> y = x[0] ** 2 * x[1]
    >>> y.value, y.deriv
    (array(12.), array([12.,  4.]))
    >>> np.exp(x).deriv  # elementwise: a diagonal Jacobian
    array([[ 7.3890561 ,  0.        ],
           [ 0.        , 20.08553692]])
    """

    __slots__ = ("value", "deriv")
    __hash__ = None  # type: ignore[assignment]

    value: np.ndarray
    deriv: np.ndarray

    def __init__(self, value: Any, deriv: Any) -> None:
        value = np.asarray(value, dtype=float)
        deriv = np.asarray(deriv, dtype=float)
        if deriv.ndim == 0:
            raise ValueError(
                f"`deriv` must have shape value.shape + (n,) = {value.shape} + (n,), got shape ()."
            )
        target = value.shape + deriv.shape[-1:]
        if deriv.shape != target:
            try:
                deriv = np.broadcast_to(deriv, target)
            except ValueError:
                raise ValueError(
                    f"`deriv` must have shape value.shape + (n,) = {value.shape} + (n,), "
                    f"got shape {deriv.shape}."
                ) from None
        self.value = value
        self.deriv = deriv

    # -- array protocol ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape S of the value."""
        return self.value.shape

    @property
    def ndim(self) -> int:
        """Number of axes of the value."""
        return self.value.ndim

    @property
    def size(self) -> int:
        """Number of elements of the value."""
        return self.value.size

    @property
    def n(self) -> int:
        """Number of derivative directions."""
        return self.deriv.shape[-1]

    def __len__(self) -> int:
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d (scalar) dual number.")
        return self.value.shape[0]

    def __iter__(self) -> Iterator[Dual]:
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d (scalar) dual number.")
        return (self[i] for i in range(self.value.shape[0]))

    def __getitem__(self, key: Any) -> Dual:
        if isinstance(key, Dual):
            raise TypeError("a dual number cannot be used as an index.")
        value = self.value[key]
        keys = key if isinstance(key, tuple) else (key,)
        # The derivative axis is last: an Ellipsis must not swallow it.
        dkey = keys + (slice(None),) if any(k is Ellipsis for k in keys) else key
        return Dual(value, self.deriv[dkey])

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        self._check_no_derivative("numpy.asarray()")
        return np.array(self.value, dtype=dtype, copy=True)

    def __float__(self) -> float:
        if self.value.ndim != 0 and self.value.size != 1:
            raise TypeError(f"float() of a dual array of shape {self.value.shape}.")
        self._check_no_derivative("float()")
        return float(self.value.reshape(()))

    def __bool__(self) -> bool:
        return bool(self.value)

    def _check_no_derivative(self, what: str) -> None:
        if np.any(self.deriv != 0):
            raise TypeError(
                f"{what} of a dual number with a non-zero derivative would silently drop the "
                "derivative; use `.value` if that is what you mean, or numpy functions that "
                "dual numbers support (e.g. numpy.sin instead of math.sin)."
            )

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, deriv={self.deriv!r})"

    # -- numpy dispatch -----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = f"numpy.{ufunc.__name__}"
        if method != "__call__":
            raise _unsupported(f"{name}.{method}")
        if kwargs:
            raise TypeError(
                f"dual numbers do not support keyword arguments to {name}, got {sorted(kwargs)}."
            )
        if not all(_is_operand(x) for x in inputs):
            return NotImplemented
        if ufunc is np.matmul:
            return _matmul(*inputs)
        return _apply(ufunc, inputs)

    def __array_function__(self, func: Callable, types: Any, args: Any, kwargs: Any) -> Any:
        handler = _FUNCTIONS.get(func)
        if handler is None:
            raise _unsupported(f"{getattr(func, '__module__', 'numpy')}.{func.__name__}")
        if not all(issubclass(t, Dual | np.ndarray) for t in types):
            return NotImplemented
        return handler(*args, **kwargs)

    @classmethod
    def _stack(cls, items: Any) -> Dual:
        """A 1-D dual array from scalars (duals and real numbers), e.g. a list ``f`` returned."""
        n = _common_n(items)
        parts = [_as_dual(v, n) for v in items]
        if any(p.ndim != 0 for p in parts):
            raise TypeError("only scalar dual numbers and real numbers can be stacked.")
        return Dual(np.array([p.value for p in parts]), np.stack([p.deriv for p in parts]))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Dual:
        """Sum over ``axis`` (all axes by default), as :func:`numpy.sum`."""
        return _sum(self, axis=axis, keepdims=keepdims)

    # -- operators ------------------------------------------------------------------------------
    def _binary(self, ufunc: np.ufunc, other: Any, reflected: bool = False) -> Any:
        if not _is_operand(other):
            return NotImplemented
        if ufunc is np.matmul:
            return _matmul(other, self) if reflected else _matmul(self, other)
        return _apply(ufunc, (other, self) if reflected else (self, other))

    def _unsupported_operator(self, name: str) -> TypeError:
        return _unsupported(name)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.deriv)

    def __pos__(self) -> Dual:
        return self

    def __abs__(self) -> Dual:
        return _apply(np.absolute, (self,))


def seed(x: Any) -> Dual:
    """Independent variables: ``Dual(value=x, deriv=identity(n))`` for ``x`` of shape ``(n,)``.

    Parameters
    ----------
    x : array_like, shape (n,)
        The point; copied as float64.

    Returns
    -------
    Dual
        ``value`` of shape ``(n,)`` and ``deriv`` the ``(n, n)`` identity, so ``f(seed(x)).deriv``
        is the gradient of ``f`` at ``x``.

    Examples
    --------
    >>> seed([0.5, 2.0]).deriv
    array([[1., 0.],
           [0., 1.]])
    """
    arr = np.array(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"`x` must be 1-D (shape (n,)), got shape {arr.shape}.")
    return Dual(arr, np.eye(arr.size))


# -- helpers -------------------------------------------------------------------------------------
def _is_operand(x: Any) -> bool:
    """True for the things a dual combines with: duals, real numbers and real arrays."""
    if isinstance(x, Dual):
        return True
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "biuf"
    return isinstance(x, numbers.Real)


def _val(x: Any) -> Any:
    return x.value if isinstance(x, Dual) else x


def _common_n(items: Any) -> int | None:
    ns = {x.n for x in items if isinstance(x, Dual)}
    if len(ns) > 1:
        raise ValueError(
            f"dual numbers with different numbers of directions combined: {sorted(ns)}."
        )
    return ns.pop() if ns else None


def _chain(partial: Any, deriv: np.ndarray) -> np.ndarray:
    """``partial * deriv`` along the trailing derivative axis; zero directions stay zero."""
    if isinstance(partial, int | float) and np.isfinite(partial):
        if partial == 1:
            return deriv
        if partial == -1:
            return -deriv
        return partial * deriv
    partial = np.asarray(partial, dtype=float)
    term = partial[..., None] * deriv
    if not np.all(np.isfinite(partial)):
        # inf * 0 would be NaN: a direction that does not move the argument contributes 0.
        term = np.where(deriv == 0, 0.0, term)
    return term


# Local derivatives: for a ufunc with k inputs, k functions of (output, *inputs). Formulas are
# chosen to keep the rounding error to a few ulp (e.g. (1 - x)(1 + x) instead of 1 - x**2).
def _pow_base(y: Any, a: Any, b: Any) -> Any:
    p = b * np.power(a, np.subtract(b, 1))
    # x**0 is constant, also at x = 0 (where the formula gives 0 * inf)
    return np.where(np.equal(b, 0), 0.0, p) if np.any(np.equal(b, 0)) else p


def _pow_exponent(y: Any, a: Any, b: Any) -> Any:
    return np.where(np.equal(y, 0), 0.0, y * np.log(a))  # 0**b == 0 for every b > 0


def _branch(chosen: Callable) -> Callable:
    """Local derivative of maximum/minimum for one input: 1 if it is chosen, 0.5 at a tie."""

    def partial(y: Any, a: Any, b: Any) -> Any:
        return np.where(np.equal(a, b), 0.5, np.where(chosen(a, b), 1.0, 0.0))

    return partial


def _arctan2_partial(y: Any, a: Any, b: Any, top: Any) -> Any:
    r = np.hypot(a, b)  # no overflow of a**2 + b**2
    return (top / r) / r


def _sech2(y: Any, x: Any) -> Any:
    s = 1.0 / np.cosh(x)
    return s * s


_PREDICATE = "predicate"

_RULES: dict[np.ufunc, Any] = {
    # arithmetic
    np.add: (lambda y, a, b: 1.0, lambda y, a, b: 1.0),
    np.subtract: (lambda y, a, b: 1.0, lambda y, a, b: -1.0),
    np.multiply: (lambda y, a, b: b, lambda y, a, b: a),
    np.true_divide: (lambda y, a, b: 1.0 / b, lambda y, a, b: -y / b),
    np.power: (_pow_base, _pow_exponent),
    np.negative: (lambda y, x: -1.0,),
    np.positive: (lambda y, x: 1.0,),
    np.absolute: (lambda y, x: np.sign(x),),
    np.sign: (lambda y, x: np.zeros(np.shape(x)),),
    np.square: (lambda y, x: 2.0 * x,),
    np.reciprocal: (lambda y, x: -(y * y),),
    np.sqrt: (lambda y, x: 0.5 / y,),
    np.cbrt: (lambda y, x: 1.0 / (3.0 * (y * y)),),
    np.maximum: (_branch(np.greater), _branch(np.less)),
    np.minimum: (_branch(np.less), _branch(np.greater)),
    np.hypot: (lambda y, a, b: a / y, lambda y, a, b: b / y),
    # exponentials and logarithms
    np.exp: (lambda y, x: y,),
    np.exp2: (lambda y, x: y * _LN2,),
    np.expm1: (lambda y, x: np.exp(x),),
    np.log: (lambda y, x: 1.0 / x,),
    np.log2: (lambda y, x: 1.0 / (x * _LN2),),
    np.log10: (lambda y, x: 1.0 / (x * _LN10),),
    np.log1p: (lambda y, x: 1.0 / (1.0 + x),),
    # trigonometric
    np.sin: (lambda y, x: np.cos(x),),
    np.cos: (lambda y, x: -np.sin(x),),
    np.tan: (lambda y, x: 1.0 + y * y,),
    np.arcsin: (lambda y, x: 1.0 / np.sqrt((1.0 - x) * (1.0 + x)),),
    np.arccos: (lambda y, x: -1.0 / np.sqrt((1.0 - x) * (1.0 + x)),),
    np.arctan: (lambda y, x: 1.0 / (1.0 + x * x),),
    np.arctan2: (
        lambda y, a, b: _arctan2_partial(y, a, b, b),
        lambda y, a, b: _arctan2_partial(y, a, b, -a),
    ),
    # hyperbolic
    np.sinh: (lambda y, x: np.cosh(x),),
    np.cosh: (lambda y, x: np.sinh(x),),
    np.tanh: (_sech2,),
    np.arcsinh: (lambda y, x: 1.0 / np.hypot(1.0, x),),
    np.arccosh: (lambda y, x: 1.0 / np.sqrt((x - 1.0) * (x + 1.0)),),
    np.arctanh: (lambda y, x: 1.0 / ((1.0 - x) * (1.0 + x)),),
}
# Ufuncs answered from the values alone (no derivative): comparisons and tests.
for _u in (
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.isfinite,
    np.isinf,
    np.isnan,
):
    _RULES[_u] = _PREDICATE
del _u


def _apply(ufunc: np.ufunc, inputs: tuple) -> Any:
    rule = _RULES.get(ufunc)
    if rule is None:
        raise _unsupported(f"numpy.{ufunc.__name__}")
    _common_n(inputs)
    vals = [_val(x) for x in inputs]
    y = ufunc(*vals)  # same floating-point warnings as the plain program
    if rule is _PREDICATE:
        return y
    deriv = None
    with np.errstate(all="ignore"):  # local derivatives at singular points are inf/NaN on purpose
        for x, partial in zip(inputs, rule, strict=True):
            if isinstance(x, Dual):
                term = _chain(partial(y, *vals), x.deriv)
                deriv = term if deriv is None else deriv + term
    nan = np.isnan(y)
    if np.any(nan):  # outside the domain (log(-1)): no derivative either, as numpy has no value
        deriv = np.where(nan[..., None], np.nan, deriv)
    return Dual(y, deriv)


def _matmul(a: Any, b: Any) -> Dual:
    """``a @ b`` for 1-D and 2-D operands (at least one dual)."""
    _common_n((a, b))
    av, bv = _val(a), _val(b)
    if not (1 <= np.ndim(av) <= 2 and 1 <= np.ndim(bv) <= 2):
        raise TypeError(
            "dual numbers support numpy.matmul/numpy.dot only for 1-D and 2-D operands, "
            f"got shapes {np.shape(av)} and {np.shape(bv)}."
        )
    value = np.matmul(av, bv)
    deriv = 0.0
    if isinstance(a, Dual):  # (n, ..., k) @ b, derivative axis moved back to the end
        deriv = deriv + np.moveaxis(np.matmul(np.moveaxis(a.deriv, -1, 0), bv), 0, -1)
    if isinstance(b, Dual):
        if b.ndim == 1:
            deriv = deriv + np.matmul(av, b.deriv)
        else:
            deriv = deriv + np.moveaxis(np.matmul(av, np.moveaxis(b.deriv, -1, 0)), 0, -1)
    return Dual(value, deriv)


# -- numpy functions ------------------------------------------------------------------------------
def _reject(func: str, **given: Any) -> None:
    bad = [k for k, v in given.items() if v is not None]
    if bad:
        raise TypeError(f"dual numbers do not support the argument(s) {bad} of numpy.{func}.")


def _as_dual(x: Any, n: int) -> Dual:
    return x if isinstance(x, Dual) else Dual(x, np.zeros(np.shape(x) + (n,)))


def _sum(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("sum", dtype=dtype, out=out)
    if not isinstance(a, Dual):
        return np.sum(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    return Dual(
        a.value.sum(axis=axes, keepdims=keepdims), a.deriv.sum(axis=axes, keepdims=keepdims)
    )


def _mean(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("mean", dtype=dtype, out=out)
    if not isinstance(a, Dual):
        return np.mean(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes]))
    return _sum(a, axis=axes, keepdims=keepdims) / count


def _prod(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("prod", dtype=dtype, out=out)
    if not isinstance(a, Dual):
        return np.prod(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    front = tuple(range(len(axes)))
    v = np.moveaxis(a.value, axes, front)
    d = np.moveaxis(a.deriv, axes, front)
    rest = v.shape[len(axes) :]
    v = v.reshape((-1,) + rest)
    d = d.reshape((-1,) + rest + (a.n,))
    # product of all the other factors, without division (exact zeros allowed)
    ones = np.ones((1,) + rest)
    left = np.cumprod(np.concatenate([ones, v[:-1]]), axis=0)
    right = np.cumprod(np.concatenate([ones, v[:0:-1]]), axis=0)[::-1]
    value = v.prod(axis=0)
    deriv = ((left * right)[..., None] * d).sum(axis=0)
    if keepdims:
        value = np.expand_dims(value, axes)
        deriv = np.expand_dims(deriv, axes)
    return Dual(value, deriv)


def _dot(a: Any, b: Any, out: Any = None) -> Any:
    _reject("dot", out=out)
    if np.ndim(_val(a)) == 0 or np.ndim(_val(b)) == 0:
        return _apply(np.multiply, (a, b))
    return _matmul(a, b)


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise TypeError("dual numbers support numpy.where only in its 3-argument form.")
    if isinstance(condition, Dual):
        raise TypeError("numpy.where: the condition must be boolean, not a dual number.")
    n = _common_n((x, y))
    cond = np.asarray(condition)
    value = np.where(cond, _val(x), _val(y))
    deriv = np.where(cond[..., None], _as_dual(x, n).deriv, _as_dual(y, n).deriv)
    return Dual(value, deriv)


def _select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    if any(isinstance(c, Dual) for c in condlist):
        raise TypeError("numpy.select: conditions must be boolean, not dual numbers.")
    n = _common_n([*choicelist, default])
    conds = [np.asarray(c) for c in condlist]
    value = np.select(conds, [_val(c) for c in choicelist], default=_val(default))
    deriv = np.select(
        [c[..., None] for c in conds],
        [_as_dual(c, n).deriv for c in choicelist],
        default=_as_dual(default, n).deriv if isinstance(default, Dual) else 0.0,
    )
    return Dual(value, deriv)


_FUNCTIONS: dict[Callable, Callable] = {
    np.sum: _sum,
    np.mean: _mean,
    np.prod: _prod,
    np.dot: _dot,
    np.where: _where,
    np.select: _select,
    np.shape: lambda a: np.shape(_val(a)),
    np.ndim: lambda a: np.ndim(_val(a)),
    np.size: lambda a, axis=None: np.size(_val(a), axis),
}

#: Names of the numpy ufuncs dual numbers support (comparisons, isfinite, isinf and isnan act on
#: the values only).
SUPPORTED_UFUNCS: tuple[str, ...] = tuple(sorted([u.__name__ for u in _RULES] + ["matmul"]))
#: Names of the numpy functions dual numbers support.
SUPPORTED_FUNCTIONS: tuple[str, ...] = tuple(sorted(f.__name__ for f in _FUNCTIONS))
