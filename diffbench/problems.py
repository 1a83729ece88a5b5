"""The problem battery: functions with exact ground truth.

Each problem is defined once, as a SymPy expression in its variables. Everything else comes from
that expression: the vectorized numpy callable that methods differentiate (``Problem.function``),
and the exact gradient, evaluated by mpmath at 50 significant digits from the float64 point taken
exactly (``mpmath.mpf(float)``) and rounded once to float64. Ground truth never comes from another
differentiation method.

Points are stored as the float64 values actually used. A decimal such as ``1.5707`` is only a
label: the truth is the derivative at the double nearest to it, which near a pole differs from
the derivative at the decimal by far more than eps (docs/theory.md#traps-when-checking-accuracy).

Examples
--------
>>> p = get_problem("runge")
>>> p.exact_gradient(p.points[0])
array([-1.42011834])
>>> sorted(p.tags)
['runge']
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real
from typing import Any

import mpmath
import numpy as np
import sympy

from methods import SymbolicFunction
from methods.functions import gradient_expressions
from methods.validation import check_point, check_positive_int

__all__ = [
    "TAGS",
    "Problem",
    "NoisyFunction",
    "point_noise",
    "get_problem",
    "list_problems",
    "register_problem",
    "unregister_problem",
    "make_noisy",
    "rosenbrock",
]

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

#: Working precision (significant digits) of the exact gradient.
DPS = 50
# Precisions tried in turn: a value is accepted once its float64 rounding agrees with the rounding
# at the next precision, which catches cancellation inside the derivative formula itself.
_DPS_LADDER = (DPS, 70, 100, 150, 250, 400)
_ROSENBROCK_MAX = 1000


# --------------------------------------------------------------------------------------------
# deterministic noise
# --------------------------------------------------------------------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(z: np.ndarray) -> np.ndarray:
    # The SplitMix64 finaliser: a bijection on uint64 with strong avalanche (arrays wrap silently).
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def point_noise(x: Any) -> np.ndarray | float:
    """Standard normal noise that is a deterministic function of the point.

    The float64 bytes of each point are hashed (SplitMix64 over the coordinates), and two
    uniforms drawn from the hash give one normal value by Box-Muller. Calling it again at the same
    point gives the same value, as a simulation would; ``-0.0`` and ``0.0`` are the same point.

    Parameters
    ----------
    x : array_like, shape (n,) or (m, n)
        One point or m points.

    Returns
    -------
    float or numpy.ndarray of shape (m,)

    Examples
    --------
    >>> point_noise([0.3, 1.0]) == point_noise([0.3, 1.0])
    True
    >>> point_noise(np.array([[0.3, 1.0], [0.3, 1.0]])).shape
    (2,)
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"`x` must have shape (n,) or (m, n), got shape {arr.shape}.")
    rows = np.ascontiguousarray(arr.reshape(-1, arr.shape[-1]) + 0.0)  # + 0.0 maps -0.0 to 0.0
    bits = rows.view(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(rows.shape[0], np.uint64(0x243F6A8885A308D3))
        for j in range(bits.shape[1]):
            h = _splitmix64(h ^ bits[:, j])
        a = _splitmix64(h ^ np.uint64(1))
        b = _splitmix64(h ^ np.uint64(2))
    # 53-bit uniforms; u1 in (0, 1] keeps the logarithm finite.
    u1 = 1.0 - (a >> np.uint64(11)).astype(float) * 2.0**-53
    u2 = (b >> np.uint64(11)).astype(float) * 2.0**-53
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return float(z[0]) if arr.ndim == 1 else z


class NoisyFunction(SymbolicFunction):
    """A :class:`methods.SymbolicFunction` that adds deterministic noise of std-dev ``noise``.

    Calling it returns ``expr(x) + noise * point_noise(x)``. ``expr``, ``symbols`` and
    ``lambdify`` describe the noise-free function: methods that differentiate the formula (or
    propagate duals or complex steps through the call) see a noise term that is locally constant
    and so get the noise-free derivative, as they would on a program whose noise does not depend
    smoothly on ``x``.

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sequence of sympy.Symbol
    noise : float
        Standard deviation of the noise, in the units of ``f`` (absolute).
    """

    def __init__(self, expr: Any, symbols: Sequence[Any], noise: float) -> None:
        super().__init__(expr, symbols)
        self.noise = noise

    def __call__(self, x: Any) -> Any:
        clean = super().__call__(x)
        primal = np.real(np.asarray(getattr(x, "value", x)))
        return clean + self.noise * point_noise(primal)

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "noise": self.noise}

    def __repr__(self) -> str:
        return f"NoisyFunction({self.expr}, {self.symbols}, noise={self.noise!r})"


