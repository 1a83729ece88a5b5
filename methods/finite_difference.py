"""Forward, backward and central finite differences with exact Fornberg weights.

Steps: an explicit ``step`` passed to ``gradient`` is the step h itself, as for every method. With
``step=None`` the step of coordinate i is built from the unit-scale optimum ``h*`` of the error
model (``theoretical_step``, docs/theory.md#optimal-steps) by the step rule:
``h_i = h* max(1, |x_i|)`` (``step_rule="relative"``, scipy's convention, the default) or
``h_i = h*`` (``"absolute"``). The step actually used is the representable ``(x_i + h_i) - x_i``
(docs/theory.md#step-semantics).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family
from .counting import CountedFunction
from .fornberg import float_stencil, optimal_step
from .registry import register
from .validation import check_bool, check_choice, representable_step

__all__ = ["ForwardDifference", "BackwardDifference", "CentralDifference", "STEP_RULES"]

#: How a base step becomes the step of coordinate i.
STEP_RULES = ("relative", "absolute")


class _FiniteDifference(Method):
    """Shared machinery of the three stencil shapes; subclasses fix ``scheme`` and ``orders``."""

    family: ClassVar[Family] = Family.FINITE_DIFFERENCE
    kind: ClassVar[str] = "step"
    noise_linear: ClassVar[bool] = True
    label_params: ClassVar[tuple[str, ...]] = ("order",)
    scheme: ClassVar[str] = ""
    #: accuracy orders the method supports
    orders: ClassVar[tuple[int, ...]] = ()

    order: int
    step_rule: str
    vectorized: bool

    def __init__(self, order: int = 1, step_rule: str = "relative", vectorized: bool = False):
        self.order = order
        self.step_rule = step_rule
        self.vectorized = vectorized

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """One settings dict per supported order."""
        return [{"order": p} for p in cls.orders]

    def theoretical_step(self) -> float:
        """Unit-scale ``h* = (S eps / (p |C|))^(1/(p+1))`` of this stencil.

        See docs/theory.md#optimal-steps.
        """
        self._check_settings()
        return optimal_step(self.scheme, 1, self.order)

    def _check_settings(self) -> None:
        order = self.order
        if isinstance(order, bool) or not isinstance(order, int | np.integer):
            raise TypeError(f"`order` must be an integer, got {type(order).__name__}.")
        check_choice("order", order, self.orders)
        check_choice("step_rule", self.step_rule, STEP_RULES)
        check_bool("vectorized", self.vectorized)

    def _steps(self, x: np.ndarray, step: np.ndarray | None) -> np.ndarray:
        """Per-coordinate representable steps; raise if one vanishes."""
        if step is None:
            base = np.full(x.size, self.theoretical_step())
            h = base * np.maximum(1.0, np.abs(x)) if self.step_rule == "relative" else base
            return representable_step(
                x,
                h,
                default="default",
                hint=" or use step_rule='relative'" if self.step_rule == "absolute" else "",
            )
        return representable_step(x, step)

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        offsets_t, weights_t = float_stencil(self.scheme, 1, self.order)
        offsets, weights = np.array(offsets_t), np.array(weights_t)
        h = self._steps(x, step)
        n, k = x.size, offsets.size
        centre = offsets == 0  # one-sided stencils: f(x) is shared by every coordinate
        moved = np.flatnonzero(~centre)
        # coordinate i of the point (i, j) is x[i] + offsets[j] * h[i]
        shifted = x[:, None] + offsets[None, moved] * h[:, None]
        values = np.empty((n, k))
        if self.vectorized:
            rows = np.repeat(x[None, :], n * moved.size, axis=0)
            rows[np.arange(rows.shape[0]), np.repeat(np.arange(n), moved.size)] = shifted.ravel()
            if centre.any():
                rows = np.vstack([x[None, :], rows])
            y = np.asarray(f.batch(rows), dtype=float)
            if centre.any():
                values[:, centre] = y[0]
                y = y[1:]
            values[:, moved] = y.reshape(n, moved.size)
        else:
            if centre.any():
                values[:, centre] = float(f(x.copy()))

            # each evaluation gets a fresh point of its own (f may keep or change its argument)
            def points() -> Iterator[np.ndarray]:
                copy = x.copy
                for i, row in enumerate(shifted.tolist()):
                    for value in row:
                        point = copy()
                        point[i] = value
                        yield point

            values[:, moved] = np.array(f.each(points()), dtype=float).reshape(n, moved.size)
        with np.errstate(all="ignore"):
            value = (values @ weights) / h
        return RawResult(value=value, step=h)


@register
class ForwardDifference(_FiniteDifference):
    """Forward difference of accuracy order 1-6 (offsets 0..p), one shared f(x).

    ``nfev = n * order + 1``. Parameters: ``order`` (1-6, default 1), ``step_rule``
    (``"relative"`` default, ``h_i = step * max(1, |x_i|)``, or ``"absolute"``, ``h_i = step``),
    ``vectorized`` (evaluate every stencil point in one ``f`` call on an ``(m, n)`` array).

    Examples
    --------
    >>> import numpy as np
    >>> from methods import get_method
    >>> est = get_method("forward").derivative(np.exp, 0.0)
    >>> abs(est.value - 1.0) < 1e-7, est.nfev
    (True, 2)
    """

    name: ClassVar[str] = "forward"
    scheme: ClassVar[str] = "forward"
    order: int = 1  # the default; an instance's setting shadows it
    orders: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6)


@register
class BackwardDifference(_FiniteDifference):
    """Backward difference of accuracy order 1-6 (offsets 0..-p), one shared f(x).

    The mirror image of ``forward`` (same settings, ``nfev = n * order + 1``), evaluating f only
    at and below ``x``.
    """

    name: ClassVar[str] = "backward"
    scheme: ClassVar[str] = "backward"
    order: int = 1  # the default; an instance's setting shadows it
    orders: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6)


@register
class CentralDifference(_FiniteDifference):
    """Central difference of accuracy order 2, 4, 6 or 8 (offsets -p/2..p/2).

    The centre weight is 0, so f(x) is not evaluated: ``nfev = n * order``. Settings as for
    ``forward``; the default order is 2.

    Examples
    --------
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    >>> est = get_method("central", order=4).gradient(f, [0.3, -1.7, 2.9])
    >>> np.allclose(est.value, [-1.7 * 2.9, 0.3 * 2.9, 0.3 * -1.7], rtol=1e-12), est.nfev
    (True, 12)
    """

    name: ClassVar[str] = "central"
    scheme: ClassVar[str] = "central"
    order: int = 2  # the default; an instance's setting shadows it
    orders: ClassVar[tuple[int, ...]] = (2, 4, 6, 8)

    def __init__(self, order: int = 2, step_rule: str = "relative", vectorized: bool = False):
        self.order = order
        self.step_rule = step_rule
        self.vectorized = vectorized
