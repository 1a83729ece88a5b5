"""Exact finite-difference weights (Fornberg 1988) and the error model of a stencil.

Every weight is computed in exact rational arithmetic (:class:`fractions.Fraction`) by Fornberg's
recursion, never typed in from tables. A stencil approximates

    f^(m)(x) ~ h^-m * sum_j w_j f(x + s_j h)

and its error model (docs/theory.md#error-model) is
``E(h) = |C| |f^(m+p)| h^p + S eps |f| / h^m`` with the leading
truncation coefficient ``C = sum_j w_j s_j^(m+p) / (m+p)!`` and ``S = sum_j |w_j|``, minimised by
``h* = (m S eps / (p |C|))^(1/(p+m))`` at unit scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from numbers import Integral, Rational
from typing import Any, NamedTuple

__all__ = [
    "SCHEMES",
    "ErrorModel",
    "float_stencil",
    "Stencil",
    "error_model",
    "fornberg_weights",
    "optimal_step",
    "stencil",
]

#: Stencil shapes understood by :func:`stencil`.
SCHEMES = ("central", "forward", "backward")

#: Unit roundoff of IEEE-754 double precision, 2**-52.
_EPS = 2.0**-52


class Stencil(NamedTuple):
    """Offsets ``s_j`` (in units of h) and exact weights ``w_j`` of a finite-difference stencil."""

    offsets: tuple[Fraction, ...]
    weights: tuple[Fraction, ...]


@dataclass(frozen=True)
class ErrorModel:
    """Leading error term of a stencil for the m-th derivative (all exact).

    Attributes
    ----------
    deriv : int
        Derivative order m.
    order : int
        Accuracy order p: the error is ``C f^(m+p) h^p + O(h^(p+1))``.
    truncation : Fraction
        ``C = sum_j w_j s_j^(m+p) / (m+p)!`` (approximation minus exact value, per ``f^(m+p) h^p``).
    abs_weight_sum : Fraction
        ``S = sum_j |w_j|``, the amplification of rounding errors in the values of f.
    """

    deriv: int
    order: int
    truncation: Fraction
    abs_weight_sum: Fraction


def _as_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value}.")
    return int(value)


def _as_rational(name: str, value: Any) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Rational):
        raise TypeError(
            f"`{name}` must hold exact rationals (int or fractions.Fraction), got "
            f"{type(value).__name__} {value!r}; write Fraction('0.1') rather than 0.1."
        )
    return Fraction(value)


def fornberg_weights(offsets: Any, deriv: int, x0: Any = 0) -> tuple[Fraction, ...]:
    """Exact weights of the ``deriv``-th derivative at ``x0`` on arbitrary nodes.

    Fornberg's recursion (Math. Comp. 51 (1988) 699-706, in the compact form of his 1998 SIAM
    Review note) run in :class:`fractions.Fraction` arithmetic, so the weights are exact.

    Parameters
    ----------
    offsets : sequence of int or Fraction
        Distinct nodes ``s_j`` (in units of the step). Floats are rejected: they are rarely the
        rational the caller means.
    deriv : int
        Derivative order m >= 0 (0 gives interpolation weights); needs ``len(offsets) > deriv``.
    x0 : int or Fraction, optional
        Point at which the derivative is approximated (default 0).

    Returns
    -------
    tuple of Fraction
        ``w_j`` with ``f^(m)(x0) ~ sum_j w_j f(s_j)`` for unit spacing (divide by ``h^m``
        otherwise), exact for polynomials of degree < ``len(offsets)``.

    Examples
    --------
    >>> fornberg_weights([-1, 0, 1], 1)
    (Fraction(-1, 2), Fraction(0, 1), Fraction(1, 2))
    >>> fornberg_weights([0, 1, 2], 2)
    (Fraction(1, 1), Fraction(-2, 1), Fraction(1, 1))
    """
    try:
        raw = list(offsets)
    except TypeError:
        raise TypeError(
            f"`offsets` must be a sequence of rationals, got {type(offsets).__name__}."
        ) from None
    nodes = [_as_rational("offsets", s) for s in raw]
    m = _as_int("deriv", deriv, 0)
    z = _as_rational("x0", x0)
    n = len(nodes)
    if len(set(nodes)) != n:
        raise ValueError(f"`offsets` must be distinct, got {[str(s) for s in nodes]}.")
    if n <= m:
        raise ValueError(
            f"`offsets` needs more than `deriv`={m} nodes for a derivative of order {m}, got {n}."
        )
    # c[j][k]: weight of node j for the k-th derivative using the nodes seen so far.
    c = [[Fraction(0)] * (m + 1) for _ in range(n)]
    c[0][0] = Fraction(1)
    c1 = Fraction(1)
    c4 = nodes[0] - z
    for i in range(1, n):
        mn = min(i, m)
        c2 = Fraction(1)
        c5 = c4
        c4 = nodes[i] - z
        for j in range(i):
            c3 = nodes[i] - nodes[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i][k] = c1 * (k * c[i - 1][k - 1] - c5 * c[i - 1][k]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for k in range(mn, 0, -1):
                c[j][k] = (c4 * c[j][k] - k * c[j][k - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return tuple(row[m] for row in c)


def _check_scheme(scheme: Any, deriv: Any, accuracy: Any) -> tuple[str, int, int]:
    if scheme not in SCHEMES:
        raise ValueError(f"`scheme` must be one of {list(SCHEMES)}, got {scheme!r}.")
    m = _as_int("deriv", deriv, 1)
    p = _as_int("accuracy", accuracy, 1)
    if scheme == "central" and p % 2:
        raise ValueError(f"`accuracy` of a central stencil must be even, got {p}.")
    return scheme, m, p


def stencil(scheme: str, deriv: int = 1, accuracy: int = 2) -> Stencil:
    """The standard stencil of given shape, derivative order and accuracy order.

    Parameters
    ----------
    scheme : {"central", "forward", "backward"}
        ``central``: offsets ``-k..k`` with ``2k + 1 = 2*floor((m+1)/2) - 1 + p`` nodes;
        ``forward``: offsets ``0, 1, ..., m+p-1``; ``backward``: the forward offsets reversed
        (``0, -1, ..., -(m+p-1)``, same order), whose weights are the forward ones times
        ``(-1)^m``.
    deriv : int, optional
        Derivative order m >= 1 (default 1).
    accuracy : int, optional
        Accuracy order p >= 1 (default 2); even for ``central``.

    Returns
    -------
    Stencil
        ``(offsets, weights)``, both tuples of Fraction. Results are cached (they are immutable).

    Examples
    --------
    >>> [str(w) for w in stencil("central", 1, 4).weights]
    ['1/12', '-2/3', '0', '2/3', '-1/12']
    >>> [str(w) for w in stencil("backward", 1, 1).weights]
    ['1', '-1']
    """
    return _stencil(*_check_scheme(scheme, deriv, accuracy))


@lru_cache(maxsize=256)
def _stencil(scheme: str, m: int, p: int) -> Stencil:
    # Pure and immutable (tuples of Fraction), so caching it is safe.
    if scheme == "central":
        k = (2 * ((m + 1) // 2) - 1 + p - 1) // 2
        offsets = tuple(Fraction(s) for s in range(-k, k + 1))
    else:
        sign = 1 if scheme == "forward" else -1
        offsets = tuple(Fraction(sign * s) for s in range(m + p))
    return Stencil(offsets, fornberg_weights(offsets, m))


def _leading_term(offsets: tuple[Fraction, ...], weights: tuple[Fraction, ...], m: int):
    """First non-vanishing moment beyond m: (p, C) with C = sum w s^(m+p) / (m+p)!."""
    # n nodes reproduce moments 0..n-1 exactly; a symmetric stencil may also cancel moment n,
    # but some moment up to n + 1 is always non-zero for non-zero weights.
    for k in range(m + 1, len(offsets) + 2):
        moment = sum((w * s**k for w, s in zip(weights, offsets, strict=True)), Fraction(0))
        if moment != 0:
            return k - m, moment / math.factorial(k)
    raise ValueError("the stencil is exact for every polynomial tried; it has no leading term.")


def error_model(scheme: str, deriv: int = 1, accuracy: int = 2) -> ErrorModel:
    """Exact leading error term of :func:`stencil` ``(scheme, deriv, accuracy)``.

    Parameters
    ----------
    scheme : {"central", "forward", "backward"}
        The stencil family.
    deriv : int, default 1
        Derivative order.
    accuracy : int, default 2
        Accuracy order of the stencil.

    Returns
    -------
    ErrorModel
        ``order`` (equals ``accuracy`` for these stencils), ``truncation`` C and
        ``abs_weight_sum`` S.

    Examples
    --------
    >>> em = error_model("central", 1, 4)
    >>> str(em.truncation), str(em.abs_weight_sum)
    ('-1/30', '3/2')
    """
    return _error_model(*_check_scheme(scheme, deriv, accuracy))


@lru_cache(maxsize=256)
def _error_model(scheme: str, m: int, p: int) -> ErrorModel:
    offsets, weights = _stencil(scheme, m, p)
    order, c = _leading_term(offsets, weights, m)
    s = sum((abs(w) for w in weights), Fraction(0))
    return ErrorModel(deriv=m, order=order, truncation=c, abs_weight_sum=s)


def optimal_step(scheme: str, deriv: int = 1, accuracy: int = 2, *, eps: float = _EPS) -> float:
    """Unit-scale step minimising the error model (docs/theory.md#optimal-steps).

    ``h* = (m S eps / (p |C|))^(1/(p+m))``, for the first derivative
    ``(S eps / (p |C|))^(1/(p+1))``.
    It assumes ``|f| ~ |f^(m+p)| ~ 1``; the right step for another function scales with
    ``|f / f^(m+p)|^(1/(p+m))``.

    Parameters
    ----------
    scheme, deriv, accuracy
        As in :func:`stencil`.
    eps : float, optional
        Relative rounding error of one value of f (default 2**-52).

    Returns
    -------
    float

    Examples
    --------
    >>> round(optimal_step("central", 1, 2), 7)  # (3 eps)^(1/3)
    8.7e-06
    """
    if isinstance(eps, bool) or not isinstance(eps, float | int) or not 0 < eps < 1:
        raise ValueError(f"`eps` must be a real number in (0, 1), got {eps!r}.")
    em = error_model(scheme, deriv, accuracy)
    return float((_step_ratio(scheme, em.deriv, em.order) * eps) ** (1.0 / (em.order + em.deriv)))


@lru_cache(maxsize=256)
def _step_ratio(scheme: str, m: int, p: int) -> float:
    # m S / (p |C|), exact then rounded once; pure, so caching it is safe (it sits on the
    # per-call path of every finite difference with a default step)
    em = _error_model(scheme, m, p)
    return float(m * em.abs_weight_sum / (p * abs(em.truncation)))


@lru_cache(maxsize=256)
def float_stencil(scheme: str, deriv: int = 1, accuracy: int = 2) -> tuple[tuple, tuple]:
    """:func:`stencil` in float64, without zero weights: ``(offsets, weights)`` as tuples."""
    offsets, weights = stencil(scheme, deriv, accuracy)
    used = [j for j, w in enumerate(weights) if w != 0]
    return tuple(float(offsets[j]) for j in used), tuple(float(weights[j]) for j in used)
