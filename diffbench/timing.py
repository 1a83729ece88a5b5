"""Timing one call the way ``timeit`` does: autorange the loop count, then repeat.

``timeit.Timer.autorange`` grows the number of loops (1, 2, 5, 10, 20, 50, ...) until one
measurement takes at least 0.2 s. A sweep times hundreds of method configurations, so the target
here is configurable (default 5 ms per repeat) and a call that is slow on its own is timed once per
repeat with fewer repeats. The raw per-call times of every repeat are kept; statistics are derived
from them (the median is what the report shows).
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Timing", "time_call"]


@dataclass(frozen=True)
class Timing:
    """Result of :func:`time_call`.

    Attributes
    ----------
    number : int
        Calls per repeat (the autoranged loop count).
    repeats : tuple of float
        Seconds per call, one value per repeat (each the mean over ``number`` calls).
    """

    number: int
    repeats: tuple[float, ...]

    @property
    def median(self) -> float:
        """Median seconds per call over the repeats."""
        return float(statistics.median(self.repeats))


def time_call(
    fn: Callable[[], object],
    *,
    target: float = 0.005,
    repeat: int = 5,
    budget: float = 0.5,
) -> Timing:
    """Time ``fn()``: autorange the loop count to ``target`` seconds, then repeat.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its result is ignored. Call it once before timing if it has
        first-call costs (compilation, caches) that should not be measured.
    target : float, default 0.005
        Seconds one repeat should last at least (``timeit`` uses 0.2).
    repeat : int, default 5
        Number of repeats (at least 1).
    budget : float, default 0.5
        Rough limit on the total seconds spent: slow calls get fewer repeats (never fewer than 1).

    Returns
    -------
    Timing

    Examples
    --------
    >>> t = time_call(lambda: sum(range(100)), target=1e-4, repeat=3)
    >>> len(t.repeats), t.number >= 1, t.median > 0
    (3, True, True)
    """
    if not callable(fn):
        raise TypeError(f"`fn` must be callable, got {type(fn).__name__}.")
    if not (target > 0 and budget > 0):
        raise ValueError(f"`target` and `budget` must be positive, got {target} and {budget}.")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"`repeat` must be an integer >= 1, got {repeat!r}.")
    timer = timeit.Timer(fn)
    # autorange as timeit does (loop counts 1, 2, 5, 10, 20, 50, ...), with our target; the last
    # autorange measurement is a full repeat and is kept as the first one
    counts = (k * 10**e for e in range(12) for k in (1, 2, 5))
    number = next(counts)
    elapsed = timer.timeit(number)
    while elapsed < target:
        number = next(counts)
        elapsed = timer.timeit(number)
    repeats_allowed = max(1, min(repeat, int(budget / elapsed)))
    times = [elapsed / number]
    for _ in range(repeats_allowed - 1):
        times.append(timer.timeit(number) / number)
    return Timing(number=number, repeats=tuple(times))
