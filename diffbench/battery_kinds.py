"""Problems beyond gradients: Jacobians, Hessians and higher derivatives, one SymPy formula each.

Every problem is defined once as SymPy expressions; the function the methods call is that
formula compiled for numpy (so it also takes complex, dual and hyper-dual arguments), and the
truth is the same formula differentiated by SymPy and evaluated by :mod:`diffbench.truth`'s
certified mpmath ladder. Errors are measured with :func:`diffbench.metrics.matrix_error`: the
largest entry error relative to the largest true entry (absolute where the truth is zero), and
:func:`~diffbench.metrics.asymmetry` for Hessians.

Jacobians (``kind == "jacobian"``)
    ``robertson``: Robertson's stiff chemical kinetics right-hand side (rate constants 0.04,
    1e4, 3e7: entries spanning many orders of magnitude). ``bratu-<n>`` (n = 10, 100, 1000): the
    discretised Bratu residual ``(2 u_i - u_{i-1} - u_{i+1}) / h^2 - exp(u_i)``, tridiagonal, with
    its sparsity pattern. ``zero-column``: a smooth map of three variables that ignores the third.
Hessians (``kind == "hessian"``)
    ``rosenbrock-hessian-<n>`` (n = 2, 10, 100). ``loglik-scales``: a Gaussian log-likelihood at
    its maximum, mean about 1e4 and standard deviation about 1 (deterministic data).
    ``near-singular``: ``(x - y)^2 + 1e-8 exp(x + y)``, Hessian eigenvalues about 4 and 4e-8.
    ``rosenbrock-hessian-2`` and ``near-singular`` have a ``domain`` for the grid sweep.
Higher derivatives (``kind == "derivative"``)
    ``<problem>-d<k>``: the one-dimensional problems of the gradient battery at k = 2, 3, 4, where
    SymPy's k-th derivative has no distributions (``x*|x|`` has a DiracDelta: left out), on
    the gradient problem's ``domain`` for the grid sweep.

Examples
--------
>>> p = get_kind_problem("zero-column")
>>> p.truth(p.points[0])[:, 2].tolist()  # the zero column
[0.0, 0.0, 0.0]
>>> get_kind_problem("bratu-1000").sparsity().nnz
2998
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
import sympy

from methods.functions import SymbolicFunction

from .battery import battery, rosenbrock_expression
from .truth import ExactMatrix, hessian_truth, jacobian_truth

__all__ = [
    "KIND_PROBLEM_KINDS",
    "KindProblem",
    "bratu",
    "kind_battery",
    "kind_problem_names",
    "get_kind_problem",
]

#: The kinds of problem: what is differentiated.
KIND_PROBLEM_KINDS = ("jacobian", "hessian", "derivative")


@dataclass(frozen=True, eq=False)
class KindProblem:
    """A Jacobian, Hessian or k-th derivative problem with its exact truth.

    Attributes
    ----------
    name : str
    kind : {"jacobian", "hessian", "derivative"}
    exprs : tuple of sympy.Expr
        The components of the map (Jacobian), or the one function (Hessian, derivative).
    symbols : tuple of sympy.Symbol
    points : tuple of tuple of float
    description : str
    deriv : int
        The derivative order k (``derivative`` problems; 1 otherwise).
    tags : frozenset of str
    domain : tuple of (float, float), optional
        A box on which the problem is also measured on grids (grid methods' grid form, the
        truth at every node): set for the 1-D derivative problems (the gradient battery's
        domain) and the 2-D Hessians whose truth is cheap; None: no grid sweep.
    """

    name: str
    kind: str
    exprs: tuple[sympy.Expr, ...]
    symbols: tuple[sympy.Symbol, ...]
    points: tuple[tuple[float, ...], ...]
    description: str
    deriv: int = 1
    tags: frozenset[str] = frozenset()
    domain: tuple[tuple[float, float], ...] | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KIND_PROBLEM_KINDS:
            raise ValueError(f"`kind` must be one of {KIND_PROBLEM_KINDS}, got {self.kind!r}.")
        if self.kind != "jacobian" and len(self.exprs) != 1:
            raise ValueError(f"a {self.kind} problem has one expression, got {len(self.exprs)}.")
        if self.kind == "derivative" and len(self.symbols) != 1:
            raise ValueError("a derivative problem has one variable.")

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return len(self.symbols)

    def _cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def function(self) -> SymbolicFunction:
        """The formula compiled for numpy, carrying its expression (methods that differentiate
        the expression, ``sympy`` and the AD peers, read it; everyone else calls it).

        A :class:`methods.SymbolicFunction` in the vector convention, ``x`` of shape ``(n,)``
        (or ``(m, n)``): Jacobian problems give a tuple of m values (``expr`` is the tuple of
        components), Hessian problems a value, derivative problems a value for ``x`` of shape
        ``(1,)`` (``Method.derivative`` passes it through as it is).
        """

        def build() -> SymbolicFunction:
            exprs = self.exprs if self.kind == "jacobian" else self.exprs[0]
            return SymbolicFunction(exprs, self.symbols)

        return self._cached("function", build)

    def exact(self) -> ExactMatrix:
        """The truth as an :class:`~diffbench.truth.ExactMatrix` (built once)."""

        def build() -> ExactMatrix:
            label = f"problem {self.name!r}"
            if self.kind == "jacobian":
                return jacobian_truth(self.exprs, self.symbols, label=label)
            if self.kind == "hessian":
                return hessian_truth(self.exprs[0], self.symbols, label=label)
            d = sympy.diff(self.exprs[0], self.symbols[0], self.deriv)
            return ExactMatrix({(): d}, (), self.symbols, what=f"derivative {self.deriv}",
                               label=label)  # fmt: skip

        return self._cached("exact", build)

    def truth(self, x: Any) -> np.ndarray | float:
        """The exact Jacobian ``(m, n)``, Hessian ``(n, n)`` or k-th derivative (a float) at x."""
        if self.kind == "derivative":
            return float(self.exact()([float(np.reshape(x, -1)[0])]))
        return self.exact()(x)

    def sparsity(self) -> sp.csr_matrix:
        """The structural pattern of the Jacobian (or Hessian) as a boolean CSR matrix."""

        def build() -> sp.csr_matrix:
            entries = self.exact().entries
            rows = [i for i, _ in entries]
            cols = [j for _, j in entries]
            shape = self.exact().shape
            data = np.ones(len(rows), dtype=bool)
            return sp.csr_matrix((data, (rows, cols)), shape=shape)

        if self.kind == "derivative":
            raise ValueError(f"problem {self.name!r} is a derivative problem: it has no pattern.")
        return self._cached("sparsity", build)


def _robertson() -> KindProblem:
    y1, y2, y3 = sympy.symbols("y1 y2 y3", real=True)
    k1, k2, k3 = sympy.Rational(1, 25), sympy.Integer(10**4), sympy.Integer(3 * 10**7)
    exprs = (
        -k1 * y1 + k2 * y2 * y3,
        k1 * y1 - k2 * y2 * y3 - k3 * y2**2,
        k3 * y2**2,
    )
    return KindProblem(
        "robertson",
        "jacobian",
        exprs,
        (y1, y2, y3),
        ((1.0, 0.0, 0.0), (0.98, 3.4e-5, 0.02)),
        "Robertson's stiff kinetics right-hand side; Jacobian entries from 0.04 to 2e3",
        tags=frozenset({"stiff", "scales"}),
    )


@lru_cache(maxsize=4)
def bratu(n: int) -> KindProblem:
    """The discretised Bratu residual with ``n`` unknowns (tridiagonal Jacobian), 2 <= n <= 1000.

    ``F_i(u) = (2 u_i - u_{i-1} - u_{i+1}) / h^2 - exp(u_i)``, ``h = 1/(n + 1)``, ``u_0 = u_{n+1} =
    0``. Points: ``u_i = a t_i (1 - t_i)`` at the nodes ``t_i = i h``, for ``a`` = 0.5 and 2.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 1000:
        raise ValueError(f"`n` must be an integer from 2 to 1000, got {n!r}.")
    u = sympy.symbols(f"u1:{n + 1}", real=True)
    h2 = sympy.Integer(n + 1) ** 2
    padded = (sympy.Integer(0), *u, sympy.Integer(0))
    exprs = tuple(
        (2 * padded[i] - padded[i - 1] - padded[i + 1]) * h2 - sympy.exp(padded[i])
        for i in range(1, n + 1)
    )
    t = np.arange(1, n + 1) / (n + 1)
    points = tuple(tuple((a * t * (1 - t)).tolist()) for a in (0.5, 2.0))
    return KindProblem(
        f"bratu-{n}",
        "jacobian",
        exprs,
        tuple(u),
        points,
        f"discretised Bratu residual, n = {n}: tridiagonal Jacobian with entries ~2(n+1)^2",
        tags=frozenset({"sparse", "banded"}),
    )