# --------------------------------------------------------------------------------------------
# the Problem type
# --------------------------------------------------------------------------------------------
def _as_real_mpf(v: Any) -> mpmath.mpf:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise ValueError(f"the exact value is complex ({v}); is the point outside the domain?")
        v = v.real
    return mpmath.mpf(v)


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
    # Per-instance cache of derived objects (gradient expressions, compiled callables).
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"`name` must be a non-empty string, got {self.name!r}.")
        if not isinstance(self.expr, sympy.Expr):
            raise TypeError(f"`expr` must be a SymPy expression, got {type(self.expr).__name__}.")
        symbols = _check_symbols(self.symbols, self.expr)
        n = len(symbols)
        domain = _check_domain(self.domain, n)
        points = _check_points(self.points, domain)
        if not isinstance(self.description, str):
            raise TypeError(
                f"`description` must be a string, got {type(self.description).__name__}."
            )
        if isinstance(self.noise, bool) or not isinstance(self.noise, Real):
            raise TypeError(f"`noise` must be a real number, got {type(self.noise).__name__}.")
        noise = float(self.noise)
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"`noise` must be finite and >= 0, got {self.noise}.")
        tags = _check_tags(self.tags)
        if noise > 0:
            tags = tags | {"noisy"}
        elif "noisy" in tags:
            raise ValueError("`tags` contains 'noisy' but `noise` is 0.")
        object.__setattr__(self, "symbols", symbols)
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "tags", tags)
        object.__setattr__(self, "noise", noise)

    # -- pickling: compiled callables are rebuilt on demand --------------------------------------
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_cache", {})

    # -- derived objects ----------------------------------------------------------------------
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
        if "function" not in self._cache:
            if self.noise > 0:
                fn = NoisyFunction(self.expr, self.symbols, self.noise)
            else:
                fn = SymbolicFunction(self.expr, self.symbols)
            self._cache["function"] = fn
        return self._cache["function"]

    @property
    def gradient_exprs(self) -> tuple[sympy.Expr, ...]:
        """The partial derivatives of ``expr`` (computed once per problem)."""
        if "gradient_exprs" not in self._cache:
            self._cache["gradient_exprs"] = gradient_expressions(self.expr, self.symbols)
        return self._cache["gradient_exprs"]

    def _mp_callable(self, what: str) -> Callable:
        key = f"mp_{what}"
        if key not in self._cache:
            target = list(self.gradient_exprs) if what == "gradient" else self.expr
            self._cache[key] = sympy.lambdify(self.symbols, target, modules="mpmath")
        return self._cache[key]

    def _mp_eval(self, what: str, x: np.ndarray, dps: int) -> list:
        fn = self._mp_callable(what)
        args = [mpmath.mpf(v) for v in x.tolist()]  # exact: a double has 53 bits
        with mpmath.workdps(dps):
            out = fn(*args)
            out = out if what == "gradient" else [out]
            return [_as_real_mpf(v) for v in out]

    def _certified(self, what: str, x: np.ndarray) -> np.ndarray:
        prev = self._mp_eval(what, x, _DPS_LADDER[0])
        for dps in _DPS_LADDER[1:]:
            cur = self._mp_eval(what, x, dps)
            rounded = [float(v) for v in prev]
            if rounded == [float(v) for v in cur]:
                return np.array(rounded, dtype=float)
            prev = cur
        warnings.warn(
            f"problem {self.name!r}: the exact {what} at x={x.tolist()} could not be confirmed "
            f"to float64 up to {_DPS_LADDER[-1]} digits (cancellation in its formula, or a zero "
            "computed from cancelling terms); returning the highest-precision value.",
            RuntimeWarning,
            stacklevel=3,
        )
        return np.array([float(v) for v in prev], dtype=float)

    def _check_x(self, x: Any) -> np.ndarray:
        arr = check_point(x)
        if arr.size != self.dim:
            raise ValueError(
                f"`x` has {arr.size} coordinates but problem {self.name!r} has "
                f"{self.dim} variables."
            )
        return arr

    # -- exact values ---------------------------------------------------------------------------
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
        dps = check_positive_int("dps", dps, minimum=16)
        return self._mp_eval("gradient", self._check_x(x), dps)

    def exact_gradient(self, x: Any) -> np.ndarray:
        """The exact gradient at the float64 point ``x``, rounded once to float64.

        mpmath evaluates the partial derivatives at 50 digits; the float64 rounding is accepted
        when it agrees with the rounding at 70 digits, else the precision rises (up to 400) until
        two successive levels agree, with a ``RuntimeWarning`` if they never do. For every
        problem of the battery this is ``float(v)`` for ``v`` in ``exact_gradient_mp(x)``.
        For a noisy problem it is the gradient of the noise-free expression.

        Parameters
        ----------
        x : array_like, shape (n,)

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        return self._certified("gradient", self._check_x(x))

    def exact_gradients(self, X: Any) -> np.ndarray:
        """Exact gradients at m points (e.g. every node of a grid).

        Parameters
        ----------
        X : array_like, shape (m, n)

        Returns
        -------
        numpy.ndarray, shape (m, n)
        """
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"`X` must have shape (m, {self.dim}), got shape {arr.shape}.")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"`X` must be real numbers, got dtype {arr.dtype}.")
        arr = arr.astype(float)
        if not np.all(np.isfinite(arr)):
            raise ValueError("`X` must be finite.")
        out = np.empty(arr.shape, dtype=float)
        for i, row in enumerate(arr):
            out[i] = self._certified("gradient", row)
        return out

    def exact_value(self, x: Any) -> float:
        """The exact noise-free value ``expr(x)`` at the float64 point ``x``, rounded to float64."""
        return float(self._certified("value", self._check_x(x))[0])

    def __repr__(self) -> str:
        return f"Problem({self.name!r}, dim={self.dim}, points={len(self.points)})"


def _check_symbols(symbols: Any, expr: sympy.Expr) -> tuple:
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


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------
# The problem registry: every known problem by name, and the names list_problems() returns.
# Rosenbrock sizes and noisy variants made on request are kept (unlisted) so their compiled
# callables are built once.
_REGISTRY: dict[str, Problem] = {}
_LISTED: list[str] = []
_BUILTIN: set[str] = set()
_NOISY_DEFAULTS = (("runge", 1e-8), ("exp-sin", 1e-8), ("sin-exp-log", 1e-6))
_ROSENBROCK_NAME = re.compile(r"rosenbrock-(\d+)")
_NOISE_SUFFIX = "~noise"


def _add(problem: Problem, *, listed: bool) -> Problem:
    _REGISTRY[problem.name] = problem
    if listed:
        _LISTED.append(problem.name)
    return problem


def _choices() -> list[str]:
    return [*_LISTED, "rosenbrock-<n> (2 <= n <= 1000)", "<name>~noise<level>"]


def get_problem(name: str) -> Problem:
    """Return the problem called ``name``.

    Besides the battery and user-registered problems, ``"rosenbrock-<n>"`` (2 <= n <= 1000)
    and ``"<name>~noise<level>"`` (see :func:`make_noisy`) are built on request.

    Parameters
    ----------
    name : str
        The problem's name.

    Returns
    -------
    Problem

    Raises
    ------
    ValueError
        For an unknown name; the message lists the choices.

    Examples
    --------
    >>> get_problem("rosenbrock-10").dim
    10
    >>> get_problem("runge~noise1e-8").noise
    1e-08
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, got {type(name).__name__}.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    match = _ROSENBROCK_NAME.fullmatch(name)
    if match:
        return rosenbrock(int(match.group(1)))
    if _NOISE_SUFFIX in name:
        base, _, level = name.rpartition(_NOISE_SUFFIX)
        try:
            value = float(level)
        except ValueError:
            value = None
        if base and value is not None:
            noisy = make_noisy(get_problem(base), value)
            return _REGISTRY.setdefault(noisy.name, noisy)
    raise ValueError(f"unknown problem {name!r}; choose from {_choices()}.")


