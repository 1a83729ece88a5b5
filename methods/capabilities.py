"""What a method is and what it can do, declared once on its class.

Everything that measures or recommends methods (the sweep, the report, the figures, the chooser)
reads these declarations instead of testing family names:

* :class:`Family`: the family of a method, with its display order and the colormap its curves
  are drawn in (the order of the members is the display order).
* :class:`ReferenceGrade`: how far the result of a method can serve as a reference for others
  when no exact gradient is known.
* The class attributes of :class:`~methods.base.Method` that use them: ``family``, ``needs``,
  ``black_box``, ``noise_linear``, ``reference`` and ``wraps``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["Family", "ReferenceGrade", "Need", "CORE_LIBRARIES"]


class Family(StrEnum):
    """Families of methods; a member compares equal to its string value.

    Members are listed in display order (tables and legends follow it).

    Examples
    --------
    >>> Family("complex-step") is Family.COMPLEX_STEP
    True
    >>> Family.COMPLEX_STEP == "complex-step", Family.GRID.colormap
    (True, 'Greens')
    """

    FINITE_DIFFERENCE = "finite-difference"
    GRID = "grid"
    COMPLEX_STEP = "complex-step"
    EXTRAPOLATION = "extrapolation"
    FORWARD_AD = "forward-mode AD"
    REVERSE_AD = "reverse-mode AD"
    SYMBOLIC = "symbolic"

    @property
    def display_order(self) -> int:
        """Position of the family in tables and legends (0 first)."""
        return list(Family).index(self)

    @property
    def colormap(self) -> str:
        """Name of the matplotlib colormap whose shades draw the family's methods."""
        return _COLORMAPS[self]


_COLORMAPS = {
    Family.FINITE_DIFFERENCE: "Blues",
    Family.GRID: "Greens",
    Family.COMPLEX_STEP: "Purples",
    Family.EXTRAPOLATION: "Oranges",
    Family.FORWARD_AD: "Reds",
    Family.REVERSE_AD: "RdPu",
    Family.SYMBOLIC: "Greys",
}


class Need(StrEnum):
    """What a method may need from ``f`` beyond being a real callable of one array."""

    COMPLEX = "complex"  # f accepts complex arguments (and is analytic as written)
    DUAL = "dual"  # f accepts dual numbers
    EXPRESSION = "expression"  # f carries a SymPy expression (the formula, not the program)
    VECTORIZED = "vectorized"  # f takes an (m, n) array of points and returns m values


class ReferenceGrade(IntEnum):
    """How far a method's result can serve as a reference for others (higher is better).

    ``NONE``: its error depends on a step that must be tuned (finite differences, grids).
    ``EXTRAPOLATED``: adaptive extrapolation, accurate on smooth functions with an error estimate.
    ``ROUNDING``: no subtractive cancellation, accurate to rounding when ``f`` is analytic as
    written (the complex step). ``EXACT``: exact arithmetic of derivatives through the program
    (dual numbers, automatic differentiation) or of the formula (symbolic).
    """

    NONE = 0
    EXTRAPOLATED = 1
    ROUNDING = 2
    EXACT = 3


#: Libraries every installation has; a method wrapping another library is a *peer*.
CORE_LIBRARIES = frozenset({"numpy", "scipy", "sympy", "mpmath"})