def _zero_column() -> KindProblem:
    x, y, z = sympy.symbols("x y z", real=True)
    exprs = (sympy.sin(x) * sympy.exp(y), x**2 + sympy.cos(y), x * y)
    return KindProblem(
        "zero-column",
        "jacobian",
        exprs,
        (x, y, z),
        ((0.5, -0.3, 2.0), (1.2, 0.7, -1.0)),
        "smooth map R^3 -> R^3 that ignores its third variable (a zero column)",
        tags=frozenset({"smooth", "zero-column"}),
    )


def _rosenbrock_hessian(n: int) -> KindProblem:
    symbols = sympy.symbols(f"x1:{n + 1}", real=True)
    start = tuple(-1.2 if i % 2 == 0 else 1.0 for i in range(n))
    near = tuple(1.0 + ((i % 11) - 5) / 50 for i in range(n))
    return KindProblem(
        f"rosenbrock-hessian-{n}",
        "hessian",
        (rosenbrock_expression(symbols),),
        tuple(symbols),
        (start, near),
        f"extended Rosenbrock, n = {n}: tridiagonal Hessian",
        tags=frozenset({"polynomial"}),
        domain=((-2.0, 2.0),) * n if n == 2 else None,
    )


#: Deterministic data of the log-likelihood problem: mean about 1e4, spread about 1.
_DATA = tuple(10**4 + sympy.Rational(((37 * k) % 11) - 5, 4) for k in range(20))


