"""The one result type every differentiation method returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate"]


def _frozen(a: np.ndarray | float | None) -> np.ndarray | float | None:
    if a is None or isinstance(a, float):
        return a
    arr = np.array(a, dtype=float, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Estimate:
    """A derivative estimate, the same type whatever the method.

    Attributes
    ----------
    value : numpy.ndarray or float
        The gradient, shape ``(n,)`` (a float from ``derivative``). A coordinate whose stencil met a
        non-finite value of ``f`` is NaN.
    step : numpy.ndarray, float or None
        The step actually used per coordinate (after the representable-step correction), or None for
        methods without a step.
    nfev : int
        Number of evaluations of ``f``, one per point (a vectorized call on ``m`` points
        counts ``m``).
    error_estimate : numpy.ndarray, float or None
        The method's own estimate of the absolute error per coordinate, or None if it has none.
    method : str
        Label of the method that produced it, e.g. ``"central(order=4)"``.
    """

    value: np.ndarray | float
    step: np.ndarray | float | None
    nfev: int
    error_estimate: np.ndarray | float | None
    method: str

    def __post_init__(self) -> None:
        # Read-only copies: an Estimate never changes after it is made.
        object.__setattr__(self, "value", _frozen(self.value))
        object.__setattr__(self, "step", _frozen(self.step))
        object.__setattr__(self, "error_estimate", _frozen(self.error_estimate))
        object.__setattr__(self, "nfev", int(self.nfev))

    def _key(self) -> tuple:
        def raw(a: np.ndarray | float | None) -> object:
            return a if a is None or isinstance(a, float) else (a.shape, a.tobytes())

        return (raw(self.value), raw(self.step), self.nfev, raw(self.error_estimate), self.method)

    def __eq__(self, other: object) -> bool:
        """Equal when every field is equal bit for bit (NaN equals NaN at the same place)."""
        if not isinstance(other, Estimate):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())
