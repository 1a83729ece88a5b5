"""findiff as its users call it: ``findiff.Diff(axis, grid, acc=...)`` applied to sampled arrays.

findiff differentiates arrays on uniform grids (a spacing) and non-uniform grids (a coordinate
array), with centred stencils inside and one-sided stencils of the same accuracy order ``acc`` at
the edges. Its weights are computed numerically (for ``acc = 8`` the centre weight is 4.5e-15
instead of 0), which this suite measures as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import GridMethod, RawResult
from .counting import CountedFunction
from .fornberg import optimal_step
from .grid_kinds import GridKinds
from .registry import register
from .validation import check_choice, representable_step

__all__ = ["Findiff"]

_ACCURACIES = (2, 4, 6, 8)


@register
class Findiff(GridKinds, GridMethod):
    """Grid derivative of accuracy order ``acc`` with ``findiff.Diff``.

    Grid form: :meth:`grid_gradient` applies ``Diff(axis, spacing, acc=acc)`` along every axis;
    a spacing is a float (uniform) or a strictly increasing coordinate array (non-uniform).

    Point form: along each axis findiff differentiates the line of ``2m + 1`` samples
    ``x + k h e_i`` (``k = -m..m``, ``f(x)`` shared between axes) and the value at ``x`` is
    kept; there findiff applies its centred stencil of order ``acc``. findiff rejects uniform
    arrays shorter than ``3 acc / 2`` (its one-sided edge stencils must fit), so ``m`` is 1, 3,
    4, 6 for ``acc`` 2, 4, 6, 8 and ``nfev = 1 + 2 m n``, more than the ``acc n`` points the
    centred stencil itself uses. The default ``h`` is the unit-scale optimal step of the centred
    stencil (docs/theory.md#optimal-steps) times ``max(1, |x_i|)``, rounded so that ``x + h`` is
    exact.

    Beyond gradients (:mod:`methods.grid_kinds`): ``grid_derivative(values, *spacing, axis=a,
    deriv=k)`` is ``(Diff(a, spacing, acc=acc)**k)(values)`` (k up to 4: findiff's own k-th
    derivative stencils, of order ``acc`` inside and at the edges), and ``grid_hessian`` takes
    ``Diff(i)**2`` on the diagonal and ``(Diff(i) * Diff(j))`` for the mixed partials. A uniform
    axis needs ``3 acc / 2 + k - 1`` points (one more for k >= 3). The point form samples the
    shortest odd line around ``x`` findiff accepts.

    Parameters
    ----------
    acc : {2, 4, 6, 8}
        Accuracy order: the error of a smooth function falls like ``h**acc``.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import get_method
    >>> x = np.linspace(0.0, 1.0, 21)
    >>> (d,) = get_method("findiff", acc=4).grid_gradient(np.exp(x), x[1] - x[0])
    >>> bool(np.max(np.abs(d - np.exp(x))) < 1e-5)
    True
    """

    name: ClassVar[str] = "findiff"
    wraps: ClassVar[str | None] = "findiff"
    requires: ClassVar[tuple[str, ...]] = ("findiff",)
    label_params: ClassVar[tuple[str, ...]] = ("acc",)
    derivative_kinds: ClassVar[frozenset[str]] = frozenset({"gradient", "hessian", "derivative"})
    max_deriv: ClassVar[int] = 4

    def __init__(self, acc: int = 2) -> None:
        self.acc = acc

    @property
    def truncation_order(self) -> int:  # type: ignore[override]
        """Truncation order: the accuracy order ``acc``."""
        return self.acc

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """One configuration per accuracy order."""
        return [{"acc": acc} for acc in _ACCURACIES]

    def _check_settings(self) -> None:
        if isinstance(self.acc, bool) or not isinstance(self.acc, int | np.integer):
            raise TypeError(f"`acc` must be an integer, got {type(self.acc).__name__}.")
        check_choice("acc", self.acc, _ACCURACIES)

    def theoretical_step(self) -> float:
        """``h* = (S eps / (p |C|))^(1/(p+1))`` for the centred stencil of order ``p = acc``."""
        return optimal_step("central", 1, self.acc)

    def _min_points(self) -> int:
        # Uniform grids need 3 acc / 2 points (non-uniform ones acc + 1): the stricter bound.
        return 3 * self.acc // 2

    def _half_width(self) -> int:
        """``m`` such that a line of ``2m + 1`` points is the shortest odd length findiff takes."""
        return self._min_points() // 2

    def _grid_gradient(self, values: np.ndarray, spacing: list) -> list[np.ndarray]:
        from findiff import Diff

        return [
            np.asarray(Diff(axis, grid, acc=self.acc)(values), dtype=float)
            for axis, grid in enumerate(spacing)
        ]

    def _diff(self, axis: int, grid: Any, deriv: int = 1) -> Any:
        from findiff import Diff

        d = Diff(axis, grid, acc=self.acc)
        return d if deriv == 1 else d**deriv

    def _grid_derivative(
        self, values: np.ndarray, spacing: list, axis: int, deriv: int
    ) -> np.ndarray:
        return np.asarray(self._diff(axis, spacing[axis], deriv)(values), dtype=float)

    def _grid_mixed(self, values: np.ndarray, spacing: list, i: int, j: int) -> np.ndarray:
        mixed = self._diff(i, spacing[i]) * self._diff(j, spacing[j])
        return np.asarray(mixed(values), dtype=float)

    def _kind_min_points(self, deriv: int) -> int:
        # findiff's shortest uniform array for Diff**deriv (tests check it against findiff)
        return 3 * self.acc // 2 + deriv - 1 + (deriv >= 3)

    def _kind_edge_width(self, deriv: int) -> int:
        # half the centred stencil of order acc for the deriv-th derivative
        return self.acc // 2 + (deriv - 1) // 2

    def _line_offsets(self, deriv: int) -> tuple[int, ...]:
        m = self._kind_min_points(deriv) // 2
        return tuple(range(-m, m + 1))

    def _kind_theoretical_step(self, deriv: int) -> float:
        """Unit-scale optimum of the centred stencil of order ``acc`` for the ``deriv``-th
        derivative (docs/theory.md#optimal-steps)."""
        return optimal_step("central", deriv, self.acc)

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        if step is None:
            step = self.theoretical_step() * np.maximum(1.0, np.abs(x))
        h = representable_step(x, step)  # x + h exact; vanishing or overflowing steps are errors
        from findiff import Diff

        m = self._half_width()
        f0 = f(x.copy())  # f may change its argument; x builds every later point
        value = np.empty(x.size)
        for i in range(x.size):
            line = np.empty(2 * m + 1)
            line[m] = f0
            for k in range(-m, m + 1):
                if k != 0:
                    point = x.copy()
                    point[i] = x[i] + k * h[i]
                    line[m + k] = f(point)
            with np.errstate(invalid="ignore"):
                value[i] = Diff(0, float(h[i]), acc=self.acc)(line)[m]
        return RawResult(value=value, step=h)
