"""The :class:`Problem` type: a test function with exact ground truth, defined by one expression.

A problem is a SymPy expression in its variables plus the points, box domain and tags of the
benchmark. Everything else is derived from the expression and owned by the problem, built once
in ``__post_init__``: its numpy callable (:attr:`Problem.function`, a
:class:`methods.SymbolicFunction`, or a :class:`~diffbench.synthetic_noise.NoisyFunction` for a
noisy problem) and its certified exact gradient (a :class:`~diffbench.truth.ExactGradient`). Both
compile lazily and drop their compiled callables when pickled, so a Problem travels cheaply to
worker processes.

Points are stored as the float64 values actually used. A decimal such as ``1.5707`` is only a
label: the truth is the derivative at the double nearest to it, which near a pole differs from
the derivative at the decimal by far more than eps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import sympy

from methods import SymbolicFunction

from .synthetic_noise import NoisyFunction
from .truth import DPS, ExactGradient, check_expression

__all__ = ["TAGS", "Problem"]

#: Hazard and kind tags a problem may carry. "smooth" means analytic with moderate derivatives at
#: the points (the report takes medians over those).
TAGS = frozenset(
    {
        "seed",
        "smooth",
        "unit-scale",
        "polynomial",
        "oscillatory",
        "large-x",
        "singularity",
        "cancellation",
        "runge",
        "high-dimensional",
        "non-analytic",
        "zero-derivative",
        "noisy",
    }
)


@dataclass(frozen=True)
class Problem:
    """A test function with exact ground truth, defined once as a SymPy expression.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"runge"`` or ``"rosenbrock-10"``.
    expr : sympy.Expr
        The function; the single source of truth.
    symbols : tuple of sympy.Symbol
        Its variables, in the order of the coordinates of ``x``.
    points : tuple of tuple of float
        Evaluation points: the exact float64 values used.
    domain : tuple of (float, float)
        A box per variable for grid methods; contains every point.
    tags : frozenset of str
        Hazard and kind tags from :data:`TAGS`.
    description : str
        One line on what the problem tests.
    noise : float
        Standard deviation of deterministic noise added to ``f`` (0 = none). The exact gradient
        and value of a noisy problem are those of the noise-free expression.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> p = Problem("cube", x**3, (x,), ((0.1,),), ((-1.0, 1.0),), frozenset({"smooth"}), "x^3")
    >>> p.exact_gradient([0.1])  # 3 * (the double nearest 0.1)**2, rounded once
    array([0.03])
    """

    name: str
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    points: tuple[tuple[float, ...], ...]
    domain: tuple[tuple[float, float], ...]
    tags: frozenset[str]
    description: str
    noise: float = 0.0
    # Derived from expr, built once in __post_init__; they compile lazily and pickle without
    # their compiled callables. Not compared: they are functions of the fields above.
    _function: SymbolicFunction = field(init=False, repr=False, compare=False)
    _truth: ExactGradient = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"`name` must be a non-empty string, got {self.name!r}.")
        symbols = check_expression(self.expr, self.symbols)
        domain = _check_domain(self.domain, len(symbols))
        points = _check_points(self.points, domain)
        if not isinstance(self.description, str):
            raise TypeError(
                f"`description` must be a string, got {type(self.description).__name__}."
            )
        noise = _check_noise(self.noise)
        tags = _check_tags(self.tags)
        if noise > 0:
            tags = tags | {"noisy"}
        elif "noisy" in tags:
            raise ValueError("`tags` contains 'noisy' but `noise` is 0.")
        if noise > 0:
            function = NoisyFunction(self.expr, symbols, noise)
        else:
            function = SymbolicFunction(self.expr, symbols)
        truth = ExactGradient(self.expr, symbols, label=f"problem {self.name!r}")
        for key, value in (
            ("symbols", symbols),
            ("domain", domain),
            ("points", points),
            ("tags", tags),
            ("noise", noise),
            ("_function", function),
            ("_truth", truth),
        ):
            object.__setattr__(self, key, value)

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return len(self.symbols)

    @property
    def function(self) -> SymbolicFunction:
        """The vectorized numpy callable of ``expr`` (plus the noise for a noisy problem).

        ``f(x)`` for ``x`` of shape ``(n,)`` returns a scalar, for ``(m, n)`` an array ``(m,)``.
        It carries ``.expr`` and ``.symbols`` for methods that differentiate the formula.
        """
        return self._function

    @property
    def truth(self) -> ExactGradient:
        """The certified exact gradient of the noise-free expression (:mod:`diffbench.truth`)."""
        return self._truth

    @property
    def gradient_exprs(self) -> tuple[sympy.Expr, ...]:
        """The partial derivatives of ``expr`` (computed once per problem)."""
        return self._truth.gradient_exprs

    def exact_gradient_mp(self, x: Any, dps: int = DPS) -> list:
        """The exact gradient at the float64 point ``x``, as mpmath numbers of ``dps`` digits.

        Parameters
        ----------
        x : array_like, shape (n,)
            The point; each coordinate is taken exactly (``mpmath.mpf(float)``).
        dps : int, default 50
            Working precision in significant decimal digits (at least 16).

        Returns
        -------
        list of mpmath.mpf
        """
        return self._truth.mp(x, dps)

    def exact_gradient(self, x: Any) -> np.ndarray:
        """The exact gradient at the float64 point ``x`` (shape ``(n,)``), rounded once to float64.

        Certified by :class:`~diffbench.truth.ExactGradient`: mpmath at 50 digits, checked
        against 70 digits and climbing up to 400 until two levels agree (a ``RuntimeWarning`` if
        they never do); a ``ValueError`` where the gradient is undefined or not finite. For every
        problem of the battery this is ``float(v)`` for ``v`` in ``exact_gradient_mp(x)``. For
        a noisy problem it is the gradient of the noise-free expression.
        """
        return self._truth(x)

    def exact_gradients(self, X: Any) -> np.ndarray:
        """Exact gradients at m points (e.g. every node of a grid).

        Parameters
        ----------
        X : array_like, shape (m, n)

        Returns
        -------
        numpy.ndarray, shape (m, n)
        """
        return self._truth.many(X)

    def exact_value(self, x: Any) -> float:
        """The exact noise-free value ``expr(x)`` at the float64 point ``x``, rounded to float64."""
        return self._truth.value(x)

    def __repr__(self) -> str:
        return f"Problem({self.name!r}, dim={self.dim}, points={len(self.points)})"


def _check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, Real):
        raise TypeError(f"`noise` must be a real number, got {type(noise).__name__}.")
    value = float(noise)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`noise` must be finite and >= 0, got {noise}.")
    return value


def _check_domain(domain: Any, n: int) -> tuple:
    try:
        arr = np.asarray(domain, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`domain` must be {n} pairs (low, high): {exc}") from None
    if arr.shape != (n, 2):
        raise ValueError(f"`domain` must be {n} pairs (low, high), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr[:, 0] >= arr[:, 1]):
        raise ValueError(f"`domain` needs finite low < high on every axis, got {arr.tolist()}.")
    return tuple((float(lo), float(hi)) for lo, hi in arr)


def _check_points(points: Any, domain: tuple) -> tuple:
    n = len(domain)
    try:
        arr = np.asarray(points, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"`points` must be a sequence of points of {n} coordinates: {exc}"
        ) from None
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != n:
        raise ValueError(
            f"`points` must be a non-empty sequence of points of {n} coordinates, "
            f"got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("`points` must be finite.")
    box = np.asarray(domain)
    outside = np.any((arr < box[:, 0]) | (arr > box[:, 1]), axis=1)
    if np.any(outside):
        raise ValueError(
            f"`points` must lie inside `domain` {list(domain)}; "
            f"outside: {arr[outside][:2].tolist()}."
        )
    return tuple(tuple(float(v) for v in row) for row in arr)


def _check_tags(tags: Any) -> frozenset:
    if isinstance(tags, str):
        raise TypeError("`tags` must be a collection of strings, not a single string.")
    try:
        tags = frozenset(tags)
    except TypeError:
        raise TypeError(f"`tags` must be a collection of strings, got {tags!r}.") from None
    unknown = tags - TAGS
    if unknown:
        raise ValueError(
            f"`tags` has unknown tag(s) {sorted(map(str, unknown))}; use {sorted(TAGS)}."
        )
    return tags
