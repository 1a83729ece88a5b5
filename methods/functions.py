"""Function wrappers in the vector convention: ``f(x)``, ``x`` of shape ``(n,)`` or ``(m, n)``."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_vector_function",
    "SymbolicFunction",
    "gradient_expressions",
    "has_expression",
    "check_expression_size",
]


def _columns(x: Any) -> list:
    """Split ``x`` (shape ``(n,)`` or ``(m, n)``; array, dual or complex) into its n coordinates."""
    n = x.shape[-1]
    return [x[..., i] for i in range(n)]


class _VectorFunction:
    def __init__(self, func: Callable) -> None:
        self.func = func
        self.__name__ = getattr(func, "__name__", "f")
        self.__doc__ = getattr(func, "__doc__", None)

    def __call__(self, x: Any) -> Any:
        return self.func(*_columns(x))

    def __repr__(self) -> str:
        return f"as_vector_function({self.__name__})"


def has_expression(f: Any) -> bool:
    """Whether ``f`` carries the SymPy formula it computes (``expr`` and ``symbols``)."""
    return hasattr(f, "expr") and hasattr(f, "symbols")


def check_expression_size(f: Any, n: int) -> None:
    """Raise ``ValueError`` naming ``x`` if its size differs from the number of variables."""
    if len(f.symbols) != n:
        raise ValueError(
            f"`x` has {n} coordinates but the expression has {len(f.symbols)} variables."
        )


def as_vector_function(func: Callable) -> Callable:
    """Turn ``func(x1, ..., xn)`` into ``f(x)`` with ``f(x) == func(*x)``.

    For ``x`` of shape ``(m, n)`` the columns are passed, so a numpy-vectorized ``func`` evaluates
    ``m`` points in one call. Dual and complex arrays pass through unchanged.

    Parameters
    ----------
    func : callable
        A function of n scalar arguments.

    Returns
    -------
    callable

    Examples
    --------
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    >>> float(f(np.array([0.5, 2.0, 3.0])))
    3.0
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {type(func).__name__}.")
    return _VectorFunction(func)


def gradient_expressions(expr: Any, symbols: Sequence[Any]) -> tuple:
    """Partial derivatives of ``expr``, fast for large sums of terms in few variables each.

    For a sum, each term is differentiated only with respect to its own variables, and terms of
    the same shape (equal after renaming their variables in order) are differentiated once: the
    derivative of the template is renamed back. For Rosenbrock with n = 1000 that is 3 symbolic
    derivatives instead of 3000. The result is the same expression ``sympy.diff`` gives.
    """
    import sympy

    if not isinstance(expr, sympy.Add):
        return tuple(sympy.diff(expr, s) for s in symbols)
    position = {s: i for i, s in enumerate(symbols)}
    parts: list[list] = [[] for _ in symbols]
    placeholders: dict = {}
    derivatives: dict = {}

    def placeholder(k: int, s: sympy.Symbol) -> sympy.Dummy:
        key = (k, tuple(sorted(s.assumptions0.items())))
        if key not in placeholders:
            placeholders[key] = sympy.Dummy(f"p{k}", **s.assumptions0)
        return placeholders[key]

    for term in expr.args:
        own = sorted(term.free_symbols & position.keys(), key=position.__getitem__)
        forward = {s: placeholder(k, s) for k, s in enumerate(own)}
        template = term.xreplace(forward)
        back = {p: s for s, p in forward.items()}
        for s in own:
            key = (template, forward[s])
            if key not in derivatives:
                derivatives[key] = sympy.diff(template, forward[s])
            parts[position[s]].append(derivatives[key].xreplace(back))
    return tuple(sympy.Add(*p) for p in parts)


class SymbolicFunction:
    """A function defined by a SymPy expression, callable in the vector convention.

    Methods that need the formula itself (``needs`` contains ``"expression"``: sympy, autograd,
    JAX, PyTensor) read ``expr`` and ``symbols``; everyone else just calls it.

    Parameters
    ----------
    expr : sympy.Expr or sequence of sympy.Expr
        The expression; a sequence (tuple or list) is a map R^n -> R^m whose value is the tuple
        of its components (for ``jacobian()``).
    symbols : sequence of sympy.Symbol
        Its variables, in the order of the coordinates of ``x``.
    """

    def __init__(self, expr: Any, symbols: Sequence[Any]) -> None:
        self.expr = tuple(expr) if isinstance(expr, list) else expr
        self.symbols = tuple(symbols)
        self._compiled: dict[Hashable, Callable] = {}

    def compiled(
        self, key: Hashable, build: Callable[[], Callable], *, refresh: bool = False
    ) -> Callable:
        """Return what ``build()`` compiles for ``key``, built once and kept with this function.

        The cache lives on the function (it dies with it, and pickling drops it): lambdified
        forms, the symbolic gradient, and the gradients methods compile from the expression,
        keyed by the method configuration. ``refresh=True`` builds again and replaces it.
        """
        if refresh or key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]

    def lambdify(self, modules: Any = "numpy") -> Callable:
        """Return the expression compiled for ``modules`` in the vector convention (built once)."""

        def build() -> Callable:
            import sympy

            # Common-subexpression elimination pays off for small formulas but dominates the build
            # time of very wide ones (Rosenbrock at n=1000: 2.3 s with it, 0.8 s without).
            cse = len(self.symbols) <= 200
            fn = sympy.lambdify(self.symbols, self.expr, modules=modules, cse=cse)
            return _VectorFunction(fn)

        return self.compiled(modules if isinstance(modules, str) else repr(modules), build)

    def gradient_function(self) -> Callable:
        """The exact gradient compiled to float64: ``x -> list of n values`` (built once)."""

        def build() -> Callable:
            import sympy

            grad = list(gradient_expressions(self.expr, self.symbols))
            return _VectorFunction(
                sympy.lambdify(self.symbols, grad, modules="numpy", cse=len(self.symbols) <= 200)
            )

        return self.compiled("gradient", build)

    def __call__(self, x: Any) -> Any:
        # the compiled form straight from the cache (a Hessian calls f per point, 20,001 times
        # at n = 100): lambdify() only on the first call
        fn = self._compiled.get("numpy")
        out = (self.lambdify("numpy") if fn is None else fn)(x)
        if isinstance(out, tuple):  # a map: its m components as they are (numbers or duals)
            return out
        # A constant expression lambdifies to a constant: broadcast it to the batch shape.
        shape = np.shape(getattr(x, "value", x))[:-1]
        if np.ndim(out) == 0 and shape:
            out = np.full(shape, out)
        return out

    def __getstate__(self) -> dict:
        # compiled functions are rebuilt after unpickling (worker processes)
        return {"expr": self.expr, "symbols": self.symbols, "_compiled": {}}

    def __repr__(self) -> str:
        return f"SymbolicFunction({self.expr}, {self.symbols})"
