"""Input validation shared by every method: one place, messages that name the parameter."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

__all__ = ["check_function", "check_point", "check_step", "check_choice", "check_positive_int"]


def check_function(f: Any) -> Callable:
    """Return ``f`` if it is callable, else raise ``TypeError`` naming ``f``."""
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}.")
    return f


def check_point(x: Any) -> np.ndarray:
    """Return ``x`` as a fresh 1-D float64 array, or raise naming ``x``.

    Rejects empty, non-1-D, complex, non-numeric and non-finite input.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested sequences and the like
        raise ValueError(f"`x` must be a 1-D array of real numbers: {exc}") from None
    if arr.dtype.kind == "c":
        raise TypeError("`x` must be real; complex values are not accepted.")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`x` must be a 1-D array of real numbers, got dtype {arr.dtype}.")
    if arr.ndim != 1:
        raise ValueError(f"`x` must be 1-D (shape (n,)), got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError("`x` must not be empty.")
    arr = arr.astype(float, copy=True)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`x` must be finite; got {arr[~np.isfinite(arr)][:3]}.")
    return arr


def check_step(step: Any, n: int, *, name: str = "step") -> np.ndarray | None:
    """Return ``step`` as an array of shape ``(n,)`` (None stays None), or raise naming it.

    A step must be a positive finite real scalar, or one such value per coordinate.
    """
    if step is None:
        return None
    try:
        arr = np.asarray(step)
    except Exception as exc:
        raise ValueError(
            f"`{name}` must be a positive number or one per coordinate: {exc}"
        ) from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be a real number, got dtype {arr.dtype}.")
    arr = arr.astype(float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"`{name}` must be a scalar or have shape ({n},), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {arr}.")
    if np.any(arr <= 0):
        raise ValueError(f"`{name}` must be positive, got {arr[arr <= 0][:3]}.")
    return arr


def check_choice(name: str, value: Any, choices: tuple) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` naming ``name``."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}, got {value!r}.")
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value}.")
    return int(value)


def check_positive_real(name: str, value: Any) -> float:
    """Return ``value`` as float if it is a positive finite real, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"`{name}` must be a real number, got {type(value).__name__}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be positive and finite, got {value}.")
    return float(value)