def list_problems(tag: str | None = None, *, include_noisy: bool = False) -> list[Problem]:
    """The default battery (then user-registered problems), in a stable order.

    Parameters
    ----------
    tag : str, optional
        Keep only problems with this tag (one of :data:`TAGS`). ``tag="noisy"`` returns the
        noisy variants.
    include_noisy : bool, default False
        Also return the noisy variants (runge and exp-sin with noise 1e-8, sin-exp-log with 1e-6).

    Returns
    -------
    list of Problem
    """
    if tag is not None and tag not in TAGS:
        raise ValueError(f"`tag` must be one of {sorted(TAGS)} or None, got {tag!r}.")
    problems = [_REGISTRY[name] for name in _LISTED]
    if include_noisy or tag == "noisy":
        problems += [
            get_problem(f"{base}{_NOISE_SUFFIX}{_level(lv)}") for base, lv in _NOISY_DEFAULTS
        ]
    if tag is not None:
        problems = [p for p in problems if tag in p.tags]
    return problems


def register_problem(
    name: str,
    expr: sympy.Expr,
    symbols: Sequence[sympy.Symbol] | sympy.Symbol,
    points: Iterable[Sequence[float]],
    *,
    domain: Sequence[tuple[float, float]],
    tags: Iterable[str],
    description: str,
) -> Problem:
    """Add a problem defined by a SymPy expression; :func:`list_problems` then includes it.

    Parameters
    ----------
    name : str
        New, unique name (not of the form ``rosenbrock-<n>`` and without ``~noise``).
    expr : sympy.Expr
        The function. Write it as it should be computed: the numpy callable evaluates exactly
        this expression, so ``(exp(x) - 1)/x`` cancels where ``expm1(x)/x`` would not.
    symbols : sequence of sympy.Symbol
        Its variables in coordinate order (declare them ``real=True``, so that ``Abs`` and
        ``sign`` differentiate as real functions).
    points : sequence of sequences of float
        Evaluation points; stored as float64.
    domain : sequence of (low, high)
        Box per variable for grid methods; must contain the points.
    tags : iterable of str
        Tags from :data:`TAGS`.
    description : str

    Returns
    -------
    Problem

    Examples
    --------
    >>> import sympy
    >>> t = sympy.Symbol("t", real=True)
    >>> p = register_problem("doc-exp", sympy.exp(2 * t), (t,), [(0.5,)],
    ...                      domain=[(0.0, 1.0)], tags={"smooth"}, description="exp(2t)")
    >>> p.exact_gradient([0.5])
    array([5.43656366])
    >>> unregister_problem("doc-exp")
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
    if name in _REGISTRY or _ROSENBROCK_NAME.fullmatch(name):
        raise ValueError(f"`name` {name!r} is already taken; choose another name.")
    if _NOISE_SUFFIX in name:
        raise ValueError(f"`name` must not contain {_NOISE_SUFFIX!r} (reserved for make_noisy).")
    problem = Problem(
        name=name,
        expr=expr,
        symbols=symbols,
        points=points,
        domain=domain,
        tags=tags,
        description=description,
    )
    if "noisy" in problem.tags:
        raise ValueError("`tags` must not contain 'noisy'; use make_noisy().")
    for point in problem.points:
        # the ground truth must exist at every point, or every measurement there is meaningless
        try:
            truth = problem.exact_gradient(point)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise ValueError(
                f"`points`: the exact gradient of {name!r} is undefined at {point} "
                f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})."
            ) from None
        if not np.all(np.isfinite(truth)):
            raise ValueError(
                f"`points`: the exact gradient of {name!r} is not finite at {point}: {truth}."
            )
    return _add(problem, listed=True)


def unregister_problem(name: str) -> None:
    """Remove a problem added with :func:`register_problem` (built-in problems stay)."""
    if name in _BUILTIN or name not in _LISTED:
        raise ValueError(f"`name` {name!r} is not a user-registered problem.")
    _LISTED.remove(name)
    del _REGISTRY[name]


def _level(level: float) -> str:
    # 1e-08 -> "1e-8", 2.5e-07 -> "2.5e-7": a name people type
    mantissa, _, exponent = f"{level:.6g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def make_noisy(problem: Problem, level: float) -> Problem:
    """The same problem with deterministic noise of standard deviation ``level`` added to f.

    The noise is a function of the point only (:func:`point_noise`), so repeated calls at the same
    ``x`` agree. The exact gradient stays that of the noise-free expression.

    Parameters
    ----------
    problem : Problem
        A noise-free problem.
    level : float
        Absolute standard deviation of the noise (the battery uses 1e-8 on functions of size ~1).

    Returns
    -------
    Problem
        Named ``"<name>~noise<level>"``, e.g. ``"runge~noise1e-8"``, tagged ``"noisy"``.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"`problem` must be a Problem, got {type(problem).__name__}.")
    if problem.noise > 0:
        raise ValueError(f"`problem` {problem.name!r} is already noisy.")
    if isinstance(level, bool) or not isinstance(level, Real):
        raise TypeError(f"`level` must be a real number, got {type(level).__name__}.")
    if not np.isfinite(level) or level <= 0:
        raise ValueError(f"`level` must be positive and finite, got {level}.")
    level = float(level)
    return Problem(
        name=f"{problem.name}{_NOISE_SUFFIX}{_level(level)}",
        expr=problem.expr,
        symbols=problem.symbols,
        points=problem.points,
        domain=problem.domain,
        tags=problem.tags | {"noisy"},
        description=f"{problem.description} With deterministic noise of std-dev {level:g}.",
        noise=level,
    )


