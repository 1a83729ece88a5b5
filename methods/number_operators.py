"""Python operators for numpy-aware number types (dual and hyper-dual numbers), written once.

A class deriving from :class:`ArithmeticOperators` implements ``_binary(ufunc, other,
reflected)`` (returning ``NotImplemented`` for operands it does not combine with) and
``_unsupported_operator(name)`` (the ``TypeError`` to raise); every arithmetic operator, ``@``
and every comparison (by value) then goes through them. ``//`` and ``%`` are refused: they have
no derivative worth propagating.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ArithmeticOperators"]


def _operator(ufunc: np.ufunc, reflected: bool = False) -> Callable[[Any, Any], Any]:
    def op(self: Any, other: Any) -> Any:
        return self._binary(ufunc, other, reflected)

    op.__name__ = f"__{'r' if reflected else ''}{ufunc.__name__}__"
    return op


def _refused(name: str) -> Callable[[Any, Any], Any]:
    def op(self: Any, other: Any) -> Any:
        raise self._unsupported_operator(name)

    return op


class ArithmeticOperators:
    """Mixin: ``+ - * / ** @`` (both sides) and ``< <= > >= == !=`` through ``self._binary``."""

    __slots__ = ()

    def _binary(self, ufunc: np.ufunc, other: Any, reflected: bool = False) -> Any:
        raise NotImplementedError

    def _unsupported_operator(self, name: str) -> TypeError:
        raise NotImplementedError

    __add__ = _operator(np.add)
    __radd__ = _operator(np.add, True)
    __sub__ = _operator(np.subtract)
    __rsub__ = _operator(np.subtract, True)
    __mul__ = _operator(np.multiply)
    __rmul__ = _operator(np.multiply, True)
    __truediv__ = _operator(np.true_divide)
    __rtruediv__ = _operator(np.true_divide, True)
    __pow__ = _operator(np.power)
    __rpow__ = _operator(np.power, True)
    __matmul__ = _operator(np.matmul)
    __rmatmul__ = _operator(np.matmul, True)
    __lt__ = _operator(np.less)
    __le__ = _operator(np.less_equal)
    __gt__ = _operator(np.greater)
    __ge__ = _operator(np.greater_equal)
    __eq__ = _operator(np.equal)  # type: ignore[assignment]
    __ne__ = _operator(np.not_equal)  # type: ignore[assignment]
    __floordiv__ = __rfloordiv__ = _refused("numpy.floor_divide (//)")
    __mod__ = __rmod__ = _refused("numpy.remainder (%)")
