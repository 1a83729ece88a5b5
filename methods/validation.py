"""Input validation shared by every method: one place, messages that name the parameter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

import numpy as np

from .parallel import check_workers, is_serial

__all__ = [
    "plain_steps",
    "check_function",
    "check_point",
    "check_step",
    "check_choice",
    "check_positive_int",
    "check_positive_real",
    "check_bool",
    "representable_step",
    "check_step_power",
    "check_workers_setting",
]


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


def representable_step(
    x: np.ndarray, h: np.ndarray, *, default: str = "", hint: str = ""
) -> np.ndarray:
    """The steps actually representable at ``x``: ``(x + h) - x``, per coordinate.

    Parameters
    ----------
    x : numpy.ndarray
        The point.
    h : numpy.ndarray
        The intended steps, same shape.
    default : str, optional
        If the steps are a default rather than the user's, words saying so for the message
        (e.g. ``"default"``).
    hint : str, optional
        Appended to the message when a step vanishes.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        Naming ``step`` and the coordinate, when ``x + h == x`` (the step vanishes) or
        ``x + h`` overflows.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # reported below as a clear error
        used = (x + h) - x

    def name(i: int) -> str:
        return f"({default} {h[i]:.3g})" if default else f"{h[i]:.3g}"

    zero = np.flatnonzero(used == 0)
    if zero.size:
        i = int(zero[0])
        raise ValueError(
            f"`step` {name(i)} vanishes at x[{i}]={float(x[i])!r}: x + h == x in float64; "
            f"pass a larger `step`{hint}."
        )
    big = np.flatnonzero(~np.isfinite(used))
    if big.size:
        i = int(big[0])
        raise ValueError(
            f"`step` {name(i)} overflows at x[{i}]={float(x[i])!r}: x + h is not finite."
        )
    return used


def check_step_power(h: np.ndarray, deriv: int, *, default: str = "") -> None:
    """Raise naming ``step`` if ``h ** deriv`` overflows float64 (a ``deriv``-th difference
    divides by it; Python floats raise ``OverflowError`` there, numpy's give ``inf``).

    Parameters
    ----------
    h : numpy.ndarray
        The steps, one per coordinate.
    deriv : int
        The derivative order the differences divide by ``h ** deriv`` for.
    default : str, optional
        As for :func:`representable_step`: words saying the steps are a default.

    Examples
    --------
    >>> check_step_power(np.array([1e100]), 3)
    >>> try:
    ...     check_step_power(np.array([1e200]), 2)
    ... except ValueError as exc:
    ...     print(str(exc)[:58])
    `step` 1e+200 is too large for a derivative of order 2: st
    """
    with np.errstate(over="ignore"):
        big = np.flatnonzero(~np.isfinite(np.abs(np.asarray(h, dtype=float)) ** deriv))
    if big.size:
        i = int(big[0])
        shown = f"({default} {h[i]:.3g})" if default else f"{h[i]:.3g}"
        raise ValueError(
            f"`step` {shown} is too large for a derivative of order {deriv}: step**{deriv} "
            f"overflows float64 at x[{i}]; pass a smaller `step`."
        )


def plain_steps(steps: Sequence[Any], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The representable steps of the steps :func:`check_step` and :func:`representable_step`
    accept without a question, all at once.

    A step is plain when it is a positive finite float, or a float64 array of shape ``(n,)``
    of such values, and ``x + h`` neither equals ``x`` nor overflows in any coordinate. For
    those, ``representable_step(x, check_step(h, n))`` is row ``k`` of ``used``, bit for bit.

    Parameters
    ----------
    steps : sequence
        Candidate steps (anything: None, numbers, arrays).
    x : numpy.ndarray, shape (n,)
        The point (checked by :func:`check_point`).

    Returns
    -------
    used : numpy.ndarray, shape (len(steps), n)
        ``(x + h) - x`` per step (rows of steps that are not plain are meaningless).
    plain : numpy.ndarray of bool, shape (len(steps),)

    Examples
    --------
    >>> used, plain = plain_steps([1e-3, None, -1.0, 1e-20], np.array([1.0]))
    >>> plain.tolist()
    [True, False, False, False]
    """
    n = x.size
    rows = np.ones((len(steps), n))
    plain = np.zeros(len(steps), dtype=bool)
    for k, h in enumerate(steps):
        if isinstance(h, float) and not isinstance(h, bool):
            if h > 0 and h < np.inf:
                rows[k] = h
                plain[k] = True
        elif isinstance(h, np.ndarray) and h.dtype == np.float64 and h.shape == (n,):
            if np.all(h > 0) and np.all(h < np.inf):
                rows[k] = h
                plain[k] = True
    with np.errstate(over="ignore", invalid="ignore"):
        used = (x + rows) - x
    plain &= np.all(used != 0, axis=1) & np.all(np.isfinite(used), axis=1)
    return used, plain


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` as a bool if it is True or False (numpy's too); else raise naming it."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False, got {value!r}.")
    return bool(value)


def check_workers_setting(workers: Any, *, vectorized: bool = False) -> None:
    """Raise naming ``workers`` unless it is valid (:func:`methods.parallel.check_workers`) and,
    for a vectorized ``f``, 1 (its points go in as few calls as the memory budget allows)."""
    check_workers(workers)
    if vectorized and not is_serial(workers):
        raise ValueError(
            "`workers` must be 1 with vectorized=True (a vectorized f gets its points in as few "
            f"calls as the memory budget allows), got {workers!r:.60}; pass vectorized=False to "
            "evaluate points in parallel."
        )