# --------------------------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------------------------
def rosenbrock_expression(symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """sum_{i<n} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 (the extended Rosenbrock function)."""
    x = list(symbols)
    return sympy.Add(
        *[100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1)]
    )


def rosenbrock(n: int) -> Problem:
    """The extended Rosenbrock function of ``n`` variables, ``2 <= n <= 1000``.

    Points: the classic start ``(-1.2, 1, -1.2, 1, ...)`` and a point near the minimum with
    coordinates ``1 + k/50``, ``k`` in -5..5. Tagged "high-dimensional" from n = 10 on. Built once
    per n (also reachable as ``get_problem("rosenbrock-<n>")``).

    Parameters
    ----------
    n : int
        Number of variables, 2 to 1000.

    Returns
    -------
    Problem

    Examples
    --------
    >>> rosenbrock(2).exact_gradient([-1.2, 1.0]).tolist()  # at the double nearest -1.2
    [-215.59999999999994, -87.99999999999999]
    """
    n = check_positive_int("n", n, minimum=2)
    if n > _ROSENBROCK_MAX:
        raise ValueError(f"`n` must be at most {_ROSENBROCK_MAX}, got {n}.")
    name = f"rosenbrock-{n}"
    if name in _REGISTRY:
        return _REGISTRY[name]
    symbols = sympy.symbols(f"x1:{n + 1}", real=True)
    start = tuple(-1.2 if i % 2 == 0 else 1.0 for i in range(n))
    near = tuple(float(1 + Fraction((37 * i) % 11 - 5, 50)) for i in range(n))
    tags = {"polynomial", "smooth"} | ({"high-dimensional"} if n >= 10 else set())
    problem = Problem(
        name=name,
        expr=rosenbrock_expression(symbols),
        symbols=symbols,
        points=(start, near),
        domain=((-2.0, 2.0),) * n,
        tags=frozenset(tags),
        description=f"Extended Rosenbrock function in {n} variables (quartic, curved valley).",
    )
    return _add(problem, listed=False)