def _loglik() -> KindProblem:
    mu, sigma = sympy.symbols("mu sigma", real=True)
    n = len(_DATA)
    expr = -n * sympy.log(sigma) - sympy.Add(*[(y - mu) ** 2 for y in _DATA]) / (2 * sigma**2)
    mean = sympy.Add(*_DATA) / n
    var = sympy.Add(*[(y - mean) ** 2 for y in _DATA]) / n
    point = (float(mean), float(sympy.sqrt(var).evalf(30)))
    return KindProblem(
        "loglik-scales",
        "hessian",
        (expr,),
        (mu, sigma),
        (point,),
        "Gaussian log-likelihood at its maximum; mean ~1e4 and sd ~1 differ in scale by 1e4",
        tags=frozenset({"scales", "statistics"}),
    )


def _near_singular() -> KindProblem:
    x, y = sympy.symbols("x y", real=True)
    expr = (x - y) ** 2 + sympy.Rational(1, 10**8) * sympy.exp(x + y)
    return KindProblem(
        "near-singular",
        "hessian",
        (expr,),
        (x, y),
        ((0.3, 0.2), (1.0, -1.0)),
        "(x - y)^2 + 1e-8 exp(x + y): Hessian eigenvalues ~4 and ~4e-8",
        tags=frozenset({"ill-conditioned"}),
        domain=((-1.5, 1.5), (-1.5, 1.5)),
    )


def _higher_derivatives() -> list[KindProblem]:
    out = []
    for p in battery():
        if p.dim != 1:
            continue
        for k in (2, 3, 4):
            d = sympy.diff(p.expr, p.symbols[0], k)
            if d.has(sympy.DiracDelta, sympy.Derivative, sympy.Subs):
                continue
            out.append(
                KindProblem(
                    f"{p.name}-d{k}",
                    "derivative",
                    (p.expr,),
                    p.symbols,
                    p.points,
                    f"{p.description} (derivative of order {k})",
                    deriv=k,
                    tags=frozenset(p.tags),
                    domain=p.domain,
                )
            )
    return out


@lru_cache(maxsize=1)
def kind_battery() -> tuple[KindProblem, ...]:
    """Every problem of this module, Jacobians first, then Hessians, then higher derivatives."""
    return (
        _robertson(),
        *(bratu(n) for n in (10, 100, 1000)),
        _zero_column(),
        *(_rosenbrock_hessian(n) for n in (2, 10, 100)),
        _loglik(),
        _near_singular(),
        *_higher_derivatives(),
    )


def kind_problem_names() -> list[str]:
    """Names of the problems of :func:`kind_battery`."""
    return [p.name for p in kind_battery()]


def get_kind_problem(name: str) -> KindProblem:
    """The problem of :func:`kind_battery` named ``name``; ``ValueError`` listing the names."""
    for p in kind_battery():
        if p.name == name:
            return p
    raise ValueError(f"unknown problem {name!r}; choose one of: {', '.join(kind_problem_names())}.")
