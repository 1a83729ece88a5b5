"""What every measurement needs to know about ``f`` at ``x``: built once, never changed.

:func:`~diffbench.chooser.choose` builds a :class:`Context` when the probes are done, then a
copy with the reference gradient and the swept coordinates (``dataclasses.replace``) before it
sweeps the step methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .findings import ComplexProbe
from .results import Reference

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    """``f``, ``x``, the caller's target and budget, and what the probes found.

    Attributes
    ----------
    f : callable
    x : numpy.ndarray
    target : float
    budget : int or None
    has_expr : bool
        ``f`` carries a SymPy formula.
    f0 : float
        ``f(x)``.
    matches : bool or None
        ``f``'s value equals its formula's (None without a formula).
    vectorized : bool
        ``f`` takes an ``(m, n)`` array of points.
    complex_probe : ComplexProbe
    noisy : bool
    eps_f : float
        Noise (or rounding) level of ``f`` at ``x``, absolute.
    ref : Reference or None
        The reference gradient (None until it is fixed).
    subset : numpy.ndarray or None
        The coordinates the step sweeps run on (None: all).
    """

    f: Callable
    x: np.ndarray
    target: float
    budget: int | None
    has_expr: bool
    f0: float
    matches: bool | None
    vectorized: bool
    complex_probe: ComplexProbe
    noisy: bool
    eps_f: float
    ref: Reference | None = None
    subset: np.ndarray | None = None

    @property
    def complex_ok(self) -> bool:
        """The complex step can be trusted at ``x``."""
        return self.complex_probe.ok

    @property
    def ref_scale(self) -> float:
        """``max |reference|`` (0 without one): the scale of relative errors."""
        return 0.0 if self.ref is None else self.ref.scale