# --------------------------------------------------------------------------------------------
# the default battery
# --------------------------------------------------------------------------------------------
def _real(names: str) -> tuple:
    out = sympy.symbols(names, real=True)
    return out if isinstance(out, tuple) else (out,)


def _battery() -> list[Problem]:
    q, chi, delta = _real("q chi delta")
    x, y, z = _real("x y z")
    (t,) = _real("x")
    E = sympy.exp
    return [
        Problem(
            "seed-product",
            q * chi * delta,
            (q, chi, delta),
            ((0.3, -1.7, 2.9),),
            ((-3.0, 3.0),) * 3,
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "q*chi*delta, the product from the original request.",
        ),
        Problem(
            "seed-quadratic",
            2 * x**2 + 3 * y**2 - 4 * z,
            (x, y, z),
            ((0.3, -1.7, 2.9), (-0.8, 1.4, 0.9)),
            ((-3.0, 3.0),) * 3,
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "2x^2 + 3y^2 - 4z, a quadratic with one linear variable.",
        ),
        Problem(
            "seed-square",
            t**2,
            (t,),
            ((1.0,), (0.1,)),
            ((-2.0, 2.0),),
            frozenset({"seed", "polynomial", "smooth", "unit-scale"}),
            "x^2 as in the approx_fprime answer (derivative 2 at x = 1).",
        ),
        Problem(
            "exp-sin",
            E(x) * sympy.sin(y),
            (x, y),
            ((0.7, 1.3), (-0.4, 2.2)),
            ((-1.0, 1.0), (0.0, 3.0)),
            frozenset({"smooth", "unit-scale"}),
            "exp(x)*sin(y), smooth and of unit scale.",
        ),
        Problem(
            "sin-exp-log",
            sympy.sin(t) * E(-t / 2) + sympy.log(2 + t),
            (t,),
            ((0.8,), (2.5,)),
            ((-1.0, 3.0),),
            frozenset({"smooth", "unit-scale"}),
            "sin(x)*exp(-x/2) + log(2 + x), a 1-D mix of elementary functions.",
        ),
        Problem(
            "sin50",
            sympy.sin(50 * t),
            (t,),
            ((0.37,), (0.9,)),
            ((0.0, 1.0),),
            frozenset({"oscillatory"}),
            "sin(50x): high frequency, derivatives grow like 50^k.",
        ),
        Problem(
            "log-large",
            sympy.log(t),
            (t,),
            ((1e10,), (2.7e10,)),
            ((1e9, 1e11),),
            frozenset({"large-x"}),
            "log(x) at 1e10: an absolute step of 1.5e-8 is below the spacing of doubles there.",
        ),
        Problem(
            "exp-large",
            E(t / 10**8),
            (t,),
            ((1.5e8,), (123456789.123,)),
            ((1e8, 2e8),),
            frozenset({"large-x"}),
            "exp(x/1e8) at x ~ 1e8: f' ~ 1e-8*f, absolute steps near one ulp of x.",
        ),
        Problem(
            "pole",
            1 / (t - 1),
            (t,),
            ((1.001,), (1.1,)),
            ((1.001, 2.0),),
            frozenset({"singularity"}),
            "1/(x-1) at the double nearest 1.001: a pole 1e-3 away (x - 1 is exact there).",
        ),
        Problem(
            "tan-pi/2",
            sympy.tan(t),
            (t,),
            ((1.5707,),),
            ((1.0, 1.5707),),
            frozenset({"singularity"}),
            "tan(x) at the double nearest 1.5707, 9.6e-5 below the pole at pi/2.",
        ),
        Problem(
            "sqrt-near-0",
            sympy.sqrt(t),
            (t,),
            ((1e-6,), (0.003,)),
            ((1e-6, 1.0),),
            frozenset({"singularity"}),
            "sqrt(x) near its branch point at 0.",
        ),
        Problem(
            "expm1-ratio",
            (E(t) - 1) / t,
            (t,),
            ((1e-7,), (1e-4,)),
            ((1e-7, 1.0),),
            frozenset({"cancellation"}),
            "(exp(x) - 1)/x at small x: the formula itself cancels (no expm1).",
        ),
        Problem(
            "runge",
            1 / (1 + 25 * t**2),
            (t,),
            ((0.3,), (-0.7,)),
            ((-1.0, 1.0),),
            frozenset({"runge"}),
            "Runge's function 1/(1 + 25x^2): analytic on the line, poles at +-i/5.",
        ),
        rosenbrock(2),
        rosenbrock(10),
        Problem(
            "x-abs-x",
            t * sympy.Abs(t),
            (t,),
            ((-0.5,), (0.3,)),
            ((-1.0, 1.0),),
            frozenset({"non-analytic"}),
            "x*|x|: C^1 but not analytic; the complex step gets -0.5 -> 0.5 instead of 1.",
        ),
        Problem(
            "abs-cubed",
            sympy.Abs(t) ** 3,
            (t,),
            ((0.0,), (-0.6,)),
            ((-1.0, 1.0),),
            frozenset({"non-analytic", "zero-derivative"}),
            "|x|^3: C^2, derivative 0 at the kink x = 0.",
        ),
        Problem(
            "cos-zero",
            sympy.cos(t),
            (t,),
            ((0.0,),),
            ((-1.0, 1.0),),
            frozenset({"zero-derivative"}),
            "cos(x) at 0, where the derivative is exactly 0 (errors are absolute there).",
        ),
    ]


for _problem in _battery():
    _add(_problem, listed=True)
    _BUILTIN.add(_problem.name)
del _problem
