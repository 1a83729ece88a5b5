"""What every measurement needs to know about ``f`` at ``x``: built once, never changed.

:func:`~diffbench.chooser.choose` builds a :class:`Context` when the probes are done, then a
copy with the reference gradient and the swept coordinates (``dataclasses.replace``) before it
sweeps the step methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .findings import ComplexProbe
from .results import Reference
from .running import Meter

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
    meter : Meter or None
        Counts the evaluations of ``f`` against the allowance of the time limit, and says what
        is being measured (None: no limit, no progress line). ``f`` is its counting wrapper.
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
    meter: Meter | None = None

    @property
    def remaining(self) -> float:
        """Evaluations of ``f`` the time limit still allows (``inf``: no limit)."""
        return math.inf if self.meter is None else self.meter.remaining

    def stage(self, what: str) -> None:
        """Say what is being measured (a progress line on stderr once the run is long)."""
        if self.meter is not None:
            self.meter.stage(what)

    @property
    def complex_ok(self) -> bool:
        """The complex step can be trusted at ``x``."""
        return self.complex_probe.ok

    @property
    def ref_scale(self) -> float:
        """``max |reference|`` (0 without one): the scale of relative errors."""
        return 0.0 if self.ref is None else self.ref.scale
