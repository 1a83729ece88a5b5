"""Hyper-dual numbers ``a + b e1 + c e2 + d e1 e2`` (Fike & Alonso 2011), array-capable.

``e1**2 = e2**2 = 0`` but ``e1 e2 != 0``: evaluating ``f(x + e1 u + e2 v)`` gives ``f(x)``,
``f'(x) u``, ``f'(x) v`` and ``u^T f''(x) v`` exactly, with no step and no cancellation. Here the
``e1`` and ``e2`` parts carry several directions each: a :class:`HyperDual` has a ``value`` of shape
``S``, first-order parts ``e1`` of shape ``S + (p,)`` and ``e2`` of shape ``S + (q,)``, and
second-order parts ``e12`` of shape ``S + (p, q)`` (the mixed derivatives along every pair of an
``e1`` and an ``e2`` direction). With ``e1`` and ``e2`` both seeded with the identity, one
evaluation gives the whole Hessian; :mod:`methods.hyperdual` seeds blocks of rows. Every part is a
float64 array and every rule is numpy arithmetic on whole arrays, never a Python loop over numbers.
A part that is zero (a constant's, or a seed's ``e12``) is a read-only broadcast zero that costs
no memory, and the rules skip its terms, so constants cost nothing in the ``S x p x q`` parts.

Every operation applies the second-order chain rule: for ``y = g(u)``,
``y.e12 = g'(u) u.e12 + g''(u) u.e1 (x) u.e2``, and for ``y = g(u, v)`` the same with the mixed
second partials. Arithmetic, comparisons (by value), the numpy ufuncs in :data:`SUPPORTED_UFUNCS`
and the numpy functions in :data:`SUPPORTED_FUNCTIONS` are supported (the coverage of
:mod:`methods.dual`); anything else raises ``TypeError`` naming it. ``float()``, ``numpy.asarray``
and ``astype`` refuse a number whose derivative parts are not all zero. Conventions at
non-differentiable points follow :mod:`methods.dual` (``abs'(0) = 0``, ties of max/min average
both branches, a direction that does not move an argument contributes 0, a NaN value has NaN
parts).

Examples
--------
>>> import numpy as np
>>> x = HyperDual(np.array([1.0, 2.0]), np.eye(2), np.eye(2), np.zeros((2, 2, 2)))
>>> y = x[0] ** 2 * x[1]
>>> y.e1.tolist(), y.e12.tolist()  # gradient, Hessian
([4.0, 1.0], [[4.0, 2.0], [2.0, 0.0]])
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from .number_operators import ArithmeticOperators

__all__ = ["HyperDual", "SUPPORTED_UFUNCS", "SUPPORTED_FUNCTIONS", "largest_value_size"]

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _unsupported(name: str) -> TypeError:
    return TypeError(
        f"hyper-dual numbers do not support {name}: it has no second-order rule in "
        "methods.hyperdual_numbers (see SUPPORTED_UFUNCS and SUPPORTED_FUNCTIONS)."
    )


class HyperDual(ArithmeticOperators):
    """A value with first derivatives along ``p`` and ``q`` directions and their mixed seconds.

    Parameters
    ----------
    value : array_like, shape S
    e1 : array_like, shape S + (p,)
    e2 : array_like, shape S + (q,)
    e12 : array_like, shape S + (p, q)
        Each part is broadcast to its shape if it can be.

    Notes
    -----
    Immutable and unhashable; ``==`` compares values. ``float(h)``, ``numpy.asarray(h)`` and
    ``h.astype(float)`` work only when every derivative part is zero.
    """

    __slots__ = ("value", "e1", "e2", "e12")
    __hash__ = None  # type: ignore[assignment]

    value: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    e12: np.ndarray

    def __init__(self, value: Any, e1: Any, e2: Any, e12: Any) -> None:
        value = np.asarray(value, dtype=float)
        e1 = np.asarray(e1, dtype=float)
        e2 = np.asarray(e2, dtype=float)
        e12 = np.asarray(e12, dtype=float)
        if e1.ndim == 0 or e2.ndim == 0 or e12.ndim < 2:
            raise ValueError(
                "`e1`, `e2`, `e12` must have shapes S + (p,), S + (q,), S + (p, q) for the "
                f"value shape S = {value.shape}, got {e1.shape}, {e2.shape}, {e12.shape}."
            )
        s = value.shape
        try:
            e1 = np.broadcast_to(e1, s + e1.shape[-1:])
            e2 = np.broadcast_to(e2, s + e2.shape[-1:])
            e12 = np.broadcast_to(e12, s + (e1.shape[-1], e2.shape[-1]))
        except ValueError:
            raise ValueError(
                "`e1`, `e2`, `e12` must have shapes S + (p,), S + (q,), S + (p, q) for the "
                f"value shape S = {s}, got {e1.shape}, {e2.shape}, {e12.shape}."
            ) from None
        self.value, self.e1, self.e2, self.e12 = value, e1, e2, e12
        _note_size(value.size)

    @classmethod
    def constant(cls, value: Any, p: int, q: int) -> HyperDual:
        """A hyper-dual number with all derivative parts zero."""
        v = np.asarray(value, dtype=float)
        s = v.shape
        return _make(v, _zeros(s + (p,)), _zeros(s + (q,)), _zeros(s + (p, q)))

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
    def pq(self) -> tuple[int, int]:
        """Numbers of e1 and e2 directions."""
        return self.e1.shape[-1], self.e2.shape[-1]

    def __len__(self) -> int:
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d (scalar) hyper-dual number.")
        return self.value.shape[0]

    def __iter__(self) -> Iterator[HyperDual]:
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d (scalar) hyper-dual number.")
        return (self[i] for i in range(self.value.shape[0]))

    def __getitem__(self, key: Any) -> HyperDual:
        if isinstance(key, HyperDual):
            raise TypeError("a hyper-dual number cannot be used as an index.")
        keys = key if isinstance(key, tuple) else (key,)
        ellipsis = any(k is Ellipsis for k in keys)
        k1 = keys + (slice(None),) if ellipsis else key
        k2 = keys + (slice(None), slice(None)) if ellipsis else key
        v = np.asarray(self.value[key])
        return _make(
            v, _part(self.e1, k1, v.shape, 1), _part(self.e2, k1, v.shape, 1),
            _part(self.e12, k2, v.shape, 2),
        )  # fmt: skip

    def reshape(self, *shape: Any) -> HyperDual:
        """The same numbers with the value reshaped (derivative axes kept last)."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        v = self.value.reshape(shape)
        return _make(
            v, _reshaped(self.e1, v.shape, 1), _reshaped(self.e2, v.shape, 1),
            _reshaped(self.e12, v.shape, 2),
        )  # fmt: skip

    def _check_no_derivative(self, what: str) -> None:
        if np.any(self.e1 != 0) or np.any(self.e2 != 0) or np.any(self.e12 != 0):
            raise TypeError(
                f"{what} of a hyper-dual number with non-zero derivative parts would silently "
                "drop them; use `.value` if that is what you mean, or numpy functions that "
                "hyper-dual numbers support (e.g. numpy.sin instead of math.sin)."
            )

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        self._check_no_derivative("numpy.asarray()")
        return np.array(self.value, dtype=dtype, copy=True)

    def astype(self, dtype: Any) -> np.ndarray:
        """The value as ``dtype``, only if every derivative part is zero."""
        self._check_no_derivative(f"astype({getattr(dtype, '__name__', dtype)})")
        return self.value.astype(dtype)

    def __float__(self) -> float:
        if self.value.size != 1:
            raise TypeError(f"float() of a hyper-dual array of shape {self.value.shape}.")
        self._check_no_derivative("float()")
        return float(self.value.reshape(()))

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return f"HyperDual(value={self.value!r}, e1={self.e1!r}, e2={self.e2!r}, e12={self.e12!r})"

    @classmethod
    def _stack(cls, items: Any) -> HyperDual:
        """A 1-D hyper-dual array from scalars (hyper-duals and real numbers)."""
        p, q = _common_pq(items)
        parts = [_lift(v, p, q) for v in items]
        if any(h.ndim != 0 for h in parts):
            raise TypeError("only scalar hyper-dual numbers and real numbers can be stacked.")
        return HyperDual(*(np.stack([getattr(h, a) for h in parts]) for a in _PARTS))

    # -- numpy dispatch -----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = f"numpy.{ufunc.__name__}"
        if method != "__call__":
            raise _unsupported(f"{name}.{method}")
        if kwargs:
            raise TypeError(
                f"hyper-dual numbers do not support keyword arguments to {name}, "
                f"got {sorted(kwargs)}."
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
        if not all(issubclass(t, HyperDual | np.ndarray) for t in types):
            return NotImplemented
        return handler(*args, **kwargs)

    def sum(self, axis: Any = None, keepdims: bool = False) -> HyperDual:
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

    def __neg__(self) -> HyperDual:
        parts = (a if _is_zero(a) else -a for a in (self.e1, self.e2, self.e12))
        return _make(np.asarray(-self.value), *parts)

    def __pos__(self) -> HyperDual:
        return self

    def __abs__(self) -> HyperDual:
        return _apply(np.absolute, (self,))


_PARTS = ("value", "e1", "e2", "e12")
_ZERO = np.zeros(())
_ZERO.setflags(write=False)
#: While :func:`largest_value_size` is active: the largest value size of any hyper-dual made.
_LARGEST: ContextVar[list[int] | None] = ContextVar("hyperdual_largest", default=None)


_ZERO_VIEWS: dict[tuple[int, ...], np.ndarray] = {}


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only zero array of ``shape`` that costs no memory (every stride 0; cached)."""
    z = _ZERO_VIEWS.get(shape)
    if z is None:
        if len(_ZERO_VIEWS) > 1024:
            _ZERO_VIEWS.clear()
        z = _ZERO_VIEWS[shape] = np.broadcast_to(_ZERO, shape)
    return z


def _is_zero(part: np.ndarray) -> bool:
    """Whether ``part`` is known to be zero without reading it: empty, or a broadcast zero."""
    return part.size == 0 or (not any(part.strides) and part.flat[0] == 0.0)


def _note_size(size: int) -> None:
    largest = _LARGEST.get()
    if largest is not None and size > largest[0]:
        largest[0] = size


def _make(value: np.ndarray, e1: np.ndarray, e2: np.ndarray, e12: np.ndarray) -> HyperDual:
    """A :class:`HyperDual` from parts already of the right shapes and dtype (no checks)."""
    out = object.__new__(HyperDual)
    out.value, out.e1, out.e2, out.e12 = value, e1, e2, e12
    _note_size(value.size)
    return out


def _part(part: np.ndarray, key: Any, shape: tuple[int, ...], axes: int) -> np.ndarray:
    """``part[key]`` for a value indexed to ``shape``, ``axes`` derivative axes (a zero part
    stays a free zero)."""
    if _is_zero(part):
        return _zeros(shape + part.shape[part.ndim - axes :])
    return part[key]


def _reshaped(part: np.ndarray, shape: tuple[int, ...], axes: int) -> np.ndarray:
    """``part`` for a value reshaped to ``shape``, ``axes`` derivative axes kept last."""
    tail = part.shape[part.ndim - axes :]
    return _zeros(shape + tail) if _is_zero(part) else part.reshape(shape + tail)


@contextlib.contextmanager
def largest_value_size() -> Iterator[list[int]]:
    """Record the largest value size of the hyper-dual numbers made inside a ``with`` block.

    Yields a one-element list whose item is that size (0 if none was made); the hyper-dual
    Hessian uses it to size its evaluations to the memory budget
    (:func:`methods.batching.max_batch_bytes`).

    Examples
    --------
    >>> x = HyperDual(np.ones(3), np.eye(3), np.eye(3), np.zeros((3, 3, 3)))
    >>> with largest_value_size() as largest:
    ...     y = np.sum(x[:, None] * x[None, :])
    >>> largest[0]
    9
    """
    token = _LARGEST.set([0])
    try:
        yield _LARGEST.get()  # type: ignore[misc]
    finally:
        _LARGEST.reset(token)


# -- helpers -------------------------------------------------------------------------------------
def _is_operand(x: Any) -> bool:
    if isinstance(x, HyperDual):
        return True
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "biuf"
    return isinstance(x, numbers.Real)


def _val(x: Any) -> Any:
    return x.value if isinstance(x, HyperDual) else x


def _common_pq(items: Any) -> tuple[int, int]:
    pqs = {x.pq for x in items if isinstance(x, HyperDual)}
    if len(pqs) > 1:
        raise ValueError(f"hyper-dual numbers with different directions combined: {sorted(pqs)}.")
    return pqs.pop() if pqs else (0, 0)


def _lift(x: Any, p: int, q: int) -> HyperDual:
    return x if isinstance(x, HyperDual) else HyperDual.constant(x, p, q)


def _scale(g: Any, part: np.ndarray, axes: int) -> tuple[np.ndarray, bool]:
    """``g * part`` with ``g`` of the value's shape and ``axes`` trailing derivative axes; and
    whether the result is a fresh array (``g == 1`` returns ``part`` itself)."""
    if isinstance(g, float) and g == 1.0:
        return part, False
    g = np.asarray(g, dtype=float)
    term = g[(...,) + (None,) * axes] * part
    if not np.isfinite(g).all():  # a direction that does not move the argument contributes 0
        term = np.where(part == 0, 0.0, term)
    return term, True


def _second(h: Any, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """``h * e1 (x) e2``: the second-order term of the chain rule, ``h`` of the value's shape.

    ``h`` scales the ``p`` first-order parts before the outer product (one pass over the
    ``S x p x q`` result instead of two); a non-finite ``h`` keeps the rule that a direction
    that does not move the argument contributes 0."""
    if isinstance(h, float) and h == 1.0:
        return e1[..., :, None] * e2[..., None, :]
    h = np.asarray(h, dtype=float)
    if np.isfinite(h).all():
        return (h[..., None] * e1)[..., :, None] * e2[..., None, :]
    outer = e1[..., :, None] * e2[..., None, :]
    return np.where(outer == 0, 0.0, h[..., None, None] * outer)


def _total(terms: list[tuple[np.ndarray, bool]], shape: tuple[int, ...]) -> np.ndarray:
    """The sum of ``terms`` (arrays, each flagged fresh or not) broadcast to ``shape``.

    No term: a read-only zero of ``shape`` that costs no memory (:func:`_is_zero` knows it).
    Terms are added in order, in place into the first fresh array of the full shape."""
    if not terms:
        return _zeros(shape)
    acc, fresh = terms[0]
    for term, _ in terms[1:]:
        if fresh and acc.shape == shape:
            np.add(acc, term, out=acc)
        else:
            acc, fresh = acc + term, True
    return acc if acc.shape == shape else np.broadcast_to(acc, shape)


def _chain(y: Any, args: list[HyperDual], grad: list, hess: list[list] | None) -> HyperDual:
    """``y = g(*args)`` with first partials ``grad`` and second partials ``hess`` (None: 0).

    Parts that are zero (constants, and the ``e12`` parts of the seeds) add no term."""
    y = np.asarray(y, dtype=float)
    p, q = args[0].pq
    s = y.shape
    t1: list[tuple[np.ndarray, bool]] = []
    t2: list[tuple[np.ndarray, bool]] = []
    t12: list[tuple[np.ndarray, bool]] = []
    with np.errstate(all="ignore"):
        for a, g in zip(args, grad, strict=True):
            if isinstance(g, float) and g == 0.0:
                continue
            if not _is_zero(a.e1):
                t1.append(_scale(g, a.e1, 1))
            if not _is_zero(a.e2):
                t2.append(_scale(g, a.e2, 1))
            if not _is_zero(a.e12):
                t12.append(_scale(g, a.e12, 2))
        for i, a in enumerate(args if hess is not None else ()):
            for j, b in enumerate(args):
                h = hess[i][j]  # type: ignore[index]
                if h is None or (isinstance(h, float) and h == 0.0):
                    continue
                if not _is_zero(a.e1) and not _is_zero(b.e2):
                    t12.append((_second(h, a.e1, b.e2), True))
        e1, e2, e12 = _total(t1, s + (p,)), _total(t2, s + (q,)), _total(t12, s + (p, q))
    nan = np.isnan(y)
    if np.any(nan):  # outside the domain: no derivative either
        e1 = np.where(nan[..., None], np.nan, e1)
        e2 = np.where(nan[..., None], np.nan, e2)
        e12 = np.where(nan[..., None, None], np.nan, e12)
    return _make(y, e1, e2, e12)


# Unary rules: (g', g'') as functions of (y, x).
_UNARY: dict[np.ufunc, tuple[Callable, Callable]] = {
    np.negative: (lambda y, x: -1.0, lambda y, x: 0.0),
    np.positive: (lambda y, x: 1.0, lambda y, x: 0.0),
    np.absolute: (lambda y, x: np.sign(x), lambda y, x: 0.0),
    np.sign: (lambda y, x: 0.0, lambda y, x: 0.0),
    np.square: (lambda y, x: 2.0 * x, lambda y, x: 2.0),
    np.reciprocal: (lambda y, x: -(y * y), lambda y, x: 2.0 * y * y * y),
    np.sqrt: (lambda y, x: 0.5 / y, lambda y, x: -0.25 / (y * y * y)),
    np.cbrt: (lambda y, x: 1.0 / (3.0 * y * y), lambda y, x: -2.0 / (9.0 * y**5)),
    np.exp: (lambda y, x: y, lambda y, x: y),
    np.exp2: (lambda y, x: y * _LN2, lambda y, x: y * _LN2 * _LN2),
    np.expm1: (lambda y, x: np.exp(x), lambda y, x: np.exp(x)),
    np.log: (lambda y, x: 1.0 / x, lambda y, x: -1.0 / (x * x)),
    np.log2: (lambda y, x: 1.0 / (x * _LN2), lambda y, x: -1.0 / (x * x * _LN2)),
    np.log10: (lambda y, x: 1.0 / (x * _LN10), lambda y, x: -1.0 / (x * x * _LN10)),
    np.log1p: (lambda y, x: 1.0 / (1.0 + x), lambda y, x: -1.0 / ((1.0 + x) * (1.0 + x))),
    np.sin: (lambda y, x: np.cos(x), lambda y, x: -y),
    np.cos: (lambda y, x: -np.sin(x), lambda y, x: -y),
    np.tan: (lambda y, x: 1.0 + y * y, lambda y, x: 2.0 * y * (1.0 + y * y)),
    np.arcsin: (
        lambda y, x: 1.0 / np.sqrt((1.0 - x) * (1.0 + x)),
        lambda y, x: x / ((1.0 - x) * (1.0 + x)) ** 1.5,
    ),
    np.arccos: (
        lambda y, x: -1.0 / np.sqrt((1.0 - x) * (1.0 + x)),
        lambda y, x: -x / ((1.0 - x) * (1.0 + x)) ** 1.5,
    ),
    np.arctan: (lambda y, x: 1.0 / (1.0 + x * x), lambda y, x: -2.0 * x / (1.0 + x * x) ** 2),
    np.sinh: (lambda y, x: np.cosh(x), lambda y, x: y),
    np.cosh: (lambda y, x: np.sinh(x), lambda y, x: y),
    np.tanh: (lambda y, x: (1.0 - y) * (1.0 + y), lambda y, x: -2.0 * y * (1.0 - y) * (1.0 + y)),
    np.arcsinh: (lambda y, x: 1.0 / np.hypot(1.0, x), lambda y, x: -x / np.hypot(1.0, x) ** 3),
    np.arccosh: (
        lambda y, x: 1.0 / np.sqrt((x - 1.0) * (x + 1.0)),
        lambda y, x: -x / ((x - 1.0) * (x + 1.0)) ** 1.5,
    ),
    np.arctanh: (
        lambda y, x: 1.0 / ((1.0 - x) * (1.0 + x)),
        lambda y, x: 2.0 * x / ((1.0 - x) * (1.0 + x)) ** 2,
    ),
}
_PREDICATES = frozenset(
    {
        np.greater,
        np.greater_equal,
        np.less,
        np.less_equal,
        np.equal,
        np.not_equal,
        np.isfinite,
        np.isinf,
        np.isnan,
    }
)
_BINARY = (np.add, np.subtract, np.multiply, np.true_divide, np.power)
_COMPOSED = (np.maximum, np.minimum, np.hypot, np.arctan2)


def _apply(ufunc: np.ufunc, inputs: tuple) -> Any:
    if ufunc in _PREDICATES:
        return ufunc(*[_val(x) for x in inputs])
    p, q = _common_pq(inputs)
    if ufunc in _UNARY:
        (x,) = inputs
        y = ufunc(x.value)
        d1, d2 = _UNARY[ufunc]
        with np.errstate(all="ignore"):
            return _chain(y, [x], [d1(y, x.value)], [[d2(y, x.value)]])
    if ufunc in _BINARY or ufunc in _COMPOSED:
        a, b = (_lift(v, p, q) for v in inputs)
        return _binary(
            ufunc, a, b, isinstance(inputs[0], HyperDual), isinstance(inputs[1], HyperDual)
        )
    raise _unsupported(f"numpy.{ufunc.__name__}")


def _binary(ufunc: np.ufunc, a: HyperDual, b: HyperDual, a_var: bool, b_var: bool) -> HyperDual:
    u, v = a.value, b.value
    y = ufunc(u, v)  # the plain program's floating-point warnings
    with np.errstate(all="ignore"):
        if ufunc is np.add:
            return _chain(y, [a, b], [1.0, 1.0], None)
        if ufunc is np.subtract:
            return _chain(y, [a, b], [1.0, -1.0], None)
        if ufunc is np.multiply:
            return _chain(y, [a, b], [v, u], [[None, 1.0], [1.0, None]])
        if ufunc is np.true_divide:
            r = 1.0 / v
            return _chain(y, [a, b], [r, -y * r], [[None, -r * r], [-r * r, 2.0 * y * r * r]])
        if ufunc is np.power:
            return _power(y, a, b, a_var, b_var)
        if ufunc in (np.maximum, np.minimum):
            pick = np.greater if ufunc is np.maximum else np.less
            wa = np.where(np.equal(u, v), 0.5, np.where(pick(u, v), 1.0, 0.0))
            return _chain(y, [a, b], [wa, 1.0 - wa], None)
        if ufunc is np.hypot:
            y3 = y * y * y
            return _chain(
                y, [a, b], [u / y, v / y], [[v * v / y3, -u * v / y3], [-u * v / y3, u * u / y3]]
            )
        # arctan2(u, v)
        r2 = np.hypot(u, v) ** 2
        r4 = r2 * r2
        cross = (u * u - v * v) / r4
        return _chain(
            y, [a, b], [v / r2, -u / r2], [[-2.0 * u * v / r4, cross], [cross, 2.0 * u * v / r4]]
        )


def _power(y: Any, a: HyperDual, b: HyperDual, a_var: bool, b_var: bool) -> HyperDual:
    u, v = a.value, b.value
    if not b_var and v.ndim == 0:  # x ** c, one exponent: the same values, fewer passes
        c = float(v)
        g1 = 0.0 if c == 0.0 else v * np.power(u, v - 1.0)
        g2 = 0.0 if c in (0.0, 1.0) else v * (v - 1.0) * np.power(u, v - 2.0)
        return _chain(y, [a, b], [g1, 0.0], [[g2, None], [None, None]])
    if not b_var:  # x ** c
        g1 = np.where(np.equal(v, 0), 0.0, v * np.power(u, v - 1.0))
        g2 = np.where(np.equal(v, 0) | np.equal(v, 1), 0.0, v * (v - 1.0) * np.power(u, v - 2.0))
        return _chain(y, [a, b], [g1, 0.0], [[g2, None], [None, None]])
    log_u = np.log(u)
    if not a_var:  # c ** x
        g1 = np.where(np.equal(y, 0), 0.0, y * log_u)
        g2 = np.where(np.equal(y, 0), 0.0, y * log_u * log_u)
        return _chain(y, [a, b], [0.0, g1], [[None, None], [None, g2]])
    # u ** v = exp(v log u)
    ga, gb = v * y / u, y * log_u
    gaa = v * (v - 1.0) * y / (u * u)
    gab = y / u * (1.0 + v * log_u)
    return _chain(y, [a, b], [ga, gb], [[gaa, gab], [gab, y * log_u * log_u]])


def _matmul(a: Any, b: Any) -> HyperDual:
    """``a @ b`` for 1-D and 2-D operands (at least one hyper-dual), as sums of products."""
    p, q = _common_pq((a, b))
    a, b = _lift(a, p, q), _lift(b, p, q)
    if not (1 <= a.ndim <= 2 and 1 <= b.ndim <= 2):
        raise TypeError(
            "hyper-dual numbers support numpy.matmul/numpy.dot only for 1-D and 2-D operands, "
            f"got shapes {a.shape} and {b.shape}."
        )
    if a.ndim == 1 and b.ndim == 1:
        return _sum(a * b)
    if a.ndim == 2 and b.ndim == 1:
        return _sum(a * b.reshape(1, -1), axis=1)
    if a.ndim == 1:
        return _sum(a.reshape(-1, 1) * b, axis=0)
    return _sum(a.reshape(a.shape + (1,)) * b.reshape((1,) + b.shape), axis=1)


# -- numpy functions ------------------------------------------------------------------------------
def _reject(func: str, **given: Any) -> None:
    bad = [k for k, v in given.items() if v is not None]
    if bad:
        raise TypeError(f"hyper-dual numbers do not support the argument(s) {bad} of numpy.{func}.")


def _sum(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("sum", dtype=dtype, out=out)
    if not isinstance(a, HyperDual):
        return np.sum(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    v = np.asarray(a.value.sum(axis=axes, keepdims=keepdims))

    def part(d: np.ndarray, k: int) -> np.ndarray:
        return (
            _zeros(v.shape + d.shape[d.ndim - k :])
            if _is_zero(d)
            else d.sum(axis=axes, keepdims=keepdims)
        )

    return _make(v, part(a.e1, 1), part(a.e2, 1), part(a.e12, 2))


def _mean(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("mean", dtype=dtype, out=out)
    if not isinstance(a, HyperDual):
        return np.mean(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes]))
    return _sum(a, axis=axes, keepdims=keepdims) / count


def _prod(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    _reject("prod", dtype=dtype, out=out)
    if not isinstance(a, HyperDual):
        return np.prod(a, axis=axis, keepdims=keepdims)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    front = tuple(range(len(axes)))
    rest = tuple(np.delete(np.array(a.shape, dtype=int), axes)) if a.ndim else ()
    p, q = a.pq
    moved = HyperDual(
        np.moveaxis(a.value, axes, front).reshape((-1,) + rest),
        np.moveaxis(a.e1, axes, front).reshape((-1,) + rest + (p,)),
        np.moveaxis(a.e2, axes, front).reshape((-1,) + rest + (q,)),
        np.moveaxis(a.e12, axes, front).reshape((-1,) + rest + (p, q)),
    )
    result: Any = HyperDual.constant(np.ones(rest), p, q)
    for i in range(moved.shape[0]):  # products of factors: exact zeros allowed
        result = result * moved[i]
    if keepdims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
        result = result.reshape(shape)
    return result


def _dot(a: Any, b: Any, out: Any = None) -> Any:
    _reject("dot", out=out)
    if np.ndim(_val(a)) == 0 or np.ndim(_val(b)) == 0:
        return _apply(np.multiply, (a, b))
    return _matmul(a, b)


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise TypeError("hyper-dual numbers support numpy.where only in its 3-argument form.")
    if isinstance(condition, HyperDual):
        raise TypeError("numpy.where: the condition must be boolean, not a hyper-dual number.")
    p, q = _common_pq((x, y))
    x, y = _lift(x, p, q), _lift(y, p, q)
    c = np.asarray(condition)
    v = np.where(c, x.value, y.value)

    def part(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
        if _is_zero(a) and _is_zero(b):
            return _zeros(v.shape + a.shape[a.ndim - k :])
        return np.broadcast_to(
            np.where(c[(...,) + (None,) * k], a, b), v.shape + a.shape[a.ndim - k :]
        )

    return _make(v, part(x.e1, y.e1, 1), part(x.e2, y.e2, 1), part(x.e12, y.e12, 2))


def _select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    if any(isinstance(c, HyperDual) for c in condlist):
        raise TypeError("numpy.select: conditions must be boolean, not hyper-dual numbers.")
    result = default
    for cond, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = _where(cond, choice, result)
    return result


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

#: Names of the numpy ufuncs hyper-dual numbers support (comparisons and tests act on values).
SUPPORTED_UFUNCS: tuple[str, ...] = tuple(
    sorted([u.__name__ for u in (*_UNARY, *_PREDICATES, *_BINARY, *_COMPOSED)] + ["matmul"])
)
#: Names of the numpy functions hyper-dual numbers support.
SUPPORTED_FUNCTIONS: tuple[str, ...] = tuple(sorted(f.__name__ for f in _FUNCTIONS))
