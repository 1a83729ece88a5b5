"""Step ranges and grid sizes of the sweep, and their validation.

Steps are **relative**. The sweep's steps ``t`` are scaled to the point: at ``x`` a method is
called with ``gradient(step=h)``, ``h_i = t * max(1, |x_i|)`` per coordinate (:func:`step_at`; a
float when every coordinate gets the same step), so a step that suits ``x = 1`` suits
``x = 1e10`` too, whatever rule the method applies to its own default step. The ``step_rel``
column is ``t``, the ``step`` column the largest ``h_i`` passed and ``step_used`` the largest step
the method reports it actually took (``Estimate.step``). By default ``t`` runs from ``1e-1`` down
to ``1e-16`` with 4 per decade; a method whose ``smallest_useful_step`` is smaller (the complex
step: 1e-300) gets the range extended down to it (:func:`steps_for`).

Grid sizes are points per axis, per problem dimension (:data:`DEFAULT_GRID_SIZES`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "StepRange",
    "DEFAULT_STEPS",
    "DEFAULT_GRID_SIZES",
    "EXTENDED_DECADES_PER_STEP",
    "MAX_GRID_DIM",
    "MAX_GRID_POINTS",
    "check_steps",
    "check_grid_sizes",
    "steps_for",
    "step_at",
    "steps_to_json",
    "steps_from_json",
]


@dataclass(frozen=True)
class StepRange:
    """Log-spaced steps from ``start`` down to ``stop``, ``per_decade`` steps per decade.

    The steps are ``10**(k / per_decade)`` for integer ``k``, so whole decades (1e-5, 1e-8, ...)
    are always among them, and both ends are included.

    Examples
    --------
    >>> StepRange(1e-1, 1e-3, 2).steps()
    (0.1, 0.03162277660168379, 0.01, 0.0031622776601683794, 0.001)
    """

    start: float = 1e-1
    stop: float = 1e-16
    per_decade: int = 4

    def steps(self) -> tuple[float, ...]:
        """The steps, largest first."""
        hi = math.log10(self.start) * self.per_decade
        lo = math.log10(self.stop) * self.per_decade
        ks = range(math.floor(hi + 1e-9), math.ceil(lo - 1e-9) - 1, -1)
        out = [10.0 ** (k / self.per_decade) for k in ks]
        out = [h for h in out if self.stop * (1 - 1e-12) <= h <= self.start * (1 + 1e-12)]
        for end in (self.start, self.stop):
            if not any(math.isclose(end, h, rel_tol=1e-9) for h in out):
                out.append(end)
        return tuple(sorted(out, reverse=True))

    def spec(self) -> str:
        """``"start:stop:per_decade"``, the command-line form."""
        return f"{self.start!r}:{self.stop!r}:{self.per_decade}"


#: The default relative step range: 1e-1 to 1e-16, 4 steps per decade (61 steps).
DEFAULT_STEPS = StepRange(1e-1, 1e-16, 4)
#: Below the end of a range, methods with a smaller ``smallest_useful_step`` get one step every
#: this many decades (the complex step: 1e-18, 1e-20, ..., 1e-300).
EXTENDED_DECADES_PER_STEP = 2
#: Grid sizes (points per axis) per problem dimension.
DEFAULT_GRID_SIZES: dict[int, tuple[int, ...]] = {
    1: tuple(2**k for k in range(3, 13)),  # 8 ... 4096
    2: (5, 9, 17, 33, 65),
    3: (5, 9, 17, 33),
}
#: Grid methods are swept on problems of at most this many variables.
MAX_GRID_DIM = 3
#: Largest number of nodes of one grid (user grid sizes beyond it are dropped for that dimension).
MAX_GRID_POINTS = 2**17


def check_steps(steps: Any) -> StepRange | tuple[float, ...]:
    """Validate the relative ``steps``: None (default range), a :class:`StepRange`, or positive
    floats (each one is scaled by ``max(1, |x_i|)`` at a point, :func:`step_at`).

    Raises
    ------
    ValueError
        Naming ``steps`` and what is wrong.
    """
    if steps is None:
        return DEFAULT_STEPS
    if isinstance(steps, StepRange):
        for name, v in (("start", steps.start), ("stop", steps.stop)):
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"`steps` {name} must be a positive finite number, got {v!r}.")
        if not steps.stop < steps.start:
            raise ValueError(
                f"`steps` must run from a larger start to a smaller stop, got {steps.start!r} "
                f"to {steps.stop!r}."
            )
        if steps.stop < 1e-320:
            raise ValueError(f"`steps` stop {steps.stop!r} is below the smallest float64 step.")
        pd_ = steps.per_decade
        if isinstance(pd_, bool) or not isinstance(pd_, int) or not 1 <= pd_ <= 100:
            raise ValueError(f"`steps` per decade must be an integer from 1 to 100, got {pd_!r}.")
        return steps
    if isinstance(steps, int | float):
        steps = [steps]
    try:
        values = [float(s) for s in steps]
    except (TypeError, ValueError):
        raise ValueError(f"`steps` must be positive numbers, got {steps!r}.") from None
    if not values:
        raise ValueError("`steps` must not be empty.")
    bad = [v for v in values if not (math.isfinite(v) and v > 0)]
    if bad:
        raise ValueError(f"`steps` must be positive and finite, got {bad[0]!r}.")
    return tuple(sorted(set(values), reverse=True))


def check_grid_sizes(grid_sizes: Any) -> dict[int, tuple[int, ...]]:
    """Validate grid sizes: None (defaults), one list for every dimension, or a dict per dimension.

    A list given for all dimensions keeps, per dimension d, the sizes with ``size**d`` at most
    :data:`MAX_GRID_POINTS` (a 1-D size beyond it is an error). An empty list: no grid sweep.
    """
    if grid_sizes is None:
        return dict(DEFAULT_GRID_SIZES)
    if isinstance(grid_sizes, Mapping):
        bad = [d for d in grid_sizes if isinstance(d, bool) or not isinstance(d, int | np.integer)]
        if bad:
            raise ValueError(f"`grid_sizes` keys must be dimensions (integers), got {bad[0]!r}.")
        per_dim = {int(d): grid_sizes[d] for d in grid_sizes}
        explicit = True
    else:
        per_dim = {d: grid_sizes for d in range(1, MAX_GRID_DIM + 1)}
        explicit = False
    out: dict[int, tuple[int, ...]] = {}
    for d, sizes in per_dim.items():
        if not 1 <= d <= MAX_GRID_DIM:
            raise ValueError(f"`grid_sizes` dimensions must be 1 to {MAX_GRID_DIM}, got {d}.")
        if isinstance(sizes, int | np.integer):
            sizes = [sizes]
        checked = []
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 2:
                raise ValueError(f"`grid_sizes` must be integers >= 2, got {s!r}.")
            too_many = int(s) ** d > MAX_GRID_POINTS
            if too_many and (explicit or d == 1):
                raise ValueError(
                    f"`grid_sizes` {int(s)} in {d}-D gives {int(s) ** d} nodes, more than "
                    f"{MAX_GRID_POINTS}."
                )
            if int(s) ** d <= MAX_GRID_POINTS:
                checked.append(int(s))
        out[d] = tuple(sorted(set(checked)))
    return out


def steps_for(config: Any, steps: StepRange | tuple[float, ...]) -> tuple[float, ...]:
    """The relative steps one configuration (of kind ``step`` or ``grid``) is swept over.

    A :class:`StepRange` is extended below its end, one step every
    :data:`EXTENDED_DECADES_PER_STEP` decades, down to the method's ``smallest_useful_step``
    (the complex step: 1e-300); explicit steps are used as given.
    """
    if isinstance(steps, StepRange):
        grid = list(steps.steps())
        smallest = float(config.cls.smallest_useful_step)
        if smallest < steps.stop:
            k = math.floor(math.log10(steps.stop)) - EXTENDED_DECADES_PER_STEP
            while 10.0**k >= smallest * (1 - 1e-12):
                grid.append(10.0**k)
                k -= EXTENDED_DECADES_PER_STEP
            if not math.isclose(grid[-1], smallest, rel_tol=1e-9):
                grid.append(smallest)
    else:
        grid = list(steps)
    return tuple(grid)


def step_at(step_rel: float, x: Any) -> float | np.ndarray:
    """The step passed to a method at ``x`` for the relative step ``step_rel``.

    ``h_i = step_rel * max(1, |x_i|)``: a float when every coordinate gets the same step (every
    ``|x_i| <= 1``, or all equal), else an array of shape ``(n,)``.

    Examples
    --------
    >>> step_at(1e-3, [0.5, -1.0])
    0.001
    >>> step_at(1e-3, [1e10, 2.0]).tolist()
    [10000000.0, 0.002]
    """
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=float).reshape(-1)))
    h = float(step_rel) * scale
    return float(h[0]) if h.size and np.all(h == h[0]) else h


def steps_to_json(steps: StepRange | tuple[float, ...]) -> Any:
    """Checked steps as JSON for ``run.json`` (read back by :func:`steps_from_json`)."""
    if isinstance(steps, StepRange):
        return {"start": steps.start, "stop": steps.stop, "per_decade": steps.per_decade}
    return list(steps)


def steps_from_json(data: Any) -> StepRange | tuple[float, ...]:
    """Steps from their JSON form (:func:`steps_to_json`)."""
    if isinstance(data, dict):
        return StepRange(float(data["start"]), float(data["stop"]), int(data["per_decade"]))
    return tuple(float(v) for v in data)
