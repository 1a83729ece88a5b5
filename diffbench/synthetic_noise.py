"""Synthetic noise: deterministic, point-dependent noise added to a problem's function.

A noisy problem stands for a simulation whose output carries noise that depends only on the input:
calling it twice at the same point gives the same value. :func:`point_noise` hashes the float64
bytes of the point into a standard normal value, :class:`NoisyFunction` adds it (scaled) to a
:class:`methods.SymbolicFunction`, and :func:`make_noisy` makes the noisy variant of a
:class:`~diffbench.problem.Problem`, whose ground truth stays that of the noise-free expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from methods import SymbolicFunction

if TYPE_CHECKING:  # problem.py imports this module (a noisy Problem's function is a NoisyFunction)
    from .problem import Problem

__all__ = ["NOISE_SUFFIX", "NoisyFunction", "make_noisy", "noise_label", "point_noise"]

#: What separates a problem's name from its noise level in the name of its noisy variant.
NOISE_SUFFIX = "~noise"

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


def noise_label(level: float) -> str:
    """A noise level as people type it in a name: ``1e-08`` -> ``"1e-8"``.

    Examples
    --------
    >>> noise_label(2.5e-07)
    '2.5e-7'
    """
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

    Examples
    --------
    >>> from diffbench.problems import get_problem
    >>> p = make_noisy(get_problem("runge"), 1e-8)
    >>> p.name, p.noise, "noisy" in p.tags
    ('runge~noise1e-8', 1e-08, True)
    """
    from .problem import Problem

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
        name=f"{problem.name}{NOISE_SUFFIX}{noise_label(level)}",
        expr=problem.expr,
        symbols=problem.symbols,
        points=problem.points,
        domain=problem.domain,
        tags=problem.tags | {"noisy"},
        description=f"{problem.description} With deterministic noise of std-dev {level:g}.",
        noise=level,
    )
